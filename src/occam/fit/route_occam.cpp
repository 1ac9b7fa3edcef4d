// The Occam route of `occam fit`: consistent functions of one integer linear form, synthesised, smallest
// kept. See route_occam.hpp and docs/fit.md ("Occam recovery").
#include "occam/fit/route_occam.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <stdexcept>

#include "occam/circuit/abc.hpp"
#include "occam/circuit/simulate.hpp"

namespace occam::fit {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Rows of a data set as minterms over the columns S (bit j = column S[j]) with their labels.
struct row_set {
  std::vector<std::uint32_t> minterm;
  std::vector<std::uint8_t> label;
};

row_set rows_over(const data::dataset& d, const std::vector<std::size_t>& S) {
  row_set rs;
  rs.minterm.resize(d.n);
  rs.label.resize(d.n);
  for (std::size_t r = 0; r < d.n; ++r) {
    std::uint32_t m = 0;
    for (std::size_t j = 0; j < S.size(); ++j)
      if (d.x[r * d.d_in + S[j]] > 0.5f) m |= std::uint32_t(1) << j;
    rs.minterm[r] = m;
    rs.label[r] = d.y[r * d.d_out] > 0.5f;
  }
  return rs;
}

std::int64_t form_value(const std::vector<std::int64_t>& w, std::uint32_t m) {
  std::int64_t v = 0;
  for (std::size_t j = 0; j < w.size(); ++j)
    if ((m >> j) & 1) v += w[j];
  return v;
}

/// Per value of w·x: how many rows of each label take it (offset by the smallest possible value).
struct value_counts {
  std::int64_t lo = 0;
  std::vector<std::uint32_t> n0, n1;
  std::size_t conflicts() const {
    std::size_t c = 0;
    for (std::size_t v = 0; v < n0.size(); ++v) c += std::min(n0[v], n1[v]);
    return c;
  }
};

value_counts count_values(const std::vector<std::int64_t>& w, const row_set& rows) {
  value_counts vc;
  std::int64_t hi = 0;
  for (auto x : w) (x < 0 ? vc.lo : hi) += x;
  vc.n0.assign(std::size_t(hi - vc.lo + 1), 0);
  vc.n1.assign(vc.n0.size(), 0);
  for (std::size_t r = 0; r < rows.minterm.size(); ++r) {
    const auto v = std::size_t(form_value(w, rows.minterm[r]) - vc.lo);
    (rows.label[r] ? vc.n1 : vc.n0)[v]++;
  }
  return vc;
}

/// A consistent form, compacted to its non-zero weights.
struct form {
  std::string route, kind, detail;  // label: "occam <kind><|S|> <detail>"
  std::vector<std::size_t> inputs;  // data columns
  std::vector<std::int64_t> w;
};

/// Keeps the non-zero weights (and their columns) of w over S, divided by their gcd and with the first
/// weight positive (g absorbs the sign), so that equal forms compare equal.
form compact(std::string route, std::string kind, std::string detail, const std::vector<std::size_t>& S,
             const std::vector<std::int64_t>& w) {
  form f{std::move(route), std::move(kind), std::move(detail), {}, {}};
  std::int64_t g = 0;
  for (std::size_t j = 0; j < S.size(); ++j)
    if (w[j] != 0) {
      f.inputs.push_back(S[j]);
      f.w.push_back(w[j]);
      g = std::gcd(g, std::abs(w[j]));
    }
  if (g > 1)
    for (auto& x : f.w) x /= g;
  if (!f.w.empty() && f.w[0] < 0)
    for (auto& x : f.w) x = -x;
  return f;
}

/// Symmetric hypotheses over S: w = +1 and w = sign of each input's correlation with the label, with
/// greedy removal of the inputs whose removal lowers the number of conflicting rows most.
void symmetric_forms(const std::vector<std::size_t>& S, const row_set& rows, const occam_params& P,
                     occam_stats& st, std::vector<form>& out) {
  const std::size_t k = S.size(), n = rows.minterm.size();
  if (k < 2 || n == 0) return;
  double mean_y = 0;
  for (auto y : rows.label) mean_y += y;
  mean_y /= double(n);
  std::vector<std::int64_t> signs(k, 1);
  for (std::size_t j = 0; j < k; ++j) {
    double mx = 0, cov = 0;
    for (std::size_t r = 0; r < n; ++r) mx += (rows.minterm[r] >> j) & 1;
    mx /= double(n);
    for (std::size_t r = 0; r < n; ++r)
      cov += (double((rows.minterm[r] >> j) & 1) - mx) * (rows.label[r] - mean_y);
    // Only a clear correlation flips an input: parity-like labels correlate with no input.
    if (cov < -0.05 * double(n) * std::sqrt(mx * (1 - mx) * mean_y * (1 - mean_y))) signs[j] = -1;
  }
  std::vector<std::vector<std::int64_t>> starts = {std::vector<std::int64_t>(k, 1)};
  if (signs != starts[0]) starts.push_back(signs);
  for (std::size_t si = 0; si < starts.size(); ++si) {
    auto w = starts[si];
    ++st.forms_tried;
    std::size_t conf = count_values(w, rows).conflicts();
    std::size_t active = k;
    while (conf > 0 && active > 2) {
      std::size_t best_j = k, best_conf = conf;
      for (std::size_t j = 0; j < k; ++j) {
        if (w[j] == 0) continue;
        auto w2 = w;
        w2[j] = 0;
        ++st.forms_tried;
        const std::size_t c = count_values(w2, rows).conflicts();
        if (c < best_conf) best_conf = c, best_j = j;
      }
      if (best_j == k) break;
      w[best_j] = 0;
      conf = best_conf;
      --active;
    }
    if (conf == 0) {
      ++st.forms_consistent;
      out.push_back(compact("occam-sym", "sym", si == 0 ? "" : "signed", S, w));
    }
  }
}

/// Threshold-like hypotheses over S: the perceptron's last and averaged weights on the training rows,
/// rounded at scales 1 .. max_scale; the first weight_vectors consistent roundings of each.
void threshold_forms(const std::vector<std::size_t>& S, const row_set& rows, const occam_params& P,
                     occam_stats& st, std::vector<form>& out) {
  const std::size_t k = S.size(), n = rows.minterm.size();
  if (k == 0 || n == 0) return;
  std::vector<std::int64_t> w(k + 1, 0);  // w[k]: bias
  std::vector<double> sum(k + 1, 0.0);
  std::size_t epoch = 0;
  for (; epoch < P.perceptron_epochs; ++epoch) {
    std::size_t mistakes = 0;
    for (std::size_t r = 0; r < n; ++r) {
      const std::uint32_t m = rows.minterm[r];
      const std::int64_t t = rows.label[r] ? 1 : -1;
      std::int64_t s = w[k];
      for (std::size_t j = 0; j < k; ++j)
        if ((m >> j) & 1) s += w[j];
      if (t * s <= 0) {
        ++mistakes;
        for (std::size_t j = 0; j < k; ++j)
          if ((m >> j) & 1) w[j] += t;
        w[k] += t;
      }
      for (std::size_t j = 0; j <= k; ++j) sum[j] += double(w[j]);
    }
    if (mistakes == 0) {
      ++epoch;
      break;
    }
  }
  st.perceptron_epochs = epoch;
  const std::vector<std::pair<std::string, std::vector<double>>> sources = {
      {"p", std::vector<double>(w.begin(), w.end() - 1)},
      {"avg", std::vector<double>(sum.begin(), sum.end() - 1)}};
  for (const auto& [src, u] : sources) {
    double um = 0;
    for (double x : u) um = std::max(um, std::abs(x));
    if (!(um > 0)) continue;
    std::vector<std::int64_t> prev;
    std::size_t kept = 0;
    for (unsigned K = 1; K <= P.max_scale && kept < P.weight_vectors; ++K) {
      std::vector<std::int64_t> wi(k);
      for (std::size_t j = 0; j < k; ++j) wi[j] = std::llround(u[j] * double(K) / um);
      if (wi == prev) continue;
      prev = wi;
      ++st.forms_tried;
      if (count_values(wi, rows).conflicts() > 0) continue;
      ++st.forms_consistent;
      out.push_back(compact("occam-ltf", "ltf", fmt::format("{} K={}", src, K), S, wi));
      ++kept;
    }
  }
}

struct table_entry {
  const form* f;
  std::string fill;
  std::size_t unseen;
  circuit::truth_table table;
};

/// The completed tables of a consistent form (see occam_params::max_unseen_fill).
std::vector<table_entry> complete(const form& f, const row_set& rows, const occam_params& P) {
  const unsigned k = unsigned(f.w.size());
  const std::uint64_t cells = std::uint64_t(1) << k;
  const auto vc = count_values(f.w, rows);
  const std::size_t nv = vc.n0.size();
  // label of each value: 0, 1, or 2 (unseen); which values some minterm takes.
  std::vector<std::uint8_t> lab(nv, 2), taken(nv, 0);
  for (std::size_t v = 0; v < nv; ++v)
    if (vc.n0[v] + vc.n1[v] > 0) lab[v] = vc.n1[v] > 0;
  std::vector<std::size_t> value_of(cells);
  for (std::uint64_t m = 0; m < cells; ++m) {
    value_of[m] = std::size_t(form_value(f.w, std::uint32_t(m)) - vc.lo);
    taken[value_of[m]] = 1;
  }
  std::vector<std::size_t> unseen;
  for (std::size_t v = 0; v < nv; ++v)
    if (taken[v] && lab[v] == 2) unseen.push_back(v);
  auto table_from = [&](const std::vector<std::uint8_t>& g) {
    circuit::truth_table t = circuit::truth_table::constant(k, false);
    for (std::uint64_t m = 0; m < cells; ++m) t.set(m, g[value_of[m]] == 1, true);
    return t;
  };
  std::vector<table_entry> out;
  if (unseen.empty()) {
    out.push_back({&f, "none", 0, table_from(lab)});
    return out;
  }
  if (unseen.size() <= P.max_unseen_fill) {
    for (std::uint64_t bits = 0; bits < (std::uint64_t(1) << unseen.size()); ++bits) {
      auto g = lab;
      for (std::size_t i = 0; i < unseen.size(); ++i) g[unseen[i]] = (bits >> i) & 1;
      out.push_back(
          {&f, fmt::format("{}/{}", bits, std::uint64_t(1) << unseen.size()), unseen.size(), table_from(g)});
    }
  } else {
    auto g = lab;
    for (auto v : unseen) {
      std::size_t best = nv;
      for (std::size_t d = 1; d < nv && best == nv; ++d) {
        if (v >= d && lab[v - d] != 2)
          best = v - d;
        else if (v + d < nv && lab[v + d] != 2)
          best = v + d;
      }
      g[v] = best == nv ? 0 : lab[best];
    }
    out.push_back({&f, "nearest", unseen.size(), table_from(g)});
  }
  return out;
}

/// Rows of `rs` (minterms over the form's inputs) that the table `tt` (k-input truth table words) gets
/// wrong.
std::size_t errors_of(const std::vector<std::uint64_t>& tt, const row_set& rs) {
  std::size_t e = 0;
  for (std::size_t r = 0; r < rs.minterm.size(); ++r) {
    const std::uint32_t m = rs.minterm[r];
    e += bool((tt[m / 64] >> (m % 64)) & 1) != bool(rs.label[r]);
  }
  return e;
}

}  // namespace

