/* labview_lib32.c: a stand-in for the LabVIEW example library of loadlib.
 *
 * The original is a LabVIEW-built DLL that needs the LabVIEW Run-Time Engine, which
 * does not exist for Linux. This C library exports the same function with the same
 * signature, so the wrapper and the client are those of the original example. */

#include <math.h>
#include <stdint.h>

/* The mean, variance and standard deviation of X[0..lenX).
 * Weighting 0: sample (divide by n - 1); 1: population (divide by n).
 * Results are NaN when undefined (no data, or one value with sample weighting). */
void stdev(double X[], int32_t lenX, uint16_t Weighting, double *mean, double *variance,
           double *standardDeviation) {
    double sum = 0.0;
    for (int32_t i = 0; i < lenX; ++i) {
        sum += X[i];
    }
    double m = lenX > 0 ? sum / lenX : NAN;
    double ss = 0.0;
    for (int32_t i = 0; i < lenX; ++i) {
        ss += (X[i] - m) * (X[i] - m);
    }
    int32_t dof = Weighting == 0 ? lenX - 1 : lenX;
    double v = dof > 0 ? ss / dof : NAN;
    *mean = m;
    *variance = v;
    *standardDeviation = sqrt(v);
}
