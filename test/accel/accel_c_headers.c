/* The single-source headers compile as C11 (the firmware's language) with the same layout as in C++. */
#include <stddef.h>

#include "accel/accel_desc.h"
#include "accel/accel_regs.h"

size_t accel_c_desc_size(void) {
    return sizeof(accel_desc);
}
size_t accel_c_offset_lr(void) {
    return offsetof(accel_desc, lr);
}
size_t accel_c_offset_addr_x(void) {
    return offsetof(accel_desc, addr_x);
}
unsigned accel_c_reg_doorbell(void) {
    return ACCEL_REG_DOORBELL;
}
unsigned accel_c_fmt_fx16_8(void) {
    return ACCEL_FMT(ACCEL_FMT_KIND_FIXED, ACCEL_RND_RNE, 16, 8);
}
