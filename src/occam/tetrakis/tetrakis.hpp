#pragma once
// The Tetrakis triangulation of the grid {0, 1, …, 2^k}^d and the Tetrakis function T_C of a circuit
// (THEORY §6, Jacot §3.3). Torch-free.
//
// Coordinates "in grid units" are u ∈ [0, 2^k]^d; a point x of the box B = Π [lo_i, hi_i] maps to
// u_i = 2^k (x_i − lo_i) / (hi_i − lo_i) (grid vertex v ↦ lo + (hi − lo) v / 2^k). Points outside the box are
// clamped onto it (T_C is extended constantly along the normal directions).
//
// Circuit interface (project definition, docs/tetrakis.md): a circuit for level k in d dimensions has
// d·(k+1) inputs; input i·(k+1) + b is bit b (LSB first) of vertex coordinate v_i ∈ {0..2^k} (k+1 bits, so
// 2^k itself is representable). Its outputs are decoded by `decoding` into one real value dec(C(v)).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "occam/circuit/aig.hpp"

namespace occam::tetrakis {

/// How the output bits of a circuit become a real number (THEORY §4 "real-to-bin": two's complement with a
/// scale). dec is affine in the output bits: dec = offset + Σ_b coefficient_b · bit_b.
struct decoding {
  enum class kind {
    twos_complement,  ///< scale · (Σ_{b<m−1} 2^b bit_b − 2^{m−1} bit_{m−1}), m outputs, bit 0 = output 0
    unsigned_fixed,  ///< scale · Σ_b 2^b bit_b
    sign,            ///< one output: scale · (2·bit − 1) ∈ {−scale, +scale}
  };
  kind mode = kind::twos_complement;
  double scale = 1.0;
};
/// "twos" / "twos_complement", "unsigned", "sign" (throws input_error otherwise).
decoding::kind parse_decoding(const std::string& name);
const char* to_string(decoding::kind k);

/// The affine form of dec for m outputs: dec(bits) = offset + Σ_b coefficients[b] · bits[b].
struct affine_decoding {
  double offset = 0;
  std::vector<double> coefficients;
};
/// Throws input_error when mode == sign and m != 1, or m == 0.
affine_decoding affine_form(const decoding& dec, std::size_t num_outputs);

/// A located point: the d+1 vertices (grid coordinates) of its simplex and the barycentric weights μ_j.
struct simplex {
  std::size_t d = 0;
  std::vector<std::int64_t> even, odd;  ///< e_i (nearest even), o_i (nearest odd, kept inside the grid)
  std::vector<double> t;                ///< t_i = |u_i − e_i| ∈ [0, 1]
  std::vector<std::uint32_t> order;     ///< π: t_{π(1)} ≥ … ≥ t_{π(d)} (ties: lower index first)
  std::vector<double> weights;          ///< μ_0..μ_d
  /// Vertex j, coordinate i: o_i if i is among π(1..j), else e_i.
  std::int64_t vertex(std::size_t j, std::size_t i) const;
  std::vector<std::int64_t> vertex(std::size_t j) const;
};

/// THEORY §6 simplex location for u in grid units at level k (u is clamped to [0, 2^k]^d first).
/// Reuses `out`'s buffers: no allocation after the first call with a given d.
void locate(const double* u, std::size_t d, unsigned level, simplex& out);
simplex locate(const std::vector<double>& u, unsigned level);

/// The piecewise-linear interpolant on the level-k Tetrakis triangulation of the vertex values f(v):
/// Σ_j μ_j(u) f(v_j(u)). (T_C is this with f = dec ∘ C; the tests use it with affine f and for refinement.)
double interpolate(const double* u, std::size_t d, unsigned level,
                   const std::function<double(const std::int64_t* vertex)>& f);

/// Box → grid units and back (THEORY §6: the grid mapped affinely onto B).
struct grid_map {
  unsigned level = 0;
  std::vector<double> lo, hi;
  std::size_t dims() const { return lo.size(); }
  /// u_i = 2^k (x_i − lo_i)/(hi_i − lo_i), clamped to [0, 2^k].
  void to_grid(const double* x, double* u) const;
  double vertex_coordinate(std::size_t i, std::int64_t v) const;
  /// The unit box [0,1]^d (the CLI default).
  static grid_map unit(std::size_t d, unsigned level);
};

/// Vertex ↔ circuit inputs: bit b of coordinate i is input i·(k+1) + b.
std::size_t input_count(std::size_t d, unsigned level);
void vertex_to_bits(const std::int64_t* vertex, std::size_t d, unsigned level, std::vector<bool>& bits);
std::vector<std::int64_t> bits_to_vertex(const std::vector<bool>& bits, std::size_t d, unsigned level);

struct tetrakis_stats {
  std::size_t points = 0;
  std::size_t circuit_evaluations = 0;  ///< points · (d+1) vertex evaluations (bit-parallel)
};

/// T_C(x) = Σ_j μ_j(x) dec(C(v_j(x))) for the rows of `x` (n × d, row-major, in the box of `map`).
/// Throws input_error when C does not have d·(k+1) inputs or the decoding does not fit its outputs.
std::vector<double> tetrakis_function(const circuit::aig& c, const grid_map& map, const decoding& dec,
                                      const std::vector<double>& x, tetrakis_stats* stats = nullptr);
/// dec(C(v)) at one grid vertex.
double vertex_value(const circuit::aig& c, const std::int64_t* vertex, std::size_t d, unsigned level,
                    const decoding& dec);

}  // namespace occam::tetrakis
