/*
 * Accelerator ops layer, on top of the HAL (trainvp/accel_hal.h): the descriptor ring (docs/accelerator.md
 * "Programming model"), descriptor builders for every opcode and phase, submission, and completion by
 * interrupt (WFI) or by polling with the hardware's error code and address passed back to the caller.
 * The training runtime builds on these: one builder call per layer and phase, one ring, accel_wait().
 *
 * Results of the functions returning int: 0 success, ACCEL_ERR_* (> 0) from the hardware, ACCEL_DRV_* (< 0)
 * from the driver.
 */
#ifndef TRAINVP_ACCEL_OPS_H
#define TRAINVP_ACCEL_OPS_H

#include <stdint.h>

#include "trainvp/accel_hal.h"

/* ---- Ring ----------------------------------------------------------------------------------------- */

enum accel_completion {
    ACCEL_COMPLETE_POLL, /* wait by reading RING_HEAD / STATUS; IRQ_ENABLE = 0 */
    ACCEL_COMPLETE_IRQ,  /* wait with WFI, woken by the PLIC external interrupt; IRQ_ENABLE = DONE | ERROR */
};

/* Entries of the driver's own ring (a static, aligned buffer in the firmware's bss). */
#define ACCEL_RING_DEFAULT_ENTRIES 64u
/* RING_BASE alignment (accel_regs.h); the driver aligns its own ring to a cache line. */
#define ACCEL_RING_ALIGN 8u

struct accel_ring {
    accel_desc* slots; /* RING_SIZE descriptors at RING_BASE */
    uint32_t entries;
    uint32_t tail; /* the driver's RING_TAIL: next slot to fill */
    enum accel_completion mode;
    uint32_t published; /* descriptors published since accel_ring_init */
};

/* Bytes a caller-provided ring area of `entries` slots needs. */
static inline uint32_t accel_ring_bytes(uint32_t entries) {
    return entries * ACCEL_DESC_BYTES;
}

/* Configures the ring while the accelerator is idle: RING_BASE, RING_SIZE (head = tail = 0), IRQ_ENABLE for
 * `mode`. `area` NULL uses the driver's static ring (entries <= ACCEL_RING_DEFAULT_ENTRIES); otherwise
 * `area` is a DRAM area of accel_ring_bytes(entries), ACCEL_RING_ALIGN-aligned. entries >= 2 (one slot
 * always stays free). ACCEL_COMPLETE_IRQ needs accel_irq_install() first. Returns 0, ACCEL_DRV_EINVAL, or
 * the hardware's error (CONFIG_BUSY if it was busy). */
int accel_ring_init(struct accel_ring* ring, void* area, uint32_t entries, enum accel_completion mode);

/* Descriptors published and not completed (TAIL - RING_HEAD modulo the size), and free slots. */
uint32_t accel_ring_pending(const struct accel_ring* ring);
uint32_t accel_ring_space(const struct accel_ring* ring);

/* ---- Submission and completion -------------------------------------------------------------------- */

/* Copies `count` descriptors into the ring at the tail and rings the doorbell once (DOORBELL = count). In
 * IRQ mode the last one gets ACCEL_FLAG_IRQ_ON_DONE. ACCEL_DRV_EFULL if fewer than `count` slots are free,
 * ACCEL_DRV_EINVAL for count 0 or more than the ring holds; the hardware's error if the queue has stopped
 * (before or right after the doorbell). */
int accel_try_submit(struct accel_ring* ring, const accel_desc* descs, uint32_t count);
/* As accel_try_submit, but waits (in the ring's mode) for free slots when the ring is full and splits a
 * batch larger than the ring. An error of an earlier descriptor ends the wait and is returned, with *err
 * filled in (err may be NULL). */
int accel_submit(struct accel_ring* ring, const accel_desc* descs, uint32_t count, struct accel_error* err);

/* Waits until every published descriptor has completed (RING_HEAD == tail) or the queue stopped on an
 * error. Returns 0 or ERR_CODE; *err (may be NULL) gets ERR_CODE, ERR_ADDR and ERR_DESC. accel_wait uses
 * the ring's mode; accel_wait_poll and accel_wait_irq force one (accel_wait_irq needs IRQ_ENABLE.DONE and
 * IRQ_ON_DONE on the last descriptor, as the IRQ mode sets them, or an error to wake it). */
