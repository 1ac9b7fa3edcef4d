#pragma once
// The ideal complexity R̃ of the THEORY §1 ResNet and its per-parameter weights ‖∂_{θ_i} f‖_{L2(π)}
// (THEORY §2), and the evaluation helpers the complexity tests and pruners share.
//
// Every function works in the model's dtype and on the model's device (x is converted to both), so the
// exactness tests run in double precision and the benchmarks in float32/CUDA.
#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "occam/nn/resnet.hpp"

namespace occam::complexity {

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

}  // namespace occam::complexity
