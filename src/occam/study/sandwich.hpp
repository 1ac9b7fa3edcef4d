#pragma once
// The sandwich experiment (issue 18, docs/study.md, docs/experiments/sandwich.md): on Boolean targets of
// known circuit size s* (targets.hpp), train THEORY §1 ResNets along λ paths with the R̃ and R penalties,
// measure their error against the target function, R̃ and the certified R, compile each trained network back
// to a circuit (quantise → tabulate on all 2^n inputs → synthesise with ABC), and compare with the §7
// construction and direct synthesis.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "occam/complexity/penalty.hpp"
#include "occam/study/targets.hpp"

namespace occam::study {

struct sandwich_params {
  std::vector<std::int64_t> widths = {16};  ///< w (raised to the input count when smaller)
  std::vector<std::int64_t> depths = {2};   ///< L
  std::int64_t hidden = 0;                  ///< k; 0 = w
  std::vector<std::uint64_t> seeds = {0};
  std::vector<complexity::penalty_kind> penalties = {complexity::penalty_kind::rtilde,
                                                     complexity::penalty_kind::r};
  /// λ path, trained in this order with warm starts (one model measured per λ).
  std::vector<double> lambdas = {1e-4, 1e-3, 3e-3, 1e-2};
  std::int64_t epochs = 300;  ///< per λ, full-batch Adam on all 2^n rows
  double lr = 3e-3;
  bool proximal = true;  ///< soft-threshold steps (exact zeros, smaller compiled circuits)
  /// Round trip: uniform weight/activation bit widths tried for each trained network.
  std::vector<unsigned> bits = {4, 6};
  /// ABC script for each round-trip circuit: the quantised network's decision function on all 2^n inputs
  /// is synthesised (circuit::synthesize_truth_tables, the `tt-full` route of occam fit).
  std::string abc_script = "medium";
  /// Direct synthesis from the full truth table (circuit::synthesize_truth_tables).
  std::string direct_script = "strong";
  unsigned deepsyn_seconds = 2;
  /// Error levels ε (L2(π) over the 2^n rows, ±1 encoding) at which R_min, R̃_min and s_back are taken.
  std::vector<double> epsilons = {0.1, 0.25, 0.5};
  int threads = 1;
  std::string out_dir;   ///< runs/<target>/<run>.json per run, sandwich.json, runs.csv, targets.csv
  bool resume = false;   ///< reuse run files whose flags match
  bool progress = true;  ///< one line per run on stderr
};

/// One network of a λ path, measured.
struct sandwich_point {
  double lambda = 0;
  /// Against the target function f on all 2^n inputs, outputs in ±1: ‖f_θ − f‖_{L2(π)} (π uniform, Σ over
  /// outputs inside the square) and max |f_θ,o − f_o|.
  double l2_error = 0, linf_error = 0;
  double rtilde = 0;  ///< R̃ on the 2^n inputs (THEORY §2)
  double r = 0;       ///< certified R over the box [0,1]^n (THEORY §3)
  std::int64_t nonzero = 0;
  /// Round trip per bit width: reachable ANDs after ABC and the circuit's L2(π) error against f
  /// (2·sqrt(Σ_o mismatch fraction_o)).
  std::vector<unsigned> bits;
  std::vector<std::size_t> ands;
  std::vector<double> circuit_l2_error;
  double train_seconds = 0, complexity_seconds = 0, compile_seconds = 0;
};

struct sandwich_run {
  std::string target;
  complexity::penalty_kind penalty = complexity::penalty_kind::rtilde;
  std::int64_t width = 0, depth = 0;
  std::uint64_t seed = 0;
  std::vector<sandwich_point> points;
  double seconds = 0;
  bool resumed = false;
};

struct target_summary {
  std::string name, family;
  unsigned inputs = 0;
  std::size_t outputs = 0;
  std::size_t s_star = 0;       ///< the target's stated size
  std::string bound;            ///< "exact" or "upper bound"
  std::size_t direct_ands = 0;  ///< direct synthesis from the full table
  /// min(s*, direct synthesis): the best size known; equal to s* when s* is exact.
  std::size_t s_best = 0;
  /// THEORY §7 construction of the stated circuit (±1 encoding, box [−1,1]^n): R̃ on the 2^n points and R.
  double construction_rtilde = 0, construction_r = 0;
  /// Per params.epsilons: least R, R̃ over every run's networks with l2_error ≤ ε, least round-trip AND
  /// count with circuit_l2_error ≤ ε (NaN where no run reached ε).
  std::vector<double> r_min, rtilde_min, s_back;
};

/// Least-squares line log y = a + slope · log x with a Student-t interval on the slope (needs n ≥ 3).
struct slope_fit {
  bool valid = false;
  std::size_t n = 0;
  double slope = std::numeric_limits<double>::quiet_NaN();
  double intercept = std::numeric_limits<double>::quiet_NaN();
  double lo = std::numeric_limits<double>::quiet_NaN(), hi = std::numeric_limits<double>::quiet_NaN();
  double r2 = std::numeric_limits<double>::quiet_NaN();
  double confidence = 0.95;
};
/// Fits over the pairs with finite x > 0 and y > 0.
slope_fit fit_log_slope(const std::vector<double>& x, const std::vector<double>& y, double confidence = 0.95);
nlohmann::json to_json(const slope_fit& f);

struct sandwich_result {
  std::vector<sandwich_run> runs;
  std::vector<target_summary> targets;
  std::vector<double> epsilons;
  /// Per ε: log R_min, log R̃_min and log s_back against log s_best over the targets.
  std::vector<slope_fit> r_fit, rtilde_fit, s_back_fit;
  double seconds = 0;
  std::vector<std::string> files;
};

struct sandwich_stats {
  std::size_t runs_trained = 0, runs_resumed = 0;
};

/// Runs every (target, penalty, width, depth, seed) combination; targets need truth tables (≤ 16 inputs).
/// Throws input_error on bad parameters or targets without tables.
sandwich_result run_sandwich(const std::vector<boolean_target>& targets, const sandwich_params& params,
                             sandwich_stats* stats = nullptr);

/// sandwich.json, runs.csv, targets.csv (atomically) and, when gnuplot is installed, the P1 and P2 plots
/// (p1_r_min.{png,svg}, p2_s_back.{png,svg}) into dir. Returns the files written.
std::vector<std::string> write_sandwich_report(const sandwich_result& result, const sandwich_params& params,
                                               const std::string& dir);

/// Configurations of `occam study sandwich`: tiny (a test, seconds), small (≤ 15 min on 2 cores), full.
enum class sandwich_config { tiny, small, full };
const char* to_string(sandwich_config c);
/// The inverse of to_string; throws input_error naming the choices.
sandwich_config parse_sandwich_config(const std::string& name);
/// The configuration's targets: exact 3- or 4-input functions, parity, majority, adder carry, comparators
/// and disjoint copies (see docs/study.md for the lists).
std::vector<boolean_target> sandwich_targets(sandwich_config c);
/// The configuration's grid (widths, depths, seeds, λ path, epochs, bit widths).
sandwich_params sandwich_default_params(sandwich_config c);

/// A log–log scatter plot with optional reference lines y = c·x^slope, written as stem.{png,svg,gp,dat}.
struct loglog_series {
  std::string name;
  std::vector<double> x, y;
  bool line = false;  ///< draw as a line (guides, fits) instead of points
};
std::vector<std::string> plot_loglog(const std::string& stem, const std::vector<loglog_series>& series,
                                     const std::string& title, const std::string& x_label,
                                     const std::string& y_label);

}  // namespace occam::study
