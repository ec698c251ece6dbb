// CpuRunner in a small SystemC testbench: a TLM RAM with DMI, a device window that records
// accesses and ends the simulation, unmapped addresses answered with TLM_ADDRESS_ERROR_RESPONSE.
#include <tlm_utils/simple_target_socket.h>
#include <catch2/catch.hpp>
#include <cstring>
#include <functional>
#include <systemc>
#include <tlm>
#include <vector>

#include "common/state_io.h"
#include "cpu/cpu_runner.h"
#include "rv32_test_util.h"

using namespace rv32test;
using sc_core::SC_NS;
using sc_core::sc_time;
using sc_core::SC_US;

namespace {
constexpr uint32_t kRam = 0x80000000u, kRamSize = 0x10000u;
constexpr uint32_t kDev = 0x10000000u;  // +0: mark (records the time), +4: exit (sc_stop)
constexpr uint32_t kUnmapped = 0x40000000u;
enum : uint32_t { kMstatus = 0x300, kMie = 0x304, kMtvec = 0x305, kMcause = 0x342, kMtval = 0x343 };

struct Bench : sc_core::sc_module {
    tlm_utils::simple_target_socket<Bench> mem_in{"mem_in"};
    std::vector<uint8_t> ram = std::vector<uint8_t>(kRamSize, 0);
    std::vector<sc_time> marks;
    unsigned transports = 0;
    bool grant_dmi = true;
    std::function<void()> on_mark;  // called during a mark write
    std::function<void()> on_ack;   // called during a write to +8
    sc_time mark_latency = sc_core::SC_ZERO_TIME;

    explicit Bench(sc_core::sc_module_name n) : sc_module(n) {
        mem_in.register_b_transport(this, &Bench::b_transport);
        mem_in.register_get_direct_mem_ptr(this, &Bench::get_dmi);
        mem_in.register_transport_dbg(this, &Bench::transport_dbg);
    }

    void b_transport(tlm::tlm_generic_payload& t, sc_time& delay) {
        ++transports;
        const uint64_t a = t.get_address();
        const unsigned len = t.get_data_length();
        if (t.get_byte_enable_ptr() != nullptr || t.get_streaming_width() != len) {
            t.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
            return;
        }
        if (a >= kRam && a + len <= kRam + kRamSize) {
            uint8_t* p = &ram[a - kRam];
            if (t.is_read())
                std::memcpy(t.get_data_ptr(), p, len);
            else
                std::memcpy(p, t.get_data_ptr(), len);
            t.set_dmi_allowed(grant_dmi);
            t.set_response_status(tlm::TLM_OK_RESPONSE);
            return;
        }
        if (t.is_write() && a == kDev + 8 && on_ack) {
            on_ack();
            t.set_response_status(tlm::TLM_OK_RESPONSE);
            return;
        }
        if (t.is_write() && (a == kDev || a == kDev + 4)) {
            if (a == kDev) {
                marks.push_back(sc_core::sc_time_stamp() + delay);
                delay += mark_latency;
                if (on_mark) on_mark();
            } else {
                sc_core::sc_stop();
            }
            t.set_response_status(tlm::TLM_OK_RESPONSE);
            return;
        }
        t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    }
    bool get_dmi(tlm::tlm_generic_payload& t, tlm::tlm_dmi& dmi) {
        if (!grant_dmi || t.get_address() < kRam || t.get_address() >= kRam + kRamSize) return false;
        dmi.set_dmi_ptr(ram.data());
        dmi.set_start_address(kRam);
        dmi.set_end_address(kRam + kRamSize - 1);
        dmi.allow_read_write();
        return true;
    }
    unsigned transport_dbg(tlm::tlm_generic_payload& t) {
        const uint64_t a = t.get_address();
        if (a < kRam || a + t.get_data_length() > kRam + kRamSize) return 0;
        if (t.is_read())
            std::memcpy(t.get_data_ptr(), &ram[a - kRam], t.get_data_length());
        else
            std::memcpy(&ram[a - kRam], t.get_data_ptr(), t.get_data_length());
        return t.get_data_length();
    }
    // Writes instructions into RAM like Asm does for TestBus.
    void put(uint32_t addr, const std::vector<uint32_t>& words) {
        for (uint32_t w : words) {
            std::memcpy(&ram[addr - kRam], &w, 4);
            addr += 4;
        }
    }
};

// li as lui + addi, two alu instructions.
std::vector<uint32_t> li(uint32_t rd, uint32_t value) {
    const uint32_t lo = value & 0xfff;
    const uint32_t hi = (value + (lo >= 0x800 ? 0x1000 : 0)) >> 12;
    return {lui(rd, hi & 0xfffff), addi(rd, rd, static_cast<int32_t>(lo << 20) >> 20)};
}
std::vector<uint32_t>& operator<<(std::vector<uint32_t>& v, const std::vector<uint32_t>& more) {
    v.insert(v.end(), more.begin(), more.end());
    return v;
}
std::vector<uint32_t>& operator<<(std::vector<uint32_t>& v, uint32_t w) {
    v.push_back(w);
    return v;
}

struct Top : sc_core::sc_module {
    Bench bench{"bench"};
    trainvp::CpuRunner cpu;
    sc_core::sc_signal<bool> sw_irq{"sw_irq"}, timer_irq{"timer_irq"}, ext_irq{"ext_irq"};
    Top(sc_core::sc_module_name n, const trainvp::CpuConfig& cfg) : sc_module(n), cpu("cpu", cfg) {
        cpu.mem_out.bind(bench.mem_in);
        cpu.irq_software(sw_irq);
        cpu.irq_timer(timer_irq);
        cpu.irq_external(ext_irq);
        cpu.set_reset_pc(kRam);
    }
};

trainvp::CpuConfig config_100mhz() {
    trainvp::CpuConfig cfg;
    cfg.clock_hz = 100e6;  // 10 ns
    return cfg;
}
}  // namespace

