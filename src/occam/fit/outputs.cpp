// occam fit's output files (report.json, report.md, points.csv, plots, circuit.aig/.v, model.occam) and
// `occam fit --exact` (a complete truth table → an exactly correct circuit). See docs/fit.md.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "occam/circuit/io.hpp"
#include "occam/circuit/simulate.hpp"
#include "occam/fit/fit.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::fit {
namespace fs = std::filesystem;
using json = nlohmann::json;
using data::task_kind;

namespace {

json data_summary(const data::split& sp) {
  return {{"name", sp.train.name},
          {"kind", data::to_string(sp.train.kind)},
          {"inputs", sp.train.d_in},
          {"outputs", sp.train.model_outputs()},
          {"boolean_inputs", sp.train.boolean_inputs},
          {"train_rows", sp.train.n},
          {"valid_rows", sp.valid.n},
          {"test_rows", sp.test.n}};
}

json params_summary(const fit_params& P) {
  return {{"width", P.shape.width},
          {"hidden", P.shape.hidden},
          {"depth", P.shape.depth},
          {"epochs", P.train.epochs},
          {"lr", P.train.lr},
          {"batch", P.train.batch},
          {"seed", P.train.seed},
          {"device", P.train.device},
          {"penalty", P.penalty},
          {"proximal", P.proximal},
          {"lambdas", P.lambdas},
          {"prune", P.prune_method},
          {"keep", P.keep_fractions},
          {"finetune_epochs", P.finetune_epochs},
          {"bits", P.bits},
          {"input_bits", P.input_bits},
          {"abc_script", P.abc_script},
          {"final_abc_script", P.final_abc_script},
          {"max_compile", P.max_compile},
          {"max_ands", P.max_ands},
          {"tolerance", P.tolerance},
          {"truth_table_route", P.truth_table_route},
          {"truth_table_max_inputs", P.truth_table_max_inputs},
          {"input_budgets", P.input_budgets},
          {"selection_inputs", P.selection_inputs},
          {"table_route", P.table_route},
          {"float_truth_table", P.float_truth_table},
          {"lut_inputs", P.lut_inputs},
          {"gamma", P.gamma},
          {"delta", P.delta}};
}

std::string metric_name(task_kind k) {
  return k == task_kind::regression ? "RMSE" : "accuracy";
}

std::string opt_metric(double v) {
  return std::isnan(v) ? std::string("–") : fmt::format("{:.4f}", v);
}

}  // namespace

nlohmann::json to_json(const fit_candidate& c) {
  json j = {{"label", c.label},
            {"route", c.route},
            {"stage", c.stage},
            {"lambda", c.lambda},
            {"keep", c.keep},
            {"inputs", c.input_budget},
            {"nonzero", c.nonzero},
            {"bits", c.bits},
            {"ands", c.ands},
            {"depth", c.depth},
            {"support", c.support},
            {"valid_metric", c.valid_metric},
            {"valid_error", c.valid_error},
            {"train_error", c.train_error},
            {"ands_generated", c.ands_generated},
            {"compiled", c.compiled},
            {"abc_skipped", c.abc_skipped},
            {"seconds", c.seconds}};
  j["test_metric"] = std::isnan(c.test_metric) ? json(nullptr) : json(c.test_metric);
  return j;
}

