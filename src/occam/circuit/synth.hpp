#pragma once
// Truth-table synthesis: a (partially specified) multi-output Boolean function on n ≤ 20 inputs → a small
// AIG. Used by `occam fit --exact` (complete IWLS 2022 truth tables), by the IWLS 2020 routes that
// synthesise a pruned network or one pruned neuron from its truth table (LogicNets/NullaNet style, the
// unseen rows as don't-cares), and by `occam circuit synth`. Torch-free. See docs/circuit.md.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "occam/circuit/abc.hpp"
#include "occam/circuit/aig.hpp"

namespace occam::circuit {

/// One output of a function on `num_inputs` variables: bit m of `on` is the value at minterm
/// m = Σ_i x_i 2^i (x_0 the least significant bit, as in data::load_truth_table), bit m of `care` says
/// whether that value matters (0 = don't-care). Both hold max(1, 2^n / 64) words; unused high bits are 0.
struct truth_table {
  unsigned num_inputs = 0;
  std::vector<std::uint64_t> on, care;
  static truth_table constant(unsigned num_inputs, bool value);  ///< fully specified constant
  bool value(std::uint64_t minterm) const;
  bool cares(std::uint64_t minterm) const;
  void set(std::uint64_t minterm, bool value, bool care = true);
  std::size_t care_count() const;
};

/// A partially specified function from samples: each row is a bit pattern over `num_inputs` inputs (bit i =
/// input i) with one label per output; rows seen with both labels take the majority label (ties → 0),
/// unseen minterms are don't-cares.
std::vector<truth_table> truth_tables_from_samples(unsigned num_inputs, std::size_t num_outputs,
                                                   const std::vector<std::uint64_t>& rows,
                                                   const std::vector<std::vector<bool>>& labels);

struct synth_params {
  /// ABC script run on each candidate ("" = none; see expand_abc_script: "fast", "medium", "strong").
  std::string abc_script = "medium";
  unsigned deepsyn_seconds = 10;  ///< for the "strong" script
  /// With "strong": each candidate gets "resyn2; dc2" and only the smallest result gets &deepsyn (one
  /// deepsyn run instead of one per candidate; candidate "<name>+abc+deepsyn"). False: the full strong
  /// script on every candidate.
  bool deepsyn_on_winner_only = true;
  bool try_isop = true;  ///< irredundant SOP with don't-cares (Minato–Morreale), factored into ANDs
  /// Cofactor decomposition with shared (hashed) sub-functions and don't-care merging.
  bool try_shannon = true;
  bool verify = true;  ///< simulate the result on every care minterm; throws std::logic_error on mismatch
  abc_params abc;
};

struct synth_stats {
  std::size_t ands = 0;  ///< of the returned AIG
  std::uint32_t depth = 0;
  std::string winner;  ///< which candidate was smallest ("isop+abc", "shannon", ...)
  std::vector<std::pair<std::string, std::size_t>> candidates;  ///< (candidate, AND count)
  double seconds = 0;
};

/// Synthesises all outputs into one AIG with `num_inputs` inputs (named x0..) and one output per table,
/// agreeing with every table on its care minterms; the smallest candidate wins.
aig synthesize_truth_tables(const std::vector<truth_table>& outputs, const synth_params& params = {},
                            synth_stats* stats = nullptr);

}  // namespace occam::circuit
