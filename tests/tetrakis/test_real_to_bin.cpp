// Real-to-bin circuits of Tetrakis functions (THEORY §6, Prop 7): the circuit's output equals
// tetrakis_function at its fixed-point input to the stated precision, exhaustively for small d, k, n and on
// random inputs otherwise.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "occam/circuit/simulate.hpp"
#include "occam/tetrakis/real_to_bin.hpp"
#include "occam/util/error.hpp"
#include "random_circuits.hpp"

using namespace occam;
using namespace occam::tetrakis;

namespace {

/// Simulates `r` on the integer points X (row-major, n × dims) and returns the decoded outputs.
std::vector<double> run(const real_to_bin_circuit& r, const std::vector<std::uint64_t>& X) {
  const std::size_t d = r.dims, n = X.size() / d;
  circuit::pattern_set in(r.circuit.num_pis(), n);
  for (std::size_t p = 0; p < n; ++p)
    for (std::size_t i = 0; i < d; ++i)
      for (unsigned b = 0; b < r.input_bits; ++b) in.set(i * r.input_bits + b, p, (X[p * d + i] >> b) & 1);
  auto res = circuit::simulate(r.circuit, in);
  std::vector<double> out(n);
  std::vector<bool> bits(r.circuit.num_pos());
  for (std::size_t p = 0; p < n; ++p) {
    for (std::size_t o = 0; o < bits.size(); ++o) bits[o] = res.get(o, p);
    out[p] = r.decode(bits);
  }
  return out;
}

std::vector<double> to_unit_box(const std::vector<std::uint64_t>& X, unsigned n) {
  std::vector<double> x(X.size());
  for (std::size_t i = 0; i < X.size(); ++i) x[i] = std::ldexp(double(X[i]), -int(n));
  return x;
}

/// Checks |circuit − T_C| ≤ error_bound (+ float slack) at every point of X, and equality for exact outputs.
void check(const circuit::aig& c, std::size_t d, unsigned k, const decoding& dec, const real_to_bin_params& p,
           const std::vector<std::uint64_t>& X) {
  real_to_bin_stats st;
  auto r = real_to_bin(c, d, k, dec, p, &st);
  ASSERT_EQ(r.circuit.num_pis(), d * p.input_bits);
  ASSERT_EQ(r.circuit.num_pos(), st.output_bits);
  EXPECT_EQ(st.exact_fraction_bits, p.input_bits - k);
  EXPECT_GE(st.location + st.sorting + st.vertex_select + st.vertex_circuits + st.weighted_sum, st.ands);
  auto got = run(r, X);
  auto want = tetrakis_function(c, grid_map::unit(d, k), dec, to_unit_box(X, p.input_bits));
  double worst = 0;
  for (std::size_t q = 0; q < got.size(); ++q) {
    double err = std::fabs(got[q] - want[q]);
    worst = std::max(worst, err);
    ASSERT_LE(err, st.error_bound + 1e-9 * (1 + std::fabs(want[q])))
        << "d=" << d << " k=" << k << " n=" << p.input_bits << " p=" << p.output_fraction_bits << " point "
        << q;
  }
  if (st.error_bound == 0) {
    EXPECT_LE(worst, 1e-9);
  }
}

std::vector<std::uint64_t> all_points(std::size_t d, unsigned n) {
  std::vector<std::uint64_t> X;
  const std::uint64_t per = std::uint64_t(1) << n;
  std::uint64_t total = 1;
  for (std::size_t i = 0; i < d; ++i) total *= per;
  for (std::uint64_t m = 0; m < total; ++m) {
    std::uint64_t r = m;
    for (std::size_t i = 0; i < d; ++i) {
      X.push_back(r % per);
      r /= per;
    }
  }
  return X;
}

}  // namespace

TEST(RealToBin, ExhaustiveExactSmall) {
  std::mt19937_64 rng(11);
  const decoding decs[] = {{decoding::kind::sign, 1.0},
                           {decoding::kind::twos_complement, 0.25},
                           {decoding::kind::unsigned_fixed, 0.5}};
  for (std::size_t d = 1; d <= 3; ++d)
    for (unsigned k = 0; k <= 2; ++k)
      for (unsigned n = std::max(k, 1u); n <= k + 3 && d * n <= 12; ++n)
        for (const auto& dec : decs) {
          unsigned m = dec.mode == decoding::kind::sign ? 1 : 3;
          auto c = test_support::random_circuit(unsigned(input_count(d, k)), 25, m, rng());
          real_to_bin_params p;
          p.input_bits = n;
          p.output_fraction_bits = int(n - k);
          check(c, d, k, dec, p, all_points(d, n));
        }
}

