#pragma once
// The value lines of the convex module's text model files (model.path3, model.gated2): one tensor per line,
// its values in C order separated by spaces (private: not part of the module's API).
#include <torch/torch.h>

#include <cstdint>
#include <istream>
#include <sstream>
#include <string>
#include <vector>

#include "occam/util/error.hpp"

namespace occam::convex::detail {

/// Reads the next line of `in` as a float64 tensor of `shape`; throws input_error naming path:lineno when
/// the line is missing, holds something other than numbers, or has another number of values.
inline torch::Tensor read_value_line(std::istream& in, const std::string& path, std::size_t lineno,
                                     const std::vector<std::int64_t>& shape) {
  std::int64_t count = 1;
  for (auto s : shape) count *= s;
  std::string line;
  std::vector<double> v;
  if (!std::getline(in, line) && count > 0) throw input_error(path, lineno, "missing values");
  std::istringstream ss(line);
  double x;
  while (ss >> x) v.push_back(x);
  if (!ss.eof()) throw input_error(path, lineno, "not a number");
  if (static_cast<std::int64_t>(v.size()) != count)
    throw input_error(path, lineno,
                      "expected " + std::to_string(count) + " values, found " + std::to_string(v.size()));
  return torch::tensor(v, torch::kFloat64).view(shape);
}

}  // namespace occam::convex::detail
