#include "trace_recorder.h"

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "scenario_yaml.h"
#include "train_job_check.h"

namespace trainvp {
namespace {

uint64_t duration_ps(const std::string& text, const std::string& what) {
    const double s = parse_duration_s(text, what);
    return static_cast<uint64_t>(std::llround(s * 1e12));
}

// Trace-event timestamps are microseconds; ours are whole picoseconds, written exactly.
std::string micros(uint64_t ps) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%llu.%06llu", static_cast<unsigned long long>(ps / 1000000),
                  static_cast<unsigned long long>(ps % 1000000));
    return buf;
}

// The tracks in the order a viewer lists them, with the names it shows.
struct TrackName {
    const char* key;
    const char* label;
};
constexpr TrackName kTracks[] = {{"cpu", "CPU"},
                                 {"controller", "accelerator controller"},
                                 {"dma", "DMA"},
                                 {"pe_array", "PE array"},
                                 {"vector_unit", "vector unit"}};
constexpr int kPid = 1;

}  // namespace

TraceWindow parse_trace_window(const std::string& text, const std::string& what) {
    const size_t colon = text.find(':');
    if (colon == std::string::npos || text.find(':', colon + 1) != std::string::npos)
        throw UserError(what + " '" + text + "': expected START:END in simulated time, e.g. 2ms:3ms");
    TraceWindow w;
    const std::string a = text.substr(0, colon), b = text.substr(colon + 1);
    if (!a.empty()) w.start_ps = duration_ps(a, what + " START");
    if (!b.empty()) w.end_ps = duration_ps(b, what + " END");
    if (w.end_ps <= w.start_ps) throw UserError(what + " '" + text + "': END must come after START");
    return w;
}

TraceRecorder::~TraceRecorder() {
    if (file_) {
        std::fclose(file_);
        std::remove(tmp_path_.c_str());
    }
}

void TraceRecorder::write_file(const std::string& path, const TraceWindow& window) {
    path_ = path;
    tmp_path_ = path + ".partial";
    window_ = window;
    file_ = std::fopen(tmp_path_.c_str(), "wb");
    if (!file_) throw UserError("--trace " + path + ": cannot write: " + std::strerror(errno));
    for (const TrackName& t : kTracks) track_id(t.key);
    std::fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", file_);
}

void TraceRecorder::capture_first_step() {
    capturing_ = true;
}

bool TraceRecorder::wants(uint64_t start_ps, uint64_t end_ps) const {
    if (file_ && window_.overlaps(start_ps, end_ps)) return true;
    if (!capturing_) return false;
    if (step_found_) return start_ps <= step_end_;
    return step_.size() < kStepEventLimit;
}

int TraceRecorder::track_id(const std::string& track) {
    const auto it = tracks_.find(track);
    if (it != tracks_.end()) return it->second;
    const int id = static_cast<int>(tracks_.size()) + 1;
    tracks_.emplace(track, id);
    return id;
}

void TraceRecorder::write_event(const char* phase, const char* track, const std::string& name, uint64_t at_ps,
                                const uint64_t* dur_ps, const nlohmann::json& args) {
    std::string line = first_event_ ? "" : ",\n";
    first_event_ = false;
    line += "{\"ph\":\"" + std::string(phase) + "\",\"name\":" + nlohmann::json(name).dump() +
            ",\"pid\":" + std::to_string(kPid);
    if (track) line += ",\"tid\":" + std::to_string(track_id(track));
    line += ",\"ts\":" + micros(at_ps);
    if (dur_ps) line += ",\"dur\":" + micros(*dur_ps);
    if (*phase == 'i') line += ",\"s\":\"t\"";
    if (!args.empty()) line += ",\"args\":" + args.dump();
    line += "}";
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) write_failed_ = true;
}

void TraceRecorder::keep(TimelineEvent e) {
    if (step_found_ && e.start_ps > step_end_) return;
    if (!step_found_ && step_.size() >= kStepEventLimit) return;
    step_.push_back(std::move(e));
}

void TraceRecorder::slice(const char* track, const std::string& name, uint64_t start_ps, uint64_t end_ps,
                          nlohmann::json args) {
    // A descriptor's training phase ("forward", ..., "update") beside its opcode.
    if (args.contains("opcode_id")) args["phase"] = opcode_phase(args["opcode_id"].get<uint32_t>());
    if (capturing_) {
        if (std::strcmp(track, "controller") == 0 && !step_found_) {
            const std::string phase = args.value("phase", "");
            if (!step_started_) {
                step_started_ = true;
                step_start_ = start_ps;
            }
            if (phase == "update") {
                seen_update_ = true;
                step_end_ = std::max(step_end_, end_ps);
            } else if (seen_update_) {
                step_found_ = true;
            }
        }
        keep({TimelineEvent::Kind::slice, track, name, start_ps, end_ps, 0, args.value("phase", "")});
    }
    if (file_ && window_.overlaps(start_ps, end_ps)) {
        const uint64_t dur = end_ps - start_ps;
        args["module"] = track;
        write_event("X", track, name, start_ps, &dur, args);
    }
}

void TraceRecorder::instant(const char* track, const std::string& name, uint64_t at_ps, nlohmann::json args) {
    if (capturing_) keep({TimelineEvent::Kind::instant, track, name, at_ps, at_ps, 0, ""});
    if (file_ && window_.overlaps(at_ps, at_ps)) write_event("i", track, name, at_ps, nullptr, args);
}

void TraceRecorder::counter(const char* name, uint64_t at_ps, double value) {
    if (capturing_) keep({TimelineEvent::Kind::counter, "counter", name, at_ps, at_ps, value, ""});
    if (!file_) return;
    if (at_ps < window_.start_ps) {
        counter_before_window_[name] = value;
    } else if (at_ps <= window_.end_ps) {
        write_event("C", nullptr, name, at_ps, nullptr, {{"bytes", value}});
    }
}

void TraceRecorder::finish_file() {
    if (!file_) return;
    for (const auto& [name, value] : counter_before_window_)
        write_event("C", nullptr, name, window_.start_ps, nullptr, {{"bytes", value}});
    write_event("M", nullptr, "process_name", 0, nullptr, {{"name", "trainvp"}});
    int order = 0;
    for (const TrackName& t : kTracks) {
        write_event("M", t.key, "thread_name", 0, nullptr, {{"name", t.label}});
        write_event("M", t.key, "thread_sort_index", 0, nullptr, {{"sort_index", order++}});
    }
    std::fputs("\n]}\n", file_);
    const bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    if (write_failed_ || !closed) {
        std::remove(tmp_path_.c_str());
        throw UserError(path_ + ": write failed");
    }
    if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
        const int err = errno;
        std::remove(tmp_path_.c_str());
        throw UserError(path_ + ": cannot rename " + tmp_path_ + ": " + std::strerror(err));
    }
}

std::vector<TimelineEvent> TraceRecorder::first_step() const {
    if (!seen_update_) return step_;
    std::vector<TimelineEvent> out;
    for (const TimelineEvent& e : step_)
        if (e.end_ps >= step_start_ && e.start_ps <= step_end_) out.push_back(e);
    return out;
}

}  // namespace trainvp