TEST(RealToBin, ExhaustiveRounded) {
  std::mt19937_64 rng(12);
  for (std::size_t d = 1; d <= 3; ++d)
    for (unsigned k = 0; k <= 2; ++k) {
      unsigned n = std::min<unsigned>(k + 4, unsigned(12 / d));
      if (n < k + 2) continue;
      auto c = test_support::random_circuit(unsigned(input_count(d, k)), 30, 3, rng());
      for (auto mode : {circuit::rounding_mode::nearest, circuit::rounding_mode::floor})
        for (int pf : {-1, 0, 1, int(n - k) - 1}) {
          real_to_bin_params p;
          p.input_bits = n;
          p.output_fraction_bits = pf;
          p.rounding = mode;
          check(c, d, k, {decoding::kind::twos_complement, 1.0}, p, all_points(d, n));
        }
    }
}

TEST(RealToBin, RandomLarger) {
  std::mt19937_64 rng(13);
  for (std::size_t d : {4, 5, 7})
    for (unsigned k : {1u, 3u, 4u}) {
      const unsigned n = k + 6;
      auto c = test_support::random_circuit(unsigned(input_count(d, k)), 80, 4, rng());
      std::vector<std::uint64_t> X;
      for (int q = 0; q < 600; ++q)
        for (std::size_t i = 0; i < d; ++i) {
          std::uint64_t v = rng() % (std::uint64_t(1) << n);
          // Some coordinates on grid points and some ties in t, where the sort order is ambiguous.
          if (q % 5 == 0) v &= ~((std::uint64_t(1) << (n - k)) - 1);
          if (q % 7 == 0 && i > 0) v = X[X.size() - 1] ^ (std::uint64_t(1) << (n - k));
          X.push_back(v % (std::uint64_t(1) << n));
        }
      real_to_bin_params p;
      p.input_bits = n;
      p.output_fraction_bits = int(n - k);
      check(c, d, k, {decoding::kind::twos_complement, 1.0}, p, X);
      p.output_fraction_bits = 3;
      check(c, d, k, {decoding::kind::twos_complement, 1.0}, p, X);
    }
}

TEST(RealToBin, SumOfLevelsEqualsSumOfFunctions) {
  std::mt19937_64 rng(14);
  const std::size_t d = 2;
  const unsigned n = 5;
  std::vector<circuit::aig> cs;
  std::vector<tetrakis_term> terms;
  for (unsigned k : {0u, 1u, 3u})
    cs.push_back(test_support::random_circuit(unsigned(input_count(d, k)), 30, 3, rng()));
  unsigned levels[] = {0, 1, 3};
  for (std::size_t t = 0; t < cs.size(); ++t)
    terms.push_back({&cs[t], levels[t], {decoding::kind::twos_complement, 0.5}});
  real_to_bin_params p;
  p.input_bits = n;
  p.output_fraction_bits = int(n);  // F = n − k_min = n: exact
  real_to_bin_stats st;
  auto r = real_to_bin_sum(terms, d, p, &st);
  EXPECT_EQ(st.error_bound, 0.0);
  auto X = all_points(d, n);
  auto got = run(r, X);
  auto x = to_unit_box(X, n);
  std::vector<double> want(got.size(), 0.0);
  for (const auto& t : terms) {
    auto v = tetrakis_function(*t.circuit, grid_map::unit(d, t.level), t.dec, x);
    for (std::size_t q = 0; q < v.size(); ++q) want[q] += v[q];
  }
  for (std::size_t q = 0; q < got.size(); ++q) ASSERT_NEAR(got[q], want[q], 1e-9) << q;
}

