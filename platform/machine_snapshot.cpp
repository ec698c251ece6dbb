#include "machine_snapshot.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "common/log.h"
#include "common/state_io.h"

namespace trainvp {

namespace {

// DRAM is stored in pages; pages that are all zero or wholly rebuilt by the resumed run are left out.
constexpr uint32_t kPageBytes = 4096;
constexpr uint32_t kRamStateVersion = 1;
constexpr unsigned kCsrMip = 0x344;
constexpr uint32_t kMachineIrqBits = (1u << 3) | (1u << 7) | (1u << 11);  // MSIP, MTIP, MEIP

bool all_zero(const uint8_t* p, size_t n) {
    uint64_t acc = 0;
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        acc |= w;
    }
    for (; n; --n) acc |= *p++;
    return acc == 0;
}

// For every page: false when the host has never backed it, so it still holds calloc's zeros. Reading such
// pages to find out would map them (a page fault each, most of the time of a save); mincore() tells without
// touching them. Where mincore() is not available every page counts as touched.
std::vector<bool> touched_pages(const uint8_t* data, uint64_t size) {
    std::vector<bool> touched(size / kPageBytes, true);
    const long host_page = ::sysconf(_SC_PAGESIZE);
    if (host_page <= 0) return touched;
    const uintptr_t begin = reinterpret_cast<uintptr_t>(data) & ~(static_cast<uintptr_t>(host_page) - 1);
    const uintptr_t end = reinterpret_cast<uintptr_t>(data) + size;
    std::vector<unsigned char> resident((end - begin + host_page - 1) / host_page);
    if (::mincore(reinterpret_cast<void*>(begin), end - begin, resident.data()) != 0) return touched;
    for (uint64_t p = 0; p < touched.size(); ++p) {
        const uintptr_t first = reinterpret_cast<uintptr_t>(data) + p * kPageBytes;
        const uintptr_t last = first + kPageBytes - 1;
        bool any = false;
        for (uintptr_t h = (first - begin) / host_page; h <= (last - begin) / host_page; ++h)
            any = any || (resident[h] & 1);
        touched[p] = any;
    }
    return touched;
}

// For every page: true when it lies wholly inside one of the ranges.
std::vector<bool> rebuilt_pages(uint64_t ram_size, const std::vector<RamRange>& ranges) {
    std::vector<bool> pages(ram_size / kPageBytes, false);
    for (const RamRange& r : ranges) {
        const uint64_t first = (r.offset + kPageBytes - 1) / kPageBytes;
        const uint64_t end = std::min<uint64_t>((r.offset + r.length) / kPageBytes, pages.size());
        for (uint64_t p = first; p < end; ++p) pages[p] = true;
    }
    return pages;
}

template <typename Model>
void save_section(Checkpoint& ck, const std::string& name, const Model& m) {
    StateWriter w(ck.slot(name));
    m.save_state(w);
}

template <typename Model>
void restored(Model& m, const Checkpoint& ck, const std::string& name, const std::string& path) {
    StateReader r(ck.section(name, path), path + ": section '" + name + "'");
    m.restore_state(r);
    r.expect_end();
}

void save_ram(std::vector<uint8_t>& out, const Memory& ram, const std::vector<RamRange>& rebuilt) {
    StateWriter w(out);
    w.u32(kRamStateVersion);
    w.u64(ram.size());
    w.u32(kPageBytes);
    w.u64(rebuilt.size());
    for (const RamRange& r : rebuilt) {
        w.u64(r.offset);
        w.u64(r.length);
    }
    w.u64(ram_ranges_hash(ram, rebuilt));
    const std::vector<bool> skip = rebuilt_pages(ram.size(), rebuilt);
    const std::vector<bool> touched = touched_pages(ram.data(), ram.size());
    std::vector<uint32_t> pages;
    for (uint32_t p = 0; p < skip.size(); ++p)
        if (!skip[p] && touched[p] && !all_zero(ram.data() + uint64_t{p} * kPageBytes, kPageBytes))
            pages.push_back(p);
    w.reserve(8 + pages.size() * (4 + kPageBytes));
    w.u64(pages.size());
    for (uint32_t p : pages) {
        w.u32(p);
        w.bytes(ram.data() + uint64_t{p} * kPageBytes, kPageBytes);
    }
}

void restore_ram(Memory& ram, const std::vector<RamRange>& rebuilt, const Checkpoint& ck,
                 const std::string& path) {
    StateReader r(ck.section("ram", path), path + ": section 'ram'");
    if (r.u32() != kRamStateVersion) r.fail("DRAM image of another layout");
    const uint64_t size = r.u64();
    if (size != ram.size())
        throw UserError(path + ": DRAM of " + std::to_string(size) + " bytes saved, this platform has " +
                        std::to_string(ram.size()));
    if (r.u32() != kPageBytes) r.fail("DRAM pages of another size");
    const size_t ranges = r.count(16);
    bool same_ranges = ranges == rebuilt.size();
    for (size_t i = 0; i < ranges; ++i) {
        const uint64_t offset = r.u64(), length = r.u64();
        same_ranges = same_ranges && rebuilt[i].offset == offset && rebuilt[i].length == length;
    }
    if (!same_ranges) throw UserError(path + ": the datasets lie elsewhere in DRAM than in this run");
    if (r.u64() != ram_ranges_hash(ram, rebuilt))
        throw UserError(path + ": the datasets in DRAM differ from the ones saved");

    const std::vector<bool> keep = rebuilt_pages(ram.size(), rebuilt);
    std::vector<bool> stored(keep.size(), false);
    const size_t count = r.count(4 + kPageBytes);
    std::vector<std::pair<uint32_t, const uint8_t*>> pages;
    pages.reserve(count);
    for (size_t i = 0; i < count; ++i) {
        const uint32_t p = r.u32();
        if (p >= stored.size()) r.fail("page " + std::to_string(p) + " lies outside DRAM");
        stored[p] = true;
        pages.emplace_back(p, r.view(kPageBytes));
    }
    r.expect_end();
    // A page neither stored nor rebuilt was all zero when saved.
    uint8_t* base = ram.data();
    const std::vector<bool> touched = touched_pages(base, ram.size());
    for (size_t p = 0; p < keep.size(); ++p) {
        uint8_t* page = base + uint64_t{p} * kPageBytes;
        if (!stored[p] && !keep[p] && touched[p] && !all_zero(page, kPageBytes))
            std::memset(page, 0, kPageBytes);
    }
    for (const auto& [p, data] : pages) std::memcpy(base + uint64_t{p} * kPageBytes, data, kPageBytes);
}

}  // namespace

