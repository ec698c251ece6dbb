// The GDB remote protocol layer without GDB: framing (checksums, escaping, malformed input), the command
// set of gdb::Session on a real core with a fake debug memory, and gdb::Server over a loopback socket.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <string>

#include "cpu/gdb_protocol.h"
#include "cpu/gdb_server.h"
#include "cpu/rv32_test_util.h"

using namespace trainvp;
using rv32test::TestBus;

namespace {

std::vector<gdb::PacketReader::Event> feed_all(gdb::PacketReader& reader, std::string_view bytes,
                                               std::vector<std::string>* packets = nullptr) {
    std::vector<gdb::PacketReader::Event> events;
    for (char c : bytes) {
        const auto e = reader.feed(c);
        if (e == gdb::PacketReader::Event::none) continue;
        events.push_back(e);
        if (e == gdb::PacketReader::Event::packet && packets) packets->push_back(reader.payload());
    }
    return events;
}

// The debug view of TestBus RAM, as transport_dbg would give it.
class FakeMemory : public gdb::DebugMemory {
  public:
    explicit FakeMemory(TestBus& bus) : bus_(bus) {}
    std::size_t read(uint32_t addr, void* dst, std::size_t length) override {
        std::size_t n = 0;
        for (; n < length && bus_.in_ram(addr + static_cast<uint32_t>(n), 1); ++n)
            static_cast<uint8_t*>(dst)[n] = bus_.ram[addr + n - TestBus::kRamBase];
        return n;
    }
    std::size_t write(uint32_t addr, const void* src, std::size_t length) override {
        std::size_t n = 0;
        for (; n < length && bus_.in_ram(addr + static_cast<uint32_t>(n), 1); ++n)
            bus_.ram[addr + n - TestBus::kRamBase] = static_cast<const uint8_t*>(src)[n];
        return n;
    }

  private:
    TestBus& bus_;
};

struct SessionFixture {
    TestBus bus;
    Rv32Core core{bus, CpuConfig{}};
    FakeMemory memory{bus};
    gdb::Session session{core, memory};
    SessionFixture() { core.reset(TestBus::kRamBase); }
    std::string reply(std::string_view packet) {
        const auto r = session.handle(packet);
        REQUIRE(r.text.has_value());
        return *r.text;
    }
};

}  // namespace

TEST_CASE("packets are framed with a modulo-256 checksum and escapes", "[gdb][protocol]") {
    CHECK(gdb::checksum("") == 0);
    CHECK(gdb::checksum("OK") == 0x9a);
    CHECK(gdb::frame("OK") == "$OK#9a");
    CHECK(gdb::frame("") == "$#00");
    CHECK(gdb::frame("g") == "$g#67");
    // $ # } * are sent as } followed by the byte XOR 0x20, and the checksum covers the escaped bytes.
    CHECK(gdb::escape_binary(std::string("a$b#c}d*e")) ==
          "a}\x04"
          "b}\x03"
          "c}]d}\x0a"
          "e");
    CHECK(gdb::frame("}") == "$}]#da");  // 0x7d + 0x5d
}

TEST_CASE("binary data round-trips through escaping; a trailing escape is malformed", "[gdb][protocol]") {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    const auto back = gdb::unescape_binary(gdb::escape_binary(all));
    REQUIRE(back.has_value());
    CHECK(*back == all);
    CHECK_FALSE(gdb::unescape_binary("abc}").has_value());
}

TEST_CASE("hex helpers: bytes, little-endian registers, numbers", "[gdb][protocol]") {
    CHECK(gdb::to_hex(std::string("\x01\xab\xff", 3)) == "01abff");
    CHECK(*gdb::from_hex("01ABff") == std::string("\x01\xab\xff", 3));
    CHECK_FALSE(gdb::from_hex("abc").has_value());
    CHECK_FALSE(gdb::from_hex("zz").has_value());
    CHECK(gdb::reg_to_hex(0x80000010u) == "10000080");
    CHECK(*gdb::reg_from_hex("10000080") == 0x80000010u);
    CHECK_FALSE(gdb::reg_from_hex("1000008").has_value());
    CHECK(*gdb::parse_number("80000000") == 0x80000000u);
    CHECK_FALSE(gdb::parse_number("").has_value());
    CHECK_FALSE(gdb::parse_number("100000000").has_value());
    CHECK_FALSE(gdb::parse_number("12g").has_value());
}

TEST_CASE("the packet reader splits a stream into packets, acks and interrupts", "[gdb][protocol]") {
    using E = gdb::PacketReader::Event;
    gdb::PacketReader reader;
    std::vector<std::string> packets;
    const auto events = feed_all(reader, "+$g#67junk-$m80000000,4#55\x03$OK#9a", &packets);
    REQUIRE(events == std::vector<E>{E::ack, E::packet, E::nack, E::packet, E::interrupt, E::packet});
    CHECK(packets == std::vector<std::string>{"g", "m80000000,4", "OK"});
}

