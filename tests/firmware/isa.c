/* isa: self-checking instruction-set groups. Prints PASS/FAIL per group and a summary.
 * User-level groups (isa_user.c) compare against isa_expected.h, produced by running the same
 * code under qemu-mips64. Kernel-level groups (exceptions, CP0, TLB) check what the MIPS
 * R4000/R5000 manuals specify: exception codes, EPC, BadVAddr, Cause.BD, the refill vector. */
#include "common/fw.h"
#include "isa_user.h"
#include "isa_expected.h"

static int groups_run, groups_passed, group_failed;
static const char *group_name;

static void group_begin(const char *name)
{
    group_name = name;
    group_failed = 0;
}

static void fail(const char *what, u64 got, u64 want)
{
    if (!group_failed) {
        puts("FAIL ");
        puts(group_name);
        puts(" ");
        puts(what);
        puts(" got ");
        put_hex64(got);
        puts(" want ");
        put_hex64(want);
        putc('\n');
    }
    group_failed++;
}

#define CHECK(what, got, want) do { u64 g_ = (got), w_ = (want); if (g_ != w_) fail(what, g_, w_); } while (0)

static void group_end(void)
{
    groups_run++;
    if (!group_failed) {
        groups_passed++;
        puts("PASS ");
        putln(group_name);
    }
}

/* --- exceptions ------------------------------------------------------------------------ */

static volatile u32 n_exc, last_cause, last_epc, last_badv, last_vector, n_refill;
static volatile int refill_fixup;            /* TLB refill: install refill_lo0/1 and retry */
static volatile u32 refill_lo0, refill_lo1;

#define tlbwr() __asm__ __volatile__(".set push\n.set mips3\ntlbwr\nnop\nnop\n.set pop")
#define tlbwi() __asm__ __volatile__(".set push\n.set mips3\ntlbwi\nnop\nnop\n.set pop")
#define tlbp()  __asm__ __volatile__(".set push\n.set mips3\ntlbp\nnop\nnop\n.set pop")
#define tlbr()  __asm__ __volatile__(".set push\n.set mips3\ntlbr\nnop\nnop\n.set pop")

static void on_exception(struct frame *f)
{
    n_exc++;
    last_cause = f->cause;
    last_epc = f->epc;
    last_badv = f->badvaddr;
    last_vector = f->vector;
    if (CAUSE_EXC(f->cause) == 0) {          /* interrupt: clear software interrupts */
        mtc0(C0_CAUSE, mfc0(C0_CAUSE) & ~(CAUSE_IP(0) | CAUSE_IP(1)));
        return;
    }
    if (f->vector == 1 && refill_fixup) {
        n_refill++;
        mtc0(C0_ENTRYLO0, refill_lo0);
        mtc0(C0_ENTRYLO1, refill_lo1);
        mtc0(C0_PAGEMASK, 0);
        tlbwr();
        return;                               /* retry the access */
    }
    f->epc += (f->cause & CAUSE_BD) ? 8 : 4;
}

/* Runs `insn` (one instruction; its address goes to *pc) and returns how many exceptions
 * it raised. Registers $8..$10 are set from a, b, and the destination $10 starts at d. */
#define RUN1(insn, a, b, d, pc, res) do {                                                 \
    u64 io_[4] = { (a), (b), (d), 0 };                                                   \
    u32 before_ = n_exc;                                                                  \
    __asm__ __volatile__(".set push\n\t.set noreorder\n\t.set mips3\n\t"                \
        "ld $8, 0(%1)\n\t ld $9, 8(%1)\n\t ld $10, 16(%1)\n\t la %0, 1f\n"               \
        "1:\t" insn "\n\t nop\n\t sd $10, 24(%1)\n\t.set pop"                             \
        : "=&r"(pc) : "r"(io_) : "$8", "$9", "$10", "hi", "lo", "memory");               \
    res = io_[3];                                                                         \
    (void)res;                                                                            \
    before_ = n_exc - before_;                                                            \
    exc_delta = before_;                                                                  \
} while (0)

static u32 exc_delta;

