// The low-rank curvature metric of the gated FISTA (metric.hpp, docs/convex.md).
#include "occam/convex/metric.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace occam::convex::detail {

principal_directions top_principal_directions(const torch::Tensor& X, std::int64_t s) {
  const auto d = X.size(1);
  s = std::clamp<std::int64_t>(s, 1, d);
  auto C = X.t().mm(X).to(torch::kFloat64).cpu();
  auto eig = torch::linalg_eigh(C);  // ascending
  principal_directions pd;
  pd.Q = std::get<1>(eig).narrow(1, d - s, s).flip({1}).to(X.options()).contiguous();
  pd.Y = X.mm(pd.Q);
  return pd;
}

low_rank_metric build_low_rank_metric(const principal_directions& pd, const torch::Tensor& Dw,
                                      const metric_params& params) {
  low_rank_metric m;
  m.columns = params.columns;
  // k counts mask columns here (groups × m): the candidates and V live on every column.
  const auto n = Dw.size(0), k = Dw.size(1), s = pd.Q.size(1), d = pd.Q.size(0);
  const auto opts = Dw.options();
  const auto b = std::clamp<std::int64_t>(params.block, 1, k);
  // Block Krylov space of G_a = D_wᵀ diag(y_a²) D_w / n for every principal direction a at once (s × k × b
  // blocks). The start block holds the all-ones vector (the leading eigenvector is coherent across groups)
  // and fixed-seed Gaussians (reproducible, independent of the global torch seed).
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0x3e7c);
  auto start = torch::randn({k, b}, gen, torch::TensorOptions().dtype(torch::kFloat32)).to(opts);
  start.select(1, 0).fill_(1.0);
  auto cur = start.unsqueeze(0).expand({s, k, b}).contiguous();
  auto w2 = pd.Y.square();  // n×s
  std::vector<torch::Tensor> blocks{cur};
  for (std::int64_t j = 1; j < params.depth; ++j) {
    auto t = Dw.mm(cur.permute({1, 0, 2}).reshape({k, s * b}));  // n × s·b
    t = (t.view({n, s, b}) * w2.unsqueeze(2)).view({n, s * b});
    cur = Dw.t().mm(t).view({k, s, b}).permute({1, 0, 2});
    cur = cur / torch::clamp_min(cur.norm(2, {1}, true), 1e-30);
    blocks.push_back(cur);
  }
  auto cand = torch::cat(blocks, 2);
  auto mc = cand.size(2);
  if (mc > k) {
    cand = cand.narrow(2, 0, k);
    mc = k;
  }
  // Orthonormal candidates per direction (Householder: orthonormal even if the block is rank-deficient); the
  // candidates q_a ⊗ c are then orthonormal in U-space because the q_a are.
  auto qc = std::get<0>(torch::linalg_qr(cand));  // s × k × mc
  // A(q_a ⊗ c) = y_a ⊙ (D_w c): the exact images under the problem's operator, no product with X.
  auto av = (Dw.mm(qc.permute({1, 0, 2}).reshape({k, s * mc})).view({n, s, mc}) * pd.Y.unsqueeze(2))
                .view({n, s * mc});
  auto gram = av.t().mm(av).to(torch::kFloat64).cpu() * (params.curvature / double(n));
  auto eig = torch::linalg_eigh(gram);
  auto evals = std::get<0>(eig).flip({0});
  auto evecs = std::get<1>(eig).flip({1});
  const auto r = std::clamp<std::int64_t>(params.rank, 0, s * mc - 1);
  m.theta_top = evals[0].item<double>();
  m.theta_next = std::max(evals[r].item<double>(), 0.0);
  if (r == 0) return m;
  m.theta = evals.narrow(0, 0, r).clamp_min(0).to(opts);
  auto S = evecs.narrow(1, 0, r).to(opts).reshape({s, mc, r});
  auto wc = torch::bmm(qc, S);                             // s × k × r
  m.V = pd.Q.mm(wc.reshape({s, k * r})).view({d * k, r});  // Σ_a q_a ⊗ (coefficients over groups)
  return m;
}

torch::Tensor low_rank_metric::inverse_apply(const torch::Tensor& g, double sigma) const {
  const auto c = g.size(2) / columns;
  auto gf = g.reshape({-1, c});
  auto th = torch::clamp_min(theta, sigma);
  auto coef = V.t().mm(gf) * (1.0 / th - 1.0 / sigma).unsqueeze(1);
  return (gf / sigma + V.mm(coef)).view(g.sizes());
}

double low_rank_metric::norm2(const torch::Tensor& delta, double sigma) const {
  const auto c = delta.size(2) / columns;
  auto df = delta.reshape({-1, c});
  auto cs = V.t().mm(df).to(torch::kFloat64).square().sum(1);
  auto gam = (torch::clamp_min(theta, sigma) - sigma).to(torch::kFloat64);
  return sigma * df.to(torch::kFloat64).square().sum().item<double>() + (gam * cs).sum().item<double>();
}

