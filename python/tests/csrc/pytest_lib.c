/* A small 32-bit library for the Python package's tests (built by conftest.py with
 * gcc -m32). */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

typedef struct { int32_t x; int32_t y; } IntPair;              /* same layout everywhere */
typedef struct { int32_t a; double b; int64_t c; } Mixed;       /* 20 bytes on i386 Linux, 24 on x86-64 */

int add(int a, int b) { return a + b; }
int version(void) { return 7; }
int64_t twice64(int64_t a) { return 2 * a; }
uint8_t low_byte(uint32_t v) { return (uint8_t)v; }
int pointer_size(void) { return (int)sizeof(void *); }
void fill_int(int *out, int v) { *out = v; }
void set_pair(IntPair *p, int x, int y) { p->x = x; p->y = y; }
IntPair swap_pair(IntPair p) { IntPair q = { p.y, p.x }; return q; }
double mixed_sum(Mixed m) { return m.a + m.b + (double)m.c; }
double mixed_sum_ptr(const Mixed *m) { return m->a + m->b + (double)m->c; }
Mixed make_mixed(int a, double b, int64_t c) { Mixed m = { a, b, c }; return m; }
/* Scales x in place: declared read-only by the tests on purpose (see test_zero_copy). */
void scale(double k, double *x, int n) { for (int i = 0; i < n; i++) x[i] *= k; }
double sum(const double *x, int n) { double s = 0; for (int i = 0; i < n; i++) s += x[i]; return s; }
int count_char(const char *s, char c) { int n = 0; for (; *s; s++) n += *s == c; return n; }
void upper(char *s) { for (; *s; s++) if (*s >= 'a' && *s <= 'z') *s -= 32; }
const char *greeting(void) { return "hello from 32 bits"; }
const char *null_string(void) { return 0; }
int is_null(const void *p) { return p == 0; }
int crash(void) { volatile int *p = 0; return *p; }
void sleep_ms(int ms) { usleep(ms * 1000); }
/* stdcall (the callee pops its arguments), as WINAPI functions are. */
int __attribute__((stdcall)) add_stdcall(int a, int b) { return a + b; }
