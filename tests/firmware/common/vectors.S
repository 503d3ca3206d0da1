/* Our own exception vectors (used once the firmware clears Status.BEV).
 * The stubs are copied to 0x80000000 (TLB refill) and 0x80000180 (general); both save the
 * full 64-bit register file in a struct frame (fw.h) on the current stack, call
 * exc_dispatch(frame), restore (EPC and Status from the frame, so a handler can change
 * them) and ERET. */
    .set    noreorder
    .set    noat
    .set    mips3

#define FRAME_REGS   0
#define FRAME_HI     256
#define FRAME_LO     264
#define FRAME_EPC    272
#define FRAME_CAUSE  276
#define FRAME_STATUS 280
#define FRAME_BADV   284
#define FRAME_VECTOR 288
#define FRAME_SIZE   296
#define STACK_ROOM   (FRAME_SIZE + 16 + 8)   /* o32 argument area, 8-byte alignment */

    .text
    .globl  exc_vec_refill
    .globl  exc_vec_general
    .globl  exc_vec_end
exc_vec_refill:
    lui     $k0, %hi(exc_common)
    addiu   $k0, $k0, %lo(exc_common)
    jr      $k0
    li      $k1, 1
exc_vec_general:
    lui     $k0, %hi(exc_common)
    addiu   $k0, $k0, %lo(exc_common)
    jr      $k0
    li      $k1, 0
exc_vec_end:

    .globl  exc_common
    .ent    exc_common
exc_common:
    move    $k0, $sp
    addiu   $sp, $sp, -STACK_ROOM
    sd      $1, 16+8*1($sp)
    sd      $2, 16+8*2($sp)
    sd      $3, 16+8*3($sp)
    sd      $4, 16+8*4($sp)
    sd      $5, 16+8*5($sp)
    sd      $6, 16+8*6($sp)
    sd      $7, 16+8*7($sp)
    sd      $8, 16+8*8($sp)
    sd      $9, 16+8*9($sp)
    sd      $10, 16+8*10($sp)
    sd      $11, 16+8*11($sp)
    sd      $12, 16+8*12($sp)
    sd      $13, 16+8*13($sp)
    sd      $14, 16+8*14($sp)
    sd      $15, 16+8*15($sp)
    sd      $16, 16+8*16($sp)
    sd      $17, 16+8*17($sp)
    sd      $18, 16+8*18($sp)
    sd      $19, 16+8*19($sp)
    sd      $20, 16+8*20($sp)
    sd      $21, 16+8*21($sp)
    sd      $22, 16+8*22($sp)
    sd      $23, 16+8*23($sp)
    sd      $24, 16+8*24($sp)
    sd      $25, 16+8*25($sp)
    sd      $zero, 16+8*26($sp)
    sd      $zero, 16+8*27($sp)
    sd      $28, 16+8*28($sp)
    sd      $k0, 16+8*29($sp)          /* the interrupted sp */
    sd      $30, 16+8*30($sp)
    sd      $31, 16+8*31($sp)
    sd      $zero, 16($sp)
    mfhi    $t0
    sd      $t0, 16+FRAME_HI($sp)
    mflo    $t0
    sd      $t0, 16+FRAME_LO($sp)
    mfc0    $t0, $14
    sw      $t0, 16+FRAME_EPC($sp)
    mfc0    $t0, $13
    sw      $t0, 16+FRAME_CAUSE($sp)
    mfc0    $t0, $12
    sw      $t0, 16+FRAME_STATUS($sp)
    mfc0    $t0, $8
    sw      $t0, 16+FRAME_BADV($sp)
    sw      $k1, 16+FRAME_VECTOR($sp)
    jal     exc_dispatch
    addiu   $a0, $sp, 16

    lw      $t0, 16+FRAME_EPC($sp)
    mtc0    $t0, $14
    lw      $t0, 16+FRAME_STATUS($sp)
    ori     $t0, $t0, 2                /* keep EXL until the ERET */
    mtc0    $t0, $12
    ld      $t0, 16+FRAME_HI($sp)
    mthi    $t0
    ld      $t0, 16+FRAME_LO($sp)
    mtlo    $t0
    ld      $1, 16+8*1($sp)
    ld      $2, 16+8*2($sp)
    ld      $3, 16+8*3($sp)
    ld      $4, 16+8*4($sp)
    ld      $5, 16+8*5($sp)
    ld      $6, 16+8*6($sp)
    ld      $7, 16+8*7($sp)
    ld      $8, 16+8*8($sp)
    ld      $9, 16+8*9($sp)
    ld      $10, 16+8*10($sp)
    ld      $11, 16+8*11($sp)
    ld      $12, 16+8*12($sp)
    ld      $13, 16+8*13($sp)
    ld      $14, 16+8*14($sp)
    ld      $15, 16+8*15($sp)
    ld      $16, 16+8*16($sp)
    ld      $17, 16+8*17($sp)
    ld      $18, 16+8*18($sp)
    ld      $19, 16+8*19($sp)
    ld      $20, 16+8*20($sp)
    ld      $21, 16+8*21($sp)
    ld      $22, 16+8*22($sp)
    ld      $23, 16+8*23($sp)
    ld      $24, 16+8*24($sp)
    ld      $25, 16+8*25($sp)
    ld      $28, 16+8*28($sp)
    ld      $30, 16+8*30($sp)
    ld      $31, 16+8*31($sp)
    ld      $sp, 16+8*29($sp)
    eret
    nop
    .end    exc_common
