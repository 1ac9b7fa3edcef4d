// Quantised ResNet → AIG (THEORY §4). See network_to_circuit.hpp and docs/compiler.md.
#include "occam/compile/network_to_circuit.hpp"

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "occam/circuit/synth.hpp"
#include "occam/util/error.hpp"

namespace occam::compile {
namespace {

using circuit::aig;
using circuit::lit_false;
using circuit::literal;
using circuit::node_id;
using circuit::word;
using table = std::vector<std::uint64_t>;

bool is_const(literal l) {
  return l == circuit::lit_false || l == circuit::lit_true;
}

// Position k if `x` is b·2^k for a single non-constant bit b (every other bit, the sign included, false).
int single_bit_position(const word& x) {
  int pos = -1;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i] == lit_false) continue;
    if (is_const(x[i]) || pos >= 0) return -1;
    pos = int(i);
  }
  return pos + 1 == int(x.size()) ? -1 : pos;  // a bit in the sign position would be b·(−2^k)
}

bool is_zero_word(const word& x) {
  return std::all_of(x.begin(), x.end(), [](literal l) { return l == lit_false; });
}

unsigned magnitude_bits(std::int64_t c) {  // bits of |c|
  std::uint64_t m = c < 0 ? std::uint64_t(-(c + 1)) + 1 : std::uint64_t(c);
  unsigned b = 0;
  while (m) {
    ++b;
    m >>= 1;
  }
  return b;
}

// ---- per-word truth tables (THEORY §4: size = AND nodes; LogicNets / NullaNet-style neuron synthesis) ----
// A word is a function of any cut of the AIG below it; its truth table over a cut of k ≤ 20 nodes is found by
// simulating its cone on all 2^k cut patterns (64 per machine word, minterm m: variable v = bit v of m).

std::size_t table_words(std::size_t k) {
  return k <= 6 ? 1 : std::size_t(1) << (k - 6);
}
std::uint64_t table_mask(std::size_t k) {
  return k >= 6 ? ~std::uint64_t(0) : (std::uint64_t(1) << (std::size_t(1) << k)) - 1;
}
std::uint64_t variable_pattern(std::size_t v, std::size_t w) {
  static const std::uint64_t low[6] = {0xAAAAAAAAAAAAAAAAull, 0xCCCCCCCCCCCCCCCCull, 0xF0F0F0F0F0F0F0F0ull,
                                       0xFF00FF00FF00FF00ull, 0xFFFF0000FFFF0000ull, 0xFFFFFFFF00000000ull};
  if (v < 6) return low[v];
  return (w >> (v - 6)) & 1u ? ~std::uint64_t(0) : 0;
}

