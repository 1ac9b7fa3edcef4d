// Tests for input selection and the lookup-table classifier (src/occam/data/select.hpp, docs/select.md).
// The leave-one-out scores are checked against literal n-fold rebuilds of the table; the planted functions
// (a 3-input parity, the sum MSB of a 16-bit adder) are the XOR-like targets that a per-input ranking misses
// (THEORY §4: a table over |S| inputs is a circuit of size O(2^|S|), so finding a small S is what keeps the
// circuit — and the PAC bound of THEORY §5 — small).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>

#include "occam/data/dataset.hpp"
#include "occam/data/rng.hpp"
#include "occam/data/select.hpp"
#include "occam/util/error.hpp"

using namespace occam::data;

namespace {

template <class Target>
dataset random_boolean(std::size_t n, std::size_t d_in, std::uint64_t seed, Target target) {
  dataset d;
  d.name = "random";
  d.kind = task_kind::binary;
  d.n = n;
  d.d_in = d_in;
  d.d_out = 1;
  d.boolean_inputs = true;
  d.x.resize(n * d_in);
  d.y.resize(n);
  rng g(seed);
  std::vector<int> bits(d_in);
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t j = 0; j < d_in; ++j) {
      bits[j] = int(g.next() >> 63);
      d.x[r * d_in + j] = float(bits[j]);
    }
    d.y[r] = float(target(bits, g) ? 1 : 0);
  }
  d.input_box.lo.assign(d_in, 0.0f);
  d.input_box.hi.assign(d_in, 1.0f);
  return d;
}

/// The most significant bit of the K-bit sum a + b (mod 2^K): a = inputs 0..K-1, b = inputs K..2K-1, least
/// significant bit first. s_{K-1} = a_{K-1} ⊕ b_{K-1} ⊕ carry_{K-1}: no single input or pair predicts it.
bool adder_sum_msb(const std::vector<int>& x, unsigned K) {
  std::uint64_t a = 0, b = 0;
  for (unsigned i = 0; i < K; ++i) {
    a |= std::uint64_t(x[i]) << i;
    b |= std::uint64_t(x[K + i]) << i;
  }
  return ((a + b) >> (K - 1)) & 1u;
}

/// Leave-one-out accuracy by its definition (select.hpp): for each row, walk the prefix tables from the
/// full one down, counting the other rows of the row's cell by scanning the data; the first strict
/// majority predicts; if none, the majority of all rows (ties → 0) does.
double brute_force_loo(const dataset& d, const std::vector<std::size_t>& inputs) {
  std::size_t ones = 0;
  for (std::size_t r = 0; r < d.n; ++r) ones += d.y[r] != 0.0f;
  const bool majority = ones > d.n - ones;
  std::size_t right = 0;
  for (std::size_t r = 0; r < d.n; ++r) {
    bool predicted = majority;
    for (std::size_t level = inputs.size(); level > 0; --level) {
      std::size_t count[2] = {0, 0};
      for (std::size_t i = 0; i < d.n; ++i) {
        if (i == r) continue;
        bool same = true;
        for (std::size_t t = 0; t < level; ++t) same = same && d.row(i)[inputs[t]] == d.row(r)[inputs[t]];
        if (same) count[d.y[i] != 0.0f]++;
      }
      if (count[0] != count[1]) {
        predicted = count[1] > count[0];
        break;
      }
    }
    right += predicted == (d.y[r] != 0.0f);
  }
  return double(right) / double(d.n);
}

std::string describe(const select_stats& st) {
  std::string out = "initial " + std::to_string(st.initial_loo_accuracy);
  for (const auto& step : st.steps) {
    out += "\n  +";
    for (std::size_t j : step.inputs) out += " " + std::to_string(j);
    out += ": loo " + std::to_string(step.loo_accuracy) + " (" + std::to_string(step.candidates) + " tuples)";
  }
  return out;
}

