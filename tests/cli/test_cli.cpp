// The occam executable end to end: exit code 2 and a file:line message on bad input; a run killed with
// SIGKILL and restarted with --resume ends with the same model file as an uninterrupted run.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "occam/util/atomic_file.hpp"
#include "occam_cli_test.hpp"

namespace fs = std::filesystem;

namespace {
const std::string kOccam = std::string(OCCAM_BINARY_DIR) + "/apps/occam/occam";
using result = occam_test::cli_result;
constexpr auto run = &occam_test::run_occam;
fs::path temp_dir(const std::string& name) {
  return occam_test::temp_dir("cli", name);
}

std::size_t count_lines(const fs::path& f) {
  std::ifstream in(f);
  std::size_t n = 0;
  std::string l;
  while (std::getline(in, l)) ++n;
  return n;
}
}  // namespace

TEST(Cli, HelpListsTheSubcommands) {
  auto r = run("--help");
  EXPECT_EQ(r.code, 0);
  for (auto sub : {"train", "eval", "data"}) EXPECT_NE(r.output.find(sub), std::string::npos) << sub;
}

TEST(Cli, BadInputExitsWithCode2AndNamesFileAndLine) {
  auto dir = temp_dir("bad");
  occam::write_file_atomic(dir / "bad.csv", "a,b,y\n1,2,3\n4,5\n");
  auto r = run("train --data " + (dir / "bad.csv").string() + " --out " + (dir / "o").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("bad.csv:3"), std::string::npos) << r.output;

  r = run("train --data " + (dir / "missing.pla").string() + " --out " + (dir / "o").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("missing.pla"), std::string::npos) << r.output;

  r = run("train --task parity:0 --out " + (dir / "o").string());
  EXPECT_EQ(r.code, 2) << r.output;

  r = run("train --task parity:4 --width 2 --out " + (dir / "o").string());  // w < d_in
  EXPECT_EQ(r.code, 2) << r.output;

  r = run("train --task parity:4 --no-such-flag");
  EXPECT_EQ(r.code, 2) << r.output;

  r = run("eval " + (dir / "bad.csv").string() + " --task parity:4");  // not a model file
  EXPECT_EQ(r.code, 2) << r.output;
}

TEST(Cli, TrainThenEvalAgree) {
  auto dir = temp_dir("traineval");
  auto r =
      run("train --task majority:5 --width 8 --hidden 8 --depth 2 --epochs 30 --batch 8 --lr 0.01 "
          "--valid-fraction 0 --out " +
          dir.string());
  ASSERT_EQ(r.code, 0) << r.output;
  for (auto f : {"model.occam", "metrics.jsonl", "summary.json"}) EXPECT_TRUE(fs::exists(dir / f)) << f;
  EXPECT_EQ(count_lines(dir / "metrics.jsonl"), 30u);
  auto summary = nlohmann::json::parse(occam::read_file(dir / "summary.json"));
  r = run("eval " + (dir / "model.occam").string() + " --task majority:5 --json");
  ASSERT_EQ(r.code, 0) << r.output;
  auto ev = nlohmann::json::parse(r.output);
  EXPECT_NEAR(ev["loss"].get<double>(), summary["val_loss"].get<double>(), 1e-6);
  EXPECT_NEAR(ev["accuracy"].get<double>(), summary["val_accuracy"].get<double>(), 1e-12);

  r = run("eval " + (dir / "model.occam").string() + " --task parity:6");  // wrong input count
  EXPECT_EQ(r.code, 2) << r.output;
}

TEST(Cli, SigkilledRunResumesToTheSameModel) {
  auto dir = temp_dir("kill");
  const std::string args =
      "train --task parity:10 --width 32 --hidden 32 --depth 4 --epochs 60 --batch 32 "
      "--threads 1 --seed 5 --no-progress --out ";
  auto full = run(args + (dir / "full").string());
  ASSERT_EQ(full.code, 0) << full.output;

  // Start the same run, SIGKILL it once a few epochs are logged (wherever it is), then resume.
  const fs::path killed = dir / "killed";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::string cmd = kOccam + " " + args + killed.string() + " >/dev/null 2>&1";
    execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), (char*)nullptr);
    _exit(127);
  }
  for (int i = 0; i < 6000 && count_lines(killed / "metrics.jsonl") < 5; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  auto resumed = run(args + killed.string() + " --resume");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_EQ(occam::read_file(dir / "full" / "model.occam"), occam::read_file(killed / "model.occam"));
  EXPECT_EQ(count_lines(killed / "metrics.jsonl"), 60u);
  auto a = nlohmann::json::parse(occam::read_file(dir / "full" / "summary.json"));
  auto b = nlohmann::json::parse(occam::read_file(killed / "summary.json"));
  EXPECT_EQ(a["val_loss"], b["val_loss"]);
  EXPECT_EQ(a["best_epoch"], b["best_epoch"]);
}

// ---------------------------------------------------------------------------------------------------------
// `occam construct` (THEORY §7) and `occam tetrakis eval` (THEORY §6, §8): the constructed model file, read
// back by an independent THEORY §1 evaluator, equals the circuit on every ±1 input; tetrakis eval agrees with
// the library; bad input exits with code 2.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <vector>

#include "occam/circuit/io.hpp"
#include "occam/tetrakis/tetrakis.hpp"

