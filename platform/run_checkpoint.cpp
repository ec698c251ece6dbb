#include "run_checkpoint.h"

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "common/error.h"

namespace trainvp {

namespace {
std::string every_text(const CheckpointEvery& e) {
    return e.epoch ? "epoch" : std::to_string(e.steps) + " steps";
}
}  // namespace

RunCheckpoints::RunCheckpoints(CheckpointOptions opts) : opts_(std::move(opts)), log_("checkpoint") {
    if (!opts_.resume_path.empty()) {
        resume_ = std::make_unique<Checkpoint>(read_checkpoint(opts_.resume_path));
        if (resume_->identity.kind != CheckpointKind::run)
            throw UserError(
                opts_.resume_path +
                ": a golden checkpoint (from trainvp golden); trainvp run resumes only from a run "
                "checkpoint (from trainvp run)");
    }
}

RunCheckpoints::~RunCheckpoints() = default;

void RunCheckpoints::set_identity(uint64_t config_hash, uint64_t firmware_hash, std::string scenario_name) {
    identity_.kind = CheckpointKind::run;
    identity_.config_hash = config_hash;
    identity_.firmware_hash = firmware_hash;
    identity_.job_version = TRAIN_JOB_VERSION;
    identity_.job_bytes = sizeof(train_job);
    identity_.results_bytes = sizeof(train_results);
    scenario_name_ = std::move(scenario_name);
    // Everything but the data can be checked now, before the platform is built; the data once it is in DRAM.
    if (resume_) {
        CheckpointIdentity known = identity_;
        known.dataset_hash = resume_->identity.dataset_hash;
        check_identity(*resume_, known, opts_.resume_path, scenario_name_);
    }
}

RunCheckpoints::Progress RunCheckpoints::read_progress() const {
    uint32_t head[5] = {};  // magic, status, err_addr, epochs_done, steps_done
    soc_->ram.read(uint64_t{job_.addr_results} - TRAINVP_DRAM_BASE, head, sizeof head);
    return Progress{head[0], head[3], head[4]};
}

void RunCheckpoints::attach(Platform& soc, const train_job& job, double max_time_s) {
    soc_ = &soc;
    job_ = job;
    // The datasets, written by the platform from the scenario before every run: [train images, test labels].
    const uint64_t first = uint64_t{job.addr_train_images} - TRAINVP_DRAM_BASE;
    const uint64_t end = uint64_t{job.addr_test_labels} + job.test_count - TRAINVP_DRAM_BASE;
    rebuilt_ = {RamRange{first, end - first}};
    identity_.dataset_hash = ram_ranges_hash(soc.ram, rebuilt_);

    if (resume_) {
        const std::string& path = opts_.resume_path;
        check_identity(*resume_, identity_, path, scenario_name_);
        const std::string at_ps = checkpoint_meta_value(*resume_, "simulated_time_ps");
        const double at_s = at_ps.empty() ? 0.0 : std::stod(at_ps) * 1e-12;
        if (max_time_s > 0 && at_s >= max_time_s)
            throw UserError(path + ": the checkpoint is at simulated time " + std::to_string(at_s) +
                            " s, not before the time limit " + std::to_string(max_time_s) + " s");
        restore_platform(soc, rebuilt_, *resume_, path);
        resume_.reset();
        const Progress p = read_progress();
        last_epochs_ = p.epochs_done;
        last_steps_ = p.steps_done;
        std::fprintf(stderr,
                     "trainvp: resumed from %s: %u of %u epoch%s done, step %u, simulated time %.6f s\n",
                     path.c_str(), p.epochs_done, job.epochs, job.epochs == 1 ? "" : "s", p.steps_done, at_s);
    }
    if (!opts_.path.empty()) {
        enabled_ = true;
        auto before = std::move(soc.simctrl.on_progress);
        soc.simctrl.on_progress = [this, before = std::move(before)](uint32_t v) {
            if (before) before(v);
            on_progress();
        };
    }
}

// A checkpoint is due at the first progress report at or after the point the option names: `epoch` when the
// results area shows another epoch done, N steps when the step count reaches a multiple of N (the report
// after the epoch's test pass repeats the step count and is not a second one).
void RunCheckpoints::on_progress() {
    if (!enabled_) return;
    const Progress p = read_progress();
    if (p.magic != TRAIN_RESULTS_MAGIC) return;
    bool due;
    if (opts_.every.epoch) {
        due = p.epochs_done > last_epochs_;
    } else {
        due = p.steps_done > last_steps_ && p.steps_done % opts_.every.steps == 0;
    }
    last_epochs_ = std::max(last_epochs_, p.epochs_done);
    last_steps_ = std::max(last_steps_, p.steps_done);
    if (!due) return;
    const uint32_t e = p.epochs_done, s = p.steps_done;
    soc_->cpu.request_pause([this, e, s] { save(e, s); });
}

void RunCheckpoints::save(uint32_t epochs_done, uint32_t steps_done) {
    const auto start = std::chrono::steady_clock::now();
    std::string why;
    if (!platform_quiescent(*soc_, why)) {
        ++skipped_;
        log_.info("checkpoint at epoch ", epochs_done, ", step ", steps_done, " skipped: ", why);
        return;
    }
    Checkpoint& ck = scratch_;
    ck.identity = identity_;
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    char meta[512];
    std::snprintf(meta, sizeof meta,
                  "scenario: %s\nepochs_done: %u\nepochs: %u\nsteps_done: %u\nsteps_per_epoch: %u\n"
                  "simulated_time: %.12f s\nsimulated_time_ps: %" PRIu64 "\ncheckpoint_every: %s\n",
                  scenario_name_.c_str(), epochs_done, job_.epochs, steps_done, job_.steps_per_epoch,
                  now.to_seconds(), static_cast<uint64_t>(now.value()), every_text(opts_.every).c_str());
    std::vector<uint8_t>& text = ck.slot("meta");
    text.assign(meta, meta + std::strlen(meta));
    save_platform(*soc_, rebuilt_, ck);
    try {
        last_bytes_ = write_checkpoint(opts_.path, ck);
    } catch (const UserError& e) {
        // The run's results stay good; further checkpoints would most likely fail the same way.
        std::fprintf(stderr, "trainvp: error: %s; no more checkpoints this run\n", e.what());
        enabled_ = false;
        return;
    }
    ++written_;
    last_epoch_saved_ = epochs_done;
    last_step_saved_ = steps_done;
    last_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    max_ms_ = std::max(max_ms_, last_ms_);
    log_.info("saved ", opts_.path, " at epoch ", epochs_done, ", step ", steps_done, ": ", last_bytes_,
              " bytes in ", last_ms_, " ms");
}

std::string RunCheckpoints::summary() const {
    if (!written_ && !skipped_) return "";
    char b[512];
    std::snprintf(b, sizeof b,
                  "%u written to %s (the last with %u epoch%s and %u step%s done: %" PRIu64
                  " bytes in %.1f ms)",
                  written_, opts_.path.c_str(), last_epoch_saved_, last_epoch_saved_ == 1 ? "" : "s",
                  last_step_saved_, last_step_saved_ == 1 ? "" : "s", last_bytes_, last_ms_);
    std::string s = written_ ? b : "none written";
    if (skipped_)
        s += ", " + std::to_string(skipped_) + " skipped (platform busy; --log-level info says why)";
    return s;
}

}  // namespace trainvp
