// Timing behaviour of the integrated accelerator: double buffering hides DMA, a slower DRAM or smaller
// buffers cost cycles but never change a result, and the cycle-stepped array model gives the analytic
// model's compute cycles. Each case runs several benches side by side in one simulation.
#include <memory>

#include "accel_bench.h"

using namespace trainvp;
using namespace trainvp::test;

namespace {

struct Layer {
    std::vector<float> x, w, b;
    num::Format f = num::Format::parse("fx16.10");
};

Layer make_layer() {
    std::mt19937 rng(3);
    Layer l;
    l.x = random_values(rng, 8 * 3 * 16 * 16, l.f);
    l.w = random_values(rng, 12 * 3 * 3 * 3, l.f, 0.5);
    l.b = random_values(rng, 12, l.f, 0.5);
    return l;
}

// Conv forward (8 x 3 x 16 x 16 -> 12 channels, 3x3) on `b`; returns the output bytes.
std::vector<uint8_t> run_conv(AccelBench& b, const Layer& l, uint64_t& cycles, uint64_t& compute,
                              uint64_t& tiles) {
    b.setup_ring();
    accel_desc d{};
    d.opcode = ACCEL_OP_CONV_FWD;
    d.flags = ACCEL_FLAG_HAS_BIAS;
    d.batch = 8, d.in_channels = 3, d.in_rows = d.in_cols = 16, d.out_channels = 12, d.kernel = 3,
    d.stride = 1, d.pad = 1;
    for (int i = 0; i < 7; ++i) d.fmt[i] = code(l.f);
    d.addr_x = b.put(l.x, l.f), d.addr_w = b.put(l.w, l.f), d.addr_b = b.put(l.b, l.f);
    const size_t out = 8 * 12 * 16 * 16;
    d.addr_y = b.alloc(out * 2);
    REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
    const accel::DescriptorRecord* r = b.acc.stats().last();
    REQUIRE(r);
    cycles = r->stats.cycles, compute = r->stats.compute_cycles, tiles = r->stats.tiles;
    std::vector<uint8_t> y(out * 2);
    b.mem.read(d.addr_y - kDram, y.data(), y.size());
    return y;
}

struct Run {
    std::unique_ptr<AccelBench> bench;
    std::vector<uint8_t> y;
    uint64_t cycles = 0, compute = 0, tiles = 0;
};

void run_all(std::vector<Run>& runs, const Layer& l) {
    for (Run& r : runs)
        r.bench->cpu.body = [&r, &l] { r.y = run_conv(*r.bench, l, r.cycles, r.compute, r.tiles); };
    sc_core::sc_start();
    for (Run& r : runs) REQUIRE(r.bench->cpu.body_finished);
}

Run bench(const AcceleratorConfig& cfg, const MemoryConfig& m, const std::string& name) {
    Run r;
    r.bench = std::make_unique<AccelBench>(cfg, m, true, name + "_");
    return r;
}

}  // namespace

TEST_CASE("double buffering hides DMA time and changes no result", "[accel][timing]") {
    const Layer l = make_layer();
    // Same usable capacity per tile (ping-pong halves vs whole buffers), so the same tile plan.
    AcceleratorConfig on = small_buffers(8192), off = small_buffers(4096);
    off.double_buffering = false;
    MemoryConfig slow = dram_config();
    slow.bytes_per_ns = 0.5;
    std::vector<Run> runs;
    runs.push_back(bench(on, slow, "on"));
    runs.push_back(bench(off, slow, "off"));
    run_all(runs, l);
    CHECK(runs[0].y == runs[1].y);
    CHECK(runs[0].tiles > 1);
    CHECK(runs[0].tiles == runs[1].tiles);
    CHECK(runs[0].compute == runs[1].compute);
    CHECK(runs[0].cycles < runs[1].cycles);
    CHECK(runs[0].cycles >= runs[0].compute);
}

TEST_CASE("a slower DRAM or smaller buffers cost cycles, never results", "[accel][timing]") {
    const Layer l = make_layer();
    MemoryConfig fast = dram_config(), slow = dram_config();
    fast.bytes_per_ns = 16;
    slow.bytes_per_ns = 0.25;
    std::vector<Run> runs;
    runs.push_back(bench(AcceleratorConfig{}, fast, "fast"));
    runs.push_back(bench(AcceleratorConfig{}, slow, "slow"));
    runs.push_back(bench(small_buffers(4096), fast, "small"));
    run_all(runs, l);
    CHECK(runs[0].y == runs[1].y);
    CHECK(runs[0].y == runs[2].y);
    CHECK(runs[0].cycles < runs[1].cycles);
    CHECK(runs[0].compute == runs[1].compute);  // the array does not see the DRAM
    CHECK(runs[2].tiles > runs[0].tiles);
    const auto& small = runs[2].bench->acc.stats().total();
    const auto& big = runs[0].bench->acc.stats().total();
    CHECK(small.dram_read_bytes > big.dram_read_bytes);    // the tiles re-read weights
    CHECK(small.tlm_read_bytes == small.dram_read_bytes);  // and the re-reads really cross the bus
    CHECK(big.tlm_read_bytes == big.dram_read_bytes);
}

TEST_CASE("the cycle-stepped array gives the analytic model's compute cycles", "[accel][timing]") {
    const Layer l = make_layer();
    AcceleratorConfig analytic = small_buffers(8192), cycle = analytic, ws = analytic, ws_cycle = analytic;
    analytic.rows = analytic.cols = cycle.rows = cycle.cols = ws.rows = ws.cols = ws_cycle.rows =
        ws_cycle.cols = 8;
    cycle.fidelity = Fidelity::cycle;
    ws.dataflow = ws_cycle.dataflow = Dataflow::weight_stationary;
    ws_cycle.fidelity = Fidelity::cycle;
    std::vector<Run> runs;
    runs.push_back(bench(analytic, dram_config(), "os_a"));
    runs.push_back(bench(cycle, dram_config(), "os_c"));
    runs.push_back(bench(ws, dram_config(), "ws_a"));
    runs.push_back(bench(ws_cycle, dram_config(), "ws_c"));
    run_all(runs, l);
    CHECK(runs[0].compute == runs[1].compute);
    CHECK(runs[2].compute == runs[3].compute);
    CHECK(runs[0].compute != runs[2].compute);  // the dataflows differ
    for (const Run& r : runs) CHECK(r.y == runs[0].y);
}
