#include "accel/dma_engine.h"

#include <algorithm>
#include <cstring>

#include "accel/accel_protocol.h"
#include "common/state_io.h"
#include "common/transfer_timing.h"

namespace trainvp {

using accel::DmaCommand;

namespace {
// The max-code monitor: the largest |q| of n int8 codes (two's complement bytes), 0..128.
uint32_t max_int8_code(const uint8_t* codes, uint64_t n) {
    uint32_t m = 0;
    for (uint64_t i = 0; i < n; ++i) {
        const int q = static_cast<int8_t>(codes[i]);
        m = std::max<uint32_t>(m, static_cast<uint32_t>(q < 0 ? -q : q));
    }
    return m;
}
}  // namespace

DmaEngine::DmaEngine(sc_core::sc_module_name name, const AcceleratorConfig& config)
    : sc_module(name),
      cmd_in("cmd_in"),
      bus_out("bus_out"),
      buffers_out("buffers_out"),
      config_(config.dma),
      interconnect_(config.interconnect),
      period_(sc_core::sc_time(1.0 / config.clock_hz, sc_core::SC_SEC)),
      buffers_(buffers_out),
      log_(this->name()) {
    cmd_in.register_b_transport(this, &DmaEngine::command);
    buffers_out.register_invalidate_direct_mem_ptr(this, &DmaEngine::invalidate);
    bus_out.register_invalidate_direct_mem_ptr(this, &DmaEngine::invalidate_bus);
}

void DmaEngine::request_bus_dmi(uint64_t address) {
    tlm::tlm_generic_payload req;
    req.set_command(tlm::TLM_READ_COMMAND);
    req.set_address(address);
    TransferTimingExt timing;
    req.set_extension(&timing);
    tlm::tlm_dmi dmi;
    const bool granted = bus_out->get_direct_mem_ptr(req, dmi);
    req.clear_extension(&timing);  // it lives on this stack frame
    if (!granted || !timing.answered || !dmi.get_dmi_ptr() || dmi.get_start_address() > address ||
        dmi.get_end_address() < address) {
        // Not asked again for the range the answer covers (at least this address).
        refused_.start = std::min<uint64_t>(dmi.get_start_address(), address);
        refused_.end = std::max<uint64_t>(dmi.get_end_address(), address);
        return;
    }
    BusDmi g;
    g.ptr = dmi.get_dmi_ptr();
    g.start = dmi.get_start_address();
    g.end = dmi.get_end_address();
    g.readable = dmi.is_read_allowed();
    g.writable = dmi.is_write_allowed();
    g.read_ticks = dmi.get_read_latency().value();
    g.write_ticks = dmi.get_write_latency().value();
    g.bytes_per_ns = timing.bytes_per_ns;
    bus_dmi_ = g;
}

void DmaEngine::invalidate_bus(sc_dt::uint64 start, sc_dt::uint64 end) {
    if (bus_dmi_.start <= end && start <= bus_dmi_.end) bus_dmi_ = BusDmi{};
    if (refused_.start <= end && start <= refused_.end) refused_ = Refused{};
}

void DmaEngine::save_state(StateWriter& w) const {
    for (uint64_t v :
         {counters_.read_bytes, counters_.write_bytes, counters_.read_bursts, counters_.write_bursts})
        w.u64(v);
}

void DmaEngine::restore_state(StateReader& r) {
    DmaCounters c;
    for (uint64_t* v : {&c.read_bytes, &c.write_bytes, &c.read_bursts, &c.write_bursts}) *v = r.u64();
    counters_ = c;
}

void DmaEngine::command(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    DmaCommand* cmd = accel::command_of<DmaCommand>(trans);
    if (!cmd) return log_.warning("transaction without a DmaCommand refused");
    cmd->bytes = 0;
    cmd->max_code = 0;
    uint64_t dram_ticks = 0;  // kernel resolution units: sc_time arithmetic is out of line in SystemC 2.3
    sc_core::sc_time buffer_time = sc_core::SC_ZERO_TIME;
    const bool ok = move(*cmd, dram_ticks, buffer_time);
    cmd->dram_time = sc_core::sc_time::from_value(dram_ticks);
    cmd->buffer_time = buffer_time;
    delay += std::max(cmd->dram_time, buffer_time);
    trans.set_response_status(ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE);
}

void DmaEngine::Waves::add(uint64_t ticks, uint32_t max_outstanding) {
    wave = std::max(wave, ticks);
    if (++in_wave == max_outstanding) {
        total += wave;
        wave = 0;
        in_wave = 0;
    }
}

uint8_t* DmaEngine::granted(uint64_t address, uint64_t n, bool write) const {
    const BusDmi& g = bus_dmi_;
    if (n == 0 || address < g.start || address > g.end || n - 1 > g.end - address ||
        !(write ? g.writable : g.readable))
        return nullptr;
    return g.ptr + (address - g.start);
}

uint64_t DmaEngine::dmi_ticks(uint64_t n, bool write) {
    BusDmi& g = bus_dmi_;
    if (n != g.transfer_bytes) {
        g.transfer_bytes = n;
        g.transfer_ticks = transfer_time(static_cast<unsigned int>(n), g.bytes_per_ns).value();
    }
    return (write ? g.write_ticks : g.read_ticks) + g.transfer_ticks;
}

void DmaEngine::charge(uint64_t n, bool write, uint64_t ticks, Waves& waves) {
    waves.add(ticks, config_.max_outstanding);
    if (write) {
        counters_.write_bytes += n;
        ++counters_.write_bursts;
    } else {
        counters_.read_bytes += n;
        ++counters_.read_bursts;
    }
}

bool DmaEngine::burst(tlm::tlm_command c, uint64_t address, uint8_t* data, uint64_t n, Waves& waves) {
    const bool write = c == tlm::TLM_WRITE_COMMAND;
    if (uint8_t* at = granted(address, n, write)) {
        // Through the DMI pointer, charged what the target's b_transport would annotate (transfer_timing.h).
        if (write)
            std::memcpy(at, data, n);
        else
            std::memcpy(data, at, n);
        charge(n, write, dmi_ticks(n, write), waves);
        return true;
    }
    // Command and byte enables are set once per command (move()).
    trans_.set_command(c);
    trans_.set_address(address);
    trans_.set_data_ptr(data);
    trans_.set_data_length(static_cast<unsigned int>(n));
    trans_.set_streaming_width(static_cast<unsigned int>(n));
    trans_.set_dmi_allowed(false);
    trans_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time latency = sc_core::SC_ZERO_TIME;
    bus_out->b_transport(trans_, latency);
    if (trans_.is_response_error()) return false;
    charge(n, write, latency.value(), waves);
    if (config_.dmi && trans_.is_dmi_allowed() && !(address >= refused_.start && address <= refused_.end))
        request_bus_dmi(address);
    return true;
}

uint64_t DmaEngine::row_through_dmi(bool to_dram, uint64_t row, uint64_t bytes, uint8_t* data, Waves& waves) {
    uint8_t* at = granted(row, bytes, to_dram);
    if (!at) return 0;
    if (to_dram)
        std::memcpy(at, data, bytes);
    else
        std::memcpy(data, at, bytes);
    // burst()'s charge for each burst of the row.
    const uint64_t burst_bytes = config_.burst_bytes;
    uint64_t bursts = 0;
    for (uint64_t done = 0; done < bytes; ++bursts) {
        const uint64_t n = std::min(bytes - done, burst_bytes - (row + done) % burst_bytes);
        charge(n, to_dram, dmi_ticks(n, to_dram), waves);
        done += n;
    }
    return bursts;
}

bool DmaEngine::move(DmaCommand& cmd, uint64_t& total, sc_core::sc_time& buffer_time) {
    const uint64_t burst_bytes = config_.burst_bytes;
    const bool to_dram = cmd.kind == DmaCommand::Kind::store || cmd.kind == DmaCommand::Kind::put;
    const tlm::tlm_command bus_cmd = to_dram ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND;
    const uint64_t length = uint64_t{cmd.rows} * cmd.row_bytes;
    Waves waves;
    uint8_t* direct = nullptr;
    trans_.set_byte_enable_ptr(nullptr);
    trans_.set_byte_enable_length(0);
    if (cmd.kind == DmaCommand::Kind::fetch || cmd.kind == DmaCommand::Kind::put) {
        direct = cmd.data;
    } else if (length) {
        sc_core::sc_time latency;
        direct = buffers_.direct(cmd.buffer_address, length, !to_dram, &latency);
        // A DMI stream: the interconnect's (and buffer's) access latency once, then width bytes per cycle.
        if (direct)
            buffer_time = latency + period_ * static_cast<double>((length + interconnect_.width_bytes - 1) /
                                                                  interconnect_.width_bytes);
    }
    bool ok = true;
    uint64_t local = 0;  // offset in the buffer (or in cmd.data)
    for (uint32_t r = 0; r < cmd.rows && ok; ++r) {
        const uint64_t row = cmd.dram_address + r * cmd.dram_stride;
        if (const uint64_t bursts =
                direct ? row_through_dmi(to_dram, row, cmd.row_bytes, direct + local, waves) : 0) {
            // The same bursts as below, one copy for the row.
            if (cmd.int8_max)
                cmd.max_code = std::max(cmd.max_code, max_int8_code(direct + local, cmd.row_bytes));
            local += cmd.row_bytes;
            cmd.bytes += cmd.row_bytes;
            cmd.bursts += bursts;
            continue;
        }
        for (uint64_t done = 0; done < cmd.row_bytes;) {
            const uint64_t addr = row + done;
            const uint64_t n = std::min(cmd.row_bytes - done, burst_bytes - addr % burst_bytes);
            uint8_t* data = direct ? direct + local : nullptr;
            if (!direct) {
                if (staging_.size() < n) staging_.resize(n);
                data = staging_.data();
                if (to_dram && !buffers_.transport(tlm::TLM_READ_COMMAND, cmd.buffer_address + local, data, n,
                                                   buffer_time)) {
                    ok = false;
                    cmd.fault_address = addr;
                    break;
                }
            }
            if (!burst(bus_cmd, addr, data, n, waves)) {
                ok = false;
                cmd.fault_address = addr;
                break;
            }
            if (!direct && !to_dram &&
                !buffers_.transport(tlm::TLM_WRITE_COMMAND, cmd.buffer_address + local, data, n,
                                    buffer_time)) {
                ok = false;
                cmd.fault_address = addr;
                break;
            }
            if (cmd.int8_max) cmd.max_code = std::max(cmd.max_code, max_int8_code(data, n));
            done += n;
            local += n;
            cmd.bytes += n;
            ++cmd.bursts;
        }
    }
    total += waves.total + waves.wave;
    return ok;
}

}  // namespace trainvp
