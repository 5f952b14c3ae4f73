// Backs the heap with transparent huge pages (glibc's malloc tunable).
//
// Why: the World lives in memory, and on virtual machines like ours every first touch of a 4 KiB
// page is an expensive fault. Measured with bench/core_bench.cc on 1M events: apply 1.5M -> 10M
// events/s, restart 0.88 s -> 0.54 s. The tunable is read only at process start, so the process
// re-executes itself once with GLIBC_TUNABLES extended. Set NCC_NO_HUGE_PAGES=1 to opt out.
#pragma once

namespace ncc {

// Returns only when the tunable is in effect (or cannot be set); otherwise re-executes.
void EnsureHugePageMalloc(char** argv);

}  // namespace ncc
