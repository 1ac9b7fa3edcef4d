#pragma once
// Poisson pruning with water-filling and the magnitude baseline (THEORY §2).
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "occam/complexity/rtilde.hpp"
#include "occam/nn/resnet.hpp"

namespace occam::complexity {

/// Keep probabilities p_i (THEORY §2, project rules): p_i = min(1, c·a_i) with c chosen so that Σ p_i = N;
/// a parameter with c·a_i ≥ 1 is kept exactly (counted once) and the rest of the budget is re-spread over the
/// others; a_i = 0 gives p_i = 0 (dropped). If N ≥ #{a_i > 0} every parameter with a_i > 0 is kept.
struct water_filling {
  std::vector<double> p;    ///< per parameter, in [0, 1]
  std::vector<char> exact;  ///< kept exactly (p_i = 1 from the water-filling rule)
  double scale = 0;         ///< c (p_i = c·a_i for the sampled ones); 0 when everything is kept
  std::int64_t kept_exactly = 0;
  double expected_nonzero = 0;  ///< kept + Σ_sampled (1 − e^{−p_i})
  /// First-order error prediction with these p: sqrt(Σ_sampled a_i²/p_i) = sqrt(Σ_i (θ_i²/p_i)‖∂_i f‖²).
  double predicted_error = 0;
};
water_filling water_fill(const std::vector<double>& a, double budget);

struct prune_params {
  enum class method_kind { poisson, magnitude };
  method_kind method = method_kind::poisson;
  /// Budget N (Σ p_i for Poisson; the number of parameters kept for magnitude). Used when target_error ≤ 0.
  double budget = 0;
  /// When > 0: the smallest integer N (bisection over [1, P]) whose pruned network has measured error
  /// ‖f_θ̃ − f_θ‖_{L2(π)} ≤ target_error on x (the same seed at every N).
  double target_error = 0;
  std::uint64_t seed = 0;
  rtilde_params rtilde;  ///< how the weights are computed (Poisson only)
};

/// "poisson", "magnitude".
const char* to_string(prune_params::method_kind k);
/// The inverse of to_string; throws input_error naming the choices for another name.
prune_params::method_kind parse_prune_method(const std::string& name);

struct prune_stats {
  std::int64_t parameters = 0;  ///< P
  std::int64_t nonzero_before = 0;
  double budget = 0;               ///< the N used (after bisection in target-error mode)
  double expected_nonzero = 0;     ///< Poisson: kept + Σ(1 − e^{−p_i}); magnitude: min(N, non-zeros)
  std::int64_t nonzero_after = 0;  ///< actual
  std::int64_t kept_exactly = 0;   ///< Poisson: parameters with p_i = 1
  double rtilde = 0;               ///< R̃(θ) of the unpruned network on x
  double predicted_error = 0;      ///< R̃/√N (THEORY §2)
  double predicted_error_waterfill = 0;  ///< sqrt(Σ a_i²/p_i) with the water-filled p
  double measured_error = 0;             ///< ‖f_θ̃ − f_θ‖_{L2(π)} on x
  std::int64_t bisection_steps = 0;
};

/// Prunes a copy of m; x (n×d_in) is π for the weights and for the measured error.
nn::resnet prune(const nn::resnet& m, const torch::Tensor& x, const prune_params& ps,
                 prune_stats* stats = nullptr);
/// Poisson pruning (ps.method is ignored). Parameters with θ_i ≠ 0 but a zero weight a_i are kept exactly
/// (they are not first-order negligible: dropping the bias that keeps a ReLU off on π revives it), except the
/// parameters of neurons inactive on every row of x, which are dropped together (f is unchanged on π).
/// So with N ≥ #{a_i > 0} the pruned network equals m on every row of x.
nn::resnet poisson_prune(const nn::resnet& m, const torch::Tensor& x, const prune_params& ps,
                         prune_stats* stats = nullptr);
/// Keeps the N largest |θ_i| (ties: lower index first), zeroes the rest (ps.method is ignored).
nn::resnet magnitude_prune(const nn::resnet& m, const torch::Tensor& x, const prune_params& ps,
                           prune_stats* stats = nullptr);
/// One Poisson sample with given keep probabilities (flat, parameters() order): θ̃_i = θ_i P_i / p_i for the
/// sampled ones, θ_i for exact ones, 0 where p_i = 0. Deterministic given seed (data::rng inversion sampler).
nn::resnet poisson_sample(const nn::resnet& m, const water_filling& wf, std::uint64_t seed);

}  // namespace occam::complexity
