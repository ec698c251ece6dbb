#include "energy/energy_model.h"

#include <cmath>

#include "common/error.h"

namespace trainvp::energy {

const char* const kComponents[] = {
    "pe_array", "weight_buffer", "activation_buffer", "gradient_buffer", "interconnect", "dma",
    "dram",     "vector_unit",   "update_unit",       "controller",      "cpu"};
const size_t kComponentCount = sizeof(kComponents) / sizeof(kComponents[0]);

namespace {

[[noreturn]] void unknown(const ActionKey& k, const std::string& why) {
    throw UserError("energy model: action " + k.text() + ": " + why);
}

uint64_t parse_count(const ActionKey& k) {
    if (k.arg.empty() || k.arg.size() > 6) unknown(k, "argument must be a number of bits or hops");
    uint64_t v = 0;
    for (char c : k.arg) {
        if (c < '0' || c > '9') unknown(k, "argument must be a number of bits or hops");
        v = v * 10 + uint64_t(c - '0');
    }
    return v;
}

void require(bool ok, const std::string& what) {
    if (!ok) throw UserError("energy config: " + what);
}

const BufferGeometry* buffer_of(const EnergyConfig& c, const std::string& component) {
    if (component == "weight_buffer") return &c.weight_buffer;
    if (component == "activation_buffer") return &c.activation_buffer;
    if (component == "gradient_buffer") return &c.gradient_buffer;
    return nullptr;
}

}  // namespace

std::string ActionKey::text() const {
    return component + "." + action + (arg.empty() ? "" : "{" + arg + "}");
}

void ActionCounts::add(const std::string& component, const std::string& action, const std::string& arg,
                       uint64_t count) {
    if (count) counts_[{component, action, arg}] += count;
}

void ActionCounts::merge(const ActionCounts& other) {
    for (const auto& [k, n] : other.counts_) counts_[k] += n;
}

uint64_t ActionCounts::get(const std::string& component, const std::string& action,
                           const std::string& arg) const {
    auto it = counts_.find({component, action, arg});
    return it == counts_.end() ? 0 : it->second;
}

void EnergyConfig::validate() const {
    require(rows >= 1 && cols >= 1, "rows and cols must be >= 1");
    parse_operand(pe_operand_format);
    parse_operand(pe_accumulator_format);
    parse_operand(vector_format);
    parse_operand(training.update_format);
    for (const BufferGeometry* b : {&weight_buffer, &activation_buffer, &gradient_buffer})
        require(b->capacity_bytes >= 1 && b->word_bytes >= 1 && b->banks >= 1 && b->ports >= 1,
                "buffer capacity, word, banks and ports must be >= 1");
    require(dma_address_bits >= 1 && dma_address_bits <= 64, "dma_address_bits must be 1..64");
    require(clock_hz > 0, "clock_hz must be > 0");
    for (const auto& m : sparse.memories)
        require(m.words >= 1 && m.bits >= 1 && m.bits <= 64,
                "sparse engine memories need words >= 1 and 1..64 bits");
    for (const auto* units : {&sparse.multipliers, &sparse.adders})
        for (const auto& u : *units)
            require(u.bits >= 1 && u.bits <= 128, "sparse engine units need 1..128 bits");
    if (brick.enabled)
        require(brick.brick_bits >= 1 && brick.bricks >= 1 && brick.acc_bits >= 2 * brick.brick_bits,
                "brick PE: brick_bits and bricks must be >= 1, acc_bits >= 2 x brick_bits");
}

const char* variant_name(Variant v) {
    return v == Variant::training ? "training" : "inference_only";
}

double EnergyResult::dynamic_pj() const {
    double s = 0;
    for (const auto& [name, c] : components) s += c.dynamic_pj;
    return s;
}

double EnergyResult::leakage_pj() const {
    double s = 0;
    for (const auto& [name, c] : components) s += c.leakage_pj;
    return s;
}

double EnergyResult::area_um2() const {
    double s = 0;
    for (const auto& [name, c] : components) s += c.area_um2;
    return s;
}

double EnergyResult::leakage_w() const {
    double s = 0;
    for (const auto& [name, c] : components) s += c.leakage_w;
    return s;
}

EnergyModel::EnergyModel(const TechTable& table, const EnergyConfig& config)
    : table_(table), config_(config), prim_(table_) {
    config_.validate();
    if (!table_.has("dram." + config_.dram_kind + ".read"))
        throw UserError("energy config: dram kind '" + config_.dram_kind + "' is not in technology table " +
                        table_.name());
}

double EnergyModel::price_pj(const ActionKey& key, Variant variant) const {
    return price(key, variant);
}

double EnergyModel::vector_op(const std::string& arg) const {
    const size_t colon = arg.find(':');
    if (colon == std::string::npos)
        throw UserError("energy model: vector_op{" + arg + "}: expected kind:format");
    const std::string kind = arg.substr(0, colon);
    const OperandType f = parse_operand(arg.substr(colon + 1));
    if (kind == "add") return prim_.add_energy(f);
    if (kind == "mul") return prim_.mult_energy(f, f);
    // A compare is a subtraction of the bit patterns; a format conversion is priced as its rounding
    // increment.
    if (kind == "cmp" || kind == "convert") return prim_.int_add_energy(f.width);
    if (kind == "special") {
        const OperandType fp32 = parse_operand("fp32");
        return table_.value("vector.special_function_fmas") *
               (prim_.mult_energy(fp32, fp32) + prim_.add_energy(fp32));
    }
    throw UserError("energy model: vector_op kind '" + kind + "' (add, mul, cmp, convert, special)");
}

double EnergyModel::cpu_insn(const std::string& cls) const {
    const OperandType word = parse_operand("int32");
    const Primitives::SramGeometry dmem{uint64_t(table_.value("cpu.data_memory")), 4};
    double op = 0;
    if (cls == "alu" || cls == "branch_taken" || cls == "branch_not_taken" || cls == "jump")
        op = prim_.int_add_energy(32);
    else if (cls == "mul")
        op = prim_.mult_energy(word, word);
    else if (cls == "div")
        op = table_.value("cpu.divide_adds_per_bit") * 32 * prim_.int_add_energy(32);
    else if (cls == "load")
        op = prim_.sram_read_energy(dmem);
    else if (cls == "store")
        op = prim_.sram_write_energy(dmem);
    else if (cls == "atomic")
        op = prim_.sram_read_energy(dmem) + prim_.sram_write_energy(dmem) + prim_.int_add_energy(32);
    else if (cls != "csr" && cls != "system")
        throw UserError(
            "energy model: cpu_insn class '" + cls +
            "' (alu, mul, div, load, store, branch_taken, branch_not_taken, jump, csr, system, atomic)");
    return table_.value("cpu.instruction_overhead") + op;
}

double EnergyModel::price(const ActionKey& k, Variant variant) const {
    const bool training = variant == Variant::training;
    const std::string& c = k.component;
    const std::string& a = k.action;
    if (c == "pe_array") {
        if (a == "mac") {
            const auto [x, y] = parse_operand_pair(k.arg);
            return prim_.mult_energy(x, y);
        }
        if (a == "acc_add") {
            const OperandType f = parse_operand(k.arg);
            return prim_.add_energy(f) + prim_.register_energy(uint64_t(f.width));
        }
        if (a == "operand_reg_read" || a == "operand_reg_write") return prim_.register_energy(parse_count(k));
        if (a == "operand_mux") {
            if (!training || config_.training.operand_mux_inputs <= 1)
                unknown(k, "the array has no training operand multiplexers in this variant");
            return prim_.mux_energy(config_.training.operand_mux_inputs, parse_count(k));
        }
        if (a == "brick_product" || a == "brick_acc" || a == "brick_combine") {
            if (!config_.brick.enabled) unknown(k, "the array's PE is not a brick PE");
            const uint64_t bits = parse_count(k);
            if (a == "brick_product") return prim_.int_mult_energy(int(bits), int(bits));
            if (a == "brick_acc")
                return brick_shifter(bits, &Primitives::mux_energy) + prim_.int_add_energy(int(bits)) +
                       prim_.register_energy(bits);
            return prim_.int_add_energy(int(bits)) + prim_.register_energy(bits);
        }
        unknown(k,
                "pe_array actions are mac, acc_add, operand_reg_read, operand_reg_write, operand_mux, "
                "brick_product, brick_acc, brick_combine");
    }
    if (const BufferGeometry* b = buffer_of(config_, c)) {
        if (c == "gradient_buffer" && !training && config_.training.gradient_buffer)
            unknown(k, "the inference-only variant has no gradient buffer");
        if (!k.arg.empty()) unknown(k, "buffer actions take no argument");
        const Primitives::SramGeometry g{b->capacity_bytes, b->word_bytes};
        if (a == "sram_read") return prim_.sram_read_energy(g);
        if (a == "sram_write") return prim_.sram_write_energy(g);
        unknown(k, "buffer actions are sram_read and sram_write");
    }
    if (c == "interconnect") {
        if (a != "noc_byte") unknown(k, "interconnect action is noc_byte{hops}");
        const uint64_t hops = parse_count(k);
        if (hops == 0) return 0.0;
        // Each hop's register stages are written and read once per bit.
        return double(hops) * table_.value("interconnect.registers_per_hop") * 2 * prim_.register_energy(8);
    }
    if (c == "dma") {
        if (a != "dma_burst" || !k.arg.empty()) unknown(k, "dma action is dma_burst");
        // Address generation: one add of the address width, the address register read and written.
        return prim_.int_add_energy(int(config_.dma_address_bits)) +
               2 * prim_.register_energy(config_.dma_address_bits);
    }
    if (c == "dram") {
        if (!k.arg.empty()) unknown(k, "dram actions take no argument");
        if (a == "dram_read_byte") return 8 * table_.value("dram." + config_.dram_kind + ".read");
        if (a == "dram_write_byte") return 8 * table_.value("dram." + config_.dram_kind + ".write");
        unknown(k, "dram actions are dram_read_byte and dram_write_byte");
    }
    if (c == "vector_unit" || c == "update_unit") {
        if (a != "vector_op") unknown(k, "vector action is vector_op{kind:format}");
        if (c == "update_unit" && (!training || config_.training.update_lanes == 0))
            unknown(k, "this variant has no update unit");
        return vector_op(k.arg);
    }
    if (c == "controller") {
        if (!k.arg.empty()) unknown(k, "controller actions take no argument");
        if (a == "descriptor") return prim_.register_energy(uint64_t(config_.descriptor_bytes) * 8);
        if (a == "reg_access") return prim_.register_energy(32);
        unknown(k, "controller actions are descriptor and reg_access");
    }
    if (c == "cpu") {
        if (a != "cpu_insn") unknown(k, "cpu action is cpu_insn{class}");
        return cpu_insn(k.arg);
    }
    if (c == "sparse_engine") {
        if (!config_.sparse.enabled()) unknown(k, "the accelerator has no sparse engine configured");
        return sparse_engine(k);
    }
    unknown(k, "unknown component");
}

double EnergyModel::sparse_engine(const ActionKey& k) const {
    const std::string& a = k.action;
    if (a == "mult") {
        const int bits = int(parse_count(k));
        return prim_.int_mult_energy(bits, bits);
    }
    if (a == "add") return prim_.int_add_energy(int(parse_count(k)));
    if (a == "sram_read" || a == "sram_write") {
        // "WxB": a macro of W words of B bits, one word accessed.
        const size_t x = k.arg.find('x');
        uint64_t words = 0, bits = 0;
        if (x == std::string::npos) unknown(k, "argument must be WORDSxBITS");
        words = parse_count({k.component, a, k.arg.substr(0, x)});
        bits = parse_count({k.component, a, k.arg.substr(x + 1)});
        if (words == 0 || bits == 0 || bits > 64) unknown(k, "argument must be WORDSxBITS with 1..64 bits");
        const Primitives::SramGeometry g{(words * bits + 7) / 8, 0, uint32_t(bits)};
        return a == "sram_read" ? prim_.sram_read_energy(g) : prim_.sram_write_energy(g);
    }
    unknown(k, "sparse_engine actions are mult{bits}, add{bits}, sram_read{WxB}, sram_write{WxB}");
}

double EnergyModel::brick_shifter(uint64_t bits, double (Primitives::*mux)(uint32_t, uint64_t) const) const {
    // A logarithmic shifter: one 2:1 multiplexer stage of `bits` per bit of the shift amount.
    uint32_t stages = 0;
    while ((uint64_t{1} << stages) <= config_.brick.shift_range) ++stages;
    return stages * (prim_.*mux)(2, bits);
}

double EnergyModel::component_area(const std::string& c, Variant variant) const {
    const bool training = variant == Variant::training;
    const TrainingHardware& th = config_.training;
    if (c == "pe_array") {
        const OperandType op = parse_operand(config_.pe_operand_format);
        const OperandType acc = parse_operand(config_.pe_accumulator_format);
        // A brick PE replaces the multiplier by its bricks, each with a shifter, adder and accumulator.
        const BrickPe& br = config_.brick;
        const double multiplier =
            br.enabled ? br.bricks * (prim_.int_mult_area(int(br.brick_bits), int(br.brick_bits)) +
                                      brick_shifter(br.acc_bits, &Primitives::mux_area) +
                                      prim_.int_add_area(int(br.acc_bits)) + prim_.register_area(br.acc_bits))
                       : prim_.mult_area(op, op);
        double pe = multiplier + prim_.add_area(acc) + prim_.register_area(uint64_t(acc.width)) +
                    prim_.register_area(uint64_t(config_.operand_regs_per_pe) * op.width);
        if (training)
            pe += prim_.register_area(uint64_t(th.error_path_regs_per_pe) * op.width) +
                  th.muxed_operand_ports * prim_.mux_area(th.operand_mux_inputs, uint64_t(op.width));
        return double(config_.rows) * config_.cols * pe;
    }
    if (const BufferGeometry* b = buffer_of(config_, c)) {
        if (c == "gradient_buffer" && !training && th.gradient_buffer) return 0.0;
        return prim_.sram_area({b->capacity_bytes, b->word_bytes});
    }
    if (c == "dma")
        return prim_.int_add_area(int(config_.dma_address_bits)) +
               prim_.register_area(2 * uint64_t(config_.dma_address_bits));
    if (c == "vector_unit") {
        const OperandType f = parse_operand(config_.vector_format);
        return config_.vector_lanes ? config_.vector_lanes * (prim_.add_area(f) + prim_.mult_area(f, f))
                                    : 0.0;
    }
    if (c == "update_unit") {
        if (!training || th.update_lanes == 0) return 0.0;
        const OperandType f = parse_operand(th.update_format);
        return th.update_lanes * (prim_.add_area(f) + prim_.mult_area(f, f));
    }
    if (c == "controller")
        return prim_.register_area(uint64_t(config_.controller_register_bits) +
                                   uint64_t(config_.descriptor_bytes) * 8);
    if (c == "sparse_engine") {
        const SparseEngineHardware& sp = config_.sparse;
        double area = 0;
        for (const auto& m : sp.memories)
            if (training || !m.training_only)
                area += double(m.count) * prim_.sram_area({(m.words * m.bits + 7) / 8, 0, m.bits});
        for (const auto& u : sp.multipliers)
            if (training || !u.training_only)
                area += double(u.count) * prim_.int_mult_area(int(u.bits), int(u.bits));
        for (const auto& u : sp.adders)
            if (training || !u.training_only) area += double(u.count) * prim_.int_add_area(int(u.bits));
        return area;
    }
    return 0.0;  // interconnect (wires unpriced), dram (off chip), cpu (no area source)
}

EnergyResult EnergyModel::evaluate(const ActionCounts& counts, double seconds, Variant variant) const {
    if (!(seconds >= 0) || !std::isfinite(seconds))
        throw UserError("energy model: simulated time must be a finite number >= 0");
    EnergyResult r;
    r.variant = variant;
    r.seconds = seconds;
    for (size_t i = 0; i < kComponentCount; ++i) r.components[kComponents[i]];
    if (config_.sparse.enabled()) r.components["sparse_engine"];
    for (const auto& [key, n] : counts.counts()) {
        auto it = r.components.find(key.component);
        if (it == r.components.end())
            unknown(key, key.component == "sparse_engine" ? "the accelerator has no sparse engine configured"
                                                          : "unknown component");
        ComponentResult& cr = it->second;
        RecordScope scope(table_, &cr.table_entries);
        const double pj = price(key, variant) * double(n);
        cr.dynamic_pj += pj;
        cr.action_pj[key.action + (key.arg.empty() ? "" : "{" + key.arg + "}")] += pj;
    }
    for (auto& [name, cr] : r.components) {
        std::set<std::string> area_entries;
        {
            RecordScope scope(table_, &area_entries);
            cr.area_um2 = component_area(name, variant);
            if (cr.area_um2 > 0) cr.leakage_w = cr.area_um2 * prim_.leakage_nw_per_um2() * 1e-9;
        }
        if (cr.area_um2 > 0) cr.table_entries.insert(area_entries.begin(), area_entries.end());
        cr.leakage_pj = cr.leakage_w * seconds * 1e12;
    }
    return r;
}

double average_power_w(const EnergyResult& r) {
    return r.seconds > 0 ? r.total_pj() * 1e-12 / r.seconds : 0.0;
}

double energy_per_image_pj(const EnergyResult& r, uint64_t images) {
    return images ? r.total_pj() / double(images) : 0.0;
}

double tops_per_watt(const EnergyResult& r, uint64_t macs) {
    const double pj = r.total_pj();
    return pj > 0 ? 2.0 * double(macs) / pj : 0.0;
}

}  // namespace trainvp::energy
