// Tests for the data module (docs/data.md): PLA, CSV, NPY, IDX, IWLS truth tables, built-in tasks, splits.
#include <gtest/gtest.h>

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "occam/data/dataset.hpp"
#include "occam/data/loaders.hpp"
#include "occam/data/pla.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace fs = std::filesystem;
using namespace occam::data;

namespace {
// Expects an input_error whose message contains `needle` and whose line is `line`.
template <class F>
void expect_input_error(F&& f, const std::string& needle, std::size_t line = std::size_t(-1)) {
  try {
    f();
    ADD_FAILURE() << "no input_error; expected one containing '" << needle << "'";
  } catch (const occam::input_error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    if (line != std::size_t(-1)) {
      EXPECT_EQ(e.line(), line) << e.what();
    }
  }
}
const fs::path fixtures = fs::path(OCCAM_SOURCE_DIR) / "tests" / "data" / "fixtures";

/// A scratch directory per test binary run, holding the files the malformed-input tests write.
fs::path scratch(const std::string& file) {
  struct scratch_dir {
    fs::path path = fs::temp_directory_path() / ("occam_test_data_" + std::to_string(::getpid()));
    scratch_dir() { fs::create_directories(path); }
    ~scratch_dir() { occam::remove_tree(path); }
  };
  static const scratch_dir dir;
  return dir.path / file;
}
fs::path write_text(const std::string& file, const std::string& content) {
  fs::path p = scratch(file);
  std::ofstream(p, std::ios::binary) << content;
  return p;
}
fs::path write_bytes(const std::string& file, const std::vector<unsigned char>& bytes) {
  fs::path p = scratch(file);
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return p;
}
fs::path write_gzip(const std::string& file, const std::vector<unsigned char>& bytes) {
  fs::path p = scratch(file);
  gzFile g = gzopen(p.string().c_str(), "wb");
  gzwrite(g, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(g);
  return p;
}

pla_table pla_from(const std::string& s) {
  std::istringstream is(s);
  return parse_pla(is, "t.pla");
}
}  // namespace

TEST(Pla, ParsesHeaderNamesCommentsAndRows) {
  auto t = pla_from(
      "# a comment\n.i 3\n.o 2\n.ilb a b c\n.ob f g\n.p 3\n.type fr\n"
      "01- 10  # trailing comment\n"
      "111 0~\n"
      "\n"
      "000 11\n.e\n");
  EXPECT_EQ(t.num_inputs, 3u);
  EXPECT_EQ(t.num_outputs, 2u);
  EXPECT_EQ(t.type, "fr");
  ASSERT_EQ(t.inputs.size(), 3u);
  EXPECT_EQ(t.inputs[0], "01-");
  EXPECT_EQ(t.outputs[1], "0-");
  EXPECT_EQ(t.source_lines[0], 8u);
  EXPECT_EQ(t.source_lines[2], 11u);
  EXPECT_EQ(t.input_names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(t.output_names, (std::vector<std::string>{"f", "g"}));
}

TEST(Pla, WriteThenReadRoundTrips) {
  auto t = pla_from(".i 2\n.o 1\n.ilb x y\n.ob z\n.p 2\n01 1\n1- 0\n.e\n");
  std::ostringstream os;
  write_pla(t, os);
  auto u = pla_from(os.str());
  EXPECT_EQ(u.inputs, t.inputs);
  EXPECT_EQ(u.outputs, t.outputs);
  EXPECT_EQ(u.input_names, t.input_names);
  EXPECT_EQ(u.output_names, t.output_names);
  fs::path p = fs::temp_directory_path() / "occam_test_data_rt.pla";
  write_pla(t, p);
  EXPECT_EQ(read_pla(p).outputs, t.outputs);
  fs::remove(p);
}

TEST(Pla, StrictErrorsNameTheLine) {
  expect_input_error([] { pla_from(".i 3\n.o 1\n010 1\n01 1\n"); }, "input part has 2", 4);
  expect_input_error([] { pla_from(".i 2\n.o 1\n01 10\n"); }, "output part has 2", 3);
  expect_input_error([] { pla_from(".i 2\n.o 1\n0x 1\n"); }, "bad input character 'x'", 3);
  expect_input_error([] { pla_from(".i 2\n.o 1\n01 2\n"); }, "bad output character '2'", 3);
  expect_input_error([] { pla_from(".i 2\n.o 1\n.p 3\n01 1\n10 0\n"); }, ".p declares 3 rows, the file has 2",
                     3);
  expect_input_error([] { pla_from(".o 1\n01 1\n"); }, "row before .i", 2);
  expect_input_error([] { pla_from(".i 2\n01 1\n"); }, "row before .o", 2);
  expect_input_error([] { pla_from(".i 2\n"); }, "missing .o", 0);
  expect_input_error([] { pla_from(""); }, "empty file", 0);
  expect_input_error([] { pla_from(".i 2\n.o 1\n.e\n"); }, "no rows", 0);
  expect_input_error([] { pla_from(".i 2\n.o 1\n.phase 1\n"); }, "unsupported directive", 3);
  expect_input_error([] { pla_from(".i 2\n.o 1\n.ilb a\n01 1\n"); }, ".ilb names 1 inputs", 0);
  expect_input_error([] { read_pla("/nonexistent/x.pla"); }, "cannot open", 0);
}

// ---------------------------------------------------------------------------------------------------------
// Data set container

namespace {
dataset numbered(std::size_t n) {
  // x = (i, 2i), y = i: every row identifies itself.
  dataset d;
  d.name = "numbered";
  d.n = n;
  d.d_in = 2;
  d.d_out = 1;
  for (std::size_t i = 0; i < n; ++i) {
    d.x.push_back(float(i));
    d.x.push_back(float(2 * i));
    d.y.push_back(float(i));
  }
  fit_box_to_data(d);
  return d;
}
}  // namespace

TEST(Dataset, SliceSubsetAndFittedBox) {
  dataset d = numbered(10);
  EXPECT_EQ(d.input_box.lo, (std::vector<float>{0, 0}));
  EXPECT_EQ(d.input_box.hi, (std::vector<float>{9, 18}));
  d.validate();
  auto s = d.slice(3, 6);
  ASSERT_EQ(s.n, 3u);
  EXPECT_EQ(s.row(0)[0], 3.0f);
  EXPECT_EQ(s.target(2)[0], 5.0f);
  EXPECT_EQ(s.input_box.hi, d.input_box.hi);  // same box as the whole
  auto u = d.subset({7, 1});
  EXPECT_EQ(u.row(0)[1], 14.0f);
  EXPECT_EQ(u.target(1)[0], 1.0f);
  EXPECT_THROW(d.slice(4, 11), occam::input_error);
  EXPECT_THROW(d.subset({10}), occam::input_error);
  float inside[2] = {9, 0}, outside[2] = {9.5f, 0};
  EXPECT_TRUE(d.input_box.contains(inside));
  EXPECT_FALSE(d.input_box.contains(outside));
  EXPECT_TRUE(d.input_box.contains(outside, 0.5f));
  EXPECT_STREQ(to_string(task_kind::multiclass), "multiclass");
}

TEST(Dataset, ValidateRejectsNaNOutOfBoxAndBadLabels) {
  dataset d = numbered(4);
  auto nan = d;
  nan.x[3] = NAN;
  expect_input_error([&] { nan.validate(); }, "not finite");
  auto out = d;
  out.x[0] = -1;
  expect_input_error([&] { out.validate(); }, "outside the input box");
  auto sizes = d;
  sizes.y.pop_back();
  expect_input_error([&] { sizes.validate(); }, "targets hold 3 values");
  auto bin = d;
  bin.kind = task_kind::binary;
  expect_input_error([&] { bin.validate(); }, "expected 0 or 1");
  auto mc = d;
  mc.kind = task_kind::multiclass;
  mc.n_classes = 3;  // label 3 is out of range
  expect_input_error([&] { mc.validate(); }, "class label of row 3");
  try {
    nan.validate();
  } catch (const occam::input_error& e) {
    EXPECT_EQ(e.file(), "numbered");  // errors name the data set
  }
}

TEST(Dataset, SplitIsADeterministicPartition) {
  dataset d = numbered(101);
  auto a = split_dataset(d, 0.2, 0.1, 42);
  auto b = split_dataset(d, 0.2, 0.1, 42);
  auto c = split_dataset(d, 0.2, 0.1, 43);
  EXPECT_EQ(a.valid.n, 20u);
  EXPECT_EQ(a.test.n, 10u);
  EXPECT_EQ(a.train.n, 71u);
  EXPECT_EQ(a.train.y, b.train.y);
  EXPECT_EQ(a.valid.y, b.valid.y);
  EXPECT_EQ(a.test.y, b.test.y);
  EXPECT_NE(a.train.y, c.train.y);
  std::vector<float> all;
  for (auto* part : {&a.train, &a.valid, &a.test}) {
    all.insert(all.end(), part->y.begin(), part->y.end());
    for (std::size_t i = 0; i < part->n; ++i)
      EXPECT_EQ(part->row(i)[0], part->target(i)[0]);  // rows stay whole
    EXPECT_EQ(part->input_box.hi, d.input_box.hi);
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, d.y);  // a partition: every row exactly once
  // The seed-42 shuffle is fixed on every platform (our own generator, not std::): pin its first rows.
  auto again = split_dataset(d, 0.0, 0.0, 42);
  EXPECT_EQ(again.train.n, 101u);
  std::vector<float> head(again.train.y.begin(), again.train.y.begin() + 5);
  EXPECT_EQ(head, (std::vector<float>{95, 37, 87, 49, 39}));
  EXPECT_THROW(split_dataset(d, 0.7, 0.5, 1), occam::input_error);
}

// ---------------------------------------------------------------------------------------------------------
// Built-in tasks vs independent brute force

namespace {
bool bit(const dataset& d, std::size_t r, std::size_t i) {
  return d.row(r)[i] == 1.0f;
}

/// The k-bit word of row r stored little-endian in the Boolean inputs first .. first + k − 1.
unsigned word(const dataset& d, std::size_t r, unsigned first, unsigned k) {
  unsigned v = 0;
  for (unsigned i = 0; i < k; ++i) v += unsigned(bit(d, r, first + i)) << i;
  return v;
}
void expect_full_truth_table(const dataset& d) {
  ASSERT_EQ(d.n, std::size_t(1) << d.d_in);
  std::set<std::vector<float>> rows;
  for (std::size_t r = 0; r < d.n; ++r) rows.insert(std::vector<float>(d.row(r), d.row(r) + d.d_in));
  EXPECT_EQ(rows.size(), d.n);  // every input combination exactly once
  EXPECT_TRUE(d.boolean_inputs);
  EXPECT_EQ(d.kind, task_kind::binary);
  EXPECT_EQ(d.input_box.lo, std::vector<float>(d.d_in, 0.0f));
  EXPECT_EQ(d.input_box.hi, std::vector<float>(d.d_in, 1.0f));
}
}  // namespace

TEST(Tasks, ParityMatchesBruteForce) {
  for (unsigned n : {1u, 5u, 8u}) {
    auto d = make_task("parity:" + std::to_string(n));
    expect_full_truth_table(d);
    for (std::size_t r = 0; r < d.n; ++r) {
      int ones = 0;
      for (unsigned i = 0; i < n; ++i) ones += bit(d, r, i);
      EXPECT_EQ(d.target(r)[0], float(ones % 2));
    }
  }
}

TEST(Tasks, MajorityMatchesBruteForce) {
  for (unsigned n : {1u, 3u, 7u}) {
    auto d = make_task("majority:" + std::to_string(n));
    expect_full_truth_table(d);
    for (std::size_t r = 0; r < d.n; ++r) {
      unsigned ones = 0;
      for (unsigned i = 0; i < n; ++i) ones += bit(d, r, i);
      EXPECT_EQ(d.target(r)[0], 2 * ones > n ? 1.0f : 0.0f);
    }
  }
  expect_input_error([] { make_task("majority:4"); }, "odd");
}

TEST(Tasks, CompareIsAGreaterThanB) {
  for (unsigned k : {1u, 3u, 4u}) {
    auto d = make_task("compare:" + std::to_string(k));
    ASSERT_EQ(d.d_in, 2 * k);
    expect_full_truth_table(d);
    std::size_t ones = 0;
    for (std::size_t r = 0; r < d.n; ++r) {
      const unsigned a = word(d, r, 0, k), b = word(d, r, k, k);
      EXPECT_EQ(d.target(r)[0], a > b ? 1.0f : 0.0f) << "a=" << a << " b=" << b;
      ones += d.target(r)[0] == 1.0f;
    }
    // #{(a,b): a > b} = 2^K (2^K - 1) / 2.
    EXPECT_EQ(ones, (std::size_t(1) << k) * ((std::size_t(1) << k) - 1) / 2);
  }
  expect_input_error([] { make_task("compare:0"); }, "1..31");
}

TEST(Tasks, AdderMsbIsTheCarryOfTheSum) {
  for (unsigned k : {1u, 3u, 4u}) {
    auto d = make_task("adder-msb:" + std::to_string(k));
    ASSERT_EQ(d.d_in, 2 * k);
    expect_full_truth_table(d);
    std::size_t ones = 0;
    for (std::size_t r = 0; r < d.n; ++r) {
      const unsigned a = word(d, r, 0, k), b = word(d, r, k, k);
      unsigned sum = a + b;  // K+1 bits
      EXPECT_EQ(d.target(r)[0], float((sum >> k) & 1u)) << "a=" << a << " b=" << b;
      ones += d.target(r)[0] == 1.0f;
    }
    // #{(a,b): a+b >= 2^K} = 2^K (2^K - 1) / 2.
    EXPECT_EQ(ones, (std::size_t(1) << k) * ((std::size_t(1) << k) - 1) / 2);
  }
}

TEST(Tasks, SampledBooleanTasksAndNoise) {
  task_params p;
  p.samples = 500;
  p.seed = 7;
  auto d = make_task("parity:20", p);
  EXPECT_EQ(d.n, 500u);
  for (std::size_t r = 0; r < d.n; ++r) {
    int ones = 0;
    for (unsigned i = 0; i < 20; ++i) ones += bit(d, r, i);
    EXPECT_EQ(d.target(r)[0], float(ones % 2));
  }
  EXPECT_EQ(make_task("parity:20").n, 4096u);  // n > 16 inputs: 4096 sampled rows by default
  auto again = make_task("parity:20", p);
  EXPECT_EQ(again.x, d.x);
  p.seed = 8;
  EXPECT_NE(make_task("parity:20", p).x, d.x);
  task_params noisy;
  noisy.noise = 0.25;
  auto clean = make_task("parity:12"), flipped = make_task("parity:12", noisy);
  EXPECT_EQ(clean.x, flipped.x);  // noise touches the labels only
  std::size_t flips = 0;
  for (std::size_t r = 0; r < clean.n; ++r) flips += clean.y[r] != flipped.y[r];
  // 4096 Bernoulli(0.25) flips: mean 1024, std ~27.7; 6 std either side.
  EXPECT_GT(flips, 858u);
  EXPECT_LT(flips, 1190u);
}

TEST(Tasks, RealTasksFollowTheirFormulas) {
  const double two_pi = 2 * M_PI;
  task_params p;
  p.samples = 300;
  auto c = make_task("compose:5", p);
  EXPECT_EQ(c.kind, task_kind::regression);
  EXPECT_EQ(c.n, 300u);
  EXPECT_EQ(c.input_box.hi, std::vector<float>(5, 1.0f));
  for (std::size_t r = 0; r < c.n; ++r) {
    const float* x = c.row(r);
    double s = (double(x[0]) + x[1] + x[2] + x[3] + x[4]) / 5;
    double f = std::sin(two_pi * (double(x[0]) * x[1] + s)) * std::exp(-s);
    EXPECT_NEAR(c.target(r)[0], f, 1e-6);
  }
  auto sn = make_task("sine:3", p);
  for (std::size_t r = 0; r < sn.n; ++r) {
    const float* x = sn.row(r);
    double f = std::sin(two_pi * (double(x[0]) + x[1] + x[2]) / std::sqrt(3.0));
    EXPECT_NEAR(sn.target(r)[0], f, 1e-6);
  }
  EXPECT_EQ(make_task("sine:2").n, 4096u);
  p.noise = 0.5;
  p.samples = 4000;
  auto clean = make_task("sine:2", task_params{1, 4000, 0.0});
  auto noisy = make_task("sine:2", p);
  double sq = 0;
  for (std::size_t r = 0; r < noisy.n; ++r) sq += std::pow(noisy.y[r] - clean.y[r], 2);
  EXPECT_NEAR(std::sqrt(sq / noisy.n), 0.5, 0.03);
}

TEST(Tasks, BadSpecsListTheValidTasks) {
  expect_input_error([] { make_task("xor:3"); }, "valid tasks: adder-msb:K");
  expect_input_error([] { make_task("parity"); }, "needs a positive integer");
  expect_input_error([] { make_task("parity:x"); }, "needs a positive integer");
  expect_input_error([] { make_task("parity:0"); }, "1..62");
  expect_input_error([] { make_task("compose:1"); }, "2..4096");
  expect_input_error([] { make_task("adder-msb:40"); }, "1..31");
  task_params neg;
  neg.noise = -1;
  expect_input_error([&] { make_task("sine:2", neg); }, "noise");
  EXPECT_TRUE(is_task_spec("parity:3"));
  EXPECT_FALSE(is_task_spec("data.csv"));
  EXPECT_EQ(builtin_task_names().size(), 6u);
}

// ---------------------------------------------------------------------------------------------------------
// CSV

TEST(Csv, HeaderColumnsByNameOrIndexAndQuotes) {
  auto p = write_text("h.csv",
                      "a,\"b,c\",target,\"q \"\"x\"\"\"\r\n"
                      "1,2,3,4\r\n"
                      "\"5\", 6 ,7,8\r\n"
                      "\n"
                      "-1,0.5,1e2,0\r\n");
  auto d = load_csv(p);
  EXPECT_EQ(d.n, 3u);
  EXPECT_EQ(d.d_in, 3u);
  EXPECT_EQ(d.d_out, 1u);
  EXPECT_EQ(d.kind, task_kind::regression);
  EXPECT_EQ(d.x, (std::vector<float>{1, 2, 3, 5, 6, 7, -1, 0.5f, 100}));
  EXPECT_EQ(d.y, (std::vector<float>{4, 8, 0}));
  EXPECT_EQ(d.input_box.lo, (std::vector<float>{-1, 0.5f, 3}));
  EXPECT_EQ(d.input_box.hi, (std::vector<float>{5, 6, 100}));
  load_params lp;
  lp.target_columns = {"target"};
  lp.input_columns = {"b,c", "0"};
  d = load_csv(p, lp);
  EXPECT_EQ(d.x, (std::vector<float>{2, 1, 6, 5, 0.5f, -1}));
  EXPECT_EQ(d.y, (std::vector<float>{3, 7, 100}));
  lp = {};
  lp.target_columns = {"q \"x\"", "-2"};  // by name with an escaped quote, and by negative index
  d = load_csv(p, lp);
  EXPECT_EQ(d.d_out, 2u);
  EXPECT_EQ(d.y, (std::vector<float>{4, 3, 8, 7, 0, 100}));
  lp.target_columns = {"nope"};
  expect_input_error([&] { load_csv(p, lp); }, "no column 'nope'");
  lp = {};
  lp.max_rows = 2;
  EXPECT_EQ(load_csv(p, lp).n, 2u);
}

TEST(Csv, KindsAndDelimiters) {
  auto p = write_text("k.csv", "0.5 1 2\n0.25 2 0\n1 0 1\n");  // no header, blank-separated
  auto d = load_csv(p);
  EXPECT_EQ(d.n, 3u);
  EXPECT_EQ(d.kind, task_kind::regression);
  load_params lp;
  lp.kind = "auto";
  d = load_csv(p, lp);
  EXPECT_EQ(d.kind, task_kind::multiclass);
  EXPECT_EQ(d.n_classes, 3u);
  lp.kind = "binary";
  expect_input_error([&] { load_csv(p, lp); }, "0 or 1");
  auto b = write_text("b.csv", "x;y\n0.1;1\n0.2;0\n");
  lp.kind = "auto";
  EXPECT_EQ(load_csv(b, lp).kind, task_kind::binary);
  lp.kind = "multiclass";
  auto r = write_text("r.csv", "x,y\n1,0.5\n2,1\n");
  expect_input_error([&] { load_csv(r, lp); }, "non-negative integers");
  lp.kind = "bogus";
  expect_input_error([&] { load_csv(r, lp); }, "unknown task kind");
  lp = {};
  lp.csv_header = csv_header_mode::absent;
  expect_input_error([&] { load_csv(b, lp); }, "non-numeric value 'x'", 1);
}

TEST(Csv, ScikitLearnHeaderGivesClasses) {
  auto d = load_csv(fixtures / "iris_head.csv");
  EXPECT_EQ(d.n, 6u);
  EXPECT_EQ(d.d_in, 4u);
  EXPECT_EQ(d.kind, task_kind::multiclass);
  EXPECT_EQ(d.n_classes, 3u);
  EXPECT_EQ(d.y, (std::vector<float>{0, 0, 1, 1, 2, 2}));
  EXPECT_FLOAT_EQ(d.row(0)[0], 5.1f);
  auto boston = load_csv(fixtures / "boston_head.csv");  // "n,d,,,," then a row of column names
  EXPECT_EQ(boston.n, 3u);
  EXPECT_EQ(boston.d_in, 3u);
  EXPECT_EQ(boston.kind, task_kind::regression);
  EXPECT_EQ(boston.y, (std::vector<float>{24, 21.6f, 34.7f}));
  auto bad = write_text("sk.csv", "3,2,a,b\n1,2,0\n3,4,1\n");
  expect_input_error([&] { load_csv(bad); }, "header declares 3 rows, the file has 2", 1);
}

TEST(Csv, MalformedFilesNameLineAndColumn) {
  expect_input_error([] { load_csv(write_text("e.csv", "")); }, "empty file", 0);
  expect_input_error([] { load_csv(write_text("e2.csv", "\n\n  \n")); }, "empty file", 0);
  expect_input_error([] { load_csv(write_text("h.csv", "a,b\n")); }, "no data rows");
  expect_input_error([] { load_csv(write_text("w.csv", "a,b,c\n1,2,3\n4,5\n")); },
                     "expected 3 columns, found 2", 3);
  expect_input_error([] { load_csv(write_text("w2.csv", "a,b\n1,2,3\n")); },
                     "expected 2 columns (as in the header)", 2);
  expect_input_error([] { load_csv(write_text("n.csv", "a,b,c\n1,2,3\n4,x5,6\n")); },
                     "non-numeric value 'x5' in column 2 ('b')", 3);
  expect_input_error([] { load_csv(write_text("nan.csv", "a,b\n1,2\nnan,3\n")); }, "NaN, infinite", 3);
  expect_input_error([] { load_csv(write_text("inf.csv", "a,b\n1,inf\n")); }, "NaN, infinite", 2);
  expect_input_error([] { load_csv(write_text("big.csv", "a,b\n1,1e300\n")); }, "out of float range", 2);
  expect_input_error([] { load_csv(write_text("em.csv", "a,b\n1,\n")); }, "empty value in column 2", 2);
  expect_input_error([] { load_csv(write_text("q.csv", "a,b\n1,\"2\n")); }, "unterminated quoted field", 2);
  expect_input_error([] { load_csv(write_text("one.csv", "a\n1\n")); }, "at least 2 columns");
  expect_input_error([] { load_csv(scratch("missing.csv")); }, "cannot open");
  try {
    load_csv(write_text("w3.csv", "a,b\n1,2\n1\n"));
  } catch (const occam::input_error& e) {
    EXPECT_EQ(e.file(), scratch("w3.csv").string());
  }
}

TEST(Csv, GzipIsReadTransparently) {
  std::string text = "a,b\n1,2\n3,4\n";
  auto p = write_gzip("g.csv.gz", std::vector<unsigned char>(text.begin(), text.end()));
  auto d = load_dataset(p.string());
  EXPECT_EQ(d.x, (std::vector<float>{1, 3}));
  EXPECT_EQ(d.y, (std::vector<float>{2, 4}));
}

// A gzip file cut anywhere after its header is refused (the trailer's CRC-32 and length are never silently
// skipped), and so is one whose CRC does not match.
TEST(Csv, TruncatedOrCorruptGzipIsAnInputError) {
  std::string text = "a,b,y\n";
  for (int i = 0; i < 400; ++i)
    text += std::to_string(i) + "," + std::to_string(2 * i) + "," + std::to_string(i % 3) + "\n";
  const auto whole = write_gzip("whole.csv.gz", std::vector<unsigned char>(text.begin(), text.end()));
  std::ifstream in(whole, std::ios::binary);
  const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)),
                                         std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 20u);
  EXPECT_EQ(load_dataset(whole.string()).n, 400u);
  std::size_t refused = 0, tried = 0;
  // Every 17th cut of the stream, and each of the last 12 bytes (the trailer and the final block's end).
  for (std::size_t cut = 10; cut < bytes.size(); cut += (cut + 12 >= bytes.size() ? 1 : 17)) {
    const auto p = write_bytes("cut.csv.gz", std::vector<unsigned char>(bytes.begin(), bytes.begin() + cut));
    ++tried;
    try {
      load_dataset(p.string());
    } catch (const occam::input_error&) {
      ++refused;
    }
  }
  EXPECT_EQ(refused, tried);
  auto flipped = bytes;
  flipped[flipped.size() - 6] ^= 0x01;  // inside the trailer's CRC-32
  EXPECT_THROW(load_dataset(write_bytes("crc.csv.gz", flipped).string()), occam::input_error);
}

