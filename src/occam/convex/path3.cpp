// Three-layer path-regularised parallel ReLU networks (THEORY §10): pattern tuples (sampled, enumerated),
// the convex model's outputs and objective, recovery of K parallel sub-networks, and their file format.
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "occam/convex/convex.hpp"
#include "occam/convex/detail/text_model.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::convex {

namespace {

/// Keeps the distinct tuples (signs, D1 columns, D2) of T tuples, first occurrence first.
std::vector<std::int64_t> distinct_tuples(const torch::Tensor& signs, const torch::Tensor& D1,
                                          const torch::Tensor& D2) {
  const auto n = D1.size(0), T = D1.size(1), m = D1.size(2);
  auto key = torch::cat({(signs.to(torch::kCPU) > 0).to(torch::kFloat64).t(),  // m×T
                         D1.to(torch::kCPU, torch::kFloat64).permute({0, 2, 1}).reshape({n * m, T}),
                         D2.to(torch::kCPU, torch::kFloat64)},
                        0);
  return distinct_columns(key);
}

path3_patterns select_tuples(const path3_patterns& p, const std::vector<std::int64_t>& keep) {
  auto idx = torch::tensor(keep, torch::kLong).to(p.D1.device());
  path3_patterns out;
  out.m = p.m;
  out.signs = p.signs.index_select(0, idx).contiguous();
  out.D1 = p.D1.index_select(1, idx).contiguous();
  out.D2 = p.D2.index_select(1, idx).contiguous();
  if (p.gates.defined()) out.gates = p.gates.index_select(1, idx).contiguous();
  return out;
}

}  // namespace

path3_patterns sample_path3_patterns(const torch::Tensor& X, const path3_sample_params& params,
                                     sample_stats* stats) {
  if (X.dim() != 2) throw input_error("sample_path3_patterns: X must be n×d");
  if (params.count <= 0 || params.width <= 0)
    throw input_error("sample_path3_patterns: the tuple count and the width must be positive");
  const auto n = X.size(0), d = X.size(1), T = params.count, m = params.width;
  auto gen = at::detail::createCPUGenerator(params.seed);
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  auto G = at::normal(0.0, 1.0, {d, T, m}, gen, f64);
  auto signs = torch::where(at::normal(0.0, 1.0, {T, m}, gen, f64) >= 0, 1.0, -1.0).to(torch::kFloat64);
  signs.select(1, 0).fill_(1.0);  // s_1 = +1 (see the header)
  // Patterns in float64 on X's device so that the ≥ 0 boundary does not depend on the compute dtype.
  auto Xd = X.to(torch::kFloat64);
  auto Gd = G.to(X.device());
  auto Z1 = Xd.mm(Gd.reshape({d, T * m})).view({n, T, m});
  auto D1 = (Z1 >= 0).to(torch::kFloat64);
  auto h = (D1 * Z1 * signs.to(X.device()).unsqueeze(0)).sum(2);
  auto D2 = (h >= 0).to(torch::kFloat64);
  path3_patterns p;
  p.m = m;
  p.signs = signs.to(X.device(), X.scalar_type());
  p.D1 = D1.to(X.scalar_type());
  p.D2 = D2.to(X.scalar_type());
  p.gates = Gd.to(X.scalar_type());
  auto keep = distinct_tuples(p.signs, p.D1, p.D2);
  if (stats) {
    stats->sampled = T;
    stats->distinct = static_cast<std::int64_t>(keep.size());
  }
  if (static_cast<std::int64_t>(keep.size()) < T) p = select_tuples(p, keep);
  return p;
}

