#pragma once
// And-inverter graphs (THEORY §4): the project's canonical circuit form. Torch-free.
//
// Nodes are numbered in topological order: node 0 is the constant false, every other node is either a
// primary input or a two-input AND whose fan-ins are literals of earlier nodes. A literal is
// 2*node + complement (the AIGER convention), so literal 0 is false and literal 1 is true.
// create_and() hashes structurally (the same normalised fan-in pair gives the same node) and propagates
// constants and trivial cases (a&a = a, a&!a = 0, a&0 = 0, a&1 = a), as ABC's strash does.
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace occam::circuit {

using literal = std::uint32_t;
using node_id = std::uint32_t;

constexpr literal lit_false = 0;
constexpr literal lit_true = 1;

constexpr literal make_lit(node_id n, bool complemented = false) {
  return (n << 1) | literal(complemented);
}
constexpr node_id lit_node(literal l) {
  return l >> 1;
}
constexpr bool lit_complemented(literal l) {
  return (l & 1u) != 0;
}
constexpr literal lit_not(literal l) {
  return l ^ 1u;
}
constexpr literal lit_regular(literal l) {
  return l & ~1u;
}
/// `l` complemented when `c` is true.
constexpr literal lit_not_cond(literal l, bool c) {
  return l ^ literal(c);
}

class aig {
 public:
  aig();

  // --- construction -------------------------------------------------------------------------------
  /// A new primary input (optionally named, for AIGER symbol tables / BLIF / Verilog).
  literal create_pi(const std::string& name = {});
  /// A new primary output driven by `f`.
  void create_po(literal f, const std::string& name = {});
  literal create_and(literal a, literal b);
  literal create_nand(literal a, literal b) { return lit_not(create_and(a, b)); }
  literal create_or(literal a, literal b) { return lit_not(create_and(lit_not(a), lit_not(b))); }
  literal create_nor(literal a, literal b) { return create_and(lit_not(a), lit_not(b)); }
  /// a XOR b as !(a & b) & !(!a & !b): three AND nodes, the pattern xor_and_count() recognises.
  literal create_xor(literal a, literal b);
  literal create_xnor(literal a, literal b) { return lit_not(create_xor(a, b)); }
  /// s ? t : e  (three AND nodes: !( s & t)' etc.; constant and equal cases fold).
  literal create_mux(literal s, literal t, literal e);
  /// Majority of three: (a&b) | (a&c) | (b&c) written as (a&b) | (c&(a|b)).
  literal create_maj(literal a, literal b, literal c);
  static literal create_not(literal a) { return lit_not(a); }
  literal get_constant(bool value) const { return value ? lit_true : lit_false; }

  // --- structure ----------------------------------------------------------------------------------
  std::size_t num_nodes() const { return fanin0_.size(); }  ///< constant + inputs + ANDs
  std::size_t num_pis() const { return pis_.size(); }
  std::size_t num_pos() const { return pos_.size(); }
  /// AND nodes stored (including dangling ones; cleanup() removes those).
  std::size_t num_ands() const { return num_nodes() - 1 - num_pis(); }
  bool is_constant(node_id n) const { return n == 0; }
  bool is_pi(node_id n) const { return n != 0 && fanin0_[n] == pi_marker; }
  bool is_and(node_id n) const { return n != 0 && fanin0_[n] != pi_marker; }
  /// Fan-ins of an AND node; fanin0 >= fanin1 (normalised order).
  literal fanin0(node_id n) const { return fanin0_[n]; }
  literal fanin1(node_id n) const { return fanin1_[n]; }
  literal pi(std::size_t i) const { return make_lit(pis_[i]); }
  node_id pi_node(std::size_t i) const { return pis_[i]; }
  literal po(std::size_t i) const { return pos_[i]; }
  void set_po(std::size_t i, literal f) { pos_[i] = f; }
  const std::vector<literal>& pos() const { return pos_; }
  /// Index of a PI node among the inputs (for a PI node n).
  std::size_t pi_index(node_id n) const { return pi_index_[n]; }

  const std::string& pi_name(std::size_t i) const { return pi_names_[i]; }
  const std::string& po_name(std::size_t i) const { return po_names_[i]; }
  void set_pi_name(std::size_t i, std::string name) { pi_names_[i] = std::move(name); }
  void set_po_name(std::size_t i, std::string name) { po_names_[i] = std::move(name); }
  /// Free text (the AIGER comment section).
  std::string comment;

  /// Raw fan-in arrays (for the simulator's inner loop). Entries of PIs and the constant are
  /// placeholders.
  const std::vector<literal>& fanin0_array() const { return fanin0_; }
  const std::vector<literal>& fanin1_array() const { return fanin1_; }

  static constexpr literal pi_marker = 0xFFFFFFFFu;

 private:
  std::vector<literal> fanin0_, fanin1_;
  std::vector<node_id> pis_;
  std::vector<std::size_t> pi_index_;
  std::vector<literal> pos_;
  std::vector<std::string> pi_names_, po_names_;
  std::unordered_map<std::uint64_t, node_id> strash_;
};

// --- measurements (THEORY §4) ------------------------------------------------------------------------

/// Level of every node: PIs and the constant are level 0, an AND is 1 + the larger fan-in level.
std::vector<std::uint32_t> compute_levels(const aig& g);
/// Longest AND path from an input to an output (ABC's "lev").
std::uint32_t depth(const aig& g);
/// The AND (is_and) or OR of `operands` as a balanced tree of two-input nodes (depth ⌈log2 n⌉); the empty
/// AND is true, the empty OR false.
literal balanced_tree(aig& g, std::vector<literal> operands, bool is_and);
/// Nodes in the transitive fan-in of the outputs (index = node id).
std::vector<bool> reachable_nodes(const aig& g);

struct aig_statistics {
  std::size_t inputs = 0, outputs = 0;
  std::size_t ands = 0;         ///< AND nodes reachable from the outputs = circuit size (THEORY §4)
  std::size_t stored_ands = 0;  ///< AND nodes stored (ands + dangling)
  std::uint32_t depth = 0;      ///< levels, as ABC's "lev"
  std::size_t gates_and = 0;    ///< {AND, OR, NOT} circuit, see and_or_not_count()
  std::size_t gates_or = 0;
  std::size_t gates_not = 0;
  std::size_t gates_total() const { return gates_and + gates_or + gates_not; }
  std::size_t xor_aig_nodes = 0;  ///< nodes of the XOR-AIG (AND + XOR2), see xor_aig_count()
  std::size_t xor_aig_xors = 0;   ///< of which XOR2 nodes
};

/// The paper's fan-in-2 {AND, OR, NOT} circuit for the reachable part of `g`. How it is counted:
///  * Every reachable AND node becomes exactly one two-input gate.
///  * Going from the outputs towards the inputs, an AND node n = AND(!x, !y) (both fan-ins complemented)
///    whose every reference (by an output or a gate built so far) wants !n is emitted as the OR gate
///    !n = x | y (De Morgan), and then references x and y uncomplemented. Otherwise n is an AND gate and
///    references its fan-in nodes with the fan-in literals' polarities.
///  * One shared NOT gate per node (input or AND gate) that some reference wants complemented.
///  * Constants are free (an output tied to 0 or 1 costs nothing).
/// The result is an upper bound on the least {AND, OR, NOT} circuit of the same AIG structure.
struct gate_count {
  std::size_t ands = 0, ors = 0, nots = 0;
  std::size_t total() const { return ands + ors + nots; }
};
gate_count and_or_not_count(const aig& g);

/// XOR-AIG size, for settings where XOR2 gates cost one node (IWLS "XAIG" counts). A node
/// n = AND(!p, !q) with p = AND(x, y), q = AND(!x, !y) (n = x XOR y), or with p = AND(x, !y),
/// q = AND(!x, y) (n = x XNOR y), is an XOR2 of x and y. The count is the number of AND and XOR2 nodes
/// reachable from the outputs when XOR2 nodes reference x and y instead of p and q (so p and q cost
/// something only if something else still uses them).
struct xor_count {
  std::size_t nodes = 0, xors = 0;
};
xor_count xor_aig_count(const aig& g);

aig_statistics statistics(const aig& g);

/// Copy without dangling AND nodes (those outside the outputs' fan-in), re-hashed; inputs, outputs,
/// names and comment are kept. Node order stays topological.
aig cleanup(const aig& g);

}  // namespace occam::circuit
