#include "occam/study/sandwich.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "occam/circuit/simulate.hpp"
#include "occam/circuit/synth.hpp"
#include "occam/compile/compile.hpp"
#include "occam/compile/quantize.hpp"
#include "occam/complexity/certified_r.hpp"
#include "occam/complexity/rtilde.hpp"
#include "occam/nn/resnet.hpp"
#include "occam/nn/train.hpp"
#include "occam/report/report.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"
#include "occam/util/process.hpp"

namespace occam::study {

namespace fs = std::filesystem;
using json = nlohmann::json;

slope_fit fit_log_slope(const std::vector<double>& x, const std::vector<double>& y, double confidence) {
  slope_fit f;
  f.confidence = confidence;
  std::vector<double> lx, ly;
  for (std::size_t i = 0; i < std::min(x.size(), y.size()); ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i]) && x[i] > 0 && y[i] > 0) {
      lx.push_back(std::log(x[i]));
      ly.push_back(std::log(y[i]));
    }
  f.n = lx.size();
  if (f.n < 3) return f;
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < f.n; ++i) mx += lx[i], my += ly[i];
  mx /= double(f.n);
  my /= double(f.n);
  double sxx = 0, sxy = 0, syy = 0;
  for (std::size_t i = 0; i < f.n; ++i) {
    sxx += (lx[i] - mx) * (lx[i] - mx);
    sxy += (lx[i] - mx) * (ly[i] - my);
    syy += (ly[i] - my) * (ly[i] - my);
  }
  if (sxx <= 0) return f;  // every x equal: no slope
  f.slope = sxy / sxx;
  f.intercept = my - f.slope * mx;
  double sse = 0;
  for (std::size_t i = 0; i < f.n; ++i) {
    const double r = ly[i] - f.intercept - f.slope * lx[i];
    sse += r * r;
  }
  f.r2 = syy > 0 ? 1 - sse / syy : 1.0;
  const double se = std::sqrt(sse / double(f.n - 2) / sxx);
  const double t = report::student_t_quantile(0.5 + confidence / 2, double(f.n - 2));
  f.lo = f.slope - t * se;
  f.hi = f.slope + t * se;
  f.valid = true;
  return f;
}

json to_json(const slope_fit& f) {
  auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  return {{"valid", f.valid}, {"n", f.n},        {"slope", num(f.slope)}, {"intercept", num(f.intercept)},
          {"lo", num(f.lo)},  {"hi", num(f.hi)}, {"r2", num(f.r2)},       {"confidence", f.confidence}};
}

