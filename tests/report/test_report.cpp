// Report statistics (THEORY §4 estimation from measurements, §5 PAC bound) against independent checks:
// brute-force dominance, exact power laws, Student-t table values, the PAC inequality plugged back in.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
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

TEST(ReportRateFit, FewerThanThreePointsAreTooFewAndGiveNoInterval) {
  // Two usable points (ε = 0 and s = 0 are left out) fit a line exactly: no residual degree of freedom, so no
  // fit is reported at all (in particular no zero-width interval).
  const rate_fit f = fit_rate({pt(0.1, 100), pt(0.01, 10000), pt(0, 5), pt(0.2, 0)});
  EXPECT_FALSE(f.valid);
  EXPECT_EQ(f.status, rate_fit_status::too_few_points);
  EXPECT_EQ(to_string(f.status), "too few points");
  EXPECT_EQ(f.n, 2u);
  EXPECT_TRUE(std::isnan(f.gamma));
  EXPECT_TRUE(std::isnan(f.gamma_lo));
  EXPECT_TRUE(std::isnan(f.gamma_hi));
  const auto j = to_json(f);
  EXPECT_EQ(j.at("status"), "too few points");
  EXPECT_TRUE(j.at("gamma_lo").is_null());
  EXPECT_TRUE(j.at("gamma_hi").is_null());
  EXPECT_EQ(fit_rate({pt(0.1, 100)}).status, rate_fit_status::too_few_points);
  EXPECT_EQ(fit_rate({}).status, rate_fit_status::too_few_points);
  const rate_fit same = fit_rate({pt(0.1, 100), pt(0.1, 300), pt(0.1, 7)});
  EXPECT_FALSE(same.valid);
  EXPECT_EQ(same.status, rate_fit_status::equal_errors);
  // Three points on s = ε^−2 exactly: valid, with a (zero-width because noiseless) interval from n − 2 = 1
  // dof.
  const rate_fit three = fit_rate({pt(0.1, 100), pt(0.01, 10000), pt(0.001, 1000000)});
  ASSERT_TRUE(three.valid);
  EXPECT_EQ(three.status, rate_fit_status::ok);
  EXPECT_NEAR(three.gamma, 2.0, 1e-12);
  EXPECT_NEAR(three.log_a, 0.0, 1e-9);
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

// --- HTMC bound on the measured range (THEORY §4) ------------------------------------------------------

TEST(ReportHtmcBound, HandComputedCase) {
  // Front sorted by ε: (0.1, 100), (0.3, 16), (0.5, 4); γ = 2 (s^{1/2} = 10, 4, 2). Dominated (0.4, 50) is
  // ignored. On [0.1, 0.3]: ε C^{1/2} ≤ 0.3 · 10 = 3; on [0.3, 0.5]: ≤ 0.5 · 4 = 2. Bound 3 on [0.1, 0.5].
  // ĉ_2 at the points: max(0.1·10, 0.3·4, 0.5·2, 0.4·√50) = 0.4·√50 = 2.828…; on the front max = 1.2.
  const std::vector<size_error_point> pts = {pt(0.3, 16), pt(0.1, 100), pt(0.5, 4), pt(0.4, 50)};
  const auto b = htmc_bound_on_range(pts, 2.0);
  ASSERT_TRUE(b.valid);
  EXPECT_EQ(b.points, 3u);
  EXPECT_DOUBLE_EQ(b.eps_lo, 0.1);
  EXPECT_DOUBLE_EQ(b.eps_hi, 0.5);
  EXPECT_NEAR(b.value, 3.0, 1e-12);
  EXPECT_FALSE(b.to_infinity);
  EXPECT_NEAR(c_gamma(pareto_front(pts), 2.0), 1.2, 1e-12);
  // γ = 1: max(0.3 · 100, 0.5 · 16) = 30.
  EXPECT_NEAR(htmc_bound_on_range(pts, 1.0).value, 30.0, 1e-12);
  // One point: the range is that point and the bound is its own term.
  const auto one = htmc_bound_on_range({pt(0.2, 25)}, 2.0);
  EXPECT_TRUE(one.valid);
  EXPECT_NEAR(one.value, 1.0, 1e-12);
  EXPECT_EQ(one.eps_lo, one.eps_hi);
  // An exact circuit (ε = 0) and a 0-AND one: the range starts at 0 and the bound extends to ∞.
  const auto ends = htmc_bound_on_range({pt(0.0, 64), pt(0.25, 0)}, 2.0);
  EXPECT_EQ(ends.eps_lo, 0.0);
  EXPECT_TRUE(ends.to_infinity);
  EXPECT_NEAR(ends.value, 0.25 * 8, 1e-12);
  EXPECT_FALSE(htmc_bound_on_range({}, 2.0).valid);
  EXPECT_THROW(htmc_bound_on_range({pt(0.1, 3)}, 0.0), occam::input_error);
  EXPECT_THROW(htmc_bound_on_range({pt(-0.1, 3)}, 2.0), occam::input_error);
  const auto j = to_json(b);
  EXPECT_EQ(j.at("value").get<double>(), b.value);
  EXPECT_EQ(j.at("eps_lo").get<double>(), 0.1);
}

TEST(ReportHtmcBound, BoundsTheSupremumOfAKnownDecreasingComplexity) {
  // A known non-increasing C(ε) (a noisy power law, made monotone); measurements s_k ≥ C(ε_k) at random ε_k.
  // The bound must dominate ε C(ε)^{1/γ} on a fine grid of the measured range; and it is attained in the
  // limit by the staircase C(ε) = min {s_k : ε_k ≤ ε} (the largest C consistent with the measurements), so it
  // cannot be lowered: on that C the grid supremum comes within 1e-6 of it.
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 200; ++trial) {
    const double gamma = 0.5 + 4 * u(rng), c = 1 + 10 * u(rng), rate = 0.5 + 4 * u(rng);
    auto C = [&](double e) { return std::floor(std::pow(c / e, rate)); };  // ≥ 1 on ε ≤ 1
    std::vector<size_error_point> pts;
    const int k = 1 + int(rng() % 10);
    for (int i = 0; i < k; ++i) {
      const double e = std::exp(std::log(1e-3) * u(rng));
      pts.push_back(pt(e, C(e) * (1 + 2 * u(rng) * (rng() % 2))));  // sometimes exact, sometimes above
    }
    const auto b = htmc_bound_on_range(pts, gamma);
    ASSERT_TRUE(b.valid);
    const auto front = pareto_front(pts);
    auto staircase = [&](double e) {
      double s = std::numeric_limits<double>::infinity();
      for (const auto& p : front)
        if (p.error <= e) s = std::min(s, p.size);
      return s;
    };
    double sup_c = 0, sup_stair = 0;
    const int grid = 20000;
    for (int g = 0; g <= grid; ++g) {
      const double e = b.eps_lo * std::pow(b.eps_hi / b.eps_lo, double(g) / grid);
      sup_c = std::max(sup_c, e * std::pow(C(e), 1 / gamma));
      sup_stair = std::max(sup_stair, e * std::pow(staircase(e), 1 / gamma));
    }
    EXPECT_LE(sup_c, b.value * (1 + 1e-12)) << "trial " << trial;
    EXPECT_LE(sup_stair, b.value * (1 + 1e-12)) << "trial " << trial;
    if (front.size() > 1) {
      // Just below ε_{j+1} the staircase is still s_j: the bound's maximising term is approached.
      double approach = 0;
      std::vector<size_error_point> inc(front.rbegin(), front.rend());
      for (std::size_t j = 0; j + 1 < inc.size(); ++j) {
        const double e = inc[j + 1].error * (1 - 1e-9);
        approach = std::max(approach, e * std::pow(staircase(e), 1 / gamma));
      }
      EXPECT_NEAR(approach, b.value, 1e-6 * b.value) << "trial " << trial;
    }
    // The old ĉ_γ is never above the range bound (it only looks at the measured ε_k).
    EXPECT_LE(c_gamma(front, gamma), b.value * (1 + 1e-12));
  }
}

