// Training the THEORY §1 ResNet: losses, optimisers, penalties, early stopping, metrics, checkpoints, resume.
#include "occam/nn/train.hpp"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "occam/util/atomic_file.hpp"
#include "occam/util/dir_lock.hpp"
#include "occam/util/error.hpp"
#include "occam/util/process_tuning.hpp"
#include "occam/util/progress.hpp"

namespace occam::nn {
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw input_error("--device " + name +
                        ": CUDA is not available (no GPU, or libtorch built without CUDA)");
    try {
      return torch::Device(name);
    } catch (const std::exception&) {
      throw input_error("--device: cannot parse '" + name + "' (use cpu, cuda or cuda:N)");
    }
  }
  throw input_error("--device: unknown device '" + name + "' (use cpu, cuda or cuda:N)");
}

void set_threads(int threads) {
  if (threads < 0 || threads > max_threads())
    throw input_error("--threads: must be in 0.." + std::to_string(max_threads()) +
                      " (0: libtorch's default; at most 4 × the hardware threads), got " +
                      std::to_string(threads));
  if (threads == 0) return;
  torch::set_num_threads(threads);
  // OpenBLAS (Debian's pthread build) keeps its own thread pool, which torch::set_num_threads does not size:
  // without this, "--threads 1" would still run every matrix product on all cores.
  using set_fn = void (*)(int);
  if (auto f = reinterpret_cast<set_fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(threads);
}

torch::Tensor inputs_tensor(const data::dataset& d, torch::Device device, torch::Dtype dtype) {
  auto t = torch::from_blob(const_cast<float*>(d.x.data()), {std::int64_t(d.n), std::int64_t(d.d_in)},
                            torch::kFloat32);
  return t.to(device, dtype, /*non_blocking=*/false, /*copy=*/true);
}

torch::Tensor targets_tensor(const data::dataset& d, torch::Device device, torch::Dtype dtype) {
  auto t = torch::from_blob(const_cast<float*>(d.y.data()), {std::int64_t(d.n), std::int64_t(d.d_out)},
                            torch::kFloat32);
  if (d.kind == data::task_kind::multiclass)
    return t.select(1, 0).to(device, torch::kInt64, /*non_blocking=*/false, /*copy=*/true);
  return t.to(device, dtype, /*non_blocking=*/false, /*copy=*/true);
}

torch::Tensor data_loss(data::task_kind kind, const torch::Tensor& out, const torch::Tensor& y) {
  switch (kind) {
    case data::task_kind::regression:
      return torch::mse_loss(out, y);
    case data::task_kind::binary:
      return torch::binary_cross_entropy_with_logits(out, y);
    case data::task_kind::multiclass:
      return torch::cross_entropy_loss(out, y);
  }
  return {};
}

namespace {

double accuracy_sum(data::task_kind kind, const torch::Tensor& out, const torch::Tensor& y) {
  if (kind == data::task_kind::multiclass) return out.argmax(1).eq(y).sum().item<double>();
  if (kind == data::task_kind::binary)
    return out.gt(0).eq(y.gt(0.5)).to(torch::kFloat64).mean(1).sum().item<double>();
  return 0;
}

// ---- penalties built into the trainer -------------------------------------------------------------------

class l2_penalty final : public regulariser {
 public:
  explicit l2_penalty(double lambda) : lambda_(lambda) {}
  std::string name() const override { return "l2"; }
  torch::Tensor penalty(const resnet& m, const torch::Tensor&) override {
    torch::Tensor s;
    for (auto& p : m.parameters()) s = s.defined() ? s + p.pow(2).sum() : p.pow(2).sum();
    return s * lambda_;
  }
  double value(const resnet& m, const torch::Tensor&) override {
    torch::NoGradGuard ng;
    double s = 0;
    for (auto& p : m.parameters()) s += p.pow(2).sum().item<double>();
    return s;
  }

 private:
  double lambda_;
};

class l1_penalty final : public regulariser {
 public:
  l1_penalty(double lambda, bool proximal) : lambda_(lambda), proximal_(proximal) {}
  std::string name() const override { return proximal_ ? "l1-prox" : "l1"; }
  torch::Tensor penalty(const resnet& m, const torch::Tensor&) override {
    if (proximal_) return {};  // handled by the soft-threshold in after_step
    torch::Tensor s;
    for (auto& p : m.parameters()) s = s.defined() ? s + p.abs().sum() : p.abs().sum();
    return s * lambda_;
  }
  void after_step(resnet& m, double lr) override {
    if (!proximal_) return;
    // prox of lr·λ‖·‖₁: soft-threshold, which sets small weights exactly to zero.
    torch::NoGradGuard ng;
    for (auto& p : m.parameters()) p.copy_(torch::softshrink(p, lr * lambda_));
  }
  double value(const resnet& m, const torch::Tensor&) override {
    torch::NoGradGuard ng;
    double s = 0;
    for (auto& p : m.parameters()) s += p.abs().sum().item<double>();
    return s;
  }

 private:
  double lambda_;
  bool proximal_;
};

// ---- optimisers
// ---------------------------------------------------------------------------------------------

// Adam (Kingma & Ba, with bias correction, as torch.optim.Adam without weight decay). On contiguous float32
// CPU tensors the update is one fused pass over each parameter (gradient, both moments and the weight read
// once), instead of the ~8 separate elementwise passes of the generic version; elsewhere (CUDA, float64) it
// is the same formula in tensor operations. Its state is plain tensors, so checkpoints don't depend on
// libtorch internals.
class fused_adam final : public optimizer {
 public:
  fused_adam(std::vector<torch::Tensor> params, double lr) : optimizer(std::move(params)), lr_(lr) {
    for (auto& p : params_) {
      m_.push_back(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
      v_.push_back(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
    }
  }
  void step() override {
    torch::NoGradGuard ng;
    ++t_;
    const double bc1 = 1 - std::pow(b1_, double(t_)), bc2 = 1 - std::pow(b2_, double(t_));
    const double step_size = lr_ / bc1, inv_sqrt_bc2 = 1 / std::sqrt(bc2);
    for (std::size_t i = 0; i < params_.size(); ++i) {
      auto& p = params_[i];
      if (!p.grad().defined()) continue;
      const auto& g = p.grad();
      if (p.device().is_cpu() && p.scalar_type() == torch::kFloat32 && p.is_contiguous() &&
          g.is_contiguous()) {
        float* w = p.data_ptr<float>();
        const float* gr = g.data_ptr<float>();
        float* m = m_[i].data_ptr<float>();
        float* v = v_[i].data_ptr<float>();
        const float b1 = float(b1_), b2 = float(b2_), c1 = float(1 - b1_), c2 = float(1 - b2_);
        const float ss = float(step_size), ib = float(inv_sqrt_bc2), eps = float(eps_);
        at::parallel_for(0, p.numel(), 1 << 15, [&](std::int64_t lo, std::int64_t hi) {
          for (std::int64_t j = lo; j < hi; ++j) {
            const float gj = gr[j];
            const float mj = b1 * m[j] + c1 * gj;
            const float vj = b2 * v[j] + c2 * gj * gj;
            m[j] = mj;
            v[j] = vj;
            w[j] -= ss * mj / (std::sqrt(vj) * ib + eps);
          }
        });
      } else {
        m_[i].mul_(b1_).add_(g, 1 - b1_);
        v_[i].mul_(b2_).addcmul_(g, g, 1 - b2_);
        p.addcdiv_(m_[i], v_[i].sqrt().mul_(inv_sqrt_bc2).add_(eps_), -step_size);
      }
    }
  }
  void save(torch::serialize::OutputArchive& ar) const override {
    ar.write("adam_t", torch::tensor(t_));
    for (std::size_t i = 0; i < m_.size(); ++i) {
      ar.write("adam_m" + std::to_string(i), m_[i].cpu());
      ar.write("adam_v" + std::to_string(i), v_[i].cpu());
    }
  }
  void load(torch::serialize::InputArchive& ar) override {
    // InputArchive::read set_()s a defined tensor to what it reads: read each entry into a fresh one.
    torch::Tensor t;
    ar.read("adam_t", t);
    t_ = t.item<std::int64_t>();
    torch::NoGradGuard ng;
    for (std::size_t i = 0; i < m_.size(); ++i) {
      torch::Tensor m, v;
      ar.read("adam_m" + std::to_string(i), m);
      ar.read("adam_v" + std::to_string(i), v);
      m_[i].copy_(m);
      v_[i].copy_(v);
    }
  }

 private:
  double lr_, b1_ = 0.9, b2_ = 0.999, eps_ = 1e-8;
  std::int64_t t_ = 0;
  std::vector<torch::Tensor> m_, v_;
};

// SGD with momentum through libtorch's own implementation (its state serialises through the archive).
class torch_sgd final : public optimizer {
 public:
  torch_sgd(std::vector<torch::Tensor> params, double lr, double momentum)
      : optimizer(params), opt_(params, torch::optim::SGDOptions(lr).momentum(momentum)) {}
  void step() override { opt_.step(); }
  void save(torch::serialize::OutputArchive& ar) const override {
    torch::serialize::OutputArchive oa;
    opt_.save(oa);
    ar.write("sgd", oa);
  }
  void load(torch::serialize::InputArchive& ar) override {
    torch::serialize::InputArchive ia;
    ar.read("sgd", ia);
    opt_.load(ia);
  }

 private:
  torch::optim::SGD opt_;
};

// ---- checkpoints ------------------------------------------------------------------------------------------

struct loop_state {
  std::int64_t epoch = 0;  // last completed epoch
  std::int64_t best_epoch = 0;
  double best_val = std::numeric_limits<double>::infinity();
  std::int64_t bad_epochs = 0;
  double train_seconds = 0;
  std::vector<torch::Tensor> best;  // parameters of the best epoch
};

void save_checkpoint(const fs::path& path, const resnet& m, const optimizer& opt, const loop_state& st) {
  torch::serialize::OutputArchive ar;
  auto params = m.parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    ar.write("param" + std::to_string(i), params[i].detach().cpu());
    ar.write("best" + std::to_string(i), st.best[i].cpu());
  }
  opt.save(ar);
  ar.write("epoch", torch::tensor(st.epoch));
  ar.write("best_epoch", torch::tensor(st.best_epoch));
  ar.write("best_val", torch::tensor(st.best_val, torch::kFloat64));
  ar.write("bad_epochs", torch::tensor(st.bad_epochs));
  ar.write("train_seconds", torch::tensor(st.train_seconds, torch::kFloat64));
  // Through write_file_atomic: a full disk is an input_error naming the file, and the temporary is removed
  // (libtorch's own file writer throws from a destructor there and terminates the process).
  write_file_atomic(
      path, [&](std::ostream& os) { ar.save_to(os); }, /*binary=*/true);
}

void load_checkpoint(const fs::path& path, resnet& m, optimizer& opt, loop_state& st) {
  torch::serialize::InputArchive ar;
  try {
    ar.load_from(path.string());
  } catch (const std::exception& e) {
    throw input_error(path.string(), 0, "cannot read checkpoint (corrupt or from another libtorch?)");
  }
  auto params = m.parameters();
  torch::NoGradGuard ng;
  for (std::size_t i = 0; i < params.size(); ++i) {
    torch::Tensor t, b;
    ar.read("param" + std::to_string(i), t);
    ar.read("best" + std::to_string(i), b);
    if (!t.sizes().equals(params[i].sizes()))
      throw input_error(path.string(), 0,
                        "checkpoint does not match the network shape (different --width/--hidden/--depth?)");
    params[i].copy_(t);
    st.best[i] = b.to(params[i].device());
  }
  opt.load(ar);
  auto scalar = [&](const char* key) {
    torch::Tensor t;  // fresh: InputArchive::read set_()s a defined tensor
    ar.read(key, t);
    return t;
  };
  st.epoch = scalar("epoch").item<std::int64_t>();
  st.best_epoch = scalar("best_epoch").item<std::int64_t>();
  st.best_val = scalar("best_val").item<double>();
  st.bad_epochs = scalar("bad_epochs").item<std::int64_t>();
  st.train_seconds = scalar("train_seconds").item<double>();
}

// metrics.jsonl keeps only the epochs the checkpoint has seen, so a resumed run logs each epoch once.
void truncate_metrics(const fs::path& path, std::int64_t last_epoch) {
  if (!fs::exists(path)) return;
  std::ifstream in(path);
  std::ostringstream kept;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    try {
      if (nlohmann::json::parse(line).at("epoch").get<std::int64_t>() <= last_epoch) kept << line << '\n';
    } catch (const std::exception&) {
      break;  // a torn last line from a killed run
    }
  }
  write_file_atomic(path, kept.str());
}

}  // namespace

void optimizer::zero_grad() {
  for (auto& p : params_)
    if (p.grad().defined()) p.mutable_grad().zero_();
}

std::unique_ptr<optimizer> make_optimizer(std::vector<torch::Tensor> params, const train_params& p) {
  if (p.optimizer == optimizer_kind::adam) return std::make_unique<fused_adam>(std::move(params), p.lr);
  return std::make_unique<torch_sgd>(std::move(params), p.lr, p.momentum);
}

std::unique_ptr<regulariser> make_l2_penalty(double lambda) {
  return std::make_unique<l2_penalty>(lambda);
}
std::unique_ptr<regulariser> make_l1_penalty(double lambda, bool proximal) {
  return std::make_unique<l1_penalty>(lambda, proximal);
}

eval_result evaluate(const resnet& m, const data::dataset& d, std::int64_t batch) {
  torch::NoGradGuard ng;
  eval_result r;
  if (d.n == 0) return r;
  auto x = inputs_tensor(d, m.device()).to(m.dtype());
  auto y = targets_tensor(d, m.device());
  if (d.kind != data::task_kind::multiclass) y = y.to(m.dtype());
  double loss = 0, correct = 0, sq = 0;
  for (std::int64_t b = 0; b < std::int64_t(d.n); b += batch) {
    std::int64_t e = std::min<std::int64_t>(b + batch, std::int64_t(d.n));
    auto out = m.forward(x.slice(0, b, e));
    auto yb = y.slice(0, b, e);
    loss += data_loss(d.kind, out, yb).item<double>() * double(e - b);
    correct += accuracy_sum(d.kind, out, yb);
    if (d.kind == data::task_kind::regression)
      sq += (out - yb).pow(2).sum().item<double>() / double(d.d_out);
    else if (d.kind == data::task_kind::binary)
      sq += (torch::sigmoid(out) - yb).pow(2).sum().item<double>() / double(d.d_out);
  }
  r.loss = loss / double(d.n);
  r.mse = sq / double(d.n);
  if (d.kind != data::task_kind::regression) r.accuracy = correct / double(d.n);
  return r;
}

train_stats train(resnet& m, const data::dataset& train_set, const data::dataset& valid,
                  const train_params& p) {
  if (train_set.n == 0) throw input_error(train_set.name, 0, "training set is empty");
  if (std::int64_t(train_set.d_in) != m.shape.d_in ||
      std::int64_t(train_set.model_outputs()) != m.shape.d_out)
    throw input_error(train_set.name, 0, "data dimensions do not match the network");
  if (p.batch <= 0 || p.epochs < 0 || !(p.lr > 0))
    throw input_error("--batch and --lr must be positive, --epochs non-negative");
  set_threads(p.threads);
  const torch::Device device = parse_device(p.device);
  if (m.device() != device) m = m.to(device, torch::kFloat32);
  m.kind = train_set.kind;
  m.set_requires_grad(true);

  const fs::path out_dir = p.out_dir;
  const fs::path ckpt = out_dir / "checkpoint.pt", metrics_path = out_dir / "metrics.jsonl";
  std::optional<directory_lock> lock;  // one run per output directory
  if (!p.out_dir.empty()) lock.emplace(out_dir);

  auto opt = make_optimizer(m.parameters(), p);
  loop_state st;
  for (auto& q : m.parameters()) st.best.push_back(q.detach().clone());
  if (p.resume) {
    if (p.out_dir.empty()) throw input_error("--resume needs --out DIR");
    if (fs::exists(ckpt)) {
      load_checkpoint(ckpt, m, *opt, st);
      truncate_metrics(metrics_path, st.epoch);
    }
  } else if (!p.out_dir.empty()) {
    std::error_code ec;
    fs::remove(metrics_path, ec);
    fs::remove(ckpt, ec);
  }

  const data::dataset& sel = valid.n > 0 ? valid : train_set;
  auto X = inputs_tensor(train_set, device);
  auto Y = targets_tensor(train_set, device);
  const std::int64_t n = std::int64_t(train_set.n);
  const std::int64_t batches = (n + p.batch - 1) / p.batch;
  auto x_sample = X.slice(0, 0, std::min<std::int64_t>(n, 1024));

  train_stats stats;
  std::int64_t samples_seen = 0;
  double seconds_this_run = 0;
  progress_bar bar("train", std::size_t(p.epochs), p.progress && progress_bar::stderr_is_terminal());
  bar.update(std::size_t(st.epoch));
  for (std::int64_t epoch = st.epoch + 1; epoch <= p.epochs; ++epoch) {
    auto t0 = clock_type::now();
    // The order of epoch e depends only on (seed, e): a resumed run replays exactly the same minibatches.
    auto gen = at::detail::createCPUGenerator(p.seed * 0x9E3779B97F4A7C15ULL + std::uint64_t(epoch));
    auto perm = torch::randperm(n, gen, torch::TensorOptions().dtype(torch::kInt64)).to(device);
    double loss_sum = 0;
    for (std::int64_t b = 0; b < batches; ++b) {
      auto idx = perm.slice(0, b * p.batch, std::min(n, (b + 1) * p.batch));
      auto xb = X.index_select(0, idx), yb = Y.index_select(0, idx);
      auto loss = data_loss(train_set.kind, m.forward(xb), yb);
      loss_sum += loss.item<double>();
      if (p.penalty) {
        auto pen = p.penalty->penalty(m, xb);
        if (pen.defined()) loss = loss + pen;
      }
      opt->zero_grad();
      loss.backward();
      opt->step();
      if (p.penalty) p.penalty->after_step(m, p.lr);
    }
    samples_seen += n;
    double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
    seconds_this_run += secs;
    st.train_seconds += secs;

    epoch_metrics em;
    em.epoch = epoch;
    em.train_loss = loss_sum / double(batches);
    em.penalty = p.penalty ? p.penalty->value(m, x_sample) : 0.0;
    auto ev = evaluate(m, sel);
    em.val_loss = ev.loss;
    em.val_accuracy = ev.accuracy;
    em.nonzero = m.nonzero_count();
    em.seconds = secs;
    st.epoch = epoch;
    if (!std::isfinite(em.train_loss))
      throw input_error("training diverged (loss is not finite) at epoch " + std::to_string(epoch) +
                        ": lower --lr or check the data");
    if (em.val_loss < st.best_val) {
      st.best_val = em.val_loss;
      st.best_epoch = epoch;
      st.bad_epochs = 0;
      auto params = m.parameters();
      for (std::size_t i = 0; i < params.size(); ++i) st.best[i] = params[i].detach().clone();
    } else {
      ++st.bad_epochs;
    }
    if (!p.out_dir.empty()) {
      nlohmann::json j = {{"epoch", em.epoch},       {"train_loss", em.train_loss}, {"penalty", em.penalty},
                          {"val_loss", em.val_loss}, {"nonzero", em.nonzero},       {"seconds", em.seconds}};
      if (em.val_accuracy >= 0) j["val_accuracy"] = em.val_accuracy;
      append_line(metrics_path, j.dump());
    }
    if (p.on_epoch) p.on_epoch(em);
    bar.update(std::size_t(epoch), "loss " + std::to_string(em.train_loss).substr(0, 8));
    const bool stop = p.patience > 0 && st.bad_epochs >= p.patience;
    if (!p.out_dir.empty() &&
        (epoch % std::max<std::int64_t>(1, p.checkpoint_every) == 0 || stop || epoch == p.epochs))
      save_checkpoint(ckpt, m, *opt, st);
    if (stop) {
      stats.stopped_early = true;
      break;
    }
  }
  bar.finish();

  // Keep the epoch that was best on validation.
  {
    torch::NoGradGuard ng;
    auto params = m.parameters();
    if (p.select_best && st.best_epoch > 0)
      for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(st.best[i]);
  }
  m.set_requires_grad(false);
  stats.epochs_run = st.epoch;
  stats.best_epoch = st.best_epoch;
  stats.train_seconds = st.train_seconds;
  stats.samples_per_second = seconds_this_run > 0 ? double(samples_seen) / seconds_this_run : 0;
  auto ev = evaluate(m, sel);
  stats.val_loss = ev.loss;
  stats.val_accuracy = ev.accuracy;
  stats.train_loss = evaluate(m, train_set).loss;

  if (!p.out_dir.empty()) {
    save_model(m.to(torch::kCPU), (out_dir / "model.occam").string());
    nlohmann::json s = {{"train_seconds", stats.train_seconds},
                        {"samples_per_second", stats.samples_per_second},
                        {"epochs_run", stats.epochs_run},
                        {"best_epoch", stats.best_epoch},
                        {"stopped_early", stats.stopped_early},
                        {"train_loss", stats.train_loss},
                        {"val_loss", stats.val_loss},
                        {"parameters", m.shape.parameter_count()},
                        {"nonzero", m.nonzero_count()},
                        {"shape",
                         {{"d_in", m.shape.d_in},
                          {"width", m.shape.width},
                          {"hidden", m.shape.hidden},
                          {"depth", m.shape.depth},
                          {"d_out", m.shape.d_out}}},
                        {"kind", data::to_string(m.kind)},
                        {"device", p.device},
                        {"threads", torch::get_num_threads()},
                        {"penalty", p.penalty ? p.penalty->name() : "none"}};
    if (stats.val_accuracy >= 0) s["val_accuracy"] = stats.val_accuracy;
    write_file_atomic(out_dir / "summary.json", s.dump(2) + "\n");
  }
  return stats;
}

}  // namespace occam::nn
