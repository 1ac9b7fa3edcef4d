#pragma once
// An exclusive lock on an output directory, so that two runs writing into the same --out cannot interleave
// their files: the second is refused with an input_error naming the directory and the first run's pid.
// The lock is flock(2) on DIR/.occam.lock; the kernel releases it when its holder exits, killed or not, so a
// crashed run never leaves a stale lock behind. Within one process the lock is shared: a second
// directory_lock on a directory this process already holds (the CLI around the library call that also
// locks it) succeeds, and the flock is released with the last one.
#include <filesystem>
#include <string>

namespace occam {

class directory_lock {
 public:
  /// Creates `dir` if needed and takes its lock; throws input_error when another process holds it.
  explicit directory_lock(const std::filesystem::path& dir);
  ~directory_lock();
  directory_lock(const directory_lock&) = delete;
  directory_lock& operator=(const directory_lock&) = delete;

 private:
  std::string key_;
};

}  // namespace occam
