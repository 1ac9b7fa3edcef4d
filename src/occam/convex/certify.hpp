#pragma once
// Optimality certificates for the gated two-layer program over all activation patterns, and column generation
// (docs/convex.md, "Certificates"; THEORY §10).
//
// A solution U of the program over a pattern subset is optimal for the program over every pattern of the
// hyperplane arrangement iff it is optimal for its subset and every pattern D outside satisfies the zero
// group's KKT condition ‖(D X)ᵀ r‖ ≤ λ, with r = ∇ℓ(p) the loss gradient at the predictions (the dual point).
#include <torch/types.h>

#include <cstdint>

#include "occam/convex/convex.hpp"

namespace occam::convex {

enum class certificate_kind {
  exact,     ///< every pattern of the arrangement checked (enumeration), none violates
  searched,  ///< no violation found by the search (random directions + ascent); not a proof
  none       ///< a violating pattern was found: the solution is not the optimum over all patterns
};
const char* to_string(certificate_kind k);

struct certify_params {
  /// Enumerate the arrangement when its candidate count C(n, d−1)·2^d is at most this; else search.
  std::int64_t max_exact_candidates = 200000;
  std::int64_t directions = 512;  ///< random starting directions of the search
  int ascent_steps = 8;           ///< g ← (D(g) X)ᵀ r steps from each start (ascent on ‖(D X)ᵀ r‖)
  std::uint64_t seed = 1;
  double tol = 1e-4;  ///< a pattern violates when ‖(D X)ᵀ r‖ > (1 + tol) λ
};

struct certificate {
  certificate_kind kind = certificate_kind::none;
  double max_violation = 0;  ///< max over the patterns checked of ‖(D X)ᵀ r‖/λ − 1 (≤ tol when certified)
  std::int64_t checked = 0;  ///< patterns (enumerated) or directions (search) examined
  pattern_set violating;     ///< distinct violating patterns with their gates, most violated first
};

/// Checks a gated-ReLU solution (squared or logistic loss) on its data.
certificate certify_gated(const two_layer_solution& s, const torch::Tensor& X, const torch::Tensor& y,
                          const certify_params& params = {});

struct column_generation_params {
  certify_params certify;
  std::int64_t max_rounds = 10;     ///< re-solves after the first solve
  std::int64_t add_per_round = 32;  ///< most-violating patterns added each round
};
struct column_generation_stats {
  std::int64_t rounds = 0;        ///< re-solves done
  std::int64_t added = 0;         ///< patterns added in total
  double first_objective = 0;     ///< objective of the first (sampled-program) solve
  certificate final_certificate;  ///< of the returned solution
};

/// Solves the gated program on `patterns`, then while the certificate finds violating patterns adds them
/// and re-solves from the last solution (the added groups start at zero).
two_layer_solution solve_certified(const torch::Tensor& X, const torch::Tensor& y, pattern_set patterns,
                                   const solve_params& params, const column_generation_params& cg,
                                   solve_stats* stats = nullptr, column_generation_stats* cg_stats = nullptr);

}  // namespace occam::convex
