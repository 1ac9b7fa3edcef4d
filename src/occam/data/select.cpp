// Input selection by the leave-one-out accuracy of lookup tables (select.hpp, docs/select.md).
//
// Representation. Inputs are bit columns (one 64-bit word per 64 rows). The current table over S splits the
// rows into cells; a row's "class" is (label, whether the current table predicts it correctly without
// itself). Only cells holding both labels can change score when refined (a pure cell stays correct, or a
// lone row keeps falling back to the same coarser table), so the rows of mixed cells are laid out sorted by
// (cell, class): every (cell, class) group is a contiguous run, and the number of rows of a group in which
// a candidate input is 1 is a difference of two ranks of the candidate's permuted bit column. Scoring a
// tuple of m inputs needs the counts of all 2^m − 1 AND-combinations of its columns per group (one AND and
// one popcount pass each), a Möbius inversion to exact per-pattern counts, then the leave-one-out rule
// replayed level by level inside each cell: all rows of one (group, pattern) share their label and their
// fallback outcome, so the score is exact, not an approximation.
#include "occam/data/select.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "occam/util/error.hpp"
#include "occam/util/progress.hpp"

namespace occam::data {
namespace {

using word = std::uint64_t;

// The hot loop: per group (contiguous runs of rows ending at ends[0..G)), the rows set in a & b; a & b is
// also stored to dst unless it is null. Inlined into two wrappers, with and without the popcnt instruction
// (baseline x86-64 lacks it and GCC then calls a slow library routine), one picked once at run time.
#if defined(__GNUC__) || defined(__clang__)
#define OCCAM_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define OCCAM_ALWAYS_INLINE inline
#endif
OCCAM_ALWAYS_INLINE void and_group_counts_body(const word* a, const word* b, word* dst, std::size_t W,
                                               const std::uint32_t* ends, std::size_t G, std::uint32_t* out) {
  std::size_t g = 0;
  std::uint32_t run = 0, prev = 0;
  for (std::size_t w = 0; w < W; ++w) {
    const word x = a[w] & b[w];
    if (dst) dst[w] = x;
    const std::uint32_t limit = std::uint32_t((w + 1) * 64);
    while (g < G && ends[g] < limit) {
      std::uint32_t rank = run + std::uint32_t(__builtin_popcountll(x & ((word(1) << (ends[g] & 63)) - 1)));
      out[g++] = rank - prev;
      prev = rank;
    }
    run += std::uint32_t(__builtin_popcountll(x));
  }
  for (; g < G; ++g) {
    out[g] = run - prev;
    prev = run;
  }
}
#undef OCCAM_ALWAYS_INLINE

using and_group_counts_fn = void (*)(const word* a, const word* b, word* dst, std::size_t W,
                                     const std::uint32_t* ends, std::size_t G, std::uint32_t* out);

void and_group_counts_portable(const word* a, const word* b, word* dst, std::size_t W,
                               const std::uint32_t* ends, std::size_t G, std::uint32_t* out) {
  and_group_counts_body(a, b, dst, W, ends, G, out);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("popcnt"))) void and_group_counts_popcnt(const word* a, const word* b, word* dst,
                                                               std::size_t W, const std::uint32_t* ends,
                                                               std::size_t G, std::uint32_t* out) {
  and_group_counts_body(a, b, dst, W, ends, G, out);
}
and_group_counts_fn pick_and_group_counts() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("popcnt") ? and_group_counts_popcnt : and_group_counts_portable;
}
#else
and_group_counts_fn pick_and_group_counts() {
  return and_group_counts_portable;
}
#endif

const and_group_counts_fn and_group_counts = pick_and_group_counts();

std::string data_name(const dataset& d) {
  return d.name.empty() ? std::string("<data set>") : d.name;
}

