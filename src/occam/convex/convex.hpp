#pragma once
// Convex training of two-layer ReLU networks (THEORY §10; Pilanci & Ergen 2020).
//
// Data X ∈ R^{n×d} is used exactly as given (a bias is a constant column the caller adds). Activation
// patterns D_i = diag(1[X g_i ≥ 0]) are stored together as an n×P 0/1 matrix `masks`.
//
// Objective convention (the reference problem's, ../shared/data/convex-fmnist/PROBLEM.md): THEORY §10
// divided by n, i.e. with β = nλ,
//   gated ReLU:  F(U)    = 1/(2n) ‖Σ_i D_i X u_i − y‖² + λ Σ_i ‖u_i‖₂
//   ReLU:        F(V, W) = 1/(2n) ‖Σ_i D_i X (v_i − w_i) − y‖² + λ Σ_i (‖v_i‖₂ + ‖w_i‖₂)
//                s.t. (2D_i − I) X v_i ≥ 0, (2D_i − I) X w_i ≥ 0.
// Logistic loss replaces 1/(2n)‖p − y‖² by 1/n Σ_j log(1 + exp(−y_j p_j)) (y ∈ {−1, +1}).
// Vector outputs (y: n×c, gated ReLU only): u_i ∈ R^{d×c}, the group norm is the Frobenius norm.
//
// Every tensor lives on the device of X (CPU or CUDA); kernels run in X's dtype (float32 recommended).
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "occam/nn/resnet.hpp"

