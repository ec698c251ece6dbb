// Scenario configuration: keys bound to struct fields, errors naming file/line/key, --set overrides.
#include <catch2/catch.hpp>
#include <sstream>

#include "common/error.h"
#include "config_schema.h"
#include "platform_config.h"

using trainvp::ConfigSchema;
using trainvp::PlatformConfig;
using trainvp::UserError;

namespace {

PlatformConfig load(const std::string& yaml, const std::vector<std::string>& sets = {}) {
    YAML::Node root = YAML::Load(yaml);
    for (const auto& s : sets) trainvp::apply_override(root, s);
    PlatformConfig cfg;
    ConfigSchema schema;
    trainvp::register_platform_keys(schema, cfg);
    schema.apply(root, "scn.yaml");
    cfg.validate();
    return cfg;
}

std::string error_of(const std::string& yaml, const std::vector<std::string>& sets = {}) {
    try {
        load(yaml, sets);
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("scenario values reach the config structs") {
    const PlatformConfig cfg = load(
        "cpu:\n  clock_hz: 250e6\n  cycles:\n    div: 20\nram:\n  size: 64MiB\n  read_latency_ns: 7.5\n"
        "bus: {hop_latency_ns: 3}\nfirmware: fw.elf\n");
    CHECK(cfg.cpu.clock_hz == 250e6);
    CHECK(cfg.cpu.cycles.div == 20u);
    CHECK(cfg.ram.size_bytes == 64ull << 20);
    CHECK(cfg.ram.read_latency_ns == 7.5);
    CHECK(cfg.bus.hop_latency_ns == 3.0);
    CHECK(cfg.firmware == "fw.elf");
    // Untouched keys keep their defaults.
    CHECK(cfg.cpu.cycles.alu == PlatformConfig{}.cpu.cycles.alu);
}

TEST_CASE("an unknown key names file, line and key, with a suggestion") {
    const std::string msg = error_of("cpu:\n  clock_hz: 1e8\n  clok_hz: 5\n");
    CHECK(msg == "scn.yaml:3: key 'cpu.clok_hz': unknown key (did you mean 'cpu.clock_hz'?)");
    CHECK(error_of("gpu: 1\n").find("scn.yaml:1: key 'gpu': unknown key") == 0);
}

TEST_CASE("wrong types are errors naming the key") {
    CHECK(error_of("cpu:\n  clock_hz: fast\n") == "scn.yaml:2: key 'cpu.clock_hz': 'fast' is not a number");
    CHECK(error_of("ram:\n  dmi: maybe\n") == "scn.yaml:2: key 'ram.dmi': 'maybe' is not a boolean (true or false)");
    CHECK(error_of("cpu: 5\n") == "scn.yaml:1: key 'cpu': expected a map of settings");
    CHECK(error_of("ram:\n  size: [1, 2]\n").find("key 'ram.size': expected a single value, found a list") !=
          std::string::npos);
    CHECK(error_of("cpu:\n  cycles:\n    div: -3\n") ==
          "scn.yaml:3: key 'cpu.cycles.div': '-3' is not a non-negative integer");
}

TEST_CASE("out-of-range values are errors naming the key and range") {
    CHECK(error_of("cpu:\n  cycles:\n    mul: 0\n") == "scn.yaml:3: key 'cpu.cycles.mul': 0 is out of range [1, 1000]");
    CHECK(error_of("ram:\n  size: 2GiB\n").find("key 'ram.size': 2GiB is out of range") != std::string::npos);
    CHECK(error_of("ram:\n  size: 12MiBs\n") == "scn.yaml:2: key 'ram.size': '12MiBs' is not a size in bytes");
}

TEST_CASE("set overrides use the same keys and are reported as coming from --set") {
    const PlatformConfig cfg = load("cpu:\n  clock_hz: 1e8\n", {"cpu.clock_hz=3e8", "ram.size=32MiB"});
    CHECK(cfg.cpu.clock_hz == 3e8);
    CHECK(cfg.ram.size_bytes == 32ull << 20);
    CHECK(error_of("{}", {"cpu.clock_hz=abc"}) == "--set: key 'cpu.clock_hz': 'abc' is not a number");
    CHECK(error_of("{}", {"cpu.nope=1"}).find("--set: key 'cpu.nope': unknown key") == 0);
    CHECK_THROWS_AS(load("{}", {"novalue"}), UserError);
    CHECK_THROWS_AS(load("{}", {"a..b=1"}), UserError);
}

TEST_CASE("foreign sections are left to their owners") {
    CHECK_NOTHROW(load("network:\n  preset: lenet5\ntraining: {epochs: 3}\ndata: {kind: mnist}\n"));
}

TEST_CASE("dump-config prints every key and reads back to the same config") {
    PlatformConfig cfg;
    ConfigSchema schema;
    trainvp::register_platform_keys(schema, cfg);
    schema.apply(YAML::Load("cpu: {clock_hz: 123e6}\nram: {size: 96MiB}\nuart: {output: 'out: file.txt'}\n"),
                 "a.yaml");
    std::ostringstream dumped;
    schema.dump(dumped);
    for (const auto& key : schema.keys()) {
        const std::string leaf = key.substr(key.rfind('.') + 1);
        CHECK(dumped.str().find(leaf + ":") != std::string::npos);
    }
    PlatformConfig again;
    ConfigSchema schema2;
    trainvp::register_platform_keys(schema2, again);
    schema2.apply(YAML::Load(dumped.str()), "dumped.yaml");
    CHECK(again.cpu.clock_hz == 123e6);
    CHECK(again.ram.size_bytes == 96ull << 20);
    CHECK(again.uart.output == "out: file.txt");
}

TEST_CASE("durations need units") {
    CHECK(trainvp::parse_duration_s("10ms", "t") == Approx(0.01));
    CHECK(trainvp::parse_duration_s("2 s", "t") == 2.0);
    CHECK_THROWS_WITH(trainvp::parse_duration_s("10", "sim.max_time"),
                      "sim.max_time: '10' needs a unit: s, ms, us, ns, ps or min");
    CHECK_THROWS_AS(trainvp::parse_duration_s("soon", "t"), UserError);
}
