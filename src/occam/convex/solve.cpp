// Solvers for the two-layer convex programs (THEORY §10): FISTA with group soft-thresholding, backtracking,
// adaptive restarts and a working set for gated ReLU; an augmented Lagrangian with the same inner FISTA for
// the cone-constrained ReLU program.
//
// Why it is fast: with U = [u_1 … u_P] (d×P) the operator A(U) = Σ_i D_i X u_i is rowsum((X U) ⊙ D) — one
// GEMM — and its adjoint Aᵀ r = Xᵀ(D ⊙ r) is one GEMM. Z = X U is linear in U, so the momentum point's Z is a
// combination of the last two iterates' Z and each step costs one forward and one adjoint GEMM (plus one
// forward per backtrack). Groups that stay zero with ‖∇_i‖ < λ leave the working set, so late iterations
// multiply only by the active columns; a full gradient every `check_every` steps re-admits KKT violators and
// gives the duality gap and the KKT residual on all groups. Few steps: the gated problems step in a low-rank
// curvature metric (metric.hpp) that takes the Hessian's outlying eigen-directions out of the step size.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "occam/convex/admm.hpp"
#include "occam/convex/convex.hpp"
#include "occam/convex/metric.hpp"
#include "occam/nn/train.hpp"
#include "occam/util/error.hpp"

namespace occam::convex {

const char* to_string(model_kind m) {
  return m == model_kind::relu ? "relu2" : "gated2";
}
const char* to_string(loss_kind l) {
  return l == loss_kind::logistic ? "logistic" : "squared";
}
const char* to_string(stop_reason r) {
  switch (r) {
    case stop_reason::converged:
      return "converged";
    case stop_reason::target_reached:
      return "target_reached";
    case stop_reason::iteration_limit:
      return "iteration_limit";
    case stop_reason::diverged:
      return "diverged";
    case stop_reason::precision_limit:
      return "precision_limit";
    case stop_reason::interrupted:
      return "interrupted";
  }
  return "?";
}

namespace {

using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// Gaussian start vector for power iterations, drawn from a fixed-seed CPU generator (so solves are
/// reproducible run to run and independent of the global torch seed), then moved to the options' device.
torch::Tensor power_start(at::IntArrayRef sizes, const torch::TensorOptions& opts) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0x5eed);
  return torch::randn(sizes, gen, torch::TensorOptions().dtype(torch::kFloat32)).to(opts);
}

/// Loss of predictions p (n×c) against y (n×c), divided by n, and its gradient w.r.t. p. Reductions in
/// double.
double loss_value(loss_kind loss, const torch::Tensor& p, const torch::Tensor& y, torch::Tensor* grad) {
  const double n = double(p.size(0));
  if (loss == loss_kind::squared) {
    auto r = p - y;
    if (grad) *grad = r / n;
    return 0.5 * r.to(torch::kFloat64).square().sum().item<double>() / n;
  }
  auto m = -y * p;  // logistic: log(1 + exp(−y p))
  if (grad) *grad = -y * torch::sigmoid(m) / n;
  return torch::nn::functional::softplus(m.to(torch::kFloat64)).sum().item<double>() / n;
}

/// The smooth part of a (restricted) problem as a function of Z = X U (n × k·m·c), for k groups of m columns
/// each (m = 1 for two layers; m = the sub-network width for path3, THEORY §10).
struct smooth_problem {
  loss_kind loss = loss_kind::squared;
  torch::Tensor y;  // n×c
  std::int64_t c = 1;
  std::int64_t m = 1;  // columns per group
  // Full-problem data (G groups).
  torch::Tensor D;     // n×(G·m) prediction masks (path3: s_j D_{1j} D_2)
  torch::Tensor sign;  // G: +1 / −1 (ReLU: V then W); undefined for gated (all +1)
  torch::Tensor S1;    // n×(G·m) first-layer cone signs 2D_1 − 1; undefined → 2D − 1 (two layers)
  torch::Tensor mu;    // n×(G·m) AL multipliers (constrained); undefined for gated
  torch::Tensor E, S2, mu2;  // path3 second-layer cone S2 ⊙ Σ_j (E ⊙ Z)_j ≥ 0: n×(G·m), n×G, n×G
  double rho = 0;
  // Restricted copies for the current working set.
  torch::Tensor Dw, Sw, signw, muw, DSw, Ew, S2w, mu2w;  // DSw = D ⊙ sign

  bool constrained() const { return mu.defined(); }

  torch::Tensor columns(const torch::Tensor& idx) const {
    if (m == 1) return idx;
    return (idx.unsqueeze(1) * m + torch::arange(m, idx.options()).unsqueeze(0)).reshape(-1);
  }

  void restrict_to(const torch::Tensor& idx) {
    auto cols = columns(idx);
    Dw = D.index_select(1, cols);
    DSw = Dw;
    if (sign.defined()) {
      signw = sign.index_select(0, idx);
      DSw = Dw * (m == 1 ? signw : signw.repeat_interleave(m));
    }
    if (constrained()) {
      Sw = S1.defined() ? S1.index_select(1, cols) : 2 * Dw - 1;
      muw = mu.index_select(1, cols);
      if (E.defined()) {
        Ew = E.index_select(1, cols);
        S2w = S2.index_select(1, idx);
        mu2w = mu2.index_select(1, idx);
      }
    }
  }

  torch::Tensor predict(const torch::Tensor& Z) const {
    const auto n = Z.size(0);
    const auto k = DSw.size(1);
    if (c == 1) return (Z * DSw).sum(1, true);
    return (Z.view({n, k, c}) * DSw.unsqueeze(2)).sum(1);
  }

  /// Adjoint of predict: ∂⟨g, predict(Z)⟩/∂Z for g n×c.
  torch::Tensor adjoint(const torch::Tensor& g) const {
    const auto n = g.size(0);
    const auto k = DSw.size(1);
    return c == 1 ? DSw * g : (DSw.unsqueeze(2) * g.unsqueeze(1)).reshape({n, k * c});
  }

  /// Value of the smooth part (loss + AL penalty) at Z; with dZ, its gradient w.r.t. Z.
  double value(const torch::Tensor& Z, torch::Tensor* dZ, double* loss_only = nullptr) const {
    const auto n = Z.size(0);
    torch::Tensor g;
    double v = loss_value(loss, predict(Z), y, dZ ? &g : nullptr);
    if (loss_only) *loss_only = v;
    if (dZ) *dZ = adjoint(g);
    if (constrained()) {
      // (1/(2ρ)) Σ (μ − ρ C)_+²,  C = (2D − I) ⊙ Z ≥ 0;  ∂/∂C = −(μ − ρC)_+.
      auto h = torch::relu(muw - rho * (Sw * Z));
      v += 0.5 / rho * h.to(torch::kFloat64).square().sum().item<double>();
      if (dZ) *dZ -= Sw * h;
      if (Ew.defined()) {  // path3: C2 = S2 ⊙ Σ_j E_j ⊙ Z_j ≥ 0 per group
        const auto k = S2w.size(1);
        auto q = (Ew * Z).view({n, k, m}).sum(2);
        auto h2 = torch::relu(mu2w - rho * (S2w * q));
        v += 0.5 / rho * h2.to(torch::kFloat64).square().sum().item<double>();
        if (dZ) *dZ -= (Ew.view({n, k, m}) * (S2w * h2).unsqueeze(2)).reshape({n, k * m});
      }
    }
    return v;
  }

