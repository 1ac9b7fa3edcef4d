#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "occam/util/atomic_file.hpp"
#include "occam/util/dir_lock.hpp"
#include "occam/util/error.hpp"

namespace fs = std::filesystem;

TEST(InputError, FormatsFileAndLine) {
  occam::input_error e("data.csv", 12, "expected 3 columns, found 2");
  EXPECT_STREQ(e.what(), "data.csv:12: expected 3 columns, found 2");
  EXPECT_EQ(e.line(), 12u);
  occam::input_error whole("data.csv", 0, "empty file");
  EXPECT_STREQ(whole.what(), "data.csv: empty file");
}

TEST(AtomicFile, WritesAndReplacesWithoutLeavingTemporaries) {
  fs::path dir = fs::temp_directory_path() / "occam_test_atomic";
  occam::remove_tree(dir);
  fs::path f = dir / "sub" / "out.txt";
  occam::write_file_atomic(f, "first");
  occam::write_file_atomic(f, "second");
  EXPECT_EQ(occam::read_file(f), "second");
  int entries = 0;
  for (auto& e : fs::directory_iterator(f.parent_path())) entries += e.is_regular_file();
  EXPECT_EQ(entries, 1);
  occam::remove_tree(dir);
}

TEST(AtomicFile, MissingFileIsAnInputError) {
  EXPECT_THROW(occam::read_file("/nonexistent/occam/file"), occam::input_error);
}

// ---------------------------------------------------------------------------------------------------------
// Write errors (issue 22, C1 and S2): a full disk, a file-size limit or an exception while the content is
// produced end as an input_error naming the target, with the temporary file removed and an existing target
// left as it was; a target that is not a regular file is refused, never replaced.
namespace {

fs::path fresh_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("occam_test_util_" + name);
  occam::remove_tree(dir);
  fs::create_directories(dir);
  return dir;
}

std::size_t count_entries(const fs::path& dir) {
  std::size_t n = 0;
  for (auto& e : fs::directory_iterator(dir)) n += !e.path().empty();
  return n;
}

