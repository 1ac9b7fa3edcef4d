// Tests of the two-layer convex programs (THEORY §10): patterns, solvers (KKT, duality gap, an independent
// proximal-gradient solver), recovery (recovered objective = convex objective), and the global-optimality
// check against non-convex training from 20 random starts.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>
#include <string>
#include <vector>

#include "occam/convex/convex.hpp"
#include "occam/convex/metric.hpp"
#include "occam/nn/resnet.hpp"

using namespace occam;
using namespace occam::convex;

namespace {

/// Tiny data: n points in R^2 plus a constant column (the bias, added by the caller per THEORY §10).
torch::Tensor tiny_inputs(std::int64_t n, std::uint64_t seed) {
  torch::manual_seed(seed);
  auto X = torch::randn({n, 2}, torch::kFloat64);
  return torch::cat({X, torch::ones({n, 1}, torch::kFloat64)}, 1);
}

torch::Tensor tiny_targets(const torch::Tensor& X) {
  auto x0 = X.select(1, 0), x1 = X.select(1, 1);
  return torch::sin(2 * x0) + x1.abs() - 0.5;
}

std::set<std::string> column_keys(const torch::Tensor& masks) {
  auto m = masks.to(torch::kUInt8).t().contiguous();
  std::set<std::string> keys;
  for (std::int64_t i = 0; i < m.size(0); ++i)
    keys.insert(std::string(reinterpret_cast<const char*>(m[i].data_ptr<std::uint8_t>()), m.size(1)));
  return keys;
}

/// Plain proximal gradient (ISTA) on the gated program with the exact Lipschitz constant of the explicitly
/// formed operator A = [D_1 X, …, D_P X] — independent of the FISTA code path (no restarts, no working set).
double ista_gated(const torch::Tensor& X, const torch::Tensor& y, const torch::Tensor& D, double lambda,
                  int iterations) {
  const auto n = X.size(0), d = X.size(1), P = D.size(1);
  std::vector<torch::Tensor> blocks;
  for (std::int64_t i = 0; i < P; ++i) blocks.push_back(D.select(1, i).unsqueeze(1) * X);
  auto A = torch::cat(blocks, 1);  // n × dP
  const double L = std::pow(torch::linalg_matrix_norm(A, 2).item<double>(), 2) / double(n);
  auto u = torch::zeros({d * P}, torch::kFloat64);
  for (int k = 0; k < iterations; ++k) {
    auto g = A.t().mv(A.mv(u) - y) / double(n);
    auto v = (u - g / L).view({P, d});
    auto nr = v.norm(2, 1, true);
    u = (v * torch::clamp_min(1 - (lambda / L) / torch::clamp_min(nr, 1e-300), 0)).reshape(-1);
  }
  auto r = A.mv(u) - y;
  return 0.5 * r.square().sum().item<double>() / double(n) +
         lambda * u.view({P, d}).norm(2, 1).sum().item<double>();
}

}  // namespace

TEST(ConvexPatterns, EnumerationContainsEverySampledPattern) {
  auto X = tiny_inputs(9, 1);
  auto all = enumerate_patterns(X);
  auto keys = column_keys(all.masks);
  // Distinct patterns only, and consistent with their own gates.
  EXPECT_EQ(keys.size(), static_cast<std::size_t>(all.size()));
  EXPECT_TRUE(torch::equal((X.mm(all.gates) >= 0).to(torch::kFloat64), all.masks));
  sample_stats st;
  auto sampled = sample_patterns(X, {20000, 3, true}, &st);
  EXPECT_EQ(st.sampled, 20000);
  EXPECT_EQ(st.distinct, sampled.size());
  for (const auto& k : column_keys(sampled.masks))
    EXPECT_TRUE(keys.count(k)) << "sampled pattern not enumerated";
  // n planes in general position through the origin of R^3 cut it into 2·Σ_{k<3} C(n−1, k) chambers
  // (n = 9: 2·(1 + 8 + 28) = 74): enumeration finds all of them; sampling, even 20,000 draws, misses small
  // ones.
  EXPECT_EQ(all.size(), 2 * (1 + 8 + 28));
  EXPECT_LE(st.distinct, all.size());
}