// ---------------------------------------------------------------------------------------------------------
// NPY

TEST(Npy, ReadsNumpyWrittenFiles) {
  auto x = read_npy(fixtures / "x_f4.npy");  // np.save of float32 [[0.5,-1.25,3],[2,0,-0.75]]
  EXPECT_EQ(x.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(x.dtype, "<f4");
  EXPECT_EQ(x.data, (std::vector<double>{0.5, -1.25, 3, 2, 0, -0.75}));
  auto y = read_npy(fixtures / "y_i8.npy");
  EXPECT_EQ(y.shape, (std::vector<std::size_t>{2}));
  EXPECT_EQ(y.data, (std::vector<double>{1, 0}));
  auto z = read_npy(fixtures / "z_f8_v2.npy");  // format version 2.0, arange(6).reshape(3,2)/4
  EXPECT_EQ(z.shape, (std::vector<std::size_t>{3, 2}));
  EXPECT_EQ(z.data, (std::vector<double>{0, 0.25, 0.5, 0.75, 1, 1.25}));
  auto u = read_npy(fixtures / "u1.npy");
  EXPECT_EQ(u.data, (std::vector<double>{0, 255, 7, 9}));
  EXPECT_EQ(read_npy(fixtures / "z_f8_v2.npy", 2).shape[0], 2u);
}

TEST(Npy, RejectsFortranBigEndianAndTruncatedFiles) {
  expect_input_error([] { read_npy(fixtures / "fortran_f8.npy"); }, "Fortran-order");
  expect_input_error([] { read_npy(fixtures / "big_f8.npy"); }, "unsupported NPY dtype '>f8'");
  std::ifstream in(fixtures / "z_f8_v2.npy", std::ios::binary);
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), {});
  bytes.resize(bytes.size() - 3);
  expect_input_error([&] { read_npy(write_bytes("t.npy", bytes)); }, "truncated NPY data");
  bytes.resize(9);
  expect_input_error([&] { read_npy(write_bytes("t2.npy", bytes)); }, "truncated NPY header");
  expect_input_error([] { read_npy(write_text("m.npy", "PK\3\4 not numpy")); }, "bad magic");
  std::string hdr = "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }";
  std::vector<unsigned char> c16 = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)hdr.size(), 0};
  c16.insert(c16.end(), hdr.begin(), hdr.end());
  c16.resize(c16.size() + 16);
  expect_input_error([&] { read_npy(write_bytes("c.npy", c16)); }, "unsupported NPY dtype '<c16'");
}

