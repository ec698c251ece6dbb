#include "estimate_command.h"

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "accel/gemm_mapping.h"
#include "accel/scalesim_timing.h"
#include "common/error.h"
#include "kernels/weights_io.h"
#include "output_files.h"
#include "platform_config.h"
#include "run_command.h"
#include "train_run.h"
#include "training_config.h"

namespace po = boost::program_options;

namespace trainvp {
namespace {

using nlohmann::ordered_json;

const char* const kPhases[] = {"forward", "backward_data", "weight_grad"};

// Native and SCALE-Sim cycles summed per phase (kPhases order), then over all phases.
struct Totals {
    uint64_t native[4] = {}, scalesim[4] = {};
};

Totals totals_of(const std::vector<EstimateRow>& rows) {
    Totals t;
    for (const EstimateRow& r : rows)
        for (int p = 0; p < 3; ++p)
            if (r.phase == kPhases[p]) {
                t.native[p] += r.native, t.scalesim[p] += r.scalesim;
                t.native[3] += r.native, t.scalesim[3] += r.scalesim;
            }
    return t;
}

timing::LayerShape layer_shape(const kern::Layer& L) {
    timing::LayerShape s;
    s.bias = L.spec.bias;
    if (L.spec.kind == kern::LayerKind::conv) {
        s.in_channels = L.in.c, s.in_rows = L.in.h, s.in_cols = L.in.w;
        s.out_channels = L.spec.out_channels, s.kernel = L.spec.kernel, s.stride = L.spec.stride;
        s.pad = L.spec.pad;
    } else {
        s.fc_in = L.in.size(), s.fc_out = L.out.size();
    }
    return s;
}

double ratio(uint64_t native, uint64_t scalesim) {
    return scalesim ? static_cast<double>(native) / static_cast<double>(scalesim) : 0.0;
}

ordered_json figures(uint64_t native, uint64_t scalesim) {
    return ordered_json{{"native", native}, {"scalesim", scalesim}, {"ratio", ratio(native, scalesim)}};
}

std::string with_commas(uint64_t v) {
    std::string s = std::to_string(v);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
    return s;
}

void print_table(const std::string& scenario, const std::vector<EstimateRow>& rows,
                 const timing::ArrayConfig& array, uint32_t batch) {
    std::printf("scenario %s\n", scenario.c_str());
    std::printf("array    %u x %u, %s, batch %u; compute cycles per GEMM (ideal bandwidth, no overheads)\n",
                array.rows, array.cols, timing::dataflow_name(array.dataflow), batch);
    std::printf("%-10s %-14s %20s %12s %12s %7s\n", "layer", "phase", "GEMM M x N x K", "native", "scalesim",
                "ratio");
    for (const EstimateRow& r : rows) {
        const std::string gemm =
            std::to_string(r.gemm.m) + " x " + std::to_string(r.gemm.n) + " x " + std::to_string(r.gemm.k);
        std::printf("%-10s %-14s %20s %12s %12s %7.3f\n", r.layer.c_str(), r.phase.c_str(), gemm.c_str(),
                    with_commas(r.native).c_str(), with_commas(r.scalesim).c_str(),
                    ratio(r.native, r.scalesim));
    }
    const Totals t = totals_of(rows);
    for (int p = 0; p < 4; ++p)
        std::printf("%-25s %20s %12s %12s %7.3f\n",
                    p < 3 ? (std::string("total ") + kPhases[p]).c_str() : "total", "",
                    with_commas(t.native[p]).c_str(), with_commas(t.scalesim[p]).c_str(),
                    ratio(t.native[p], t.scalesim[p]));
}

}  // namespace

std::vector<EstimateRow> estimate_network(const kern::Network& net, uint32_t batch,
                                          const timing::ArrayConfig& array, bool skip_stride_zeros) {
    using timing::Phase;
    std::vector<EstimateRow> rows;
    bool first_weighted = true;
    for (const kern::Layer& L : net.layers()) {
        const bool conv = L.spec.kind == kern::LayerKind::conv;
        if (!conv && L.spec.kind != kern::LayerKind::fc) continue;
        const Phase phases[] = {conv ? Phase::conv_forward : Phase::fc_forward,
                                conv ? Phase::conv_backward_data : Phase::fc_backward_data,
                                conv ? Phase::conv_weight_grad : Phase::fc_weight_grad};
        const timing::LayerShape shape = layer_shape(L);
        for (int p = 0; p < 3; ++p) {
            if (p == 1 && first_weighted) continue;
            for (const timing::GemmShape& g :
                 timing::phase_work(phases[p], shape, batch, {}, skip_stride_zeros).gemms) {
                EstimateRow r;
                r.layer = L.name;
                r.phase = kPhases[p];
                r.gemm = g;
                r.native = timing::analytic_gemm(g, array, timing::TimingParams::ideal(),
                                                 timing::BufferBandwidth::ideal())
                               .compute_cycles;
                r.scalesim = timing::scalesim::gemm_timing(g, array).total_cycles;
                rows.push_back(r);
            }
        }
        first_weighted = false;
    }
    return rows;
}

ordered_json estimate_json(const std::vector<EstimateRow>& rows, const timing::ArrayConfig& array,
                           uint32_t batch) {
    ordered_json layers = ordered_json::array();
    for (const EstimateRow& r : rows) {
        ordered_json j{{"layer", r.layer},
                       {"phase", r.phase},
                       {"gemm", {{"m", r.gemm.m}, {"n", r.gemm.n}, {"k", r.gemm.k}}},
                       {"macs", r.gemm.macs()}};
        j.update(figures(r.native, r.scalesim));
        layers.push_back(j);
    }
    const Totals t = totals_of(rows);
    ordered_json total;
    for (int p = 0; p < 4; ++p) total[p < 3 ? kPhases[p] : "all"] = figures(t.native[p], t.scalesim[p]);
    return ordered_json{
        {"array",
         {{"rows", array.rows}, {"cols", array.cols}, {"dataflow", timing::dataflow_name(array.dataflow)}}},
        {"batch", batch},
        {"cycles", "compute cycles per GEMM, ideal bandwidth, no overheads"},
        {"layers", layers},
        {"total", total}};
}

int estimate_command(int argc, char* argv[]) {
    po::options_description opts("options");
    // clang-format off
    opts.add_options()
        ("help,h", "show this help")
        ("set", po::value<std::vector<std::string>>()->value_name("KEY=VALUE")->composing(),
         "override a scenario key, e.g. --set hardware.array.dataflow=ws (repeatable)")
        ("report", po::value<std::string>()->value_name("FILE"),
         "also write the figures as JSON to FILE (per layer and phase, totals; what trainvp sweep reads)");
    // clang-format on
    po::options_description hidden;
    hidden.add_options()("scenario", po::value<std::string>());
    po::options_description all;
    all.add(opts).add(hidden);
    po::positional_options_description pos;
    pos.add("scenario", 1);
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
        std::cout
            << "usage: trainvp estimate SCENARIO.yaml [options]\n\n"
            << "Compute cycles of the scenario's network (conv and fc layers; forward, backward-data and\n"
            << "weight-gradient GEMMs over one batch) on its PE array and dataflow, under TrainVP's native\n"
            << "array model and SCALE-Sim v2's, side by side. Runs no firmware.\n\n"
            << opts << "\n";
        return 0;
    }
    if (!vm.count("scenario")) throw po::error("estimate: missing SCENARIO.yaml");
    const std::string report = vm.count("report") ? vm["report"].as<std::string>() : std::string();
    if (!report.empty()) check_output_file("--report", report);
    const Scenario scenario = load_scenario(
        vm["scenario"].as<std::string>(),
        vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{});