TEST(ConvexPatterns, GatesStrictVersusNonStrict) {
  auto X = torch::tensor({{1.0, 0.0}, {0.0, 1.0}, {-1.0, 0.0}}, torch::kFloat64);
  auto G = torch::tensor({{0.0}, {1.0}}, torch::kFloat64);
  auto strict = patterns_from_gates(X, G, true);
  auto loose = patterns_from_gates(X, G, false);
  EXPECT_TRUE(torch::equal(strict.masks.view(-1), torch::tensor({0.0, 1.0, 0.0}, torch::kFloat64)));
  EXPECT_TRUE(torch::equal(loose.masks.view(-1), torch::tensor({1.0, 1.0, 1.0}, torch::kFloat64)));
}

TEST(ConvexGated, KktGapAndIndependentSolverAgree) {
  auto X = tiny_inputs(12, 2);
  auto y = tiny_targets(X);
  auto pats = sample_patterns(X, {12, 5, true});
  solve_params p;
  p.lambda = 0.01;
  p.tol = 1e-9;
  p.check_every = 5;
  solve_stats st;
  auto sol = solve_two_layer(X, y, pats, p, &st);
  EXPECT_TRUE(st.converged);
  EXPECT_LE(st.kkt, 1e-8);
  EXPECT_GE(st.gap, -1e-12);
  EXPECT_LE(st.gap, 1e-8);
  double ista = ista_gated(X, y, pats.masks, p.lambda, 60000);
  EXPECT_NEAR(st.objective, ista, 1e-7);
  auto parts = convex_objective(sol, X, y);
  EXPECT_NEAR(parts.objective, st.objective, 1e-12);
}

TEST(ConvexGated, ConvergenceLogCountsProducts) {
  // log_record::products (full-width-equivalent products with X so far): without a working set, Newton,
  // Anderson or the metric, each step is one adjoint and one forward product (plus one per backtrack) and
  // each full check one adjoint; the first interval also holds the working set's first forward product.
  auto X = tiny_inputs(15, 4);
  auto y = tiny_targets(X);
  auto pats = sample_patterns(X, {30, 6, true});
  solve_params p;
  p.lambda = 0.02;
  p.tol = 1e-8;
  p.working_set = false;
  p.newton = false;
  p.metric_rank = 0;
  p.check_every = 7;
  std::vector<log_record> log;
  p.on_log = [&](const log_record& r) { log.push_back(r); };
  solve_stats st;
  solve_two_layer(X, y, pats, p, &st);
  ASSERT_GE(log.size(), 3u);
  EXPECT_DOUBLE_EQ(log.front().products,
                   9.0);  // the first step size's 4 power iterations, the check's adjoint
  for (std::size_t k = 1; k < log.size(); ++k) {
    const double steps = double(log[k].iteration - log[k - 1].iteration);
    const double delta = log[k].products - log[k - 1].products;
    EXPECT_GE(delta, 2 * steps + 1) << "check " << k;
    EXPECT_LE(delta, 2 * steps + 2 + double(st.backtracks)) << "check " << k;
  }
  EXPECT_LE(log.back().products, st.columns);
}

TEST(ConvexGated, WorkingSetDoesNotChangeTheOptimum) {
  auto X = tiny_inputs(15, 4);
  auto y = tiny_targets(X);
  auto pats = sample_patterns(X, {30, 6, true});
  solve_params p;
  p.lambda = 0.02;
  p.tol = 1e-10;
  solve_stats a, b;
  solve_two_layer(X, y, pats, p, &a);
  p.working_set = false;
  solve_two_layer(X, y, pats, p, &b);
  EXPECT_NEAR(a.objective, b.objective, 1e-9);
  EXPECT_EQ(a.active, b.active);
}

