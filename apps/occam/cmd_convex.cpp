// occam convex: train a two-layer ReLU network to global optimality through its convex program (THEORY §10)
// and write the recovered network as a THEORY §1 ResNet of depth 1. See docs/convex.md.
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "command.hpp"
#include "occam/convex/convex.hpp"
#include "occam/data/loaders.hpp"
#include "occam/nn/resnet.hpp"
#include "occam/nn/train.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::cli {
namespace {

struct convex_options {
  std::string model = "gated2", data, targets, gates, solver = "fista", device = "cpu", out, loss = "squared";
  std::string lambda_path, eval;
  double lambda = 1e-3, tol = 1e-4, admm_rho = 0;
  std::int64_t patterns = 100, max_iter = 20000, width = 2, metric_rank = 10;
  std::uint64_t seed = 0;
  int threads = 0;
  bool scale_columns = false, bias = false, non_strict = false, float64 = false, enumerate = false;
};

std::vector<double> parse_lambdas(const std::string& s);

/// The data as the convex programs see it (float64, CPU): X (bias column appended with --bias, columns scaled
/// with --scale-columns), Y (binary → ±1, multiclass → one-hot).
struct convex_data {
  data::dataset ds;
  torch::Tensor X, Y, norms;
  occam::convex::loss_kind loss = occam::convex::loss_kind::squared;
};

convex_data load_convex_data(const convex_options& o) {
  using namespace occam::convex;
  convex_data cd;
  data::load_params lp;
  lp.targets_path = o.targets;
  cd.ds = data::load_dataset(o.data, lp);
  auto& ds = cd.ds;
  if (ds.n == 0) throw input_error(o.data, 0, "no rows");
  auto X =
      torch::from_blob(ds.x.data(), {(long)ds.n, (long)ds.d_in}, torch::kFloat32).clone().to(torch::kFloat64);
  auto Y = torch::from_blob(ds.y.data(), {(long)ds.n, (long)ds.d_out}, torch::kFloat32)
               .clone()
               .to(torch::kFloat64);
  // Targets: regression as given; binary 0/1 → ±1 (squared or logistic loss on ±1); multiclass → one-hot.
  cd.loss = o.loss == "logistic" ? loss_kind::logistic : loss_kind::squared;
  if (o.loss != "squared" && o.loss != "logistic") throw input_error("--loss must be squared or logistic");
  if (ds.kind == data::task_kind::binary) Y = 2 * Y - 1;
  if (ds.kind == data::task_kind::multiclass)
    Y = torch::one_hot(Y.select(1, 0).to(torch::kLong), (long)ds.n_classes).to(torch::kFloat64);
  if (cd.loss == loss_kind::logistic && (ds.kind != data::task_kind::binary || Y.size(1) != 1))
    throw input_error(o.data, 0, "--loss logistic needs one binary (0/1) target column");
  if (o.scale_columns) {  // the reference problem's scaling: each column divided by its Euclidean norm
    cd.norms = X.norm(2, 0);
    cd.norms = torch::where(cd.norms > 0, cd.norms, torch::ones_like(cd.norms));
    X = X / cd.norms;
  }
  if (o.bias) X = torch::cat({X, torch::ones({X.size(0), 1}, X.options())}, 1);
  cd.X = X;
  cd.Y = Y;
  return cd;
}

/// Accuracy (binary: sign; multiclass: argmax) and mean squared error of predictions, as JSON.
nlohmann::json prediction_metrics(const data::dataset& ds, const torch::Tensor& pred,
                                  const torch::Tensor& Y) {
  nlohmann::json m;
  m["mse"] = (pred - Y).square().mean().item<double>();
  if (ds.kind == data::task_kind::binary)
    m["accuracy"] = ((pred > 0) == (Y > 0)).to(torch::kFloat64).mean().item<double>();
  if (ds.kind == data::task_kind::multiclass)
    m["accuracy"] = (pred.argmax(1) == Y.argmax(1)).to(torch::kFloat64).mean().item<double>();
  return m;
}

/// `occam convex --eval model.path3 --data ...`: evaluates a saved path3/gated3 network (raw inputs).
void run_eval(const convex_options& o) {
  using namespace occam::convex;
  auto net = load_path3_network(o.eval);
  convex_options raw = o;
  raw.scale_columns = false;
  raw.bias = false;
  auto cd = load_convex_data(raw);
  if (cd.X.size(1) != net.W1.size(1))
    throw input_error(o.eval, 2,
                      "the network reads " + std::to_string(net.W1.size(1)) + " inputs, the data has " +
                          std::to_string(cd.X.size(1)) + " columns");
  if (cd.Y.size(1) != net.w3.size(1))
    throw input_error(o.eval, 2,
                      "the network has " + std::to_string(net.w3.size(1)) + " outputs, the data's targets " +
                          std::to_string(cd.Y.size(1)));
  auto device = nn::parse_device(o.device);
  auto pred = net.forward(cd.X.to(device)).to(torch::kCPU);
  auto m = prediction_metrics(cd.ds, pred, cd.Y);
  m["model"] = o.eval;
  m["data"] = o.data;
  m["n"] = cd.ds.n;
  m["subnetworks"] = net.size();
  m["path_penalty"] = net.path_penalty();
  std::string text = m.dump(2) + "\n";
  if (!o.out.empty()) {
    create_output_directory(o.out);
    write_file_atomic(std::filesystem::path(o.out) / "eval.json", text);
  }
  std::fputs(text.c_str(), stdout);
}

/// The solver settings shared by every program and λ, with the convergence log appended to `log_path`.
convex::solve_params make_solve_params(const convex_options& o, double lam, convex::model_kind model,
                                       convex::loss_kind loss, const std::filesystem::path& log_path) {
  convex::solve_params sp;
  sp.lambda = lam;
  sp.model = model;
  sp.loss = loss;
  sp.tol = o.tol;
  sp.max_iterations = o.max_iter;
  sp.threads = o.threads;
  sp.metric_rank = o.metric_rank;
  sp.on_log = [lam, log_path, model](const convex::log_record& r) {
    nlohmann::json j = {{"lambda", lam},         {"iteration", r.iteration}, {"outer", r.outer},
                        {"seconds", r.seconds},  {"objective", r.objective}, {"kkt", r.kkt},
                        {"step", r.step},        {"active", r.active},       {"working_set", r.working_set},
                        {"products", r.products}};
    if (r.gap >= 0) j["gap"] = r.gap;
    if (model == convex::model_kind::relu) j["violation"] = r.violation;
    append_line(log_path, j.dump());
  };
  return sp;
}

/// The solver's statistics for one λ of metrics.json (each program adds its own fields).
nlohmann::json stats_json(const convex::solve_stats& st, double lam) {
  nlohmann::json m = {{"lambda", lam},
                      {"objective", st.objective},
                      {"data_loss", st.data_loss},
                      {"penalty", st.penalty},
                      {"kkt", st.kkt},
                      {"iterations", st.iterations},
                      {"outer_iterations", st.outer_iterations},
                      {"seconds", st.seconds},
                      {"converged", st.converged}};
  if (st.gap >= 0) m["gap"] = st.gap;
  if (st.metric_builds > 0) m["metric_builds"] = st.metric_builds;
  m["products"] = st.columns;
  return m;
}

void run_path3(const convex_options& o) {
  using namespace occam::convex;
  auto device = nn::parse_device(o.device);
  auto cd = load_convex_data(o);
  auto& X = cd.X;
  auto& Y = cd.Y;
  const bool constrained = o.model == "path3";
  if (!o.gates.empty()) throw input_error("--gates is for the two-layer models; path3 samples tuples");
  path3_patterns pats;
  nlohmann::json pattern_info;
  if (o.enumerate) {
    pats = enumerate_path3_patterns(X, o.width);
    pattern_info = {{"source", "enumerated"}, {"count", pats.size()}, {"width", o.width}};
  } else {
    sample_stats ss;
    pats = sample_path3_patterns(X, {o.patterns, o.width, o.seed}, &ss);
    pattern_info = {{"source", "gaussian"},
                    {"sampled", ss.sampled},
                    {"distinct", ss.distinct},
                    {"seed", o.seed},
                    {"width", o.width}};
  }
  // As for two layers: the gated FISTA in float32, the augmented Lagrangian in float64.
  const auto dtype = (constrained || o.float64) ? torch::kFloat64 : torch::kFloat32;
  auto Xf = X.to(device, dtype);
  auto Yf = Y.to(device, dtype);
  pats.signs = pats.signs.to(device, dtype);
  pats.D1 = pats.D1.to(device, dtype);
  pats.D2 = pats.D2.to(device, dtype);
  if (pats.gates.defined()) pats.gates = pats.gates.to(device, dtype);

  std::filesystem::path out = o.out;
  create_output_directory(out);
  const auto log_path = out / "convergence.jsonl";
  write_file_atomic(log_path, "");
  std::vector<double> lambdas =
      o.lambda_path.empty() ? std::vector<double>{o.lambda} : parse_lambdas(o.lambda_path);
  nlohmann::json path = nlohmann::json::array();
  std::unique_ptr<path3_solution> prev;
  solve_stats st;
  path3_solution sol;
  for (double lam : lambdas) {
    auto sp =
        make_solve_params(o, lam, constrained ? model_kind::relu : model_kind::gated_relu, cd.loss, log_path);
    sol = solve_path3(Xf, Yf, pats, sp, &st, prev.get());
    prev = std::make_unique<path3_solution>(sol);
    auto net = recover_path3(sol);
    auto m = stats_json(st, lam);
    m["active_groups"] = st.active;
    m["subnetworks"] = net.size();
    m["network_objective"] = net.objective(X, Y, lam, cd.loss);
    if (constrained) m["violation"] = st.violation;
    auto pm = prediction_metrics(cd.ds, net.forward(X), Y);
    if (pm.contains("accuracy")) m["network_train_accuracy"] = pm["accuracy"];
    path.push_back(m);
    std::fprintf(stderr, "λ=%g objective %.7g kkt %.2e iterations %lld groups %lld %.2fs\n", lam,
                 st.objective, st.kkt, (long long)st.iterations, (long long)st.active, st.seconds);
  }
  auto net = recover_path3(sol);
  // Back to raw inputs: undo the column scaling, and move the --bias column's weights into b1.
  if (o.scale_columns) {
    auto s = o.bias ? torch::cat({cd.norms, torch::ones({1}, cd.norms.options())}) : cd.norms;
    net.W1 = net.W1 / s.view({1, -1, 1});
  }
  if (o.bias) {
    const auto d = net.W1.size(1) - 1;
    net.b1 = net.W1.select(1, d).contiguous();
    net.W1 = net.W1.narrow(1, 0, d).contiguous();
  }
  save_path3_network(net, (out / "model.path3").string());
  nlohmann::json metrics = path.back();
  metrics["model"] = o.model;
  metrics["loss"] = to_string(cd.loss);
  metrics["data"] = o.data;
  metrics["n"] = cd.ds.n;
  metrics["d"] = X.size(1);
  metrics["tuples"] = pattern_info;
  metrics["device"] = o.device;
  metrics["threads"] = torch::get_num_threads();
  if (lambdas.size() > 1) metrics["lambda_path"] = path;
  if (!constrained)
    metrics["note"] =
        "model.path3 holds the ReLU sub-networks recovered from gated groups; they equal the gated model "
        "only "
        "where each tuple's patterns are the sub-network's own ReLU patterns";
  write_file_atomic(out / "metrics.json", metrics.dump(2) + "\n");
}

std::vector<double> parse_lambdas(const std::string& s) {
  std::vector<double> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      out.push_back(std::stod(item));
    } catch (...) {
      throw input_error("--lambda-path: '" + item + "' is not a number");
    }
    if (!(out.back() > 0) || !std::isfinite(out.back()))
      throw input_error("--lambda-path: λ must be positive and finite, got '" + item + "'");
  }
  if (out.empty()) throw input_error("--lambda-path: no values");
  return out;
}

