#pragma once
// The paper's ResNet, exactly THEORY §1:
//   α_0(x) = (x, 0…0, 1) ∈ R^{w+1},  α_ℓ = α_{ℓ−1} + [V_ℓ σ(W_ℓ α_{ℓ−1}); 0],  f(x) = U α_L(x).
// Storage follows the theory (W_ℓ: k×(w+1), V_ℓ: w×k, U: d_out×(w+1)); the last column of W_ℓ and U
// multiplies the constant coordinate, i.e. it is the bias. Batches are rows: x is n×d_in, α is n×(w+1).
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "occam/data/dataset.hpp"

namespace occam::nn {

struct resnet_shape {
  std::int64_t d_in = 0;
  std::int64_t width = 0;   ///< w ≥ d_in
  std::int64_t hidden = 0;  ///< k
  std::int64_t depth = 0;   ///< L
  std::int64_t d_out = 0;
  /// P: the number of parameters, L(k(w+1) + wk) + d_out(w+1).
  std::int64_t parameter_count() const;
};

struct init_params {
  /// W_ℓ ~ N(0, 2/(w+1)) (He), U ~ N(0, 1/(w+1)), V_ℓ ~ N(0, (v_scale)² / k): small residual branches (§1).
  double v_scale = 0.1;
  std::uint64_t seed = 0;
};

/// Everything a forward pass produces, for complexity measures and interval bounds (THEORY §2–3).
struct resnet_trace {
  std::vector<torch::Tensor> alpha;  ///< L+1 tensors n×(w+1), last column = 1
  std::vector<torch::Tensor> z;      ///< L tensors n×k, z_ℓ = α_{ℓ−1} W_ℓᵀ
  std::vector<torch::Tensor> a;      ///< L tensors n×k, a_ℓ = σ(z_ℓ)
  torch::Tensor out;                 ///< n×d_out
};

struct resnet {
  resnet_shape shape;
  std::vector<torch::Tensor> W;  ///< L tensors k×(w+1)
  std::vector<torch::Tensor> V;  ///< L tensors w×k
  torch::Tensor U;               ///< d_out×(w+1)
  data::task_kind kind = data::task_kind::regression;
  data::box input_box;  ///< B of the data the model was trained on (THEORY §1–3)

  /// θ in the order (W_1, V_1, …, W_L, V_L, U).
  std::vector<torch::Tensor> parameters() const;
  /// α_0: n×(w+1).
  torch::Tensor embed(const torch::Tensor& x) const;
  /// f_θ(x): n×d_out (logits for classification).
  torch::Tensor forward(const torch::Tensor& x) const;
  /// Forward pass keeping every α_ℓ, z_ℓ, a_ℓ (with the constant column materialised).
  resnet_trace forward_trace(const torch::Tensor& x) const;

  torch::Device device() const { return U.device(); }
  torch::Dtype dtype() const { return U.scalar_type(); }
  /// A deep copy on `device` with `dtype` (parameters detached, requires_grad as given).
  resnet to(torch::Device device, torch::Dtype dtype = torch::kFloat32, bool requires_grad = false) const;
  void set_requires_grad(bool on);
  std::int64_t nonzero_count() const;
};

/// A freshly initialised network (deterministic given init.seed, on CPU in float32; move with .to()).
resnet make_resnet(const resnet_shape& shape, const init_params& init = {});

/// Model files (".occam"): a text header line, one JSON line (architecture, kind, box, tensor list), then the
/// tensors as little-endian float32 in the order of parameters(). Readable without torch.
void save_model(const resnet& m, const std::string& path);
resnet load_model(const std::string& path);

}  // namespace occam::nn
