// Quantised ResNet → AIG (THEORY §4). See network_to_circuit.hpp and docs/compiler.md.
#include "occam/compile/network_to_circuit.hpp"

#include <algorithm>

#include "occam/util/error.hpp"

namespace occam::compile {
namespace {

using circuit::aig;
using circuit::lit_false;
using circuit::literal;
using circuit::word;

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

struct builder {
  aig& g;
  const network_to_circuit_params& params;
  network_to_circuit_stats& st;

  // Exact Σ_i w_i x_i + bias; zero weights and zero operands add nothing.
  word dot(const std::vector<word>& xs, const std::int64_t* w, std::int64_t bias) {
    std::vector<word> terms;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (w[i] == 0) {
        ++st.zero_weights_skipped;
        continue;
      }
      if (is_zero_word(xs[i])) continue;
      int k = single_bit_position(xs[i]);
      if (k >= 0) {
        // w·b·2^k: the constant's bits where b is 1, else 0 (an AND-mask; no gates at all).
        literal b = xs[i][std::size_t(k)];
        unsigned n = magnitude_bits(w[i]) + unsigned(k) + 2;
        word c = circuit::constant_word(w[i] * (std::int64_t(1) << k), n);
        for (auto& l : c) l = l == circuit::lit_true ? b : lit_false;
        terms.push_back(std::move(c));
        ++st.masked_products;
      } else {
        unsigned n = unsigned(xs[i].size()) + magnitude_bits(w[i]) + 1;
        terms.push_back(circuit::mul_const(g, xs[i], w[i], n, params.adder));
        ++st.multiplier_products;
      }
    }
    if (bias != 0) terms.push_back(circuit::constant_word(bias, magnitude_bits(bias) + 1));
    if (terms.empty()) return word{lit_false};
    while (terms.size() > 1) {  // balanced adder tree
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

circuit::aig network_to_circuit(const quantized_resnet& q, const network_to_circuit_params& params,
                                network_to_circuit_stats* stats) {
  network_to_circuit_stats local;
  network_to_circuit_stats& st = stats ? *stats : local;
  st = {};
  aig g;
  builder bld{g, params, st};
  const unsigned ba = q.activation_bits;
  const std::size_t w = q.width, k = q.hidden;

  // Residual stream start: r_i = sat(round(u_i · 2^frac_i)) on the input coordinates, 0 elsewhere.
  std::vector<word> r(w, word{lit_false});
  for (std::size_t i = 0; i < q.d_in; ++i) {
    word u = circuit::create_input_word(g, q.input_bits, "x" + std::to_string(i));
    u = circuit::zero_extend(u, q.input_bits + 1);
    int f = q.residual_frac[i];
    if (f >= 0) {
      word s(std::size_t(f), lit_false);
      s.insert(s.end(), u.begin(), u.end());
      u = std::move(s);
    } else {
      u = circuit::shift_right(g, u, unsigned(-f), q.rounding);
    }
    r[i] = circuit::saturate(g, u, ba);
  }

  for (const auto& l : q.layers) {
    std::vector<word> h(k);
    for (std::size_t j = 0; j < k; ++j) {
      word acc = bld.dot(r, l.W.data() + j * w, l.W_bias[j]);
      h[j] =
          circuit::relu(g, circuit::saturate(g, circuit::shift_right(g, acc, l.W_shift[j], q.rounding), ba));
    }
    for (std::size_t i = 0; i < w; ++i) {
      word acc = bld.dot(h, l.V.data() + i * k, 0);
      if (is_zero_word(acc)) continue;  // no update reaches this coordinate
      word upd = circuit::shift_right(g, acc, l.V_shift[i], q.rounding);
      r[i] = circuit::saturate(g, circuit::add(g, r[i], upd, params.adder), ba);
    }
  }

  std::vector<word> out(q.d_out);
  for (std::size_t o = 0; o < q.d_out; ++o) out[o] = bld.dot(r, q.U.data() + o * w, q.U_bias[o]);

  if (q.kind == data::task_kind::binary) {
    for (std::size_t o = 0; o < q.d_out; ++o) {
      // acc > 0 ⇔ sign clear and some bit set.
      const word& a = out[o];
      literal any = lit_false;
      for (std::size_t b = 0; b + 1 < a.size(); ++b) any = g.create_or(any, a[b]);
      g.create_po(g.create_and(circuit::lit_not(a.back()), any), "y" + std::to_string(o));
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
    circuit::create_output_word(g, idx, "class");
  } else {
    for (std::size_t o = 0; o < q.d_out; ++o)
      circuit::create_output_word(g, circuit::sign_extend(out[o], q.output_bits), "y" + std::to_string(o));
  }

  g = circuit::cleanup(g);
  auto s0 = circuit::statistics(g);
  st.ands_generated = st.ands = s0.ands;
  st.depth_generated = st.depth = s0.depth;
  if (!params.abc_script.empty()) {
    circuit::abc_run_stats rs;
    g = circuit::abc_optimize(g, circuit::expand_abc_script(params.abc_script), params.abc, &rs);
    st.abc_seconds = rs.seconds;
    auto s1 = circuit::statistics(g);
    st.ands = s1.ands;
    st.depth = s1.depth;
  }
  return g;
}

}  // namespace occam::compile
