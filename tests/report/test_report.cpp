// Report statistics (THEORY §4 estimation from measurements, §5 PAC bound) against independent checks:
// brute-force dominance, exact power laws, Student-t table values, the PAC inequality plugged back in.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <string>

#include "occam/report/report.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace fs = std::filesystem;
using namespace occam::report;

namespace {

fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("occam_test_report_" + name + "_" + std::to_string(::getpid()));
  occam::remove_tree(d);
  fs::create_directories(d);
  return d;
}

size_error_point pt(double error, double size, std::string label = {}) {
  size_error_point p;
  p.error = error;
  p.size = size;
  p.label = std::move(label);
  return p;
}

}  // namespace

// --- Student t and the incomplete beta function ------------------------------------------------------

TEST(ReportStudentT, MatchesTableValues) {
  // Two-sided 95 % and other standard table entries (rounded to 3 decimals in the tables).
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.706, 1e-3);
  EXPECT_NEAR(student_t_quantile(0.975, 2), 4.303, 1e-3);
  EXPECT_NEAR(student_t_quantile(0.975, 10), 2.228, 1e-3);
  EXPECT_NEAR(student_t_quantile(0.975, 30), 2.042, 1e-3);
  EXPECT_NEAR(student_t_quantile(0.95, 5), 2.015, 1e-3);
  EXPECT_NEAR(student_t_quantile(0.995, 2), 9.925, 1e-3);
  EXPECT_NEAR(student_t_quantile(0.9995, 1), 636.619, 1e-2);
  EXPECT_NEAR(student_t_quantile(0.975, 1000), 1.962, 1e-3);
  EXPECT_NEAR(student_t_quantile(0.025, 10), -2.228, 1e-3);
  EXPECT_EQ(student_t_quantile(0.5, 7), 0.0);
}

TEST(ReportStudentT, CdfInvertsQuantileAndHasClosedFormsForOneAndTwoDof) {
  for (double dof : {1.0, 2.0, 3.5, 17.0}) {
    for (double p : {0.01, 0.2, 0.6, 0.9, 0.999}) {
      EXPECT_NEAR(student_t_cdf(student_t_quantile(p, dof), dof), p, 1e-10);
    }
  }
  // ν = 1 is the Cauchy distribution: F(t) = 1/2 + atan(t)/π. ν = 2: F(t) = 1/2 + t / (2 sqrt(2 + t²)).
  for (double t : {-5.0, -0.3, 0.0, 1.0, 40.0}) {
    EXPECT_NEAR(student_t_cdf(t, 1), 0.5 + std::atan(t) / M_PI, 1e-12);
    EXPECT_NEAR(student_t_cdf(t, 2), 0.5 + t / (2 * std::sqrt(2 + t * t)), 1e-12);
  }
}

TEST(ReportIncompleteBeta, ClosedForms) {
  for (double x : {0.0, 0.1, 0.37, 0.5, 0.93, 1.0}) {
    EXPECT_NEAR(regularized_incomplete_beta(1, 1, x), x, 1e-13);
    EXPECT_NEAR(regularized_incomplete_beta(3.5, 1, x), std::pow(x, 3.5), 1e-13);
    EXPECT_NEAR(regularized_incomplete_beta(1, 4, x), 1 - std::pow(1 - x, 4), 1e-13);
  }
  for (double a : {0.5, 2.0, 30.0}) EXPECT_NEAR(regularized_incomplete_beta(a, a, 0.5), 0.5, 1e-12);
  EXPECT_THROW(regularized_incomplete_beta(0, 1, 0.5), occam::input_error);
  EXPECT_THROW(regularized_incomplete_beta(1, 1, 1.5), occam::input_error);
  EXPECT_THROW(student_t_quantile(1.0, 3), occam::input_error);
}

// --- Pareto front --------------------------------------------------------------------------------------

