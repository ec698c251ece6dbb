/* The descriptor ring, submission and completion (trainvp/accel_ops.h; docs/accelerator.md "Programming
 * model"). */
#include <stddef.h>
#include <string.h>

#include "trainvp/accel_ops.h"

static accel_desc default_ring[ACCEL_RING_DEFAULT_ENTRIES] __attribute__((aligned(64)));

uint32_t accel_wait_wfi_count;
uint32_t accel_wait_poll_count;

int accel_ring_init(struct accel_ring* ring, void* area, uint32_t entries, enum accel_completion mode) {
    if (ring == NULL || entries < 2) return ACCEL_DRV_EINVAL;
    if (area == NULL) {
        if (entries > ACCEL_RING_DEFAULT_ENTRIES) return ACCEL_DRV_EINVAL;
        area = default_ring;
    }
    if ((uintptr_t)area % ACCEL_RING_ALIGN) return ACCEL_DRV_EINVAL;
    if (mode == ACCEL_COMPLETE_IRQ && !accel_irq_installed()) return ACCEL_DRV_EINVAL;
    ring->slots = (accel_desc*)area;
    ring->entries = entries;
    ring->tail = 0;
    ring->mode = mode;
    ring->published = 0;
    ACCEL_WR(RING_BASE, ACCEL_ADDR(area));
    ACCEL_WR(RING_SIZE, entries); /* also sets RING_HEAD = RING_TAIL = 0 */
    ACCEL_WR(IRQ_ENABLE, mode == ACCEL_COMPLETE_IRQ ? ACCEL_IRQ_DONE | ACCEL_IRQ_ERROR : 0u);
    return (int)accel_error_read(NULL);
}

uint32_t accel_ring_pending(const struct accel_ring* ring) {
    return (ring->tail + ring->entries - ACCEL_RD(RING_HEAD)) % ring->entries;
}

uint32_t accel_ring_space(const struct accel_ring* ring) {
    return ring->entries - 1u - accel_ring_pending(ring);
}

static int stopped(void) {
    return (accel_status() & ACCEL_STATUS_ERROR) != 0;
}

int accel_try_submit(struct accel_ring* ring, const accel_desc* descs, uint32_t count) {
    if (count == 0 || count >= ring->entries) return ACCEL_DRV_EINVAL;
    if (stopped()) return (int)accel_error_read(NULL); /* nothing runs until a reset */
    if (accel_ring_space(ring) < count) return ACCEL_DRV_EFULL;
    uint32_t slot = ring->tail;
    for (uint32_t i = 0; i < count; ++i) {
        accel_desc* s = &ring->slots[slot];
        memcpy(s, &descs[i], sizeof *s);
        if (ring->mode == ACCEL_COMPLETE_IRQ && i + 1 == count) s->flags |= ACCEL_FLAG_IRQ_ON_DONE;
        slot = (slot + 1) % ring->entries;
    }
    /* The descriptors must be in DRAM before the doorbell lets the DMA fetch them: order the memory
     * stores before the device store (RISC-V unprivileged spec 2.7, FENCE w,o); the "memory" clobber keeps
     * the compiler from sinking the copies past it. */
    __asm__ volatile("fence w, o" ::: "memory");
    ring->tail = slot;
    ring->published += count;
    ACCEL_WR(DOORBELL, count);
    if (stopped()) return (int)accel_error_read(NULL);
    return ACCEL_DRV_OK;
}

struct wait_ctx {
    struct accel_ring* ring;
    int (*done)(struct accel_ring*, uint32_t);
    uint32_t arg;
};

static int wait_done(void* p) {
    const struct wait_ctx* w = p;
    return w->done(w->ring, w->arg) || stopped();
}

/* Waits in `mode` until `done(ring, arg)` or the queue stopped on an error. */
static void wait_until(struct accel_ring* ring, enum accel_completion mode,
                       int (*done)(struct accel_ring*, uint32_t), uint32_t arg) {
    struct wait_ctx w = {ring, done, arg};
    if (mode == ACCEL_COMPLETE_POLL) {
        accel_wait_poll_count = 0;
        while (!wait_done(&w)) ++accel_wait_poll_count;
    } else {
        accel_wait_wfi_count = accel_wfi_until(wait_done, &w);
    }
}

static int all_done(struct accel_ring* ring, uint32_t unused) {
    (void)unused;
    return ACCEL_RD(RING_HEAD) == ring->tail;
}

static int has_space(struct accel_ring* ring, uint32_t needed) {
    return accel_ring_space(ring) >= needed;
}

static int finish(struct accel_error* err) {
    struct accel_error e = {0, 0, 0};
    if (stopped()) accel_error_read(&e);
    if (err) *err = e;
    return (int)e.code;
}

static int wait_mode(struct accel_ring* ring, enum accel_completion mode, struct accel_error* err) {
    if (mode == ACCEL_COMPLETE_IRQ && !accel_irq_installed()) return ACCEL_DRV_EINVAL;
    wait_until(ring, mode, all_done, 0);
    return finish(err);
}

int accel_wait(struct accel_ring* ring, struct accel_error* err) {
    return wait_mode(ring, ring->mode, err);
}
int accel_wait_poll(struct accel_ring* ring, struct accel_error* err) {
    return wait_mode(ring, ACCEL_COMPLETE_POLL, err);
}
int accel_wait_irq(struct accel_ring* ring, struct accel_error* err) {
    return wait_mode(ring, ACCEL_COMPLETE_IRQ, err);
}

int accel_submit(struct accel_ring* ring, const accel_desc* descs, uint32_t count, struct accel_error* err) {
    if (count == 0) return ACCEL_DRV_EINVAL;
    /* Batches larger than the ring go in chunks of at most half of it, so one chunk can fill while the
     * other runs. */
    const uint32_t chunk_max = ring->entries > 2 ? ring->entries / 2 : 1u;
    while (count) {
        const uint32_t n = count < chunk_max ? count : chunk_max;
        int rc = accel_try_submit(ring, descs, n);
        if (rc == ACCEL_DRV_EFULL) {
            wait_until(ring, ring->mode, has_space, n);
            rc = accel_try_submit(ring, descs, n);
        }
        if (rc > 0) return finish(err);
        if (rc < 0) return rc;
        descs += n;
        count -= n;
    }
    if (err) err->code = err->addr = err->desc = 0;
    return ACCEL_DRV_OK;
}

int accel_run(struct accel_ring* ring, const accel_desc* desc, struct accel_error* err) {
    const int rc = accel_submit(ring, desc, 1, err);
    if (rc != ACCEL_DRV_OK) return rc;
    return accel_wait(ring, err);
}