namespace {

double nan() {
  return std::numeric_limits<double>::quiet_NaN();
}
json num_json(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

// All 2^n rows: x ∈ {0,1}^n, targets in ±1 (regression, so that the L2 error is against f itself).
data::dataset target_dataset(const boolean_target& t, bool binary_labels) {
  data::dataset d;
  d.name = t.name;
  d.kind = binary_labels ? data::task_kind::binary : data::task_kind::regression;
  d.n = std::size_t(1) << t.inputs;
  d.d_in = t.inputs;
  d.d_out = t.outputs();
  d.x.resize(d.n * d.d_in);
  d.y.resize(d.n * d.d_out);
  for (std::size_t m = 0; m < d.n; ++m) {
    for (unsigned i = 0; i < t.inputs; ++i) d.x[m * d.d_in + i] = float((m >> i) & 1u);
    for (std::size_t o = 0; o < d.d_out; ++o) {
      const bool v = table_bit(t.tables[o], m);
      d.y[m * d.d_out + o] = binary_labels ? float(v) : (v ? 1.0f : -1.0f);
    }
  }
  d.input_box.lo.assign(t.inputs, 0.0f);
  d.input_box.hi.assign(t.inputs, 1.0f);
  d.boolean_inputs = true;
  return d;
}

std::string file_stem(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  return out;
}

json run_flags(const boolean_target& t, complexity::penalty_kind pen, std::int64_t w, std::int64_t L,
               std::int64_t k, std::uint64_t seed, const sandwich_params& P) {
  return {{"target", t.name},     {"penalty", complexity::to_string(pen)},
          {"width", w},           {"depth", L},
          {"hidden", k},          {"seed", seed},
          {"lambdas", P.lambdas}, {"epochs", P.epochs},
          {"lr", P.lr},           {"proximal", P.proximal},
          {"bits", P.bits},       {"abc_script", P.abc_script}};
}

json to_json(const sandwich_point& p) {
  return {{"lambda", p.lambda},
          {"l2_error", p.l2_error},
          {"linf_error", p.linf_error},
          {"rtilde", p.rtilde},
          {"r", p.r},
          {"nonzero", p.nonzero},
          {"bits", p.bits},
          {"ands", p.ands},
          {"circuit_l2_error", p.circuit_l2_error},
          {"train_seconds", p.train_seconds},
          {"complexity_seconds", p.complexity_seconds},
          {"compile_seconds", p.compile_seconds}};
}
sandwich_point point_from_json(const json& j) {
  sandwich_point p;
  p.lambda = j.at("lambda");
  p.l2_error = j.at("l2_error");
  p.linf_error = j.at("linf_error");
  p.rtilde = j.at("rtilde");
  p.r = j.at("r");
  p.nonzero = j.at("nonzero");
  p.bits = j.at("bits").get<std::vector<unsigned>>();
  p.ands = j.at("ands").get<std::vector<std::size_t>>();
  p.circuit_l2_error = j.at("circuit_l2_error").get<std::vector<double>>();
  p.train_seconds = j.value("train_seconds", 0.0);
  p.complexity_seconds = j.value("complexity_seconds", 0.0);
  p.compile_seconds = j.value("compile_seconds", 0.0);
  return p;
}

std::vector<std::uint64_t> full_care(unsigned n) {
  std::vector<std::uint64_t> care(n >= 6 ? std::size_t(1) << (n - 6) : 1, ~std::uint64_t(0));
  if (n < 6) care[0] = (std::uint64_t(1) << (std::uint64_t(1) << n)) - 1;
  return care;
}

// Circuit error against the target: 2·sqrt(Σ_o mismatch fraction_o), the L2(π) distance of ±1 outputs.
double circuit_l2(const circuit::aig& g, const boolean_target& t) {
  const auto tt = circuit::truth_tables(g);
  const std::uint64_t rows = std::uint64_t(1) << t.inputs;
  double total = 0;
  for (std::size_t o = 0; o < t.tables.size(); ++o) {
    std::uint64_t miss = 0;
    for (std::uint64_t m = 0; m < rows; ++m) miss += table_bit(tt[o], m) != table_bit(t.tables[o], m);
    total += double(miss) / double(rows);
  }
  return 2 * std::sqrt(total);
}

sandwich_point measure(const nn::resnet& model, const boolean_target& t, const data::dataset& binary_data,
                       const torch::Tensor& x, const torch::Tensor& y, const sandwich_params& P) {
  sandwich_point p;
  const auto out = complexity::evaluate_outputs(model, x);
  const auto diff = (out.to(torch::kFloat64) - y.to(torch::kFloat64));
  p.l2_error = std::sqrt(diff.pow(2).sum(1).mean().item<double>());
  p.linf_error = diff.abs().max().item<double>();
  const auto m0 = std::chrono::steady_clock::now();
  p.rtilde = complexity::rtilde(model, x);
  p.r = complexity::certified_r(model, model.input_box);
  p.nonzero = model.nonzero_count();
  const auto m1 = std::chrono::steady_clock::now();
  p.complexity_seconds = std::chrono::duration<double>(m1 - m0).count();
  // Round trip: the sign of each output is the circuit's bit (a binary model reads output > 0 as true).
  nn::resnet as_binary = model.to(torch::kCPU, torch::kFloat32, false);
  as_binary.kind = data::task_kind::binary;
  for (unsigned b : P.bits) {
    compile::quantize_params qp;
    qp.weight_bits = qp.activation_bits = b;
    qp.boolean_inputs = true;
    const auto q = compile::quantize(as_binary, qp, &binary_data);
    // The quantised network's exact decision function on all 2^n inputs, synthesised (the `tt-full` route
    // of occam fit): the same function network_to_circuit builds, without its arithmetic.
    const auto acc =
        compile::simulate_quantized(q, compile::encode_inputs(q, binary_data.x.data(), binary_data.n));
    std::vector<circuit::truth_table> tts(t.outputs());
    for (auto& tt : tts) {
      tt.num_inputs = t.inputs;
      tt.on.assign(t.tables[0].size(), 0);
      tt.care = full_care(t.inputs);
    }
    for (std::size_t m = 0; m < binary_data.n; ++m) {
      const auto bits = compile::quantized_decision(q, &acc[m * q.d_out]);
      for (std::size_t o = 0; o < tts.size(); ++o)
        if (bits[o]) tts[o].on[m >> 6] |= std::uint64_t(1) << (m & 63);
    }
    circuit::synth_params sp;
    sp.abc_script = P.abc_script;
    const auto g = circuit::synthesize_truth_tables(tts, sp);
    p.bits.push_back(b);
    p.ands.push_back(circuit::statistics(g).ands);
    p.circuit_l2_error.push_back(circuit_l2(g, t));
  }
  p.compile_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m1).count();
  return p;
}

}  // namespace

