/* Sparse training runtime (trainvp/sparse_runtime.h). */
#include "trainvp/sparse_runtime.h"

#include <string.h>

#include "trainvp/plic.h"

#define SPARSE_RT_IRQ_PRIORITY 1u

static int fail(const char** why, const char* msg) {
    if (why) *why = msg;
    return -1;
}

int sparse_job_check(const sparse_job* job, const char** why) {
    if (job->magic != SPARSE_JOB_MAGIC) return fail(why, "no sparse job magic");
    if (job->version != SPARSE_JOB_VERSION || job->bytes != sizeof(sparse_job))
        return fail(why, "sparse job version or size differs from the firmware's");
    if (job->epochs == 0 || job->epochs > TRAIN_JOB_MAX_EPOCHS) return fail(why, "epochs out of range");
    if (job->sample_bytes == 0 || job->train_count == 0 || job->descriptor_samples == 0)
        return fail(why, "no samples, or zero samples per descriptor");
    if (job->addr_config == 0 || job->addr_train_images == 0 || job->addr_train_labels == 0 ||
        job->addr_results == 0 || job->addr_parameters == 0 || job->addr_result_record == 0)
        return fail(why, "a buffer address is 0");
    if (job->test_count &&
        (job->addr_test_images == 0 || job->addr_test_labels == 0 || job->addr_predictions == 0))
        return fail(why, "test set without images, labels or predictions buffer");
    if (job->addr_ring == 0 || (job->addr_ring % ACCEL_RING_ALIGN) || job->ring_entries < 4)
        return fail(why, "descriptor ring missing, misaligned or under 4 entries");
    return 0;
}

int sparse_rt_init(struct sparse_rt* rt, const sparse_job* job, struct accel_error* err) {
    memset(rt, 0, sizeof *rt);
    rt->job = job;
    int rc = accel_probe(NULL);
    if (rc) return rc;
    accel_reset();
    rc = accel_irq_install(SPARSE_RT_IRQ_PRIORITY, NULL);
    if (rc) return rc;
    plic_set_threshold(0);
    rc = accel_ring_init(&rt->ring, (void*)(uintptr_t)job->addr_ring, job->ring_entries, ACCEL_COMPLETE_IRQ);
    if (rc) return rc;
    accel_desc d;
    accel_desc_sparse_config(&d, job->addr_config);
    return accel_run(&rt->ring, &d, err);
}

int sparse_rt_train_epoch(struct sparse_rt* rt, uint32_t epoch, sparse_epoch_result* out,
                          struct accel_error* err) {
    const sparse_job* job = rt->job;
    const volatile accel_sparse_result* rec =
        (const volatile accel_sparse_result*)(uintptr_t)job->addr_result_record;
    memset(out, 0, sizeof *out);
    for (uint32_t first = 0; first < job->train_count; first += job->descriptor_samples) {
        const uint32_t left = job->train_count - first;
        const uint32_t n = left < job->descriptor_samples ? left : job->descriptor_samples;
        const int last = epoch + 1 == job->epochs && first + n == job->train_count;
        accel_desc d;
        accel_desc_sparse_train(&d, n, job->sample_bytes, job->addr_train_images + first * job->sample_bytes,
                                job->addr_train_labels + first, job->etapos[epoch], job->addr_result_record,
                                last ? job->addr_parameters : 0u);
        const int rc = accel_run(&rt->ring, &d, err);
        if (rc) return rc;
        out->train_correct += rec->correct;
        out->train_count += rec->samples;
        out->clocks += rec->clocks;
        out->stall_clocks += rec->stall_clocks;
        out->bank_conflicts += rec->bank_conflicts;
        out->lost_sums += rec->lost_sums;
    }
    return 0;
}

int sparse_rt_test(struct sparse_rt* rt, uint32_t* correct, struct accel_error* err) {
    const sparse_job* job = rt->job;
    *correct = 0;
    if (job->test_count == 0) return 0;
    accel_desc d;
    accel_desc_sparse_infer(&d, job->test_count, job->sample_bytes, job->addr_test_images,
                            job->addr_test_labels, job->addr_predictions, job->addr_result_record);
    const int rc = accel_run(&rt->ring, &d, err);
    if (rc) return rc;
    *correct = ((const volatile accel_sparse_result*)(uintptr_t)job->addr_result_record)->correct;
    return 0;
}
