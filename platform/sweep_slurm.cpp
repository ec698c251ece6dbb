#include "sweep_slurm.h"

#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "sweep_process.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace trainvp {
namespace {

// squeue failing this many times in a row (not for a finished job) ends the wait with an error.
constexpr int kSqueueRetries = 5;

std::string trim(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    size_t b = 0;
    while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    return s.substr(b);
}

std::string first_line(const std::string& text) {
    const std::string t = trim(text);
    return t.substr(0, t.find('\n'));
}

json read_jobs(const SweepDir& dir) {
    const std::string path = dir.slurm() + "/jobs.json";
    std::ifstream in(path);
    if (!in) return json::array();
    try {
        json j = json::parse(in);
        return j.is_array() ? j : json::array();
    } catch (const json::exception&) {
        throw UserError(path + ": not valid JSON; remove it if no job of this sweep is queued");
    }
}

// The batch script: the task id plus the offset its array was submitted with ($1) is the point's index.
std::string batch_script(const SweepDir& dir) {
    return "#!/bin/sh\n"
           "# One point of a trainvp sweep per array task (written by trainvp sweep --backend slurm).\n"
           "exec " +
           shell_quote(self_executable()) +
           " sweep --run-point \"$((SLURM_ARRAY_TASK_ID + ${1:-0}))\" --out " + shell_quote(dir.root()) +
           "\n";
}

// squeue's view of one job: the number of its tasks still listed and how many of them run. `gone` when
// squeue no longer knows the job.
struct QueueState {
    size_t listed = 0, running = 0;
    bool ok = true;
    std::string error;
};

QueueState squeue(const std::string& job) {
    QueueState q;
    std::string out, err;
    const int status = run_and_capture({"squeue", "-h", "-j", job, "-o", "%T"}, out, err);
    if (exit_code_of(status) != 0) {
        // A job that has left the controller's memory is finished.
        if (err.find("Invalid job id") != std::string::npos) return q;
        q.ok = false;
        q.error = first_line(err.empty() ? out : err);
        return q;
    }
    size_t start = 0;
    while (start < out.size()) {
        size_t end = out.find('\n', start);
        if (end == std::string::npos) end = out.size();
        const std::string state = trim(out.substr(start, end - start));
        if (!state.empty()) {
            ++q.listed;
            if (state == "RUNNING" || state == "COMPLETING") ++q.running;
        }
        start = end + 1;
    }
    return q;
}

}  // namespace

std::string compress_indices(const std::vector<size_t>& sorted) {
    std::string out;
    for (size_t i = 0; i < sorted.size();) {
        size_t j = i;
        while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
        out += (out.empty() ? "" : ",") + std::to_string(sorted[i]);
        if (j > i) out += "-" + std::to_string(sorted[j]);
        i = j + 1;
    }
    return out;
}

void check_slurm_tools() {
    for (const char* tool : {"sbatch", "squeue"}) {
        std::string out, err;
        int status = 0;
        try {
            status = run_and_capture({tool, "--version"}, out, err);
        } catch (const std::exception& e) {
            throw UserError(std::string("--backend slurm: cannot run ") + tool + ": " + e.what());
        }
        if (exit_code_of(status) != 0)
            throw UserError(std::string("--backend slurm: '") + tool + " --version' failed (" +
                            first_line(err.empty() ? out : err) +
                            "): is Slurm's client installed and on PATH?");
    }
}

