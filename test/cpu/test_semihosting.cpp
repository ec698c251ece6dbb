// Semihosting host: the trap sequence on a real core, every operation picolibc uses, and the file
// sandbox, against an in-memory guest. No SystemC.
#include "cpu/semihosting.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "cpu/rv32_core.h"
#include "rv32_test_util.h"

namespace fs = std::filesystem;
using trainvp::Semihosting;

namespace {

constexpr uint32_t kFail = 0xffffffffu;
constexpr uint32_t kEACCES = 13, kENOENT = 2, kEBADF = 9, kEFAULT = 14, kENOSYS = 88;

// Guest RAM [kBase, kBase + size); everything else is unmapped.
class FakeMemory : public trainvp::SemihostMemory {
  public:
    static constexpr uint32_t kBase = 0x80000000u;
    explicit FakeMemory(std::vector<uint8_t>& ram) : ram_(ram) {}
    size_t read(uint32_t addr, void* dst, size_t length) override {
        const size_t n = available(addr, length);
        if (n) std::memcpy(dst, &ram_[addr - kBase], n);
        return n;
    }
    size_t write(uint32_t addr, const void* src, size_t length) override {
        const size_t n = available(addr, length);
        if (n) std::memcpy(&ram_[addr - kBase], src, n);
        return n;
    }

  private:
    size_t available(uint32_t addr, size_t length) const {
        if (addr < kBase || addr - kBase >= ram_.size()) return 0;
        return std::min<size_t>(length, ram_.size() - (addr - kBase));
    }
    std::vector<uint8_t>& ram_;
};

// A scratch directory removed at the end of the test.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "trainvp-semihost-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

void write_file(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
}
std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// One semihosting host over a fake guest, with console and log captured.
struct Fixture {
    static constexpr uint32_t kBlock = FakeMemory::kBase + 0x100;    // parameter block
    static constexpr uint32_t kName = FakeMemory::kBase + 0x200;     // strings
    static constexpr uint32_t kBuffer = FakeMemory::kBase + 0x1000;  // data buffers

    std::vector<uint8_t> ram = std::vector<uint8_t>(0x10000, 0);
    FakeMemory memory{ram};
    std::string out, err, input;
    std::vector<std::string> warnings;
    uint64_t now_ns = 0;
    std::unique_ptr<Semihosting> host;

    explicit Fixture(const std::string& sandbox = "", const std::string& cmdline = "") {
        trainvp::SemihostEnv env;
        env.sim_time_ns = [this] { return now_ns; };
        env.console_out = [this](int stream, const char* data, size_t n) {
            (stream == 2 ? err : out).append(data, n);
        };
        env.console_in = [this](char* data, size_t n) {
            n = std::min(n, input.size());
            std::memcpy(data, input.data(), n);
            input.erase(0, n);
            return n;
        };
        env.log = [this](trainvp::LogLevel level, const std::string& m) {
            if (level == trainvp::LogLevel::warning) warnings.push_back(m);
        };
        host = std::make_unique<Semihosting>(memory, trainvp::SemihostConfig{sandbox, cmdline}, env);
    }

