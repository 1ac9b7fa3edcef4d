// Truth-table synthesis (THEORY §4: circuit size = AND nodes): exactness against the tables bit by bit
// (through the exhaustive simulator and a naive one-pattern evaluator), care-set respect, known functions
// with known small circuits (parity must stay linear), majority voting of samples, the .truth bit order.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "circuit_test_util.hpp"
#include "occam/circuit/abc.hpp"
#include "occam/circuit/simulate.hpp"
#include "occam/circuit/synth.hpp"
#include "occam/data/loaders.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

using namespace occam::circuit;
using occam::circuit::testing::eval_reference;
namespace fs = std::filesystem;

namespace {

/// Random table; each minterm is a care minterm with probability `care_p`.
truth_table random_table(unsigned n, std::mt19937_64& rng, double care_p = 1.0) {
  truth_table t = truth_table::constant(n, false);
  std::bernoulli_distribution c(care_p);
  for (std::uint64_t m = 0; m < (std::uint64_t(1) << n); ++m) t.set(m, rng() & 1, c(rng));
  return t;
}

template <class F>
truth_table table_of(unsigned n, F f) {
  truth_table t = truth_table::constant(n, false);
  for (std::uint64_t m = 0; m < (std::uint64_t(1) << n); ++m) t.set(m, f(m));
  return t;
}

synth_params no_abc(bool isop = true, bool shannon = true) {
  synth_params p;
  p.abc_script = "";
  p.try_isop = isop;
  p.try_shannon = shannon;
  return p;
}

/// Every care minterm of every table agrees with the AIG (exhaustive simulation); returns the number of
/// minterms compared.
std::size_t expect_agrees(const aig& g, const std::vector<truth_table>& ts) {
  EXPECT_EQ(g.num_pos(), ts.size());
  const unsigned n = ts[0].num_inputs;
  EXPECT_EQ(g.num_pis(), n);
  auto tt = truth_tables(g);
  std::size_t compared = 0;
  for (std::size_t o = 0; o < ts.size(); ++o)
    for (std::uint64_t m = 0; m < (std::uint64_t(1) << n); ++m)
      if (ts[o].cares(m)) {
        ++compared;
        bool got = (tt[o][m / 64] >> (m % 64)) & 1u;
        if (got != ts[o].value(m)) {
          ADD_FAILURE() << "output " << o << " minterm " << m;
          return compared;
        }
      }
  return compared;
}

}  // namespace

TEST(TruthTable, HelpersAndLayout) {
  auto t = truth_table::constant(3, true);
  ASSERT_EQ(t.on.size(), 1u);
  EXPECT_EQ(t.on[0], 0xFFu);  // 2^3 valid bits, the unused high bits stay 0
  EXPECT_EQ(t.care_count(), 8u);
  t.set(5, false, false);
  EXPECT_FALSE(t.value(5));
  EXPECT_FALSE(t.cares(5));
  EXPECT_EQ(t.care_count(), 7u);
  auto big = truth_table::constant(10, false);
  EXPECT_EQ(big.on.size(), 16u);
  big.set(1000, true);
  EXPECT_TRUE(big.value(1000));
  EXPECT_EQ(big.on[1000 / 64], std::uint64_t(1) << (1000 % 64));
  EXPECT_THROW(truth_table::constant(21, false), occam::input_error);
}

TEST(Synth, RandomFullySpecifiedFunctionsAreExact) {
  std::mt19937_64 rng(7);
  for (unsigned n = 0; n <= 10; ++n)
    for (int rep = 0; rep < (n <= 8 ? 3 : 1); ++rep) {
      std::vector<truth_table> ts = {random_table(n, rng), random_table(n, rng)};
      for (auto [isop, shannon] : {std::pair{true, false}, {false, true}, {true, true}}) {
        synth_stats st;
        auto p = no_abc(isop, shannon);
        p.verify = false;  // checked here independently
        aig g = synthesize_truth_tables(ts, p, &st);
        EXPECT_EQ(expect_agrees(g, ts), 2u << n) << "n=" << n << " isop=" << isop << " shannon=" << shannon;
        EXPECT_EQ(st.ands, g.num_ands());
        EXPECT_EQ(statistics(g).ands, g.num_ands()) << "no dangling nodes";
        EXPECT_EQ(st.depth, depth(g));
        EXPECT_EQ(st.candidates.size(), std::size_t(isop) + std::size_t(shannon));
        for (auto& [name, ands] : st.candidates) EXPECT_GE(ands, st.ands) << name;  // the smallest wins
        if (n <= 6 && rep == 0) {  // the naive evaluator agrees with the bit-parallel simulator
          for (std::uint64_t m = 0; m < (std::uint64_t(1) << n); ++m) {
            std::vector<bool> in(n);
            for (unsigned i = 0; i < n; ++i) in[i] = (m >> i) & 1u;
            auto out = eval_reference(g, in);
            EXPECT_EQ(out[0], ts[0].value(m));
            EXPECT_EQ(out[1], ts[1].value(m));
          }
        }
      }
    }
}

