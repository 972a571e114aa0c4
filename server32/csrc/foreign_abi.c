/* The ABI conformance library of loadlib's foreign calls (tests/foreign/abi/): every
 * argument and return convention a client must lay out as the library's own compiler
 * does, each function giving results a test can check exactly. Built for i386 and
 * x86-64, on Linux (gcc) and Windows (mingw-w64). Every value a test passes is small
 * enough that float arithmetic here is exact, whatever the precision (x87 on i386). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#endif

/* stdcall exists on i386 only (mingw exports such a function as `name@N`). */
#if defined(__i386__) && defined(_WIN32)
#define STDCALL __stdcall
#elif defined(__i386__)
#define STDCALL __attribute__((stdcall))
#else
#define STDCALL
#endif

/* ---- Scalars ------------------------------------------------------------------- */

int8_t add_i8(int8_t a, int8_t b) { return (int8_t)(a + b); }
uint8_t add_u8(uint8_t a, uint8_t b) { return (uint8_t)(a + b); }
int16_t add_i16(int16_t a, int16_t b) { return (int16_t)(a + b); }
uint16_t add_u16(uint16_t a, uint16_t b) { return (uint16_t)(a + b); }
int32_t add_i32(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
uint32_t add_u32(uint32_t a, uint32_t b) { return a + b; }
int64_t add_i64(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
uint64_t add_u64(uint64_t a, uint64_t b) { return a + b; }
char next_char(char c) { return (char)(c + 1); }
bool not_bool(bool b) { return !b; }
float mul_f32(float a, float b) { return a * b; }
double mul_f64(double a, double b) { return a * b; }
size_t add_size(size_t a, size_t b) { return a + b; }
intptr_t neg_intptr(intptr_t a) { return -a; }
uint32_t pointer_bytes(void) { return (uint32_t)sizeof(void *); }

/* Small integers as the callee sees them. */
int32_t widen_i8(int8_t x) { return x; }
uint32_t widen_u8(uint8_t x) { return x; }
int32_t widen_i16(int16_t x) { return x; }
uint32_t widen_u16(uint16_t x) { return x; }
int32_t widen_bool(bool b) { return b ? 1 : 0; }

/* Reads its argument's whole 32-bit slot: declared with a narrower parameter, it shows
 * whether the caller sign- or zero-extended it, as clang-compiled callees assume. */
int32_t whole_slot(int32_t x) { return x; }

/* The slot offsets of mixed small and 8-byte arguments (i386), all echoed back. */
typedef struct {
    int8_t a;
    double b;
    int16_t c;
    int64_t d;
    float e;
    uint8_t f;
    uint64_t g;
    bool h;
} Mixed;

double mixed_echo(int8_t a, double b, int16_t c, int64_t d, float e, uint8_t f,
                  uint64_t g, bool h, Mixed *out) {
    out->a = a;
    out->b = b;
    out->c = c;
    out->d = d;
    out->e = e;
    out->f = f;
    out->g = g;
    out->h = h;
    return a + 2.0 * b + 3.0 * c + 4.0 * (double)d + 5.0 * e + 6.0 * f + 7.0 * (double)g
           + 8.0 * h;
}

/* Σ (k + 1) · argument k, in 64-bit arithmetic that wraps. */
static int64_t weigh10(int64_t a, int64_t b, int64_t c, int64_t d, int64_t e, int64_t f,
                       int64_t g, uint64_t h, int64_t i, int64_t j) {
    uint64_t v[10] = {(uint64_t)a, (uint64_t)b, (uint64_t)c, (uint64_t)d, (uint64_t)e,
                      (uint64_t)f, (uint64_t)g, h, (uint64_t)i, (uint64_t)j};
    uint64_t s = 0;
    for (int k = 0; k < 10; k++) s += (uint64_t)(k + 1) * v[k];
    return (int64_t)s;
}

/* More than six integer arguments (x86-64 System V), more than four (Windows). */
int64_t many_ints(int8_t a, int16_t b, int32_t c, int64_t d, uint8_t e, uint16_t f,
                  uint32_t g, uint64_t h, int32_t i, int64_t j, int64_t *out) {
    out[0] = a;
    out[1] = b;
    out[2] = c;
    out[3] = d;
    out[4] = e;
    out[5] = f;
    out[6] = g;
    out[7] = (int64_t)h;
    out[8] = i;
    out[9] = j;
    return weigh10(a, b, c, d, e, f, g, h, i, j);
}

/* More than eight floating arguments. */
double many_doubles(double a, double b, double c, double d, double e, double f, double g,
                    double h, double i, double j, double *out) {
    double v[10] = {a, b, c, d, e, f, g, h, i, j};
    double s = 0;
    for (int k = 0; k < 10; k++) {
        out[k] = v[k];
        s += (k + 1) * v[k];
    }
    return s;
}

float many_floats(float a, double b, float c, double d, float e, double f, float g,
                  double h, float i, double j, float k, double *out) {
    double v[11] = {a, b, c, d, e, f, g, h, i, j, k};
    float s = 0;
    for (int n = 0; n < 11; n++) {
        out[n] = v[n];
        s += (float)((n + 1) * v[n]);
    }
    return s;
}

/* Integers and floats interleaved: positions (Windows) against separate counts (System
 * V), with both kinds spilling to the stack. */
double interleaved(int32_t a, double b, int64_t c, float d, int8_t e, double f, uint16_t g,
                   float h, int32_t i, double j, int64_t k, float l, uint8_t m, double n,
                   int32_t o, double p, int64_t q, double r, double *out) {
    double v[18] = {a, b, (double)c, d, e, f, g, h, i, j, (double)k, l, m, n, o, p,
                    (double)q, r};
    double s = 0;
    for (int x = 0; x < 18; x++) {
        out[x] = v[x];
        s += (x + 1) * v[x];
    }
    return s;
}

/* ---- Structs ------------------------------------------------------------------- */
/* For each struct X: make_x(seed) returns one whose k-th scalar is seed + k (+ 0.25 for
 * a float, + 0.5 for a double); take_x(pre, x, post) returns digest(x) + 1000 pre +
 * 100000 post, digest(x) = sum of (k + 1) * scalar k; fill_x(out, seed) writes
 * make_x(seed); bump_x(p) adds k + 1 to scalar k in place. */

typedef struct { float a; } F1;
typedef struct { double a; } D1;
typedef struct { float a, b; } F2;
typedef struct { float a, b, c; } F3;
typedef struct { int32_t i; char c; } IC;
typedef struct { char c[3]; } C3;
typedef struct { int16_t s[3]; } S3;
typedef struct { double d; int64_t l; } DL;
typedef struct { int32_t i; double d; long long l; } IDL;
typedef struct { int64_t a; double b; int32_t c; int16_t d; int8_t e; double f; } Big;
typedef struct { int32_t n; float v[3]; } Arr;
typedef struct { int8_t tag; IDL inner; F2 pt; } Nested;
typedef struct { IC ic; F1 f; } NestS;

#define TAKE(X, x) \
    double take_##x(int32_t pre, X v, int32_t post) { \
        return digest_##x(&v) + 1000.0 * pre + 100000.0 * post; \
    } \
    void fill_##x(X *out, int32_t seed) { *out = make_##x(seed); }

F1 make_f1(int32_t s) { F1 v = {s + 0.25f}; return v; }
static double digest_f1(const F1 *v) { return v->a; }
void bump_f1(F1 *p) { p->a += 1; }
TAKE(F1, f1)

D1 make_d1(int32_t s) { D1 v = {s + 0.5}; return v; }
static double digest_d1(const D1 *v) { return v->a; }
void bump_d1(D1 *p) { p->a += 1; }
TAKE(D1, d1)

F2 make_f2(int32_t s) { F2 v = {s + 0.25f, s + 1.25f}; return v; }
static double digest_f2(const F2 *v) { return v->a + 2.0 * v->b; }
void bump_f2(F2 *p) { p->a += 1; p->b += 2; }
TAKE(F2, f2)

F3 make_f3(int32_t s) { F3 v = {s + 0.25f, s + 1.25f, s + 2.25f}; return v; }
static double digest_f3(const F3 *v) { return v->a + 2.0 * v->b + 3.0 * v->c; }
void bump_f3(F3 *p) { p->a += 1; p->b += 2; p->c += 3; }
TAKE(F3, f3)

IC make_ic(int32_t s) { IC v = {s, (char)(s + 1)}; return v; }
static double digest_ic(const IC *v) { return v->i + 2.0 * v->c; }
void bump_ic(IC *p) { p->i += 1; p->c += 2; }
TAKE(IC, ic)

C3 make_c3(int32_t s) { C3 v = {{(char)s, (char)(s + 1), (char)(s + 2)}}; return v; }
static double digest_c3(const C3 *v) { return v->c[0] + 2.0 * v->c[1] + 3.0 * v->c[2]; }
void bump_c3(C3 *p) { p->c[0] += 1; p->c[1] += 2; p->c[2] += 3; }
TAKE(C3, c3)

S3 make_s3(int32_t s) { S3 v = {{(int16_t)s, (int16_t)(s + 1), (int16_t)(s + 2)}}; return v; }
static double digest_s3(const S3 *v) { return v->s[0] + 2.0 * v->s[1] + 3.0 * v->s[2]; }
void bump_s3(S3 *p) { p->s[0] += 1; p->s[1] += 2; p->s[2] += 3; }
TAKE(S3, s3)

DL make_dl(int32_t s) { DL v = {s + 0.5, s + 1}; return v; }
static double digest_dl(const DL *v) { return v->d + 2.0 * (double)v->l; }
void bump_dl(DL *p) { p->d += 1; p->l += 2; }
TAKE(DL, dl)

IDL make_idl(int32_t s) { IDL v = {s, s + 1.5, s + 2}; return v; }
static double digest_idl(const IDL *v) { return v->i + 2.0 * v->d + 3.0 * (double)v->l; }
void bump_idl(IDL *p) { p->i += 1; p->d += 2; p->l += 3; }
TAKE(IDL, idl)

Big make_big(int32_t s) {
    Big v = {s, s + 1.5, s + 2, (int16_t)(s + 3), (int8_t)(s + 4), s + 5.5};
    return v;
}
static double digest_big(const Big *v) {
    return (double)v->a + 2.0 * v->b + 3.0 * v->c + 4.0 * v->d + 5.0 * v->e + 6.0 * v->f;
}
void bump_big(Big *p) { p->a += 1; p->b += 2; p->c += 3; p->d += 4; p->e += 5; p->f += 6; }
TAKE(Big, big)

Arr make_arr(int32_t s) { Arr v = {s, {s + 1.25f, s + 2.25f, s + 3.25f}}; return v; }
static double digest_arr(const Arr *v) {
    return v->n + 2.0 * v->v[0] + 3.0 * v->v[1] + 4.0 * v->v[2];
}
void bump_arr(Arr *p) { p->n += 1; p->v[0] += 2; p->v[1] += 3; p->v[2] += 4; }
TAKE(Arr, arr)

/* Nested: the scalars in order are tag, inner's three, pt's two. */
Nested make_nested(int32_t s) {
    Nested v = {(int8_t)s, {s + 1, s + 2.5, s + 3}, {s + 4.25f, s + 5.25f}};
    return v;
}
static double digest_nested(const Nested *v) {
    return v->tag + 2.0 * v->inner.i + 3.0 * v->inner.d + 4.0 * (double)v->inner.l
           + 5.0 * v->pt.a + 6.0 * v->pt.b;
}
void bump_nested(Nested *p) {
    p->tag += 1;
    p->inner.i += 2;
    p->inner.d += 3;
    p->inner.l += 4;
    p->pt.a += 5;
    p->pt.b += 6;
}
TAKE(Nested, nested)

NestS make_nests(int32_t s) { NestS v = {{s, (char)(s + 1)}, {s + 2.25f}}; return v; }
static double digest_nests(const NestS *v) {
    return v->ic.i + 2.0 * v->ic.c + 3.0 * v->f.a;
}
void bump_nests(NestS *p) { p->ic.i += 1; p->ic.c += 2; p->f.a += 3; }
TAKE(NestS, nests)

/* Structs by value when the registers run out (x86-64 System V): after five integers,
 * `x` takes the sixth integer register and a vector one; `y` finds no integer register
 * left and goes whole to the stack, while `f` still takes a vector register. */
double late_structs(int64_t a, int64_t b, int64_t c, int64_t d, int64_t e, DL x, DL y,
                    double f) {
    return (double)(a + 2 * b + 3 * c + 4 * d + 5 * e) + 10.0 * digest_dl(&x)
           + 100.0 * digest_dl(&y) + 1000.0 * f;
}

/* Nine doubles, then a two-float struct that no longer fits the vector registers. */
double f2_after_doubles(double a, double b, double c, double d, double e, double f,
                        double g, double h, F2 x, int32_t k) {
    return a + b + c + d + e + f + g + h + 10.0 * digest_f2(&x) + 1000.0 * k;
}

/* Structs that need two registers of a kind when one is left (x86-64 System V): each
 * goes whole to the stack, and the register left takes the next scalar of its kind. */
typedef struct { int64_t a, b; } LL;
typedef struct { double a, b; } DD;
double regs_left(int64_t a, int64_t b, int64_t c, int64_t d, int64_t e, double p, double q,
                 double r, double s, double t, double u, double v, LL x, DD y, int64_t f,
                 double w) {
    return (double)(a + 2 * b + 3 * c + 4 * d + 5 * e) + 6 * p + 7 * q + 8 * r + 9 * s
           + 10 * t + 11 * u + 12 * v + 13.0 * (double)x.a + 14.0 * (double)x.b + 15 * y.a
           + 16 * y.b + 17.0 * (double)f + 18 * w;
}

/* sizeof, _Alignof and each field's offsetof: out[0], out[1], out[2 + k]. Returns how
 * many values it wrote (0 for an unknown `which`). */
#define FIELD(X, f) out[n++] = (uint32_t)offsetof(X, f)
#define HEAD(X) out[n++] = (uint32_t)sizeof(X); out[n++] = (uint32_t)_Alignof(X)
uint32_t layout_of(int32_t which, uint32_t *out) {
    uint32_t n = 0;
    switch (which) {
    case 0: HEAD(F1); FIELD(F1, a); break;
    case 1: HEAD(D1); FIELD(D1, a); break;
    case 2: HEAD(F2); FIELD(F2, a); FIELD(F2, b); break;
    case 3: HEAD(F3); FIELD(F3, a); FIELD(F3, b); FIELD(F3, c); break;
    case 4: HEAD(IC); FIELD(IC, i); FIELD(IC, c); break;
    case 5: HEAD(C3); FIELD(C3, c); break;
    case 6: HEAD(S3); FIELD(S3, s); break;
    case 7: HEAD(DL); FIELD(DL, d); FIELD(DL, l); break;
    case 8: HEAD(IDL); FIELD(IDL, i); FIELD(IDL, d); FIELD(IDL, l); break;
    case 9:
        HEAD(Big);
        FIELD(Big, a); FIELD(Big, b); FIELD(Big, c); FIELD(Big, d); FIELD(Big, e);
        FIELD(Big, f);
        break;
    case 10: HEAD(Arr); FIELD(Arr, n); FIELD(Arr, v); break;
    case 11: HEAD(Nested); FIELD(Nested, tag); FIELD(Nested, inner); FIELD(Nested, pt); break;
    case 12: HEAD(NestS); FIELD(NestS, ic); FIELD(NestS, f); break;
    case 13:
        HEAD(Mixed);
        FIELD(Mixed, a); FIELD(Mixed, b); FIELD(Mixed, c); FIELD(Mixed, d);
        FIELD(Mixed, e); FIELD(Mixed, f); FIELD(Mixed, g); FIELD(Mixed, h);
        break;
    default: break;
    }
    return n;
}

/* ---- Strings ------------------------------------------------------------------- */

/* -1 for NULL. */
int32_t str_len(const char *s) { return s ? (int32_t)strlen(s) : -1; }

uint32_t fnv1a(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

const char *greeting(void) { return "hello from foreign_abi"; }

/* NULL unless `which` is 1 or 2. */
const char *name_or_null(int32_t which) {
    return which == 1 ? "one" : which == 2 ? "two" : NULL;
}

/* Copies the greeting into `buf` (at most cap - 1 bytes and a NUL); returns its full
 * length, as snprintf does. */
int32_t write_greeting(char *buf, int32_t cap) {
    const char *g = greeting();
    int32_t len = (int32_t)strlen(g);
    if (cap > 0) {
        int32_t n = len < cap - 1 ? len : cap - 1;
        memcpy(buf, g, (size_t)n);
        buf[n] = 0;
    }
    return len;
}

/* Upper-cases the first n bytes of buf in place; returns how many it changed. */
int32_t upper_in_place(char *buf, int32_t n) {
    int32_t changed = 0;
    for (int32_t i = 0; i < n; i++) {
        if (buf[i] >= 'a' && buf[i] <= 'z') {
            buf[i] = (char)(buf[i] - 'a' + 'A');
            changed++;
        }
    }
    return changed;
}

/* ---- An opaque handle ---------------------------------------------------------- */

typedef struct {
    uint32_t magic;
    int32_t value;
} Counter;

#define COUNTER_MAGIC 0xC0FFEE42u
static int32_t live_counters;

void *counter_new(int32_t start) {
    Counter *c = malloc(sizeof *c);
    if (!c) return NULL;
    c->magic = COUNTER_MAGIC;
    c->value = start;
    live_counters++;
    return c;
}

/* -1 for what is not a live counter. */
int32_t counter_read(void *h) {
    Counter *c = h;
    return c && c->magic == COUNTER_MAGIC ? c->value : -1;
}

int32_t counter_add(void *h, int32_t k) {
    Counter *c = h;
    if (!c || c->magic != COUNTER_MAGIC) return -1;
    c->value += k;
    return c->value;
}

void counter_free(void *h) {
    Counter *c = h;
    if (c && c->magic == COUNTER_MAGIC) {
        c->magic = 0;
        live_counters--;
        free(c);
    }
}

int32_t counters_live(void) { return live_counters; }

/* ---- Nullable pointers --------------------------------------------------------- */

int32_t deref_or(const int32_t *p, int32_t fallback) { return p ? *p : fallback; }

/* Bit k is set when argument k is NULL; a non-null `out` gets 7 written to out[0]. */
int32_t which_null(const double *a, const char *s, const IC *ic, int32_t *out, void *h) {
    if (out) out[0] = 7;
    return (a == NULL) | (s == NULL) << 1 | (ic == NULL) << 2 | (out == NULL) << 3
           | (h == NULL) << 4;
}

/* The sum of n values, or -1 for NULL. */
int64_t sum_or_minus1(const int32_t *a, int32_t n) {
    if (!a) return -1;
    int64_t s = 0;
    for (int32_t i = 0; i < n; i++) s += a[i];
    return s;
}

/* ---- errno / GetLastError ------------------------------------------------------ */

int32_t fail_with(int32_t code) {
#ifdef _WIN32
    SetLastError((DWORD)code);
#else
    errno = code;
#endif
    return -1;
}

int32_t succeed(void) { return 0; }

/* ---- stdcall (i386; plain C on x86-64) ----------------------------------------- */

int32_t STDCALL std_add(int32_t a, int32_t b) { return a + b; }

double STDCALL std_mix(int8_t a, double b, int64_t c, float d) {
    return a + 2.0 * b + 3.0 * (double)c + 4.0 * d;
}

int64_t STDCALL std_many(int8_t a, int16_t b, int32_t c, int64_t d, uint8_t e, uint16_t f,
                         uint32_t g, uint64_t h, int32_t i, int64_t j) {
    return weigh10(a, b, c, d, e, f, g, h, i, j);
}

IC STDCALL std_make_ic(int32_t seed) { return make_ic(seed); }
D1 STDCALL std_make_d1(int32_t seed) { return make_d1(seed); }
F1 STDCALL std_make_f1(int32_t seed) { return make_f1(seed); }
IDL STDCALL std_make_idl(int32_t seed) { return make_idl(seed); }
double STDCALL std_take_idl(int32_t pre, IDL v, int32_t post) { return take_idl(pre, v, post); }
void STDCALL std_fill_idl(IDL *out, int32_t seed) { fill_idl(out, seed); }

int32_t STDCALL std_fail_with(int32_t code) { return fail_with(code); }

/* ---- Returned arrays ----------------------------------------------------------- */

/* The squares 0, 1, 4, … of its first n, in a buffer it owns; NULL past 64. */
const int32_t *squares(int32_t n) {
    static int32_t buf[64];
    if (n < 0 || n > 64) return NULL;
    for (int32_t i = 0; i < n; i++) buf[i] = i * i;
    return buf;
}

const IDL *idl_table(void) {
    static IDL t[3];
    for (int32_t i = 0; i < 3; i++) t[i] = make_idl(10 * i);
    return t;
}

const IC *ic_table(void) {
    static IC t[4];
    for (int32_t i = 0; i < 4; i++) t[i] = make_ic(10 * i);
    return t;
}

/* ---- Misbehaving --------------------------------------------------------------- */

/* Reads through a null pointer (a SIGSEGV, an access violation on Windows). */
int32_t crash(int32_t k) {
    int32_t *volatile p = NULL;
    return p[k];
}
