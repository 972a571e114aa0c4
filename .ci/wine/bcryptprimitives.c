/* Test-machine set-up only, not part of loadlib.
 *
 * Rust's Windows standard library imports ProcessPrng from bcryptprimitives.dll.
 * Wine 8.0 (Debian 12) has no such export, so every Rust program exits at start
 * with code 53. This shim provides ProcessPrng over RtlGenRandom
 * (SystemFunction036 in advapi32). .ci/install builds it for both widths and
 * copies it into the Wine prefix. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