static void expect_exc(const char *what, u32 pc, u32 code)
{
    CHECK(what, exc_delta, 1);
    CHECK(what, CAUSE_EXC(last_cause), code);
    CHECK(what, last_epc, pc);
    CHECK(what, last_cause & CAUSE_BD, 0);
}

static void group_traps(void)
{
    u32 pc;
    u64 r;
    group_begin("trap");
    RUN1("teq $8, $9", 5, 5, 0, pc, r);   expect_exc("teq taken", pc, 13);
    RUN1("teq $8, $9", 5, 6, 0, pc, r);   CHECK("teq not taken", exc_delta, 0);
    RUN1("tne $8, $9", 5, 6, 0, pc, r);   expect_exc("tne taken", pc, 13);
    RUN1("tlt $8, $9", -1, 0, 0, pc, r);  expect_exc("tlt taken", pc, 13);
    RUN1("tltu $8, $9", -1, 0, 0, pc, r); CHECK("tltu not taken", exc_delta, 0);
    RUN1("tge $8, $9", 0x100000000ull, 1, 0, pc, r); expect_exc("tge 64-bit", pc, 13);
    RUN1("tgeu $8, $9", 1, 2, 0, pc, r);  CHECK("tgeu not taken", exc_delta, 0);
    RUN1("teqi $8, -3", -3, 0, 0, pc, r); expect_exc("teqi taken", pc, 13);
    RUN1("tnei $8, 7", 7, 0, 0, pc, r);   CHECK("tnei not taken", exc_delta, 0);
    RUN1("tlti $8, 0", -9, 0, 0, pc, r);  expect_exc("tlti taken", pc, 13);
    RUN1("tgeiu $8, 4", 3, 0, 0, pc, r);  CHECK("tgeiu not taken", exc_delta, 0);
    group_end();
}

static void group_overflow(void)
{
    u32 pc;
    u64 r;
    group_begin("overflow");
    RUN1("add $10, $8, $9", 0x7fffffff, 1, 0x1234, pc, r);
    expect_exc("add", pc, 12);  CHECK("add dest kept", r, 0x1234);
    RUN1("add $10, $8, $9", 0x7ffffffe, 1, 0x1234, pc, r);
    CHECK("add no overflow", exc_delta, 0);  CHECK("add result", r, 0x7fffffff);
    RUN1("addi $10, $8, 1", 0x7fffffff, 0, 0x55, pc, r);
    expect_exc("addi", pc, 12);  CHECK("addi dest kept", r, 0x55);
    RUN1("sub $10, $8, $9", 0xffffffff80000000ull, 1, 0x66, pc, r);
    expect_exc("sub", pc, 12);  CHECK("sub dest kept", r, 0x66);
    RUN1("dadd $10, $8, $9", 0x7fffffffffffffffull, 1, 0x77, pc, r);
    expect_exc("dadd", pc, 12); CHECK("dadd dest kept", r, 0x77);
    RUN1("dadd $10, $8, $9", 0x7fffffff, 1, 0x77, pc, r);
    CHECK("dadd no overflow", exc_delta, 0); CHECK("dadd result", r, 0x80000000ull);
    RUN1("daddi $10, $8, -1", 0x8000000000000000ull, 0, 0x88, pc, r);
    expect_exc("daddi", pc, 12); CHECK("daddi dest kept", r, 0x88);
    RUN1("dsub $10, $8, $9", 0x8000000000000000ull, 1, 0x99, pc, r);
    expect_exc("dsub", pc, 12); CHECK("dsub dest kept", r, 0x99);
    RUN1("addu $10, $8, $9", 0x7fffffff, 1, 0, pc, r);
    CHECK("addu never traps", exc_delta, 0); CHECK("addu result", r, 0xffffffff80000000ull);
    group_end();
}

static u64 aligned_buf[4] __attribute__((aligned(16)));

