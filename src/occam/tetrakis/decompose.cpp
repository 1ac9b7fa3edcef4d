// Multilevel decomposition into Tetrakis functions (Jacot Prop 8, THEORY §6).
#include "occam/tetrakis/decompose.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "occam/tetrakis/tetrakis.hpp"
#include "occam/util/error.hpp"

namespace occam::tetrakis {

namespace {

/// Number of the level-k vertex with coordinates v.
std::size_t vertex_number(const std::int64_t* v, std::size_t d, unsigned k) {
  const std::size_t side = (std::size_t(1) << k) + 1;
  std::size_t idx = 0;
  for (std::size_t i = d; i-- > 0;) idx = idx * side + std::size_t(v[i]);
  return idx;
}

void vertex_coordinates(std::size_t idx, std::size_t d, unsigned k, std::int64_t* v) {
  const std::size_t side = (std::size_t(1) << k) + 1;
  for (std::size_t i = 0; i < d; ++i) {
    v[i] = std::int64_t(idx % side);
    idx /= side;
  }
}

}  // namespace

std::size_t grid_vertex_count(std::size_t d, unsigned k) {
  if (k > 26) throw input_error("grid level must be at most 26");
  const std::size_t side = (std::size_t(1) << k) + 1;
  std::size_t n = 1;
  for (std::size_t i = 0; i < d; ++i) {
    if (n > (std::size_t(1) << 26) / side)
      throw input_error("the level-" + std::to_string(k) + " grid in " + std::to_string(d) +
                        " dimensions has more than 2^26 vertices");
    n *= side;
  }
  return n;
}

multilevel_decomposition decompose(const std::vector<double>& values, std::size_t d, unsigned K,
                                   const decomposition_params& params, decomposition_stats* stats) {
  if (d == 0) throw input_error("decompose: at least one dimension");
  const std::size_t NK = grid_vertex_count(d, K);
  if (values.size() != NK)
    throw input_error("decompose: " + std::to_string(values.size()) + " values for the level-" +
                      std::to_string(K) + " grid in " + std::to_string(d) + " dimensions, which has " +
                      std::to_string(NK) + " vertices");
  if (params.coarsest_level > K)
    throw input_error("decompose: coarsest level " + std::to_string(params.coarsest_level) +
                      " above the finest level " + std::to_string(K));
  multilevel_decomposition out;
  out.dims = d;
  out.finest_level = K;
  decomposition_stats st;
  st.vertices = NK;
  std::vector<std::int64_t> w(d), fine(d);
  // f at a level-j vertex v: the level-K value at v·2^{K−j}.
  auto f_at = [&](const std::int64_t* v, unsigned j) {
    for (std::size_t i = 0; i < d; ++i) fine[i] = v[i] << (K - j);
    return values[vertex_number(fine.data(), d, K)];
  };
  std::vector<double> u(d);
  for (unsigned k = params.coarsest_level; k <= K; ++k) {
    level_term t;
    t.level = k;
    const std::size_t N = grid_vertex_count(d, k);
    t.values.resize(N);
    for (std::size_t idx = 0; idx < N; ++idx) {
      vertex_coordinates(idx, d, k, w.data());
      double fw = f_at(w.data(), k);
      if (k == params.coarsest_level) {
        t.values[idx] = fw;
        continue;
      }
      // (I_{k−1} f)(w): w sits at w/2 in level-(k−1) grid units.
      for (std::size_t i = 0; i < d; ++i) u[i] = double(w[i]) / 2;
      double coarse = interpolate(u.data(), d, k - 1, [&](const std::int64_t* v) { return f_at(v, k - 1); });
      ++st.interpolations;
      t.values[idx] = fw - coarse;
    }
    for (double v : t.values) t.sup_norm = std::max(t.sup_norm, std::fabs(v));
    out.terms.push_back(std::move(t));
  }
  if (stats) *stats = st;
  return out;
}

double multilevel_decomposition::evaluate(const double* u) const {
  std::vector<double> uk(dims);
  double sum = 0;
  for (const auto& t : terms) {
    const double scale = std::ldexp(1.0, -int(finest_level - t.level));
    for (std::size_t i = 0; i < dims; ++i) uk[i] = u[i] * scale;
    sum += interpolate(uk.data(), dims, t.level,
                       [&](const std::int64_t* v) { return t.values[vertex_number(v, dims, t.level)]; });
  }
  return sum;
}

}  // namespace occam::tetrakis
