#pragma once
// Shared pieces of the occam Python bindings: numpy ↔ C++ conversions, JSON → Python objects, and the
// progress/interrupt hook that long calls run between their steps.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <torch/types.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "occam/data/dataset.hpp"

namespace occam::python {

namespace py = pybind11;

/// Thrown from a progress hook when Python has a pending signal (Ctrl-C); the binding that released the GIL
/// turns it back into the Python exception once the library call has unwound.
struct python_interrupt : std::exception {
  const char* what() const noexcept override { return "interrupted"; }
};

/// Called (without the GIL) from a library hook: takes the GIL, calls the user's callback with `info` (when
/// given) and checks for Ctrl-C. A Python exception (from the callback or a signal) is stored in `pending`
/// and python_interrupt is thrown so that the library unwinds.
class progress_hook {
 public:
  explicit progress_hook(py::object callback) : callback_(std::move(callback)) {}
  void operator()(const nlohmann::json& info);
  /// After the GIL is re-acquired: re-raises the stored Python exception, if any.
  void rethrow_pending();

 private:
  py::object callback_;
  bool failed_ = false;
  py::object type_, value_, trace_;
};

/// JSON value as the matching Python object (dict, list, str, float, int, bool, None).
py::object to_python(const nlohmann::json& j);

/// A 2-D float32 view of `a` as a CPU tensor: zero-copy when `a` is float32 and C-contiguous, else a
/// converted copy (held by the returned tensor). `what` names the argument in errors.
torch::Tensor float_matrix(const py::array& a, const char* what, std::int64_t expected_columns = -1);
/// A tensor (any dtype/device) as a numpy array; CPU contiguous tensors are shared, not copied.
py::array to_numpy(const torch::Tensor& t);
/// Task kind from its name ("regression", "binary", "multiclass").
data::task_kind parse_kind(const std::string& name);

/// A data set from arrays: X n×d (any real dtype), y n or n×d_out. multiclass: y holds class indices.
/// The box is the data's own min/max; boolean_inputs is set when every input is 0 or 1. Validated.
data::dataset make_dataset(const py::array& X, const py::array& y, data::task_kind kind,
                           const std::string& name);

void bind_circuit(py::module_& m);
void bind_nn(py::module_& m);
void bind_convex(py::module_& m);
void bind_tetrakis(py::module_& m);

}  // namespace occam::python
