#pragma once
// The bridge to Berkeley ABC: runs `berkeley-abc` as a child process (posix_spawn, argument vector — no
// shell), in a private temporary directory, under a wall-clock limit after which the child is killed.
// The project's alias file (share/abc/abc.rc: resyn2, compress2rs, ...) is sourced explicitly.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "occam/circuit/aig.hpp"

namespace occam::circuit {

struct abc_params {
  /// ABC executable: $OCCAM_ABC if set, else "berkeley-abc" (looked up on PATH).
  std::string executable;
  /// Alias file; empty = locate_abc_rc().
  std::filesystem::path rc_file;
  /// Kill ABC after this many seconds (0 = no limit).
  double timeout_s = 600;
};

/// ABC's own statistics of a network (print_stats): "and" and "lev".
struct abc_statistics {
  std::size_t inputs = 0, outputs = 0, ands = 0, levels = 0;
};

struct abc_run_stats {
  double seconds = 0;  ///< wall time of the ABC process
  std::string script;  ///< the ABC command line that ran
  std::string log;     ///< ABC's standard output and error
};

/// The alias file: $OCCAM_ABC_RC, else <dir of the running executable>/../share/occam/abc.rc, else
/// <source tree>/share/abc/abc.rc. Throws input_error when none exists.
std::filesystem::path locate_abc_rc();

/// Expands the named scripts: "fast" = &st; &dc2, "medium" = resyn2, "strong" = resyn2; dc2; &deepsyn -T
/// <deepsyn_seconds>; anything else is passed to ABC as written (it runs on the strashed network after
/// `read`; a script that moves to the & space must end with &put).
std::string expand_abc_script(const std::string& script, unsigned deepsyn_seconds = 10);

/// Runs the script on `g` and returns the optimised AIG (read back through the AIGER reader).
aig abc_optimize(const aig& g, const std::string& script, const abc_params& params = {},
                 abc_run_stats* stats = nullptr);

/// Runs each script on `g` (each from `g` itself) in one ABC process — one start-up instead of one per
/// script, for many short runs such as &deepsyn with several seeds. Result i is script i's AIG.
std::vector<aig> abc_optimize_each(const aig& g, const std::vector<std::string>& scripts,
                                   const abc_params& params = {});

/// ABC's print_stats of `g` after `read` (+ strash), for comparing statistics with ABC.
abc_statistics abc_stats(const aig& g, const abc_params& params = {});
/// The same for an AIGER file on disk.
abc_statistics abc_stats_file(const std::filesystem::path& file, const abc_params& params = {});

/// Parses the last statistics line of `print_stats` or `&ps` in an ABC log (i/o, and, lev).
abc_statistics parse_abc_stats(const std::string& log);

/// Combinational equivalence check with ABC's `cec` (same input and output counts and order).
/// Throws input_error if ABC gives no verdict.
bool abc_equivalent(const aig& a, const aig& b, const abc_params& params = {});

/// Runs an arbitrary ABC command line (`-c` argument) in `work_dir`; returns the captured output.
/// Throws input_error when ABC is missing, times out, or exits non-zero.
std::string run_abc(const std::string& commands, const std::filesystem::path& work_dir,
                    const abc_params& params, double* seconds = nullptr);

}  // namespace occam::circuit
