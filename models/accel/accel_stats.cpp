#include "accel/accel_stats.h"

#include <type_traits>

#include "accel/accel_op.h"
#include "common/state_io.h"

namespace trainvp::accel {

void PhaseStats::merge(const PhaseStats& o) {
    descriptors += o.descriptors;
    tiles += o.tiles;
    cycles += o.cycles;
    compute_cycles += o.compute_cycles;
    mac_cycles += o.mac_cycles;
    for (int i = 0; i < static_cast<int>(Stall::count); ++i) stalls[i] += o.stalls[i];
    macs += o.macs;
    stride_zero_macs += o.stride_zero_macs;
    stride_zero_cycles += o.stride_zero_cycles;
    zeros_skipped = zeros_skipped || o.zeros_skipped;
    dram_read_bytes += o.dram_read_bytes;
    dram_write_bytes += o.dram_write_bytes;
    tlm_read_bytes += o.tlm_read_bytes;
    tlm_write_bytes += o.tlm_write_bytes;
    for (int b = 0; b < 3; ++b) buffers[b].merge(o.buffers[b]);
    for (const auto& [k, v] : o.macs_by_format) macs_by_format[k] += v;
    actions.merge(o.actions);
}

}  // namespace trainvp::accel

namespace trainvp {

void UnitActions::merge(const UnitActions& o) {
    for (const auto& [k, v] : o.acc_adds) acc_adds[k] += v;
    for (const auto& [k, v] : o.gemm_outputs) gemm_outputs[k] += v;
    for (const auto& [k, v] : o.operand_reg_reads) operand_reg_reads[k] += v;
    for (const auto& [k, v] : o.operand_reg_writes) operand_reg_writes[k] += v;
    for (const auto& [k, v] : o.vector_ops) vector_ops[k] += v;
    for (const auto& [k, v] : o.update_ops) update_ops[k] += v;
    dma_bursts += o.dma_bursts;
    interconnect_bytes += o.interconnect_bytes;
    register_accesses += o.register_accesses;
}

nlohmann::json UnitActions::to_json() const {
    auto by_bits = [](const std::map<uint32_t, uint64_t>& m) {
        nlohmann::json j = nlohmann::json::object();
        for (const auto& [bits, n] : m) j[std::to_string(bits)] = n;
        return j;
    };
    return {{"acc_adds", acc_adds},
            {"gemm_outputs", gemm_outputs},
            {"operand_reg_reads_by_bits", by_bits(operand_reg_reads)},
            {"operand_reg_writes_by_bits", by_bits(operand_reg_writes)},
            {"vector_ops", vector_ops},
            {"update_ops", update_ops},
            {"dma_bursts", dma_bursts},
            {"interconnect_bytes", interconnect_bytes},
            {"register_accesses", register_accesses}};
}

}  // namespace trainvp

