#include "checkpoint_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/state_io.h"

namespace fs = std::filesystem;

namespace trainvp {

namespace {

constexpr char kMagic[8] = {'T', 'V', 'P', 'C', 'K', 'P', 'T', '\n'};
constexpr size_t kChecksumBytes = 8;

uint32_t get32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
uint64_t get64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

std::string kind_text(uint32_t kind) {
    if (kind == static_cast<uint32_t>(CheckpointKind::run)) return "a run checkpoint (from trainvp run)";
    if (kind == static_cast<uint32_t>(CheckpointKind::golden))
        return "a golden checkpoint (from trainvp golden)";
    return "a checkpoint of unknown kind " + std::to_string(kind);
}

// Writes all of `data` to fd; false with errno set on failure.
bool write_all(int fd, const uint8_t* data, size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

std::string directory_of(const std::string& path) {
    const fs::path dir = fs::path(path).parent_path();
    return dir.empty() ? "." : dir.string();
}

}  // namespace

const char* checkpoint_kind_name(CheckpointKind kind) {
    return kind == CheckpointKind::golden ? "golden" : "run";
}

std::string hash_text(uint64_t v) {
    char b[17];
    std::snprintf(b, sizeof b, "%016" PRIx64, v);
    return b;
}

void Checkpoint::add(std::string name, std::vector<uint8_t> data) {
    sections.push_back({std::move(name), std::move(data)});
}

const std::vector<uint8_t>* Checkpoint::find(const std::string& name) const {
    for (const CheckpointSection& s : sections)
        if (s.name == name) return &s.data;
    return nullptr;
}

const std::vector<uint8_t>& Checkpoint::section(const std::string& name, const std::string& path) const {
    const std::vector<uint8_t>* s = find(name);
    if (!s) throw UserError(path + ": checkpoint has no section '" + name + "'");
    return *s;
}

namespace {

// The header (up to the section count) as it is stored, for a file of `file_bytes`.
std::vector<uint8_t> header_bytes(const Checkpoint& ck, uint64_t file_bytes) {
    StateWriter w;
    w.bytes(kMagic, sizeof kMagic);
    w.u32(kCheckpointFormat);
    w.u32(static_cast<uint32_t>(ck.identity.kind));
    w.u64(file_bytes);
    w.u64(ck.identity.config_hash);
    w.u64(ck.identity.firmware_hash);
    w.u64(ck.identity.dataset_hash);
    w.u32(ck.identity.job_version);
    w.u32(ck.identity.job_bytes);
    w.u32(ck.identity.results_bytes);
    w.u32(static_cast<uint32_t>(ck.sections.size()));
    return std::move(w.data());
}

// Calls sink(data, size) for every piece of the file in order, checksum included.
template <typename Sink>
void emit_checkpoint(const Checkpoint& ck, Sink&& sink) {
    uint64_t file_bytes = kCheckpointHeaderBytes + kChecksumBytes;
    for (const CheckpointSection& s : ck.sections) file_bytes += 4 + s.name.size() + 8 + s.data.size();
    Hash64 sum;
    auto piece = [&](const void* data, size_t n) {
        sum.update(data, n);
        sink(data, n);
    };
    const std::vector<uint8_t> header = header_bytes(ck, file_bytes);
    piece(header.data(), header.size());
    for (const CheckpointSection& s : ck.sections) {
        const uint32_t name_length = static_cast<uint32_t>(s.name.size());
        const uint64_t length = s.data.size();
        piece(&name_length, 4);
        piece(s.name.data(), s.name.size());
        piece(&length, 8);
        piece(s.data.data(), s.data.size());
    }
    const uint64_t digest = sum.digest();
    sink(&digest, kChecksumBytes);
}

}  // namespace

std::vector<uint8_t>& Checkpoint::slot(const std::string& name) {
    for (CheckpointSection& s : sections)
        if (s.name == name) {
            s.data.clear();
            return s.data;
        }
    sections.push_back({name, {}});
    return sections.back().data;
}

std::vector<uint8_t> encode_checkpoint(const Checkpoint& ck) {
    std::vector<uint8_t> out;
    emit_checkpoint(ck, [&](const void* data, size_t n) {
        const auto* p = static_cast<const uint8_t*>(data);
        out.insert(out.end(), p, p + n);
    });
    return out;
}

Checkpoint decode_checkpoint(const std::vector<uint8_t>& bytes, const std::string& path) {
    const size_t size = bytes.size();
    const std::string header = std::to_string(kCheckpointHeaderBytes);
    if (size == 0) throw UserError(path + ": empty file, not a TrainVP checkpoint");
    if (std::memcmp(bytes.data(), kMagic, std::min(size, sizeof kMagic)) != 0)
        throw UserError(path + ": not a TrainVP checkpoint (no TVPCKPT magic)");
    if (size < 12)
        throw UserError(path + ": truncated at byte " + std::to_string(size) + " of at least " + header +
                        " (the header)");
    const uint32_t version = get32(bytes.data() + 8);
    if (version != kCheckpointFormat)
        throw UserError(path + ": checkpoint format version " + std::to_string(version) +
                        "; this trainvp reads version " + std::to_string(kCheckpointFormat));
    if (size < kCheckpointHeaderBytes + kChecksumBytes)
        throw UserError(path + ": truncated at byte " + std::to_string(size) + " of at least " +
                        std::to_string(kCheckpointHeaderBytes + kChecksumBytes));
    const uint64_t declared = get64(bytes.data() + 16);
    if (size < declared)
        throw UserError(path + ": truncated at byte " + std::to_string(size) + " of " +
                        std::to_string(declared));
    if (size > declared)
        throw UserError(path + ": " + std::to_string(size - declared) + " bytes after the end at byte " +
                        std::to_string(declared) + " (damaged)");
    const uint64_t sum = get64(bytes.data() + size - kChecksumBytes);
    if (hash64(bytes.data(), size - kChecksumBytes) != sum)
        throw UserError(path + ": checksum mismatch: the file is damaged");

    Checkpoint ck;
    StateReader r(bytes.data() + 12, size - 12 - kChecksumBytes, path);
    const uint32_t kind = r.u32();
    if (kind != static_cast<uint32_t>(CheckpointKind::run) &&
        kind != static_cast<uint32_t>(CheckpointKind::golden))
        throw UserError(path + ": " + kind_text(kind));
    ck.identity.kind = static_cast<CheckpointKind>(kind);
    r.u64();  // size, checked above
    ck.identity.config_hash = r.u64();
    ck.identity.firmware_hash = r.u64();
    ck.identity.dataset_hash = r.u64();
    ck.identity.job_version = r.u32();
    ck.identity.job_bytes = r.u32();
    ck.identity.results_bytes = r.u32();
    for (uint32_t n = r.u32(); n; --n) {
        const uint32_t name_length = r.u32();
        if (name_length > r.remaining()) r.fail("a section name runs past the end");
        const uint8_t* name = r.view(name_length);
        CheckpointSection s;
        s.name.assign(reinterpret_cast<const char*>(name), name_length);
        const size_t length = r.count(1);
        const uint8_t* data = r.view(length);
        s.data.assign(data, data + length);
        ck.sections.push_back(std::move(s));
    }
    r.expect_end();
    return ck;
}

Checkpoint read_checkpoint(const std::string& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) throw UserError(path + ": is a directory, not a checkpoint");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UserError(path + ": cannot read checkpoint: " + std::strerror(errno));
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw UserError(path + ": read error");
    return decode_checkpoint(bytes, path);
}

uint64_t write_checkpoint(const std::string& path, const Checkpoint& ck) {
    const std::string tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw UserError(path + ": cannot write checkpoint (" + tmp + "): " + std::strerror(errno));
    bool written = true;
    int err = 0;
    uint64_t bytes = 0;
    emit_checkpoint(ck, [&](const void* data, size_t n) {
        if (written && !write_all(fd, static_cast<const uint8_t*>(data), n)) {
            written = false;
            err = errno;
        }
        bytes += n;
    });
    if (written && ::fsync(fd) != 0) {
        written = false;
        err = errno;
    }
    if (::close(fd) != 0 && written) {
        written = false;
        err = errno;
    }
    if (!written) {
        ::unlink(tmp.c_str());
        throw UserError(path + ": writing the checkpoint failed: " + std::strerror(err));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        throw UserError(path + ": cannot rename " + tmp + ": " + std::strerror(e));
    }
    // The rename itself must reach the disk, or a crash could bring the old directory entry back.
    const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    return bytes;
}

void check_identity(const Checkpoint& ck, const CheckpointIdentity& mine, const std::string& path,
                    const std::string& mine_name) {
    const CheckpointIdentity& c = ck.identity;
    if (c.kind != mine.kind)
        throw UserError(path + ": " + kind_text(static_cast<uint32_t>(c.kind)) + "; trainvp " +
                        checkpoint_kind_name(mine.kind) + " resumes only from " +
                        kind_text(static_cast<uint32_t>(mine.kind)));
    if (c.job_version != mine.job_version || c.job_bytes != mine.job_bytes ||
        c.results_bytes != mine.results_bytes)
        throw UserError(path + ": made with another job layout (train_job version " +
                        std::to_string(c.job_version) + ", " + std::to_string(c.job_bytes) +
                        " bytes, train_results " + std::to_string(c.results_bytes) +
                        " bytes; this build's are " + std::to_string(mine.job_version) + ", " +
                        std::to_string(mine.job_bytes) + " and " + std::to_string(mine.results_bytes) + ")");
    if (c.config_hash != mine.config_hash) {
        const std::string saved = checkpoint_meta_value(ck, "scenario");
        throw UserError(path + ": made for scenario '" + saved + "' (config hash " +
                        hash_text(c.config_hash) + "), this run's is '" + mine_name + "' (config hash " +
                        hash_text(mine.config_hash) + "): the scenario or its --set options differ");
    }
    if (c.firmware_hash != mine.firmware_hash)
        throw UserError(path + ": made by another firmware build (firmware hash " +
                        hash_text(c.firmware_hash) + ", this run's " + hash_text(mine.firmware_hash) + ")");
    if (c.dataset_hash != mine.dataset_hash)
        throw UserError(path + ": made with other training or test data (dataset hash " +
                        hash_text(c.dataset_hash) + ", this run's " + hash_text(mine.dataset_hash) + ")");
}

void check_checkpoint_path(const std::string& path) {
    std::error_code ec;
    if (path.empty()) throw UserError("--checkpoint: empty file name");
    if (fs::is_directory(path, ec)) throw UserError("--checkpoint " + path + ": is a directory");
    const std::string dir = directory_of(path);
    if (!fs::is_directory(dir, ec))
        throw UserError("--checkpoint " + path + ": directory " + dir + " does not exist");
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        throw UserError("--checkpoint " + path + ": directory " + dir + " is not writable");
    // The rename would replace even a read-only file, but one is most likely a mistake.
    if (fs::exists(path, ec) && ::access(path.c_str(), W_OK) != 0)
        throw UserError("--checkpoint " + path + ": the file is not writable");
}

CheckpointEvery parse_checkpoint_every(const std::string& text) {
    CheckpointEvery e;
    if (text == "epoch") return e;
    const bool digits =
        !text.empty() && text.size() <= 10 && text.find_first_not_of("0123456789") == std::string::npos;
    const uint64_t n = digits ? std::stoull(text) : 0;
    if (!digits || n == 0 || n > (1ull << 31))
        throw UserError("--checkpoint-every '" + text +
                        "': expected 'epoch' or a number of steps (1 or more)");
    e.epoch = false;
    e.steps = static_cast<uint32_t>(n);
    return e;
}

CheckpointOptions checkpoint_options(const std::string& path, const std::string& every,
                                     const std::string& resume) {
    CheckpointOptions o;
    if (!every.empty()) {
        if (path.empty()) throw UserError("--checkpoint-every needs --checkpoint FILE");
        o.every = parse_checkpoint_every(every);
    }
    if (!path.empty()) check_checkpoint_path(path);
    o.path = path;
    o.resume_path = resume;
    return o;
}

std::string checkpoint_meta_value(const Checkpoint& ck, const std::string& key) {
    const std::vector<uint8_t>* meta = ck.find("meta");
    if (!meta) return "";
    std::istringstream in(std::string(meta->begin(), meta->end()));
    std::string line;
    const std::string prefix = key + ": ";
    while (std::getline(in, line))
        if (line.compare(0, prefix.size(), prefix) == 0) return line.substr(prefix.size());
    return "";
}

std::string describe_checkpoint(const Checkpoint& ck, const std::string& path, uint64_t file_bytes) {
    const CheckpointIdentity& id = ck.identity;
    std::ostringstream os;
    os << path << ": TrainVP checkpoint, format " << kCheckpointFormat << ", " << file_bytes
       << " bytes, checksum ok\n";
    os << "kind: " << checkpoint_kind_name(id.kind) << "\n";
    if (const std::vector<uint8_t>* meta = ck.find("meta")) os << std::string(meta->begin(), meta->end());
    os << "config_hash: " << hash_text(id.config_hash) << "\n";
    if (id.kind == CheckpointKind::run) {
        os << "firmware_hash: " << hash_text(id.firmware_hash) << "\n";
        os << "job_layout: train_job version " << id.job_version << ", " << id.job_bytes
           << " bytes; train_results " << id.results_bytes << " bytes\n";
    }
    os << "dataset_hash: " << hash_text(id.dataset_hash) << "\n";
    os << "sections:";
    for (const CheckpointSection& s : ck.sections) os << " " << s.name << " (" << s.data.size() << " bytes)";
    os << "\n";
    return os.str();
}

int checkpoint_info_command(int argc, char* argv[]) {
    const std::string usage = "usage: trainvp checkpoint-info FILE";
    if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
        std::printf("%s\n\nChecks a checkpoint of trainvp run or golden and prints what it holds.\n",
                    usage.c_str());
        return 0;
    }
    if (argc != 2) throw UserError(usage);
    const std::string path = argv[1];
    const Checkpoint ck = read_checkpoint(path);
    std::error_code ec;
    const uint64_t bytes = fs::file_size(path, ec);
    std::fputs(describe_checkpoint(ck, path, ec ? 0 : bytes).c_str(), stdout);
    return 0;
}

}  // namespace trainvp
