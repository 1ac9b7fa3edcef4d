// The Occam route of occam fit (route_occam.hpp): from a partial truth table, every returned circuit agrees
// with every training row (re-measured here with the circuit simulator), and symmetric and threshold
// functions are recovered exactly — on the rows no training row showed too.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <numeric>

#include "circuit_test_util.hpp"
#include "occam/circuit/simulate.hpp"
#include "occam/data/loaders.hpp"
#include "occam/data/rng.hpp"
#include "occam/fit/fit.hpp"
#include "occam/fit/route_occam.hpp"

using namespace occam;

namespace {

std::vector<std::size_t> all_inputs(const data::dataset& d) {
  std::vector<std::size_t> S(d.d_in);
  std::iota(S.begin(), S.end(), 0);
  return S;
}

/// A finalist's circuit over all of d's inputs (input j of the circuit reads column inputs[j]).
circuit::aig over_all_inputs(const fit::occam_circuit& c, std::size_t d_in) {
  circuit::aig g;
  std::vector<circuit::literal> pis;
  for (std::size_t i = 0; i < d_in; ++i) pis.push_back(g.create_pi());
  std::vector<circuit::literal> map(c.circuit.num_nodes(), circuit::lit_false);
  for (std::size_t j = 0; j < c.circuit.num_pis(); ++j) map[c.circuit.pi_node(j)] = pis[c.inputs[j]];
  auto lit = [&](circuit::literal l) {
    return circuit::lit_not_cond(map[circuit::lit_node(l)], circuit::lit_complemented(l));
  };
  for (circuit::node_id n = 1; n < c.circuit.num_nodes(); ++n)
    if (c.circuit.is_and(n)) map[n] = g.create_and(lit(c.circuit.fanin0(n)), lit(c.circuit.fanin1(n)));
  g.create_po(lit(c.circuit.po(0)));
  return g;
}

/// The defaults, less &deepsyn (one start) where the test does not need the smallest circuit.
fit::occam_params quick_params() {
  fit::occam_params p;
  p.deepsyn_seeds = {1, 2, 3};
  p.deepsyn_starts = {""};
  return p;
}

/// Runs the route on 60 % of the rows of `task` (20 % validation ranks the finalists, 20 % test; as occam
/// fit splits) and checks that every finalist fits every training row; returns the finalists and the full
/// table.
std::vector<fit::occam_circuit> run_on(const std::string& task, std::uint64_t seed, data::dataset& full,
                                       data::split& sp, const fit::occam_params& params = {}) {
  full = data::make_task(task);
  sp = data::split_dataset(full, 0.2, 0.2, seed);
  fit::occam_stats st;
  auto found = fit::occam_route(sp.train, sp.valid, {all_inputs(full)}, params, {}, &st);
  EXPECT_LE(st.forms_consistent, st.forms_tried);
  std::printf("%s: %zu of %zu forms consistent, %zu tables (%.1f s), %zu finalists (&deepsyn %.1f s)\n",
              task.c_str(), st.forms_consistent, st.forms_tried, st.tables, st.synth_seconds, found.size(),
              st.deepsyn_seconds);
  for (const auto& c : found)
    std::printf("  %s: %zu -> %zu ANDs, %zu validation errors\n", c.label.c_str(), c.quick_ands,
                c.circuit.num_ands(), c.valid_errors);
  for (const auto& c : found) {
    EXPECT_EQ(c.inputs.size(), c.weights.size());
    EXPECT_EQ(c.circuit.num_pis(), c.inputs.size());
    auto g = over_all_inputs(c, full.d_in);
    EXPECT_DOUBLE_EQ(circuit::accuracy(g, sp.train).overall(), 1.0) << task << ": " << c.label;
  }
  return found;
}

}  // namespace