static void group_addrerr(void)
{
    u32 pc;
    u64 r;
    u32 base = (u32)aligned_buf;
    group_begin("addrerr");
    RUN1("lw $10, 0($8)", (s32)(base + 1), 0, 0x11, pc, r);
    expect_exc("lw", pc, 4);  CHECK("lw badvaddr", last_badv, base + 1); CHECK("lw dest", r, 0x11);
    RUN1("lh $10, 0($8)", (s32)(base + 3), 0, 0, pc, r);
    expect_exc("lh", pc, 4);  CHECK("lh badvaddr", last_badv, base + 3);
    RUN1("ld $10, 0($8)", (s32)(base + 4), 0, 0, pc, r);
    expect_exc("ld", pc, 4);  CHECK("ld badvaddr", last_badv, base + 4);
    RUN1("sw $9, 0($8)", (s32)(base + 2), 0, 0, pc, r);
    expect_exc("sw", pc, 5);  CHECK("sw badvaddr", last_badv, base + 2);
    RUN1("sh $9, 0($8)", (s32)(base + 5), 0, 0, pc, r);
    expect_exc("sh", pc, 5);
    RUN1("sd $9, 0($8)", (s32)(base + 12), 0, 0, pc, r);
    expect_exc("sd", pc, 5);  CHECK("sd badvaddr", last_badv, base + 12);
    RUN1("lw $10, 0($8)", (s32)(base + 8), 0, 0, pc, r);
    CHECK("aligned lw", exc_delta, 0);
    group_end();
}

static void group_syscall_break(void)
{
    u32 pc, branch_pc, before;
    u64 r;
    static u32 cell = 41;
    u32 sc_result;
    group_begin("syscall");
    RUN1("syscall", 0, 0, 0, pc, r);   expect_exc("syscall", pc, 8);
    RUN1("break", 0, 0, 0, pc, r);     expect_exc("break", pc, 9);
    /* In a delay slot: Cause.BD set and EPC = the branch. */
    before = n_exc;
    __asm__ __volatile__(".set push\n\t.set noreorder\n\t la %0, 1f\n"
                         "1:\t beq $0, $0, 2f\n\t syscall\n"
                         "2:\t nop\n\t.set pop" : "=&r"(branch_pc) : : "memory");
    CHECK("syscall in delay slot", n_exc - before, 1);
    CHECK("BD set", last_cause & CAUSE_BD, CAUSE_BD);
    CHECK("EPC = branch", last_epc, branch_pc);
    /* ERET clears the LL bit: an SC after an exception fails. */
    __asm__ __volatile__(".set push\n\t.set noreorder\n\t.set mips3\n\t"
                         "ll $8, 0(%1)\n\t addiu $8, $8, 1\n\t syscall\n\t sc $8, 0(%1)\n\t"
                         "move %0, $8\n\t.set pop"
                         : "=&r"(sc_result) : "r"(&cell) : "$8", "memory");
    CHECK("sc after eret fails", sc_result, 0);
    CHECK("cell unchanged", cell, 41);
    group_end();
}

static int tlb_entries(void)
{
    return ((mfc0(C0_PRID) >> 8) & 0xff) == 0x27 ? 64 : 48;   /* R7000: 64, others 48 */
}