std::vector<std::string> write_fit_report(const fit_result& R, const data::split& sp, const fit_params& P) {
  const fs::path out = P.out_dir;
  fs::create_directories(out);
  std::vector<std::string> files;
  auto wrote = [&](const fs::path& p) { files.push_back(p.string()); };

  if (R.chosen >= 0) {
    circuit::write_circuit(R.circuit, out / "circuit.aig");
    wrote(out / "circuit.aig");
    circuit::write_circuit(R.circuit, out / "circuit.v");
    wrote(out / "circuit.v");
    if (R.model.U.defined()) {  // table routes have no network
      nn::save_model(R.model, (out / "model.occam").string());
      wrote(out / "model.occam");
    }
  }
  report::write_points_csv(out / "points.csv", R.points);
  wrote(out / "points.csv");

  json j;
  j["data"] = data_summary(sp);
  j["params"] = params_summary(P);
  j["metric"] = metric_name(R.kind);
  j["seconds"] = R.seconds;
  j["candidates"] = json::array();
  for (const auto& c : R.candidates) j["candidates"].push_back(to_json(c));
  j["front"] = json::array();
  for (const auto& p : R.front) j["front"].push_back(report::to_json(p));
  j["rate"] = report::to_json(R.rate);
  j["c_gamma"] = {{"gamma", P.gamma}, {"value", R.c_gamma}};
  if (!R.selected_inputs.empty())
    j["selection"] = {{"inputs", R.selected_inputs},
                      {"loo_accuracy", R.selection_loo_accuracy},
                      {"seconds", R.selection_seconds}};
  if (R.chosen >= 0) {
    const auto& c = R.candidates[std::size_t(R.chosen)];
    j["chosen"] = to_json(c);
    j["chosen"]["inputs"] = R.circuit.num_pis();
    j["chosen"]["outputs"] = R.circuit.num_pos();
    if (R.kind != task_kind::regression) j["chosen"]["pac_bound"] = report::to_json(R.pac);
  } else {
    j["chosen"] = nullptr;
  }

  // Plot: every compiled circuit, the front and its fitted line (THEORY §4).
  std::vector<std::string> plot_files;
  if (P.plots && report::gnuplot_available() && !R.points.empty()) {
    std::vector<report::plot_series> series;
    series.push_back({"all circuits", R.points, false, nullptr});
    series.push_back({"Pareto front", R.front, true, R.rate.valid ? &R.rate : nullptr});
    report::plot_params pp;
    pp.title = fmt::format("occam fit: {} (validation)", sp.train.name);
    pp.x_label = R.kind == task_kind::regression ? "validation RMSE ε" : "validation error ε = 1 − accuracy";
    for (auto& f : report::plot_size_vs_error(out / "size_vs_error", series, pp))
      plot_files.push_back(f.string());
  }
  j["plots"] = plot_files;
  write_file_atomic(out / "report.json", j.dump(2) + "\n");
  wrote(out / "report.json");

  std::ostringstream md;
  md << "# occam fit report\n\n";
  md << fmt::format("Data: `{}` ({}, {} inputs{}, {} outputs); rows train {} / validation {} / test {}.\n\n",
                    sp.train.name, data::to_string(sp.train.kind), sp.train.d_in,
                    sp.train.boolean_inputs ? " Boolean" : "", sp.train.model_outputs(), sp.train.n,
                    sp.valid.n, sp.test.n);
  md << fmt::format(
      "Pipeline: ResNet w={} k={} L={}, {} penalty{} along λ = [{}], {} pruning keeping [{}] of the weights "
      "(+{} fine-tuning epochs), bit widths [{}], ABC `{}` per candidate and `{}` for the chosen one. "
      "{:.1f} s in total.\n\n",
      P.shape.width ? P.shape.width : std::max<std::int64_t>(std::int64_t(sp.train.d_in), 16), P.shape.hidden,
      P.shape.depth, P.penalty, P.proximal ? " (proximal)" : "", fmt::join(P.lambdas, ", "), P.prune_method,
      fmt::join(P.keep_fractions, ", "), P.finetune_epochs, fmt::join(P.bits, ", "), P.abc_script,
      P.final_abc_script, R.seconds);
  if (R.chosen >= 0) {
    const auto& c = R.candidates[std::size_t(R.chosen)];
    md << "## Chosen circuit\n\n";
    md << fmt::format(
        "`{}`: **{} AND nodes**, depth {}, {} of {} inputs used. Validation {} {:.4f}, test {} {}.\n",
        c.label, c.ands, c.depth, c.support, R.circuit.num_pis(), metric_name(R.kind), c.valid_metric,
        metric_name(R.kind), opt_metric(c.test_metric));
    if (P.max_ands) md << fmt::format("Budget: ≤ {} AND nodes.\n", P.max_ands);
    if (R.kind != task_kind::regression)
      md << fmt::format(
          "\nPAC bound (THEORY §5, δ = {}): training error {:.4f} on {} rows, ℓ = {:.1f} → risk ≤ "
          "{:.4f}{}.\n",
          P.delta, c.train_error, sp.train.n, R.pac.ell, R.pac.bound,
          R.pac.bound >= 1 ? " (vacuous: the circuit has too many nodes for this many samples)" : "");
    md << (R.model.U.defined()
               ? "\nFiles: `circuit.aig`, `circuit.v`, `model.occam` (the pruned float network), "
                 "`report.json`, "
                 "`points.csv`.\n\n"
               : "\nFiles: `circuit.aig`, `circuit.v` (a lookup table over the selected inputs: no network), "
                 "`report.json`, `points.csv`.\n\n");
  } else {
    md << "## No circuit fits the budget\n\n";
  }
  if (!R.selected_inputs.empty())
    md << fmt::format(
        "Input selection (greedy leave-one-out lookup tables, docs/select.md): inputs [{}] in selection "
        "order, "
        "leave-one-out training accuracy {:.4f}, {:.1f} s.\n\n",
        fmt::join(R.selected_inputs, ", "), R.selection_loo_accuracy, R.selection_seconds);
  md << "## Size against error (THEORY §4)\n\n";
  if (R.rate.valid)
    md << fmt::format(
        "Fitted rate on the front: γ̂ = {:.3f} ({:.0f}% CI [{:.3f}, {:.3f}], {} points, R² = {:.3f}); "
        "ĉ_γ = {:.4g} for γ = {}.\n\n",
        R.rate.gamma, 95.0, R.rate.gamma_lo, R.rate.gamma_hi, R.rate.n, R.rate.r2, R.c_gamma, P.gamma);
  else
    md << "Too few front points with ε > 0 for a rate fit.\n\n";
  for (auto& f : plot_files)
    if (fs::path(f).extension() == ".png")
      md << fmt::format("![size vs error]({})\n\n", fs::path(f).filename().string());
  md << "| circuit | route | ANDs | depth | validation " << metric_name(R.kind) << " | test "
     << metric_name(R.kind) << " |\n|---|---|---|---|---|---|\n";
  for (const auto& p : R.front) {
    for (const auto& c : R.candidates)
      if (c.compiled && c.label == p.label) {
        md << fmt::format("| {} | {} | {} | {} | {:.4f} | {} |\n", c.label, c.route, c.ands, c.depth,
                          c.valid_metric, opt_metric(c.test_metric));
        break;
      }
  }
  write_file_atomic(out / "report.md", md.str());
  wrote(out / "report.md");
  for (auto& f : plot_files) files.push_back(f);
  return files;
}

