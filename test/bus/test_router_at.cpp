// Router with approximately-timed (nb_transport) initiators, next to loosely-timed ones: the 4-phase base
// protocol to a Memory and to the accelerator's register socket (both b_transport targets, served by their
// simple_target_socket's nb-to-b adapter), to an AT target with its own timing (END_REQ and BEGIN_RESP on the
// backward path, to the initiator that sent the request, with two initiators in flight at once), early
// completion, TLM_UPDATED responses, decode misses, b_transport into an AT-only target and payload reuse.
#include <tlm_utils/peq_with_cb_and_phase.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <catch2/catch.hpp>

#include <cstring>
#include <functional>
#include <map>
#include <vector>

#include "accel/accel_regs.h"
#include "accel/accelerator.h"
#include "bus/router.h"
#include "mem/memory.h"

using sc_core::SC_NS;
using sc_core::sc_time;
using trainvp::Router;
using trainvp::RouterConfig;

namespace {

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kAccelBase = 0x10010000;
constexpr uint64_t kAtBase = 0x20000000;
constexpr double kHopNs = 2;
constexpr double kRamLatencyNs = 5;

// What an initiator saw of one transaction.
struct Outcome {
    tlm::tlm_sync_enum begin_status = tlm::TLM_ACCEPTED;  // returned by nb_transport_fw(BEGIN_REQ)
    tlm::tlm_phase begin_phase = tlm::BEGIN_REQ;          // the phase after that call
    std::vector<std::pair<tlm::tlm_phase, sc_time>>
        backward;  // phases received on nb_transport_bw, with time
    tlm::tlm_response_status response = tlm::TLM_INCOMPLETE_RESPONSE;
    uint64_t address_at_response = ~0ull;
    sc_time response_time;  // when the response reached the initiator
};

// An AT initiator: sends BEGIN_REQ, takes END_REQ and BEGIN_RESP on the backward path, and ends the
// response with END_RESP on the forward path (or, with complete_in_bw, by returning TLM_COMPLETED).
struct AtInitiator : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<AtInitiator> socket{"socket"};
    std::function<void()> body;
    bool body_finished = false;
    bool complete_in_bw = false;
    // Every backward call, with the payload it carried (to check the router's routing back).
    std::vector<const tlm::tlm_generic_payload*> backward_payloads;

    SC_HAS_PROCESS(AtInitiator);
    explicit AtInitiator(sc_core::sc_module_name name) : sc_module(name) {
        socket.register_nb_transport_bw(this, &AtInitiator::nb_transport_bw);
        SC_THREAD(run);
    }

    Outcome transact(tlm::tlm_generic_payload& trans, tlm::tlm_command command, uint64_t address, void* data,
                     unsigned int length, sc_time delay = sc_core::SC_ZERO_TIME) {
        trans.set_command(command);
        trans.set_address(address);
        trans.set_data_ptr(static_cast<unsigned char*>(data));
        trans.set_data_length(length);
        trans.set_streaming_width(length);
        trans.set_byte_enable_ptr(nullptr);
        trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        Outcome out;
        current_ = &out;
        tlm::tlm_phase phase = tlm::BEGIN_REQ;
        out.begin_status = socket->nb_transport_fw(trans, phase, delay);
        out.begin_phase = phase;
        if (out.begin_status == tlm::TLM_COMPLETED) {
            record_response(out, trans, sc_core::sc_time_stamp() + delay);
        } else if (out.begin_status == tlm::TLM_UPDATED && phase == tlm::BEGIN_RESP) {
            record_response(out, trans, sc_core::sc_time_stamp() + delay);
            sc_core::wait(delay);
            end_response(trans);
        } else {
            while (!response_arrived_) sc_core::wait(response_event_);
            sc_core::wait(sc_core::SC_ZERO_TIME);
            if (!complete_in_bw) end_response(trans);
        }
        response_arrived_ = false;
        current_ = nullptr;
        return out;
    }
    uint32_t read32(tlm::tlm_generic_payload& trans, uint64_t address, Outcome* outcome = nullptr) {
        uint32_t value = 0;
        const Outcome out = transact(trans, tlm::TLM_READ_COMMAND, address, &value, 4);
        if (outcome) *outcome = out;
        return value;
    }
    Outcome write32(tlm::tlm_generic_payload& trans, uint64_t address, uint32_t value) {
        return transact(trans, tlm::TLM_WRITE_COMMAND, address, &value, 4);
    }
    // Loosely timed access through the same socket.
    tlm::tlm_response_status blocking(tlm::tlm_command command, uint64_t address, void* data,
                                      unsigned int length, sc_time& delay,
                                      uint64_t* address_after = nullptr) {
        tlm::tlm_generic_payload trans;
        trans.set_command(command);
        trans.set_address(address);
        trans.set_data_ptr(static_cast<unsigned char*>(data));
        trans.set_data_length(length);
        trans.set_streaming_width(length);
        trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        socket->b_transport(trans, delay);
        if (address_after) *address_after = trans.get_address();
        return trans.get_response_status();
    }

