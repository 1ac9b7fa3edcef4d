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
};

/// The AIG of `q`. Throws input_error when the ABC script fails (ABC missing, timeout).
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