TEST_CASE("the packet reader rejects bad checksums and malformed trailers and recovers", "[gdb][protocol]") {
    using E = gdb::PacketReader::Event;
    gdb::PacketReader reader;
    std::vector<std::string> packets;
    CHECK(feed_all(reader, "$g#00", &packets) == std::vector<E>{E::bad_packet});
    CHECK(feed_all(reader, "$g#zz", &packets) == std::vector<E>{E::bad_packet});
    // A `$` inside a packet restarts it (GDB resent after a lost trailer).
    CHECK(feed_all(reader, "$gar$g#67", &packets) == std::vector<E>{E::packet});
    CHECK(packets == std::vector<std::string>{"g"});
    // Oversized packets are dropped as bad, not buffered without bound.
    const std::string big(gdb::PacketReader::kMaxPacket + 10, 'a');
    const std::string framed =
        "$" + big + "#" + gdb::to_hex(std::string(1, static_cast<char>(gdb::checksum(big))));
    CHECK(feed_all(reader, framed) == std::vector<E>{E::bad_packet});
    CHECK(feed_all(reader, "$g#67") == std::vector<E>{E::packet});
}

TEST_CASE("session: qSupported, threads, target description", "[gdb][session]") {
    SessionFixture f;
    const std::string supported = f.reply("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
    CHECK(supported.find("PacketSize=") != std::string::npos);
    CHECK(supported.find("qXfer:features:read+") != std::string::npos);
    CHECK(supported.find("swbreak+") != std::string::npos);
    CHECK(supported.find("hwbreak+") != std::string::npos);
    CHECK(f.reply("qAttached") == "1");
    CHECK(f.reply("qC") == "QC1");
    CHECK(f.reply("qfThreadInfo") == "m1");
    CHECK(f.reply("qsThreadInfo") == "l");
    CHECK(f.reply("Hg0") == "OK");
    CHECK(f.reply("vMustReplyEmpty").empty());
    CHECK(f.reply("vCont?").empty());
    CHECK(f.reply("qTStatus").empty());

    // target.xml in pieces, reassembled by the m/l prefixes.
    std::string xml;
    for (uint32_t offset = 0;;) {
        char packet[64];
        std::snprintf(packet, sizeof packet, "qXfer:features:read:target.xml:%x,100", offset);
        const std::string part = f.reply(packet);
        REQUIRE(!part.empty());
        xml += part.substr(1);
        offset += static_cast<uint32_t>(part.size() - 1);
        if (part[0] == 'l') break;
        REQUIRE(part[0] == 'm');
    }
    CHECK(xml == gdb::target_xml());
    CHECK(xml.find("<feature name=\"org.gnu.gdb.riscv.cpu\">") != std::string::npos);
    CHECK(xml.find("<reg name=\"pc\" bitsize=\"32\" type=\"code_ptr\" regnum=\"32\"/>") != std::string::npos);
    CHECK(xml.find("<reg name=\"t6\"") != std::string::npos);
    CHECK(xml.find("<feature name=\"org.gnu.gdb.riscv.csr\">") != std::string::npos);
    CHECK(xml.find("<reg name=\"mstatus\" bitsize=\"32\" type=\"int\" regnum=\"833\"") != std::string::npos);
    CHECK(f.reply("qXfer:features:read:other.xml:0,100") == "E00");
    CHECK(f.reply("qXfer:features:read:target.xml:zz") == "E01");
}

TEST_CASE("session: registers through g/G and p/P, CSRs at 65 + number", "[gdb][session]") {
    SessionFixture f;
    f.core.set_reg(1, 0x11223344);
    f.core.set_pc(0x80000010);
    const std::string g = f.reply("g");
    REQUIRE(g.size() == 33 * 8);
    CHECK(g.substr(0, 8) == "00000000");
    CHECK(g.substr(8, 8) == "44332211");
    CHECK(g.substr(32 * 8) == "10000080");

    std::string regs = g;
    regs.replace(2 * 8, 8, "efbeadde");  // sp = 0xdeadbeef
    CHECK(f.reply("G" + regs) == "OK");
    CHECK(f.core.reg(2) == 0xdeadbeefu);
    CHECK(f.reply("G1234") == "E01");

    CHECK(f.reply("p1") == "44332211");
    CHECK(f.reply("p20") == "10000080");  // pc is register 32 = 0x20
    CHECK(f.reply("P20=00010080") == "OK");
    CHECK(f.core.pc() == 0x80000100u);
    CHECK(f.reply("P0=ffffffff") == "OK");  // x0 stays zero
    CHECK(f.core.reg(0) == 0);

    // mscratch = 0x340 -> register 65 + 0x340 = 0x381; misa = 0x301 -> 0x342.
    CHECK(f.reply("P381=78563412") == "OK");
    uint32_t v = 0;
    REQUIRE(f.core.read_csr(0x340, v));
    CHECK(v == 0x12345678u);
    CHECK(f.reply("p381") == "78563412");
    CHECK(f.reply("p342") == "05110040");  // misa 0x40001105: MXL=1, A C I M
    CHECK(f.reply("p21") == "E01");        // 33: not a register of ours
    CHECK(f.reply("pzz") == "E01");
    CHECK(f.reply("P1") == "E01");
    CHECK(f.reply("P1=12") == "E01");
}

TEST_CASE("session: memory through m, M and X", "[gdb][session]") {
    SessionFixture f;
    f.bus.set_word(TestBus::kRamBase + 0x100, 0x04030201);
    CHECK(f.reply("m80000100,4") == "01020304");
    CHECK(f.reply("M80000104,2:aabb") == "OK");
    CHECK(f.bus.word(TestBus::kRamBase + 0x104) == 0xbbaa);
    // X carries escaped binary: 0x23 ('#') and 0x7d ('}') arrive as "}\x03" and "}]".
    CHECK(f.reply(std::string("X80000108,3:") + "}\x03"
                                                "}]"
                                                "A") == "OK");
    CHECK(f.bus.word(TestBus::kRamBase + 0x108) == 0x417d23u);
    CHECK(f.reply("X80000108,0:") == "OK");
    // Partial reads stop at the end of memory; wholly unmapped ranges and bad input are errors.
    const uint32_t end = TestBus::kRamBase + TestBus::kRamSize;
    char args[32];
    std::snprintf(args, sizeof args, "m%x,8", end - 2);
    CHECK(f.reply(args).size() == 4);
    CHECK(f.reply("m10,4") == "E01");
    CHECK(f.reply("m80000100") == "E01");
    CHECK(f.reply("M80000100,4:aabb") == "E01");  // length mismatch
    CHECK(f.reply("M80000100,1:zz") == "E01");
    CHECK(f.reply("X80000100,1:}") == "E01");
    CHECK(f.reply("M10,1:00") == "E01");
}

TEST_CASE("session: breakpoints and watchpoints use the core's tables, stop replies name them",
          "[gdb][session]") {
    SessionFixture f;
    rv32test::Asm a(f.bus, TestBus::kRamBase);
    a.li(5, TestBus::kRamBase + 0x1000)(rv32test::addi(6, 0, 1))(rv32test::sw(6, 5, 0))(rv32test::jal(0, 0));

    CHECK(f.reply("Z0,80000008,4") == "OK");
    REQUIRE(f.core.run(100).reason == StopReason::breakpoint);
    CHECK(f.core.pc() == 0x80000008u);
    CHECK(f.session.stop_reply({DebugHalt::Kind::breakpoint, {}}) == "T05swbreak:;thread:1;");
    CHECK(f.reply("?") == "T05swbreak:;thread:1;");
    CHECK(f.reply("z0,80000008,4") == "OK");

    CHECK(f.reply("Z2,80001000,4") == "OK");
    REQUIRE(f.core.run(100).reason == StopReason::watchpoint);
    CHECK(f.session.stop_reply({DebugHalt::Kind::watchpoint, f.core.last_watch_hit()}) ==
          "T05watch:80001000;thread:1;");
    CHECK(f.reply("z2,80001000,4") == "OK");
    CHECK(f.reply("Z3,80001000,4") == "OK");
    CHECK(f.reply("Z4,80002000,4") == "OK");
    CHECK(f.reply("Z1,80000000,2") == "OK");
    CHECK(f.session.stop_reply({DebugHalt::Kind::breakpoint, {}}) == "T05swbreak:;thread:1;");
    f.core.set_pc(0x80000000);
    CHECK(f.session.stop_reply({DebugHalt::Kind::breakpoint, {}}) == "T05hwbreak:;thread:1;");
    CHECK(f.session.stop_reply({DebugHalt::Kind::interrupt, {}}) == "T02thread:1;");
    CHECK(f.session.stop_reply({DebugHalt::Kind::step, {}}) == "T05thread:1;");
    CHECK(f.reply("Z5,80000000,4").empty());  // unknown type: unsupported
    CHECK(f.reply("Z0,zz,4") == "E01");
    CHECK(f.reply("Z0") == "E01");
    CHECK(f.reply("Z2,80000000,0") == "E01");  // zero-length watch

    // Detach removes everything GDB inserted.
    const auto d = f.session.handle("D");
    CHECK(d.text == std::optional<std::string>("OK"));
    CHECK(d.resumes);
    CHECK(d.action == CpuDebugger::Resume::detach);
    f.core.reset(TestBus::kRamBase);
    CHECK(f.core.run(50).reason == StopReason::budget);
}

TEST_CASE("session: resume packets, kill, malformed and unknown packets", "[gdb][session]") {
    SessionFixture f;
    auto c = f.session.handle("c");
    CHECK(c.resumes);
    CHECK_FALSE(c.text.has_value());
    CHECK(c.action == CpuDebugger::Resume::run);
    auto s = f.session.handle("s80000040");
    CHECK(s.action == CpuDebugger::Resume::step);
    CHECK(f.core.pc() == 0x80000040u);
    CHECK(f.reply("cxyz") == "E01");
    auto k = f.session.handle("k");
    CHECK(k.resumes);
    CHECK(k.action == CpuDebugger::Resume::kill);
    CHECK(f.reply("!").empty());
    CHECK(f.reply("").empty());
    CHECK(f.reply("?") == "S05");  // before any stop: the entry halt
    CHECK(gdb::Session::exit_reply(6) == "W06");
    CHECK(gdb::Session::exit_reply(0x1ff) == "Wff");
}

TEST_CASE("session: monitor commands registered by the platform answer qRcmd with hex output",
          "[gdb][session][monitor]") {
    SessionFixture f;
    std::vector<std::string> seen;
    f.session.monitor().add("echo", "echo WORDS...", [&seen](const std::vector<std::string>& args) {
        seen = args;
        if (args.empty()) throw std::invalid_argument("nothing to echo");
        return args[0] + "\n";
    });
    f.session.monitor().add("quiet", "quiet", [](const std::vector<std::string>&) { return std::string(); });
    CHECK_THROWS_AS(f.session.monitor().add("echo", "", nullptr), std::invalid_argument);
    CHECK_THROWS_AS(f.session.monitor().add("help", "", nullptr), std::invalid_argument);
    auto rcmd = [&](const std::string& line) {
        const auto out = gdb::from_hex(f.reply("qRcmd," + gdb::to_hex(line)));
        REQUIRE(out);
        return *out;
    };
    CHECK(rcmd("echo  hello   world") == "hello\n");
    CHECK(seen == std::vector<std::string>{"hello", "world"});
    CHECK(f.reply("qRcmd," + gdb::to_hex("quiet")) == "OK");
    CHECK(rcmd("echo") == "error: nothing to echo\nusage: echo WORDS...\n");
    CHECK(rcmd("nope 1").find("unknown monitor command 'nope'") == 0);
    const std::string help = rcmd("help");
    CHECK(help.find("echo WORDS...") != std::string::npos);
    CHECK(help.find("quiet") != std::string::npos);
    CHECK(f.reply("qRcmd,zz") == "E01");
}

TEST_CASE("server: loopback connection, acknowledgements, Ctrl-C, lost connection", "[gdb][server]") {
    gdb::Server server(0);  // any free port
    REQUIRE(server.port() > 0);
    const int client = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(client >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    server.accept_client();
    REQUIRE(server.connected());

    SessionFixture f;
    // GDB's side, written ahead: a corrupted packet, a good one, the ack of the reply, then continue.
    const std::string from_gdb = "$qC#00$qC#b4+$c#63";
    REQUIRE(::send(client, from_gdb.data(), from_gdb.size(), 0) == static_cast<ssize_t>(from_gdb.size()));
    const auto r = server.serve(f.session);
    CHECK(r.resumes);
    CHECK(r.action == CpuDebugger::Resume::run);
    char buf[256] = {};
    const ssize_t n = ::recv(client, buf, sizeof buf - 1, 0);
    REQUIRE(n > 0);
    CHECK(std::string(buf, static_cast<std::size_t>(n)) == "-+$QC1#c5+");

    CHECK_FALSE(server.poll_interrupt());
    REQUIRE(::send(client, "\x03", 1, 0) == 1);
    // The byte may take a moment to arrive on loopback; poll until it has (bounded).
    bool interrupted = false;
    for (int i = 0; i < 1000 && !interrupted; ++i) {
        interrupted = server.poll_interrupt();
        if (!interrupted) ::usleep(1000);
    }
    CHECK(interrupted);

    ::close(client);
    const auto gone = server.serve(f.session);
    CHECK(gone.action == CpuDebugger::Resume::detach);
    CHECK_FALSE(server.connected());
}

TEST_CASE("server: a busy port is an error naming it", "[gdb][server]") {
    gdb::Server first(0);
    try {
        gdb::Server second(first.port());
        FAIL("a second listener on the same port was accepted");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find("127.0.0.1:" + std::to_string(first.port())) != std::string::npos);
    }
}
