// Tests of THEORY §2–3: R̃ weights against brute-force per-sample gradients, R̃ ≤ R, homogeneity in U,
// sub-additivity under parallel composition, soundness of the interval bounds, Poisson pruning (unbiased,
// budget, water-filling), magnitude pruning and the complexity penalties. Double precision throughout.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "complexity_test_util.hpp"
#include "occam/complexity/complexity.hpp"
#include "occam/data/rng.hpp"
#include "occam/util/error.hpp"

using namespace occam;
using complexity::parameter_weights;
using test_support::random_box;
using test_support::random_net;
using test_support::sample_box;

namespace {

/// Brute force: E_x Σ_o (∂f_o(x)/∂θ)² by one autograd call per sample and output.
std::vector<torch::Tensor> brute_force_squared(const nn::resnet& m0, const torch::Tensor& x) {
  auto m = m0.to(torch::kCPU, torch::kDouble, /*requires_grad=*/true);
  auto params = m.parameters();
  std::vector<torch::Tensor> acc;
  for (auto& p : params) acc.push_back(torch::zeros_like(p));
  for (std::int64_t r = 0; r < x.size(0); ++r) {
    auto out = m.forward(x.narrow(0, r, 1));
    for (std::int64_t o = 0; o < out.size(1); ++o) {
      auto grads = torch::autograd::grad({out[0][o]}, params, {}, /*retain_graph=*/true, false,
                                         /*allow_unused=*/true);
      for (std::size_t i = 0; i < params.size(); ++i)
        if (grads[i].defined()) acc[i] += grads[i].pow(2);
    }
  }
  for (auto& a : acc) a /= double(x.size(0));
  return acc;
}

double rtilde_brute(const nn::resnet& m, const torch::Tensor& x) {
  auto sq = brute_force_squared(m, x);
  auto params = m.parameters();
  double s = 0;
  for (std::size_t i = 0; i < params.size(); ++i) s += (params[i].abs() * sq[i].sqrt()).sum().item<double>();
  return s;
}

}  // namespace

// THEORY §2: the squared-tensor products equal the brute-force per-sample gradients (several d_out).
TEST(RtildeWeights, MatchBruteForcePerSampleGradients) {
  data::rng g(7);
  for (std::int64_t d_out : {1, 2, 3}) {
    auto m = random_net(3, 5, 4, 3, d_out, 11 + d_out);
    auto box = random_box(3, g);
    auto x = sample_box(box, 23, g);
    complexity::rtilde_params rp;
    rp.chunk = 7;  // several chunks, one ragged
    auto fast = complexity::rtilde_weights_squared(m, x, rp).flat();
    auto slow = brute_force_squared(m, x);
    ASSERT_EQ(fast.size(), slow.size());
    for (std::size_t i = 0; i < fast.size(); ++i) {
      ASSERT_EQ(fast[i].sizes(), slow[i].sizes()) << "parameter " << i;
      EXPECT_TRUE(torch::allclose(fast[i], slow[i], 1e-10, 1e-12))
          << "d_out " << d_out << " parameter " << i << "\n"
          << fast[i] << "\n"
          << slow[i];
    }
    EXPECT_NEAR(complexity::rtilde(m, x), rtilde_brute(m, x), 1e-9 * (1 + rtilde_brute(m, x)));
  }
}

TEST(RtildeWeights, ChunkingDoesNotChangeTheResult) {
  data::rng g(3);
  auto m = random_net(4, 6, 5, 4, 2, 5);
  auto x = sample_box(random_box(4, g), 50, g);
  complexity::rtilde_params one, many;
  one.chunk = 1000;
  many.chunk = 3;
  EXPECT_NEAR(complexity::rtilde(m, x, one), complexity::rtilde(m, x, many), 1e-10);
}

