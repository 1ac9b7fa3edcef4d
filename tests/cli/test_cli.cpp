// The occam executable end to end: exit code 2 and a file:line message on bad input; a run killed with SIGKILL
// and restarted with --resume ends with the same model file as an uninterrupted run.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "occam/util/atomic_file.hpp"

namespace fs = std::filesystem;

namespace {
const std::string kOccam = std::string(OCCAM_BINARY_DIR) + "/apps/occam/occam";

struct result {
  int code;
  std::string output;  // stdout and stderr together
};

result run(const std::string& args) {
  std::string cmd = kOccam + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (std::size_t got = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), got);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

fs::path temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("occam_test_cli_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
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
  auto r = run("train --task majority:5 --width 8 --hidden 8 --depth 2 --epochs 30 --batch 8 --lr 0.01 "
               "--valid-fraction 0 --out " + dir.string());
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
  const std::string args = "train --task parity:10 --width 32 --hidden 32 --depth 4 --epochs 60 --batch 32 "
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
