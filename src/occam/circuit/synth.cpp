// Truth-table synthesis (THEORY §4: the size of a circuit is its number of AND nodes). Two constructions
// on the bit-vector truth tables, each optionally followed by an ABC script; the smallest AIG wins:
//  * ISOP: Minato–Morreale irredundant sum of products of an interval [on∧care, on∨¬care] (so the cover
//    uses the don't-cares), of the on-set and of the off-set (output inverted), factored by greedy
//    algebraic division by the most frequent literal with common-cube extraction.
//  * Shannon: cofactor decomposition along a variable order found by adjacent-swap local search; equal
//    and complementary sub-functions are shared through a memo keyed by the (on∧care, care) table, and
//    cofactors that agree wherever both care are merged (no multiplexer), as are cofactors that are
//    complementary wherever both care (one XOR).
// The tables are plain 64-bit words: minterm m = Σ x_i 2^i is bit m % 64 of word m / 64.
#include "occam/circuit/synth.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "occam/circuit/simulate.hpp"
#include "occam/util/error.hpp"

namespace occam::circuit {
namespace {

using word = std::uint64_t;
using table = std::vector<word>;

constexpr unsigned max_synth_inputs = 20;
/// Largest sub-function the Shannon construction also tries as a factored SOP (ISOP cost grows as 3^k).
constexpr unsigned hybrid_sop_max_vars = 12;

std::size_t words_for(unsigned k) {
  return k <= 6 ? 1 : std::size_t(1) << (k - 6);
}
/// The valid bits of a single-word table on k ≤ 6 variables.
word mask_for(unsigned k) {
  return k >= 6 ? ~word(0) : (word(1) << (word(1) << k)) - 1;
}
bool all_zero(const word* a, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (a[i]) return false;
  return true;
}

// ---- cubes ---------------------------------------------------------------------------------------------
// A cube over ≤ 32 variables: `mask` has bit v when variable v appears, `pol` bit v when it appears
// uncomplemented.
struct cube {
  std::uint32_t mask = 0, pol = 0;
  cube with(unsigned v, bool positive) const {
    return {mask | (1u << v), positive ? (pol | (1u << v)) : pol};
  }
};

// ---- Minato–Morreale ISOP ------------------------------------------------------------------------------
// isop(L, U) returns a cover R with L ≤ R ≤ U as irredundant cubes (appended to `out`, each extended by the
// literals of `prefix`); the function value of the cover is returned / written to R. Splits on the top
// variable k-1 so the cofactors are the two halves of the table.
word isop_word(word L, word U, unsigned k, cube prefix, std::vector<cube>& out) {
  if (L == 0) return 0;
  const word full = mask_for(k);
  if (U == full) {
    out.push_back(prefix);
    return full;
  }
  const unsigned v = k - 1;  // k ≥ 1 here: with k = 0, L ≠ 0 implies U = 1 = full
  const unsigned half = 1u << v;
  const word hm = mask_for(v);
  const word L0 = L & hm, L1 = (L >> half) & hm, U0 = U & hm, U1 = (U >> half) & hm;
  if (L0 == L1 && U0 == U1) {
    word r = isop_word(L0, U0, v, prefix, out);
    return r | (r << half);
  }
  const word r0 = isop_word(L0 & ~U1, U0, v, prefix.with(v, false), out);
  const word r1 = isop_word(L1 & ~U0, U1, v, prefix.with(v, true), out);
  const word rs = isop_word((L0 & ~r0) | (L1 & ~r1), U0 & U1, v, prefix, out);
  return (r0 | rs) | ((r1 | rs) << half);
}

void isop_words(const word* L, const word* U, unsigned k, cube prefix, std::vector<cube>& out, word* R) {
  const std::size_t W = words_for(k);
  if (all_zero(L, W)) {
    std::fill(R, R + W, 0);
    return;
  }
  if (std::all_of(U, U + W, [](word w) { return w == ~word(0); })) {
    out.push_back(prefix);
    std::fill(R, R + W, ~word(0));
    return;
  }
  if (k <= 6) {
    R[0] = isop_word(L[0], U[0], k, prefix, out);
    return;
  }
  const unsigned v = k - 1;
  const std::size_t h = W / 2;
  const word *L0 = L, *L1 = L + h, *U0 = U, *U1 = U + h;
  if (std::equal(L0, L0 + h, L1) && std::equal(U0, U0 + h, U1)) {
    isop_words(L0, U0, v, prefix, out, R);
    std::copy(R, R + h, R + h);
    return;
  }
  table a(h), r0(h), r1(h), rs(h);
  for (std::size_t i = 0; i < h; ++i) a[i] = L0[i] & ~U1[i];
  isop_words(a.data(), U0, v, prefix.with(v, false), out, r0.data());
  for (std::size_t i = 0; i < h; ++i) a[i] = L1[i] & ~U0[i];
  isop_words(a.data(), U1, v, prefix.with(v, true), out, r1.data());
  table un(h);
  for (std::size_t i = 0; i < h; ++i) {
    a[i] = (L0[i] & ~r0[i]) | (L1[i] & ~r1[i]);
    un[i] = U0[i] & U1[i];
  }
  isop_words(a.data(), un.data(), v, prefix, out, rs.data());
  for (std::size_t i = 0; i < h; ++i) {
    R[i] = r0[i] | rs[i];
    R[h + i] = r1[i] | rs[i];
  }
}

/// Irredundant cover of the interval [on∧care, on∨¬care] of a k-variable table (or of the off-set's
/// interval when `complement`).
std::vector<cube> isop_cover(const word* on_bits, const word* care, unsigned k, bool complement) {
  const std::size_t W = words_for(k);
  table L(W), U(W), R(W);
  const word valid = mask_for(std::min(k, 6u));
  for (std::size_t i = 0; i < W; ++i) {
    word on = complement ? ~on_bits[i] : on_bits[i];
    L[i] = on & care[i] & valid;
    U[i] = (on | ~care[i]) & valid;
  }
  std::vector<cube> cover;
  isop_words(L.data(), U.data(), k, cube{}, cover, R.data());
  return cover;
}
std::vector<cube> isop_cover(const truth_table& t, bool complement) {
  return isop_cover(t.on.data(), t.care.data(), t.num_inputs, complement);
}

// ---- factoring -----------------------------------------------------------------------------------------

literal cube_literal(aig& g, const std::vector<literal>& inputs, cube c) {
  std::vector<literal> lits;
  for (unsigned v = 0; v < 32; ++v)
    if (c.mask >> v & 1u) lits.push_back(lit_not_cond(inputs[v], !(c.pol >> v & 1u)));
  return balanced_tree(g, std::move(lits), true);
}

/// Greedy algebraic factoring of a sum of products: extract the cube common to all products, else divide
/// by the literal occurring in most products (f = l·(f/l) + rest), else a balanced OR of the products.
literal factor(aig& g, const std::vector<literal>& inputs, std::vector<cube> cs) {
  if (cs.empty()) return lit_false;
  for (const cube& c : cs)
    if (c.mask == 0) return lit_true;
  if (cs.size() == 1) return cube_literal(g, inputs, cs[0]);
  std::uint32_t mask_all = ~0u, pol_and = ~0u, pol_or = 0;
  for (const cube& c : cs) {
    mask_all &= c.mask;
    pol_and &= c.pol;
    pol_or |= c.pol;
  }
  const std::uint32_t common = mask_all & ~(pol_and ^ pol_or);
  if (common) {
    for (cube& c : cs) {
      c.mask &= ~common;
      c.pol &= ~common;
    }
    cube cc{common, pol_and & common};
    return g.create_and(cube_literal(g, inputs, cc), factor(g, inputs, std::move(cs)));
  }
  unsigned best_var = 0, best_count = 0;
  bool best_pos = false;
  for (unsigned v = 0; v < inputs.size(); ++v) {
    unsigned pos = 0, neg = 0;
    for (const cube& c : cs)
      if (c.mask >> v & 1u) ++((c.pol >> v & 1u) ? pos : neg);
    if (pos > best_count) best_count = pos, best_var = v, best_pos = true;
    if (neg > best_count) best_count = neg, best_var = v, best_pos = false;
  }
  if (best_count <= 1) {
    std::vector<literal> terms;
    for (const cube& c : cs) terms.push_back(cube_literal(g, inputs, c));
    return balanced_tree(g, std::move(terms), false);
  }
  std::vector<cube> quotient, rest;
  const std::uint32_t bit = 1u << best_var;
  for (const cube& c : cs) {
    if ((c.mask & bit) && (((c.pol & bit) != 0) == best_pos))
      quotient.push_back({c.mask & ~bit, c.pol & ~bit});
    else
      rest.push_back(c);
  }
  literal q = g.create_and(lit_not_cond(inputs[best_var], !best_pos), factor(g, inputs, std::move(quotient)));
  return g.create_or(q, factor(g, inputs, std::move(rest)));
}

aig new_network(unsigned n, std::vector<literal>& inputs) {
  aig g;
  inputs.clear();
  for (unsigned i = 0; i < n; ++i) inputs.push_back(g.create_pi("x" + std::to_string(i)));
  return g;
}
void name_outputs(aig& g) {
  for (std::size_t o = 0; o < g.num_pos(); ++o)
    if (g.po_name(o).empty()) g.set_po_name(o, "y" + std::to_string(o));
}

aig synth_isop(const std::vector<truth_table>& outputs, unsigned n) {
  std::vector<literal> inputs;
  aig g = new_network(n, inputs);
  for (const truth_table& t : outputs) {
    // The on-set and the off-set cover (output inverted); the one with fewer AND nodes on its own wins.
    auto pos = isop_cover(t, false), neg = isop_cover(t, true);
    std::vector<literal> scratch_in;
    aig a = new_network(n, scratch_in), b = new_network(n, scratch_in);
    std::vector<literal> ia, ib;
    for (unsigned i = 0; i < n; ++i) ia.push_back(a.pi(i)), ib.push_back(b.pi(i));
    factor(a, ia, pos);
    factor(b, ib, neg);
    bool use_neg = b.num_ands() < a.num_ands();
    literal f = factor(g, inputs, use_neg ? std::move(neg) : std::move(pos));
    g.create_po(lit_not_cond(f, use_neg));
  }
  name_outputs(g);
  return cleanup(g);
}

// ---- Shannon decomposition -----------------------------------------------------------------------------
struct table_hash {
  std::size_t operator()(const table& t) const {
    word h = 0x9e3779b97f4a7c15ull ^ t.size();
    for (word w : t) {
      h ^= w + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
      h *= 0xff51afd7ed558ccdull;
    }
    return std::size_t(h ^ (h >> 33));
  }
};

/// Swaps the variables at table positions j and j+1 (in place, every minterm moves at most once).
void swap_adjacent(table& t, unsigned n, unsigned j) {
  static const word pm[5][3] = {{0x9999999999999999ull, 0x2222222222222222ull, 0x4444444444444444ull},
                                {0xC3C3C3C3C3C3C3C3ull, 0x0C0C0C0C0C0C0C0Cull, 0x3030303030303030ull},
                                {0xF00FF00FF00FF00Full, 0x00F000F000F000F0ull, 0x0F000F000F000F00ull},
                                {0xFF0000FFFF0000FFull, 0x0000FF000000FF00ull, 0x00FF000000FF0000ull},
                                {0xFFFF00000000FFFFull, 0x00000000FFFF0000ull, 0x0000FFFF00000000ull}};
  if (j + 1 >= n) return;
  if (j < 5) {
    const unsigned s = 1u << j;
    for (word& w : t) w = (w & pm[j][0]) | ((w & pm[j][1]) << s) | ((w & pm[j][2]) >> s);
  } else if (j == 5) {
    for (std::size_t i = 0; i + 1 < t.size(); i += 2) {
      word a = t[i], b = t[i + 1];
      t[i] = (a & 0x00000000FFFFFFFFull) | (b << 32);
      t[i + 1] = (a >> 32) | (b & 0xFFFFFFFF00000000ull);
    }
  } else {
    const std::size_t step = std::size_t(1) << (j - 6);
    for (std::size_t i = 0; i < t.size(); ++i)
      if ((i & step) && !(i & (step << 1))) std::swap(t[i], t[i + step]);
  }
}

class shannon_builder {
 public:
  /// `position_input[j]`: the AIG literal of the variable at table position j.
  /// With `sop_max_vars` > 0, every sub-function on at most that many variables is also built as a
  /// factored ISOP of its on-set and of its off-set, and the version adding the fewest new AND nodes is
  /// kept (the others dangle until cleanup()).
  shannon_builder(aig& g, std::vector<literal> position_input, unsigned n, unsigned sop_max_vars = 0)
      : g_(g), input_(std::move(position_input)), memo_(n + 1), sop_max_vars_(sop_max_vars) {}

