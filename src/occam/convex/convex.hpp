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
enum class solver_kind { fista, augmented_lagrangian, admm };
/// Why a solve ended.
enum class stop_reason {
  converged,        ///< the tolerance was met
  target_reached,   ///< the objective reached solve_params::target_objective
  iteration_limit,  ///< max_iterations (or the AL's round limit) ran out first
  diverged,         ///< a step size or value left the finite range; the best finite iterate is returned
  /// the step test failed at every credible step size with finite values: rounding in the data's dtype
  /// dominates the decrease (float32 near the optimum); the best iterate is returned
  precision_limit,
  interrupted  ///< solve_params::should_stop returned true; the best iterate so far is returned
};

const char* to_string(model_kind m);
const char* to_string(loss_kind l);
const char* to_string(stop_reason r);

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
  double products = 0;  ///< full-width-equivalent products with X or Xᵀ so far (solve_stats::columns)
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
  /// Keep zero groups with ‖∇_i‖ > margin·λ in the working set (KKT: zero groups need ‖∇_i‖ ≤ λ).
  double working_set_margin = 0.98;
  /// Gated problems without the metric (metric_rank = 0): re-estimate L by power iteration on the
  /// working set whenever it has shrunk by 20% since the last estimate (a sub-operator has a smaller
  /// Lipschitz constant, so FISTA may take longer steps).
  bool local_lipschitz = true;
  /// Celer-style growing working set: at most max(working_set_min, working_set_growth × non-zero groups)
  /// groups are multiplied, the non-zero ones first, then the zero groups with the largest ‖∇_i‖ > margin·λ
  /// (the full check every `check_every` steps still sees every group, so the optimum is unchanged);
  /// working_set_growth = 0 keeps every candidate (the previous behaviour).
  double working_set_growth = 2.0;
  std::int64_t working_set_min = 64;
  /// Groups from outside the working set are admitted only when the KKT residual on the working set is at
  /// most this fraction of the full one (Celer: solve the small problem before growing it); 1 = always
  /// (measured faster on the reference problem, bench/RESULTS.md).
  double working_set_inner = 1.0;
  /// Newton–CG refinement (docs/convex.md): whenever the support (non-zero groups) is unchanged between two
  /// full checks, one Newton step on the smooth restriction of F to the support, solved by preconditioned
  /// conjugate gradients (2 products per CG iteration) and accepted only if it decreases F.
  bool newton = true;
  /// The support counts as settled when at most this fraction of it changed since the previous check.
  double newton_support_change = 0.02;
  std::int64_t newton_cg_iterations = 15;  ///< CG iterations per Newton step (best of 8/15/25/40)
  double newton_cg_tol = 0.1;              ///< CG stops when ‖residual‖ ≤ this × ‖∇F_support‖
  /// Anderson extrapolation (Mai & Johansson 2020; Bertrand & Massias 2021) with memory K (0 = off, FISTA).
  /// K > 0: proximal-gradient base steps (no momentum; extrapolating FISTA's iterates measured worse), and
  /// every K steps the last K + 1 iterates U_j give residuals r_j = U_{j+1} − U_j; the combination
  /// Σ c_j U_{j+1}, Σ c_j = 1, minimising ‖Σ c_j r_j‖ replaces the iterate when it lowers F. Z = X U is
  /// linear in U, so its product is the same combination of the stored ones: no GEMM. On the reference
  /// problem K = 4 with working_set_growth = 1.5 needs 34 % fewer products than the defaults, but on six more
  /// problems it ranges from −13 % (logistic) to +45 % (λ = 1e-3 to a gap of 1e-5): off by default
  /// (bench/RESULTS.md, "Convex training … Anderson extrapolation").
  std::int64_t anderson = 0;
  /// Low-rank curvature metric (gated2 and gated3, not the augmented Lagrangian; docs/convex.md): FISTA steps
  /// in the metric B = σ(I − VVᵀ) + V diag(θ)Vᵀ, where V holds `metric_rank` approximate top eigenvectors of
  /// the Hessian of the working-set problem and θ their curvatures (Rayleigh–Ritz on candidates built from
  /// the `metric_directions` leading principal directions of X; no product with X), so the step along every
  /// other direction is 1/σ instead of 1/λ_max. The group-norm prox in B is an r×c semismooth-Newton problem.
  /// 0 = off (plain step 1/L).
  std::int64_t metric_rank = 10;
  std::int64_t metric_directions = 10;  ///< principal directions of X the candidates are built on
  std::int64_t metric_block = 4;        ///< Krylov block per direction
  std::int64_t metric_depth = 3;        ///< Krylov blocks per direction
  // Augmented Lagrangian (ReLU model).
  double al_rho = 0;               ///< initial penalty; 0 = automatic (1/n)
  double al_violation_tol = 1e-4;  ///< stop when max violation ≤ this (relative to max |X v|)
  std::int64_t al_max_outer = 40;
  std::int64_t al_inner_iterations = 1000;  ///< cap per round
  // ADMM (ReLU model, squared loss; solver_kind::admm, src/occam/convex/admm.cpp). Stops when the objective
  // is ≤ target_objective (if set) with the relative violation ≤ al_violation_tol, or when every relative
  // primal/dual residual is ≤ tol with that violation.
  double admm_rho = 0;                  ///< initial cone penalty ρ₂; 0 = automatic (1/n)
  std::int64_t admm_cg_iterations = 4;  ///< PCG steps per U-update (warm-started)
  double admm_cg_tol = 1e-2;            ///< PCG stops when ‖residual‖ ≤ this × the initial one
  double admm_relaxation = 1.6;         ///< over-relaxation α ∈ (0, 2) (1 = plain ADMM)
  bool admm_adaptive = true;            ///< residual balancing of ρ₁, ρ₂
  int threads = 0;                      ///< 0 = leave libtorch's setting
  std::function<void(const log_record&)> on_log;  ///< called at each check
  /// Polled once per step; returning true ends the solve with stop_reason::interrupted and the best
  /// iterate seen at a check (a signal handler's flag, for the CLI's SIGTERM / Ctrl-C).
  std::function<bool()> should_stop;
};

