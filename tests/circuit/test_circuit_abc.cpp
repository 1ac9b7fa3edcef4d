// Against Berkeley ABC: identical statistics both ways, equivalence (cec), optimisation scripts, BLIF and
// Verilog read back by ABC, and the bridge's errors (missing executable, time limit).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "circuit_test_util.hpp"
#include "occam/circuit/abc.hpp"
#include "occam/circuit/arith.hpp"
#include "occam/circuit/io.hpp"
#include "occam/circuit/simulate.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

using namespace occam::circuit;
using occam::circuit::testing::abc_available;
using occam::circuit::testing::random_aig;
namespace fs = std::filesystem;

namespace {

struct scratch {
  fs::path dir;
  explicit scratch(const std::string& name) : dir(fs::temp_directory_path() / ("occam_test_abc_" + name)) {
    occam::remove_tree(dir);
    fs::create_directories(dir);
  }
  ~scratch() { occam::remove_tree(dir); }
};

std::vector<aig> sample_circuits() {
  std::vector<aig> v;
  v.push_back(cleanup(random_aig(16, 2000, 8, 1)));
  v.push_back(cleanup(random_aig(40, 5000, 20, 2)));
  aig add;
  create_output_word(add,
                     ::occam::circuit::add(add, create_input_word(add, 16, "a"),
                                           create_input_word(add, 16, "b"), adder_kind::kogge_stone),
                     "s");
  v.push_back(cleanup(add));
  aig dot;
  std::vector<word> xs;
  for (int i = 0; i < 6; ++i) xs.push_back(create_input_word(dot, 4, "x" + std::to_string(i)));
  dot_params p;
  p.shift = 3;
  p.rounding = rounding_mode::nearest;
  p.out_bits = 6;
  create_output_word(dot, relu(dot, dot_const(dot, xs, {7, -3, 12, -25, 1, 6}, p)), "y");
  v.push_back(cleanup(dot));
  return v;
}

}  // namespace

TEST(Abc, FindsTheAliasFile) {
  fs::path rc = locate_abc_rc();
  EXPECT_TRUE(fs::exists(rc));
  EXPECT_NE(occam::read_file(rc).find("alias resyn2 "), std::string::npos);
  EXPECT_NE(occam::read_file(rc).find("alias compress2rs "), std::string::npos);  // &deepsyn needs it
  // $OCCAM_ABC_RC overrides the search; a missing file is a clear error.
  ::setenv("OCCAM_ABC_RC", "/nonexistent/occam-abc.rc", 1);
  EXPECT_THROW(locate_abc_rc(), occam::input_error);
  ::setenv("OCCAM_ABC_RC", rc.c_str(), 1);
  EXPECT_EQ(locate_abc_rc(), rc);
  ::unsetenv("OCCAM_ABC_RC");
}

TEST(Abc, StatisticsOfOccamFilesMatchAbc) {
  OCCAM_REQUIRE_ABC();
  for (const aig& g : sample_circuits()) {
    auto ours = statistics(g);
    auto theirs = abc_stats(g);
    EXPECT_EQ(theirs.ands, ours.ands);
    EXPECT_EQ(theirs.levels, ours.depth);
    EXPECT_EQ(theirs.inputs, g.num_pis());
    EXPECT_EQ(theirs.outputs, g.num_pos());
  }
  // The same through the GIA package: read; &get; &ps.
  scratch s("gps");
  aig g = sample_circuits()[1];
  write_circuit(g, s.dir / "g.aig");
  auto gia = parse_abc_stats(run_abc("read g.aig; &get; &ps", s.dir, abc_params{}));
  EXPECT_EQ(gia.ands, statistics(g).ands);
  EXPECT_EQ(gia.levels, statistics(g).depth);
  EXPECT_EQ(gia.inputs, g.num_pis());
}