template <class F>
void expect_input_error(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no input_error; expected one containing '" << needle << "'";
  } catch (const occam::input_error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Select, PlantedParityOfThreeAmongFortyIsFoundExactly) {
  const std::size_t a = 5, b = 17, c = 33;
  dataset d =
      random_boolean(2000, 40, 11, [&](const std::vector<int>& x, rng&) { return x[a] ^ x[b] ^ x[c]; });
  select_stats st;
  std::vector<std::size_t> s = select_inputs(d, {}, &st);
  EXPECT_EQ(std::set<std::size_t>(s.begin(), s.end()), (std::set<std::size_t>{a, b, c})) << describe(st);
  ASSERT_EQ(st.steps.size(), 1u);
  EXPECT_EQ(st.steps[0].inputs.size(), 3u);  // found by the triple lookahead: no pair predicts a parity
  EXPECT_DOUBLE_EQ(st.steps[0].loo_accuracy, 1.0);
  EXPECT_LT(st.initial_loo_accuracy, 0.55);
  // Without enough lookahead the parity is invisible: no single input or pair gains anything.
  select_params shallow;
  shallow.lookahead = 2;
  EXPECT_TRUE(select_inputs(d, shallow).empty());
}

TEST(Select, AdderSumMsbSelectsTopBitPairsAndGeneralises) {
  const unsigned K = 16;
  auto f = [&](const std::vector<int>& x, rng&) { return adder_sum_msb(x, K); };
  dataset train = random_boolean(4000, 2 * K, 21, f);
  dataset fresh = random_boolean(4000, 2 * K, 22, f);
  select_stats st;
  std::vector<std::size_t> s = select_inputs(train, {}, &st);
  ASSERT_GE(s.size(), 8u);
  // The top bits of both operands come first: a_15, b_15, a_14, b_14, a_13, b_13 (in some order).
  std::set<std::size_t> first6(s.begin(), s.begin() + 6);
  EXPECT_EQ(first6, (std::set<std::size_t>{K - 1, 2 * K - 1, K - 2, 2 * K - 2, K - 3, 2 * K - 3}))
      << describe(st);
  // Every selected input is one of the high bits (never below bit K − 1 − |S|/2 − 1).
  for (std::size_t j : s) EXPECT_GE(j % K, K - 1 - s.size() / 2 - 1) << j;
  for (std::size_t i = 1; i < st.steps.size(); ++i)
    EXPECT_GT(st.steps[i].loo_accuracy, st.steps[i - 1].loo_accuracy);
  lookup_table t = build_lookup_table(train, s);
  EXPECT_GE(table_accuracy(t, fresh), 0.95);
  EXPECT_NEAR(leave_one_out_accuracy(train, s), st.steps.back().loo_accuracy, 1e-12);
}

TEST(Select, SkewedAndOfFiveIsFoundByTheInformationRule) {
  // y = x2 ∧ x7 ∧ x11 ∧ x19 ∧ x21 is 1 on 1/32 of the rows: after any one, two or three of its inputs every
  // cell still holds at most 1/4 ones, so no single input, pair or triple raises the leave-one-out accuracy;
  // the G-test rule takes the most informative triple, then the remaining two inputs flip a majority.
  auto f = [](const std::vector<int>& x, rng&) { return x[2] & x[7] & x[11] & x[19] & x[21]; };
  dataset train = random_boolean(4000, 24, 31, f);
  dataset fresh = random_boolean(4000, 24, 32, f);
  select_stats st;
  std::vector<std::size_t> s = select_inputs(train, {}, &st);
  EXPECT_EQ(std::set<std::size_t>(s.begin(), s.end()), (std::set<std::size_t>{2, 7, 11, 19, 21}))
      << describe(st);
  ASSERT_FALSE(st.steps.empty());
  EXPECT_TRUE(st.steps[0].by_information) << describe(st);
  EXPECT_DOUBLE_EQ(table_accuracy(build_lookup_table(train, s), fresh), 1.0);
  select_params no_information;
  no_information.information_alpha = 0;
  EXPECT_TRUE(select_inputs(train, no_information).empty());
}

