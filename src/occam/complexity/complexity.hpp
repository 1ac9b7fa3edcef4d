#pragma once
// Complexity measures of the THEORY §1 ResNet: the ideal complexity R̃ with its per-parameter weights
// ‖∂_{θ_i} f‖_{L2(π)} (THEORY §2), interval bounds over the input box, the sensitivity recursion and the
// certified complexity R (THEORY §3), Poisson pruning with water-filling and the magnitude baseline (§2),
// the complexity penalties for training (§3) and λ paths recording the Pareto front.
//
// Every function works in the model's dtype and on the model's device (x is converted to both), so the
// exactness tests run in double precision and the benchmarks in float32/CUDA.
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "occam/complexity/certified_r.hpp"
#include "occam/data/dataset.hpp"
#include "occam/nn/resnet.hpp"
#include "occam/nn/train.hpp"

namespace occam::complexity {

// ---------------------------------------------------------------------------------------------------------
// THEORY §2: R̃ and its weights
// ---------------------------------------------------------------------------------------------------------

/// Per-parameter weights ‖∂_{θ_i} f_θ‖_{L2(π)}, shaped like the parameters.
struct parameter_weights {
  std::vector<torch::Tensor> W;  ///< L tensors k×(w+1)
  std::vector<torch::Tensor> V;  ///< L tensors w×k
  torch::Tensor U;               ///< d_out×(w+1)
  /// In the order of resnet::parameters(): (W_1, V_1, …, W_L, V_L, U).
  std::vector<torch::Tensor> flat() const;
};

struct rtilde_params {
  /// Rows per chunk: the d_out backward passes hold d_out×chunk×(w+1) values at a time.
  std::int64_t chunk = 2048;
  /// Build the autograd graph through the weights (for exact-gradient penalties). When false the computation
  /// runs under NoGradGuard.
  bool differentiable = false;
};

/// The squared weights E_π Σ_o (∂f_o/∂θ_i)² of THEORY §2 from one forward and d_out backward passes per chunk
/// (explicit backpropagation of every output at once, then matrix products of squared tensors:
/// W_ℓ ← (Σ_o g_{ℓ,o}²)ᵀ α_{ℓ−1}², V_ℓ ← (Σ_o c_{ℓ,o}²)ᵀ a_ℓ², U[o,j] ← α_{L,j}²; everything divided by n).
/// π is the empirical measure of the rows of x (n×d_in).
parameter_weights rtilde_weights_squared(const nn::resnet& m, const torch::Tensor& x,
                                         const rtilde_params& ps = {});
/// The weights ‖∂_{θ_i} f‖_{L2(π)} (square roots of the above).
parameter_weights rtilde_weights(const nn::resnet& m, const torch::Tensor& x, const rtilde_params& ps = {});
/// R̃(θ) = Σ_i |θ_i| ‖∂_{θ_i} f‖_{L2(π)}. With ps.differentiable the result carries the graph (the square
/// root is taken of max(weight², 1e-30) so that parameters with zero weight get a zero, not NaN, gradient).
torch::Tensor rtilde_tensor(const nn::resnet& m, const torch::Tensor& x, const rtilde_params& ps = {});
double rtilde(const nn::resnet& m, const torch::Tensor& x, const rtilde_params& ps = {});

// ---------------------------------------------------------------------------------------------------------
// Evaluation helpers
// ---------------------------------------------------------------------------------------------------------

/// f_θ(x) (n×d_out) on the model's device/dtype, in chunks, without the graph. Torch-only (no nn .cpp).
torch::Tensor evaluate_outputs(const nn::resnet& m, const torch::Tensor& x, std::int64_t chunk = 8192);
/// ‖f_a − f_b‖_{L2(π)} = sqrt(mean_x Σ_o (f_a(x) − f_b(x))²) over the rows of x.
double function_distance(const nn::resnet& a, const nn::resnet& b, const torch::Tensor& x);

// ---------------------------------------------------------------------------------------------------------
// THEORY §2: Poisson pruning with water-filling, magnitude pruning
// ---------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------
// THEORY §3: complexity penalties for training
// ---------------------------------------------------------------------------------------------------------

struct penalty_params {
  /// Proximal mode: recompute the frozen weights every this many optimiser steps.
  std::int64_t refresh_every = 10;
  /// Rows of the minibatch used for the R̃ weights (0 = the whole minibatch).
  std::int64_t max_rows = 0;
};

/// `name`: "rtilde" (λ·R̃ on each minibatch) or "r" (λ·R over the box). proximal = false: exact gradients
/// (R̃'s inner derivatives are explicit torch ops in the graph, so its gradient is the double backward);
/// proximal = true: re-weighted ℓ1 — the weights ω_i are frozen for refresh_every steps and each step is a
/// soft-threshold θ_i ← sign(θ_i)·max(|θ_i| − lr·λ·ω_i, 0), which produces exact zeros. Throws input_error
/// for another name or λ < 0.
std::unique_ptr<nn::regulariser> make_complexity_penalty(const std::string& name, double lambda,
                                                         bool proximal, const data::box& input_box,
                                                         const penalty_params& ps = {});

// ---------------------------------------------------------------------------------------------------------
// λ path (THEORY §3, ResNet norm estimate)
// ---------------------------------------------------------------------------------------------------------

struct path_point {
  double lambda = 0;
  double val_loss = 0;
  double val_error = 0;  ///< 1 − accuracy (classification) or RMSE sqrt(mse) (regression)
  double rtilde = 0;     ///< on the validation inputs (train inputs when valid is empty)
  double r = 0;          ///< over m.input_box
  std::int64_t nonzero = 0;
  bool pareto = false;  ///< on the front of (val_error, R̃, R, non-zeros): no other point is ≤ in all four
};

struct path_params {
  std::string penalty = "rtilde";  ///< "rtilde" | "r" | "l1" | "l2"
  bool proximal = false;
  std::vector<double> lambdas;  ///< in the order trained (warm starts: each starts from the previous model)
  penalty_params penalty_options;
  std::string out_dir;  ///< when set: path.csv, path.json and model_<i>.occam per λ
};

/// Trains m along the λ path (m ends as the last λ's model). train_params.penalty and out_dir are overridden.
std::vector<path_point> lambda_path(nn::resnet& m, const data::dataset& train, const data::dataset& valid,
                                    const nn::train_params& tp, const path_params& pp);
/// Marks the Pareto-optimal points (in place).
void mark_pareto(std::vector<path_point>& points);
std::string path_csv(const std::vector<path_point>& points);
std::string path_json(const std::vector<path_point>& points);

}  // namespace occam::complexity
