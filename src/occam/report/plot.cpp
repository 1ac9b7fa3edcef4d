// Size-versus-error plots through gnuplot (THEORY §4): the measured points, their Pareto front as a
// staircase and the fitted power law. gnuplot runs as a child process without a shell, on a script file
// that is kept next to the images so the plot can be regenerated (`cd dir && gnuplot stem.gp`).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "occam/report/report.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"
#include "occam/util/process.hpp"

namespace occam::report {
namespace fs = std::filesystem;

namespace {

constexpr double gnuplot_timeout_s = 120;

std::string gnuplot_executable() {
  const char* env = std::getenv("OCCAM_GNUPLOT");
  return env && *env ? env : "gnuplot";
}

/// Runs gnuplot with `args` in `work_dir`, stdin from /dev/null and stdout+stderr into `log_path`.
/// Returns the exit status as waitpid reports it; throws when gnuplot cannot be started.
int run_gnuplot(const std::vector<std::string>& args, const fs::path& work_dir, const fs::path& log_path) {
  std::vector<std::string> full = {gnuplot_executable()};
  full.insert(full.end(), args.begin(), args.end());
  return run_process(full, work_dir, log_path, gnuplot_timeout_s, "gnuplot",
                     "install gnuplot (apt-get install gnuplot-nox) or set OCCAM_GNUPLOT")
      .status;
}

/// A gnuplot single-quoted string literal: no backslash escapes inside; a quote is doubled.
std::string gp_quote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) {
    if (ch == '\'') out += '\'';
    if (ch == '\n' || ch == '\r') {
      out += ' ';
      continue;
    }
    out += ch;
  }
  return out + "'";
}

std::string num(double v) {
  std::ostringstream o;
  o.precision(17);
  o << v;
  return o.str();
}

bool plottable(const size_error_point& p, const plot_params& params) {
  if (!std::isfinite(p.error) || !std::isfinite(p.size)) return false;
  if (params.log_x && !(p.error > 0)) return false;
  if (params.log_y && !(p.size > 0)) return false;
  return true;
}

}  // namespace

std::size_t plottable_points(const std::vector<plot_series>& series, const plot_params& params) {
  std::size_t n = 0;
  for (const auto& s : series)
    for (const auto& p : s.points) n += plottable(p, params);
  return n;
}

bool gnuplot_available() {
  const fs::path log = fs::temp_directory_path() / ("occam-gnuplot-probe." + std::to_string(::getpid()));
  bool ok = false;
  try {
    const int status = run_gnuplot({"-V"}, {}, log);
    ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  } catch (const input_error&) {
    ok = false;
  }
  std::error_code ec;
  fs::remove(log, ec);
  return ok;
}

