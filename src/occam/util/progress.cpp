#include "occam/util/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace occam {

bool progress_bar::stderr_is_terminal() {
  return ::isatty(STDERR_FILENO) == 1;
}

progress_bar::progress_bar(std::string label, std::size_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled), start_(std::chrono::steady_clock::now()) {}

progress_bar::~progress_bar() {
  finish();
}

void progress_bar::update(std::size_t done, const std::string& status) {
  if (!enabled_ || finished_) return;
  auto now = std::chrono::steady_clock::now();
  // Redraw at most ~20 times a second, and always at the end.
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(50)) return;
  last_draw_ = now;
  const int width = 30;
  double frac = total_ ? double(done) / double(total_) : 1.0;
  if (frac > 1) frac = 1;
  int filled = int(frac * width);
  double secs = std::chrono::duration<double>(now - start_).count();
  std::string bar(std::size_t(filled), '#');
  bar.append(std::size_t(width - filled), '.');
  std::fprintf(stderr, "\r%s [%s] %zu/%zu %.1fs %s\x1b[K", label_.c_str(), bar.c_str(), done, total_, secs,
               status.c_str());
  std::fflush(stderr);
}

void progress_bar::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  std::fprintf(stderr, "\n");
}

}  // namespace occam
