// Mini-batch SGD over a dataset with the network of network.h: seeded shuffling, epochs, evaluation.
// Shared by `trainvp golden` and, later, the accelerator's reference checks.
#pragma once

#include <csignal>
#include <cstdint>
#include <functional>
#include <vector>

#include "kernels/network.h"

namespace trainvp::kern {

struct TrainConfig {
    uint32_t epochs = 10;
    uint32_t batch = 32;
    double lr = 0.1;
    double momentum = 0.0;
    double weight_decay = 0.0;
    uint32_t lr_decay_every = 0;   // lr * lr_decay_factor^floor(epoch / every) (lr_schedule_core.h); 0: none
    double lr_decay_factor = 1.0;
    uint64_t seed = 1;
    InitKind init = InitKind::he_uniform;
};

// Images of count x channels x rows x cols bytes (pixel / 255 is the value) and their labels.
struct DataView {
    const uint8_t* images = nullptr;
    const uint8_t* labels = nullptr;
    uint32_t count = 0, channels = 1, rows = 0, cols = 0;
    size_t image_size() const { return size_t{channels} * rows * cols; }
};

struct EvalResult {
    double loss = 0.0;      // mean cross-entropy
    double accuracy = 0.0;  // fraction correct
    uint32_t count = 0;
};

struct EpochResult {
    uint32_t epoch = 0;        // 1-based
    EvalResult train;          // over the epoch's training forward passes, each taken before its update
    double seconds = 0.0;      // wall-clock time of the epoch's training steps
    double cpu_seconds = 0.0;  // processor time of this process over the same span (std::clock)
    double images_per_second = 0.0;
    bool stopped = false;  // the stop flag ended the epoch early; the cursor holds its position
};

// Called after every batch with (images done, images in the epoch).
using ProgressFn = std::function<void(uint32_t, uint32_t)>;

// The epoch in progress: where its next batch starts and the training figures of its batches so far. All
// zero between epochs.
struct EpochCursor {
    uint32_t next = 0;  // first position in the epoch's permutation not yet trained
    double loss_sum = 0.0;
    uint32_t correct = 0;
};

class Trainer {
  public:
    // Builds and initialises the network (Network::init with cfg.init and cfg.seed). Without batch_buffers,
    // the network and the trainer hold parameters only (Network), for a caller that only reads them.
    Trainer(const NetworkSpec& spec, const TrainConfig& cfg, bool batch_buffers = true);

    // One epoch: a permutation of the training set drawn from (seed, epoch), consecutive batches of
    // cfg.batch (the last may be smaller), one SGD step each. Step numbers count from 0 across epochs.
    // An epoch restored mid-way (restore_state) goes on from its cursor; the result is the same as if it had
    // run in one piece (seconds and images per second cover only this call).
    // With a stop flag set (set_stop_flag) the epoch returns after the step in progress with `stopped` true
    // and its cursor kept, so a later call (or a checkpoint) goes on from there.
    EpochResult train_epoch(const DataView& train, const ProgressFn& progress = {});
    // A flag (e.g. set by a SIGINT handler) checked after every step; null: none.
    void set_stop_flag(const volatile std::sig_atomic_t* flag) { stop_flag_ = flag; }
    EvalResult evaluate(const DataView& data);

    // Image i of a dataset in the network's input format: pixel / 255 in float, then rounded with key
    // (seed, kInputTensor, 0) and element index i * image_size + j, so every pass sees the same input.
    void load_image(const DataView& data, uint32_t index, float* dst) const;
    // The permutation train_epoch uses for `epoch` (0-based).
    std::vector<uint32_t> epoch_order(uint32_t count, uint32_t epoch) const;

    Network& network() { return net_; }
    const Network& network() const { return net_; }
    const TrainConfig& config() const { return cfg_; }
    uint32_t epochs_done() const { return epochs_done_; }
    uint32_t steps_done() const { return steps_done_; }
    const EpochCursor& cursor() const { return cursor_; }
    num::QuantStats input_stats() const { return input_stats_; }

    // Checkpoints: the network's state, epochs and steps done, the cursor of the epoch in progress and the
    // input rounding statistics. Valid between steps (e.g. from the progress callback, which runs after a
    // step). Restoring into a trainer of another network shape throws StateError.
    void save_state(StateWriter& w) const;
    void restore_state(StateReader& r);

  private:
    void check_shape(const DataView& data) const;

    TrainConfig cfg_;
    Network net_;
    uint32_t epochs_done_ = 0;
    uint32_t steps_done_ = 0;
    EpochCursor cursor_;
    std::vector<float> batch_x_;
    std::vector<uint8_t> batch_labels_;
    mutable num::QuantStats input_stats_;
    const volatile std::sig_atomic_t* stop_flag_ = nullptr;
};

}  // namespace trainvp::kern
