#pragma once
// Process-wide heap settings for libtorch's CPU work, measured on the reference convex problem
// (bench/RESULTS.md, "heap tuning": 44.1 → 36.7 s, the same iterates).
//
// glibc's malloc hands large blocks back to the kernel when they are freed (blocks above the dynamic mmap
// threshold, and the top of the heap beyond the trim threshold), so a loop that allocates tensors of tens of
// MB every iteration page-faults on every one of them; under a hypervisor each fault is expensive. A fixed
// 32 MiB mmap threshold (the largest mallopt accepts) and a 1 GiB trim threshold keep such blocks in the
// heap. The cost is resident memory that is not returned to the system until exit.
//
// Called by the CLI and the benchmarks' main(); library users may call it too. OCCAM_NO_PROCESS_TUNING=1
// disables it (for comparisons with untuned runs).
#include <string>

namespace occam {

struct process_tuning_stats {
  bool heap_tuned = false;
  std::string blas_core;  ///< OpenBLAS's core name when the BLAS is OpenBLAS (for benchmark reports), else ""
};

process_tuning_stats tune_process();

}  // namespace occam
