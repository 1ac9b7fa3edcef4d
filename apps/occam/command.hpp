#pragma once
// Each subcommand lives in its own cmd_*.cpp and registers itself with a static `command` object, so adding
// a subcommand touches no shared list. A command's setup adds its CLI11 subcommand and callback; callbacks
// throw occam::input_error for bad input (exit code 2).
#include <CLI/CLI.hpp>

namespace occam::cli {

using setup_fn = void (*)(CLI::App& app);

struct command {
  /// `order` sorts the subcommands in --help (e.g. "10-fit", "20-train").
  command(const char* order, setup_fn setup);
};

/// Adds `--device cpu|cuda` and `--threads T` with their checks. Defined in the torch-linked part.
}  // namespace occam::cli
