#include "run_interrupt.h"

#include <unistd.h>

#include <stdexcept>

namespace trainvp {
namespace {

volatile std::sig_atomic_t g_signal = 0;    // the first SIGINT/SIGTERM
volatile std::sig_atomic_t g_stop_now = 0;  // the CPU runner stops at its next quantum
unsigned g_grace_s = 0;
bool g_stderr_tty = false;
bool g_installed = false;
struct sigaction g_old_int, g_old_term, g_old_alrm;

extern "C" void on_stop_signal(int sig) {
    if (g_signal != 0) {
        // The second signal: end now. The progress bar may be on screen; clear its line first (write() is
        // async-signal-safe, stdio is not).
        if (g_stderr_tty) {
            static const char kClear[] = "\r\033[K";
            [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, kClear, sizeof kClear - 1);
        }
        std::signal(sig, SIG_DFL);
        std::raise(sig);  // blocked while this handler runs; delivered, with the default action, on return
        return;
    }
    g_signal = sig;
    if (g_grace_s == 0)
        g_stop_now = 1;
    else
        ::alarm(g_grace_s);
}

extern "C" void on_grace_over(int) {
    g_stop_now = 1;
}

void install(int sig, void (*handler)(int), struct sigaction* old) {
    // A signal ignored when we started stays ignored: a shell script's background jobs ignore SIGINT so
    // that a Ctrl-C meant for the foreground does not reach them, and nohup-style launchers rely on it.
    ::sigaction(sig, nullptr, old);
    if (sig != SIGALRM && old->sa_handler == SIG_IGN) return;
    struct sigaction sa {};
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    // Restart interrupted system calls: the GDB stub and file writes carry on as if nothing happened.
    sa.sa_flags = SA_RESTART;
    ::sigaction(sig, &sa, old);
}

}  // namespace

RunInterrupt::RunInterrupt(unsigned grace_s) {
    if (g_installed) throw std::logic_error("RunInterrupt: already installed");
    g_signal = 0;
    g_stop_now = 0;
    g_grace_s = grace_s;
    g_stderr_tty = ::isatty(STDERR_FILENO) == 1;
    install(SIGALRM, on_grace_over, &g_old_alrm);
    install(SIGINT, on_stop_signal, &g_old_int);
    install(SIGTERM, on_stop_signal, &g_old_term);
    g_installed = true;
}

RunInterrupt::~RunInterrupt() {
    ::sigaction(SIGINT, &g_old_int, nullptr);
    ::sigaction(SIGTERM, &g_old_term, nullptr);
    ::alarm(0);
    ::sigaction(SIGALRM, &g_old_alrm, nullptr);
    g_installed = false;
}

const volatile std::sig_atomic_t* RunInterrupt::requested_flag() {
    return &g_signal;
}

const volatile std::sig_atomic_t* RunInterrupt::stop_now_flag() {
    return &g_stop_now;
}

bool RunInterrupt::requested() {
    return g_signal != 0;
}

int RunInterrupt::signal_number() {
    return g_signal;
}

const char* RunInterrupt::signal_name() {
    switch (g_signal) {
        case SIGINT:
            return "SIGINT";
        case SIGTERM:
            return "SIGTERM";
        default:
            return "";
    }
}

int RunInterrupt::exit_status() {
    return 128 + g_signal;
}

}  // namespace trainvp