TEST(ConvexGated, LogisticAndVectorOutputsReachKkt) {
  auto X = tiny_inputs(16, 5);
  auto t = tiny_targets(X);
  auto pats = sample_patterns(X, {10, 7, true});
  solve_params p;
  p.lambda = 0.005;
  p.tol = 1e-7;
  p.loss = loss_kind::logistic;
  solve_stats st;
  solve_two_layer(X, torch::where(t > 0, torch::ones_like(t), -torch::ones_like(t)), pats, p, &st);
  EXPECT_TRUE(st.converged);
  EXPECT_LE(st.kkt, 1e-7 * p.lambda);
  p.loss = loss_kind::squared;
  auto Y = torch::stack({t, -0.5 * t + 0.1}, 1);
  solve_stats sv;
  auto sol = solve_two_layer(X, Y, pats, p, &sv);
  EXPECT_TRUE(sv.converged);
  EXPECT_EQ(sol.U.size(2), 2);
  EXPECT_EQ(predict_train(sol, X).size(1), 2);
}

/// The augmented Lagrangian on the tiny enumerated ReLU problems, converged to violation 1e-7.
static solve_params tiny_relu_al_params() {
  solve_params p;
  p.model = model_kind::relu;
  p.lambda = 0.01;
  p.tol = 2e-3;
  p.al_violation_tol = 1e-7;
  p.al_max_outer = 60;
  p.max_iterations = 200000;
  p.al_inner_iterations = 3000;
  return p;
}

TEST(ConvexRelu, RecoveredNetworkObjectiveEqualsConvexObjective) {
  auto X = tiny_inputs(10, 7);
  auto y = tiny_targets(X);
  auto pats = enumerate_patterns(X);
  auto p = tiny_relu_al_params();
  solve_stats st;
  auto sol = solve_two_layer(X, y, pats, p, &st);
  std::printf("AL: %lld steps, %lld rounds, objective %.9f, violation %.2e, kkt %.2e, converged %d\n",
              (long long)st.iterations, (long long)st.outer_iterations, st.objective, st.violation, st.kkt,
              int(st.converged));
  EXPECT_LE(st.violation, 1e-6);
  auto net = recover_network(sol);
  double net_obj = net.objective(X, y, p.lambda);
  EXPECT_NEAR(net_obj, st.objective, 1e-5 * st.objective);
  // The ResNet form (THEORY §1, depth 1) computes the same function.
  auto m = to_resnet(net);
  auto out = m.forward(X.to(torch::kFloat32)).to(torch::kFloat64);
  EXPECT_LE((out - net.forward(X)).abs().max().item<double>(), 1e-4);
  EXPECT_EQ(m.shape.width, 3 + 1);
}

TEST(ConvexRelu, AdmmAgreesWithAugmentedLagrangian) {
  // Two independent algorithms for the cone-constrained program (THEORY §10) reach the same optimum; the ADMM
  // solution is feasible and recovers to a network with the same objective.
  auto X = tiny_inputs(10, 7);
  auto y = tiny_targets(X);
  auto pats = enumerate_patterns(X);
  auto p = tiny_relu_al_params();
  solve_stats al;
  solve_two_layer(X, y, pats, p, &al);
  solve_params q = p;
  q.solver = solver_kind::admm;
  q.tol = 5e-6;  // relative primal and dual residuals
  q.al_violation_tol = 1e-7;
  q.max_iterations = 100000;
  solve_stats st;
  auto sol = solve_two_layer(X, y, pats, q, &st);
  std::printf("AL %.9f (violation %.2e); ADMM %.9f (violation %.2e) in %lld iterations, %lld CG steps\n",
              al.objective, al.violation, st.objective, st.violation, (long long)st.iterations,
              (long long)st.cg_iterations);
  EXPECT_TRUE(st.converged);
  EXPECT_LE(st.violation, 1e-6);
  EXPECT_NEAR(st.objective, al.objective, 2e-4 * al.objective);
  auto net = recover_network(sol);
  EXPECT_NEAR(net.objective(X, y, q.lambda), st.objective, 1e-5 * st.objective);
}

