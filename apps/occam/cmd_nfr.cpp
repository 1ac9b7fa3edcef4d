// occam nfr: neural feature repopulation (THEORY §11; docs/nfr.md) — train a mass-weighted MLP, repopulate it
// (re-weight or resample, optionally retraining the output layer), and check convexity along mixtures.
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_data.hpp"
#include "command.hpp"
#include "occam/data/loaders.hpp"
#include "occam/nfr/nfr.hpp"
#include "occam/nn/train.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::cli {
namespace {

using json = nlohmann::json;

/// The data flags of every nfr subcommand: --data FILE | --task SPEC (shared flags) or --fashion-mnist,
/// with a test split.
struct nfr_data_options {
  data_options data;
  bool fashion_mnist = false;
  std::size_t test_rows = 0;
  double test_fraction = 0.2;
  std::uint64_t split_seed = 1;

  void add_to(CLI::App* app) {
    data.add_to(app, false);
    app->add_flag(
        "--fashion-mnist", fashion_mnist,
        "Fashion-MNIST from dataset-fashion-mnist: the training split (first --max-rows rows) and the "
        "official test split (first --test-rows rows)");
    app->add_option("--test-rows", test_rows, "--fashion-mnist: rows of the test split (0: all 10000)");
    app->add_option("--test-fraction", test_fraction, "--data/--task: fraction held out for testing")
        ->check(CLI::Range(0.0, 0.9));
    app->add_option("--split-seed", split_seed, "Seed of the train/test split of --data/--task");
  }
  bool given() const { return fashion_mnist || data.has_data(); }
  data::split load() const {
    if (fashion_mnist && data.has_data())
      throw input_error("give either --fashion-mnist or --data/--task, not both");
    data::split sp;
    if (fashion_mnist) {
      sp.train = data::load_fashion_mnist("train", data.max_rows);
      sp.test = data::load_fashion_mnist("test", test_rows);
      return sp;
    }
    if (!data.has_data()) throw input_error("no data: give --data FILE, --task SPEC or --fashion-mnist");
    return data::split_dataset(data.load(), 0.0, test_fraction, split_seed);
  }
};

struct tensors {
  torch::Tensor x_train, y_train, x_test, y_test;
  data::task_kind kind = data::task_kind::regression;
  std::int64_t d_in = 0, d_out = 0;
  std::string name;
};

tensors to_tensors(const data::split& sp, torch::Device device) {
  tensors t;
  t.kind = sp.train.kind;
  t.d_in = std::int64_t(sp.train.d_in);
  t.d_out = std::int64_t(sp.train.model_outputs());
  t.name = sp.train.name;
  t.x_train = nfr::inputs_tensor(sp.train, device);
  t.y_train = nfr::targets_tensor(sp.train, device);
  if (sp.test.n > 0) {
    t.x_test = nfr::inputs_tensor(sp.test, device);
    t.y_test = nfr::targets_tensor(sp.test, device);
  }
  return t;
}

json eval_json(const nfr::mlp& net, const tensors& t, nfr::penalty_kind pk, double lambda) {
  json j;
  auto one = [&](const torch::Tensor& x, const torch::Tensor& y) {
    auto e = nfr::evaluate(net, x, y, t.kind, pk, lambda);
    json r = {{"loss", e.loss}, {"objective", e.objective}};
    if (e.accuracy >= 0) r["accuracy"] = e.accuracy;
    return r;
  };
  j["train"] = one(t.x_train, t.y_train);
  if (t.x_test.defined()) j["test"] = one(t.x_test, t.y_test);
  return j;
}

json net_json(const nfr::mlp& net) {
  json j;
  j["widths"] = net.widths();
  j["penalty_l12"] = nfr::penalty(net, nfr::penalty_kind::l12).item<double>();
  j["penalty_l2"] = nfr::penalty(net, nfr::penalty_kind::l2).item<double>();
  return j;
}

std::vector<std::int64_t> parse_widths(const std::string& s) {
  std::vector<std::int64_t> w;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      std::size_t used = 0;
      const long long v = std::stoll(item, &used);
      if (used != item.size() || v <= 0) throw std::invalid_argument(item);
      w.push_back(v);
    } catch (const std::exception&) {
      throw input_error("--hidden: '" + s + "' is not a comma-separated list of positive widths");
    }
  }
  if (w.empty()) throw input_error("--hidden: at least one hidden layer is needed");
  return w;
}

// ------------------------------------------------------------------------------------------------------------

struct train_options {
  nfr_data_options data;
  std::string hidden = "256";
  std::string penalty = "l12", optimizer = "adam", device = "cpu", out, metrics;
  double lambda = 0, lr = 1e-2, temperature = 0, gain = 1.0;
  std::int64_t epochs = 20, batch = 128, repopulate_every = 0;
  std::uint64_t seed = 0;
  int threads = 0;
};

