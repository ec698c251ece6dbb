/* Sandbox-escape attempts through semihosting: every one must be refused with EACCES, and a file inside
 * the sandbox must still open. Exits 0 when all were refused. The test wrapper
 * (test/firmware/semihost.cmake) creates inside.txt, a symbolic link link.txt to a file outside the
 * sandbox, and passes that file's absolute path as argv[1] (--semihost-cmdline); afterwards it checks the
 * outside file is unchanged and nothing was created next to it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static int refusals;

static void expect_refused(const char* path, const char* mode) {
    errno = 0;
    FILE* f = fopen(path, mode);
    if (f) {
        printf("semihost_escape: FAIL fopen(\"%s\", \"%s\") succeeded\n", path, mode);
        fclose(f);
        ++failures;
    } else if (errno != EACCES) {
        printf("semihost_escape: FAIL fopen(\"%s\", \"%s\"): errno %d, expected EACCES\n", path, mode, errno);
        ++failures;
    } else {
        printf("semihost_escape: refused %s (%s)\n", path, mode);
        ++refusals;
    }
}

int main(int argc, char** argv) {
    const char* outside = argc > 1 ? argv[1] : "/etc/passwd";

    FILE* inside = fopen("inside.txt", "r");
    if (!inside) {
        printf("semihost_escape: FAIL inside.txt does not open (errno %d)\n", errno);
        return 1;
    }
    fclose(inside);

    expect_refused("../outside.txt", "r");
    expect_refused("sub/../../outside.txt", "r");
    expect_refused("../planted.txt", "w");
    expect_refused(outside, "r");
    expect_refused(outside, "a");
    expect_refused("/etc/passwd", "r");
    expect_refused("link.txt", "r");
    expect_refused("link.txt", "w");

    printf("semihost_escape: %d refused, %d failures\n", refusals, failures);
    return failures == 0 ? 0 : 1;
}
