#include "energy_report.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "accel/accel_op.h"
#include "energy/technology.h"
#include "sparse/activation_lut.h"
#include "train_job_check.h"

namespace trainvp {

namespace {

using energy::ActionCounts;
using energy::EnergyResult;
using energy::Variant;
using nlohmann::json;

const char* const kBufferComponents[] = {"weight_buffer", "activation_buffer", "gradient_buffer"};

uint32_t opcode_of(const std::string& name) {
    for (uint32_t op = 0; op < ACCEL_OP_COUNT; ++op)
        if (name == accel::opcode_name(op)) return op;
    return ACCEL_OP_COUNT;
}

// The training phase of an opcode name ("forward", "backward_data", ...).
std::string phase_of(const std::string& opcode) {
    return opcode_phase(opcode_of(opcode));
}

bool inference_phase(const std::string& opcode) {
    const std::string p = phase_of(opcode);
    return p == "forward" || p == "loss";
}

double mm2(double um2) {
    return um2 * 1e-6;
}

json by_module(const EnergyResult& r, bool with_leakage) {
    json j = json::object();
    for (const auto& [name, c] : r.components) j[name] = with_leakage ? c.total_pj() : c.dynamic_pj;
    return j;
}

json area_by_module(const EnergyResult& r) {
    json j = json::object();
    for (const auto& [name, c] : r.components)
        if (c.area_um2 > 0) j[name] = mm2(c.area_um2);
    return j;
}

// Every priced action: module, action, count and energy (an array, so that sweeps do not make it columns).
json action_list(const energy::EnergyModel& model, const ActionCounts& counts, Variant v) {
    json a = json::array();
    for (const auto& [key, n] : counts.counts())
        a.push_back({{"module", key.component},
                     {"action", key.action + (key.arg.empty() ? "" : "{" + key.arg + "}")},
                     {"count", n},
                     {"pj", model.price_pj(key, v) * double(n)}});
    return a;
}

json summary(const EnergyResult& r) {
    return {{"total_pj", r.total_pj()},
            {"dynamic_pj", r.dynamic_pj()},
            {"leakage_pj", r.leakage_pj()},
            {"average_power_w", energy::average_power_w(r)}};
}

double overhead_pct(double with, double without) {
    return without > 0 ? 100.0 * (with - without) / without : 0.0;
}

}  // namespace

ActionCounts accel_actions(const accel::PhaseStats& ps, const AcceleratorConfig& accel,
                           const energy::EnergyConfig& ec, Variant variant) {
    const bool training = variant == Variant::training;
    const UnitActions& a = ps.actions;
    ActionCounts c;
    if (ec.brick.enabled) {
        // A brick PE: each product is bricks_per_product brick multiplies, each added into its brick's
        // accumulator; each GEMM result combines the bricks' accumulators into the accumulator format.
        for (const auto& [pair, n] : ps.macs_by_format) {
            const auto [x, y] = energy::parse_operand_pair(pair);
            const uint64_t k =
                timing::pe_rate(accel.pe, num::Format::parse(x.name), num::Format::parse(y.name))
                    .bricks_per_product;
            c.add("pe_array", "brick_product", std::to_string(ec.brick.brick_bits), n * k);
            c.add("pe_array", "brick_acc", std::to_string(ec.brick.acc_bits), n * k);
            const auto out = a.gemm_outputs.find(pair);
            if (out != a.gemm_outputs.end())
                c.add("pe_array", "brick_combine", ec.pe_accumulator_format.substr(2), out->second * k);
        }
    } else {
        for (const auto& [pair, n] : ps.macs_by_format) c.add("pe_array", "mac", pair, n);
        for (const auto& [fmt, n] : a.acc_adds) c.add("pe_array", "acc_add", fmt, n);
    }
    for (const auto& [bits, n] : a.operand_reg_reads) {
        c.add("pe_array", "operand_reg_read", std::to_string(bits), n);
        // The training PE selects each muxed multiplier port's operand on every MAC; reads count both ports.
        if (training && ec.training.operand_mux_inputs > 1)
            c.add("pe_array", "operand_mux", std::to_string(bits), n * ec.training.muxed_operand_ports / 2);
    }
    for (const auto& [bits, n] : a.operand_reg_writes)
        c.add("pe_array", "operand_reg_write", std::to_string(bits), n);
    for (int b = 0; b < 3; ++b) {
        const char* comp = kBufferComponents[b];
        if (!training && ec.training.gradient_buffer && b == 2) comp = "activation_buffer";
        c.add(comp, "sram_read", ps.buffers[b].read_accesses);
        c.add(comp, "sram_write", ps.buffers[b].write_accesses);
    }
    c.add("interconnect", "noc_byte", std::to_string(accel.interconnect.latency_cycles),
          a.interconnect_bytes);
    c.add("dma", "dma_burst", a.dma_bursts);
    c.add("dram", "dram_read_byte", ps.tlm_read_bytes);
    c.add("dram", "dram_write_byte", ps.tlm_write_bytes);
    for (const auto& [k, n] : a.vector_ops) c.add("vector_unit", "vector_op", k, n);
    // The inference-only accelerator has no update unit, and an inference runs no update.
    if (training)
        for (const auto& [k, n] : a.update_ops) c.add("update_unit", "vector_op", k, n);
    c.add("controller", "descriptor", ps.descriptors);
    c.add("controller", "reg_access", a.register_accesses);
    return c;
}

namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) {
    return (a + b - 1) / b;
}

