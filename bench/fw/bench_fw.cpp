// THEORY §9 oracle throughput: small-circuit enumeration (functions per second) and exact / greedy oracle
// calls per second for m = 8 circuit inputs (the level-3 Tetrakis grid in 2 dimensions, 81 vertices, and all
// 256 input patterns), s ≤ 5. `bench_fw dump M S N SEED` prints N sampled functions of the (M, S) library as
// "hex cost" lines for the ABC `twoexact` cross-check (bench/fw/run.sh).
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>

#include "occam/fw/fw.hpp"

using namespace occam::fw;
// Process CPU time, not wall time: the benchmark machine is shared, and CPU seconds of this single-threaded
// program are what the throughput means.
struct clock_type {
  using time_point = double;
  static double now() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
  }
};

static double seconds_since(double t) {
  return clock_type::now() - t;
}

static int dump(unsigned m, unsigned s, std::size_t count, std::uint64_t seed) {
  auto lib = enumerate_functions({m, s, gate_basis::aig});
  std::mt19937_64 rng(seed);
  // Stratified: up to count/(s+1) per cost, so the rare large costs are represented.
  for (unsigned c = 0; c <= s; ++c) {
    std::vector<const function_entry*> at;
    // Only functions that depend on all m inputs: twoexact -I m assumes full support (it rejects fewer than
    // m − 1 gates outright).
    auto full_support = [&](std::uint64_t t) {
      for (unsigned i = 0; i < m; ++i) {
        std::uint64_t v = variable_table(i, m);
        if (((t & v) >> (1u << i)) == (t & ~v & table_mask(m))) return false;
      }
      return true;
    };
    for (const auto& f : lib.functions)
      if (f.cost == c && full_support(f.table)) at.push_back(&f);
    std::shuffle(at.begin(), at.end(), rng);
    std::size_t take = std::min(at.size(), count / (s + 1) + 1);
    unsigned digits = m <= 2 ? 1 : (1u << m) / 4;
    for (std::size_t i = 0; i < take; ++i) fmt::print("{:0{}x} {}\n", at[i]->table, digits, at[i]->cost);
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 4 && std::string(argv[1]) == "time") {  // seconds per enumerated function of the (M, S) library
    auto t0 = clock_type::now();
    auto lib =
        enumerate_functions({unsigned(std::atoi(argv[2])), unsigned(std::atoi(argv[3])), gate_basis::aig});
    fmt::print("{:.3g}\n", seconds_since(t0) / double(lib.functions.size()));
    return 0;
  }
  if (argc >= 4 && std::string(argv[1]) == "dump")
    return dump(unsigned(std::atoi(argv[2])), unsigned(std::atoi(argv[3])),
                argc > 4 ? std::size_t(std::atoll(argv[4])) : 50,
                argc > 5 ? std::uint64_t(std::atoll(argv[5])) : 1);
  const unsigned max_s = argc > 1 ? unsigned(std::atoi(argv[1])) : 5;
  fmt::print(
      "## Enumeration (AIG basis; a circuit with s ANDs reads ≤ s+1 inputs, so the m = 8 oracle uses the "
      "(s+1)-input library on every (s+1)-subset of the 8 inputs)\n\n");
  fmt::print(
      "| inputs | s | functions (up to complement) | programs visited | CPU seconds | functions/s | "
      "programs/s |\n");
  fmt::print("|---|---|---|---|---|---|---|\n");
  for (unsigned s = 1; s <= max_s; ++s) {
    enumerate_stats st;
    auto t0 = clock_type::now();
    auto lib = enumerate_functions({s + 1, s, gate_basis::aig}, &st);
    double sec = seconds_since(t0);
    fmt::print("| {} | {} | {} | {} | {:.3f} | {:.3g} | {:.3g} |\n", s + 1, s, lib.functions.size(),
               st.programs, sec, lib.functions.size() / sec, st.programs / sec);
  }
  fmt::print("\n## Oracle calls, m = 8 circuit inputs, γ = 3\n\n");
  fmt::print(
      "| vertices | s | oracle | calls | CPU seconds/call | calls/s | candidates scored/s "
      "|\n|---|---|---|---|---|---|---|\n");
  std::mt19937_64 rng(1);
  std::normal_distribution<double> N(0, 1);
  oracle orc;
  for (unsigned s = 1; s <= max_s; ++s) orc.library(s + 1, s);  // enumeration is timed above, not here
  for (int full = 0; full < 2; ++full) {
    oracle_problem p;
    p.num_inputs = 8;
    std::size_t V = full ? 256 : vertex_count(2, 3);
    for (std::size_t v = 0; v < V; ++v) {
      p.inputs.push_back(full ? v : vertex_pattern(v, 2, 3));
      p.weights.push_back(N(rng));
    }
    for (unsigned s = 1; s <= max_s; ++s) {
      for (int greedy = 0; greedy < 2; ++greedy) {
        if (greedy && s <= 2) continue;
        oracle_params op;
        op.max_gates = s;
        op.kind = greedy ? oracle_kind::greedy : oracle_kind::exact;
        op.exact_gates = 2;
        oracle_stats st;
        auto t0 = clock_type::now();
        unsigned calls = 0;
        while (calls < 3 || (seconds_since(t0) < 1.0 && calls < 1000)) {
          for (auto& w : p.weights) w = N(rng);
          orc.solve(p, op, &st);
          ++calls;
        }
        double sec = seconds_since(t0);
        fmt::print("| {} | {} | {} | {} | {:.3g} | {:.3g} | {:.3g} |\n", V, s,
                   greedy ? "greedy (exact ≤ 2)" : "exact", calls, sec / calls, calls / sec,
                   st.candidates / sec);
      }
    }
  }
  return 0;
}