TEST_CASE("store to an unmapped address raises a store access fault with mtval", "[cpu][runner]") {
    tlm::tlm_global_quantum::instance().set(sc_time(1, SC_US));
    Top top("top", config_100mhz());
    const uint32_t handler = kRam + 0x400;
    std::vector<uint32_t> prog;
    prog << li(1, kDev) << li(2, handler) << csrrw(0, kMtvec, 2) << li(3, kUnmapped) << sw(0, 3, 0x10);
    top.bench.put(kRam, prog);
    std::vector<uint32_t> h;
    h << csrrs(5, kMcause, 0) << csrrs(6, kMtval, 0) << csrrs(7, 0x341, 0) << sw(0, 1, 4) << sw(0, 1, 0);
    top.bench.put(handler, h);
    sc_core::sc_start(sc_time(1, sc_core::SC_MS));
    CHECK(top.cpu.core().reg(5) == 7);
    CHECK(top.cpu.core().reg(6) == kUnmapped + 0x10);
    CHECK(top.cpu.core().reg(7) == kRam + 7 * 4);
    CHECK(top.bench.marks.empty());  // the simulation stopped at the exit store; nothing ran on
    CHECK(top.cpu.finished());
    CHECK(top.cpu.core().dmi_region_count() == 1);
    CHECK(top.cpu.core().stats().exceptions_by_cause[7] == 1);
}