  /// Second derivatives of the smooth part at Z (for Newton–CG): the loss curvature per row (squared: 1/n;
  /// logistic: σ(1 − σ)/n) and the active pieces of the AL penalty (μ − ρC)_+ (a semismooth Hessian).
  struct curvature {
    torch::Tensor wloss, pen, pen2;
  };
  curvature curvature_at(const torch::Tensor& Z) const {
    const auto n = Z.size(0);
    curvature cv;
    if (loss == loss_kind::squared) {
      cv.wloss = torch::full({1, 1}, 1.0 / double(n), Z.options());
    } else {
      auto s = torch::sigmoid(-y * predict(Z));  // y² = 1
      cv.wloss = s * (1 - s) / double(n);
    }
    if (constrained()) {
      cv.pen = (muw - rho * (Sw * Z) > 0).to(Z.scalar_type());
      if (Ew.defined()) {
        const auto k = S2w.size(1);
        auto q = (Ew * Z).view({n, k, m}).sum(2);
        cv.pen2 = (mu2w - rho * (S2w * q) > 0).to(Z.scalar_type());
      }
    }
    return cv;
  }
  /// Hessian of the smooth part (w.r.t. Z) applied to dZ; the cone signs square to 1.
  torch::Tensor hess_z(const curvature& cv, const torch::Tensor& dZ) const {
    const auto n = dZ.size(0);
    auto out = adjoint(cv.wloss * predict(dZ));
    if (cv.pen.defined()) out = out + rho * cv.pen * dZ;
    if (cv.pen2.defined()) {
      const auto k = S2w.size(1);
      auto q = (Ew * dZ).view({n, k, m}).sum(2);
      out = out + (Ew.view({n, k, m}) * (rho * cv.pen2 * q).unsqueeze(2)).reshape({n, k * m});
    }
    return out;
  }
  /// Diagonal of hess_z (n × width): with (X∘X)ᵀ it gives the Jacobi preconditioner in U-space.
  torch::Tensor hess_diag(const curvature& cv) const {
    const auto n = DSw.size(0);
    auto ds = DSw.square();
    torch::Tensor out =
        c == 1 ? ds * cv.wloss
               : (ds.unsqueeze(2) * cv.wloss.unsqueeze(1)).expand({n, ds.size(1), c}).reshape({n, -1});
    if (cv.pen.defined()) out = out + rho * cv.pen;
    if (cv.pen2.defined()) out = out + rho * Ew.square() * cv.pen2.repeat_interleave(m, 1);
    return out;
  }
};

torch::Tensor group_norms(const torch::Tensor& U3) {  // d×k×c → k
  return U3.square().sum(std::vector<int64_t>{0, 2}).sqrt();
}

torch::Tensor prox_group(const torch::Tensor& V3, double thresh) {  // group soft-thresholding
  auto nr = group_norms(V3);
  auto scale = torch::clamp_min(1 - thresh / torch::clamp_min(nr, 1e-30), 0);
  return V3 * scale.view({1, -1, 1});
}

struct fista_result {
  std::int64_t iterations = 0;
  double kkt = INFINITY, gap = -1, objective = 0, loss = 0, penalty = 0;
  bool converged = false, reached_target = false;
  stop_reason stop = stop_reason::iteration_limit;
  std::string message;
  torch::Tensor Zfull;  // X U (n × G·c) at the final iterate
};

/// Largest credible step-test constant L: the loss Hessian of Σ_i D_i X u_i is at most
/// curvature · P ‖X‖²_F / n (each D_i is a contraction), the AL penalty adds ρ‖X‖²_F per group. A step test
/// that still fails 1e6 times above that bound fails for rounding or non-finite values, not curvature; the
/// dtype's range caps it too (1/L must stay representable in the kernels).
double lipschitz_cap(const torch::Tensor& X, std::int64_t groups, double rho) {
  const double fro = X.to(torch::kFloat64).square().sum().item<double>();
  const double bound = double(groups) * fro * (1.0 / double(X.size(0)) + rho);
  const double range = X.scalar_type() == torch::kFloat64 ? 1e300 : 1e30;
  return std::isfinite(bound) ? std::min(1e6 * std::max(bound, 1e-300), range) : range;
}

