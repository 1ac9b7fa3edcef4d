#pragma once
// Neural feature repopulation (THEORY §11; the precise project definitions are in docs/nfr.md
// §"Definitions").
//
// A mass-weighted ("mean-field") MLP with hidden layers 1..L. Hidden unit j of layer l carries a mass
// m^l_j ≥ 0 with Σ_j m^l_j = 1, and every layer after the first averages its inputs with those masses:
//   h^1 = σ(W^1 x + c^1),   h^l = σ(Σ_j m^{l-1}_j W^l_{:,j} h^{l-1}_j + c^l),   f(x) = Σ_j m^L_j U_{:,j}
//   h^L_j + c.
// Storage: weight[l] is n_{l+1} × n_l (torch's [out, in]), with n_0 = d_in and n_{L+1} = d_out; so weight[0]
// is W^1 and weight[L] is U. bias[l] has n_{l+1} entries, mass[l] has n_{l+1} entries (l < L).
//
// Penalties (docs/nfr.md, D2/D3): with "lower" masses m_lo (inputs: 1/d_in) and "upper" masses m_up
// (outputs: 1/d_out) of connection matrix W = weight[l],
//   ℓ_{1,2}:  l = 0:  Σ_j m_up_j (mean_i |W_ji|)²         l ≥ 1:  Σ_i m_lo_i (Σ_j m_up_j |W_ji|)²
//   L2:       Σ_{j,i} m_up_j m_lo_i W_ji²
// Biases are not penalised. ℓ_{1,2} is 1-homogeneous in the flow variables ũ_ji = m_up_j m_lo_i W_ji and the
// masses (quadratic over linear, hence jointly convex); L2 is not, which is what the mixture check shows.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "occam/data/dataset.hpp"
#include "occam/nn/train.hpp"

namespace occam::nfr {

enum class penalty_kind { l12, l2 };
/// "l12" or "l2"; throws input_error otherwise.
penalty_kind parse_penalty(const std::string& name);
const char* to_string(penalty_kind k);

struct mlp {
  std::vector<torch::Tensor> weight;  ///< L+1 matrices, weight[l]: n_{l+1} × n_l
  std::vector<torch::Tensor> bias;    ///< L+1 vectors
  std::vector<torch::Tensor> mass;    ///< L vectors, each non-negative and summing to 1

