/* The training runtime's descriptor sequences (trainvp/train_descs.h): built from the job alone, so the
 * platform can build the same ones on the host. */
#include "trainvp/train_descs.h"

static uint32_t layer_in_size(const train_layer* L) {
    return (uint32_t)L->in_c * L->in_h * L->in_w;
}
static uint32_t layer_out_size(const train_layer* L) {
    return (uint32_t)L->out_c * L->out_h * L->out_w;
}
static int is_gemm(const train_layer* L) {
    return L->kind == TRAIN_LAYER_CONV || L->kind == TRAIN_LAYER_FC;
}
static int has_params(const train_layer* L) {
    return is_gemm(L) || L->kind == TRAIN_LAYER_NORM;
}

static struct accel_conv_shape conv_shape(const train_layer* L) {
    struct accel_conv_shape s = {L->in_c, L->in_h, L->in_w, L->out_c, L->kernel, L->stride, L->pad};
    return s;
}
static struct accel_pool_shape pool_shape(const train_layer* L) {
    struct accel_pool_shape s = {L->in_c, L->in_h, L->in_w, L->pool, L->stride};
    return s;
}
static struct accel_fc_shape fc_shape(const train_layer* L) {
    struct accel_fc_shape s = {L->fc_in, L->fc_out};
    return s;
}

/* Fields every descriptor of a pass shares: statistics key, samples, accumulator, rounding key. */
static void finish(accel_desc* d, const train_job* job, uint32_t layer, uint32_t n, uint32_t step,
                   uint32_t sr0, uint32_t sr1, uint32_t sr2) {
    d->layer_id = (uint16_t)layer;
    d->batch = n;
    d->acc_bits = (uint8_t)job->acc_bits;
    accel_desc_set_sr(d, job->seed, step, sr0, sr1, sr2);
}

static struct accel_norm_shape norm_shape(const train_layer* L) {
    struct accel_norm_shape s = {L->in_c,       L->in_h,          L->in_w,         L->groups,
                                 L->scale_bits, L->range_gradient, L->projection};
    return s;
}

/* Input k of layer l: the network input of the pass (`input`, in fmt_input) or an earlier layer's output. */
static struct accel_tensor layer_input(const train_job* job, uint32_t l, uint32_t k, uint32_t input) {
    const int16_t p = job->layers[l].input[k];
    return p < 0 ? accel_tensor(input, job->fmt_input)
                 : accel_tensor(job->layers[p].addr_y, job->layers[p].fmt_act);
}

/* Elements per sample of input k of a concat layer. */
static uint32_t concat_part_size(const train_job* job, const train_layer* L, uint32_t k) {
    const int16_t p = L->input[k];
    return p < 0 ? job->input_size : layer_out_size(&job->layers[p]);
}

/* A DMA_COPY of `count` elements from element `from` of x to element `to` of y, rounding as elements
 * to, to + 1, ... of y's tensor (accel_desc.sr_index_base). */
static accel_desc* copy_slice(accel_desc* d, const train_job* job, uint32_t l, uint32_t n, uint32_t step,
                              uint32_t sr, uint32_t count, struct accel_tensor x, uint32_t from,
                              struct accel_tensor y, uint32_t to) {
    accel_desc_dma_copy(d, count, accel_tensor(x.addr + accel_tensor_bytes(x.fmt, from), x.fmt),
                        accel_tensor(y.addr + accel_tensor_bytes(y.fmt, to), y.fmt));
    finish(d, job, l, n, step, sr, 0, 0);
    d->sr_index_base = to;
    return d + 1;
}

/* Concat forward (Network::forward): input k's block of sample i rounded into the output at element
 * i * out + offset_k, input by input, sample by sample; one copy of all n samples when the layer has a single
 * input (the blocks are then contiguous). */
static accel_desc* build_concat_forward(accel_desc* d, const train_job* job, uint32_t l, uint32_t n,
                                        uint32_t step, uint32_t input) {
    const train_layer* L = &job->layers[l];
    const uint32_t out = layer_out_size(L), sr = TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_ACT);
    const struct accel_tensor y = accel_tensor(L->addr_y, L->fmt_act);
    uint32_t off = 0;
    for (uint32_t k = 0; k < L->num_inputs; ++k) {
        const uint32_t len = concat_part_size(job, L, k);
        const struct accel_tensor x = layer_input(job, l, k, input);
        if (len == out) {
            d = copy_slice(d, job, l, n, step, sr, n * len, x, 0, y, 0);
        } else {
            for (uint32_t i = 0; i < n; ++i)
                d = copy_slice(d, job, l, n, step, sr, len, x, i * len, y, i * out + off);
        }
        off += len;
    }
    return d;
}

