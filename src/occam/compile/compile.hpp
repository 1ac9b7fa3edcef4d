#pragma once
// Exact constructions of ReLU ResNets (THEORY §1 architecture) from circuits:
//   * circuit_to_network — THEORY §7 (Jacot Prop. 12): ±1 encoding, AND = min, NOT = negation, one residual
//     block per circuit level, each AND gate's value written into a fresh coordinate of the residual stream
//     with min(a,b) = b − σ(b − a), b = σ(b) − σ(−b) (three ReLUs per gate);
//   * tetrakis_to_network — THEORY §8 (Jacot Prop. 13): the Tetrakis function T_C of THEORY §6 as a ResNet.
// Both first build a `sparse_network` (the same maths, stored sparsely: a 10k-gate circuit is a ~10k-wide
// network whose dense matrices are mostly zeros), which evaluates itself in double precision without torch,
// then `to_resnet` materialises the dense nn::resnet that nn::save_model writes.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "occam/circuit/aig.hpp"
#include "occam/nn/resnet.hpp"
#include "occam/tetrakis/tetrakis.hpp"

namespace occam::compile {

/// coordinate index `constant_coordinate` is α's last coordinate (fixed to 1: the bias).
constexpr std::uint32_t constant_coordinate = 0xFFFFFFFFu;

struct sparse_term {
  std::uint32_t coord = 0;
  double coef = 0;
};

/// One hidden ReLU of a block: pre-activation Σ in·α (a row of W_ℓ), output added to α via `out` (a column of
/// V_ℓ).
struct sparse_neuron {
  std::vector<sparse_term> in;
  std::vector<sparse_term> out;
};

/// A THEORY §1 ResNet stored sparsely. Coordinates 0..d_in−1 are the inputs (α_0 = (x, 0…0, 1)).
struct sparse_network {
  std::size_t d_in = 0;
  std::size_t width = 0;                           ///< w (coordinates, without the constant one)
  std::vector<std::vector<sparse_neuron>> blocks;  ///< L blocks
  std::vector<std::vector<sparse_term>> outputs;   ///< rows of U
  std::size_t d_out() const { return outputs.size(); }
  std::size_t hidden() const;              ///< k = the largest block
  std::size_t neurons() const;             ///< Σ over blocks
  std::size_t nonzero_parameters() const;  ///< non-zeros of (W, V, U)
  /// Parameter count of the dense nn::resnet: L(k(w+1) + wk) + d_out(w+1).
  double dense_parameters() const;
  /// f(x) for one input (d_in values), in double precision, following THEORY §1 block by block.
  std::vector<double> evaluate(const double* x) const;
};

struct materialise_params {
  torch::Dtype dtype = torch::kFloat32;  ///< the model format stores float32; tests use kFloat64
  /// Refuse (input_error) to build a dense network with more parameters than this (memory guard).
  double max_dense_parameters = 2e8;
};
/// The dense nn::resnet (regression kind) with input box `box`.
nn::resnet to_resnet(const sparse_network& s, const data::box& box, const materialise_params& ps = {});

// ---------------------------------------------------------------------------------------------------------
// THEORY §7

struct circuit_network_stats {
  std::size_t ands = 0;    ///< AND gates after cleanup (dangling ones dropped)
  std::size_t levels = 0;  ///< circuit depth = residual blocks
  std::size_t width = 0, hidden = 0, blocks = 0;
  std::size_t neurons = 0, nonzero_parameters = 0;
  double dense_parameters = 0;
};

/// The ResNet of THEORY §7: input i is PI i in ±1 encoding (false = −1, true = +1), output o is PO o in ±1
/// encoding; exact on {−1,+1}^n and positively homogeneous (λ·bits ↦ λ·outputs, λ ≥ 0). Constant outputs
/// become ±λ with λ = |x_0| = σ(x_0) + σ(−x_0) (±1 when the circuit has no inputs).
sparse_network circuit_to_network(const circuit::aig& c, circuit_network_stats* stats = nullptr);

// ---------------------------------------------------------------------------------------------------------
// THEORY §8

struct tetrakis_network_stats {
  std::size_t ands = 0, levels = 0;
  std::size_t sorting_comparators = 0, sorting_layers = 0;
  std::size_t stage1_blocks = 0, stage2_blocks = 0, stage3_blocks = 0;
  std::size_t width = 0, hidden = 0, blocks = 0;
  std::size_t neurons = 0, nonzero_parameters = 0;
  double dense_parameters = 0;
};

/// The ResNet of THEORY §8 computing T_C(x) (one output) on the box of `map`, continuous and exact up to
/// rounding; points outside the box are clamped onto it exactly as tetrakis::tetrakis_function does.
sparse_network tetrakis_to_network(const circuit::aig& c, const tetrakis::grid_map& map,
                                   const tetrakis::decoding& dec, tetrakis_network_stats* stats = nullptr);

/// Batcher's odd–even merge sort for n wires, as layers of disjoint compare-exchanges (i < j: afterwards
/// wire i holds the larger value). Used by stage 2 of THEORY §8.
std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> sorting_network(std::size_t n);

}  // namespace occam::compile
