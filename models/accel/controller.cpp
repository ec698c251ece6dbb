// The Accelerator's command queue: fetches descriptors from the ring in order, decodes and plans them, runs
// the datapath, and accounts time per tile (docs/accelerator.md "Programming model", "Timing").
#include <algorithm>
#include <cmath>
#include <cstring>

#include "accel/accelerator.h"

namespace trainvp {

using namespace accel;

void Accelerator::run_queue() {
    for (;;) {
        while (error_ || !(ctrl_ & ACCEL_CTRL_ENABLE) || ring_size_ == 0 || head_ == tail_) wait(kick_);
        execute_next();
    }
}

bool Accelerator::fetch(uint64_t address, accel_desc& desc, sc_core::sc_time& time) {
    uint8_t raw[ACCEL_DESC_BYTES];
    if (!dma_.read(address, raw, sizeof raw, time)) return false;
    std::memcpy(&desc, raw, sizeof raw);  // the ring holds the little-endian image; hosts are little-endian
    return true;
}

void Accelerator::execute_next() {
    const uint64_t generation = generation_;
    executing_ = true;
    const double start_ns = sc_core::sc_time_stamp().to_seconds() * 1e9;
    const uint64_t desc_addr = ring_base_ + uint64_t{head_} * ACCEL_DESC_BYTES;
    auto fail = [&](sc_core::sc_time elapsed, uint32_t code, uint64_t addr, const std::string& why) {
        wait(elapsed);
        if (generation != generation_) return;
        executing_ = false;
        raise_error(code, addr, why);
    };
    if (ring_base_ % 8)
        return fail(sc_core::SC_ZERO_TIME, ACCEL_ERR_MISALIGNED, ring_base_, "RING_BASE not 8-byte aligned");
    if (desc_addr < config_.dram_base || desc_addr + ACCEL_DESC_BYTES > config_.dram_base + config_.dram_size)
        return fail(sc_core::SC_ZERO_TIME, ACCEL_ERR_ADDR_RANGE, desc_addr,
                    "descriptor outside the DRAM window");
    sc_core::sc_time fetch_time = sc_core::SC_ZERO_TIME;
    accel_desc d;
    if (!fetch(desc_addr, d, fetch_time))
        return fail(fetch_time, ACCEL_ERR_DMA_BUS, dma_.fault_address(),
                    "descriptor fetch failed on the bus");
    DecodedOp op;
    DecodeError err;
    if (!decode_descriptor(d, desc_addr, config_, op, err))
        return fail(fetch_time, err.code, err.address, err.why);
    TilePlan plan;
    std::string why;
    if (!plan_tiles(op, config_, timer_, plan, why))
        return fail(fetch_time, ACCEL_ERR_SHAPE, desc_addr,
                    std::string(opcode_name(d.opcode)) + " of layer " + std::to_string(d.layer_id) + " on " +
                        std::to_string(d.batch) + " samples: " + why);

    const uint64_t rd0 = dma_.counters().read_bytes, wr0 = dma_.counters().write_bytes;
    sc_core::sc_time read_time = sc_core::SC_ZERO_TIME, write_time = sc_core::SC_ZERO_TIME;
    if (!run_datapath(op, read_time, write_time, err))
        return fail(fetch_time + read_time + write_time, err.code, err.address, err.why);
    PhaseStats ps;
    const sc_core::sc_time busy =
        fetch_time + timing(op, plan, read_time, write_time, dma_.counters().read_bytes - rd0,
                            dma_.counters().write_bytes - wr0, ps);
    wait(busy);
    if (generation != generation_) return;  // reset while running: the descriptor is forgotten
    ps.cycles = static_cast<uint64_t>(std::ceil(busy / clock_period_ - 1e-9));
    ps.stalls[static_cast<int>(Stall::dma)] =
        ps.cycles > ps.compute_cycles ? ps.cycles - ps.compute_cycles : 0;
    ps.dram_read_bytes += ACCEL_DESC_BYTES;
    ps.tlm_read_bytes += ACCEL_DESC_BYTES;
    live_.cycles += ps.cycles;
    live_.compute += ps.compute_cycles;
    live_.stall += ps.stall_cycles();
    live_.macs += ps.macs;
    live_.dma_rd += ps.dram_read_bytes;
    live_.dma_wr += ps.dram_write_bytes;
    live_.desc += 1;
    if (log_.enabled(LogLevel::debug))
        log_.debug("descriptor ", head_, " ", opcode_name(d.opcode), " layer ", d.layer_id, ": ", ps.cycles,
                   " cycles, ", ps.macs, " MACs, ", ps.tiles, " tiles (", plan.split, ")");
    DescriptorRecord rec;
    rec.sequence = sequence_++;
    rec.ring_index = head_;
    rec.opcode = d.opcode;
    rec.layer = d.layer_id;
    rec.split = plan.split;
    rec.start_ns = start_ns;
    rec.end_ns = sc_core::sc_time_stamp().to_seconds() * 1e9;
    rec.stats = std::move(ps);
    stats_.record(rec);
    head_ = (head_ + 1) % ring_size_;
    executing_ = false;
    if (d.flags & ACCEL_FLAG_IRQ_ON_DONE) {
        irq_status_ |= ACCEL_IRQ_DONE;
        update_irq();
    }
}

// Per tile: DMA time at the rate the descriptor's real TLM transfers achieved (re-reads of the plan at the
// same rate), compute time from the array model. Double buffering overlaps tile i's compute with tile i+1's
// loads and tile i-1's stores: step i takes max(compute_i, load_{i+1} + store_{i-1}).
sc_core::sc_time Accelerator::timing(const DecodedOp& op, const TilePlan& plan, sc_core::sc_time read_time,
                                     sc_core::sc_time write_time, uint64_t tlm_read, uint64_t tlm_write,
                                     PhaseStats& ps) {
    const double period = clock_period_.to_seconds();
    const double rd_rate = tlm_read ? read_time.to_seconds() / tlm_read : 0.0;
    const double wr_rate = tlm_write ? write_time.to_seconds() / tlm_write : 0.0;
    const size_t n = plan.tiles.size();
    auto load = [&](size_t i) { return i < n ? plan.tiles[i].dram_read * rd_rate : 0.0; };
    auto store = [&](size_t i) { return i < n ? plan.tiles[i].dram_write * wr_rate : 0.0; };
    double total = 0.0;
    if (config_.double_buffering && n) {
        total = load(0) + store(n - 1);
        for (size_t i = 0; i < n; ++i)
            total += std::max(plan.tiles[i].compute.cycles * period, load(i + 1) + (i ? store(i - 1) : 0.0));
    } else {
        for (size_t i = 0; i < n; ++i) total += load(i) + plan.tiles[i].compute.cycles * period + store(i);
    }
    ps.descriptors = 1;
    ps.tiles = n;
    ps.macs = plan.macs;
    ps.dram_read_bytes = plan.dram_read;
    ps.dram_write_bytes = plan.dram_write;
    ps.tlm_read_bytes = tlm_read;
    ps.tlm_write_bytes = tlm_write;
    for (const Tile& t : plan.tiles) {
        ps.compute_cycles += t.compute.cycles;
        ps.mac_cycles += t.compute.mac_cycles;
        for (int s = 0; s < static_cast<int>(Stall::count); ++s) ps.stalls[s] += t.compute.stalls[s];
        for (int b = 0; b < 3; ++b) {
            SramCounters c;
            const uint64_t word = buffers_[b]->config().word_bytes;
            c.read_bytes = t.array_read[b] + t.drain[b];
            c.write_bytes = t.array_write[b] + t.fill[b];
            c.read_accesses = (c.read_bytes + word - 1) / word;
            c.write_accesses = (c.write_bytes + word - 1) / word;
            ps.buffers[b].merge(c);
            buffers_[b]->count_read(c.read_bytes);
            buffers_[b]->count_write(c.write_bytes);
        }
    }
    if (plan.macs) {
        const int phase = (op.desc.opcode - ACCEL_OP_CONV_FWD) % 3;
        const num::Format& a = phase == 0 ? op.fmt[ACCEL_OPND_X] : op.fmt[ACCEL_OPND_G];
        const num::Format& b = phase == 2 ? op.fmt[ACCEL_OPND_X] : op.fmt[ACCEL_OPND_W];
        ps.macs_by_format[a.to_string() + "x" + b.to_string()] += plan.macs;
    }
    return sc_core::sc_time(total, sc_core::SC_SEC);
}

}  // namespace trainvp
