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
          {"penalty", complexity::to_string(P.penalty)},
          {"proximal", P.proximal},
          {"lambdas", P.lambdas},
          {"prune", complexity::to_string(P.prune_method)},
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

/// What ε means in this run (THEORY §4, fit.hpp l2_distance), for report.json and report.md.
std::string epsilon_definition(task_kind k, std::size_t outputs) {
  if (k == task_kind::regression)
    return fmt::format("validation L2(pi) distance eps = sqrt(E_x ||C(x) - y||^2) = sqrt({}) * RMSE",
                       outputs);
  if (k == task_kind::multiclass)
    return "validation L2(pi) distance between +-1 one-hot class vectors: eps = 2 sqrt(2 err), err = "
           "misclassified rows";
  return fmt::format(
      "validation L2(pi) distance between +-1-valued outputs: eps = 2 sqrt(m err), m = {} output bit(s), "
      "err = mean misclassified bits (1 - accuracy)",
      outputs);
}

std::string rate_sentence(const report::rate_fit& f) {
  if (f.valid)
    return fmt::format("γ̂ = {:.3f} ({:.0f}% CI [{:.3f}, {:.3f}], {} points, R² = {:.3f})", f.gamma,
                       100 * f.confidence, f.gamma_lo, f.gamma_hi, f.n, f.r2);
  if (f.status == report::rate_fit_status::equal_errors)
    return fmt::format("no rate fit: all errors equal ({} front points with ε > 0, s > 0)", f.n);
  return fmt::format(
      "no rate fit: too few points ({} front point{} with ε > 0 and s > 0; a fit with an interval "
      "needs at least 3)",
      f.n, f.n == 1 ? "" : "s");
}

}  // namespace

