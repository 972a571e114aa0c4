// cpp_lib32.cpp: the C++ example library of loadlib (built as a 32-bit and a 64-bit
// shared library by server32/build.rs), with the exports of the original tool's
// cpp_lib32: the eight `extern "C"` functions, found by their plain names, and
// `distance(Point, Point)` with C++ linkage (exported as `_Z8distance5PointS_`). As
// there, `reverse_string_v1` fills exactly `n` chars of the caller's buffer (no NUL)
// and `reverse_string_v2` returns `n` chars allocated with `new[]`.

#include <cmath>
#include <new>

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

// The length of the segment between two points (C++ linkage, as in the original).
double distance(Point p1, Point p2) {
    double dx = p2.x - p1.x;
    double dy = p2.y - p1.y;
    return std::sqrt(dx * dx + dy * dy);
}

// The perimeter of the closed polygon through n points: from the last back to the
// first, then each to the next (0 when n < 2).
static double perimeter(const Point *p, int n) {
    if (n < 2) {
        return 0.0;
    }
    double d = distance(p[0], p[n - 1]);
    for (int i = 1; i < n; ++i) {
        d += distance(p[i], p[i - 1]);
    }
    return d;
}

extern "C" {

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

// Writes the first n characters of `original` reversed into the first n chars of
// `reversed`, and nothing after them.
void reverse_string_v1(const char *original, int n, char *reversed) {
    for (int i = 0; i < n; ++i) {
        reversed[i] = original[n - i - 1];
    }
}

// The first n characters of `original` reversed, in a buffer of n chars (no NUL) that
// the library allocates with `new[]` and exports no way to release: the caller cannot
// free it (only `delete[]` of this library's C++ runtime could), so each call leaks n
// bytes, as with the original.
char *reverse_string_v2(char *original, int n) {
    char *reversed = new (std::nothrow) char[n > 0 ? n : 1];
    if (reversed != nullptr) {
        for (int i = 0; i < n; ++i) {
            reversed[i] = original[n - i - 1];
        }
    }
    return reversed;
}

// The perimeter of the closed polygon through the four points.
double distance_4_points(FourPoints p) { return perimeter(p.points, 4); }

// The perimeter of the closed polygon through the n points (0 when n < 2).
double distance_n_points(NPoints p) { return perimeter(p.points, p.n); }

}  // extern "C"
