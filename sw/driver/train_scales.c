/* int8 scale tracking in the training firmware (trainvp/train_scales.h), the platform's side of
 * kern::Network::track_scales (models/kernels/network.cpp). */
#include "trainvp/train_scales.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/int8_scale_core.h"

static int is_gemm(const train_layer* L) {
    return L->kind == TRAIN_LAYER_CONV || L->kind == TRAIN_LAYER_FC;
}

/* Network.cpp's own_activations: layers whose output values have formats of their own (a normalized or
 * summed tensor has another range than its inputs); the others take the formats of their first input. */
static int own_activations(const train_layer* L) {
    return is_gemm(L) || L->kind == TRAIN_LAYER_NORM || L->kind == TRAIN_LAYER_ADD;
}

/* The roles of a layer the golden network tracks when they are int8 (Layer::tracked): every role of conv
 * and fc; a norm layer's activations and errors (gamma and beta are fp32); an add layer's activations (its
 * errors are its first input's). */
static uint32_t trackable_roles(const train_layer* L) {
    if (is_gemm(L)) return (1u << TRAIN_SCALE_ROLES) - 1u;
    if (L->kind == TRAIN_LAYER_NORM) return (1u << TRAIN_SCALE_ACT) | (1u << TRAIN_SCALE_ERR);
    if (L->kind == TRAIN_LAYER_ADD) return 1u << TRAIN_SCALE_ACT;
    return 0;
}

/* A layer with parameters (kern::Layer::weight): its backward-data pass rounds the error it passes on. */
static int has_weights(const train_layer* L) {
    return is_gemm(L) || L->kind == TRAIN_LAYER_NORM;
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
        const uint32_t roles = trackable_roles(&job->layers[l]);
        for (uint32_t r = 0; r < TRAIN_SCALE_ROLES; ++r)
            if ((roles & (1u << r)) &&
                ACCEL_FMT_KIND_OF(train_scales_code(job, l, (enum train_scale_role)r)) == ACCEL_FMT_KIND_INT8)
                sc->tracked[l] |= (uint8_t)(1u << r);
        sc->any |= sc->tracked[l];
    }
    if (!sc->any) return ACCEL_DRV_OK;
    sc->record_count = train_descs_step_bound(job);
    sc->sources = malloc(sizeof(struct train_scale_source) * TRAIN_SCALES_MAX_SOURCES);
    sc->records = malloc(sizeof(accel_int8_max) * sc->record_count);
    sc->copies = malloc(sizeof(accel_desc) * 2u * TRAIN_JOB_MAX_LAYERS);
    return sc->sources && sc->records && sc->copies ? ACCEL_DRV_OK : ACCEL_DRV_EINVAL;
}

/* The layers that read layer l's output, in the golden network's consumer order (by layer, then by input
 * slot); returns how many (at most TRAIN_JOB_MAX_PARTS are stored). */
static uint32_t consumers_of(const train_job* job, uint32_t l, uint32_t out[TRAIN_JOB_MAX_PARTS]) {
    uint32_t count = 0;
    for (uint32_t c = l + 1; c < job->num_layers; ++c)
        for (uint32_t k = 0; k < job->layers[c].num_inputs && k < TRAIN_JOB_MAX_INPUTS; ++k)
            if (job->layers[c].input[k] == (int16_t)l) {
                if (count < TRAIN_JOB_MAX_PARTS) out[count] = c;
                ++count;
            }
    return count;
}

uint32_t train_scales_error_source(const train_job* job, uint32_t layer, uint32_t* at) {
    /* Network::track_scales: the error at this layer's output as it was rounded: by the loss for the last
     * layer, into dy where errors are summed or copied, or by the backward-data pass of the next layer with
     * parameters along single-consumer edges (ReLU, pooling, add and concat between only select or pass
     * it). */
    uint32_t p = layer;
    for (;;) {
        if (p + 1 >= job->num_layers) return TRAIN_SCALES_FROM_LOSS;
        if (job->layers[p].err_mode != TRAIN_ERR_IN_PLACE) {
            *at = p;
            return TRAIN_SCALES_FROM_DY;
        }
        uint32_t c[TRAIN_JOB_MAX_PARTS];
        if (consumers_of(job, p, c) == 0) return TRAIN_SCALES_FROM_NONE; /* the job writer refuses this */
        if (has_weights(&job->layers[c[0]])) {
            *at = c[0];
            return TRAIN_SCALES_FROM_DX;
        }
        p = c[0];
    }
}

static int add_source(struct train_scales* sc, uint32_t desc, uint32_t out, uint32_t layer,
                      enum train_scale_role role) {
    if (!(sc->tracked[layer] & (1u << role)) || sc->source_count >= TRAIN_SCALES_MAX_SOURCES) return 0;
    struct train_scale_source* s = &sc->sources[sc->source_count++];
    s->desc = desc;
    s->out = (uint8_t)out;
    s->layer = (uint8_t)layer;
    s->role = (uint8_t)role;
    return 1;
}

/* The error sources of descriptor d (index i): every layer whose tracked error is measured where d writes
 * (`kind` and `at` as train_scales_error_source). */
static int add_error_sources(struct train_scales* sc, uint32_t i, uint32_t kind, uint32_t at,
                             const uint8_t* src_kind, const uint8_t* src_at) {
    int found = 0;
    for (uint32_t l = 0; l < sc->job->num_layers; ++l)
        if (src_kind[l] == kind && (kind == TRAIN_SCALES_FROM_LOSS || src_at[l] == at))
            found |= add_source(sc, i, ACCEL_SR_OUT0, l, TRAIN_SCALE_ERR);
    return found;
}

