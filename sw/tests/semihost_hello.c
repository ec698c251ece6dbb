/* Semihosting end to end: printf on the host console, a file read from and another written to the
 * --semihost-dir sandbox, and exit(7) carried to trainvp's exit status by SYS_EXIT_EXTENDED. No UART
 * driver: linked with picolibc's semihost crt0 and libsemihost. The test wrapper
 * (test/firmware/semihost.cmake) creates input.txt and checks output.txt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char kExpected[] = "TrainVP semihosting input\n";

int main(void) {
    printf("semihost_hello: printf through semihosting\n");

    FILE* in = fopen("input.txt", "r");
    if (!in) {
        printf("semihost_hello: FAIL cannot open input.txt\n");
        return 1;
    }
    char text[64];
    const size_t n = fread(text, 1, sizeof text - 1, in);
    text[n] = '\0';
    fclose(in);
    if (strcmp(text, kExpected) != 0) {
        printf("semihost_hello: FAIL input.txt holds \"%s\"\n", text);
        return 2;
    }
    printf("semihost_hello: read %u bytes from input.txt: %s", (unsigned)n, text);

    FILE* out = fopen("output.txt", "w");
    if (!out || fprintf(out, "written by semihost_hello\n") < 0 || fclose(out) != 0) {
        printf("semihost_hello: FAIL cannot write output.txt\n");
        return 3;
    }

    printf("semihost_hello: exit(7)\n");
    exit(7);
}
