#include "sweep_command.h"

#include <stdlib.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/error.h"
#include "run_command.h"
#include "sweep_layout.h"
#include "sweep_local.h"
#include "sweep_points.h"
#include "sweep_process.h"
#include "sweep_results.h"
#include "sweep_slurm.h"
#include "sweep_spec.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace trainvp {
namespace {

struct SweepOptions {
    std::string file, out;
    unsigned jobs = 1;
    bool resume = false, retry_failed = false, dry_run = false, gather = false, progress = true;
    std::string backend = "local";
    SlurmOptions slurm;
    long run_point = -1;
};

bool parse_options(int argc, char* argv[], SweepOptions& o) {
    po::options_description opts("options");
    std::vector<std::string> sbatch_args;
    // clang-format off
    opts.add_options()
        ("help,h", "show this help")
        ("out,o", po::value<std::string>(&o.out)->value_name("DIR"),
         "sweep directory (default: sweep-NAME in the current directory, NAME from the sweep file)")
        ("jobs,j", po::value<unsigned>(&o.jobs)->value_name("N"), "local backend: points run at once (default 1)")
        ("resume", "continue the sweep in DIR: points with a status.json are kept, the others run")
        ("retry-failed", "with --resume: run failed points again too")
        ("dry-run", "check the sweep file and every point, list the points, run nothing")
        ("gather", "only rebuild DIR/results.csv, results.json and report.html from the point directories")
        ("no-progress", "no progress line; only failed points and the summary")
        ("backend", po::value<std::string>(&o.backend)->value_name("local|slurm"),
         "where points run: this machine (default) or a Slurm job array")
        ("partition", po::value<std::string>(&o.slurm.partition)->value_name("P"), "slurm: partition")
        ("time", po::value<std::string>(&o.slurm.time)->value_name("T"), "slurm: time limit of each task (sbatch --time)")
        ("mem", po::value<std::string>(&o.slurm.mem)->value_name("M"), "slurm: memory of each task (sbatch --mem)")
        ("array-max", po::value<unsigned>(&o.slurm.array_max)->value_name("N"),
         "slurm: at most N tasks at once (the %N of --array)")
        ("sbatch-arg", po::value<std::vector<std::string>>(&sbatch_args)->value_name("ARG")->composing(),
         "slurm: one more sbatch option, e.g. --sbatch-arg=--account=dse (repeatable)")
        ("no-wait", "slurm: return once the job array is submitted (collect later with --gather)")
        ("poll", po::value<unsigned>(&o.slurm.poll_s)->value_name("S"), "slurm: seconds between squeue calls (default 5)");
    po::options_description hidden;
    hidden.add_options()
        ("sweep", po::value<std::string>(&o.file))
        ("run-point", po::value<long>(&o.run_point), "internal: run point N of --out DIR (a Slurm array task)");
    // clang-format on
    po::options_description all;
    all.add(opts).add(hidden);
    po::positional_options_description pos;
    pos.add("sweep", 1);
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
        std::cout << "usage: trainvp sweep SWEEP.yaml [options]\n\n"
                  << "Runs every point of a sweep file (docs/exploration.md) and writes DIR/results.csv.\n\n"
                  << opts << "\n";
        return false;
    }
    o.resume = vm.count("resume") > 0;
    o.retry_failed = vm.count("retry-failed") > 0;
    o.dry_run = vm.count("dry-run") > 0;
    o.gather = vm.count("gather") > 0;
    o.progress = !vm.count("no-progress");
    o.slurm.wait = !vm.count("no-wait");
    o.slurm.sbatch_args = sbatch_args;
    if (o.run_point >= 0) {
        if (o.out.empty()) throw po::error("sweep: --run-point needs --out DIR");
        return true;
    }
    if (o.file.empty() && !(o.gather && !o.out.empty())) throw po::error("sweep: missing SWEEP.yaml");
    if (vm.count("jobs") && o.jobs == 0) throw UserError("--jobs 0: at least one point runs at a time");
    if (o.backend != "local" && o.backend != "slurm")
        throw UserError("--backend '" + o.backend + "': expected local or slurm");
    if (o.retry_failed && !o.resume) throw UserError("--retry-failed goes with --resume");
    if (o.gather + o.dry_run + o.resume > 1)
        throw UserError("--gather, --dry-run and --resume: one at a time");
    const bool slurm_opts = vm.count("partition") || vm.count("time") || vm.count("mem") ||
                            vm.count("array-max") || vm.count("sbatch-arg") || vm.count("no-wait") ||
                            vm.count("poll");
    if (slurm_opts && o.backend != "slurm")
        throw UserError("Slurm options (--partition, ...) need --backend slurm");
    if (vm.count("jobs") && o.backend == "slurm")
        throw UserError(
            "--jobs is for the local backend; Slurm runs as many tasks as it can (see --array-max)");
    if (vm.count("poll") && o.slurm.poll_s == 0)
        throw UserError("--poll 0: at least one second between squeue calls");
    return true;
}