namespace {
void check_timing(sc_time quantum) {
    tlm::tlm_global_quantum::instance().set(quantum);
    trainvp::CpuConfig cfg = config_100mhz();
    cfg.cycles.alu = 3;
    cfg.cycles.store = 2;
    Top top("top", cfg);
    std::vector<uint32_t> prog;
    prog << li(1, kDev);
    for (int i = 0; i < 100; ++i) prog << addi(2, 2, 1);
    prog << sw(0, 1, 0) << sw(0, 1, 0) << sw(0, 1, 4) << sw(0, 1, 0);
    top.bench.put(kRam, prog);
    sc_core::sc_start(sc_time(1, sc_core::SC_MS));
    // An access is timed at the end of its instruction (the instruction's cycles come first).
    REQUIRE(top.bench.marks.size() == 2);
    CHECK(top.bench.marks[0] == sc_time(10 * ((2 + 100) * 3 + 2), SC_NS));
    CHECK(top.bench.marks[1] == sc_time(10 * ((2 + 100) * 3 + 4), SC_NS));
    // The device stopped the simulation at the exit store's annotated time, which the kernel
    // never reached; the runner still knows the core's time.
    CHECK(sc_core::sc_time_stamp() == top.bench.marks[1]);
    CHECK(top.cpu.current_time() == sc_time(10 * ((2 + 100) * 3 + 6), SC_NS));
    CHECK(top.cpu.core().reg(2) == 100);
    CHECK(top.cpu.core().mcycle() == (2 + 100) * 3 + 6);
}
}  // namespace

TEST_CASE("N instructions advance simulated time by N * cycles * period (one quantum)", "[cpu][runner]") {
    check_timing(sc_time(10, SC_US));
}

// A quantum shorter than the program makes the runner cross several quanta.
TEST_CASE("N instructions advance simulated time by N * cycles * period (many quanta)", "[cpu][runner]") {
    check_timing(sc_time(100, SC_NS));
}

TEST_CASE("irq_timer raised by the testbench wakes a WFI", "[cpu][runner]") {
    tlm::tlm_global_quantum::instance().set(sc_time(1, SC_US));
    Top top("top", config_100mhz());
    const uint32_t handler = kRam + 0x400;
    std::vector<uint32_t> prog;
    prog << li(1, kDev) << li(2, handler) << csrrw(0, kMtvec, 2) << li(3, 1u << 7) << csrrw(0, kMie, 3)
         << csrrsi(0, kMstatus, 8) << kWfi << sw(0, 1, 0) << sw(0, 1, 4);
    top.bench.put(kRam, prog);
    std::vector<uint32_t> h;
    h << sw(0, 1, 0) << sw(0, 1, 4);
    top.bench.put(handler, h);
    struct Driver : sc_core::sc_module {
        sc_core::sc_signal<bool>& line;
        Driver(sc_core::sc_module_name n, sc_core::sc_signal<bool>& l) : sc_module(n), line(l) {
            SC_THREAD(run);
        }
        SC_HAS_PROCESS(Driver);
        void run() {
            wait(5, SC_US);
            line.write(true);
        }
    } driver("driver", top.timer_irq);
    sc_core::sc_start(sc_time(1, sc_core::SC_MS));
    // 12 setup cycles + wfi (4) = 160 ns, asleep until 5 us, then trap entry (4) and the store (1).
    REQUIRE(top.bench.marks.size() == 1);
    CHECK(top.bench.marks[0] == sc_time(5050, SC_NS));
    CHECK(top.cpu.time_asleep() == sc_time(5000 - 160, SC_NS));
    CHECK(top.cpu.core().stats().cycles_asleep == 484);
    CHECK(top.cpu.core().stats().interrupts_taken == 1);
    CHECK(top.cpu.core().stats().interrupts_by_cause[7] == 1);
}

TEST_CASE("DMI invalidation is honoured and memory keeps working over the bus", "[cpu][runner]") {
    tlm::tlm_global_quantum::instance().set(sc_time(1, SC_US));
    Top top("top", config_100mhz());
    // Count to 2000 in a loop storing the counter to RAM, then exit.
    std::vector<uint32_t> prog;
    prog << li(1, kDev) << li(4, kRam + 0x1000) << li(3, 2000);
    prog << addi(2, 2, 1) << sw(2, 4, 0) << bne(2, 3, -8) << sw(0, 1, 4);
    top.bench.put(kRam, prog);
    struct Invalidator : sc_core::sc_module {
        Bench& bench;
        unsigned seen_before = 0;
        Invalidator(sc_core::sc_module_name n, Bench& b) : sc_module(n), bench(b) { SC_THREAD(run); }
        SC_HAS_PROCESS(Invalidator);
        void run() {
            wait(10, SC_US);
            bench.grant_dmi = false;
            seen_before = bench.transports;
            bench.mem_in->invalidate_direct_mem_ptr(0, ~sc_dt::uint64{0});
        }
    } inv("inv", top.bench);
    sc_core::sc_start(sc_time(1, sc_core::SC_MS));
    CHECK(top.cpu.core().dmi_region_count() == 0);
    CHECK(top.bench.transports > inv.seen_before + 100);  // the rest of the loop went over b_transport
    uint32_t counter = 0;
    std::memcpy(&counter, &top.bench.ram[0x1000], 4);
    CHECK(counter == 2000);
    CHECK(top.cpu.finished());
}

