// THEORY §6 property tests: simplex location, Tetrakis interpolation and Tetrakis functions of circuits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>

#include "occam/tetrakis/tetrakis.hpp"
#include "occam/util/error.hpp"
#include "random_circuits.hpp"

using namespace occam;
using namespace occam::tetrakis;

namespace {

std::vector<double> random_point(std::mt19937_64& rng, std::size_t d, unsigned k) {
  std::uniform_real_distribution<double> U(0.0, std::ldexp(1.0, int(k)));
  std::vector<double> u(d);
  for (auto& x : u) x = U(rng);
  // Sometimes snap coordinates onto grid lines or force ties (faces of the triangulation).
  for (std::size_t i = 0; i < d; ++i) {
    int r = int(rng() % 8);
    if (r == 0) u[i] = std::round(u[i]);
    if (r == 1 && i > 0)
      u[i] = std::min(std::ldexp(1.0, int(k)), std::floor(u[i]) + (u[i - 1] - std::floor(u[i - 1])));
  }
  return u;
}

}  // namespace

// THEORY §6: μ_j ≥ 0, Σ μ_j = 1, x = Σ μ_j v_j; vertices on the grid, adjacent vertices differ by ±1 in one
// coordinate.
TEST(Tetrakis, WeightsArePartitionOfUnityAndReproducePoint) {
  std::mt19937_64 rng(1);
  for (std::size_t d = 1; d <= 6; ++d)
    for (unsigned k = 0; k <= 8; ++k)
      for (int rep = 0; rep < 200; ++rep) {
        auto u = random_point(rng, d, k);
        simplex s = locate(u, k);
        double sum = 0;
        for (double m : s.weights) {
          EXPECT_GE(m, 0.0);
          sum += m;
        }
        EXPECT_NEAR(sum, 1.0, 1e-12);
        for (std::size_t i = 0; i < d; ++i) {
          double xi = 0;
          for (std::size_t j = 0; j <= d; ++j) {
            std::int64_t v = s.vertex(j, i);
            EXPECT_GE(v, 0);
            EXPECT_LE(v, std::int64_t(1) << k);
            xi += s.weights[j] * double(v);
          }
          EXPECT_NEAR(xi, u[i], 1e-9 * (1 + u[i]));
        }
        for (std::size_t j = 1; j <= d; ++j) {
          auto a = s.vertex(j - 1), b = s.vertex(j);
          int diff = 0;
          for (std::size_t i = 0; i < d; ++i) diff += int(std::llabs(a[i] - b[i]));
          EXPECT_EQ(diff, 1);
        }
        EXPECT_EQ(s.vertex(0)[0] % 2, 0);  // v_0 = e: all coordinates even
      }
}

// The weights agree with an independent brute-force computation (sort of (t, i) pairs).
TEST(Tetrakis, AgreesWithNaiveSort) {
  std::mt19937_64 rng(2);
  for (int rep = 0; rep < 2000; ++rep) {
    std::size_t d = 1 + rng() % 6;
    unsigned k = 1 + unsigned(rng() % 8);
    auto u = random_point(rng, d, k);
    simplex s = locate(u, k);
    std::vector<std::pair<double, std::size_t>> tp;
    for (std::size_t i = 0; i < d; ++i) {
      double e = 2 * std::round(u[i] / 2);
      tp.push_back({std::fabs(u[i] - e), i});
    }
    std::stable_sort(tp.begin(), tp.end(), [](auto& a, auto& b) { return a.first > b.first; });
    EXPECT_NEAR(s.weights[0], 1 - tp[0].first, 1e-15);
    for (std::size_t j = 1; j < d; ++j) EXPECT_NEAR(s.weights[j], tp[j - 1].first - tp[j].first, 1e-15);
    EXPECT_NEAR(s.weights[d], tp[d - 1].first, 1e-15);
  }
}

// Affine functions are reproduced exactly (up to rounding) by the interpolant.
TEST(Tetrakis, ReproducesAffineFunctions) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> N(0, 1);
  for (std::size_t d = 1; d <= 6; ++d)
    for (unsigned k = 0; k <= 8; ++k) {
      std::vector<double> a(d);
      for (auto& x : a) x = N(rng);
      double c = N(rng);
      auto f = [&](const std::int64_t* v) {
        double s = c;
        for (std::size_t i = 0; i < d; ++i) s += a[i] * double(v[i]);
        return s;
      };
      for (int rep = 0; rep < 100; ++rep) {
        auto u = random_point(rng, d, k);
        double want = c;
        for (std::size_t i = 0; i < d; ++i) want += a[i] * u[i];
        EXPECT_NEAR(interpolate(u.data(), d, k, f), want,
                    1e-9 * (1 + std::fabs(want) + 10 * std::ldexp(1.0, int(k))));
      }
    }
}