uint32_t ceil_log2(uint64_t v) {
    uint32_t b = 0;
    while ((uint64_t{1} << b) < v) ++b;
    return b;
}

// One layer's memories (§3.5): `banks` banks of `words` words per collection. A layer is banked for the
// junction that reads it (z lanes); the output layer for the z/fi outputs the last junction makes per clock.
struct LayerBanks {
    uint64_t banks = 1, words = 1;
};
LayerBanks layer_banks(const sparse::SparseNetConfig& net, uint32_t l) {
    const uint32_t J = net.junctions();
    const uint64_t banks = l < J ? net.z[l] : std::max<uint64_t>(1, net.z[J - 1] / net.fanin(J - 1));
    return {banks, std::max<uint64_t>(1, ceil_div(net.neurons[l], banks))};
}

// The junction's bias memory: z/fi banks holding its n biases (layer_block.sv).
LayerBanks bias_banks(const sparse::SparseNetConfig& net, uint32_t j) {
    const uint64_t banks = std::max<uint64_t>(1, net.z[j] / net.fanin(j));
    return {banks, std::max<uint64_t>(1, ceil_div(net.neurons[j + 1], banks))};
}

std::string geometry(uint64_t words, uint32_t bits) {
    return std::to_string(words) + "x" + std::to_string(bits);
}

}  // namespace

energy::SparseEngineHardware sparse_hardware(const sparse::SparseNetConfig& net) {
    energy::SparseEngineHardware hw;
    const uint32_t B = static_cast<uint32_t>(net.format.width);
    const uint32_t L = net.layers(), J = net.junctions();
    for (uint32_t l = 0; l < L; ++l) {
        const LayerBanks g = layer_banks(net, l);
        const uint64_t collections = 2 * uint64_t{L - l} - 1;               // layer_block.sv
        hw.memories.push_back({g.words, B, g.banks * collections, false});  // activations
        if (l > 0) {
            hw.memories.push_back({g.words, B, g.banks * collections, true});  // derivatives
            hw.memories.push_back({g.words, B, g.banks * 2, true});            // delta ping-pong
        }
    }
    for (uint32_t j = 0; j < J; ++j) {
        const uint64_t z = net.z[j], per_clock = std::max<uint64_t>(1, z / net.fanin(j));
        const uint32_t tree = B + ceil_log2(net.fanin(j));
        hw.memories.push_back({ceil_div(net.edges(j), z), B, z, false});  // weights
        const LayerBanks b = bias_banks(net, j);
        hw.memories.push_back({b.words, B, b.banks, false});
        if (net.activation[j] == sparse::Activation::sigmoid) {
            const uint64_t lut = sparse::ActivationUnit(net.format, net.activation[j]).lut_size();
            hw.memories.push_back({lut, B, per_clock, false});  // sigma
            hw.memories.push_back({lut, B, per_clock, true});   // sigma'
        } else {
            hw.adders.push_back({B, per_clock, false});  // the ReLU's clamp compare
        }
        // FF: z multipliers; the adder trees' fi - 1 adders and the bias adder per z/fi neurons (z adders).
        hw.multipliers.push_back({B, z, false});
        hw.adders.push_back({tree, z, false});
        // BP (not in the first junction): 2z multipliers, z adders; UP: z multipliers, z weight adders and
        // z/fi bias adders (the bias step is a shift).
        if (j > 0) {
            hw.multipliers.push_back({B, 2 * z, true});
            hw.adders.push_back({B, z, true});
        }
        hw.multipliers.push_back({B, z, true});
        hw.adders.push_back({B, z + per_clock, true});
    }
    hw.adders.push_back({B, layer_banks(net, L - 1).banks, true});  // the output errors a - y
    return hw;
}