/// Truth tables of the literals `roots` as functions of the cut nodes (variable v = node cut[v]). Empty
/// when a root's cone reaches a primary input outside the cut (then the cut does not determine it).
std::vector<table> cone_tables(const aig& g, const std::vector<node_id>& cut, const word& roots) {
  const std::size_t k = cut.size(), W = table_words(k);
  const std::uint64_t valid = table_mask(k);
  constexpr std::size_t unset = ~std::size_t(0);
  std::unordered_map<node_id, std::size_t> slot;      // node → its table's index in `values`
  std::vector<std::uint64_t> values(W * (k + 1), 0);  // slot 0: the constant false
  slot[0] = 0;
  for (std::size_t v = 0; v < k; ++v) {
    slot[cut[v]] = v + 1;
    for (std::size_t w = 0; w < W; ++w) values[(v + 1) * W + w] = variable_pattern(v, w) & valid;
  }
  std::vector<node_id> cone, stack;
  for (literal l : roots) stack.push_back(circuit::lit_node(l));
  while (!stack.empty()) {
    node_id n = stack.back();
    stack.pop_back();
    if (slot.count(n)) continue;
    if (!g.is_and(n)) return {};
    slot[n] = unset;
    cone.push_back(n);
    stack.push_back(circuit::lit_node(g.fanin0(n)));
    stack.push_back(circuit::lit_node(g.fanin1(n)));
  }
  std::sort(cone.begin(), cone.end());  // node ids are topological
  for (std::size_t i = 0; i < cone.size(); ++i) slot[cone[i]] = k + 1 + i;
  values.resize(W * (k + 1 + cone.size()));
  for (std::size_t i = 0; i < cone.size(); ++i) {
    const literal f0 = g.fanin0(cone[i]), f1 = g.fanin1(cone[i]);
    const std::uint64_t* a = values.data() + slot[circuit::lit_node(f0)] * W;
    const std::uint64_t* b = values.data() + slot[circuit::lit_node(f1)] * W;
    const std::uint64_t ca = circuit::lit_complemented(f0) ? valid : 0,
                        cb = circuit::lit_complemented(f1) ? valid : 0;
    std::uint64_t* out = values.data() + (k + 1 + i) * W;
    for (std::size_t w = 0; w < W; ++w) out[w] = (a[w] ^ ca) & (b[w] ^ cb);
  }
  std::vector<table> tabs;
  for (literal l : roots) {
    const std::uint64_t* t = values.data() + slot[circuit::lit_node(l)] * W;
    const std::uint64_t c = circuit::lit_complemented(l) ? valid : 0;
    table r(W);
    for (std::size_t w = 0; w < W; ++w) r[w] = (t[w] ^ c) & valid;
    tabs.push_back(std::move(r));
  }
  return tabs;
}

/// The distinct non-constant nodes of the words' bits, in increasing order (the operand cut).
std::vector<node_id> word_leaves(const std::vector<const word*>& words) {
  std::vector<node_id> nodes;
  for (const word* x : words)
    for (literal l : *x)
      if (!is_const(l)) nodes.push_back(circuit::lit_node(l));
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  return nodes;
}

/// A copy of `sub`'s logic in `g` with sub's input i driven by inputs[i]; returns its outputs.
word insert_aig(aig& g, const aig& sub, const std::vector<literal>& inputs) {
  std::vector<literal> map(sub.num_nodes(), lit_false);
  for (std::size_t i = 0; i < sub.num_pis(); ++i) map[sub.pi_node(i)] = inputs[i];
  auto m = [&map](literal l) {
    return circuit::lit_not_cond(map[circuit::lit_node(l)], circuit::lit_complemented(l));
  };
  for (node_id n = 1; n < sub.num_nodes(); ++n)
    if (sub.is_and(n)) map[n] = g.create_and(m(sub.fanin0(n)), m(sub.fanin1(n)));
  word out;
  for (literal l : sub.pos()) out.push_back(m(l));
  return out;
}

struct builder {
  aig& g;
  const network_to_circuit_params& params;
  network_to_circuit_stats& st;
  unsigned lut_inputs = 0;  // K of this build (0: pure arithmetic)
  std::vector<std::uint32_t> stamp;
  std::uint32_t epoch = 0;

  /// The primary-input nodes in the structural fan-in of `roots` (increasing); false when more than `cap`.
  bool pi_support(const word& roots, std::size_t cap, std::vector<node_id>& support) {
    support.clear();
    if (stamp.size() < g.num_nodes()) stamp.resize(g.num_nodes(), 0);
    ++epoch;
    std::vector<node_id> stack;
    for (literal l : roots) stack.push_back(circuit::lit_node(l));
    while (!stack.empty()) {
      node_id n = stack.back();
      stack.pop_back();
      if (n == 0 || stamp[n] == epoch) continue;
      stamp[n] = epoch;
      if (g.is_pi(n)) {
        support.push_back(n);
        if (support.size() > cap) return false;
        continue;
      }
      stack.push_back(circuit::lit_node(g.fanin0(n)));
      stack.push_back(circuit::lit_node(g.fanin1(n)));
    }
    std::sort(support.begin(), support.end());
    return true;
  }

