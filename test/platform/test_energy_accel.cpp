// The energy of descriptors whose actions are known by hand, through the real accelerator modules
// (controller, DMA engine, buffers, PE array, vector unit) and the one place their counts become the energy
// model's actions (platform/energy_report.cpp), priced by the built-in 45 nm table. Every price below is
// computed by hand from the table's numbers (docs/energy.md "The 45 nm table and its sources"), not from the
// model's code.
#include <catch2/catch.hpp>

#include <map>

#include "../accel/accel_bench.h"
#include "energy/technology.h"
#include "energy_report.h"

using namespace trainvp;
using namespace trainvp::test;
using energy::Variant;

namespace {

// Hand prices at 45 nm (pJ).
constexpr double kMult16x16 = 0.2 + (16.0 * 16 - 64) / (1024 - 64) * (3.1 - 0.2);  // int_mult between w8, w32
constexpr double kAccAdd48 = 0.1 * 48 / 32 + 48 * 0.009;  // int_add beyond w32, proportional; 48-bit register
constexpr double kReg16 = 16 * 0.009;
constexpr double kMux3of16 = 2 * 16 * 0.000921;     // two 2:1 stages per bit
constexpr double kDramByte = 8 * 20.0;              // ddr4, 20 pJ/bit
constexpr double kDmaBurst = 0.1 + 2 * 32 * 0.009;  // 32-bit add, address register read and written
constexpr double kDescriptor = 160 * 8 * 0.009;
constexpr double kRegAccess = 32 * 0.009;
constexpr double kNocByte =
    2 * 1 * 2 * 8 * 0.009;           // 2 hops (latency_cycles), 1 register each, written and read
constexpr double kSram128K = 75.22;  // the 128 KiB x 64-bit CACTI anchor, read and write
constexpr double kAdd16 = 0.05;      // compare = 16-bit integer add

}  // namespace

