// The models' logger: one-line output without install_report_handler(), an integrator's handler left alone,
// and the deterministic rate limit on repeated warnings. Each case logs under its own module name, so the
// cases also pass when run in one process.
#include <catch2/catch.hpp>

#include <string>
#include <systemc>
#include <vector>

#include "common/log.h"
#include "stderr_capture.h"

using trainvp::hex32;
using trainvp::Logger;
using trainvp::LogLevel;
using trainvp::test::StderrCapture;

namespace {
bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::vector<sc_core::sc_report> g_reports;
void record_report(const sc_core::sc_report& report, const sc_core::sc_actions&) {
    g_reports.push_back(report);
}
}  // namespace

TEST_CASE("warning kinds mask numbers and nothing else", "[log]") {
    using trainvp::detail::warning_kind;
    CHECK(warning_kind("load of 4 bytes at 0x8000abcd failed") == "load of # bytes at # failed");
    CHECK(warning_kind("load of 2 bytes at 0x10000000 failed") == "load of # bytes at # failed");
    CHECK(warning_kind("format fp16, code 12") == "format fp#, code #");
    CHECK(warning_kind("0x") == "#x");
    CHECK(warning_kind("0xg and 0X1F") == "#xg and #");  // "0" before a non-hex-digit is a decimal number
    CHECK(warning_kind("SYS_OPEN 'bad.txt' refused") == "SYS_OPEN 'bad.txt' refused");
    CHECK(warning_kind("") == "");
}

TEST_CASE("a model warning prints as one line without install_report_handler", "[log]") {
    REQUIRE(sc_core::sc_report_handler::get_handler() == &sc_core::sc_report_handler::default_handler);
    const Logger log("top.plain");
    StderrCapture capture;
    log.warning("access of ", 4, " bytes at ", hex32(0x40), " is outside the memory");
    const std::vector<std::string> lines = capture.lines();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "[0 s] warning: top.plain: access of 4 bytes at 0x00000040 is outside the memory");
    CHECK(sc_core::sc_report_handler::get_handler() != &sc_core::sc_report_handler::default_handler);
}

TEST_CASE("a report handler set by the integrator is left in place", "[log]") {
    sc_core::sc_report_handler::set_handler(record_report);
    g_reports.clear();
    const Logger log("top.custom");
    StderrCapture capture;
    log.warning("store at ", hex32(0x10), " rejected");
    CHECK(capture.text().empty());
    CHECK(sc_core::sc_report_handler::get_handler() == &record_report);
    REQUIRE(g_reports.size() == 1);
    CHECK(g_reports[0].get_severity() == sc_core::SC_WARNING);
    CHECK(std::string(g_reports[0].get_msg_type()) == "top.custom");
    CHECK(std::string(g_reports[0].get_msg()) == "store at 0x00000010 rejected");
    sc_core::sc_report_handler::set_handler(nullptr);
}

TEST_CASE("repeated warnings print the first few, then one line per power of ten", "[log]") {
    const Logger log("top.flood");
    const unsigned n = 1234;
    StderrCapture capture;
    for (unsigned i = 0; i < n; ++i) log.warning("load at ", hex32(4 * i), " failed");
    trainvp::report_repeated_warnings();
    const std::vector<std::string> lines = capture.lines();
    // Three in full, then at 10, 100 and 1000, and the closing count: 3 + log10(n) lines for n repeats.
    REQUIRE(lines.size() == 7);
    const std::string prefix = "[0 s] warning: top.flood: load at ";
    CHECK(lines[0] == prefix + "0x00000000 failed");
    CHECK(lines[1] == prefix + "0x00000004 failed");
    CHECK(lines[2].rfind(prefix + "0x00000008 failed (this warning repeats", 0) == 0);
    CHECK(lines[3] == prefix + hex32(4 * 9) + " failed (this warning repeated 10 times so far)");
    CHECK(lines[4] == prefix + hex32(4 * 99) + " failed (this warning repeated 100 times so far)");
    CHECK(lines[5] == prefix + hex32(4 * 999) + " failed (this warning repeated 1000 times so far)");
    CHECK(lines[6] == prefix + hex32(4 * (n - 1)) + " failed (this warning repeated 1234 times in all)");

    // Nothing new since: no further closing line.
    StderrCapture again;
    trainvp::report_repeated_warnings();
    const std::string rest = again.text();
    CHECK(rest.find("top.flood") == std::string::npos);
}

TEST_CASE("warnings are counted per module and per kind", "[log]") {
    const Logger a("top.kinds_a"), b("top.kinds_b");
    StderrCapture capture;
    for (unsigned i = 0; i < 5; ++i) {
        a.warning("load at ", hex32(i), " failed");
        a.warning("store at ", hex32(i), " failed");
        b.warning("load at ", hex32(i), " failed");
    }
    trainvp::report_repeated_warnings();
    const std::vector<std::string> lines = capture.lines();
    unsigned shown_a_load = 0, shown_a_store = 0, shown_b_load = 0, closing = 0;
    for (const std::string& l : lines) {
        if (ends_with(l, "(this warning repeated 5 times in all)")) {
            ++closing;
            continue;
        }
        if (l.find("top.kinds_a: load") != std::string::npos) ++shown_a_load;
        if (l.find("top.kinds_a: store") != std::string::npos) ++shown_a_store;
        if (l.find("top.kinds_b: load") != std::string::npos) ++shown_b_load;
    }
    CHECK(shown_a_load == trainvp::kWarningsShownInFull);
    CHECK(shown_a_store == trainvp::kWarningsShownInFull);
    CHECK(shown_b_load == trainvp::kWarningsShownInFull);
    CHECK(closing == 3);
    CHECK(lines.size() == 3 * trainvp::kWarningsShownInFull + 3);
}

TEST_CASE("warnings quoting ever-new text cannot flood the log", "[log]") {
    // Letters are not masked, so every message is a kind of its own, as with guest-chosen file names.
    const Logger log("top.names");
    auto name = [](unsigned i) {
        std::string s;
        do {
            s += static_cast<char>('a' + i % 26);
            i /= 26;
        } while (i);
        return s;
    };
    StderrCapture capture;
    for (unsigned i = 0; i < 5000; ++i) log.warning("SYS_OPEN '", name(i), "' refused");
    trainvp::report_repeated_warnings();
    const std::vector<std::string> lines = capture.lines();
    // One line per tracked kind, then the shared kind: 3 in full, 10, 100, 1000 and the closing count.
    CHECK(lines.size() == trainvp::kMaxWarningKindsPerModule + 3 + 3 + 1);
    REQUIRE(!lines.empty());
    CHECK(ends_with(lines.back(), "(this warning repeated " +
                                      std::to_string(5000 - trainvp::kMaxWarningKindsPerModule) +
                                      " times in all)"));
}

TEST_CASE("info and debug messages are not rate-limited, errors still throw", "[log]") {
    const LogLevel level = trainvp::log_level();
    trainvp::set_log_level(LogLevel::debug);
    const Logger log("top.verbose");
    StderrCapture capture;
    for (unsigned i = 0; i < 50; ++i) log.info("step ", i);
    for (unsigned i = 0; i < 50; ++i) log.debug("detail ", i);
    const std::vector<std::string> lines = capture.lines();
    trainvp::set_log_level(level);
    REQUIRE(lines.size() == 100);
    CHECK(lines[49] == "[0 s] info: top.verbose: step 49");
    CHECK(lines[99] == "[0 s] info: top.verbose: detail 49");
    for (int i = 0; i < 5; ++i) CHECK_THROWS_AS(log.log(LogLevel::error, "broken ", i), sc_core::sc_report);
}
