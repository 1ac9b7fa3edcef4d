// The sweep library without the occam executable: spec parsing (TOML and JSON give the same points), errors
// with file:line, axis expansion, flag hashes, run directories run through /bin/sh, the local pool's time
// limit, resume selection, sbatch scripts and collect.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <set>
#include <thread>

#include "occam/sweep/flag_hash.hpp"
#include "occam/sweep/sweep.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace fs = std::filesystem;
using namespace occam::sweep;
using json = nlohmann::json;

namespace {
fs::path temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("occam_test_sweep_" + name);
  occam::remove_tree(d);
  fs::create_directories(d);
  return d;
}

/// Parses `text` as DIR/NAME and returns the input_error's message ("" when it parses).
std::string parse_error(const fs::path& dir, const std::string& name, const std::string& text,
                        const parse_params& p = {}) {
  occam::write_file_atomic(dir / name, text);
  try {
    parse_spec(dir / name, p);
  } catch (const occam::input_error& e) {
    return e.what();
  }
  return "";
}

const std::set<std::string> kFlags = {"--epochs",  "--lambdas", "--seed", "--data",
                                      "--threads", "--out",     "--bias"};
parse_params with_flags(const fs::path& base) {
  parse_params p;
  p.base_dir = base;
  p.known_flag = [](const std::string& sub, const std::string& flag) {
    return sub == "fit" && (flag.empty() || kFlags.count(flag) > 0);
  };
  return p;
}
}  // namespace

TEST(Sweep, TomlAndJsonSpecsGiveTheSamePoints) {
  auto dir = temp_dir("formats");
  for (const char* f : {"a.pla", "b.pla", "c.pla"}) occam::write_file_atomic(dir / f, "x\n");
  const std::string toml = R"(subcommand = "fit"
out = "out-toml"
[flags]
epochs = 5
bias = true
[axes]
lambdas = [1e-2, "1e-3"]
seed = { range = [1, 5, 2] }
data = { glob = "*.pla" }
[resources]
threads = 2
memory = "500M"
time = "00:01:30"
)";
  const std::string js = R"({"subcommand": "fit", "out": "out-json",
  "flags": {"epochs": 5, "bias": true},
  "axes": {"lambdas": [0.01, "1e-3"], "seed": {"range": [1, 5, 2]}, "data": {"glob": "*.pla"}},
  "resources": {"threads": 2, "memory": "500M", "time": 90}})";
  occam::write_file_atomic(dir / "s.toml", toml);
  occam::write_file_atomic(dir / "s.json", js);
  auto p = with_flags(dir);
  auto a = parse_spec(dir / "s.toml", p), b = parse_spec(dir / "s.json", p);
  EXPECT_EQ(a.res.threads, 2);
  EXPECT_EQ(a.res.memory, "500M");
  EXPECT_DOUBLE_EQ(a.res.time_limit_s, 90);
  EXPECT_DOUBLE_EQ(b.res.time_limit_s, 90);
  auto pa = expand(a, p.known_flag), pb = expand(b, p.known_flag);
  ASSERT_EQ(pa.size(), 2u * 3u * 3u);  // product: 2 λ × seeds {1, 3, 5} × 3 files
  ASSERT_EQ(pb.size(), pa.size());
  std::set<std::string> hashes;
  for (std::size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pa[i].hash, pb[i].hash) << i;  // the output root is not part of the hash
    hashes.insert(pa[i].hash);
  }
  EXPECT_EQ(hashes.size(), pa.size());
  // Flags and axes in name order (TOML and JSON tables are unordered), the last axis fastest; --threads and
  // --out last.
  const std::vector<std::string> first = {"fit",       "--bias",
                                          "--epochs",  "5",
                                          "--data",    (dir / "a.pla").string(),
                                          "--lambdas", "0.01",
                                          "--seed",    "1",
                                          "--threads", "2",
                                          "--out",     (dir / "out-toml" / "runs" / "0000").string()};
  EXPECT_EQ(pa[0].args, first);
  EXPECT_EQ(pa[1].values[2].second, "3");
  EXPECT_EQ(pa[3].values[1].second, "1e-3");
  EXPECT_EQ(pa[6].values[0].second, (dir / "b.pla").string());
}