  std::size_t depth() const { return mass.size(); }  ///< L, the number of hidden layers
  std::int64_t d_in() const { return weight.front().size(1); }
  std::int64_t d_out() const { return weight.back().size(0); }
  std::vector<std::int64_t> widths() const;  ///< n_1..n_L
  torch::Device device() const { return weight.front().device(); }
  torch::Dtype dtype() const { return weight.front().scalar_type(); }
  /// Deep copy on a device / in a dtype (masses and weights alike).
  mlp to(torch::Device device, torch::Dtype dtype) const;
  mlp clone() const { return to(device(), dtype()); }
  /// Weights and biases (the trainable parameters; masses change only through repopulation).
  std::vector<torch::Tensor> parameters() const;
};

struct init_params {
  std::uint64_t seed = 0;
  torch::Dtype dtype = torch::kFloat32;
  std::string device = "cpu";
  /// W^1 ~ N(0, 2/d_in); hidden W^l ~ N(0, 2·n_{l-1})·gain² (the mean-field average then has unit scale);
  /// U ~ N(0, gain²), so f starts at O(1/sqrt(n_L)). Biases start at 0, masses uniform.
  double gain = 1.0;
};
mlp make_mlp(std::int64_t d_in, const std::vector<std::int64_t>& hidden, std::int64_t d_out,
             const init_params& params = {});

/// Checks shapes, finiteness and that every mass vector is non-negative and sums to 1 (relative 1e-4);
/// throws input_error(what, 0, …) otherwise.
void validate(const mlp& net, const std::string& what);

/// Network outputs for a batch x (rows), n × d_out.
torch::Tensor forward(const mlp& net, const torch::Tensor& x);
/// Pre-activations z^1..z^L of the hidden layers followed by the outputs: L+1 tensors.
std::vector<torch::Tensor> preactivations(const mlp& net, const torch::Tensor& x);

/// The penalty (differentiable scalar tensor) and its per-connection-layer terms (L+1 values).
torch::Tensor penalty(const mlp& net, penalty_kind kind);
std::vector<double> layer_penalties(const mlp& net, penalty_kind kind);

// ----------------------------------------------------------------------------------------------------------
// Repopulation (THEORY §11; docs/nfr.md D4–D6).

/// q_j = a_j / sqrt(b_j + μ) with μ found by bisection so that Σ q_j = 1 (a_j ≥ 0, b_j ≥ 0, some a_j > 0).
/// This minimises Σ_j a_j²/q_j + Σ_j b_j q_j over the simplex. Units with a_j = 0 get q_j = 0.
std::vector<double> optimal_masses(const std::vector<double>& a, const std::vector<double>& b,
                                   double* mu_out = nullptr);

struct repopulate_params {
  penalty_kind penalty = penalty_kind::l12;
  /// Deeper ℓ_{1,2} layers have a convex but non-separable incoming cost: the closed form is applied to its
  /// linearisation and followed by a backtracking step (never an increase). At most this many rounds.
  int max_rounds = 50;
  double tolerance = 1e-10;  ///< stop when a round lowers the layer objective by less than this (relative)
  /// Top-down sweeps over all layers. Re-weighting layer l−1 changes layer l's incoming cost, so for L ≥ 2 a
  /// further sweep can lower the penalty again (block-coordinate descent; each sweep never increases it).
  int sweeps = 1;
};

struct repopulate_stats {
  double penalty_before = 0, penalty_after = 0;
  std::vector<int> rounds;  ///< per hidden layer (index l-1), rounds used (last sweep)
  std::vector<std::int64_t>
      dropped_units;  ///< per hidden layer, units whose new mass is 0 (after the last sweep)
};

/// Re-weighting, top-down (layer L first): masses become the optimal q of each layer and the outgoing
/// weights of unit j are multiplied by m_j/q_j, so the function is unchanged (up to float rounding) and the
/// penalty never increases.
mlp reweight(const mlp& net, const repopulate_params& params = {}, repopulate_stats* stats = nullptr);

/// Resampling of hidden layer `layer` (1-based, 1..L): n units drawn i.i.d. from the distribution `p` (one
/// entry per unit, summing to 1; empty: the layer's own masses), each copy with mass 1/n, its incoming
/// weights and bias, and outgoing weights multiplied by m_j/p_j (THEORY's "divided by n q_j" for the flows
/// m_j W_kj). The next layer's pre-activations (for layer L: the outputs) are unbiased.
mlp resample_layer(const mlp& net, std::size_t layer, std::int64_t n, const std::vector<double>& p,
                   std::uint64_t seed);

// ----------------------------------------------------------------------------------------------------------
// Mixtures (docs/nfr.md D7).

/// The concatenation of a and b (same d_in, d_out, depth) with masses (1−t)·m^a and t·m^b in every hidden
/// layer, block-diagonal hidden weights W^a/(1−t), W^b/t and output bias (1−t)c^a + t c^b. Its outputs are
/// (1−t) f_a + t f_b and its ℓ_{1,2} penalty is (1−t) R(a) + t R(b), exactly. t = 0 / 1 return a / b.
mlp concatenate(const mlp& a, const mlp& b, double t);

// ----------------------------------------------------------------------------------------------------------
// Data, losses, training.

// Devices, data tensors and losses are the trainer's (occam/nn/train.hpp), shared by every torch module.
using nn::data_loss;
using nn::inputs_tensor;
using nn::parse_device;
using nn::targets_tensor;

enum class optimizer_kind { adam, sgd, langevin };
optimizer_kind parse_optimizer(const std::string& name);
const char* to_string(optimizer_kind k);

struct epoch_record {
  std::int64_t epoch = 0;  ///< 1-based
  double loss = 0;         ///< mean data loss over the epoch's minibatches
  double penalty = 0;      ///< penalty at the end of the epoch
  double seconds = 0;      ///< wall time of the epoch
  bool repopulated = false;
};

struct train_params {
  std::int64_t epochs = 20;
  std::int64_t batch = 128;
  /// Adam: a relative step — each weight matrix moves by about lr × its RMS per step, biases by lr (D8).
  /// SGD / Langevin: the mean-field step — each parameter's gradient is divided by the masses it is
  /// multiplied with (m_up·m_lo), so a unit moves at a speed independent of the width.
  double lr = 1e-2;
  optimizer_kind optimizer = optimizer_kind::adam;
  penalty_kind penalty = penalty_kind::l12;
  double lambda = 0;       ///< objective = data loss + λ·penalty
  double temperature = 0;  ///< Langevin: each step adds N(0, 2·lr·temperature) to every parameter
  std::uint64_t seed = 0;  ///< minibatch order and Langevin noise
  /// Re-weight (reweight()) every this many epochs (0: never): "alternating training and repopulation".
  std::int64_t repopulate_every = 0;
  bool output_only = false;  ///< train U and c only (hidden features frozen)
  bool progress = true;      ///< progress bar (drawn only on a terminal)
  std::function<void(const epoch_record&)> on_epoch;
};

struct train_stats {
  std::int64_t epochs = 0;
  double seconds = 0;
  double loss = 0, penalty = 0;  ///< last epoch
  std::int64_t repopulations = 0;
};

/// Trains `net` in place on (x, y). Masses stay fixed except at repopulations.
train_stats train(mlp& net, const torch::Tensor& x, const torch::Tensor& y, data::task_kind kind,
                  const train_params& params);

struct eval_result {
  double loss = 0;
  double accuracy = -1;  ///< −1 for regression; binary: every output thresholded at 0
  double penalty = 0;
  double objective = 0;  ///< loss + λ·penalty
};
eval_result evaluate(const mlp& net, const torch::Tensor& x, const torch::Tensor& y, data::task_kind kind,
                     penalty_kind penalty, double lambda, std::int64_t batch = 8192);

// ----------------------------------------------------------------------------------------------------------
// Files: a torch archive with keys nfr_format (= 1), depth, weight_l, bias_l, mass_l. Written atomically.

void save_mlp(const mlp& net, const std::string& path);
/// Throws input_error(path, 0, …) for a missing, unreadable or inconsistent file. Loads onto the CPU.
mlp load_mlp(const std::string& path);

}  // namespace occam::nfr
