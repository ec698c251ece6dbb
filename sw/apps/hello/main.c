/* The first program on TrainVP: prints through the UART and exits with 0. */
#include <stdio.h>

int main(void) {
    printf("Hello from TrainVP: RV32 firmware running on the virtual platform.\n");
    return 0;
}
