// Compute cycles of LeNet-5's GEMMs (forward and backward, batch 1, ideal bandwidth, no overheads) under
// TrainVP's native array model and SCALE-Sim v2's, on 8 x 8, 16 x 16 and 32 x 32 arrays, and the simulation
// speed of the Verilated RTL array next to the analytic and cycle-stepped models on the same GEMMs. Run by
// bench/timing-models.sh. Speeds are simulated array cycles per second of processor time.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "accel/array_timing.h"
#include "accel/gemm_mapping.h"
#include "accel/scalesim_timing.h"
#include "kernels/gemm.h"
#if TRAINVP_BENCH_RTL
#include "rtl/rtl_gemm.h"
#include "rtl/verilated_arrays.h"
#endif

using namespace trainvp;
using namespace trainvp::timing;

namespace {

struct LayerGemm {
    std::string name;
    bool forward;
    GemmShape gemm;
};

LayerShape conv(uint32_t ci, uint32_t size, uint32_t co, uint32_t k) {
    LayerShape l;
    l.in_channels = ci, l.in_rows = size, l.in_cols = size;
    l.out_channels = co, l.kernel = k;
    return l;
}

LayerShape fc(uint32_t in, uint32_t out) {
    LayerShape l;
    l.fc_in = in, l.fc_out = out;
    return l;
}

// LeNet-5 as in docs/accelerator-timing.md: conv1 needs no backward-data GEMM (no error flows into the
// image).
std::vector<LayerGemm> lenet5_gemms() {
    const LayerShape c1 = conv(1, 32, 6, 5), c2 = conv(6, 14, 16, 5);
    const LayerShape f1 = fc(400, 120), f2 = fc(120, 84), f3 = fc(84, 10);
    struct Entry {
        const char* name;
        Phase phase;
        const LayerShape* layer;
    };
    const Entry entries[] = {
        {"conv1 forward", Phase::conv_forward, &c1},
        {"conv2 forward", Phase::conv_forward, &c2},
        {"fc1 forward", Phase::fc_forward, &f1},
        {"fc2 forward", Phase::fc_forward, &f2},
        {"fc3 forward", Phase::fc_forward, &f3},
        {"conv2 backward-data", Phase::conv_backward_data, &c2},
        {"fc1 backward-data", Phase::fc_backward_data, &f1},
        {"fc2 backward-data", Phase::fc_backward_data, &f2},
        {"fc3 backward-data", Phase::fc_backward_data, &f3},
        {"conv1 weight-gradient", Phase::conv_weight_grad, &c1},
        {"conv2 weight-gradient", Phase::conv_weight_grad, &c2},
        {"fc1 weight-gradient", Phase::fc_weight_grad, &f1},
        {"fc2 weight-gradient", Phase::fc_weight_grad, &f2},
        {"fc3 weight-gradient", Phase::fc_weight_grad, &f3},
    };
    std::vector<LayerGemm> out;
    for (const Entry& e : entries) {
        const bool forward = e.phase == Phase::conv_forward || e.phase == Phase::fc_forward;
        out.push_back({e.name, forward, phase_work(e.phase, *e.layer, 1).gemms.at(0)});
    }
    return out;
}

const Dataflow kDataflows[] = {Dataflow::output_stationary, Dataflow::weight_stationary,
                               Dataflow::input_stationary};

uint64_t native_cycles(const GemmShape& g, const ArrayConfig& cfg) {
    return analytic_gemm(g, cfg, TimingParams::ideal(), BufferBandwidth::ideal()).compute_cycles;
}

void cycle_table(uint32_t side, const std::vector<LayerGemm>& gemms) {
    std::printf(
        "\nLeNet-5 on %u x %u, batch 1, ideal bandwidth, no overheads: compute cycles (ratio = native / "
        "SCALE-Sim v2)\n",
        side, side);
    std::printf("%-22s %-15s |", "layer, phase", "M x N x K");
    for (Dataflow d : kDataflows) std::printf(" %2s native  scalesim  ratio |", dataflow_name(d));
    std::printf("\n");
    uint64_t native_sum[2][3] = {}, scalesim_sum[2][3] = {};
    const auto row = [](const char* name, const std::string& dims, const uint64_t* native,
                        const uint64_t* scalesim) {
        std::printf("%-22s %-15s |", name, dims.c_str());
        for (int d = 0; d < 3; ++d)
            std::printf(" %9llu %9llu %6.3f |", static_cast<unsigned long long>(native[d]),
                        static_cast<unsigned long long>(scalesim[d]),
                        static_cast<double>(native[d]) / static_cast<double>(scalesim[d]));
        std::printf("\n");
    };
    for (const LayerGemm& l : gemms) {
        uint64_t native[3], scalesim[3];
        for (int d = 0; d < 3; ++d) {
            const ArrayConfig cfg{side, side, kDataflows[d]};
            native[d] = native_cycles(l.gemm, cfg);
            scalesim[d] = scalesim::gemm_timing(l.gemm, cfg).compute_cycles;
            native_sum[l.forward ? 0 : 1][d] += native[d];
            scalesim_sum[l.forward ? 0 : 1][d] += scalesim[d];
        }
        const std::string dims =
            std::to_string(l.gemm.m) + " x " + std::to_string(l.gemm.n) + " x " + std::to_string(l.gemm.k);
        row(l.name.c_str(), dims, native, scalesim);
    }
    row("forward total", "", native_sum[0], scalesim_sum[0]);
    row("backward total", "", native_sum[1], scalesim_sum[1]);
}

#if TRAINVP_BENCH_RTL
double cpu_seconds() {
    return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

// Every GEMM of the list once on the RTL array and on the two C++ models; speeds in simulated cycles per
// processor second. The analytic model is repeated until it has run for a measurable time.
void speed_row(uint32_t rows, uint32_t cols, Dataflow d, const std::vector<LayerGemm>& gemms) {
    const auto pins = rtl::make_verilated_array(rows, cols);
    const ArrayConfig cfg{rows, cols, d};
    std::mt19937 rng(42);
    std::uniform_int_distribution<int32_t> raw(-127, 127);
    const kern::MacConfig mac{kern::AccDomain::integer, 0, 48};
    uint64_t cycles = 0, analytic_total = 0;
    double rtl_s = 0, stepped_s = 0;
    bool values_equal = true;
    for (const LayerGemm& l : gemms) {
        const GemmShape& s = l.gemm;
        std::vector<int32_t> a(s.m * s.k), b(s.k * s.n);
        for (int32_t& v : a) v = raw(rng);
        for (int32_t& v : b) v = raw(rng);
        std::vector<int64_t> c(s.m * s.n, 0);
        double t0 = cpu_seconds();
        cycles += rtl::run_gemm(*pins, s, d, 48, a.data(), b.data(), c.data()).compute_cycles;
        rtl_s += cpu_seconds() - t0;
        analytic_total += native_cycles(s, cfg);

        std::vector<double> ad(a.begin(), a.end()), bd(b.begin(), b.end()), cd(c.size(), 0.0);
        t0 = cpu_seconds();
        cycle_gemm(s, cfg, TimingParams::ideal(), BufferBandwidth::ideal(), mac, ad.data(), bd.data(),
                   cd.data());
        stepped_s += cpu_seconds() - t0;
        for (size_t i = 0; i < c.size(); ++i)
            values_equal = values_equal && static_cast<double>(c[i]) == cd[i];
    }
    // Simulated cycles of repeated passes over the list (the sum also keeps the calls from being optimised
    // away).
    const double t0 = cpu_seconds();
    double analytic_s = 0;
    uint64_t analytic_cycles = 0;
    do {
        for (const LayerGemm& l : gemms) analytic_cycles += native_cycles(l.gemm, cfg);
        analytic_s = cpu_seconds() - t0;
    } while (analytic_s < 0.2);
    std::printf("%2u x %-2u %-3s %12llu %14.3g %14.3g %14.3g   %s\n", rows, cols, dataflow_name(d),
                static_cast<unsigned long long>(cycles), cycles / rtl_s, cycles / stepped_s,
                static_cast<double>(analytic_cycles) / analytic_s,
                cycles == analytic_total && values_equal ? "yes" : "NO");
}
#endif

}  // namespace

int main() {
    const std::vector<LayerGemm> gemms = lenet5_gemms();
    for (uint32_t side : {8u, 16u, 32u}) cycle_table(side, gemms);
#if TRAINVP_BENCH_RTL
    std::printf(
        "\nSimulation speed on the same GEMMs (LeNet-5 forward and backward, batch 1), simulated array "
        "cycles per processor second:\n");
    std::printf("%-7s %-3s %12s %14s %14s %14s   %s\n", "array", "df", "cycles", "RTL (Verilator)",
                "cycle-stepped", "analytic", "RTL == models");
    for (const auto& size : rtl::verilated_array_sizes())
        for (Dataflow d : kDataflows) speed_row(size.first, size.second, d, gemms);
#else
    std::printf(
        "\nNo Verilated array in this build (TRAINVP_RTL off or verilator not found): RTL speed not "
        "measured.\n");
#endif
    return 0;
}
