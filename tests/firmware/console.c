/* console: an interactive prompt on the console DUART, like a router's exec.
 * Prints the checksum of its large initialised data at boot, then shows "router> " and
 * idles in console_idle(), a tight loop polling the DUART status register (the idle-PC
 * case). A timer interrupt through our own vector counts ticks. Commands: help, version,
 * ticks, reload (ROM reload service), exit (back to the ROM). */
#include "common/fw.h"

extern const u32 bigdata_start[], bigdata_end[];
static volatile u32 ticks;
static u32 timer_interval;

#define TIMER_INTERVAL 500000u

static void on_exception(struct frame *f)
{
    if (CAUSE_EXC(f->cause) == 0 && (f->cause & CAUSE_IP(7))) {
        ticks++;
        mtc0(C0_COMPARE, mfc0(C0_COUNT) + timer_interval);   /* also acknowledges IP7 */
        return;
    }
    puts("\nconsole: unexpected exception cause ");
    put_hex32(f->cause);
    puts(" epc ");
    put_hex32(f->epc);
    putc('\n');
    f->status = (f->status | ST_BEV) & ~ST_IE;
    f->epc = (u32)return_to_rom;
}

/* The idle loop: nothing but the status-register poll, so its PC is the one to propose. */
int __attribute__((noinline)) console_idle(void)
{
    volatile u32 *sra = (volatile u32 *)KSEG1(DUART_SRA);
    while (!(*sra & SRA_RXRDY))
        ;
    return (int)(REG32(DUART_THRA) & 0xff);
}

static void checksum_bigdata(void)
{
    const u32 *p = bigdata_start;
    u32 a = 0, b = 0;
    while (p < bigdata_end) {
        a += *p++;
        b += a;
    }
    puts("bigdata ");
    put_dec((u32)((const u8 *)bigdata_end - (const u8 *)bigdata_start));
    puts(" bytes sum ");
    put_hex32(a);
    putc(' ');
    put_hex32(b);
    putc('\n');
}

static void rom_mode(void)
{
    /* ROM services need BEV = 1 and no interrupt of ours pending. */
    exc_uninstall();
}

static int readline(char *buf, int size)
{
    int n = 0, c;
    for (;;) {
        c = console_idle();
        if (c == '\r' || c == '\n') {
            putc('\n');
            buf[n] = 0;
            return n;
        }
        if ((c == 8 || c == 127) && n > 0) {
            n--;
            puts("\b \b");
            continue;
        }
        if (c >= ' ' && c < 127 && n < size - 1) {
            buf[n++] = (char)c;
            putc(c);
        }
    }
}

int main(void)
{
    char line[64];

    putln("");
    putln("console: pydynamips test router");
    checksum_bigdata();
    puts("RAM ");
    put_dec(rom_call(ROM_RAMSIZE, 0, 0, 0) >> 20);
    putln(" MB");

    timer_interval = TIMER_INTERVAL;
    exc_install(on_exception);
    mtc0(C0_COMPARE, mfc0(C0_COUNT) + timer_interval);
    mtc0(C0_STATUS, (mfc0(C0_STATUS) & ~0xff00) | ST_IM(7) | ST_IE);

    for (;;) {
        puts("router> ");
        readline(line, sizeof(line));
        if (!line[0])
            continue;
        if (!strcmp(line, "help")) {
            putln("commands: help version ticks reload exit");
        } else if (!strcmp(line, "version")) {
            putln("pydynamips test firmware, console 1.0");
            puts("PRId ");
            put_hex32(mfc0(C0_PRID));
            putc('\n');
        } else if (!strcmp(line, "ticks")) {
            puts("ticks ");
            put_dec(ticks);
            putc('\n');
        } else if (!strcmp(line, "reload")) {
            putln("reloading");
            rom_mode();
            rom_call(ROM_RELOAD, 0, 0, 0);
            return 0;                          /* nothing to reload: back to the ROM */
        } else if (!strcmp(line, "exit")) {
            putln("bye");
            rom_mode();
            return 0;
        } else {
            puts("% unknown command: ");
            putln(line);
        }
    }
}
