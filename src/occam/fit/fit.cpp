// occam fit: the ResNet → circuit pipeline (THEORY §1–5), see fit.hpp and docs/fit.md.
#include "occam/fit/fit.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <optional>
#include <sstream>

#include "occam/circuit/abc.hpp"
#include "occam/circuit/io.hpp"
#include "occam/circuit/simulate.hpp"
#include "occam/compile/network_to_circuit.hpp"
#include "occam/compile/quantize.hpp"
#include "occam/complexity/complexity.hpp"
#include "occam/data/select.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/dir_lock.hpp"
#include "occam/util/error.hpp"
#include "occam/util/progress.hpp"

namespace occam::fit {
namespace fs = std::filesystem;
using json = nlohmann::json;
using data::task_kind;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void check_params(const fit_params& p) {
  if (p.lambdas.empty()) throw input_error("fit: at least one λ is needed (--lambdas)");
  for (double l : p.lambdas)
    if (!(l >= 0) || !std::isfinite(l))
      throw input_error(fmt::format("fit: λ = {} is not a finite value ≥ 0", l));
  if (p.keep_fractions.empty()) throw input_error("fit: at least one keep fraction is needed (--keep)");
  for (double k : p.keep_fractions)
    if (!(k > 0 && k <= 1)) throw input_error(fmt::format("fit: keep fraction {} is outside (0, 1]", k));
  if (p.bits.empty()) throw input_error("fit: at least one bit width is needed (--bits)");
  for (unsigned b : p.bits)
    if (b < 2 || b > 16) throw input_error(fmt::format("fit: bit width {} is outside [2, 16]", b));
  if (p.input_bits < 1 || p.input_bits > 16)
    throw input_error(fmt::format("fit: --input-bits {} is outside [1, 16]", p.input_bits));
  if (p.truth_table_max_inputs > 20) throw input_error("fit: --truth-table-max-inputs is at most 20");
  if (p.lut_inputs > 20) throw input_error("fit: --lut-inputs is at most 20");
  if (!(p.gamma > 0)) throw input_error("fit: --gamma must be > 0");
  if (!(p.delta > 0 && p.delta < 1)) throw input_error("fit: --delta must be in (0, 1)");
}

/// Keeps pruned weights at exactly zero during fine-tuning: after every optimiser step each parameter is
/// multiplied by its 0/1 mask (Adam's moments may move them; the mask puts them back).
class mask_keeper : public nn::regulariser {
 public:
  explicit mask_keeper(const nn::resnet& m) {
    for (auto& t : m.parameters()) masks_.push_back((t != 0).to(t.scalar_type()));
  }
  std::string name() const override { return "mask"; }
  torch::Tensor penalty(const nn::resnet&, const torch::Tensor&) override { return {}; }
  void after_step(nn::resnet& m, double) override {
    torch::NoGradGuard ng;
    auto ps = m.parameters();
    for (std::size_t i = 0; i < ps.size(); ++i) ps[i].mul_(masks_[i]);
  }
  double value(const nn::resnet&, const torch::Tensor&) override { return 0; }

