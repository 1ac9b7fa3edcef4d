#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "occam/circuit/aig.hpp"
#include "occam/circuit/simulate.hpp"
#include "occam/fw/enumerate.hpp"
#include "occam/study/sandwich.hpp"
#include "occam/study/targets.hpp"
#include "occam/util/error.hpp"

using namespace occam;
using namespace occam::study;

namespace {

bool abc_available() {
  return std::system("command -v berkeley-abc > /dev/null 2>&1") == 0 || std::getenv("OCCAM_ABC") != nullptr;
}

}  // namespace

// Two inputs: 16 functions; up to complement the 8 non-constant, non-literal ones are 4 AND-type (cost 1)
// and XOR (cost 3); nothing costs 2. An independent count of the enumerator's exact sizes.
TEST(StudyTargets, TwoInputFunctionsHaveTheKnownSizes) {
  exact_targets_params p;
  p.inputs = 2;
  p.max_size = 3;
  p.per_size = 100;
  const auto ts = exact_targets(p);
  std::map<std::size_t, int> count;
  for (const auto& t : ts) {
    ++count[t.s_star];
    EXPECT_EQ(t.bound, size_bound::exact);
    EXPECT_TRUE(circuit_matches_tables(t)) << t.name;
    EXPECT_EQ(circuit::statistics(t.circuit).ands, t.s_star) << t.name;
    const std::uint64_t tt = t.tables[0][0];
    if (t.s_star == 3) EXPECT_TRUE(tt == 0x6 || tt == 0x9) << t.name;
    if (t.s_star == 1) EXPECT_EQ(__builtin_popcountll(tt) % 2, 1) << t.name;  // AND-type: 1 or 3 ones
  }
  EXPECT_EQ(count[1], 4);
  EXPECT_EQ(count[2], 0);
  EXPECT_EQ(count[3], 1);
}

TEST(StudyTargets, FourInputExactTargetsAreVerifiedAndDistinct) {
  exact_targets_params p;
  p.inputs = 4;
  p.max_size = 4;
  p.per_size = 20;
  exact_targets_stats st;
  const auto ts = exact_targets(p, &st);
  std::map<std::size_t, int> count;
  std::map<std::uint64_t, int> seen;
  for (const auto& t : ts) {
    ++count[t.s_star];
    ++seen[t.tables[0][0]];
    EXPECT_TRUE(circuit_matches_tables(t)) << t.name;
    EXPECT_EQ(circuit::statistics(t.circuit).ands, t.s_star) << t.name;
  }
  for (std::size_t s = 1; s <= 4; ++s) EXPECT_EQ(count[s], 20) << "s* = " << s;
  for (const auto& [tt, n] : seen) EXPECT_EQ(n, 1) << std::hex << tt;
  // None of the s* = 4 functions is computable with 3 gates (an enumeration to 3 gates misses them all).
  fw::enumerate_params ep;
  ep.inputs = 4;
  ep.max_gates = 3;
  const auto lib = fw::enumerate_functions(ep);
  for (const auto& t : ts)
    if (t.s_star == 4)
      for (const auto& e : lib.functions) EXPECT_NE(e.table, t.tables[0][0]) << t.name;
}

