// Tests of the certified R (THEORY §3): soundness of the sharpened intervals and of the Lipschitz weights λ
// on sampled pairs of points, R̃ ≤ R on a thousand random networks (with and without mirrored neuron pairs)
// and on the §7 constructions, invariance under the ResNet's rescaling symmetries, and R = O(|C|) on the §7
// network of a circuit (Jacot Prop. 12). Double precision throughout.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "complexity_test_util.hpp"
#include "occam/compile/compile.hpp"
#include "occam/complexity/complexity.hpp"
#include "occam/data/rng.hpp"
#include "random_circuits.hpp"

using namespace occam;
using test_support::random_box;
using test_support::random_net;
using test_support::sample_box;

namespace {

/// Plants mirrored neuron pairs (W_b = −c·W_a, the §7 identity σ(z) − σ(−z) = z) and parallel pairs.
void plant_pairs(nn::resnet& m, std::uint64_t seed) {
  data::rng g(seed);
  for (auto& W : m.W) {
    const auto k = W.size(0);
    for (std::int64_t i = 0; i + 1 < k; i += 2) {
      const double c = 0.5 + g.uniform();
      W[i + 1].copy_(W[i] * (g.uniform() < 0.5 ? -c : c));
    }
  }
}

/// The §7 network of `c` on the box [−1, 1]^n in float64, and all 2^n inputs of {−1,+1}^n.
struct construction {
  nn::resnet m;
  data::box box;
  torch::Tensor x;
};

construction construct(const circuit::aig& c, unsigned n, compile::circuit_network_stats* st = nullptr) {
  construction k;
  k.box.lo.assign(n, -1.0f);
  k.box.hi.assign(n, 1.0f);
  compile::materialise_params mp;
  mp.dtype = torch::kFloat64;
  k.m = compile::to_resnet(compile::circuit_to_network(c, st), k.box, mp);
  k.x = torch::empty({1 << n, n}, torch::kDouble);
  for (int r0 = 0; r0 < (1 << n); ++r0)
    for (unsigned i = 0; i < n; ++i) k.x[r0][i] = ((r0 >> i) & 1) ? 1.0 : -1.0;
  return k;
}

/// g_ℓ: the map from the layer-ℓ activations α (n×(w+1), last column 1) to the outputs.
torch::Tensor from_layer(const nn::resnet& m, std::int64_t l, torch::Tensor alpha) {
  for (std::size_t j = static_cast<std::size_t>(l); j < m.W.size(); ++j) {
    auto a = torch::relu(alpha.matmul(m.W[j].t()));
    auto upd = a.matmul(m.V[j].t());
    alpha = alpha + torch::cat({upd, torch::zeros({alpha.size(0), 1}, alpha.options())}, 1);
  }
  return alpha.matmul(m.U.t());
}

/// Whether the points of the segment [a, b] (9 of them) keep their forward images in the boxes of layers > ℓ.
bool stays_in_boxes(const nn::resnet& m, const complexity::certified_terms& t, std::int64_t l,
                    const torch::Tensor& a, const torch::Tensor& b) {
  auto s = torch::linspace(0, 1, 9, torch::kDouble).unsqueeze(1);
  auto alpha = a.unsqueeze(0) * (1 - s) + b.unsqueeze(0) * s;
  for (std::size_t j = static_cast<std::size_t>(l); j < m.W.size(); ++j) {
    auto z = torch::relu(alpha.matmul(m.W[j].t()));
    alpha = alpha + torch::cat({z.matmul(m.V[j].t()), torch::zeros({alpha.size(0), 1}, alpha.options())}, 1);
    if (!(alpha >= t.bounds.alpha_lo[j + 1] - 1e-12).all().item<bool>() ||
        !(alpha <= t.bounds.alpha_hi[j + 1] + 1e-12).all().item<bool>())
      return false;
  }
  return true;
}

/// The largest ratio lhs/rhs over the pairs checked, and how many pairs were in the claim's domain.
struct lipschitz_check {
  double worst = 0;
  std::int64_t pairs = 0;
};

/// The certificate's claim on layer ℓ: ‖g_ℓ(α) − g_ℓ(α')‖₂ ≤ Σ_m λ_ℓ,m |α_m − α'_m| for α, α' in the
/// layer's box that differ only on coordinates R certifies (λ finite).
lipschitz_check worst_lipschitz_ratio(const nn::resnet& m, const complexity::certified_terms& t,
                                      std::int64_t l, const torch::Tensor& base, data::rng& g) {
  const auto w = m.U.size(1) - 1;
  auto lam = t.lambda[static_cast<std::size_t>(l - 1)];
  auto lo = t.bounds.alpha_lo[l], hi = t.bounds.alpha_hi[l];
  auto certified = torch::isfinite(lam);
  lipschitz_check out;
  for (std::int64_t r = 0; r < base.size(0); ++r) {
    auto a = base[r].clone(), b = base[r].clone();
    for (std::int64_t j = 0; j < w; ++j) {
      if (!certified[j].item<bool>()) continue;
      const double l0 = lo[j].item<double>(), h0 = hi[j].item<double>();
      if (g.uniform() < 0.5) a[j] = l0 + g.uniform() * (h0 - l0);
      if (g.uniform() < 0.5) b[j] = l0 + g.uniform() * (h0 - l0);
    }
    // The certificate holds where the forward images stay in the later boxes (THEORY §3: always on α(B));
    // pairs whose segment leaves them are not part of the claim.
    if (!stays_in_boxes(m, t, l, a, b)) continue;
    ++out.pairs;
    auto fa = from_layer(m, l, a.unsqueeze(0)), fb = from_layer(m, l, b.unsqueeze(0));
    const double lhs = (fa - fb).norm().item<double>();
    auto diff = (a - b).narrow(0, 0, w).abs();
    const double rhs = torch::where(certified, lam * diff, torch::zeros_like(diff)).sum().item<double>();
    if (lhs > 1e-12) out.worst = std::max(out.worst, lhs / std::max(rhs, 1e-300));
  }
  return out;
}

}  // namespace

