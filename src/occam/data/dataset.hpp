#pragma once
// The in-memory data set every occam algorithm consumes. Torch-free: plain row-major float arrays, so the
// circuit side (PLA accuracy) and the loaders build without libtorch. Modules that need tensors wrap
// these buffers (see nn/tensors.hpp).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace occam::data {

/// What the targets mean; it fixes the loss and the metrics.
enum class task_kind {
  regression,  ///< y: n × d_out real values; MSE loss.
  binary,      ///< y: n × d_out values in {0,1} (one or more Boolean outputs, e.g. PLA); logistic loss.
  multiclass,  ///< y: n × 1 class indices 0..n_classes-1; cross-entropy loss, n_classes network outputs.
};

const char* to_string(task_kind k);

/// The input box B = Π_i [lo_i, hi_i] (THEORY §1–3). Interval bounds and the certified R are over it.
struct box {
  std::vector<float> lo, hi;
  std::size_t dims() const { return lo.size(); }
  bool contains(const float* x, float tol = 0.0f) const;
};

struct dataset {
  std::string name;  ///< file name or built-in task spec, for reports
  task_kind kind = task_kind::regression;
  std::size_t n = 0;            ///< samples
  std::size_t d_in = 0;         ///< input coordinates
  std::size_t d_out = 0;        ///< target columns (1 for multiclass)
  std::size_t n_classes = 0;    ///< multiclass only
  std::vector<float> x;         ///< n × d_in, row-major
  std::vector<float> y;         ///< n × d_out, row-major
  box input_box;                ///< always set (declared by the source, or the data's own min/max)
  bool boolean_inputs = false;  ///< every input is 0/1 (PLA, truth tables, Boolean built-ins)

  /// Network output dimension: n_classes for multiclass, d_out otherwise.
  std::size_t model_outputs() const { return kind == task_kind::multiclass ? n_classes : d_out; }
  const float* row(std::size_t i) const { return x.data() + i * d_in; }
  const float* target(std::size_t i) const { return y.data() + i * d_out; }

  /// Rows [begin, end) as a new data set (same box and kind).
  dataset slice(std::size_t begin, std::size_t end) const;
  /// The rows listed in `idx`, in that order.
  dataset subset(const std::vector<std::size_t>& idx) const;
  /// Throws input_error(name, 0, …) if sizes disagree, values are NaN/inf, labels are out of range or
  /// inputs leave the box.
  void validate() const;
};

/// Sets `input_box` to the data's own per-coordinate min/max (a degenerate coordinate gets [v, v]).
void fit_box_to_data(dataset& d);

/// Train / validation / test split, deterministic given the seed (a shuffle then contiguous pieces).
struct split {
  dataset train, valid, test;
};
split split_dataset(const dataset& d, double valid_fraction, double test_fraction, std::uint64_t seed);

}  // namespace occam::data
