/* The user-level ISA check groups (see isa_user.h). Every group writes its results to out[];
 * nothing here depends on the ABI, the OS or privileged state. */
#include "isa_user.h"

#define ASM(body, ...) __asm__ __volatile__(".set push\n\t.set noreorder\n\t.set mips3\n\t" body \
                                            "\n\t.set pop" __VA_ARGS__)
#define CLOBBERS "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15", "hi", "lo", "memory"

static const isa_u64 in[8] = {
    0x0123456789abcdefull, 0xfedcba9876543210ull, 0x000000007fffffffull, 0xffffffff80000000ull,
    0x8000000000000000ull, 0x00000000ffffffffull, 0x5555aaaa3333ccccull, 0xfffffffffffffffdull,
};

static void alu64(isa_u64 *out)
{
    ASM("ld $8, 0(%0)\n\t ld $9, 8(%0)\n\t ld $10, 16(%0)\n\t ld $11, 24(%0)\n\t"
        "daddu $12, $8, $9\n\t sd $12, 0(%1)\n\t"
        "dsubu $12, $8, $9\n\t sd $12, 8(%1)\n\t"
        "addu  $12, $10, $10\n\t sd $12, 16(%1)\n\t"       /* 32-bit op: sign-extended */
        "addiu $12, $10, 1\n\t sd $12, 24(%1)\n\t"
        "daddiu $12, $10, 1\n\t sd $12, 32(%1)\n\t"
        "dsll $12, $8, 7\n\t sd $12, 40(%1)\n\t"
        "dsrl $12, $9, 9\n\t sd $12, 48(%1)\n\t"
        "dsra $12, $9, 11\n\t sd $12, 56(%1)\n\t"
        "dsll32 $12, $8, 3\n\t sd $12, 64(%1)\n\t"
        "dsrl32 $12, $9, 5\n\t sd $12, 72(%1)\n\t"
        "dsra32 $12, $9, 1\n\t sd $12, 80(%1)\n\t"
        "li $13, 37\n\t dsllv $12, $8, $13\n\t sd $12, 88(%1)\n\t"
        "li $13, 100\n\t dsrlv $12, $9, $13\n\t sd $12, 96(%1)\n\t"     /* uses 100 & 63 */
        "dsrav $12, $9, $13\n\t sd $12, 104(%1)\n\t"
        "and $12, $8, $9\n\t or $13, $8, $11\n\t xor $14, $8, $9\n\t nor $15, $8, $10\n\t"
        "sd $12, 112(%1)\n\t sd $13, 120(%1)\n\t sd $14, 128(%1)\n\t sd $15, 136(%1)\n\t"
        "slt $12, $9, $8\n\t sltu $13, $9, $8\n\t slti $14, $11, -1\n\t sltiu $15, $10, -1\n\t"
        "sd $12, 144(%1)\n\t sd $13, 152(%1)\n\t sd $14, 160(%1)\n\t sd $15, 168(%1)\n\t"
        "lui $12, 0x8765\n\t sd $12, 176(%1)\n\t"
        "sll $12, $8, 4\n\t sd $12, 184(%1)\n\t"            /* 32-bit shift of a 64-bit value */
        "srl $12, $11, 1\n\t sd $12, 192(%1)\n\t"
        "sra $12, $11, 4\n\t sd $12, 200(%1)\n\t"   /* SRA of a non-sign-extended value is undefined */
        "dsubu $12, $0, $8\n\t sd $12, 208(%1)\n\t"
        "ori $12, $11, 0xbeef\n\t xori $12, $12, 0x1234\n\t andi $13, $9, 0xf0f0\n\t"
        "sd $12, 216(%1)\n\t sd $13, 224(%1)",
        : : "r"(in), "r"(out) : CLOBBERS);
}

