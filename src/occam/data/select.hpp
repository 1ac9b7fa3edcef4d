#pragma once
// Choosing the inputs of a Boolean function from data: greedy forward selection of a set S of inputs that
// maximises the leave-one-out accuracy of the lookup table over S, with lookahead over pairs and triples so
// that parity-like structure (adder sums, XORs: no single input correlates with the label) is found.
// Torch-free. The table itself (majority label per cell, coarser tables for ties and unseen cells) is
// returned as plain per-cell label counts and labels, so the circuit module can synthesise it
// (circuit::truth_table) without the data module depending on circuits. Method, parameters and
// measurements: docs/select.md, bench/RESULTS.md ("Input selection").
//
// Why a table and why leave-one-out: a table over |S| inputs is a circuit of size O(2^|S|) (THEORY §4), and
// the PAC bound (THEORY §5) only pays off when the empirical error is honest. The training accuracy of a
// table grows with every added input (cells shrink until each holds one row); its leave-one-out accuracy
// does not: a row alone in its cell is predicted by a coarser table, and an input that only splits cells
// lowers the score. So the LOO score both ranks inputs and tells the greedy search when to stop.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "occam/data/dataset.hpp"

namespace occam::data {

/// The largest number of inputs a table (and a selection) may have: 2^24 cells.
inline constexpr std::size_t max_table_inputs = 24;

struct select_params {
  /// At most this many inputs are selected (1 .. max_table_inputs).
  std::size_t max_inputs = 16;
  /// Largest tuple tried when no single input raises the score by more than min_gain: 1 (plain greedy),
  /// 2 (pairs) or 3 (triples; finds the top bits of an adder sum, whose label no pair predicts).
  unsigned lookahead = 3;
  /// A step that adds m inputs must raise the leave-one-out accuracy by more than m · min_gain.
  double min_gain = 0.001;
  /// Multiple-comparison margin: a step scored over T tuples must also gain more than
  /// significance · sqrt(a · ln T) rows, a = Σ over cells holding both labels of s · exp(−(n1 − n0)² /
  /// (s · 2^m)) (the rows whose cell majority a random m-input split could flip). The best of many inputs
  /// unrelated to the label gains about that much by chance (docs/select.md); 0 turns the margin off.
  double significance = 1.0;
  /// When no tuple raises the leave-one-out accuracy, take the tuple whose split is the most significant by
  /// a G-test of independence from the label (within the current cells), if its p-value times the number
  /// of tuples tried is below information_alpha (0: stop instead). Such steps can precede majority flips on
  /// skewed targets; the selection is cut back to the prefix with the best leave-one-out accuracy at the end.
  double information_alpha = 0.01;
  /// Work allowed per search over tuples of one size, in estimated 64-bit word operations (about 2e9 per
  /// second). When all C(candidates, m) tuples cost more, only tuples from a pool of the best-scoring
  /// candidates (by their best single / pair score so far) are tried; for parity-like targets those scores
  /// are noise, so the pool may miss the structure. The default covers all 22 million triples of 512
  /// inputs on 6400 rows at the first step (about 10 s).
  double budget = 2e10;
  bool progress = true;  ///< a progress bar on stderr (only when it is a terminal)
};

struct select_step {
  std::vector<std::size_t> inputs;  ///< added in this step, in order (size > 1: found by lookahead)
  double loo_accuracy = 0;          ///< leave-one-out accuracy of the table over all inputs so far
  std::size_t candidates = 0;       ///< tuples scored in this step
  std::size_t pool = 0;             ///< size of the candidate pool of the last tuple search in this step
  bool by_information = false;      ///< taken by the information-gain rule (see information_alpha)
};

struct select_stats {
  double initial_loo_accuracy = 0;       ///< of the empty table: the global majority's training accuracy
  std::vector<select_step> steps;        ///< the kept steps (cut back to the best leave-one-out prefix)
  std::size_t candidates_evaluated = 0;  ///< tuples scored over all steps
  double seconds = 0;
};

/// Greedy forward selection with lookahead (docs/select.md). `d` must have Boolean inputs (every value 0
/// or 1) and one binary target column; throws occam::input_error otherwise, or for an empty data set or
/// max_inputs outside 1 .. max_table_inputs. Returns the selected inputs in selection order; the k-th
/// input is bit k of a cell index of lookup_table. Deterministic (ties go to the smaller input index).
std::vector<std::size_t> select_inputs(const dataset& d, const select_params& params = {},
                                       select_stats* stats = nullptr);

/// The table classifier over inputs S = `inputs`: cell c = Σ_k x_{inputs[k]} 2^k. A cell's label is the
/// majority of its training rows; a tie, or an unseen cell, takes the label of the same cell in the table
/// over the first |S|−1 inputs, and so on down to the empty table: the majority of all rows (a tie gives 0).
/// The leave-one-out score of select_inputs is the accuracy of exactly this rule with each row left out of
/// the counts of the non-empty tables. The empty table is not left out: leave-one-out of a global majority
/// on balanced labels scores 0 (every row sees the other label in the majority), which would make the first
/// input that unbalances anything look like a large gain.
struct lookup_table {
  std::vector<std::size_t> inputs;
  std::vector<std::uint32_t> zeros, ones;  ///< 2^|S| cells: training rows with label 0 / label 1
  std::vector<std::uint8_t> labels;        ///< 2^|S| cells: the predicted label (with the fallback above)

  std::size_t cells() const { return labels.size(); }
  bool seen(std::size_t cell) const { return zeros[cell] + ones[cell] > 0; }
  /// Cell index of a row of a data set with the training set's inputs.
  std::size_t cell(const float* row) const;
  bool predict(const float* row) const { return labels[cell(row)] != 0; }
};

/// Counts the rows of `d` per cell and sets the labels. Same input checks as select_inputs; at most
/// max_table_inputs inputs, each < d.d_in.
lookup_table build_lookup_table(const dataset& d, const std::vector<std::size_t>& inputs);

/// Fraction of rows of `d` (Boolean inputs, binary target; same d_in as the training set) that the table
/// predicts correctly.
double table_accuracy(const lookup_table& table, const dataset& d);

/// Leave-one-out accuracy of the table over `inputs` on `d`: each row is predicted by the table built from
/// the other n−1 rows (computed from counts in O(n·|S|), not by n rebuilds).
double leave_one_out_accuracy(const dataset& d, const std::vector<std::size_t>& inputs);

}  // namespace occam::data
