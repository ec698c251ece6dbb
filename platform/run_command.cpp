#include "run_command.h"

#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <systemc>
#include <tlm>

#include "accel/controller.h"
#include "accel/sparse_engine.h"
#include "array_model.h"
#include "checkpoint_identity.h"
#include "common/error.h"
#include "common/log.h"
#include "cpu/insn_tracer.h"
#include "energy_report.h"
#include "golden.h"
#include "host_services.h"
#include "html_report.h"
#include "kernels/weights_io.h"
#include "mem/elf_loader.h"
#include "output_files.h"
#include "platform.h"
#include "platform_config.h"
#include "resolved_config.h"
#include "run_checkpoint.h"
#include "run_interrupt.h"
#include "run_report.h"
#include "sparse_run.h"
#include "trace_recorder.h"
#include "trace_vcd.h"
#include "train_job_check.h"
#include "train_run.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace trainvp {
namespace {

// Relative firmware paths in a scenario are tried against the scenario's directory, then the build tree
// that holds this executable, so scenarios can name firmware as "sw/apps/hello.elf".
std::string resolve_firmware(const std::string& firmware, const std::string& scenario_path) {
    std::string looked_in;
    const std::string found = find_firmware(firmware, scenario_path, &looked_in);
    if (found.empty())
        throw UserError(scenario_path + ": firmware '" + firmware + "' not found (looked in " + looked_in +
                        ")");
    return found;
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

std::string option(const po::variables_map& vm, const char* name) {
    return vm.count(name) ? vm[name].as<std::string>() : std::string();
}

// How long a training run waits for its next step boundary after the first Ctrl-C before it stops at the
// next CPU quantum instead (a step takes well under a second of wall time in the shipped scenarios).
constexpr unsigned kStepBoundaryGraceS = 3;

// ---- Phase 1: every option of `trainvp run`, checked before anything but the command line is read ----

struct RunOptions {
    std::string scenario;
    std::vector<std::string> overrides;
    std::string firmware;                     // --firmware; "" = the scenario's
    std::string max_sim_time;                 // --max-sim-time; "" = the scenario's sim.max_time
    std::string report, weights, trace_insn;  // "" = not given
    std::string html, trace, vcd;             // "" = not given
    TraceWindow window;                       // --trace-window, for --trace and --vcd
    HostServiceOptions host;
    bool dump_config = false, quiet = false, check_golden = false, progress = true;
    std::shared_ptr<RunCheckpoints> checkpoints;  // --checkpoint / --resume (run_checkpoint.h)
};

// Returns false after printing --help. Throws po::error or UserError naming the option.
bool parse_run_options(int argc, char* argv[], RunOptions& o) {
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
         "write a JSON report: exit status, simulated time, CPU and accelerator statistics "
         "(training: default report.json)")
        ("html", po::value<std::string>()->value_name("FILE"),
         "write a self-contained HTML report: loss and accuracy, cycles (and energy) by layer and phase, "
         "the timeline of the first training step")
        ("trace", po::value<std::string>()->value_name("FILE"),
         "write a Chrome/Perfetto trace-event JSON timeline: CPU, controller, DMA, PE array, vector unit, "
         "buffer occupancy")
        ("vcd", po::value<std::string>()->value_name("FILE"),
         "write a VCD waveform of the side-band signals (interrupt lines, accelerator busy, IRQ_STATUS)")
        ("trace-window", po::value<std::string>()->value_name("START:END"),
         "record --trace and --vcd only in this simulated-time window, e.g. 2ms:3ms (either end may be "
         "left out)")
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
    if (!parse_command_line(argc, argv, opts, "run", vm)) return false;

    LogLevel level;
    if (!parse_log_level(log_level_text, level))
        throw UserError("--log-level '" + log_level_text +
                        "': expected error, warning, info, debug or trace");
    set_log_level(level);

    o.scenario = vm["scenario"].as<std::string>();
    o.overrides = overrides(vm);
    o.firmware = option(vm, "firmware");
    o.max_sim_time = option(vm, "max-sim-time");
    o.report = option(vm, "report");
    o.weights = option(vm, "weights");
    o.trace_insn = option(vm, "trace-insn");
    o.html = option(vm, "html");
    o.trace = option(vm, "trace");
    o.vcd = option(vm, "vcd");
    o.host.semihost_dir = option(vm, "semihost-dir");
    o.host.semihost_cmdline = option(vm, "semihost-cmdline");
    o.dump_config = vm.count("dump-config") > 0;
    o.quiet = vm.count("quiet") > 0;
    o.check_golden = vm.count("check-golden") > 0;
    o.progress = !vm.count("no-progress");

    if (vm.count("gdb")) {
        o.host.gdb_port = vm["gdb"].as<int>();
        if (o.host.gdb_port <= 0 || o.host.gdb_port > 65535)
            throw UserError("--gdb " + std::to_string(o.host.gdb_port) + ": a port number is 1..65535");
    }
    if (vm.count("max-sim-time")) parse_duration_s(o.max_sim_time, "--max-sim-time");
    if (vm.count("firmware")) check_input_file("--firmware", o.firmware);
    if (vm.count("semihost-dir")) check_directory("--semihost-dir", o.host.semihost_dir);
    if (vm.count("report")) check_output_file("--report", o.report);
    if (vm.count("weights")) check_output_file("--weights", o.weights);
    if (vm.count("trace-insn")) check_output_file("--trace-insn", o.trace_insn);
    if (vm.count("html")) check_output_file("--html", o.html);
    if (vm.count("trace")) check_output_file("--trace", o.trace);
    if (vm.count("vcd")) check_output_file("--vcd", o.vcd);
    if (vm.count("trace-window")) {
        if (!vm.count("trace") && !vm.count("vcd")) throw UserError("--trace-window: needs --trace or --vcd");
        o.window = parse_trace_window(option(vm, "trace-window"), "--trace-window");
    }
    if (wants_checkpoints(vm)) {  // options checked and the --resume file read before any work
        if (vm.count("resume") && vm.count("gdb"))
            throw UserError("--resume and --gdb: a resumed run never passes the entry point GDB halts at");
        o.checkpoints = std::make_shared<RunCheckpoints>(checkpoint_options_of(vm));
    }
    return true;
}

// ---- Phase 2: the scenario, its configuration and the outputs it implies ----

struct RunSetup {
    Scenario scenario;
    PlatformConfig cfg;
    ConfigSchema schema;  // bound to cfg
    bool training = false;
    bool sparse = false;  // a `sparse` section: the sparse engine trains (sparse_run.h)
    SparseRunConfig sparse_cfg;
    std::unique_ptr<TrainingScenario> training_scenario;  // the network, training and data sections
    std::string elf_path;
    double max_time_s = 0;                  // 0 = no limit
    std::string report_path, weights_path;  // "" = not written
};

// Fills `s`; returns false when --dump-config printed the configuration and the run is over.
bool load_run_setup(const RunOptions& o, RunSetup& s) {
    s.scenario = load_scenario(o.scenario, o.overrides);
    register_platform_keys(s.schema, s.cfg);
    s.sparse = is_sparse_scenario(s.scenario.root);
    if (s.sparse) register_sparse_keys(s.schema, s.sparse_cfg);
    s.schema.apply(s.scenario.root, s.scenario.path);
    s.training = is_training_scenario(s.scenario.root);
    if (s.training && s.sparse)
        throw UserError(s.scenario.path + ": a scenario has a 'network' or a 'sparse' section, not both");
    if ((s.training || s.sparse) && s.cfg.firmware.empty()) s.cfg.firmware = kTrainFirmware;
    if (s.sparse) s.schema.check([&] { s.sparse_cfg.validate(); });
    if (!s.training && !s.sparse && (o.check_golden || !o.weights.empty()))
        throw UserError(s.scenario.path +
                        ": --check-golden and --weights need a training scenario (a 'network' section)");
    if (!s.training && o.checkpoints)
        throw UserError(s.scenario.path +
                        ": --checkpoint and --resume need a training scenario (a 'network' section)");
    if (!o.max_sim_time.empty()) {
        s.cfg.sim.max_time = o.max_sim_time;
        s.schema.set_origin("sim.max_time", "--max-sim-time");
    }
    if (!o.firmware.empty()) {
        s.cfg.firmware = o.firmware;
        s.schema.set_origin("firmware", "--firmware");
    }
    check_platform_config(s.cfg, s.schema);
    s.max_time_s = s.cfg.sim.max_time_s();
    // The dump and the report name the firmware and the data files by absolute path, so that a dump runs from
    // any directory (docs/getting-started.md "--dump-config").
    const std::string found = o.firmware.empty() ? find_firmware(s.cfg.firmware, s.scenario.path)
                              : fs::is_regular_file(o.firmware)
                                  ? fs::absolute(o.firmware).lexically_normal().string()
                                  : "";
    if (!found.empty()) s.cfg.firmware = found;
    // A technology table file, likewise (a built-in name such as 45nm or 28nm is not a file).
    const fs::path tech = fs::path(s.scenario.path).parent_path() / s.cfg.energy.technology;
    if (fs::path(s.cfg.energy.technology).is_relative() && fs::is_regular_file(tech))
        s.cfg.energy.technology = fs::absolute(tech).lexically_normal().string();
    if (s.training)
        s.training_scenario =
            std::make_unique<TrainingScenario>(parse_training_scenario(s.scenario.root, s.scenario.path));

    if (o.dump_config) {
        dump_resolved_config(std::cout, s.schema, s.training_scenario.get());
        return false;
    }

    if (s.cfg.firmware.empty())
        throw UserError(s.scenario.path + ": no firmware: set the 'firmware' key or pass --firmware ELF");
    s.elf_path = o.firmware.empty() ? resolve_firmware(s.cfg.firmware, s.scenario.path) : s.cfg.firmware;

    // The outputs the scenario implies: a training run writes a report and weights by default.
    s.report_path = o.report.empty() && (s.training || s.sparse) ? "report.json" : o.report;
    s.weights_path = o.weights.empty() && s.training ? TrainRunOptions{}.weights_path : o.weights;
    if (o.report.empty() && !s.report_path.empty()) check_output_file("--report", s.report_path);
    if (o.weights.empty() && !s.weights_path.empty()) check_output_file("--weights", s.weights_path);
    const std::string& uart = s.cfg.uart.output;
    if (!uart.empty() && uart != "-") check_output_file(s.scenario.path + ": uart.output", uart);
    return true;
}

// ---- Phase 3: the datasets, the platform and the services attached to it ----

struct BuiltRun {
    std::unique_ptr<TrainingRun> train;
    std::unique_ptr<SparseTrainingRun> sparse;
    ElfImage image;
    std::unique_ptr<Platform> soc;
    GuestExit guest_exit;
    std::unique_ptr<HostService> semihosting, tohost, gdb;
    std::unique_ptr<InsnTracer> tracer;
    std::unique_ptr<TraceRecorder> timeline;  // --trace, --html
    std::unique_ptr<VcdRecorder> vcd;
};

void build(const RunOptions& o, const RunSetup& s, BuiltRun& b) {
    if (s.training) {  // the training description and the datasets, before the platform is built
        TrainRunOptions topts;
        topts.weights_path = s.weights_path;
        topts.check_golden = o.check_golden;
        topts.progress = o.progress;
        topts.summary = !o.quiet;
        topts.stop_request = RunInterrupt::requested_flag();
        b.train = std::make_unique<TrainingRun>(s.scenario.path, s.scenario.root, topts);
        TrainJobImage plan;
        try {  // a network the platform cannot run: the scenario file, then the layer and the reason
            plan = b.train->job_plan();
        } catch (const UserError& e) {
            throw UserError(s.scenario.path + ": " + e.what());
        }
        check_train_job(plan, b.train->network(), accelerator_config(s.cfg), s.schema);
        check_array_model(accelerator_config(s.cfg), b.train->network(), s.schema);
    }
    if (s.sparse) {
        TrainRunOptions topts;
        topts.weights_path = o.weights;  // raw int32 parameters, only when asked for
        topts.check_golden = o.check_golden;
        topts.summary = !o.quiet;
        b.sparse = std::make_unique<SparseTrainingRun>(s.scenario.path, s.sparse_cfg, topts);
    }
    b.image = load_elf(s.elf_path);
    if (o.checkpoints)
        o.checkpoints->set_identity(run_config_hash(s.schema, b.train->scenario()), firmware_hash(b.image),
                                    s.cfg.name);
    b.soc = std::make_unique<Platform>("soc", s.cfg);
    b.soc->load_firmware(b.image, s.elf_path);
    if (b.train) b.train->prepare(*b.soc);  // the job and datasets into DRAM, progress display
    if (b.sparse) b.sparse->prepare(*b.soc);
    if (o.checkpoints)
        o.checkpoints->attach(*b.soc, b.train->job(), s.max_time_s);  // --resume: restored here
    tlm::tlm_global_quantum::instance().set(sc_core::sc_time(s.cfg.sim.quantum_ns, sc_core::SC_NS));
    b.semihosting = attach_semihosting(*b.soc, o.host, b.guest_exit);
    b.tohost = attach_tohost(*b.soc, b.image, b.guest_exit);
    b.gdb = attach_gdb(*b.soc, b.image, o.host, b.guest_exit);
    if (!o.trace_insn.empty()) b.tracer = std::make_unique<InsnTracer>(b.soc->cpu.core(), o.trace_insn);
    if (!o.trace.empty() || !o.html.empty()) {
        b.timeline = std::make_unique<TraceRecorder>();
        if (!o.trace.empty()) b.timeline->write_file(o.trace, o.window);
        if (!o.html.empty()) b.timeline->capture_first_step();
        b.soc->cpu.set_trace(b.timeline.get());
        b.soc->accel.controller().set_trace(b.timeline.get());
    }
    if (!o.vcd.empty()) b.vcd = std::make_unique<VcdRecorder>(o.vcd, o.window, *b.soc);
    b.soc->cpu.set_stop_flag(RunInterrupt::stop_now_flag());
}

// ---- Phase 4: the simulation; how it ended ----

struct Outcome {
    int status = kExitNoExit;
    std::string ended_by = "no activity";
    bool interrupted = false;
    double wall_s = 0;
    std::string detail;  // what the CPU-stuck check saw
};

Outcome simulate(const RunSetup& s, BuiltRun& b) {
    Outcome out;
    const auto wall_start = std::chrono::steady_clock::now();
    if (s.max_time_s > 0)
        sc_core::sc_start(sc_core::sc_time(s.max_time_s, sc_core::SC_SEC));
    else
        sc_core::sc_start();
    out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    report_repeated_warnings();

    b.soc->uart0.flush();
    if (b.train) b.train->end_of_simulation();  // the progress bar is cleared before anything is printed

    if (RunInterrupt::requested()) {
        out.interrupted = true;
        out.status = RunInterrupt::exit_status();
        out.ended_by = "interrupted";
    } else if (b.guest_exit.requested) {
        out.status = b.guest_exit.code & 0xff;
        out.ended_by = b.guest_exit.via;
    } else if (b.soc->simctrl.exited()) {
        out.status = static_cast<int>(b.soc->simctrl.exit_code() & 0xff);
        out.ended_by = "simctrl";
    } else if (!b.soc->cpu.stuck().empty()) {
        out.status = kExitCpuStuck;
        out.ended_by = "cpu stuck";
        out.detail = b.soc->cpu.stuck();
    } else if (s.max_time_s > 0 &&
               sc_core::sc_time_stamp() >= sc_core::sc_time(s.max_time_s, sc_core::SC_SEC)) {
        out.status = kExitTimeLimit;
        out.ended_by = "time limit";
    }
    return out;
}

// Where an interrupted run stopped, right after the progress bar is cleared.
void print_interrupted(const BuiltRun& b) {
    char at[64];
    std::snprintf(at, sizeof at, "at simulated time %.6f s", b.soc->cpu.current_time().to_seconds());
    const std::string where = b.train ? b.train->position(*b.soc) : at;
    std::fprintf(stderr, "trainvp: interrupted %s (%s)\n", where.c_str(), RunInterrupt::signal_name());
}

// The message that goes with any other end than a firmware exit with status 0.
void print_outcome(const RunSetup& s, const Outcome& out) {
    if (out.ended_by == "interrupted") return;
    if (out.ended_by == "simctrl") {
        if (out.status != 0) std::fprintf(stderr, "trainvp: firmware exited with code %d\n", out.status);
    } else if (out.ended_by == "cpu stuck") {
        std::fprintf(stderr, "trainvp: error: %s\n", out.detail.c_str());
    } else if (out.ended_by == "time limit") {
        std::fprintf(stderr, "trainvp: error: simulated-time limit %s reached before the firmware exited\n",
                     s.cfg.sim.max_time.c_str());
    } else if (out.ended_by == "no activity") {
        std::fprintf(stderr,
                     "trainvp: error: the simulation ran out of activity at %s before the firmware exited "
                     "(the CPU sleeps in WFI with no interrupt that could wake it)\n",
                     sc_core::sc_time_stamp().to_string().c_str());
    } else if (out.status != 0) {
        std::fprintf(stderr, "trainvp: firmware exited with code %d (%s)\n", out.status,
                     out.ended_by.c_str());
    }
}

RunSummary run_summary(const RunSetup& s, const BuiltRun& b, double wall_s) {
    RunSummary run;
    run.simulated = b.soc->cpu.current_time();
    run.asleep = b.soc->cpu.time_asleep();
    run.wall_s = wall_s;
    run.clock_hz = s.cfg.cpu.clock_hz;
    return run;
}

// The report's "energy" and "area" sections for the run as it ended.
nlohmann::json run_energy(const RunSetup& s, const BuiltRun& b) {
    EnergyRun run;
    run.accel_stats = &b.soc->accel.stats();
    run.cpu = &b.soc->cpu.core().stats();
    run.seconds = b.soc->cpu.current_time().to_seconds();
    if (b.train) {
        const nlohmann::json t = b.train->report();
        if (t.contains("images")) {
            run.images_trained = t["images"].value("trained", uint64_t{0});
            run.images_evaluated = t["images"].value("evaluated", uint64_t{0});
        }
    }
    const SparseEngine& engine = b.soc->accel.sparse_engine();
    if (b.sparse && engine.configured()) {
        const SparseEngineCounters k = engine.counters();
        run.sparse_net = &engine.config();
        run.sparse_junctions = engine.junction_counters();
        run.sparse_cost_terms = k.cost_terms;
        run.sparse_busy_s = double(k.clocks) / b.soc->accel.config().sparse_clock_hz;
        run.images_trained = k.samples_trained;
        run.images_evaluated = k.samples_inferred;
    }
    return energy_report(run, s.cfg.energy, accelerator_config(s.cfg),
                         fs::path(s.scenario.path).parent_path().string());
}

nlohmann::json make_report(const RunSetup& s, const BuiltRun& b, const Outcome& out, int status,
                           const std::vector<std::string>& output_errors, const nlohmann::json& energy) {
    const RunSummary run = run_summary(s, b, out.wall_s);
    const Platform& soc = *b.soc;
    nlohmann::json exit = {{"status", status}, {"ended_by", out.ended_by}};
    if (RunInterrupt::requested()) exit["signal"] = RunInterrupt::signal_name();
    nlohmann::json report = {
        {"trainvp", TRAINVP_VERSION},
        {"scenario", {{"path", s.scenario.path}, {"name", s.cfg.name}}},
        {"firmware", s.elf_path},
        {"exit", exit},
        {"simulated_time_s", run.simulated.to_seconds()},
        {"cpu", cpu_stats_json(soc.cpu.core().stats(), run)},
        {"accelerator", soc.accel.stats_json()},
        {"config", resolved_config_json(s.schema, s.training_scenario.get())},
        // The only fields that change from run to run of the same inputs.
        {"wall",
         {{"seconds", out.wall_s},
          {"mips",
           out.wall_s > 0 ? static_cast<double>(soc.cpu.core().stats().instret) / out.wall_s / 1e6 : 0.0}}}};
    if (!output_errors.empty()) report["output_errors"] = output_errors;
    report.update(energy);
    if (b.sparse) report["training"] = b.sparse->report();
    if (b.train) {
        report["training"] = b.train->report();
        report["wall"].update(b.train->wall_report());
    }
    return report;
}

// ---- Phase 5: messages, summaries and the output files; returns the exit status ----

int finish(const RunOptions& o, const RunSetup& s, BuiltRun& b, const Outcome& out) {
    if (out.interrupted) print_interrupted(b);
    if (!o.quiet) print_run_summary(stderr, b.soc->cpu.core().stats(), run_summary(s, b, out.wall_s));
    // The energy table ends the training summary, or the run summary of a run that used the accelerator.
    nlohmann::json energy;
    if (!b.train && !b.sparse) {
        energy = run_energy(s, b);
        if (!o.quiet && b.soc->accel.stats().total().descriptors) print_energy_summary(stderr, energy);
    }
    print_outcome(s, out);

    // Every output is attempted even when one before it failed.
    OutputWrites writes;
    int status = out.status;
    if (b.train) {
        if (out.interrupted) b.train->note_interrupt(RunInterrupt::signal_name());
        status = b.train->finish(*b.soc, status, out.wall_s, writes);  // summary, weights, --check-golden
    }
    if (b.sparse) status = b.sparse->finish(*b.soc, status, writes);
    if (b.train || b.sparse) {
        energy = run_energy(s, b);  // after finish(): the images trained
        if (!o.quiet) print_energy_summary(stderr, energy);
    }
    if (o.checkpoints && !o.quiet && !o.checkpoints->summary().empty())
        std::fprintf(stderr, "  checkpoints             %s\n", o.checkpoints->summary().c_str());
    if (b.tracer) writes.attempt("--trace-insn", [&] { b.tracer->finish(); });
    if (!o.trace.empty()) writes.attempt("--trace", [&] { b.timeline->finish_file(); });
    if (b.vcd) writes.attempt("--vcd", [&] { b.vcd->finish(); });
    writes.attempt("uart.output", [&] { b.soc->uart0.close_output(); });
    // An interrupt during the checks after the simulation (--check-golden) still ends as interrupted.
    if (RunInterrupt::requested()) status = RunInterrupt::exit_status();
    if (status == 0 && writes.failed()) status = kExitOutputFailed;
    // The HTML page shows the report as --report writes it (output errors aside).
    if (!o.html.empty())
        writes.attempt("--html", [&] {
            const std::string text =
                run_report_html(make_report(s, b, out, status, {}, energy), b.timeline->first_step());
            kern::write_file_atomic(o.html, text.data(), text.size());
        });
    if (status == 0 && writes.failed()) status = kExitOutputFailed;
    if (!s.report_path.empty())
        writes.attempt("--report", [&] {
            const std::string text = make_report(s, b, out, status, writes.errors(), energy).dump(2) + "\n";
            kern::write_file_atomic(s.report_path, text.data(), text.size());
        });
    if (status == 0 && writes.failed()) status = kExitOutputFailed;
    return status;
}

}  // namespace

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
    Scenario s{path, load_yaml_file(path)};
    for (const auto& o : overrides) apply_override(s.root, o);
    return s;
}