  literal build(const word* on, const word* care, unsigned k) {
    const std::size_t W = words_for(k);
    const word valid = mask_for(std::min(k, 6u));
    table key(2 * W);
    bool any_on = false, any_off = false;
    for (std::size_t i = 0; i < W; ++i) {
      word c = care[i] & valid;
      key[i] = on[i] & c;
      key[W + i] = c;
      any_on |= key[i] != 0;
      any_off |= (c & ~on[i]) != 0;
    }
    if (!any_on) return lit_false;  // includes "no care minterm at all"
    if (!any_off) return lit_true;
    // A function and its complement (on the same care set) share one node: key on the smaller table.
    table off(W);
    for (std::size_t i = 0; i < W; ++i) off[i] = key[W + i] & ~key[i];
    bool flip = std::lexicographical_compare(off.begin(), off.end(), key.begin(), key.begin() + W);
    if (flip) std::copy(off.begin(), off.end(), key.begin());
    auto it = memo_[k].find(key);
    if (it != memo_[k].end()) return lit_not_cond(it->second, flip);
    const node_id mark = node_id(g_.num_nodes());
    literal f = decompose(key.data(), key.data() + W, k);
    if (k >= 3 && k <= sop_max_vars_) {
      std::size_t cost = new_cone_size(f, mark);
      std::vector<literal> vars(input_.begin(), input_.begin() + k);
      for (bool complement : {false, true}) {
        auto cover = isop_cover(key.data(), key.data() + W, k, complement);
        // A cover with many more products than the multiplexer network has nodes rarely factors smaller
        // (parity's 2^(k-1) products would only cost time).
        if (cover.size() > 2 * cost + 8) continue;
        literal s = lit_not_cond(factor(g_, vars, std::move(cover)), complement);
        std::size_t c = new_cone_size(s, mark);
        if (c < cost) cost = c, f = s;
      }
    }
    memo_[k].emplace(std::move(key), f);
    return lit_not_cond(f, flip);
  }

