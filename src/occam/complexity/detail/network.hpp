#pragma once
// Shape helpers shared by the complexity sources (private: not part of the module's API).
#include <torch/torch.h>

#include <cstdint>
#include <string>

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

}  // namespace occam::complexity::detail
