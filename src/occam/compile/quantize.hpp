#pragma once
// Fixed-point quantisation of a (pruned) ResNet (THEORY §1) for real-to-bin computation (THEORY §4), with
// an exact integer simulation (int64, no floating point) that the compiled circuit reproduces bit for
// bit (network_to_circuit.hpp). Torch-free header; see docs/compiler.md for the number formats.
//
// Number formats (all two's complement, every shift an arithmetic right shift with `rounding`):
//  * Input code u_i: Boolean data → the bit itself (u_i ∈ {0,1}); real data → the b_in-bit unsigned
//    code on the box side, x_i ≈ lo_i + step_i·u_i, step_i = (hi_i − lo_i)/(2^b_in − 1).
//    The affine map is folded into the network (α = T α', W' = W T, V' = D⁻¹V, U' = U T), so the
//    residual stream starts from the integer codes.
//  * Residual coordinate i: an activation_bits-bit integer r_i with value r_i·2^(−residual_frac[i]).
//    Start: r_i = sat(round(u_i·2^frac)) for input coordinates, 0 for the others.
//  * Layer ℓ: acc_j = bias_j + Σ_i W_ji r_i (each row's weights ≤ weight_bits bits, per-row scale
//    2^(−weight_frac[j]));  h_j = max(0, sat(round(acc_j / 2^W_shift[j]))) (activation_bits bits, one scale
//    2^(−hidden_frac) per layer);  r_i ← sat(r_i + round((Σ_j V_ij h_j) / 2^V_shift[i])) (per-row V scale).
//    Residual coordinates that are 0 on all calibration data (unused width) get weight 0 everywhere.
//  * Output: acc_o = bias_o + Σ_i U_oi r_i, value acc_o·2^(−output_frac). Binary tasks answer acc_o > 0,
//    multiclass tasks the first index of the largest acc_o, regression tasks return acc_o.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "occam/circuit/arith.hpp"
#include "occam/data/dataset.hpp"

namespace occam::nn {
struct resnet;
}

namespace occam::compile {

struct quantized_layer {
  std::vector<std::int64_t> W;       ///< hidden × width, row-major (residual coordinates only)
  std::vector<std::int64_t> W_bias;  ///< hidden: bias at its row's accumulator scale 2^(−weight_frac[j])
  std::vector<int> weight_frac;      ///< per hidden unit: scale of its W row (residual formats folded in)
  int hidden_frac = 0;               ///< scale of the hidden activations h
  std::vector<unsigned> W_shift;     ///< per hidden unit: weight_frac[j] − hidden_frac ≥ 0
  std::vector<std::int64_t> V;       ///< width × hidden, row-major (rows already scaled so shifts ≥ 0)
  std::vector<unsigned> V_shift;     ///< per residual coordinate
  std::vector<int> update_frac;      ///< per residual coordinate: scale of its V row
};

struct quantized_resnet {
  std::size_t d_in = 0, width = 0, hidden = 0, d_out = 0;
  data::task_kind kind = data::task_kind::regression;
  bool boolean_inputs = false;
  unsigned input_bits = 1;       ///< b_in (1 for Boolean inputs)
  unsigned weight_bits = 8;      ///< b_w
  unsigned activation_bits = 8;  ///< b_a: hidden activations and residual stream
  circuit::rounding_mode rounding = circuit::rounding_mode::nearest;
  std::vector<double> input_lo, input_step;  ///< real inputs: x ≈ lo + step·u
  std::vector<int> residual_frac;            ///< per residual coordinate (width)
  std::vector<quantized_layer> layers;
  std::vector<std::int64_t> U;       ///< d_out × width
  std::vector<std::int64_t> U_bias;  ///< d_out
  int output_frac = 0;
  unsigned output_bits = 0;  ///< two's-complement width that holds every acc_o (regression outputs)