TEST(ConvexRelu, NonConvexTrainingNeverBeatsTheConvexOptimum) {
  // THEORY §10 check: with every pattern enumerated the convex optimum is the global minimum of
  // 1/(2n)‖f(X) − y‖² + (λ/2)(‖W1‖² + ‖W2‖²) over two-layer ReLU networks of any width ≥ the recovered one.
  auto X = tiny_inputs(8, 11);
  auto y = tiny_targets(X);
  const double lambda = 0.02;
  auto pats = enumerate_patterns(X);
  solve_params p;
  p.model = model_kind::relu;
  p.lambda = lambda;
  p.tol = 2e-3;
  p.al_violation_tol = 1e-7;
  p.al_max_outer = 60;
  p.max_iterations = 200000;
  p.al_inner_iterations = 3000;
  solve_stats st;
  auto sol = solve_two_layer(X, y, pats, p, &st);
  auto net = recover_network(sol);
  const double convex_opt = net.objective(X, y, lambda);
  ASSERT_LE(std::abs(convex_opt - st.objective), 1e-5);
  const std::int64_t width = 2 * pats.size();
  double best = INFINITY;
  for (int seed = 0; seed < 20; ++seed) {
    torch::manual_seed(100 + seed);
    auto W1 = (torch::randn({width, 3}, torch::kFloat64) * 0.5).requires_grad_(true);
    auto W2 = (torch::randn({1, width}, torch::kFloat64) * 0.5).requires_grad_(true);
    torch::optim::Adam opt({W1, W2}, torch::optim::AdamOptions(1e-2));
    for (int step = 0; step < 4000; ++step) {
      if (step == 2500)
        for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(2e-3);
      opt.zero_grad();
      auto f = torch::relu(X.mm(W1.t())).mm(W2.t()).view(-1);
      auto loss = 0.5 * (f - y).square().mean() + 0.5 * lambda * (W1.square().sum() + W2.square().sum());
      loss.backward();
      opt.step();
    }
    two_layer_network trained{W1.detach(), W2.detach()};
    double obj = trained.objective(X, y, lambda);
    EXPECT_GE(obj, convex_opt - 1e-6) << "seed " << seed << " beat the convex optimum";
    best = std::min(best, obj);
  }
  EXPECT_LE(best, convex_opt * 1.02) << "best non-convex run " << best << " vs convex " << convex_opt;
}

TEST(ConvexGated, NewtonCgAgreesWithFistaAndIndependentSolver) {
  // The Newton–CG refinement (docs/convex.md) only accepts steps that lower F, so the optimum is FISTA's
  // (itself checked against an independent ISTA above): same objective to 1e-9 here, KKT residual below
  // tolerance, and Newton steps actually taken.
  auto X = tiny_inputs(14, 12);
  auto y = tiny_targets(X);
  auto pats = sample_patterns(X, {14, 8, true});
  solve_params p;
  p.lambda = 0.01;
  p.tol = 1e-10;
  p.check_every = 5;
  p.newton = true;
  p.newton_support_change = 0;  // exactly settled supports only
  solve_stats with_newton, without;
  auto sol = solve_two_layer(X, y, pats, p, &with_newton);
  EXPECT_TRUE(with_newton.converged);
  EXPECT_GT(with_newton.newton_steps, 0);
  EXPECT_GT(with_newton.cg_iterations, 0);
  // The stop is "KKT residual ≤ tol·λ or relative duality gap ≤ tol" (squared loss may stop on the gap
  // first); either way the residual is tiny.
  EXPECT_TRUE(with_newton.kkt <= 1e-10 * p.lambda ||
              with_newton.gap <= 1e-10 * std::abs(with_newton.objective))
      << with_newton.kkt << " " << with_newton.gap;
  EXPECT_LE(with_newton.kkt, 1e-8 * p.lambda);
  p.newton = false;
  solve_two_layer(X, y, pats, p, &without);
  EXPECT_EQ(without.newton_steps, 0);
  EXPECT_NEAR(with_newton.objective, without.objective, 1e-9);
  EXPECT_NEAR(convex_objective(sol, X, y).objective, with_newton.objective, 1e-12);
  // Newton on a settled support needs fewer FISTA steps than FISTA alone (second-order convergence).
  EXPECT_LT(with_newton.iterations, without.iterations);
}

