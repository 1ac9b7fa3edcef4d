// occam fit (THEORY §1–5): every compiled circuit computes what the pipeline says it computes (re-measured
// here from the written AIGER files with the circuit simulator), the front is non-dominated, the budget is
// honoured, --resume reproduces the run, --exact is exact, and bad input exits with code 2.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "circuit_test_util.hpp"
#include "occam/circuit/io.hpp"
#include "occam/circuit/simulate.hpp"
#include "occam/data/loaders.hpp"
#include "occam/fit/fit.hpp"
#include "occam/nn/train.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"
#include "occam_cli_test.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace occam;

namespace {

fs::path temp_dir(const std::string& name) {
  return occam_test::temp_dir("fit", name);
}

fit::fit_params small_params(const fs::path& out) {
  fit::fit_params p;
  p.shape.hidden = 8;
  p.shape.depth = 2;
  p.train.epochs = 4;
  p.train.batch = 64;
  p.train.lr = 3e-3;
  p.train.seed = 3;
  p.train.progress = false;
  p.lambdas = {1e-4, 3e-3};
  p.keep_fractions = {1.0, 0.3};
  p.finetune_epochs = 2;
  p.bits = {3, 6};
  p.abc_script = "fast";
  p.final_abc_script = "";
  p.plots = false;
  p.out_dir = out.string();
  return p;
}

using occam_test::run_occam;

}  // namespace

TEST(Fit, BooleanTaskCircuitsMeasureWhatTheReportSays) {
  OCCAM_REQUIRE_ABC();
  auto out = temp_dir("boolean");
  auto all = data::make_task("majority:7");
  auto sp = data::split_dataset(all, 0.25, 0.25, 1);
  auto P = small_params(out);
  auto R = fit::fit(sp, P);
  ASSERT_GE(R.chosen, 0);
  std::size_t compiled = 0, float_tables = 0;
  for (const auto& c : R.candidates) {
    if (!c.compiled) continue;
    ++compiled;
    // The written circuit, re-read and re-simulated, has the reported size and validation accuracy.
    std::string name;
    for (char ch : c.label)
      name += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-') ? ch : '_';
    auto g = circuit::read_circuit(out / "circuits" / (name + ".aig"));
    EXPECT_EQ(circuit::statistics(g).ands, c.ands) << c.label;
    EXPECT_NEAR(circuit::accuracy(g, sp.valid).overall(), c.valid_metric, 1e-12) << c.label;
    EXPECT_NEAR(circuit::accuracy(g, sp.test).overall(), c.test_metric, 1e-12) << c.label;
    if (c.route == "tt-float") {
      // The tabulated float network: the circuit decides every validation row as the network does (up to a
      // row whose logit is within float rounding of 0, as batching may order the sums differently).
      ++float_tables;
      const fs::path model = c.keep >= 1 ? out / fmt::format("stage-{}", c.stage) / "model.occam"
                                         : out / "pruned" / fmt::format("s{}-k{:g}.occam", c.stage, c.keep);
      auto net = nn::load_model(model.string());
      EXPECT_NEAR(nn::evaluate(net, sp.valid).accuracy, c.valid_metric, 1.0 / double(sp.valid.n)) << c.label;
    }
  }
  EXPECT_GE(compiled, 2u);
  EXPECT_GE(float_tables, 1u);
  // The chosen circuit: the best validation error among the compiled ones (tolerance 0), ties to fewer ANDs.
  const auto& ch = R.candidates[std::size_t(R.chosen)];
  for (const auto& c : R.candidates)
    if (c.compiled) {
      EXPECT_LE(ch.valid_error, c.valid_error + 1e-12);
    }
  auto g = circuit::read_circuit(out / "circuit.aig");
  EXPECT_NEAR(circuit::accuracy(g, sp.valid).overall(), ch.valid_metric, 1e-12);
  // The front (THEORY §4) is non-dominated and sorted by size.
  for (std::size_t i = 0; i < R.front.size(); ++i) {
    if (i) {
      EXPECT_LT(R.front[i - 1].size, R.front[i].size);
    }
    for (const auto& p : R.points)
      EXPECT_FALSE(p.size <= R.front[i].size && p.error <= R.front[i].error &&
                   (p.size < R.front[i].size || p.error < R.front[i].error));
  }
  // THEORY §5: the PAC bound is at least the empirical risk.
  EXPECT_GE(R.pac.bound, ch.train_error);
  auto rep = json::parse(read_file(out / "report.json"));
  EXPECT_EQ(rep["chosen"]["ands"].get<std::size_t>(), ch.ands);
  EXPECT_TRUE(fs::exists(out / "report.md"));
  EXPECT_TRUE(fs::exists(out / "circuit.v"));
  // model.occam is the chosen candidate's network; the lookup-table and Occam routes have none.
  const bool networkless = ch.route.rfind("table", 0) == 0 || ch.route.rfind("occam-", 0) == 0;
  EXPECT_EQ(fs::exists(out / "model.occam"), !networkless) << ch.label;
  EXPECT_TRUE(fs::exists(out / "points.csv"));
}

