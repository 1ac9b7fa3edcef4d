// `occam sweep` end to end with the real executable: a convex λ sweep runs, resumes (finished points with the
// same flags are skipped, changed ones re-run), collects; bad specs exit with code 2 and file:line before
// anything runs. And the --resume guard of fit and train: a directory made with other flags is refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "occam/util/atomic_file.hpp"
#include "occam_cli_test.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using occam_test::run_occam;

namespace {
fs::path temp_dir(const std::string& name) {
  return occam_test::temp_dir("sweep_cli", name);
}

std::string convex_spec(const fs::path& out, const std::string& lambdas) {
  return "subcommand = \"convex\"\nout = \"" + out.string() +
         "\"\n[flags]\nmodel = \"relu2\"\nsolver = \"admm\"\nenumerate = true\nbias = true\ntol = 1e-5\n"
         "max-iter = 20000\ndata = \"" +
         std::string(OCCAM_SOURCE_DIR) + "/tests/sweep/tiny.csv\"\n[axes]\nlambda = [" + lambdas +
         "]\n[resources]\nthreads = 1\ntime = 300\n";
}
}  // namespace

TEST(SweepCli, RunsResumesAndCollectsAConvexSweep) {
  auto dir = temp_dir("convex");
  occam::write_file_atomic(dir / "s.toml", convex_spec(dir / "out", "0.01, 0.1"));
  auto r = run_occam("sweep run " + (dir / "s.toml").string() + " --no-progress");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("2 points, 2 to run"), std::string::npos) << r.output;
  for (const char* run : {"0000", "0001"}) {
    const fs::path d = dir / "out" / "runs" / run;
    auto st = json::parse(occam::read_file(d / "status.json"));
    EXPECT_EQ(st["exit_code"], 0) << st.dump();
    EXPECT_GE(st["wall_s"].get<double>(), 0.0);
    EXPECT_TRUE(fs::exists(d / "metrics.json"));  // the subcommand's own output, written into the run dir
    EXPECT_NE(occam::read_file(d / "command.txt").find(" convex --bias --data "), std::string::npos);
  }
  // The same spec again: nothing to run.
  r = run_occam("sweep run " + (dir / "s.toml").string() + " --no-progress");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("2 points, 0 to run"), std::string::npos) << r.output;
  // One λ changed: only that point runs again.
  const auto before = occam::read_file(dir / "out" / "runs" / "0000" / "status.json");
  occam::write_file_atomic(dir / "s.toml", convex_spec(dir / "out", "0.01, 0.2"));
  r = run_occam("sweep run " + (dir / "s.toml").string() + " --no-progress");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("2 points, 1 to run"), std::string::npos) << r.output;
  EXPECT_EQ(occam::read_file(dir / "out" / "runs" / "0000" / "status.json"), before);
  EXPECT_NE(occam::read_file(dir / "out" / "runs" / "0001" / "command.txt").find("--lambda 0.2"),
            std::string::npos);
  r = run_occam("sweep status " + (dir / "out").string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("2 points: 2 done"), std::string::npos) << r.output;
  r = run_occam("sweep collect " + (dir / "out").string());
  ASSERT_EQ(r.code, 0) << r.output;
  auto t = json::parse(occam::read_file(dir / "out" / "collect" / "table.json"));
  ASSERT_EQ(t["rows"].size(), 2u);
  EXPECT_EQ(t["rows"][1]["lambda"], "0.2");
  // The table holds the run's own metrics.json values (the axis column keeps the spec's text).
  auto m = json::parse(occam::read_file(dir / "out" / "runs" / "0001" / "metrics.json"));
  for (auto it = m.begin(); it != m.end(); ++it)
    if (it.key() != "lambda" && (it.value().is_number() || it.value().is_string())) {
      EXPECT_EQ(t["rows"][1][it.key()], it.value()) << it.key();
    }
  // The Slurm executor's script for a fresh root, without submitting it: one array task per point.
  occam::write_file_atomic(dir / "s2.toml", convex_spec(dir / "out2", "0.01, 0.1, 0.3"));
  r = run_occam("sweep run " + (dir / "s2.toml").string() + " --executor slurm --no-submit");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto script = occam::read_file(dir / "out2" / "slurm" / "sweep.sbatch");
  EXPECT_NE(script.find("#SBATCH --array=0-2\n"), std::string::npos) << script;
  EXPECT_NE(script.find("#SBATCH --time=0:06:00\n"), std::string::npos) << script;  // 300 s + 1 min
  EXPECT_NE(script.find("sweep exec '" + (dir / "out2").string() + "' \"$SLURM_ARRAY_TASK_ID\""),
            std::string::npos)
      << script;
  EXPECT_FALSE(fs::exists(dir / "out2" / "runs"));  // nothing ran
}