ActionCounts sparse_actions(const sparse::SparseNetConfig& net,
                            const std::vector<JunctionCounters>& junctions, uint64_t cost_terms) {
    ActionCounts c;
    const char* const E = "sparse_engine";
    const uint32_t B = static_cast<uint32_t>(net.format.width);
    const std::string b = std::to_string(B);
    auto mem = [&](uint32_t l) { return geometry(layer_banks(net, l).words, B); };
    for (uint32_t j = 0; j < junctions.size() && j < net.junctions(); ++j) {
        const JunctionCounters& k = junctions[j];
        const std::string wmem = geometry(ceil_div(net.edges(j), net.z[j]), B);
        const std::string bmem = geometry(bias_banks(net, j).words, B);
        const std::string left = mem(j), right = mem(j + 1);
        c.add(E, "mult", b, k.macs);
        c.add(E, "add", std::to_string(B + ceil_log2(net.fanin(j))), k.tree_adds);
        c.add(E, "add", b, k.word_adds);
        c.add(E, "sram_read", wmem, k.weight_reads);
        c.add(E, "sram_write", wmem, k.weight_writes);
        c.add(E, "sram_read", bmem, k.bias_reads);
        c.add(E, "sram_write", bmem, k.bias_writes);
        // The left layer's activations (FF and UP) and derivatives (BP) and error (BP's read-modify-write);
        // the right layer's activations and derivatives (FF's results) and error (BP and UP).
        c.add(E, "sram_read", left, k.act_reads + k.adot_reads + k.delta_rmws);
        c.add(E, "sram_write", left, k.delta_rmws);
        c.add(E, "sram_write", right, k.act_writes + k.adot_writes);
        c.add(E, "sram_read", right, k.delta_reads);
        if (net.activation[j] == sparse::Activation::sigmoid) {  // sigma and sigma' read together
            const uint64_t lut = sparse::ActivationUnit(net.format, net.activation[j]).lut_size();
            c.add(E, "sram_read", geometry(lut, B), 2 * k.lut_reads);
        } else {
            c.add(E, "add", b, k.lut_reads);
        }
    }
    // The output errors: a subtraction each, written to the output layer's delta memory.
    c.add(E, "add", b, cost_terms);
    c.add(E, "sram_write", mem(net.layers() - 1), cost_terms);
    return c;
}

ActionCounts cpu_actions(const CoreStats& cpu) {
    ActionCounts c;
    for (unsigned i = 0; i < cpu.insns_by_class.size(); ++i)
        c.add("cpu", "cpu_insn", insn_class_name(i), cpu.insns_by_class[i]);
    return c;
}

