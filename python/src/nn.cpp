// occam.ResNet (THEORY §1), R̃ and certified R (§2–3), pruning (§2), training, and occam fit (§1–5).
#include <torch/torch.h>

#include <chrono>

#include "common.hpp"
#include "occam/complexity/certified_r.hpp"
#include "occam/complexity/penalty.hpp"
#include "occam/complexity/prune.hpp"
#include "occam/complexity/rtilde.hpp"
#include "occam/fit/fit.hpp"
#include "occam/nn/resnet.hpp"
#include "occam/nn/train.hpp"
#include "occam/report/report.hpp"
#include "occam/util/error.hpp"

namespace occam::python {

using nn::resnet;

namespace {

py::dict shape_dict(const nn::resnet_shape& s) {
  py::dict d;
  d["d_in"] = s.d_in;
  d["width"] = s.width;
  d["hidden"] = s.hidden;
  d["depth"] = s.depth;
  d["d_out"] = s.d_out;
  d["parameters"] = s.parameter_count();
  return d;
}

std::vector<py::array> arrays(const std::vector<torch::Tensor>& ts) {
  std::vector<py::array> v;
  for (const auto& t : ts) v.push_back(to_numpy(t.clone()));
  return v;
}

/// Copies `values` into the model's parameters (order of resnet::parameters()), checking every shape.
void set_parameters(resnet& m, const std::vector<py::array>& values) {
  auto ps = m.parameters();
  if (values.size() != ps.size())
    throw input_error("parameters: expected " + std::to_string(ps.size()) +
                      " arrays (W_1, V_1, …, W_L, V_L, U), got " + std::to_string(values.size()));
  torch::NoGradGuard ng;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    torch::Tensor t = float_matrix(values[i], ("parameters[" + std::to_string(i) + "]").c_str());
    if (t.sizes() != ps[i].sizes())
      throw input_error("parameters[" + std::to_string(i) + "]: expected shape " +
                        std::to_string(ps[i].size(0)) + "×" + std::to_string(ps[i].size(1)) + ", got " +
                        std::to_string(t.size(0)) + "×" + std::to_string(t.size(1)));
    ps[i].copy_(t.to(ps[i].dtype()));
  }
}

/// x as a tensor for model m (d_in columns), on the model's device and dtype.
torch::Tensor model_input(const resnet& m, const py::array& X) {
  return float_matrix(X, "X", m.shape.d_in).to(m.device(), m.dtype());
}

py::dict prune_stats_dict(const complexity::prune_stats& s) {
  py::dict d;
  d["parameters"] = s.parameters;
  d["nonzero_before"] = s.nonzero_before;
  d["budget"] = s.budget;
  d["expected_nonzero"] = s.expected_nonzero;
  d["nonzero_after"] = s.nonzero_after;
  d["kept_exactly"] = s.kept_exactly;
  d["rtilde"] = s.rtilde;
  d["predicted_error"] = s.predicted_error;
  d["predicted_error_waterfill"] = s.predicted_error_waterfill;
  d["measured_error"] = s.measured_error;
  d["bisection_steps"] = s.bisection_steps;
  return d;
}

complexity::certified_r_params certified_params(bool linf, int shape_rounds, std::int64_t max_boxes) {
  complexity::certified_r_params p;
  p.linf_certificate = linf;
  p.shape_rounds = shape_rounds;
  p.max_boxes = max_boxes;
  return p;
}

nlohmann::json epoch_json(const nn::epoch_metrics& e) {
  return {{"stage", "train"},     {"epoch", e.epoch},       {"train_loss", e.train_loss},
          {"penalty", e.penalty}, {"val_loss", e.val_loss}, {"val_accuracy", e.val_accuracy},
          {"nonzero", e.nonzero}, {"seconds", e.seconds}};
}

data::dataset optional_dataset(const py::object& X, const py::object& y, data::task_kind kind,
                               const char* name) {
  if (X.is_none() != y.is_none()) throw input_error(std::string(name) + ": give both X and y, or neither");
  if (X.is_none()) return {};
  return make_dataset(py::array(X), py::array(y), kind, name);
}

py::dict train_stats_dict(const nn::train_stats& s) {
  py::dict d;
  d["epochs_run"] = s.epochs_run;
  d["best_epoch"] = s.best_epoch;
  d["train_seconds"] = s.train_seconds;
  d["samples_per_second"] = s.samples_per_second;
  d["train_loss"] = s.train_loss;
  d["val_loss"] = s.val_loss;
  d["val_accuracy"] = s.val_accuracy;
  d["stopped_early"] = s.stopped_early;
  return d;
}

nlohmann::json fit_report_json(const fit::fit_result& R) {
  nlohmann::json j;
  j["kind"] = data::to_string(R.kind);
  j["candidates"] = nlohmann::json::array();
  for (const auto& c : R.candidates) j["candidates"].push_back(fit::to_json(c));
  j["front"] = nlohmann::json::array();
  for (const auto& p : R.front) j["front"].push_back(report::to_json(p));
  j["rate"] = report::to_json(R.rate);
  j["c_gamma"] = R.c_gamma;
  j["htmc_bound_on_range"] = report::to_json(R.htmc);
  j["chosen"] = R.chosen >= 0 ? fit::to_json(R.candidates[std::size_t(R.chosen)]) : nlohmann::json(nullptr);
  if (R.chosen >= 0 && R.pac_valid) j["chosen"]["pac_bound"] = report::to_json(R.pac);
  j["chosen_inputs"] = R.chosen_inputs;
  j["selected_inputs"] = R.selected_inputs;
  j["seconds"] = R.seconds;
  j["files"] = R.files;
  return j;
}

}  // namespace

