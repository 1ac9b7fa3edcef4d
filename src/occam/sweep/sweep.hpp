#pragma once
// Sweeps: one occam subcommand run over a grid of flag values (docs/sweep.md). A spec (TOML or JSON) names
// the subcommand, its base flags, the axes (lists, integer ranges, file globs; a cartesian product, or named
// axes zipped), per-run resources and an output root. Each point gets a run directory with its exact command
// line, stdout, stderr, exit status, wall and CPU time and the subcommand's own outputs (its --out). Points
// run on a local process pool or as a Slurm array job (task i runs point i through `occam sweep exec`).
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace occam::sweep {

enum class executor_kind { local, slurm };

/// One axis: a flag and the values it takes (each value is one or more arguments after the flag).
struct axis {
  std::string name;                              ///< the spec's key ("lambdas")
  std::string flag;                              ///< "--lambdas"
  std::vector<std::vector<std::string>> values;  ///< one argument list per value
  std::size_t line = 0;                          ///< where the spec defines it
};

/// Per-run resources. threads is passed as --threads when the subcommand has that flag; memory and the time
/// limit go into the sbatch script; the local executor kills a run that exceeds the time limit.
struct resources {
  int threads = 1;
  std::string memory = "2G";   ///< Slurm --mem syntax (2G, 500M)
  double time_limit_s = 3600;  ///< per run; written as --time=HH:MM:SS
};

struct slurm_options {
  int parallel = 0;       ///< K of --array=0-N%K (0: no limit)
  std::string partition;  ///< --partition when not empty
  std::string job_name = "occam-sweep";
};

/// A parsed, validated spec.
struct spec {
  std::filesystem::path file;          ///< the spec file (for messages)
  std::string subcommand;              ///< "fit", "convex", …
  std::vector<std::string> base_args;  ///< the base flags as arguments
  std::vector<axis> axes;              ///< in spec order
  std::vector<std::string> zip;        ///< axes zipped together (the rest form a product)
  resources res;
  slurm_options slurm;
  executor_kind executor = executor_kind::local;
  int jobs = 0;  ///< local pool size (0: cores / threads, at least 1)
  std::filesystem::path out_root;
};

/// Which flags a subcommand accepts: known(subcommand, "--epochs"). An empty function accepts every flag.
using flag_checker = std::function<bool(const std::string& subcommand, const std::string& flag)>;

struct parse_params {
  flag_checker known_flag;
  /// Globs and relative paths resolve against this directory (the caller's working directory).
  std::filesystem::path base_dir = std::filesystem::current_path();
};

/// Reads SPEC (.toml or .json by extension). Throws input_error naming the file and line for an unknown
/// key or flag, an empty axis (also a glob matching nothing), zipped axes of unequal length, a bad resource
/// or an output root that cannot be created or written. Nothing is run.
spec parse_spec(const std::filesystem::path& file, const parse_params& p = {});

/// One grid point.
struct point {
  std::size_t index = 0;
  std::vector<std::pair<std::string, std::string>> values;  ///< axis name → value (arguments joined)
  std::vector<std::string> args;  ///< subcommand and all flags (with --out RUNDIR and --threads)
  std::string hash;               ///< flag_hash(args)
  std::filesystem::path dir;      ///< OUT/runs/NNNN
};

/// The points of a spec: zipped axes advance together, the rest vary as a product (the last axis fastest).
std::vector<point> expand(const spec& s, const flag_checker& known_flag = {});

/// What a run directory records (status.json).
struct run_record {
  bool present = false;  ///< status.json exists
  std::string hash;
  int exit_code = -1;  ///< -1 when killed by a signal
  int signal = 0;
  bool timed_out = false;
  double wall_s = 0;
  double cpu_s = 0;  ///< user + system time of the run and the processes it waited for
  bool ok() const { return present && exit_code == 0 && !timed_out; }
};

run_record read_record(const point& pt);

/// Runs one point in its directory: writes command.txt, stdout.txt, stderr.txt, then status.json
/// (atomically, last). `occam` is the executable; `work_dir` the working directory of the run.
run_record run_point(const point& pt, const std::filesystem::path& occam,
                     const std::filesystem::path& work_dir, double time_limit_s);

/// The sweep's own record OUT/sweep.json: the spec, the working directory, the executable and the points.
void write_manifest(const spec& s, const std::vector<point>& pts, const std::filesystem::path& occam,
                    const std::filesystem::path& work_dir);
struct manifest {
  nlohmann::json json;
  std::vector<point> points;
  std::filesystem::path occam, work_dir;
  double time_limit_s = 0;
};
/// Reads OUT/sweep.json; throws input_error naming it when it is missing or malformed.
manifest read_manifest(const std::filesystem::path& out_root);

enum class selection_kind {
  unfinished,  ///< every point without a successful run of the same flags (resume)
  failed       ///< only points that ran and failed or timed out (--retry-failed)
};
std::vector<std::size_t> select_points(const std::vector<point>& pts, selection_kind k);

struct local_params {
  int jobs = 1;
  double time_limit_s = 3600;
  bool progress = true;  ///< one line on stderr (redrawn on a terminal, one line per finished run otherwise)
};
struct local_stats {
  std::size_t ran = 0, failed = 0, timed_out = 0;
  double seconds = 0;
};
/// Runs the selected points on a pool of `jobs` child processes.
local_stats run_local(const std::vector<point>& pts, const std::vector<std::size_t>& selected,
                      const std::filesystem::path& occam, const std::filesystem::path& work_dir,
                      const local_params& p);

/// The sbatch array script for the selected points (usable by hand: `sbatch FILE`).
std::string sbatch_script(const spec& s, const std::vector<std::size_t>& selected,
                          const std::filesystem::path& occam, const std::filesystem::path& work_dir);
/// "0-5", "1,3,7-9": Slurm's --array syntax for sorted indices.
std::string array_ranges(const std::vector<std::size_t>& selected);

struct submit_stats {
  std::string job_id;
  std::filesystem::path script;
};
/// Writes OUT/slurm/sweep-<n>.sbatch, submits it with `sbatch --parsable` and appends the job to
/// OUT/slurm/jobs.jsonl. Throws input_error when sbatch is missing or refuses the script.
submit_stats submit_slurm(const spec& s, const std::vector<std::size_t>& selected,
                          const std::filesystem::path& occam, const std::filesystem::path& work_dir);

/// One point's state for `occam sweep status`.
struct point_status {
  std::size_t index = 0;
  std::string state;  ///< done, failed, timed-out, stale (other flags), not-run, or a Slurm state
};
struct status_report {
  std::vector<point_status> points;
  std::map<std::string, std::size_t> counts;
  std::vector<std::string> notes;  ///< squeue/sacct problems (no Slurm, accounting disabled)
};
/// Point states from the run directories, refined with squeue and sacct for submitted Slurm jobs.
status_report sweep_status(const std::filesystem::path& out_root);

/// Runs argv (no shell) and returns its exit status (-1 when it cannot be started); stdout into `out`.
int capture_output(const std::vector<std::string>& argv, std::string& out);

struct collect_params {
  bool drop_times = false;  ///< leave out wall/CPU times and report fields that are times (comparisons)
};
struct collect_stats {
  std::size_t rows = 0, columns = 0, missing = 0;  ///< missing: points without report/metrics
  std::vector<std::filesystem::path> written;
};
/// Merges each run's report.json / metrics.json / summary.json (scalars, nested objects flattened with
/// dots) with the axis values and run status into OUT/collect/table.{csv,json} and summary.md; for `fit`
/// sweeps also fronts.csv (every run's points.csv with its run index) and, when gnuplot is installed,
/// fronts.png (the merged size-versus-error fronts).
collect_stats collect(const std::filesystem::path& out_root, const std::filesystem::path& dest,
                      const collect_params& p = {});

}  // namespace occam::sweep
