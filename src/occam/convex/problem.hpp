#pragma once
// From a data set to the convex programs' (X, Y) and back from their solutions to models on raw inputs
// (docs/convex.md, "Data and saved models").
//
// prepare_data scales columns and appends the bias column the programs see; the savers undo both, so every
// saved model reads the data file's own columns.
#include <torch/types.h>

#include <cstdint>
#include <string>

#include "occam/convex/convex.hpp"
#include "occam/data/dataset.hpp"
#include "occam/nn/resnet.hpp"

namespace occam::convex {

struct prepare_params {
  loss_kind loss = loss_kind::squared;
  bool scale_columns = false;  ///< divide each column by its Euclidean norm (the reference problem's scaling)
  bool bias = false;           ///< append a constant-1 column
};

/// The programs' view of a data set (float64, CPU).
struct convex_data {
  torch::Tensor X;      ///< n×(d + bias)
  torch::Tensor X_raw;  ///< n×d, the inputs as loaded (what saved models read)
  torch::Tensor Y;      ///< n×c: regression as given; binary and logistic ±1; multiclass one-hot
  torch::Tensor norms;  ///< d column norms with scale_columns (undefined otherwise)
  loss_kind loss = loss_kind::squared;
  bool bias = false;
  data::task_kind kind = data::task_kind::regression;  ///< binary for logistic runs on 0/1 regression targets
  std::int64_t classes = 0;                            ///< multiclass: the class count
};

/// Targets: binary → ±1, multiclass → one-hot (n_classes columns), regression as given. Logistic loss needs
/// one target column whose values are all 0/1 or all ±1 (any kind; the result is then binary), else
/// input_error naming the data set and the first offending row. `norms` (optional) scales with another set's
/// column norms (a validation set prepared like its training set).
convex_data prepare_data(const data::dataset& ds, const prepare_params& params,
                         const torch::Tensor& norms = {});

/// Model outputs through which accuracy is judged: sign for binary, argmax for multiclass.
struct prediction_summary {
  double mse = 0;        ///< mean over rows and outputs of (prediction − target)² (targets as prepared)
  double accuracy = -1;  ///< binary / multiclass only, −1 otherwise
};
prediction_summary summarize_predictions(const torch::Tensor& pred, const convex_data& cd);

/// The recovered two-layer network as a THEORY §1 ResNet on raw inputs: the column scaling is undone and the
/// bias column's weights move into W_1's bias entries. Multiclass data gives a multiclass model (argmax).
nn::resnet raw_resnet(const two_layer_network& net, const convex_data& cd);

/// The recovered path3 network on raw inputs (scaling undone, bias column → b1), in place.
void unscale_path3_network(path3_network& net, const convex_data& cd);

/// The gated two-layer model itself on raw inputs: f(x) = Σ_i 1[gᵢᵀx + bᵢ > 0] (Uᵢᵀx + aᵢ) (≥ 0 with
/// strict = false), one term per non-zero group of the solution.
struct gated_network {
  torch::Tensor G;   ///< P×d gate directions
  torch::Tensor gb;  ///< P gate offsets
  torch::Tensor U;   ///< P×d×c
  torch::Tensor ub;  ///< P×c
  bool strict = true;
  data::task_kind kind = data::task_kind::regression;
  std::int64_t size() const { return G.defined() ? G.size(0) : 0; }
  torch::Tensor forward(const torch::Tensor& X) const;  ///< n×c in float64
};

/// The non-zero groups of a gated solution as a gated_network on raw inputs (needs the solution's gates).
gated_network to_gated_network(const two_layer_solution& s, const convex_data& cd, bool strict_gates);

/// Text format: "occam-gated2 1", "P d c strict kind", then G, gb, U, ub (row-major, %.17g, one tensor per
/// line); load raises input_error naming the file and line on anything else.
void save_gated_network(const gated_network& net, const std::string& path);
gated_network load_gated_network(const std::string& path);

}  // namespace occam::convex
