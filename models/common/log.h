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

// Routes SystemC reports to stderr as one line each: "<sim time> <severity> <module>: <message>".
// SC_ERROR reports still throw (that is how SystemC stops on model bugs); the platform catches them.
void install_report_handler();

namespace detail {
extern LogLevel g_log_level;
void emit(LogLevel level, const std::string& module, const std::string& message);
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
    void warning(Args&&... args) const { log(LogLevel::warning, std::forward<Args>(args)...); }
    template <typename... Args>
    void info(Args&&... args) const { log(LogLevel::info, std::forward<Args>(args)...); }
    template <typename... Args>
    void debug(Args&&... args) const { log(LogLevel::debug, std::forward<Args>(args)...); }

    const std::string& module() const { return module_; }

private:
    std::string module_;
};

// Formats an address as 0x%08x for messages.
std::string hex32(unsigned long long value);

}  // namespace trainvp
