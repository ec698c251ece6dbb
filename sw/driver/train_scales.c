/* int8 scale tracking in the training firmware (trainvp/train_scales.h), the platform's side of
 * kern::Network::track_scales (models/kernels/network.cpp). */
#include "trainvp/train_scales.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/int8_scale_core.h"

static int is_gemm(const train_layer* L) {
    return L->kind == TRAIN_LAYER_CONV || L->kind == TRAIN_LAYER_FC;
}

static uint16_t* code_field(train_layer* L, enum train_scale_role role) {
    switch (role) {
        case TRAIN_SCALE_WEIGHTS:
            return &L->fmt_weights;
        case TRAIN_SCALE_ACT:
            return &L->fmt_act;
        case TRAIN_SCALE_ERR:
            return &L->fmt_err;
        default:
            return &L->fmt_weight_grads;
    }
}

uint16_t train_scales_code(const train_job* job, uint32_t layer, enum train_scale_role role) {
    return *code_field((train_layer*)&job->layers[layer], role);
}

uint16_t train_scales_with_scale(uint16_t code, int scale_exp) {
    return (uint16_t)((code & 0x3ffu) | (((unsigned)scale_exp & 63u) << 10));
}

int train_scales_init(struct train_scales* sc, const train_job* job) {
    memset(sc, 0, sizeof *sc);
    /* The job is the firmware's to update: the current format of a tracked tensor is its code in the job
     * (hw/train_job.h). */
    sc->job = (train_job*)(uintptr_t)job;
    for (uint32_t l = 0; l < job->num_layers; ++l) {
        if (!is_gemm(&job->layers[l])) continue;
        for (uint32_t r = 0; r < TRAIN_SCALE_ROLES; ++r)
            if (ACCEL_FMT_KIND_OF(train_scales_code(job, l, (enum train_scale_role)r)) == ACCEL_FMT_KIND_INT8)
                sc->tracked[l] |= (uint8_t)(1u << r);
        sc->any |= sc->tracked[l];
    }
    if (!sc->any) return ACCEL_DRV_OK;
    sc->sources = malloc(sizeof(struct train_scale_source) * 2u * TRAIN_RT_MAX_STEP_DESCS);
    sc->records = malloc(sizeof(accel_int8_max) * TRAIN_RT_MAX_STEP_DESCS);
    sc->copies = malloc(sizeof(accel_desc) * 2u * TRAIN_JOB_MAX_LAYERS);
    return sc->sources && sc->records && sc->copies ? ACCEL_DRV_OK : ACCEL_DRV_EINVAL;
}

/* The nearest conv/fc layer below `layer` (the one whose output error a backward-data pass of `layer`
 * writes), or -1. */
static int gemm_below(const train_job* job, uint32_t layer) {
    for (uint32_t l = layer; l-- > 0;)
        if (is_gemm(&job->layers[l])) return (int)l;
    return -1;
}

static int add_source(struct train_scales* sc, uint32_t desc, uint32_t out, int layer,
                      enum train_scale_role role) {
    if (layer < 0 || !(sc->tracked[layer] & (1u << role))) return 0;
    struct train_scale_source* s = &sc->sources[sc->source_count++];
    s->desc = (uint16_t)desc;
    s->out = (uint8_t)out;
    s->layer = (uint8_t)layer;
    s->role = (uint8_t)role;
    return 1;
}

void train_scales_attach(struct train_scales* sc, accel_desc* descs, uint32_t count) {
    sc->source_count = 0;
    if (!sc->any) return;
    const train_job* job = sc->job;
    for (uint32_t i = 0; i < count && i < TRAIN_RT_MAX_STEP_DESCS; ++i) {
        accel_desc* d = &descs[i];
        const int l = d->layer_id;
        int found = 0;
        /* Where Network::track_scales measures each role: activations on the layer's output, errors where
         * they are rounded (the next conv/fc's backward-data result, or the loss gradient), weight gradients
         * over weights and bias, weights over the working copies the update rounds. */
        switch (d->opcode) {
            case ACCEL_OP_CONV_FWD:
            case ACCEL_OP_FC_FWD:
                found = add_source(sc, i, ACCEL_SR_OUT0, l, TRAIN_SCALE_ACT);
                break;
            case ACCEL_OP_CONV_BWD_DATA:
            case ACCEL_OP_FC_BWD_DATA:
                found = add_source(sc, i, ACCEL_SR_OUT0, gemm_below(job, (uint32_t)l), TRAIN_SCALE_ERR);
                break;
            case ACCEL_OP_SOFTMAX_XENT:
                if (d->flags & ACCEL_FLAG_LOSS_GRAD)
                    found =
                        add_source(sc, i, ACCEL_SR_OUT0, gemm_below(job, job->num_layers), TRAIN_SCALE_ERR);
                break;
            case ACCEL_OP_CONV_WGRAD:
            case ACCEL_OP_FC_WGRAD:
                found = add_source(sc, i, ACCEL_SR_OUT0, l, TRAIN_SCALE_WEIGHT_GRADS);
                if (d->flags & ACCEL_FLAG_HAS_BIAS)
                    add_source(sc, i, ACCEL_SR_OUT1, l, TRAIN_SCALE_WEIGHT_GRADS);
                break;
            case ACCEL_OP_SGD_UPDATE:
                found = add_source(sc, i, ACCEL_SR_OUT2, l, TRAIN_SCALE_WEIGHTS);
                break;
            default:
                break;
        }
        d->addr_int8_max = found ? ACCEL_ADDR(&sc->records[i]) : 0u;
    }
}

