#pragma once
// Quantised ResNet → AIG (THEORY §4 real-to-bin computation), built from the arithmetic generators of
// circuit/arith.hpp. The circuit computes exactly simulate_quantized() (quantize.hpp):
//  * inputs: d_in words of b_in unsigned bits (LSB first, named x<i>[b]); Boolean inputs are one bit each;
//  * zero weights cost nothing (no term), a weight times a single bit (Boolean input, or any word that is
//    one bit shifted) is the weight's constant masked by the bit (AND-mask, no adder), other products are
//    CSD shift-and-add multipliers (mul_const), sums are balanced exact adder trees;
//  * ReLU = mask by the inverted sign, shifts = wiring (+ a rounding adder), saturation = comparators/muxes;
//  * outputs: binary → one bit per output (acc > 0), multiclass → the argmax index (ceil(log2 C) bits, the
//    first largest wins), regression → output_bits-bit two's-complement words (scale 2^−output_frac).
//  * optionally (lut_inputs = K > 0, LogicNets / NullaNet style): every word (hidden activation, updated
//    residual coordinate, output) that is a function of at most K bits — its operands' non-constant bits,
//    or the primary inputs it structurally depends on — is also synthesised from its exact truth table
//    over those bits (wide dot products in partial sums of few bits), and the smaller version is kept.
// Torch-free. See docs/compiler.md.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "occam/circuit/abc.hpp"
#include "occam/circuit/aig.hpp"
#include "occam/circuit/arith.hpp"
#include "occam/compile/quantize.hpp"

namespace occam::compile {

struct network_to_circuit_params {
  circuit::adder_kind adder = circuit::adder_kind::ripple;
  /// K, the per-word truth-table synthesis width (0 = off, the pure arithmetic compiler; at most 20).
  /// With K > 0 each word of the integer network (h_j of a layer, r_i after its update, an output's
  /// decision or accumulator) is built arithmetically, then, if it depends on at most K bits, also from its
  /// exact truth table over those bits, and the version with fewer AND nodes is kept. Two cuts are tried:
  /// the word's operand bits (the non-constant bits of the r_i / h_j words with a non-zero weight; a
  /// constant bit costs nothing, a word whose range is small has few non-constant bits) and the word's
  /// primary-input support (the input bits it structurally depends on). All 2^k rows are specified except
  /// operand patterns that no input produces (see lut_care_support), so the circuit still equals
  /// simulate_quantized on every input. Bits found constant, and top bits that only repeat the sign, are
  /// dropped from the word, which narrows the arithmetic that reads it. Finally the whole circuit is
  /// compared with the K = 0 circuit and the smaller is returned, so K > 0 is never worse before ABC.
  /// 12 is recommended: as small as 16 at a fraction of its compile time on the IWLS 2020 networks of
  /// bench/RESULTS.md ("Network → circuit").
  unsigned lut_inputs = 0;
  /// With K > 0: when a word's primary-input support has at most this many bits, the operand patterns that
  /// no input reaches are don't-cares of its operand truth table (found by simulating all 2^support input
  /// patterns; 0 = every operand pattern is specified). At most 20.
  unsigned lut_care_support = 16;
  /// With K > 0 and an ABC script: also run the script on the K = 0 circuit and return whichever is smaller
  /// after it (ABC sometimes simplifies the arithmetic better than the LUTs; costs a second ABC run).
  bool lut_compare_after_abc = true;
  /// With K > 0: a dot product's consecutive terms whose operands have at most this many bits together
  /// (and ≤ K) are first summed as a partial-sum word, which may become a LUT like any other word, so units
  /// that read more than K bits still get LUT pieces (0 = off: only whole words).
  unsigned lut_partial_sum_inputs = 6;
  /// ABC script run on the generated AIG ("" = none; "fast", "medium", "strong" or a command line, see
  /// circuit::expand_abc_script). The optimised AIG is returned.
  std::string abc_script;
  circuit::abc_params abc;
};

struct network_to_circuit_stats {
  std::size_t ands_generated = 0;  ///< reachable AND nodes before ABC
  std::uint32_t depth_generated = 0;
  std::size_t ands = 0;  ///< reachable AND nodes of the returned AIG (after ABC when run)
  std::uint32_t depth = 0;
  double abc_seconds = 0;
  std::size_t zero_weights_skipped = 0;  ///< (weight, operand) terms dropped because the weight is 0
  std::size_t masked_products = 0;       ///< weight × single bit: constant masked by the bit
  std::size_t multiplier_products = 0;   ///< CSD constant multipliers generated
  // Per-word truth-table synthesis (lut_inputs > 0); counts refer to the returned circuit's construction.
  std::size_t lut_words = 0;              ///< words synthesised from a truth table
  std::size_t lut_words_over_inputs = 0;  ///< of which over their primary-input support
  std::size_t arithmetic_words = 0;  ///< words with ≥ 1 AND left arithmetic (too wide, or LUT not smaller)
  std::size_t narrowed_bits = 0;     ///< word bits found constant or equal to the sign, dropped
  /// Σ over LUT words of (AND nodes of the word's own arithmetic − AND nodes of its LUT), before sharing.
  std::size_t lut_ands_saved = 0;
  std::size_t ands_arithmetic = 0;            ///< lut_inputs > 0: reachable ANDs of the K = 0 circuit
  std::size_t ands_arithmetic_after_abc = 0;  ///< ... after the ABC script (lut_compare_after_abc)
  bool lut_fallback = false;  ///< lut_inputs > 0 but the K = 0 circuit was smaller and is returned
  double lut_seconds = 0;     ///< time spent on cuts, truth tables and their synthesis
};

/// The AIG of `q`. Throws input_error when the ABC script fails (ABC missing, timeout) or when lut_inputs
/// or lut_care_support exceeds 20.
circuit::aig network_to_circuit(const quantized_resnet& q, const network_to_circuit_params& params = {},
                                network_to_circuit_stats* stats = nullptr);

/// Number of circuit inputs: d_in · b_in.
std::size_t circuit_input_count(const quantized_resnet& q);
/// Number of circuit outputs: d_out (binary), ceil(log2 d_out) (multiclass, at least 1), d_out · output_bits.
std::size_t circuit_output_count(const quantized_resnet& q);
/// The circuit's input bits for one row of input codes (d_in codes): code i's bit b is input i·b_in + b.
std::vector<bool> circuit_input_bits(const quantized_resnet& q, const std::int64_t* codes);
/// The output bits the circuit must produce for one row of accumulators (simulate_quantized's output).
std::vector<bool> expected_output_bits(const quantized_resnet& q, const std::int64_t* acc);

}  // namespace occam::compile
