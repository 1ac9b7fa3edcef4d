// Experiments of docs/experiments/convex.md (THEORY §10).
//   convex_experiments spiral OUTDIR   two-layer weight decay (relu2, gated2) vs three-layer path
//                                      regularisation (path3, gated3) on a two-arm spiral, solved through the
//                                      convex programs; writes decision-function grids for gnuplot.
//   convex_experiments fmnist OUTDIR [n]  Fashion-MNIST class 0 vs rest (PROBLEM.md scaling, first n training
//                                      images, all 10,000 test images): convex solutions vs Adam training of
//                                      the same architectures on the same objective, with times.
// Environment: EXP_THREADS (default 1).
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "occam/convex/convex.hpp"
#include "occam/data/loaders.hpp"
#include "occam/nn/train.hpp"

using namespace occam;
using namespace occam::convex;

namespace {

using clock_type = std::chrono::steady_clock;
double since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

double accuracy(const torch::Tensor& pred, const torch::Tensor& y) {
  return (pred.view(-1).sign() == y.view(-1)).to(torch::kFloat64).mean().item<double>();
}

/// Two-arm spiral in [−1, 1]²: arm k at angle 3πt + kπ, radius t, Gaussian noise σ; labels ±1.
void spiral(std::int64_t n_per_arm, double noise, std::uint64_t seed, torch::Tensor& X, torch::Tensor& y) {
  torch::manual_seed(seed);
  std::vector<torch::Tensor> xs, ys;
  for (int k = 0; k < 2; ++k) {
    auto t = torch::rand({n_per_arm}, torch::kFloat64) * 0.95 + 0.05;
    auto th = 3 * M_PI * t + k * M_PI;
    auto pts = torch::stack({t * torch::cos(th), t * torch::sin(th)}, 1);
    xs.push_back(pts + noise * torch::randn_like(pts));
    ys.push_back(torch::full({n_per_arm}, k == 0 ? 1.0 : -1.0, torch::kFloat64));
  }
  X = torch::cat(xs, 0);
  y = torch::cat(ys, 0);
}

torch::Tensor with_bias(const torch::Tensor& X) {
  return torch::cat({X, torch::ones({X.size(0), 1}, X.options())}, 1);
}

/// Adam on the two-layer objective 1/(2n)‖σ(X W1ᵀ) W2ᵀ − y‖² + (λ/2)(‖W1‖² + ‖W2‖²), width k.
two_layer_network adam_two_layer(const torch::Tensor& X, const torch::Tensor& y, std::int64_t k,
                                 double lambda, int steps, double lr, std::uint64_t seed) {
  torch::manual_seed(seed);
  auto W1 = (torch::randn({k, X.size(1)}, X.options()) / std::sqrt(double(X.size(1)))).requires_grad_(true);
  auto W2 = (torch::randn({1, k}, X.options()) / std::sqrt(double(k))).requires_grad_(true);
  torch::optim::Adam opt({W1, W2}, torch::optim::AdamOptions(lr));
  for (int s = 0; s < steps; ++s) {
    if (s == steps * 3 / 4)
      for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr / 10);
    opt.zero_grad();
    auto f = torch::relu(X.mm(W1.t())).mm(W2.t()).view(-1);
    auto loss = 0.5 * (f - y).square().mean() + 0.5 * lambda * (W1.square().sum() + W2.square().sum());
    loss.backward();
    opt.step();
  }
  return {W1.detach(), W2.detach()};
}

/// Adam on the path-regularised objective of K parallel sub-networks of width m (THEORY §10).
path3_network adam_path3(const torch::Tensor& X, const torch::Tensor& y, std::int64_t K, std::int64_t m,
                         double lambda, int steps, double lr, std::uint64_t seed) {
  torch::manual_seed(seed);
  const auto d = X.size(1);
  auto W1 = (torch::randn({K, d, m}, X.options()) / std::sqrt(double(d))).requires_grad_(true);
  auto w2 = (torch::randn({K, m}, X.options()) / std::sqrt(double(m))).requires_grad_(true);
  auto w3 = (torch::randn({K}, X.options()) / std::sqrt(double(K))).requires_grad_(true);
  torch::optim::Adam opt({W1, w2, w3}, torch::optim::AdamOptions(lr));
  for (int s = 0; s < steps; ++s) {
    if (s == steps * 3 / 4)
      for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr / 10);
    opt.zero_grad();
    auto H1 = torch::relu(X.mm(W1.permute({1, 0, 2}).reshape({d, K * m})).view({X.size(0), K, m}));
    auto f = torch::relu((H1 * w2.unsqueeze(0)).sum(2)).mv(w3);
    auto path = (W1.square().sum(1) * w2.square()).sum(1).add(1e-30).sqrt() * w3.abs();
    auto loss = 0.5 * (f - y).square().mean() + lambda * path.sum();
    loss.backward();
    opt.step();
  }
  return {W1.detach(), w2.detach(), {}, w3.detach().unsqueeze(1)};
}

