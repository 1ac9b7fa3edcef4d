// docs/tetrakis.md "Real-to-bin circuits": the AND count of real_to_bin (Prop 7) split by stage, against d, k
// and the input/output precision, for a random one-output ±1 circuit C of about 50 ANDs. Prints a markdown
// table. Deterministic; torch-free.
#include <cstdio>
#include <random>

#include "occam/tetrakis/real_to_bin.hpp"

using namespace occam;

namespace {

circuit::aig random_circuit(std::size_t inputs, unsigned ands, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  circuit::aig g;
  std::vector<circuit::literal> pool;
  for (std::size_t i = 0; i < inputs; ++i) pool.push_back(g.create_pi());
  while (g.num_ands() < ands) {
    auto pick = [&]() {
      std::size_t m = pool.size();
      return circuit::lit_not_cond(pool[rng() % m], rng() & 1);
    };
    auto f = g.create_and(pick(), pick());
    if (circuit::lit_node(f)) pool.push_back(circuit::lit_regular(f));
  }
  // All inputs and the last ANDs feed the output through an XOR chain, so C reads every input.
  circuit::literal out = pool.back();
  for (std::size_t i = 0; i < inputs; ++i) out = g.create_xor(out, pool[i]);
  g.create_po(out);
  return circuit::cleanup(g);
}

void row(std::size_t d, unsigned k, unsigned n, int p) {
  auto c = random_circuit(tetrakis::input_count(d, k), 50, 1000 * d + k);
  tetrakis::real_to_bin_params params;
  params.input_bits = n;
  params.output_fraction_bits = p;
  tetrakis::real_to_bin_stats st;
  tetrakis::real_to_bin(c, d, k, {tetrakis::decoding::kind::sign, 1.0}, params, &st);
  std::printf("| %zu | %u | %u | %d | %zu | %zu | %zu | %zu | %zu | %zu | %zu | %u | %.3g |\n", d, k, n, p,
              circuit::statistics(c).ands, st.location, st.sorting, st.vertex_select, st.vertex_circuits,
              st.weighted_sum, st.ands, st.output_bits, st.error_bound);
}

}  // namespace

int main() {
  std::printf(
      "| d | k | n | p | \\|C\\| | location | sorting | vertex select | vertex circuits | weighted sum | "
      "total "
      "ANDs | output bits | error bound "
      "|\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (std::size_t d : {1, 2, 3, 4, 6, 8}) row(d, 3, 10, 7);  // exact: p = n − k
  for (unsigned k : {1u, 2u, 4u, 6u}) row(2, k, k + 7, 7);    // seven fraction bits at every level
  for (unsigned n : {6u, 14u}) row(2, 3, n, int(n) - 3);
  for (int p : {2, 4}) row(2, 3, 10, p);  // rounded outputs
  return 0;
}
