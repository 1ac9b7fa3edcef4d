// Fixed-point quantisation of ResNets (THEORY §1, §4 real-to-bin). See quantize.hpp and docs/compiler.md.
#include "occam/compile/quantize.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "occam/nn/resnet.hpp"
#include "occam/util/error.hpp"

namespace occam::compile {
namespace {

using data::task_kind;

// The network's parameters in double precision, reparametrised on the input codes (α = T α').
struct plain_net {
  std::size_t d_in = 0, w = 0, k = 0, d_out = 0, L = 0;
  std::vector<std::vector<double>> W, V;  // W: k × (w+1), V: w × k
  std::vector<double> U;                  // d_out × (w+1)
};

std::vector<double> to_doubles(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

plain_net extract(const nn::resnet& net) {
  plain_net p;
  p.d_in = std::size_t(net.shape.d_in);
  p.w = std::size_t(net.shape.width);
  p.k = std::size_t(net.shape.hidden);
  p.d_out = std::size_t(net.shape.d_out);
  p.L = std::size_t(net.shape.depth);
  for (std::size_t l = 0; l < p.L; ++l) {
    p.W.push_back(to_doubles(net.W[l]));
    p.V.push_back(to_doubles(net.V[l]));
  }
  p.U = to_doubles(net.U);
  return p;
}

// W' = W T, V' = D⁻¹ V, U' = U T with α_i = lo_i + step_i α'_i on the input coordinates.
void reparametrise(plain_net& p, const std::vector<double>& lo, const std::vector<double>& step) {
  const std::size_t cols = p.w + 1;
  auto fold = [&](std::vector<double>& M, std::size_t rows) {
    for (std::size_t r = 0; r < rows; ++r) {
      double* row = M.data() + r * cols;
      for (std::size_t i = 0; i < p.d_in; ++i) {
        row[p.w] += row[i] * lo[i];
        row[i] *= step[i];
      }
    }
  };
  for (std::size_t l = 0; l < p.L; ++l) {
    fold(p.W[l], p.k);
    for (std::size_t i = 0; i < p.d_in; ++i)
      for (std::size_t j = 0; j < p.k; ++j) p.V[l][i * p.k + j] /= step[i];
  }
  fold(p.U, p.d_out);
}

// Float forward pass of a plain network from α_0 = (in, 0…0, 1); records max |α_i| per coordinate and
// max |z| per layer; returns the outputs.
void plain_forward(const plain_net& p, const double* in, std::vector<double>& out,
                   std::vector<double>* alpha_max, std::vector<double>* z_max) {
  std::vector<double> a(p.w + 1, 0.0), z(p.k), h(p.k);
  for (std::size_t i = 0; i < p.d_in; ++i) a[i] = in[i];
  a[p.w] = 1.0;
  auto note_alpha = [&]() {
    if (alpha_max)
      for (std::size_t i = 0; i < p.w; ++i) (*alpha_max)[i] = std::max((*alpha_max)[i], std::abs(a[i]));
  };
  note_alpha();
  for (std::size_t l = 0; l < p.L; ++l) {
    for (std::size_t j = 0; j < p.k; ++j) {
      double s = 0;
      const double* row = p.W[l].data() + j * (p.w + 1);
      for (std::size_t i = 0; i <= p.w; ++i) s += row[i] * a[i];
      z[j] = s;
      h[j] = std::max(s, 0.0);
      if (z_max) (*z_max)[l] = std::max((*z_max)[l], std::abs(s));
    }
    for (std::size_t i = 0; i < p.w; ++i) {
      double s = 0;
      const double* row = p.V[l].data() + i * p.k;
      for (std::size_t j = 0; j < p.k; ++j) s += row[j] * h[j];
      a[i] += s;
    }
    note_alpha();
  }
  out.assign(p.d_out, 0.0);
  for (std::size_t o = 0; o < p.d_out; ++o) {
    const double* row = p.U.data() + o * (p.w + 1);
    for (std::size_t i = 0; i <= p.w; ++i) out[o] += row[i] * a[i];
  }
}

// Largest f with round(max_abs · 2^f) ≤ 2^(bits−1) − 1 (so the largest magnitude uses the whole width).
int frac_for(double max_abs, unsigned bits, int fallback) {
  if (!(max_abs > 0) || !std::isfinite(max_abs)) return fallback;
  double limit = std::ldexp(1.0, int(bits) - 1) - 1;
  int f = int(std::floor(std::log2(limit / max_abs)));
  while (std::nearbyint(std::ldexp(max_abs, f)) > limit) --f;
  while (std::nearbyint(std::ldexp(max_abs, f + 1)) <= limit) ++f;
  return std::clamp(f, -40, 40);
}

std::int64_t quantize_value(double v, int frac, unsigned bits) {
  double r = std::nearbyint(std::ldexp(v, frac));
  double limit = std::ldexp(1.0, int(bits) - 1) - 1;
  return std::int64_t(std::clamp(r, -limit, limit));
}

std::int64_t quantize_unbounded(double v, int frac) {
  double r = std::nearbyint(std::ldexp(v, frac));
  const double limit = std::ldexp(1.0, 52);
  return std::int64_t(std::clamp(r, -limit, limit));
}

std::int64_t round_shift(std::int64_t v, unsigned s, circuit::rounding_mode mode) {
  if (s == 0) return v;
  if (mode == circuit::rounding_mode::nearest) v += std::int64_t(1) << (s - 1);
  return v >> s;  // arithmetic shift: floor division by 2^s
}

std::int64_t saturate(std::int64_t v, unsigned bits) {
  const std::int64_t hi = (std::int64_t(1) << (bits - 1)) - 1;
  return std::clamp(v, -hi - 1, hi);
}

unsigned bits_for_magnitude(std::int64_t bound) {  // two's-complement width holding [−bound, bound]
  unsigned b = 1;
  while (b < 63 && (std::int64_t(1) << (b - 1)) - 1 < bound) ++b;
  return b;
}

// The residual start r_i = sat(round(u·2^frac)).
std::int64_t initial_residual(std::int64_t u, int frac, unsigned bits, circuit::rounding_mode mode) {
  std::int64_t v = frac >= 0 ? u * (std::int64_t(1) << frac) : round_shift(u, unsigned(-frac), mode);
  return saturate(v, bits);
}

}  // namespace

std::size_t quantized_resnet::nonzero_weights() const {
  auto nz = [](const std::vector<std::int64_t>& v) {
    return std::size_t(std::count_if(v.begin(), v.end(), [](std::int64_t x) { return x != 0; }));
  };
  std::size_t n = nz(U);
  for (const auto& l : layers) n += nz(l.W) + nz(l.V);
  return n;
}

quantized_resnet quantize(const nn::resnet& net, const quantize_params& params,
                          const data::dataset* calibration) {
  if (params.weight_bits < 2 || params.weight_bits > 30 || params.activation_bits < 2 ||
      params.activation_bits > 30 ||
      (!params.boolean_inputs && (params.input_bits < 1 || params.input_bits > 30)))
    throw input_error("quantize: bit widths must lie in [2, 30] (input bits in [1, 30])");
  plain_net p = extract(net);
  quantized_resnet q;
  q.d_in = p.d_in;
  q.width = p.w;
  q.hidden = p.k;
  q.d_out = p.d_out;
  q.kind = net.kind;
  q.boolean_inputs = params.boolean_inputs;
  q.input_bits = params.boolean_inputs ? 1 : params.input_bits;
  q.weight_bits = params.weight_bits;
  q.activation_bits = params.activation_bits;
  q.rounding = params.rounding;
  q.input_lo.assign(p.d_in, 0.0);
  q.input_step.assign(p.d_in, 1.0);
  if (!params.boolean_inputs) {
    if (net.input_box.dims() != p.d_in)
      throw input_error("quantize: the model's input box has " + std::to_string(net.input_box.dims()) +
                        " coordinates, the network " + std::to_string(p.d_in));
    const double levels = std::ldexp(1.0, int(q.input_bits)) - 1;
    for (std::size_t i = 0; i < p.d_in; ++i) {
      q.input_lo[i] = net.input_box.lo[i];
      double span = double(net.input_box.hi[i]) - double(net.input_box.lo[i]);
      q.input_step[i] = span > 0 ? span / levels : 1.0;
    }
  }
  if (calibration && calibration->d_in != p.d_in)
    throw input_error(calibration->name, 0,
                      "calibration data has " + std::to_string(calibration->d_in) + " inputs, the network " +
                          std::to_string(p.d_in));
  reparametrise(p, q.input_lo, q.input_step);

  // Calibration codes.
  std::vector<std::int64_t> codes;
  std::size_t n_cal = 0;
  if (calibration && calibration->n > 0) {
    codes = encode_inputs(q, calibration->x.data(), calibration->n);
    n_cal = calibration->n;
  } else if (params.boolean_inputs && p.d_in <= 12) {
    n_cal = std::size_t(1) << p.d_in;
    codes.resize(n_cal * p.d_in);
    for (std::size_t m = 0; m < n_cal; ++m)
      for (std::size_t i = 0; i < p.d_in; ++i) codes[m * p.d_in + i] = (m >> i) & 1u;
  } else {
    std::mt19937_64 rng(params.seed);
    const std::int64_t top = (std::int64_t(1) << q.input_bits) - 1;
    std::uniform_int_distribution<std::int64_t> dist(0, top);
    n_cal = std::max<std::size_t>(params.calibration_samples, 2);
    codes.resize(n_cal * p.d_in);
    for (std::size_t m = 0; m < n_cal; ++m)
      for (std::size_t i = 0; i < p.d_in; ++i) codes[m * p.d_in + i] = m == 0 ? 0 : m == 1 ? top : dist(rng);
  }
  std::vector<double> alpha_max(p.w, 0.0), z_max(p.L, 0.0), in(p.d_in), out;
  for (std::size_t m = 0; m < n_cal; ++m) {
    for (std::size_t i = 0; i < p.d_in; ++i) in[i] = double(codes[m * p.d_in + i]);
    plain_forward(p, in.data(), out, &alpha_max, &z_max);
  }

  const unsigned ba = q.activation_bits, bw = q.weight_bits;
  const bool fixed_w = params.weight_frac != std::numeric_limits<int>::min();
  q.residual_frac.resize(p.w);
  for (std::size_t i = 0; i < p.w; ++i) q.residual_frac[i] = frac_for(alpha_max[i], ba, 0);

  // Coordinates never non-zero on the calibration data carry nothing: their weights are set to 0 so they
  // cannot spoil the scale of a row (THEORY §1: unused width of the residual stream).
  std::vector<bool> live(p.w);
  for (std::size_t i = 0; i < p.w; ++i) live[i] = alpha_max[i] > 0;
  // Real weight on the integer r_i of a (w+1)-column row: M_ji · 2^(−frac_i).
  auto folded = [&](const std::vector<double>& M, std::size_t r, std::size_t i) {
    return live[i] ? std::ldexp(M[r * (p.w + 1) + i], -q.residual_frac[i]) : 0.0;
  };
  auto row_max = [&](const std::vector<double>& M, std::size_t r) {
    double mx = 0;
    for (std::size_t i = 0; i < p.w; ++i) mx = std::max(mx, std::abs(folded(M, r, i)));
    return mx;
  };
  auto quantize_row = [&](const std::vector<double>& M, std::size_t r, int f, std::int64_t* Q,
                          std::int64_t& B) {
    for (std::size_t i = 0; i < p.w; ++i) Q[i] = quantize_value(folded(M, r, i), f, bw);
    B = quantize_unbounded(M[r * (p.w + 1) + p.w], f);
  };

  for (std::size_t l = 0; l < p.L; ++l) {
    quantized_layer ql;
    ql.W.assign(p.k * p.w, 0);
    ql.W_bias.assign(p.k, 0);
    ql.weight_frac.resize(p.k);
    // A row without weights (a pruned unit: bias only) takes the hidden scale; it must not limit it.
    int min_wf = std::numeric_limits<int>::max();
    std::vector<bool> has_weights(p.k);
    for (std::size_t j = 0; j < p.k; ++j) {
      double mx = row_max(p.W[l], j);
      has_weights[j] = mx > 0;
      ql.weight_frac[j] = fixed_w ? params.weight_frac : frac_for(mx, bw, 0);
      if (has_weights[j] || fixed_w) min_wf = std::min(min_wf, ql.weight_frac[j]);
    }
    ql.hidden_frac = frac_for(z_max[l], ba, 0);
    if (min_wf != std::numeric_limits<int>::max()) ql.hidden_frac = std::min(ql.hidden_frac, min_wf);
    for (std::size_t j = 0; j < p.k; ++j) {
      if (!has_weights[j] && !fixed_w) ql.weight_frac[j] = ql.hidden_frac;
      quantize_row(p.W[l], j, ql.weight_frac[j], ql.W.data() + j * p.w, ql.W_bias[j]);
    }
    ql.W_shift.resize(p.k);
    for (std::size_t j = 0; j < p.k; ++j) {
      // Keep shifts ≤ 62 (a row with tiny weights): drop its extra precision, exactly, by rescaling.
      while (ql.weight_frac[j] - ql.hidden_frac > 62) {
        --ql.weight_frac[j];
        quantize_row(p.W[l], j, ql.weight_frac[j], ql.W.data() + j * p.w, ql.W_bias[j]);
      }
      ql.W_shift[j] = unsigned(ql.weight_frac[j] - ql.hidden_frac);
    }
    ql.V.assign(p.w * p.k, 0);
    ql.V_shift.assign(p.w, 0);
    ql.update_frac.assign(p.w, 0);
    for (std::size_t i = 0; i < p.w; ++i) {
      double vmax = 0;
      for (std::size_t j = 0; j < p.k; ++j) vmax = std::max(vmax, std::abs(p.V[l][i * p.k + j]));
      int fv = fixed_w ? params.weight_frac : frac_for(vmax, bw, 0);
      // Σ_j V_ij h_j has scale 2^−(fv + hidden_frac); r_i has 2^−frac_i.
      int s = fv + ql.hidden_frac - q.residual_frac[i];
      if (s > 62) {
        fv -= s - 62;
        s = 62;
      }
      int up = 0;
      if (s < 0) {
        up = std::min(-s, 30);
        s = 0;
      }
      ql.update_frac[i] = fv;
      ql.V_shift[i] = unsigned(s);
      for (std::size_t j = 0; j < p.k; ++j)
        ql.V[i * p.k + j] = quantize_value(p.V[l][i * p.k + j], fv, bw) * (std::int64_t(1) << up);
    }
    q.layers.push_back(std::move(ql));
  }
  double umax = 0;
  for (std::size_t o = 0; o < p.d_out; ++o) umax = std::max(umax, row_max(p.U, o));
  q.output_frac = fixed_w ? params.weight_frac : frac_for(umax, bw, 0);
  q.U.assign(p.d_out * p.w, 0);
  q.U_bias.assign(p.d_out, 0);
  for (std::size_t o = 0; o < p.d_out; ++o)
    quantize_row(p.U, o, q.output_frac, q.U.data() + o * p.w, q.U_bias[o]);
  // |acc_o| ≤ |bias_o| + Σ_i |U_oi| 2^(b_a − 1).
  std::int64_t bound = 0;
  for (std::size_t o = 0; o < p.d_out; ++o) {
    std::int64_t b = std::abs(q.U_bias[o]);
    for (std::size_t i = 0; i < p.w; ++i) b += std::abs(q.U[o * p.w + i]) << (ba - 1);
    bound = std::max(bound, b);
  }
  q.output_bits = bits_for_magnitude(bound);
  return q;
}

std::vector<std::int64_t> encode_inputs(const quantized_resnet& q, const float* x, std::size_t n) {
  std::vector<std::int64_t> codes(n * q.d_in);
  const std::int64_t top = (std::int64_t(1) << q.input_bits) - 1;
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t i = 0; i < q.d_in; ++i) {
      double v = x[r * q.d_in + i];
      std::int64_t c;
      if (q.boolean_inputs) {
        c = v > 0.5 ? 1 : 0;
      } else {
        double u = std::nearbyint((v - q.input_lo[i]) / q.input_step[i]);
        c = std::int64_t(std::clamp(u, 0.0, double(top)));
      }
      codes[r * q.d_in + i] = c;
    }
  return codes;
}

std::vector<std::int64_t> simulate_quantized(const quantized_resnet& q,
                                             const std::vector<std::int64_t>& codes) {
  if (q.d_in == 0 || codes.size() % q.d_in != 0)
    throw input_error("simulate_quantized: " + std::to_string(codes.size()) + " codes for " +
                      std::to_string(q.d_in) + " inputs");
  const std::size_t n = codes.size() / q.d_in, w = q.width, k = q.hidden;
  const unsigned ba = q.activation_bits;
  std::vector<std::int64_t> out(n * q.d_out), r(w), h(k);
  for (std::size_t s = 0; s < n; ++s) {
    for (std::size_t i = 0; i < w; ++i)
      r[i] = i < q.d_in ? initial_residual(codes[s * q.d_in + i], q.residual_frac[i], ba, q.rounding) : 0;
    for (const auto& l : q.layers) {
      for (std::size_t j = 0; j < k; ++j) {
        std::int64_t acc = l.W_bias[j];
        for (std::size_t i = 0; i < w; ++i) acc += l.W[j * w + i] * r[i];
        h[j] = std::max<std::int64_t>(0, saturate(round_shift(acc, l.W_shift[j], q.rounding), ba));
      }
      for (std::size_t i = 0; i < w; ++i) {
        std::int64_t acc = 0;
        for (std::size_t j = 0; j < k; ++j) acc += l.V[i * k + j] * h[j];
        r[i] = saturate(r[i] + round_shift(acc, l.V_shift[i], q.rounding), ba);
      }
    }
    for (std::size_t o = 0; o < q.d_out; ++o) {
      std::int64_t acc = q.U_bias[o];
      for (std::size_t i = 0; i < w; ++i) acc += q.U[o * w + i] * r[i];
      out[s * q.d_out + o] = acc;
    }
  }
  return out;
}

std::vector<std::int64_t> quantized_decision(const quantized_resnet& q, const std::int64_t* acc) {
  if (q.kind == task_kind::binary) {
    std::vector<std::int64_t> d(q.d_out);
    for (std::size_t o = 0; o < q.d_out; ++o) d[o] = acc[o] > 0 ? 1 : 0;
    return d;
  }
  if (q.kind == task_kind::multiclass) {
    std::size_t best = 0;
    for (std::size_t o = 1; o < q.d_out; ++o)
      if (acc[o] > acc[best]) best = o;
    return {std::int64_t(best)};
  }
  return std::vector<std::int64_t>(acc, acc + q.d_out);
}

std::vector<double> dequantize_outputs(const quantized_resnet& q, const std::vector<std::int64_t>& acc) {
  std::vector<double> y(acc.size());
  for (std::size_t i = 0; i < acc.size(); ++i) y[i] = std::ldexp(double(acc[i]), -q.output_frac);
  return y;
}

std::vector<double> float_forward(const nn::resnet& net, const float* x, std::size_t n) {
  plain_net p = extract(net);
  std::vector<double> y(n * p.d_out), in(p.d_in), out;
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t i = 0; i < p.d_in; ++i) in[i] = x[r * p.d_in + i];
    plain_forward(p, in.data(), out, nullptr, nullptr);
    std::copy(out.begin(), out.end(), y.begin() + std::ptrdiff_t(r * p.d_out));
  }
  return y;
}

