// occam: the command-line entry point. Subcommands register themselves (see command.hpp).
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <limits>
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

// ---- checks every subcommand's flags get (docs/reliability.md) --------------------------------------------

constexpr double kInf = std::numeric_limits<double>::infinity();

/// A range for the floating-point flags of a given long name, in every subcommand that has one.
struct float_rule {
  const char* name;
  double lo, hi;
  bool lo_open, hi_open;
};

// clang-format off
const float_rule kFloatRules[] = {
    {"lr", 0, kInf, true, false},          {"momentum", 0, 1, false, false},
    {"lambda", 0, kInf, false, false},     {"lambdas", 0, kInf, false, false},
    {"lambda-path", 0, kInf, false, false}, {"noise", 0, kInf, false, false},
    {"temperature", 0, kInf, false, false}, {"tol", 0, kInf, false, false},
    {"tolerance", 0, kInf, false, false},  {"tau", 0, kInf, true, false},
    {"gamma", 0, kInf, true, false},       {"delta", 0, 1, true, true},
    {"budget", 0, kInf, false, false},     {"target-error", 0, kInf, false, false},
    {"max-params", 0, kInf, true, false},  {"v-scale", 0, kInf, false, false},
    {"timeout", 0, kInf, true, false},     {"occam-time-limit", 0, kInf, false, false},
};
// clang-format on

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string describe(const float_rule& r) {
  if (r.hi == kInf) return std::string(r.lo_open ? "> " : "≥ ") + format_number(r.lo);
  return std::string("in ") + (r.lo_open ? "(" : "[") + format_number(r.lo) + ", " + format_number(r.hi) +
         (r.hi_open ? ")" : "]");
}

/// Every floating-point flag: a finite number (NaN and ±inf are refused: they reached libtorch as a stack
/// trace or gave NaN results with exit 0), within the flag's range when kFloatRules names it.
CLI::Validator finite_number(const float_rule* rule) {
  return CLI::Validator(
      [rule](std::string& s) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        if (end == s.c_str()) return {};  // not a number: the conversion reports it
        if (!std::isfinite(v)) return "must be a finite number, got '" + s + "'";
        if (rule) {
          const bool below = rule->lo_open ? !(v > rule->lo) : !(v >= rule->lo);
          const bool above = rule->hi_open ? !(v < rule->hi) : !(v <= rule->hi);
          if (below || above) return "must be " + describe(*rule) + ", got " + s;
        }
        return {};
      },
      "");
}

/// --threads: 0 (libtorch's default) to max_threads() (4 × the hardware threads); more is refused.
CLI::Validator thread_count() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        char* end = nullptr;
        const long long v = std::strtoll(s.c_str(), &end, 10);
        if (end == s.c_str()) return {};
        if (v < 0 || v > max_threads())
          return "must be in 0.." + std::to_string(max_threads()) +
                 " (0: libtorch's default; at most 4 × the hardware threads), got " + s;
        return {};
      },
      "");
}

void add_checks(CLI::App* app) {
  for (CLI::Option* opt : app->get_options()) {
    const std::string type = opt->get_type_name();
    const auto& names = opt->get_lnames();
    if (type.rfind("FLOAT", 0) == 0) {
      const float_rule* rule = nullptr;
      for (const auto& r : kFloatRules)
        for (const auto& n : names)
          if (n == r.name) rule = &r;
      opt->check(finite_number(rule));
    }
    if (std::find(names.begin(), names.end(), "threads") != names.end()) opt->check(thread_count());
  }
  for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) add_checks(sub);
}

}  // namespace

command::command(const char* order, setup_fn setup) {
  registry().emplace_back(order, setup);
}

}  // namespace occam::cli

int main(int argc, char** argv) {
  occam::tune_process(argv);  // heap thresholds, passive OpenMP workers (process_tuning.hpp)
  // A file-size limit (ulimit -f) makes write() fail with EFBIG instead of killing the process: the writers
  // then report it as a clean error naming the file.
  ::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{
      "occam — small circuits from ResNets: train, measure complexity, prune, compile to gates, and train "
      "ReLU "
      "networks to global optimality through their convex reformulations."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "occam 0.1.0");
  auto& reg = occam::cli::registry();
  std::sort(reg.begin(), reg.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& entry : reg) entry.second(app);
  occam::cli::add_checks(&app);
  try {
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
      std::fprintf(stderr, "occam: error: %s\n", e.what());
      return 2;
    }
  } catch (const occam::input_error& e) {
    std::fprintf(stderr, "occam: error: %s\n", e.what());
    return 2;
  } catch (const std::filesystem::filesystem_error& e) {
    // The file system refused something (an --out under /proc, a read-only mount): the user's environment,
    // not a bug in occam.
    const std::string path = e.path1().empty() ? std::string() : e.path1().string() + ": ";
    std::fprintf(stderr, "occam: error: %s%s\n", path.c_str(), e.code().message().c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "occam: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
