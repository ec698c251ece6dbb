#include "run_report.h"

#include <string>

namespace trainvp {

namespace {
// "2.246285 s", "33.148 us": SystemC's own text is in the time resolution unit (ps).
std::string human_time(const sc_core::sc_time& t) {
    const double s = t.to_seconds();
    char buf[32];
    if (s == 0) std::snprintf(buf, sizeof buf, "0 s");
    else if (s >= 1) std::snprintf(buf, sizeof buf, "%.6f s", s);
    else if (s >= 1e-3) std::snprintf(buf, sizeof buf, "%.6f ms", s * 1e3);
    else std::snprintf(buf, sizeof buf, "%.3f us", s * 1e6);
    return buf;
}
}  // namespace

void print_run_summary(std::FILE* out, const CoreStats& s, const RunSummary& run) {
    const double sim_s = run.simulated.to_seconds();
    std::fprintf(out, "trainvp: run summary\n");
    std::fprintf(out, "  simulated time     %s\n", human_time(run.simulated).c_str());
    std::fprintf(out, "  instructions       %llu\n", static_cast<unsigned long long>(s.instret));
    std::fprintf(
        out, "  cycles             %llu (CPI %.2f at %.0f MHz)\n", static_cast<unsigned long long>(s.cycles),
        s.instret ? static_cast<double>(s.cycles - s.cycles_asleep) / static_cast<double>(s.instret) : 0.0,
        run.clock_hz / 1e6);
    std::string traps;
    for (unsigned c = 0; c < s.exceptions_by_cause.size(); ++c)
        if (s.exceptions_by_cause[c])
            traps += (traps.empty() ? "" : ", ") + std::string(exception_name(c)) + " " +
                     std::to_string(s.exceptions_by_cause[c]);
    std::fprintf(out, "  traps              %s\n", traps.empty() ? "none" : traps.c_str());
    std::string irqs;
    for (unsigned c = 0; c < s.interrupts_by_cause.size(); ++c)
        if (s.interrupts_by_cause[c])
            irqs += (irqs.empty() ? "" : ", ") + std::string(interrupt_name(c)) + " " +
                    std::to_string(s.interrupts_by_cause[c]);
    std::fprintf(out, "  interrupts taken   %llu%s%s%s\n",
                 static_cast<unsigned long long>(s.interrupts_taken), irqs.empty() ? "" : " (", irqs.c_str(),
                 irqs.empty() ? "" : ")");
    std::fprintf(out, "  asleep in WFI      %s in %llu sleeps (%.1f%% of simulated time)\n",
                 human_time(run.asleep).c_str(), static_cast<unsigned long long>(s.wfi_sleeps),
                 sim_s > 0 ? 100.0 * run.asleep.to_seconds() / sim_s : 0.0);
    std::fprintf(out, "  wall time          %.3f s (%.1f MIPS)\n", run.wall_s,
                 run.wall_s > 0 ? static_cast<double>(s.instret) / run.wall_s / 1e6 : 0.0);
}

nlohmann::json cpu_stats_json(const CoreStats& s, const RunSummary& run) {
    nlohmann::json traps = nlohmann::json::object(), irqs = nlohmann::json::object();
    for (unsigned c = 0; c < s.exceptions_by_cause.size(); ++c)
        if (s.exceptions_by_cause[c]) traps[exception_name(c)] = s.exceptions_by_cause[c];
    for (unsigned c = 0; c < s.interrupts_by_cause.size(); ++c)
        if (s.interrupts_by_cause[c]) irqs[interrupt_name(c)] = s.interrupts_by_cause[c];
    nlohmann::json classes = nlohmann::json::object();
    for (unsigned c = 0; c < s.insns_by_class.size(); ++c) classes[insn_class_name(c)] = s.insns_by_class[c];
    return {{"clock_hz", run.clock_hz},
            {"instructions", s.instret},
            {"cycles", s.cycles},
            {"cycles_asleep", s.cycles_asleep},
            {"wfi_sleeps", s.wfi_sleeps},
            {"asleep_s", run.asleep.to_seconds()},
            {"interrupts_taken", s.interrupts_taken},
            {"traps_by_cause", traps},
            {"interrupts_by_cause", irqs},
            {"instructions_by_class", classes}};
}

}  // namespace trainvp
