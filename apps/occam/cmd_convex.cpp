// occam convex: train a two-layer ReLU network (or K parallel three-layer sub-networks) through its convex
// program (THEORY §10) and write the convex model and the recovered network. See docs/convex.md.
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_data.hpp"
#include "command.hpp"
#include "occam/convex/certify.hpp"
#include "occam/convex/convex.hpp"
#include "occam/convex/problem.hpp"
#include "occam/data/loaders.hpp"
#include "occam/nn/resnet.hpp"
#include "occam/nn/train.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::cli {
namespace {

struct convex_options {
  data_options data;
  std::string model = "gated2", gates, solver = "fista", device = "cpu", out, loss = "squared";
  std::string lambda_path, eval;
  double lambda = 1e-3, tol = 1e-4, admm_rho = 0, progress_every = 10;
  std::int64_t patterns = 100, max_iter = 20000, width = 2, metric_rank = 10, certify_rounds = 10;
  std::uint64_t seed = 0;
  int threads = 0;
  bool scale_columns = false, bias = false, non_strict = false, float64 = false, enumerate = false,
       certify = false;
};

/// Exit status of a run whose solver diverged (its outputs hold the best finite iterate).
constexpr int kDivergedExit = 3;

// SIGTERM / SIGINT end the solve at its next step; the run then writes the best iterate and exits 128 +
// signal.
volatile std::sig_atomic_t g_signal = 0;
extern "C" void on_signal(int sig) {
  g_signal = sig;
}
struct signal_scope {
  using handler = void (*)(int);
  handler old_term, old_int;
  signal_scope() : old_term(std::signal(SIGTERM, on_signal)), old_int(std::signal(SIGINT, on_signal)) {}
  ~signal_scope() {
    std::signal(SIGTERM, old_term);
    std::signal(SIGINT, old_int);
  }
};

std::vector<double> parse_lambdas(const std::string& s);

/// The training set (and the --valid set, if any) as the convex programs see them.
struct convex_inputs {
  data::dataset train_ds, valid_ds;
  convex::convex_data train, valid;
  bool has_valid() const { return valid.X.defined(); }
};

convex_inputs load_convex_inputs(const convex_options& o, bool raw = false) {
  const auto& dopt = o.data;
  const auto ends_with = [](const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(dopt.data, ".npy") && dopt.targets.empty() && dopt.target_columns.empty())
    throw input_error(dopt.data, 0,
                      "an NPY input needs --targets Y.npy (or --target COLUMN to take the targets from a "
                      "column of this matrix)");
  convex::prepare_params pp;
  if (o.loss != "squared" && o.loss != "logistic") throw input_error("--loss must be squared or logistic");
  pp.loss = o.loss == "logistic" ? convex::loss_kind::logistic : convex::loss_kind::squared;
  pp.scale_columns = o.scale_columns && !raw;
  pp.bias = o.bias && !raw;
  convex_inputs in;
  in.train_ds = dopt.load();
  if (!dopt.valid.empty()) {
    data::load_params lp;
    lp.target_columns = dopt.target_columns;
    lp.kind = dopt.kind;
    lp.max_rows = dopt.max_rows;
    in.valid_ds = data::load_dataset(dopt.valid, lp);
    if (in.valid_ds.d_in != in.train_ds.d_in || in.valid_ds.d_out != in.train_ds.d_out)
      throw input_error(dopt.valid, 0,
                        "validation set has " + std::to_string(in.valid_ds.d_in) + " inputs and " +
                            std::to_string(in.valid_ds.d_out) + " targets, the training data " +
                            std::to_string(in.train_ds.d_in) + " and " + std::to_string(in.train_ds.d_out));
    if (in.train_ds.kind == data::task_kind::multiclass)
      in.train_ds.n_classes = in.valid_ds.n_classes = std::max(in.train_ds.n_classes, in.valid_ds.n_classes);
  }
  in.train = convex::prepare_data(in.train_ds, pp);
  if (!dopt.valid.empty()) in.valid = convex::prepare_data(in.valid_ds, pp, in.train.norms);
  return in;
}

/// mse and accuracy of a model's predictions on a prepared set, under `prefix` (train_ / valid_ / ...).
void put_prediction_metrics(nlohmann::json& m, const std::string& prefix, const torch::Tensor& pred,
                            const convex::convex_data& cd) {
  auto s = convex::summarize_predictions(pred, cd);
  m[prefix + "mse"] = s.mse;
  if (s.accuracy >= 0) m[prefix + "accuracy"] = s.accuracy;
}

/// `occam convex --eval FILE --data ...`: evaluates a saved model.path3 or model.gated2 on raw inputs.
void run_eval(const convex_options& o) {
  using namespace occam::convex;
  std::string head;
  {
    std::ifstream f(o.eval);
    if (!f) throw input_error(o.eval, 0, "cannot open");
    std::getline(f, head);
  }
  auto in = load_convex_inputs(o, /*raw=*/true);
  auto& cd = in.train;
  auto device = nn::parse_device(o.device);
  nlohmann::json m;
  torch::Tensor pred;
  std::int64_t inputs = 0, outputs = 0;
  if (head == "occam-gated2 1") {
    auto net = load_gated_network(o.eval);
    inputs = net.G.size(1);
    outputs = net.ub.size(1);
    m["gated_neurons"] = net.size();
    if (cd.X.size(1) == inputs && cd.Y.size(1) == outputs) pred = net.forward(cd.X);
  } else {
    auto net = load_path3_network(o.eval);
    inputs = net.W1.size(1);
    outputs = net.w3.size(1);
    m["subnetworks"] = net.size();
    m["path_penalty"] = net.path_penalty();
    if (cd.X.size(1) == inputs && cd.Y.size(1) == outputs)
      pred = net.forward(cd.X.to(device)).to(torch::kCPU);
  }
  if (cd.X.size(1) != inputs)
    throw input_error(o.eval, 2,
                      "the model reads " + std::to_string(inputs) + " inputs, the data has " +
                          std::to_string(cd.X.size(1)) + " columns");
  if (cd.Y.size(1) != outputs)
    throw input_error(o.eval, 2,
                      "the model has " + std::to_string(outputs) + " outputs, the data's targets " +
                          std::to_string(cd.Y.size(1)));
  put_prediction_metrics(m, "", pred, cd);
  m["model"] = o.eval;
  m["data"] = in.train_ds.name;
  m["n"] = in.train_ds.n;
  std::string text = m.dump(2) + "\n";
  if (!o.out.empty()) {
    create_output_directory(o.out);
    write_file_atomic(std::filesystem::path(o.out) / "eval.json", text);
  }
  std::fputs(text.c_str(), stdout);
}

/// The solver settings shared by every program and λ: the convergence log appended to `log_path`, a progress
/// line on stderr every `progress_every` seconds, and the signal flag as the stop request.
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
  auto last_progress = std::make_shared<double>(0.0);
  const double every = o.progress_every;
  sp.on_log = [lam, log_path, model, last_progress, every](const convex::log_record& r) {
    nlohmann::json j = {{"lambda", lam},         {"iteration", r.iteration}, {"outer", r.outer},
                        {"seconds", r.seconds},  {"objective", r.objective}, {"kkt", r.kkt},
                        {"step", r.step},        {"active", r.active},       {"working_set", r.working_set},
                        {"products", r.products}};
    if (r.gap >= 0) j["gap"] = r.gap;
    if (model == convex::model_kind::relu) j["violation"] = r.violation;
    append_line(log_path, j.dump());
    if (every > 0 && r.seconds - *last_progress >= every) {
      *last_progress = r.seconds;
      std::fprintf(stderr, "convex: λ=%g iteration %lld objective %.7g kkt %.2e active %lld %.1fs\n", lam,
                   (long long)r.iteration, r.objective, r.kkt, (long long)r.active, r.seconds);
    }
  };
  sp.should_stop = [] { return g_signal != 0; };
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
                      {"converged", st.converged},
                      {"stop", convex::to_string(st.stop)}};
  if (!st.message.empty()) m["message"] = st.message;
  if (st.gap >= 0) m["gap"] = st.gap;
  if (st.metric_builds > 0) m["metric_builds"] = st.metric_builds;
  m["products"] = st.columns;
  return m;
}

