/* Training runtime (trainvp/train_runtime.h). The descriptor sequence is the one test_accel_training.cpp
 * proves equal to kern::Network::train_step: per-layer formats from the job, stochastic-rounding keys
 * (seed, tensor_id(layer, slot), step), batch = n on every descriptor (SGD_UPDATE divides by it), weight
 * decay for weights only. */
#include <stdlib.h>
#include <string.h>

#include "kernels/lr_schedule_core.h"
#include "kernels/prng_core.h"
#include "trainvp/plic.h"
#include "trainvp/train_runtime.h"

#define TRAIN_RT_IRQ_PRIORITY 1u
/* Descriptors per doorbell: the accelerator starts on the first ones while the CPU copies the rest into
 * the ring, so copying (about 6 instructions per byte, 160 bytes each) overlaps with execution. */
#define TRAIN_RT_SUBMIT_CHUNK 8u

static uint32_t layer_in_size(const train_layer* L) {
    return (uint32_t)L->in_c * L->in_h * L->in_w;
}
static uint32_t layer_out_size(const train_layer* L) {
    return (uint32_t)L->out_c * L->out_h * L->out_w;
}
static int is_gemm(const train_layer* L) {
    return L->kind == TRAIN_LAYER_CONV || L->kind == TRAIN_LAYER_FC;
}

static int fail(const char** why, const char* msg) {
    if (why) *why = msg;
    return -1;
}

static int fmt_ok(uint16_t fmt) {
    return accel_fmt_container_bytes(fmt) != 0;
}

static int same_shape_out_in(const train_layer* P, const train_layer* L) {
    return P->out_c == L->in_c && P->out_h == L->in_h && P->out_w == L->in_w;
}

