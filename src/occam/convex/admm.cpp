// ADMM for the cone-constrained two-layer ReLU program (THEORY §10; the splitting of Bai, Gautam & Sojoudi,
// "Efficient global optimization of two-layer ReLU networks", written here from the program's definition).
//
// Groups k = 1..K (K = 2P: the v_i with prediction sign +1, then the w_i with −1), masks D_k, cone signs
// S_k = 2D_k − 1. With copies Z = U (for the group norm) and slacks s_k = S_k ⊙ X u_k ≥ 0 (for the cones):
//   min ℓ(XU) + λ Σ_k ‖z_k‖ + ι(s ≥ 0)   s.t.  U = Z,  S ⊙ (XU) = s,
// and scaled duals Γ (d×K), N (n×K), penalties ρ₁ (copies) and ρ₂ (cones). One iteration:
//   U ← argmin ℓ(XU) + ρ₁/2 ‖U − Z + Γ‖² + ρ₂/2 ‖S ⊙ XU − s + N‖²     (a linear system, by PCG)
//   Z ← group soft-thresholding of U + Γ at λ/ρ₁;   s ← (S ⊙ XU + N)_+;   Γ += U − Z;   N += S ⊙ XU − s.
// Why it is fast: S_k ⊙ S_k = 1, so the cone term's Hessian is ρ₂ XᵀX for *every* group, and ρ₁ I + ρ₂ XᵀX
// is inverted for all groups at once from one eigendecomposition of the d×d Gram matrix (any ρ, no
// refactorisation). The loss couples the groups; PCG handles it, warm-started at the previous U, so a few CG
// steps (two products each) per iteration suffice. Unlike the augmented Lagrangian with a growing penalty,
// no subproblem becomes ill-conditioned; ρ₁, ρ₂ follow residual balancing (Boyd et al. 2011, §3.4.1).
#include "occam/convex/admm.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace occam::convex::detail {