// -----------------------------------------------------------------------------------------------------------

exact_result fit_exact(const data::dataset& d, const exact_params& params) {
  const auto t0 = std::chrono::steady_clock::now();
  if (!d.boolean_inputs)
    throw input_error(d.name, 0, "--exact needs Boolean inputs (a truth table or a complete PLA)");
  if (d.kind != task_kind::binary) throw input_error(d.name, 0, "--exact needs binary targets");
  if (d.d_in > 20)
    throw input_error(d.name, 0, fmt::format("--exact handles at most 20 inputs, not {}", d.d_in));
  const unsigned n = unsigned(d.d_in);
  const std::uint64_t rows = std::uint64_t(1) << n;
  if (d.n != rows)
    throw input_error(
        d.name, 0,
        fmt::format("--exact needs every one of the 2^{} = {} input rows exactly once; the data has {} rows",
                    n, rows, d.n));
  std::vector<circuit::truth_table> tts(d.d_out, circuit::truth_table::constant(n, false));
  std::vector<char> seen(rows, 0);
  for (std::size_t r = 0; r < d.n; ++r) {
    std::uint64_t m = 0;
    for (unsigned i = 0; i < n; ++i)
      if (d.x[r * d.d_in + i] > 0.5f) m |= std::uint64_t(1) << i;
    if (seen[m]) throw input_error(d.name, r + 1, fmt::format("input row {} appears twice", m));
    seen[m] = 1;
    for (std::size_t o = 0; o < d.d_out; ++o) tts[o].set(m, d.y[r * d.d_out + o] > 0.5f);
  }
  exact_result R;
  R.inputs = n;
  R.outputs = d.d_out;
  circuit::synth_params sp = params.synth;
  sp.verify = true;
  R.circuit = circuit::synthesize_truth_tables(tts, sp, &R.stats);
  // Independent check: the exhaustive truth tables of the returned AIG equal the data, row for row.
  auto got = circuit::truth_tables(R.circuit);
  R.verified = got.size() == d.d_out;
  for (std::size_t o = 0; R.verified && o < d.d_out; ++o)
    for (std::uint64_t m = 0; m < rows; ++m)
      if ((((got[o][m / 64]) >> (m % 64)) & 1u) != std::uint64_t(tts[o].value(m))) {
        R.verified = false;
        break;
      }
  if (!R.verified)
    throw std::logic_error("fit --exact: the synthesised circuit disagrees with the truth table");
  R.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!params.out_dir.empty()) {
    const fs::path out = params.out_dir;
    fs::create_directories(out);
    circuit::write_circuit(R.circuit, out / "circuit.aig");
    circuit::write_circuit(R.circuit, out / "circuit.v");
    auto st = circuit::statistics(R.circuit);
    json cand = json::object();
    for (auto& [name, ands] : R.stats.candidates) cand[name] = ands;
    json j = {{"data", d.name},         {"inputs", n},
              {"outputs", d.d_out},     {"exact", true},
              {"verified", R.verified}, {"ands", st.ands},
              {"depth", st.depth},      {"winner", R.stats.winner},
              {"candidates", cand},     {"abc_script", sp.abc_script},
              {"seconds", R.seconds}};
    write_file_atomic(out / "report.json", j.dump(2) + "\n");
    write_file_atomic(
        out / "report.md",
        fmt::format("# occam fit --exact\n\n`{}`: {} inputs, {} outputs → **{} AND nodes**, depth {} "
                    "(winner: {}; ABC `{}`), verified on all {} rows. {:.1f} s.\n",
                    d.name, n, d.d_out, st.ands, st.depth, R.stats.winner, sp.abc_script, rows, R.seconds));
    for (const char* f : {"circuit.aig", "circuit.v", "report.json", "report.md"})
      R.files.push_back((out / f).string());
  }
  return R;
}

}  // namespace occam::fit