TEST(Select, LeaveOneOutMatchesBruteForceRecomputation) {
  // A noisy function of a few inputs on few rows, so that cells are small, ties and lone rows are common
  // and the fallback chain matters.
  dataset d = random_boolean(48, 7, 5, [](const std::vector<int>& x, rng& g) {
    bool v = (x[1] & x[4]) | (x[2] ^ x[6]);
    return g.uniform() < 0.15 ? !v : v;
  });
  const std::vector<std::vector<std::size_t>> sets = {
      {}, {0}, {4}, {1, 4}, {4, 1}, {2, 6, 1}, {6, 2, 1, 4}, {0, 1, 2, 3, 4, 5, 6}, {3, 5, 0, 2, 6}};
  for (const auto& s : sets)
    EXPECT_DOUBLE_EQ(leave_one_out_accuracy(d, s), brute_force_loo(d, s)) << s.size();
  // The selection's own incremental scores, step by step.
  std::size_t multi_input_steps = 0;
  for (unsigned look = 1; look <= 3; ++look) {
    select_params p;
    p.lookahead = look;
    p.min_gain = 0;
    p.significance = 0;
    select_stats st;
    std::vector<std::size_t> s = select_inputs(d, p, &st);
    EXPECT_DOUBLE_EQ(st.initial_loo_accuracy, brute_force_loo(d, {}));
    std::vector<std::size_t> prefix;
    for (const auto& step : st.steps) {
      prefix.insert(prefix.end(), step.inputs.begin(), step.inputs.end());
      EXPECT_DOUBLE_EQ(step.loo_accuracy, brute_force_loo(d, prefix)) << "lookahead " << look;
    }
    EXPECT_EQ(prefix, s);
    for (const auto& step : st.steps) multi_input_steps += step.inputs.size() > 1;
  }
  EXPECT_GT(multi_input_steps, 0u);  // the lookahead path (pairs / triples) was exercised
  // Balanced labels: the empty table (a tie → 0) is right on half the rows; it is not left out, else every
  // row would see the other label in the majority and score 0.
  dataset balanced = random_boolean(40, 3, 2, [](const std::vector<int>& x, rng&) { return x[0] == 1; });
  for (std::size_t r = 0; r < balanced.n; ++r) balanced.y[r] = float(r % 2);
  EXPECT_DOUBLE_EQ(leave_one_out_accuracy(balanced, {}), 0.5);
  EXPECT_DOUBLE_EQ(leave_one_out_accuracy(balanced, {0, 2}), brute_force_loo(balanced, {0, 2}));
}

TEST(Select, EachGreedyStepIsTheBestSingleInputByLeaveOneOut) {
  dataset d = random_boolean(300, 12, 9, [](const std::vector<int>& x, rng& g) {
    bool v = (x[3] & x[7]) | (x[0] & !x[10]);
    return g.uniform() < 0.1 ? !v : v;
  });
  select_params p;
  p.lookahead = 1;
  p.min_gain = 0;
  p.significance = 0;
  p.information_alpha = 0;  // plain greedy on the leave-one-out score
  select_stats st;
  std::vector<std::size_t> s = select_inputs(d, p, &st);
  ASSERT_FALSE(s.empty());
  std::vector<std::size_t> prefix;
  for (std::size_t k = 0; k <= s.size(); ++k) {
    double best = -1;
    std::size_t arg = 0;
    for (std::size_t j = 0; j < d.d_in; ++j) {
      if (std::find(prefix.begin(), prefix.end(), j) != prefix.end()) continue;
      std::vector<std::size_t> t = prefix;
      t.push_back(j);
      double v = leave_one_out_accuracy(d, t);
      if (v > best) best = v, arg = j;
    }
    double current = leave_one_out_accuracy(d, prefix);
    if (k == s.size()) {
      EXPECT_LE(best, current);  // the search stopped: nothing gains
    } else {
      EXPECT_EQ(s[k], arg);
      EXPECT_DOUBLE_EQ(st.steps[k].loo_accuracy, best);
      prefix.push_back(s[k]);
    }
  }
}

