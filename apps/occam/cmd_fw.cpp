// `occam fw`: Frank–Wolfe over Tetrakis circuit atoms (THEORY §9). Writes DIR/model.json + DIR/atoms/*.aag,
// DIR/circuit.aig (atoms + adder tree), DIR/metrics.jsonl (one line per iteration) and DIR/report.json.
// See docs/fw.md.
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_data.hpp"
#include "command.hpp"
#include "occam/circuit/io.hpp"
#include "occam/fw/fw.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"
#include "occam/util/progress.hpp"

namespace occam::cli {
namespace {

struct fw_options {
  data_options data;
  split_options split;
  unsigned levels = 2;
  unsigned max_gates = 3;
  std::vector<double> taus{1.0};
  unsigned iterations = 100;
  double gamma = 3.0;
  std::string oracle = "auto";
  unsigned exact_gates = 3;
  bool pairwise = false, no_away = false;
  unsigned fraction_bits = 16;
  unsigned input_bits = 10;
  unsigned output_fraction_bits = 16;
  std::string gauge = "real-to-bin";
  std::string out;
};

nlohmann::json errors(const fw::fw_model& m, const data::split& sp) {
  nlohmann::json j;
  auto put = [&](const char* name, const data::dataset& d) {
    if (d.n == 0) {
      j[name] = nullptr;
      return;
    }
    double mse = fw::mean_squared_error(m, d);
    j[name] = {{"mse", mse}, {"rmse", std::sqrt(mse)}, {"rows", d.n}};
  };
  put("train", sp.train);
  put("valid", sp.valid);
  put("test", sp.test);
  return j;
}

void run_fw(const fw_options& o) {
  if (o.out.empty()) throw input_error("--out DIR is required");
  if (o.levels < 1) throw input_error("--levels must be at least 1");
  if (o.taus.empty()) throw input_error("--tau needs at least one value");
  for (double t : o.taus)
    if (!(t > 0) || !std::isfinite(t))
      throw input_error(fmt::format("--tau values must be positive (got {})", t));
  if (!(o.gamma > 0) || !std::isfinite(o.gamma)) throw input_error("--gamma must be positive");
  fw::fw_params P;
  P.levels.clear();
  for (unsigned k = 1; k <= o.levels; ++k) P.levels.push_back(k);
  P.iterations = o.iterations;
  P.away_steps = !o.no_away;
  P.pairwise = o.pairwise;
  P.oracle.max_gates = o.max_gates;
  P.oracle.gamma = o.gamma;
  P.oracle.kind = fw::parse_oracle_kind(o.oracle);
  P.oracle.exact_gates = o.exact_gates;
  P.gauge = fw::parse_gauge_kind(o.gauge);
  P.input_bits = o.input_bits;
  if (o.input_bits < o.levels)
    throw input_error(
        fmt::format("--input-bits {} cannot address grid level {} (need --input-bits ≥ --levels)",
                    o.input_bits, o.levels));
  bool exact = P.oracle.kind == fw::oracle_kind::exact ||
               (P.oracle.kind == fw::oracle_kind::automatic && o.max_gates <= o.exact_gates);
  if (exact && o.max_gates > 5)
    throw input_error("the exact oracle handles --max-gates ≤ 5; use --oracle greedy");
  if (o.exact_gates > 5) throw input_error("--exact-gates must be ≤ 5");

  auto sp = load_split(o.data, o.split);
  if (sp.train.kind != data::task_kind::regression || sp.train.d_out != 1)
    throw input_error(sp.train.name, 0,
                      "occam fw needs regression data with one target column (--kind regression)");

  namespace fs = std::filesystem;
  const fs::path dir(o.out);
  std::string metrics;
  nlohmann::json runs = nlohmann::json::array();
  fw::fw_model best;
  double best_select = std::numeric_limits<double>::infinity();
  double best_tau = 0;
  const bool select_on_valid = sp.valid.n > 0;
  for (double tau : o.taus) {
    P.tau = tau;
    progress_bar bar(fmt::format("fw τ={}", tau), P.iterations);
    fw::fw_stats st;
    auto model = fw::frank_wolfe(sp.train, P, &st, [&](const fw::fw_iteration& it) {
      nlohmann::json j{{"tau", tau},
                       {"iteration", it.iteration},
                       {"objective", it.objective},
                       {"gap", it.gap},
                       {"atoms", it.atoms},
                       {"step", it.step},
                       {"step_size", it.step_size},
                       {"oracle_level", it.oracle_level},
                       {"oracle_gates", it.oracle_gates},
                       {"seconds", it.seconds}};
      metrics += j.dump() + "\n";
      bar.update(it.iteration + 1, fmt::format("L {:.4g} gap {:.3g}", it.objective, it.gap));
    });
    bar.finish();
    write_file_atomic(dir / "metrics.jsonl", metrics);
    nlohmann::json r{{"tau", tau},
                     {"final_objective", st.final_objective},
                     {"iterations", st.log.size()},
                     {"final_gap", st.log.empty() ? 0.0 : st.log.back().gap},
                     {"atoms", model.atoms.size()},
                     {"atom_gates", model.atom_gates()},
                     {"oracle_calls", st.oracle_calls},
                     {"seconds", st.seconds},
                     {"errors", errors(model, sp)}};
    double select = select_on_valid ? fw::mean_squared_error(model, sp.valid) : st.final_objective;
    fmt::print("τ = {}: train MSE {:.6g}{}, {} atoms ({} gates), final gap {:.3g}\n", tau, st.final_objective,
               select_on_valid ? fmt::format(", valid MSE {:.6g}", select) : std::string(),
               model.atoms.size(), model.atom_gates(), r["final_gap"].get<double>());
    runs.push_back(r);
    if (select < best_select) {
      best_select = select;
      best = std::move(model);
      best_tau = tau;
    }
  }
  fw::save_model(best, dir);
  fw::compile_params cp;
  cp.fraction_bits = o.fraction_bits;
  cp.input_bits = o.input_bits;
  cp.output_fraction_bits = o.output_fraction_bits;
  auto compiled = fw::compile_model(best, cp);
  circuit::write_circuit(compiled.circuit, dir / "circuit.aig");
  nlohmann::json report;
  report["command"] = "fw";
  report["data"] = sp.train.name;
  report["levels"] = P.levels;
  report["max_gates"] = o.max_gates;
  report["gamma"] = o.gamma;
  report["oracle"] = o.oracle;
  report["gauge"] = o.gauge;
  report["tau_selected"] = best_tau;
  report["selected_on"] = select_on_valid ? "valid" : "train";
  report["runs"] = runs;
  report["errors"] = errors(best, sp);
  report["atoms"] = best.atoms.size();
  report["atom_gates"] = best.atom_gates();
  report["circuit"] = {{"file", "circuit.aig"},
                       {"ands", compiled.ands},
                       {"inputs", compiled.circuit.num_pis()},
                       {"outputs", compiled.circuit.num_pos()},
                       {"levels", compiled.levels},
                       {"input_bits", compiled.input_bits},
                       {"output_fraction_bits", compiled.output_fraction_bits},
                       {"fraction_bits", compiled.fraction_bits},
                       {"quantisation_bound", compiled.quantisation_bound},
                       {"rounding_bound", compiled.rounding_bound},
                       {"vertex_sum_ands", compiled.vertex_sum_ands},
                       {"split",
                        {{"location", compiled.split.location},
                         {"sorting", compiled.split.sorting},
                         {"vertex_select", compiled.split.vertex_select},
                         {"vertex_circuits", compiled.split.vertex_circuits},
                         {"weighted_sum", compiled.split.weighted_sum}}}};
  write_file_atomic(dir / "report.json", report.dump(1) + "\n");
  auto e = report["errors"];
  fmt::print("selected τ = {} on {}: {} atoms, circuit {} ANDs; MSE train {:.6g}", best_tau,
             select_on_valid ? "validation" : "training", best.atoms.size(), compiled.ands,
             e["train"]["mse"].get<double>());
  if (!e["valid"].is_null()) fmt::print(", valid {:.6g}", e["valid"]["mse"].get<double>());
  if (!e["test"].is_null()) fmt::print(", test {:.6g}", e["test"]["mse"].get<double>());
  fmt::print("\nwrote {}/model.json, atoms/, circuit.aig, metrics.jsonl, report.json\n", o.out);
}

void setup(CLI::App& app) {
  auto o = std::make_shared<fw_options>();
  auto* c = app.add_subcommand("fw", "Frank–Wolfe over Tetrakis circuit atoms (THEORY §9)");
  o->data.add_to(c);
  o->split.add_to(c);
  c->add_option("--levels,-K", o->levels, "Mix the atoms of grid levels k = 1..K")
      ->capture_default_str()
      ->check(CLI::Range(1, 20));
  c->add_option("--max-gates,-s", o->max_gates, "Largest atom circuit (AND nodes)")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  c->add_option("--tau", o->taus, "Radius τ of τ·conv(A); a comma list is tried and chosen on validation")
      ->delimiter(',')
      ->capture_default_str();
  c->add_option("--iters,-T", o->iterations, "Frank–Wolfe iterations")->capture_default_str();
  c->add_option("--gamma", o->gamma, "ν(C) = (1 + cost(C))^(1/γ)")->capture_default_str();
  c->add_option("--gauge", o->gauge,
                "Atom cost in ν: gates (|C|) | real-to-bin ((d+1)|C| + the location cost of Prop 7)")
      ->check(CLI::IsMember({"gates", "real-to-bin"}))
      ->capture_default_str();
  c->add_option("--oracle", o->oracle, "exact | greedy | auto (exact when --max-gates ≤ --exact-gates)")
      ->check(CLI::IsMember({"exact", "greedy", "auto"}))
      ->capture_default_str();
  c->add_option("--exact-gates", o->exact_gates, "Gate bound of the exact search inside the greedy oracle")
      ->capture_default_str();
  c->add_flag("--pairwise", o->pairwise, "Pairwise steps instead of away steps");
  c->add_flag("--no-away", o->no_away, "Plain Frank–Wolfe steps only");
  c->add_option("--fraction-bits", o->fraction_bits, "Weights of the compiled circuit: multiples of 2^-b")
      ->capture_default_str()
      ->check(CLI::Range(0, 40));
  c->add_option("--input-bits", o->input_bits,
                "Bits per real input coordinate of the compiled circuit (and of the real-to-bin gauge)")
      ->capture_default_str()
      ->check(CLI::Range(1, 40));
  c->add_option("--output-fraction-bits", o->output_fraction_bits,
                "The compiled circuit's output word counts units of 2^-p")
      ->capture_default_str()
      ->check(CLI::Range(0, 60));
  c->add_option("--out,-o", o->out, "Output directory")->required();
  c->callback([o] { run_fw(*o); });
}

const command reg{"45-fw", setup};

}  // namespace
}  // namespace occam::cli
