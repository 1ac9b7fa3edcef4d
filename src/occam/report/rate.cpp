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

std::string to_string(rate_fit_status s) {
  switch (s) {
    case rate_fit_status::ok:
      return "ok";
    case rate_fit_status::too_few_points:
      return "too few points";
    case rate_fit_status::equal_errors:
      return "all errors equal";
  }
  return "?";
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
  // Two points fit any line exactly: no residual degree of freedom, no interval. Say so instead.
  if (n < 3) {
    fit.status = rate_fit_status::too_few_points;
    return fit;
  }
  const double x_mean = std::accumulate(xs.begin(), xs.end(), 0.0) / double(n);
  const double y_mean = std::accumulate(ys.begin(), ys.end(), 0.0) / double(n);
  double sxx = 0, sxy = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double dx = xs[i] - x_mean, dy = ys[i] - y_mean;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (!(sxx > 0)) {  // all errors equal: the slope is undefined
    fit.status = rate_fit_status::equal_errors;
    return fit;
  }
  fit.valid = true;
  fit.status = rate_fit_status::ok;
  fit.gamma = sxy / sxx;
  fit.log_a = y_mean - fit.gamma * x_mean;
  double ssr = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double r = ys[i] - (fit.log_a + fit.gamma * xs[i]);
    ssr += r * r;
  }
  fit.r2 = syy > 0 ? 1.0 - ssr / syy : 1.0;
  const double dof = double(n - 2);
  fit.stderr_gamma = std::sqrt(ssr / dof / sxx);
  const double t = student_t_quantile(0.5 + params.confidence / 2.0, dof);
  fit.gamma_lo = fit.gamma - t * fit.stderr_gamma;
  fit.gamma_hi = fit.gamma + t * fit.stderr_gamma;
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

htmc_range_bound htmc_bound_on_range(const std::vector<size_error_point>& points, double gamma) {
  if (!(gamma > 0) || !finite(gamma)) throw input_error("HTMC bound: γ must be positive and finite");
  for (const auto& p : points)
    if (!(p.error >= 0) || !(p.size >= 0) || !finite(p.error) || !finite(p.size))
      throw input_error("HTMC bound: errors and sizes must be finite and non-negative (point '" + p.label +
                        "')");
  htmc_range_bound b;
  b.gamma = gamma;
  // THEORY §4: on [ε_j, ε_{j+1}] (neighbouring front points), C(f, ε) ≤ C(f, ε_j) ≤ s_j and ε ≤ ε_{j+1}.
  auto front = pareto_front(points);  // increasing size = decreasing error
  std::reverse(front.begin(), front.end());
  b.points = front.size();
  if (front.empty()) return b;
  b.valid = true;
  b.eps_lo = front.front().error;
  b.eps_hi = front.back().error;
  b.to_infinity = front.back().size == 0;
  if (front.size() == 1) {
    b.value = front[0].error * std::pow(front[0].size, 1.0 / gamma);
    return b;
  }
  for (std::size_t j = 0; j + 1 < front.size(); ++j)
    b.value = std::max(b.value, front[j + 1].error * std::pow(front[j].size, 1.0 / gamma));
  return b;
}

double log_aig_structures(std::size_t size, std::size_t inputs, std::size_t outputs) {
  // THEORY §5: N_s = (2(n+s+1))^m · Π_{i=1}^s (n+i)(2(n+i)+1).
  const double n = double(inputs), s = double(size);
  double l = double(outputs) * std::log(2.0 * (n + s + 1.0));
  for (std::size_t i = 1; i <= size; ++i) {
    const double v = n + double(i);
    l += std::log(v) + std::log(2.0 * v + 1.0);
  }
  return l;
}

double log_aig_count_bound(std::size_t size, std::size_t inputs, std::size_t outputs) {
  // THEORY §5: K_s = (2(t+1))^m · (t(2t+1))^s, t = s + n.
  const double t = double(size) + double(inputs);
  double l = double(outputs) * std::log(2.0 * (t + 1.0));
  if (size > 0) l += double(size) * (std::log(t) + std::log(2.0 * t + 1.0));
  return l;
}

double log_paper_count(std::size_t size, std::size_t inputs) {
  if (size == 0) return 0;
  return double(size) * (std::log(3.0) + 2.0 * std::log(double(size) + double(inputs)));
}

double size_delta(double delta, std::size_t size) {
  const double s = double(size);
  return delta / ((s + 1.0) * (s + 2.0));
}