// --- AIG counts (THEORY §5) ----------------------------------------------------------------------------

namespace {

// Brute force over every AIG structure with s AND nodes on n inputs and one output: node i chooses its fan-in
// pair among the literals of the constant, the inputs and nodes 1..i−1 (ordered pairs, deduplicated as
// unordered ones here, not by formula); the output is any literal. Returns the number of distinct structures
// and the set of distinct functions (truth tables over the 2^n rows).
struct enumeration {
  std::size_t structures = 0;
  std::set<std::vector<std::uint64_t>> functions;
};

using table = std::vector<std::uint64_t>;

void enumerate_nodes(std::size_t n, std::size_t s, std::vector<table>& node_tables,
                     std::vector<std::pair<unsigned, unsigned>>& fanins,
                     std::set<std::vector<std::pair<unsigned, unsigned>>>& seen, enumeration& out) {
  const std::size_t words = std::max<std::size_t>(1, (std::size_t(1) << n) / 64);
  const std::uint64_t mask = n >= 6 ? ~0ull : ((1ull << (1u << n)) - 1);
  auto lit_table = [&](unsigned lit) {
    table t = node_tables[lit / 2];
    if (lit & 1)
      for (auto& w : t) w = ~w & mask;
    return t;
  };
  const std::size_t i = fanins.size() + 1;  // the node being chosen (1-based)
  if (i > s) {
    // Every structure is new (the fan-in choices are recorded); every output literal makes one more.
    if (!seen.insert(fanins).second) return;
    const unsigned lits = unsigned(2 * (n + s + 1));
    for (unsigned o = 0; o < lits; ++o) {
      ++out.structures;
      out.functions.insert(lit_table(o));
    }
    return;
  }
  const unsigned lits = unsigned(2 * (n + i));  // constant, n inputs, i − 1 earlier nodes
  std::set<std::pair<unsigned, unsigned>> pairs;
  for (unsigned a = 0; a < lits; ++a)
    for (unsigned b = 0; b < lits; ++b) pairs.insert({std::min(a, b), std::max(a, b)});
  for (const auto& [a, b] : pairs) {
    table t = lit_table(a), tb = lit_table(b);
    for (std::size_t w = 0; w < words; ++w) t[w] &= tb[w];
    node_tables.push_back(t);
    fanins.push_back({a, b});
    enumerate_nodes(n, s, node_tables, fanins, seen, out);
    fanins.pop_back();
    node_tables.pop_back();
  }
}

enumeration enumerate_aigs(std::size_t n, std::size_t s) {
  const std::size_t rows = std::size_t(1) << n;
  const std::size_t words = std::max<std::size_t>(1, rows / 64);
  std::vector<table> node_tables;
  node_tables.push_back(table(words, 0));  // node 0: the constant false
  for (std::size_t v = 0; v < n; ++v) {
    table t(words, 0);
    for (std::size_t r = 0; r < rows; ++r)
      if ((r >> v) & 1) t[r / 64] |= 1ull << (r % 64);
    node_tables.push_back(t);
  }
  std::vector<std::pair<unsigned, unsigned>> fanins;
  std::set<std::vector<std::pair<unsigned, unsigned>>> seen;
  enumeration out;
  enumerate_nodes(n, s, node_tables, fanins, seen, out);
  return out;
}

}  // namespace

