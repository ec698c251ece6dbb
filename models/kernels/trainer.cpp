#include "kernels/trainer.h"

#include <chrono>
#include <ctime>
#include <numeric>
#include <string>

#include "common/error.h"
#include "common/state_io.h"
#include "kernels/lr_schedule_core.h"
#include "kernels/prng.h"

namespace trainvp::kern {

namespace {
// The shuffle stream (plus the epoch) is shared with the training firmware through prng_core.h.
constexpr uint64_t kShuffleStream = TVP_SHUFFLE_STREAM;
}  // namespace

Trainer::Trainer(const NetworkSpec& spec, const TrainConfig& cfg, bool batch_buffers)
    : cfg_(cfg), net_(spec, cfg.batch, cfg.momentum != 0.0, batch_buffers) {
    net_.init(cfg.init, cfg.seed);
    if (!batch_buffers) return;
    batch_x_.resize(static_cast<size_t>(cfg.batch) * net_.input_size());
    batch_labels_.resize(cfg.batch);
}

void Trainer::check_shape(const DataView& data) const {
    const NetworkSpec& s = net_.spec();
    if (data.channels != s.channels || data.rows != s.rows || data.cols != s.cols)
        throw UserError("dataset images are " + std::to_string(data.channels) + "x" +
                        std::to_string(data.rows) + "x" + std::to_string(data.cols) +
                        " but the network input is " + std::to_string(s.channels) + "x" +
                        std::to_string(s.rows) + "x" + std::to_string(s.cols));
    for (uint32_t i = 0; i < data.count; ++i)
        if (data.labels[i] >= net_.num_classes())
            throw UserError("dataset label " + std::to_string(data.labels[i]) + " of sample " +
                            std::to_string(i) + " is not below the network's " +
                            std::to_string(net_.num_classes()) + " outputs");
}

void Trainer::load_image(const DataView& data, uint32_t index, float* dst) const {
    const size_t n = data.image_size();
    const uint8_t* src = data.images + index * n;
    const num::Format& fmt = net_.input_format();
    if (fmt.kind == num::FormatKind::fp32) {
        for (size_t j = 0; j < n; ++j) dst[j] = static_cast<float>(src[j]) / 255.0f;
        return;
    }
    for (size_t j = 0; j < n; ++j) dst[j] = static_cast<float>(src[j]) / 255.0f;
    num::quantize_array(dst, n, fmt, num::SrKey{cfg_.seed, kInputTensor, 0}, size_t{index} * n,
                        &input_stats_);
}

std::vector<uint32_t> Trainer::epoch_order(uint32_t count, uint32_t epoch) const {
    std::vector<uint32_t> order(count);
    std::iota(order.begin(), order.end(), 0u);
    for (uint32_t i = count; i > 1; --i) {  // Fisher-Yates, from the top
        const uint32_t j = random_below(cfg_.seed, kShuffleStream + epoch, i, i);
        std::swap(order[i - 1], order[j]);
    }
    return order;
}

EpochResult Trainer::train_epoch(const DataView& train, const ProgressFn& progress) {
    check_shape(train);
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    const std::vector<uint32_t> order = epoch_order(train.count, epochs_done_);
    SgdParams sgd;
    sgd.lr = tvp_epoch_lr(cfg_.lr, cfg_.lr_decay_every, cfg_.lr_decay_factor, epochs_done_);
    sgd.momentum = cfg_.momentum;
    sgd.weight_decay = cfg_.weight_decay;
    EpochResult r;
    r.epoch = epochs_done_ + 1;
    const size_t isz = net_.input_size();
    for (uint32_t first = cursor_.next; first < train.count; first += cfg_.batch) {
        const uint32_t n = std::min(cfg_.batch, train.count - first);
        for (uint32_t b = 0; b < n; ++b) {
            load_image(train, order[first + b], batch_x_.data() + b * isz);
            batch_labels_[b] = train.labels[order[first + b]];
        }
        const LossResult lr =
            net_.train_step(batch_x_.data(), batch_labels_.data(), n, sgd, cfg_.seed, steps_done_);
        ++steps_done_;
        cursor_.next = first + n;
        cursor_.loss_sum += lr.loss_sum;
        cursor_.correct += lr.correct;
        if (progress) progress(first + n, train.count);
        if (stop_flag_ && *stop_flag_ && cursor_.next < train.count) {
            r.stopped = true;
            r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            r.cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
            return r;
        }
    }
    const double loss_sum = cursor_.loss_sum;
    const uint32_t correct = cursor_.correct;
    cursor_ = EpochCursor{};
    ++epochs_done_;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    r.train.count = train.count;
    r.train.loss = train.count ? loss_sum / train.count : 0.0;
    r.train.accuracy = train.count ? double(correct) / train.count : 0.0;
    r.images_per_second = r.seconds > 0 ? train.count / r.seconds : 0.0;
    return r;
}

EvalResult Trainer::evaluate(const DataView& data) {
    check_shape(data);
    const size_t isz = net_.input_size();
    double loss_sum = 0.0;
    uint32_t correct = 0;
    for (uint32_t first = 0; first < data.count; first += cfg_.batch) {
        const uint32_t n = std::min(cfg_.batch, data.count - first);
        for (uint32_t b = 0; b < n; ++b) load_image(data, first + b, batch_x_.data() + b * isz);
        const LossResult lr = net_.evaluate(batch_x_.data(), data.labels + first, n, cfg_.seed);
        loss_sum += lr.loss_sum;
        correct += lr.correct;
    }
    EvalResult r;
    r.count = data.count;
    r.loss = data.count ? loss_sum / data.count : 0.0;
    r.accuracy = data.count ? double(correct) / data.count : 0.0;
    return r;
}

namespace {
constexpr uint32_t kTrainerStateVersion = 1;
}

void Trainer::save_state(StateWriter& w) const {
    w.u32(kTrainerStateVersion);
    w.u32(epochs_done_);
    w.u32(steps_done_);
    w.u32(cursor_.next);
    w.f64(cursor_.loss_sum);
    w.u32(cursor_.correct);
    w.u64(input_stats_.values);
    w.u64(input_stats_.saturated);
    w.u64(input_stats_.underflow_to_zero);
    net_.save_state(w);
}

void Trainer::restore_state(StateReader& r) {
    if (r.u32() != kTrainerStateVersion) r.fail("trainer state of another layout");
    epochs_done_ = r.u32();
    steps_done_ = r.u32();
    cursor_.next = r.u32();
    cursor_.loss_sum = r.f64();
    cursor_.correct = r.u32();
    input_stats_.values = r.u64();
    input_stats_.saturated = r.u64();
    input_stats_.underflow_to_zero = r.u64();
    net_.restore_state(r);
}

}  // namespace trainvp::kern
