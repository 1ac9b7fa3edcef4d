// Arithmetic generators, each checked exhaustively at small widths against integer arithmetic
// (THEORY §4, real-to-bin computation).
#include <gtest/gtest.h>

#include <functional>

#include "occam/circuit/arith.hpp"
#include "occam/circuit/simulate.hpp"

using namespace occam::circuit;

namespace {

std::int64_t floor_div_pow2(std::int64_t v, unsigned s) {
  std::int64_t d = std::int64_t(1) << s;
  std::int64_t q = v / d;
  if (v % d != 0 && v < 0) --q;
  return q;
}

/// Builds a circuit with input words of the given widths (signedness per word), an output word computed by
/// `build`, simulates it exhaustively and compares with `expected` for every input combination.
void check_exhaustive(const std::vector<unsigned>& widths, const std::vector<bool>& is_signed,
                      const std::function<word(aig&, const std::vector<word>&)>& build, bool out_signed,
                      const std::function<std::int64_t(const std::vector<std::int64_t>&)>& expected) {
  aig g;
  std::vector<word> in;
  for (std::size_t k = 0; k < widths.size(); ++k)
    in.push_back(create_input_word(g, widths[k], "x" + std::to_string(k)));
  word out = build(g, in);
  create_output_word(g, out, "y");
  ASSERT_LE(g.num_pis(), 20u);
  auto tt = truth_tables(g);
  for (std::size_t m = 0; m < (std::size_t(1) << g.num_pis()); ++m) {
    std::vector<std::int64_t> v;
    unsigned shift = 0;
    for (std::size_t k = 0; k < widths.size(); ++k) {
      std::int64_t x = std::int64_t((m >> shift) & ((std::uint64_t(1) << widths[k]) - 1));
      if (is_signed[k] && widths[k] > 0 && (x >> (widths[k] - 1)) & 1) x -= std::int64_t(1) << widths[k];
      v.push_back(x);
      shift += widths[k];
    }
    std::int64_t y = 0;
    for (std::size_t b = 0; b < out.size(); ++b)
      if ((tt[b][m / 64] >> (m % 64)) & 1u) y |= std::int64_t(1) << b;
    if (out_signed && !out.empty() && ((y >> (out.size() - 1)) & 1)) y -= std::int64_t(1) << out.size();
    std::int64_t e = expected(v);
    ASSERT_EQ(y, e) << "inputs m=" << m;
  }
}

std::int64_t wrap(std::int64_t v, unsigned bits) {
  std::uint64_t u = std::uint64_t(v) & ((std::uint64_t(1) << bits) - 1);
  std::int64_t r = std::int64_t(u);
  if ((u >> (bits - 1)) & 1) r -= std::int64_t(1) << bits;
  return r;
}

}  // namespace

TEST(Arith, AddersAreExactForMixedWidths) {
  for (adder_kind k : {adder_kind::ripple, adder_kind::kogge_stone}) {
    check_exhaustive(
        {4, 5}, {true, true}, [&](aig& g, const std::vector<word>& x) { return add(g, x[0], x[1], k); }, true,
        [](const std::vector<std::int64_t>& v) { return v[0] + v[1]; });
    check_exhaustive(
        {4, 4}, {true, true}, [&](aig& g, const std::vector<word>& x) { return sub(g, x[0], x[1], k); }, true,
        [](const std::vector<std::int64_t>& v) { return v[0] - v[1]; });
    // Modular addition with a carry-in, at width 5.
    check_exhaustive(
        {5, 5, 1}, {true, true, false},
        [&](aig& g, const std::vector<word>& x) { return add_mod(g, x[0], x[1], x[2][0], 5, k); }, true,
        [](const std::vector<std::int64_t>& v) { return wrap(v[0] + v[1] + v[2], 5); });
  }
}

TEST(Arith, KoggeStoneIsShallowerThanRipple) {
  aig r, s;
  create_output_word(
      r, add(r, create_input_word(r, 32, "a"), create_input_word(r, 32, "b"), adder_kind::ripple), "y");
  create_output_word(
      s, add(s, create_input_word(s, 32, "a"), create_input_word(s, 32, "b"), adder_kind::kogge_stone), "y");
  EXPECT_LT(depth(s) * 3, depth(r));
  EXPECT_GT(cleanup(s).num_ands(), cleanup(r).num_ands());
}

TEST(Arith, NegationIncludingTheMostNegativeValue) {
  check_exhaustive(
      {6}, {true}, [](aig& g, const std::vector<word>& x) { return negate(g, x[0]); }, true,
      [](const std::vector<std::int64_t>& v) { return -v[0]; });
}