std::string value_text(float v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

/// Input selection and tables need 0/1 inputs and one 0/1 target column.
void check_boolean(const dataset& d) {
  const std::string nm = data_name(d);
  if (d.n == 0) throw input_error(nm, 0, "input selection needs at least one row");
  if (d.d_out != 1)
    throw input_error(nm, 0,
                      "input selection needs one binary target column, got " + std::to_string(d.d_out));
  if (d.x.size() != d.n * d.d_in || d.y.size() != d.n)
    throw input_error(nm, 0, "inputs or targets do not match n = " + std::to_string(d.n));
  for (std::size_t i = 0; i < d.n; ++i) {
    const float* row = d.row(i);
    for (std::size_t j = 0; j < d.d_in; ++j)
      if (row[j] != 0.0f && row[j] != 1.0f)
        throw input_error(nm, 0,
                          "input " + std::to_string(j) + " of row " + std::to_string(i) + " is " +
                              value_text(row[j]) + "; input selection needs Boolean inputs (0 or 1)");
    float t = d.y[i];
    if (t != 0.0f && t != 1.0f)
      throw input_error(nm, 0,
                        "target of row " + std::to_string(i) + " is " + value_text(t) +
                            "; input selection needs a binary target (0 or 1)");
  }
}

void check_inputs(const dataset& d, const std::vector<std::size_t>& inputs) {
  if (inputs.size() > max_table_inputs)
    throw input_error(data_name(d), 0,
                      "a lookup table takes at most " + std::to_string(max_table_inputs) + " inputs, got " +
                          std::to_string(inputs.size()));
  for (std::size_t j : inputs)
    if (j >= d.d_in)
      throw input_error(data_name(d), 0,
                        "table input " + std::to_string(j) + " out of range (the data has " +
                            std::to_string(d.d_in) + " inputs)");
}

/// Leave-one-out vote of one table level for a row whose cell holds `same` rows of its label (the row
/// included) and `other` rows of the other label: +1 right, −1 wrong, 0 tie (fall back to a coarser table).
inline int loo_vote(std::int64_t same, std::int64_t other) {
  return same - 1 > other ? 1 : (same - 1 < other ? -1 : 0);
}

struct bit_columns {
  std::size_t n = 0, d = 0, words = 0;
  std::vector<word> bits;  ///< d × words
  std::vector<std::uint8_t> label;
  bool get(std::size_t j, std::size_t r) const { return (bits[j * words + (r >> 6)] >> (r & 63)) & 1u; }
};

bit_columns to_columns(const dataset& d) {
  check_boolean(d);
  bit_columns c;
  c.n = d.n;
  c.d = d.d_in;
  c.words = (d.n + 63) / 64;
  c.bits.assign(c.d * c.words, 0);
  c.label.resize(d.n);
  for (std::size_t r = 0; r < d.n; ++r) {
    const float* row = d.row(r);
    for (std::size_t j = 0; j < d.d_in; ++j)
      if (row[j] != 0.0f) c.bits[j * c.words + (r >> 6)] |= word(1) << (r & 63);
    c.label[r] = d.y[r] != 0.0f;
  }
  return c;
}

/// Per-level label counts of the prefix tables over inputs[0..i), i = 0..k, heap layout: level i occupies
/// [2^i, 2^(i+1)) (level 0 at index 1). Cell indices come from `full_cell` (bit t = inputs[t]).
struct prefix_counts {
  std::size_t k = 0;
  std::vector<std::uint32_t> zeros, ones;
  prefix_counts(std::size_t k_, const std::vector<std::size_t>& full_cell, const std::vector<std::uint8_t>& y)
      : k(k_), zeros(std::size_t(2) << k_, 0), ones(std::size_t(2) << k_, 0) {
    const std::size_t top = std::size_t(1) << k;
    for (std::size_t r = 0; r < full_cell.size(); ++r) (y[r] ? ones : zeros)[top + full_cell[r]]++;
    for (std::size_t i = k; i > 0; --i) {
      const std::size_t lo = std::size_t(1) << (i - 1), hi = std::size_t(1) << i;
      for (std::size_t p = 0; p < lo; ++p) {
        zeros[lo + p] = zeros[hi + p] + zeros[hi + p + lo];
        ones[lo + p] = ones[hi + p] + ones[hi + p + lo];
      }
    }
  }
};

// ---------------------------------------------------------------------------------------------------------
// The greedy search.

class selector {
 public:
  selector(const bit_columns& c, const select_params& p) : c_(c), p_(p) {
    cell_.assign(c.n, 0);
    num_cells_ = 1;
    fc_.resize(c.n);
    // The empty table is the majority of all rows, not left out (see lookup_table in select.hpp).
    const std::size_t n1 = std::size_t(std::count(c.label.begin(), c.label.end(), std::uint8_t(1)));
    const std::uint8_t majority = n1 > c.n - n1;
    for (std::size_t r = 0; r < c.n; ++r) fc_[r] = c.label[r] == majority;
    correct_ = std::accumulate(fc_.begin(), fc_.end(), std::size_t(0));
    selected_.assign(c.d, 0);
    xlogx_.resize(c.n + 1);
    for (std::size_t i = 0; i <= c.n; ++i) xlogx_[i] = i ? double(i) * std::log(double(i)) : 0.0;
    rebuild();
  }

  std::size_t correct() const { return correct_; }
  const std::vector<std::size_t>& selected() const { return order_; }

  /// One greedy step: the best single input, or, if none gains enough, the best pair, then triple; if no
  /// tuple raises the leave-one-out accuracy, the tuple with the most significant information gain.
  /// Returns false when nothing qualifies (or nothing is left to add).
  bool step(select_step& out) {
    out = {};
    const std::size_t room = p_.max_inputs - order_.size();
    if (room == 0 || cand_.empty() || active_n_ == 0) return false;
    rank_.assign(cand_.size(), -1);
    const unsigned deepest = std::min<unsigned>({p_.lookahead, 3u, unsigned(room), unsigned(cand_.size())});
    std::vector<search_result> results;
    for (unsigned m = 1; m <= std::max(1u, deepest); ++m) {
      search_result r;
      if (m == 1)
        search_singles(r);
      else if (m == 2)
        search_pairs(r);
      else
        search_triples(r);
      out.candidates += r.tried;
      out.pool = r.pool;
      results.push_back(r);
      // The best of T noisy scores is biased upwards: with T tuples scored, the largest gain of inputs
      // unrelated to the label is about σ·sqrt(2 ln T), σ² ∝ the rows of cells whose majority a random split
      // into 2^m parts can flip. So a step must beat both the per-input minimum and this margin.
      const double margin =
          p_.significance * std::sqrt(ambiguous_rows(m) * std::log(std::max<double>(2, double(r.tried))));
      const double need = std::max(double(m) * p_.min_gain * double(c_.n), margin);
      if (r.best_correct >= 0 && double(r.best_correct - std::int64_t(correct_)) > need) {
        take(r.best, m, out);
        return true;
      }
    }
    // No tuple raises the accuracy: on skewed cells (an AND of several inputs, say) no single split flips a
    // majority although it separates the labels. Take the tuple whose G-test of independence between its
    // split and the label (within the current cells) is the most significant, if it passes a Bonferroni
    // correction over the tuples tried; select_inputs later keeps only the prefix with the best score.
    if (p_.information_alpha > 0) {
      double best_excess = 0;
      unsigned chosen = 0;
      for (unsigned i = 0; i < results.size(); ++i) {
        const search_result& r = results[i];
        if (r.tried == 0) continue;
        // One-sided normal quantile of alpha / T (z with Φ(−z) ≈ alpha / T; a Chernoff-style bound).
        const double threshold = std::sqrt(2 * std::log(double(r.tried) / p_.information_alpha));
        if (r.info_z - threshold > best_excess) {
          best_excess = r.info_z - threshold;
          chosen = i + 1;
        }
      }
      if (chosen) {
        take(results[chosen - 1].info_best, chosen, out);
        out.by_information = true;
        return true;
      }
    }
    return false;
  }

 private:
  // ---- layout of the rows of mixed cells --------------------------------------------------------------

  void rebuild() {
    // Cells holding both labels.
    std::vector<std::uint32_t> n0(num_cells_, 0), n1(num_cells_, 0);
    for (std::size_t r = 0; r < c_.n; ++r) (c_.label[r] ? n1 : n0)[cell_[r]]++;
    std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed;  // (cell·4 + class, row)
    fixed_correct_ = 0;
    for (std::size_t r = 0; r < c_.n; ++r) {
      std::uint32_t cl = cell_[r];
      if (n0[cl] && n1[cl])
        keyed.emplace_back(std::uint64_t(cl) * 4 + c_.label[r] * 2 + fc_[r], std::uint32_t(r));
      else
        fixed_correct_ += fc_[r];
    }
    std::sort(keyed.begin(), keyed.end());
    active_n_ = keyed.size();
    active_words_ = (active_n_ + 63) / 64;
    group_end_.clear();
    group_class_.clear();
    group_size_.clear();
    cell_first_group_.clear();
    std::uint64_t prev_cell = ~std::uint64_t(0);
    for (std::size_t i = 0; i < keyed.size(); ++i) {
      std::uint64_t key = keyed[i].first;
      bool last_of_group = i + 1 == keyed.size() || keyed[i + 1].first != key;
      if (key / 4 != prev_cell) {
        cell_first_group_.push_back(std::uint32_t(group_end_.size()));
        prev_cell = key / 4;
      }
      if (last_of_group) {
        std::uint32_t begin = group_end_.empty() ? 0 : group_end_.back();
        group_end_.push_back(std::uint32_t(i + 1));
        group_size_.push_back(std::uint32_t(i + 1 - begin));
        group_class_.push_back(std::uint8_t(key % 4));
      }
    }
    cell_first_group_.push_back(std::uint32_t(group_end_.size()));
    parent_info_ = 0;  // Σ over mixed cells of n·H(label | cell), the reference of the G statistic
    for (std::size_t cl = 0; cl + 1 < cell_first_group_.size(); ++cl) {
      std::uint32_t n01[2] = {0, 0};
      for (std::uint32_t g = cell_first_group_[cl]; g < cell_first_group_[cl + 1]; ++g)
        n01[group_class_[g] >> 1] += group_size_[g];
      parent_info_ += xlogx_[n01[0] + n01[1]] - xlogx_[n01[0]] - xlogx_[n01[1]];
    }
    // Candidates' columns in the layout order, and their per-group counts.
    cand_.clear();
    for (std::size_t j = 0; j < c_.d; ++j)
      if (!selected_[j]) cand_.push_back(j);
    const std::size_t W = active_words_, G = group_end_.size();
    pcols_.assign(cand_.size() * W, 0);
    single_.assign(cand_.size() * G, 0);
    for (std::size_t ci = 0; ci < cand_.size(); ++ci) {
      word* dst = pcols_.data() + ci * W;
      const word* src = &c_.bits[cand_[ci] * c_.words];
      for (std::size_t i = 0; i < active_n_; ++i) {
        std::uint32_t r = keyed[i].second;
        dst[i >> 6] |= ((src[r >> 6] >> (r & 63)) & 1u) << (i & 63);
      }
      group_counts(dst, single_.data() + ci * G);
    }
  }

  /// Rows set in `bits` per group (the layout's groups are contiguous runs).
  void group_counts(const word* bits, std::uint32_t* out) const {
    and_group_counts(bits, bits, nullptr, active_words_, group_end_.data(), group_end_.size(), out);
  }
  /// Rows set in a & b per group; a & b is stored to dst unless it is null.
  void and_counts(const word* a, const word* b, word* dst, std::uint32_t* out) const {
    and_group_counts(a, b, dst, active_words_, group_end_.data(), group_end_.size(), out);
  }

  void and_into(word* dst, const word* a, const word* b) const {
    for (std::size_t w = 0; w < active_words_; ++w) dst[w] = a[w] & b[w];
  }

  // ---- scoring ----------------------------------------------------------------------------------------

  /// Leave-one-out correct rows after appending a tuple of m inputs (in tuple order) to S. counts[u][g]:
  /// rows of group g whose tuple inputs in subset u (bit t = tuple input t) are all 1; counts[0] = sizes.
  /// Also returns the G statistic (2 × the information the split carries about the label, in nats × rows)
  /// and its degrees of freedom, Σ over mixed cells of (non-empty parts − 1), when g / df are given.
  std::int64_t score(const std::uint32_t* const* counts, unsigned m, double* g = nullptr,
                     double* df = nullptr) const {
    double gv = 0, dfv = 0;
    std::int64_t s;
    switch (m) {
      case 1:
        s = score_m<1>(counts, gv, dfv);
        break;
      case 2:
        s = score_m<2>(counts, gv, dfv);
        break;
      default:
        s = score_m<3>(counts, gv, dfv);
        break;
    }
    if (g) *g = gv;
    if (df) *df = dfv;
    return s;
  }
  template <unsigned m>
  std::int64_t score_m(const std::uint32_t* const* counts, double& g, double& df) const {
    constexpr unsigned V = 1u << m;
    std::int64_t total = std::int64_t(fixed_correct_);
    double child_info = 0;
    std::int64_t parts = 0;
    const std::size_t cells = cell_first_group_.size() - 1;
    for (std::size_t cl = 0; cl < cells; ++cl) {
      const std::uint32_t g0 = cell_first_group_[cl];
      const unsigned k = cell_first_group_[cl + 1] - g0;  // classes present in the cell (at most 4)
      std::int32_t e[4][V];
      std::uint8_t f[4][V];
      unsigned y[4];
      for (unsigned i = 0; i < k; ++i) {
        const std::uint32_t g = g0 + i;
        y[i] = group_class_[g] >> 1;
        for (unsigned u = 0; u < V; ++u) e[i][u] = std::int32_t(counts[u][g]);
        for (unsigned t = 0; t < m; ++t)  // superset Möbius inversion: "all of u are 1" → "exactly v"
          for (unsigned u = 0; u < V; ++u)
            if (!((u >> t) & 1u)) e[i][u] -= e[i][u | (1u << t)];
        for (unsigned v = 0; v < V; ++v) f[i][v] = group_class_[g] & 1u;
      }
      // Replay the fallback chain level by level: level l splits by the first l tuple inputs.
      for (unsigned l = 1; l <= m; ++l) {
        const unsigned mask = (1u << l) - 1;
        std::int32_t n[2][V] = {};
        for (unsigned i = 0; i < k; ++i)
          for (unsigned v = 0; v < V; ++v) n[y[i]][v & mask] += e[i][v];
        for (unsigned i = 0; i < k; ++i)
          for (unsigned v = 0; v < V; ++v) {
            const std::int32_t same = n[y[i]][v & mask] - 1, other = n[1 - y[i]][v & mask];
            f[i][v] = same > other ? 1 : (same < other ? 0 : f[i][v]);  // leave-one-out vote (loo_vote)
          }
        if (l == m)
          for (unsigned v = 0; v < V; ++v) {
            const std::int32_t n0 = n[0][v], n1 = n[1][v];
            if (n0 + n1 == 0) continue;
            ++parts;
            child_info += xlogx_[n0 + n1] - xlogx_[n0] - xlogx_[n1];
          }
      }
      for (unsigned i = 0; i < k; ++i)
        for (unsigned v = 0; v < V; ++v) total += f[i][v] ? e[i][v] : 0;
    }
    g = std::max(0.0, 2 * (parent_info_ - child_info));
    df = double(parts - std::int64_t(cells));
    return total;
  }

  /// Σ over mixed cells of size s and label margin |n1 − n0| of s · exp(−margin² / (s · 2^m)): the rows
  /// whose cell majority could flip in a part of a random m-input split (its margin shrinks by 2^m, its
  /// noise by sqrt(2^m)). Balanced cells count fully, clearly decided ones not at all.
  double ambiguous_rows(unsigned m) const {
    double total = 0;
    for (std::size_t cl = 0; cl + 1 < cell_first_group_.size(); ++cl) {
      double size = 0, ones = 0;
      for (std::uint32_t g = cell_first_group_[cl]; g < cell_first_group_[cl + 1]; ++g) {
        size += group_size_[g];
        if (group_class_[g] >> 1) ones += group_size_[g];
      }
      const double margin = std::abs(2 * ones - size);
      total += size * std::exp(-margin * margin / (size * double(1u << m)));
    }
    return total;
  }

  double cells_cost(unsigned m) const { return double(cell_first_group_.size() - 1) * double(24u * m << m); }

  // ---- searches ---------------------------------------------------------------------------------------

  void note(std::size_t ci, std::int64_t s) { rank_[ci] = std::max(rank_[ci], s); }

  struct search_result {
    std::array<std::size_t, 3> best{};  ///< candidate positions of the best tuple by leave-one-out score
    std::int64_t best_correct = -1;
    std::array<std::size_t, 3> info_best{};  ///< of the most significant information gain
    double info_z = -std::numeric_limits<double>::infinity();
    std::size_t tried = 0, pool = 0;
  };

  /// Scores one tuple (candidate positions a, b, c; m of them) and keeps the bests.
  void consider(search_result& r, std::array<std::size_t, 3> tuple, const std::uint32_t* const* counts,
                unsigned m) {
    double g = 0, df = 0;
    const std::int64_t s = score(counts, m, &g, &df);
    ++r.tried;
    if (s > r.best_correct) {
      r.best_correct = s;
      r.best = tuple;
    }
    if (df > 0) {
      // Wilson–Hilferty: a χ²(df) statistic as a standard normal deviate.
      const double c = 2.0 / (9.0 * df);
      const double z = (std::cbrt(g / df) - (1 - c)) / std::sqrt(c);
      if (z > r.info_z) {
        r.info_z = z;
        r.info_best = tuple;
      }
    }
    for (unsigned t = 0; t < m; ++t) note(tuple[t], s);
  }

  /// Appends the tuple (candidate positions) to S in its best order and checks the incremental score.
  void take(const std::array<std::size_t, 3>& positions, unsigned m, select_step& out) {
    std::vector<std::size_t> tuple;
    for (unsigned t = 0; t < m; ++t) tuple.push_back(cand_[positions[t]]);
    std::int64_t expected = 0;
    tuple = best_order(tuple, expected);
    apply(tuple);
    if (std::int64_t(correct_) != expected)
      throw std::logic_error("select_inputs: incremental leave-one-out score " + std::to_string(expected) +
                             " disagrees with the recomputed " + std::to_string(correct_));
    out.inputs = tuple;
    out.loo_accuracy = double(correct_) / double(c_.n);
  }

  void search_singles(search_result& r) {
    const std::size_t G = group_end_.size();
    for (std::size_t a = 0; a < cand_.size(); ++a) {
      const std::uint32_t* counts[2] = {group_size_.data(), single_.data() + a * G};
      consider(r, {a, 0, 0}, counts, 1);
    }
  }

  /// The `size` best candidates by rank_ (ties: smaller index), in index order.
  std::vector<std::size_t> pool_of(std::size_t size) const {
    std::vector<std::size_t> idx(cand_.size());
    std::iota(idx.begin(), idx.end(), std::size_t(0));
    if (size >= idx.size()) return idx;
    std::stable_sort(idx.begin(), idx.end(),
                     [&](std::size_t a, std::size_t b) { return rank_[a] > rank_[b]; });
    idx.resize(size);
    std::sort(idx.begin(), idx.end());
    return idx;
  }

  /// Largest pool P with `tuples(P) · cost` within the budget (at least m).
  template <class Count>
  std::size_t pool_size(Count tuples, double cost, unsigned m) const {
    std::size_t P = cand_.size();
    while (P > m && tuples(double(P)) * cost > p_.budget) P = std::size_t(double(P) * 0.97);
    return std::max<std::size_t>(P, m);
  }

  void search_pairs(search_result& r) {
    const std::size_t W = active_words_, G = group_end_.size();
    const double cost = double(2 * W + G) + cells_cost(2);
    auto pairs = [](double P) { return P * (P - 1) / 2; };
    const std::vector<std::size_t> pool = pool_of(pool_size(pairs, cost, 2));
    r.pool = pool.size();
    std::vector<std::uint32_t> nab(G);
    for (std::size_t ia = 0; ia < pool.size(); ++ia) {
      const std::size_t a = pool[ia];
      for (std::size_t ib = ia + 1; ib < pool.size(); ++ib) {
        const std::size_t b = pool[ib];
        and_counts(pcols_.data() + a * W, pcols_.data() + b * W, nullptr, nab.data());
        const std::uint32_t* counts[4] = {group_size_.data(), single_.data() + a * G, single_.data() + b * G,
                                          nab.data()};
        consider(r, {a, b, 0}, counts, 2);
      }
    }
  }

  void search_triples(search_result& r) {
    const std::size_t W = active_words_, G = group_end_.size();
    // Pair counts of the pool are cached (P²/2 of them), so a triple costs one AND + popcount pass.
    const double cost = double(2 * W + G) + cells_cost(3);
    const double cache_limit = 32e6;  // cached pair counts (4 bytes each, a P × P array)
    auto triples = [&](double P) {
      if (P * P * double(G) > cache_limit) return 1e300;
      return P * (P - 1) * (P - 2) / 6 + P * P / 2;
    };
    const std::vector<std::size_t> pool = pool_of(pool_size(triples, cost, 3));
    const std::size_t P = pool.size();
    r.pool = P;
    std::vector<std::uint32_t> pair_counts(P * P * G, 0);  // [ia·P + ib] for ia < ib
    std::vector<word> ab(W);
    for (std::size_t ia = 0; ia < P; ++ia)
      for (std::size_t ib = ia + 1; ib < P; ++ib)
        and_counts(pcols_.data() + pool[ia] * W, pcols_.data() + pool[ib] * W, nullptr,
                   (pair_counts.data() + (ia * P + ib) * G));
    std::vector<std::uint32_t> nabc(G);
    for (std::size_t ia = 0; ia < P; ++ia) {
      const std::size_t a = pool[ia];
      for (std::size_t ib = ia + 1; ib < P; ++ib) {
        const std::size_t b = pool[ib];
        and_into(ab.data(), pcols_.data() + a * W, pcols_.data() + b * W);
        for (std::size_t ic = ib + 1; ic < P; ++ic) {
          const std::size_t c = pool[ic];
          and_counts(ab.data(), pcols_.data() + c * W, nullptr, nabc.data());
          const std::uint32_t* counts[8] = {group_size_.data(),
                                            single_.data() + a * G,
                                            single_.data() + b * G,
                                            (pair_counts.data() + (ia * P + ib) * G),
                                            single_.data() + c * G,
                                            (pair_counts.data() + (ia * P + ic) * G),
                                            (pair_counts.data() + (ib * P + ic) * G),
                                            nabc.data()};
          consider(r, {a, b, c}, counts, 3);
        }
      }
    }
  }

  /// The order of a winning tuple that scores best (the fallback chain depends on it); identity on ties.
  std::vector<std::size_t> best_order(const std::vector<std::size_t>& tuple, std::int64_t& best_score) const {
    const unsigned m = unsigned(tuple.size());
    const std::size_t W = active_words_, G = group_end_.size();
    std::vector<std::size_t> ci(m);
    for (unsigned t = 0; t < m; ++t)
      ci[t] = std::size_t(std::lower_bound(cand_.begin(), cand_.end(), tuple[t]) - cand_.begin());
    // Counts of every subset of the tuple, in tuple order.
    std::vector<std::vector<std::uint32_t>> sub(std::size_t(1) << m, std::vector<std::uint32_t>(G));
    sub[0] = group_size_;
    std::vector<word> acc(W);
    for (unsigned u = 1; u < (1u << m); ++u) {
      std::fill(acc.begin(), acc.end(), ~word(0));
      for (unsigned t = 0; t < m; ++t)
        if ((u >> t) & 1u) and_into(acc.data(), acc.data(), pcols_.data() + ci[t] * W);
      group_counts(acc.data(), sub[u].data());
    }
    std::vector<unsigned> perm(m);
    std::iota(perm.begin(), perm.end(), 0u);
    std::vector<unsigned> best_perm = perm;
    best_score = -1;
    do {
      std::vector<const std::uint32_t*> counts(std::size_t(1) << m);
      for (unsigned u = 0; u < (1u << m); ++u) {
        unsigned orig = 0;
        for (unsigned t = 0; t < m; ++t)
          if ((u >> t) & 1u) orig |= 1u << perm[t];
        counts[u] = sub[orig].data();
      }
      std::int64_t s = score(counts.data(), m);
      if (s > best_score) {
        best_score = s;
        best_perm = perm;
      }
    } while (std::next_permutation(perm.begin(), perm.end()));
    std::vector<std::size_t> ordered(m);
    for (unsigned t = 0; t < m; ++t) ordered[t] = tuple[best_perm[t]];
    return ordered;
  }

  /// Appends the inputs to S one by one, recomputing cells and leave-one-out outcomes row by row (an
  /// independent check of the incremental score).
  void apply(const std::vector<std::size_t>& tuple) {
    for (std::size_t j : tuple) {
      std::vector<std::uint32_t> n0(2 * num_cells_, 0), n1(2 * num_cells_, 0);
      std::vector<std::uint32_t> key(c_.n);
      for (std::size_t r = 0; r < c_.n; ++r) {
        key[r] = 2 * cell_[r] + (c_.get(j, r) ? 1u : 0u);
        (c_.label[r] ? n1 : n0)[key[r]]++;
      }
      std::vector<std::uint32_t> renumber(2 * num_cells_, 0);
      std::uint32_t next = 0;
      for (std::size_t k = 0; k < renumber.size(); ++k)
        if (n0[k] + n1[k] > 0) renumber[k] = next++;
      for (std::size_t r = 0; r < c_.n; ++r) {
        const std::uint32_t k = key[r];
        int vote = c_.label[r] ? loo_vote(n1[k], n0[k]) : loo_vote(n0[k], n1[k]);
        if (vote != 0) fc_[r] = vote > 0;
        cell_[r] = renumber[k];
      }
      num_cells_ = next;
      selected_[j] = 1;
      order_.push_back(j);
    }
    correct_ = std::accumulate(fc_.begin(), fc_.end(), std::size_t(0));
    rebuild();
  }

  const bit_columns& c_;
  const select_params& p_;
  std::vector<std::uint32_t> cell_;  ///< per row: its cell in the table over S (compact ids)
  std::size_t num_cells_ = 0;
  std::vector<std::uint8_t> fc_;  ///< per row: the table over S predicts it correctly without it
  std::size_t correct_ = 0;       ///< Σ fc_
  std::vector<std::uint8_t> selected_;
  std::vector<std::size_t> order_;
  // Layout of the rows of mixed cells.
  std::size_t fixed_correct_ = 0;  ///< correct rows in pure cells (constant under refinement)
  std::size_t active_n_ = 0, active_words_ = 0;
  std::vector<std::uint32_t> group_end_, group_size_;
  std::vector<std::uint8_t> group_class_;        ///< label·2 + correct
  std::vector<std::uint32_t> cell_first_group_;  ///< per mixed cell, plus an end sentinel
  std::vector<std::size_t> cand_;                ///< unselected inputs, ascending
  std::vector<word> pcols_;                      ///< cand × active_words_
  std::vector<std::uint32_t> single_;            ///< cand × groups
  std::vector<std::int64_t> rank_;               ///< per candidate: best tuple score seen this step
  std::vector<double> xlogx_;                    ///< i · ln i for i = 0..n
  double parent_info_ = 0;
};

}  // namespace

