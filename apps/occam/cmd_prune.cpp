// `occam prune MODEL --budget N | --target-error E --method poisson|magnitude --seed S --data|--task --out
// FILE`: Poisson pruning with water-filling (THEORY §2) or magnitude pruning; the result is a normal model
// file.
#include <fmt/format.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "cli_data.hpp"
#include "command.hpp"
#include "occam/complexity/complexity.hpp"
#include "occam/nn/resnet.hpp"
#include "occam/nn/train.hpp"
#include "occam/util/error.hpp"

namespace occam::cli {
namespace {

struct prune_options {
  std::string model, out, method = "poisson", device = "cpu";
  data_options data;
  double budget = 0, target_error = 0;
  std::uint64_t seed = 1;
  bool json = false;
};

void run(const prune_options& o) {
  if ((o.budget > 0) == (o.target_error > 0))
    throw input_error("prune: give exactly one of --budget N (> 0) and --target-error E (> 0)");
  complexity::prune_params ps;
  if (o.method == "poisson")
    ps.method = complexity::prune_params::method_kind::poisson;
  else if (o.method == "magnitude")
    ps.method = complexity::prune_params::method_kind::magnitude;
  else
    throw input_error("prune: --method must be poisson or magnitude (got '" + o.method + "')");
  ps.budget = o.budget;
  ps.target_error = o.target_error;
  ps.seed = o.seed;
  auto m = nn::load_model(o.model).to(nn::parse_device(o.device));
  auto d = o.data.load();
  if (std::int64_t(d.d_in) != m.shape.d_in)
    throw input_error(d.name, 0,
                      fmt::format("data has {} inputs, the model expects {}", d.d_in, m.shape.d_in));
  auto x = nn::inputs_tensor(d);
  complexity::prune_stats st;
  auto pruned = complexity::prune(m, x, ps, &st);
  nn::save_model(pruned, o.out);
  auto before = nn::evaluate(m, d), after = nn::evaluate(pruned, d);
  if (o.json) {
    nlohmann::json j = {{"model", o.model},
                        {"out", o.out},
                        {"method", o.method},
                        {"seed", o.seed},
                        {"data", d.name},
                        {"parameters", st.parameters},
                        {"nonzero_before", st.nonzero_before},
                        {"budget", st.budget},
                        {"expected_nonzero", st.expected_nonzero},
                        {"nonzero_after", st.nonzero_after},
                        {"kept_exactly", st.kept_exactly},
                        {"rtilde", st.rtilde},
                        {"predicted_error", st.predicted_error},
                        {"predicted_error_waterfill", st.predicted_error_waterfill},
                        {"measured_error", st.measured_error},
                        {"bisection_steps", st.bisection_steps},
                        {"loss_before", before.loss},
                        {"loss_after", after.loss}};
    if (before.accuracy >= 0) {
      j["accuracy_before"] = before.accuracy;
      j["accuracy_after"] = after.accuracy;
    }
    fmt::print("{}\n", j.dump(2));
    return;
  }
  fmt::print("{} pruning of {} on {} ({} rows) -> {}\n", o.method, o.model, d.name, d.n, o.out);
  fmt::print("budget N           {:.6g}{}\n", st.budget,
             o.target_error > 0
                 ? fmt::format("  (bisection, {} steps, target error {})", st.bisection_steps, o.target_error)
                 : "");
  fmt::print("non-zero           {} -> {}  (expected {:.1f}; of {} parameters)\n", st.nonzero_before,
             st.nonzero_after, st.expected_nonzero, st.parameters);
  if (ps.method == complexity::prune_params::method_kind::poisson)
    fmt::print("kept exactly       {}\n", st.kept_exactly);
  fmt::print("R~                 {:.6g}\n", st.rtilde);
  fmt::print("predicted error    {:.6g}  (R~/sqrt(N))", st.predicted_error);
  if (ps.method == complexity::prune_params::method_kind::poisson)
    fmt::print(", {:.6g} with the water-filled p", st.predicted_error_waterfill);
  fmt::print("\nmeasured error     {:.6g}  (||f_pruned - f||_L2 on the data)\n", st.measured_error);
  fmt::print("loss               {:.6g} -> {:.6g}", before.loss, after.loss);
  if (before.accuracy >= 0) fmt::print(",  accuracy {:.4f} -> {:.4f}", before.accuracy, after.accuracy);
  fmt::print("\n");
}

void setup(CLI::App& app) {
  auto o = std::make_shared<prune_options>();
  auto* c = app.add_subcommand("prune",
                               "Poisson (THEORY §2, water-filling) or magnitude pruning to a budget of N "
                               "parameters or to a target error; writes a normal model file");
  c->add_option("model", o->model, "Model file (.occam)")->required();
  o->data.add_to(c, /*with_valid=*/false);
  c->add_option("--budget,-N", o->budget, "Budget N: Σ p_i (poisson) or parameters kept (magnitude)");
  c->add_option("--target-error", o->target_error,
                "Smallest N (bisection) with ||f_pruned - f||_L2(data) <= E");
  c->add_option("--method", o->method, "poisson|magnitude (default poisson)");
  c->add_option("--seed", o->seed, "Seed of the Poisson sample (default 1)");
  c->add_option("--out,-o", o->out, "Pruned model file (.occam)")->required();
  c->add_option("--device,-d", o->device, "cpu|cuda");
  c->add_flag("--json", o->json, "Print JSON");
  c->callback([o] {
    if (!o->data.has_data()) throw input_error("prune: give the data (--data FILE or --task SPEC)");
    run(*o);
  });
}

const command reg{"31-prune", setup};

}  // namespace
}  // namespace occam::cli