// THEORY §3 step 1: every activation on samples from the box lies in the propagated intervals.
TEST(IntervalBounds, ContainEveryActivationOnSamplesFromTheBox) {
  data::rng g(21);
  for (int trial = 0; trial < 30; ++trial) {
    const std::int64_t d_in = 1 + trial % 4, w = d_in + 1 + trial % 3, k = 2 + trial % 5, L = 1 + trial % 4;
    auto m = random_net(d_in, w, k, L, 1 + trial % 2, 100 + trial);
    auto box = random_box(d_in, g);
    auto ib = complexity::propagate_intervals(m, box);
    auto x = sample_box(box, 200, g);
    auto t = m.forward_trace(x);
    const double tol = 1e-9;
    for (std::int64_t l = 0; l <= L; ++l) {
      EXPECT_TRUE((t.alpha[l] >= ib.alpha_lo[l] - tol).all().item<bool>()) << "trial " << trial << " α_" << l;
      EXPECT_TRUE((t.alpha[l] <= ib.alpha_hi[l] + tol).all().item<bool>()) << "trial " << trial << " α_" << l;
      EXPECT_TRUE((t.alpha[l].abs() <= ib.b[l] + tol).all().item<bool>());
      EXPECT_DOUBLE_EQ(ib.b[l][w].item<double>(), 1.0);  // the constant coordinate
    }
    for (std::int64_t l = 0; l < L; ++l) {
      EXPECT_TRUE((t.z[l] >= ib.z_lo[l] - tol).all().item<bool>());
      EXPECT_TRUE((t.z[l] <= ib.z_hi[l] + tol).all().item<bool>());
      EXPECT_TRUE((t.a[l] <= ib.h[l] + tol).all().item<bool>());
      // A neuron marked dead is never active.
      EXPECT_TRUE(((t.a[l] > 0).to(torch::kDouble) * (1 - ib.s[l])).sum().item<double>() == 0);
    }
  }
}

// THEORY §3 step 2: M_ℓ bounds |∂f_o/∂α_ℓ| entrywise at samples from the box (non-constant coordinates).
TEST(Sensitivity, BoundsTheJacobianOnSamples) {
  data::rng g(5);
  for (int trial = 0; trial < 10; ++trial) {
    auto m = random_net(2, 4, 3, 3, 2, 300 + trial);
    auto box = random_box(2, g);
    auto ib = complexity::propagate_intervals(m, box);
    auto M = complexity::sensitivities(m, ib);
    auto x = sample_box(box, 20, g);
    for (std::int64_t r = 0; r < x.size(0); ++r) {
      auto t = m.forward_trace(x.narrow(0, r, 1));
      // ∂f/∂α_ℓ by explicit products of the block Jacobians I + [V;0] diag(σ') W.
      auto c = m.U.clone();
      for (std::int64_t l = 3; l >= 0; --l) {
        EXPECT_TRUE((c.narrow(1, 0, 4).abs() <= M[l].narrow(1, 0, 4) + 1e-12).all().item<bool>());
        if (l == 0) break;
        auto vp = torch::cat({m.V[l - 1], torch::zeros({1, 3}, torch::kDouble)}, 0);
        auto d = (t.z[l - 1][0] > 0).to(torch::kDouble);
        c = c.matmul(torch::eye(5, torch::kDouble) + vp.matmul(torch::diag(d)).matmul(m.W[l - 1]));
      }
    }
  }
}

