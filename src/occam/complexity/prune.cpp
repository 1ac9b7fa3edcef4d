// Poisson pruning with water-filling, and magnitude pruning (THEORY §2). See prune.hpp and
// docs/complexity.md.
#include "occam/complexity/prune.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "occam/complexity/detail/network.hpp"
#include "occam/data/rng.hpp"
#include "occam/util/error.hpp"

namespace occam::complexity {

using detail::check_inputs;
using detail::check_model;

const char* to_string(prune_params::method_kind k) {
  return k == prune_params::method_kind::poisson ? "poisson" : "magnitude";
}

prune_params::method_kind parse_prune_method(const std::string& name) {
  if (name == "poisson") return prune_params::method_kind::poisson;
  if (name == "magnitude") return prune_params::method_kind::magnitude;
  throw input_error("prune: unknown method '" + name + "' (expected poisson or magnitude)");
}

water_filling water_fill(const std::vector<double>& a, double budget) {
  water_filling wf;
  const std::size_t P = a.size();
  wf.p.assign(P, 0.0);
  wf.exact.assign(P, 0);
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < P; ++i) {
    if (!(a[i] >= 0) || !std::isfinite(a[i])) throw input_error("water_fill: weights must be finite and ≥ 0");
    if (a[i] > 0) order.push_back(i);
  }
  if (budget <= 0 || order.empty()) return wf;
  if (budget >= static_cast<double>(order.size())) {
    for (auto i : order) wf.p[i] = 1, wf.exact[i] = 1;
    wf.kept_exactly = static_cast<std::int64_t>(order.size());
    wf.expected_nonzero = static_cast<double>(order.size());
    return wf;
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return a[x] > a[y]; });
  // Suffix sums S_k = Σ_{j ≥ k} a_(j) (sorted decreasingly), accumulated from the small end for accuracy.
  std::vector<double> suffix(order.size() + 1, 0.0);
  for (std::size_t k = order.size(); k-- > 0;) suffix[k] = suffix[k + 1] + a[order[k]];
  // Keep the largest while N' a_(k) / S_k ≥ 1 with N' = N − k; the scale c_k = N'/S_k only grows while
  // keeping, so every kept parameter satisfies c·a ≥ 1 at the final c and every other one c·a < 1.
  std::size_t k = 0;
  while (k < order.size() && (budget - static_cast<double>(k)) * a[order[k]] >= suffix[k]) ++k;
  wf.kept_exactly = static_cast<std::int64_t>(k);
  for (std::size_t j = 0; j < k; ++j) wf.p[order[j]] = 1, wf.exact[order[j]] = 1;
  wf.expected_nonzero = static_cast<double>(k);
  if (k < order.size()) {
    wf.scale = (budget - static_cast<double>(k)) / suffix[k];
    double err2 = 0;
    for (std::size_t j = k; j < order.size(); ++j) {
      const double p = std::min(1.0, wf.scale * a[order[j]]);
      wf.p[order[j]] = p;
      wf.expected_nonzero += 1.0 - std::exp(-p);
      err2 += a[order[j]] * a[order[j]] / p;
    }
    wf.predicted_error = std::sqrt(err2);
  }
  return wf;
}

