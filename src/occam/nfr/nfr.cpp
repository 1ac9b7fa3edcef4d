// Neural feature repopulation: the mass-weighted MLP, its penalties, re-weighting, resampling, mixtures and
// training (THEORY §11; project definitions D1–D8 in docs/nfr.md).
#include "occam/nfr/nfr.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "occam/data/rng.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"
#include "occam/util/progress.hpp"

namespace occam::nfr {
namespace {

using std::int64_t;

std::vector<double> to_vector(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

torch::Tensor from_vector(const std::vector<double>& v, const torch::TensorOptions& opts) {
  return torch::tensor(v, torch::kFloat64).to(opts.device(), opts.dtype().toScalarType());
}

/// Masses of the units below connection matrix l as seen by the penalty (inputs: 1/d_in each).
torch::Tensor lower_masses(const mlp& net, std::size_t l) {
  if (l == 0) return torch::full({net.d_in()}, 1.0 / double(net.d_in()), net.weight[0].options());
  return net.mass[l - 1];
}
/// Masses of the units above connection matrix l (outputs: 1/d_out each).
torch::Tensor upper_masses(const mlp& net, std::size_t l) {
  if (l == net.depth()) return torch::full({net.d_out()}, 1.0 / double(net.d_out()), net.weight[l].options());
  return net.mass[l];
}

/// D2/D3: the penalty term of connection matrix l.
torch::Tensor layer_term(const mlp& net, std::size_t l, penalty_kind kind) {
  const auto& w = net.weight[l];
  auto m_lo = lower_masses(net, l), m_up = upper_masses(net, l);
  if (kind == penalty_kind::l2) return (m_up.unsqueeze(1) * w.pow(2) * m_lo.unsqueeze(0)).sum();
  if (l == 0) return (m_up * w.abs().mean(1).pow(2)).sum();
  return (m_lo * (m_up.unsqueeze(1) * w.abs()).sum(0).pow(2)).sum();
}

bool all_finite(const torch::Tensor& t) {
  return torch::isfinite(t).all().item<bool>();
}

}  // namespace

penalty_kind parse_penalty(const std::string& name) {
  if (name == "l12") return penalty_kind::l12;
  if (name == "l2") return penalty_kind::l2;
  throw input_error("--penalty: unknown penalty '" + name + "' (use l12 or l2)");
}
const char* to_string(penalty_kind k) {
  return k == penalty_kind::l12 ? "l12" : "l2";
}

optimizer_kind parse_optimizer(const std::string& name) {
  if (name == "adam") return optimizer_kind::adam;
  if (name == "sgd") return optimizer_kind::sgd;
  if (name == "langevin") return optimizer_kind::langevin;
  throw input_error("--optimizer: unknown optimizer '" + name + "' (use adam, sgd or langevin)");
}
const char* to_string(optimizer_kind k) {
  switch (k) {
    case optimizer_kind::adam:
      return "adam";
    case optimizer_kind::sgd:
      return "sgd";
    default:
      return "langevin";
  }
}

std::vector<int64_t> mlp::widths() const {
  std::vector<int64_t> w;
  for (const auto& m : mass) w.push_back(m.size(0));
  return w;
}

mlp mlp::to(torch::Device device, torch::Dtype dtype) const {
  mlp r;
  auto copy = [&](const torch::Tensor& t) { return t.detach().to(device, dtype, false, true); };
  for (const auto& t : weight) r.weight.push_back(copy(t));
  for (const auto& t : bias) r.bias.push_back(copy(t));
  for (const auto& t : mass) r.mass.push_back(copy(t));
  return r;
}

std::vector<torch::Tensor> mlp::parameters() const {
  std::vector<torch::Tensor> p = weight;
  p.insert(p.end(), bias.begin(), bias.end());
  return p;
}

mlp make_mlp(int64_t d_in, const std::vector<int64_t>& hidden, int64_t d_out, const init_params& params) {
  if (d_in <= 0 || d_out <= 0) throw input_error("nfr: input and output dimensions must be positive");
  if (hidden.empty()) throw input_error("nfr: at least one hidden layer is needed");
  for (auto n : hidden)
    if (n <= 0) throw input_error("nfr: hidden widths must be positive");
  const torch::Device device = parse_device(params.device);
  // Draw on the CPU in double from a seeded generator, so a seed gives the same network on every device.
  auto gen = at::detail::createCPUGenerator(params.seed);
  auto normal = [&](int64_t r, int64_t c, double sd) {
    return (torch::randn({r, c}, gen, torch::kFloat64) * sd).to(device, params.dtype);
  };
  mlp net;
  int64_t below = d_in;
  const double g = params.gain;
  for (std::size_t l = 0; l < hidden.size(); ++l) {
    const int64_t n = hidden[l];
    const double sd = l == 0 ? std::sqrt(2.0 / double(d_in)) : g * std::sqrt(2.0 * double(below));
    net.weight.push_back(normal(n, below, sd));
    net.bias.push_back(torch::zeros({n}, torch::TensorOptions().device(device).dtype(params.dtype)));
    net.mass.push_back(
        torch::full({n}, 1.0 / double(n), torch::TensorOptions().device(device).dtype(params.dtype)));
    below = n;
  }
  net.weight.push_back(normal(d_out, below, g));
  net.bias.push_back(torch::zeros({d_out}, torch::TensorOptions().device(device).dtype(params.dtype)));
  return net;
}

void validate(const mlp& net, const std::string& what) {
  const std::size_t L = net.mass.size();
  if (L == 0 || net.weight.size() != L + 1 || net.bias.size() != L + 1)
    throw input_error(what, 0, "an nfr network needs L ≥ 1 hidden layers with L+1 weight and bias tensors");
  for (std::size_t l = 0; l <= L; ++l) {
    const auto& w = net.weight[l];
    if (w.dim() != 2 || net.bias[l].dim() != 1 || net.bias[l].size(0) != w.size(0))
      throw input_error(what, 0, "layer " + std::to_string(l) + ": weight/bias shapes disagree");
    if (l > 0 && w.size(1) != net.weight[l - 1].size(0))
      throw input_error(what, 0,
                        "layer " + std::to_string(l) + ": input width does not match the layer below");
    if (l < L && (net.mass[l].dim() != 1 || net.mass[l].size(0) != w.size(0)))
      throw input_error(what, 0, "hidden layer " + std::to_string(l + 1) + ": masses do not match the width");
    if (!all_finite(w) || !all_finite(net.bias[l]))
      throw input_error(what, 0, "layer " + std::to_string(l) + ": non-finite weights");
  }
  for (std::size_t l = 0; l < L; ++l) {
    const auto m = to_vector(net.mass[l]);
    double s = 0;
    for (double v : m) {
      if (!(v >= 0) || !std::isfinite(v))
        throw input_error(what, 0,
                          "hidden layer " + std::to_string(l + 1) + ": masses must be finite and ≥ 0");
      s += v;
    }
    if (std::abs(s - 1.0) > 1e-4)
      throw input_error(
          what, 0,
          "hidden layer " + std::to_string(l + 1) + ": masses sum to " + std::to_string(s) + ", not 1");
  }
}

std::vector<torch::Tensor> preactivations(const mlp& net, const torch::Tensor& x) {
  std::vector<torch::Tensor> z;
  torch::Tensor h = x;
  for (std::size_t l = 0; l <= net.depth(); ++l) {
    // D1: after the first layer, inputs are averaged with the masses of the layer below (mean-field scaling).
    torch::Tensor in = l == 0 ? h : h * net.mass[l - 1];
    z.push_back(torch::addmm(net.bias[l], in, net.weight[l].t()));
    if (l < net.depth()) h = torch::relu(z.back());
  }
  return z;
}

torch::Tensor forward(const mlp& net, const torch::Tensor& x) {
  return preactivations(net, x).back();
}

torch::Tensor penalty(const mlp& net, penalty_kind kind) {
  torch::Tensor total = layer_term(net, 0, kind);
  for (std::size_t l = 1; l <= net.depth(); ++l) total = total + layer_term(net, l, kind);
  return total;
}

std::vector<double> layer_penalties(const mlp& net, penalty_kind kind) {
  torch::NoGradGuard ng;
  std::vector<double> r;
  for (std::size_t l = 0; l <= net.depth(); ++l) r.push_back(layer_term(net, l, kind).item<double>());
  return r;
}

// ------------------------------------------------------------------------------------------------------------
// Repopulation.

std::vector<double> optimal_masses(const std::vector<double>& a, const std::vector<double>& b,
                                   double* mu_out) {
  const std::size_t n = a.size();
  if (b.size() != n) throw std::invalid_argument("optimal_masses: a and b differ in length");
  double sum_a = 0, min_b = std::numeric_limits<double>::infinity();
  for (std::size_t j = 0; j < n; ++j) {
    if (a[j] < 0 || b[j] < 0) throw std::invalid_argument("optimal_masses: negative cost");
    if (a[j] > 0) {
      sum_a += a[j];
      min_b = std::min(min_b, b[j]);
    }
  }
  if (!(sum_a > 0)) throw std::invalid_argument("optimal_masses: every outgoing cost is zero");
  // g(μ) = Σ a_j / sqrt(b_j + μ) decreases from +∞ (μ → −min b) to 0; at μ = (Σa)² − min b it is ≤ 1.
  auto g = [&](double mu) {
    double s = 0;
    for (std::size_t j = 0; j < n; ++j)
      if (a[j] > 0) s += a[j] / std::sqrt(std::max(b[j] + mu, 0.0));
    return s;
  };
  double lo = -min_b, hi = sum_a * sum_a - min_b;
  for (int it = 0; it < 300 && hi - lo > 1e-16 * std::max(1.0, std::abs(hi)); ++it) {
    const double mid = 0.5 * (lo + hi);
    (g(mid) > 1.0 ? lo : hi) = mid;
  }
  const double mu = hi;
  std::vector<double> q(n, 0.0);
  double s = 0;
  for (std::size_t j = 0; j < n; ++j)
    if (a[j] > 0) s += (q[j] = a[j] / std::sqrt(b[j] + mu));
  for (auto& v : q) v /= s;  // removes the bisection's last rounding: Σ q = 1 to machine precision
  if (mu_out) *mu_out = mu;
  return q;
}

namespace {

/// D4–D5: the part of the penalty that depends on the masses q of one hidden layer when the function is held
/// fixed (outgoing weights rescaled by m_j/q_j): Σ a_j²/q_j + R_in(q).
struct layer_objective {
  std::vector<double> a;      ///< outgoing costs
  std::vector<double> w_abs;  ///< incoming |W| (ℓ_{1,2}, deeper layers): n × n_lo row-major
  std::vector<double> m_lo;   ///< masses of the layer below (ℓ_{1,2}, deeper layers)
  std::vector<double> b_lin;  ///< incoming cost when it is linear in q
  bool linear = true;
  std::size_t n = 0, n_lo = 0;

