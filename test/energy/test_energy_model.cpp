// The pricing model: every action kind reaches the total with its hand-computed price, areas and the
// inference-only variant by hand, leakage proportional to time and area, determinism, and overrides that
// change exactly the components that use the entry.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "energy/energy_model.h"
#include "energy/technology.h"

using namespace trainvp::energy;
using trainvp::UserError;

namespace {

struct Priced {
    ActionKey key;
    uint64_t count;
    double price_pj;  // by hand from tech/45nm.yaml and the default EnergyConfig
};

// One of every action kind, with its price worked out by hand (docs/energy.md "Actions").
std::vector<Priced> every_action() {
    const double reg = 0.009;                                               // pJ per register bit
    const double sram128k = 75.22;                                          // 128 KiB, 8-byte word
    const double load = 3.918 * std::pow(75.22 * 0.65 / 3.918, 1.0 / 5.0);  // 8 KiB, 4-byte word
    const double store = 3.605 * std::pow(75.22 * 0.65 / 3.605, 1.0 / 5.0);
    // bf16: on the line through the fp16 and fp32 anchors after their exponent adders (test_primitives.cpp).
    const double r16m = 1.1 - 0.03 * 5 / 8, r32m = 3.7 - 0.03, r16a = 0.4 - 0.03 * 5 / 8, r32a = 0.9 - 0.03;
    const double bf16_mult = r16m + (r32m - r16m) * (64 - 121) / (576 - 121) + 0.03;
    const double x8 = 8 * std::log2(8.0), x16 = 11 * std::log2(11.0), x32 = 24 * std::log2(24.0);
    const double bf16_add = r16a + (r32a - r16a) * (x8 - x16) / (x32 - x16) + 0.03;
    return {
        {{"pe_array", "mac", "fx16.14xfx16.10"}, 1000, 0.2 + 192 * 2.9 / 960},  // int mult 16x16
        {{"pe_array", "mac", "fp32xfp32"}, 3, 3.7},
        {{"pe_array", "mac", "bf16xbf16"}, 4, bf16_mult},
        {{"pe_array", "acc_add", "fx48"}, 900, 0.1 * 48 / 32 + 48 * reg},  // adder + accumulator register
        {{"pe_array", "acc_add", "fp32"}, 5, 0.9 + 32 * reg},
        {{"pe_array", "operand_reg_read", "16"}, 2000, 16 * reg},
        {{"pe_array", "operand_reg_write", "16"}, 700, 16 * reg},
        {{"pe_array", "operand_mux", "16"}, 400, 2 * 16 * 0.000921},  // 3:1 = two 2:1 stages
        {{"weight_buffer", "sram_read", ""}, 50, sram128k},
        {{"weight_buffer", "sram_write", ""}, 7, sram128k},
        {{"activation_buffer", "sram_read", ""}, 60, sram128k},
        {{"activation_buffer", "sram_write", ""}, 8, sram128k},
        {{"gradient_buffer", "sram_read", ""}, 70, sram128k},
        {{"gradient_buffer", "sram_write", ""}, 9, sram128k},
        {{"interconnect", "noc_byte", "2"}, 4096, 2 * 1 * 2 * 8 * reg},  // 2 hops, 1 register each
        {{"dma", "dma_burst", ""}, 16, 0.1 + 2 * 32 * reg},
        {{"dram", "dram_read_byte", ""}, 4096, 8 * 20.0},
        {{"dram", "dram_write_byte", ""}, 1024, 8 * 20.0},
        {{"vector_unit", "vector_op", "add:fp32"}, 11, 0.9},
        {{"vector_unit", "vector_op", "add:bf16"}, 15, bf16_add},
        {{"vector_unit", "vector_op", "mul:fp32"}, 12, 3.7},
        {{"vector_unit", "vector_op", "cmp:fx16.12"}, 13, 0.05},
        {{"vector_unit", "vector_op", "convert:fx8.4"}, 14, 0.03},
        {{"vector_unit", "vector_op", "special:fp32"}, 2, 6 * (3.7 + 0.9)},
        {{"update_unit", "vector_op", "mul:fp32"}, 20, 3.7},
        {{"update_unit", "vector_op", "add:fp32"}, 21, 0.9},
        {{"controller", "descriptor", ""}, 5, 160 * 8 * reg},
        {{"controller", "reg_access", ""}, 30, 32 * reg},
        {{"cpu", "cpu_insn", "alu"}, 1000, 70 + 0.1},
        {{"cpu", "cpu_insn", "mul"}, 10, 70 + 3.1},
        {{"cpu", "cpu_insn", "div"}, 3, 70 + 32 * 0.1},
        {{"cpu", "cpu_insn", "load"}, 300, 70 + load},
        {{"cpu", "cpu_insn", "store"}, 200, 70 + store},
        {{"cpu", "cpu_insn", "branch_taken"}, 50, 70 + 0.1},
        {{"cpu", "cpu_insn", "branch_not_taken"}, 60, 70 + 0.1},
        {{"cpu", "cpu_insn", "jump"}, 40, 70 + 0.1},
        {{"cpu", "cpu_insn", "csr"}, 9, 70},
        {{"cpu", "cpu_insn", "system"}, 8, 70},
        {{"cpu", "cpu_insn", "atomic"}, 2, 70 + load + store + 0.1},
    };
}

ActionCounts counts_of(const std::vector<Priced>& actions) {
    ActionCounts c;
    for (const Priced& p : actions) c.add(p.key.component, p.key.action, p.key.arg, p.count);
    return c;
}

// Component areas of the default EnergyConfig by hand (um2).
struct HandArea {
    double pe_inference, pe_training_extra, sram128k, vector, update, dma, controller;
};
HandArea hand_area() {
    const double mult16 = 282 + 192 * (3495 - 282) / 960.0;  // 16x16 multiplier
    const double acc = 137 * 48 / 32.0 + 48 * 5.98;          // 48-bit adder and register
    const double operand_regs = 2 * 16 * 5.98;
    const double fx16_lane = 67 + mult16;  // vector lane: fx16 adder and multiplier
    return {mult16 + acc + operand_regs,
            16 * 5.98 + 2 * 2 * 16 * 2.22,  // error-path register, two 3:1 muxes of 16 bits
            1162549,
            16 * fx16_lane,
            16 * (4184 + 7700.0),
            137 + 64 * 5.98,
            (64 * 32 + 160 * 8) * 5.98};
}

}  // namespace

