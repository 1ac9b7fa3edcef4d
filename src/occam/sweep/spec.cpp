// Spec parsing: TOML (toml++) and JSON (nlohmann) are read into one JSON tree with the line of every key,
// then validated together, so both formats give the same errors with file:line.
#include <fmt/format.h>
#include <glob.h>
#include <unistd.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include "occam/sweep/flag_hash.hpp"
#include "occam/sweep/sweep.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::sweep {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

/// Lines of keys by dotted path ("axes.seed"); 0 when unknown.
using line_map = std::map<std::string, std::size_t>;

json from_toml(const toml::node& n, const std::string& path, line_map& lines) {
  lines[path] = n.source().begin.line;
  if (auto* t = n.as_table()) {
    json j = json::object();
    for (auto&& [k, v] : *t) {
      const std::string key(k.str());
      j[key] = from_toml(v, path.empty() ? key : path + "." + key, lines);
      lines[path.empty() ? key : path + "." + key] =
          k.source().begin.line ? k.source().begin.line : v.source().begin.line;
    }
    return j;
  }
  if (auto* a = n.as_array()) {
    json j = json::array();
    for (std::size_t i = 0; i < a->size(); ++i) j.push_back(from_toml((*a)[i], path + "[]", lines));
    return j;
  }
  if (auto v = n.value_exact<std::string>()) return *v;
  if (auto v = n.value_exact<std::int64_t>()) return *v;
  if (auto v = n.value_exact<double>()) return *v;
  if (auto v = n.value_exact<bool>()) return *v;
  return n.is_date_time() || n.is_date() || n.is_time() ? json("(date)") : json();
}

/// JSON keeps no positions: the line of a dotted path is found by searching its keys in order.
void json_lines(const std::string& text, const json& j, const std::string& path, std::size_t from,
                line_map& lines) {
  if (!j.is_object()) return;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string quoted = "\"" + it.key() + "\"";
    const std::size_t pos = text.find(quoted, from);
    const std::size_t at = pos == std::string::npos ? from : pos;
    const std::string p = path.empty() ? it.key() : path + "." + it.key();
    lines[p] = std::size_t(
                   std::count(text.begin(), text.begin() + std::ptrdiff_t(std::min(at, text.size())), '\n')) +
               1;
    json_lines(text, it.value(), p, at, lines);
  }
}