// THEORY §3 guarantee: R̃(θ) ≤ R(θ) for every θ and every π supported in B.
TEST(CertifiedR, BoundsRtildeOnRandomNetworksAndData) {
  data::rng g(99);
  for (int trial = 0; trial < 60; ++trial) {
    const std::int64_t d_in = 1 + trial % 3, w = d_in + trial % 4, k = 1 + trial % 6, L = trial % 5,
                       d_out = 1 + trial % 3;
    auto m = random_net(d_in, w, k, L, d_out, 1000 + trial, 0.2 + 0.3 * (trial % 4));
    auto box = random_box(d_in, g);
    auto x = sample_box(box, 5 + trial % 40, g, trial % 2 == 0);
    const double rt = complexity::rtilde(m, x), r = complexity::certified_r(m, box);
    EXPECT_LE(rt, r * (1 + 1e-12)) << "trial " << trial;
    EXPECT_GT(r, 0);
    auto terms = complexity::certified_r_terms(m, box);
    double sum = terms.u_term;
    for (std::size_t l = 0; l < terms.v_term.size(); ++l) sum += terms.v_term[l] + terms.w_term[l];
    EXPECT_NEAR(sum, r, 1e-9 * r);
    // R = Σ ω_i |θ_i| with the frozen weights used by the proximal R penalty.
    auto omega = complexity::certified_r_weights(m, box).flat();
    auto theta = m.parameters();
    double r2 = 0;
    for (std::size_t i = 0; i < theta.size(); ++i) r2 += (omega[i] * theta[i].abs()).sum().item<double>();
    EXPECT_NEAR(r2, r, 1e-9 * r);
  }
}

// A single data point at the centre of a degenerate box: R̃ and R are computed from the same quantities.
TEST(CertifiedR, HandComputedOneLayer) {
  // d_in = 1, w = 1, k = 1, L = 1: α_0 = (x, 1), z = W α_0, α_1 = α_0 + (V σ(z), 0), f = U α_1.
  nn::resnet m;
  m.shape = {1, 1, 1, 1, 1};
  m.W = {torch::tensor({{2.0, -1.0}}, torch::kDouble)};
  m.V = {torch::tensor({{3.0}}, torch::kDouble)};
  m.U = torch::tensor({{0.5, 0.25}}, torch::kDouble);
  data::box box{{1.0f}, {2.0f}};
  // z ∈ [1, 3], a ∈ [1, 3], α_1,0 ∈ [1 + 3, 2 + 9] = [4, 11]. M_1 = (0.5, 0), λ_1 = 0.5.
  // V term: 0.5·3·3 = 4.5; W term: (0.5·3)·(2·2 + 1·1) = 7.5; U term: 0.5·11 + 0.25·1 = 5.75.
  auto t = complexity::certified_r_terms(m, box);
  EXPECT_DOUBLE_EQ(t.v_term[0], 4.5);
  EXPECT_DOUBLE_EQ(t.w_term[0], 7.5);
  EXPECT_DOUBLE_EQ(t.u_term, 5.75);
  EXPECT_DOUBLE_EQ(complexity::certified_r(m, box), 17.75);
  // One sample x = 2: z = 3, a = 3, α_1 = (11, 1); ∂f/∂W = 0.5·3·(2, 1); ∂f/∂V = 0.5·3; ∂f/∂U = (11, 1).
  auto x = torch::tensor({{2.0}}, torch::kDouble);
  EXPECT_DOUBLE_EQ(complexity::rtilde(m, x), 2 * 3 + 1 * 1.5 + 3 * 1.5 + 0.5 * 11 + 0.25 * 1);
}

// Jacot Prop. 10 (THEORY §3): scaling U by c scales R and R̃ by |c|.
TEST(CertifiedR, ScalingUScalesBothMeasures) {
  data::rng g(4);
  for (int trial = 0; trial < 10; ++trial) {
    auto m = random_net(2, 3, 4, 1 + trial % 3, 1 + trial % 2, 50 + trial);
    auto box = random_box(2, g);
    auto x = sample_box(box, 30, g);
    const double rt = complexity::rtilde(m, x), r = complexity::certified_r(m, box);
    for (double c : {-2.5, 0.3, 4.0}) {
      auto mc = m.to(m.device(), m.dtype());
      mc.U = mc.U * c;
      EXPECT_NEAR(complexity::rtilde(mc, x), std::abs(c) * rt, 1e-10 * std::abs(c) * rt);
      EXPECT_NEAR(complexity::certified_r(mc, box), std::abs(c) * r, 1e-10 * std::abs(c) * r);
    }
  }
}