namespace construct_cli_tests {

/// A model file (THEORY §1 ResNet): magic line, JSON header, float32 tensors W1, V1, …, WL, VL, U.
struct model_file {
  nlohmann::json header;
  std::vector<std::vector<float>> tensors;
};

model_file read_model(const fs::path& path) {
  const std::string bytes = occam::read_file(path);
  const std::size_t l1 = bytes.find('\n');
  const std::size_t l2 = bytes.find('\n', l1 + 1);
  model_file m;
  m.header = nlohmann::json::parse(bytes.substr(l1 + 1, l2 - l1 - 1));
  std::size_t at = l2 + 1;
  for (const auto& t : m.header.at("tensors")) {
    std::size_t count = 1;
    for (const auto& s : t.at("shape")) count *= s.get<std::size_t>();
    std::vector<float> v(count);
    EXPECT_LE(at + 4 * count, bytes.size());
    std::memcpy(v.data(), bytes.data() + at, 4 * count);
    at += 4 * count;
    m.tensors.push_back(std::move(v));
  }
  EXPECT_EQ(at, bytes.size());
  return m;
}

/// α_0 = (x, 0…0, 1); α_ℓ = α_{ℓ−1} + [V_ℓ σ(W_ℓ α_{ℓ−1}); 0]; f = U α_L — in double precision.
std::vector<double> evaluate_model(const model_file& m, const std::vector<double>& x) {
  const auto w = m.header.at("width").get<std::size_t>(), k = m.header.at("hidden").get<std::size_t>();
  const auto depth = m.header.at("depth").get<std::size_t>(), d_out = m.header.at("d_out").get<std::size_t>();
  std::vector<double> alpha(w + 1, 0.0);
  for (std::size_t i = 0; i < x.size(); ++i) alpha[i] = x[i];
  alpha[w] = 1.0;
  for (std::size_t l = 0; l < depth; ++l) {
    const auto& W = m.tensors[2 * l];
    const auto& V = m.tensors[2 * l + 1];
    std::vector<double> a(k);
    for (std::size_t j = 0; j < k; ++j) {
      double z = 0;
      for (std::size_t i = 0; i <= w; ++i) z += double(W[j * (w + 1) + i]) * alpha[i];
      a[j] = std::max(0.0, z);
    }
    for (std::size_t i = 0; i < w; ++i)
      for (std::size_t j = 0; j < k; ++j) alpha[i] += double(V[i * k + j]) * a[j];
  }
  const auto& U = m.tensors.back();
  std::vector<double> out(d_out, 0.0);
  for (std::size_t o = 0; o < d_out; ++o)
    for (std::size_t i = 0; i <= w; ++i) out[o] += double(U[o * (w + 1) + i]) * alpha[i];
  return out;
}

// o0 = a ∧ ¬b, o1 = (a ∧ ¬b) ∨ ¬c  (inputs a, b, c = AIGER literals 2, 4, 6).
const char* kTwoOutputAag = "aag 5 3 0 2 2\n2\n4\n6\n8\n11\n8 5 2\n10 9 6\n";

}  // namespace construct_cli_tests

TEST(CliConstruct, ModelEqualsTheCircuitOnEveryPlusMinusOneInput) {
  using namespace construct_cli_tests;
  auto dir = temp_dir("construct");
  occam::write_file_atomic(dir / "c.aag", kTwoOutputAag);
  auto r = run("construct " + (dir / "c.aag").string() + " --out " + (dir / "m.occam").string() + " --json");
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["ands"].get<int>(), 2);
  EXPECT_EQ(j["outputs"].get<int>(), 2);
  EXPECT_LE(j["rtilde"].get<double>(), j["certified_r"].get<double>() * (1 + 1e-9));  // THEORY §3: R̃ ≤ R
  const model_file m = read_model(dir / "m.occam");
  EXPECT_EQ(m.header["d_in"].get<int>(), 3);
  EXPECT_EQ(m.header["d_out"].get<int>(), 2);
  std::ostringstream csv;
  csv << "x0,x1,x2,y\n";
  for (int v = 0; v < 8; ++v) {
    const bool a = v & 1, b = v & 2, c = v & 4;
    const std::vector<double> x = {a ? 1.0 : -1.0, b ? 1.0 : -1.0, c ? 1.0 : -1.0};
    const auto f = evaluate_model(m, x);
    ASSERT_EQ(f.size(), 2u);
    const bool o0 = a && !b, o1 = o0 || !c;
    EXPECT_NEAR(f[0], o0 ? 1.0 : -1.0, 1e-6) << "input " << v;  // ±1 encoding (THEORY §7)
    EXPECT_NEAR(f[1], o1 ? 1.0 : -1.0, 1e-6) << "input " << v;
    // Positive homogeneity: λ·bits ↦ λ·outputs.
    const auto g = evaluate_model(m, {2.5 * x[0], 2.5 * x[1], 2.5 * x[2]});
    EXPECT_NEAR(g[0], 2.5 * f[0], 1e-5);
    EXPECT_NEAR(g[1], 2.5 * f[1], 1e-5);
    csv << x[0] << ',' << x[1] << ',' << x[2] << ',' << (o0 ? 1 : -1) << '\n';
  }
  // The one-output slice through `occam eval`: a model of o0 alone, regression targets ±1 → MSE 0.
  occam::write_file_atomic(dir / "o0.aag", "aag 4 3 0 1 1\n2\n4\n6\n8\n8 5 2\n");
  occam::write_file_atomic(dir / "all.csv", csv.str());
  r = run("construct " + (dir / "o0.aag").string() + " --out " + (dir / "o0.occam").string() +
          " --no-complexity");
  ASSERT_EQ(r.code, 0) << r.output;
  r = run("eval " + (dir / "o0.occam").string() + " --data " + (dir / "all.csv").string() +
          " --kind regression --json");
  ASSERT_EQ(r.code, 0) << r.output;
  auto ev = nlohmann::json::parse(r.output);
  EXPECT_EQ(ev["n"].get<int>(), 8);
  EXPECT_LT(ev["mse"].get<double>(), 1e-10);
}

