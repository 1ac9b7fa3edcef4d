#pragma once
// The multilevel decomposition of a grid function into Tetrakis functions (Jacot Prop 8; THEORY §6
// "Multilevel decomposition"). Torch-free. See docs/tetrakis.md.
//
// A function sampled on the level-K grid {0..2^K}^d is written as the telescoping sum
//   f = I_{k0} f + Σ_{k=k0+1}^{K} (I_k f − I_{k−1} f),
// I_k f the level-k Tetrakis interpolant of f's values at the level-k vertices (a level-k vertex w is the
// level-K vertex w·2^{K−k}). Because the level-k triangulation refines level k−1, the difference
// I_k f − I_{k−1} f is the level-k Tetrakis function of δ_k(w) = f(w) − (I_{k−1} f)(w), which is zero at the
// level-(k−1) vertices. The sum equals I_K f everywhere, hence f at every level-K vertex.
//
// Vertex numbering (as fw::vertex_count): level-k vertex w has number Σ_i w_i (2^k + 1)^i.
#include <cstddef>
#include <vector>

namespace occam::tetrakis {

struct decomposition_params {
  unsigned coarsest_level = 0;  ///< k0: the first term is I_{k0} f itself
};

struct decomposition_stats {
  std::size_t vertices = 0;        ///< level-K vertices read
  std::size_t interpolations = 0;  ///< evaluations of I_{k−1} f at level-k vertices
};

struct level_term {
  unsigned level = 0;
  std::vector<double> values;  ///< vertex values at the level-k vertices (δ_k, or f for the first term)
  double sup_norm = 0;         ///< max_w |values[w]| = sup of the term's Tetrakis function
};

struct multilevel_decomposition {
  std::size_t dims = 0;
  unsigned finest_level = 0;      ///< K
  std::vector<level_term> terms;  ///< levels k0, k0+1, …, K
  /// Σ_k T^{(k)}(u) at a point u in level-K grid units (clamped to [0, 2^K]^d).
  double evaluate(const double* u) const;
};

/// Number of vertices of the level-k grid in d dimensions, (2^k + 1)^d (throws input_error above 2^26).
std::size_t grid_vertex_count(std::size_t dims, unsigned level);

/// The decomposition of `values` (the level-K vertex values, vertex numbering above). Throws input_error
/// when values.size() != (2^K + 1)^d or k0 > K.
multilevel_decomposition decompose(const std::vector<double>& values, std::size_t dims, unsigned finest_level,
                                   const decomposition_params& params = {},
                                   decomposition_stats* stats = nullptr);

}  // namespace occam::tetrakis
