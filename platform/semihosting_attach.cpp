// Attaches the semihosting host (models/cpu/semihosting.h) to the platform's CPU: guest memory through
// the runner's debug access, simulated time from the core's clock, the console on the process's
// stdout/stderr (the stream the UART writes to), diagnostics through the platform logger.
#include <cmath>
#include <memory>
#include <systemc>

#include "common/log.h"
#include "cpu/semihosting.h"
#include "host_services.h"
#include "platform.h"

namespace trainvp {
namespace {

class RunnerMemory : public SemihostMemory {
  public:
    explicit RunnerMemory(CpuRunner& cpu) : cpu_(cpu) {}
    size_t read(uint32_t addr, void* dst, size_t length) override {
        return cpu_.debug_read(addr, dst, length);
    }
    size_t write(uint32_t addr, const void* src, size_t length) override {
        return cpu_.debug_write(addr, src, length);
    }

  private:
    CpuRunner& cpu_;
};

class SemihostingService : public HostService {
  public:
    SemihostingService(Platform& soc, const HostServiceOptions& opts, GuestExit& exit)
        : soc_(soc),
          memory_(soc.cpu),
          log_(std::string(soc.name()) + ".semihosting"),
          host_(memory_, SemihostConfig{opts.semihost_dir, opts.semihost_cmdline}, make_env()) {
        soc_.cpu.core().set_ebreak_hook([this, &exit](Rv32Core& core) {
            const bool handled = host_.handle_ebreak(core);
            if (host_.exit_requested() && !exit.requested) {
                exit.requested = true;
                exit.code = host_.exit_code();
                exit.via = "semihosting";
            }
            return handled;
        });
    }
    ~SemihostingService() override { soc_.cpu.core().set_ebreak_hook(nullptr); }

  private:
    SemihostEnv make_env() {
        SemihostEnv env;
        // Integer nanoseconds of the core's local time (SystemC time plus its decoupling offset), so
        // the clock calls are identical from run to run.
        const double resolution_s = sc_core::sc_get_time_resolution().to_seconds();
        const uint64_t units_per_ns = resolution_s <= 1e-9 ? std::llround(1e-9 / resolution_s) : 0;
        const uint64_t ns_per_unit = resolution_s > 1e-9 ? std::llround(resolution_s / 1e-9) : 0;
        env.sim_time_ns = [this, units_per_ns, ns_per_unit] {
            const uint64_t v = soc_.cpu.current_time().value();
            return units_per_ns ? v / units_per_ns : v * ns_per_unit;
        };
        env.log = [this](LogLevel level, const std::string& message) { log_.log(level, message); };
        return env;
    }

    Platform& soc_;
    RunnerMemory memory_;
    Logger log_;
    Semihosting host_;
};

}  // namespace

std::unique_ptr<HostService> attach_semihosting(Platform& soc, const HostServiceOptions& opts,
                                                GuestExit& exit) {
    return std::make_unique<SemihostingService>(soc, opts, exit);
}

}  // namespace trainvp
