// AIG construction, structural hashing and the THEORY §4 measurements (size, depth, {AND,OR,NOT} gates,
// XOR-AIG size).
#include "occam/circuit/aig.hpp"

#include <algorithm>
#include <stdexcept>

namespace occam::circuit {

aig::aig() {
  fanin0_.push_back(0);  // node 0: constant false
  fanin1_.push_back(0);
  pi_index_.push_back(0);
}

literal aig::create_pi(const std::string& name) {
  node_id n = static_cast<node_id>(fanin0_.size());
  fanin0_.push_back(pi_marker);
  fanin1_.push_back(pi_marker);
  pi_index_.push_back(pis_.size());
  pis_.push_back(n);
  pi_names_.push_back(name);
  return make_lit(n);
}

void aig::create_po(literal f, const std::string& name) {
  if (lit_node(f) >= num_nodes())
    throw std::logic_error("aig::create_po: literal of a node that does not exist");
  pos_.push_back(f);
  po_names_.push_back(name);
}

literal aig::create_and(literal a, literal b) {
  if (lit_node(a) >= num_nodes() || lit_node(b) >= num_nodes())
    throw std::logic_error("aig::create_and: literal of a node that does not exist");
  if (a < b) std::swap(a, b);  // normalised order: fanin0 >= fanin1
  // Trivial cases (b is the smaller literal, so constants show up in b).
  if (b == lit_false) return lit_false;
  if (b == lit_true) return a;
  if (a == b) return a;
  if (a == lit_not(b)) return lit_false;
  std::uint64_t key = (std::uint64_t(a) << 32) | b;
  auto it = strash_.find(key);
  if (it != strash_.end()) return make_lit(it->second);
  node_id n = static_cast<node_id>(fanin0_.size());
  if (n >= (1u << 31) - 1) throw std::length_error("aig: more than 2^31 nodes");
  fanin0_.push_back(a);
  fanin1_.push_back(b);
  pi_index_.push_back(0);
  strash_.emplace(key, n);
  return make_lit(n);
}

literal aig::create_xor(literal a, literal b) {
  literal p = create_and(a, b);
  literal q = create_and(lit_not(a), lit_not(b));
  return create_and(lit_not(p), lit_not(q));
}

literal aig::create_mux(literal s, literal t, literal e) {
  if (t == e) return t;
  return create_or(create_and(s, t), create_and(lit_not(s), e));
}

literal aig::create_maj(literal a, literal b, literal c) {
  return create_or(create_and(a, b), create_and(c, create_or(a, b)));
}

std::vector<std::uint32_t> compute_levels(const aig& g) {
  std::vector<std::uint32_t> level(g.num_nodes(), 0);
  for (node_id n = 1; n < g.num_nodes(); ++n)
    if (g.is_and(n)) level[n] = 1 + std::max(level[lit_node(g.fanin0(n))], level[lit_node(g.fanin1(n))]);
  return level;
}

std::uint32_t depth(const aig& g) {
  auto level = compute_levels(g);
  std::uint32_t d = 0;
  for (literal f : g.pos()) d = std::max(d, level[lit_node(f)]);
  return d;
}

literal balanced_tree(aig& g, std::vector<literal> v, bool is_and) {
  if (v.empty()) return is_and ? lit_true : lit_false;
  while (v.size() > 1) {
    std::vector<literal> next;
    for (std::size_t i = 0; i + 1 < v.size(); i += 2)
      next.push_back(is_and ? g.create_and(v[i], v[i + 1]) : g.create_or(v[i], v[i + 1]));
    if (v.size() % 2) next.push_back(v.back());
    v.swap(next);
  }
  return v[0];
}

std::vector<bool> reachable_nodes(const aig& g) {
  std::vector<bool> mark(g.num_nodes(), false);
  for (literal f : g.pos()) mark[lit_node(f)] = true;
  // Fan-ins precede their nodes, so one backward sweep marks the whole transitive fan-in.
  for (node_id n = static_cast<node_id>(g.num_nodes()); n-- > 1;)
    if (mark[n] && g.is_and(n)) {
      mark[lit_node(g.fanin0(n))] = true;
      mark[lit_node(g.fanin1(n))] = true;
    }
  return mark;
}

gate_count and_or_not_count(const aig& g) {
  // want_pos / want_neg: some built reference wants the node uncomplemented / complemented.
  std::vector<char> want_pos(g.num_nodes(), 0), want_neg(g.num_nodes(), 0), is_or(g.num_nodes(), 0);
  auto want = [&](literal l) {
    if (lit_complemented(l))
      want_neg[lit_node(l)] = 1;
    else
      want_pos[lit_node(l)] = 1;
  };
  for (literal f : g.pos()) want(f);
  gate_count c;
  for (node_id n = static_cast<node_id>(g.num_nodes()); n-- > 1;) {
    if (!want_pos[n] && !want_neg[n]) continue;  // not reachable
    if (!g.is_and(n)) {
      if (want_neg[n]) ++c.nots;
      continue;
    }
    literal a = g.fanin0(n), b = g.fanin1(n);
    if (want_neg[n] && !want_pos[n] && lit_complemented(a) && lit_complemented(b)) {
      is_or[n] = 1;  // !n = x | y
      ++c.ors;
      want(lit_not(a));
      want(lit_not(b));
    } else {
      ++c.ands;
      if (want_neg[n]) ++c.nots;
      want(a);
      want(b);
    }
  }
  return c;
}

xor_count xor_aig_count(const aig& g) {
  // For every node, the XOR2 inputs (x, y) if n matches the pattern, else none.
  const std::size_t N = g.num_nodes();
  std::vector<literal> xa(N, aig::pi_marker), xb(N, aig::pi_marker);
  for (node_id n = 1; n < N; ++n) {
    if (!g.is_and(n)) continue;
    literal a = g.fanin0(n), b = g.fanin1(n);
    if (!lit_complemented(a) || !lit_complemented(b)) continue;
    node_id p = lit_node(a), q = lit_node(b);
    if (!g.is_and(p) || !g.is_and(q)) continue;
    literal p0 = g.fanin0(p), p1 = g.fanin1(p), q0 = g.fanin0(q), q1 = g.fanin1(q);
    // q's fan-ins must be p's fan-ins complemented (in some order).
    bool match = (q0 == lit_not(p0) && q1 == lit_not(p1)) || (q0 == lit_not(p1) && q1 == lit_not(p0));
    if (!match || lit_node(p0) == lit_node(p1)) continue;
    xa[n] = p0;
    xb[n] = p1;
  }
  std::vector<char> mark(N, 0);
  for (literal f : g.pos()) mark[lit_node(f)] = 1;
  xor_count c;
  for (node_id n = static_cast<node_id>(N); n-- > 1;) {
    if (!mark[n] || !g.is_and(n)) continue;
    ++c.nodes;
    if (xa[n] != aig::pi_marker) {
      ++c.xors;
      mark[lit_node(xa[n])] = 1;
      mark[lit_node(xb[n])] = 1;
    } else {
      mark[lit_node(g.fanin0(n))] = 1;
      mark[lit_node(g.fanin1(n))] = 1;
    }
  }
  return c;
}

aig_statistics statistics(const aig& g) {
  aig_statistics s;
  s.inputs = g.num_pis();
  s.outputs = g.num_pos();
  s.stored_ands = g.num_ands();
  auto mark = reachable_nodes(g);
  for (node_id n = 1; n < g.num_nodes(); ++n) s.ands += mark[n] && g.is_and(n);
  s.depth = depth(g);
  auto gc = and_or_not_count(g);
  s.gates_and = gc.ands;
  s.gates_or = gc.ors;
  s.gates_not = gc.nots;
  auto xc = xor_aig_count(g);
  s.xor_aig_nodes = xc.nodes;
  s.xor_aig_xors = xc.xors;
  return s;
}

aig cleanup(const aig& g) {
  auto mark = reachable_nodes(g);
  aig r;
  std::vector<literal> map(g.num_nodes(), lit_false);
  for (std::size_t i = 0; i < g.num_pis(); ++i) map[g.pi_node(i)] = r.create_pi(g.pi_name(i));
  for (node_id n = 1; n < g.num_nodes(); ++n) {
    if (!mark[n] || !g.is_and(n)) continue;
    literal a = g.fanin0(n), b = g.fanin1(n);
    map[n] = r.create_and(lit_not_cond(map[lit_node(a)], lit_complemented(a)),
                          lit_not_cond(map[lit_node(b)], lit_complemented(b)));
  }
  for (std::size_t i = 0; i < g.num_pos(); ++i) {
    literal f = g.po(i);
    r.create_po(lit_not_cond(map[lit_node(f)], lit_complemented(f)), g.po_name(i));
  }
  r.comment = g.comment;
  return r;
}

}  // namespace occam::circuit
