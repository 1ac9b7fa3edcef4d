#pragma once
// `occam fit`, the main job (THEORY §1–5): train the §1 ResNet with a complexity penalty along a λ path →
// prune to several budgets (with masked fine-tuning) → quantise to several bit widths → compile the
// promising candidates to AIGs and optimise them with ABC (§4) → measure (validation error ε, AND count),
// the Pareto front, the fitted rate γ̂, ĉ_γ and the PAC bound of the chosen circuit (§5) → write the chosen
// circuit, model, report and plots. `fit_exact` is `occam fit --exact`: a complete truth table → an exactly
// correct circuit. See docs/fit.md.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "occam/circuit/aig.hpp"
#include "occam/circuit/synth.hpp"
#include "occam/complexity/penalty.hpp"
#include "occam/complexity/prune.hpp"
#include "occam/data/dataset.hpp"
#include "occam/fit/route_occam.hpp"
#include "occam/nn/resnet.hpp"
#include "occam/nn/train.hpp"
#include "occam/report/report.hpp"

namespace occam::fit {

struct fit_params {
  /// Architecture; d_in/d_out come from the data. width 0 = max(d_in, 16).
  nn::resnet_shape shape{0, 0, 16, 2, 0};
  nn::init_params init;
  /// Epochs, batch, lr, device, threads, seed, progress (out_dir, resume and penalty are set by fit()).
  nn::train_params train;
  /// Training penalty along the path (THEORY §3); `proximal` gives soft-threshold steps (exact zeros) for
  /// l1, rtilde and r.
  complexity::penalty_kind penalty = complexity::penalty_kind::l1;
  bool proximal = true;
  /// λ values, trained in this order with warm starts (one stage each).
  std::vector<double> lambdas = {1e-4, 1e-3, 3e-3};
  /// Pruning (THEORY §2) and the fractions of each stage's non-zero weights kept.
  complexity::prune_params::method_kind prune_method = complexity::prune_params::method_kind::magnitude;
  std::vector<double> keep_fractions = {1.0, 0.5, 0.25, 0.125, 0.0625};
  /// Epochs of masked fine-tuning after pruning (pruned weights stay exactly zero); 0 = none.
  std::int64_t finetune_epochs = 10;
  /// Uniform weight/activation bit widths tried (quantize.hpp); real inputs use `input_bits`.
  std::vector<unsigned> bits = {2, 3, 4, 6, 8};
  unsigned input_bits = 6;
  /// ABC script for every compiled candidate, and for the chosen circuit at the end ("" = none).
  std::string abc_script = "fast";
  std::string final_abc_script = "medium";
  /// At most this many candidates (spread over the (ε, generated size) front) are run through ABC.
  std::size_t max_compile = 12;
  /// IWLS rule: the chosen circuit must have ≤ max_ands AND nodes (0 = no budget).
  std::size_t max_ands = 0;
  /// Choose the smallest circuit whose validation error is within `tolerance` of the best one.
  double tolerance = 0.0;
  /// Binary tasks on Boolean inputs: when a compiled network reads ≤ truth_table_max_inputs input bits,
  /// also synthesise it from its truth table — all rows ("tt-full", the same function) and with the rows not
  /// in the training data as don't-cares ("tt-dc", a different, usually smaller function).
  bool truth_table_route = true;
  unsigned truth_table_max_inputs = 16;
  /// Input budgets (Boolean binary tasks): for each m, the m inputs that matter most to the best full
  /// network (ℓ2 norm of the W_ℓ and U columns that read them) are kept, a network is trained on them along
  /// the same λ path, and its candidates join the others ("in<m>-..." labels), so that the truth-table routes
  /// apply to data with many inputs. Empty = automatic: {max, max/2} with max = truth_table_max_inputs when
  /// the data has more inputs than that.
  std::vector<std::size_t> input_budgets;
  /// Input selection from the data (data/select.hpp, single-output Boolean binary tasks): the inputs chosen
  /// by greedy leave-one-out lookup-table selection (at most this many; 0 = off) carry the lookup-table
  /// routes below and, when the data has more than truth_table_max_inputs inputs, one more view ("sel-"
  /// labels) trained along the same λ path; unlike the importance ranking the selection finds parity-like
  /// structure (an adder's sum bit) that a network trained on all inputs misses.
  std::size_t selection_inputs = 16;
  /// With the selection: also synthesise the lookup table over prefixes of the selected inputs directly
  /// from the training rows — "table": each cell's majority, unseen cells take the coarser tables' answer
  /// (a complete function); "table-dc": seen cells' majority, unseen cells don't-care. No network involved.
  bool table_route = true;
  /// Binary tasks on Boolean inputs: the most accurate pruned float networks on views of ≤
  /// truth_table_max_inputs inputs are tabulated on all 2^m input rows and synthesised ("tt-float": their
  /// exact decision function; "tt-float-dc": only the training rows cared for) — no quantisation involved.
  bool float_truth_table = true;
  /// Per-word truth-table synthesis in the network compiler (compile::network_to_circuit_params::lut_inputs,
  /// LogicNets style): words computed from ≤ lut_inputs operand bits are synthesised from their truth tables
  /// when that is smaller than their arithmetic. 0 = arithmetic only.
  unsigned lut_inputs = 12;
  /// The truth-table routes' synthesis settings. Their ABC script is always `abc_script` (the one every
  /// candidate gets), so `synth.abc_script` is not read by fit().
  circuit::synth_params synth;
  /// The Occam route (route_occam.hpp, single-output Boolean binary tasks): complete functions of one
  /// integer linear form (symmetric, threshold-like) consistent with every training row, over all inputs
  /// (when ≤ occam.max_inputs) and over the selected inputs, synthesised; the smallest join the candidates
  /// ("occam-sym", "occam-ltf" routes).
  occam_params occam;
  /// Report: ĉ_γ for this γ, and the PAC bound's δ.
  double gamma = 2.0;
  double delta = 0.05;
  /// Output directory (stages, candidates, circuit.aig, circuit.v, model.occam, report.json, report.md,
  /// points.csv, size_vs_error.png/svg). Empty = nothing written.
  std::string out_dir;
  bool resume = false;  ///< reuse finished stages and compiled candidates in out_dir
  bool plots = true;    ///< draw with gnuplot when it is installed
};

/// One measured circuit (a point of the size–error plane).
struct fit_candidate {
  std::string label;  ///< "s1 keep=0.25 b=4 network"
  std::size_t stage = 0;
  double lambda = 0, keep = 1;
  std::size_t input_budget = 0;  ///< 0: all inputs; else the input-budget view it was trained on
  std::int64_t nonzero = 0;      ///< non-zero float weights of the pruned network
  unsigned bits = 0;             ///< 0: not quantised (float and table routes)
  /// "network", "tt-full", "tt-dc" (quantised network), "tt-float", "tt-float-dc" (float network), "table",
  /// "table-dc" (lookup table over selected inputs), "occam-sym", "occam-ltf" (route_occam.hpp)
  std::string route;
  /// Validation metric of the circuit: accuracy (classification) or RMSE vs targets (regression), and the
  /// error ε = 1 − accuracy or the RMSE.
  double valid_metric = 0, valid_error = 0;
  double train_error = 0;
  double test_metric = std::numeric_limits<double>::quiet_NaN();
  std::size_t ands_generated = 0;  ///< before ABC (network route)
  std::size_t ands = 0;            ///< after ABC
  std::uint32_t depth = 0;
  std::size_t support = 0;  ///< circuit inputs the outputs depend on
  bool compiled = false;
  /// Network route under a budget: the generated circuit was > 4 × max_ands, which ABC cannot bring under
  /// the budget, so it was not optimised (ands = its generated size); it still feeds the truth-table routes.
  bool abc_skipped = false;
  double seconds = 0;  ///< compile + ABC time
};

/// One candidate as a JSON object (report.json's "candidates", and the candidates.jsonl log that --resume
/// reads).
nlohmann::json to_json(const fit_candidate& c);

struct fit_result {
  data::task_kind kind = data::task_kind::regression;
  std::vector<fit_candidate> candidates;  ///< every quantised candidate (compiled ones have ands)
  /// THEORY §4 measurements: points.error is the validation L2(π) distance (l2_distance), the classification
  /// error is kept in points.extra ("classification_error"); the front, the rate fit on the L2 scale, ĉ_γ
  /// (max_k ε_k s_k^{1/γ}: the measured points only) and the HTMC bound on the measured range.
  std::vector<report::size_error_point> points, front;
  report::rate_fit rate;
  double c_gamma = 0;
  report::htmc_range_bound htmc;
  std::ptrdiff_t chosen = -1;  ///< index into candidates (−1: none fits the budget)
  circuit::aig circuit;        ///< the chosen circuit (after final_abc_script), over all data inputs
  std::vector<std::size_t> chosen_inputs;  ///< data inputs the chosen candidate's network reads (its view)
  nn::resnet model;  ///< the chosen candidate's (pruned, fine-tuned) float network; empty for table routes
  /// Input selection (selection_inputs > 0 and the data qualifies): inputs in selection order, the lookup
  /// table's leave-one-out training accuracy over them, and the time the selection took.
  std::vector<std::size_t> selected_inputs;
  double selection_loo_accuracy = 0, selection_seconds = 0;
  /// The Occam route's counts and time (occam_params).
  occam_stats occam;
  /// THEORY §5 PAC bound of the chosen circuit: 0–1 loss for classification, squared loss for regression
  /// (pac.loss); pac_valid is false when no circuit was chosen (or a regression circuit has no network).
  report::pac_bound_result pac;
  bool pac_valid = false;
  double seconds = 0;
  std::vector<std::string> files;  ///< written into out_dir
};

/// THEORY §4: a candidate's error on the L2(π) scale (π = the rows measured). Classification (false/true =
/// −1/+1): binary with m output bits, each a ±1 value, ‖f − g‖²_{L2(π)} = E_x Σ_o (f_o − g_o)² = 4 m · err
/// where err is the mean over rows and bits of the mismatches (1 − accuracy), so ε = 2 √(m · err);
/// multiclass, the class as a ±1 one-hot vector (a wrong class differs in 2 coordinates): ε = 2 √(2 · err)
/// with err the fraction of misclassified rows. Regression: `error` is the RMSE per output coordinate, ε = √m
/// · RMSE. `outputs` = m (the data's d_out; ignored for multiclass).
double l2_distance(data::task_kind kind, std::size_t outputs, double error);

/// Runs the pipeline on a split (valid may be empty: train is used for choices; test may be empty).
/// Throws input_error on bad parameters (no λ, keep fractions outside (0,1], bits outside [2,16], ...).
fit_result fit(const data::split& data, const fit_params& params);

/// Writes the chosen circuit (circuit.aig, circuit.v), model.occam, report.json, report.md, points.csv and
/// size_vs_error.{png,svg} (gnuplot) into params.out_dir; fit() calls it when out_dir is set. Returns the
/// files.
std::vector<std::string> write_fit_report(const fit_result& result, const data::split& data,
                                          const fit_params& params);

struct exact_params {
  circuit::synth_params synth;  ///< its abc_script is the script run on the synthesised table
  std::string out_dir;          ///< circuit.aig, circuit.v, report.json, report.md
};
struct exact_result {
  circuit::aig circuit;
  circuit::synth_stats stats;
  std::size_t inputs = 0, outputs = 0;
  bool verified = false;  ///< simulated on every row of the table and equal
  double seconds = 0;
  std::vector<std::string> files;
};
/// `occam fit --exact`: `d` must be a complete truth table (Boolean inputs ≤ 20, binary targets, every one of
/// the 2^n input rows present exactly once with consistent labels — else input_error naming the problem).
exact_result fit_exact(const data::dataset& d, const exact_params& params);

}  // namespace occam::fit