TEST_CASE("every action kind reaches the total with its hand-computed price", "[energy][model]") {
    const EnergyModel m(reference_table(), EnergyConfig{});
    const std::vector<Priced> actions = every_action();
    const EnergyResult all = m.evaluate(counts_of(actions), 0);
    double expected_total = 0;
    std::map<std::string, double> expected_by_component;
    for (const Priced& p : actions) {
        INFO(p.key.text());
        CHECK(m.price_pj(p.key) == Approx(p.price_pj).epsilon(1e-12));
        // Alone, the action's energy is count x price, in its component and in the total.
        const EnergyResult one = m.evaluate(counts_of({p}), 0);
        CHECK(one.dynamic_pj() == Approx(p.count * p.price_pj).epsilon(1e-12));
        CHECK(one.components.at(p.key.component).dynamic_pj == one.dynamic_pj());
        const std::string label = p.key.action + (p.key.arg.empty() ? "" : "{" + p.key.arg + "}");
        CHECK(all.components.at(p.key.component).action_pj.at(label) == Approx(p.count * p.price_pj));
        // Removing it from the full set lowers the total by exactly that much.
        std::vector<Priced> rest;
        for (const Priced& q : actions)
            if (!(q.key == p.key)) rest.push_back(q);
        CHECK(all.dynamic_pj() - m.evaluate(counts_of(rest), 0).dynamic_pj() ==
              Approx(p.count * p.price_pj).epsilon(1e-9));
        expected_total += p.count * p.price_pj;
        expected_by_component[p.key.component] += p.count * p.price_pj;
    }
    CHECK(all.dynamic_pj() == Approx(expected_total).epsilon(1e-12));
    for (const auto& [component, pj] : expected_by_component)
        CHECK(all.components.at(component).dynamic_pj == Approx(pj).epsilon(1e-12));
    CHECK(all.leakage_pj() == 0);  // zero simulated time
    CHECK(all.components.size() == kComponentCount);
}

