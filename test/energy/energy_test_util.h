// Helpers shared by the energy tests: the table files on disk, temporary copies with one change.
#pragma once

#include <unistd.h>
#include <fstream>
#include <sstream>
#include <string>

namespace energy_test {

inline std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline std::string tech_file(const std::string& name) {
    return std::string(TRAINVP_ENERGY_TECH_DIR) + "/" + name + ".yaml";
}

// Writes `text` to a fresh file under /tmp and returns its path.
inline std::string write_temp(const std::string& tag, const std::string& text) {
    const std::string path = "/tmp/trainvp-energy-test-" + std::to_string(getpid()) + "-" + tag + ".yaml";
    std::ofstream(path) << text;
    return path;
}

// 1-based number of the line of `text` that contains `needle` (0 if none).
inline int line_of(const std::string& text, const std::string& needle) {
    const size_t pos = text.find(needle);
    if (pos == std::string::npos) return 0;
    int line = 1;
    for (size_t i = 0; i < pos; ++i)
        if (text[i] == '\n') ++line;
    return line;
}

// `text` with the first occurrence of `from` replaced by `to` (the test fails if `from` is absent).
inline std::string replace_once(std::string text, const std::string& from, const std::string& to) {
    const size_t pos = text.find(from);
    if (pos == std::string::npos) return "<<" + from + " not found>>";
    return text.replace(pos, from.size(), to);
}

}  // namespace energy_test