TEST(Sweep, ZippedAxesAdvanceTogether) {
  auto dir = temp_dir("zip");
  occam::write_file_atomic(dir / "s.toml", R"(subcommand = "fit"
out = "o"
zip = ["data", "seed"]
[axes]
data = ["x", "y", "z"]
epochs = [1, 2]
seed = [7, 8, 9]
)");
  auto p = with_flags(dir);
  auto pts = expand(parse_spec(dir / "s.toml", p), p.known_flag);
  ASSERT_EQ(pts.size(), 6u);  // 3 zipped pairs × 2 epochs
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& pt : pts) pairs.insert({pt.values[0].second, pt.values[2].second});
  EXPECT_EQ(pairs, (std::set<std::pair<std::string, std::string>>{{"x", "7"}, {"y", "8"}, {"z", "9"}}));
}

TEST(Sweep, BadSpecsNameTheFileAndLine) {
  auto dir = temp_dir("errors");
  auto p = with_flags(dir);
  auto e =
      parse_error(dir, "a.toml", "subcommand = \"fit\"\nout = \"o\"\n[flags]\nepochs = 3\nepoch = 4\n", p);
  EXPECT_NE(e.find("a.toml:5:"), std::string::npos) << e;
  EXPECT_NE(e.find("--epoch"), std::string::npos) << e;
  e = parse_error(dir, "b.toml", "subcommand = \"fit\"\nout = \"o\"\n[axes]\nseed = []\n", p);
  EXPECT_NE(e.find("b.toml:4:"), std::string::npos) << e;
  EXPECT_NE(e.find("empty"), std::string::npos) << e;
  e = parse_error(dir, "c.toml",
                  "subcommand = \"fit\"\nout = \"o\"\n[axes]\ndata = { glob = \"none-*.pla\" }\n", p);
  EXPECT_NE(e.find("c.toml:4:"), std::string::npos) << e;
  EXPECT_NE(e.find("matches no file"), std::string::npos) << e;
  // An output root below a regular file cannot be created, whoever runs the test.
  occam::write_file_atomic(dir / "file", "x");
  e = parse_error(dir, "d.json", "{\n  \"subcommand\": \"fit\",\n  \"out\": \"file/sub\"\n}\n", p);
  EXPECT_NE(e.find("d.json:3:"), std::string::npos) << e;
  EXPECT_NE(e.find("output root"), std::string::npos) << e;
  e = parse_error(dir, "e.toml",
                  "subcommand = \"fit\"\nout = \"o\"\nzip = [\"seed\", \"data\"]\n[axes]\n"
                  "seed = [1, 2]\ndata = [\"a\"]\n",
                  p);
  EXPECT_NE(e.find("e.toml:3:"), std::string::npos) << e;
  EXPECT_NE(e.find("differ in length"), std::string::npos) << e;
  e = parse_error(dir, "f.toml", "subcommand = \"fit\"\nout = \"o\"\n[flags]\nout = \"x\"\n", p);
  EXPECT_NE(e.find("f.toml:4:"), std::string::npos) << e;
  e = parse_error(dir, "g.toml", "subcommand = \"fit\"\nout = \"o\"\n[resources]\ntime = \"1:99:00\"\n", p);
  EXPECT_NE(e.find("g.toml:4:"), std::string::npos) << e;
  e = parse_error(dir, "h.toml", "subcommand = \"fitt\"\nout = \"o\"\n", p);
  EXPECT_NE(e.find("h.toml:1:"), std::string::npos) << e;
  e = parse_error(dir, "i.toml", "subcommand = \"fit\"\nout = \n", p);
  EXPECT_NE(e.find("i.toml:2"), std::string::npos) << e;  // a TOML syntax error
  EXPECT_FALSE(fs::exists(dir / "o" / "runs"));           // nothing ran
}

TEST(Sweep, FlagHashSeparatesArguments) {
  EXPECT_NE(flag_hash(std::vector<std::string>{"ab", "c"}), flag_hash(std::vector<std::string>{"a", "bc"}));
  EXPECT_EQ(flag_hash(std::vector<std::string>{"x"}), flag_hash(std::vector<std::string>{"x"}));
  EXPECT_EQ(flag_hash(std::vector<std::string>{}), "cbf29ce484222325");  // FNV-1a 64's offset basis
  EXPECT_EQ(flag_hash(std::vector<std::string>{}).size(), 16u);
}