 private:
  // (on, care) are normalised (on ⊆ care) and neither constant.
  literal decompose(const word* on, const word* care, unsigned k) {
    const unsigned v = k - 1;
    const literal x = input_[v];
    const std::size_t Wc = words_for(v);
    table on0(Wc), on1(Wc), c0(Wc), c1(Wc);
    if (k <= 6) {
      const unsigned half = 1u << v;
      const word hm = mask_for(v);
      on0[0] = on[0] & hm, on1[0] = (on[0] >> half) & hm;
      c0[0] = care[0] & hm, c1[0] = (care[0] >> half) & hm;
    } else {
      std::copy(on, on + Wc, on0.begin());
      std::copy(on + Wc, on + 2 * Wc, on1.begin());
      std::copy(care, care + Wc, c0.begin());
      std::copy(care + Wc, care + 2 * Wc, c1.begin());
    }
    bool same = true, opposite = true, zero0 = true, one0 = true, zero1 = true, one1 = true;
    for (std::size_t i = 0; i < Wc; ++i) {
      const word both = c0[i] & c1[i];
      same &= ((on0[i] ^ on1[i]) & both) == 0;
      opposite &= ((on0[i] ^ ~on1[i]) & both) == 0;
      zero0 &= on0[i] == 0;
      one0 &= (c0[i] & ~on0[i]) == 0;
      zero1 &= on1[i] == 0;
      one1 &= (c1[i] & ~on1[i]) == 0;
    }
    if (same) {  // x does not matter on the care set: merge the cofactors, no node
      for (std::size_t i = 0; i < Wc; ++i) on0[i] |= on1[i], c0[i] |= c1[i];
      return build(on0.data(), c0.data(), v);
    }
    if (zero0) return g_.create_and(x, build(on1.data(), c1.data(), v));
    if (one0) return g_.create_or(lit_not(x), build(on1.data(), c1.data(), v));
    if (zero1) return g_.create_and(lit_not(x), build(on0.data(), c0.data(), v));
    if (one1) return g_.create_or(x, build(on0.data(), c0.data(), v));
    if (opposite) {  // f = x XOR g with g ≅ f0 and ¬g ≅ f1
      for (std::size_t i = 0; i < Wc; ++i) on0[i] |= c1[i] & ~on1[i], c0[i] |= c1[i];
      return g_.create_xor(x, build(on0.data(), c0.data(), v));
    }
    literal e = build(on0.data(), c0.data(), v);
    literal t = build(on1.data(), c1.data(), v);
    return g_.create_mux(x, t, e);
  }

