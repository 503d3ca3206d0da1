/* Installing our exception vectors, and the default handler. */
#include "fw.h"

extern const u32 exc_vec_refill[], exc_vec_general[], exc_vec_end[];
volatile exc_handler_t exc_hook;

static void copy_words(u32 phys, const u32 *from, const u32 *to)
{
    volatile u32 *dst = (volatile u32 *)KSEG1(phys);   /* uncached: no stale I-cache lines */
    while (from < to)
        *dst++ = *from++;
}

void exc_dispatch(struct frame *f)
{
    if (exc_hook) {
        exc_hook(f);
        return;
    }
    puts("unexpected exception: cause ");
    put_hex32(f->cause);
    puts(" epc ");
    put_hex32(f->epc);
    puts(" badvaddr ");
    put_hex32(f->badvaddr);
    putc('\n');
    /* Back to the ROM: BEV again, interrupts off, resume at return_to_rom. */
    f->status = (f->status | ST_BEV) & ~(ST_IE);
    f->epc = (u32)return_to_rom;
}

void exc_install(exc_handler_t hook)
{
    exc_hook = hook;
    copy_words(0x000, exc_vec_refill, exc_vec_general);
    copy_words(0x180, exc_vec_general, exc_vec_end);
    mtc0(C0_STATUS, mfc0(C0_STATUS) & ~ST_BEV);
}

void exc_uninstall(void)
{
    mtc0(C0_STATUS, (mfc0(C0_STATUS) & ~ST_IE) | ST_BEV);
    exc_hook = 0;
}

u32 irq_save_disable(void)
{
    u32 s = mfc0(C0_STATUS);
    mtc0(C0_STATUS, s & ~ST_IE);
    return s;
}

void irq_restore(u32 status)
{
    mtc0(C0_STATUS, status);
}