    void put(uint32_t addr, const void* data, size_t n) {
        std::memcpy(&ram[addr - FakeMemory::kBase], data, n);
    }
    void put_string(uint32_t addr, const std::string& s) { put(addr, s.c_str(), s.size() + 1); }
    uint32_t word(uint32_t addr) const {
        uint32_t v;
        std::memcpy(&v, &ram[addr - FakeMemory::kBase], 4);
        return v;
    }
    uint32_t call(uint32_t op, std::initializer_list<uint32_t> block) {
        uint32_t i = 0;
        for (uint32_t w : block) put(kBlock + 4 * i++, &w, 4);
        return host->call(op, kBlock);
    }
    uint32_t open(const std::string& name, uint32_t mode) {
        put_string(kName, name);
        return call(Semihosting::kSysOpen, {kName, mode, static_cast<uint32_t>(name.size())});
    }
    std::string read(uint32_t handle, uint32_t length, uint32_t* not_read = nullptr) {
        const uint32_t left = call(Semihosting::kSysRead, {handle, kBuffer, length});
        if (not_read) *not_read = left;
        return std::string(reinterpret_cast<const char*>(&ram[kBuffer - FakeMemory::kBase]), length - left);
    }
    uint32_t write(uint32_t handle, const std::string& text) {
        put(kBuffer, text.data(), text.size());
        return call(Semihosting::kSysWrite, {handle, kBuffer, static_cast<uint32_t>(text.size())});
    }
    uint32_t errno_value() { return host->call(Semihosting::kSysErrno, 0); }
};

// Emits a0 = op, a1 = param and the semihosting sequence (7 instructions); returns the ebreak's address.
uint32_t emit_call(rv32test::Asm& a, uint32_t op, uint32_t param) {
    a.li(10, op).li(11, param);
    a(0x01f01013);
    const uint32_t ebreak_pc = a.pc();
    a(rv32test::kEbreak)(0x40705013);
    return ebreak_pc;
}

// Guest memory for the core tests: the TestBus's RAM seen through the SemihostMemory interface.
class BusMemory : public trainvp::SemihostMemory {
  public:
    explicit BusMemory(rv32test::TestBus& bus) : bus_(bus) {}
    size_t read(uint32_t addr, void* dst, size_t n) override {
        if (!bus_.in_ram(addr, static_cast<unsigned>(n))) return 0;
        std::memcpy(dst, &bus_.ram[addr - bus_.kRamBase], n);
        return n;
    }
    size_t write(uint32_t addr, const void* src, size_t n) override {
        if (!bus_.in_ram(addr, static_cast<unsigned>(n))) return 0;
        std::memcpy(&bus_.ram[addr - bus_.kRamBase], src, n);
        return n;
    }

  private:
    rv32test::TestBus& bus_;
};

}  // namespace

TEST_CASE("semihosting: the slli/ebreak/srai sequence is handled and execution continues after it") {
    rv32test::TestBus bus;
    BusMemory memory(bus);
    std::string out;
    trainvp::SemihostEnv env;
    env.console_out = [&](int, const char* d, size_t n) { out.append(d, n); };
    Semihosting host(memory, {}, env);
    trainvp::Rv32Core core(bus, trainvp::CpuConfig{});
    core.set_ebreak_hook([&](trainvp::Rv32Core& c) { return host.handle_ebreak(c); });

    const uint32_t base = rv32test::TestBus::kRamBase;
    bus.set_word(base + 0x800, 'Z');
    rv32test::Asm a(bus, base);
    a.li(5, base + 0x400)(rv32test::csrrw(0, 0x305, 5));  // mtvec
    emit_call(a, Semihosting::kSysTickfreq, 0);
    emit_call(a, Semihosting::kSysWritec, base + 0x800);
    const uint32_t after = a.pc();
    a(rv32test::addi(6, 0, 1));
    core.reset(base);
    core.run(3 + 7);  // mtvec setup, then a0/a1 setup and the TICKFREQ sequence
    CHECK(core.reg(10) == Semihosting::kTickHz);
    core.run(7 + 1);
    CHECK(out == "Z");
    CHECK(core.pc() == after + 4);
    CHECK(core.reg(6) == 1);
    CHECK(core.stats().exceptions_by_cause[3] == 0);
}

TEST_CASE("semihosting: a bare or compressed ebreak stays a breakpoint") {
    rv32test::TestBus bus;
    BusMemory memory(bus);
    Semihosting host(memory, {});
    trainvp::Rv32Core core(bus, trainvp::CpuConfig{});
    core.set_ebreak_hook([&](trainvp::Rv32Core& c) { return host.handle_ebreak(c); });
    const uint32_t base = rv32test::TestBus::kRamBase;
    rv32test::Asm a(bus, base);
    a.li(5, base + 0x400)(rv32test::csrrw(0, 0x305, 5));
    a.li(10, Semihosting::kSysTickfreq);
    const uint32_t bare = a.pc();
    a(rv32test::kEbreak);
    core.reset(base);
    core.run(6);
    CHECK(core.pc() == base + 0x400);
    uint32_t mcause = 0, mepc = 0;
    core.read_csr(0x342, mcause);
    core.read_csr(0x341, mepc);
    CHECK(mcause == 3);
    CHECK(mepc == bare);
    CHECK(core.reg(10) == Semihosting::kSysTickfreq);

    // slli; c.ebreak; c.nop; srai: the ebreak must be the 32-bit one.
    rv32test::Asm b(bus, base + 0x100);
    b(0x01f01013).c(0x9002).c(0x0001)(0x40705013);
    CHECK_FALSE(host.is_semihosting_call(base + 0x104));
    // The sequence must sit in one 4 KiB page.
    rv32test::Asm c(bus, base + 0xffc);
    c(0x01f01013)(rv32test::kEbreak)(0x40705013);
    CHECK_FALSE(host.is_semihosting_call(base + 0x1000));
    rv32test::Asm d(bus, base + 0x200);
    d(0x01f01013)(rv32test::kEbreak)(0x40705013);
    CHECK(host.is_semihosting_call(base + 0x204));
}