int accel_wait(struct accel_ring* ring, struct accel_error* err);
int accel_wait_poll(struct accel_ring* ring, struct accel_error* err);
int accel_wait_irq(struct accel_ring* ring, struct accel_error* err);
/* accel_submit + accel_wait of one descriptor. */
int accel_run(struct accel_ring* ring, const accel_desc* desc, struct accel_error* err);

/* Loop counts of the last wait: WFI executions (IRQ mode) or status polls (poll mode). */
extern uint32_t accel_wait_wfi_count;
extern uint32_t accel_wait_poll_count;

/* ---- Tensors -------------------------------------------------------------------------------------- */

/* Common format codes. */
#define ACCEL_FMT_FP32 ACCEL_FMT(ACCEL_FMT_KIND_FP32, ACCEL_RND_RNE, 32, 0)
#define ACCEL_FMT_FX(total, frac) ACCEL_FMT(ACCEL_FMT_KIND_FIXED, ACCEL_RND_RNE, (total), (frac))

/* A tensor operand: DRAM address and ACCEL_FMT code. */
struct accel_tensor {
    uint32_t addr;
    uint16_t fmt;
};
static inline struct accel_tensor accel_tensor(uint32_t addr, uint16_t fmt) {
    struct accel_tensor t = {addr, fmt};
    return t;
}
#define ACCEL_ADDR(ptr) ((uint32_t)(uintptr_t)(ptr))
/* An fp32 tensor at `ptr` (firmware memory is in the accelerator's DRAM window). */
static inline struct accel_tensor accel_fp32(const void* ptr) {
    return accel_tensor(ACCEL_ADDR(ptr), ACCEL_FMT_FP32);
}
/* Absent optional operand (bias, its gradient, the loss error): 0 lies outside the DRAM window. */
#define ACCEL_NO_ADDR 0u

/* Bytes of one element: the smallest 8/16/32-bit container holding the format (docs/accelerator.md
 * "Tensor storage in DRAM"); 0 for an invalid kind. */
uint32_t accel_fmt_container_bytes(uint16_t fmt);
static inline uint32_t accel_tensor_bytes(uint16_t fmt, uint32_t elements) {
    return accel_fmt_container_bytes(fmt) * elements;
}

/* ---- Shapes --------------------------------------------------------------------------------------- */

struct accel_conv_shape {
    uint16_t in_channels, in_rows, in_cols, out_channels;
    uint8_t kernel, stride, pad;
};
struct accel_fc_shape {
    uint32_t in, out; /* per sample */
};
struct accel_pool_shape {
    uint16_t channels, in_rows, in_cols;
    uint8_t size, stride;
};
static inline uint32_t accel_conv_out_rows(const struct accel_conv_shape* s) {
    return (s->in_rows + 2u * s->pad - s->kernel) / s->stride + 1u;
}
static inline uint32_t accel_conv_out_cols(const struct accel_conv_shape* s) {
    return (s->in_cols + 2u * s->pad - s->kernel) / s->stride + 1u;
}
static inline uint32_t accel_pool_out_rows(const struct accel_pool_shape* s) {
    return (s->in_rows - s->size) / s->stride + 1u;
}
static inline uint32_t accel_pool_out_cols(const struct accel_pool_shape* s) {
    return (s->in_cols - s->size) / s->stride + 1u;
}

/* ---- Descriptor builders -------------------------------------------------------------------------- *
 * Each clears *d and fills the opcode, shape, addresses and format slots the opcode uses (docs/
 * accelerator.md "Semantics"); everything else stays 0 (acc_bits 0 = 48, no stochastic-rounding key,
 * layer 0). The setters below add those. Weights and bias share the W format slot; gradients of both the
 * DW slot. */

enum accel_phase { ACCEL_PHASE_FWD, ACCEL_PHASE_BWD_DATA, ACCEL_PHASE_WGRAD };

void accel_desc_nop(accel_desc* d);
/* y = conv(x, w) + b (b = ACCEL_NO_ADDR: no bias) */
void accel_desc_conv_fwd(accel_desc* d, const struct accel_conv_shape* s, uint32_t batch,
                         struct accel_tensor x, struct accel_tensor w, uint32_t addr_b,
                         struct accel_tensor y);
