#include "common/log.h"

#include <cctype>
#include <cstdio>
#include <iomanip>
#include <mutex>
#include <systemc>
#include <unordered_map>
#include <vector>

namespace trainvp {

namespace {
void report_to_stderr(const sc_core::sc_report& report, const sc_core::sc_actions& actions);

// Without install_report_handler() SystemC's default handler would print every model message as three lines
// ending in "In file: :0"; ours takes its place whenever it is in effect (a handler set by the integrator is
// left alone). Checked per message, not per instruction: one load and compare.
void replace_default_handler() {
    if (sc_core::sc_report_handler::get_handler() == &sc_core::sc_report_handler::default_handler)
        sc_core::sc_report_handler::set_handler(report_to_stderr);
}

static_assert(kWarningsShownInFull < 10, "the first summary line is at the 10th repeat");

// Counts per (module, kind), in order of first appearance so the closing summary is deterministic.
class WarningLimiter {
  public:
    // The text to report for this occurrence, or false to count it silently.
    bool admit(const std::string& module, const std::string& message, std::string& text) {
        std::lock_guard<std::mutex> lock(mutex_);
        Kind& k = kind_of(module, message);
        ++k.count;
        k.last_message = message;
        if (k.count < kWarningsShownInFull) {
            text = message;
        } else if (k.count == kWarningsShownInFull) {
            text =
                message + " (this warning repeats: further ones are counted, and reported at 10, 100, ...)";
        } else if (k.count == k.next_report) {
            text = message + " (this warning repeated " + std::to_string(k.count) + " times so far)";
            k.next_report *= 10;
        } else {
            return false;
        }
        k.reported = k.count;
        return true;
    }

    // (module, text) of the closing line of each kind with unreported repeats.
    std::vector<std::pair<std::string, std::string>> unreported() {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<std::pair<std::string, std::string>> lines;
        for (Kind& k : kinds_) {
            if (k.count == k.reported) continue;
            lines.emplace_back(k.module, k.last_message + " (this warning repeated " +
                                             std::to_string(k.count) + " times in all)");
            k.reported = k.count;
        }
        return lines;
    }

  private:
    struct Kind {
        std::string module;
        uint64_t count = 0;
        uint64_t reported = 0;  // count when a line was last printed
        uint64_t next_report = 10;
        std::string last_message;
    };

    Kind& kind_of(const std::string& module, const std::string& message) {
        std::string key = module;
        key += '\x1f';
        key += detail::warning_kind(message);
        auto it = index_.find(key);
        if (it == index_.end()) {
            unsigned& module_kinds = kinds_per_module_[module];
            if (module_kinds >= kMaxWarningKindsPerModule) {
                key = module + "\x1f*";  // the module's shared overflow kind
                it = index_.find(key);
            }
            if (it == index_.end()) {
                ++module_kinds;
                it = index_.emplace(key, kinds_.size()).first;
                kinds_.push_back(Kind{module, 0, 0, 10, {}});
            }
        }
        return kinds_[it->second];
    }

    std::mutex mutex_;
    std::vector<Kind> kinds_;
    std::unordered_map<std::string, size_t> index_;
    std::unordered_map<std::string, unsigned> kinds_per_module_;
};

WarningLimiter& warning_limiter() {
    static WarningLimiter limiter;
    return limiter;
}

void report_warning(const std::string& module, const std::string& text) {
    sc_core::sc_report_handler::report(sc_core::SC_WARNING, module.c_str(), text.c_str(), "", 0);
}
}  // namespace

namespace detail {
LogLevel g_log_level = LogLevel::warning;

void emit(LogLevel level, const std::string& module, const std::string& message) {
    using sc_core::sc_report_handler;
    replace_default_handler();
    switch (level) {
        case LogLevel::error:
            sc_report_handler::report(sc_core::SC_ERROR, module.c_str(), message.c_str(), "", 0);
            break;
        case LogLevel::warning: {
            std::string text;
            if (warning_limiter().admit(module, message, text)) report_warning(module, text);
            break;
        }
        default:
            sc_report_handler::report(sc_core::SC_INFO, module.c_str(), message.c_str(), sc_core::SC_LOW, "",
                                      0);
            break;
    }
}

std::string warning_kind(const std::string& message) {
    std::string kind;
    kind.reserve(message.size());
    auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
    auto hex_digit = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    for (size_t i = 0; i < message.size();) {
        if (message[i] == '0' && i + 2 < message.size() && (message[i + 1] == 'x' || message[i + 1] == 'X') &&
            hex_digit(message[i + 2])) {
            i += 2;
            while (i < message.size() && hex_digit(message[i])) ++i;
            kind += '#';
        } else if (digit(message[i])) {
            while (i < message.size() && digit(message[i])) ++i;
            kind += '#';
        } else {
            kind += message[i++];
        }
    }
    return kind;
}
}  // namespace detail

void report_repeated_warnings() {
    for (const auto& [module, text] : warning_limiter().unreported()) report_warning(module, text);
}

void set_log_level(LogLevel level) {
    detail::g_log_level = level;
}
LogLevel log_level() {
    return detail::g_log_level;
}

const char* log_level_name(LogLevel level) {
    switch (level) {
        case LogLevel::error:
            return "error";
        case LogLevel::warning:
            return "warning";
        case LogLevel::info:
            return "info";
        case LogLevel::debug:
            return "debug";
        case LogLevel::trace:
            return "trace";
    }
    return "?";
}

bool parse_log_level(const std::string& text, LogLevel& out) {
    for (LogLevel l :
         {LogLevel::error, LogLevel::warning, LogLevel::info, LogLevel::debug, LogLevel::trace}) {
        if (text == log_level_name(l)) {
            out = l;
            return true;
        }
    }
    return false;
}

namespace {
void report_to_stderr(const sc_core::sc_report& report, const sc_core::sc_actions& actions) {
    // SystemC's own info chatter (e.g. "simulation stopped by user") follows our level too.
    const bool shown = report.get_severity() != sc_core::SC_INFO || detail::g_log_level >= LogLevel::info;
    if ((actions & sc_core::SC_DISPLAY) && shown) {
        const char* severity = "info";
        switch (report.get_severity()) {
            case sc_core::SC_WARNING:
                severity = "warning";
                break;
            case sc_core::SC_ERROR:
                severity = "error";
                break;
            case sc_core::SC_FATAL:
                severity = "fatal";
                break;
            default:
                break;
        }
        std::fprintf(stderr, "[%s] %s: %s: %s\n", sc_core::sc_time_stamp().to_string().c_str(), severity,
                     report.get_msg_type(), report.get_msg());
    }
    // Everything but display (throw, stop, abort, cache) keeps the default SystemC behaviour.
    sc_core::sc_report_handler::default_handler(report, actions & ~sc_core::SC_DISPLAY & ~sc_core::SC_LOG);
}
}  // namespace

void install_report_handler() {
    sc_core::sc_report_handler::set_handler(report_to_stderr);
    // Info messages are filtered by our own level; let every one that was emitted through.
    sc_core::sc_report_handler::set_verbosity_level(sc_core::SC_DEBUG);
    // SystemC's own deprecation chatter about 2.x APIs is not for users.
    sc_core::sc_report_handler::set_actions("/IEEE_Std_1666/deprecated", sc_core::SC_DO_NOTHING);
}

std::string hex32(unsigned long long value) {
    std::ostringstream os;
    os << "0x" << std::hex << std::setw(8) << std::setfill('0') << value;
    return os.str();
}

}  // namespace trainvp