sandwich_result run_sandwich(const std::vector<boolean_target>& targets, const sandwich_params& P,
                             sandwich_stats* stats) {
  const auto t0 = std::chrono::steady_clock::now();
  if (P.lambdas.empty()) throw input_error("sandwich: no λ values");
  if (P.widths.empty() || P.depths.empty() || P.seeds.empty() || P.penalties.empty())
    throw input_error("sandwich: widths, depths, seeds and penalties must be non-empty");
  if (P.epochs < 1) throw input_error(fmt::format("sandwich: epochs must be ≥ 1, got {}", P.epochs));
  for (auto pen : P.penalties)
    if (pen == complexity::penalty_kind::none)
      throw input_error("sandwich: the penalty 'none' has no λ path");
  for (unsigned b : P.bits)
    if (b < 2 || b > 16) throw input_error(fmt::format("sandwich: bit width {} outside 2..16", b));
  for (const auto& t : targets)
    if (t.tables.empty() || t.inputs > 16)
      throw input_error("sandwich: target " + t.name + " has more than 16 inputs (no full truth table)");
  if (P.threads > 0) nn::set_threads(P.threads);
  sandwich_result res;
  res.epsilons = P.epsilons;
  sandwich_stats st;
  const fs::path out = P.out_dir;

  for (const auto& t : targets) {
    const auto reg = target_dataset(t, false), bin = target_dataset(t, true);
    const auto x = nn::inputs_tensor(reg), y = nn::targets_tensor(reg);
    target_summary sum;
    sum.name = t.name;
    sum.family = to_string(t.family);
    sum.inputs = t.inputs;
    sum.outputs = t.outputs();
    sum.s_star = t.s_star;
    sum.bound = to_string(t.bound);
    {
      circuit::synth_params sp;
      sp.abc_script = P.direct_script;
      sp.deepsyn_seconds = P.deepsyn_seconds;
      std::vector<circuit::truth_table> tts;
      for (const auto& tab : t.tables) {
        circuit::truth_table tt;
        tt.num_inputs = t.inputs;
        tt.on = tab;
        tt.care = full_care(t.inputs);
        tts.push_back(std::move(tt));
      }
      sum.direct_ands = circuit::statistics(circuit::synthesize_truth_tables(tts, sp)).ands;
      sum.s_best = t.bound == size_bound::exact ? t.s_star : std::min(t.s_star, sum.direct_ands);
    }
    {
      // THEORY §7 on the stated circuit: its own encoding is ±1, so R̃ is taken on {−1,+1}^n and R on
      // [−1,1]^n.
      data::box pm;
      pm.lo.assign(t.inputs, -1.0f);
      pm.hi.assign(t.inputs, 1.0f);
      compile::materialise_params mp;
      mp.dtype = torch::kFloat64;
      const auto net = compile::to_resnet(compile::circuit_to_network(t.circuit), pm, mp);
      const auto xpm = (2 * x - 1).to(torch::kFloat64);
      sum.construction_rtilde = complexity::rtilde(net, xpm);
      sum.construction_r = complexity::certified_r(net, pm);
    }

    std::vector<sandwich_run> target_runs;
    for (auto pen : P.penalties)
      for (auto w0 : P.widths)
        for (auto L : P.depths)
          for (auto seed : P.seeds) {
            const auto rt0 = std::chrono::steady_clock::now();
            const std::int64_t w = std::max<std::int64_t>(w0, t.inputs);
            const std::int64_t k = P.hidden > 0 ? P.hidden : w;
            sandwich_run run;
            run.target = t.name;
            run.penalty = pen;
            run.width = w;
            run.depth = L;
            run.seed = seed;
            const json flags = run_flags(t, pen, w, L, k, seed, P);
            const fs::path file =
                out / "runs" / file_stem(t.name) /
                fmt::format("{}-w{}-L{}-seed{}.json", complexity::to_string(pen), w, L, seed);
            if (!P.out_dir.empty() && P.resume && fs::exists(file)) {
              std::ifstream in(file);
              json j;
              try {
                in >> j;
              } catch (const std::exception& e) {
                throw input_error(file.string(), 0, std::string("bad run file: ") + e.what());
              }
              if (j.value("flags", json()) == flags) {
                for (const auto& pj : j.at("points")) run.points.push_back(point_from_json(pj));
                run.seconds = j.value("seconds", 0.0);
                run.resumed = true;
                ++st.runs_resumed;
                target_runs.push_back(std::move(run));
                continue;
              }
            }
            nn::resnet_shape shape{std::int64_t(t.inputs), w, k, L, std::int64_t(t.outputs())};
            nn::init_params ip;
            ip.seed = seed;
            auto model = nn::make_resnet(shape, ip);
            model.input_box = reg.input_box;
            model.kind = data::task_kind::regression;
            model.set_requires_grad(true);
            for (double lambda : P.lambdas) {
              auto penalty = complexity::make_penalty(pen, lambda, P.proximal, model.input_box);
              nn::train_params tp;
              tp.epochs = P.epochs;
              tp.batch = std::int64_t(reg.n);
              tp.lr = P.lr;
              tp.seed = seed;
              tp.progress = false;
              tp.select_best = false;
              tp.penalty = penalty.get();
              const auto tr0 = std::chrono::steady_clock::now();
              nn::train(model, reg, data::dataset{}, tp);
              const double train_s =
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - tr0).count();
              auto pt = measure(model, t, bin, x, y, P);
              pt.train_seconds = train_s;
              pt.lambda = lambda;
              run.points.push_back(std::move(pt));
            }
            run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - rt0).count();
            ++st.runs_trained;
            if (!P.out_dir.empty()) {
              json j{{"flags", flags}, {"seconds", run.seconds}, {"points", json::array()}};
              for (const auto& p : run.points) j["points"].push_back(to_json(p));
              fs::create_directories(file.parent_path());
              write_file_atomic(file, j.dump(1) + "\n");
            }
            if (P.progress) {
              double best = nan();
              for (const auto& p : run.points)
                best = std::isnan(best) ? p.l2_error : std::min(best, p.l2_error);
              double tr = 0, cx = 0, cc = 0;
              for (const auto& p : run.points)
                tr += p.train_seconds, cx += p.complexity_seconds, cc += p.compile_seconds;
              fmt::print(
                  stderr,
                  "sandwich: {} {} w={} L={} seed={}: best L2 error {:.3g} ({:.1f} s: train {:.1f}, R̃/R "
                  "{:.1f}, compile {:.1f})\n",
                  t.name, complexity::to_string(pen), w, L, seed, best, run.seconds, tr, cx, cc);
            }
            target_runs.push_back(std::move(run));
          }

    for (double eps : P.epsilons) {
      double rmin = nan(), rtmin = nan(), smin = nan();
      for (const auto& run : target_runs)
        for (const auto& p : run.points) {
          if (p.l2_error <= eps + 1e-12) {
            if (std::isnan(rmin) || p.r < rmin) rmin = p.r;
            if (std::isnan(rtmin) || p.rtilde < rtmin) rtmin = p.rtilde;
          }
          for (std::size_t b = 0; b < p.ands.size(); ++b)
            if (p.circuit_l2_error[b] <= eps + 1e-12 && (std::isnan(smin) || double(p.ands[b]) < smin))
              smin = double(p.ands[b]);
        }
      sum.r_min.push_back(rmin);
      sum.rtilde_min.push_back(rtmin);
      sum.s_back.push_back(smin);
    }
    res.targets.push_back(std::move(sum));
    for (auto& r : target_runs) res.runs.push_back(std::move(r));
  }

  for (std::size_t e = 0; e < P.epsilons.size(); ++e) {
    std::vector<double> s, r, rt, sb;
    for (const auto& t : res.targets) {
      s.push_back(double(t.s_best));
      r.push_back(t.r_min[e]);
      rt.push_back(t.rtilde_min[e]);
      sb.push_back(t.s_back[e]);
    }
    res.r_fit.push_back(fit_log_slope(s, r));
    res.rtilde_fit.push_back(fit_log_slope(s, rt));
    res.s_back_fit.push_back(fit_log_slope(s, sb));
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (stats) *stats = st;
  return res;
}

