// docs/experiments/construction.md, "Round trip": circuit → exact ResNet (THEORY §7) → pruning (THEORY §2,
// magnitude and Poisson) → fixed-point quantisation → AIG (THEORY §4 real-to-bin) → ABC `fast`. How many AND
// nodes come back, and is the function still the circuit's? Every circuit has n ≤ 12 inputs, so exactness is
// checked on all 2^n inputs (exhaustive truth tables of both AIGs). Prints a markdown table; deterministic.
#include <torch/torch.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "occam/circuit/abc.hpp"
#include "occam/circuit/aig.hpp"
#include "occam/circuit/arith.hpp"
#include "occam/circuit/simulate.hpp"
#include "occam/compile/compile.hpp"
#include "occam/compile/network_to_circuit.hpp"
#include "occam/compile/quantize.hpp"
#include "occam/complexity/complexity.hpp"

using namespace occam;

namespace {

/// Random AIG: fan-ins drawn from all earlier signals or (half the time) the 8 most recent ones, so the
/// circuits are deep. Every AND without fan-out is then folded into the outputs by a random AND tree (with
/// random complements), so the whole random cone is used and |C| grows with `ands`.
circuit::aig random_aig(unsigned inputs, unsigned ands, unsigned outputs, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  circuit::aig g;
  std::vector<circuit::literal> signals;
  for (unsigned i = 0; i < inputs; ++i) signals.push_back(g.create_pi());
  for (unsigned tries = 0; g.num_ands() < ands && tries < 100 * ands; ++tries) {
    auto pick = [&] {
      const std::size_t m = signals.size();
      const std::size_t j = (rng() & 1) ? m - 1 - rng() % std::min<std::size_t>(m, 8) : rng() % m;
      return circuit::lit_not_cond(signals[j], rng() & 1);
    };
    const circuit::literal f = g.create_and(pick(), pick());
    if (circuit::lit_node(f) != 0) signals.push_back(circuit::lit_regular(f));
  }
  std::vector<bool> used(g.num_nodes(), false);
  for (circuit::node_id n = 1; n < g.num_nodes(); ++n)
    if (g.is_and(n)) used[circuit::lit_node(g.fanin0(n))] = used[circuit::lit_node(g.fanin1(n))] = true;
  std::vector<circuit::literal> sinks;
  for (circuit::node_id n = 1; n < g.num_nodes(); ++n)
    if (g.is_and(n) && !used[n]) sinks.push_back(circuit::make_lit(n));
  if (sinks.empty()) sinks.push_back(signals.back());
  while (sinks.size() > outputs) {
    const circuit::literal a = sinks.back();
    sinks.pop_back();
    const circuit::literal b = sinks.back();
    sinks.pop_back();
    const circuit::literal f =
        g.create_and(circuit::lit_not_cond(a, rng() & 1), circuit::lit_not_cond(b, rng() & 1));
    sinks.insert(sinks.begin(), circuit::lit_not_cond(f, rng() & 1));
  }
  for (unsigned o = 0; o < outputs; ++o) g.create_po(sinks[o % sinks.size()]);
  return circuit::cleanup(g);
}

circuit::aig adder(unsigned bits) {
  circuit::aig g;
  auto a = circuit::create_input_word(g, bits, "a");
  auto b = circuit::create_input_word(g, bits, "b");
  // Unsigned operands: zero-extend so the exact sum has bits + 1 significant bits.
  auto s = circuit::add(g, circuit::zero_extend(a, bits + 1), circuit::zero_extend(b, bits + 1));
  s.resize(bits + 1);
  circuit::create_output_word(g, s, "s");
  return circuit::cleanup(g);
}

circuit::aig comparator(unsigned bits) {
  circuit::aig g;
  auto a = circuit::create_input_word(g, bits, "a");
  auto b = circuit::create_input_word(g, bits, "b");
  g.create_po(circuit::less_than(g, a, b, /*is_signed=*/false), "lt");
  return circuit::cleanup(g);
}

struct row {
  std::string circuit, method;
  std::size_t n = 0, outputs = 0, ands = 0, ands_fast = 0, depth = 0;
  std::int64_t nonzero_before = 0, nonzero_after = 0;
  std::int64_t live = 0;
  double l2_error = 0, float_bit_accuracy = 1;
  unsigned bits = 0;
  bool bits_found = false;
  std::size_t ands_generated = 0, ands_back = 0;
  double bit_accuracy = 0;
  bool exact = false;
};

/// Fraction of (input, output) bits on which two AIGs with the same interface agree (exhaustive).
double truth_table_agreement(const circuit::aig& a, const circuit::aig& b) {
  const auto ta = circuit::truth_tables(a), tb = circuit::truth_tables(b);
  const std::size_t rows = std::size_t(1) << a.num_pis();
  std::size_t agree = 0;
  for (std::size_t o = 0; o < ta.size(); ++o)
    for (std::size_t m = 0; m < rows; ++m)
      agree += ((ta[o][m / 64] >> (m % 64)) & 1u) == ((tb[o][m / 64] >> (m % 64)) & 1u);
  return double(agree) / double(rows * ta.size());
}

void run_circuit(const std::string& name, const circuit::aig& g, std::vector<row>& rows) {
  const std::size_t n = g.num_pis(), outs = g.num_pos(), count = std::size_t(1) << n;
  const auto st = circuit::statistics(g);
  const circuit::aig g_fast = circuit::abc_optimize(g, circuit::expand_abc_script("fast", 1));

  // THEORY §7 network on ±1 inputs; the decision is the output's sign, so the model is a binary classifier.
  compile::sparse_network net = compile::circuit_to_network(g);
  data::box box{std::vector<float>(n, -1.0f), std::vector<float>(n, 1.0f)};
  compile::materialise_params mp;
  mp.dtype = torch::kFloat64;
  nn::resnet m = compile::to_resnet(net, box, mp);
  m.kind = data::task_kind::binary;

  // All 2^n inputs: π for pruning (±1 coordinates) and the calibration / evaluation set (targets 0/1).
  const auto tables = circuit::truth_tables(g);
  data::dataset d;
  d.name = name;
  d.kind = data::task_kind::binary;
  d.n = count;
  d.d_in = n;
  d.d_out = outs;
  d.input_box = box;
  d.x.resize(count * n);
  d.y.resize(count * outs);
  torch::Tensor x = torch::empty({std::int64_t(count), std::int64_t(n)}, torch::kFloat64);
  auto xa = x.accessor<double, 2>();
  for (std::size_t r = 0; r < count; ++r) {
    for (std::size_t i = 0; i < n; ++i) {
      const float v = (r >> i) & 1 ? 1.0f : -1.0f;
      d.x[r * n + i] = v;
      xa[std::int64_t(r)][std::int64_t(i)] = v;
    }
    for (std::size_t o = 0; o < outs; ++o) d.y[r * outs + o] = float((tables[o][r / 64] >> (r % 64)) & 1u);
  }

  const std::int64_t nnz = m.nonzero_count();
  // L = #{θ_i ≠ 0 with ‖∂_{θ_i} f‖_{L2(π)} > 0}: what Poisson pruning can keep (THEORY §2: a_i = 0 ⇒ p_i =
  // 0).
  std::int64_t live = 0;
  {
    const auto weights = complexity::rtilde_weights(m, x).flat();
    const auto params = m.parameters();
    for (std::size_t t = 0; t < params.size(); ++t)
      live += (params[t].ne(0).logical_and(weights[t].gt(0))).sum().item<std::int64_t>();
  }
  struct setting {
    complexity::prune_params::method_kind method;
    double budget;
    std::string name;
  };
  using mk = complexity::prune_params::method_kind;
  const std::vector<setting> settings = {{mk::magnitude, double(nnz), "none"},
                                         {mk::magnitude, 0.9 * double(nnz), "magnitude 0.9 P"},
                                         {mk::poisson, double(nnz), "Poisson N = P"},
                                         {mk::poisson, 0.9 * double(live), "Poisson 0.9 L"},
                                         {mk::poisson, 0.7 * double(live), "Poisson 0.7 L"},
                                         {mk::poisson, 0.5 * double(live), "Poisson 0.5 L"}};
  for (const auto& s : settings) {
    row r;
    r.circuit = name;
    r.method = s.name;
    r.n = n;
    r.outputs = outs;
    r.ands = st.ands;
    r.depth = st.depth;
    r.ands_fast = circuit::statistics(g_fast).ands;
    r.nonzero_before = nnz;
    r.live = live;
    complexity::prune_params pp;
    pp.method = s.method;
    pp.budget = s.budget;
    pp.seed = 1;
    complexity::prune_stats ps;
    nn::resnet pruned = complexity::prune(m, x, pp, &ps);
    r.nonzero_after = ps.nonzero_after;
    r.l2_error = ps.measured_error;
    // Float decisions of the pruned network against the circuit, bit by bit.
    const auto f = compile::float_forward(pruned, d.x.data(), count);
    std::size_t right = 0;
    for (std::size_t i = 0; i < count * outs; ++i) right += (f[i] > 0) == (d.y[i] > 0.5f);
    r.float_bit_accuracy = double(right) / double(count * outs);
    // Smallest uniform b = b_w = b_a keeping the pruned network's accuracy (1-bit input codes: x = −1 + 2u).
    compile::bit_width_search_params bp;
    bp.min_bits = 2;
    bp.max_bits = 12;
    bp.tolerance = 0;
    bp.base.input_bits = 1;
    bp.base.boolean_inputs = false;
    const auto search = compile::choose_bit_widths(pruned, d, bp);
    r.bits = search.bits;
    r.bits_found = search.found;
    compile::network_to_circuit_params cp;
    cp.abc_script = "fast";
    compile::network_to_circuit_stats cs;
    const circuit::aig back = compile::network_to_circuit(search.q, cp, &cs);
    r.ands_generated = cs.ands_generated;
    r.ands_back = cs.ands;
    r.bit_accuracy = truth_table_agreement(g, back);
    r.exact = r.bit_accuracy == 1.0;
    rows.push_back(r);
    std::fprintf(stderr, "%s %s: b=%u ANDs %zu -> %zu, bit accuracy %.4f\n", name.c_str(), r.method.c_str(),
                 r.bits, r.ands_generated, r.ands_back, r.bit_accuracy);
  }
}

}  // namespace

