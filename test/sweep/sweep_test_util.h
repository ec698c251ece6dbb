// Helpers shared by the sweep tests: a sweep file from a string, a temporary directory, small file I/O.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/error.h"
#include "sweep_spec.h"

namespace sweep_test {

inline trainvp::SweepSpec parse(const std::string& yaml, const std::string& file = "t/sweep.yaml") {
    return trainvp::parse_sweep(YAML::Load(yaml), file);
}

// A sweep over an inline base with the given body.
inline std::string inline_sweep(const std::string& body) {
    return "base: {name: b}\n" + body;
}

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char t[] = "/tmp/test-sweep-XXXXXX";
        path = ::mkdtemp(t);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

inline void write(const std::filesystem::path& p, const std::string& text) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace sweep_test
