// The certified complexity R (THEORY §3): interval bounds, the column and ℓ∞ Lipschitz certificates, R and
// its frozen weights. See certified_r.hpp and docs/complexity.md.
#include "occam/complexity/certified_r.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "occam/complexity/complexity.hpp"
#include "occam/complexity/detail/network.hpp"
#include "occam/util/error.hpp"

namespace occam::complexity {
namespace {

using detail::check_model;
using detail::depth_of;
using detail::padded_v;
using detail::width_of;

/// The parameters in float64 (a differentiable cast): interval bounds grow geometrically with depth, and in
/// float32 R overflows already for (w, k, L) = (256, 256, 16) at moderate weights.
nn::resnet as_double(const nn::resnet& m) {
  if (m.U.scalar_type() == torch::kFloat64) return m;
  nn::resnet d;
  d.shape = m.shape;
  d.kind = m.kind;
  d.input_box = m.input_box;
  for (const auto& t : m.W) d.W.push_back(t.to(torch::kFloat64));
  for (const auto& t : m.V) d.V.push_back(t.to(torch::kFloat64));
  d.U = m.U.to(torch::kFloat64);
  return d;
}

/// Slope range of each neuron over the box: [1[lo(z) > 0], 1[hi(z) > 0]] (σ'(0) = 0, as backpropagation).
struct slope_range {
  torch::Tensor lo, hi;  ///< k entries each, 0 or 1
};

slope_range slopes_of(const torch::Tensor& z_lo, const torch::Tensor& z_hi) {
  return {(z_lo > 0).to(z_lo.scalar_type()), (z_hi > 0).to(z_hi.scalar_type())};
}

/// Block ℓ's Jacobian J = I + V S W (the w non-constant coordinates) as an interval matrix over the slope
/// box: J ∈ [centre ± radius] with centre = I + V S̄ W and radius = |V| S^r |W| (J is affine in the slopes).
struct jacobian_interval {
  torch::Tensor centre, radius;
  /// A = |centre| + radius: the entrywise supremum of |J| over the slope box.
  torch::Tensor bound() const { return centre.abs() + radius; }
};

jacobian_interval block_jacobian(const torch::Tensor& W, const torch::Tensor& V, const slope_range& s) {
  const auto w = V.size(0);
  auto Ww = W.narrow(1, 0, w);
  auto mid = (s.lo + s.hi) / 2, half = (s.hi - s.lo) / 2;
  return {(V * mid).matmul(Ww) + torch::eye(w, Ww.options().requires_grad(false)),
          (V.abs() * half).matmul(Ww.abs())};
}

/// Column certificate (THEORY §3 step 2a): entrywise bounds M_ℓ ≥ |∂f/∂α_ℓ| (d_out×w, the w non-constant
/// coordinates), ℓ = 0..L, from the gradient as an interval matrix [G_c ± G_r] multiplied by the block
/// Jacobian interval [J_c ± J_r]: G_c J_c keeps the signs of the centre chain, G_r' = |G_c| J_r + G_r (|J_c|
/// + J_r). Torch operations only, so differentiable in θ when `jacobian` is.
template <class Jacobian>
std::vector<torch::Tensor> column_certificate(const torch::Tensor& U, std::int64_t L, Jacobian&& jacobian) {
  const auto w = U.size(1) - 1;
  std::vector<torch::Tensor> M(static_cast<std::size_t>(L) + 1);
  auto Gc = U.narrow(1, 0, w), Gr = torch::zeros_like(Gc);
  M[L] = Gc.abs();
  for (std::int64_t l = L; l >= 1; --l) {
    const jacobian_interval J = jacobian(l);
    auto Gr_next = Gc.abs().matmul(J.radius) + Gr.matmul(J.bound());
    Gc = Gc.matmul(J.centre);
    Gr = Gr_next;
    M[l - 1] = Gc.abs() + Gr;
  }
  return M;
}

/// Everything the ℓ∞ certificate needs, on the CPU in float64, detached from θ.
struct network_view {
  std::int64_t w = 0, k = 0, L = 0, d_out = 0, d_in = 0;
  std::vector<torch::Tensor> W, V;  ///< k×(w+1), w×k
  torch::Tensor U;                  ///< d_out×(w+1)
  std::vector<slope_range> slope;   ///< per layer 1..L (index ℓ−1)
  std::vector<torch::Tensor> A;     ///< per layer: the stored J.bound() (see keep_bound_if_needed)
  /// Per layer: the Jacobian intervals, cached when 3·w²·L doubles fit in `cache_limit` (wide networks of
  /// large circuits recompute them at each use instead).
  std::vector<jacobian_interval> J;
  bool cache = false;
  /// Per layer, per neuron: (leader, sign) of its class of neurons whose pre-activation rows are multiples of
  /// each other (the leader is the class's first neuron; sign −1 for a negative multiple of the leader).
  std::vector<std::vector<std::pair<std::int64_t, int>>> tie;
  std::vector<std::vector<char>> live;  ///< live[ℓ][m], ℓ = 0..L: an input, or written by a layer ≤ ℓ
};

/// One row m of block ℓ's Jacobian J = I + V S W as an affine function of independent slope variables:
/// J_mj(t) = base_j + Σ_g t_g coef_g,j over the row's support, t ∈ {0,1}^G. Neurons whose pre-activation rows
/// are positive multiples of each other share a variable; negative multiples take complementary ones
/// (σ(z) and σ(−z) have slopes t and 1 − t wherever z ≠ 0).
struct affine_row {
  std::vector<std::int64_t> cols;         ///< live columns of layer ℓ−1 the row touches
  std::vector<double> base;               ///< per column
  std::vector<std::vector<double>> coef;  ///< per variable, per column
};

/// Proportionality W_b = c·W_a (c ≠ 0) up to rounding: cross-products a_j b_p and b_j a_p (p = the largest
/// |a_j|, given) agree to 1e-12 relative to |a_p b_p|, and the zero patterns agree. Returns c's sign, or 0.
/// (THEORY §3 states what the tolerance means for the guarantee: the two kinks lie within 1e-12 relative.)
int proportional(const double* a, const double* b, std::int64_t n, std::int64_t p) {
  if (p < 0 || b[p] == 0) return 0;
  const double scale = std::abs(a[p] * b[p]);
  for (std::int64_t j = 0; j < n; ++j) {
    if ((a[j] == 0) != (b[j] == 0)) return 0;
    if (std::abs(a[j] * b[p] - b[j] * a[p]) > 1e-12 * scale) return 0;
  }
  return (a[p] > 0) == (b[p] > 0) ? 1 : -1;
}

/// The tie classes of block ℓ's free neurons (see network_view::tie); fixed and dead neurons are their own.
void compute_ties(network_view& v, std::int64_t l) {
  const auto w1 = v.w + 1;
  const double* Wd = v.W[l - 1].data_ptr<double>();
  const double* slo = v.slope[l - 1].lo.data_ptr<double>();
  const double* shi = v.slope[l - 1].hi.data_ptr<double>();
  auto& tie = v.tie[static_cast<std::size_t>(l - 1)];
  tie.assign(static_cast<std::size_t>(v.k), {0, 1});
  std::vector<std::int64_t> pivot(static_cast<std::size_t>(v.k), -1);
  for (std::int64_t i = 0; i < v.k; ++i) {
    tie[i] = {i, 1};
    const double* r = Wd + i * w1;
    for (std::int64_t j = 0; j < w1; ++j)
      if (r[j] != 0 && (pivot[i] < 0 || std::abs(r[j]) > std::abs(r[pivot[i]]))) pivot[i] = j;
  }
  std::vector<char> done(static_cast<std::size_t>(v.k), 0);
  for (std::int64_t a = 0; a < v.k; ++a) {
    if (done[a] || !(slo[a] < shi[a])) continue;
    for (std::int64_t b = a + 1; b < v.k; ++b) {
      if (done[b] || !(slo[b] < shi[b])) continue;
      const int c = proportional(Wd + a * w1, Wd + b * w1, w1, pivot[a]);
      if (c != 0) {
        tie[b] = {a, c};
        done[b] = 1;
      }
    }
  }
}

/// Builds row m of block ℓ (1-based) as an affine_row, or returns false when it has more than `max_groups`
/// slope variables (then the entrywise bound A is used for it).
bool build_row(const network_view& v, std::int64_t l, std::int64_t m, int max_groups, affine_row& row) {
  const auto& W = v.W[l - 1];
  const auto& V = v.V[l - 1];
  const auto w1 = v.w + 1;
  const double* Wd = W.data_ptr<double>();
  const double* Vd = V.data_ptr<double>() + m * v.k;
  const double* slo = v.slope[l - 1].lo.data_ptr<double>();
  const double* shi = v.slope[l - 1].hi.data_ptr<double>();
  const auto& live_in = v.live[l - 1];
  // Neurons feeding coordinate m: fixed-active ones add to the base, free ones get (possibly shared)
  // variables.
  std::vector<std::int64_t> fixed, free_neurons;
  for (std::int64_t i = 0; i < v.k; ++i) {
    if (Vd[i] == 0 || shi[i] == 0) continue;
    (slo[i] > 0 ? fixed : free_neurons).push_back(i);
  }
  // Slope variables: one per class of proportional neurons (the layer's tie classes) among the free ones.
  const auto& tie = v.tie[l - 1];
  std::vector<int> var(free_neurons.size(), -1), sign(free_neurons.size(), 1);
  std::vector<int> class_var(static_cast<std::size_t>(v.k), -1);
  int groups = 0;
  for (std::size_t a = 0; a < free_neurons.size(); ++a) {
    const auto leader = tie[free_neurons[a]].first;
    if (class_var[leader] < 0) {
      if (groups == max_groups) return false;
      class_var[leader] = groups++;
    }
    var[a] = class_var[leader];
    sign[a] = tie[free_neurons[a]].second;
  }
  // Support: m itself (the identity) and the live columns any contributing neuron reads.
  std::vector<char> in_support(static_cast<std::size_t>(v.w), 0);
  if (live_in[m]) in_support[m] = 1;
  auto mark = [&](std::int64_t i) {
    const double* r = Wd + i * w1;
    for (std::int64_t j = 0; j < v.w; ++j)
      if (r[j] != 0 && live_in[j]) in_support[j] = 1;
  };
  for (auto i : fixed) mark(i);
  for (auto i : free_neurons) mark(i);
  row.cols.clear();
  std::vector<std::int64_t> pos(static_cast<std::size_t>(v.w), -1);
  for (std::int64_t j = 0; j < v.w; ++j)
    if (in_support[j]) {
      pos[j] = static_cast<std::int64_t>(row.cols.size());
      row.cols.push_back(j);
    }
  const auto n = row.cols.size();
  row.base.assign(n, 0.0);
  row.coef.assign(static_cast<std::size_t>(groups), std::vector<double>(n, 0.0));
  if (pos[m] >= 0) row.base[pos[m]] = 1.0;
  for (auto i : fixed) {
    const double* r = Wd + i * w1;
    for (std::size_t c = 0; c < n; ++c) row.base[c] += Vd[i] * r[row.cols[c]];
  }
  for (std::size_t a = 0; a < free_neurons.size(); ++a) {
    const double* r = Wd + free_neurons[a] * w1;
    auto& cf = row.coef[static_cast<std::size_t>(var[a])];
    for (std::size_t c = 0; c < n; ++c) {
      const double term = Vd[free_neurons[a]] * r[row.cols[c]];
      if (sign[a] > 0) {
        cf[c] += term;
      } else {  // slope 1 − t
        row.base[c] += term;
        cf[c] -= term;
      }
    }
  }
  return true;
}

/// max over t ∈ {0,1}^G of Σ_c |J_c(t)| x_{cols[c]} (a convex function of t: its maximum over the cube is at
/// a vertex), by a Gray-code walk over the vertices.
double row_maximum(const affine_row& row, const double* x) {
  const auto n = row.cols.size();
  const auto G = row.coef.size();
  std::vector<double> J = row.base;
  auto value = [&] {
    double s = 0;
    for (std::size_t c = 0; c < n; ++c) s += std::abs(J[c]) * x[row.cols[c]];
    return s;
  };
  double best = value();
  std::uint64_t gray = 0;
  for (std::uint64_t step = 1; step < (std::uint64_t(1) << G); ++step) {
    const auto bit = static_cast<std::size_t>(__builtin_ctzll(step));
    const std::uint64_t mask = std::uint64_t(1) << bit;
    const double dir = (gray & mask) ? -1.0 : 1.0;
    gray ^= mask;
    const auto& cf = row.coef[bit];
    for (std::size_t c = 0; c < n; ++c) J[c] += dir * cf[c];
    best = std::max(best, value());
  }
  return best;
}

/// The rows of every block in the form the ℓ∞ sweep evaluates: exact rows where possible.
struct block_rows {
  std::vector<std::int64_t> rows;  ///< live rows of layer ℓ
  std::vector<char> exact;         ///< per row
  std::vector<affine_row> affine;  ///< per row (empty when not exact)
};

block_rows make_block_rows(const network_view& v, std::int64_t l, int max_groups) {
  block_rows br;
  for (std::int64_t m = 0; m < v.w; ++m) {
    if (!v.live[l][m]) continue;
    br.rows.push_back(m);
    affine_row row;
    const bool ok = max_groups > 0 && build_row(v, l, m, max_groups, row);
    br.exact.push_back(ok ? 1 : 0);
    br.affine.push_back(ok ? std::move(row) : affine_row{});
  }
  return br;
}

/// F_m(x) = max over the slopes of Σ_j |J_mj| x_j for every row of a block (block_rows order): exact rows by
/// their vertices, the others by the entrywise bound A.
std::vector<double> row_maxima(const block_rows& br, const torch::Tensor& A, const std::vector<double>& x) {
  // A is only read for rows that are not exact; blocks without such rows may pass an undefined tensor.
  std::vector<double> F(br.rows.size(), 0.0);
  torch::Tensor Ax;
  for (std::size_t r = 0; r < br.rows.size(); ++r) {
    if (br.exact[r]) {
      F[r] = row_maximum(br.affine[r], x.data());
    } else {
      if (!Ax.defined())
        Ax = A.matmul(torch::from_blob(const_cast<double*>(x.data()), {static_cast<std::int64_t>(x.size())},
                                       torch::kDouble))
                 .contiguous();
      F[r] = Ax.data_ptr<double>()[br.rows[r]];
    }
  }
  return F;
}

/// One ℓ∞ certificate for the given shapes x_ℓ (positive on live coordinates), THEORY §3 step 2b. Returns
/// λ_ℓ (ℓ = 1..L, index ℓ) with ‖∂f/∂α_ℓ,m‖₂ ≤ λ_ℓ,m on live coordinates: D_ℓ = diag(x_ℓ)/ρ_ℓ makes every
/// D_ℓ⁻¹ ∘ block ∘ D_{ℓ−1} 1-Lipschitz in ℓ∞ and U D_L 1-Lipschitz from ℓ∞ to ℓ2.
std::vector<std::vector<double>> linf_certificate(const network_view& v, const std::vector<block_rows>& rows,
                                                  const torch::Tensor& u_rows,
                                                  const std::vector<std::vector<double>>& shape) {
  std::vector<std::vector<double>> lambda(static_cast<std::size_t>(v.L) + 1);
  const auto w = v.w;
  {
    // ρ_L = ‖|U| x_L‖₂ over the selected output rows.
    auto x = torch::zeros({w}, torch::kDouble);
    auto xa = x.accessor<double, 1>();
    for (std::int64_t m = 0; m < w; ++m) xa[m] = v.live[v.L][m] ? shape[v.L][m] : 0.0;
    const double rho = u_rows.narrow(1, 0, w).abs().matmul(x).norm().item<double>();
    lambda[v.L].assign(static_cast<std::size_t>(w), 0.0);
    for (std::int64_t m = 0; m < w; ++m)
      if (v.live[v.L][m]) lambda[v.L][m] = rho / shape[v.L][m];
  }
  for (std::int64_t l = v.L - 1; l >= 1; --l) {
    // ρ_ℓ = max_m λ_{ℓ+1,m} F_m(x_ℓ), F_m(x) = max over slopes of Σ_j |J_mj| x_j (block ℓ+1).
    std::vector<double> x(static_cast<std::size_t>(w), 0.0);
    for (std::int64_t j = 0; j < w; ++j)
      if (v.live[l][j]) x[j] = shape[l][j];
    const auto& br = rows[l + 1];
    const auto F = row_maxima(br, v.A[l], x);
    double rho = 0;
    for (std::size_t r = 0; r < br.rows.size(); ++r) rho = std::max(rho, lambda[l + 1][br.rows[r]] * F[r]);
    lambda[l].assign(static_cast<std::size_t>(w), 0.0);
    for (std::int64_t j = 0; j < w; ++j)
      if (v.live[l][j]) lambda[l][j] = rho / x[j];
  }
  return lambda;
}

struct lambda_result {
  std::vector<torch::Tensor> lambda;  ///< per layer ℓ = 1..L (index ℓ−1): R's λ, 0 on non-live coordinates
  std::vector<torch::Tensor> lambda_col;  ///< the column certificate's λ (finite everywhere)
  std::vector<torch::Tensor> live;        ///< per layer ℓ = 1..L: 1 on live coordinates
  std::int64_t linf_wins = 0;
};

/// CROWN-style linear relaxations of σ on [l, u]: σ(z) ≥ sl·z and σ(z) ≤ su·z + ou for every z in [l, u].
struct relaxation {
  torch::Tensor sl, su, ou;
};

relaxation relax(const torch::Tensor& z_lo, const torch::Tensor& z_hi) {
  auto active = z_lo >= 0, dead = z_hi <= 0;
  auto free = active.logical_not().logical_and(dead.logical_not());
  auto one = torch::ones_like(z_lo), zero = torch::zeros_like(z_lo);
  auto denom = (z_hi - z_lo).clamp_min(1e-300);
  relaxation r;
  r.su = torch::where(active, one, torch::where(free, z_hi / denom, zero));
  r.ou = torch::where(free, -z_lo * z_hi / denom, zero);
  r.sl = torch::where(active, one, torch::where(free.logical_and(z_hi > -z_lo), one, zero));
  return r;
}

/// Lower bounds of the rows of Λ·α_j (Λ: r×(w+1)) over the input box [lo0, hi0], by back-substitution through
/// blocks j, …, 1 (THEORY §3 step 1c): C σ(z) ≥ (C⁺ sl + C⁻ su) z + C⁻ ou, then z = W α.
torch::Tensor symbolic_lower(torch::Tensor lam, std::int64_t j, const network_view& v,
                             const std::vector<relaxation>& rel, const torch::Tensor& lo0,
                             const torch::Tensor& hi0) {
  auto c0 = torch::zeros({lam.size(0)}, torch::kDouble);
  for (std::int64_t q = j; q >= 1; --q) {
    auto C = lam.narrow(1, 0, v.w).matmul(v.V[q - 1]);
    auto Cp = C.clamp_min(0), Cm = C.clamp_max(0);
    const auto& r = rel[q - 1];
    c0 = c0 + Cm.matmul(r.ou);
    lam = lam + (Cp * r.sl + Cm * r.su).matmul(v.W[q - 1]);
  }
  auto bound = lam.matmul((lo0 + hi0) / 2) - lam.abs().matmul((hi0 - lo0) / 2) + c0;
  return bound - 1e-9 * (1 + bound.abs());  // slack for the rounding of the products
}

/// Block ℓ's entrywise Jacobian bound A_ℓ: the stored one, or computed afresh.
jacobian_interval jacobian_of(const network_view& v, std::int64_t l) {
  if (v.cache && v.J[static_cast<std::size_t>(l - 1)].centre.defined())
    return v.J[static_cast<std::size_t>(l - 1)];
  return block_jacobian(v.W[l - 1], v.V[l - 1], v.slope[l - 1]);
}

torch::Tensor block_bound(const network_view& v, std::int64_t l) {
  const auto& A = v.A[static_cast<std::size_t>(l - 1)];
  return A.defined() ? A : jacobian_of(v, l).bound();
}

/// Stores the slopes' Jacobian interval (when cached) and, for blocks with rows that are not maximised
/// exactly, the entrywise bound A those rows read.
void keep_bound_if_needed(network_view& v, std::int64_t l, const block_rows& br) {
  if (v.cache) v.J[static_cast<std::size_t>(l - 1)] = block_jacobian(v.W[l - 1], v.V[l - 1], v.slope[l - 1]);
  if (std::find(br.exact.begin(), br.exact.end(), char(0)) != br.exact.end())
    v.A[static_cast<std::size_t>(l - 1)] = jacobian_of(v, l).bound();
}

/// live[ℓ][m] (ℓ = 0..L): coordinate m is one of the first d_in (an input) or some V_1..V_ℓ writes it. The
/// other coordinates are 0 on every activation box, and R never needs their λ.
std::vector<std::vector<char>> live_coordinates(const std::vector<torch::Tensor>& V, std::int64_t d_in,
                                                std::int64_t w) {
  const auto L = V.size();
  std::vector<std::vector<char>> live(L + 1, std::vector<char>(static_cast<std::size_t>(w), 0));
  for (std::int64_t m = 0; m < std::min(d_in, w); ++m) live[0][m] = 1;
  for (std::size_t l = 1; l <= L; ++l) {
    auto written = (V[l - 1] != 0).any(1).to(torch::kCPU).contiguous();
    const bool* wa = written.data_ptr<bool>();
    for (std::int64_t m = 0; m < w; ++m) live[l][m] = live[l - 1][m] || wa[m];
  }
  return live;
}

/// Per-layer tensors (ℓ = 1..L) of R's λ (0 off the live coordinates), the column certificate's λ and the
/// live masks, from per-layer values (index ℓ).
void store_lambda(const std::vector<std::vector<double>>& best,
                  const std::vector<std::vector<double>>& column, const std::vector<std::vector<char>>& live,
                  lambda_result& out) {
  for (std::size_t l = 1; l < live.size(); ++l) {
    std::vector<double> mask(live[l].begin(), live[l].end()), lam(best[l]);
    for (std::size_t j = 0; j < lam.size(); ++j)
      if (!live[l][j]) lam[j] = 0;
    out.lambda.push_back(torch::tensor(lam, torch::kDouble));
    out.lambda_col.push_back(torch::tensor(column[l], torch::kDouble));
    out.live.push_back(torch::tensor(mask, torch::kDouble));
  }
}

/// Builds the CPU view of the network with its slopes and Jacobian bounds from the intervals in `ib`. With
/// `tighten`, the intervals are first sharpened layer by layer (THEORY §3 step 1b): besides interval
/// propagation, every α_ℓ,m lies within e_ℓ,m of its value at the box centre, where e_0 is the box's
/// half-width and e_ℓ,m = F_m(e_{ℓ−1}) bounds |dα_ℓ,m/ds| along the segment from the centre (the same row
/// maxima as the ℓ∞ certificate); the sharpened box feeds the next layer's interval step. `ib` is replaced by
/// the result.
network_view build_view(const nn::resnet& m64, interval_bounds& ib, std::int64_t d_in_box, bool tighten,
                        int max_groups, double symbolic_work, std::vector<block_rows>& rows) {
  torch::NoGradGuard no_grad;
  network_view v;
  v.w = width_of(m64);
  v.L = depth_of(m64);
  v.d_out = m64.U.size(0);
  v.d_in = d_in_box;
  v.k = v.L > 0 ? m64.W[0].size(0) : 0;
  const auto cpu = [](const torch::Tensor& t) {
    return t.detach().to(torch::kCPU, torch::kDouble).contiguous();
  };
  for (std::int64_t l = 0; l < v.L; ++l) {
    v.W.push_back(cpu(m64.W[l]));
    v.V.push_back(cpu(m64.V[l]));
  }
  v.U = cpu(m64.U);
  v.live = live_coordinates(v.V, v.d_in, v.w);
  const auto d_in = std::min(v.d_in, v.w);
  rows.assign(static_cast<std::size_t>(v.L) + 1, block_rows{});
  v.cache = 3.0 * double(v.w) * double(v.w) * double(v.L) <= 3e7;
  v.J.resize(static_cast<std::size_t>(v.L));
  v.tie.resize(static_cast<std::size_t>(v.L));
  if (!tighten) {
    for (std::int64_t l = 0; l < v.L; ++l) v.slope.push_back(slopes_of(cpu(ib.z_lo[l]), cpu(ib.z_hi[l])));
    v.A.resize(static_cast<std::size_t>(v.L));
    for (std::int64_t l = 2; l <= v.L; ++l) {
      compute_ties(v, l);
      rows[l] = make_block_rows(v, l, max_groups);
      keep_bound_if_needed(v, l, rows[l]);
    }
    return v;
  }
  interval_bounds t;
  auto lo = cpu(ib.alpha_lo[0]), hi = cpu(ib.alpha_hi[0]);
  auto centre = (lo + hi) / 2;  // α_0 at the box centre (the constant coordinate is 1)
  std::vector<double> e(static_cast<std::size_t>(v.w), 0.0);
  for (std::int64_t j = 0; j < d_in; ++j) e[j] = (hi[j].item<double>() - lo[j].item<double>()) / 2;
  t.alpha_lo.push_back(lo);
  t.alpha_hi.push_back(hi);
  t.b.push_back(torch::maximum(lo.abs(), hi.abs()));
  const auto lo0 = lo.clone(), hi0 = hi.clone();
  // Back-substitution costs about L²·w²·k products: only for networks where that stays small.
  const bool symbolic = symbolic_work > 0 && double(v.L) * double(v.L) * double(v.w + 1) * double(v.w + 1) *
                                                     double(std::max<std::int64_t>(v.k, 1)) <=
                                                 symbolic_work;
  std::vector<relaxation> rel;
  for (std::int64_t l = 1; l <= v.L; ++l) {
    const auto& W = v.W[l - 1];
    const auto vp = padded_v(v.V[l - 1]);
    auto c = (lo + hi) / 2, r = (hi - lo) / 2;
    auto zc = W.matmul(c), zr = W.abs().matmul(r);
    auto z_lo = zc - zr, z_hi = zc + zr;
    // z_lo, z_hi hold for every α in the layer's box (so the slopes, and λ, are certified on the whole box);
    // the symbolic bounds hold on the activations of points of B only, which is what h and the relaxations
    // need.
    auto zs_lo = z_lo, zs_hi = z_hi;
    if (symbolic) {
      zs_lo = torch::maximum(z_lo, symbolic_lower(W, l - 1, v, rel, lo0, hi0));
      zs_hi = torch::minimum(z_hi, -symbolic_lower(-W, l - 1, v, rel, lo0, hi0));
      rel.push_back(relax(zs_lo, zs_hi));
    }
    auto a_lo = torch::relu(zs_lo), a_hi = torch::relu(zs_hi);
    auto c_next = c + vp.matmul((a_lo + a_hi) / 2), r_next = r + vp.abs().matmul((a_hi - a_lo) / 2);
    auto ibp_lo = c_next - r_next, ibp_hi = c_next + r_next;
    v.slope.push_back(slopes_of(z_lo, z_hi));
    v.A.emplace_back();
    compute_ties(v, l);
    rows[l] = make_block_rows(v, l, max_groups);
    keep_bound_if_needed(v, l, rows[l]);
    const auto F = row_maxima(rows[l], v.A[l - 1], e);
    std::vector<double> e_next(static_cast<std::size_t>(v.w), 0.0);
    for (std::size_t q = 0; q < rows[l].rows.size(); ++q) e_next[rows[l].rows[q]] = F[q];
    e = std::move(e_next);
    centre = centre + vp.matmul(torch::relu(W.matmul(centre)));
    auto et = torch::zeros({v.w + 1}, torch::kDouble);
    std::copy(e.begin(), e.end(), et.data_ptr<double>());
    lo = torch::maximum(ibp_lo, centre - et);
    hi = torch::minimum(ibp_hi, centre + et);
    if (symbolic) {
      auto I = torch::eye(v.w + 1, torch::kDouble);
      lo = torch::maximum(lo, symbolic_lower(I, l, v, rel, lo0, hi0));
      hi = torch::minimum(hi, -symbolic_lower(-I, l, v, rel, lo0, hi0));
      lo[v.w] = 1;
      hi[v.w] = 1;
    }
    t.z_lo.push_back(z_lo);
    t.z_hi.push_back(z_hi);
    t.h.push_back(torch::relu(zs_hi));
    t.s.push_back((z_hi > 0).to(torch::kDouble));
    t.alpha_lo.push_back(lo);
    t.alpha_hi.push_back(hi);
    t.b.push_back(torch::maximum(lo.abs(), hi.abs()));
  }
  const auto device = m64.U.device();
  for (auto* vec : {&t.alpha_lo, &t.alpha_hi, &t.z_lo, &t.z_hi, &t.b, &t.h, &t.s})
    for (auto& x : *vec) x = x.to(device);
  ib = std::move(t);
  return v;
}

lambda_result certify_lambda(const nn::resnet& m64, interval_bounds& ib, std::int64_t d_in_box,
                             const certified_r_params& ps) {
  torch::NoGradGuard no_grad;
  std::vector<block_rows> rows;
  const network_view v = build_view(m64, ib, d_in_box, ps.linf_certificate, ps.max_enumerated_groups,
                                    ps.symbolic_bounds_work, rows);

  lambda_result out;
  // Column certificate: M_L = |U|, M_{ℓ−1} = M_ℓ A_ℓ; λ_col = ℓ2 norm of M_ℓ's columns over the outputs.
  const auto M = column_certificate(v.U, v.L, [&](std::int64_t l) { return jacobian_of(v, l); });
  std::vector<std::vector<double>> best(static_cast<std::size_t>(v.L) + 1);
  for (std::int64_t l = 1; l <= v.L; ++l) {
    auto col = M[l].norm(2, {0}).contiguous();
    best[l].assign(col.data_ptr<double>(), col.data_ptr<double>() + v.w);
  }
  std::vector<std::vector<double>> col_only = best;

  if (ps.linf_certificate && v.L > 0) {
    // ℓ2 certificate (THEORY §3 step 2c): g_ℓ is Lip₂ ≤ ‖U‖₂ Π_{j>ℓ} n_j on the boxes, with n_j ≥ ‖J_j‖₂ for
    // every slope in range: ‖I + V S̄ W‖₂ + ‖|V| S^r |W|‖₂ (|V (S − S̄) W| ≤ |V| S^r |W| entrywise, and the
    // spectral norm is monotone on entrywise-dominating non-negative matrices), restricted to live
    // coordinates; ‖∂f/∂α_ℓ,m‖₂ ≤ Lip₂(g_ℓ) for every m.
    auto live_index = [&](std::int64_t l) {
      std::vector<std::int64_t> idx;
      for (std::int64_t j = 0; j < v.w; ++j)
        if (v.live[l][j]) idx.push_back(j);
      return torch::tensor(idx, torch::kLong);
    };
    auto spectral_bound = [](const torch::Tensor& M) {
      if (M.numel() == 0) return 0.0;
      if (std::max(M.size(0), M.size(1)) <= 128)  // an SVD; wider: sqrt(‖M‖₁‖M‖∞) ≥ ‖M‖₂
        return torch::linalg::matrix_norm(M, 2, {-2, -1}, false, c10::nullopt).item<double>() * (1 + 1e-12);
      const double n1 = M.abs().sum(0).max().item<double>(), ninf = M.abs().sum(1).max().item<double>();
      return std::sqrt(n1 * ninf);
    };
    std::vector<double> lip(static_cast<std::size_t>(v.L) + 1, 0.0);
    lip[v.L] = spectral_bound(v.U.narrow(1, 0, v.w).index_select(1, live_index(v.L)));
    for (std::int64_t l = v.L - 1; l >= 1; --l) {
      const auto rows_idx = live_index(l + 1), cols_idx = live_index(l);
      const auto J = jacobian_of(v, l + 1);
      auto sub = [&](const torch::Tensor& M) {
        return M.index_select(0, rows_idx).index_select(1, cols_idx);
      };
      lip[l] = lip[l + 1] * (spectral_bound(sub(J.centre)) + spectral_bound(sub(J.radius)));
    }
    for (std::int64_t l = 1; l <= v.L; ++l)
      for (std::int64_t j = 0; j < v.w; ++j)
        if (v.live[l][j] && lip[l] < best[l][j]) {
          best[l][j] = lip[l];
          ++out.linf_wins;
        }
  }

  if (ps.linf_certificate && v.L > 0) {
    // Per output when there are few (each output's derivative is bounded by its own sweep, then the ℓ2 norm
    // over outputs is taken), jointly otherwise.
    const bool per_output = v.d_out <= 8;
    const auto n_sweeps = per_output ? v.d_out : 1;
    // First shape: the activation bounds b_ℓ (a coordinate that carries larger values may move further). It
    // is covariant under rescaling a residual coordinate, so the certificate is invariant under it.
    std::vector<std::vector<double>> first(static_cast<std::size_t>(v.L) + 1);
    for (std::int64_t l = 1; l <= v.L; ++l) {
      auto b = ib.b[l].detach().to(torch::kCPU, torch::kDouble).contiguous();
      const double* bd = b.data_ptr<double>();
      double top = 0;
      for (std::int64_t j = 0; j < v.w; ++j) top = std::max(top, bd[j]);
      first[l].resize(static_cast<std::size_t>(v.w));
      for (std::int64_t j = 0; j < v.w; ++j) first[l][j] = top > 0 ? std::max(bd[j], 1e-9 * top) : 1.0;
    }
    std::vector<std::vector<double>> combined(static_cast<std::size_t>(v.L) + 1,
                                              std::vector<double>(static_cast<std::size_t>(v.w), 0.0));
    for (std::int64_t o = 0; o < n_sweeps; ++o) {
      auto u_rows = per_output ? v.U.narrow(0, o, 1) : v.U;
      auto lam = linf_certificate(v, rows, u_rows, first);
      for (int round = 0; round < ps.shape_rounds; ++round) {
        // Next shape: 1/λ (coordinates that matter more get smaller rescalings), floored away from 0.
        std::vector<std::vector<double>> shape(static_cast<std::size_t>(v.L) + 1);
        for (std::int64_t l = 1; l <= v.L; ++l) {
          double top = 0;
          for (double x : lam[l]) top = std::max(top, x);
          shape[l].resize(static_cast<std::size_t>(v.w));
          for (std::int64_t j = 0; j < v.w; ++j)
            shape[l][j] = 1.0 / std::max(lam[l][j], top > 0 ? 1e-6 * top : 1.0);
        }
        auto next = linf_certificate(v, rows, u_rows, shape);
        for (std::int64_t l = 1; l <= v.L; ++l)
          for (std::int64_t j = 0; j < v.w; ++j) lam[l][j] = std::min(lam[l][j], next[l][j]);
      }
      for (std::int64_t l = 1; l <= v.L; ++l)
        for (std::int64_t j = 0; j < v.w; ++j) {
          const double x = lam[l][j];
          combined[l][j] = per_output ? std::hypot(combined[l][j], x) : x;
        }
    }
    for (std::int64_t l = 1; l <= v.L; ++l)
      for (std::int64_t j = 0; j < v.w; ++j)
        if (v.live[l][j] && combined[l][j] < best[l][j]) {
          best[l][j] = combined[l][j];
          ++out.linf_wins;
        }
  }
  store_lambda(best, col_only, v.live, out);
  return out;
}

struct r_parts {
  torch::Tensor total;
  std::vector<torch::Tensor> v_term, w_term;
  torch::Tensor u_term;
  interval_bounds ib;
  lambda_result lam;
};

r_parts compute_r(const nn::resnet& m, const data::box& box, const certified_r_params& ps) {
  r_parts p;
  p.ib = propagate_intervals(m, box);
  const auto L = depth_of(m);
  const auto w = width_of(m);
  // The column certificate alone is a composition of torch operations, so R stays differentiable in θ through
  // λ as well (the exact-gradient R penalty uses it, once per step: its λ tensors are read off the same
  // matrices); the full certificate's λ is a constant of the graph.
  std::vector<torch::Tensor> M_graph;
  if (ps.linf_certificate) {
    p.lam = certify_lambda(m, p.ib, static_cast<std::int64_t>(box.dims()), ps);
  } else {
    std::vector<slope_range> slope;
    for (std::int64_t l = 0; l < L; ++l)
      slope.push_back(slopes_of(p.ib.z_lo[l].detach(), p.ib.z_hi[l].detach()));
    M_graph = column_certificate(
        m.U, L, [&](std::int64_t l) { return block_jacobian(m.W[l - 1], m.V[l - 1], slope[l - 1]); });
    torch::NoGradGuard no_grad;
    std::vector<std::vector<double>> column(static_cast<std::size_t>(L) + 1);
    for (std::int64_t l = 1; l <= L; ++l) {
      auto col = M_graph[l].detach().norm(2, {0}).to(torch::kCPU, torch::kDouble).contiguous();
      column[l].assign(col.data_ptr<double>(), col.data_ptr<double>() + w);
    }
    store_lambda(column, column, live_coordinates(m.V, static_cast<std::int64_t>(box.dims()), w), p.lam);
  }
  p.total = torch::zeros({}, m.U.options().requires_grad(false));
  for (std::int64_t l = 1; l <= L; ++l) {
    auto lambda = ps.linf_certificate ? p.lam.lambda[l - 1].to(m.U.device())
                                      : M_graph[l].square().sum(0).clamp_min(1e-300).sqrt();
    auto lv = lambda.matmul(m.V[l - 1].abs());                     // (λ_ℓᵀ |V_ℓ|)_i
    auto v_term = lv.dot(p.ib.h[l - 1]);                           // Σ_{m,i} λ_m |V[m,i]| h_i
    auto w_term = lv.dot(m.W[l - 1].abs().matmul(p.ib.b[l - 1]));  // Σ_{i,j} (λᵀ|V|)_i |W[i,j]| b_{ℓ−1,j}
    p.v_term.push_back(v_term);
    p.w_term.push_back(w_term);
    p.total = p.total + v_term + w_term;
  }
  p.u_term = m.U.abs().matmul(p.ib.b[L]).sum();
  p.total = p.total + p.u_term;
  return p;
}

}  // namespace

interval_bounds propagate_intervals(const nn::resnet& m, const data::box& input_box) {
  check_model(m);
  const auto w = width_of(m);
  const auto d_in = static_cast<std::int64_t>(input_box.dims());
  if (input_box.hi.size() != input_box.lo.size()) throw input_error("complexity: malformed input box");
  if (d_in == 0) throw input_error("complexity: the model has no input box; give the data (--data/--task)");
  if (d_in > w || (m.shape.d_in > 0 && d_in != m.shape.d_in))
    throw input_error("complexity: the input box has " + std::to_string(d_in) +
                      " coordinates, the model expects " + std::to_string(m.shape.d_in));
  const auto opts = m.U.options().requires_grad(false);
  auto lo0 = torch::zeros({w + 1}, opts), hi0 = torch::zeros({w + 1}, opts);
  {
    auto lo_cpu =
        torch::tensor(std::vector<double>(input_box.lo.begin(), input_box.lo.end()), torch::kDouble);
    auto hi_cpu =
        torch::tensor(std::vector<double>(input_box.hi.begin(), input_box.hi.end()), torch::kDouble);
    if ((lo_cpu > hi_cpu).any().item<bool>()) throw input_error("complexity: input box has lo > hi");
    lo0.narrow(0, 0, d_in).copy_(lo_cpu);
    hi0.narrow(0, 0, d_in).copy_(hi_cpu);
    lo0[w] = 1;
    hi0[w] = 1;
  }
  interval_bounds ib;
  // Centre/radius form: an affine map A sends [c − r, c + r] into [A c − |A| r, A c + |A| r].
  torch::Tensor c = (lo0 + hi0) / 2, r = (hi0 - lo0) / 2;
  ib.alpha_lo.push_back(lo0);
  ib.alpha_hi.push_back(hi0);
  ib.b.push_back(torch::maximum(lo0.abs(), hi0.abs()));
  for (std::size_t l = 0; l < m.W.size(); ++l) {
    const auto& W = m.W[l];
    auto zc = W.matmul(c), zr = W.abs().matmul(r);
    auto z_lo = zc - zr, z_hi = zc + zr;
    auto a_lo = torch::relu(z_lo), a_hi = torch::relu(z_hi);
    auto vp = padded_v(m.V[l]);
    c = c + vp.matmul((a_lo + a_hi) / 2);
    r = r + vp.abs().matmul((a_hi - a_lo) / 2);
    auto lo = c - r, hi = c + r;
    ib.z_lo.push_back(z_lo);
    ib.z_hi.push_back(z_hi);
    ib.h.push_back(torch::relu(z_hi));
    ib.s.push_back((z_hi > 0).to(z_hi.scalar_type()));
    ib.alpha_lo.push_back(lo);
    ib.alpha_hi.push_back(hi);
    ib.b.push_back(torch::maximum(lo.abs(), hi.abs()));
  }
  return ib;
}

std::vector<torch::Tensor> sensitivities(const nn::resnet& m, const interval_bounds& ib) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> W, V;
  std::vector<slope_range> slope;
  for (std::size_t l = 0; l < m.W.size(); ++l) {
    W.push_back(m.W[l].detach());
    V.push_back(m.V[l].detach());
    slope.push_back(slopes_of(ib.z_lo[l].detach(), ib.z_hi[l].detach()));
  }
  auto M = column_certificate(m.U.detach(), static_cast<std::int64_t>(W.size()), [&](std::int64_t l) {
    return block_jacobian(W[l - 1], V[l - 1], slope[l - 1]);
  });
  for (auto& t : M) t = torch::cat({t, torch::zeros({t.size(0), 1}, t.options())}, 1);  // the constant one
  return M;
}

