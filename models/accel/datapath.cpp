// The Accelerator's datapath: operands in through the DMA, the layer phase computed by the kernels on the
// whole descriptor (the tile plan only drives traffic and timing; partial sums are exact, so tiling cannot
// change a result), results out through the DMA. Values match the golden trainer bit for bit.
#include <cstring>

#include "accel/accel_format.h"
#include "accel/accelerator.h"
#include "kernels/activation.h"
#include "kernels/conv2d.h"
#include "kernels/fully_connected.h"
#include "kernels/loss.h"
#include "kernels/pool.h"
#include "kernels/sgd.h"

namespace trainvp {

using namespace accel;

namespace {

bool dma_error(DmaEngine& dma, DecodeError& err, const char* what, Opnd o) {
    err.code = ACCEL_ERR_DMA_BUS;
    err.address = dma.fault_address();
    err.why = std::string("DMA ") + what + " of operand " + operand_name(o) + " answered with a TLM error";
    return false;
}

}  // namespace

bool Accelerator::load_raw(const DecodedOp& op, Opnd which, sc_core::sc_time& t, DecodeError& err) {
    const Operand& o = op.op(which);
    bytes_.resize(o.bytes());
    if (!dma_.read(o.address, bytes_.data(), o.bytes(), t)) return dma_error(dma_, err, "read", which);
    buffers_[static_cast<int>(o.buffer)]->load_contents(0, bytes_.data(), o.bytes());
    return true;
}

bool Accelerator::load(const DecodedOp& op, Opnd which, Staging& values, sc_core::sc_time& t,
                       DecodeError& err) {
    if (!load_raw(op, which, t, err)) return false;
    const Operand& o = op.op(which);
    values.resize(o.elements);
    codec_.unpack(bytes_.data(), o.elements, o.fmt, values.data());
    return true;
}

bool Accelerator::store_raw(const DecodedOp& op, Opnd which, const uint8_t* bytes, sc_core::sc_time& t,
                            DecodeError& err) {
    const Operand& o = op.op(which);
    if (!dma_.write(o.address, bytes, o.bytes(), t)) return dma_error(dma_, err, "write", which);
    return true;
}

bool Accelerator::store(const DecodedOp& op, Opnd which, const Staging& values, sc_core::sc_time& t,
                        DecodeError& err) {
    const Operand& o = op.op(which);
    bytes_.resize(o.bytes());
    codec_.pack(values.data(), o.elements, o.fmt, bytes_.data());
    return store_raw(op, which, bytes_.data(), t, err);
}

bool Accelerator::run_datapath(const DecodedOp& op, sc_core::sc_time& rd, sc_core::sc_time& wr,
                               DecodeError& err) {
    const accel_desc& d = op.desc;
    const num::Format* F = op.fmt;
    const num::SrKey key0{d.sr_seed, d.sr_tensor[0], d.sr_step};
    const num::SrKey key1{d.sr_seed, d.sr_tensor[1], d.sr_step};
    const num::SrKey key2{d.sr_seed, d.sr_tensor[2], d.sr_step};
    const kern::MacContext mc{op.acc, nullptr};
    const uint32_t N = op.batch;
    auto& x = t_[0];
    auto& w = t_[1];
    auto& b = t_[2];
    auto& y = t_[3];
    auto& g = t_[4];
    auto& dx = t_[5];
    auto sized = [&](Staging& v, Opnd o) -> float* {
        v.resize(op.op(o).elements);
        return v.data();
    };
    try {
        switch (d.opcode) {
            case ACCEL_OP_NOP:
                return true;
            case ACCEL_OP_CONV_FWD:
            case ACCEL_OP_FC_FWD: {
                if (!load(op, Opnd::x, x, rd, err) || !load(op, Opnd::w, w, rd, err)) return false;
                if (op.has_bias && !load(op, Opnd::b, b, rd, err)) return false;
                const kern::In bias{op.has_bias ? b.data() : nullptr, F[ACCEL_OPND_W]};
                const kern::Out out{sized(y, Opnd::y), F[ACCEL_OPND_Y], key0};
                if (d.opcode == ACCEL_OP_CONV_FWD)
                    kern::conv2d_forward(op.conv, N, {x.data(), F[ACCEL_OPND_X]}, {w.data(), F[ACCEL_OPND_W]},
                                         bias, out, mc, ws_);
                else
                    kern::fc_forward({op.conv.in_channels, op.conv.out_channels}, N,
                                     {x.data(), F[ACCEL_OPND_X]}, {w.data(), F[ACCEL_OPND_W]}, bias, out, mc,
                                     ws_);
                return store(op, Opnd::y, y, wr, err);
            }
            case ACCEL_OP_CONV_BWD_DATA:
            case ACCEL_OP_FC_BWD_DATA: {
                if (!load(op, Opnd::g, g, rd, err) || !load(op, Opnd::w, w, rd, err)) return false;
                const kern::Out out{sized(dx, Opnd::dx), F[ACCEL_OPND_DX], key0};
                if (d.opcode == ACCEL_OP_CONV_BWD_DATA)
                    kern::conv2d_backward_data(op.conv, N, {g.data(), F[ACCEL_OPND_G]},
                                               {w.data(), F[ACCEL_OPND_W]}, out, mc, ws_);
                else
                    kern::fc_backward_data({op.conv.in_channels, op.conv.out_channels}, N,
                                           {g.data(), F[ACCEL_OPND_G]}, {w.data(), F[ACCEL_OPND_W]}, out, mc,
                                           ws_);
                return store(op, Opnd::dx, dx, wr, err);
            }
            case ACCEL_OP_CONV_WGRAD:
            case ACCEL_OP_FC_WGRAD: {
                if (!load(op, Opnd::g, g, rd, err) || !load(op, Opnd::x, x, rd, err)) return false;
                const kern::Out dw{sized(w, Opnd::dw), F[ACCEL_OPND_DW], key0};
                const kern::Out db{op.has_bias ? sized(b, Opnd::db) : nullptr, F[ACCEL_OPND_DW], key1};
                if (d.opcode == ACCEL_OP_CONV_WGRAD)
                    kern::conv2d_weight_grad(op.conv, N, {g.data(), F[ACCEL_OPND_G]},
                                             {x.data(), F[ACCEL_OPND_X]}, dw, db, mc, ws_);
                else
                    kern::fc_weight_grad({op.conv.in_channels, op.conv.out_channels}, N,
                                         {g.data(), F[ACCEL_OPND_G]}, {x.data(), F[ACCEL_OPND_X]}, dw, db, mc,
                                         ws_);
                if (!store(op, Opnd::dw, w, wr, err)) return false;
                return !op.has_bias || store(op, Opnd::db, b, wr, err);
            }
            case ACCEL_OP_MAXPOOL_FWD: {
                if (!load(op, Opnd::x, x, rd, err)) return false;
                argmax_.resize(op.op(Opnd::aux).elements);
                kern::maxpool_forward(op.pool, N, x.data(), sized(y, Opnd::y), argmax_.data());
                if (!store(op, Opnd::y, y, wr, err)) return false;
                bytes_.resize(op.op(Opnd::aux).bytes());
                std::memcpy(bytes_.data(), argmax_.data(), bytes_.size());  // u32 little-endian
                return store_raw(op, Opnd::aux, bytes_.data(), wr, err);
            }
            case ACCEL_OP_MAXPOOL_BWD: {
                if (!load(op, Opnd::g, g, rd, err) || !load_raw(op, Opnd::aux, rd, err)) return false;
                argmax_.resize(op.op(Opnd::aux).elements);
                std::memcpy(argmax_.data(), bytes_.data(), bytes_.size());
                const uint32_t in_size = op.pool.in_size();
                for (size_t i = 0; i < argmax_.size(); ++i)
                    if (argmax_[i] >= in_size) {
                        err = {ACCEL_ERR_BAD_ARGUMENT, op.op(Opnd::aux).address + 4 * i,
                               "argmax entry " + std::to_string(argmax_[i]) + " outside the input image"};
                        return false;
                    }
                kern::maxpool_backward(op.pool, N, {g.data(), F[ACCEL_OPND_G]}, argmax_.data(),
                                       {sized(dx, Opnd::dx), F[ACCEL_OPND_DX], key0}, ws_);
                return store(op, Opnd::dx, dx, wr, err);
            }
            case ACCEL_OP_AVGPOOL_FWD:
                if (!load(op, Opnd::x, x, rd, err)) return false;
                kern::avgpool_forward(op.pool, N, {x.data(), F[ACCEL_OPND_X]},
                                      {sized(y, Opnd::y), F[ACCEL_OPND_Y], key0});
                return store(op, Opnd::y, y, wr, err);
            case ACCEL_OP_AVGPOOL_BWD:
                if (!load(op, Opnd::g, g, rd, err)) return false;
                kern::avgpool_backward(op.pool, N, {g.data(), F[ACCEL_OPND_G]},
                                       {sized(dx, Opnd::dx), F[ACCEL_OPND_DX], key0}, ws_);
                return store(op, Opnd::dx, dx, wr, err);
            case ACCEL_OP_RELU_FWD:
                if (!load(op, Opnd::x, x, rd, err)) return false;
                kern::relu_forward(op.count, x.data(), sized(y, Opnd::y));
                return store(op, Opnd::y, y, wr, err);
            case ACCEL_OP_RELU_BWD:
                if (!load(op, Opnd::y, y, rd, err) || !load(op, Opnd::g, g, rd, err)) return false;
                kern::relu_backward(op.count, y.data(), g.data(), sized(dx, Opnd::dx));
                return store(op, Opnd::dx, dx, wr, err);
            case ACCEL_OP_SOFTMAX_XENT: {
                if (!load(op, Opnd::x, x, rd, err) || !load_raw(op, Opnd::labels, rd, err)) return false;
                for (uint32_t i = 0; i < N; ++i)
                    if (bytes_[i] >= op.classes) {
                        err = {ACCEL_ERR_BAD_LABEL, op.op(Opnd::labels).address + i,
                               "label " + std::to_string(bytes_[i]) + " >= classes " +
                                   std::to_string(op.classes)};
                        return false;
                    }
                const std::vector<uint8_t> labels(bytes_.begin(), bytes_.begin() + N);
                const bool grad = d.flags & ACCEL_FLAG_LOSS_GRAD;
                const kern::Out out{grad ? sized(dx, Opnd::dx) : nullptr, F[ACCEL_OPND_DX], key0};
                const kern::LossResult r =
                    kern::softmax_cross_entropy(N, op.classes, x.data(), labels.data(), out);
                accel_loss_result rec{r.loss_sum, r.correct, N};
                uint8_t raw[sizeof rec];
                std::memcpy(raw, &rec, sizeof rec);
                if (!store_raw(op, Opnd::aux, raw, wr, err)) return false;
                return !grad || store(op, Opnd::dx, dx, wr, err);
            }
            case ACCEL_OP_SGD_UPDATE: {
                const bool momentum = op.op(Opnd::velocity).used;
                if (!load(op, Opnd::dw, g, rd, err) || !load(op, Opnd::master, x, rd, err)) return false;
                if (momentum && !load(op, Opnd::velocity, b, rd, err)) return false;
                const kern::SgdParams p{d.lr, d.momentum, d.weight_decay, N};
                kern::sgd_update(op.count, g.data(), {x.data(), F[ACCEL_OPND_MASTER], key0},
                                 momentum ? b.data() : nullptr, key1,
                                 {sized(w, Opnd::w), F[ACCEL_OPND_W], key2}, p);
                if (!store(op, Opnd::master, x, wr, err)) return false;
                if (momentum && !store(op, Opnd::velocity, b, wr, err)) return false;
                return store(op, Opnd::w, w, wr, err);
            }
            case ACCEL_OP_DMA_COPY:
                if (!load(op, Opnd::x, x, rd, err)) return false;
                y = x;
                num::quantize_array(y.data(), y.size(), F[ACCEL_OPND_Y], key0, 0, nullptr);
                return store(op, Opnd::y, y, wr, err);
            default:
                break;
        }
    } catch (const std::exception& e) {
        err = {ACCEL_ERR_BAD_ARGUMENT, op.desc_address, std::string("operation rejected: ") + e.what()};
        return false;
    }
    err = {ACCEL_ERR_UNKNOWN_OPCODE, op.desc_address, "unknown opcode"};
    return false;
}

}  // namespace trainvp