void write_grid(const std::filesystem::path& file,
                const std::function<torch::Tensor(const torch::Tensor&)>& f) {
  const int N = 121;
  auto g = torch::linspace(-1.2, 1.2, N, torch::kFloat64);
  auto mesh = torch::meshgrid({g, g}, "ij");
  auto P = torch::stack({mesh[0].reshape(-1), mesh[1].reshape(-1)}, 1);
  auto v = f(P).view(-1);
  std::ofstream os(file);
  for (int i = 0; i < N; ++i) {
    for (int j = 0; j < N; ++j)
      os << P[i * N + j][0].item<double>() << ' ' << P[i * N + j][1].item<double>() << ' '
         << v[i * N + j].item<double>() << '\n';
    os << '\n';
  }
}

void run_spiral(const std::filesystem::path& out) {
  torch::Tensor X, y, Xt, yt;
  spiral(100, 0.02, 1, X, y);
  spiral(500, 0.02, 2, Xt, yt);
  {
    std::ofstream os(out / "spiral_train.dat");
    for (std::int64_t i = 0; i < X.size(0); ++i)
      os << X[i][0].item<double>() << ' ' << X[i][1].item<double>() << ' ' << y[i].item<double>() << '\n';
  }
  auto Xb = with_bias(X), Xtb = with_bias(Xt);
  const double lambda = std::getenv("EXP_LAMBDA") ? std::atof(std::getenv("EXP_LAMBDA")) : 1e-3;
  std::printf("spiral: n = %lld train (2 arms), %lld test, d = 3 (x, y, bias), λ = %g\n",
              (long long)X.size(0), (long long)Xt.size(0), lambda);
  std::printf(
      "| model | program | patterns | groups | neurons / sub-networks | convex objective | "
      "network objective | violation | train acc | test acc | seconds "
      "|\n|---|---|---|---|---|---|---|---|---|---|---|\n");
  // Two layers, weight decay.
  sample_stats ss;
  const std::int64_t count = std::getenv("EXP_PATTERNS") ? std::atoi(std::getenv("EXP_PATTERNS")) : 400;
  auto pats = sample_patterns(Xb, {count, 1, true}, &ss);
  for (auto model : {model_kind::gated_relu, model_kind::relu}) {
    solve_params sp;
    sp.lambda = lambda;
    sp.model = model;
    sp.tol = 1e-4;
    sp.max_iterations = 40000;
    sp.al_inner_iterations = 4000;
    solve_stats st;
    auto sol = solve_two_layer(Xb, y, pats, sp, &st);
    auto net = recover_network(sol);
    const bool relu = model == model_kind::relu;
    std::printf(
        "| two-layer, weight decay | %s | %lld of %lld sampled | %lld | %lld | %.6f | %.6f | %.1e | %.3f | "
        "%.3f | %.1f |\n",
        to_string(model), (long long)ss.distinct, (long long)ss.sampled, (long long)st.active,
        (long long)net.W1.size(0), st.objective, net.objective(Xb, y, lambda), relu ? st.violation : 0.0,
        accuracy(net.forward(Xb), y), accuracy(net.forward(Xtb), yt), st.seconds);
    std::fflush(stdout);
    write_grid(out / (std::string("spiral_") + to_string(model) + ".dat"),
               [&](const torch::Tensor& P) { return net.forward(with_bias(P)); });
  }
  // Three layers, path regularisation.
  const std::int64_t m = std::getenv("EXP_WIDTH") ? std::atoi(std::getenv("EXP_WIDTH")) : 3;
  auto tp = sample_path3_patterns(Xb, {count, m, 1}, &ss);
  for (auto model : {model_kind::gated_relu, model_kind::relu}) {
    solve_params sp;
    sp.lambda = lambda;
    sp.model = model;
    sp.tol = 1e-4;
    sp.max_iterations = 40000;
    sp.al_inner_iterations = 4000;
    solve_stats st;
    auto sol = solve_path3(Xb, y, tp, sp, &st);
    auto net = recover_path3(sol);
    const bool relu = model == model_kind::relu;
    const char* name = relu ? "path3" : "gated3";
    std::printf(
        "| three-layer (m = %lld), path norm | %s | %lld of %lld sampled | %lld | %lld | %.6f | %.6f | %.1e "
        "| %.3f | %.3f | %.1f |\n",
        (long long)m, name, (long long)ss.distinct, (long long)ss.sampled, (long long)st.active,
        (long long)net.size(), st.objective, net.objective(Xb, y, lambda), relu ? st.violation : 0.0,
        accuracy(net.forward(Xb), y), accuracy(net.forward(Xtb), yt), st.seconds);
    std::fflush(stdout);
    write_grid(out / (std::string("spiral_") + name + ".dat"),
               [&](const torch::Tensor& P) { return net.forward(with_bias(P)); });
  }
}

