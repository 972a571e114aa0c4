/* A library that needs dep_base.c's library, found through the loader's search path
 * (no rpath): the case of a vendor DLL whose own DLLs sit in another folder. */
#include <stdint.h>

#ifdef _WIN32
__declspec(dllimport)
#endif
int32_t dep_base_value(void);

#ifdef _WIN32
__declspec(dllexport)
#endif
int32_t dep_user_value(void) { return dep_base_value() + 1; }
