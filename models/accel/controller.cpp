#include "accel/controller.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "accel/sparse_engine.h"
#include "common/state_io.h"
#include "periph/reg_access.h"

namespace trainvp {

using namespace accel;

namespace {

uint64_t to_ps(const sc_core::sc_time& t) {
    return static_cast<uint64_t>(std::llround(t.to_seconds() * 1e12));
}

// The output an operand is in the int8 max-code record: numbered as the stochastic-rounding keys.
int record_output(Opnd o) {
    if (o == Opnd::db || o == Opnd::velocity) return ACCEL_SR_OUT1;
    return o == Opnd::w ? ACCEL_SR_OUT2 : ACCEL_SR_OUT0;
}

constexpr bool kIsConfigRegister(uint32_t offset) {
    return offset == ACCEL_REG_RING_BASE || offset == ACCEL_REG_RING_SIZE;
}

}  // namespace

Controller::Controller(sc_core::sc_module_name name, const AcceleratorConfig& config)
    : sc_module(name),
      regs_in("regs_in"),
      dma_out("dma_out"),
      pe_out("pe_out"),
      vector_out("vector_out"),
      sparse_out("sparse_out"),
      irq("irq"),
      config_(config),
      log_(this->name()),
      clock_period_(sc_core::sc_time(1.0 / config.clock_hz, sc_core::SC_SEC)),
      stats_(config.stats_history) {
    regs_in.register_b_transport(this, &Controller::b_transport);
    regs_in.register_transport_dbg(this, &Controller::transport_dbg);
    reset_state();
    SC_THREAD(run_queue);
    SC_METHOD(drive_irq);
    sensitive << irq_changed_;
    dont_initialize();
}

void Controller::reset_state() {
    r_ = RegisterState{};
    ++generation_;
}

void Controller::update_irq() {
    irq_changed_.notify(sc_core::SC_ZERO_TIME);
}

void Controller::drive_irq() {
    irq.write((r_.irq_status & r_.irq_enable) != 0);
}

bool Controller::peek_register(uint32_t offset, uint32_t& value) const {
    return offset % 4 == 0 && read_register(r_, config_, offset, value);
}

void Controller::raise_error(uint32_t code, uint64_t address, const std::string& why) {
    log_.warning("error ", error_name(code), " (", code, ") at ", hex32(address), ": ", why);
    if (!r_.error) {  // ERR_CODE/ERR_ADDR keep the first error until reset
        r_.err_code = code;
        r_.err_addr = static_cast<uint32_t>(address);
        r_.err_desc = r_.head;
    }
    r_.error = true;
    r_.irq_status |= ACCEL_IRQ_ERROR;
    update_irq();
}

void Controller::publish_tail(uint32_t new_tail, const sc_core::sc_time& delay) {
    if (r_.ring_size == 0)
        return raise_error(ACCEL_ERR_RING_UNCONFIGURED, 0, "descriptors published with RING_SIZE 0");
    if (new_tail >= r_.ring_size)
        return raise_error(ACCEL_ERR_TAIL_INVALID, new_tail,
                           "RING_TAIL " + std::to_string(new_tail) + " >= RING_SIZE");
    const uint32_t old_pending = (r_.tail + r_.ring_size - r_.head) % r_.ring_size;
    const uint32_t new_pending = (new_tail + r_.ring_size - r_.head) % r_.ring_size;
    if (new_pending < old_pending)
        return raise_error(ACCEL_ERR_QUEUE_FULL, 0, "tail passed the head (ring full)");
    r_.tail = new_tail;
    kick_.notify(delay);
}

void Controller::write_register(uint32_t offset, uint32_t value, const sc_core::sc_time& delay) {
    bool known = false;
    const uint32_t access = register_access(offset, known);
    if (access == ACCEL_ACCESS_RO || access == ACCEL_ACCESS_CFG) {
        log_.warning("write of ", hex32(value), " to read-only register at offset ", hex32(offset),
                     " ignored");
        return;
    }
    if (kIsConfigRegister(offset) && r_.busy())
        return raise_error(ACCEL_ERR_CONFIG_BUSY, offset, "configuration register written while busy");
    switch (offset) {
        case ACCEL_REG_CTRL:
            if (value & ACCEL_CTRL_SOFT_RESET) {
                log_.info("soft reset");
                reset_state();
                update_irq();
                return;
            }
            if (!(value & ACCEL_CTRL_ENABLE) && r_.busy())
                return raise_error(ACCEL_ERR_CONFIG_BUSY, offset, "CTRL.ENABLE cleared while busy");
            r_.ctrl = value & ACCEL_CTRL_ENABLE;
            kick_.notify(delay);
            break;
        case ACCEL_REG_IRQ_ENABLE:
            r_.irq_enable = value & (ACCEL_IRQ_DONE | ACCEL_IRQ_ERROR);
            update_irq();
            break;
        case ACCEL_REG_IRQ_STATUS:
            r_.irq_status &= ~value;
            update_irq();
            break;
        case ACCEL_REG_RING_BASE:
            r_.ring_base = value;
            break;
        case ACCEL_REG_RING_SIZE:
            r_.ring_size = value;
            r_.head = r_.tail = 0;
            break;
        case ACCEL_REG_RING_TAIL:
            publish_tail(value, delay);
            break;
        case ACCEL_REG_DOORBELL:
            if (r_.ring_size == 0)
                return raise_error(ACCEL_ERR_RING_UNCONFIGURED, 0, "doorbell with RING_SIZE 0");
            if (value >= r_.ring_size)
                return raise_error(ACCEL_ERR_QUEUE_FULL, 0, "doorbell for more entries than the ring holds");
            publish_tail(static_cast<uint32_t>((uint64_t{r_.tail} + value) % r_.ring_size), delay);
            break;
        case ACCEL_REG_PERF_CTRL:
            if (value & ACCEL_PERF_SNAPSHOT) r_.snapshot = r_.live;
            if (value & ACCEL_PERF_CLEAR) r_.live = PerfCounters{};
            break;
        case ACCEL_REG_SCRATCH:
            r_.scratch = value;
            break;
        default:
            break;
    }
}

void Controller::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    std::string why;
    const tlm::tlm_response_status status = check_register_access(trans, false, why);
    if (status != tlm::TLM_OK_RESPONSE) return reject_access(log_, trans, status, why);
    const uint32_t offset = static_cast<uint32_t>(trans.get_address());
    bool known = false;
    register_access(offset, known);
    if (!known || trans.get_address() >= ACCEL_REG_SPAN)
        return reject_access(log_, trans, tlm::TLM_ADDRESS_ERROR_RESPONSE, "no register at this offset");
    delay += clock_period_;  // one accelerator clock per register access
    stats_.count_register_access();
    if (trans.is_write()) {
        write_register(offset, static_cast<uint32_t>(payload_value(trans)), delay);
    } else if (trans.is_read()) {
        uint32_t v = 0;
        read_register(r_, config_, offset, v);
        set_payload_value(trans, v);
    } else {
        return reject_access(log_, trans, tlm::TLM_COMMAND_ERROR_RESPONSE, "IGNORE command");
    }
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int Controller::transport_dbg(tlm::tlm_generic_payload& trans) {
    return debug_read_words(trans, [this](uint64_t addr, uint32_t& word) {
        return addr < ACCEL_REG_SPAN && read_register(r_, config_, static_cast<uint32_t>(addr), word);
    });
}

void Controller::run_queue() {
    for (;;) {
        while (r_.error || !(r_.ctrl & ACCEL_CTRL_ENABLE) || r_.ring_size == 0 || r_.head == r_.tail)
            wait(kick_);
        execute_next();
    }
}

template <typename Socket, typename Ext>
bool Controller::send(Socket& socket, Ext& ext, sc_core::sc_time& delay) {
    tlm::tlm_generic_payload& t = command_;
    t.set_command(tlm::TLM_IGNORE_COMMAND);
    t.set_address(0);
    t.set_data_ptr(nullptr);
    t.set_data_length(0);
    t.set_streaming_width(0);
    t.set_byte_enable_ptr(nullptr);
    t.set_byte_enable_length(0);
    t.set_dmi_allowed(false);
    t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    t.set_extension(Ext::ID, &ext);
    socket->b_transport(t, delay);
    t.set_extension(Ext::ID, nullptr);  // the extension is ours, not the payload's to free
    return t.get_response_status() == tlm::TLM_OK_RESPONSE;
}

bool Controller::dma(DmaCommand& cmd, sc_core::sc_time& delay) {
    return send(dma_out, cmd, delay);
}

void Controller::execute_next() {
    const uint64_t generation = generation_;
    r_.executing = true;
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    const uint64_t desc_addr = r_.ring_base + uint64_t{r_.head} * ACCEL_DESC_BYTES;
    auto fail = [&](sc_core::sc_time elapsed, uint32_t code, uint64_t addr, const std::string& why) {
        wait(elapsed);
        if (generation != generation_) return;
        r_.executing = false;
        raise_error(code, addr, why);
    };
    if (r_.ring_base % 8)
        return fail(sc_core::SC_ZERO_TIME, ACCEL_ERR_MISALIGNED, r_.ring_base,
                    "RING_BASE not 8-byte aligned");
    if (desc_addr < config_.dram_base || desc_addr + ACCEL_DESC_BYTES > config_.dram_base + config_.dram_size)
        return fail(sc_core::SC_ZERO_TIME, ACCEL_ERR_ADDR_RANGE, desc_addr,
                    "descriptor outside the DRAM window");
    sc_core::sc_time fetch_time = sc_core::SC_ZERO_TIME;
    uint8_t raw[ACCEL_DESC_BYTES];
    DmaCommand fetch;
    fetch.kind = DmaCommand::Kind::fetch;
    fetch.dram_address = desc_addr;
    fetch.data = raw;
    fetch.row_bytes = sizeof raw;
    if (!dma(fetch, fetch_time))
        return fail(fetch_time, ACCEL_ERR_DMA_BUS, fetch.fault_address, "descriptor fetch failed on the bus");
    accel_desc d;
    std::memcpy(&d, raw, sizeof raw);  // the ring holds the little-endian image; hosts are little-endian
    DecodeError err;
    if (d.opcode >= ACCEL_OP_SPARSE_CONFIG && d.opcode <= ACCEL_OP_SPARSE_INFER) {
        PhaseStats ps;
        sc_core::sc_time elapsed = fetch_time;
        if (!run_sparse(d, desc_addr, ps, elapsed, err)) return fail(elapsed, err.code, err.address, err.why);
        wait(elapsed);
        if (generation != generation_) return;
        ps.cycles = static_cast<uint64_t>(std::ceil(elapsed / clock_period_ - 1e-9));
        ps.stalls[static_cast<int>(Stall::dma)] =
            ps.cycles > ps.compute_cycles ? ps.cycles - ps.compute_cycles : 0;
        ps.descriptors = 1;
        return complete(d, ps, start, fetch_time, "sparse engine", false);
    }
    if (!decode_descriptor(d, desc_addr, config_, op_, err))
        return fail(fetch_time, err.code, err.address, err.why);
    std::string why;
    if (!plan_tiles(op_, config_, plan_, why))
        return fail(fetch_time, ACCEL_ERR_SHAPE, desc_addr,
                    std::string(opcode_name(d.opcode)) + " of layer " + std::to_string(d.layer_id) + " on " +
                        std::to_string(d.batch) + " samples: " + why);

    PhaseStats ps;
    sc_core::sc_time elapsed = fetch_time;
    if (!run_tiles(op_, ps, elapsed, err)) return fail(elapsed, err.code, err.address, err.why);
    // The max-code record goes out after the last store: one more DMA write, not hidden by compute.
    sc_core::sc_time record_time = sc_core::SC_ZERO_TIME;
    DmaCommand record;
    if (d.addr_int8_max) {
        record.kind = DmaCommand::Kind::put;
        record.dram_address = d.addr_int8_max;
        record.data = reinterpret_cast<uint8_t*>(&int8_max_);
        record.row_bytes = sizeof int8_max_;
        if (!dma(record, record_time))
            return fail(elapsed + record_time, ACCEL_ERR_DMA_BUS, record.fault_address,
                        "int8 max-code record (addr_int8_max) answered with a TLM error");
    }
    const sc_core::sc_time busy = fetch_time + overlap() + record_time;
    wait(busy);
    if (generation != generation_) return;  // reset while running: the descriptor is forgotten
    ps.descriptors = 1;
    ps.tiles = plan_.tiles.size();
    ps.zeros_skipped = config_.skip_stride_zeros;
    ps.dram_read_bytes = plan_.dram_read + ACCEL_DESC_BYTES;
    ps.dram_write_bytes = plan_.dram_write + record.bytes;
    ps.tlm_read_bytes += ACCEL_DESC_BYTES;
    ps.tlm_write_bytes += record.bytes;
    ps.actions.dma_bursts += fetch.bursts + record.bursts;
    ps.cycles = static_cast<uint64_t>(std::ceil(busy / clock_period_ - 1e-9));
    ps.stalls[static_cast<int>(Stall::dma)] =
        ps.cycles > ps.compute_cycles ? ps.cycles - ps.compute_cycles : 0;
    if (ps.macs) {
        const int phase = (d.opcode - ACCEL_OP_CONV_FWD) % 3;
        const num::Format& a = phase == 0 ? op_.fmt[ACCEL_OPND_X] : op_.fmt[ACCEL_OPND_G];
        const num::Format& b = phase == 2 ? op_.fmt[ACCEL_OPND_X] : op_.fmt[ACCEL_OPND_W];
        ps.macs_by_format[a.to_string() + "x" + b.to_string()] += ps.macs;
    }
    complete(d, ps, start, fetch_time, plan_.split, true);
}

void Controller::complete(const accel_desc& d, PhaseStats& ps, sc_core::sc_time start,
                          sc_core::sc_time fetch_time, const std::string& split, bool tiled) {
    PerfCounters& live = r_.live;
    live.cycles += ps.cycles;
    live.compute += ps.compute_cycles;
    live.stall += ps.stall_cycles();
    live.macs += ps.macs;
    live.dma_rd += ps.dram_read_bytes;
    live.dma_wr += ps.dram_write_bytes;
    live.desc += 1;
    if (log_.enabled(LogLevel::debug))
        log_.debug("descriptor ", r_.head, " ", opcode_name(d.opcode), " layer ", d.layer_id, ": ", ps.cycles,
                   " cycles, ", ps.macs, " MACs, ", ps.tiles, " tiles (", split, ")");
    DescriptorRecord rec;
    rec.sequence = sequence_++;
    rec.ring_index = r_.head;
    rec.opcode = d.opcode;
    rec.layer = d.layer_id;
    rec.split = split;
    rec.start_ns = start.to_seconds() * 1e9;
    rec.end_ns = sc_core::sc_time_stamp().to_seconds() * 1e9;
    rec.stats = std::move(ps);
    if (trace_ && tiled) trace_descriptor(d, start, fetch_time, rec.stats);
    if (trace_ && !tiled) {  // a sparse-engine descriptor: one slice on the controller track
        const uint64_t t0 = to_ps(start), t1 = to_ps(sc_core::sc_time_stamp());
        if (trace_->wants(t0, t1))
            trace_->slice("controller", opcode_name(d.opcode), t0, t1,
                          {{"opcode", opcode_name(d.opcode)}, {"cycles", rec.stats.cycles}});
    }
    stats_.record(rec);
    r_.head = (r_.head + 1) % r_.ring_size;
    r_.executing = false;
    if (d.flags & ACCEL_FLAG_IRQ_ON_DONE) {
        r_.irq_status |= ACCEL_IRQ_DONE;
        update_irq();
    }
}

bool Controller::run_tiles(const DecodedOp& op, PhaseStats& ps, sc_core::sc_time& elapsed, DecodeError& err) {
    tile_time_.assign(plan_.tiles.size(), TileTime{});
    int8_max_ = accel_int8_max{};
    CommandSocket& unit = op.is_gemm() ? pe_out : vector_out;
    auto transfer = [&](const DmaMove& m, DmaCommand::Kind kind, uint64_t& ticks, uint64_t& bytes) {
        DmaCommand cmd;
        cmd.kind = kind;
        cmd.dram_address = m.dram_address;
        cmd.buffer_address = buffer_address(m.buffer, m.buffer_offset);
        cmd.rows = m.rows;
        cmd.row_bytes = m.row_bytes;
        cmd.dram_stride = m.dram_stride;
        const num::Format& fmt = op.op(m.operand).fmt;
        cmd.int8_max = kind == DmaCommand::Kind::store && op.desc.addr_int8_max != 0 &&
                       fmt.kind == num::FormatKind::int8;
        sc_core::sc_time t = sc_core::SC_ZERO_TIME;
        const bool ok = dma(cmd, t);
        ticks += t.value();
        elapsed += t;
        bytes += cmd.bytes;
        ps.actions.dma_bursts += cmd.bursts;
        if (cmd.int8_max) {
            const int out = record_output(m.operand);
            int8_max_.max_code[out] = std::max(int8_max_.max_code[out], cmd.max_code);
            int8_max_.int8_outputs |= 1u << out;
            // One 8-bit compare per code stored (energy.md "Actions"); the monitor keeps pace with the
            // store stream, so it adds no cycles.
            ps.actions.vector_ops["cmp:" + fmt.to_string()] += cmd.bytes;
        }
        if (!ok) {
            const bool read = kind == DmaCommand::Kind::load;
            err = {ACCEL_ERR_DMA_BUS, cmd.fault_address,
                   std::string("DMA ") + (read ? "read" : "write") + " of operand " +
                       operand_name(m.operand) + " answered with a TLM error"};
        }
        return ok;
    };
    for (size_t i = 0; i < plan_.tiles.size(); ++i) {
        const Tile& tile = plan_.tiles[i];
        TileTime& tt = tile_time_[i];
        for (uint32_t m = 0; m < tile.load_count; ++m)
            if (!transfer(tile.loads[m], DmaCommand::Kind::load, tt.load, ps.tlm_read_bytes)) return false;
        TileCommand cmd;
        cmd.op = &op;
        cmd.tile = &tile;
        sc_core::sc_time t = sc_core::SC_ZERO_TIME;
        const bool ok = send(unit, cmd, t);
        tt.compute = t.value();
        elapsed += t;
        if (!ok) {
            err = cmd.error != ACCEL_ERR_NONE ? DecodeError{cmd.error, cmd.error_address, cmd.why}
                                              : DecodeError{ACCEL_ERR_BAD_ARGUMENT, op.desc_address,
                                                            "the compute unit refused the tile"};
            return false;
        }
        const TileEstimate& e = cmd.estimate;
        ps.actions.merge(cmd.actions);
        ps.compute_cycles += e.compute.cycles;
        ps.mac_cycles += e.compute.mac_cycles;
        ps.macs += e.macs;
        ps.stride_zero_macs += e.stride_zero_macs;
        ps.stride_zero_cycles += e.stride_zero_cycles;
        for (int s = 0; s < static_cast<int>(Stall::count); ++s) ps.stalls[s] += e.compute.stalls[s];
        for (int b = 0; b < kBufferCount; ++b) {
            SramCounters c;
            const SramConfig& sc = config_.buffer(static_cast<BufferId>(b));
            c.read_bytes = e.array_read[b] + tile.drain[b];
            c.write_bytes = e.array_write[b] + tile.fill[b];
            c.read_accesses = (c.read_bytes + sc.word_bytes - 1) / sc.word_bytes;
            c.write_accesses = (c.write_bytes + sc.word_bytes - 1) / sc.word_bytes;
            ps.buffers[b].merge(c);
            ps.actions.interconnect_bytes += c.read_bytes + c.write_bytes;  // every buffer byte crosses it
        }
        for (uint32_t m = 0; m < tile.store_count; ++m)
            if (!transfer(tile.stores[m], DmaCommand::Kind::store, tt.store, ps.tlm_write_bytes))
                return false;
    }
    return true;
}

// Double buffering overlaps tile i's compute with tile i+1's loads and tile i-1's stores: step i takes
// max(compute_i, load_{i+1} + store_{i-1}); the first load and the last store are not hidden.
sc_core::sc_time Controller::overlap() const {
    const size_t n = tile_time_.size();
    uint64_t total = 0;
    if (config_.double_buffering && n) {
        total = tile_time_[0].load + tile_time_[n - 1].store;
        for (size_t i = 0; i < n; ++i) {
            const uint64_t dma = (i + 1 < n ? tile_time_[i + 1].load : 0) + (i ? tile_time_[i - 1].store : 0);
            total += std::max(tile_time_[i].compute, dma);
        }
    } else {
        for (const TileTime& t : tile_time_) total += t.load + t.compute + t.store;
    }
    return sc_core::sc_time::from_value(total);
}

bool Controller::run_sparse(const accel_desc& d, uint64_t desc_addr, PhaseStats& ps,
                            sc_core::sc_time& elapsed, DecodeError& err) {
    auto fail = [&err](uint32_t code, uint64_t address, const std::string& why) {
        err = {code, address, why};
        return false;
    };
    const char* name = opcode_name(d.opcode);
    if (sparse_out.size() == 0)
        return fail(ACCEL_ERR_UNKNOWN_OPCODE, desc_addr,
                    std::string(name) + ": this accelerator has no sparse engine");
    if (d.flags & ~ACCEL_FLAG_IRQ_ON_DONE)
        return fail(ACCEL_ERR_BAD_ARGUMENT, desc_addr, std::string(name) + ": flags other than IRQ_ON_DONE");
    for (uint32_t r : d.reserved)
        if (r) return fail(ACCEL_ERR_BAD_ARGUMENT, desc_addr, "reserved word non-zero");
    if (d.sr_index_base)
        return fail(ACCEL_ERR_BAD_ARGUMENT, desc_addr,
                    std::string(name) + ": sr_index_base is for DMA_COPY only");
    if (d.addr_int8_max)
        return fail(ACCEL_ERR_BAD_ARGUMENT, desc_addr,
                    std::string(name) + ": the sparse engine writes no int8 max-code record (addr_int8_max)");
    // An operand must lie in the DRAM window and be aligned to its container (accel_desc.h).
    auto check = [&](uint64_t addr, uint64_t bytes, unsigned align, const char* what) {
        if (addr % align)
            return fail(ACCEL_ERR_MISALIGNED, addr,
                        std::string(name) + " " + what + " not " + std::to_string(align) + "-byte aligned");
        if (addr < config_.dram_base || addr + bytes > config_.dram_base + config_.dram_size)
            return fail(ACCEL_ERR_ADDR_RANGE, addr,
                        std::string(name) + " " + what + " outside the DRAM window");
        return true;
    };
    auto move = [&](DmaCommand::Kind kind, uint64_t addr, uint8_t* data, uint64_t bytes) {
        DmaCommand cmd;
        cmd.kind = kind;
        cmd.dram_address = addr;
        cmd.data = data;
        cmd.row_bytes = bytes;
        sc_core::sc_time t = sc_core::SC_ZERO_TIME;
        const bool ok = dma(cmd, t);
        elapsed += t;
        if (kind == DmaCommand::Kind::fetch) {
            ps.dram_read_bytes += cmd.bytes;
            ps.tlm_read_bytes += cmd.bytes;
        } else {
            ps.dram_write_bytes += cmd.bytes;
            ps.tlm_write_bytes += cmd.bytes;
        }
        if (!ok)
            return fail(ACCEL_ERR_DMA_BUS, cmd.fault_address,
                        std::string(name) + ": DMA answered with a TLM error");
        return true;
    };
    ps.dram_read_bytes += ACCEL_DESC_BYTES;
    ps.tlm_read_bytes += ACCEL_DESC_BYTES;

    SparseCommand cmd;
    std::vector<uint8_t> inputs, labels;
    std::vector<uint32_t> predictions;
    std::vector<int32_t> parameters;
    if (d.opcode == ACCEL_OP_SPARSE_CONFIG) {
        accel_sparse_config rec;
        if (d.addr_aux == 0) return fail(ACCEL_ERR_BAD_ARGUMENT, desc_addr, "SPARSE_CONFIG without addr_aux");
        if (!check(d.addr_aux, sizeof rec, 8, "configuration record")) return false;
        if (!move(DmaCommand::Kind::fetch, d.addr_aux, reinterpret_cast<uint8_t*>(&rec), sizeof rec))
            return false;
        std::string why;
        if (!sparse_config_from_record(rec, cmd.config, why))
            return fail(ACCEL_ERR_SPARSE_CONFIG, d.addr_aux, "configuration record: " + why);
        cmd.kind = SparseCommand::Kind::configure;
    } else {
        const bool train = d.opcode == ACCEL_OP_SPARSE_TRAIN;
        cmd.kind = train ? SparseCommand::Kind::train : SparseCommand::Kind::infer;
        if (d.batch == 0) return fail(ACCEL_ERR_SHAPE, desc_addr, std::string(name) + " of 0 samples");
        if (d.fc_in == 0) return fail(ACCEL_ERR_SHAPE, desc_addr, std::string(name) + " with fc_in 0");
        if (train && d.addr_labels == 0)
            return fail(ACCEL_ERR_BAD_ARGUMENT, desc_addr, "SPARSE_TRAIN without addr_labels");
        if (!train && d.addr_y == 0)
            return fail(ACCEL_ERR_BAD_ARGUMENT, desc_addr, "SPARSE_INFER without addr_y");
        if (train && d.count > 255)
            return fail(ACCEL_ERR_BAD_ARGUMENT, desc_addr, "SPARSE_TRAIN etapos (count) above 255");
        const uint64_t n = d.batch, in_bytes = n * d.fc_in;
        if (!check(d.addr_x, in_bytes, 1, "inputs (addr_x)")) return false;
        if (d.addr_labels && !check(d.addr_labels, n, 1, "labels")) return false;
        if (!train && !check(d.addr_y, n * 4, 4, "predictions (addr_y)")) return false;
        if (d.addr_aux && !check(d.addr_aux, sizeof(accel_sparse_result), 8, "result record (addr_aux)"))
            return false;
        inputs.resize(in_bytes);
        if (!move(DmaCommand::Kind::fetch, d.addr_x, inputs.data(), in_bytes)) return false;
        if (d.addr_labels) {
            labels.resize(n);
            if (!move(DmaCommand::Kind::fetch, d.addr_labels, labels.data(), n)) return false;
            cmd.labels = labels.data();
        }
        cmd.inputs = inputs.data();
        cmd.sample_bytes = d.fc_in;
        cmd.count = d.batch;
        cmd.etapos = train ? static_cast<int>(d.count) : 0;
        cmd.predictions = train ? nullptr : &predictions;
        cmd.parameters = train && d.addr_w ? &parameters : nullptr;
    }
    sc_core::sc_time t = sc_core::SC_ZERO_TIME;
    const bool ok = send(sparse_out, cmd, t);
    elapsed += t;
    if (!ok) {
        if (cmd.error == ACCEL_ERR_NONE)
            return fail(ACCEL_ERR_BAD_ARGUMENT, desc_addr, "the sparse engine refused");
        const uint64_t at =
            cmd.error == ACCEL_ERR_BAD_LABEL ? d.addr_labels + cmd.error_index
            : cmd.error == ACCEL_ERR_SPARSE_CONFIG && cmd.kind == SparseCommand::Kind::configure ? d.addr_aux
                                                                                                 : desc_addr;
        return fail(cmd.error, at, std::string(name) + ": " + cmd.why);
    }
    const uint64_t engine_cycles = static_cast<uint64_t>(std::ceil(t / clock_period_ - 1e-9));
    ps.compute_cycles += engine_cycles;
    if (cmd.kind == SparseCommand::Kind::configure) return true;
    if (d.addr_w) {
        if (!check(d.addr_w, parameters.size() * 4, 4, "parameters (addr_w)")) return false;
        if (!move(DmaCommand::Kind::put, d.addr_w, reinterpret_cast<uint8_t*>(parameters.data()),
                  parameters.size() * 4))
            return false;
    }
    if (!predictions.empty() && !move(DmaCommand::Kind::put, d.addr_y,
                                      reinterpret_cast<uint8_t*>(predictions.data()), predictions.size() * 4))
        return false;
    if (d.addr_aux &&
        !move(DmaCommand::Kind::put, d.addr_aux, reinterpret_cast<uint8_t*>(&cmd.result), sizeof cmd.result))
        return false;
    return true;
}

// The descriptor's schedule as overlap() computes it: with double buffering, step i runs tile i's compute
// beside tile i+1's loads and then tile i-1's stores, and lasts max(compute_i, load_{i+1} + store_{i-1});
// the first load and the last store stand alone. Without it, load, compute and store follow each other.
// A buffer's occupancy counts the bytes of the tiles in flight: the bytes the DMA fills and drains from the
// start of a tile's load to the end of its store.
void Controller::trace_descriptor(const accel_desc& d, sc_core::sc_time start, sc_core::sc_time fetch_time,
                                  const PhaseStats& ps) {
    const uint64_t t0 = to_ps(start), fetch_ps = to_ps(fetch_time);
    const uint64_t busy_ps = to_ps(fetch_time + overlap());
    if (!trace_->wants(t0, t0 + busy_ps)) return;
    const std::string phase = opcode_name(d.opcode);  // the layer's phase, as the opcode names it
    trace_->slice("controller", phase + " L" + std::to_string(d.layer_id), t0, t0 + busy_ps,
                  {{"layer", d.layer_id},
                   {"opcode", phase},
                   {"opcode_id", d.opcode},
                   {"sequence", sequence_ - 1},
                   {"ring_index", r_.head},
                   {"cycles", ps.cycles},
                   {"tiles", plan_.tiles.size()},
                   {"split", plan_.split}});
    trace_->slice("dma", "fetch descriptor", t0, t0 + fetch_ps);
    const char* unit = op_.is_gemm() ? "pe_array" : "vector_unit";
    const size_t n = tile_time_.size();
    const uint64_t per_ps = sc_core::sc_time(1, sc_core::SC_PS).value();
    auto ps_of = [per_ps](uint64_t units) { return units / (per_ps ? per_ps : 1); };
    double occupancy[kBufferCount] = {};
    auto occupy = [&](size_t i, uint64_t at, double sign) {
        for (int b = 0; b < kBufferCount; ++b) {
            const uint64_t bytes = plan_.tiles[i].fill[b] + plan_.tiles[i].drain[b];
            if (!bytes) continue;
            occupancy[b] += sign * static_cast<double>(bytes);
            trace_->counter((std::string(buffer_name(static_cast<BufferId>(b))) + "_buffer bytes").c_str(),
                            at, occupancy[b]);
        }
    };
    auto load = [&](size_t i, uint64_t at) {
        occupy(i, at, +1);
        if (tile_time_[i].load)
            trace_->slice("dma", "load tile " + std::to_string(i), at, at + ps_of(tile_time_[i].load),
                          {{"bytes", plan_.tiles[i].dram_read}});
    };
    auto store = [&](size_t i, uint64_t at) {
        const uint64_t end = at + ps_of(tile_time_[i].store);
        if (tile_time_[i].store)
            trace_->slice("dma", "store tile " + std::to_string(i), at, end,
                          {{"bytes", plan_.tiles[i].dram_write}});
        occupy(i, end, -1);
    };
    auto compute = [&](size_t i, uint64_t at) {
        trace_->slice(unit, phase + " tile " + std::to_string(i), at, at + ps_of(tile_time_[i].compute),
                      {{"macs", plan_.tiles[i].macs}});
    };
    uint64_t t = t0 + fetch_ps;
    if (config_.double_buffering && n) {
        load(0, t);
        t += ps_of(tile_time_[0].load);
        for (size_t i = 0; i < n; ++i) {
            compute(i, t);
            uint64_t dma_at = t;
            if (i + 1 < n) {
                load(i + 1, dma_at);
                dma_at += ps_of(tile_time_[i + 1].load);
            }
            if (i) store(i - 1, dma_at);
            const uint64_t dma = (i + 1 < n ? tile_time_[i + 1].load : 0) + (i ? tile_time_[i - 1].store : 0);
            t += ps_of(std::max(tile_time_[i].compute, dma));
        }
        store(n - 1, t);
    } else {
        for (size_t i = 0; i < n; ++i) {
            load(i, t);
            t += ps_of(tile_time_[i].load);
            compute(i, t);
            t += ps_of(tile_time_[i].compute);
            store(i, t);
            t += ps_of(tile_time_[i].store);
        }
    }
}

void Controller::trace_sideband(sc_core::sc_trace_file* file) const {
    const std::string prefix = std::string(name()) + ".";
    sc_core::sc_trace(file, r_.executing, prefix + "busy");
    sc_core::sc_trace(file, r_.irq_status, prefix + "irq_status");
}

bool Controller::quiescent(std::string& why) const {
    if (r_.executing) {
        why = "the accelerator is executing descriptor " + std::to_string(r_.head);
        return false;
    }
    if (r_.busy()) {
        why = "the accelerator has descriptors queued (head " + std::to_string(r_.head) + ", tail " +
              std::to_string(r_.tail) + ")";
        return false;
    }
    if (r_.irq_status & r_.irq_enable) {
        why = "the accelerator's interrupt line is high";
        return false;
    }
    return true;
}

void Controller::save_state(StateWriter& w) const {
    save_registers(w, r_);
    w.u64(generation_);
    w.u64(sequence_);
    stats_.save_state(w);
}

void Controller::restore_state(StateReader& r) {
    RegisterState regs = restore_registers(r);
    const uint64_t generation = r.u64();
    const uint64_t sequence = r.u64();
    stats_.restore_state(r);
    r_ = regs;
    generation_ = generation;
    sequence_ = sequence;
    // The state is that of an idle controller (quiescent()): the next doorbell starts the next descriptor.
    // During the simulation the interrupt line follows the restored state; before it, the line starts low,
    // which is what a quiescent platform saved.
    if (sc_core::sc_is_running()) update_irq();
}

nlohmann::json Controller::stats_json() const {
    nlohmann::json j = stats_.to_json(uint64_t{config_.rows} * config_.cols);
    j["config"] = {{"rows", config_.rows},
                   {"cols", config_.cols},
                   {"dataflow", dataflow_name(config_.dataflow)},
                   {"clock_hz", config_.clock_hz},
                   {"double_buffering", config_.double_buffering}};
    nlohmann::json bufs = nlohmann::json::object();
    for (int b = 0; b < kBufferCount; ++b) {
        const SramConfig& s = config_.buffer(static_cast<BufferId>(b));
        bufs[buffer_name(static_cast<BufferId>(b))] = {{"capacity_bytes", s.capacity_bytes}};
    }
    j["config"]["buffers"] = bufs;
    return j;
}

}  // namespace trainvp
