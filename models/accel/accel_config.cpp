#include "accel/accel_config.h"

#include <cmath>
#include <stdexcept>

#include "common/error.h"

#include "accel/accel_desc.h"

namespace trainvp {

namespace {

void check_sram(const SramConfig& s, const std::string& name) {
    const std::string at = "accelerator." + name + ".";
    check_range(s.capacity_bytes, at + "capacity_bytes", SramConfig::kCapacityBytes);
    check_range(s.banks, at + "banks", SramConfig::kBanks);
    check_range(s.word_bytes, at + "word_bytes", SramConfig::kWordBytes);
    if (!is_power_of_two(s.word_bytes))
        throw FieldError({&s.word_bytes}, at + "word_bytes",
                         "must be a power of two, got " + std::to_string(s.word_bytes));
    check_range(s.ports, at + "ports", SramConfig::kPorts);
    check_range(s.latency_cycles, at + "latency_cycles", SramConfig::kLatencyCycles);
    // A bank row spans every bank: the capacity must be whole rows.
    const uint64_t row = uint64_t{s.banks} * s.word_bytes;
    if (s.capacity_bytes % row != 0)
        throw FieldError({&s.capacity_bytes, &s.banks, &s.word_bytes}, at + "capacity_bytes",
                         "capacity " + std::to_string(s.capacity_bytes) +
                             " B is not a multiple of banks x word_bytes = " + std::to_string(s.banks) +
                             " x " + std::to_string(s.word_bytes) + " = " + std::to_string(row) + " B");
}

}  // namespace

namespace accel {

const char* buffer_name(BufferId b) {
    switch (b) {
        case BufferId::weight:
            return "weight";
        case BufferId::activation:
            return "activation";
        case BufferId::gradient:
        case BufferId::count:
            break;
    }
    return "gradient";
}

}  // namespace accel

bool parse_dataflow(const std::string& text, Dataflow& out) {
    try {
        out = timing::parse_dataflow(text);
        return true;
    } catch (const UserError&) {
        return false;
    }
}

const char* fidelity_name(Fidelity f) {
    return f == Fidelity::analytic ? "analytic" : "cycle";
}

bool parse_fidelity(const std::string& text, Fidelity& out) {
    if (text == "analytic")
        out = Fidelity::analytic;
    else if (text == "cycle")
        out = Fidelity::cycle;
    else
        return false;
    return true;
}

const char* timing_model_name(TimingModel m) {
    return m == TimingModel::native ? "native" : "scalesim";
}

bool parse_timing_model(const std::string& text, TimingModel& out) {
    if (text == "native")
        out = TimingModel::native;
    else if (text == "scalesim")
        out = TimingModel::scalesim;
    else
        return false;
    return true;
}

const char* array_model_name(ArrayModel m) {
    return m == ArrayModel::native ? "native" : "rtl";
}

bool parse_array_model(const std::string& text, ArrayModel& out) {
    if (text == "native")
        out = ArrayModel::native;
    else if (text == "rtl")
        out = ArrayModel::rtl;
    else
        return false;
    return true;
}

void AcceleratorConfig::validate() const {
    check_range(rows, "accelerator.rows", kArrayDim);
    check_range(cols, "accelerator.cols", kArrayDim);
    check_range(clock_hz, "accelerator.clock_hz", kClockHz);
    check_range(sparse_clock_hz, "accelerator.sparse_clock_hz", kClockHz);
    pe.validate();
    if (pe.kind != kern::MacArith::uniform && fidelity == Fidelity::cycle)
        throw FieldError(
            {&fidelity, &pe.kind}, "accelerator.fidelity",
            "the cycle-stepped array models the uniform PE only; use analytic with pe.kind bricks");
    check_sram(weight_buffer, "weight_buffer");
    check_sram(activation_buffer, "activation_buffer");
    check_sram(gradient_buffer, "gradient_buffer");
    check_range(dma.burst_bytes, "accelerator.dma.burst_bytes", DmaConfig::kBurstBytes);
    if (!is_power_of_two(dma.burst_bytes))
        throw FieldError({&dma.burst_bytes}, "accelerator.dma.burst_bytes",
                         "must be a power of two, got " + std::to_string(dma.burst_bytes));
    check_range(dma.max_outstanding, "accelerator.dma.max_outstanding", DmaConfig::kMaxOutstanding);
    check_range(interconnect.width_bytes, "accelerator.interconnect.width_bytes",
                InterconnectConfig::kWidthBytes);
    if (!is_power_of_two(interconnect.width_bytes))
        throw FieldError({&interconnect.width_bytes}, "accelerator.interconnect.width_bytes",
                         "must be a power of two, got " + std::to_string(interconnect.width_bytes));
    check_range(interconnect.latency_cycles, "accelerator.interconnect.latency_cycles",
                InterconnectConfig::kLatencyCycles);
    if (dram_size == 0 || dram_base + dram_size > (1ull << 32) || dram_base + dram_size <= dram_base)
        throw FieldError({&dram_size, &dram_base}, "accelerator.dram_size",
                         "the window [dram_base, dram_base + dram_size) must be non-empty and below 4 GiB "
                         "(descriptor addresses are 32-bit)");
    if (supported_formats == 0 || (supported_formats & ~((1u << ACCEL_FMT_KIND_COUNT) - 1u)) != 0)
        throw FieldError({&supported_formats}, "accelerator.supported_formats",
                         "must be a non-empty set of ACCEL_FMT_KIND_* bits");
    check_range(max_dim, "accelerator.max_dim", ValueRange<uint32_t>{1, 65535});
    try {
        timing.validate();
    } catch (const FieldError& e) {
        throw FieldError(e.fields, "accelerator." + e.name, e.reason);
    }
    check_range(max_acc_bits, "accelerator.max_acc_bits", ValueRange<uint32_t>{8, 53});
    // SCALE-Sim's count is a closed form of its own; the cycle-stepped array is the native model's.
    if (timing_model == TimingModel::scalesim && fidelity == Fidelity::cycle)
        throw FieldError({&timing_model, &fidelity}, "accelerator.timing.model",
                         "scalesim takes SCALE-Sim v2's closed-form cycles; fidelity 'cycle' is the native "
                         "model's cycle-stepped array: use fidelity analytic with it");
    if (timing_model == TimingModel::scalesim && array_model == ArrayModel::rtl)
        throw FieldError({&array_model, &timing_model}, "accelerator.array.model",
                         "rtl times the GEMM tiles by the RTL array's own clock; it cannot take SCALE-Sim's "
                         "cycles (timing.model scalesim)");
    // SCALE-Sim v2 models a dense array: it has no zero skipping to compare with.
    if (skip_stride_zeros && timing_model == TimingModel::scalesim)
        throw FieldError({&skip_stride_zeros, &timing_model}, "accelerator.array.skip_stride_zeros",
                         "SCALE-Sim v2 models a dense array without zero skipping (timing.model scalesim "
                         "times the dilated GEMMs); skip_stride_zeros needs timing.model native");
    // The brick PE's throughput per format pair is the native analytic model's; the RTL array and SCALE-Sim
    // model one product per PE per cycle.
    if (pe.kind != kern::MacArith::uniform && timing_model == TimingModel::scalesim)
        throw FieldError({&timing_model, &pe.kind}, "accelerator.timing.model",
                         "scalesim counts one product per PE per cycle; pe.kind bricks needs the native model");
    if (pe.kind != kern::MacArith::uniform && array_model == ArrayModel::rtl)
        throw FieldError({&array_model, &pe.kind}, "accelerator.array.model",
                         "the RTL array has uniform fixed-point MACs; pe.kind bricks needs array.model native");
}

}  // namespace trainvp