TEST(StudyTargets, FamiliesMatchIndependentFormulas) {
  for (unsigned n = 2; n <= 12; ++n) {
    std::vector<boolean_target> ts = {family_target(target_family::parity, n)};
    if (n % 2 == 1) ts.push_back(family_target(target_family::majority, n));
    if (n % 2 == 0)
      for (auto f : {target_family::adder_carry, target_family::adder_sum, target_family::comparator})
        ts.push_back(family_target(f, n));
    for (const auto& t : ts) {
      ASSERT_TRUE(circuit_matches_tables(t)) << t.name;
      EXPECT_EQ(circuit::statistics(t.circuit).ands, t.s_star) << t.name;
      const unsigned k = n / 2;
      for (std::uint64_t m = 0; m < (std::uint64_t(1) << n); ++m) {
        unsigned ones = 0;
        for (unsigned i = 0; i < n; ++i) ones += (m >> i) & 1u;
        std::uint64_t a = 0, b = 0;
        for (unsigned i = 0; i < k; ++i) {
          a += ((m >> i) & 1u) << i;
          b += ((m >> (k + i)) & 1u) << i;
        }
        bool want = false;
        switch (t.family) {
          case target_family::parity:
            want = ones % 2 == 1;
            break;
          case target_family::majority:
            want = 2 * ones > n;
            break;
          case target_family::adder_carry:
            want = a + b >= (std::uint64_t(1) << k);
            break;
          case target_family::adder_sum:
            want = ((a + b) >> (k - 1)) & 1u;
            break;
          case target_family::comparator:
            want = a < b;
            break;
          default:
            FAIL();
        }
        ASSERT_EQ(table_bit(t.tables[0], m), want) << t.name << " at " << m;
      }
    }
    EXPECT_EQ(family_target(target_family::parity, n).s_star, 3 * (n - 1));
  }
  EXPECT_THROW(family_target(target_family::majority, 4), input_error);
  EXPECT_THROW(family_target(target_family::comparator, 5), input_error);
  EXPECT_THROW(family_target(target_family::parity, 17), input_error);
  EXPECT_THROW(parse_target_family("xor"), input_error);
}

// Schnorr's 3(n − 1) for parity agrees with the enumerator at n = 3: XOR3 needs 6 ANDs.
TEST(StudyTargets, ParityThreeIsExactBySearch) {
  fw::enumerate_params ep;
  ep.inputs = 3;
  ep.max_gates = 6;
  const auto lib = fw::enumerate_functions(ep);
  const auto t = family_target(target_family::parity, 3);
  const std::uint64_t tt = fw::normalise_table(t.tables[0][0] & 0xFF, 0xFF);
  bool found = false;
  for (const auto& e : lib.functions)
    if (e.table == tt) {
      EXPECT_EQ(e.cost, 6u);
      found = true;
    }
  EXPECT_TRUE(found);
}

TEST(StudyTargets, DisjointCopiesAddUp) {
  exact_targets_params p;
  p.inputs = 3;
  p.max_size = 3;
  p.per_size = 1;
  const auto base = exact_targets(p).back();
  for (unsigned m : {1u, 2u, 5u}) {
    const auto t = disjoint_copies(base, m);
    EXPECT_EQ(t.s_star, m * base.s_star);
    EXPECT_EQ(circuit::statistics(t.circuit).ands, t.s_star);
    EXPECT_EQ(t.outputs(), m);
    ASSERT_TRUE(circuit_matches_tables(t));
    for (unsigned j = 0; j < m; ++j)
      for (std::uint64_t x = 0; x < (std::uint64_t(1) << t.inputs); x += 7)
        EXPECT_EQ(table_bit(t.tables[j], x), table_bit(base.tables[0], (x >> (3 * j)) & 7u));
  }
  const auto big = disjoint_copies(base, 64);  // 192 inputs: no table, but the circuit and s*
  EXPECT_TRUE(big.tables.empty());
  EXPECT_EQ(big.s_star, 64 * base.s_star);
  EXPECT_THROW(circuit_matches_tables(big), std::logic_error);
  EXPECT_THROW(disjoint_copies(base, 65), input_error);
}

TEST(StudySlope, RecoversAPowerLawAndItsInterval) {
  std::vector<double> x = {1, 2, 4, 8, 16}, y;
  for (double v : x) y.push_back(3 * v * v);
  auto f = fit_log_slope(x, y);
  ASSERT_TRUE(f.valid);
  EXPECT_NEAR(f.slope, 2.0, 1e-9);
  EXPECT_NEAR(std::exp(f.intercept), 3.0, 1e-9);
  EXPECT_LE(f.lo, 2.0 + 1e-9);
  EXPECT_GE(f.hi, 2.0 - 1e-9);
  y = {1.1, 1.9, 4.4, 7.5, 17.0};  // slope ≈ 1 with noise: an interval of positive width around it
  f = fit_log_slope(x, y);
  ASSERT_TRUE(f.valid);
  EXPECT_LT(f.lo, f.slope);
  EXPECT_GT(f.hi, f.slope);
  EXPECT_LT(f.lo, 1.0);
  EXPECT_GT(f.hi, 1.0);
  EXPECT_FALSE(fit_log_slope({1, 2}, {1, 2}).valid);
  EXPECT_FALSE(fit_log_slope({2, 2, 2}, {1, 2, 3}).valid);
}