json energy_report(const EnergyRun& run, const EnergySettings& settings, const AcceleratorConfig& accel,
                   const std::string& base_dir) {
    const energy::TechTable& table = settings.table(base_dir);
    energy::EnergyConfig ec = energy_config(settings, accel);
    if (run.sparse_net) ec.sparse = sparse_hardware(*run.sparse_net);
    const energy::EnergyModel model(table, ec);
    const accel::AccelStats& st = *run.accel_stats;

    ActionCounts counts = accel_actions(st.total(), accel, ec, Variant::training);
    counts.merge(cpu_actions(*run.cpu));
    if (run.sparse_net)
        counts.merge(sparse_actions(*run.sparse_net, run.sparse_junctions, run.sparse_cost_terms));
    const EnergyResult total = model.evaluate(counts, run.seconds, Variant::training);

    json e = summary(total);
    e["by_module"] = by_module(total, true);
    e["technology"] = table.name();
    e["simulated_time_s"] = run.seconds;
    e["images_trained"] = run.images_trained;
    e["per_image_pj"] = energy::energy_per_image_pj(total, run.images_trained);
    e["macs"] = st.total().macs;
    // The network's MACs: inserted zeros a dense array multiplies in strided backward passes cost energy but
    // are not work (the same count as training.accelerator.throughput).
    const accel::PhaseStats& all = st.total();
    e["tops_per_watt"] =
        energy::tops_per_watt(total, all.macs - (all.zeros_skipped ? 0 : all.stride_zero_macs));
    e["actions"] = action_list(model, counts, Variant::training);
    if (run.sparse_net) {
        // The engine alone: its actions and its leakage over the whole simulated time, per training sample;
        // and with leakage only while it was busy (a sample's energy when the engine is kept fed).
        const energy::ComponentResult& se = total.components.at("sparse_engine");
        const double busy_pj = se.dynamic_pj + se.leakage_w * run.sparse_busy_s * 1e12;
        auto per_sample = [&run](double pj) {
            return run.images_trained ? pj / double(run.images_trained) : 0.0;
        };
        e["sparse_engine"] = {{"total_pj", se.total_pj()},
                              {"dynamic_pj", se.dynamic_pj},
                              {"leakage_pj", se.leakage_pj},
                              {"leakage_w", se.leakage_w},
                              {"per_sample_pj", per_sample(se.total_pj())},
                              {"busy_s", run.sparse_busy_s},
                              {"busy_per_sample_pj", per_sample(busy_pj)},
                              {"area_mm2", mm2(se.area_um2)}};
    }

    // Per layer x phase: the dynamic energy of its actions, and leakage over its busy time.
    json rows = json::array();
    accel::PhaseStats forward;
    for (const auto& [layer, ops] : st.per_layer()) {
        for (const auto& [opcode, ps] : ops) {
            const double busy_s = double(ps.cycles) / accel.clock_hz;
            const EnergyResult r = model.evaluate(accel_actions(ps, accel, ec, Variant::training), busy_s);
            rows.push_back({{"layer", layer},
                            {"phase", phase_of(opcode)},
                            {"opcode", opcode},
                            {"busy_s", busy_s},
                            {"dynamic_pj", r.dynamic_pj()},
                            {"leakage_pj", r.leakage_pj()},
                            {"by_module", by_module(r, false)}});
            if (inference_phase(opcode)) forward.merge(ps);
        }
    }
    e["by_layer_phase"] = rows;

    // The forward passes (and the loss) priced on the training array and on the same array built for
    // inference only, over the time they took: what training support costs an inference.
    const double forward_s = double(forward.cycles) / accel.clock_hz;
    const EnergyResult fwd_train =
        model.evaluate(accel_actions(forward, accel, ec, Variant::training), forward_s, Variant::training);
    const EnergyResult fwd_inf = model.evaluate(accel_actions(forward, accel, ec, Variant::inference_only),
                                                forward_s, Variant::inference_only);
    const uint64_t passes = run.images_trained + run.images_evaluated;
    json on_train = summary(fwd_train), on_inf = summary(fwd_inf);
    on_train["pe_array_pj"] = fwd_train.components.at("pe_array").total_pj();
    on_inf["pe_array_pj"] = fwd_inf.components.at("pe_array").total_pj();
    json inf = {{"forward_s", forward_s},
                {"images", passes},
                {"training_array", on_train},
                {"inference_array", on_inf},
                {"per_inference_pj", energy::energy_per_image_pj(fwd_inf, passes)},
                {"power_overhead_pct", overhead_pct(fwd_train.total_pj(), fwd_inf.total_pj())},
                {"pe_array_power_overhead_pct", overhead_pct(fwd_train.components.at("pe_array").total_pj(),
                                                             fwd_inf.components.at("pe_array").total_pj())}};
    e["inference_only"] = inf;

    const EnergyResult area_train = model.area(Variant::training);
    const EnergyResult area_inf = model.area(Variant::inference_only);
    const double pe_t = area_train.components.at("pe_array").area_um2;
    const double pe_i = area_inf.components.at("pe_array").area_um2;
    json area = {{"total_mm2", mm2(area_train.area_um2())},
                 {"by_module", area_by_module(area_train)},
                 {"leakage_w", area_train.leakage_w()},
                 {"inference_only",
                  {{"total_mm2", mm2(area_inf.area_um2())}, {"by_module", area_by_module(area_inf)}}},
                 {"training_overhead_pct", overhead_pct(area_train.area_um2(), area_inf.area_um2())},
                 {"pe_array_training_overhead_pct", overhead_pct(pe_t, pe_i)}};
    return {{"energy", e}, {"area", area}};
}