TEST_CASE("semihosting: SYS_EXIT_EXTENDED ends the run with its subcode and stops the core") {
    rv32test::TestBus bus;
    BusMemory memory(bus);
    Semihosting host(memory, {});
    trainvp::Rv32Core core(bus, trainvp::CpuConfig{});
    core.set_ebreak_hook([&](trainvp::Rv32Core& c) { return host.handle_ebreak(c); });
    const uint32_t base = rv32test::TestBus::kRamBase;
    bus.set_word(base + 0x800, Semihosting::kAdpStoppedApplicationExit);
    bus.set_word(base + 0x804, 7);
    rv32test::Asm a(bus, base);
    emit_call(a, Semihosting::kSysExitExtended, base + 0x800);
    a(rv32test::addi(6, 0, 1));
    core.reset(base);
    const trainvp::RunResult r = core.run(100);
    CHECK(r.reason == trainvp::StopReason::stop_requested);
    CHECK(host.exit_requested());
    CHECK(host.exit_code() == 7);
    CHECK(core.reg(6) == 0);
}

TEST_CASE("semihosting: SYS_EXIT takes the reason code itself on RV32") {
    Fixture ok, failed;
    ok.host->call(Semihosting::kSysExit, Semihosting::kAdpStoppedApplicationExit);
    CHECK(ok.host->exit_requested());
    CHECK(ok.host->exit_code() == 0);
    failed.host->call(Semihosting::kSysExit, 0x20023);  // ADP_Stopped_RunTimeErrorUnknown
    CHECK(failed.host->exit_code() == 1);
    Fixture other;
    other.call(Semihosting::kSysExitExtended, {0x20023, 5});
    CHECK(other.host->exit_code() == 1);
}

TEST_CASE("semihosting: console output through WRITEC, WRITE0 and WRITE to :tt") {
    Fixture f;
    f.put(Fixture::kName, "A", 1);
    f.host->call(Semihosting::kSysWritec, Fixture::kName);
    f.put_string(Fixture::kName, "hello\n");
    f.host->call(Semihosting::kSysWrite0, Fixture::kName);
    const uint32_t out = f.open(":tt", 4);
    const uint32_t err = f.open(":tt", 8);
    REQUIRE(out != kFail);
    REQUIRE(err != kFail);
    CHECK(out != 0);
    CHECK(f.write(out, "to stdout") == 0);
    CHECK(f.write(err, "to stderr") == 0);
    CHECK(f.out == "Ahello\nto stdout");
    CHECK(f.err == "to stderr");
    CHECK(f.call(Semihosting::kSysIstty, {out}) == 1);
    CHECK(f.call(Semihosting::kSysClose, {out}) == 0);
    CHECK(f.call(Semihosting::kSysClose, {out}) == kFail);
    CHECK(f.errno_value() == kEBADF);
}

TEST_CASE("semihosting: console input through READ on :tt and READC") {
    Fixture f;
    f.input = "xy";
    const uint32_t in = f.open(":tt", 0);
    uint32_t not_read = 0;
    CHECK(f.read(in, 1, &not_read) == "x");
    CHECK(not_read == 0);
    CHECK(f.host->call(Semihosting::kSysReadc, 0) == 'y');
    CHECK(f.host->call(Semihosting::kSysReadc, 0) == kFail);
    CHECK(f.read(in, 4, &not_read).empty());
    CHECK(not_read == 4);
}

TEST_CASE("semihosting: :semihosting-features announces EXIT_EXTENDED and STDOUT_STDERR") {
    Fixture f;
    const uint32_t h = f.open(":semihosting-features", 0);
    REQUIRE(h != kFail);
    CHECK(f.call(Semihosting::kSysFlen, {h}) == 5);
    CHECK(f.read(h, 5) == std::string("SHFB\x03", 5));
    CHECK(f.call(Semihosting::kSysIstty, {h}) == 0);
    CHECK(f.open(":semihosting-features", 4) == kFail);
}

