/*
 * The learning-rate step schedule (training.lr_decay, docs/user-guide.md), the C99/C++ core shared by the
 * golden trainer (kern::Trainer) and the training firmware (sw/driver/train_runtime.c), so both use the same
 * binary64 learning rate in every epoch.
 */
#ifndef TRAINVP_KERNELS_LR_SCHEDULE_CORE_H
#define TRAINVP_KERNELS_LR_SCHEDULE_CORE_H

#include <stdint.h>

/* The learning rate of epoch `epoch` (0-based): lr * factor^floor(epoch / every), the product formed one
 * factor at a time from lr; every == 0 keeps lr in every epoch. */
static inline double tvp_epoch_lr(double lr, uint32_t every, double factor, uint32_t epoch) {
    if (every == 0u) return lr;
    for (uint32_t k = epoch / every; k > 0u; --k) lr *= factor;
    return lr;
}

#endif
