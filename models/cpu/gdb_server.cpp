#include "cpu/gdb_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace trainvp::gdb {

namespace {

struct CsrName {
    unsigned number;
    const char* name;
};
// Machine-mode CSRs worth seeing in a debugger (privileged spec 20211203, table 2.5), by GDB's names.
constexpr CsrName kCsrs[] = {
    {0x300, "mstatus"},  {0x301, "misa"},    {0x304, "mie"},       {0x305, "mtvec"},   {0x340, "mscratch"},
    {0x341, "mepc"},     {0x342, "mcause"},  {0x343, "mtval"},     {0x344, "mip"},     {0xb00, "mcycle"},
    {0xb02, "minstret"}, {0xb80, "mcycleh"}, {0xb82, "minstreth"}, {0xf14, "mhartid"},
};

// ABI names in register order, as GDB's own features/riscv/32bit-cpu.xml has them.
constexpr const char* kXregNames[32] = {"zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "fp", "s1", "a0",
                                        "a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
                                        "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};

const char* xreg_type(unsigned i) {
    if (i == 1) return "code_ptr";
    if (i == 2 || i == 3 || i == 4 || i == 8) return "data_ptr";
    return "int";
}

std::string hex_number(uint32_t v) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    do {
        out.insert(out.begin(), digits[v & 15]);
        v >>= 4;
    } while (v != 0);
    return out;
}

// "ADDR,LEN" (optionally followed by ':'): both numbers, or nullopt.
bool parse_addr_len(std::string_view args, uint32_t& addr, uint32_t& len) {
    const auto comma = args.find(',');
    if (comma == std::string_view::npos) return false;
    const auto a = parse_number(args.substr(0, comma));
    const auto l = parse_number(args.substr(comma + 1));
    if (!a || !l) return false;
    addr = *a;
    len = *l;
    return true;
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

const std::string kError = "E01";

}  // namespace

std::string target_xml() {
    std::string x =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n"
        "<architecture>riscv:rv32</architecture>\n<feature name=\"org.gnu.gdb.riscv.cpu\">\n";
    for (unsigned i = 0; i < 32; ++i)
        x += "<reg name=\"" + std::string(kXregNames[i]) + "\" bitsize=\"32\" type=\"" + xreg_type(i) +
             "\" regnum=\"" + std::to_string(i) + "\"/>\n";
    x += "<reg name=\"pc\" bitsize=\"32\" type=\"code_ptr\" regnum=\"32\"/>\n</feature>\n"
         "<feature name=\"org.gnu.gdb.riscv.csr\">\n";
    for (const CsrName& c : kCsrs)
        x += "<reg name=\"" + std::string(c.name) + "\" bitsize=\"32\" type=\"int\" regnum=\"" +
             std::to_string(kFirstCsrRegnum + c.number) + "\" group=\"system\"/>\n";
    x += "</feature>\n</target>\n";
    return x;
}

// ---------------------------------------------------------------------------------------------
// Session

Session::Session(Rv32Core& core, DebugMemory& memory) : core_(core), memory_(memory) {}

std::optional<uint32_t> Session::read_register(unsigned regno) const {
    if (regno < 32) return core_.reg(regno);
    if (regno == kPcRegnum) return core_.pc();
    if (regno >= kFirstCsrRegnum && regno < kFirstCsrRegnum + 4096) {
        uint32_t v = 0;
        if (core_.read_csr(regno - kFirstCsrRegnum, v)) return v;
    }
    return std::nullopt;
}

bool Session::write_register(unsigned regno, uint32_t value) {
    if (regno < 32) {
        core_.set_reg(regno, value);
        return true;
    }
    if (regno == kPcRegnum) {
        core_.set_pc(value);
        return true;
    }
    if (regno >= kFirstCsrRegnum && regno < kFirstCsrRegnum + 4096)
        return core_.write_csr(regno - kFirstCsrRegnum, value);
    return false;
}

std::string Session::read_registers() const {
    std::string out;
    for (unsigned i = 0; i <= kPcRegnum; ++i) out += reg_to_hex(*read_register(i));
    return out;
}

std::string Session::write_registers(std::string_view hex) {
    if (hex.size() != 8 * (kPcRegnum + 1)) return kError;
    uint32_t values[kPcRegnum + 1];
    for (unsigned i = 0; i <= kPcRegnum; ++i) {
        const auto v = reg_from_hex(hex.substr(8 * i, 8));
        if (!v) return kError;
        values[i] = *v;
    }
    for (unsigned i = 0; i <= kPcRegnum; ++i) write_register(i, values[i]);
    return "OK";
}

std::string Session::read_memory(std::string_view args) {
    uint32_t addr = 0, len = 0;
    if (!parse_addr_len(args, addr, len)) return kError;
    len = std::min<uint32_t>(len, (kPacketSize - 8) / 2);
    std::string bytes(len, '\0');
    const std::size_t n = len == 0 ? 0 : memory_.read(addr, bytes.data(), len);
    if (n == 0 && len != 0) return kError;
    bytes.resize(n);
    return to_hex(bytes);
}

std::string Session::write_memory(std::string_view args, bool binary) {
    const auto colon = args.find(':');
    uint32_t addr = 0, len = 0;
    if (colon == std::string_view::npos || !parse_addr_len(args.substr(0, colon), addr, len)) return kError;
    const std::string_view data = args.substr(colon + 1);
    const std::optional<std::string> bytes = binary ? unescape_binary(data) : from_hex(data);
    if (!bytes || bytes->size() != len) return kError;
    if (len == 0) return "OK";  // GDB probes X support with an empty write
    return memory_.write(addr, bytes->data(), len) == len ? "OK" : kError;
}

std::string Session::breakpoint(std::string_view args, bool insert) {
    // Z/z TYPE,ADDR,KIND (E.2 "Packets"): 0 software, 1 hardware breakpoint (both use the core's breakpoint
    // set, never patched memory); 2 write, 3 read, 4 access watchpoint with KIND = length.
    if (args.size() < 2 || args[1] != ',') return kError;
    const char type = args[0];
    uint32_t addr = 0, kind = 0;
    const std::string_view addr_kind =
        args.substr(2, args.find(';') - std::min<std::size_t>(args.find(';'), 2));
    if (!parse_addr_len(addr_kind, addr, kind)) return kError;
    if (type == '0' || type == '1') {
        auto& mine = type == '0' ? sw_breaks_ : hw_breaks_;
        const auto& other = type == '0' ? hw_breaks_ : sw_breaks_;
        if (insert) {
            mine.insert(addr);
            core_.add_breakpoint(addr);
        } else {
            mine.erase(addr);
            if (other.count(addr) == 0) core_.remove_breakpoint(addr);
        }
        return "OK";
    }
    if (type >= '2' && type <= '4') {
        const WatchKind wk = type == '2'   ? WatchKind::write
                             : type == '3' ? WatchKind::read
                                           : WatchKind::access;
        if (insert) return core_.add_watchpoint(addr, kind, wk) ? "OK" : kError;
        core_.remove_watchpoint(addr, kind, wk);
        return "OK";
    }
    return "";
}

void MonitorCommands::add(const std::string& name, const std::string& usage, Handler handler) {
    if (name.empty() || name == "help" || commands_.count(name))
        throw std::invalid_argument("monitor command '" + name + "' cannot be registered");
    commands_[name] = Command{usage, std::move(handler)};
}

std::string MonitorCommands::run(std::string_view line) const {
    std::vector<std::string> words;
    for (size_t i = 0; i < line.size();) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        size_t j = i;
        while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
        if (j > i) words.emplace_back(line.substr(i, j - i));
        i = j;
    }
    if (words.empty() || words[0] == "help") {
        std::string out = "monitor commands:\n  help\n";
        for (const auto& [name, c] : commands_) out += "  " + c.usage + "\n";
        return out;
    }
    const auto it = commands_.find(words[0]);
    if (it == commands_.end())
        return "unknown monitor command '" + words[0] + "' (monitor help lists them)\n";
    try {
        return it->second.handler(std::vector<std::string>(words.begin() + 1, words.end()));
    } catch (const std::invalid_argument& e) {
        return std::string("error: ") + e.what() + "\nusage: " + it->second.usage + "\n";
    }
}