std::vector<fs::path> plot_size_vs_error(const fs::path& stem, const std::vector<plot_series>& series,
                                         const plot_params& params) {
  for (const auto& f : params.formats)
    if (f != "png" && f != "svg") throw input_error("plot: unknown format '" + f + "' (expected png or svg)");
  if (params.formats.empty()) throw input_error("plot: no output format requested");
  const fs::path dir = stem.parent_path().empty() ? fs::path(".") : stem.parent_path();
  const std::string base = stem.filename().string();
  if (base.empty()) throw input_error(stem.string(), 0, "plot: the output stem has no file name");
  std::error_code ec;
  fs::create_directories(dir, ec);

  // Data file: per drawn element one block (separated by two blank lines, addressed with `index`).
  std::ostringstream dat;
  std::ostringstream plot_cmd;
  int block = 0;
  bool first_clause = true;
  auto add_clause = [&](const std::string& clause) {
    plot_cmd << (first_clause ? "plot " : ", \\\n     ") << clause;
    first_clause = false;
  };
  for (std::size_t si = 0; si < series.size(); ++si) {
    const auto& s = series[si];
    std::vector<size_error_point> pts;
    for (const auto& p : s.points)
      if (plottable(p, params)) pts.push_back(p);
    if (pts.empty()) continue;
    const std::string color = "lc " + std::to_string(si + 1);
    dat << "# series " << si << ": " << s.name << " (points: error size)\n";
    for (const auto& p : pts) dat << num(p.error) << ' ' << num(p.size) << '\n';
    dat << "\n\n";
    add_clause("data_file index " + std::to_string(block++) + " using 1:2 with points pt 7 ps 0.8 " + color +
               " title " + gp_quote(s.name));
    if (s.front_line) {
      // The front sorted by increasing ε: `with steps` holds s_k until ε_{k+1}, the best size known at ε.
      auto front = pareto_front(pts);
      std::reverse(front.begin(), front.end());
      dat << "# series " << si << ": Pareto front, increasing error\n";
      for (const auto& p : front) dat << num(p.error) << ' ' << num(p.size) << '\n';
      dat << "\n\n";
      add_clause("data_file index " + std::to_string(block++) + " using 1:2 with steps lw 1.5 " + color +
                 " notitle");
    }
    if (s.fit && s.fit->valid) {
      double lo = pts.front().error, hi = lo;
      for (const auto& p : pts) lo = std::min(lo, p.error), hi = std::max(hi, p.error);
      dat << "# series " << si << ": fitted s = exp(log_a) eps^-gamma\n";
      constexpr int samples = 64;
      for (int k = 0; k < samples; ++k) {
        const double t = double(k) / (samples - 1);
        const double e = params.log_x && lo > 0 ? lo * std::pow(hi / lo, t) : lo + (hi - lo) * t;
        const double v = s.fit->predict_size(e);
        if (std::isfinite(v) && (!params.log_y || v > 0)) dat << num(e) << ' ' << num(v) << '\n';
      }
      dat << "\n\n";
      std::ostringstream t;
      t.precision(3);
      t << s.name << " fit: γ = " << s.fit->gamma;
      add_clause("data_file index " + std::to_string(block++) + " using 1:2 with lines dt 2 " + color +
                 " title " + gp_quote(t.str()));
    }
  }
  if (block == 0) throw input_error(stem.string(), 0, "plot: no point to plot (log axes need ε > 0, s > 0)");

  const fs::path dat_path = dir / (base + ".dat");
  const fs::path gp_path = dir / (base + ".gp");
  std::ostringstream gp;
  gp << "# occam size-versus-error plot (docs/report.md). Regenerate: cd <this directory> && gnuplot " << base
     << ".gp\n";
  gp << "set encoding utf8\n";
  gp << "data_file = " << gp_quote(base + ".dat") << "\n";
  for (const auto& f : params.formats)
    gp << "if (!exists(\"out_" << f << "\")) out_" << f << " = " << gp_quote(base + "." + f) << "\n";
  gp << "set title " << gp_quote(params.title) << "\n";
  gp << "set xlabel " << gp_quote(params.x_label) << "\n";
  gp << "set ylabel " << gp_quote(params.y_label) << "\n";
  if (params.log_x) gp << "set logscale x\n";
  if (params.log_y) gp << "set logscale y\n";
  gp << "set grid\nset key top right\n";
  const std::string plot_text = plot_cmd.str();
  for (const auto& f : params.formats) {
    if (f == "png") {
      // pngcairo draws antialiased UTF-8 text; the libgd png terminal is the fallback.
      gp << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
         << "  set terminal pngcairo size 900,640 noenhanced\n"
         << "} else {\n"
         << "  set terminal png size 900,640 noenhanced\n"
         << "}\n";
    } else {
      gp << "set terminal svg size 900,640 noenhanced\n";
    }
    gp << "set output out_" << f << "\n" << plot_text << "\nset output\n";
  }
  write_file_atomic(dat_path, dat.str());
  write_file_atomic(gp_path, gp.str());

  // gnuplot writes the images under temporary names (passed as -e assignments), renamed once it succeeded.
  const std::string suffix = ".tmp." + std::to_string(::getpid());
  std::vector<std::string> args;
  std::vector<std::pair<fs::path, fs::path>> renames;
  for (const auto& f : params.formats) {
    const fs::path final_path = dir / (base + "." + f);
    const fs::path tmp_path = dir / (base + "." + f + suffix);
    args.push_back("-e");
    args.push_back("out_" + f + " = " + gp_quote(tmp_path.filename().string()));
    renames.emplace_back(tmp_path, final_path);
  }
  args.push_back(gp_path.filename().string());
  const fs::path log_path = dir / (base + ".gnuplot.log" + suffix);
  auto cleanup = [&] {
    for (const auto& r : renames) fs::remove(r.first, ec);
    fs::remove(log_path, ec);
  };
  int status = 0;
  try {
    status = run_gnuplot(args, dir, log_path);
  } catch (...) {
    cleanup();
    throw;
  }
  std::string log;
  {
    std::ifstream in(log_path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    log = ss.str();
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    cleanup();
    throw input_error(gp_path.string(), 0, "gnuplot failed; its output:\n" + log);
  }
  for (const auto& r : renames) {
    if (!fs::exists(r.first, ec) || fs::file_size(r.first, ec) == 0) {
      cleanup();
      throw input_error(gp_path.string(), 0,
                        "gnuplot wrote no " + r.second.extension().string() + " image; its output:\n" + log);
    }
  }
  std::vector<fs::path> written = {dat_path, gp_path};
  for (const auto& r : renames) {
    fs::rename(r.first, r.second, ec);
    if (ec) {
      cleanup();
      throw input_error(r.second.string(), 0, "cannot rename the plot into place: " + ec.message());
    }
    written.push_back(r.second);
  }
  fs::remove(log_path, ec);
  return written;
}

}  // namespace occam::report