TEST(Abc, FilesWrittenByAbcReadWithTheSameStatisticsAndFunction) {
  OCCAM_REQUIRE_ABC();
  scratch s("abcfiles");
  // ABC's own 4x4 multiplier and 6-bit adder generators, strashed and written by ABC.
  run_abc(
      "gen -m -N 4 m.blif; read m.blif; strash; write_aiger m.aig; gen -a -N 6 a.blif; read a.blif; strash; "
      "write_aiger a.aig",
      s.dir, abc_params{});
  aig m = read_aiger(s.dir / "m.aig");
  auto ms = abc_stats_file(s.dir / "m.aig");
  EXPECT_EQ(statistics(m).ands, ms.ands);
  EXPECT_EQ(statistics(m).depth, ms.levels);
  // (ABC's "multiplier" is not a plain a*b, so its function is checked against ABC's own BLIF instead:
  // occam's copy, written back, must be equivalent.)
  write_circuit(m, s.dir / "m_occam.aig");
  std::string log = run_abc("cec -n m.blif m_occam.aig", s.dir, abc_params{});
  EXPECT_NE(log.find("are equivalent"), std::string::npos) << log;
  // The adder: inputs a0..a5 b0..b5, outputs s0..s6 = a + b (checked exhaustively).
  aig a = read_aiger(s.dir / "a.aig");
  EXPECT_EQ(statistics(a).ands, abc_stats_file(s.dir / "a.aig").ands);
  auto ta = truth_tables(a);
  for (unsigned x = 0; x < 4096; ++x) {
    unsigned sum = 0;
    for (unsigned b = 0; b < 7; ++b) sum |= unsigned((ta[b][x / 64] >> (x % 64)) & 1u) << b;
    ASSERT_EQ(sum, (x & 63) + (x >> 6)) << x;
  }
}

TEST(Abc, OptimisedCircuitsComeBackEquivalentAndSmaller) {
  OCCAM_REQUIRE_ABC();
  aig g = sample_circuits()[3];
  auto before = statistics(g);
  for (const char* script : {"fast", "medium", "compress2rs"}) {
    abc_run_stats rs;
    aig h = abc_optimize(g, expand_abc_script(script), abc_params{}, &rs);
    EXPECT_LE(statistics(h).ands, before.ands) << script;
    EXPECT_TRUE(abc_equivalent(g, h)) << script;
    // ABC's file, read by occam, simulates like the original.
    auto p = random_patterns(g.num_pis(), 4096, 5);
    EXPECT_EQ(simulate(h, p).bits, simulate(g, p).bits) << script;
    EXPECT_EQ(h.pi_name(0), g.pi_name(0));
  }
  // The strong script (with &deepsyn, 1 s) also runs.
  aig h = abc_optimize(g, expand_abc_script("strong", 1));
  EXPECT_TRUE(abc_equivalent(g, h));
}

TEST(Abc, CecDetectsADifference) {
  OCCAM_REQUIRE_ABC();
  aig g = sample_circuits()[2];
  aig h = g;
  h.set_po(5, lit_not(h.po(5)));
  EXPECT_FALSE(abc_equivalent(g, h));
  EXPECT_TRUE(abc_equivalent(g, g));
}

TEST(Abc, ReadsOccamBlifAndVerilog) {
  OCCAM_REQUIRE_ABC();
  scratch s("blifv");
  aig g = sample_circuits()[3];
  write_circuit(g, s.dir / "g.aig");
  write_circuit(g, s.dir / "g.blif");
  write_circuit(g, s.dir / "g.v");
  std::string log =
      run_abc("cec -n g.aig g.blif; read_verilog g.v; strash; write_aiger v.aig; cec -n g.aig v.aig", s.dir,
              abc_params{});
  EXPECT_EQ(log.find("NOT EQUIVALENT"), std::string::npos) << log;
  std::size_t first = log.find("are equivalent");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_NE(log.find("are equivalent", first + 1), std::string::npos) << log;
}

TEST(Abc, ClearErrors) {
  abc_params missing;
  missing.executable = "occam-no-such-abc-binary";
  aig g = sample_circuits()[2];
  try {
    abc_stats(g, missing);
    FAIL() << "expected an error";
  } catch (const occam::input_error& e) {
    EXPECT_NE(std::string(e.what()).find("not found on PATH"), std::string::npos) << e.what();
  }
  // The rest runs ABC.
  if (!abc_available()) {
    if (occam::circuit::testing::abc_required()) FAIL() << "berkeley-abc cannot be run (required)";
    return;
  }
  EXPECT_THROW(abc_optimize(g, "no_such_abc_command"), occam::input_error);
  abc_params quick;
  quick.timeout_s = 0.3;
  try {
    abc_optimize(g, "&get -n; &deepsyn -T 60; &put", quick);
    FAIL() << "expected the time limit to stop ABC";
  } catch (const occam::input_error& e) {
    EXPECT_NE(std::string(e.what()).find("did not finish"), std::string::npos) << e.what();
  }
}
