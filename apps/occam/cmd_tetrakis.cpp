// `occam tetrakis eval CIRCUIT --level k --points FILE`: the Tetrakis function T_C (THEORY §6) of a circuit
// at given points (CSV or NPY), optionally checked against its THEORY §8 ResNet. See docs/tetrakis.md.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>

#include "command.hpp"
#include "occam/circuit/io.hpp"
#include "occam/compile/compile.hpp"
#include "occam/data/loaders.hpp"
#include "occam/tetrakis/tetrakis.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::cli {
namespace {

struct eval_options {
  std::string circuit, points, out;
  unsigned level = 0;
  std::string decoding;
  double scale = 1.0;
  std::vector<double> lo, hi;
  bool network = false;
};

/// Points as an n×d row-major array: NPY (n×d or n), or CSV whose every column is a coordinate (read with the
/// data loaders: the last column comes back as the "target" and is put back).
std::vector<double> load_points(const std::string& path, std::size_t& d) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char ch) { return char(std::tolower(ch)); });
  if (ext == ".npy") {
    data::npy_array a = data::read_npy(path);
    if (a.shape.size() > 2) throw input_error(path, 0, "points must be a 1-D or 2-D array");
    d = a.cols();
    return a.data;
  }
  data::load_params lp;
  lp.kind = "regression";
  data::dataset ds = data::load_csv(path, lp);
  d = ds.d_in + ds.d_out;
  std::vector<double> x;
  x.reserve(ds.n * d);
  for (std::size_t r = 0; r < ds.n; ++r) {
    for (std::size_t i = 0; i < ds.d_in; ++i) x.push_back(ds.row(r)[i]);
    for (std::size_t i = 0; i < ds.d_out; ++i) x.push_back(ds.target(r)[i]);
  }
  return x;
}

void run_eval(const eval_options& o) {
  circuit::aig g = circuit::read_circuit(o.circuit);
  std::size_t d = 0;
  std::vector<double> x = load_points(o.points, d);
  tetrakis::grid_map map = tetrakis::grid_map::unit(d, o.level);
  auto fill = [&](const std::vector<double>& v, std::vector<double>& dst, const char* flag) {
    if (v.size() == 1)
      dst.assign(d, v[0]);
    else if (v.size() == d)
      dst = v;
    else if (!v.empty())
      throw input_error(fmt::format("{} needs 1 or {} values", flag, d));
  };
  fill(o.lo, map.lo, "--lo");
  fill(o.hi, map.hi, "--hi");
  for (std::size_t i = 0; i < d; ++i)
    if (!(map.hi[i] > map.lo[i])) throw input_error("--hi must exceed --lo in every dimension");
  tetrakis::decoding dec;
  dec.mode = o.decoding.empty() ? (g.num_pos() == 1 ? tetrakis::decoding::kind::sign
                                                    : tetrakis::decoding::kind::twos_complement)
                                : tetrakis::parse_decoding(o.decoding);
  dec.scale = o.scale;
  for (double v : x)
    if (!std::isfinite(v)) throw input_error(o.points, 0, "points must be finite");
  std::vector<double> T = tetrakis::tetrakis_function(g, map, dec, x);
  std::ostringstream csv;
  csv.precision(17);
  for (std::size_t i = 0; i < d; ++i) csv << "x" << i << ",";
  csv << "T\n";
  for (std::size_t p = 0; p < T.size(); ++p) {
    for (std::size_t i = 0; i < d; ++i) csv << x[p * d + i] << ",";
    csv << T[p] << "\n";
  }
  if (o.out.empty())
    fmt::print("{}", csv.str());
  else
    write_file_atomic(o.out, csv.str());
  if (o.network) {
    // THEORY §8: the ResNet evaluated in double precision (sparse), compared with T_C.
    compile::sparse_network net = compile::tetrakis_to_network(g, map, dec);
    double worst = 0;
    for (std::size_t p = 0; p < T.size(); ++p)
      worst = std::max(worst, std::fabs(net.evaluate(&x[p * d])[0] - T[p]));
    fmt::print(stderr, "ResNet (width {}, depth {}): max |ResNet(x) − T_C(x)| = {:.3g} over {} points\n",
               net.width, net.blocks.size(), worst, T.size());
  }
}

void setup(CLI::App& app) {
  auto* t = app.add_subcommand("tetrakis", "Tetrakis functions of circuits (THEORY §6)");
  t->require_subcommand(1);
  auto o = std::make_shared<eval_options>();
  auto* e = t->add_subcommand("eval", "T_C at points: Σ_j μ_j(x) dec(C(v_j(x))), CSV x0..x{d-1},T");
  e->add_option("circuit", o->circuit, "Circuit (.aag, .aig, .pla) with d·(k+1) inputs")
      ->required()
      ->check(CLI::ExistingFile);
  e->add_option("--level,-k", o->level, "Grid level k")->required()->check(CLI::Range(0, 30));
  e->add_option("--points,-p", o->points, "Points: .npy (n×d) or CSV (every column a coordinate)")
      ->required()
      ->check(CLI::ExistingFile);
  e->add_option("--decoding", o->decoding,
                "twos | unsigned | sign (default: sign for one output, twos otherwise)");
  e->add_option("--scale", o->scale, "Decoding scale (value of the least significant bit)");
  e->add_option("--lo", o->lo, "Box lower corner (one value or d values; default 0)");
  e->add_option("--hi", o->hi, "Box upper corner (one value or d values; default 1)");
  e->add_option("--out,-o", o->out, "Write the CSV here instead of stdout");
  e->add_flag("--network", o->network,
              "Also evaluate the THEORY §8 ResNet and print max |ResNet − T_C| to stderr");
  e->callback([o] { run_eval(*o); });
}

const command reg{"81-tetrakis", setup};

}  // namespace
}  // namespace occam::cli