namespace occam::convex {

// ---------------------------------------------------------------------------------------------------------
// Activation patterns (THEORY §10)

struct pattern_set {
  torch::Tensor gates;  ///< d×P directions g_i (defined for sampled and given gates; enumeration too)
  torch::Tensor masks;  ///< n×P, masks[j, i] = 1 if x_jᵀ g_i ≥ 0 (or > 0 with strict gates), else 0
  std::int64_t size() const { return masks.defined() ? masks.size(1) : 0; }
};

struct sample_params {
  std::int64_t count = 100;  ///< Gaussian directions drawn
  std::uint64_t seed = 0;
  bool keep_distinct = true;  ///< drop directions whose pattern repeats an earlier one
};
struct sample_stats {
  std::int64_t sampled = 0;   ///< directions drawn
  std::int64_t distinct = 0;  ///< distinct patterns among them (= patterns kept when keep_distinct)
};

/// D_i = 1[X g_i ≥ 0] for Gaussian g_i ~ N(0, I_d) (THEORY §10), on X's device and dtype.
pattern_set sample_patterns(const torch::Tensor& X, const sample_params& params = {},
                            sample_stats* stats = nullptr);

/// Patterns of given gates G (d×P): 1[X G > 0] when `strict` (the reference problem's convention), else ≥ 0.
pattern_set patterns_from_gates(const torch::Tensor& X, const torch::Tensor& G, bool strict = true);

/// Every pattern 1[X u ≥ 0] of an open chamber of the hyperplane arrangement {x_jᵀ u = 0} (tiny n, d; X must
/// have rank d and rows in general position). Every neuron u's contribution D(u) X u equals D_C X u for a
/// chamber C whose closed cone contains u, so these patterns make the two-layer program exact.
/// Cost C(n, d−1)·2^d candidate directions; throws input_error when that exceeds `max_candidates`.
pattern_set enumerate_patterns(const torch::Tensor& X, std::int64_t max_candidates = 2000000);

/// Distinct columns of a 0/1 mask matrix (first occurrence kept); returns the kept column indices.
std::vector<std::int64_t> distinct_columns(const torch::Tensor& masks);

// ---------------------------------------------------------------------------------------------------------
// Solvers

enum class loss_kind { squared, logistic };
enum class model_kind { gated_relu, relu };
enum class solver_kind { fista, augmented_lagrangian };

const char* to_string(model_kind m);
const char* to_string(loss_kind l);

/// One line of the convergence log (JSON lines in the CLI).
struct log_record {
  std::int64_t iteration = 0;  ///< FISTA steps so far (inner steps summed for the augmented Lagrangian)
  std::int64_t outer = 0;      ///< augmented-Lagrangian round (0 for FISTA)
  double seconds = 0;
  double objective = 0;          ///< F at the current iterate (penalty terms of the AL excluded)
  double gap = -1;               ///< duality gap (squared loss, gated ReLU; −1 when not computed)
  double kkt = -1;               ///< ‖min-norm subgradient‖ over all groups (−1 when not computed)
  double violation = 0;          ///< max constraint violation max(0, −(2D_i − I) X v_i) (ReLU)
  double step = 0;               ///< 1/L
  std::int64_t active = 0;       ///< non-zero groups
  std::int64_t working_set = 0;  ///< groups in the working set
};

struct solve_params {
  double lambda = 1e-3;  ///< λ (objective divided by n, see the top of this file)
  loss_kind loss = loss_kind::squared;
  model_kind model = model_kind::gated_relu;
  solver_kind solver = solver_kind::fista;  ///< the ReLU model always uses the augmented Lagrangian
  std::int64_t max_iterations = 20000;      ///< FISTA steps (all inner steps for the AL)
  /// Stop when the relative duality gap (squared loss) or the KKT residual ‖min-norm subgradient‖ / λ
  /// falls below `tol` (gated ReLU), or when the AL's inner KKT residual and the constraint violation do.
  double tol = 1e-6;
  /// Stop as soon as the objective is ≤ target (benchmarks: time to reach a known optimum); NaN = off.
  double target_objective = std::numeric_limits<double>::quiet_NaN();
  std::int64_t check_every = 10;  ///< full gradient / KKT / gap check and working-set update period
  bool working_set = true;        ///< restrict products to non-zero groups and KKT violators
  double step_growth = 1.0;       ///< 1/L is multiplied by this after each accepted step (1: monotone L)
  // Augmented Lagrangian (ReLU model).
  double al_rho = 0;               ///< initial penalty; 0 = automatic (1/n)
  double al_violation_tol = 1e-4;  ///< stop when max violation ≤ this (relative to max |X v|)
  std::int64_t al_max_outer = 40;
  std::int64_t al_inner_iterations = 1000;        ///< cap per round
  int threads = 0;                                ///< 0 = leave libtorch's setting
  std::function<void(const log_record&)> on_log;  ///< called at each check
};

struct solve_stats {
  std::int64_t iterations = 0;
  std::int64_t outer_iterations = 0;
  std::int64_t backtracks = 0;
  std::int64_t restarts = 0;
  std::int64_t products = 0;  ///< GEMMs with X or Xᵀ (counted in full-width equivalents × 1)
  double objective = 0;       ///< F (ReLU: of the final iterate, constraints as they are)
  double data_loss = 0;       ///< loss part of F
  double penalty = 0;         ///< λ Σ group norms
  double gap = -1;            ///< duality gap (squared loss gated ReLU), −1 otherwise
  double kkt = -1;            ///< ‖min-norm subgradient‖
  double violation = 0;       ///< ReLU: max constraint violation
  double seconds = 0;
  std::int64_t active = 0;  ///< non-zero groups
  bool converged = false;
  bool reached_target = false;
};

/// A solution of the two-layer convex program.
struct two_layer_solution {
  model_kind model = model_kind::gated_relu;
  loss_kind loss = loss_kind::squared;
  pattern_set patterns;
  torch::Tensor U;  ///< gated: d×P×c;  ReLU: V = U (d×P×1)
  torch::Tensor W;  ///< ReLU only: d×P×1 (the negative neurons); undefined for gated
  double lambda = 0;
};

/// Solves the gated-ReLU or ReLU two-layer program. X: n×d; y: n or n×c (squared loss) or n with values
/// ±1 (logistic). `warm` (optional) starts from a previous solution with the same patterns (λ paths).
two_layer_solution solve_two_layer(const torch::Tensor& X, const torch::Tensor& y,
                                   const pattern_set& patterns, const solve_params& params,
                                   solve_stats* stats = nullptr, const two_layer_solution* warm = nullptr);

/// Network outputs of the convex model on inputs X2 (n2×d): gated Σ 1[X2 g_i > 0] X2 u_i (strictness as in
/// `strict_gates`); ReLU Σ σ(X2 v_i) − σ(X2 w_i). Shape n2×c.
torch::Tensor predict(const two_layer_solution& s, const torch::Tensor& X2, bool strict_gates = true);

/// Convex outputs on the training data through the stored masks (no gates needed): n×c.
torch::Tensor predict_train(const two_layer_solution& s, const torch::Tensor& X);

/// F of a solution on (X, y) with its stored masks (constraints not checked), and its parts.
struct objective_parts {
  double objective = 0, data_loss = 0, penalty = 0, violation = 0;
};
objective_parts convex_objective(const two_layer_solution& s, const torch::Tensor& X, const torch::Tensor& y);

// ---------------------------------------------------------------------------------------------------------
// Recovery (THEORY §10): each non-zero block u gives a neuron with first-layer weights u/‖u‖^{1/2} and output
// weights ±u_out/‖u‖^{1/2} ... (for c = 1: ±‖u‖^{1/2}); for ReLU solutions the network's regularised
// objective
//   1/(2n)‖f(X) − y‖² + (λ/2) (‖W₁‖²_F + ‖W₂‖²_F)
// equals the convex objective exactly when the cone constraints hold. Gated-ReLU solutions recover to a ReLU
// network that agrees with the gated model only where each gate's pattern equals the ReLU pattern of its
// recovered neuron (docs/convex.md).

struct two_layer_network {
  torch::Tensor W1;                                     ///< k×d first-layer weights (rows = neurons)
  torch::Tensor W2;                                     ///< c×k output weights
  torch::Tensor forward(const torch::Tensor& X) const;  ///< σ(X W1ᵀ) W2ᵀ
  /// 1/(2n)‖f(X) − y‖² + (λ/2)(‖W1‖² + ‖W2‖²) (squared loss) or the logistic analogue.
  double objective(const torch::Tensor& X, const torch::Tensor& y, double lambda,
                   loss_kind loss = loss_kind::squared) const;
};

/// Neurons of the non-zero groups (groups with norm ≤ zero_tol·max norm are dropped).
two_layer_network recover_network(const two_layer_solution& s, double zero_tol = 0);

/// The two-layer network as the THEORY §1 ResNet of depth 1: width w = d + c, hidden k = neurons;
/// W_1 reads x (bias column 0), V_1 writes the output weights into the padding coordinates d..d+c−1, and U
/// reads those coordinates. Float32 on CPU.
nn::resnet to_resnet(const two_layer_network& net, data::task_kind kind = data::task_kind::regression);

}  // namespace occam::convex