// THEORY §3 step 1b: the sharpened intervals still contain every activation of points of the box.
TEST(CertifiedIntervals, ContainEveryActivation) {
  data::rng g(31);
  for (int trial = 0; trial < 80; ++trial) {
    const std::int64_t d_in = 1 + trial % 3, w = d_in + 1 + trial % 4, k = 2 + trial % 6, L = 1 + trial % 5;
    auto m = random_net(d_in, w, k, L, 1 + trial % 2, 4000 + trial);
    if (trial % 2) plant_pairs(m, trial);
    auto box = random_box(d_in, g);
    complexity::certified_r_params whole;  // the intervals are those of the whole box either way
    whole.max_boxes = 1;
    auto t = complexity::certified_r_terms(m, box, whole);
    auto tr = m.forward_trace(sample_box(box, 200, g, false));
    for (std::int64_t l = 0; l <= L; ++l) {
      EXPECT_TRUE((tr.alpha[l] >= t.bounds.alpha_lo[l] - 1e-9).all().item<bool>()) << trial << " α_" << l;
      EXPECT_TRUE((tr.alpha[l] <= t.bounds.alpha_hi[l] + 1e-9).all().item<bool>()) << trial << " α_" << l;
    }
    for (std::int64_t l = 0; l < L; ++l) EXPECT_TRUE((tr.z[l] <= t.bounds.z_hi[l] + 1e-9).all().item<bool>());
  }
}

// What shows the certificate is sound: the Lipschitz inequality it claims holds on sampled pairs of points of
// every layer's box, for random networks (with mirrored and parallel neuron pairs in half of them).
TEST(CertifiedR, LipschitzWeightsHoldOnSampledPairs) {
  data::rng g(77);
  double worst = 0;
  std::int64_t checked = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const std::int64_t d_in = 1 + trial % 3, w = d_in + 2 + trial % 3, k = 2 + trial % 5, L = 1 + trial % 4,
                       d_out = 1 + trial % 3;
    auto m = random_net(d_in, w, k, L, d_out, 5000 + trial);
    if (trial % 2) plant_pairs(m, trial);
    auto box = random_box(d_in, g);
    auto t = complexity::certified_r_terms(m, box);
    auto tr = m.forward_trace(sample_box(box, 30, g, false));
    for (std::int64_t l = 1; l <= L; ++l) {
      const auto c = worst_lipschitz_ratio(m, t, l, tr.alpha[l], g);
      worst = std::max(worst, c.worst);
      checked += c.pairs;
    }
  }
  EXPECT_LE(worst, 1 + 1e-9);
  EXPECT_GT(worst, 0);
  EXPECT_GT(checked, 1000);  // most pairs are in the claim's domain
}

// THEORY §3 guarantee R̃ ≤ R on a thousand random networks and data sets in their boxes, and the column
// certificate is never better than the combined one.
TEST(CertifiedR, BoundsRtildeOnAThousandRandomNetworks) {
  data::rng g(2024);
  for (int trial = 0; trial < 1000; ++trial) {
    const std::int64_t d_in = 1 + trial % 3, w = d_in + trial % 4, k = 1 + trial % 5, L = trial % 6,
                       d_out = 1 + trial % 3;
    auto m = random_net(d_in, w, k, L, d_out, 10000 + trial, 0.2 + 0.3 * (trial % 4));
    if (trial % 3 == 1) plant_pairs(m, trial);
    auto box = random_box(d_in, g);
    auto x = sample_box(box, 20, g, false);
    complexity::certified_r_params few;  // splitting on, with few sub-boxes (64 is the default)
    few.max_boxes = 4;
    const double rt = complexity::rtilde(m, x), r = complexity::certified_r(m, box, few);
    complexity::certified_r_params col;
    col.linf_certificate = false;
    const double r_col = complexity::certified_r(m, box, col);
    ASSERT_LE(rt, r * (1 + 1e-10)) << "trial " << trial;
    ASSERT_LE(r, r_col * (1 + 1e-10)) << "trial " << trial;
  }
}

