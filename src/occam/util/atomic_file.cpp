#include "occam/util/atomic_file.hpp"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "occam/util/error.hpp"

namespace occam {
namespace fs = std::filesystem;

namespace {
void fsync_path(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}
}  // namespace

void write_file_atomic(const fs::path& path, const std::function<void(std::ostream&)>& fill, bool binary) {
  std::error_code ec;
  fs::path parent = path.parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, binary ? std::ios::binary | std::ios::trunc : std::ios::trunc);
    if (!out) throw input_error(path.string(), 0, std::string("cannot write: ") + std::strerror(errno));
    fill(out);
    out.flush();
    if (!out) {
      fs::remove(tmp, ec);
      throw input_error(path.string(), 0, "write failed (disk full?)");
    }
  }
  fsync_path(tmp);
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw input_error(path.string(), 0, "cannot rename temporary file into place");
  }
}

void write_file_atomic(const fs::path& path, std::string_view content) {
  write_file_atomic(
      path, [&](std::ostream& o) { o.write(content.data(), std::streamsize(content.size())); }, true);
}

void append_line(const fs::path& path, std::string_view line) {
  std::error_code ec;
  if (!path.parent_path().empty()) fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::app);
  if (!out) throw input_error(path.string(), 0, "cannot append");
  out << line << '\n';
  out.flush();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path.string(), 0, std::string("cannot open: ") + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void remove_tree(const std::filesystem::path& path) noexcept {
  nftw(
      path.c_str(), [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); }, 16,
      FTW_DEPTH | FTW_PHYS);
}

}  // namespace occam
