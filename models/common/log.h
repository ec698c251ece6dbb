// Leveled per-module logging on top of sc_report_handler. Models never print directly.
#pragma once

#include <sstream>
#include <string>
#include <utility>

namespace trainvp {

enum class LogLevel { error = 0, warning = 1, info = 2, debug = 3, trace = 4 };

// Process-wide threshold; messages above it cost one comparison.
void set_log_level(LogLevel level);
LogLevel log_level();
bool parse_log_level(const std::string& text, LogLevel& out);
const char* log_level_name(LogLevel level);

// Routes SystemC reports to stderr as one line each: "[<sim time>] <severity>: <module>: <message>".
// SC_ERROR reports still throw (that is how SystemC stops on model bugs); the platform catches them.
// Without this call, a model message finding SystemC's default handler in effect installs the same handler
// first (a handler set by the integrator is left alone). Calling it installs the handler over any other one,
// at once (so SystemC's own messages before the first model message are one line too), shows SystemC's
// own info messages at any verbosity (they follow our level) and silences SystemC's deprecation notes.
void install_report_handler();

// Warnings are rate-limited per (module, kind), where the kind is the message with its numbers masked
// ("load of 4 bytes at 0x80000000" and "load of 2 bytes at 0x10000000" are one kind). The first
// kWarningsShownInFull of a kind print as they come; after that a line "... (this warning repeated N times so
// far)" prints when N reaches 10, 100, 1000, ... (counts, not wall-clock time: the output is deterministic),
// so n repeats print about 3 + log10(n) lines. A module's first kMaxWarningKindsPerModule kinds are counted
// apart; the rest share one count, so warnings quoting guest-chosen text cannot flood either.
// Info, debug and trace messages are never limited: they are asked for with --log-level.
constexpr unsigned kWarningsShownInFull = 3;
constexpr unsigned kMaxWarningKindsPerModule = 32;
// Prints "... (this warning repeated N times in all)" for every kind whose last repeats were not yet
// reported; call at the end of a simulation.
void report_repeated_warnings();

namespace detail {
extern LogLevel g_log_level;
void emit(LogLevel level, const std::string& module, const std::string& message);
// The rate-limiting key of a warning: digits and 0x-prefixed hex numbers become '#'.
std::string warning_kind(const std::string& message);
}  // namespace detail

class Logger {
  public:
    explicit Logger(std::string module) : module_(std::move(module)) {}

    bool enabled(LogLevel level) const { return level <= detail::g_log_level; }

    template <typename... Args>
    void log(LogLevel level, Args&&... args) const {
        if (!enabled(level)) return;
        std::ostringstream os;
        (os << ... << std::forward<Args>(args));
        detail::emit(level, module_, os.str());
    }
    template <typename... Args>
    void warning(Args&&... args) const {
        log(LogLevel::warning, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void info(Args&&... args) const {
        log(LogLevel::info, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void debug(Args&&... args) const {
        log(LogLevel::debug, std::forward<Args>(args)...);
    }

    const std::string& module() const { return module_; }

  private:
    std::string module_;
};

// Formats an address as 0x%08x for messages.
std::string hex32(unsigned long long value);

}  // namespace trainvp
