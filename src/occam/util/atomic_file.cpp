#include "occam/util/atomic_file.hpp"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <new>
#include <sstream>
#include <streambuf>
#include <vector>

#include "occam/util/error.hpp"

namespace occam {
namespace fs = std::filesystem;

namespace {

std::string errno_text(int e) {
  std::string s = std::strerror(e);
  if (e == ENOSPC || e == EDQUOT) s += " (disk full?)";
  if (e == EFBIG) s += " (file size limit reached)";
  return s;
}

/// The first line of an exception text (libtorch's c10::Error appends a stack trace), at most 200 bytes.
std::string first_line(const char* what) {
  std::string s = what ? what : "";
  s = s.substr(0, s.find('\n'));
  if (s.size() > 200) s = s.substr(0, 200) + "…";
  return s.empty() ? std::string("unknown error") : s;
}

/// Writes everything to `fd`; returns 0 or the errno of the first failure (a short write that makes no
/// progress counts as ENOSPC).
int write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (w == 0) return ENOSPC;
    p += w;
    n -= std::size_t(w);
  }
  return 0;
}

/// A buffered stream buffer over a file descriptor with a sticky error: after the first failed write it
/// drops the rest of the data but keeps reporting success, so that writers that react to a failing stream
/// with exceptions from destructors (libtorch 1.13's PyTorchStreamWriter terminates the process that way)
/// run to their end; the caller checks error() afterwards.
class fd_buf : public std::streambuf {
 public:
  explicit fd_buf(int fd) : fd_(fd), buf_(std::size_t(1) << 16) {
    setp(buf_.data(), buf_.data() + buf_.size());
  }
  int error() const { return err_; }
  void drain() {
    emit(pbase(), std::size_t(pptr() - pbase()));
    setp(buf_.data(), buf_.data() + buf_.size());
  }

 protected:
  int_type overflow(int_type ch) override {
    drain();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (n > epptr() - pptr()) {
      drain();
      if (std::size_t(n) >= buf_.size()) {
        emit(s, std::size_t(n));
        return n;
      }
    }
    std::memcpy(pptr(), s, std::size_t(n));
    pbump(int(n));
    return n;
  }
  int sync() override {
    drain();
    return 0;
  }

 private:
  void emit(const char* p, std::size_t n) {
    if (err_ == 0 && n > 0) err_ = write_all(fd_, p, n);
  }
  int fd_;
  int err_ = 0;
  std::vector<char> buf_;
};

const char* file_type_name(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

}  // namespace

void check_output_file(const fs::path& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return;  // absent (other problems surface when it is opened)
  if (S_ISREG(st.st_mode)) return;
  throw input_error(
      path.string(), 0,
      std::string("is ") + file_type_name(st.st_mode) + ", not a regular file: refusing to write over it");
}

void create_output_directory(const fs::path& dir) {
  if (dir.empty()) return;
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return;
    throw input_error(dir.string(), 0,
                      std::string("is ") + (S_ISREG(st.st_mode) ? "a file" : file_type_name(st.st_mode)) +
                          ", not a directory: cannot write outputs under it");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw input_error(dir.string(), 0, "cannot create the directory: " + ec.message());
  if (!fs::is_directory(dir, ec)) throw input_error(dir.string(), 0, "cannot create the directory");
}

void write_file_atomic(const fs::path& path, const std::function<void(std::ostream&)>& fill, bool) {
  check_output_file(path);
  create_output_directory(path.parent_path());
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) throw input_error(path.string(), 0, "cannot write: " + errno_text(errno));
  auto discard = [&] {
    ::close(fd);
    ::unlink(tmp.c_str());
  };
  auto fail = [&](const std::string& why) {
    discard();
    throw input_error(path.string(), 0, why);
  };
  int err = 0;
  {
    fd_buf buf(fd);
    std::ostream out(&buf);
    try {
      fill(out);
      out.flush();
      buf.drain();
    } catch (const input_error&) {
      discard();
      throw;
    } catch (const std::bad_alloc&) {
      discard();
      throw;
    } catch (const std::exception& e) {
      // A write error inside a serialiser (libtorch's c10::Error) or one the buffer recorded first.
      fail("cannot write: " + (buf.error() ? errno_text(buf.error()) : first_line(e.what())));
    }
    err = buf.error();
    if (err == 0 && !out) fail("cannot write: the content could not be produced");
  }
  if (err == 0 && ::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) err = errno;
  if (err) fail("cannot write: " + errno_text(err));
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw input_error(path.string(), 0, "cannot write: " + errno_text(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    throw input_error(path.string(), 0, "cannot rename the temporary file into place: " + errno_text(e));
  }
}

void write_file_atomic(const fs::path& path, std::string_view content) {
  write_file_atomic(
      path, [&](std::ostream& o) { o.write(content.data(), std::streamsize(content.size())); }, true);
}

void append_line(const fs::path& path, std::string_view line) {
  check_output_file(path);
  create_output_directory(path.parent_path());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd < 0) throw input_error(path.string(), 0, "cannot append: " + errno_text(errno));
  struct stat st;
  const off_t before = ::fstat(fd, &st) == 0 ? st.st_size : -1;
  std::string text(line);
  text += '\n';
  int err = write_all(fd, text.data(), text.size());
  if (err && before >= 0 && ::ftruncate(fd, before) != 0) {
    // the torn line stays; readers of the log skip a torn last line
  }
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err) throw input_error(path.string(), 0, "cannot append: " + errno_text(err));
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