pac_bound_result pac_bound(double empirical, std::size_t samples, std::size_t size, std::size_t inputs,
                           const pac_params& params) {
  const double b2 = params.loss_bound;
  if (!(b2 > 0) || !finite(b2)) throw input_error("PAC bound: the loss bound B² must be positive");
  if (!(params.delta > 0 && params.delta < 1)) throw input_error("PAC bound: δ must lie in (0, 1)");
  if (!(empirical >= 0 && empirical <= b2))
    throw input_error("PAC bound: the empirical risk must lie in [0, B²]");
  if (params.outputs == 0) throw input_error("PAC bound: the circuit needs at least one output");
  pac_bound_result r;
  r.count = "AIG structures N_s = (2(n+s+1))^m * prod_{i=1..s} (n+i)(2(n+i)+1)";
  r.size = size;
  r.inputs = inputs;
  r.outputs = params.outputs;
  r.samples = samples;
  r.empirical = empirical;
  r.loss_bound = b2;
  r.delta = params.delta;
  // THEORY §5: the count of AIG structures, the share δ_s of δ for this size, ℓ = log N_s + log(1/δ_s).
  r.log_k = log_aig_structures(size, inputs, params.outputs);
  r.log_k_bound = log_aig_count_bound(size, inputs, params.outputs);
  r.log_k_paper = log_paper_count(size, inputs);
  r.paper_covers = r.log_k_paper >= r.log_k;
  r.delta_s = params.union_over_sizes ? size_delta(params.delta, size) : params.delta;
  r.ell = r.log_k - std::log(r.delta_s);
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

pac_bound_result pac_bound_squared(double empirical_mse, std::size_t samples, std::size_t size,
                                   std::size_t inputs, double output_bound, double target_bound,
                                   const pac_params& params) {
  if (!(output_bound >= 0) || !(target_bound >= 0) || !finite(output_bound) || !finite(target_bound))
    throw input_error("PAC bound (squared loss): the output and target bounds must be finite and ≥ 0");
  const double b = output_bound + target_bound;
  if (!(b > 0)) throw input_error("PAC bound (squared loss): F + Y must be positive");
  pac_params p = params;
  p.loss_bound = b * b;
  // (C(x) − y)² ≤ (|C(x)| + |y|)² ≤ (F + Y)²; the rounding of the training MSE must not push it above.
  auto r = pac_bound(std::min(empirical_mse, p.loss_bound), samples, size, inputs, p);
  r.loss = "squared";
  r.output_bound = output_bound;
  r.target_bound = target_bound;
  r.rmse_bound = std::sqrt(r.bound);
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
  // NaN (no fit) is written as null.
  auto v = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); };
  return {{"valid", f.valid},
          {"status", to_string(f.status)},
          {"n", f.n},
          {"gamma", v(f.gamma)},
          {"log_a", v(f.log_a)},
          {"gamma_lo", v(f.gamma_lo)},
          {"gamma_hi", v(f.gamma_hi)},
          {"confidence", f.confidence},
          {"stderr_gamma", v(f.stderr_gamma)},
          {"r2", v(f.r2)}};
}

nlohmann::json to_json(const pac_bound_result& b) {
  nlohmann::json j = {{"loss", b.loss},
                      {"count", b.count},
                      {"size", b.size},
                      {"inputs", b.inputs},
                      {"outputs", b.outputs},
                      {"samples", b.samples},
                      {"empirical", b.empirical},
                      {"log_k", b.log_k},
                      {"log_k_bound", b.log_k_bound},
                      {"log_k_paper", b.log_k_paper},
                      {"paper_covers", b.paper_covers},
                      {"delta", b.delta},
                      {"delta_s", b.delta_s},
                      {"ell", b.ell},
                      {"loss_bound", b.loss_bound},
                      {"bound", b.bound}};
  if (b.loss == "squared") {
    j["output_bound"] = b.output_bound;
    j["target_bound"] = b.target_bound;
    j["rmse_bound"] = b.rmse_bound;
  }
  return j;
}

nlohmann::json to_json(const htmc_range_bound& b) {
  return {{"valid", b.valid}, {"gamma", b.gamma},   {"eps_lo", b.eps_lo},          {"eps_hi", b.eps_hi},
          {"value", b.value}, {"points", b.points}, {"to_infinity", b.to_infinity}};
}

}  // namespace occam::report
