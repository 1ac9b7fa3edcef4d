// Per-word truth-table synthesis in the quantised ResNet → AIG compiler (network_to_circuit_params::
// lut_inputs, LogicNets / NullaNet style; THEORY §4: size = AND nodes). The circuit must stay equal to the
// exact integer simulation (quantize.hpp: simulate_quantized) on EVERY input, whatever K, and K > 0 must
// never give more AND nodes than K = 0 before ABC. The networks are quantized_resnet values built directly:
// sparse integer weights as after pruning (each unit reads a few coordinates), random shifts and biases.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "circuit_test_util.hpp"
#include "compile_test_util.hpp"
#include "occam/circuit/abc.hpp"
#include "occam/circuit/simulate.hpp"
#include "occam/compile/network_to_circuit.hpp"
#include "occam/compile/quantize.hpp"
#include "occam/util/error.hpp"

using namespace occam;
using namespace occam::compile;

namespace {

struct net_spec {
  std::size_t d_in = 6, extra_width = 1, hidden = 3, depth = 2, d_out = 1;
  data::task_kind kind = data::task_kind::binary;
  unsigned input_bits = 1;  // 1 = Boolean inputs
  unsigned weight_bits = 5, activation_bits = 6;
  double density = 0.4;  // fraction of non-zero weights
  circuit::rounding_mode rounding = circuit::rounding_mode::nearest;
};

/// A random quantised ResNet in the integer semantics of quantize.hpp (the fields simulate_quantized
/// reads), sparse like a pruned network.
quantized_resnet random_quantized(const net_spec& s, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&rng](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  const std::int64_t wmax = (std::int64_t(1) << (s.weight_bits - 1)) - 1;
  auto weight = [&]() -> std::int64_t {
    if (std::uniform_real_distribution<double>(0, 1)(rng) >= s.density) return 0;
    std::int64_t v = uniform(1, wmax);
    return rng() & 1 ? v : -v;
  };
  quantized_resnet q;
  q.d_in = s.d_in;
  q.width = s.d_in + s.extra_width;
  q.hidden = s.hidden;
  q.d_out = s.d_out;
  q.kind = s.kind;
  q.boolean_inputs = s.input_bits == 1;
  q.input_bits = s.input_bits;
  q.weight_bits = s.weight_bits;
  q.activation_bits = s.activation_bits;
  q.rounding = s.rounding;
  q.input_lo.assign(s.d_in, 0.0);
  q.input_step.assign(s.d_in, 1.0);
  for (std::size_t i = 0; i < q.width; ++i) q.residual_frac.push_back(int(uniform(-1, 2)));
  const std::int64_t amax = (std::int64_t(1) << (s.activation_bits - 1));
  for (std::size_t l = 0; l < s.depth; ++l) {
    quantized_layer L;
    for (std::size_t j = 0; j < q.hidden; ++j) {
      for (std::size_t i = 0; i < q.width; ++i) L.W.push_back(weight());
      L.W_shift.push_back(unsigned(uniform(1, 4)));
      L.W_bias.push_back(uniform(-amax / 4, amax / 4) << L.W_shift.back());
      L.weight_frac.push_back(int(L.W_shift.back()));
    }
    for (std::size_t i = 0; i < q.width; ++i) {
      for (std::size_t j = 0; j < q.hidden; ++j) L.V.push_back(weight());
      L.V_shift.push_back(unsigned(uniform(1, 3)));
      L.update_frac.push_back(int(L.V_shift.back()));
    }
    q.layers.push_back(std::move(L));
  }
  std::int64_t bound = 0;
  for (std::size_t o = 0; o < q.d_out; ++o) {
    std::int64_t row = 0;
    for (std::size_t i = 0; i < q.width; ++i) {
      q.U.push_back(weight());
      row += std::abs(q.U.back()) * amax;
    }
    q.U_bias.push_back(uniform(-amax / 4, amax / 4));
    bound = std::max(bound, row + std::abs(q.U_bias.back()));
  }
  q.output_bits = 2;
  while ((std::int64_t(1) << (q.output_bits - 1)) <= bound) ++q.output_bits;
  return q;
}

bool constant_outputs(const circuit::aig& g) {
  for (const auto& t : circuit::truth_tables(g)) {
    const std::size_t rows = std::size_t(1) << g.num_pis();
    for (std::size_t m = 1; m < rows; ++m)
      if (((t[m / 64] >> (m % 64)) & 1u) != (t[0] & 1u)) return false;
  }
  return true;
}

network_to_circuit_params with_k(unsigned k, unsigned care_support = 16) {
  network_to_circuit_params p;
  p.lut_inputs = k;
  p.lut_care_support = care_support;
  return p;
}

}  // namespace

