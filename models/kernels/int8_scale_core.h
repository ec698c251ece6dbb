/*
 * The scale rule of tracked int8 tensors (docs/numerics.md "8-bit training"), the C99/C++ core shared by the
 * golden model (kern::next_int8_scale wraps it) and the training firmware (sw/driver/train_scales.c), so both
 * pick the same next scale from the same maximum code.
 */
#ifndef TRAINVP_KERNELS_INT8_SCALE_CORE_H
#define TRAINVP_KERNELS_INT8_SCALE_CORE_H

#include <stdint.h>

/* The accelerator's int8 scale range (the 6-bit field of the format code). */
#define TVP_INT8_MIN_SCALE (-32)
#define TVP_INT8_MAX_SCALE 31

/* The scale 2^s of a tensor's next step from m = max |q| over the codes its step wrote at scale 2^scale_exp:
 * m >= 127: s + 1 (values may have saturated); m == 0: s - 1; otherwise s + floor(log2 m) - 6, so that the
 * largest code of the next step lies in [64, 127] if the maximum stays; clamped to the int8 scale range. */
static inline int tvp_next_int8_scale(int scale_exp, uint32_t max_code) {
    int s;
    if (max_code >= 127u) {
        s = scale_exp + 1;
    } else if (max_code == 0u) {
        s = scale_exp - 1;
    } else {
        int top = 0; /* floor(log2 max_code) */
        while ((max_code >> (top + 1)) != 0u) ++top;
        s = scale_exp + top - 6;
    }
    return s < TVP_INT8_MIN_SCALE ? TVP_INT8_MIN_SCALE : s > TVP_INT8_MAX_SCALE ? TVP_INT8_MAX_SCALE : s;
}

#endif /* TRAINVP_KERNELS_INT8_SCALE_CORE_H */