namespace {

/// The frozen weights ω (R = Σ ω_i |θ_i|) of one certificate, in float64 on the model's device.
parameter_weights weights_of(const nn::resnet& m, const r_parts& p) {
  const auto L = depth_of(m);
  const auto w = width_of(m);
  parameter_weights out;
  for (std::int64_t l = 1; l <= L; ++l) {
    auto lambda =
        torch::where(p.lam.live[l - 1] > 0, p.lam.lambda[l - 1], p.lam.lambda_col[l - 1]).to(m.U.device());
    auto lv = lambda.matmul(m.V[l - 1].abs().detach());
    out.V.push_back(torch::outer(lambda, p.ib.h[l - 1].detach()));
    out.W.push_back(torch::outer(lv, p.ib.b[l - 1].detach()));
  }
  out.U = p.ib.b[L].detach().unsqueeze(0).expand({m.U.size(0), w + 1}).clone();
  return out;
}

/// Sub-boxes of `box` by repeated bisection of every box along its widest side, at most `count` of them.
std::vector<data::box> split_box(const data::box& box, std::int64_t count) {
  std::vector<data::box> boxes{box};
  while (static_cast<std::int64_t>(boxes.size()) * 2 <= count) {
    std::vector<data::box> next;
    for (const auto& b : boxes) {
      std::size_t widest = 0;
      for (std::size_t i = 1; i < b.dims(); ++i)
        if (b.hi[i] - b.lo[i] > b.hi[widest] - b.lo[widest]) widest = i;
      const float mid = b.lo[widest] + (b.hi[widest] - b.lo[widest]) / 2;
      if (!(mid > b.lo[widest] && mid < b.hi[widest])) return boxes;  // degenerate: nothing left to split
      data::box lo = b, hi = b;
      lo.hi[widest] = mid;
      hi.lo[widest] = mid;
      next.push_back(lo);
      next.push_back(hi);
    }
    boxes = std::move(next);
  }
  return boxes;
}

bool splits(const nn::resnet& m, const data::box& box, const certified_r_params& ps) {
  return ps.linf_certificate && ps.max_boxes > 1 && box.dims() > 0 &&
         static_cast<double>(m.shape.parameter_count() > 0 ? m.shape.parameter_count() : m.nonzero_count()) <=
             ps.max_split_parameters;
}

/// THEORY §3 step 4: R's weights over the whole box, each lowered to its largest value over the sub-boxes
/// when splitting applies (sup over B = max over a cover of B, per parameter).
parameter_weights certified_weights(const nn::resnet& m, const data::box& box, const certified_r_params& ps,
                                    const r_parts& whole) {
  auto omega = weights_of(m, whole);
  if (!splits(m, box, ps)) return omega;
  auto sub = split_box(box, ps.max_boxes);
  if (sub.size() < 2) return omega;
  auto flat_whole = omega.flat();
  std::vector<torch::Tensor> worst;
  for (const auto& b : sub) {
    auto f = weights_of(m, compute_r(m, b, ps)).flat();
    if (worst.empty())
      worst = f;
    else
      for (std::size_t i = 0; i < f.size(); ++i) worst[i] = torch::maximum(worst[i], f[i]);
  }
  const auto L = depth_of(m);
  parameter_weights out;
  for (std::int64_t l = 0; l < L; ++l) {
    out.W.push_back(torch::minimum(flat_whole[2 * l], worst[2 * l]));
    out.V.push_back(torch::minimum(flat_whole[2 * l + 1], worst[2 * l + 1]));
  }
  out.U = torch::minimum(flat_whole.back(), worst.back());
  return out;
}

}  // namespace