// Fails unless this trainvp has an `estimate` command that writes --report.
void check_estimate_supported(const SweepSpec& spec) {
    std::string out, err;
    const int status = run_and_capture({self_executable(), "estimate", "--help"}, out, err);
    if (exit_code_of(status) != 0 || out.find("--report") == std::string::npos)
        throw UserError(spec.where(spec.command_line) +
                        ": key 'command': 'estimate' needs a trainvp with an 'estimate' command that writes "
                        "--report; this one (" TRAINVP_VERSION ") has none: use run or golden");
}

// `trainvp run --dump-config` of the first point with the sweep's options, from a directory of its own as a
// point runs: the options are checked by the command that will use them, before any point runs.
void check_run_options(const SweepSpec& spec, const std::string& scenario_text) {
    char tmpl[] = "/tmp/trainvp-sweep-XXXXXX";
    if (!::mkdtemp(tmpl)) throw UserError("cannot make a temporary directory to check the options");
    const std::string dir = tmpl;
    std::string out, err;
    int status = 0;
    try {
        write_text_atomic(dir + "/scenario.yaml", scenario_text);
        std::vector<std::string> argv = {self_executable(), "run", "scenario.yaml", "--dump-config"};
        argv.insert(argv.end(), spec.options.begin(), spec.options.end());
        status = run_and_capture(argv, out, err, dir);
    } catch (...) {
        fs::remove_all(dir);
        throw;
    }
    fs::remove_all(dir);
    if (exit_code_of(status) != 0) {
        std::string line = err.substr(0, err.find('\n'));
        throw UserError(spec.where(spec.options_line) + ": key 'options': trainvp run refuses them: " + line);
    }
}

struct Prepared {
    SweepManifest manifest;
    std::vector<std::string> texts;  // scenario.yaml of each point
    SweepPlan plan;
};

Prepared prepare(const SweepSpec& spec) {
    Prepared p;
    p.plan = plan_sweep(spec);
    if (p.plan.points.empty())
        throw UserError(spec.file + ": no point is left: the constraints drop all " +
                        std::to_string(p.plan.product));
    p.manifest.sweep_file = fs::absolute(spec.file).lexically_normal().string();
    p.manifest.name = spec.name;
    p.manifest.command = spec.command;
    for (const auto& a : spec.axes) p.manifest.axes.push_back({a.key, a.name});
    p.manifest.product = p.plan.product;
    p.manifest.dropped = p.plan.dropped;
    p.manifest.sampled = p.plan.sampled;
    for (const auto& pt : p.plan.points) {
        const std::string yaml = resolve_point_scenario(spec, pt, point_scenario(spec, pt));
        p.manifest.points.push_back(make_point_entry(spec, pt, yaml));
        p.texts.push_back(point_scenario_text(spec, pt, yaml));
    }
    if (spec.command == "estimate") check_estimate_supported(spec);
    if (spec.command == "run" && !spec.options.empty()) check_run_options(spec, p.texts.front());
    return p;
}

void print_plan(const SweepSpec& spec, const Prepared& p) {
    std::printf("sweep %s (%s): %zu point%s", spec.name.c_str(), spec.file.c_str(), p.plan.points.size(),
                p.plan.points.size() == 1 ? "" : "s");
    if (p.plan.sampled)
        std::printf(" sampled with seed %llu", static_cast<unsigned long long>(spec.sample->seed));
    std::printf(", product %llu, %llu dropped by constraints; each: trainvp %s\n",
                static_cast<unsigned long long>(p.plan.product),
                static_cast<unsigned long long>(p.plan.dropped), spec.command.c_str());
    size_t width = 0;
    for (const auto& e : p.manifest.points) width = std::max(width, e.dir.size());
    for (size_t i = 0; i < p.plan.points.size(); ++i) {
        std::string sets;
        const auto& ov = p.plan.points[i].overrides;
        for (size_t k = spec.sets.size(); k < ov.size(); ++k) sets += " --set " + shell_quote(ov[k]);
        std::printf("  %-*s %s\n", static_cast<int>(width), p.manifest.points[i].dir.c_str(), sets.c_str());
    }
    if (!spec.sets.empty()) {
        std::printf("every point:");
        for (const auto& s : spec.sets) std::printf(" --set %s", shell_quote(s.key + "=" + s.value).c_str());
        std::printf("\n");
    }
}

