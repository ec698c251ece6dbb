// The energy, power and area model (docs/energy.md), in the style of Accelergy: every component reports
// counted actions, every action has a price computed from the technology table, and dynamic energy is the sum
// of count x price; leakage is leakage-per-area x area x simulated time. The modules count, the table prices:
// no number sits in a module or in this code. Plain C++17, no SystemC.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "energy/component_models.h"
#include "energy/tech_table.h"

namespace trainvp::energy {

// The components and their actions (docs/energy.md "Actions"). `arg` selects the variant of an action.
//   pe_array          mac{AxB} (one multiply of the operand pair, e.g. "fx16.14xfx16.10"), acc_add{format}
//                     (one accumulate in the accumulator format, adder + accumulator register write),
//                     brick_product{b} (one b x b brick multiply), brick_acc{bits} (one aligned add into a
//                     brick accumulator: shifter, adder, register write), brick_combine{bits} (adding one
//                     brick accumulator into the combined sum: adder and register write) (brick PE only),
//                     operand_reg_read{bits}, operand_reg_write{bits}, operand_mux{bits} (one selection by a
//                     training operand multiplexer; training variant only)
//   weight_buffer, activation_buffer, gradient_buffer
//                     sram_read, sram_write (one word of the buffer's geometry)
//   interconnect      noc_byte{hops} (one byte moved over `hops` register stages)
//   dma               dma_burst (one burst: address generation)
//   dram              dram_read_byte, dram_write_byte{} (one byte; arg empty)
//   vector_unit       vector_op{kind:format}: kind add, mul, cmp, convert, special (exp/log/div)
//   update_unit       vector_op{kind:format} (the SGD update lanes; training variant only)
//   controller        descriptor (decode one descriptor), reg_access (one 32-bit register access)
//   cpu               cpu_insn{class}: alu, mul, div, load, store, branch_taken, branch_not_taken, jump, csr,
//                     system, atomic (the classes of cpu.cycles.*)
//   sparse_engine     mult{bits} (one bits x bits integer multiply), add{bits} (one integer add),
//                     sram_read{WxB}, sram_write{WxB} (one word of a memory macro of W words of B bits)
//                     (only when EnergyConfig::sparse describes the engine; Dey et al., docs/sparse.md)
extern const char* const kComponents[];
extern const size_t kComponentCount;

struct ActionKey {
    std::string component, action, arg;
    bool operator<(const ActionKey& o) const {
        return std::tie(component, action, arg) < std::tie(o.component, o.action, o.arg);
    }
    bool operator==(const ActionKey& o) const {
        return component == o.component && action == o.action && arg == o.arg;
    }
    std::string text() const;  // "pe_array.mac{fx16.14xfx16.10}"
};

// What the modules fill: counts per action. Keep one per layer x phase to get that breakdown (pricing is
// linear, so the sum of the parts' energies is the energy of the merged counts).
class ActionCounts {
  public:
    void add(const std::string& component, const std::string& action, const std::string& arg, uint64_t count);
    void add(const std::string& component, const std::string& action, uint64_t count) {
        add(component, action, "", count);
    }
    void merge(const ActionCounts& other);
    uint64_t get(const std::string& component, const std::string& action, const std::string& arg = "") const;
    const std::map<ActionKey, uint64_t>& counts() const { return counts_; }
    bool empty() const { return counts_.empty(); }

