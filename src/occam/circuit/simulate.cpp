// Bit-parallel AIG simulation. The AIG is flattened into a list of AND operations over a node-major buffer
// holding W words per node; one sweep evaluates 64*W patterns. The inner loop over the W words has no
// dependencies, so with W >= 4 GCC emits full-width vector code; an AVX2 clone is picked at run time.
#include "occam/circuit/simulate.hpp"

#include <algorithm>
#include <cstring>

#include "occam/util/error.hpp"

namespace occam::circuit {
namespace {

struct and_op {
  std::uint32_t out, a, b, flags;  // flags bit 0: a complemented, bit 1: b complemented
};

std::vector<and_op> flatten(const aig& g) {
  std::vector<and_op> ops;
  ops.reserve(g.num_ands());
  for (node_id n = 1; n < g.num_nodes(); ++n)
    if (g.is_and(n)) {
      literal a = g.fanin0(n), b = g.fanin1(n);
      ops.push_back({n, lit_node(a), lit_node(b), (a & 1u) | ((b & 1u) << 1)});
    }
  return ops;
}

template <unsigned W>
inline void run_ops(const and_op* ops, std::size_t count, std::uint64_t* sim) {
  for (std::size_t i = 0; i < count; ++i) {
    const and_op o = ops[i];
    const std::uint64_t* __restrict pa = sim + std::size_t(o.a) * W;
    const std::uint64_t* __restrict pb = sim + std::size_t(o.b) * W;
    std::uint64_t* __restrict po = sim + std::size_t(o.out) * W;
    const std::uint64_t ma = 0 - std::uint64_t(o.flags & 1u);
    const std::uint64_t mb = 0 - std::uint64_t((o.flags >> 1) & 1u);
    for (unsigned k = 0; k < W; ++k) po[k] = (pa[k] ^ ma) & (pb[k] ^ mb);
  }
}

#define OCCAM_SIM_DISPATCH(W_, ops, count, sim) \
  switch (W_) {                                 \
    case 1:                                     \
      run_ops<1>(ops, count, sim);              \
      break;                                    \
    case 2:                                     \
      run_ops<2>(ops, count, sim);              \
      break;                                    \
    case 4:                                     \
      run_ops<4>(ops, count, sim);              \
      break;                                    \
    case 8:                                     \
      run_ops<8>(ops, count, sim);              \
      break;                                    \
    default:                                    \
      run_ops<16>(ops, count, sim);             \
      break;                                    \
  }

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) void run_avx2(unsigned w, const and_op* ops, std::size_t count,
                                              std::uint64_t* sim) {
  OCCAM_SIM_DISPATCH(w, ops, count, sim)
}
#endif

void run_generic(unsigned w, const and_op* ops, std::size_t count, std::uint64_t* sim) {
  OCCAM_SIM_DISPATCH(w, ops, count, sim)
}

void run(unsigned w, const std::vector<and_op>& ops, std::uint64_t* sim) {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool has_avx2 = __builtin_cpu_supports("avx2");
  if (has_avx2) return run_avx2(w, ops.data(), ops.size(), sim);
#endif
  run_generic(w, ops.data(), ops.size(), sim);
}

unsigned block_width(unsigned requested, std::size_t total_words) {
  unsigned w = 1;
  while (w * 2 <= std::min<unsigned>(requested, 16)) w *= 2;
  while (w > 1 && w / 2 >= total_words) w /= 2;  // no point sweeping mostly-empty blocks
  return w;
}

/// Simulates `total_words` words per signal in blocks. fill(w0, n, row_of_pi) fills the PI rows for words
/// [w0, w0+n); take(w0, n, sim) reads the outputs.
template <class Fill, class Take>
void simulate_blocks(const aig& g, unsigned requested_w, std::size_t total_words, Fill fill, Take take) {
  const unsigned W = block_width(requested_w, total_words);
  auto ops = flatten(g);
  std::vector<std::uint64_t> sim(g.num_nodes() * W, 0);
  for (std::size_t w0 = 0; w0 < total_words; w0 += W) {
    std::size_t n = std::min<std::size_t>(W, total_words - w0);
    for (std::size_t i = 0; i < g.num_pis(); ++i) {
      std::uint64_t* row = sim.data() + std::size_t(g.pi_node(i)) * W;
      std::fill(row, row + W, 0);
      fill(i, w0, n, row);
    }
    run(W, ops, sim.data());
    take(w0, n, sim.data(), W);
  }
}

}  // namespace

