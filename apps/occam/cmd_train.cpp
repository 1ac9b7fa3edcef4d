// occam train: the THEORY §1 ResNet on a data file or built-in task (see docs/train.md).
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <optional>

#include "cli_choices.hpp"
#include "cli_data.hpp"
#include "cli_resume.hpp"
#include "command.hpp"
#include "occam/complexity/complexity.hpp"
#include "occam/nn/resnet.hpp"
#include "occam/nn/train.hpp"
#include "occam/util/dir_lock.hpp"
#include "occam/util/error.hpp"

namespace occam::cli {
namespace {

struct train_options {
  data_options data;
  split_options split;
  nn::resnet_shape shape;
  nn::init_params init;
  nn::train_params train;
  std::string optimizer = "adam";
  complexity::penalty_kind penalty = complexity::penalty_kind::none;
  double lambda = 0;
  bool prox = false;
  std::vector<double> lambda_path;
  std::int64_t refresh_every = 10;
};

void run_train(const train_options& o) {
  if (o.train.out_dir.empty()) throw input_error("--out DIR is required");
  auto sp = load_split(o.data, o.split);
  nn::resnet_shape shape = o.shape;
  shape.d_in = std::int64_t(sp.train.d_in);
  shape.d_out = std::int64_t(sp.train.model_outputs());
  if (shape.width == 0) shape.width = std::max<std::int64_t>(shape.d_in, 32);
  auto model = nn::make_resnet(shape, o.init);
  model.input_box = sp.train.input_box;
  model.kind = sp.train.kind;

  nn::train_params tp = o.train;
  tp.optimizer = o.optimizer == "sgd" ? nn::optimizer_kind::sgd : nn::optimizer_kind::adam;
  complexity::penalty_params pp;
  pp.refresh_every = o.refresh_every;
  if (!o.lambda_path.empty()) {
    // THEORY §3: the ResNet norm estimated along a λ path with warm starts; records the Pareto front.
    if (o.penalty == complexity::penalty_kind::none)
      throw input_error("--lambda-path needs --penalty l2|l1|rtilde|r");
    complexity::path_params path;
    path.penalty = o.penalty;
    path.proximal = o.prox;
    path.lambdas = o.lambda_path;
    path.penalty_options = pp;
    path.out_dir = tp.out_dir;
    auto points = complexity::lambda_path(model, sp.train, sp.valid, tp, path);
    fmt::print("{:>10} {:>12} {:>12} {:>12} {:>10} {}\n", "lambda", "val_error", "R~", "R", "nonzero",
               "pareto");
    for (auto& q : points)
      fmt::print("{:>10.3g} {:>12.5g} {:>12.5g} {:>12.5g} {:>10} {}\n", q.lambda, q.val_error, q.rtilde, q.r,
                 q.nonzero, q.pareto ? "*" : "");
    fmt::print("wrote {}/path.csv, path.json, model_<i>.occam\n", tp.out_dir);
    return;
  }
  if (o.penalty != complexity::penalty_kind::none && !(o.lambda > 0))
    throw input_error(std::string("--penalty ") + complexity::to_string(o.penalty) + " needs --lambda > 0");
  const auto pen = complexity::make_penalty(o.penalty, o.lambda, o.prox, model.input_box, pp);
  tp.penalty = pen.get();

  auto st = nn::train(model, sp.train, sp.valid, tp);
  fmt::print(
      "trained {} ({}×{}×{} on {}, {} parameters, {} non-zero) for {} epochs in {:.2f} s ({:.0f} "
      "samples/s)\n",
      sp.train.name, shape.width, shape.hidden, shape.depth, tp.device, shape.parameter_count(),
      model.nonzero_count(), st.epochs_run, st.train_seconds, st.samples_per_second);
  fmt::print("best epoch {}: validation loss {:.6g}", st.best_epoch, st.val_loss);
  if (st.val_accuracy >= 0) fmt::print(", accuracy {:.4f}", st.val_accuracy);
  fmt::print("\nwrote {}/model.occam, metrics.jsonl, summary.json\n", tp.out_dir);
  if (sp.test.n > 0) {
    auto ev = nn::evaluate(model, sp.test);
    fmt::print("test loss {:.6g}", ev.loss);
    if (ev.accuracy >= 0) fmt::print(", accuracy {:.4f}", ev.accuracy);
    fmt::print("\n");
  }
}

void setup(CLI::App& app) {
  auto o = std::make_shared<train_options>();
  o->shape.width = 0;
  o->shape.hidden = 32;
  o->shape.depth = 4;
  o->train.epochs = 100;
  auto* c = app.add_subcommand("train", "Train the THEORY §1 ResNet (metrics, checkpoints, --resume)");
  o->data.add_to(c);
  o->split.add_to(c);
  c->add_option("--width,-w", o->shape.width, "Residual width w ≥ d_in (default max(d_in, 32))")
      ->check(at_least(1));
  c->add_option("--hidden,-k", o->shape.hidden, "Hidden dimension k of each block")
      ->check(at_least(1))
      ->capture_default_str();
  c->add_option("--depth,-L", o->shape.depth, "Number of residual blocks L")
      ->check(at_least(1))
      ->capture_default_str();
  c->add_option("--v-scale", o->init.v_scale, "Initial scale of the residual branches V")
      ->capture_default_str();
  c->add_option("--epochs,-e", o->train.epochs, "Epochs")->check(at_least(0))->capture_default_str();
  c->add_option("--batch,-b", o->train.batch, "Minibatch size")->check(at_least(1))->capture_default_str();
  c->add_option("--lr", o->train.lr, "Learning rate")->capture_default_str();
  c->add_option("--optimizer", o->optimizer, "adam|sgd")
      ->check(CLI::IsMember({"adam", "sgd"}))
      ->capture_default_str();
  c->add_option("--momentum", o->train.momentum, "SGD momentum")->capture_default_str();
  c->add_option("--penalty", o->penalty,
                "none|l2|l1|rtilde|r: λ‖θ‖², λ‖θ‖₁, λ·R̃ (THEORY §2) or λ·R (certified, THEORY §3)")
      ->transform(penalty_choices())
      ->default_str(complexity::to_string(o->penalty));
  c->add_option("--lambda", o->lambda, "Penalty weight λ");
  c->add_flag(
      "--prox", o->prox,
      "Proximal soft-threshold steps (exact zeros): plain ℓ1, or re-weighted ℓ1 with frozen R̃/R weights");
  c->add_option("--refresh-every", o->refresh_every,
                "With --prox and rtilde|r: steps between weight refreshes")
      ->check(at_least(1))
      ->capture_default_str();
  c->add_option("--lambda-path", o->lambda_path,
                "Train along these λ values with warm starts; writes path.csv/path.json (Pareto front)")
      ->delimiter(',');
  c->add_option("--patience", o->train.patience,
                "Early stopping: epochs without validation improvement (0: off)")
      ->check(at_least(0));
  c->add_option("--seed,-s", o->train.seed, "Seed of initialisation and minibatch order")
      ->capture_default_str();
  c->add_option("--threads,-t", o->train.threads, "CPU threads (0: libtorch default)");
  c->add_option("--device,-d", o->train.device, "cpu|cuda|cuda:N")->capture_default_str();
  c->add_option("--out,-o", o->train.out_dir, "Output directory (model.occam, metrics.jsonl, summary.json)");
  c->add_option("--checkpoint-every", o->train.checkpoint_every, "Epochs between checkpoints")
      ->check(at_least(1))
      ->capture_default_str();
  c->add_flag("!--last", o->train.select_best, "Keep the last epoch instead of the best on validation");
  c->add_flag("--resume", o->train.resume, "Continue a killed run from DIR/checkpoint.pt");
  c->add_flag("--progress,!--no-progress", o->train.progress, "Progress bar on a terminal (default on)");
  c->callback([o, c] {
    // The lock first: a second run on the same --out is refused before it touches flags.json.
    std::optional<directory_lock> lock;
    if (!o->train.out_dir.empty()) lock.emplace(o->train.out_dir);
    if (!o->train.out_dir.empty()) check_and_record_flags(o->train.out_dir, *c, o->train.resume);
    o->init.seed = o->train.seed;
    run_train(*o);
    if (!o->train.out_dir.empty()) mark_flags_finished(o->train.out_dir);
  });
}

const command reg{"20-train", setup};

}  // namespace
}  // namespace occam::cli