static void muldiv(isa_u64 *out)
{
    ASM("ld $8, 0(%0)\n\t ld $9, 8(%0)\n\t ld $10, 16(%0)\n\t ld $11, 24(%0)\n\t"
        "mult $10, $11\n\t mfhi $12\n\t mflo $13\n\t sd $12, 0(%1)\n\t sd $13, 8(%1)\n\t"
        "multu $10, $11\n\t mfhi $12\n\t mflo $13\n\t sd $12, 16(%1)\n\t sd $13, 24(%1)\n\t"
        "li $14, -7\n\t li $15, 3\n\t"
        "div $0, $14, $15\n\t mfhi $12\n\t mflo $13\n\t sd $12, 32(%1)\n\t sd $13, 40(%1)\n\t"
        "divu $0, $14, $15\n\t mfhi $12\n\t mflo $13\n\t sd $12, 48(%1)\n\t sd $13, 56(%1)\n\t"
        "dmult $8, $9\n\t mfhi $12\n\t mflo $13\n\t sd $12, 64(%1)\n\t sd $13, 72(%1)\n\t"
        "dmultu $8, $9\n\t mfhi $12\n\t mflo $13\n\t sd $12, 80(%1)\n\t sd $13, 88(%1)\n\t"
        "ddiv $0, $9, $10\n\t mfhi $12\n\t mflo $13\n\t sd $12, 96(%1)\n\t sd $13, 104(%1)\n\t"
        "ddivu $0, $9, $10\n\t mfhi $12\n\t mflo $13\n\t sd $12, 112(%1)\n\t sd $13, 120(%1)\n\t"
        "li $14, 0x12345\n\t mthi $14\n\t mtlo $9\n\t mfhi $12\n\t mflo $13\n\t"
        "sd $12, 128(%1)\n\t sd $13, 136(%1)",
        : : "r"(in), "r"(out) : CLOBBERS);
}

static void loadstore(isa_u64 *out)
{
    static isa_u64 buf[4] __attribute__((aligned(16)));
    buf[0] = 0x0011223344556677ull;
    buf[1] = 0x8899aabbccddeeffull;
    buf[2] = 0;
    buf[3] = 0;
    ASM("lb $12, 8(%0)\n\t lbu $13, 8(%0)\n\t lh $14, 10(%0)\n\t lhu $15, 10(%0)\n\t"
        "sd $12, 0(%1)\n\t sd $13, 8(%1)\n\t sd $14, 16(%1)\n\t sd $15, 24(%1)\n\t"
        "lw $12, 8(%0)\n\t lwu $13, 8(%0)\n\t ld $14, 8(%0)\n\t"
        "sd $12, 32(%1)\n\t sd $13, 40(%1)\n\t sd $14, 48(%1)\n\t"
        "li $12, -1\n\t move $13, $12\n\t"
        "lwl $12, 1(%0)\n\t lwr $12, 4(%0)\n\t sd $12, 56(%1)\n\t"      /* unaligned word @1 */
        "lwl $13, 6(%0)\n\t sd $13, 64(%1)\n\t"
        "lwr $13, 9(%0)\n\t sd $13, 72(%1)\n\t"
        "li $12, 0\n\t ldl $12, 3(%0)\n\t ldr $12, 10(%0)\n\t sd $12, 80(%1)\n\t"  /* dword @3 */
        "li $13, -1\n\t ldr $13, 5(%0)\n\t sd $13, 88(%1)\n\t"
        "ld $8, 0(%2)\n\t"
        "sb $8, 16(%0)\n\t sh $8, 18(%0)\n\t sw $8, 20(%0)\n\t sd $8, 24(%0)\n\t"
        "ld $12, 16(%0)\n\t ld $13, 24(%0)\n\t sd $12, 96(%1)\n\t sd $13, 104(%1)\n\t"
        "sd $0, 16(%0)\n\t sd $0, 24(%0)\n\t"
        "swl $8, 17(%0)\n\t swr $8, 20(%0)\n\t ld $12, 16(%0)\n\t sd $12, 112(%1)\n\t"
        "sd $0, 16(%0)\n\t"
        "sdl $8, 19(%0)\n\t sdr $8, 26(%0)\n\t ld $12, 16(%0)\n\t ld $13, 24(%0)\n\t"
        "sd $12, 120(%1)\n\t sd $13, 128(%1)\n\t"
        "sd $0, 16(%0)\n\t sd $0, 24(%0)\n\t"
        "swr $8, 22(%0)\n\t sdl $8, 29(%0)\n\t ld $12, 16(%0)\n\t ld $13, 24(%0)\n\t"
        "sd $12, 136(%1)\n\t sd $13, 144(%1)",
        : : "r"(buf), "r"(out), "r"(in) : CLOBBERS);
}

static void llsc(isa_u64 *out)
{
    static isa_u64 cell[2] __attribute__((aligned(16)));
    cell[0] = 0x1111111122222222ull;
    cell[1] = 5;
    ASM("ll $12, 0(%0)\n\t addiu $13, $12, 1\n\t sc $13, 0(%0)\n\t"
        "sd $12, 0(%1)\n\t sd $13, 8(%1)\n\t ld $14, 0(%0)\n\t sd $14, 16(%1)\n\t"
        "lld $12, 8(%0)\n\t daddiu $13, $12, 10\n\t scd $13, 8(%0)\n\t"
        "sd $12, 24(%1)\n\t sd $13, 32(%1)\n\t ld $14, 8(%0)\n\t sd $14, 40(%1)\n\t"
        /* an atomic-increment loop as a compiler would write it */
        "li $15, 0\n"
        "1:\t ll $12, 12(%0)\n\t addiu $12, $12, 3\n\t sc $12, 12(%0)\n\t"
        "beqz $12, 1b\n\t nop\n\t addiu $15, $15, 1\n\t sltiu $13, $15, 4\n\t"
        "bnez $13, 1b\n\t nop\n\t"
        "ld $14, 8(%0)\n\t sd $14, 48(%1)",
        : : "r"(cell), "r"(out) : CLOBBERS);
}