  /// AND nodes created since `mark` in the cone of `roots` (the word's own arithmetic).
  std::size_t own_cone_size(const word& roots, node_id mark) {
    if (stamp.size() < g.num_nodes()) stamp.resize(g.num_nodes(), 0);
    ++epoch;
    std::size_t count = 0;
    std::vector<node_id> stack;
    for (literal l : roots) stack.push_back(circuit::lit_node(l));
    while (!stack.empty()) {
      node_id n = stack.back();
      stack.pop_back();
      if (n < mark || stamp[n] == epoch || !g.is_and(n)) continue;
      stamp[n] = epoch;
      ++count;
      stack.push_back(circuit::lit_node(g.fanin0(n)));
      stack.push_back(circuit::lit_node(g.fanin1(n)));
    }
    return count;
  }

  /// With K = lut_inputs > 0: `arith` (built from the operand cut `operands`, nodes from `mark` on) is
  /// replaced by a LUT (truth-table synthesis over the operand cut or the primary-input support, whichever
  /// fits K and is smaller) when that has fewer AND nodes; constant bits and (signed words) top bits equal
  /// to the sign are dropped either way. Exact on every input: the tables are the word's own function,
  /// and only operand patterns that no input produces are don't-cares.
  word finish(word arith, const std::vector<node_id>& operands, node_id mark, bool is_signed) {
    if (lut_inputs == 0) return arith;
    const auto t0 = std::chrono::steady_clock::now();
    struct timer {
      network_to_circuit_stats& st;
      std::chrono::steady_clock::time_point t0;
      ~timer() {
        st.lut_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      }
    } tm{st, t0};
    const std::size_t K = lut_inputs;
    std::vector<node_id> support;
    const bool support_known = pi_support(arith, std::max<std::size_t>(K, params.lut_care_support), support);
    const bool operand_fits = operands.size() <= K;
    const bool support_fits = support_known && support.size() <= K && support != operands;
    if (!operand_fits && !support_fits) {
      if (own_cone_size(arith, mark) > 0) ++st.arithmetic_words;
      return arith;
    }
    // The word's tables over the reference cut (operands when they fit), with the care set of reachable
    // operand patterns when the input support is small enough to enumerate.
    const std::vector<node_id>& ref = operand_fits ? operands : support;
    auto tabs = cone_tables(g, ref, arith);
    if (tabs.empty()) {  // cannot happen for a word built from its operands; stay safe
      ++st.arithmetic_words;
      return arith;
    }
    const std::size_t W = table_words(ref.size());
    table care(W, table_mask(ref.size()));
    if (operand_fits && support_known && support.size() <= params.lut_care_support && support != operands) {
      word leaves;
      for (node_id n : operands) leaves.push_back(circuit::make_lit(n));
      auto op = cone_tables(g, support, leaves);
      if (!op.empty()) {
        std::fill(care.begin(), care.end(), 0);
        for (std::uint64_t m = 0; m < (std::uint64_t(1) << support.size()); ++m) {
          std::uint64_t row = 0;
          for (std::size_t v = 0; v < op.size(); ++v) row |= ((op[v][m / 64] >> (m % 64)) & 1u) << v;
          care[row / 64] |= std::uint64_t(1) << (row % 64);
        }
      }
    }
    auto same_on_care = [&](const table& a, const table& b) {
      for (std::size_t w = 0; w < W; ++w)
        if ((a[w] ^ b[w]) & care[w]) return false;
      return true;
    };
    const table zero(W, 0), ones(care);
    std::size_t n = arith.size();
    while (is_signed && n >= 2 && same_on_care(tabs[n - 1], tabs[n - 2])) --n;
    st.narrowed_bits += arith.size() - n;
    arith.resize(n);
    tabs.resize(n);
    std::vector<std::size_t> live;  // bits that are not constant on the care set
    for (std::size_t b = 0; b < n; ++b) {
      if (same_on_care(tabs[b], zero)) {
        if (arith[b] != lit_false) ++st.narrowed_bits;
        arith[b] = lit_false;
      } else if (same_on_care(tabs[b], ones)) {
        if (arith[b] != circuit::lit_true) ++st.narrowed_bits;
        arith[b] = circuit::lit_true;
      } else {
        live.push_back(b);
      }
    }
    const std::size_t arith_cost = own_cone_size(arith, mark);
    if (live.empty() || arith_cost == 0) return arith;  // wires and constants: nothing to synthesise
    circuit::synth_params sp;
    sp.abc_script = "";  // ABC runs once on the whole circuit afterwards
    sp.verify = true;    // cheap next to the synthesis: a wrong LUT throws instead of compiling silently
    std::size_t best_cost = arith_cost;
    aig best;
    const std::vector<node_id>* best_cut = nullptr;
    auto try_cut = [&](const std::vector<node_id>& cut, const std::vector<table>& cut_tabs,
                       const table& cut_care) {
      std::vector<circuit::truth_table> tts;
      for (std::size_t b : live) {
        circuit::truth_table t;
        t.num_inputs = unsigned(cut.size());
        t.on = cut_tabs[b];
        t.care = cut_care;
        tts.push_back(std::move(t));
      }
      circuit::synth_stats ss;
      aig sub = circuit::synthesize_truth_tables(tts, sp, &ss);
      if (ss.ands < best_cost) {
        best_cost = ss.ands;
        best = std::move(sub);
        best_cut = &cut;
      }
    };
    if (operand_fits) try_cut(operands, tabs, care);
    if (support_fits) {
      word live_bits;
      for (std::size_t b = 0; b < n; ++b) live_bits.push_back(arith[b]);
      auto stabs = operand_fits ? cone_tables(g, support, live_bits) : tabs;
      if (!stabs.empty())
        try_cut(support, stabs, table(table_words(support.size()), table_mask(support.size())));
    }
    if (!best_cut) {
      ++st.arithmetic_words;
      return arith;
    }
    std::vector<literal> inputs;
    for (node_id v : *best_cut) inputs.push_back(circuit::make_lit(v));
    word lut = insert_aig(g, best, inputs);
    for (std::size_t i = 0; i < live.size(); ++i) arith[live[i]] = lut[i];
    ++st.lut_words;
    if (best_cut == &support) ++st.lut_words_over_inputs;
    st.lut_ands_saved += arith_cost - best_cost;
    return arith;
  }

