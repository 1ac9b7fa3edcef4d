#pragma once
// The --resume guard of `occam fit` and `occam train`: the resolved flags of a run (every option's given
// value, or its default) are stored in OUT/flags.json with their flag hash (occam/sweep/flag_hash.hpp).
// --resume into a directory whose flags.json differs is refused with the differing flags named, so a stage
// trained with other flags is never silently reused.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <map>
#include <set>
#include <string>

namespace occam::cli {

/// Options that do not change what a run computes (where it writes, how it reports, the thread count).
struct resume_guard_params {
  std::set<std::string> ignored = {"--resume", "--out", "--progress", "--threads", "--help"};
};

/// Each option of `sub` (by its first long name) with its given values joined by spaces, or its default
/// string when it was not given.
std::map<std::string, std::string> resolved_flags(const CLI::App& sub, const resume_guard_params& p = {});

/// Before the run: with `resume`, throws input_error naming OUT/flags.json when it records other flags (or
/// when OUT holds earlier output but no flags.json). Then writes OUT/flags.json (atomically) for this run.
void check_and_record_flags(const std::filesystem::path& out, const CLI::App& sub, bool resume,
                            const resume_guard_params& p = {});
/// After a run ends without error: marks OUT/flags.json finished. A run without --resume that overwrote
/// output made with other flags records that; until it finishes, --resume into its directory is refused
/// (stages of the older run may still be there).
void mark_flags_finished(const std::filesystem::path& out);

}  // namespace occam::cli