TEST(Npy, WriteReadRoundTripAndDataSets) {
  npy_array a;
  a.shape = {4, 2};
  a.data = {0, 1, 0.5, 0, 1, 1, 0.25, 0};
  write_npy(scratch("a.npy"), a);
  auto b = read_npy(scratch("a.npy"));
  EXPECT_EQ(b.shape, a.shape);
  EXPECT_EQ(b.data, a.data);
  EXPECT_EQ(b.dtype, "<f8");
  write_npy(scratch("a4.npy"), a, true);
  EXPECT_EQ(read_npy(scratch("a4.npy")).dtype, "<f4");
  EXPECT_EQ(read_npy(scratch("a4.npy")).data, a.data);
  {
    std::ifstream in(scratch("a.npy"), std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ((all.size() - 8 * 8) % 64, 0u);  // data aligned to 64 bytes as NumPy does
  }
  // One matrix: the last column is the target.
  auto d = load_dataset(scratch("a.npy").string());
  EXPECT_EQ(d.d_in, 1u);
  EXPECT_EQ(d.x, (std::vector<float>{0, 0.5f, 1, 0.25f}));
  EXPECT_EQ(d.y, (std::vector<float>{1, 0, 1, 0}));
  EXPECT_EQ(d.input_box.lo[0], 0.0f);
  EXPECT_EQ(d.input_box.hi[0], 1.0f);
  // X.npy + Y.npy.
  load_params lp;
  lp.targets_path = (fixtures / "y_i8.npy").string();
  lp.kind = "auto";
  d = load_npy_dataset(fixtures / "x_f4.npy", lp);
  EXPECT_EQ(d.d_in, 3u);
  EXPECT_EQ(d.kind, task_kind::binary);
  EXPECT_EQ(d.y, (std::vector<float>{1, 0}));
  lp.targets_path = (fixtures / "z_f8_v2.npy").string();
  expect_input_error([&] { load_npy_dataset(fixtures / "x_f4.npy", lp); }, "has 3 rows");
  npy_array bad;
  bad.shape = {2, 2};
  bad.data = {1, NAN, 0, 0};
  write_npy(scratch("nan.npy"), bad);
  expect_input_error([&] { load_dataset(scratch("nan.npy").string()); }, "NaN");
  npy_array empty;
  empty.shape = {0, 3};
  write_npy(scratch("empty.npy"), empty);
  expect_input_error([&] { load_dataset(scratch("empty.npy").string()); }, "no rows");
  npy_array huge;  // a header claiming far more data than the file holds: an error, not an allocation
  huge.shape = {1, 2};
  huge.data = {1, 2};
  write_npy(scratch("huge.npy"), huge);
  {
    std::ifstream in(scratch("huge.npy"), std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), {});
    all.replace(all.find("(1, 2)"), 6, "(9999999999, 2)");  // same header block (padded to 64 bytes)
    all.erase(all.find("}") + 1, 9);
    write_text("huge.npy", all);
  }
  expect_input_error([&] { read_npy(scratch("huge.npy")); },
                     "truncated NPY data: expected 159999999984 bytes");
}

