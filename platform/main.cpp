// trainvp: the command-line front end of the TrainVP virtual platform.
#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <systemc>
#include <tlm>

#include "checkpoint_file.h"
#include "common/error.h"
#include "common/log.h"
#include "estimate_command.h"
#include "run_command.h"
#include "sweep_command.h"

namespace po = boost::program_options;

namespace {

const char* kUsage =
    "usage: trainvp <command> [options]\n"
    "\n"
    "commands:\n"
    "  run SCENARIO.yaml      simulate the platform described by the scenario\n"
    "  golden SCENARIO.yaml   train the scenario's network natively (no simulation)\n"
    "  checkpoint-info FILE   check a checkpoint of run or golden and print what it holds\n"
    "  sweep SWEEP.yaml       run every point of a design-space sweep, here or on Slurm\n"
    "  estimate SCENARIO.yaml compute cycles per layer, native and SCALE-Sim, without running firmware\n"
    "\n"
    "  trainvp <command> --help   options of a command\n"
    "  trainvp --version          version\n";

int usage_error(const std::string& message) {
    std::fprintf(stderr, "trainvp: %s (see trainvp --help)\n", message.c_str());
    return trainvp::kExitUsage;
}

}  // namespace

// Our own main: SystemC prints its banner when the kernel first starts, which can happen before sc_main,
// so the switch that silences it must be set before handing over to the kernel.
int main(int argc, char* argv[]) {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    return sc_core::sc_elab_and_sim(argc, argv);
}

int sc_main(int argc, char* argv[]) {
    trainvp::install_report_handler();

    if (argc < 2) {
        std::fputs(kUsage, stderr);
        return trainvp::kExitUsage;
    }
    const std::string command = argv[1];
    if (command == "--help" || command == "-h" || command == "help") {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (command == "--version" || command == "-V") {
        std::printf("trainvp %s (SystemC %s)\n", TRAINVP_VERSION, sc_core::sc_release());
        return 0;
    }
    try {
        if (command == "run") return trainvp::run_command(argc - 1, argv + 1);
        if (command == "golden") return trainvp::golden_cli(argc - 1, argv + 1);
        if (command == "checkpoint-info") return trainvp::checkpoint_info_command(argc - 1, argv + 1);
        if (command == "sweep") return trainvp::sweep_command(argc - 1, argv + 1);
        if (command == "estimate") return trainvp::estimate_command(argc - 1, argv + 1);
        return usage_error("unknown command '" + command + "'");
    } catch (const po::error& e) {
        return usage_error(e.what());
    } catch (const trainvp::UserError& e) {
        std::fprintf(stderr, "trainvp: error: %s\n", e.what());
        return trainvp::kExitUsage;
    } catch (const sc_core::sc_report& e) {
        std::fprintf(stderr, "trainvp: internal error: %s\n", e.what());
        return trainvp::kExitInternal;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "trainvp: internal error: %s\n", e.what());
        return trainvp::kExitInternal;
    }
}
