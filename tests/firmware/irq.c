/* irq: timer interrupts (Count/Compare, IP7) through our own exception vector at
 * 0x80000180 after clearing BEV. Counts 10 ticks, printing each, then returns to the ROM. */
#include "common/fw.h"

#define TICKS 10
#define INTERVAL 200000u

static volatile u32 ticks, others;

static void on_exception(struct frame *f)
{
    if (CAUSE_EXC(f->cause) == 0 && (f->cause & CAUSE_IP(7))) {
        ticks++;
        mtc0(C0_COMPARE, mfc0(C0_COUNT) + INTERVAL);    /* writing Compare acknowledges */
        return;
    }
    others++;
    f->epc += 4;
}

int main(void)
{
    u32 seen = 0, loops = 0;

    putln("");
    putln("irq: timer interrupt test");
    exc_install(on_exception);
    mtc0(C0_COMPARE, mfc0(C0_COUNT) + INTERVAL);
    mtc0(C0_STATUS, (mfc0(C0_STATUS) & ~0xff00) | ST_IM(7) | ST_IE);
    while (seen < TICKS) {
        if (ticks != seen) {
            seen = ticks;
            puts("tick ");
            put_dec(seen);
            putc('\n');
        }
        if (++loops == 0)
            break;                               /* 2**32 polls without a tick: give up */
    }
    exc_uninstall();
    puts("irq: ");
    put_dec(ticks);
    puts(" ticks, ");
    put_dec(others);
    putln(" other exceptions");
    putln(ticks >= TICKS && others == 0 ? "irq: PASS" : "irq: FAIL");
    return 0;
}
