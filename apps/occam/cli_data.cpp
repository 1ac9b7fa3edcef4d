#include "cli_data.hpp"

#include <algorithm>

#include "occam/util/error.hpp"

namespace occam::cli {

void data_options::add_to(CLI::App* app, bool with_valid) {
  app->add_option("--data", data,
                  "Data file: .csv .npy .pla .truth, IDX (*-ubyte[.gz]) or fashion-mnist:train|test");
  app->add_option("--task", task,
                  "Built-in task: parity:N majority:N adder-msb:K compare:K compose:D sine:D");
  if (with_valid) app->add_option("--valid", valid, "Separate validation file (else split off --data)");
  app->add_option("--targets", targets, "NPY file with the targets (with --data X.npy)");
  app->add_option("--target", target_columns,
                  "Target column(s) of a CSV/NPY, by name or index (default last)");
  app->add_option("--kind", kind, "Task kind: regression|binary|multiclass|auto (default: from the format)")
      ->check(CLI::IsMember({"", "regression", "binary", "multiclass", "auto"}));
  app->add_option("--samples", samples, "Rows of a built-in task (0: all 2^n rows for n ≤ 16, else 4096)");
  app->add_option("--noise", noise, "Built-in task noise (label flip probability / Gaussian std)");
  app->add_option("--data-seed", data_seed, "Seed of built-in task sampling");
  app->add_option("--max-rows", max_rows, "Read at most this many rows (0: all)");
}

data::dataset data_options::load() const {
  if (!data.empty() && !task.empty()) throw input_error("give either --data or --task, not both");
  if (data.empty() && task.empty()) throw input_error("no data: give --data FILE or --task SPEC");
  data::load_params p;
  p.target_columns = target_columns;
  p.kind = kind;
  p.targets_path = targets;
  p.max_rows = max_rows;
  p.task.seed = data_seed;
  p.task.samples = samples;
  p.task.noise = noise;
  if (!task.empty()) return data::make_task(task, p.task);
  return data::load_dataset(data, p);
}

void split_options::add_to(CLI::App* app) {
  app->add_option("--valid-fraction", valid_fraction, "Fraction of --data held out for validation")
      ->check(CLI::Range(0.0, 0.9));
  app->add_option("--test-fraction", test_fraction, "Fraction of --data held out for testing")
      ->check(CLI::Range(0.0, 0.9));
  app->add_option("--split-seed", split_seed, "Seed of the train/validation/test split");
}

data::split load_split(const data_options& d, const split_options& s) {
  data::dataset all = d.load();
  if (!d.valid.empty()) {
    data::load_params p;
    p.target_columns = d.target_columns;
    p.kind = d.kind;
    data::split sp;
    sp.valid = data::load_dataset(d.valid, p);
    if (sp.valid.d_in != all.d_in || sp.valid.d_out != all.d_out || sp.valid.kind != all.kind)
      throw input_error(d.valid, 0, "validation set does not match the training data (columns or kind)");
    if (all.kind == data::task_kind::multiclass) {
      // A validation file may lack the highest class (or the training file may): both get the larger count.
      all.n_classes = sp.valid.n_classes = std::max(all.n_classes, sp.valid.n_classes);
    }
    sp.train = std::move(all);
    return sp;
  }
  if (s.valid_fraction + s.test_fraction >= 1.0)
    throw input_error("--valid-fraction + --test-fraction must be < 1");
  return data::split_dataset(all, s.valid_fraction, s.test_fraction, s.split_seed);
}

}  // namespace occam::cli
