// PLIC: level-triggered gateways, priority and threshold arbitration, claim/complete, register checks.
#include <catch2/catch.hpp>

#include "common/state_io.h"
#include "mem/tlm_test_initiator.h"
#include "periph/plic.h"
#include "periph/plic_regs.h"

using sc_core::SC_NS;
using sc_core::sc_time;
using trainvp::Plic;
using trainvp::test::TestInitiator;

namespace {

// Sources 1..4 are driven by the test; the others stay unbound and must read as tied low.
struct Bench {
    TestInitiator cpu{"cpu"};
    Plic plic{"plic"};
    sc_core::sc_signal<bool> line[5];
    sc_core::sc_signal<bool> meip{"meip"};

    Bench() {
        cpu.socket.bind(plic.bus_in);
        for (int id = 1; id <= 4; ++id) plic.irq_in[id].bind(line[id]);
        plic.irq_out.bind(meip);
    }
    void run(std::function<void()> body) {
        cpu.body = std::move(body);
        sc_core::sc_start(sc_time(1, sc_core::SC_MS));
        REQUIRE(cpu.body_finished);
    }
    void settle() { sc_core::wait(1, SC_NS); }
    uint32_t claim() { return cpu.read32(PLIC_REG_CLAIM); }
    void complete(uint32_t id) { CHECK(cpu.write32(PLIC_REG_CLAIM, id) == tlm::TLM_OK_RESPONSE); }
};

}  // namespace

TEST_CASE("plic claims by priority, ties to the lowest id, and complete re-arms a held line", "[plic]") {
    Bench b;
    b.run([&] {
        CHECK(b.cpu.write32(PLIC_REG_PRIORITY(1), 1) == tlm::TLM_OK_RESPONSE);
        CHECK(b.cpu.write32(PLIC_REG_PRIORITY(2), 3) == tlm::TLM_OK_RESPONSE);
        CHECK(b.cpu.write32(PLIC_REG_PRIORITY(3), 3) == tlm::TLM_OK_RESPONSE);
        CHECK(b.cpu.write32(PLIC_REG_ENABLE, 0xe) == tlm::TLM_OK_RESPONSE);
        b.settle();
        CHECK_FALSE(b.meip.read());

        for (int id = 1; id <= 3; ++id) b.line[id].write(true);
        b.settle();
        CHECK(b.meip.read());
        CHECK(b.cpu.read32(PLIC_REG_PENDING) == 0xe);

        CHECK(b.claim() == 2);
        CHECK(b.cpu.read32(PLIC_REG_PENDING) == 0xa);  // claiming clears the pending bit
        CHECK(b.claim() == 3);
        CHECK(b.claim() == 1);
        CHECK(b.claim() == 0);
        b.settle();
        CHECK_FALSE(b.meip.read());

        // Line 2 is still high: completing it makes it pending again.
        b.complete(2);
        b.settle();
        CHECK(b.meip.read());
        CHECK(b.claim() == 2);
        // Line 3 dropped before completion: nothing new after completing it.
        b.line[3].write(false);
        b.settle();
        b.complete(3);
        b.settle();
        CHECK(b.cpu.read32(PLIC_REG_PENDING) == 0x0);
        CHECK_FALSE(b.meip.read());
    });
}

TEST_CASE("plic threshold, enables and priority 0 mask sources", "[plic]") {
    Bench b;
    b.run([&] {
        b.cpu.write32(PLIC_REG_PRIORITY(1), 2);
        b.cpu.write32(PLIC_REG_PRIORITY(2), 5);
        b.cpu.write32(PLIC_REG_PRIORITY(4), 0);  // priority 0 never interrupts
        b.cpu.write32(PLIC_REG_ENABLE, 0x16);    // sources 1, 2, 4 (not 3)
        b.line[1].write(true);
        b.line[3].write(true);
        b.line[4].write(true);
        b.settle();
        CHECK(b.cpu.read32(PLIC_REG_PENDING) == 0x1a);  // pending regardless of enables
        CHECK(b.meip.read());

        b.cpu.write32(PLIC_REG_THRESHOLD, 2);  // a source must be strictly above the threshold
        b.settle();
        CHECK_FALSE(b.meip.read());
        CHECK(b.claim() == 0);

        b.line[2].write(true);
        b.settle();
        CHECK(b.meip.read());
        uint32_t peek = 0;
        CHECK(b.cpu.debug(tlm::TLM_READ_COMMAND, PLIC_REG_CLAIM, &peek, 4) == 4);  // peeks, does not claim
        CHECK(peek == 2);
        CHECK(b.claim() == 2);

        b.cpu.write32(PLIC_REG_THRESHOLD, 0);
        b.settle();
        CHECK(b.claim() == 1);  // source 3 is disabled, source 4 has priority 0
        CHECK(b.claim() == 0);

        // Values are limited to PLIC_PRIORITY_MAX; source 0 has no priority.
        b.cpu.write32(PLIC_REG_PRIORITY(1), 0xff);
        CHECK(b.cpu.read32(PLIC_REG_PRIORITY(1)) == PLIC_PRIORITY_MAX);
        b.cpu.write32(PLIC_REG_PRIORITY(0), 7);
        CHECK(b.cpu.read32(PLIC_REG_PRIORITY(0)) == 0);
        b.cpu.write32(PLIC_REG_ENABLE, 0xffffffff);
        CHECK(b.cpu.read32(PLIC_REG_ENABLE) == ((1u << TRAINVP_IRQ_COUNT) - 2));
    });
}