std::vector<occam_circuit> occam_route(const data::dataset& train, const data::dataset& valid,
                                       const std::vector<std::vector<std::size_t>>& input_sets,
                                       const occam_params& P, const circuit::synth_params& synth,
                                       occam_stats* stats) {
  const auto t0 = std::chrono::steady_clock::now();
  occam_stats st;
  std::vector<occam_circuit> result;
  if (!P.enabled || !train.boolean_inputs || train.kind != data::task_kind::binary || train.d_out != 1 ||
      train.n == 0) {
    if (stats) *stats = st;
    return result;
  }
  // 1. Consistent forms over each input set.
  std::vector<form> forms;
  std::set<std::vector<std::size_t>> seen_sets;
  for (std::size_t si = 0; si < input_sets.size(); ++si) {
    auto S = input_sets[si];
    std::sort(S.begin(), S.end());
    S.erase(std::unique(S.begin(), S.end()), S.end());
    if (S.empty() || S.size() > P.max_inputs || S.size() > 20 || !seen_sets.insert(S).second) continue;
    const auto rows = rows_over(train, S);
    std::vector<form> fs;
    if (P.symmetric) symmetric_forms(S, rows, P, st, fs);
    if (P.threshold) threshold_forms(S, rows, P, st, fs);
    for (auto& f : fs) {
      if (si > 0) f.kind = fmt::format("set{}-{}", si, f.kind);
      bool dup = false;
      for (const auto& g : forms) dup = dup || (g.inputs == f.inputs && g.w == f.w);
      if (!dup && !f.w.empty()) forms.push_back(std::move(f));
    }
  }
  // 2. Completed tables, synthesised quickly; ranked by validation errors, then size.
  circuit::synth_params quick = synth;
  quick.abc_script = P.quick_script;
  quick.verify = true;
  struct scored {
    occam_circuit c;
    circuit::truth_table table;
  };
  std::vector<scored> all;
  std::set<std::pair<std::vector<std::size_t>, std::vector<std::uint64_t>>> seen_tables;
  for (const auto& f : forms) {
    if (seconds_since(t0) > P.time_limit_s) break;
    const auto rows = rows_over(train, f.inputs);
    const auto vrows = rows_over(valid, f.inputs);
    for (auto& te : complete(f, rows, P)) {
      if (seconds_since(t0) > P.time_limit_s) break;
      std::vector<std::uint64_t> key = te.table.on;
      key.insert(key.end(), te.table.care.begin(), te.table.care.end());
      if (!seen_tables.insert({f.inputs, key}).second) continue;
      const auto t1 = std::chrono::steady_clock::now();
      occam_circuit c;
      c.route = f.route;
      c.inputs = f.inputs;
      c.weights = f.w;
      c.unseen_values = te.unseen;
      c.fill = te.fill;
      c.label = fmt::format("occam {}{}{}{}", f.kind, f.inputs.size(), f.detail.empty() ? "" : " " + f.detail,
                            te.unseen ? " fill=" + te.fill : std::string());
      c.circuit = circuit::synthesize_truth_tables({te.table}, quick);
      c.quick_ands = c.circuit.num_ands();
      const auto tt = circuit::truth_tables(c.circuit)[0];
      if (errors_of(tt, rows) != 0)
        throw std::logic_error("occam route: " + c.label + " disagrees with a training row");
      c.valid_errors = errors_of(tt, vrows);
      c.seconds = seconds_since(t1);
      ++st.tables;
      all.push_back({std::move(c), std::move(te.table)});
    }
  }
  st.synth_seconds = seconds_since(t0);
  // Ties: the simpler form (smaller Σ|w|: a symmetric function before a weighted vote).
  auto weight_sum = [](const occam_circuit& c) {
    std::int64_t s = 0;
    for (auto x : c.weights) s += std::abs(x);
    return s;
  };
  std::stable_sort(all.begin(), all.end(), [&](const scored& a, const scored& b) {
    return std::make_tuple(a.c.valid_errors, a.c.quick_ands, weight_sum(a.c)) <
           std::make_tuple(b.c.valid_errors, b.c.quick_ands, weight_sum(b.c));
  });
  {  // distinct functions only (a fill and the don't-care variant often synthesise to the same one)
    std::vector<scored> distinct;
    std::set<std::pair<std::vector<std::size_t>, std::vector<std::uint64_t>>> functions;
    for (auto& x : all) {
      if (distinct.size() >= P.finalists) break;
      if (functions.insert({x.c.inputs, circuit::truth_tables(x.c.circuit)[0]}).second)
        distinct.push_back(std::move(x));
    }
    all = std::move(distinct);
  }
  // 3. &deepsyn on the finalists (several starts and seeds), the smallest result kept and checked against
  // its table. Only finalists with the fewest validation errors that are at most 1.5 times the smallest of
  // those get it (the others cannot be chosen).
  std::size_t smallest = std::numeric_limits<std::size_t>::max();
  const std::size_t fewest = all.empty() ? 0 : all[0].c.valid_errors;
  for (const auto& s : all)
    if (s.c.valid_errors == fewest) smallest = std::min(smallest, s.c.quick_ands);
  for (auto& s : all) {
    const auto t1 = std::chrono::steady_clock::now();
    auto& c = s.c;
    const circuit::aig start = c.circuit;
    if (c.circuit.num_ands() > 0 && P.deepsyn_steps > 0 && c.valid_errors == fewest &&
        2 * c.quick_ands <= 3 * smallest) {
      std::vector<std::string> scripts;
      for (const auto& pre : P.deepsyn_starts)
        for (unsigned seed : P.deepsyn_seeds)
          scripts.push_back(fmt::format("{}{}&get -n; &deepsyn -J {} -T {} -S {}; &put", pre,
                                        pre.empty() ? "" : "; ", P.deepsyn_steps,
                                        std::max(1u, P.deepsyn_seconds), seed));
      std::vector<circuit::aig> runs;
      try {
        runs = circuit::abc_optimize_each(start, scripts, synth.abc);
      } catch (const std::exception&) {
        runs.clear();  // ABC failed or timed out: keep what we have
      }
      for (auto& r : runs) {
        circuit::aig h = circuit::cleanup(r);
        if (h.num_ands() >= c.circuit.num_ands() || h.num_pis() != c.circuit.num_pis()) continue;
        const auto tt = circuit::truth_tables(h)[0];
        bool same = true;
        for (std::size_t w = 0; w < tt.size() && same; ++w)
          same = !((tt[w] ^ s.table.on[w]) & s.table.care[w]);
        if (!same) continue;
        for (std::size_t i = 0; i < h.num_pis(); ++i) h.set_pi_name(i, c.circuit.pi_name(i));
        c.circuit = std::move(h);
      }
    }
    c.seconds += seconds_since(t1);
    result.push_back(std::move(c));
  }
  st.deepsyn_seconds = seconds_since(t0) - st.synth_seconds;
  std::stable_sort(result.begin(), result.end(), [&](const occam_circuit& a, const occam_circuit& b) {
    return std::make_tuple(a.valid_errors, a.circuit.num_ands(), weight_sum(a)) <
           std::make_tuple(b.valid_errors, b.circuit.num_ands(), weight_sum(b));
  });
  st.seconds = seconds_since(t0);
  if (stats) *stats = st;
  return result;
}

}  // namespace occam::fit