std::vector<std::size_t> select_inputs(const dataset& d, const select_params& params, select_stats* stats) {
  const auto start = std::chrono::steady_clock::now();
  if (params.max_inputs < 1 || params.max_inputs > max_table_inputs)
    throw input_error("select_inputs: max_inputs must be in 1.." + std::to_string(max_table_inputs) +
                      ", got " + std::to_string(params.max_inputs));
  if (params.lookahead < 1 || params.lookahead > 3)
    throw input_error("select_inputs: lookahead must be 1, 2 or 3, got " + std::to_string(params.lookahead));
  if (!(params.min_gain >= 0) || !(params.significance >= 0) || !(params.budget > 0) ||
      !(params.information_alpha >= 0 && params.information_alpha < 1))
    throw input_error(
        "select_inputs: min_gain and significance must be >= 0, budget > 0, information_alpha in [0, 1)");
  const bit_columns cols = to_columns(d);
  selector sel(cols, params);
  select_stats local;
  local.initial_loo_accuracy = double(sel.correct()) / double(cols.n);
  progress_bar bar("select", params.max_inputs, params.progress && progress_bar::stderr_is_terminal());
  select_step st;
  while (sel.step(st)) {
    local.candidates_evaluated += st.candidates;
    local.steps.push_back(st);
    char buf[64];
    std::snprintf(buf, sizeof buf, "loo %.4f", st.loo_accuracy);
    bar.update(sel.selected().size(), buf);
  }
  local.candidates_evaluated += st.candidates;  // the final, unsuccessful search
  bar.finish();
  // Information steps need not raise the score (they prepare later majority flips): keep the prefix of
  // steps with the best leave-one-out accuracy (the earliest among equals).
  std::size_t keep = 0;
  double best = local.initial_loo_accuracy;
  for (std::size_t i = 0; i < local.steps.size(); ++i)
    if (local.steps[i].loo_accuracy > best) {
      best = local.steps[i].loo_accuracy;
      keep = i + 1;
    }
  local.steps.resize(keep);
  std::vector<std::size_t> selected;
  for (const auto& step : local.steps)
    selected.insert(selected.end(), step.inputs.begin(), step.inputs.end());
  local.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (stats) *stats = local;
  return selected;
}

