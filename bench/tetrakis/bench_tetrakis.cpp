// Benchmark (bench/RESULTS.md):
//  1. simplex location + interpolation throughput (points/s) for d = 2, 8, 32: occam's tetrakis::locate
//     (allocation-free, insertion sort on indices, weights as differences) against a naive peer computing the
//     same weights with std::sort of (t, i) pairs in freshly allocated vectors, both followed by the same
//     interpolation of a vertex function (a hash of the vertex);
//  2. construction time and network size of the THEORY §7 network for a 10k-AND circuit, and of THEORY §8
//     networks. CPU time (std::clock) is reported because the machine is shared.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <utility>
#include <vector>

#include "occam/circuit/aig.hpp"
#include "occam/compile/compile.hpp"
#include "occam/tetrakis/tetrakis.hpp"

using namespace occam;

namespace {

double cpu_seconds() {
  return double(std::clock()) / CLOCKS_PER_SEC;
}

inline double vertex_fn(const std::int64_t* v, std::size_t d) {
  std::uint64_t h = 1469598103934665603ull;
  for (std::size_t i = 0; i < d; ++i) h = (h ^ std::uint64_t(v[i])) * 1099511628211ull;
  return double(h >> 40) * 1e-6;
}

/// The peer: the textbook computation, one allocation per point, std::sort of (t, i) pairs.
double naive_interpolate(const double* u, std::size_t d) {
  std::vector<std::pair<double, std::size_t>> tp(d);
  std::vector<std::int64_t> e(d), o(d);
  for (std::size_t i = 0; i < d; ++i) {
    e[i] = 2 * std::int64_t(std::ceil(u[i] / 2 - 0.5));
    o[i] = 2 * std::int64_t(std::floor(u[i] / 2)) + 1;
    tp[i] = {std::fabs(u[i] - double(e[i])), i};
  }
  std::sort(tp.begin(), tp.end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  std::vector<std::int64_t> v = e;
  double sum = (1 - tp[0].first) * vertex_fn(v.data(), d);
  for (std::size_t j = 1; j <= d; ++j) {
    v[tp[j - 1].second] = o[tp[j - 1].second];
    double mu = j < d ? tp[j - 1].first - tp[j].first : tp[d - 1].first;
    sum += mu * vertex_fn(v.data(), d);
  }
  return sum;
}

/// The peer's location only: weights μ_j via std::sort of (t, i) pairs; returns Σ_j j·μ_j (keeps the work).
double naive_locate(const double* u, std::size_t d) {
  std::vector<std::pair<double, std::size_t>> tp(d);
  for (std::size_t i = 0; i < d; ++i) {
    double e = 2 * std::ceil(u[i] / 2 - 0.5);
    tp[i] = {std::fabs(u[i] - e), i};
  }
  std::sort(tp.begin(), tp.end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  double acc = 0;
  for (std::size_t j = 1; j <= d; ++j)
    acc += double(tp[j - 1].second) * (j < d ? tp[j - 1].first - tp[j].first : tp[d - 1].first);
  return acc;
}

/// All AND nodes without fan-out become outputs, so every node counts (cleanup keeps them all).
void expose_sinks(circuit::aig& g) {
  std::vector<int> fanout(g.num_nodes(), 0);
  for (circuit::node_id n = 1; n < g.num_nodes(); ++n)
    if (g.is_and(n)) {
      ++fanout[circuit::lit_node(g.fanin0(n))];
      ++fanout[circuit::lit_node(g.fanin1(n))];
    }
  for (circuit::node_id n = 1; n < g.num_nodes(); ++n)
    if (g.is_and(n) && fanout[n] == 0) g.create_po(circuit::make_lit(n));
}

}  // namespace

int main() {
  std::printf("### Simplex location + interpolation (points/s, CPU time, one core)\n\n");
  std::printf(
      "| d | level k | locate only: occam (points/s) | locate only: std::sort peer | ratio | locate + "
      "interpolate: occam (points/s) | locate + interpolate: peer | ratio "
      "|\n|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (std::size_t d : {2, 8, 32}) {
    const unsigned k = 8;
    const std::size_t n = d <= 8 ? 2000000 : 500000;
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> U(0, 256.0);
    std::vector<double> pts(n * d);
    for (auto& x : pts) x = U(rng);
    tetrakis::simplex s;
    std::vector<std::int64_t> v(d);
    double check_a = 0, check_b = 0, ta = 1e9, tb = 1e9, la = 1e9, lb = 1e9, sink = 0;
    for (int rep = 0; rep < 3; ++rep) {
      double t0 = cpu_seconds();
      for (std::size_t p = 0; p < n; ++p) {
        tetrakis::locate(&pts[p * d], d, k, s);
        for (std::size_t j = 1; j <= d; ++j) sink += double(s.order[j - 1]) * s.weights[j];
      }
      la = std::min(la, cpu_seconds() - t0);
      t0 = cpu_seconds();
      for (std::size_t p = 0; p < n; ++p) sink -= naive_locate(&pts[p * d], d);
      lb = std::min(lb, cpu_seconds() - t0);
      t0 = cpu_seconds();
      double acc = 0;
      for (std::size_t p = 0; p < n; ++p) {
        tetrakis::locate(&pts[p * d], d, k, s);
        std::copy(s.even.begin(), s.even.end(), v.begin());
        double sum = s.weights[0] * vertex_fn(v.data(), d);
        for (std::size_t j = 1; j <= d; ++j) {
          v[s.order[j - 1]] = s.odd[s.order[j - 1]];
          sum += s.weights[j] * vertex_fn(v.data(), d);
        }
        acc += sum;
      }
      ta = std::min(ta, cpu_seconds() - t0);
      check_a = acc;
      t0 = cpu_seconds();
      acc = 0;
      for (std::size_t p = 0; p < n; ++p) acc += naive_interpolate(&pts[p * d], d);
      tb = std::min(tb, cpu_seconds() - t0);
      check_b = acc;
    }
    if (std::fabs(check_a - check_b) > 1e-6 * std::fabs(check_a))
      std::printf("MISMATCH %g %g\n", check_a, check_b);
    if (std::fabs(sink) > 1e-6 * n) std::printf("LOCATE MISMATCH %g\n", sink);
    std::printf("| %zu | %u | %.3g | %.3g | %.2f× | %.3g | %.3g | %.2f× |\n", d, k, n / la, n / lb, lb / la,
                n / ta, n / tb, tb / ta);
  }

  std::printf("\n### THEORY §7 construction for a 10k-AND circuit\n\n");
  std::printf(
      "| circuit | inputs | AND | depth | build (s, CPU) | width w | hidden k | blocks L | non-zeros | dense "
      "P |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (unsigned inputs : {64u, 256u}) {
    std::mt19937_64 rng(inputs);
    circuit::aig g;
    std::vector<circuit::literal> pool;
    for (unsigned i = 0; i < inputs; ++i) pool.push_back(g.create_pi());
    while (g.num_ands() < 10000) {
      auto pick = [&]() {
        std::size_t m = pool.size();
        std::size_t j = (rng() % 2) ? m - 1 - rng() % std::min<std::size_t>(m, 64) : rng() % m;
        return circuit::lit_not_cond(pool[j], rng() & 1);
      };
      auto f = g.create_and(pick(), pick());
      if (circuit::lit_node(f)) pool.push_back(circuit::lit_regular(f));
    }
    expose_sinks(g);
    double t0 = cpu_seconds();
    compile::circuit_network_stats st;
    auto net = compile::circuit_to_network(g, &st);
    double t1 = cpu_seconds() - t0;
    std::printf("| random AIG | %u | %zu | %zu | %.3f | %zu | %zu | %zu | %zu | %.3g |\n", inputs, st.ands,
                st.levels, t1, st.width, st.hidden, st.blocks, st.nonzero_parameters, st.dense_parameters);
  }

  std::printf("\n### THEORY §8 construction (Tetrakis networks)\n\n");
  std::printf("| d | k | AND | build (s, CPU) | width w | hidden k | blocks L | non-zeros | dense P |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (auto [d, k, ands] : std::vector<std::tuple<std::size_t, unsigned, unsigned>>{
           {2, 6, 1000}, {4, 6, 1000}, {8, 4, 1000}, {4, 6, 10000}, {2, 3, 100}}) {
    std::mt19937_64 rng(d * 100 + k);
    circuit::aig g;
    std::vector<circuit::literal> pool;
    for (std::size_t i = 0; i < tetrakis::input_count(d, k); ++i) pool.push_back(g.create_pi());
    while (g.num_ands() < ands) {
      auto pick = [&]() {
        std::size_t m = pool.size();
        std::size_t j = (rng() % 2) ? m - 1 - rng() % std::min<std::size_t>(m, 64) : rng() % m;
        return circuit::lit_not_cond(pool[j], rng() & 1);
      };
      auto f = g.create_and(pick(), pick());
      if (circuit::lit_node(f)) pool.push_back(circuit::lit_regular(f));
    }
    for (int o = 0; o < 8; ++o) g.create_po(pool[pool.size() - 1 - o]);
    double t0 = cpu_seconds();
    compile::tetrakis_network_stats st;
    auto net = compile::tetrakis_to_network(g, tetrakis::grid_map::unit(d, k), {}, &st);
    double t1 = cpu_seconds() - t0;
    std::printf("| %zu | %u | %zu | %.3f | %zu | %zu | %zu | %zu | %.3g |\n", d, k, st.ands, t1, st.width,
                st.hidden, st.blocks, st.nonzero_parameters, st.dense_parameters);
  }
  return 0;
}