  private:
    std::map<ActionKey, uint64_t> counts_;
};

struct BufferGeometry {
    uint64_t capacity_bytes = 128 * 1024;
    uint32_t banks = 4;
    uint32_t word_bytes = 8;
    uint32_t ports = 1;
};

// What a training-capable array has that the same array built for inference only does not (TaxoNN's "adding
// the training ability to the baseline inference-only PEs", research/papers.md 1.4). The inference-only
// variant is the same configuration with all of this removed; the training overhead is the difference the
// model computes.
struct TrainingHardware {
    bool gradient_buffer = true;          // the buffer holding errors and weight gradients
    uint32_t error_path_regs_per_pe = 1;  // operand register for the error (G) on the backward paths
    uint32_t operand_mux_inputs = 3;      // per multiplier port: select {X,W} / {G,W} / {G,X}
    uint32_t muxed_operand_ports = 2;     // multiplier ports with such a select
    uint32_t update_lanes = 16;           // SGD update unit lanes (0: none)
    std::string update_format = "fp32";   // master-weight format the update unit works in
};

// A NeuroFlix-style brick PE (hardware.array.pe.kind: bricks; docs/accelerator-timing.md "Brick PE"): the PE
// is `bricks` b x b multipliers, each with an alignment shifter of `shift_range` positions and its own
// accumulator of `acc_bits`, plus one combining adder and register of pe_accumulator_format.
struct BrickPe {
    bool enabled = false;
    uint32_t brick_bits = 4;
    uint32_t bricks = 4;
    uint32_t acc_bits = 48;
    uint32_t shift_range = 29;  // fp16: the exponent moves a significand by 0..29 places
};

// Dey et al.'s sparse junction engine as built for a network (docs/energy.md "The sparse engine"): its
// memory macros by geometry and its multipliers and adders by width, each marked when only training needs
// it (the inference-only variant leaves it out). Empty: the accelerator has no sparse engine configured.
struct SparseEngineHardware {
    struct Memory {
        uint64_t words = 0;
        uint32_t bits = 0;
        uint64_t count = 0;  // macros of this geometry
        bool training_only = false;
    };
    struct Units {
        uint32_t bits = 0;
        uint64_t count = 0;
        bool training_only = false;
    };
    std::vector<Memory> memories;
    std::vector<Units> multipliers, adders;
    bool enabled() const { return !memories.empty() || !multipliers.empty() || !adders.empty(); }
};

// The accelerator as the energy model sees it. Part B fills this from AcceleratorConfig and the network's
// formats; every field is architecture, not technology.
struct EnergyConfig {
    uint32_t rows = 16, cols = 16;
    std::string pe_operand_format = "fx16";      // the widest operand the PE multiplier is built for (area)
    std::string pe_accumulator_format = "fx48";  // the PE accumulator (area)
    uint32_t operand_regs_per_pe = 2;            // systolic operand registers of the inference datapath
    BrickPe brick;                               // enabled: the PE is a brick PE (area and brick actions)
    BufferGeometry weight_buffer, activation_buffer, gradient_buffer;
    uint32_t vector_lanes = 16;          // element-wise unit (ReLU, pooling, loss)
    std::string vector_format = "fx16";  // its datapath format (area)
    uint32_t controller_register_bits = 64 * 32;
    uint32_t descriptor_bytes = 160;  // ACCEL_DESC_BYTES
    uint32_t dma_address_bits = 32;
    std::string dram_kind = "ddr4";  // an entry under dram.* of the table
    double clock_hz = 500e6;
    TrainingHardware training;
    SparseEngineHardware sparse;  // empty: no sparse engine (no sparse_engine component)

    // Throws UserError naming the field ("energy config: rows must be >= 1").
    void validate() const;
};

enum class Variant { training, inference_only };
const char* variant_name(Variant v);

struct ComponentResult {
    double dynamic_pj = 0;
    double leakage_pj = 0;
    double area_um2 = 0;
    double leakage_w = 0;
    std::map<std::string, double> action_pj;  // "mac{fx16xfx16}" -> pJ
    std::set<std::string> table_entries;      // the table entries this component's numbers were computed from
    double total_pj() const { return dynamic_pj + leakage_pj; }
};

struct EnergyResult {
    Variant variant = Variant::training;
    double seconds = 0;
    std::map<std::string, ComponentResult> components;  // every component of kComponents
    double dynamic_pj() const;
    double leakage_pj() const;
    double total_pj() const { return dynamic_pj() + leakage_pj(); }
    double area_um2() const;
    double leakage_w() const;
};

class EnergyModel {
  public:
    // Validates the configuration and the dram kind against the table. Keeps a copy of the table.
    EnergyModel(const TechTable& table, const EnergyConfig& config);
    EnergyModel(const EnergyModel&) = delete;  // prim_ refers to table_
    EnergyModel& operator=(const EnergyModel&) = delete;

    // Prices counted actions over `seconds` of simulated time (leakage of every on-chip component for that
    // time). Throws UserError for an unknown component, action or argument, or a training-only action in the
    // inference-only variant.
    EnergyResult evaluate(const ActionCounts& counts, double seconds,
                          Variant variant = Variant::training) const;
    // Areas and leakage power only (no actions, zero time).
    EnergyResult area(Variant variant = Variant::training) const { return evaluate({}, 0, variant); }
    // The price of one action in pJ.
    double price_pj(const ActionKey& key, Variant variant = Variant::training) const;

    const TechTable& table() const { return table_; }
    const EnergyConfig& config() const { return config_; }

  private:
    double price(const ActionKey& key, Variant variant) const;
    double component_area(const std::string& component, Variant variant) const;
    double vector_op(const std::string& arg) const;
    double cpu_insn(const std::string& cls) const;
    double sparse_engine(const ActionKey& key) const;
    // Energy or area (by `mux`) of a brick's alignment shifter for `bits`-wide partial products.
    double brick_shifter(uint64_t bits, double (Primitives::*mux)(uint32_t, uint64_t) const) const;

    TechTable table_;
    EnergyConfig config_;
    Primitives prim_;
};

// Average power in W of a result (dynamic and leakage), 0 for zero time.
double average_power_w(const EnergyResult& r);
// Energy per training image in pJ.
double energy_per_image_pj(const EnergyResult& r, uint64_t images);
// Effective TOPS/W, counting 2 operations per MAC: 2 * macs / total pJ (operations per pJ = TOPS/W).
double tops_per_watt(const EnergyResult& r, uint64_t macs);

}  // namespace trainvp::energy