std::string scalar_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
  if (v.is_number_float()) return fmt::format("{}", v.get<double>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

struct reader {
  fs::path file;
  line_map lines;
  std::size_t line(const std::string& path) const {
    auto it = lines.find(path);
    return it == lines.end() ? 0 : it->second;
  }
  [[noreturn]] void fail(const std::string& path, const std::string& msg) const {
    throw input_error(file.string(), line(path), msg);
  }
};

std::string flag_of(const std::string& key) {
  return key.rfind("-", 0) == 0 ? key : "--" + key;
}

/// A flag's value as arguments: true → none (a switch), an array → one argument per element.
std::vector<std::string> value_args(const reader& r, const std::string& path, const json& v) {
  if (v.is_array()) {
    std::vector<std::string> out;
    for (const auto& e : v) {
      if (e.is_object() || e.is_array()) r.fail(path, "a flag value list may hold only numbers and strings");
      out.push_back(scalar_text(e));
    }
    if (out.empty()) r.fail(path, "an empty list gives the flag no value");
    return out;
  }
  if (v.is_object()) r.fail(path, "a flag value must be a string, a number, a boolean or a list");
  if (v.is_null()) r.fail(path, "a flag needs a value");
  if (v.is_boolean()) return {};
  return {scalar_text(v)};
}

double parse_time(const reader& r, const std::string& path, const json& v) {
  if (v.is_number()) {
    const double s = v.get<double>();
    if (!(s > 0) || !std::isfinite(s)) r.fail(path, "the time limit must be a positive number of seconds");
    return s;
  }
  if (!v.is_string()) r.fail(path, "the time limit must be seconds or \"[D-]HH:MM:SS\"");
  const std::string t = v.get<std::string>();
  long d = 0, h = 0, m = 0, s = 0;
  char tail = 0;
  if (std::sscanf(t.c_str(), "%ld-%ld:%ld:%ld%c", &d, &h, &m, &s, &tail) == 4 ||
      (d = 0, std::sscanf(t.c_str(), "%ld:%ld:%ld%c", &h, &m, &s, &tail) == 3)) {
    if (d >= 0 && h >= 0 && m >= 0 && m < 60 && s >= 0 && s < 60 && (d + h + m + s) > 0)
      return double(((d * 24 + h) * 60 + m) * 60 + s);
  }
  r.fail(path, fmt::format("bad time limit '{}' (want seconds or \"[D-]HH:MM:SS\")", t));
}

std::vector<std::vector<std::string>> axis_values(const reader& r, const std::string& path, const json& v,
                                                  const fs::path& base_dir) {
  std::vector<std::vector<std::string>> out;
  if (v.is_array()) {
    for (const auto& e : v)
      out.push_back(e.is_boolean() ? std::vector<std::string>{e.get<bool>() ? "true" : "false"}
                                   : value_args(r, path, e));
  } else if (v.is_object() && v.contains("range")) {
    if (v.size() != 1) r.fail(path, "a range axis has only the key 'range'");
    const json& rg = v["range"];
    if (!rg.is_array() || rg.size() < 2 || rg.size() > 3 ||
        !std::all_of(rg.begin(), rg.end(), [](const json& e) { return e.is_number_integer(); }))
      r.fail(path, "range = [FIRST, LAST] or [FIRST, LAST, STEP] with integers (LAST included)");
    const std::int64_t a = rg[0], b = rg[1], step = rg.size() == 3 ? rg[2].get<std::int64_t>() : 1;
    if (step <= 0) r.fail(path, "the range step must be positive");
    if (b >= a && (b - a) / step > 100000) r.fail(path, "the range has more than 100000 values");
    for (std::int64_t x = a; x <= b; x += step) out.push_back({std::to_string(x)});
  } else if (v.is_object() && v.contains("glob")) {
    if (v.size() != 1 || !v["glob"].is_string()) r.fail(path, "a glob axis is { glob = \"PATTERN\" }");
    std::string pattern = v["glob"].get<std::string>();
    if (!pattern.empty() && pattern[0] != '/') pattern = (base_dir / pattern).string();
    glob_t g{};
    const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
    std::vector<std::string> files;
    if (rc == 0)
      for (std::size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
    globfree(&g);
    std::sort(files.begin(), files.end());
    if (files.empty()) r.fail(path, fmt::format("the glob '{}' matches no file (an empty axis)", pattern));
    for (auto& f : files) out.push_back({f});
  } else {
    r.fail(path, "an axis is a list of values, { range = [A, B] } or { glob = \"PATTERN\" }");
  }
  if (out.empty()) r.fail(path, "the axis is empty");
  return out;
}

/// The output root must exist or be creatable, and be writable, before anything runs.
void check_out_root(const reader& r, const fs::path& out) {
  try {
    create_output_directory(out);
  } catch (const input_error& e) {
    r.fail("out", fmt::format("the output root '{}' cannot be created: {}", out.string(), e.what()));
  }
  if (::access(out.c_str(), W_OK | X_OK) != 0)
    r.fail("out", fmt::format("the output root '{}' is not writable", out.string()));
}

}  // namespace

spec parse_spec(const fs::path& file, const parse_params& p) {
  reader r{file, {}};
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) throw input_error(file.string(), 0, "no such spec file");
  const std::string text = read_file(file);
  json j;
  const std::string ext = file.extension().string();
  if (ext == ".toml") {
    try {
      auto tbl = toml::parse(text, file.string());
      j = from_toml(tbl, "", r.lines);
    } catch (const toml::parse_error& e) {
      throw input_error(file.string(), e.source().begin.line, std::string(e.description()));
    }
  } else if (ext == ".json") {
    try {
      j = json::parse(text);
    } catch (const json::parse_error& e) {
      const std::size_t at = std::min<std::size_t>(e.byte, text.size());
      throw input_error(file.string(),
                        std::size_t(std::count(text.begin(), text.begin() + std::ptrdiff_t(at), '\n')) + 1,
                        "not valid JSON");
    }
    json_lines(text, j, "", 0, r.lines);
  } else {
    throw input_error(file.string(), 0, "a sweep spec ends in .toml or .json");
  }
  if (!j.is_object()) throw input_error(file.string(), 1, "the spec must be a table / object");

  static const std::set<std::string> top = {"subcommand", "out",  "executor",  "jobs", "zip",
                                            "flags",      "axes", "resources", "slurm"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!top.count(it.key()))
      r.fail(it.key(),
             fmt::format("unknown key '{}' (known: subcommand, out, executor, jobs, zip, flags, axes, "
                         "resources, slurm)",
                         it.key()));
  spec s;
  s.file = file;
  if (!j.contains("subcommand") || !j["subcommand"].is_string() || j["subcommand"].get<std::string>().empty())
    throw input_error(file.string(), r.line("subcommand"),
                      "the spec needs subcommand = \"NAME\" (fit, convex, …)");
  s.subcommand = j["subcommand"];
  if (s.subcommand == "sweep") r.fail("subcommand", "a sweep cannot run sweeps");
  auto known = [&](const std::string& flag) { return !p.known_flag || p.known_flag(s.subcommand, flag); };
  if (p.known_flag && !p.known_flag(s.subcommand, ""))
    r.fail("subcommand", fmt::format("unknown subcommand '{}'", s.subcommand));
  if (!j.contains("out") || !j["out"].is_string() || j["out"].get<std::string>().empty())
    throw input_error(file.string(), r.line("out"), "the spec needs out = \"DIR\" (the output root)");
  s.out_root = j["out"].get<std::string>();
  if (s.out_root.is_relative()) s.out_root = p.base_dir / s.out_root;
  if (j.contains("executor")) {
    const auto e = j["executor"].is_string() ? j["executor"].get<std::string>() : std::string();
    if (e == "local")
      s.executor = executor_kind::local;
    else if (e == "slurm")
      s.executor = executor_kind::slurm;
    else
      r.fail("executor", "executor is \"local\" or \"slurm\"");
  }
  if (j.contains("jobs")) {
    if (!j["jobs"].is_number_integer() || j["jobs"].get<int>() < 0)
      r.fail("jobs", "jobs must be an integer ≥ 0");
    s.jobs = j["jobs"];
  }
  std::set<std::string> used;
  auto check_flag = [&](const std::string& path, const std::string& key) {
    const std::string flag = flag_of(key);
    if (flag == "--out" || flag == "-o")
      r.fail(path, "--out is set by the sweep (each run writes into its own run directory under out)");
    if (!known(flag)) r.fail(path, fmt::format("'{} {}' has no flag {}", "occam", s.subcommand, flag));
    if (!used.insert(flag).second) r.fail(path, fmt::format("the flag {} is given twice", flag));
    return flag;
  };
  if (j.contains("flags")) {
    if (!j["flags"].is_object()) r.fail("flags", "flags is a table of flag = value");
    for (auto it = j["flags"].begin(); it != j["flags"].end(); ++it) {
      const std::string path = "flags." + it.key();
      const std::string flag = check_flag(path, it.key());
      if (it.value().is_boolean() && !it.value().get<bool>()) continue;
      s.base_args.push_back(flag);
      for (auto& a : value_args(r, path, it.value())) s.base_args.push_back(a);
    }
  }
  if (j.contains("axes")) {
    if (!j["axes"].is_object()) r.fail("axes", "axes is a table of flag = values");
    for (auto it = j["axes"].begin(); it != j["axes"].end(); ++it) {
      const std::string path = "axes." + it.key();
      axis a;
      a.name = it.key();
      a.flag = check_flag(path, it.key());
      a.line = r.line(path);
      a.values = axis_values(r, path, it.value(), p.base_dir);
      s.axes.push_back(std::move(a));
    }
  }
  if (j.contains("zip")) {
    const json& z = j["zip"];
    if (!z.is_array() || z.size() < 2) r.fail("zip", "zip lists two or more axis names");
    std::size_t len = 0;
    for (const auto& e : z) {
      const std::string name = e.is_string() ? e.get<std::string>() : std::string();
      auto it = std::find_if(s.axes.begin(), s.axes.end(), [&](const axis& a) { return a.name == name; });
      if (it == s.axes.end()) r.fail("zip", fmt::format("zip names '{}', which is not an axis", name));
      if (std::find(s.zip.begin(), s.zip.end(), name) != s.zip.end())
        r.fail("zip", fmt::format("zip names '{}' twice", name));
      if (len && it->values.size() != len)
        r.fail("zip", fmt::format("zipped axes differ in length: '{}' has {} values, '{}' has {}",
                                  s.zip.front(), len, name, it->values.size()));
      len = it->values.size();
      s.zip.push_back(name);
    }
  }
  if (j.contains("resources")) {
    const json& rs = j["resources"];
    if (!rs.is_object()) r.fail("resources", "resources is a table (threads, memory, time)");
    for (auto it = rs.begin(); it != rs.end(); ++it) {
      const std::string path = "resources." + it.key();
      if (it.key() == "threads") {
        if (!it.value().is_number_integer() || it.value().get<int>() < 1 || it.value().get<int>() > 1024)
          r.fail(path, "threads must be an integer in [1, 1024]");
        s.res.threads = it.value();
      } else if (it.key() == "memory") {
        const std::string m =
            it.value().is_string() ? it.value().get<std::string>() : scalar_text(it.value());
        std::size_t pos = 0;
        while (pos < m.size() && std::isdigit(static_cast<unsigned char>(m[pos]))) ++pos;
        const std::string unit = m.substr(pos);
        if (pos == 0 || !(unit.empty() || unit == "K" || unit == "M" || unit == "G" || unit == "T"))
          r.fail(path,
                 fmt::format("bad memory '{}' (want an integer with K, M, G or T, as sbatch --mem)", m));
        s.res.memory = m;
      } else if (it.key() == "time") {
        s.res.time_limit_s = parse_time(r, path, it.value());
      } else {
        r.fail(path, fmt::format("unknown resource '{}' (known: threads, memory, time)", it.key()));
      }
    }
  }
  if (j.contains("slurm")) {
    const json& sl = j["slurm"];
    if (!sl.is_object()) r.fail("slurm", "slurm is a table (parallel, partition, job_name)");
    for (auto it = sl.begin(); it != sl.end(); ++it) {
      const std::string path = "slurm." + it.key();
      if (it.key() == "parallel") {
        if (!it.value().is_number_integer() || it.value().get<int>() < 0)
          r.fail(path, "parallel must be ≥ 0");
        s.slurm.parallel = it.value();
      } else if (it.key() == "partition" || it.key() == "job_name") {
        if (!it.value().is_string()) r.fail(path, it.key() + " must be a string");
        const std::string v = it.value();
        if (v.find_first_of(" \t\n'\"$`\\") != std::string::npos)
          r.fail(path, it.key() + " must not contain spaces, quotes or shell characters");
        (it.key() == "partition" ? s.slurm.partition : s.slurm.job_name) = v;
      } else {
        r.fail(path, fmt::format("unknown slurm key '{}' (known: parallel, partition, job_name)", it.key()));
      }
    }
  }
  check_out_root(r, s.out_root);
  return s;
}

