#include "train_job_check.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <vector>

#include "accel/accel_op.h"
#include "accel/tile_plan.h"
#include "common/error.h"
#include "hw/memory_map.h"
#include "trainvp/train_descs.h"

namespace trainvp {
namespace {

using accel::BufferId;

SramConfig& buffer(AcceleratorConfig& cfg, BufferId b) {
    return b == BufferId::weight       ? cfg.weight_buffer
           : b == BufferId::activation ? cfg.activation_buffer
                                       : cfg.gradient_buffer;
}

// The smallest capacity of buffer `b` at which the descriptor has a tile that fits, with the other buffers
// at their largest; 0 when even the largest is too small. The fit only grows with a capacity.
uint64_t capacity_needed(const accel::DecodedOp& op, const AcceleratorConfig& cfg, BufferId b) {
    AcceleratorConfig probe = cfg;
    for (BufferId other : {BufferId::weight, BufferId::activation, BufferId::gradient})
        buffer(probe, other).capacity_bytes = SramConfig::kCapacityBytes.max;
    std::string why;
    if (!accel::tiles_fit(op, probe, why)) return 0;
    uint64_t lo = 0, hi = SramConfig::kCapacityBytes.max;  // lo does not fit, hi does
    while (hi - lo > 1) {
        const uint64_t mid = lo + (hi - lo) / 2;
        buffer(probe, b).capacity_bytes = mid;
        (accel::tiles_fit(op, probe, why) ? hi : lo) = mid;
    }
    return hi;
}

// A capacity of at least `need` that validate() accepts (whole bank rows), rounded up to whole KiB when the
// rows allow it.
uint64_t suggested_capacity(uint64_t need, const SramConfig& s) {
    const uint64_t row = uint64_t{s.banks} * s.word_bytes;
    const uint64_t kib_rows = std::lcm(row, uint64_t{1024});
    const uint64_t unit = kib_rows <= 64 * row ? kib_rows : row;
    const uint64_t v = std::max(SramConfig::kCapacityBytes.min, (need + unit - 1) / unit * unit);
    return std::min(v, SramConfig::kCapacityBytes.max);
}

std::string what_of(const accel_desc& d, const kern::Network& net) {
    const std::string op = std::string(accel::opcode_name(d.opcode)) + " on " + std::to_string(d.batch) +
                           (d.batch == 1 ? " sample" : " samples");
    if (d.layer_id < net.layers().size())
        return "layer " + net.layers()[d.layer_id].name + ", phase " + opcode_phase(d.opcode) + " (" + op +
               ")";
    return d.opcode == ACCEL_OP_DMA_COPY ? std::string("the batch gather (DMA_COPY)")
                                         : "the loss (" + op + ")";
}

[[noreturn]] void refuse_buffers(const accel::DecodedOp& op, const AcceleratorConfig& cfg,
                                 const kern::Network& net, const ConfigSchema& schema) {
    const std::string what = what_of(op.desc, net);
    for (BufferId b : {BufferId::weight, BufferId::activation, BufferId::gradient}) {
        AcceleratorConfig copy = cfg;
        const SramConfig& s = buffer(copy, b);
        const uint64_t need = capacity_needed(op, cfg, b);
        if (need == 0 || need <= s.capacity_bytes) continue;
        const std::string key = std::string("hardware.") + accel::buffer_name(b) + "_buffer.size";
        const std::string where = schema.location(key);
        const bool is_default = !schema.was_set(key);
        const std::string have = size_text(s.capacity_bytes);
        throw UserError(where + ": key '" + key + "'" + (is_default ? " (default " + have + ")" : "") + ": " +
                        have + " is too small for " + what + ": the " + accel::buffer_name(b) +
                        " buffer needs at least " + std::to_string(need) + " B" +
                        (cfg.double_buffering ? " (each tile uses one half with double buffering)" : "") +
                        "; raise it, e.g. --set " + key + "=" + size_text(suggested_capacity(need, s)));
    }
    AcceleratorConfig largest = cfg;
    for (BufferId b : {BufferId::weight, BufferId::activation, BufferId::gradient})
        buffer(largest, b).capacity_bytes = SramConfig::kCapacityBytes.max;
    std::string why;
    const std::string& file = schema.file();
    if (!accel::tiles_fit(op, largest, why))
        throw UserError(file + ": " + what + " does not fit even the largest buffers (" +
                        size_text(SramConfig::kCapacityBytes.max) + " each): make the layer smaller");
    throw UserError(
        file + ": no tile of " + what + " fits the weight, activation and gradient buffers together (" +
        size_text(cfg.weight_buffer.capacity_bytes) + ", " + size_text(cfg.activation_buffer.capacity_bytes) +
        ", " + size_text(cfg.gradient_buffer.capacity_bytes) + "): raise hardware.*_buffer.size");
}

}  // namespace

const char* opcode_phase(uint32_t opcode) {
    switch (opcode) {
        case ACCEL_OP_CONV_FWD:
        case ACCEL_OP_FC_FWD:
        case ACCEL_OP_RELU_FWD:
        case ACCEL_OP_MAXPOOL_FWD:
        case ACCEL_OP_AVGPOOL_FWD:
        case ACCEL_OP_GAVGPOOL_FWD:
        case ACCEL_OP_NORM_FWD:
            return "forward";
        case ACCEL_OP_CONV_BWD_DATA:
        case ACCEL_OP_FC_BWD_DATA:
        case ACCEL_OP_RELU_BWD:
        case ACCEL_OP_MAXPOOL_BWD:
        case ACCEL_OP_AVGPOOL_BWD:
        case ACCEL_OP_GAVGPOOL_BWD:
        case ACCEL_OP_NORM_BWD:
            return "backward_data";
        case ACCEL_OP_CONV_WGRAD:
        case ACCEL_OP_FC_WGRAD:
            return "weight_grad";
        case ACCEL_OP_SGD_UPDATE:
            return "update";
        case ACCEL_OP_SOFTMAX_XENT:
            return "loss";
        case ACCEL_OP_DMA_COPY:
            return "copy";
        default:
            return "other";
    }
}

void check_train_job(const TrainJobImage& image, const kern::Network& net, const AcceleratorConfig& accel,
                     const ConfigSchema& schema) {
    const train_job& job = image.job;
    const AcceleratorConfig& cfg = accel;
    // The accelerator's DMA window is the populated DRAM (accelerator_config).
    if (image.end > cfg.dram_base + cfg.dram_size) {
        const uint64_t need_mib = (image.end - cfg.dram_base + (1u << 20) - 1) >> 20;
        const std::string have = size_text(cfg.dram_size);
        throw UserError(schema.location("ram.size") + ": key 'ram.size'" +
                        (schema.was_set("ram.size") ? "" : " (default " + have + ")") + ": " + have +
                        " is too small for the training job: it needs " + std::to_string(need_mib) +
                        " MiB (firmware " + std::to_string(TRAINVP_FW_SIZE >> 20) + " MiB, datasets " +
                        std::to_string(image.dataset_bytes >> 20) + " MiB, parameters and buffers " +
                        std::to_string((image.parameter_bytes + image.buffer_bytes) >> 20) +
                        " MiB); raise it, e.g. --set ram.size=" + std::to_string((need_mib + 15) / 16 * 16) +
                        "MiB, or lower data.train_limit");
    }

    // The batch sizes the runtime builds sequences for: full batches and the last, smaller one of each set.
    std::set<uint32_t> steps{job.batch}, evals{job.batch};
    if (job.batch && job.train_count % job.batch) steps.insert(job.train_count % job.batch);
    if (job.batch && job.test_count % job.batch) evals.insert(job.test_count % job.batch);
    std::vector<accel_desc> descs;
    std::vector<accel_desc> buf(std::max({train_descs_step_bound(&job), train_descs_eval_bound(&job), 1u}));
    for (uint32_t n : steps)
        descs.insert(descs.end(), buf.data(), buf.data() + train_descs_step(&job, n, buf.data()));
    for (uint32_t n : evals)
        descs.insert(descs.end(), buf.data(), buf.data() + train_descs_eval(&job, n, 0, buf.data()));
    train_descs_gather(&job, job.batch ? job.batch - 1 : 0, buf.data());
    descs.push_back(buf[0]);

    const std::string& file = schema.file();
    for (const accel_desc& d : descs) {
        accel::DecodedOp op;
        accel::DecodeError err;
        if (!accel::decode_descriptor(d, job.addr_ring, cfg, op, err))
            throw UserError(file + ": the accelerator would refuse " + what_of(d, net) + " with error " +
                            accel::error_name(err.code) + ": " + err.why);
        std::string why;
        if (!accel::tiles_fit(op, cfg, why)) refuse_buffers(op, cfg, net, schema);
    }
}

}  // namespace trainvp
