// The data set container: slicing, validation, boxes and deterministic splits.
#include "occam/data/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "occam/data/rng.hpp"
#include "occam/util/error.hpp"

namespace occam::data {

const char* to_string(task_kind k) {
  switch (k) {
    case task_kind::regression:
      return "regression";
    case task_kind::binary:
      return "binary";
    case task_kind::multiclass:
      return "multiclass";
  }
  return "unknown";
}

bool box::contains(const float* x, float tol) const {
  for (std::size_t i = 0; i < lo.size(); ++i)
    if (!(x[i] >= lo[i] - tol && x[i] <= hi[i] + tol)) return false;  // NaN is outside
  return true;
}

namespace {
dataset empty_like(const dataset& d) {
  dataset r;
  r.name = d.name;
  r.kind = d.kind;
  r.d_in = d.d_in;
  r.d_out = d.d_out;
  r.n_classes = d.n_classes;
  r.input_box = d.input_box;
  r.boolean_inputs = d.boolean_inputs;
  return r;
}
}  // namespace

dataset dataset::slice(std::size_t begin, std::size_t end) const {
  if (begin > end || end > n)
    throw input_error(name, 0,
                      "slice [" + std::to_string(begin) + ", " + std::to_string(end) +
                          ") out of range (n = " + std::to_string(n) + ")");
  dataset r = empty_like(*this);
  r.n = end - begin;
  r.x.assign(x.begin() + begin * d_in, x.begin() + end * d_in);
  r.y.assign(y.begin() + begin * d_out, y.begin() + end * d_out);
  return r;
}

dataset dataset::subset(const std::vector<std::size_t>& idx) const {
  dataset r = empty_like(*this);
  r.n = idx.size();
  r.x.resize(r.n * d_in);
  r.y.resize(r.n * d_out);
  for (std::size_t k = 0; k < idx.size(); ++k) {
    std::size_t i = idx[k];
    if (i >= n)
      throw input_error(
          name, 0, "subset index " + std::to_string(i) + " out of range (n = " + std::to_string(n) + ")");
    std::copy_n(x.begin() + i * d_in, d_in, r.x.begin() + k * d_in);
    std::copy_n(y.begin() + i * d_out, d_out, r.y.begin() + k * d_out);
  }
  return r;
}

void dataset::validate() const {
  const std::string& nm = name.empty() ? std::string("<data set>") : name;
  if (x.size() != n * d_in)
    throw input_error(nm, 0,
                      "inputs hold " + std::to_string(x.size()) +
                          " values, expected n*d_in = " + std::to_string(n) + "*" + std::to_string(d_in));
  if (y.size() != n * d_out)
    throw input_error(nm, 0,
                      "targets hold " + std::to_string(y.size()) +
                          " values, expected n*d_out = " + std::to_string(n) + "*" + std::to_string(d_out));
  if (input_box.lo.size() != d_in || input_box.hi.size() != d_in)
    throw input_error(nm, 0,
                      "input box has " + std::to_string(input_box.lo.size()) +
                          " dimensions, the data has d_in = " + std::to_string(d_in));
  for (std::size_t j = 0; j < d_in; ++j)
    if (!(input_box.lo[j] <= input_box.hi[j]) || !std::isfinite(input_box.lo[j]) ||
        !std::isfinite(input_box.hi[j]))
      throw input_error(nm, 0, "input box coordinate " + std::to_string(j) + " is not a finite interval");
  if (kind == task_kind::multiclass) {
    if (d_out != 1) throw input_error(nm, 0, "multiclass data must have d_out = 1 (class indices)");
    if (n_classes < 2) throw input_error(nm, 0, "multiclass data needs at least 2 classes");
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d_in; ++j) {
      float v = x[i * d_in + j];
      if (!std::isfinite(v))
        throw input_error(nm, 0,
                          "input " + std::to_string(j) + " of row " + std::to_string(i) + " is not finite");
      if (v < input_box.lo[j] || v > input_box.hi[j])
        throw input_error(nm, 0,
                          "input " + std::to_string(j) + " of row " + std::to_string(i) + " (" +
                              std::to_string(v) + ") lies outside the input box [" +
                              std::to_string(input_box.lo[j]) + ", " + std::to_string(input_box.hi[j]) + "]");
    }
    for (std::size_t j = 0; j < d_out; ++j) {
      float v = y[i * d_out + j];
      if (!std::isfinite(v))
        throw input_error(nm, 0,
                          "target " + std::to_string(j) + " of row " + std::to_string(i) + " is not finite");
      if (kind == task_kind::binary && v != 0.0f && v != 1.0f)
        throw input_error(nm, 0,
                          "binary target " + std::to_string(j) + " of row " + std::to_string(i) + " is " +
                              std::to_string(v) + ", expected 0 or 1");
      if (kind == task_kind::multiclass &&
          (v < 0 || v != std::floor(v) || v >= static_cast<float>(n_classes)))
        throw input_error(nm, 0,
                          "class label of row " + std::to_string(i) + " is " + std::to_string(v) +
                              ", expected an integer in [0, " + std::to_string(n_classes) + ")");
    }
  }
}

void fit_box_to_data(dataset& d) {
  // One row-major pass (the inputs are n × d_in row-major; a column-by-column scan would stride).
  std::vector<float> lo(d.d_in, INFINITY), hi(d.d_in, -INFINITY);
  for (std::size_t i = 0; i < d.n; ++i) {
    const float* r = d.x.data() + i * d.d_in;
    for (std::size_t j = 0; j < d.d_in; ++j) {
      float v = r[j];
      if (std::isfinite(v)) {
        lo[j] = std::min(lo[j], v);
        hi[j] = std::max(hi[j], v);
      }
    }
  }
  for (std::size_t j = 0; j < d.d_in; ++j)
    if (lo[j] > hi[j]) lo[j] = hi[j] = 0.0f;  // no finite value (n = 0): a degenerate box at 0
  d.input_box.lo = std::move(lo);
  d.input_box.hi = std::move(hi);
}

split split_dataset(const dataset& d, double valid_fraction, double test_fraction, std::uint64_t seed) {
  if (!(valid_fraction >= 0 && test_fraction >= 0 && valid_fraction + test_fraction <= 1))
    throw input_error("split fractions must be >= 0 and sum to at most 1 (valid " +
                      std::to_string(valid_fraction) + ", test " + std::to_string(test_fraction) + ")");
  std::vector<std::size_t> perm(d.n);
  for (std::size_t i = 0; i < d.n; ++i) perm[i] = i;
  rng gen(seed);
  // Fisher–Yates with our own generator, so a split is the same on every platform and standard library.
  for (std::size_t i = d.n; i > 1; --i) std::swap(perm[i - 1], perm[gen.below(i)]);
  auto n_valid = static_cast<std::size_t>(std::llround(valid_fraction * static_cast<double>(d.n)));
  auto n_test = static_cast<std::size_t>(std::llround(test_fraction * static_cast<double>(d.n)));
  if (n_valid + n_test > d.n) n_test = d.n - n_valid;
  std::size_t n_train = d.n - n_valid - n_test;
  split s;
  s.train = d.subset({perm.begin(), perm.begin() + n_train});
  s.valid = d.subset({perm.begin() + n_train, perm.begin() + n_train + n_valid});
  s.test = d.subset({perm.begin() + n_train + n_valid, perm.end()});
  return s;
}

}  // namespace occam::data