TEST(Arith, ComparatorsSignedAndUnsigned) {
  for (bool sg : {true, false}) {
    auto lt = [sg](aig& g, const std::vector<word>& x) {
      return word{less_than(g, x[0], x[1], sg), lit_false};
    };
    auto le = [sg](aig& g, const std::vector<word>& x) {
      return word{less_equal(g, x[0], x[1], sg), lit_false};
    };
    auto eq = [sg](aig& g, const std::vector<word>& x) { return word{equal(g, x[0], x[1], sg), lit_false}; };
    check_exhaustive({4, 3}, {sg, sg}, lt, true,
                     [](const std::vector<std::int64_t>& v) { return v[0] < v[1]; });
    check_exhaustive({4, 3}, {sg, sg}, le, true,
                     [](const std::vector<std::int64_t>& v) { return v[0] <= v[1]; });
    check_exhaustive({4, 3}, {sg, sg}, eq, true,
                     [](const std::vector<std::int64_t>& v) { return v[0] == v[1]; });
  }
}

TEST(Arith, ReluIsASignControlledMask) {
  check_exhaustive(
      {7}, {true}, [](aig& g, const std::vector<word>& x) { return relu(g, x[0]); }, true,
      [](const std::vector<std::int64_t>& v) { return std::max<std::int64_t>(v[0], 0); });
  aig g;
  relu(g, create_input_word(g, 8, "x"));
  EXPECT_EQ(g.num_ands(), 7u);
}

TEST(Arith, CsdDigitsAreMinimalNonAdjacentForms) {
  std::vector<std::int64_t> values;
  for (std::int64_t c = -2000; c <= 2000; ++c) values.push_back(c);
  for (std::int64_t c : {INT64_MAX, INT64_MIN, INT64_MIN + 1, std::int64_t(0x5555555555555555)})
    values.push_back(c);
  for (std::int64_t c : values) {
    auto d = csd_digits(c);
    __int128 sum = 0;
    for (std::size_t k = 0; k < d.size(); ++k) {
      sum += (__int128)d[k] * ((__int128)1 << k);
      if (k > 0) {
        ASSERT_FALSE(d[k] != 0 && d[k - 1] != 0) << c;
      }
    }
    ASSERT_TRUE(sum == (__int128)c) << c;
  }
  // 7 = 8 − 1: two digits instead of three.
  EXPECT_EQ(csd_digits(7), (std::vector<int>{-1, 0, 0, 1}));
}

TEST(Arith, ConstantMultipliersExactAndWrapping) {
  for (std::int64_t c : {-13, -7, -1, 0, 1, 3, 6, 11, 45, -64, 100}) {
    check_exhaustive(
        {5}, {true}, [c](aig& g, const std::vector<word>& x) { return mul_const(g, x[0], c, 13); }, true,
        [c](const std::vector<std::int64_t>& v) { return v[0] * c; });
    check_exhaustive(
        {6}, {true}, [c](aig& g, const std::vector<word>& x) { return mul_const(g, x[0], c, 6); }, true,
        [c](const std::vector<std::int64_t>& v) { return wrap(v[0] * c, 6); });
  }
  // CSD: multiplying by 2^k − 1 costs one subtractor, not k adders.
  aig a, b;
  mul_const(a, create_input_word(a, 8, "x"), 255, 16);
  mul_const(b, create_input_word(b, 8, "x"), 85, 16);  // 1010101b: four digits, three adders
  EXPECT_LT(a.num_ands(), b.num_ands());
}

TEST(Arith, ShiftsWithFloorAndRoundHalfUp) {
  for (unsigned s = 0; s <= 4; ++s) {
    check_exhaustive(
        {7}, {true},
        [s](aig& g, const std::vector<word>& x) { return shift_right(g, x[0], s, rounding_mode::floor); },
        true, [s](const std::vector<std::int64_t>& v) { return floor_div_pow2(v[0], s); });
    check_exhaustive(
        {7}, {true},
        [s](aig& g, const std::vector<word>& x) { return shift_right(g, x[0], s, rounding_mode::nearest); },
        true,
        [s](const std::vector<std::int64_t>& v) {
          return s == 0 ? v[0] : floor_div_pow2(v[0] + (std::int64_t(1) << (s - 1)), s);
        });
  }
}

TEST(Arith, Saturation) {
  check_exhaustive(
      {8}, {true}, [](aig& g, const std::vector<word>& x) { return saturate(g, x[0], 5); }, true,
      [](const std::vector<std::int64_t>& v) { return std::clamp<std::int64_t>(v[0], -16, 15); });
}

