// THEORY §9: exhaustive enumeration of small circuits (the exact linear-minimisation oracle's dictionary).
#include "occam/fw/enumerate.hpp"

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "occam/util/error.hpp"

namespace occam::fw {

const char* to_string(gate_basis b) {
  return b == gate_basis::aig ? "aig" : "all_two_input";
}

std::uint64_t table_mask(unsigned m) {
  return m >= 6 ? ~std::uint64_t(0) : ((std::uint64_t(1) << (1u << m)) - 1);
}

std::uint64_t variable_table(unsigned i, unsigned m) {
  static const std::uint64_t kVars[6] = {0xAAAAAAAAAAAAAAAAull, 0xCCCCCCCCCCCCCCCCull, 0xF0F0F0F0F0F0F0F0ull,
                                         0xFF00FF00FF00FF00ull, 0xFFFF0000FFFF0000ull, 0xFFFFFFFF00000000ull};
  return kVars[i] & table_mask(m);
}

namespace {
inline std::uint64_t apply_op(std::uint8_t op, std::uint64_t a, std::uint64_t b) {
  if (op == 4) return a ^ b;
  if (op & 1) a = ~a;
  if (op & 2) b = ~b;
  return a & b;
}
}  // namespace

std::vector<std::uint64_t> small_circuit::simulate(const std::vector<std::vector<std::uint64_t>>& in) const {
  std::size_t words = in.empty() ? 1 : in[0].size();
  std::vector<std::vector<std::uint64_t>> gate_values(gates.size());
  auto node = [&](std::uint32_t k) -> const std::vector<std::uint64_t>& {
    return k < inputs ? in[k] : gate_values[k - inputs];
  };
  for (std::size_t j = 0; j < gates.size(); ++j) {
    const auto& a = node(gates[j].a);
    const auto& b = node(gates[j].b);
    gate_values[j].resize(words);
    for (std::size_t w = 0; w < words; ++w) gate_values[j][w] = apply_op(gates[j].op, a[w], b[w]);
  }
  std::vector<std::uint64_t> out(words, 0);
  if (output >= 0) out = node(std::uint32_t(output));
  if (output_complemented)
    for (auto& w : out) w = ~w;
  return out;
}

bool small_circuit::evaluate(std::uint64_t x) const {
  std::vector<std::uint8_t> v(inputs + gates.size());
  for (unsigned i = 0; i < inputs; ++i) v[i] = (x >> i) & 1u;
  for (std::size_t j = 0; j < gates.size(); ++j)
    v[inputs + j] = std::uint8_t(apply_op(gates[j].op, v[gates[j].a], v[gates[j].b]) & 1u);
  bool r = output >= 0 ? v[std::size_t(output)] != 0 : false;
  return r != output_complemented;
}

circuit::literal small_circuit::build(circuit::aig& g, const std::vector<circuit::literal>& in) const {
  std::vector<circuit::literal> lit(inputs + gates.size());
  for (unsigned i = 0; i < inputs; ++i) lit[i] = in.at(i);
  for (std::size_t j = 0; j < gates.size(); ++j) {
    circuit::literal a = lit[gates[j].a], b = lit[gates[j].b];
    if (gates[j].op == 4)
      lit[inputs + j] = g.create_xor(a, b);
    else
      lit[inputs + j] = g.create_and(circuit::lit_not_cond(a, gates[j].op & 1),
                                     circuit::lit_not_cond(b, (gates[j].op >> 1) & 1));
  }
  circuit::literal out = output >= 0 ? lit[std::size_t(output)] : circuit::lit_false;
  return circuit::lit_not_cond(out, output_complemented);
}

circuit::aig small_circuit::to_aig() const {
  circuit::aig g;
  std::vector<circuit::literal> in;
  for (unsigned i = 0; i < inputs; ++i) in.push_back(g.create_pi("x" + std::to_string(i)));
  g.create_po(build(g, in), "f");
  return g;
}

small_circuit small_circuit::remap_inputs(const std::vector<std::uint32_t>& map, unsigned new_inputs) const {
  small_circuit c;
  c.inputs = new_inputs;
  auto re = [&](std::uint32_t k) { return k < inputs ? map.at(k) : k - inputs + new_inputs; };
  for (const auto& gt : gates) c.gates.push_back({re(gt.a), re(gt.b), gt.op});
  c.output = output < 0 ? -1 : std::int64_t(re(std::uint32_t(output)));
  c.output_complemented = output_complemented;
  return c;
}

std::uint64_t truth_table(const small_circuit& c) {
  if (c.inputs > 6) throw input_error("truth_table: at most 6 inputs");
  std::vector<std::vector<std::uint64_t>> in;
  for (unsigned i = 0; i < c.inputs; ++i) in.push_back({variable_table(i, c.inputs)});
  return c.simulate(in)[0] & table_mask(c.inputs);
}

std::vector<std::uint64_t> function_library::count_by_cost() const {
  std::vector<std::uint64_t> counts(max_gates + 1, 0);
  // Every normalised entry stands for f and ¬f (distinct for m ≥ 0 since the mask has ≥ 1 bit).
  for (const auto& f : functions) counts[f.cost] += 2;
  return counts;
}

namespace {

struct searcher {
  unsigned m = 0, s = 0;
  std::uint64_t mask = 0;
  std::vector<std::uint8_t> ops;
  std::vector<std::uint64_t> table, key;  // per node (inputs then gates): raw and normalised truth table
  std::vector<std::uint32_t> readers;     // per gate
  std::vector<small_gate> gates;
  std::unordered_map<std::uint64_t, std::size_t> index;  // normalised table → entry
  std::vector<function_entry> entries;
  std::uint64_t programs = 0;