  private:
    void run() {
        if (body) body();
        body_finished = true;
    }
    static void record_response(Outcome& out, const tlm::tlm_generic_payload& trans, sc_time at) {
        out.response = trans.get_response_status();
        out.address_at_response = trans.get_address();
        out.response_time = at;
    }
    void end_response(tlm::tlm_generic_payload& trans) {
        tlm::tlm_phase phase = tlm::END_RESP;
        sc_time delay = sc_core::SC_ZERO_TIME;
        const tlm::tlm_sync_enum status = socket->nb_transport_fw(trans, phase, delay);
        CHECK(status == tlm::TLM_COMPLETED);
    }
    tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& trans, tlm::tlm_phase& phase,
                                       sc_time& delay) {
        backward_payloads.push_back(&trans);
        REQUIRE(current_ != nullptr);
        current_->backward.emplace_back(phase, sc_core::sc_time_stamp() + delay);
        if (phase == tlm::BEGIN_RESP) {
            record_response(*current_, trans, sc_core::sc_time_stamp() + delay);
            response_arrived_ = true;
            response_event_.notify(delay);
            return complete_in_bw ? tlm::TLM_COMPLETED : tlm::TLM_ACCEPTED;
        }
        return tlm::TLM_ACCEPTED;
    }

    Outcome* current_ = nullptr;
    bool response_arrived_ = false;
    sc_core::sc_event response_event_;
};

// An AT-only target (nb_transport_fw registered, no b_transport) with its own timing. Reads return bytes
// derived from the local address, so the initiator can tell the translation was right.
struct AtTarget : sc_core::sc_module {
    enum class Mode { four_phase, early_completion, updated_response };
    static constexpr double kEndReqNs = 5, kRespNs = 20, kEarlyNs = 7, kUpdatedNs = 3;

    tlm_utils::simple_target_socket<AtTarget> bus_in{"bus_in"};
    Mode mode = Mode::four_phase;
    std::vector<uint64_t> local_addresses;  // as seen at BEGIN_REQ
    std::vector<sc_time> end_resp_times;    // END_RESP received
    std::vector<uint8_t> memory = std::vector<uint8_t>(0x1000, 0);

    SC_HAS_PROCESS(AtTarget);
    explicit AtTarget(sc_core::sc_module_name name) : sc_module(name), peq_(this, &AtTarget::peq_callback) {
        bus_in.register_nb_transport_fw(this, &AtTarget::nb_transport_fw);
    }

    static uint8_t pattern(uint64_t local_address) { return static_cast<uint8_t>(local_address * 7 + 1); }

  private:
    void execute(tlm::tlm_generic_payload& trans) {
        const uint64_t a = trans.get_address();
        const unsigned int n = trans.get_data_length();
        if (a + n > memory.size()) {
            trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
            return;
        }
        if (trans.is_write()) {
            std::memcpy(&memory[a], trans.get_data_ptr(), n);
        } else {
            for (unsigned int i = 0; i < n; ++i) trans.get_data_ptr()[i] = pattern(a + i) ^ memory[a + i];
        }
        trans.set_response_status(tlm::TLM_OK_RESPONSE);
    }
    tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& trans, tlm::tlm_phase& phase,
                                       sc_time& delay) {
        if (phase == tlm::END_RESP) {
            end_resp_times.push_back(sc_core::sc_time_stamp() + delay);
            return tlm::TLM_COMPLETED;
        }
        REQUIRE(phase == tlm::BEGIN_REQ);
        local_addresses.push_back(trans.get_address());
        requested_at_[&trans] = trans.get_address();
        switch (mode) {
            case Mode::early_completion:
                execute(trans);
                delay += sc_time(kEarlyNs, SC_NS);
                return tlm::TLM_COMPLETED;
            case Mode::updated_response:
                execute(trans);
                delay += sc_time(kUpdatedNs, SC_NS);
                phase = tlm::BEGIN_RESP;
                return tlm::TLM_UPDATED;
            case Mode::four_phase:
                // END_REQ after kEndReqNs, the response kRespNs later (both on the backward path).
                peq_.notify(trans, phase, delay + sc_time(kEndReqNs, SC_NS));
                return tlm::TLM_ACCEPTED;
        }
        return tlm::TLM_ACCEPTED;
    }
    void peq_callback(tlm::tlm_generic_payload& trans, const tlm::tlm_phase& phase) {
        sc_time zero = sc_core::SC_ZERO_TIME;
        if (phase == tlm::BEGIN_REQ) {
            tlm::tlm_phase end_req = tlm::END_REQ;
            CHECK(bus_in->nb_transport_bw(trans, end_req, zero) == tlm::TLM_ACCEPTED);
            peq_.notify(trans, tlm::BEGIN_RESP, sc_time(kRespNs, SC_NS));
        } else if (phase == tlm::BEGIN_RESP) {
            // The address is still the local one: the request is at this target until the response leaves.
            CHECK(trans.get_address() == requested_at_[&trans]);
            execute(trans);
            tlm::tlm_phase resp = tlm::BEGIN_RESP;
            const tlm::tlm_sync_enum status = bus_in->nb_transport_bw(trans, resp, zero);
            if (status == tlm::TLM_COMPLETED) end_resp_times.push_back(sc_core::sc_time_stamp());
        }
    }

    tlm_utils::peq_with_cb_and_phase<AtTarget> peq_;
    std::map<const tlm::tlm_generic_payload*, uint64_t> requested_at_;
};

