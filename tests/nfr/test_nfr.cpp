// Tests for neural feature repopulation (THEORY §11; definitions D1–D8 of docs/nfr.md).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "occam/data/rng.hpp"
#include "occam/nfr/nfr.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace nfr = occam::nfr;
using occam::data::task_kind;

namespace {

nfr::mlp double_net(std::int64_t d_in, std::vector<std::int64_t> hidden, std::int64_t d_out,
                    std::uint64_t seed, bool random_masses = true) {
  nfr::init_params ip;
  ip.seed = seed;
  ip.dtype = torch::kFloat64;
  auto net = nfr::make_mlp(d_in, hidden, d_out, ip);
  auto gen = at::detail::createCPUGenerator(seed + 1000);
  for (std::size_t l = 0; l <= net.depth(); ++l)
    net.bias[l] = torch::randn(net.bias[l].sizes(), gen, torch::kFloat64) * 0.3;
  if (random_masses)
    for (auto& m : net.mass) {
      auto r = torch::rand(m.sizes(), gen, torch::kFloat64) + 0.05;
      m = r / r.sum();
    }
  return net;
}

torch::Tensor random_inputs(std::int64_t n, std::int64_t d, std::uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  return torch::randn({n, d}, gen, torch::kFloat64);
}

double max_abs(const torch::Tensor& t) {
  return t.abs().max().item<double>();
}

/// Independent forward pass with explicit loops (D1).
std::vector<double> brute_forward(const nfr::mlp& net, const std::vector<double>& x) {
  std::vector<double> h = x;
  for (std::size_t l = 0; l <= net.depth(); ++l) {
    auto w = net.weight[l].contiguous();
    auto b = net.bias[l];
    std::vector<double> z(std::size_t(w.size(0)));
    for (std::int64_t j = 0; j < w.size(0); ++j) {
      double s = b[j].item<double>();
      for (std::int64_t i = 0; i < w.size(1); ++i) {
        const double mi = l == 0 ? 1.0 : net.mass[l - 1][i].item<double>();
        s += mi * w[j][i].item<double>() * h[std::size_t(i)];
      }
      z[std::size_t(j)] = l < net.depth() ? std::max(s, 0.0) : s;
    }
    h = z;
  }
  return h;
}

/// Independent penalty with explicit loops (D2, D3).
double brute_penalty(const nfr::mlp& net, nfr::penalty_kind kind) {
  double total = 0;
  const std::size_t L = net.depth();
  for (std::size_t l = 0; l <= L; ++l) {
    auto w = net.weight[l];
    const auto up = w.size(0), lo = w.size(1);
    auto mu = [&](std::int64_t j) { return l == L ? 1.0 / double(up) : net.mass[l][j].item<double>(); };
    auto ml = [&](std::int64_t i) { return l == 0 ? 1.0 / double(lo) : net.mass[l - 1][i].item<double>(); };
    if (kind == nfr::penalty_kind::l2) {
      for (std::int64_t j = 0; j < up; ++j)
        for (std::int64_t i = 0; i < lo; ++i) total += mu(j) * ml(i) * std::pow(w[j][i].item<double>(), 2);
    } else if (l == 0) {
      for (std::int64_t j = 0; j < up; ++j) {
        double s = 0;
        for (std::int64_t i = 0; i < lo; ++i) s += std::abs(w[j][i].item<double>()) / double(lo);
        total += mu(j) * s * s;
      }
    } else {
      for (std::int64_t i = 0; i < lo; ++i) {
        double s = 0;
        for (std::int64_t j = 0; j < up; ++j) s += mu(j) * std::abs(w[j][i].item<double>());
        total += ml(i) * s * s;
      }
    }
  }
  return total;
}

/// A small regression task y = sin(x0) + x1·x2 on 256 Gaussian points.
std::pair<torch::Tensor, torch::Tensor> toy_regression(std::uint64_t seed) {
  auto x = random_inputs(256, 3, seed);
  auto y = (torch::sin(x.select(1, 0)) + x.select(1, 1) * x.select(1, 2)).unsqueeze(1);
  return {x, y};
}

}  // namespace

