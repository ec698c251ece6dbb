#include "progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <string>

namespace trainvp {

namespace {
uint64_t ram_offset(uint32_t addr) {
    return uint64_t{addr} - TRAINVP_DRAM_BASE;
}

// The width of the per-epoch lines (no terminal to ask): they stay within 100 columns.
constexpr int kLineWidth = 101;
constexpr int kBarCells = 20;
}  // namespace

std::string fit_progress_line(const std::vector<std::string>& fields, int width) {
    const size_t limit = width > 1 ? static_cast<size_t>(width - 1) : 0;
    std::string line;
    for (const std::string& f : fields) {
        const size_t sep = line.empty() ? 0 : 2;
        if (line.size() + sep + f.size() > limit) break;
        if (sep) line += "  ";
        line += f;
    }
    if (line.empty() && !fields.empty()) line = fields.front().substr(0, limit);
    return line;
}

int terminal_columns(int fd) {
    struct winsize ws {};
    if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    if (const char* env = std::getenv("COLUMNS")) {
        char* end = nullptr;
        const long n = std::strtol(env, &end, 10);
        if (end != env && *end == '\0' && n > 0 && n <= 10000) return static_cast<int>(n);
    }
    return 80;
}

std::string format_duration(double seconds) {
    const long s = std::lround(std::max(0.0, std::min(seconds, 1e8)));
    char b[32];
    if (s < 60)
        std::snprintf(b, sizeof b, "%lds", s);
    else if (s < 3600)
        std::snprintf(b, sizeof b, "%ldm%02lds", s / 60, s % 60);
    else
        std::snprintf(b, sizeof b, "%ldh%02ldm", s / 3600, s / 60 % 60);
    return b;
}

TrainProgress::Mode TrainProgress::pick(bool enabled) {
    if (!enabled) return Mode::off;
    return isatty(fileno(stderr)) ? Mode::bar : Mode::lines;
}

TrainProgress::TrainProgress(const Memory& ram, const train_job& job, Mode mode,
                             std::function<double()> sim_now_s, std::FILE* out)
    : ram_(ram),
      job_(job),
      mode_(mode),
      sim_now_s_(std::move(sim_now_s)),
      out_(out),
      wall_start_(std::chrono::steady_clock::now()) {}

TrainProgress::Snapshot TrainProgress::read_snapshot() const {
    // The header of train_results only: magic, status, err_addr, epochs_done, steps_done.
    uint32_t head[5] = {};
    ram_.read(ram_offset(job_.addr_results), head, sizeof head);
    Snapshot s;
    s.magic = head[0];
    s.epochs_done = std::min(head[3], job_.epochs);
    s.steps_done = std::min(head[4], job_.steps_per_epoch * job_.epochs);
    return s;
}

double TrainProgress::step_mean_loss(uint32_t step) const {
    double sum = 0.0;
    ram_.read(ram_offset(job_.addr_step_losses) + uint64_t{step} * sizeof(double), &sum, sizeof sum);
    // The last batch of an epoch may be smaller.
    const uint32_t in_epoch = job_.steps_per_epoch ? step % job_.steps_per_epoch : 0;
    const uint32_t first = in_epoch * job_.batch;
    const uint32_t n = std::min(job_.batch, job_.train_count - std::min(first, job_.train_count));
    return n ? sum / n : 0.0;
}

uint64_t TrainProgress::images_trained(uint32_t steps_done) const {
    if (!job_.steps_per_epoch) return 0;
    const uint32_t epochs = steps_done / job_.steps_per_epoch;
    const uint32_t steps = steps_done % job_.steps_per_epoch;
    return uint64_t{epochs} * job_.train_count +
           std::min<uint64_t>(uint64_t{steps} * job_.batch, job_.train_count);
}

void TrainProgress::update(uint32_t /*value*/) {
    if (mode_ == Mode::off) return;
    if (mode_ == Mode::lines) {
        const Snapshot s = read_snapshot();
        if (s.magic == TRAIN_RESULTS_MAGIC && s.epochs_done > epochs_printed_)
            print_epoch_lines(s.epochs_done);
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (bar_drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const Snapshot s = read_snapshot();
    if (s.magic != TRAIN_RESULTS_MAGIC) return;
    draw_bar(s);
}

void TrainProgress::console_char(char) {
    // The console line is still in stdout's buffer (flushed at its newline); clearing the bar now lets it
    // start at column 0, and the next update redraws the bar below it.
    if (mode_ != Mode::bar || !bar_drawn_) return;
    std::fprintf(out_, "\r\033[K");
    std::fflush(out_);
    bar_drawn_ = false;
}

double TrainProgress::wall_elapsed_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
}

std::string TrainProgress::eta(uint32_t steps_done) const {
    const uint64_t total = uint64_t{job_.steps_per_epoch} * job_.epochs;
    if (steps_done == 0 || total == 0) return "ETA --";
    const double left = static_cast<double>(total - std::min<uint64_t>(steps_done, total));
    return "ETA " + format_duration(wall_elapsed_s() * left / steps_done);
}

void TrainProgress::draw_bar(const Snapshot& s) {
    const uint32_t spe = std::max(job_.steps_per_epoch, 1u);
    // An epoch's steps are done before its test pass: until the pass is recorded, it is the current epoch.
    const uint32_t epoch = std::min(s.epochs_done + 1, std::max(job_.epochs, 1u));
    const uint32_t in_epoch = s.steps_done - std::min(s.steps_done, (epoch - 1) * spe);
    const uint64_t total = std::max<uint64_t>(uint64_t{spe} * job_.epochs, 1);
    const int filled = static_cast<int>(kBarCells * std::min<uint64_t>(s.steps_done, total) / total);
    const double sim_s = sim_now_s_();
    const double wall_s = wall_elapsed_s();
    const uint64_t images = images_trained(s.steps_done);
    auto text = [](const char* format, auto... args) {
        char b[64];
        std::snprintf(b, sizeof b, format, args...);
        return std::string(b);
    };
    // Most important first: the narrower the terminal, the more fields are dropped from the right.
    const std::vector<std::string> fields = {
        text("epoch %u/%u", epoch, job_.epochs),
        text("step %u/%u", in_epoch, spe),
        text("%.0f%% ", 100.0 * std::min<uint64_t>(s.steps_done, total) / total) + eta(s.steps_done),
        "[" + std::string(filled, '#') + std::string(kBarCells - filled, '.') + "]",
        s.steps_done ? text("loss %.4f", step_mean_loss(s.steps_done - 1)) : "loss -",
        text("sim %.3f s", sim_s),
        text("%.0f img/s sim", sim_s > 0 ? images / sim_s : 0.0),
        text("%.0f img/s wall", wall_s > 0 ? images / wall_s : 0.0)};
    const std::string line = fit_progress_line(fields, terminal_columns(fileno(out_)));
    std::fprintf(out_, "\r\033[K%s", line.c_str());
    std::fflush(out_);
    bar_drawn_ = true;
}

void TrainProgress::print_epoch_lines(uint32_t epochs_done) {
    const double sim_s = sim_now_s_();
    const double wall_s = wall_elapsed_s();
    const uint32_t steps_done = read_snapshot().steps_done;
    for (uint32_t e = epochs_printed_; e < epochs_done; ++e) {
        train_epoch_result r{};
        ram_.read(
            ram_offset(job_.addr_results) + offsetof(train_results, epochs) + e * sizeof(train_epoch_result),
            &r, sizeof r);
        char b[5][48];
        std::snprintf(b[0], sizeof b[0], "trainvp: epoch %u/%u", e + 1, job_.epochs);
        std::snprintf(b[1], sizeof b[1], "loss %.4f", r.train_count ? r.train_loss_sum / r.train_count : 0.0);
        std::snprintf(b[2], sizeof b[2], "train %.2f%%",
                      r.train_count ? 100.0 * r.train_correct / r.train_count : 0.0);
        // The test loss is in the summary table and the report; the line keeps room for the ETA.
        std::snprintf(b[3], sizeof b[3], "test %.2f%%",
                      r.test_count ? 100.0 * r.test_correct / r.test_count : 0.0);
        std::snprintf(b[4], sizeof b[4], "sim %.3f s, wall %.1f s", sim_s, wall_s);
        std::vector<std::string> fields(std::begin(b), std::end(b));
        if (e + 1 < job_.epochs) fields.push_back(eta(steps_done));
        std::fprintf(out_, "%s\n", fit_progress_line(fields, kLineWidth).c_str());
    }
    std::fflush(out_);
    epochs_printed_ = epochs_done;
}

void TrainProgress::finish() {
    if (mode_ == Mode::off) return;
    if (mode_ == Mode::bar) {
        if (bar_drawn_) std::fprintf(out_, "\r\033[K");
        std::fflush(out_);
        bar_drawn_ = false;
        return;
    }
    const Snapshot s = read_snapshot();
    if (s.magic == TRAIN_RESULTS_MAGIC && s.epochs_done > epochs_printed_) print_epoch_lines(s.epochs_done);
}

}  // namespace trainvp
