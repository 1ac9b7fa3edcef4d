// THEORY §7 (circuit → ReLU ResNet) and THEORY §8 (Tetrakis function → ResNet), built sparsely and
// materialised as the THEORY §1 nn::resnet.
#include "occam/compile/compile.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include <torch/torch.h>

#include "occam/util/error.hpp"

namespace occam::compile {

// ---------------------------------------------------------------------------------------------------------
// sparse_network

std::size_t sparse_network::hidden() const {
  std::size_t k = 0;
  for (auto& b : blocks) k = std::max(k, b.size());
  return k;
}

std::size_t sparse_network::neurons() const {
  std::size_t n = 0;
  for (auto& b : blocks) n += b.size();
  return n;
}

std::size_t sparse_network::nonzero_parameters() const {
  std::size_t n = 0;
  for (auto& b : blocks)
    for (auto& r : b) n += r.in.size() + r.out.size();
  for (auto& o : outputs) n += o.size();
  return n;
}

double sparse_network::dense_parameters() const {
  double L = double(blocks.size()), k = double(std::max<std::size_t>(hidden(), 1)), w = double(width);
  return L * (k * (w + 1) + w * k) + double(d_out()) * (w + 1);
}

std::vector<double> sparse_network::evaluate(const double* x) const {
  std::vector<double> alpha(width + 1, 0.0);
  std::copy(x, x + d_in, alpha.begin());
  alpha[width] = 1.0;
  auto at = [&](std::uint32_t c) { return c == constant_coordinate ? alpha[width] : alpha[c]; };
  std::vector<double> act;
  for (auto& block : blocks) {
    // All pre-activations read α_{ℓ−1} (THEORY §1) before any output is added.
    act.assign(block.size(), 0.0);
    for (std::size_t r = 0; r < block.size(); ++r) {
      double z = 0;
      for (auto& t : block[r].in) z += t.coef * at(t.coord);
      act[r] = std::max(z, 0.0);
    }
    for (std::size_t r = 0; r < block.size(); ++r)
      for (auto& t : block[r].out) alpha[t.coord] += t.coef * act[r];
  }
  std::vector<double> out(outputs.size(), 0.0);
  for (std::size_t o = 0; o < outputs.size(); ++o)
    for (auto& t : outputs[o]) out[o] += t.coef * at(t.coord);
  return out;
}

nn::resnet to_resnet(const sparse_network& s, const data::box& box, const materialise_params& ps) {
  if (s.dense_parameters() > ps.max_dense_parameters)
    throw input_error("the dense network would have " + std::to_string(std::llround(s.dense_parameters())) +
                      " parameters (width " + std::to_string(s.width) + ", hidden " +
                      std::to_string(s.hidden()) + ", depth " + std::to_string(s.blocks.size()) +
                      "), more than the limit " + std::to_string(std::llround(ps.max_dense_parameters)));
  if (box.dims() != s.d_in) throw input_error("box dimension differs from the network's input dimension");
  const std::int64_t w = std::int64_t(s.width), k = std::int64_t(std::max<std::size_t>(s.hidden(), 1));
  const std::int64_t L = std::int64_t(s.blocks.size());
  nn::resnet m;
  m.shape.d_in = std::int64_t(s.d_in);
  m.shape.width = w;
  m.shape.hidden = k;
  m.shape.depth = L;
  m.shape.d_out = std::int64_t(s.d_out());
  auto col = [&](std::uint32_t c) { return c == constant_coordinate ? w : std::int64_t(c); };
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  for (const auto& block : s.blocks) {
    torch::Tensor W = torch::zeros({k, w + 1}, opts), V = torch::zeros({w, k}, opts);
    auto Wa = W.accessor<double, 2>();
    auto Va = V.accessor<double, 2>();
    for (std::size_t r = 0; r < block.size(); ++r) {
      for (auto& t : block[r].in) Wa[std::int64_t(r)][col(t.coord)] += t.coef;
      for (auto& t : block[r].out) {
        if (t.coord == constant_coordinate) throw std::logic_error("a block writes the constant coordinate");
        Va[std::int64_t(t.coord)][std::int64_t(r)] += t.coef;
      }
    }
    m.W.push_back(W.to(ps.dtype));
    m.V.push_back(V.to(ps.dtype));
  }
  torch::Tensor U = torch::zeros({std::int64_t(s.d_out()), w + 1}, opts);
  auto Ua = U.accessor<double, 2>();
  for (std::size_t o = 0; o < s.d_out(); ++o)
    for (auto& t : s.outputs[o]) Ua[std::int64_t(o)][col(t.coord)] += t.coef;
  m.U = U.to(ps.dtype);
  m.kind = data::task_kind::regression;
  m.input_box = box;
  return m;
}

// ---------------------------------------------------------------------------------------------------------
// Construction helpers: affine expressions over the residual stream and a block builder.

namespace {

/// Σ coef·α[coord] + constant (an affine function of the current residual stream).
struct expr {
  std::map<std::uint32_t, double> terms;
  double constant = 0;
  static expr coord(std::uint32_t c, double coef = 1.0) {
    expr e;
    e.terms[c] = coef;
    return e;
  }
  static expr value(double v) {
    expr e;
    e.constant = v;
    return e;
  }
};

expr operator+(expr a, const expr& b) {
  for (auto& [c, v] : b.terms) a.terms[c] += v;
  a.constant += b.constant;
  return a;
}
expr operator*(double s, expr a) {
  for (auto& kv : a.terms) kv.second *= s;
  a.constant *= s;
  return a;
}
expr operator-(const expr& a) {
  return -1.0 * a;
}
expr operator-(const expr& a, const expr& b) {
  return a + (-b);
}

std::vector<sparse_term> to_terms(const expr& e) {
  std::vector<sparse_term> t;
  for (auto& [c, v] : e.terms)
    if (v != 0) t.push_back({c, v});
  if (e.constant != 0) t.push_back({constant_coordinate, e.constant});
  return t;
}

class builder {
 public:
  explicit builder(std::size_t d_in) {
    net_.d_in = d_in;
    net_.width = d_in;
  }
  std::uint32_t fresh() { return std::uint32_t(net_.width++); }
  /// Adds σ(pre) to block `l` (0-based), its output added to α with the given coefficients.
  void relu(std::size_t l, const expr& pre, std::vector<sparse_term> out) {
    while (net_.blocks.size() <= l) net_.blocks.emplace_back();
    net_.blocks[l].push_back({to_terms(pre), std::move(out)});
  }
  void ensure_blocks(std::size_t n) {
    while (net_.blocks.size() < n) net_.blocks.emplace_back();
  }
  std::size_t blocks() const { return net_.blocks.size(); }
  sparse_network& net() { return net_; }

