#include "accel/pe_array.h"

#include <cstring>
#include <exception>

#include "accel/accel_protocol.h"
#include "kernels/conv2d.h"
#include "kernels/fully_connected.h"

namespace trainvp {

using namespace accel;

PeArray::PeArray(sc_core::sc_module_name name, const AcceleratorConfig& config)
    : sc_module(name),
      cmd_in("cmd_in"),
      buffers_out("buffers_out"),
      config_(config),
      timer_(config_),
      period_(sc_core::sc_time(1.0 / config.clock_hz, sc_core::SC_SEC)),
      buffers_(buffers_out),
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
    delay += sc_core::sc_time::from_value(period_.value() * cmd->estimate.compute.cycles) + access_delay_;
    trans.set_response_status(cmd->error == ACCEL_ERR_NONE ? tlm::TLM_OK_RESPONSE
                                                           : tlm::TLM_GENERIC_ERROR_RESPONSE);
}

bool PeArray::fail(TileCommand& cmd, const BufferSlot& s) {
    cmd.error = ACCEL_ERR_DMA_BUS;
    cmd.error_address = cmd.op->desc_address;
    cmd.why = std::string("the PE array's access to the ") + buffer_name(s.buffer) + " buffer at offset " +
              std::to_string(s.offset) + " failed";
    return false;
}

bool PeArray::read(const BufferSlot& s, uint64_t bytes, std::vector<uint8_t>& copy, const uint8_t*& out) {
    const uint64_t addr = buffer_address(s.buffer, s.offset);
    if (const uint8_t* p = buffers_.direct(addr, bytes, false)) {
        out = p;
        return true;
    }
    copy.resize(bytes);
    out = copy.data();
    return buffers_.transport(tlm::TLM_READ_COMMAND, addr, copy.data(), bytes, access_delay_);
}

bool PeArray::read_values(const BufferSlot& s, uint64_t n, const num::Format& fmt, Staging& values) {
    const uint8_t* p = nullptr;
    if (!read(s, n * container_bytes(fmt), copy_, p)) return false;
    values.resize(n);
    codec_.unpack(p, n, fmt, values.data());
    return true;
}

bool PeArray::write(const BufferSlot& s, const uint8_t* bytes, uint64_t n) {
    const uint64_t addr = buffer_address(s.buffer, s.offset);
    if (uint8_t* p = buffers_.direct(addr, n, true)) {
        if (p != bytes) std::memcpy(p, bytes, n);
        return true;
    }
    return buffers_.transport(tlm::TLM_WRITE_COMMAND, addr, const_cast<uint8_t*>(bytes), n, access_delay_);
}

bool PeArray::write_values(const BufferSlot& s, const float* values, uint64_t n, const num::Format& fmt) {
    const uint64_t bytes = n * container_bytes(fmt);
    if (uint8_t* p = buffers_.direct(buffer_address(s.buffer, s.offset), bytes, true)) {
        codec_.pack(values, n, fmt, p);
        return true;
    }
    bytes_.resize(bytes);
    codec_.pack(values, n, fmt, bytes_.data());
    return write(s, bytes_.data(), bytes);
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
    if (!read_values(sx, n * t.kc * plane, F[ACCEL_OPND_X], in_[0])) return fail(cmd, sx);
    if (!read_values(sw, uint64_t{t.c} * t.kc * kk, F[ACCEL_OPND_W], in_[1])) return fail(cmd, sw);
    const bool bias = op.has_bias && t.first;
    if (bias && !read_values(sb, t.c, F[ACCEL_OPND_W], in_[2])) return fail(cmd, sb);
    double* acc = nullptr;
    if (!(t.first && t.last)) {
        acc_.resize(outs);
        acc = acc_.data();
        if (!t.first && !read_doubles(sacc, acc, outs)) return fail(cmd, sacc);
    }
    out_[0].resize(t.last ? outs : 0);
    const kern::MacContext mc{op.acc, nullptr};
    const num::SrKey key{op.desc.sr_seed, op.desc.sr_tensor[0], op.desc.sr_step};
    const kern::In x{in_[0].data(), F[ACCEL_OPND_X]}, w{in_[1].data(), F[ACCEL_OPND_W]},
        b{bias ? in_[2].data() : nullptr, F[ACCEL_OPND_W]};
    const kern::ChannelTile ct{t.c0, t.c, t.k0, t.kc};
    const kern::TileStep step{t.first, t.last};
    if (op.is_fc()) {
        const kern::Out y{out_[0].data(), F[ACCEL_OPND_Y], key, nullptr, t.n0 * s.out_channels + t.c0};
        kern::fc_forward_tile({s.in_channels, s.out_channels}, static_cast<uint32_t>(n), ct, x, w, b, acc,
                              step, y, mc, ws_);
    } else {
        const kern::Out y{out_[0].data(), F[ACCEL_OPND_Y], key, nullptr, t.n0 * s.out_size() + t.c0 * P};
        kern::conv2d_forward_tile(s, static_cast<uint32_t>(n), ct, x, w, b, acc, step, y, mc, ws_);
    }
    if (!t.last) return write_doubles(sacc, acc, outs) || fail(cmd, sacc);
    return write_values(sy, out_[0].data(), outs, F[ACCEL_OPND_Y]) || fail(cmd, sy);
}