TEST(OccamRoute, SymmetricFunctionsAreRecoveredExactly) {
  OCCAM_REQUIRE_ABC();
  for (const char* task : {"parity:6", "majority:7"}) {
    data::dataset full;
    data::split sp;
    auto found = run_on(task, 5, full, sp);
    ASSERT_FALSE(found.empty()) << task;
    EXPECT_EQ(found[0].route, "occam-sym") << task;
    // The smallest consistent circuit is the function itself: right on the rows never seen.
    auto g = over_all_inputs(found[0], full.d_in);
    EXPECT_DOUBLE_EQ(circuit::accuracy(g, sp.test).overall(), 1.0) << task << ": " << found[0].label;
    EXPECT_DOUBLE_EQ(circuit::accuracy(g, full).overall(), 1.0) << task;
  }
}

TEST(OccamRoute, ThresholdFunctionsAreRecoveredExactly) {
  OCCAM_REQUIRE_ABC();
  // a > b and the carry of a + b on 4-bit words: threshold functions with weights ±2^i.
  for (const char* task : {"compare:4", "adder-msb:4"}) {
    data::dataset full;
    data::split sp;
    auto found = run_on(task, 2, full, sp);
    ASSERT_FALSE(found.empty()) << task;
    auto g = over_all_inputs(found[0], full.d_in);
    EXPECT_DOUBLE_EQ(circuit::accuracy(g, full).overall(), 1.0) << task << ": " << found[0].label;
  }
}

TEST(OccamRoute, UnstructuredLabelsGiveOnlyConsistentCircuitsOrNone) {
  OCCAM_REQUIRE_ABC();
  // Random labels on 8 inputs: no linear form is likely to fit them; whatever comes back must fit them all.
  auto d = data::make_task("parity:8");
  data::rng r(7);
  for (auto& y : d.y) y = float(r.next() & 1);
  auto sp = data::split_dataset(d, 0.0, 0.4, 1);
  auto found = fit::occam_route(sp.train, sp.valid, {all_inputs(d)}, quick_params(), {});
  for (const auto& c : found)
    EXPECT_DOUBLE_EQ(circuit::accuracy(over_all_inputs(c, d.d_in), sp.train).overall(), 1.0) << c.label;
}

TEST(OccamRoute, OnlySingleOutputBooleanTasks) {
  auto sine = data::make_task("sine:2");
  EXPECT_TRUE(fit::occam_route(sine, {}, {{0, 1}}, quick_params(), {}).empty());
  auto d = data::make_task("parity:4");
  fit::occam_params off = quick_params();
  off.enabled = false;
  EXPECT_TRUE(fit::occam_route(d, {}, {all_inputs(d)}, off, {}).empty());
  // An input set over max_inputs is skipped.
  fit::occam_params narrow = quick_params();
  narrow.max_inputs = 3;
  EXPECT_TRUE(fit::occam_route(d, {}, {all_inputs(d)}, narrow, {}).empty());
}

TEST(OccamRoute, FitChoosesTheExactCircuitOfAPartialParityTable) {
  OCCAM_REQUIRE_ABC();
  // The whole pipeline on parity:7 (60/20/20): the networks do not learn parity from 77 rows; the Occam
  // route's circuit is exact, validation picks it.
  auto sp = data::split_dataset(data::make_task("parity:7"), 0.2, 0.2, 1);
  fit::fit_params p;
  p.shape.hidden = 8;
  p.train.epochs = 3;
  p.train.progress = false;
  p.lambdas = {1e-3};
  p.keep_fractions = {1.0};
  p.finetune_epochs = 0;
  p.bits = {4};
  p.abc_script = "fast";
  p.final_abc_script = "";
  p.plots = false;
  p.occam = quick_params();
  auto R = fit::fit(sp, p);
  ASSERT_GE(R.chosen, 0);
  const auto& c = R.candidates[std::size_t(R.chosen)];
  EXPECT_EQ(c.route, "occam-sym") << c.label;
  EXPECT_DOUBLE_EQ(c.train_error, 0.0);
  EXPECT_DOUBLE_EQ(c.valid_error, 0.0);
  EXPECT_DOUBLE_EQ(c.test_metric, 1.0);
  EXPECT_DOUBLE_EQ(circuit::accuracy(R.circuit, sp.test).overall(), 1.0);
  EXPECT_GT(R.occam.forms_consistent, 0u);
}