const char* to_string(sandwich_config c) {
  switch (c) {
    case sandwich_config::tiny:
      return "tiny";
    case sandwich_config::small:
      return "small";
    case sandwich_config::full:
      return "full";
  }
  return "?";
}

sandwich_config parse_sandwich_config(const std::string& name) {
  for (auto c : {sandwich_config::tiny, sandwich_config::small, sandwich_config::full})
    if (name == to_string(c)) return c;
  throw input_error("unknown sandwich configuration '" + name + "' (choices: tiny, small, full)");
}

std::vector<boolean_target> sandwich_targets(sandwich_config c) {
  std::vector<boolean_target> out;
  exact_targets_params ep;
  ep.inputs = c == sandwich_config::tiny ? 3 : 4;
  ep.max_size = c == sandwich_config::tiny ? 2 : c == sandwich_config::small ? 5 : 6;
  ep.per_size = c == sandwich_config::tiny ? 1 : c == sandwich_config::small ? 2 : 20;
  for (auto& t : exact_targets(ep)) out.push_back(std::move(t));
  if (c == sandwich_config::tiny) {
    out.push_back(family_target(target_family::parity, 3));
    return out;
  }
  const unsigned top = c == sandwich_config::small ? 7 : 12;
  for (unsigned n = 3; n <= top - 1; ++n) out.push_back(family_target(target_family::parity, n));
  for (unsigned n = 3; n <= top; n += 2) out.push_back(family_target(target_family::majority, n));
  for (unsigned n = 4; n <= top + 1; n += 2) {
    out.push_back(family_target(target_family::adder_carry, n));
    out.push_back(family_target(target_family::comparator, n));
    if (c == sandwich_config::full) out.push_back(family_target(target_family::adder_sum, n));
  }
  // Direct sums of a 3-input exact function with s* = 2 (a two-level AND).
  exact_targets_params bp;
  bp.inputs = 3;
  bp.max_size = 2;
  bp.per_size = 1;
  const auto base = exact_targets(bp).back();
  const unsigned copies = c == sandwich_config::small ? 4 : 5;
  for (unsigned m = 2; m <= copies; ++m) out.push_back(disjoint_copies(base, m));
  return out;
}