namespace {

/// All parameters as one double vector on the CPU, in parameters() order.
std::vector<double> flatten_double(const std::vector<torch::Tensor>& ts) {
  std::vector<double> out;
  for (const auto& t : ts) {
    auto c = t.detach().to(torch::kCPU, torch::kDouble).contiguous();
    out.insert(out.end(), c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  }
  return out;
}

/// A copy of m whose parameters are `values` (parameters() order).
nn::resnet unflatten_into(const nn::resnet& m, const std::vector<double>& values) {
  nn::resnet out = m.to(m.device(), m.dtype());
  std::size_t offset = 0;
  auto fill = [&](torch::Tensor& t) {
    auto cpu = torch::from_blob(const_cast<double*>(values.data() + offset), t.sizes(), torch::kDouble);
    t = cpu.to(t.device(), t.scalar_type()).clone();
    offset += static_cast<std::size_t>(t.numel());
  };
  for (std::size_t l = 0; l < out.W.size(); ++l) {
    fill(out.W[l]);
    fill(out.V[l]);
  }
  fill(out.U);
  return out;
}

/// Poisson(p) by inversion of the uniform u (one uniform per parameter: common random numbers across
/// budgets).
std::int64_t poisson_inverse(double u, double p) {
  double prob = std::exp(-p), cdf = prob;
  std::int64_t k = 0;
  while (u >= cdf && k < 10000) {
    ++k;
    prob *= p / static_cast<double>(k);
    if (prob <= 0) break;
    cdf += prob;
  }
  return k;
}

std::int64_t count_nonzero(const std::vector<double>& v) {
  return std::count_if(v.begin(), v.end(), [](double x) { return x != 0; });
}

}  // namespace

nn::resnet poisson_sample(const nn::resnet& m, const water_filling& wf, std::uint64_t seed) {
  auto theta = flatten_double(detail::parameters_in_order(m));
  if (theta.size() != wf.p.size()) throw input_error("poisson_sample: probabilities do not match the model");
  data::rng g(seed);
  std::vector<double> out(theta.size(), 0.0);
  for (std::size_t i = 0; i < theta.size(); ++i) {
    const double u = g.uniform();  // drawn for every parameter, so samples at different budgets are coupled
    if (wf.exact[i])
      out[i] = theta[i];
    else if (wf.p[i] > 0)
      out[i] = theta[i] * static_cast<double>(poisson_inverse(u, wf.p[i])) / wf.p[i];
  }
  return unflatten_into(m, out);
}

namespace {

struct poisson_context {
  std::vector<double> a;  ///< a_i = |θ_i| ‖∂_i f‖
  double rtilde = 0;
};

/// Parameters the first-order rule must not drop (THEORY §2, project rule): θ_i ≠ 0 with a zero weight a_i,
/// except those of neurons that are inactive on every row of x (dropping a dead neuron's whole row and column
/// leaves f unchanged on π) and W entries reading a coordinate that is 0 on every row. Dropping any other
/// such parameter can change f on π without a first-order trace, e.g. the negative bias that keeps a ReLU off
/// on the data; so they are kept exactly.
std::vector<char> zero_weight_keepers(const nn::resnet& m, const torch::Tensor& x,
                                      const std::vector<double>& a, const std::vector<double>& theta) {
  torch::NoGradGuard no_grad;
  auto t = m.forward_trace(x.to(m.device(), m.dtype()));
  std::vector<char> keep(theta.size(), 0);
  std::size_t offset = 0;
  for (std::size_t l = 0; l < m.W.size(); ++l) {
    auto dead_t = (t.z[l] <= 0).all(0).to(torch::kCPU).contiguous();
    auto silent_t = (t.alpha[l] == 0).all(0).to(torch::kCPU).contiguous();  // α_{ℓ−1,j} = 0 on every row
    const bool* dead = dead_t.data_ptr<bool>();
    const bool* silent = silent_t.data_ptr<bool>();
    const auto k = m.W[l].size(0), w1 = m.W[l].size(1), w = m.V[l].size(0);
    for (std::int64_t i = 0; i < k; ++i)
      for (std::int64_t j = 0; j < w1; ++j) {
        const auto q = offset + static_cast<std::size_t>(i * w1 + j);
        keep[q] = a[q] == 0 && theta[q] != 0 && !dead[i] && !silent[j];
      }
    offset += static_cast<std::size_t>(k * w1);
    for (std::int64_t r = 0; r < w; ++r)
      for (std::int64_t i = 0; i < k; ++i) {
        const auto q = offset + static_cast<std::size_t>(r * k + i);
        keep[q] = a[q] == 0 && theta[q] != 0 && !dead[i];
      }
    offset += static_cast<std::size_t>(w * k);
  }
  // U[o,j] has a_i = 0 only where α_L,j = 0 on every row: dropping it leaves f unchanged on π.
  return keep;
}

/// Marks the zero-weight keepers as kept exactly in a water-filling result.
void keep_exactly(water_filling& wf, const std::vector<char>& keep) {
  for (std::size_t i = 0; i < keep.size(); ++i)
    if (keep[i] && !wf.exact[i]) {
      wf.exact[i] = 1;
      wf.p[i] = 1;
      ++wf.kept_exactly;
      wf.expected_nonzero += 1;
    }
}

poisson_context poisson_weights(const nn::resnet& m, const torch::Tensor& x, const rtilde_params& rp) {
  poisson_context ctx;
  rtilde_params p = rp;
  p.differentiable = false;
  auto weights = flatten_double(rtilde_weights(m, x, p).flat());
  auto theta = flatten_double(detail::parameters_in_order(m));
  ctx.a.resize(theta.size());
  for (std::size_t i = 0; i < theta.size(); ++i) ctx.a[i] = std::abs(theta[i]) * weights[i];
  // Sum from small to large for accuracy.
  std::vector<double> sorted = ctx.a;
  std::sort(sorted.begin(), sorted.end());
  ctx.rtilde = std::accumulate(sorted.begin(), sorted.end(), 0.0);
  return ctx;
}

nn::resnet magnitude_at(const nn::resnet& m, const std::vector<double>& theta,
                        const std::vector<std::size_t>& order, std::int64_t keep) {
  std::vector<double> out(theta.size(), 0.0);
  for (std::int64_t j = 0; j < keep && j < static_cast<std::int64_t>(order.size()); ++j)
    out[order[j]] = theta[order[j]];
  return unflatten_into(m, out);
}

// Budget or target-error mode, shared by both pruners. `at(N, stats)` prunes to a budget of N parameters and
// fills `stats`; with a target error, the smallest integer N in (0, P] whose pruned network meets it is found
// by bisection (when even N = P misses it, the N = P network is returned with its error).
template <class PruneAt>
nn::resnet prune_to_budget_or_target(const prune_params& ps, prune_stats& st, PruneAt&& at) {
  nn::resnet result;
  if (ps.target_error > 0) {
    std::int64_t lo = 0, hi = st.parameters;
    result = at(static_cast<double>(hi), st);
    ++st.bisection_steps;
    if (st.measured_error <= ps.target_error) {
      while (hi - lo > 1) {
        const auto mid = lo + (hi - lo) / 2;
        prune_stats s = st;
        auto candidate = at(static_cast<double>(mid), s);
        ++st.bisection_steps;
        if (s.measured_error <= ps.target_error) {
          hi = mid;
          const auto steps = st.bisection_steps;
          st = s;
          st.bisection_steps = steps;
          result = std::move(candidate);
        } else {
          lo = mid;
        }
      }
    }
  } else {
    if (!(ps.budget > 0)) throw input_error("prune: give a budget N > 0 or a target error > 0");
    result = at(ps.budget, st);
  }
  return result;
}

}  // namespace

nn::resnet poisson_prune(const nn::resnet& m, const torch::Tensor& x, const prune_params& ps,
                         prune_stats* stats) {
  check_model(m);
  check_inputs(m, x);
  prune_stats st;
  auto ctx = poisson_weights(m, x, ps.rtilde);
  st.parameters = static_cast<std::int64_t>(ctx.a.size());
  st.nonzero_before = m.nonzero_count();
  st.rtilde = ctx.rtilde;
  const auto keepers = zero_weight_keepers(m, x, ctx.a, flatten_double(detail::parameters_in_order(m)));
  const auto n_keepers = std::count(keepers.begin(), keepers.end(), char(1));
  auto at = [&](double budget, prune_stats& s) {
    // The keepers are part of the budget; when it is smaller than their number they are kept all the same.
    auto wf = water_fill(ctx.a, std::max(budget - static_cast<double>(n_keepers), 1e-9));
    keep_exactly(wf, keepers);
    auto pruned = poisson_sample(m, wf, ps.seed);
    s.budget = budget;
    s.expected_nonzero = wf.expected_nonzero;
    s.kept_exactly = wf.kept_exactly;
    s.predicted_error = budget > 0 ? ctx.rtilde / std::sqrt(budget) : INFINITY;
    s.predicted_error_waterfill = wf.predicted_error;
    s.nonzero_after = pruned.nonzero_count();
    s.measured_error = function_distance(pruned, m, x);
    return pruned;
  };
  nn::resnet result = prune_to_budget_or_target(ps, st, at);
  if (stats) *stats = st;
  return result;
}

nn::resnet magnitude_prune(const nn::resnet& m, const torch::Tensor& x, const prune_params& ps,
                           prune_stats* stats) {
  check_model(m);
  check_inputs(m, x);
  prune_stats st;
  auto theta = flatten_double(detail::parameters_in_order(m));
  st.parameters = static_cast<std::int64_t>(theta.size());
  st.nonzero_before = count_nonzero(theta);
  {
    auto ctx = poisson_weights(m, x, ps.rtilde);
    st.rtilde = ctx.rtilde;
  }
  std::vector<std::size_t> order(theta.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t i, std::size_t j) { return std::abs(theta[i]) > std::abs(theta[j]); });
  auto at = [&](double budget, prune_stats& s) {
    const auto keep = static_cast<std::int64_t>(std::llround(budget));
    auto pruned = magnitude_at(m, theta, order, keep);
    s.budget = static_cast<double>(keep);
    s.expected_nonzero = static_cast<double>(std::min(keep, st.nonzero_before));
    s.predicted_error = keep > 0 ? st.rtilde / std::sqrt(static_cast<double>(keep)) : INFINITY;
    s.nonzero_after = pruned.nonzero_count();
    s.measured_error = function_distance(pruned, m, x);
    return pruned;
  };
  nn::resnet result = prune_to_budget_or_target(ps, st, at);
  if (stats) *stats = st;
  return result;
}

nn::resnet prune(const nn::resnet& m, const torch::Tensor& x, const prune_params& ps, prune_stats* stats) {
  return ps.method == prune_params::method_kind::poisson ? poisson_prune(m, x, ps, stats)
                                                         : magnitude_prune(m, x, ps, stats);
}

}  // namespace occam::complexity
