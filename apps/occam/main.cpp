// occam: the command-line entry point. Subcommands register themselves (see command.hpp).
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "command.hpp"
#include "occam/util/error.hpp"
#include "occam/util/process_tuning.hpp"

namespace occam::cli {
namespace {
std::vector<std::pair<std::string, setup_fn>>& registry() {
  static std::vector<std::pair<std::string, setup_fn>> r;
  return r;
}
}  // namespace

command::command(const char* order, setup_fn setup) {
  registry().emplace_back(order, setup);
}

}  // namespace occam::cli

int main(int argc, char** argv) {
  occam::tune_process(argv);  // heap thresholds, passive OpenMP workers (process_tuning.hpp)
  CLI::App app{
      "occam — small circuits from ResNets: train, measure complexity, prune, compile to gates, and train "
      "ReLU "
      "networks to global optimality through their convex reformulations."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "occam 0.1.0");
  auto& reg = occam::cli::registry();
  std::sort(reg.begin(), reg.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& entry : reg) entry.second(app);
  try {
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      return app.exit(e) == 0 ? 0 : 2;
    }
  } catch (const occam::input_error& e) {
    std::fprintf(stderr, "occam: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "occam: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
