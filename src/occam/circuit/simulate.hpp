#pragma once
// Bit-parallel simulation of AIGs: 64 patterns per machine word, several words per node at a time so
// the compiler vectorises the AND loop (AVX2 where the CPU has it, chosen at run time). Exhaustive
// truth tables (up to 20 inputs) and the accuracy of a circuit against a Boolean data set (THEORY §4:
// the L2(π) error over the data of a Boolean output is its error rate).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "occam/circuit/aig.hpp"
#include "occam/data/dataset.hpp"
#include "occam/data/pla.hpp"

namespace occam::circuit {

/// Values of `num_signals` signals on `num_patterns` patterns, signal-major: signal s's pattern p is bit
/// p % 64 of bits[s * words() + p / 64]. Bits past num_patterns in the last word are zero.
struct pattern_set {
  std::size_t num_signals = 0;
  std::size_t num_patterns = 0;
  std::vector<std::uint64_t> bits;

  pattern_set() = default;
  pattern_set(std::size_t signals, std::size_t patterns)
      : num_signals(signals), num_patterns(patterns), bits(signals * ((patterns + 63) / 64), 0) {}
  std::size_t words() const { return (num_patterns + 63) / 64; }
  bool get(std::size_t s, std::size_t p) const { return (bits[s * words() + p / 64] >> (p % 64)) & 1u; }
  void set(std::size_t s, std::size_t p, bool v) {
    auto& w = bits[s * words() + p / 64];
    w = (w & ~(std::uint64_t(1) << (p % 64))) | (std::uint64_t(v) << (p % 64));
  }
  const std::uint64_t* signal(std::size_t s) const { return bits.data() + s * words(); }
  std::uint64_t* signal(std::size_t s) { return bits.data() + s * words(); }
};

/// Uniformly random input patterns (splitmix64 stream from `seed`; deterministic).
pattern_set random_patterns(std::size_t num_inputs, std::size_t num_patterns, std::uint64_t seed);

struct simulation_params {
  /// Words per node simulated together (1, 2, 4, 8 or 16): 8 = 512 patterns per sweep over the AIG,
  /// which keeps a 100k-node AIG's working set in L2/L3 and gives the compiler full vectors.
  unsigned block_words = 8;
};

/// Output values of `g` on the input patterns (`inputs.num_signals` must equal g.num_pis()).
pattern_set simulate(const aig& g, const pattern_set& inputs, const simulation_params& params = {});

/// Exhaustive truth tables of all outputs: for each output, 2^n bits (n = num_pis() ≤ 20) in
/// max(1, 2^n / 64) words; minterm m (input i = bit i of m) is bit m % 64 of word m / 64. With n < 6 the
/// unused high bits of the single word are zero.
std::vector<std::vector<std::uint64_t>> truth_tables(const aig& g, const simulation_params& params = {});

struct accuracy_result {
  std::size_t rows = 0;
  std::vector<std::size_t> correct;  ///< per output: rows where the output bit is right
  std::vector<std::size_t> counted;  ///< per output: rows with a specified target bit
  std::size_t rows_all_correct = 0;  ///< rows where every specified output bit is right
  double output_accuracy(std::size_t o) const { return counted[o] ? double(correct[o]) / counted[o] : 1.0; }
  /// Mean over all specified output bits.
  double overall() const;
};

/// Accuracy of `g` on a Boolean data set: input bit = x > 0.5, target bit = y > 0.5. Throws
/// input_error when the input or output counts differ from the circuit's.
accuracy_result accuracy(const aig& g, const data::dataset& d);
/// Accuracy on a PLA table: input cubes must be fully specified (0/1); '-' targets are not counted.
accuracy_result accuracy(const aig& g, const data::pla_table& t, const std::string& name = "PLA");

}  // namespace occam::circuit
