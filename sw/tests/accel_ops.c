/*
 * The ops layer on real operations: every opcode family run on the accelerator, its results checked against
 * values computed here in C. Inputs are small integers and powers of two, so every sum and product is exact
 * in fp32 and the expected values are exact too. Completion by interrupt (WFI, woken by the PLIC external
 * interrupt) and by polling; a ring in the driver's static buffer and one in a caller-provided DRAM area;
 * batches larger than the ring (full-ring waits and wrap-around), in order.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "trainvp/accel_ops.h"
#include "trainvp/check.h"
#include "trainvp/csr.h"
#include "trainvp/plic.h"

#define FP32 ACCEL_FMT_FP32
#define FX16_8 ACCEL_FMT_FX(16, 8)

static struct accel_ring irq_ring, poll_ring;
/* The polled ring lives in the platform's area above the firmware image (hw/memory_map.h). */
#define POLL_RING_AREA ((void*)TRAINVP_HOST_AREA_BASE)

static int feq(const float* a, const float* b, uint32_t n, const char* what) {
    for (uint32_t i = 0; i < n; ++i)
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0) {
            printf("accel_ops: %s[%lu] = %d/1000, expected %d/1000\n", what, (unsigned long)i,
                   (int)(a[i] * 1000), (int)(b[i] * 1000));
            return 0;
        }
    return 1;
}

/* Runs one descriptor on `ring` and checks it succeeded. */
static void run(struct accel_ring* ring, const accel_desc* d, const char* what) {
    struct accel_error err;
    const int rc = accel_run(ring, d, &err);
    if (rc != 0) {
        printf("accel_ops: %s failed with %d\n", what, rc);
        if (rc > 0) accel_error_print(&err);
    }
    CHECK_EQ(rc, 0);
}

/* ---- FC: y = W x + b, dx = W^T g, dw = sum g x^T, db = sum g ------------------------------------------ */
#define FC_N 2
#define FC_IN 4
#define FC_OUT 3
static float fc_x[FC_N * FC_IN], fc_w[FC_OUT * FC_IN], fc_b[FC_OUT], fc_y[FC_N * FC_OUT], fc_g[FC_N * FC_OUT];
static float fc_dx[FC_N * FC_IN], fc_dw[FC_OUT * FC_IN], fc_db[FC_OUT];

static void fc_setup(void) {
    for (int n = 0; n < FC_N; ++n)
        for (int i = 0; i < FC_IN; ++i) fc_x[n * FC_IN + i] = (float)(2 * n - i + 1);
    for (int o = 0; o < FC_OUT; ++o) {
        for (int i = 0; i < FC_IN; ++i) fc_w[o * FC_IN + i] = (float)((o + 1) * (i % 2 ? -1 : 1) + i) * 0.5f;
        fc_b[o] = (float)o - 1.0f;
    }
    for (int k = 0; k < FC_N * FC_OUT; ++k) fc_g[k] = (float)(k % 3) - 1.25f;
}

static void fc_forward_expected(float* y) {
    for (int n = 0; n < FC_N; ++n)
        for (int o = 0; o < FC_OUT; ++o) {
            float s = fc_b[o];
            for (int i = 0; i < FC_IN; ++i) s += fc_w[o * FC_IN + i] * fc_x[n * FC_IN + i];
            y[n * FC_OUT + o] = s;
        }
}

static void test_fc_forward(struct accel_ring* ring, const char* how) {
    const struct accel_fc_shape s = {FC_IN, FC_OUT};
    float expected[FC_N * FC_OUT];
    fc_forward_expected(expected);
    memset(fc_y, 0, sizeof fc_y);
    accel_desc d;
    accel_desc_fc_fwd(&d, &s, FC_N, accel_fp32(fc_x), accel_fp32(fc_w), ACCEL_ADDR(fc_b), accel_fp32(fc_y));
    CHECK(d.flags & ACCEL_FLAG_HAS_BIAS);
    const uint32_t irqs = accel_irq_count;
    accel_irq_take();
    run(ring, &d, how);
    CHECK(feq(fc_y, expected, FC_N * FC_OUT, "fc y"));
    if (ring->mode == ACCEL_COMPLETE_IRQ) {
        /* The DONE interrupt came through the PLIC (the descriptor may finish before the wait starts). */
        CHECK_EQ(accel_irq_count - irqs, 1);
        CHECK_EQ(accel_irq_take(), ACCEL_IRQ_DONE);
        CHECK_EQ(plic_last_source, TRAINVP_IRQ_ACCEL);
        CHECK_EQ(plic_last_mcause, MCAUSE_INTERRUPT | IRQ_M_EXT);
    } else {
        /* No interrupt: IRQ_ENABLE is 0 and the descriptor did not ask for DONE. */
        CHECK_EQ(accel_irq_count, irqs);
        CHECK_EQ(ACCEL_RD(IRQ_STATUS), 0);
    }
}