pattern_set random_patterns(std::size_t num_inputs, std::size_t num_patterns, std::uint64_t seed) {
  pattern_set p(num_inputs, num_patterns);
  std::uint64_t s = seed;
  for (auto& w : p.bits) {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    w = z ^ (z >> 31);
  }
  const std::size_t words = p.words();
  if (num_patterns % 64 != 0 && words > 0)
    for (std::size_t i = 0; i < num_inputs; ++i)
      p.bits[i * words + words - 1] &= (std::uint64_t(1) << (num_patterns % 64)) - 1;
  return p;
}

pattern_set simulate(const aig& g, const pattern_set& inputs, const simulation_params& params) {
  if (inputs.num_signals != g.num_pis())
    throw input_error("simulate: " + std::to_string(inputs.num_signals) +
                      " input signals for a circuit with " + std::to_string(g.num_pis()) + " inputs");
  pattern_set out(g.num_pos(), inputs.num_patterns);
  const std::size_t words = inputs.words();
  simulate_blocks(
      g, params.block_words, words,
      [&](std::size_t i, std::size_t w0, std::size_t n, std::uint64_t* row) {
        std::memcpy(row, inputs.signal(i) + w0, n * sizeof(std::uint64_t));
      },
      [&](std::size_t w0, std::size_t n, const std::uint64_t* sim, unsigned W) {
        for (std::size_t o = 0; o < g.num_pos(); ++o) {
          literal f = g.po(o);
          const std::uint64_t* src = sim + std::size_t(lit_node(f)) * W;
          const std::uint64_t m = 0 - std::uint64_t(lit_complemented(f));
          std::uint64_t* dst = out.signal(o) + w0;
          for (std::size_t k = 0; k < n; ++k) dst[k] = src[k] ^ m;
        }
      });
  if (inputs.num_patterns % 64 != 0 && words > 0) {
    const std::uint64_t keep = (std::uint64_t(1) << (inputs.num_patterns % 64)) - 1;
    for (std::size_t o = 0; o < g.num_pos(); ++o) out.signal(o)[words - 1] &= keep;
  }
  return out;
}

std::vector<std::vector<std::uint64_t>> truth_tables(const aig& g, const simulation_params& params) {
  const std::size_t n_in = g.num_pis();
  if (n_in > 20)
    throw input_error("truth tables need at most 20 inputs, the circuit has " + std::to_string(n_in));
  const std::size_t words = n_in <= 6 ? 1 : (std::size_t(1) << (n_in - 6));
  std::vector<std::vector<std::uint64_t>> tt(g.num_pos(), std::vector<std::uint64_t>(words, 0));
  static const std::uint64_t var_mask[6] = {0xAAAAAAAAAAAAAAAAull, 0xCCCCCCCCCCCCCCCCull,
                                            0xF0F0F0F0F0F0F0F0ull, 0xFF00FF00FF00FF00ull,
                                            0xFFFF0000FFFF0000ull, 0xFFFFFFFF00000000ull};
  simulate_blocks(
      g, params.block_words, words,
      [&](std::size_t i, std::size_t w0, std::size_t n, std::uint64_t* row) {
        for (std::size_t k = 0; k < n; ++k)
          row[k] = i < 6 ? var_mask[i] : ((((w0 + k) >> (i - 6)) & 1u) ? ~std::uint64_t(0) : 0);
      },
      [&](std::size_t w0, std::size_t n, const std::uint64_t* sim, unsigned W) {
        for (std::size_t o = 0; o < g.num_pos(); ++o) {
          literal f = g.po(o);
          const std::uint64_t* src = sim + std::size_t(lit_node(f)) * W;
          const std::uint64_t m = 0 - std::uint64_t(lit_complemented(f));
          for (std::size_t k = 0; k < n; ++k) tt[o][w0 + k] = src[k] ^ m;
        }
      });
  if (n_in < 6) {
    const std::uint64_t keep = (std::uint64_t(1) << (std::size_t(1) << n_in)) - 1;
    for (auto& t : tt) t[0] &= keep;
  }
  return tt;
}

double accuracy_result::overall() const {
  std::size_t c = 0, t = 0;
  for (std::size_t o = 0; o < correct.size(); ++o) {
    c += correct[o];
    t += counted[o];
  }
  return t ? double(c) / double(t) : 1.0;
}

