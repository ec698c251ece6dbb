#include "run_command.h"

#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <systemc>
#include <tlm>

#include <memory>
#include <sstream>
#include "checkpoint_identity.h"
#include "common/error.h"
#include "common/log.h"
#include "cpu/insn_tracer.h"
#include "golden.h"
#include "host_services.h"
#include "kernels/weights_io.h"
#include "mem/elf_loader.h"
#include "platform.h"
#include "platform_config.h"
#include "run_checkpoint.h"
#include "run_report.h"
#include "train_run.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace trainvp {
namespace {

fs::path executable_dir() {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : self.parent_path();
}

// Relative firmware paths in a scenario are tried against the scenario's directory, then the build tree
// that holds this executable, so scenarios can name firmware as "sw/apps/hello.elf".
std::string resolve_firmware(const std::string& firmware, const std::string& scenario_path) {
    const fs::path fw(firmware);
    if (fw.is_absolute()) return firmware;
    const fs::path candidates[] = {fs::path(scenario_path).parent_path() / fw, executable_dir() / fw};
    for (const auto& c : candidates)
        if (fs::is_regular_file(c)) return c.lexically_normal().string();
    throw UserError(scenario_path + ": firmware '" + firmware + "' not found (looked in " +
                    candidates[0].lexically_normal().string() + " and " +
                    candidates[1].lexically_normal().string() + ")");
}

// Parses `trainvp COMMAND SCENARIO.yaml [options]`. Returns false after printing --help; throws po::error
// for bad options or a missing scenario.
bool parse_command_line(int argc, char* argv[], const po::options_description& opts,
                        const std::string& command, po::variables_map& vm) {
    po::options_description hidden;
    hidden.add_options()("scenario", po::value<std::string>());
    po::options_description all;
    all.add(opts).add(hidden);
    po::positional_options_description pos;
    pos.add("scenario", 1);
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
        std::cout << "usage: trainvp " << command << " SCENARIO.yaml [options]\n\n" << opts << "\n";
        return false;
    }
    if (!vm.count("scenario")) throw po::error(command + ": missing SCENARIO.yaml");
    return true;
}

std::vector<std::string> overrides(const po::variables_map& vm) {
    return vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
}

// --checkpoint, --checkpoint-every and --resume, shared by run and golden (checkpoint_file.h).
void add_checkpoint_options(po::options_description& opts) {
    // clang-format off
    opts.add_options()
        ("checkpoint", po::value<std::string>()->value_name("FILE"),
         "training: save everything the run needs to continue to FILE (atomically) at --checkpoint-every")
        ("checkpoint-every", po::value<std::string>()->value_name("N|epoch"),
         "training: checkpoint after every N SGD steps, or after each epoch's test pass (default: epoch)")
        ("resume", po::value<std::string>()->value_name("FILE"),
         "training: continue from checkpoint FILE (same scenario, firmware and options otherwise)");
    // clang-format on
}

CheckpointOptions checkpoint_options_of(const po::variables_map& vm) {
    auto text = [&](const char* key) { return vm.count(key) ? vm[key].as<std::string>() : std::string(); };
    return checkpoint_options(text("checkpoint"), text("checkpoint-every"), text("resume"));
}

bool wants_checkpoints(const po::variables_map& vm) {
    return vm.count("checkpoint") || vm.count("checkpoint-every") || vm.count("resume");
}

}  // namespace

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
    Scenario s{path, load_yaml_file(path)};
    for (const auto& o : overrides) apply_override(s.root, o);
    return s;
}