/* A descriptor long enough (64 KiB each way through the DMA) that the wait must really sleep or poll. */
#define LONG_N 16384
static float long_x[LONG_N], long_y[LONG_N];

static void test_long_wait(struct accel_ring* ring, const char* how) {
    for (int i = 0; i < LONG_N; ++i) long_x[i] = (float)(i % 17 - 8);
    memset(long_y, 0xff, sizeof long_y);
    accel_desc d;
    accel_desc_relu_fwd(&d, LONG_N, accel_fp32(long_x), accel_fp32(long_y));
    const uint32_t irqs = accel_irq_count;
    const uint64_t start = csr_read_mcycle64();
    run(ring, &d, how);
    const uint64_t cycles = csr_read_mcycle64() - start;
    uint32_t wrong = 0;
    for (int i = 0; i < LONG_N; ++i) wrong += long_y[i] != (i % 17 > 8 ? (float)(i % 17 - 8) : 0.0f);
    CHECK_EQ(wrong, 0);
    if (ring->mode == ACCEL_COMPLETE_IRQ) {
        CHECK(accel_wait_wfi_count >= 1); /* asleep until the DONE interrupt woke it */
        CHECK_EQ(accel_irq_count - irqs, 1);
        CHECK_EQ(accel_irq_take(), ACCEL_IRQ_DONE);
    } else {
        CHECK(accel_wait_poll_count >= 1);
        CHECK_EQ(accel_irq_count, irqs);
    }
    printf("accel_ops: relu of %d elements by %s: %lu WFI, %lu polls, %lu CPU cycles\n", LONG_N, how,
           (unsigned long)accel_wait_wfi_count, (unsigned long)accel_wait_poll_count, (unsigned long)cycles);
}

static void test_fc_backward(void) {
    const struct accel_fc_shape s = {FC_IN, FC_OUT};
    float dx[FC_N * FC_IN] = {0}, dw[FC_OUT * FC_IN] = {0}, db[FC_OUT] = {0};
    for (int n = 0; n < FC_N; ++n)
        for (int o = 0; o < FC_OUT; ++o) {
            const float g = fc_g[n * FC_OUT + o];
            db[o] += g;
            for (int i = 0; i < FC_IN; ++i) {
                dx[n * FC_IN + i] += fc_w[o * FC_IN + i] * g;
                dw[o * FC_IN + i] += g * fc_x[n * FC_IN + i];
            }
        }
    accel_desc d[2];
    accel_desc_fc_bwd_data(&d[0], &s, FC_N, accel_fp32(fc_g), accel_fp32(fc_w), accel_fp32(fc_dx));
    accel_desc_fc_wgrad(&d[1], &s, FC_N, accel_fp32(fc_g), accel_fp32(fc_x), accel_fp32(fc_dw),
                        ACCEL_ADDR(fc_db));
    CHECK_EQ(accel_submit(&irq_ring, d, 2, NULL), 0);
    CHECK_EQ(accel_wait(&irq_ring, NULL), 0);
    CHECK(feq(fc_dx, dx, FC_N * FC_IN, "fc dx"));
    CHECK(feq(fc_dw, dw, FC_OUT * FC_IN, "fc dw"));
    CHECK(feq(fc_db, db, FC_OUT, "fc db"));
}

/* ---- Conv: 2 samples, 2 x 3 x 3 input, 2 output channels, 2 x 2 kernel, stride 1, pad 1 -> 4 x 4 ------- */
static const struct accel_conv_shape conv = {2, 3, 3, 2, 2, 1, 1};
#define CV_N 2
#define CV_IN (2 * 3 * 3)
#define CV_OUT (2 * 4 * 4)
#define CV_W (2 * 2 * 2 * 2)
static float cv_x[CV_N * CV_IN], cv_w[CV_W], cv_b[2], cv_y[CV_N * CV_OUT], cv_g[CV_N * CV_OUT];
static float cv_dx[CV_N * CV_IN], cv_dw[CV_W], cv_db[2];