/* Forward of layer l on n samples; appends one descriptor (a concat: one per input and sample). */
static accel_desc* build_forward(accel_desc* d, const train_job* job, uint32_t l, uint32_t n, uint32_t step,
                                 uint32_t input) {
    const train_layer* L = &job->layers[l];
    if (L->kind == TRAIN_LAYER_CONCAT) return build_concat_forward(d, job, l, n, step, input);
    const struct accel_tensor x = layer_input(job, l, 0, input);
    const struct accel_tensor y = accel_tensor(L->addr_y, L->fmt_act);
    const uint32_t bias = L->has_bias ? L->addr_b : ACCEL_NO_ADDR;
    if (L->kind == TRAIN_LAYER_CONV) {
        const struct accel_conv_shape s = conv_shape(L);
        accel_desc_conv_fwd(d, &s, n, x, accel_tensor(L->addr_w, L->fmt_weights), bias, y);
    } else if (L->kind == TRAIN_LAYER_FC) {
        const struct accel_fc_shape s = fc_shape(L);
        accel_desc_fc_fwd(d, &s, n, x, accel_tensor(L->addr_w, L->fmt_weights), bias, y);
    } else if (L->kind == TRAIN_LAYER_RELU) {
        accel_desc_relu_fwd(d, n * layer_in_size(L), x, y);
    } else if (L->kind == TRAIN_LAYER_ADD) {
        /* one ADD of every input: the golden sums them in double and rounds once (Network::forward) */
        struct accel_tensor addends[TRAIN_JOB_MAX_INPUTS];
        for (uint32_t k = 0; k < L->num_inputs; ++k) addends[k] = layer_input(job, l, k, input);
        accel_desc_add_n(d, n * layer_in_size(L), addends, L->num_inputs, y);
    } else if (L->kind == TRAIN_LAYER_GLOBAL_AVGPOOL) {
        accel_desc_gavgpool_fwd(d, n, L->in_c, L->in_h, L->in_w, x, y);
    } else if (L->kind == TRAIN_LAYER_NORM) {
        const struct accel_norm_shape s = norm_shape(L);
        accel_desc_norm_fwd(d, &s, n, x, accel_tensor(L->addr_w, L->fmt_weights), L->addr_b, L->addr_stats,
                            y);
    } else {
        const struct accel_pool_shape s = pool_shape(L);
        if (L->kind == TRAIN_LAYER_MAXPOOL)
            accel_desc_maxpool_fwd(d, &s, n, x, y, L->addr_argmax);
        else
            accel_desc_avgpool_fwd(d, &s, n, x, y);
    }
    finish(d, job, l, n, step, TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_ACT), 0, 0);
    return d + 1;
}

static accel_desc* build_forward_pass(accel_desc* d, const train_job* job, uint32_t n, uint32_t step,
                                      uint32_t input) {
    for (uint32_t l = 0; l < job->num_layers; ++l) d = build_forward(d, job, l, n, step, input);
    return d;
}

/* The error of layer l's output, formed from its consumers' errors as kern::Network::backward does:
 * nothing to do (used in place), a rounding copy, or the sum of two to four parts in one ADD (summed in
 * double, rounded once: kern::sum_errors), into addr_dy. */
static accel_desc* build_output_error(accel_desc* d, const train_job* job, uint32_t l, uint32_t n,
                                      uint32_t step) {
    const train_layer* L = &job->layers[l];
    const uint32_t count = n * layer_out_size(L);
    const struct accel_tensor dy = accel_tensor(L->addr_dy, L->fmt_err);
    if (L->err_mode == TRAIN_ERR_IN_PLACE) return d;
    if (L->err_mode == TRAIN_ERR_COPY) {
        accel_desc_dma_copy(d, count, accel_tensor(L->addr_part[0], L->fmt_part[0]), dy);
    } else {
        struct accel_tensor parts[TRAIN_JOB_MAX_PARTS];
        for (uint32_t k = 0; k < L->err_mode; ++k) parts[k] = accel_tensor(L->addr_part[k], L->fmt_part[k]);
        accel_desc_add_n(d, count, parts, L->err_mode, dy);
    }
    finish(d, job, l, n, step, TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_DY), 0, 0);
    return d + 1;
}

/* Backward of layer l: its output error, the error for its input (unless it reads the network input), then
 * its weight gradients. */