std::vector<point> expand(const spec& s, const flag_checker& known_flag) {
  // Product over groups: each non-zipped axis is a group, the zipped axes form one group at the place of
  // the first of them.
  std::vector<std::vector<std::size_t>> groups;
  bool zip_placed = false;
  for (std::size_t a = 0; a < s.axes.size(); ++a) {
    const bool zipped = std::find(s.zip.begin(), s.zip.end(), s.axes[a].name) != s.zip.end();
    if (!zipped) {
      groups.push_back({a});
    } else if (!zip_placed) {
      zip_placed = true;
      std::vector<std::size_t> g;
      for (std::size_t b = 0; b < s.axes.size(); ++b)
        if (std::find(s.zip.begin(), s.zip.end(), s.axes[b].name) != s.zip.end()) g.push_back(b);
      groups.push_back(g);
    }
  }
  std::size_t total = 1;
  for (const auto& g : groups) total *= s.axes[g.front()].values.size();
  const bool has_threads = !known_flag || known_flag(s.subcommand, "--threads");
  const bool has_out = !known_flag || known_flag(s.subcommand, "--out");
  bool threads_given = std::find(s.base_args.begin(), s.base_args.end(), "--threads") != s.base_args.end();
  for (const auto& a : s.axes) threads_given = threads_given || a.flag == "--threads";
  std::vector<point> pts;
  for (std::size_t i = 0; i < total; ++i) {
    point pt;
    pt.index = i;
    pt.dir = s.out_root / "runs" / fmt::format("{:04}", i);
    pt.args = {s.subcommand};
    pt.args.insert(pt.args.end(), s.base_args.begin(), s.base_args.end());
    std::size_t rest = i;
    std::vector<std::size_t> choice(s.axes.size());
    for (std::size_t g = groups.size(); g-- > 0;) {
      const std::size_t n = s.axes[groups[g].front()].values.size();
      for (std::size_t a : groups[g]) choice[a] = rest % n;
      rest /= n;
    }
    for (std::size_t a = 0; a < s.axes.size(); ++a) {
      const auto& v = s.axes[a].values[choice[a]];
      std::string joined;
      for (const auto& x : v) joined += (joined.empty() ? "" : " ") + x;
      pt.values.emplace_back(s.axes[a].name, joined);
      if (v.size() == 1 && (v[0] == "false")) continue;  // a switch axis: false leaves the flag out
      pt.args.push_back(s.axes[a].flag);
      if (!(v.size() == 1 && v[0] == "true"))
        for (const auto& x : v) pt.args.push_back(x);
    }
    if (has_threads && !threads_given) {
      pt.args.push_back("--threads");
      pt.args.push_back(std::to_string(s.res.threads));
    }
    // The hash covers what the run computes; the run directory itself is appended after hashing.
    pt.hash = flag_hash(pt.args);
    if (has_out) {
      pt.args.push_back("--out");
      pt.args.push_back(pt.dir.string());
    }
    pts.push_back(std::move(pt));
  }
  return pts;
}

}  // namespace occam::sweep
