// Optimality certificates and column generation for the gated two-layer program (certify.hpp, THEORY §10):
// on tiny data the certified optimum equals the optimum over every enumerated pattern.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "occam/convex/certify.hpp"
#include "occam/convex/convex.hpp"

namespace cx = occam::convex;

namespace {
struct tiny {
  torch::Tensor X, y;
};
/// 12 points in the plane with a bias column (general position), targets a non-linear function.
tiny make_tiny() {
  const int n = 12;
  auto X = torch::empty({n, 3}, torch::kFloat64);
  auto y = torch::empty({n, 1}, torch::kFloat64);
  for (int i = 0; i < n; ++i) {
    const double a = std::sin(1.7 * i + 0.3), b = std::cos(2.9 * i + 0.1);
    X[i][0] = a;
    X[i][1] = b;
    X[i][2] = 1.0;
    y[i][0] = std::fabs(a - 0.5 * b) - 0.4;
  }
  return {X, y};
}
cx::solve_params tight(double lambda) {
  cx::solve_params sp;
  sp.lambda = lambda;
  sp.tol = 1e-10;
  sp.max_iterations = 200000;
  return sp;
}
}  // namespace

TEST(ConvexCertify, ColumnGenerationReachesTheEnumeratedOptimumAndCertifiesItExactly) {
  auto t = make_tiny();
  const auto sp = tight(0.01);
  cx::solve_stats st_all;
  auto all = cx::enumerate_patterns(t.X);
  auto sol_all = cx::solve_two_layer(t.X, t.y, all, sp, &st_all);
  ASSERT_TRUE(st_all.converged);
  // The optimum over every pattern certifies exactly (no pattern violates its dual constraint) ...
  auto c_all = cx::certify_gated(sol_all, t.X, t.y);
  EXPECT_EQ(c_all.kind, cx::certificate_kind::exact);
  EXPECT_LE(c_all.max_violation, 1e-4);
  EXPECT_EQ(c_all.checked, all.size());
  // ... and the search, which only ever sees real patterns, cannot find a violation either.
  cx::certify_params search;
  search.max_exact_candidates = 0;
  auto c_search = cx::certify_gated(sol_all, t.X, t.y, search);
  EXPECT_EQ(c_search.kind, cx::certificate_kind::searched);

  // Three sampled patterns: a sampled-program optimum above the enumerated one, with violating patterns.
  auto few = cx::sample_patterns(t.X, {3, 5, true});
  cx::solve_stats st_few;
  auto sol_few = cx::solve_two_layer(t.X, t.y, few, sp, &st_few);
  EXPECT_GT(st_few.objective, st_all.objective * (1 + 1e-6));
  auto c_few = cx::certify_gated(sol_few, t.X, t.y);
  EXPECT_EQ(c_few.kind, cx::certificate_kind::none);
  EXPECT_GT(c_few.max_violation, 1e-4);
  EXPECT_GT(c_few.violating.size(), 0);

  // Column generation from the three patterns ends certified, at the enumerated optimum.
  cx::column_generation_params cg;
  cx::column_generation_stats cs;
  cx::solve_stats st_cg;
  auto sol_cg = cx::solve_certified(t.X, t.y, few, sp, cg, &st_cg, &cs);
  EXPECT_EQ(cs.final_certificate.kind, cx::certificate_kind::exact);
  EXPECT_GT(cs.added, 0);
  EXPECT_NEAR(cs.first_objective, st_few.objective, 1e-9 * st_few.objective);
  EXPECT_NEAR(st_cg.objective, st_all.objective, 1e-6 * st_all.objective);
  EXPECT_LT(sol_cg.patterns.size(), all.size() + 1);
}

TEST(ConvexCertify, LogisticLossCertifiesTheEnumeratedOptimum) {
  auto t = make_tiny();
  auto y = torch::where(t.y > 0, torch::ones_like(t.y), -torch::ones_like(t.y));
  auto sp = tight(0.005);
  sp.loss = cx::loss_kind::logistic;
  cx::column_generation_stats cs;
  cx::solve_stats st_cg, st_all;
  cx::solve_certified(t.X, y, cx::sample_patterns(t.X, {2, 3, true}), sp, {}, &st_cg, &cs);
  cx::solve_two_layer(t.X, y, cx::enumerate_patterns(t.X), sp, &st_all);
  EXPECT_EQ(cs.final_certificate.kind, cx::certificate_kind::exact);
  EXPECT_NEAR(st_cg.objective, st_all.objective, 1e-6 * st_all.objective);
}
