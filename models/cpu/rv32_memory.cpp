// Decode cache, DMI regions and bus paths of Rv32Core.
#include <algorithm>
#include <cstring>

#include "cpu/rv32_core.h"

namespace trainvp {

using rv32::Op;

uint32_t amo_compute(AmoOp op, uint32_t old_value, uint32_t operand) {
    const auto s_old = static_cast<int32_t>(old_value), s_op = static_cast<int32_t>(operand);
    switch (op) {
        case AmoOp::swap:
            return operand;
        case AmoOp::add:
            return old_value + operand;
        case AmoOp::xor_:
            return old_value ^ operand;
        case AmoOp::and_:
            return old_value & operand;
        case AmoOp::or_:
            return old_value | operand;
        case AmoOp::min:
            return s_old < s_op ? old_value : operand;
        case AmoOp::max:
            return s_old > s_op ? old_value : operand;
        case AmoOp::minu:
            return std::min(old_value, operand);
        case AmoOp::maxu:
            return std::max(old_value, operand);
    }
    return operand;
}

bool CoreBus::fetch(uint32_t addr, uint16_t& parcel) {
    uint32_t v = 0;
    if (!load(addr, 2, v)) return false;
    parcel = static_cast<uint16_t>(v);
    return true;
}

bool CoreBus::amo(uint32_t addr, AmoOp op, uint32_t operand, uint32_t& old_value) {
    if (!load(addr, 4, old_value)) return false;
    return store(addr, 4, amo_compute(op, old_value, operand));
}

// ---------------------------------------------------------------------------------------------
// Decode cache

void Rv32Core::invalidate_decode_cache() {
    for (CacheEntry& e : icache_) e.tag_pc = kInvalidTag;
    code_lo_ = UINT32_MAX;
    code_hi_ = 0;
}

void Rv32Core::code_store_check(uint32_t addr, unsigned size) {
    // A cached instruction starting up to 2 bytes before the store overlaps it.
    const uint32_t first = (addr & ~1u) - 2, last = addr + size - 1;
    for (uint32_t p = first; p != (last & ~1u) + 2; p += 2) {
        CacheEntry& e = icache_[(p >> 1) & (kDecodeCacheEntries - 1)];
        if (e.tag_pc == p) e.tag_pc = kInvalidTag;
    }
}

bool Rv32Core::fetch_parcel(uint32_t addr, uint16_t& parcel) {
    for (unsigned i = 0; i < fast_read_count_; ++i) {
        const FastRegion& r = fast_read_[i];
        const uint32_t off = addr - r.base;
        if (static_cast<int64_t>(off) <= r.limit[1]) {
            std::memcpy(&parcel, r.host + off, 2);
            return true;
        }
    }
    return bus_.fetch(addr, parcel);
}

uint32_t Rv32Core::raw_bits(uint32_t pc) {
    uint16_t lo = 0, hi = 0;
    if (!fetch_parcel(pc, lo)) return 0;
    if (rv32::is_compressed(lo)) return lo;
    if (!fetch_parcel(pc + 2, hi)) return 0;
    return lo | (uint32_t{hi} << 16);
}

bool Rv32Core::refill(uint32_t pc, CacheEntry& e, uint32_t& fault_addr) {
    uint16_t lo = 0, hi = 0;
    if (!fetch_parcel(pc, lo)) {
        fault_addr = pc;
        return false;
    }
    uint32_t bits = lo;
    if (!rv32::is_compressed(bits)) {
        if (!fetch_parcel(pc + 2, hi)) {
            fault_addr = pc + 2;
            return false;
        }
        bits |= uint32_t{hi} << 16;
    }
    const rv32::DecodedInsn d = rv32::decode(bits);
    e.tag_pc = pc;
    e.op = d.op;
    e.rd = d.rd == 0 ? kSink : d.rd;
    e.rs1 = d.rs1;
    e.rs2 = d.rs2;
    e.length = d.length;
    e.imm = d.op == Op::illegal ? static_cast<int32_t>(d.bits) : d.imm;
    code_lo_ = std::min(code_lo_, pc);
    code_hi_ = std::max(code_hi_, pc + d.length);
    return true;
}

// ---------------------------------------------------------------------------------------------
// Memory

bool Rv32Core::add_dmi_region(const DmiRegion& region) {
    if (region.host == nullptr || region.end < region.base || region.end - region.base < 3) return true;
    unsigned kept = 0;
    for (unsigned i = 0; i < dmi_count_; ++i)
        if (dmi_[i].end < region.base || dmi_[i].base > region.end) dmi_[kept++] = dmi_[i];
    dmi_count_ = kept;
    if (dmi_count_ == kMaxDmiRegions) {
        rebuild_fast_regions();
        return false;
    }
    dmi_[dmi_count_++] = region;
    rebuild_fast_regions();
    // Put the new region first: it is what the runner was just asked to access.
    auto promote = [](FastRegion* list, unsigned count, uint32_t base) {
        for (unsigned i = 1; i < count; ++i)
            if (list[i].base == base) std::swap(list[0], list[i]);
    };
    promote(fast_read_, fast_read_count_, region.base);
    promote(fast_write_, fast_write_count_, region.base);
    return true;
}

void Rv32Core::invalidate_dmi(uint32_t start, uint32_t end) {
    unsigned kept = 0;
    for (unsigned i = 0; i < dmi_count_; ++i)
        if (dmi_[i].end < start || dmi_[i].base > end) dmi_[kept++] = dmi_[i];
    dmi_count_ = kept;
    rebuild_fast_regions();
    invalidate_decode_cache();
}

void Rv32Core::rebuild_fast_regions() {
    const FastRegion empty{nullptr, 0, {-1, -1, -1}};
    std::fill(std::begin(fast_read_), std::end(fast_read_), empty);
    std::fill(std::begin(fast_write_), std::end(fast_write_), empty);
    fast_read_count_ = fast_write_count_ = 0;
    // Each watch range splits at most one piece in two, so a region list never outgrows kMaxFastRegions.
    struct Piece {
        uint32_t lo, hi;
    };
    std::vector<Piece> pieces;
    auto add = [&](const DmiRegion& d, bool write, FastRegion* list, unsigned& count) {
        pieces.assign(1, Piece{d.base, d.end});
        for (const WatchRange& w : watches_) {
            const bool relevant =
                write ? (static_cast<unsigned>(w.kind) & static_cast<unsigned>(WatchKind::write))
                      : (static_cast<unsigned>(w.kind) & static_cast<unsigned>(WatchKind::read));
            if (!relevant) continue;
            std::vector<Piece> cut;
            for (const Piece& p : pieces) {
                if (w.hi < p.lo || w.lo > p.hi) {
                    cut.push_back(p);
                    continue;
                }
                if (w.lo > p.lo) cut.push_back({p.lo, w.lo - 1});
                if (w.hi < p.hi) cut.push_back({w.hi + 1, p.hi});
            }
            pieces.swap(cut);
        }
        for (const Piece& p : pieces) {
            if (count == kMaxFastRegions)
                return;  // unreachable by construction; the rest stays on the slow path
            const int64_t span = int64_t{p.hi} - int64_t{p.lo};
            list[count++] = FastRegion{d.host + (p.lo - d.base), p.lo, {span, span - 1, span - 3}};
        }
    };
    for (unsigned i = 0; i < dmi_count_; ++i) {
        const DmiRegion& d = dmi_[i];
        if (d.readable) add(d, false, fast_read_, fast_read_count_);
        if (d.writable) add(d, true, fast_write_, fast_write_count_);
    }
}

bool Rv32Core::load_slow(uint32_t addr, unsigned size, uint32_t& value) {
    const unsigned l = log2_size(size);
    for (unsigned i = 0; i < fast_read_count_; ++i) {
        const uint32_t off = addr - fast_read_[i].base;
        if (static_cast<int64_t>(off) <= fast_read_[i].limit[l]) {
            std::swap(fast_read_[0], fast_read_[i]);
            value = 0;
            std::memcpy(&value, fast_read_[0].host + off, size);
            return true;
        }
    }
    if (watch_active_) return load_watched(addr, size, value);
    return bus_.load(addr, size, value);
}

bool Rv32Core::store_slow(uint32_t addr, unsigned size, uint32_t value) {
    const unsigned l = log2_size(size);
    bool ok = false;
    bool direct = false;
    for (unsigned i = 0; i < fast_write_count_; ++i) {
        const uint32_t off = addr - fast_write_[i].base;
        if (static_cast<int64_t>(off) <= fast_write_[i].limit[l]) {
            std::swap(fast_write_[0], fast_write_[i]);
            std::memcpy(fast_write_[0].host + off, &value, size);
            ok = direct = true;
            break;
        }
    }
    if (!direct) {
        if (watch_active_) return store_watched(addr, size, value);
        ok = bus_.store(addr, size, value);
    }
    if (ok && addr < code_hi_ && addr + (size - 1) >= code_lo_) code_store_check(addr, size);
    return ok;
}

bool Rv32Core::amo_access(uint32_t addr, AmoOp op, uint32_t operand, uint32_t& old_value) {
    for (unsigned i = 0; i < fast_write_count_; ++i) {
        const FastRegion& w = fast_write_[i];
        const uint32_t off = addr - w.base;
        if (static_cast<int64_t>(off) > w.limit[2]) continue;
        for (unsigned j = 0; j < fast_read_count_; ++j) {
            // The same host bytes must also be directly readable (watch ranges split the two lists
            // differently).
            const FastRegion& r = fast_read_[j];
            const uint32_t roff = addr - r.base;
            if (static_cast<int64_t>(roff) > r.limit[2] || r.host + roff != w.host + off) continue;
            std::memcpy(&old_value, w.host + off, 4);
            const uint32_t v = amo_compute(op, old_value, operand);
            std::memcpy(w.host + off, &v, 4);
            if (addr < code_hi_ && addr + 3 >= code_lo_) code_store_check(addr, 4);
            return true;
        }
    }
    if (watch_active_) return amo_watched(addr, op, operand, old_value);
    if (!bus_.amo(addr, op, operand, old_value)) return false;
    if (addr < code_hi_ && addr + 3 >= code_lo_) code_store_check(addr, 4);
    return true;
}

// ---------------------------------------------------------------------------------------------
// Watch ranges

uint8_t* Rv32Core::dmi_host(uint32_t addr, unsigned size, bool write) const {
    for (unsigned i = 0; i < dmi_count_; ++i) {
        const DmiRegion& d = dmi_[i];
        if (addr < d.base || addr - d.base > d.end - d.base - (size - 1) ||
            !(write ? d.writable : d.readable))
            continue;
        return d.host + (addr - d.base);
    }
    return nullptr;
}

bool Rv32Core::load_watched(uint32_t addr, unsigned size, uint32_t& value) {
    if (debugger_watch_hit(addr, size, false)) return true;
    if (uint8_t* host = dmi_host(addr, size, false)) {
        value = 0;
        std::memcpy(&value, host, size);
        return true;
    }
    return bus_.load(addr, size, value);
}

bool Rv32Core::store_watched(uint32_t addr, unsigned size, uint32_t value) {
    if (debugger_watch_hit(addr, size, true)) return true;
    if (uint8_t* host = dmi_host(addr, size, true))
        std::memcpy(host, &value, size);
    else if (!bus_.store(addr, size, value))
        return false;
    if (addr < code_hi_ && addr + (size - 1) >= code_lo_) code_store_check(addr, size);
    run_store_hooks(addr, size, value);
    return true;
}

bool Rv32Core::amo_watched(uint32_t addr, AmoOp op, uint32_t operand, uint32_t& old_value) {
    if (debugger_watch_hit(addr, 4, true) || debugger_watch_hit(addr, 4, false)) return true;
    uint8_t* r = dmi_host(addr, 4, false);
    uint8_t* w = dmi_host(addr, 4, true);
    uint32_t v = 0;
    if (r != nullptr && r == w) {
        std::memcpy(&old_value, r, 4);
        v = amo_compute(op, old_value, operand);
        std::memcpy(w, &v, 4);
    } else if (bus_.amo(addr, op, operand, old_value)) {
        v = amo_compute(op, old_value, operand);
    } else {
        return false;
    }
    if (addr < code_hi_ && addr + 3 >= code_lo_) code_store_check(addr, 4);
    run_store_hooks(addr, 4, v);
    return true;
}

bool Rv32Core::debugger_watch_hit(uint32_t addr, unsigned size, bool write) {
    const uint32_t last = addr + (size - 1);
    const unsigned access = static_cast<unsigned>(write ? WatchKind::write : WatchKind::read);
    for (const WatchRange& w : watches_) {
        if (w.hook >= 0 || last < w.lo || addr > w.hi || !(static_cast<unsigned>(w.kind) & access)) continue;
        watch_hit_ = WatchHit{std::max(addr, w.lo), size, w.kind, write};
        watch_hit_pending_ = true;
        attention_ = true;
        return true;
    }
    return false;
}

void Rv32Core::run_store_hooks(uint32_t addr, unsigned size, uint32_t value) {
    const uint32_t last = addr + (size - 1);
    for (std::size_t i = 0; i < watches_.size(); ++i) {
        const WatchRange w = watches_[i];  // a hook may add ranges
        if (w.hook >= 0 && last >= w.lo && addr <= w.hi)
            store_hooks_[static_cast<std::size_t>(w.hook)](addr, size, value);
    }
}

bool Rv32Core::add_watchpoint(uint32_t addr, uint32_t len, WatchKind kind) {
    if (len == 0 || watches_.size() >= kMaxWatchRanges) return false;
    const uint32_t hi = len - 1 > UINT32_MAX - addr ? UINT32_MAX : addr + (len - 1);
    watches_.push_back(WatchRange{addr, hi, kind, -1});
    watches_changed();
    return true;
}

bool Rv32Core::remove_watchpoint(uint32_t addr, uint32_t len, WatchKind kind) {
    if (len == 0) return false;
    const uint32_t hi = len - 1 > UINT32_MAX - addr ? UINT32_MAX : addr + (len - 1);
    for (auto it = watches_.begin(); it != watches_.end(); ++it) {
        if (it->hook < 0 && it->lo == addr && it->hi == hi && it->kind == kind) {
            watches_.erase(it);
            watches_changed();
            return true;
        }
    }
    return false;
}

void Rv32Core::clear_watchpoints() {
    watches_.erase(
        std::remove_if(watches_.begin(), watches_.end(), [](const WatchRange& w) { return w.hook < 0; }),
        watches_.end());
    watches_changed();
}

bool Rv32Core::add_store_hook(uint32_t addr, uint32_t len, StoreHook hook) {
    if (len == 0 || !hook || watches_.size() >= kMaxWatchRanges) return false;
    const uint32_t hi = len - 1 > UINT32_MAX - addr ? UINT32_MAX : addr + (len - 1);
    store_hooks_.push_back(std::move(hook));
    watches_.push_back(WatchRange{addr, hi, WatchKind::write, static_cast<int>(store_hooks_.size() - 1)});
    watches_changed();
    return true;
}

void Rv32Core::watches_changed() {
    watch_active_ = !watches_.empty();
    rebuild_fast_regions();
}

}  // namespace trainvp