/* Branches: each result is a bit mask of which instructions ran (delay slots included). */
static void branches(isa_u64 *out)
{
    ASM("ld $8, 0(%0)\n\t ld $9, 8(%0)\n\t li $10, 0\n\t li $11, -5\n\t"
        "li $12, 0\n\t"
        "beq $8, $8, 1f\n\t ori $12, $12, 1\n\t ori $12, $12, 2\n"
        "1:\t bne $8, $8, 2f\n\t ori $12, $12, 4\n\t ori $12, $12, 8\n"
        "2:\t blez $10, 3f\n\t ori $12, $12, 0x10\n\t ori $12, $12, 0x20\n"
        "3:\t bgtz $10, 4f\n\t ori $12, $12, 0x40\n\t ori $12, $12, 0x80\n"
        "4:\t bltz $11, 5f\n\t ori $12, $12, 0x100\n\t ori $12, $12, 0x200\n"
        "5:\t bgez $11, 6f\n\t ori $12, $12, 0x400\n\t ori $12, $12, 0x800\n"
        "6:\t bltz $9, 7f\n\t ori $12, $12, 0x1000\n\t ori $12, $12, 0x2000\n"   /* 64-bit sign */
        "7:\t sd $12, 0(%1)\n\t"
        "li $12, 0\n\t"
        "beql $8, $8, 1f\n\t ori $12, $12, 1\n\t ori $12, $12, 2\n"
        "1:\t bnel $8, $8, 2f\n\t ori $12, $12, 4\n\t ori $12, $12, 8\n"
        "2:\t blezl $11, 3f\n\t ori $12, $12, 0x10\n\t ori $12, $12, 0x20\n"
        "3:\t bgtzl $11, 4f\n\t ori $12, $12, 0x40\n\t ori $12, $12, 0x80\n"
        "4:\t bltzl $10, 5f\n\t ori $12, $12, 0x100\n\t ori $12, $12, 0x200\n"
        "5:\t bgezl $10, 6f\n\t ori $12, $12, 0x400\n\t ori $12, $12, 0x800\n"
        "6:\t sd $12, 8(%1)\n\t"
        /* links: bgezal/bltzal/jalr store the address after the delay slot; measured against
         * a later BAL so the values do not depend on where the code sits */
        "move $15, $31\n\t"
        "bgezal $10, 1f\n\t nop\n"
        "0:\t nop\n"
        "1:\t move $14, $31\n\t bal 2f\n\t nop\n"
        "2:\t dsubu $14, $31, $14\n\t sd $14, 16(%1)\n\t"
        "bltzal $10, 3f\n\t nop\n"
        "3:\t move $14, $31\n\t bal 4f\n\t nop\n"
        "4:\t dsubu $14, $31, $14\n\t sd $14, 24(%1)\n\t"
        "bal 5f\n\t nop\n"
        "5:\t move $13, $31\n\t daddiu $13, $13, 20\n\t jalr $12, $13\n\t nop\n\t"
        "ori $12, $12, 1\n\t"                       /* skipped by the jump */
        "dsubu $14, $12, $31\n\t sd $14, 32(%1)\n\t"
        "move $31, $15",
        : : "r"(in), "r"(out) : CLOBBERS, "$31");
}

static void movcond(isa_u64 *out)
{
    ASM(".set mips4\n\t""ld $8, 0(%0)\n\t ld $9, 8(%0)\n\t li $10, 0\n\t"
        "move $12, $8\n\t movz $12, $9, $10\n\t sd $12, 0(%1)\n\t"
        "move $12, $8\n\t movn $12, $9, $10\n\t sd $12, 8(%1)\n\t"
        "move $12, $8\n\t movn $12, $9, $9\n\t sd $12, 16(%1)",
        : : "r"(in), "r"(out) : CLOBBERS);
}

const struct isa_group isa_user_groups[] = {
    { "alu64", 29, alu64 },
    { "muldiv", 18, muldiv },
    { "loadstore", 19, loadstore },
    { "llsc", 7, llsc },
    { "branch", 5, branches },
    { "movcond", 3, movcond },    /* MIPS IV: R5000/R7000 */
};
const int isa_user_ngroups = sizeof(isa_user_groups) / sizeof(isa_user_groups[0]);