/// After the outputs are written: a diverged or interrupted run says so and exits with its own status.
void finish_run(const convex::solve_stats& st, const std::filesystem::path& out) {
  if (g_signal != 0) {
    const int sig = g_signal;
    std::fprintf(stderr, "occam: interrupted by signal %d; wrote the best iterate to %s\n", sig,
                 out.string().c_str());
    std::fflush(nullptr);
    std::exit(128 + sig);
  }
  if (st.stop == convex::stop_reason::precision_limit)
    std::fprintf(stderr, "occam: warning: stopped short of --tol: %s; wrote the best iterate to %s\n",
                 st.message.c_str(), out.string().c_str());
  if (st.stop == convex::stop_reason::diverged) {
    std::fprintf(stderr, "occam: error: the solver diverged (%s); wrote the best finite iterate to %s\n",
                 st.message.c_str(), out.string().c_str());
    std::fflush(nullptr);
    std::exit(kDivergedExit);
  }
}

/// Stops a λ path at a diverged or interrupted solve.
bool path_must_stop(const convex::solve_stats& st) {
  return st.stop == convex::stop_reason::diverged || st.stop == convex::stop_reason::interrupted ||
         st.stop == convex::stop_reason::precision_limit;
}

void run_path3(const convex_options& o) {
  using namespace occam::convex;
  auto device = nn::parse_device(o.device);
  auto in = load_convex_inputs(o);
  auto& cd = in.train;
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
  path3_network net;
  for (double lam : lambdas) {
    auto sp =
        make_solve_params(o, lam, constrained ? model_kind::relu : model_kind::gated_relu, cd.loss, log_path);
    sol = solve_path3(Xf, Yf, pats, sp, &st, prev.get());
    prev = std::make_unique<path3_solution>(sol);
    net = recover_path3(sol);
    auto m = stats_json(st, lam);
    m["active_groups"] = st.active;
    m["subnetworks"] = net.size();
    m["network_objective"] = net.objective(X, Y, lam, cd.loss);
    if (constrained) m["violation"] = st.violation;
    put_prediction_metrics(m, "network_train_", net.forward(X), cd);
    if (in.has_valid()) put_prediction_metrics(m, "network_valid_", net.forward(in.valid.X), in.valid);
    path.push_back(m);
    std::fprintf(stderr, "λ=%g objective %.7g kkt %.2e iterations %lld groups %lld %.2fs (%s)\n", lam,
                 st.objective, st.kkt, (long long)st.iterations, (long long)st.active, st.seconds,
                 to_string(st.stop));
    if (path_must_stop(st)) break;
  }
  unscale_path3_network(net, cd);
  save_path3_network(net, (out / "model.path3").string());
  nlohmann::json metrics = path.back();
  metrics["model"] = o.model;
  metrics["loss"] = to_string(cd.loss);
  metrics["kind"] = data::to_string(cd.kind);
  metrics["data"] = in.train_ds.name;
  metrics["n"] = in.train_ds.n;
  metrics["d"] = X.size(1);
  if (in.has_valid()) metrics["valid_n"] = in.valid_ds.n;
  metrics["tuples"] = pattern_info;
  metrics["device"] = o.device;
  metrics["threads"] = torch::get_num_threads();
  if (lambdas.size() > 1) metrics["lambda_path"] = path;
  if (!constrained)
    metrics["note"] =
        "model.path3 holds the ReLU sub-networks recovered from gated groups; they equal the gated model "
        "only where each tuple's patterns are the sub-network's own ReLU patterns";
  write_file_atomic(out / "metrics.json", metrics.dump(2) + "\n");
  finish_run(st, out);
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
  auto in = load_convex_inputs(o);
  auto& cd = in.train;
  auto& X = cd.X;
  auto& Y = cd.Y;
  const loss_kind loss = cd.loss;
  const bool gated = o.model == "gated2";

  pattern_set pats;
  nlohmann::json pattern_info;
  bool strict_gates = false;  // sampled and enumerated masks are 1[X g ≥ 0]
  if (!o.gates.empty()) {
    auto a = data::read_npy(o.gates);
    if (a.shape.size() != 2) throw input_error(o.gates, 0, "gates must be a d×P matrix");
    auto G = torch::tensor(a.data, torch::kFloat64).view({(long)a.shape[0], (long)a.shape[1]});
    if (G.size(0) != X.size(1))
      throw input_error(o.gates, 0,
                        "gates have " + std::to_string(G.size(0)) + " rows, the data " +
                            std::to_string(X.size(1)) + " columns");
    strict_gates = !o.non_strict;
    pats = patterns_from_gates(X, G, strict_gates);
    pattern_info = {{"source", o.gates}, {"count", pats.size()}, {"strict", strict_gates}};
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
  const auto dtype = (!gated || o.float64) ? torch::kFloat64 : torch::kFloat32;
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
    auto sp = make_solve_params(o, lam, gated ? model_kind::gated_relu : model_kind::relu, loss, log_path);
    if (o.solver == "admm") sp.solver = solver_kind::admm;
    sp.admm_rho = o.admm_rho;
    nlohmann::json cert_info;
    if (o.certify) {
      column_generation_params cg;
      cg.max_rounds = o.certify_rounds;
      column_generation_stats cs;
      sol = solve_certified(Xf, Yf, pats, sp, cg, &st, &cs);
      pats = sol.patterns;  // the next λ starts from the enlarged set
      cert_info = {{"certified", to_string(cs.final_certificate.kind)},
                   {"max_violation", cs.final_certificate.max_violation},
                   {"certify_checked", cs.final_certificate.checked},
                   {"certify_rounds", cs.rounds},
                   {"patterns_added", cs.added},
                   {"sampled_objective", cs.first_objective}};
    } else {
      sol = solve_two_layer(Xf, Yf, pats, sp, &st, prev.get());
    }
    prev = std::make_unique<two_layer_solution>(sol);
    auto net = recover_network(sol);
    auto m = stats_json(st, lam);
    if (o.certify) m.update(cert_info);
    m["active_neurons"] = st.active;
    m["recovered_neurons"] = net.W1.size(0);
    m["network_objective"] = net.objective(X, Y, lam, loss);
    if (!gated) m["violation"] = st.violation;
    put_prediction_metrics(m, "network_train_", net.forward(X), cd);
    if (in.has_valid()) put_prediction_metrics(m, "network_valid_", net.forward(in.valid.X), in.valid);
    // The convex model's own accuracy: the gated network for gated2; for relu2 the recovered network, which
    // is the convex model where the cone constraints hold.
    if (gated) {
      auto g = to_gated_network(sol, cd, strict_gates);
      put_prediction_metrics(m, "train_", g.forward(cd.X_raw), cd);
      if (in.has_valid()) put_prediction_metrics(m, "valid_", g.forward(in.valid.X_raw), in.valid);
    } else {
      put_prediction_metrics(m, "train_", net.forward(X), cd);
      if (in.has_valid()) put_prediction_metrics(m, "valid_", net.forward(in.valid.X), in.valid);
    }
    path.push_back(m);
    std::fprintf(stderr, "λ=%g objective %.7g kkt %.2e iterations %lld active %lld %.2fs (%s)\n", lam,
                 st.objective, st.kkt, (long long)st.iterations, (long long)st.active, st.seconds,
                 to_string(st.stop));
    if (path_must_stop(st)) break;
  }
  auto model = raw_resnet(recover_network(sol), cd);
  model.input_box = in.train_ds.input_box;
  nn::save_model(model, (out / "model.occam").string());
  if (gated) save_gated_network(to_gated_network(sol, cd, strict_gates), (out / "model.gated2").string());
  nlohmann::json metrics = path.back();
  metrics["model"] = o.model;
  metrics["loss"] = to_string(loss);
  metrics["kind"] = data::to_string(cd.kind);
  metrics["data"] = in.train_ds.name;
  metrics["n"] = in.train_ds.n;
  metrics["d"] = X.size(1);
  if (in.has_valid()) metrics["valid_n"] = in.valid_ds.n;
  metrics["patterns"] = pattern_info;
  metrics["device"] = o.device;
  metrics["threads"] = torch::get_num_threads();
  if (lambdas.size() > 1) metrics["lambda_path"] = path;
  if (gated)
    metrics["note"] =
        "model.gated2 is the gated convex model (evaluate with occam convex --eval); model.occam is the ReLU "
        "network recovered from its neurons, which equals the gated model only where each gate's pattern "
        "matches its neuron's ReLU pattern (network_* metrics)";
  write_file_atomic(out / "metrics.json", metrics.dump(2) + "\n");
  finish_run(st, out);
}

