// Quantised ResNet → AIG (THEORY §1, §4): the circuit equals the exact integer simulation bit for bit.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <random>

#include "circuit_test_util.hpp"
#include "compile_test_util.hpp"
#include "occam/circuit/abc.hpp"
#include "occam/circuit/simulate.hpp"
#include "occam/compile/network_to_circuit.hpp"
#include "occam/compile/quantize.hpp"
#include "occam/data/loaders.hpp"
#include "occam/nn/resnet.hpp"

using namespace occam;
using namespace occam::compile;

namespace {

/// A random ResNet (THEORY §1) with a fraction `zero_fraction` of its weights set to 0 (a pruned net).
nn::resnet random_net(std::int64_t d_in, std::int64_t depth, data::task_kind kind, std::int64_t d_out,
                      double zero_fraction, std::uint64_t seed, bool boolean) {
  nn::resnet_shape s;
  s.d_in = d_in;
  s.width = d_in + 1;
  s.hidden = 4;
  s.depth = depth;
  s.d_out = d_out;
  nn::init_params ip;
  ip.seed = seed;
  ip.v_scale = 0.5;  // sizeable residual updates, so every layer matters
  nn::resnet m = nn::make_resnet(s, ip);
  m.kind = kind;
  m.input_box.lo.assign(std::size_t(d_in), boolean ? 0.0f : -1.0f);
  m.input_box.hi.assign(std::size_t(d_in), boolean ? 1.0f : 2.0f);
  if (zero_fraction > 0) {
    torch::manual_seed(seed + 7);
    torch::NoGradGuard ng;
    for (auto& t : m.parameters()) t.mul_((torch::rand_like(t) >= zero_fraction).to(t.scalar_type()));
  }
  return m;
}

/// Checks every output bit of `g` against simulate_quantized on the code rows; returns rows checked.
std::size_t check_circuit(const circuit::aig& g, const quantized_resnet& q,
                          const std::vector<std::int64_t>& codes) {
  EXPECT_EQ(occam_test::circuit_mismatches(g, q, codes), 0u);
  return codes.size() / q.d_in;
}

/// Uniform data in the net's box with targets from the float network itself (so float error is 0).
data::dataset self_labelled(const nn::resnet& m, std::size_t n, std::uint64_t seed, bool boolean) {
  data::dataset d;
  d.kind = m.kind;
  d.n = n;
  d.d_in = std::size_t(m.shape.d_in);
  d.input_box = m.input_box;
  d.boolean_inputs = boolean;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0, 1);
  d.x.resize(n * d.d_in);
  for (std::size_t i = 0; i < d.x.size(); ++i) {
    std::size_t c = i % d.d_in;
    float t = boolean ? float(rng() & 1) : u(rng);
    d.x[i] = m.input_box.lo[c] + t * (m.input_box.hi[c] - m.input_box.lo[c]);
  }
  auto y = float_forward(m, d.x.data(), n);
  const std::size_t o = std::size_t(m.shape.d_out);
  if (m.kind == data::task_kind::regression) {
    d.d_out = o;
    d.y.assign(y.begin(), y.end());
  } else if (m.kind == data::task_kind::binary) {
    d.d_out = o;
    for (double v : y) d.y.push_back(v > 0 ? 1.0f : 0.0f);
  } else {
    d.d_out = 1;
    d.n_classes = o;
    for (std::size_t r = 0; r < n; ++r) {
      std::size_t b = 0;
      for (std::size_t c = 1; c < o; ++c)
        if (y[r * o + c] > y[r * o + b]) b = c;
      d.y.push_back(float(b));
    }
  }
  return d;
}

}  // namespace

// Boolean inputs, exhaustively: depth 0..3, dense and pruned, every task kind.
TEST(NetworkToCircuit, BooleanInputsExhaustive) {
  std::uint64_t seed = 1;
  for (std::int64_t depth = 0; depth <= 3; ++depth)
    for (double zeros : {0.0, 0.7})
      for (auto kind : {data::task_kind::binary, data::task_kind::multiclass, data::task_kind::regression}) {
        std::int64_t d_out = kind == data::task_kind::multiclass ? 3 : 2;
        auto m = random_net(5, depth, kind, d_out, zeros, ++seed, true);
        quantize_params qp;
        qp.boolean_inputs = true;
        qp.weight_bits = 5;
        qp.activation_bits = 6;
        auto q = quantize(m, qp);
        network_to_circuit_stats st;
        auto g = network_to_circuit(q, {}, &st);
        SCOPED_TRACE("depth " + std::to_string(depth) + " zeros " + std::to_string(zeros));
        check_circuit(g, q, occam_test::all_codes(5, 1));
        // Layer-1 products of Boolean inputs are masks, never multipliers (unless all weights are zero).
        if (depth > 0 && zeros == 0.0) {
          EXPECT_GT(st.masked_products, 0u);
        }
      }
}

