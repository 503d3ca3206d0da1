/* ROM monitor services: SYSCALL with a0 = function number, a1..a3 = arguments, v0 = result.
 * Only valid while Status.BEV = 1 (the exception then goes to the ROM). */
#include "fw.h"

u32 rom_call(u32 fn, u32 a1, u32 a2, u32 a3)
{
    register u32 r_a0 __asm__("$4") = fn;
    register u32 r_a1 __asm__("$5") = a1;
    register u32 r_a2 __asm__("$6") = a2;
    register u32 r_a3 __asm__("$7") = a3;
    register u32 r_v0 __asm__("$2");
    __asm__ __volatile__("syscall"
                         : "=r"(r_v0), "+r"(r_a0), "+r"(r_a1), "+r"(r_a2), "+r"(r_a3)
                         :
                         : "$1", "$3", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15",
                           "$24", "$25", "$31", "hi", "lo", "memory");
    return r_v0;
}