TEST_CASE("semihosting: files in the sandbox: read, seek, length, create, write, remove") {
    TempDir dir;
    write_file(dir.path / "data.txt", "0123456789");
    fs::create_directory(dir.path / "sub");
    write_file(dir.path / "sub" / "nested.txt", "nested");
    Fixture f(dir.path.string());

    const uint32_t h = f.open("data.txt", 1);  // rb
    REQUIRE(h != kFail);
    CHECK(f.call(Semihosting::kSysFlen, {h}) == 10);
    CHECK(f.call(Semihosting::kSysIstty, {h}) == 0);
    CHECK(f.read(h, 4) == "0123");
    CHECK(f.call(Semihosting::kSysSeek, {h, 8}) == 0);
    uint32_t not_read = 0;
    CHECK(f.read(h, 4, &not_read) == "89");
    CHECK(not_read == 2);
    CHECK(f.read(h, 4, &not_read).empty());
    CHECK(not_read == 4);
    CHECK(f.call(Semihosting::kSysClose, {h}) == 0);

    const uint32_t n = f.open("./sub//nested.txt", 0);
    REQUIRE(n != kFail);
    CHECK(f.read(n, 16) == "nested");

    const uint32_t abs_inside = f.open((fs::canonical(dir.path) / "data.txt").string(), 0);
    CHECK(abs_inside != kFail);

    const uint32_t w = f.open("created.bin", 5);  // wb
    REQUIRE(w != kFail);
    CHECK(f.write(w, "written by the guest") == 0);
    CHECK(f.call(Semihosting::kSysClose, {w}) == 0);
    CHECK(read_file(dir.path / "created.bin") == "written by the guest");
    const uint32_t ap = f.open("created.bin", 8);  // a
    CHECK(f.write(ap, "!") == 0);
    CHECK(f.call(Semihosting::kSysClose, {ap}) == 0);
    CHECK(read_file(dir.path / "created.bin") == "written by the guest!");

    f.put_string(Fixture::kName, "created.bin");
    CHECK(f.call(Semihosting::kSysRemove, {Fixture::kName, 11}) == 0);
    CHECK_FALSE(fs::exists(dir.path / "created.bin"));

    CHECK(f.open("missing.txt", 0) == kFail);
    CHECK(f.errno_value() == kENOENT);
    CHECK(f.open("sub", 0) == kFail);
    CHECK(f.warnings.size() == 1);  // the directory; a missing file is not a refusal
}

TEST_CASE("semihosting: the sandbox refuses .., absolute paths outside it and symbolic links") {
    TempDir outer;
    const fs::path sandbox = outer.path / "sandbox";
    fs::create_directory(sandbox);
    write_file(outer.path / "secret.txt", "secret");
    fs::create_symlink(outer.path / "secret.txt", sandbox / "link.txt");
    fs::create_directory_symlink(outer.path, sandbox / "linkdir");
    fs::create_symlink(outer.path / "planted.txt", sandbox / "dangling.txt");
    write_file(sandbox / "inside.txt", "inside");
    fs::create_symlink("inside.txt", sandbox / "innerlink.txt");
    Fixture f(sandbox.string());

    const std::string refused[] = {"../secret.txt",
                                   "sub/../../secret.txt",
                                   "inside.txt/../../secret.txt",
                                   (outer.path / "secret.txt").string(),
                                   "/etc/passwd",
                                   "link.txt",
                                   "linkdir/secret.txt",
                                   "innerlink.txt",
                                   "."};
    for (const std::string& name : refused) {
        INFO(name);
        CHECK(f.open(name, 0) == kFail);
        CHECK(f.errno_value() == kEACCES);
    }
    // Creating through links must not create or truncate anything outside.
    CHECK(f.open("dangling.txt", 4) == kFail);
    CHECK(f.errno_value() == kEACCES);
    CHECK_FALSE(fs::exists(outer.path / "planted.txt"));
    CHECK(f.open("link.txt", 4) == kFail);
    CHECK(f.open("linkdir/new.txt", 4) == kFail);
    CHECK(f.open("../escaped.txt", 4) == kFail);
    CHECK_FALSE(fs::exists(outer.path / "escaped.txt"));
    CHECK(read_file(outer.path / "secret.txt") == "secret");
    // Removing a link removes the link only.
    f.put_string(Fixture::kName, "link.txt");
    CHECK(f.call(Semihosting::kSysRemove, {Fixture::kName, 8}) == 0);
    CHECK(fs::exists(outer.path / "secret.txt"));
    f.put_string(Fixture::kName, "../secret.txt");
    CHECK(f.call(Semihosting::kSysRemove, {Fixture::kName, 13}) == kEACCES);
    CHECK(fs::exists(outer.path / "secret.txt"));
    // Each refusal names the path.
    REQUIRE_FALSE(f.warnings.empty());
    CHECK(f.warnings.front().find("../secret.txt") != std::string::npos);
}