TEST_CASE("descriptors with hand-known actions give the hand-computed energy", "[energy][accel]") {
    const AcceleratorConfig cfg;  // 16 x 16, 128 KiB buffers of 8-byte words, interconnect latency 2
    AccelBench b(cfg);
    const num::Format f = num::Format::parse("fx16.8");
    const uint32_t N = 2, in = 8, out = 4, relu_n = 100;
    std::vector<float> x(N * in, 0.5f), w(out * in, 0.25f), rx(relu_n, -1.0f);
    const uint32_t ax = b.put(x, f), aw = b.put(w, f), ay = b.alloc(N * out * 2);
    const uint32_t ar = b.put(rx, f), ary = b.alloc(relu_n * 2);
    b.run([&] {
        b.setup_ring();
        accel_desc d{};
        d.opcode = ACCEL_OP_FC_FWD;
        d.layer_id = 3;
        d.batch = N;
        d.fc_in = in;
        d.fc_out = out;
        d.acc_bits = 48;
        d.fmt[ACCEL_OPND_X] = d.fmt[ACCEL_OPND_W] = d.fmt[ACCEL_OPND_Y] = code(f);
        d.addr_x = ax, d.addr_w = aw, d.addr_y = ay;
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        accel_desc v{};
        v.opcode = ACCEL_OP_RELU_FWD;
        v.layer_id = 4;
        v.count = relu_n;
        v.fmt[ACCEL_OPND_X] = v.fmt[ACCEL_OPND_Y] = code(num::Format::parse("fx16.8"));
        v.addr_x = ar, v.addr_y = ary;
        REQUIRE(b.submit(v) == ACCEL_IRQ_DONE);
    });

    const accel::AccelStats& st = b.acc.stats();
    const accel::PhaseStats& fc = st.per_layer().at(3).at("FC_FWD");
    const accel::PhaseStats& relu = st.per_layer().at(4).at("RELU_FWD");
    // What the modules counted, by hand: 2 x 8 x 4 MACs, each one accumulation and two 16-bit operands
    // through the PE registers; DRAM reads x (32 B), w (64 B) and the descriptor (160 B), one burst each, and
    // the write of y (16 B) in one burst; every fill of a buffer crosses the interconnect.
    const uint64_t macs = N * in * out;
    CHECK(fc.macs_by_format == std::map<std::string, uint64_t>{{"fx16.8xfx16.8", macs}});
    CHECK(fc.actions.acc_adds == std::map<std::string, uint64_t>{{"fx48", macs}});
    CHECK(fc.actions.operand_reg_reads == std::map<uint32_t, uint64_t>{{16, 2 * macs}});
    CHECK(fc.actions.operand_reg_writes == std::map<uint32_t, uint64_t>{{16, 2 * macs}});
    CHECK(fc.actions.dma_bursts == 4);
    CHECK(fc.tlm_read_bytes == 32 + 64 + 160);
    CHECK(fc.tlm_write_bytes == 16);
    CHECK(fc.descriptors == 1);
    CHECK(fc.actions.interconnect_bytes >= 32 + 64 + 16);
    CHECK(relu.actions.vector_ops == std::map<std::string, uint64_t>{{"cmp:fx16.8", relu_n}});
    const uint64_t regs = st.total().actions.register_accesses;
    CHECK(regs >= 3 + 2 * 3);  // ring setup, then a doorbell, a status read and its clear per descriptor

    const EnergySettings settings;
    const energy::EnergyConfig ec = energy_config(settings, cfg);
    const energy::EnergyModel model(energy::reference_table(), ec);
    const energy::EnergyResult r = model.evaluate(accel_actions(fc, cfg, ec, Variant::training), 0);
    const double pe = macs * (kMult16x16 + kAccAdd48) + 4 * macs * kReg16 + 2 * macs * kMux3of16;
    CHECK(r.components.at("pe_array").dynamic_pj == Approx(pe).epsilon(1e-12));
    CHECK(r.components.at("dram").dynamic_pj == Approx((256 + 16) * kDramByte).epsilon(1e-12));
    CHECK(r.components.at("dma").dynamic_pj == Approx(4 * kDmaBurst).epsilon(1e-12));
    CHECK(r.components.at("controller").dynamic_pj == Approx(kDescriptor).epsilon(1e-12));
    CHECK(r.components.at("interconnect").dynamic_pj ==
          Approx(fc.actions.interconnect_bytes * kNocByte).epsilon(1e-12));
    double buffers = 0, sram_words = 0;
    const char* names[] = {"weight_buffer", "activation_buffer", "gradient_buffer"};
    for (int i = 0; i < 3; ++i) {
        const double words = double(fc.buffers[i].read_accesses + fc.buffers[i].write_accesses);
        CHECK(r.components.at(names[i]).dynamic_pj == Approx(words * kSram128K).epsilon(1e-12));
        buffers += words * kSram128K;
        sram_words += words;
    }
    CHECK(sram_words >= (32 + 64 + 16) / 8);  // at least the fills and the drain, in 8-byte words
    CHECK(r.dynamic_pj() == Approx(pe + (256 + 16) * kDramByte + 4 * kDmaBurst + kDescriptor +
                                   fc.actions.interconnect_bytes * kNocByte + buffers)
                                .epsilon(1e-12));

    // The same counts on the inference-only array: no operand multiplexers.
    const energy::EnergyResult ri =
        model.evaluate(accel_actions(fc, cfg, ec, Variant::inference_only), 0, Variant::inference_only);
    CHECK(ri.components.at("pe_array").dynamic_pj == Approx(pe - 2 * macs * kMux3of16).epsilon(1e-12));

    // The ReLU: 100 sign tests in the vector unit; the host's register accesses in the controller.
    const energy::EnergyResult rv = model.evaluate(accel_actions(relu, cfg, ec, Variant::training), 0);
    CHECK(rv.components.at("vector_unit").dynamic_pj == Approx(relu_n * kAdd16).epsilon(1e-12));
    CHECK(rv.components.at("pe_array").dynamic_pj == 0);
    const energy::EnergyResult rt = model.evaluate(accel_actions(st.total(), cfg, ec, Variant::training), 0);
    CHECK(rt.components.at("controller").dynamic_pj ==
          Approx(2 * kDescriptor + regs * kRegAccess).epsilon(1e-12));
    // The layer x phase parts add up to the total (the register accesses belong to no descriptor).
    CHECK(rt.dynamic_pj() == Approx(r.dynamic_pj() + rv.dynamic_pj() + regs * kRegAccess).epsilon(1e-12));
}
