// The run lifecycle's pure parts: the progress line fitted to a terminal width, the terminal width itself,
// the output-path checks made before a run and the output writes that go on after a failure.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "output_files.h"
#include "progress.h"

using trainvp::check_directory;
using trainvp::check_output_file;
using trainvp::fit_progress_line;
using trainvp::OutputWrites;
using trainvp::UserError;
namespace fs = std::filesystem;

namespace {

// The fields of a progress line as TrainProgress::draw_bar builds them, most important first.
const std::vector<std::string> kFields = {"epoch 12/100",           "step 345/1875", "35% ETA 1h02m",
                                          "[#######.............]", "loss 0.1234",   "sim 123.456 s",
                                          "12345 img/s sim",        "678 img/s wall"};

// How many leading fields `line` holds, or -1 if it is not the first k fields joined by two spaces.
int fields_in(const std::string& line, const std::vector<std::string>& fields) {
    std::string joined;
    if (line.empty()) return 0;
    for (size_t k = 0; k < fields.size(); ++k) {
        joined += (k ? "  " : "") + fields[k];
        if (joined == line) return static_cast<int>(k + 1);
    }
    return -1;
}

std::string error_of(const std::string& what, const std::string& path) {
    try {
        check_output_file(what, path);
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/trainvp-lifecycle-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() {
        std::error_code ec;
        fs::permissions(path, fs::perms::owner_all, ec);
        fs::remove_all(path, ec);
    }
};

}  // namespace

TEST_CASE("the progress line never reaches the terminal's last column and drops fields right to left") {
    int previous = 0;
    for (int width : {40, 80, 120, 200}) {
        const std::string line = fit_progress_line(kFields, width);
        INFO("width " << width << ": '" << line << "'");
        CHECK(static_cast<int>(line.size()) < width);
        const int k = fields_in(line, kFields);
        CHECK(k >= 1);         // a prefix of the fields: only the rightmost ones were dropped
        CHECK(k >= previous);  // a wider terminal never shows fewer fields
        if (k < static_cast<int>(kFields.size()))  // and the next field would not have fit
            CHECK(line.size() + 2 + kFields[k].size() >= static_cast<size_t>(width));
        previous = k;
    }
    CHECK(fields_in(fit_progress_line(kFields, 40), kFields) == 2);  // with the ETA: 42 columns
    CHECK(fields_in(fit_progress_line(kFields, 79), kFields) == 4);  // with the loss: 79 columns
    CHECK(fields_in(fit_progress_line(kFields, 80), kFields) == 5);
    CHECK(fields_in(fit_progress_line(kFields, 200), kFields) == static_cast<int>(kFields.size()));
}

TEST_CASE("a first field wider than the terminal is cut, never wrapped") {
    CHECK(fit_progress_line(kFields, 8) == "epoch 1");
    CHECK(fit_progress_line(kFields, 1).empty());
    CHECK(fit_progress_line({}, 80).empty());
}

TEST_CASE("the terminal width comes from $COLUMNS when the stream is not a terminal, else 80") {
    const int fd = ::open("/dev/null", O_WRONLY);
    REQUIRE(fd >= 0);
    ::setenv("COLUMNS", "57", 1);
    CHECK(trainvp::terminal_columns(fd) == 57);
    ::setenv("COLUMNS", "wide", 1);
    CHECK(trainvp::terminal_columns(fd) == 80);
    ::setenv("COLUMNS", "0", 1);
    CHECK(trainvp::terminal_columns(fd) == 80);
    ::unsetenv("COLUMNS");
    CHECK(trainvp::terminal_columns(fd) == 80);
    ::close(fd);
}

TEST_CASE("durations for the ETA") {
    CHECK(trainvp::format_duration(0) == "0s");
    CHECK(trainvp::format_duration(59.4) == "59s");
    CHECK(trainvp::format_duration(61) == "1m01s");
    CHECK(trainvp::format_duration(3 * 3600 + 7 * 60 + 30) == "3h07m");
    CHECK(trainvp::format_duration(-5) == "0s");
}

TEST_CASE("output paths are checked before a run: directory exists and is writable, path not a directory") {
    TempDir t;
    const std::string dir = t.path.string();
    CHECK(error_of("--report", dir + "/r.json").empty());
    CHECK(fs::is_empty(t.path));  // the write check leaves nothing behind
    std::ofstream(dir + "/existing.json") << "old";
    CHECK(error_of("--report", dir + "/existing.json").empty());  // replaced at the end

    CHECK(error_of("--report", dir + "/absent/r.json") ==
          "--report " + dir + "/absent/r.json: directory " + dir + "/absent does not exist");
    CHECK(error_of("--report", dir) == "--report " + dir + ": is a directory");
    CHECK(error_of("--report", dir + "/") == "--report " + dir + "/: names a directory, not a file");
    CHECK(error_of("--weights", dir + "/existing.json/w.bin") ==
          "--weights " + dir + "/existing.json/w.bin: " + dir + "/existing.json is not a directory");
    CHECK(error_of("--weights", "/dev/null") == "--weights /dev/null: exists and is not a regular file");
    // Root may write anywhere the mode bits say no, but not below /proc.
    CHECK_THAT(error_of("--trace-insn", "/proc/trace.txt"),
               Catch::StartsWith("--trace-insn /proc/trace.txt: cannot create files in /proc ("));
    if (::geteuid() == 0) {
        WARN("running as root: the read-only directory case is skipped (root writes to mode 0555)");
    } else {
        fs::create_directory(t.path / "ro");
        fs::permissions(t.path / "ro", fs::perms::owner_read | fs::perms::owner_exec);
        CHECK_THAT(
            error_of("--report", dir + "/ro/r.json"),
            Catch::StartsWith("--report " + dir + "/ro/r.json: cannot create files in " + dir + "/ro ("));
    }
}

TEST_CASE("an input directory must exist and be a directory") {
    TempDir t;
    CHECK_NOTHROW(check_directory("--semihost-dir", t.path.string()));
    std::ofstream((t.path / "file").string()) << "x";
    CHECK_THROWS_WITH(check_directory("--semihost-dir", (t.path / "file").string()),
                      "--semihost-dir " + (t.path / "file").string() + ": not a directory");
    CHECK_THROWS_WITH(check_directory("--semihost-dir", (t.path / "absent").string()),
                      "--semihost-dir " + (t.path / "absent").string() + ": No such file or directory");
}

TEST_CASE("one output that fails to be written does not keep the others from being written") {
    OutputWrites writes;
    bool second = false;
    CHECK_FALSE(writes.attempt("--weights", [] { throw UserError("w.bin: cannot write: No space left"); }));
    CHECK(writes.attempt("--report", [&] { second = true; }));
    CHECK(second);
    CHECK(writes.failed());
    REQUIRE(writes.errors().size() == 1);
    CHECK(writes.errors()[0] == "--weights not written: w.bin: cannot write: No space left");
}
