// The checkpoint container (platform/checkpoint_file.h) and what makes a checkpoint valid for a run
// (checkpoint_identity.h): round trip, every truncation and every corrupted byte refused with a reason,
// atomic writes, identity refusals, the command-line options, and the state-image primitives.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "checkpoint_file.h"
#include "checkpoint_identity.h"
#include "common/error.h"
#include "common/state_io.h"
#include "config_schema.h"
#include "platform_config.h"
#include "training_config.h"

using namespace trainvp;
namespace fs = std::filesystem;

namespace {

Checkpoint sample() {
    Checkpoint ck;
    ck.identity.kind = CheckpointKind::run;
    ck.identity.config_hash = 0x1111222233334444ull;
    ck.identity.firmware_hash = 0x5555666677778888ull;
    ck.identity.dataset_hash = 0x99990000aaaabbbbull;
    ck.identity.job_version = 1;
    ck.identity.job_bytes = 3744;
    ck.identity.results_bytes = 8224;
    const std::string meta = "scenario: quick\nsteps_done: 12\n";
    ck.add("meta", std::vector<uint8_t>(meta.begin(), meta.end()));
    ck.add("empty", {});
    std::vector<uint8_t> data(97);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 37 + 5);
    ck.add("data", data);
    return ck;
}

std::string message_of(const std::vector<uint8_t>& bytes) {
    try {
        decode_checkpoint(bytes, "ck.bin");
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

// A fresh directory under the build tree's working directory.
fs::path scratch_dir(const std::string& name) {
    const fs::path dir = fs::current_path() / ("checkpoint-test-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

}  // namespace

TEST_CASE("a checkpoint survives encoding and decoding unchanged", "[checkpoint]") {
    const Checkpoint ck = sample();
    const std::vector<uint8_t> bytes = encode_checkpoint(ck);
    const Checkpoint back = decode_checkpoint(bytes, "ck.bin");
    CHECK(back.identity.kind == ck.identity.kind);
    CHECK(back.identity.config_hash == ck.identity.config_hash);
    CHECK(back.identity.firmware_hash == ck.identity.firmware_hash);
    CHECK(back.identity.dataset_hash == ck.identity.dataset_hash);
    CHECK(back.identity.job_version == 1);
    CHECK(back.identity.job_bytes == 3744);
    CHECK(back.identity.results_bytes == 8224);
    REQUIRE(back.sections.size() == 3);
    for (size_t i = 0; i < 3; ++i) {
        CHECK(back.sections[i].name == ck.sections[i].name);
        CHECK(back.sections[i].data == ck.sections[i].data);
    }
    CHECK(checkpoint_meta_value(back, "steps_done") == "12");
    CHECK(checkpoint_meta_value(back, "absent") == "");
    CHECK_THROWS_WITH(back.section("cpu", "ck.bin"), "ck.bin: checkpoint has no section 'cpu'");
    CHECK(encode_checkpoint(back) == bytes);  // deterministic: same content, same bytes
}

TEST_CASE("a checkpoint cut short at any byte is refused as truncated", "[checkpoint]") {
    const std::vector<uint8_t> bytes = encode_checkpoint(sample());
    CHECK(message_of({}) == "ck.bin: empty file, not a TrainVP checkpoint");
    for (size_t n = 1; n < bytes.size(); ++n) {
        INFO("first " << n << " of " << bytes.size() << " bytes");
        const std::string m = message_of(std::vector<uint8_t>(bytes.begin(), bytes.begin() + n));
        CHECK_THAT(m, Catch::StartsWith("ck.bin: truncated at byte " + std::to_string(n) + " of "));
        if (n >= kCheckpointHeaderBytes + 8)
            CHECK_THAT(m, Catch::EndsWith(" of " + std::to_string(bytes.size())));
    }
    CHECK(message_of(bytes).empty());
}

TEST_CASE("a checkpoint with any one byte changed is refused", "[checkpoint]") {
    const std::vector<uint8_t> bytes = encode_checkpoint(sample());
    for (size_t i = 0; i < bytes.size(); ++i) {
        std::vector<uint8_t> bad = bytes;
        bad[i] ^= 0x40;
        INFO("byte " << i);
        const std::string m = message_of(bad);
        REQUIRE_FALSE(m.empty());
        if (i < 8) {
            CHECK(m == "ck.bin: not a TrainVP checkpoint (no TVPCKPT magic)");
        } else if (i < 12) {
            CHECK_THAT(m, Catch::Contains("checkpoint format version"));
        } else if (i >= 16 && i < 24) {  // the size field
            CHECK((m.find("truncated") != std::string::npos || m.find("after the end") != std::string::npos));
        } else {
            CHECK(m == "ck.bin: checksum mismatch: the file is damaged");
        }
    }
    std::vector<uint8_t> longer = bytes;
    longer.push_back(0);
    CHECK_THAT(message_of(longer), Catch::Contains("1 bytes after the end"));
    CHECK(message_of({'#', '!', '/', 'b', 'i', 'n'}) ==
          "ck.bin: not a TrainVP checkpoint (no TVPCKPT magic)");
}

TEST_CASE("checkpoints are written atomically and read back", "[checkpoint]") {
    const fs::path dir = scratch_dir("write");
    const std::string path = (dir / "ck.bin").string();
    Checkpoint ck = sample();
    const uint64_t bytes = write_checkpoint(path, ck);
    CHECK(bytes == fs::file_size(path));
    CHECK(read_checkpoint(path).sections.size() == 3);
    ck.slot("data").assign(5, 0xee);  // reused buffer: replaced in place
    REQUIRE(ck.sections.size() == 3);
    write_checkpoint(path, ck);
    CHECK(read_checkpoint(path).section("data", path) == std::vector<uint8_t>(5, 0xee));
    CHECK_FALSE(fs::exists(path + ".tmp"));
    size_t files = 0;
    for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
    CHECK(files == 1);

    CHECK_THROWS_WITH(write_checkpoint((dir / "no" / "ck.bin").string(), ck),
                      Catch::Contains("cannot write checkpoint"));
    CHECK_THROWS_WITH(read_checkpoint((dir / "missing.bin").string()),
                      Catch::Contains("cannot read checkpoint"));
    CHECK_THROWS_WITH(read_checkpoint(dir.string()), Catch::Contains("is a directory"));
    fs::remove_all(dir);
}

TEST_CASE("a checkpoint made for something else is refused with the difference", "[checkpoint]") {
    const Checkpoint ck = sample();
    const CheckpointIdentity mine = ck.identity;
    REQUIRE_NOTHROW(check_identity(ck, mine, "ck.bin", "quick"));

    CheckpointIdentity other = mine;
    other.kind = CheckpointKind::golden;
    CHECK_THROWS_WITH(
        check_identity(ck, other, "ck.bin", "quick"),
        "ck.bin: a run checkpoint (from trainvp run); trainvp golden resumes only from a golden "
        "checkpoint (from trainvp golden)");
    other = mine;
    other.config_hash ^= 1;
    CHECK_THROWS_WITH(
        check_identity(ck, other, "ck.bin", "mine"),
        "ck.bin: made for scenario 'quick' (config hash 1111222233334444), this run's is 'mine' "
        "(config hash 1111222233334445): the scenario or its --set options differ");
    other = mine;
    other.firmware_hash = 7;
    CHECK_THROWS_WITH(check_identity(ck, other, "ck.bin", "quick"),
                      Catch::Contains("made by another firmware build"));
    other = mine;
    other.job_bytes = 4000;
    CHECK_THROWS_WITH(check_identity(ck, other, "ck.bin", "quick"),
                      Catch::Contains("made with another job layout"));
    other = mine;
    other.dataset_hash = 0;
    CHECK_THROWS_WITH(check_identity(ck, other, "ck.bin", "quick"),
                      Catch::Contains("made with other training or test data"));
}

TEST_CASE("checkpoint options are checked before any work", "[checkpoint]") {
    CHECK(parse_checkpoint_every("epoch").epoch);
    CHECK(parse_checkpoint_every("25").steps == 25);
    CHECK_FALSE(parse_checkpoint_every("25").epoch);
    for (const char* bad : {"0", "", "-3", "3x", "epochs", "1e3", "99999999999"})
        CHECK_THROWS_WITH(parse_checkpoint_every(bad),
                          Catch::Contains("expected 'epoch' or a number of steps"));
    CHECK_THROWS_WITH(checkpoint_options("", "5", ""), "--checkpoint-every needs --checkpoint FILE");
    CHECK(checkpoint_options("", "", "ck.bin").resume_path == "ck.bin");
    CHECK(checkpoint_options("ck.bin", "", "").every.epoch);

    const fs::path dir = scratch_dir("options");
    CHECK_NOTHROW(check_checkpoint_path((dir / "ck.bin").string()));
    CHECK_THROWS_WITH(check_checkpoint_path((dir / "nope" / "ck.bin").string()),
                      Catch::Contains("does not exist"));
    CHECK_THROWS_WITH(check_checkpoint_path(dir.string()), Catch::Contains("is a directory"));
    fs::remove_all(dir);
}

TEST_CASE("the config hash ignores only the keys that do not change results", "[checkpoint]") {
    auto hash_of = [](const std::string& yaml) {
        PlatformConfig cfg;
        ConfigSchema schema;
        register_platform_keys(schema, cfg);
        const YAML::Node root = YAML::Load(yaml);
        schema.apply(root, "test.yaml");
        const TrainingScenario sc = parse_training_scenario(root, "test.yaml");
        return run_config_hash(schema, sc);
    };
    const std::string base =
        "name: a\nnetwork: {preset: lenet5}\ntraining: {epochs: 2, lr: 0.1}\ndata: {dir: d}\n";
    const uint64_t h = hash_of(base);
    CHECK(hash_of(base + "description: other words\n") == h);
    CHECK(hash_of("name: b\nnetwork: {preset: lenet5}\ntraining: {epochs: 2, lr: 0.1}\ndata: {dir: d}\n") ==
          h);
    CHECK(hash_of(base + "uart: {output: console.txt}\nsim: {max_time: 3s}\nfirmware: x.elf\n") == h);
    CHECK(hash_of("name: a\nnetwork: {preset: lenet5}\ntraining: {epochs: 2, lr: 1e-1}\ndata: {dir: e}\n") ==
          h);
    CHECK(hash_of(base + "cpu: {clock_hz: 2e8}\n") != h);
    CHECK(hash_of(base + "sim: {quantum_ns: 500}\n") != h);
    CHECK(hash_of("name: a\nnetwork: {preset: lenet5}\ntraining: {epochs: 2, lr: 0.05}\ndata: {dir: d}\n") !=
          h);
    CHECK(hash_of("name: a\nnetwork: {preset: lenet5}\ntraining: {epochs: 3, lr: 0.1}\ndata: {dir: d}\n") !=
          h);
    CHECK(hash_of(
              "name: a\nnetwork: {preset: lenet5, formats: {weights: fx12}}\ntraining: {epochs: 2, lr: 0.1}\n"
              "data: {dir: d}\n") != h);
    CHECK(hash_of("name: a\nnetwork: {preset: lenet5}\ntraining: {epochs: 2, lr: 0.1}\n"
                  "data: {dir: d, train_limit: 100}\n") != h);
}

TEST_CASE("the firmware hash covers the loaded image only", "[checkpoint]") {
    ElfImage image;
    image.entry = 0x80000000u;
    ElfSegment seg;
    seg.paddr = 0x80000000u;
    seg.data = {1, 2, 3, 4};
    seg.mem_size = 64;
    image.segments.push_back(seg);
    const uint64_t h = firmware_hash(image);
    image.symbols["main"] = 0x80000010u;  // symbols (and any section not loaded) do not count
    CHECK(firmware_hash(image) == h);
    image.segments[0].data[2] = 9;
    CHECK(firmware_hash(image) != h);
    image.segments[0].data[2] = 3;
    image.segments[0].mem_size = 128;
    CHECK(firmware_hash(image) != h);
    image.segments[0].mem_size = 64;
    image.entry += 4;
    CHECK(firmware_hash(image) != h);
}

TEST_CASE("hash64 fed in pieces equals hash64 of the whole", "[checkpoint]") {
    std::mt19937 rng(7);
    std::vector<uint8_t> data(1000);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    for (int trial = 0; trial < 200; ++trial) {
        Hash64 h;
        size_t at = 0;
        while (at < data.size()) {
            const size_t n = std::min<size_t>(rng() % 23, data.size() - at);
            h.update(data.data() + at, n);
            at += n;
        }
        CHECK(h.digest() == hash64(data.data(), data.size()));
    }
    CHECK(hash64(data.data(), 999) != hash64(data.data(), 1000));
    std::vector<uint8_t> zeros(16, 0);
    CHECK(hash64(zeros.data(), 8) != hash64(zeros.data(), 16));  // the length counts
}

TEST_CASE("state readers refuse short and overlong images", "[checkpoint]") {
    StateWriter w;
    w.u32(7);
    w.str("abc");
    w.vec(std::vector<float>{1.0f, 2.0f});
    StateReader r(w.data(), "section 'x'");
    CHECK(r.u32() == 7);
    CHECK(r.str() == "abc");
    std::vector<float> v;
    CHECK_THROWS_WITH(r.vec_into(v, 3, "w"), "section 'x': w holds 2 values, expected 3");

    StateReader s(w.data().data(), 6, "section 'x'");
    s.u32();
    CHECK_THROWS_WITH(s.u64(), "section 'x': ends at byte 6, 8 more needed at byte 4");
    StateWriter big;
    big.u64(1ull << 40);  // a count far beyond the image
    StateReader c(big.data(), "section 'y'");
    CHECK_THROWS_WITH(c.count(4), Catch::Contains("runs past the end"));
    StateReader leftover(w.data(), "section 'z'");
    leftover.u32();
    CHECK_THROWS_WITH(leftover.expect_end(), Catch::Contains("bytes left over"));
}