/* Calls f(n, o, oy, ox, c, iy, ix, weight index) for every multiply of the layer inside the input. */
#define CONV_FOR_EACH(body)                                                           \
    for (int n = 0; n < CV_N; ++n)                                                    \
        for (int o = 0; o < 2; ++o)                                                   \
            for (int oy = 0; oy < 4; ++oy)                                            \
                for (int ox = 0; ox < 4; ++ox)                                        \
                    for (int c = 0; c < 2; ++c)                                       \
                        for (int ky = 0; ky < 2; ++ky)                                \
                            for (int kx = 0; kx < 2; ++kx) {                          \
                                const int iy = oy - 1 + ky, ix = ox - 1 + kx;         \
                                if (iy < 0 || iy >= 3 || ix < 0 || ix >= 3) continue; \
                                const int xi = n * CV_IN + (c * 3 + iy) * 3 + ix;     \
                                const int yi = n * CV_OUT + (o * 4 + oy) * 4 + ox;    \
                                const int wi = ((o * 2 + c) * 2 + ky) * 2 + kx;       \
                                body;                                                 \
                            }

static void test_conv(void) {
    CHECK_EQ(accel_conv_out_rows(&conv), 4);
    CHECK_EQ(accel_conv_out_cols(&conv), 4);
    for (int i = 0; i < CV_N * CV_IN; ++i) cv_x[i] = (float)(i % 5) - 2.0f;
    for (int i = 0; i < CV_W; ++i) cv_w[i] = (float)((i * 3) % 7 - 3) * 0.25f;
    cv_b[0] = 0.5f, cv_b[1] = -1.0f;
    for (int i = 0; i < CV_N * CV_OUT; ++i) cv_g[i] = (float)(i % 4) - 1.5f;
    float y[CV_N * CV_OUT], dx[CV_N * CV_IN] = {0}, dw[CV_W] = {0}, db[2] = {0};
    for (int i = 0; i < CV_N * CV_OUT; ++i) y[i] = cv_b[(i / 16) % 2];
    CONV_FOR_EACH({
        y[yi] += cv_x[xi] * cv_w[wi];
        dx[xi] += cv_g[yi] * cv_w[wi];
        dw[wi] += cv_g[yi] * cv_x[xi];
    });
    for (int i = 0; i < CV_N * CV_OUT; ++i) db[(i / 16) % 2] += cv_g[i];

    accel_desc d[3];
    accel_desc_gemm(&d[0], ACCEL_PHASE_FWD, 1, &conv, CV_N, accel_fp32(cv_x), accel_fp32(cv_w),
                    accel_fp32(cv_y), ACCEL_ADDR(cv_b));
    accel_desc_gemm(&d[1], ACCEL_PHASE_BWD_DATA, 1, &conv, CV_N, accel_fp32(cv_g), accel_fp32(cv_w),
                    accel_fp32(cv_dx), ACCEL_NO_ADDR);
    accel_desc_gemm(&d[2], ACCEL_PHASE_WGRAD, 1, &conv, CV_N, accel_fp32(cv_g), accel_fp32(cv_x),
                    accel_fp32(cv_dw), ACCEL_ADDR(cv_db));
    CHECK_EQ(d[0].opcode, ACCEL_OP_CONV_FWD);
    CHECK_EQ(d[1].opcode, ACCEL_OP_CONV_BWD_DATA);
    CHECK_EQ(d[2].opcode, ACCEL_OP_CONV_WGRAD);
    for (int i = 0; i < 3; ++i) accel_desc_set_layer(&d[i], 1);
    CHECK_EQ(accel_submit(&irq_ring, d, 3, NULL), 0);
    CHECK_EQ(accel_wait(&irq_ring, NULL), 0);
    CHECK(feq(cv_y, y, CV_N * CV_OUT, "conv y"));
    CHECK(feq(cv_dx, dx, CV_N * CV_IN, "conv dx"));
    CHECK(feq(cv_dw, dw, CV_W, "conv dw"));
    CHECK(feq(cv_db, db, 2, "conv db"));
}