 private:
  std::vector<torch::Tensor> masks_;
};

/// Circuit outputs → per-row decisions, compared with the targets: accuracy (classification) or RMSE
/// (regression, outputs decoded as output_bits-bit two's-complement words scaled by 2^−output_frac).
/// With check_against_network, mismatched_rows counts the rows whose outputs differ from the quantised
/// network's (a compiler bug when nonzero).
struct circuit_eval {
  double metric = 0, error = 0;
  std::size_t mismatched_rows = 0;
};

circuit_eval evaluate_circuit(const circuit::aig& g, const compile::quantized_resnet& q,
                              const data::dataset& d, bool check_against_network) {
  circuit_eval ev;
  const std::size_t n = d.n;
  if (n == 0) return ev;
  auto codes = compile::encode_inputs(q, d.x.data(), n);
  circuit::pattern_set in(g.num_pis(), n);
  for (std::size_t r = 0; r < n; ++r) {
    auto bits = compile::circuit_input_bits(q, codes.data() + r * q.d_in);
    for (std::size_t i = 0; i < bits.size(); ++i)
      if (bits[i]) in.set(i, r, true);
  }
  auto out = circuit::simulate(g, in);
  std::vector<std::int64_t> acc;
  if (check_against_network) acc = compile::simulate_quantized(q, codes);
  std::size_t ok = 0, counted = 0;
  double sq = 0;
  for (std::size_t r = 0; r < n; ++r) {
    if (check_against_network) {
      auto want = compile::expected_output_bits(q, acc.data() + r * q.d_out);
      bool same = true;
      for (std::size_t o = 0; o < want.size(); ++o) same = same && (out.get(o, r) == want[o]);
      ev.mismatched_rows += !same;
    }
    if (q.kind == task_kind::binary) {
      for (std::size_t o = 0; o < q.d_out; ++o) {
        ok += out.get(o, r) == (d.y[r * d.d_out + o] > 0.5f);
        ++counted;
      }
    } else if (q.kind == task_kind::multiclass) {
      std::int64_t c = 0;
      for (std::size_t b = 0; b < g.num_pos(); ++b) c |= std::int64_t(out.get(b, r)) << b;
      ok += c == std::int64_t(d.y[r * d.d_out]);
      ++counted;
    } else {
      const unsigned ob = q.output_bits;
      for (std::size_t o = 0; o < q.d_out; ++o) {
        std::int64_t v = 0;
        for (unsigned b = 0; b < ob; ++b) v |= std::int64_t(out.get(o * ob + b, r)) << b;
        if (ob < 64 && ((v >> (ob - 1)) & 1)) v -= std::int64_t(1) << ob;  // sign-extend
        double y = std::ldexp(double(v), -q.output_frac) - d.y[r * d.d_out + o];
        sq += y * y;
        ++counted;
      }
    }
  }
  if (q.kind == task_kind::regression) {
    ev.metric = std::sqrt(sq / double(counted));
    ev.error = ev.metric;
  } else {
    ev.metric = double(ok) / double(counted);
    ev.error = 1 - ev.metric;
  }
  return ev;
}

/// Accuracy of a Boolean-input circuit (tt routes: inputs are the data bits themselves).
circuit_eval evaluate_boolean_circuit(const circuit::aig& g, const data::dataset& d) {
  circuit_eval ev;
  if (d.n == 0) return ev;
  ev.metric = circuit::accuracy(g, d).overall();
  ev.error = 1 - ev.metric;
  return ev;
}

/// Primary inputs (indices) in the transitive fan-in of the outputs.
std::vector<std::size_t> support_of(const circuit::aig& g) {
  auto reach = circuit::reachable_nodes(g);
  std::vector<std::size_t> s;
  for (std::size_t i = 0; i < g.num_pis(); ++i)
    if (reach[g.pi_node(i)]) s.push_back(i);
  return s;
}

/// The truth tables of g's outputs over the support inputs S (other inputs held at 0): minterm m sets
/// input S[j] to bit j of m.
std::vector<circuit::truth_table> support_truth_tables(const circuit::aig& g,
                                                       const std::vector<std::size_t>& S) {
  const unsigned m = unsigned(S.size());
  const std::size_t rows = std::size_t(1) << m;
  circuit::pattern_set in(g.num_pis(), rows);
  for (std::size_t j = 0; j < m; ++j)
    for (std::size_t r = 0; r < rows; ++r)
      if ((r >> j) & 1) in.set(S[j], r, true);
  auto out = circuit::simulate(g, in);
  std::vector<circuit::truth_table> tts;
  for (std::size_t o = 0; o < g.num_pos(); ++o) {
    auto t = circuit::truth_table::constant(m, false);
    for (std::size_t r = 0; r < rows; ++r)
      if (out.get(o, r)) t.set(r, true);
    tts.push_back(std::move(t));
  }
  return tts;
}

/// Copies src's AND nodes into dst with src's input j driven by pi_lits[j]; returns src's outputs in dst.
std::vector<circuit::literal> copy_into(const circuit::aig& src, circuit::aig& dst,
                                        const std::vector<circuit::literal>& pi_lits) {
  std::vector<circuit::literal> map(src.num_nodes(), circuit::lit_false);
  for (std::size_t j = 0; j < src.num_pis(); ++j) map[src.pi_node(j)] = pi_lits[j];
  auto lit = [&](circuit::literal l) {
    return circuit::lit_not_cond(map[circuit::lit_node(l)], circuit::lit_complemented(l));
  };
  for (circuit::node_id n = 1; n < src.num_nodes(); ++n)
    if (src.is_and(n)) map[n] = dst.create_and(lit(src.fanin0(n)), lit(src.fanin1(n)));
  std::vector<circuit::literal> outs;
  for (std::size_t o = 0; o < src.num_pos(); ++o) outs.push_back(lit(src.po(o)));
  return outs;
}

/// `small` (inputs = the support S) rewired into an AIG with names.num_pis() inputs (input j → S[j]),
/// the input names of `names`, the output names of `small`.
circuit::aig embed(const circuit::aig& small, const std::vector<std::size_t>& S, const circuit::aig& names) {
  circuit::aig g;
  for (std::size_t i = 0; i < names.num_pis(); ++i) g.create_pi(names.pi_name(i));
  std::vector<circuit::literal> pis;
  for (auto i : S) pis.push_back(g.pi(i));
  auto outs = copy_into(small, g, pis);
  for (std::size_t o = 0; o < outs.size(); ++o) g.create_po(outs[o], small.po_name(o));
  return circuit::cleanup(g);
}

/// "{:g}": the shortest decimal form, for candidate labels and cache file names.
std::string compact_number(double v) {
  return fmt::format("{:g}", v);
}

void load_candidate_json(const json& j, fit_candidate& c) {
  c.valid_metric = j.at("valid_metric");
  c.valid_error = j.at("valid_error");
  c.train_error = j.at("train_error");
  c.ands = j.at("ands");
  c.depth = j.at("depth");
  c.support = j.at("support");
  c.seconds = j.at("seconds");
  c.test_metric = j.at("test_metric").is_null() ? std::nan("") : double(j.at("test_metric"));
  c.abc_skipped = j.value("abc_skipped", false);
  c.compiled = true;
}

std::string safe_name(const std::string& label) {
  std::string s;
  for (char ch : label)
    s += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-') ? ch : '_';
  return s;
}

}  // namespace

// -----------------------------------------------------------------------------------------------------------