TEST(SweepCli, BadSpecsExitWithCode2BeforeAnythingRuns) {
  auto dir = temp_dir("bad");
  auto spec = convex_spec(dir / "out", "0.01");
  std::string bad = spec;
  bad.replace(bad.find("bias = true"), 11, "biass = true");
  occam::write_file_atomic(dir / "flag.toml", bad);
  auto r = run_occam("sweep run " + (dir / "flag.toml").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("flag.toml:7:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--biass"), std::string::npos) << r.output;
  bad = spec;
  bad.replace(bad.find("lambda = [0.01]"), 15, "lambda = []");
  occam::write_file_atomic(dir / "empty.toml", bad);
  r = run_occam("sweep run " + (dir / "empty.toml").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("empty.toml:12:"), std::string::npos) << r.output;
  occam::write_file_atomic(dir / "file", "x");
  occam::write_file_atomic(dir / "root.toml", convex_spec(dir / "file" / "out", "0.01"));
  r = run_occam("sweep run " + (dir / "root.toml").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("root.toml:2:"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "out"));
  r = run_occam("sweep status " + (dir / "nothing").string());
  EXPECT_EQ(r.code, 2) << r.output;
}

TEST(SweepCli, FitResumeRefusesADirectoryMadeWithOtherFlags) {
  auto dir = temp_dir("fit_resume");
  const std::string base =
      "fit --task parity:4 --hidden 4 --depth 1 --keep 1 --bits 3 --finetune-epochs 0 "
      "--no-plots --no-progress --out " +
      (dir / "run").string();
  auto r = run_occam(base + " --epochs 2 --lambdas 1e-3");
  ASSERT_EQ(r.code, 0) << r.output;
  // The command of the report: other epochs and λ with --resume must not reuse the stage trained
  // above.
  r = run_occam(base + " --resume --epochs 5 --lambdas 1e-2");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("flags.json"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--epochs '5' (was '2')"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--lambdas '1e-2' (was '1e-3')"), std::string::npos) << r.output;
  // The same flags resume.
  r = run_occam(base + " --resume --epochs 2 --lambdas 1e-3");
  EXPECT_EQ(r.code, 0) << r.output;
}

TEST(SweepCli, TrainResumeRefusesADirectoryMadeWithOtherFlags) {
  auto dir = temp_dir("train_resume");
  const std::string base =
      "train --task parity:4 --width 8 --hidden 4 --depth 1 --no-progress --out " + (dir / "run").string();
  auto r = run_occam(base + " --epochs 2");
  ASSERT_EQ(r.code, 0) << r.output;
  r = run_occam(base + " --epochs 3 --resume");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--epochs '3' (was '2')"), std::string::npos) << r.output;
  r = run_occam(base + " --epochs 2 --resume");
  EXPECT_EQ(r.code, 0) << r.output;
  // A run without --resume over it with other flags records that it overwrote; once it finished, resume is
  // fine.
  r = run_occam(base + " --epochs 3");
  ASSERT_EQ(r.code, 0) << r.output;
  auto rec = json::parse(occam::read_file(dir / "run" / "flags.json"));
  EXPECT_TRUE(rec["overwrites"].get<bool>());
  EXPECT_TRUE(rec["finished"].get<bool>());
  // Interrupted (the record of a killed overwriting run): the older run's files may remain, so resume
  // refuses.
  rec["finished"] = false;
  occam::write_file_atomic(dir / "run" / "flags.json", rec.dump());
  r = run_occam(base + " --epochs 3 --resume");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("overwrote output made with other flags"), std::string::npos) << r.output;
}
