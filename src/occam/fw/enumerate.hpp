#pragma once
// Exhaustive enumeration of the Boolean functions of m ≤ 6 inputs computable with at most s two-input gates,
// each with a smallest circuit (THEORY §9: "enumerating the distinct functions computable with ≤ s gates").
// Torch-free. See docs/fw.md for the exact definitions.
//
// Bases:
//  * aig: AND nodes with complemented edges (THEORY §4, the project's circuit size). Inverters are free,
//    so f and ¬f have the same cost; functions are stored once, normalised so that f(0…0) = 0.
//  * all_two_input: every two-input gate (Knuth, TAOCP 7.1.2, "cost C(f)"); inverters are free as well
//    (a gate's output complement is another two-input gate), so the same normalisation applies.
//    XOR costs 1 here and 3 in the AIG basis.
//
// Method (a depth-first search over straight-line programs with two dedups):
//  * a new gate must compute a function (up to complement) not yet present among the inputs, the
//    constants and the earlier gates — a smallest circuit never computes anything twice;
//  * a new gate that does not read the previous gate must have a larger normalised truth table than it:
//    every circuit has exactly one gate order accepted by this rule (the greedy topological order that
//    always takes the available gate with the smallest truth table), so permutations of independent
//    gates are visited once;
//  * a state with D gates that nothing reads is abandoned when D − 1 exceeds the gates still allowed
//    (each gate lowers D by at most one, and a single-output circuit ends with D = 1).
// Every function met as the newest gate of a program with g gates has cost ≤ g; the smallest circuit of
// f is visited with f as its last gate, so the recorded minimum is exact.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "occam/circuit/aig.hpp"

namespace occam::fw {

enum class gate_basis { aig, all_two_input };
const char* to_string(gate_basis b);

/// One gate of a small circuit. Operand index i < inputs is input i; inputs + j is gate j.
/// op 0..3: AND(a ^ (op & 1), b ^ (op >> 1 & 1)) (complemented operands); op 4: XOR(a, b) (all_two_input
/// only).
struct small_gate {
  std::uint32_t a = 0, b = 0;
  std::uint8_t op = 0;
};

/// A single-output circuit over `inputs` variables. output < 0: the constant 0 (1 when complemented).
struct small_circuit {
  unsigned inputs = 0;
  std::vector<small_gate> gates;
  std::int64_t output = -1;
  bool output_complemented = false;
  /// Gate count (= AND count for AIG circuits; an XOR gate costs 3 ANDs once built as an AIG).
  std::size_t size() const { return gates.size(); }
  /// Values on bit-parallel input patterns: inputs[i] holds input i for 64·words patterns.
  std::vector<std::uint64_t> simulate(const std::vector<std::vector<std::uint64_t>>& inputs) const;
  /// Value on one input assignment (bit i of `x` = input i; inputs ≤ 64).
  bool evaluate(std::uint64_t x) const;
  /// Builds the circuit into `g` on the given input literals (structurally hashed); returns the output.
  circuit::literal build(circuit::aig& g, const std::vector<circuit::literal>& input_literals) const;
  /// A standalone AIG with `inputs` primary inputs and one output.
  circuit::aig to_aig() const;
  /// Re-indexes the inputs: input i becomes input map[i] of a circuit with `new_inputs` inputs.
  small_circuit remap_inputs(const std::vector<std::uint32_t>& map, unsigned new_inputs) const;
};

/// Truth tables of m ≤ 6 variables: bit p is f(x) with x_i = bit i of p.
std::uint64_t table_mask(unsigned m);
std::uint64_t variable_table(unsigned i, unsigned m);
/// f or ¬f, whichever has f(0…0) = 0.
inline std::uint64_t normalise_table(std::uint64_t t, std::uint64_t mask) {
  return (t & 1u) ? (~t & mask) : t;
}
/// Truth table of a small circuit with ≤ 6 inputs.
std::uint64_t truth_table(const small_circuit& c);

struct enumerate_params {
  unsigned inputs = 3;     ///< m, 0..6
  unsigned max_gates = 3;  ///< s
  gate_basis basis = gate_basis::aig;
};

struct function_entry {
  std::uint64_t table = 0;  ///< normalised (f(0…0) = 0)
  unsigned cost = 0;        ///< least gate count
  small_circuit circuit;    ///< a smallest circuit computing `table`
};

struct function_library {
  unsigned inputs = 0, max_gates = 0;
  gate_basis basis = gate_basis::aig;
  std::vector<function_entry> functions;  ///< sorted by (cost, table)
  /// Number of functions (both polarities, i.e. all 2^(2^m) functions counted) of each least cost
  /// 0..max_gates. Functions of larger cost are absent.
  std::vector<std::uint64_t> count_by_cost() const;
};

struct enumerate_stats {
  std::uint64_t programs = 0;  ///< straight-line programs visited (search nodes)
  std::size_t functions = 0;   ///< distinct functions up to complement
  double seconds = 0;
};

/// All functions of `inputs` variables with cost ≤ max_gates and a smallest circuit for each.
/// Throws input_error for inputs > 6.
function_library enumerate_functions(const enumerate_params& params, enumerate_stats* stats = nullptr);

}  // namespace occam::fw
