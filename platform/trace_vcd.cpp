#include "trace_vcd.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "common/error.h"
#include "kernels/weights_io.h"
#include "platform.h"

namespace trainvp {

VcdRecorder::VcdRecorder(const std::string& path, const TraceWindow& window, Platform& soc)
    : path_(path), tmp_base_(path + ".partial"), window_(window) {
    file_ = sc_core::sc_create_vcd_trace_file(tmp_base_.c_str());  // SystemC appends ".vcd"
    if (!file_) throw UserError("--vcd " + path + ": cannot write " + tmp_base_ + ".vcd");
    file_->set_time_unit(1, sc_core::SC_PS);  // VCD times in ps: the window needs no conversion
    soc.trace_sideband(file_);
}

VcdRecorder::~VcdRecorder() {
    if (file_) {
        sc_core::sc_close_vcd_trace_file(file_);
        std::remove((tmp_base_ + ".vcd").c_str());
    }
}

void VcdRecorder::finish() {
    sc_core::sc_close_vcd_trace_file(file_);
    file_ = nullptr;
    const std::string tmp = tmp_base_ + ".vcd";
    std::ifstream in(tmp, std::ios::binary);
    if (!in) throw UserError(path_ + ": cannot read " + tmp + ": " + std::strerror(errno));
    std::stringstream text;
    text << in.rdbuf();
    in.close();
    std::remove(tmp.c_str());
    const std::string out = vcd_window(text.str(), window_);
    kern::write_file_atomic(path_, out.data(), out.size());
}

std::string vcd_window(const std::string& in, const TraceWindow& window) {
    std::istringstream lines(in);
    std::string line, out;
    // The header as it is, but for $date: the file must not change from one run of the same inputs to the
    // next.
    bool in_date = false;
    while (std::getline(lines, line)) {
        if (line.rfind("$date", 0) == 0) in_date = true;
        if (!in_date) out += line + "\n";
        if (in_date && line.find("$end") != std::string::npos) in_date = false;
        if (line.find("$enddefinitions") != std::string::npos) break;
    }
    std::map<std::string, std::string> value;  // signal id -> its latest value line
    auto id_of = [](const std::string& l) {
        const size_t space = l.find(' ');
        return (l[0] == 'b' || l[0] == 'r') && space != std::string::npos ? l.substr(space + 1) : l.substr(1);
    };
    // Every signal's value at the window's start: the changes up to and at that time folded together.
    bool started = false, in_comment = false;
    auto start = [&] {
        out += "#" + std::to_string(window.start_ps) + "\n$dumpvars\n";
        for (const auto& [id, v] : value) out += v + "\n";
        out += "$end\n";
        started = true;
    };
    while (std::getline(lines, line)) {
        if (line.empty()) continue;
        if (in_comment) {
            in_comment = line.find("$end") == std::string::npos;
            continue;
        }
        if (line.rfind("$comment", 0) == 0) {
            in_comment = line.find("$end") == std::string::npos;
            continue;
        }
        if (line[0] == '$') continue;  // $dumpvars and its $end: the values inside count as changes
        if (line[0] == '#') {
            const uint64_t t = std::stoull(line.substr(1));
            if (!started && t > window.start_ps) start();
            if (t > window.end_ps) break;
            if (started) out += line + "\n";
            continue;
        }
        value[id_of(line)] = line;
        if (started) out += line + "\n";
    }
    if (!started) start();
    return out;
}

}  // namespace trainvp
