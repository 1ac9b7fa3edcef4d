// Per-word truth-table synthesis (network_to_circuit_params::lut_inputs = K) against the pure arithmetic
// compiler (K = 0) on pruned ResNets, e.g. the ones `occam fit` writes to OUT/pruned/*.occam for IWLS 2020
// (THEORY §4: size = AND nodes). For each model and bit width b: quantise (calibrated on the data when the
// model reads all of its inputs), compile with every K, check the circuit against simulate_quantized on
// the data rows, and print one markdown row per K: ANDs generated, ANDs after ABC `fast` (and the ratio to
// K = 0), compile time, words synthesised from truth tables.
//
// Usage: lut_sweep DATA.pla K[:P][,K[:P]...] B[,B...] MODEL.occam...
//   (P: lut_partial_sum_inputs, default that of network_to_circuit_params)
// Environment: LUT_SWEEP_MAX_ANDS=N skips (model, b) pairs whose K = 0 circuit has more than N ANDs before
// ABC (far beyond a contest budget; ABC alone takes minutes on them).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "bench_compile_util.hpp"
#include "occam/circuit/simulate.hpp"
#include "occam/compile/network_to_circuit.hpp"
#include "occam/compile/quantize.hpp"
#include "occam/data/loaders.hpp"
#include "occam/nn/resnet.hpp"
#include "occam/util/error.hpp"

using namespace occam;

namespace {

std::vector<unsigned> parse_list(const std::string& s) {
  std::vector<unsigned> v;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) v.push_back(unsigned(std::stoul(item)));
  return v;
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s DATA.pla K[,K...] B[,B...] MODEL.occam...\n", argv[0]);
    return 2;
  }
  const data::dataset d = data::load_dataset(argv[1]);
  std::vector<std::pair<unsigned, unsigned>> ks;  // (K, P)
  {
    std::stringstream ss(argv[2]);
    for (std::string item; std::getline(ss, item, ',');) {
      auto colon = item.find(':');
      unsigned k = unsigned(std::stoul(item.substr(0, colon)));
      unsigned p = colon == std::string::npos ? compile::network_to_circuit_params{}.lut_partial_sum_inputs
                                              : unsigned(std::stoul(item.substr(colon + 1)));
      ks.emplace_back(k, p);
    }
  }
  const auto bits = parse_list(argv[3]);
  const char* limit_env = std::getenv("LUT_SWEEP_MAX_ANDS");
  const std::size_t max_ands = limit_env ? std::size_t(std::stoull(limit_env)) : 0;
  std::printf(
      "| model | b | non-zero int weights | K | ANDs generated | ANDs after `fast` | vs K=0 | LUT words "
      "(over inputs) | arithmetic words | compile s | ABC s |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (int a = 4; a < argc; ++a) {
    const std::string path = argv[a];
    const auto m = nn::load_model(path);
    const bool same_inputs = std::size_t(m.shape.d_in) == d.d_in;
    const std::size_t din = std::size_t(m.shape.d_in);
    for (unsigned b : bits) {
      compile::quantize_params qp;
      qp.weight_bits = qp.activation_bits = b;
      qp.boolean_inputs = d.boolean_inputs;
      qp.input_bits = d.boolean_inputs ? 1 : 8;
      // A model on a subset of the inputs (an `occam fit` input-budget view) is calibrated on its box.
      const auto q = compile::quantize(m, qp, same_inputs ? &d : nullptr);
      // Checked on the data rows, or (a view on ≤ 16 Boolean inputs) on every input.
      std::vector<std::int64_t> codes;
      if (same_inputs) {
        codes = compile::encode_inputs(q, d.x.data(), d.n);
      } else if (d.boolean_inputs && din <= 16) {
        for (std::size_t r = 0; r < (std::size_t(1) << din); ++r)
          for (std::size_t i = 0; i < din; ++i) codes.push_back(std::int64_t((r >> i) & 1u));
      }
      if (max_ands > 0) {
        compile::network_to_circuit_stats s0;
        compile::network_to_circuit(q, {}, &s0);
        if (s0.ands_generated > max_ands) {
          std::fprintf(stderr, "%s b=%u: %zu ANDs at K = 0 > LUT_SWEEP_MAX_ANDS, skipped\n", path.c_str(), b,
                       s0.ands_generated);
          continue;
        }
      }
      std::size_t ands0 = 0;
      for (auto [k, part] : ks) {
        compile::network_to_circuit_params p;
        p.lut_inputs = k;
        p.lut_partial_sum_inputs = part;
        p.abc_script = "fast";
        compile::network_to_circuit_stats st;
        const auto t0 = std::chrono::steady_clock::now();
        const auto g = compile::network_to_circuit(q, p, &st);
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!codes.empty() && occam_bench::mismatches(g, q, codes) != 0) {
          std::fprintf(stderr, "%s: b=%u K=%u: circuit differs from simulate_quantized\n", path.c_str(), b,
                       k);
          return 1;
        }
        if (k == ks.front().first && part == ks.front().second) ands0 = st.ands;
        std::string name = path.substr(path.find_last_of('/') + 1);
        const std::string kname =
            std::to_string(k) + (part == compile::network_to_circuit_params{}.lut_partial_sum_inputs
                                     ? std::string()
                                     : ":" + std::to_string(part));
        std::printf("| %s | %u | %zu | %s | %zu | %zu | %.3f | %zu (%zu) | %zu | %.2f | %.2f |\n",
                    name.c_str(), b, q.nonzero_weights(), kname.c_str(), st.ands_generated, st.ands,
                    ands0 ? double(st.ands) / double(ands0) : 1.0, st.lut_words, st.lut_words_over_inputs,
                    st.arithmetic_words, secs - st.abc_seconds, st.abc_seconds);
        std::fflush(stdout);
      }
    }
  }
  return 0;
} catch (const input_error& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 2;
}
