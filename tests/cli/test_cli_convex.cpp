// `occam convex` on small data as a user runs it (docs/convex.md, "Data and saved models"): NPY inputs need
// their targets, logistic loss takes 0/1 targets, --kind / --max-rows / --valid, every saved model is
// evaluable and agrees with metrics.json, a run whose values overflow float32 stops with a clear message and
// writes its best iterate, SIGTERM keeps the best iterate, long solves print progress lines.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "occam/data/loaders.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam_cli_test.hpp"

namespace fs = std::filesystem;

namespace {
const std::string kOccam = std::string(OCCAM_BINARY_DIR) + "/apps/occam/occam";
constexpr auto run = &occam_test::run_occam;

fs::path temp_dir(const std::string& name) {
  return occam_test::temp_dir("cli_convex", name);
}

nlohmann::json read_json(const fs::path& f) {
  return nlohmann::json::parse(occam::read_file(f));
}

/// The JSON object printed at the end of `occam convex --eval` (stdout), parsed.
nlohmann::json eval_json(const std::string& output) {
  const auto at = output.find('{');
  EXPECT_NE(at, std::string::npos) << output;
  return nlohmann::json::parse(output.substr(at, output.rfind('}') - at + 1));
}

/// n points in R^3 with a deterministic pseudo-random spread; the label of point i is label(x).
struct points {
  std::vector<std::array<double, 3>> x;
  explicit points(int n) {
    for (int i = 0; i < n; ++i)
      x.push_back({std::sin(1.3 * i + 0.2), std::cos(2.1 * i + 0.5), std::sin(0.7 * i * i + 1.0)});
  }
};

/// A CSV with header a,b,c,y; y from `label`.
template <class F>
void write_csv(const fs::path& f, const points& p, F label, std::size_t begin = 0,
               std::size_t end = std::size_t(-1)) {
  std::string csv = "a,b,c,y\n";
  for (std::size_t i = begin; i < std::min(end, p.x.size()); ++i) {
    const auto& r = p.x[i];
    csv += std::to_string(r[0]) + "," + std::to_string(r[1]) + "," + std::to_string(r[2]) + "," +
           std::to_string(label(r)) + "\n";
  }
  occam::write_file_atomic(f, csv);
}

int xor_label(const std::array<double, 3>& r) {
  return r[0] * r[1] > 0 ? 1 : 0;
}
int sector_label(const std::array<double, 3>& r) {
  const double a = std::atan2(r[1], r[0]);
  return a < -1.0 ? 0 : (a < 1.2 ? 1 : 2);
}
}  // namespace

