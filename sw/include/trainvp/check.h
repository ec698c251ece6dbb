/*
 * Self-checking firmware tests: CHECK/CHECK_EQ count passes and failures and print file:line and the
 * values of every failure; test_finish() prints the totals and exits 0 only if at least one check ran
 * and none failed (a test that checks nothing must not pass).
 */
#ifndef TRAINVP_CHECK_H
#define TRAINVP_CHECK_H

#include <stdint.h>

extern unsigned check_passed;
extern unsigned check_failed;

void check_true(int ok, const char* expr, const char* file, int line);
void check_eq_u32(uint32_t actual, uint32_t expected, const char* actual_expr, const char* expected_expr,
                  const char* file, int line);
void check_eq_u64(uint64_t actual, uint64_t expected, const char* actual_expr, const char* expected_expr,
                  const char* file, int line);
/* Prints "<name>: N passed, N failed" and exits: 0 on success, 1 on any failure or no checks. */
__attribute__((noreturn)) void test_finish(const char* name);

#define CHECK(cond) check_true((cond) != 0, #cond, __FILE__, __LINE__)
#define CHECK_EQ(actual, expected) \
    check_eq_u32((uint32_t)(actual), (uint32_t)(expected), #actual, #expected, __FILE__, __LINE__)
#define CHECK_EQ64(actual, expected) \
    check_eq_u64((uint64_t)(actual), (uint64_t)(expected), #actual, #expected, __FILE__, __LINE__)

#endif /* TRAINVP_CHECK_H */
