/*
 * Sparse training runtime (docs/firmware-guide.md "The sparse engine"): runs a sparse training job
 * (hw/train_job.h sparse_job) on the accelerator's sparse junction-pipelined engine. It configures the engine
 * once (SPARSE_CONFIG), trains each epoch in order with descriptors of job->descriptor_samples samples
 * (SPARSE_TRAIN, the epoch's learning-rate code), and tests with one SPARSE_INFER over the test set. The
 * golden trainer (platform/sparse_run.cpp) issues the same calls, so the results are bit-identical.
 *
 * Library trainvp_accel_driver (sw/driver/sparse_runtime.c). Results of the int functions: 0, an
 * ACCEL_ERR_* code (> 0) from the hardware with *err filled in, or ACCEL_DRV_* (< 0).
 */
#ifndef TRAINVP_SPARSE_RUNTIME_H
#define TRAINVP_SPARSE_RUNTIME_H

#include <stdint.h>

#include "hw/train_job.h"
#include "trainvp/accel_ops.h"

struct sparse_rt {
    const sparse_job* job;
    struct accel_ring ring;
};

/* Checks magic, version, size, counts and addresses. Returns 0, or -1 with *why (may be NULL) set. */
int sparse_job_check(const sparse_job* job, const char** why);

/* Probes and resets the accelerator, routes its interrupt through the PLIC, configures the ring and runs
 * SPARSE_CONFIG with the job's record. */
int sparse_rt_init(struct sparse_rt* rt, const sparse_job* job, struct accel_error* err);

/* Trains epoch `epoch` (0-based) and fills *out with its training figures. The last epoch's last
 * descriptor also stores the parameters at job->addr_parameters. */
int sparse_rt_train_epoch(struct sparse_rt* rt, uint32_t epoch, sparse_epoch_result* out,
                          struct accel_error* err);

/* Predicts the test set (predictions at job->addr_predictions); *correct = predictions equal to the label. */
int sparse_rt_test(struct sparse_rt* rt, uint32_t* correct, struct accel_error* err);

#endif /* TRAINVP_SPARSE_RUNTIME_H */