static int check_layer(const train_job* job, uint32_t l, const char** why) {
    const train_layer* L = &job->layers[l];
    const uint32_t in = layer_in_size(L), out = layer_out_size(L);
    if (in == 0 || out == 0) return fail(why, "a layer has an empty input or output shape");
    const int concat = L->kind == TRAIN_LAYER_CONCAT, add = L->kind == TRAIN_LAYER_ADD;
    const uint32_t inputs = add || concat ? L->num_inputs : 1u;
    if (L->num_inputs != inputs || inputs < (add ? 2u : 1u) || inputs > TRAIN_JOB_MAX_INPUTS)
        return fail(why, "a layer has the wrong number of inputs");
    uint32_t channels = 0, reads_layer = 0;
    for (uint32_t k = 0; k < inputs; ++k) {
        const int16_t p = L->input[k];
        reads_layer |= p >= 0;
        if (p < 0) {
            /* the network input: input[0] has the layer's input shape; a concat's later inputs its rows and
             * cols */
            if ((uint32_t)job->input_c * job->input_h * job->input_w != job->input_size ||
                (concat && k > 0
                     ? job->input_h != L->in_h || job->input_w != L->in_w
                     : job->input_c != L->in_c || job->input_h != L->in_h || job->input_w != L->in_w))
                return fail(why, "a layer reading the network input has another shape");
            channels += job->input_c;
        } else if ((uint32_t)p >= l) {
            return fail(why, "a layer reads a later layer (not topological order)");
        } else if (concat && k > 0) {
            /* a concat's later inputs: the rows and cols of the first, any channel count */
            const train_layer* P = &job->layers[p];
            if (P->out_h != L->in_h || P->out_w != L->in_w)
                return fail(why, "a concat layer's inputs differ in rows or cols");
            channels += P->out_c;
        } else if (!same_shape_out_in(&job->layers[p], L)) {
            return fail(why, "a layer's input shape is not its producer's output shape");
        } else {
            channels += L->in_c;
        }
    }
    if (concat && (channels != L->out_c || L->out_h != L->in_h || L->out_w != L->in_w))
        return fail(why, "a concat layer's output is not its inputs' channels one after the other");
    const int need_dx = concat ? (int)reads_layer : L->input[0] >= 0 && L->kind != TRAIN_LAYER_ADD;
    if (!fmt_ok(L->fmt_act) || !fmt_ok(L->fmt_err) || (need_dx && !fmt_ok(L->fmt_in_err)))
        return fail(why, "a layer has an invalid activation or error format");
    if (L->addr_y == 0) return fail(why, "a layer has no output buffer");
    if ((need_dx || L->kind == TRAIN_LAYER_NORM) && L->addr_dx == 0)
        return fail(why, "a layer has no input-error buffer");
    if (L->addr_g == 0) return fail(why, "a layer has no output-error address");
    if (L->err_mode > TRAIN_JOB_MAX_PARTS ||
        (L->err_mode != TRAIN_ERR_IN_PLACE && (L->addr_dy == 0 || L->addr_g != L->addr_dy)))
        return fail(why, "a layer's output-error mode or buffer is invalid");
    for (uint32_t k = 0; k < L->err_mode; ++k)
        if (L->addr_part[k] == 0 || !fmt_ok(L->fmt_part[k]))
            return fail(why, "a layer's output-error parts are incomplete");
    switch (L->kind) {
        case TRAIN_LAYER_CONV:
            if (L->kernel == 0 || L->stride == 0 || L->out_c == 0)
                return fail(why, "a conv layer has a zero kernel, stride or channel count");
            break;
        case TRAIN_LAYER_FC:
            if (L->fc_in != in || L->fc_out != out) return fail(why, "an fc layer's fc_in/fc_out disagree");
            break;
        case TRAIN_LAYER_RELU:
        case TRAIN_LAYER_ADD:
            if (in != out) return fail(why, "a relu or add layer changes the shape");
            break;
        case TRAIN_LAYER_MAXPOOL:
        case TRAIN_LAYER_AVGPOOL:
            if (L->pool == 0 || L->stride == 0)
                return fail(why, "a pooling layer has a zero window or stride");
            if (L->kind == TRAIN_LAYER_MAXPOOL && L->addr_argmax == 0)
                return fail(why, "a max-pool layer has no argmax buffer");
            break;
        case TRAIN_LAYER_CONCAT:
            /* its input errors are slices of its output error, copied unrounded */
            if (need_dx && L->fmt_in_err != L->fmt_err)
                return fail(why, "a concat layer's input-error format is not its error format");
            break;
        case TRAIN_LAYER_GLOBAL_AVGPOOL:
            if (L->out_c != L->in_c || out != L->in_c)
                return fail(why, "a global average pooling layer's output is not one value per channel");
            break;
        case TRAIN_LAYER_NORM:
            if (in != out || L->groups == 0 || L->in_c % L->groups != 0 || L->addr_stats == 0 ||
                (L->addr_stats & 7u) || !L->has_bias || L->weight_count != L->in_c ||
                L->bias_count != L->in_c)
                return fail(why, "a norm layer's groups, statistics buffer or gamma/beta are invalid");
            break;
        default:
            return fail(why, "unknown layer kind");
    }
    if (is_gemm(L) || L->kind == TRAIN_LAYER_NORM) {
        if (!fmt_ok(L->fmt_weights) || !fmt_ok(L->fmt_weight_grads) || !fmt_ok(L->fmt_master))
            return fail(why, "a conv/fc/norm layer has an invalid parameter format");
        if (L->weight_count == 0 || L->addr_w == 0 || L->addr_w_master == 0 || L->addr_w_grad == 0)
            return fail(why, "a conv/fc/norm layer has no weights");
        if (L->has_bias &&
            (L->bias_count != L->out_c || L->addr_b == 0 || L->addr_b_master == 0 || L->addr_b_grad == 0))
            return fail(why, "a conv/fc/norm layer's bias is incomplete");
        if (job->momentum != 0.0 && (L->addr_w_velocity == 0 || (L->has_bias && L->addr_b_velocity == 0)))
            return fail(why, "momentum without velocity buffers");
    }
    return 0;
}