// Jacot Prop. 10 (THEORY §3): two networks in parallel (stacked widths, summed outputs) have R ≤ R1 + R2.
// α_0 carries x once, so the parallel network shares the input coordinates; for the two residual streams to
// stay separate the sub-networks do not write into them (their V rows for the inputs are zero).
TEST(CertifiedR, ParallelNetworksAreSubadditive) {
  data::rng g(8);
  for (int trial = 0; trial < 10; ++trial) {
    const std::int64_t d = 2, w1 = 4, w2 = 5, k1 = 3, k2 = 4, L = 1 + trial % 3, d_out = 1 + trial % 2;
    auto m1 = random_net(d, w1, k1, L, d_out, 700 + trial), m2 = random_net(d, w2, k2, L, d_out, 800 + trial);
    for (auto* m : {&m1, &m2})
      for (auto& V : m->V) V.narrow(0, 0, d).zero_();
    const std::int64_t e1 = w1 - d, e2 = w2 - d, w = d + e1 + e2;
    nn::resnet p;
    p.shape = {d, w, k1 + k2, L, d_out};
    for (std::int64_t l = 0; l < L; ++l) {
      auto W = torch::zeros({k1 + k2, w + 1}, torch::kDouble);
      auto V = torch::zeros({w, k1 + k2}, torch::kDouble);
      // Net 1 reads (x, its extras, 1), net 2 reads (x, its extras, 1).
      W.narrow(0, 0, k1).narrow(1, 0, d + e1).copy_(m1.W[l].narrow(1, 0, d + e1));
      W.narrow(0, 0, k1).select(1, w).copy_(m1.W[l].select(1, w1));
      W.narrow(0, k1, k2).narrow(1, 0, d).copy_(m2.W[l].narrow(1, 0, d));
      W.narrow(0, k1, k2).narrow(1, d + e1, e2).copy_(m2.W[l].narrow(1, d, e2));
      W.narrow(0, k1, k2).select(1, w).copy_(m2.W[l].select(1, w2));
      V.narrow(0, d, e1).narrow(1, 0, k1).copy_(m1.V[l].narrow(0, d, e1));
      V.narrow(0, d + e1, e2).narrow(1, k1, k2).copy_(m2.V[l].narrow(0, d, e2));
      p.W.push_back(W);
      p.V.push_back(V);
    }
    p.U = torch::zeros({d_out, w + 1}, torch::kDouble);
    p.U.narrow(1, 0, d).copy_(m1.U.narrow(1, 0, d) + m2.U.narrow(1, 0, d));
    p.U.narrow(1, d, e1).copy_(m1.U.narrow(1, d, e1));
    p.U.narrow(1, d + e1, e2).copy_(m2.U.narrow(1, d, e2));
    p.U.select(1, w).copy_(m1.U.select(1, w1) + m2.U.select(1, w2));
    auto box = random_box(d, g);
    auto x = sample_box(box, 40, g);
    // The construction really is the parallel network: f = f1 + f2.
    EXPECT_TRUE(torch::allclose(p.forward(x), m1.forward(x) + m2.forward(x), 1e-10, 1e-10));
    const double r = complexity::certified_r(p, box), r1 = complexity::certified_r(m1, box),
                 r2 = complexity::certified_r(m2, box);
    EXPECT_LE(r, (r1 + r2) * (1 + 1e-12)) << "trial " << trial;
  }
}

