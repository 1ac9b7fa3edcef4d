// Tests of the three-layer path-regularised program (THEORY §10): pattern tuples (sampled ⊆ enumerated),
// gated3 by FISTA vs an independent ISTA on the explicitly formed operator, KKT residuals, path3 (cones)
// recovered objective = convex objective, the global-optimality check against non-convex training of the same
// architecture from random starts, the network file format, and CUDA = CPU (skipped without a GPU).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "occam/convex/convex.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

using namespace occam;
using namespace occam::convex;

namespace {

/// n points on a line plus the bias column (THEORY §10: the caller adds it): d = 2.
torch::Tensor line_inputs(std::int64_t n, std::uint64_t seed) {
  torch::manual_seed(seed);
  auto x = torch::rand({n, 1}, torch::kFloat64) * 4 - 2;
  return torch::cat({x, torch::ones({n, 1}, torch::kFloat64)}, 1);
}
torch::Tensor line_targets(const torch::Tensor& X) {
  auto x = X.select(1, 0);
  return torch::sin(2 * x) + 0.5 * x.abs() - 0.3;
}
torch::Tensor plane_inputs(std::int64_t n, std::uint64_t seed) {
  torch::manual_seed(seed);
  auto X = torch::randn({n, 2}, torch::kFloat64);
  return torch::cat({X, torch::ones({n, 1}, torch::kFloat64)}, 1);
}

/// A tuple as a string invariant under permuting the hidden units: sorted (s_j, D_1j) plus D_2, with D_2
/// cleared on rows where no unit is active (there h = 0 and the output does not depend on D_2).
std::set<std::string> tuple_keys(const path3_patterns& p) {
  auto D1 = p.D1.to(torch::kCPU, torch::kFloat64);
  auto D2 = p.D2.to(torch::kCPU, torch::kFloat64);
  auto s = p.signs.to(torch::kCPU, torch::kFloat64);
  const auto n = D1.size(0), T = D1.size(1), m = D1.size(2);
  std::set<std::string> keys;
  for (std::int64_t t = 0; t < T; ++t) {
    std::vector<std::string> units;
    std::string d2;
    for (std::int64_t j = 0; j < m; ++j) {
      std::string u(1, s[t][j].item<double>() > 0 ? '+' : '-');
      for (std::int64_t i = 0; i < n; ++i) u += D1[i][t][j].item<double>() > 0.5 ? '1' : '0';
      units.push_back(u);
    }
    for (std::int64_t i = 0; i < n; ++i) {
      bool active = false;
      for (std::int64_t j = 0; j < m; ++j) active |= D1[i][t][j].item<double>() > 0.5;
      d2 += (active && D2[i][t].item<double>() > 0.5) ? '1' : '0';
    }
    std::sort(units.begin(), units.end());
    std::string key;
    for (auto& u : units) key += u + "|";
    keys.insert(key + d2);
  }
  return keys;
}

/// Independent solver for gated3: ISTA on the explicitly formed operator A = [diag(M_{t,j}) X]_{t,j} with the
/// exact Lipschitz constant; groups of m·d coordinates. No working set, no momentum, no restarts.
double ista_gated3(const torch::Tensor& X, const torch::Tensor& y, const path3_patterns& p, double lambda,
                   int iters) {
  const auto n = X.size(0), d = X.size(1), T = p.size(), m = p.m;
  std::vector<torch::Tensor> blocks;
  for (std::int64_t t = 0; t < T; ++t)
    for (std::int64_t j = 0; j < m; ++j) {
      auto mask = p.D1.select(1, t).select(1, j) * p.D2.select(1, t) * p.signs[t][j];
      blocks.push_back(X * mask.unsqueeze(1));
    }
  auto A = torch::cat(blocks, 1);  // n × T·m·d, group t = columns [t·m·d, (t+1)·m·d)
  const double L = std::pow(torch::linalg_matrix_norm(A, 2).item<double>(), 2) / double(n);
  auto u = torch::zeros({T * m * d}, torch::kFloat64);
  auto F = [&](const torch::Tensor& v) {
    return 0.5 * (A.mv(v) - y).square().sum().item<double>() / double(n) +
           lambda * v.view({T, m * d}).norm(2, 1).sum().item<double>();
  };
  for (int k = 0; k < iters; ++k) {
    auto g = A.t().mv(A.mv(u) - y) / double(n);
    auto v = (u - g / L).view({T, m * d});
    auto nr = v.norm(2, 1, true);
    u = (v * torch::clamp_min(1 - (lambda / L) / torch::clamp_min(nr, 1e-300), 0)).reshape(-1);
  }
  return F(u);
}

/// Path-regularised objective of K parallel three-layer sub-networks (autograd; THEORY §10).
torch::Tensor path3_loss(const torch::Tensor& X, const torch::Tensor& y, const torch::Tensor& W1,
                         const torch::Tensor& w2, const torch::Tensor& w3, double lambda) {
  const auto K = W1.size(0), d = W1.size(1), m = W1.size(2);
  auto H1 = torch::relu(X.mm(W1.permute({1, 0, 2}).reshape({d, K * m})).view({X.size(0), K, m}));
  auto H2 = torch::relu((H1 * w2.unsqueeze(0)).sum(2));
  auto f = H2.mv(w3);
  auto path = (W1.square().sum(1) * w2.square()).sum(1).add(1e-300).sqrt() * w3.abs();
  return 0.5 * (f - y).square().mean() + lambda * path.sum();
}

solve_params path3_al_params(double lambda) {
  solve_params p;
  p.model = model_kind::relu;
  p.lambda = lambda;
  p.tol = 2e-3;
  p.al_violation_tol = 1e-7;
  p.al_max_outer = 60;
  p.max_iterations = 200000;
  p.al_inner_iterations = 3000;
  return p;
}

/// The tiny instance of both path3 (cone) tests, solved once: 5 points on a line, m = 2, λ = 0.01, every
/// tuple enumerated.
struct tiny_path3 {
  torch::Tensor X, y;
  double lambda = 0.01;
  path3_patterns pats;
  path3_solution sol;
  solve_stats st;
};
const tiny_path3& tiny_instance() {
  static const tiny_path3 inst = [] {
    tiny_path3 t;
    t.X = line_inputs(5, 7);
    t.y = line_targets(t.X);
    t.pats = enumerate_path3_patterns(t.X, 2);
    t.sol = solve_path3(t.X, t.y, t.pats, path3_al_params(t.lambda), &t.st);
    std::printf("path3 AL: %lld tuples, %lld steps, %lld rounds, objective %.9f, violation %.2e, kkt %.2e\n",
                (long long)t.pats.size(), (long long)t.st.iterations, (long long)t.st.outer_iterations,
                t.st.objective, t.st.violation, t.st.kkt);
    return t;
  }();
  return inst;
}

}  // namespace

