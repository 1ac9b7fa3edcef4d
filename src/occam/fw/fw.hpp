#pragma once
// Frank–Wolfe over Tetrakis circuit atoms (THEORY §9, Jacot §3.3). Torch-free. See docs/fw.md.
//
// Atoms: A = { ±T_C / ν(C) }, C a circuit at a level k ∈ levels with d·(k+1) inputs (tetrakis.hpp's input
// convention) and one output decoded as ±1 ("sign" decoding), |C| ≤ max_gates AND nodes,
// ν(C) = (1 + |C|)^{1/γ}. The model is f = Σ_j w_j T_{C_j}, constrained to τ·conv(A).
// Linear minimisation oracle: with g_i = ∂L/∂f(x_i), c_v = −Σ_i g_i μ_v(x_i) over the level-k grid vertices,
// maximise |Σ_v c_v C(v)| / ν(C).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "occam/circuit/aig.hpp"
#include "occam/circuit/arith.hpp"
#include "occam/data/dataset.hpp"
#include "occam/fw/enumerate.hpp"
#include "occam/tetrakis/real_to_bin.hpp"

namespace occam::fw {

/// The circuit cost an atom's gauge charges: constant + per_gate·|C| AND nodes (THEORY §9).
struct atom_cost {
  double per_gate = 1;  ///< AND nodes per gate of C (d+1 for the real-to-bin circuit: one copy per vertex)
  double constant = 0;  ///< AND nodes independent of C (the real-to-bin location cost, Prop 7)
};
/// ν(C) = (1 + constant + per_gate·gates)^{1/γ} (THEORY §9); the default cost gives (1 + |C|)^{1/γ}.
double atom_gauge(std::size_t gates, double gamma, const atom_cost& cost = {});

/// Which circuit cost the gauge ν charges an atom at level k in d dimensions.
enum class gauge_kind {
  gates,        ///< |C|: ν = (1 + |C|)^{1/γ}
  real_to_bin,  ///< the real-to-bin circuit of T_C (Prop 7): ν = (1 + (d+1)|C| + ℓ(d, k, n))^{1/γ}
};
gauge_kind parse_gauge_kind(const std::string& name);  ///< "gates", "real-to-bin"
const char* to_string(gauge_kind g);
/// The atom cost of `kind` at level k in d dimensions with n input bits per coordinate
/// (ℓ = tetrakis::location_cost(d, k, n)).
atom_cost level_atom_cost(gauge_kind kind, std::size_t dims, unsigned level, unsigned input_bits);

// ---------------------------------------------------------------------------------------------------------
// The oracle: a weighted Boolean fitting problem on the vertices of one grid.

/// Vertex v has input pattern inputs[v] (bit i = circuit input i, m = num_inputs ≤ 63) and weight c[v].
/// Input patterns that are no vertex are don't-cares (weight 0).
struct oracle_problem {
  unsigned num_inputs = 0;
  std::vector<std::uint64_t> inputs;
  std::vector<double> weights;
};

enum class oracle_kind {
  exact,      ///< every function with ≤ max_gates AND nodes (enumerated on max_gates+1 of the inputs)
  greedy,     ///< exact up to exact_gates, then greedy AND-composition with exact small functions
  automatic,  ///< exact when max_gates ≤ exact_gates, greedy otherwise
};
oracle_kind parse_oracle_kind(const std::string& name);

struct oracle_params {
  unsigned max_gates = 3;  ///< s_max
  double gamma = 3.0;      ///< ν(C) = (1 + cost.constant + cost.per_gate·|C|)^{1/γ}
  atom_cost cost;          ///< the gauge's circuit cost (frank_wolfe sets it per level from fw_params)
  oracle_kind kind = oracle_kind::automatic;
  unsigned exact_gates = 3;    ///< greedy: the exact dictionary's gate bound
  unsigned greedy_starts = 8;  ///< greedy: the best exact functions each greedy run starts from
};

struct oracle_result {
  small_circuit circuit;                   ///< on num_inputs inputs, AIG basis
  std::size_t gates = 0;                   ///< AND count of circuit (its cost)
  double score = 0;                        ///< Σ_v c_v C(v), C(v) ∈ {−1, +1}
  double ratio = 0;                        ///< |score| / ν(gates)
  std::vector<std::uint64_t> vertex_bits;  ///< C(v) = 1 at vertex v (bitset over the vertices)
};

struct oracle_stats {
  std::uint64_t candidates = 0;  ///< functions scored
};

/// Caches the enumerated function libraries between calls (they do not depend on the weights).
class oracle {
 public:
  oracle_result solve(const oracle_problem& problem, const oracle_params& params,
                      oracle_stats* stats = nullptr);
  /// The AIG-basis library of `inputs` variables with cost ≤ gates (computed once).
  const function_library& library(unsigned inputs, unsigned gates);