void setup(CLI::App& app) {
  auto opts = std::make_shared<convex_options>();
  auto* cmd = app.add_subcommand(
      "convex",
      "Train a two-layer ReLU network or K parallel three-layer path-regularised sub-networks through their "
      "convex programs (THEORY §10): the optimum of the program over the sampled (or enumerated) patterns");
  opts->data.add_to(cmd, /*with_valid=*/true);
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
                  "evaluate a saved model.gated2 or model.path3 on --data instead of training");
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
  cmd->add_option("--loss", opts->loss, "squared or logistic (one target column of 0/1 or ±1 values)")
      ->check(CLI::IsMember({"squared", "logistic"}))
      ->capture_default_str();
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
  cmd->add_option("--progress-every", opts->progress_every,
                  "seconds between progress lines on stderr (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_flag("--certify", opts->certify,
                "gated2: check the dual constraint over all patterns (exact by enumeration when small, else "
                "searched) and add violating patterns until none is found (column generation)");
  cmd->add_option("--certify-rounds", opts->certify_rounds, "--certify: most re-solves")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_flag("--scale-columns", opts->scale_columns, "divide each input column by its Euclidean norm");
  cmd->add_flag("--float64", opts->float64, "gated2: compute in float64 (default float32)");
  cmd->add_flag("--bias", opts->bias, "append a constant input column (a bias)");
  cmd->add_option("--threads", opts->threads, "CPU threads (0: libtorch default)")->capture_default_str();
  cmd->add_option("--device", opts->device, "cpu or cuda")->capture_default_str();
  cmd->add_option("--out", opts->out,
                  "output directory: model.occam and model.gated2 (two layers) or model.path3, "
                  "metrics.json, convergence.jsonl");
  cmd->callback([opts] {
    if (!opts->eval.empty()) return run_eval(*opts);
    if (opts->out.empty()) throw input_error("--out is required for training");
    if (opts->certify && opts->model != "gated2") throw input_error("--certify is for --model gated2");
    if (opts->model == "path3" || opts->model == "gated3") {
      if (opts->solver == "al" && opts->model == "gated3")
        throw input_error("--solver al is for relu2/path3");
      if (opts->solver == "admm") throw input_error("--solver admm is for --model relu2");
      if (opts->width <= 0) throw input_error("--width must be positive");
      if (!(opts->lambda > 0)) throw input_error("--lambda must be positive");
      nn::set_threads(opts->threads);
      signal_scope signals;
      return run_path3(*opts);
    }
    if (opts->model == "relu2" && opts->solver == "fista") opts->solver = "al";
    if (opts->model == "gated2" && opts->solver != "fista")
      throw input_error("--solver " + opts->solver + " is for --model relu2");
    if (opts->solver == "admm" && opts->loss != "squared")
      throw input_error("--solver admm supports --loss squared only; use --solver al");
    signal_scope signals;
    run(*opts);
  });
}

command reg{"60-convex", setup};

}  // namespace
}  // namespace occam::cli