namespace {

/// The data as one group of candidates sees it: all inputs (view 0) or the columns S chosen by an input
/// budget.
struct data_view {
  std::vector<std::size_t> S;  ///< view column j = data column S[j]
  data::split sp;
  std::size_t budget = 0;  ///< 0 for the full view
  std::string tag;         ///< label prefix: "" (all inputs), "in16-" (importance), "sel-" (selection)
};

/// The view of `sp` on the data columns S (sorted).
data_view make_view(const data::split& sp, std::vector<std::size_t> S, std::string tag);

data::dataset project(const data::dataset& d, const std::vector<std::size_t>& S) {
  data::dataset p = d;
  p.d_in = S.size();
  p.x.assign(d.n * S.size(), 0.0f);
  for (std::size_t r = 0; r < d.n; ++r)
    for (std::size_t j = 0; j < S.size(); ++j) p.x[r * S.size() + j] = d.x[r * d.d_in + S[j]];
  p.input_box.lo.clear();
  p.input_box.hi.clear();
  if (d.input_box.dims() != d.d_in || d.d_in == 0) return p;  // an empty piece of a split may have no box
  for (auto i : S) {
    p.input_box.lo.push_back(d.input_box.lo[i]);
    p.input_box.hi.push_back(d.input_box.hi[i]);
  }
  return p;
}

/// Input importance of a trained network (for input budgets): the ℓ2 norm of everything that reads input
/// coordinate i directly — column i of every W_ℓ and of U.
std::vector<double> input_importance(const nn::resnet& m) {
  torch::NoGradGuard ng;
  const auto d = m.shape.d_in;
  auto acc = torch::zeros({d}, torch::kFloat64);
  for (const auto& W : m.W) acc += W.slice(1, 0, d).to(torch::kFloat64).pow(2).sum(0).cpu();
  acc += m.U.slice(1, 0, d).to(torch::kFloat64).pow(2).sum(0).cpu();
  std::vector<double> v(static_cast<std::size_t>(d));
  auto a = acc.accessor<double, 1>();
  for (std::int64_t i = 0; i < d; ++i) v[std::size_t(i)] = a[i];
  return v;
}

/// Keeps the cares of `tts` only on the minterms that rows of `d` produce (minterm bit b = column cols[b]):
/// the don't-care variants of the truth-table routes.
void care_only_rows(std::vector<circuit::truth_table>& tts, const data::dataset& d,
                    const std::vector<std::size_t>& cols) {
  for (auto& t : tts) std::fill(t.care.begin(), t.care.end(), 0);
  for (std::size_t r = 0; r < d.n; ++r) {
    std::uint64_t m = 0;
    for (std::size_t b = 0; b < cols.size(); ++b)
      if (d.x[r * d.d_in + cols[b]] > 0.5f) m |= std::uint64_t(1) << b;
    for (auto& t : tts) t.care[m / 64] |= std::uint64_t(1) << (m % 64);
  }
}

data_view make_view(const data::split& sp, std::vector<std::size_t> S, std::string tag) {
  std::sort(S.begin(), S.end());
  data_view v;
  v.S = std::move(S);
  v.budget = v.S.size();
  v.tag = std::move(tag);
  v.sp.train = project(sp.train, v.S);
  v.sp.valid = project(sp.valid, v.S);
  v.sp.test = project(sp.test, v.S);
  return v;
}

circuit::aig project_inputs(const circuit::aig& g, const std::vector<std::size_t>& S) {
  circuit::aig h;
  std::vector<circuit::literal> pis(g.num_pis(), circuit::lit_false);
  for (auto i : S) pis[i] = h.create_pi(g.pi_name(i));
  auto outs = copy_into(g, h, pis);
  for (std::size_t o = 0; o < outs.size(); ++o) h.create_po(outs[o], g.po_name(o));
  return circuit::cleanup(h);
}

/// An AIG with only the inputs x0 … x<n−1> (Boolean data: input i is column i): the names `embed` copies.
circuit::aig data_input_names(std::size_t n) {
  circuit::aig names;
  for (std::size_t i = 0; i < n; ++i) names.create_pi("x" + std::to_string(i));
  return names;
}

/// A view-input circuit over all `num_inputs` data inputs (Boolean data: input i is column i, named x<i>).
circuit::aig to_full_inputs(const circuit::aig& small, const data_view& v, std::size_t num_inputs) {
  if (v.budget == 0) return small;
  circuit::aig names = data_input_names(num_inputs);
  for (std::size_t o = 0; o < small.num_pos(); ++o) names.create_po(circuit::lit_false, small.po_name(o));
  return embed(small, v.S, names);
}

}  // namespace