void run_fmnist(const std::filesystem::path& out, std::size_t n) {
  (void)out;
  auto train = data::load_fashion_mnist("train", n);
  auto test = data::load_fashion_mnist("test");
  auto to_xy = [](const data::dataset& d, torch::Tensor& X, torch::Tensor& y) {
    X = torch::from_blob(const_cast<float*>(d.x.data()), {(long)d.n, (long)d.d_in}, torch::kFloat32)
            .to(torch::kFloat64);
    auto lab =
        torch::from_blob(const_cast<float*>(d.y.data()), {(long)d.n}, torch::kFloat32).to(torch::kFloat64);
    y = torch::where(lab == 0, torch::ones_like(lab), -torch::ones_like(lab));
  };
  torch::Tensor X, y, Xt, yt;
  to_xy(train, X, y);
  to_xy(test, Xt, yt);
  auto norms = X.norm(2, 0);
  norms = torch::where(norms > 0, norms, torch::ones_like(norms));
  X = X / norms;
  Xt = Xt / norms;
  const double lambda = 1e-3;
  std::printf(
      "fashion-mnist class 0 vs rest: first %zu training images, 10,000 test images, d = 784, λ = %g\n", n,
      lambda);
  std::printf(
      "| architecture | method | objective (same for both methods) | train acc | test acc | seconds "
      "|\n|---|---|---|---|---|---|\n");
  // Two layers: the cone-constrained program (exact for its patterns) and Adam on the same objective/width.
  auto Xf = X.to(torch::kFloat32), yf = y.to(torch::kFloat32), Xtf = Xt.to(torch::kFloat32);
  sample_stats ss;
  auto pats = sample_patterns(X, {100, 778, true}, &ss);
  auto patsf = pats;  // float32 copy for the float32 solves (gated2, relu2 by ADMM)
  patsf.masks = pats.masks.to(torch::kFloat32);
  patsf.gates = pats.gates.to(torch::kFloat32);
  // EXP_PARTS selects rows: any of "gated", "relu2", "path3" (default: all three).
  const std::string parts = std::getenv("EXP_PARTS") ? std::getenv("EXP_PARTS") : "gated,relu2,path3";
  auto part = [&](const char* name) { return parts.find(name) != std::string::npos; };
  if (part("gated")) {
    solve_params sp;
    sp.lambda = lambda;
    sp.model = model_kind::gated_relu;
    sp.tol = 1e-5;
    solve_stats st;
    auto sol = solve_two_layer(Xf, yf, patsf, sp, &st);
    std::printf(
        "| gated ReLU, %lld gates | convex gated2 (FISTA, low-rank metric), gated model: %s after %lld "
        "steps, "
        "relative gap %.1e | %.6f | %.4f | %.4f | %.1f |\n",
        (long long)pats.size(), st.converged ? "converged" : "NOT converged", (long long)st.iterations,
        st.gap / std::abs(st.objective), st.objective, accuracy(predict(sol, Xf), yf),
        accuracy(predict(sol, Xtf), yt), st.seconds);
    std::fflush(stdout);
  }
  std::int64_t k = 0;
  if (part("relu2")) {
    // ADMM (bench/RESULTS.md, convex fourth pass: the augmented Lagrangian did not converge on this size in
    // 4,000 steps), float32 and ρ₂ = 10/n as in bench_convex; up to 3,000 iterations.
    solve_params sp;
    sp.lambda = lambda;
    sp.model = model_kind::relu;
    sp.solver = solver_kind::admm;
    sp.admm_rho = 10.0 / double(n);
    sp.tol = 1e-4;
    sp.max_iterations = 3000;
    solve_stats st;
    auto sol = solve_two_layer(Xf, yf, patsf, sp, &st);
    sol.U = sol.U.to(torch::kFloat64);
    sol.W = sol.W.to(torch::kFloat64);
    auto net = recover_network(sol);
    k = net.W1.size(0);
    std::printf(
        "| two-layer ReLU (%lld neurons recovered) | convex relu2 (ADMM, %lld patterns, %lld iterations, "
        "violation %.1e, %s) | %.6f | %.4f | %.4f | %.1f |\n",
        (long long)k, (long long)pats.size(), (long long)st.iterations, st.violation,
        st.converged ? "converged" : "iteration cap", net.objective(X, y, lambda),
        accuracy(net.forward(X), y), accuracy(net.forward(Xt), yt), st.seconds);
    std::fflush(stdout);
    for (std::uint64_t seed : {1, 2}) {
      auto t0 = clock_type::now();
      auto an = adam_two_layer(Xf, yf, std::max<std::int64_t>(k, 1), lambda, 3000, 3e-3, seed);
      double secs = since(t0);
      std::printf(
          "| two-layer ReLU, width %lld | Adam, 3000 full-batch steps, seed %llu | %.6f | %.4f | %.4f | %.1f "
          "|\n",
          (long long)k, (unsigned long long)seed, an.objective(X, y, lambda), accuracy(an.forward(X), y),
          accuracy(an.forward(Xt), yt), secs);
      std::fflush(stdout);
    }
  }
  // Three layers, path regularisation: gated3 then the recovered sub-networks, Adam on the same K and m.
  if (part("path3")) {
    const std::int64_t m = 2;
    auto tp = sample_path3_patterns(X, {100, m, 778}, &ss);
    solve_params sp;
    sp.lambda = lambda;
    sp.model = model_kind::relu;
    sp.tol = 1e-3;
    sp.max_iterations = 4000;
    solve_stats st;
    auto sol = solve_path3(X, y, tp, sp, &st);
    auto net = recover_path3(sol);
    std::printf(
        "| %lld parallel 3-layer sub-networks, m = %lld | convex path3 (AL, %lld tuples, violation %.1e) | "
        "%.6f | %.4f | %.4f | %.1f |\n",
        (long long)net.size(), (long long)m, (long long)tp.size(), st.violation, net.objective(X, y, lambda),
        accuracy(net.forward(X), y), accuracy(net.forward(Xt), yt), st.seconds);
    std::fflush(stdout);
    for (std::uint64_t seed : {1, 2}) {
      auto t0 = clock_type::now();
      auto an = adam_path3(Xf, yf, std::max<std::int64_t>(net.size(), 1), m, lambda, 3000, 3e-3, seed);
      double secs = since(t0);
      std::printf("| same K and m | Adam, 3000 full-batch steps, seed %llu | %.6f | %.4f | %.4f | %.1f |\n",
                  (unsigned long long)seed, an.objective(X, y, lambda), accuracy(an.forward(X), y),
                  accuracy(an.forward(Xt), yt), secs);
      std::fflush(stdout);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: convex_experiments spiral|fmnist OUTDIR [n]\n");
    return 2;
  }
  nn::set_threads(std::getenv("EXP_THREADS") ? std::atoi(std::getenv("EXP_THREADS")) : 1);
  std::filesystem::path out = argv[2];
  std::filesystem::create_directories(out);
  std::string which = argv[1];
  if (which == "spiral") run_spiral(out);
  if (which == "fmnist") run_fmnist(out, argc > 3 ? std::size_t(std::atol(argv[3])) : 2000);
}
