// ABC bridge: child process management, script expansion and output parsing.
// Notes on Debian's berkeley-abc: it reads binary AIGER only (not .aag), it exits with status 0 even when a
// command fails (so the log is scanned for "cmd error"), and &deepsyn calls the compress2rs alias
// internally (it crashes without an alias file) — hence every run sources share/abc/abc.rc.
#include "occam/circuit/abc.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "occam/circuit/io.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"
#include "occam/util/process.hpp"

namespace occam::circuit {
namespace fs = std::filesystem;

namespace {

/// A private temporary directory, removed on scope exit.
class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "occam-abc-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data()))
      throw input_error("cannot create a temporary directory: " + std::string(std::strerror(errno)));
    path_ = buf.data();
  }
  ~temp_dir() { remove_tree(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string abc_executable(const abc_params& p) {
  if (!p.executable.empty()) return p.executable;
  if (const char* e = std::getenv("OCCAM_ABC"); e && *e) return e;
  return "berkeley-abc";
}

std::string strip_ansi(const std::string& s) {
  std::string r;
  r.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\x1b' && i + 1 < s.size() && s[i + 1] == '[') {
      i += 2;
      while (i < s.size() && !(s[i] >= '@' && s[i] <= '~')) ++i;
      continue;
    }
    r += s[i];
  }
  return r;
}

/// The number after `key` ("and =") on `line`; npos when absent.
std::size_t number_after(const std::string& line, const std::string& key, std::size_t* end = nullptr) {
  auto p = line.find(key);
  if (p == std::string::npos) return std::string::npos;
  p += key.size();
  while (p < line.size() && line[p] == ' ') ++p;
  std::size_t v = 0;
  bool any = false;
  while (p < line.size() && line[p] >= '0' && line[p] <= '9') {
    v = v * 10 + std::size_t(line[p] - '0');
    ++p;
    any = true;
  }
  if (end) *end = p;
  return any ? v : std::string::npos;
}

}  // namespace

abc_statistics parse_abc_stats(const std::string& log) {
  abc_statistics s;
  bool found = false;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("i/o =") == std::string::npos || line.find("and =") == std::string::npos) continue;
    std::size_t end = 0;
    s.inputs = number_after(line, "i/o =", &end);
    auto slash = line.find('/', end);
    s.outputs = slash == std::string::npos ? 0 : number_after(line.substr(slash), "/");
    s.ands = number_after(line, "and =");
    s.levels = number_after(line, "lev =");
    found = s.ands != std::string::npos && s.levels != std::string::npos;
  }
  if (!found)
    throw input_error("could not find ABC's statistics line (i/o = ... and = ... lev = ...) in:\n" + log);
  return s;
}

namespace {

void write_for_abc(const aig& g, const fs::path& path) {
  std::ofstream out(path, std::ios::binary);
  write_aiger_binary(g, out);
  if (!out) throw input_error(path.string(), 0, "cannot write the file for ABC");
}

std::string prepare_rc(const fs::path& dir, const abc_params& p) {
  fs::path rc = p.rc_file.empty() ? locate_abc_rc() : p.rc_file;
  std::error_code ec;
  fs::copy_file(rc, dir / "abc.rc", fs::copy_options::overwrite_existing, ec);
  if (ec) throw input_error(rc.string(), 0, "cannot read the ABC alias file: " + ec.message());
  return "source abc.rc; ";
}

}  // namespace

fs::path locate_abc_rc() {
  if (const char* e = std::getenv("OCCAM_ABC_RC"); e && *e) {
    if (!fs::exists(e)) throw input_error(e, 0, "OCCAM_ABC_RC names a file that does not exist");
    return e;
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path() / ".." / "share" / "occam" / "abc.rc";
    if (fs::exists(installed, ec)) return installed.lexically_normal();
  }
#ifdef OCCAM_SOURCE_DIR
  fs::path source = fs::path(OCCAM_SOURCE_DIR) / "share" / "abc" / "abc.rc";
  if (fs::exists(source, ec)) return source;
#endif
  throw input_error(
      "cannot find the ABC alias file abc.rc (set OCCAM_ABC_RC, or install share/occam/abc.rc)");
}

std::string expand_abc_script(const std::string& script, unsigned deepsyn_seconds) {
  if (script == "fast") return "&get -n; &st; &dc2; &put";
  if (script == "medium") return "resyn2";
  if (script == "strong")
    return "resyn2; dc2; &get -n; &deepsyn -T " + std::to_string(std::max(1u, deepsyn_seconds)) + "; &put";
  return script;
}

