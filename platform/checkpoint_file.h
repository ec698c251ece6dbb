// The checkpoint file of `trainvp run` and `trainvp golden` (docs/user-guide.md "Checkpoints and
// resuming"): one container for both. Layout, little-endian:
//
//   offset  size  field
//        0     8  magic "TVPCKPT\n"
//        8     4  format version (kCheckpointFormat)
//       12     4  kind: 1 run, 2 golden
//       16     8  file size in bytes, checksum included
//       24     8  config hash: the resolved scenario without the keys that do not change results
//       32     8  firmware hash (run: loaded segments and entry point; golden: 0)
//       40     8  dataset hash: the training and test data
//       48    12  job layout (run: TRAIN_JOB_VERSION, sizeof(train_job), sizeof(train_results); golden: 0)
//       60     4  number of sections
//       64        sections: u32 name length, name, u64 data length, data
//   size-8     8  checksum: hash64 of every byte before it
//
// A file that is short, damaged, of another format or made for another run is refused with a UserError that
// names the file and the reason. Writing is atomic: a temporary file in the same directory, fsync, rename,
// fsync of the directory, so a crash leaves the previous checkpoint or the new one, never half of one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trainvp {

constexpr uint32_t kCheckpointFormat = 1;
constexpr size_t kCheckpointHeaderBytes = 64;

enum class CheckpointKind : uint32_t { run = 1, golden = 2 };
const char* checkpoint_kind_name(CheckpointKind kind);  // "run", "golden"

// What a checkpoint is valid for: a resumed run refuses one whose identity differs from its own.
struct CheckpointIdentity {
    CheckpointKind kind = CheckpointKind::run;
    uint64_t config_hash = 0;
    uint64_t firmware_hash = 0;
    uint64_t dataset_hash = 0;
    uint32_t job_version = 0, job_bytes = 0, results_bytes = 0;
};

struct CheckpointSection {
    std::string name;
    std::vector<uint8_t> data;
};

struct Checkpoint {
    CheckpointIdentity identity;
    std::vector<CheckpointSection> sections;  // in file order

    void add(std::string name, std::vector<uint8_t> data);
    // The data of section `name`, emptied (its capacity kept), appended first if there is none: a checkpoint
    // object reused save after save does not allocate its buffers again.
    std::vector<uint8_t>& slot(const std::string& name);
    // The section's data, or nullptr.
    const std::vector<uint8_t>* find(const std::string& name) const;
    // The section's data; UserError "PATH: no section 'NAME'" when it is missing.
    const std::vector<uint8_t>& section(const std::string& name, const std::string& path) const;
};

std::vector<uint8_t> encode_checkpoint(const Checkpoint& ck);
// Checks magic, version, size and checksum, then splits the sections. UserError "PATH: reason".
Checkpoint decode_checkpoint(const std::vector<uint8_t>& bytes, const std::string& path);
// Reads and decodes PATH (a missing or unreadable file is a UserError too).
Checkpoint read_checkpoint(const std::string& path);
// Writes atomically, straight from the sections; returns the bytes written. UserError naming PATH on
// failure (the old file stays).
uint64_t write_checkpoint(const std::string& path, const Checkpoint& ck);

// Refuses a checkpoint made for something else than `mine`: UserError naming PATH and the difference.
// `mine_name` is this run's scenario name, for the message (the checkpoint's is in its metadata).
void check_identity(const Checkpoint& ck, const CheckpointIdentity& mine, const std::string& path,
                    const std::string& mine_name);

// `--checkpoint FILE` before any work: the directory must exist and be writable, FILE must not be a
// directory. UserError naming the file.
void check_checkpoint_path(const std::string& path);

// `--checkpoint-every N|epoch`.
struct CheckpointEvery {
    bool epoch = true;   // at the end of every epoch (after its test pass)
    uint32_t steps = 0;  // !epoch: after every step whose number (counted from 1 across epochs) is a multiple
};
// UserError for anything but "epoch" or a whole number 1..2^31.
CheckpointEvery parse_checkpoint_every(const std::string& text);

// The checkpoint command-line options shared by `run` and `golden`, checked before any work: --resume must
// name a readable checkpoint, --checkpoint-every needs --checkpoint. UserError otherwise.
struct CheckpointOptions {
    std::string path;  // --checkpoint; "" = none
    CheckpointEvery every;
    std::string resume_path;  // --resume; "" = none
};
CheckpointOptions checkpoint_options(const std::string& path, const std::string& every,
                                     const std::string& resume);

// Human-readable metadata: "key: value" lines in section "meta" (no timestamps: files are deterministic).
std::string checkpoint_meta_value(const Checkpoint& ck, const std::string& key);
// The summary `trainvp checkpoint-info FILE` prints.
std::string describe_checkpoint(const Checkpoint& ck, const std::string& path, uint64_t file_bytes);

// `trainvp checkpoint-info FILE`: checks FILE and prints describe_checkpoint() to stdout; returns 0.
// UserError for a bad file or command line.
int checkpoint_info_command(int argc, char* argv[]);

// A hash as 16 hex digits.
std::string hash_text(uint64_t v);

}  // namespace trainvp
