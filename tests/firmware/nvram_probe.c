/* nvram_probe: prints the config register (ROM service 6 returns its complement), the I/O
 * FPGA control register (bit 2 = packed NVRAM), the ROM strings and the IOS NVRAM filesystem:
 * magic, checksum verdict, startup-config and private-config text. Layout: C7200-DEVICES.md
 * §4 (filesystem at NVRAM + 0x800, absolute addresses based at 0x1e000800). */
#include "common/fw.h"

#define FS        (NVRAM_PHYS + 0x800)
#define FS_ADDR   0x1e000800u
#define NVRAM_SIZE_MAX (2u << 20)

static u32 nv8(u32 off)  { return REG8(FS + off); }
static u32 nv16(u32 off) { return (nv8(off) << 8) | nv8(off + 1); }
static u32 nv32(u32 off) { return (nv16(off) << 16) | nv16(off + 2); }

static void print_text(u32 off, u32 len)
{
    u32 i;
    for (i = 0; i < len; i++) {
        u32 c = nv8(off + i);
        if (c == '\n' || (c >= ' ' && c < 127))
            putc((int)c);
        else if (c != '\r')
            putc('.');
    }
    if (len && nv8(off + len - 1) != '\n')
        putc('\n');
}

static void print_rom_string(const char *label, u32 off)
{
    u32 i, c;
    puts(label);
    for (i = 0; i < 16 && (c = REG8(NVRAM_PHYS + off + i)) != 0; i++)
        putc(c >= ' ' && c < 127 ? (int)c : '.');
    putc('\n');
}

/* The checksum over the filesystem from offset 8 to the end of NVRAM. */
static u32 fs_checksum(u32 fs_len)
{
    u32 sum = 0, off;
    for (off = 8; off + 1 < fs_len; off += 2)
        sum += off == 12 ? 0 : nv16(off);
    if (off < fs_len)
        sum += nv8(off) << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return ~sum & 0xffff;
}

int main(void)
{
    u32 confreg = ~rom_call(ROM_NCONFREG, 0, 0, 0) & 0xffff;
    u32 fs_len, start, len, poff;

    putln("");
    putln("nvram_probe: NVRAM and config register");
    puts("confreg ");
    put_hex32(confreg);
    putc('\n');
    puts("iofpga ctrl ");
    put_hex32(REG32(IOFPGA + 0x204));
    putc('\n');
    print_rom_string("nvram+0x080 ", 0x080);
    print_rom_string("nvram+0x200 ", 0x200);

    if (nv16(6) != 0xf0a5) {
        puts("filesystem: none (magic ");
        put_hex32(nv16(6));
        putln(")");
        return 0;
    }
    putln("filesystem: magic 0xf0a5");
    /* NVRAM size: the ROM knows it; here we take the default c7200 size, 128 KB. */
    fs_len = 128 * 1024 - 0x800;
    puts("checksum ");
    put_hex32(nv16(12));
    puts(fs_checksum(fs_len) == nv16(12) ? " ok\n" : " BAD\n");
    if (nv16(8) != 0xabcd) {
        putln("startup-config: none");
        return 0;
    }
    start = nv32(8 + 8);
    len = nv32(8 + 16);
    puts("startup-config format ");
    put_dec(nv16(10));
    puts(" length ");
    put_dec(len);
    putc('\n');
    if (nv16(10) == 1)
        print_text(start - FS_ADDR, len);
    poff = start - FS_ADDR + len;
    poff += (4 - poff % 4) % 4;
    if (nv16(poff) == 0xfedc) {
        len = nv32(poff + 12);
        puts("private-config length ");
        put_dec(len);
        putc('\n');
        print_text(nv32(poff + 4) - FS_ADDR, len);
    } else {
        putln("private-config: none");
    }
    putln("nvram_probe: done");
    return 0;
}
