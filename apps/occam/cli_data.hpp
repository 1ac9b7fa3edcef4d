#pragma once
// The data flags every subcommand shares: --data FILE | --task SPEC, target/input columns, task kind, sample
// count and seed for built-in tasks, and an optional separate --valid FILE. Torch-free.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "occam/data/dataset.hpp"
#include "occam/data/loaders.hpp"

namespace occam::cli {

struct data_options {
  std::string data;     ///< file or "fashion-mnist:train"
  std::string task;     ///< built-in task spec
  std::string valid;    ///< optional separate validation file
  std::string targets;  ///< NPY targets file
  std::vector<std::string> target_columns;
  std::string kind;
  std::size_t samples = 0;
  std::size_t max_rows = 0;
  double noise = 0;
  std::uint64_t data_seed = 1;

  /// Adds the flags to `app`; with_valid adds --valid too.
  void add_to(CLI::App* app, bool with_valid = true);
  /// Loads the data set named by the flags (throws input_error with file:line on bad input).
  data::dataset load() const;
  bool has_data() const { return !data.empty() || !task.empty(); }
};

/// Train / validation / test pieces: --valid FILE gives validation (train = all of --data); otherwise a
/// deterministic split of --data with the given fractions.
struct split_options {
  double valid_fraction = 0.2;
  double test_fraction = 0.0;
  std::uint64_t split_seed = 1;
  void add_to(CLI::App* app);
};
data::split load_split(const data_options& d, const split_options& s);

}  // namespace occam::cli