// Real inputs (b_in-bit codes on the box), random rows, both rounding modes.
TEST(NetworkToCircuit, RealInputsRandom) {
  std::uint64_t seed = 100;
  for (std::int64_t depth = 0; depth <= 3; ++depth)
    for (double zeros : {0.0, 0.6})
      for (auto mode : {circuit::rounding_mode::nearest, circuit::rounding_mode::floor}) {
        auto kind = depth % 2 ? data::task_kind::regression : data::task_kind::binary;
        auto m = random_net(2, depth, kind, 1, zeros, ++seed, false);
        quantize_params qp;
        qp.input_bits = 4;
        qp.weight_bits = 4 + unsigned(depth);
        qp.activation_bits = 5;
        qp.rounding = mode;
        auto q = quantize(m, qp);
        auto g = network_to_circuit(q);
        SCOPED_TRACE("depth " + std::to_string(depth));
        check_circuit(g, q, occam_test::random_codes(300, 2, 4, seed));
        check_circuit(g, q, occam_test::all_codes(2, 1));  // codes 0/1 include the box corner lo
      }
}

// Pruning pays: the same network with weights zeroed has fewer AND nodes (THEORY §4 size).
TEST(NetworkToCircuit, ZeroWeightsReduceAnds) {
  auto dense = random_net(4, 2, data::task_kind::regression, 1, 0.0, 42, false);
  auto pruned = dense.to(torch::kCPU);
  {
    torch::NoGradGuard ng;
    torch::manual_seed(3);
    for (auto& t : pruned.parameters()) t.mul_((torch::rand_like(t) >= 0.6).to(t.scalar_type()));
  }
  quantize_params qp;
  qp.input_bits = 4;
  auto qd = quantize(dense, qp);
  auto qs = quantize(pruned, qp);
  EXPECT_LT(qs.nonzero_weights(), qd.nonzero_weights());
  network_to_circuit_stats sd, ss;
  network_to_circuit(qd, {}, &sd);
  auto gs = network_to_circuit(qs, {}, &ss);
  EXPECT_GT(ss.zero_weights_skipped, sd.zero_weights_skipped);
  EXPECT_LT(ss.ands, sd.ands);
  check_circuit(gs, qs, occam_test::random_codes(200, 4, 4, 9));
}

// Quantisation error vs the float network falls as the bit width grows.
TEST(Quantize, ErrorDecreasesWithBits) {
  auto m = random_net(3, 2, data::task_kind::regression, 1, 0.0, 77, false);
  auto d = self_labelled(m, 400, 5, false);
  double prev = 1e300;
  for (unsigned b : {4u, 8u, 12u, 16u}) {
    quantize_params qp;
    qp.weight_bits = qp.activation_bits = qp.input_bits = b;
    auto rep = evaluate_quantization(m, quantize(m, qp, &d), d);
    EXPECT_LT(rep.output_mse, prev) << b;
    prev = rep.output_mse;
  }
  EXPECT_LT(prev, 1e-5);  // 16 bits: close to the float network
}

// A pruned unit (a W row of zeros, bias only) must not cost the other units their precision.
TEST(Quantize, DeadUnitKeepsPrecision) {
  auto m = random_net(3, 2, data::task_kind::regression, 1, 0.0, 78, false);
  {
    torch::NoGradGuard ng;
    m.W[0][0].zero_();
    m.W[1][2].zero_();
    m.W[1][2][m.shape.width] = 0.3f;  // bias only
  }
  auto d = self_labelled(m, 300, 6, false);
  quantize_params qp;
  qp.weight_bits = qp.activation_bits = qp.input_bits = 16;
  auto q = quantize(m, qp, &d);
  EXPECT_LT(evaluate_quantization(m, q, d).output_mse, 1e-5);
  check_circuit(network_to_circuit(q), q, occam_test::random_codes(100, 3, 16, 1));
}

// The error-budget search returns the smallest width within the tolerance.
TEST(Quantize, BitWidthSearch) {
  auto m = random_net(4, 1, data::task_kind::binary, 1, 0.0, 11, true);
  auto d = self_labelled(m, 16, 0, true);
  bit_width_search_params bp;
  bp.base.boolean_inputs = true;
  bp.tolerance = 0.0;
  auto res = choose_bit_widths(m, d, bp);
  ASSERT_TRUE(res.found);
  ASSERT_FALSE(res.tried.empty());
  EXPECT_EQ(res.tried.back().first, res.bits);
  EXPECT_LE(res.tried.back().second, 0.0);
  for (std::size_t i = 0; i + 1 < res.tried.size(); ++i) {
    EXPECT_GT(res.tried[i].second, 0.0);
  }
  EXPECT_EQ(res.report.float_metric, 1.0);  // self-labelled
  EXPECT_EQ(res.q.weight_bits, res.bits);
  check_circuit(network_to_circuit(res.q), res.q, occam_test::all_codes(4, 1));
}

// ABC's fast script keeps the function (cec) and does not grow the circuit.
TEST(NetworkToCircuit, AbcOptimisedIsEquivalent) {
  OCCAM_REQUIRE_ABC();
  auto m = random_net(4, 2, data::task_kind::binary, 1, 0.5, 5, true);
  quantize_params qp;
  qp.boolean_inputs = true;
  auto q = quantize(m, qp);
  auto g = network_to_circuit(q);
  network_to_circuit_params p;
  p.abc_script = "fast";
  network_to_circuit_stats st;
  auto h = network_to_circuit(q, p, &st);
  EXPECT_EQ(st.ands_generated, circuit::statistics(g).ands);
  EXPECT_LE(st.ands, st.ands_generated);
  EXPECT_TRUE(circuit::abc_equivalent(g, h));
  check_circuit(h, q, occam_test::all_codes(4, 1));
}
