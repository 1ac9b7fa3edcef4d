// `occam circuit stats|sim|eval|opt|convert|synth`: inspect, simulate, score, optimise (through ABC),
// convert AIGs, and synthesise one from a truth table. Torch-free. See docs/circuit.md.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "command.hpp"
#include "occam/circuit/abc.hpp"
#include "occam/circuit/aig.hpp"
#include "occam/circuit/io.hpp"
#include "occam/circuit/simulate.hpp"
#include "occam/circuit/synth.hpp"
#include "occam/data/loaders.hpp"
#include "occam/data/pla.hpp"
#include "occam/util/error.hpp"

namespace occam::cli {
namespace {
namespace fs = std::filesystem;
using namespace occam::circuit;

nlohmann::json stats_json(const aig_statistics& s) {
  return {
      {"inputs", s.inputs},
      {"outputs", s.outputs},
      {"ands", s.ands},
      {"stored_ands", s.stored_ands},
      {"depth", s.depth},
      {"gates", {{"and", s.gates_and}, {"or", s.gates_or}, {"not", s.gates_not}, {"total", s.gates_total()}}},
      {"xor_aig", {{"nodes", s.xor_aig_nodes}, {"xors", s.xor_aig_xors}}}};
}

void print_stats_text(const aig_statistics& s) {
  std::printf("inputs        %zu\n", s.inputs);
  std::printf("outputs       %zu\n", s.outputs);
  std::printf("and           %zu%s\n", s.ands,
              s.stored_ands != s.ands
                  ? fmt::format("  ({} stored, {} dangling)", s.stored_ands, s.stored_ands - s.ands).c_str()
                  : "");
  std::printf("depth         %u\n", s.depth);
  std::printf("and/or/not    %zu  (%zu AND + %zu OR + %zu NOT)\n", s.gates_total(), s.gates_and, s.gates_or,
              s.gates_not);
  std::printf("xor-aig       %zu  (%zu XOR2)\n", s.xor_aig_nodes, s.xor_aig_xors);
}

// ---- stats ----
struct stats_options {
  std::string file;
  bool json = false;
};
void run_stats(const stats_options& o) {
  aig g = read_circuit(o.file);
  auto s = statistics(g);
  if (o.json) {
    auto j = stats_json(s);
    j["file"] = o.file;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    print_stats_text(s);
  }
}

// ---- sim ----
struct sim_options {
  std::string file;
  std::size_t patterns = 0;
  std::uint64_t seed = 1;
  bool exhaustive = false;
  bool json = false;
};
std::string hex_table(const std::vector<std::uint64_t>& tt, std::size_t bits) {
  // Most significant minterm first, as ABC prints truth tables.
  std::string s;
  std::size_t digits = std::max<std::size_t>(1, bits / 4);
  for (std::size_t d = digits; d-- > 0;) {
    unsigned v = unsigned((tt[(d * 4) / 64] >> ((d * 4) % 64)) & 15u);
    if (bits < 4) v &= (1u << bits) - 1;
    s += "0123456789abcdef"[v];
  }
  return s;
}
void run_sim(const sim_options& o) {
  aig g = read_circuit(o.file);
  nlohmann::json j;
  j["file"] = o.file;
  if (o.exhaustive) {
    if (g.num_pis() > 20)
      throw input_error(o.file, 0,
                        fmt::format("--exhaustive needs at most 20 inputs, the circuit has {}", g.num_pis()));
    auto tt = truth_tables(g);
    std::size_t bits = std::size_t(1) << g.num_pis();
    auto& outs = j["truth_tables"] = nlohmann::json::array();
    for (std::size_t k = 0; k < g.num_pos(); ++k) {
      std::string h = hex_table(tt[k], bits);
      outs.push_back(h);
      if (!o.json)
        std::printf("%s 0x%s\n", g.po_name(k).empty() ? fmt::format("po{}", k).c_str() : g.po_name(k).c_str(),
                    h.c_str());
    }
  } else {
    std::size_t n = o.patterns ? o.patterns : 4096;
    auto in = random_patterns(g.num_pis(), n, o.seed);
    auto out = simulate(g, in);
    auto& outs = j["outputs"] = nlohmann::json::array();
    j["patterns"] = n;
    j["seed"] = o.seed;
    for (std::size_t k = 0; k < g.num_pos(); ++k) {
      std::uint64_t ones = 0, sig = 1469598103934665603ull;  // FNV-1a over the output words
      for (std::size_t w = 0; w < out.words(); ++w) {
        std::uint64_t v = out.signal(k)[w];
        ones += std::uint64_t(__builtin_popcountll(v));
        for (int b = 0; b < 8; ++b) sig = (sig ^ ((v >> (8 * b)) & 0xff)) * 1099511628211ull;
      }
      std::string name = g.po_name(k).empty() ? fmt::format("po{}", k) : g.po_name(k);
      outs.push_back({{"name", name}, {"ones", ones}, {"signature", fmt::format("{:016x}", sig)}});
      if (!o.json)
        std::printf("%s ones %llu/%zu signature %016llx\n", name.c_str(), (unsigned long long)ones, n,
                    (unsigned long long)sig);
    }
  }
  if (o.json) std::printf("%s\n", j.dump(2).c_str());
}

// ---- eval ----
struct eval_options {
  std::string file, data;
  bool json = false;
};
void run_eval(const eval_options& o) {
  aig g = read_circuit(o.file);
  accuracy_result r;
  std::string ext = fs::path(o.data).extension().string();
  if (ext == ".pla")
    r = accuracy(g, data::read_pla(o.data), o.data);
  else
    r = accuracy(g, data::load_dataset(o.data));
  auto s = statistics(g);
  nlohmann::json j = stats_json(s);
  j["file"] = o.file;
  j["data"] = o.data;
  j["rows"] = r.rows;
  j["accuracy"] = r.overall();
  j["rows_all_correct"] = r.rows_all_correct;
  auto& per = j["per_output"] = nlohmann::json::array();
  for (std::size_t k = 0; k < r.correct.size(); ++k) per.push_back(r.output_accuracy(k));
  if (o.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("and           %zu\n", s.ands);
  std::printf("depth         %u\n", s.depth);
  std::printf("rows          %zu\n", r.rows);
  std::printf("accuracy      %.6f  (mean over output bits)\n", r.overall());
  if (r.correct.size() > 1) {
    std::printf("rows correct  %zu / %zu (all outputs right)\n", r.rows_all_correct, r.rows);
    for (std::size_t k = 0; k < r.correct.size() && k < 16; ++k)
      std::printf("  output %-4zu %.6f\n", k, r.output_accuracy(k));
  }
}

// ---- opt ----
struct opt_options {
  std::string file, script = "medium", out;
  double timeout = 600;
  unsigned deepsyn_time = 10;
  bool verify = false, json = false;
};
void run_opt(const opt_options& o) {
  aig g = read_circuit(o.file);
  abc_params p;
  p.timeout_s = o.timeout;
  abc_run_stats rs;
  auto before = statistics(g);
  aig h = abc_optimize(g, expand_abc_script(o.script, o.deepsyn_time), p, &rs);
  auto after = statistics(h);
  int verified = -1;
  if (o.verify) {
    verified = abc_equivalent(g, h, p) ? 1 : 0;
    if (!verified)
      throw input_error(o.file, 0, "ABC's result is NOT equivalent to the input (cec); nothing written");
  }
  write_circuit(h, o.out);
  if (o.json) {
    nlohmann::json j = {{"file", o.file},
                        {"out", o.out},
                        {"script", rs.script},
                        {"seconds", rs.seconds},
                        {"before", stats_json(before)},
                        {"after", stats_json(after)}};
    if (o.verify) j["equivalent"] = verified == 1;
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("before        and %zu depth %u\n", before.ands, before.depth);
  std::printf("after         and %zu depth %u  (%.2f s in ABC)\n", after.ands, after.depth, rs.seconds);
  if (o.verify) std::printf("cec           equivalent\n");
  std::printf("wrote         %s\n", o.out.c_str());
}

// ---- convert ----
struct convert_options {
  std::string in, out;
};
void run_convert(const convert_options& o) {
  aig g = read_circuit(o.in);
  write_circuit(g, o.out);
}

// ---- synth ----
struct synth_options {
  std::string table, out, verilog, script = "medium";
  unsigned deepsyn_seconds = 10;
  double timeout = 600;
  bool json = false;
};
void run_synth(const synth_options& o) {
  // Any Boolean data set: a .truth file gives every minterm; elsewhere unseen rows are don't-cares and
  // repeated rows vote (truth_tables_from_samples).
  data::dataset d = data::load_dataset(o.table);
  if (!d.boolean_inputs || d.kind != data::task_kind::binary)
    throw input_error(o.table, 0, "synth needs Boolean inputs and binary targets (a .truth or .pla table)");
  if (d.d_in > 20)
    throw input_error(o.table, 0, fmt::format("synth handles at most 20 inputs, the table has {}", d.d_in));
  std::vector<std::uint64_t> rows(d.n);
  std::vector<std::vector<bool>> labels(d.n, std::vector<bool>(d.d_out));
  for (std::size_t r = 0; r < d.n; ++r) {
    for (std::size_t i = 0; i < d.d_in; ++i)
      if (d.row(r)[i] > 0.5f) rows[r] |= std::uint64_t(1) << i;
    for (std::size_t k = 0; k < d.d_out; ++k) labels[r][k] = d.target(r)[k] > 0.5f;
  }
  auto tables = truth_tables_from_samples(unsigned(d.d_in), d.d_out, rows, labels);
  std::size_t cares = 0;
  for (const auto& t : tables) cares += t.care_count();
  synth_params p;
  p.abc_script = o.script == "none" ? std::string() : o.script;
  p.deepsyn_seconds = o.deepsyn_seconds;
  p.abc.timeout_s = o.timeout;
  synth_stats st;
  aig g = synthesize_truth_tables(tables, p, &st);
  write_circuit(g, o.out);
  if (!o.verilog.empty()) write_circuit(g, o.verilog);
  if (o.json) {
    nlohmann::json j = {{"file", o.table},    {"out", o.out},           {"inputs", d.d_in},
                        {"outputs", d.d_out}, {"care_minterms", cares}, {"ands", st.ands},
                        {"depth", st.depth},  {"winner", st.winner},    {"seconds", st.seconds},
                        {"script", o.script}};
    auto& c = j["candidates"] = nlohmann::json::object();
    for (const auto& [name, ands] : st.candidates) c[name] = ands;
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("inputs        %zu\n", d.d_in);
  std::printf("outputs       %zu\n", d.d_out);
  std::printf("care minterms %zu / %zu\n", cares, d.d_out * (std::size_t(1) << d.d_in));
  std::printf("and           %zu\n", st.ands);
  std::printf("depth         %u\n", st.depth);
  std::printf("winner        %s\n", st.winner.c_str());
  for (const auto& [name, ands] : st.candidates) std::printf("  %-12s %zu\n", name.c_str(), ands);
  std::printf("seconds       %.2f\n", st.seconds);
  std::printf("wrote         %s\n", o.out.c_str());
}

void setup(CLI::App& app) {
  auto* c = app.add_subcommand("circuit",
                               "AIG circuits: statistics, simulation, accuracy on data, ABC optimisation, "
                               "format conversion (.aag .aig .blif .v .pla)");
  c->require_subcommand(1);

  auto so = std::make_shared<stats_options>();
  auto* stats = c->add_subcommand("stats", "AND count (size), depth, {AND,OR,NOT} gate count, XOR-AIG count");
  stats->add_option("FILE", so->file, "Circuit (.aag, .aig, or .pla as a sum of products)")->required();
  stats->add_flag("--json", so->json, "Print JSON");
  stats->callback([so] { run_stats(*so); });

  auto mo = std::make_shared<sim_options>();
  auto* sim = c->add_subcommand(
      "sim", "Simulate: exhaustive truth tables (<= 20 inputs) or signatures on random patterns");
  sim->add_option("FILE", mo->file, "Circuit")->required();
  auto* pat = sim->add_option("--patterns", mo->patterns, "Random patterns (default 4096)")
                  ->check(CLI::Range(1ull, 1ull << 32));
  sim->add_option("--seed", mo->seed, "Seed of the random patterns");
  auto* ex = sim->add_flag("--exhaustive", mo->exhaustive,
                           "Print every output's truth table (hex, last minterm first)");
  ex->excludes(pat);
  sim->add_flag("--json", mo->json, "Print JSON");
  sim->callback([mo] { run_sim(*mo); });

  auto eo = std::make_shared<eval_options>();
  auto* ev = c->add_subcommand("eval", "AND count, depth and accuracy of a circuit on a Boolean data set");
  ev->add_option("FILE", eo->file, "Circuit")->required();
  ev->add_option("--data", eo->data, "Data set (.pla, or any file `occam data` reads)")->required();
  ev->add_flag("--json", eo->json, "Print JSON");
  ev->callback([eo] { run_eval(*eo); });

  auto oo = std::make_shared<opt_options>();
  auto* opt = c->add_subcommand("opt", "Optimise with Berkeley ABC (berkeley-abc on PATH, or $OCCAM_ABC)");
  opt->add_option("FILE", oo->file, "Circuit")->required();
  opt->add_option("--script", oo->script,
                  "fast (&st; &dc2), medium (resyn2), strong (resyn2; dc2; &deepsyn), or ABC commands "
                  "(aliases from share/abc/abc.rc)")
      ->capture_default_str();
  opt->add_option("--out", oo->out, "Output file (.aag .aig .blif .v .pla)")->required();
  opt->add_option("--timeout", oo->timeout, "Stop ABC after this many seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  opt->add_option("--deepsyn-time", oo->deepsyn_time, "Seconds for &deepsyn in the strong script")
      ->capture_default_str();
  opt->add_flag("--verify", oo->verify, "Check equivalence of the result with ABC's cec");
  opt->add_flag("--json", oo->json, "Print JSON");
  opt->callback([oo] { run_opt(*oo); });

  auto co = std::make_shared<convert_options>();
  auto* cv = c->add_subcommand(
      "convert", "Convert by extension: IN .aag .aig .pla; OUT .aag .aig .blif .v .pla (<= 16 inputs)");
  cv->add_option("IN", co->in, "Input circuit")->required();
  cv->add_option("OUT", co->out, "Output file")->required();
  cv->callback([co] { run_convert(*co); });

  auto yo = std::make_shared<synth_options>();
  auto* sy = c->add_subcommand(
      "synth",
      "Synthesise an AIG from a truth table (.truth; or a .pla / Boolean data set whose unseen rows are "
      "don't-cares), <= 20 inputs: ISOP and Shannon candidates, each through ABC, the smallest wins");
  sy->add_option("TABLE", yo->table, "Truth table (.truth, .pla, or any Boolean data set)")->required();
  sy->add_option("--out", yo->out, "Output circuit (.aag .aig .blif .v .pla)")->required();
  sy->add_option("--script", yo->script,
                 "ABC script after each candidate: none, fast (&st; &dc2), medium (resyn2), strong "
                 "(resyn2; dc2; &deepsyn), or ABC commands")
      ->capture_default_str();
  sy->add_option("--deepsyn-seconds", yo->deepsyn_seconds, "Seconds for &deepsyn in the strong script")
      ->capture_default_str();
  sy->add_option("--timeout", yo->timeout, "Stop each ABC run after this many seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sy->add_option("--verilog", yo->verilog, "Also write the circuit as Verilog");
  sy->add_flag("--json", yo->json, "Print JSON");
  sy->callback([yo] { run_synth(*yo); });
}

command reg{"50-circuit", setup};

}  // namespace
}  // namespace occam::cli
