// `occam study targets` (the Boolean targets of known circuit size s*) and `occam study sandwich --out DIR`
// (the sandwich experiment of issue 18: does minimising the ResNet norm find a near-smallest circuit?).
// See docs/study.md and docs/experiments/sandwich.md.
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "command.hpp"
#include "occam/study/sandwich.hpp"
#include "occam/study/targets.hpp"
#include "occam/util/error.hpp"

namespace occam::cli {
namespace {

struct targets_options {
  std::string config = "small";
  bool json = false;
};

struct sandwich_options {
  std::string out;
  std::string config = "small";
  bool resume = false;
  int threads = 1;
};

void run_targets(const targets_options& o) {
  const auto targets = study::sandwich_targets(study::parse_sandwich_config(o.config));
  nlohmann::json j = nlohmann::json::array();
  for (const auto& t : targets) {
    const bool ok = study::circuit_matches_tables(t);
    if (!ok) throw std::logic_error("target " + t.name + ": the stated circuit does not compute its table");
    j.push_back({{"name", t.name},
                 {"inputs", t.inputs},
                 {"outputs", t.outputs()},
                 {"s_star", t.s_star},
                 {"bound", study::to_string(t.bound)},
                 {"note", t.note}});
  }
  if (o.json) {
    fmt::print("{}\n", j.dump(2));
    return;
  }
  fmt::print("{:<28} {:>6} {:>7} {:>6}  {}\n", "target", "inputs", "outputs", "s*", "bound (source)");
  for (const auto& t : targets)
    fmt::print("{:<28} {:>6} {:>7} {:>6}  {} ({})\n", t.name, t.inputs, t.outputs(), t.s_star,
               study::to_string(t.bound), t.note);
}

void run_sandwich(const sandwich_options& o) {
  const auto config = study::parse_sandwich_config(o.config);
  auto params = study::sandwich_default_params(config);
  params.out_dir = o.out;
  params.resume = o.resume;
  params.threads = o.threads;
  const auto targets = study::sandwich_targets(config);
  study::sandwich_stats st;
  const auto res = study::run_sandwich(targets, params, &st);
  const auto files = study::write_sandwich_report(res, params, o.out);
  fmt::print("sandwich ({} configuration): {} targets, {} runs trained, {} resumed, {:.0f} s\n", o.config,
             res.targets.size(), st.runs_trained, st.runs_resumed, res.seconds);
  auto show = [](const study::slope_fit& f) {
    return f.valid
               ? fmt::format("{:.3f} [{:.3f}, {:.3f}] (n = {}, r² = {:.3f})", f.slope, f.lo, f.hi, f.n, f.r2)
               : fmt::format("no fit (n = {} usable targets, needs 3)", f.n);
  };
  for (std::size_t e = 0; e < res.epsilons.size(); ++e) {
    fmt::print("ε ≤ {}: slope of log R_min vs log s*: {}\n", res.epsilons[e], show(res.r_fit[e]));
    fmt::print("ε ≤ {}: slope of log R̃_min vs log s*: {}\n", res.epsilons[e], show(res.rtilde_fit[e]));
    fmt::print("ε ≤ {}: slope of log s_back vs log s*: {}\n", res.epsilons[e], show(res.s_back_fit[e]));
  }
  for (const auto& f : files) fmt::print("wrote {}\n", f);
}

void setup(CLI::App& app) {
  auto* s = app.add_subcommand("study", "The sandwich experiment: targets of known circuit size (issue 18)");
  s->require_subcommand(1);
  auto to = std::make_shared<targets_options>();
  auto* t =
      s->add_subcommand("targets", "List the Boolean targets of a configuration with s* and its status");
  t->add_option("--config", to->config, "tiny | small | full (default small)");
  t->add_flag("--json", to->json, "Print JSON");
  t->callback([to] { run_targets(*to); });
  auto so = std::make_shared<sandwich_options>();
  auto* w =
      s->add_subcommand("sandwich", "Train, measure R̃/R, round-trip to circuits, fit slopes, plot P1/P2");
  w->add_option("--out,-o", so->out, "Output directory")->required();
  w->add_option("--config", so->config, "tiny | small | full (default small)");
  w->add_flag("--resume", so->resume, "Reuse finished runs whose flags match");
  w->add_option("--threads", so->threads, "libtorch threads (default 1)")->check(at_least(1));
  w->callback([so] { run_sandwich(*so); });
}

const command reg{"85-study", setup};

}  // namespace
}  // namespace occam::cli
