// `occam complexity MODEL [--data FILE | --task SPEC] [--json]`: R̃ (on the data), the certified R (over the
// model's input box) with its per-layer terms, and the non-zero count (THEORY §2–3). See docs/complexity.md.
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

struct complexity_options {
  std::string model;
  data_options data;
  bool json = false;
  std::string device = "cpu";
  bool double_precision = false;
};

void run(const complexity_options& o) {
  auto m = nn::load_model(o.model).to(nn::parse_device(o.device),
                                      o.double_precision ? torch::kFloat64 : torch::kFloat32);
  const data::box box = m.input_box;
  torch::Tensor x;
  std::string data_name;
  if (o.data.has_data()) {
    auto d = o.data.load();
    if (std::int64_t(d.d_in) != m.shape.d_in)
      throw input_error(d.name, 0,
                        fmt::format("data has {} inputs, the model expects {}", d.d_in, m.shape.d_in));
    x = nn::inputs_tensor(d);
    data_name = d.name;
  }
  if (box.dims() == 0) throw input_error(o.model, 0, "the model file has no input box");
  const auto L = m.shape.depth;
  auto terms = complexity::certified_r_terms(m, box);
  const double r = terms.total.item<double>();
  complexity::certified_r_params column_only;
  column_only.linf_certificate = false;
  const double r_column = complexity::certified_r(m, box, column_only);
  const auto P = m.shape.parameter_count();
  const auto nnz = m.nonzero_count();
  // R̃ and its per-layer pieces Σ|θ_i|‖∂_i f‖ over W_ℓ, V_ℓ and U.
  double rt = -1, rt_u = 0;
  std::vector<double> rt_w(L, 0.0), rt_v(L, 0.0);
  if (x.defined()) {
    auto w = complexity::rtilde_weights(m, x);
    torch::NoGradGuard ng;
    for (std::int64_t l = 0; l < L; ++l) {
      rt_w[l] = (m.W[l].abs() * w.W[l]).sum().item<double>();
      rt_v[l] = (m.V[l].abs() * w.V[l]).sum().item<double>();
    }
    rt_u = (m.U.abs() * w.U).sum().item<double>();
    rt = rt_u;
    for (std::int64_t l = 0; l < L; ++l) rt += rt_w[l] + rt_v[l];
  }
  if (o.json) {
    nlohmann::json j;
    j["model"] = o.model;
    j["shape"] = {{"d_in", m.shape.d_in},
                  {"width", m.shape.width},
                  {"hidden", m.shape.hidden},
                  {"depth", m.shape.depth},
                  {"d_out", m.shape.d_out}};
    j["parameters"] = P;
    j["nonzero"] = nnz;
    j["r"] = r;
    j["r_column_certificate"] = r_column;
    j["r_linf_wins"] = terms.linf_wins;
    if (x.defined()) {
      j["data"] = data_name;
      j["n"] = x.size(0);
      j["rtilde"] = rt;
      j["rtilde_u"] = rt_u;
    } else {
      j["rtilde"] = nullptr;
    }
    j["r_u_term"] = terms.u_term;
    j["max_b_input"] = terms.max_b[0];
    auto& layers = j["layers"] = nlohmann::json::array();
    for (std::int64_t l = 0; l < L; ++l) {
      nlohmann::json e = {{"layer", l + 1},
                          {"r_v_term", terms.v_term[l]},
                          {"r_w_term", terms.w_term[l]},
                          {"dead_neurons", terms.dead_neurons[l]},
                          {"lipschitz_sum", terms.lipschitz_sum[l]},
                          {"max_b", terms.max_b[l + 1]}};
      if (x.defined()) {
        e["rtilde_w"] = rt_w[l];
        e["rtilde_v"] = rt_v[l];
      }
      layers.push_back(e);
    }
    fmt::print("{}\n", j.dump(2));
    return;
  }
  fmt::print("model      {}  (d_in {}, w {}, k {}, L {}, d_out {})\n", o.model, m.shape.d_in, m.shape.width,
             m.shape.hidden, m.shape.depth, m.shape.d_out);
  fmt::print("parameters {}  non-zero {} ({:.2f}%)\n", P, nnz, P ? 100.0 * double(nnz) / double(P) : 0.0);
  if (x.defined())
    fmt::print("R~         {:.6g}   (THEORY §2, on {} rows of {})\n", rt, x.size(0), data_name);
  else
    fmt::print("R~         -         (give --data or --task to compute it)\n");
  fmt::print(
      "R          {:.6g}   (THEORY §3, certified over the model's input box; column certificate alone "
      "{:.6g})\n",
      r, r_column);
  if (x.defined()) fmt::print("R~/R       {:.4g}\n", rt / r);
  fmt::print("\n{:>5} {:>6} {:>12} {:>10} {:>12} {:>12}", "layer", "dead", "Σλ_ℓ", "max b_ℓ", "R V-term",
             "R W-term");
  if (x.defined()) fmt::print(" {:>12} {:>12}", "R~ V", "R~ W");
  fmt::print("\n");
  for (std::int64_t l = 0; l < L; ++l) {
    fmt::print("{:>5} {:>6} {:>12.5g} {:>10.5g} {:>12.5g} {:>12.5g}", l + 1, terms.dead_neurons[l],
               terms.lipschitz_sum[l], terms.max_b[l + 1], terms.v_term[l], terms.w_term[l]);
    if (x.defined()) fmt::print(" {:>12.5g} {:>12.5g}", rt_v[l], rt_w[l]);
    fmt::print("\n");
  }
  fmt::print("{:>5} {:>6} {:>12} {:>10.5g} {:>12} {:>12.5g}", "U", "", "", terms.max_b[L], "", terms.u_term);
  if (x.defined()) fmt::print(" {:>12} {:>12.5g}", "", rt_u);
  fmt::print("\n");
}

void setup(CLI::App& app) {
  auto o = std::make_shared<complexity_options>();
  auto* c =
      app.add_subcommand("complexity",
                         "R~ (on data), the certified R (over the model's box) with per-layer terms, and the "
                         "non-zero count (THEORY §2-3)");
  c->add_option("model", o->model, "Model file (.occam)")->required();
  o->data.add_to(c, /*with_valid=*/false);
  c->add_flag("--json", o->json, "Print JSON");
  c->add_option("--device,-d", o->device, "cpu|cuda");
  c->add_flag("--double", o->double_precision, "Compute in float64");
  c->callback([o] { run(*o); });
}

const command reg{"30-complexity", setup};

}  // namespace
}  // namespace occam::cli
