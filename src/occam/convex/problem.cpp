#include "occam/convex/problem.hpp"

#include <torch/torch.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "occam/convex/detail/text_model.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::convex {

namespace {

/// The column scale of the programs' inputs (1 for the bias column), length d + bias.
torch::Tensor input_scale(const convex_data& cd, std::int64_t d_program) {
  auto s = cd.norms.defined() ? cd.norms.to(torch::kFloat64)
                              : torch::ones({d_program - (cd.bias ? 1 : 0)}, torch::kFloat64);
  if (cd.bias) s = torch::cat({s, torch::ones({1}, torch::kFloat64)});
  return s;
}

}  // namespace

convex_data prepare_data(const data::dataset& ds, const prepare_params& params, const torch::Tensor& norms) {
  if (ds.n == 0) throw input_error(ds.name, 0, "no rows");
  convex_data cd;
  cd.loss = params.loss;
  cd.bias = params.bias;
  cd.kind = ds.kind;
  cd.classes = ds.kind == data::task_kind::multiclass ? std::int64_t(ds.n_classes) : 0;
  const auto n = std::int64_t(ds.n), d = std::int64_t(ds.d_in), k = std::int64_t(ds.d_out);
  auto X = torch::from_blob(const_cast<float*>(ds.x.data()), {n, d}, torch::kFloat32).to(torch::kFloat64);
  auto Y = torch::from_blob(const_cast<float*>(ds.y.data()), {n, k}, torch::kFloat32).to(torch::kFloat64);
  if (params.loss == loss_kind::logistic) {
    if (ds.kind == data::task_kind::multiclass || k != 1)
      throw input_error(
          ds.name, 0,
          "--loss logistic needs one target column with values 0/1 (or ±1); this data set has " +
              (ds.kind == data::task_kind::multiclass ? std::to_string(ds.n_classes) + " classes"
                                                      : std::to_string(k) + " target columns"));
    const bool zero_one = ((Y == 0) | (Y == 1)).all().item<bool>();
    const bool pm_one = ((Y == -1) | (Y == 1)).all().item<bool>();
    if (!zero_one && !pm_one) {
      auto bad = (((Y != 0) & (Y != 1)).view(-1)).nonzero().view(-1);
      const auto row = bad[0].item<std::int64_t>();
      throw input_error(ds.name, 0,
                        "--loss logistic needs targets 0/1 (or ±1); row " + std::to_string(row + 1) +
                            " has " + std::to_string(Y[row][0].item<double>()));
    }
    if (zero_one) Y = 2 * Y - 1;
    cd.kind = data::task_kind::binary;
  } else if (ds.kind == data::task_kind::binary) {
    Y = 2 * Y - 1;
  } else if (ds.kind == data::task_kind::multiclass) {
    Y = torch::one_hot(Y.select(1, 0).to(torch::kLong), cd.classes).to(torch::kFloat64);
  }
  cd.X_raw = X;
  if (norms.defined()) {
    cd.norms = norms.to(torch::kFloat64);
    X = X / cd.norms;
  } else if (params.scale_columns) {
    cd.norms = X.norm(2, 0);
    cd.norms = torch::where(cd.norms > 0, cd.norms, torch::ones_like(cd.norms));
    X = X / cd.norms;
  }
  if (params.bias) X = torch::cat({X, torch::ones({n, 1}, X.options())}, 1);
  cd.X = X.contiguous();
  cd.Y = Y.contiguous();
  return cd;
}

prediction_summary summarize_predictions(const torch::Tensor& pred_in, const convex_data& cd) {
  auto pred = pred_in.to(torch::kCPU, torch::kFloat64);
  prediction_summary s;
  s.mse = (pred - cd.Y).square().mean().item<double>();
  if (cd.kind == data::task_kind::binary)
    s.accuracy = ((pred > 0) == (cd.Y > 0)).to(torch::kFloat64).mean().item<double>();
  if (cd.kind == data::task_kind::multiclass)
    s.accuracy = (pred.argmax(1) == cd.Y.argmax(1)).to(torch::kFloat64).mean().item<double>();
  return s;
}

nn::resnet raw_resnet(const two_layer_network& net_in, const convex_data& cd) {
  two_layer_network net{net_in.W1.to(torch::kFloat64), net_in.W2.to(torch::kFloat64)};
  net.W1 = net.W1 / input_scale(cd, net.W1.size(1)).unsqueeze(0);
  const auto kind = cd.kind;
  if (!cd.bias) return to_resnet(net, kind);
  // The last program input is the constant 1: its weights become W_1's bias column (THEORY §1).
  const auto d = net.W1.size(1) - 1, k = net.W1.size(0), c = net.W2.size(0);
  two_layer_network core{net.W1.slice(1, 0, d).contiguous(), net.W2};
  nn::resnet model = to_resnet(core, kind);
  if (k > 0) model.W[0].narrow(0, 0, k).select(1, model.shape.width).copy_(net.W1.select(1, d));
  (void)c;
  return model;
}