TEST(CliConstruct, TetrakisEvalMatchesTheLibraryAndItsResNet) {
  using namespace construct_cli_tests;
  auto dir = temp_dir("tetrakis_eval");
  // d = 2, k = 1: 4 inputs (bits of v_0 are inputs 0, 1; of v_1 inputs 2, 3); out = (x0 ∧ x2) ∨ x3.
  occam::write_file_atomic(dir / "t.aag", "aag 6 4 0 1 2\n2\n4\n6\n8\n13\n10 6 2\n12 11 9\n");
  std::vector<double> pts = {0,    0,   1,   1,   0.5,  0.5, 0,    1,   0.25,
                             0.75, 0.1, 0.3, 0.9, 0.45, 0.6, 0.05, 1.3, -0.2};
  std::ostringstream csv;
  csv.precision(17);
  csv << "x0,x1\n";
  for (std::size_t p = 0; p < pts.size(); p += 2) csv << pts[p] << ',' << pts[p + 1] << '\n';
  occam::write_file_atomic(dir / "p.csv", csv.str());
  auto r = run("tetrakis eval " + (dir / "t.aag").string() + " --level 1 --points " +
               (dir / "p.csv").string() + " --out " + (dir / "T.csv").string() + " --network");
  ASSERT_EQ(r.code, 0) << r.output;
  // The CLI echoes the points it read (CSV coordinates are read as float32) and T_C there; the library's
  // T_C (sign decoding: one output) on the echoed points must match to double precision.
  std::istringstream in(occam::read_file(dir / "T.csv"));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "x0,x1,T");
  std::vector<double> echoed, values;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string f;
    std::vector<double> row;
    while (std::getline(fields, f, ',')) row.push_back(std::stod(f));
    ASSERT_EQ(row.size(), 3u) << line;
    echoed.push_back(row[0]);
    echoed.push_back(row[1]);
    values.push_back(row[2]);
  }
  ASSERT_EQ(echoed.size(), pts.size());
  for (std::size_t i = 0; i < pts.size(); ++i) EXPECT_NEAR(echoed[i], pts[i], 1e-6);
  const occam::circuit::aig g = occam::circuit::read_circuit(dir / "t.aag");
  const auto expected = occam::tetrakis::tetrakis_function(
      g, occam::tetrakis::grid_map::unit(2, 1), {occam::tetrakis::decoding::kind::sign, 1.0}, echoed);
  for (std::size_t p = 0; p < values.size(); ++p) {
    EXPECT_NEAR(values[p], expected[p], 1e-12) << "point " << p;
    EXPECT_LE(std::fabs(values[p]), 1.0 + 1e-12);  // a convex combination of ±1 vertex values
  }
  // At grid vertices T_C is dec(C(v)): (0,0) → bits 0000 → out 0 → −1; (1,1) → v = (2,2) → bits of 2 are
  // (0,1) per coordinate → x3 = 1 → +1; (0.5,0.5) → v = (1,1) → x0 = x2 = 1 → +1.
  EXPECT_NEAR(expected[0], -1.0, 1e-12);
  EXPECT_NEAR(expected[1], 1.0, 1e-12);
  EXPECT_NEAR(expected[2], 1.0, 1e-12);
  // --network: the THEORY §8 ResNet agrees with T_C (stderr line "max |ResNet(x) − T_C(x)| = …").
  const auto at = r.output.find("= ", r.output.find("T_C(x)|"));
  ASSERT_NE(at, std::string::npos) << r.output;
  EXPECT_LT(std::stod(r.output.substr(at + 2)), 1e-9) << r.output;
}