TEST(Fit, ErrorsAreOnTheL2ScaleOfThePlusMinusOneOutputs) {
  // THEORY §4: ±1-valued outputs differ by 2 where they differ, so ‖f − g‖²_{L2(π)} = 4 · Σ_o P(f_o ≠ g_o).
  // One output, err = 1/4: ε = 2 · √(1/4) = 1. Three output bits, mean mismatch 1/12: Σ_o = 1/4 → ε = 1.
  EXPECT_DOUBLE_EQ(fit::l2_distance(data::task_kind::binary, 1, 0.25), 1.0);
  EXPECT_DOUBLE_EQ(fit::l2_distance(data::task_kind::binary, 3, 1.0 / 12), 1.0);
  EXPECT_DOUBLE_EQ(fit::l2_distance(data::task_kind::binary, 1, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(fit::l2_distance(data::task_kind::binary, 1, 1.0), 2.0);  // f = −g: ‖f − g‖ = 2
  // Multiclass, ±1 one-hot classes (a wrong class flips 2 coordinates): err = 1/8 → ε = 2 √(2/8) = 1.
  EXPECT_DOUBLE_EQ(fit::l2_distance(data::task_kind::multiclass, 1, 0.125), 1.0);
  // Regression: the RMSE per coordinate times √m.
  EXPECT_DOUBLE_EQ(fit::l2_distance(data::task_kind::regression, 4, 0.5), 1.0);
  // Brute force on a ±1 encoding: 3 bits, 8 rows, 2 mismatched bits.
  const int f[8][3] = {{1, 1, 1},  {1, -1, 1}, {-1, -1, 1}, {1, 1, -1},
                       {-1, 1, 1}, {1, 1, 1},  {1, -1, -1}, {-1, 1, 1}};
  int g[8][3];
  std::copy(&f[0][0], &f[0][0] + 24, &g[0][0]);
  g[2][0] = -g[2][0];
  g[6][2] = -g[6][2];
  double sq = 0;
  for (int r = 0; r < 8; ++r)
    for (int o = 0; o < 3; ++o) sq += double((f[r][o] - g[r][o]) * (f[r][o] - g[r][o])) / 8;
  EXPECT_DOUBLE_EQ(fit::l2_distance(data::task_kind::binary, 3, 2.0 / 24), std::sqrt(sq));
}

TEST(Fit, ReportSaysTooFewPointsAndNoPlotInsteadOfFailing) {
  // A run whose only circuits have 0 ANDs or ε = 0 (as `--task parity:8` can end): no rate fit, nothing a
  // log–log plot can show. The report must say so and the run must not fail (it used to throw from the plot).
  auto out = temp_dir("noplot");
  auto sp = data::split_dataset(data::make_task("parity:4"), 0.25, 0.25, 1);
  auto P = small_params(out);
  P.plots = true;
  fit::fit_result R;
  R.kind = data::task_kind::binary;
  for (auto [err, size] : {std::pair{0.5, 0.0}, std::pair{0.0, 12.0}}) {
    report::size_error_point p;
    p.error = fit::l2_distance(R.kind, 1, err);
    p.size = size;
    p.label = fmt::format("e{} s{}", err, size);
    R.points.push_back(p);
  }
  R.front = report::pareto_front(R.points);
  R.rate = report::fit_rate(R.front);
  R.c_gamma = report::c_gamma(R.front, P.gamma);
  R.htmc = report::htmc_bound_on_range(R.front, P.gamma);
  ASSERT_NO_THROW(fit::write_fit_report(R, sp, P));
  const std::string md = read_file(out / "report.md");
  EXPECT_NE(md.find("too few points"), std::string::npos) << md;
  EXPECT_EQ(md.find("CI ["), std::string::npos) << md;  // no interval printed
  auto rep = json::parse(read_file(out / "report.json"));
  EXPECT_EQ(rep["rate"]["status"], "too few points");
  EXPECT_TRUE(rep["rate"]["gamma_lo"].is_null());
  EXPECT_TRUE(rep["plots"].empty());
  // HTMC bound on the range [0, √2]: the exact 12-AND circuit bounds everything up to the 0-AND one.
  EXPECT_DOUBLE_EQ(rep["htmc_bound_on_range"]["eps_lo"].get<double>(), 0.0);
  EXPECT_NEAR(rep["htmc_bound_on_range"]["value"].get<double>(), std::sqrt(2.0) * std::sqrt(12.0), 1e-12);
  if (report::gnuplot_available()) {
    EXPECT_NE(md.find("no plot"), std::string::npos) << md;
    EXPECT_TRUE(rep.contains("plot_note"));
  }
}

TEST(Fit, InputSelectionFindsAParityAndTheTableRouteFitsIt) {
  OCCAM_REQUIRE_ABC();
  // 24 random bits, y = x2 ⊕ x9 ⊕ x17: no input or pair is correlated with y, so only the selection's triple
  // lookahead (data/select.hpp) finds the inputs; the table over them is then the parity itself.
  data::dataset d;
  d.name = "parity3-of-24";
  d.kind = data::task_kind::binary;
  d.n = 2400;
  d.d_in = 24;
  d.d_out = 1;
  d.boolean_inputs = true;
  d.input_box.lo.assign(24, 0.0f);
  d.input_box.hi.assign(24, 1.0f);
  std::uint64_t state = 12345;
  for (std::size_t r = 0; r < d.n; ++r) {
    int y = 0;
    for (std::size_t i = 0; i < d.d_in; ++i) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      const int bit = int(state >> 63);
      d.x.push_back(float(bit));
      if (i == 2 || i == 9 || i == 17) y ^= bit;
    }
    d.y.push_back(float(y));
  }
  auto sp = data::split_dataset(d, 0.25, 0.25, 1);
  auto out = temp_dir("selection");
  auto P = small_params(out);
  P.input_budgets = {0};  // no importance views: keep the test fast
  P.train.epochs = 2;
  auto R = fit::fit(sp, P);
  std::vector<std::size_t> sel = R.selected_inputs;
  std::sort(sel.begin(), sel.end());
  EXPECT_EQ(sel, (std::vector<std::size_t>{2, 9, 17}));
  bool table_exact = false;
  for (const auto& c : R.candidates)
    if (c.compiled && c.route == "table" && c.input_budget == 3) table_exact = c.valid_metric == 1.0;
  EXPECT_TRUE(table_exact);
  ASSERT_GE(R.chosen, 0);
  const auto& ch = R.candidates[std::size_t(R.chosen)];
  EXPECT_EQ(ch.valid_metric, 1.0);
  // The written circuit reads all 24 data inputs and is the parity on every validation and test row.
  auto g = circuit::read_circuit(out / "circuit.aig");
  EXPECT_EQ(g.num_pis(), 24u);
  EXPECT_EQ(circuit::accuracy(g, sp.valid).overall(), 1.0);
  EXPECT_EQ(circuit::accuracy(g, sp.test).overall(), 1.0);
  EXPECT_EQ(fs::exists(out / "model.occam"), R.model.U.defined()) << ch.label;
  auto rep = json::parse(read_file(out / "report.json"));
  EXPECT_EQ(rep["selection"]["inputs"].size(), 3u);
}

TEST(Fit, BudgetIsHonouredAndResumeReproducesTheChoice) {
  OCCAM_REQUIRE_ABC();
  auto out = temp_dir("budget");
  auto sp = data::split_dataset(data::make_task("adder-msb:4"), 0.25, 0.0, 2);
  auto P = small_params(out);
  P.max_ands = 12;
  auto R = fit::fit(sp, P);
  // Some candidate fits the budget (the constant circuits and the small table routes always do).
  ASSERT_GE(R.chosen, 0);
  const auto& chosen = R.candidates[std::size_t(R.chosen)];
  EXPECT_LE(chosen.ands, P.max_ands);
  for (const auto& c : R.candidates)
    if (c.compiled && c.ands <= P.max_ands) {
      EXPECT_GE(c.valid_error + 1e-12, chosen.valid_error) << c.label;
    }
  // A second run over the same directory with resume reuses everything and chooses the same circuit.
  P.resume = true;
  auto R2 = fit::fit(sp, P);
  ASSERT_GE(R2.chosen, 0);
  EXPECT_EQ(chosen.label, R2.candidates[std::size_t(R2.chosen)].label);
  EXPECT_EQ(chosen.ands, R2.candidates[std::size_t(R2.chosen)].ands);
  ASSERT_EQ(R.candidates.size(), R2.candidates.size());
  for (std::size_t i = 0; i < R.candidates.size(); ++i)
    EXPECT_DOUBLE_EQ(R.candidates[i].valid_error, R2.candidates[i].valid_error) << R.candidates[i].label;
}

TEST(Fit, RegressionCircuitRmseMatchesTheQuantisedNetwork) {
  OCCAM_REQUIRE_ABC();
  auto out = temp_dir("regression");
  data::task_params tp;
  tp.samples = 600;
  auto sp = data::split_dataset(data::make_task("sine:1", tp), 0.25, 0.0, 3);
  auto P = small_params(out);
  P.bits = {6};
  P.input_bits = 5;
  auto R = fit::fit(sp, P);
  ASSERT_GE(R.chosen, 0);
  // For the network route the circuit's outputs are checked bit for bit against the integer simulation
  // inside fit(); the RMSE it reports is then the quantised network's RMSE on the validation rows.
  for (const auto& c : R.candidates)
    if (c.compiled) {
      EXPECT_EQ(c.route, "network");
      EXPECT_GT(c.valid_metric, 0);
    }
  // The chosen circuit predicts better than the best constant (the validation targets' mean).
  double mean = 0, var = 0;
  for (std::size_t r = 0; r < sp.valid.n; ++r) mean += sp.valid.y[r];
  mean /= double(sp.valid.n);
  for (std::size_t r = 0; r < sp.valid.n; ++r) var += (sp.valid.y[r] - mean) * (sp.valid.y[r] - mean);
  EXPECT_LT(R.candidates[std::size_t(R.chosen)].valid_metric, std::sqrt(var / double(sp.valid.n)));
}

TEST(Fit, ExactFitsEveryRowOfATruthTable) {
  auto out = temp_dir("exact");
  // A random 9-input, 2-output truth table in the IWLS 2022 format (first character = highest minterm).
  std::string text;
  std::uint64_t s = 12345;
  for (int o = 0; o < 2; ++o) {
    for (int k = 0; k < 512; ++k) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      text += char('0' + ((s >> 33) & 1));
    }
    text += '\n';
  }
  write_file_atomic(out / "t.truth", text);
  auto d = data::load_dataset((out / "t.truth").string());
  fit::exact_params ep;
  ep.synth.abc_script = occam::circuit::testing::abc_available() ? "fast" : "";
  ep.out_dir = (out / "run").string();
  auto R = fit::fit_exact(d, ep);
  EXPECT_TRUE(R.verified);
  auto g = circuit::read_circuit(out / "run" / "circuit.aig");
  EXPECT_DOUBLE_EQ(circuit::accuracy(g, d).overall(), 1.0);
  // Not a complete table: a missing row is an input error.
  auto partial = d.slice(0, d.n - 1);
  EXPECT_THROW(fit::fit_exact(partial, ep), input_error);
}