TEST(NfrModel, ForwardMatchesExplicitLoops) {
  auto net = double_net(4, {5, 3}, 2, 1);
  auto x = random_inputs(3, 4, 2);
  auto out = nfr::forward(net, x);
  for (int r = 0; r < 3; ++r) {
    std::vector<double> xr(4);
    for (int i = 0; i < 4; ++i) xr[std::size_t(i)] = x[r][i].item<double>();
    auto ref = brute_forward(net, xr);
    for (int k = 0; k < 2; ++k) EXPECT_NEAR(out[r][k].item<double>(), ref[std::size_t(k)], 1e-12);
  }
}

TEST(NfrModel, PenaltiesMatchExplicitLoops) {
  for (int depth = 1; depth <= 3; ++depth) {
    auto net = double_net(4, std::vector<std::int64_t>(std::size_t(depth), 6), 3, 10 + std::uint64_t(depth));
    for (auto kind : {nfr::penalty_kind::l12, nfr::penalty_kind::l2}) {
      const double p = nfr::penalty(net, kind).item<double>();
      EXPECT_NEAR(p, brute_penalty(net, kind), 1e-10 * std::max(1.0, p));
      double s = 0;
      for (double v : nfr::layer_penalties(net, kind)) s += v;
      EXPECT_NEAR(p, s, 1e-10 * std::max(1.0, p));
    }
  }
}

TEST(NfrRepopulation, ClosedFormSatisfiesKktAndBeatsRandomMasses) {
  std::mt19937_64 gen(3);
  std::uniform_real_distribution<double> u(0.0, 2.0);
  for (int trial = 0; trial < 20; ++trial) {
    const std::size_t n = 2 + std::size_t(trial % 7);
    std::vector<double> a(n), b(n);
    for (std::size_t j = 0; j < n; ++j) a[j] = u(gen), b[j] = trial % 3 == 0 ? 0.0 : u(gen);
    if (trial % 4 == 1) a[0] = 0;  // a unit with no outgoing weights gets mass 0
    double mu = 0;
    auto q = nfr::optimal_masses(a, b, &mu);
    double sum = 0;
    for (std::size_t j = 0; j < n; ++j) {
      sum += q[j];
      if (a[j] == 0) {
        EXPECT_EQ(q[j], 0.0);
      } else {
        EXPECT_NEAR(q[j], a[j] / std::sqrt(b[j] + mu), 1e-9);  // THEORY §11: q_j ∝ a_j / sqrt(b_j + μ)
      }
    }
    EXPECT_NEAR(sum, 1.0, 1e-12);
    auto f = [&](const std::vector<double>& m) {
      double r = 0;
      for (std::size_t j = 0; j < n; ++j) r += (a[j] > 0 ? a[j] * a[j] / m[j] : 0.0) + b[j] * m[j];
      return r;
    };
    const double best = f(q);
    std::exponential_distribution<double> e(1.0);
    for (int k = 0; k < 200; ++k) {  // random points of the simplex never do better
      std::vector<double> m(n);
      double s = 0;
      for (auto& v : m) s += (v = e(gen));
      for (auto& v : m) v /= s;
      EXPECT_GE(f(m), best - 1e-9 * best);
    }
  }
}

TEST(NfrRepopulation, TwoUnitClosedFormMatchesGridSearch) {
  const std::vector<double> a{0.7, 0.2}, b{0.1, 1.3};
  auto q = nfr::optimal_masses(a, b);
  double best = 1e300, arg = 0;
  for (int k = 1; k < 100000; ++k) {
    const double t = k / 100000.0;
    const double f = a[0] * a[0] / t + a[1] * a[1] / (1 - t) + b[0] * t + b[1] * (1 - t);
    if (f < best) best = f, arg = t;
  }
  EXPECT_NEAR(q[0], arg, 2e-5);
}