// Exact values at grid points, for a Tetrakis function of a random circuit; and the bit encoding round-trips.
TEST(Tetrakis, ExactAtGridPoints) {
  std::mt19937_64 rng(4);
  for (std::size_t d = 1; d <= 4; ++d)
    for (unsigned k = 1; k <= 6; ++k) {
      auto c = test_support::random_circuit(unsigned(input_count(d, k)), 40, 4, rng());
      grid_map map = grid_map::unit(d, k);
      decoding dec{decoding::kind::twos_complement, 0.25};
      std::vector<double> x;
      std::vector<std::vector<std::int64_t>> verts;
      for (int rep = 0; rep < 50; ++rep) {
        std::vector<std::int64_t> v(d);
        for (auto& vi : v) vi = std::int64_t(rng() % ((1u << k) + 1));
        std::vector<bool> bits;
        vertex_to_bits(v.data(), d, k, bits);
        EXPECT_EQ(bits_to_vertex(bits, d, k), v);
        for (std::size_t i = 0; i < d; ++i) x.push_back(map.vertex_coordinate(i, v[i]));
        verts.push_back(v);
      }
      auto T = tetrakis_function(c, map, dec, x);
      for (std::size_t p = 0; p < verts.size(); ++p) {
        std::vector<bool> bits;
        vertex_to_bits(verts[p].data(), d, k, bits);
        auto out = test_support::eval_circuit(c, bits);
        double want = 0;
        for (std::size_t o = 0; o + 1 < out.size(); ++o)
          want += out[o] ? 0.25 * std::ldexp(1.0, int(o)) : 0.0;
        if (out.back()) want -= 0.25 * std::ldexp(1.0, int(out.size() - 1));
        EXPECT_EQ(T[p], want);
        EXPECT_EQ(vertex_value(c, verts[p].data(), d, k, dec), want);
      }
    }
}

// T_C on random points equals Σ μ_j dec(C(v_j)) computed one vertex at a time (the bit-parallel path), and is
// continuous: across faces (points with ties / on grid lines) |T(x+δr) − T(x)| ≤ 2 F ‖δr‖_1 where F bounds
// |dec| (each linear piece has gradient entries dec(C(v_j)) − dec(C(v_{j−1}))).
TEST(Tetrakis, ContinuousAcrossFaces) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> N(0, 1);
  for (std::size_t d = 1; d <= 6; ++d)
    for (unsigned k = 1; k <= 8; k += 1 + (d > 3)) {
      auto c = test_support::random_circuit(unsigned(input_count(d, k)), 60, 3, rng());
      grid_map map = grid_map::unit(d, k);
      decoding dec{decoding::kind::twos_complement, 1.0};
      const double F = 4.0;
      std::vector<double> x, xp;
      const double delta = 1e-7;
      for (int rep = 0; rep < 100; ++rep) {
        auto u = random_point(rng, d, k);
        // One more forced tie and a point exactly on an odd grid line.
        if (d > 1) u[1] = std::floor(u[1]) + (u[0] - std::floor(u[0]));
        for (std::size_t i = 0; i < d; ++i) x.push_back(u[i] / std::ldexp(1.0, int(k)));
        for (std::size_t i = 0; i < d; ++i) {
          double v = u[i] + delta * N(rng);
          xp.push_back(std::min(std::max(v, 0.0), std::ldexp(1.0, int(k))) / std::ldexp(1.0, int(k)));
        }
      }
      auto T = tetrakis_function(c, map, dec, x);
      auto Tp = tetrakis_function(c, map, dec, xp);
      for (std::size_t p = 0; p < T.size(); ++p) {
        double l1 = 0;
        for (std::size_t i = 0; i < d; ++i)
          l1 += std::fabs(xp[p * d + i] - x[p * d + i]) * std::ldexp(1.0, int(k));
        EXPECT_LE(std::fabs(Tp[p] - T[p]), 2 * F * l1 + 1e-12) << "d=" << d << " k=" << k;
        // Independent evaluation of the same point.
        std::vector<double> u(d);
        map.to_grid(&x[p * d], u.data());
        double ref =
            interpolate(u.data(), d, k, [&](const std::int64_t* v) { return vertex_value(c, v, d, k, dec); });
        EXPECT_NEAR(T[p], ref, 1e-12);
      }
    }
}

// Refinement: the level-(k−1) triangulation is refined by level k, so the level-k interpolant of the values
// f_k(v) = T^{(k−1)}(v/2) equals T^{(k−1)} everywhere.
TEST(Tetrakis, CoarseTetrakisFunctionIsFineOne) {
  std::mt19937_64 rng(6);
  for (std::size_t d = 1; d <= 6; ++d)
    for (unsigned k = 1; k <= 8; ++k) {
      auto c = test_support::random_circuit(unsigned(input_count(d, k - 1)), 30, 2, rng());
      decoding dec{decoding::kind::twos_complement, 1.0};
      auto coarse = [&](const double* u) {
        return interpolate(u, d, k - 1,
                           [&](const std::int64_t* v) { return vertex_value(c, v, d, k - 1, dec); });
      };
      auto fine_vertex = [&](const std::int64_t* v) {
        std::vector<double> half(d);
        for (std::size_t i = 0; i < d; ++i) half[i] = double(v[i]) / 2;
        return coarse(half.data());
      };
      for (int rep = 0; rep < 30; ++rep) {
        auto u = random_point(rng, d, k);  // level-k grid units
        std::vector<double> half(d);
        for (std::size_t i = 0; i < d; ++i) half[i] = u[i] / 2;
        EXPECT_NEAR(interpolate(u.data(), d, k, fine_vertex), coarse(half.data()), 1e-9) << d << " " << k;
      }
    }
}

TEST(Tetrakis, DecodingsAndErrors) {
  auto a = affine_form({decoding::kind::sign, 0.5}, 1);
  EXPECT_EQ(a.offset, -0.5);
  EXPECT_EQ(a.coefficients[0], 1.0);
  auto t = affine_form({decoding::kind::twos_complement, 1.0}, 3);
  EXPECT_EQ(t.coefficients, (std::vector<double>{1, 2, -4}));
  EXPECT_THROW(affine_form({decoding::kind::sign, 1.0}, 2), input_error);
  EXPECT_THROW(parse_decoding("float"), input_error);
  auto c = test_support::random_circuit(5, 10, 1, 1);
  std::vector<double> x{0.5, 0.5};
  EXPECT_THROW(tetrakis_function(c, grid_map::unit(2, 2), {}, x), input_error);  // needs 6 inputs
}
