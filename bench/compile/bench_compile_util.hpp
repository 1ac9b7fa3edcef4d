#pragma once
// Shared by the compiler measurements in bench/compile: the check that a compiled circuit computes the
// integer network's decisions.
#include <cstdint>
#include <vector>

#include "occam/circuit/simulate.hpp"
#include "occam/compile/network_to_circuit.hpp"
#include "occam/compile/quantize.hpp"

namespace occam_bench {

/// Output bits of `g` that differ from the integer network's decisions on the input code rows.
inline std::size_t mismatches(const occam::circuit::aig& g, const occam::compile::quantized_resnet& q,
                              const std::vector<std::int64_t>& codes) {
  namespace compile = occam::compile;
  const std::size_t n = codes.size() / q.d_in;
  occam::circuit::pattern_set in(g.num_pis(), n);
  for (std::size_t r = 0; r < n; ++r) {
    auto bits = compile::circuit_input_bits(q, codes.data() + r * q.d_in);
    for (std::size_t i = 0; i < bits.size(); ++i) in.set(i, r, bits[i]);
  }
  auto out = occam::circuit::simulate(g, in);
  auto acc = compile::simulate_quantized(q, codes);
  std::size_t bad = 0;
  for (std::size_t r = 0; r < n; ++r) {
    auto want = compile::expected_output_bits(q, acc.data() + r * q.d_out);
    for (std::size_t o = 0; o < want.size(); ++o) bad += out.get(o, r) != want[o];
  }
  return bad;
}

}  // namespace occam_bench
