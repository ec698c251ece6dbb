/*
 * int8 scale tracking in the training firmware (docs/numerics.md "8-bit training", docs/firmware-guide.md
 * "int8 scale tracking"): the firmware half of kern::Network::track_scales. The job's format codes of a
 * tracked tensor (a conv/fc role whose format kind is INT8) are its current formats: after every step the
 * firmware reads the largest |code| the accelerator stored into each tracked tensor (accel_int8_max records
 * written by the step's descriptors through addr_int8_max), picks the next scale with the rule the golden
 * model uses (kernels/int8_scale_core.h), rewrites the codes in the job (and in the layers that inherit
 * them), and derives the int8 weights again from the master copy (DMA_COPY) when their scale changed. The
 * runtime then rebuilds its descriptors from the job. Because the scales live in the job in DRAM, a
 * checkpoint of the platform holds them and the platform reads the final ones back.
 *
 * Library trainvp_accel_driver (sw/driver/train_scales.c).
 */
#ifndef TRAINVP_TRAIN_SCALES_H
#define TRAINVP_TRAIN_SCALES_H

#include <stdint.h>

#include "hw/train_job.h"
#include "trainvp/accel_ops.h"
#include "trainvp/train_descs.h"

/* Tracked roles of a conv/fc layer (kern::Role order, without master weights). */
enum train_scale_role {
    TRAIN_SCALE_WEIGHTS,
    TRAIN_SCALE_ACT,
    TRAIN_SCALE_ERR,
    TRAIN_SCALE_WEIGHT_GRADS,
    TRAIN_SCALE_ROLES
};

/* Output `out` (ACCEL_SR_OUT*) of step descriptor `desc` is written into tensor (layer, role). */
struct train_scale_source {
    uint16_t desc;
    uint8_t out, layer, role;
};

struct train_scales {
    train_job* job;                        /* the job, whose int8 format codes this keeps current */
    uint32_t any;                          /* some tensor is tracked; nothing below is used otherwise */
    uint8_t tracked[TRAIN_JOB_MAX_LAYERS]; /* per layer, bit r: role r is tracked */
    uint32_t changed;                      /* the last step changed a scale: rebuild the descriptors */
    uint32_t source_count;
    /* On the heap, only for a job with tracked tensors: */
    struct train_scale_source* sources; /* 2 x TRAIN_RT_MAX_STEP_DESCS */
    accel_int8_max* records;            /* TRAIN_RT_MAX_STEP_DESCS, written by the step's descriptors */
    accel_desc* copies;                 /* 2 x TRAIN_JOB_MAX_LAYERS weight copies from the master */
};

/* The job's format code of (layer, role), and the code with another int8 scale exponent. */
uint16_t train_scales_code(const train_job* job, uint32_t layer, enum train_scale_role role);
uint16_t train_scales_with_scale(uint16_t code, int scale_exp);

/* Finds the tracked tensors (conv/fc roles in INT8) and, if there are any, allocates the records. The job
 * must have passed train_job_check. Returns 0, or ACCEL_DRV_EINVAL when out of memory. */
int train_scales_init(struct train_scales* sc, const train_job* job);

/* Gives every descriptor of a step sequence (train_descs_step) that writes a tracked tensor a max-code
 * record (addr_int8_max) and notes which output of which descriptor is which tensor. */
void train_scales_attach(struct train_scales* sc, accel_desc* descs, uint32_t count);

/* After step `step` has completed (only for a job with tracked tensors, sc->any): next scales from the
 * records (tvp_next_int8_scale), the job's codes rewritten, weights whose scale changed derived again from
 * their master copy (DMA_COPY with the stochastic-rounding key of the step's update, as
 * Network::track_scales), waited for. Sets sc->changed. Returns 0 or the error of the copies
 * (trainvp/accel_ops.h). */
int train_scales_step_done(struct train_scales* sc, struct accel_ring* ring, uint32_t step,
                           struct accel_error* err);

#endif /* TRAINVP_TRAIN_SCALES_H */
