/* A library that another one needs (see dep_user.c): it lives in a folder of its own,
 * so the dependent one loads only when that folder is on the library path. */
#include <stdint.h>

#ifdef _WIN32
__declspec(dllexport)
#endif
int32_t dep_base_value(void) { return 42; }
