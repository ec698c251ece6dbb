/* Descriptor builders (trainvp/accel_ops.h): which fields and format slots each opcode reads follows the
 * "Semantics" table of docs/accelerator.md. */
#include <string.h>

#include "trainvp/accel_ops.h"

uint32_t accel_fmt_container_bytes(uint16_t fmt) {
    switch (ACCEL_FMT_KIND_OF(fmt)) {
        case ACCEL_FMT_KIND_FP32:
            return 4;
        case ACCEL_FMT_KIND_FP16:
        case ACCEL_FMT_KIND_BF16:
            return 2;
        case ACCEL_FMT_KIND_FP8E4M3:
        case ACCEL_FMT_KIND_FP8E5M2:
        case ACCEL_FMT_KIND_INT8:
            return 1;
        case ACCEL_FMT_KIND_FIXED: {
            const uint32_t bits = ACCEL_FMT_TOTAL_BITS_OF(fmt);
            return bits <= 8 ? 1u : bits <= 16 ? 2u : 4u;
        }
        default:
            return 0;
    }
}

static void start(accel_desc* d, uint32_t opcode, uint32_t batch) {
    memset(d, 0, sizeof *d);
    d->opcode = (uint8_t)opcode;
    d->batch = batch;
}

static void set_conv_shape(accel_desc* d, const struct accel_conv_shape* s) {
    d->in_channels = s->in_channels;
    d->in_rows = s->in_rows;
    d->in_cols = s->in_cols;
    d->out_channels = s->out_channels;
    d->kernel = s->kernel;
    d->stride = s->stride;
    d->pad = s->pad;
}

static void set_pool_shape(accel_desc* d, const struct accel_pool_shape* s) {
    d->in_channels = s->channels;
    d->in_rows = s->in_rows;
    d->in_cols = s->in_cols;
    d->kernel = s->size;
    d->stride = s->stride;
}

static void set_bias(accel_desc* d, uint32_t* field, uint32_t addr) {
    if (addr == ACCEL_NO_ADDR) return;
    *field = addr;
    d->flags |= ACCEL_FLAG_HAS_BIAS;
}

void accel_desc_nop(accel_desc* d) {
    start(d, ACCEL_OP_NOP, 0);
}

/* The three GEMM phases share their operand wiring between conv and fc. */
static void gemm_fwd(accel_desc* d, struct accel_tensor x, struct accel_tensor w, uint32_t addr_b,
                     struct accel_tensor y) {
    d->addr_x = x.addr, d->fmt[ACCEL_OPND_X] = x.fmt;
    d->addr_w = w.addr, d->fmt[ACCEL_OPND_W] = w.fmt;
    d->addr_y = y.addr, d->fmt[ACCEL_OPND_Y] = y.fmt;
    set_bias(d, &d->addr_b, addr_b);
}

static void gemm_bwd_data(accel_desc* d, struct accel_tensor g, struct accel_tensor w,
                          struct accel_tensor dx) {
    d->addr_g = g.addr, d->fmt[ACCEL_OPND_G] = g.fmt;
    d->addr_w = w.addr, d->fmt[ACCEL_OPND_W] = w.fmt;
    d->addr_dx = dx.addr, d->fmt[ACCEL_OPND_DX] = dx.fmt;
}

static void gemm_wgrad(accel_desc* d, struct accel_tensor g, struct accel_tensor x, struct accel_tensor dw,
                       uint32_t addr_db) {
    d->addr_g = g.addr, d->fmt[ACCEL_OPND_G] = g.fmt;
    d->addr_x = x.addr, d->fmt[ACCEL_OPND_X] = x.fmt;
    d->addr_dw = dw.addr, d->fmt[ACCEL_OPND_DW] = dw.fmt;
    set_bias(d, &d->addr_db, addr_db);
}

void accel_desc_conv_fwd(accel_desc* d, const struct accel_conv_shape* s, uint32_t batch,
                         struct accel_tensor x, struct accel_tensor w, uint32_t addr_b,
                         struct accel_tensor y) {
    start(d, ACCEL_OP_CONV_FWD, batch);
    set_conv_shape(d, s);
    gemm_fwd(d, x, w, addr_b, y);
}

void accel_desc_conv_bwd_data(accel_desc* d, const struct accel_conv_shape* s, uint32_t batch,
                              struct accel_tensor g, struct accel_tensor w, struct accel_tensor dx) {
    start(d, ACCEL_OP_CONV_BWD_DATA, batch);
    set_conv_shape(d, s);
    gemm_bwd_data(d, g, w, dx);
}