TEST(Synth, PartialFunctionsRespectTheCareSet) {
  std::mt19937_64 rng(11);
  for (unsigned n = 1; n <= 10; ++n)
    for (double care_p : {0.1, 0.5, 0.9}) {
      std::vector<truth_table> ts = {random_table(n, rng, care_p), random_table(n, rng, care_p),
                                     random_table(n, rng, care_p)};
      std::size_t cares = ts[0].care_count() + ts[1].care_count() + ts[2].care_count();
      for (auto [isop, shannon] : {std::pair{true, false}, {false, true}}) {
        auto p = no_abc(isop, shannon);
        p.verify = false;
        aig g = synthesize_truth_tables(ts, p);
        EXPECT_EQ(expect_agrees(g, ts), cares) << "n=" << n << " care " << care_p << " isop=" << isop;
      }
    }
}

TEST(Synth, DontCaresMakeCircuitsNoLarger) {
  // A fully specified function agrees with itself restricted to fewer care minterms, so the care-set
  // respecting constructions find circuits at most as large on these (x0 AND x1 with everything else free).
  auto f = table_of(8, [](std::uint64_t m) { return (m & 3) == 3; });
  auto partial = f;
  for (std::uint64_t m = 0; m < 256; ++m)
    if (m % 7 == 0) partial.set(m, !f.value(m), false);  // the wrong value, but a don't-care
  aig g = synthesize_truth_tables({partial}, no_abc());
  EXPECT_EQ(g.num_ands(), 1u);
  expect_agrees(g, {f});
  // Only the minterms with x0 = 1 matter and there the function is x1: no gate at all.
  truth_table only = truth_table::constant(6, false);
  for (std::uint64_t m = 0; m < 64; ++m) only.set(m, (m >> 1) & 1u, m & 1u);
  aig h = synthesize_truth_tables({only}, no_abc());
  EXPECT_EQ(h.num_ands(), 0u);
  EXPECT_EQ(h.po(0), h.pi(1));
}

TEST(Synth, ConstantsAndSingleVariablesCostNothing) {
  for (unsigned n : {0u, 1u, 5u, 9u}) {
    for (bool v : {false, true}) {
      aig g = synthesize_truth_tables({truth_table::constant(n, v)}, no_abc());
      EXPECT_EQ(g.num_ands(), 0u);
      EXPECT_EQ(g.po(0), v ? lit_true : lit_false);
    }
    for (unsigned i = 0; i < n; ++i)
      for (bool neg : {false, true}) {
        auto t = table_of(n, [&](std::uint64_t m) { return (((m >> i) & 1u) != 0) != neg; });
        aig g = synthesize_truth_tables({t}, no_abc());
        EXPECT_EQ(g.num_ands(), 0u) << "n=" << n << " x" << i;
        EXPECT_EQ(g.po(0), lit_not_cond(g.pi(i), neg));
      }
  }
  // No care minterm at all: any constant will do, and costs nothing.
  truth_table none = truth_table::constant(4, true);
  std::fill(none.care.begin(), none.care.end(), 0);
  EXPECT_EQ(synthesize_truth_tables({none}, no_abc()).num_ands(), 0u);
}