path3_patterns enumerate_path3_patterns(const torch::Tensor& X, std::int64_t width, std::int64_t max_tuples) {
  if (width <= 0) throw input_error("enumerate_path3_patterns: the width must be positive");
  // Every hidden unit v_j of a sub-network lies in the closure of a chamber C of {x_iᵀu = 0}, and then
  // D(v_j) X v_j = D_C X v_j with (2D_C − I) X v_j ≥ 0, so the chamber patterns suffice for D_1 (as for two
  // layers). Given (s, D_1), h = Σ_j s_j D_{1j} X v_j is ≥ 0 on rows where only + terms are active and ≤ 0
  // where only − terms are: there D_2 = 1 resp. 0 gives the largest cone (the other choice forces h_i = 0,
  // with the same output); rows with no active term have h_i = 0 (D_2 = 0, output unchanged); mixed rows take
  // both values.
  auto base = enumerate_patterns(X);
  auto M = base.masks.to(torch::kCPU, torch::kFloat64).contiguous();  // n×P1
  const std::int64_t n = M.size(0), P1 = M.size(1), m = width, options = 2 * P1;
  auto mask = [&](std::int64_t o, std::int64_t i) { return M[i][o % P1].item<double>() > 0.5; };
  std::vector<std::vector<char>> Mb(P1, std::vector<char>(n));
  for (std::int64_t p = 0; p < P1; ++p)
    for (std::int64_t i = 0; i < n; ++i) Mb[p][i] = mask(p, i);
  std::vector<double> sign_v, d1_v, d2_v;  // T×m, T×n×m (later permuted), T×n
  std::int64_t T = 0;
  std::vector<std::int64_t> pick(m, 0);
  while (true) {
    bool any_plus = false;
    for (auto o : pick) any_plus |= o < P1;  // options 0..P1−1: s = +1, P1..2P1−1: s = −1
    if (any_plus) {
      std::vector<int> base_d2(n, 0);
      std::vector<std::int64_t> mixed;
      for (std::int64_t i = 0; i < n; ++i) {
        bool pos = false, neg = false;
        for (auto o : pick)
          if (Mb[o % P1][i]) (o < P1 ? pos : neg) = true;
        if (pos && neg)
          mixed.push_back(i);
        else
          base_d2[i] = pos ? 1 : 0;
      }
      const std::int64_t variants = std::int64_t(1) << mixed.size();
      if (T + variants > max_tuples)
        throw input_error("enumerate_path3_patterns: more than " + std::to_string(max_tuples) +
                          " tuples; sample them instead");
      for (std::int64_t v = 0; v < variants; ++v) {
        auto d2 = base_d2;
        for (std::size_t k = 0; k < mixed.size(); ++k) d2[mixed[k]] = (v >> k) & 1;
        for (auto o : pick) sign_v.push_back(o < P1 ? 1.0 : -1.0);
        for (std::int64_t i = 0; i < n; ++i)
          for (auto o : pick) d1_v.push_back(Mb[o % P1][i] ? 1.0 : 0.0);
        for (std::int64_t i = 0; i < n; ++i) d2_v.push_back(d2[i]);
        ++T;
      }
    }
    // Next multiset (non-decreasing sequence) of m options.
    std::int64_t k = m - 1;
    while (k >= 0 && pick[k] == options - 1) --k;
    if (k < 0) break;
    ++pick[k];
    for (std::int64_t j = k + 1; j < m; ++j) pick[j] = pick[k];
  }
  path3_patterns p;
  p.m = m;
  p.signs = torch::tensor(sign_v, torch::kFloat64).view({T, m});
  p.D1 = torch::tensor(d1_v, torch::kFloat64).view({T, n, m}).permute({1, 0, 2}).contiguous();
  p.D2 = torch::tensor(d2_v, torch::kFloat64).view({T, n}).t().contiguous();
  auto keep = distinct_tuples(p.signs, p.D1, p.D2);
  if (static_cast<std::int64_t>(keep.size()) < T) p = select_tuples(p, keep);
  p.signs = p.signs.to(X.device(), X.scalar_type());
  p.D1 = p.D1.to(X.device(), X.scalar_type());
  p.D2 = p.D2.to(X.device(), X.scalar_type());
  return p;
}

torch::Tensor predict_path3_train(const path3_solution& s, const torch::Tensor& X) {
  torch::NoGradGuard no_grad;
  const auto n = X.size(0), d = X.size(1);
  const auto T = s.patterns.size(), m = s.patterns.m;
  auto D1 = s.patterns.D1.to(X.device(), X.scalar_type()).reshape({n, T * m});
  auto D2 = s.patterns.D2.to(X.device(), X.scalar_type());
  auto sg = s.patterns.signs.to(X.device(), X.scalar_type()).reshape({1, T * m});
  auto Dp = D1 * sg * D2.repeat_interleave(m, 1);
  auto W = s.W.to(X.device(), X.scalar_type());
  const auto c = W.size(3);
  auto p = (X.mm(W.reshape({d, -1})).view({n, T * m, c}) * Dp.unsqueeze(2)).sum(1);
  if (s.Wn.defined()) {
    auto Wn = s.Wn.to(X.device(), X.scalar_type());
    p = p - (X.mm(Wn.reshape({d, -1})).view({n, T * m, c}) * Dp.unsqueeze(2)).sum(1);
  }
  return p;
}