/* ---- Element-wise, pooling, loss, update, conversion --------------------------------------------------- */
static float r_x[8] = {-2.0f, -0.5f, 0.25f, 0.5f, 3.0f, -1.0f, 1.25f, -8.0f}, r_y[8], r_g[8], r_dx[8];

static void test_relu(void) {
    float y[8], dx[8];
    for (int i = 0; i < 8; ++i) {
        r_g[i] = (float)(i + 1);
        y[i] = r_x[i] > 0.0f ? r_x[i] : 0.0f;
        dx[i] = y[i] > 0.0f ? r_g[i] : 0.0f;
    }
    accel_desc d[2];
    accel_desc_relu_fwd(&d[0], 8, accel_fp32(r_x), accel_fp32(r_y));
    accel_desc_relu_bwd(&d[1], 8, accel_fp32(r_y), accel_fp32(r_g), accel_fp32(r_dx));
    CHECK_EQ(accel_submit(&poll_ring, d, 2, NULL), 0);
    CHECK_EQ(accel_wait(&poll_ring, NULL), 0);
    CHECK(feq(r_y, y, 8, "relu y"));
    CHECK(feq(r_dx, dx, 8, "relu dx"));
}

/* 1 sample, 2 channels of 4 x 4, 2 x 2 windows with stride 2. */
static const struct accel_pool_shape pool = {2, 4, 4, 2, 2};
static float p_x[32], p_y[8], p_g[8], p_dx[32], p_avg[8], p_avg_dx[32];
static uint32_t p_argmax[8];

static void test_pool(void) {
    CHECK_EQ(accel_pool_out_rows(&pool), 2);
    for (int i = 0; i < 32; ++i) p_x[i] = (float)((i * 7) % 11) - 5.0f;
    for (int i = 0; i < 8; ++i) p_g[i] = (float)(i + 1) * 0.5f;
    float y[8], avg[8], dx[32] = {0}, avg_dx[32] = {0};
    uint32_t argmax[8];
    for (int c = 0; c < 2; ++c)
        for (int oy = 0; oy < 2; ++oy)
            for (int ox = 0; ox < 2; ++ox) {
                const int o = (c * 2 + oy) * 2 + ox;
                int best = (c * 4 + oy * 2) * 4 + ox * 2;
                float sum = 0.0f;
                for (int dy = 0; dy < 2; ++dy)
                    for (int dx_ = 0; dx_ < 2; ++dx_) {
                        const int i = (c * 4 + oy * 2 + dy) * 4 + ox * 2 + dx_;
                        if (p_x[i] > p_x[best]) best = i; /* first maximum in row-major order */
                        sum += p_x[i];
                        avg_dx[i] = p_g[o] / 4.0f;
                    }
                y[o] = p_x[best];
                argmax[o] = (uint32_t)best;
                avg[o] = sum / 4.0f;
                dx[best] += p_g[o];
            }
    accel_desc d[4];
    accel_desc_maxpool_fwd(&d[0], &pool, 1, accel_fp32(p_x), accel_fp32(p_y), ACCEL_ADDR(p_argmax));
    accel_desc_maxpool_bwd(&d[1], &pool, 1, accel_fp32(p_g), ACCEL_ADDR(p_argmax), accel_fp32(p_dx));
    accel_desc_avgpool_fwd(&d[2], &pool, 1, accel_fp32(p_x), accel_fp32(p_avg));
    accel_desc_avgpool_bwd(&d[3], &pool, 1, accel_fp32(p_g), accel_fp32(p_avg_dx));
    CHECK_EQ(accel_submit(&irq_ring, d, 4, NULL), 0);
    CHECK_EQ(accel_wait(&irq_ring, NULL), 0);
    CHECK(feq(p_y, y, 8, "maxpool y"));
    for (int o = 0; o < 8; ++o) CHECK_EQ(p_argmax[o], argmax[o]);
    CHECK(feq(p_dx, dx, 32, "maxpool dx"));
    CHECK(feq(p_avg, avg, 8, "avgpool y"));
    CHECK(feq(p_avg_dx, avg_dx, 32, "avgpool dx"));
}

