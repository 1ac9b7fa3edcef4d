#pragma once
// Private to the convex module: the ADMM solver of the cone-constrained two-layer program (docs/convex.md).
#include "occam/convex/convex.hpp"

namespace occam::convex::detail {

/// ReLU program with cone constraints (THEORY §10, squared loss, one output) by ADMM. X: n×d, y: n×1,
/// D: n×P masks in X's dtype; `U` (d×2P: the v_i, then the w_i) is the start point and receives the solution.
void solve_relu_admm(const torch::Tensor& X, const torch::Tensor& y, const torch::Tensor& D,
                     const solve_params& params, solve_stats& st, torch::Tensor& U);

}  // namespace occam::convex::detail
