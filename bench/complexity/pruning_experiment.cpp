// pruning_experiment TASK OUT_DIR [epochs] [path_epochs]: the docs/experiments/pruning.md experiment.
//   1. Train a base ResNet (no penalty) on TASK (80/20 split).
//   2. Pruning curve of the base model: for N on a geometric grid, the measured error ‖f_θ̃ − f_θ‖_{L2(π)} of
//      Poisson-pruned networks (mean and sd over 5 seeds) and of magnitude pruning, next to R̃/√N (THEORY §2).
//      π = the training inputs. → OUT_DIR/curve.csv
//   3. From the base model, warm-started λ paths with the penalties l2, rtilde, r (exact gradients) and
//   rtilde
//      (proximal) and r (proximal), recording (val error, R̃, R, non-zeros) with lambda_path; for every model
//      on the paths, the smallest N (bisection) at which Poisson / magnitude pruning reaches a common
//      function error ε. → OUT_DIR/paths.csv
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "occam/complexity/complexity.hpp"
#include "occam/data/loaders.hpp"

using namespace occam;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: pruning_experiment TASK OUT_DIR [epochs] [path_epochs]\n");
    return 2;
  }
  const std::string task = argv[1];
  const std::filesystem::path out = argv[2];
  const std::int64_t epochs = argc > 3 ? std::atoll(argv[3]) : 100;
  const std::int64_t path_epochs = argc > 4 ? std::atoll(argv[4]) : 30;
  std::filesystem::create_directories(out);
  torch::set_num_threads(1);

  auto d = data::make_task(task);
  auto sp = data::split_dataset(d, 0.2, 0.0, 1);
  nn::resnet_shape shape{std::int64_t(d.d_in), 16, 32, 4, std::int64_t(d.model_outputs())};
  nn::init_params ip;
  ip.seed = 1;
  auto base = nn::make_resnet(shape, ip);
  base.kind = d.kind;
  base.input_box = sp.train.input_box;
  nn::train_params tp;
  tp.epochs = epochs;
  tp.batch = 128;
  tp.lr = 3e-3;
  tp.progress = false;
  nn::train(base, sp.train, sp.valid, tp);
  auto ev = nn::evaluate(base, sp.valid);
  const auto x = nn::inputs_tensor(sp.train);
  const auto xv = nn::inputs_tensor(sp.valid);
  const double rms_f =
      std::sqrt(complexity::evaluate_outputs(base, x).to(torch::kDouble).pow(2).sum(1).mean().item<double>());
  const double eps = 0.1 * rms_f;
  std::printf("%s: base %s, P = %lld, val loss %.5g, val acc %.4f, R~ %.5g, R %.5g, rms f %.4g, eps %.4g\n",
              task.c_str(), "16x32x4", (long long)shape.parameter_count(), ev.loss, ev.accuracy,
              complexity::rtilde(base, x), complexity::certified_r(base, base.input_box), rms_f, eps);

  // 2. Pruning curve.
  {
    std::ofstream csv(out / "curve.csv");
    csv << "N,poisson_mean,poisson_sd,poisson_nonzero,magnitude,rtilde_over_sqrtN,waterfill_prediction\n";
    const double P = double(shape.parameter_count());
    for (double N = 25; N <= P * 1.0001; N *= 1.5) {
      complexity::prune_params ps;
      ps.budget = std::floor(N);
      double s = 0, s2 = 0, nnz = 0, pred = 0, wpred = 0;
      const int seeds = 5;
      for (int seed = 1; seed <= seeds; ++seed) {
        ps.seed = std::uint64_t(seed);
        complexity::prune_stats st;
        complexity::poisson_prune(base, x, ps, &st);
        s += st.measured_error;
        s2 += st.measured_error * st.measured_error;
        nnz += double(st.nonzero_after);
        pred = st.predicted_error;
        wpred = st.predicted_error_waterfill;
      }
      complexity::prune_stats ms;
      complexity::magnitude_prune(base, x, ps, &ms);
      const double mean = s / seeds, sd = std::sqrt(std::max(0.0, s2 / seeds - mean * mean));
      csv << ps.budget << ',' << mean << ',' << sd << ',' << nnz / seeds << ',' << ms.measured_error << ','
          << pred << ',' << wpred << '\n';
      std::printf(
          "  N %6.0f  poisson %.4g ± %.2g (nnz %.0f)  magnitude %.4g  R~/sqrtN %.4g  waterfill %.4g\n",
          ps.budget, mean, sd, nnz / seeds, ms.measured_error, pred, wpred);
    }
  }

  // 3. λ paths and pruning at equal function error.
  struct spec {
    std::string penalty;
    bool proximal;
    std::vector<double> lambdas;
  };
  std::vector<spec> specs = {{"l2", false, {1e-5, 1e-4, 1e-3}},
                             {"rtilde", false, {1e-4, 1e-3, 1e-2}},
                             {"r", false, {1e-6, 1e-5, 1e-4}},
                             {"rtilde", true, {0.1, 1.0, 10.0}},
                             {"r", true, {1e-3, 1e-2, 1e-1}}};
  std::ofstream csv(out / "paths.csv");
  csv << "penalty,lambda,val_loss,val_error,rtilde,r,nonzero,eps,N_poisson,nnz_poisson,N_magnitude\n";
  for (const auto& s : specs) {
    auto m = base.to(base.device(), base.dtype());
    complexity::path_params pp;
    pp.penalty = complexity::parse_penalty_kind(s.penalty);
    pp.proximal = s.proximal;
    pp.lambdas = s.lambdas;
    nn::train_params ptp = tp;
    ptp.epochs = path_epochs;
    ptp.lr = 1e-3;
    std::vector<nn::resnet> models;
    // One λ at a time so that each λ's model can be pruned (lambda_path warm-starts m in place).
    for (double lambda : s.lambdas) {
      pp.lambdas = {lambda};
      auto pts = complexity::lambda_path(m, sp.train, sp.valid, ptp, pp);
      const auto& pt = pts.back();
      complexity::prune_params ps;
      ps.target_error = eps;
      ps.seed = 1;
      complexity::prune_stats pst, mst;
      ps.method = complexity::prune_params::method_kind::poisson;
      complexity::prune(m, x, ps, &pst);
      ps.method = complexity::prune_params::method_kind::magnitude;
      complexity::prune(m, x, ps, &mst);
      const std::string name = s.penalty + (s.proximal ? "-prox" : "");
      csv << name << ',' << lambda << ',' << pt.val_loss << ',' << pt.val_error << ',' << pt.rtilde << ','
          << pt.r << ',' << pt.nonzero << ',' << eps << ',' << pst.budget << ',' << pst.nonzero_after << ','
          << mst.budget << '\n';
      csv.flush();
      std::printf(
          "  %-12s λ %-8g val err %.4g  R~ %.4g  R %.4g  nnz %lld  N_poisson(ε) %.0f (nnz %lld)  "
          "N_magnitude(ε) %.0f\n",
          name.c_str(), lambda, pt.val_error, pt.rtilde, pt.r, (long long)pt.nonzero, pst.budget,
          (long long)pst.nonzero_after, mst.budget);
      std::fflush(stdout);
    }
  }
  return 0;
}
