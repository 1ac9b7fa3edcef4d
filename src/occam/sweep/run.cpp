// Run directories, the local process pool and the manifest OUT/sweep.json.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

#include "occam/sweep/sweep.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::sweep {
namespace fs = std::filesystem;
using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

namespace {

std::string shell_quote(const std::string& a) {
  if (!a.empty() &&
      a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:=+@%") ==
          std::string::npos)
    return a;
  std::string q = "'";
  for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

double seconds_of(const timeval& t) {
  return double(t.tv_sec) + 1e-6 * double(t.tv_usec);
}

/// A started run: the child, its deadline, where to record it.
struct child {
  pid_t pid = 0;
  std::size_t point = 0;
  clock_type::time_point start;
  bool killed = false;
};

/// Forks and executes `occam ARGS` in its own process group with stdout/stderr into the run directory.
pid_t start_child(const point& pt, const fs::path& occam, const fs::path& work_dir) {
  std::vector<std::string> argv_s = {occam.string()};
  argv_s.insert(argv_s.end(), pt.args.begin(), pt.args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string out_path = (pt.dir / "stdout.txt").string(), err_path = (pt.dir / "stderr.txt").string();
  const pid_t pid = fork();
  if (pid < 0) throw input_error(fmt::format("cannot start a run: fork failed: {}", std::strerror(errno)));
  if (pid == 0) {
    setpgid(0, 0);
    const int in = open("/dev/null", O_RDONLY);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0 || chdir(work_dir.c_str()) != 0) _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  setpgid(pid, pid);
  return pid;
}

void prepare_dir(const point& pt, const fs::path& occam) {
  // A run with other flags (or a failed one) is removed whole: its outputs must not mix with those of the run
  // that replaces it.
  remove_tree(pt.dir);
  create_output_directory(pt.dir);
  std::string line = shell_quote(occam.string());
  for (const auto& a : pt.args) line += " " + shell_quote(a);
  write_file_atomic(pt.dir / "command.txt", line + "\n");
}

run_record finish(const point& pt, int status, const rusage& ru, double wall, bool timed_out) {
  run_record r;
  r.present = true;
  r.hash = pt.hash;
  r.timed_out = timed_out;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) {
    r.exit_code = -1;
    r.signal = WTERMSIG(status);
  }
  r.wall_s = wall;
  r.cpu_s = seconds_of(ru.ru_utime) + seconds_of(ru.ru_stime);
  json j;
  j["hash"] = r.hash;
  j["args"] = pt.args;
  j["exit_code"] = r.exit_code;
  j["signal"] = r.signal;
  j["timed_out"] = r.timed_out;
  j["wall_s"] = r.wall_s;
  j["cpu_s"] = r.cpu_s;
  j["max_rss_kib"] = ru.ru_maxrss;
  write_file_atomic(pt.dir / "status.json", j.dump(2) + "\n");
  return r;
}

// SIGINT/SIGTERM while runs are going: the children sit in their own process groups (so a timeout kills all
// they started), hence the terminal's Ctrl-C does not reach them; the pool stops them itself.
volatile std::sig_atomic_t stop_signal = 0;
extern "C" void on_stop_signal(int sig) {
  stop_signal = sig;
}

/// Installs the handlers for its lifetime and restores the previous ones.
class stop_guard {
 public:
  stop_guard() {
    stop_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~stop_guard() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  stop_guard(const stop_guard&) = delete;
  stop_guard& operator=(const stop_guard&) = delete;

 private:
  struct sigaction old_int_ {
  }, old_term_{};
};

/// Kills and reaps the running children, then reports the interruption.
[[noreturn]] void stop_children(const std::vector<pid_t>& pids) {
  for (pid_t pid : pids) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
  }
  for (pid_t pid : pids) {
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
  }
  throw input_error(
      fmt::format("sweep interrupted by signal {}: {} unfinished run(s) stopped; finished runs are "
                  "kept, and running the sweep again resumes it",
                  int(stop_signal), pids.size()));
}

std::string duration_text(double s) {
  if (s < 0 || !std::isfinite(s)) return "?";
  const long t = std::lround(s);
  if (t >= 3600) return fmt::format("{}h{:02}m", t / 3600, (t / 60) % 60);
  if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

}  // namespace

run_record read_record(const point& pt) {
  run_record r;
  const fs::path f = pt.dir / "status.json";
  std::error_code ec;
  if (!fs::exists(f, ec)) return r;
  auto j = json::parse(read_file(f), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return r;
  r.present = true;
  r.hash = j.value("hash", "");
  r.exit_code = j.value("exit_code", -1);
  r.signal = j.value("signal", 0);
  r.timed_out = j.value("timed_out", false);
  r.wall_s = j.value("wall_s", 0.0);
  r.cpu_s = j.value("cpu_s", 0.0);
  return r;
}

run_record run_point(const point& pt, const fs::path& occam, const fs::path& work_dir, double time_limit_s) {
  prepare_dir(pt, occam);
  stop_guard guard;
  const auto start = clock_type::now();
  const pid_t pid = start_child(pt, occam, work_dir);
  int status = 0;
  rusage ru{};
  bool timed_out = false;
  for (;;) {
    const pid_t r = wait4(pid, &status, WNOHANG, &ru);
    if (r == pid) break;
    if (r < 0 && errno != EINTR)
      throw input_error(fmt::format("waiting for a run failed: {}", std::strerror(errno)));
    if (stop_signal) stop_children({pid});
    const double el = std::chrono::duration<double>(clock_type::now() - start).count();
    if (!timed_out && time_limit_s > 0 && el > time_limit_s) {
      timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return finish(pt, status, ru, std::chrono::duration<double>(clock_type::now() - start).count(), timed_out);
}

std::vector<std::size_t> select_points(const std::vector<point>& pts, selection_kind k) {
  std::vector<std::size_t> out;
  for (const auto& pt : pts) {
    const auto r = read_record(pt);
    const bool same = r.present && r.hash == pt.hash;
    // A run directory with a command but no status: the run was killed from outside (Slurm, a signal).
    std::error_code ec;
    const bool interrupted = !r.present && fs::exists(pt.dir / "command.txt", ec);
    if (k == selection_kind::unfinished ? !(same && r.ok()) : ((same && !r.ok()) || interrupted))
      out.push_back(pt.index);
  }
  return out;
}

local_stats run_local(const std::vector<point>& pts, const std::vector<std::size_t>& selected,
                      const fs::path& occam, const fs::path& work_dir, const local_params& p) {
  local_stats st;
  const auto t0 = clock_type::now();
  const bool tty = isatty(STDERR_FILENO);
  const std::size_t jobs = std::size_t(std::max(1, p.jobs));
  std::vector<child> running;
  stop_guard guard;
  std::size_t next = 0, done = 0;
  double busy_s = 0;
  auto draw = [&](const std::string& last) {
    if (!p.progress) return;
    const double el = std::chrono::duration<double>(clock_type::now() - t0).count();
    // ETA: the mean run time so far spread over the pool.
    const double eta = done ? busy_s / double(done) * double(selected.size() - done) / double(jobs) : -1;
    const std::string line = fmt::format("sweep: {}/{} done, {} failed, {} running, {} elapsed, ETA {}{}",
                                         done, selected.size(), st.failed + st.timed_out, running.size(),
                                         duration_text(el), done ? duration_text(eta) : "?", last);
    if (tty)
      fmt::print(stderr, "\r{:<100}", line);
    else
      fmt::print(stderr, "{}\n", line);
  };
  while (next < selected.size() || !running.empty()) {
    while (running.size() < jobs && next < selected.size()) {
      const point& pt = pts[selected[next++]];
      prepare_dir(pt, occam);
      running.push_back({start_child(pt, occam, work_dir), pt.index, clock_type::now(), false});
    }
    int status = 0;
    rusage ru{};
    const pid_t r = wait4(-1, &status, WNOHANG, &ru);
    if (r > 0) {
      auto it = std::find_if(running.begin(), running.end(), [&](const child& c) { return c.pid == r; });
      if (it == running.end()) continue;
      const double wall = std::chrono::duration<double>(clock_type::now() - it->start).count();
      const auto rec = finish(pts[it->point], status, ru, wall, it->killed);
      busy_s += wall;
      ++done;
      ++st.ran;
      if (rec.timed_out)
        ++st.timed_out;
      else if (!rec.ok())
        ++st.failed;
      const std::string last =
          rec.ok() ? "" : fmt::format(" (run {:04} {})", it->point, rec.timed_out ? "timed out" : "failed");
      running.erase(it);
      draw(last);
      continue;
    }
    if (r < 0 && errno != EINTR && errno != ECHILD)
      throw input_error(fmt::format("waiting for runs failed: {}", std::strerror(errno)));
    if (stop_signal) {
      std::vector<pid_t> pids;
      for (const auto& c : running) pids.push_back(c.pid);
      if (p.progress && tty) fmt::print(stderr, "\n");
      stop_children(pids);
    }
    for (auto& c : running) {
      const double el = std::chrono::duration<double>(clock_type::now() - c.start).count();
      if (!c.killed && p.time_limit_s > 0 && el > p.time_limit_s) {
        c.killed = true;
        kill(-c.pid, SIGKILL);
        kill(c.pid, SIGKILL);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (p.progress && tty && !selected.empty()) fmt::print(stderr, "\n");
  st.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  return st;
}

void write_manifest(const spec& s, const std::vector<point>& pts, const fs::path& occam,
                    const fs::path& work_dir) {
  json j;
  j["spec"] = s.file.string();
  j["subcommand"] = s.subcommand;
  j["occam"] = occam.string();
  j["work_dir"] = work_dir.string();
  j["resources"] = {{"threads", s.res.threads}, {"memory", s.res.memory}, {"time_s", s.res.time_limit_s}};
  j["axes"] = json::array();
  for (const auto& a : s.axes) j["axes"].push_back(a.name);
  j["points"] = json::array();
  for (const auto& pt : pts) {
    json v = json::object();
    for (const auto& [k, x] : pt.values) v[k] = x;
    j["points"].push_back(
        {{"index", pt.index}, {"dir", pt.dir.string()}, {"hash", pt.hash}, {"args", pt.args}, {"values", v}});
  }
  write_file_atomic(s.out_root / "sweep.json", j.dump(2) + "\n");
}

manifest read_manifest(const fs::path& out_root) {
  const fs::path f = out_root / "sweep.json";
  std::error_code ec;
  if (!fs::exists(f, ec))
    throw input_error(f.string(), 0, "no sweep here (run `occam sweep run SPEC` first)");
  manifest m;
  m.json = json::parse(read_file(f), nullptr, false);
  const json& j = m.json;
  if (j.is_discarded() || !j.is_object() || !j.contains("points") || !j["points"].is_array())
    throw input_error(f.string(), 0, "not a sweep manifest written by occam sweep");
  try {
    m.occam = j.at("occam").get<std::string>();
    m.work_dir = j.at("work_dir").get<std::string>();
    m.time_limit_s = j.at("resources").at("time_s").get<double>();
    for (const auto& e : j["points"]) {
      point pt;
      pt.index = e.at("index");
      pt.dir = e.at("dir").get<std::string>();
      pt.hash = e.at("hash");
      pt.args = e.at("args").get<std::vector<std::string>>();
      for (auto it = e.at("values").begin(); it != e.at("values").end(); ++it)
        pt.values.emplace_back(it.key(), it.value().get<std::string>());
      m.points.push_back(std::move(pt));
    }
  } catch (const json::exception& e) {
    throw input_error(f.string(), 0, fmt::format("malformed sweep manifest: {}", e.what()));
  }
  // Axis values in the spec's order (JSON objects come back sorted by key).
  if (j.contains("axes"))
    for (auto& pt : m.points) {
      std::vector<std::pair<std::string, std::string>> ordered;
      for (const auto& a : j["axes"])
        for (const auto& kv : pt.values)
          if (kv.first == a.get<std::string>()) ordered.push_back(kv);
      pt.values = ordered;
    }
  return m;
}

}  // namespace occam::sweep
