// The `trainvp run` and `trainvp golden` commands.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace trainvp {

constexpr int kExitUsage = 2;          // bad command line, scenario, ELF or data file
constexpr int kExitCpuStuck = 123;     // the CPU took the same trap over and over without progress
constexpr int kExitTimeLimit = 124;    // the simulated-time limit was reached before the firmware exited
constexpr int kExitNoExit = 125;       // the simulation ran out of activity before the firmware exited
constexpr int kExitInternal = 70;      // a simulator bug (EX_SOFTWARE)
constexpr int kExitOutputFailed = 74;  // the run went well but an output file could not be written (EX_IOERR)
// Interrupted by SIGINT or SIGTERM: 128 + the signal number, 130 or 143 (run_interrupt.h).

// A scenario file with its --set overrides applied to the YAML tree.
struct Scenario {
    std::string path;
    YAML::Node root;
};
Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides);

int run_command(int argc, char* argv[]);
int golden_cli(int argc, char* argv[]);

}  // namespace trainvp
