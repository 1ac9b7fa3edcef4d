#include "occam/convex/certify.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "occam/util/error.hpp"

namespace occam::convex {

const char* to_string(certificate_kind k) {
  switch (k) {
    case certificate_kind::exact:
      return "exact";
    case certificate_kind::searched:
      return "searched";
    case certificate_kind::none:
      return "no";
  }
  return "?";
}

namespace {

/// The dual point r = ∇ℓ(p) (n×c): (p − y)/n for the squared loss, −y σ(−y p)/n for the logistic one.
torch::Tensor loss_gradient(const two_layer_solution& s, const torch::Tensor& X, const torch::Tensor& y) {
  auto p = predict_train(s, X).to(torch::kFloat64);
  auto yy = y.to(torch::kFloat64);
  if (yy.dim() == 1) yy = yy.unsqueeze(1);
  const double n = double(X.size(0));
  if (s.loss == loss_kind::logistic) return -yy * torch::sigmoid(-yy * p) / n;
  return (p - yy) / n;
}

/// ‖(D_k X)ᵀ r‖_F for each column k of the 0/1 masks M (n×K): K values.
torch::Tensor pattern_scores(const torch::Tensor& X, const torch::Tensor& r, const torch::Tensor& M) {
  auto s2 = torch::zeros({M.size(1)}, torch::kFloat64);
  for (std::int64_t j = 0; j < r.size(1); ++j)
    s2 += X.t().mm(M * r.select(1, j).unsqueeze(1)).square().sum(0);
  return s2.sqrt();
}

}  // namespace

certificate certify_gated(const two_layer_solution& s, const torch::Tensor& X_in, const torch::Tensor& y,
                          const certify_params& params) {
  if (s.model != model_kind::gated_relu) throw input_error("certify: the certificate is for gated solutions");
  torch::NoGradGuard no_grad;
  auto X = X_in.to(torch::kCPU, torch::kFloat64);
  auto r = loss_gradient(s, X, y.to(torch::kCPU));
  const double lambda = s.lambda;
  certificate cert;
  torch::Tensor masks, gates, scores;
  bool exact = false;
  {
    const auto n = X.size(0), d = X.size(1);
    const double candidates =
        std::exp(std::lgamma(double(n) + 1) - std::lgamma(double(d)) - std::lgamma(double(n - d + 2))) *
        std::pow(2.0, double(d));
    if (d >= 1 && n >= d && candidates <= double(params.max_exact_candidates)) {
      try {
        auto all = enumerate_patterns(X, params.max_exact_candidates);
        masks = all.masks.to(torch::kFloat64);
        gates = all.gates.to(torch::kFloat64);
        exact = true;
      } catch (const input_error&) {
        exact = false;  // rank-deficient or degenerate data: search instead
      }
    }
  }
  if (exact) {
    scores = pattern_scores(X, r, masks);
    cert.checked = masks.size(1);
  } else {
    // Search: random directions, then ascent g ← Σ_j v_j (v_jᵀ g) with v_j = (D(g) X)ᵀ r_j, which for one
    // output is g ← (D(g) X)ᵀ r, the maximiser of gᵀ(D X)ᵀ r over the unit sphere for the current D.
    auto gen = at::make_generator<at::CPUGeneratorImpl>(params.seed);
    auto G = torch::randn({X.size(1), params.directions}, gen, torch::TensorOptions().dtype(torch::kFloat64));
    std::vector<torch::Tensor> all_masks, all_gates;
    for (int step = 0; step <= params.ascent_steps; ++step) {
      auto M = (X.mm(G) >= 0).to(torch::kFloat64);
      all_masks.push_back(M);
      all_gates.push_back(G);
      auto next = torch::zeros_like(G);
      for (std::int64_t j = 0; j < r.size(1); ++j) {
        auto V = X.t().mm(M * r.select(1, j).unsqueeze(1));  // d×K
        next += V * (V * G).sum(0, true);
      }
      auto nr = next.norm(2, 0, true);
      G = torch::where(nr > 0, next / torch::clamp_min(nr, 1e-300), G);
    }
    masks = torch::cat(all_masks, 1);
    gates = torch::cat(all_gates, 1);
    scores = pattern_scores(X, r, masks);
    cert.checked = params.directions;
  }
  const double best = scores.numel() ? scores.max().item<double>() : 0.0;
  cert.max_violation = best / lambda - 1;
  auto bad = (scores > (1 + params.tol) * lambda).nonzero().view(-1);
  if (bad.numel() > 0) {
    auto order = std::get<1>(torch::sort(scores.index_select(0, bad), 0, /*descending=*/true));
    bad = bad.index_select(0, order);
    auto M = masks.index_select(1, bad);
    auto keep = torch::tensor(distinct_columns(M), torch::kLong);
    cert.violating.masks = M.index_select(1, keep).contiguous();
    cert.violating.gates = gates.index_select(1, bad).index_select(1, keep).contiguous();
    cert.kind = certificate_kind::none;
  } else {
    cert.kind = exact ? certificate_kind::exact : certificate_kind::searched;
  }
  return cert;
}

two_layer_solution solve_certified(const torch::Tensor& X, const torch::Tensor& y, pattern_set patterns,
                                   const solve_params& params, const column_generation_params& cg,
                                   solve_stats* stats, column_generation_stats* cg_stats) {
  if (params.model != model_kind::gated_relu)
    throw input_error("column generation: the certificate is for the gated model (gated2)");
  column_generation_stats cs;
  solve_stats st;
  auto sol = solve_two_layer(X, y, patterns, params, &st);
  cs.first_objective = st.objective;
  auto cert = certify_gated(sol, X, y, cg.certify);
  while (cert.kind == certificate_kind::none && cs.rounds < cg.max_rounds &&
         (st.stop == stop_reason::converged || st.stop == stop_reason::iteration_limit)) {
    const auto add = std::min<std::int64_t>(cg.add_per_round, cert.violating.size());
    const auto P = patterns.size();
    patterns.masks = torch::cat({patterns.masks, cert.violating.masks.narrow(1, 0, add).to(
                                                     patterns.masks.device(), patterns.masks.dtype())},
                                1);
    patterns.gates = torch::cat({patterns.gates, cert.violating.gates.narrow(1, 0, add).to(
                                                     patterns.gates.device(), patterns.gates.dtype())},
                                1);
    two_layer_solution warm = sol;
    warm.U = torch::cat({sol.U, torch::zeros({sol.U.size(0), add, sol.U.size(2)}, sol.U.options())}, 1);
    warm.patterns = patterns;
    sol = solve_two_layer(X, y, patterns, params, &st, &warm);
    cs.added += add;
    ++cs.rounds;
    (void)P;
    cert = certify_gated(sol, X, y, cg.certify);
  }
  cs.final_certificate = cert;
  if (stats) *stats = st;
  if (cg_stats) *cg_stats = cs;
  return sol;
}

}  // namespace occam::convex