TEST(ReportAigCount, MatchesBruteForceEnumerationOfTinyAigs) {
  for (std::size_t n = 0; n <= 2; ++n) {
    std::set<table> fewer;  // functions of the smaller sizes: padding keeps them at size s
    for (std::size_t s = 0; s <= 3; ++s) {
      const auto e = enumerate_aigs(n, s);
      const double log_n = log_aig_structures(s, n);
      // The exact count N_s equals the number of distinct structures found ...
      EXPECT_NEAR(std::log(double(e.structures)), log_n, 1e-9) << "n=" << n << " s=" << s;
      // ... which bounds the number of distinct functions, and K_s bounds N_s.
      EXPECT_LE(std::log(double(e.functions.size())), log_n + 1e-12);
      EXPECT_LE(log_n, log_aig_count_bound(s, n) + 1e-12);
      EXPECT_LE(e.functions.size(), std::size_t(1) << (std::size_t(1) << n));
      for (const auto& f : fewer) EXPECT_TRUE(e.functions.count(f)) << "padding lost a function, s=" << s;
      fewer.insert(e.functions.begin(), e.functions.end());
    }
  }
  // Hand values: n = 1, s = 1: the node takes one of C(5,2) = 10 pairs of {0,1,x,x̄}, the output one of 6
  // literals: 60 structures. n = 2, s = 2: C(7,2) · C(9,2) · 2·5 = 21 · 36 · 10 = 7560.
  EXPECT_EQ(enumerate_aigs(1, 1).structures, 60u);
  EXPECT_EQ(enumerate_aigs(2, 2).structures, 7560u);
  EXPECT_NEAR(log_aig_structures(2, 2), std::log(7560.0), 1e-12);
  EXPECT_NEAR(log_aig_count_bound(2, 2), std::log(2.0 * 5 * std::pow(4.0 * 9, 2)), 1e-12);
  // m outputs: each picks one of the 2(n+s+1) literals.
  EXPECT_NEAR(log_aig_structures(2, 2, 3), std::log(21.0 * 36 * 1000), 1e-12);
}