void accel_desc_conv_wgrad(accel_desc* d, const struct accel_conv_shape* s, uint32_t batch,
                           struct accel_tensor g, struct accel_tensor x, struct accel_tensor dw,
                           uint32_t addr_db) {
    start(d, ACCEL_OP_CONV_WGRAD, batch);
    set_conv_shape(d, s);
    gemm_wgrad(d, g, x, dw, addr_db);
}

void accel_desc_fc_fwd(accel_desc* d, const struct accel_fc_shape* s, uint32_t batch, struct accel_tensor x,
                       struct accel_tensor w, uint32_t addr_b, struct accel_tensor y) {
    start(d, ACCEL_OP_FC_FWD, batch);
    d->fc_in = s->in, d->fc_out = s->out;
    gemm_fwd(d, x, w, addr_b, y);
}

void accel_desc_fc_bwd_data(accel_desc* d, const struct accel_fc_shape* s, uint32_t batch,
                            struct accel_tensor g, struct accel_tensor w, struct accel_tensor dx) {
    start(d, ACCEL_OP_FC_BWD_DATA, batch);
    d->fc_in = s->in, d->fc_out = s->out;
    gemm_bwd_data(d, g, w, dx);
}

void accel_desc_fc_wgrad(accel_desc* d, const struct accel_fc_shape* s, uint32_t batch, struct accel_tensor g,
                         struct accel_tensor x, struct accel_tensor dw, uint32_t addr_db) {
    start(d, ACCEL_OP_FC_WGRAD, batch);
    d->fc_in = s->in, d->fc_out = s->out;
    gemm_wgrad(d, g, x, dw, addr_db);
}

void accel_desc_gemm(accel_desc* d, enum accel_phase phase, int conv, const struct accel_conv_shape* s,
                     uint32_t batch, struct accel_tensor a, struct accel_tensor b, struct accel_tensor c,
                     uint32_t bias) {
    const struct accel_fc_shape fc = {s->in_channels, s->out_channels};
    switch (phase) {
        case ACCEL_PHASE_FWD:
            if (conv)
                accel_desc_conv_fwd(d, s, batch, a, b, bias, c);
            else
                accel_desc_fc_fwd(d, &fc, batch, a, b, bias, c);
            break;
        case ACCEL_PHASE_BWD_DATA:
            if (conv)
                accel_desc_conv_bwd_data(d, s, batch, a, b, c);
            else
                accel_desc_fc_bwd_data(d, &fc, batch, a, b, c);
            break;
        case ACCEL_PHASE_WGRAD:
            if (conv)
                accel_desc_conv_wgrad(d, s, batch, a, b, c, bias);
            else
                accel_desc_fc_wgrad(d, &fc, batch, a, b, c, bias);
            break;
    }
}

void accel_desc_maxpool_fwd(accel_desc* d, const struct accel_pool_shape* s, uint32_t batch,
                            struct accel_tensor x, struct accel_tensor y, uint32_t addr_argmax) {
    start(d, ACCEL_OP_MAXPOOL_FWD, batch);
    set_pool_shape(d, s);
    d->addr_x = x.addr, d->fmt[ACCEL_OPND_X] = x.fmt;
    d->addr_y = y.addr, d->fmt[ACCEL_OPND_Y] = y.fmt;
    d->addr_aux = addr_argmax;
}

void accel_desc_maxpool_bwd(accel_desc* d, const struct accel_pool_shape* s, uint32_t batch,
                            struct accel_tensor g, uint32_t addr_argmax, struct accel_tensor dx) {
    start(d, ACCEL_OP_MAXPOOL_BWD, batch);
    set_pool_shape(d, s);
    d->addr_g = g.addr, d->fmt[ACCEL_OPND_G] = g.fmt;
    d->addr_aux = addr_argmax;
    d->addr_dx = dx.addr, d->fmt[ACCEL_OPND_DX] = dx.fmt;
}

void accel_desc_avgpool_fwd(accel_desc* d, const struct accel_pool_shape* s, uint32_t batch,
                            struct accel_tensor x, struct accel_tensor y) {
    start(d, ACCEL_OP_AVGPOOL_FWD, batch);
    set_pool_shape(d, s);
    d->addr_x = x.addr, d->fmt[ACCEL_OPND_X] = x.fmt;
    d->addr_y = y.addr, d->fmt[ACCEL_OPND_Y] = y.fmt;
}

void accel_desc_avgpool_bwd(accel_desc* d, const struct accel_pool_shape* s, uint32_t batch,
                            struct accel_tensor g, struct accel_tensor dx) {
    start(d, ACCEL_OP_AVGPOOL_BWD, batch);
    set_pool_shape(d, s);
    d->addr_g = g.addr, d->fmt[ACCEL_OPND_G] = g.fmt;
    d->addr_dx = dx.addr, d->fmt[ACCEL_OPND_DX] = dx.fmt;
}