void run(const convex_options& o) {
  using namespace occam::convex;
  if (!(o.lambda > 0)) throw input_error("--lambda must be positive");
  auto device = nn::parse_device(o.device);
  nn::set_threads(o.threads);
  auto cd = load_convex_data(o);
  auto& ds = cd.ds;
  auto& X = cd.X;
  auto& Y = cd.Y;
  auto& norms = cd.norms;
  const loss_kind loss = cd.loss;

  pattern_set pats;
  nlohmann::json pattern_info;
  if (!o.gates.empty()) {
    auto a = data::read_npy(o.gates);
    if (a.shape.size() != 2) throw input_error(o.gates, 0, "gates must be a d×P matrix");
    auto G = torch::tensor(a.data, torch::kFloat64).view({(long)a.shape[0], (long)a.shape[1]});
    if (G.size(0) != X.size(1))
      throw input_error(o.gates, 0,
                        "gates have " + std::to_string(G.size(0)) + " rows, the data " +
                            std::to_string(X.size(1)) + " columns");
    pats = patterns_from_gates(X, G, !o.non_strict);
    pattern_info = {{"source", o.gates}, {"count", pats.size()}, {"strict", !o.non_strict}};
  } else if (o.enumerate) {
    pats = enumerate_patterns(X);
    pattern_info = {{"source", "enumerated"}, {"count", pats.size()}};
  } else {
    sample_stats ss;
    pats = sample_patterns(X, {o.patterns, o.seed, true}, &ss);
    pattern_info = {
        {"source", "gaussian"}, {"sampled", ss.sampled}, {"distinct", ss.distinct}, {"seed", o.seed}};
  }
  // Gated ReLU runs its GEMMs in float32 (speed); the augmented Lagrangian's growing penalty needs float64.
  const auto dtype = (o.model == "relu2" || o.float64) ? torch::kFloat64 : torch::kFloat32;
  auto Xf = X.to(device, dtype);
  auto Yf = Y.to(device, dtype);
  pats.masks = pats.masks.to(device, dtype);
  pats.gates = pats.gates.to(device, dtype);

  std::filesystem::path out = o.out;
  create_output_directory(out);
  const auto log_path = out / "convergence.jsonl";
  write_file_atomic(log_path, "");
  std::vector<double> lambdas =
      o.lambda_path.empty() ? std::vector<double>{o.lambda} : parse_lambdas(o.lambda_path);
  nlohmann::json path = nlohmann::json::array();
  std::unique_ptr<two_layer_solution> prev;
  solve_stats st;
  two_layer_solution sol;
  for (double lam : lambdas) {
    auto sp = make_solve_params(o, lam, o.model == "relu2" ? model_kind::relu : model_kind::gated_relu, loss,
                                log_path);
    if (o.solver == "admm") sp.solver = solver_kind::admm;
    sp.admm_rho = o.admm_rho;
    sol = solve_two_layer(Xf, Yf, pats, sp, &st, prev.get());
    prev = std::make_unique<two_layer_solution>(sol);
    auto net = recover_network(sol);
    auto m = stats_json(st, lam);
    m["active_neurons"] = st.active;
    m["recovered_neurons"] = net.W1.size(0);
    m["network_objective"] = net.objective(X, Y, lam, loss);
    if (sp.model == model_kind::relu) m["violation"] = st.violation;
    auto pred = net.forward(X);
    if (ds.kind == data::task_kind::binary)
      m["network_train_accuracy"] = ((pred > 0) == (Y > 0)).to(torch::kFloat64).mean().item<double>();
    if (ds.kind == data::task_kind::multiclass)
      m["network_train_accuracy"] = (pred.argmax(1) == Y.argmax(1)).to(torch::kFloat64).mean().item<double>();
    path.push_back(m);
    std::fprintf(stderr, "λ=%g objective %.7g kkt %.2e iterations %lld active %lld %.2fs\n", lam,
                 st.objective, st.kkt, (long long)st.iterations, (long long)st.active, st.seconds);
  }
  auto net = recover_network(sol);
  if (o.scale_columns) {  // back to raw inputs (the appended bias column is not scaled)
    auto s = o.bias ? torch::cat({norms, torch::ones({1}, norms.options())}) : norms;
    net.W1 = net.W1 / s.unsqueeze(0);
  }
  auto kind = ds.kind == data::task_kind::multiclass ? data::task_kind::regression : ds.kind;
  nn::resnet model;
  if (!o.bias) {
    model = to_resnet(net, kind);
  } else {
    // The last input column is the constant 1: move its weights into W_1's bias column (THEORY §1).
    const auto d = net.W1.size(1) - 1;
    two_layer_network core{net.W1.slice(1, 0, d).contiguous(), net.W2};
    model = to_resnet(core, kind);
    model.shape.d_in = d;
    model.shape.width = d + net.W2.size(0);
    auto W = torch::zeros({model.shape.hidden, model.shape.width + 1}, torch::kFloat32);
    if (net.W1.size(0) > 0) {
      W.narrow(0, 0, net.W1.size(0)).narrow(1, 0, d).copy_(core.W1);
      W.narrow(0, 0, net.W1.size(0)).select(1, model.shape.width).copy_(net.W1.select(1, d));
    }
    auto V = torch::zeros({model.shape.width, model.shape.hidden}, torch::kFloat32);
    V.narrow(0, d, net.W2.size(0)).narrow(1, 0, net.W1.size(0)).copy_(net.W2);
    auto U = torch::zeros({net.W2.size(0), model.shape.width + 1}, torch::kFloat32);
    U.narrow(1, d, net.W2.size(0)).copy_(torch::eye(net.W2.size(0)));
    model.W = {W};
    model.V = {V};
    model.U = U;
  }
  model.input_box = ds.input_box;
  nn::save_model(model, (out / "model.occam").string());
  nlohmann::json metrics = path.back();
  metrics["model"] = o.model;
  metrics["loss"] = to_string(loss);
  metrics["data"] = o.data;
  metrics["n"] = ds.n;
  metrics["d"] = X.size(1);
  metrics["patterns"] = pattern_info;
  metrics["device"] = o.device;
  metrics["threads"] = torch::get_num_threads();
  if (lambdas.size() > 1) metrics["lambda_path"] = path;
  if (o.model == "gated2")
    metrics["note"] =
        "model.occam is the ReLU network recovered from gated neurons; it equals the gated model "
        "only where each gate's pattern matches its neuron's ReLU pattern";
  write_file_atomic(out / "metrics.json", metrics.dump(2) + "\n");
}