trainvp::MemoryConfig ram_config() {
    trainvp::MemoryConfig c;
    c.size_bytes = 0x10000;
    c.read_latency_ns = kRamLatencyNs;
    c.write_latency_ns = kRamLatencyNs;
    return c;
}

// cpu and dma initiators (AT, and LT through the same sockets), the accelerator's own DMA as a third
// initiator, RAM, the accelerator's registers and the AT target.
struct Bench {
    AtInitiator cpu{"cpu"};
    AtInitiator dma{"dma"};
    Router router;
    trainvp::Memory ram{"ram", ram_config()};
    trainvp::Accelerator accel{"accel", trainvp::AcceleratorConfig{}};
    AtTarget at{"at"};
    sc_core::sc_signal<bool> accel_irq{"accel_irq"};

    Bench() : router("router", hop_config()) {
        cpu.socket.bind(router.bus_in);
        dma.socket.bind(router.bus_in);
        accel.dma_out.bind(router.bus_in);
        accel.irq.bind(accel_irq);
        router.map(ram.bus_in, {kRamBase, 0x10000}, "ram");
        router.map(accel.regs_in, {kAccelBase, 0x10000}, "accel");
        router.map(at.bus_in, {kAtBase, 0x1000}, "at");
    }
    static RouterConfig hop_config() {
        RouterConfig c;
        c.hop_latency_ns = kHopNs;
        return c;
    }
    void run(std::function<void()> cpu_body, std::function<void()> dma_body = {}) {
        cpu.body = std::move(cpu_body);
        dma.body = std::move(dma_body);
        sc_core::sc_start();
        REQUIRE(cpu.body_finished);
        if (dma.body) REQUIRE(dma.body_finished);
        CHECK(router.transactions_in_flight() == 0);
    }
};

sc_time ns(double v) {
    return sc_time(v, SC_NS);
}

}  // namespace

TEST_CASE("AT 4-phase writes and reads reach a Memory through the router", "[router][at]") {
    Bench b;
    b.run([&] {
        tlm::tlm_generic_payload trans;
        const sc_time t0 = sc_core::sc_time_stamp();
        Outcome w = b.cpu.write32(trans, kRamBase + 0x40, 0x11223344);
        // The memory's simple_target_socket runs b_transport for the AT request and answers with BEGIN_RESP
        // (which implies END_REQ) after the hop and the memory latency.
        CHECK(w.begin_status == tlm::TLM_ACCEPTED);
        CHECK(w.response == tlm::TLM_OK_RESPONSE);
        CHECK(w.address_at_response == kRamBase + 0x40);
        REQUIRE(w.backward.size() == 1);
        CHECK(w.backward[0].first == tlm::BEGIN_RESP);
        CHECK(w.response_time - t0 == ns(kHopNs + kRamLatencyNs));

        Outcome r;
        CHECK(b.cpu.read32(trans, kRamBase + 0x40, &r) == 0x11223344u);  // the same payload again
        CHECK(r.response == tlm::TLM_OK_RESPONSE);
        // The other style through the other initiator.
        uint32_t value = 0;
        sc_time delay;
        uint64_t after = 0;
        CHECK(b.dma.blocking(tlm::TLM_READ_COMMAND, kRamBase + 0x40, &value, 4, delay, &after) ==
              tlm::TLM_OK_RESPONSE);
        CHECK(value == 0x11223344u);
        CHECK(after == kRamBase + 0x40);
        CHECK(delay == ns(kHopNs + kRamLatencyNs));
        // The initiator may also end the response by returning TLM_COMPLETED on the backward path.
        b.cpu.complete_in_bw = true;
        CHECK(b.cpu.read32(trans, kRamBase + 0x40) == 0x11223344u);
    });
    uint32_t host = 0;
    b.ram.read(0x40, &host, 4);
    CHECK(host == 0x11223344u);
}