TEST_CASE("areas by hand, and the inference-only variant without the training hardware",
          "[energy][model][area]") {
    EnergyConfig cfg;
    const EnergyModel m(reference_table(), cfg);
    const HandArea h = hand_area();
    const EnergyResult tr = m.area(Variant::training);
    const EnergyResult inf = m.area(Variant::inference_only);
    CHECK(tr.components.at("pe_array").area_um2 == Approx(256 * (h.pe_inference + h.pe_training_extra)));
    CHECK(inf.components.at("pe_array").area_um2 == Approx(256 * h.pe_inference));
    for (const char* b : {"weight_buffer", "activation_buffer"}) {
        CHECK(tr.components.at(b).area_um2 == Approx(h.sram128k));
        CHECK(inf.components.at(b).area_um2 == Approx(h.sram128k));
    }
    CHECK(tr.components.at("gradient_buffer").area_um2 == Approx(h.sram128k));
    CHECK(inf.components.at("gradient_buffer").area_um2 == 0);
    CHECK(tr.components.at("update_unit").area_um2 == Approx(h.update));
    CHECK(inf.components.at("update_unit").area_um2 == 0);
    CHECK(tr.components.at("vector_unit").area_um2 == Approx(h.vector));
    CHECK(tr.components.at("dma").area_um2 == Approx(h.dma));
    CHECK(tr.components.at("controller").area_um2 == Approx(h.controller));
    for (const char* none : {"interconnect", "dram", "cpu"}) CHECK(tr.components.at(none).area_um2 == 0);
    CHECK(tr.area_um2() - inf.area_um2() ==
          Approx(256 * h.pe_training_extra + h.sram128k + h.update).epsilon(1e-12));

    // Without a gradient buffer among the training additions, the inference-only array keeps it.
    cfg.training.gradient_buffer = false;
    const EnergyModel shared(reference_table(), cfg);
    CHECK(shared.area(Variant::inference_only).components.at("gradient_buffer").area_um2 ==
          Approx(h.sram128k));

    // Training-only actions do not exist in the inference-only hardware.
    CHECK_THROWS_WITH(m.price_pj({"pe_array", "operand_mux", "16"}, Variant::inference_only),
                      Catch::Contains("operand_mux") && Catch::Contains("no training operand multiplexers"));
    CHECK_THROWS_AS(m.price_pj({"gradient_buffer", "sram_read", ""}, Variant::inference_only), UserError);
    CHECK_THROWS_AS(m.price_pj({"update_unit", "vector_op", "add:fp32"}, Variant::inference_only), UserError);
    CHECK(m.price_pj({"pe_array", "mac", "fx16xfx16"}, Variant::inference_only) ==
          m.price_pj({"pe_array", "mac", "fx16xfx16"}, Variant::training));
}