void setup(CLI::App& app) {
  auto opts = std::make_shared<convex_options>();
  auto* cmd = app.add_subcommand(
      "convex",
      "Train a two-layer ReLU network or K parallel three-layer path-regularised sub-networks to global "
      "optimality via their convex programs (THEORY §10)");
  cmd->add_option("--model", opts->model,
                  "gated2 (gated ReLU, unconstrained), relu2 (ReLU, cone constraints), path3 (three-layer "
                  "path-regularised, cone constraints) or gated3 (its gated relaxation)")
      ->check(CLI::IsMember({"gated2", "relu2", "path3", "gated3"}))
      ->capture_default_str();
  cmd->add_option("--width", opts->width, "path3/gated3: first-layer width m of each sub-network")
      ->capture_default_str();
  cmd->add_flag("--enumerate", opts->enumerate,
                "enumerate every pattern (tuple) instead of sampling (tiny n, d only)");
  cmd->add_option("--eval", opts->eval,
                  "evaluate a saved path3/gated3 network (model.path3) on --data instead of training");
  cmd->add_option("--data", opts->data,
                  "data file or spec (CSV, NPY, IDX, fashion-mnist:train, built-in task)")
      ->required();
  cmd->add_option("--targets", opts->targets, "targets file for NPY inputs (Y.npy)");
  cmd->add_option("--lambda", opts->lambda, "λ (objective 1/(2n)‖·‖² + λ Σ‖u_i‖)")->capture_default_str();
  cmd->add_option("--lambda-path", opts->lambda_path,
                  "comma-separated λ values solved in order with warm starts");
  cmd->add_option("--patterns", opts->patterns,
                  "Gaussian gate directions (path3/gated3: tuples) to sample (distinct ones kept)")
      ->capture_default_str();
  cmd->add_option("--gates", opts->gates, "gates G (d×P .npy); patterns 1[X G > 0]");
  cmd->add_flag("--non-strict-gates", opts->non_strict, "patterns 1[X G ≥ 0] for --gates");
  cmd->add_option("--seed", opts->seed, "pattern sampling seed")->capture_default_str();
  cmd->add_option(
         "--solver", opts->solver,
         "fista (gated2/gated3), al (relu2/path3; augmented Lagrangian) or admm (relu2, squared loss)")
      ->check(CLI::IsMember({"fista", "al", "admm"}))
      ->capture_default_str();
  cmd->add_option("--loss", opts->loss, "squared or logistic (binary targets)")->capture_default_str();
  cmd->add_option("--admm-rho", opts->admm_rho,
                  "admm: initial cone penalty ρ (0: 1/n; residual balancing adapts it)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option(
         "--tol", opts->tol,
         "stop at relative duality gap or KKT residual/λ ≤ tol (admm: relative primal and dual residuals)")
      ->capture_default_str();
  cmd->add_option("--metric-rank", opts->metric_rank,
                  "gated2/gated3: curvature directions of the low-rank FISTA metric (0: plain step 1/L)")
      ->check(CLI::Range(std::int64_t(0), std::int64_t(200)))
      ->capture_default_str();
  cmd->add_option("--max-iter", opts->max_iter, "FISTA steps (all inner steps for al; iterations for admm)")
      ->capture_default_str();
  cmd->add_flag("--scale-columns", opts->scale_columns, "divide each input column by its Euclidean norm");
  cmd->add_flag("--float64", opts->float64, "gated2: compute in float64 (default float32)");
  cmd->add_flag("--bias", opts->bias, "append a constant input column (a bias)");
  cmd->add_option("--threads", opts->threads, "CPU threads (0: libtorch default)")->capture_default_str();
  cmd->add_option("--device", opts->device, "cpu or cuda")->capture_default_str();
  cmd->add_option(
      "--out", opts->out,
      "output directory: model.occam (two layers) or model.path3, metrics.json, convergence.jsonl");
  cmd->callback([opts] {
    if (!opts->eval.empty()) return run_eval(*opts);
    if (opts->out.empty()) throw input_error("--out is required for training");
    if (opts->model == "path3" || opts->model == "gated3") {
      if (opts->solver == "al" && opts->model == "gated3")
        throw input_error("--solver al is for relu2/path3");
      if (opts->solver == "admm") throw input_error("--solver admm is for --model relu2");
      if (opts->width <= 0) throw input_error("--width must be positive");
      if (!(opts->lambda > 0)) throw input_error("--lambda must be positive");
      nn::set_threads(opts->threads);
      return run_path3(*opts);
    }
    if (opts->model == "relu2" && opts->solver == "fista") opts->solver = "al";
    if (opts->model == "gated2" && opts->solver != "fista")
      throw input_error("--solver " + opts->solver + " is for --model relu2");
    if (opts->solver == "admm" && opts->loss != "squared")
      throw input_error("--solver admm supports --loss squared only; use --solver al");
    run(*opts);
  });
}

command reg{"60-convex", setup};

}  // namespace
}  // namespace occam::cli