void run_train(const train_options& o) {
  if (o.out.empty()) throw input_error("--out FILE is required");
  nn::set_threads(o.threads);
  const auto device = nfr::parse_device(o.device);
  const auto pk = nfr::parse_penalty(o.penalty);
  const auto t = to_tensors(o.data.load(), device);
  nfr::init_params ip;
  ip.seed = o.seed;
  ip.device = o.device;
  ip.gain = o.gain;
  auto net = nfr::make_mlp(t.d_in, parse_widths(o.hidden), t.d_out, ip);
  nfr::train_params tp;
  tp.epochs = o.epochs;
  tp.batch = o.batch;
  tp.lr = o.lr;
  tp.optimizer = nfr::parse_optimizer(o.optimizer);
  tp.penalty = pk;
  tp.lambda = o.lambda;
  tp.temperature = o.temperature;
  tp.seed = o.seed;
  tp.repopulate_every = o.repopulate_every;
  std::string log;
  tp.on_epoch = [&](const nfr::epoch_record& r) {
    log += json{{"epoch", r.epoch},
                {"loss", r.loss},
                {"penalty", r.penalty},
                {"seconds", r.seconds},
                {"repopulated", r.repopulated}}
               .dump() +
           "\n";
  };
  const auto st = nfr::train(net, t.x_train, t.y_train, t.kind, tp);
  nfr::save_mlp(net, o.out);
  if (!o.metrics.empty()) write_file_atomic(o.metrics, log);
  json j = net_json(net);
  j["data"] = t.name;
  j["device"] = o.device;
  j["epochs"] = st.epochs;
  j["seconds"] = st.seconds;
  j["repopulations"] = st.repopulations;
  j["penalty"] = nfr::to_string(pk);
  j["lambda"] = o.lambda;
  j["eval"] = eval_json(net, t, pk, o.lambda);
  j["out"] = o.out;
  fmt::print("{}\n", j.dump(2));
}

// ------------------------------------------------------------------------------------------------------------

struct repopulate_options {
  nfr_data_options data;
  std::string model, out, penalty = "l12", sampling = "repopulation", device = "cpu";
  int sweeps = 1;
  std::int64_t resample = 0, retrain_epochs = 0, batch = 128;
  std::size_t layer = 0;
  double lr = 1e-2, lambda = 0;
  std::uint64_t seed = 0;
};

void run_repopulate(const repopulate_options& o) {
  if (o.out.empty()) throw input_error("--out FILE is required");
  const auto device = nfr::parse_device(o.device);
  const auto pk = nfr::parse_penalty(o.penalty);
  auto net = nfr::load_mlp(o.model).to(device, torch::kFloat32);
  tensors t;
  const bool with_data = o.data.given();
  if (with_data) t = to_tensors(o.data.load(), device);
  if (with_data && (t.d_in != net.d_in() || t.d_out != net.d_out()))
    throw input_error(fmt::format("the data has {} inputs / {} outputs but {} has {} / {}", t.d_in, t.d_out,
                                  o.model, net.d_in(), net.d_out()));
  if (o.retrain_epochs > 0 && !with_data)
    throw input_error("--retrain-epochs needs data (--data/--task/--fashion-mnist)");
  if (o.sampling != "repopulation" && o.sampling != "uniform")
    throw input_error("--sampling: use repopulation or uniform");
  json j;
  j["before"] = net_json(net);
  if (with_data) j["before"]["eval"] = eval_json(net, t, pk, o.lambda);
  nfr::repopulate_params rp;
  rp.penalty = pk;
  rp.sweeps = o.sweeps;
  nfr::repopulate_stats rs;
  nfr::mlp result;
  if (o.resample > 0) {
    const std::size_t layer = o.layer == 0 ? net.depth() : o.layer;
    if (o.sampling == "repopulation") {
      // Importance sampling: re-weight (function unchanged), then draw from the repopulation masses.
      result = nfr::resample_layer(nfr::reweight(net, rp, &rs), layer, o.resample, {}, o.seed);
    } else {
      if (layer < 1 || layer > net.depth())
        throw input_error("--layer must be in 1.." + std::to_string(net.depth()));
      const auto n = std::size_t(net.widths()[layer - 1]);
      result = nfr::resample_layer(net, layer, o.resample, std::vector<double>(n, 1.0 / double(n)), o.seed);
    }
    j["resampled_layer"] = layer;
    j["sampling"] = o.sampling;
  } else {
    result = nfr::reweight(net, rp, &rs);
    j["dropped_units"] = rs.dropped_units;
  }
  if (with_data) j["after_repopulation_eval"] = eval_json(result, t, pk, o.lambda);
  if (o.retrain_epochs > 0) {
    nfr::train_params tp;
    tp.epochs = o.retrain_epochs;
    tp.batch = o.batch;
    tp.lr = o.lr;
    tp.penalty = pk;
    tp.lambda = o.lambda;
    tp.seed = o.seed;
    tp.output_only = true;
    const auto st = nfr::train(result, t.x_train, t.y_train, t.kind, tp);
    j["retrain_seconds"] = st.seconds;
  }
  j["after"] = net_json(result);
  if (with_data) j["after"]["eval"] = eval_json(result, t, pk, o.lambda);
  nfr::save_mlp(result, o.out);
  j["out"] = o.out;
  fmt::print("{}\n", j.dump(2));
}

