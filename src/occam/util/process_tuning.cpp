#include "occam/util/process_tuning.hpp"

#include <dlfcn.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <thread>

namespace occam {
namespace {

/// Whether the command line can start more than one CPU thread: not for no subcommand or a leading option
/// (--help, --version), nor for an explicit `--threads 1` / `-t 1` / `--threads=1`. The re-exec costs one
/// more load of libtorch (≈ 0.6 s here), so it is skipped where passive workers cannot matter.
bool may_use_threads(char** argv) {
  if (!argv[1] || argv[1][0] == '-') return false;
  for (int i = 1; argv[i]; ++i) {
    const bool flag = std::strcmp(argv[i], "--threads") == 0 || std::strcmp(argv[i], "-t") == 0;
    if (flag && argv[i + 1] && std::strcmp(argv[i + 1], "1") == 0) return false;
    if (std::strcmp(argv[i], "--threads=1") == 0) return false;
  }
  return true;
}

}  // namespace

int max_threads() {
  const unsigned hw = std::thread::hardware_concurrency();
  return 4 * int(hw == 0 ? 1 : (hw > 4096 ? 4096 : hw));
}

process_tuning_stats tune_process(char** argv) {
  process_tuning_stats st;
  using corename_fn = char* (*)();
  if (auto fn = reinterpret_cast<corename_fn>(dlsym(RTLD_DEFAULT, "openblas_get_corename")))
    if (const char* core = fn()) st.blas_core = core;
  const char* off = std::getenv("OCCAM_NO_PROCESS_TUNING");
  const bool disabled = off && *off && std::strcmp(off, "0") != 0;
  if (!disabled && argv && argv[0] && may_use_threads(argv) && !std::getenv("OMP_WAIT_POLICY")) {
    // Set before the exec so the new image sees it (and does not exec again).
    if (setenv("OMP_WAIT_POLICY", "PASSIVE", 1) == 0) {
      execv("/proc/self/exe", argv);
      // exec failed (no /proc, say): libgomp keeps its default policy, so do not claim otherwise.
      unsetenv("OMP_WAIT_POLICY");
    }
  }
  if (const char* w = std::getenv("OMP_WAIT_POLICY")) st.omp_wait_policy = w;
  if (disabled) return st;
  // n×P float32 tensors of the reference problems (10,000 × 500 × 4 B = 20 MB) stay below 32 MiB.
  st.heap_tuned = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
  return st;
}

}  // namespace occam
