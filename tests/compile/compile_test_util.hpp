#pragma once
// Shared by the network → circuit tests: input-code rows and the bit-for-bit check of a compiled circuit
// against the quantised network's integer simulation (THEORY §4).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "occam/circuit/simulate.hpp"
#include "occam/compile/network_to_circuit.hpp"
#include "occam/compile/quantize.hpp"

namespace occam_test {

/// Every row of d codes of `bits` bits each (2^(d·bits) rows; code i is bits [i·bits, (i+1)·bits) of the
/// row).
inline std::vector<std::int64_t> all_codes(std::size_t d, unsigned bits) {
  const std::size_t rows = std::size_t(1) << (d * bits);
  std::vector<std::int64_t> c(rows * d);
  for (std::size_t m = 0; m < rows; ++m)
    for (std::size_t i = 0; i < d; ++i) c[m * d + i] = std::int64_t((m >> (i * bits)) & ((1u << bits) - 1));
  return c;
}

/// n rows of d uniform random codes of `bits` bits.
inline std::vector<std::int64_t> random_codes(std::size_t n, std::size_t d, unsigned bits,
                                              std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::int64_t> c(n * d);
  for (auto& v : c) v = std::int64_t(rng() & ((1u << bits) - 1));
  return c;
}

/// Output bits of `g` that differ from simulate_quantized's decision on the code rows (and the circuit's
/// interface is checked against the network's).
inline std::size_t circuit_mismatches(const occam::circuit::aig& g, const occam::compile::quantized_resnet& q,
                                      const std::vector<std::int64_t>& codes) {
  using namespace occam::compile;
  const std::size_t n = codes.size() / q.d_in;
  EXPECT_EQ(g.num_pis(), circuit_input_count(q));
  EXPECT_EQ(g.num_pos(), circuit_output_count(q));
  occam::circuit::pattern_set in(g.num_pis(), n);
  for (std::size_t r = 0; r < n; ++r) {
    auto bits = circuit_input_bits(q, codes.data() + r * q.d_in);
    for (std::size_t i = 0; i < bits.size(); ++i) in.set(i, r, bits[i]);
  }
  auto out = occam::circuit::simulate(g, in);
  auto acc = simulate_quantized(q, codes);
  std::size_t bad = 0;
  for (std::size_t r = 0; r < n; ++r) {
    auto want = expected_output_bits(q, acc.data() + r * q.d_out);
    for (std::size_t o = 0; o < want.size(); ++o) bad += out.get(o, r) != want[o];
  }
  return bad;
}

}  // namespace occam_test
