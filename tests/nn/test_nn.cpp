// THEORY §1: the ResNet, its model file, and the trainer (determinism, exact resume, early stopping,
// penalties).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "occam/data/loaders.hpp"
#include "occam/data/rng.hpp"
#include "occam/nn/resnet.hpp"
#include "occam/nn/train.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace fs = std::filesystem;
using namespace occam;

namespace {
fs::path temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("occam_test_nn_" + name);
  occam::remove_tree(d);
  fs::create_directories(d);
  return d;
}

nn::resnet small_net(std::int64_t d_in, std::int64_t d_out, std::uint64_t seed = 3) {
  nn::resnet_shape s{d_in, d_in + 3, 5, 3, d_out};
  nn::init_params ip;
  ip.seed = seed;
  ip.v_scale = 0.5;
  return nn::make_resnet(s, ip);
}

// Test-only helper: every parameter equal between two models.
void expect_same_parameters(const nn::resnet& a, const nn::resnet& b) {
  auto pa = a.parameters(), pb = b.parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i])) << "parameter " << i;
}
}  // namespace

TEST(ResNet, ForwardIsTheTheoryFormula) {
  // THEORY §1 written out literally: α_0 = (x,0,…,0,1), α_ℓ = α_{ℓ−1} + [V σ(W α); 0], f = U α_L.
  auto m = small_net(4, 2).to(torch::kCPU, torch::kFloat64);
  auto x = torch::rand({7, 4}, torch::kFloat64);
  for (int i = 0; i < 7; ++i) {
    auto alpha = torch::zeros({m.shape.width + 1}, torch::kFloat64);
    alpha.narrow(0, 0, 4).copy_(x[i]);
    alpha[m.shape.width] = 1.0;
    for (std::size_t l = 0; l < m.W.size(); ++l) {
      auto branch = m.V[l].mv(torch::relu(m.W[l].mv(alpha)));
      alpha.narrow(0, 0, m.shape.width) += branch;
      EXPECT_DOUBLE_EQ(alpha[m.shape.width].item<double>(), 1.0);
    }
    auto f = m.U.mv(alpha);
    EXPECT_TRUE(torch::allclose(m.forward(x)[i], f, 1e-12, 1e-12));
    EXPECT_TRUE(torch::allclose(m.forward_trace(x).out[i], f, 1e-12, 1e-12));
  }
  auto t = m.forward_trace(x);
  ASSERT_EQ(t.alpha.size(), m.W.size() + 1);
  EXPECT_TRUE(torch::equal(t.a[0], torch::relu(t.z[0])));
  EXPECT_TRUE(torch::all(t.alpha.back().select(1, m.shape.width) == 1).item<bool>());
}

TEST(ResNet, ParameterCountAndShapeChecks) {
  nn::resnet_shape s{3, 8, 4, 2, 1};
  EXPECT_EQ(s.parameter_count(), 2 * (4 * 9 + 8 * 4) + 9);
  auto m = nn::make_resnet(s);
  std::int64_t total = 0;
  for (auto& p : m.parameters()) total += p.numel();
  EXPECT_EQ(total, s.parameter_count());
  EXPECT_THROW(nn::make_resnet({5, 4, 4, 2, 1}), input_error);  // w < d_in
}

TEST(ResNet, InitialisationIsDeterministic) {
  expect_same_parameters(small_net(3, 1, 9), small_net(3, 1, 9));
  EXPECT_FALSE(torch::equal(small_net(3, 1, 9).U, small_net(3, 1, 10).U));
}

TEST(ModelFile, RoundTripIsExactAndCarriesBoxAndKind) {
  auto dir = temp_dir("model");
  auto m = small_net(3, 2);
  m.kind = data::task_kind::binary;
  m.input_box.lo = {-1, 0, 2};
  m.input_box.hi = {1, 5, 3};
  nn::save_model(m, (dir / "m.occam").string());
  auto r = nn::load_model((dir / "m.occam").string());
  expect_same_parameters(m, r);
  EXPECT_EQ(r.kind, data::task_kind::binary);
  EXPECT_EQ(r.input_box.lo, m.input_box.lo);
  EXPECT_EQ(r.input_box.hi, m.input_box.hi);
  EXPECT_EQ(r.shape.parameter_count(), m.shape.parameter_count());
}

