#pragma once
// Each subcommand lives in its own cmd_*.cpp and registers itself with a static `command` object, so adding
// a subcommand touches no shared list. A command's setup adds its CLI11 subcommand and callback; callbacks
// throw occam::input_error for bad input (exit code 2).
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <string>

namespace occam::cli {

using setup_fn = void (*)(CLI::App& app);

struct command {
  /// `order` sorts the subcommands in --help (e.g. "10-fit", "20-train").
  command(const char* order, setup_fn setup);
};

/// An integer flag's lower bound: "must be ≥ LO, got V" (CLI11's Range prints double limits).
inline CLI::Validator at_least(long long lo) {
  return CLI::Validator(
      [lo](std::string& s) -> std::string {
        char* end = nullptr;
        const long long v = std::strtoll(s.c_str(), &end, 10);
        if (end == s.c_str()) return {};  // not a number: the conversion reports it
        if (v < lo) return "must be ≥ " + std::to_string(lo) + ", got " + s;
        return {};
      },
      "");
}
}  // namespace occam::cli
