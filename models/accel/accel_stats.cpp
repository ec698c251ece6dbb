#include "accel/accel_stats.h"

#include "accel/accel_op.h"

namespace trainvp::accel {

void PhaseStats::merge(const PhaseStats& o) {
    descriptors += o.descriptors;
    tiles += o.tiles;
    cycles += o.cycles;
    compute_cycles += o.compute_cycles;
    mac_cycles += o.mac_cycles;
    for (int i = 0; i < static_cast<int>(Stall::count); ++i) stalls[i] += o.stalls[i];
    macs += o.macs;
    dram_read_bytes += o.dram_read_bytes;
    dram_write_bytes += o.dram_write_bytes;
    tlm_read_bytes += o.tlm_read_bytes;
    tlm_write_bytes += o.tlm_write_bytes;
    for (int b = 0; b < 3; ++b) buffers[b].merge(o.buffers[b]);
    for (const auto& [k, v] : o.macs_by_format) macs_by_format[k] += v;
}

uint64_t PhaseStats::stall_cycles() const {
    uint64_t s = 0;
    for (uint64_t v : stalls) s += v;
    return s;
}

double PhaseStats::utilisation(uint64_t pe_count) const {
    return compute_cycles && pe_count
               ? static_cast<double>(macs) / (static_cast<double>(compute_cycles) * pe_count)
               : 0.0;
}

nlohmann::json PhaseStats::to_json(uint64_t pe_count) const {
    nlohmann::json j;
    j["descriptors"] = descriptors;
    j["tiles"] = tiles;
    j["cycles"] = cycles;
    j["compute_cycles"] = compute_cycles;
    j["mac_cycles"] = mac_cycles;
    nlohmann::json st = nlohmann::json::object();
    for (int i = 0; i < static_cast<int>(Stall::count); ++i)
        st[stall_name(static_cast<Stall>(i))] = stalls[i];
    j["stall_cycles"] = st;
    j["macs"] = macs;
    j["utilisation"] = utilisation(pe_count);
    j["dram_read_bytes"] = dram_read_bytes;
    j["dram_write_bytes"] = dram_write_bytes;
    j["tlm_read_bytes"] = tlm_read_bytes;
    j["tlm_write_bytes"] = tlm_write_bytes;
    nlohmann::json bufs = nlohmann::json::object();
    for (int b = 0; b < 3; ++b) {
        const SramCounters& c = buffers[b];
        bufs[buffer_name(static_cast<BufferId>(b))] = {{"read_bytes", c.read_bytes},
                                                       {"write_bytes", c.write_bytes},
                                                       {"read_accesses", c.read_accesses},
                                                       {"write_accesses", c.write_accesses}};
    }
    j["buffers"] = bufs;
    j["macs_by_format"] = macs_by_format;
    return j;
}

void AccelStats::record(const DescriptorRecord& r) {
    const std::string phase = opcode_name(r.opcode);
    total_.merge(r.stats);
    per_phase_[phase].merge(r.stats);
    per_layer_[r.layer][phase].merge(r.stats);
    if (history_limit_ == 0) return;
    history_.push_back(r);
    while (history_.size() > history_limit_) history_.pop_front();
}

void AccelStats::clear() {
    total_ = PhaseStats{};
    per_phase_.clear();
    per_layer_.clear();
    history_.clear();
}

nlohmann::json AccelStats::to_json(uint64_t pe_count) const {
    nlohmann::json j;
    j["total"] = total_.to_json(pe_count);
    nlohmann::json phases = nlohmann::json::object();
    for (const auto& [k, v] : per_phase_) phases[k] = v.to_json(pe_count);
    j["per_phase"] = phases;
    nlohmann::json layers = nlohmann::json::object();
    for (const auto& [layer, m] : per_layer_) {
        nlohmann::json l = nlohmann::json::object();
        for (const auto& [k, v] : m) l[k] = v.to_json(pe_count);
        layers[std::to_string(layer)] = l;
    }
    j["per_layer"] = layers;
    nlohmann::json hist = nlohmann::json::array();
    for (const DescriptorRecord& r : history_) {
        nlohmann::json d = r.stats.to_json(pe_count);
        d["sequence"] = r.sequence;
        d["ring_index"] = r.ring_index;
        d["opcode"] = opcode_name(r.opcode);
        d["layer"] = r.layer;
        d["split"] = r.split;
        d["start_ns"] = r.start_ns;
        d["end_ns"] = r.end_ns;
        hist.push_back(d);
    }
    j["descriptors"] = hist;
    return j;
}

}  // namespace trainvp::accel