TEST(Synth, ParityIsLinearThroughSharedCofactors) {
  // Cofactors of parity are parity and its complement: with complement-sharing the Shannon route gives
  // one XOR (3 ANDs) per extra variable, never the 2^(n-1) products of the SOP.
  for (unsigned n = 2; n <= 14; ++n) {
    auto t = table_of(n, [](std::uint64_t m) { return __builtin_popcountll(m) & 1; });
    synth_stats st;
    aig g = synthesize_truth_tables({t}, no_abc(), &st);
    EXPECT_EQ(g.num_ands(), 3u * (n - 1)) << "n=" << n;
    expect_agrees(g, {t});
    aig s = synthesize_truth_tables({t}, no_abc(false, true));
    EXPECT_EQ(s.num_ands(), 3u * (n - 1));
  }
}

TEST(Synth, MajorityAndSmallKnownFunctions) {
  for (unsigned n : {3u, 5u, 7u, 9u}) {
    auto t = table_of(n, [n](std::uint64_t m) { return unsigned(__builtin_popcountll(m)) * 2 > n; });
    aig g = synthesize_truth_tables({t}, no_abc());
    expect_agrees(g, {t});
    if (n == 3) {
      EXPECT_LE(g.num_ands(), 4u);  // x0(x1 + x2) + x1 x2
    }
    // A BDD of majority has O(n^2) nodes; each costs at most one multiplexer.
    EXPECT_LE(g.num_ands(), 3u * n * n);
  }
  // AND of all inputs: n-1 ANDs exactly (both constructions); OR likewise.
  for (unsigned n = 2; n <= 12; ++n) {
    auto a = table_of(n, [n](std::uint64_t m) { return m == (std::uint64_t(1) << n) - 1; });
    auto o = table_of(n, [](std::uint64_t m) { return m != 0; });
    for (auto [isop, shannon] : {std::pair{true, false}, {false, true}}) {
      EXPECT_EQ(synthesize_truth_tables({a}, no_abc(isop, shannon)).num_ands(), n - 1u);
      EXPECT_EQ(synthesize_truth_tables({o}, no_abc(isop, shannon)).num_ands(), n - 1u);
    }
  }
}

TEST(Synth, OutputsShareOneNetwork) {
  // The same function twice, and its complement, cost what one copy costs.
  std::mt19937_64 rng(3);
  auto t = random_table(7, rng);
  auto c = t;
  for (auto& w : c.on) w = ~w;
  aig one = synthesize_truth_tables({t}, no_abc());
  aig three = synthesize_truth_tables({t, t, c}, no_abc());
  EXPECT_EQ(three.num_ands(), one.num_ands());
  EXPECT_EQ(three.po(1), three.po(0));
  EXPECT_EQ(three.po(2), lit_not(three.po(0)));
}

TEST(Synth, LargeTablesUseTheMultiWordPaths) {
  std::mt19937_64 rng(5);
  // 12 inputs fully specified, and 20 inputs with 2000 care minterms (sparse: memory stays small).
  std::vector<truth_table> ts = {random_table(12, rng)};
  synth_stats st;
  aig g = synthesize_truth_tables(ts, no_abc(), &st);  // verify = true: throws on a mismatch
  EXPECT_EQ(expect_agrees(g, ts), std::size_t(1) << 12);
  truth_table sparse = truth_table::constant(20, false);
  std::fill(sparse.care.begin(), sparse.care.end(), 0);
  for (int i = 0; i < 2000; ++i) sparse.set(rng() & 0xFFFFF, rng() & 1, true);
  aig h = synthesize_truth_tables({sparse}, no_abc());
  EXPECT_EQ(expect_agrees(h, {sparse}), sparse.care_count());
  // Far fewer nodes than care minterms: the don't-cares were used.
  EXPECT_LT(h.num_ands(), 3u * sparse.care_count());
}

