#include "cli_resume.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "occam/sweep/flag_hash.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::cli {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {
std::string option_key(const CLI::Option& opt) {
  if (!opt.get_lnames().empty()) return "--" + opt.get_lnames().front();
  if (!opt.get_snames().empty()) return "-" + opt.get_snames().front();
  return opt.get_name();
}
}  // namespace

std::map<std::string, std::string> resolved_flags(const CLI::App& sub, const resume_guard_params& p) {
  std::map<std::string, std::string> flags;
  for (const CLI::Option* opt : sub.get_options()) {
    const std::string key = option_key(*opt);
    if (key.empty() || p.ignored.count(key)) continue;
    std::string value;
    if (opt->count() > 0) {
      for (const auto& r : opt->results()) value += (value.empty() ? "" : " ") + r;
    } else {
      value = opt->get_default_str();
    }
    flags[key] = value;
  }
  return flags;
}

void check_and_record_flags(const fs::path& out, const CLI::App& sub, bool resume,
                            const resume_guard_params& p) {
  const auto flags = resolved_flags(sub, p);
  const std::string hash = sweep::flag_hash(flags);
  const fs::path record = out / "flags.json";
  // Earlier output: anything but the lock file that this run itself holds (util/dir_lock.hpp).
  auto holds_output = [&] {
    std::error_code ec;
    if (!fs::is_directory(out, ec)) return false;
    for (const auto& e : fs::directory_iterator(out, ec))
      if (e.path().filename() != ".occam.lock") return true;
    return false;
  };
  // A run without --resume over output made with other flags leaves that output's later stages behind until
  // it finishes: until then, --resume must not trust the directory.
  bool overwrites = false;
  if (!resume && holds_output()) {
    auto old = fs::exists(record) ? json::parse(read_file(record), nullptr, false) : json();
    overwrites = !old.is_object() || old.value("hash", "") != hash ||
                 (old.value("overwrites", false) && !old.value("finished", false));
  }
  if (resume) {
    if (fs::exists(record)) {
      auto old = json::parse(read_file(record), nullptr, false);
      if (old.is_discarded() || !old.contains("hash") || !old.contains("flags"))
        throw input_error(record.string(), 0, "not a flags record written by occam; rerun without --resume");
      if (old["hash"].get<std::string>() != hash) {
        std::string diff;
        for (const auto& [k, v] : flags) {
          const std::string was = old["flags"].contains(k) ? old["flags"][k].get<std::string>() : "(absent)";
          if (was != v) diff += fmt::format("{}{} '{}' (was '{}')", diff.empty() ? "" : ", ", k, v, was);
        }
        throw input_error(record.string(), 0,
                          fmt::format("--resume: this directory was made with other flags: {}; rerun without "
                                      "--resume or choose another --out",
                                      diff.empty() ? "(options differ)" : diff));
      }
      if (old.value("overwrites", false) && !old.value("finished", false))
        throw input_error(
            record.string(), 0,
            "--resume: the interrupted run here overwrote output made with other flags, parts of "
            "which may remain; rerun without --resume");
    } else if (holds_output()) {
      throw input_error(
          record.string(), 0,
          "--resume: the directory holds earlier output but no flags record, so its flags cannot "
          "be checked; rerun without --resume");
    }
  }
  json j;
  j["hash"] = hash;
  j["subcommand"] = sub.get_name();
  j["flags"] = flags;
  j["overwrites"] = overwrites;
  j["finished"] = false;
  write_file_atomic(record, j.dump(2) + "\n");
}

void mark_flags_finished(const fs::path& out) {
  const fs::path record = out / "flags.json";
  auto j = json::parse(read_file(record), nullptr, false);
  if (!j.is_object()) return;
  j["finished"] = true;
  write_file_atomic(record, j.dump(2) + "\n");
}

}  // namespace occam::cli