/* Equal logits: softmax is exactly 1/4 per class, dx = 1/4 - onehot exactly, the loss is N ln 4. */
static float sm_x[8] = {1, 1, 1, 1, -2, -2, -2, -2}, sm_dx[8];
static const uint8_t sm_labels[2] = {2, 0};
static accel_loss_result sm_result __attribute__((aligned(8)));

static void test_softmax(void) {
    accel_desc d;
    accel_desc_softmax_xent(&d, 2, 4, accel_fp32(sm_x), ACCEL_ADDR(sm_labels), ACCEL_ADDR(&sm_result),
                            accel_fp32(sm_dx));
    CHECK(d.flags & ACCEL_FLAG_LOSS_GRAD);
    run(&irq_ring, &d, "softmax");
    float dx[8];
    for (int i = 0; i < 8; ++i) dx[i] = 0.25f - ((i / 4 == 0 && i % 4 == 2) || (i / 4 == 1 && i % 4 == 0));
    CHECK(feq(sm_dx, dx, 8, "softmax dx"));
    CHECK_EQ(sm_result.count, 2);
    CHECK_EQ(sm_result.correct, 1); /* the first maximum is class 0: right for sample 1 only */
    CHECK(fabs(sm_result.loss_sum - 2.0 * log(4.0)) < 1e-6);
}

/* v = 0.5 v + dw / 2, master -= 0.5 v; the working weights in fx16.8. */
static float sgd_dw[4] = {2, -4, 1, 0}, sgd_master[4] = {1, 2, -1, 0.5f}, sgd_v[4] = {0.5f, 0, -1, 1};
static int16_t sgd_w[4];

static void test_sgd(void) {
    float v[4], m[4];
    for (int i = 0; i < 4; ++i) {
        v[i] = (float)(0.5 * sgd_v[i] + sgd_dw[i] / 2.0);
        m[i] = (float)(sgd_master[i] - 0.5 * v[i]);
    }
    const struct accel_sgd_params p = {0.5, 0.5, 0.0, 2};
    accel_desc d;
    accel_desc_sgd_update(&d, 4, &p, accel_fp32(sgd_dw), accel_fp32(sgd_master), ACCEL_ADDR(sgd_v),
                          accel_tensor(ACCEL_ADDR(sgd_w), FX16_8));
    run(&poll_ring, &d, "sgd");
    CHECK(feq(sgd_v, v, 4, "sgd velocity"));
    CHECK(feq(sgd_master, m, 4, "sgd master"));
    for (int i = 0; i < 4; ++i) CHECK_EQ((uint32_t)(int32_t)sgd_w[i], (uint32_t)(int32_t)(m[i] * 256.0f));
}

/* The auxiliary core: ADD, global average pooling, range group norm forward and backward. One group of
 * M = 4 elements {0, 1, 2, 3}: mean 1.5, range 3, C(4) = 1 / (2 sqrt(2 ln 4)) = 0.300, C(4) * 3 = 0.901
 * (significand 1.80, above sqrt 2) gives the scale 1; with gamma 2 and beta 1, y = 2 x - 2. Backward with
 * g = {1, 0, 0, 0}: mean(gamma g) = 0.5, dx = 2 g - 0.5, dgamma = sum g (x - mean) s = {-1.5, 0},
 * dbeta = {1, 0}. */
static float aux_x[2] = {1.5f, -2.0f}, aux_x2[2] = {0.25f, 4.0f}, aux_y[2];
static float gp_x[8] = {1, 2, 3, 4, -1, -1, -1, 5}, gp_y[2], gp_g[2] = {4, 8}, gp_dx[8];
static float nm_x[4] = {0, 1, 2, 3}, nm_gamma[2] = {2, 2}, nm_beta[2] = {1, 1}, nm_y[4];
static float nm_g[4] = {1, 0, 0, 0}, nm_dx[4], nm_dgamma[2], nm_dbeta[2];
static accel_norm_stats nm_stats[1];

