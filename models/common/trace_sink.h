// Where models send timeline events when a run records a trace (--trace, --html): slices on a named track,
// instants and counters, in picoseconds of simulated time. SystemC-free. A model holds a TraceSink pointer
// that is null unless recording is on, so recording costs one test of a pointer when it is off.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace trainvp {

class TraceSink {
  public:
    virtual ~TraceSink() = default;
    // Whether an event spanning [start_ps, end_ps] would be kept (the time window); callers test it before
    // they build an event's name and arguments.
    virtual bool wants(uint64_t start_ps, uint64_t end_ps) const = 0;
    // A span of activity on `track` (a module), [start_ps, end_ps).
    virtual void slice(const char* track, const std::string& name, uint64_t start_ps, uint64_t end_ps,
                       nlohmann::json args = nlohmann::json::object()) = 0;
    // A moment on `track`, e.g. an interrupt taken.
    virtual void instant(const char* track, const std::string& name, uint64_t at_ps,
                         nlohmann::json args = nlohmann::json::object()) = 0;
    // The value of counter `name` (e.g. a buffer's occupancy) from `at_ps` on.
    virtual void counter(const char* name, uint64_t at_ps, double value) = 0;
};

}  // namespace trainvp
