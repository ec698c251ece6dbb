// Transparent huge pages on request: a large array that is swept from end to end (the simulated DRAM) takes a
// page fault and a TLB entry per 2 MiB instead of per 4 KiB where Linux offers huge pages to those who ask
// (transparent_hugepage = madvise or always). Advice only: it changes no value, and does nothing elsewhere.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace trainvp {

// Advises huge pages for the whole 2 MiB pages inside [p, p + bytes). Call it before the memory is first
// written: pages already backed by small pages stay small until the kernel collapses them.
inline void advise_huge_pages(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    constexpr uintptr_t kHuge = uintptr_t{2} << 20;
    const uintptr_t at = reinterpret_cast<uintptr_t>(p);
    const uintptr_t begin = (at + kHuge - 1) & ~(kHuge - 1), end = (at + bytes) & ~(kHuge - 1);
    if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

}  // namespace trainvp