TEST(ModelFile, MalformedFilesAreInputErrors) {
  auto dir = temp_dir("badmodel");
  auto m = small_net(3, 1);
  auto good = dir / "m.occam";
  nn::save_model(m, good.string());
  std::string bytes = read_file(good);
  write_file_atomic(dir / "trunc.occam", bytes.substr(0, bytes.size() - 10));
  write_file_atomic(dir / "magic.occam", "HELLO\n{}\n");
  write_file_atomic(dir / "json.occam", "OCCAM-MODEL 1\n{not json\n");
  for (auto name : {"trunc.occam", "magic.occam", "json.occam", "missing.occam"}) {
    try {
      nn::load_model((dir / name).string());
      ADD_FAILURE() << name << " loaded";
    } catch (const input_error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}

// issue 22 S4: a flipped bit anywhere in the weights is detected by the payload's CRC-32; the header is
// checked against the payload (size) and its weight type.
TEST(ModelFile, BitFlipsInTheWeightsAreDetected) {
  auto dir = temp_dir("bitflip");
  auto m = small_net(3, 1);
  auto good = dir / "m.occam";
  nn::save_model(m, good.string());
  const std::string bytes = read_file(good);
  const std::size_t payload = std::size_t(m.shape.parameter_count()) * 4;
  ASSERT_GT(bytes.size(), payload);
  const std::size_t start = bytes.size() - payload;
  data::rng g(5);
  for (int trial = 0; trial < 40; ++trial) {
    std::string bad = bytes;
    const std::size_t at = start + std::size_t(g.below(payload));
    bad[at] = char(bad[at] ^ (1 << g.below(8)));
    write_file_atomic(dir / "flip.occam", bad);
    EXPECT_THROW(nn::load_model((dir / "flip.occam").string()), input_error) << "byte " << at;
  }
  std::string other_type = bytes;
  const auto pos = other_type.find("float32-le");
  ASSERT_NE(pos, std::string::npos);
  other_type.replace(pos, 10, "float64-le");
  write_file_atomic(dir / "dtype.occam", other_type);
  EXPECT_THROW(nn::load_model((dir / "dtype.occam").string()), input_error);
  EXPECT_NO_THROW(nn::load_model(good.string()));
}

TEST(Train, LearnsMajorityAndIsDeterministic) {
  auto d = data::make_task("majority:5");
  nn::train_params p;
  p.epochs = 60;
  p.batch = 8;
  p.lr = 1e-2;
  p.progress = false;
  p.threads = 1;
  auto a = small_net(5, 1), b = small_net(5, 1);
  auto sa = nn::train(a, d, d, p);
  auto sb = nn::train(b, d, d, p);
  expect_same_parameters(a, b);
  EXPECT_EQ(sa.val_loss, sb.val_loss);
  EXPECT_EQ(sa.val_accuracy, 1.0);
  EXPECT_LT(sa.val_loss, 0.3);
}

TEST(Train, KilledAndResumedRunEndsExactlyAsAnUninterruptedOne) {
  auto d = data::make_task("parity:4");
  auto dir_full = temp_dir("full"), dir_resumed = temp_dir("resumed");
  nn::train_params p;
  p.epochs = 8;
  p.batch = 4;
  p.lr = 5e-3;
  p.progress = false;
  p.threads = 1;
  p.out_dir = dir_full.string();
  auto full = small_net(4, 1);
  auto s_full = nn::train(full, d, d, p);

  // The "kill": an exception thrown from inside epoch 5, after checkpoints up to epoch 4 were written and
  // epoch 5's metrics line was appended; then a fresh process-like start with --resume.
  p.out_dir = dir_resumed.string();
  p.on_epoch = [](const nn::epoch_metrics& e) {
    if (e.epoch == 5) throw std::runtime_error("killed");
  };
  auto first = small_net(4, 1);
  EXPECT_THROW(nn::train(first, d, d, p), std::runtime_error);
  p.on_epoch = nullptr;
  p.resume = true;
  auto resumed = small_net(4, 1, /*seed=*/77);  // even a different initialisation is overwritten
  auto s_res = nn::train(resumed, d, d, p);

  expect_same_parameters(full, resumed);
  EXPECT_EQ(s_full.val_loss, s_res.val_loss);
  EXPECT_EQ(s_full.best_epoch, s_res.best_epoch);
  EXPECT_EQ(s_res.epochs_run, 8);
  EXPECT_EQ(read_file(dir_full / "model.occam"), read_file(dir_resumed / "model.occam"));
  // metrics.jsonl lists each epoch exactly once, with the same values.
  auto lines = [](const fs::path& f) {
    std::vector<nlohmann::json> v;
    std::ifstream in(f);
    std::string l;
    while (std::getline(in, l)) v.push_back(nlohmann::json::parse(l));
    return v;
  };
  auto a = lines(dir_full / "metrics.jsonl"), b = lines(dir_resumed / "metrics.jsonl");
  ASSERT_EQ(a.size(), 8u);
  ASSERT_EQ(b.size(), 8u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(b[i]["epoch"], int(i + 1));
    EXPECT_EQ(a[i]["val_loss"], b[i]["val_loss"]);
    EXPECT_EQ(a[i]["train_loss"], b[i]["train_loss"]);
  }
  auto summary = nlohmann::json::parse(read_file(dir_resumed / "summary.json"));
  EXPECT_GT(summary["train_seconds"].get<double>(), 0.0);
  EXPECT_GT(summary["samples_per_second"].get<double>(), 0.0);
}

TEST(Train, EarlyStoppingKeepsTheBestEpoch) {
  auto d = data::make_task("parity:4");
  nn::train_params p;
  p.epochs = 200;
  p.lr = 0.5;  // deliberately unstable: validation stops improving quickly
  p.optimizer = nn::optimizer_kind::sgd;
  p.patience = 3;
  p.progress = false;
  std::vector<double> vals;
  p.on_epoch = [&](const nn::epoch_metrics& e) { vals.push_back(e.val_loss); };
  auto m = small_net(4, 1);
  auto s = nn::train(m, d, d, p);
  ASSERT_FALSE(vals.empty());
  if (s.stopped_early) {
    EXPECT_LT(s.epochs_run, 200);
    EXPECT_EQ(s.epochs_run - s.best_epoch, 3);
  }
  double best = *std::min_element(vals.begin(), vals.end());
  EXPECT_NEAR(s.val_loss, best, 1e-6 * (1 + std::abs(best)));
}

TEST(Train, ProximalL1GivesExactZeros) {
  // Proximal SGD on λ‖θ‖₁: soft-thresholding leaves exact zeros, which a plain run never has.
  auto d = data::make_task("majority:5");
  nn::train_params p;
  p.epochs = 30;
  p.batch = 4;
  p.lr = 0.1;
  p.optimizer = nn::optimizer_kind::sgd;
  p.progress = false;
  p.select_best = false;
  auto plain = small_net(5, 1);
  nn::train(plain, d, d, p);
  auto pen = nn::make_l1_penalty(0.02, /*proximal=*/true);
  p.penalty = pen.get();
  auto sparse = small_net(5, 1);
  nn::train(sparse, d, d, p);
  EXPECT_LT(sparse.nonzero_count(), plain.nonzero_count() / 2);
  EXPECT_GT(sparse.nonzero_count(), 0);
}

TEST(Optimizer, FusedAdamFollowsTorchAdam) {
  // The fused single-pass update against libtorch's own Adam, on the same gradients, for 30 steps.
  torch::manual_seed(0);
  auto x = torch::randn({64, 5}), y = torch::randn({64, 1});
  auto a = small_net(5, 1), b = small_net(5, 1);
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  nn::train_params p;
  p.lr = 3e-3;
  auto ours = nn::make_optimizer(a.parameters(), p);
  torch::optim::Adam reference(b.parameters(), torch::optim::AdamOptions(p.lr));
  for (int step = 0; step < 30; ++step) {
    ours->zero_grad();
    torch::mse_loss(a.forward(x), y).backward();
    ours->step();
    reference.zero_grad();
    torch::mse_loss(b.forward(x), y).backward();
    reference.step();
  }
  auto pa = a.parameters(), pb = b.parameters();
  for (std::size_t i = 0; i < pa.size(); ++i)
    EXPECT_TRUE(torch::allclose(pa[i], pb[i], 1e-4, 1e-6))
        << "parameter " << i << " differs by " << (pa[i] - pb[i]).abs().max().item<float>();
  EXPECT_FALSE(torch::equal(pa[0], small_net(5, 1).W[0]));  // it moved
}

TEST(Train, EvaluateCountsAccuracyPerKind) {
  // A depth-0 network is the linear read-out U α_0: set it by hand.
  auto m = nn::make_resnet({2, 2, 1, 0, 1});
  m.U = torch::tensor({{1.0f, -1.0f, 0.0f}});  // f = x1 − x2
  data::dataset d;
  d.kind = data::task_kind::binary;
  d.n = 4;
  d.d_in = 2;
  d.d_out = 1;
  d.x = {1, 0, 0, 1, 1, 1, 0, 0};
  d.y = {1, 0, 1, 0};  // correct, correct, wrong (f=0 → 0), correct
  d.input_box = {{0, 0}, {1, 1}};
  auto r = nn::evaluate(m, d);
  EXPECT_DOUBLE_EQ(r.accuracy, 0.75);
}

TEST(Device, CudaIsAnInputErrorWithoutAGpu) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "a GPU is present";
  EXPECT_THROW(nn::parse_device("cuda"), input_error);
  EXPECT_THROW(nn::parse_device("tpu"), input_error);
  EXPECT_EQ(nn::parse_device("cpu"), torch::Device(torch::kCPU));
}

// The backends compared (ggml's test-backend-ops): the same model and data on CPU and CUDA give the same
// forward pass and gradients in float64, and the same training curve up to float32 rounding.
TEST(Device, CudaMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto cuda = torch::Device(torch::kCUDA);
  auto m = small_net(5, 1).to(torch::kCPU, torch::kFloat64, true);
  auto g = m.to(cuda, torch::kFloat64, true);
  auto x = torch::rand({64, 5}, torch::kFloat64);
  auto y = torch::rand({64, 1}, torch::kFloat64);
  auto fc = m.forward(x), fg = g.forward(x.to(cuda)).cpu();
  EXPECT_TRUE(torch::allclose(fc, fg, 1e-10, 1e-12)) << (fc - fg).abs().max().item<double>();
  torch::mse_loss(m.forward(x), y).backward();
  torch::mse_loss(g.forward(x.to(cuda)), y.to(cuda)).backward();
  auto pc = m.parameters(), pg = g.parameters();
  ASSERT_EQ(pc.size(), pg.size());
  for (std::size_t i = 0; i < pc.size(); ++i)
    EXPECT_TRUE(torch::allclose(pc[i].grad(), pg[i].grad().cpu(), 1e-9, 1e-12)) << "parameter " << i;

  auto d = data::make_task("majority:5");
  nn::train_params p;
  p.epochs = 5;
  p.progress = false;
  auto on_cpu = small_net(5, 1), on_gpu = small_net(5, 1);
  const auto sc = nn::train(on_cpu, d, d, p);
  p.device = "cuda";
  const auto sg = nn::train(on_gpu, d, d, p);
  EXPECT_GT(sc.epochs_run, 0);
  EXPECT_NEAR(sc.val_loss, sg.val_loss, 1e-3 * (1 + std::abs(sc.val_loss)));
}
