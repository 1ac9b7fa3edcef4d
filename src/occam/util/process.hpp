#pragma once
// Running an external program (berkeley-abc, gnuplot) as a child process: no shell (an argument vector,
// looked up on PATH), stdin from /dev/null, stdout and stderr into a log file, in a working directory, in its
// own process group so that a timeout kills everything it started.
#include <filesystem>
#include <string>
#include <vector>

namespace occam {

struct process_result {
  int status = 0;      ///< as waitpid reports it (WIFEXITED / WEXITSTATUS / WIFSIGNALED)
  double seconds = 0;  ///< wall time
};

/// Runs argv (argv[0] is looked up on PATH) and waits for it. `what` names the program in errors;
/// `install_hint` is appended when it is not found. Throws input_error when it cannot be started, or when it
/// runs longer than timeout_s (> 0; it is then killed with its process group).
process_result run_process(const std::vector<std::string>& argv, const std::filesystem::path& work_dir,
                           const std::filesystem::path& log_path, double timeout_s, const std::string& what,
                           const std::string& install_hint);

}  // namespace occam
