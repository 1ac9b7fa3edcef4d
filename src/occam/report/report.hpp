#pragma once
// Size-versus-error measurements (THEORY §4 "Estimation from measurements", §5 PAC bound): Pareto fronts,
// the fitted rate γ̂ with a confidence interval, ĉ_γ, the Bernstein + union PAC bound, and their CSV/JSON
// tables and gnuplot plots. Torch-free. See docs/report.md for the exact formulas.
#include <cstddef>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace occam::report {

/// One measured circuit: error ε (> 0 for the fit; the project's L2(π) error or a classification error)
/// and size s (AND nodes, ≥ 1 for the fit). `label` says where it came from ("lambda=0.01 keep=300 b=4").
struct size_error_point {
  double error = 0;
  double size = 0;
  std::string label;
  nlohmann::json extra = nlohmann::json::object();  ///< any further columns (valid/test metrics, bits, ...)
};

/// The Pareto front: points not dominated by another (smaller-or-equal size and error, one strictly),
/// sorted by increasing size (hence decreasing error). Duplicates keep the first occurrence.
std::vector<size_error_point> pareto_front(const std::vector<size_error_point>& points);

struct rate_fit_params {
  double confidence = 0.95;  ///< two-sided level of the interval on γ̂ (Student t, n − 2 degrees of freedom)
};

/// Why a rate fit has no result (THEORY §4): it needs at least 3 usable points (2 fit a line exactly and
/// leave no residual degree of freedom for an interval) with distinct ε.
enum class rate_fit_status { ok, too_few_points, equal_errors };
/// "ok", "too few points", "all errors equal".
std::string to_string(rate_fit_status s);

/// Least-squares fit of log s = log a + γ log(1/ε) over points with ε > 0 and s > 0 (THEORY §4). Valid only
/// with n ≥ 3 usable points of which not all have the same ε; otherwise `status` says why and every number is
/// NaN (no zero-width interval is ever reported).
struct rate_fit {
  bool valid = false;  ///< n ≥ 3 usable points with distinct ε (status == ok)
  rate_fit_status status = rate_fit_status::too_few_points;
  std::size_t n = 0;                                        ///< usable points (ε > 0, s > 0, finite)
  double gamma = std::numeric_limits<double>::quiet_NaN();  ///< γ̂, the slope
  double log_a = std::numeric_limits<double>::quiet_NaN();  ///< intercept: s ≈ exp(log_a) · ε^(−γ̂)
  double gamma_lo = std::numeric_limits<double>::quiet_NaN();  ///< confidence interval on γ̂
  double gamma_hi = std::numeric_limits<double>::quiet_NaN();
  double stderr_gamma = std::numeric_limits<double>::quiet_NaN();  ///< standard error of γ̂
  double r2 = std::numeric_limits<double>::quiet_NaN();  ///< coefficient of determination in log–log space
  double confidence = 0.95;  ///< the level the interval was computed at (rate_fit_params::confidence)
  double predict_size(double error) const;  ///< exp(log_a) · error^(−γ̂)
};
rate_fit fit_rate(const std::vector<size_error_point>& front, const rate_fit_params& params = {});

/// Regularized incomplete beta function I_x(a, b) (continued fraction), a, b > 0, x ∈ [0, 1].
double regularized_incomplete_beta(double a, double b, double x);
/// CDF and quantile (bisection on the CDF) of Student's t distribution with `dof` > 0 degrees of freedom.
double student_t_cdf(double t, double dof);
double student_t_quantile(double p, double dof);

/// ĉ_γ = max_k ε_k · s_k^{1/γ} over the points (THEORY §4): the least c with s_k ≤ (c/ε_k)^γ at every
/// measured point. Since s_k ≥ C(f, ε_k) it bounds ε·C(f,ε)^{1/γ} at the measured ε_k only; it is NOT an
/// upper estimate of the HTMC norm (a supremum over all ε). See htmc_bound_on_range for the valid interval
/// bound.
double c_gamma(const std::vector<size_error_point>& points, double gamma);

