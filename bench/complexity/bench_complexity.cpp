// bench_complexity [w k L n d_out reps] [--r-only]: times, in the same run and on the same data,
//   (1) one training step (forward + backward of the MSE loss over all n rows, θ requiring grad),
//   (2) R̃ and all per-parameter weights (one forward + d_out backward passes, THEORY §2),
//   (3) the certified R with interval bounds (THEORY §3) for the same shape and for (512, 512, 32),
// and prints the ratio (2)/(1). Median of `reps` repetitions after one warm-up. float32 on the CPU.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "occam/complexity/complexity.hpp"

using namespace occam;
using clock_type = std::chrono::steady_clock;

template <class F>
double median_seconds(int reps, F f) {
  f();  // warm-up
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    auto t0 = clock_type::now();
    f();
    t.push_back(std::chrono::duration<double>(clock_type::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

int main(int argc, char** argv) {
  std::int64_t w = 256, k = 256, L = 16, n = 10000, d_out = 1;
  int reps = 3;
  if (argc > 1) w = std::atoll(argv[1]);
  if (argc > 2) k = std::atoll(argv[2]);
  if (argc > 3) L = std::atoll(argv[3]);
  if (argc > 4) n = std::atoll(argv[4]);
  if (argc > 5) d_out = std::atoll(argv[5]);
  if (argc > 6) reps = std::atoi(argv[6]);
  const std::int64_t d_in = 16;
  std::printf("threads %d\n", torch::get_num_threads());
  nn::init_params ip;
  ip.seed = 1;
  ip.v_scale = 0.5;
  auto m = nn::make_resnet({d_in, w, k, L, d_out}, ip);
  m.input_box.lo.assign(d_in, -1.0f);
  m.input_box.hi.assign(d_in, 1.0f);
  auto x = torch::rand({n, d_in}) * 2 - 1;
  auto y = torch::randn({n, d_out});

  auto mg = m.to(torch::kCPU, torch::kFloat32, /*requires_grad=*/true);
  auto params = mg.parameters();
  const double t_step = median_seconds(reps, [&] {
    for (auto& p : params) p.mutable_grad() = torch::Tensor();
    auto loss = (mg.forward(x) - y).pow(2).mean();
    loss.backward();
  });
  double rt = 0;
  const double t_rtilde = median_seconds(reps, [&] { rt = complexity::rtilde(m, x); });
  double r = 0;
  const double t_r = median_seconds(reps, [&] { r = complexity::certified_r(m, m.input_box); });
  std::printf("shape (w,k,L)=(%lld,%lld,%lld) d_in %lld d_out %lld n %lld\n", (long long)w, (long long)k,
              (long long)L, (long long)d_in, (long long)d_out, (long long)n);
  std::printf("train step (fwd+bwd)   %.4f s\n", t_step);
  std::printf("R~ + all weights       %.4f s   ratio %.2fx   (R~ = %.6g)\n", t_rtilde, t_rtilde / t_step, rt);
  std::printf("certified R            %.4f s   (R = %.6g)\n", t_r, r);

  auto big = nn::make_resnet({d_in, 512, 512, 32, d_out}, ip);
  big.input_box = m.input_box;
  double rbig = 0;
  const double t_rbig = median_seconds(reps, [&] { rbig = complexity::certified_r(big, big.input_box); });
  std::printf("certified R (512,512,32) %.4f s   (R = %.6g)\n", t_rbig, rbig);
  return 0;
}