// ---------------------------------------------------------------------------------------------------------
// The table classifier.

std::size_t lookup_table::cell(const float* row) const {
  std::size_t c = 0;
  for (std::size_t k = 0; k < inputs.size(); ++k)
    if (row[inputs[k]] >= 0.5f) c |= std::size_t(1) << k;
  return c;
}

namespace {
std::vector<std::size_t> full_cells(const dataset& d, const std::vector<std::size_t>& inputs) {
  lookup_table probe;
  probe.inputs = inputs;
  std::vector<std::size_t> cells(d.n);
  for (std::size_t r = 0; r < d.n; ++r) cells[r] = probe.cell(d.row(r));
  return cells;
}
std::vector<std::uint8_t> labels_of(const dataset& d) {
  std::vector<std::uint8_t> y(d.n);
  for (std::size_t r = 0; r < d.n; ++r) y[r] = d.y[r] != 0.0f;
  return y;
}
}  // namespace

lookup_table build_lookup_table(const dataset& d, const std::vector<std::size_t>& inputs) {
  check_boolean(d);
  check_inputs(d, inputs);
  const std::size_t k = inputs.size();
  const prefix_counts pc(k, full_cells(d, inputs), labels_of(d));
  lookup_table t;
  t.inputs = inputs;
  const std::size_t top = std::size_t(1) << k;
  t.zeros.assign(pc.zeros.begin() + top, pc.zeros.end());
  t.ones.assign(pc.ones.begin() + top, pc.ones.end());
  // Labels level by level (heap layout as prefix_counts): majority, ties and unseen cells fall back.
  std::vector<std::uint8_t> label(std::size_t(2) << k, 0);
  label[1] = pc.ones[1] > pc.zeros[1];
  for (std::size_t i = 1; i <= k; ++i) {
    const std::size_t lo = std::size_t(1) << (i - 1), hi = std::size_t(1) << i;
    for (std::size_t p = 0; p < hi; ++p) {
      const std::uint32_t z = pc.zeros[hi + p], o = pc.ones[hi + p];
      label[hi + p] = o > z ? 1 : (z > o ? 0 : label[lo + (p & (lo - 1))]);
    }
  }
  t.labels.assign(label.begin() + top, label.end());
  return t;
}

