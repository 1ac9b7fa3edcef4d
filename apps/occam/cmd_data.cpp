// `occam data info`: loads a data set (file or built-in task) and summarises it. Torch-free. docs/data.md.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_data.hpp"
#include "command.hpp"
#include "occam/data/loaders.hpp"
#include "occam/util/error.hpp"

namespace occam::cli {
namespace {

struct data_info_options {
  data_options data;  // the shared --data/--task flags (cli_data.hpp)
  bool json = false;
};

struct column_stats {
  double mean = 0, std = 0, min = 0, max = 0;
};
column_stats stats_of(const std::vector<float>& v, std::size_t stride, std::size_t col, std::size_t n) {
  column_stats s;
  if (n == 0) return s;
  double sum = 0, sq = 0;
  s.min = s.max = v[col];
  for (std::size_t i = 0; i < n; ++i) {
    double x = v[i * stride + col];
    sum += x;
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
  }
  s.mean = sum / double(n);
  for (std::size_t i = 0; i < n; ++i) {
    double x = v[i * stride + col] - s.mean;
    sq += x * x;
  }
  s.std = std::sqrt(sq / double(n));
  return s;
}

void run_info(const data_info_options& o) {
  data::dataset d = o.data.load();

  nlohmann::json j;
  j["name"] = d.name;
  j["kind"] = data::to_string(d.kind);
  j["n"] = d.n;
  j["d_in"] = d.d_in;
  j["d_out"] = d.d_out;
  if (d.kind == data::task_kind::multiclass) j["n_classes"] = d.n_classes;
  j["boolean_inputs"] = d.boolean_inputs;
  float lo_min = d.d_in ? *std::min_element(d.input_box.lo.begin(), d.input_box.lo.end()) : 0.0f;
  float hi_max = d.d_in ? *std::max_element(d.input_box.hi.begin(), d.input_box.hi.end()) : 0.0f;
  bool unit = std::all_of(d.input_box.lo.begin(), d.input_box.lo.end(), [](float v) { return v == 0.0f; }) &&
              std::all_of(d.input_box.hi.begin(), d.input_box.hi.end(), [](float v) { return v == 1.0f; });
  j["box"] = {{"unit_cube", unit},
              {"lo_min", lo_min},
              {"hi_max", hi_max},
              {"lo", d.input_box.lo},
              {"hi", d.input_box.hi}};
  std::string target_summary;
  if (d.kind == data::task_kind::multiclass) {
    std::vector<std::size_t> counts(d.n_classes, 0);
    for (float v : d.y) ++counts[static_cast<std::size_t>(v)];
    j["class_counts"] = counts;
    for (std::size_t c = 0; c < counts.size(); ++c)
      target_summary += fmt::format("{}{}:{}", c ? " " : "", c, counts[c]);
    target_summary = "class counts " + target_summary;
  } else {
    auto& cols = j["targets"] = nlohmann::json::array();
    for (std::size_t c = 0; c < d.d_out; ++c) {
      auto s = stats_of(d.y, d.d_out, c, d.n);
      cols.push_back({{"mean", s.mean}, {"std", s.std}, {"min", s.min}, {"max", s.max}});
      if (c < 8)
        target_summary += d.kind == data::task_kind::binary
                              ? fmt::format("{}output {}: {:.4f} ones", c ? "; " : "", c, s.mean)
                              : fmt::format("{}target {}: mean {:.6g} std {:.6g} [{:.6g}, {:.6g}]",
                                            c ? "; " : "", c, s.mean, s.std, s.min, s.max);
    }
    if (d.d_out > 8) target_summary += fmt::format("; … ({} columns)", d.d_out);
  }
  if (o.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("name      %s\n", d.name.c_str());
  std::printf("kind      %s\n", data::to_string(d.kind));
  std::printf("n         %zu\n", d.n);
  std::printf("d_in      %zu%s\n", d.d_in, d.boolean_inputs ? " (Boolean inputs)" : "");
  if (d.kind == data::task_kind::multiclass)
    std::printf("classes   %zu\n", d.n_classes);
  else
    std::printf("d_out     %zu\n", d.d_out);
  if (unit) {
    std::printf("box       [0,1]^%zu\n", d.d_in);
  } else if (d.d_in <= 8) {
    std::string b;
    for (std::size_t i = 0; i < d.d_in; ++i)
      b += fmt::format("{}[{:.6g}, {:.6g}]", i ? " x " : "", d.input_box.lo[i], d.input_box.hi[i]);
    std::printf("box       %s\n", b.c_str());
  } else {
    std::printf("box       %zu intervals, lo >= %.6g, hi <= %.6g\n", d.d_in, lo_min, hi_max);
  }
  std::printf("targets   %s\n", target_summary.c_str());
}

void setup(CLI::App& app) {
  auto* data =
      app.add_subcommand("data", "Inspect data sets (CSV, NPY, PLA, IWLS truth tables, IDX, built-in tasks)");
  data->require_subcommand(1);
  auto opts = std::make_shared<data_info_options>();
  auto* info =
      data->add_subcommand("info", "Load a data set and print n, dimensions, kind, input box and targets");
  opts->data.add_to(info, /*with_valid=*/false);
  info->add_flag("--json", opts->json, "Print JSON instead of text");
  info->callback([opts] { run_info(*opts); });
}

command reg{"40-data", setup};

}  // namespace
}  // namespace occam::cli