// Boolean inputs, d ≤ 10, checked on all 2^d inputs for K from "nothing fits" to "every word fits"
// (K ≥ d: every word's primary-input support fits), with and without partial sums, every task kind; K > 0
// never has more ANDs than K = 0.
TEST(NetworkLut, BooleanExhaustiveAllK) {
  std::uint64_t seed = 1000;
  std::size_t lut_words_total = 0, strictly_smaller = 0, cases = 0, non_constant = 0;
  for (std::size_t d : {4u, 7u, 10u})
    for (auto kind : {data::task_kind::binary, data::task_kind::multiclass, data::task_kind::regression})
      for (std::size_t depth : {1u, 3u}) {
        net_spec s;
        s.d_in = d;
        s.depth = depth;
        s.kind = kind;
        s.d_out = kind == data::task_kind::multiclass ? 3 : 2;
        s.density = 0.35;
        auto q = random_quantized(s, ++seed);
        const auto codes = occam_test::all_codes(d, 1);
        network_to_circuit_stats s0;
        auto g0 = network_to_circuit(q, {}, &s0);
        ASSERT_EQ(occam_test::circuit_mismatches(g0, q, codes), 0u);
        EXPECT_EQ(s0.lut_words, 0u);
        non_constant += !constant_outputs(g0);
        // (K, partial-sum bits P): P = 0 compiles whole words only.
        for (auto [K, P] : {std::pair{1u, 6u}, std::pair{4u, 6u}, std::pair{8u, 0u}, std::pair{8u, 6u},
                            std::pair{12u, 6u}, std::pair{20u, 6u}}) {
          SCOPED_TRACE("d " + std::to_string(d) + " depth " + std::to_string(depth) + " kind " +
                       data::to_string(kind) + " K " + std::to_string(K) + " P " + std::to_string(P));
          network_to_circuit_stats st;
          auto p = with_k(K);
          p.lut_partial_sum_inputs = P;
          auto g = network_to_circuit(q, p, &st);
          EXPECT_EQ(occam_test::circuit_mismatches(g, q, codes), 0u);
          EXPECT_LE(st.ands_generated, s0.ands_generated);
          EXPECT_EQ(st.ands_arithmetic, s0.ands_generated);
          EXPECT_EQ(circuit::statistics(g).ands, st.ands_generated);
          if (st.lut_fallback) {
            EXPECT_EQ(st.lut_words, 0u);
          }
          lut_words_total += st.lut_words;
          strictly_smaller += st.ands_generated < s0.ands_generated;
          ++cases;
        }
      }
  EXPECT_GT(lut_words_total, 0u);
  EXPECT_GT(strictly_smaller, cases / 2);
  EXPECT_GE(non_constant, 9u);  // of 18 networks: the check is not only about constant functions  // truth
                                // tables of few-bit words beat adder trees most of the time
}

// Multi-bit (real-data) input codes: exhaustive on 2 × 4 bits and random rows on 4 × 4 bits, both
// roundings, with and without the don't-cares of unreachable operand patterns.
TEST(NetworkLut, MultiBitInputs) {
  std::uint64_t seed = 2000;
  for (auto mode : {circuit::rounding_mode::nearest, circuit::rounding_mode::floor})
    for (std::size_t d : {2u, 4u})
      for (auto kind : {data::task_kind::binary, data::task_kind::regression}) {
        net_spec s;
        s.d_in = d;
        s.input_bits = 4;
        s.depth = 2;
        s.kind = kind;
        s.d_out = 1;
        s.rounding = mode;
        s.density = 0.5;
        auto q = random_quantized(s, ++seed);
        const auto codes = d == 2 ? occam_test::all_codes(2, 4) : occam_test::random_codes(2000, d, 4, seed);
        network_to_circuit_stats s0;
        auto g0 = network_to_circuit(q, {}, &s0);
        ASSERT_EQ(occam_test::circuit_mismatches(g0, q, codes), 0u);
        for (auto [K, care] : {std::pair{6u, 16u}, std::pair{12u, 0u}, std::pair{d == 2 ? 16u : 12u, 16u}}) {
          SCOPED_TRACE("d " + std::to_string(d) + " K " + std::to_string(K) + " care " +
                       std::to_string(care));
          network_to_circuit_stats st;
          auto g = network_to_circuit(q, with_k(K, care), &st);
          EXPECT_EQ(occam_test::circuit_mismatches(g, q, codes), 0u);
          EXPECT_LE(st.ands_generated, s0.ands_generated);
        }
      }
}