TEST(StudySandwich, TinyConfigurationMeasuresAndResumes) {
  if (!abc_available()) GTEST_SKIP() << "berkeley-abc not installed";
  const auto targets = sandwich_targets(sandwich_config::tiny);
  auto P = sandwich_default_params(sandwich_config::tiny);
  P.penalties = {complexity::penalty_kind::rtilde};
  P.lambdas = {1e-4, 1e-2};
  P.epochs = 60;
  P.progress = false;
  const auto dir = std::filesystem::temp_directory_path() / "occam_test_study_sandwich";
  std::filesystem::remove_all(dir);
  P.out_dir = dir.string();
  sandwich_stats st;
  const auto res = run_sandwich(targets, P, &st);
  ASSERT_EQ(res.targets.size(), targets.size());
  EXPECT_EQ(st.runs_trained, targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& t = res.targets[i];
    // Nothing beats an exact least size: direct synthesis and every exact round-trip circuit are ≥ s*.
    if (targets[i].bound == size_bound::exact) {
      EXPECT_GE(t.direct_ands, t.s_star) << t.name;
      for (std::size_t e = 0; e < t.s_back.size(); ++e)
        if (std::isfinite(t.s_back[e]) && res.epsilons[e] < 0.7) EXPECT_GE(t.s_back[e], double(t.s_star));
    }
    EXPECT_GT(t.construction_r, 0);
    // More error allowed never needs more: the minima are non-increasing in ε.
    for (std::size_t e = 1; e < t.r_min.size(); ++e) {
      if (std::isfinite(t.r_min[e - 1])) EXPECT_LE(t.r_min[e], t.r_min[e - 1]);
      if (std::isfinite(t.s_back[e - 1])) EXPECT_LE(t.s_back[e], t.s_back[e - 1]);
    }
  }
  for (const auto& run : res.runs)
    for (const auto& p : run.points) {
      EXPECT_GE(p.l2_error, 0);
      EXPECT_LE(p.l2_error, p.linf_error + 1e-9);    // an L2(π) mean never exceeds the maximum
      EXPECT_LE(p.rtilde, p.r * (1 + 1e-6) + 1e-9);  // R̃ (L2 weights) ≤ the certified sup-norm R
      for (double c : p.circuit_l2_error) EXPECT_TRUE(c >= 0 && c <= 2.0 + 1e-12);
    }
  sandwich_stats again;
  P.resume = true;
  const auto res2 = run_sandwich(targets, P, &again);
  EXPECT_EQ(again.runs_trained, 0u);
  EXPECT_EQ(again.runs_resumed, targets.size());
  ASSERT_EQ(res2.runs.size(), res.runs.size());
  for (std::size_t i = 0; i < res.runs.size(); ++i)
    for (std::size_t k = 0; k < res.runs[i].points.size(); ++k)
      EXPECT_DOUBLE_EQ(res2.runs[i].points[k].rtilde, res.runs[i].points[k].rtilde);
  // Different flags: the run files are not reused.
  P.epochs = 61;
  sandwich_stats third;
  run_sandwich({targets[0]}, P, &third);
  EXPECT_EQ(third.runs_trained, 1u);
  const auto files = write_sandwich_report(res, P, dir.string());
  EXPECT_TRUE(std::filesystem::exists(dir / "sandwich.json"));
  EXPECT_TRUE(std::filesystem::exists(dir / "runs.csv"));
  std::filesystem::remove_all(dir);
}

TEST(StudySandwich, RejectsBadParameters) {
  const auto targets = sandwich_targets(sandwich_config::tiny);
  auto P = sandwich_default_params(sandwich_config::tiny);
  P.lambdas.clear();
  EXPECT_THROW(run_sandwich(targets, P), input_error);
  P = sandwich_default_params(sandwich_config::tiny);
  P.bits = {1};
  EXPECT_THROW(run_sandwich(targets, P), input_error);
  EXPECT_THROW(parse_sandwich_config("huge"), input_error);
}