int train_job_check(const train_job* job, const char** why) {
    if (job->magic != TRAIN_JOB_MAGIC) return fail(why, "no training job (magic is not TJOB)");
    if (job->version != TRAIN_JOB_VERSION)
        return fail(why, "training job version differs from the firmware's");
    if (job->bytes != sizeof(train_job)) return fail(why, "training job size differs from the firmware's");
    if (job->num_layers == 0 || job->num_layers > TRAIN_JOB_MAX_LAYERS)
        return fail(why, "num_layers must be 1..TRAIN_JOB_MAX_LAYERS");
    if (job->epochs > TRAIN_JOB_MAX_EPOCHS) return fail(why, "epochs exceeds TRAIN_JOB_MAX_EPOCHS");
    if (job->batch == 0 || job->batch > TRAIN_JOB_MAX_BATCH)
        return fail(why, "batch must be 1..TRAIN_JOB_MAX_BATCH");
    if (job->acc_bits > 255u) return fail(why, "acc_bits does not fit the descriptor");
    if (!fmt_ok(job->fmt_input) || job->input_size == 0) return fail(why, "invalid input format or size");
    if (job->train_count > 0 && (job->addr_train_images == 0 || job->addr_train_labels == 0))
        return fail(why, "no training set address");
    if (job->test_count > 0 && (job->addr_test_images == 0 || job->addr_test_labels == 0))
        return fail(why, "no test set address");
    if (job->steps_per_epoch != (job->train_count + job->batch - 1u) / job->batch)
        return fail(why, "steps_per_epoch is not ceil(train_count / batch)");
    if (job->lr_decay_every > 0u && !(job->lr_decay_factor >= 0.0 && job->lr_decay_factor <= 1.0))
        return fail(why, "lr_decay_factor must be in [0, 1]");
    if (job->addr_batch_input == 0 || job->addr_batch_labels == 0 || job->addr_loss_grad == 0 ||
        job->addr_loss_result == 0 || (job->addr_loss_result & 7u))
        return fail(why, "batch scratch buffers missing or the loss record not 8-byte aligned");
    if (job->addr_ring == 0 || (job->addr_ring % ACCEL_RING_ALIGN) || job->ring_entries < 4)
        return fail(why, "descriptor ring missing, misaligned or under 4 entries");
    if (job->addr_results == 0 || (job->addr_results & 7u) || job->addr_step_losses == 0 ||
        (job->addr_step_losses & 7u))
        return fail(why, "results area or step-loss array missing or not 8-byte aligned");
    for (uint32_t l = 0; l < job->num_layers; ++l)
        if (check_layer(job, l, why)) return -1;
    const train_layer* last = &job->layers[job->num_layers - 1];
    if (last->kind != TRAIN_LAYER_FC || last->fc_out != job->num_classes || job->num_classes == 0)
        return fail(why, "the last layer must be fc with num_classes outputs");
    return 0;
}

