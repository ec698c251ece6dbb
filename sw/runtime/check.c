/* Pass/fail bookkeeping for the self-checking firmware tests (trainvp/check.h). */
#include "trainvp/check.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

unsigned check_passed;
unsigned check_failed;

void check_true(int ok, const char* expr, const char* file, int line) {
    if (ok) {
        ++check_passed;
        return;
    }
    ++check_failed;
    printf("FAIL %s:%d: CHECK(%s)\n", file, line, expr);
}

void check_eq_u32(uint32_t actual, uint32_t expected, const char* actual_expr, const char* expected_expr,
                  const char* file, int line) {
    if (actual == expected) {
        ++check_passed;
        return;
    }
    ++check_failed;
    printf("FAIL %s:%d: %s == %s: got 0x%08" PRIx32 " (%" PRId32 "), expected 0x%08" PRIx32 " (%" PRId32
           ")\n",
           file, line, actual_expr, expected_expr, actual, (int32_t)actual, expected, (int32_t)expected);
}

void check_eq_u64(uint64_t actual, uint64_t expected, const char* actual_expr, const char* expected_expr,
                  const char* file, int line) {
    if (actual == expected) {
        ++check_passed;
        return;
    }
    ++check_failed;
    printf("FAIL %s:%d: %s == %s: got 0x%016" PRIx64 ", expected 0x%016" PRIx64 "\n", file, line, actual_expr,
           expected_expr, actual, expected);
}

void test_finish(const char* name) {
    printf("%s: %u passed, %u failed\n", name, check_passed, check_failed);
    if (check_passed + check_failed == 0) {
        printf("%s: FAIL: no checks ran\n", name);
        exit(1);
    }
    exit(check_failed == 0 ? 0 : 1);
}