TEST(ConvexGated, NewtonCgLogisticAndVectorOutputs) {
  // The curvature of the logistic loss (σ(1 − σ)/n per row) and of vector outputs enter the CG operator.
  auto X = tiny_inputs(16, 13);
  auto t = tiny_targets(X);
  auto pats = sample_patterns(X, {10, 9, true});
  solve_params p;
  p.lambda = 0.005;
  p.tol = 1e-9;
  p.check_every = 5;
  p.newton_support_change = 0;
  auto ypm = torch::where(t > 0, torch::ones_like(t), -torch::ones_like(t));
  auto Y = torch::stack({t, -0.5 * t + 0.1}, 1);
  for (int vector = 0; vector < 2; ++vector) {
    p.loss = vector ? loss_kind::squared : loss_kind::logistic;
    const auto& target = vector ? Y : ypm;
    solve_stats a, b;
    p.newton = true;
    solve_two_layer(X, target, pats, p, &a);
    p.newton = false;
    solve_two_layer(X, target, pats, p, &b);
    EXPECT_TRUE(a.converged) << vector;
    EXPECT_GT(a.newton_steps, 0) << vector;
    EXPECT_LE(a.kkt, 1e-8 * p.lambda) << vector;  // squared loss may stop on the gap first
    EXPECT_NEAR(a.objective, b.objective, 1e-9) << vector;
  }
}

TEST(ConvexGated, AndersonExtrapolationKeepsTheOptimum) {
  // Anderson extrapolation only replaces the iterate when it lowers F (its product X U is the same
  // combination of stored ones), so proximal-gradient steps with it, with or without Newton–CG, reach plain
  // FISTA's optimum with KKT residual below tolerance, and extrapolations are actually taken.
  auto X = tiny_inputs(16, 21);
  auto y = tiny_targets(X);
  auto pats = sample_patterns(X, {16, 10, true});
  solve_params p;
  p.lambda = 0.01;
  p.tol = 1e-10;
  p.check_every = 5;
  solve_stats ref;
  solve_two_layer(X, y, pats, p, &ref);
  ASSERT_TRUE(ref.converged);
  EXPECT_EQ(ref.anderson_accepted + ref.anderson_rejected, 0);
  for (int newton = 0; newton < 2; ++newton) {
    p.anderson = 4;
    p.newton = newton != 0;
    solve_stats a;
    auto sol = solve_two_layer(X, y, pats, p, &a);
    EXPECT_TRUE(a.converged) << newton;
    EXPECT_LE(a.kkt, 1e-8 * p.lambda) << newton;  // squared loss may stop on the gap (1e-10) first
    EXPECT_NEAR(a.objective, ref.objective, 1e-9) << newton;
    EXPECT_EQ(a.active, ref.active) << newton;
    EXPECT_GT(a.anderson_accepted, 0) << newton;
    EXPECT_EQ(a.restarts, 0) << newton;  // no momentum to restart
    EXPECT_NEAR(convex_objective(sol, X, y).objective, a.objective, 1e-12) << newton;
  }
}

TEST(ConvexGated, CappedWorkingSetDoesNotChangeTheOptimum) {
  // A working set capped at max(2, 1.5 × non-zero groups) admits KKT violators a few at a time; the full
  // check still sees every group, so the optimum is the uncapped one.
  auto X = tiny_inputs(15, 4);
  auto y = tiny_targets(X);
  auto pats = sample_patterns(X, {30, 6, true});
  solve_params p;
  p.lambda = 0.02;
  p.tol = 1e-10;
  p.working_set_min = 2;
  p.working_set_growth = 1.5;
  p.working_set_inner = 0.3;
  solve_stats a, b;
  solve_two_layer(X, y, pats, p, &a);
  p.working_set = false;
  solve_two_layer(X, y, pats, p, &b);
  EXPECT_TRUE(a.converged);
  EXPECT_NEAR(a.objective, b.objective, 1e-9);
  EXPECT_EQ(a.active, b.active);
}