  // Exact Σ_i w_i x_i + bias; zero weights and zero operands add nothing.
  word dot(const std::vector<word>& xs, const std::int64_t* w, std::int64_t bias) {
    std::vector<std::size_t> used;  // terms with a non-zero weight and a non-zero operand
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (w[i] == 0) {
        ++st.zero_weights_skipped;
        continue;
      }
      if (!is_zero_word(xs[i])) used.push_back(i);
    }
    auto product = [&](std::size_t i) -> word {
      int k = single_bit_position(xs[i]);
      if (k >= 0) {
        // w·b·2^k: the constant's bits where b is 1, else 0 (an AND-mask; no gates at all).
        literal b = xs[i][std::size_t(k)];
        unsigned n = magnitude_bits(w[i]) + unsigned(k) + 2;
        word c = circuit::constant_word(w[i] * (std::int64_t(1) << k), n);
        for (auto& l : c) l = l == circuit::lit_true ? b : lit_false;
        ++st.masked_products;
        return c;
      }
      unsigned n = unsigned(xs[i].size()) + magnitude_bits(w[i]) + 1;
      ++st.multiplier_products;
      return circuit::mul_const(g, xs[i], w[i], n, params.adder);
    };
    std::vector<word> terms;
    const unsigned group_bits = std::min(lut_inputs, params.lut_partial_sum_inputs);
    if (group_bits > 0 && used.size() > 1) {
      // Per-word truth tables of partial sums: consecutive terms whose operands have ≤ group_bits bits
      // together are summed as one word that finish() may replace by a LUT (a wide dot product is then an
      // adder tree over LUT outputs, as in LogicNets-style neuron splitting).
      for (std::size_t pos = 0; pos < used.size();) {
        std::vector<node_id> leaves = word_leaves({&xs[used[pos]]});
        std::size_t end = pos + 1;
        for (; end < used.size(); ++end) {
          std::vector<node_id> merged = leaves, more = word_leaves({&xs[used[end]]});
          merged.insert(merged.end(), more.begin(), more.end());
          std::sort(merged.begin(), merged.end());
          merged.erase(std::unique(merged.begin(), merged.end()), merged.end());
          if (merged.size() > group_bits) break;
          leaves = std::move(merged);
        }
        const node_id mark = node_id(g.num_nodes());
        std::vector<word> group;
        for (std::size_t t = pos; t < end; ++t) group.push_back(product(used[t]));
        terms.push_back(finish(sum_tree(std::move(group)), leaves, mark, true));
        pos = end;
      }
    } else {
      for (std::size_t i : used) terms.push_back(product(i));
    }
    if (bias != 0) terms.push_back(circuit::constant_word(bias, magnitude_bits(bias) + 1));
    if (terms.empty()) return word{lit_false};
    return sum_tree(std::move(terms));
  }

  word sum_tree(std::vector<word> terms) {  // balanced exact adder tree
    while (terms.size() > 1) {
      std::vector<word> next;
      for (std::size_t i = 0; i + 1 < terms.size(); i += 2)
        next.push_back(circuit::add(g, terms[i], terms[i + 1], params.adder));
      if (terms.size() % 2) next.push_back(std::move(terms.back()));
      terms = std::move(next);
    }
    return terms[0];
  }
};

