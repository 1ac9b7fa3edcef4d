#include "occam/study/targets.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <numeric>
#include <random>
#include <stdexcept>

#include "occam/circuit/simulate.hpp"
#include "occam/fw/enumerate.hpp"
#include "occam/util/error.hpp"

namespace occam::study {

const char* to_string(size_bound b) {
  return b == size_bound::exact ? "exact" : "upper bound";
}

const char* to_string(target_family f) {
  switch (f) {
    case target_family::exact_small:
      return "exact";
    case target_family::parity:
      return "parity";
    case target_family::majority:
      return "majority";
    case target_family::adder_carry:
      return "adder-carry";
    case target_family::adder_sum:
      return "adder-sum";
    case target_family::comparator:
      return "compare";
    case target_family::disjoint_copies:
      return "copies";
  }
  return "?";
}

target_family parse_target_family(const std::string& name) {
  for (auto f : {target_family::parity, target_family::majority, target_family::adder_carry,
                 target_family::adder_sum, target_family::comparator})
    if (name == to_string(f)) return f;
  throw input_error("unknown target family '" + name +
                    "' (choices: parity, majority, adder-carry, adder-sum, compare)");
}

namespace {

std::vector<std::uint64_t> table_from(unsigned n, const std::function<bool(std::uint64_t)>& f) {
  const std::uint64_t rows = std::uint64_t(1) << n;
  std::vector<std::uint64_t> t(std::max<std::uint64_t>(1, rows / 64), 0);
  for (std::uint64_t m = 0; m < rows; ++m)
    if (f(m)) t[m >> 6] |= std::uint64_t(1) << (m & 63);
  return t;
}

std::vector<circuit::literal> make_inputs(circuit::aig& g, unsigned n) {
  std::vector<circuit::literal> x;
  for (unsigned i = 0; i < n; ++i) x.push_back(g.create_pi(fmt::format("x{}", i)));
  return x;
}

// Ripple carry of a + b (a_i = x_i, b_i = x_{k+i}, carry_in 0): c_{i+1} = maj(a_i, b_i, c_i), c_1 = a_0 b_0.
// Returns c_0..c_bits.
std::vector<circuit::literal> carries(circuit::aig& g, const std::vector<circuit::literal>& x, unsigned k,
                                      unsigned bits) {
  std::vector<circuit::literal> c{circuit::lit_false};
  for (unsigned i = 0; i < bits; ++i) {
    const auto a = x[i], b = x[k + i];
    c.push_back(i == 0 ? g.create_and(a, b) : g.create_maj(a, b, c.back()));
  }
  return c;
}

}  // namespace

std::vector<boolean_target> exact_targets(const exact_targets_params& P, exact_targets_stats* stats) {
  if (P.inputs < 2 || P.inputs > 5)
    throw input_error(fmt::format("exact targets: inputs must be in 2..5, got {}", P.inputs));
  if (P.max_size < 1) throw input_error("exact targets: max_size must be ≥ 1");
  const auto t0 = std::chrono::steady_clock::now();
  fw::enumerate_params ep;
  ep.inputs = P.inputs;
  ep.max_gates = P.max_size;
  ep.basis = fw::gate_basis::aig;
  const auto lib = fw::enumerate_functions(ep);
  std::vector<std::vector<const fw::function_entry*>> by_cost(P.max_size + 1);
  for (const auto& e : lib.functions)
    if (e.cost >= 1 && e.cost <= P.max_size) by_cost[e.cost].push_back(&e);
  std::vector<boolean_target> out;
  std::mt19937_64 rng(P.seed);
  for (unsigned s = 1; s <= P.max_size; ++s) {
    auto& v = by_cost[s];
    std::shuffle(v.begin(), v.end(), rng);
    const std::size_t take = std::min(P.per_size, v.size());
    std::sort(v.begin(), v.begin() + std::ptrdiff_t(take),
              [](const auto* a, const auto* b) { return a->table < b->table; });
    for (std::size_t i = 0; i < take; ++i) {
      boolean_target t;
      t.name = fmt::format("exact{}:s{}#{}", P.inputs, s, i);
      t.family = target_family::exact_small;
      t.inputs = P.inputs;
      const std::uint64_t tt = v[i]->table;
      t.tables = {table_from(P.inputs, [tt](std::uint64_t m) { return (tt >> m) & 1u; })};
      t.circuit = v[i]->circuit.to_aig();
      t.s_star = s;
      t.bound = size_bound::exact;
      t.note = fmt::format("exhaustive AIG enumeration, {} inputs, table 0x{:x}", P.inputs, tt);
      out.push_back(std::move(t));
    }
  }
  if (stats) {
    stats->functions_by_size.assign(P.max_size + 1, 0);
    for (const auto& e : lib.functions)
      if (e.cost <= P.max_size) ++stats->functions_by_size[e.cost];
    stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return out;
}

boolean_target family_target(target_family family, unsigned n) {
  boolean_target t;
  t.family = family;
  t.inputs = n;
  t.name = fmt::format("{}:{}", to_string(family), n);
  auto bad = [&](const std::string& why) { return input_error(fmt::format("target {}: {}", t.name, why)); };
  if (n < 2 || n > 16) throw bad("n must be in 2..16");
  circuit::aig& g = t.circuit;
  const auto x = make_inputs(g, n);
  std::function<bool(std::uint64_t)> f;
  switch (family) {
    case target_family::parity: {
      // A chain of n − 1 XORs, 3 ANDs each. 3(n − 1) is the least size: Schnorr (1974) proved that parity
      // of n variables needs 3(n − 1) gates over U2 (two-input gates other than XOR/XNOR, inverters free),
      // which is exactly the AIG basis. tests/study cross-checks n = 3 with the enumerator.
      circuit::literal acc = x[0];
      for (unsigned i = 1; i < n; ++i) acc = g.create_xor(acc, x[i]);
      g.create_po(acc, "y");
      f = [](std::uint64_t m) { return __builtin_popcountll(m) % 2 == 1; };
      t.note = "XOR chain, 3(n−1) ANDs; exact by Schnorr's U2 lower bound";
      break;
    }
    case target_family::majority: {
      if (n % 2 == 0) throw bad("majority needs an odd n");
      // at_least[k] after reading x_0..x_i: "at least k of them are 1";
      // at_least[k] ← at_least[k] ∨ (x_i ∧ at_least[k−1]), only the k that can still matter kept.
      const unsigned need = n / 2 + 1;
      std::vector<circuit::literal> at_least(need + 1, circuit::lit_false);
      at_least[0] = circuit::lit_true;
      for (unsigned i = 0; i < n; ++i)
        for (unsigned k = std::min(need, i + 1); k >= 1; --k) {
          // A count k that the n − 1 − i inputs still to come cannot lift to `need` is never read.
          if (k + (n - 1 - i) < need) break;
          at_least[k] = g.create_or(at_least[k], g.create_and(x[i], at_least[k - 1]));
        }
      g.create_po(at_least[need], "y");
      f = [n](std::uint64_t m) { return unsigned(__builtin_popcountll(m)) > n / 2; };
      t.note = "threshold counter (dynamic programme over 'at least k of the first i')";
      break;
    }
    case target_family::adder_carry:
    case target_family::adder_sum:
    case target_family::comparator: {
      if (n % 2 != 0) throw bad("two operands need an even n");
      const unsigned k = n / 2;
      const std::uint64_t low = (std::uint64_t(1) << k) - 1;
      if (family == target_family::adder_carry) {
        g.create_po(carries(g, x, k, k).back(), "y");
        f = [k, low](std::uint64_t m) { return (((m & low) + (m >> k)) >> k) & 1u; };
        t.note = "ripple carry: one AND then a majority per bit";
      } else if (family == target_family::adder_sum) {
        const auto c = carries(g, x, k, k - 1);
        g.create_po(g.create_xor(g.create_xor(x[k - 1], x[2 * k - 1]), c.back()), "y");
        f = [k, low](std::uint64_t m) { return (((m & low) + (m >> k)) >> (k - 1)) & 1u; };
        t.note = "ripple carry into the top sum bit (bit k−1 of a + b)";
      } else {
        // a < b: borrow chain lt_{i+1} = (¬a_i ∧ b_i) ∨ (¬(a_i ⊕ b_i) ∧ lt_i).
        circuit::literal lt = circuit::lit_false;
        for (unsigned i = 0; i < k; ++i) {
          const auto a = x[i], b = x[k + i];
          lt = i == 0 ? g.create_and(circuit::lit_not(a), b) : g.create_mux(g.create_xor(a, b), b, lt);
        }
        g.create_po(lt, "y");
        f = [k, low](std::uint64_t m) { return (m & low) < (m >> k); };
        t.note = "borrow chain, a mux per bit (a < b, unsigned)";
      }
      break;
    }
    default:
      throw bad("not a scalable family");
  }
  t.tables = {table_from(n, f)};
  t.circuit = circuit::cleanup(t.circuit);
  t.s_star = t.circuit.num_ands();
  t.bound = size_bound::upper_bound;
  if (family == target_family::parity) t.bound = size_bound::exact;
  return t;
}

boolean_target disjoint_copies(const boolean_target& base, unsigned m) {
  if (m < 1 || m > 64)
    throw input_error(fmt::format("copies of {}: m must be in 1..64, got {}", base.name, m));
  if (base.outputs() != 1) throw input_error("copies of " + base.name + ": the base must have one output");
  boolean_target t;
  t.family = target_family::disjoint_copies;
  t.name = fmt::format("copies:{}x({})", m, base.name);
  t.inputs = m * base.inputs;
  const auto x = make_inputs(t.circuit, t.inputs);
  // Rebuild the base circuit on each copy's inputs.
  const auto& b = base.circuit;
  for (unsigned j = 0; j < m; ++j) {
    std::vector<circuit::literal> map(b.num_nodes(), circuit::lit_false);
    for (std::size_t i = 0; i < b.num_pis(); ++i) map[b.pi_node(i)] = x[j * base.inputs + i];
    auto lit = [&](circuit::literal l) {
      return circuit::lit_not_cond(map[circuit::lit_node(l)], circuit::lit_complemented(l));
    };
    for (circuit::node_id v = 0; v < b.num_nodes(); ++v)
      if (b.is_and(v)) map[v] = t.circuit.create_and(lit(b.fanin0(v)), lit(b.fanin1(v)));
    t.circuit.create_po(lit(b.po(0)), fmt::format("y{}", j));
  }
  if (t.inputs <= max_table_inputs) {
    const unsigned k = base.inputs;
    const auto& bt = base.tables.at(0);
    for (unsigned j = 0; j < m; ++j)
      t.tables.push_back(table_from(t.inputs, [&, j](std::uint64_t mt) {
        return table_bit(bt, (mt >> (j * k)) & ((std::uint64_t(1) << k) - 1));
      }));
  }
  t.s_star = m * base.s_star;
  t.bound = size_bound::upper_bound;
  t.note = fmt::format("{} disjoint copies of {} (s* = {} · {}, {} for the base)", m, base.name, m,
                       base.s_star, to_string(base.bound));
  return t;
}

bool circuit_matches_tables(const boolean_target& t) {
  if (t.tables.empty()) throw std::logic_error("target " + t.name + " has no truth table to compare with");
  const auto tt = circuit::truth_tables(t.circuit);
  if (tt.size() != t.tables.size()) return false;
  const std::uint64_t rows = std::uint64_t(1) << t.inputs;
  for (std::size_t o = 0; o < tt.size(); ++o)
    for (std::uint64_t m = 0; m < rows; ++m)
      if (table_bit(tt[o], m) != table_bit(t.tables[o], m)) return false;
  return true;
}

}  // namespace occam::study
