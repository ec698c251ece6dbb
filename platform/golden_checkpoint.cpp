#include "golden_checkpoint.h"

#include <cstdio>

#include "checkpoint_identity.h"
#include "common/error.h"
#include "common/state_io.h"

namespace trainvp {

namespace {
constexpr uint32_t kEpochsVersion = 1;
}

GoldenCheckpoints::GoldenCheckpoints(CheckpointOptions opts)
    : opts_(std::move(opts)), enabled_(!opts_.path.empty()) {
    if (!opts_.resume_path.empty()) {
        resume_ = std::make_unique<Checkpoint>(read_checkpoint(opts_.resume_path));
        if (resume_->identity.kind != CheckpointKind::golden)
            throw UserError(
                opts_.resume_path +
                ": a run checkpoint (from trainvp run); trainvp golden resumes only from a golden "
                "checkpoint (from trainvp golden)");
    }
}

void GoldenCheckpoints::set_identity(std::string scenario_name, const TrainingScenario& scenario,
                                     const TrainingData& data) {
    scenario_name_ = std::move(scenario_name);
    identity_.kind = CheckpointKind::golden;
    identity_.config_hash = golden_config_hash(scenario);
    identity_.dataset_hash = datasets_hash(data.train, data.test);
    if (resume_) check_identity(*resume_, identity_, opts_.resume_path, scenario_name_);
}

GoldenCheckpoints::~GoldenCheckpoints() = default;

bool GoldenCheckpoints::restore(kern::Trainer& trainer, std::vector<GoldenEpochFigures>& epochs) {
    if (!resume_) return false;
    const std::string& path = opts_.resume_path;
    {
        StateReader r(resume_->section("trainer", path), path + ": section 'trainer'");
        trainer.restore_state(r);
        r.expect_end();
    }
    StateReader r(resume_->section("epochs", path), path + ": section 'epochs'");
    if (r.u32() != kEpochsVersion) r.fail("epoch figures of another layout");
    epochs.clear();
    for (size_t n = r.count(36); n; --n) {
        GoldenEpochFigures f;
        f.epoch = r.u32();
        f.train_loss = r.f64();
        f.train_accuracy = r.f64();
        f.test_loss = r.f64();
        f.test_accuracy = r.f64();
        epochs.push_back(f);
    }
    r.expect_end();
    if (epochs.size() != trainer.epochs_done())
        throw UserError(path + ": holds " + std::to_string(epochs.size()) + " epochs' figures for " +
                        std::to_string(trainer.epochs_done()) + " epochs done");
    resume_.reset();
    std::printf("resumed  %s: %u epoch%s done, step %u\n", path.c_str(), trainer.epochs_done(),
                trainer.epochs_done() == 1 ? "" : "s", trainer.steps_done());
    return true;
}

void GoldenCheckpoints::after_step(const kern::Trainer& trainer,
                                   const std::vector<GoldenEpochFigures>& epochs) {
    if (enabled_ && !opts_.every.epoch && trainer.steps_done() % opts_.every.steps == 0)
        save(trainer, epochs);
}

void GoldenCheckpoints::after_epoch(const kern::Trainer& trainer,
                                    const std::vector<GoldenEpochFigures>& epochs) {
    if (enabled_ && opts_.every.epoch) save(trainer, epochs);
}

void GoldenCheckpoints::save(const kern::Trainer& trainer, const std::vector<GoldenEpochFigures>& epochs) {
    Checkpoint ck;
    ck.identity = identity_;
    const std::string meta =
        "scenario: " + scenario_name_ + "\nepochs_done: " + std::to_string(trainer.epochs_done()) +
        "\nepochs: " + std::to_string(trainer.config().epochs) +
        "\nsteps_done: " + std::to_string(trainer.steps_done()) +
        "\nepoch_position: " + std::to_string(trainer.cursor().next) + "\ncheckpoint_every: " +
        (opts_.every.epoch ? "epoch" : std::to_string(opts_.every.steps) + " steps") + "\n";
    ck.add("meta", std::vector<uint8_t>(meta.begin(), meta.end()));
    StateWriter t;
    trainer.save_state(t);
    ck.add("trainer", std::move(t.data()));
    StateWriter e;
    e.u32(kEpochsVersion);
    e.u64(epochs.size());
    for (const GoldenEpochFigures& f : epochs) {
        e.u32(f.epoch);
        e.f64(f.train_loss);
        e.f64(f.train_accuracy);
        e.f64(f.test_loss);
        e.f64(f.test_accuracy);
    }
    ck.add("epochs", std::move(e.data()));
    try {
        write_checkpoint(opts_.path, ck);
    } catch (const UserError& err) {
        // The training itself is unaffected; further checkpoints would most likely fail the same way.
        std::fprintf(stderr, "trainvp: error: %s; no more checkpoints this run\n", err.what());
        enabled_ = false;
        return;
    }
    ++written_;
}

}  // namespace trainvp