unsigned index_bits(std::size_t classes) {
  unsigned b = 1;
  while ((std::size_t(1) << b) < classes) ++b;
  return b;
}

}  // namespace

std::size_t circuit_input_count(const quantized_resnet& q) {
  return q.d_in * q.input_bits;
}

std::size_t circuit_output_count(const quantized_resnet& q) {
  switch (q.kind) {
    case data::task_kind::binary:
      return q.d_out;
    case data::task_kind::multiclass:
      return index_bits(q.d_out);
    default:
      return q.d_out * q.output_bits;
  }
}

std::vector<bool> circuit_input_bits(const quantized_resnet& q, const std::int64_t* codes) {
  std::vector<bool> bits(circuit_input_count(q));
  for (std::size_t i = 0; i < q.d_in; ++i)
    for (unsigned b = 0; b < q.input_bits; ++b) bits[i * q.input_bits + b] = (codes[i] >> b) & 1;
  return bits;
}

std::vector<bool> expected_output_bits(const quantized_resnet& q, const std::int64_t* acc) {
  auto d = quantized_decision(q, acc);
  std::vector<bool> bits;
  if (q.kind == data::task_kind::binary) {
    for (auto v : d) bits.push_back(v != 0);
  } else if (q.kind == data::task_kind::multiclass) {
    for (unsigned b = 0; b < index_bits(q.d_out); ++b) bits.push_back((d[0] >> b) & 1);
  } else {
    for (auto v : d)
      for (unsigned b = 0; b < q.output_bits; ++b) bits.push_back((std::uint64_t(v) >> b) & 1u);
  }
  return bits;
}

