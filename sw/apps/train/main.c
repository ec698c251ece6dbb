/*
 * The training firmware (issue 6): trains the network of the job the platform wrote at TRAIN_JOB_BASE
 * (hw/train_job.h) through the accelerator: a sparse job (SPARSE_JOB_MAGIC, issue 14) on the sparse
 * junction-pipelined engine (sparse_main), any other exactly as the golden trainer does
 * (kern::Trainer::train_epoch and evaluate), prints progress on the UART, records per-step losses and
 * per-epoch figures in the results area and leaves the final weights at the job's parameter addresses.
 *
 * Exit status: 0 trained; 2 bad job or out of memory; 3 accelerator error (code and address printed and in
 * train_results.status / err_addr); 4 driver failure.
 */
#include <stdio.h>
#include <stdlib.h>

#include "trainvp/hal.h"
#include "trainvp/sparse_runtime.h"
#include "trainvp/train_runtime.h"

/* A progress line every this many steps (and one per epoch). */
#define TRAIN_PRINT_EVERY 100u

enum { EXIT_BAD_JOB = 2, EXIT_ACCEL_ERROR = 3, EXIT_DRIVER = 4 };

static struct train_rt rt;

/* Steps done, for the platform's progress display: written after every step and after each epoch's test
 * pass, so the platform sees an epoch's figures as soon as they are in the results area. */
static void report_progress(uint32_t steps_done) {
    mmio_write32(TRAINVP_SIMCTRL_BASE + SIMCTRL_REG_PROGRESS, steps_done);
}

/* "12.3456": integer formatting, so the firmware needs no floating-point printf. */
static void print_fixed4(double v) {
    if (v < 0) {
        putchar('-');
        v = -v;
    }
    if (v >= 4e9) {
        printf("inf");
        return;
    }
    uint32_t whole = (uint32_t)v;
    uint32_t frac = (uint32_t)((v - whole) * 10000.0 + 0.5);
    if (frac >= 10000u) whole += 1u, frac -= 10000u;
    printf("%lu.%04lu", (unsigned long)whole, (unsigned long)frac);
}

/* "97.12%" */
static void print_percent(uint32_t num, uint32_t den) {
    const uint32_t bp = den ? (uint32_t)(((uint64_t)num * 10000u + den / 2u) / den) : 0u;
    printf("%lu.%02lu%%", (unsigned long)(bp / 100u), (unsigned long)(bp % 100u));
}

static int fail_accel(train_results* res, int rc, const struct accel_error* err, uint32_t step) {
    if (rc > 0) {
        res->status = err->code;
        res->err_addr = err->addr;
        printf("train: accelerator error %s (%lu) at 0x%08lx, step %lu\n", accel_error_name(err->code),
               (unsigned long)err->code, (unsigned long)err->addr, (unsigned long)step);
        accel_error_print(err);
        return EXIT_ACCEL_ERROR;
    }
    printf("train: driver error %d at step %lu\n", rc, (unsigned long)step);
    return EXIT_DRIVER;
}

/* The sparse job: configure, then per epoch train in order and test (sparse_runtime.h). */
static int sparse_main(const sparse_job* job) {
    static struct sparse_rt srt;
    const char* why = "";
    if (sparse_job_check(job, &why)) {
        printf("train: bad sparse job at 0x%08lx: %s\n", (unsigned long)TRAIN_JOB_BASE, why);
        return EXIT_BAD_JOB;
    }
    sparse_results* res = (sparse_results*)(uintptr_t)job->addr_results;
    res->magic = TRAIN_RESULTS_MAGIC;
    res->status = res->err_addr = res->epochs_done = res->done = 0;
    struct accel_error err = {0, 0, 0};
    int rc = sparse_rt_init(&srt, job, &err);
    printf("train: sparse engine, %lu training and %lu test samples, %lu epoch%s\n",
           (unsigned long)job->train_count, (unsigned long)job->test_count, (unsigned long)job->epochs,
           job->epochs == 1u ? "" : "s");
    for (uint32_t e = 0; rc == 0 && e < job->epochs; ++e) {
        sparse_epoch_result* ep = &res->epochs[e];
        rc = sparse_rt_train_epoch(&srt, e, ep, &err);
        uint32_t test_correct = 0;
        if (rc == 0) rc = sparse_rt_test(&srt, &test_correct, &err);
        if (rc) break;
        ep->test_correct = test_correct;
        ep->test_count = job->test_count;
        res->epochs_done = e + 1;
        report_progress(e + 1);
        printf("train: epoch %lu/%lu etapos %u train acc ", (unsigned long)e + 1, (unsigned long)job->epochs,
               (unsigned)job->etapos[e]);
        print_percent(ep->train_correct, ep->train_count);
        printf(" test acc ");
        print_percent(test_correct, job->test_count);
        putchar('\n');
    }
    if (rc > 0) {
        res->status = err.code;
        res->err_addr = err.addr;
        printf("train: accelerator error %s (%lu) at 0x%08lx, epoch %lu\n", accel_error_name(err.code),
               (unsigned long)err.code, (unsigned long)err.addr, (unsigned long)res->epochs_done + 1);
        accel_error_print(&err);
        return EXIT_ACCEL_ERROR;
    }
    if (rc < 0) {
        printf("train: driver error %d\n", rc);
        return EXIT_DRIVER;
    }
    res->done = 1;
    printf("train: done\n");
    return 0;
}

