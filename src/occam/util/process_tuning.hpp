#pragma once
// Process-wide settings for libtorch's CPU work, measured on the reference convex problem
// (bench/RESULTS.md, "Convex training … heap tuning").
//
// Heap: glibc's malloc hands large blocks back to the kernel when they are freed (blocks above the dynamic
// mmap threshold, and the top of the heap beyond the trim threshold), so a loop that allocates tensors of
// tens of MB every iteration page-faults on every one of them; under a hypervisor each fault is expensive. A
// fixed 32 MiB mmap threshold (the largest mallopt accepts) and a 1 GiB trim threshold keep such blocks in
// the heap (44.1 → 36.7 s, the same iterates). The cost is resident memory not returned until exit.
//
// Threads: libtorch's OpenMP workers spin after each parallel region while Debian's OpenBLAS (pthread
// build) runs a GEMM on its own threads, so with 2 threads on 2 cores the two pools fight over the cores
// (2-thread ReLU ADMM 84.2 s, slower than 1 thread). OMP_WAIT_POLICY=PASSIVE makes the OpenMP workers sleep
// (31.6 s; gated ReLU 30.3 → 25.1 s). libgomp reads it only when it is loaded, before main(), so
// tune_process(argv) sets it and re-executes the program once when the user has not set it (and the command
// line may use more than one thread).
//
// Called by the CLI and the benchmarks' main(); library users may call it too. OCCAM_NO_PROCESS_TUNING=1
// disables both (for comparisons with untuned runs).
#include <string>

namespace occam {

struct process_tuning_stats {
  bool heap_tuned = false;
  std::string blas_core;        ///< OpenBLAS's core name when the BLAS is OpenBLAS (for reports), else ""
  std::string omp_wait_policy;  ///< OMP_WAIT_POLICY in effect ("" = libgomp's default: spin)
};

/// The largest thread count occam accepts (--threads, nn::set_threads): 4 ×
/// std::thread::hardware_concurrency() (at least 4). More threads only thrash: 1000 threads ran 80× slower
/// than one on 2 cores, 10,000 hung.
int max_threads();

/// Heap thresholds; with argv (main's), also OMP_WAIT_POLICY=PASSIVE by re-executing /proc/self/exe once
/// (returns normally when the policy is already set, tuning is disabled, or the exec fails).
process_tuning_stats tune_process(char** argv = nullptr);

}  // namespace occam