double l2_distance(task_kind kind, std::size_t outputs, double error) {
  // THEORY §4, fit.hpp: ±1-valued outputs differ by 2 where they differ.
  const double e = std::max(0.0, error);
  if (kind == task_kind::regression) return std::sqrt(double(std::max<std::size_t>(1, outputs))) * e;
  if (kind == task_kind::multiclass) return 2.0 * std::sqrt(2.0 * e);
  return 2.0 * std::sqrt(double(std::max<std::size_t>(1, outputs)) * e);
}

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
  const std::size_t m = sp.train.d_out;
  j["epsilon"] = epsilon_definition(R.kind, m);
  j["rate"] = report::to_json(R.rate);
  j["rate"]["scale"] = "L2";
  j["c_gamma"] = {
      {"gamma", P.gamma},
      {"value", R.c_gamma},
      {"description",
       "max_k eps_k s_k^(1/gamma) over the front: bounds eps*C(f,eps)^(1/gamma) at the measured eps_k "
       "only, not the HTMC norm"}};
  j["htmc_bound_on_range"] = report::to_json(R.htmc);
  j["htmc_bound_on_range"]["description"] =
      "sup of eps*C(f,eps)^(1/gamma) over the measured range [eps_lo, eps_hi] is at most value (THEORY §4); "
      "f = the validation labels, pi = the validation rows; nothing is claimed outside the range";
  if (!R.selected_inputs.empty())
    j["selection"] = {{"inputs", R.selected_inputs},
                      {"loo_accuracy", R.selection_loo_accuracy},
                      {"seconds", R.selection_seconds}};
  if (R.chosen >= 0) {
    const auto& c = R.candidates[std::size_t(R.chosen)];
    j["chosen"] = to_json(c);
    j["chosen"]["inputs"] = R.circuit.num_pis();
    j["chosen"]["outputs"] = R.circuit.num_pos();
    j["chosen"]["valid_l2"] = l2_distance(R.kind, m, c.valid_error);
    if (R.kind != task_kind::regression) j["chosen"]["valid_classification_error"] = c.valid_error;
    if (R.pac_valid) j["chosen"]["pac_bound"] = report::to_json(R.pac);
  } else {
    j["chosen"] = nullptr;
  }

  // Plot: every compiled circuit, the front and its fitted line (THEORY §4). A run never fails on its own
  // plot: when no point can be drawn (log axes need ε > 0 and s > 0) or gnuplot fails, the report says so.
  std::vector<std::string> plot_files;
  std::string plot_note;
  if (P.plots && report::gnuplot_available() && !R.points.empty()) {
    std::vector<report::plot_series> series;
    series.push_back({"all circuits", R.points, false, nullptr});
    series.push_back({"Pareto front", R.front, true, R.rate.valid ? &R.rate : nullptr});
    report::plot_params pp;
    pp.title = fmt::format("occam fit: {} (validation)", sp.train.name);
    pp.x_label = "validation L2(π) distance ε";
    if (report::plottable_points(series, pp) == 0) {
      plot_note =
          "no plot: every measured circuit has ε = 0 (exact on the validation rows) or 0 AND nodes, "
          "which log axes cannot show";
    } else {
      try {
        for (auto& f : report::plot_size_vs_error(out / "size_vs_error", series, pp))
          plot_files.push_back(f.string());
      } catch (const input_error& e) {
        plot_note = std::string("no plot: ") + e.what();
      }
    }
  }
  j["plots"] = plot_files;
  if (!plot_note.empty()) j["plot_note"] = plot_note;
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
      P.shape.depth, complexity::to_string(P.penalty), P.proximal ? " (proximal)" : "",
      fmt::join(P.lambdas, ", "), complexity::to_string(P.prune_method), fmt::join(P.keep_fractions, ", "),
      P.finetune_epochs, fmt::join(P.bits, ", "), P.abc_script, P.final_abc_script, R.seconds);
  if (R.chosen >= 0) {
    const auto& c = R.candidates[std::size_t(R.chosen)];
    md << "## Chosen circuit\n\n";
    md << fmt::format(
        "`{}`: **{} AND nodes**, depth {}, {} of {} inputs used. Validation {} {:.4f}, test {} {}.\n",
        c.label, c.ands, c.depth, c.support, R.circuit.num_pis(), metric_name(R.kind), c.valid_metric,
        metric_name(R.kind), opt_metric(c.test_metric));
    if (P.max_ands) md << fmt::format("Budget: ≤ {} AND nodes.\n", P.max_ands);
    if (R.kind != task_kind::regression)
      md << fmt::format("Validation L2(π) distance ε = {:.4f} (classification error {:.4f}).\n",
                        l2_distance(R.kind, m, c.valid_error), c.valid_error);
    else
      md << fmt::format("Validation L2(π) distance ε = {:.4f}.\n", l2_distance(R.kind, m, c.valid_error));
    if (R.pac_valid) {
      const auto& b = R.pac;
      md << fmt::format(
          "\nPAC bound (THEORY §5, {} loss, δ = {} split over sizes: δ_s = δ/((s+1)(s+2)) = {:.3g}): "
          "count = {} with s = {}, n = {} inputs, m = {} outputs: log N_s = {:.1f} (closed form log K_s = "
          "{:.1f}; the "
          "paper's log (3(s+n)²)^s = {:.1f} {} it); ℓ = log N_s + log(1/δ_s) = {:.1f}. ",
          b.loss, b.delta, b.delta_s, b.count, b.size, b.inputs, b.outputs, b.log_k, b.log_k_bound,
          b.log_k_paper, b.paper_covers ? "covers" : "does not cover", b.ell);
      if (b.loss == "squared")
        md << fmt::format(
            "Training MSE {:.4g} on {} rows, loss ≤ B² = (F + Y)² = ({:.4g} + {:.4g})² (F: the circuit's "
            "output range, Y: the largest |target| in training, assumed to bound the targets) → MSE ≤ "
            "{:.4g}, RMSE ≤ {:.4g}{}.\n",
            b.empirical, b.samples, b.output_bound, b.target_bound, b.bound, b.rmse_bound,
            b.bound >= b.loss_bound ? " (vacuous)" : "");
      else
        md << fmt::format(
            "Training error {:.4f} on {} rows → risk ≤ {:.4f}{}.\n", b.empirical, b.samples, b.bound,
            b.bound >= b.loss_bound ? " (vacuous: the circuit has too many nodes for this many samples)"
                                    : "");
    }
    md << (R.model.U.defined()
               ? "\nFiles: `circuit.aig`, `circuit.v`, `model.occam` (the pruned float network), "
                 "`report.json`, "
                 "`points.csv`.\n\n"
               : "\nFiles: `circuit.aig`, `circuit.v` (the chosen circuit comes from a route without a "
                 "network), "
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
  md << "ε = " << epsilon_definition(R.kind, m) << ".\n\n";
  md << "Rate on the front (L2 scale): " << rate_sentence(R.rate) << ".\n\n";
  if (R.htmc.valid)
    md << fmt::format(
        "HTMC bound on the measured range (γ = {}): sup over ε ∈ [{:.4g}, {:.4g}]{} of ε · C(f, ε)^(1/γ) ≤ "
        "{:.4g} ({} front point(s); f = the validation labels; nothing is claimed outside the range). "
        "ĉ_γ = max_k ε_k s_k^(1/γ) = {:.4g} bounds it at the measured ε_k only.\n\n",
        P.gamma, R.htmc.eps_lo, R.htmc.eps_hi, R.htmc.to_infinity ? " (and beyond: a 0-AND circuit)" : "",
        R.htmc.value, R.htmc.points, R.c_gamma);
  if (!plot_note.empty()) md << plot_note << ".\n\n";
  for (auto& f : plot_files)
    if (fs::path(f).extension() == ".png")
      md << fmt::format("![size vs error]({})\n\n", fs::path(f).filename().string());
  if (R.kind == task_kind::regression)
    md << "| circuit | route | ANDs | depth | validation L2 ε | validation RMSE | test RMSE |\n"
          "|---|---|---|---|---|---|---|\n";
  else
    md << "| circuit | route | ANDs | depth | validation L2 ε | validation classification error | validation "
          "accuracy | test accuracy |\n|---|---|---|---|---|---|---|---|\n";
  for (const auto& p : R.front) {
    for (const auto& c : R.candidates)
      if (c.compiled && c.label == p.label) {
        if (R.kind == task_kind::regression)
          md << fmt::format("| {} | {} | {} | {} | {:.4f} | {:.4f} | {} |\n", c.label, c.route, c.ands,
                            c.depth, p.error, c.valid_metric, opt_metric(c.test_metric));
        else
          md << fmt::format("| {} | {} | {} | {} | {:.4f} | {:.4f} | {:.4f} | {} |\n", c.label, c.route,
                            c.ands, c.depth, p.error, c.valid_error, c.valid_metric,
                            opt_metric(c.test_metric));
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