/* Network::refresh_inherited_formats on the job: a layer without parameters takes the formats of the layer
 * below it, and every layer's input error is the error format of the layer below. */
static void refresh_inherited(train_job* job) {
    for (uint32_t l = 1; l < job->num_layers; ++l) {
        train_layer* L = &job->layers[l];
        const train_layer* P = &job->layers[l - 1];
        L->fmt_in_err = P->fmt_err;
        if (!is_gemm(L)) {
            L->fmt_act = P->fmt_act;
            L->fmt_err = P->fmt_err;
        }
    }
}

/* DMA_COPY of a master copy into its working copy in the weights format, keyed as the step's update. */
static accel_desc* copy_from_master(accel_desc* d, const train_job* job, uint32_t layer, uint32_t count,
                                    uint32_t master, uint32_t w, uint32_t slot, uint32_t step) {
    const train_layer* L = &job->layers[layer];
    accel_desc_dma_copy(d, count, accel_tensor(master, L->fmt_master), accel_tensor(w, L->fmt_weights));
    d->layer_id = (uint16_t)layer;
    accel_desc_set_sr(d, job->seed, step, TRAIN_RT_TENSOR_ID(layer, slot), 0, 0);
    return d + 1;
}

int train_scales_step_done(struct train_scales* sc, struct accel_ring* ring, uint32_t step,
                           struct accel_error* err) {
    sc->changed = 0;
    train_job* job = sc->job;
    uint32_t max_code[TRAIN_JOB_MAX_LAYERS][TRAIN_SCALE_ROLES];
    memset(max_code, 0, sizeof max_code);
    for (uint32_t k = 0; k < sc->source_count; ++k) {
        const struct train_scale_source* s = &sc->sources[k];
        const volatile accel_int8_max* rec = &sc->records[s->desc];
        const uint32_t m = rec->max_code[s->out];
        if (m > max_code[s->layer][s->role]) max_code[s->layer][s->role] = m;
    }
    accel_desc* d = sc->copies;
    for (uint32_t l = 0; l < job->num_layers; ++l) {
        for (uint32_t r = 0; r < TRAIN_SCALE_ROLES; ++r) {
            if (!(sc->tracked[l] & (1u << r))) continue;
            uint16_t* code = code_field(&job->layers[l], (enum train_scale_role)r);
            const int old = ACCEL_FMT_FRAC_OF(*code);
            const int next = tvp_next_int8_scale(old, max_code[l][r]);
            if (next == old) continue;
            *code = train_scales_with_scale(*code, next);
            sc->changed = 1;
            if (r != TRAIN_SCALE_WEIGHTS) continue;
            const train_layer* L = &job->layers[l];
            d = copy_from_master(d, job, l, L->weight_count, L->addr_w_master, L->addr_w, TRAIN_RT_SLOT_W,
                                 step);
            if (L->has_bias)
                d = copy_from_master(d, job, l, L->bias_count, L->addr_b_master, L->addr_b, TRAIN_RT_SLOT_B,
                                     step);
        }
    }
    if (sc->changed) refresh_inherited(job);
    const uint32_t copies = (uint32_t)(d - sc->copies);
    if (copies == 0) return ACCEL_DRV_OK;
    for (uint32_t i = 0; i < copies; ++i) sc->copies[i].acc_bits = (uint8_t)job->acc_bits;
    const int rc = accel_submit(ring, sc->copies, copies, err);
    return rc == ACCEL_DRV_OK ? accel_wait(ring, err) : rc;
}