int main() {
  torch::set_num_threads(1);
  std::vector<row> rows;
  run_circuit("adder 2+2", adder(2), rows);
  run_circuit("adder 4+4", adder(4), rows);
  run_circuit("adder 6+6", adder(6), rows);
  run_circuit("comparator 6<6", comparator(6), rows);
  run_circuit("random 8-in 24-AND", random_aig(8, 24, 1, 11), rows);
  run_circuit("random 10-in 48-AND", random_aig(10, 48, 2, 12), rows);
  run_circuit("random 12-in 120-AND", random_aig(12, 120, 2, 13), rows);

  std::printf(
      "| circuit | n | out | \\|C\\| | depth | \\|C\\| fast | P / L | pruning | kept θ | L2 error | "
      "float bit acc. | b | ANDs generated | ANDs after fast | ÷ \\|C\\| fast | bit accuracy | exact |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
  for (const auto& r : rows) {
    std::printf(
        "| %s | %zu | %zu | %zu | %zu | %zu | %lld / %lld | %s | %lld | %.3g | %.4f | %u%s | %zu | %zu | "
        "%.2f | "
        "%.4f | %s |\n",
        r.circuit.c_str(), r.n, r.outputs, r.ands, r.depth, r.ands_fast, (long long)r.nonzero_before,
        (long long)r.live, r.method.c_str(), (long long)r.nonzero_after, r.l2_error, r.float_bit_accuracy,
        r.bits, r.bits_found ? "" : "*", r.ands_generated, r.ands_back,
        r.ands_fast ? double(r.ands_back) / double(r.ands_fast) : 0.0, r.bit_accuracy,
        r.exact ? "yes" : "no");
  }
  return 0;
}