int run_command(int argc, char* argv[]) {
    RunOptions options;
    if (!parse_run_options(argc, argv, options)) return 0;
    RunSetup setup;
    if (!load_run_setup(options, setup)) return 0;
    BuiltRun built;
    build(options, setup, built);
    // Ctrl-C and SIGTERM from here on stop the simulation cleanly (run_interrupt.h); before, nothing has
    // been written and the default action is right.
    RunInterrupt interrupt(setup.training ? kStepBoundaryGraceS : 0);
    const Outcome outcome = simulate(setup, built);
    return finish(options, setup, built, outcome);
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
    if (!vm["out"].as<std::string>().empty()) check_output_file("--out", vm["out"].as<std::string>());
    if (vm.count("weights")) check_output_file("--weights", vm["weights"].as<std::string>());
    const Scenario scenario = load_scenario(vm["scenario"].as<std::string>(), overrides(vm));

    // The platform keys are not used here, but the whole file is checked: a typo anywhere is an error.
    PlatformConfig unused;
    ConfigSchema schema;
    register_platform_keys(schema, unused);
    schema.apply(scenario.root, scenario.path);
    check_platform_config(unused, schema);

    GoldenOptions gopts;
    gopts.json_out = vm["out"].as<std::string>();
    if (vm.count("weights")) gopts.weights_out = vm["weights"].as<std::string>();
    gopts.progress = !vm.count("no-progress");
    gopts.checkpoints = checkpoints;
    return golden_command(scenario.path, scenario.root, gopts);
}

}  // namespace trainvp
