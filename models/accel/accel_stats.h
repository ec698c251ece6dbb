// Accelerator statistics: per descriptor, per layer and phase, per phase and in total (docs/accelerator.md
// "Statistics"). Events are counted by kind and width (MACs per operand-format pair, bytes and accesses per
// buffer) so that an energy model can be built on them. SystemC-free.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "accel/compute_timing.h"

namespace trainvp {

// Bytes and bank-word accesses of one buffer (the energy model's events).
struct SramCounters {
    uint64_t read_bytes = 0, write_bytes = 0;
    uint64_t read_accesses = 0, write_accesses = 0;  // bank-word accesses (bytes / word_bytes, rounded up)
    void merge(const SramCounters& o) {
        read_bytes += o.read_bytes;
        write_bytes += o.write_bytes;
        read_accesses += o.read_accesses;
        write_accesses += o.write_accesses;
    }
};

// Actions the units count for the energy model (docs/energy.md "Actions"); the model prices them, no unit
// knows an energy. Keys name formats as docs/numerics.md writes them.
struct UnitActions {
    std::map<std::string, uint64_t> acc_adds;  // PE array: accumulator format ("fx48", "fp32") -> additions
    std::map<std::string, uint64_t> gemm_outputs;  // PE array: operand pair (as macs_by_format) -> results
    std::map<uint32_t, uint64_t> operand_reg_reads, operand_reg_writes;  // PE array: operand bits -> accesses
    std::map<std::string, uint64_t> vector_ops;  // vector unit: "kind:format" -> element operations
    std::map<std::string, uint64_t> update_ops;  // vector unit, SGD update: "kind:format" -> operations
    uint64_t dma_bursts = 0;                     // DMA engine: DRAM bursts (descriptor fetches included)
    uint64_t interconnect_bytes = 0;             // bytes through the buffer interconnect (DMA and units)
    uint64_t register_accesses = 0;              // controller: register reads and writes by the host
    void merge(const UnitActions& o);
    nlohmann::json to_json() const;
};

class StateWriter;
class StateReader;

}  // namespace trainvp

namespace trainvp::accel {

struct PhaseStats {
    uint64_t descriptors = 0, tiles = 0;
    uint64_t cycles = 0;          // busy cycles: fetch, DMA not hidden by compute, compute
    uint64_t compute_cycles = 0;  // PE-array cycles (mac_cycles + compute-side stalls)
    uint64_t mac_cycles = 0;
    uint64_t stalls[static_cast<int>(Stall::count)] = {};  // by reason; dma = busy cycles waiting for DMA
    uint64_t macs = 0;
    // The stride zeros of the backward passes of stride > 1 convolutions (docs/accelerator-timing.md "Stride
    // zeros"): MACs of the dense formulation whose error operand is an inserted zero, and the compute cycles
    // the dense formulation takes beyond the compact one. Executed (in macs and compute_cycles) by a dense
    // array; saved (not in them) when the array skips the zeros (`zeros_skipped`).
    uint64_t stride_zero_macs = 0, stride_zero_cycles = 0;
    bool zeros_skipped = false;
    uint64_t dram_read_bytes = 0, dram_write_bytes = 0;  // the tile plan's traffic (re-reads included)
    uint64_t tlm_read_bytes = 0, tlm_write_bytes = 0;    // bytes the DMA moved in TLM transactions
    SramCounters buffers[3];                             // weight, activation, gradient
    std::map<std::string, uint64_t> macs_by_format;      // "fx16.8xfx16.12" -> MACs
    UnitActions actions;                                 // what each unit did, for the energy model

    void merge(const PhaseStats& o);
    uint64_t stall_cycles() const;
    // macs / (compute_cycles * rows * cols)
    double utilisation(uint64_t pe_count) const;
    nlohmann::json to_json(uint64_t pe_count) const;
    // {"skipped", "macs", "compute_cycles", "macs_fraction", "compute_cycles_fraction"}: the stride zeros and
    // their share of the dense formulation's MACs and compute cycles.
    nlohmann::json stride_zeros_json() const;
};

struct DescriptorRecord {
    uint64_t sequence = 0;  // descriptors completed before this one since reset
    uint32_t ring_index = 0;
    uint32_t opcode = 0;
    uint32_t layer = 0;
    std::string split;
    double start_ns = 0, end_ns = 0;
    PhaseStats stats;
};

class AccelStats {
  public:
    explicit AccelStats(size_t history_limit = 256) : history_limit_(history_limit) {}
    void record(const DescriptorRecord& r);
    // A register access by the host (the controller's action; not part of any descriptor).
    void count_register_access() { ++total_.actions.register_accesses; }
    void clear();

    const PhaseStats& total() const { return total_; }
    const std::map<std::string, PhaseStats>& per_phase() const { return per_phase_; }
    const std::map<uint32_t, std::map<std::string, PhaseStats>>& per_layer() const { return per_layer_; }
    const std::deque<DescriptorRecord>& history() const { return history_; }
    const DescriptorRecord* last() const { return history_.empty() ? nullptr : &history_.back(); }

    nlohmann::json to_json(uint64_t pe_count) const;

    // Checkpoints: every total and the history (the history limit is configuration and stays).
    void save_state(StateWriter& w) const;
    void restore_state(StateReader& r);

  private:
    size_t history_limit_;
    PhaseStats total_;
    std::map<std::string, PhaseStats> per_phase_;                      // opcode name -> stats
    std::map<uint32_t, std::map<std::string, PhaseStats>> per_layer_;  // layer id -> opcode name -> stats
    std::deque<DescriptorRecord> history_;
};

}  // namespace trainvp::accel
