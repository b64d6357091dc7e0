/*
 * Stand-in for Windows' bcryptprimitives.dll under Wine 8.0 (Debian 12), which lacks it.
 *
 * Rust's standard library gets random numbers on Windows 10 and later from ProcessPrng in
 * bcryptprimitives.dll (every supported Windows has it); Wine added that DLL after 8.0. The
 * platform check (scripts/platforms.py) puts this DLL next to the test programs so the real
 * gopher-orch.dll loads under Wine; it is never shipped. It fills the buffer from the system
 * generator Wine does have (RtlGenRandom, advapi32's SystemFunction036).
 */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!RtlGenRandom(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