TEST_CASE("a core stuck in a trap loop ends the simulation and says why", "[cpu][runner][stuck]") {
    tlm::tlm_global_quantum::instance().set(sc_time(1, SC_US));
    Top top("top", config_100mhz());
    std::vector<uint32_t> prog;
    prog << li(2, kUnmapped) << csrrw(0, kMtvec, 2) << 0xffffffffu;  // mtvec unmapped, then illegal
    top.bench.put(kRam, prog);
    CHECK(top.cpu.stuck().empty());
    sc_core::sc_start(sc_time(10, sc_core::SC_MS));  // ends long before the limit
    CHECK(top.cpu.finished());
    CHECK(sc_core::sc_time_stamp() < sc_time(1, sc_core::SC_MS));
    CHECK(top.cpu.stuck() ==
          "CPU stuck: instruction access fault (trap cause 1) at pc 0x40000000 repeated 1000 times without "
          "progress (mtval 0x40000000, mtvec 0x40000000)");
    CHECK(top.cpu.core().stats().exceptions_by_cause[1] == trainvp::Rv32Core::kStuckTrapRepeats);
}

// The stop flag (what trainvp's SIGINT handler sets) ends a program that would never end, at the next
// quantum boundary after it is set.
TEST_CASE("a stop flag set during the run stops the core at the next quantum", "[cpu][runner]") {
    tlm::tlm_global_quantum::instance().set(sc_time(1, SC_US));
    Top top("top", config_100mhz());
    std::vector<uint32_t> prog;
    prog << addi(2, 2, 1) << jal(0, -4);  // count forever
    top.bench.put(kRam, prog);
    volatile std::sig_atomic_t stop = 0;
    top.cpu.set_stop_flag(&stop);
    struct Setter : sc_core::sc_module {
        volatile std::sig_atomic_t& flag;
        Setter(sc_core::sc_module_name n, volatile std::sig_atomic_t& f) : sc_module(n), flag(f) {
            SC_THREAD(run);
        }
        SC_HAS_PROCESS(Setter);
        void run() {
            wait(5, SC_US);
            flag = 1;
        }
    } setter("setter", stop);
    sc_core::sc_start(sc_time(1, sc_core::SC_MS));
    CHECK(top.cpu.finished());
    // Stopped at the first quantum boundary at or after 5 us, long before the 1 ms limit.
    CHECK(top.cpu.current_time() >= sc_time(5, SC_US));
    CHECK(top.cpu.current_time() <= sc_time(6, SC_US) + sc_time(20, SC_NS));
    CHECK(top.cpu.core().reg(2) > 100);  // it did run until then
}