TEST(Path3Patterns, SampledTuplesAreDistinctAndAmongTheEnumerated) {
  auto X = plane_inputs(6, 3);
  sample_stats ss;
  auto sp = sample_path3_patterns(X, {400, 2, 5}, &ss);
  EXPECT_EQ(ss.sampled, 400);
  EXPECT_EQ(sp.size(), ss.distinct);
  EXPECT_LT(ss.distinct, 400);  // 6 points: many draws repeat a tuple
  EXPECT_TRUE((sp.signs.select(1, 0) == 1).all().item<bool>());
  // D_2 is the second-layer pattern of the sampled gates (THEORY §10).
  auto Z = torch::einsum("nd,dtm->ntm", {X, sp.gates});
  auto h = (Z * sp.D1 * sp.signs.unsqueeze(0)).sum(2);
  EXPECT_TRUE(torch::equal(sp.D2, (h >= 0).to(sp.D2.scalar_type())));
  auto ep = enumerate_path3_patterns(X, 2);
  auto all = tuple_keys(ep);
  EXPECT_EQ(all.size(), static_cast<std::size_t>(ep.size()));  // distinct
  // A sampled tuple's D_2 may differ from the enumeration's canonical one only where it is dominated: on rows
  // where only + units are active, h ≥ 0 and the sampled D_2 = 1 = canonical; only − units: h < 0
  // generically.
  std::int64_t found = 0;
  for (const auto& k : tuple_keys(sp)) found += all.count(k);
  EXPECT_EQ(found, static_cast<std::int64_t>(tuple_keys(sp).size()));
}

TEST(Path3Gated, FistaAgreesWithIndependentIstaAndReachesKkt) {
  auto X = plane_inputs(24, 4);
  auto y = torch::sin(2 * X.select(1, 0)) * X.select(1, 1);
  auto pats = sample_path3_patterns(X, {30, 2, 1});
  solve_params p;
  p.lambda = 0.01;
  p.tol = 1e-7;
  p.max_iterations = 100000;
  solve_stats st;
  auto sol = solve_path3(X, y, pats, p, &st);
  EXPECT_TRUE(st.converged);
  EXPECT_LE(st.kkt, 1e-6 * p.lambda * 10);
  EXPECT_GE(st.gap, -1e-12);
  EXPECT_LE(st.gap, 1e-6 * st.objective);
  auto parts = path3_objective(sol, X, y);
  EXPECT_NEAR(parts.objective, st.objective, 1e-12);
  const double ref = ista_gated3(X, y, pats, p.lambda, 60000);
  EXPECT_NEAR(st.objective, ref, 1e-6 * ref) << "FISTA " << st.objective << " ISTA " << ref;
  // Without the working set the same optimum.
  p.working_set = false;
  solve_stats st2;
  solve_path3(X, y, pats, p, &st2);
  EXPECT_NEAR(st2.objective, st.objective, 1e-7 * st.objective);
}

