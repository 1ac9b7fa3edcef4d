// Recovery of a two-layer ReLU network from a convex solution (THEORY §10) and its THEORY §1 ResNet form.
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "occam/convex/convex.hpp"
#include "occam/util/error.hpp"

namespace occam::convex {

torch::Tensor two_layer_network::forward(const torch::Tensor& X) const {
  return torch::relu(X.mm(W1.to(X.scalar_type()).t())).mm(W2.to(X.scalar_type()).t());
}

double two_layer_network::objective(const torch::Tensor& X, const torch::Tensor& y_in, double lambda,
                                    loss_kind loss) const {
  torch::NoGradGuard no_grad;
  auto Xd = X.to(torch::kFloat64);
  auto y = y_in.to(torch::kFloat64);
  if (y.dim() == 1) y = y.unsqueeze(1);
  auto p = torch::relu(Xd.mm(W1.to(torch::kFloat64).t())).mm(W2.to(torch::kFloat64).t());
  const double n = double(X.size(0));
  double data = loss == loss_kind::squared ? 0.5 * (p - y).square().sum().item<double>() / n
                                           : torch::nn::functional::softplus(-y * p).sum().item<double>() / n;
  double reg = 0.5 * lambda *
               (W1.to(torch::kFloat64).square().sum() + W2.to(torch::kFloat64).square().sum()).item<double>();
  return data + reg;
}

two_layer_network recover_network(const two_layer_solution& s, double zero_tol) {
  torch::NoGradGuard no_grad;
  auto U = s.U.to(torch::kCPU, torch::kFloat64);
  const auto d = U.size(0), P = U.size(1), c = U.size(2);
  std::vector<torch::Tensor> rows, outs;
  auto add_block = [&](const torch::Tensor& u3, double sign) {  // u3: d×k×c, one neuron per (group, column)
    auto norms = u3.square().sum(0).sqrt();                     // k×c
    const double cut = zero_tol * (norms.numel() ? norms.max().item<double>() : 0.0);
    for (std::int64_t i = 0; i < u3.size(1); ++i)
      for (std::int64_t j = 0; j < c; ++j) {
        double nr = norms[i][j].item<double>();
        if (!(nr > cut) || nr == 0) continue;
        // Weight decay balances the layers: ‖w₁‖ = |w₂| = ‖u‖^{1/2}, so (λ/2)(‖w₁‖² + w₂²) = λ‖u‖ (THEORY
        // §10).
        auto col = u3.select(1, i).select(1, j);
        double root = std::sqrt(nr);
        double out_sign = sign;
        rows.push_back(col / root);
        auto o = torch::zeros({c}, torch::kFloat64);
        o[j] = out_sign * root;
        outs.push_back(o);
      }
  };
  if (s.model == model_kind::relu) {
    add_block(U, +1);
    add_block(s.W.to(torch::kCPU, torch::kFloat64), -1);
  } else {
    // A gated neuron 1[xᵀg > 0] xᵀu becomes σ(xᵀu) (or −σ(−xᵀu) when u points against its gate): exact only
    // where the gate's pattern equals the ReLU pattern of ±u (docs/convex.md).
    if (s.patterns.gates.defined()) {
      auto G = s.patterns.gates.to(torch::kCPU, torch::kFloat64);
      for (std::int64_t i = 0; i < P; ++i) {
        auto u = U.select(1, i);  // d×c
        if (u.abs().max().item<double>() == 0) continue;
        double agree = (u.t().mm(G.select(1, i).unsqueeze(1))).sum().item<double>();
        add_block(agree >= 0 ? u.unsqueeze(1) : -u.unsqueeze(1), agree >= 0 ? +1 : -1);
      }
    } else {
      add_block(U, +1);
    }
  }
  two_layer_network net;
  if (rows.empty()) {
    net.W1 = torch::zeros({0, d}, torch::kFloat64);
    net.W2 = torch::zeros({c, 0}, torch::kFloat64);
  } else {
    net.W1 = torch::stack(rows, 0);
    net.W2 = torch::stack(outs, 1);
  }
  return net;
}

nn::resnet to_resnet(const two_layer_network& net, data::task_kind kind) {
  // THEORY §1 with L = 1: α_0 = (x, 0_c, 1), α_1 = α_0 + [V_1 σ(W_1 α_0); 0], f = U α_1.
  // W_1 = [W1 | 0 | 0] (no bias), V_1 writes W2 into the c padding coordinates, U reads them.
  const auto k = net.W1.size(0), d = net.W1.size(1), c = net.W2.size(0);
  nn::resnet m;
  m.shape.d_in = d;
  m.shape.width = d + c;
  m.shape.hidden = std::max<std::int64_t>(k, 1);
  m.shape.depth = 1;
  m.shape.d_out = c;
  m.kind = kind;
  const auto w = d + c;
  auto W = torch::zeros({m.shape.hidden, w + 1}, torch::kFloat32);
  auto V = torch::zeros({w, m.shape.hidden}, torch::kFloat32);
  if (k > 0) {
    W.narrow(0, 0, k).narrow(1, 0, d).copy_(net.W1);
    V.narrow(0, d, c).narrow(1, 0, k).copy_(net.W2);
  }
  auto Uo = torch::zeros({c, w + 1}, torch::kFloat32);
  Uo.narrow(1, d, c).copy_(torch::eye(c));
  m.W = {W};
  m.V = {V};
  m.U = Uo;
  return m;
}

}  // namespace occam::convex