TEST(RealToBin, SizeSplitAndLocationCost) {
  // Location, sorting and selection do not depend on C; the vertex circuits cost at most (d+1)|C|.
  std::mt19937_64 rng(15);
  const std::size_t d = 3;
  const unsigned k = 2;
  real_to_bin_params p;
  p.input_bits = 6;
  p.output_fraction_bits = 4;
  auto c1 = test_support::random_circuit(unsigned(input_count(d, k)), 10, 1, rng());
  auto c2 = test_support::random_circuit(unsigned(input_count(d, k)), 200, 1, rng());
  real_to_bin_stats s1, s2;
  real_to_bin(c1, d, k, {decoding::kind::sign, 1.0}, p, &s1);
  real_to_bin(c2, d, k, {decoding::kind::sign, 1.0}, p, &s2);
  EXPECT_EQ(s1.location, s2.location);
  EXPECT_EQ(s1.sorting, s2.sorting);
  EXPECT_EQ(s1.vertex_select, s2.vertex_select);
  EXPECT_LE(s2.vertex_circuits, (d + 1) * circuit::statistics(circuit::cleanup(c2)).ands);
  EXPECT_GT(s2.vertex_circuits, s1.vertex_circuits);
  // The location cost grows with d and with k.
  EXPECT_LT(location_cost(2, 2, 6), location_cost(4, 2, 6));
  EXPECT_LT(location_cost(3, 1, 6), location_cost(3, 4, 9));  // the same fraction bits n − k
}

TEST(RealToBin, InputErrors) {
  auto c = test_support::random_circuit(6, 10, 1, 3);  // d = 2, k = 2
  real_to_bin_params p;
  p.input_bits = 1;
  EXPECT_THROW(real_to_bin(c, 2, 2, {decoding::kind::sign, 1.0}, p), input_error);  // n < k
  p.input_bits = 4;
  EXPECT_THROW(real_to_bin(c, 3, 2, {decoding::kind::sign, 1.0}, p), input_error);  // wrong input count
  auto c3 = test_support::random_circuit(6, 10, 3, 3);
  EXPECT_THROW(real_to_bin(c3, 2, 2, {decoding::kind::sign, 1.0}, p), input_error);  // sign needs 1 output
  tetrakis_term a{&c, 2, {decoding::kind::sign, 1.0}}, b{&c, 2, {decoding::kind::sign, 2.0}};
  EXPECT_THROW(real_to_bin_sum({a, b}, 2, p), input_error);  // different scales
  p.input_bits = 40;
  p.output_fraction_bits = -40;  // would drop 78 bits
  EXPECT_THROW(real_to_bin(c, 2, 2, {decoding::kind::sign, 1.0}, p), input_error);
  p.output_fraction_bits = 4;
  EXPECT_THROW(real_to_bin(c, 2, 2, {decoding::kind::sign, 0.0}, p), input_error);  // scale ≤ 0
}

TEST(RealToBin, SizeWithinFormula) {
  // THEORY §6 "Size": each stage's AND count is within its stated bound.
  std::mt19937_64 rng(16);
  for (std::size_t d : {1, 2, 3, 5, 8})
    for (unsigned k : {0u, 2u, 5u})
      for (unsigned m : {1u, 4u}) {
        const unsigned n = k + 6, f = n - k, W = f + m + 1;
        auto c = test_support::random_circuit(unsigned(input_count(d, k)), 40, m, rng());
        real_to_bin_params p;
        p.input_bits = n;
        p.output_fraction_bits = 2;
        real_to_bin_stats st;
        decoding dec{m == 1 ? decoding::kind::sign : decoding::kind::twos_complement, 1.0};
        real_to_bin(c, d, k, dec, p, &st);
        const std::size_t comparators = circuit::sorting_network(unsigned(d)).size();
        EXPECT_LE(st.location, d * (3 * f + 4 * (f + 1) + 4 * k));
        EXPECT_LE(st.sorting, comparators * (9 * (f + 2) + 6 * (f + 1 + d)));
        EXPECT_LE(st.vertex_select, d * d * (1 + 3 * k));
        EXPECT_LE(st.vertex_circuits, (d + 1) * c.num_ands());
        EXPECT_LE(st.weighted_sum, 9 * (d + 1) * (f + 2) +
                                       m * ((d + 1) * (f + 2) + 9 * d * (f + 2) + 18 * W) + 9 * W * (m + 1) +
                                       9 * (W + 2));
      }
}