// A checkpoint pauses the core at the next instruction boundary after a device write and lets it run on. Two
// identical CPUs run the same program side by side, one paused after every device write (with a save of its
// state in the pause): the pauses must change nothing. The device adds a latency so accesses end off the
// clock grid, and timer interrupts raised at fixed times are taken at whichever instruction the core has
// reached when it next syncs, so a pause that moved a quantum boundary shows in where they are taken.
TEST_CASE("pausing at instruction boundaries does not change the run", "[cpu][runner][checkpoint]") {
    tlm::tlm_global_quantum::instance().set(sc_time(1, SC_US));
    Top a("a", config_100mhz()), b("b", config_100mhz());
    const uint32_t handler = kRam + 0x400, data = kRam + 0x800, taken = kRam + 0x1000;
    for (Top* t : {&a, &b}) {
        std::vector<uint32_t> prog;
        prog << li(5, handler) << csrrw(0, kMtvec, 5) << li(6, 1u << 7) << csrrs(0, kMie, 6)
             << csrrsi(0, kMstatus, 8) << li(1, 200) << li(3, kDev) << li(4, data) << li(13, taken);
        const uint32_t loop = kRam + 4 * static_cast<uint32_t>(prog.size());
        prog << lw(7, 4, 0) << add(7, 7, 1) << sw(7, 4, 0);
        for (int i = 0; i < 40; ++i) prog << addi(8, 8, 3);
        prog << sw(1, 3, 0) << addi(1, 1, -1);
        prog << bne(1, 0, static_cast<int32_t>(loop - (kRam + 4 * static_cast<uint32_t>(prog.size()))));
        prog << csrrc(0, kMie, 6) << kWfi;  // sleeps for good: the simulation runs out of events
        t->bench.put(kRam, prog);
        // Records minstret and mepc of every interrupt, then acknowledges it (the device lowers the line).
        std::vector<uint32_t> h;
        h << csrrs(10, 0xb02, 0) << sw(10, 13, 0) << csrrs(11, 0x341, 0) << sw(11, 13, 4) << addi(13, 13, 8)
          << sw(0, 3, 8) << kMret;
        t->bench.put(handler, h);
        t->bench.mark_latency = sc_time(3, SC_NS);
    }
    unsigned pauses = 0;
    size_t image_bytes = 0;
    a.bench.on_mark = [&] {
        a.cpu.request_pause([&] {
            ++pauses;
            trainvp::StateWriter w;
            a.cpu.save_state(w);
            image_bytes = w.size();
        });
    };
    // Raises a line at fixed times; the interrupt handler's acknowledgement lowers it.
    struct Driver : sc_core::sc_module {
        sc_core::sc_signal<bool>& line;
        sc_core::sc_event acked;
        SC_HAS_PROCESS(Driver);
        Driver(sc_core::sc_module_name n, sc_core::sc_signal<bool>& l) : sc_module(n), line(l) {
            SC_THREAD(run);
        }
        void run() {
            for (int k = 1; k <= 80; ++k) {
                const sc_time at(1037.0 * k, SC_NS);
                if (at > sc_core::sc_time_stamp()) wait(at - sc_core::sc_time_stamp());
                line.write(true);
                wait(acked);
                line.write(false);
            }
        }
    } drive_a("drive_a", a.timer_irq), drive_b("drive_b", b.timer_irq);
    a.bench.on_ack = [&] { drive_a.acked.notify(sc_core::SC_ZERO_TIME); };
    b.bench.on_ack = [&] { drive_b.acked.notify(sc_core::SC_ZERO_TIME); };
    sc_core::sc_start(sc_time(1, sc_core::SC_MS));

    CHECK(pauses == 200);
    CHECK(image_bytes > 0);
    REQUIRE(b.bench.marks.size() == 200);
    CHECK(a.bench.marks == b.bench.marks);
    CHECK(a.cpu.core().stats().interrupts_taken > 50);
    CHECK(a.cpu.core().stats().interrupts_taken == b.cpu.core().stats().interrupts_taken);
    CHECK(a.bench.ram == b.bench.ram);  // minstret and mepc of every interrupt
    CHECK(a.cpu.core().stats().instret == b.cpu.core().stats().instret);
    CHECK(a.cpu.core().mcycle() == b.cpu.core().mcycle());
    CHECK(a.cpu.time_asleep() == b.cpu.time_asleep());
    CHECK(a.cpu.current_time() == b.cpu.current_time());
}

TEST_CASE("the runner's state can only be saved inside a pause", "[cpu][runner][checkpoint]") {
    Top top("top", config_100mhz());
    trainvp::StateWriter w;
    CHECK_THROWS_AS(top.cpu.save_state(w), std::logic_error);
}