namespace {

// The circuit of `q` with per-word truth-table synthesis of width K (0 = none), cleaned up, no ABC.
aig build_circuit(const quantized_resnet& q, const network_to_circuit_params& params, unsigned K,
                  network_to_circuit_stats& st) {
  aig g;
  builder bld{g, params, st, K, {}, 0};
  const unsigned ba = q.activation_bits;
  const std::size_t w = q.width, k = q.hidden;
  auto mark = [&g]() { return node_id(g.num_nodes()); };

  // Residual stream start: r_i = sat(round(u_i · 2^frac_i)) on the input coordinates, 0 elsewhere.
  std::vector<word> r(w, word{lit_false});
  for (std::size_t i = 0; i < q.d_in; ++i) {
    word u = circuit::create_input_word(g, q.input_bits, "x" + std::to_string(i));
    const auto leaves = word_leaves({&u});
    const node_id m0 = mark();
    u = circuit::zero_extend(u, q.input_bits + 1);
    int f = q.residual_frac[i];
    if (f >= 0) {
      word s(std::size_t(f), lit_false);
      s.insert(s.end(), u.begin(), u.end());
      u = std::move(s);
    } else {
      u = circuit::shift_right(g, u, unsigned(-f), q.rounding);
    }
    r[i] = bld.finish(circuit::saturate(g, u, ba), leaves, m0, true);
  }

  // The operand cut of a dot product: the non-constant bits of the words with a non-zero weight.
  auto operand_leaves = [](const std::vector<word>& xs, const std::int64_t* wts) {
    std::vector<const word*> used;
    for (std::size_t i = 0; i < xs.size(); ++i)
      if (wts[i] != 0) used.push_back(&xs[i]);
    return word_leaves(used);
  };

  for (const auto& l : q.layers) {
    std::vector<word> h(k);
    for (std::size_t j = 0; j < k; ++j) {
      const node_id m0 = mark();
      word acc = bld.dot(r, l.W.data() + j * w, l.W_bias[j]);
      h[j] =
          circuit::relu(g, circuit::saturate(g, circuit::shift_right(g, acc, l.W_shift[j], q.rounding), ba));
      h[j] = bld.finish(std::move(h[j]), operand_leaves(r, l.W.data() + j * w), m0, true);
    }
    for (std::size_t i = 0; i < w; ++i) {
      const node_id m0 = mark();
      word acc = bld.dot(h, l.V.data() + i * k, 0);
      if (is_zero_word(acc)) continue;  // no update reaches this coordinate
      word upd = circuit::shift_right(g, acc, l.V_shift[i], q.rounding);
      auto leaves = operand_leaves(h, l.V.data() + i * k);
      auto own = word_leaves({&r[i]});
      leaves.insert(leaves.end(), own.begin(), own.end());
      std::sort(leaves.begin(), leaves.end());
      leaves.erase(std::unique(leaves.begin(), leaves.end()), leaves.end());
      r[i] = bld.finish(circuit::saturate(g, circuit::add(g, r[i], upd, params.adder), ba), leaves, m0, true);
    }
  }

  const node_id m_out = mark();
  std::vector<word> out(q.d_out);
  for (std::size_t o = 0; o < q.d_out; ++o) out[o] = bld.dot(r, q.U.data() + o * w, q.U_bias[o]);

  if (q.kind == data::task_kind::binary) {
    for (std::size_t o = 0; o < q.d_out; ++o) {
      // acc > 0 ⇔ sign clear and some bit set.
      const word& a = out[o];
      literal any = lit_false;
      for (std::size_t b = 0; b + 1 < a.size(); ++b) any = g.create_or(any, a[b]);
      word bit{g.create_and(circuit::lit_not(a.back()), any)};
      bit = bld.finish(std::move(bit), operand_leaves(r, q.U.data() + o * w), m_out, false);
      g.create_po(bit[0], "y" + std::to_string(o));
    }
  } else if (q.kind == data::task_kind::multiclass) {
    const unsigned ib = index_bits(q.d_out);
    word best = out[0], idx = circuit::constant_word(0, ib + 1);
    for (std::size_t o = 1; o < q.d_out; ++o) {
      literal better = circuit::less_than(g, best, out[o]);  // strict: the first largest wins
      best = circuit::mux_word(g, better, out[o], best);
      idx = circuit::mux_word(g, better, circuit::constant_word(std::int64_t(o), ib + 1), idx);
    }
    idx.resize(ib);
    std::vector<std::int64_t> any_weight(w, 0);
    for (std::size_t o = 0; o < q.d_out; ++o)
      for (std::size_t i = 0; i < w; ++i) any_weight[i] |= q.U[o * w + i] != 0;
    idx = bld.finish(std::move(idx), operand_leaves(r, any_weight.data()), m_out, false);
    circuit::create_output_word(g, idx, "class");
  } else {
    for (std::size_t o = 0; o < q.d_out; ++o) {
      word y = bld.finish(out[o], operand_leaves(r, q.U.data() + o * w), m_out, true);
      circuit::create_output_word(g, circuit::sign_extend(y, q.output_bits), "y" + std::to_string(o));
    }
  }
  return circuit::cleanup(g);
}

}  // namespace

