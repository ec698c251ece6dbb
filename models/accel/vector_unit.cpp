#include "accel/vector_unit.h"

#include <cstring>
#include <exception>

#include "accel/accel_protocol.h"
#include "kernels/activation.h"
#include "kernels/global_pool.h"
#include "kernels/group_norm.h"
#include "kernels/pool.h"
#include "kernels/residual.h"
#include "kernels/sgd.h"

namespace trainvp {

using namespace accel;

namespace {

// ReLU and its mask only select, so on an integer format (fixed point, int8) the unit selects the stored
// values: a value is > 0 when its bits are non-zero and its sign bit (bit total - 1) is clear. Container bits
// above the format are ignored on reading and 0 on writing, as decode() and encode() treat them. The
// kernels' float selection, packed again in the same format, gives the same bits (test_vector_unit).
bool integer_format(const num::Format& f) {
    return f.kind == num::FormatKind::fixed || f.kind == num::FormatKind::int8;
}

int storage_bits(const num::Format& f) {
    return f.kind == num::FormatKind::int8 ? 8 : f.total_bits;
}

uint32_t value_mask(const num::Format& f) {
    return storage_bits(f) >= 32 ? ~0u : (1u << storage_bits(f)) - 1u;
}

// dst = (mask > 0) ? src : 0 on containers of one size; mask null: dst = src. Keeps the format's bits only.
template <typename C>
void select_positive(const C* mask, const C* src, size_t n, C mask_bits, C mask_sign, C value_bits, C* dst) {
    if (!mask) {
        for (size_t i = 0; i < n; ++i) dst[i] = static_cast<C>(src[i] & value_bits);
        return;
    }
    for (size_t i = 0; i < n; ++i) {
        const C y = static_cast<C>(mask[i] & mask_bits);
        // 0 < y < sign bit as one unsigned comparison (y - 1 wraps for 0).
        const C keep = static_cast<C>(C{0} - (static_cast<C>(y - 1) < static_cast<C>(mask_sign - 1)));
        dst[i] = static_cast<C>(src[i] & value_bits & keep);  // arithmetic select: the loop vectorises
    }
}

template <typename C>
void select_positive(const uint8_t* mask, const num::Format* mask_fmt, const uint8_t* src, size_t n,
                     const num::Format& fmt, uint8_t* dst) {
    const C mb = mask ? static_cast<C>(value_mask(*mask_fmt)) : C{0};
    const C ms = mask ? static_cast<C>(1u << (storage_bits(*mask_fmt) - 1)) : C{0};
    select_positive<C>(reinterpret_cast<const C*>(mask), reinterpret_cast<const C*>(src), n, mb, ms,
                       static_cast<C>(value_mask(fmt)), reinterpret_cast<C*>(dst));
}

void select_positive(const uint8_t* mask, const num::Format* mask_fmt, const uint8_t* src, size_t n,
                     const num::Format& fmt, uint8_t* dst) {
    switch (container_bytes(fmt)) {
        case 1:
            return select_positive<uint8_t>(mask, mask_fmt, src, n, fmt, dst);
        case 2:
            return select_positive<uint16_t>(mask, mask_fmt, src, n, fmt, dst);
        default:
            return select_positive<uint32_t>(mask, mask_fmt, src, n, fmt, dst);
    }
}

// The unit's element operations for a tile of `u` units (elements, image planes or samples), by kind and
// format (docs/energy.md "Actions"). Selections and copies in the same format are wiring, no operation.
void count_actions(const DecodedOp& op, uint64_t u, UnitActions& a) {
    const accel_desc& d = op.desc;
    const num::Format* F = op.fmt;
    auto count = [&](std::map<std::string, uint64_t>& m, const char* kind, const num::Format& f, uint64_t n) {
        if (n) m[std::string(kind) + ":" + f.to_string()] += n;
    };
    auto& v = a.vector_ops;
    const uint64_t window = uint64_t{op.pool.size} * op.pool.size;
    const uint64_t pooled = u * op.pool.out_rows() * op.pool.out_cols();  // output elements of u planes
    const num::Format fp32 = num::Format::of_kind(num::FormatKind::fp32);
    switch (d.opcode) {
        case ACCEL_OP_RELU_FWD:
            return count(v, "cmp", F[ACCEL_OPND_X], u);  // sign test
        case ACCEL_OP_RELU_BWD:
            return count(v, "cmp", F[ACCEL_OPND_Y], u);  // the mask's sign test
        case ACCEL_OP_DMA_COPY:
            if (!(F[ACCEL_OPND_Y] == F[ACCEL_OPND_X])) count(v, "convert", F[ACCEL_OPND_Y], u);
            return;
        case ACCEL_OP_MAXPOOL_FWD:
            return count(v, "cmp", F[ACCEL_OPND_X], pooled * (window - 1));
        case ACCEL_OP_MAXPOOL_BWD:
            return count(v, "add", F[ACCEL_OPND_DX],
                         pooled);  // each error into its winner (windows may overlap)
        case ACCEL_OP_AVGPOOL_FWD:
            count(v, "add", F[ACCEL_OPND_X], pooled * (window - 1));
            return count(v, "mul", F[ACCEL_OPND_Y], pooled);  // x 1/window
        case ACCEL_OP_AVGPOOL_BWD:
            count(v, "mul", F[ACCEL_OPND_G], pooled);
            return count(v, "add", F[ACCEL_OPND_DX], pooled * window);
        case ACCEL_OP_SOFTMAX_XENT: {
            // Per sample of C classes: max (C compares), exp of C differences, their sum, a log and a
            // reciprocal, C normalising multiplies; with the gradient C subtractions of the one-hot label.
            const uint64_t c = op.classes;
            count(v, "cmp", F[ACCEL_OPND_X], u * c);
            count(v, "add", fp32, u * 2 * c);
            count(v, "special", fp32, u * (c + 2));
            count(v, "mul", fp32, u * c);
            if (d.flags & ACCEL_FLAG_LOSS_GRAD) count(v, "add", F[ACCEL_OPND_DX], u * c);
            return;
        }
        case ACCEL_OP_ADD:  // one addition per addend after the first
            return count(
                v, "add", F[ACCEL_OPND_Y],
                u * (1 + (d.flags & ACCEL_FLAG_ADD_X3 ? 1 : 0) + (d.flags & ACCEL_FLAG_ADD_X4 ? 1 : 0)));
        case ACCEL_OP_GAVGPOOL_FWD:  // u planes of plane() elements: the sum and one multiply by 1/plane
            count(v, "add", F[ACCEL_OPND_X], u * (op.gpool.plane() - 1));
            return count(v, "mul", F[ACCEL_OPND_Y], u);
        case ACCEL_OP_GAVGPOOL_BWD:  // one multiply per plane, broadcast
            return count(v, "mul", F[ACCEL_OPND_DX], u);
        case ACCEL_OP_NORM_FWD: {
            // Per sample of E elements: the group sums and the max / min compares, then per element one
            // subtraction, one multiply and one addition (docs/numerics.md "Range group normalization"); per
            // group the scale (a table look-up) and per channel gamma * s.
            const uint64_t e = op.norm.size(), groups = op.norm.groups, c = op.norm.channels;
            count(v, "add", fp32, u * (e + e));
            count(v, "cmp", F[ACCEL_OPND_X], u * 2 * e);
            count(v, "mul", fp32, u * (e + c));
            count(v, "special", fp32, u * groups);
            return count(v, "convert", F[ACCEL_OPND_Y], u * e);
        }
        case ACCEL_OP_NORM_BWD: {
            // Per element: gamma * g and its group sum, g * x^ into dgamma, g into dbeta, and the input
            // gradient (subtract, multiply); with the range gradient one more multiply-add; with the
            // projection the sums of gamma * g * (x - mean) and (x - mean)^2 and a multiply-subtract per
            // element, and one division per group.
            const uint64_t e = op.norm.size(), c = op.norm.channels;
            const uint64_t extra = op.norm.range_gradient ? 1 : op.norm.projection ? 3 : 0;
            count(v, "mul", fp32, u * (e * (4 + extra) + c));
            count(v, "add", fp32, u * e * (4 + extra));
            if (op.norm.projection) count(v, "special", fp32, u * op.norm.groups);
            return count(v, "convert", F[ACCEL_OPND_DX], u * e);
        }
        case ACCEL_OP_SGD_UPDATE: {
            // Per weight in the master format: lr x gradient and the subtraction; momentum and weight decay a
            // multiply-add each; the new weight rounded into its storage format.
            const num::Format& m = F[ACCEL_OPND_MASTER];
            const uint64_t fmas = 1 + (op.op(Opnd::velocity).used ? 1 : 0) + (d.weight_decay != 0 ? 1 : 0);
            count(a.update_ops, "mul", m, u * fmas);
            count(a.update_ops, "add", m, u * fmas);
            count(a.update_ops, "convert", F[ACCEL_OPND_W], u);
            return;
        }
        default:
            return;
    }
}

}  // namespace

VectorUnit::VectorUnit(sc_core::sc_module_name name, const AcceleratorConfig& config)
    : sc_module(name),
      cmd_in("cmd_in"),
      buffers_out("buffers_out"),
      config_(config),
      timer_(config_),
      period_(sc_core::sc_time(1.0 / config.clock_hz, sc_core::SC_SEC)),
      buffers_(buffers_out),
      log_(this->name()) {
    cmd_in.register_b_transport(this, &VectorUnit::command);
    buffers_out.register_invalidate_direct_mem_ptr(this, &VectorUnit::invalidate);
}

void VectorUnit::command(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    TileCommand* cmd = command_of<TileCommand>(trans);
    if (!cmd) return log_.warning("transaction without a TileCommand refused");
    const DecodedOp& op = *cmd->op;
    cmd->error = ACCEL_ERR_NONE;
    access_delay_ = sc_core::SC_ZERO_TIME;
    try {
        run(op, *cmd->tile, *cmd);
    } catch (const std::exception& e) {
        cmd->error = ACCEL_ERR_BAD_ARGUMENT;
        cmd->error_address = op.desc_address;
        cmd->why = std::string("operation rejected: ") + e.what();
    }
    cmd->estimate = estimate_tile(op, *cmd->tile, config_, timer_);
    cmd->actions = UnitActions{};
    if (cmd->error == ACCEL_ERR_NONE) count_actions(op, cmd->tile->n, cmd->actions);
    delay += sc_core::sc_time::from_value(period_.value() * cmd->estimate.compute.cycles) + access_delay_;
    trans.set_response_status(cmd->error == ACCEL_ERR_NONE ? tlm::TLM_OK_RESPONSE
                                                           : tlm::TLM_GENERIC_ERROR_RESPONSE);
}

bool VectorUnit::fail(TileCommand& cmd, const BufferSlot& s) {
    cmd.error = ACCEL_ERR_DMA_BUS;
    cmd.error_address = cmd.op->desc_address;
    cmd.why = std::string("the vector unit's access to the ") + buffer_name(s.buffer) + " buffer at offset " +
              std::to_string(s.offset) + " failed";
    return false;
}

const uint8_t* VectorUnit::read(const BufferSlot& s, uint64_t bytes) {
    return buffers_.read(buffer_address(s.buffer, s.offset), bytes, copy_, access_delay_);
}

bool VectorUnit::read_values(const BufferSlot& s, uint64_t n, const num::Format& fmt, Staging& values) {
    const uint8_t* p = read(s, n * container_bytes(fmt));
    if (!p) return false;
    values.resize(n);
    codec_.unpack(p, n, fmt, values.data());
    return true;
}

const float* VectorUnit::input(const DecodedOp& op, const Tile& t, Opnd o, uint64_t n, const num::Format& fmt,
                               Staging& values) {
    const BufferSlot& s = t.slot(o);
    const uint8_t* p = read(s, n * container_bytes(fmt));
    if (!p) return nullptr;
    // fp32 behind DMI is already what unpack() gives: read in place unless an output of the tile overlaps it.
    if (const float* v = fp32_in_place(p, fmt);
        v && p != copy_.data() && !overlaps_operand(op, t, s, true, o))
        return v;
    values.resize(n);
    codec_.unpack(p, n, fmt, values.data());
    return values.data();
}

float* VectorUnit::output(const DecodedOp& op, const Tile& t, Opnd o, uint64_t n, const num::Format& fmt,
                          Staging& values) {
    const BufferSlot& s = t.slot(o);
    // fp32 behind DMI: the kernel writes straight into the buffer, unless an input of the tile overlaps it.
    if (fmt.kind == num::FormatKind::fp32 && !overlaps_operand(op, t, s, false, o))
        if (uint8_t* p = buffers_.direct(buffer_address(s.buffer, s.offset), n * 4, true))
            if (fp32_in_place(p, fmt)) return reinterpret_cast<float*>(p);
    values.resize(n);
    return values.data();
}

bool VectorUnit::commit(const BufferSlot& s, const float* values, uint64_t n, const num::Format& fmt,
                        const Staging& staging) {
    // Written in place (fp32, whose stored bits are the float's own): nothing left to do.
    return values != staging.data() || write_values(s, values, n, fmt);
}

bool VectorUnit::write(const BufferSlot& s, const uint8_t* bytes, uint64_t n) {
    return buffers_.write(buffer_address(s.buffer, s.offset), bytes, n, access_delay_);
}

bool VectorUnit::write_values(const BufferSlot& s, const float* values, uint64_t n, const num::Format& fmt) {
    const uint64_t bytes = n * container_bytes(fmt);
    if (uint8_t* p = buffers_.direct(buffer_address(s.buffer, s.offset), bytes, true)) {
        codec_.pack(values, n, fmt, p);
        return true;
    }
    bytes_.resize(bytes);
    codec_.pack(values, n, fmt, bytes_.data());
    return write(s, bytes_.data(), bytes);
}

bool VectorUnit::run(const DecodedOp& op, const Tile& t, TileCommand& cmd) {
    const accel_desc& d = op.desc;
    const num::Format* F = op.fmt;
    const num::SrKey key0{d.sr_seed, d.sr_tensor[0], d.sr_step};
    const num::SrKey key1{d.sr_seed, d.sr_tensor[1], d.sr_step};
    const num::SrKey key2{d.sr_seed, d.sr_tensor[2], d.sr_step};
    const uint64_t u = t.n, u0 = t.n0;
    auto slot = [&](Opnd o) -> const BufferSlot& { return t.slot(o); };
    // Elements of operand `o` in this tile.
    auto elems = [&](Opnd o) { return slot(o).bytes / op.op(o).elem_bytes; };
    auto in = [&](Opnd o, int fmt_slot, Staging& v) {
        if (read_values(slot(o), elems(o), F[fmt_slot], v)) return true;
        return fail(cmd, slot(o));
    };
    auto out = [&](Opnd o, int fmt_slot, const Staging& v) {
        return write_values(slot(o), v.data(), elems(o), F[fmt_slot]) || fail(cmd, slot(o));
    };
    Staging &a = v_[0], &b = v_[1], &c = v_[2], &e = v_[3];
    // Selections and same-format copies on integer formats work on the stored bits.
    auto raw = [&](Opnd src, int src_fmt, Opnd mask_of, int mask_fmt, Opnd dst) {
        const unsigned cb = container_bytes(F[src_fmt]);
        const uint8_t* mask = nullptr;
        if (mask_of != Opnd::count && mask_of != src) {
            mask = read(slot(mask_of), u * cb);
            if (!mask) return fail(cmd, slot(mask_of));
            if (mask == copy_.data()) {  // the source's read would reuse the staging copy
                mask_.assign(mask, mask + u * cb);
                mask = mask_.data();
            }
        }
        const uint8_t* s = read(slot(src), u * cb);
        if (!s) return fail(cmd, slot(src));
        if (mask_of == src) mask = s;
        // Into the destination slot itself through DMI, or a staging copy written with b_transport.
        uint8_t* out = buffers_.direct(buffer_address(slot(dst).buffer, slot(dst).offset), u * cb, true);
        if (!out) {
            out_bytes_.resize(u * cb);
            out = out_bytes_.data();
        }
        select_positive(mask, &F[mask_fmt], s, u, F[src_fmt], out);
        return write(slot(dst), out, u * cb) || fail(cmd, slot(dst));
    };
    switch (d.opcode) {
        case ACCEL_OP_RELU_FWD:
            if (integer_format(F[ACCEL_OPND_X]) && F[ACCEL_OPND_Y] == F[ACCEL_OPND_X])
                return raw(Opnd::x, ACCEL_OPND_X, Opnd::x, ACCEL_OPND_X, Opnd::y);
            {
                const float* x = input(op, t, Opnd::x, elems(Opnd::x), F[ACCEL_OPND_X], a);
                if (!x) return fail(cmd, slot(Opnd::x));
                float* y = output(op, t, Opnd::y, elems(Opnd::y), F[ACCEL_OPND_Y], b);
                kern::relu_forward(u, x, y);
                return commit(slot(Opnd::y), y, elems(Opnd::y), F[ACCEL_OPND_Y], b) ||
                       fail(cmd, slot(Opnd::y));
            }
        case ACCEL_OP_RELU_BWD:
            if (integer_format(F[ACCEL_OPND_Y]) && integer_format(F[ACCEL_OPND_G]) &&
                F[ACCEL_OPND_DX] == F[ACCEL_OPND_G] &&
                container_bytes(F[ACCEL_OPND_Y]) == container_bytes(F[ACCEL_OPND_G]))
                return raw(Opnd::g, ACCEL_OPND_G, Opnd::y, ACCEL_OPND_Y, Opnd::dx);
            {
                const float* y = input(op, t, Opnd::y, elems(Opnd::y), F[ACCEL_OPND_Y], a);
                if (!y) return fail(cmd, slot(Opnd::y));
                const float* g = input(op, t, Opnd::g, elems(Opnd::g), F[ACCEL_OPND_G], b);
                if (!g) return fail(cmd, slot(Opnd::g));
                float* dx = output(op, t, Opnd::dx, elems(Opnd::dx), F[ACCEL_OPND_DX], c);
                kern::relu_backward(u, y, g, dx);
                return commit(slot(Opnd::dx), dx, elems(Opnd::dx), F[ACCEL_OPND_DX], c) ||
                       fail(cmd, slot(Opnd::dx));
            }
        case ACCEL_OP_DMA_COPY:
            // Values of an integer format are on its grid: converting to the same format copies the bits.
            if (integer_format(F[ACCEL_OPND_X]) && F[ACCEL_OPND_Y] == F[ACCEL_OPND_X])
                return raw(Opnd::x, ACCEL_OPND_X, Opnd::count, 0, Opnd::y);
            if (!in(Opnd::x, ACCEL_OPND_X, a)) return false;
            // sr_index_base places the copy inside a larger tensor (a channel slice of a concatenation):
            // its elements round as the golden network's elements of that tensor.
            num::quantize_array(a.data(), u, F[ACCEL_OPND_Y], key0, d.sr_index_base + u0, nullptr);
            return out(Opnd::y, ACCEL_OPND_Y, a);
        case ACCEL_OP_MAXPOOL_FWD: {
            if (!in(Opnd::x, ACCEL_OPND_X, a)) return false;
            const uint64_t n = elems(Opnd::y);
            b.resize(n);
            argmax_.resize(n);
            kern::maxpool_forward_planes(op.pool, u0, u, a.data(), b.data(), argmax_.data());
            if (!out(Opnd::y, ACCEL_OPND_Y, b)) return false;
            return write(slot(Opnd::aux), reinterpret_cast<const uint8_t*>(argmax_.data()), n * 4) ||
                   fail(cmd, slot(Opnd::aux));  // u32 little-endian
        }
        case ACCEL_OP_MAXPOOL_BWD: {
            if (!in(Opnd::g, ACCEL_OPND_G, a)) return false;
            const uint64_t n = elems(Opnd::aux);
            const uint8_t* raw = read(slot(Opnd::aux), n * 4);
            if (!raw) return fail(cmd, slot(Opnd::aux));
            argmax_.resize(n);
            std::memcpy(argmax_.data(), raw, n * 4);
            // An entry must name an element of its own image plane: the unit scatters within the plane.
            const uint64_t in_plane = uint64_t{op.pool.in_rows} * op.pool.in_cols;
            const uint64_t out_plane = n / u;
            for (uint64_t q = 0; q < u; ++q) {
                const uint64_t first =
                    ((u0 + q) % op.pool.channels) * in_plane;  // the plane's offset in its image
                const uint32_t* entries = argmax_.data() + q * out_plane;
                bool bad = false;
                for (uint64_t i = 0; i < out_plane; ++i)
                    bad |= entries[i] - first >= in_plane;  // unsigned: below too
                if (!bad) continue;
                for (uint64_t i = 0; i < out_plane; ++i) {
                    const uint32_t v = entries[i];
                    if (v - first < in_plane) continue;
                    cmd.error = ACCEL_ERR_BAD_ARGUMENT;
                    cmd.error_address = op.op(Opnd::aux).address + 4 * ((u0 + q) * out_plane + i);
                    cmd.why =
                        "argmax entry " + std::to_string(v) +
                        (v >= op.pool.in_size() ? " outside the input image" : " outside its window's plane");
                    return false;
                }
            }
            b.resize(elems(Opnd::dx));
            kern::maxpool_backward_planes(op.pool, u0, u, {a.data(), F[ACCEL_OPND_G]}, argmax_.data(),
                                          {b.data(), F[ACCEL_OPND_DX], key0, nullptr, u0 * in_plane}, ws_);
            return out(Opnd::dx, ACCEL_OPND_DX, b);
        }
        case ACCEL_OP_AVGPOOL_FWD: {
            if (!in(Opnd::x, ACCEL_OPND_X, a)) return false;
            const uint64_t n = elems(Opnd::y);
            b.resize(n);
            kern::avgpool_forward_planes(op.pool, u, {a.data(), F[ACCEL_OPND_X]},
                                         {b.data(), F[ACCEL_OPND_Y], key0, nullptr, u0 * (n / u)});
            return out(Opnd::y, ACCEL_OPND_Y, b);
        }
        case ACCEL_OP_AVGPOOL_BWD: {
            if (!in(Opnd::g, ACCEL_OPND_G, a)) return false;
            const uint64_t n = elems(Opnd::dx);
            b.resize(n);
            kern::avgpool_backward_planes(op.pool, u, {a.data(), F[ACCEL_OPND_G]},
                                          {b.data(), F[ACCEL_OPND_DX], key0, nullptr, u0 * (n / u)}, ws_);
            return out(Opnd::dx, ACCEL_OPND_DX, b);
        }
        case ACCEL_OP_SOFTMAX_XENT: {
            if (t.first) loss_ = kern::LossResult{};
            if (!in(Opnd::x, ACCEL_OPND_X, a)) return false;
            const uint8_t* labels = read(slot(Opnd::labels), u);
            if (!labels) return fail(cmd, slot(Opnd::labels));
            for (uint64_t i = 0; i < u; ++i)
                if (labels[i] >= op.classes) {
                    cmd.error = ACCEL_ERR_BAD_LABEL;
                    cmd.error_address = op.op(Opnd::labels).address + u0 + i;
                    cmd.why =
                        "label " + std::to_string(labels[i]) + " >= classes " + std::to_string(op.classes);
                    return false;
                }
            const bool grad = d.flags & ACCEL_FLAG_LOSS_GRAD;
            if (grad) b.resize(u * op.classes);
            const std::vector<uint8_t> row_labels(labels, labels + u);
            kern::softmax_cross_entropy_rows(
                static_cast<uint32_t>(u), op.classes, a.data(), row_labels.data(),
                {grad ? b.data() : nullptr, F[ACCEL_OPND_DX], key0, nullptr, u0 * op.classes}, loss_);
            if (grad && !out(Opnd::dx, ACCEL_OPND_DX, b)) return false;
            if (!t.last) return true;
            const accel_loss_result rec{loss_.loss_sum, loss_.correct, op.batch};
            return write(slot(Opnd::aux), reinterpret_cast<const uint8_t*>(&rec), sizeof rec) ||
                   fail(cmd, slot(Opnd::aux));
        }
        case ACCEL_OP_ADD: {
            // The addends in order x, x2, x3, x4, summed in double and rounded once (kern::sum_errors), as
            // the golden network sums an add's inputs or a layer's error parts.
            const Opnd addend[ACCEL_ADD_MAX_INPUTS] = {Opnd::x, Opnd::g, Opnd::dx, Opnd::dw};
            const int addend_fmt[ACCEL_ADD_MAX_INPUTS] = {ACCEL_OPND_X, ACCEL_OPND_G, ACCEL_OPND_DX,
                                                          ACCEL_OPND_DW};
            Staging* values[ACCEL_ADD_MAX_INPUTS] = {&a, &b, &c, &v_[4]};
            kern::In parts[ACCEL_ADD_MAX_INPUTS];
            size_t count = 0;
            for (size_t k = 0; k < ACCEL_ADD_MAX_INPUTS && op.op(addend[k]).used; ++k, ++count) {
                if (!in(addend[k], addend_fmt[k], *values[k])) return false;
                parts[k] = kern::In{values[k]->data(), F[addend_fmt[k]]};
            }
            e.resize(u);
            kern::sum_errors(u, parts, count, {e.data(), F[ACCEL_OPND_Y], key0, nullptr, u0});
            return out(Opnd::y, ACCEL_OPND_Y, e);
        }
        case ACCEL_OP_GAVGPOOL_FWD: {
            // u image planes from plane u0: one call over u "channels" of one sample rounds as the kernel's
            // call over the whole batch (output index = plane index).
            if (!in(Opnd::x, ACCEL_OPND_X, a)) return false;
            b.resize(u);
            const kern::GlobalPoolShape planes{static_cast<uint32_t>(u), op.gpool.rows, op.gpool.cols};
            kern::global_avgpool_forward(planes, 1, {a.data(), F[ACCEL_OPND_X]},
                                         {b.data(), F[ACCEL_OPND_Y], key0, nullptr, u0});
            return out(Opnd::y, ACCEL_OPND_Y, b);
        }
        case ACCEL_OP_GAVGPOOL_BWD: {
            if (!in(Opnd::g, ACCEL_OPND_G, a)) return false;
            b.resize(u * op.gpool.plane());
            const kern::GlobalPoolShape planes{static_cast<uint32_t>(u), op.gpool.rows, op.gpool.cols};
            kern::global_avgpool_backward(planes, 1, {a.data(), F[ACCEL_OPND_G]},
                                          {b.data(), F[ACCEL_OPND_DX], key0, nullptr, u0 * op.gpool.plane()},
                                          ws_);
            return out(Opnd::dx, ACCEL_OPND_DX, b);
        }
        case ACCEL_OP_NORM_FWD:
            return norm_forward(op, t, cmd);
        case ACCEL_OP_NORM_BWD:
            return norm_backward(op, t, cmd);
        case ACCEL_OP_SGD_UPDATE: {
            const bool momentum = op.op(Opnd::velocity).used;
            if (!in(Opnd::dw, ACCEL_OPND_DW, a) || !in(Opnd::master, ACCEL_OPND_MASTER, b)) return false;
            if (momentum && !in(Opnd::velocity, ACCEL_OPND_MASTER, c)) return false;
            e.resize(u);
            const kern::SgdParams p{d.lr, d.momentum, d.weight_decay, op.batch};
            kern::sgd_update(u, a.data(), {b.data(), F[ACCEL_OPND_MASTER], key0, nullptr, u0},
                             momentum ? c.data() : nullptr, key1,
                             {e.data(), F[ACCEL_OPND_W], key2, nullptr, u0}, p);
            if (!out(Opnd::master, ACCEL_OPND_MASTER, b)) return false;
            if (momentum && !out(Opnd::velocity, ACCEL_OPND_MASTER, c)) return false;
            return out(Opnd::w, ACCEL_OPND_W, e);
        }
        default:
            break;
    }
    cmd.error = ACCEL_ERR_UNKNOWN_OPCODE;
    cmd.error_address = op.desc_address;
    cmd.why = std::string("the vector unit does not execute ") + opcode_name(d.opcode);
    return false;
}

// A tile of NORM_FWD: t.n samples from sample t.n0. gamma and beta are whole in their slots; the statistics
// of each (sample, group) go out as accel_norm_stats records.
bool VectorUnit::norm_forward(const DecodedOp& op, const Tile& t, TileCommand& cmd) {
    const accel_desc& d = op.desc;
    const num::Format* F = op.fmt;
    const kern::GroupNormShape& s = op.norm;
    const uint64_t u = t.n, size = s.size();
    Staging &xs = v_[0], &ys = v_[1], &gamma = v_[2], &beta = v_[3];
    const float* x = input(op, t, Opnd::x, u * size, F[ACCEL_OPND_X], xs);
    if (!x) return fail(cmd, t.slot(Opnd::x));
    if (!read_values(t.slot(Opnd::w), s.channels, F[ACCEL_OPND_W], gamma)) return fail(cmd, t.slot(Opnd::w));
    if (!read_values(t.slot(Opnd::b), s.channels, F[ACCEL_OPND_W], beta)) return fail(cmd, t.slot(Opnd::b));
    float* y = output(op, t, Opnd::y, u * size, F[ACCEL_OPND_Y], ys);
    kern::group_norm_forward(
        s, static_cast<uint32_t>(u), {x, F[ACCEL_OPND_X]}, {gamma.data(), F[ACCEL_OPND_W]},
        {beta.data(), F[ACCEL_OPND_W]},
        {y, F[ACCEL_OPND_Y], {d.sr_seed, d.sr_tensor[0], d.sr_step}, nullptr, t.n0 * size}, saved_, ws_);
    if (!commit(t.slot(Opnd::y), y, u * size, F[ACCEL_OPND_Y], ys)) return fail(cmd, t.slot(Opnd::y));
    const size_t records = saved_.mean.size();
    stats_.resize(records);
    for (size_t k = 0; k < records; ++k)
        stats_[k] = accel_norm_stats{saved_.mean[k], saved_.scale[k], saved_.arg_max[k], saved_.arg_min[k]};
    return write(t.slot(Opnd::aux), reinterpret_cast<const uint8_t*>(stats_.data()),
                 records * sizeof(accel_norm_stats)) ||
           fail(cmd, t.slot(Opnd::aux));
}

// A tile of NORM_BWD: dx of t.n samples; dgamma and dbeta summed in the unit across the descriptor's tiles
// (in sample order, as the kernel over the whole batch) and rounded out by the last tile.
bool VectorUnit::norm_backward(const DecodedOp& op, const Tile& t, TileCommand& cmd) {
    const accel_desc& d = op.desc;
    const num::Format* F = op.fmt;
    const kern::GroupNormShape& s = op.norm;
    const uint64_t u = t.n, size = s.size();
    if (t.first) {
        dgamma_acc_.assign(s.channels, 0.0);
        dbeta_acc_.assign(s.channels, 0.0);
    }
    Staging &gs = v_[0], &xs = v_[1], &gamma = v_[2], &dxs = v_[3];
    const float* g = input(op, t, Opnd::g, u * size, F[ACCEL_OPND_G], gs);
    if (!g) return fail(cmd, t.slot(Opnd::g));
    const float* x = input(op, t, Opnd::x, u * size, F[ACCEL_OPND_X], xs);
    if (!x) return fail(cmd, t.slot(Opnd::x));
    if (!read_values(t.slot(Opnd::w), s.channels, F[ACCEL_OPND_W], gamma)) return fail(cmd, t.slot(Opnd::w));
    const size_t records = u * s.groups;
    const uint8_t* raw = read(t.slot(Opnd::aux), records * sizeof(accel_norm_stats));
    if (!raw) return fail(cmd, t.slot(Opnd::aux));
    stats_.resize(records);
    std::memcpy(stats_.data(), raw, records * sizeof(accel_norm_stats));
    saved_.mean.resize(records), saved_.scale.resize(records);
    saved_.arg_max.resize(records), saved_.arg_min.resize(records);
    for (size_t k = 0; k < records; ++k) {
        saved_.mean[k] = stats_[k].mean, saved_.scale[k] = stats_[k].scale;
        saved_.arg_max[k] = stats_[k].arg_max, saved_.arg_min[k] = stats_[k].arg_min;
    }
    float* dx = output(op, t, Opnd::dx, u * size, F[ACCEL_OPND_DX], dxs);
    kern::group_norm_backward_sums(
        s, static_cast<uint32_t>(u), {g, F[ACCEL_OPND_G]}, {x, F[ACCEL_OPND_X]},
        {gamma.data(), F[ACCEL_OPND_W]}, saved_,
        {dx, F[ACCEL_OPND_DX], {d.sr_seed, d.sr_tensor[0], d.sr_step}, nullptr, t.n0 * size},
        dgamma_acc_.data(), dbeta_acc_.data(), ws_);
    if (!commit(t.slot(Opnd::dx), dx, u * size, F[ACCEL_OPND_DX], dxs)) return fail(cmd, t.slot(Opnd::dx));
    if (!t.last) return true;
    Staging &dgamma = v_[1], &dbeta = v_[2];
    dgamma.resize(s.channels), dbeta.resize(s.channels);
    kern::group_norm_round_sums(s.channels, dgamma_acc_.data(), dbeta_acc_.data(),
                                {dgamma.data(), F[ACCEL_OPND_DW], {d.sr_seed, d.sr_tensor[1], d.sr_step}},
                                {dbeta.data(), F[ACCEL_OPND_DW], {d.sr_seed, d.sr_tensor[2], d.sr_step}});
    if (!write_values(t.slot(Opnd::dw), dgamma.data(), s.channels, F[ACCEL_OPND_DW]))
        return fail(cmd, t.slot(Opnd::dw));
    return write_values(t.slot(Opnd::db), dbeta.data(), s.channels, F[ACCEL_OPND_DW]) ||
           fail(cmd, t.slot(Opnd::db));
}

}  // namespace trainvp