// Deeper and wider pruned networks on 10 Boolean inputs (the IWLS setting in miniature), all 1024 inputs.
TEST(NetworkLut, PrunedDeepNetworksExhaustive) {
  std::size_t non_constant = 0;
  for (std::uint64_t seed = 3000; seed < 3006; ++seed) {
    net_spec s;
    s.d_in = 10;
    s.extra_width = 4;
    s.hidden = 6;
    s.depth = 4;
    s.density = 0.15;
    s.weight_bits = 6;
    s.activation_bits = 8;
    auto q = random_quantized(s, seed);
    const auto codes = occam_test::all_codes(10, 1);
    network_to_circuit_stats s0, s8;
    auto g0 = network_to_circuit(q, {}, &s0);
    auto g8 = network_to_circuit(q, with_k(8), &s8);
    SCOPED_TRACE("seed " + std::to_string(seed));
    EXPECT_EQ(occam_test::circuit_mismatches(g0, q, codes), 0u);
    EXPECT_EQ(occam_test::circuit_mismatches(g8, q, codes), 0u);
    non_constant += !constant_outputs(g0);
    EXPECT_LE(s8.ands_generated, s0.ands_generated);
    EXPECT_EQ(s8.ands_arithmetic, s0.ands_generated);
  }
  EXPECT_GE(non_constant, 3u);
}

// A unit reading two Boolean inputs with odd weights: its truth table (2 inputs) is far smaller than the
// masked-constant adder tree, so the LUT must win and the circuit must shrink.
TEST(NetworkLut, FewBitNeuronBecomesLut) {
  net_spec s;
  s.d_in = 2;
  s.extra_width = 0;
  s.hidden = 1;
  s.depth = 1;
  s.density = 0;  // all zero, set by hand below
  s.activation_bits = 8;
  auto q = random_quantized(s, 1);
  q.residual_frac = {3, 3};
  q.layers[0].W = {23, -13};
  q.layers[0].W_bias = {40};
  q.layers[0].W_shift = {2};
  q.layers[0].V = {5, -7};
  q.layers[0].V_shift = {0, 0};
  q.U = {3, 5};
  q.U_bias = {-100};
  network_to_circuit_stats s0, s2;
  auto g0 = network_to_circuit(q, {}, &s0);
  auto g2 = network_to_circuit(q, with_k(2), &s2);
  EXPECT_EQ(occam_test::circuit_mismatches(g0, q, occam_test::all_codes(2, 1)), 0u);
  EXPECT_EQ(occam_test::circuit_mismatches(g2, q, occam_test::all_codes(2, 1)), 0u);
  EXPECT_GT(s2.lut_words, 0u);
  EXPECT_GT(s2.lut_ands_saved, 0u);
  EXPECT_FALSE(s2.lut_fallback);
  EXPECT_LT(s2.ands_generated, s0.ands_generated);
  // A function of 2 inputs needs at most 3 ANDs (an XOR), whatever the arithmetic in between.
  EXPECT_LE(s2.ands_generated, 3u);
}

// ABC after per-word synthesis keeps the function (cec against the generated AIG).
TEST(NetworkLut, AbcKeepsFunction) {
  OCCAM_REQUIRE_ABC();
  net_spec s;
  s.d_in = 8;
  s.depth = 2;
  auto q = random_quantized(s, 77);
  auto p = with_k(8);
  auto g = network_to_circuit(q, p);
  p.abc_script = "fast";
  network_to_circuit_stats st;
  auto h = network_to_circuit(q, p, &st);
  EXPECT_LE(st.ands, st.ands_generated);
  EXPECT_TRUE(circuit::abc_equivalent(g, h));
  // lut_compare_after_abc: never larger after the script than the K = 0 circuit after it.
  network_to_circuit_params p0;
  p0.abc_script = "fast";
  network_to_circuit_stats st0;
  network_to_circuit(q, p0, &st0);
  EXPECT_LE(st.ands, st0.ands);
  EXPECT_EQ(occam_test::circuit_mismatches(h, q, occam_test::all_codes(8, 1)), 0u);
}

TEST(NetworkLut, RejectsTooWideTables) {
  net_spec s;
  auto q = random_quantized(s, 5);
  EXPECT_THROW(network_to_circuit(q, with_k(21)), input_error);
  EXPECT_THROW(network_to_circuit(q, with_k(8, 21)), input_error);
}
