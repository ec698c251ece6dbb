// Area sizing and energy of the NeuroFlix comparison (bench/neuroflix.sh, docs/papers.md "NeuroFlix"), from
// the energy library (models/energy) and a scenario's resolved configuration:
//   neuroflix_model area SCENARIO [--set K=V]...            PE-array and accelerator area
//   neuroflix_model iso-rows REFERENCE BASELINE               rows of BASELINE's PE whose array area is
//   closest
//                                                              to REFERENCE's, at BASELINE's column count
//   neuroflix_model check-iso-area REFERENCE BASELINE         exit 1 unless BASELINE's array is within one PE
//                                                              row of REFERENCE's area
//   neuroflix_model energy SCENARIO REPORT [--set K=V]...     energy of a `trainvp run --report` from its
//   counters
// Energy counts the PE array (multiplies and accumulations, or brick products, brick accumulations and final
// combinations), the buffers' words, DRAM bytes, and leakage of every on-chip component over the simulated
// time; the host CPU, the vector unit, the controller and operand registers are left out (the same for both
// accelerators). Exit status 2 for bad input.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "accel/pe_config.h"
#include "common/error.h"
#include "energy/energy_model.h"
#include "energy/technology.h"
#include "kernels/trainer.h"
#include "platform_config.h"
#include "run_command.h"
#include "training_config.h"

using namespace trainvp;
using json = nlohmann::json;

