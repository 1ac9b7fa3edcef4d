#pragma once
// Loaders for every data format occam reads, and the built-in tasks. Torch-free. Formats, flags, task
// definitions and the truth-table bit order are documented in docs/data.md. Every loader throws
// occam::input_error(file, line, reason) on bad input (the CLI exits with code 2), and every data set comes
// back validated with its input box B set (THEORY §1–3: bounds and the certified R are taken over B).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "occam/data/dataset.hpp"
#include "occam/data/pla.hpp"

namespace occam::data {

// ---------------------------------------------------------------------------------------------------------
// Built-in tasks.

struct task_params {
  std::uint64_t seed = 1;  ///< drives sampled inputs and noise (never the target function itself)
  /// Rows. 0 (default): Boolean tasks with n ≤ 16 inputs give all 2^n rows in minterm order; larger Boolean
  /// tasks give 4096 uniform random rows; real tasks give 4096 uniform random points of [0,1]^D. A positive
  /// value always samples that many rows uniformly at random (with replacement).
  std::size_t samples = 0;
  /// Boolean tasks: probability of flipping each label. Real tasks: standard deviation of additive Gaussian
  /// noise on the target. 0 (default) gives the exact function.
  double noise = 0.0;
};

/// Generates a built-in task from `spec` ("parity:8", "majority:5", "adder-msb:4", "compare:6", "compose:6",
/// "sine:3").
/// Throws input_error listing the valid tasks for an unknown name or a bad argument.
dataset make_task(const std::string& spec, const task_params& params = {});
/// The specs make_task accepts, with their argument ranges, for help texts and error messages.
std::vector<std::string> builtin_task_names();
/// True when `spec` names a built-in task (the argument is not checked).
bool is_task_spec(const std::string& spec);

// ---------------------------------------------------------------------------------------------------------
// The single entry point.

enum class csv_header_mode { automatic, present, absent };

struct load_params {
  /// CSV / single NPY matrix: target columns by name (CSV header) or 0-based index ("-1" = last column).
  /// Default: the last column.
  std::vector<std::string> target_columns;
  /// CSV / single NPY matrix: input columns, same syntax. Default: every column that is not a target.
  std::vector<std::string> input_columns;
  /// "" (default: the format's natural kind — regression for CSV/NPY, except scikit-learn CSVs whose header
  /// names the classes, which are multiclass), "regression", "binary", "multiclass" or "auto" (integer
  /// targets: all in {0,1} → binary, else one column of non-negative integers → multiclass; else regression).
  std::string kind;
  /// NPY: a second file with the targets (X.npy + Y.npy). IDX: the labels file (default: the images file
  /// name with "images" replaced by "labels").
  std::string targets_path;
  std::size_t max_rows = 0;  ///< CSV, NPY, IDX: keep only the first max_rows rows (0: all)
  csv_header_mode csv_header = csv_header_mode::automatic;  ///< automatic: a first row with a non-number
  char csv_delimiter = 0;  ///< 0: detect (',' then ';' then tab, else runs of blanks)
  task_params task;        ///< for built-in task specs
};

/// Loads a file by its extension (.csv/.csv.gz/.txt, .npy, .pla, .truth, IDX files named *-idx?-ubyte[.gz]
/// or *.idx?), the spec "fashion-mnist:train|test", or a built-in task spec (see make_task).
dataset load_dataset(const std::string& path_or_spec, const load_params& params = {});

// ---------------------------------------------------------------------------------------------------------
// Format-specific loaders.

dataset load_csv(const std::filesystem::path& path, const load_params& params = {});

/// A dense array read from / written to NumPy's .npy format (C order, little endian).
struct npy_array {
  std::vector<std::size_t> shape;
  std::string dtype = "<f8";  ///< descr as in the file: <f4 <f8 <i8 <i4 |u1 |i1 |b1
  std::vector<double> data;   ///< row-major, converted to double (exact for every supported dtype but
                              ///< int64 beyond 2^53)
  std::size_t size() const;   ///< product of shape (1 for a 0-d array)
  std::size_t rows() const { return shape.empty() ? 1 : shape[0]; }
  std::size_t cols() const;  ///< product of shape[1..] (1 for 0-d and 1-d arrays)
};
/// Reads versions 1.0, 2.0 and 3.0. Throws input_error on a bad magic/header, Fortran order, big-endian or
/// unsupported dtypes, or truncated data.
npy_array read_npy(const std::filesystem::path& path, std::size_t max_rows = 0);
/// Writes version 1.0 (2.0 if the header needs it) with dtype <f8, or <f4 when `as_float32`. Atomic.
void write_npy(const std::filesystem::path& path, const npy_array& a, bool as_float32 = false);
/// Inputs from `x_path` (n × d or n), targets from `params.targets_path` (n × d_out or n) — or, without a
/// targets file, the columns selected by target_columns (default last) of the one matrix. Box: fitted.
dataset load_npy_dataset(const std::filesystem::path& x_path, const load_params& params = {});

/// A fully specified PLA (.type fr or f; every input character 0/1) as a binary data set with box [0,1]^n.
/// Rows with '-' in the input part or output part are an error naming the line.
dataset pla_to_dataset(const pla_table& t, const std::string& name);
dataset load_pla_dataset(const std::filesystem::path& path);

/// IWLS 2022 truth tables: one line of 2^n '0'/'1' characters per output. Bit order (verified with
/// berkeley-abc `read_truth -x -f`): character k of a line is minterm m = 2^n − 1 − k (most significant
/// first), and input x_i is bit i of m (x_0 is the least significant). Rows come out in minterm order.
dataset load_truth_table(const std::filesystem::path& path);

/// IDX images (magic 0x00000803, unsigned bytes) and labels (0x00000801), plain or gzip. Images are
/// flattened row-major and scaled to [0,1] (x/255), labels become a 10-class multiclass target.
dataset load_idx_pair(const std::filesystem::path& images, const std::filesystem::path& labels,
                      std::size_t max_rows = 0);
/// Fashion-MNIST from Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist, or the directory in
/// $OCCAM_FASHION_MNIST_DIR). `split` is "train" (60000 rows) or "test" (10000 rows).
dataset load_fashion_mnist(const std::string& split, std::size_t max_rows = 0);

/// The whole content of a file, gunzipped when it is gzip (zlib reads plain files unchanged).
std::string read_maybe_gzip(const std::filesystem::path& path);

}  // namespace occam::data
