// The complexity penalties λ·R̃ and λ·R for nn::train (THEORY §3, "Training with these penalties").
// As with the trainer's l1/l2 penalties, penalty() returns the term added to the loss (λ times the measure)
// and value() the unscaled measure for the logs.
#include <torch/torch.h>

#include "occam/complexity/penalty.hpp"

#include "occam/complexity/certified_r.hpp"
#include "occam/complexity/detail/network.hpp"
#include "occam/complexity/rtilde.hpp"
#include "occam/util/error.hpp"

namespace occam::complexity {
namespace {

class complexity_penalty final : public nn::regulariser {
 public:
  complexity_penalty(bool use_rtilde, double lambda, bool proximal, data::box box, penalty_params ps)
      : rtilde_(use_rtilde), lambda_(lambda), proximal_(proximal), box_(std::move(box)), ps_(ps) {}

  std::string name() const override {
    return std::string(rtilde_ ? "rtilde" : "r") + (proximal_ ? "-prox" : "");
  }

  torch::Tensor penalty(const nn::resnet& m, const torch::Tensor& x_batch) override {
    auto x = rows(x_batch);
    if (proximal_) {
      last_x_ = x.detach();  // the re-weighting needs data; the step itself is in after_step
      return {};
    }
    if (rtilde_) {
      rtilde_params rp;
      rp.differentiable = true;  // the inner derivatives stay in the graph: backward is the double backward
      rp.chunk = x.size(0);
      return rtilde_tensor(m, x, rp) * lambda_;
    }
    return certified_r_terms(m, box_for(m), certificate()).total.to(m.U.scalar_type()) * lambda_;
  }

  void after_step(nn::resnet& m, double lr) override {
    if (!proximal_ || lambda_ == 0) return;
    if (rtilde_ && !last_x_.defined()) return;
    if (!omega_valid_ || steps_ % std::max<std::int64_t>(1, ps_.refresh_every) == 0) {
      // Re-weighting: freeze ω (‖∂_θ f‖ for R̃; the λ, b, h factors for R) for the next refresh_every steps.
      omega_ = rtilde_ ? rtilde_weights(m, last_x_).flat() : certified_r_weights(m, box_for(m)).flat();
      omega_valid_ = true;
    }
    ++steps_;
    torch::NoGradGuard no_grad;
    auto theta = detail::parameters_in_order(m);
    for (std::size_t i = 0; i < theta.size(); ++i) {
      // prox of lr·λ·Σ ω_i|θ_i|: θ ← sign(θ)·max(|θ| − lr·λ·ω, 0), exact zeros below the threshold.
      auto threshold = omega_[i].to(theta[i].device(), theta[i].scalar_type()) * (lr * lambda_);
      theta[i].copy_(theta[i].sign() * torch::relu(theta[i].abs() - threshold));
    }
  }

  double value(const nn::resnet& m, const torch::Tensor& x_sample) override {
    if (rtilde_) return rtilde(m, rows(x_sample));
    return certified_r(m, box_for(m), certificate());
  }

 private:
  /// The exact gradient needs λ in the graph, so the exact-gradient R penalty uses the column certificate
  /// alone (THEORY §3 step 2a: an upper bound on the full certificate, differentiable everywhere the slopes
  /// are fixed); the proximal penalty freezes the full certificate's weights.
  certified_r_params certificate() const {
    certified_r_params cp;
    cp.linf_certificate = proximal_;
    cp.max_boxes = 1;  // refreshed every few steps: one certificate, not one per sub-box
    return cp;
  }

  torch::Tensor rows(const torch::Tensor& x) const {
    if (ps_.max_rows > 0 && x.size(0) > ps_.max_rows) return x.narrow(0, 0, ps_.max_rows);
    return x;
  }
  const data::box& box_for(const nn::resnet& m) const { return box_.dims() > 0 ? box_ : m.input_box; }

  bool rtilde_;
  double lambda_;
  bool proximal_;
  data::box box_;
  penalty_params ps_;
  torch::Tensor last_x_;
  std::vector<torch::Tensor> omega_;
  bool omega_valid_ = false;
  std::int64_t steps_ = 0;
};

}  // namespace

const char* to_string(penalty_kind k) {
  switch (k) {
    case penalty_kind::none:
      return "none";
    case penalty_kind::l1:
      return "l1";
    case penalty_kind::l2:
      return "l2";
    case penalty_kind::rtilde:
      return "rtilde";
    case penalty_kind::r:
      return "r";
  }
  return "?";
}

penalty_kind parse_penalty_kind(const std::string& name) {
  for (auto k :
       {penalty_kind::none, penalty_kind::l1, penalty_kind::l2, penalty_kind::rtilde, penalty_kind::r})
    if (name == to_string(k)) return k;
  throw input_error("penalty: unknown penalty '" + name + "' (expected none, l1, l2, rtilde or r)");
}

std::unique_ptr<nn::regulariser> make_penalty(penalty_kind kind, double lambda, bool proximal,
                                              const data::box& input_box, const penalty_params& ps) {
  if (!(lambda >= 0)) throw input_error("penalty: λ must be ≥ 0 (got " + std::to_string(lambda) + ")");
  if (kind == penalty_kind::none || lambda == 0) return nullptr;
  switch (kind) {
    case penalty_kind::l1:
      return nn::make_l1_penalty(lambda, proximal);
    case penalty_kind::l2:
      return nn::make_l2_penalty(lambda);
    case penalty_kind::rtilde:
    case penalty_kind::r:
      return std::make_unique<complexity_penalty>(kind == penalty_kind::rtilde, lambda, proximal, input_box,
                                                  ps);
    case penalty_kind::none:
      break;
  }
  return nullptr;
}

}  // namespace occam::complexity