TEST(Select, ConstantTargetSelectsNothing) {
  dataset d = random_boolean(500, 20, 3, [](const std::vector<int>&, rng&) { return true; });
  select_stats st;
  EXPECT_TRUE(select_inputs(d, {}, &st).empty());
  EXPECT_DOUBLE_EQ(st.initial_loo_accuracy, 1.0);
  lookup_table t = build_lookup_table(d, {});
  ASSERT_EQ(t.cells(), 1u);
  EXPECT_EQ(t.ones[0], 500u);
  EXPECT_EQ(t.zeros[0], 0u);
  EXPECT_DOUBLE_EQ(table_accuracy(t, d), 1.0);
  // A table over inputs the target ignores: every cell, seen or not, still says 1.
  lookup_table t2 = build_lookup_table(d, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  EXPECT_TRUE(std::all_of(t2.labels.begin(), t2.labels.end(), [](std::uint8_t v) { return v == 1; }));
}

TEST(Select, TableCountsAndFallbackLabels) {
  // Rows (x0, x1) → y: cell (0,0) has 2×1, 1×0; cell (1,0) a tie 1/1; cell (0,1) one 0; (1,1) unseen.
  dataset d;
  d.name = "hand";
  d.kind = task_kind::binary;
  d.d_in = 2;
  d.d_out = 1;
  d.n = 6;
  d.x = {0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1};
  d.y = {1, 1, 0, 1, 0, 0};
  lookup_table t = build_lookup_table(d, {0, 1});
  ASSERT_EQ(t.cells(), 4u);
  EXPECT_EQ(t.ones, (std::vector<std::uint32_t>{2, 1, 0, 0}));
  EXPECT_EQ(t.zeros, (std::vector<std::uint32_t>{1, 1, 1, 0}));
  // Level 1 (x0 only): x0=0 → 2 ones vs 2 zeros: tie → level 0 (3 vs 3: tie → 0); x0=1 → 1 vs 1 → 0.
  EXPECT_EQ(t.labels, (std::vector<std::uint8_t>{1, 0, 0, 0}));
  EXPECT_FALSE(t.seen(3));
  EXPECT_TRUE(t.seen(2));
  const float row[2] = {0, 0};
  EXPECT_TRUE(t.predict(row));
}

TEST(Select, BadInputIsAnInputError) {
  auto ok = [](const std::vector<int>& x, rng&) { return x[0] == 1; };
  dataset fractional = random_boolean(50, 4, 1, ok);
  fractional.x[7] = 0.5f;
  expect_input_error([&] { select_inputs(fractional); }, "Boolean inputs");
  expect_input_error([&] { build_lookup_table(fractional, {0}); }, "Boolean inputs");
  dataset labels = random_boolean(50, 4, 1, ok);
  labels.y[3] = 2.0f;
  expect_input_error([&] { select_inputs(labels); }, "binary target");
  dataset two = random_boolean(50, 4, 1, ok);
  two.d_out = 2;
  two.y.resize(100, 0.0f);
  expect_input_error([&] { select_inputs(two); }, "one binary target column");
  dataset empty = random_boolean(0, 4, 1, ok);
  expect_input_error([&] { select_inputs(empty); }, "at least one row");
  dataset good = random_boolean(50, 4, 1, ok);
  select_params p;
  p.max_inputs = 0;
  expect_input_error([&] { select_inputs(good, p); }, "max_inputs");
  p.max_inputs = max_table_inputs + 1;
  expect_input_error([&] { select_inputs(good, p); }, "max_inputs");
  p = {};
  p.lookahead = 4;
  expect_input_error([&] { select_inputs(good, p); }, "lookahead");
  expect_input_error([&] { build_lookup_table(good, {4}); }, "out of range");
  expect_input_error([&] { leave_one_out_accuracy(good, {0, 9}); }, "out of range");
}