  void record(std::uint64_t k, unsigned cost) {
    auto it = index.find(k);
    if (it != index.end() && entries[it->second].cost <= cost) return;
    function_entry e;
    e.table = k;
    e.cost = cost;
    e.circuit.inputs = m;
    e.circuit.gates = gates;
    e.circuit.output = std::int64_t(m + gates.size() - 1);
    e.circuit.output_complemented = (table.back() & 1u) != 0;
    if (it != index.end())
      entries[it->second] = std::move(e);
    else {
      index.emplace(k, entries.size());
      entries.push_back(std::move(e));
    }
  }

  void search(unsigned dangling) {
    const std::size_t g = gates.size();
    const std::size_t nodes = m + g;
    const unsigned remaining_after = unsigned(s - g - 1);
    for (std::size_t j = 0; j < nodes; ++j) {
      for (std::size_t i = 0; i < j; ++i) {
        unsigned d = dangling + 1;
        if (i >= m && readers[i - m] == 0) --d;
        if (j >= m && readers[j - m] == 0) --d;
        if (d - 1 > remaining_after) continue;
        const bool reads_last = g > 0 && (i == nodes - 1 || j == nodes - 1);
        for (std::uint8_t op : ops) {
          std::uint64_t t = apply_op(op, table[i], table[j]) & mask;
          std::uint64_t k = normalise_table(t, mask);
          if (k == 0) continue;
          if (g > 0 && !reads_last && k < key.back()) continue;
          if (std::find(key.begin(), key.end(), k) != key.end()) continue;
          ++programs;
          gates.push_back({std::uint32_t(i), std::uint32_t(j), op});
          table.push_back(t);
          key.push_back(k);
          readers.push_back(0);
          if (i >= m) ++readers[i - m];
          if (j >= m) ++readers[j - m];
          if (d == 1) record(k, unsigned(g + 1));
          if (remaining_after > 0) search(d);
          if (i >= m) --readers[i - m];
          if (j >= m) --readers[j - m];
          readers.pop_back();
          key.pop_back();
          table.pop_back();
          gates.pop_back();
        }
      }
    }
  }
};

}  // namespace

function_library enumerate_functions(const enumerate_params& p, enumerate_stats* stats) {
  if (p.inputs > 6)
    throw input_error("enumerate_functions: at most 6 inputs (got " + std::to_string(p.inputs) + ")");
  auto start = std::chrono::steady_clock::now();
  searcher S;
  S.m = p.inputs;
  S.s = p.max_gates;
  S.mask = table_mask(p.inputs);
  S.ops = p.basis == gate_basis::aig ? std::vector<std::uint8_t>{0, 1, 2, 3}
                                     : std::vector<std::uint8_t>{0, 1, 2, 3, 4};
  // Cost 0: the constant and the variables.
  {
    function_entry c;
    c.table = 0;
    c.circuit.inputs = p.inputs;
    S.index.emplace(0, 0);
    S.entries.push_back(c);
  }
  for (unsigned i = 0; i < p.inputs; ++i) {
    std::uint64_t t = variable_table(i, p.inputs);
    S.table.push_back(t);
    S.key.push_back(t);
    function_entry e;
    e.table = t;
    e.circuit.inputs = p.inputs;
    e.circuit.output = i;
    S.index.emplace(t, S.entries.size());
    S.entries.push_back(e);
  }
  if (p.max_gates > 0 && p.inputs >= 2) S.search(0);
  function_library lib;
  lib.inputs = p.inputs;
  lib.max_gates = p.max_gates;
  lib.basis = p.basis;
  lib.functions = std::move(S.entries);
  std::sort(lib.functions.begin(), lib.functions.end(), [](const function_entry& a, const function_entry& b) {
    return a.cost != b.cost ? a.cost < b.cost : a.table < b.table;
  });
  if (stats) {
    stats->programs = S.programs;
    stats->functions = lib.functions.size();
    stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return lib;
}

}  // namespace occam::fw
