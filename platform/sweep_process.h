// Child processes of `trainvp sweep`, without a shell: the points (this same trainvp, /proc/self/exe) and the
// Slurm commands. The sweep blocks SIGINT, SIGTERM and SIGCHLD and takes them with sigtimedwait, so waiting
// for children and for Ctrl-C is one loop with no signal handler.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace trainvp {

struct SpawnOptions {
    std::vector<std::string> argv;  // argv[0] is the program (a path, or a name looked up on PATH)
    std::string cwd;                // "" = the sweep's
    std::string output;             // file for stdout and stderr (truncated); "" = /dev/null
};

// Starts a child in its own process group (a terminal's Ctrl-C reaches the sweep, which decides), with
// SIGTERM as its parent-death signal (a killed sweep leaves no orphan running), stdin from /dev/null, the
// signal mask and SIGINT/SIGTERM dispositions of a fresh process. Throws std::runtime_error when fork
// fails; a failed exec makes the child exit 127 with the reason in `output`.
pid_t spawn_process(const SpawnOptions& opts);

// Runs a command to completion in `cwd` ("" = this process's), capturing stdout and stderr. Returns the wait
// status (see exit_code_of). Throws std::runtime_error when it cannot be started.
int run_and_capture(const std::vector<std::string>& argv, std::string& out, std::string& err,
                    const std::string& cwd = "");

// The shell's view of a wait status: the exit code, or 128 + the signal number.
int exit_code_of(int wait_status);
// "SIGKILL" for a status of a child killed by a signal, else "".
std::string signal_of(int wait_status);

// The path of this executable (/proc/self/exe), for spawning points.
std::string self_executable();

// Blocks SIGINT, SIGTERM and SIGCHLD in this process for its lifetime (restored by the destructor) and
// waits for them: `wait(ms)` returns the signal taken (SIGINT, SIGTERM, SIGCHLD) or 0 after `ms`.
class SweepSignals {
  public:
    SweepSignals();
    ~SweepSignals();
    SweepSignals(const SweepSignals&) = delete;
    SweepSignals& operator=(const SweepSignals&) = delete;
    int wait(int ms);

  private:
    sigset_t old_;
};

// A word quoted for a POSIX shell (for the `cmd` file and the batch script).
std::string shell_quote(const std::string& word);

}  // namespace trainvp
