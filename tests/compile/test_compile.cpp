// THEORY §7–8: the constructed ResNets equal their circuits / Tetrakis functions.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "occam/circuit/arith.hpp"
#include "occam/compile/compile.hpp"
#include "occam/util/error.hpp"
#include "random_circuits.hpp"

using namespace occam;
using namespace occam::compile;

namespace {

data::box pm1_box(std::size_t n) {
  data::box b;
  b.lo.assign(n, -1.0f);
  b.hi.assign(n, 1.0f);
  return b;
}

/// ±1 rows for every input assignment (n ≤ 16) or `samples` random ones.
torch::Tensor sign_inputs(std::size_t n, std::size_t samples, std::uint64_t seed,
                          std::vector<std::vector<bool>>& bits) {
  std::mt19937_64 rng(seed);
  std::size_t rows = samples ? samples : (std::size_t(1) << n);
  torch::Tensor x = torch::empty({std::int64_t(rows), std::int64_t(n)}, torch::kFloat64);
  auto xa = x.accessor<double, 2>();
  bits.assign(rows, std::vector<bool>(n));
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t i = 0; i < n; ++i) {
      bool v = samples ? bool(rng() & 1) : bool((r >> i) & 1);
      bits[r][i] = v;
      xa[std::int64_t(r)][std::int64_t(i)] = v ? 1.0 : -1.0;
    }
  return x;
}

/// The network equals the circuit exactly on the rows, and λ·x ↦ λ·f(x) (THEORY §7).
void check_circuit_network(const circuit::aig& g, std::size_t samples, std::uint64_t seed) {
  circuit_network_stats st;
  sparse_network s = circuit_to_network(g, &st);
  materialise_params mp;
  mp.dtype = torch::kFloat64;
  nn::resnet m = to_resnet(s, pm1_box(g.num_pis()), mp);
  std::vector<std::vector<bool>> bits;
  torch::Tensor x = sign_inputs(g.num_pis(), samples, seed, bits);
  torch::Tensor y;
  {
    torch::NoGradGuard ng;
    y = m.forward(x);
  }
  auto ya = y.accessor<double, 2>();
  for (std::size_t r = 0; r < bits.size(); ++r) {
    auto want = test_support::eval_circuit(g, bits[r]);
    std::vector<double> xr(g.num_pis());
    for (std::size_t i = 0; i < xr.size(); ++i) xr[i] = bits[r][i] ? 1.0 : -1.0;
    for (std::size_t o = 0; o < want.size(); ++o)
      ASSERT_EQ(ya[std::int64_t(r)][std::int64_t(o)], want[o] ? 1.0 : -1.0) << "row " << r << " output " << o;
    if (r % 16 == 0) {  // the torch-free double evaluator agrees too
      auto ys = s.evaluate(xr.data());
      for (std::size_t o = 0; o < want.size(); ++o) ASSERT_EQ(ys[o], want[o] ? 1.0 : -1.0);
    }
  }
  // Positive homogeneity: λ·bits → λ·outputs, λ ≥ 0.
  for (double lambda : {0.0, 0.375, 2.0, 7.3}) {
    torch::Tensor yl;
    {
      torch::NoGradGuard ng;
      yl = m.forward(lambda * x);
    }
    EXPECT_LE((yl - lambda * y).abs().max().item<double>(), 1e-12 * (1 + lambda)) << "lambda " << lambda;
  }
  EXPECT_EQ(st.blocks, std::max<std::size_t>(st.levels, 1));
}

}  // namespace

// THEORY §7 on random AIGs, exhaustively for n ≤ 16 inputs.
TEST(CircuitNetwork, RandomAigsExhaustive) {
  std::mt19937_64 rng(11);
  for (unsigned n : {1u, 2u, 3u, 5u, 8u, 12u, 16u}) {
    for (unsigned ands : {1u, 10u, 60u}) {
      auto g = test_support::random_circuit(n, n == 1 ? 1 : ands, 3, rng(), /*constant_output=*/ands == 10);
      check_circuit_network(g, 0, rng());
    }
  }
}

// Random inputs beyond 16 inputs.
TEST(CircuitNetwork, RandomAigsSampled) {
  std::mt19937_64 rng(12);
  for (unsigned n : {20u, 40u, 64u})
    check_circuit_network(test_support::random_circuit(n, 300, 5, rng()), 3000, rng());
}