namespace {

struct Resolved {
    PlatformConfig platform;
    TrainingScenario training;
};

Resolved resolve(const std::string& path, const std::vector<std::string>& sets) {
    const Scenario sc = load_scenario(path, sets);
    Resolved r;
    ConfigSchema schema;
    register_platform_keys(schema, r.platform);
    schema.apply(sc.root, sc.path);
    check_platform_config(r.platform, schema);
    r.training = parse_training_scenario(sc.root, sc.path);
    return r;
}

energy::BufferGeometry geometry(const SramConfig& s) {
    return energy::BufferGeometry{s.capacity_bytes, s.banks, s.word_bytes, s.ports};
}

bool is_float(const num::Format& f) {
    return f.is_floating();
}

// The accelerator as the energy model sees it. Operand registers are 16 bits in both designs (fp16 errors,
// bf16 operands); the uniform PE with a float operand accumulates in fp32, otherwise in the network's
// integer accumulator; a brick PE has its bricks and a combining accumulator of that width.
energy::EnergyConfig energy_config(const Resolved& r, uint32_t rows_override = 0) {
    const AcceleratorConfig& a = r.platform.accel;
    energy::EnergyConfig e;
    e.rows = rows_override ? rows_override : a.rows;
    e.cols = a.cols;
    e.clock_hz = a.clock_hz;
    e.weight_buffer = geometry(a.weight_buffer);
    e.activation_buffer = geometry(a.activation_buffer);
    e.gradient_buffer = geometry(a.gradient_buffer);
    const kern::LayerFormatRequests& f = r.training.network.formats;
    bool any_float = false;
    for (int role : {0, 1, 2}) {
        const auto& req = f.roles[role];
        if (req && req->text.rfind("fx", 0) != 0) any_float = true;
    }
    const std::string acc = "fx" + std::to_string(r.training.network.accumulator.bits);
    if (a.pe.kind == kern::MacArith::bricks) {
        e.brick.enabled = true;
        e.brick.brick_bits = a.pe.brick_bits;
        e.brick.bricks = a.pe.bricks;
        e.brick.acc_bits = a.pe.brick_acc_bits;
        e.brick.shift_range = a.pe.shift_range();
        e.pe_operand_format = "fx16";
        e.pe_accumulator_format = acc;
    } else {
        e.pe_operand_format = any_float ? "bf16" : "fx16";
        e.pe_accumulator_format = any_float ? "fp32" : acc;
    }
    return e;
}

double pe_array_area(const Resolved& r, uint32_t rows = 0) {
    const energy::EnergyModel m(energy::reference_table(), energy_config(r, rows));
    return m.area().components.at("pe_array").area_um2;
}

// Rows of the baseline's PE whose array area is closest to `target`, at the baseline's columns.
uint32_t iso_rows(const Resolved& baseline, double target) {
    const double one_row = pe_array_area(baseline, 1);
    const uint32_t rows = static_cast<uint32_t>(std::max(1.0, std::round(target / one_row)));
    return rows;
}

int area(const Resolved& r) {
    const energy::EnergyModel m(energy::reference_table(), energy_config(r));
    const energy::EnergyResult a = m.area();
    std::printf(
        "pes %u x %u  pe_array_mm2 %.4f  accelerator_mm2 %.4f  pe_um2 %.1f\n", r.platform.accel.rows,
        r.platform.accel.cols, a.components.at("pe_array").area_um2 * 1e-6, a.area_um2() * 1e-6,
        a.components.at("pe_array").area_um2 / (double(r.platform.accel.rows) * r.platform.accel.cols));
    return 0;
}

// Reduction length of one output of a layer's phase (per image for forward and backward-data; per batch for
// the weight gradient, whose outputs are summed over the batch).
uint64_t reduction_length(const kern::Layer& L, const std::string& phase, uint32_t batch) {
    const bool conv = L.spec.kind == kern::LayerKind::conv;
    const uint64_t kk = conv ? uint64_t{L.conv.kernel} * L.conv.kernel : 1;
    if (phase == "forward") return conv ? uint64_t{L.conv.in_channels} * kk : L.fc.in;
    if (phase == "backward_data") return conv ? uint64_t{L.conv.out_channels} * kk : L.fc.out;
    const uint64_t pixels = conv ? uint64_t{L.conv.out_rows()} * L.conv.out_cols() : 1;
    return uint64_t{batch} * pixels;
}

int energy_of(const Resolved& r, const std::string& report_path) {
    std::ifstream in(report_path);
    if (!in) throw UserError(report_path + ": cannot read the report");
    json rep;
    try {
        rep = json::parse(in);
    } catch (const std::exception& e) {
        throw UserError(report_path + ": not JSON: " + e.what());
    }
    if (!rep.contains("training") || !rep["training"].contains("accelerator"))
        throw UserError(report_path + ": no training.accelerator section (a report of trainvp run --report)");
    const json& acc = rep["training"]["accelerator"];
    const double seconds = rep.value("simulated_time_s", 0.0);
    const energy::EnergyConfig ec = energy_config(r);
    const energy::EnergyModel model(energy::reference_table(), ec);
    const kern::Trainer trainer(r.training.network, r.training.training);
    const AcceleratorConfig& a = r.platform.accel;

    energy::ActionCounts counts;
    for (const json& layer : acc["per_layer"]) {
        const std::string name = layer["name"].get<std::string>();
        const kern::Layer* L = nullptr;
        num::Format in_act = trainer.network().input_format();
        for (const kern::Layer& l : trainer.network().layers()) {
            if (l.name == name) {
                L = &l;
                break;
            }
            in_act = l.act_format;
        }
        if (!L || !L->weight) continue;  // pooling and activation layers run on the vector unit
        for (const auto& [op, ph] : layer["opcodes"].items()) {
            const std::string phase = ph["phase"].get<std::string>();
            const uint64_t macs = ph["macs"].get<uint64_t>();
            if (macs == 0) continue;
            const num::Format& fa = phase == "weight_gradient" ? L->formats.errors : L->formats.weights;
            const num::Format& fb = phase == "backward_data" ? L->formats.errors : in_act;
            if (ec.brick.enabled) {
                const timing::PeRate rate = timing::pe_rate(a.pe, fa, fb);
                const uint64_t n = rate.bricks_per_product;
                const uint64_t outputs =
                    macs / std::max<uint64_t>(1, reduction_length(*L, phase, r.training.training.batch));
                counts.add("pe_array", "brick_product", std::to_string(a.pe.brick_bits), macs * n);
                counts.add("pe_array", "brick_acc", std::to_string(a.pe.brick_acc_bits), macs * n);
                counts.add("pe_array", "brick_combine", ec.pe_accumulator_format.substr(2), outputs * n);
            } else {
                counts.add("pe_array", "mac", fa.to_string() + "x" + fb.to_string(), macs);
                counts.add("pe_array", "acc_add",
                           is_float(fa) || is_float(fb) ? "fp32" : ec.pe_accumulator_format, macs);
            }
        }
    }
    const struct {
        const char* name;
        const SramConfig& sram;
    } buffers[] = {
        {"weight", a.weight_buffer}, {"activation", a.activation_buffer}, {"gradient", a.gradient_buffer}};
    for (const auto& b : buffers) {
        const json& bj = acc["buffers"][b.name];
        const std::string comp = std::string(b.name) + "_buffer";
        counts.add(comp, "sram_read",
                   (bj["read_bytes"].get<uint64_t>() + b.sram.word_bytes - 1) / b.sram.word_bytes);
        counts.add(comp, "sram_write",
                   (bj["write_bytes"].get<uint64_t>() + b.sram.word_bytes - 1) / b.sram.word_bytes);
    }
    counts.add("dram", "dram_read_byte", acc["dram_read_bytes"].get<uint64_t>());
    counts.add("dram", "dram_write_byte", acc["dram_write_bytes"].get<uint64_t>());
    const energy::EnergyResult e = model.evaluate(counts, seconds);
    double sram = 0;
    for (const char* c : {"weight_buffer", "activation_buffer", "gradient_buffer"})
        sram += e.components.at(c).dynamic_pj;
    std::printf("energy_uj %.3f  pe_uj %.3f  sram_uj %.3f  dram_uj %.3f  leakage_uj %.3f  area_mm2 %.4f\n",
                e.total_pj() * 1e-6, e.components.at("pe_array").dynamic_pj * 1e-6, sram * 1e-6,
                e.components.at("dram").dynamic_pj * 1e-6, e.leakage_pj() * 1e-6, e.area_um2() * 1e-6);
    return 0;
}

int usage() {
    std::fprintf(stderr,
                 "usage: neuroflix_model area SCENARIO [--set K=V]...\n"
                 "       neuroflix_model iso-rows REFERENCE BASELINE\n"
                 "       neuroflix_model check-iso-area REFERENCE BASELINE\n"
                 "       neuroflix_model energy SCENARIO REPORT [--set K=V]...\n");
    return 2;
}

}  // namespace

