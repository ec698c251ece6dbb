/*
 * int8 scale tracking in the training firmware (docs/numerics.md "8-bit training", docs/firmware-guide.md
 * "int8 scale tracking"): the firmware half of kern::Network::track_scales. The job's format codes of a
 * tracked tensor (an INT8 role of a conv or fc layer, the activations or errors of a norm layer, the
 * activations of an add layer: kern::Layer::tracked) are its current formats: after every step the
 * firmware reads the largest |code| the accelerator stored into each tracked tensor (accel_int8_max records
 * written by the step's descriptors through addr_int8_max), picks the next scale with the rule the golden
 * model uses (kernels/int8_scale_core.h), rewrites the codes in the job (and in the layers that inherit
 * them, following the graph), plans again how each layer's output error is formed (in place, COPY or a SUM:
 * which depends on the formats), and derives the int8 weights again from the master copy (DMA_COPY) when
 * their scale changed. The runtime then rebuilds its descriptors from the job. Because the scales live in the
 * job in DRAM, a checkpoint of the platform holds them and the platform reads the final ones back.
 *
 * Library trainvp_accel_driver (sw/driver/train_scales.c).
 */
#ifndef TRAINVP_TRAIN_SCALES_H
#define TRAINVP_TRAIN_SCALES_H

#include <stdint.h>

#include "hw/train_job.h"
#include "trainvp/accel_ops.h"
#include "trainvp/train_descs.h"

/* Tracked roles (kern::Role order, without master weights). */
enum train_scale_role {
    TRAIN_SCALE_WEIGHTS,
    TRAIN_SCALE_ACT,
    TRAIN_SCALE_ERR,
    TRAIN_SCALE_WEIGHT_GRADS,
    TRAIN_SCALE_ROLES
};

/* Output `out` (ACCEL_SR_OUT*) of step descriptor `desc` is written into tensor (layer, role). */
struct train_scale_source {
    uint32_t desc;
    uint8_t out, layer, role, reserved;
};

/* At most one source per tracked activation and error, two (weights and bias) per weight gradient and
 * weights: 6 per layer. */
#define TRAIN_SCALES_MAX_SOURCES (6u * TRAIN_JOB_MAX_LAYERS)

/* Where a layer's output error is measured (train_scales_error_source). */
#define TRAIN_SCALES_FROM_NONE 0u
#define TRAIN_SCALES_FROM_LOSS 1u /* the loss gradient (SOFTMAX_XENT) */
#define TRAIN_SCALES_FROM_DY 2u   /* the output error layer `at` forms from its parts (COPY or a SUM) */
#define TRAIN_SCALES_FROM_DX 3u   /* the backward-data output of layer `at` (conv, fc or norm) */

struct train_scales {
    train_job* job;                        /* the job, whose int8 format codes this keeps current */
    uint32_t any;                          /* some tensor is tracked; nothing below is used otherwise */
    uint8_t tracked[TRAIN_JOB_MAX_LAYERS]; /* per layer, bit r: role r is tracked */
    uint32_t changed;                      /* the last step changed a scale: rebuild the descriptors */
    uint32_t source_count;
    uint32_t record_count; /* train_descs_step_bound: one record per step descriptor */
    /* On the heap, only for a job with tracked tensors: */
    struct train_scale_source* sources; /* TRAIN_SCALES_MAX_SOURCES */
    accel_int8_max* records;            /* record_count, written by the step's descriptors */
    accel_desc* copies;                 /* 2 x TRAIN_JOB_MAX_LAYERS weight copies from the master */
};

/* The job's format code of (layer, role), and the code with another int8 scale exponent. */
uint16_t train_scales_code(const train_job* job, uint32_t layer, enum train_scale_role role);
uint16_t train_scales_with_scale(uint16_t code, int scale_exp);

/* Finds the tracked tensors and, if there are any, allocates the records. The job
 * must have passed train_job_check. Returns 0, or ACCEL_DRV_EINVAL when out of memory. */
int train_scales_init(struct train_scales* sc, const train_job* job);

/* Gives every descriptor of a step sequence (train_descs_step) that writes a tracked tensor a max-code
 * record (addr_int8_max) and notes which output of which descriptor is which tensor. */
void train_scales_attach(struct train_scales* sc, accel_desc* descs, uint32_t count);

/* Where Network::track_scales measures the error at layer `layer`'s output, under the job's current
 * output-error plan: the loss gradient for the last layer; the output error a layer forms from its parts
 * (COPY or a SUM); else, along single-consumer edges through layers without parameters (relu, pooling,
 * add, concat, global average pooling), the backward-data output of the first layer with parameters
 * (conv, fc, norm). Returns TRAIN_SCALES_FROM_* and, for DY and DX, the layer in *at. */
uint32_t train_scales_error_source(const train_job* job, uint32_t layer, uint32_t* at);

/* Network::gather_error's plan on the job from its current formats: for every layer but the last, the
 * parts' formats (and an add consumer's error address), and whether its output error is used in place
 * (one part already in its error format) or formed into addr_dy (COPY, a SUM). */
void train_scales_plan_errors(train_job* job);

/* After step `step` has completed (only for a job with tracked tensors, sc->any): next scales from the
 * records (tvp_next_int8_scale), the job's codes rewritten, weights whose scale changed derived again from
 * their master copy (DMA_COPY with the stochastic-rounding key of the step's update, as
 * Network::track_scales), waited for. Sets sc->changed. Returns 0 or the error of the copies
 * (trainvp/accel_ops.h). */
int train_scales_step_done(struct train_scales* sc, struct accel_ring* ring, uint32_t step,
                           struct accel_error* err);

#endif /* TRAINVP_TRAIN_SCALES_H */