quantization_report evaluate_quantization(const nn::resnet& net, const quantized_resnet& q,
                                          const data::dataset& d) {
  if (d.d_in != q.d_in)
    throw input_error(
        d.name, 0, "data has " + std::to_string(d.d_in) + " inputs, the network " + std::to_string(q.d_in));
  quantization_report rep;
  const std::size_t n = d.n, m = q.d_out;
  if (n == 0) return rep;
  auto yf = float_forward(net, d.x.data(), n);
  auto acc = simulate_quantized(q, encode_inputs(q, d.x.data(), n));
  auto yq = dequantize_outputs(q, acc);
  for (std::size_t i = 0; i < yf.size(); ++i) {
    double e = yf[i] - yq[i];
    rep.output_mse += e * e;
    rep.output_max_abs = std::max(rep.output_max_abs, std::abs(e));
  }
  rep.output_mse /= double(yf.size());
  if (q.kind == task_kind::regression) {
    if (d.d_out != m) throw input_error(d.name, 0, "data has " + std::to_string(d.d_out) + " targets");
    for (std::size_t r = 0; r < n; ++r)
      for (std::size_t o = 0; o < m; ++o) {
        double t = d.y[r * m + o];
        rep.float_metric += (yf[r * m + o] - t) * (yf[r * m + o] - t);
        rep.quantized_metric += (yq[r * m + o] - t) * (yq[r * m + o] - t);
      }
    rep.float_metric /= double(n * m);
    rep.quantized_metric /= double(n * m);
    return rep;
  }
  std::size_t agree = 0, ok_f = 0, ok_q = 0, counted = 0;
  for (std::size_t r = 0; r < n; ++r) {
    auto dq = quantized_decision(q, acc.data() + r * m);
    if (q.kind == task_kind::binary) {
      bool all = true;
      for (std::size_t o = 0; o < m; ++o) {
        bool f = yf[r * m + o] > 0, t = d.y[r * d.d_out + o] > 0.5f;
        all = all && (f == (dq[o] != 0));
        ok_f += f == t;
        ok_q += (dq[o] != 0) == t;
        ++counted;
      }
      agree += all;
    } else {
      std::size_t bf = 0;
      for (std::size_t o = 1; o < m; ++o)
        if (yf[r * m + o] > yf[r * m + bf]) bf = o;
      std::int64_t t = std::int64_t(d.y[r * d.d_out]);
      ok_f += std::int64_t(bf) == t;
      ok_q += dq[0] == t;
      agree += std::int64_t(bf) == dq[0];
      ++counted;
    }
  }
  rep.float_metric = double(ok_f) / double(counted);
  rep.quantized_metric = double(ok_q) / double(counted);
  rep.decision_agreement = double(agree) / double(n);
  return rep;
}

bit_width_search_result choose_bit_widths(const nn::resnet& net, const data::dataset& d,
                                          const bit_width_search_params& params) {
  if (params.min_bits < 2 || params.max_bits > 30 || params.min_bits > params.max_bits)
    throw input_error("choose_bit_widths: need 2 ≤ min_bits ≤ max_bits ≤ 30");
  bit_width_search_result res;
  for (unsigned b = params.min_bits; b <= params.max_bits; ++b) {
    quantize_params qp = params.base;
    qp.weight_bits = qp.activation_bits = b;
    quantized_resnet q = quantize(net, qp, &d);
    quantization_report rep = evaluate_quantization(net, q, d);
    double drop = rep.drop(q.kind);
    res.tried.emplace_back(b, drop);
    res.bits = b;
    res.q = std::move(q);
    res.report = rep;
    if (drop <= params.tolerance) {
      res.found = true;
      break;
    }
  }
  return res;
}

}  // namespace occam::compile
