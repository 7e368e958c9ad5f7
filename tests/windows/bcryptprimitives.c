/* A stand-in for Windows' bcryptprimitives.dll, for running Rust programs under Wine 8 only.
 *
 * Rust's standard library (1.78 and later) gets its random bytes from ProcessPrng in
 * bcryptprimitives.dll, which Windows 10 and 11 have and Wine 8 lacks. This DLL gives
 * ProcessPrng by way of RtlGenRandom (advapi32's SystemFunction036), which Wine has. It is put
 * beside the test programs by scripts/test-windows and never shipped: real Windows has its own. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
