#pragma once
// Random AIGs for the tetrakis and compile tests (also used by tests/compile).
#include <cstdint>
#include <random>
#include <vector>

#include "circuit_test_util.hpp"  // tests/circuit: the reference evaluator
#include "occam/circuit/aig.hpp"

namespace occam::test_support {

/// `inputs` inputs, about `ands` AND nodes (fan-ins biased towards recent nodes so circuits get deep),
/// `outputs` outputs (some complemented; with `constant_output` the last output is tied to a constant).
inline circuit::aig random_circuit(unsigned inputs, unsigned ands, unsigned outputs, std::uint64_t seed,
                                   bool constant_output = false) {
  using namespace occam::circuit;
  std::mt19937_64 rng(seed);
  aig g;
  std::vector<literal> pool;
  for (unsigned i = 0; i < inputs; ++i) pool.push_back(g.create_pi());
  unsigned tries = 0;
  while (g.num_ands() < ands && tries++ < 50 * ands + 100) {
    auto pick = [&]() {
      std::size_t n = pool.size();
      std::size_t k = (rng() % 2) ? n - 1 - rng() % std::min<std::size_t>(n, 8) : rng() % n;
      return lit_not_cond(pool[k], rng() & 1);
    };
    literal f = g.create_and(pick(), pick());
    if (lit_node(f) != 0) pool.push_back(lit_regular(f));
  }
  for (unsigned o = 0; o < outputs; ++o) {
    if (constant_output && o + 1 == outputs) {
      g.create_po(lit_true);
      continue;
    }
    g.create_po(lit_not_cond(
        pool[pool.size() - 1 - (rng() % std::min<std::size_t>(pool.size(), 2 * outputs + 1))], rng() & 1));
  }
  return g;
}

/// Reference evaluation, one pattern at a time.
inline std::vector<bool> eval_circuit(const circuit::aig& g, const std::vector<bool>& in) {
  return circuit::testing::eval_reference(g, in);
}

}  // namespace occam::test_support
