#pragma once
// The certified complexity R of THEORY §3: interval bounds over the input box, Lipschitz weights λ_ℓ,m that
// certify sup ‖∂f/∂α_ℓ,m‖₂ over the activation boxes (the paper's D_ℓ⁻¹ under the project's choice of norm),
// and R = Σ_ℓ Σ (λ-weighted |V|, |W|) + Σ |U| b. See docs/complexity.md and THEORY §3.
#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "occam/data/dataset.hpp"
#include "occam/nn/resnet.hpp"

namespace occam::complexity {

struct parameter_weights;

/// Interval propagation of the input box B through the network (THEORY §3 step 1).
struct interval_bounds {
  std::vector<torch::Tensor> alpha_lo, alpha_hi;  ///< L+1 vectors (w+1); the constant coordinate is [1, 1]
  std::vector<torch::Tensor> z_lo, z_hi;          ///< L vectors (k)
  std::vector<torch::Tensor> b;                   ///< L+1 vectors: b_ℓ,j = max(|lo|, |hi|) of α_ℓ,j
  std::vector<torch::Tensor> h;                   ///< L vectors: h_ℓ,i = max(0, hi(z_ℓ,i)) bounds a_ℓ,i
  std::vector<torch::Tensor> s;                   ///< L vectors: 0 for dead neurons (hi(z) ≤ 0), else 1
};
/// The box must have d_in coordinates. Works on the model's device and dtype; differentiable in θ.
interval_bounds propagate_intervals(const nn::resnet& m, const data::box& input_box);

/// Column certificate (THEORY §3 step 2a): matrices M_ℓ (d_out×(w+1)) with |∂f_o/∂α_ℓ,m| ≤ (M_ℓ)_{o,m} at
/// every point of the activation box of layer ℓ: M_L = |U|, M_{ℓ−1} = M_ℓ A_ℓ, where A_ℓ = |I + V_ℓ S̄_ℓ W_ℓ|
/// + |V_ℓ| S^r_ℓ |W_ℓ| is the entrywise supremum of |∂α_ℓ/∂α_{ℓ−1}| over the neurons' possible slopes (S̄ =
/// the midpoint, S^r = the half-range of each slope: 1 or 0 for neurons whose sign is known, ½ ± ½ else). The
/// constant coordinate's column is 0 (it carries no sensitivity). Returns L+1 matrices, ℓ = 0..L.
std::vector<torch::Tensor> sensitivities(const nn::resnet& m, const interval_bounds& ib);

struct certified_r_params {
  /// Add the layer-wise ℓ∞ certificate (THEORY §3 step 2b) to the column certificate; per coordinate the
  /// smaller bound is used. Off: the column certificate alone.
  bool linf_certificate = true;
  /// Shapes tried for the ℓ∞ certificate's rescalings D_ℓ: the activation bounds b_ℓ, then this many rounds
  /// that take 1/λ of the best ℓ∞ certificate so far as the next shape (each round costs one backward sweep).
  int shape_rounds = 2;
  /// A row of a block's Jacobian whose entries depend on at most this many independent slope variables is
  /// maximised exactly over their vertices (2^groups evaluations); rows with more use the entrywise bound.
  int max_enumerated_groups = 10;
  /// Symbolic (back-substituted linear) bounds on pre-activations and activations (THEORY §3 step 1c, with
  /// the ℓ∞ certificate only), for networks with L²·(w+1)²·k at most this; 0: interval bounds only.
  double symbolic_bounds_work = 2e9;
  /// Box splitting (THEORY §3 step 4, with the ℓ∞ certificate only): every weight is also certified on each
  /// of at most this many sub-boxes (repeated bisection of the widest side) and lowered to its largest
  /// sub-box value. 1: no splitting.
  std::int64_t max_boxes = 64;
  /// Networks with more parameters than this are not split (the cost is one certificate per sub-box).
  double max_split_parameters = 2e5;
};

/// The certified R(θ) with its per-layer terms (THEORY §3 step 3).
struct certified_terms {
  torch::Tensor total;         ///< R(θ), float64 scalar (computed in float64 whatever the model's
                               ///< dtype: bounds grow geometrically); differentiable in θ at fixed λ
  std::vector<double> v_term;  ///< Σ_{m,i} λ_ℓ,m |V_ℓ[m,i]| h_ℓ,i, per layer ℓ = 1..L
  std::vector<double> w_term;  ///< Σ_{i,j} (λ_ℓᵀ|V_ℓ|)_i |W_ℓ[i,j]| b_{ℓ−1,j}, per layer
  double u_term = 0;           ///< Σ_{o,j} |U[o,j]| b_L,j
  std::vector<std::int64_t> dead_neurons;  ///< per layer: neurons with hi(z) ≤ 0 over B
  std::vector<double> lipschitz_sum;       ///< Σ_m λ_ℓ,m over written coordinates, per layer ℓ = 1..L
  std::vector<double> max_b;  ///< max_j b_ℓ,j per layer ℓ = 0..L (how large activations can get)
  /// λ_ℓ (w entries, ℓ = 1..L): the certified bounds on sup ‖∂f/∂α_ℓ,m‖₂ that R uses (+inf where no layer ≤ ℓ
  /// writes coordinate m and the coordinate is not an input: R never needs it there).
  std::vector<torch::Tensor> lambda;
  /// Coordinates (summed over layers) where the ℓ∞ certificate was the smaller of the two.
  std::int64_t linf_wins = 0;
  /// The intervals R used (with the ℓ∞ certificate: sharpened, THEORY §3 step 1b); λ_ℓ is certified on the
  /// box [alpha_lo[ℓ], alpha_hi[ℓ]].
  interval_bounds bounds;
  /// Sub-boxes the weights were certified on (1: the whole box only).
  std::int64_t boxes = 1;
};
certified_terms certified_r_terms(const nn::resnet& m, const data::box& input_box,
                                  const certified_r_params& ps = {});
double certified_r(const nn::resnet& m, const data::box& input_box, const certified_r_params& ps = {});

/// The certified-R weights ω_i with R = Σ_i ω_i |θ_i| when λ, b and h are frozen (used by the proximal
/// R penalty): V_ℓ[m,i] ← λ_ℓ,m h_ℓ,i, W_ℓ[i,j] ← (λ_ℓᵀ|V_ℓ|)_i b_{ℓ−1,j}, U[o,j] ← b_L,j. Where R's λ is
/// +inf (a coordinate nothing writes yet) the column certificate's finite value is used, so that writing
/// into a fresh coordinate is not free.
parameter_weights certified_r_weights(const nn::resnet& m, const data::box& input_box,
                                      const certified_r_params& ps = {});

}  // namespace occam::complexity