static accel_desc* build_backward(accel_desc* d, const train_job* job, uint32_t l, uint32_t n,
                                  uint32_t step) {
    const train_layer* L = &job->layers[l];
    d = build_output_error(d, job, l, n, step);
    const struct accel_tensor g = accel_tensor(L->addr_g, L->fmt_err);
    const struct accel_tensor dx = accel_tensor(L->addr_dx, L->fmt_in_err);
    const struct accel_tensor x = layer_input(job, l, 0, job->addr_batch_input);
    const int need_dx = L->input[0] >= 0;
    const uint32_t sr_dx = TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_DX);
    if (is_gemm(L)) {
        const int conv = L->kind == TRAIN_LAYER_CONV;
        const struct accel_conv_shape cs = conv_shape(L);
        const struct accel_fc_shape fs = fc_shape(L);
        const struct accel_tensor w = accel_tensor(L->addr_w, L->fmt_weights);
        const struct accel_tensor dw = accel_tensor(L->addr_w_grad, L->fmt_weight_grads);
        const uint32_t db = L->has_bias ? L->addr_b_grad : ACCEL_NO_ADDR;
        if (need_dx) {
            if (conv)
                accel_desc_conv_bwd_data(d, &cs, n, g, w, dx);
            else
                accel_desc_fc_bwd_data(d, &fs, n, g, w, dx);
            finish(d++, job, l, n, step, sr_dx, 0, 0);
        }
        if (conv)
            accel_desc_conv_wgrad(d, &cs, n, g, x, dw, db);
        else
            accel_desc_fc_wgrad(d, &fs, n, g, x, dw, db);
        finish(d++, job, l, n, step, TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_DW),
               TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_DB), 0);
        return d;
    }
    if (L->kind == TRAIN_LAYER_NORM) {
        /* dx is written even when nothing reads it (the layer reads the network input). */
        const struct accel_norm_shape s = norm_shape(L);
        accel_desc_norm_bwd(d, &s, n, g, x, accel_tensor(L->addr_w, L->fmt_weights), L->addr_stats, dx,
                            accel_tensor(L->addr_w_grad, L->fmt_weight_grads), L->addr_b_grad);
        finish(d++, job, l, n, step, sr_dx, TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_DW),
               TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_DB));
        return d;
    }
    if (L->kind == TRAIN_LAYER_CONCAT) {
        /* Input k's error is its channel slice of g, copied without rounding (same format) into its block of
         * dx: job->batch x len_k elements after the blocks of the inputs before it (Network::backward); the
         * network input's block is left alone. */
        const uint32_t out = layer_out_size(L);
        const struct accel_tensor slices = accel_tensor(L->addr_dx, L->fmt_err);
        uint32_t off = 0, block = 0;
        for (uint32_t k = 0; k < L->num_inputs; ++k) {
            const uint32_t len = concat_part_size(job, L, k);
            if (L->input[k] >= 0 && len == out)
                d = copy_slice(d, job, l, n, step, sr_dx, n * len, g, 0, slices, block);
            else if (L->input[k] >= 0)
                for (uint32_t i = 0; i < n; ++i)
                    d = copy_slice(d, job, l, n, step, sr_dx, len, g, i * out + off, slices, block + i * len);
            off += len;
            block += job->batch * len;
        }
        return d;
    }
    /* add: every input's error is g itself (its consumers read addr_g). */
    if (!need_dx || L->kind == TRAIN_LAYER_ADD) return d;
    if (L->kind == TRAIN_LAYER_RELU) {
        accel_desc_relu_bwd(d, n * layer_in_size(L), accel_tensor(L->addr_y, L->fmt_act), g, dx);
    } else if (L->kind == TRAIN_LAYER_GLOBAL_AVGPOOL) {
        accel_desc_gavgpool_bwd(d, n, L->in_c, L->in_h, L->in_w, g, dx);
    } else {
        const struct accel_pool_shape s = pool_shape(L);
        if (L->kind == TRAIN_LAYER_MAXPOOL)
            accel_desc_maxpool_bwd(d, &s, n, g, L->addr_argmax, dx);
        else
            accel_desc_avgpool_bwd(d, &s, n, g, dx);
    }
    finish(d++, job, l, n, step, sr_dx, 0, 0);
    return d;
}

