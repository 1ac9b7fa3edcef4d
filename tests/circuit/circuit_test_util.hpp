#pragma once
#include <cstdlib>
#include <string>
// Helpers shared by the circuit tests: a random AIG generator and a one-pattern-at-a-time reference
// evaluator (deliberately naive, independent of the bit-parallel simulator).
#include <cstdint>
#include <random>
#include <vector>

#include <filesystem>

#include "occam/circuit/abc.hpp"
#include "occam/circuit/aig.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::circuit::testing {

inline aig random_aig(unsigned inputs, unsigned ands, unsigned outputs, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  aig g;
  std::vector<literal> pool;
  for (unsigned i = 0; i < inputs; ++i) pool.push_back(g.create_pi("x" + std::to_string(i)));
  while (g.num_ands() < ands) {
    // Prefer recent nodes so the graph gets deep, not just wide.
    auto pick = [&]() {
      std::size_t n = pool.size();
      std::size_t k = (rng() % 2) ? n - 1 - rng() % std::min<std::size_t>(n, 16) : rng() % n;
      return lit_not_cond(pool[k], rng() & 1);
    };
    literal f = g.create_and(pick(), pick());
    if (lit_node(f) != 0) pool.push_back(lit_regular(f));
  }
  for (unsigned o = 0; o < outputs; ++o)
    g.create_po(lit_not_cond(pool[pool.size() - 1 - o % pool.size()], o & 1), "y" + std::to_string(o));
  return g;
}

/// Output values of `g` on one input assignment (bit i of `in` = input i), by recursion-free node order.
inline std::vector<bool> eval_reference(const aig& g, const std::vector<bool>& in) {
  std::vector<bool> v(g.num_nodes(), false);
  for (std::size_t i = 0; i < g.num_pis(); ++i) v[g.pi_node(i)] = in[i];
  for (node_id n = 1; n < g.num_nodes(); ++n)
    if (g.is_and(n)) {
      bool a = v[lit_node(g.fanin0(n))] != lit_complemented(g.fanin0(n));
      bool b = v[lit_node(g.fanin1(n))] != lit_complemented(g.fanin1(n));
      v[n] = a && b;
    }
  std::vector<bool> out;
  for (literal f : g.pos()) out.push_back(v[lit_node(f)] != lit_complemented(f));
  return out;
}

/// Whether berkeley-abc can be run; probed once per test binary. Tests that need it use OCCAM_REQUIRE_ABC.
inline bool abc_available() {
  static const bool ok = [] {
    const auto d = std::filesystem::temp_directory_path() / "occam_test_abc_probe";
    std::filesystem::create_directories(d);
    bool found = true;
    try {
      run_abc("help", d, abc_params{});
    } catch (const occam::input_error&) {
      found = false;
    }
    occam::remove_tree(d);
    return found;
  }();
  return ok;
}

/// Whether a missing ABC fails the ABC-dependent tests instead of skipping them: set by scripts/test (which
/// installs ABC), so that CI cannot pass with those tests silently skipped.
inline bool abc_required() {
  const char* v = std::getenv("OCCAM_REQUIRE_ABC");
  return v != nullptr && std::string(v) == "1";
}

}  // namespace occam::circuit::testing

/// The first statement of a test that runs berkeley-abc: skips without it, or fails when abc_required().
#define OCCAM_REQUIRE_ABC()                                                                             \
  do {                                                                                                  \
    if (!::occam::circuit::testing::abc_available()) {                                                  \
      if (::occam::circuit::testing::abc_required()) FAIL() << "berkeley-abc cannot be run (required)"; \
      GTEST_SKIP() << "berkeley-abc is not installed";                                                  \
    }                                                                                                   \
  } while (0)
