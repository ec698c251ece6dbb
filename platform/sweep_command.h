// `trainvp sweep SWEEP.yaml`: design-space exploration (docs/exploration.md). Reads and checks the sweep
// file and every point's scenario before anything runs, writes the sweep directory (sweep_layout.h), runs
// the points on this machine (-j N) or through Slurm (--backend slurm), and writes results.csv/json.
// Exit status: 0 when every point succeeded, 1 when a point failed or did not run, 2 for a bad command
// line or sweep file, 130/143 when stopped by SIGINT/SIGTERM.
#pragma once

namespace trainvp {

int sweep_command(int argc, char* argv[]);

}  // namespace trainvp