circuit::aig network_to_circuit(const quantized_resnet& q, const network_to_circuit_params& params,
                                network_to_circuit_stats* stats) {
  network_to_circuit_stats local;
  network_to_circuit_stats& st = stats ? *stats : local;
  st = {};
  if (params.lut_inputs > 20 || params.lut_care_support > 20)
    throw input_error("network_to_circuit: lut_inputs and lut_care_support must be at most 20 (got " +
                      std::to_string(params.lut_inputs) + " and " + std::to_string(params.lut_care_support) +
                      ")");
  aig g = build_circuit(q, params, params.lut_inputs, st);
  // The per-word choice is local (nodes shared between words, operand words that become dead), so the K = 0
  // circuit is built too and kept when it is smaller: K > 0 is never worse before ABC (and, with
  // lut_compare_after_abc, after the ABC script either).
  aig g0;
  network_to_circuit_stats st0;
  bool have_alternative = false;
  auto adopt_arithmetic = [&](aig&& alternative) {
    network_to_circuit_stats lut = st;
    st = st0;
    st.lut_fallback = true;
    st.lut_seconds = lut.lut_seconds;
    st.abc_seconds = lut.abc_seconds;
    st.ands_arithmetic = lut.ands_arithmetic;
    st.ands_arithmetic_after_abc = lut.ands_arithmetic_after_abc;
    st.arithmetic_words = lut.arithmetic_words + lut.lut_words;
    g = std::move(alternative);
  };
  if (params.lut_inputs > 0) {
    g0 = build_circuit(q, params, 0, st0);
    auto s0 = circuit::statistics(g0);
    st0.ands_generated = st0.ands = s0.ands;
    st0.depth_generated = st0.depth = s0.depth;
    st.ands_arithmetic = s0.ands;
    if (s0.ands < circuit::statistics(g).ands)
      adopt_arithmetic(std::move(g0));
    else
      have_alternative = true;
  }
  auto s0 = circuit::statistics(g);
  st.ands_generated = st.ands = s0.ands;
  st.depth_generated = st.depth = s0.depth;
  if (!params.abc_script.empty()) {
    const std::string script = circuit::expand_abc_script(params.abc_script);
    circuit::abc_run_stats rs;
    g = circuit::abc_optimize(g, script, params.abc, &rs);
    st.abc_seconds = rs.seconds;
    auto s1 = circuit::statistics(g);
    st.ands = s1.ands;
    st.depth = s1.depth;
    if (have_alternative && params.lut_compare_after_abc) {
      aig h0 = circuit::abc_optimize(g0, script, params.abc, &rs);
      st.abc_seconds += rs.seconds;
      auto s2 = circuit::statistics(h0);
      st.ands_arithmetic_after_abc = s2.ands;
      st0.ands = s2.ands;
      st0.depth = s2.depth;
      if (s2.ands < s1.ands) adopt_arithmetic(std::move(h0));
    }
  }
  return g;
}

}  // namespace occam::compile
