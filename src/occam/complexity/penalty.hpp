#pragma once
// The training penalties (THEORY §3): weight decay, ℓ1, λ·R̃ and λ·R, named by one enum and built by one
// factory, for `occam fit`, `occam train` and λ paths.
#include <cstdint>
#include <memory>
#include <string>

#include "occam/data/dataset.hpp"
#include "occam/nn/train.hpp"

namespace occam::complexity {

struct penalty_params {
  /// Proximal mode: recompute the frozen weights every this many optimiser steps.
  std::int64_t refresh_every = 10;
  /// Rows of the minibatch used for the R̃ weights (0 = the whole minibatch).
  std::int64_t max_rows = 0;
};

/// The training penalties. none: plain training; l2: λ‖θ‖²; l1: λ‖θ‖₁ (soft-thresholded when proximal);
/// rtilde: λ·R̃ on each minibatch (THEORY §2); r: λ·R over the input box (THEORY §3).
enum class penalty_kind { none, l1, l2, rtilde, r };

/// "none", "l1", "l2", "rtilde", "r".
const char* to_string(penalty_kind k);
/// The inverse of to_string; throws input_error naming the choices for another name.
penalty_kind parse_penalty_kind(const std::string& name);

/// The penalty `kind` with weight λ, or nullptr for none (or λ = 0). For rtilde and r, proximal = false
/// gives exact gradients (R̃'s inner derivatives are explicit torch ops in the graph, so its gradient is the
/// double backward); proximal = true is re-weighted ℓ1: the weights ω_i are frozen for refresh_every steps
/// and each step is a soft-threshold θ_i ← sign(θ_i)·max(|θ_i| − lr·λ·ω_i, 0), which produces exact zeros.
/// `input_box` is R's box (unused by the others). Throws input_error for λ < 0 or NaN.
std::unique_ptr<nn::regulariser> make_penalty(penalty_kind kind, double lambda, bool proximal,
                                              const data::box& input_box, const penalty_params& ps = {});

}  // namespace occam::complexity