void unscale_path3_network(path3_network& net, const convex_data& cd) {
  net.W1 = net.W1 / input_scale(cd, net.W1.size(1)).view({1, -1, 1});
  if (cd.bias) {
    const auto d = net.W1.size(1) - 1;
    net.b1 = net.W1.select(1, d).contiguous();
    net.W1 = net.W1.narrow(1, 0, d).contiguous();
  }
}

torch::Tensor gated_network::forward(const torch::Tensor& X_in) const {
  auto X = X_in.to(torch::kFloat64);
  const auto n = X.size(0), c = ub.size(1), P = size();
  if (P == 0) return torch::zeros({n, c}, X.options());
  auto Xd = X.to(G.device());
  auto act = Xd.mm(G.t()) + gb.unsqueeze(0);  // n×P
  auto on = (strict ? act > 0 : act >= 0).to(torch::kFloat64);
  const auto d = G.size(1);
  auto out = Xd.mm(U.permute({1, 0, 2}).reshape({d, P * c})).view({n, P, c}) + ub.unsqueeze(0);
  return (out * on.unsqueeze(2)).sum(1);
}

gated_network to_gated_network(const two_layer_solution& s, const convex_data& cd, bool strict_gates) {
  if (s.model != model_kind::gated_relu || !s.patterns.gates.defined())
    throw input_error("convex: a gated network needs a gated solution with its gates");
  auto U = s.U.to(torch::kCPU, torch::kFloat64);                // d'×P×c
  auto Gm = s.patterns.gates.to(torch::kCPU, torch::kFloat64);  // d'×P
  const auto dp = U.size(0), c = U.size(2);
  auto keep = (U.square().sum(std::vector<int64_t>{0, 2}) > 0).nonzero().view(-1);
  auto scale = input_scale(cd, dp).view({-1, 1});
  auto Gk = Gm.index_select(1, keep) / scale;                  // d'×K
  auto Uk = U.index_select(1, keep) / scale.view({-1, 1, 1});  // d'×K×c
  gated_network net;
  net.strict = strict_gates;
  net.kind = cd.kind;
  const auto d = cd.bias ? dp - 1 : dp;
  net.G = Gk.narrow(0, 0, d).t().contiguous();
  net.U = Uk.narrow(0, 0, d).permute({1, 0, 2}).contiguous();
  const auto K = keep.numel();
  net.gb = cd.bias ? Gk.select(0, d).contiguous() : torch::zeros({K}, torch::kFloat64);
  net.ub = cd.bias ? Uk.select(0, d).contiguous() : torch::zeros({K, c}, torch::kFloat64);
  return net;
}

void save_gated_network(const gated_network& net, const std::string& path) {
  const auto P = net.size(), d = net.G.size(1), c = net.ub.size(1);
  write_file_atomic(path, [&](std::ostream& os) {
    os << "occam-gated2 1\n"
       << P << ' ' << d << ' ' << c << ' ' << (net.strict ? "strict" : "nonstrict") << ' '
       << data::to_string(net.kind) << '\n';
    auto put = [&](const torch::Tensor& t) {
      auto v = t.to(torch::kCPU, torch::kFloat64).contiguous();
      const double* p = v.data_ptr<double>();
      char buf[40];
      for (std::int64_t i = 0; i < v.numel(); ++i) {
        std::snprintf(buf, sizeof buf, "%.17g", p[i]);
        os << (i ? " " : "") << buf;
      }
      os << '\n';
    };
    put(net.G);
    put(net.gb);
    put(net.U);
    put(net.ub);
  });
}

gated_network load_gated_network(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw input_error(path, 0, "cannot open");
  std::string line;
  if (!std::getline(in, line) || line != "occam-gated2 1")
    throw input_error(path, 1, "not an occam gated network (expected the header 'occam-gated2 1')");
  std::int64_t P = -1, d = -1, c = -1;
  std::string strictness, kind;
  if (!std::getline(in, line)) throw input_error(path, 2, "missing the line 'P d c strict|nonstrict kind'");
  {
    std::istringstream ss(line);
    if (!(ss >> P >> d >> c >> strictness >> kind) || P < 0 || d <= 0 || c <= 0 ||
        (strictness != "strict" && strictness != "nonstrict"))
      throw input_error(path, 2, "bad shape line '" + line + "' (expected P d c strict|nonstrict kind)");
  }
  gated_network net;
  net.strict = strictness == "strict";
  if (kind == data::to_string(data::task_kind::regression))
    net.kind = data::task_kind::regression;
  else if (kind == data::to_string(data::task_kind::binary))
    net.kind = data::task_kind::binary;
  else if (kind == data::to_string(data::task_kind::multiclass))
    net.kind = data::task_kind::multiclass;
  else
    throw input_error(path, 2, "unknown task kind '" + kind + "'");
  auto read = [&](std::size_t lineno, std::vector<std::int64_t> shape) {
    return detail::read_value_line(in, path, lineno, shape);
  };
  net.G = read(3, {P, d});
  net.gb = read(4, {P});
  net.U = read(5, {P, d, c});
  net.ub = read(6, {P, c});
  return net;
}

}  // namespace occam::convex
