/* CRC-32 (IEEE 802.3, reflected, bit by bit), a byte sieve and a small int32 matrix multiply: loads,
 * stores, shifts, branches and multiplies in proportions typical of control firmware. */
#include "workload.h"

#define CRC_BYTES 2048u
#define SIEVE_LIMIT 16384u
#define MATRIX_N 16u

static uint8_t crc_buffer[CRC_BYTES];
static uint8_t sieve_flags[SIEVE_LIMIT];
static int32_t mat_a[MATRIX_N][MATRIX_N], mat_b[MATRIX_N][MATRIX_N], mat_c[MATRIX_N][MATRIX_N];

static uint32_t crc32(const uint8_t* data, uint32_t length) {
    uint32_t crc = 0xffffffffu;
    for (uint32_t i = 0; i < length; ++i) {
        crc ^= data[i];
        for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static uint32_t sieve(uint32_t limit) {
    for (uint32_t i = 0; i < limit; ++i) sieve_flags[i] = 1;
    sieve_flags[0] = sieve_flags[1] = 0;
    for (uint32_t p = 2; p * p < limit; ++p) {
        if (!sieve_flags[p]) continue;
        for (uint32_t m = p * p; m < limit; m += p) sieve_flags[m] = 0;
    }
    uint32_t count = 0;
    for (uint32_t i = 0; i < limit; ++i) count += sieve_flags[i];
    return count;
}

static uint32_t matmul(void) {
    for (uint32_t i = 0; i < MATRIX_N; ++i) {
        for (uint32_t j = 0; j < MATRIX_N; ++j) {
            int32_t sum = 0;
            for (uint32_t k = 0; k < MATRIX_N; ++k) sum += mat_a[i][k] * mat_b[k][j];
            mat_c[i][j] = sum;
        }
    }
    uint32_t hash = 0;
    for (uint32_t i = 0; i < MATRIX_N; ++i) {
        for (uint32_t j = 0; j < MATRIX_N; ++j) hash = hash * 31u + (uint32_t)mat_c[i][j];
    }
    return hash;
}

/* xorshift32: deterministic inputs that change every round so nothing can be hoisted. */
static uint32_t next_random(uint32_t* state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

uint32_t workload_run(uint32_t iterations) {
    uint32_t checksum = 0;
    uint32_t rng = 0x12345678u;
    for (uint32_t round = 0; round < iterations; ++round) {
        for (uint32_t i = 0; i < CRC_BYTES; i += 4) {
            uint32_t r = next_random(&rng);
            crc_buffer[i] = (uint8_t)r;
            crc_buffer[i + 1] = (uint8_t)(r >> 8);
            crc_buffer[i + 2] = (uint8_t)(r >> 16);
            crc_buffer[i + 3] = (uint8_t)(r >> 24);
        }
        for (uint32_t i = 0; i < MATRIX_N; ++i) {
            for (uint32_t j = 0; j < MATRIX_N; ++j) {
                mat_a[i][j] = (int32_t)(next_random(&rng) % 2001u) - 1000;
                mat_b[i][j] = (int32_t)(next_random(&rng) % 2001u) - 1000;
            }
        }
        checksum = checksum * 33u ^ crc32(crc_buffer, CRC_BYTES);
        checksum = checksum * 33u ^ sieve(SIEVE_LIMIT - (round & 255u));
        checksum = checksum * 33u ^ matmul();
    }
    return checksum;
}