  double incoming(const std::vector<double>& q) const {
    double r = 0;
    if (linear) {
      for (std::size_t j = 0; j < n; ++j) r += b_lin[j] * q[j];
      return r;
    }
    for (std::size_t i = 0; i < n_lo; ++i) {
      double s = 0;
      for (std::size_t j = 0; j < n; ++j) s += q[j] * w_abs[j * n_lo + i];
      r += m_lo[i] * s * s;
    }
    return r;
  }
  /// ∂R_in/∂q_j at q (the "incoming cost" b_j of THEORY §11 for this layer).
  std::vector<double> incoming_gradient(const std::vector<double>& q) const {
    if (linear) return b_lin;
    std::vector<double> s(n_lo, 0.0), g(n, 0.0);
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t i = 0; i < n_lo; ++i) s[i] += q[j] * w_abs[j * n_lo + i];
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t i = 0; i < n_lo; ++i) g[j] += 2.0 * m_lo[i] * w_abs[j * n_lo + i] * s[i];
    return g;
  }
  double value(const std::vector<double>& q) const {
    double r = incoming(q);
    for (std::size_t j = 0; j < n; ++j)
      if (a[j] > 0) r += q[j] > 0 ? a[j] * a[j] / q[j] : std::numeric_limits<double>::infinity();
    return r;
  }
};

layer_objective make_objective(const mlp& net, std::size_t l, penalty_kind kind) {
  // Hidden layer l+1 (0-based l): incoming matrix weight[l], outgoing matrix weight[l+1].
  layer_objective o;
  const auto m = to_vector(net.mass[l]);
  const auto w_out = net.weight[l + 1].detach().to(torch::kCPU, torch::kFloat64);
  const auto m_up = upper_masses(net, l + 1).detach().to(torch::kCPU, torch::kFloat64);
  o.n = m.size();
  std::vector<double> colsum;
  if (kind == penalty_kind::l12)
    colsum = to_vector((m_up.unsqueeze(1) * w_out.abs()).sum(0));  // Σ_k m_up_k |W_kj|
  else
    colsum = to_vector((m_up.unsqueeze(1) * w_out.pow(2)).sum(0).sqrt());  // sqrt(Σ_k m_up_k W_kj²)
  o.a.resize(o.n);
  for (std::size_t j = 0; j < o.n; ++j) o.a[j] = m[j] * colsum[j];

  const auto w_in = net.weight[l].detach().to(torch::kCPU, torch::kFloat64);
  const auto m_lo = lower_masses(net, l).detach().to(torch::kCPU, torch::kFloat64);
  if (kind == penalty_kind::l2) {
    o.b_lin = to_vector((w_in.pow(2) * m_lo.unsqueeze(0)).sum(1));
  } else if (l == 0) {
    o.b_lin = to_vector(w_in.abs().mean(1).pow(2));
  } else {
    o.linear = false;
    o.n_lo = std::size_t(w_in.size(1));
    o.w_abs = to_vector(w_in.abs().contiguous());
    o.m_lo = to_vector(m_lo);
  }
  return o;
}

}  // namespace