fit_result fit(const data::split& sp, const fit_params& P) {
  check_params(P);
  const auto t_start = std::chrono::steady_clock::now();
  const data::dataset& train = sp.train;
  if (train.n == 0) throw input_error(train.name, 0, "the training set is empty");
  fit_result R;
  R.kind = train.kind;
  const bool write = !P.out_dir.empty();
  const fs::path out = P.out_dir;
  std::optional<directory_lock> lock;  // one run per output directory
  if (write) {
    lock.emplace(out);
    fs::create_directories(out / "circuits");
    fs::create_directories(out / "pruned");
  }
  const bool tt_ok = P.truth_table_route && train.boolean_inputs && train.kind == task_kind::binary;
  const auto device = nn::parse_device(P.train.device);

  // Trains one network on a view along `lambdas` (warm starts), one stage directory per λ.
  auto train_path = [&](const data_view& v, const std::string& prefix) {
    nn::resnet_shape shape = P.shape;
    shape.d_in = std::int64_t(v.sp.train.d_in);
    shape.d_out = std::int64_t(v.sp.train.model_outputs());
    if (shape.width == 0) shape.width = std::max<std::int64_t>(shape.d_in, 16);
    if (shape.width < shape.d_in)
      throw input_error(
          fmt::format("fit: --width {} is below the input dimension {}", shape.width, shape.d_in));
    auto model = nn::make_resnet(shape, P.init);
    model.input_box = v.sp.train.input_box;
    model.kind = v.sp.train.kind;
    model = model.to(device, torch::kFloat32, true);
    std::vector<nn::resnet> models;
    for (std::size_t s = 0; s < P.lambdas.size(); ++s) {
      const fs::path dir = out / fmt::format("{}stage-{}", prefix, s + 1);
      if (write && P.resume && fs::exists(dir / "done") && fs::exists(dir / "model.occam")) {
        model = nn::load_model((dir / "model.occam").string()).to(device, torch::kFloat32, true);
      } else {
        auto pen = complexity::make_penalty(P.penalty, P.lambdas[s], P.proximal, model.input_box);
        nn::train_params tp = P.train;
        tp.penalty = pen.get();
        tp.out_dir = write ? dir.string() : std::string();
        tp.resume = write && P.resume && fs::exists(dir / "checkpoint.pt");
        // Proximal penalties make their exact zeros late: keep the last epoch, as occam train --last does.
        tp.select_best = !(pen && P.proximal);
        if (P.train.progress)
          fmt::print(stderr, "{}stage {}/{}: λ = {:g} ({} penalty)\n", prefix, s + 1, P.lambdas.size(),
                     P.lambdas[s], complexity::to_string(P.penalty));
        nn::train(model, v.sp.train, v.sp.valid, tp);
        if (write) write_file_atomic(dir / "done", "done\n");
      }
      models.push_back(model.to(torch::kCPU, torch::kFloat32, false));
    }
    return models;
  };

  // Compiler settings for a view's networks. Per-word truth tables (LogicNets style) only where the
  // network reads more inputs than the truth-table routes take: a network on ≤ truth_table_max_inputs
  // inputs is tabulated whole by those routes, and its per-word tables cost seconds per candidate.
  // ABC runs once per circuit (not again on the arithmetic version to compare: the choice is made before
  // ABC, which keeps the compile time of a candidate to one ABC run).
  auto compile_params = [&](const data_view& v, const std::string& abc_script) {
    compile::network_to_circuit_params np;
    np.abc_script = abc_script;
    np.lut_inputs = v.sp.train.d_in > P.truth_table_max_inputs || !tt_ok ? P.lut_inputs : 0;
    np.lut_compare_after_abc = false;
    return np;
  };

  // --- 1. train along the λ path (THEORY §3), warm starts; input-budget views (Boolean binary tasks)
  // --------
  std::vector<data_view> views(1);
  views[0].sp = sp;
  for (std::size_t i = 0; i < train.d_in; ++i) views[0].S.push_back(i);
  struct stage_model {
    std::size_t view, stage;
    double lambda;
    nn::resnet model;
  };
  std::vector<stage_model> stages;
  {
    auto ms = train_path(views[0], "");
    for (std::size_t s = 0; s < ms.size(); ++s) stages.push_back({0, s + 1, P.lambdas[s], ms[s]});
  }
  std::vector<std::size_t> budgets = P.input_budgets;
  if (budgets.empty() && tt_ok && train.d_in > P.truth_table_max_inputs)
    budgets = {P.truth_table_max_inputs, std::max<std::size_t>(2, P.truth_table_max_inputs / 2)};
  if (tt_ok && !budgets.empty()) {
    // Inputs ranked by the importance they have in the full path's best-validation network.
    const data::dataset& vdata = sp.valid.n > 0 ? sp.valid : sp.train;
    std::size_t best = 0;
    double best_acc = -1;
    for (std::size_t s = 0; s < stages.size(); ++s) {
      double a = nn::evaluate(stages[s].model, vdata).accuracy;
      if (a > best_acc) best_acc = a, best = s;
    }
    auto imp = input_importance(stages[best].model);
    std::vector<std::size_t> order(imp.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return imp[a] > imp[b]; });
    for (auto m : budgets) {
      if (m == 0 || m >= train.d_in) continue;
      views.push_back(make_view(sp,
                                std::vector<std::size_t>(order.begin(), order.begin() + std::ptrdiff_t(m)),
                                fmt::format("in{}-", m)));
      auto ms = train_path(views.back(), views.back().tag);
      for (std::size_t s = 0; s < ms.size(); ++s)
        stages.push_back({views.size() - 1, s + 1, P.lambdas[s], ms[s]});
    }
  }

  // Input selection from the data (data/select.hpp): one more view, and the lookup tables of step 5b.
  std::size_t sel_view = 0;  // 0: none
  if (tt_ok && P.selection_inputs > 0 && train.d_out == 1) {
    data::select_params sel;
    sel.max_inputs = std::min<std::size_t>(P.selection_inputs, data::max_table_inputs);
    sel.progress = P.train.progress;
    data::select_stats sst;
    R.selected_inputs = data::select_inputs(train, sel, &sst);
    R.selection_seconds = sst.seconds;
    R.selection_loo_accuracy = sst.steps.empty() ? sst.initial_loo_accuracy : sst.steps.back().loo_accuracy;
    if (P.train.progress)
      fmt::print(stderr, "input selection: {} inputs, leave-one-out accuracy {:.4f} ({:.1f} s)\n",
                 R.selected_inputs.size(), R.selection_loo_accuracy, R.selection_seconds);
    if (!R.selected_inputs.empty()) {
      views.push_back(make_view(sp, R.selected_inputs, "sel-"));
      sel_view = views.size() - 1;
      // A network on the selected inputs when they are fewer than the data has and the truth-table routes
      // need the reduction; otherwise the view only carries the lookup tables of step 5b.
      if (train.d_in > P.truth_table_max_inputs) {
        auto ms = train_path(views.back(), "sel-");
        for (std::size_t s = 0; s < ms.size(); ++s) stages.push_back({sel_view, s + 1, P.lambdas[s], ms[s]});
      }
    }
  }

  // --- 2. prune (THEORY §2) + masked fine-tuning, 3. quantise (THEORY §4) ---------------------------------
  std::vector<compile::quantized_resnet> quantized;
  std::vector<nn::resnet> pruned_models;  // per (stage, keep)
  struct pruned_info {
    std::size_t view, stage;
    double lambda, keep;
    std::int64_t nonzero;
  };
  std::vector<pruned_info> pruned_of;  // parallel to pruned_models
  std::vector<std::size_t> model_of;   // candidate → pruned_models index
  std::vector<std::size_t> view_of;    // candidate → views index
  {
    progress_bar bar("prune+quantise", stages.size() * P.keep_fractions.size(),
                     P.train.progress && progress_bar::stderr_is_terminal());
    std::size_t done = 0;
    for (const auto& st : stages) {
      const data_view& v = views[st.view];
      const std::string& vtag = v.tag;
      const auto& base = st.model;
      const auto nz = base.nonzero_count();
      const auto x_train = nn::inputs_tensor(v.sp.train);
      const data::dataset& valid = v.sp.valid.n > 0 ? v.sp.valid : v.sp.train;
      for (double keep : P.keep_fractions) {
        const fs::path cache =
            out / "pruned" / fmt::format("{}s{}-k{}.occam", vtag, st.stage, compact_number(keep));
        nn::resnet pm;
        if (write && P.resume && fs::exists(cache)) {
          pm = nn::load_model(cache.string());
        } else if (keep >= 1) {
          pm = base.to(torch::kCPU, torch::kFloat32, false);
        } else {
          complexity::prune_params pp;
          pp.method = P.prune_method;
          pp.budget = std::max(1.0, std::ceil(keep * double(nz)));
          pp.seed = P.train.seed;
          pm = complexity::prune(base, x_train, pp);
          if (P.finetune_epochs > 0) {
            auto dev_model = pm.to(device, torch::kFloat32, true);
            mask_keeper mk(dev_model);
            nn::train_params tp = P.train;
            tp.epochs = P.finetune_epochs;
            tp.penalty = &mk;
            tp.out_dir.clear();
            tp.resume = false;
            tp.progress = false;
            tp.patience = 0;
            nn::train(dev_model, v.sp.train, v.sp.valid, tp);
            pm = dev_model.to(torch::kCPU, torch::kFloat32, false);
          }
          if (write) nn::save_model(pm, cache.string());
        }
        pruned_models.push_back(pm);
        pruned_of.push_back({st.view, st.stage, st.lambda, keep, pm.nonzero_count()});
        for (unsigned b : P.bits) {
          compile::quantize_params qp;
          qp.weight_bits = qp.activation_bits = b;
          qp.input_bits = train.boolean_inputs ? 1 : P.input_bits;
          qp.boolean_inputs = train.boolean_inputs;
          qp.seed = P.train.seed;
          auto q = compile::quantize(pm, qp, &v.sp.train);
          fit_candidate c;
          c.stage = st.stage;
          c.lambda = st.lambda;
          c.keep = keep;
          c.input_budget = v.budget;
          c.nonzero = pm.nonzero_count();
          c.bits = b;
          c.route = "network";
          c.label = fmt::format("{}s{} keep={} b={} network", vtag, st.stage, compact_number(keep), b);
          auto rep = compile::evaluate_quantization(pm, q, valid);
          c.valid_metric =
              train.kind == task_kind::regression ? std::sqrt(rep.quantized_metric) : rep.quantized_metric;
          c.valid_error = train.kind == task_kind::regression ? c.valid_metric : 1 - c.valid_metric;
          compile::network_to_circuit_stats nst;
          auto np = compile_params(v, "");
          auto g = compile::network_to_circuit(q, np, &nst);
          c.ands_generated = nst.ands_generated;
          c.support = support_of(g).size();
          R.candidates.push_back(c);
          quantized.push_back(std::move(q));
          model_of.push_back(pruned_models.size() - 1);
          view_of.push_back(st.view);
        }
        bar.update(++done);
      }
    }
    bar.finish();
  }

  // --- 4. choose what to compile: the (ε, generated size) front, spread, plus budget-aware picks
  // ------------
  std::vector<std::size_t> to_compile;
  {
    std::vector<std::size_t> order(R.candidates.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      auto& A = R.candidates[a];
      auto& B = R.candidates[b];
      return std::tie(A.ands_generated, A.valid_error) < std::tie(B.ands_generated, B.valid_error);
    });
    std::vector<std::size_t> front;
    double best = std::numeric_limits<double>::infinity();
    for (auto i : order)
      if (R.candidates[i].valid_error < best - 1e-12) {
        front.push_back(i);
        best = R.candidates[i].valid_error;
      }
    if (front.size() <= P.max_compile) {
      to_compile = front;
    } else {
      // Evenly spaced along the front, always keeping both ends.
      for (std::size_t j = 0; j < P.max_compile; ++j)
        to_compile.push_back(front[j * (front.size() - 1) / std::max<std::size_t>(1, P.max_compile - 1)]);
    }
    std::vector<std::size_t> by_error = order;
    std::stable_sort(by_error.begin(), by_error.end(), [&](std::size_t a, std::size_t b) {
      return R.candidates[a].valid_error < R.candidates[b].valid_error;
    });
    if (P.max_ands > 0) {
      // The most accurate candidate whose generated circuit already fits (ABC only shrinks it further), and
      // the most accurate ones above the budget, which ABC or a truth-table route may bring under it.
      for (auto i : by_error)
        if (R.candidates[i].ands_generated <= P.max_ands) {
          to_compile.push_back(i);
          break;
        }
      for (std::size_t j = 0; j < std::min<std::size_t>(3, by_error.size()); ++j)
        to_compile.push_back(by_error[j]);
    }
    if (tt_ok) {
      // The most accurate candidates small enough for the truth-table routes.
      std::size_t added = 0;
      for (auto i : by_error)
        if (R.candidates[i].support <= P.truth_table_max_inputs &&
            added < std::max<std::size_t>(2, P.max_compile / 2)) {
          to_compile.push_back(i);
          ++added;
        }
    }
    std::sort(to_compile.begin(), to_compile.end());
    to_compile.erase(std::unique(to_compile.begin(), to_compile.end()), to_compile.end());
  }

  // --- 5. compile + ABC (+ truth-table routes)
  // ----------------------------------------------------------------
  std::map<std::string, json> cached;
  const fs::path cand_log = out / "candidates.jsonl";
  if (write && P.resume && fs::exists(cand_log)) {
    std::istringstream in(read_file(cand_log));
    std::string line;
    while (std::getline(in, line))
      if (!line.empty()) {
        auto j = json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.contains("label")) cached[j["label"]] = j;
      }
  }
  // Circuits over their view's inputs (the files on disk are over all data inputs).
  std::vector<circuit::aig> circuits(R.candidates.size());
  std::vector<std::size_t> q_of(R.candidates.size());  // candidate → quantised network
  std::iota(q_of.begin(), q_of.end(), 0);
  auto finish_candidate = [&](std::size_t idx, circuit::aig g, bool network_route) {
    auto& c = R.candidates[idx];
    const compile::quantized_resnet* q = network_route ? &quantized[q_of[idx]] : nullptr;
    const data_view& v = views[view_of[idx]];
    auto stats = circuit::statistics(g);
    c.ands = stats.ands;
    c.depth = stats.depth;
    c.support = support_of(g).size();
    const data::dataset& valid = v.sp.valid.n > 0 ? v.sp.valid : v.sp.train;
    auto ev_valid = network_route ? evaluate_circuit(g, *q, valid, true) : evaluate_boolean_circuit(g, valid);
    if (network_route && ev_valid.mismatched_rows)
      throw std::logic_error(
          fmt::format("fit: compiled circuit {} differs from its quantised network on {} rows", c.label,
                      ev_valid.mismatched_rows));
    c.valid_metric = ev_valid.metric;
    c.valid_error = ev_valid.error;
    c.train_error =
        (network_route ? evaluate_circuit(g, *q, v.sp.train, false) : evaluate_boolean_circuit(g, v.sp.train))
            .error;
    if (v.sp.test.n > 0)
      c.test_metric =
          (network_route ? evaluate_circuit(g, *q, v.sp.test, false) : evaluate_boolean_circuit(g, v.sp.test))
              .metric;
    c.compiled = true;
    if (write) {
      circuit::write_circuit(to_full_inputs(g, v, train.d_in),
                             out / "circuits" / (safe_name(c.label) + ".aig"));
      append_line(cand_log, to_json(c).dump());
    }
    circuits[idx] = std::move(g);
  };
  auto load_cached = [&](std::size_t idx) {
    const auto& c = R.candidates[idx];
    const fs::path f = out / "circuits" / (safe_name(c.label) + ".aig");
    if (!cached.count(c.label) || !fs::exists(f)) return false;
    load_candidate_json(cached[c.label], R.candidates[idx]);
    auto g = circuit::read_circuit(f);
    const data_view& v = views[view_of[idx]];
    circuits[idx] = v.budget ? project_inputs(g, v.S) : std::move(g);
    return true;
  };
  // A candidate that is not a quantised network of step 3 (its circuit comes from a truth table); q is the
  // quantised network it tabulates, or no_network.
  constexpr std::size_t no_network = std::numeric_limits<std::size_t>::max();
  auto add_candidate = [&](fit_candidate c, std::size_t q, std::size_t view) {
    R.candidates.push_back(std::move(c));
    q_of.push_back(q);
    view_of.push_back(view);
    circuits.emplace_back();
    return R.candidates.size() - 1;
  };
  // Truth-table synthesis for every table route, with the ABC script every other candidate gets.
  circuit::synth_params tt_synth = P.synth;
  tt_synth.abc_script = P.abc_script;
  {
    progress_bar bar("compile+abc", to_compile.size(),
                     P.train.progress && progress_bar::stderr_is_terminal());
    std::size_t done = 0;
    for (auto idx : to_compile) {
      auto t0 = std::chrono::steady_clock::now();
      if (!load_cached(idx)) {
        auto np = compile_params(views[view_of[idx]], P.abc_script);
        if (P.max_ands > 0 && R.candidates[idx].ands_generated > 4 * P.max_ands) {
          np.abc_script.clear();
          R.candidates[idx].abc_skipped = true;
        }
        compile::network_to_circuit_stats st;
        auto g = compile::network_to_circuit(quantized[idx], np, &st);
        R.candidates[idx].seconds = seconds_since(t0);
        finish_candidate(idx, std::move(g), true);
      }
      // Truth-table routes (LogicNets / NullaNet style) on the compiled network's support.
      const circuit::aig gnet = circuits[idx];  // a copy: the routes below grow `circuits`
      auto S = support_of(gnet);
      const data_view& v = views[view_of[idx]];
      if (tt_ok && !S.empty() && S.size() <= P.truth_table_max_inputs) {
        for (const char* route : {"tt-full", "tt-dc"}) {
          fit_candidate c = R.candidates[idx];
          c.route = route;
          c.label =
              fmt::format("{}s{} keep={} b={} {}", v.tag, c.stage, compact_number(c.keep), c.bits, route);
          c.ands_generated = 0;
          const std::size_t j = add_candidate(std::move(c), q_of[idx], view_of[idx]);
          if (load_cached(j)) continue;
          auto t1 = std::chrono::steady_clock::now();
          auto tts = support_truth_tables(gnet, S);
          if (std::string(route) == "tt-dc") care_only_rows(tts, v.sp.train, S);
          auto small = circuit::synthesize_truth_tables(tts, tt_synth);
          auto g = embed(small, S, gnet);
          R.candidates[j].seconds = seconds_since(t1);
          finish_candidate(j, std::move(g), false);
        }
      }
      bar.update(++done, fmt::format("{} ANDs", R.candidates[idx].ands));
    }
    bar.finish();
  }

  // --- 5b. lookup tables over the selected inputs, straight from the training rows (no network) ----------
  if (sel_view > 0 && P.table_route) {
    const data_view& v = views[sel_view];
    const auto& sel = R.selected_inputs;
    // Table input k = sel[k]; its position in the (sorted) view.
    std::vector<std::size_t> pos(sel.size());
    for (std::size_t k = 0; k < sel.size(); ++k)
      pos[k] = std::size_t(std::lower_bound(v.S.begin(), v.S.end(), sel[k]) - v.S.begin());
    circuit::aig names;
    for (auto i : v.S) names.create_pi("x" + std::to_string(i));
    std::vector<std::size_t> sizes;
    for (std::size_t m : {sel.size(), (3 * sel.size() + 3) / 4, (sel.size() + 1) / 2})
      if (m > 0 && std::find(sizes.begin(), sizes.end(), m) == sizes.end()) sizes.push_back(m);
    for (std::size_t m : sizes) {
      const std::vector<std::size_t> prefix(sel.begin(), sel.begin() + std::ptrdiff_t(m));
      const auto table = data::build_lookup_table(train, prefix);
      for (const char* route : {"table", "table-dc"}) {
        fit_candidate c;
        c.route = route;
        c.keep = 1;
        c.input_budget = m;
        c.label = fmt::format("sel{} {}", m, route);
        const std::size_t j = add_candidate(std::move(c), no_network, sel_view);
        if (load_cached(j)) continue;
        auto t1 = std::chrono::steady_clock::now();
        const bool dc = std::string(route) == "table-dc";
        circuit::truth_table t;
        t.num_inputs = unsigned(m);
        const std::size_t words = std::max<std::size_t>(1, (table.cells() + 63) / 64);
        t.on.assign(words, 0);
        t.care.assign(words, 0);
        for (std::size_t cell = 0; cell < table.cells(); ++cell)
          if (!dc || table.seen(cell)) t.set(cell, table.labels[cell] != 0, true);
        auto small = circuit::synthesize_truth_tables({t}, tt_synth);
        std::vector<std::size_t> at(pos.begin(), pos.begin() + std::ptrdiff_t(m));
        auto g = embed(small, at, names);
        R.candidates[j].seconds = seconds_since(t1);
        finish_candidate(j, std::move(g), false);
      }
    }
  }

  // --- 5c. the float networks' own functions on views of ≤ truth_table_max_inputs inputs -------------------
  // A network on ≤ 16 Boolean inputs is a function of ≤ 2^16 rows: tabulating it skips quantisation (whose
  // few bits can cost accuracy: powers-of-two weights such as a comparator's do not fit b = 4) and arithmetic
  // alike. The circuit's size is the function's, not the network's; the most accurate networks are taken.
  if (tt_ok && P.float_truth_table) {
    struct ranked {
      std::size_t model;
      double accuracy;
      std::int64_t nonzero;
    };
    std::vector<ranked> rs;
    for (std::size_t m = 0; m < pruned_models.size(); ++m) {
      const data_view& v = views[pruned_of[m].view];
      if (v.sp.train.d_in > P.truth_table_max_inputs) continue;
      const data::dataset& valid = v.sp.valid.n > 0 ? v.sp.valid : v.sp.train;
      rs.push_back({m, nn::evaluate(pruned_models[m], valid).accuracy, pruned_of[m].nonzero});
    }
    std::stable_sort(rs.begin(), rs.end(), [](const ranked& a, const ranked& b) {
      return std::tie(b.accuracy, a.nonzero) < std::tie(a.accuracy, b.nonzero);
    });
    rs.resize(std::min<std::size_t>(rs.size(), std::max<std::size_t>(2, P.max_compile / 2)));
    progress_bar bar("float tables", rs.size(), P.train.progress && progress_bar::stderr_is_terminal());
    std::size_t done = 0;
    for (const auto& r : rs) {
      const auto& info = pruned_of[r.model];
      const data_view& v = views[info.view];
      const unsigned m_in = unsigned(v.sp.train.d_in);
      const std::uint64_t rows = std::uint64_t(1) << m_in;
      std::vector<circuit::truth_table> full;
      for (const char* route : {"tt-float", "tt-float-dc"}) {
        fit_candidate c;
        c.stage = info.stage;
        c.lambda = info.lambda;
        c.keep = info.keep;
        c.input_budget = v.budget;
        c.nonzero = info.nonzero;
        c.route = route;
        c.label = fmt::format("{}s{} keep={} float {}", v.tag, info.stage, compact_number(info.keep), route);
        const std::size_t j = add_candidate(std::move(c), no_network, info.view);
        if (load_cached(j)) continue;
        auto t1 = std::chrono::steady_clock::now();
        if (full.empty()) {
          // Every row of {0,1}^m_in through the float network (minterm bit b = view input b).
          auto x = torch::zeros({std::int64_t(rows), std::int64_t(m_in)}, torch::kFloat32);
          auto xa = x.accessor<float, 2>();
          for (std::uint64_t row = 0; row < rows; ++row)
            for (unsigned b = 0; b < m_in; ++b) xa[std::int64_t(row)][b] = float((row >> b) & 1);
          torch::Tensor dec;
          {
            torch::NoGradGuard ng;
            dec = pruned_models[r.model].forward(x).gt(0).contiguous();
          }
          auto da = dec.accessor<bool, 2>();
          for (std::int64_t o = 0; o < dec.size(1); ++o) {
            circuit::truth_table t = circuit::truth_table::constant(m_in, false);
            for (std::uint64_t row = 0; row < rows; ++row)
              if (da[std::int64_t(row)][o]) t.set(row, true);
            full.push_back(std::move(t));
          }
        }
        auto tts = full;
        if (std::string(route) == "tt-float-dc") {
          std::vector<std::size_t> cols(m_in);
          std::iota(cols.begin(), cols.end(), 0);
          care_only_rows(tts, v.sp.train, cols);
        }
        auto g = circuit::synthesize_truth_tables(tts, tt_synth);
        R.candidates[j].seconds = seconds_since(t1);
        finish_candidate(j, std::move(g), false);
      }
      bar.update(++done);
    }
    bar.finish();
  }

  // --- 5d. the Occam route: consistent functions of one linear form, the smallest circuits ----------------
  // (route_occam.hpp) over all inputs (when few) and over the selected ones; --resume reuses the finalists
  // listed in occam.json.
  if (tt_ok && P.occam.enabled && train.d_out == 1) {
    const fs::path listed = out / "occam.json";
    json finalists = json::array();
    if (write && P.resume && fs::exists(listed)) finalists = json::parse(read_file(listed), nullptr, false);
    bool reused = finalists.is_array() && !finalists.empty();
    for (const auto& f : reused ? finalists : json::array()) {
      fit_candidate c;
      c.label = f.value("label", "");
      c.route = f.value("route", "");
      c.input_budget = f.value("inputs", std::size_t(0));
      reused = reused && load_cached(add_candidate(std::move(c), no_network, 0));
    }
    if (!reused) {
      while (!R.candidates.empty() && R.candidates.back().route.rfind("occam-", 0) == 0) {  // partial reuse
        R.candidates.pop_back(), q_of.pop_back(), view_of.pop_back(), circuits.pop_back();
      }
      std::vector<std::vector<std::size_t>> sets;
      if (train.d_in <= P.occam.max_inputs) sets.push_back(views[0].S);
      if (!R.selected_inputs.empty()) sets.push_back(R.selected_inputs);
      auto found = occam_route(train, sp.valid, sets, P.occam, tt_synth, &R.occam);
      const circuit::aig names = data_input_names(train.d_in);
      finalists = json::array();
      for (auto& oc : found) {
        fit_candidate c;
        c.label = oc.label;
        c.route = oc.route;
        c.input_budget = oc.inputs.size();
        c.seconds = oc.seconds;
        const std::size_t j = add_candidate(std::move(c), no_network, 0);
        finish_candidate(j, embed(oc.circuit, oc.inputs, names), false);
        finalists.push_back({{"label", oc.label},
                             {"route", oc.route},
                             {"inputs", oc.inputs.size()},
                             {"weights", oc.weights},
                             {"fill", oc.fill},
                             {"quick_ands", oc.quick_ands}});
      }
      if (write) write_file_atomic(listed, finalists.dump(1) + "\n");
      if (P.train.progress)
        fmt::print(
            stderr, "occam route: {} of {} linear forms consistent, {} tables, {} finalists ({:.1f} s)\n",
            R.occam.forms_consistent, R.occam.forms_tried, R.occam.tables, found.size(), R.occam.seconds);
    }
  }

  // --- 6. measurements: points, front, rate (THEORY §4)
  // --------------------------------------------------------
  // ε is the validation L2(π) distance (l2_distance); the classification error stays a separate column.
  for (std::size_t i = 0; i < R.candidates.size(); ++i) {
    const auto& c = R.candidates[i];
    if (!c.compiled) continue;
    report::size_error_point pt;
    pt.error = l2_distance(R.kind, train.d_out, c.valid_error);
    pt.size = double(c.ands);
    pt.label = c.label;
    pt.extra = {{"route", c.route},   {"bits", c.bits},           {"keep", c.keep},
                {"lambda", c.lambda}, {"inputs", c.input_budget}, {"valid_metric", c.valid_metric},
                {"depth", c.depth}};
    if (R.kind != task_kind::regression) pt.extra["classification_error"] = c.valid_error;
    R.points.push_back(pt);
  }
  R.front = report::pareto_front(R.points);
  R.rate = report::fit_rate(R.front);
  R.c_gamma = report::c_gamma(R.front, P.gamma);
  R.htmc = report::htmc_bound_on_range(R.front, P.gamma);

  // --- 7. choice: best validation error under the budget, then the smallest within the tolerance -----------
  {
    double best = std::numeric_limits<double>::infinity();
    for (const auto& c : R.candidates)
      if (c.compiled && (P.max_ands == 0 || c.ands <= P.max_ands)) best = std::min(best, c.valid_error);
    for (std::size_t i = 0; i < R.candidates.size(); ++i) {
      const auto& c = R.candidates[i];
      if (!c.compiled || (P.max_ands > 0 && c.ands > P.max_ands) ||
          c.valid_error > best + P.tolerance + 1e-12)
        continue;
      if (R.chosen < 0) {
        R.chosen = std::ptrdiff_t(i);
        continue;
      }
      const auto& o = R.candidates[std::size_t(R.chosen)];
      if (std::tie(c.ands, c.valid_error) < std::tie(o.ands, o.valid_error)) R.chosen = std::ptrdiff_t(i);
    }
  }
  if (R.chosen >= 0) {
    const std::size_t ci = std::size_t(R.chosen);
    auto& c = R.candidates[ci];
    const data_view& v = views[view_of[ci]];
    circuit::aig small = circuits[ci];
    const bool has_network = q_of[ci] < quantized.size();
    if (has_network) R.model = pruned_models[model_of[q_of[ci]]];
    for (std::size_t m = 0; m < pruned_models.size() && !has_network; ++m)  // float truth-table routes
      if (c.route.rfind("tt-float", 0) == 0 && pruned_of[m].view == view_of[ci] &&
          pruned_of[m].stage == c.stage && pruned_of[m].keep == c.keep)
        R.model = pruned_models[m];
    if (!P.final_abc_script.empty() && P.final_abc_script != P.abc_script) {
      auto g = circuit::abc_optimize(small, circuit::expand_abc_script(P.final_abc_script), P.synth.abc);
      auto st = circuit::statistics(g);
      if (st.ands < c.ands) {
        // ABC keeps the function; check it on the validation rows anyway before trusting it.
        const compile::quantized_resnet* q = c.route == "network" ? &quantized[q_of[ci]] : nullptr;
        const data::dataset& valid = v.sp.valid.n > 0 ? v.sp.valid : v.sp.train;
        auto ev =
            c.route == "network" ? evaluate_circuit(g, *q, valid, true) : evaluate_boolean_circuit(g, valid);
        if (ev.mismatched_rows == 0 && std::abs(ev.metric - c.valid_metric) < 1e-12) {
          small = std::move(g);
          c.ands = st.ands;
          c.depth = st.depth;
        }
      }
    }
    R.circuit = to_full_inputs(small, v, train.d_in);
    R.chosen_inputs = v.S;
    // THEORY §5: the PAC bound of the chosen circuit, δ split over sizes, the AIG count with its outputs.
    report::pac_params pp;
    pp.delta = P.delta;
    pp.outputs = std::max<std::size_t>(1, R.circuit.num_pos());
    if (R.kind != task_kind::regression) {
      // 0–1 loss (binary: the mean over the output bits), B² = 1.
      R.pac = report::pac_bound(c.train_error, train.n, c.ands, R.circuit.num_pis(), pp);
      R.pac_valid = true;
    } else if (has_network) {
      // Squared loss: decoded outputs are output_bits-bit two's-complement words scaled by 2^−output_frac,
      // so |C(x)_o| ≤ F = 2^(output_bits − 1 − output_frac); Y = the largest |target| among the training rows
      // (the bound assumes the targets stay within it). The training MSE is the squared training RMSE.
      const auto& q = quantized[q_of[ci]];
      const double F = std::ldexp(1.0, int(q.output_bits) - 1 - q.output_frac);
      double Y = 0;
      for (float y : train.y) Y = std::max(Y, std::abs(double(y)));
      R.pac = report::pac_bound_squared(c.train_error * c.train_error, train.n, c.ands, R.circuit.num_pis(),
                                        F, Y, pp);
      R.pac_valid = true;
    }
  }
  R.seconds = seconds_since(t_start);
  if (write) R.files = write_fit_report(R, sp, P);
  return R;
}

}  // namespace occam::fit