void solve_relu_admm(const torch::Tensor& X, const torch::Tensor& y, const torch::Tensor& D,
                     const solve_params& params, solve_stats& st, torch::Tensor& U3) {
  using clock_type = std::chrono::steady_clock;
  const auto t0 = clock_type::now();
  auto seconds = [&] { return std::chrono::duration<double>(clock_type::now() - t0).count(); };
  const auto n = X.size(0), d = X.size(1), P = D.size(1), K = 2 * P;
  const double nd = double(n), lambda = params.lambda;
  auto DS = torch::cat({D, -D}, 1);        // n×K prediction signs
  auto S = 2 * torch::cat({D, D}, 1) - 1;  // n×K cone signs
  auto count = [&](double width) {
    ++st.products;
    st.columns += width;
  };
  // Eigendecomposition of XᵀX (float64 for accuracy; applied in X's dtype).
  auto gram = X.t().mm(X);
  count(double(d) / double(K));
  auto eig = torch::linalg_eigh(gram.to(torch::kFloat64));
  auto evals = torch::clamp_min(std::get<0>(eig), 0).to(X.scalar_type());
  auto Q = std::get<1>(eig).to(X.scalar_type());
  const double top = evals.max().item<double>();
  // ρ₂: the squared loss has curvature 1/n per unit of prediction (the reference problem converges faster
  // with 10/n, the tiny test problems only with 1/n: bench/RESULTS.md). ρ₁ makes the two penalty terms
  // comparable (mean eigenvalue of XᵀX = mean squared column norm).
  double rho2 = params.admm_rho > 0 ? params.admm_rho : 1.0 / nd;
  double rho1 = rho2 * std::max(evals.mean().item<double>(), 1e-12);

  auto U = U3.reshape({d, K}).clone();
  auto Z = U.clone();
  auto G = torch::zeros_like(U);
  auto XU = X.mm(U);
  count(1);
  auto s = torch::relu(S * XU);
  auto N = torch::zeros_like(s);
  auto Xty = X.t().mm(DS * y) / nd;  // d×K
  count(1);
  const double grad_scale = std::max(Xty.to(torch::kFloat64).norm().item<double>(), 1e-300);
  auto pred = [&](const torch::Tensor& Zn) { return (Zn * DS).sum(1, true); };
  auto precond = [&](const torch::Tensor& R) {
    return Q.mm(Q.t().mm(R) / (rho1 + rho2 * evals).unsqueeze(1));
  };
  auto dot = [](const torch::Tensor& a, const torch::Tensor& b) {
    return (a * b).to(torch::kFloat64).sum().item<double>();
  };
  auto norm = [](const torch::Tensor& a) { return a.to(torch::kFloat64).norm().item<double>(); };

  double F = INFINITY, violation = INFINITY, rel_violation = INFINITY, residual = INFINITY;
  torch::Tensor Z_finite =
      Z;  // the last checked iterate with a finite objective (Z is never updated in place)
  std::int64_t it = 0;
  for (;; ++it) {
    const bool check = it % params.check_every == 0 || it >= params.max_iterations;
    if (params.should_stop && params.should_stop()) {
      st.stop = stop_reason::interrupted;
      Z = Z_finite;
      break;
    }
    if (check) {
      auto XZ = X.mm(Z);
      count(1);
      auto r = pred(XZ) - y;
      const double loss = 0.5 * r.to(torch::kFloat64).square().sum().item<double>() / nd;
      const double pen = lambda * Z.to(torch::kFloat64).norm(2, 0).sum().item<double>();
      F = loss + pen;
      if (!std::isfinite(F) || !(rho1 > 0 && rho2 > 0 && std::isfinite(rho1) && std::isfinite(rho2))) {
        st.stop = stop_reason::diverged;
        st.message = "the ADMM objective or a penalty parameter left the finite range";
        Z = Z_finite;
        break;
      }
      Z_finite = Z;
      violation = torch::relu(-S * XZ).max().item<double>();
      rel_violation = violation / (XZ.abs().max().item<double>() + 1e-300);
      st.objective = F;
      st.data_loss = loss;
      st.penalty = pen;
      st.violation = violation;
      st.kkt = residual;
      st.active = (Z.norm(2, 0) > 0).sum().item<std::int64_t>();
      if (params.on_log) {
        log_record rec;
        rec.iteration = it;
        rec.seconds = seconds();
        rec.objective = F;
        rec.kkt = residual;
        rec.violation = violation;
        rec.step = rho2;
        rec.active = st.active;
        rec.working_set = K;
        rec.products = st.columns;
        params.on_log(rec);
      }
      const bool feasible = rel_violation <= params.al_violation_tol;
      if (!std::isnan(params.target_objective) && feasible && F <= params.target_objective) {
        st.reached_target = true;
        st.converged = true;
        st.stop = stop_reason::target_reached;
        break;
      }
      if (feasible && residual <= params.tol) {
        st.converged = true;
        st.stop = stop_reason::converged;
        break;
      }
      if (it >= params.max_iterations) break;
    }
    // U-update by PCG, warm-started: residual b − H U with H U = Xᵀ(DS ⊙ pred(XU)/n + ρ₂ XU) + ρ₁ U.
    auto r = Xty + rho1 * (Z - G - U) + X.t().mm(rho2 * (S * (s - N) - XU) - DS * pred(XU) / nd);
    count(1);
    const double r0 = norm(r);
    auto zr = precond(r);
    auto p = zr;
    double rz = dot(r, zr);
    for (std::int64_t j = 0; j < params.admm_cg_iterations && r0 > 0; ++j) {
      auto Xp = X.mm(p);
      auto Hp = X.t().mm(DS * pred(Xp) / nd + rho2 * Xp) + rho1 * p;
      count(2);
      ++st.cg_iterations;
      const double pHp = dot(p, Hp);
      if (!(pHp > 0)) break;
      const double alpha = rz / pHp;
      U = U + alpha * p;
      XU = XU + alpha * Xp;
      r = r - alpha * Hp;
      if (norm(r) <= params.admm_cg_tol * r0) break;
      zr = precond(r);
      const double rz_new = dot(r, zr);
      p = zr + (rz_new / rz) * p;
      rz = rz_new;
    }
    // Z- and s-updates, duals.
    // Over-relaxation (Boyd §3.4.3): the Z-, s- and dual updates see α·(new) + (1 − α)·(old copy).
    const double a = params.admm_relaxation;
    auto Uh = a == 1 ? U : a * U + (1 - a) * Z;
    auto CU = S * XU;
    auto CUh = a == 1 ? CU : a * CU + (1 - a) * s;
    auto Zold = Z;
    auto V = Uh + G;
    auto nr = V.norm(2, 0, true);
    Z = V * torch::clamp_min(1 - (lambda / rho1) / torch::clamp_min(nr, 1e-300), 0);
    auto sold = s;
    s = torch::relu(CUh + N);
    G = G + Uh - Z;
    N = N + CUh - s;
    auto p1 = U - Z, p2 = CU - s;
    // Primal residuals relative to their vectors; dual residuals (ρ₁ ΔZ and ρ₂ Xᵀ(S ⊙ Δs), the latter bounded
    // by ρ₂ ‖X‖ ‖Δs‖ to save a product) relative to the loss gradient at U = 0, (1/n) Xᵀ(DS ⊙ y) (Boyd §3.3).
    const double eps = 1e-300;
    const double rp1 = norm(p1) / (std::max(norm(U), norm(Z)) + eps);
    const double rp2 = norm(p2) / (std::max(norm(CU), norm(s)) + eps);
    const double rd1 = rho1 * norm(Z - Zold) / grad_scale;
    const double rd2 = rho2 * std::sqrt(top) * norm(s - sold) / grad_scale;
    residual = std::max({rp1, rp2, rd1, rd2});
    // Residual balancing every few iterations (scaled duals rescale with ρ).
    if (params.admm_adaptive && it % 5 == 4) {
      auto balance = [](double rp, double rd, double& rho, torch::Tensor& dual) {
        double f = rp > 10 * rd ? 2.0 : (rd > 10 * rp ? 0.5 : 1.0);
        if (f != 1.0) {
          rho *= f;
          dual = dual / f;
        }
      };
      balance(rp1, rd1, rho1, G);
      balance(rp2, rd2, rho2, N);
    }
  }
  st.iterations = it;
  st.seconds = seconds();
  U3 = Z.reshape(U3.sizes()).contiguous();
}

}  // namespace occam::convex::detail