int run_command(int argc, char* argv[]) {
    po::options_description opts("options");
    std::string log_level_text;
    // clang-format off
    opts.add_options()
        ("help,h", "show this help")
        ("firmware", po::value<std::string>()->value_name("ELF"), "firmware to run (overrides the scenario's)")
        ("set", po::value<std::vector<std::string>>()->value_name("KEY=VALUE")->composing(),
         "override a scenario key, e.g. --set cpu.clock_hz=200e6 (repeatable)")
        ("dump-config", "print the resolved configuration as YAML and exit")
        ("max-sim-time", po::value<std::string>()->value_name("T"), "stop after T of simulated time (e.g. 5s)")
        ("log-level", po::value<std::string>(&log_level_text)->default_value("warning")->value_name("L"),
         "error, warning, info, debug or trace")
        ("trace-insn", po::value<std::string>()->value_name("FILE"),
         "write every executed instruction (pc, bits, mnemonic, register written) to FILE")
        ("semihost-dir", po::value<std::string>()->value_name("DIR"),
         "directory the firmware may use through semihosting file calls (default: no file access)")
        ("semihost-cmdline", po::value<std::string>()->value_name("TEXT"),
         "command line the firmware reads with SYS_GET_CMDLINE (picolibc: argv)")
        ("gdb", po::value<int>()->value_name("PORT"), "wait for GDB on 127.0.0.1:PORT, halted at the entry point")
        ("report", po::value<std::string>()->value_name("FILE"),
         "write a JSON report: exit status, simulated time, CPU and accelerator statistics")
        ("quiet,q", "do not print the end-of-run summary")
        // Training scenarios (platform/train_run.h).
        ("weights", po::value<std::string>()->value_name("FILE"),
         "training: write the final weights to FILE (default final-weights.bin)")
        ("check-golden", "training: also train with the golden model and fail unless the final weights and "
         "per-epoch accuracies are bit-identical")
        ("no-progress", "training: no progress bar or per-epoch lines");
    // clang-format on
    add_checkpoint_options(opts);
    po::variables_map vm;
    if (!parse_command_line(argc, argv, opts, "run", vm)) return 0;

    LogLevel level;
    if (!parse_log_level(log_level_text, level))
        throw UserError("--log-level '" + log_level_text +
                        "': expected error, warning, info, debug or trace");
    set_log_level(level);
    // --- checkpoints (run_checkpoint.h): options checked and the --resume file read before any work ---
    std::unique_ptr<RunCheckpoints> checkpoints;
    if (wants_checkpoints(vm)) {
        if (vm.count("resume") && vm.count("gdb"))
            throw UserError("--resume and --gdb: a resumed run never passes the entry point GDB halts at");
        checkpoints = std::make_unique<RunCheckpoints>(checkpoint_options_of(vm));
    }
    // --- end checkpoints ---

    Scenario scenario = load_scenario(vm["scenario"].as<std::string>(), overrides(vm));

    PlatformConfig cfg;
    ConfigSchema schema;
    register_platform_keys(schema, cfg);
    schema.apply(scenario.root, scenario.path);
    // --- training scenarios (train_run.h): default firmware ---
    const bool training = is_training_scenario(scenario.root);
    if (training && cfg.firmware.empty()) cfg.firmware = kTrainFirmware;
    if (!training && (vm.count("check-golden") || vm.count("weights")))
        throw UserError(scenario.path +
                        ": --check-golden and --weights need a training scenario (a 'network' section)");
    if (!training && checkpoints)
        throw UserError(scenario.path +
                        ": --checkpoint and --resume need a training scenario (a 'network' section)");
    // --- end training ---
    if (vm.count("max-sim-time")) cfg.sim.max_time = vm["max-sim-time"].as<std::string>();
    if (vm.count("firmware")) cfg.firmware = vm["firmware"].as<std::string>();
    cfg.validate();
    const double max_time_s =
        cfg.sim.max_time.empty() ? 0.0 : parse_duration_s(cfg.sim.max_time, "sim.max_time / --max-sim-time");

    if (vm.count("dump-config")) {
        schema.dump(std::cout);
        return 0;
    }

    if (cfg.firmware.empty())
        throw UserError(scenario.path + ": no firmware: set the 'firmware' key or pass --firmware ELF");
    const std::string elf_path =
        vm.count("firmware") ? cfg.firmware : resolve_firmware(cfg.firmware, scenario.path);
    // --- training scenarios: the training description and the datasets, before the platform is built ---
    std::unique_ptr<TrainingRun> train_run;
    if (training) {
        TrainRunOptions topts;
        if (vm.count("weights")) topts.weights_path = vm["weights"].as<std::string>();
        topts.check_golden = vm.count("check-golden") > 0;
        topts.progress = !vm.count("no-progress");
        topts.summary = !vm.count("quiet");
        train_run = std::make_unique<TrainingRun>(scenario.path, scenario.root, topts);
    }
    // --- end training ---
    const ElfImage image = load_elf(elf_path);
    if (checkpoints)
        checkpoints->set_identity(run_config_hash(schema, train_run->scenario()), firmware_hash(image),
                                  cfg.name);

    Platform soc("soc", cfg);
    soc.load_firmware(image, elf_path);
    if (train_run) train_run->prepare(soc);  // training: the job and datasets into DRAM, progress display
    if (checkpoints) checkpoints->attach(soc, train_run->job(), max_time_s);  // --resume: restored here
    tlm::tlm_global_quantum::instance().set(sc_core::sc_time(cfg.sim.quantum_ns, sc_core::SC_NS));

    HostServiceOptions host_opts;
    if (vm.count("semihost-dir")) host_opts.semihost_dir = vm["semihost-dir"].as<std::string>();
    if (vm.count("semihost-cmdline")) host_opts.semihost_cmdline = vm["semihost-cmdline"].as<std::string>();
    if (vm.count("gdb")) {
        host_opts.gdb_port = vm["gdb"].as<int>();
        if (host_opts.gdb_port <= 0 || host_opts.gdb_port > 65535)
            throw UserError("--gdb " + std::to_string(host_opts.gdb_port) + ": a port number is 1..65535");
    }
    GuestExit guest_exit;
    const auto semihosting = attach_semihosting(soc, host_opts, guest_exit);
    const auto tohost = attach_tohost(soc, image, guest_exit);
    const auto gdb = attach_gdb(soc, image, host_opts, guest_exit);

    std::unique_ptr<InsnTracer> tracer;
    if (vm.count("trace-insn"))
        tracer = std::make_unique<InsnTracer>(soc.cpu.core(), vm["trace-insn"].as<std::string>());

    const auto wall_start = std::chrono::steady_clock::now();
    if (max_time_s > 0)
        sc_core::sc_start(sc_core::sc_time(max_time_s, sc_core::SC_SEC));
    else
        sc_core::sc_start();
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    report_repeated_warnings();

    soc.uart0.flush();
    if (train_run) train_run->end_of_simulation();  // training: the last progress output before the summary
    if (tracer) tracer->finish();
    if (!vm.count("quiet")) {
        RunSummary run;
        run.simulated = soc.cpu.current_time();
        run.asleep = soc.cpu.time_asleep();
        run.wall_s = wall_s;
        run.clock_hz = cfg.cpu.clock_hz;
        print_run_summary(stderr, soc.cpu.core().stats(), run);
    }

    // How the run ended: the exit status and the message that goes with it.
    int status = kExitNoExit;
    std::string ended_by = "no activity";
    if (guest_exit.requested) {
        status = guest_exit.code & 0xff;
        ended_by = guest_exit.via;
        if (status != 0)
            std::fprintf(stderr, "trainvp: firmware exited with code %d (%s)\n", status, ended_by.c_str());
    } else if (soc.simctrl.exited()) {
        status = static_cast<int>(soc.simctrl.exit_code() & 0xff);
        ended_by = "simctrl";
        if (status != 0) std::fprintf(stderr, "trainvp: firmware exited with code %d\n", status);
    } else if (!soc.cpu.stuck().empty()) {
        status = kExitCpuStuck;
        ended_by = "cpu stuck";
        std::fprintf(stderr, "trainvp: error: %s\n", soc.cpu.stuck().c_str());
    } else if (max_time_s > 0 && sc_core::sc_time_stamp() >= sc_core::sc_time(max_time_s, sc_core::SC_SEC)) {
        status = kExitTimeLimit;
        ended_by = "time limit";
        std::fprintf(stderr, "trainvp: error: simulated-time limit %s reached before the firmware exited\n",
                     cfg.sim.max_time.c_str());
    } else {
        std::fprintf(stderr,
                     "trainvp: error: the simulation ran out of activity at %s before the firmware exited "
                     "(the CPU sleeps in WFI with no interrupt that could wake it)\n",
                     sc_core::sc_time_stamp().to_string().c_str());
    }

    // --- training: results, weights, summary, --check-golden; report.json by default ---
    if (train_run) status = train_run->finish(soc, status, wall_s);
    if (checkpoints && !vm.count("quiet") && !checkpoints->summary().empty())
        std::fprintf(stderr, "  checkpoints             %s\n", checkpoints->summary().c_str());
    std::string report_path = vm.count("report") ? vm["report"].as<std::string>() : "";
    if (train_run && report_path.empty()) report_path = "report.json";
    // --- end training ---
    if (!report_path.empty()) {
        RunSummary run;
        run.simulated = soc.cpu.current_time();
        run.asleep = soc.cpu.time_asleep();
        run.wall_s = wall_s;
        run.clock_hz = cfg.cpu.clock_hz;
        std::ostringstream resolved;
        schema.dump(resolved);
        nlohmann::json report = {
            {"trainvp", TRAINVP_VERSION},
            {"scenario", {{"path", scenario.path}, {"name", cfg.name}}},
            {"firmware", elf_path},
            {"exit", {{"status", status}, {"ended_by", ended_by}}},
            {"simulated_time_s", run.simulated.to_seconds()},
            {"cpu", cpu_stats_json(soc.cpu.core().stats(), run)},
            {"accelerator", soc.accel.stats_json()},
            {"config", resolved.str()},
            // The only fields that change from run to run of the same inputs.
            {"wall",
             {{"seconds", wall_s},
              {"mips",
               wall_s > 0 ? static_cast<double>(soc.cpu.core().stats().instret) / wall_s / 1e6 : 0.0}}}};
        if (train_run) {  // training
            report["training"] = train_run->report();
            report["wall"].update(train_run->wall_report());
        }
        const std::string text = report.dump(2) + "\n";
        kern::write_file_atomic(report_path, text.data(), text.size());
    }
    return status;
}