/// THEORY §4, the HTMC bound on the measured range. With the Pareto front of the points sorted by increasing
/// error ε_1 < … < ε_K (sizes s_1 > … > s_K, each s_k ≥ C(f, ε_k)) and C(f, ·) non-increasing,
///     sup_{ε ∈ [ε_1, ε_K]} ε · C(f, ε)^{1/γ}  ≤  value = max_{j < K} ε_{j+1} · s_j^{1/γ}   (K ≥ 2),
/// and value = ε_1 · s_1^{1/γ} when K = 1 (the range is one point). Nothing is claimed outside [ε_lo, ε_hi]
/// except that when the largest-ε front point has size 0, C(f, ε) = 0 for every ε ≥ ε_hi (to_infinity).
struct htmc_range_bound {
  bool valid = false;  ///< at least one usable point (finite ε ≥ 0, s ≥ 0)
  double gamma = 0;
  double eps_lo = 0, eps_hi = 0;  ///< the measured range [ε_1, ε_K] (front errors)
  double value = 0;               ///< the bound on sup_{ε ∈ [eps_lo, eps_hi]} ε · C(f, ε)^{1/γ}
  std::size_t points = 0;         ///< front points used (K)
  bool to_infinity = false;       ///< s_K = 0: the bound holds on [eps_lo, ∞)
};
htmc_range_bound htmc_bound_on_range(const std::vector<size_error_point>& points, double gamma);

/// THEORY §5, counting AIGs with s AND nodes on n inputs and m outputs (natural logs). The literals available
/// to node i (nodes in topological order) are the constant, the n inputs and nodes 1..i−1, each plain or
/// complemented: 2(n + i) of them, of which the node takes an unordered pair (repetition allowed):
/// C(2(n+i)+1, 2) = (n+i)(2(n+i)+1) choices. Each output is one of the 2(n + s + 1) literals. Hence the
/// number of AIG structures is exactly
///     N_s = (2(n+s+1))^m · Π_{i=1}^{s} (n+i)(2(n+i)+1)          (log_aig_structures)
/// and N_s ≤ K_s = (2(t+1))^m · (t(2t+1))^s with t = s + n        (log_aig_count_bound).
double log_aig_structures(std::size_t size, std::size_t inputs, std::size_t outputs = 1);
double log_aig_count_bound(std::size_t size, std::size_t inputs, std::size_t outputs = 1);
/// The paper's count for {AND, OR, NOT} circuits: log (3 (s + n)²)^s (0 for s = 0).
double log_paper_count(std::size_t size, std::size_t inputs);
/// The share of δ spent on size s in the union over sizes: δ_s = δ / ((s+1)(s+2)) (Σ_{s≥0} δ_s = δ).
double size_delta(double delta, std::size_t size);

