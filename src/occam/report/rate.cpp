// Size-versus-error statistics (THEORY §4 "Estimation from measurements", §5 PAC bound): Pareto fronts,
// the least-squares rate γ̂ with a Student-t interval, ĉ_γ, the Bernstein + union PAC bound, CSV and JSON.
// The formulas are written out in docs/report.md; keep the two in step.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

#include "occam/report/report.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::report {

namespace {

bool finite(double v) {
  return std::isfinite(v);
}

// Continued fraction for the regularized incomplete beta function (modified Lentz evaluation). Converges
// quickly for x < (a + 1) / (a + b + 2); the caller uses the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) otherwise.
double incomplete_beta_fraction(double a, double b, double x) {
  constexpr double tiny = 1e-300;
  constexpr double eps = 1e-15;
  const double qab = a + b, qap = a + 1.0, qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < tiny) d = tiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    const double m2 = 2.0 * m;
    // Even step: d_{2m} = m (b − m) x / ((a + 2m − 1)(a + 2m)).
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    h *= d * c;
    // Odd step: d_{2m+1} = −(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)).
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < eps) break;
  }
  return h;
}

}  // namespace

double regularized_incomplete_beta(double a, double b, double x) {
  if (!(a > 0) || !(b > 0) || !finite(a) || !finite(b))
    throw input_error("incomplete beta: parameters must be positive and finite");
  if (!(x >= 0 && x <= 1)) throw input_error("incomplete beta: x must lie in [0, 1]");
  if (x == 0) return 0;
  if (x == 1) return 1;
  // x^a (1−x)^b / (a B(a,b)), in logs to avoid overflow.
  const double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  if (x < (a + 1.0) / (a + b + 2.0)) return std::exp(log_front) * incomplete_beta_fraction(a, b, x) / a;
  return 1.0 - std::exp(log_front) * incomplete_beta_fraction(b, a, 1.0 - x) / b;
}

double student_t_cdf(double t, double dof) {
  if (!(dof > 0)) throw input_error("Student t: degrees of freedom must be positive");
  if (std::isnan(t)) return t;
  if (std::isinf(t)) return t > 0 ? 1.0 : 0.0;
  // P(|T| > |t|) = I_{ν/(ν+t²)}(ν/2, 1/2).
  const double tail = 0.5 * regularized_incomplete_beta(dof / 2.0, 0.5, dof / (dof + t * t));
  return t >= 0 ? 1.0 - tail : tail;
}

double student_t_quantile(double p, double dof) {
  if (!(dof > 0)) throw input_error("Student t: degrees of freedom must be positive");
  if (!(p > 0 && p < 1)) throw input_error("Student t quantile: p must lie in (0, 1)");
  if (p < 0.5) return -student_t_quantile(1.0 - p, dof);
  if (p == 0.5) return 0;
  // Bisection on the monotone CDF: bracket [0, hi] by doubling, then halve to double precision.
  double lo = 0, hi = 1;
  while (student_t_cdf(hi, dof) < p) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) return std::numeric_limits<double>::infinity();
  }
  for (int it = 0; it < 200 && hi - lo > 1e-13 * std::max(1.0, hi); ++it) {
    const double mid = 0.5 * (lo + hi);
    (student_t_cdf(mid, dof) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

std::vector<size_error_point> pareto_front(const std::vector<size_error_point>& points) {
  // Stable sort by (size, error): a point survives iff its error is strictly below every error seen
  // before it. That drops points dominated by an earlier one and repeated (size, error) pairs after
  // their first occurrence. Points with a NaN coordinate cannot be compared and are left out.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < points.size(); ++i)
    if (!std::isnan(points[i].error) && !std::isnan(points[i].size)) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) {
    if (points[i].size != points[j].size) return points[i].size < points[j].size;
    return points[i].error < points[j].error;
  });
  std::vector<size_error_point> front;
  double best_error = std::numeric_limits<double>::infinity();
  bool any = false;
  for (std::size_t i : order) {
    if (!any || points[i].error < best_error) {
      front.push_back(points[i]);
      best_error = points[i].error;
      any = true;
    }
  }
  return front;
}

double rate_fit::predict_size(double error) const {
  return std::exp(log_a) * std::pow(error, -gamma);
}

