// λ paths with warm starts: an upper estimate of the ResNet norm ‖f‖_{R,ε} as a Pareto front (THEORY §3).
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "occam/complexity/path.hpp"

#include "occam/complexity/certified_r.hpp"
#include "occam/complexity/rtilde.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::complexity {

void mark_pareto(std::vector<path_point>& points) {
  for (auto& p : points) {
    p.pareto = true;
    for (const auto& q : points) {
      const bool le =
          q.val_error <= p.val_error && q.rtilde <= p.rtilde && q.r <= p.r && q.nonzero <= p.nonzero;
      const bool lt = q.val_error < p.val_error || q.rtilde < p.rtilde || q.r < p.r || q.nonzero < p.nonzero;
      if (le && lt) {
        p.pareto = false;
        break;
      }
    }
  }
}

std::string path_csv(const std::vector<path_point>& points) {
  std::ostringstream out;
  out.precision(10);
  out << "lambda,val_loss,val_error,rtilde,r,nonzero,pareto\n";
  for (const auto& p : points)
    out << p.lambda << ',' << p.val_loss << ',' << p.val_error << ',' << p.rtilde << ',' << p.r << ','
        << p.nonzero << ',' << (p.pareto ? 1 : 0) << '\n';
  return out.str();
}

std::string path_json(const std::vector<path_point>& points) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& p : points)
    j.push_back({{"lambda", p.lambda},
                 {"val_loss", p.val_loss},
                 {"val_error", p.val_error},
                 {"rtilde", p.rtilde},
                 {"r", p.r},
                 {"nonzero", p.nonzero},
                 {"pareto", p.pareto}});
  return j.dump(2) + "\n";
}

std::vector<path_point> lambda_path(nn::resnet& m, const data::dataset& train, const data::dataset& valid,
                                    const nn::train_params& tp, const path_params& pp) {
  if (pp.lambdas.empty()) throw input_error("lambda path: no λ values given");
  if (pp.penalty == penalty_kind::none)
    throw input_error("lambda path: needs a penalty (l1, l2, rtilde or r)");
  const data::dataset& measure_set = valid.n > 0 ? valid : train;
  const auto x_measure = nn::inputs_tensor(measure_set);
  std::vector<path_point> points;
  for (std::size_t i = 0; i < pp.lambdas.size(); ++i) {
    const double lambda = pp.lambdas[i];
    const auto pen = make_penalty(pp.penalty, lambda, pp.proximal, m.input_box, pp.penalty_options);
    nn::train_params p = tp;
    p.penalty = pen.get();
    p.out_dir.clear();  // warm starts in memory; each λ's model is saved below
    p.resume = false;
    nn::train(m, train, valid, p);  // m is warm: it starts from the previous λ's model
    path_point pt;
    pt.lambda = lambda;
    auto ev = nn::evaluate(m, measure_set);
    pt.val_loss = ev.loss;
    pt.val_error = ev.accuracy >= 0 ? 1.0 - ev.accuracy : std::sqrt(ev.mse);
    pt.rtilde = rtilde(m, x_measure);
    pt.r = certified_r(m, m.input_box);
    pt.nonzero = m.nonzero_count();
    points.push_back(pt);
    mark_pareto(points);
    if (!pp.out_dir.empty()) {
      const std::filesystem::path dir(pp.out_dir);
      nn::save_model(m, (dir / ("model_" + std::to_string(i) + ".occam")).string());
      write_file_atomic(dir / "path.csv", path_csv(points));
      write_file_atomic(dir / "path.json", path_json(points));
    }
  }
  return points;
}

}  // namespace occam::complexity