/// FISTA on F = smooth(X U) + λ Σ‖u_i‖ over U (d×G×c), in place. Stops when the KKT residual ≤ kkt_tol, the
/// relative duality gap ≤ gap_tol (squared-loss gated problems only), the target objective is reached, or
/// after max_iter steps. `L` carries the step-size estimate between calls.
fista_result fista(const torch::Tensor& X, smooth_problem& sp, torch::Tensor& U, double lambda, double& L,
                   std::int64_t max_iter, double kkt_tol, double gap_tol, const solve_params& params,
                   solve_stats& st, std::int64_t outer, clock_type::time_point t0, std::int64_t iter_offset) {
  const auto n = X.size(0), d = X.size(1);
  const auto G = U.size(1), c = U.size(2);
  const bool want_gap = !sp.constrained() && sp.loss == loss_kind::squared;
  fista_result res;
  auto all = torch::arange(G, torch::TensorOptions().dtype(torch::kLong).device(X.device()));
  torch::Tensor idx;  // working set (group indices)
  torch::Tensor Uw, Zw, Vw, ZV;
  double FU = 0, fU = 0, t = 1;
  bool need_full = true;
  bool support_stable = false, newton_last = false;
  std::int64_t newton_wait = 0, checks_since_newton = 0;
  double F_prev_check = INFINITY, cols_prev_check = 0, fista_rate = 0;
  torch::Tensor prev_support;
  std::int64_t since_check = 0;
  // Best iterate seen at a full check: what a diverged or interrupted solve returns.
  double best_F = INFINITY, best_kkt = INFINITY;
  torch::Tensor best_U;
  const double L_cap = lipschitz_cap(X, G * c, sp.constrained() ? sp.rho : 0.0);
  // Anderson extrapolation (params.anderson): the last K + 1 iterates of the working-set problem and their
  // products X U (regrouped with the working set, cleared at Newton steps and fresh working sets).
  const auto aa_K = std::max<std::int64_t>(params.anderson, 0);
  std::vector<torch::Tensor> hist_U, hist_Z;
  std::int64_t since_aa = 0;
  auto clear_history = [&]() {
    hist_U.clear();
    hist_Z.clear();
    since_aa = 0;
  };

  // Low-rank curvature metric (metric.hpp; gated two- and three-layer problems, not the augmented Lagrangian,
  // whose penalty curvature it does not model): FISTA steps in B = σ(I − VVᵀ) + V diag(θ)Vᵀ with
  // L playing σ; rebuilt whenever the working set changes (a few GEMMs with the masks, no product with X).
  const bool use_metric = params.metric_rank > 0 && !sp.constrained();
  detail::principal_directions pd;
  detail::low_rank_metric metric;
  auto build_metric = [&]() {
    if (!pd.Q.defined()) {
      pd = detail::top_principal_directions(X, params.metric_directions);
      st.products += 2;  // XᵀX and X Q
      st.columns += double(d + pd.Q.size(1)) / double(G);
    }
    detail::metric_params mp;
    mp.rank = params.metric_rank;
    mp.block = params.metric_block;
    mp.depth = params.metric_depth;
    mp.curvature = sp.loss == loss_kind::logistic ? 0.25 : 1.0;
    mp.columns = sp.m;
    // σ keeps its ratio to the top curvature across rebuilds (what backtracking learned about the directions
    // outside V); the first guess is the next Ritz value.
    const double ratio = metric.theta_top > 0 ? L / metric.theta_top : -1;
    st.metric_newton += metric.newton_iterations;
    metric = detail::build_low_rank_metric(pd, sp.DSw, mp);
    ++st.metric_builds;
    L = ratio > 0 ? std::max(metric.theta_next, ratio * metric.theta_top) : metric.theta_next;
    // Floor: V holds Ritz vectors, not exact eigenvectors, so H ⪯ B needs σ to cover the coupling between V
    // and the rest even when the next Ritz value is ~0 (tiny or rank-deficient working sets); σ ≥ λ_max
    // always satisfies the step test, so backtracking then needs at most ~10 doublings.
    L = std::max(L, 1e-3 * metric.theta_top);
    if (!(L > 0)) L = 1.0;
  };

  auto forward = [&](const torch::Tensor& U3) {
    ++st.products;
    st.columns += double(U3.size(1)) / double(G);
    return X.mm(U3.reshape({d, -1}));
  };
  std::int64_t estimated_size = G;  // working-set size at the last Lipschitz estimate
  // Power iteration for ‖A_W‖²/n on the working set (gated problems; the AL penalty adds curvature).
  auto local_L = [&]() {
    auto v = power_start(Uw.sizes(), Uw.options());
    double est = 0;
    for (int k = 0; k < 5; ++k) {
      v = v / v.norm();
      v = X.t().mm(sp.adjoint(sp.predict(X.mm(v.reshape({d, -1}))))).view(Uw.sizes()) / double(n);
      st.products += 2;
      st.columns += 2.0 * double(Uw.size(1)) / double(G);
      est = v.norm().item<double>();
    }
    ++st.lipschitz_estimates;
    return (sp.loss == loss_kind::logistic ? 0.25 : 1.0) * est;
  };
  // After a working-set change: a new metric for the new set, or (plain step) a new L if the set shrank.
  auto refresh_step = [&]() {
    if (use_metric) {
      build_metric();
      return;
    }
    if (!params.local_lipschitz || sp.constrained()) return;
    const auto k = idx.numel();
    if (k > estimated_size) estimated_size = k;  // a grown set: backtracking raises L as needed
    if (double(k) > 0.8 * double(estimated_size)) return;
    estimated_size = k;
    L = std::min(L, 1.1 * local_L());
  };
  // A new current point (U, Z = X U, loss f) with no momentum: working-set starts, Newton steps, Anderson.
  auto take_point = [&](torch::Tensor Unew, torch::Tensor Znew, double f) {
    Uw = std::move(Unew);
    Zw = std::move(Znew);
    fU = f;
    FU = fU + lambda * group_norms(Uw).sum().item<double>();
    Vw = Uw;
    ZV = Zw;
    t = 1;
  };
  auto set_working = [&](const torch::Tensor& new_idx) {
    idx = new_idx;
    sp.restrict_to(idx);
    auto Us = U.index_select(1, idx);
    auto Zs = forward(Us);
    const double f = sp.value(Zs, nullptr);
    take_point(Us, Zs, f);
    clear_history();
  };

  // Newton–CG on the support S (non-zero groups of the working set). There F is smooth: the Hessian is
  // Aᵀ∇²ℓ A (through hess_z) plus, per group, λ (I − û ûᵀ)/‖u‖ from the group norm (THEORY §10's penalty).
  // The step solves H p = −∇F_S by Jacobi-preconditioned CG; X·p accumulates from the CG directions'
  // products, so the line search costs no further GEMM. Accepted only if F decreases (FISTA's guarantees stay
  // intact).
  torch::Tensor X2;  // X∘X for the Jacobi preconditioner
  auto newton = [&]() -> bool {
    const auto cc = Uw.size(2), kw = Uw.size(1);
    auto nrm = group_norms(Uw);
    auto act = (nrm > 0).nonzero().view(-1);
    const auto k = act.numel();
    if (k == 0) return false;
    if (!X2.defined()) X2 = X.square();
    sp.restrict_to(idx.index_select(0, act));
    auto Ua = Uw.index_select(1, act);
    auto Za = Zw.view({n, kw, cc}).index_select(1, act).reshape({n, k * cc});
    torch::Tensor dZ;
    const double f0 = sp.value(Za, &dZ);
    auto na = nrm.index_select(0, act).view({1, k, 1});
    auto dir = Ua / na;
    auto grad = X.t().mm(dZ).view({d, k, cc}) + lambda * dir;
    auto cv = sp.curvature_at(Za);
    auto precond = X2.t().mm(sp.hess_diag(cv)).view({d, k, cc}) + lambda * (1 - dir.square()) / na;
    precond = torch::clamp_min(precond, 1e-12 * lambda);
    // Jacobi, plus (two layers with the metric) the metric's outlying curvatures (metric.hpp), so CG does not
    // spend its few iterations on the directions FISTA's metric already knows.
    auto apply_precond = detail::newton_preconditioner(metric, precond, act);
    st.products += 2;
    st.columns += 2.0 * double(k) / double(G);
    const double F0 = f0 + lambda * na.to(torch::kFloat64).sum().item<double>();
    // CG on H p = −grad.
    auto r = -grad;
    auto x = torch::zeros_like(grad);
    auto Xx = torch::zeros_like(Za);
    auto z = apply_precond(r);
    auto pdir = z;
    double rz = (r * z).to(torch::kFloat64).sum().item<double>();
    const double r0 = grad.to(torch::kFloat64).norm().item<double>();
    for (std::int64_t j = 0; j < params.newton_cg_iterations; ++j) {
      auto Xp = X.mm(pdir.reshape({d, -1}));
      auto Hp = X.t().mm(sp.hess_z(cv, Xp)).view({d, k, cc}) +
                lambda * (pdir - dir * (dir * pdir).sum(std::vector<int64_t>{0, 2}, true)) / na;
      st.products += 2;
      st.columns += 2.0 * double(k) / double(G);
      ++st.cg_iterations;
      const double pHp = (pdir * Hp).to(torch::kFloat64).sum().item<double>();
      if (!(pHp > 0)) break;
      const double alpha = rz / pHp;
      x = x + alpha * pdir;
      Xx = Xx + alpha * Xp;
      r = r - alpha * Hp;
      if (r.to(torch::kFloat64).norm().item<double>() <= params.newton_cg_tol * r0) break;
      z = apply_precond(r);
      const double rz_new = (r * z).to(torch::kFloat64).sum().item<double>();
      pdir = z + (rz_new / rz) * pdir;
      rz = rz_new;
    }
    const double slope = (grad * x).to(torch::kFloat64).sum().item<double>();
    bool accepted = false;
    if (slope < 0) {
      for (double a = 1; a > 1e-3; a *= 0.5) {
        auto Un = Ua + a * x;
        auto Zn = Za + a * Xx;
        const double fn = sp.value(Zn, nullptr);
        const double Fn = fn + lambda * group_norms(Un).to(torch::kFloat64).sum().item<double>();
        if (Fn <= F0 + 1e-4 * a * slope) {
          auto Zs = Zw.view({n, kw, cc}).index_copy(1, act, Zn.view({n, k, cc})).reshape({n, kw * cc});
          sp.restrict_to(idx);
          const double f = sp.value(Zs, nullptr);
          take_point(Uw.index_copy(1, act, Un), Zs, f);
          clear_history();
          accepted = true;
          break;
        }
      }
    }
    if (accepted)
      ++st.newton_steps;
    else
      ++st.newton_rejected;
    sp.restrict_to(idx);
    return accepted;
  };

  // Full check: gradient on all groups at the current iterate, KKT residual, gap, working-set update.
  auto full_check = [&](std::int64_t it) -> bool {
    if (idx.defined()) U.index_copy_(1, idx, Uw);
    auto Zfull = torch::zeros({n, G * c}, X.options());
    if (idx.defined()) {
      auto cols =
          c == 1 ? idx : (idx.unsqueeze(1) * c + torch::arange(c, idx.options()).unsqueeze(0)).reshape(-1);
      Zfull.index_copy_(1, cols, Zw);
    }
    sp.restrict_to(all);
    torch::Tensor dZ;
    double loss_only = 0;
    sp.value(Zfull, &dZ, &loss_only);
    ++st.products;
    st.columns += 1;
    auto grad = X.t().mm(dZ).view({d, G, c});
    auto nu = group_norms(U);
    auto ng = group_norms(grad);
    auto active = nu > 0;
    // Min-norm subgradient: g_i + λ u_i/‖u_i‖ on non-zero groups, (‖g_i‖ − λ)_+ on zero groups.
    auto on = (grad + lambda * U / torch::clamp_min(nu, 1e-30).view({1, G, 1}))
                  .square()
                  .sum(std::vector<int64_t>{0, 2});
    auto off = torch::relu(ng - lambda).square();
    auto sub2 = torch::where(active, on, off).to(torch::kFloat64);  // squared per-group KKT residuals
    res.kkt = std::sqrt(sub2.sum().item<double>());
    res.penalty = lambda * nu.to(torch::kFloat64).sum().item<double>();
    res.loss = loss_only;
    res.objective = loss_only + res.penalty;
    res.Zfull = Zfull;
    if (!std::isfinite(res.objective) || !std::isfinite(res.kkt)) {
      res.stop = stop_reason::diverged;
      res.message = "the objective or its gradient is not finite";
      return true;
    }
    if (res.objective < best_F) {
      best_F = res.objective;
      best_kkt = res.kkt;
      best_U = U.clone();
    }
    if (want_gap) {
      // Dual point θ = s (p − y)/n with s making max_i ‖(Aᵀθ)_i‖ ≤ λ; dual value −(n/2)‖θ‖² − ⟨θ, y⟩.
      auto r = (sp.predict(Zfull) - sp.y).to(torch::kFloat64) / double(n);
      double gmax = ng.max().item<double>();
      double s = gmax > lambda ? lambda / gmax : 1.0;
      double dual = -0.5 * n * s * s * r.square().sum().item<double>() -
                    s * (r * sp.y.to(torch::kFloat64)).sum().item<double>();
      res.gap = res.objective - dual;
    }
    st.active = active.sum().item<std::int64_t>();
    {
      // "Settled": at most newton_support_change × |support| groups entered or left since the last check.
      const auto changed =
          prev_support.defined() ? (prev_support ^ active).sum().item<std::int64_t>() : st.active + 1;
      support_stable = st.active > 0 && double(changed) <= params.newton_support_change * double(st.active);
      prev_support = active;
    }
    // Working set: non-zero groups and groups whose gradient is close to violating the KKT condition.
    torch::Tensor keep =
        params.working_set ? (active | (ng > params.working_set_margin * lambda)) : torch::ones_like(active);
    auto new_idx = keep.nonzero().view(-1);
    if (params.working_set && params.working_set_growth > 0) {
      // Celer-style cap: the non-zero groups first, then the zero groups with the largest ‖∇_i‖.
      const auto cap = std::max<std::int64_t>(
          {params.working_set_min, std::int64_t(params.working_set_growth * double(st.active)), st.active});
      // Celer's rule: admit groups from outside only once the working-set problem is solved well relative
      // to the violations outside it (its KKT residual ≤ working_set_inner × the full one).
      if (idx.defined()) {
        auto in_ws = torch::zeros_like(active).index_fill_(0, idx, true);
        if (params.working_set_inner < 1 &&
            std::sqrt(torch::where(in_ws, sub2, torch::zeros_like(sub2)).sum().item<double>()) >
                params.working_set_inner * res.kkt) {
          keep = keep & in_ws;
          new_idx = keep.nonzero().view(-1);
          if (new_idx.numel() == 0) new_idx = idx;
        }
      }
      if (new_idx.numel() > cap) {
        auto score = torch::where(active, torch::full_like(ng, INFINITY), ng);
        score = torch::where(keep, score, torch::full_like(ng, -INFINITY));
        new_idx = std::get<0>(torch::sort(std::get<1>(torch::topk(score, cap))));
      }
    }
    if (new_idx.numel() == 0) new_idx = all.slice(0, 0, 1);
    if (params.on_log) {
      log_record rec;
      rec.iteration = iter_offset + it;
      rec.outer = outer;
      rec.seconds = seconds_since(t0);
      rec.objective = res.objective;
      rec.gap = res.gap;
      rec.kkt = res.kkt;
      rec.step = 1.0 / L;
      rec.active = st.active;
      rec.working_set = new_idx.numel();
      rec.products = st.columns;
      params.on_log(rec);
    }
    bool done = res.kkt <= kkt_tol || (want_gap && res.gap <= gap_tol * std::abs(res.objective));
    if (!std::isnan(params.target_objective) && !sp.constrained() &&
        res.objective <= params.target_objective) {
      res.reached_target = true;
      done = true;
    }
    if (done) return true;
    if (!idx.defined()) {
      set_working(new_idx);
      refresh_step();
    } else if (!torch::equal(new_idx, idx)) {
      // Z = X U is separable by groups, so iterate, momentum point and their products move between working
      // sets by scattering and gathering columns; acceleration survives (a reset here would cost FISTA its
      // momentum every check while the active set shrinks).
      auto regroup = [&](const torch::Tensor& T3, bool is_z) {
        torch::Tensor full;
        if (is_z) {
          full = torch::zeros({n, G, c}, T3.options());
          full.index_copy_(1, idx, T3.view({n, -1, c}));
          return full.index_select(1, new_idx).reshape({n, -1});
        }
        full = torch::zeros({d, G, c}, T3.options());
        full.index_copy_(1, idx, T3);
        return full.index_select(1, new_idx);
      };
      Uw = regroup(Uw, false);
      Vw = regroup(Vw, false);
      Zw = regroup(Zw, true);
      ZV = regroup(ZV, true);
      for (auto& h : hist_U) h = regroup(h, false);
      for (auto& h : hist_Z) h = regroup(h, true);
      idx = new_idx;
      sp.restrict_to(idx);
      refresh_step();
    } else {
      sp.restrict_to(idx);
      // Momentum survives when the working set is unchanged.
    }
    return false;
  };

  const double slack = X.scalar_type() == torch::kFloat64 ? 1e-12 : 1e-6;
  std::int64_t it = 0;
  for (;; ++it) {
    if (need_full || since_check >= params.check_every) {
      need_full = false;
      since_check = 0;
      if (full_check(it)) {
        if (res.stop == stop_reason::diverged) break;
        res.converged = true;
        res.stop = res.reached_target ? stop_reason::target_reached : stop_reason::converged;
        break;
      }
      // A settled support: one Newton–CG step, then an immediate full check (it may finish or go again).
      // FISTA steps between two Newton steps let groups leave the support (Newton keeps every group
      // non-zero). Cost-aware: a Newton step is worth it when it lowers F more per product than the last
      // round of FISTA steps did; otherwise the wait before the next one doubles (so it costs little when it
      // does not pay: badly conditioned supports, supports still moving).
      const double F_check = res.objective, cols_check = st.columns;
      // FISTA's rate from a round that did not start at a Newton point (momentum restarts there).
      if (!newton_last && std::isfinite(F_prev_check))
        fista_rate = (F_prev_check - F_check) / std::max(cols_check - cols_prev_check, 1e-9);
      ++checks_since_newton;
      if (params.newton && support_stable && !newton_last && checks_since_newton > newton_wait && newton()) {
        const double newton_rate = (F_check - FU) / std::max(st.columns - cols_check, 1e-9);
        newton_wait = newton_rate >= fista_rate ? 0 : std::min<std::int64_t>(2 * newton_wait + 1, 31);
        checks_since_newton = 0;
        since_check = params.check_every;
        newton_last = true;
      } else {
        newton_last = false;
      }
      F_prev_check = newton_last ? FU : F_check;
      cols_prev_check = st.columns;
    }
    if (it >= max_iter) break;
    if (params.should_stop && params.should_stop()) {
      res.stop = stop_reason::interrupted;
      break;
    }
    ++since_check;
    // Gradient at the momentum point.
    torch::Tensor dZ;
    const double fV = sp.value(ZV, &dZ);
    ++st.products;
    st.columns += double(Vw.size(1)) / double(G);
    auto gV = X.t().mm(dZ).view(Vw.sizes());
    torch::Tensor Un, Zn;
    double fn = 0;
    // Step-test failures: at a non-finite value (diverged) or with finite values at every credible L
    // (rounding dominates the decrease: the iterate is as good as the dtype allows).
    bool non_finite = !std::isfinite(fV), out_of_range = false;
    for (int bt = 0; !non_finite; ++bt) {
      if (!(L > 0) || !(L <= L_cap)) {
        out_of_range = true;
        break;
      }
      Un = metric.active() ? metric.prox(Vw - metric.inverse_apply(gV, L), lambda, L)
                           : prox_group(Vw - gV / L, lambda / L);
      Zn = forward(Un);
      fn = sp.value(Zn, nullptr);
      if (std::isfinite(fn)) {
        auto delta = Un - Vw;
        double lin = (gV.to(torch::kFloat64) * delta.to(torch::kFloat64)).sum().item<double>();
        double quad = metric.active() ? metric.norm2(delta, L)
                                      : L * delta.to(torch::kFloat64).square().sum().item<double>();
        // Slack for rounding in the loss reductions: float32 sums of n terms are good to ~1e-6 relative.
        if (fn <= fV + lin + 0.5 * quad + slack * std::abs(fV) || bt >= 40) break;
      } else if (bt >= 40) {
        non_finite = true;
        break;
      }
      L *= 2;
      ++st.backtracks;
    }
    if (non_finite || out_of_range) {
      char buf[240];
      if (non_finite) {
        res.stop = stop_reason::diverged;
        std::snprintf(buf, sizeof buf, "the loss is not finite at any step size (1/L = %.3g)", 1.0 / L);
      } else {
        res.stop = stop_reason::precision_limit;
        std::snprintf(buf, sizeof buf,
                      "the step test fails at every step size down to 1/L = %.3g (cap %.3g on L): rounding "
                      "in %s dominates the decrease (--float64 computes in float64)",
                      1.0 / L, L_cap, X.scalar_type() == torch::kFloat64 ? "float64" : "float32");
      }
      res.message = buf;
      break;
    }
    const double Fn = fn + lambda * group_norms(Un).sum().item<double>();
    // Adaptive restart (O'Donoghue & Candès): drop the momentum when it points uphill.
    double tn = 0.5 * (1 + std::sqrt(1 + 4 * t * t));
    double beta = (t - 1) / tn;
    if (aa_K > 0) {  // proximal-gradient base steps: Anderson extrapolation replaces the momentum
      tn = 1;
      beta = 0;
    } else if (((Vw - Un) * (Un - Uw)).sum().item<double>() > 0) {
      tn = 1;
      beta = 0;
      ++st.restarts;
    }
    if (beta > 0) {
      Vw = Un + beta * (Un - Uw);
      ZV = Zn + beta * (Zn - Zw);
    } else {
      Vw = Un;
      ZV = Zn;
    }
    Uw = Un;
    Zw = Zn;
    FU = Fn;
    fU = fn;
    t = tn;
    L /= params.step_growth;
    if (aa_K > 0) {
      hist_U.push_back(Uw);
      hist_Z.push_back(Zw);
      if (std::int64_t(hist_U.size()) > aa_K + 1) {
        hist_U.erase(hist_U.begin());
        hist_Z.erase(hist_Z.begin());
      }
      ++since_aa;
      if (std::int64_t(hist_U.size()) == aa_K + 1 && since_aa >= aa_K) {
        since_aa = 0;
        // Residuals r_j = U_{j+1} − U_j; c = argmin ‖Σ c_j r_j‖ s.t. Σ c_j = 1, i.e. c ∝ (RRᵀ + εI)⁻¹ 1.
        std::vector<torch::Tensor> rs;
        for (std::int64_t j = 0; j < aa_K; ++j)
          rs.push_back((hist_U[j + 1] - hist_U[j]).reshape(-1).to(torch::kFloat64));
        auto R = torch::stack(rs);
        // Tikhonov-regularised K×K normal equations (Anderson's Gram is near-singular once converging).
        auto gram = R.mm(R.t()).cpu();
        const double tr = gram.trace().item<double>();
        bool ok = tr > 0 && std::isfinite(tr);
        std::vector<double> z;
        if (ok) {
          gram += 1e-8 * tr * torch::eye(aa_K, gram.options());
          auto c = torch::linalg_solve(gram, torch::ones({aa_K, 1}, gram.options())).view(-1);
          c = c / c.sum();
          ok = bool(torch::isfinite(c).all().item<bool>());
          if (ok) z.assign(c.data_ptr<double>(), c.data_ptr<double>() + aa_K);
        }
        if (ok) {
          auto Ue = hist_U[1] * z[0];
          auto Ze = hist_Z[1] * z[0];
          for (std::int64_t j = 1; j < aa_K; ++j) {
            Ue.add_(hist_U[j + 1], z[j]);
            Ze.add_(hist_Z[j + 1], z[j]);
          }
          const double fe = sp.value(Ze, nullptr);
          const double Fe = fe + lambda * group_norms(Ue).sum().item<double>();
          if (Fe < FU) {
            ++st.anderson_accepted;
            take_point(Ue, Ze, fe);
            hist_U.back() = Uw;
            hist_Z.back() = Zw;
          } else {
            ++st.anderson_rejected;
          }
        }
        // A fresh window of K steps from the current point (Bertrand & Massias: extrapolate every K steps).
        hist_U.erase(hist_U.begin(), hist_U.end() - 1);
        hist_Z.erase(hist_Z.begin(), hist_Z.end() - 1);
      }
    }
    if (!std::isnan(params.target_objective) && !sp.constrained() && FU <= params.target_objective) {
      need_full = true;  // confirm on the full problem at the top of the loop
    }
  }
  if (res.stop == stop_reason::diverged || res.stop == stop_reason::interrupted ||
      res.stop == stop_reason::precision_limit) {
    // The best iterate seen at a check (U as it entered when no check completed).
    if (best_U.defined()) {
      U.copy_(best_U);
      res.objective = best_F;
      res.kkt = best_kkt;
    }
  } else if (idx.defined()) {
    U.index_copy_(1, idx, Uw);
  }
  st.metric_newton += metric.newton_iterations;
  res.iterations = it;
  return res;
}

