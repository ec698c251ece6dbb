// Host-side services attached to a platform run: semihosting, the tohost convention and the GDB stub.
// Each lives in its own source file; run_command.cpp attaches them after the platform is built.
#pragma once

#include <memory>
#include <string>

#include "mem/elf_loader.h"

namespace trainvp {

class Platform;

// How the firmware ended the run, when it did so through a host service rather than the
// simulation-control device.
struct GuestExit {
    bool requested = false;
    int code = 0;
    std::string via;  // "semihosting", "tohost"
};

struct HostServiceOptions {
    std::string semihost_dir;      // directory semihosting file calls may use ("" = no file access)
    std::string semihost_cmdline;  // returned by SYS_GET_CMDLINE
    int gdb_port = 0;              // 0 = no GDB stub
};

// An attached service; destroyed after the simulation ends.
class HostService {
  public:
    virtual ~HostService() = default;
};

// Semihosting (RISC-V semihosting spec: slli x0,x0,0x1f; ebreak; srai x0,x0,7). Always attached: without
// --semihost-dir only the console, clock and exit calls work. platform/semihosting_attach.cpp.
std::unique_ptr<HostService> attach_semihosting(Platform& soc, const HostServiceOptions& opts,
                                                GuestExit& exit);

// The tohost/fromhost convention of the RISC-V ISA test suites, when the ELF has a `tohost` symbol;
// nullptr otherwise. platform/tohost_attach.cpp.
std::unique_ptr<HostService> attach_tohost(Platform& soc, const ElfImage& image, GuestExit& exit);

// The GDB remote serial protocol stub on 127.0.0.1:opts.gdb_port; nullptr when gdb_port is 0.
// platform/gdb_attach.cpp.
std::unique_ptr<HostService> attach_gdb(Platform& soc, const ElfImage& image, const HostServiceOptions& opts,
                                        GuestExit& exit);

}  // namespace trainvp