void bind_nn(py::module_& m) {
  py::class_<resnet>(m, "ResNet", "The THEORY §1 ResNet: α_ℓ = α_{ℓ−1} + [V_ℓ σ(W_ℓ α_{ℓ−1}); 0], f = U α_L.")
      .def(py::init([](std::int64_t d_in, std::int64_t width, std::int64_t hidden, std::int64_t depth,
                       std::int64_t d_out, std::uint64_t seed, double v_scale, const std::string& kind) {
             if (d_in <= 0 || hidden <= 0 || depth <= 0 || d_out <= 0 || width < d_in)
               throw input_error("ResNet: need d_in, hidden, depth, d_out ≥ 1 and width ≥ d_in");
             nn::init_params ip;
             ip.seed = seed;
             ip.v_scale = v_scale;
             resnet r = nn::make_resnet({d_in, width, hidden, depth, d_out}, ip);
             r.kind = parse_kind(kind);
             r.input_box.lo.assign(std::size_t(d_in), 0.0f);
             r.input_box.hi.assign(std::size_t(d_in), 1.0f);
             return r;
           }),
           py::arg("d_in"), py::arg("width"), py::arg("hidden"), py::arg("depth"), py::arg("d_out"),
           py::arg("seed") = 0, py::arg("v_scale") = 0.1, py::arg("kind") = "regression",
           "A freshly initialised network (input box [0,1]^d_in; set input_box to change it).")
      .def_static(
          "load", [](const std::string& path) { return nn::load_model(path); }, py::arg("path"))
      .def(
          "save", [](const resnet& r, const std::string& path) { nn::save_model(r, path); }, py::arg("path"))
      .def_property_readonly("shape", [](const resnet& r) { return shape_dict(r.shape); })
      .def_property_readonly("kind", [](const resnet& r) { return std::string(data::to_string(r.kind)); })
      .def_property(
          "input_box", [](const resnet& r) { return py::make_tuple(r.input_box.lo, r.input_box.hi); },
          [](resnet& r, std::pair<std::vector<float>, std::vector<float>> b) {
            if (b.first.size() != std::size_t(r.shape.d_in) || b.second.size() != b.first.size())
              throw input_error("input_box: expected (lo, hi) with " + std::to_string(r.shape.d_in) +
                                " entries each");
            for (std::size_t i = 0; i < b.first.size(); ++i)
              if (!(b.first[i] <= b.second[i]))
                throw input_error("input_box: lo > hi at coordinate " + std::to_string(i));
            r.input_box.lo = b.first;
            r.input_box.hi = b.second;
          })
      .def_property_readonly(
          "W", [](const resnet& r) { return arrays(r.W); }, "W_ℓ (k×(w+1)), copies")
      .def_property_readonly(
          "V", [](const resnet& r) { return arrays(r.V); }, "V_ℓ (w×k), copies")
      .def_property_readonly(
          "U", [](const resnet& r) { return to_numpy(r.U.clone()); }, "U (d_out×(w+1)), a copy")
      .def(
          "parameters", [](const resnet& r) { return arrays(r.parameters()); },
          "(W_1, V_1, …, W_L, V_L, U), copies")
      .def("set_parameters", &set_parameters, py::arg("values"))
      .def("nonzero_count", &resnet::nonzero_count)
      .def(
          "forward",
          [](const resnet& r, const py::array& X) {
            torch::Tensor x = model_input(r, X);
            torch::Tensor out;
            {
              py::gil_scoped_release nogil;
              torch::NoGradGuard ng;
              out = r.forward(x);
            }
            return to_numpy(out);
          },
          py::arg("X"), "f_θ(X): n×d_out (logits for classification). float32 C-contiguous X is not copied.")
      .def(
          "rtilde",
          [](const resnet& r, const py::array& X, std::int64_t chunk) {
            torch::Tensor x = model_input(r, X);
            complexity::rtilde_params p;
            p.chunk = chunk;
            py::gil_scoped_release nogil;
            return complexity::rtilde(r, x, p);
          },
          py::arg("X"), py::arg("chunk") = 2048,
          "R̃(θ) = Σ_i |θ_i| ‖∂_{θ_i} f‖_{L2(π)}, π = the rows of X (THEORY §2).")
      .def(
          "certified_r",
          [](const resnet& r, bool linf, int shape_rounds, std::int64_t max_boxes) {
            py::gil_scoped_release nogil;
            return complexity::certified_r(r, r.input_box, certified_params(linf, shape_rounds, max_boxes));
          },
          py::arg("linf_certificate") = true, py::arg("shape_rounds") = 2, py::arg("max_boxes") = 64,
          "The certified R(θ) over input_box (THEORY §3).")
      .def(
          "certified_r_terms",
          [](const resnet& r, bool linf, int shape_rounds, std::int64_t max_boxes) {
            complexity::certified_terms t;
            {
              py::gil_scoped_release nogil;
              t = complexity::certified_r_terms(r, r.input_box,
                                                certified_params(linf, shape_rounds, max_boxes));
            }
            py::dict d;
            d["total"] = t.total.item<double>();
            d["v_term"] = t.v_term;
            d["w_term"] = t.w_term;
            d["u_term"] = t.u_term;
            d["dead_neurons"] = t.dead_neurons;
            d["lipschitz_sum"] = t.lipschitz_sum;
            d["max_b"] = t.max_b;
            d["linf_wins"] = t.linf_wins;
            d["boxes"] = t.boxes;
            return d;
          },
          py::arg("linf_certificate") = true, py::arg("shape_rounds") = 2, py::arg("max_boxes") = 64)
      .def(
          "prune",
          [](const resnet& r, const py::array& X, double budget, double target_error,
             const std::string& method, std::uint64_t seed) {
            complexity::prune_params p;
            p.method = complexity::parse_prune_method(method);
            p.budget = budget;
            p.target_error = target_error;
            p.seed = seed;
            if (budget <= 0 && target_error <= 0)
              throw input_error("prune: give budget > 0 or target_error > 0");
            torch::Tensor x = model_input(r, X);
            complexity::prune_stats st;
            resnet out;
            {
              py::gil_scoped_release nogil;
              out = complexity::prune(r, x, p, &st);
            }
            return py::make_tuple(out, prune_stats_dict(st));
          },
          py::arg("X"), py::arg("budget") = 0.0, py::arg("target_error") = 0.0, py::arg("method") = "poisson",
          py::arg("seed") = 0, "Poisson or magnitude pruning of a copy (THEORY §2) → (ResNet, stats).")
      .def("__repr__", [](const resnet& r) {
        return "<occam.ResNet d_in=" + std::to_string(r.shape.d_in) +
               " width=" + std::to_string(r.shape.width) + " hidden=" + std::to_string(r.shape.hidden) +
               " depth=" + std::to_string(r.shape.depth) + " d_out=" + std::to_string(r.shape.d_out) +
               " kind=" + data::to_string(r.kind) + ">";
      });

  m.def(
      "train",
      [](const py::array& X, const py::array& y, const std::string& kind, std::int64_t width,
         std::int64_t hidden, std::int64_t depth, std::int64_t epochs, std::int64_t batch, double lr,
         const std::string& optimizer, const std::string& penalty, double lam, bool proximal,
         std::uint64_t seed, const py::object& X_valid, const py::object& y_valid, std::int64_t patience,
         bool select_best, const py::object& callback, int threads) {
        const auto k = parse_kind(kind);
        data::dataset tr = make_dataset(X, y, k, "train");
        data::dataset va = optional_dataset(X_valid, y_valid, k, "valid");
        if (va.n && (va.d_in != tr.d_in || va.d_out != tr.d_out))
          throw input_error("valid: X_valid/y_valid columns differ from X/y");
        if (k == data::task_kind::multiclass && va.n)
          va.n_classes = tr.n_classes = std::max(tr.n_classes, va.n_classes);
        nn::resnet_shape sh{std::int64_t(tr.d_in), width > 0 ? width : std::max<std::int64_t>(tr.d_in, 16),
                            hidden, depth, std::int64_t(tr.model_outputs())};
        if (sh.width < sh.d_in) throw input_error("width must be ≥ the number of inputs");
        if (hidden <= 0 || depth <= 0 || epochs <= 0 || batch <= 0)
          throw input_error("hidden, depth, epochs, batch must be ≥ 1");
        if (optimizer != "adam" && optimizer != "sgd") throw input_error("optimizer: choices are adam, sgd");
        nn::init_params ip;
        ip.seed = seed;
        resnet model = nn::make_resnet(sh, ip);
        model.kind = k;
        model.input_box = tr.input_box;
        auto reg =
            complexity::make_penalty(complexity::parse_penalty_kind(penalty), lam, proximal, tr.input_box);
        nn::train_params tp;
        tp.epochs = epochs;
        tp.batch = batch;
        tp.lr = lr;
        tp.optimizer = optimizer == "sgd" ? nn::optimizer_kind::sgd : nn::optimizer_kind::adam;
        tp.seed = seed;
        tp.patience = patience;
        tp.select_best = select_best;
        tp.threads = threads;
        tp.progress = false;
        tp.penalty = reg.get();
        progress_hook hook(callback);
        tp.on_epoch = [&hook](const nn::epoch_metrics& e) { hook(epoch_json(e)); };
        nn::train_stats st;
        try {
          py::gil_scoped_release nogil;
          st = nn::train(model, tr, va, tp);
        } catch (const python_interrupt&) {
          hook.rethrow_pending();
          throw;
        }
        return py::make_tuple(model, train_stats_dict(st));
      },
      py::arg("X"), py::arg("y"), py::arg("kind") = "regression", py::arg("width") = 0,
      py::arg("hidden") = 16, py::arg("depth") = 2, py::arg("epochs") = 100, py::arg("batch") = 128,
      py::arg("lr") = 1e-3, py::arg("optimizer") = "adam", py::arg("penalty") = "none", py::arg("lam") = 0.0,
      py::arg("proximal") = true, py::arg("seed") = 0, py::arg("X_valid") = py::none(),
      py::arg("y_valid") = py::none(), py::arg("patience") = 0, py::arg("select_best") = true,
      py::arg("callback") = py::none(), py::arg("threads") = 0,
      "Trains a fresh §1 ResNet (nn::train; penalties none/l1/l2/rtilde/r with weight lam) → (ResNet, "
      "stats).");

  m.def(
      "_fit",
      [](const py::array& X, const py::array& y, const py::object& X_valid, const py::object& y_valid,
         const std::string& kind, std::size_t max_ands, std::vector<double> lambdas, std::int64_t epochs,
         std::int64_t hidden, std::int64_t depth, std::int64_t width, std::vector<double> keep_fractions,
         std::int64_t finetune_epochs, std::vector<unsigned> bits, const std::string& abc_script,
         const std::string& final_abc_script, std::size_t max_compile, double tolerance,
         bool truth_table_route, std::size_t selection_inputs, bool table_route, bool float_truth_table,
         std::uint64_t seed, const std::string& penalty, const std::string& out_dir,
         const py::object& callback, int threads) {
        const auto k = parse_kind(kind);
        data::split sp;
        sp.train = make_dataset(X, y, k, "train");
        sp.valid = optional_dataset(X_valid, y_valid, k, "valid");
        if (sp.valid.n && (sp.valid.d_in != sp.train.d_in || sp.valid.d_out != sp.train.d_out))
          throw input_error("valid: X_valid/y_valid columns differ from X/y");
        fit::fit_params P;
        P.shape.hidden = hidden;
        P.shape.depth = depth;
        P.shape.width = width;
        P.init.seed = seed;
        P.train.epochs = epochs;
        P.train.seed = seed;
        P.train.threads = threads;
        P.train.progress = false;
        P.penalty = complexity::parse_penalty_kind(penalty);
        P.lambdas = std::move(lambdas);
        P.keep_fractions = std::move(keep_fractions);
        P.finetune_epochs = finetune_epochs;
        P.bits = std::move(bits);
        P.abc_script = abc_script;
        P.final_abc_script = final_abc_script;
        P.max_compile = max_compile;
        P.max_ands = max_ands;
        P.tolerance = tolerance;
        P.truth_table_route = truth_table_route;
        P.selection_inputs = selection_inputs;
        P.table_route = table_route;
        P.float_truth_table = float_truth_table;
        P.out_dir = out_dir;
        P.plots = !out_dir.empty();
        progress_hook hook(callback);
        P.train.on_epoch = [&hook](const nn::epoch_metrics& e) { hook(epoch_json(e)); };
        fit::fit_result R;
        try {
          py::gil_scoped_release nogil;
          R = fit::fit(sp, P);
        } catch (const python_interrupt&) {
          hook.rethrow_pending();
          throw;
        }
        py::dict res;
        res["circuit"] = R.chosen >= 0 ? py::cast(R.circuit) : py::none();
        res["model"] = R.model.U.defined() ? py::cast(R.model) : py::none();
        const auto j = fit_report_json(R);
        res["report"] = to_python(j);
        res["front"] = to_python(j["front"]);
        res["chosen_inputs"] = R.chosen_inputs;
        return res;
      },
      py::arg("X"), py::arg("y"), py::arg("X_valid"), py::arg("y_valid"), py::arg("kind"),
      py::arg("max_ands"), py::arg("lambdas"), py::arg("epochs"), py::arg("hidden"), py::arg("depth"),
      py::arg("width"), py::arg("keep_fractions"), py::arg("finetune_epochs"), py::arg("bits"),
      py::arg("abc_script"), py::arg("final_abc_script"), py::arg("max_compile"), py::arg("tolerance"),
      py::arg("truth_table_route"), py::arg("selection_inputs"), py::arg("table_route"),
      py::arg("float_truth_table"), py::arg("seed"), py::arg("penalty"), py::arg("out_dir"),
      py::arg("callback"), py::arg("threads"));

  // Benchmark baseline (bench/python): resnet::forward timed inside C++ on the same float32 rows.
  m.def(
      "_bench_forward_cpp",
      [](const resnet& r, const py::array& X, int repeats) {
        torch::Tensor x = model_input(r, X);
        py::gil_scoped_release nogil;
        torch::NoGradGuard ng;
        double best = 1e300;
        for (int k = 0; k < repeats; ++k) {
          const auto t0 = std::chrono::steady_clock::now();
          auto out = r.forward(x);
          const auto t1 = std::chrono::steady_clock::now();
          if (out.size(0) != x.size(0)) throw std::logic_error("forward: wrong size");
          best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
        }
        return best;
      },
      py::arg("model"), py::arg("X"), py::arg("repeats") = 5);
}

}  // namespace occam::python
