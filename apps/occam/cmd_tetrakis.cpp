// `occam tetrakis eval CIRCUIT --level k --points FILE`: the Tetrakis function T_C (THEORY §6) of a circuit
// at given points (CSV or NPY), optionally checked against its THEORY §8 ResNet.
// `occam tetrakis compile CIRCUIT --level k --dims d --out FILE`: the real-to-bin circuit of T_C (THEORY §6,
// Prop 7) with its size split. See docs/tetrakis.md.
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
#include "occam/tetrakis/real_to_bin.hpp"
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

struct compile_options {
  std::string circuit, out, decoding, rounding = "nearest";
  unsigned level = 0, dims = 0, input_bits = 8;
  int output_fraction_bits = 8;
  double scale = 1.0;
};

void run_compile(const compile_options& o) {
  circuit::aig g = circuit::read_circuit(o.circuit);
  tetrakis::decoding dec;
  dec.mode = o.decoding.empty() ? (g.num_pos() == 1 ? tetrakis::decoding::kind::sign
                                                    : tetrakis::decoding::kind::twos_complement)
                                : tetrakis::parse_decoding(o.decoding);
  dec.scale = o.scale;
  tetrakis::real_to_bin_params p;
  p.input_bits = o.input_bits;
  p.output_fraction_bits = o.output_fraction_bits;
  p.rounding = o.rounding == "floor" ? circuit::rounding_mode::floor : circuit::rounding_mode::nearest;
  tetrakis::real_to_bin_stats st;
  auto r = tetrakis::real_to_bin(g, o.dims, o.level, dec, p, &st);
  circuit::write_circuit(r.circuit, o.out);
  fmt::print(
      "real-to-bin T_C: {} inputs (x_i = X_i/2^{}), {} output bits (value = word * {} * 2^-{}), {} ANDs\n"
      "  location {}, sorting {}, vertex select {}, vertex circuits {}, weighted sum {} (AND nodes per "
      "stage)\n"
      "  max |output - T_C(x)| <= {:.3g}\nwrote {}\n",
      r.circuit.num_pis(), o.input_bits, st.output_bits, o.scale, o.output_fraction_bits, st.ands,
      st.location, st.sorting, st.vertex_select, st.vertex_circuits, st.weighted_sum, st.error_bound, o.out);
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

  auto q = std::make_shared<compile_options>();
  auto* c =
      t->add_subcommand("compile", "The real-to-bin circuit of T_C (Prop 7): fixed-point x in, T_C(x) out");
  c->add_option("circuit", q->circuit, "Circuit (.aag, .aig, .pla) with d·(k+1) inputs")
      ->required()
      ->check(CLI::ExistingFile);
  c->add_option("--level,-k", q->level, "Grid level k")->required()->check(CLI::Range(0, 30));
  c->add_option("--dims,-d", q->dims, "Dimension d")->required()->check(CLI::Range(1, 64));
  c->add_option("--input-bits", q->input_bits, "Bits per coordinate n (x_i = X_i / 2^n, n ≥ k)")
      ->capture_default_str()
      ->check(CLI::Range(1, 40));
  c->add_option("--output-fraction-bits", q->output_fraction_bits,
                "The output word counts units of scale·2^-p (exact when p ≥ n − k)")
      ->capture_default_str()
      ->check(CLI::Range(-40, 60));
  c->add_option("--rounding", q->rounding, "nearest | floor (when p < n − k)")
      ->check(CLI::IsMember({"nearest", "floor"}))
      ->capture_default_str();
  c->add_option("--decoding", q->decoding,
                "twos | unsigned | sign (default: sign for one output, twos otherwise)");
  c->add_option("--scale", q->scale, "Decoding scale (value of the least significant bit)");
  c->add_option("--out,-o", q->out, "Output circuit (.aig, .aag, .blif, .v)")->required();
  c->callback([q] { run_compile(*q); });
}

const command reg{"81-tetrakis", setup};

}  // namespace
}  // namespace occam::cli
