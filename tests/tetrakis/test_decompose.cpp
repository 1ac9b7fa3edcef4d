// The multilevel decomposition (Prop 8): the telescoping sum reproduces the function exactly on the grid,
// equals the finest interpolant everywhere, and its levels scale as the interpolation error does.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "occam/tetrakis/decompose.hpp"
#include "occam/tetrakis/tetrakis.hpp"
#include "occam/util/error.hpp"

using namespace occam;
using namespace occam::tetrakis;

namespace {

std::vector<std::int64_t> coords(std::size_t idx, std::size_t d, unsigned k) {
  std::vector<std::int64_t> v(d);
  for (std::size_t i = 0; i < d; ++i) {
    v[i] = std::int64_t(idx % ((std::size_t(1) << k) + 1));
    idx /= (std::size_t(1) << k) + 1;
  }
  return v;
}

std::vector<double> sample(std::size_t d, unsigned K, const std::function<double(const double*)>& f) {
  std::vector<double> vals(grid_vertex_count(d, K));
  std::vector<double> x(d);
  for (std::size_t idx = 0; idx < vals.size(); ++idx) {
    auto v = coords(idx, d, K);
    for (std::size_t i = 0; i < d; ++i) x[i] = std::ldexp(double(v[i]), -int(K));
    vals[idx] = f(x.data());
  }
  return vals;
}

}  // namespace

TEST(Decompose, SumReproducesIntegerFunctionExactlyOnTheGrid) {
  // Integer vertex values: every δ_k is a dyadic rational with a few bits, so double arithmetic is exact and
  // the sum must equal f bit for bit; δ_k vanishes exactly at the level-(k−1) vertices.
  std::mt19937_64 rng(3);
  for (auto [d, K] : {std::pair<std::size_t, unsigned>{1, 6}, {2, 5}, {3, 3}, {4, 2}})
    for (unsigned k0 : {0u, 1u}) {
      std::vector<double> vals(grid_vertex_count(d, K));
      for (auto& v : vals) v = double(std::int64_t(rng() % 2001) - 1000);
      decomposition_stats st;
      auto dec = decompose(vals, d, K, {k0}, &st);
      ASSERT_EQ(dec.terms.size(), K - k0 + 1);
      EXPECT_EQ(st.vertices, vals.size());
      std::vector<double> u(d);
      for (std::size_t idx = 0; idx < vals.size(); ++idx) {
        auto v = coords(idx, d, K);
        for (std::size_t i = 0; i < d; ++i) u[i] = double(v[i]);
        ASSERT_EQ(dec.evaluate(u.data()), vals[idx]) << "d=" << d << " K=" << K << " vertex " << idx;
      }
      for (std::size_t t = 1; t < dec.terms.size(); ++t) {
        const auto& term = dec.terms[t];
        for (std::size_t idx = 0; idx < term.values.size(); ++idx) {
          auto w = coords(idx, d, term.level);
          bool coarse = true;
          for (auto c : w) coarse = coarse && c % 2 == 0;
          if (coarse) {
            ASSERT_EQ(term.values[idx], 0.0);
          }
        }
      }
    }
}

TEST(Decompose, SumIsTheFinestInterpolantEverywhere) {
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> U(-0.3, 1.3);  // also outside the box: clamped
  const std::size_t d = 3;
  const unsigned K = 4;
  auto vals = sample(d, K, [](const double* x) { return std::sin(3 * x[0]) * std::cos(2 * x[1] + x[2]); });
  auto dec = decompose(vals, d, K);
  const std::size_t side = (std::size_t(1) << K) + 1;
  auto fK = [&](const std::int64_t* v) { return vals[std::size_t(v[0] + side * (v[1] + side * v[2]))]; };
  for (int q = 0; q < 500; ++q) {
    std::vector<double> u(d);
    for (auto& c : u) c = U(rng) * double(1 << K);
    EXPECT_NEAR(dec.evaluate(u.data()), interpolate(u.data(), d, K, fK), 1e-12);
  }
}

TEST(Decompose, LevelsOfAffineVanishAndOfQuadraticsShrinkByFour) {
  const std::size_t d = 2;
  const unsigned K = 6;
  auto affine = decompose(sample(d, K, [](const double* x) { return 0.5 - 2 * x[0] + 3 * x[1]; }), d, K);
  for (std::size_t t = 1; t < affine.terms.size(); ++t) EXPECT_LE(affine.terms[t].sup_norm, 1e-12);
  // Linear interpolation error of a quadratic form is h² times a shape constant, and the level-k
  // triangulation is the level-(k−1) one scaled by 1/2: the level sup norms fall by exactly 4.
  auto quad = decompose(
      sample(d, K, [](const double* x) { return x[0] * x[0] - x[0] * x[1] + 2 * x[1] * x[1]; }), d, K);
  for (std::size_t t = 2; t + 1 < quad.terms.size(); ++t)
    EXPECT_NEAR(quad.terms[t + 1].sup_norm / quad.terms[t].sup_norm, 0.25, 1e-9)
        << "level " << quad.terms[t].level;
}

TEST(Decompose, InputErrors) {
  EXPECT_THROW(decompose(std::vector<double>(8, 0.0), 2, 1), input_error);  // 9 vertices expected
  EXPECT_THROW(decompose(std::vector<double>(9, 0.0), 2, 1, {2}), input_error);
  EXPECT_THROW(grid_vertex_count(4, 20), input_error);
}
