/* A small C library for loadlib's own tests and benchmarks: plain arithmetic, array
 * work, and ways to misbehave (crash, abort, exit, block). */
#include <stdint.h>
#include <stdlib.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <time.h>
#include <errno.h>
#endif

int32_t add(int32_t a, int32_t b) { return a + b; }

void scalar_multiply(double a, const double *xin, int32_t n, double *xout) {
    for (int32_t i = 0; i < n; i++) xout[i] = a * xin[i];
}

double sum_f64(const double *x, int32_t n) {
    double s = 0.0;
    for (int32_t i = 0; i < n; i++) s += x[i];
    return s;
}

int32_t pointer_size(void) { return (int32_t)sizeof(void *); }

void sleep_ms(int32_t ms) {
#ifdef _WIN32
    Sleep((DWORD)ms);
#else
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
#endif
}

int32_t segfault(void) {
    volatile int32_t *p = (int32_t *)0;
    return *p;
}

void abort_now(void) { abort(); }

void exit_now(int32_t code) { exit(code); }