bool PeArray::backward_data(const DecodedOp& op, const Tile& t, TileCommand& cmd) {
    const num::Format* F = op.fmt;
    const kern::Conv2dShape& s = op.conv;
    const uint64_t n = t.n, kk = uint64_t{s.kernel} * s.kernel, P = uint64_t{s.out_rows()} * s.out_cols();
    const uint64_t plane = uint64_t{s.in_rows} * s.in_cols, outs = n * t.c * plane;
    const BufferSlot &sg = t.slot(Opnd::g), &sw = t.slot(Opnd::w), &sdx = t.slot(Opnd::dx);
    const BufferSlot& sacc = t.slots[kAccSlot];
    if (!read_values(sg, n * t.kc * P, F[ACCEL_OPND_G], in_[0])) return fail(cmd, sg);
    if (!read_values(sw, uint64_t{t.kc} * t.c * kk, F[ACCEL_OPND_W], in_[1])) return fail(cmd, sw);
    const uint64_t partials = n * t.c * kk * P;
    double* acc = nullptr;
    if (!(t.first && t.last)) {
        acc_.resize(partials);
        acc = acc_.data();
        if (!t.first && !read_doubles(sacc, acc, partials)) return fail(cmd, sacc);
    }
    out_[0].resize(t.last ? outs : 0);
    const kern::MacContext mc{op.acc, nullptr};
    const num::SrKey key{op.desc.sr_seed, op.desc.sr_tensor[0], op.desc.sr_step};
    const kern::In g{in_[0].data(), F[ACCEL_OPND_G]}, w{in_[1].data(), F[ACCEL_OPND_W]};
    const kern::ChannelTile ct{t.c0, t.c, t.k0, t.kc};
    const kern::TileStep step{t.first, t.last};
    if (op.is_fc()) {
        const kern::Out dx{out_[0].data(), F[ACCEL_OPND_DX], key, nullptr, t.n0 * s.in_channels + t.c0};
        kern::fc_backward_data_tile({s.in_channels, s.out_channels}, static_cast<uint32_t>(n), ct, g, w, acc,
                                    step, dx, mc, ws_);
    } else {
        const kern::Out dx{out_[0].data(), F[ACCEL_OPND_DX], key, nullptr, t.n0 * s.in_size() + t.c0 * plane};
        kern::conv2d_backward_data_tile(s, static_cast<uint32_t>(n), ct, g, w, acc, step, dx, mc, ws_);
    }
    if (!t.last) return write_doubles(sacc, acc, partials) || fail(cmd, sacc);
    return write_values(sdx, out_[0].data(), outs, F[ACCEL_OPND_DX]) || fail(cmd, sdx);
}