std::string Session::query(std::string_view packet) {
    constexpr std::string_view rcmd = "qRcmd,";
    if (starts_with(packet, rcmd)) {
        const auto line = from_hex(packet.substr(rcmd.size()));
        if (!line) return kError;
        const std::string out = monitor_.run(*line);
        return out.empty() ? "OK" : to_hex(out);
    }
    if (starts_with(packet, "qSupported"))
        return "PacketSize=" + hex_number(kPacketSize) + ";qXfer:features:read+;swbreak+;hwbreak+";
    if (packet == "qAttached") return "1";
    if (packet == "qC") return "QC1";
    if (packet == "qfThreadInfo") return "m1";
    if (packet == "qsThreadInfo") return "l";
    if (starts_with(packet, "qSymbol")) return "OK";
    constexpr std::string_view xfer = "qXfer:features:read:";
    if (starts_with(packet, xfer)) {
        const std::string_view rest = packet.substr(xfer.size());
        const auto colon = rest.find(':');
        uint32_t offset = 0, length = 0;
        if (colon == std::string_view::npos || !parse_addr_len(rest.substr(colon + 1), offset, length))
            return kError;
        if (rest.substr(0, colon) != "target.xml") return "E00";  // no such annex
        static const std::string xml = target_xml();
        if (offset >= xml.size()) return "l";
        length = std::min<uint32_t>(length, kPacketSize / 2);
        const std::string chunk = xml.substr(offset, length);
        return (offset + chunk.size() >= xml.size() ? "l" : "m") + chunk;
    }
    return "";
}