/// The message of the input_error `f` throws ("" when it throws nothing).
template <class F>
std::string input_error_of(F&& f) {
  try {
    f();
  } catch (const occam::input_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(AtomicFile, FullDiskIsAnInputErrorAndLeavesNoTemporary) {
  const fs::path dir = fresh_dir("tmpfs");
  if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=16k") != 0)
    GTEST_SKIP() << "cannot mount a 16 KiB tmpfs here (needs root or CAP_SYS_ADMIN): "
                 << std::strerror(errno);
  const fs::path f = dir / "out.bin";
  occam::write_file_atomic(f, "old content");
  const std::string big(256 * 1024, 'x');
  const std::string msg = input_error_of([&] { occam::write_file_atomic(f, big); });
  EXPECT_NE(msg.find(f.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("No space left"), std::string::npos) << msg;
  EXPECT_EQ(occam::read_file(f), "old content");  // the target is untouched
  EXPECT_EQ(count_entries(dir), 1u);              // and no temporary is left
  // A log line that does not fit is an error too, and the log keeps its earlier lines.
  occam::append_line(dir / "log.jsonl", "{\"epoch\":1}");
  const std::string amsg = input_error_of([&] { occam::append_line(dir / "log.jsonl", big); });
  EXPECT_NE(amsg.find("log.jsonl"), std::string::npos) << amsg;
  EXPECT_EQ(occam::read_file(dir / "log.jsonl"), "{\"epoch\":1}\n");
  ::umount(dir.c_str());
  occam::remove_tree(dir);
}

TEST(AtomicFile, ShortWriteUnderAFileSizeLimitIsAnInputError) {
  // RLIMIT_FSIZE makes write() stop short at the limit and then fail with EFBIG (SIGXFSZ ignored), as a
  // full disk does: it exercises the same error path without a mount, even as root.
  const fs::path dir = fresh_dir("fsize");
  const fs::path f = dir / "out.bin";
  occam::write_file_atomic(f, "old content");
  struct rlimit old_limit;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const std::string big(64 * 1024, 'x');
  const std::string msg = input_error_of([&] {
    occam::write_file_atomic(f, [&](std::ostream& o) {
      for (int i = 0; i < 4; ++i) o << big;  // the stream stays usable: the error is reported at the end
    });
  });
  const std::string amsg = input_error_of([&] { occam::append_line(dir / "log.jsonl", big); });
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::signal(SIGXFSZ, old_handler);
  EXPECT_NE(msg.find(f.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("File too large"), std::string::npos) << msg;
  EXPECT_EQ(occam::read_file(f), "old content");
  EXPECT_NE(amsg.find("log.jsonl"), std::string::npos) << amsg;
  EXPECT_EQ(fs::file_size(dir / "log.jsonl"), 0u);  // the torn line was truncated away
  EXPECT_EQ(count_entries(dir), 2u);                // out.bin and log.jsonl: no temporary
  occam::remove_tree(dir);
}

TEST(AtomicFile, AnExceptionWhileWritingRemovesTheTemporary) {
  // libtorch's serialisers report a failed write with c10::Error (a std::exception whose text carries a
  // stack trace): it becomes an input_error with the first line only.
  const fs::path dir = fresh_dir("throw");
  const fs::path f = dir / "model.occam";
  occam::write_file_atomic(f, "old content");
  const std::string msg = input_error_of([&] {
    occam::write_file_atomic(f, [](std::ostream& o) {
      o << "partial";
      throw std::runtime_error("PytorchStreamWriter failed writing file data/0\nframe #0: ...");
    });
  });
  EXPECT_NE(msg.find(f.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("PytorchStreamWriter failed"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("frame #0"), std::string::npos) << msg;
  EXPECT_EQ(occam::read_file(f), "old content");
  EXPECT_EQ(count_entries(dir), 1u);
  occam::remove_tree(dir);
}

TEST(AtomicFile, RefusesTargetsThatAreNotRegularFiles) {
  const fs::path dir = fresh_dir("special");
  // A directory, a FIFO and (where mknod is permitted) a character device like /dev/null (1, 3).
  fs::create_directories(dir / "adir");
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  const bool have_dev = ::mknod((dir / "null").c_str(), S_IFCHR | 0600, makedev(1, 3)) == 0;
  std::vector<std::string> targets = {"adir", "fifo"};
  if (have_dev) targets.push_back("null");
  for (const auto& t : targets) {
    const std::string msg = input_error_of([&] { occam::write_file_atomic(dir / t, "x"); });
    EXPECT_NE(msg.find((dir / t).string()), std::string::npos) << t << ": " << msg;
    EXPECT_NE(msg.find("not a regular file"), std::string::npos) << t << ": " << msg;
    EXPECT_NE(input_error_of([&] { occam::append_line(dir / t, "x"); }), "") << t;
  }
  struct stat st;
  ASSERT_EQ(::stat((dir / "fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  if (have_dev) {
    ASSERT_EQ(::stat((dir / "null").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
  }
  EXPECT_TRUE(fs::is_directory(dir / "adir"));
  // A symbolic link to a regular file is written through (replaced by the new file); one to a device is not.
  occam::write_file_atomic(dir / "real", "a");
  fs::create_symlink(dir / "real", dir / "link");
  occam::write_file_atomic(dir / "link", "b");
  EXPECT_EQ(occam::read_file(dir / "link"), "b");
  fs::create_symlink(dir / "fifo", dir / "fifolink");
  EXPECT_NE(input_error_of([&] { occam::write_file_atomic(dir / "fifolink", "x"); }), "");
  occam::remove_tree(dir);
}

TEST(AtomicFile, OutputDirectoryProblemsNameThePath) {
  const fs::path dir = fresh_dir("outdir");
  occam::write_file_atomic(dir / "afile", "x");
  for (const fs::path& bad : {dir / "afile", dir / "afile" / "sub", fs::path("/proc/occam_no_such_dir/x")}) {
    const std::string msg = input_error_of([&] { occam::create_output_directory(bad); });
    EXPECT_NE(msg.find(bad.string()), std::string::npos) << msg;
    EXPECT_NE(input_error_of([&] { occam::write_file_atomic(bad / "model.occam", "x"); }), "") << bad;
  }
  occam::create_output_directory(dir / "a" / "b");
  EXPECT_TRUE(fs::is_directory(dir / "a" / "b"));
  occam::create_output_directory(dir / "a" / "b");  // existing: fine
  occam::remove_tree(dir);
}

// Two runs on one output directory: while a process holds the lock a second is refused, naming the
// holder's pid; once the holder is killed (no clean-up code runs) the directory can be locked again.
TEST(DirectoryLock, SecondRunIsRefusedAndAKilledHolderReleasesIt) {
  const auto dir = std::filesystem::temp_directory_path() / ("occam_test_lock_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    occam::directory_lock held(dir);
    char c = 1;
    if (::write(ready[1], &c, 1) != 1) ::_exit(1);
    ::pause();
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  try {
    occam::directory_lock second(dir);
    ADD_FAILURE() << "the second lock was granted";
  } catch (const occam::input_error& e) {
    EXPECT_NE(std::string(e.what()).find("in use by another occam run (pid " + std::to_string(child) + ")"),
              std::string::npos)
        << e.what();
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  { occam::directory_lock after(dir); }
  { occam::directory_lock again(dir); }  // released by the destructor as well
  ::close(ready[0]);
  ::close(ready[1]);
  std::filesystem::remove_all(dir);
}
