#include "occam/util/process_tuning.hpp"

#include <dlfcn.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace occam {

process_tuning_stats tune_process() {
  process_tuning_stats st;
  using corename_fn = char* (*)();
  if (auto fn = reinterpret_cast<corename_fn>(dlsym(RTLD_DEFAULT, "openblas_get_corename")))
    if (const char* core = fn()) st.blas_core = core;
  const char* off = std::getenv("OCCAM_NO_PROCESS_TUNING");
  if (off && *off && std::strcmp(off, "0") != 0) return st;
  // n×P float32 tensors of the reference problems (10,000 × 500 × 4 B = 20 MB) stay below 32 MiB.
  st.heap_tuned = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
  return st;
}

}  // namespace occam