// SystemC (linked through the platform library) provides main() and calls sc_main().
int sc_main(int argc, char* argv[]) {
    if (argc < 3) return usage();
    const std::string cmd = argv[1];
    std::vector<std::string> positional, sets;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--set" && i + 1 < argc)
            sets.push_back(argv[++i]);
        else
            positional.push_back(a);
    }
    try {
        if (cmd == "area" && positional.size() == 1) return area(resolve(positional[0], sets));
        if ((cmd == "iso-rows" || cmd == "check-iso-area") && positional.size() == 2) {
            const Resolved ref = resolve(positional[0], {}), base = resolve(positional[1], {});
            const double target = pe_array_area(ref);
            const uint32_t rows = iso_rows(base, target);
            const double one_row = pe_array_area(base, 1), have = pe_array_area(base);
            std::printf(
                "reference %.4f mm2 (%u x %u); baseline PE row %.4f mm2: %u rows x %u = %.4f mm2; "
                "scenario has %u rows = %.4f mm2\n",
                target * 1e-6, ref.platform.accel.rows, ref.platform.accel.cols, one_row * 1e-6, rows,
                base.platform.accel.cols, pe_array_area(base, rows) * 1e-6, base.platform.accel.rows,
                have * 1e-6);
            if (cmd == "check-iso-area" && std::fabs(have - target) > one_row) {
                std::fprintf(stderr,
                             "neuroflix_model: %s: %u rows give %.4f mm2, more than one row from %.4f mm2\n",
                             positional[1].c_str(), base.platform.accel.rows, have * 1e-6, target * 1e-6);
                return 1;
            }
            return 0;
        }
        if (cmd == "energy" && positional.size() == 2)
            return energy_of(resolve(positional[0], sets), positional[1]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "neuroflix_model: %s\n", e.what());
        return 2;
    }
    return usage();
}
