#pragma once
// The Occam route of `occam fit` (docs/fit.md, "Occam recovery"): from a partial truth table (the training
// rows of a single-output Boolean task), propose complete functions from small hypothesis classes that are
// consistent with every training row, synthesise each one, and keep the smallest circuits — Occam's razor
// (THEORY §5: a small circuit that fits n rows generalises with ≈ s·log s / n error).
//
// The hypothesis class is the functions of one integer linear form over a set S of ≤ 16 inputs,
// f(x) = g(w·x_S) with w ∈ ℤ^S and g: ℤ → {0,1} an arbitrary table over the values the form takes:
//   * symmetric functions (w = ±1: parity, majority, any function of the popcount), with greedy removal of
//     the inputs that break the symmetry;
//   * linear threshold functions and their relatives (w from a perceptron on the training rows, rounded to
//     small integers at increasing scales: comparators, adder carries, weighted votes).
// A form is consistent when no value of w·x is taken by training rows of both labels; g is then the label of
// each seen value, and the values no training row takes are filled in every way (when there are few) or by
// the nearest seen value. Every completed table is synthesised quickly
// (circuit::synthesize_truth_tables); the smallest ones (fewest validation errors first) get ABC &deepsyn
// under a time limit with several seeds. Torch-free.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "occam/circuit/aig.hpp"
#include "occam/circuit/synth.hpp"
#include "occam/data/dataset.hpp"

namespace occam::fit {

struct occam_params {
  /// Run the route (single-output Boolean binary tasks; `occam fit --no-occam` turns it off).
  bool enabled = true;
  /// Input sets larger than this are skipped (the completed table has 2^|S| rows).
  std::size_t max_inputs = 16;
  /// Symmetric hypotheses: w = +1 on every input, and w = the sign of each input's correlation with the
  /// label; while a form is inconsistent, the input whose removal removes the most conflicting rows is
  /// dropped (down to 2 inputs).
  bool symmetric = true;
  /// Threshold-like hypotheses: a perceptron (and its average) on the training rows, each rounded to
  /// integers at scales K = 1 .. max_scale (the largest |w_i| becomes K); the first `weight_vectors`
  /// consistent distinct roundings of each are kept (the smallest weights first).
  bool threshold = true;
  std::size_t perceptron_epochs = 2000;
  unsigned max_scale = 128;
  std::size_t weight_vectors = 6;
  /// Values of w·x taken by no training row: every one of the 2^u fills when u ≤ max_unseen_fill, else the
  /// nearest seen value's label (ties: the smaller value). (Don't-cares there would leave the class: the
  /// synthesiser may then fill minterms of one value differently, and finds smaller, wrong functions.)
  unsigned max_unseen_fill = 2;
  /// Completed tables synthesised with this ABC script to rank them ("fast" = &dc2).
  std::string quick_script = "fast";
  /// The `finalists` smallest distinct functions (fewest validation errors first, then ANDs) get &deepsyn
  /// for each seed; the smallest result is kept.
  /// "<start>; &deepsyn -J deepsyn_steps -T deepsyn_seconds -S seed" for each start script and seed: each
  /// run stops after deepsyn_steps steps without improvement (deterministic, ≈ 0.4 s for 100 steps on a
  /// 20-AND circuit) or at the time cap; all of a finalist's runs share one ABC process. The result
  /// depends much on the seed and the start (majority:7 from its 24-AND table circuit: 20 to 24 ANDs over
  /// seeds 1..10), so many short runs beat one long one. deepsyn_steps = 0: no &deepsyn. Only the
  /// finalists with the fewest validation errors, at most 1.5 × the smallest of them, get it.
  std::size_t finalists = 3;
  unsigned deepsyn_steps = 50;
  unsigned deepsyn_seconds = 10;
  std::vector<unsigned> deepsyn_seeds = {1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<std::string> deepsyn_starts = {"collapse; sop; fx; strash", ""};
  /// No new table is synthesised after this many seconds (finalists still get &deepsyn).
  double time_limit_s = 60;
};

/// One finalist: a complete function of a linear form, and its circuit. Ranked by validation errors, then
/// ANDs, then Σ|w| (the simpler form).
struct occam_circuit {
  std::string label;                  ///< "occam sym8", "occam ltf12 avg K=32 fill=1/2", ...
  std::string route;                  ///< "occam-sym" or "occam-ltf"
  std::vector<std::size_t> inputs;    ///< S: data columns; circuit input j reads column inputs[j]
  std::vector<std::int64_t> weights;  ///< w (parallel to inputs)
  std::size_t unseen_values = 0;      ///< values of w·x no training row takes
  std::string fill;                   ///< how those were filled: "none", "k/2^u" (fill k of 2^u), "nearest"
  std::size_t quick_ands = 0;         ///< after quick_script
  std::size_t valid_errors = 0;       ///< validation rows it gets wrong (0 without validation rows)
  circuit::aig circuit;               ///< |S| inputs (x0..), one output; after &deepsyn
  double seconds = 0;
};

struct occam_stats {
  std::size_t forms_tried = 0;        ///< linear forms checked for consistency
  std::size_t forms_consistent = 0;   ///< consistent with every training row
  std::size_t tables = 0;             ///< completed tables synthesised
  std::size_t perceptron_epochs = 0;  ///< epochs the last perceptron ran (0 errors reached or the limit)
  double synth_seconds = 0;           ///< quick synthesis of the completed tables
  double deepsyn_seconds = 0;         ///< &deepsyn on the finalists
  double seconds = 0;
};

/// The route on `train` (Boolean inputs, one binary output; else it returns nothing) for each input set in
/// `input_sets` (data columns; sets larger than max_inputs or duplicates are skipped). `valid` (may be
/// empty) only ranks the finalists. Returns the finalists, smallest first; each agrees with every training
/// row (checked).
std::vector<occam_circuit> occam_route(const data::dataset& train, const data::dataset& valid,
                                       const std::vector<std::vector<std::size_t>>& input_sets,
                                       const occam_params& params, const circuit::synth_params& synth,
                                       occam_stats* stats = nullptr);

}  // namespace occam::fit