// THEORY §2 water-filling: p = min(1, c·a) with Σ p = N, compared with a bisection on c.
TEST(Pruning, WaterFillingMatchesBisectionOnTheScale) {
  data::rng g(12);
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<double> a(50 + trial);
    for (auto& v : a) {
      double u = g.uniform();
      v = u < 0.2 ? 0.0 : (u > 0.9 ? 50 * g.uniform() : g.uniform());
    }
    const auto positive = std::count_if(a.begin(), a.end(), [](double v) { return v > 0; });
    const double N = 0.5 + (positive + 5) * g.uniform();
    auto wf = complexity::water_fill(a, N);
    if (N >= positive) {
      for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(wf.p[i], a[i] > 0 ? 1.0 : 0.0);
      continue;
    }
    double lo = 0, hi = 1e12;
    for (int it = 0; it < 300; ++it) {
      double c = 0.5 * (lo + hi), s = 0;
      for (double v : a) s += std::min(1.0, c * v);
      (s < N ? lo : hi) = c;
    }
    double sum = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_NEAR(wf.p[i], std::min(1.0, lo * a[i]), 1e-9);
      if (a[i] == 0) {
        EXPECT_EQ(wf.p[i], 0.0);
      } else if (wf.exact[i]) {
        EXPECT_GE(wf.scale * a[i], 1.0 - 1e-12);
      } else {
        EXPECT_NEAR(wf.p[i], wf.scale * a[i], 1e-12);
      }
      sum += wf.p[i];
    }
    EXPECT_NEAR(sum, N, 1e-9 * N);
    EXPECT_LE(wf.expected_nonzero, N + 1e-9);
  }
}

// THEORY §2: E θ̃ = θ, and the number of non-zeros matches Σ(1 − e^{−p_i}) on average.
TEST(Pruning, PoissonPruningIsUnbiasedAndRespectsTheBudget) {
  data::rng g(1);
  auto m = random_net(2, 4, 3, 2, 2, 4242);
  auto x = sample_box(random_box(2, g), 64, g);
  complexity::prune_params ps;
  ps.budget = 25;
  auto theta = torch::cat([&] {
    std::vector<torch::Tensor> v;
    for (auto& t : m.parameters()) v.push_back(t.flatten());
    return v;
  }());
  const int S = 600;
  auto sum = torch::zeros_like(theta);
  double nonzero_sum = 0;
  complexity::prune_stats st;
  for (int s = 0; s < S; ++s) {
    ps.seed = 1 + s;
    auto pm = complexity::poisson_prune(m, x, ps, &st);
    std::vector<torch::Tensor> v;
    for (auto& t : pm.parameters()) v.push_back(t.flatten());
    sum += torch::cat(v);
    nonzero_sum += double(st.nonzero_after);
  }
  auto mean = sum / S;
  // Var θ̃_i = θ_i² (1/p_i) for Poisson sampling (θ_i²(1/p_i − 1) for Bernoulli would be smaller): use the
  // p_i.
  std::vector<double> a;
  auto w = complexity::rtilde_weights(m, x).flat();
  auto params = m.parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    auto ai = (params[i].abs() * w[i]).flatten();
    for (std::int64_t j = 0; j < ai.numel(); ++j) a.push_back(ai[j].item<double>());
  }
  auto wf = complexity::water_fill(a, ps.budget);
  double z2 = 0, zmax = 0;
  int sampled = 0;
  for (std::int64_t i = 0; i < theta.numel(); ++i) {
    const double t = theta[i].item<double>(), mu = mean[i].item<double>();
    if (wf.exact[i]) {
      EXPECT_NEAR(mu, t, 1e-12 * std::abs(t));  // kept exactly: only the rounding of the mean
    } else if (wf.p[i] == 0) {
      // a_i = 0: dropped, or kept exactly when dropping it could revive a neuron (THEORY §2 project rule).
      EXPECT_TRUE(mu == 0.0 || std::abs(mu - t) <= 1e-12 * std::abs(t)) << mu << " vs " << t;
    } else {
      const double sd = std::abs(t) / std::sqrt(wf.p[i] * S);
      const double z = (mu - t) / sd;
      z2 += z * z;
      zmax = std::max(zmax, std::abs(z));
      ++sampled;
    }
  }
  ASSERT_GT(sampled, 20);
  EXPECT_LT(zmax, 6.0);
  EXPECT_GT(z2 / sampled, 0.6);
  EXPECT_LT(z2 / sampled, 1.5);
  EXPECT_LE(st.expected_nonzero, ps.budget + 1e-9);
  double sd_nnz = 0;
  for (std::size_t i = 0; i < wf.p.size(); ++i)
    if (!wf.exact[i]) sd_nnz += std::exp(-wf.p[i]) * (1 - std::exp(-wf.p[i]));
  EXPECT_NEAR(nonzero_sum / S, st.expected_nonzero, 5 * std::sqrt(sd_nnz / S) + 1e-9);
  EXPECT_NEAR(st.predicted_error, st.rtilde / std::sqrt(ps.budget), 1e-12);
}