TEST_CASE("leakage grows in proportion to simulated time and to area", "[energy][model][leakage]") {
    EnergyConfig cfg;
    const EnergyModel m(reference_table(), cfg);
    const EnergyResult r1 = m.evaluate({}, 1e-3);
    const EnergyResult r2 = m.evaluate({}, 2e-3);
    CHECK(r1.leakage_pj() > 0);
    CHECK(r2.leakage_pj() == Approx(2 * r1.leakage_pj()).epsilon(1e-12));
    // Leakage = area x 12.6 nW/um2 x time, per component.
    for (const auto& [name, c] : r1.components) {
        INFO(name);
        CHECK(c.leakage_w == Approx(c.area_um2 * 12.6e-9).epsilon(1e-12));
        CHECK(c.leakage_pj == Approx(c.area_um2 * 12.6e-9 * 1e-3 * 1e12).epsilon(1e-12));
    }
    // Twice the rows: twice the PE array area and leakage; buffers unchanged.
    cfg.rows = 32;
    const EnergyResult big = EnergyModel(reference_table(), cfg).evaluate({}, 1e-3);
    CHECK(big.components.at("pe_array").area_um2 == Approx(2 * r1.components.at("pe_array").area_um2));
    CHECK(big.components.at("pe_array").leakage_pj == Approx(2 * r1.components.at("pe_array").leakage_pj));
    CHECK(big.components.at("weight_buffer").leakage_pj == r1.components.at("weight_buffer").leakage_pj);
    // The inference-only variant leaks less by exactly its missing area.
    const EnergyResult inf = m.evaluate({}, 1e-3, Variant::inference_only);
    CHECK(r1.leakage_pj() - inf.leakage_pj() ==
          Approx((r1.area_um2() - inf.area_um2()) * 12.6e-9 * 1e-3 * 1e12).epsilon(1e-9));
}

TEST_CASE("energy totals are deterministic and linear in the counts", "[energy][model]") {
    const EnergyModel m(reference_table(), EnergyConfig{});
    std::vector<Priced> actions = every_action();
    const EnergyResult a = m.evaluate(counts_of(actions), 0.01);
    std::reverse(actions.begin(), actions.end());
    const EnergyResult b = m.evaluate(counts_of(actions), 0.01);
    CHECK(a.total_pj() == b.total_pj());  // bit for bit, whatever the order the counts arrived in
    for (const auto& [name, c] : a.components) {
        CHECK(c.dynamic_pj == b.components.at(name).dynamic_pj);
        CHECK(c.leakage_pj == b.components.at(name).leakage_pj);
    }
    // Per layer x phase: the parts' dynamic energies add up to the energy of the merged counts.
    const std::vector<Priced> all = every_action();
    const std::vector<Priced> first(all.begin(), all.begin() + 10), second(all.begin() + 10, all.end());
    ActionCounts merged = counts_of(first);
    merged.merge(counts_of(second));
    CHECK(m.evaluate(merged, 0).dynamic_pj() ==
          Approx(m.evaluate(counts_of(first), 0).dynamic_pj() + m.evaluate(counts_of(second), 0).dynamic_pj())
              .epsilon(1e-12));
    CHECK(merged.get("pe_array", "mac", "fx16.14xfx16.10") == 1000);
}

TEST_CASE("changing one table entry changes exactly the components that use it",
          "[energy][model][overrides]") {
    const TechTable ref = reference_table();
    EnergyConfig cfg;
    // A buffer between the SRAM anchors, a 12-bit vector unit and a bf16 update unit: every anchor takes
    // part.
    cfg.activation_buffer.capacity_bytes = 65536;
    cfg.vector_format = "fx12.4";
    cfg.training.update_format = "bf16";
    const ActionCounts counts = counts_of(every_action());
    const EnergyResult base = EnergyModel(ref, cfg).evaluate(counts, 1e-3);
    std::set<std::string> used;
    for (const auto& [name, c] : base.components) used.insert(c.table_entries.begin(), c.table_entries.end());
    for (const auto& [path, e] : ref.entries()) {
        INFO(path);
        TechTable t = ref;
        apply_overrides(t, {{"energy." + path, std::to_string(e.value * 1.5 + 1)}});
        const EnergyResult r = EnergyModel(t, cfg).evaluate(counts, 1e-3);
        std::set<std::string> changed, depend;
        for (const auto& [name, c] : r.components) {
            const ComponentResult& b = base.components.at(name);
            if (c.dynamic_pj != b.dynamic_pj || c.leakage_pj != b.leakage_pj || c.area_um2 != b.area_um2)
                changed.insert(name);
            if (b.table_entries.count(path)) depend.insert(name);
        }
        CHECK(changed == depend);
    }
    // The synthetic counts exercise the whole table except these entries.
    std::set<std::string> unused;
    for (const auto& [path, e] : ref.entries())
        if (!used.count(path)) unused.insert(path);
    CHECK(unused == std::set<std::string>{"dram.lpddr4.read", "dram.lpddr4.write", "node", "vdd"});
}