TEST(NfrRepopulation, ReweightKeepsFunctionAndNeverIncreasesPenalty) {
  for (int depth = 1; depth <= 3; ++depth) {
    for (auto kind : {nfr::penalty_kind::l12, nfr::penalty_kind::l2}) {
      auto net =
          double_net(5, std::vector<std::int64_t>(std::size_t(depth), 12), 3, 20 + std::uint64_t(depth));
      auto x = random_inputs(64, 5, 7);
      nfr::repopulate_params rp;
      rp.penalty = kind;
      nfr::repopulate_stats st;
      auto r = nfr::reweight(net, rp, &st);
      EXPECT_LT(max_abs(nfr::forward(r, x) - nfr::forward(net, x)),
                1e-10 * std::max(1.0, max_abs(nfr::forward(net, x))));
      const double before = nfr::penalty(net, kind).item<double>(),
                   after = nfr::penalty(r, kind).item<double>();
      EXPECT_NEAR(st.penalty_before, before, 1e-12 * before);
      EXPECT_NEAR(st.penalty_after, after, 1e-12 * before);
      EXPECT_LT(after, before) << "random masses are not optimal; depth " << depth << " "
                               << nfr::to_string(kind);
      for (auto& m : r.mass) {
        EXPECT_NEAR(m.sum().item<double>(), 1.0, 1e-12);
        EXPECT_GE(m.min().item<double>(), 0.0);
      }
      // A second pass cannot do better than ~the first (the first is a fixed point up to the stopping rule).
      auto r2 = nfr::reweight(r, rp);
      const double after2 = nfr::penalty(r2, kind).item<double>();
      EXPECT_LE(after2, after * (1 + 1e-12));
      // Depth 1: the closed form is the exact optimum, so a second pass changes nothing. Deeper, re-weighting
      // layer l−1 changes layer l's incoming cost, so a second top-down sweep may still gain (D6).
      if (depth == 1) {
        EXPECT_NEAR(after2, after, 1e-9 * after);
      }
      // More sweeps: still the same function, never a larger penalty.
      rp.sweeps = 5;
      auto r5 = nfr::reweight(net, rp);
      EXPECT_LT(max_abs(nfr::forward(r5, x) - nfr::forward(net, x)),
                1e-9 * std::max(1.0, max_abs(nfr::forward(net, x))));
      EXPECT_LE(nfr::penalty(r5, kind).item<double>(), after * (1 + 1e-12));
      validate(r, "reweighted");
    }
  }
}

TEST(NfrRepopulation, ReweightedMassesBeatRandomFunctionPreservingMasses) {
  // Depth 1: the layer objective is exactly Σ a²/q + Σ b q, so no other function-preserving re-weighting
  // (masses q, outgoing weights × m/q) has a smaller penalty.
  auto net = double_net(4, {8}, 2, 31);
  for (auto kind : {nfr::penalty_kind::l12, nfr::penalty_kind::l2}) {
    nfr::repopulate_params rp;
    rp.penalty = kind;
    const double best = nfr::penalty(nfr::reweight(net, rp), kind).item<double>();
    auto gen = at::detail::createCPUGenerator(5);
    for (int k = 0; k < 100; ++k) {
      auto q = torch::rand({8}, gen, torch::kFloat64) + 0.01;
      q = q / q.sum();
      auto alt = net.clone();
      alt.weight[1] = net.weight[1] * (net.mass[0] / q).unsqueeze(0);
      alt.mass[0] = q;
      EXPECT_GE(nfr::penalty(alt, kind).item<double>(), best * (1 - 1e-12));
    }
  }
}

TEST(NfrRepopulation, ReweightInFloat32KeepsOutputsToFloatTolerance) {
  nfr::init_params ip;
  ip.seed = 4;
  auto net = nfr::make_mlp(10, {200, 50}, 4, ip);
  auto x = random_inputs(32, 10, 8).to(torch::kFloat32);
  auto r = nfr::reweight(net);
  const auto y0 = nfr::forward(net, x), y1 = nfr::forward(r, x);
  EXPECT_LT(max_abs(y1 - y0), 1e-4 * std::max(1.0, max_abs(y0)));
  EXPECT_LE(nfr::penalty(r, nfr::penalty_kind::l12).item<double>(),
            nfr::penalty(net, nfr::penalty_kind::l12).item<double>() * (1 + 1e-6));
}

