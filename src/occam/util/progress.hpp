#pragma once
// A one-line progress bar on stderr, drawn only when stderr is a terminal (quiet in logs and CI).
#include <chrono>
#include <cstddef>
#include <string>

namespace occam {

class progress_bar {
 public:
  progress_bar(std::string label, std::size_t total, bool enabled = stderr_is_terminal());
  ~progress_bar();
  /// Sets the position and an optional status text (e.g. "loss 0.123").
  void update(std::size_t done, const std::string& status = {});
  void finish();
  static bool stderr_is_terminal();

 private:
  std::string label_;
  std::size_t total_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace occam