namespace trainvp::accel {

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

nlohmann::json PhaseStats::stride_zeros_json() const {
    // The dense formulation's MACs and compute cycles: the counted ones, plus the zeros' when they were
    // skipped.
    const uint64_t dense_macs = macs + (zeros_skipped ? stride_zero_macs : 0);
    const uint64_t dense_cycles = compute_cycles + (zeros_skipped ? stride_zero_cycles : 0);
    auto share = [](uint64_t part, uint64_t whole) {
        return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
    };
    return {{"skipped", zeros_skipped},
            {"macs", stride_zero_macs},
            {"compute_cycles", stride_zero_cycles},
            {"macs_fraction", share(stride_zero_macs, dense_macs)},
            {"compute_cycles_fraction", share(stride_zero_cycles, dense_cycles)}};
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
    j["stride_zeros"] = stride_zeros_json();
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
    j["actions"] = actions.to_json();
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

namespace {

void save_sram(StateWriter& w, const SramCounters& c) {
    w.u64(c.read_bytes);
    w.u64(c.write_bytes);
    w.u64(c.read_accesses);
    w.u64(c.write_accesses);
}

SramCounters restore_sram(StateReader& r) {
    SramCounters c;
    c.read_bytes = r.u64();
    c.write_bytes = r.u64();
    c.read_accesses = r.u64();
    c.write_accesses = r.u64();
    return c;
}

template <typename K>
void save_map(StateWriter& w, const std::map<K, uint64_t>& m) {
    w.u64(m.size());
    for (const auto& [k, v] : m) {
        if constexpr (std::is_same_v<K, std::string>)
            w.str(k);
        else
            w.u32(k);
        w.u64(v);
    }
}

template <typename K>
void restore_map(StateReader& r, std::map<K, uint64_t>& m) {
    for (size_t n = r.count(12); n; --n) {
        K k;
        if constexpr (std::is_same_v<K, std::string>)
            k = r.str();
        else
            k = r.u32();
        m[std::move(k)] = r.u64();
    }
}

void save_actions(StateWriter& w, const UnitActions& a) {
    save_map(w, a.acc_adds);
    save_map(w, a.gemm_outputs);
    save_map(w, a.operand_reg_reads);
    save_map(w, a.operand_reg_writes);
    save_map(w, a.vector_ops);
    save_map(w, a.update_ops);
    for (uint64_t v : {a.dma_bursts, a.interconnect_bytes, a.register_accesses}) w.u64(v);
}

UnitActions restore_actions(StateReader& r) {
    UnitActions a;
    restore_map(r, a.acc_adds);
    restore_map(r, a.gemm_outputs);
    restore_map(r, a.operand_reg_reads);
    restore_map(r, a.operand_reg_writes);
    restore_map(r, a.vector_ops);
    restore_map(r, a.update_ops);
    for (uint64_t* v : {&a.dma_bursts, &a.interconnect_bytes, &a.register_accesses}) *v = r.u64();
    return a;
}

void save_phase(StateWriter& w, const PhaseStats& p) {
    for (uint64_t v : {p.descriptors, p.tiles, p.cycles, p.compute_cycles, p.mac_cycles}) w.u64(v);
    for (uint64_t v : p.stalls) w.u64(v);
    for (uint64_t v : {p.macs, p.dram_read_bytes, p.dram_write_bytes, p.tlm_read_bytes, p.tlm_write_bytes})
        w.u64(v);
    for (uint64_t v : {p.stride_zero_macs, p.stride_zero_cycles, uint64_t{p.zeros_skipped}}) w.u64(v);
    for (const SramCounters& c : p.buffers) save_sram(w, c);
    w.u64(p.macs_by_format.size());
    for (const auto& [k, v] : p.macs_by_format) {
        w.str(k);
        w.u64(v);
    }
    save_actions(w, p.actions);
}

PhaseStats restore_phase(StateReader& r) {
    PhaseStats p;
    for (uint64_t* v : {&p.descriptors, &p.tiles, &p.cycles, &p.compute_cycles, &p.mac_cycles}) *v = r.u64();
    for (uint64_t& v : p.stalls) v = r.u64();
    for (uint64_t* v :
         {&p.macs, &p.dram_read_bytes, &p.dram_write_bytes, &p.tlm_read_bytes, &p.tlm_write_bytes})
        *v = r.u64();
    p.stride_zero_macs = r.u64();
    p.stride_zero_cycles = r.u64();
    p.zeros_skipped = r.u64() != 0;
    for (SramCounters& c : p.buffers) c = restore_sram(r);
    for (size_t n = r.count(16); n; --n) {
        std::string k = r.str();
        p.macs_by_format[std::move(k)] = r.u64();
    }
    p.actions = restore_actions(r);
    return p;
}

}  // namespace

void AccelStats::save_state(StateWriter& w) const {
    save_phase(w, total_);
    w.u64(per_phase_.size());
    for (const auto& [k, v] : per_phase_) {
        w.str(k);
        save_phase(w, v);
    }
    w.u64(per_layer_.size());
    for (const auto& [layer, ops] : per_layer_) {
        w.u32(layer);
        w.u64(ops.size());
        for (const auto& [k, v] : ops) {
            w.str(k);
            save_phase(w, v);
        }
    }
    w.u64(history_.size());
    for (const DescriptorRecord& d : history_) {
        w.u64(d.sequence);
        w.u32(d.ring_index);
        w.u32(d.opcode);
        w.u32(d.layer);
        w.str(d.split);
        w.f64(d.start_ns);
        w.f64(d.end_ns);
        save_phase(w, d.stats);
    }
}

void AccelStats::restore_state(StateReader& r) {
    AccelStats s(history_limit_);
    s.total_ = restore_phase(r);
    for (size_t n = r.count(8); n; --n) {
        std::string k = r.str();
        s.per_phase_[std::move(k)] = restore_phase(r);
    }
    for (size_t n = r.count(12); n; --n) {
        auto& ops = s.per_layer_[r.u32()];
        for (size_t m = r.count(8); m; --m) {
            std::string k = r.str();
            ops[std::move(k)] = restore_phase(r);
        }
    }
    for (size_t n = r.count(36); n; --n) {
        DescriptorRecord d;
        d.sequence = r.u64();
        d.ring_index = r.u32();
        d.opcode = r.u32();
        d.layer = r.u32();
        d.split = r.str();
        d.start_ns = r.f64();
        d.end_ns = r.f64();
        d.stats = restore_phase(r);
        s.history_.push_back(std::move(d));
    }
    if (s.history_.size() > history_limit_)
        r.fail("holds " + std::to_string(s.history_.size()) + " descriptor records, the limit is " +
               std::to_string(history_limit_));
    *this = std::move(s);
}

}  // namespace trainvp::accel