TEST_CASE("plic ignores completions of sources that are not claimed or not enabled", "[plic]") {
    Bench b;
    b.run([&] {
        b.cpu.write32(PLIC_REG_PRIORITY(1), 1);
        b.cpu.write32(PLIC_REG_ENABLE, 0x2);
        b.line[1].write(true);
        b.settle();
        CHECK(b.claim() == 1);
        b.complete(2);   // never claimed
        b.complete(99);  // no such source
        b.settle();
        CHECK(b.plic.claimed_bits() == 0x2);
        CHECK_FALSE(b.meip.read());
        b.cpu.write32(PLIC_REG_ENABLE, 0);
        b.complete(1);  // source disabled: ignored (PLIC spec: completion must match an enabled source)
        CHECK(b.plic.claimed_bits() == 0x2);
        b.cpu.write32(PLIC_REG_ENABLE, 0x2);
        b.complete(1);
        CHECK(b.plic.claimed_bits() == 0);
        b.settle();
        CHECK(b.meip.read());
    });
}

TEST_CASE("plic rejects unknown offsets, bad sizes and writes to pending", "[plic]") {
    Bench b;
    b.run([&] {
        tlm::tlm_response_status status;
        b.cpu.read32(PLIC_REG_PRIORITY(TRAINVP_IRQ_COUNT), &status);
        CHECK(status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        b.cpu.read32(PLIC_REG_PENDING + 4, &status);
        CHECK(status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        CHECK(b.cpu.write32(PLIC_REG_PENDING, 0xff) == tlm::TLM_COMMAND_ERROR_RESPONSE);
        CHECK(b.cpu.write8(PLIC_REG_THRESHOLD, 1) == tlm::TLM_BURST_ERROR_RESPONSE);
        CHECK(b.cpu.write32(PLIC_REG_THRESHOLD + 2, 1) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        CHECK(b.cpu.read32(PLIC_REG_THRESHOLD) == 0);
        CHECK(b.cpu.read32(PLIC_REG_PENDING) == 0);  // unbound lines are tied low
    });
}

// A checkpoint of the PLIC restored into a fresh instance during the simulation: same priorities, enables,
// threshold and claimed sources, so the same line raises the output and is claimed the same way.
TEST_CASE("plic state restored into a fresh instance behaves identically", "[plic][checkpoint]") {
    Bench a;
    TestInitiator cpu_b("cpu_b");
    Plic plic_b("plic_b");
    sc_core::sc_signal<bool> line_b[5];
    sc_core::sc_signal<bool> meip_b{"meip_b"};
    cpu_b.socket.bind(plic_b.bus_in);
    for (int id = 1; id <= 4; ++id) plic_b.irq_in[id].bind(line_b[id]);
    plic_b.irq_out.bind(meip_b);
    a.run([&] {
        for (uint32_t id = 1; id <= 4; ++id)
            CHECK(a.cpu.write32(PLIC_REG_PRIORITY(id), id) == tlm::TLM_OK_RESPONSE);
        CHECK(a.cpu.write32(PLIC_REG_ENABLE, 0x16) == tlm::TLM_OK_RESPONSE);  // 1, 2, 4
        CHECK(a.cpu.write32(PLIC_REG_THRESHOLD, 1) == tlm::TLM_OK_RESPONSE);
        a.line[4].write(true);
        line_b[4].write(true);
        a.settle();
        CHECK(a.claim() == 4);  // claimed: its gateway stays closed in the saved state
        trainvp::StateWriter w;
        a.plic.save_state(w);
        trainvp::StateReader r(w.data(), "plic");
        plic_b.restore_state(r);
        r.expect_end();
        a.settle();
        CHECK_FALSE(meip_b.read());  // 4 is claimed, nothing else pending
        CHECK(plic_b.claimed_bits() == a.plic.claimed_bits());
        for (uint64_t reg : {PLIC_REG_PRIORITY(3), PLIC_REG_ENABLE, PLIC_REG_THRESHOLD, PLIC_REG_PENDING})
            CHECK(cpu_b.read32(reg) == a.cpu.read32(reg));
        a.line[1].write(true);  // priority 1 is not above the threshold
        line_b[1].write(true);
        a.line[2].write(true);
        line_b[2].write(true);
        a.settle();
        CHECK(meip_b.read() == a.meip.read());
        CHECK(cpu_b.read32(PLIC_REG_CLAIM) == 2);
        CHECK(a.claim() == 2);
        CHECK(cpu_b.write32(PLIC_REG_CLAIM, 4) == tlm::TLM_OK_RESPONSE);  // completes the saved claim
        a.complete(4);
        a.settle();
        CHECK(cpu_b.read32(PLIC_REG_CLAIM) == 4);
        CHECK(a.claim() == 4);
    });
}
