/* hello: the smallest useful image. Banner, PRId, a CRC-32, 64-bit arithmetic in 64-bit
 * registers (o32 code, so through inline assembly), then back to the ROM. */
#include "common/fw.h"

static const char check_string[] = "123456789";   /* CRC-32 check value 0xcbf43926 */
static u8 pattern[1024];

struct wide { u64 a, b, prod_hi, prod_lo, quot, rem, sum, shifted; };

static void wide_math(struct wide *w)
{
    __asm__ __volatile__(
        ".set push\n\t.set mips3\n\t"
        "ld     $8, 0(%0)\n\t"
        "ld     $9, 8(%0)\n\t"
        "dmultu $8, $9\n\t"
        "mfhi   $10\n\t"
        "mflo   $11\n\t"
        "sd     $10, 16(%0)\n\t"
        "sd     $11, 24(%0)\n\t"
        "ddivu  $0, $8, $9\n\t"
        "mflo   $10\n\t"
        "mfhi   $11\n\t"
        "sd     $10, 32(%0)\n\t"
        "sd     $11, 40(%0)\n\t"
        "daddu  $10, $8, $9\n\t"
        "sd     $10, 48(%0)\n\t"
        "dsll32 $10, $9, 4\n\t"
        "dsra   $10, $10, 3\n\t"
        "sd     $10, 56(%0)\n\t"
        ".set pop"
        : : "r"(w) : "$8", "$9", "$10", "$11", "hi", "lo", "memory");
}

int main(void)
{
    struct wide w;
    unsigned i;

    putln("");
    putln("hello: pydynamips test firmware");
    puts("PRId ");
    put_hex32(mfc0(C0_PRID));
    putc('\n');

    puts("crc32(\"123456789\") ");
    put_hex32(crc32(check_string, 9));
    putc('\n');
    for (i = 0; i < sizeof(pattern); i++)
        pattern[i] = (u8)(i * 7 + (i >> 8));
    puts("crc32(pattern) ");
    put_hex32(crc32(pattern, sizeof(pattern)));
    putc('\n');

    w.a = 0x0123456789abcdefull;
    w.b = 0x00000000fedcba98ull;
    wide_math(&w);
    puts("dmultu hi ");  put_hex64(w.prod_hi);  putc('\n');
    puts("dmultu lo ");  put_hex64(w.prod_lo);  putc('\n');
    puts("ddivu q ");    put_hex64(w.quot);     putc('\n');
    puts("ddivu r ");    put_hex64(w.rem);      putc('\n');
    puts("daddu ");      put_hex64(w.sum);      putc('\n');
    puts("dsll32/dsra "); put_hex64(w.shifted); putc('\n');
    putln("hello: returning to ROM");
    return 0;
}
