/* exit(3) must make trainvp exit with status 3: the exit code travels through picolibc's exit(), the
 * runtime's _exit() and the simulation-control device. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    printf("exit3: calling exit(3)\n");
    exit(3);
}