std::vector<std::string> slurm_submit(const SweepDir& dir, const SweepManifest& m,
                                      const std::vector<size_t>& indices, const SlurmOptions& o) {
    fs::create_directories(dir.slurm());
    const std::string script = dir.slurm() + "/sweep.sbatch";
    write_text_atomic(script, batch_script(dir));
    ::chmod(script.c_str(), 0755);

    // Indices grouped by the chunk they fall in, so every task id stays below kSlurmArrayChunk.
    std::map<size_t, std::vector<size_t>> chunks;
    for (size_t i : indices)
        chunks[i / kSlurmArrayChunk * kSlurmArrayChunk].push_back(i -
                                                                  i / kSlurmArrayChunk * kSlurmArrayChunk);

    json jobs = read_jobs(dir);
    std::vector<std::string> ids;
    std::string name;
    for (char c : m.name)
        name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
    for (auto& [offset, tasks] : chunks) {
        std::sort(tasks.begin(), tasks.end());
        std::string array = compress_indices(tasks);
        if (o.array_max) array += "%" + std::to_string(o.array_max);
        std::vector<std::string> argv = {"sbatch",
                                         "--parsable",
                                         "--array=" + array,
                                         "--job-name=trainvp-" + name,
                                         "--output=" + dir.slurm() + "/%A_%a.out",
                                         "--chdir=" + dir.root(),
                                         "--ntasks=1",
                                         "--cpus-per-task=1"};
        if (!o.partition.empty()) argv.push_back("--partition=" + o.partition);
        if (!o.time.empty()) argv.push_back("--time=" + o.time);
        if (!o.mem.empty()) argv.push_back("--mem=" + o.mem);
        argv.insert(argv.end(), o.sbatch_args.begin(), o.sbatch_args.end());
        argv.push_back(script);
        argv.push_back(std::to_string(offset));
        std::string out, err;
        const int status = run_and_capture(argv, out, err);
        std::string cmd;
        for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + shell_quote(a);
        if (exit_code_of(status) != 0)
            throw UserError("sbatch failed (exit " + std::to_string(exit_code_of(status)) +
                            "): " + first_line(err.empty() ? out : err) + "\n  command: " + cmd);
        const std::string id = first_line(out).substr(0, first_line(out).find(';'));
        if (id.empty() || !std::all_of(id.begin(), id.end(), ::isdigit))
            throw UserError("sbatch printed no job id ('" + first_line(out) + "')\n  command: " + cmd);
        ids.push_back(id);
        jobs.push_back({{"job", id}, {"offset", offset}, {"array", array}, {"command", cmd}});
        write_text_atomic(dir.slurm() + "/jobs.json", jobs.dump(2) + "\n");
    }
    return ids;
}

std::vector<std::string> slurm_active_jobs(const SweepDir& dir) {
    std::vector<std::string> active;
    for (const auto& j : read_jobs(dir)) {
        const std::string id = j.value("job", "");
        if (id.empty()) continue;
        const QueueState q = squeue(id);
        if (!q.ok) throw UserError("squeue -j " + id + " failed: " + q.error);
        if (q.listed) active.push_back(id);
    }
    return active;
}

int slurm_wait(const SweepDir& dir, const SweepManifest& m, const std::vector<size_t>& indices,
               const std::vector<std::string>& jobs, unsigned poll_s, SweepProgress& progress) {
    SweepSignals signals;
    size_t done_other = 0, failed_other = 0;
    std::vector<bool> in_job(m.points.size(), false);
    for (size_t i : indices) in_job[i] = true;
    for (size_t i = 0; i < m.points.size(); ++i) {
        if (in_job[i]) continue;
        const auto s = dir.read_status(m.points[i].dir);
        if (s && s->fingerprint == m.points[i].fingerprint) {
            ++done_other;
            if (!s->ok()) ++failed_other;
        }
    }
    int failures = 0;
    for (;;) {
        size_t listed = 0, running = 0;
        for (const auto& id : jobs) {
            const QueueState q = squeue(id);
            if (!q.ok) {
                if (++failures >= kSqueueRetries)
                    throw UserError(
                        "squeue -j " + id + " failed " + std::to_string(failures) +
                        " times in a row: " + q.error +
                        "\n  the job may still be running: trainvp sweep --gather collects it later");
                listed = 1;  // unknown: keep waiting
                continue;
            }
            failures = 0;
            listed += q.listed;
            running += q.running;
        }
        size_t done = done_other, failed = failed_other;
        for (size_t i : indices) {
            const auto s = dir.read_status(m.points[i].dir);
            if (s && s->fingerprint == m.points[i].fingerprint) {
                ++done;
                if (!s->ok()) ++failed;
            }
        }
        progress.set_counts(done, failed, running);
        if (listed == 0) return 0;
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(poll_s);
        while (std::chrono::steady_clock::now() < until) {
            const int sig = signals.wait(200);
            if (sig == SIGINT || sig == SIGTERM) return sig;
            progress.redraw();
        }
    }
}

}  // namespace trainvp
