// AIG construction, THEORY §4 measurements, simulation, truth tables and accuracy.
#include <gtest/gtest.h>

#include "circuit_test_util.hpp"
#include "occam/circuit/aig.hpp"
#include "occam/circuit/simulate.hpp"
#include "occam/util/error.hpp"

using namespace occam::circuit;
using occam::circuit::testing::eval_reference;
using occam::circuit::testing::random_aig;

TEST(Aig, ConstantsAndTrivialCases) {
  aig g;
  literal a = g.create_pi(), b = g.create_pi();
  EXPECT_EQ(g.create_and(a, lit_false), lit_false);
  EXPECT_EQ(g.create_and(lit_false, a), lit_false);
  EXPECT_EQ(g.create_and(a, lit_true), a);
  EXPECT_EQ(g.create_and(lit_true, lit_not(a)), lit_not(a));
  EXPECT_EQ(g.create_and(a, a), a);
  EXPECT_EQ(g.create_and(a, lit_not(a)), lit_false);
  EXPECT_EQ(g.num_ands(), 0u);
  EXPECT_EQ(g.create_or(a, lit_true), lit_true);
  EXPECT_EQ(g.create_xor(a, a), lit_false);
  EXPECT_EQ(g.create_mux(a, b, b), b);
  EXPECT_EQ(g.num_ands(), 0u);
}

TEST(Aig, StructuralHashingNormalisesFaninOrder) {
  aig g;
  literal a = g.create_pi(), b = g.create_pi();
  literal x = g.create_and(a, lit_not(b));
  EXPECT_EQ(g.create_and(lit_not(b), a), x);
  EXPECT_EQ(g.num_ands(), 1u);
  EXPECT_GE(g.fanin0(lit_node(x)), g.fanin1(lit_node(x)));
  // OR is a complemented AND of complemented inputs: nand(!a,!b) hashes to the same node.
  literal o = g.create_or(a, b);
  EXPECT_EQ(lit_not(g.create_and(lit_not(b), lit_not(a))), o);
  EXPECT_EQ(g.num_ands(), 2u);
}

TEST(Aig, HelpersComputeTheirFunctions) {
  aig g;
  literal a = g.create_pi(), b = g.create_pi(), c = g.create_pi();
  g.create_po(g.create_xor(a, b));
  g.create_po(g.create_mux(a, b, c));
  g.create_po(g.create_maj(a, b, c));
  g.create_po(g.create_or(a, c));
  g.create_po(g.create_xnor(b, c));
  for (unsigned m = 0; m < 8; ++m) {
    bool x = m & 1, y = (m >> 1) & 1, z = (m >> 2) & 1;
    auto out = eval_reference(g, {x, y, z});
    EXPECT_EQ(out[0], x != y);
    EXPECT_EQ(out[1], x ? y : z);
    EXPECT_EQ(out[2], (x + y + z) >= 2);
    EXPECT_EQ(out[3], x || z);
    EXPECT_EQ(out[4], y == z);
  }
  EXPECT_EQ(statistics(g).xor_aig_xors, 2u);  // the XOR and the XNOR
}

TEST(Aig, LevelsDepthAndSize) {
  aig g;
  literal a = g.create_pi(), b = g.create_pi(), c = g.create_pi(), d = g.create_pi();
  literal ab = g.create_and(a, b), abc = g.create_and(ab, c), abcd = g.create_and(abc, d);
  g.create_and(c, d);  // dangling
  g.create_po(abcd);
  auto lv = compute_levels(g);
  EXPECT_EQ(lv[lit_node(ab)], 1u);
  EXPECT_EQ(lv[lit_node(abcd)], 3u);
  auto s = statistics(g);
  EXPECT_EQ(s.ands, 3u);
  EXPECT_EQ(s.stored_ands, 4u);
  EXPECT_EQ(s.depth, 3u);
  aig h = cleanup(g);
  EXPECT_EQ(h.num_ands(), 3u);
  EXPECT_EQ(depth(h), 3u);
}

TEST(Aig, AndOrNotCountFollowsItsDocumentedRule) {
  // y = a | b is one OR gate (De Morgan), no NOT.
  {
    aig g;
    literal a = g.create_pi(), b = g.create_pi();
    g.create_po(g.create_or(a, b));
    auto c = and_or_not_count(g);
    EXPECT_EQ(c.ands, 0u);
    EXPECT_EQ(c.ors, 1u);
    EXPECT_EQ(c.nots, 0u);
  }
  // y = !(a & b) is an AND gate plus a NOT; z = a & !b adds an AND and a NOT on b.
  {
    aig g;
    literal a = g.create_pi(), b = g.create_pi();
    g.create_po(lit_not(g.create_and(a, b)));
    g.create_po(g.create_and(a, lit_not(b)));
    auto c = and_or_not_count(g);
    EXPECT_EQ(c.ands, 2u);
    EXPECT_EQ(c.ors, 0u);
    EXPECT_EQ(c.nots, 2u);
  }
  // XOR as three AIG nodes: !p & !q with p = a&b, q = !a&!b. n is an AND gate; !p and !q need NOTs
  // unless p, q become ORs: q = AND(!a,!b) referenced only complemented -> OR(a, b). p stays AND + NOT.
  {
    aig g;
    literal a = g.create_pi(), b = g.create_pi();
    g.create_po(g.create_xor(a, b));
    auto c = and_or_not_count(g);
    EXPECT_EQ(c.ands, 2u);
    EXPECT_EQ(c.ors, 1u);
    EXPECT_EQ(c.nots, 1u);
    EXPECT_EQ(c.total(), 4u);
  }
}

