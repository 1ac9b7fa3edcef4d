// occam fit: the main job — data → ResNet with a complexity penalty → pruning → quantisation → circuit → ABC
// → report (THEORY §1–5), or --exact: a complete truth table → an exactly correct circuit. See docs/fit.md.
#include <fmt/format.h>

#include <memory>
#include <optional>

#include "cli_choices.hpp"
#include "cli_data.hpp"
#include "cli_resume.hpp"
#include "command.hpp"
#include "occam/fit/fit.hpp"
#include "occam/nn/train.hpp"
#include "occam/util/dir_lock.hpp"
#include "occam/util/error.hpp"

namespace occam::cli {
namespace {

/// The built-in task `occam fit` runs when no data is given.
constexpr const char* default_task = "adder-msb:6";

struct fit_options {
  data_options data;
  split_options split;
  fit::fit_params fit;
  std::string optimizer = "adam";
  bool exact = false;
  std::string exact_script = "strong";
  bool no_prox = false;
};

void print_fit(const fit::fit_result& R, const fit::fit_params& P) {
  const bool reg = R.kind == data::task_kind::regression;
  const char* metric = reg ? "RMSE" : "acc";
  fmt::print("{:<34} {:>8} {:>6} {:>10} {:>10}\n", "Pareto front (validation)", "ANDs", "depth",
             fmt::format("valid {}", metric), fmt::format("test {}", metric));
  for (const auto& p : R.front)
    for (const auto& c : R.candidates)
      if (c.compiled && c.label == p.label) {
        fmt::print("{:<34} {:>8} {:>6} {:>10.4f} {:>10}\n", c.label, c.ands, c.depth, c.valid_metric,
                   std::isnan(c.test_metric) ? std::string("-") : fmt::format("{:.4f}", c.test_metric));
        break;
      }
  if (R.rate.valid)
    fmt::print("rate on the front (L2 scale): gamma = {:.3f} [{:.3f}, {:.3f}] ({} points)\n", R.rate.gamma,
               R.rate.gamma_lo, R.rate.gamma_hi, R.rate.n);
  else
    fmt::print("rate on the front: {} ({} points with eps > 0, s > 0)\n", report::to_string(R.rate.status),
               R.rate.n);
  if (R.htmc.valid)
    fmt::print(
        "HTMC bound on [{:.4g}, {:.4g}] (gamma = {}): {:.4g}; c_gamma at the measured points: {:.4g}\n",
        R.htmc.eps_lo, R.htmc.eps_hi, P.gamma, R.htmc.value, R.c_gamma);
  if (R.chosen < 0) {
    fmt::print("no compiled circuit has at most {} AND nodes\n", P.max_ands);
    return;
  }
  const auto& c = R.candidates[std::size_t(R.chosen)];
  fmt::print("chosen: {} — {} AND nodes, depth {}, validation {} {:.4f}", c.label, c.ands, c.depth, metric,
             c.valid_metric);
  if (!std::isnan(c.test_metric)) fmt::print(", test {} {:.4f}", metric, c.test_metric);
  fmt::print("\n");
  if (R.pac_valid)
    fmt::print(
        "PAC bound (THEORY §5, {} loss, delta = {}, delta_s = {:.3g}, log N_s = {:.1f}): {} <= {:.4f}\n",
        R.pac.loss, P.delta, R.pac.delta_s, R.pac.log_k, reg ? "MSE" : "risk", R.pac.bound);
  fmt::print("{:.1f} s; wrote {}/{{circuit.aig,circuit.v,{}report.json,report.md,points.csv}}\n", R.seconds,
             P.out_dir, R.model.U.defined() ? "model.occam," : "");
}

void run_fit(fit_options& o) {
  if (!o.data.has_data()) o.data.task = default_task;
  if (o.fit.out_dir.empty()) throw input_error("--out DIR must not be empty");
  if (o.exact) {
    auto d = o.data.load();
    fit::exact_params ep;
    ep.synth = o.fit.synth;
    ep.synth.abc_script = o.exact_script == "none" ? std::string() : o.exact_script;
    ep.out_dir = o.fit.out_dir;
    auto R = fit::fit_exact(d, ep);
    auto st = circuit::statistics(R.circuit);
    fmt::print(
        "{}: {} inputs, {} outputs -> {} AND nodes, depth {} (winner {}), exact on all {} rows, {:.1f} s\n",
        d.name, R.inputs, R.outputs, st.ands, st.depth, R.stats.winner, d.n, R.seconds);
    fmt::print("wrote {}/{{circuit.aig,circuit.v,report.json,report.md}}\n", o.fit.out_dir);
    return;
  }
  auto sp = load_split(o.data, o.split);
  o.fit.train.optimizer = o.optimizer == "sgd" ? nn::optimizer_kind::sgd : nn::optimizer_kind::adam;
  o.fit.proximal = !o.no_prox;
  o.fit.init.seed = o.fit.train.seed;
  nn::set_threads(o.fit.train.threads);
  auto R = fit::fit(sp, o.fit);
  print_fit(R, o.fit);
}

void setup(CLI::App& app) {
  auto o = std::make_shared<fit_options>();
  o->split.test_fraction = 0.2;
  o->fit.train.epochs = 40;
  o->fit.train.batch = 64;
  o->fit.train.lr = 3e-3;
  o->fit.train.seed = 1;
  o->fit.out_dir = "runs/fit";
  auto& P = o->fit;
  auto* c = app.add_subcommand(
      "fit", fmt::format("The main job: data → penalised ResNet → prune → quantise → circuit → ABC → report "
                         "(default: the built-in task {})",
                         default_task));
  o->data.add_to(c);
  o->split.add_to(c);
  c->add_option("--out,-o", P.out_dir, "Output directory")->capture_default_str();
  c->add_flag("--resume", P.resume,
              "Reuse the finished stages, pruned networks and compiled circuits in --out");
  // Network and training.
  c->add_option("--width,-w", P.shape.width, "Residual width w ≥ d_in (default max(d_in, 16))");
  c->add_option("--hidden,-k", P.shape.hidden, "Hidden units per block")->capture_default_str();
  c->add_option("--depth,-L", P.shape.depth, "Residual blocks")->capture_default_str();
  c->add_option("--epochs,-e", P.train.epochs, "Epochs per λ stage")->capture_default_str();
  c->add_option("--batch,-b", P.train.batch, "Minibatch size")->capture_default_str();
  c->add_option("--lr", P.train.lr, "Learning rate")->capture_default_str();
  c->add_option("--optimizer", o->optimizer, "adam|sgd")
      ->check(CLI::IsMember({"adam", "sgd"}))
      ->capture_default_str();
  c->add_option("--seed,-s", P.train.seed, "Seed (initialisation, minibatches, pruning)")
      ->capture_default_str();
  c->add_option("--threads,-t", P.train.threads, "CPU threads (0: libtorch default)");
  c->add_option("--device,-d", P.train.device, "cpu|cuda|cuda:N (training; compilation runs on the CPU)")
      ->capture_default_str();
  c->add_flag("--progress,!--no-progress", P.train.progress, "Progress bars on a terminal (default on)");
  c->add_option("--penalty", P.penalty, "none|l1|l2|rtilde|r (THEORY §3)")
      ->transform(penalty_choices())
      ->default_str(complexity::to_string(P.penalty));
  c->add_option("--lambdas", P.lambdas, "λ path, trained in order with warm starts")
      ->delimiter(',')
      ->capture_default_str();
  c->add_flag("--no-prox", o->no_prox, "Subgradient penalty steps instead of proximal soft-thresholding");
  // Pruning and quantisation.
  c->add_option("--prune", P.prune_method, "magnitude|poisson (THEORY §2)")
      ->transform(prune_method_choices())
      ->default_str(complexity::to_string(P.prune_method));
  c->add_option("--keep", P.keep_fractions, "Fractions of the non-zero weights kept")
      ->delimiter(',')
      ->capture_default_str();
  c->add_option("--finetune-epochs", P.finetune_epochs, "Masked fine-tuning epochs after pruning")
      ->capture_default_str();
  c->add_option("--bits", P.bits, "Weight/activation bit widths tried")
      ->delimiter(',')
      ->capture_default_str();
  c->add_option("--input-bits", P.input_bits, "Bits per real input coordinate")->capture_default_str();
  // Circuits.
  c->add_option("--abc", P.abc_script, "ABC script per candidate: fast|medium|strong|'' or a command line")
      ->capture_default_str();
  c->add_option("--final-abc", P.final_abc_script, "ABC script for the chosen circuit")
      ->capture_default_str();
  c->add_option("--max-compile", P.max_compile, "Candidates run through ABC (spread along the front)")
      ->capture_default_str();
  c->add_option("--max-ands", P.max_ands,
                "Budget: choose the best validation circuit with ≤ N AND nodes (0: none)");
  c->add_option("--tolerance", P.tolerance,
                "Choose the smallest circuit within this of the best validation error")
      ->capture_default_str();
  c->add_flag("!--no-truth-table", P.truth_table_route,
              "Do not synthesise small networks from their truth tables (Boolean binary tasks)");
  c->add_option("--truth-table-max-inputs", P.truth_table_max_inputs,
                "Largest support for the truth-table routes")
      ->capture_default_str();
  c->add_option("--input-budgets", P.input_budgets,
                "Boolean binary tasks: also train on the m most important inputs, for each m (default: 16,8 "
                "when there are more inputs than --truth-table-max-inputs; 0 = none)")
      ->delimiter(',');
  c->add_option("--select-inputs", P.selection_inputs,
                "Single-output Boolean tasks with more inputs than --truth-table-max-inputs: also train on "
                "the ≤ N inputs chosen by greedy leave-one-out lookup-table selection (0 = off)")
      ->capture_default_str();
  c->add_flag("!--no-table", P.table_route,
              "Do not synthesise lookup tables over the selected inputs directly from the training rows");
  c->add_flag("!--no-float-table", P.float_truth_table,
              "Do not tabulate the float networks of views with ≤ --truth-table-max-inputs inputs");
  c->add_flag(
      "!--no-occam", P.occam.enabled,
      "Do not run the Occam route (consistent symmetric / threshold-like functions of one linear form, "
      "synthesised; single-output Boolean tasks)");
  c->add_option("--occam-deepsyn-steps", P.occam.deepsyn_steps,
                "Occam route: &deepsyn stops after this many steps without improvement, for each seed and "
                "finalist (0 = no &deepsyn)")
      ->capture_default_str();
  c->add_option("--occam-time-limit", P.occam.time_limit_s,
                "Occam route: no new table is synthesised after this many seconds")
      ->capture_default_str();
  c->add_option("--lut-inputs", P.lut_inputs,
                "Network compiler: synthesise words of ≤ K operand bits from their truth tables when smaller "
                "(0 = arithmetic only)")
      ->capture_default_str();
  c->add_option("--gamma", P.gamma, "γ for ĉ_γ (THEORY §4)")->capture_default_str();
  c->add_option("--delta", P.delta, "δ of the PAC bound (THEORY §5)")->capture_default_str();
  c->add_flag("!--no-plots", P.plots, "Skip the gnuplot plots");
  // Exact mode.
  c->add_flag("--exact", o->exact,
              "Complete truth table → exactly correct circuit (truth-table synthesis + ABC)");
  c->add_option("--exact-script", o->exact_script, "ABC script for --exact: fast|medium|strong|none")
      ->capture_default_str();
  c->add_option("--deepsyn-seconds", P.synth.deepsyn_seconds, "Time limit of &deepsyn in the strong script")
      ->capture_default_str();
  c->callback([o, c] {
    // The lock first: a second run on the same --out is refused before it touches flags.json.
    std::optional<directory_lock> lock;
    if (!o->fit.out_dir.empty()) lock.emplace(o->fit.out_dir);
    if (!o->fit.out_dir.empty()) check_and_record_flags(o->fit.out_dir, *c, o->fit.resume);
    run_fit(*o);
    if (!o->fit.out_dir.empty()) mark_flags_finished(o->fit.out_dir);
  });
}

const command reg{"10-fit", setup};

}  // namespace
}  // namespace occam::cli
