// AIGER / BLIF / Verilog / PLA I/O: round trips and clear errors on malformed files.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "circuit_test_util.hpp"
#include "occam/circuit/io.hpp"
#include "occam/circuit/simulate.hpp"
#include "occam/data/pla.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

using namespace occam::circuit;
using occam::circuit::testing::random_aig;
namespace fs = std::filesystem;
using namespace std::string_literals;

namespace {
std::string ascii(const aig& g) {
  std::ostringstream s;
  write_aiger_ascii(g, s);
  return s.str();
}
std::string binary(const aig& g) {
  std::ostringstream s;
  write_aiger_binary(g, s);
  return s.str();
}
void expect_same_function(const aig& a, const aig& b) {
  ASSERT_EQ(a.num_pis(), b.num_pis());
  ASSERT_EQ(a.num_pos(), b.num_pos());
  auto p = random_patterns(a.num_pis(), 777, 11);
  EXPECT_EQ(simulate(a, p).bits, simulate(b, p).bits);
}
/// The input_error message for parsing `text`, or "" if it parses.
std::string parse_error(const std::string& text) {
  try {
    parse_aiger(text, "bad.aag");
  } catch (const occam::input_error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Aiger, AsciiAndBinaryRoundTripKeepStructureNamesAndComment) {
  aig g = cleanup(random_aig(10, 300, 4, 5));
  g.comment = "made by a test\nsecond line";
  for (const std::string& text : {ascii(g), binary(g)}) {
    aig h = parse_aiger(text, "rt");
    EXPECT_EQ(h.num_ands(), g.num_ands());
    EXPECT_EQ(depth(h), depth(g));
    EXPECT_EQ(h.pi_name(3), "x3");
    EXPECT_EQ(h.po_name(1), "y1");
    EXPECT_EQ(h.comment, g.comment);
    expect_same_function(g, h);
    // Writing again gives the same bytes: node order is canonical.
    EXPECT_EQ(ascii(h), ascii(g));
  }
}

TEST(Aiger, CommentsRoundTripByteForByte) {
  // Found by fuzz_aiger: carriage returns inside the comment section used to be stripped on reading.
  aig g = parse_aiger("aag 1 1 0 1 0\n2\n2\nc 0\n h8\r\r\r\n\n\xff\nlast"s, "c.aag");
  EXPECT_EQ(g.comment, "0\n h8\r\r\r\n\n\xff\nlast");
  for (const std::string& text : {ascii(g), binary(g)}) EXPECT_EQ(parse_aiger(text, "rt").comment, g.comment);
}

TEST(Aiger, ReadsTheSpecExamples) {
  // From the AIGER format description: an AND gate, an OR gate, a half adder (ASCII and binary).
  aig a = parse_aiger("aag 3 2 0 1 1\n2\n4\n6\n6 2 4\n", "and.aag");
  EXPECT_EQ(a.num_ands(), 1u);
  aig o = parse_aiger("aag 3 2 0 1 1\n2\n4\n7\n6 3 5\n", "or.aag");
  EXPECT_EQ(truth_tables(o)[0][0], 0xEu);
  aig h = parse_aiger(
      "aag 7 2 0 2 3\n2\n4\n6\n12\n6 13 15\n12 2 4\n14 3 5\ni0 x\ni1 y\no0 s\no1 c\nc\nhalf adder\n",
      "half.aag");
  auto tt = truth_tables(h);
  EXPECT_EQ(tt[0][0], 0x6u);  // sum = x xor y
  EXPECT_EQ(tt[1][0], 0x8u);  // carry = x and y
  EXPECT_EQ(h.pi_name(1), "y");
  EXPECT_EQ(h.po_name(0), "s");
  EXPECT_EQ(h.comment, "half adder");
  std::string bin =
      std::string("aig 5 2 0 2 3\n10\n6\n") + "\x02\x02\x03\x02\x01\x02" + "i0 x\ni1 y\no0 s\no1 c\n";
  aig hb = parse_aiger(bin, "half.aig");
  auto ttb = truth_tables(hb);
  EXPECT_EQ(ttb[0][0], 0x6u);
  EXPECT_EQ(ttb[1][0], 0x8u);
  // Constant outputs and an output driven by an input.
  aig c = parse_aiger("aag 1 1 0 3 0\n2\n0\n1\n3\n", "c.aag");
  EXPECT_EQ(c.po(0), lit_false);
  EXPECT_EQ(c.po(1), lit_true);
  EXPECT_EQ(c.po(2), lit_not(c.pi(0)));
}

TEST(Aiger, AsciiGatesMayComeInAnyOrder) {
  // Gate 8 uses gate 6, defined after it: legal in ASCII AIGER.
  aig g = parse_aiger("aag 4 2 0 1 2\n2\n4\n8\n8 6 2\n6 2 4\n", "order.aag");
  EXPECT_EQ(g.num_ands(), 2u);
  EXPECT_EQ(truth_tables(g)[0][0], 0x8u);
}

TEST(Aiger, MalformedFilesGiveClearErrors) {
  struct bad_case {
    std::string text, expect;
  };
  std::vector<bad_case> cases = {
      {"", "empty file"},
      {"hello\n", "not an AIGER file"},
      {"aag 3 2 1 1 0\n2\n4\n6 2\n6\n", "sequential AIGs not supported"},
      {"aag 2 2 0 1 1\n2\n4\n6\n6 2 4\n", "exceeds M"},                    // I + A > M
      {"aag 3 2 0 1 1\n2\n4\n6\n", "file ends after 0 of 1 AND gates"},    // truncated ASCII
      {"aag 3 2 0 1 1\n2\n4\n9\n6 2 4\n", "output literal 9 exceeds"},     // out of range
      {"aag 3 2 0 1 1\n2\n3\n6\n6 2 4\n", "odd"},                          // complemented input
      {"aag 4 2 0 1 1\n2\n4\n6\n6 2 8\n", "neither an input nor an AND"},  // undefined variable
      {"aag 4 2 0 1 2\n2\n4\n6\n6 8 2\n8 6 4\n", "cycle"},                 // cycle
      {"aag 3 2 0 1 1\n2\n2\n6\n6 2 4\n", "defined twice"},
      {"aag 3 2 0 1 1\n2\n4\n6\n6 2 4 8\n", "at the end of the line"},
      {"aag 3 2 0 1 1\n2\n4\n6\n6 2 4\ni5 x\n", "input symbol i5"},
      {"aag 3 2 0 1 1 1\n2\n4\n6\n6 2 4\n", "bad-state"},
      {"aig 3 2 0 1 1\n6\n\x82\x82", "truncated"},         // truncated binary
      {"aig 3 2 0 1 1\n6\n\x00\x02"s, "feed itself"},      // delta 0
      {"aig 3 2 0 1 1\n6\n\x02\x09", "negative literal"},  // rhs1 < 0
      {"aig 4 2 0 1 1\n6\n\x02\x02", "M = I + L + A"},
      {"aig 3 2 0 1 1\n6\n\xff\xff\xff\xff\xff\x01", "does not fit 32 bits"},
      {"aig 3 2 0 1 1\n6\n\x80\x80\x80\x80\x80\x01", "longer than 5 bytes"},
      {"aig 5 2 0 1 3\n6\n\x02\x02", "too short"},  // wrong header counts
  };
  for (auto& c : cases) {
    std::string msg = parse_error(c.text);
    EXPECT_NE(msg.find(c.expect), std::string::npos) << "file:\n" << c.text << "\nmessage: " << msg;
    EXPECT_EQ(msg.rfind("bad.aag", 0), 0u) << msg;  // names the file
  }
  // Line numbers point at the offending line.
  EXPECT_NE(parse_error("aag 4 2 0 1 1\n2\n4\n6\n6 2 8\n").find("bad.aag:5:"), std::string::npos);
  EXPECT_NE(parse_error("aig 3 2 0 1 1\n6\n\x82\x82").find("bad.aag: byte 18:"), std::string::npos);
}

TEST(Aiger, EveryTruncationOfABinaryFileIsAnErrorNotACrash) {
  aig g = cleanup(random_aig(6, 80, 3, 9));
  std::string bin = binary(g);
  std::size_t header_end = bin.find('\n');
  for (std::size_t len = 0; len < bin.size(); ++len) {
    std::string cut = bin.substr(0, len);
    bool threw = false;
    try {
      aig h = parse_aiger(cut, "cut.aig");
      // A cut that only drops part of the symbol table may still parse; then it must be the same circuit.
      EXPECT_GT(len, header_end);
      expect_same_function(g, h);
    } catch (const occam::input_error&) {
      threw = true;
    }
    if (len <= header_end + 4) {
      EXPECT_TRUE(threw) << len;
    }
  }
}

TEST(Blif, WritesAndGatesAndOutputs) {
  aig g;
  literal a = g.create_pi("a"), b = g.create_pi("b");
  g.create_po(g.create_and(a, lit_not(b)), "y");
  g.create_po(lit_true, "one");
  std::ostringstream s;
  write_blif(g, s, "m");
  EXPECT_EQ(
      s.str(),
      ".model m\n.inputs a b\n.outputs y one\n.names b a w3\n01 1\n.names w3 y\n1 1\n.names one\n1\n.end\n");
}

TEST(Verilog, WritesAssignsAndSanitisesNames) {
  aig g;
  literal a = g.create_pi("a"), b = g.create_pi("bad name");
  g.create_po(lit_not(g.create_and(a, b)), "module");
  std::ostringstream s;
  write_verilog(g, s, "m");
  std::string v = s.str();
  EXPECT_NE(v.find("module m (a, pi1, po0);"), std::string::npos) << v;
  EXPECT_NE(v.find("assign w3 = pi1 & a;"), std::string::npos) << v;
  EXPECT_NE(v.find("assign po0 = ~w3;"), std::string::npos) << v;
}

TEST(Pla, TruthTableRoundTripThroughTheSumOfProductsReader) {
  aig g = cleanup(random_aig(7, 120, 3, 21));
  fs::path dir = fs::temp_directory_path() / "occam_test_circuit_pla";
  occam::remove_tree(dir);
  write_circuit(g, dir / "g.pla");
  auto t = occam::data::read_pla(dir / "g.pla");
  EXPECT_EQ(t.inputs.size(), 128u);
  aig h = read_circuit(dir / "g.pla");
  EXPECT_EQ(truth_tables(h), truth_tables(g));
  EXPECT_EQ(accuracy(g, t, "g.pla").overall(), 1.0);
  // Other formats by extension.
  for (const char* f : {"g.aag", "g.aig", "g.blif", "g.v"}) {
    write_circuit(g, dir / f);
    EXPECT_TRUE(fs::exists(dir / f));
  }
  expect_same_function(g, read_circuit(dir / "g.aig"));
  EXPECT_THROW(write_circuit(g, dir / "g.txt"), occam::input_error);
  aig wide = random_aig(17, 10, 1, 1);
  EXPECT_THROW(write_circuit(wide, dir / "w.pla"), occam::input_error);
  occam::remove_tree(dir);
}
