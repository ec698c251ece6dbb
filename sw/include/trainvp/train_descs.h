/*
 * The training runtime's descriptor sequences (sw/driver/train_descs.c), built from a training job alone: no
 * register, no memory but the output array. The firmware issues them (trainvp/train_runtime.h); the platform
 * builds the same sequences on the host to check a job against the accelerator's buffers before the
 * simulation starts (platform/train_job_check.cpp), so both follow one source.
 */
#ifndef TRAINVP_TRAIN_DESCS_H
#define TRAINVP_TRAIN_DESCS_H

#include <stdint.h>

#include "hw/train_job.h"
#include "trainvp/accel_ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Stochastic-rounding tensor ids of the golden network (kern::tensor_id, kern::Slot in
 * models/kernels/network.h): layer l uses 16 (l + 1) + slot, the loss gradient the dx slot of a virtual
 * layer after the last, evaluation passes step 0xffffffff. test/train_fw checks these against the C++. */
enum train_rt_slot {
    TRAIN_RT_SLOT_ACT,
    TRAIN_RT_SLOT_DX,
    TRAIN_RT_SLOT_DW,
    TRAIN_RT_SLOT_DB,
    TRAIN_RT_SLOT_W_MASTER,
    TRAIN_RT_SLOT_B_MASTER,
    TRAIN_RT_SLOT_W,
    TRAIN_RT_SLOT_B,
    TRAIN_RT_SLOT_W_VELOCITY,
    TRAIN_RT_SLOT_B_VELOCITY,
    TRAIN_RT_SLOT_DY,
};
#define TRAIN_RT_TENSOR_ID(layer, slot) (16u * ((uint32_t)(layer) + 1u) + (uint32_t)(slot))
#define TRAIN_RT_EVAL_STEP 0xffffffffu

/* Descriptors of one SGD step at most for a job without concat layers: forward, the output error's sum and
 * two backward per layer, the loss, two updates per layer. Of an evaluation pass: forward per layer and the
 * loss. A concat layer copies each input's block per sample (docs/firmware-guide.md "Graphs in the job"), so its
 * count grows with the batch: train_descs_step_bound and train_descs_eval_bound give a job's bounds. */
#define TRAIN_RT_MAX_STEP_DESCS (6u * TRAIN_JOB_MAX_LAYERS + 1u)
#define TRAIN_RT_MAX_EVAL_DESCS (TRAIN_JOB_MAX_LAYERS + 1u)

/* The most descriptors train_descs_step / train_descs_eval write for this job at any n <= job->batch:
 * per layer 6 (step) or 1 (eval), per concat layer 1 + 2 x inputs x batch (step) or inputs x batch (eval),
 * and the loss. */
uint32_t train_descs_step_bound(const train_job* job);
uint32_t train_descs_eval_bound(const train_job* job);

/* One SGD step on n (1..job->batch) samples already gathered at addr_batch_input: forward through every
 * layer, softmax cross-entropy with its gradient, backward (input error, then weight gradients) from the last
 * layer down, SGD update of every parameter; stochastic-rounding step 0 (the runtime patches it per step).
 * Writes at most train_descs_step_bound(job) descriptors to `out`; returns the count. */
uint32_t train_descs_step(const train_job* job, uint32_t n, accel_desc* out);

/* Evaluation of the n test samples from `first`, read in place from addr_test_images: forward and loss
 * without gradient, at step TRAIN_RT_EVAL_STEP. At most train_descs_eval_bound(job) descriptors; returns the
 * count. */
uint32_t train_descs_eval(const train_job* job, uint32_t n, uint32_t first, accel_desc* out);

/* 1 when only layer 0 reads the network input, as its one input: then descriptor 0 of an evaluation pass
 * is the only one reading the test images (its addr_x), and the labels are the last descriptor's. */
int train_descs_input_first_only(const train_job* job);

/* The DMA_COPY that gathers one training image into batch slot `slot` (its source, training image 0, is
 * patched per step). */
void train_descs_gather(const train_job* job, uint32_t slot, accel_desc* out);

#ifdef __cplusplus
}
#endif

#endif /* TRAINVP_TRAIN_DESCS_H */
