/*
 * Training runtime (docs/firmware-guide.md layering: HAL -> ops -> training runtime -> apps). It takes a
 * network from a training job in DRAM (hw/train_job.h) and issues, through the ops layer's ring, exactly
 * the descriptor sequence that reproduces the golden trainer (models/kernels/trainer.cpp, network.cpp)
 * bit for bit: per mini-batch the gather of the shuffled samples, forward through all layers, softmax
 * cross-entropy with its gradient, backward (error and weight gradients), SGD update of every parameter;
 * evaluation with forward and loss only at step TRAIN_RT_EVAL_STEP.
 *
 * Descriptors are built once per batch size and kept; a step only patches the stochastic-rounding step
 * and the gather's source addresses, so the CPU work per step does not grow with the tensors.
 *
 * Library trainvp_accel_driver (sw/driver/train_runtime.c). Results of the int functions: 0, an ACCEL_ERR_*
 * code (> 0) from the hardware with *err filled in, or ACCEL_DRV_* (< 0).
 */
#ifndef TRAINVP_TRAIN_RUNTIME_H
#define TRAINVP_TRAIN_RUNTIME_H

#include <stdint.h>

#include "hw/train_job.h"
#include "trainvp/accel_ops.h"
#include "trainvp/train_descs.h"
#include "trainvp/train_scales.h"

struct train_rt {
    const train_job* job;
    struct accel_ring ring;
    uint32_t image_bytes; /* one converted input image */
    /* The step sequence for step_n samples; sr_step patched per step. Heap arrays sized for the job's
     * layers (TRAIN_RT_MAX_STEP_DESCS and _EVAL_DESCS are the bounds for TRAIN_JOB_MAX_LAYERS), so a small
     * network does not pay for zeroing or copying the bound. */
    uint32_t step_n, step_count;
    accel_desc* step_descs;
    /* The evaluation sequence for eval_n samples from test sample eval_first, reading the test images in
     * place. With eval_patch (only descriptor 0 reads them: train_descs_input_first_only) a batch patches
     * that descriptor's addr_x and the loss's labels; otherwise it is built again for another batch. */
    uint32_t eval_n, eval_count, eval_first, eval_patch;
    accel_desc* eval_descs;
    /* job->batch DMA_COPY descriptors gathering the shuffled images into addr_batch_input. */
    accel_desc* gather;
    /* int8 scale tracking (trainvp/train_scales.h): after each step, may rewrite the job's format codes. */
    struct train_scales scales;
    /* The learning rate of the current epoch (train_rt_set_epoch), in every SGD_UPDATE of step_descs. */
    double lr;
};

/* Checks magic, version, size and the consistency of the description (layer chain, shapes, formats,
 * buffer addresses, ring, steps_per_epoch). Returns 0, or -1 with *why (may be NULL) set to a message. */
int train_job_check(const train_job* job, const char** why);

/* Probes and resets the accelerator, routes its interrupt through the PLIC (WFI completion), configures
 * the ring at job->addr_ring and builds the descriptor templates. The job must have passed
 * train_job_check. Returns 0, ACCEL_DRV_ENODEV / ACCEL_DRV_EINVAL, or the hardware's error. */
int train_rt_init(struct train_rt* rt, const train_job* job);

/* The permutation kern::Trainer::epoch_order draws for `epoch` (0-based): Fisher-Yates from the top with
 * random_below(seed, TVP_SHUFFLE_STREAM + epoch, i, i). */
void train_rt_epoch_order(uint64_t seed, uint32_t epoch, uint32_t* order, uint32_t count);

/* Sets the learning rate of `epoch` (0-based) from the job's step schedule (kernels/lr_schedule_core.h, as
 * kern::Trainer): every step after this call updates with it. */
void train_rt_set_epoch(struct train_rt* rt, uint32_t epoch);

/* One SGD step on the n (1..job->batch) training samples samples[0..n): gathers their images (DMA_COPY)
 * and labels (CPU), runs forward, loss with gradient, backward and update with stochastic-rounding step
 * `step`, and returns the batch's loss record (loss sum before the update, correct count). */
int train_rt_step(struct train_rt* rt, const uint32_t* samples, uint32_t n, uint32_t step,
                  accel_loss_result* result, struct accel_error* err);

/* Forward and loss (no gradient) of the n test samples from `first`, read in place. */
int train_rt_eval_batch(struct train_rt* rt, uint32_t first, uint32_t n, accel_loss_result* result,
                        struct accel_error* err);

/* The whole test set in consecutive batches of job->batch (kern::Trainer::evaluate): loss sum in batch
 * order and correct count. */
int train_rt_evaluate(struct train_rt* rt, double* loss_sum, uint32_t* correct, struct accel_error* err);

#endif /* TRAINVP_TRAIN_RUNTIME_H */
