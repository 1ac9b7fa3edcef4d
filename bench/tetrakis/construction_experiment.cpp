// docs/experiments/construction.md: R̃ (THEORY §2) and certified R (THEORY §3) of the constructed networks
// (THEORY §7 and §8) as |C|, k and d grow. Prints a markdown table and writes a whitespace-separated data
// file (argv[1], default construction.dat) for the gnuplot log–log plot.
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "occam/compile/compile.hpp"
#include "occam/complexity/complexity.hpp"

using namespace occam;

namespace {

circuit::aig random_circuit(std::size_t inputs, unsigned ands, unsigned outputs, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  circuit::aig g;
  std::vector<circuit::literal> pool;
  for (std::size_t i = 0; i < inputs; ++i) pool.push_back(g.create_pi());
  while (g.num_ands() < ands) {
    auto pick = [&]() {
      std::size_t m = pool.size();
      std::size_t j = (rng() % 2) ? m - 1 - rng() % std::min<std::size_t>(m, 8) : rng() % m;
      return circuit::lit_not_cond(pool[j], rng() & 1);
    };
    auto f = g.create_and(pick(), pick());
    if (circuit::lit_node(f)) pool.push_back(circuit::lit_regular(f));
  }
  // Every AND without fan-out is merged into the outputs (a random AND/OR tree), so |C| after cleanup is
  // about `ands` plus the merge gates, and grows with `ands`.
  std::vector<int> fanout(g.num_nodes(), 0);
  for (circuit::node_id n = 1; n < g.num_nodes(); ++n)
    if (g.is_and(n)) {
      ++fanout[circuit::lit_node(g.fanin0(n))];
      ++fanout[circuit::lit_node(g.fanin1(n))];
    }
  std::vector<circuit::literal> sinks;
  for (circuit::node_id n = 1; n < g.num_nodes(); ++n)
    if (g.is_and(n) && fanout[n] == 0) sinks.push_back(circuit::make_lit(n));
  if (sinks.empty()) sinks.push_back(pool.back());
  while (sinks.size() > outputs) {
    auto a = sinks.back();
    sinks.pop_back();
    auto b = sinks.back();
    sinks.pop_back();
    auto f = g.create_and(circuit::lit_not_cond(a, rng() & 1), circuit::lit_not_cond(b, rng() & 1));
    sinks.insert(sinks.begin(), circuit::lit_not_cond(f, rng() & 1));
  }
  for (unsigned o = 0; o < outputs; ++o) g.create_po(sinks[o % sinks.size()]);
  return g;
}

struct row {
  std::string series;
  std::size_t ands = 0, levels = 0, k = 0, d = 0, width = 0, hidden = 0, blocks = 0, nonzeros = 0;
  double rtilde = 0, r = 0, r_col = 0, r_seconds = 0;
};

row measure(const std::string& series, const compile::sparse_network& net, const data::box& box,
            const torch::Tensor& x) {
  compile::materialise_params mp;
  mp.dtype = torch::kFloat64;
  nn::resnet m = compile::to_resnet(net, box, mp);
  row r;
  r.series = series;
  r.width = net.width;
  r.hidden = net.hidden();
  r.blocks = net.blocks.size();
  r.nonzeros = net.nonzero_parameters();
  r.rtilde = complexity::rtilde(m, x);
  const auto t0 = std::chrono::steady_clock::now();
  r.r = complexity::certified_r(m, box);
  r.r_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  complexity::certified_r_params col;
  col.linf_certificate = false;
  r.r_col = complexity::certified_r(m, box, col);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  torch::set_num_threads(1);
  std::string dat = argc > 1 ? argv[1] : "construction.dat";
  std::vector<row> rows;
  // THEORY §7: n = 8 inputs, one output, π = all 256 ±1 inputs, B = [−1,1]^8.
  {
    torch::Tensor x = torch::empty({256, 8}, torch::kFloat64);
    for (int r = 0; r < 256; ++r)
      for (int i = 0; i < 8; ++i) x[r][i] = (r >> i) & 1 ? 1.0 : -1.0;
    data::box box{std::vector<float>(8, -1.0f), std::vector<float>(8, 1.0f)};
    for (unsigned ands : {4u, 8u, 16u, 32u, 64u, 128u, 256u, 512u, 1024u, 2048u}) {
      auto g = random_circuit(8, ands, 1, ands);
      compile::circuit_network_stats st;
      auto net = compile::circuit_to_network(g, &st);
      row r = measure("circuit", net, box, x);
      r.ands = st.ands;
      r.levels = st.levels;
      rows.push_back(r);
    }
  }
  // THEORY §8: Tetrakis networks on [0,1]^d, sign decoding, π = 2048 uniform points.
  auto tetra = [&](const std::string& series, std::size_t d, unsigned k, unsigned ands) {
    auto g = random_circuit(tetrakis::input_count(d, k), ands, 1, 1000 * d + 10 * k + ands);
    compile::tetrakis_network_stats st;
    auto net = compile::tetrakis_to_network(g, tetrakis::grid_map::unit(d, k),
                                            {tetrakis::decoding::kind::sign, 1.0}, &st);
    torch::manual_seed(1);
    torch::Tensor x = torch::rand({2048, std::int64_t(d)}, torch::kFloat64);
    data::box box{std::vector<float>(d, 0.0f), std::vector<float>(d, 1.0f)};
    row r = measure(series, net, box, x);
    r.ands = st.ands;
    r.levels = st.levels;
    r.k = k;
    r.d = d;
    rows.push_back(r);
  };
  for (unsigned ands : {4u, 16u, 64u, 256u}) tetra("tetrakis-size", 2, 3, ands);
  for (unsigned k : {1u, 2u, 3u, 4u, 5u, 6u}) tetra("tetrakis-level", 2, k, 16);
  for (std::size_t d : {1u, 2u, 3u, 4u, 6u}) tetra("tetrakis-dims", d, 3, 16);

  std::ofstream out(dat);
  out << "# series ands levels k d width hidden blocks nonzeros rtilde R R_column R_seconds\n";
  std::printf(
      "| series | \\|C\\| (AND) | circuit depth | k | d | width | hidden | blocks | non-zeros | R̃ | "
      "certified R | column certificate alone | R time (s) |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (auto& r : rows) {
    std::printf("| %s | %zu | %zu | %zu | %zu | %zu | %zu | %zu | %zu | %.4g | %.4g | %.4g | %.3g |\n",
                r.series.c_str(), r.ands, r.levels, r.k, r.d, r.width, r.hidden, r.blocks, r.nonzeros,
                r.rtilde, r.r, r.r_col, r.r_seconds);
    out << r.series << " " << r.ands << " " << r.levels << " " << r.k << " " << r.d << " " << r.width << " "
        << r.hidden << " " << r.blocks << " " << r.nonzeros << " " << r.rtilde << " " << r.r << " " << r.r_col
        << " " << r.r_seconds << "\n";
  }
  // Least-squares slope of log R against log |C| per series (Jacot Prop. 12: 1 for the circuit series).
  for (const char* series : {"circuit", "tetrakis-size"}) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0;
    for (auto& r : rows)
      if (r.series == series && r.ands > 0 && r.r > 0) {
        const double lx = std::log(double(r.ands)), ly = std::log(r.r);
        sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly, n += 1;
      }
    if (n >= 2)
      std::printf("\nlog–log slope of certified R against |C|, %s: %.3f (%g points)\n", series,
                  (n * sxy - sx * sy) / (n * sxx - sx * sx), n);
  }
  return 0;
}