/// ‖A‖² estimate by power iteration on the smooth problem's loss part (for the first step size); U has
/// shape d×G×width.
double lipschitz_estimate(const torch::Tensor& X, smooth_problem& sp, std::int64_t G, std::int64_t width,
                          int iters, solve_stats& st) {
  const auto n = X.size(0), d = X.size(1);
  sp.restrict_to(torch::arange(G, torch::TensorOptions().dtype(torch::kLong).device(X.device())));
  auto v = power_start({d, G, width}, X.options());
  double est = 1;
  for (int k = 0; k < iters; ++k) {
    v = v / v.norm();
    auto Z = X.mm(v.reshape({d, -1}));
    v = X.t().mm(sp.adjoint(sp.predict(Z))).view({d, G, width}) / double(n);
    st.products += 2;
    st.columns += 2;
    est = v.norm().item<double>();
  }
  return (sp.loss == loss_kind::logistic ? 0.25 : 1.0) * est;
}

}  // namespace

two_layer_solution solve_two_layer(const torch::Tensor& X, const torch::Tensor& y_in,
                                   const pattern_set& patterns, const solve_params& params,
                                   solve_stats* stats_out, const two_layer_solution* warm) {
  const auto t0 = clock_type::now();
  nn::set_threads(params.threads);
  if (X.dim() != 2) throw input_error("convex: X must be n×d");
  if (!patterns.masks.defined() || patterns.masks.size(0) != X.size(0))
    throw input_error("convex: the patterns do not match the data (n = " + std::to_string(X.size(0)) + ")");
  if (!(params.lambda > 0)) throw input_error("convex: λ must be positive");
  torch::NoGradGuard no_grad;
  const auto n = X.size(0), d = X.size(1), P = patterns.size();
  auto y = y_in.to(X.device(), X.scalar_type());
  if (y.dim() == 1) y = y.unsqueeze(1);
  if (y.size(0) != n)
    throw input_error("convex: targets have " + std::to_string(y.size(0)) + " rows, data " +
                      std::to_string(n));
  const auto c = y.size(1);
  if (params.model == model_kind::relu && c != 1)
    throw input_error(
        "convex: the ReLU (cone-constrained) model supports one output; use gated2 for vectors");
  if (params.loss == loss_kind::logistic) {
    if (c != 1) throw input_error("convex: logistic loss needs one ±1 target column");
    if (!((y == 1) | (y == -1)).all().item<bool>()) throw input_error("convex: logistic targets must be ±1");
  }
  auto Xc = X.contiguous();
  auto D = patterns.masks.to(X.device(), X.scalar_type()).contiguous();
  solve_stats st;
  two_layer_solution sol;
  sol.model = params.model;
  sol.loss = params.loss;
  sol.patterns = patterns;
  sol.lambda = params.lambda;

  smooth_problem sp;
  sp.loss = params.loss;
  sp.y = y;
  sp.c = c;

  if (params.model == model_kind::gated_relu) {
    sp.D = D;
    torch::Tensor U = (warm && warm->U.defined() && warm->U.size(1) == P && warm->U.size(2) == c)
                          ? warm->U.to(X.device(), X.scalar_type()).clone()
                          : torch::zeros({d, P, c}, X.options());
    // With the metric, the first working set's metric sets the step (no power iteration needed).
    double L = params.metric_rank > 0 ? 1.0 : lipschitz_estimate(Xc, sp, P, c, 4, st);
    auto r = fista(Xc, sp, U, params.lambda, L, params.max_iterations, params.tol * params.lambda, params.tol,
                   params, st, 0, t0, 0);
    st.iterations = r.iterations;
    st.objective = r.objective;
    st.data_loss = r.loss;
    st.penalty = r.penalty;
    st.gap = r.gap;
    st.kkt = r.kkt;
    st.converged = r.converged;
    st.reached_target = r.reached_target;
    st.stop = r.stop;
    st.message = r.message;
    sol.U = U;
    if (r.stop == stop_reason::diverged || r.stop == stop_reason::interrupted ||
        r.stop == stop_reason::precision_limit) {
      auto parts = convex_objective(sol, X, y);
      st.objective = parts.objective;
      st.data_loss = parts.data_loss;
      st.penalty = parts.penalty;
    }
  } else if (params.solver == solver_kind::admm) {
    if (params.loss != loss_kind::squared)
      throw input_error("convex: the ADMM solver supports the squared loss");
    torch::Tensor U = torch::zeros({d, 2 * P, 1}, X.options());
    if (warm && warm->U.defined() && warm->W.defined() && warm->U.size(1) == P)
      U = torch::cat({warm->U, warm->W}, 1).to(X.device(), X.scalar_type()).clone();
    detail::solve_relu_admm(Xc, y, D, params, st, U);
    sol.U = U.slice(1, 0, P).contiguous();
    sol.W = U.slice(1, P, 2 * P).contiguous();
  } else {
    // Augmented Lagrangian over [V W] (d × 2P): groups 0..P−1 are v_i (sign +1), P..2P−1 are w_i (sign −1);
    // constraints (2D_i − I) X u ≥ 0 for both. Inner problems by the same FISTA (working set, restarts).
    sp.D = torch::cat({D, D}, 1).contiguous();
    auto opts = X.options();
    sp.sign = torch::cat({torch::ones({P}, opts), -torch::ones({P}, opts)});
    sp.mu = torch::zeros({n, 2 * P}, opts);
    sp.rho = params.al_rho > 0 ? params.al_rho : 1.0 / double(n);
    torch::Tensor U = torch::zeros({d, 2 * P, 1}, opts);
    if (warm && warm->U.defined() && warm->W.defined() && warm->U.size(1) == P)
      U = torch::cat({warm->U, warm->W}, 1).to(X.device(), X.scalar_type()).clone();
    double L = lipschitz_estimate(Xc, sp, 2 * P, 1, 4, st);
    auto S = 2 * sp.D - 1;
    double prev_violation = INFINITY;
    std::int64_t used = 0;
    double inner_tol = std::max(params.tol * params.lambda, 1e-2 * params.lambda);
    fista_result r;
    for (std::int64_t outer = 1; outer <= params.al_max_outer && used < params.max_iterations; ++outer) {
      std::int64_t budget = std::min(params.al_inner_iterations, params.max_iterations - used);
      r = fista(Xc, sp, U, params.lambda, L, budget, inner_tol, INFINITY, params, st, outer, t0, used);
      used += r.iterations;
      st.outer_iterations = outer;
      if (r.stop == stop_reason::diverged || r.stop == stop_reason::interrupted ||
          r.stop == stop_reason::precision_limit) {
        st.stop = r.stop;
        st.message = r.message;
        break;
      }
      auto C = S * r.Zfull;
      double scale = r.Zfull.abs().max().item<double>() + 1e-30;
      double violation = torch::relu(-C).max().item<double>();
      st.violation = violation;
      bool feasible = violation <= params.al_violation_tol * scale;
      if (feasible && r.kkt <= params.tol * params.lambda) {
        st.converged = true;
        st.stop = stop_reason::converged;
        break;
      }
      sp.mu = torch::relu(sp.mu - sp.rho * C);
      if (!feasible && violation > 0.25 * prev_violation) sp.rho = std::min(sp.rho * 5, 1e4 / double(n));
      prev_violation = violation;
      inner_tol = std::max(params.tol * params.lambda, inner_tol * 0.3);
    }
    st.iterations = used;
    sol.U = U.slice(1, 0, P).contiguous();
    sol.W = U.slice(1, P, 2 * P).contiguous();
    auto parts = convex_objective(sol, X, y);
    st.objective = parts.objective;
    st.data_loss = parts.data_loss;
    st.penalty = parts.penalty;
    st.violation = parts.violation;
    st.kkt = r.kkt;
  }
  st.seconds = seconds_since(t0);
  {
    auto nu = group_norms(sol.U);
    st.active = (nu > 0).sum().item<std::int64_t>();
    if (sol.W.defined()) st.active += (group_norms(sol.W) > 0).sum().item<std::int64_t>();
  }
  if (stats_out) *stats_out = st;
  return sol;
}

