#pragma once
// Real-to-bin circuits of Tetrakis functions (THEORY §6 "real-to-bin circuit", Jacot Prop 7): one AIG that
// reads fixed-point coordinates and writes the fixed-point value of T_C (or of a sum of Tetrakis
// functions at several levels). Torch-free. See docs/tetrakis.md.
//
// Input format: coordinate i is an unsigned n-bit integer X_i (n = input_bits), the point of the unit box
// x_i = X_i / 2^n ∈ [0, 1) (a box [lo, hi] is the affine image lo + (hi − lo)·x, outside the circuit).
// Circuit input i·n + b is bit b (LSB first) of X_i. At level k the grid coordinate is u_i = X_i / 2^{n−k}:
// its integer part is the top k bits of X_i and its fraction the low f = n − k bits, so n ≥ k.
// Output format: one two's-complement word Y (LSB first); the value is Y · scale · 2^{−p}, p =
// output_fraction_bits, scale the decoding's scale. With p ≥ n − k_min the output is exactly T at the
// input point; otherwise it is rounded as `rounding` says (THEORY §6 gives the bound, stats.error_bound).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "occam/circuit/aig.hpp"
#include "occam/circuit/arith.hpp"
#include "occam/tetrakis/tetrakis.hpp"

namespace occam::tetrakis {

struct real_to_bin_params {
  unsigned input_bits = 8;       ///< n: bits per coordinate (n ≥ every term's level k)
  int output_fraction_bits = 8;  ///< p: the output word counts units of scale·2^{−p} (may be negative)
  circuit::rounding_mode rounding = circuit::rounding_mode::nearest;  ///< when p < n − k_min
  circuit::adder_kind adder = circuit::adder_kind::ripple;
};

/// The size split (AND nodes created by each stage, after structural hashing against what was built
/// before it; a node no output needs is removed by the final cleanup, so the stages sum to ≥ ands).
struct real_to_bin_stats {
  std::size_t location = 0;          ///< integer part, e_i, o_i and t_i per coordinate (and level)
  std::size_t sorting = 0;           ///< the sorting network on the t_i with their one-hot indices
  std::size_t vertex_select = 0;     ///< the d+1 vertices' coordinate bits (prefix ORs and muxes)
  std::size_t vertex_circuits = 0;   ///< the d+1 copies of each term's circuit C
  std::size_t weighted_sum = 0;      ///< Σ_j μ_j dec(C(v_j)), the sum over terms and the final rounding
  std::size_t ands = 0;              ///< AND nodes of the cleaned-up circuit (its size, THEORY §4)
  unsigned output_bits = 0;          ///< width of the output word
  unsigned exact_fraction_bits = 0;  ///< F = n − k_min: the exact value is an integer times scale·2^{−F}
  double error_bound = 0;            ///< max |output value − T(x)| over all inputs (0 when p ≥ F)
};

/// One Tetrakis function of a sum: circuit with d·(level+1) inputs (tetrakis.hpp's vertex convention),
/// outputs decoded by `dec`. The terms of one sum share the decoding scale.
struct tetrakis_term {
  const circuit::aig* circuit = nullptr;
  unsigned level = 0;
  decoding dec;
};

struct real_to_bin_circuit {
  circuit::aig circuit;  ///< d·n inputs, output_bits outputs
  std::size_t dims = 0;
  unsigned input_bits = 0;
  int output_fraction_bits = 0;
  double scale = 1;
  /// The value of an output assignment: (two's-complement word of `outputs`) · scale · 2^{−p}.
  double decode(const std::vector<bool>& outputs) const;
  /// Circuit inputs of the integer point X (dims values, each < 2^n).
  std::vector<bool> encode(const std::vector<std::uint64_t>& X) const;
};

/// The real-to-bin circuit of T_C at level k on d coordinates. Throws input_error when C does not have
/// d·(k+1) inputs, the decoding does not fit its outputs, or n < k.
real_to_bin_circuit real_to_bin(const circuit::aig& c, std::size_t dims, unsigned level, const decoding& dec,
                                const real_to_bin_params& params = {}, real_to_bin_stats* stats = nullptr);

/// The real-to-bin circuit of Σ_t T_{C_t} (levels may differ; all read the same inputs X). The exact sum is
/// formed before the one final rounding, so the error bound is that of a single term.
real_to_bin_circuit real_to_bin_sum(const std::vector<tetrakis_term>& terms, std::size_t dims,
                                    const real_to_bin_params& params = {},
                                    real_to_bin_stats* stats = nullptr);

/// Building block: in `g`, with xs[i] the n-bit words X_i, the exact T_C(X/2^n) as a two's-complement word
/// counting units of scale·2^{−(n−k)}. Stage sizes are added to `stats` (ands/output fields untouched).
circuit::word build_tetrakis_exact(circuit::aig& g, const std::vector<circuit::word>& xs,
                                   const circuit::aig& c, unsigned level, const decoding& dec,
                                   circuit::adder_kind adder = circuit::adder_kind::ripple,
                                   real_to_bin_stats* stats = nullptr);

/// The AND nodes Prop 7 charges a Tetrakis function besides its d+1 vertex circuits: the location, sorting,
/// vertex-selection and weighted-sum stages of real_to_bin for a 1-output ±1 ("sign") circuit at level k
/// (measured on a parity circuit, which reads every input), n input bits and exact output.
std::size_t location_cost(std::size_t dims, unsigned level, unsigned input_bits);

}  // namespace occam::tetrakis