static void test_aux(void) {
    accel_desc d[5];
    accel_desc_add(&d[0], 2, accel_fp32(aux_x), accel_fp32(aux_x2), accel_fp32(aux_y));
    accel_desc_gavgpool_fwd(&d[1], 1, 2, 2, 2, accel_fp32(gp_x), accel_fp32(gp_y));
    accel_desc_gavgpool_bwd(&d[2], 1, 2, 2, 2, accel_fp32(gp_g), accel_fp32(gp_dx));
    const struct accel_norm_shape ns = {2, 1, 2, 1, 0, 0, 0};
    accel_desc_norm_fwd(&d[3], &ns, 1, accel_fp32(nm_x), accel_fp32(nm_gamma), ACCEL_ADDR(nm_beta),
                        ACCEL_ADDR(nm_stats), accel_fp32(nm_y));
    accel_desc_norm_bwd(&d[4], &ns, 1, accel_fp32(nm_g), accel_fp32(nm_x), accel_fp32(nm_gamma),
                        ACCEL_ADDR(nm_stats), accel_fp32(nm_dx), accel_fp32(nm_dgamma), ACCEL_ADDR(nm_dbeta));
    CHECK_EQ(accel_submit(&poll_ring, d, 5, NULL), 0);
    CHECK_EQ(accel_wait(&poll_ring, NULL), 0);
    static const float y[2] = {1.75f, 2.0f}, gy[2] = {2.5f, 0.5f};
    static const float gdx[8] = {1, 1, 1, 1, 2, 2, 2, 2}, ny[4] = {-2.0f, 0.0f, 2.0f, 4.0f};
    static const float ndx[4] = {1.5f, -0.5f, -0.5f, -0.5f}, ndg[2] = {-1.5f, 0}, ndb[2] = {1, 0};
    CHECK(feq(aux_y, y, 2, "add"));
    CHECK(feq(gp_y, gy, 2, "global avgpool"));
    CHECK(feq(gp_dx, gdx, 8, "global avgpool backward"));
    CHECK(feq(nm_y, ny, 4, "norm"));
    CHECK(nm_stats[0].mean == 1.5 && nm_stats[0].scale == 1.0);
    CHECK_EQ(nm_stats[0].arg_max, 3);
    CHECK_EQ(nm_stats[0].arg_min, 0);
    CHECK(feq(nm_dx, ndx, 4, "norm backward"));
    CHECK(feq(nm_dgamma, ndg, 2, "norm dgamma"));
    CHECK(feq(nm_dbeta, ndb, 2, "norm dbeta"));
}

/* fp32 -> fx16.8 -> fp32. 1/512 and 3/512 are ties: round to nearest even gives 0 and 2/256. */
static float cp_src[8] = {1.5f, -2.25f, 1.0f / 256, -128.0f, 127.99609375f, 3.0f, 1.0f / 512, 3.0f / 512};
static int16_t cp_fx[8];
static float cp_back[8];

static void test_dma_copy(void) {
    static const int16_t raw[8] = {384, -576, 1, -32768, 32767, 768, 0, 2};
    CHECK_EQ(accel_fmt_container_bytes(FX16_8), 2);
    CHECK_EQ(accel_fmt_container_bytes(FP32), 4);
    CHECK_EQ(accel_tensor_bytes(ACCEL_FMT_FX(8, 4), 3), 3);
    accel_desc d[2];
    accel_desc_dma_copy(&d[0], 8, accel_fp32(cp_src), accel_tensor(ACCEL_ADDR(cp_fx), FX16_8));
    accel_desc_dma_copy(&d[1], 8, accel_tensor(ACCEL_ADDR(cp_fx), FX16_8), accel_fp32(cp_back));
    CHECK_EQ(accel_submit(&irq_ring, d, 2, NULL), 0);
    CHECK_EQ(accel_wait_poll(&irq_ring, NULL), 0); /* an IRQ-mode ring may be polled too */
    float back[8];
    for (int i = 0; i < 8; ++i) {
        CHECK_EQ((uint32_t)(int32_t)cp_fx[i], (uint32_t)(int32_t)raw[i]);
        back[i] = (float)raw[i] / 256.0f;
    }
    CHECK(feq(cp_back, back, 8, "copy back"));
    CHECK(feq(cp_back, cp_src, 6, "round trip")); /* the representable ones come back unchanged */
}

/* 12 copies buf[i] -> buf[i+1] in one batch through a 4-entry ring: chunks, waits for free slots, wraps; the
 * last buffer equals the first only if every copy ran in order. */
#define CHAIN 12
static float chain[CHAIN + 1][4];
static accel_desc small_ring_area[4] __attribute__((aligned(ACCEL_RING_ALIGN)));