namespace {
/// Shared tail: simulate, then compare with targets (target bit and "specified" mask per output).
accuracy_result score(const aig& g, const pattern_set& in, const pattern_set& target,
                      const pattern_set& care) {
  pattern_set out = simulate(g, in);
  accuracy_result r;
  r.rows = in.num_patterns;
  r.correct.assign(g.num_pos(), 0);
  r.counted.assign(g.num_pos(), 0);
  const std::size_t words = in.words();
  std::vector<std::uint64_t> all_ok(words, ~std::uint64_t(0));
  for (std::size_t o = 0; o < g.num_pos(); ++o)
    for (std::size_t w = 0; w < words; ++w) {
      std::uint64_t c = care.signal(o)[w];
      std::uint64_t wrong = (out.signal(o)[w] ^ target.signal(o)[w]) & c;
      r.counted[o] += static_cast<std::size_t>(__builtin_popcountll(c));
      r.correct[o] += static_cast<std::size_t>(__builtin_popcountll(c & ~wrong));
      all_ok[w] &= ~wrong;
    }
  for (std::size_t w = 0; w < words; ++w) {
    std::uint64_t valid = (w + 1 < words || in.num_patterns % 64 == 0)
                              ? ~std::uint64_t(0)
                              : (std::uint64_t(1) << (in.num_patterns % 64)) - 1;
    r.rows_all_correct += static_cast<std::size_t>(__builtin_popcountll(all_ok[w] & valid));
  }
  return r;
}
}  // namespace

accuracy_result accuracy(const aig& g, const data::dataset& d) {
  if (d.d_in != g.num_pis())
    throw input_error(
        d.name, 0,
        "data set has " + std::to_string(d.d_in) + " inputs, the circuit has " + std::to_string(g.num_pis()));
  if (d.d_out != g.num_pos())
    throw input_error(d.name, 0,
                      "data set has " + std::to_string(d.d_out) + " outputs, the circuit has " +
                          std::to_string(g.num_pos()));
  // A circuit reads and writes bits: real-valued inputs or targets have no accuracy (a threshold at 0.5
  // would score some other function), so they are refused rather than rounded.
  auto not_a_bit = [&](const char* what, std::size_t r, std::size_t col, float v) {
    return input_error(d.name, 0,
                       std::string("circuit accuracy needs 0/1 data: row ") + std::to_string(r + 1) + " " +
                           what + " " + std::to_string(col) + " is " + std::to_string(v));
  };
  pattern_set in(d.d_in, d.n), target(d.d_out, d.n), care(d.d_out, d.n);
  for (std::size_t r = 0; r < d.n; ++r) {
    const float* x = d.row(r);
    const float* y = d.target(r);
    for (std::size_t i = 0; i < d.d_in; ++i) {
      if (x[i] != 0.0f && x[i] != 1.0f) throw not_a_bit("input", r, i, x[i]);
      if (x[i] == 1.0f) in.set(i, r, true);
    }
    for (std::size_t o = 0; o < d.d_out; ++o) {
      if (y[o] != 0.0f && y[o] != 1.0f) throw not_a_bit("target", r, o, y[o]);
      if (y[o] == 1.0f) target.set(o, r, true);
      care.set(o, r, true);
    }
  }
  return score(g, in, target, care);
}

accuracy_result accuracy(const aig& g, const data::pla_table& t, const std::string& name) {
  if (t.num_inputs != g.num_pis())
    throw input_error(name, 0,
                      "PLA has " + std::to_string(t.num_inputs) + " inputs, the circuit has " +
                          std::to_string(g.num_pis()));
  if (t.num_outputs != g.num_pos())
    throw input_error(name, 0,
                      "PLA has " + std::to_string(t.num_outputs) + " outputs, the circuit has " +
                          std::to_string(g.num_pos()));
  const std::size_t n = t.inputs.size();
  pattern_set in(t.num_inputs, n), target(t.num_outputs, n), care(t.num_outputs, n);
  for (std::size_t r = 0; r < n; ++r) {
    const std::string& cube = t.inputs[r];
    for (std::size_t i = 0; i < cube.size(); ++i) {
      if (cube[i] == '-')
        throw input_error(
            name, r < t.source_lines.size() ? t.source_lines[r] : 0,
            "accuracy needs fully specified input rows; found '-' at column " + std::to_string(i + 1));
      if (cube[i] == '1') in.set(i, r, true);
    }
    const std::string& outs = t.outputs[r];
    for (std::size_t o = 0; o < outs.size(); ++o) {
      if (outs[o] == '-') continue;
      care.set(o, r, true);
      if (outs[o] == '1') target.set(o, r, true);
    }
  }
  return score(g, in, target, care);
}

}  // namespace occam::circuit
