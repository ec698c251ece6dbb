#include "cpu/semihosting.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <vector>

#include "common/error.h"
#include "cpu/rv32_core.h"

namespace trainvp {
namespace {

// The RISC-V semihosting sequence (RISC-V Semihosting spec, "Semihosting trap").
constexpr uint32_t kSlliX0 = 0x01f01013;  // slli x0, x0, 0x1f
constexpr uint32_t kEbreak = 0x00100073;  // ebreak
constexpr uint32_t kSraiX0 = 0x40705013;  // srai x0, x0, 7
constexpr uint32_t kPageMask = ~0xfffu;
constexpr uint32_t kFail = 0xffffffffu;  // -1
constexpr size_t kChunk = 4096;
constexpr uint32_t kMaxNameLength = 4096;
constexpr size_t kMaxWrite0 = 1u << 20;

constexpr char kConsoleName[] = ":tt";
// Arm semihosting 2.0 section 6.1 "Semihosting extensions": a guest learns them by reading this
// pseudo-file: the magic "SHFB" and then one byte of feature bits.
constexpr char kFeaturesName[] = ":semihosting-features";
constexpr uint8_t kFeatureExitExtended = 0x01;  // SH_EXT_EXIT_EXTENDED
constexpr uint8_t kFeatureStdoutStderr = 0x02;  // SH_EXT_STDOUT_STDERR: ":tt" in append mode is stderr
constexpr uint8_t kFeatureBlock[] = {'S', 'H', 'F', 'B', kFeatureExitExtended | kFeatureStdoutStderr};

// errno values as picolibc (newlib numbering, sys/errno.h) defines them; SYS_ERRNO reports these.
namespace guest {
constexpr uint32_t kENOENT = 2, kEIO = 5, kEBADF = 9, kEFAULT = 14, kENOSYS = 88;
}  // namespace guest

uint32_t to_guest_errno(int host) {
    // clang-format off
    static constexpr struct { int host; uint32_t guest; } kMap[] = {
        {EPERM, 1}, {ENOENT, 2}, {EIO, 5}, {EBADF, 9}, {ENOMEM, 12}, {EACCES, 13}, {EFAULT, 14},
        {EEXIST, 17}, {ENOTDIR, 20}, {EISDIR, 21}, {EINVAL, 22}, {ENFILE, 23}, {EMFILE, 24}, {EFBIG, 27},
        {ENOSPC, 28}, {ESPIPE, 29}, {EROFS, 30}, {ENOSYS, 88}, {ENOTEMPTY, 90}, {ENAMETOOLONG, 91},
        {ELOOP, 92}};
    // clang-format on
    for (const auto& m : kMap)
        if (m.host == host) return m.guest;
    return guest::kEIO;
}

const char* op_name(uint32_t op) {
    // clang-format off
    switch (op) {
        case Semihosting::kSysTmpnam: return "SYS_TMPNAM";
        case Semihosting::kSysRename: return "SYS_RENAME";
        case Semihosting::kSysSystem: return "SYS_SYSTEM";
        case 0x17: return "SYS_ENTERSVC";
        default: return "unknown operation";
    }
    // clang-format on
}

// Arm semihosting 2.0 section 6.2 (SYS_OPEN) mode table: r, rb, r+, r+b, w, wb, w+, w+b, a, ab, a+, a+b.
int open_flags(uint32_t mode) {
    static constexpr int kFlags[] = {O_RDONLY,
                                     O_RDWR,
                                     O_WRONLY | O_CREAT | O_TRUNC,
                                     O_RDWR | O_CREAT | O_TRUNC,
                                     O_WRONLY | O_CREAT | O_APPEND,
                                     O_RDWR | O_CREAT | O_APPEND};
    return kFlags[(mode >> 2) * 2 + ((mode >> 1) & 1)];
}

bool is_symlink_at(int dir_fd, const std::string& name) {
    struct stat st;
    return ::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

void default_console_out(int stream, const char* data, size_t length) {
    std::FILE* f = stream == 2 ? stderr : stdout;
    std::fwrite(data, 1, length, f);
    if (std::memchr(data, '\n', length)) std::fflush(f);
}

size_t default_console_in(char* data, size_t length) {
    std::fflush(stdout);  // a prompt printed without a newline must be visible before we block
    const ssize_t n = ::read(STDIN_FILENO, data, length);
    return n > 0 ? static_cast<size_t>(n) : 0;
}

std::string hex(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

}  // namespace

template <typename... Args>
void Semihosting::warn(Args&&... args) const {
    if (!env_.log) return;
    std::ostringstream os;
    (os << ... << std::forward<Args>(args));
    env_.log(LogLevel::warning, os.str());
}

template <typename... Args>
void Semihosting::info(Args&&... args) const {
    if (!env_.log) return;
    std::ostringstream os;
    (os << ... << std::forward<Args>(args));
    env_.log(LogLevel::info, os.str());
}

Semihosting::Semihosting(SemihostMemory& memory, const SemihostConfig& config, SemihostEnv env)
    : mem_(memory), config_(config), env_(std::move(env)) {
    if (!env_.console_out) env_.console_out = default_console_out;
    if (!env_.console_in) env_.console_in = default_console_in;
    if (config_.sandbox_dir.empty()) return;
    root_fd_ = ::open(config_.sandbox_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd_ < 0)
        throw UserError(config_.sandbox_dir +
                        ": cannot use as semihosting directory: " + std::strerror(errno));
    char* canonical = ::realpath(config_.sandbox_dir.c_str(), nullptr);
    if (!canonical) {
        const int e = errno;
        ::close(root_fd_);
        throw UserError(config_.sandbox_dir + ": cannot resolve semihosting directory: " + std::strerror(e));
    }
    root_path_ = canonical;
    std::free(canonical);
}

Semihosting::~Semihosting() {
    for (auto& [number, h] : handles_)
        if (h.fd >= 0) ::close(h.fd);
    if (root_fd_ >= 0) ::close(root_fd_);
}

bool Semihosting::is_semihosting_call(uint32_t pc) {
    if (pc < 4 || pc > UINT32_MAX - 8) return false;
    if (((pc - 4) & kPageMask) != ((pc + 7) & kPageMask)) return false;
    uint32_t words[3];
    if (mem_.read(pc - 4, words, sizeof words) != sizeof words) return false;
    return words[0] == kSlliX0 && words[1] == kEbreak && words[2] == kSraiX0;
}

bool Semihosting::handle_ebreak(Rv32Core& core) {
    if (!is_semihosting_call(core.pc())) return false;
    core.set_reg(10, call(core.reg(10), core.reg(11)));
    if (exit_requested_) core.request_stop();
    return true;
}

uint32_t Semihosting::call(uint32_t op, uint32_t param) {
    uint32_t w[2];
    switch (op) {
        case kSysOpen:
            return sys_open(param);
        case kSysClose:
            return sys_close(param);
        case kSysWritec: {
            char c;
            if (mem_.read(param, &c, 1) == 1)
                console_write(Kind::console_out, &c, 1);
            else
                warn("SYS_WRITEC: character at ", hex(param), " is not mapped");
            return 0;
        }
        case kSysWrite0:
            write0(param);
            return 0;
        case kSysWrite:
            return sys_write(param);
        case kSysRead:
            return sys_read(param);
        case kSysReadc: {
            char c;
            return env_.console_in(&c, 1) == 1 ? static_cast<uint8_t>(c) : kFail;
        }
        case kSysIserror:
            if (!read_block(param, w, 1, op)) return kFail;
            return static_cast<int32_t>(w[0]) < 0 ? 1 : 0;
        case kSysIstty:
            return sys_istty(param);
        case kSysSeek:
            return sys_seek(param);
        case kSysFlen:
            return sys_flen(param);
        case kSysRemove:
            return sys_remove(param);
        // Simulated time keeps runs deterministic; the run starts at the Unix epoch (see docs).
        case kSysClock:
            return static_cast<uint32_t>(now_ns() / 10000000u);
        case kSysTime:
            return static_cast<uint32_t>(now_ns() / 1000000000u);
        case kSysErrno:
            return errno_;
        case kSysGetCmdline:
            return sys_get_cmdline(param);
        case kSysHeapinfo:
            return sys_heapinfo(param);
        // 32-bit targets pass the reason code itself (Arm semihosting 2.0 section 6.16).
        case kSysExit:
            return sys_exit(param, param == kAdpStoppedApplicationExit ? 0 : 1);
        case kSysExitExtended:
            if (!read_block(param, w, 2, op)) return kFail;
            return sys_exit(w[0], w[0] == kAdpStoppedApplicationExit ? w[1] : 1);
        case kSysElapsed:
            return sys_elapsed(param);
        case kSysTickfreq:
            return kTickHz;
        default:
            warn("unsupported semihosting operation ", hex(op), " (", op_name(op), "), parameter ",
                 hex(param), ": returning -1");
            errno_ = guest::kENOSYS;
            return kFail;
    }
}

uint32_t Semihosting::fail(int host_errno) {
    errno_ = to_guest_errno(host_errno);
    return kFail;
}

bool Semihosting::read_block(uint32_t addr, uint32_t* words, unsigned n, uint32_t op) {
    if (mem_.read(addr, words, n * 4) == n * 4) return true;
    warn("semihosting operation ", hex(op), ": parameter block at ", hex(addr), " is not mapped");
    errno_ = guest::kEFAULT;
    return false;
}

bool Semihosting::read_string(uint32_t addr, uint32_t length, std::string& out) {
    out.resize(length);
    return mem_.read(addr, out.data(), length) == length;
}

Semihosting::Handle* Semihosting::find(uint32_t handle) {
    const auto it = handles_.find(handle);
    if (it != handles_.end()) return &it->second;
    errno_ = guest::kEBADF;
    return nullptr;
}

uint32_t Semihosting::add_handle(Handle h) {
    // SYS_OPEN returns a non-zero handle (section 6.2); reuse the smallest free number.
    uint32_t number = 1;
    while (handles_.count(number)) ++number;
    handles_.emplace(number, std::move(h));
    return number;
}

void Semihosting::console_write(Kind kind, const char* data, size_t length) {
    env_.console_out(kind == Kind::console_err ? 2 : 1, data, length);
}

void Semihosting::write0(uint32_t addr) {
    char buf[256];
    size_t total = 0;
    while (total < kMaxWrite0) {
        const size_t got = mem_.read(addr, buf, sizeof buf);
        if (got == 0) {
            warn("SYS_WRITE0: string at ", hex(addr), " is not mapped");
            return;
        }
        const char* nul = static_cast<const char*>(std::memchr(buf, 0, got));
        const size_t n = nul ? static_cast<size_t>(nul - buf) : got;
        console_write(Kind::console_out, buf, n);
        if (nul) return;
        addr += static_cast<uint32_t>(got);
        total += got;
    }
    warn("SYS_WRITE0: string at ", hex(addr), " has no terminator within ", kMaxWrite0, " bytes");
}

int Semihosting::resolve(const std::string& guest_path, int& dir_fd, std::string& leaf,
                         std::string& why) const {
    if (root_fd_ < 0) {
        why = "no semihosting directory is configured (--semihost-dir)";
        return EACCES;
    }
    if (guest_path.empty()) return ENOENT;
    std::string rel = guest_path;
    if (rel.front() == '/') {
        if (rel == root_path_ || rel.compare(0, root_path_.size() + 1, root_path_ + "/") == 0) {
            rel.erase(0, root_path_.size());
        } else {
            why = "absolute path outside the semihosting directory " + root_path_;
            return EACCES;
        }
    }
    std::vector<std::string> parts;
    std::istringstream in(rel);
    for (std::string part; std::getline(in, part, '/');) {
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            why = "'..' is not allowed in semihosting paths";
            return EACCES;
        }
        parts.push_back(part);
    }
    if (parts.empty()) {
        why = "names the semihosting directory itself";
        return EACCES;
    }
    int fd = ::fcntl(root_fd_, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return errno;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
        const int next = ::openat(fd, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            int e = errno;
            if (is_symlink_at(fd, parts[i])) {
                why = "'" + parts[i] + "' is a symbolic link";
                e = EACCES;
            }
            ::close(fd);
            return e;
        }
        ::close(fd);
        fd = next;
    }
    dir_fd = fd;
    leaf = parts.back();
    return 0;
}

uint32_t Semihosting::sys_open(uint32_t param) {
    uint32_t b[3];  // name, mode, name length
    if (!read_block(param, b, 3, kSysOpen)) return kFail;
    const uint32_t mode = b[1];
    if (mode > 11) {
        warn("SYS_OPEN: mode ", mode, " is not in the mode table 0..11");
        return fail(EINVAL);
    }
    if (b[2] > kMaxNameLength) return fail(ENAMETOOLONG);
    std::string name;
    if (!read_string(b[0], b[2], name)) {
        warn("SYS_OPEN: file name at ", hex(b[0]), " (", b[2], " bytes) is not mapped");
        return fail(EFAULT);
    }
    if (name.find('\0') != std::string::npos) return fail(EINVAL);
    if (handles_.size() >= kMaxOpenFiles) {
        warn("SYS_OPEN '", name, "': ", kMaxOpenFiles, " handles are already open");
        return fail(EMFILE);
    }

    if (name == kConsoleName) {
        // Section 6.2: ":tt" opens stdin for reading, stdout for writing and (SH_EXT_STDOUT_STDERR)
        // stderr for appending.
        const Kind kind = mode < 4 ? Kind::console_in : mode < 8 ? Kind::console_out : Kind::console_err;
        return add_handle({kind, -1, 0, name});
    }
    if (name == kFeaturesName) {
        if (mode >= 2) return fail(EACCES);
        return add_handle({Kind::features, -1, 0, name});
    }

    int dir_fd = -1;
    std::string leaf, why;
    if (const int e = resolve(name, dir_fd, leaf, why)) {
        if (!why.empty())
            warn("SYS_OPEN '", name, "' refused: ", why);
        else
            info("SYS_OPEN '", name, "': ", std::strerror(e));
        return fail(e);
    }
    // O_NONBLOCK: opening a FIFO must not hang the simulation; it is refused below anyway.
    const int fd = ::openat(dir_fd, leaf.c_str(),
                            open_flags(mode) | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0666);
    const int open_errno = errno;
    const bool symlink = fd < 0 && is_symlink_at(dir_fd, leaf);
    ::close(dir_fd);
    if (fd < 0) {
        if (symlink) {
            warn("SYS_OPEN '", name, "' refused: '", leaf, "' is a symbolic link");
            return fail(EACCES);
        }
        info("SYS_OPEN '", name, "': ", std::strerror(open_errno));
        return fail(open_errno);
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        const bool dir = S_ISDIR(st.st_mode);
        warn("SYS_OPEN '", name, "' refused: not a regular file");
        return fail(dir ? EISDIR : EACCES);
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return add_handle({Kind::file, fd, 0, name});
}

uint32_t Semihosting::sys_close(uint32_t param) {
    uint32_t b[1];
    if (!read_block(param, b, 1, kSysClose)) return kFail;
    Handle* h = find(b[0]);
    if (!h) return kFail;
    // The console handles stand for the host's own streams, which stay open.
    if (h->fd >= 0 && ::close(h->fd) != 0) {
        const int e = errno;
        handles_.erase(b[0]);
        return fail(e);
    }
    handles_.erase(b[0]);
    return 0;
}

uint32_t Semihosting::sys_write(uint32_t param) {
    uint32_t b[3];  // handle, data, length
    if (!read_block(param, b, 3, kSysWrite)) return kFail;
    const uint32_t length = b[2];
    Handle* h = find(b[0]);
    if (!h) return length;
    if (h->kind == Kind::console_in || h->kind == Kind::features) {
        errno_ = guest::kEBADF;
        return length;
    }
    char buf[kChunk];
    uint32_t done = 0;
    while (done < length) {
        const size_t want = std::min<size_t>(kChunk, length - done);
        const size_t got = mem_.read(b[1] + done, buf, want);
        if (h->kind == Kind::file) {
            size_t written = 0;
            while (written < got) {
                const ssize_t n = ::write(h->fd, buf + written, got - written);
                if (n < 0) {
                    if (errno == EINTR) continue;
                    fail(errno);
                    return length - done - static_cast<uint32_t>(written);
                }
                written += static_cast<size_t>(n);
            }
        } else {
            console_write(h->kind, buf, got);
        }
        done += static_cast<uint32_t>(got);
        if (got < want) {
            warn("SYS_WRITE: data at ", hex(b[1] + done), " is not mapped");
            errno_ = guest::kEFAULT;
            break;
        }
    }
    return length - done;
}

uint32_t Semihosting::sys_read(uint32_t param) {
    uint32_t b[3];  // handle, buffer, length
    if (!read_block(param, b, 3, kSysRead)) return kFail;
    const uint32_t length = b[2];
    Handle* h = find(b[0]);
    if (!h) return length;
    if (h->kind == Kind::console_out || h->kind == Kind::console_err) {
        errno_ = guest::kEBADF;
        return length;
    }
    char buf[kChunk];
    uint32_t done = 0;
    while (done < length) {
        const size_t want = std::min<size_t>(kChunk, length - done);
        size_t got = 0;
        if (h->kind == Kind::console_in) {
            got = env_.console_in(buf, want);
        } else if (h->kind == Kind::features) {
            const size_t at = std::min<size_t>(h->pos, sizeof kFeatureBlock);
            got = std::min(want, sizeof kFeatureBlock - at);
            std::memcpy(buf, kFeatureBlock + at, got);
            h->pos += static_cast<uint32_t>(got);
        } else {
            const ssize_t n = ::read(h->fd, buf, want);
            if (n < 0) {
                if (errno == EINTR) continue;
                fail(errno);
                break;
            }
            got = static_cast<size_t>(n);
        }
        const size_t stored = mem_.write(b[1] + done, buf, got);
        done += static_cast<uint32_t>(stored);
        if (stored < got) {
            warn("SYS_READ: buffer at ", hex(b[1] + done), " is not mapped");
            errno_ = guest::kEFAULT;
            // Leave the file positioned after the bytes the guest actually received.
            if (h->kind == Kind::file) ::lseek(h->fd, -static_cast<off_t>(got - stored), SEEK_CUR);
            if (h->kind == Kind::features) h->pos -= static_cast<uint32_t>(got - stored);
            break;
        }
        // A short read is the end of the file or, for the console, the end of the line typed so far.
        if (got < want) break;
    }
    return length - done;
}

uint32_t Semihosting::sys_seek(uint32_t param) {
    uint32_t b[2];  // handle, absolute position
    if (!read_block(param, b, 2, kSysSeek)) return kFail;
    Handle* h = find(b[0]);
    if (!h) return kFail;
    switch (h->kind) {
        case Kind::file:
            if (::lseek(h->fd, static_cast<off_t>(b[1]), SEEK_SET) < 0) return fail(errno);
            return 0;
        case Kind::features:
            h->pos = b[1];
            return 0;
        default:
            return fail(ESPIPE);
    }
}

uint32_t Semihosting::sys_flen(uint32_t param) {
    uint32_t b[1];
    if (!read_block(param, b, 1, kSysFlen)) return kFail;
    Handle* h = find(b[0]);
    if (!h) return kFail;
    switch (h->kind) {
        case Kind::file: {
            struct stat st;
            if (::fstat(h->fd, &st) != 0) return fail(errno);
            if (st.st_size > INT32_MAX) return fail(EFBIG);
            return static_cast<uint32_t>(st.st_size);
        }
        case Kind::features:
            return sizeof kFeatureBlock;
        default:
            // A console has no length; picolibc's isatty() and fstat() read 0 as "character device".
            return 0;
    }
}

uint32_t Semihosting::sys_istty(uint32_t param) {
    uint32_t b[1];
    if (!read_block(param, b, 1, kSysIstty)) return kFail;
    const Handle* h = find(b[0]);
    if (!h) return kFail;
    return h->kind == Kind::file || h->kind == Kind::features ? 0 : 1;
}

uint32_t Semihosting::sys_remove(uint32_t param) {
    uint32_t b[2];  // name, name length
    if (!read_block(param, b, 2, kSysRemove)) return kFail;
    // Section 6.14: 0 on success, otherwise a non-zero host-specific error code (ours: the errno).
    int e = 0;
    std::string name, leaf, why;
    int dir_fd = -1;
    if (b[1] > kMaxNameLength) {
        e = ENAMETOOLONG;
    } else if (!read_string(b[0], b[1], name)) {
        warn("SYS_REMOVE: file name at ", hex(b[0]), " is not mapped");
        e = EFAULT;
    } else if ((e = resolve(name, dir_fd, leaf, why)) != 0) {
        if (!why.empty()) warn("SYS_REMOVE '", name, "' refused: ", why);
    } else {
        // unlinkat() removes a symbolic link itself, never its target, and refuses directories.
        if (::unlinkat(dir_fd, leaf.c_str(), 0) != 0) e = errno;
        ::close(dir_fd);
    }
    if (e == 0) return 0;
    fail(e);
    return errno_;
}

uint32_t Semihosting::sys_get_cmdline(uint32_t param) {
    uint32_t b[2];  // buffer, buffer length
    if (!read_block(param, b, 2, kSysGetCmdline)) return kFail;
    const std::string& cmdline = config_.cmdline;
    if (cmdline.size() + 1 > b[1]) {
        warn("SYS_GET_CMDLINE: the command line (", cmdline.size(), " bytes) does not fit the guest's ", b[1],
             "-byte buffer");
        return fail(EINVAL);
    }
    const uint32_t length = static_cast<uint32_t>(cmdline.size());
    if (mem_.write(b[0], cmdline.c_str(), cmdline.size() + 1) != cmdline.size() + 1 ||
        mem_.write(param + 4, &length, 4) != 4) {
        warn("SYS_GET_CMDLINE: buffer at ", hex(b[0]), " is not mapped");
        return fail(EFAULT);
    }
    return 0;
}

uint32_t Semihosting::sys_heapinfo(uint32_t param) {
    // Section 6.10: the parameter points at a pointer to four words (heap base, heap limit, stack base,
    // stack limit). picolibc instead passes the zeroed block itself, so a null pointer means "here".
    // All four are reported as 0, "unknown": the firmware's linker script places heap and stack, and the
    // host has no better answer.
    uint32_t pointer = 0;
    if (!read_block(param, &pointer, 1, kSysHeapinfo)) return kFail;
    const uint32_t block = pointer ? pointer : param;
    const uint32_t zeros[4] = {};
    if (mem_.write(block, zeros, sizeof zeros) != sizeof zeros) {
        warn("SYS_HEAPINFO: block at ", hex(block), " is not mapped");
        return fail(EFAULT);
    }
    return 0;
}

uint32_t Semihosting::sys_elapsed(uint32_t param) {
    const uint64_t ticks = now_ns() / (1000000000u / kTickHz);
    const uint32_t words[2] = {static_cast<uint32_t>(ticks), static_cast<uint32_t>(ticks >> 32)};
    if (mem_.write(param, words, sizeof words) != sizeof words) {
        warn("SYS_ELAPSED: block at ", hex(param), " is not mapped");
        return fail(EFAULT);
    }
    return 0;
}

uint32_t Semihosting::sys_exit(uint32_t reason, uint32_t code) {
    exit_requested_ = true;
    exit_code_ = static_cast<int>(code);
    if (reason != kAdpStoppedApplicationExit)
        info("exit with reason ", hex(reason), " (not ADP_Stopped_ApplicationExit): exit code 1");
    return 0;
}

}  // namespace trainvp