double table_accuracy(const lookup_table& table, const dataset& d) {
  check_boolean(d);
  check_inputs(d, table.inputs);
  std::size_t right = 0;
  for (std::size_t r = 0; r < d.n; ++r) right += table.predict(d.row(r)) == (d.y[r] != 0.0f);
  return double(right) / double(d.n);
}

double leave_one_out_accuracy(const dataset& d, const std::vector<std::size_t>& inputs) {
  check_boolean(d);
  check_inputs(d, inputs);
  const std::size_t k = inputs.size();
  const std::vector<std::size_t> cells = full_cells(d, inputs);
  const std::vector<std::uint8_t> y = labels_of(d);
  const prefix_counts pc(k, cells, y);
  const std::uint8_t majority = pc.ones[1] > pc.zeros[1];  // the empty table: not left out
  std::size_t right = 0;
  for (std::size_t r = 0; r < d.n; ++r) {
    int vote = 0;
    for (std::size_t i = k; i > 0 && vote == 0; --i) {
      const std::size_t at = (std::size_t(1) << i) + (cells[r] & ((std::size_t(1) << i) - 1));
      const std::int64_t z = pc.zeros[at], o = pc.ones[at];
      vote = y[r] ? loo_vote(o, z) : loo_vote(z, o);
    }
    right += vote > 0 || (vote == 0 && y[r] == majority);
  }
  return double(right) / double(d.n);
}

}  // namespace occam::data
