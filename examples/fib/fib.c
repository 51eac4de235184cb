/* fib(30), recursively, as fib.wat computes it: the native side of the prebuilt example. */
#include <stdio.h>

static unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(void) {
    printf("fib(30) = %u\n", fib(30));
    return 0;
}
