#pragma once
// Arithmetic generators on words of literals (THEORY §4 "real-to-bin computation"): the building blocks
// with which quantised ResNets are compiled to AIGs.
//
// Conventions: a `word` is a vector of literals, LSB first, read as a two's-complement integer (the MSB is
// the sign). An unsigned value is made signed by appending a 0 bit (zero_extend / from_bit). Functions
// whose name says "exact" in their doc return enough bits that no overflow is possible; functions taking an
// explicit `bits` compute modulo 2^bits (wrap-around), which is what hardware of that width does.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "occam/circuit/aig.hpp"

namespace occam::circuit {

using word = std::vector<literal>;

/// `value` mod 2^bits as constant literals.
word constant_word(std::int64_t value, unsigned bits);
/// Sign-extends (or truncates) to `bits`.
word sign_extend(const word& a, unsigned bits);
/// Zero-extends (or truncates) to `bits`.
word zero_extend(const word& a, unsigned bits);
/// A single bit b ∈ {0, 1} as a (2-bit, non-negative) two's-complement word.
inline word from_bit(literal b) {
  return word{b, lit_false};
}
/// `bits` new primary inputs named prefix[0], prefix[1], ... (LSB first).
word create_input_word(aig& g, unsigned bits, const std::string& prefix);
/// One primary output per bit, named prefix[0], ...
void create_output_word(aig& g, const word& w, const std::string& prefix);
/// Bitwise s ? t : e (words sign-extended to the longer one).
word mux_word(aig& g, literal s, const word& t, const word& e);

enum class adder_kind {
  ripple,       ///< n full adders in a chain: 7 ANDs per bit (an XOR is 3), depth ~2n
  kogge_stone,  ///< parallel prefix carries: depth ~2 log2 n + 4, ~n log2 n more ANDs
};

/// (a + b + carry_in) mod 2^bits, both operands sign-extended to `bits` first.
word add_mod(aig& g, const word& a, const word& b, literal carry_in, unsigned bits,
             adder_kind kind = adder_kind::ripple);
/// Exact a + b: max(|a|, |b|) + 1 bits.
word add(aig& g, const word& a, const word& b, adder_kind kind = adder_kind::ripple);
/// Exact a - b: max(|a|, |b|) + 1 bits.
word sub(aig& g, const word& a, const word& b, adder_kind kind = adder_kind::ripple);
/// Exact −a: |a| + 1 bits (−(−2^(n−1)) needs the extra bit).
word negate(aig& g, const word& a);

/// Comparators; operands are extended to a common width first (sign- or zero-extension by `is_signed`).
literal less_than(aig& g, const word& a, const word& b, bool is_signed = true);
literal less_equal(aig& g, const word& a, const word& b, bool is_signed = true);
literal equal(aig& g, const word& a, const word& b, bool is_signed = true);

/// Fixed-point ReLU max(a, 0): every bit ANDed with the inverted sign (the mask), the sign bit becomes 0.
/// Same width as `a`; n − 1 AND nodes.
word relu(aig& g, const word& a);

/// Canonical signed digits of c (LSB first, digits in {−1, 0, 1}, no two adjacent non-zeros): the
/// representation with the fewest non-zero digits, so c·x costs (non-zeros − 1) adders.
std::vector<int> csd_digits(std::int64_t c);
/// (x · c) mod 2^out_bits, as a sum of shifted ±x over the CSD digits of c.
word mul_const(aig& g, const word& x, std::int64_t c, unsigned out_bits,
               adder_kind kind = adder_kind::ripple);

enum class rounding_mode {
  floor,    ///< arithmetic right shift: ⌊v / 2^s⌋ (truncation towards −∞)
  nearest,  ///< ⌊(v + 2^(s−1)) / 2^s⌋: round half up
};
/// v / 2^s rounded; exact width (|a| − s bits for floor, |a| + 1 − s for nearest, at least 1).
word shift_right(aig& g, const word& a, unsigned s, rounding_mode mode = rounding_mode::floor);
/// Clamps to the `bits`-bit two's-complement range [−2^(bits−1), 2^(bits−1) − 1].
word saturate(aig& g, const word& a, unsigned bits);

/// Every bit of `a` ANDed with `b`: a if b, else 0 (|a| AND nodes).
word mask_word(aig& g, const word& a, literal b);

/// Batcher's odd–even merge sorting network on n wires: comparators (i, j), i < j, in order. Applying
/// "wire i gets the larger, wire j the smaller" at every comparator sorts any n values descending (for n not
/// a power of two it is the power-of-two network with the comparators touching wires ≥ n removed, which is
/// the network on inputs padded with minimal values). For n = 2^t it has (t² − t + 4)·2^{t−2} − 1
/// comparators and t(t+1)/2 layers.
std::vector<std::pair<unsigned, unsigned>> sorting_network(unsigned n);
/// Sorts `keys` descending with sorting_network(keys.size()); payloads[i] travels with keys[i] (payloads may
/// be empty: no payload). Keys of one width are compared signed or unsigned by `is_signed`; each comparator
/// is a less_than and one mux per key and payload bit, so the order among equal keys is the network's.
void sort_descending(aig& g, std::vector<word>& keys, std::vector<word>& payloads, bool is_signed = false,
                     adder_kind kind = adder_kind::ripple);

/// A copy of `sub`'s logic in `g` with sub's input i driven by inputs[i]; returns the literals of sub's
/// outputs. Only the outputs' fan-in is copied; structural hashing merges it with what `g` holds already.
std::vector<literal> instantiate(aig& g, const aig& sub, const std::vector<literal>& inputs);

struct dot_params {
  std::int64_t bias = 0;  ///< added to the sum before scaling
  unsigned shift = 0;     ///< per-layer scale 2^-shift applied to the sum
  rounding_mode rounding = rounding_mode::floor;
  unsigned out_bits = 0;  ///< 0: exact width; otherwise the result is brought to out_bits bits
  bool saturate = true;   ///< with out_bits: clamp (true) or wrap around (false)
  adder_kind adder = adder_kind::ripple;
};
/// Fixed-point dot product with constant weights and per-layer scaling:
///   y = scale(Σ_i w_i · x_i + bias),  scale(v) = round(v / 2^shift) by `rounding`,
/// computed exactly (the accumulator is wide enough for any input values), then saturated or wrapped to
/// out_bits if out_bits > 0. Products use mul_const (CSD); the sum is a balanced adder tree.
word dot_const(aig& g, const std::vector<word>& xs, const std::vector<std::int64_t>& weights,
               const dot_params& params = {});

}  // namespace occam::circuit
