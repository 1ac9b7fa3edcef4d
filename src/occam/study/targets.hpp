#pragma once
// Boolean targets whose circuit complexity s* (least AIG AND count, THEORY §4) is known exactly or bounded
// above, for the sandwich experiment (issue 18, docs/study.md): exact small functions from the project's
// enumerator, scalable families (parity, adder carry and sum bits, comparators, majority) with the size of a
// stated circuit as the upper bound, and disjoint copies of a small circuit. Torch-free.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "occam/circuit/aig.hpp"

namespace occam::study {

/// What s* means for a target.
enum class size_bound {
  exact,        ///< least AIG size, proven by exhaustive enumeration (fw::enumerate_functions)
  upper_bound,  ///< the size of the stated circuit; the least size may be smaller
};
const char* to_string(size_bound b);

enum class target_family {
  exact_small,
  parity,
  majority,
  adder_carry,
  adder_sum,
  comparator,
  disjoint_copies
};
/// "exact", "parity", "majority", "adder-carry", "adder-sum", "compare", "copies".
const char* to_string(target_family f);
/// The inverse of to_string for the scalable families; throws input_error naming the choices.
target_family parse_target_family(const std::string& name);

/// One Boolean target: `outputs` functions of `inputs` variables, a circuit computing them and s*.
struct boolean_target {
  std::string name;  ///< "parity:6", "exact4:s3#7", "copies:4x(exact4:s2#0)"
  target_family family = target_family::exact_small;
  unsigned inputs = 0;
  /// Truth table per output (2^inputs bits, minterm m = Σ_i x_i 2^i, bit m % 64 of word m / 64), computed
  /// from the target's definition, independently of `circuit`. Empty when inputs > max_table_inputs.
  std::vector<std::vector<std::uint64_t>> tables;
  circuit::aig circuit;  ///< a circuit computing the target; its AND count is s* for upper bounds
  std::size_t s_star = 0;
  size_bound bound = size_bound::upper_bound;
  std::string note;  ///< where s* comes from
  std::size_t outputs() const { return circuit.num_pos(); }
};

/// Truth tables are stored for targets with at most this many inputs.
constexpr unsigned max_table_inputs = 20;

struct exact_targets_params {
  unsigned inputs = 4;        ///< m (2..5): the functions' variable count
  unsigned max_size = 5;      ///< largest s* enumerated (the enumeration time grows steeply with it)
  std::size_t per_size = 20;  ///< functions taken per s* (all of them when fewer exist)
  std::uint64_t seed = 1;     ///< which functions are taken (a deterministic shuffle)
};
struct exact_targets_stats {
  std::vector<std::uint64_t> functions_by_size;  ///< distinct functions (up to complement) per cost
  double seconds = 0;
};
/// Functions of `inputs` variables with exact least AIG size s* = 1..max_size (exhaustive enumeration),
/// `per_size` of each, each with a smallest circuit. Throws input_error for inputs outside 2..5.
std::vector<boolean_target> exact_targets(const exact_targets_params& params,
                                          exact_targets_stats* stats = nullptr);

/// A scalable family member with n inputs (adders and comparators: two n/2-bit operands a = x_0..x_{k−1},
/// b = x_k..x_{2k−1}, least significant bit first; majority: n odd). s* is the stated circuit's size, an
/// upper bound (exact where noted). Throws input_error for n outside the family's range (2..16).
boolean_target family_target(target_family family, unsigned n);

/// m copies of `base` on disjoint inputs (copy j reads inputs j·base.inputs …), one output per copy:
/// s* = m · s*(base), an upper bound (the least size of a direct sum is not known to be additive in
/// general). Throws input_error for m outside 1..64 or more than 64·20 inputs.
boolean_target disjoint_copies(const boolean_target& base, unsigned m);

/// Checks that `t.circuit` computes `t.tables` on every minterm (true when tables are empty is NOT
/// returned: throws std::logic_error when there is no table to compare with).
bool circuit_matches_tables(const boolean_target& t);

/// Output o's value at minterm m of a stored table.
inline bool table_bit(const std::vector<std::uint64_t>& table, std::uint64_t m) {
  return (table[m >> 6] >> (m & 63)) & 1u;
}

}  // namespace occam::study
