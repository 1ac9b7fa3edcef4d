// Input selection on the IWLS 2020 contest functions (docs/select.md, bench/RESULTS.md "Input selection"):
// for each function, select_inputs on the training PLA for each max_inputs, the lookup table over the
// selected inputs built on the training rows, its accuracy on the validation PLA, the selection time, and
// the validation accuracy `occam fit` reached (bench/iwls2020/last_table.md) as the peer.
//
//   bench_select --data DIR --table last_table.md [--max-inputs 8,12,16] [--lookahead 3]
//                [--significance 1] [--information-alpha 0.01] [--min-gain 0.001] [--budget 2e10]
//                [--verbose] ex00 ex01 ...
//
// Prints one markdown table row per function, then the means.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "occam/data/loaders.hpp"
#include "occam/data/select.hpp"
#include "occam/util/error.hpp"

using namespace occam::data;

namespace {

std::vector<std::size_t> parse_list(const std::string& s) {
  std::vector<std::size_t> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoul(item));
  return out;
}

/// function → validation accuracy from bench/iwls2020/last_table.md ("| ex00 | 32 | 0.8373 | ...").
std::map<std::string, double> read_peer(const std::string& path) {
  std::map<std::string, double> peer;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| ex", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '|')) cells.push_back(cell);
    if (cells.size() < 4) continue;
    auto trim = [](std::string s) {
      s.erase(0, s.find_first_not_of(' '));
      s.erase(s.find_last_not_of(' ') + 1);
      return s;
    };
    peer[trim(cells[1])] = std::atof(cells[3].c_str());
  }
  return peer;
}

}  // namespace

int main(int argc, char** argv) try {
  std::string dir = "/work/shared/data/iwls2020", table;
  std::vector<std::size_t> max_inputs = {8, 12, 16};
  select_params base;
  base.progress = false;
  bool verbose = false;
  std::vector<std::string> functions;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw occam::input_error("missing value after " + a);
      return argv[++i];
    };
    if (a == "--data")
      dir = next();
    else if (a == "--table")
      table = next();
    else if (a == "--max-inputs")
      max_inputs = parse_list(next());
    else if (a == "--lookahead")
      base.lookahead = unsigned(std::stoul(next()));
    else if (a == "--significance")
      base.significance = std::stod(next());
    else if (a == "--information-alpha")
      base.information_alpha = std::stod(next());
    else if (a == "--min-gain")
      base.min_gain = std::stod(next());
    else if (a == "--budget")
      base.budget = std::stod(next());
    else if (a == "--verbose")
      verbose = true;
    else
      functions.push_back(a);
  }
  const auto peer = table.empty() ? std::map<std::string, double>{} : read_peer(table);

  std::printf("| function | inputs |");
  for (std::size_t k : max_inputs) std::printf(" acc %zu | sel s %zu |", k, k);
  std::printf(
      " inputs kept (%zu) | LOO (%zu) | unseen (%zu) | acc, size by LOO | fit (last_table) | best − fit "
      "|\n|---|---|",
      max_inputs.back(), max_inputs.back(), max_inputs.back());
  for (std::size_t k = 0; k < max_inputs.size(); ++k) std::printf("---|---|");
  std::printf("---|---|---|---|---|---|\n");
  std::vector<double> sum_acc(max_inputs.size(), 0), sum_sec(max_inputs.size(), 0),
      max_sec(max_inputs.size(), 0);
  double sum_peer = 0, sum_best = 0, sum_chosen = 0;
  std::size_t with_peer = 0;
  for (const std::string& f : functions) {
    dataset train = load_dataset(dir + "/train/" + f + ".train.pla");
    dataset valid = load_dataset(dir + "/validation/" + f + ".valid.pla");
    std::printf("| %s | %zu |", f.c_str(), train.d_in);
    double best = 0, loo = 0, chosen_loo = -1, chosen_acc = 0, unseen = 0;
    std::size_t size = 0;
    for (std::size_t k = 0; k < max_inputs.size(); ++k) {
      select_params p = base;
      p.max_inputs = max_inputs[k];
      select_stats st;
      std::vector<std::size_t> s = select_inputs(train, p, &st);
      lookup_table t = build_lookup_table(train, s);
      double acc = table_accuracy(t, valid);
      unseen = 0;  // validation rows whose cell no training row reached (predicted by the fallback)
      for (std::size_t r = 0; r < valid.n; ++r) unseen += !t.seen(t.cell(valid.row(r)));
      unseen /= double(valid.n);
      std::printf(" %.4f | %.2f |", acc, st.seconds);
      std::fflush(stdout);
      sum_acc[k] += acc;
      sum_sec[k] += st.seconds;
      max_sec[k] = std::max(max_sec[k], st.seconds);
      best = std::max(best, acc);
      size = s.size();
      loo = st.steps.empty() ? st.initial_loo_accuracy : st.steps.back().loo_accuracy;
      if (loo > chosen_loo) chosen_loo = loo, chosen_acc = acc;  // an honest choice: training data only
      if (verbose && k + 1 == max_inputs.size()) {
        std::fprintf(stderr, "%s: initial LOO %.4f, %zu tuples\n", f.c_str(), st.initial_loo_accuracy,
                     st.candidates_evaluated);
        for (const auto& step : st.steps) {
          std::fprintf(stderr, "  +");
          for (std::size_t j : step.inputs) std::fprintf(stderr, " %zu", j);
          std::fprintf(stderr, ": LOO %.4f (%zu tuples, pool %zu)%s\n", step.loo_accuracy, step.candidates,
                       step.pool, step.by_information ? " by information" : "");
        }
      }
    }
    std::printf(" %zu | %.4f | %.3f | %.4f |", size, loo, unseen, chosen_acc);
    sum_chosen += chosen_acc;
    auto it = peer.find(f);
    if (it != peer.end()) {
      std::printf(" %.4f | %+.4f |\n", it->second, best - it->second);
      sum_peer += it->second;
      sum_best += best;
      ++with_peer;
    } else {
      std::printf(" – | – |\n");
    }
    std::fflush(stdout);
  }
  const double n = double(functions.size());
  std::printf("\n**%zu functions.** Mean validation accuracy of the table:", functions.size());
  for (std::size_t k = 0; k < max_inputs.size(); ++k)
    std::printf(" %zu inputs %.4f (selection mean %.2f s, max %.2f s);", max_inputs[k], sum_acc[k] / n,
                sum_sec[k] / n, max_sec[k]);
  std::printf(" size chosen per function by the training LOO score %.4f;", sum_chosen / n);
  if (with_peer)
    std::printf(
        " best size per function (chosen on validation, an upper bound) %.4f vs `occam fit` %.4f on the"
        " same %zu functions.",
        sum_best / double(with_peer), sum_peer / double(with_peer), with_peer);
  std::printf("\n");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_select: %s\n", e.what());
  return 2;
}