TEST_CASE("semihosting: without a sandbox directory no file opens, the console still works") {
    TempDir dir;
    write_file(dir.path / "data.txt", "data");
    Fixture f;
    CHECK(f.open((dir.path / "data.txt").string(), 0) == kFail);
    CHECK(f.errno_value() == kEACCES);
    CHECK(f.open("data.txt", 0) == kFail);
    CHECK(f.errno_value() == kEACCES);
    CHECK(f.warnings.size() == 2);
    CHECK(f.open(":tt", 4) != kFail);
}

TEST_CASE("semihosting: a sandbox directory that does not exist is a user error") {
    std::vector<uint8_t> ram(16);
    FakeMemory memory(ram);
    CHECK_THROWS_AS(Semihosting(memory, {"/nonexistent/trainvp-semihost-dir", ""}), trainvp::UserError);
}

TEST_CASE("semihosting: clocks count simulated time") {
    Fixture f;
    f.now_ns = 2'345'678'901ull;  // 2.345678901 s
    CHECK(f.host->call(Semihosting::kSysClock, 0) == 234);
    CHECK(f.host->call(Semihosting::kSysTime, 0) == 2);
    CHECK(f.host->call(Semihosting::kSysTickfreq, 0) == 1000);
    CHECK(f.host->call(Semihosting::kSysElapsed, Fixture::kBlock) == 0);
    CHECK(f.word(Fixture::kBlock) == 2345);
    CHECK(f.word(Fixture::kBlock + 4) == 0);
    f.now_ns = 5'000'000'000'000'000ull;  // 5e6 s: the tick count needs the upper word
    f.host->call(Semihosting::kSysElapsed, Fixture::kBlock);
    const uint64_t ticks = f.word(Fixture::kBlock) | uint64_t{f.word(Fixture::kBlock + 4)} << 32;
    CHECK(ticks == 5'000'000'000ull);
}

TEST_CASE("semihosting: GET_CMDLINE, HEAPINFO, ISERROR") {
    Fixture f("", "prog --epochs 3");
    CHECK(f.call(Semihosting::kSysGetCmdline, {Fixture::kBuffer, 64}) == 0);
    CHECK(std::string(reinterpret_cast<const char*>(&f.ram[Fixture::kBuffer - FakeMemory::kBase])) ==
          "prog --epochs 3");
    CHECK(f.word(Fixture::kBlock + 4) == 15);
    CHECK(f.call(Semihosting::kSysGetCmdline, {Fixture::kBuffer, 15}) == kFail);

    // picolibc passes the zeroed block itself; the spec passes a pointer to it.
    f.put(Fixture::kBuffer, "\xff\xff\xff\xff", 4);
    CHECK(f.call(Semihosting::kSysHeapinfo, {0, 0, 0, 0}) == 0);
    CHECK(f.call(Semihosting::kSysHeapinfo, {Fixture::kBuffer}) == 0);
    CHECK(f.word(Fixture::kBuffer) == 0);

    CHECK(f.call(Semihosting::kSysIserror, {kFail}) == 1);
    CHECK(f.call(Semihosting::kSysIserror, {3}) == 0);
}

TEST_CASE("semihosting: bad handles, unmapped blocks and unknown operations fail with -1") {
    Fixture f;
    CHECK(f.call(Semihosting::kSysFlen, {42}) == kFail);
    CHECK(f.errno_value() == kEBADF);
    CHECK(f.write(42, "abc") == 3);
    CHECK(f.host->call(Semihosting::kSysOpen, 0x1000) == kFail);
    CHECK(f.errno_value() == kEFAULT);
    f.warnings.clear();
    CHECK(f.host->call(0x12, 0) == kFail);  // SYS_SYSTEM
    CHECK(f.errno_value() == kENOSYS);
    REQUIRE(f.warnings.size() == 1);
    CHECK(f.warnings[0].find("SYS_SYSTEM") != std::string::npos);
    CHECK(f.host->call(0x99, 0) == kFail);
    CHECK(f.warnings.size() == 2);
    CHECK_FALSE(f.host->exit_requested());
}
