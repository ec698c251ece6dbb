// Scenario configuration: keys bound to struct fields, errors naming file/line/key, --set overrides, one
// range per key shared by the schema and validate(), the YAML checks every scenario gets.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "config_schema.h"
#include "platform.h"
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
    trainvp::check_platform_config(cfg, schema);
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
    // The buffers' geometry is their own (hardware.*_buffer), no longer a timing parameter.
    for (const char* gone : {"buffer_banks", "buffer_bank_width_bytes", "buffer_ports"})
        CHECK(error_of(std::string("hardware:\n  timing:\n    ") + gone + ": 8\n")
                  .find(std::string("scn.yaml:3: key 'hardware.timing.") + gone + "': unknown key") == 0);
}

TEST_CASE("wrong types are errors naming the key") {
    CHECK(error_of("cpu:\n  clock_hz: fast\n") == "scn.yaml:2: key 'cpu.clock_hz': 'fast' is not a number");
    CHECK(error_of("ram:\n  dmi: maybe\n") ==
          "scn.yaml:2: key 'ram.dmi': 'maybe' is not a boolean (true or false)");
    CHECK(error_of("cpu: 5\n") == "scn.yaml:1: key 'cpu': expected a map of settings");
    CHECK(error_of("ram:\n  size: [1, 2]\n").find("key 'ram.size': expected a single value, found a list") !=
          std::string::npos);
    CHECK(error_of("cpu:\n  cycles:\n    div: -3\n") ==
          "scn.yaml:3: key 'cpu.cycles.div': '-3' is not a non-negative integer");
}