int golden_cli(int argc, char* argv[]) {
    po::options_description opts("options");
    // clang-format off
    opts.add_options()
        ("help,h", "show this help")
        ("set", po::value<std::vector<std::string>>()->value_name("KEY=VALUE")->composing(),
         "override a scenario key, e.g. --set training.epochs=2 (repeatable)")
        ("out", po::value<std::string>()->value_name("FILE")->default_value("golden.json"),
         "JSON summary (per-epoch loss and accuracy, speed)")
        ("weights", po::value<std::string>()->value_name("FILE"), "write the final weights to FILE")
        ("no-progress", "no progress line, even on a terminal");
    // clang-format on
    add_checkpoint_options(opts);
    po::variables_map vm;
    if (!parse_command_line(argc, argv, opts, "golden", vm)) return 0;
    std::optional<CheckpointOptions> checkpoints;
    if (wants_checkpoints(vm)) checkpoints = checkpoint_options_of(vm);  // before any work
    const Scenario scenario = load_scenario(vm["scenario"].as<std::string>(), overrides(vm));

    // The platform keys are not used here, but the whole file is checked: a typo anywhere is an error.
    PlatformConfig unused;
    ConfigSchema schema;
    register_platform_keys(schema, unused);
    schema.apply(scenario.root, scenario.path);

    GoldenOptions gopts;
    gopts.json_out = vm["out"].as<std::string>();
    if (vm.count("weights")) gopts.weights_out = vm["weights"].as<std::string>();
    gopts.progress = !vm.count("no-progress");
    gopts.checkpoints = checkpoints;
    return golden_command(scenario.path, scenario.root, gopts);
}

}  // namespace trainvp
