// The extension module occam._core: error translation, shared conversions, and the per-area bindings.
#include <cmath>
#include <cstring>

#include "common.hpp"
#include "occam/data/loaders.hpp"
#include "occam/util/error.hpp"
#include "occam/util/process_tuning.hpp"

namespace occam::python {

void progress_hook::operator()(const nlohmann::json& info) {
  py::gil_scoped_acquire gil;
  if (failed_) throw python_interrupt();
  try {
    if (!callback_.is_none()) callback_(to_python(info));
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  } catch (py::error_already_set& e) {
    failed_ = true;
    type_ = e.type();
    value_ = e.value();
    trace_ = e.trace();
    throw python_interrupt();
  }
}

void progress_hook::rethrow_pending() {
  if (!failed_) return;
  failed_ = false;
  PyErr_Restore(type_.release().ptr(), value_.release().ptr(), trace_.release().ptr());
  throw py::error_already_set();
}

py::object to_python(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return py::none();
    case nlohmann::json::value_t::boolean:
      return py::bool_(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return py::int_(j.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return py::int_(j.get<std::uint64_t>());
    case nlohmann::json::value_t::number_float:
      return py::float_(j.get<double>());
    case nlohmann::json::value_t::string:
      return py::str(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      py::list l;
      for (const auto& e : j) l.append(to_python(e));
      return std::move(l);
    }
    case nlohmann::json::value_t::object: {
      py::dict d;
      for (auto it = j.begin(); it != j.end(); ++it) d[py::str(it.key())] = to_python(it.value());
      return std::move(d);
    }
    default:
      return py::none();
  }
}

torch::Tensor float_matrix(const py::array& a, const char* what, std::int64_t expected_columns) {
  if (a.ndim() != 2)
    throw input_error(std::string(what) + ": expected a 2-D array (rows × columns), got " +
                      std::to_string(a.ndim()) + " dimension(s)");
  if (expected_columns >= 0 && a.shape(1) != expected_columns)
    throw input_error(std::string(what) + ": expected " + std::to_string(expected_columns) +
                      " columns, got " + std::to_string(a.shape(1)));
  const char k = a.dtype().kind();
  if (k != 'f' && k != 'i' && k != 'u' && k != 'b')
    throw input_error(std::string(what) + ": expected a numeric array, got dtype " +
                      std::string(py::str(a.dtype())));
  const bool contiguous_f32 =
      a.dtype().is(py::dtype::of<float>()) && (a.flags() & py::array::c_style) == py::array::c_style;
  if (contiguous_f32) {
    // Shares numpy's buffer; the caller keeps `a` alive for the tensor's lifetime.
    return torch::from_blob(const_cast<void*>(a.data()), {a.shape(0), a.shape(1)}, torch::kFloat32);
  }
  auto converted = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(a);
  if (!converted) throw py::error_already_set();
  return torch::from_blob(converted.mutable_data(), {a.shape(0), a.shape(1)}, torch::kFloat32).clone();
}

py::array to_numpy(const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
  auto* owner = new torch::Tensor(c);
  py::capsule free_when_done(owner, [](void* p) { delete static_cast<torch::Tensor*>(p); });
  std::vector<py::ssize_t> shape(c.sizes().begin(), c.sizes().end());
  std::vector<py::ssize_t> strides;
  for (auto s : c.strides()) strides.push_back(s * c.element_size());
  switch (c.scalar_type()) {
    case torch::kFloat32:
      return py::array_t<float>(shape, strides, c.data_ptr<float>(), free_when_done);
    case torch::kFloat64:
      return py::array_t<double>(shape, strides, c.data_ptr<double>(), free_when_done);
    case torch::kInt64:
      return py::array_t<std::int64_t>(shape, strides, c.data_ptr<std::int64_t>(), free_when_done);
    case torch::kBool:
      return py::array(py::dtype("bool"), shape, strides, c.data_ptr<bool>(), free_when_done);
    default: {
      delete owner;
      return to_numpy(t.to(torch::kFloat64));
    }
  }
}

data::task_kind parse_kind(const std::string& name) {
  if (name == "regression") return data::task_kind::regression;
  if (name == "binary") return data::task_kind::binary;
  if (name == "multiclass") return data::task_kind::multiclass;
  throw input_error("kind: unknown task kind '" + name + "' (choices: regression, binary, multiclass)");
}

data::dataset make_dataset(const py::array& X, const py::array& y, data::task_kind kind,
                           const std::string& name) {
  auto x = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(X);
  auto t = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(y);
  if (!x || !t) throw input_error(name + ": X and y must be numeric arrays");
  if (x.ndim() != 2)
    throw input_error(name + ": X must be 2-D (rows × inputs), got " + std::to_string(x.ndim()) +
                      " dimension(s)");
  if (t.ndim() != 1 && t.ndim() != 2) throw input_error(name + ": y must be 1-D or 2-D");
  if (t.shape(0) != x.shape(0))
    throw input_error(name + ": X has " + std::to_string(x.shape(0)) + " rows but y has " +
                      std::to_string(t.shape(0)));
  if (x.shape(0) == 0) throw input_error(name + ": no rows");
  data::dataset d;
  d.name = name;
  d.kind = kind;
  d.n = std::size_t(x.shape(0));
  d.d_in = std::size_t(x.shape(1));
  d.d_out = t.ndim() == 1 ? 1 : std::size_t(t.shape(1));
  d.x.resize(d.n * d.d_in);
  d.y.resize(d.n * d.d_out);
  const double* xp = x.data();
  const double* tp = t.data();
  bool boolean = true;
  for (std::size_t i = 0; i < d.x.size(); ++i) {
    if (!std::isfinite(xp[i]))
      throw input_error(name + ": X row " + std::to_string(i / d.d_in) + " column " +
                        std::to_string(i % d.d_in) + " is not finite");
    d.x[i] = float(xp[i]);
    boolean = boolean && (xp[i] == 0.0 || xp[i] == 1.0);
  }
  for (std::size_t i = 0; i < d.y.size(); ++i) {
    if (!std::isfinite(tp[i]))
      throw input_error(name + ": y row " + std::to_string(i / d.d_out) + " is not finite");
    d.y[i] = float(tp[i]);
  }
  if (kind == data::task_kind::multiclass) {
    if (d.d_out != 1) throw input_error(name + ": multiclass y must have one column of class indices");
    double top = 0;
    for (std::size_t i = 0; i < d.n; ++i) {
      if (tp[i] < 0 || tp[i] != std::floor(tp[i]))
        throw input_error(name + ": y row " + std::to_string(i) +
                          " is not a class index (a non-negative integer)");
      top = std::max(top, tp[i]);
    }
    d.n_classes = std::size_t(top) + 1;
  }
  if (kind == data::task_kind::binary)
    for (std::size_t i = 0; i < d.y.size(); ++i)
      if (tp[i] != 0.0 && tp[i] != 1.0)
        throw input_error(name + ": binary y row " + std::to_string(i / d.d_out) + " is " +
                          std::to_string(tp[i]) + ", not 0 or 1");
  d.boolean_inputs = boolean;
  data::fit_box_to_data(d);
  d.validate();
  return d;
}

}  // namespace occam::python

PYBIND11_MODULE(_core, m) {
  namespace py = pybind11;
  m.doc() =
      "occam: circuits, complexities and convex training of ReLU ResNets (C++ core; see docs/python.md)";
  // The library reports bad user input as occam::input_error; in Python that is a ValueError with the same
  // text.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const occam::input_error& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const occam::python::python_interrupt&) {
      PyErr_SetString(PyExc_KeyboardInterrupt, "interrupted");
    }
  });
  occam::python::bind_circuit(m);
  occam::python::bind_nn(m);
  occam::python::bind_convex(m);
  occam::python::bind_tetrakis(m);

  m.def(
      "_load_dataset",
      [](const std::string& path_or_spec, const std::string& targets_path, std::size_t max_rows,
         const std::string& kind, std::uint64_t seed, std::size_t samples) {
        occam::data::load_params lp;
        lp.targets_path = targets_path;
        lp.max_rows = max_rows;
        lp.kind = kind;
        lp.task.seed = seed;
        lp.task.samples = samples;
        occam::data::dataset d;
        {
          py::gil_scoped_release nogil;
          d = occam::data::load_dataset(path_or_spec, lp);
        }
        py::array_t<float> X({py::ssize_t(d.n), py::ssize_t(d.d_in)});
        std::copy(d.x.begin(), d.x.end(), X.mutable_data());
        py::array_t<float> Y({py::ssize_t(d.n), py::ssize_t(d.d_out)});
        std::copy(d.y.begin(), d.y.end(), Y.mutable_data());
        py::dict r;
        r["X"] = X;
        r["y"] = Y;
        r["name"] = d.name;
        r["kind"] = std::string(occam::data::to_string(d.kind));
        r["n_classes"] = d.n_classes;
        r["boolean_inputs"] = d.boolean_inputs;
        r["box"] = py::make_tuple(d.input_box.lo, d.input_box.hi);
        return r;
      },
      py::arg("path_or_spec"), py::arg("targets_path") = "", py::arg("max_rows") = 0, py::arg("kind") = "",
      py::arg("seed") = 1, py::arg("samples") = 0);
}
