#include "common/log.h"

#include <cstdio>
#include <iomanip>
#include <systemc>

namespace trainvp {

namespace detail {
LogLevel g_log_level = LogLevel::warning;

void emit(LogLevel level, const std::string& module, const std::string& message) {
    using sc_core::sc_report_handler;
    switch (level) {
        case LogLevel::error:
            sc_report_handler::report(sc_core::SC_ERROR, module.c_str(), message.c_str(), "", 0);
            break;
        case LogLevel::warning:
            sc_report_handler::report(sc_core::SC_WARNING, module.c_str(), message.c_str(), "", 0);
            break;
        default:
            sc_report_handler::report(sc_core::SC_INFO, module.c_str(), message.c_str(), sc_core::SC_LOW, "",
                                      0);
            break;
    }
}
}  // namespace detail

void set_log_level(LogLevel level) { detail::g_log_level = level; }
LogLevel log_level() { return detail::g_log_level; }

const char* log_level_name(LogLevel level) {
    switch (level) {
        case LogLevel::error: return "error";
        case LogLevel::warning: return "warning";
        case LogLevel::info: return "info";
        case LogLevel::debug: return "debug";
        case LogLevel::trace: return "trace";
    }
    return "?";
}

bool parse_log_level(const std::string& text, LogLevel& out) {
    for (LogLevel l : {LogLevel::error, LogLevel::warning, LogLevel::info, LogLevel::debug, LogLevel::trace}) {
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
            case sc_core::SC_WARNING: severity = "warning"; break;
            case sc_core::SC_ERROR: severity = "error"; break;
            case sc_core::SC_FATAL: severity = "fatal"; break;
            default: break;
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