void train_scales_attach(struct train_scales* sc, accel_desc* descs, uint32_t count) {
    sc->source_count = 0;
    if (!sc->any) return;
    const train_job* job = sc->job;
    uint8_t src_kind[TRAIN_JOB_MAX_LAYERS], src_at[TRAIN_JOB_MAX_LAYERS];
    for (uint32_t l = 0; l < job->num_layers; ++l) {
        uint32_t at = 0;
        src_kind[l] = (sc->tracked[l] & (1u << TRAIN_SCALE_ERR))
                          ? (uint8_t)train_scales_error_source(job, l, &at)
                          : (uint8_t)TRAIN_SCALES_FROM_NONE;
        src_at[l] = (uint8_t)at;
    }
    for (uint32_t i = 0; i < count && i < sc->record_count; ++i) {
        accel_desc* d = &descs[i];
        const uint32_t l = d->layer_id;
        const train_layer* L = l < job->num_layers ? &job->layers[l] : NULL;
        int found = 0;
        /* Where Network::track_scales measures each role: activations on the layer's output, errors where
         * they are rounded (train_scales_error_source), weight gradients over weights and bias, weights over
         * the working copies the update rounds. */
        switch (d->opcode) {
            case ACCEL_OP_CONV_FWD:
            case ACCEL_OP_FC_FWD:
            case ACCEL_OP_NORM_FWD:
                found = add_source(sc, i, ACCEL_SR_OUT0, l, TRAIN_SCALE_ACT);
                break;
            case ACCEL_OP_ADD:
            case ACCEL_OP_DMA_COPY:
                /* an add layer's sum, or a layer's output error formed from its parts (COPY, SUM*) */
                if (!L) break;
                if (d->opcode == ACCEL_OP_ADD && L->kind == TRAIN_LAYER_ADD && d->addr_y == L->addr_y)
                    found = add_source(sc, i, ACCEL_SR_OUT0, l, TRAIN_SCALE_ACT);
                else if (L->err_mode != TRAIN_ERR_IN_PLACE && d->addr_y == L->addr_dy)
                    found = add_error_sources(sc, i, TRAIN_SCALES_FROM_DY, l, src_kind, src_at);
                break;
            case ACCEL_OP_CONV_BWD_DATA:
            case ACCEL_OP_FC_BWD_DATA:
                found = add_error_sources(sc, i, TRAIN_SCALES_FROM_DX, l, src_kind, src_at);
                break;
            case ACCEL_OP_NORM_BWD:
                /* dx is output 0; gamma's and beta's gradients are fp32 */
                found = add_error_sources(sc, i, TRAIN_SCALES_FROM_DX, l, src_kind, src_at);
                break;
            case ACCEL_OP_SOFTMAX_XENT:
                if (d->flags & ACCEL_FLAG_LOSS_GRAD)
                    found = add_error_sources(sc, i, TRAIN_SCALES_FROM_LOSS, 0, src_kind, src_at);
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

void train_scales_plan_errors(train_job* job) {
    /* Reverse order: an add consumer's own output-error address is known before its producers'. */
    for (uint32_t l = job->num_layers - 1; l-- > 0;) {
        train_layer* L = &job->layers[l];
        uint32_t c[TRAIN_JOB_MAX_PARTS];
        const uint32_t n = consumers_of(job, l, c);
        if (n == 0 || n > TRAIN_JOB_MAX_PARTS) continue; /* refused by the job writer */
        for (uint32_t e = 0; e < n; ++e) {
            /* Network::edge_error: an add's own output error; a concat's slice of its error (in its dx, at an
             * address the job writer placed); else the consumer's input error. */
            const train_layer* C = &job->layers[c[e]];
            if (C->kind == TRAIN_LAYER_ADD) {
                L->fmt_part[e] = C->fmt_err;
                L->addr_part[e] = C->addr_g;
            } else if (C->kind == TRAIN_LAYER_CONCAT) {
                L->fmt_part[e] = C->fmt_err;
            } else {
                L->fmt_part[e] = C->fmt_in_err;
            }
        }
        /* Network::gather_error: one part already in this layer's error format is used in place. */
        if (n == 1 && L->fmt_part[0] == L->fmt_err) {
            L->err_mode = TRAIN_ERR_IN_PLACE;
            L->addr_g = L->addr_part[0];
        } else {
            L->err_mode = n; /* COPY, or SUM2 .. SUM4 */
            L->addr_g = L->addr_dy;
        }
    }
}

/* Network::refresh_inherited_formats on the job, following the graph: a layer without formats of its own
 * takes those of its first input; an add keeps its own activations format and takes its first input's
 * error format; every layer's input error is its first input's error format. Then the output errors'
 * plan, which depends on these formats. */
static void refresh_inherited(train_job* job) {
    for (uint32_t l = 0; l < job->num_layers; ++l) {
        train_layer* L = &job->layers[l];
        if (L->input[0] < 0) continue;
        const train_layer* P = &job->layers[L->input[0]];
        L->fmt_in_err = P->fmt_err;
        if (L->kind == TRAIN_LAYER_ADD) {
            L->fmt_err = P->fmt_err;
        } else if (!own_activations(L)) {
            L->fmt_act = P->fmt_act;
            L->fmt_err = P->fmt_err;
        }
    }
    train_scales_plan_errors(job);
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