/* dx = conv^T(g, w) */
void accel_desc_conv_bwd_data(accel_desc* d, const struct accel_conv_shape* s, uint32_t batch,
                              struct accel_tensor g, struct accel_tensor w, struct accel_tensor dx);
/* dw = sum g * x, db = sum g (addr_db = ACCEL_NO_ADDR: no bias) */
void accel_desc_conv_wgrad(accel_desc* d, const struct accel_conv_shape* s, uint32_t batch,
                           struct accel_tensor g, struct accel_tensor x, struct accel_tensor dw,
                           uint32_t addr_db);
void accel_desc_fc_fwd(accel_desc* d, const struct accel_fc_shape* s, uint32_t batch, struct accel_tensor x,
                       struct accel_tensor w, uint32_t addr_b, struct accel_tensor y);
void accel_desc_fc_bwd_data(accel_desc* d, const struct accel_fc_shape* s, uint32_t batch,
                            struct accel_tensor g, struct accel_tensor w, struct accel_tensor dx);
void accel_desc_fc_wgrad(accel_desc* d, const struct accel_fc_shape* s, uint32_t batch, struct accel_tensor g,
                         struct accel_tensor x, struct accel_tensor dw, uint32_t addr_db);
/* y = window max, argmax (u32 per output, offset inside the sample's C x H x W image) at addr_argmax */
void accel_desc_maxpool_fwd(accel_desc* d, const struct accel_pool_shape* s, uint32_t batch,
                            struct accel_tensor x, struct accel_tensor y, uint32_t addr_argmax);
void accel_desc_maxpool_bwd(accel_desc* d, const struct accel_pool_shape* s, uint32_t batch,
                            struct accel_tensor g, uint32_t addr_argmax, struct accel_tensor dx);
void accel_desc_avgpool_fwd(accel_desc* d, const struct accel_pool_shape* s, uint32_t batch,
                            struct accel_tensor x, struct accel_tensor y);
void accel_desc_avgpool_bwd(accel_desc* d, const struct accel_pool_shape* s, uint32_t batch,
                            struct accel_tensor g, struct accel_tensor dx);
/* y = max(x, 0); x and y may be the same tensor */
void accel_desc_relu_fwd(accel_desc* d, uint32_t count, struct accel_tensor x, struct accel_tensor y);
/* dx = y > 0 ? g : 0, y the ReLU output */
void accel_desc_relu_bwd(accel_desc* d, uint32_t count, struct accel_tensor y, struct accel_tensor g,
                         struct accel_tensor dx);
/* Logits x (batch x classes), u8 labels; an accel_loss_result at addr_result (8-byte aligned); dx =
 * softmax - onehot when dx.addr != ACCEL_NO_ADDR (flag LOSS_GRAD). */
void accel_desc_softmax_xent(accel_desc* d, uint32_t batch, uint32_t classes, struct accel_tensor x,
                             uint32_t addr_labels, uint32_t addr_result, struct accel_tensor dx);

struct accel_sgd_params {
    double lr, momentum, weight_decay;
    uint32_t batch; /* dw is divided by it */
};
/* master (and velocity when momentum != 0, same MASTER format) updated in place from dw; working weights w
 * re-rounded from master. */
void accel_desc_sgd_update(accel_desc* d, uint32_t count, const struct accel_sgd_params* p,
                           struct accel_tensor dw, struct accel_tensor master, uint32_t addr_velocity,
                           struct accel_tensor w);
/* y = x converted from x.fmt to y.fmt; element i rounds with stochastic-rounding index d->sr_index_base + i
 * (0 here: set it afterwards for a copy into a slice of a larger tensor) */
void accel_desc_dma_copy(accel_desc* d, uint32_t count, struct accel_tensor x, struct accel_tensor y);

/* The auxiliary-core operations of the vector unit (docs/accelerator.md "Auxiliary core"). */
/* y = x + x2 rounded once into y.fmt: a residual addition, or the sum of two errors of one tensor */
void accel_desc_add(accel_desc* d, uint32_t count, struct accel_tensor x, struct accel_tensor x2,
                    struct accel_tensor y);
/* y = x[0] + x[1] + ... + x[inputs - 1] (2..ACCEL_ADD_MAX_INPUTS addends, flags ADD_X3 / ADD_X4) summed in
 * that order and rounded once into y.fmt: an add of several inputs, or the sum of several errors */