TEST(ReportParetoFront, MatchesBruteForceDominanceOnRandomSets) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    const int n = int(rng() % 40);
    // Small integer grids give many ties and exact duplicates.
    std::uniform_int_distribution<int> coord(0, trial % 2 ? 6 : 1000);
    std::vector<size_error_point> points;
    for (int i = 0; i < n; ++i) points.push_back(pt(coord(rng) * 0.01, coord(rng), std::to_string(i)));
    std::set<std::string> expected;
    for (int i = 0; i < n; ++i) {
      bool keep = true;
      for (int j = 0; j < n && keep; ++j) {
        const auto &p = points[i], &q = points[j];
        const bool dominates =
            q.size <= p.size && q.error <= p.error && (q.size < p.size || q.error < p.error);
        const bool earlier_duplicate = j < i && q.size == p.size && q.error == p.error;
        if (dominates || earlier_duplicate) keep = false;
      }
      if (keep) expected.insert(points[i].label);
    }
    const auto front = pareto_front(points);
    std::set<std::string> got;
    for (const auto& p : front) got.insert(p.label);
    ASSERT_EQ(got, expected) << "trial " << trial;
    ASSERT_EQ(got.size(), front.size());
    for (std::size_t k = 1; k < front.size(); ++k) {
      EXPECT_LT(front[k - 1].size, front[k].size);
      EXPECT_GT(front[k - 1].error, front[k].error);
    }
  }
}

TEST(ReportParetoFront, SkipsNaNAndHandlesEmpty) {
  EXPECT_TRUE(pareto_front({}).empty());
  auto f = pareto_front({pt(NAN, 1, "nan"), pt(0.5, 3, "a"), pt(0.1, 10, "b")});
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].label, "a");
  EXPECT_EQ(f[1].label, "b");
}

// --- Rate fit --------------------------------------------------------------------------------------------

TEST(ReportRateFit, RecoversNoiselessPowerLawsExactly) {
  for (double gamma : {0.5, 2.0, 3.7}) {
    const double a = 12.5;
    std::vector<size_error_point> pts;
    for (double eps = 0.5; eps > 1e-3; eps /= 1.7) pts.push_back(pt(eps, a * std::pow(eps, -gamma)));
    const rate_fit f = fit_rate(pts);
    ASSERT_TRUE(f.valid);
    EXPECT_EQ(f.n, pts.size());
    EXPECT_NEAR(f.gamma, gamma, 1e-10);
    EXPECT_NEAR(f.log_a, std::log(a), 1e-9);
    EXPECT_NEAR(f.r2, 1.0, 1e-12);
    EXPECT_NEAR(f.stderr_gamma, 0.0, 1e-8);
    EXPECT_NEAR(f.gamma_lo, gamma, 1e-7);
    EXPECT_NEAR(f.gamma_hi, gamma, 1e-7);
    EXPECT_NEAR(f.predict_size(0.01), a * std::pow(0.01, -gamma), 1e-6 * a * std::pow(0.01, -gamma));
  }
}

TEST(ReportRateFit, TwoPointsGiveTheSlopeWithoutInterval) {
  // log s = log a + γ log(1/ε) through (ε, s) = (0.1, 100), (0.01, 10000): γ = 2, a = 1.
  const rate_fit f = fit_rate({pt(0.1, 100), pt(0.01, 10000), pt(0, 5), pt(0.2, 0)});
  ASSERT_TRUE(f.valid);
  EXPECT_EQ(f.n, 2u);  // ε = 0 and s = 0 are left out
  EXPECT_NEAR(f.gamma, 2.0, 1e-12);
  EXPECT_NEAR(f.log_a, 0.0, 1e-12);
  EXPECT_EQ(f.gamma_lo, f.gamma);
  EXPECT_EQ(f.gamma_hi, f.gamma);
  EXPECT_EQ(f.stderr_gamma, 0.0);
  EXPECT_FALSE(fit_rate({pt(0.1, 100)}).valid);
  EXPECT_FALSE(fit_rate({pt(0.1, 100), pt(0.1, 300), pt(0.1, 7)}).valid);
  EXPECT_THROW(fit_rate({}, rate_fit_params{1.0}), occam::input_error);
}

