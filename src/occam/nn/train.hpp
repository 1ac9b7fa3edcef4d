#pragma once
// Training the THEORY §1 ResNet: MSE / logistic / cross-entropy, Adam or SGD, minibatches, L2 or ℓ1 (and,
// through the regulariser interface, the complexity penalties of THEORY §3), early stopping on validation,
// JSON-lines metrics, atomic checkpoints and exact resume.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "occam/data/dataset.hpp"
#include "occam/nn/resnet.hpp"

namespace torch::serialize {
class OutputArchive;
class InputArchive;
}  // namespace torch::serialize

namespace occam::nn {

/// A penalty on θ, λ included. The trainer adds `penalty()` to the minibatch loss (when defined) and calls
/// `after_step` after every optimiser step (where proximal methods shrink weights to exact zeros).
class regulariser {
 public:
  virtual ~regulariser() = default;
  virtual std::string name() const = 0;
  /// Differentiable penalty value for this minibatch (an undefined tensor: nothing to add to the loss).
  virtual torch::Tensor penalty(const resnet& m, const torch::Tensor& x_batch) = 0;
  /// Called after each optimiser step with the learning rate (no-op by default).
  virtual void after_step(resnet& m, double lr) {}
  /// Current value for logs (no gradient), evaluated on a sample of the training data.
  virtual double value(const resnet& m, const torch::Tensor& x_sample) = 0;
};

/// λ‖θ‖²₂ (weight decay on every parameter, biases included — they are weights of the constant coordinate).
std::unique_ptr<regulariser> make_l2_penalty(double lambda);
/// λ‖θ‖₁; with `proximal` the step is a soft-threshold (exact zeros) instead of a subgradient.
std::unique_ptr<regulariser> make_l1_penalty(double lambda, bool proximal);

enum class optimizer_kind { adam, sgd };

struct train_params {
  std::int64_t epochs = 100;
  std::int64_t batch = 128;
  double lr = 1e-3;
  optimizer_kind optimizer = optimizer_kind::adam;
  double momentum = 0.9;              ///< SGD only
  std::int64_t patience = 0;          ///< early stopping: epochs without validation improvement (0 = off)
  std::uint64_t seed = 0;             ///< minibatch order of epoch e comes from (seed, e): resume is exact
  std::string device = "cpu";         ///< "cpu" or "cuda"
  int threads = 0;                    ///< 0 = libtorch's default
  std::string out_dir;                ///< when set: model.occam, metrics.jsonl, summary.json, checkpoint
  std::int64_t checkpoint_every = 1;  ///< epochs between checkpoints (when out_dir is set)
  bool resume = false;                ///< continue from out_dir/checkpoint.pt
  bool progress = true;               ///< progress bar (only drawn on a terminal)
  /// Return (and save) the epoch with the lowest validation loss; false keeps the last epoch (e.g. to keep
  /// the exact zeros a proximal penalty produced late in training).
  bool select_best = true;
  regulariser* penalty = nullptr;  ///< not owned
  /// Called after each epoch with its metrics (for λ paths, tests); may be empty.
  std::function<void(const struct epoch_metrics&)> on_epoch;
};

struct epoch_metrics {
  std::int64_t epoch = 0;                  ///< 1-based
  double train_loss = 0;                   ///< mean data loss over the epoch's minibatches
  double penalty = 0;                      ///< regulariser value (0 without one)
  double val_loss = 0, val_accuracy = -1;  ///< accuracy −1 for regression
  std::int64_t nonzero = 0;
  double seconds = 0;  ///< wall time of this epoch
};

struct train_stats {
  std::int64_t epochs_run = 0;  ///< including epochs before a resume
  std::int64_t best_epoch = 0;
  double train_seconds = 0;  ///< wall time spent training, summed over resumed pieces
  double samples_per_second = 0;
  double train_loss = 0, val_loss = 0, val_accuracy = -1;
  bool stopped_early = false;
};

/// The trainer's optimisers: a step, zeroed gradients, and state that goes into checkpoints (plain tensors,
/// so checkpoints do not depend on libtorch's optimiser internals).
class optimizer {
 public:
  virtual ~optimizer() = default;
  virtual void step() = 0;
  virtual void save(torch::serialize::OutputArchive& ar) const = 0;
  virtual void load(torch::serialize::InputArchive& ar) = 0;
  void zero_grad();

 protected:
  explicit optimizer(std::vector<torch::Tensor> params) : params_(std::move(params)) {}
  std::vector<torch::Tensor> params_;
};

/// Adam (torch.optim.Adam's update, β = (0.9, 0.999), ε = 1e-8, no weight decay) fused into one pass per
/// parameter on contiguous float32 CPU tensors; or SGD with momentum (libtorch's).
std::unique_ptr<optimizer> make_optimizer(std::vector<torch::Tensor> params, const train_params& p);

/// Loss and accuracy of a model on a data set (accuracy −1 for regression; binary: all outputs thresholded at
/// 0).
struct eval_result {
  double loss = 0;
  double accuracy = -1;
  double mse = 0;  ///< mean squared error of the raw outputs (regression) or of the probabilities (binary)
};
eval_result evaluate(const resnet& m, const data::dataset& d, std::int64_t batch = 4096);

/// Trains `m` in place on `train`, selecting the best epoch on `valid` (if non-empty, else on train).
/// With params.out_dir set, writes metrics.jsonl (one JSON object per epoch), checkpoint.pt every
/// checkpoint_every epochs (atomically), model.occam (the selected model) and summary.json.
train_stats train(resnet& m, const data::dataset& train, const data::dataset& valid,
                  const train_params& params);

/// Data to tensors (copies), on a device. Targets: n class indices (int64) for multiclass, else n × d_out.
torch::Tensor inputs_tensor(const data::dataset& d, torch::Device device = torch::kCPU,
                            torch::Dtype dtype = torch::kFloat32);
torch::Tensor targets_tensor(const data::dataset& d, torch::Device device = torch::kCPU,
                             torch::Dtype dtype = torch::kFloat32);
/// The data loss for a task kind: MSE (regression), mean logistic loss (binary), cross-entropy (multiclass).
torch::Tensor data_loss(data::task_kind kind, const torch::Tensor& out, const torch::Tensor& y);
/// CPU threads for everything numeric: libtorch's intra-op pool and OpenBLAS's own pool (≤ 0: leave as is).
void set_threads(int threads);
/// Parses "cpu" / "cuda" / "cuda:N"; throws input_error when CUDA is asked for but not available.
torch::Device parse_device(const std::string& name);

}  // namespace occam::nn
