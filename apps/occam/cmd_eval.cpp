// occam eval: a saved model on a data set (loss, accuracy, MSE).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli_data.hpp"
#include "command.hpp"
#include "occam/nn/resnet.hpp"
#include "occam/nn/train.hpp"
#include "occam/util/error.hpp"

namespace occam::cli {
namespace {

void setup(CLI::App& app) {
  struct opts {
    std::string model;
    data_options data;
    bool json = false;
    std::string device = "cpu";
  };
  auto o = std::make_shared<opts>();
  auto* c = app.add_subcommand("eval", "Evaluate a model file on a data set");
  c->add_option("model", o->model, "Model file (.occam)")->required();
  o->data.add_to(c, /*with_valid=*/false);
  c->add_flag("--json", o->json, "Print JSON");
  c->add_option("--device,-d", o->device, "cpu|cuda");
  c->callback([o] {
    auto m = nn::load_model(o->model).to(nn::parse_device(o->device));
    auto d = o->data.load();
    if (std::int64_t(d.d_in) != m.shape.d_in || std::int64_t(d.model_outputs()) != m.shape.d_out)
      throw input_error(d.name, 0,
                        fmt::format("data has {} inputs / {} outputs, the model expects {} / {}", d.d_in,
                                    d.model_outputs(), m.shape.d_in, m.shape.d_out));
    if (d.kind != m.kind)
      throw input_error(d.name, 0,
                        fmt::format("data is {}, the model was trained for {}", data::to_string(d.kind),
                                    data::to_string(m.kind)));
    auto r = nn::evaluate(m, d);
    if (o->json) {
      nlohmann::json j = {
          {"model", o->model}, {"data", d.name}, {"n", d.n}, {"loss", r.loss}, {"mse", r.mse}};
      if (r.accuracy >= 0) j["accuracy"] = r.accuracy;
      fmt::print("{}\n", j.dump(2));
    } else {
      fmt::print("{} on {} ({} rows): loss {:.6g}, mse {:.6g}", o->model, d.name, d.n, r.loss, r.mse);
      if (r.accuracy >= 0) fmt::print(", accuracy {:.4f}", r.accuracy);
      fmt::print("\n");
    }
  });
}

const command reg{"25-eval", setup};

}  // namespace
}  // namespace occam::cli