  /// AND nodes in the cone of `f` created at or after node `mark`.
  std::size_t new_cone_size(literal f, node_id mark) {
    if (stamp_.size() < g_.num_nodes()) stamp_.resize(g_.num_nodes(), 0);
    ++epoch_;
    std::size_t count = 0;
    std::vector<node_id> stack = {lit_node(f)};
    while (!stack.empty()) {
      node_id v = stack.back();
      stack.pop_back();
      if (v < mark || !g_.is_and(v) || stamp_[v] == epoch_) continue;
      stamp_[v] = epoch_;
      ++count;
      stack.push_back(lit_node(g_.fanin0(v)));
      stack.push_back(lit_node(g_.fanin1(v)));
    }
    return count;
  }

  aig& g_;
  std::vector<literal> input_;
  std::vector<std::unordered_map<table, literal, table_hash>> memo_;
  unsigned sop_max_vars_ = 0;
  std::vector<std::uint32_t> stamp_;
  std::uint32_t epoch_ = 0;
};

/// The Shannon network for tables whose position j holds input perm[j].
aig shannon_network(const std::vector<table>& on, const std::vector<table>& care,
                    const std::vector<unsigned>& perm, unsigned n, unsigned sop_max_vars = 0) {
  std::vector<literal> inputs;
  aig g = new_network(n, inputs);
  std::vector<literal> position_input(n);
  for (unsigned j = 0; j < n; ++j) position_input[j] = inputs[perm[j]];
  shannon_builder b(g, position_input, n, sop_max_vars);
  for (std::size_t o = 0; o < on.size(); ++o) g.create_po(b.build(on[o].data(), care[o].data(), n));
  name_outputs(g);
  return g;
}

struct shannon_state {
  std::vector<table> on, care;
  std::vector<unsigned> perm;
  void swap(unsigned n, unsigned j) {
    for (auto& t : on) swap_adjacent(t, n, j);
    for (auto& t : care) swap_adjacent(t, n, j);
    std::swap(perm[j], perm[j + 1]);
  }
};

/// Shannon decomposition; the variable order: the better of the natural and the reversed order, then
/// passes of adjacent swaps (kept when the AND count drops) within an evaluation budget that shrinks with
/// the table size, so n = 20 stays a few builds.
aig synth_shannon(const std::vector<truth_table>& outputs, unsigned n) {
  shannon_state s;
  for (const auto& t : outputs) {
    s.on.push_back(t.on);
    s.care.push_back(t.care);
  }
  s.perm.resize(n);
  for (unsigned j = 0; j < n; ++j) s.perm[j] = j;
  aig best = shannon_network(s.on, s.care, s.perm, n);
  if (n < 2) return cleanup(best);

  shannon_state r = s;  // reversed: bubble every variable to the other end
  for (unsigned a = 0; a + 1 < n; ++a)
    for (unsigned j = 0; j + 1 < n - a; ++j) r.swap(n, j);
  aig rev = shannon_network(r.on, r.care, r.perm, n);
  if (rev.num_ands() < best.num_ands()) {
    best = std::move(rev);
    s = std::move(r);
  }
  const double work = double(outputs.size()) * double(words_for(n)) * n;
  std::size_t budget = std::size_t(std::clamp((double(1 << 22) / work), 2.0, 6.0 * n));
  bool improved = true;
  while (improved && budget > 0) {
    improved = false;
    for (unsigned j = 0; j + 1 < n && budget > 0; ++j, --budget) {
      s.swap(n, j);
      aig cand = shannon_network(s.on, s.care, s.perm, n);
      if (cand.num_ands() < best.num_ands()) {
        best = std::move(cand);
        improved = true;
      } else {
        s.swap(n, j);
      }
    }
  }
  best = cleanup(best);
  // On the order found, let sub-functions of up to 12 variables take a factored SOP where that is smaller.
  aig hybrid = cleanup(shannon_network(s.on, s.care, s.perm, n, std::min(n, hybrid_sop_max_vars)));
  return hybrid.num_ands() < best.num_ands() ? hybrid : best;
}

void check_tables(const std::vector<truth_table>& outputs) {
  if (outputs.empty()) throw input_error("synthesize_truth_tables: no output tables");
  const unsigned n = outputs[0].num_inputs;
  if (n > max_synth_inputs)
    throw input_error("synthesize_truth_tables: " + std::to_string(n) + " inputs; at most " +
                      std::to_string(max_synth_inputs) + " are supported");
  for (const auto& t : outputs) {
    if (t.num_inputs != n) throw input_error("synthesize_truth_tables: tables with different input counts");
    if (t.on.size() != words_for(n) || t.care.size() != words_for(n))
      throw input_error("synthesize_truth_tables: a table has the wrong number of words");
  }
}

}  // namespace

// ---- truth_table ---------------------------------------------------------------------------------------
truth_table truth_table::constant(unsigned num_inputs, bool value) {
  if (num_inputs > max_synth_inputs)
    throw input_error("truth_table: " + std::to_string(num_inputs) + " inputs; at most " +
                      std::to_string(max_synth_inputs) + " are supported");
  truth_table t;
  t.num_inputs = num_inputs;
  const std::size_t W = words_for(num_inputs);
  const word m = mask_for(std::min(num_inputs, 6u));
  t.on.assign(W, value ? m : 0);
  t.care.assign(W, m);
  return t;
}
bool truth_table::value(std::uint64_t minterm) const {
  return (on[minterm / 64] >> (minterm % 64)) & 1u;
}
bool truth_table::cares(std::uint64_t minterm) const {
  return (care[minterm / 64] >> (minterm % 64)) & 1u;
}
void truth_table::set(std::uint64_t minterm, bool v, bool c) {
  const word bit = word(1) << (minterm % 64);
  word& o = on[minterm / 64];
  word& k = care[minterm / 64];
  o = v ? (o | bit) : (o & ~bit);
  k = c ? (k | bit) : (k & ~bit);
}
std::size_t truth_table::care_count() const {
  std::size_t c = 0;
  for (word w : care) c += std::size_t(__builtin_popcountll(w));
  return c;
}

std::vector<truth_table> truth_tables_from_samples(unsigned num_inputs, std::size_t num_outputs,
                                                   const std::vector<std::uint64_t>& rows,
                                                   const std::vector<std::vector<bool>>& labels) {
  if (num_inputs > max_synth_inputs)
    throw input_error("truth_tables_from_samples: " + std::to_string(num_inputs) + " inputs; at most " +
                      std::to_string(max_synth_inputs) + " are supported");
  if (labels.size() != rows.size())
    throw input_error("truth_tables_from_samples: " + std::to_string(rows.size()) + " rows but " +
                      std::to_string(labels.size()) + " label vectors");
  const std::uint64_t minterms = std::uint64_t(1) << num_inputs;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r] >= minterms)
      throw input_error("truth_tables_from_samples: row " + std::to_string(r) + " has a bit above input " +
                        std::to_string(num_inputs));
    if (labels[r].size() != num_outputs)
      throw input_error("truth_tables_from_samples: row " + std::to_string(r) + " has " +
                        std::to_string(labels[r].size()) + " labels, expected " +
                        std::to_string(num_outputs));
  }
  std::vector<truth_table> out;
  std::vector<std::int32_t> votes(minterms);  // (#1 − #0) per minterm, one output at a time
  std::vector<bool> seen(minterms);
  for (std::uint64_t row : rows) seen[row] = true;
  for (std::size_t o = 0; o < num_outputs; ++o) {
    std::fill(votes.begin(), votes.end(), 0);
    for (std::size_t r = 0; r < rows.size(); ++r) votes[rows[r]] += labels[r][o] ? 1 : -1;
    truth_table t = truth_table::constant(num_inputs, false);
    std::fill(t.care.begin(), t.care.end(), 0);
    for (std::uint64_t m = 0; m < minterms; ++m)
      if (seen[m]) t.set(m, votes[m] > 0, true);
    out.push_back(std::move(t));
  }
  return out;
}