  std::size_t depth() const { return layers.size(); }
  /// Non-zero integer weights (W, V, U; biases not counted).
  std::size_t nonzero_weights() const;
};

struct quantize_params {
  unsigned weight_bits = 8;      ///< b_w: largest |weight| of a matrix uses all b_w bits (incl. sign)
  unsigned activation_bits = 8;  ///< b_a
  unsigned input_bits = 8;       ///< b_in for real inputs (ignored for Boolean inputs)
  bool boolean_inputs = false;   ///< inputs are bits (the box is then taken as [0,1]^d)
  /// Fixed scale 2^(−weight_frac) for every weight row instead of the automatic choice (the default,
  /// marked by INT_MIN). Weights that do not fit weight_bits are saturated.
  int weight_frac = std::numeric_limits<int>::min();
  circuit::rounding_mode rounding = circuit::rounding_mode::nearest;
  /// Calibration (ranges of the residual stream and pre-activations) when no data is given: all 2^d
  /// Boolean inputs for d ≤ 12, else this many uniform random points of the box (plus its corners' codes).
  std::size_t calibration_samples = 4096;
  std::uint64_t seed = 0;
};

/// Quantises `net` (any device/dtype). Ranges come from `calibration` (its inputs) when given.
/// Throws input_error on bit widths outside [2, 30] (b_in in [1, 30]) or a box/shape mismatch.
quantized_resnet quantize(const nn::resnet& net, const quantize_params& params = {},
                          const data::dataset* calibration = nullptr);

/// Integer input codes (n × d_in) of float inputs (n × d_in, row-major): Boolean → x > 0.5; real →
/// clamp(round((x − lo)/step), 0, 2^b_in − 1).
std::vector<std::int64_t> encode_inputs(const quantized_resnet& q, const float* x, std::size_t n);

/// Exact integer simulation: output accumulators acc (n × d_out) for input codes (n × d_in).
std::vector<std::int64_t> simulate_quantized(const quantized_resnet& q,
                                             const std::vector<std::int64_t>& codes);
/// The decision the circuit outputs for one row of accumulators: binary → d_out bits (acc > 0),
/// multiclass → the argmax index (first of the largest), regression → the accumulators themselves.
std::vector<std::int64_t> quantized_decision(const quantized_resnet& q, const std::int64_t* acc);
/// acc · 2^(−output_frac).
std::vector<double> dequantize_outputs(const quantized_resnet& q, const std::vector<std::int64_t>& acc);

/// The float network in double precision (n × d_out), the reference for quantisation errors.
std::vector<double> float_forward(const nn::resnet& net, const float* x, std::size_t n);

struct quantization_report {
  double float_metric = 0;        ///< accuracy (classification) or MSE vs targets (regression)
  double quantized_metric = 0;    ///< the same for the quantised network
  double output_mse = 0;          ///< mean (f(x) − dequantised(x))² over rows and outputs
  double output_max_abs = 0;      ///< max |f(x) − dequantised(x)|
  double decision_agreement = 1;  ///< classification: fraction of rows with the same decision
  /// Metric drop: float − quantised accuracy, or quantised − float MSE (≥ 0 means worse).
  double drop(data::task_kind kind) const {
    return kind == data::task_kind::regression ? quantized_metric - float_metric
                                               : float_metric - quantized_metric;
  }
};
quantization_report evaluate_quantization(const nn::resnet& net, const quantized_resnet& q,
                                          const data::dataset& d);

struct bit_width_search_params {
  unsigned min_bits = 2, max_bits = 16;  ///< uniform b_w = b_a tried from min to max
  double tolerance = 0.01;               ///< allowed drop (accuracy points as a fraction, or MSE increase)
  quantize_params base;                  ///< input bits, rounding, Boolean inputs, ...
};
struct bit_width_search_result {
  bool found = false;
  unsigned bits = 0;  ///< the smallest b with drop ≤ tolerance (max_bits when none is)
  quantized_resnet q;
  quantization_report report;
  std::vector<std::pair<unsigned, double>> tried;  ///< (b, drop) for every b tried
};
/// Linear search b = min_bits, min_bits+1, ...: the first uniform width whose metric drop on `d` is within
/// the tolerance (a linear scan, since the drop need not be monotone in b). Calibrates on `d`.
bit_width_search_result choose_bit_widths(const nn::resnet& net, const data::dataset& d,
                                          const bit_width_search_params& params = {});

}  // namespace occam::compile