void accel_desc_relu_fwd(accel_desc* d, uint32_t count, struct accel_tensor x, struct accel_tensor y) {
    start(d, ACCEL_OP_RELU_FWD, 0);
    d->count = count;
    d->addr_x = x.addr, d->fmt[ACCEL_OPND_X] = x.fmt;
    d->addr_y = y.addr, d->fmt[ACCEL_OPND_Y] = y.fmt;
}

void accel_desc_relu_bwd(accel_desc* d, uint32_t count, struct accel_tensor y, struct accel_tensor g,
                         struct accel_tensor dx) {
    start(d, ACCEL_OP_RELU_BWD, 0);
    d->count = count;
    d->addr_y = y.addr, d->fmt[ACCEL_OPND_Y] = y.fmt;
    d->addr_g = g.addr, d->fmt[ACCEL_OPND_G] = g.fmt;
    d->addr_dx = dx.addr, d->fmt[ACCEL_OPND_DX] = dx.fmt;
}

void accel_desc_softmax_xent(accel_desc* d, uint32_t batch, uint32_t classes, struct accel_tensor x,
                             uint32_t addr_labels, uint32_t addr_result, struct accel_tensor dx) {
    start(d, ACCEL_OP_SOFTMAX_XENT, batch);
    d->fc_out = classes;
    d->addr_x = x.addr, d->fmt[ACCEL_OPND_X] = x.fmt;
    d->addr_labels = addr_labels;
    d->addr_aux = addr_result;
    if (dx.addr != ACCEL_NO_ADDR) {
        d->flags |= ACCEL_FLAG_LOSS_GRAD;
        d->addr_dx = dx.addr, d->fmt[ACCEL_OPND_DX] = dx.fmt;
    }
}

void accel_desc_sgd_update(accel_desc* d, uint32_t count, const struct accel_sgd_params* p,
                           struct accel_tensor dw, struct accel_tensor master, uint32_t addr_velocity,
                           struct accel_tensor w) {
    start(d, ACCEL_OP_SGD_UPDATE, p->batch);
    d->count = count;
    d->lr = p->lr;
    d->momentum = p->momentum;
    d->weight_decay = p->weight_decay;
    d->addr_dw = dw.addr, d->fmt[ACCEL_OPND_DW] = dw.fmt;
    d->addr_master = master.addr, d->fmt[ACCEL_OPND_MASTER] = master.fmt;
    if (p->momentum != 0.0) d->addr_velocity = addr_velocity;
    d->addr_w = w.addr, d->fmt[ACCEL_OPND_W] = w.fmt;
}

void accel_desc_dma_copy(accel_desc* d, uint32_t count, struct accel_tensor x, struct accel_tensor y) {
    start(d, ACCEL_OP_DMA_COPY, 0);
    d->count = count;
    d->addr_x = x.addr, d->fmt[ACCEL_OPND_X] = x.fmt;
    d->addr_y = y.addr, d->fmt[ACCEL_OPND_Y] = y.fmt;
}

void accel_desc_add(accel_desc* d, uint32_t count, struct accel_tensor x, struct accel_tensor x2,
                    struct accel_tensor y) {
    start(d, ACCEL_OP_ADD, 0);
    d->count = count;
    d->addr_x = x.addr, d->fmt[ACCEL_OPND_X] = x.fmt;
    d->addr_g = x2.addr, d->fmt[ACCEL_OPND_G] = x2.fmt;
    d->addr_y = y.addr, d->fmt[ACCEL_OPND_Y] = y.fmt;
}

void accel_desc_add_n(accel_desc* d, uint32_t count, const struct accel_tensor* x, uint32_t inputs,
                      struct accel_tensor y) {
    accel_desc_add(d, count, x[0], x[1], y);
    if (inputs > 2u) {
        d->flags |= ACCEL_FLAG_ADD_X3;
        d->addr_dx = x[2].addr, d->fmt[ACCEL_OPND_DX] = x[2].fmt;
    }
    if (inputs > 3u) {
        d->flags |= ACCEL_FLAG_ADD_X4;
        d->addr_dw = x[3].addr, d->fmt[ACCEL_OPND_DW] = x[3].fmt;
    }
}

static void set_plane_shape(accel_desc* d, uint16_t channels, uint16_t rows, uint16_t cols) {
    d->in_channels = channels;
    d->in_rows = rows;
    d->in_cols = cols;
}

