#include "train_job_writer.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "accel/accel_desc.h"
#include "accel/accel_format.h"
#include "common/error.h"
#include "common/log.h"
#include "train_int8.h"
#include "trainvp/train_descs.h"

namespace trainvp {
namespace {

// Bump allocation in bus addresses; 64-byte alignment keeps every tensor aligned to its container and to
// the DMA's bursts. 64-bit so that an oversized job is reported, not wrapped.
struct Bump {
    uint64_t next;
    uint32_t take(uint64_t bytes, uint64_t& counter) {
        next = (next + 63) / 64 * 64;
        const uint64_t at = next;
        next += std::max<uint64_t>(bytes, 1);
        counter += bytes;
        // Addresses beyond 32 bits only happen for jobs far larger than the DRAM window; the fit check
        // reports them, and the truncated value is never written.
        return static_cast<uint32_t>(at);
    }
};

uint64_t ram_offset(uint32_t addr) {
    return uint64_t{addr} - TRAINVP_DRAM_BASE;
}

uint16_t narrow16(uint32_t v, const std::string& what) {
    if (v > 0xffffu) throw UserError("training job: " + what + " = " + std::to_string(v) + " exceeds 65535");
    return static_cast<uint16_t>(v);
}

uint8_t narrow8(uint32_t v, const std::string& what) {
    if (v > 0xffu) throw UserError("training job: " + what + " = " + std::to_string(v) + " exceeds 255");
    return static_cast<uint8_t>(v);
}

// Half of the firmware's data area (TRAINVP_FW_DATA_SIZE): the rest holds its other heap arrays and stack.
constexpr uint64_t kFirmwareDescriptorBytes = TRAINVP_FW_DATA_SIZE / 2;

uint64_t tensor_bytes(uint64_t count, const num::Format& fmt) {
    return count * accel::container_bytes(fmt);
}

}  // namespace

uint16_t train_format_code(const num::Format& fmt, const std::string& what) {
    uint16_t code = 0;
    if (!accel::code_from_format(fmt, code))
        throw UserError("training job: " + what + " format " + fmt.to_string() +
                        " has no accelerator format code (docs/accelerator.md \"Format codes\")");
    return code;
}

TrainJobImage plan_train_job(const kern::Trainer& trainer, uint32_t train_count, uint32_t test_count,
                             uint32_t ring_entries) {
    const kern::Network& net = trainer.network();
    const kern::TrainConfig& cfg = trainer.config();
    if (net.layers().size() > TRAIN_JOB_MAX_LAYERS)
        throw UserError("training job: the network has " + std::to_string(net.layers().size()) +
                        " layers; the job holds at most " + std::to_string(TRAIN_JOB_MAX_LAYERS));
    check_tracked_int8(net);  // the firmware tracks every int8 tensor's scale (train_int8.h)
    if (cfg.epochs > TRAIN_JOB_MAX_EPOCHS)
        throw UserError("training job: training.epochs = " + std::to_string(cfg.epochs) +
                        "; the results area holds at most " + std::to_string(TRAIN_JOB_MAX_EPOCHS));

    TrainJobImage img;
    train_job& j = img.job;
    Bump mem{uint64_t{TRAIN_JOB_BASE} + sizeof(train_job)};
    const uint32_t B = cfg.batch;
    j.magic = TRAIN_JOB_MAGIC;
    j.version = TRAIN_JOB_VERSION;
    j.bytes = sizeof(train_job);
    j.num_layers = static_cast<uint32_t>(net.layers().size());
    j.num_classes = net.num_classes();
    j.batch = B;
    j.epochs = cfg.epochs;
    j.acc_bits = net.spec().accumulator.bits;
    j.fmt_input = train_format_code(net.input_format(), "network input");
    j.input_size = net.input_size();
    j.input_c = narrow16(net.spec().channels, "network input channels");
    j.input_h = narrow16(net.spec().rows, "network input rows");
    j.input_w = narrow16(net.spec().cols, "network input columns");
    j.lr = cfg.lr;
    j.lr_decay_every = cfg.lr_decay_every;
    j.lr_decay_factor = cfg.lr_decay_factor;
    j.momentum = cfg.momentum;
    j.weight_decay = cfg.weight_decay;
    j.seed = cfg.seed;

    const uint64_t image_bytes = tensor_bytes(j.input_size, net.input_format());
    j.train_count = train_count;
    j.test_count = test_count;
    j.addr_train_images = mem.take(image_bytes * train_count, img.dataset_bytes);
    j.addr_train_labels = mem.take(train_count, img.dataset_bytes);
    j.addr_test_images = mem.take(image_bytes * test_count, img.dataset_bytes);
    j.addr_test_labels = mem.take(test_count, img.dataset_bytes);

    j.addr_batch_input = mem.take(image_bytes * B, img.buffer_bytes);
    j.addr_batch_labels = mem.take(B, img.buffer_bytes);
    j.addr_loss_grad =
        mem.take(tensor_bytes(uint64_t{B} * j.num_classes, net.layers().back().err_format), img.buffer_bytes);
    j.addr_loss_result = mem.take(sizeof(accel_loss_result), img.buffer_bytes);
    j.ring_entries = ring_entries;
    j.addr_ring = mem.take(uint64_t{ring_entries} * ACCEL_DESC_BYTES, img.buffer_bytes);
    j.steps_per_epoch = B ? (train_count + B - 1) / B : 0;
    j.addr_results = mem.take(sizeof(train_results), img.buffer_bytes);
    j.addr_step_losses =
        mem.take(sizeof(double) * uint64_t{j.steps_per_epoch} * std::max(cfg.epochs, 1u), img.buffer_bytes);

    for (size_t l = 0; l < net.layers().size(); ++l) {
        const kern::Layer& L = net.layers()[l];
        train_layer& t = j.layers[l];
        const std::string name = "layer " + L.name;
        switch (L.spec.kind) {
            case kern::LayerKind::conv:
                t.kind = TRAIN_LAYER_CONV;
                t.kernel = narrow8(L.conv.kernel, name + " kernel");
                t.stride = narrow8(L.conv.stride, name + " stride");
                t.pad = narrow8(L.conv.pad, name + " pad");
                break;
            case kern::LayerKind::fc:
                t.kind = TRAIN_LAYER_FC;
                t.fc_in = L.fc.in;
                t.fc_out = L.fc.out;
                break;
            case kern::LayerKind::relu:
                t.kind = TRAIN_LAYER_RELU;
                break;
            case kern::LayerKind::maxpool:
            case kern::LayerKind::avgpool:
                t.kind = L.spec.kind == kern::LayerKind::maxpool ? TRAIN_LAYER_MAXPOOL : TRAIN_LAYER_AVGPOOL;
                t.pool = narrow8(L.pool.size, name + " pool size");
                t.stride = narrow8(L.pool.stride, name + " pool stride");
                break;
            case kern::LayerKind::add:
                if (L.inputs.size() > TRAIN_JOB_MAX_INPUTS)
                    throw UserError(
                        name + ": the platform adds at most " + std::to_string(TRAIN_JOB_MAX_INPUTS) +
                        " inputs (the vector unit's ADD of up to four addends); this add has " +
                        std::to_string(L.inputs.size()) + " (nest adds, or train it in 'trainvp golden')");
                t.kind = TRAIN_LAYER_ADD;
                break;
            case kern::LayerKind::global_avgpool:
                t.kind = TRAIN_LAYER_GLOBAL_AVGPOOL;
                break;
            case kern::LayerKind::norm:
                t.kind = TRAIN_LAYER_NORM;
                t.groups = narrow16(L.norm.groups, name + " groups");
                t.scale_bits = narrow8(L.norm.scale_bits, name + " scale_bits");
                t.range_gradient = L.norm.range_gradient ? 1 : 0;
                t.projection = L.norm.projection ? 1 : 0;
                t.addr_stats =
                    mem.take(sizeof(accel_norm_stats) * uint64_t{B} * L.norm.groups, img.buffer_bytes);
                break;
            case kern::LayerKind::concat:
                if (L.inputs.size() > TRAIN_JOB_MAX_INPUTS)
                    throw UserError(name + ": the platform concatenates at most " +
                                    std::to_string(TRAIN_JOB_MAX_INPUTS) + " inputs (the job's input[" +
                                    std::to_string(TRAIN_JOB_MAX_INPUTS) + "]); this concat has " +
                                    std::to_string(L.inputs.size()) +
                                    " (nest concats, or train it in 'trainvp golden')");
                t.kind = TRAIN_LAYER_CONCAT;
                break;
        }
        t.num_inputs = static_cast<uint16_t>(L.inputs.size());
        for (size_t k = 0; k < L.inputs.size(); ++k) t.input[k] = static_cast<int16_t>(L.inputs[k]);
        t.in_c = narrow16(L.in.c, name + " input channels");
        t.in_h = narrow16(L.in.h, name + " input rows");
        t.in_w = narrow16(L.in.w, name + " input columns");
        t.out_c = narrow16(L.out.c, name + " output channels");
        t.out_h = narrow16(L.out.h, name + " output rows");
        t.out_w = narrow16(L.out.w, name + " output columns");
        t.fmt_act = train_format_code(L.act_format, name + " activations");
        t.fmt_err = train_format_code(L.err_format, name + " errors");
        t.fmt_in_err = train_format_code(L.in_err_format, name + " input errors");
        t.addr_y = mem.take(tensor_bytes(uint64_t{B} * L.out.size(), L.act_format), img.buffer_bytes);
        // A concat copies the error slices of the inputs that are layers (Network::backward), into blocks
        // laid out for every input.
        const bool need_dx =
            L.spec.kind == kern::LayerKind::concat
                ? std::any_of(L.inputs.begin(), L.inputs.end(), [](int32_t p) { return p >= 0; })
                : L.inputs[0] >= 0 && L.spec.kind != kern::LayerKind::add;
        // A concat's input errors are slices of its output error, copied unrounded: one block of B samples
        // per input, back to back (Network::edge_error).
        uint64_t dx_elements = L.in.size();
        if (L.spec.kind == kern::LayerKind::concat) {
            if (!(L.in_err_format == L.err_format))
                throw UserError(name + ": the concat's input errors (" + L.in_err_format.to_string() +
                                ") are not in its error format (" + L.err_format.to_string() + ")");
            dx_elements = 0;
            for (const kern::Shape& s : L.in_shapes) dx_elements += s.size();
        }
        if (need_dx || L.spec.kind == kern::LayerKind::norm)  // NORM_BWD always writes dx
            t.addr_dx = mem.take(tensor_bytes(uint64_t{B} * dx_elements, L.in_err_format), img.buffer_bytes);
        if (L.spec.kind == kern::LayerKind::maxpool)
            t.addr_argmax = mem.take(uint64_t{B} * L.out.size() * 4, img.buffer_bytes);
        if (!L.weight) continue;
        const kern::LayerFormats& F = L.formats;
        t.fmt_weights = train_format_code(F.weights, name + " weights");
        t.fmt_weight_grads = train_format_code(F.weight_grads, name + " weight gradients");
        t.fmt_master = train_format_code(F.master_weights, name + " master weights");
        auto param = [&](uint64_t n, uint32_t& w, uint32_t& m, uint32_t& g, uint32_t& v) {
            w = mem.take(tensor_bytes(n, F.weights), img.parameter_bytes);
            m = mem.take(tensor_bytes(n, F.master_weights), img.parameter_bytes);
            g = mem.take(tensor_bytes(n, F.weight_grads), img.parameter_bytes);
            if (cfg.momentum != 0.0) v = mem.take(tensor_bytes(n, F.master_weights), img.parameter_bytes);
        };
        t.weight_count = static_cast<uint32_t>(L.weight->values.size());
        param(t.weight_count, t.addr_w, t.addr_w_master, t.addr_w_grad, t.addr_w_velocity);
        if (L.bias) {
            t.has_bias = 1;
            t.bias_count = static_cast<uint32_t>(L.bias->values.size());
            param(t.bias_count, t.addr_b, t.addr_b_master, t.addr_b_grad, t.addr_b_velocity);
        }
    }
    // The error of each layer's output (network.h "Graph execution order"), in reverse order so that an add
    // consumer's own error address is known before its producers'.
    for (size_t l = net.layers().size(); l-- > 0;) {
        const kern::Layer& L = net.layers()[l];
        train_layer& t = j.layers[l];
        const std::string name = "layer " + L.name;
        if (l + 1 == net.layers().size()) {
            t.err_mode = TRAIN_ERR_IN_PLACE;
            t.addr_g = j.addr_loss_grad;
            continue;
        }
        if (L.consumers.empty())
            throw UserError(name +
                            ": its output is read by no layer; the platform trains only layers that lead "
                            "to the loss");
        if (L.consumers.size() > TRAIN_JOB_MAX_PARTS)
            throw UserError(name + ": its output is read " + std::to_string(L.consumers.size()) +
                            " times; the platform sums the errors of at most " +
                            std::to_string(TRAIN_JOB_MAX_PARTS) + " readers (one ADD of up to four addends)");
        num::Format part_format[TRAIN_JOB_MAX_PARTS];
        for (size_t e = 0; e < L.consumers.size(); ++e) {
            // An edge's error (Network::edge_error): an add's own output error; a concat's block for this
            // input slot in its dx, in its error format; else the consumer's input error.
            const kern::Layer& C = net.layers()[L.consumers[e]];
            const train_layer& ct = j.layers[L.consumers[e]];
            switch (C.spec.kind) {
                case kern::LayerKind::add:
                    part_format[e] = C.err_format;
                    t.addr_part[e] = ct.addr_g;
                    break;
                case kern::LayerKind::concat: {
                    uint64_t before = 0;
                    for (uint32_t k = 0; k < L.consumer_slots[e]; ++k) before += C.in_shapes[k].size();
                    part_format[e] = C.err_format;
                    t.addr_part[e] =
                        ct.addr_dx + static_cast<uint32_t>(tensor_bytes(B * before, C.err_format));
                    break;
                }
                default:
                    part_format[e] = C.in_err_format;
                    t.addr_part[e] = ct.addr_dx;
                    break;
            }
            t.fmt_part[e] = train_format_code(part_format[e], C.name + " errors");
        }
        // With tracked int8 scales the plan changes when scales do (an edge's part and the layer's error
        // format drift apart): the firmware plans again from the formats (train_scales_plan_errors), so
        // every layer keeps its part and has a dy buffer.
        const bool replanned = net.has_tracked_scales();
        if (replanned)
            t.addr_dy = mem.take(tensor_bytes(uint64_t{B} * L.out.size(), L.err_format), img.buffer_bytes);
        if (L.consumers.size() == 1 && part_format[0] == L.err_format) {
            t.err_mode = TRAIN_ERR_IN_PLACE;
            t.addr_g = t.addr_part[0];
            if (!replanned) t.addr_part[0] = t.fmt_part[0] = 0;
            continue;
        }
        t.err_mode = static_cast<uint32_t>(L.consumers.size());  // COPY, SUM2, SUM3 or SUM4
        if (!replanned)
            t.addr_dy = mem.take(tensor_bytes(uint64_t{B} * L.out.size(), L.err_format), img.buffer_bytes);
        t.addr_g = t.addr_dy;
    }
    // The firmware keeps a step's and an evaluation's descriptors and the batch gather on its heap; concat
    // layers add copies per sample (train_descs.h).
    const uint64_t template_bytes =
        (uint64_t{train_descs_step_bound(&j)} + train_descs_eval_bound(&j) + B) * ACCEL_DESC_BYTES;
    if (template_bytes > kFirmwareDescriptorBytes)
        throw UserError(
            "training job: the firmware's descriptors for batch " + std::to_string(B) + " take " +
            std::to_string(template_bytes >> 10) + " KiB, more than its " +
            std::to_string(kFirmwareDescriptorBytes >> 10) +
            " KiB for them (each concat layer copies every input per sample): lower training.batch");
    img.end = mem.next;
    return img;
}

TrainJobImage write_train_job(Memory& ram, const kern::Trainer& trainer, const kern::DataView& train,
                              const kern::DataView& test, uint32_t ring_entries) {
    TrainJobImage img = plan_train_job(trainer, train.count, test.count, ring_entries);
    const uint64_t ram_end = uint64_t{TRAINVP_DRAM_BASE} + ram.size();
    if (img.end > ram_end) {
        const uint64_t need_mib = (img.end - TRAINVP_DRAM_BASE + (1u << 20) - 1) >> 20;
        throw UserError("training job needs " + std::to_string(need_mib) + " MiB of DRAM (firmware " +
                        std::to_string(TRAINVP_FW_SIZE >> 20) + " MiB, datasets " +
                        std::to_string(img.dataset_bytes >> 20) + " MiB, parameters and buffers " +
                        std::to_string((img.parameter_bytes + img.buffer_bytes) >> 20) +
                        " MiB) but ram.size is " + std::to_string(ram.size() >> 20) +
                        " MiB: raise ram.size (e.g. --set ram.size=" +
                        std::to_string(((need_mib + 15) / 16) * 16) + "MiB) or lower data.train_limit");
    }
    const train_job& j = img.job;
    const kern::Network& net = trainer.network();
    accel::TensorCodec codec;

    // Zero everything the job owns first: untouched buffers, the results area and the step losses.
    {
        const uint64_t begin = ram_offset(TRAIN_JOB_BASE);
        const std::vector<uint8_t> zeros(1u << 20, 0);
        for (uint64_t at = begin; at < img.end - TRAINVP_DRAM_BASE; at += zeros.size())
            ram.write(at, zeros.data(), std::min<uint64_t>(zeros.size(), img.end - TRAINVP_DRAM_BASE - at));
    }

    const size_t isz = j.input_size;
    const size_t image_bytes = tensor_bytes(isz, net.input_format());
    auto put_set = [&](const kern::DataView& d, uint32_t images, uint32_t labels) {
        std::vector<float> x(isz);
        std::vector<uint8_t> bytes(image_bytes);
        for (uint32_t i = 0; i < d.count; ++i) {
            trainer.load_image(d, i, x.data());
            codec.pack(x.data(), isz, net.input_format(), bytes.data());
            ram.write(ram_offset(images) + uint64_t{i} * image_bytes, bytes.data(), bytes.size());
        }
        if (d.count) ram.write(ram_offset(labels), d.labels, d.count);
    };
    put_set(train, j.addr_train_images, j.addr_train_labels);
    put_set(test, j.addr_test_images, j.addr_test_labels);

    auto put_tensor = [&](uint32_t addr, const std::vector<float>& values, const num::Format& fmt) {
        std::vector<uint8_t> bytes(tensor_bytes(values.size(), fmt));
        codec.pack(values.data(), values.size(), fmt, bytes.data());
        ram.write(ram_offset(addr), bytes.data(), bytes.size());
    };
    for (size_t l = 0; l < net.layers().size(); ++l) {
        const kern::Layer& L = net.layers()[l];
        if (!L.weight) continue;
        const train_layer& t = j.layers[l];
        const kern::LayerFormats& F = L.formats;
        auto param = [&](const kern::ParamTensor& p, uint32_t w, uint32_t m, uint32_t v) {
            put_tensor(w, p.values, F.weights);
            put_tensor(m, p.master, F.master_weights);
            if (j.momentum != 0.0) put_tensor(v, std::vector<float>(p.values.size(), 0.0f), F.master_weights);
        };
        param(*L.weight, t.addr_w, t.addr_w_master, t.addr_w_velocity);
        if (L.bias) param(*L.bias, t.addr_b, t.addr_b_master, t.addr_b_velocity);
    }
    ram.write(ram_offset(TRAIN_JOB_BASE), &j, sizeof j);
    return img;
}

train_results read_train_results(const Memory& ram, const train_job& job) {
    train_results r{};
    ram.read(ram_offset(job.addr_results), &r, sizeof r);
    return r;
}

std::vector<double> read_step_losses(const Memory& ram, const train_job& job, uint32_t steps) {
    const uint32_t capacity = job.steps_per_epoch * std::max(job.epochs, 1u);
    std::vector<double> out(std::min(steps, capacity));
    if (!out.empty()) ram.read(ram_offset(job.addr_step_losses), out.data(), out.size() * sizeof(double));
    return out;
}

void read_parameters(const Memory& ram, const train_job& job, kern::Network& net) {
    accel::TensorCodec codec;
    std::vector<uint8_t> bytes;
    auto get = [&](uint32_t addr, std::vector<float>& values, const num::Format& fmt) {
        bytes.resize(tensor_bytes(values.size(), fmt));
        ram.read(ram_offset(addr), bytes.data(), bytes.size());
        codec.unpack(bytes.data(), values.size(), fmt, values.data());
    };
    for (size_t l = 0; l < net.layers().size() && l < job.num_layers; ++l) {
        kern::Layer& L = net.layers()[l];
        if (!L.weight) continue;
        const train_layer& t = job.layers[l];
        const kern::LayerFormats& F = L.formats;
        auto param = [&](kern::ParamTensor& p, uint32_t w, uint32_t m, uint32_t v) {
            get(w, p.values, F.weights);
            get(m, p.master, F.master_weights);
            if (job.momentum != 0.0 && !p.velocity.empty()) get(v, p.velocity, F.master_weights);
        };
        param(*L.weight, t.addr_w, t.addr_w_master, t.addr_w_velocity);
        if (L.bias) param(*L.bias, t.addr_b, t.addr_b_master, t.addr_b_velocity);
    }
}

}  // namespace trainvp