sandwich_params sandwich_default_params(sandwich_config c) {
  sandwich_params p;
  if (c == sandwich_config::tiny) {
    p.epochs = 40;
    p.lambdas = {1e-3};
    p.bits = {4};
    p.direct_script = "medium";
  } else if (c == sandwich_config::small) {
    p.lambdas = {1e-4, 1e-3, 1e-2};
    p.epochs = 200;
  } else if (c == sandwich_config::full) {
    p.widths = {16, 32};
    p.depths = {2, 4};
    p.seeds = {0, 1, 2};
    p.lambdas = {1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2};
    p.epochs = 500;
    p.bits = {3, 4, 6};
    p.deepsyn_seconds = 10;
  }
  return p;
}

std::vector<std::string> plot_loglog(const std::string& stem_str, const std::vector<loglog_series>& series,
                                     const std::string& title, const std::string& x_label,
                                     const std::string& y_label) {
  const fs::path stem = stem_str;
  const fs::path dir = stem.parent_path().empty() ? fs::path(".") : stem.parent_path();
  const std::string base = stem.filename().string();
  auto quote = [](const std::string& s) {
    std::string o = "'";
    for (char c : s) o += c == '\'' ? std::string("''") : std::string(1, c);
    return o + "'";
  };
  std::ostringstream dat, cmd;
  int block = 0;
  for (std::size_t si = 0; si < series.size(); ++si) {
    const auto& s = series[si];
    std::ostringstream rows;
    rows.precision(12);
    std::size_t count = 0;
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i]) && s.x[i] > 0 && s.y[i] > 0) {
        rows << s.x[i] << ' ' << s.y[i] << '\n';
        ++count;
      }
    if (count == 0) continue;
    dat << "# " << s.name << "\n" << rows.str() << "\n\n";
    cmd << (block == 0 ? "plot " : ", \\\n     ") << "data_file index " << block << " using 1:2 with "
        << (s.line ? "lines lw 1.5 dt " + std::to_string(si % 4 + 1) : "points pt 7 ps 0.9") << " lc "
        << si + 1 << " title " << quote(s.name);
    ++block;
  }
  if (block == 0) throw input_error(stem.string(), 0, "plot: no point with x > 0 and y > 0 to plot");
  fs::create_directories(dir);
  std::ostringstream gp;
  gp << "# Regenerate: cd <this directory> && gnuplot " << base << ".gp\n"
     << "set encoding utf8\ndata_file = " << quote(base + ".dat") << "\n"
     << "set title " << quote(title) << "\nset xlabel " << quote(x_label) << "\nset ylabel " << quote(y_label)
     << "\nset logscale xy\nset grid\nset key top left\n";
  for (const std::string f : {"png", "svg"}) {
    gp << "if (!exists(\"out_" << f << "\")) out_" << f << " = " << quote(base + "." + f) << "\n";
    gp << (f == std::string("png") ? "set terminal pngcairo size 900,640 noenhanced\n"
                                   : "set terminal svg size 900,640 noenhanced\n");
    gp << "set output out_" << f << "\n" << cmd.str() << "\nset output\n";
  }
  write_file_atomic(dir / (base + ".dat"), dat.str());
  write_file_atomic(dir / (base + ".gp"), gp.str());
  const std::string suffix = ".tmp." + std::to_string(::getpid());
  std::vector<std::string> argv = {std::getenv("OCCAM_GNUPLOT") ? std::getenv("OCCAM_GNUPLOT") : "gnuplot"};
  for (const std::string f : {"png", "svg"}) {
    argv.push_back("-e");
    argv.push_back("out_" + f + " = " + quote(base + "." + f + suffix));
  }
  argv.push_back(base + ".gp");
  const fs::path log = dir / (base + ".gnuplot.log" + suffix);
  const auto r = run_process(argv, dir, log, 60, "gnuplot", "install gnuplot (apt-get install gnuplot-nox)");
  std::error_code ec;
  if (r.status != 0) {
    for (const std::string f : {"png", "svg"}) fs::remove(dir / (base + "." + f + suffix), ec);
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    fs::remove(log, ec);
    throw input_error(stem.string(), 0, "gnuplot failed: " + ss.str());
  }
  fs::remove(log, ec);
  std::vector<std::string> files = {(dir / (base + ".gp")).string(), (dir / (base + ".dat")).string()};
  for (const std::string f : {"png", "svg"}) {
    fs::rename(dir / (base + "." + f + suffix), dir / (base + "." + f));
    files.push_back((dir / (base + "." + f)).string());
  }
  return files;
}