TEST(ReportAigCount, ThePapersCountMissesSmallCircuitsOnManyInputs) {
  // n = 10 inputs, s ≤ 1 AND: 2 constants + 20 literals + the 8 · C(10,2) = 360 two-input AND/OR functions
  // = 382 distinct functions, more than the paper's (3 (1 + 10)²)^1 = 363: its count does not cover AIGs.
  const auto e = enumerate_aigs(10, 1);
  EXPECT_EQ(e.functions.size(), 382u);
  EXPECT_GT(double(e.functions.size()), std::exp(log_paper_count(1, 10)));
  EXPECT_LE(std::log(double(e.functions.size())), log_aig_structures(1, 10));
  // s = 0: 2(n+1) functions (a constant or a literal) against the paper's 1.
  EXPECT_EQ(enumerate_aigs(3, 0).functions.size(), 8u);
  EXPECT_FALSE(pac_bound(0.1, 1000, 0, 3).paper_covers);
  // THEORY §5: the paper's count covers K_s iff s log(3t/(2t+1)) ≥ m log(2(t+1)), t = s + n.
  for (std::size_t n : {1u, 8u, 64u, 1000u})
    for (std::size_t s = 0; s < 60; ++s) {
      const double t = double(s + n);
      const bool covers_k = double(s) * std::log(3 * t / (2 * t + 1)) >= std::log(2 * (t + 1));
      EXPECT_EQ(log_paper_count(s, n) >= log_aig_count_bound(s, n), covers_k) << n << " " << s;
      if (covers_k) {
        EXPECT_TRUE(pac_bound(0.1, 1000, s, n).paper_covers);  // N_s ≤ K_s
      }
    }
  // The thresholds THEORY §5 quotes: the paper's count covers N_s from s = 3 (n = 1), 5 (n = 8), 19 (n =
  // 1000).
  auto first_covered = [](std::size_t n) {
    std::size_t first = 0;
    for (std::size_t s = 0; s < 300; ++s)
      if (log_paper_count(s, n) < log_aig_structures(s, n)) first = s + 1;
    return first;
  };
  EXPECT_EQ(first_covered(1), 3u);
  EXPECT_EQ(first_covered(8), 5u);
  EXPECT_EQ(first_covered(1000), 19u);
}

// --- PAC bound (THEORY §5) ------------------------------------------------------------------------------