aig synthesize_truth_tables(const std::vector<truth_table>& outputs, const synth_params& params,
                            synth_stats* stats) {
  const auto start = std::chrono::steady_clock::now();
  check_tables(outputs);
  const unsigned n = outputs[0].num_inputs;
  if (!params.try_isop && !params.try_shannon)
    throw input_error("synthesize_truth_tables: both constructions are disabled");
  const bool deepsyn_last = params.abc_script == "strong" && params.deepsyn_on_winner_only;
  const std::string script = params.abc_script == "none" ? std::string()
                             : deepsyn_last              ? std::string("resyn2; dc2")
                                            : expand_abc_script(params.abc_script, params.deepsyn_seconds);

  std::vector<std::pair<std::string, aig>> candidates;
  auto add = [&](const std::string& name, aig g) {
    if (!script.empty()) {
      aig h = abc_optimize(g, script, params.abc);
      h = cleanup(h);
      for (std::size_t i = 0; i < n; ++i) h.set_pi_name(i, g.pi_name(i));
      for (std::size_t o = 0; o < g.num_pos(); ++o) h.set_po_name(o, g.po_name(o));
      candidates.emplace_back(name, std::move(g));
      candidates.emplace_back(name + "+abc", std::move(h));
    } else {
      candidates.emplace_back(name, std::move(g));
    }
  };
  if (params.try_isop) add("isop", synth_isop(outputs, n));
  if (params.try_shannon) add("shannon", synth_shannon(outputs, n));

  auto smallest = [&candidates]() {
    std::size_t best = 0;
    for (std::size_t i = 1; i < candidates.size(); ++i) {
      const std::size_t a = candidates[i].second.num_ands(), b = candidates[best].second.num_ands();
      if (a < b || (a == b && depth(candidates[i].second) < depth(candidates[best].second))) best = i;
    }
    return best;
  };
  std::size_t best = smallest();
  if (deepsyn_last && candidates[best].second.num_ands() > 0) {
    const aig& g = candidates[best].second;
    aig h = cleanup(abc_optimize(
        g, "&get -n; &deepsyn -T " + std::to_string(std::max(1u, params.deepsyn_seconds)) + "; &put",
        params.abc));
    for (std::size_t i = 0; i < n; ++i) h.set_pi_name(i, g.pi_name(i));
    for (std::size_t o = 0; o < g.num_pos(); ++o) h.set_po_name(o, g.po_name(o));
    candidates.emplace_back(candidates[best].first + "+deepsyn", std::move(h));
    best = smallest();
  }
  const std::uint32_t best_depth = depth(candidates[best].second);
  std::vector<std::pair<std::string, std::size_t>> sizes;
  for (const auto& [name, g] : candidates) sizes.emplace_back(name, g.num_ands());
  aig result = std::move(candidates[best].second);

  if (params.verify) {
    const auto tt = truth_tables(result);
    for (std::size_t o = 0; o < outputs.size(); ++o)
      for (std::size_t w = 0; w < tt[o].size(); ++w)
        if ((tt[o][w] ^ outputs[o].on[w]) & outputs[o].care[w])
          throw std::logic_error("synthesize_truth_tables: candidate '" + sizes[best].first +
                                 "' disagrees with output " + std::to_string(o) + " near minterm " +
                                 std::to_string(w * 64));
  }
  if (stats) {
    stats->ands = result.num_ands();
    stats->depth = best_depth;
    stats->winner = candidates[best].first;
    stats->candidates = std::move(sizes);
    stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return result;
}

}  // namespace occam::circuit