static accel_desc* build_update(accel_desc* d, const train_job* job, uint32_t l, uint32_t n, uint32_t step) {
    const train_layer* L = &job->layers[l];
    /* Network::update: no weight decay on a norm layer's gamma (nor on any bias or beta). */
    struct accel_sgd_params p = {job->lr, job->momentum,
                                 L->kind == TRAIN_LAYER_NORM ? 0.0 : job->weight_decay, n};
    accel_desc_sgd_update(d, L->weight_count, &p, accel_tensor(L->addr_w_grad, L->fmt_weight_grads),
                          accel_tensor(L->addr_w_master, L->fmt_master), L->addr_w_velocity,
                          accel_tensor(L->addr_w, L->fmt_weights));
    finish(d++, job, l, n, step, TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_W_MASTER),
           TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_W_VELOCITY), TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_W));
    if (!L->has_bias) return d;
    p.weight_decay = 0.0; /* Network::update: no decay on biases */
    accel_desc_sgd_update(d, L->bias_count, &p, accel_tensor(L->addr_b_grad, L->fmt_weight_grads),
                          accel_tensor(L->addr_b_master, L->fmt_master), L->addr_b_velocity,
                          accel_tensor(L->addr_b, L->fmt_weights));
    finish(d++, job, l, n, step, TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_B_MASTER),
           TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_B_VELOCITY), TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_B));
    return d;
}

/* Softmax cross-entropy of the last layer's logits against `labels` (Network::loss). */
static accel_desc* build_loss(accel_desc* d, const train_job* job, uint32_t n, uint32_t step, uint32_t labels,
                              int grad) {
    const train_layer* last = &job->layers[job->num_layers - 1];
    accel_desc_softmax_xent(d, n, job->num_classes, accel_tensor(last->addr_y, last->fmt_act), labels,
                            job->addr_loss_result,
                            accel_tensor(grad ? job->addr_loss_grad : ACCEL_NO_ADDR, last->fmt_err));
    finish(d, job, job->num_layers, n, step, TRAIN_RT_TENSOR_ID(job->num_layers, TRAIN_RT_SLOT_DX), 0, 0);
    return d + 1;
}

uint32_t train_descs_step_bound(const train_job* job) {
    uint32_t count = 1; /* the loss */
    for (uint32_t l = 0; l < job->num_layers; ++l) {
        const train_layer* L = &job->layers[l];
        /* forward, output error, two backward, two updates; a concat: a copy per input and sample each way */
        count += L->kind == TRAIN_LAYER_CONCAT ? 1u + 2u * L->num_inputs * job->batch : 6u;
    }
    return count;
}

uint32_t train_descs_eval_bound(const train_job* job) {
    uint32_t count = 1;
    for (uint32_t l = 0; l < job->num_layers; ++l) {
        const train_layer* L = &job->layers[l];
        count += L->kind == TRAIN_LAYER_CONCAT ? L->num_inputs * job->batch : 1u;
    }
    return count;
}

uint32_t train_descs_step(const train_job* job, uint32_t n, accel_desc* out) {
    accel_desc* d = build_forward_pass(out, job, n, 0, job->addr_batch_input);
    d = build_loss(d, job, n, 0, job->addr_batch_labels, 1);
    for (uint32_t l = job->num_layers; l-- > 0;) d = build_backward(d, job, l, n, 0);
    for (uint32_t l = 0; l < job->num_layers; ++l)
        if (has_params(&job->layers[l])) d = build_update(d, job, l, n, 0);
    return (uint32_t)(d - out);
}

uint32_t train_descs_eval(const train_job* job, uint32_t n, uint32_t first, accel_desc* out) {
    const uint32_t image_bytes = accel_tensor_bytes(job->fmt_input, job->input_size);
    accel_desc* d =
        build_forward_pass(out, job, n, TRAIN_RT_EVAL_STEP, job->addr_test_images + first * image_bytes);
    d = build_loss(d, job, n, TRAIN_RT_EVAL_STEP, job->addr_test_labels + first, 0);
    return (uint32_t)(d - out);
}

int train_descs_input_first_only(const train_job* job) {
    if (job->layers[0].num_inputs != 1) return 0;
    for (uint32_t l = 1; l < job->num_layers; ++l)
        for (uint32_t k = 0; k < job->layers[l].num_inputs; ++k)
            if (job->layers[l].input[k] < 0) return 0;
    return 1;
}

void train_descs_gather(const train_job* job, uint32_t slot, accel_desc* out) {
    /* Same format on both sides: the converted images are copied unchanged. */
    const uint32_t image_bytes = accel_tensor_bytes(job->fmt_input, job->input_size);
    accel_desc_dma_copy(out, job->input_size, accel_tensor(job->addr_train_images, job->fmt_input),
                        accel_tensor(job->addr_batch_input + slot * image_bytes, job->fmt_input));
    out->layer_id = (uint16_t)job->num_layers;
}