namespace {
/// Checks that the mean of `draws` resampled networks' values `value(net)` converges to the original: each
/// coordinate within 5 standard errors, the standard error taken from the exact per-draw variance `var1`
/// (divided by the units n per network and the number of draws).
void expect_unbiased(const torch::Tensor& original, const torch::Tensor& var1, std::int64_t n, int draws,
                     const std::function<torch::Tensor(std::uint64_t)>& value) {
  torch::Tensor sum = torch::zeros_like(original), sq = torch::zeros_like(original);
  for (int k = 0; k < draws; ++k) {
    auto v = value(std::uint64_t(1000 + k));
    sum += v;
    sq += (v - original).pow(2);
  }
  const auto mean = sum / draws;
  const auto se = (var1 / double(n) / double(draws)).sqrt();
  const auto z = (mean - original).abs() / (se + 1e-12);
  EXPECT_LT(z.max().item<double>(), 5.0);
  // Not vacuous: single draws do deviate, with the predicted variance (within 25 %).
  const auto emp_var = (sq / draws).mean().item<double>(),
             pred_var = (var1 / double(n)).mean().item<double>();
  EXPECT_GT(emp_var, 0.0);
  EXPECT_NEAR(emp_var / pred_var, 1.0, 0.25);
}
}  // namespace

TEST(NfrRepopulation, ResamplingTopLayerIsUnbiased) {
  auto net = double_net(3, {40}, 2, 41);
  auto x = random_inputs(6, 3, 9);
  const auto f = nfr::forward(net, x);
  const auto m = net.mass[0];
  auto h = torch::relu(nfr::preactivations(net, x)[0]);              // 6 × 40
  auto contrib = (h * m).unsqueeze(1) * net.weight[1].unsqueeze(0);  // 6 × 2 × 40: m_j U_kj h_j
  for (int variant = 0; variant < 2; ++variant) {
    std::vector<double> p;
    if (variant == 0) {  // importance sampling with the repopulation masses (THEORY §11)
      const auto q = nfr::reweight(net).mass[0].contiguous();
      p = std::vector<double>(q.data_ptr<double>(), q.data_ptr<double>() + 40);
    } else {  // uniform sampling
      p.assign(40, 1.0 / 40);
    }
    auto pt = torch::tensor(p, torch::kFloat64);
    // One draw Y = m_J U_kJ h_J / p_J: Var Y = Σ_j (m_j U_kj h_j)² / p_j − (Σ_j m_j U_kj h_j)².
    const auto var1 = (contrib.pow(2) / pt).sum(2) - contrib.sum(2).pow(2);
    const std::int64_t n = 10;
    expect_unbiased(f, var1, n, 3000, [&](std::uint64_t seed) {
      return nfr::forward(nfr::resample_layer(net, 1, n, p, seed), x);
    });
  }
}

TEST(NfrRepopulation, ResamplingHiddenLayerKeepsNextPreactivationsUnbiased) {
  auto net = double_net(3, {30, 8}, 2, 51);
  auto x = random_inputs(5, 3, 10);
  const auto z = nfr::preactivations(net, x);
  const auto h = torch::relu(z[0]);
  const auto contrib = (h * net.mass[0]).unsqueeze(1) * net.weight[1].unsqueeze(0);  // 5 × 8 × 30
  const auto p = std::vector<double>(30, 1.0 / 30);
  const auto var1 = (contrib.pow(2) * 30.0).sum(2) - contrib.sum(2).pow(2);
  expect_unbiased(z[1], var1, 12, 3000, [&](std::uint64_t seed) {
    return nfr::preactivations(nfr::resample_layer(net, 1, 12, p, seed), x)[1];
  });
}