// `occam tetrakis compile` (docs/tetrakis.md, Prop 7): the written real-to-bin AIG, simulated on all 2^6
// fixed-point inputs, equals T_C to the stated precision; a circuit with the wrong input count exits with 2.
TEST(CliConstruct, TetrakisCompileWritesTheRealToBinCircuit) {
  auto dir = temp_dir("tetrakis_compile");
  occam::write_file_atomic(dir / "t.aag",
                           "aag 6 4 0 1 2\n2\n4\n6\n8\n13\n10 6 2\n12 11 9\n");  // d = 2, k = 1
  auto r = run("tetrakis compile " + (dir / "t.aag").string() + " --level 1 --dims 2 --input-bits 3 " +
               "--output-fraction-bits 1 --out " + (dir / "rb.aag").string());
  ASSERT_EQ(r.code, 0) << r.output;
  const occam::circuit::aig c = occam::circuit::read_circuit(dir / "t.aag");
  const occam::circuit::aig rb = occam::circuit::read_circuit(dir / "rb.aag");
  ASSERT_EQ(rb.num_pis(), 6u);
  std::vector<double> x;
  for (unsigned m = 0; m < 64; ++m) {
    x.push_back(double(m & 7u) / 8.0);
    x.push_back(double(m >> 3) / 8.0);
  }
  const auto T = occam::tetrakis::tetrakis_function(c, occam::tetrakis::grid_map::unit(2, 1),
                                                    {occam::tetrakis::decoding::kind::sign, 1.0}, x);
  for (unsigned m = 0; m < 64; ++m) {
    // Reference evaluation of the written AIG (inputs: bits of X_0, then of X_1, LSB first).
    std::vector<char> val(rb.num_nodes(), 0);
    for (std::size_t i = 0; i < 6; ++i) val[rb.pi_node(i)] = char((m >> i) & 1u);
    auto lit = [&](occam::circuit::literal l) {
      return char(val[occam::circuit::lit_node(l)] ^ char(occam::circuit::lit_complemented(l)));
    };
    for (occam::circuit::node_id n = 1; n < rb.num_nodes(); ++n)
      if (rb.is_and(n)) val[n] = char(lit(rb.fanin0(n)) & lit(rb.fanin1(n)));
    double y = 0;
    for (std::size_t b = 0; b < rb.num_pos(); ++b)
      if (lit(rb.po(b))) y += (b + 1 == rb.num_pos() ? -1.0 : 1.0) * std::ldexp(1.0, int(b));
    EXPECT_LE(std::fabs(y / 2 - T[m]), 0.25 + 1e-12) << m;  // p = 1: round to nearest 1/2
  }
  auto bad = run("tetrakis compile " + (dir / "t.aag").string() +
                 " --level 1 --dims 3 --input-bits 3" +  // 4 inputs ≠ d·(k+1) = 6
                 " --out " + (dir / "bad.aag").string());
  EXPECT_EQ(bad.code, 2) << bad.output;
  EXPECT_FALSE(fs::exists(dir / "bad.aag"));
}

