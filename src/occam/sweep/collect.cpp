// `occam sweep collect`: one table of every run (axis values, run status, the run's report fields), as CSV,
// JSON and markdown, plus the merged size-versus-error fronts of `fit` sweeps.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include "occam/report/report.hpp"
#include "occam/sweep/sweep.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::sweep {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

/// Scalars of a report, nested objects flattened with dots; arrays (candidate lists, curves) are left out.
void flatten(const json& j, const std::string& prefix, json& row) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it.value().is_object())
      flatten(it.value(), key, row);
    else if (!it.value().is_array())
      row[key] = it.value();
  }
}

/// A column that measures time (differs between otherwise identical runs).
bool is_time_column(const std::string& key) {
  std::string k = key;
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  const std::string last = k.substr(k.rfind('.') == std::string::npos ? 0 : k.rfind('.') + 1);
  return k.find("second") != std::string::npos || k.find("time") != std::string::npos ||
         (last.size() > 2 && last.compare(last.size() - 2, 2, "_s") == 0) || last == "max_rss_kib";
}

std::string csv_cell(const json& v) {
  if (v.is_null()) return "";
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (s.find_first_of(",\"\n") != std::string::npos) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }
  return s;
}

std::string md_cell(const json& v) {
  if (v.is_null()) return "–";
  if (v.is_number_float()) return fmt::format("{:.4g}", v.get<double>());
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

/// Points of a run's points.csv (error,size,label,…).
std::vector<report::size_error_point> read_points(const fs::path& f) {
  std::vector<report::size_error_point> pts;
  std::istringstream in(read_file(f));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream cells(line);
    std::string e, s;
    if (!std::getline(cells, e, ',') || !std::getline(cells, s, ',')) continue;
    char* end = nullptr;
    report::size_error_point p;
    p.error = std::strtod(e.c_str(), &end);
    if (end == e.c_str()) continue;
    p.size = std::strtod(s.c_str(), &end);
    if (end == s.c_str()) continue;
    pts.push_back(p);
  }
  return pts;
}

}  // namespace