mlp reweight(const mlp& net, const repopulate_params& params, repopulate_stats* stats) {
  torch::NoGradGuard ng;
  mlp r = net.clone();
  const std::size_t L = r.depth();
  repopulate_stats st;
  st.penalty_before = penalty(r, params.penalty).item<double>();
  st.rounds.assign(L, 0);
  st.dropped_units.assign(L, 0);
  if (params.sweeps < 1) throw input_error("repopulate: sweeps must be ≥ 1");
  for (int sweep = 0; sweep < params.sweeps; ++sweep)
    for (std::size_t l = L; l-- > 0;) {  // top-down: layer L first
      st.dropped_units[l] = 0;
      const layer_objective o = make_objective(r, l, params.penalty);
      if (std::none_of(o.a.begin(), o.a.end(), [](double v) { return v > 0; })) continue;  // layer unused
      const std::vector<double> m = to_vector(r.mass[l]);
      std::vector<double> q = m;
      double f = o.value(q);
      for (int round = 0; round < params.max_rounds; ++round) {
        const std::vector<double> target = optimal_masses(o.a, o.incoming_gradient(q));
        // Backtracking along the segment q → target: a descent direction of the convex layer objective, and
        // the exact minimiser when the incoming cost is linear (then s = 1 is accepted at once).
        bool moved = false;
        for (double s = 1.0; s > 1e-12; s *= 0.5) {
          std::vector<double> cand(q.size());
          for (std::size_t j = 0; j < q.size(); ++j)
            cand[j] = s == 1.0 ? target[j] : q[j] + s * (target[j] - q[j]);
          const double fc = o.value(cand);
          if (fc < f) {
            const double gain = f - fc;
            q = cand;
            f = fc;
            moved = gain > params.tolerance * std::max(std::abs(f), 1e-300);
            break;
          }
        }
        st.rounds[l] = round + 1;
        if (!moved || o.linear) break;
      }
      // Apply: new masses q; outgoing weights of unit j times m_j / q_j (zero when q_j = 0: then a_j = 0,
      // i.e. the unit sends nothing upward anyway).
      std::vector<double> scale(q.size());
      for (std::size_t j = 0; j < q.size(); ++j) {
        scale[j] = q[j] > 0 ? m[j] / q[j] : 0.0;
        if (q[j] == 0) ++st.dropped_units[l];
      }
      const auto opts = r.weight[l + 1].options();
      r.weight[l + 1] =
          (r.weight[l + 1].to(torch::kFloat64) * torch::tensor(scale, torch::kFloat64).to(opts.device()))
              .to(opts.dtype().toScalarType());
      r.mass[l] = from_vector(q, r.mass[l].options());
    }
  st.penalty_after = penalty(r, params.penalty).item<double>();
  if (stats) *stats = st;
  return r;
}