TEST(CliConstruct, BadInputExitsWithCode2) {
  using namespace construct_cli_tests;
  auto dir = temp_dir("construct_bad");
  occam::write_file_atomic(dir / "c.aag", kTwoOutputAag);
  occam::write_file_atomic(dir / "garbage.aag", "aag 5 3 0 2\nnot a circuit\n");
  occam::write_file_atomic(dir / "t.aag", "aag 6 4 0 1 2\n2\n4\n6\n8\n13\n10 6 2\n12 11 9\n");
  occam::write_file_atomic(dir / "p.csv", "x0,x1\n0.1,0.2\n");
  occam::write_file_atomic(dir / "bad_points.csv", "x0,x1\n0.1,0.2\n0.3\n");
  const std::string c = (dir / "c.aag").string(), out = " --out " + (dir / "m.occam").string();
  const std::string t = (dir / "t.aag").string();  // 4 inputs: d = 2, k = 1
  for (const std::string& args :
       {"construct " + (dir / "garbage.aag").string() + out,        // malformed AIGER
        "construct " + (dir / "missing.aag").string() + out,        // no such file
        "construct " + c + " --level 2" + out,                      // --level without --tetrakis
        "construct " + c + " --tetrakis --level 1" + out,           // --tetrakis without --dims
        "construct " + c + " --tetrakis --level 1 --dims 2" + out,  // 3 inputs ≠ d(k+1) = 4
        "tetrakis eval " + c + " --level 1 --points " + (dir / "p.csv").string(),           // 3 inputs ≠ 4
        "tetrakis eval " + t + " --level 1 --points " + (dir / "bad_points.csv").string(),  // ragged CSV
        "tetrakis eval " + t + " --level 1 --points " + (dir / "p.csv").string() + " --lo 0 0 0",
        "tetrakis eval " + t + " --level 1 --points " + (dir / "p.csv").string() + " --hi 0",
        "tetrakis eval " + t + " --level 1 --points " + (dir / "p.csv").string() + " --decoding nonsense"}) {
    auto r = run(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.output;
  }
  EXPECT_FALSE(fs::exists(dir / "m.occam"));
}

// occam fw (THEORY §9, docs/fw.md): the outputs of a small run, τ chosen on validation, bad input → exit 2.
TEST(CliFw, WritesModelCircuitMetricsReport) {
  auto dir = temp_dir("fw");
  auto r = run("fw --task sine:2 --samples 300 --levels 2 --max-gates 2 --tau 1,4 --iters 8 --out " +
               dir.string());
  ASSERT_EQ(r.code, 0) << r.output;
  for (auto f : {"model.json", "circuit.aig", "metrics.jsonl", "report.json"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  EXPECT_TRUE(fs::exists(dir / "atoms"));
  EXPECT_EQ(count_lines(dir / "metrics.jsonl"), 16u);  // 8 iterations for each τ
  auto rep = nlohmann::json::parse(occam::read_file(dir / "report.json"));
  double tau = rep["tau_selected"].get<double>();
  EXPECT_TRUE(tau == 1 || tau == 4) << tau;
  EXPECT_EQ(rep["selected_on"], "valid");
  EXPECT_GT(rep["circuit"]["ands"].get<std::size_t>(), 0u);
  EXPECT_EQ(rep["circuit"]["inputs"].get<std::size_t>(), 20u);  // d·n = 2·10 (--input-bits)
  EXPECT_GE(rep["errors"]["valid"]["mse"].get<double>(), 0.0);
  // The objective never increases within a run (exact line search).
  std::ifstream in(dir / "metrics.jsonl");
  std::string line;
  double prev = 1e300, prev_tau = -1;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    if (j["tau"].get<double>() != prev_tau) prev = 1e300;
    prev_tau = j["tau"].get<double>();
    EXPECT_LE(j["objective"].get<double>(), prev + 1e-12);
    prev = j["objective"].get<double>();
  }
  const std::string out = " --out " + (dir / "bad").string();
  for (const std::string& args : {"fw --task parity:4 --iters 2" + out,         // Boolean targets
                                  "fw --task sine:2 --tau -1 --iters 2" + out,  // τ ≤ 0
                                  "fw --task sine:2 --max-gates 7 --oracle exact" + out,
                                  "fw --data " + (dir / "missing.csv").string() + out}) {
    auto b = run(args);
    EXPECT_EQ(b.code, 2) << args << "\n" << b.output;
  }
}

// ---------------------------------------------------------------------------------------------------------
// `occam circuit synth` (docs/circuit.md "Truth-table synthesis"): the written AIG, simulated exhaustively by
// `occam circuit sim`, has exactly the .truth file's table; unseen rows of a .pla are free; more than 20
// inputs exit with code 2.
TEST(Cli, CircuitSynthWritesAnAigWithTheTable) {
  auto dir = temp_dir("synth");
  // Two outputs on 4 inputs, most significant minterm first (the IWLS .truth order): the sum bit of
  // x0 + x1 + x2 + x3 mod 2, and the majority-ish "at least 3 ones".
  std::string parity, atleast3;
  for (int m = 15; m >= 0; --m) {
    parity += (__builtin_popcount(m) & 1) ? '1' : '0';
    atleast3 += __builtin_popcount(m) >= 3 ? '1' : '0';
  }
  occam::write_file_atomic(dir / "f.truth", parity + "\n" + atleast3 + "\n");
  auto r = run("circuit synth " + (dir / "f.truth").string() + " --out " + (dir / "f.aig").string() +
               " --verilog " + (dir / "f.v").string() + " --script none --json");
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["inputs"], 4);
  EXPECT_EQ(j["outputs"], 2);
  EXPECT_EQ(j["care_minterms"], 32);
  EXPECT_TRUE(fs::exists(dir / "f.v"));
  auto hex = [](const std::string& bits) {  // most significant first, as `circuit sim --exhaustive`
    std::string h;
    for (std::size_t i = 0; i < bits.size(); i += 4)
      h += "0123456789abcdef"[std::stoi(bits.substr(i, 4), nullptr, 2)];
    return h;
  };
  auto s = run("circuit sim " + (dir / "f.aig").string() + " --exhaustive --json");
  ASSERT_EQ(s.code, 0) << s.output;
  auto sj = nlohmann::json::parse(s.output);
  EXPECT_EQ(sj["truth_tables"][0], hex(parity));
  EXPECT_EQ(sj["truth_tables"][1], hex(atleast3));
  auto st = nlohmann::json::parse(run("circuit stats " + (dir / "f.aig").string() + " --json").output);
  EXPECT_EQ(st["ands"], j["ands"]);
  EXPECT_LE(st["ands"].get<int>(), 9 + 9);  // parity of 4 is 3 XORs = 9 ANDs; the other is smaller

  // A PLA with only some rows: the written circuit agrees on those rows (`circuit eval`: accuracy 1).
  occam::write_file_atomic(dir / "p.pla", ".i 5\n.o 1\n.type fr\n00000 1\n11111 0\n10101 1\n01010 0\n.e\n");
  r = run("circuit synth " + (dir / "p.pla").string() + " --out " + (dir / "p.aag").string() +
          " --script none");
  ASSERT_EQ(r.code, 0) << r.output;
  auto e = nlohmann::json::parse(
      run("circuit eval " + (dir / "p.aag").string() + " --data " + (dir / "p.pla").string() + " --json")
          .output);
  EXPECT_EQ(e["accuracy"], 1.0);
  EXPECT_LE(e["ands"].get<int>(), 1);  // one input separates the two classes on the rows given

  // 21 inputs: refused with exit code 2, nothing written.
  occam::write_file_atomic(dir / "big.pla", ".i 21\n.o 1\n.type fr\n" + std::string(21, '0') + " 1\n" +
                                                std::string(21, '1') + " 0\n.e\n");
  r = run("circuit synth " + (dir / "big.pla").string() + " --out " + (dir / "big.aig").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("20 inputs"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "big.aig"));
  occam::remove_tree(dir);
}

TEST(CliConvex, Relu2AdmmWritesAFeasibleModelAndRejectsBadSolverChoices) {
  // `occam convex --model relu2 --solver admm` (THEORY §10): the metrics report a converged, feasible
  // solution whose recovered network has the convex objective; solver/model mismatches exit with code 2.
  auto dir = temp_dir("convex_admm");
  std::string csv = "x1,x2,y\n";
  for (int i = 0; i < 12; ++i) {
    const double a = -1 + 2.0 * i / 11, b = std::sin(3.0 * i);
    csv += std::to_string(a) + "," + std::to_string(b) + "," + std::to_string(std::fabs(a) - 0.3 * b) + "\n";
  }
  occam::write_file_atomic(dir / "d.csv", csv);
  const std::string data = " --data " + (dir / "d.csv").string();
  auto r =
      run("convex --model relu2 --solver admm --enumerate --bias --lambda 0.01 --tol 1e-5 --max-iter 100000" +
          data + " --out " + (dir / "o").string());
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream in(dir / "o" / "metrics.json");
  auto m = nlohmann::json::parse(in);
  auto last = m.contains("path") ? m["path"].back() : m;
  EXPECT_TRUE(last["converged"].get<bool>()) << m.dump();
  EXPECT_LE(last["violation"].get<double>(), 1e-6) << m.dump();
  EXPECT_NEAR(last["network_objective"].get<double>(), last["objective"].get<double>(),
              1e-4 * last["objective"].get<double>())
      << m.dump();
  EXPECT_TRUE(fs::exists(dir / "o" / "model.occam"));

  r = run("convex --model gated2 --solver admm --lambda 0.01" + data + " --out " + (dir / "g").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("relu2"), std::string::npos) << r.output;
  r = run("convex --model relu2 --solver admm --loss logistic --lambda 0.01" + data + " --out " +
          (dir / "l").string());
  EXPECT_EQ(r.code, 2) << r.output;
  r = run("convex --model relu2 --solver newton --lambda 0.01" + data + " --out " + (dir / "n").string());
  EXPECT_EQ(r.code, 2) << r.output;
  occam::remove_tree(dir);
}

TEST(CliConvex, Gated2MetricAndPlainStepReachTheSameOptimum) {
  // `occam convex --model gated2` runs FISTA in the low-rank metric by default (docs/convex.md);
  // `--metric-rank 0` is the plain step. Both converge to the same objective (float64), the metrics report
  // the metric builds and the products, and a negative rank exits with code 2.
  auto dir = temp_dir("convex_metric");
  std::string csv = "x1,x2,x3,y\n";
  for (int i = 0; i < 40; ++i) {
    const double a = std::sin(1.7 * i), b = a + 0.3 * std::cos(2.3 * i), c = a + 0.3 * std::sin(0.7 * i + 1);
    csv += std::to_string(a) + "," + std::to_string(b) + "," + std::to_string(c) + "," +
           std::to_string(std::fabs(a) - 0.5 * b * c) + "\n";
  }
  occam::write_file_atomic(dir / "d.csv", csv);
  const std::string common =
      "convex --model gated2 --patterns 30 --bias --float64 --lambda 0.005 --tol 1e-9 "
      "--data " +
      (dir / "d.csv").string();
  double objective[2] = {0, 0};
  for (int plain = 0; plain < 2; ++plain) {
    const auto out = dir / (plain ? "plain" : "metric");
    auto r = run(common + (plain ? " --metric-rank 0" : "") + " --out " + out.string());
    ASSERT_EQ(r.code, 0) << r.output;
    std::ifstream in(out / "metrics.json");
    auto m = nlohmann::json::parse(in);
    EXPECT_TRUE(m["converged"].get<bool>()) << m.dump();
    EXPECT_GT(m["products"].get<double>(), 0) << m.dump();
    EXPECT_EQ(m.contains("metric_builds"), plain == 0) << m.dump();
    objective[plain] = m["objective"].get<double>();
  }
  EXPECT_NEAR(objective[0], objective[1], 1e-8 * objective[1]);
  auto r = run(common + " --metric-rank -1 --out " + (dir / "bad").string());
  EXPECT_EQ(r.code, 2) << r.output;
  occam::remove_tree(dir);
}

// ---------------------------------------------------------------------------------------------------------
// Hardening (issue 22, docs/reliability.md): every case below ends as one line "occam: error: …" naming the
// file or flag, with exit code 2: no crash, no "internal error", nothing replaced that is not a regular file.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>

namespace hardening_tests {

/// `occam ARGS` after the shell command `prefix` (e.g. a ulimit) in the same shell.
result run_after(const std::string& prefix, const std::string& args) {
  return occam_test::run_shell(prefix + "; exec " + kOccam + " " + args + " 2>&1");
}

/// Exit code 2 and exactly one line "occam: error: …" that contains `needle`.
void expect_clean_error(const result& r, const std::string& needle, const std::string& what) {
  EXPECT_EQ(r.code, 2) << what << "\n" << r.output;
  EXPECT_EQ(r.output.rfind("occam: error: ", 0), 0u) << what << "\n" << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << what << "\n" << r.output;
  EXPECT_NE(r.output.find(needle), std::string::npos) << what << "\n" << r.output;
}

/// Files whose name contains ".tmp" anywhere under `dir`.
std::vector<std::string> temporaries(const fs::path& dir) {
  std::vector<std::string> found;
  for (auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().filename().string().find(".tmp") != std::string::npos) found.push_back(e.path().string());
  return found;
}

const std::string kSmallTrain = "train --task parity:4 --epochs 1 -w 64 -k 64 -L 4 --no-progress --out ";

}  // namespace hardening_tests

TEST(CliHardening, FullDiskIsACleanErrorWithoutTemporaries) {
  using namespace hardening_tests;
  const fs::path dir = temp_dir("full_disk");
  const fs::path mnt = dir / "mnt";
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=16k") != 0)
    GTEST_SKIP() << "cannot mount a 16 KiB tmpfs here (needs root or CAP_SYS_ADMIN): "
                 << std::strerror(errno);
  // Was: "terminate called after throwing an instance of 'c10::Error'", exit 134, checkpoint.pt.tmp left.
  auto r = run(kSmallTrain + (mnt / "run").string());
  expect_clean_error(r, (mnt / "run" / "checkpoint.pt").string() + ": cannot write: No space left", "train");
  EXPECT_TRUE(temporaries(mnt).empty());
  // The .nfr writer (a torch archive) the same way.
  r = run("nfr train --task parity:4 --hidden 2048 --epochs 1 --out " + (mnt / "n.nfr").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find((mnt / "n.nfr").string() + ": cannot write: No space left"), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(mnt / "n.nfr"));
  EXPECT_TRUE(temporaries(mnt).empty());
  ::umount(mnt.c_str());
  occam::remove_tree(dir);
}

TEST(CliHardening, FileSizeLimitIsACleanErrorWithoutTemporaries) {
  // The same failure without a mount: `ulimit -f` makes write() stop short and fail (EFBIG), as a full disk.
  using namespace hardening_tests;
  const fs::path dir = temp_dir("fsize");
  auto r = run_after("ulimit -f 8", kSmallTrain + (dir / "run").string());
  expect_clean_error(r, (dir / "run" / "checkpoint.pt").string() + ": cannot write: File too large", "train");
  EXPECT_TRUE(temporaries(dir).empty());
  r = run_after("ulimit -f 8",
                "nfr train --task parity:4 --hidden 2048 --epochs 1 --out " + (dir / "n.nfr").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find((dir / "n.nfr").string() + ": cannot write: File too large"), std::string::npos)
      << r.output;
  EXPECT_TRUE(temporaries(dir).empty());
  occam::remove_tree(dir);
}

TEST(CliHardening, UnusableOutputDirectoriesNameThePath) {
  // Was: "occam: internal error: filesystem error: cannot create directories: …", exit 1.
  using namespace hardening_tests;
  const fs::path dir = temp_dir("outdir");
  occam::write_file_atomic(dir / "afile", "x");
  const std::string train = "train --task parity:4 --epochs 1 -w 8 -k 8 -L 1 --no-progress --out ";
  for (const std::string& out : {(dir / "afile").string(), (dir / "afile" / "sub").string(),
                                 std::string("/proc/occam_x"), std::string("/sys/occam_x")}) {
    expect_clean_error(run(train + out), out, out);
    expect_clean_error(run("convex --model gated2 --data sine:2 --out " + out), out, "convex " + out);
  }
  EXPECT_EQ(occam::read_file(dir / "afile"), "x");
  occam::remove_tree(dir);
}

TEST(CliHardening, RefusesToWriteOverNonRegularFiles) {
  // Was: the device node (or FIFO) replaced by a regular file, exit 0.
  using namespace hardening_tests;
  const fs::path dir = temp_dir("special");
  occam::write_file_atomic(dir / "c.aag", construct_cli_tests::kTwoOutputAag);
  occam::write_file_atomic(dir / "t.aag", "aag 6 4 0 1 2\n2\n4\n6\n8\n13\n10 6 2\n12 11 9\n");
  occam::write_file_atomic(dir / "p.csv", "x0,x1\n0.1,0.2\n");
  // Each command writes a file of its own extension: a FIFO and (where mknod is permitted) a character
  // device like /dev/null (1, 3) stand at that path.
  const std::pair<std::string, std::string> commands[] = {
      {"construct " + (dir / "c.aag").string() + " --no-complexity --out ", ".occam"},
      {"circuit convert " + (dir / "c.aag").string() + " ", ".aag"},
      {"tetrakis eval " + (dir / "t.aag").string() + " --level 1 --points " + (dir / "p.csv").string() +
           " --out ",
       ".csv"},
      {"nfr train --task parity:4 --hidden 8 --epochs 1 --out ", ".nfr"}};
  for (const auto& [args, ext] : commands) {
    for (const std::string kind : {"fifo", "device"}) {
      const fs::path out = dir / (kind + ext);
      if (kind == "fifo") {
        ASSERT_EQ(::mkfifo(out.c_str(), 0600), 0);
      } else if (::mknod(out.c_str(), S_IFCHR | 0600, makedev(1, 3)) != 0) {
        continue;  // not permitted here
      }
      expect_clean_error(run(args + out.string()), out.string() + ": is a ", args + out.string());
      struct stat st;
      ASSERT_EQ(::stat(out.c_str(), &st), 0);
      EXPECT_FALSE(S_ISREG(st.st_mode)) << out << " was replaced";
    }
  }
  occam::remove_tree(dir);
}

TEST(CliHardening, FloatingPointFlagsMustBeFiniteAndInRange) {
  // Was: NaN reached libtorch ("Invalid momentum value: nan" with a 15-line trace, exit 1), or gave NaN
  // results with exit 0 (convex --lambda inf "converged" with objective -nan).
  using namespace hardening_tests;
  const fs::path dir = temp_dir("floats");
  occam::write_file_atomic(dir / "t.aag", "aag 6 4 0 1 2\n2\n4\n6\n8\n13\n10 6 2\n12 11 9\n");
  occam::write_file_atomic(dir / "p.csv", "x0,x1\n0.1,0.2\n");
  const std::string out = " --out " + (dir / "o").string();
  const std::string train = "train --task parity:4 --epochs 1 -w 8 -k 8 -L 1" + out;
  const std::string tetra =
      "tetrakis eval " + (dir / "t.aag").string() + " --level 1 --points " + (dir / "p.csv").string();
  const std::pair<std::string, std::string> cases[] = {
      {train + " --optimizer sgd --momentum nan", "--momentum"},
      {train + " --lr nan", "--lr"},
      {train + " --lr inf", "--lr"},
      {train + " --lr 0", "--lr"},
      {train + " --lr -1e-3", "--lr"},
      {train + " --momentum 2", "--momentum"},
      {train + " --penalty l1 --lambda inf", "--lambda"},
      {train + " --penalty l1 --lambda -1", "--lambda"},
      {train + " --penalty l1 --lambda-path 1e-3,nan", "--lambda-path"},
      {train + " --noise nan", "--noise"},
      {train + " --v-scale -inf", "--v-scale"},
      {train + " --valid-fraction nan", "--valid-fraction"},
      {"convex --model gated2 --data sine:2 --lambda inf" + out, "--lambda"},
      {"convex --model gated2 --data sine:2 --tol nan" + out, "--tol"},
      {tetra + " --scale nan", "--scale"},
      {tetra + " --lo nan", "--lo"},
      {"nfr train --task parity:4 --hidden 8 --epochs 1 --lambda nan" + out, "--lambda"},
      {"nfr train --task parity:4 --hidden 8 --epochs 1 --temperature -1" + out, "--temperature"},
      {"fw --task sine:2 --tau 1,nan --iters 2" + out, "--tau"},
      {"fit --task parity:4 --tolerance nan" + out, "--tolerance"},
      {"fit --task parity:4 --lambdas 1e-3,inf" + out, "--lambdas"},
  };
  for (const auto& [args, flag] : cases) expect_clean_error(run(args), flag + ": must be ", args);
  EXPECT_FALSE(fs::exists(dir / "o"));  // refused before any work
  occam::remove_tree(dir);
}

TEST(CliHardening, ThreadsAreCappedAndOddValuesRefused) {
  // --threads: 0..4×hardware threads, else refused (was: -t 10000 still running after 120 s; -1 accepted).
  using namespace hardening_tests;
  const fs::path dir = temp_dir("odd");
  occam::write_file_atomic(dir / "c.aag", construct_cli_tests::kTwoOutputAag);
  const std::string out = " --out " + (dir / "o").string();
  const std::string train = "train --task parity:4 --epochs 1 -w 8 -k 8 -L 1" + out;
  const std::string construct = "construct " + (dir / "c.aag").string() + " --no-complexity" + out;
  const std::pair<std::string, std::string> cases[] = {
      {train + " --threads 100000", "--threads: must be in 0.."},
      {train + " --threads -1", "--threads: must be in 0.."},
      {"convex --model gated2 --data sine:2 --threads 100000" + out, "--threads: must be in 0.."},
      {"nfr train --task parity:4 --threads -1" + out, "--threads: must be in 0.."},
      {"fit --task parity:4 --threads 100000" + out, "--threads: must be in 0.."},
      {"train --task parity:4 -w 0" + out, "--width: must be ≥ 1"},
      {train + " -k 0", "--hidden: must be ≥ 1"},
      {train + " --checkpoint-every 0", "--checkpoint-every: must be ≥ 1"},
      {train + " --batch 0", "--batch: must be ≥ 1"},
      {train + " --epochs -1", "--epochs: must be ≥ 0"},
      {construct + " --lo 1 --hi 0", "--lo only applies with --tetrakis"},
      {construct + " --scale 2", "--scale only applies with --tetrakis"},
      {"construct " + (dir / "c.aag").string() + " --tetrakis --level 1 --dims 1 --lo 1 --hi 0" + out,
       "--hi must exceed --lo"},
      {"train --task parity:4 --no-such-flag", "--no-such-flag"},  // parser errors: one line, prefixed
  };
  for (const auto& [args, needle] : cases) expect_clean_error(run(args), needle, args);
  EXPECT_FALSE(fs::exists(dir / "o"));
  auto r = run("train --task parity:4 --epochs 1 -w 8 -k 8 -L 1 --threads 1 --no-progress" + out);
  EXPECT_EQ(r.code, 0) << r.output;
  occam::remove_tree(dir);
}

TEST(CliHardening, ByteOrderMarksAreSkipped) {
  // Was: "bom.pla:1: row before .i"; the CSV's first column was named "\xEF\xBB\xBFa".
  const fs::path dir = temp_dir("bom");
  const std::string bom = "\xEF\xBB\xBF";
  occam::write_file_atomic(dir / "b.pla", bom + ".i 2\n.o 1\n00 1\n11 0\n.e\n");
  occam::write_file_atomic(dir / "b.csv", bom + "a,b,y\n1,0,1\n0,1,0\n");
  occam::write_file_atomic(dir / "b.truth", bom + "0110\n");
  auto r = run("data info --data " + (dir / "b.pla").string() + " --json");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["n"], 2);
  r = run("data info --data " + (dir / "b.csv").string() + " --target a --json");  // found by its name
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["n"], 2);
  r = run("data info --data " + (dir / "b.truth").string() + " --json");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["n"], 4);
  occam::remove_tree(dir);
}