std::string run_abc(const std::string& commands, const fs::path& work_dir, const abc_params& params,
                    double* seconds) {
  const std::string exe = abc_executable(params);
  const fs::path log_path = work_dir / "abc.log";
  auto pr = run_process({exe, "-c", commands}, work_dir, log_path, params.timeout_s, "ABC",
                        "install berkeley-abc (apt-get install berkeley-abc) or set OCCAM_ABC");
  const int status = pr.status;
  if (seconds) *seconds = pr.seconds;
  std::string log;
  {
    std::ifstream in(log_path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    log = strip_ansi(ss.str());
  }
  if (WIFSIGNALED(status))
    throw input_error("ABC was killed by signal " + std::to_string(WTERMSIG(status)) + " running '" +
                      commands + "'; its output:\n" + log);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw input_error("ABC exited with status " + std::to_string(WEXITSTATUS(status)) + "; its output:\n" +
                      log);
  // ABC exits 0 after a failing command: look for its error markers.
  for (const char* marker : {"** cmd error", "Cannot open input file", "Reading network from file has failed",
                             "Wrong input file format", "Error:"})
    if (log.find(marker) != std::string::npos)
      throw input_error("ABC reported an error running '" + commands + "':\n" + log);
  return log;
}

aig abc_optimize(const aig& g, const std::string& script, const abc_params& params, abc_run_stats* stats) {
  temp_dir dir;
  write_for_abc(g, dir.path() / "in.aig");
  std::string cmd =
      prepare_rc(dir.path(), params) + "read in.aig; " + script + "; strash; write_aiger out.aig";
  double secs = 0;
  std::string log = run_abc(cmd, dir.path(), params, &secs);
  if (!fs::exists(dir.path() / "out.aig"))
    throw input_error("ABC wrote no result for '" + script + "':\n" + log);
  aig r = read_aiger(dir.path() / "out.aig");
  if (r.num_pis() != g.num_pis() || r.num_pos() != g.num_pos())
    throw input_error("ABC changed the interface (" + std::to_string(r.num_pis()) + "/" +
                      std::to_string(r.num_pos()) + " inputs/outputs instead of " +
                      std::to_string(g.num_pis()) + "/" + std::to_string(g.num_pos()) + ")");
  for (std::size_t i = 0; i < g.num_pis(); ++i) r.set_pi_name(i, g.pi_name(i));
  for (std::size_t i = 0; i < g.num_pos(); ++i) r.set_po_name(i, g.po_name(i));
  r.comment = g.comment;
  if (stats) {
    stats->seconds = secs;
    stats->script = cmd;
    stats->log = log;
  }
  return r;
}

std::vector<aig> abc_optimize_each(const aig& g, const std::vector<std::string>& scripts,
                                   const abc_params& params) {
  std::vector<aig> out;
  if (scripts.empty()) return out;
  temp_dir dir;
  write_for_abc(g, dir.path() / "in.aig");
  std::string cmd = prepare_rc(dir.path(), params);
  for (std::size_t i = 0; i < scripts.size(); ++i)
    cmd += "read in.aig; " + scripts[i] + "; strash; write_aiger out" + std::to_string(i) + ".aig; ";
  const std::string log = run_abc(cmd, dir.path(), params);
  for (std::size_t i = 0; i < scripts.size(); ++i) {
    const fs::path f = dir.path() / ("out" + std::to_string(i) + ".aig");
    if (!fs::exists(f)) throw input_error("ABC wrote no result for '" + scripts[i] + "':\n" + log);
    aig r = read_aiger(f);
    if (r.num_pis() != g.num_pis() || r.num_pos() != g.num_pos())
      throw input_error("ABC changed the interface of '" + scripts[i] + "'");
    for (std::size_t k = 0; k < g.num_pis(); ++k) r.set_pi_name(k, g.pi_name(k));
    for (std::size_t k = 0; k < g.num_pos(); ++k) r.set_po_name(k, g.po_name(k));
    r.comment = g.comment;
    out.push_back(std::move(r));
  }
  return out;
}

abc_statistics abc_stats_file(const fs::path& file, const abc_params& params) {
  temp_dir dir;
  std::error_code ec;
  fs::copy_file(file, dir.path() / "in.aig", ec);
  if (ec) throw input_error(file.string(), 0, "cannot read: " + ec.message());
  return parse_abc_stats(run_abc("read in.aig; print_stats", dir.path(), params));
}

abc_statistics abc_stats(const aig& g, const abc_params& params) {
  temp_dir dir;
  write_for_abc(g, dir.path() / "in.aig");
  return parse_abc_stats(run_abc("read in.aig; print_stats", dir.path(), params));
}

bool abc_equivalent(const aig& a, const aig& b, const abc_params& params) {
  temp_dir dir;
  write_for_abc(a, dir.path() / "a.aig");
  write_for_abc(b, dir.path() / "b.aig");
  std::string log = run_abc("cec -n a.aig b.aig", dir.path(), params);  // -n: match inputs/outputs by order
  if (log.find("NOT EQUIVALENT") != std::string::npos) return false;
  if (log.find("are equivalent") != std::string::npos) return true;
  throw input_error("ABC's cec gave no verdict:\n" + log);
}

}  // namespace occam::circuit