void accel_desc_gavgpool_fwd(accel_desc* d, uint32_t batch, uint16_t channels, uint16_t rows, uint16_t cols,
                             struct accel_tensor x, struct accel_tensor y) {
    start(d, ACCEL_OP_GAVGPOOL_FWD, batch);
    set_plane_shape(d, channels, rows, cols);
    d->addr_x = x.addr, d->fmt[ACCEL_OPND_X] = x.fmt;
    d->addr_y = y.addr, d->fmt[ACCEL_OPND_Y] = y.fmt;
}

void accel_desc_gavgpool_bwd(accel_desc* d, uint32_t batch, uint16_t channels, uint16_t rows, uint16_t cols,
                             struct accel_tensor g, struct accel_tensor dx) {
    start(d, ACCEL_OP_GAVGPOOL_BWD, batch);
    set_plane_shape(d, channels, rows, cols);
    d->addr_g = g.addr, d->fmt[ACCEL_OPND_G] = g.fmt;
    d->addr_dx = dx.addr, d->fmt[ACCEL_OPND_DX] = dx.fmt;
}

static void set_norm_shape(accel_desc* d, const struct accel_norm_shape* s) {
    set_plane_shape(d, s->channels, s->rows, s->cols);
    d->out_channels = s->groups;
    d->kernel = s->scale_bits;
}

void accel_desc_norm_fwd(accel_desc* d, const struct accel_norm_shape* s, uint32_t batch,
                         struct accel_tensor x, struct accel_tensor gamma, uint32_t addr_beta,
                         uint32_t addr_stats, struct accel_tensor y) {
    start(d, ACCEL_OP_NORM_FWD, batch);
    set_norm_shape(d, s);
    d->addr_x = x.addr, d->fmt[ACCEL_OPND_X] = x.fmt;
    d->addr_w = gamma.addr, d->fmt[ACCEL_OPND_W] = gamma.fmt;
    d->addr_b = addr_beta;
    d->addr_aux = addr_stats;
    d->addr_y = y.addr, d->fmt[ACCEL_OPND_Y] = y.fmt;
}

void accel_desc_norm_bwd(accel_desc* d, const struct accel_norm_shape* s, uint32_t batch,
                         struct accel_tensor g, struct accel_tensor x, struct accel_tensor gamma,
                         uint32_t addr_stats, struct accel_tensor dx, struct accel_tensor dgamma,
                         uint32_t addr_dbeta) {
    start(d, ACCEL_OP_NORM_BWD, batch);
    set_norm_shape(d, s);
    if (s->range_gradient) d->flags |= ACCEL_FLAG_NORM_RANGE_GRAD;
    if (s->projection) d->flags |= ACCEL_FLAG_NORM_PROJECT;
    d->addr_g = g.addr, d->fmt[ACCEL_OPND_G] = g.fmt;
    d->addr_x = x.addr, d->fmt[ACCEL_OPND_X] = x.fmt;
    d->addr_w = gamma.addr, d->fmt[ACCEL_OPND_W] = gamma.fmt;
    d->addr_aux = addr_stats;
    d->addr_dx = dx.addr, d->fmt[ACCEL_OPND_DX] = dx.fmt;
    d->addr_dw = dgamma.addr, d->fmt[ACCEL_OPND_DW] = dgamma.fmt;
    d->addr_db = addr_dbeta;
}

void accel_desc_sparse_config(accel_desc* d, uint32_t config) {
    memset(d, 0, sizeof *d);
    d->opcode = ACCEL_OP_SPARSE_CONFIG;
    d->addr_aux = config;
}

void accel_desc_sparse_train(accel_desc* d, uint32_t n, uint32_t sample_bytes, uint32_t x, uint32_t labels,
                             uint32_t etapos, uint32_t aux, uint32_t params) {
    memset(d, 0, sizeof *d);
    d->opcode = ACCEL_OP_SPARSE_TRAIN;
    d->batch = n;
    d->fc_in = sample_bytes;
    d->addr_x = x;
    d->addr_labels = labels;
    d->count = etapos;
    d->addr_aux = aux;
    d->addr_w = params;
}

void accel_desc_sparse_infer(accel_desc* d, uint32_t n, uint32_t sample_bytes, uint32_t x, uint32_t labels,
                             uint32_t y, uint32_t aux) {
    memset(d, 0, sizeof *d);
    d->opcode = ACCEL_OP_SPARSE_INFER;
    d->batch = n;
    d->fc_in = sample_bytes;
    d->addr_x = x;
    d->addr_labels = labels;
    d->addr_y = y;
    d->addr_aux = aux;
}