TEST_CASE("out-of-range values are errors naming the key and range") {
    CHECK(error_of("cpu:\n  cycles:\n    mul: 0\n") ==
          "scn.yaml:3: key 'cpu.cycles.mul': 0 is out of range [1, 1000]");
    CHECK(error_of("cpu:\n  hart_id: 99999999999999999999\n") ==
          "scn.yaml:2: key 'cpu.hart_id': 99999999999999999999 is out of range [0, 4294967295]");
    CHECK(error_of("ram:\n  size: 2GiB\n").find("key 'ram.size': 2GiB is out of range") != std::string::npos);
    CHECK(error_of("ram:\n  size: 12MiBs\n") ==
          "scn.yaml:2: key 'ram.size': '12MiBs' is not a size in bytes");
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

namespace {

std::string write_file(const std::string& name, const std::string& text) {
    const auto dir = std::filesystem::temp_directory_path() / ("trainvp_config_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const auto path = dir / name;
    std::ofstream(path) << text;
    return path.string();
}

std::string load_error(const std::string& text) {
    try {
        trainvp::load_yaml_file(write_file("s.yaml", text));
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

std::string override_error(const std::string& yaml, const std::string& assignment) {
    YAML::Node root = YAML::Load(yaml);
    try {
        trainvp::apply_override(root, assignment);
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

// Every numeric key at its limits and one past them: each limit must either run through the whole setup
// (the schema, every validate(), the Platform's constructors) or be refused with the key's name; one past a
// limit must be refused by the schema with the key's name. A value the schema takes must never fail later.
TEST_CASE("every key's range: the limits pass the whole setup, one past them is refused with the key") {
    PlatformConfig defaults;
    ConfigSchema probe;
    trainvp::register_platform_keys(probe, defaults);
    const auto ranges = probe.ranges();
    REQUIRE(ranges.size() > 40);
    int platforms = 0;
    for (const auto& r : ranges) {
        for (const std::string& value : {r.min, r.max}) {
            INFO(r.key << "=" << value);
            PlatformConfig cfg;
            ConfigSchema schema;
            trainvp::register_platform_keys(schema, cfg);
            YAML::Node root = YAML::Load("{}");
            trainvp::apply_override(root, r.key + "=" + value);
            try {
                schema.apply(root, "scn.yaml");
                trainvp::check_platform_config(cfg, schema);
            } catch (const UserError& e) {
                CHECK_THAT(e.what(), Catch::StartsWith("--set: key '" + r.key + "'"));
                continue;
            }
            CHECK_NOTHROW(trainvp::Platform(("soc" + std::to_string(platforms++)).c_str(), cfg));
            CHECK(sc_core::sc_time(cfg.sim.quantum_ns, sc_core::SC_NS) > sc_core::SC_ZERO_TIME);
        }
        for (const std::string& value : {r.below_min, r.above_max}) {
            if (value.empty()) continue;
            INFO(r.key << "=" << value);
            CHECK_THAT(error_of("{}", {r.key + "=" + value}),
                       Catch::StartsWith("--set: key '" + r.key + "': " + value + " is out of range"));
        }
    }
    CHECK(platforms > 2 * 40);
}

TEST_CASE("rules beyond ranges are reported against the key, its line and where the value came from") {
    // The field the scenario set is blamed, not a default it conflicts with.
    CHECK(error_of("name: x\nhardware:\n  weight_buffer: {banks: 3}\n") ==
          "scn.yaml:3: key 'hardware.weight_buffer.banks': capacity 131072 B is not a multiple of banks x "
          "word_bytes = 3 x 8 = 24 B");
    CHECK(error_of("hardware:\n  weight_buffer:\n    size: 300\n") ==
          "scn.yaml:3: key 'hardware.weight_buffer.size': capacity 300 B is not a multiple of banks x "
          "word_bytes = 4 x 8 = 32 B");
    CHECK(error_of("hardware:\n  dma:\n    burst_bytes: 3000\n") ==
          "scn.yaml:3: key 'hardware.dma.burst_bytes': must be a power of two, got 3000");
    // A --set over the file's line: the change just made is the likeliest mistake.
    CHECK(error_of("hardware:\n  weight_buffer: {size: 128KiB}\n", {"hardware.weight_buffer.banks=3"}) ==
          "--set: key 'hardware.weight_buffer.banks': capacity 131072 B is not a multiple of banks x "
          "word_bytes = "
          "3 x 8 = 24 B");
    CHECK(error_of("{}", {"hardware.activation_buffer.word_bytes=3"}) ==
          "--set: key 'hardware.activation_buffer.word_bytes': must be a power of two, got 3");
    CHECK(error_of("hardware:\n  interconnect: {width_bytes: 48}\n") ==
          "scn.yaml:2: key 'hardware.interconnect.width_bytes': must be a power of two, got 48");
    CHECK(error_of("clint: {timebase_hz: 1.5}\n") ==
          "scn.yaml:1: key 'clint.timebase_hz': must be a whole number of Hz, got 1.5");
    CHECK(error_of("ram: {size: 20000000}\n") ==
          "scn.yaml:1: key 'ram.size': 20000000 B is not a whole number of 4 KiB pages");
    // What the two layers disagreed on before: the schema's ranges are the structs' own.
    CHECK_THAT(
        error_of("{}", {"hardware.weight_buffer.size=64"}),
        Catch::StartsWith("--set: key 'hardware.weight_buffer.size': 64 is out of range [256, 64MiB]"));
    CHECK_THAT(error_of("{}", {"hardware.dma.burst_bytes=8192"}),
               Catch::StartsWith("--set: key 'hardware.dma.burst_bytes': 8192 is out of range [4, 4096]"));
}

TEST_CASE("validate() names the struct field for programs that build a config by hand") {
    trainvp::AcceleratorConfig a;
    a.weight_buffer.word_bytes = 3;
    CHECK_THROWS_WITH(a.validate(), "accelerator.weight_buffer.word_bytes: must be a power of two, got 3");
    a = trainvp::AcceleratorConfig{};
    a.weight_buffer.capacity_bytes = 64;
    CHECK_THROWS_WITH(a.validate(),
                      "accelerator.weight_buffer.capacity_bytes: must be in [256, 67108864], got 64");
    a = trainvp::AcceleratorConfig{};
    a.timing.vector_ops_per_column = 0;
    CHECK_THROWS_WITH(a.validate(),
                      "accelerator.timing.vector_ops_per_column: must be in [1, 1048576], got 0");
    a = trainvp::AcceleratorConfig{};
    a.interconnect.width_bytes = 48;
    CHECK_THROWS_WITH(a.validate(), "accelerator.interconnect.width_bytes: must be a power of two, got 48");
    PlatformConfig p;
    p.ram.size_bytes = 12345;
    CHECK_THROWS_AS(p.validate(), std::invalid_argument);
}

TEST_CASE("sim.max_time and --max-sim-time stop at what SystemC time can count") {
    CHECK_THAT(
        error_of("sim: {max_time: 99999999999999999999999s}\n"),
        Catch::StartsWith("scn.yaml:1: key 'sim.max_time': '99999999999999999999999s': longer than "
                          "SystemC time can count: at most 18446744 s (2^64 - 1 steps of the 1 ps time "
                          "resolution"));
    CHECK_THAT(error_of("sim: {max_time: 0.1ps}\n"),
               Catch::Contains("shorter than the 1 ps time resolution"));
    CHECK_THAT(error_of("sim: {max_time: 10}\n"), Catch::Contains("'10': needs a unit"));
    PlatformConfig cfg;
    ConfigSchema schema;
    trainvp::register_platform_keys(schema, cfg);
    schema.apply(YAML::Load("sim: {max_time: 1s}"), "scn.yaml");
    cfg.sim.max_time = "5000000min";
    schema.set_origin("sim.max_time", "--max-sim-time");
    CHECK_THROWS_WITH(
        trainvp::check_platform_config(cfg, schema),
        Catch::StartsWith("--max-sim-time: key 'sim.max_time': '5000000min': longer than SystemC"));
    cfg.sim.max_time = "200days";
    CHECK_THROWS_WITH(trainvp::check_platform_config(cfg, schema), Catch::Contains("needs a unit"));
    cfg.sim.max_time = "18446744s";
    CHECK(cfg.sim.max_time_s() == 18446744.0);
}

TEST_CASE("a top-level typo gets a suggestion, sections included") {
    CHECK(error_of("trainng: {epochs: 1}\n") ==
          "scn.yaml:1: key 'trainng': unknown key (did you mean 'training'?)");
    CHECK(error_of("hardwar:\n  clock_hz: 1e9\n") ==
          "scn.yaml:1: key 'hardwar': unknown key (did you mean 'hardware'?)");
    CHECK(error_of("hardware:\n  dmaa: {burst_bytes: 64}\n") ==
          "scn.yaml:2: key 'hardware.dmaa': unknown key (did you mean 'hardware.dma'?)");
}

TEST_CASE("scenario files: empty, not a map, or a key given twice anywhere in the tree") {
    CHECK_THAT(load_error(""), Catch::EndsWith("s.yaml: the scenario is empty: it has no settings (see "
                                               "docs/getting-started.md \"Scenarios\")"));
    CHECK_THAT(load_error("# only a comment\n"), Catch::Contains("the scenario is empty"));
    CHECK_THAT(load_error("- a\n- b\n"), Catch::Contains("s.yaml:1: the scenario must be a map of settings"));
    CHECK_THAT(load_error("cpu:\n  clock_hz: 1e8\n  clock_hz: 2e8\n"),
               Catch::EndsWith(
                   "s.yaml:3: key 'cpu.clock_hz': given twice (first at line 2); each key may appear once"));
    CHECK_THAT(load_error("name: a\nname: b\n"), Catch::Contains("s.yaml:2: key 'name': given twice"));
    CHECK_THAT(load_error("network:\n  layers:\n    - {type: fc}\n    - {type: fc, out: 2, out: 3}\n"),
               Catch::Contains("s.yaml:4: key 'network.layers.1.out': given twice (first at line 4)"));
    CHECK_THAT(load_error("training: {epochs: 1}\ntraining: {epochs: 2}\n"),
               Catch::Contains("s.yaml:2: key 'training': given twice"));
    CHECK(load_error("cpu: {clock_hz: 1e8}\nram: {size: 64MiB}\n").empty());
}

TEST_CASE("list indices in --set: out of range, negative and not numeric are --set errors naming the key") {
    const std::string layers = "network:\n  preset_free: 1\n  layers: [{type: fc, out: 2}, {type: relu}]\n";
    CHECK(override_error(layers, "network.layers.99999999999999999999.kernel=3") ==
          "--set: key 'network.layers.99999999999999999999.kernel': index 99999999999999999999 is past the "
          "end of "
          "the list 'network.layers' (2 elements, indices 0..1); a list cannot grow by --set: give the whole "
          "list, "
          "e.g. --set 'network.layers=[...]'");
    CHECK(override_error(layers, "network.layers.2.out=3").find("index 2 is past the end") !=
          std::string::npos);
    CHECK(override_error(layers, "network.layers.-1.kernel=3") ==
          "--set: key 'network.layers.-1.kernel': '-1' is not an index of the list 'network.layers' (2 "
          "elements, "
          "indices 0..1)");
    CHECK(override_error(layers, "network.layers.x=3") ==
          "--set: key 'network.layers.x': 'x' is not an index of the list 'network.layers' (2 elements, "
          "indices "
          "0..1)");
    CHECK(override_error(layers, "network.layers.0.out.x=3") ==
          "--set: key 'network.layers.0.out.x': 'network.layers.0.out' is a single value, not a section");
    CHECK(override_error(layers, "network.layers.1.type=fc").empty());
    CHECK(override_error(layers, "network.layers=[{type: fc, type: relu}]") ==
          "--set: key 'network.layers': invalid value '[{type: fc, type: relu}]': key "
          "'network.layers.0.type' is "
          "given twice");
    // A preset's layers are not in the file: say so, and how to change one.
    CHECK(
        override_error("network: {preset: lenet5}\n", "network.layers.0.kernel=3") ==
        "--set: key 'network.layers.0.kernel': 'network.layers' is not a list in the scenario, so it has no "
        "element 0: the scenario uses network.preset lenet5, whose layers are not written in the file. To "
        "change "
        "one, write them out with `trainvp run SCENARIO --dump-config > full.yaml` and use full.yaml");
    CHECK_THAT(override_error("{}", "network.layers.0.kernel=3"),
               Catch::EndsWith("'network.layers' is not a list in the scenario, so it has no element 0"));
}

TEST_CASE("values from a flow --set value are reported as --set, not as a line of the file") {
    PlatformConfig cfg;
    ConfigSchema schema;
    trainvp::register_platform_keys(schema, cfg);
    YAML::Node root = YAML::Load("name: x\n");
    trainvp::apply_override(root, "cpu={clock_hz: fast}");
    CHECK_THROWS_WITH(schema.apply(root, "scn.yaml"), "--set: key 'cpu.clock_hz': 'fast' is not a number");
}

TEST_CASE("the resolved configuration as JSON: the dump's keys and values, typed") {
    PlatformConfig cfg;
    ConfigSchema schema;
    trainvp::register_platform_keys(schema, cfg);
    schema.apply(YAML::Load("name: j\ncpu: {clock_hz: 123e6}\nhardware: {weight_buffer: {size: 64KiB}}\n"),
                 "a.yaml");
    const nlohmann::json j = schema.to_json();
    CHECK(j["name"] == "j");
    CHECK(j["cpu"]["clock_hz"] == 123e6);
    CHECK(j["cpu"]["dmi"] == true);
    CHECK(j["hardware"]["weight_buffer"]["size"] == 65536);
    CHECK(j["hardware"]["array"]["dataflow"] == "os");
    CHECK(j["hardware"]["timing"]["gemm_setup_cycles"] == 4);
    // Every key of the dump is in the JSON, with the same value.
    std::ostringstream dumped;
    schema.dump(dumped);
    const YAML::Node back = YAML::Load(dumped.str());
    for (const auto& key : schema.keys()) {
        INFO(key);
        const nlohmann::json* v = &j;
        YAML::Node y = back;
        std::stringstream ss(key);
        for (std::string part; std::getline(ss, part, '.');) {
            REQUIRE(v->contains(part));
            v = &(*v)[part];
            y.reset(y[part]);
        }
        REQUIRE(y.IsScalar());
        if (v->is_string())
            CHECK(y.Scalar() == v->get<std::string>());
        else if (v->is_boolean())
            CHECK(y.as<bool>() == v->get<bool>());
        else if (key.size() > 5 && key.compare(key.size() - 5, 5, ".size") == 0)
            CHECK(y.Scalar() == trainvp::size_text(v->get<uint64_t>()));
        else
            CHECK(y.as<double>() == v->get<double>());
    }
}

TEST_CASE("where a key's value came from") {
    PlatformConfig cfg;
    ConfigSchema schema;
    trainvp::register_platform_keys(schema, cfg);
    YAML::Node root = YAML::Load("name: x\ncpu:\n  clock_hz: 1e8\n");
    trainvp::apply_override(root, "ram.size=32MiB");
    schema.apply(root, "w.yaml");
    CHECK(schema.location("cpu.clock_hz") == "w.yaml:3");
    CHECK(schema.location("ram.size") == "--set");
    CHECK(schema.location("bus.hop_latency_ns") == "w.yaml");
    CHECK(schema.was_set("cpu.clock_hz"));
    CHECK_FALSE(schema.was_set("bus.hop_latency_ns"));
    CHECK(schema.key_of(&cfg.accel.dma.burst_bytes) == "hardware.dma.burst_bytes");
    CHECK(schema.key_of(&cfg.accel.dram_size).empty());
}