 private:
  sparse_network net_;
};

/// THEORY §7 inside a larger network: the gates of `g` (cleaned up) on inputs `inputs` (±λ-valued
/// expressions available before block `first`); the constant false is −λ. The AND gates of level ℓ go into
/// block first + ℓ − 1, each into a fresh coordinate c: c = σ(b) − σ(−b) − σ(b − a) = min(a, b).
/// Returns the outputs' expressions.
std::vector<expr> append_circuit(builder& B, const circuit::aig& g, const std::vector<expr>& inputs,
                                 const expr& lambda, std::size_t first) {
  using namespace occam::circuit;
  auto levels = compute_levels(g);
  std::vector<expr> value(g.num_nodes());
  value[0] = -lambda;
  for (std::size_t i = 0; i < g.num_pis(); ++i) value[g.pi_node(i)] = inputs[i];
  auto lit = [&](literal l) { return lit_complemented(l) ? -value[lit_node(l)] : value[lit_node(l)]; };
  for (node_id n = 1; n < g.num_nodes(); ++n) {
    if (!g.is_and(n)) continue;
    std::size_t blk = first + levels[n] - 1;
    expr a = lit(g.fanin0(n)), b = lit(g.fanin1(n));
    std::uint32_t c = B.fresh();
    B.relu(blk, b, {{c, 1.0}});
    B.relu(blk, -b, {{c, -1.0}});
    B.relu(blk, b - a, {{c, -1.0}});
    value[n] = expr::coord(c);
  }
  std::vector<expr> out;
  for (std::size_t o = 0; o < g.num_pos(); ++o) out.push_back(lit(g.po(o)));
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// THEORY §7

sparse_network circuit_to_network(const circuit::aig& c, circuit_network_stats* stats) {
  circuit::aig g = circuit::cleanup(c);
  const std::size_t n = g.num_pis();
  builder B(n);
  std::vector<expr> inputs;
  for (std::size_t i = 0; i < n; ++i) inputs.push_back(expr::coord(std::uint32_t(i)));
  bool constant_po = false;
  for (std::size_t o = 0; o < g.num_pos(); ++o) constant_po |= circuit::lit_node(g.po(o)) == 0;
  expr lambda = expr::value(1.0);
  if (constant_po && n > 0) {
    // λ = |x_0| keeps constant outputs homogeneous: ±1 bits give λ = 1.
    std::uint32_t l = B.fresh();
    B.relu(0, inputs[0], {{l, 1.0}});
    B.relu(0, -inputs[0], {{l, 1.0}});
    lambda = expr::coord(l);
  }
  auto outs = append_circuit(B, g, inputs, lambda, 0);
  B.ensure_blocks(1);
  for (auto& o : outs) B.net().outputs.push_back(to_terms(o));
  sparse_network net = std::move(B.net());
  if (stats) {
    stats->ands = g.num_ands();
    stats->levels = circuit::depth(g);
    stats->width = net.width;
    stats->hidden = net.hidden();
    stats->blocks = net.blocks.size();
    stats->neurons = net.neurons();
    stats->nonzero_parameters = net.nonzero_parameters();
    stats->dense_parameters = net.dense_parameters();
  }
  return net;
}

// ---------------------------------------------------------------------------------------------------------
// THEORY §8

std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> sorting_network(std::size_t n) {
  std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> layers;
  for (std::size_t p = 1; p < n; p *= 2)
    for (std::size_t k = p; k >= 1; k /= 2) {
      std::vector<std::pair<std::uint32_t, std::uint32_t>> layer;
      for (std::size_t j = k % p; j + k < n; j += 2 * k)
        for (std::size_t i = 0; i < k && i + j + k < n; ++i)
          if ((i + j) / (2 * p) == (i + j + k) / (2 * p))
            layer.push_back({std::uint32_t(i + j), std::uint32_t(i + j + k)});
      if (!layer.empty()) layers.push_back(std::move(layer));
    }
  return layers;
}

sparse_network tetrakis_to_network(const circuit::aig& c, const tetrakis::grid_map& map,
                                   const tetrakis::decoding& dec, tetrakis_network_stats* stats) {
  const std::size_t d = map.dims();
  const unsigned k = map.level;
  if (d == 0) throw input_error("a Tetrakis network needs at least one dimension");
  if (k > 20) throw input_error("grid level must be at most 20 for the Tetrakis network");
  if (c.num_pis() != tetrakis::input_count(d, k))
    throw input_error("a level-" + std::to_string(k) + " Tetrakis circuit in " + std::to_string(d) +
                      " dimensions needs d·(k+1) = " + std::to_string(tetrakis::input_count(d, k)) +
                      " inputs, the circuit has " + std::to_string(c.num_pis()));
  tetrakis::affine_decoding ad = tetrakis::affine_form(dec, c.num_pos());
  circuit::aig g = circuit::cleanup(c);
  const std::int64_t top = std::int64_t(1) << k;
  builder B(d);
  std::size_t blk = 0;

  // Stage 1a: grid units, clamped to [0, 2^k]: u = σ(y) − σ(y − 2^k), y affine in x.
  std::vector<expr> u(d);
  for (std::size_t i = 0; i < d; ++i) {
    double span = map.hi[i] - map.lo[i];
    expr y = span > 0 ? double(top) / span * expr::coord(std::uint32_t(i)) +
                            expr::value(-double(top) * map.lo[i] / span)
                      : expr::value(0.0);
    std::uint32_t uc = B.fresh();
    B.relu(blk, y, {{uc, 1.0}});
    B.relu(blk, y - expr::value(double(top)), {{uc, -1.0}});
    u[i] = expr::coord(uc);
  }
  ++blk;
  // Stage 1b: a recursion over the scales of the grid (THEORY §8 stage 1). Folds y^{(m)} = |Y_m|,
  // Y_m = y^{(m−1)} − 2^{k−m} (m = 1..k−1), one block each, of y^{(0)} = u (o-chain) and y^{(0)} = u + 1
  // (e-chain). From them: t = 1 − |u^{(k−1)} − 1| and, per bit b, the signed wave g_b (zero on 2^b ℤ,
  // negative on (0, 2^b), positive on (2^b, 2^{b+1}) mod 2^{b+1}, slopes ±1): S^O_b = g_b(u) has the sign of
  // bit b of o and |S^O_b| = dist(u, 2^b ℤ) ≥ t; S^E_b = g_b(u + 1) has the sign of bit b of e and |S^E_b| ≥
  // 1 − t. g_b is computed inside out: on the last useful fold (y ≤ 2^{b+1} + 1) it is the Z-shaped −y + 2σ(y
  // − 2^{b−1}) − 2σ(y − 3·2^{b−1}); each fold is undone with g_b(y^{(m−1)}) = sign(Y_m)·g_b(y^{(m)}) = σ(Y_m
  // + G) − σ(Y_m − G) − G, exact because |G| ≤ y^{(m)} = |Y_m|.
  std::vector<expr> t(d);
  std::vector<std::vector<expr>> SO(d, std::vector<expr>(k + 1)), SE(d, std::vector<expr>(k + 1));
  const std::size_t s0 = blk;  // the first stage-1b block
  std::size_t stage1_end = s0 + 1;
  auto pow2 = [](int e) { return std::ldexp(1.0, e); };
  for (std::size_t i = 0; i < d; ++i)
    for (int chain = 0; chain < 2; ++chain) {
      // y[m] = y^{(m)}, Y[m] = Y_m; fold m lives in block s0 + m − 1, so y^{(m)} is readable from block s0 +
      // m.
      std::vector<expr> y(k > 0 ? k : 1), Y(k > 0 ? k : 1);
      y[0] = chain == 0 ? u[i] : u[i] + expr::value(1.0);
      for (unsigned m = 1; m + 1 <= k; ++m) {
        Y[m] = y[m - 1] - expr::value(pow2(int(k - m)));
        std::uint32_t c = B.fresh();
        B.relu(s0 + m - 1, Y[m], {{c, 1.0}});
        B.relu(s0 + m - 1, -Y[m], {{c, 1.0}});
        y[m] = expr::coord(c);
      }
      if (chain == 0) {
        // t = dist(u, 2ℤ) = 1 − |y^{(k−1)} − 1| (k ≥ 1; y^{(k−1)} ∈ [0, 2]); for k = 0 the grid is {0, 1}: t
        // = u.
        if (k == 0) {
          t[i] = u[i];
        } else {
          std::uint32_t c = B.fresh();
          std::size_t bl = s0 + (k - 1);
          B.relu(bl, y[k - 1] - expr::value(1.0), {{c, -1.0}});
          B.relu(bl, expr::value(1.0) - y[k - 1], {{c, -1.0}});
          t[i] = expr::value(1.0) + expr::coord(c);
          stage1_end = std::max(stage1_end, bl + 1);
        }
      }
      for (unsigned b = 1; b <= k; ++b) {
        if (chain == 0 && b == k) continue;           // bit k of o is 0 inside the grid
        unsigned folds = b + 1 <= k ? k - 1 - b : 0;  // g_b has period 2^{b+1}: fold down to y ≤ 2^{b+1}(+1)
        std::size_t bl = s0 + folds;
        std::uint32_t c = B.fresh();
        B.relu(bl, y[folds] - expr::value(pow2(int(b) - 1)), {{c, 2.0}});
        B.relu(bl, y[folds] - expr::value(3 * pow2(int(b) - 1)), {{c, -2.0}});
        expr G = expr::coord(c) - y[folds];
        for (unsigned m = folds; m >= 1; --m) {
          ++bl;
          std::uint32_t g = B.fresh();
          B.relu(bl, Y[m] + G, {{g, 1.0}});
          B.relu(bl, Y[m] - G, {{g, -1.0}});
          G = expr::coord(g) - G;
        }
        stage1_end = std::max(stage1_end, bl + 1);
        (chain == 0 ? SO : SE)[i][b] = G;
      }
    }
  blk = stage1_end;
  const std::size_t stage1_blocks = blk;

  // Stage 2a: sorting network on t (descending): compare-exchange of a, b ≥ 0 into fresh coordinates,
  // max = σ(b) + σ(a − b), min = σ(b) − σ(b − a).
  std::vector<expr> wire = t;
  auto layers = sorting_network(d);
  std::size_t comparators = 0;
  for (auto& layer : layers) {
    for (auto [i, j] : layer) {
      std::uint32_t hi = B.fresh(), lo = B.fresh();
      const expr &a = wire[i], &b = wire[j];
      B.relu(blk, b, {{hi, 1.0}, {lo, 1.0}});
      B.relu(blk, a - b, {{hi, 1.0}});
      B.relu(blk, b - a, {{lo, -1.0}});
      wire[i] = expr::coord(hi);
      wire[j] = expr::coord(lo);
      ++comparators;
    }
    ++blk;
  }
  // τ_0 = 1, τ_1 ≥ … ≥ τ_d the sorted t, τ_{d+1} = 0; μ_j = τ_j − τ_{j+1}.
  std::vector<expr> tau(d + 2);
  tau[0] = expr::value(1.0);
  for (std::size_t j = 1; j <= d; ++j) tau[j] = wire[j - 1];
  tau[d + 1] = expr::value(0.0);
  std::vector<expr> mu(d + 1);
  for (std::size_t j = 0; j <= d; ++j) mu[j] = tau[j] - tau[j + 1];
  // Stage 2b: m_ij = min(t_i, τ_j) = τ_j − σ(τ_j − t_i); a_ij = m_ij − m_{i,j+1} = μ_j·[i ∈ π(1..j)],
  // c_ij = μ_j − a_ij = μ_j·[i ∉ π(1..j)].
  std::vector<std::vector<expr>> m(d, std::vector<expr>(d + 2));
  for (std::size_t i = 0; i < d; ++i) {
    m[i][0] = t[i];
    m[i][d + 1] = expr::value(0.0);
    for (std::size_t j = 1; j <= d; ++j) {
      std::uint32_t delta = B.fresh();
      B.relu(blk, tau[j] - t[i], {{delta, 1.0}});
      m[i][j] = tau[j] - expr::coord(delta);
    }
  }
  ++blk;
  // Stage 2c: the weighted vertex bits X_{j,i,b} = μ_j·(±1 bit b of coordinate i of v_j) = a_ij·O_ib +
  // c_ij·E_ib, with w·sign(S) = S − σ(S − w) + σ(−S − w) whenever 0 ≤ w ≤ |S|.
  std::vector<std::vector<expr>> X(d + 1, std::vector<expr>(tetrakis::input_count(d, k)));
  for (std::size_t j = 0; j <= d; ++j)
    for (std::size_t i = 0; i < d; ++i) {
      expr a = m[i][j] - m[i][j + 1];
      expr cc = mu[j] - a;
      for (unsigned b = 0; b <= k; ++b) {
        expr& x = X[j][i * (k + 1) + b];
        if (b == 0) {  // o is odd, e is even
          x = a - cc;
          continue;
        }
        std::uint32_t coord = B.fresh();
        expr part_o;
        if (b == k) {
          part_o = -a;  // o < 2^k inside the grid: its top bit is 0
        } else {
          const expr& S = SO[i][b];
          B.relu(blk, S - a, {{coord, -1.0}});
          B.relu(blk, -S - a, {{coord, 1.0}});
          part_o = S;
        }
        const expr& S = SE[i][b];
        B.relu(blk, S - cc, {{coord, -1.0}});
        B.relu(blk, -S - cc, {{coord, 1.0}});
        x = part_o + S + expr::coord(coord);
      }
    }
  ++blk;
  const std::size_t stage2_blocks = blk - stage1_blocks;

  // Stage 3: the THEORY §7 network on each weighted vertex (homogeneous: μ_j·bits ↦ μ_j·outputs), in
  // parallel. dec is affine: Σ_j μ_j dec(C(v_j)) = offset + Σ_b c_b/2 · Σ_j (μ_j s_jb + μ_j) with Σ_j μ_j
  // = 1.
  expr total = expr::value(ad.offset);
  for (double cb : ad.coefficients) total.constant += cb / 2;
  for (std::size_t j = 0; j <= d; ++j) {
    auto outs = append_circuit(B, g, X[j], mu[j], blk);
    for (std::size_t o = 0; o < outs.size(); ++o) total = total + (ad.coefficients[o] / 2) * outs[o];
  }
  B.ensure_blocks(blk + circuit::depth(g));
  B.net().outputs.push_back(to_terms(total));
  sparse_network net = std::move(B.net());
  if (stats) {
    stats->ands = g.num_ands();
    stats->levels = circuit::depth(g);
    stats->sorting_comparators = comparators;
    stats->sorting_layers = layers.size();
    stats->stage1_blocks = stage1_blocks;
    stats->stage2_blocks = stage2_blocks;
    stats->stage3_blocks = net.blocks.size() - blk;
    stats->width = net.width;
    stats->hidden = net.hidden();
    stats->blocks = net.blocks.size();
    stats->neurons = net.neurons();
    stats->nonzero_parameters = net.nonzero_parameters();
    stats->dense_parameters = net.dense_parameters();
  }
  return net;
}

}  // namespace occam::compile