path3_solution solve_path3(const torch::Tensor& X, const torch::Tensor& y_in, const path3_patterns& patterns,
                           const solve_params& params, solve_stats* stats_out, const path3_solution* warm) {
  // THEORY §10, three layers: one group per pattern tuple t with m columns W_t[:, j]; Z = X U holds X W_t[:,
  // j] for every (t, j), the prediction is Σ_{t,j} (s_j D_{1j} D_2)^t ⊙ Z_{t,j}, and the cones C_t are linear
  // in Z.
  const auto t0 = clock_type::now();
  nn::set_threads(params.threads);
  if (X.dim() != 2) throw input_error("convex: X must be n×d");
  const auto n = X.size(0), d = X.size(1), T = patterns.size(), m = patterns.m;
  if (T == 0 || !patterns.D1.defined() || patterns.D1.size(0) != n || patterns.D1.size(1) != T ||
      patterns.D1.size(2) != m || patterns.D2.size(0) != n || patterns.signs.size(0) != T)
    throw input_error("convex: the pattern tuples do not match the data (n = " + std::to_string(n) + ")");
  if (!(params.lambda > 0)) throw input_error("convex: λ must be positive");
  torch::NoGradGuard no_grad;
  auto y = y_in.to(X.device(), X.scalar_type());
  if (y.dim() == 1) y = y.unsqueeze(1);
  if (y.size(0) != n)
    throw input_error("convex: targets have " + std::to_string(y.size(0)) + " rows, data " +
                      std::to_string(n));
  const auto c = y.size(1);
  const bool constrained = params.model == model_kind::relu;
  if (constrained && c != 1)
    throw input_error("convex: the cone-constrained path3 model supports one output; use gated3 for vectors");
  if (params.loss == loss_kind::logistic) {
    if (c != 1) throw input_error("convex: logistic loss needs one ±1 target column");
    if (!((y == 1) | (y == -1)).all().item<bool>()) throw input_error("convex: logistic targets must be ±1");
  }
  auto Xc = X.contiguous();
  auto opts = X.options();
  auto D1 = patterns.D1.to(X.device(), X.scalar_type()).reshape({n, T * m});
  auto D2 = patterns.D2.to(X.device(), X.scalar_type());
  auto s = patterns.signs.to(X.device(), X.scalar_type()).reshape({1, T * m});
  auto E = (D1 * s).contiguous();                              // s_j D_{1j}
  auto Dpred = (E * D2.repeat_interleave(m, 1)).contiguous();  // s_j D_{1j} D_2

  solve_stats st;
  path3_solution sol;
  sol.constrained = constrained;
  sol.loss = params.loss;
  sol.patterns = patterns;
  sol.lambda = params.lambda;
  smooth_problem sp;
  sp.loss = params.loss;
  sp.y = y;
  sp.c = c;
  sp.m = m;
  fista_result r;
  if (!constrained) {
    sp.D = Dpred;
    torch::Tensor U = (warm && warm->W.defined() && warm->W.size(1) == T && warm->W.size(2) == m &&
                       warm->W.size(3) == c && !warm->constrained)
                          ? warm->W.to(X.device(), X.scalar_type()).reshape({d, T, m * c}).clone()
                          : torch::zeros({d, T, m * c}, opts);
    double L = params.metric_rank > 0 ? 1.0 : lipschitz_estimate(Xc, sp, T, m * c, 4, st);
    r = fista(Xc, sp, U, params.lambda, L, params.max_iterations, params.tol * params.lambda, params.tol,
              params, st, 0, t0, 0);
    st.iterations = r.iterations;
    st.converged = r.converged;
    st.reached_target = r.reached_target;
    st.stop = r.stop;
    st.message = r.message;
    sol.W = U.view({d, T, m, c});
  } else {
    // Augmented Lagrangian over [W W'] (groups 0..T−1 with w_3 > 0, T..2T−1 with w_3 < 0), both in C_t.
    sp.D = torch::cat({Dpred, Dpred}, 1).contiguous();
    sp.sign = torch::cat({torch::ones({T}, opts), -torch::ones({T}, opts)});
    auto S1 = 2 * D1 - 1;
    sp.S1 = torch::cat({S1, S1}, 1).contiguous();
    sp.mu = torch::zeros({n, 2 * T * m}, opts);
    sp.E = torch::cat({E, E}, 1).contiguous();
    auto S2 = 2 * D2 - 1;
    sp.S2 = torch::cat({S2, S2}, 1).contiguous();
    sp.mu2 = torch::zeros({n, 2 * T}, opts);
    sp.rho = params.al_rho > 0 ? params.al_rho : 1.0 / double(n);
    torch::Tensor U = torch::zeros({d, 2 * T, m}, opts);
    if (warm && warm->constrained && warm->W.defined() && warm->W.size(1) == T && warm->W.size(2) == m)
      U = torch::cat({warm->W, warm->Wn}, 1).to(X.device(), X.scalar_type()).reshape({d, 2 * T, m}).clone();
    double L = lipschitz_estimate(Xc, sp, 2 * T, m, 4, st);
    double prev_violation = INFINITY;
    std::int64_t used = 0;
    double inner_tol = std::max(params.tol * params.lambda, 1e-2 * params.lambda);
    for (std::int64_t outer = 1; outer <= params.al_max_outer && used < params.max_iterations; ++outer) {
      std::int64_t budget = std::min(params.al_inner_iterations, params.max_iterations - used);
      r = fista(Xc, sp, U, params.lambda, L, budget, inner_tol, INFINITY, params, st, outer, t0, used);
      used += r.iterations;
      st.outer_iterations = outer;
      if (r.stop == stop_reason::diverged || r.stop == stop_reason::interrupted ||
          r.stop == stop_reason::precision_limit) {
        st.stop = r.stop;
        st.message = r.message;
        break;
      }
      auto C1 = sp.S1 * r.Zfull;
      auto C2 = sp.S2 * (sp.E * r.Zfull).view({n, 2 * T, m}).sum(2);
      double scale = r.Zfull.abs().max().item<double>() + 1e-30;
      double violation =
          std::max(torch::relu(-C1).max().item<double>(), torch::relu(-C2).max().item<double>());
      st.violation = violation;
      bool feasible = violation <= params.al_violation_tol * scale;
      if (feasible && r.kkt <= params.tol * params.lambda) {
        st.converged = true;
        st.stop = stop_reason::converged;
        break;
      }
      sp.mu = torch::relu(sp.mu - sp.rho * C1);
      sp.mu2 = torch::relu(sp.mu2 - sp.rho * C2);
      if (!feasible && violation > 0.25 * prev_violation) sp.rho = std::min(sp.rho * 5, 1e4 / double(n));
      prev_violation = violation;
      inner_tol = std::max(params.tol * params.lambda, inner_tol * 0.3);
    }
    st.iterations = used;
    sol.W = U.slice(1, 0, T).contiguous().view({d, T, m, 1});
    sol.Wn = U.slice(1, T, 2 * T).contiguous().view({d, T, m, 1});
  }
  auto parts = path3_objective(sol, X, y);
  st.objective = parts.objective;
  st.data_loss = parts.data_loss;
  st.penalty = parts.penalty;
  st.violation = parts.violation;
  st.kkt = r.kkt;
  st.gap = r.gap;
  st.seconds = seconds_since(t0);
  auto nw = sol.W.reshape({d, T, -1}).square().sum(std::vector<int64_t>{0, 2});
  st.active = (nw > 0).sum().item<std::int64_t>();
  if (sol.Wn.defined())
    st.active +=
        (sol.Wn.reshape({d, T, -1}).square().sum(std::vector<int64_t>{0, 2}) > 0).sum().item<std::int64_t>();
  if (stats_out) *stats_out = st;
  return sol;
}