bool platform_quiescent(const Platform& soc, std::string& why) {
    if (!soc.accel.quiescent(why)) return false;
    uint32_t mip = 0;
    soc.cpu.core().read_csr(kCsrMip, mip);
    if (mip & kMachineIrqBits) {
        why = "an interrupt is pending at the CPU (mip " + hex32(mip) + ")";
        return false;
    }
    if (sc_core::sc_pending_activity_at_current_time()) {
        why = "SystemC activity is pending at the current time";
        return false;
    }
    if (sc_core::sc_pending_activity_at_future_time()) {
        why = "SystemC activity is scheduled at " +
              (sc_core::sc_time_stamp() + sc_core::sc_time_to_pending_activity()).to_string();
        return false;
    }
    return true;
}

uint64_t ram_ranges_hash(const Memory& ram, const std::vector<RamRange>& ranges) {
    Hash64 h;
    for (const RamRange& r : ranges) h.update(ram.data() + r.offset, r.length);
    return h.digest();
}

void save_platform(const Platform& soc, const std::vector<RamRange>& rebuilt, Checkpoint& ck) {
    save_section(ck, "cpu", soc.cpu);
    save_ram(ck.slot("ram"), soc.ram, rebuilt);
    save_section(ck, "clint", soc.clint);
    save_section(ck, "plic", soc.plic);
    save_section(ck, "uart", soc.uart0);
    save_section(ck, "simctrl", soc.simctrl);
    save_section(ck, "accel", soc.accel);
}

void restore_platform(Platform& soc, const std::vector<RamRange>& rebuilt, const Checkpoint& ck,
                      const std::string& path) {
    restore_ram(soc.ram, rebuilt, ck, path);
    restored(soc.clint, ck, "clint", path);
    restored(soc.plic, ck, "plic", path);
    restored(soc.uart0, ck, "uart", path);
    restored(soc.simctrl, ck, "simctrl", path);
    restored(soc.accel, ck, "accel", path);
    restored(soc.cpu, ck, "cpu", path);
}

}  // namespace trainvp