// R is invariant under the ResNet's rescaling symmetries: a neuron's W row by c > 0 with its V column by 1/c,
// and a residual coordinate (not an input) by c with the W and U columns that read it by 1/c.
TEST(CertifiedR, InvariantUnderRescalingSymmetries) {
  data::rng g(9);
  for (int trial = 0; trial < 30; ++trial) {
    const std::int64_t d_in = 2, w = 5, k = 4, L = 1 + trial % 4;
    auto m = random_net(d_in, w, k, L, 1 + trial % 2, 600 + trial);
    if (trial % 2) plant_pairs(m, trial);
    auto box = random_box(d_in, g);
    const double r = complexity::certified_r(m, box);
    auto a = m.to(torch::kCPU, torch::kDouble);
    for (std::int64_t l = 0; l < L; ++l) {
      const double c = 0.25 + 3 * g.uniform();
      const auto i = static_cast<std::int64_t>(g.uniform() * k) % k;
      a.W[l][i] *= c;
      a.V[l].select(1, i).div_(c);
    }
    EXPECT_NEAR(complexity::certified_r(a, box), r, 1e-9 * r) << "neuron rescaling, trial " << trial;
    auto b = m.to(torch::kCPU, torch::kDouble);
    const double c = 0.3 + 2 * g.uniform();
    const std::int64_t j = d_in + trial % (w - d_in);
    for (std::int64_t l = 0; l < L; ++l) {
      b.V[l][j] *= c;
      b.W[l].select(1, j).div_(c);
    }
    b.U.select(1, j).div_(c);
    EXPECT_TRUE(torch::allclose(b.forward(sample_box(box, 5, g, false)),
                                m.forward(sample_box(box, 5, g, false)), 1, 1e30));
    EXPECT_NEAR(complexity::certified_r(b, box), r, 1e-7 * r) << "coordinate rescaling, trial " << trial;
  }
}

// Jacot Prop. 12: the §7 network of a one-output circuit C has R = O(|C|). Every gate has three ReLUs with
// unit weights into its fresh coordinate, activations in [−1, 1] (σ(b − a) ≤ 2) and Lipschitz weight 1, so
// R ≤ 8|C| + |U| terms; R̃ ≤ R on all of {−1,+1}^n; and the certified Lipschitz claim holds on pairs.
TEST(CertifiedR, CircuitNetworksHaveLinearR) {
  data::rng g(5);
  for (unsigned ands : {5u, 20u, 60u, 150u}) {
    for (std::uint64_t seed = 0; seed < 3; ++seed) {
      const unsigned n = 6;
      auto c = test_support::random_circuit(n, ands, 1, 100 * ands + seed);
      compile::circuit_network_stats st;
      auto [m, box, x] = construct(c, n, &st);
      complexity::certified_r_params whole;  // splitting only lowers R: the bound holds without it
      whole.max_boxes = 1;
      auto t = complexity::certified_r_terms(m, box, whole);
      const double r = t.total.item<double>();
      EXPECT_LE(r, 8.0 * double(st.ands) + 4.0) << "|C| = " << st.ands;
      EXPECT_LE(complexity::rtilde(m, x), r * (1 + 1e-10));
      auto tr = m.forward_trace(x);
      for (std::int64_t l = 1; l <= static_cast<std::int64_t>(m.W.size()); l += 3)
        EXPECT_LE(worst_lipschitz_ratio(m, t, l, tr.alpha[l].narrow(0, 0, 16), g).worst, 1 + 1e-9);
    }
  }
}

// THEORY §2 project rule: Poisson pruning with a budget that keeps every parameter with a_i > 0 does not
// revive dead neurons: on a §7 construction it stays exact on every input of {−1,+1}^n.
TEST(PoissonPruning, KeepsConstructionsExactWhenTheBudgetCoversEveryWeightedParameter) {
  for (unsigned ands : {6u, 25u, 80u}) {
    const unsigned n = 6;
    auto c = test_support::random_circuit(n, ands, 2, 7 * ands);
    auto [m, box, x] = construct(c, n);
    // N = the non-zero count: after the zero-weight keepers take their share, every a_i > 0 is kept.
    complexity::prune_params ps;
    ps.budget = double(m.nonzero_count());
    ps.seed = 3;
    complexity::prune_stats st;
    auto pruned = complexity::poisson_prune(m, x, ps, &st);
    EXPECT_EQ(st.measured_error, 0.0) << "|C| = " << ands;
    EXPECT_TRUE(torch::equal(pruned.forward(x).sign(), m.forward(x).sign()));
    EXPECT_LE(st.nonzero_after, st.nonzero_before);
  }
}
