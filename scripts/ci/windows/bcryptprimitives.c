/* A stand-in for Windows' bcryptprimitives.dll, which wine 8 lacks: Rust's
 * std (1.78 and later) imports ProcessPrng from it for random numbers
 * (HashMap seeds). Only for running the test suite under wine: real
 * Windows has the DLL. The bytes come from advapi32's RtlGenRandom
 * (exported as SystemFunction036), which wine has. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
