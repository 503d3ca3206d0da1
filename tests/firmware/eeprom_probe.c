/* eeprom_probe: reads the CPU (NPE) and mid-plane EEPROMs the way IOS does, by bit-banging
 * the NMC93C46 protocol through I/O FPGA register 0x21c (C7200-DEVICES.md §3): CPU EEPROM
 * DI bit 0, CLK bit 1, CS bit 2, DO bit 6; mid-plane DI bit 3, CLK bit 4, CS bit 5, DO bit 7.
 * Command: start bit 1, READ opcode bits 1 then 0, 6 address bits LSB first; then 16 data
 * bits LSB first, one per rising CLK edge. Prints both dumps, the NPE type, the mid-plane
 * version (std/vxr) and the chassis MAC address. */
#include "common/fw.h"

#define EEPROM_REG (IOFPGA + 0x21c)

struct eeprom_port { u32 di, clk, cs, dout; };
static const struct eeprom_port cpu_port = { 1u << 0, 1u << 1, 1u << 2, 1u << 6 };
static const struct eeprom_port mid_port = { 1u << 3, 1u << 4, 1u << 5, 1u << 7 };

static void bit_out(const struct eeprom_port *p, u32 bit)
{
    u32 v = p->cs | (bit ? p->di : 0);
    REG32(EEPROM_REG) = v;
    REG32(EEPROM_REG) = v | p->clk;
}

static u32 read_word(const struct eeprom_port *p, u32 addr)
{
    u32 i, word = 0;
    REG32(EEPROM_REG) = 0;
    REG32(EEPROM_REG) = p->cs;
    bit_out(p, 1);                      /* start */
    bit_out(p, 1);                      /* READ = 1, 0 */
    bit_out(p, 0);
    for (i = 0; i < 6; i++)
        bit_out(p, (addr >> i) & 1);
    for (i = 0; i < 16; i++) {
        REG32(EEPROM_REG) = p->cs;
        REG32(EEPROM_REG) = p->cs | p->clk;
        if (REG32(EEPROM_REG) & p->dout)
            word |= 1u << i;
    }
    REG32(EEPROM_REG) = 0;
    return word;
}

static void read_eeprom(const struct eeprom_port *p, u8 *buf, u32 words)
{
    u32 i, w;
    for (i = 0; i < words; i++) {
        w = read_word(p, i);
        buf[2 * i] = (u8)(w >> 8);      /* byte 2n is the high byte of word n */
        buf[2 * i + 1] = (u8)w;
    }
}

static void dump(const char *name, const u8 *buf, u32 len)
{
    u32 i;
    puts(name);
    putln(" eeprom:");
    for (i = 0; i < len; i++) {
        put_hex8(buf[i]);
        putc((i % 16) == 15 ? '\n' : ' ');
    }
}

/* v4 EEPROMs: TLV fields from byte 2; returns the offset of a field's data, or -1. */
static int v4_find(const u8 *buf, u32 len, u32 type)
{
    u32 i = 2, t, n;
    while (i < len && buf[i] != 0xff) {
        t = buf[i];
        switch (t >> 6) {
        case 0: n = 1; i += 1; break;
        case 1: n = 2; i += 1; break;
        case 2: n = 4; i += 1; break;
        default: n = buf[i + 1] & 0x3f; i += 2; break;
        }
        if (t == type)
            return (int)i;
        i += n;
    }
    return -1;
}

int main(void)
{
    u8 cpu[128], mid[64];
    u32 npe = 0, i;
    int off;

    putln("");
    putln("eeprom_probe: CPU and mid-plane EEPROMs");
    read_eeprom(&cpu_port, cpu, 64);
    read_eeprom(&mid_port, mid, 32);
    dump("cpu", cpu, cpu[0] == 4 ? 128 : 32);
    dump("midplane", mid, 64);

    if (cpu[0] == 1) {
        npe = cpu[1];
    } else if (cpu[0] == 4 && (off = v4_find(cpu, 128, 0x40)) >= 0) {
        npe = ((u32)cpu[off] << 8) | cpu[off + 1];
    }
    puts("npe type ");
    put_hex32(npe);
    switch (npe) {
    case 0x35: puts(" (npe-100)"); break;
    case 0x15: puts(" (npe-150)"); break;
    case 0xc2: puts(" (npe-175/225)"); break;
    case 0x69: puts(" (npe-200)"); break;
    case 0xae: puts(" (npe-300)"); break;
    case 0x1f8: puts(" (npe-400)"); break;
    default: puts(" (unknown)"); break;
    }
    putc('\n');
    puts("chassis type ");
    put_hex8(mid[1]);
    puts(" midplane ");
    putln(mid[2] >= 2 ? "vxr" : "std");
    puts("chassis mac ");
    for (i = 0; i < 6; i++) {
        put_hex8(mid[0x0c + i]);
        if (i == 1 || i == 3)
            putc('.');
    }
    putc('\n');
    puts("mac block ");
    put_dec(((u32)mid[0x12] << 8) | mid[0x13]);
    putc('\n');
    putln("eeprom_probe: done");
    return 0;
}