TEST(CliConvexData, NpyWithoutTargetsIsAnErrorAndLogisticTakesZeroOneNpyTargets) {
  auto dir = temp_dir("npy");
  points p(50);
  occam::data::npy_array X, y;
  X.shape = {50, 3};
  y.shape = {50};
  for (const auto& r : p.x) {
    X.data.insert(X.data.end(), r.begin(), r.end());
    y.data.push_back(xor_label(r));
  }
  occam::data::write_npy(dir / "X.npy", X);
  occam::data::write_npy(dir / "y.npy", y);
  // The last column of an NPY matrix is never taken as the target silently.
  auto r = run("convex --data " + (dir / "X.npy").string() + " --out " + (dir / "o").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("X.npy"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--targets"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "o" / "metrics.json"));
  r = run("convex --loss logistic --bias --lambda 1e-3 --patterns 60 --data " + (dir / "X.npy").string() +
          " --targets " + (dir / "y.npy").string() + " --out " + (dir / "o").string());
  ASSERT_EQ(r.code, 0) << r.output;
  auto m = read_json(dir / "o" / "metrics.json");
  EXPECT_EQ(m["loss"], "logistic");
  EXPECT_EQ(m["kind"], "binary");
  EXPECT_TRUE(m["converged"].get<bool>()) << m.dump();
  // The gated convex model separates this XOR-like set (the optimum of a strongly convex-in-margin program
  // with λ small): it must beat the constant classifier clearly.
  EXPECT_GE(m["train_accuracy"].get<double>(), 0.9) << m.dump();
  auto e =
      eval_json(run("convex --eval " + (dir / "o" / "model.gated2").string() + " --data " +
                    (dir / "X.npy").string() + " --targets " + (dir / "y.npy").string() + " --loss logistic")
                    .output);
  EXPECT_DOUBLE_EQ(e["accuracy"].get<double>(), m["train_accuracy"].get<double>());
  // Non-0/1 targets under logistic loss: a clear error naming the row.
  y.data[7] = 0.5;
  occam::data::write_npy(dir / "y.npy", y);
  r = run("convex --loss logistic --data " + (dir / "X.npy").string() + " --targets " +
          (dir / "y.npy").string() + " --out " + (dir / "bad").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("row 8"), std::string::npos) << r.output;
  occam::remove_tree(dir);
}

TEST(CliConvexData, MulticlassModelsAreSavedWithTheirKindAndEvaluable) {
  auto dir = temp_dir("multiclass");
  points p(60);
  write_csv(dir / "m.csv", p, sector_label);
  const std::string data = " --data " + (dir / "m.csv").string() + " --kind multiclass";
  auto r = run("convex --model gated2 --bias --lambda 1e-3 --patterns 60" + data + " --out " +
               (dir / "o").string());
  ASSERT_EQ(r.code, 0) << r.output;
  auto m = read_json(dir / "o" / "metrics.json");
  EXPECT_EQ(m["kind"], "multiclass");
  EXPECT_GE(m["train_accuracy"].get<double>(), 0.9) << m.dump();
  r = run("eval " + (dir / "o" / "model.occam").string() + data + " --json");
  ASSERT_EQ(r.code, 0) << r.output;
  auto e = eval_json(r.output);
  ASSERT_TRUE(e.contains("accuracy")) << r.output;
  EXPECT_NEAR(e["accuracy"].get<double>(), m["network_train_accuracy"].get<double>(), 1e-9) << r.output;
  r = run("convex --eval " + (dir / "o" / "model.gated2").string() + data);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NEAR(eval_json(r.output)["accuracy"].get<double>(), m["train_accuracy"].get<double>(), 1e-12);
  occam::remove_tree(dir);
}

TEST(CliConvexData, GatedModelOnZeroOneCsvBeatsTheMeanAndValidAndMaxRowsWork) {
  auto dir = temp_dir("valid");
  points p(90);
  write_csv(dir / "train.csv", p, xor_label, 0, 70);
  write_csv(dir / "valid.csv", p, xor_label, 70, 90);
  auto r = run("convex --model gated2 --bias --lambda 1e-4 --patterns 80 --max-rows 60 --data " +
               (dir / "train.csv").string() + " --valid " + (dir / "valid.csv").string() + " --out " +
               (dir / "o").string());
  ASSERT_EQ(r.code, 0) << r.output;
  auto m = read_json(dir / "o" / "metrics.json");
  EXPECT_EQ(m["n"].get<int>(), 60);
  EXPECT_EQ(m["valid_n"].get<int>(), 20);
  EXPECT_EQ(m["kind"], "regression");
  ASSERT_TRUE(m.contains("valid_mse")) << m.dump();
  // Predicting the mean of the first 60 targets has mse = their variance.
  double mean = 0, var = 0;
  for (int i = 0; i < 60; ++i) mean += xor_label(p.x[i]) / 60.0;
  for (int i = 0; i < 60; ++i) var += std::pow(xor_label(p.x[i]) - mean, 2) / 60.0;
  EXPECT_LT(m["train_mse"].get<double>(), 0.25 * var) << m.dump();
  auto e = eval_json(run("convex --eval " + (dir / "o" / "model.gated2").string() + " --data " +
                         (dir / "valid.csv").string())
                         .output);
  EXPECT_NEAR(e["mse"].get<double>(), m["valid_mse"].get<double>(), 1e-9 * (1 + e["mse"].get<double>()));
  // --kind binary: ±1 targets and accuracies for train and validation.
  r = run("convex --model gated2 --bias --lambda 1e-4 --patterns 80 --kind binary --data " +
          (dir / "train.csv").string() + " --valid " + (dir / "valid.csv").string() + " --out " +
          (dir / "b").string());
  ASSERT_EQ(r.code, 0) << r.output;
  m = read_json(dir / "b" / "metrics.json");
  EXPECT_EQ(m["kind"], "binary");
  EXPECT_TRUE(m.contains("train_accuracy") && m.contains("valid_accuracy") &&
              m.contains("network_valid_accuracy"))
      << m.dump();
  occam::remove_tree(dir);
}

TEST(CliConvexData, OverflowingValuesStopWithAClearMessageAndKeepTheBestIterate) {
  auto dir = temp_dir("overflow");
  std::string csv = "a,b,y\n";
  for (int i = 0; i < 30; ++i)
    csv += std::to_string(1e19 * std::sin(1.0 * i)) + "," + std::to_string(1e19 * std::cos(3.0 * i)) + "," +
           std::to_string(1e19 * std::sin(0.5 * i)) + "\n";
  occam::write_file_atomic(dir / "huge.csv", csv);
  auto r =
      run("convex --model gated2 --data " + (dir / "huge.csv").string() + " --out " + (dir / "o").string());
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_NE(r.output.find("diverged"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("internal error"), std::string::npos) << r.output;
  auto m = read_json(dir / "o" / "metrics.json");
  EXPECT_EQ(m["stop"], "diverged");
  EXPECT_FALSE(m["converged"].get<bool>());
  EXPECT_TRUE(std::isfinite(m["objective"].get<double>())) << m.dump();
  EXPECT_TRUE(fs::exists(dir / "o" / "model.gated2"));
  EXPECT_TRUE(fs::exists(dir / "o" / "model.occam"));
  occam::remove_tree(dir);
}

TEST(CliConvexData, SigtermKeepsTheBestIterateAndLongSolvesPrintProgress) {
  auto dir = temp_dir("sigterm");
  points p(60);
  write_csv(dir / "d.csv", p, xor_label);
  // tol 0 never converges: the run ends only by the signal.
  const std::string args =
      "convex --model gated2 --bias --lambda 1e-5 --tol 0 --max-iter 1000000000 "
      "--progress-every 0.000001 --data " +
      (dir / "d.csv").string() + " --out " + (dir / "o").string();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::string cmd = kOccam + " " + args + " >" + (dir / "log").string() + " 2>&1";
    execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), (char*)nullptr);
    _exit(127);
  }
  auto log_lines = [&] {
    std::ifstream in(dir / "o" / "convergence.jsonl");
    std::size_t n = 0;
    std::string l;
    while (std::getline(in, l)) ++n;
    return n;
  };
  // Safety net only (a run that ignores SIGTERM would otherwise hang the suite): ~2 min of polling.
  for (int i = 0; i < 24000 && log_lines() < 5; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(pid, SIGTERM);
  int status = 0;
  for (int i = 0; i < 24000 && waitpid(pid, &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (waitpid(pid, &status, WNOHANG) == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    FAIL() << "occam convex did not stop on SIGTERM";
  }
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  const auto log = occam::read_file(dir / "log");
  EXPECT_NE(log.find("interrupted"), std::string::npos) << log;
  EXPECT_NE(log.find("convex: λ=1e-05 iteration"), std::string::npos) << log;
  auto m = read_json(dir / "o" / "metrics.json");
  EXPECT_EQ(m["stop"], "interrupted");
  // The best iterate beats the zero start (objective ½ mean y²) and is what model.gated2 holds.
  double zero = 0;
  for (const auto& r : p.x) zero += 0.5 * xor_label(r) / 60.0;
  EXPECT_LT(m["objective"].get<double>(), zero) << m.dump();
  auto e = eval_json(
      run("convex --eval " + (dir / "o" / "model.gated2").string() + " --data " + (dir / "d.csv").string())
          .output);
  EXPECT_NEAR(e["mse"].get<double>(), m["train_mse"].get<double>(), 1e-9);
  occam::remove_tree(dir);
}

TEST(CliConvexData, CertifyClosesTheGapToTheEnumeratedOptimum) {
  // `--certify` (docs/convex.md, "Certificates"): from 3 sampled patterns, column generation ends certified
  // exact at the objective of the run over every enumerated pattern; the sampled program's optimum is above.
  auto dir = temp_dir("certify");
  std::string csv = "a,b,y\n";
  for (int i = 0; i < 12; ++i) {
    const double a = std::sin(1.7 * i + 0.3), b = std::cos(2.9 * i + 0.1);
    csv += std::to_string(a) + "," + std::to_string(b) + "," + std::to_string(std::fabs(a - 0.5 * b) - 0.4) +
           "\n";
  }
  occam::write_file_atomic(dir / "d.csv", csv);
  const std::string common =
      "convex --model gated2 --bias --float64 --lambda 0.01 --tol 1e-9 --max-iter 200000 --data " +
      (dir / "d.csv").string();
  auto r = run(common + " --patterns 3 --seed 5 --certify --out " + (dir / "c").string());
  ASSERT_EQ(r.code, 0) << r.output;
  r = run(common + " --enumerate --out " + (dir / "e").string());
  ASSERT_EQ(r.code, 0) << r.output;
  auto c = read_json(dir / "c" / "metrics.json"), e = read_json(dir / "e" / "metrics.json");
  EXPECT_EQ(c["certified"], "exact") << c.dump();
  EXPECT_LE(c["max_violation"].get<double>(), 1e-4) << c.dump();
  EXPECT_GT(c["patterns_added"].get<int>(), 0) << c.dump();
  EXPECT_NEAR(c["objective"].get<double>(), e["objective"].get<double>(),
              1e-6 * e["objective"].get<double>());
  EXPECT_GT(c["sampled_objective"].get<double>(), c["objective"].get<double>());
  r = run(common + " --model relu2 --certify --out " + (dir / "bad").string());
  EXPECT_EQ(r.code, 2) << r.output;
  occam::remove_tree(dir);
}