// ---------------------------------------------------------------------------------------------------------
// PLA data sets and IWLS truth tables

TEST(PlaDataset, FullySpecifiedRowsBecomeABinaryDataSet) {
  auto d = load_dataset((fixtures / "small.pla").string());
  EXPECT_EQ(d.kind, task_kind::binary);
  EXPECT_TRUE(d.boolean_inputs);
  EXPECT_EQ(d.n, 4u);
  EXPECT_EQ(d.d_in, 3u);
  EXPECT_EQ(d.d_out, 2u);
  EXPECT_EQ(d.x, (std::vector<float>{0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0}));
  EXPECT_EQ(d.y, (std::vector<float>{1, 0, 0, 1, 1, 0, 1, 0}));
  EXPECT_EQ(d.input_box.hi, std::vector<float>(3, 1.0f));
  expect_input_error([] { pla_to_dataset(pla_from(".i 2\n.o 1\n01 1\n1- 0\n"), "c.pla"); }, "input 2 is '-'",
                     4);
  expect_input_error([] { pla_to_dataset(pla_from(".i 2\n.o 1\n01 1\n11 -\n"), "c.pla"); }, "don't-care", 4);
}

TEST(TruthTable, BitOrderMatchesBerkeleyAbc) {
  // abc3.truth holds three outputs; abc3.abc.pla is what berkeley-abc wrote for it
  // (read_truth -x -f abc3.truth; collapse; write_pla). The data set must agree with ABC's cubes on all rows.
  auto d = load_truth_table(fixtures / "abc3.truth");
  auto abc = read_pla(fixtures / "abc3.abc.pla");
  ASSERT_EQ(d.d_in, 3u);
  ASSERT_EQ(d.d_out, 3u);
  expect_full_truth_table(d);
  for (std::size_t r = 0; r < d.n; ++r) {
    EXPECT_EQ(d.row(r)[0] + 2 * d.row(r)[1] + 4 * d.row(r)[2], float(r));  // row m is minterm m, x_0 = LSB
    for (unsigned j = 0; j < 3; ++j) {
      bool on = false;
      for (std::size_t c = 0; c < abc.inputs.size(); ++c) {
        bool match = abc.outputs[c][j] == '1';
        for (unsigned i = 0; i < 3; ++i)
          if (abc.inputs[c][i] != '-' && (abc.inputs[c][i] == '1') != bit(d, r, i)) match = false;
        on |= match;
      }
      EXPECT_EQ(d.target(r)[j], on ? 1.0f : 0.0f) << "minterm " << r << " output " << j;
    }
  }
  // Stated directly: line 1 "11110000" is x_2; line 2 "00100010" is x_0 AND NOT x_1.
  for (std::size_t r = 0; r < d.n; ++r) {
    EXPECT_EQ(d.target(r)[0], float(bit(d, r, 2)));
    EXPECT_EQ(d.target(r)[1], float(bit(d, r, 0) && !bit(d, r, 1)));
  }
}

