#include "accel/accel_op.h"

#include <cstring>

#include "accel/accel_format.h"
#include "common/log.h"
#include "kernels/gemm.h"

namespace trainvp::accel {

namespace {

struct Fail {
    uint32_t code;
    uint64_t address;
    std::string why;
};

[[noreturn]] void fail(uint32_t code, uint64_t address, std::string why) {
    throw Fail{code, address, std::move(why)};
}

void check_dims(const AcceleratorConfig& cfg, uint64_t desc_addr,
                std::initializer_list<std::pair<const char*, uint64_t>> dims) {
    for (const auto& [name, v] : dims) {
        if (v == 0) fail(ACCEL_ERR_SHAPE, desc_addr, std::string(name) + " is 0");
        if (v > cfg.max_dim)
            fail(ACCEL_ERR_SHAPE, desc_addr,
                 std::string(name) + " = " + std::to_string(v) + " exceeds CAP_MAX_DIM " +
                     std::to_string(cfg.max_dim));
    }
}

}  // namespace

const char* operand_name(Opnd o) {
    static const char* const names[] = {"x",  "w",  "b",   "y",      "g",      "dx",
                                        "dw", "db", "aux", "labels", "master", "velocity"};
    return o < Opnd::count ? names[static_cast<int>(o)] : "?";
}

const char* opcode_name(uint32_t opcode) {
    switch (opcode) {
#define ACCEL_OPCODE_NAME(name, value, desc) \
    case value:                              \
        return #name;
        ACCEL_OPCODES(ACCEL_OPCODE_NAME)
#undef ACCEL_OPCODE_NAME
        default:
            return "?";
    }
}

const char* error_name(uint32_t code) {
    switch (code) {
#define ACCEL_ERROR_NAME(name, value, desc) \
    case value:                             \
        return #name;
        ACCEL_ERRORS(ACCEL_ERROR_NAME)
#undef ACCEL_ERROR_NAME
        default:
            return "?";
    }
}

bool DecodedOp::is_gemm() const {
    return desc.opcode >= ACCEL_OP_CONV_FWD && desc.opcode <= ACCEL_OP_FC_WGRAD;
}
bool DecodedOp::is_fc() const {
    return desc.opcode >= ACCEL_OP_FC_FWD && desc.opcode <= ACCEL_OP_FC_WGRAD;
}

bool decode_descriptor(const accel_desc& d, uint64_t desc_addr, const AcceleratorConfig& cfg, DecodedOp& op,
                       DecodeError& err) {
    op = DecodedOp{};
    op.desc = d;
    op.desc_address = desc_addr;
    try {
        if (d.opcode >= ACCEL_OP_COUNT)
            fail(ACCEL_ERR_UNKNOWN_OPCODE, desc_addr, "unknown opcode " + std::to_string(d.opcode));
        if (d.flags & ~ACCEL_FLAGS_ALL) fail(ACCEL_ERR_BAD_ARGUMENT, desc_addr, "unknown flag bits");
        for (uint32_t r : d.reserved)
            if (r) fail(ACCEL_ERR_BAD_ARGUMENT, desc_addr, "reserved word non-zero");
        if ((d.flags & (ACCEL_FLAG_ADD_X3 | ACCEL_FLAG_ADD_X4)) && d.opcode != ACCEL_OP_ADD)
            fail(ACCEL_ERR_BAD_ARGUMENT, desc_addr, "ADD_X3 or ADD_X4 on an opcode other than ADD");
        if (d.sr_index_base && d.opcode != ACCEL_OP_DMA_COPY)
            fail(ACCEL_ERR_BAD_ARGUMENT, desc_addr,
                 "sr_index_base non-zero on an opcode other than DMA_COPY");
        op.has_bias = d.flags & ACCEL_FLAG_HAS_BIAS;
        op.batch = d.batch;
        op.acc.bits = d.acc_bits ? d.acc_bits : 48;
        const uint32_t opc = d.opcode;
        // The int8 max-code record (accel_int8_max): aligned, inside the DRAM window.
        if (d.addr_int8_max) {
            if (d.addr_int8_max % 4)
                fail(ACCEL_ERR_MISALIGNED, d.addr_int8_max, "addr_int8_max not aligned to 4");
            if (d.addr_int8_max < cfg.dram_base ||
                uint64_t{d.addr_int8_max} + sizeof(accel_int8_max) > cfg.dram_base + cfg.dram_size)
                fail(ACCEL_ERR_ADDR_RANGE, d.addr_int8_max,
                     "addr_int8_max [" + hex32(d.addr_int8_max) + ", +16) outside the DRAM window");
        }
        if (opc == ACCEL_OP_NOP) return true;

        auto use = [&](Opnd o, bool rd, bool wr, uint64_t elements, int slot, BufferId buf,
                       unsigned raw_bytes = 0) {
            Operand& x = op.op(o);
            x.used = true;
            x.read |= rd;
            x.write |= wr;
            x.elements = elements;
            x.buffer = buf;
            if (raw_bytes) {
                x.elem_bytes = raw_bytes;
            } else {
                x.fmt = op.fmt[slot];
                x.elem_bytes = container_bytes(x.fmt);
            }
        };
        // Formats of the slots this opcode reads; a slot it does not use is not checked.
        auto need_fmt = [&](int slot) {
            num::Format f;
            if (!format_from_code(d.fmt[slot], f))
                fail(ACCEL_ERR_FORMAT, desc_addr,
                     "invalid format code " + hex32(d.fmt[slot]) + " in slot " + std::to_string(slot));
            if (!(cfg.supported_formats & (1u << ACCEL_FMT_KIND_OF(d.fmt[slot]))))
                fail(ACCEL_ERR_FORMAT, desc_addr, "format " + f.to_string() + " not supported (CAP_FORMATS)");
            op.fmt[slot] = f;
        };

        const bool gemm = opc >= ACCEL_OP_CONV_FWD && opc <= ACCEL_OP_FC_WGRAD;
        if (gemm) {
            if (op.acc.bits < 8 || op.acc.bits > static_cast<int>(cfg.max_acc_bits))
                fail(ACCEL_ERR_BAD_ARGUMENT, desc_addr,
                     "acc_bits " + std::to_string(op.acc.bits) + " outside 8..CAP_MAX_ACC_BITS");
            kern::Conv2dShape s;
            if (opc <= ACCEL_OP_CONV_WGRAD) {
                check_dims(cfg, desc_addr,
                           {{"batch", d.batch},
                            {"in_channels", d.in_channels},
                            {"in_rows", d.in_rows},
                            {"in_cols", d.in_cols},
                            {"out_channels", d.out_channels},
                            {"kernel", d.kernel},
                            {"stride", d.stride}});
                s = kern::Conv2dShape{d.in_channels, d.in_rows, d.in_cols, d.out_channels,
                                      d.kernel,      d.stride,  d.pad};
                if (d.in_rows + 2u * d.pad < d.kernel || d.in_cols + 2u * d.pad < d.kernel)
                    fail(ACCEL_ERR_SHAPE, desc_addr, "kernel larger than the padded input");
            } else {
                check_dims(cfg, desc_addr, {{"batch", d.batch}, {"fc_in", d.fc_in}, {"fc_out", d.fc_out}});
                s = kern::Conv2dShape{d.fc_in, 1, 1, d.fc_out, 1, 1, 0};
            }
            op.conv = s;
            const uint64_t N = d.batch, in = s.in_size(), out = s.out_size(), wn = uint64_t{s.weight_count()};
            const int phase = (opc - ACCEL_OP_CONV_FWD) % 3;  // 0 forward, 1 backward-data, 2 weight-gradient
            if (phase == 0) {
                need_fmt(ACCEL_OPND_X), need_fmt(ACCEL_OPND_W), need_fmt(ACCEL_OPND_Y);
                use(Opnd::x, true, false, N * in, ACCEL_OPND_X, BufferId::activation);
                use(Opnd::w, true, false, wn, ACCEL_OPND_W, BufferId::weight);
                if (op.has_bias) use(Opnd::b, true, false, s.out_channels, ACCEL_OPND_W, BufferId::weight);
                use(Opnd::y, false, true, N * out, ACCEL_OPND_Y, BufferId::activation);
            } else if (phase == 1) {
                need_fmt(ACCEL_OPND_G), need_fmt(ACCEL_OPND_W), need_fmt(ACCEL_OPND_DX);
                use(Opnd::g, true, false, N * out, ACCEL_OPND_G, BufferId::gradient);
                use(Opnd::w, true, false, wn, ACCEL_OPND_W, BufferId::weight);
                use(Opnd::dx, false, true, N * in, ACCEL_OPND_DX, BufferId::gradient);
            } else {
                need_fmt(ACCEL_OPND_G), need_fmt(ACCEL_OPND_X), need_fmt(ACCEL_OPND_DW);
                use(Opnd::g, true, false, N * out, ACCEL_OPND_G, BufferId::gradient);
                use(Opnd::x, true, false, N * in, ACCEL_OPND_X, BufferId::activation);
                use(Opnd::dw, false, true, wn, ACCEL_OPND_DW, BufferId::gradient);
                if (op.has_bias)
                    use(Opnd::db, false, true, s.out_channels, ACCEL_OPND_DW, BufferId::gradient);
            }
        } else if (opc >= ACCEL_OP_MAXPOOL_FWD && opc <= ACCEL_OP_AVGPOOL_BWD) {
            check_dims(cfg, desc_addr,
                       {{"batch", d.batch},
                        {"in_channels", d.in_channels},
                        {"in_rows", d.in_rows},
                        {"in_cols", d.in_cols},
                        {"kernel (pool size)", d.kernel},
                        {"stride", d.stride}});
            if (d.kernel > d.in_rows || d.kernel > d.in_cols)
                fail(ACCEL_ERR_SHAPE, desc_addr, "pool window larger than the input");
            op.pool = kern::PoolShape{d.in_channels, d.in_rows, d.in_cols, d.kernel, d.stride};
            const uint64_t N = d.batch, in = op.pool.in_size(), out = op.pool.out_size();
            const bool max = opc <= ACCEL_OP_MAXPOOL_BWD;
            if (opc == ACCEL_OP_MAXPOOL_FWD || opc == ACCEL_OP_AVGPOOL_FWD) {
                need_fmt(ACCEL_OPND_X), need_fmt(ACCEL_OPND_Y);
                use(Opnd::x, true, false, N * in, ACCEL_OPND_X, BufferId::activation);
                use(Opnd::y, false, true, N * out, ACCEL_OPND_Y, BufferId::activation);
                if (max) use(Opnd::aux, false, true, N * out, 0, BufferId::activation, 4);
            } else {
                need_fmt(ACCEL_OPND_G), need_fmt(ACCEL_OPND_DX);
                use(Opnd::g, true, false, N * out, ACCEL_OPND_G, BufferId::gradient);
                if (max) use(Opnd::aux, true, false, N * out, 0, BufferId::gradient, 4);
                use(Opnd::dx, false, true, N * in, ACCEL_OPND_DX, BufferId::gradient);
            }
        } else if (opc == ACCEL_OP_GAVGPOOL_FWD || opc == ACCEL_OP_GAVGPOOL_BWD) {
            check_dims(cfg, desc_addr,
                       {{"batch", d.batch},
                        {"in_channels", d.in_channels},
                        {"in_rows", d.in_rows},
                        {"in_cols", d.in_cols}});
            op.gpool = kern::GlobalPoolShape{d.in_channels, d.in_rows, d.in_cols};
            const uint64_t N = d.batch, in = uint64_t{d.in_channels} * op.gpool.plane(), out = d.in_channels;
            if (opc == ACCEL_OP_GAVGPOOL_FWD) {
                need_fmt(ACCEL_OPND_X), need_fmt(ACCEL_OPND_Y);
                use(Opnd::x, true, false, N * in, ACCEL_OPND_X, BufferId::activation);
                use(Opnd::y, false, true, N * out, ACCEL_OPND_Y, BufferId::activation);
            } else {
                need_fmt(ACCEL_OPND_G), need_fmt(ACCEL_OPND_DX);
                use(Opnd::g, true, false, N * out, ACCEL_OPND_G, BufferId::gradient);
                use(Opnd::dx, false, true, N * in, ACCEL_OPND_DX, BufferId::gradient);
            }
        } else if (opc == ACCEL_OP_NORM_FWD || opc == ACCEL_OP_NORM_BWD) {
            check_dims(cfg, desc_addr,
                       {{"batch", d.batch},
                        {"in_channels", d.in_channels},
                        {"in_rows", d.in_rows},
                        {"in_cols", d.in_cols},
                        {"out_channels (groups)", d.out_channels}});
            if (opc == ACCEL_OP_NORM_FWD && (d.flags & ACCEL_FLAG_NORM_RANGE_GRAD))
                fail(ACCEL_ERR_BAD_ARGUMENT, desc_addr, "NORM_RANGE_GRAD on NORM_FWD");
            if (opc == ACCEL_OP_NORM_FWD && (d.flags & ACCEL_FLAG_NORM_PROJECT))
                fail(ACCEL_ERR_BAD_ARGUMENT, desc_addr, "NORM_PROJECT on NORM_FWD");
            if ((d.flags & ACCEL_FLAG_NORM_RANGE_GRAD) && (d.flags & ACCEL_FLAG_NORM_PROJECT))
                fail(ACCEL_ERR_BAD_ARGUMENT, desc_addr, "NORM_RANGE_GRAD and NORM_PROJECT together");
            kern::GroupNormShape& s = op.norm;
            s.channels = d.in_channels, s.rows = d.in_rows, s.cols = d.in_cols;
            s.groups = d.out_channels;
            s.scale_bits = d.kernel;
            s.range_gradient = d.flags & ACCEL_FLAG_NORM_RANGE_GRAD;
            s.projection = d.flags & ACCEL_FLAG_NORM_PROJECT;
            try {
                s.validate();
            } catch (const std::exception& e) {
                fail(ACCEL_ERR_SHAPE, desc_addr, e.what());
            }
            const uint64_t N = d.batch, n = N * s.size(), C = s.channels;
            const uint64_t stats_words = N * s.groups * (sizeof(accel_norm_stats) / 8);
            need_fmt(ACCEL_OPND_X), need_fmt(ACCEL_OPND_W);
            use(Opnd::x, true, false, n, ACCEL_OPND_X, BufferId::activation);
            use(Opnd::w, true, false, C, ACCEL_OPND_W, BufferId::weight);
            if (opc == ACCEL_OP_NORM_FWD) {
                need_fmt(ACCEL_OPND_Y);
                use(Opnd::b, true, false, C, ACCEL_OPND_W, BufferId::weight);
                use(Opnd::y, false, true, n, ACCEL_OPND_Y, BufferId::activation);
                use(Opnd::aux, false, true, stats_words, 0, BufferId::activation, 8);
            } else {
                need_fmt(ACCEL_OPND_G), need_fmt(ACCEL_OPND_DX), need_fmt(ACCEL_OPND_DW);
                use(Opnd::g, true, false, n, ACCEL_OPND_G, BufferId::gradient);
                use(Opnd::aux, true, false, stats_words, 0, BufferId::activation, 8);
                use(Opnd::dx, false, true, n, ACCEL_OPND_DX, BufferId::gradient);
                use(Opnd::dw, false, true, C, ACCEL_OPND_DW, BufferId::gradient);
                use(Opnd::db, false, true, C, ACCEL_OPND_DW, BufferId::gradient);
            }
        } else if (opc == ACCEL_OP_SOFTMAX_XENT) {
            check_dims(cfg, desc_addr, {{"batch", d.batch}, {"fc_out (classes)", d.fc_out}});
            if (d.fc_out > 256) fail(ACCEL_ERR_SHAPE, desc_addr, "more than 256 classes (labels are u8)");
            op.classes = d.fc_out;
            need_fmt(ACCEL_OPND_X);
            use(Opnd::x, true, false, uint64_t{d.batch} * d.fc_out, ACCEL_OPND_X, BufferId::activation);
            use(Opnd::labels, true, false, d.batch, 0, BufferId::activation, 1);
            use(Opnd::aux, false, true, 2, 0, BufferId::activation, 8);  // one 16-byte accel_loss_result
            if (d.flags & ACCEL_FLAG_LOSS_GRAD) {
                need_fmt(ACCEL_OPND_DX);
                use(Opnd::dx, false, true, uint64_t{d.batch} * d.fc_out, ACCEL_OPND_DX, BufferId::gradient);
            }
        } else {
            if (d.count == 0) fail(ACCEL_ERR_SHAPE, desc_addr, "count is 0");
            op.count = d.count;
            const uint64_t n = d.count;
            switch (opc) {
                case ACCEL_OP_RELU_FWD:
                case ACCEL_OP_DMA_COPY:
                    need_fmt(ACCEL_OPND_X), need_fmt(ACCEL_OPND_Y);
                    use(Opnd::x, true, false, n, ACCEL_OPND_X, BufferId::activation);
                    use(Opnd::y, false, true, n, ACCEL_OPND_Y, BufferId::activation);
                    break;
                case ACCEL_OP_ADD:
                    if ((d.flags & ACCEL_FLAG_ADD_X4) && !(d.flags & ACCEL_FLAG_ADD_X3))
                        fail(ACCEL_ERR_BAD_ARGUMENT, desc_addr, "ADD_X4 without ADD_X3");
                    need_fmt(ACCEL_OPND_X), need_fmt(ACCEL_OPND_G), need_fmt(ACCEL_OPND_Y);
                    use(Opnd::x, true, false, n, ACCEL_OPND_X, BufferId::activation);
                    use(Opnd::g, true, false, n, ACCEL_OPND_G, BufferId::gradient);
                    if (d.flags & ACCEL_FLAG_ADD_X3) {
                        need_fmt(ACCEL_OPND_DX);
                        use(Opnd::dx, true, false, n, ACCEL_OPND_DX, BufferId::gradient);
                    }
                    if (d.flags & ACCEL_FLAG_ADD_X4) {
                        need_fmt(ACCEL_OPND_DW);
                        use(Opnd::dw, true, false, n, ACCEL_OPND_DW, BufferId::gradient);
                    }
                    use(Opnd::y, false, true, n, ACCEL_OPND_Y, BufferId::activation);
                    break;
                case ACCEL_OP_RELU_BWD:
                    need_fmt(ACCEL_OPND_Y), need_fmt(ACCEL_OPND_G), need_fmt(ACCEL_OPND_DX);
                    use(Opnd::y, true, false, n, ACCEL_OPND_Y, BufferId::activation);
                    use(Opnd::g, true, false, n, ACCEL_OPND_G, BufferId::gradient);
                    use(Opnd::dx, false, true, n, ACCEL_OPND_DX, BufferId::gradient);
                    break;
                default:  // SGD_UPDATE
                    check_dims(cfg, desc_addr, {{"batch", d.batch}});
                    need_fmt(ACCEL_OPND_DW), need_fmt(ACCEL_OPND_MASTER), need_fmt(ACCEL_OPND_W);
                    use(Opnd::dw, true, false, n, ACCEL_OPND_DW, BufferId::gradient);
                    use(Opnd::master, true, true, n, ACCEL_OPND_MASTER, BufferId::weight);
                    if (d.momentum != 0.0)
                        use(Opnd::velocity, true, true, n, ACCEL_OPND_MASTER, BufferId::weight);
                    use(Opnd::w, false, true, n, ACCEL_OPND_W, BufferId::weight);
                    break;
            }
        }
        // Addresses: aligned to the element container, inside the DRAM window.
        const uint64_t lo = cfg.dram_base, hi = cfg.dram_base + cfg.dram_size;
        static const uint32_t accel_desc::*const addr_field[kOperandCount] = {
            &accel_desc::addr_x,      &accel_desc::addr_w,      &accel_desc::addr_b,
            &accel_desc::addr_y,      &accel_desc::addr_g,      &accel_desc::addr_dx,
            &accel_desc::addr_dw,     &accel_desc::addr_db,     &accel_desc::addr_aux,
            &accel_desc::addr_labels, &accel_desc::addr_master, &accel_desc::addr_velocity};
        for (int i = 0; i < kOperandCount; ++i) {
            Operand& x = op.operands[i];
            if (!x.used) continue;
            x.address = d.*addr_field[i];
            if (x.address % x.elem_bytes)
                fail(ACCEL_ERR_MISALIGNED, x.address,
                     std::string("addr_") + operand_name(static_cast<Opnd>(i)) + " not aligned to " +
                         std::to_string(x.elem_bytes));
            if (x.address < lo || x.address + x.bytes() > hi || x.bytes() > hi - lo)
                fail(ACCEL_ERR_ADDR_RANGE, x.address,
                     std::string("addr_") + operand_name(static_cast<Opnd>(i)) + " [" + hex32(x.address) +
                         ", +" + std::to_string(x.bytes()) + ") outside the DRAM window");
        }
        if (gemm) {
            kern::mac_config(op.fmt[ACCEL_OPND_X], op.fmt[ACCEL_OPND_W], op.acc);  // width check only
            // The operand pair the PE multiplies in this phase (forward W.X, backward-data W.G, weight
            // gradient G.X) must be one the configured PE computes.
            const int phase = (d.opcode - ACCEL_OP_CONV_FWD) % 3;
            const num::Format& a = op.fmt[phase == 2 ? ACCEL_OPND_G : ACCEL_OPND_W];
            const num::Format& b = op.fmt[phase == 1 ? ACCEL_OPND_G : ACCEL_OPND_X];
            if (const std::string why = timing::pe_pair_error(cfg.pe, a, b); !why.empty())
                fail(ACCEL_ERR_BAD_ARGUMENT, desc_addr, why);
        }
        return true;
    } catch (const Fail& f) {
        err.code = f.code;
        err.address = f.address;
        err.why = f.why;
        return false;
    } catch (const std::exception& e) {
        err.code = ACCEL_ERR_BAD_ARGUMENT;
        err.address = desc_addr;
        err.why = e.what();
        return false;
    }
}

}  // namespace trainvp::accel