rate_fit fit_rate(const std::vector<size_error_point>& front, const rate_fit_params& params) {
  if (!(params.confidence > 0 && params.confidence < 1))
    throw input_error("rate fit: confidence must lie in (0, 1)");
  rate_fit fit;
  fit.confidence = params.confidence;
  // THEORY §4: log s = log a + γ log(1/ε), ordinary least squares in (x, y) = (log 1/ε, log s).
  std::vector<double> xs, ys;
  for (const auto& p : front) {
    if (!(p.error > 0) || !(p.size > 0) || !finite(p.error) || !finite(p.size)) continue;
    xs.push_back(-std::log(p.error));
    ys.push_back(std::log(p.size));
  }
  const std::size_t n = xs.size();
  fit.n = n;
  if (n < 2) return fit;
  const double x_mean = std::accumulate(xs.begin(), xs.end(), 0.0) / double(n);
  const double y_mean = std::accumulate(ys.begin(), ys.end(), 0.0) / double(n);
  double sxx = 0, sxy = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double dx = xs[i] - x_mean, dy = ys[i] - y_mean;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (!(sxx > 0)) return fit;  // all errors equal: the slope is undefined
  fit.valid = true;
  fit.gamma = sxy / sxx;
  fit.log_a = y_mean - fit.gamma * x_mean;
  double ssr = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double r = ys[i] - (fit.log_a + fit.gamma * xs[i]);
    ssr += r * r;
  }
  fit.r2 = syy > 0 ? 1.0 - ssr / syy : 1.0;
  fit.gamma_lo = fit.gamma_hi = fit.gamma;
  if (n > 2) {
    const double dof = double(n - 2);
    fit.stderr_gamma = std::sqrt(ssr / dof / sxx);
    const double t = student_t_quantile(0.5 + params.confidence / 2.0, dof);
    fit.gamma_lo = fit.gamma - t * fit.stderr_gamma;
    fit.gamma_hi = fit.gamma + t * fit.stderr_gamma;
  }
  return fit;
}

double c_gamma(const std::vector<size_error_point>& points, double gamma) {
  if (!(gamma > 0) || !finite(gamma)) throw input_error("c_gamma: γ must be positive and finite");
  // THEORY §4: ĉ_γ = max_k ε_k s_k^{1/γ}. A point with ε = 0 or s = 0 constrains nothing (its term is 0).
  double c = 0;
  for (const auto& p : points) {
    if (!(p.error >= 0) || !(p.size >= 0) || !finite(p.error) || !finite(p.size))
      throw input_error("c_gamma: errors and sizes must be finite and non-negative (point '" + p.label +
                        "')");
    c = std::max(c, p.error * std::pow(p.size, 1.0 / gamma));
  }
  return c;
}

pac_bound_result pac_bound(double empirical, std::size_t samples, std::size_t size, std::size_t inputs,
                           const pac_params& params) {
  const double b2 = params.loss_bound;
  if (!(b2 > 0) || !finite(b2)) throw input_error("PAC bound: the loss bound B² must be positive");
  if (!(params.delta > 0 && params.delta < 1)) throw input_error("PAC bound: δ must lie in (0, 1)");
  if (!(empirical >= 0 && empirical <= b2))
    throw input_error("PAC bound: the empirical risk must lie in [0, B²]");
  pac_bound_result r;
  // THEORY §5: K_s = (3 (s + n_in)²)^s circuits of size s; log K_s = s log(3 (s + n_in)²), 0 for s = 0.
  if (size > 0) r.log_k = double(size) * (std::log(3.0) + 2.0 * std::log(double(size) + double(inputs)));
  r.ell = r.log_k + std::log(1.0 / params.delta);
  if (samples == 0) {
    r.bound = b2;
    return r;
  }
  // risk ≤ emp + sqrt(2B² risk ℓ/n) + (2B²/3) ℓ/n  ⇔  risk ≤ a + sqrt(c risk), a = emp + 2B²ℓ/(3n),
  // c = 2B²ℓ/n; the largest root of r = a + sqrt(c r) is a + c/2 + sqrt(c²/4 + a c).
  const double n = double(samples);
  const double a = empirical + 2.0 * b2 * r.ell / (3.0 * n);
  const double c = 2.0 * b2 * r.ell / n;
  r.bound = std::min(b2, a + c / 2.0 + std::sqrt(c * c / 4.0 + a * c));
  return r;
}

namespace {
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}
std::string csv_value(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return csv_field(v.get<std::string>());
  return csv_field(v.dump());
}
}  // namespace

void write_points_csv(const std::filesystem::path& path, const std::vector<size_error_point>& points) {
  std::vector<std::string> keys;
  if (!points.empty() && points.front().extra.is_object())
    for (auto it = points.front().extra.begin(); it != points.front().extra.end(); ++it)
      keys.push_back(it.key());
  std::ostringstream out;
  out << "error,size,label";
  for (const auto& k : keys) out << ',' << csv_field(k);
  out << '\n';
  for (const auto& p : points) {
    // nlohmann prints doubles in their shortest round-trip form.
    out << csv_value(nlohmann::json(p.error)) << ',' << csv_value(nlohmann::json(p.size)) << ','
        << csv_field(p.label);
    for (const auto& k : keys) {
      out << ',';
      if (p.extra.is_object() && p.extra.contains(k)) out << csv_value(p.extra.at(k));
    }
    out << '\n';
  }
  write_file_atomic(path, out.str());
}

nlohmann::json to_json(const size_error_point& p) {
  return {{"error", p.error}, {"size", p.size}, {"label", p.label}, {"extra", p.extra}};
}

nlohmann::json to_json(const rate_fit& f) {
  return {{"valid", f.valid},
          {"n", f.n},
          {"gamma", f.gamma},
          {"log_a", f.log_a},
          {"gamma_lo", f.gamma_lo},
          {"gamma_hi", f.gamma_hi},
          {"confidence", f.confidence},
          {"stderr_gamma", f.stderr_gamma},
          {"r2", f.r2}};
}

nlohmann::json to_json(const pac_bound_result& b) {
  return {{"log_k", b.log_k}, {"ell", b.ell}, {"bound", b.bound}};
}

}  // namespace occam::report