namespace {

/// Data whose Hessian has one outlying eigenvalue: every feature shares a common factor (like the mean image
/// of Fashion-MNIST), plus a constant column.
torch::Tensor correlated_inputs(std::int64_t n, std::int64_t d, std::uint64_t seed) {
  torch::manual_seed(seed);
  auto common = torch::randn({n, 1}, torch::kFloat64);
  auto X = common + 0.3 * torch::randn({n, d - 1}, torch::kFloat64);
  return torch::cat({X, torch::ones({n, 1}, torch::kFloat64)}, 1);
}

/// The gated operator A = [D_1 X, …, D_k X] formed explicitly (n × d·k, columns ordered as U.reshape(d·k)).
torch::Tensor explicit_operator(const torch::Tensor& X, const torch::Tensor& D) {
  const auto n = X.size(0), d = X.size(1), k = D.size(1);
  return (X.unsqueeze(2) * D.unsqueeze(1)).reshape({n, d * k});  // column dd·k + i = D_i X[:, dd]
}

}  // namespace

TEST(ConvexMetric, RitzDirectionsAreOrthonormalWithExactCurvatures) {
  // The metric's directions V are built without products with X; their curvatures θ_j must nevertheless be
  // the true Rayleigh quotients ‖A v_j‖²/n of the Hessian (A formed explicitly here), V orthonormal, and θ
  // bounded by λ_max(AᵀA/n) (Cauchy interlacing) while capturing most of it.
  auto X = correlated_inputs(40, 6, 31);
  auto pats = sample_patterns(X, {12, 3, true});
  const auto n = X.size(0), k = pats.size();
  auto pd = convex::detail::top_principal_directions(X, 4);
  EXPECT_TRUE(torch::allclose(pd.Q.t().mm(pd.Q), torch::eye(4, torch::kFloat64), 0, 1e-12));
  convex::detail::metric_params mp;
  mp.rank = 5;
  mp.block = 3;
  auto m = convex::detail::build_low_rank_metric(pd, pats.masks, mp);
  ASSERT_TRUE(m.active());
  ASSERT_EQ(m.V.size(1), 5);
  EXPECT_TRUE(torch::allclose(m.V.t().mm(m.V), torch::eye(5, torch::kFloat64), 0, 1e-10));
  auto A = explicit_operator(X, pats.masks);
  auto ritz = (A.mm(m.V).square().sum(0) / double(n));
  EXPECT_TRUE(torch::allclose(ritz, m.theta, 1e-9, 1e-12)) << ritz << m.theta;
  const double lmax = std::pow(torch::linalg_matrix_norm(A, 2).item<double>(), 2) / double(n);
  EXPECT_LE(m.theta_top, lmax * (1 + 1e-12));
  EXPECT_GE(m.theta_top, 0.99 * lmax);
  EXPECT_NEAR(m.theta_top, m.theta[0].item<double>(), 1e-12);
  EXPECT_LE(m.theta_next, m.theta[4].item<double>() + 1e-15);
  (void)k;
}