int main(void) {
    if (*(const volatile uint32_t*)TRAIN_JOB_BASE == SPARSE_JOB_MAGIC)
        return sparse_main((const sparse_job*)TRAIN_JOB_BASE);
    const train_job* job = (const train_job*)TRAIN_JOB_BASE;
    const char* why = "";
    if (train_job_check(job, &why)) {
        printf("train: bad training job at 0x%08lx: %s\n", (unsigned long)TRAIN_JOB_BASE, why);
        return EXIT_BAD_JOB;
    }
    train_results* res = (train_results*)(uintptr_t)job->addr_results;
    double* step_losses = (double*)(uintptr_t)job->addr_step_losses;
    res->magic = TRAIN_RESULTS_MAGIC;
    res->status = res->err_addr = res->epochs_done = res->steps_done = res->done = 0;

    uint32_t* order = malloc(sizeof(uint32_t) * (job->train_count ? job->train_count : 1u));
    if (order == NULL) {
        printf("train: no memory for the permutation of %lu samples\n", (unsigned long)job->train_count);
        return EXIT_BAD_JOB;
    }
    struct accel_error err = {0, 0, 0};
    int rc = train_rt_init(&rt, job);
    if (rc != ACCEL_DRV_OK) {
        if (rc > 0) accel_error_read(&err);
        return fail_accel(res, rc, &err, 0);
    }
    printf("train: %lu layers, %lu training and %lu test samples, batch %lu, %lu epoch%s\n",
           (unsigned long)job->num_layers, (unsigned long)job->train_count, (unsigned long)job->test_count,
           (unsigned long)job->batch, (unsigned long)job->epochs, job->epochs == 1u ? "" : "s");

    uint32_t step = 0;
    for (uint32_t e = 0; e < job->epochs; ++e) {
        train_epoch_result* ep = &res->epochs[e];
        train_rt_epoch_order(job->seed, e, order, job->train_count);
        train_rt_set_epoch(&rt, e);
        double loss_sum = 0.0;
        uint32_t correct = 0, seen = 0;
        for (uint32_t first = 0; first < job->train_count; first += job->batch) {
            const uint32_t left = job->train_count - first;
            const uint32_t n = left < job->batch ? left : job->batch;
            accel_loss_result r;
            rc = train_rt_step(&rt, order + first, n, step, &r, &err);
            if (rc != ACCEL_DRV_OK) return fail_accel(res, rc, &err, step);
            step_losses[step] = r.loss_sum;
            loss_sum += r.loss_sum;
            correct += r.correct;
            seen += n;
            res->steps_done = ++step;
            report_progress(step);
            if (step % TRAIN_PRINT_EVERY == 0) {
                printf("train: epoch %lu step %lu loss ", (unsigned long)e + 1, (unsigned long)step);
                print_fixed4(loss_sum / seen);
                printf(" train acc ");
                print_percent(correct, seen);
                putchar('\n');
            }
        }
        double test_loss = 0.0;
        uint32_t test_correct = 0;
        rc = train_rt_evaluate(&rt, &test_loss, &test_correct, &err);
        if (rc != ACCEL_DRV_OK) return fail_accel(res, rc, &err, step);
        ep->train_loss_sum = loss_sum;
        ep->test_loss_sum = test_loss;
        ep->train_correct = correct;
        ep->train_count = job->train_count;
        ep->test_correct = test_correct;
        ep->test_count = job->test_count;
        res->epochs_done = e + 1;
        report_progress(step);
        printf("train: epoch %lu/%lu step %lu loss ", (unsigned long)e + 1, (unsigned long)job->epochs,
               (unsigned long)step);
        print_fixed4(job->train_count ? loss_sum / job->train_count : 0.0);
        printf(" train acc ");
        print_percent(correct, job->train_count);
        printf(" test acc ");
        print_percent(test_correct, job->test_count);
        putchar('\n');
    }
    res->done = 1;
    printf("train: done, %lu steps\n", (unsigned long)step);
    return 0;
}
