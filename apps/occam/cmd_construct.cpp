// `occam construct CIRCUIT [--tetrakis --level k --dims d] --out MODEL`: the exact ResNet of a circuit
// (THEORY §7) or of its Tetrakis function (THEORY §8), written in the trainer's model format, with its size
// and complexities R̃ and certified R (THEORY §2–3). See docs/tetrakis.md.
#include <fmt/format.h>

#include <torch/torch.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "command.hpp"
#include "occam/circuit/io.hpp"
#include "occam/compile/compile.hpp"
#include "occam/complexity/complexity.hpp"
#include "occam/nn/resnet.hpp"
#include "occam/util/error.hpp"

namespace occam::cli {
namespace {

struct construct_options {
  std::string circuit;
  std::string out;
  bool tetrakis = false;
  unsigned level = 0;
  std::size_t dims = 0;
  std::string decoding = "";
  double scale = 1.0;
  std::vector<double> lo, hi;
  std::size_t samples = 4096;
  bool no_complexity = false;
  double max_params = 2e8;
  bool json = false;
};

/// π for R̃: every ±1 input (n ≤ 12) or `samples` random ones (§7); uniform points of the box (§8).
torch::Tensor complexity_sample(const construct_options& o, const data::box& box, std::size_t n_in) {
  std::mt19937_64 rng(1);
  if (!o.tetrakis && n_in <= 12) {
    std::size_t rows = std::size_t(1) << n_in;
    torch::Tensor x = torch::empty({std::int64_t(rows), std::int64_t(n_in)}, torch::kFloat64);
    auto a = x.accessor<double, 2>();
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t i = 0; i < n_in; ++i) a[std::int64_t(r)][std::int64_t(i)] = (r >> i) & 1 ? 1.0 : -1.0;
    return x;
  }
  torch::Tensor x = torch::empty({std::int64_t(o.samples), std::int64_t(n_in)}, torch::kFloat64);
  auto a = x.accessor<double, 2>();
  std::uniform_real_distribution<double> U(0, 1);
  for (std::size_t r = 0; r < o.samples; ++r)
    for (std::size_t i = 0; i < n_in; ++i)
      a[std::int64_t(r)][std::int64_t(i)] =
          o.tetrakis ? box.lo[i] + (box.hi[i] - box.lo[i]) * U(rng) : ((rng() & 1) ? 1.0 : -1.0);
  return x;
}

void run(const construct_options& o) {
  circuit::aig g = circuit::read_circuit(o.circuit);
  compile::sparse_network net;
  data::box box;
  nlohmann::json j = {{"circuit", o.circuit}, {"construction", o.tetrakis ? "tetrakis" : "circuit"}};
  if (o.tetrakis) {
    if (o.dims == 0) throw input_error("--tetrakis needs --dims d ≥ 1");
    tetrakis::grid_map map = tetrakis::grid_map::unit(o.dims, o.level);
    auto fill = [&](const std::vector<double>& v, std::vector<double>& dst, const char* flag) {
      if (v.size() == 1)
        dst.assign(o.dims, v[0]);
      else if (v.size() == o.dims)
        dst = v;
      else if (!v.empty())
        throw input_error(fmt::format("{} needs 1 or {} values", flag, o.dims));
    };
    fill(o.lo, map.lo, "--lo");
    fill(o.hi, map.hi, "--hi");
    for (std::size_t i = 0; i < o.dims; ++i)
      if (!(map.hi[i] > map.lo[i])) throw input_error("--hi must exceed --lo in every dimension");
    tetrakis::decoding dec;
    dec.mode = o.decoding.empty() ? (g.num_pos() == 1 ? tetrakis::decoding::kind::sign
                                                      : tetrakis::decoding::kind::twos_complement)
                                  : tetrakis::parse_decoding(o.decoding);
    dec.scale = o.scale;
    compile::tetrakis_network_stats st;
    net = compile::tetrakis_to_network(g, map, dec, &st);
    for (std::size_t i = 0; i < o.dims; ++i) {
      box.lo.push_back(float(map.lo[i]));
      box.hi.push_back(float(map.hi[i]));
    }
    j["level"] = o.level;
    j["dims"] = o.dims;
    j["decoding"] = tetrakis::to_string(dec.mode);
    j["scale"] = dec.scale;
    j["ands"] = st.ands;
    j["circuit_depth"] = st.levels;
    j["sorting_comparators"] = st.sorting_comparators;
    j["blocks_per_stage"] = {st.stage1_blocks, st.stage2_blocks, st.stage3_blocks};
  } else {
    compile::circuit_network_stats st;
    net = compile::circuit_to_network(g, &st);
    box.lo.assign(g.num_pis(), -1.0f);
    box.hi.assign(g.num_pis(), 1.0f);
    j["ands"] = st.ands;
    j["circuit_depth"] = st.levels;
  }
  j["width"] = net.width;
  j["hidden"] = net.hidden();
  j["depth"] = net.blocks.size();
  j["outputs"] = net.d_out();
  j["neurons"] = net.neurons();
  j["nonzero_parameters"] = net.nonzero_parameters();
  j["dense_parameters"] = net.dense_parameters();
  compile::materialise_params mp;
  mp.max_dense_parameters = o.max_params;
  nn::resnet m = compile::to_resnet(net, box, mp);
  nn::save_model(m, o.out);
  j["model"] = o.out;
  if (!o.no_complexity) {
    nn::resnet m64 = m.to(torch::kCPU, torch::kFloat64);
    j["certified_r"] = complexity::certified_r(m64, box);
    j["rtilde"] = complexity::rtilde(m64, complexity_sample(o, box, net.d_in));
  }
  if (o.json) {
    fmt::print("{}\n", j.dump(2));
    return;
  }
  fmt::print("{} → {} ({})\n", o.circuit, o.out,
             o.tetrakis ? fmt::format("Tetrakis, level {}, {} dims", o.level, o.dims)
                        : std::string("circuit network"));
  fmt::print("circuit      {} AND, depth {}\n", j["ands"].get<std::size_t>(),
             j["circuit_depth"].get<std::size_t>());
  fmt::print("network      width {}, hidden {}, depth {}, {} outputs\n", net.width, net.hidden(),
             net.blocks.size(), net.d_out());
  fmt::print("parameters   {} non-zero of {:.0f}\n", net.nonzero_parameters(), net.dense_parameters());
  if (!o.no_complexity)
    fmt::print("complexity   R̃ = {:.6g}, certified R = {:.6g}\n", j["rtilde"].get<double>(),
               j["certified_r"].get<double>());
}

void setup(CLI::App& app) {
  auto o = std::make_shared<construct_options>();
  auto* c = app.add_subcommand("construct",
                               "Exact ReLU ResNet of a circuit (THEORY §7) or of its Tetrakis function (§8)");
  c->add_option("circuit", o->circuit, "Circuit (.aag, .aig, .pla)")->required()->check(CLI::ExistingFile);
  c->add_option("--out,-o", o->out, "Model file to write (.occam)")->required();
  c->add_flag(
      "--tetrakis", o->tetrakis,
      "Build the Tetrakis function T_C (inputs: d·(k+1) bits, bit b of coordinate i = input i·(k+1)+b)");
  c->add_option("--level,-k", o->level, "Grid level k (grid {0..2^k}^d)")->check(CLI::Range(0, 20));
  c->add_option("--dims,-d", o->dims, "Dimension d");
  auto* decoding = c->add_option("--decoding", o->decoding,
                                 "Output decoding: twos | unsigned | sign (default: sign for one output, "
                                 "twos otherwise)");
  auto* scale_opt = c->add_option("--scale", o->scale, "Decoding scale (value of the least significant bit)");
  auto* lo_opt = c->add_option("--lo", o->lo, "Box lower corner (one value or d values; default 0)");
  auto* hi_opt = c->add_option("--hi", o->hi, "Box upper corner (one value or d values; default 1)");
  c->add_option("--samples", o->samples, "Random points for R̃ (default 4096)")->check(at_least(1));
  c->add_flag("--no-complexity", o->no_complexity, "Skip R̃ and R");
  c->add_option("--max-params", o->max_params, "Refuse dense networks with more parameters (default 2e8)");
  c->add_flag("--json", o->json, "Print JSON");
  c->callback([o, decoding, scale_opt, lo_opt, hi_opt] {
    if (!o->tetrakis && (o->dims != 0 || o->level != 0))
      throw input_error("--level and --dims only apply with --tetrakis");
    // A circuit network's box is {±1}^n: a box or decoding given without --tetrakis was silently ignored.
    for (const CLI::Option* opt : {decoding, scale_opt, lo_opt, hi_opt})
      if (!o->tetrakis && opt->count() > 0)
        throw input_error(opt->get_name() + " only applies with --tetrakis");
    run(*o);
  });
}

const command reg{"80-construct", setup};

}  // namespace
}  // namespace occam::cli