TEST(Pruning, PoissonIsDeterministicGivenTheSeed) {
  data::rng g(2);
  auto m = random_net(2, 4, 3, 2, 1, 17);
  auto x = sample_box(random_box(2, g), 32, g);
  complexity::prune_params ps;
  ps.budget = 20;
  ps.seed = 5;
  auto a = complexity::poisson_prune(m, x, ps), b = complexity::poisson_prune(m, x, ps);
  auto pa = a.parameters(), pb = b.parameters();
  for (std::size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i]));
}

TEST(Pruning, MagnitudeKeepsTheLargestEntries) {
  data::rng g(6);
  auto m = random_net(3, 5, 4, 2, 2, 23);
  auto x = sample_box(random_box(3, g), 16, g);
  complexity::prune_params ps;
  ps.budget = 30;
  complexity::prune_stats st;
  auto pm = complexity::magnitude_prune(m, x, ps, &st);
  EXPECT_EQ(st.nonzero_after, 30);
  std::vector<double> kept, all;
  auto po = m.parameters(), pp = pm.parameters();
  for (std::size_t i = 0; i < po.size(); ++i) {
    auto o = po[i].flatten(), p = pp[i].flatten();
    for (std::int64_t j = 0; j < o.numel(); ++j) {
      all.push_back(std::abs(o[j].item<double>()));
      if (p[j].item<double>() != 0) {
        EXPECT_EQ(p[j].item<double>(), o[j].item<double>());
        kept.push_back(std::abs(o[j].item<double>()));
      }
    }
  }
  std::sort(all.rbegin(), all.rend());
  EXPECT_GE(*std::min_element(kept.begin(), kept.end()), all[29]);
  EXPECT_NEAR(st.measured_error, complexity::function_distance(pm, m, x), 1e-12);
}

TEST(Pruning, TargetErrorModeReachesTheTarget) {
  data::rng g(9);
  auto m = random_net(2, 4, 4, 2, 1, 31);
  auto x = sample_box(random_box(2, g), 64, g);
  for (auto method :
       {complexity::prune_params::method_kind::poisson, complexity::prune_params::method_kind::magnitude}) {
    complexity::prune_params ps;
    ps.method = method;
    ps.target_error = 0.05;
    ps.seed = 3;
    complexity::prune_stats st;
    auto pm = complexity::prune(m, x, ps, &st);
    EXPECT_LE(st.measured_error, 0.05);
    EXPECT_NEAR(complexity::function_distance(pm, m, x), st.measured_error, 1e-12);
    EXPECT_LT(st.budget, double(st.parameters));
    EXPECT_GT(st.bisection_steps, 1);
  }
}

