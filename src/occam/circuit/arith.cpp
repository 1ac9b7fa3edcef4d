// Arithmetic generators (see arith.hpp for the conventions).
#include "occam/circuit/arith.hpp"

#include <algorithm>
#include <stdexcept>

#include "occam/util/error.hpp"

namespace occam::circuit {

word constant_word(std::int64_t value, unsigned bits) {
  word w(bits);
  for (unsigned i = 0; i < bits; ++i)
    w[i] = (i < 64 ? ((std::uint64_t(value) >> i) & 1u) : (value < 0)) ? lit_true : lit_false;
  return w;
}

word sign_extend(const word& a, unsigned bits) {
  word w(a.begin(), a.begin() + std::min<std::size_t>(a.size(), bits));
  literal sign = a.empty() ? lit_false : a.back();
  while (w.size() < bits) w.push_back(sign);
  return w;
}

word zero_extend(const word& a, unsigned bits) {
  word w(a.begin(), a.begin() + std::min<std::size_t>(a.size(), bits));
  while (w.size() < bits) w.push_back(lit_false);
  return w;
}

word create_input_word(aig& g, unsigned bits, const std::string& prefix) {
  word w;
  for (unsigned i = 0; i < bits; ++i) w.push_back(g.create_pi(prefix + "[" + std::to_string(i) + "]"));
  return w;
}

void create_output_word(aig& g, const word& w, const std::string& prefix) {
  for (std::size_t i = 0; i < w.size(); ++i) g.create_po(w[i], prefix + "[" + std::to_string(i) + "]");
}

word mux_word(aig& g, literal s, const word& t, const word& e) {
  unsigned n = static_cast<unsigned>(std::max(t.size(), e.size()));
  word a = sign_extend(t, n), b = sign_extend(e, n), r(n);
  for (unsigned i = 0; i < n; ++i) r[i] = g.create_mux(s, a[i], b[i]);
  return r;
}

word add_mod(aig& g, const word& a_in, const word& b_in, literal carry_in, unsigned bits, adder_kind kind) {
  word a = sign_extend(a_in, bits), b = sign_extend(b_in, bits), s(bits);
  if (bits == 0) return s;
  if (kind == adder_kind::ripple) {
    literal c = carry_in;
    for (unsigned i = 0; i < bits; ++i) {
      literal p = g.create_xor(a[i], b[i]);
      s[i] = g.create_xor(p, c);
      // carry = a&b | c&(a^b): reuses the propagate XOR (the majority written on p).
      if (i + 1 < bits) c = g.create_or(g.create_and(a[i], b[i]), g.create_and(c, p));
    }
    return s;
  }
  // Kogge–Stone: G[i], P[i] over the span ending at bit i; after round r the span has length 2^r.
  std::vector<literal> gen(bits), prop(bits), p(bits);
  for (unsigned i = 0; i < bits; ++i) {
    p[i] = g.create_xor(a[i], b[i]);
    gen[i] = g.create_and(a[i], b[i]);
    prop[i] = p[i];
  }
  gen[0] = g.create_or(gen[0], g.create_and(p[0], carry_in));  // fold the carry-in into bit 0
  for (unsigned d = 1; d < bits; d *= 2) {
    std::vector<literal> ng = gen, np = prop;
    for (unsigned i = d; i < bits; ++i) {
      ng[i] = g.create_or(gen[i], g.create_and(prop[i], gen[i - d]));
      np[i] = g.create_and(prop[i], prop[i - d]);
    }
    gen.swap(ng);
    prop.swap(np);
  }
  s[0] = g.create_xor(p[0], carry_in);
  for (unsigned i = 1; i < bits; ++i) s[i] = g.create_xor(p[i], gen[i - 1]);
  return s;
}

word add(aig& g, const word& a, const word& b, adder_kind kind) {
  unsigned n = static_cast<unsigned>(std::max(a.size(), b.size())) + 1;
  return add_mod(g, a, b, lit_false, n, kind);
}

namespace {
word invert(const word& a) {
  word r(a);
  for (auto& l : r) l = lit_not(l);
  return r;
}
}  // namespace

word sub(aig& g, const word& a, const word& b, adder_kind kind) {
  unsigned n = static_cast<unsigned>(std::max(a.size(), b.size())) + 1;
  return add_mod(g, a, invert(sign_extend(b, n)), lit_true, n, kind);
}

word negate(aig& g, const word& a) {
  unsigned n = static_cast<unsigned>(a.size()) + 1;
  return add_mod(g, invert(sign_extend(a, n)), constant_word(0, n), lit_true, n);
}

literal less_than(aig& g, const word& a, const word& b, bool is_signed) {
  // The sign of a − b computed one bit wider than the operands cannot overflow.
  unsigned n = static_cast<unsigned>(std::max(a.size(), b.size())) + 1;
  word x = is_signed ? sign_extend(a, n) : zero_extend(a, n);
  word y = is_signed ? sign_extend(b, n) : zero_extend(b, n);
  return add_mod(g, x, invert(y), lit_true, n).back();
}

literal less_equal(aig& g, const word& a, const word& b, bool is_signed) {
  return lit_not(less_than(g, b, a, is_signed));
}

literal equal(aig& g, const word& a, const word& b, bool is_signed) {
  unsigned n = static_cast<unsigned>(std::max(a.size(), b.size()));
  word x = is_signed ? sign_extend(a, n) : zero_extend(a, n);
  word y = is_signed ? sign_extend(b, n) : zero_extend(b, n);
  std::vector<literal> eq;
  for (unsigned i = 0; i < n; ++i) eq.push_back(g.create_xnor(x[i], y[i]));
  while (eq.size() > 1) {
    std::vector<literal> next;
    for (std::size_t i = 0; i + 1 < eq.size(); i += 2) next.push_back(g.create_and(eq[i], eq[i + 1]));
    if (eq.size() % 2) next.push_back(eq.back());
    eq.swap(next);
  }
  return eq.empty() ? lit_true : eq[0];
}

word relu(aig& g, const word& a) {
  if (a.empty()) return a;
  word r(a.size());
  literal keep = lit_not(a.back());
  for (std::size_t i = 0; i + 1 < a.size(); ++i) r[i] = g.create_and(a[i], keep);
  r.back() = lit_false;
  return r;
}

std::vector<int> csd_digits(std::int64_t c) {
  // Non-adjacent form, computed on 128 bits so that INT64_MIN and neighbours do not overflow.
  std::vector<int> d;
  __int128 v = c;
  while (v != 0) {
    if (v & 1) {
      __int128 m = v & 3;  // v mod 4 in {1, 3} (two's complement & works for negatives)
      int digit = m == 1 ? 1 : -1;
      d.push_back(digit);
      v -= digit;
    } else {
      d.push_back(0);
    }
    v /= 2;  // exact: v is even here
  }
  return d;
}

word mul_const(aig& g, const word& x, std::int64_t c, unsigned out_bits, adder_kind kind) {
  word xe = sign_extend(x, out_bits);
  auto digits = csd_digits(c);
  word acc;
  bool have = false;
  for (std::size_t k = 0; k < digits.size() && k < out_bits; ++k) {
    if (digits[k] == 0) continue;
    word term(out_bits, lit_false);  // x << k, truncated
    for (unsigned i = static_cast<unsigned>(k); i < out_bits; ++i) term[i] = xe[i - k];
    if (!have) {
      acc = digits[k] > 0 ? term
                          : add_mod(g, invert(term), constant_word(0, out_bits), lit_true, out_bits, kind);
      have = true;
    } else if (digits[k] > 0) {
      acc = add_mod(g, acc, term, lit_false, out_bits, kind);
    } else {
      acc = add_mod(g, acc, invert(term), lit_true, out_bits, kind);
    }
  }
  return have ? acc : constant_word(0, out_bits);
}

word shift_right(aig& g, const word& a, unsigned s, rounding_mode mode) {
  if (s == 0) return a;
  if (s > 62) throw std::invalid_argument("shift_right: shifts above 62 bits are not supported");
  word v = a;
  if (mode == rounding_mode::nearest) {
    unsigned n = static_cast<unsigned>(std::max<std::size_t>(a.size(), s + 1)) + 1;
    v = add_mod(g, a, constant_word(std::int64_t(1) << (s - 1), n), lit_false, n);
  }
  if (v.size() <= s) return word{v.empty() ? lit_false : v.back()};
  return word(v.begin() + s, v.end());
}

word saturate(aig& g, const word& a, unsigned bits) {
  if (bits == 0) throw std::invalid_argument("saturate: zero bits");
  if (a.size() <= bits) return sign_extend(a, bits);
  literal sign = a.back();
  // Overflow when some dropped bit (or the new MSB) differs from the sign.
  std::vector<literal> diff;
  for (std::size_t i = bits - 1; i + 1 < a.size(); ++i) diff.push_back(g.create_xor(a[i], sign));
  literal ovf = lit_false;
  for (literal d : diff) ovf = g.create_or(ovf, d);
  word r(bits);
  for (unsigned i = 0; i + 1 < bits; ++i) r[i] = g.create_mux(ovf, lit_not(sign), a[i]);
  r[bits - 1] = sign;
  return r;
}

word mask_word(aig& g, const word& a, literal b) {
  word r(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) r[i] = g.create_and(a[i], b);
  return r;
}

std::vector<std::pair<unsigned, unsigned>> sorting_network(unsigned n) {
  // Knuth's iterative form of Batcher's merge exchange: round p merges sorted runs of length p; within
  // it, distance k compares i+j and i+j+k when both lie in the same block of 2p.
  std::vector<std::pair<unsigned, unsigned>> net;
  for (unsigned p = 1; p < n; p <<= 1)
    for (unsigned k = p; k >= 1; k >>= 1)
      for (unsigned j = k % p; j + k < n; j += 2 * k)
        for (unsigned i = 0; i < k && i + j + k < n; ++i)
          if ((i + j) / (2 * p) == (i + j + k) / (2 * p)) net.emplace_back(i + j, i + j + k);
  return net;
}

void sort_descending(aig& g, std::vector<word>& keys, std::vector<word>& payloads, bool is_signed,
                     adder_kind kind) {
  if (!payloads.empty() && payloads.size() != keys.size())
    throw std::invalid_argument("sort_descending: one payload per key");
  for (const auto& [i, j] : sorting_network(static_cast<unsigned>(keys.size()))) {
    unsigned n = static_cast<unsigned>(std::max(keys[i].size(), keys[j].size()));
    word a = is_signed ? sign_extend(keys[i], n) : zero_extend(keys[i], n);
    word b = is_signed ? sign_extend(keys[j], n) : zero_extend(keys[j], n);
    // swap = a < b, the sign of a − b one bit wider (as less_than, with the adder kind passed on).
    word x = is_signed ? sign_extend(a, n + 1) : zero_extend(a, n + 1);
    word y = is_signed ? sign_extend(b, n + 1) : zero_extend(b, n + 1);
    literal swap = add_mod(g, x, invert(y), lit_true, n + 1, kind).back();
    word hi(n), lo(n);
    for (unsigned t = 0; t < n; ++t) {
      hi[t] = g.create_mux(swap, b[t], a[t]);
      lo[t] = g.create_mux(swap, a[t], b[t]);
    }
    keys[i] = hi;
    keys[j] = lo;
    if (!payloads.empty()) {
      std::size_t m = std::max(payloads[i].size(), payloads[j].size());
      word p = zero_extend(payloads[i], unsigned(m)), q = zero_extend(payloads[j], unsigned(m));
      word ph(m), pl(m);
      for (std::size_t t = 0; t < m; ++t) {
        ph[t] = g.create_mux(swap, q[t], p[t]);
        pl[t] = g.create_mux(swap, p[t], q[t]);
      }
      payloads[i] = ph;
      payloads[j] = pl;
    }
  }
}

std::vector<literal> instantiate(aig& g, const aig& sub, const std::vector<literal>& inputs) {
  if (inputs.size() != sub.num_pis())
    throw std::invalid_argument("instantiate: " + std::to_string(inputs.size()) +
                                " inputs for a circuit with " + std::to_string(sub.num_pis()));
  std::vector<bool> live = reachable_nodes(sub);
  std::vector<literal> map(sub.num_nodes(), lit_false);
  for (std::size_t i = 0; i < sub.num_pis(); ++i) map[sub.pi_node(i)] = inputs[i];
  auto image = [&](literal l) { return lit_not_cond(map[lit_node(l)], lit_complemented(l)); };
  for (node_id n = 1; n < sub.num_nodes(); ++n)
    if (live[n] && sub.is_and(n)) map[n] = g.create_and(image(sub.fanin0(n)), image(sub.fanin1(n)));
  std::vector<literal> out;
  for (literal l : sub.pos()) out.push_back(image(l));
  return out;
}

word dot_const(aig& g, const std::vector<word>& xs, const std::vector<std::int64_t>& weights,
               const dot_params& params) {
  if (xs.size() != weights.size())
    throw input_error("dot_const: " + std::to_string(xs.size()) + " inputs but " +
                      std::to_string(weights.size()) + " weights");
  // Bound on |Σ w_i x_i + bias|: x_i ∈ [−2^(n−1), 2^(n−1) − 1] so |w_i x_i| ≤ |w_i| 2^(n−1).
  unsigned __int128 bound =
      params.bias < 0 ? (unsigned __int128)(-(__int128)params.bias) : (unsigned __int128)params.bias;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (xs[i].empty() || weights[i] == 0) continue;
    if (xs[i].size() > 62) throw input_error("dot_const: input words wider than 62 bits are not supported");
    unsigned __int128 w =
        weights[i] < 0 ? (unsigned __int128)(-(__int128)weights[i]) : (unsigned __int128)weights[i];
    bound += w << (xs[i].size() - 1);
  }
  unsigned acc_bits = 1;
  while (acc_bits < 127 && ((unsigned __int128)1 << (acc_bits - 1)) <= bound)
    ++acc_bits;  // [−2^(b−1), 2^(b−1)) ∋ ±bound
  std::vector<word> terms;
  for (std::size_t i = 0; i < xs.size(); ++i)
    if (!xs[i].empty() && weights[i] != 0)
      terms.push_back(mul_const(g, xs[i], weights[i], acc_bits, params.adder));
  if (params.bias != 0) terms.push_back(constant_word(params.bias, acc_bits));
  while (terms.size() > 1) {
    std::vector<word> next;
    for (std::size_t i = 0; i + 1 < terms.size(); i += 2)
      next.push_back(add_mod(g, terms[i], terms[i + 1], lit_false, acc_bits, params.adder));
    if (terms.size() % 2) next.push_back(terms.back());
    terms.swap(next);
  }
  word sum = terms.empty() ? constant_word(0, acc_bits) : terms[0];
  word scaled = shift_right(g, sum, params.shift, params.rounding);
  if (params.out_bits == 0) return scaled;
  return params.saturate ? saturate(g, scaled, params.out_bits) : sign_extend(scaled, params.out_bits);
}

}  // namespace occam::circuit
