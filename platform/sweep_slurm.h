// The Slurm backend of `trainvp sweep` (docs/exploration.md "On a Slurm cluster"): the points to run go to
// one job array (`sbatch --array`, one task per point, each task `trainvp sweep --run-point N --out DIR`),
// then the sweep polls `squeue` until the array has left the queue, or returns at once (--no-wait). It uses
// only sbatch and squeue, so it works on any cluster; the sweep directory, the trainvp binary and the data
// must be on a file system the compute nodes share. Files under DIR/slurm/: sweep.sbatch (the batch
// script), jobs.json (every array submitted: job id, index offset, task ranges, the sbatch command) and
// JOB_TASK.out (each task's own output).
#pragma once

#include <string>
#include <vector>

#include "sweep_layout.h"
#include "sweep_local.h"

namespace trainvp {

struct SlurmOptions {
    std::string partition, time, mem;      // "" = the cluster's default
    unsigned array_max = 0;                // tasks running at once (the %N of --array); 0 = no limit
    std::vector<std::string> sbatch_args;  // passed to sbatch as they are
    bool wait = true;
    unsigned poll_s = 5;  // seconds between squeue calls
};

// Array task ids stay below this (Slurm's default MaxArraySize is 1001): larger sweeps are submitted as
// several arrays, each with an index offset.
constexpr size_t kSlurmArrayChunk = 1000;

// "0-3,7,9-12" for sorted indices.
std::string compress_indices(const std::vector<size_t>& sorted);

// Fails with a UserError when sbatch or squeue cannot be run.
void check_slurm_tools();

// Submits the points with these manifest indices; returns the job ids.
std::vector<std::string> slurm_submit(const SweepDir& dir, const SweepManifest& m,
                                      const std::vector<size_t>& indices, const SlurmOptions& opts);

// The sweep's jobs (from DIR/slurm/jobs.json) that squeue still lists.
std::vector<std::string> slurm_active_jobs(const SweepDir& dir);

// Waits until none of `jobs` is in the queue, showing progress from the points' status files. Returns 0, or
// SIGINT/SIGTERM when the wait was interrupted (the jobs keep running).
int slurm_wait(const SweepDir& dir, const SweepManifest& m, const std::vector<size_t>& indices,
               const std::vector<std::string>& jobs, unsigned poll_s, SweepProgress& progress);

}  // namespace trainvp