bool Session::resume_at(std::string_view args) {
    if (args.empty()) return true;
    const auto addr = parse_number(args);
    if (!addr) return false;
    core_.set_pc(*addr);
    return true;
}

Session::Reply Session::handle(std::string_view packet) {
    Reply r;
    if (packet.empty()) {
        r.text = "";
        return r;
    }
    const std::string_view args = packet.substr(1);
    switch (packet[0]) {
        case '?':
            r.text = last_stop_;
            return r;
        case 'g':
            r.text = read_registers();
            return r;
        case 'G':
            r.text = write_registers(args);
            return r;
        case 'p': {
            const auto regno = parse_number(args);
            const auto value = regno ? read_register(*regno) : std::nullopt;
            r.text = value ? reg_to_hex(*value) : kError;
            return r;
        }
        case 'P': {
            const auto eq = args.find('=');
            const auto regno = eq == std::string_view::npos ? std::nullopt : parse_number(args.substr(0, eq));
            const auto value = regno ? reg_from_hex(args.substr(eq + 1)) : std::nullopt;
            r.text = value && write_register(*regno, *value) ? "OK" : kError;
            return r;
        }
        case 'm':
            r.text = read_memory(args);
            return r;
        case 'M':
            r.text = write_memory(args, false);
            return r;
        case 'X':
            r.text = write_memory(args, true);
            return r;
        case 'Z':
        case 'z':
            r.text = breakpoint(args, packet[0] == 'Z');
            return r;
        case 'c':
        case 's':
            if (!resume_at(args)) {
                r.text = kError;
                return r;
            }
            r.resumes = true;
            r.action = packet[0] == 'c' ? CpuDebugger::Resume::run : CpuDebugger::Resume::step;
            return r;
        case 'D':
            forget_debug_state();
            r.text = "OK";
            r.resumes = true;
            r.action = CpuDebugger::Resume::detach;
            return r;
        case 'k':
            r.resumes = true;
            r.action = CpuDebugger::Resume::kill;
            return r;
        case 'H':
        case 'T':
            r.text = "OK";  // one hart: thread 1, always alive
            return r;
        case 'q':
            r.text = query(packet);
            return r;
        case 'v':
            if (packet == "vKill;1" || starts_with(packet, "vKill")) {
                r.text = "OK";
                r.resumes = true;
                r.action = CpuDebugger::Resume::kill;
                return r;
            }
            r.text = "";  // vCont, vMustReplyEmpty and the rest: unsupported, so GDB uses c and s
            return r;
        default:
            r.text = "";
            return r;
    }
}

// The program goes on without the debugger, so nothing of its may stay behind.
void Session::forget_debug_state() {
    core_.clear_breakpoints();
    core_.clear_watchpoints();
    sw_breaks_.clear();
    hw_breaks_.clear();
}

std::string Session::stop_reply(const DebugHalt& halt) {
    std::string s;
    switch (halt.kind) {
        case DebugHalt::Kind::entry:
        case DebugHalt::Kind::step:
            s = "T05";
            break;
        case DebugHalt::Kind::breakpoint:
            // swbreak/hwbreak (E.3): the pc needs no adjustment; report the kind GDB inserted.
            s = sw_breaks_.count(core_.pc()) != 0 || hw_breaks_.count(core_.pc()) == 0 ? "T05swbreak:;"
                                                                                       : "T05hwbreak:;";
            break;
        case DebugHalt::Kind::watchpoint: {
            const char* name = halt.watch.watch == WatchKind::write  ? "watch"
                               : halt.watch.watch == WatchKind::read ? "rwatch"
                                                                     : "awatch";
            s = "T05" + std::string(name) + ":" + hex_number(halt.watch.addr) + ";";
            break;
        }
        case DebugHalt::Kind::interrupt:
            s = "T02";
            break;
    }
    s += "thread:1;";
    last_stop_ = s;
    return s;
}