TEST(ReportPacBound, IsTheLargestRootOfTheBernsteinInequality) {
  for (double b2 : {1.0, 4.0}) {
    for (double emp : {0.0, 0.01, 0.2}) {
      for (std::size_t n : {1000u, 100000u, 10000000u}) {
        for (std::size_t s : {0u, 1u, 10u, 200u}) {
          const std::size_t n_in = 8;
          pac_params params;
          params.loss_bound = b2;
          params.delta = 0.01;
          const pac_bound_result r = pac_bound(emp * b2, n, s, n_in, params);
          // Independently: N_s as a product of pair counts, each counted as L(L+1)/2 for L literals.
          double log_count = std::log(2.0 * double(n_in + s + 1));
          for (std::size_t i = 1; i <= s; ++i) {
            const double lits = 2.0 * double(n_in + i);
            log_count += std::log(lits * (lits + 1) / 2);
          }
          EXPECT_NEAR(r.log_k, log_count, 1e-9 * std::max(1.0, log_count));
          EXPECT_NEAR(r.delta_s, 0.01 / double((s + 1) * (s + 2)), 1e-15);
          EXPECT_NEAR(r.ell, log_count + std::log(100.0 * double((s + 1) * (s + 2))), 1e-9 * r.ell);
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

TEST(ReportPacBound, UnionOverSizesSpendsAtMostDelta) {
  // Σ_{s ≥ 0} δ/((s+1)(s+2)) = δ (telescoping): the partial sums stay below δ and approach it.
  double total = 0;
  for (std::size_t s = 0; s < 100000; ++s) total += size_delta(0.05, s);
  EXPECT_LE(total, 0.05);
  EXPECT_NEAR(total, 0.05, 0.05 / 100000 * 1.01);
  pac_params fixed;
  fixed.union_over_sizes = false;
  const auto a = pac_bound(0.1, 5000, 20, 8), b = pac_bound(0.1, 5000, 20, 8, fixed);
  EXPECT_NEAR(a.ell - b.ell, std::log(21.0 * 22.0), 1e-12);
  EXPECT_GT(a.bound, b.bound);
  EXPECT_EQ(b.delta_s, 0.05);
  // More outputs: one more output literal each.
  pac_params three;
  three.outputs = 3;
  EXPECT_NEAR(pac_bound(0.1, 5000, 20, 8, three).log_k - a.log_k, 2 * std::log(2.0 * 29), 1e-12);
}

TEST(ReportPacBound, SquaredErrorVersion) {
  // Outputs |C| ≤ F = 2, targets |y| ≤ Y = 1: B = 3, B² = 9; the bound is the 0–1 machinery with B² = 9.
  const auto r = pac_bound_squared(0.04, 20000, 12, 10, 2.0, 1.0);
  EXPECT_EQ(r.loss, "squared");
  EXPECT_DOUBLE_EQ(r.loss_bound, 9.0);
  pac_params p;
  p.loss_bound = 9.0;
  const auto same = pac_bound(0.04, 20000, 12, 10, p);
  EXPECT_DOUBLE_EQ(r.bound, same.bound);
  EXPECT_DOUBLE_EQ(r.rmse_bound, std::sqrt(r.bound));
  EXPECT_GT(r.bound, 0.04);
  const double nd = 20000;
  EXPECT_NEAR(r.bound, 0.04 + std::sqrt(2 * 9 * r.bound * r.ell / nd) + 6 * r.ell / nd, 1e-12);
  const auto j = to_json(r);
  EXPECT_EQ(j.at("target_bound").get<double>(), 1.0);
  EXPECT_TRUE(j.contains("rmse_bound"));
  EXPECT_THROW(pac_bound_squared(0.1, 10, 1, 1, -1.0, 1.0), occam::input_error);
  EXPECT_THROW(pac_bound_squared(0.1, 10, 1, 1, 0.0, 0.0), occam::input_error);
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
  EXPECT_EQ(pac_bound(0.1, 0, 5, 3).bound, 1.0);      // no samples: only the trivial bound
  EXPECT_EQ(pac_bound(0.0, 1, 1000, 30).bound, 1.0);  // huge ℓ: clipped to B²
  // K_0: a 0-AND circuit is a constant or an input literal, 2(n + 1) of them; δ_0 = δ/2.
  EXPECT_NEAR(pac_bound(0.0, 1000, 0, 30).log_k, std::log(62.0), 1e-12);
  EXPECT_NEAR(pac_bound(0.0, 1000, 0, 30).delta_s, 0.025, 1e-15);
  EXPECT_THROW(pac_bound(1.5, 10, 1, 1), occam::input_error);  // emp > B²
  EXPECT_THROW(pac_bound(-0.1, 10, 1, 1), occam::input_error);
  pac_params bad;
  bad.delta = 0;
  EXPECT_THROW(pac_bound(0.1, 10, 1, 1, bad), occam::input_error);
  bad = {};
  bad.loss_bound = 0;
  EXPECT_THROW(pac_bound(0.0, 10, 1, 1, bad), occam::input_error);
  bad = {};
  bad.outputs = 0;
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
  EXPECT_EQ(jf.at("status"), "ok");
  const auto jb = to_json(pac_bound(0.1, 1000, 3, 4));
  for (const char* key : {"loss", "count", "log_k", "log_k_bound", "log_k_paper", "paper_covers", "delta",
                          "delta_s", "ell", "loss_bound", "bound"})
    EXPECT_TRUE(jb.contains(key)) << key;
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
  // Nothing positive to draw on log axes: plottable_points says so beforehand, the plot is an input error.
  EXPECT_EQ(plottable_points({{"a", {pt(0, 3), pt(0.5, 0)}}}), 0u);
  EXPECT_EQ(plottable_points({{"a", {pt(0, 3), pt(0.5, 2)}}, {"b", {pt(0.1, 1)}}}), 2u);
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
