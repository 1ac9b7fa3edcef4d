#pragma once
// λ paths with warm starts (THEORY §3, the ResNet norm estimate): R̃, R and the error at every λ, and the
// Pareto front.
#include <string>
#include <vector>

#include "occam/complexity/penalty.hpp"
#include "occam/data/dataset.hpp"
#include "occam/nn/resnet.hpp"
#include "occam/nn/train.hpp"

namespace occam::complexity {

struct path_point {
  double lambda = 0;
  double val_loss = 0;
  double val_error = 0;  ///< 1 − accuracy (classification) or RMSE sqrt(mse) (regression)
  double rtilde = 0;     ///< on the validation inputs (train inputs when valid is empty)
  double r = 0;          ///< over m.input_box
  std::int64_t nonzero = 0;
  bool pareto = false;  ///< on the front of (val_error, R̃, R, non-zeros): no other point is ≤ in all four
};

struct path_params {
  penalty_kind penalty = penalty_kind::rtilde;  ///< any but none
  bool proximal = false;
  std::vector<double> lambdas;  ///< in the order trained (warm starts: each starts from the previous model)
  penalty_params penalty_options;
  std::string out_dir;  ///< when set: path.csv, path.json and model_<i>.occam per λ
};

/// Trains m along the λ path (m ends as the last λ's model). train_params.penalty and out_dir are overridden.
std::vector<path_point> lambda_path(nn::resnet& m, const data::dataset& train, const data::dataset& valid,
                                    const nn::train_params& tp, const path_params& pp);
/// Marks the Pareto-optimal points (in place).
void mark_pareto(std::vector<path_point>& points);
std::string path_csv(const std::vector<path_point>& points);
std::string path_json(const std::vector<path_point>& points);

}  // namespace occam::complexity
