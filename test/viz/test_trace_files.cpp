// The --trace-window parser and the VCD window filter, on hand-written inputs.
#include <catch2/catch.hpp>

#include "common/error.h"
#include "trace_recorder.h"
#include "trace_vcd.h"

using namespace trainvp;

TEST_CASE("the trace window option reads START:END with either end left out") {
    const TraceWindow w = parse_trace_window("2ms:3ms", "--trace-window");
    CHECK(w.start_ps == 2'000'000'000ull);
    CHECK(w.end_ps == 3'000'000'000ull);
    CHECK(parse_trace_window(":500us", "--trace-window").start_ps == 0);
    CHECK(parse_trace_window(":500us", "--trace-window").end_ps == 500'000'000ull);
    CHECK(parse_trace_window("1s:", "--trace-window").end_ps == TraceWindow{}.end_ps);
    CHECK(w.overlaps(1'000'000'000ull, 2'000'000'000ull));  // touches START
    CHECK_FALSE(w.overlaps(1'000'000'000ull, 1'999'999'999ull));
    CHECK_FALSE(w.overlaps(3'000'000'001ull, 4'000'000'000ull));
    CHECK_THROWS_WITH(parse_trace_window("3ms:1ms", "--trace-window"),
                      "--trace-window '3ms:1ms': END must come after START");
    CHECK_THROWS_WITH(parse_trace_window("3ms", "--trace-window"),
                      "--trace-window '3ms': expected START:END in simulated time, e.g. 2ms:3ms");
    CHECK_THROWS_AS(parse_trace_window("3:4ms", "--trace-window"), UserError);  // no unit
}

namespace {
// The shape SystemC 2.3.4 writes: $date, the header, initial values in $dumpvars, a $comment, changes.
const char* const kVcd =
    "\n$date\n     Dec 02, 2026       14:22:18\n$end\n\n$timescale\n     1 ps\n$end\n\n"
    "$scope module SystemC $end\n$var wire    1  aaaaa  irq       $end\n"
    "$var wire   32  aaaab  status [31:0]  $end\n$upscope $end\n$enddefinitions  $end\n\n"
    "$comment\nAll initial values are dumped below at time 0 sec = 0 timescale units.\n$end\n\n"
    "$dumpvars\n0aaaaa\nb0 aaaab\n$end\n\n"
    "#100\n1aaaaa\n#200\nb101 aaaab\n#300\n0aaaaa\n#400\n1aaaaa\nb0 aaaab\n";
}  // namespace

TEST_CASE("the VCD window: the header without $date, the values at START, the changes up to END") {
    TraceWindow w;
    w.start_ps = 250;
    w.end_ps = 350;
    const std::string out = vcd_window(kVcd, w);
    CHECK(out.find("$date") == std::string::npos);
    CHECK(out.find("$var wire   32  aaaab  status [31:0]  $end") != std::string::npos);
    const std::string body = out.substr(out.find("$enddefinitions"));
    // At 250 ps irq is 1 (since 100) and status 101 (since 200); at 300 irq falls; 400 is past END.
    CHECK(body == "$enddefinitions  $end\n#250\n$dumpvars\n1aaaaa\nb101 aaaab\n$end\n#300\n0aaaaa\n");
}

TEST_CASE("the VCD window at a time with changes folds them into the values at START") {
    TraceWindow w;
    w.start_ps = 200;
    const std::string out = vcd_window(kVcd, w);
    const std::string body = out.substr(out.find("$enddefinitions"));
    CHECK(body ==
          "$enddefinitions  $end\n#200\n$dumpvars\n1aaaaa\nb101 aaaab\n$end\n#300\n0aaaaa\n#400\n"
          "1aaaaa\nb0 aaaab\n");
}

TEST_CASE("the whole run: every change, the comment dropped") {
    const std::string out = vcd_window(kVcd, TraceWindow{});
    const std::string body = out.substr(out.find("$enddefinitions"));
    CHECK(body.find("All initial values") == std::string::npos);
    CHECK(body ==
          "$enddefinitions  $end\n#0\n$dumpvars\n0aaaaa\nb0 aaaab\n$end\n#100\n1aaaaa\n#200\nb101 aaaab\n"
          "#300\n0aaaaa\n#400\n1aaaaa\nb0 aaaab\n");
}
