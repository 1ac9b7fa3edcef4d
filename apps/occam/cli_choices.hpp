#pragma once
// CLI11 transformers from the names of the library's closed choices to their enums, so that each name is
// spelt once (in the library's to_string) and every subcommand parses it the same way.
#include <CLI/CLI.hpp>

#include <map>
#include <string>

#include "occam/complexity/penalty.hpp"
#include "occam/complexity/prune.hpp"

namespace occam::cli {

inline CLI::CheckedTransformer penalty_choices() {
  using complexity::penalty_kind;
  std::map<std::string, penalty_kind> names;
  for (auto k :
       {penalty_kind::none, penalty_kind::l1, penalty_kind::l2, penalty_kind::rtilde, penalty_kind::r})
    names[complexity::to_string(k)] = k;
  return CLI::CheckedTransformer(names);
}

inline CLI::CheckedTransformer prune_method_choices() {
  using method = complexity::prune_params::method_kind;
  std::map<std::string, method> names;
  for (auto k : {method::poisson, method::magnitude}) names[complexity::to_string(k)] = k;
  return CLI::CheckedTransformer(names);
}

}  // namespace occam::cli