// Small arithmetic circuits: ripple and Kogge–Stone adders, a comparator, a constant multiplier.
TEST(CircuitNetwork, ArithmeticCircuits) {
  using namespace occam::circuit;
  for (auto kind : {adder_kind::ripple, adder_kind::kogge_stone}) {
    aig g;
    word a = create_input_word(g, 6, "a"), b = create_input_word(g, 6, "b");
    create_output_word(g, add(g, a, b, kind), "s");
    g.create_po(less_than(g, a, b));
    check_circuit_network(g, 0, 1);
  }
  aig g;
  word a = create_input_word(g, 8, "a");
  create_output_word(g, mul_const(g, a, 13, 12), "p");
  check_circuit_network(g, 0, 2);
  aig wide;
  word p = create_input_word(wide, 16, "p"), q = create_input_word(wide, 16, "q");
  create_output_word(wide, add(wide, p, q, adder_kind::kogge_stone), "s");
  check_circuit_network(wide, 4000, 3);
}

TEST(CircuitNetwork, SavedModelKeepsExactValues) {
  auto g = test_support::random_circuit(6, 40, 2, 5);
  sparse_network s = circuit_to_network(g);
  nn::resnet m = to_resnet(s, pm1_box(6));  // float32, the model file's format
  auto path = std::filesystem::temp_directory_path() / "occam_test_compile_model.occam";
  nn::save_model(m, path.string());
  nn::resnet back = nn::load_model(path.string());
  std::filesystem::remove(path);
  std::vector<std::vector<bool>> bits;
  torch::Tensor x = sign_inputs(6, 0, 0, bits).to(torch::kFloat32);
  torch::NoGradGuard ng;
  torch::Tensor y = back.forward(x);
  for (std::size_t r = 0; r < bits.size(); ++r) {
    auto want = test_support::eval_circuit(g, bits[r]);
    for (std::size_t o = 0; o < want.size(); ++o)
      ASSERT_EQ(y[std::int64_t(r)][std::int64_t(o)].item<float>(), want[o] ? 1.0f : -1.0f);
  }
  EXPECT_THROW(to_resnet(s, pm1_box(6), {torch::kFloat32, 10.0}), input_error);
}

// Zero–one principle: the sorting network sorts every 0/1 sequence (hence every sequence).
TEST(TetrakisNetwork, SortingNetworkSorts) {
  for (std::size_t n = 1; n <= 12; ++n) {
    auto layers = sorting_network(n);
    for (std::uint32_t mask = 0; mask < (1u << n); ++mask) {
      std::vector<int> v(n);
      for (std::size_t i = 0; i < n; ++i) v[i] = (mask >> i) & 1;
      for (auto& layer : layers) {
        std::vector<bool> used(n, false);
        for (auto [i, j] : layer) {
          ASSERT_LT(i, j);
          ASSERT_FALSE(used[i] || used[j]);  // a layer is one block: disjoint comparators
          used[i] = used[j] = true;
          if (v[i] < v[j]) std::swap(v[i], v[j]);
        }
      }
      for (std::size_t i = 1; i < n; ++i) ASSERT_GE(v[i - 1], v[i]) << "n=" << n << " mask=" << mask;
    }
  }
}