TEST(FitCli, RunsEndToEndAndRejectsBadInput) {
  OCCAM_REQUIRE_ABC();
  auto out = temp_dir("cli");
  auto r = run_occam(
      "fit --task parity:4 --hidden 4 --depth 1 --epochs 2 --lambdas 0.001 --keep 1 --bits 3 "
      "--finetune-epochs 0 --no-plots --no-progress --out " +
      (out / "run").string());
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::exists(out / "run" / "circuit.aig")) << r.output;
  EXPECT_TRUE(fs::exists(out / "run" / "report.json"));
  r = run_occam("fit --data " + (out / "missing.csv").string() + " --out " + (out / "x").string());
  EXPECT_EQ(r.code, 2) << r.output;
  r = run_occam("fit --task parity:4 --keep 1.5 --out " + (out / "y").string());
  EXPECT_EQ(r.code, 2) << r.output;
  write_file_atomic(out / "bad.truth", "0110\n01\n");
  r = run_occam("fit --exact --data " + (out / "bad.truth").string() + " --out " + (out / "z").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("bad.truth"), std::string::npos) << r.output;
}

TEST(FitCli, KilledRunResumesToTheSameCircuit) {
  OCCAM_REQUIRE_ABC();
  auto out = temp_dir("kill");
  const std::string flags =
      "fit --task majority:7 --hidden 8 --depth 2 --epochs 6 --lambdas 0.0001,0.003 --keep 1,0.3 --bits 3,6 "
      "--finetune-epochs 2 --final-abc '' --no-plots --no-progress --threads 1 --out ";
  auto full = run_occam(flags + (out / "full").string());
  ASSERT_EQ(full.code, 0) << full.output;
  // SIGKILL part-way (wherever that lands: training, pruning or compiling), then resume.
  for (const char* after : {"1.5", "4"}) {
    std::string cmd = std::string("timeout -s KILL ") + after + " " + std::string(OCCAM_BINARY_DIR) +
                      "/apps/occam/occam " + flags + (out / "resumed").string() + " >/dev/null 2>&1";
    int rc = std::system(cmd.c_str());
    (void)rc;
    auto resumed = run_occam(flags + (out / "resumed").string() + " --resume");
    ASSERT_EQ(resumed.code, 0) << resumed.output;
    auto a = json::parse(read_file(out / "full" / "report.json"));
    auto b = json::parse(read_file(out / "resumed" / "report.json"));
    EXPECT_EQ(a["chosen"]["label"], b["chosen"]["label"]);
    EXPECT_EQ(a["chosen"]["ands"], b["chosen"]["ands"]);
    EXPECT_EQ(a["chosen"]["valid_metric"], b["chosen"]["valid_metric"]);
    EXPECT_EQ(read_file(out / "full" / "circuit.aig"), read_file(out / "resumed" / "circuit.aig"));
    occam::remove_tree(out / "resumed");
  }
}
