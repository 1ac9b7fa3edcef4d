// Simulation throughput: AND-node evaluations per second on one core.
//   bench_circuit_sim FILE.aig PATTERNS [REPEATS] [PATTERN_FILE]
// One "node evaluation" is one AND node computed for one input pattern, so a sweep over an AIG with A AND
// nodes on P patterns is A*P node evaluations (64 of them per 64-bit AND instruction). Reports the best of
// REPEATS runs of thread CPU time (the machine is shared; CPU time is not inflated by waiting), and wall
// time. With PATTERN_FILE, also writes the patterns in ABC's `sim -A` format (one line of 0/1 per pattern).
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "occam/circuit/io.hpp"
#include "occam/circuit/simulate.hpp"

using namespace occam::circuit;

static double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s FILE.aig PATTERNS [REPEATS] [PATTERN_FILE]\n", argv[0]);
    return 2;
  }
  aig g = read_aiger(argv[1]);
  std::size_t patterns = std::strtoull(argv[2], nullptr, 10);
  int repeats = argc > 3 ? std::atoi(argv[3]) : 3;
  pattern_set in = random_patterns(g.num_pis(), patterns, 12345);
  if (argc > 4) {
    std::ofstream f(argv[4]);
    std::string line(g.num_pis(), '0');
    for (std::size_t p = 0; p < patterns; ++p) {
      for (std::size_t i = 0; i < g.num_pis(); ++i) line[i] = in.get(i, p) ? '1' : '0';
      f << line << '\n';
    }
  }
  const double evals = double(g.num_ands()) * double(patterns);
  for (unsigned w : {1u, 4u, 8u, 16u}) {
    simulation_params sp;
    sp.block_words = w;
    double best_cpu = 1e30, best_wall = 1e30;
    std::uint64_t check = 0;
    for (int r = 0; r < repeats; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      double c0 = thread_cpu_seconds();
      pattern_set out = simulate(g, in, sp);
      double c1 = thread_cpu_seconds();
      auto t1 = std::chrono::steady_clock::now();
      best_cpu = std::min(best_cpu, c1 - c0);
      best_wall = std::min(best_wall, std::chrono::duration<double>(t1 - t0).count());
      check ^= out.bits.empty() ? 0 : out.bits[out.bits.size() / 2];
    }
    std::printf(
        "{\"ands\": %zu, \"inputs\": %zu, \"patterns\": %zu, \"block_words\": %u, \"cpu_s\": %.6f, "
        "\"wall_s\": %.6f, \"node_evals_per_s_cpu\": %.4g, \"check\": \"%016llx\"}\n",
        g.num_ands(), g.num_pis(), patterns, w, best_cpu, best_wall, evals / best_cpu,
        (unsigned long long)check);
  }
  return 0;
}