TEST(Synth, SamplesVoteByMajority) {
  // minterm 1: labels 1,1,0 → 1; minterm 2: 1,0 → tie → 0; minterm 3: 0 → 0; others unseen.
  std::vector<std::uint64_t> rows = {1, 2, 1, 3, 2, 1};
  std::vector<std::vector<bool>> labels = {{true, false}, {true, true},  {true, false},
                                           {false, true}, {false, true}, {false, false}};
  auto ts = truth_tables_from_samples(2, 2, rows, labels);
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_FALSE(ts[0].cares(0));
  EXPECT_TRUE(ts[0].cares(1) && ts[0].value(1));
  EXPECT_TRUE(ts[0].cares(2) && !ts[0].value(2));
  EXPECT_TRUE(ts[0].cares(3) && !ts[0].value(3));
  EXPECT_EQ(ts[0].care_count(), 3u);
  EXPECT_FALSE(ts[1].value(1));  // 0,0,0... minterm 1 for output 1: labels 0,0,0
  EXPECT_TRUE(ts[1].value(2));   // 1,1
  EXPECT_TRUE(ts[1].value(3));
  EXPECT_THROW(truth_tables_from_samples(2, 2, {4}, {{true, true}}), occam::input_error);
  EXPECT_THROW(truth_tables_from_samples(2, 2, {1}, {{true}}), occam::input_error);
  EXPECT_THROW(truth_tables_from_samples(21, 1, {}, {}), occam::input_error);
}

TEST(Synth, AgreesWithTheTruthFileBitOrder) {
  // IWLS .truth: character k of a line is minterm 2^n − 1 − k. Output 0 is x0, output 1 is x0 AND NOT x2.
  fs::path dir = fs::temp_directory_path() / "occam_test_synth_truth";
  fs::create_directories(dir);
  std::string l0, l1;
  for (int m = 7; m >= 0; --m) {
    l0 += (m & 1) ? '1' : '0';
    l1 += ((m & 1) && !(m & 4)) ? '1' : '0';
  }
  EXPECT_EQ(l0, "10101010");
  { std::ofstream(dir / "f.truth") << l0 << "\n" << l1 << "\n"; }
  auto d = occam::data::load_truth_table(dir / "f.truth");
  occam::remove_tree(dir);
  ASSERT_EQ(d.d_in, 3u);
  ASSERT_EQ(d.d_out, 2u);
  std::vector<std::uint64_t> rows;
  std::vector<std::vector<bool>> labels;
  for (std::size_t r = 0; r < d.n; ++r) {
    std::uint64_t m = 0;
    for (std::size_t i = 0; i < d.d_in; ++i)
      if (d.row(r)[i] > 0.5f) m |= std::uint64_t(1) << i;
    rows.push_back(m);
    labels.push_back({d.target(r)[0] > 0.5f, d.target(r)[1] > 0.5f});
  }
  auto ts = truth_tables_from_samples(3, 2, rows, labels);
  EXPECT_EQ(ts[0].care_count(), 8u);
  aig g = synthesize_truth_tables(ts, no_abc());
  EXPECT_EQ(g.po(0), g.pi(0));
  EXPECT_EQ(g.num_ands(), 1u);
  EXPECT_EQ(g.po(1), g.create_and(g.pi(0), lit_not(g.pi(2))));
}

TEST(Synth, RejectsBadTables) {
  EXPECT_THROW(synthesize_truth_tables({}, no_abc()), occam::input_error);
  auto a = truth_table::constant(3, false), b = truth_table::constant(4, false);
  EXPECT_THROW(synthesize_truth_tables({a, b}, no_abc()), occam::input_error);
  a.on.push_back(0);
  EXPECT_THROW(synthesize_truth_tables({a}, no_abc()), occam::input_error);
}

TEST(Synth, AbcScriptsKeepTheFunctionAndNeverGrowTheResult) {
  OCCAM_REQUIRE_ABC();
  std::mt19937_64 rng(9);
  std::vector<truth_table> ts = {random_table(8, rng), random_table(8, rng, 0.6)};
  synth_stats plain, fast;
  aig g0 = synthesize_truth_tables(ts, no_abc(), &plain);
  synth_params p;
  p.abc_script = "fast";
  aig g1 = synthesize_truth_tables(ts, p, &fast);
  expect_agrees(g1, ts);
  EXPECT_EQ(fast.candidates.size(), 4u);  // isop, isop+abc, shannon, shannon+abc
  EXPECT_LE(fast.ands, plain.ands);
  EXPECT_EQ(g1.num_ands(), fast.ands);
  EXPECT_EQ(g1.po_name(1), "y1");
  EXPECT_EQ(g1.pi_name(7), "x7");
}