 private:
  oracle_result solve_exact(const oracle_problem& p, unsigned gates, double gamma, const atom_cost& cost,
                            oracle_stats* st, std::vector<oracle_result>* top, std::size_t keep_top);
  oracle_result solve_greedy(const oracle_problem& p, const oracle_params& params, oracle_stats* st);
  std::map<std::pair<unsigned, unsigned>, std::unique_ptr<function_library>> libraries_;
  /// Greedy pools (vector<candidate>, private to fw.cpp) keyed by the vertices' input patterns.
  std::map<std::pair<unsigned, std::vector<std::uint64_t>>, std::shared_ptr<void>> pools_;
};

// ---------------------------------------------------------------------------------------------------------
// The model.

struct fw_atom {
  unsigned level = 0;
  small_circuit circuit;                   ///< d·(level+1) inputs, AIG basis, output decoded as ±1
  double weight = 0;                       ///< w_j in f = Σ_j w_j T_{C_j}
  std::vector<std::int8_t> vertex_values;  ///< C(v) ∈ {−1,+1} at the level's grid vertices (derived)
};

/// A sum of Tetrakis atoms on the box [lo, hi].
struct fw_model {
  std::size_t dims = 0;
  std::vector<double> lo, hi;
  double tau = 1, gamma = 3;
  unsigned max_gates = 0;
  gauge_kind gauge = gauge_kind::gates;  ///< the gauge the atoms' weights were divided by
  unsigned gauge_input_bits = 0;         ///< n of the real_to_bin gauge
  std::vector<fw_atom> atoms;