// THEORY §8: max |ResNet(x) − T_C(x)| ≤ 1e−5 on random points (plus faces and grid points), d ≤ 4, k ≤ 6.
TEST(TetrakisNetwork, EqualsTetrakisFunction) {
  std::mt19937_64 rng(21);
  for (std::size_t d = 1; d <= 4; ++d)
    for (unsigned k = 0; k <= 6; k += (k < 2 ? 1 : 2))
      for (unsigned ands : {0u, 20u, 150u}) {
        std::size_t n_in = tetrakis::input_count(d, k);
        auto g =
            test_support::random_circuit(unsigned(n_in), ands, 1 + unsigned(rng() % 4), rng(), ands == 20);
        tetrakis::grid_map map = tetrakis::grid_map::unit(d, k);
        map.lo[0] = -1.5;  // a non-unit box
        map.hi[0] = 2.0;
        tetrakis::decoding dec{
            g.num_pos() == 1 ? tetrakis::decoding::kind::sign : tetrakis::decoding::kind::twos_complement,
            0.5};
        tetrakis_network_stats st;
        sparse_network s = tetrakis_to_network(g, map, dec, &st);
        data::box box;
        for (std::size_t i = 0; i < d; ++i) {
          box.lo.push_back(float(map.lo[i]));
          box.hi.push_back(float(map.hi[i]));
        }
        nn::resnet m = to_resnet(s, box, {torch::kFloat64, 2e8});
        std::vector<double> x;
        std::uniform_real_distribution<double> U01(0, 1);
        const double top = std::ldexp(1.0, int(k));
        for (int p = 0; p < 300; ++p) {
          std::vector<double> u(d);
          for (auto& ui : u) ui = U01(rng) * top;
          if (p % 5 == 1) u[0] = std::round(u[0]);                                       // grid lines
          if (p % 5 == 2 && d > 1) u[1] = std::floor(u[1]) + (u[0] - std::floor(u[0]));  // ties in t
          if (p % 5 == 3)
            for (auto& ui : u) ui = std::round(ui);  // grid points
          for (std::size_t i = 0; i < d; ++i) x.push_back(map.lo[i] + (map.hi[i] - map.lo[i]) * u[i] / top);
        }
        auto want = tetrakis::tetrakis_function(g, map, dec, x);
        torch::Tensor xt =
            torch::from_blob(x.data(), {std::int64_t(want.size()), std::int64_t(d)}, torch::kFloat64).clone();
        torch::Tensor y;
        {
          torch::NoGradGuard ng;
          y = m.forward(xt);
        }
        auto ya = y.accessor<double, 2>();
        double worst = 0;
        for (std::size_t p = 0; p < want.size(); ++p) {
          worst = std::max(worst, std::fabs(ya[std::int64_t(p)][0] - want[p]));
          if (p < 40) {
            EXPECT_NEAR(s.evaluate(&x[p * d])[0], want[p], 1e-9);
          }
        }
        EXPECT_LE(worst, 1e-5) << "d=" << d << " k=" << k << " ands=" << ands;
        EXPECT_LE(worst, 1e-9) << "d=" << d << " k=" << k << " ands=" << ands;  // double precision
      }
}

TEST(TetrakisNetwork, RejectsWrongInputCount) {
  auto g = test_support::random_circuit(5, 10, 1, 3);
  EXPECT_THROW(tetrakis_to_network(g, tetrakis::grid_map::unit(2, 2), {}), input_error);
}

// Every input bit matters: the identity circuit (output = input bits) with unsigned decoding gives
// dec(v) = Σ_i 2^{i(k+1)} v_i, an affine function of the vertex, so T_C(x) = Σ_i 2^{i(k+1)} u_i exactly
// (THEORY §6 reproduction of affine functions), and the §8 network must agree.
TEST(TetrakisNetwork, IdentityCircuitGivesAffineFunction) {
  std::mt19937_64 rng(31);
  std::uniform_real_distribution<double> U01(0, 1);
  for (std::size_t d = 1; d <= 4; ++d)
    for (unsigned k = 0; k <= 6; ++k) {
      circuit::aig g;
      for (std::size_t i = 0; i < tetrakis::input_count(d, k); ++i) g.create_po(g.create_pi());
      tetrakis::grid_map map = tetrakis::grid_map::unit(d, k);
      tetrakis::decoding dec{tetrakis::decoding::kind::unsigned_fixed, 1.0};
      sparse_network s = tetrakis_to_network(g, map, dec);
      const double top = std::ldexp(1.0, int(k));
      for (int p = 0; p < 200; ++p) {
        std::vector<double> x(d);
        double want = 0;
        for (std::size_t i = 0; i < d; ++i) {
          x[i] = U01(rng);
          if (p % 4 == 1) x[i] = std::round(x[i] * top) / top;
          want += std::ldexp(1.0, int(i * (k + 1))) * x[i] * top;
        }
        double T = tetrakis::tetrakis_function(g, map, dec, x)[0];
        EXPECT_NEAR(T, want, 1e-9 * (1 + std::fabs(want))) << "d=" << d << " k=" << k;
        EXPECT_NEAR(s.evaluate(x.data())[0], want, 1e-9 * (1 + std::fabs(want))) << "d=" << d << " k=" << k;
      }
    }
}