// THEORY §3 (a): the exact-gradient penalties differentiate R̃ (double backward) and R; check by finite
// differences.
TEST(Penalties, ExactGradientsMatchFiniteDifferences) {
  data::rng g(10);
  auto m0 = random_net(2, 3, 3, 2, 2, 77);
  auto box = random_box(2, g);
  auto x = sample_box(box, 12, g, false);
  for (std::string name : {"rtilde", "r"}) {
    auto pen = complexity::make_penalty(complexity::parse_penalty_kind(name), 2.0, false, box);
    auto m = m0.to(torch::kCPU, torch::kDouble, true);
    auto value = pen->penalty(m, x);
    auto params = m.parameters();
    auto grads = torch::autograd::grad({value}, params);
    EXPECT_NEAR(value.item<double>(), 2.0 * pen->value(m, x), 1e-10);
    const double eps = 1e-6;
    for (std::size_t i = 0; i < params.size(); ++i) {
      for (std::int64_t j = 0; j < params[i].numel(); j += 3) {
        auto mp = m0.to(m0.device(), m0.dtype()), mm = m0.to(m0.device(), m0.dtype());
        mp.parameters()[i].view(-1)[j] += eps;
        mm.parameters()[i].view(-1)[j] -= eps;
        const double fd = 2.0 * (pen->value(mp, x) - pen->value(mm, x)) / (2 * eps);
        EXPECT_NEAR(grads[i].view(-1)[j].item<double>(), fd, 1e-5 * (1 + std::abs(fd)))
            << name << " parameter " << i << " entry " << j;
      }
    }
  }
}

// THEORY §3 (b): proximal re-weighted ℓ1 steps produce exact zeros, and shrink the measure.
TEST(Penalties, ProximalStepsProduceExactZeros) {
  data::rng g(11);
  auto box = random_box(2, g);
  auto x = sample_box(box, 16, g, false);
  for (std::string name : {"rtilde", "r"}) {
    auto m = random_net(2, 4, 4, 2, 1, 88);
    const auto before = m.nonzero_count();
    const double measure_before = name == "r" ? complexity::certified_r(m, box) : complexity::rtilde(m, x);
    complexity::penalty_params pp;
    pp.refresh_every = 2;
    auto pen = complexity::make_penalty(complexity::parse_penalty_kind(name), 1.0, true, box, pp);
    EXPECT_FALSE(pen->penalty(m, x).defined());
    for (int step = 0; step < 4; ++step) pen->after_step(m, 0.05);
    const auto after = m.nonzero_count();
    EXPECT_LT(after, before) << name;
    const double measure_after = name == "r" ? complexity::certified_r(m, box) : complexity::rtilde(m, x);
    EXPECT_LT(measure_after, measure_before) << name;
  }
  EXPECT_THROW(complexity::parse_penalty_kind("l3"), occam::input_error);
  EXPECT_THROW(complexity::make_penalty(complexity::penalty_kind::r, -1.0, false, box), occam::input_error);
  EXPECT_EQ(complexity::make_penalty(complexity::penalty_kind::none, 1.0, false, box), nullptr);
  EXPECT_EQ(complexity::make_penalty(complexity::penalty_kind::l1, 0.0, true, box), nullptr);
  for (auto k : {complexity::penalty_kind::none, complexity::penalty_kind::l1, complexity::penalty_kind::l2,
                 complexity::penalty_kind::rtilde, complexity::penalty_kind::r})
    EXPECT_EQ(complexity::parse_penalty_kind(complexity::to_string(k)), k);
}

TEST(Path, ParetoMarking) {
  std::vector<complexity::path_point> pts(3);
  pts[0] = {0.1, 0, 0.1, 5, 6, 10, false};
  pts[1] = {0.2, 0, 0.2, 4, 5, 8, false};
  pts[2] = {0.3, 0, 0.3, 5, 6, 9, false};  // dominated by point 1
  complexity::mark_pareto(pts);
  EXPECT_TRUE(pts[0].pareto);
  EXPECT_TRUE(pts[1].pareto);
  EXPECT_FALSE(pts[2].pareto);
  EXPECT_NE(complexity::path_csv(pts).find("lambda,val_loss"), std::string::npos);
}