// ------------------------------------------------------------------------------------------------------------

struct mix_options {
  nfr_data_options data;
  std::string a, b, out, csv, device = "cpu";
  double t = 0.5, lambda = 1e-3;
  int grid = 0;
};

void run_mix(const mix_options& o) {
  const auto device = nfr::parse_device(o.device);
  const auto a = nfr::load_mlp(o.a).to(device, torch::kFloat64),
             b = nfr::load_mlp(o.b).to(device, torch::kFloat64);
  if (!o.out.empty()) nfr::save_mlp(nfr::concatenate(a, b, o.t).to(torch::kCPU, torch::kFloat32), o.out);
  if (o.grid == 0) {
    if (o.out.empty()) throw input_error("nothing to do: give --out FILE and/or --grid K with data");
    fmt::print("wrote {} (t = {})\n", o.out, o.t);
    return;
  }
  if (o.grid < 2) throw input_error("--grid needs at least 2 points");
  if (!o.data.given()) throw input_error("--grid needs data (--data/--task/--fashion-mnist)");
  auto t = to_tensors(o.data.load(), device);
  t.x_train = t.x_train.to(torch::kFloat64);
  if (t.kind != data::task_kind::multiclass) t.y_train = t.y_train.to(torch::kFloat64);
  // Along t: loss, both penalties, both objectives and their chords (the straight line between the ends).
  struct row {
    double t, loss, p12, p2;
  };
  std::vector<row> rows;
  for (int k = 0; k < o.grid; ++k) {
    const double tt = double(k) / double(o.grid - 1);
    const auto m = nfr::concatenate(a, b, tt);
    const auto e = nfr::evaluate(m, t.x_train, t.y_train, t.kind, nfr::penalty_kind::l12, 0);
    rows.push_back({tt, e.loss, nfr::penalty(m, nfr::penalty_kind::l12).item<double>(),
                    nfr::penalty(m, nfr::penalty_kind::l2).item<double>()});
  }
  const row r0 = rows.front(), r1 = rows.back();
  std::string csv = "t,loss,penalty_l12,penalty_l2,objective_l12,chord_l12,objective_l2,chord_l2\n";
  fmt::print("{:>6} {:>12} {:>12} {:>12} {:>13} {:>12} {:>13} {:>12}\n", "t", "loss", "R_l12", "R_l2",
             "obj_l12", "chord_l12", "obj_l2", "chord_l2");
  for (const auto& r : rows) {
    const double o12 = r.loss + o.lambda * r.p12, o2 = r.loss + o.lambda * r.p2;
    const double c12 = (1 - r.t) * (r0.loss + o.lambda * r0.p12) + r.t * (r1.loss + o.lambda * r1.p12);
    const double c2 = (1 - r.t) * (r0.loss + o.lambda * r0.p2) + r.t * (r1.loss + o.lambda * r1.p2);
    fmt::print("{:6.3f} {:12.6g} {:12.6g} {:12.6g} {:13.6g} {:12.6g} {:13.6g} {:12.6g}\n", r.t, r.loss, r.p12,
               r.p2, o12, c12, o2, c2);
    csv += fmt::format("{},{},{},{},{},{},{},{}\n", r.t, r.loss, r.p12, r.p2, o12, c12, o2, c2);
  }
  if (!o.csv.empty()) write_file_atomic(o.csv, csv);
}

// ------------------------------------------------------------------------------------------------------------