TEST(Sweep, SbatchScriptIsAStandardArrayJob) {
  spec s;
  s.file = "s.toml";
  s.subcommand = "fit";
  s.out_root = "/data/sweep";
  s.res.threads = 4;
  s.res.memory = "8G";
  s.res.time_limit_s = 3600;
  s.slurm.parallel = 3;
  EXPECT_EQ(array_ranges({0, 1, 2, 5, 7, 8}), "0-2,5,7-8");
  EXPECT_EQ(array_ranges({4}), "4");
  const std::string t = sbatch_script(s, {0, 1, 2, 3, 4, 5}, "/opt/occam", "/home/u");
  EXPECT_EQ(t.rfind("#!/bin/bash\n", 0), 0u);
  for (const char* line : {"#SBATCH --array=0-5%3\n", "#SBATCH --cpus-per-task=4\n", "#SBATCH --mem=8G\n",
                           "#SBATCH --time=1:01:00\n", "#SBATCH --chdir=/home/u\n",
                           "exec '/opt/occam' sweep exec '/data/sweep' \"$SLURM_ARRAY_TASK_ID\"\n"})
    EXPECT_NE(t.find(line), std::string::npos) << line << "\n" << t;
}

namespace {
/// A spec whose "occam" is /bin/sh: each point's arguments are `-c SCRIPT`.
spec shell_spec(const fs::path& dir) {
  spec s;
  s.file = dir / "s.toml";
  s.subcommand = "-c";
  s.out_root = dir / "out";
  axis a;
  a.name = "script";
  a.flag = "";
  s.axes.push_back(a);
  return s;
}
std::vector<point> shell_points(const spec& s, const std::vector<std::string>& scripts) {
  std::vector<point> pts;
  for (std::size_t i = 0; i < scripts.size(); ++i) {
    point pt;
    pt.index = i;
    pt.dir = s.out_root / "runs" / ("000" + std::to_string(i));
    pt.args = {"-c", scripts[i]};
    pt.values = {{"script", std::to_string(i)}};
    pt.hash = flag_hash(pt.args);
    pts.push_back(pt);
  }
  return pts;
}
}  // namespace

TEST(Sweep, LocalPoolRecordsStatusTimesAndKillsAtTheLimit) {
  auto dir = temp_dir("local");
  auto s = shell_spec(dir);
  auto pts = shell_points(
      s, {"echo out; echo err >&2; exit 3",
          "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; printf '{\"ands\": 7, \"seconds\": 1.5}' > "
          "runs/0001/metrics.json",
          "sleep 30", "exit 0"});
  local_params lp;
  lp.jobs = 2;
  lp.time_limit_s = 0.5;
  lp.progress = false;
  s.res.time_limit_s = lp.time_limit_s;
  auto st = run_local(pts, {0, 1, 2, 3}, "/bin/sh", s.out_root, lp);
  EXPECT_EQ(st.ran, 4u);
  auto r0 = read_record(pts[0]);
  EXPECT_TRUE(r0.present);
  EXPECT_EQ(r0.exit_code, 3);
  EXPECT_EQ(occam::read_file(pts[0].dir / "stdout.txt"), "out\n");
  EXPECT_EQ(occam::read_file(pts[0].dir / "stderr.txt"), "err\n");
  EXPECT_EQ(occam::read_file(pts[0].dir / "command.txt").rfind("/bin/sh -c ", 0), 0u);
  auto r2 = read_record(pts[2]);
  EXPECT_TRUE(r2.timed_out);
  EXPECT_LT(r2.wall_s, 30.0);  // killed, not waited for
  EXPECT_EQ(r2.signal, SIGKILL);
  auto r1 = read_record(pts[1]);
  // The busy loop used CPU time, whether it finished or reached the limit on a loaded machine.
  EXPECT_GT(r1.cpu_s, 0.0);
  EXPECT_TRUE(read_record(pts[3]).ok());
  // Resume: finished points with the same hash are skipped; a point whose flags changed runs again.
  auto todo = select_points(pts, selection_kind::unfinished);
  EXPECT_EQ(std::count(todo.begin(), todo.end(), 3u), 0);
  EXPECT_EQ(std::count(todo.begin(), todo.end(), 0u), 1);
  auto failed = select_points(pts, selection_kind::failed);
  EXPECT_EQ(std::count(failed.begin(), failed.end(), 2u), 1);
  EXPECT_EQ(std::count(failed.begin(), failed.end(), 3u), 0);
  pts[3].args = {"-c", "exit 0 # other flags"};
  pts[3].hash = flag_hash(pts[3].args);
  todo = select_points(pts, selection_kind::unfinished);
  EXPECT_EQ(std::count(todo.begin(), todo.end(), 3u), 1);
  failed = select_points(pts, selection_kind::failed);
  EXPECT_EQ(std::count(failed.begin(), failed.end(), 3u), 0);  // a stale run is not a failed one
}