static void group_cp0(void)
{
    u32 c1, c2, before, st;
    int i;
    group_begin("cp0");
    CHECK("PRId nonzero", mfc0(C0_PRID) != 0, 1);
    mtc0(C0_ENTRYHI, 0x12345023);
    CHECK("EntryHi", mfc0(C0_ENTRYHI), 0x12344023);
    mtc0(C0_ENTRYLO0, 0x0123457f);
    CHECK("EntryLo0", mfc0(C0_ENTRYLO0), 0x0123457f);
    mtc0(C0_ENTRYLO1, 0x00000ab7);
    CHECK("EntryLo1", mfc0(C0_ENTRYLO1), 0x00000ab7);
    mtc0(C0_PAGEMASK, 0x01ffe000);
    CHECK("PageMask", mfc0(C0_PAGEMASK), 0x01ffe000);
    mtc0(C0_PAGEMASK, 0);
    mtc0(C0_INDEX, 3);
    CHECK("Index", mfc0(C0_INDEX) & 0x3f, 3);
    mtc0(C0_WIRED, 5);
    CHECK("Wired", mfc0(C0_WIRED), 5);
    for (i = 0; i < 8; i++) {
        u32 r = mfc0(C0_RANDOM);
        if (r < 5 || r >= (u32)tlb_entries())
            CHECK("Random in [Wired, size)", r, 5);
    }
    mtc0(C0_WIRED, 0);
    mtc0(C0_CONTEXT, 0xff800000);
    CHECK("Context PTEBase", mfc0(C0_CONTEXT) & 0xff800000, 0xff800000);
    c1 = mfc0(C0_COUNT);
    for (i = 0; i < 100; i++)
        __asm__ __volatile__("nop");
    c2 = mfc0(C0_COUNT);
    CHECK("Count advances", c2 != c1, 1);
    mtc0(C0_COMPARE, 0x7fffffff);
    CHECK("Compare", mfc0(C0_COMPARE), 0x7fffffff);
    /* A software interrupt (Cause.IP0) is taken once IE and IM0 allow it. */
    before = n_exc;
    st = mfc0(C0_STATUS) & ~ST_IE;     /* the ROM hands over with IE and IM0 set */
    mtc0(C0_STATUS, st);
    mtc0(C0_CAUSE, CAUSE_IP(0));
    CHECK("Cause.IP0 writable", mfc0(C0_CAUSE) & CAUSE_IP(0), CAUSE_IP(0));
    mtc0(C0_STATUS, (st & ~0xff00) | ST_IM(0) | ST_IE);
    __asm__ __volatile__("nop\n\tnop\n\tnop\n\tnop");
    mtc0(C0_STATUS, st & ~ST_IE);
    CHECK("software interrupt taken", n_exc - before, 1);
    CHECK("interrupt code", CAUSE_EXC(last_cause), 0);
    CHECK("IP0 in Cause", last_cause & CAUSE_IP(0), CAUSE_IP(0));
    mtc0(C0_STATUS, st);
    group_end();
}

static u8 tlb_pages[4 * 4096] __attribute__((aligned(8192)));

static u32 pfn_lo(u32 kseg0_addr, u32 flags)
{
    return (((kseg0_addr & 0x1fffffff) >> 12) << 6) | flags;   /* flags: C<<3 | D | V | G */
}

#define ELO_G 1
#define ELO_V 2
#define ELO_D 4
#define ELO_C(c) ((c) << 3)

static u32 mapped_read(u32 vaddr)
{
    return *(volatile u32 *)vaddr;
}

