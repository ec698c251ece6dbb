#include "accel/accel_config.h"

#include "common/error.h"

#include <cmath>
#include <stdexcept>

#include "accel/accel_desc.h"

namespace trainvp {

namespace {

void require(bool ok, const std::string& field, const std::string& why) {
    if (!ok) throw std::invalid_argument("accelerator." + field + ": " + why);
}

bool power_of_two(uint64_t v) {
    return v && !(v & (v - 1));
}

void check_sram(const SramConfig& s, const std::string& name) {
    require(s.capacity_bytes >= 256 && s.capacity_bytes <= (1ull << 32), name + ".capacity_bytes",
            "must be 256 B .. 4 GiB");
    require(s.banks >= 1 && s.banks <= 1024, name + ".banks", "must be 1..1024");
    require(power_of_two(s.word_bytes) && s.word_bytes <= 256, name + ".word_bytes",
            "must be a power of two up to 256");
    require(s.ports >= 1 && s.ports <= 16, name + ".ports", "must be 1..16");
    require(s.latency_cycles <= 1024, name + ".latency_cycles", "must be 0..1024");
    require(s.capacity_bytes % (uint64_t{s.banks} * s.word_bytes) == 0, name + ".capacity_bytes",
            "must be a multiple of banks * word_bytes");
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

void AcceleratorConfig::validate() const {
    require(rows >= 1 && rows <= 1024, "rows", "must be 1..1024");
    require(cols >= 1 && cols <= 1024, "cols", "must be 1..1024");
    require(std::isfinite(clock_hz) && clock_hz >= 1e3 && clock_hz <= 1e11, "clock_hz",
            "must be 1 kHz .. 100 GHz");
    check_sram(weight_buffer, "weight_buffer");
    check_sram(activation_buffer, "activation_buffer");
    check_sram(gradient_buffer, "gradient_buffer");
    require(power_of_two(dma.burst_bytes) && dma.burst_bytes >= 4 && dma.burst_bytes <= 4096,
            "dma.burst_bytes", "must be a power of two in 4..4096");
    require(power_of_two(interconnect.width_bytes) && interconnect.width_bytes <= 4096,
            "interconnect.width_bytes", "must be a power of two up to 4096");
    require(interconnect.latency_cycles <= 1024, "interconnect.latency_cycles", "must be 0..1024");
    require(dma.max_outstanding >= 1 && dma.max_outstanding <= 64, "dma.max_outstanding", "must be 1..64");
    require(dram_size > 0 && dram_base + dram_size <= (1ull << 32) && dram_base + dram_size > dram_base,
            "dram_size",
            "the window [dram_base, dram_base + dram_size) must be non-empty and below 4 GiB "
            "(descriptor addresses are 32-bit)");
    require(supported_formats != 0 && (supported_formats & ~((1u << ACCEL_FMT_KIND_COUNT) - 1u)) == 0,
            "supported_formats", "must be a non-empty set of ACCEL_FMT_KIND_* bits");
    require(max_dim >= 1 && max_dim <= 65535, "max_dim", "must be 1..65535");
    try {
        timing.validate();
    } catch (const std::exception& e) {
        throw std::invalid_argument(std::string("accelerator.timing: ") + e.what());
    }
    require(max_acc_bits >= 8 && max_acc_bits <= 53, "max_acc_bits", "must be 8..53");
}

}  // namespace trainvp