mlp resample_layer(const mlp& net, std::size_t layer, int64_t n, const std::vector<double>& p_in,
                   std::uint64_t seed) {
  torch::NoGradGuard ng;
  if (layer < 1 || layer > net.depth())
    throw input_error("resample: layer must be in 1.." + std::to_string(net.depth()));
  if (n <= 0) throw input_error("resample: the number of units must be positive");
  const std::size_t l = layer - 1;
  const std::vector<double> m = to_vector(net.mass[l]);
  const std::vector<double> p = p_in.empty() ? m : p_in;
  if (p.size() != m.size()) throw input_error("resample: the sampling distribution has the wrong length");
  std::vector<double> cdf(p.size());
  double s = 0;
  for (std::size_t j = 0; j < p.size(); ++j) {
    if (!(p[j] >= 0)) throw input_error("resample: sampling probabilities must be ≥ 0");
    // A unit with mass > 0 but probability 0 would make the estimate biased.
    if (p[j] == 0 && m[j] > 0)
      throw input_error("resample: a unit with positive mass has sampling probability 0");
    cdf[j] = (s += p[j]);
  }
  if (std::abs(s - 1.0) > 1e-6) throw input_error("resample: sampling probabilities must sum to 1");
  data::rng rng(seed);
  std::vector<int64_t> idx(n);
  std::vector<double> scale(n);
  for (int64_t k = 0; k < n; ++k) {
    const double u = rng.uniform() * s;
    std::size_t j = std::size_t(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
    if (j >= p.size()) j = p.size() - 1;
    while (p[j] == 0) --j;  // u landed on a zero-width interval's boundary: take the unit that owns it
    idx[k] = int64_t(j);
    scale[k] = m[j] / p[j];
  }
  mlp r = net.clone();
  const auto dev = net.device();
  const auto index = torch::tensor(idx, torch::kInt64).to(dev);
  r.weight[l] = net.weight[l].index_select(0, index).clone();
  r.bias[l] = net.bias[l].index_select(0, index).clone();
  r.mass[l] = torch::full({n}, 1.0 / double(n), net.mass[l].options());
  const auto w_out = net.weight[l + 1].to(torch::kFloat64).index_select(1, index) *
                     torch::tensor(scale, torch::kFloat64).to(dev);
  r.weight[l + 1] = w_out.to(net.dtype());
  return r;
}

mlp concatenate(const mlp& a, const mlp& b, double t) {
  torch::NoGradGuard ng;
  if (a.d_in() != b.d_in() || a.d_out() != b.d_out() || a.depth() != b.depth())
    throw input_error("mix: the networks differ in input/output dimension or depth");
  if (!(t >= 0 && t <= 1)) throw input_error("mix: t must be in [0, 1]");
  if (t == 0) return a.clone();
  if (t == 1) return b.to(a.device(), a.dtype());
  const mlp bb = b.to(a.device(), a.dtype());
  const std::size_t L = a.depth();
  mlp r;
  for (std::size_t l = 0; l <= L; ++l) {
    if (l == 0) {
      r.weight.push_back(torch::cat({a.weight[0], bb.weight[0]}, 0));  // inputs are shared: no rescaling
    } else if (l < L) {
      // Block-diagonal; dividing by the block's share keeps each unit's mean-field average unchanged.
      const auto& wa = a.weight[l];
      const auto& wb = bb.weight[l];
      auto top = torch::cat({wa / (1 - t), torch::zeros({wa.size(0), wb.size(1)}, wa.options())}, 1);
      auto bottom = torch::cat({torch::zeros({wb.size(0), wa.size(1)}, wb.options()), wb / t}, 1);
      r.weight.push_back(torch::cat({top, bottom}, 0));
    } else {
      r.weight.push_back(torch::cat({a.weight[L], bb.weight[L]}, 1));
    }
    if (l < L) {
      r.bias.push_back(torch::cat({a.bias[l], bb.bias[l]}));
      r.mass.push_back(torch::cat({a.mass[l] * (1 - t), bb.mass[l] * t}));
    } else {
      r.bias.push_back(a.bias[L] * (1 - t) + bb.bias[L] * t);
    }
  }
  return r;
}

// ------------------------------------------------------------------------------------------------------------
// Data and training.

namespace {
/// Per-element divisor of the mean-field step (D8): the masses each weight is multiplied with in the forward.
torch::Tensor step_divisor(const mlp& net, std::size_t l, bool is_bias) {
  const std::size_t L = net.depth();
  torch::Tensor up = l < L ? net.mass[l] : torch::ones({net.d_out()}, net.weight[l].options());
  if (is_bias) return up;
  torch::Tensor lo = l == 0 ? torch::ones({net.d_in()}, net.weight[l].options()) : net.mass[l - 1];
  return up.unsqueeze(1) * lo.unsqueeze(0);
}
}  // namespace

namespace {
// Data that does not fit the network is the caller's input error, not a libtorch shape exception.
void check_shapes(const char* what, const mlp& net, const torch::Tensor& x, const torch::Tensor& y) {
  std::ostringstream msg;
  if (x.dim() != 2 || x.size(1) != net.d_in()) {
    msg << what << ": inputs have shape " << x.sizes() << ", the network reads " << net.d_in() << " inputs";
    throw input_error(msg.str());
  }
  if (y.dim() < 1 || y.size(0) != x.size(0)) {
    msg << what << ": " << (y.dim() ? y.size(0) : 0) << " target rows for " << x.size(0) << " input rows";
    throw input_error(msg.str());
  }
}
}  // namespace

train_stats train(mlp& net, const torch::Tensor& x_all, const torch::Tensor& y_all, data::task_kind kind,
                  const train_params& p) {
  if (p.epochs < 0 || p.batch <= 0 || !(p.lr > 0))
    throw input_error("train: epochs ≥ 0, batch > 0, lr > 0 needed");
  if (p.lambda < 0 || p.temperature < 0) throw input_error("train: lambda and temperature must be ≥ 0");
  check_shapes("train", net, x_all, y_all);
  const torch::Device device = net.device();
  const torch::Tensor x = x_all.to(device, net.dtype());
  const torch::Tensor y =
      kind == data::task_kind::multiclass ? y_all.to(device) : y_all.to(device, net.dtype());
  const int64_t n = x.size(0);
  auto gen = at::detail::createCPUGenerator(p.seed);

  auto trainable = [&]() {
    std::vector<torch::Tensor> ps;
    if (p.output_only) {
      ps = {net.weight.back(), net.bias.back()};
    } else {
      ps = net.parameters();
    }
    return ps;
  };
  auto enable_grad = [&]() {
    for (auto& t : net.weight) t = t.detach();
    for (auto& t : net.bias) t = t.detach();
    for (auto& t : trainable()) t.set_requires_grad(true);
  };
  enable_grad();
  // Parameters are referenced by position: weight[0..L], bias[0..L].
  auto params_list = [&]() {
    std::vector<torch::Tensor> ps;
    for (auto& t : net.weight)
      if (t.requires_grad()) ps.push_back(t);
    for (auto& t : net.bias)
      if (t.requires_grad()) ps.push_back(t);
    return ps;
  };
  std::unique_ptr<torch::optim::Adam> adam;
  auto make_adam = [&]() {
    if (p.optimizer != optimizer_kind::adam) return;
    // D8: layer-relative Adam. Mean-field weights live on very different scales (W^1 ~ sqrt(2/d_in), hidden
    // ~ sqrt(2 n), U ~ 1 but must grow to O(10) for confident logits), so each weight matrix's step is lr
    // times its RMS at (re)start; biases act on O(1) pre-activations and take lr itself.
    std::vector<torch::optim::OptimizerParamGroup> groups;
    for (auto& t : net.weight)
      if (t.requires_grad()) {
        const double rms = std::max(t.detach().pow(2).mean().sqrt().item<double>(), 1e-3);
        groups.emplace_back(std::vector<torch::Tensor>{t},
                            std::make_unique<torch::optim::AdamOptions>(p.lr * rms));
      }
    for (auto& t : net.bias)
      if (t.requires_grad())
        groups.emplace_back(std::vector<torch::Tensor>{t}, std::make_unique<torch::optim::AdamOptions>(p.lr));
    adam = std::make_unique<torch::optim::Adam>(std::move(groups), torch::optim::AdamOptions(p.lr));
  };
  make_adam();

  train_stats stats;
  progress_bar bar("nfr train", std::size_t(p.epochs), p.progress && progress_bar::stderr_is_terminal());
  const auto t_start = std::chrono::steady_clock::now();
  for (int64_t epoch = 1; epoch <= p.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto perm = torch::randperm(n, gen).to(device);
    double loss_sum = 0;
    int64_t batches = 0;
    for (int64_t start = 0; start < n; start += p.batch) {
      const auto idx = perm.slice(0, start, std::min(n, start + p.batch));
      const auto xb = x.index_select(0, idx), yb = y.index_select(0, idx);
      auto loss = data_loss(kind, forward(net, xb), yb);
      auto obj = p.lambda > 0 ? loss + p.lambda * penalty(net, p.penalty) : loss;
      if (adam) {
        adam->zero_grad();
        obj.backward();
        adam->step();
      } else {
        for (auto& t : params_list()) t.mutable_grad() = torch::Tensor();
        obj.backward();
        torch::NoGradGuard ng;
        const double noise_sd =
            p.optimizer == optimizer_kind::langevin ? std::sqrt(2.0 * p.lr * p.temperature) : 0.0;
        for (int is_bias = 0; is_bias < 2; ++is_bias) {
          auto& group = is_bias ? net.bias : net.weight;
          for (std::size_t l = 0; l < group.size(); ++l) {
            auto& t = group[l];
            if (!t.requires_grad() || !t.grad().defined()) continue;
            const auto div = step_divisor(net, l, is_bias);
            // Units of mass 0 receive no gradient; keep them where they are instead of dividing 0 by 0.
            auto step = torch::where(div > 0, t.grad() / div.clamp_min(1e-300), torch::zeros_like(t));
            t.sub_(p.lr * step);
            if (noise_sd > 0)
              t.add_(torch::randn(t.sizes(), gen, torch::kFloat64).to(device, t.scalar_type()) * noise_sd);
          }
        }
      }
      loss_sum += loss.item<double>();
      ++batches;
    }
    epoch_record rec;
    rec.epoch = epoch;
    rec.loss = batches ? loss_sum / double(batches) : 0.0;
    if (p.repopulate_every > 0 && epoch % p.repopulate_every == 0) {
      repopulate_params rp;
      rp.penalty = p.penalty;
      net = reweight(net, rp);
      enable_grad();
      make_adam();  // weights were rescaled: the moment estimates no longer describe them
      rec.repopulated = true;
      ++stats.repopulations;
    }
    {
      torch::NoGradGuard ng;
      rec.penalty = penalty(net, p.penalty).item<double>();
    }
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    stats.epochs = epoch;
    stats.loss = rec.loss;
    stats.penalty = rec.penalty;
    if (p.on_epoch) p.on_epoch(rec);
    std::ostringstream status;
    status << "loss " << rec.loss;
    bar.update(std::size_t(epoch), status.str());
  }
  bar.finish();
  for (auto& t : net.weight) t = t.detach();
  for (auto& t : net.bias) t = t.detach();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  if (p.epochs == 0) {
    torch::NoGradGuard ng;
    stats.penalty = penalty(net, p.penalty).item<double>();
  }
  return stats;
}

eval_result evaluate(const mlp& net, const torch::Tensor& x_all, const torch::Tensor& y_all,
                     data::task_kind kind, penalty_kind pk, double lambda, int64_t batch) {
  check_shapes("evaluate", net, x_all, y_all);
  torch::NoGradGuard ng;
  const auto device = net.device();
  const int64_t n = x_all.size(0);
  double loss_sum = 0, correct = 0, count = 0;
  for (int64_t s = 0; s < n; s += batch) {
    const int64_t e = std::min(n, s + batch);
    const auto xb = x_all.slice(0, s, e).to(device, net.dtype());
    const auto yb = kind == data::task_kind::multiclass ? y_all.slice(0, s, e).to(device)
                                                        : y_all.slice(0, s, e).to(device, net.dtype());
    const auto out = forward(net, xb);
    loss_sum += data_loss(kind, out, yb).item<double>() * double(e - s);
    if (kind == data::task_kind::multiclass) {
      correct += out.argmax(1).eq(yb).sum().item<double>();
      count += double(e - s);
    } else if (kind == data::task_kind::binary) {
      correct += out.gt(0).eq(yb.gt(0.5)).sum().item<double>();
      count += double(yb.numel());
    }
  }
  eval_result r;
  r.loss = n ? loss_sum / double(n) : 0.0;
  if (kind != data::task_kind::regression) r.accuracy = count > 0 ? correct / count : 0.0;
  r.penalty = penalty(net, pk).item<double>();
  r.objective = r.loss + lambda * r.penalty;
  return r;
}

// ------------------------------------------------------------------------------------------------------------
// Files.

void save_mlp(const mlp& net, const std::string& path) {
  validate(net, path);
  torch::serialize::OutputArchive ar;
  ar.write("nfr_format", torch::tensor(int64_t(1)));
  ar.write("depth", torch::tensor(int64_t(net.depth())));
  const mlp cpu = net.to(torch::kCPU, net.dtype());
  for (std::size_t l = 0; l <= net.depth(); ++l) {
    ar.write("weight_" + std::to_string(l), cpu.weight[l]);
    ar.write("bias_" + std::to_string(l), cpu.bias[l]);
    if (l < net.depth()) ar.write("mass_" + std::to_string(l), cpu.mass[l]);
  }
  write_file_atomic(
      path, [&](std::ostream& os) { ar.save_to(os); }, true);
}

mlp load_mlp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path, 0, "cannot open the network file");
  torch::serialize::InputArchive ar;
  try {
    ar.load_from(in, torch::Device(torch::kCPU));
  } catch (const std::exception&) {
    throw input_error(path, 0, "not an nfr network file (cannot read the torch archive)");
  }
  torch::Tensor fmt, depth;
  if (!ar.try_read("nfr_format", fmt) || fmt.numel() != 1 || fmt.item<int64_t>() != 1)
    throw input_error(path, 0, "not an nfr network file (missing or unknown nfr_format)");
  if (!ar.try_read("depth", depth) || depth.numel() != 1 || depth.item<int64_t>() < 1 ||
      depth.item<int64_t>() > 1000)
    throw input_error(path, 0, "bad depth");
  const auto L = std::size_t(depth.item<int64_t>());
  mlp net;
  for (std::size_t l = 0; l <= L; ++l) {
    torch::Tensor w, b, m;
    if (!ar.try_read("weight_" + std::to_string(l), w) || !ar.try_read("bias_" + std::to_string(l), b))
      throw input_error(path, 0, "missing weights of layer " + std::to_string(l));
    net.weight.push_back(w);
    net.bias.push_back(b);
    if (l < L) {
      if (!ar.try_read("mass_" + std::to_string(l), m))
        throw input_error(path, 0, "missing masses of layer " + std::to_string(l + 1));
      net.mass.push_back(m);
    }
  }
  const auto dt = net.weight[0].scalar_type();
  if (dt != torch::kFloat32 && dt != torch::kFloat64)
    throw input_error(path, 0, "weights must be float32 or float64");
  for (auto* group : {&net.weight, &net.bias, &net.mass})
    for (auto& t : *group) {
      if (t.scalar_type() != dt) throw input_error(path, 0, "tensors differ in dtype");
      t = t.contiguous();
    }
  validate(net, path);
  return net;
}

}  // namespace occam::nfr