TEST(NfrRepopulation, ResampleRejectsBadInput) {
  auto net = double_net(3, {4}, 1, 1);
  EXPECT_THROW(nfr::resample_layer(net, 2, 3, {}, 1), occam::input_error);
  EXPECT_THROW(nfr::resample_layer(net, 1, 0, {}, 1), occam::input_error);
  EXPECT_THROW(nfr::resample_layer(net, 1, 3, {0.5, 0.5, 0.0, 0.0}, 1), occam::input_error);
}

namespace {
nfr::mlp trained(std::uint64_t seed, nfr::penalty_kind kind, double lambda) {
  auto [x, y] = toy_regression(99);
  nfr::init_params ip;
  ip.seed = seed;
  ip.dtype = torch::kFloat64;
  auto net = nfr::make_mlp(3, {16, 16}, 1, ip);
  nfr::train_params tp;
  tp.epochs = 40;
  tp.batch = 64;
  tp.lr = 3e-3;
  tp.penalty = kind;
  tp.lambda = lambda;
  tp.seed = seed;
  tp.progress = false;
  nfr::train(net, x, y, task_kind::regression, tp);
  return net;
}
}  // namespace

TEST(NfrMixture, OutputsAndL12PenaltiesAreExactMixturesAndObjectiveIsBelowChord) {
  const double lambda = 1e-3;
  auto a = trained(1, nfr::penalty_kind::l12, lambda), b = trained(2, nfr::penalty_kind::l12, lambda);
  auto [x, y] = toy_regression(99);
  const auto fa = nfr::forward(a, x), fb = nfr::forward(b, x);
  const double pa = nfr::penalty(a, nfr::penalty_kind::l12).item<double>();
  const double pb = nfr::penalty(b, nfr::penalty_kind::l12).item<double>();
  const auto ea = nfr::evaluate(a, x, y, task_kind::regression, nfr::penalty_kind::l12, lambda);
  const auto eb = nfr::evaluate(b, x, y, task_kind::regression, nfr::penalty_kind::l12, lambda);
  for (int k = 0; k <= 10; ++k) {
    const double t = k / 10.0;
    auto mix = nfr::concatenate(a, b, t);
    validate(mix, "mix");
    const auto f = nfr::forward(mix, x);
    EXPECT_LT(max_abs(f - ((1 - t) * fa + t * fb)), 1e-10);
    const double p = nfr::penalty(mix, nfr::penalty_kind::l12).item<double>();
    EXPECT_NEAR(p, (1 - t) * pa + t * pb, 1e-10 * (pa + pb));
    const auto e = nfr::evaluate(mix, x, y, task_kind::regression, nfr::penalty_kind::l12, lambda);
    EXPECT_LE(e.objective, (1 - t) * ea.objective + t * eb.objective + 1e-12);
  }
}

TEST(NfrMixture, PlainL2CanRiseAboveTheChord) {
  const double lambda = 1e-3;
  auto a = trained(3, nfr::penalty_kind::l2, lambda), b = trained(4, nfr::penalty_kind::l2, lambda);
  auto [x, y] = toy_regression(99);
  const auto ea = nfr::evaluate(a, x, y, task_kind::regression, nfr::penalty_kind::l2, lambda);
  const auto eb = nfr::evaluate(b, x, y, task_kind::regression, nfr::penalty_kind::l2, lambda);
  auto mix = nfr::concatenate(a, b, 0.5);
  const auto e = nfr::evaluate(mix, x, y, task_kind::regression, nfr::penalty_kind::l2, lambda);
  // The hidden-to-hidden L2 terms of both blocks survive undiminished (0-homogeneous in the flows, D3).
  const auto la = nfr::layer_penalties(a, nfr::penalty_kind::l2),
             lb = nfr::layer_penalties(b, nfr::penalty_kind::l2);
  const auto lm = nfr::layer_penalties(mix, nfr::penalty_kind::l2);
  EXPECT_NEAR(lm[1], la[1] + lb[1], 1e-9 * (la[1] + lb[1]));
  EXPECT_NEAR(lm[0], 0.5 * (la[0] + lb[0]), 1e-9 * (la[0] + lb[0]));
  EXPECT_GT(e.penalty, 0.5 * (ea.penalty + eb.penalty));
  EXPECT_GT(e.objective, 0.5 * (ea.objective + eb.objective));
}