objective_parts path3_objective(const path3_solution& s, const torch::Tensor& X, const torch::Tensor& y_in) {
  torch::NoGradGuard no_grad;
  auto y = y_in.to(X.device(), X.scalar_type());
  if (y.dim() == 1) y = y.unsqueeze(1);
  const auto n = X.size(0), d = X.size(1);
  const auto T = s.patterns.size(), m = s.patterns.m;
  objective_parts o;
  auto p = predict_path3_train(s, X).to(torch::kFloat64);
  auto yd = y.to(torch::kFloat64);
  o.data_loss = s.loss == loss_kind::squared
                    ? 0.5 * (p - yd).square().sum().item<double>() / double(n)
                    : torch::nn::functional::softplus(-yd * p).sum().item<double>() / double(n);
  auto fro = [&](const torch::Tensor& W) {
    return W.to(torch::kFloat64).reshape({d, T, -1}).square().sum(std::vector<int64_t>{0, 2}).sqrt().sum();
  };
  o.penalty = s.lambda * fro(s.W).item<double>();
  if (s.Wn.defined()) {
    o.penalty += s.lambda * fro(s.Wn).item<double>();
    auto D1 = s.patterns.D1.to(X.device(), torch::kFloat64).reshape({n, T * m});
    auto D2 = s.patterns.D2.to(X.device(), torch::kFloat64);
    auto sg = s.patterns.signs.to(X.device(), torch::kFloat64).reshape({1, T * m});
    auto Xd = X.to(torch::kFloat64);
    for (const auto* W : {&s.W, &s.Wn}) {
      auto Z = Xd.mm(W->to(torch::kFloat64).reshape({d, T * m}));
      auto c1 = torch::relu(-(2 * D1 - 1) * Z).max().item<double>();
      auto h = (D1 * sg * Z).view({n, T, m}).sum(2);
      auto c2 = torch::relu(-(2 * D2 - 1) * h).max().item<double>();
      o.violation = std::max({o.violation, c1, c2});
    }
  }
  o.objective = o.data_loss + o.penalty;
  return o;
}

torch::Tensor path3_network::forward(const torch::Tensor& X) const {
  const auto n = X.size(0);
  const auto c = w3.size(1);
  if (size() == 0) return torch::zeros({n, c}, X.options());
  auto W1x = W1.to(X.device(), X.scalar_type());
  const auto K = W1x.size(0), d = W1x.size(1), m = W1x.size(2);
  auto A1 = X.mm(W1x.permute({1, 0, 2}).reshape({d, K * m})).view({n, K, m});
  if (b1.defined()) A1 = A1 + b1.to(X.device(), X.scalar_type()).unsqueeze(0);
  auto H1 = torch::relu(A1);                                                             // n×K×m
  auto H2 = torch::relu((H1 * w2.to(X.device(), X.scalar_type()).unsqueeze(0)).sum(2));  // n×K
  return H2.mm(w3.to(X.device(), X.scalar_type()));
}

double path3_network::path_penalty() const {
  if (size() == 0) return 0;
  auto W = W1.to(torch::kCPU, torch::kFloat64);
  auto a = w2.to(torch::kCPU, torch::kFloat64);
  auto col = W.square().sum(1);  // K×m
  if (b1.defined()) col = col + b1.to(torch::kCPU, torch::kFloat64).square();
  auto inner = (col * a.square()).sum(1).sqrt();                // K
  auto outer = w3.to(torch::kCPU, torch::kFloat64).norm(2, 1);  // K
  return (inner * outer).sum().item<double>();
}

double path3_network::objective(const torch::Tensor& X, const torch::Tensor& y_in, double lambda,
                                loss_kind loss) const {
  torch::NoGradGuard no_grad;
  auto Xd = X.to(torch::kFloat64);
  auto y = y_in.to(X.device(), torch::kFloat64);
  if (y.dim() == 1) y = y.unsqueeze(1);
  auto p = forward(Xd);
  const double n = double(X.size(0));
  double data = loss == loss_kind::squared ? 0.5 * (p - y).square().sum().item<double>() / n
                                           : torch::nn::functional::softplus(-y * p).sum().item<double>() / n;
  return data + lambda * path_penalty();
}