std::vector<std::string> write_sandwich_report(const sandwich_result& R, const sandwich_params& P,
                                               const std::string& dir_str) {
  const fs::path dir = dir_str;
  fs::create_directories(dir);
  std::vector<std::string> files;
  json j;
  j["seconds"] = R.seconds;
  j["epsilons"] = R.epsilons;
  j["params"] = {{"widths", P.widths},
                 {"depths", P.depths},
                 {"seeds", P.seeds},
                 {"lambdas", P.lambdas},
                 {"epochs", P.epochs},
                 {"lr", P.lr},
                 {"bits", P.bits},
                 {"proximal", P.proximal},
                 {"abc_script", P.abc_script},
                 {"direct_script", P.direct_script}};
  j["targets"] = json::array();
  for (const auto& t : R.targets) {
    json tj{{"name", t.name},
            {"family", t.family},
            {"inputs", t.inputs},
            {"outputs", t.outputs},
            {"s_star", t.s_star},
            {"bound", t.bound},
            {"direct_ands", t.direct_ands},
            {"s_best", t.s_best},
            {"construction_rtilde", t.construction_rtilde},
            {"construction_r", t.construction_r}};
    tj["r_min"] = json::array();
    tj["rtilde_min"] = json::array();
    tj["s_back"] = json::array();
    for (std::size_t e = 0; e < t.r_min.size(); ++e) {
      tj["r_min"].push_back(num_json(t.r_min[e]));
      tj["rtilde_min"].push_back(num_json(t.rtilde_min[e]));
      tj["s_back"].push_back(num_json(t.s_back[e]));
    }
    j["targets"].push_back(tj);
  }
  j["fits"] = json::array();
  for (std::size_t e = 0; e < R.epsilons.size(); ++e)
    j["fits"].push_back({{"epsilon", R.epsilons[e]},
                         {"log_r_min_vs_log_s", to_json(R.r_fit[e])},
                         {"log_rtilde_min_vs_log_s", to_json(R.rtilde_fit[e])},
                         {"log_s_back_vs_log_s", to_json(R.s_back_fit[e])}});
  write_file_atomic(dir / "sandwich.json", j.dump(2) + "\n");
  files.push_back((dir / "sandwich.json").string());

  std::ostringstream runs;
  runs.precision(8);
  runs << "target,penalty,width,depth,seed,lambda,l2_error,linf_error,rtilde,r,nonzero,bits,ands,circuit_l2_"
          "error\n";
  for (const auto& run : R.runs)
    for (const auto& p : run.points)
      for (std::size_t b = 0; b < p.bits.size(); ++b)
        runs << run.target << ',' << complexity::to_string(run.penalty) << ',' << run.width << ','
             << run.depth << ',' << run.seed << ',' << p.lambda << ',' << p.l2_error << ',' << p.linf_error
             << ',' << p.rtilde << ',' << p.r << ',' << p.nonzero << ',' << p.bits[b] << ',' << p.ands[b]
             << ',' << p.circuit_l2_error[b] << '\n';
  write_file_atomic(dir / "runs.csv", runs.str());
  files.push_back((dir / "runs.csv").string());

  std::ostringstream tc;
  tc.precision(8);
  tc << "target,family,inputs,outputs,s_star,bound,direct_ands,s_best,construction_rtilde,construction_r";
  for (double e : R.epsilons) tc << fmt::format(",r_min@{0},rtilde_min@{0},s_back@{0}", e);
  tc << '\n';
  for (const auto& t : R.targets) {
    tc << t.name << ',' << t.family << ',' << t.inputs << ',' << t.outputs << ',' << t.s_star << ",\""
       << t.bound << "\"," << t.direct_ands << ',' << t.s_best << ',' << t.construction_rtilde << ','
       << t.construction_r;
    for (std::size_t e = 0; e < R.epsilons.size(); ++e)
      tc << ',' << t.r_min[e] << ',' << t.rtilde_min[e] << ',' << t.s_back[e];
    tc << '\n';
  }
  write_file_atomic(dir / "targets.csv", tc.str());
  files.push_back((dir / "targets.csv").string());

  if (!report::gnuplot_available() || R.epsilons.empty()) return files;
  std::vector<double> s;
  for (const auto& t : R.targets) s.push_back(double(t.s_best));
  double smin = *std::min_element(s.begin(), s.end()), smax = *std::max_element(s.begin(), s.end());
  auto line = [&](const std::string& name, double slope, double intercept) {
    loglog_series g{name, {smin, smax}, {}, true};
    for (double v : g.x) g.y.push_back(std::exp(intercept) * std::pow(v, slope));
    return g;
  };
  auto fit_name = [](const std::string& what, const slope_fit& f) {
    return fmt::format("{} fit: slope {:.2f} [{:.2f}, {:.2f}] (n = {})", what, f.slope, f.lo, f.hi, f.n);
  };
  // P1 and P2 at every ε: each plot's file name carries the ε index (e0 = the first ε).
  for (std::size_t e = 0; e < R.epsilons.size(); ++e) {
    std::vector<loglog_series> p1;
    loglog_series rs{"R_min", s, {}, false}, rts{"R̃_min", s, {}, false},
        cs{"§7 construction R", s, {}, false};
    for (const auto& t : R.targets) {
      rs.y.push_back(t.r_min[e]);
      rts.y.push_back(t.rtilde_min[e]);
      cs.y.push_back(t.construction_r);
    }
    p1.push_back(rs);
    p1.push_back(rts);
    p1.push_back(cs);
    if (R.r_fit[e].valid)
      p1.push_back(line(fit_name("R_min", R.r_fit[e]), R.r_fit[e].slope, R.r_fit[e].intercept));
    if (R.rtilde_fit[e].valid)
      p1.push_back(
          line(fit_name("R̃_min", R.rtilde_fit[e]), R.rtilde_fit[e].slope, R.rtilde_fit[e].intercept));
    try {
      for (auto& f :
           plot_loglog((dir / fmt::format("p1_r_min_e{}", e)).string(), p1,
                       fmt::format("P1: least complexity at L2 error ≤ {} against s*", R.epsilons[e]),
                       "s* (best known AND count)", "complexity"))
        files.push_back(f);
    } catch (const input_error& err) {
      fmt::print(stderr, "sandwich: P1 at ε = {} not drawn: {}\n", R.epsilons[e], err.what());
    }
    std::vector<loglog_series> p2;
    loglog_series sb{"s_back", s, {}, false};
    for (const auto& t : R.targets) sb.y.push_back(t.s_back[e]);
    p2.push_back(sb);
    p2.push_back(line("slope 1 (s = s*)", 1, 0));
    p2.push_back(line("slope 2 (s = s*²)", 2, 0));
    if (R.s_back_fit[e].valid)
      p2.push_back(
          line(fit_name("s_back", R.s_back_fit[e]), R.s_back_fit[e].slope, R.s_back_fit[e].intercept));
    try {
      for (auto& f :
           plot_loglog((dir / fmt::format("p2_s_back_e{}", e)).string(), p2,
                       fmt::format("P2: round-trip circuit size at L2 error ≤ {} against s*", R.epsilons[e]),
                       "s* (best known AND count)", "s_back (AND nodes after ABC)"))
        files.push_back(f);
    } catch (const input_error& err) {
      fmt::print(stderr, "sandwich: P2 at ε = {} not drawn: {}\n", R.epsilons[e], err.what());
    }
  }
  return files;
}

}  // namespace occam::study