TEST(Arith, DotProductWithConstantWeightsAndLayerScaling) {
  // x0: 3-bit signed, x1: one bit (from_bit), x2: 4-bit unsigned (zero-extended).
  auto inputs = [](const std::vector<word>& x) {
    return std::vector<word>{x[0], from_bit(x[1][0]), zero_extend(x[2], 5)};
  };
  std::vector<std::int64_t> w = {3, -5, 7};
  auto exact = [&](const std::vector<std::int64_t>& v) { return 3 * v[0] - 5 * v[1] + 7 * v[2] - 2; };
  dot_params full;
  full.bias = -2;
  check_exhaustive(
      {3, 1, 4}, {true, false, false},
      [&](aig& g, const std::vector<word>& x) { return dot_const(g, inputs(x), w, full); }, true, exact);
  for (rounding_mode r : {rounding_mode::floor, rounding_mode::nearest})
    for (bool sat : {true, false}) {
      dot_params p = full;
      p.shift = 2;
      p.rounding = r;
      p.out_bits = 4;
      p.saturate = sat;
      p.adder = sat ? adder_kind::kogge_stone : adder_kind::ripple;
      check_exhaustive(
          {3, 1, 4}, {true, false, false},
          [&](aig& g, const std::vector<word>& x) { return dot_const(g, inputs(x), w, p); }, true,
          [&](const std::vector<std::int64_t>& v) {
            std::int64_t s = exact(v);
            std::int64_t q = r == rounding_mode::floor ? floor_div_pow2(s, 2) : floor_div_pow2(s + 2, 2);
            return sat ? std::clamp<std::int64_t>(q, -8, 7) : wrap(q, 4);
          });
    }
  // ReLU after the layer, as a quantised ResNet layer does.
  check_exhaustive(
      {3, 1, 4}, {true, false, false},
      [&](aig& g, const std::vector<word>& x) { return relu(g, dot_const(g, inputs(x), w, full)); }, true,
      [&](const std::vector<std::int64_t>& v) { return std::max<std::int64_t>(exact(v), 0); });
}

TEST(Arith, SortingNetworkSortsAllZeroOneInputs) {
  EXPECT_EQ(sorting_network(16).size(), 63u);
  // 0–1 principle: a comparator network sorts every input iff it sorts every 0/1 input.
  for (unsigned n = 1; n <= 12; ++n) {
    auto net = sorting_network(n);
    if (n == 8) EXPECT_EQ(net.size(), 19u);  // (t² − t + 4)·2^{t−2} − 1 for t = 3
    for (std::uint32_t m = 0; m < (1u << n); ++m) {
      std::vector<int> v(n);
      for (unsigned i = 0; i < n; ++i) v[i] = (m >> i) & 1;
      for (auto [i, j] : net) {
        ASSERT_LT(i, j);
        ASSERT_LT(j, n);
        if (v[i] < v[j]) std::swap(v[i], v[j]);
      }
      for (unsigned i = 1; i < n; ++i) ASSERT_GE(v[i - 1], v[i]) << "n=" << n << " m=" << m;
    }
  }
}

TEST(Arith, SortDescendingCarriesPayloads) {
  // Four 3-bit unsigned keys with 2-bit payloads = their original index: exhaustive over the keys.
  aig g;
  std::vector<word> keys, pay;
  for (unsigned i = 0; i < 4; ++i) {
    keys.push_back(create_input_word(g, 3, "k" + std::to_string(i)));
    pay.push_back(constant_word(i, 2));
  }
  sort_descending(g, keys, pay, false);
  for (unsigned i = 0; i < 4; ++i) {
    create_output_word(g, keys[i], "s");
    create_output_word(g, pay[i], "p");
  }
  auto tt = truth_tables(g);
  for (std::size_t m = 0; m < 4096; ++m) {
    std::vector<unsigned> in(4);
    for (unsigned i = 0; i < 4; ++i) in[i] = (m >> (3 * i)) & 7;
    std::vector<unsigned> out(4), idx(4);
    for (unsigned i = 0; i < 4; ++i)
      for (unsigned b = 0; b < 5; ++b) {
        bool bit = (tt[i * 5 + b][m / 64] >> (m % 64)) & 1;
        if (b < 3)
          out[i] |= unsigned(bit) << b;
        else
          idx[i] |= unsigned(bit) << (b - 3);
      }
    for (unsigned i = 0; i < 4; ++i) {
      ASSERT_EQ(in[idx[i]], out[i]) << m;  // the payload names the key's source
      if (i > 0) ASSERT_GE(out[i - 1], out[i]);
    }
    std::vector<bool> seen(4, false);
    for (unsigned i = 0; i < 4; ++i) seen[idx[i]] = true;
    for (unsigned i = 0; i < 4; ++i) ASSERT_TRUE(seen[i]);  // a permutation
  }
}

TEST(Arith, InstantiateAndMask) {
  // A 2-bit adder instantiated on swapped inputs inside a bigger graph, masked by a control bit.
  aig sub;
  word a = create_input_word(sub, 2, "a"), b = create_input_word(sub, 2, "b");
  create_output_word(sub, add_mod(sub, a, b, lit_false, 2), "s");
  check_exhaustive(
      {2, 2, 1}, {false, false, false},
      [&](aig& g, const std::vector<word>& in) {
        auto outs = instantiate(g, sub, {in[1][0], in[1][1], in[0][0], in[0][1]});
        return zero_extend(mask_word(g, word(outs.begin(), outs.end()), in[2][0]), 3);
      },
      false, [](const std::vector<std::int64_t>& v) { return v[2] ? (v[0] + v[1]) % 4 : 0; });
}