void print_energy_summary(std::FILE* out, const json& report) {
    const json& e = report.at("energy");
    const json& a = report.at("area");
    std::fprintf(out, "  energy (%s)%*s%.4g mJ: dynamic %.4g mJ, leakage %.4g mJ; %.4g W average\n",
                 e.at("technology").get<std::string>().c_str(),
                 int(std::max<size_t>(1, 15 - e.at("technology").get<std::string>().size())), "",
                 e.at("total_pj").get<double>() * 1e-9, e.at("dynamic_pj").get<double>() * 1e-9,
                 e.at("leakage_pj").get<double>() * 1e-9, e.at("average_power_w").get<double>());
    if (e.contains("sparse_engine")) {
        const json& se = e.at("sparse_engine");
        std::fprintf(
            out, "  energy per sample       %.4g uJ trained; sparse engine %.4g nJ (%.4g nJ while busy)\n",
            e.at("per_image_pj").get<double>() * 1e-6, se.at("per_sample_pj").get<double>() * 1e-3,
            se.at("busy_per_sample_pj").get<double>() * 1e-3);
    } else if (e.at("images_trained").get<uint64_t>())
        std::fprintf(out, "  energy per image        %.4g uJ trained; %.4g TOPS/W (2 operations per MAC)\n",
                     e.at("per_image_pj").get<double>() * 1e-6, e.at("tops_per_watt").get<double>());
    else
        std::fprintf(out, "  energy efficiency       %.4g TOPS/W (2 operations per MAC)\n",
                     e.at("tops_per_watt").get<double>());
    // The modules by share, largest first (the buffers together); the rest (under 1%, or beyond the line)
    // as "others".
    const double total = e.at("total_pj").get<double>();
    std::vector<std::pair<double, std::string>> shares;
    double small = 0;
    std::map<std::string, double> modules;  // the three buffers together
    for (const auto& [name, pj] : e.at("by_module").items()) {
        const bool buffer = name.size() > 7 && name.compare(name.size() - 7, 7, "_buffer") == 0;
        modules[buffer ? "buffers" : name] += pj.get<double>();
    }
    for (const auto& [name, pj] : modules) {
        const double share = total > 0 ? 100.0 * pj / total : 0.0;
        if (share >= 1.0)
            shares.push_back({share, name});
        else
            small += share;
    }
    std::sort(shares.begin(), shares.end(), [](const auto& x, const auto& y) {
        return x.first != y.first ? x.first > y.first : x.second < y.second;
    });
    // The line stays within 100 columns (26 for the label, 15 kept for "others").
    std::string line;
    char buf[64];
    for (const auto& [share, name] : shares) {
        std::snprintf(buf, sizeof buf, "%s%s %.1f%%", line.empty() ? "" : ", ", name.c_str(), share);
        if (line.size() + std::strlen(buf) > 100 - 26 - 15)
            small += share;
        else
            line += buf;
    }
    if (small > 0) {
        std::snprintf(buf, sizeof buf, "%sothers %.1f%%", line.empty() ? "" : ", ", small);
        line += buf;
    }
    std::fprintf(out, "  energy by module        %s\n", line.c_str());
    std::fprintf(out, "  area                    %.4g mm2; inference-only %.4g mm2 (training adds %.1f%%)\n",
                 a.at("total_mm2").get<double>(), a.at("inference_only").at("total_mm2").get<double>(),
                 a.at("training_overhead_pct").get<double>());
}

}  // namespace trainvp