void accel_desc_add_n(accel_desc* d, uint32_t count, const struct accel_tensor* x, uint32_t inputs,
                      struct accel_tensor y);
/* Global average pooling of `channels` planes of rows x cols per sample: y is batch x channels */
void accel_desc_gavgpool_fwd(accel_desc* d, uint32_t batch, uint16_t channels, uint16_t rows, uint16_t cols,
                             struct accel_tensor x, struct accel_tensor y);
void accel_desc_gavgpool_bwd(accel_desc* d, uint32_t batch, uint16_t channels, uint16_t rows, uint16_t cols,
                             struct accel_tensor g, struct accel_tensor dx);

struct accel_norm_shape {
    uint16_t channels, rows, cols, groups;
    uint8_t scale_bits;     /* 0: power-of-two scale; 1..8: reciprocal table of 2^bits entries */
    uint8_t range_gradient; /* backward: propagate through the group's range too */
    uint8_t projection;     /* backward: subtract the error's projection on x - mean (not with range) */
};
/* Range group normalization forward: gamma and beta (channels each, one format), the statistics (an
 * accel_norm_stats per sample and group, 8-byte aligned) to addr_stats. */
void accel_desc_norm_fwd(accel_desc* d, const struct accel_norm_shape* s, uint32_t batch,
                         struct accel_tensor x, struct accel_tensor gamma, uint32_t addr_beta,
                         uint32_t addr_stats, struct accel_tensor y);
/* Its backward pass: dx from g, the forward input x, gamma and the statistics; dgamma and dbeta (summed over
 * the batch; dbeta at addr_dbeta in dgamma's format). Stochastic-rounding outputs: 0 dx, 1 dgamma, 2 dbeta.
 */
void accel_desc_norm_bwd(accel_desc* d, const struct accel_norm_shape* s, uint32_t batch,
                         struct accel_tensor g, struct accel_tensor x, struct accel_tensor gamma,
                         uint32_t addr_stats, struct accel_tensor dx, struct accel_tensor dgamma,
                         uint32_t addr_dbeta);

/* The conv or fc GEMM descriptor of a phase, for runtimes that loop over phases: FWD (a = x, b = w, c = y,
 * bias = addr_b), BWD_DATA (a = g, b = w, c = dx), WGRAD (a = g, b = x, c = dw, bias = addr_db). conv
 * shapes when `conv`, else fc = {in_channels, out_channels}. */
void accel_desc_gemm(accel_desc* d, enum accel_phase phase, int conv, const struct accel_conv_shape* s,
                     uint32_t batch, struct accel_tensor a, struct accel_tensor b, struct accel_tensor c,
                     uint32_t bias);

/* The sparse engine (docs/sparse.md "Descriptors"). config: the accel_sparse_config record's address.
 * train: n samples of sample_bytes u8 inputs at x, u8 labels, learning-rate code etapos; result record
 * (accel_sparse_result) at aux and the parameters (int32) at params, each 0 for none. infer: predictions
 * (u32 each) at y; labels and aux may be 0. */
void accel_desc_sparse_config(accel_desc* d, uint32_t config);
void accel_desc_sparse_train(accel_desc* d, uint32_t n, uint32_t sample_bytes, uint32_t x, uint32_t labels,
                             uint32_t etapos, uint32_t aux, uint32_t params);
void accel_desc_sparse_infer(accel_desc* d, uint32_t n, uint32_t sample_bytes, uint32_t x, uint32_t labels,
                             uint32_t y, uint32_t aux);

static inline void accel_desc_set_layer(accel_desc* d, uint16_t layer_id) {
    d->layer_id = layer_id;
}
static inline void accel_desc_set_acc_bits(accel_desc* d, uint8_t acc_bits) {
    d->acc_bits = acc_bits;
}
/* Stochastic-rounding key of outputs 0..2 (ACCEL_SR_OUT*). */
static inline void accel_desc_set_sr(accel_desc* d, uint64_t seed, uint32_t step, uint32_t out0,
                                     uint32_t out1, uint32_t out2) {
    d->sr_seed = seed;
    d->sr_step = step;
    d->sr_tensor[ACCEL_SR_OUT0] = out0;
    d->sr_tensor[ACCEL_SR_OUT1] = out1;
    d->sr_tensor[ACCEL_SR_OUT2] = out2;
}

#endif /* TRAINVP_ACCEL_OPS_H */