static void group_tlb(void)
{
    u32 page0 = (u32)&tlb_pages[0], page1 = (u32)&tlb_pages[4096];
    u32 page2 = (u32)&tlb_pages[8192], page3 = (u32)&tlb_pages[12288];
    u32 before, pc;
    u64 r;
    int i, n = tlb_entries();

    group_begin("tlb");
    for (i = 0; i < 4; i++)
        *(volatile u32 *)(page0 + i * 4096 + 0x10) = 0xa5a50000 + i;
    mtc0(C0_PAGEMASK, 0);
    /* Wired mapping: 0x00400000 -> page0, 0x00401000 -> page1 */
    mtc0(C0_INDEX, 1);
    mtc0(C0_ENTRYHI, 0x00400000);
    mtc0(C0_ENTRYLO0, pfn_lo(page0, ELO_C(2) | ELO_D | ELO_V | ELO_G));
    mtc0(C0_ENTRYLO1, pfn_lo(page1, ELO_C(2) | ELO_D | ELO_V | ELO_G));
    tlbwi();
    CHECK("mapped read even", mapped_read(0x00400010), 0xa5a50000);
    CHECK("mapped read odd", mapped_read(0x00401010), 0xa5a50001);
    *(volatile u32 *)0x00401020 = 0x600df00d;
    CHECK("mapped write", *(volatile u32 *)(page1 + 0x20), 0x600df00d);
    /* TLBR reads the entry back, TLBP finds it */
    mtc0(C0_ENTRYHI, 0);
    mtc0(C0_INDEX, 1);
    tlbr();
    CHECK("tlbr EntryHi", mfc0(C0_ENTRYHI) & ~0xff, 0x00400000);
    CHECK("tlbr EntryLo0", mfc0(C0_ENTRYLO0), pfn_lo(page0, ELO_C(2) | ELO_D | ELO_V | ELO_G));
    mtc0(C0_ENTRYHI, 0x00400000);
    tlbp();
    CHECK("tlbp hit", mfc0(C0_INDEX), 1);
    mtc0(C0_ENTRYHI, 0x00800000);
    tlbp();
    CHECK("tlbp miss", mfc0(C0_INDEX) >> 31, 1);

    /* TLB refill through 0x80000000: the handler installs page2/page3 and the load retries. */
    refill_lo0 = pfn_lo(page2, ELO_C(2) | ELO_D | ELO_V | ELO_G);
    refill_lo1 = pfn_lo(page3, ELO_C(2) | ELO_D | ELO_V | ELO_G);
    refill_fixup = 1;
    before = n_exc;
    CHECK("refill load", mapped_read(0x00800010), 0xa5a50002);
    refill_fixup = 0;
    CHECK("one refill", n_refill, 1);
    CHECK("refill vector", last_vector, 1);
    CHECK("refill code TLBL", CAUSE_EXC(last_cause), 2);
    CHECK("refill badvaddr", last_badv, 0x00800010);
    CHECK("refill EntryHi VPN2", mfc0(C0_ENTRYHI) & 0xffffe000, 0x00800000);
    CHECK("refill Context BadVPN2", mfc0(C0_CONTEXT) & 0x007ffff0, (0x00800000 >> 13) << 4);
    CHECK("second access no refill", mapped_read(0x00801010) == 0xa5a50003 && n_exc == before + 1, 1);

    /* Invalid entry (V=0): TLBL through the general vector. Clean entry (D=0): Mod. */
    mtc0(C0_INDEX, 2);
    mtc0(C0_ENTRYHI, 0x00c00000);
    mtc0(C0_ENTRYLO0, pfn_lo(page0, ELO_C(2) | ELO_G));              /* invalid */
    mtc0(C0_ENTRYLO1, pfn_lo(page1, ELO_C(2) | ELO_V | ELO_G));      /* valid, not dirty */
    tlbwi();
    RUN1("lw $10, 0($8)", 0x00c00010, 0, 0, pc, r);
    expect_exc("invalid TLBL", pc, 2);
    CHECK("invalid via general vector", last_vector, 0);
    RUN1("sw $9, 0($8)", 0x00c01010, 0, 0, pc, r);
    expect_exc("TLB modified", pc, 1);
    RUN1("lw $10, 0($8)", 0x00c01010, 0, 0, pc, r);
    CHECK("clean page readable", r, (u64)(s64)(s32)0xa5a50001);   /* lw sign-extends */

    /* Leave the TLB empty again: unique, invalid, unreachable entries. */
    for (i = 0; i < n; i++) {
        mtc0(C0_INDEX, i);
        mtc0(C0_ENTRYHI, 0x80000000u + (u32)i * 0x2000);
        mtc0(C0_ENTRYLO0, 0);
        mtc0(C0_ENTRYLO1, 0);
        tlbwi();
    }
    mtc0(C0_ENTRYHI, 0);
    group_end();
}

static void run_user_groups(void)
{
    int g, i;
    for (g = 0; g < isa_user_ngroups; g++) {
        isa_u64 out[ISA_MAX_RESULTS];
        char what[8];
        memset(out, 0, sizeof(out));
        group_begin(isa_user_groups[g].name);
        isa_user_groups[g].run(out);
        for (i = 0; i < isa_user_groups[g].count; i++) {
            what[0] = 'r';
            what[1] = (char)('0' + i / 10);
            what[2] = (char)('0' + i % 10);
            what[3] = 0;
            CHECK(what, out[i], isa_expected[g][i]);
        }
        group_end();
    }
}

int main(void)
{
    putln("");
    putln("isa: MIPS instruction-set checks");
    run_user_groups();
    exc_install(on_exception);
    group_traps();
    group_overflow();
    group_addrerr();
    group_syscall_break();
    group_cp0();
    group_tlb();
    exc_uninstall();
    puts("isa: ");
    put_dec(groups_passed);
    putc('/');
    put_dec(groups_run);
    putln(" groups passed");
    return groups_passed == groups_run ? 0 : 1;
}
