// Timelines of a run (docs/user-guide.md "Timelines and the HTML report"): the TraceSink the models write to
// when `trainvp run` has --trace (a Chrome/Perfetto trace-event JSON file) or --html (the first training
// step, for the page's timeline). Events outside the --trace-window are dropped as they arrive, so a long run
// with a short window stays small.
#pragma once

#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/trace_sink.h"

namespace trainvp {

// [start_ps, end_ps] of simulated time; the default is the whole run.
struct TraceWindow {
    uint64_t start_ps = 0;
    uint64_t end_ps = std::numeric_limits<uint64_t>::max();
    bool overlaps(uint64_t start, uint64_t end) const { return end >= start_ps && start <= end_ps; }
};

// "START:END" with durations as sim.max_time takes them ("2ms:3ms", ":500us", "1s:"). Throws UserError
// naming `what` for anything else or an END before START.
TraceWindow parse_trace_window(const std::string& text, const std::string& what);

// One event as the step timeline keeps it.
struct TimelineEvent {
    enum class Kind { slice, instant, counter } kind = Kind::slice;
    std::string track, name;
    uint64_t start_ps = 0, end_ps = 0;
    double value = 0;   // counters
    std::string phase;  // controller slices: the descriptor's training phase
};

class TraceRecorder : public TraceSink {
  public:
    TraceRecorder() = default;
    ~TraceRecorder() override;
    TraceRecorder(const TraceRecorder&) = delete;
    TraceRecorder& operator=(const TraceRecorder&) = delete;

    // --trace: stream the events in `window` to PATH.partial; finish_file() completes it and renames it to
    // PATH. Throws UserError if PATH.partial cannot be created.
    void write_file(const std::string& path, const TraceWindow& window);
    // --html: keep the events of the first training step: from the first descriptor to the end of the
    // update descriptors that follow the first backward pass (the whole run, at most kStepEventLimit
    // events, if there is no update).
    void capture_first_step();

    bool wants(uint64_t start_ps, uint64_t end_ps) const override;
    void slice(const char* track, const std::string& name, uint64_t start_ps, uint64_t end_ps,
               nlohmann::json args) override;
    void instant(const char* track, const std::string& name, uint64_t at_ps, nlohmann::json args) override;
    void counter(const char* name, uint64_t at_ps, double value) override;

    // Closes the JSON text and renames PATH.partial to PATH; throws UserError if a write failed.
    void finish_file();
    // The first step's events in the order they arrived, those outside the step dropped.
    std::vector<TimelineEvent> first_step() const;
    static constexpr size_t kStepEventLimit = 200000;

  private:
    void write_event(const char* phase, const char* track, const std::string& name, uint64_t at_ps,
                     const uint64_t* dur_ps, const nlohmann::json& args);
    int track_id(const std::string& track);
    void keep(TimelineEvent e);

    // --trace
    std::FILE* file_ = nullptr;
    std::string path_, tmp_path_;
    TraceWindow window_;
    bool write_failed_ = false, first_event_ = true;
    std::map<std::string, int> tracks_;
    std::map<std::string, double> counter_before_window_;  // the value each counter has at the window's start

    // --html
    bool capturing_ = false;
    bool step_started_ = false, step_found_ = false, seen_update_ = false;
    uint64_t step_start_ = 0, step_end_ = 0;
    std::vector<TimelineEvent> step_;
};

}  // namespace trainvp
