/* Shared declarations of the test firmware: console, ROM services, CP0, exceptions. */
#ifndef FW_H
#define FW_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef int s32;
typedef long long s64;

#define KSEG1(phys) (0xa0000000u | (u32)(phys))
#define REG32(phys) (*(volatile u32 *)KSEG1(phys))
#define REG8(phys)  (*(volatile u8 *)KSEG1(phys))

/* Console DUART channel A inside the I/O FPGA (docs/C7200.md). */
#define DUART_SRA   0x1e84040c
#define DUART_THRA  0x1e84041c     /* write: transmit; read: RHRA */
#define SRA_RXRDY   0x01
#define SRA_TXRDY   0x04

#define IOFPGA      0x1e840000
#define NVRAM_PHYS  0x1e000000

/* console.c */
void putc(int c);
void puts(const char *s);          /* no newline added */
void putln(const char *s);         /* with "\r\n" */
void put_hex32(u32 v);             /* 0x%08x */
void put_hex64(u64 v);             /* 0x%016llx */
void put_hex8(u32 v);              /* %02x */
void put_dec(u32 v);
int  getc_nowait(void);            /* -1 when nothing is waiting */
int  getc_wait(void);
void *memset(void *d, int c, unsigned n);
void *memcpy(void *d, const void *s, unsigned n);
int  strcmp(const char *a, const char *b);
unsigned strlen(const char *s);
u32  crc32(const void *buf, unsigned len);

/* rom.c: ROM monitor services (SYSCALL with a0 = function, only while Status.BEV = 1). */
#define ROM_PUTC      1
#define ROM_RAMSIZE   4
#define ROM_NCONFREG  6
#define ROM_RELOAD    8
u32 rom_call(u32 fn, u32 a1, u32 a2, u32 a3);
extern void return_to_rom(void);

/* CP0 */
#define C0_INDEX    0
#define C0_RANDOM   1
#define C0_ENTRYLO0 2
#define C0_ENTRYLO1 3
#define C0_CONTEXT  4
#define C0_PAGEMASK 5
#define C0_WIRED    6
#define C0_BADVADDR 8
#define C0_COUNT    9
#define C0_ENTRYHI  10
#define C0_COMPARE  11
#define C0_STATUS   12
#define C0_CAUSE    13
#define C0_EPC      14
#define C0_PRID     15
#define C0_CONFIG   16

#define mfc0(reg) ({ u32 __v; __asm__ __volatile__("mfc0 %0, $%1" : "=r"(__v) : "i"(reg)); __v; })
#define mtc0(reg, val) __asm__ __volatile__("mtc0 %0, $%1\n\tnop\n\tnop" :: "r"((u32)(val)), "i"(reg))

#define ST_IE    0x00000001
#define ST_EXL   0x00000002
#define ST_ERL   0x00000004
#define ST_IM(n) (0x100u << (n))
#define ST_BEV   0x00400000
#define CAUSE_BD 0x80000000u
#define CAUSE_EXC(c) (((c) >> 2) & 0x1f)
#define CAUSE_IP(n) (0x100u << (n))

/* exc.S / exc.c: our own exception vectors at 0x80000000 and 0x80000180. */
struct frame {
    u64 regs[32];
    u64 hi, lo;
    u32 epc, cause, status, badvaddr;
    u32 vector;                    /* 0 general (0x180), 1 TLB refill (0x000) */
    u32 pad;
};
typedef void (*exc_handler_t)(struct frame *f);
extern volatile exc_handler_t exc_hook;    /* called for every exception */
void exc_install(exc_handler_t hook);      /* copy the vectors in, clear BEV */
void exc_uninstall(void);                  /* set BEV again: ROM services work again */
u32  irq_save_disable(void);
void irq_restore(u32 status);

#endif