path3_network recover_path3(const path3_solution& s, double zero_tol) {
  torch::NoGradGuard no_grad;
  auto W = s.W.to(torch::kCPU, torch::kFloat64);
  const auto d = W.size(0), T = W.size(1), m = W.size(2), c = W.size(3);
  auto signs = s.patterns.signs.to(torch::kCPU, torch::kFloat64);
  std::vector<torch::Tensor> W1s, w2s, w3s;
  auto norms = W.reshape({d, T, -1}).square().sum(std::vector<int64_t>{0, 2}).sqrt();
  double maxn = norms.numel() ? norms.max().item<double>() : 0.0;
  if (s.Wn.defined()) {
    auto nn2 = s.Wn.to(torch::kFloat64).reshape({d, T, -1}).square().sum(std::vector<int64_t>{0, 2}).sqrt();
    maxn = std::max(maxn, nn2.max().item<double>());
  }
  const double cut = zero_tol * maxn;
  auto add = [&](const torch::Tensor& W4, double sign) {
    for (std::int64_t t = 0; t < T; ++t) {
      auto block = W4.select(1, t).reshape({d * m, c});  // rows (i, j) = W_t[i, j, :]
      if (c == 1) {
        double a = block.norm().item<double>();
        if (!(a > cut) || a == 0) continue;
        // ‖w_3‖ · ‖V‖_F = a^{1/2} · a^{1/2} = ‖W_t‖_F: the path norm equals the group norm (THEORY §10).
        W1s.push_back(block.view({d, m}) / std::sqrt(a));
        w3s.push_back(torch::full({1}, sign * std::sqrt(a), torch::kFloat64));
        w2s.push_back(signs[t].clone());
        continue;
      }
      // Vector outputs: W_t = Σ_r σ_r a_r b_rᵀ; each rank-one term is a sub-network with path norm σ_r.
      auto svd = torch::linalg_svd(block, false);
      auto Us = std::get<0>(svd), S = std::get<1>(svd), Vh = std::get<2>(svd);
      for (std::int64_t r = 0; r < S.size(0); ++r) {
        double sr = S[r].item<double>();
        if (!(sr > cut) || sr == 0) continue;
        W1s.push_back(Us.select(1, r).view({d, m}) * std::sqrt(sr));
        w3s.push_back(Vh[r] * (sign * std::sqrt(sr)));
        w2s.push_back(signs[t].clone());
      }
    }
  };
  add(W, +1);
  if (s.Wn.defined()) add(s.Wn.to(torch::kCPU, torch::kFloat64), -1);
  path3_network net;
  if (W1s.empty()) {
    net.W1 = torch::zeros({0, d, m}, torch::kFloat64);
    net.w2 = torch::zeros({0, m}, torch::kFloat64);
    net.w3 = torch::zeros({0, c}, torch::kFloat64);
  } else {
    net.W1 = torch::stack(W1s, 0);
    net.w2 = torch::stack(w2s, 0);
    net.w3 = torch::stack(w3s, 0);
  }
  return net;
}

void save_path3_network(const path3_network& net, const std::string& path) {
  const auto K = net.size(), d = net.W1.size(1), m = net.W1.size(2), c = net.w3.size(1);
  write_file_atomic(path, [&](std::ostream& os) {
    os << "occam-path3 1\n" << K << ' ' << d << ' ' << m << ' ' << c << '\n';
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
    put(net.W1);
    put(net.b1.defined() ? net.b1 : torch::zeros({K, m}, torch::kFloat64));
    put(net.w2);
    put(net.w3);
  });
}

path3_network load_path3_network(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw input_error(path, 0, "cannot open");
  std::string line;
  if (!std::getline(in, line) || line != "occam-path3 1")
    throw input_error(path, 1, "not an occam path3 network (expected the header 'occam-path3 1')");
  std::int64_t K = -1, d = -1, m = -1, c = -1;
  if (!std::getline(in, line)) throw input_error(path, 2, "missing the shape line 'K d m c'");
  {
    std::istringstream ss(line);
    if (!(ss >> K >> d >> m >> c) || K < 0 || d <= 0 || m <= 0 || c <= 0)
      throw input_error(path, 2, "bad shape line '" + line + "' (expected K d m c)");
  }
  auto read = [&](std::size_t lineno, std::vector<std::int64_t> shape) {
    return detail::read_value_line(in, path, lineno, shape);
  };
  path3_network net;
  net.W1 = read(3, {K, d, m});
  net.b1 = read(4, {K, m});
  net.w2 = read(5, {K, m});
  net.w3 = read(6, {K, c});
  return net;
}

}  // namespace occam::convex
