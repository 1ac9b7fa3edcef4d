#include "occam/util/dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam {
namespace {

/// The locks this process holds: canonical directory → (lock file descriptor, holders).
struct held_lock {
  int fd = -1;
  int holders = 0;
};
std::mutex held_mutex;
std::map<std::string, held_lock>& held() {
  static std::map<std::string, held_lock> locks;
  return locks;
}

/// Opens and flocks DIR/.occam.lock, returning its descriptor; throws input_error when another process
/// holds it.
int acquire(const std::filesystem::path& dir) {
  const auto path = dir / ".occam.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    throw input_error(path.string(), 0, std::string("cannot create the lock file: ") + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {0};
    const auto got = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    fd = -1;
    if (err == EWOULDBLOCK) {
      std::string pid = got > 0 ? std::string(buf, std::size_t(got)) : std::string("?");
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      throw input_error(dir.string(), 0, "output directory is in use by another occam run (pid " + pid + ")");
    }
    throw input_error(path.string(), 0, std::string("cannot lock: ") + std::strerror(err));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    const auto wrote = ::pwrite(fd, pid.data(), pid.size(), 0);
    (void)wrote;  // the pid is only for the other run's message
  }
  return fd;
}

}  // namespace

directory_lock::directory_lock(const std::filesystem::path& dir) {
  create_output_directory(dir);
  key_ = std::filesystem::weakly_canonical(dir).string();
  std::lock_guard<std::mutex> guard(held_mutex);
  auto& h = held()[key_];
  if (h.holders == 0) {
    try {
      h.fd = acquire(dir);
    } catch (...) {
      held().erase(key_);
      throw;
    }
  }
  ++h.holders;
}

directory_lock::~directory_lock() {
  std::lock_guard<std::mutex> guard(held_mutex);
  auto it = held().find(key_);
  if (it == held().end()) return;
  if (--it->second.holders == 0) {
    ::close(it->second.fd);  // closing releases the flock
    held().erase(it);
  }
}

}  // namespace occam
