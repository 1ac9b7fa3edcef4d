#include "occam/util/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "occam/util/error.hpp"

extern char** environ;

namespace occam {

process_result run_process(const std::vector<std::string>& args, const std::filesystem::path& work_dir,
                           const std::filesystem::path& log_path, double timeout_s, const std::string& what,
                           const std::string& install_hint) {
  if (args.empty()) throw input_error("run_process: no program given");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  if (!work_dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, work_dir.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);  // its own process group: a timeout kills it all
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const auto start = std::chrono::steady_clock::now();
  const int rc = posix_spawnp(&pid, args[0].c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc == ENOENT) throw input_error(what + " ('" + args[0] + "') not found on PATH: " + install_hint);
  if (rc != 0) throw input_error("cannot run " + what + " ('" + args[0] + "'): " + std::strerror(rc));
  process_result res;
  auto delay = std::chrono::milliseconds(1);
  for (;;) {
    const pid_t r = waitpid(pid, &res.status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR)
      throw input_error("waiting for " + what + " failed: " + std::strerror(errno));
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (timeout_s > 0 && elapsed > timeout_s) {  // a hung child must not hang occam
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      while (waitpid(pid, &res.status, 0) < 0 && errno == EINTR) {
      }
      throw input_error(what + " did not finish within " + std::to_string(timeout_s) + " s and was stopped");
    }
    std::this_thread::sleep_for(delay);
    if (delay < std::chrono::milliseconds(50)) delay *= 2;
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

}  // namespace occam