bool PeArray::weight_grad(const DecodedOp& op, const Tile& t, TileCommand& cmd) {
    const num::Format* F = op.fmt;
    const kern::Conv2dShape& s = op.conv;
    const uint64_t n = t.n, kk = uint64_t{s.kernel} * s.kernel, P = uint64_t{s.out_rows()} * s.out_cols();
    const uint64_t plane = uint64_t{s.in_rows} * s.in_cols, Kt = uint64_t{t.kc} * kk;
    const BufferSlot &sg = t.slot(Opnd::g), &sx = t.slot(Opnd::x), &sdw = t.slot(Opnd::dw),
                     &sdb = t.slot(Opnd::db);
    const BufferSlot& sacc = t.slots[kAccSlot];
    if (!read_values(sg, n * t.c * P, F[ACCEL_OPND_G], in_[0])) return fail(cmd, sg);
    if (!read_values(sx, n * t.kc * plane, F[ACCEL_OPND_X], in_[1])) return fail(cmd, sx);
    const bool bias_acc = op.has_bias && t.k0 == 0;
    const kern::ChannelTile ct{t.c0, t.c, t.k0, t.kc};
    // The buffer holds the accumulators unpadded: Kt x c weight sums, then c bias sums (with a bias); conv's
    // GEMM works on rows padded to wgrad_acc_stride(c).
    const uint64_t stored = Kt * t.c + (op.has_bias ? t.c : 0);
    const uint64_t stride = op.is_fc() ? t.kc : kern::wgrad_acc_stride(t.c);
    const uint64_t rows = op.is_fc() ? t.c : Kt, cols = op.is_fc() ? t.kc : t.c;
    acc_.resize(rows * stride + t.c);
    double* acc = acc_.data();
    auto pack = [&](bool to_buffer, double* flat) {
        for (uint64_t r = 0; r < rows; ++r)
            for (uint64_t j = 0; j < cols; ++j) {
                double& a = acc[r * stride + j];
                double& b = flat[r * cols + j];
                if (to_buffer)
                    b = a;
                else
                    a = b;
            }
        for (uint64_t j = 0; j < (op.has_bias ? t.c : 0); ++j) {
            double& a = acc[rows * stride + j];
            double& b = flat[rows * cols + j];
            if (to_buffer)
                b = a;
            else
                a = b;
        }
    };
    std::vector<double> flat;
    if (!t.first) {
        flat.resize(stored);
        if (!read_doubles(sacc, flat.data(), stored)) return fail(cmd, sacc);
        std::fill(acc, acc + rows * stride + t.c, 0.0);
        pack(false, flat.data());
    }
    out_[0].resize(t.last ? uint64_t{t.c} * Kt : 0);
    out_[1].resize(t.last && bias_acc ? t.c : 0);
    const kern::MacContext mc{op.acc, nullptr};
    const num::SrKey key0{op.desc.sr_seed, op.desc.sr_tensor[0], op.desc.sr_step};
    const num::SrKey key1{op.desc.sr_seed, op.desc.sr_tensor[1], op.desc.sr_step};
    const kern::In g{in_[0].data(), F[ACCEL_OPND_G]}, x{in_[1].data(), F[ACCEL_OPND_X]};
    const kern::TileStep step{t.first, t.last};
    float* db_data = t.last && bias_acc ? out_[1].data() : nullptr;
    const kern::Out db{db_data, F[ACCEL_OPND_DW], key1, nullptr, t.c0};
    if (op.is_fc()) {
        const kern::Out dw{out_[0].data(), F[ACCEL_OPND_DW], key0, nullptr,
                           uint64_t{t.c0} * s.in_channels + t.k0};
        kern::fc_weight_grad_tile({s.in_channels, s.out_channels}, static_cast<uint32_t>(n), ct, g, x, acc,
                                  bias_acc, step, dw, db, mc, ws_);
    } else {
        const kern::Out dw{out_[0].data(), F[ACCEL_OPND_DW], key0, nullptr,
                           uint64_t{t.c0} * s.patch_size() + uint64_t{t.k0} * kk};
        kern::conv2d_weight_grad_tile(s, static_cast<uint32_t>(n), ct, g, x, acc, bias_acc, step, dw, db, mc,
                                      ws_);
    }
    if (!t.last) {
        flat.resize(stored);
        pack(true, flat.data());
        return write_doubles(sacc, flat.data(), stored) || fail(cmd, sacc);
    }
    if (!write_values(sdw, out_[0].data(), out_[0].size(), F[ACCEL_OPND_DW])) return fail(cmd, sdw);
    return !db_data || write_values(sdb, db_data, t.c, F[ACCEL_OPND_DW]) || fail(cmd, sdb);
}

}  // namespace trainvp
