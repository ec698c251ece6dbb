// Ctrl-C (SIGINT) and SIGTERM during `trainvp run`. The first signal asks the simulation to stop cleanly, so
// the run can still print where it stopped and write its report and weights; a second one ends the process
// at once with the signal's default action.
//
// The handler only sets flags. Two of them: `requested` at once, which a training run checks at its next
// step boundary (the firmware's SimCtrl PROGRESS write, where the accelerator is idle and the weights in
// DRAM are consistent), and `stop_now`, which the CPU runner polls once per quantum. Without a step
// boundary to wait for, both are set together; with one, `stop_now` follows after a grace period (SIGALRM),
// so a firmware that never reaches its next step still stops.
#pragma once

#include <csignal>

namespace trainvp {

class RunInterrupt {
  public:
    // Installs the handlers for SIGINT and SIGTERM (and SIGALRM for the grace period); the destructor puts
    // the previous ones back. A signal ignored at this point (SIGINT in a script's background job) stays
    // ignored. `grace_s` 0: stop at the next quantum. One instance at a time.
    explicit RunInterrupt(unsigned grace_s);
    ~RunInterrupt();
    RunInterrupt(const RunInterrupt&) = delete;
    RunInterrupt& operator=(const RunInterrupt&) = delete;

    // Set by the first signal: stop at the next step boundary.
    static const volatile std::sig_atomic_t* requested_flag();
    // Set by the first signal (or when the grace period ends): stop at the next CPU quantum.
    static const volatile std::sig_atomic_t* stop_now_flag();

    static bool requested();
    static int signal_number();        // the first signal, or 0
    static const char* signal_name();  // "SIGINT", "SIGTERM", or "" before any
    static int exit_status();          // 128 + the signal number (130, 143), as a shell reports it
};

}  // namespace trainvp
