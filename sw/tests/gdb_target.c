/* The program the GDB test (test/gdb) and the "Debugging with GDB" section of docs/firmware-guide.md debug:
 * a function to break in and step through, and a global to watch. Built with -O0 so that every source line
 * has its own code. Exits with the final total, 6. */
#include <stdio.h>

int total;

int accumulate(int step) {
    int sum = total + step;
    total = sum;
    return sum;
}

int main(void) {
    for (int i = 1; i <= 3; ++i) accumulate(i);
    printf("gdb_target: total %d\n", total);
    return total;
}