TEST(ReportRateFit, StandardErrorMatchesTheTextbookFormula) {
  // Independent: se² = (Σ r²/(n−2)) / Σ (x − x̄)² with residuals from the normal equations solved by hand.
  std::vector<size_error_point> pts = {pt(0.5, 3), pt(0.25, 11), pt(0.1, 40), pt(0.05, 180), pt(0.01, 2500)};
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  const double n = 5;
  for (auto& p : pts) {
    const double x = std::log(1 / p.error), y = std::log(p.size);
    sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const double icpt = (sy - slope * sx) / n;
  double ssr = 0;
  for (auto& p : pts) {
    const double r = std::log(p.size) - icpt - slope * std::log(1 / p.error);
    ssr += r * r;
  }
  const double se = std::sqrt(ssr / (n - 2) / (sxx - sx * sx / n));
  const rate_fit f = fit_rate(pts);
  EXPECT_NEAR(f.gamma, slope, 1e-12);
  EXPECT_NEAR(f.log_a, icpt, 1e-12);
  EXPECT_NEAR(f.stderr_gamma, se, 1e-12);
  EXPECT_NEAR(f.gamma_hi - f.gamma, 3.182446305 * se, 1e-8);  // t_{0.975, 3}
  const rate_fit f90 = fit_rate(pts, rate_fit_params{0.90});
  EXPECT_NEAR(f90.gamma_hi - f90.gamma, 2.353363435 * se, 1e-8);  // t_{0.95, 3}
}

TEST(ReportRateFit, IntervalCoversTheTrueRateAtAboutTheNominalLevel) {
  // Gaussian noise in log s: the t interval is exact, so coverage over seeded trials is ≈ 95 %.
  std::mt19937_64 rng(2024);
  std::normal_distribution<double> noise(0.0, 0.3);
  std::uniform_real_distribution<double> log_eps(std::log(1e-3), std::log(0.5));
  const double gamma = 2.5, log_a = 1.0;
  int covered = 0;
  const int trials = 200;
  for (int t = 0; t < trials; ++t) {
    std::vector<size_error_point> pts;
    for (int i = 0; i < 10; ++i) {
      const double e = std::exp(log_eps(rng));
      pts.push_back(pt(e, std::exp(log_a + gamma * std::log(1 / e) + noise(rng))));
    }
    const rate_fit f = fit_rate(pts);
    ASSERT_TRUE(f.valid);
    covered += f.gamma_lo <= gamma && gamma <= f.gamma_hi;
  }
  EXPECT_GE(covered, int(0.85 * trials));
  EXPECT_LE(covered, trials);
  EXPECT_LT(covered, trials);  // a 95 % interval that never misses in 200 trials would be too wide
}

// --- ĉ_γ ------------------------------------------------------------------------------------------------

TEST(ReportCGamma, IsTheLeastConstantBoundingEverySize) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<size_error_point> pts;
    for (int i = 0; i < 12; ++i) pts.push_back(pt(0.001 + u(rng), 1 + std::floor(1000 * u(rng))));
    for (double gamma : {0.7, 2.0, 4.0}) {
      const double c = c_gamma(pts, gamma);
      double tightest = 0;
      for (auto& p : pts) {
        const double allowed = std::pow(c / p.error, gamma);
        EXPECT_LE(p.size, allowed * (1 + 1e-12));
        tightest = std::max(tightest, p.size / allowed);
      }
      EXPECT_NEAR(tightest, 1.0, 1e-12);  // equality at one point: no smaller c works
    }
  }
  EXPECT_EQ(c_gamma({}, 2), 0.0);
  EXPECT_EQ(c_gamma({pt(0, 50), pt(0.3, 0)}, 2), 0.0);  // ε = 0 or s = 0 constrain nothing
  EXPECT_THROW(c_gamma({pt(0.1, 1)}, 0), occam::input_error);
  EXPECT_THROW(c_gamma({pt(-0.1, 1)}, 2), occam::input_error);
}

// --- PAC bound (THEORY §5) ------------------------------------------------------------------------------

