#include "progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <string>

namespace trainvp {

namespace {
uint64_t ram_offset(uint32_t addr) {
    return uint64_t{addr} - TRAINVP_DRAM_BASE;
}
}  // namespace

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

void TrainProgress::draw_bar(const Snapshot& s) {
    const uint32_t spe = std::max(job_.steps_per_epoch, 1u);
    const uint32_t epoch = std::min(s.steps_done / spe + 1, std::max(job_.epochs, 1u));
    const uint32_t in_epoch = s.steps_done - (epoch - 1) * spe;
    const int width = 20;
    const int filled = static_cast<int>(int64_t{width} * in_epoch / spe);
    const double sim_s = sim_now_s_();
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
    const uint64_t images = images_trained(s.steps_done);
    char loss[32] = "-";
    if (s.steps_done) std::snprintf(loss, sizeof loss, "%.4f", step_mean_loss(s.steps_done - 1));
    std::fprintf(
        out_, "\r\033[Kepoch %u/%u [%s%s] step %u/%u  loss %s  sim %.3f s  %.0f img/s sim  %.0f img/s wall",
        epoch, job_.epochs, std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
        in_epoch, spe, loss, sim_s, sim_s > 0 ? images / sim_s : 0.0, wall_s > 0 ? images / wall_s : 0.0);
    std::fflush(out_);
    bar_drawn_ = true;
}

void TrainProgress::print_epoch_lines(uint32_t epochs_done) {
    const double sim_s = sim_now_s_();
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
    for (uint32_t e = epochs_printed_; e < epochs_done; ++e) {
        train_epoch_result r{};
        ram_.read(
            ram_offset(job_.addr_results) + offsetof(train_results, epochs) + e * sizeof(train_epoch_result),
            &r, sizeof r);
        const double pct_train = r.train_count ? 100.0 * r.train_correct / r.train_count : 0.0;
        const double pct_test = r.test_count ? 100.0 * r.test_correct / r.test_count : 0.0;
        std::fprintf(
            out_,
            "trainvp: epoch %u/%u  loss %.4f  train %.2f%%  test %.2f%%  test loss %.4f  (sim %.3f s, "
            "wall %.1f s)\n",
            e + 1, job_.epochs, r.train_count ? r.train_loss_sum / r.train_count : 0.0, pct_train, pct_test,
            r.test_count ? r.test_loss_sum / r.test_count : 0.0, sim_s, wall_s);
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
