#include "accel/pe_array.h"

#include <algorithm>
#include <cstring>
#include <exception>

#include "accel/accel_protocol.h"
#include "kernels/conv2d.h"
#include "kernels/fully_connected.h"

namespace trainvp {

using namespace accel;

namespace {

// The array's actions for a tile of `macs` MACs (docs/energy.md "Actions"): each MAC is one multiply
// (macs_by_format, counted by the controller), one accumulation in the accumulator (the descriptor's
// acc_bits for fixed-point and integer operands, fp32 otherwise), and each of its two operands written into a
// PE operand register and read from it once (systolic forwarding: the operand a PE multiplies is the one it
// passes on). Each of the tile's `outputs` ends one accumulation (for a brick PE: one combination of its
// brick accumulators).
void count_actions(const DecodedOp& op, uint64_t macs, uint64_t outputs, UnitActions& a) {
    if (!macs) return;
    const int phase = (op.desc.opcode - ACCEL_OP_CONV_FWD) % 3;
    const num::Format& x = phase == 0 ? op.fmt[ACCEL_OPND_X] : op.fmt[ACCEL_OPND_G];
    const num::Format& y = phase == 2 ? op.fmt[ACCEL_OPND_X] : op.fmt[ACCEL_OPND_W];
    const bool integer = !x.is_floating() && !y.is_floating();
    a.acc_adds[integer ? "fx" + std::to_string(op.acc.bits) : "fp32"] += macs;
    a.gemm_outputs[x.to_string() + "x" + y.to_string()] += outputs;
    for (const num::Format* f : {&x, &y}) {
        const auto bits = static_cast<uint32_t>(f->storage_bits());
        a.operand_reg_writes[bits] += macs;
        a.operand_reg_reads[bits] += macs;
    }
}

}  // namespace

PeArray::PeArray(sc_core::sc_module_name name, const AcceleratorConfig& config, PeGemmEngine* engine)
    : sc_module(name),
      cmd_in("cmd_in"),
      buffers_out("buffers_out"),
      config_(config),
      engine_(engine),
      timer_(config_),
      period_(sc_core::sc_time(1.0 / config.clock_hz, sc_core::SC_SEC)),
      buffers_(buffers_out),
      sink_{accel::StorageSink(codec_), accel::StorageSink(codec_)},
      log_(this->name()) {
    cmd_in.register_b_transport(this, &PeArray::command);
    buffers_out.register_invalidate_direct_mem_ptr(this, &PeArray::invalidate);
}

void PeArray::command(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    TileCommand* cmd = command_of<TileCommand>(trans);
    if (!cmd) return log_.warning("transaction without a TileCommand refused");
    const DecodedOp& op = *cmd->op;
    const Tile& t = *cmd->tile;
    cmd->error = ACCEL_ERR_NONE;
    access_delay_ = sc_core::SC_ZERO_TIME;
    if (engine_) engine_->begin_tile();
    try {
        if (!op.is_gemm()) {
            cmd->error = ACCEL_ERR_UNKNOWN_OPCODE;
            cmd->error_address = op.desc_address;
            cmd->why = std::string("the PE array does not execute ") + opcode_name(op.desc.opcode);
        } else {
            const int phase = (op.desc.opcode - ACCEL_OP_CONV_FWD) % 3;
            if (phase == 0)
                forward(op, t, *cmd);
            else if (phase == 1)
                backward_data(op, t, *cmd);
            else
                weight_grad(op, t, *cmd);
        }
    } catch (const std::exception& e) {
        cmd->error = ACCEL_ERR_BAD_ARGUMENT;
        cmd->error_address = op.desc_address;
        cmd->why = std::string("operation rejected: ") + e.what();
    }
    cmd->estimate = estimate_tile(op, t, config_, timer_);
    // The engine computes the kernels' compact GEMMs: it cannot time the dense array's dilated error map.
    if (engine_ && cmd->error == ACCEL_ERR_NONE && cmd->estimate.stride_zero_macs &&
        !config_.skip_stride_zeros) {
        cmd->error = ACCEL_ERR_BAD_ARGUMENT;
        cmd->error_address = op.desc_address;
        cmd->why = std::string(opcode_name(op.desc.opcode)) + " of a stride-" +
                   std::to_string(op.conv.stride) +
                   " convolution: the PE array's engine runs the compact GEMM (the stride zeros skipped); "
                   "hardware.array.skip_stride_zeros must be on";
    }
    if (engine_ && op.is_gemm() && cmd->error == ACCEL_ERR_NONE) {
        // The engine's fill, stream and drain cycles in place of the model's.
        ComputeEstimate& c = cmd->estimate.compute;
        uint64_t& fill_drain = c.stalls[static_cast<int>(Stall::fill_drain)];
        const uint64_t cycles = engine_->tile_cycles();
        c.cycles = c.cycles - (c.mac_cycles + fill_drain) + cycles;
        c.mac_cycles = std::min(c.mac_cycles, cycles);
        fill_drain = cycles - c.mac_cycles;
    }
    cmd->actions = UnitActions{};
    if (cmd->error == ACCEL_ERR_NONE)
        count_actions(op, cmd->estimate.macs, cmd->estimate.outputs, cmd->actions);
    delay += sc_core::sc_time::from_value(period_.value() * cmd->estimate.compute.cycles) + access_delay_;
    trans.set_response_status(cmd->error == ACCEL_ERR_NONE ? tlm::TLM_OK_RESPONSE
                                                           : tlm::TLM_GENERIC_ERROR_RESPONSE);
}

kern::MacContext PeArray::mac_context(const DecodedOp& op) const {
    return kern::MacContext{op.acc, nullptr, engine_, config_.pe.kind};
}

bool PeArray::fail(TileCommand& cmd, const BufferSlot& s) {
    cmd.error = ACCEL_ERR_DMA_BUS;
    cmd.error_address = cmd.op->desc_address;
    cmd.why = std::string("the PE array's access to the ") + buffer_name(s.buffer) + " buffer at offset " +
              std::to_string(s.offset) + " failed";
    return false;
}

bool PeArray::read(const BufferSlot& s, uint64_t bytes, std::vector<uint8_t>& copy, const uint8_t*& out) {
    out = buffers_.read(buffer_address(s.buffer, s.offset), bytes, copy, access_delay_);
    return out != nullptr;
}

const float* PeArray::read_values(const DecodedOp& op, const Tile& t, const BufferSlot& s, uint64_t n,
                                  const num::Format& fmt, Staging& values) {
    const uint8_t* p = nullptr;
    if (!read(s, n * container_bytes(fmt), copy_, p)) return nullptr;
    // fp32 behind DMI is already what unpack() would give: the kernel reads it in place, unless this tile
    // writes an output over it (the outputs go straight into the buffers while the kernel runs).
    if (const float* v = fp32_in_place(p, fmt);
        v && p != copy_.data() && !overlaps_operand(op, t, s, true, Opnd::count))
        return v;
    values.resize(n);
    codec_.unpack(p, n, fmt, values.data());
    return values.data();
}

bool PeArray::write(const BufferSlot& s, const uint8_t* bytes, uint64_t n) {
    return buffers_.write(buffer_address(s.buffer, s.offset), bytes, n, access_delay_);
}

kern::Out PeArray::output(const BufferSlot& s, uint64_t n, const num::Format& fmt, const num::SrKey& key,
                          uint64_t index_base, StorageSink& sink, std::vector<uint8_t>& staging) {
    const uint64_t bytes = n * container_bytes(fmt);
    uint8_t* p = buffers_.direct(buffer_address(s.buffer, s.offset), bytes, true);
    if (!p) {
        staging.resize(bytes);
        p = staging.data();
    }
    sink.bind(p);
    return kern::Out{nullptr, fmt, key, nullptr, index_base, &sink};
}

bool PeArray::commit(const BufferSlot& s, const std::vector<uint8_t>& staging, uint64_t n,
                     const num::Format& fmt) {
    const uint64_t bytes = n * container_bytes(fmt);
    if (buffers_.direct(buffer_address(s.buffer, s.offset), bytes, true)) return true;  // written in place
    return write(s, staging.data(), bytes);
}

bool PeArray::read_doubles(const BufferSlot& s, double* out, uint64_t n) {
    const uint8_t* p = nullptr;
    if (!read(s, n * sizeof(double), copy_, p)) return false;
    std::memcpy(out, p, n * sizeof(double));
    return true;
}

bool PeArray::write_doubles(const BufferSlot& s, const double* in, uint64_t n) {
    return write(s, reinterpret_cast<const uint8_t*>(in), n * sizeof(double));
}

bool PeArray::forward(const DecodedOp& op, const Tile& t, TileCommand& cmd) {
    const num::Format* F = op.fmt;
    const kern::Conv2dShape& s = op.conv;
    const uint64_t n = t.n, kk = uint64_t{s.kernel} * s.kernel, P = uint64_t{s.out_rows()} * s.out_cols();
    const uint64_t plane = uint64_t{s.in_rows} * s.in_cols, outs = n * t.c * P;
    const BufferSlot &sx = t.slot(Opnd::x), &sw = t.slot(Opnd::w), &sb = t.slot(Opnd::b),
                     &sy = t.slot(Opnd::y);
    const BufferSlot& sacc = t.slots[kAccSlot];
    const float* xv = read_values(op, t, sx, n * t.kc * plane, F[ACCEL_OPND_X], in_[0]);
    if (!xv) return fail(cmd, sx);
    const float* wv = read_values(op, t, sw, uint64_t{t.c} * t.kc * kk, F[ACCEL_OPND_W], in_[1]);
    if (!wv) return fail(cmd, sw);
    const bool bias = op.has_bias && t.first;
    const float* bv = bias ? read_values(op, t, sb, t.c, F[ACCEL_OPND_W], in_[2]) : nullptr;
    if (bias && !bv) return fail(cmd, sb);
    double* acc = nullptr;
    if (!(t.first && t.last)) {
        acc_.resize(outs);
        acc = acc_.data();
        if (!t.first && !read_doubles(sacc, acc, outs)) return fail(cmd, sacc);
    }
    const kern::MacContext mc = mac_context(op);
    const num::SrKey key{op.desc.sr_seed, op.desc.sr_tensor[0], op.desc.sr_step};
    const kern::In x{xv, F[ACCEL_OPND_X]}, w{wv, F[ACCEL_OPND_W]}, b{bv, F[ACCEL_OPND_W]};
    const kern::ChannelTile ct{t.c0, t.c, t.k0, t.kc};
    const kern::TileStep step{t.first, t.last};
    const uint64_t index = op.is_fc() ? t.n0 * s.out_channels + t.c0 : t.n0 * s.out_size() + t.c0 * P;
    const kern::Out y = t.last ? output(sy, outs, F[ACCEL_OPND_Y], key, index, sink_[0], staging_[0])
                               : kern::Out{nullptr, F[ACCEL_OPND_Y], key};
    if (op.is_fc())
        kern::fc_forward_tile({s.in_channels, s.out_channels}, static_cast<uint32_t>(n), ct, x, w, b, acc,
                              step, y, mc, ws_);
    else
        kern::conv2d_forward_tile(s, static_cast<uint32_t>(n), ct, x, w, b, acc, step, y, mc, ws_);
    if (!t.last) return write_doubles(sacc, acc, outs) || fail(cmd, sacc);
    return commit(sy, staging_[0], outs, F[ACCEL_OPND_Y]) || fail(cmd, sy);
}

bool PeArray::backward_data(const DecodedOp& op, const Tile& t, TileCommand& cmd) {
    const num::Format* F = op.fmt;
    const kern::Conv2dShape& s = op.conv;
    const uint64_t n = t.n, kk = uint64_t{s.kernel} * s.kernel, P = uint64_t{s.out_rows()} * s.out_cols();
    const uint64_t plane = uint64_t{s.in_rows} * s.in_cols, outs = n * t.c * plane;
    const BufferSlot &sg = t.slot(Opnd::g), &sw = t.slot(Opnd::w), &sdx = t.slot(Opnd::dx);
    const BufferSlot& sacc = t.slots[kAccSlot];
    const float* gv = read_values(op, t, sg, n * t.kc * P, F[ACCEL_OPND_G], in_[0]);
    if (!gv) return fail(cmd, sg);
    const float* wv = read_values(op, t, sw, uint64_t{t.kc} * t.c * kk, F[ACCEL_OPND_W], in_[1]);
    if (!wv) return fail(cmd, sw);
    const uint64_t partials = n * t.c * kk * P;
    double* acc = nullptr;
    if (!(t.first && t.last)) {
        acc_.resize(partials);
        acc = acc_.data();
        if (!t.first && !read_doubles(sacc, acc, partials)) return fail(cmd, sacc);
    }
    const kern::MacContext mc = mac_context(op);
    const num::SrKey key{op.desc.sr_seed, op.desc.sr_tensor[0], op.desc.sr_step};
    const kern::In g{gv, F[ACCEL_OPND_G]}, w{wv, F[ACCEL_OPND_W]};
    const kern::ChannelTile ct{t.c0, t.c, t.k0, t.kc};
    const kern::TileStep step{t.first, t.last};
    const uint64_t index = op.is_fc() ? t.n0 * s.in_channels + t.c0 : t.n0 * s.in_size() + t.c0 * plane;
    const kern::Out dx = t.last ? output(sdx, outs, F[ACCEL_OPND_DX], key, index, sink_[0], staging_[0])
                                : kern::Out{nullptr, F[ACCEL_OPND_DX], key};
    if (op.is_fc())
        kern::fc_backward_data_tile({s.in_channels, s.out_channels}, static_cast<uint32_t>(n), ct, g, w, acc,
                                    step, dx, mc, ws_);
    else
        kern::conv2d_backward_data_tile(s, static_cast<uint32_t>(n), ct, g, w, acc, step, dx, mc, ws_);
    if (!t.last) return write_doubles(sacc, acc, partials) || fail(cmd, sacc);
    return commit(sdx, staging_[0], outs, F[ACCEL_OPND_DX]) || fail(cmd, sdx);
}

bool PeArray::weight_grad(const DecodedOp& op, const Tile& t, TileCommand& cmd) {
    const num::Format* F = op.fmt;
    const kern::Conv2dShape& s = op.conv;
    const uint64_t n = t.n, kk = uint64_t{s.kernel} * s.kernel, P = uint64_t{s.out_rows()} * s.out_cols();
    const uint64_t plane = uint64_t{s.in_rows} * s.in_cols, Kt = uint64_t{t.kc} * kk;
    const BufferSlot &sg = t.slot(Opnd::g), &sx = t.slot(Opnd::x), &sdw = t.slot(Opnd::dw),
                     &sdb = t.slot(Opnd::db);
    const BufferSlot& sacc = t.slots[kAccSlot];
    const float* gv = read_values(op, t, sg, n * t.c * P, F[ACCEL_OPND_G], in_[0]);
    if (!gv) return fail(cmd, sg);
    const float* xv = read_values(op, t, sx, n * t.kc * plane, F[ACCEL_OPND_X], in_[1]);
    if (!xv) return fail(cmd, sx);
    const bool bias_acc = op.has_bias && t.k0 == 0;
    const kern::ChannelTile ct{t.c0, t.c, t.k0, t.kc};
    // The buffer holds the accumulators unpadded (fc: c x kc; conv: Kt x c, transposed as the kernel keeps
    // them), then the c bias sums of a layer with a bias; conv's GEMM pads its rows to wgrad_acc_stride(c).
    const uint64_t stored = Kt * t.c + (op.has_bias ? t.c : 0);
    const uint64_t stride = op.is_fc() ? t.kc : kern::wgrad_acc_stride(t.c);
    const uint64_t rows = op.is_fc() ? t.c : Kt, cols = op.is_fc() ? t.kc : t.c;
    const uint64_t biases = op.has_bias ? t.c : 0;
    acc_.resize(rows * stride + t.c);
    double* acc = acc_.data();
    if (!t.first) {
        flat_.resize(stored);
        if (!read_doubles(sacc, flat_.data(), stored)) return fail(cmd, sacc);
        std::fill(acc, acc + rows * stride + t.c, 0.0);
        for (uint64_t r = 0; r < rows; ++r) std::copy_n(flat_.data() + r * cols, cols, acc + r * stride);
        std::copy_n(flat_.data() + rows * cols, biases, acc + rows * stride);
    }
    const kern::MacContext mc = mac_context(op);
    const num::SrKey key0{op.desc.sr_seed, op.desc.sr_tensor[0], op.desc.sr_step};
    const num::SrKey key1{op.desc.sr_seed, op.desc.sr_tensor[1], op.desc.sr_step};
    const kern::In g{gv, F[ACCEL_OPND_G]}, x{xv, F[ACCEL_OPND_X]};
    const kern::TileStep step{t.first, t.last};
    const bool db_out = t.last && bias_acc;
    const uint64_t dws = uint64_t{t.c} * Kt;
    const uint64_t dw_index = op.is_fc() ? uint64_t{t.c0} * s.in_channels + t.k0
                                         : uint64_t{t.c0} * s.patch_size() + uint64_t{t.k0} * kk;
    const kern::Out dw = t.last ? output(sdw, dws, F[ACCEL_OPND_DW], key0, dw_index, sink_[0], staging_[0])
                                : kern::Out{nullptr, F[ACCEL_OPND_DW], key0};
    const kern::Out db = db_out ? output(sdb, t.c, F[ACCEL_OPND_DW], key1, t.c0, sink_[1], staging_[1])
                                : kern::Out{nullptr, F[ACCEL_OPND_DW], key1};
    if (op.is_fc())
        kern::fc_weight_grad_tile({s.in_channels, s.out_channels}, static_cast<uint32_t>(n), ct, g, x, acc,
                                  bias_acc, step, dw, db, mc, ws_);
    else
        kern::conv2d_weight_grad_tile(s, static_cast<uint32_t>(n), ct, g, x, acc, bias_acc, step, dw, db, mc,
                                      ws_);
    if (!t.last) {
        flat_.resize(stored);
        for (uint64_t r = 0; r < rows; ++r) std::copy_n(acc + r * stride, cols, flat_.data() + r * cols);
        std::copy_n(acc + rows * stride, biases, flat_.data() + rows * cols);
        return write_doubles(sacc, flat_.data(), stored) || fail(cmd, sacc);
    }
    if (!commit(sdw, staging_[0], dws, F[ACCEL_OPND_DW])) return fail(cmd, sdw);
    return !db_out || commit(sdb, staging_[1], t.c, F[ACCEL_OPND_DW]) || fail(cmd, sdb);
}

}  // namespace trainvp