    PlatformConfig cfg;
    ConfigSchema schema;
    register_platform_keys(schema, cfg);
    schema.apply(scenario.root, scenario.path);
    check_platform_config(cfg, schema);
    if (!is_training_scenario(scenario.root))
        throw UserError(scenario.path + ": trainvp estimate needs a training scenario (a 'network' section)");
    const TrainingScenario training = parse_training_scenario(scenario.root, scenario.path);
    const uint32_t batch = training.training.batch;
    const kern::Network net(training.network, batch, false);

    timing::ArrayConfig array;
    array.rows = cfg.accel.rows, array.cols = cfg.accel.cols, array.dataflow = cfg.accel.dataflow;
    const std::vector<EstimateRow> rows = estimate_network(net, batch, array, cfg.accel.skip_stride_zeros);
    print_table(scenario.path, rows, array, batch);
    if (!report.empty()) {
        ordered_json j{{"command", "estimate"}, {"scenario", scenario.path}};
        if (!cfg.name.empty()) j["name"] = cfg.name;
        j["estimate"] = estimate_json(rows, array, batch);
        const std::string text = j.dump(2) + "\n";
        kern::write_file_atomic(report, text.data(), text.size());
        std::printf("report   %s\n", report.c_str());
    }
    return 0;
}

}  // namespace trainvp
