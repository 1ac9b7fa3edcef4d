// docs/experiments/construction.md "Multilevel decomposition (Prop 8)": the sup norm of each level of the
// telescoping Tetrakis decomposition of the built-in sine:D and compose:D targets sampled on the level-K
// grid, against k, with the fitted decay rate. Deterministic; torch-free. Prints a markdown table and the
// fits; writes a data file (argv[1], default multilevel.dat).
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "occam/data/loaders.hpp"
#include "occam/tetrakis/decompose.hpp"

using namespace occam;

namespace {

const double two_pi = 6.283185307179586476925286766559;

/// The target functions of data::make_task("sine:D") and ("compose:D") (loaders.cpp), checked against
/// make_task's own samples in main().
double sine(const double* x, std::size_t D) {
  double s = 0;
  for (std::size_t i = 0; i < D; ++i) s += x[i];
  return std::sin(two_pi * s / std::sqrt(double(D)));
}
double compose(const double* x, std::size_t D) {
  double s = 0;
  for (std::size_t i = 0; i < D; ++i) s += x[i];
  s /= double(D);
  return std::sin(two_pi * (x[0] * x[1] + s)) * std::exp(-s);
}

bool check_against_make_task(const std::string& spec, std::size_t D,
                             const std::function<double(const double*, std::size_t)>& f) {
  data::task_params tp;
  tp.samples = 200;
  auto ds = data::make_task(spec, tp);
  for (std::size_t r = 0; r < ds.n; ++r) {
    std::vector<double> x(D);
    for (std::size_t i = 0; i < D; ++i) x[i] = ds.x[r * D + i];
    if (std::fabs(f(x.data(), D) - ds.y[r]) > 1e-5) return false;  // ds holds floats
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const char* out = argc > 1 ? argv[1] : "multilevel.dat";
  FILE* dat = std::fopen(out, "w");
  if (!dat) {
    std::fprintf(stderr, "cannot write %s\n", out);
    return 1;
  }
  std::fprintf(dat, "# task K k sup_norm\n");
  struct task {
    std::string name;
    std::size_t D;
    unsigned K;
    std::function<double(const double*, std::size_t)> f;
  };
  std::vector<task> tasks{{"sine:1", 1, 14, sine},
                          {"sine:2", 2, 9, sine},
                          {"sine:3", 3, 6, sine},
                          {"compose:2", 2, 9, compose},
                          {"compose:3", 3, 6, compose}};
  std::printf("| task | K | k | ‖δ_k‖∞ | ratio to level k−1 |\n|---|---:|---:|---:|---:|\n");
  for (const auto& t : tasks) {
    if (!check_against_make_task(t.name, t.D, t.f)) {
      std::fprintf(stderr, "%s: the formula here differs from make_task's target\n", t.name.c_str());
      return 1;
    }
    const std::size_t N = tetrakis::grid_vertex_count(t.D, t.K), side = (std::size_t(1) << t.K) + 1;
    std::vector<double> vals(N), x(t.D);
    for (std::size_t idx = 0; idx < N; ++idx) {
      std::size_t r = idx;
      for (std::size_t i = 0; i < t.D; ++i) {
        x[i] = std::ldexp(double(r % side), -int(t.K));
        r /= side;
      }
      vals[idx] = t.f(x.data(), t.D);
    }
    auto dec = tetrakis::decompose(vals, t.D, t.K);
    // Least-squares slope of log2 ‖δ_k‖∞ against k over the finest four levels (the coarse levels are
    // pre-asymptotic: level 0 is f itself): ‖δ_k‖∞ ≈ C·2^{−αk}.
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int n = 0;
    const unsigned first_fit = t.K - 3;
    for (std::size_t j = 0; j < dec.terms.size(); ++j) {
      const auto& term = dec.terms[j];
      double ratio =
          j > 0 && dec.terms[j - 1].sup_norm > 1e-9 ? term.sup_norm / dec.terms[j - 1].sup_norm : NAN;
      std::printf("| %s | %u | %u | %.4g | %.3f |\n", t.name.c_str(), t.K, term.level, term.sup_norm, ratio);
      std::fprintf(dat, "%s %u %u %.6g\n", t.name.c_str(), t.K, term.level, term.sup_norm);
      if (term.level >= first_fit) {
        double y = std::log2(term.sup_norm);
        sx += term.level;
        sy += y;
        sxx += double(term.level) * term.level;
        sxy += term.level * y;
        ++n;
      }
    }
    double alpha = -(n * sxy - sx * sy) / (n * sxx - sx * sx);
    std::printf("| %s | fit | %u..%u | α = %.3f | ‖δ_k‖∞ ∝ 2^{−αk} |\n", t.name.c_str(), first_fit, t.K,
                alpha);
  }
  std::fclose(dat);
  return 0;
}