TEST(NfrTrain, OptimisersLowerTheObjective) {
  auto [x, y] = toy_regression(5);
  for (auto opt : {nfr::optimizer_kind::adam, nfr::optimizer_kind::sgd, nfr::optimizer_kind::langevin}) {
    nfr::init_params ip;
    ip.seed = 7;
    ip.dtype = torch::kFloat64;
    auto net = nfr::make_mlp(3, {32}, 1, ip);
    const auto before = nfr::evaluate(net, x, y, task_kind::regression, nfr::penalty_kind::l12, 1e-3);
    nfr::train_params tp;
    tp.epochs = 30;
    tp.batch = 32;
    tp.optimizer = opt;
    tp.lr = opt == nfr::optimizer_kind::adam ? 3e-3 : 0.05;
    tp.temperature = opt == nfr::optimizer_kind::langevin ? 1e-6 : 0.0;
    tp.lambda = 1e-3;
    tp.progress = false;
    std::vector<double> losses;
    tp.on_epoch = [&](const nfr::epoch_record& r) { losses.push_back(r.loss); };
    auto st = nfr::train(net, x, y, task_kind::regression, tp);
    const auto after = nfr::evaluate(net, x, y, task_kind::regression, nfr::penalty_kind::l12, 1e-3);
    EXPECT_EQ(st.epochs, 30);
    EXPECT_EQ(losses.size(), 30u);
    EXPECT_LT(after.objective, 0.7 * before.objective) << nfr::to_string(opt);
  }
}

TEST(NfrTrain, ShapeMismatchIsAnInputError) {
  auto net = double_net(4, {6}, 1, 5);
  auto [x, y] = toy_regression(4);  // 3 inputs
  nfr::train_params tp;
  tp.epochs = 1;
  tp.progress = false;
  EXPECT_THROW(nfr::train(net, x, y, task_kind::regression, tp), occam::input_error);
  EXPECT_THROW(nfr::evaluate(net, x, y, task_kind::regression, nfr::penalty_kind::l12, 0.0),
               occam::input_error);
  auto ok = double_net(3, {6}, 1, 5);
  EXPECT_THROW(nfr::train(ok, x, y.slice(0, 0, 10), task_kind::regression, tp), occam::input_error);
}

TEST(NfrTrain, LangevinAtZeroTemperatureIsSgd) {
  auto [x, y] = toy_regression(6);
  nfr::init_params ip;
  ip.dtype = torch::kFloat64;
  auto a = nfr::make_mlp(3, {8, 8}, 1, ip), b = a.clone(), initial = a.clone();
  nfr::train_params tp;
  tp.epochs = 3;
  tp.lr = 0.01;
  tp.progress = false;
  tp.optimizer = nfr::optimizer_kind::sgd;
  nfr::train(a, x, y, task_kind::regression, tp);
  tp.optimizer = nfr::optimizer_kind::langevin;
  nfr::train(b, x, y, task_kind::regression, tp);
  // Both trained (every layer moved), and identically.
  for (std::size_t l = 0; l < a.weight.size(); ++l) {
    EXPECT_FALSE(torch::equal(a.weight[l], initial.weight[l])) << "layer " << l << " did not move";
    EXPECT_TRUE(torch::equal(a.weight[l], b.weight[l]));
  }
}