torch::Tensor low_rank_metric::prox(const torch::Tensor& x, double lambda, double sigma) {
  // Optimality: 0 ∈ λ∂R(w) + σ(w − x) + V Γ Vᵀ (w − x), Γ = diag(max(θ, σ) − σ). With β = Γ Vᵀ(w − x) (r×c),
  // w = T_{λ/σ}(x − V β / σ) (group soft-thresholding), so β solves Φ(β) = β − Γ Vᵀ(T(x − Vβ/σ) − x) = 0.
  // Φ's Jacobian I + Γ Vᵀ J_T V / σ has eigenvalues ≥ 1 (J_T ⪰ 0), so semismooth Newton converges fast.
  const auto d = x.size(0), k = x.size(1), m = columns, c = x.size(2) / columns, r = V.size(1);
  const auto dm = d * m;
  auto xf = x.reshape({d * k * m, c});
  auto gam = torch::clamp_min(theta, sigma) - sigma;  // r
  const double tau = lambda / sigma;
  auto vkt = V.view({d, k, m, r}).permute({1, 3, 0, 2}).reshape({k, r, dm});  // k × r × (d·m)
  auto beta = torch::zeros({r, c}, x.options());
  auto cpu64 = torch::TensorOptions().dtype(torch::kFloat64);
  auto eye_c = torch::eye(c, cpu64);
  auto gam_rows = (gam.to(torch::kCPU, torch::kFloat64) / sigma).repeat_interleave(c).unsqueeze(1);
  torch::Tensor z, nz, scale, w;
  auto evaluate = [&]() {  // w = T(x − Vβ/σ) at the current β
    z = (xf - V.mm(beta) / sigma).view({d, k, m * c});
    nz = z.square().sum(std::vector<int64_t>{0, 2}).sqrt();
    scale = torch::clamp_min(1 - tau / torch::clamp_min(nz, 1e-30), 0);
    w = z * scale.view({1, k, 1});
  };
  // Tolerances at the dtype's precision: the prox must be exact enough for FISTA's certificates (1e-10 KKT
  // in float64 tests), and float32 stagnates near 1e-6.
  const double eps = x.scalar_type() == torch::kFloat64 ? 1e-13 : 1e-6;
  double phi0 = -1;
  for (int it = 0;; ++it) {
    evaluate();
    auto phi = beta - gam.unsqueeze(1) * V.t().mm((w - x).reshape({d * k * m, c}));
    const double phin = phi.to(torch::kFloat64).norm().item<double>();
    if (phi0 < 0) phi0 = phin;
    if (phin <= eps * phi0 || phin == 0 || it >= 30) break;
    // Generalised Jacobian of T at z: per group, scale_i I + act_i τ z_i z_iᵀ / ‖z_i‖³.
    auto wgt = (nz > tau).to(x.scalar_type()) * tau / torch::clamp_min(nz, 1e-30).pow(3);
    auto m1 = (V.view({d, k, m, r}) * scale.view({1, k, 1, 1})).reshape({d * k * m, r}).t().mm(V);  // r×r
    auto zk = z.view({d, k, m, c}).permute({1, 0, 2, 3}).reshape({k, dm, c});
    auto pz = torch::bmm(vkt, zk).reshape({k, r * c});  // ⟨V_{j,i}, z_{i,c}⟩ per group
    auto m2 = (pz * wgt.unsqueeze(1)).t().mm(pz);       // rc × rc
    auto jac = torch::kron(m1.to(torch::kCPU, torch::kFloat64), eye_c) + m2.to(torch::kCPU, torch::kFloat64);
    jac = torch::eye(r * c, cpu64) + gam_rows * jac;
    auto step = torch::linalg_solve(jac, phi.to(torch::kCPU, torch::kFloat64).reshape({r * c, 1}));
    beta = beta - step.view({r, c}).to(x.options());
    ++newton_iterations;
    if (step.norm().item<double>() <= 0.1 * eps * (beta.to(torch::kFloat64).norm().item<double>() + 1e-300)) {
      evaluate();  // stagnation at the dtype's precision: w at the updated β
      break;
    }
  }
  return w;
}

std::function<torch::Tensor(const torch::Tensor&)> newton_preconditioner(const low_rank_metric& metric,
                                                                         const torch::Tensor& P,
                                                                         const torch::Tensor& groups) {
  if (!metric.active() || metric.columns != 1) return [P](const torch::Tensor& rr) { return rr / P; };
  const auto d = P.size(0), k = P.size(1), c = P.size(2), r = metric.V.size(1);
  const auto kw = metric.V.size(0) / d;
  auto Vs = metric.V.view({d, kw, r}).index_select(1, groups).reshape({d * k, r});
  auto pf = P.reshape({d * k, c});
  auto pinv = 1.0 / pf;
  auto along = torch::einsum("ir,io->or", {Vs.square(), pf});               // c × r: v_jᵀ P_o v_j
  auto sq = torch::clamp_min(metric.theta.unsqueeze(0) - along, 0).sqrt();  // c × r
  auto gram = torch::einsum("ir,io,is->ors", {Vs, pinv, Vs});               // c × r × r
  auto K = torch::eye(r, gram.options()) + sq.unsqueeze(2) * gram * sq.unsqueeze(1);
  auto Kinv = torch::linalg_inv(K.to(torch::kFloat64)).to(K.scalar_type());
  return [=](const torch::Tensor& rr) {
    auto t = rr.reshape({d * k, c}) * pinv;
    auto u = torch::einsum("ir,io->or", {Vs, t}) * sq;            // c × r
    auto sol = torch::bmm(Kinv, u.unsqueeze(2)).squeeze(2) * sq;  // c × r
    return (t - pinv * Vs.mm(sol.t())).view(rr.sizes());
  };
}

}  // namespace occam::convex::detail