void setup(CLI::App& app) {
  auto* nfr_cmd = app.add_subcommand(
      "nfr",
      "Neural feature repopulation (THEORY §11): mass-weighted MLPs, repopulation, convexity along mixtures");
  nfr_cmd->require_subcommand(1);

  auto to = std::make_shared<train_options>();
  auto* tr = nfr_cmd->add_subcommand("train", "Train a mass-weighted (mean-field) MLP and save it");
  to->data.add_to(tr);
  tr->add_option("--hidden", to->hidden, "Hidden widths, comma-separated (e.g. 4096 or 256,256)")
      ->capture_default_str();
  tr->add_option("--penalty", to->penalty, "l12 (THEORY §11) or l2 (mass-weighted mean of squares)")
      ->capture_default_str();
  tr->add_option("--lambda", to->lambda, "Penalty weight λ (objective = loss + λ·penalty)")
      ->capture_default_str();
  tr->add_option("--optimizer", to->optimizer, "adam, sgd or langevin (sgd/langevin use mean-field steps)")
      ->capture_default_str();
  tr->add_option("--lr", to->lr,
                 "Step size (Adam: relative to each layer's weight scale; sgd/langevin: mean-field)")
      ->capture_default_str();
  tr->add_option("--temperature", to->temperature, "Langevin temperature (noise N(0, 2·lr·T) per step)")
      ->capture_default_str();
  tr->add_option("--epochs", to->epochs, "Epochs")->capture_default_str();
  tr->add_option("--batch", to->batch, "Minibatch size")->capture_default_str();
  tr->add_option("--repopulate-every", to->repopulate_every, "Re-weight every K epochs (0: never)")
      ->capture_default_str();
  tr->add_option("--gain", to->gain, "Initial scale of hidden-to-hidden and output weights")
      ->capture_default_str();
  tr->add_option("--seed", to->seed, "Seed of initialisation, minibatches and noise")->capture_default_str();
  tr->add_option("--device", to->device, "cpu, cuda or cuda:N")->capture_default_str();
  tr->add_option("--threads", to->threads, "CPU threads (0: libtorch's default)");
  tr->add_option("--out", to->out, "Network file to write")->required();
  tr->add_option("--metrics", to->metrics, "Per-epoch JSON lines file to write");
  tr->callback([to] { run_train(*to); });

  auto ro = std::make_shared<repopulate_options>();
  auto* rp = nfr_cmd->add_subcommand(
      "repopulate",
      "Re-weight a network to the optimal masses (same function, penalty never larger), or resample "
      "a layer (unbiased) and optionally retrain the output layer");
  rp->add_option("model", ro->model, "Network file")->required();
  rp->add_option("--out", ro->out, "Network file to write")->required();
  rp->add_option("--penalty", ro->penalty, "l12 or l2: the penalty whose masses are optimised")
      ->capture_default_str();
  rp->add_option("--sweeps", ro->sweeps, "Top-down sweeps of re-weighting")->capture_default_str();
  rp->add_option("--resample", ro->resample, "Draw this many units of --layer i.i.d. (0: re-weight only)");
  rp->add_option("--layer", ro->layer, "Hidden layer to resample, 1..L (default: the top one, L)");
  rp->add_option("--sampling", ro->sampling,
                 "repopulation (importance sampling from the optimal masses) or uniform")
      ->capture_default_str();
  rp->add_option("--seed", ro->seed, "Seed of the draw")->capture_default_str();
  rp->add_option("--retrain-epochs", ro->retrain_epochs,
                 "Then train only the output layer for this many epochs");
  rp->add_option("--lr", ro->lr, "Adam step (relative, see train --help) of the output-layer retraining")
      ->capture_default_str();
  rp->add_option("--batch", ro->batch, "Minibatch size of the retraining")->capture_default_str();
  rp->add_option("--lambda", ro->lambda, "Penalty weight during retraining and in the reported objective");
  rp->add_option("--device", ro->device, "cpu, cuda or cuda:N")->capture_default_str();
  ro->data.add_to(rp);
  rp->callback([ro] { run_repopulate(*ro); });

  auto mo = std::make_shared<mix_options>();
  auto* mx = nfr_cmd->add_subcommand(
      "mix",
      "Concatenate two networks with masses (1−t) and t: outputs and ℓ_{1,2} penalties are the mixtures; "
      "--grid prints the objective along t against the chord for l12 and l2");
  mx->add_option("a", mo->a, "First network file (t = 0)")->required();
  mx->add_option("b", mo->b, "Second network file (t = 1)")->required();
  mx->add_option("--t", mo->t, "Mixing weight of the network written with --out")
      ->check(CLI::Range(0.0, 1.0));
  mx->add_option("--out", mo->out, "Write the mixture at --t");
  mx->add_option("--grid", mo->grid, "Evaluate K equally spaced t in [0, 1] on the training data");
  mx->add_option("--lambda", mo->lambda, "Penalty weight λ of the objectives")->capture_default_str();
  mx->add_option("--csv", mo->csv, "Write the --grid table as CSV");
  mx->add_option("--device", mo->device, "cpu, cuda or cuda:N")->capture_default_str();
  mo->data.add_to(mx);
  mx->callback([mo] { run_mix(*mo); });
}

const command reg{"70-nfr", setup};

}  // namespace
}  // namespace occam::cli
