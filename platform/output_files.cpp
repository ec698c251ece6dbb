#include "output_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "common/error.h"

namespace trainvp {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, const std::string& why) {
    throw UserError(what + " " + path + ": " + why);
}

// The directory part of PATH as the kernel will resolve it ("." for a bare file name).
std::string directory_of(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

}  // namespace

void check_output_file(const std::string& what, const std::string& path) {
    if (path.empty()) fail(what, "''", "empty file name");
    if (path.back() == '/') fail(what, path, "names a directory, not a file");
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) fail(what, path, "is a directory");
        if (!S_ISREG(st.st_mode)) fail(what, path, "exists and is not a regular file");
    }
    const std::string dir = directory_of(path);
    if (::stat(dir.c_str(), &st) != 0) {
        if (errno == ENOTDIR) fail(what, path, "a component of " + dir + " is not a directory");
        if (errno == ENOENT) fail(what, path, "directory " + dir + " does not exist");
        fail(what, path, "directory " + dir + ": " + std::strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) fail(what, path, dir + " is not a directory");
    // access() says yes to root for any mode and knows nothing of read-only mounts or /proc: try it.
    std::string probe = dir + "/.trainvp-write-check-XXXXXX";
    const int fd = ::mkstemp(probe.data());
    if (fd < 0) fail(what, path, "cannot create files in " + dir + " (" + std::strerror(errno) + ")");
    ::close(fd);
    ::unlink(probe.c_str());
}

void check_directory(const std::string& what, const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) fail(what, path, std::strerror(errno));
    if (!S_ISDIR(st.st_mode)) fail(what, path, "not a directory");
}

void check_input_file(const std::string& what, const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) fail(what, path, std::strerror(errno));
    if (!S_ISREG(st.st_mode)) fail(what, path, "not a regular file");
    if (::access(path.c_str(), R_OK) != 0) fail(what, path, std::strerror(errno));
}

bool OutputWrites::attempt(const std::string& what, const std::function<void()>& write) {
    try {
        write();
        return true;
    } catch (const std::exception& e) {
        const std::string message = what + " not written: " + e.what();
        std::fprintf(stderr, "trainvp: error: %s\n", message.c_str());
        errors_.push_back(message);
        return false;
    }
}

}  // namespace trainvp