collect_stats collect(const fs::path& out_root, const fs::path& dest, const collect_params& p) {
  const manifest m = read_manifest(out_root);
  collect_stats st;
  std::vector<std::string> axis_cols;
  if (!m.points.empty())
    for (const auto& kv : m.points.front().values) axis_cols.push_back(kv.first);
  std::vector<std::string> fixed = {"run"};
  fixed.insert(fixed.end(), axis_cols.begin(), axis_cols.end());
  for (const char* c : {"state", "exit_code"}) fixed.push_back(c);
  if (!p.drop_times)
    for (const char* c : {"wall_s", "cpu_s"}) fixed.push_back(c);
  std::vector<json> rows;
  std::set<std::string> metric_cols;
  std::vector<report::plot_series> fronts;
  std::string fronts_csv = "run,error,size\n";
  const bool is_fit = m.json.value("subcommand", "") == "fit";
  for (const auto& pt : m.points) {
    json row = json::object();
    row["run"] = fmt::format("{:04}", pt.index);
    for (const auto& kv : pt.values) row[kv.first] = kv.second;
    const run_record r = read_record(pt);
    row["state"] = !r.present          ? "not-run"
                   : r.hash != pt.hash ? "stale"
                   : r.ok()            ? "done"
                   : r.timed_out       ? "timed-out"
                                       : "failed";
    row["exit_code"] = r.present ? json(r.exit_code) : json();
    if (!p.drop_times) {
      row["wall_s"] = r.present ? json(r.wall_s) : json();
      row["cpu_s"] = r.present ? json(r.cpu_s) : json();
    }
    json metrics = json::object();
    bool found = false;
    if (r.present && r.hash == pt.hash)
      for (const char* name : {"report.json", "metrics.json", "summary.json"}) {
        std::error_code ec;
        const fs::path f = pt.dir / name;
        if (!fs::exists(f, ec)) continue;
        auto j = json::parse(read_file(f), nullptr, false);
        if (j.is_discarded() || !j.is_object()) throw input_error(f.string(), 0, "not a JSON object");
        flatten(j, "", metrics);
        found = true;
        break;
      }
    if (!found) ++st.missing;
    for (auto it = metrics.begin(); it != metrics.end(); ++it) {
      if (p.drop_times && is_time_column(it.key())) continue;
      if (std::find(fixed.begin(), fixed.end(), it.key()) != fixed.end()) continue;
      row[it.key()] = it.value();
      metric_cols.insert(it.key());
    }
    std::error_code ec;
    if (is_fit && r.ok() && r.hash == pt.hash && fs::exists(pt.dir / "points.csv", ec)) {
      auto pts = read_points(pt.dir / "points.csv");
      for (const auto& q : pts) fronts_csv += fmt::format("{:04},{},{}\n", pt.index, q.error, q.size);
      std::string name = fmt::format("{:04}", pt.index);
      for (const auto& kv : pt.values) name += " " + kv.first + "=" + fs::path(kv.second).filename().string();
      fronts.push_back({name, report::pareto_front(pts), true, nullptr});
    }
    rows.push_back(std::move(row));
  }
  std::vector<std::string> cols = fixed;
  cols.insert(cols.end(), metric_cols.begin(), metric_cols.end());
  st.rows = rows.size();
  st.columns = cols.size();

  create_output_directory(dest);
  std::string csv;
  for (std::size_t c = 0; c < cols.size(); ++c) csv += (c ? "," : "") + csv_cell(json(cols[c]));
  csv += "\n";
  json table = json::array();
  for (const auto& row : rows) {
    json ordered = json::object();
    for (std::size_t c = 0; c < cols.size(); ++c) {
      const json v = row.contains(cols[c]) ? row[cols[c]] : json();
      csv += (c ? "," : "") + csv_cell(v);
      ordered[cols[c]] = v;
    }
    csv += "\n";
    table.push_back(ordered);
  }
  write_file_atomic(dest / "table.csv", csv);
  st.written.push_back(dest / "table.csv");
  json doc = {{"subcommand", m.json.value("subcommand", "")}, {"columns", cols}, {"rows", table}};
  write_file_atomic(dest / "table.json", doc.dump(2) + "\n");
  st.written.push_back(dest / "table.json");

  // The markdown summary keeps the run, axis and status columns and the headline results (sizes, errors,
  // bounds).
  std::vector<std::string> md_cols = fixed;
  for (const auto& c : metric_cols) {
    static const char* words[] = {"ands",      "depth", "acc",   "rmse",   "bound",
                                  "objective", "loss",  "error", "nonzero"};
    std::string low = c;
    std::transform(low.begin(), low.end(), low.begin(),
                   [](unsigned char ch) { return char(std::tolower(ch)); });
    if (md_cols.size() >= fixed.size() + 10) break;
    if (std::any_of(std::begin(words), std::end(words),
                    [&](const char* w) { return low.find(w) != std::string::npos; }))
      md_cols.push_back(c);
  }
  std::map<std::string, std::size_t> counts;
  for (const auto& row : rows) ++counts[row["state"].get<std::string>()];
  std::string md = fmt::format("# Sweep of `occam {}` ({} runs", m.json.value("subcommand", ""), rows.size());
  for (const auto& [k, n] : counts) md += fmt::format(", {} {}", n, k);
  md += ")\n\nAll columns: `table.csv`, `table.json`.\n\n|";
  for (const auto& c : md_cols) md += " " + c + " |";
  md += "\n|";
  for (std::size_t c = 0; c < md_cols.size(); ++c) md += "---|";
  md += "\n";
  for (const auto& row : rows) {
    md += "|";
    for (const auto& c : md_cols) md += " " + md_cell(row.contains(c) ? row[c] : json()) + " |";
    md += "\n";
  }
  write_file_atomic(dest / "summary.md", md);
  st.written.push_back(dest / "summary.md");

  if (is_fit && !fronts.empty()) {
    write_file_atomic(dest / "fronts.csv", fronts_csv);
    st.written.push_back(dest / "fronts.csv");
    report::plot_params pp;
    pp.title = "size versus error, every run's front (validation)";
    pp.formats = {"png"};
    if (report::gnuplot_available() && report::plottable_points(fronts, pp) > 0)
      for (auto& f : report::plot_size_vs_error(dest / "fronts", fronts, pp)) st.written.push_back(f);
  }
  return st;
}

}  // namespace occam::sweep