TEST(Aig, XorAigCountSharesNodes) {
  aig g;
  literal a = g.create_pi(), b = g.create_pi(), c = g.create_pi();
  literal x = g.create_xor(g.create_xor(a, b), c);  // 6 ANDs, 2 XORs
  g.create_po(x);
  auto s = statistics(g);
  EXPECT_EQ(s.ands, 6u);
  EXPECT_EQ(s.xor_aig_nodes, 2u);
  EXPECT_EQ(s.xor_aig_xors, 2u);
  // If the inner AND a&b is also an output, it still costs a node.
  g.create_po(g.create_and(a, b));
  auto t = statistics(g);
  EXPECT_EQ(t.xor_aig_nodes, 3u);
}

TEST(Simulate, MatchesReferenceOnRandomAigsForEveryBlockWidth) {
  aig g = random_aig(12, 400, 5, 7);
  auto pats = random_patterns(12, 1000, 3);  // not a multiple of 64
  for (unsigned w : {1u, 2u, 4u, 8u, 16u}) {
    simulation_params p;
    p.block_words = w;
    auto out = simulate(g, pats, p);
    for (std::size_t k = 0; k < pats.num_patterns; k += 37) {
      std::vector<bool> in(12);
      for (unsigned i = 0; i < 12; ++i) in[i] = pats.get(i, k);
      auto ref = eval_reference(g, in);
      for (std::size_t o = 0; o < g.num_pos(); ++o)
        ASSERT_EQ(out.get(o, k), ref[o]) << "w=" << w << " k=" << k;
    }
    // Tail bits past num_patterns stay zero.
    for (std::size_t o = 0; o < g.num_pos(); ++o)
      EXPECT_EQ(out.signal(o)[out.words() - 1] >> (1000 % 64), 0u);
  }
}

TEST(Simulate, TruthTablesAreExhaustive) {
  for (unsigned n : {0u, 3u, 6u, 9u}) {
    aig g;
    if (n == 0) {
      g.create_po(lit_true);
      g.create_po(lit_false);
    } else {
      g = random_aig(n, 60, 3, n + 1);
    }
    auto tt = truth_tables(g);
    for (std::size_t m = 0; m < (std::size_t(1) << n); ++m) {
      std::vector<bool> in(n);
      for (unsigned i = 0; i < n; ++i) in[i] = (m >> i) & 1;
      auto ref = eval_reference(g, in);
      for (std::size_t o = 0; o < g.num_pos(); ++o)
        ASSERT_EQ(((tt[o][m / 64] >> (m % 64)) & 1u) != 0, ref[o]);
    }
    if (n < 6) {
      for (auto& t : tt) EXPECT_EQ(t[0] >> (1u << n), 0u);
    }
  }
}

TEST(Simulate, TwentyInputParity) {
  aig g;
  literal x = lit_false;
  for (int i = 0; i < 20; ++i) x = g.create_xor(x, g.create_pi());
  g.create_po(x);
  auto tt = truth_tables(g);
  ASSERT_EQ(tt[0].size(), (1u << 20) / 64);
  std::size_t ones = 0;
  for (auto w : tt[0]) ones += __builtin_popcountll(w);
  EXPECT_EQ(ones, 1u << 19);
  EXPECT_EQ(tt[0][0], 0x6996966996696996ull);
  aig big;
  for (int i = 0; i < 21; ++i) big.create_pi();
  EXPECT_THROW(truth_tables(big), occam::input_error);
}

TEST(Accuracy, CountsAgainstDataSetAndPla) {
  aig g;
  literal a = g.create_pi(), b = g.create_pi();
  g.create_po(g.create_and(a, b));
  g.create_po(g.create_or(a, b));
  occam::data::dataset d;
  d.name = "t";
  d.kind = occam::data::task_kind::binary;
  d.n = 4;
  d.d_in = 2;
  d.d_out = 2;
  d.x = {0, 0, 0, 1, 1, 0, 1, 1};
  d.y = {0, 0, 0, 1, 1, 1, 1, 0};  // row 2 output 0 wrong, row 3 output 1 wrong
  auto r = accuracy(g, d);
  EXPECT_EQ(r.rows, 4u);
  EXPECT_EQ(r.correct[0], 3u);
  EXPECT_EQ(r.correct[1], 3u);
  EXPECT_EQ(r.rows_all_correct, 2u);
  EXPECT_DOUBLE_EQ(r.overall(), 6.0 / 8.0);

  occam::data::pla_table t;
  t.num_inputs = 2;
  t.num_outputs = 2;
  t.inputs = {"00", "01", "10", "11"};
  t.outputs = {"0-", "01", "11", "10"};
  auto p = accuracy(g, t);
  EXPECT_EQ(p.counted[1], 3u);
  EXPECT_EQ(p.correct[1], 2u);
  EXPECT_EQ(p.correct[0], 3u);
  t.inputs[0] = "0-";
  EXPECT_THROW(accuracy(g, t), occam::input_error);
  d.d_in = 3;
  EXPECT_THROW(accuracy(g, d), occam::input_error);
  // Real-valued inputs or targets (a regression data set) have no circuit accuracy.
  d.d_in = 2;
  d.x[3] = 0.7f;
  EXPECT_THROW(accuracy(g, d), occam::input_error);
  d.x[3] = 1;
  d.y[2] = -1;
  EXPECT_THROW(accuracy(g, d), occam::input_error);
}
