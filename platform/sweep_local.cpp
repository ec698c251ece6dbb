#include "sweep_local.h"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "progress.h"
#include "sweep_process.h"

namespace trainvp {
namespace {

using Clock = std::chrono::steady_clock;

// How often the wait loop wakes without a signal: the progress line's clock.
constexpr int kTickMs = 200;

struct Running {
    pid_t pid = 0;
    const PointEntry* point = nullptr;
    Clock::time_point start;
    bool stopped = false;  // the sweep sent it a signal
};

Running start_point(const SweepDir& dir, const PointEntry& p, const std::string& trainvp) {
    SpawnOptions o;
    o.argv.push_back(trainvp);
    o.argv.insert(o.argv.end(), p.args.begin(), p.args.end());
    o.cwd = dir.point(p.dir);
    o.output = dir.point(p.dir) + "/log";
    Running r;
    r.point = &p;
    r.start = Clock::now();
    r.pid = spawn_process(o);
    return r;
}

// The status of an ended point, or nothing when it ended because the sweep stopped it (its directory is left
// without status.json, to be run again).
std::optional<PointStatus> ended(const SweepDir& dir, const Running& r, int wait_status) {
    const int code = exit_code_of(wait_status);
    if (r.stopped && (code == 128 + SIGINT || code == 128 + SIGTERM || WIFSIGNALED(wait_status)))
        return std::nullopt;
    PointStatus s;
    s.fingerprint = r.point->fingerprint;
    s.exit_code = code;
    s.signal = signal_of(wait_status);
    s.wall_s = std::chrono::duration<double>(Clock::now() - r.start).count();
    if (code != 0) {
        s.error = failure_line(dir.point(r.point->dir) + "/log");
        if (!s.signal.empty()) s.error = "killed by " + s.signal + (s.error.empty() ? "" : ": " + s.error);
    }
    dir.write_status(r.point->dir, s);
    return s;
}

}  // namespace

SweepProgress::SweepProgress(size_t total, size_t done_before, size_t failed_before, bool enabled,
                             std::FILE* out)
    : total_(total),
      done_(done_before),
      failed_(failed_before),
      done_before_(done_before),
      enabled_(enabled),
      bar_(enabled && ::isatty(fileno(out))),
      out_(out),
      start_(Clock::now()) {}

SweepProgress::~SweepProgress() {
    clear();
}

std::string SweepProgress::eta() const {
    const size_t finished_here = done_ - done_before_;
    if (finished_here == 0) return "ETA --";
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    return "ETA " + format_duration(elapsed / static_cast<double>(finished_here) *
                                    static_cast<double>(total_ - done_));
}

void SweepProgress::redraw(bool force) {
    if (!bar_) return;
    const auto now = Clock::now();
    if (!force && drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const std::vector<std::string> fields = {
        "sweep " + std::to_string(done_) + "/" + std::to_string(total_) + " done",
        std::to_string(failed_) + " failed",
        std::to_string(running_) + " running",
        eta(),
        "elapsed " + format_duration(elapsed),
    };
    std::fprintf(out_, "\r\033[K%s", fit_progress_line(fields, terminal_columns(fileno(out_))).c_str());
    std::fflush(out_);
    drawn_ = true;
}

void SweepProgress::clear() {
    if (drawn_) {
        std::fprintf(out_, "\r\033[K");
        std::fflush(out_);
        drawn_ = false;
    }
}

void SweepProgress::message(const std::string& line) {
    clear();
    std::fprintf(out_, "%s\n", line.c_str());
    std::fflush(out_);
    redraw(true);
}

void SweepProgress::point_finished(const std::string& dir, const PointStatus& s) {
    ++done_;
    if (!s.ok()) ++failed_;
    if (!s.ok()) {
        message("sweep: point " + dir + " failed (exit " + std::to_string(s.exit_code) + ")" +
                (s.error.empty() ? "" : ": " + s.error));
    } else if (enabled_ && !bar_) {
        char wall[32];
        std::snprintf(wall, sizeof wall, "%.1fs", s.wall_s);
        message("sweep: " + std::to_string(done_) + "/" + std::to_string(total_) + " " + dir + " ok " + wall);
    }
    redraw(true);
}

void SweepProgress::set_running(size_t running) {
    running_ = running;
}

void SweepProgress::set_counts(size_t done, size_t failed, size_t running) {
    const bool changed = done != done_ || failed != failed_ || running != running_;
    done_ = done;
    failed_ = failed;
    running_ = running;
    if (changed && enabled_ && !bar_)
        message("sweep: " + std::to_string(done_) + "/" + std::to_string(total_) + " done, " +
                std::to_string(failed_) + " failed, " + std::to_string(running_) + " running");
    redraw(changed);
}

LocalRunResult run_points_locally(const SweepDir& dir, const std::vector<PointEntry>& todo, unsigned jobs,
                                  SweepProgress& progress) {
    const std::string trainvp = self_executable();
    SweepSignals signals;
    LocalRunResult result;
    std::vector<Running> running;
    size_t next = 0;
    while (next < todo.size() || !running.empty()) {
        while (!result.signal && next < todo.size() && running.size() < jobs)
            running.push_back(start_point(dir, todo[next++], trainvp));
        progress.set_running(running.size());
        progress.redraw();

        const int sig = signals.wait(kTickMs);
        if (sig == SIGINT || sig == SIGTERM) {
            if (!result.signal) {
                result.signal = sig;
                progress.message("sweep: stopping: " + std::to_string(running.size()) +
                                 " running point(s) asked to stop (again to kill them); no new points");
                for (auto& r : running) {
                    r.stopped = true;
                    ::kill(r.pid, SIGTERM);
                }
            } else {
                for (auto& r : running) ::kill(r.pid, SIGKILL);
            }
        }
        for (size_t i = 0; i < running.size();) {
            int status = 0;
            const pid_t got = ::waitpid(running[i].pid, &status, WNOHANG);
            if (got != running[i].pid) {
                ++i;
                continue;
            }
            if (const auto s = ended(dir, running[i], status)) {
                (s->ok() ? result.ok : result.failed)++;
                progress.set_running(running.size() - 1);
                progress.point_finished(running[i].point->dir, *s);
            }
            running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
        }
        if (result.signal && running.empty()) break;
    }
    progress.clear();
    return result;
}

int run_single_point(const SweepDir& dir, const PointEntry& point) {
    SweepSignals signals;
    Running r = start_point(dir, point, self_executable());
    for (;;) {
        const int sig = signals.wait(kTickMs);
        if (sig == SIGINT || sig == SIGTERM) {
            ::kill(r.pid, r.stopped ? SIGKILL : SIGTERM);
            r.stopped = true;
        }
        int status = 0;
        if (::waitpid(r.pid, &status, WNOHANG) != r.pid) continue;
        const auto s = ended(dir, r, status);
        return s ? s->exit_code : exit_code_of(status);
    }
}

}  // namespace trainvp