std::string Session::exit_reply(int code) {
    static constexpr char digits[] = "0123456789abcdef";
    const unsigned c = static_cast<unsigned>(code) & 0xff;
    return std::string("W") + digits[c >> 4] + digits[c & 15];
}

// ---------------------------------------------------------------------------------------------
// Server

Server::Server(int port) : port_(port) {
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    const int one = 1;
    ::setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr =
        htonl(INADDR_LOOPBACK);  // loopback only: the stub gives full control of the target
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_, 1) != 0) {
        const std::string reason = std::strerror(errno);
        ::close(listen_);
        throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + reason);
    }
    socklen_t len = sizeof addr;
    if (::getsockname(listen_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) port_ = ntohs(addr.sin_port);
}

Server::~Server() {
    close_client();
    if (listen_ >= 0) ::close(listen_);
}

void Server::accept_client() {
    for (;;) {
        client_ = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client_ >= 0) break;
        if (errno != EINTR) throw std::runtime_error(std::string("accept: ") + std::strerror(errno));
    }
    const int one = 1;
    ::setsockopt(client_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::close(listen_);
    listen_ = -1;
}

void Server::close_client() {
    if (client_ >= 0) ::close(client_);
    client_ = -1;
}

bool Server::read_some(bool block) {
    if (client_ < 0) return false;
    pollfd p{client_, POLLIN, 0};
    int ready = 0;
    do ready = ::poll(&p, 1, block ? -1 : 0);
    while (ready < 0 && errno == EINTR);
    if (ready <= 0) return false;
    char buf[4096];
    ssize_t n = 0;
    do n = ::recv(client_, buf, sizeof buf, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        close_client();
        return false;
    }
    inbox_.append(buf, static_cast<std::size_t>(n));
    return true;
}

bool Server::next_byte(char& c) {
    if (inbox_pos_ == inbox_.size()) {
        inbox_.clear();
        inbox_pos_ = 0;
        return false;
    }
    c = inbox_[inbox_pos_++];
    return true;
}

void Server::send(std::string_view payload) {
    const std::string packet = frame(payload);
    for (int attempt = 0; attempt < 3 && client_ >= 0; ++attempt) {
        std::size_t sent = 0;
        while (sent < packet.size()) {
            const ssize_t n = ::send(client_, packet.data() + sent, packet.size() - sent, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                close_client();
                return;
            }
            sent += static_cast<std::size_t>(n);
        }
        // Wait for the acknowledgement; packets are not expected before it (all-stop mode).
        for (;;) {
            char c = 0;
            while (next_byte(c)) {
                const PacketReader::Event e = reader_.feed(c);
                if (e == PacketReader::Event::ack) return;
                if (e == PacketReader::Event::nack) goto resend;
                if (e == PacketReader::Event::interrupt) interrupt_pending_ = true;
            }
            if (!read_some(true)) return;
        }
    resend:;
    }
}

Session::Reply Server::serve(Session& session) {
    for (;;) {
        char c = 0;
        while (next_byte(c)) {
            const PacketReader::Event e = reader_.feed(c);
            if (e == PacketReader::Event::bad_packet) {
                ::send(client_, "-", 1, MSG_NOSIGNAL);
            } else if (e == PacketReader::Event::packet) {
                ::send(client_, "+", 1, MSG_NOSIGNAL);
                Session::Reply reply = session.handle(reader_.payload());
                if (reply.text) send(*reply.text);
                if (reply.resumes) {
                    interrupt_pending_ = false;
                    return reply;
                }
            }
            // A Ctrl-C while halted has nothing to interrupt; acks of our replies were consumed by send().
        }
        if (!read_some(true)) {
            Session::Reply gone;
            gone.resumes = true;
            gone.action = CpuDebugger::Resume::detach;
            return gone;
        }
    }
}

bool Server::poll_interrupt() {
    while (read_some(false)) {
    }
    char c = 0;
    while (next_byte(c)) {
        if (reader_.feed(c) == PacketReader::Event::interrupt) interrupt_pending_ = true;
    }
    const bool pending = interrupt_pending_;
    interrupt_pending_ = false;
    return pending;
}

}  // namespace trainvp::gdb
