// libFuzzer target: the AIGER reader (ASCII and binary). Any input must either parse or raise
// occam::input_error; a parsed circuit must survive a write/read round trip unchanged.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string_view>

#include "occam/circuit/io.hpp"
#include "occam/circuit/simulate.hpp"
#include "occam/util/error.hpp"

using namespace occam::circuit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  aiger_read_params params;
  params.max_binary_inputs = 1u << 16;  // keep each run small; the limit itself is part of the reader
  aig g;
  try {
    g = parse_aiger(text, "fuzz", params);
  } catch (const occam::input_error&) {
    return 0;
  }
  auto s = statistics(g);
  for (int binary = 0; binary < 2; ++binary) {
    std::ostringstream out;
    binary ? write_aiger_binary(g, out) : write_aiger_ascii(g, out);
    aig h = parse_aiger(out.str(), "roundtrip");  // must not throw
    auto t = statistics(h);
    if (t.ands != s.ands || t.depth != s.depth || h.num_pis() != g.num_pis() || h.num_pos() != g.num_pos() ||
        h.comment != g.comment)
      std::abort();
  }
  if (g.num_pis() <= 64 && g.num_ands() <= 4096) {
    auto p = random_patterns(g.num_pis(), 128, 1);
    (void)simulate(g, p);
  }
  return 0;
}
