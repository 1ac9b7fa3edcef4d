#pragma once
// Size-versus-error measurements (THEORY §4 "Estimation from measurements", §5 PAC bound): Pareto fronts,
// the fitted rate γ̂ with a confidence interval, ĉ_γ, the Bernstein + union PAC bound, and their CSV/JSON
// tables and gnuplot plots. Torch-free. See docs/report.md for the exact formulas.
#include <cstddef>
#include <filesystem>
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

/// Least-squares fit of log s = log a + γ log(1/ε) over points with ε > 0 and s > 0 (THEORY §4).
struct rate_fit {
  bool valid = false;   ///< at least 2 usable points with distinct ε
  std::size_t n = 0;    ///< points used
  double gamma = 0;     ///< γ̂, the slope
  double log_a = 0;     ///< intercept: s ≈ exp(log_a) · ε^(−γ̂)
  double gamma_lo = 0;  ///< confidence interval on γ̂ (= γ̂ when n = 2: no residual degrees of freedom)
  double gamma_hi = 0;
  double stderr_gamma = 0;   ///< standard error of γ̂ (0 when n = 2)
  double r2 = 0;             ///< coefficient of determination in log–log space
  double confidence = 0.95;  ///< the level the interval was computed at (rate_fit_params::confidence)
  double predict_size(double error) const;  ///< exp(log_a) · error^(−γ̂)
};
rate_fit fit_rate(const std::vector<size_error_point>& front, const rate_fit_params& params = {});

/// Regularized incomplete beta function I_x(a, b) (continued fraction), a, b > 0, x ∈ [0, 1].
double regularized_incomplete_beta(double a, double b, double x);
/// CDF and quantile (bisection on the CDF) of Student's t distribution with `dof` > 0 degrees of freedom.
double student_t_cdf(double t, double dof);
double student_t_quantile(double p, double dof);

/// ĉ_γ = max_k ε_k · s_k^{1/γ} over the points (THEORY §4; the least c with s_k ≤ (c/ε_k)^γ for all k).
double c_gamma(const std::vector<size_error_point>& points, double gamma);

/// THEORY §5 PAC bound for one circuit of `size` AND nodes on `inputs` inputs, empirical risk `empirical`
/// (mean loss, the loss bounded by B² = loss_bound) on `samples` samples, confidence 1 − δ.
struct pac_params {
  double delta = 0.05;
  double loss_bound = 1.0;  ///< B² (1 for the 0–1 loss)
};
struct pac_bound_result {
  double log_k = 0;  ///< log K_s = s · log(3 (s + n_in)²)
  double ell = 0;    ///< ℓ = log K_s + log(1/δ)
  double bound = 0;  ///< the risk bound, clipped to B²
};
pac_bound_result pac_bound(double empirical, std::size_t samples, std::size_t size, std::size_t inputs,
                           const pac_params& params = {});

/// Writes `points` as CSV (error,size,label,<extra keys of the first point>), atomically.
void write_points_csv(const std::filesystem::path& path, const std::vector<size_error_point>& points);
/// JSON of points / fits (for report.json).
nlohmann::json to_json(const size_error_point& p);
nlohmann::json to_json(const rate_fit& f);
nlohmann::json to_json(const pac_bound_result& b);

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
/// True when `gnuplot` can be run (tests skip plotting otherwise).
bool gnuplot_available();

}  // namespace occam::report
