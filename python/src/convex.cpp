// occam.convex: the two-layer convex programs of THEORY §10 (gated ReLU and ReLU) on numpy arrays.
#include <torch/torch.h>

#include <functional>

#include "common.hpp"
#include "occam/convex/convex.hpp"
#include "occam/util/error.hpp"

namespace occam::python {
namespace {

/// The solvers' log records as progress-callback dicts (the two-layer programs also report the duality gap).
std::function<void(const convex::log_record&)> solver_log_to(progress_hook& hook, bool with_gap) {
  return [&hook, with_gap](const convex::log_record& r) {
    // Called without the GIL: the record is plain JSON until the hook takes the GIL.
    nlohmann::json info = {{"stage", "convex"}, {"iteration", r.iteration}, {"objective", r.objective},
                           {"kkt", r.kkt},      {"active", r.active},       {"seconds", r.seconds}};
    if (with_gap) info["gap"] = r.gap;
    hook(info);
  };
}

}  // namespace

void bind_convex(py::module_& m) {
  auto cv = m.def_submodule("_convex");
  cv.def(
      "solve2",
      [](const py::array& X, const py::array& y, double lam, const std::string& model,
         const std::string& loss, std::int64_t patterns, std::uint64_t seed, std::int64_t max_iterations,
         double tol, const py::object& callback) {
        torch::Tensor x = float_matrix(X, "X");
        torch::Tensor t;
        {
          auto ya = py::array(y);
          if (ya.ndim() == 1) ya = ya.attr("reshape")(-1, 1);
          t = float_matrix(ya, "y");
        }
        if (t.size(0) != x.size(0))
          throw input_error("X has " + std::to_string(x.size(0)) + " rows but y has " +
                            std::to_string(t.size(0)));
        if (!(lam > 0)) throw input_error("lam must be > 0");
        if (patterns <= 0) throw input_error("patterns must be ≥ 1");
        convex::solve_params sp;
        sp.lambda = lam;
        if (model == "gated_relu")
          sp.model = convex::model_kind::gated_relu;
        else if (model == "relu")
          sp.model = convex::model_kind::relu;
        else
          throw input_error("model: choices are gated_relu, relu");
        if (loss == "squared")
          sp.loss = convex::loss_kind::squared;
        else if (loss == "logistic")
          sp.loss = convex::loss_kind::logistic;
        else
          throw input_error("loss: choices are squared, logistic");
        if (sp.loss == convex::loss_kind::logistic) {
          if (t.size(1) != 1) throw input_error("logistic loss: y must have one column of ±1 labels");
          if (!t.abs().eq(1).all().item<bool>()) throw input_error("logistic loss: y must be −1 or +1");
        }
        if (sp.model == convex::model_kind::relu && t.size(1) != 1)
          throw input_error("relu model: y must have one column");
        const torch::Tensor target = t.size(1) == 1 ? t.squeeze(1) : t;
        sp.max_iterations = max_iterations;
        sp.tol = tol;
        progress_hook hook(callback);
        sp.on_log = solver_log_to(hook, /*with_gap=*/true);
        convex::sample_params pp;
        pp.count = patterns;
        pp.seed = seed;
        convex::two_layer_solution s;
        convex::solve_stats st;
        convex::two_layer_network net;
        try {
          py::gil_scoped_release nogil;
          auto pats = convex::sample_patterns(x, pp);
          s = convex::solve_two_layer(x, target, pats, sp, &st);
          net = convex::recover_network(s);
        } catch (const python_interrupt&) {
          hook.rethrow_pending();
          throw;
        }
        py::dict res;
        res["gates"] = to_numpy(s.patterns.gates);
        res["U"] = to_numpy(s.U);
        res["W"] = s.W.defined() ? py::object(to_numpy(s.W)) : py::none();
        res["W1"] = to_numpy(net.W1);
        res["W2"] = to_numpy(net.W2);
        py::dict metrics;
        metrics["objective"] = st.objective;
        metrics["data_loss"] = st.data_loss;
        metrics["penalty"] = st.penalty;
        metrics["gap"] = st.gap;
        metrics["kkt"] = st.kkt;
        metrics["violation"] = st.violation;
        metrics["iterations"] = st.iterations;
        metrics["active"] = st.active;
        metrics["converged"] = st.converged;
        metrics["seconds"] = st.seconds;
        metrics["network_objective"] = net.objective(x, target, lam, sp.loss);
        res["metrics"] = metrics;
        res["_solution"] = py::cast(std::move(s));
        return res;
      },
      py::arg("X"), py::arg("y"), py::arg("lam"), py::arg("model"), py::arg("loss"), py::arg("patterns"),
      py::arg("seed"), py::arg("max_iterations"), py::arg("tol"), py::arg("callback"));

  py::class_<convex::two_layer_solution>(cv, "TwoLayerSolution")
      .def("predict", [](const convex::two_layer_solution& s, const py::array& X) {
        torch::Tensor x = float_matrix(X, "X", s.patterns.gates.size(0));
        torch::Tensor out;
        {
          py::gil_scoped_release nogil;
          out = convex::predict(s, x);
        }
        return to_numpy(out);
      });
  cv.def("network_forward", [](const py::array& W1, const py::array& W2, const py::array& X) {
    convex::two_layer_network net{float_matrix(W1, "W1"), float_matrix(W2, "W2")};
    return to_numpy(net.forward(float_matrix(X, "X", net.W1.size(1))));
  });

  cv.def(
      "solve3",
      [](const py::array& X, const py::array& y, double lam, bool constrained, std::int64_t width,
         std::int64_t patterns, std::uint64_t seed, std::int64_t max_iterations, double tol,
         const py::object& callback) {
        torch::Tensor x = float_matrix(X, "X");
        auto ya = py::array(y);
        if (ya.ndim() == 1) ya = ya.attr("reshape")(-1, 1);
        torch::Tensor t = float_matrix(ya, "y");
        if (t.size(0) != x.size(0))
          throw input_error("X has " + std::to_string(x.size(0)) + " rows but y has " +
                            std::to_string(t.size(0)));
        if (!(lam > 0)) throw input_error("lam must be > 0");
        if (patterns <= 0 || width <= 0) throw input_error("patterns and width must be ≥ 1");
        if (constrained && t.size(1) != 1) throw input_error("path3: y must have one column");
        const torch::Tensor target = t.size(1) == 1 ? t.squeeze(1) : t;
        convex::solve_params sp;
        sp.lambda = lam;
        sp.model = constrained ? convex::model_kind::relu : convex::model_kind::gated_relu;
        sp.max_iterations = max_iterations;
        sp.tol = tol;
        progress_hook hook(callback);
        sp.on_log = solver_log_to(hook, /*with_gap=*/false);
        convex::path3_sample_params pp;
        pp.count = patterns;
        pp.width = width;
        pp.seed = seed;
        convex::path3_solution s;
        convex::solve_stats st;
        convex::path3_network net;
        try {
          py::gil_scoped_release nogil;
          auto pats = convex::sample_path3_patterns(x, pp);
          s = convex::solve_path3(x, target, pats, sp, &st);
          net = convex::recover_path3(s);
        } catch (const python_interrupt&) {
          hook.rethrow_pending();
          throw;
        }
        py::dict res;
        res["W"] = to_numpy(s.W);
        res["Wn"] = s.Wn.defined() ? py::object(to_numpy(s.Wn)) : py::none();
        res["W1"] = to_numpy(net.W1);
        res["w2"] = to_numpy(net.w2);
        res["b1"] = net.b1.defined() ? py::object(to_numpy(net.b1)) : py::none();
        res["w3"] = to_numpy(net.w3);
        py::dict metrics;
        metrics["objective"] = st.objective;
        metrics["data_loss"] = st.data_loss;
        metrics["penalty"] = st.penalty;
        metrics["kkt"] = st.kkt;
        metrics["violation"] = st.violation;
        metrics["iterations"] = st.iterations;
        metrics["active"] = st.active;
        metrics["converged"] = st.converged;
        metrics["seconds"] = st.seconds;
        metrics["network_objective"] = net.objective(x, target, lam, sp.loss);
        metrics["network_path_penalty"] = net.path_penalty();
        res["metrics"] = metrics;
        res["_network"] = py::cast(std::move(net));
        return res;
      },
      py::arg("X"), py::arg("y"), py::arg("lam"), py::arg("constrained"), py::arg("width"),
      py::arg("patterns"), py::arg("seed"), py::arg("max_iterations"), py::arg("tol"), py::arg("callback"));

  py::class_<convex::path3_network>(cv, "Path3Network")
      .def("forward", [](const convex::path3_network& n, const py::array& X) {
        torch::Tensor x = float_matrix(X, "X", n.W1.size(1));
        torch::Tensor out;
        {
          py::gil_scoped_release nogil;
          torch::NoGradGuard ng;
          out = n.forward(x);
        }
        return to_numpy(out);
      });
}

}  // namespace occam::python