TEST(Path3Gated, VectorOutputsAndLogisticLossReachKkt) {
  auto X = plane_inputs(30, 5);
  auto Y = torch::stack({X.select(1, 0).abs(), torch::sin(X.select(1, 1))}, 1);
  auto pats = sample_path3_patterns(X, {40, 3, 2});
  solve_params p;
  p.lambda = 0.005;
  p.tol = 1e-6;
  solve_stats st;
  auto sol = solve_path3(X, Y, pats, p, &st);
  EXPECT_TRUE(st.converged);
  EXPECT_EQ(sol.W.size(3), 2);
  EXPECT_EQ(predict_path3_train(sol, X).size(1), 2);
  auto net = recover_path3(sol);
  EXPECT_EQ(net.forward(X).size(1), 2);
  // SVD split: the recovered path penalty is the sum of singular values ≥ the Frobenius group norms.
  EXPECT_GE(p.lambda * net.path_penalty(), st.penalty * (1 - 1e-9));

  auto yl = torch::where(X.select(1, 0) * X.select(1, 1) > 0, 1.0, -1.0).to(torch::kFloat64);
  p.loss = loss_kind::logistic;
  p.lambda = 0.002;
  solve_stats sl;
  solve_path3(X, yl, pats, p, &sl);
  EXPECT_TRUE(sl.converged);
  EXPECT_LE(sl.kkt, 1e-6 * p.lambda);
}

TEST(Path3Gated, MetricKeepsTheOptimum) {
  // gated3 groups are m mask columns: the low-rank metric (docs/convex.md) then lives on every column and the
  // prox's group norm spans a group's m columns and c outputs. Same optimum as the plain step (1e-8) for one
  // output, two outputs and logistic loss, with metrics built; the plain step builds none.
  auto X = plane_inputs(30, 6);
  auto t = torch::sin(2 * X.select(1, 0)) * X.select(1, 1);
  auto Y = torch::stack({X.select(1, 0).abs(), torch::sin(X.select(1, 1))}, 1);
  auto yl = torch::where(X.select(1, 0) * X.select(1, 1) > 0, 1.0, -1.0).to(torch::kFloat64);
  auto pats = sample_path3_patterns(X, {30, 2, 3});
  solve_params p;
  p.lambda = 0.005;
  p.tol = 1e-9;
  p.max_iterations = 100000;
  for (int variant = 0; variant < 3; ++variant) {
    p.loss = variant == 2 ? loss_kind::logistic : loss_kind::squared;
    const auto& target = variant == 0 ? t : variant == 1 ? Y : yl;
    solve_stats a, b;
    p.metric_rank = 6;
    solve_path3(X, target, pats, p, &a);
    p.metric_rank = 0;
    solve_path3(X, target, pats, p, &b);
    EXPECT_TRUE(a.converged) << variant;
    EXPECT_TRUE(b.converged) << variant;
    EXPECT_GT(a.metric_builds, 0) << variant;
    EXPECT_EQ(b.metric_builds, 0) << variant;
    EXPECT_NEAR(a.objective, b.objective, 1e-8 * b.objective) << variant;
  }
}

TEST(Path3Relu, RecoveredNetworkObjectiveEqualsConvexObjective) {
  const auto& t = tiny_instance();
  EXPECT_TRUE(t.st.converged);
  EXPECT_LE(t.st.violation, 1e-6);
  auto net = recover_path3(t.sol);
  EXPECT_GT(net.size(), 0);
  EXPECT_NEAR(net.objective(t.X, t.y, t.lambda), t.st.objective, 1e-5 * t.st.objective);
  // Outputs agree pointwise with the convex model (the cones make every pattern the ReLU pattern).
  EXPECT_LE((net.forward(t.X) - predict_path3_train(t.sol, t.X)).abs().max().item<double>(), 1e-5);
  EXPECT_NEAR(t.lambda * net.path_penalty(), t.st.penalty, 1e-9);
  // KKT residual of the last inner problem below its tolerance (tol · λ).
  EXPECT_LE(t.st.kkt, 2e-3 * t.lambda);
}

