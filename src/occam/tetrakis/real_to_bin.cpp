// Real-to-bin circuits of Tetrakis functions (THEORY §6, Jacot Prop 7).
#include "occam/tetrakis/real_to_bin.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "occam/util/error.hpp"

namespace occam::tetrakis {

using circuit::aig;
using circuit::literal;
using circuit::word;

namespace {

/// dec = scale · (offset + Σ_b coefficient_b · y_b) with integer offset and coefficients.
struct integer_decoding {
  std::int64_t offset = 0;
  std::vector<std::int64_t> coefficients;
};

integer_decoding integer_form(const decoding& dec, std::size_t m) {
  if (m == 0) throw input_error("the circuit has no outputs to decode");
  if (m > 48) throw input_error("real-to-bin: at most 48 output bits (got " + std::to_string(m) + ")");
  integer_decoding r;
  r.coefficients.assign(m, 0);
  switch (dec.mode) {
    case decoding::kind::sign:
      if (m != 1)
        throw input_error("the 'sign' decoding needs exactly one output (got " + std::to_string(m) + ")");
      r.offset = -1;
      r.coefficients[0] = 2;
      break;
    case decoding::kind::unsigned_fixed:
      for (std::size_t b = 0; b < m; ++b) r.coefficients[b] = std::int64_t(1) << b;
      break;
    case decoding::kind::twos_complement:
      for (std::size_t b = 0; b < m; ++b) r.coefficients[b] = std::int64_t(1) << b;
      r.coefficients[m - 1] = -r.coefficients[m - 1];
      break;
  }
  return r;
}

word shift_left(const word& a, unsigned s) {
  word r(s, circuit::lit_false);
  r.insert(r.end(), a.begin(), a.end());
  return r;
}

word negate_mod(aig& g, const word& a, unsigned bits, circuit::adder_kind kind) {
  word inv = circuit::sign_extend(a, bits);
  for (auto& l : inv) l = circuit::lit_not(l);
  return circuit::add_mod(g, inv, circuit::constant_word(0, bits), circuit::lit_true, bits, kind);
}

/// Balanced tree of (a + b) mod 2^bits.
word sum_mod(aig& g, std::vector<word> terms, unsigned bits, circuit::adder_kind kind) {
  if (terms.empty()) return circuit::constant_word(0, bits);
  while (terms.size() > 1) {
    std::vector<word> next;
    for (std::size_t i = 0; i + 1 < terms.size(); i += 2)
      next.push_back(circuit::add_mod(g, terms[i], terms[i + 1], circuit::lit_false, bits, kind));
    if (terms.size() % 2) next.push_back(terms.back());
    terms.swap(next);
  }
  return circuit::sign_extend(terms[0], bits);
}

void check_term(const aig& c, std::size_t d, unsigned k, unsigned n) {
  if (d == 0) throw input_error("a Tetrakis function needs at least one dimension");
  if (k > 30) throw input_error("grid level must be at most 30");
  if (c.num_pis() != input_count(d, k))
    throw input_error("a level-" + std::to_string(k) + " Tetrakis circuit in " + std::to_string(d) +
                      " dimensions needs d·(k+1) = " + std::to_string(input_count(d, k)) +
                      " inputs, the circuit has " + std::to_string(c.num_pis()));
  if (n < k)
    throw input_error("real-to-bin: " + std::to_string(n) +
                      " input bits per coordinate cannot address level " + std::to_string(k) +
                      " (need input_bits ≥ level)");
}

}  // namespace

word build_tetrakis_exact(aig& g, const std::vector<word>& xs, const aig& c, unsigned k, const decoding& dec,
                          circuit::adder_kind adder, real_to_bin_stats* stats) {
  const std::size_t d = xs.size();
  const unsigned n = d ? unsigned(xs[0].size()) : 0;
  check_term(c, d, k, n);
  for (const auto& x : xs)
    if (x.size() != n) throw input_error("real-to-bin: all coordinates need the same number of bits");
  integer_decoding idec = integer_form(dec, c.num_pos());
  const unsigned f = n - k;
  const std::size_t m = c.num_pos();
  real_to_bin_stats local;
  real_to_bin_stats& st = stats ? *stats : local;
  std::size_t mark = g.num_ands();
  auto charge = [&](std::size_t& field) {
    field += g.num_ands() - mark;
    mark = g.num_ands();
  };

  // Location. Integer part a = X >> f (k bits), fraction φ = X mod 2^f. a even: e = a, o = a + 1, t = φ;
  // a odd: e = a + 1, o = a, t = 1 − φ/2^f. So o = a | 1, e = 2(⌊a/2⌋ + a_0), and the numerator of t over
  // 2^f is T = (φ XOR a_0) + a_0 in f + 1 bits.
  std::vector<word> even(d), odd(d), t(d);
  for (std::size_t i = 0; i < d; ++i) {
    word a(xs[i].begin() + f, xs[i].end());
    word phi(xs[i].begin(), xs[i].begin() + f);
    literal a0 = k > 0 ? a[0] : circuit::lit_false;
    word flipped(f + 1, circuit::lit_false);
    for (unsigned b = 0; b < f; ++b) flipped[b] = g.create_xor(phi[b], a0);
    t[i] = circuit::add_mod(g, flipped, circuit::constant_word(0, f + 1), a0, f + 1, adder);
    odd[i].assign(k + 1, circuit::lit_false);
    even[i].assign(k + 1, circuit::lit_false);
    odd[i][0] = circuit::lit_true;
    for (unsigned b = 1; b < k; ++b) odd[i][b] = a[b];
    if (k > 0) {
      word half(a.begin() + 1, a.end());
      word inc =
          circuit::add_mod(g, circuit::zero_extend(half, k), circuit::constant_word(0, k), a0, k, adder);
      for (unsigned b = 0; b < k; ++b) even[i][b + 1] = inc[b];
    }
  }
  charge(st.location);

  // Sorting: t descending, each with the one-hot word of its coordinate index.
  std::vector<word> keys = t, onehot(d, word(d, circuit::lit_false));
  for (std::size_t i = 0; i < d; ++i) onehot[i][i] = circuit::lit_true;
  circuit::sort_descending(g, keys, onehot, false, adder);
  charge(st.sorting);

  // Vertex j switches the coordinates of the first j sorted entries from e to o. Bit 0 of e is 0 and of o
  // is 1, so bit 0 of coordinate i of v_j is the switch itself.
  std::vector<std::vector<literal>> vertex_inputs(d + 1);
  std::vector<literal> switched(d, circuit::lit_false);
  for (std::size_t j = 0; j <= d; ++j) {
    if (j > 0)
      for (std::size_t i = 0; i < d; ++i) switched[i] = g.create_or(switched[i], onehot[j - 1][i]);
    auto& in = vertex_inputs[j];
    for (std::size_t i = 0; i < d; ++i)
      for (unsigned b = 0; b <= k; ++b)
        in.push_back(b == 0 ? switched[i] : g.create_mux(switched[i], odd[i][b], even[i][b]));
  }
  charge(st.vertex_select);

  std::vector<std::vector<literal>> outputs(d + 1);
  for (std::size_t j = 0; j <= d; ++j) outputs[j] = circuit::instantiate(g, c, vertex_inputs[j]);
  charge(st.vertex_circuits);

  // μ_j = τ_j − τ_{j+1} (τ_0 = 2^f, τ_{d+1} = 0) in f + 2 bits (non-negative, ≤ 2^f).
  std::vector<word> mu(d + 1);
  for (std::size_t j = 0; j <= d; ++j) {
    word hi = j == 0 ? circuit::constant_word(std::int64_t(1) << f, f + 2)
                     : circuit::zero_extend(keys[j - 1], f + 2);
    word lo = j == d ? circuit::constant_word(0, f + 2) : circuit::zero_extend(keys[j], f + 2);
    mu[j] = circuit::add_mod(
        g, hi,
        [&] {
          word inv = lo;
          for (auto& l : inv) l = circuit::lit_not(l);
          return inv;
        }(),
        circuit::lit_true, f + 2, adder);
  }
  // S = Σ_j μ_j (offset + Σ_b c_b y_jb) = offset·2^f + Σ_b c_b P_b with P_b = Σ_j μ_j y_jb ∈ [0, 2^f].
  // |S| ≤ 2^f · max |offset + Σ c_b y_b| < 2^{f+m}, so f + m + 1 bits hold it and arithmetic mod 2^W is
  // exact.
  const unsigned W = f + unsigned(m) + 1;
  std::vector<word> parts;
  for (std::size_t b = 0; b < m; ++b) {
    std::vector<word> masked;
    for (std::size_t j = 0; j <= d; ++j) masked.push_back(circuit::mask_word(g, mu[j], outputs[j][b]));
    word pb = sum_mod(g, masked, f + 2, adder);
    std::int64_t cb = idec.coefficients[b];
    unsigned shift = 0;
    while ((std::int64_t(1) << (shift + 1)) <= std::llabs(cb)) ++shift;
    word term = circuit::zero_extend(shift_left(pb, shift), W);
    parts.push_back(cb < 0 ? negate_mod(g, term, W, adder) : term);
  }
  if (idec.offset != 0) parts.push_back(circuit::constant_word(idec.offset * (std::int64_t(1) << f), W));
  word s = sum_mod(g, parts, W, adder);
  charge(st.weighted_sum);
  return s;
}

real_to_bin_circuit real_to_bin_sum(const std::vector<tetrakis_term>& terms, std::size_t d,
                                    const real_to_bin_params& params, real_to_bin_stats* stats) {
  if (terms.empty()) throw input_error("real-to-bin: no Tetrakis terms");
  if (d == 0) throw input_error("a Tetrakis function needs at least one dimension");
  const unsigned n = params.input_bits;
  if (n == 0 || n > 40) throw input_error("real-to-bin: input bits per coordinate must be in 1..40");
  if (params.output_fraction_bits < -40 || params.output_fraction_bits > 60)
    throw input_error("real-to-bin: output fraction bits must be in −40..60");
  unsigned kmin = terms[0].level;
  for (const auto& t : terms) {
    if (!t.circuit) throw input_error("real-to-bin: a term without a circuit");
    check_term(*t.circuit, d, t.level, n);
    if (!(t.dec.scale > 0) || !std::isfinite(t.dec.scale))
      throw input_error("real-to-bin: the decoding scale must be a positive finite number");
    if (t.dec.scale != terms[0].dec.scale)
      throw input_error("real-to-bin: the terms of one sum need the same decoding scale");
    kmin = std::min(kmin, t.level);
  }
  const unsigned F = n - kmin;
  real_to_bin_circuit out;
  out.dims = d;
  out.input_bits = n;
  out.output_fraction_bits = params.output_fraction_bits;
  out.scale = terms[0].dec.scale;
  aig g;
  std::vector<word> xs(d);
  for (std::size_t i = 0; i < d; ++i) xs[i] = circuit::create_input_word(g, n, "x" + std::to_string(i));
  real_to_bin_stats st;
  // Term t counts units of 2^{−(n−k_t)}: shifting left by k_t − k_min brings it to units of 2^{−F}.
  word total;
  for (std::size_t ti = 0; ti < terms.size(); ++ti) {
    const auto& t = terms[ti];
    word s = build_tetrakis_exact(g, xs, *t.circuit, t.level, t.dec, params.adder, &st);
    s = shift_left(s, t.level - kmin);
    std::size_t mark = g.num_ands();
    total = ti == 0 ? s : circuit::add(g, total, s, params.adder);
    st.weighted_sum += g.num_ands() - mark;
  }
  std::size_t mark = g.num_ands();
  const int p = params.output_fraction_bits;
  word y;
  if (p >= int(F)) {
    y = shift_left(total, unsigned(p - int(F)));
    st.error_bound = 0;
  } else {
    unsigned drop = unsigned(int(F) - p);
    if (drop > 62)
      throw input_error("real-to-bin: " + std::to_string(p) + " output fraction bits drop " +
                        std::to_string(drop) + " bits of the exact value (at most 62)");
    y = circuit::shift_right(g, total, drop, params.rounding);
    double unit = out.scale * std::ldexp(1.0, -p);
    st.error_bound = params.rounding == circuit::rounding_mode::nearest
                         ? unit / 2
                         : unit * (1 - std::ldexp(1.0, -int(drop)));
  }
  st.weighted_sum += g.num_ands() - mark;
  circuit::create_output_word(g, y, "y");
  g.comment = "occam real-to-bin Tetrakis circuit: inputs x_i = X_i/2^" + std::to_string(n) +
              " (LSB first), output two's complement word * " + std::to_string(out.scale) + " * 2^-(" +
              std::to_string(p) + ")";
  out.circuit = circuit::cleanup(g);
  st.ands = circuit::statistics(out.circuit).ands;
  st.output_bits = unsigned(y.size());
  st.exact_fraction_bits = F;
  if (stats) *stats = st;
  return out;
}

real_to_bin_circuit real_to_bin(const aig& c, std::size_t d, unsigned level, const decoding& dec,
                                const real_to_bin_params& params, real_to_bin_stats* stats) {
  return real_to_bin_sum({tetrakis_term{&c, level, dec}}, d, params, stats);
}

double real_to_bin_circuit::decode(const std::vector<bool>& outputs) const {
  if (outputs.size() != circuit.num_pos())
    throw input_error("real-to-bin: " + std::to_string(outputs.size()) + " output bits for a circuit with " +
                      std::to_string(circuit.num_pos()));
  double v = 0;
  for (std::size_t b = 0; b < outputs.size(); ++b)
    if (outputs[b]) v += (b + 1 == outputs.size() ? -1.0 : 1.0) * std::ldexp(1.0, int(b));
  return v * scale * std::ldexp(1.0, -output_fraction_bits);
}

std::vector<bool> real_to_bin_circuit::encode(const std::vector<std::uint64_t>& X) const {
  if (X.size() != dims)
    throw input_error("real-to-bin: " + std::to_string(X.size()) + " coordinates for a " +
                      std::to_string(dims) + "-dimensional circuit");
  std::vector<bool> bits(dims * input_bits, false);
  for (std::size_t i = 0; i < dims; ++i) {
    if (input_bits < 64 && (X[i] >> input_bits) != 0)
      throw input_error("real-to-bin: coordinate " + std::to_string(i) + " does not fit in " +
                        std::to_string(input_bits) + " bits");
    for (unsigned b = 0; b < input_bits; ++b) bits[i * input_bits + b] = (X[i] >> b) & 1;
  }
  return bits;
}

std::size_t location_cost(std::size_t dims, unsigned level, unsigned input_bits) {
  aig parity;
  std::vector<literal> in;
  for (std::size_t i = 0; i < input_count(dims, level); ++i) in.push_back(parity.create_pi());
  literal acc = circuit::lit_false;
  for (literal l : in) acc = parity.create_xor(acc, l);
  parity.create_po(acc);
  real_to_bin_params p;
  p.input_bits = input_bits;
  p.output_fraction_bits = int(input_bits - level);
  real_to_bin_stats st;
  real_to_bin(parity, dims, level, decoding{decoding::kind::sign, 1.0}, p, &st);
  return st.location + st.sorting + st.vertex_select + st.weighted_sum;
}

}  // namespace occam::tetrakis