/// THEORY §5 PAC bound for one circuit of `size` AND nodes on `inputs` inputs, empirical risk `empirical`
/// (mean loss, the loss bounded by B² = loss_bound) on `samples` samples: with probability ≥ 1 − δ, for every
/// size s at once and every AIG of s AND nodes (δ split over sizes as δ_s = δ/((s+1)(s+2))),
///     risk ≤ emp + sqrt(2 B² · risk · ℓ / n) + (2 B²/3) · ℓ / n,   ℓ = log N_s + log(1/δ_s),
/// solved exactly for its largest root and clipped to B².
struct pac_params {
  double delta = 0.05;      ///< total δ over all sizes
  double loss_bound = 1.0;  ///< B² (1 for the 0–1 loss)
  std::size_t outputs = 1;  ///< m: output literals of the circuit
  /// true: δ_s = δ/((s+1)(s+2)) (the size was chosen from the data). false: δ_s = δ (s fixed in advance).
  bool union_over_sizes = true;
};
struct pac_bound_result {
  std::string loss = "0-1";  ///< "0-1" or "squared" (pac_bound_squared)
  /// The count used: "AIG structures N_s = (2(n+s+1))^m · Π_{i=1}^s (n+i)(2(n+i)+1)".
  std::string count;
  std::size_t size = 0, inputs = 0, outputs = 1, samples = 0;
  double empirical = 0;
  double log_k = 0;        ///< log N_s, the count used
  double log_k_bound = 0;  ///< log K_s = m log(2(t+1)) + s log(t(2t+1)), t = s + n (closed form ≥ log N_s)
  double log_k_paper = 0;  ///< s log(3 (s + n)²), the paper's {AND, OR, NOT} count, for comparison
  bool paper_covers = false;  ///< log_k_paper ≥ log_k: the paper's count would have been enough here
  double delta = 0.05;        ///< total δ
  double delta_s = 0.05;      ///< the share of δ for this size
  double ell = 0;             ///< ℓ = log N_s + log(1/δ_s)
  double loss_bound = 1;      ///< B²
  double bound = 0;           ///< the risk bound, clipped to B²
  double output_bound = 0, target_bound = 0;  ///< squared loss: |C(x)| ≤ F, |y| ≤ Y, B = F + Y
  double rmse_bound = std::numeric_limits<double>::quiet_NaN();  ///< squared loss: sqrt(bound)
};
pac_bound_result pac_bound(double empirical, std::size_t samples, std::size_t size, std::size_t inputs,
                           const pac_params& params = {});
/// The squared-error version (THEORY §5, real-valued outputs): the circuit's decoded outputs satisfy
/// |C(x)_o| ≤ output_bound = F, the targets |y_o| ≤ target_bound = Y, the loss is the mean over the outputs
/// of (C(x)_o − y_o)² ∈ [0, B²] with B = F + Y, `empirical_mse` its training mean. params.loss_bound is
/// ignored (set to B²); `rmse_bound` = sqrt(bound).
pac_bound_result pac_bound_squared(double empirical_mse, std::size_t samples, std::size_t size,
                                   std::size_t inputs, double output_bound, double target_bound,
                                   const pac_params& params = {});

/// Writes `points` as CSV (error,size,label,<extra keys of the first point>), atomically.
void write_points_csv(const std::filesystem::path& path, const std::vector<size_error_point>& points);
/// JSON of points / fits (for report.json).
nlohmann::json to_json(const size_error_point& p);
nlohmann::json to_json(const rate_fit& f);
nlohmann::json to_json(const pac_bound_result& b);
nlohmann::json to_json(const htmc_range_bound& b);

struct plot_params {
  std::string title;
  std::string x_label = "error ε";
  std::string y_label = "circuit size (AND nodes)";
  bool log_x = true, log_y = true;
  std::vector<std::string> formats = {"png", "svg"};  ///< gnuplot terminals: png (pngcairo/png), svg
};
/// One series of a plot: its points, whether to draw the front as a staircase line, an optional fitted line.
struct plot_series {
  std::string name;
  std::vector<size_error_point> points;
  bool front_line = true;
  const rate_fit* fit = nullptr;  ///< drawn over the series' ε range when valid
};
/// Plots size against error (log–log by default) with gnuplot into `stem`.png / `stem`.svg (atomically;
/// the gnuplot script and data files are written next to them as `stem`.gp / `stem`.dat so the plot can be
/// regenerated). Returns the files written. Throws input_error when gnuplot is missing or fails.
std::vector<std::filesystem::path> plot_size_vs_error(const std::filesystem::path& stem,
                                                      const std::vector<plot_series>& series,
                                                      const plot_params& params = {});
/// Points of the series that the plot's axes can show (finite; ε > 0 and s > 0 on log axes). A plot with none
/// is an input_error: callers that must not fail check this first (occam fit says so in its report).
std::size_t plottable_points(const std::vector<plot_series>& series, const plot_params& params = {});
/// True when `gnuplot` can be run (tests skip plotting otherwise).
bool gnuplot_available();

}  // namespace occam::report