TEST_CASE("unknown components, actions and arguments are refused", "[energy][model]") {
    const EnergyModel m(reference_table(), EnergyConfig{});
    auto refused = [&](ActionKey k, const std::string& why) {
        INFO(k.text());
        ActionCounts c;
        c.add(k.component, k.action, k.arg, 1);
        CHECK_THROWS_WITH(m.evaluate(c, 0), Catch::Contains(why));
    };
    refused({"pe_arrays", "mac", "fx16xfx16"}, "unknown component");
    refused({"pe_array", "macc", "fx16xfx16"}, "pe_array actions are");
    refused({"pe_array", "mac", "fx16"}, "operand pair");
    refused({"pe_array", "acc_add", "fx999"}, "unknown number format");
    refused({"pe_array", "operand_reg_read", "x"}, "number of bits");
    refused({"weight_buffer", "sram_read", "8"}, "no argument");
    refused({"dram", "dram_read_bit", ""}, "dram_read_byte");
    refused({"vector_unit", "vector_op", "sqrt:fp32"}, "vector_op kind 'sqrt'");
    refused({"vector_unit", "vector_op", "fp32"}, "kind:format");
    refused({"cpu", "cpu_insn", "fpu"}, "cpu_insn class 'fpu'");
    EnergyConfig bad;
    bad.dram_kind = "hbm3";
    CHECK_THROWS_WITH(EnergyModel(reference_table(), bad), Catch::Contains("dram kind 'hbm3'"));
    bad = EnergyConfig{};
    bad.rows = 0;
    CHECK_THROWS_AS(EnergyModel(reference_table(), bad), UserError);
    bad = EnergyConfig{};
    bad.pe_operand_format = "fx";
    CHECK_THROWS_AS(EnergyModel(reference_table(), bad), UserError);
    CHECK_THROWS_AS(m.evaluate({}, -1), UserError);
    // Zero counts are not recorded at all.
    ActionCounts zero;
    zero.add("no_such_component", "x", "", 0);
    CHECK(zero.empty());
}

TEST_CASE("power, energy per image and TOPS/W from a result", "[energy][model]") {
    const EnergyModel m(reference_table(), EnergyConfig{});
    ActionCounts c;
    c.add("pe_array", "mac", "fx16.8xfx16.8", 1000000);
    const EnergyResult r = m.evaluate(c, 1e-3);
    const double mac = 0.2 + 192 * 2.9 / 960;
    CHECK(r.dynamic_pj() == Approx(1e6 * mac));
    CHECK(average_power_w(r) == Approx(r.total_pj() * 1e-12 / 1e-3));
    CHECK(energy_per_image_pj(r, 4) == Approx(r.total_pj() / 4));
    CHECK(energy_per_image_pj(r, 0) == 0);
    CHECK(tops_per_watt(r, 1000000) == Approx(2e6 / r.total_pj()));
    // Dynamic only: 2 ops per MAC of 0.78 pJ is 2.56 TOPS/W.
    CHECK(tops_per_watt(m.evaluate(c, 0), 1000000) == Approx(2 / mac));
    CHECK(average_power_w(m.evaluate(c, 0)) == 0);
}