certified_terms certified_r_terms(const nn::resnet& m_in, const data::box& input_box,
                                  const certified_r_params& ps) {
  const nn::resnet m = as_double(m_in);
  auto p = compute_r(m, input_box, ps);
  certified_terms t;
  t.total = p.total;
  if (splits(m, input_box, ps)) {
    parameter_weights omega;
    {
      torch::NoGradGuard no_grad;
      omega = certified_weights(m, input_box, ps, p);
    }
    auto theta = m.parameters();
    auto flat = omega.flat();
    std::vector<torch::Tensor> per(flat.size());
    t.total = torch::zeros({}, m.U.options().requires_grad(false));
    for (std::size_t i = 0; i < flat.size(); ++i) {
      per[i] = (flat[i] * theta[i].abs()).sum();
      t.total = t.total + per[i];
    }
    p.v_term.clear();
    p.w_term.clear();
    for (std::size_t l = 0; l + 1 < per.size(); l += 2) {
      p.w_term.push_back(per[l]);
      p.v_term.push_back(per[l + 1]);
    }
    p.u_term = per.back();
    t.boxes = static_cast<std::int64_t>(split_box(input_box, ps.max_boxes).size());
  }
  torch::NoGradGuard no_grad;
  for (std::size_t l = 0; l < p.v_term.size(); ++l) {
    t.v_term.push_back(p.v_term[l].item<double>());
    t.w_term.push_back(p.w_term[l].item<double>());
    t.dead_neurons.push_back((p.ib.s[l] == 0).sum().item<std::int64_t>());
    t.lipschitz_sum.push_back(p.lam.lambda[l].sum().item<double>());
    t.lambda.push_back(
        torch::where(p.lam.live[l] > 0, p.lam.lambda[l],
                     torch::full_like(p.lam.lambda[l], std::numeric_limits<double>::infinity())));
  }
  for (const auto& b : p.ib.b) t.max_b.push_back(b.max().item<double>());
  t.u_term = p.u_term.item<double>();
  t.linf_wins = p.lam.linf_wins;
  t.bounds = p.ib;
  return t;
}

double certified_r(const nn::resnet& m, const data::box& input_box, const certified_r_params& ps) {
  torch::NoGradGuard no_grad;
  if (splits(m, input_box, ps)) return certified_r_terms(m, input_box, ps).total.item<double>();
  return compute_r(as_double(m), input_box, ps).total.item<double>();
}

parameter_weights certified_r_weights(const nn::resnet& m_in, const data::box& input_box,
                                      const certified_r_params& ps) {
  torch::NoGradGuard no_grad;
  const nn::resnet m = as_double(m_in);
  auto out = certified_weights(m, input_box, ps, compute_r(m, input_box, ps));
  for (auto& t : out.W) t = t.to(m_in.U.scalar_type());
  for (auto& t : out.V) t = t.to(m_in.U.scalar_type());
  out.U = out.U.to(m_in.U.scalar_type());
  return out;
}

}  // namespace occam::complexity
