// Activation patterns of the two-layer convex program (THEORY §10): sampled, given gates, enumerated.
#include <torch/torch.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "occam/convex/convex.hpp"
#include "occam/util/error.hpp"

namespace occam::convex {

std::vector<std::int64_t> distinct_columns(const torch::Tensor& masks) {
  // Hash each column as a byte string (columns are 0/1); n×P is small enough to copy to the CPU once.
  auto m = masks.to(torch::kCPU, torch::kUInt8).t().contiguous();  // P×n
  const std::int64_t P = m.size(0), n = m.size(1);
  const auto* p = m.data_ptr<std::uint8_t>();
  std::set<std::string> seen;
  std::vector<std::int64_t> keep;
  for (std::int64_t i = 0; i < P; ++i) {
    std::string key(reinterpret_cast<const char*>(p + i * n), static_cast<std::size_t>(n));
    if (seen.insert(std::move(key)).second) keep.push_back(i);
  }
  return keep;
}

pattern_set sample_patterns(const torch::Tensor& X, const sample_params& params, sample_stats* stats) {
  if (X.dim() != 2) throw input_error("sample_patterns: X must be n×d");
  if (params.count <= 0) throw input_error("sample_patterns: the pattern count must be positive");
  auto gen = at::detail::createCPUGenerator(params.seed);
  auto G = at::normal(0.0, 1.0, {X.size(1), params.count}, gen, torch::TensorOptions().dtype(torch::kFloat64))
               .to(X.device(), X.scalar_type());
  pattern_set s;
  s.masks = (X.mm(G) >= 0).to(X.scalar_type());
  s.gates = G;
  auto keep = distinct_columns(s.masks);
  if (stats) {
    stats->sampled = params.count;
    stats->distinct = static_cast<std::int64_t>(keep.size());
  }
  if (params.keep_distinct && static_cast<std::int64_t>(keep.size()) < params.count) {
    auto idx = torch::tensor(keep, torch::kLong).to(X.device());
    s.masks = s.masks.index_select(1, idx).contiguous();
    s.gates = s.gates.index_select(1, idx).contiguous();
  }
  return s;
}

pattern_set patterns_from_gates(const torch::Tensor& X, const torch::Tensor& G, bool strict) {
  if (X.dim() != 2 || G.dim() != 2 || G.size(0) != X.size(1))
    throw input_error("gates must be d×P with d = " + std::to_string(X.size(1)) + " (the data's columns)");
  pattern_set s;
  s.gates = G.to(X.device(), X.scalar_type()).contiguous();
  // The products are computed in float64 so that the strict/non-strict boundary matches a float64 reference.
  auto Z = X.to(torch::kFloat64).mm(G.to(X.device(), torch::kFloat64));
  s.masks = (strict ? (Z > 0) : (Z >= 0)).to(X.scalar_type()).contiguous();
  return s;
}

pattern_set enumerate_patterns(const torch::Tensor& X, std::int64_t max_candidates) {
  // Every chamber of the central arrangement {x_jᵀu = 0} in R^d (X of rank d) is a pointed cone, hence has an
  // extreme ray r. With rows in general position r is cut out by exactly d−1 rows S, and the chambers around
  // r are r + ε w with x_jᵀ w = ±1 (j ∈ S). So: for every (d−1)-subset S, both signs of the null direction r
  // and every sign vector on S, the point r + ε w lies in a chamber, and every chamber is met.
  auto Xd = X.to(torch::kCPU, torch::kFloat64).contiguous();
  const std::int64_t n = Xd.size(0), d = Xd.size(1);
  if (d == 0 || n == 0) throw input_error("enumerate_patterns: empty data");
  if (torch::linalg_matrix_rank(Xd).item<std::int64_t>() < d)
    throw input_error("enumerate_patterns: X must have rank d (" + std::to_string(d) + ")");
  std::vector<torch::Tensor> dirs;
  if (d == 1) {
    dirs.push_back(torch::ones({1}, torch::kFloat64));
    dirs.push_back(-torch::ones({1}, torch::kFloat64));
  } else {
    // Count the candidates first.
    double subsets = 1;
    for (std::int64_t k = 0; k < d - 1; ++k) subsets = subsets * double(n - k) / double(k + 1);
    if (subsets * std::pow(2.0, double(d)) > double(max_candidates))
      throw input_error("enumerate_patterns: C(n, d-1)·2^d = " + std::to_string(subsets * std::pow(2.0, d)) +
                        " candidates exceed the limit; sample patterns instead");
    std::vector<std::int64_t> comb(d - 1);
    for (std::int64_t k = 0; k < d - 1; ++k) comb[k] = k;
    const double scale = Xd.abs().max().item<double>();
    while (true) {
      auto rows = Xd.index_select(0, torch::tensor(comb, torch::kLong));  // (d−1)×d
      // Null direction of the d−1 rows: the last right-singular vector.
      auto svd = torch::linalg_svd(rows, true);
      auto Vh = std::get<2>(svd);
      auto r = Vh[d - 1].clone();
      auto M = torch::cat({rows, r.unsqueeze(0)}, 0);  // d×d, invertible when r ⟂ rows
      for (int rs : {1, -1}) {
        for (std::int64_t signs = 0; signs < (std::int64_t(1) << (d - 1)); ++signs) {
          auto rhs = torch::zeros({d}, torch::kFloat64);
          for (std::int64_t k = 0; k < d - 1; ++k) rhs[k] = (signs >> k & 1) ? 1.0 : -1.0;
          auto w = torch::linalg_solve(M, rhs);
          // ε small enough that no other hyperplane is crossed: relative to the smallest |x_jᵀ r| off S.
          auto xr = Xd.mv(r * rs).abs();
          auto xw = Xd.mv(w).abs();
          for (auto j : comb) xr[j] = INFINITY;
          double m = xr.min().item<double>();
          double eps = 0.25 * m / (xw.max().item<double>() + 1e-300);
          if (!(m > 1e-12 * scale)) eps = 1e-6;  // degenerate position; best effort
          dirs.push_back(r * rs + eps * w);
        }
      }
      // Next combination.
      std::int64_t k = d - 2;
      while (k >= 0 && comb[k] == n - (d - 1) + k) --k;
      if (k < 0) break;
      ++comb[k];
      for (std::int64_t j = k + 1; j < d - 1; ++j) comb[j] = comb[j - 1] + 1;
    }
  }
  auto G = torch::stack(dirs, 1);  // d×C
  auto masks = (Xd.mm(G) >= 0).to(torch::kFloat64);
  auto keep = distinct_columns(masks);
  auto idx = torch::tensor(keep, torch::kLong);
  pattern_set s;
  s.gates = G.index_select(1, idx).to(X.device(), X.scalar_type()).contiguous();
  s.masks = masks.index_select(1, idx).to(X.device(), X.scalar_type()).contiguous();
  return s;
}

}  // namespace occam::convex