TEST(ReportPacBound, IsTheLargestRootOfTheBernsteinInequality) {
  for (double b2 : {1.0, 4.0}) {
    for (double emp : {0.0, 0.01, 0.2}) {
      for (std::size_t n : {1000u, 100000u, 10000000u}) {
        for (std::size_t s : {1u, 10u, 200u}) {
          const std::size_t n_in = 8;
          pac_params params;
          params.loss_bound = b2;
          params.delta = 0.01;
          const pac_bound_result r = pac_bound(emp * b2, n, s, n_in, params);
          EXPECT_NEAR(r.log_k, double(s) * std::log(3.0 * double((s + n_in) * (s + n_in))), 1e-9);
          EXPECT_NEAR(r.ell, r.log_k + std::log(100.0), 1e-9);
          EXPECT_GE(r.bound, emp * b2);
          EXPECT_LE(r.bound, b2);
          const double nd = double(n);
          auto rhs = [&](double risk) {
            return emp * b2 + std::sqrt(2 * b2 * risk * r.ell / nd) + (2 * b2 / 3) * r.ell / nd;
          };
          if (r.bound < b2) {
            // The root: risk = rhs(risk); below it the inequality holds, above it fails.
            EXPECT_NEAR(r.bound, rhs(r.bound), 1e-12 * b2);
            EXPECT_LT(r.bound * 0.999, rhs(r.bound * 0.999));
            EXPECT_GT(r.bound * 1.001, rhs(r.bound * 1.001));
          } else {
            EXPECT_GE(rhs(b2), b2);  // clipped only when even B² satisfies the inequality
          }
        }
      }
    }
  }
}

TEST(ReportPacBound, MonotoneInSizeAndSamples) {
  double previous = 0;
  for (std::size_t s = 0; s <= 400; s += 20) {
    const double b = pac_bound(0.05, 1000000, s, 16).bound;
    EXPECT_GE(b, previous);
    previous = b;
  }
  previous = 2;
  for (std::size_t n = 100; n <= 100000000; n *= 10) {
    const double b = pac_bound(0.05, n, 50, 16).bound;
    EXPECT_LE(b, previous);
    previous = b;
  }
  EXPECT_GT(pac_bound(0.05, 1000, 50, 16).bound, pac_bound(0.05, 1000000, 50, 16).bound);
  EXPECT_LT(pac_bound(0.05, 1000000, 10, 16).bound, pac_bound(0.05, 1000000, 300, 16).bound);
}

TEST(ReportPacBound, EdgeCasesAndBadInput) {
  EXPECT_EQ(pac_bound(0.1, 0, 5, 3).bound, 1.0);               // no samples: only the trivial bound
  EXPECT_EQ(pac_bound(0.0, 1, 1000, 30).bound, 1.0);           // huge ℓ: clipped to B²
  EXPECT_EQ(pac_bound(0.0, 1000, 0, 30).log_k, 0.0);           // K_0 = 1
  EXPECT_THROW(pac_bound(1.5, 10, 1, 1), occam::input_error);  // emp > B²
  EXPECT_THROW(pac_bound(-0.1, 10, 1, 1), occam::input_error);
  pac_params bad;
  bad.delta = 0;
  EXPECT_THROW(pac_bound(0.1, 10, 1, 1, bad), occam::input_error);
  bad = {};
  bad.loss_bound = 0;
  EXPECT_THROW(pac_bound(0.0, 10, 1, 1, bad), occam::input_error);
}

// --- CSV / JSON ----------------------------------------------------------------------------------------

TEST(ReportTables, CsvHasTheExtraColumnsOfTheFirstPointAndQuotes) {
  const fs::path dir = fresh_dir("csv");
  auto p1 = pt(0.125, 300, "lambda=0.01, keep=300");
  p1.extra = {{"bits", 4}, {"test", 0.25}};
  auto p2 = pt(0.5, 7, "say \"hi\"");
  p2.extra = {{"test", "n/a"}};
  write_points_csv(dir / "points.csv", {p1, p2});
  EXPECT_EQ(occam::read_file(dir / "points.csv"),
            "error,size,label,bits,test\n"
            "0.125,300.0,\"lambda=0.01, keep=300\",4,0.25\n"
            "0.5,7.0,\"say \"\"hi\"\"\",,n/a\n");
  int files = 0;
  for (auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);  // no temporary left behind
  occam::remove_tree(dir);
}

