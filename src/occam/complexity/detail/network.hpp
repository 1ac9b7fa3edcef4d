#pragma once
// Shape helpers shared by the complexity sources (private: not part of the module's API).
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "occam/nn/resnet.hpp"
#include "occam/util/error.hpp"

namespace occam::complexity::detail {

inline std::int64_t width_of(const nn::resnet& m) {
  return m.U.size(1) - 1;
}
inline std::int64_t depth_of(const nn::resnet& m) {
  return static_cast<std::int64_t>(m.W.size());
}

/// Throws input_error unless W_ℓ is k×(w+1), V_ℓ is w×k and U has w+1 columns.
inline void check_model(const nn::resnet& m) {
  if (!m.U.defined()) throw input_error("complexity: the model has no read-out U");
  if (m.W.size() != m.V.size()) throw input_error("complexity: the model has different numbers of W and V");
  const auto w1 = m.U.size(1);
  for (std::size_t l = 0; l < m.W.size(); ++l) {
    if (m.W[l].dim() != 2 || m.W[l].size(1) != w1 || m.V[l].dim() != 2 || m.V[l].size(0) != w1 - 1 ||
        m.V[l].size(1) != m.W[l].size(0))
      throw input_error("complexity: layer " + std::to_string(l + 1) + " has inconsistent W/V shapes");
  }
}

/// [V_ℓ; 0]: (w+1)×k, so that the residual update leaves the constant coordinate at 1.
inline torch::Tensor padded_v(const torch::Tensor& v) {
  return torch::cat({v, torch::zeros({1, v.size(1)}, v.options().requires_grad(false))}, 0);
}

/// θ in the order (W_1, V_1, …, W_L, V_L, U): handles that share the model's storage.
inline std::vector<torch::Tensor> parameters_in_order(const nn::resnet& m) {
  std::vector<torch::Tensor> p;
  for (std::size_t l = 0; l < m.W.size(); ++l) {
    p.push_back(m.W[l]);
    p.push_back(m.V[l]);
  }
  p.push_back(m.U);
  return p;
}

/// Throws input_error unless x is a non-empty n×d_in matrix matching the model's inputs.
inline void check_inputs(const nn::resnet& m, const torch::Tensor& x) {
  if (x.dim() != 2) throw input_error("complexity: inputs must be an n×d_in matrix");
  if (x.size(0) == 0) throw input_error("complexity: no data rows");
  if (m.shape.d_in > 0 && x.size(1) != m.shape.d_in)
    throw input_error("complexity: the data have " + std::to_string(x.size(1)) +
                      " inputs, the model expects " + std::to_string(m.shape.d_in));
}

}  // namespace occam::complexity::detail
