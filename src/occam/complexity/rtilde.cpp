// R̃ and its weights (THEORY §2), and the evaluation helpers. See rtilde.hpp and docs/complexity.md.
#include "occam/complexity/rtilde.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "occam/complexity/detail/network.hpp"
#include "occam/util/error.hpp"

namespace occam::complexity {
namespace {

using detail::check_inputs;
using detail::check_model;
using detail::depth_of;
using detail::padded_v;
using detail::width_of;

/// α_0 = (x, 0…0, 1) in the model's dtype/device (THEORY §1).
torch::Tensor embed_rows(const nn::resnet& m, const torch::Tensor& x) {
  const auto w = width_of(m);
  const auto d_in = x.size(1);
  if (d_in > w)
    throw input_error("complexity: the data have " + std::to_string(d_in) +
                      " inputs but the model's width is " + std::to_string(w));
  auto alpha = torch::zeros({x.size(0), w + 1}, m.U.options().requires_grad(false));
  alpha.narrow(1, 0, d_in).copy_(x.to(m.U.device(), m.U.scalar_type()));
  alpha.select(1, w).fill_(1);
  return alpha;
}

/// Adds the chunk's Σ_x contributions of the squared weights to `acc` (THEORY §2).
void accumulate_chunk(const nn::resnet& m, const torch::Tensor& x, parameter_weights& acc) {
  const auto L = depth_of(m);
  const auto w = width_of(m);
  std::vector<torch::Tensor> alpha{embed_rows(m, x)}, z, a, vp;
  alpha.reserve(L + 1);
  for (std::int64_t l = 0; l < L; ++l) {
    vp.push_back(padded_v(m.V[l]));
    z.push_back(alpha.back().matmul(m.W[l].t()));
    a.push_back(torch::relu(z.back()));
    alpha.push_back(alpha.back() + a.back().matmul(vp.back().t()));
  }
  // ∂f_o/∂U[o,j] = α_{L,j}: the same for every output row.
  auto u_sq = alpha[L].pow(2).sum(0, /*keepdim=*/true).expand({m.U.size(0), w + 1});
  acc.U = acc.U.defined() ? acc.U + u_sq : u_sq;
  // c = ∂f/∂α_ℓ for every output at once: d_out×n×(w+1) (d_out×1×(w+1) at ℓ = L, constant over x).
  torch::Tensor c = m.U.unsqueeze(1);
  for (std::int64_t l = L - 1; l >= 0; --l) {
    // V_ℓ[m,i]: Σ_x (Σ_o c_{ℓ,o,m}²) a_{ℓ,i}².
    auto c_sq = c.narrow(2, 0, w).pow(2).sum(0);  // n×w (1×w at ℓ = L)
    torch::Tensor v_sq;
    if (c_sq.size(0) == 1)
      v_sq = c_sq.t().matmul(a[l].pow(2).sum(0, true));
    else
      v_sq = c_sq.t().matmul(a[l].pow(2));
    // g_ℓ = ∂f/∂z_ℓ = (c_ℓ [V_ℓ;0]) ⊙ 1[z_ℓ > 0]: d_out×n×k.
    auto mask = (z[l] > 0).to(z[l].scalar_type());
    auto g = c.matmul(vp[l]) * mask;
    // W_ℓ[i,j]: Σ_x (Σ_o g_{ℓ,o,i}²) α_{ℓ−1,j}².
    auto w_sq = g.pow(2).sum(0).t().matmul(alpha[l].pow(2));
    acc.V[l] = acc.V[l].defined() ? acc.V[l] + v_sq : v_sq;
    acc.W[l] = acc.W[l].defined() ? acc.W[l] + w_sq : w_sq;
    if (l > 0) c = c + g.matmul(m.W[l]);  // ∂f/∂α_{ℓ−1} = ∂f/∂α_ℓ (I + [V_ℓ;0] diag(σ') W_ℓ)
  }
}

torch::Tensor safe_sqrt(const torch::Tensor& t, bool differentiable) {
  return differentiable ? torch::sqrt(t.clamp_min(1e-30)) : torch::sqrt(t);
}

}  // namespace

std::vector<torch::Tensor> parameter_weights::flat() const {
  std::vector<torch::Tensor> p;
  for (std::size_t l = 0; l < W.size(); ++l) {
    p.push_back(W[l]);
    p.push_back(V[l]);
  }
  p.push_back(U);
  return p;
}

parameter_weights rtilde_weights_squared(const nn::resnet& m, const torch::Tensor& x,
                                         const rtilde_params& ps) {
  check_model(m);
  check_inputs(m, x);
  std::optional<torch::NoGradGuard> no_grad;
  if (!ps.differentiable) no_grad.emplace();
  const auto L = depth_of(m);
  parameter_weights acc;
  acc.W.resize(L);
  acc.V.resize(L);
  const auto n = x.size(0);
  const auto chunk = std::max<std::int64_t>(1, ps.chunk);
  for (std::int64_t begin = 0; begin < n; begin += chunk)
    accumulate_chunk(m, x.narrow(0, begin, std::min(chunk, n - begin)), acc);
  const double inv_n = 1.0 / static_cast<double>(n);
  for (std::int64_t l = 0; l < L; ++l) {
    acc.W[l] = acc.W[l] * inv_n;
    acc.V[l] = acc.V[l] * inv_n;
  }
  acc.U = acc.U * inv_n;
  return acc;
}

parameter_weights rtilde_weights(const nn::resnet& m, const torch::Tensor& x, const rtilde_params& ps) {
  auto sq = rtilde_weights_squared(m, x, ps);
  std::optional<torch::NoGradGuard> no_grad;
  if (!ps.differentiable) no_grad.emplace();
  for (auto& t : sq.W) t = safe_sqrt(t, ps.differentiable);
  for (auto& t : sq.V) t = safe_sqrt(t, ps.differentiable);
  sq.U = safe_sqrt(sq.U, ps.differentiable);
  return sq;
}

torch::Tensor rtilde_tensor(const nn::resnet& m, const torch::Tensor& x, const rtilde_params& ps) {
  auto weights = rtilde_weights(m, x, ps);
  std::optional<torch::NoGradGuard> no_grad;
  if (!ps.differentiable) no_grad.emplace();
  auto theta = detail::parameters_in_order(m);
  auto omega = weights.flat();
  torch::Tensor total = torch::zeros({}, m.U.options().requires_grad(false));
  for (std::size_t i = 0; i < theta.size(); ++i) total = total + (theta[i].abs() * omega[i]).sum();
  return total;
}

double rtilde(const nn::resnet& m, const torch::Tensor& x, const rtilde_params& ps) {
  rtilde_params p = ps;
  p.differentiable = false;
  return rtilde_tensor(m, x, p).item<double>();
}

// --- helpers ---------------------------------------------------------------------------------------------

torch::Tensor evaluate_outputs(const nn::resnet& m, const torch::Tensor& x, std::int64_t chunk) {
  check_model(m);
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> outs;
  const auto n = x.size(0);
  chunk = std::max<std::int64_t>(1, chunk);
  std::vector<torch::Tensor> vp;
  for (const auto& v : m.V) vp.push_back(padded_v(v));
  for (std::int64_t begin = 0; begin < n; begin += chunk) {
    auto alpha = embed_rows(m, x.narrow(0, begin, std::min(chunk, n - begin)));
    for (std::size_t l = 0; l < m.W.size(); ++l)
      alpha = alpha + torch::relu(alpha.matmul(m.W[l].t())).matmul(vp[l].t());
    outs.push_back(alpha.matmul(m.U.t()));
  }
  return torch::cat(outs, 0);
}

double function_distance(const nn::resnet& a, const nn::resnet& b, const torch::Tensor& x) {
  auto fa = evaluate_outputs(a, x).to(torch::kDouble);
  auto fb = evaluate_outputs(b, x).to(torch::kDouble);
  return std::sqrt((fa - fb).pow(2).sum(1).mean().item<double>());
}

// --- THEORY §2: pruning ------------------------------------------------------------------------------------

}  // namespace occam::complexity