TEST(ReportTables, JsonCarriesEveryField) {
  auto p = pt(0.1, 42, "x");
  p.extra = {{"bits", 3}};
  const auto j = to_json(p);
  EXPECT_EQ(j.at("error").get<double>(), 0.1);
  EXPECT_EQ(j.at("size").get<double>(), 42);
  EXPECT_EQ(j.at("label"), "x");
  EXPECT_EQ(j.at("extra").at("bits"), 3);
  const rate_fit f = fit_rate({pt(0.1, 100), pt(0.01, 10000), pt(0.001, 900000)});
  const auto jf = to_json(f);
  for (const char* key :
       {"valid", "n", "gamma", "log_a", "gamma_lo", "gamma_hi", "confidence", "stderr_gamma", "r2"})
    EXPECT_TRUE(jf.contains(key)) << key;
  EXPECT_EQ(jf.at("gamma").get<double>(), f.gamma);
  const auto jb = to_json(pac_bound(0.1, 1000, 3, 4));
  EXPECT_TRUE(jb.contains("log_k") && jb.contains("ell") && jb.contains("bound"));
}

// --- Plots ---------------------------------------------------------------------------------------------

TEST(ReportPlot, WritesPngAndSvgAtomically) {
  if (!gnuplot_available()) GTEST_SKIP() << "gnuplot not installed";
  const fs::path dir = fresh_dir("plot");
  std::vector<size_error_point> pts;
  for (int k = 0; k < 12; ++k) {
    const double e = std::pow(0.6, k + 1);
    pts.push_back(pt(e, 3 * std::pow(e, -2.0) * (1 + 0.3 * (k % 3)), "k=" + std::to_string(k)));
  }
  const auto front = pareto_front(pts);
  const rate_fit f = fit_rate(front);
  plot_series s1{"pruned 'ResNet' (\"a\")", pts, true, &f};
  plot_series s2{"second", {pt(0.3, 40), pt(0.05, 900), pt(0, 5)}, false, nullptr};  // ε = 0 is left out
  plot_params params;
  params.title = "size vs error, γ test";
  const auto written = plot_size_vs_error(dir / "sub" / "plot", {s1, s2}, params);
  ASSERT_EQ(written.size(), 4u);  // .dat, .gp, .png, .svg
  const std::string png = occam::read_file(dir / "sub" / "plot.png");
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(0, 4), "\x89PNG");
  const std::string svg = occam::read_file(dir / "sub" / "plot.svg");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(occam::read_file(dir / "sub" / "plot.gp").find("plot.dat"), std::string::npos);
  for (auto& e : fs::directory_iterator(dir / "sub"))
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
  // Only PNG requested: no SVG written.
  params.formats = {"png"};
  const auto only_png = plot_size_vs_error(dir / "png_only", {s1}, params);
  EXPECT_EQ(only_png.size(), 3u);
  EXPECT_TRUE(fs::exists(dir / "png_only.png"));
  EXPECT_FALSE(fs::exists(dir / "png_only.svg"));
  occam::remove_tree(dir);
}

TEST(ReportPlot, BadRequestsAreInputErrors) {
  const fs::path dir = fresh_dir("plot_bad");
  plot_params params;
  params.formats = {"gif"};
  EXPECT_THROW(plot_size_vs_error(dir / "p", {{"a", {pt(0.1, 3)}}}, params), occam::input_error);
  // Nothing positive to draw on log axes.
  EXPECT_THROW(plot_size_vs_error(dir / "p", {{"a", {pt(0, 3)}}}), occam::input_error);
  // A gnuplot that does not exist.
  const char* old = std::getenv("OCCAM_GNUPLOT");
  const std::string saved = old ? old : "";
  ::setenv("OCCAM_GNUPLOT", "/nonexistent/gnuplot", 1);
  EXPECT_FALSE(gnuplot_available());
  EXPECT_THROW(plot_size_vs_error(dir / "p", {{"a", {pt(0.1, 3)}}}), occam::input_error);
  if (old)
    ::setenv("OCCAM_GNUPLOT", saved.c_str(), 1);
  else
    ::unsetenv("OCCAM_GNUPLOT");
  for (auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
  occam::remove_tree(dir);
}
