// The run lifecycle's pure parts: the output-path checks made before a run and the output writes that go
// on after a failure.
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

using trainvp::check_directory;
using trainvp::check_output_file;
using trainvp::OutputWrites;
using trainvp::UserError;
namespace fs = std::filesystem;

namespace {

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