  /// f(x) for the rows of x (n × dims, row-major).
  std::vector<double> evaluate(const std::vector<float>& x, std::size_t n) const;
  std::vector<double> evaluate(const std::vector<double>& x, std::size_t n) const;
  /// ν(C_j) of atom j under the model's gauge (Σ_j |w_j| ν(C_j) ≤ τ).
  double atom_gauge_of(std::size_t j) const;
  /// Σ_j |C_j| (gates of the atoms).
  std::size_t atom_gates() const;
  unsigned max_level() const;
  /// Recomputes every atom's vertex_values from its circuit.
  void refresh_vertex_values();
};

/// Grid vertex number (Σ_i v_i (2^k+1)^i) ↔ coordinates, and the circuit input pattern of a vertex.
std::size_t vertex_count(std::size_t dims, unsigned level);
std::uint64_t vertex_pattern(std::size_t vertex, std::size_t dims, unsigned level);

/// Writes DIR/model.json and DIR/atoms/atom_<j>.aag (atomically).
void save_model(const fw_model& m, const std::filesystem::path& dir);
/// Reads DIR/model.json and its atoms; throws input_error on malformed files.
fw_model load_model(const std::filesystem::path& dir);

// ---------------------------------------------------------------------------------------------------------
// Frank–Wolfe.

struct fw_params {
  std::vector<unsigned> levels{1, 2, 3};  ///< grid levels k whose atoms are mixed
  double tau = 1.0;                       ///< radius of τ·conv(A)
  unsigned iterations = 100;
  bool away_steps = true;    ///< away-step Frank–Wolfe
  bool pairwise = false;     ///< pairwise steps (instead of away steps)
  double gap_tolerance = 0;  ///< stop when the duality gap is ≤ this
  oracle_params oracle;      ///< max_gates, γ, oracle kind (its cost is set per level from gauge)
  gauge_kind gauge = gauge_kind::real_to_bin;  ///< THEORY §9: the atom gauge's circuit cost
  unsigned input_bits = 10;  ///< n for the real_to_bin gauge: the compiled circuit's bits per coordinate
};

struct fw_iteration {
  unsigned iteration = 0;
  double objective = 0;   ///< L(f_t) before the step
  double gap = 0;         ///< ⟨∇L(f_t), f_t − s_t⟩ ≥ L(f_t) − L*
  std::size_t atoms = 0;  ///< active atoms after the step
  std::string step;       ///< "fw", "away", "pairwise", "drop"
  double step_size = 0;
  unsigned oracle_level = 0;
  std::size_t oracle_gates = 0;
  double seconds = 0;
};

struct fw_stats {
  std::vector<fw_iteration> log;
  double final_objective = 0;
  std::uint64_t oracle_calls = 0;
  double seconds = 0;
};

/// Minimises (1/n) Σ (f(x_i) − y_i)² over τ·conv(A) (regression data, one target). `on_iteration` (may be
/// empty) is called after each iteration. Throws input_error for unsuitable data.
fw_model frank_wolfe(const data::dataset& train, const fw_params& params, fw_stats* stats = nullptr,
                     const std::function<void(const fw_iteration&)>& on_iteration = {});

double mean_squared_error(const fw_model& m, const data::dataset& d);

// ---------------------------------------------------------------------------------------------------------
// Compilation to one AIG: the real-to-bin circuit of the model (tetrakis/real_to_bin.hpp).

struct compile_params {
  unsigned fraction_bits = 16;  ///< weights are rounded to multiples of 2^-fraction_bits
  unsigned input_bits = 10;  ///< n: coordinate i is X_i ∈ [0, 2^n), x_i = lo_i + (hi_i − lo_i) X_i / 2^n
  unsigned output_fraction_bits = 16;  ///< p: the output word counts units of 2^-p
  circuit::rounding_mode rounding = circuit::rounding_mode::nearest;
};
struct compiled_model {
  circuit::aig circuit;  ///< d·n inputs (input i·n + b = bit b of X_i), one two's-complement output word
  std::vector<unsigned> levels;                 ///< the levels of the model's atoms (one Tetrakis term each)
  std::vector<std::int64_t> quantised_weights;  ///< round(w_j 2^b), per atom
  unsigned fraction_bits = 0;
  unsigned input_bits = 0;
  unsigned output_fraction_bits = 0;
  double quantisation_bound = 0;      ///< Σ_j |w_j − q_j 2^-b|: bounds |exact T of the words − model|
  double rounding_bound = 0;          ///< max |output − exact T of the words| (real_to_bin's error bound)
  std::size_t ands = 0;               ///< AND nodes of the cleaned-up circuit (its size)
  tetrakis::real_to_bin_stats split;  ///< the size by stage (vertex_circuits = the per-level vertex sums)
  std::size_t vertex_sum_ands = 0;    ///< AND nodes of the per-level vertex sums alone (sharing inputs)
};
/// The level-k vertex sum D_k(v) = Σ_{j at level k} q_j C_j(v) (two's complement, value · 2^-b) as one AIG
/// with d·(k+1) inputs (tetrakis.hpp's vertex convention). Atoms are built with structural hashing;
/// the weights are a dot_const (CSD constant multipliers, balanced adder tree).
circuit::aig vertex_sum_circuit(const fw_model& m, unsigned level, const std::vector<std::int64_t>& q);
/// The model as one real-to-bin AIG: Σ_k T^{(k)}_{D_k} at the fixed-point input, output word Y with
/// |Y·2^-p − f(x)| ≤ quantisation_bound + rounding_bound at every input (x = the input's point).
compiled_model compile_model(const fw_model& m, const compile_params& params = {});

}  // namespace occam::fw