std::string sweep_text(const std::string& file) {
    std::ifstream in(file);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int report_summary(const SweepDir& dir, const SweepManifest& m, const ResultsSummary& r, size_t kept) {
    std::fprintf(stderr, "sweep %s: %zu point%s: %zu ok, %zu failed, %zu not run", m.name.c_str(),
                 m.points.size(), m.points.size() == 1 ? "" : "s", r.ok, r.failed, r.missing);
    if (kept) std::fprintf(stderr, " (%zu kept from an earlier run)", kept);
    std::fprintf(stderr, "\n  results: %s/results.csv\n", dir.root().c_str());
    return r.failed || r.missing ? 1 : 0;
}

int gather(const SweepDir& dir, const std::string& backend_hint) {
    if (!dir.has_manifest()) throw UserError(dir.root() + ": no sweep.json: not a sweep directory");
    const SweepManifest m = dir.read_manifest();
    const ResultsSummary r = write_results(dir, m);
    if (fs::is_regular_file(dir.slurm() + "/jobs.json") || backend_hint == "slurm") {
        try {
            const auto active = slurm_active_jobs(dir);
            if (!active.empty())
                std::fprintf(stderr, "sweep: Slurm job %s still queued or running: gather again later\n",
                             active.front().c_str());
        } catch (const UserError& e) {
            std::fprintf(stderr, "sweep: cannot ask Slurm about the jobs: %s\n", e.what());
        }
    }
    return report_summary(dir, m, r, 0);
}

int run_point(const SweepOptions& o) {
    const SweepDir dir(o.out);
    const SweepManifest m = dir.read_manifest();
    if (static_cast<size_t>(o.run_point) >= m.points.size())
        throw UserError(dir.manifest() + ": no point " + std::to_string(o.run_point) + " (the sweep has " +
                        std::to_string(m.points.size()) + ")");
    const PointEntry& p = m.points[static_cast<size_t>(o.run_point)];
    if (!fs::is_regular_file(dir.point(p.dir) + "/scenario.yaml"))
        throw UserError(dir.point(p.dir) + ": no scenario.yaml: the sweep did not prepare this point");
    return run_single_point(dir, p);
}

}  // namespace

int sweep_command(int argc, char* argv[]) {
    SweepOptions o;
    if (!parse_options(argc, argv, o)) return 0;
    if (o.run_point >= 0) return run_point(o);

    std::optional<SweepSpec> spec;
    if (!o.file.empty()) spec = load_sweep_file(o.file);
    const SweepDir dir(o.out.empty() ? "sweep-" + spec->name : o.out);
    if (o.gather) return gather(dir, o.backend);

    const Prepared p = prepare(*spec);
    if (o.dry_run) {
        print_plan(*spec, p);
        return 0;
    }
    if (o.backend == "slurm") check_slurm_tools();
    if (dir.has_manifest() && !o.resume)
        throw UserError(dir.root() +
                        " holds a sweep already: --resume continues it, or remove the directory");
    if (!dir.has_manifest() && fs::exists(dir.root()) && !fs::is_empty(dir.root()))
        throw UserError(dir.root() + " exists and is not a sweep directory");
    if (o.resume && o.backend == "slurm") {
        const auto active = slurm_active_jobs(dir);
        if (!active.empty())
            throw UserError("Slurm job " + active.front() +
                            " of this sweep is still queued or running: wait for "
                            "it (--gather collects) or scancel it before --resume");
    }

    dir.write_manifest(p.manifest, sweep_text(spec->file));
    const std::string trainvp = self_executable();
    std::vector<PointEntry> todo;
    std::vector<size_t> todo_indices;
    size_t kept = 0, kept_failed = 0;
    for (size_t i = 0; i < p.manifest.points.size(); ++i) {
        const PointEntry& e = p.manifest.points[i];
        if (o.resume) {
            const auto s = dir.read_status(e.dir);
            if (s && s->fingerprint == e.fingerprint && (s->ok() || !o.retry_failed)) {
                ++kept;
                if (!s->ok()) ++kept_failed;
                continue;
            }
        }
        dir.prepare_point(e, p.texts[i], trainvp);
        todo.push_back(e);
        todo_indices.push_back(i);
    }

    SweepProgress progress(p.manifest.points.size(), kept, kept_failed, o.progress);
    int signal = 0;
    if (todo.empty()) {
        // nothing to run: every point was kept
    } else if (o.backend == "local") {
        signal = run_points_locally(dir, todo, o.jobs, progress).signal;
    } else {
        const auto jobs = slurm_submit(dir, p.manifest, todo_indices, o.slurm);
        std::string list;
        for (const auto& j : jobs) list += (list.empty() ? "" : ", ") + j;
        progress.message("sweep: submitted " + std::to_string(todo.size()) + " point(s) as Slurm job " +
                         list);
        if (!o.slurm.wait) {
            write_results(dir, p.manifest);
            std::fprintf(stderr,
                         "sweep: not waiting: `trainvp sweep %s --gather --out %s` collects the results\n",
                         shell_quote(spec->file).c_str(), shell_quote(dir.root()).c_str());
            return 0;
        }
        signal = slurm_wait(dir, p.manifest, todo_indices, jobs, o.slurm.poll_s, progress);
        progress.clear();
        if (signal)
            std::fprintf(stderr,
                         "sweep: stopped waiting; Slurm job %s keeps running: --gather collects its results, "
                         "scancel %s cancels it\n",
                         list.c_str(), list.c_str());
    }
    const ResultsSummary r = write_results(dir, p.manifest);
    const int status = report_summary(dir, p.manifest, r, kept);
    if (signal) {
        if (o.backend == "local")
            std::fprintf(stderr, "sweep: interrupted (%s): --resume runs the points left\n",
                         signal == SIGINT ? "SIGINT" : "SIGTERM");
        return 128 + signal;
    }
    return status;
}

}  // namespace trainvp