TEST(TruthTable, MalformedFiles) {
  expect_input_error([] { load_truth_table(write_text("e.truth", "\n")); }, "empty file");
  expect_input_error([] { load_truth_table(write_text("b.truth", "0110\n01x0\n")); },
                     "bad character 'x' at column 3", 2);
  expect_input_error([] { load_truth_table(write_text("p.truth", "011\n")); }, "not 2^n", 1);
  expect_input_error([] { load_truth_table(write_text("l.truth", "0110\n01101001\n")); }, "the first has 4",
                     2);
}

// ---------------------------------------------------------------------------------------------------------
// IDX

namespace {
std::vector<unsigned char> be32(std::uint32_t v) {
  return {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
}
std::vector<unsigned char> idx_images(std::uint32_t n, std::uint32_t h, std::uint32_t w) {
  std::vector<unsigned char> b;
  for (auto v : {0x803u, n, h, w}) {
    auto q = be32(v);
    b.insert(b.end(), q.begin(), q.end());
  }
  for (std::uint32_t i = 0; i < n * h * w; ++i) b.push_back(static_cast<unsigned char>((i * 37) % 256));
  return b;
}
std::vector<unsigned char> idx_labels(std::vector<unsigned char> labels) {
  std::vector<unsigned char> b = be32(0x801);
  auto q = be32(static_cast<std::uint32_t>(labels.size()));
  b.insert(b.end(), q.begin(), q.end());
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}
}  // namespace

TEST(Idx, ReadsPlainAndGzipPairs) {
  auto img = idx_images(3, 2, 3);
  auto lab = idx_labels({4, 0, 9});
  for (bool gz : {false, true}) {
    auto pi = gz ? write_gzip("a-images-idx3-ubyte.gz", img) : write_bytes("a-images-idx3-ubyte", img);
    auto pl = gz ? write_gzip("a-labels-idx1-ubyte.gz", lab) : write_bytes("a-labels-idx1-ubyte", lab);
    auto d = load_dataset(pi.string());  // the labels file name is derived from the images file name
    EXPECT_EQ(d.kind, task_kind::multiclass);
    EXPECT_EQ(d.n_classes, 10u);
    EXPECT_EQ(d.n, 3u);
    EXPECT_EQ(d.d_in, 6u);
    EXPECT_EQ(d.y, (std::vector<float>{4, 0, 9}));
    for (std::size_t i = 0; i < d.x.size(); ++i) EXPECT_FLOAT_EQ(d.x[i], float((i * 37) % 256) / 255.0f);
    EXPECT_EQ(d.input_box.hi, std::vector<float>(6, 1.0f));
    EXPECT_EQ(load_idx_pair(pi, pl, 2).n, 2u);
  }
}

TEST(Idx, MalformedFiles) {
  auto img = idx_images(3, 2, 2);
  auto lab = idx_labels({1, 2, 3});
  auto good_i = write_bytes("g-images", img), good_l = write_bytes("g-labels", lab);
  auto trunc = img;
  trunc.resize(trunc.size() - 1);
  expect_input_error([&] { load_idx_pair(write_bytes("t-images", trunc), good_l); }, "truncated IDX images");
  auto trunc_l = lab;
  trunc_l.pop_back();
  expect_input_error([&] { load_idx_pair(good_i, write_bytes("t-labels", trunc_l)); },
                     "truncated IDX labels");
  expect_input_error([&] { load_idx_pair(good_l, good_l); }, "bad IDX magic for images");
  expect_input_error([&] { load_idx_pair(good_i, good_i); }, "bad IDX magic for labels");
  expect_input_error(
      [&] {
        load_idx_pair(good_i, write_bytes("c-labels", idx_labels({1, 2})));
      },
      "holds 3 images but");
  expect_input_error(
      [&] {
        load_idx_pair(good_i, write_bytes("r-labels", idx_labels({1, 12, 3})));
      },
      "label 12 of item 1");
  expect_input_error(
      [&] {
        load_idx_pair(write_bytes("h-images", {0, 0, 8}), good_l);
      },
      "truncated IDX header");
}

// ---------------------------------------------------------------------------------------------------------
// Dispatch

TEST(LoadDataset, DispatchesAndExplainsFailures) {
  EXPECT_EQ(load_dataset("parity:4").n, 16u);
  load_params lp;
  lp.task.samples = 10;
  EXPECT_EQ(load_dataset("sine:2", lp).n, 10u);
  EXPECT_EQ(load_dataset((fixtures / "abc3.truth").string()).d_out, 3u);
  expect_input_error([] { load_dataset(write_text("x.xyz", "1").string()); }, "unknown data format");
  expect_input_error([] { load_dataset("no/such/file.csv"); }, "no such file, and not a built-in task");
  expect_input_error([] { load_dataset("fashion-mnist:valid"); }, "'train' or 'test'");
}