torch::Tensor predict_train(const two_layer_solution& s, const torch::Tensor& X) {
  torch::NoGradGuard no_grad;
  const auto n = X.size(0), d = X.size(1);
  auto D = s.patterns.masks.to(X.device(), X.scalar_type());
  auto U = s.U.to(X.device(), X.scalar_type());
  const auto P = U.size(1), c = U.size(2);
  auto p = (X.mm(U.reshape({d, -1})).view({n, P, c}) * D.unsqueeze(2)).sum(1);
  if (s.W.defined()) {
    auto W = s.W.to(X.device(), X.scalar_type());
    p = p - (X.mm(W.reshape({d, -1})).view({n, P, c}) * D.unsqueeze(2)).sum(1);
  }
  return p;
}

torch::Tensor predict(const two_layer_solution& s, const torch::Tensor& X2, bool strict_gates) {
  torch::NoGradGuard no_grad;
  const auto n = X2.size(0), d = X2.size(1);
  auto U = s.U.to(X2.device(), X2.scalar_type());
  const auto P = U.size(1), c = U.size(2);
  if (s.model == model_kind::relu) {
    auto W = s.W.to(X2.device(), X2.scalar_type());
    return (torch::relu(X2.mm(U.reshape({d, -1}))).view({n, P, c}).sum(1) -
            torch::relu(X2.mm(W.reshape({d, -1}))).view({n, P, c}).sum(1));
  }
  if (!s.patterns.gates.defined())
    throw input_error("convex: this solution has no gates to predict new data");
  auto Zg = X2.mm(s.patterns.gates.to(X2.device(), X2.scalar_type()));
  auto D = (strict_gates ? (Zg > 0) : (Zg >= 0)).to(X2.scalar_type());
  return (X2.mm(U.reshape({d, -1})).view({n, P, c}) * D.unsqueeze(2)).sum(1);
}

objective_parts convex_objective(const two_layer_solution& s, const torch::Tensor& X,
                                 const torch::Tensor& y_in) {
  torch::NoGradGuard no_grad;
  auto y = y_in.to(X.device(), X.scalar_type());
  if (y.dim() == 1) y = y.unsqueeze(1);
  objective_parts o;
  o.data_loss = loss_value(s.loss, predict_train(s, X), y, nullptr);
  o.penalty = s.lambda * group_norms(s.U).to(torch::kFloat64).sum().item<double>();
  if (s.W.defined()) {
    o.penalty += s.lambda * group_norms(s.W).to(torch::kFloat64).sum().item<double>();
    auto D = s.patterns.masks.to(X.device(), X.scalar_type());
    auto S = 2 * D - 1;
    const auto d = X.size(1);
    auto cv = torch::relu(-S * X.mm(s.U.reshape({d, -1}).to(X.scalar_type()))).max();
    auto cw = torch::relu(-S * X.mm(s.W.reshape({d, -1}).to(X.scalar_type()))).max();
    o.violation = std::max(cv.item<double>(), cw.item<double>());
  }
  o.objective = o.data_loss + o.penalty;
  return o;
}

}  // namespace occam::convex
