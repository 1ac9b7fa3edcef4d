// The compiler's sizes on trained majority:7 models (docs/compiler.md, "Measured: majority:7"): for each
// model and bit width b = 3, 4, 6, 7, 8, the quantised network's accuracy, the ANDs the compiler generates
// and what ABC `fast` leaves, each circuit checked against simulate_quantized on all 128 rows; then the
// bit-width search at tolerance 0.
//
// Usage: measure_models MODEL.occam...   (models trained on majority:7, e.g. by `occam train`)
#include <cstdio>

#include "bench_compile_util.hpp"
#include "occam/circuit/abc.hpp"
#include "occam/compile/network_to_circuit.hpp"
#include "occam/compile/quantize.hpp"
#include "occam/data/loaders.hpp"
#include "occam/nn/resnet.hpp"
#include "occam/util/error.hpp"

using namespace occam;

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.occam...\n", argv[0]);
    return 2;
  }
  const auto d = data::make_task("majority:7");
  std::printf(
      "| model | non-zero θ | b | non-zero int weights | accuracy | ANDs | depth | ANDs after `fast` | depth "
      "after |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (int a = 1; a < argc; ++a) {
    const std::string path = argv[a];
    const auto m = nn::load_model(path);
    for (unsigned b : {3u, 4u, 6u, 7u, 8u}) {
      compile::quantize_params qp;
      qp.boolean_inputs = true;
      qp.weight_bits = qp.activation_bits = b;
      const auto q = compile::quantize(m, qp, &d);
      const auto rep = compile::evaluate_quantization(m, q, d);
      compile::network_to_circuit_params p;
      p.abc_script = "fast";
      compile::network_to_circuit_stats st;
      const auto g = compile::network_to_circuit(q, p, &st);
      if (occam_bench::mismatches(g, q, compile::encode_inputs(q, d.x.data(), d.n)) != 0) {
        std::fprintf(stderr, "%s b=%u: circuit differs from simulate_quantized\n", path.c_str(), b);
        return 1;
      }
      std::printf("| %s | %lld | %u | %zu | %.4f | %zu | %u | %zu | %u |\n", path.c_str(),
                  (long long)m.nonzero_count(), b, q.nonzero_weights(), rep.quantized_metric,
                  st.ands_generated, st.depth_generated, st.ands, st.depth);
    }
    compile::bit_width_search_params bp;
    bp.base.boolean_inputs = true;
    bp.tolerance = 0.0;
    const auto res = compile::choose_bit_widths(m, d, bp);
    std::printf("search (tolerance 0): b = %u, found %d\n", res.bits, int(res.found));
  }
  return 0;
} catch (const input_error& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 2;
}