struct solve_stats {
  std::int64_t iterations = 0;
  std::int64_t outer_iterations = 0;
  std::int64_t backtracks = 0;
  std::int64_t restarts = 0;
  std::int64_t products = 0;  ///< GEMMs with X or Xᵀ (any width)
  double columns = 0;         ///< Σ over GEMMs of (columns multiplied / full width): full-width equivalents
  std::int64_t lipschitz_estimates = 0;
  std::int64_t newton_steps = 0;       ///< accepted Newton–CG steps
  std::int64_t newton_rejected = 0;    ///< Newton–CG steps that did not decrease F (discarded)
  std::int64_t cg_iterations = 0;      ///< CG iterations over all Newton steps
  std::int64_t anderson_accepted = 0;  ///< Anderson extrapolations that lowered F (taken)
  std::int64_t anderson_rejected = 0;  ///< Anderson extrapolations that did not (discarded)
  std::int64_t metric_builds = 0;      ///< low-rank metrics built (one per working-set change)
  std::int64_t metric_newton = 0;      ///< semismooth-Newton iterations in the metric's proximal steps
  double objective = 0;                ///< F (ReLU: of the final iterate, constraints as they are)
  double data_loss = 0;                ///< loss part of F
  double penalty = 0;                  ///< λ Σ group norms
  double gap = -1;                     ///< duality gap (squared loss gated ReLU), −1 otherwise
  double kkt = -1;                     ///< ‖min-norm subgradient‖
  double violation = 0;                ///< ReLU: max constraint violation
  double seconds = 0;
  std::int64_t active = 0;  ///< non-zero groups
  bool converged = false;
  bool reached_target = false;
  stop_reason stop = stop_reason::iteration_limit;
  std::string message;  ///< for diverged runs: which value left the finite range
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

// ---------------------------------------------------------------------------------------------------------
// Three layers: K parallel sub-networks with path regularisation (THEORY §10, Ergen & Pilanci)
//
//   f(X) = Σ_k σ( σ(X W_{1k}) w_{2k} ) w_{3k}ᵀ,   W_{1k} ∈ R^{d×m}, w_{2k} ∈ R^m, w_{3k} ∈ R^c,
//   R    = Σ_k ‖w_{3k}‖₂ · ( Σ_j ‖W_{1k}[:,j]‖² w_{2kj}² )^{1/2}     (the ℓ2 path norm of each sub-network).
// A pattern tuple t = (s, D_{1,1..m}, D_2) makes a sub-network linear in V = (|w_{2j}| W_1[:,j])_j on the
// cone C_t = { V : (2D_{1j} − I) X v_j ≥ 0 ∀j, (2D_2 − I) Σ_j s_j D_{1j} X v_j ≥ 0 }. With the objective
// divided by n (β = nλ, as for two layers):
//   path3 (THEORY's program, cone-constrained, c = 1):
//     F = 1/(2n)‖Σ_t D_2^t Σ_j s_j^t D_{1j}^t X (W_t[:,j] − W'_t[:,j]) − y‖² + λ Σ_t (‖W_t‖_F + ‖W'_t‖_F),
//     W_t, W'_t ∈ C_t;
//   gated3 (its gated relaxation, no cones, any c): F = 1/(2n)‖Σ_t D_2^t Σ_j s_j^t D_{1j}^t X W_t[:,j,:] −
//   y‖²
//     + λ Σ_t ‖W_t‖_F   (W_t ∈ R^{d×m×c}).

struct path3_patterns {
  std::int64_t m = 0;   ///< first-layer width of each sub-network
  torch::Tensor signs;  ///< T×m, s_j = ±1 (sign of w_{2j})
  torch::Tensor D1;     ///< n×T×m, D_{1j} (0/1)
  torch::Tensor D2;     ///< n×T, D_2 (0/1)
  torch::Tensor gates;  ///< d×T×m first-layer gate directions of sampled tuples; undefined when enumerated
  std::int64_t size() const { return D2.defined() ? D2.size(1) : 0; }
};

struct path3_sample_params {
  std::int64_t count = 100;  ///< tuples drawn: Gaussian V (d×m) and random signs with s_1 = +1
  std::int64_t width = 2;    ///< m
  std::uint64_t seed = 0;
};

/// Sampled tuples D_{1j} = 1[X g_j ≥ 0], D_2 = 1[Σ_j s_j D_{1j} X g_j ≥ 0]; distinct tuples kept
/// (stats->sampled, stats->distinct). s_1 = +1 without loss of generality: sub-networks are symmetric under
/// permuting their hidden units, and a tuple with every s_j = −1 has output 0.
path3_patterns sample_path3_patterns(const torch::Tensor& X, const path3_sample_params& params = {},
                                     sample_stats* stats = nullptr);

/// Every pattern tuple a sub-network of width m can realise, up to dominated ones (tiny n, d): multisets of m
/// (sign, chamber pattern) pairs with at least one + sign; D_2 = 1 on rows where only + terms are active, 0
/// where only − terms or none are (those choices contain the others' cones with the same outputs), and both
/// values on mixed rows. Throws input_error above `max_tuples`.
path3_patterns enumerate_path3_patterns(const torch::Tensor& X, std::int64_t width,
                                        std::int64_t max_tuples = 200000);

struct path3_solution {
  bool constrained = false;  ///< path3 (cones) or gated3
  loss_kind loss = loss_kind::squared;
  path3_patterns patterns;
  torch::Tensor W;   ///< d×T×m×c (constrained: W_t, the sub-networks with w_3 > 0; c = 1)
  torch::Tensor Wn;  ///< constrained only: W'_t (w_3 < 0), d×T×m×1
  double lambda = 0;
};

/// Solves path3 (params.model == model_kind::relu: augmented Lagrangian with the FISTA of solve_two_layer as
/// inner solver) or gated3 (model_kind::gated_relu: FISTA with group soft-thresholding over the T groups).
path3_solution solve_path3(const torch::Tensor& X, const torch::Tensor& y, const path3_patterns& patterns,
                           const solve_params& params, solve_stats* stats = nullptr,
                           const path3_solution* warm = nullptr);

/// Convex-model outputs on the training data through the stored tuples: n×c.
torch::Tensor predict_path3_train(const path3_solution& s, const torch::Tensor& X);

/// F of a solution (constraints not enforced) with its data loss, penalty and max cone violation.
objective_parts path3_objective(const path3_solution& s, const torch::Tensor& X, const torch::Tensor& y);

/// An evaluable network of K parallel three-layer sub-networks (not representable as the THEORY §1 ResNet).
struct path3_network {
  torch::Tensor W1;  ///< K×d×m
  torch::Tensor w2;  ///< K×m
  torch::Tensor b1;  ///< K×m first-layer biases (part of W_{1k}[:,j] in the path norm); undefined = 0
  torch::Tensor w3;  ///< K×c
  std::int64_t size() const { return W1.defined() ? W1.size(0) : 0; }
  torch::Tensor forward(const torch::Tensor& X) const;  ///< n×c, in X's dtype and device
  /// Σ_k ‖w_{3k}‖ (Σ_j (‖W_{1k}[:,j]‖² + b_{1kj}²) w_{2kj}²)^{1/2}
  double path_penalty() const;
  /// data loss (1/(2n)‖·‖² or logistic) + λ · path_penalty(), in float64.
  double objective(const torch::Tensor& X, const torch::Tensor& y, double lambda,
                   loss_kind loss = loss_kind::squared) const;
};

/// Recovery (THEORY §10): each non-zero group W_t gives a sub-network V = W_t/‖W_t‖_F^{1/2}, w_2 = s^t,
/// w_3 = ±‖W_t‖_F^{1/2}; for path3 solutions whose cones hold, its objective equals the convex objective.
/// Vector-output (gated3) groups are split by their SVD into rank-one sub-networks (penalty = nuclear norm
/// ≥ the Frobenius group norm). Groups with norm ≤ zero_tol·max are dropped.
path3_network recover_path3(const path3_solution& s, double zero_tol = 0);

/// Text format: lines "occam-path3 1", "K d m c", then W1, b1, w2, w3 (row-major, float64 values, one tensor
/// per line); load raises input_error on anything else.
void save_path3_network(const path3_network& net, const std::string& path);
path3_network load_path3_network(const std::string& path);

}  // namespace occam::convex
