/* Console output and input through the DUART, polled, and a few freestanding helpers. */
#include "fw.h"

void putc(int c)
{
    if (c == '\n')
        putc('\r');
    while (!(REG32(DUART_SRA) & SRA_TXRDY))
        ;
    REG32(DUART_THRA) = (u32)(u8)c;
}

void puts(const char *s)
{
    while (*s)
        putc(*s++);
}

void putln(const char *s)
{
    puts(s);
    putc('\n');
}

static const char hexdig[] = "0123456789abcdef";

void put_hex8(u32 v)
{
    putc(hexdig[(v >> 4) & 15]);
    putc(hexdig[v & 15]);
}

static void hex_digits(u32 v)
{
    int i;
    for (i = 28; i >= 0; i -= 4)
        putc(hexdig[(v >> i) & 15]);
}

void put_hex32(u32 v)
{
    puts("0x");
    hex_digits(v);
}

void put_hex64(u64 v)
{
    puts("0x");
    hex_digits((u32)(v >> 32));
    hex_digits((u32)v);
}

void put_dec(u32 v)
{
    char buf[12];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        putc(buf[--n]);
}

int getc_nowait(void)
{
    if (REG32(DUART_SRA) & SRA_RXRDY)
        return (int)(REG32(DUART_THRA) & 0xff);
    return -1;
}

int getc_wait(void)
{
    int c;
    while ((c = getc_nowait()) < 0)
        ;
    return c;
}

void *memset(void *d, int c, unsigned n)
{
    u8 *p = d;
    while (n--)
        *p++ = (u8)c;
    return d;
}

void *memcpy(void *d, const void *s, unsigned n)
{
    u8 *p = d;
    const u8 *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (u8)*a - (u8)*b;
}

unsigned strlen(const char *s)
{
    unsigned n = 0;
    while (s[n])
        n++;
    return n;
}

/* CRC-32 (IEEE 802.3, reflected, as zlib), bitwise: small and table-free. */
u32 crc32(const void *buf, unsigned len)
{
    const u8 *p = buf;
    u32 crc = 0xffffffffu;
    int k;
    while (len--) {
        crc ^= *p++;
        for (k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
    return ~crc;
}
