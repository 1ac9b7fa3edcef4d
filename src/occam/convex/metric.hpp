#pragma once
// Private to the convex module: the low-rank curvature metric of the gated FISTA (docs/convex.md, "Low-rank
// curvature metric").
//
// Why: on the reference problem the Hessian H = AᵀA/n of the gated program (A U = Σ_i D_i X u_i) has a few
// large outlying eigenvalues (6.7, 1.5, 0.75, 0.58, …, the 11th is 0.16), so FISTA's step 1/λ_max is far too
// short for every other direction. Its top eigenvectors are, to 95–99.8 %, of the form u_i = c_i q_a with q_a
// a top principal direction of X (the j-th eigenvector lives on the first j principal directions). For such
// vectors A(q_a ⊗ c) = (X q_a) ⊙ (D c) costs no product with X, so a Rayleigh–Ritz step on candidates
// q_a ⊗ c (c from a block Krylov space of the per-direction Gram D_Wᵀ diag((X q_a)²) D_W / n) gives r
// orthonormal directions V and curvatures θ with the TRUE H, at the cost of a few GEMMs with the 0/1 masks.
// FISTA then runs in the metric
//   B = σ (I − V Vᵀ) + V diag(max(θ, σ)) Vᵀ,
// with σ (the step-size estimate of the other directions) found by backtracking as before, and the proximal
// step of the group norm in that metric is an r×c root-finding problem solved by semismooth Newton.
#include <torch/types.h>

#include <cstdint>
#include <functional>

namespace occam::convex::detail {

/// Principal directions of X (the s leading eigenvectors of XᵀX, d×s) and Y = X Q (n×s), computed once per
/// solve.
struct principal_directions {
  torch::Tensor Q;  ///< d×s, orthonormal
  torch::Tensor Y;  ///< n×s
};
principal_directions top_principal_directions(const torch::Tensor& X, std::int64_t s);

struct metric_params {
  std::int64_t rank = 10;    ///< r: directions with their own curvature
  std::int64_t block = 4;    ///< Krylov block size per principal direction
  std::int64_t depth = 3;    ///< Krylov blocks per principal direction (candidates = block × depth each)
  double curvature = 1.0;    ///< loss curvature bound (squared 1, logistic 1/4)
  std::int64_t columns = 1;  ///< mask columns per group (three layers: the sub-network width m)
};

/// B = σ (I − V Vᵀ) + V diag(max(θ, σ)) Vᵀ on U-space tensors d×k×(m·c) (k groups of m mask columns, c
/// outputs; the same metric on each output).
struct low_rank_metric {
  torch::Tensor V;           ///< (d·k·m)×r, orthonormal columns (rows ordered as U.reshape({d·k·m, c}))
  std::int64_t columns = 1;  ///< m
  torch::Tensor theta;       ///< r curvatures along V (Ritz values of H)
  double theta_top = 0;      ///< largest Ritz value (≈ λ_max(H))
  double theta_next = 0;     ///< the (r+1)-th Ritz value: a first guess for σ
  std::int64_t newton_iterations = 0;  ///< semismooth Newton steps over all proximal steps

  bool active() const { return V.defined() && V.size(1) > 0; }
  /// B⁻¹ g.
  torch::Tensor inverse_apply(const torch::Tensor& g, double sigma) const;
  /// ‖δ‖²_B (double).
  double norm2(const torch::Tensor& delta, double sigma) const;
  /// argmin_w λ Σ_i ‖w_i‖ + ½ ‖w − x‖²_B (x: d×k×(m·c); group i = x[:, i, :]).
  torch::Tensor prox(const torch::Tensor& x, double lambda, double sigma);
};

/// The metric for the working-set problem with prediction masks Dw (n×(k·m), in X's dtype; three layers:
/// s_j D_{1j} D_2): Rayleigh–Ritz with the true H = AᵀA/n (times params.curvature) on principal-direction
/// candidates. No product with X.
low_rank_metric build_low_rank_metric(const principal_directions& pd, const torch::Tensor& Dw,
                                      const metric_params& params);

/// Preconditioner for Newton–CG on the support `groups` (indices into the metric's working set) with Jacobi
/// diagonal P (d×|S|×c): r ↦ M⁻¹r for M = P + W Wᵀ, W = V_S diag(θ − v_jᵀ P v_j)_+^{1/2} per output
/// (Woodbury), i.e. P with the metric's outlying curvatures added back; plain r/P when the metric is inactive
/// or its groups have several columns.
std::function<torch::Tensor(const torch::Tensor&)> newton_preconditioner(const low_rank_metric& metric,
                                                                         const torch::Tensor& P,
                                                                         const torch::Tensor& groups);

}  // namespace occam::convex::detail