TEST(Path3Relu, NonConvexTrainingNeverBeatsTheConvexOptimum) {
  // THEORY §10 check: with every tuple enumerated the convex optimum is the global minimum of the
  // path-regularised objective over K parallel sub-networks of width m, for any K.
  const auto& t = tiny_instance();
  const std::int64_t m = 2, K = 8;
  auto net = recover_path3(t.sol);
  const double convex_opt = net.objective(t.X, t.y, t.lambda);
  ASSERT_LE(std::abs(convex_opt - t.st.objective), 1e-5 * convex_opt);
  double best = INFINITY;
  for (int seed = 0; seed < 10; ++seed) {
    torch::manual_seed(200 + seed);
    auto W1 = (torch::randn({K, 2, m}, torch::kFloat64) * 0.7).requires_grad_(true);
    auto w2 = (torch::randn({K, m}, torch::kFloat64) * 0.7).requires_grad_(true);
    auto w3 = (torch::randn({K}, torch::kFloat64) * 0.7).requires_grad_(true);
    torch::optim::Adam opt({W1, w2, w3}, torch::optim::AdamOptions(1e-2));
    for (int step = 0; step < 2000; ++step) {
      if (step == 1400)
        for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(2e-3);
      opt.zero_grad();
      auto loss = path3_loss(t.X, t.y, W1, w2, w3, t.lambda);
      loss.backward();
      opt.step();
    }
    path3_network trained{W1.detach(), w2.detach(), {}, w3.detach().unsqueeze(1)};
    const double obj = trained.objective(t.X, t.y, t.lambda);
    EXPECT_GE(obj, convex_opt - 1e-4 * convex_opt) << "seed " << seed << " beat the convex optimum";
    best = std::min(best, obj);
  }
  std::printf("path3: convex optimum %.8f, best of 10 Adam runs %.8f\n", convex_opt, best);
  EXPECT_LE(best, convex_opt * 1.05) << "best non-convex run " << best << " vs convex " << convex_opt;
}

TEST(Path3Network, SaveLoadRoundTripAndBadFiles) {
  auto X = plane_inputs(20, 8);
  auto y = X.select(1, 0).abs();
  auto pats = sample_path3_patterns(X, {20, 2, 3});
  solve_params p;
  p.lambda = 0.01;
  auto sol = solve_path3(X, y, pats, p);
  auto net = recover_path3(sol);
  auto dir = std::filesystem::temp_directory_path() / ("occam_path3_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto file = (dir / "net.path3").string();
  save_path3_network(net, file);
  auto back = load_path3_network(file);
  EXPECT_EQ(back.size(), net.size());
  EXPECT_TRUE(torch::equal(back.forward(X), net.forward(X)));
  {
    std::ofstream bad(file);
    bad << "occam-path3 1\n1 3 2 1\n1 2 3 4 5 6\n0 0\n1 x\n1\n";
  }
  EXPECT_THROW(load_path3_network(file), input_error);
  {
    std::ofstream bad(file);
    bad << "hello\n";
  }
  EXPECT_THROW(load_path3_network(file), input_error);
  occam::remove_tree(dir);
}

TEST(Path3Device, CudaMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  // float64 on both devices: in float32 neither run reaches tol = 1e-6 (both stop at the step cap, at
  // different points), and only converged objectives are comparable.
  auto X = plane_inputs(30, 9);
  auto y = X.select(1, 0).abs();
  auto pats = sample_path3_patterns(X, {20, 2, 1});
  solve_params p;
  p.lambda = 0.01;
  p.tol = 1e-6;
  p.max_iterations = 100000;
  solve_stats a, b;
  solve_path3(X, y, pats, p, &a);
  ASSERT_TRUE(a.converged);
  path3_patterns pc = pats;
  pc.signs = pats.signs.cuda();
  pc.D1 = pats.D1.cuda();
  pc.D2 = pats.D2.cuda();
  pc.gates = pats.gates.cuda();
  auto sol = solve_path3(X.cuda(), y.cuda(), pc, p, &b);
  EXPECT_TRUE(sol.W.is_cuda());
  EXPECT_TRUE(b.converged);
  EXPECT_NEAR(a.objective, b.objective, 1e-4 * a.objective)
      << "cpu: " << a.iterations << " steps, " << a.outer_iterations << " rounds, violation " << a.violation
      << ", converged " << a.converged << "; cuda: " << b.iterations << " steps, " << b.outer_iterations
      << " rounds, violation " << b.violation << ", converged " << b.converged;
  EXPECT_EQ(recover_path3(sol).forward(X.cuda()).device().type(), torch::kCUDA);
}
