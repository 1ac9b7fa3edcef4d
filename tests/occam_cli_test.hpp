#pragma once
// Shared by the tests that run the occam executable end to end (tests/cli, tests/fit): a fresh scratch
// directory and `occam ARGS` with its exit code and output.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "occam/util/atomic_file.hpp"

namespace occam_test {

struct cli_result {
  int code;
  std::string output;  ///< stdout and stderr together
};

/// Runs the shell command `cmd` and waits for it, collecting its standard output.
inline cli_result run_shell(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (std::size_t got = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), got);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

/// Runs `occam ARGS` (the build tree's executable) through the shell and waits for it.
inline cli_result run_occam(const std::string& args) {
  return run_shell(std::string(OCCAM_BINARY_DIR) + "/apps/occam/occam " + args + " 2>&1");
}

/// An empty directory <tmp>/occam_test_<suite>_<name> (removed and re-created).
inline std::filesystem::path temp_dir(const std::string& suite, const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("occam_test_" + suite + "_" + name);
  occam::remove_tree(d);
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace occam_test