TEST(NfrTrain, AlternatingWithRepopulationAndOutputOnly) {
  auto [x, y] = toy_regression(7);
  nfr::init_params ip;
  ip.dtype = torch::kFloat64;
  auto net = nfr::make_mlp(3, {32}, 1, ip);
  nfr::train_params tp;
  tp.epochs = 6;
  tp.lr = 3e-3;
  tp.lambda = 1e-3;
  tp.repopulate_every = 2;
  tp.progress = false;
  auto st = nfr::train(net, x, y, task_kind::regression, tp);
  EXPECT_EQ(st.repopulations, 3);
  validate(net, "alternating");
  // Output-only training leaves hidden weights and masses untouched.
  auto frozen = net.clone();
  tp.repopulate_every = 0;
  tp.output_only = true;
  nfr::train(net, x, y, task_kind::regression, tp);
  EXPECT_TRUE(torch::equal(net.weight[0], frozen.weight[0]));
  EXPECT_TRUE(torch::equal(net.mass[0], frozen.mass[0]));
  EXPECT_FALSE(torch::equal(net.weight[1], frozen.weight[1]));
}

TEST(NfrFiles, SaveLoadRoundTripAndBadFiles) {
  const auto dir = std::filesystem::temp_directory_path() / ("occam_nfr_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto net = double_net(3, {5, 4}, 2, 61);
  const auto path = (dir / "net.nfr").string();
  nfr::save_mlp(net, path);
  auto back = nfr::load_mlp(path);
  ASSERT_EQ(back.depth(), net.depth());
  for (std::size_t l = 0; l <= net.depth(); ++l) {
    EXPECT_TRUE(torch::equal(back.weight[l], net.weight[l]));
    EXPECT_TRUE(torch::equal(back.bias[l], net.bias[l]));
  }
  for (std::size_t l = 0; l < net.depth(); ++l) EXPECT_TRUE(torch::equal(back.mass[l], net.mass[l]));
  EXPECT_THROW(nfr::load_mlp((dir / "missing.nfr").string()), occam::input_error);
  {
    std::ofstream bad(dir / "bad.nfr");
    bad << "not a torch archive";
  }
  EXPECT_THROW(nfr::load_mlp((dir / "bad.nfr").string()), occam::input_error);
  auto broken = net.clone();
  broken.mass[0] = broken.mass[0] * 2;
  EXPECT_THROW(nfr::save_mlp(broken, (dir / "broken.nfr").string()), occam::input_error);
  occam::remove_tree(dir);
}

TEST(NfrDevice, CudaMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto net = double_net(4, {16, 8}, 2, 71);
  auto x = random_inputs(20, 4, 11);
  auto gpu = net.to(torch::kCUDA, torch::kFloat64);
  EXPECT_LT(max_abs(nfr::forward(gpu, x.to(torch::kCUDA)).cpu() - nfr::forward(net, x)), 1e-10);
  auto r_cpu = nfr::reweight(net), r_gpu = nfr::reweight(gpu);
  EXPECT_NEAR(nfr::penalty(r_gpu, nfr::penalty_kind::l12).item<double>(),
              nfr::penalty(r_cpu, nfr::penalty_kind::l12).item<double>(), 1e-9);
  // Training keeps the network on its device (toy_regression has 3 inputs and 1 output).
  auto [xr, yr] = toy_regression(3);
  auto small = double_net(3, {16, 8}, 1, 72).to(torch::kCUDA, torch::kFloat64);
  nfr::train_params tp;
  tp.epochs = 2;
  tp.progress = false;
  nfr::train(small, xr, yr, task_kind::regression, tp);
  EXPECT_EQ(small.device().type(), torch::kCUDA);
  // A shape mismatch is a clear input error, not a libtorch exception.
  EXPECT_THROW(nfr::train(gpu, xr, yr, task_kind::regression, tp), occam::input_error);
}

TEST(NfrDevice, ParseDevice) {
  EXPECT_EQ(nfr::parse_device("cpu").type(), torch::kCPU);
  EXPECT_THROW(nfr::parse_device("tpu"), occam::input_error);
  if (!torch::cuda::is_available()) {
    EXPECT_THROW(nfr::parse_device("cuda"), occam::input_error);
  }
}