static void test_full_ring(enum accel_completion mode, const char* how) {
    struct accel_ring r;
    CHECK_EQ(accel_ring_init(&r, small_ring_area, 4, mode), 0);
    memset(chain, 0, sizeof chain);
    for (int i = 0; i < 4; ++i) chain[0][i] = (float)(i * i) - 3.5f;
    accel_desc d[CHAIN];
    for (int i = 0; i < CHAIN; ++i)
        accel_desc_dma_copy(&d[i], 4, accel_fp32(chain[i]), accel_fp32(chain[i + 1]));
    CHECK_EQ(accel_try_submit(&r, d, 4), ACCEL_DRV_EINVAL); /* a 4-entry ring holds 3 */
    CHECK_EQ(accel_submit(&r, d, CHAIN, NULL), 0);
    CHECK_EQ(accel_wait(&r, NULL), 0);
    CHECK_EQ(r.published, CHAIN);
    CHECK_EQ(ACCEL_RD(RING_HEAD), CHAIN % 4);
    CHECK_EQ(accel_ring_pending(&r), 0);
    CHECK_EQ(accel_ring_space(&r), 3);
    CHECK(feq(chain[CHAIN], chain[0], 4, how));
}

static void test_perf(uint32_t expected_descriptors) {
    struct accel_perf p;
    accel_perf_read(&p, 0);
    CHECK_EQ64(p.desc, expected_descriptors);
    CHECK(p.macs >= (uint64_t)FC_N * FC_IN * FC_OUT);
    CHECK(p.dma_wr > 0);
    CHECK(p.cycles >= p.compute);
    printf("accel_ops: %lu descriptors, %lu cycles, %lu MACs, %lu bytes read, %lu written\n",
           (unsigned long)p.desc, (unsigned long)p.cycles, (unsigned long)p.macs, (unsigned long)p.dma_rd,
           (unsigned long)p.dma_wr);
}

int main(void) {
    CHECK_EQ(accel_probe(NULL), ACCEL_DRV_OK);
    accel_reset();
    CHECK_EQ(accel_irq_install(1, NULL), 0);
    irq_global_enable();
    CHECK_EQ(accel_ring_init(&irq_ring, NULL, ACCEL_RING_DEFAULT_ENTRIES, ACCEL_COMPLETE_IRQ), 0);
    CHECK_EQ(ACCEL_RD(IRQ_ENABLE), ACCEL_IRQ_DONE | ACCEL_IRQ_ERROR);
    CHECK_EQ(accel_ring_init(&irq_ring, NULL, ACCEL_RING_DEFAULT_ENTRIES + 1, ACCEL_COMPLETE_IRQ),
             ACCEL_DRV_EINVAL);
    CHECK_EQ(accel_ring_init(&irq_ring, (char*)small_ring_area + 4, 4, ACCEL_COMPLETE_IRQ), ACCEL_DRV_EINVAL);
    CHECK_EQ(accel_ring_init(&irq_ring, NULL, ACCEL_RING_DEFAULT_ENTRIES, ACCEL_COMPLETE_IRQ), 0);
    fc_setup();
    test_fc_forward(&irq_ring, "interrupt");
    test_long_wait(&irq_ring, "interrupt");
    test_fc_backward();
    test_conv();
    test_pool();
    test_softmax();
    test_dma_copy();
    const uint32_t on_irq_ring = irq_ring.published;

    /* The same accelerator, re-configured while idle with a polled ring in a caller-provided DRAM area. */
    CHECK_EQ(accel_ring_init(&poll_ring, POLL_RING_AREA, 16, ACCEL_COMPLETE_POLL), 0);
    CHECK_EQ(ACCEL_RD(RING_BASE), TRAINVP_HOST_AREA_BASE);
    CHECK_EQ(ACCEL_RD(IRQ_ENABLE), 0);
    test_fc_forward(&poll_ring, "polling");
    test_long_wait(&poll_ring, "polling");
    test_relu();
    test_sgd();
    test_aux();
    const uint32_t total = on_irq_ring + poll_ring.published;

    test_full_ring(ACCEL_COMPLETE_IRQ, "chain by interrupt");
    test_full_ring(ACCEL_COMPLETE_POLL, "chain by polling");
    test_perf(total + 2 * CHAIN);
    irq_global_disable();
    accel_irq_uninstall();
    accel_reset();
    test_finish("accel_ops");
}
