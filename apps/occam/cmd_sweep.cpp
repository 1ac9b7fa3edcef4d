// occam sweep: one subcommand over a grid of flags, on a local process pool or as a Slurm array job; status
// and collect. The algorithms live in src/occam/sweep (docs/sweep.md).
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>

#include "command.hpp"
#include "occam/sweep/sweep.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::cli {
namespace {
namespace fs = std::filesystem;

struct sweep_options {
  std::string spec;
  std::string executor;  // "" = the spec's
  int jobs = 0;
  bool retry_failed = false, no_submit = false, progress = true;
  std::string dir;
  std::size_t index = 0;
  std::string collect_to;
  bool no_times = false;
};

fs::path self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw input_error("cannot find the occam executable through /proc/self/exe");
  return p;
}

/// Flags of the registered subcommands; "" asks whether the subcommand exists.
sweep::flag_checker checker(CLI::App* root) {
  return [root](const std::string& sub, const std::string& flag) {
    CLI::App* app = nullptr;
    try {
      app = root->get_subcommand(sub);
    } catch (const CLI::OptionNotFound&) {
      return false;
    }
    if (!app) return false;
    if (flag.empty()) return true;
    return app->get_option_no_throw(flag) != nullptr;
  };
}

void run_sweep(const sweep_options& o, CLI::App* root) {
  sweep::parse_params pp;
  pp.known_flag = checker(root);
  auto s = sweep::parse_spec(o.spec, pp);
  if (o.executor == "local") s.executor = sweep::executor_kind::local;
  if (o.executor == "slurm") s.executor = sweep::executor_kind::slurm;
  if (o.jobs > 0) s.jobs = o.jobs;
  const auto pts = sweep::expand(s, pp.known_flag);
  const fs::path occam = self_exe(), work = fs::current_path();
  sweep::write_manifest(s, pts, occam, work);
  const auto sel = sweep::select_points(
      pts, o.retry_failed ? sweep::selection_kind::failed : sweep::selection_kind::unfinished);
  fmt::print("sweep {}: {} points, {} to run ({} already done with the same flags){}\n", s.out_root.string(),
             pts.size(), sel.size(), o.retry_failed ? std::size_t(0) : pts.size() - sel.size(),
             o.retry_failed ? " [failed only]" : "");
  if (s.executor == sweep::executor_kind::slurm) {
    if (sel.empty()) return;
    if (o.no_submit) {
      const fs::path script = s.out_root / "slurm" / "sweep.sbatch";
      write_file_atomic(script, sweep::sbatch_script(s, sel, occam, work));
      fmt::print("wrote {} (submit it with: sbatch {})\n", script.string(), script.string());
      return;
    }
    auto st = sweep::submit_slurm(s, sel, occam, work);
    fmt::print("submitted job {} ({}); follow it with: occam sweep status {}\n", st.job_id,
               st.script.string(), s.out_root.string());
    return;
  }
  sweep::local_params lp;
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  lp.jobs = s.jobs > 0 ? s.jobs : std::max(1, cores / s.res.threads);
  lp.time_limit_s = s.res.time_limit_s;
  lp.progress = o.progress;
  auto st = sweep::run_local(pts, sel, occam, work, lp);
  fmt::print("ran {} points on {} workers in {:.1f} s: {} failed, {} timed out\n", st.ran, lp.jobs,
             st.seconds, st.failed, st.timed_out);
  if (st.failed + st.timed_out > 0) {
    fmt::print("see {}/runs/NNNN/stderr.txt; rerun them with: occam sweep run {} --retry-failed\n",
               s.out_root.string(), o.spec);
    std::fflush(stdout);
    std::exit(1);
  }
}

void run_exec(const sweep_options& o) {
  const auto m = sweep::read_manifest(o.dir);
  if (o.index >= m.points.size())
    throw input_error(fmt::format("{}: no point {} (the sweep has {})",
                                  (fs::path(o.dir) / "sweep.json").string(), o.index, m.points.size()));
  const auto r = sweep::run_point(m.points[o.index], m.occam, m.work_dir, m.time_limit_s);
  fmt::print("point {}: exit {}{}, {:.1f} s wall, {:.1f} s CPU\n", o.index, r.exit_code,
             r.timed_out ? " (timed out)" : "", r.wall_s, r.cpu_s);
  if (!r.ok()) {
    std::fflush(stdout);
    std::exit(1);
  }
}

void run_status(const sweep_options& o) {
  const auto rep = sweep::sweep_status(o.dir);
  for (const auto& n : rep.notes) fmt::print("note: {}\n", n);
  for (const auto& p : rep.points)
    if (p.state != "done") fmt::print("{:04} {}\n", p.index, p.state);
  std::string line;
  for (const auto& [k, n] : rep.counts) line += fmt::format("{}{} {}", line.empty() ? "" : ", ", n, k);
  fmt::print("{} points: {}\n", rep.points.size(), line);
}

void run_collect(const sweep_options& o) {
  sweep::collect_params cp;
  cp.drop_times = o.no_times;
  const fs::path dest = o.collect_to.empty() ? fs::path(o.dir) / "collect" : fs::path(o.collect_to);
  auto st = sweep::collect(o.dir, dest, cp);
  fmt::print("{} runs, {} columns ({} without a report); wrote", st.rows, st.columns, st.missing);
  for (const auto& f : st.written) fmt::print(" {}", f.string());
  fmt::print("\n");
}

void setup(CLI::App& app) {
  auto o = std::make_shared<sweep_options>();
  CLI::App* root = &app;
  auto* c = app.add_subcommand("sweep", "Run a subcommand over a grid of flags (local pool or Slurm array)");
  c->require_subcommand(1);
  auto* run = c->add_subcommand("run", "Run (or resume) the sweep of a TOML/JSON spec");
  run->add_option("spec", o->spec, "The spec file (.toml or .json)")->required();
  run->add_option("--executor", o->executor, "local|slurm (default: the spec's, else local)")
      ->check(CLI::IsMember({"local", "slurm"}));
  run->add_option("--jobs,-j", o->jobs, "Local workers (default: the spec's, else cores / threads)")
      ->check(at_least(1));
  run->add_flag("--retry-failed", o->retry_failed, "Run only the points that failed or timed out");
  run->add_flag("--no-submit", o->no_submit, "slurm: write the sbatch script without submitting it");
  run->add_flag("--progress,!--no-progress", o->progress, "One progress line with an ETA (default on)");
  run->callback([o, root] { run_sweep(*o, root); });
  auto* ex =
      c->add_subcommand("exec", "Run point INDEX of the sweep in DIR (what each Slurm array task does)");
  ex->add_option("dir", o->dir, "The sweep's output root")->required();
  ex->add_option("index", o->index, "The point (SLURM_ARRAY_TASK_ID)")->required();
  ex->callback([o] { run_exec(*o); });
  auto* status = c->add_subcommand("status", "Per-point states from the run directories, squeue and sacct");
  status->add_option("dir", o->dir, "The sweep's output root")->required();
  status->callback([o] { run_status(*o); });
  auto* col =
      c->add_subcommand("collect", "Merge every run's report into DIR/collect/table.{csv,json}, summary.md");
  col->add_option("dir", o->dir, "The sweep's output root")->required();
  col->add_option("--to", o->collect_to, "Output directory (default DIR/collect)");
  col->add_flag("--no-times", o->no_times, "Leave out times (to compare sweeps run on different executors)");
  col->callback([o] { run_collect(*o); });
}

const command registered("90-sweep", setup);
}  // namespace
}  // namespace occam::cli