TEST_CASE("AT and LT accesses reach the accelerator's register socket through the router", "[router][at]") {
    Bench b;
    b.run([&] {
        tlm::tlm_generic_payload trans;
        Outcome r;
        CHECK(b.cpu.read32(trans, kAccelBase + ACCEL_REG_ID, &r) == ACCEL_ID_VALUE);
        CHECK(r.response == tlm::TLM_OK_RESPONSE);
        CHECK(r.address_at_response == kAccelBase + ACCEL_REG_ID);
        CHECK(b.cpu.write32(trans, kAccelBase + ACCEL_REG_IRQ_ENABLE, 3).response == tlm::TLM_OK_RESPONSE);
        uint32_t value = 0;
        sc_time delay;
        CHECK(b.dma.blocking(tlm::TLM_READ_COMMAND, kAccelBase + ACCEL_REG_IRQ_ENABLE, &value, 4, delay) ==
              tlm::TLM_OK_RESPONSE);
        CHECK(value == 3u);
        value = 0x80001000;
        CHECK(b.dma.blocking(tlm::TLM_WRITE_COMMAND, kAccelBase + ACCEL_REG_RING_BASE, &value, 4, delay) ==
              tlm::TLM_OK_RESPONSE);
        CHECK(b.cpu.read32(trans, kAccelBase + ACCEL_REG_RING_BASE) == 0x80001000u);
        // A write to a read-only register is ignored (with a warning), through the AT path as through LT.
        CHECK(b.cpu.write32(trans, kAccelBase + ACCEL_REG_ID, 0).response == tlm::TLM_OK_RESPONSE);
        CHECK(b.cpu.read32(trans, kAccelBase + ACCEL_REG_ID) == ACCEL_ID_VALUE);
        // A hole in the register map is the register file's own address error.
        Outcome hole;
        b.cpu.read32(trans, kAccelBase + 0xffc, &hole);
        CHECK(hole.begin_status == tlm::TLM_ACCEPTED);
        CHECK(hole.response == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    });
    uint32_t value = 0;
    REQUIRE(b.accel.peek_register(ACCEL_REG_IRQ_ENABLE, value));
    CHECK(value == 3u);
}

TEST_CASE("an AT target's END_REQ and BEGIN_RESP go back to the initiator that sent the request",
          "[router][at]") {
    Bench b;
    tlm::tlm_generic_payload cpu_trans, dma_trans;
    Outcome cpu_out, dma_out;
    uint32_t cpu_value = 0, dma_value = 0;
    b.run([&] { cpu_out = b.cpu.transact(cpu_trans, tlm::TLM_READ_COMMAND, kAtBase + 0x10, &cpu_value, 4); },
          [&] {
              sc_core::wait(ns(1));  // both requests in flight at the target at once
              dma_out = b.dma.transact(dma_trans, tlm::TLM_READ_COMMAND, kAtBase + 0x80, &dma_value, 4);
          });
    // The target saw local addresses.
    CHECK(b.at.local_addresses == std::vector<uint64_t>{0x10, 0x80});
    // Each initiator got exactly its own END_REQ and BEGIN_RESP, at the target's times plus the hop.
    for (const Outcome* o : {&cpu_out, &dma_out}) {
        CHECK(o->begin_status == tlm::TLM_ACCEPTED);
        REQUIRE(o->backward.size() == 2);
        CHECK(o->backward[0].first == tlm::END_REQ);
        CHECK(o->backward[1].first == tlm::BEGIN_RESP);
        CHECK(o->response == tlm::TLM_OK_RESPONSE);
    }
    CHECK(cpu_out.backward[0].second == ns(kHopNs + AtTarget::kEndReqNs));
    CHECK(cpu_out.backward[1].second == ns(kHopNs + AtTarget::kEndReqNs + AtTarget::kRespNs));
    CHECK(dma_out.backward[0].second == ns(1 + kHopNs + AtTarget::kEndReqNs));
    CHECK(dma_out.backward[1].second == ns(1 + kHopNs + AtTarget::kEndReqNs + AtTarget::kRespNs));
    CHECK(b.cpu.backward_payloads == std::vector<const tlm::tlm_generic_payload*>{&cpu_trans, &cpu_trans});
    CHECK(b.dma.backward_payloads == std::vector<const tlm::tlm_generic_payload*>{&dma_trans, &dma_trans});
    // Data from the right local address, and the initiators' own addresses back with the response.
    uint32_t expect_cpu = 0, expect_dma = 0;
    for (int i = 0; i < 4; ++i) {
        expect_cpu |= uint32_t{AtTarget::pattern(0x10 + i)} << (8 * i);
        expect_dma |= uint32_t{AtTarget::pattern(0x80 + i)} << (8 * i);
    }
    CHECK(cpu_value == expect_cpu);
    CHECK(dma_value == expect_dma);
    CHECK(cpu_out.address_at_response == kAtBase + 0x10);
    CHECK(dma_out.address_at_response == kAtBase + 0x80);
    // END_RESP reached the target once per transaction.
    CHECK(b.at.end_resp_times.size() == 2);
}

TEST_CASE("AT early completion and TLM_UPDATED responses pass through the router", "[router][at]") {
    Bench b;
    b.run([&] {
        tlm::tlm_generic_payload trans;
        b.at.mode = AtTarget::Mode::early_completion;
        Outcome early;
        const uint32_t v = b.cpu.read32(trans, kAtBase + 0x20, &early);
        CHECK(early.begin_status == tlm::TLM_COMPLETED);
        CHECK(early.backward.empty());
        CHECK(early.response == tlm::TLM_OK_RESPONSE);
        CHECK(early.address_at_response == kAtBase + 0x20);
        CHECK(early.response_time == ns(kHopNs + AtTarget::kEarlyNs));
        CHECK((v & 0xff) == AtTarget::pattern(0x20));
        CHECK(b.router.transactions_in_flight() == 0);
        CHECK(b.at.end_resp_times.empty());

        b.at.mode = AtTarget::Mode::updated_response;
        const sc_time t1 = sc_core::sc_time_stamp();
        Outcome updated = b.cpu.write32(trans, kAtBase + 0x30, 0xa5a5a5a5);
        CHECK(updated.begin_status == tlm::TLM_UPDATED);
        CHECK(updated.begin_phase == tlm::BEGIN_RESP);
        CHECK(updated.response == tlm::TLM_OK_RESPONSE);
        CHECK(updated.address_at_response == kAtBase + 0x30);
        CHECK(updated.response_time - t1 == ns(kHopNs + AtTarget::kUpdatedNs));
        // The initiator's END_RESP went through the router to the target.
        CHECK(b.at.end_resp_times.size() == 1);
        CHECK(b.at.local_addresses.back() == 0x30);
    });
    CHECK(b.at.memory[0x30] == 0xa5);
}

TEST_CASE("AT decode misses and region crossings complete at once with address errors", "[router][at]") {
    Bench b;
    b.run([&] {
        tlm::tlm_generic_payload trans;
        for (uint64_t address : {uint64_t{0x40000000}, kAtBase + 0xffe, kRamBase - 4}) {
            Outcome out;
            b.cpu.read32(trans, address, &out);
            CHECK(out.begin_status == tlm::TLM_COMPLETED);
            CHECK(out.response == tlm::TLM_ADDRESS_ERROR_RESPONSE);
            CHECK(out.address_at_response == address);
            CHECK(out.backward.empty());
            CHECK(out.response_time == sc_core::sc_time_stamp() + ns(kHopNs));
        }
    });
    CHECK(b.at.local_addresses.empty());
}

TEST_CASE("b_transport through the router reaches an AT-only target", "[router][at]") {
    // The target's simple_target_socket turns the blocking call into the 4-phase protocol, whose backward
    // calls come back through the router while the b_transport call waits.
    Bench b;
    b.run([&] {
        uint32_t value = 0;
        sc_time delay;
        uint64_t after = 0;
        CHECK(b.cpu.blocking(tlm::TLM_READ_COMMAND, kAtBase + 0x44, &value, 4, delay, &after) ==
              tlm::TLM_OK_RESPONSE);
        CHECK((value & 0xff) == AtTarget::pattern(0x44));
        CHECK(after == kAtBase + 0x44);
        CHECK(sc_core::sc_time_stamp() + delay == ns(kHopNs + AtTarget::kEndReqNs + AtTarget::kRespNs));
    });
    CHECK(b.at.local_addresses == std::vector<uint64_t>{0x44});
}
