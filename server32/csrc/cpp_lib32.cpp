// cpp_lib32.cpp: the C++ example library of loadlib (built as a 32-bit and a 64-bit
// shared library by server32/build.rs). Every export has C linkage so the wrapper
// finds it by its plain name.

#include <cmath>
#include <cstdlib>
#include <new>
#include <cstring>

extern "C" {

struct Point {
    double x;
    double y;
};

struct FourPoints {
    Point points[4];
};

struct NPoints {
    int n;
    Point *points;
};

int add(int a, int b) { return a + b; }

float subtract(float a, float b) { return a - b; }

double add_or_subtract(double a, double b, bool do_addition) {
    return do_addition ? a + b : a - b;
}

// xout[i] = a * xin[i] for i in 0..n.
void scalar_multiply(double a, double *xin, int n, double *xout) {
    for (int i = 0; i < n; ++i) {
        xout[i] = a * xin[i];
    }
}

// Writes the first n characters of `original` reversed into `reversed` (n + 1 bytes,
// NUL-terminated).
void reverse_string_v1(const char *original, int n, char *reversed) {
    for (int i = 0; i < n; ++i) {
        reversed[i] = original[n - i - 1];
    }
    reversed[n] = '\0';
}

// The first n characters of `original` reversed, in a buffer of n chars (no NUL) that
// the library allocates with `new[]` and exports no way to release: as in the original
// tool's cpp_lib32, the caller cannot free it (only `delete[]` of this library's C++
// runtime could), so each call leaks n bytes.
char *reverse_string_v2(char *original, int n) {
    char *reversed = new (std::nothrow) char[n > 0 ? n : 1];
    if (reversed != nullptr) {
        for (int i = 0; i < n; ++i) {
            reversed[i] = original[n - i - 1];
        }
    }
    return reversed;
}

static double perimeter(const Point *p, int n) {
    if (n < 2) {
        return 0.0;
    }
    double d = 0.0;
    for (int i = 0; i < n; ++i) {
        const Point &a = p[i];
        const Point &b = p[(i + 1) % n];
        d += std::hypot(b.x - a.x, b.y - a.y);
    }
    return d;
}

// The perimeter of the closed polygon through the four points.
double distance_4_points(FourPoints p) { return perimeter(p.points, 4); }

// The perimeter of the closed polygon through the n points (0 when n < 2).
double distance_n_points(NPoints p) { return perimeter(p.points, p.n); }

}  // extern "C"
