#include "sparse/pipeline_schedule.h"

#include <stdexcept>

namespace trainvp::sparse {

PipelineTiming::PipelineTiming(uint32_t layers, uint32_t interval) : layers_(layers), interval_(interval) {
    if (layers < 2) throw std::invalid_argument("a pipeline needs at least 2 layers");
    if (interval == 0) throw std::invalid_argument("the sample interval must be at least 1 cycle");
}

int64_t PipelineTiming::at(uint64_t cycle, uint64_t offset, uint64_t samples) const {
    if (cycle < offset) return -1;
    const uint64_t issue = cycle - offset;
    if (issue % interval_ != 0) return -1;
    const uint64_t sample = issue / interval_;
    return sample < samples ? static_cast<int64_t>(sample) : -1;
}

uint64_t PipelineTiming::ff_missing_updates(uint64_t sample, uint32_t junction) const {
    // UP of s' is written before FF of s reads when up_cycle(s') < ff_cycle(s), i.e.
    // s' * interval <= s * interval + 2j + 2 - 2L.
    const int64_t bound =
        static_cast<int64_t>(sample * interval_) + 2 * int64_t{junction} + 2 - 2 * int64_t{layers_};
    const int64_t seen = bound < 0 ? 0 : bound / interval_ + 1;  // samples 0 .. seen-1 are included
    const int64_t missing = static_cast<int64_t>(sample) - seen;
    return missing > 0 ? static_cast<uint64_t>(missing) : 0;
}

std::string PipelineTiming::markdown(uint64_t samples, uint64_t cycles) const {
    const uint32_t junctions = layers_ - 1;
    const auto cell = [](int64_t s) { return s < 0 ? std::string("-") : std::to_string(s); };
    std::string out = "| cycle | input |";
    std::string rule = "|---|---|";
    for (uint32_t j = 0; j < junctions; ++j) {
        const std::string n = std::to_string(j + 1);
        out += " J" + n + " FF |";
        rule += "---|";
        if (j > 0) {
            out += " J" + n + " BP |";
            rule += "---|";
        }
        out += " J" + n + " UP |";
        rule += "---|";
    }
    out += "\n" + rule + "\n";
    for (uint64_t c = 0; c < cycles; ++c) {
        out += "| " + std::to_string(c) + " | " + cell(input_sample(c, samples)) + " |";
        for (uint32_t j = 0; j < junctions; ++j) {
            out += " " + cell(ff_sample(c, j, samples)) + " |";
            if (j > 0) out += " " + cell(bp_sample(c, j, samples)) + " |";
            out += " " + cell(up_sample(c, j, samples)) + " |";
        }
        out += "\n";
    }
    return out;
}

}  // namespace trainvp::sparse
