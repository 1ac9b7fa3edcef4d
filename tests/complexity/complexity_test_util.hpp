#pragma once
// Random networks, boxes and samples shared by the complexity tests (double precision).
#include <torch/torch.h>

#include <cstdint>

#include "occam/data/dataset.hpp"
#include "occam/data/rng.hpp"
#include "occam/nn/resnet.hpp"

namespace occam::test_support {

/// A random THEORY §1 ResNet in double precision with non-trivial biases and residual branches.
inline nn::resnet random_net(std::int64_t d_in, std::int64_t w, std::int64_t k, std::int64_t L,
                             std::int64_t d_out, std::uint64_t seed, double v_scale = 0.8) {
  nn::resnet_shape s{d_in, w, k, L, d_out};
  nn::init_params ip;
  ip.seed = seed;
  ip.v_scale = v_scale;
  auto m = nn::make_resnet(s, ip).to(torch::kCPU, torch::kDouble);
  auto gen = at::detail::createCPUGenerator(seed + 1000);
  for (auto& W : m.W) W.select(1, w).copy_(torch::randn({k}, gen, torch::kDouble) * 0.3);
  m.U.select(1, w).copy_(torch::randn({d_out}, gen, torch::kDouble) * 0.3);
  return m;
}

inline data::box random_box(std::int64_t d_in, data::rng& g) {
  data::box b;
  for (std::int64_t i = 0; i < d_in; ++i) {
    double lo = 2 * g.uniform() - 1.5, hi = lo + 0.1 + 2 * g.uniform();
    b.lo.push_back(float(lo));
    b.hi.push_back(float(hi));
  }
  return b;
}

/// n points uniform in the box plus (when corners) the box's corners cycled in.
inline torch::Tensor sample_box(const data::box& b, std::int64_t n, data::rng& g, bool corners = true) {
  const auto d = static_cast<std::int64_t>(b.dims());
  auto x = torch::empty({n, d}, torch::kDouble);
  auto acc = x.accessor<double, 2>();
  for (std::int64_t r = 0; r < n; ++r)
    for (std::int64_t i = 0; i < d; ++i) {
      double t = corners && r % 3 == 0 ? double((r / 3 >> i) & 1) : g.uniform();
      acc[r][i] = b.lo[i] + t * (double(b.hi[i]) - double(b.lo[i]));
    }
  return x;
}

}  // namespace occam::test_support