TEST(Sweep, CollectMergesReportsAndDropsTimes) {
  auto dir = temp_dir("collect");
  auto s = shell_spec(dir);
  occam::create_output_directory(s.out_root);
  auto pts = shell_points(
      s, {"printf '{\"ands\": 11, \"acc\": {\"valid\": 0.75}, \"seconds\": 2}' > runs/0000/report.json",
          "printf '{\"ands\": 5, \"acc\": {\"valid\": 0.5}, \"seconds\": 3}' > runs/0001/report.json",
          "exit 1"});
  write_manifest(s, pts, "/bin/sh", s.out_root);
  auto m = read_manifest(s.out_root);
  ASSERT_EQ(m.points.size(), 3u);
  EXPECT_EQ(m.points[1].args, pts[1].args);
  local_params lp;
  lp.progress = false;
  run_local(pts, {0, 1, 2}, "/bin/sh", s.out_root, lp);
  auto st = collect(s.out_root, dir / "c");
  EXPECT_EQ(st.rows, 3u);
  EXPECT_EQ(st.missing, 1u);
  auto t = json::parse(occam::read_file(dir / "c" / "table.json"));
  ASSERT_EQ(t["rows"].size(), 3u);
  EXPECT_EQ(t["rows"][0]["ands"], 11);
  EXPECT_EQ(t["rows"][1]["acc.valid"], 0.5);
  EXPECT_EQ(t["rows"][2]["state"], "failed");
  EXPECT_TRUE(t["rows"][2]["ands"].is_null());
  EXPECT_TRUE(t["rows"][0].contains("wall_s"));
  const std::string csv = occam::read_file(dir / "c" / "table.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "run,script,state,exit_code,wall_s,cpu_s,acc.valid,ands,seconds");
  collect_params cp;
  cp.drop_times = true;
  collect(s.out_root, dir / "c2", cp);
  auto t2 = json::parse(occam::read_file(dir / "c2" / "table.json"));
  EXPECT_FALSE(t2["rows"][0].contains("wall_s"));
  EXPECT_FALSE(t2["rows"][0].contains("seconds"));
  EXPECT_EQ(t2["rows"][0]["ands"], 11);
  EXPECT_NE(occam::read_file(dir / "c" / "summary.md").find("| 0001 | 1 | done |"), std::string::npos);
}

TEST(Sweep, SigtermStopsTheRunningChildrenAndKeepsTheSweepResumable) {
  auto dir = temp_dir("sigterm");
  auto s = shell_spec(dir);
  auto pts = shell_points(s, {"exit 0", "sleep 30", "sleep 30"});
  local_params lp;
  lp.jobs = 3;
  lp.progress = false;
  // SIGTERM to this process once the pool runs (its handler is installed before the first child starts).
  std::thread killer([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    kill(getpid(), SIGTERM);
  });
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(run_local(pts, {0, 1, 2}, "/bin/sh", s.out_root, lp), occam::input_error);
  killer.join();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 25.0);
  EXPECT_FALSE(read_record(pts[1]).present);  // stopped, not recorded as a result
  auto again = select_points(pts, selection_kind::unfinished);
  EXPECT_EQ(std::count(again.begin(), again.end(), 1u), 1);
  auto failed = select_points(pts, selection_kind::failed);
  EXPECT_EQ(std::count(failed.begin(), failed.end(), 2u), 1);  // interrupted counts for --retry-failed
}