TEST(ConvexMetric, ProxMatchesBruteForceInTheExplicitMetric) {
  // B = σ(I − VVᵀ) + V diag(max(θ, σ))Vᵀ formed as a dense matrix; the metric's norm, inverse and proximal
  // step (semismooth Newton on an r×c system) against it: the prox against 20,000 proximal-gradient steps
  // on λ Σ‖w_i‖ + ½(w − x)ᵀB(w − x), for one and two outputs.
  auto X = correlated_inputs(30, 4, 32);
  auto pats = sample_patterns(X, {8, 4, true});
  const auto d = X.size(1), k = pats.size();
  auto pd = convex::detail::top_principal_directions(X, 3);
  convex::detail::metric_params mp;
  mp.rank = 3;
  auto m = convex::detail::build_low_rank_metric(pd, pats.masks, mp);
  ASSERT_TRUE(m.active());
  const double sigma = 0.2 * m.theta_top;  // some of θ below σ: those directions use σ
  auto th = torch::clamp_min(m.theta, sigma);
  auto B = sigma * (torch::eye(d * k, torch::kFloat64) - m.V.mm(m.V.t())) + m.V.mm(th.diag()).mm(m.V.t());
  const double lambda = sigma;
  const double bmax = th.max().item<double>();
  for (std::int64_t c : {1, 2}) {
    torch::manual_seed(40 + c);
    // Group sizes from 0.05 to 2: the threshold zeroes the small groups and shrinks the large ones.
    auto x = torch::randn({d, k, c}, torch::kFloat64) *
             torch::linspace(0.05, 2, k, torch::kFloat64).view({1, k, 1});
    auto delta = torch::randn({d, k, c}, torch::kFloat64);
    auto df = delta.reshape({d * k, c});
    EXPECT_NEAR(m.norm2(delta, sigma), (df * B.mm(df)).sum().item<double>(), 1e-10);
    auto back = m.inverse_apply(B.mm(df).view({d, k, c}), sigma);
    EXPECT_TRUE(torch::allclose(back, delta, 1e-10, 1e-10));
    auto w = m.prox(x, lambda, sigma);
    auto v = torch::zeros_like(x);
    for (int it = 0; it < 20000; ++it) {
      auto g = B.mm((v - x).reshape({d * k, c})).view({d, k, c});
      auto z = v - g / bmax;
      auto nz = z.square().sum(std::vector<int64_t>{0, 2}).sqrt();
      v = z * torch::clamp_min(1 - (lambda / bmax) / torch::clamp_min(nz, 1e-300), 0).view({1, k, 1});
    }
    EXPECT_LE((w - v).abs().max().item<double>(), 1e-9) << "c = " << c;
    // Some groups are exactly zero and some are not (the prox is not trivially identity or zero).
    auto nw = w.square().sum(std::vector<int64_t>{0, 2});
    EXPECT_GT((nw == 0).sum().item<std::int64_t>(), 0) << "c = " << c;
    EXPECT_GT((nw > 0).sum().item<std::int64_t>(), 0) << "c = " << c;
  }
}

TEST(ConvexGated, MetricKeepsTheOptimumAndSavesSteps) {
  // FISTA in the low-rank metric is a different algorithm on the same program: squared loss with one and two
  // outputs and logistic loss reach the plain-step optimum, with metrics built; on data with a dominant
  // common factor (one outlying Hessian eigenvalue) it needs fewer steps.
  auto X = correlated_inputs(60, 5, 33);
  auto t = tiny_targets(X);
  auto pats = sample_patterns(X, {40, 11, true});
  auto ypm = torch::where(t > 0, torch::ones_like(t), -torch::ones_like(t));
  auto Y = torch::stack({t, -0.5 * t + 0.1}, 1);
  solve_params p;
  p.lambda = 0.005;
  p.tol = 1e-9;
  p.check_every = 5;
  p.newton = false;
  for (int variant = 0; variant < 3; ++variant) {
    p.loss = variant == 2 ? loss_kind::logistic : loss_kind::squared;
    const auto& target = variant == 0 ? t : variant == 1 ? Y : ypm;
    solve_stats a, b;
    p.metric_rank = 4;
    auto sol = solve_two_layer(X, target, pats, p, &a);
    p.metric_rank = 0;
    solve_two_layer(X, target, pats, p, &b);
    EXPECT_TRUE(a.converged) << variant;
    EXPECT_TRUE(b.converged) << variant;
    EXPECT_GT(a.metric_builds, 0) << variant;
    EXPECT_EQ(b.metric_builds, 0) << variant;
    EXPECT_NEAR(a.objective, b.objective, 1e-8) << variant;
    EXPECT_NEAR(convex_objective(sol, X, target).objective, a.objective, 1e-12) << variant;
    if (variant == 0) {
      EXPECT_GT(a.metric_newton, 0);
      EXPECT_LT(a.iterations, b.iterations);
    }
  }
}

TEST(ConvexDevice, CudaMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto X = tiny_inputs(20, 9).to(torch::kFloat32);
  auto y = tiny_targets(X);
  auto pats = sample_patterns(X, {16, 1, true});
  solve_params p;
  p.lambda = 0.01;
  p.tol = 1e-6;
  solve_stats a, b;
  solve_two_layer(X, y, pats, p, &a);
  pattern_set pc{pats.gates.cuda(), pats.masks.cuda()};
  auto sol = solve_two_layer(X.cuda(), y.cuda(), pc, p, &b);
  EXPECT_TRUE(sol.U.is_cuda());
  EXPECT_NEAR(a.objective, b.objective, 1e-5);
}