void train_rt_epoch_order(uint64_t seed, uint32_t epoch, uint32_t* order, uint32_t count) {
    const uint64_t key = tvp_random_key(seed, TVP_SHUFFLE_STREAM + epoch);
    for (uint32_t i = 0; i < count; ++i) order[i] = i;
    for (uint32_t i = count; i > 1; --i) {
        const uint32_t j = tvp_random_below_keyed(key, i, i);
        const uint32_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

/* The current epoch's learning rate rt->lr into the step's SGD_UPDATE descriptors. */
static void apply_lr(struct train_rt* rt) {
    for (uint32_t i = 0; i < rt->step_count; ++i)
        if (rt->step_descs[i].opcode == ACCEL_OP_SGD_UPDATE) rt->step_descs[i].lr = rt->lr;
}

static void build_step(struct train_rt* rt, uint32_t n) {
    rt->step_n = n;
    rt->step_count = train_descs_step(rt->job, n, rt->step_descs);
    train_scales_attach(&rt->scales, rt->step_descs, rt->step_count);
    if (rt->lr != rt->job->lr) apply_lr(rt); /* built with job->lr */
}

static void build_eval(struct train_rt* rt, uint32_t n, uint32_t first) {
    rt->eval_n = n;
    rt->eval_first = first;
    rt->eval_count = train_descs_eval(rt->job, n, first, rt->eval_descs);
}

/* ---- Execution ------------------------------------------------------------------------------------ */

int train_rt_init(struct train_rt* rt, const train_job* job) {
    memset(rt, 0, sizeof *rt);
    rt->job = job;
    rt->lr = job->lr;
    rt->image_bytes = accel_tensor_bytes(job->fmt_input, job->input_size);
    rt->gather = malloc(sizeof(accel_desc) * job->batch);
    rt->step_descs = malloc(sizeof(accel_desc) * train_descs_step_bound(job));
    rt->eval_descs = malloc(sizeof(accel_desc) * train_descs_eval_bound(job));
    if (rt->gather == NULL || rt->step_descs == NULL || rt->eval_descs == NULL) return ACCEL_DRV_EINVAL;
    for (uint32_t b = 0; b < job->batch; ++b) train_descs_gather(job, b, &rt->gather[b]);
    if (train_scales_init(&rt->scales, job)) return ACCEL_DRV_EINVAL;
    build_step(rt, job->batch);
    rt->eval_patch = train_descs_input_first_only(job);
    build_eval(rt, job->batch, 0);

    int rc = accel_probe(NULL);
    if (rc) return rc;
    accel_reset();
    rc = accel_irq_install(TRAIN_RT_IRQ_PRIORITY, NULL);
    if (rc) return rc;
    plic_set_threshold(0);
    return accel_ring_init(&rt->ring, (void*)(uintptr_t)job->addr_ring, job->ring_entries,
                           ACCEL_COMPLETE_IRQ);
}

static int submit(struct train_rt* rt, const accel_desc* descs, uint32_t count, struct accel_error* err) {
    while (count) {
        const uint32_t n = count < TRAIN_RT_SUBMIT_CHUNK ? count : TRAIN_RT_SUBMIT_CHUNK;
        const int rc = accel_submit(&rt->ring, descs, n, err);
        if (rc != ACCEL_DRV_OK) return rc;
        descs += n;
        count -= n;
    }
    return ACCEL_DRV_OK;
}

static int read_result(const train_job* job, accel_loss_result* result) {
    const volatile accel_loss_result* rec =
        (const volatile accel_loss_result*)(uintptr_t)job->addr_loss_result;
    result->loss_sum = rec->loss_sum;
    result->correct = rec->correct;
    result->count = rec->count;
    return ACCEL_DRV_OK;
}

void train_rt_set_epoch(struct train_rt* rt, uint32_t epoch) {
    const train_job* job = rt->job;
    const double lr = tvp_epoch_lr(job->lr, job->lr_decay_every, job->lr_decay_factor, epoch);
    if (lr == rt->lr) return;
    rt->lr = lr;
    apply_lr(rt);
}

int train_rt_step(struct train_rt* rt, const uint32_t* samples, uint32_t n, uint32_t step,
                  accel_loss_result* result, struct accel_error* err) {
    const train_job* job = rt->job;
    if (n == 0 || n > job->batch) return ACCEL_DRV_EINVAL;
    if (rt->step_n != n) build_step(rt, n);
    uint8_t* labels = (uint8_t*)(uintptr_t)job->addr_batch_labels;
    const uint8_t* train_labels = (const uint8_t*)(uintptr_t)job->addr_train_labels;
    for (uint32_t b = 0; b < n; ++b) {
        rt->gather[b].addr_x = job->addr_train_images + samples[b] * rt->image_bytes;
        labels[b] = train_labels[samples[b]];
    }
    for (uint32_t i = 0; i < rt->step_count; ++i) rt->step_descs[i].sr_step = step;
    int rc = submit(rt, rt->gather, n, err);
    if (rc == ACCEL_DRV_OK) rc = submit(rt, rt->step_descs, rt->step_count, err);
    if (rc == ACCEL_DRV_OK) rc = accel_wait(&rt->ring, err);
    if (rc != ACCEL_DRV_OK) return rc;
    rc = read_result(job, result);
    if (rc == ACCEL_DRV_OK && rt->scales.any) {
        rc = train_scales_step_done(&rt->scales, &rt->ring, step, err);
        if (rt->scales.changed) rt->step_n = rt->eval_n = 0; /* rebuilt from the job's new format codes */
    }
    return rc;
}

int train_rt_eval_batch(struct train_rt* rt, uint32_t first, uint32_t n, accel_loss_result* result,
                        struct accel_error* err) {
    const train_job* job = rt->job;
    if (n == 0 || n > job->batch || first + n > job->test_count) return ACCEL_DRV_EINVAL;
    if (rt->eval_n != n || (!rt->eval_patch && rt->eval_first != first)) build_eval(rt, n, first);
    if (rt->eval_patch) {
        rt->eval_descs[0].addr_x = job->addr_test_images + first * rt->image_bytes;
        rt->eval_descs[rt->eval_count - 1].addr_labels = job->addr_test_labels + first;
    }
    int rc = submit(rt, rt->eval_descs, rt->eval_count, err);
    if (rc == ACCEL_DRV_OK) rc = accel_wait(&rt->ring, err);
    if (rc != ACCEL_DRV_OK) return rc;
    return read_result(job, result);
}

int train_rt_evaluate(struct train_rt* rt, double* loss_sum, uint32_t* correct, struct accel_error* err) {
    const train_job* job = rt->job;
    double sum = 0.0;
    uint32_t right = 0;
    for (uint32_t first = 0; first < job->test_count; first += job->batch) {
        const uint32_t left = job->test_count - first;
        const uint32_t n = left < job->batch ? left : job->batch;
        accel_loss_result r;
        const int rc = train_rt_eval_batch(rt, first, n, &r, err);
        if (rc != ACCEL_DRV_OK) return rc;
        sum += r.loss_sum;
        right += r.correct;
    }
    *loss_sum = sum;
    *correct = right;
    return ACCEL_DRV_OK;
}
