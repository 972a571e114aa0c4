/* A DLL whose initialisation fails, as a LabVIEW-built DLL's does when the LabVIEW
 * Run-Time Engine it loads is missing: loading it is ERROR_DLL_INIT_FAILED (1114).
 * It names the run-time's DLL, as such DLLs do, so the server can say what is missing.
 * Windows only. */
#include <windows.h>

__declspec(dllexport) const char loadlib_runtime_needed[] = "lvrt.dll";

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
    (void)instance;
    (void)reserved;
    return reason != DLL_PROCESS_ATTACH;
}
