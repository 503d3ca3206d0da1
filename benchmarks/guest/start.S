/* Bare-metal entry at 0x80008000: clear .bss, set a stack, run, report the 64-bit
 * result with a store to the device window at physical 0x1f000000, then BREAK. */
        .set noreorder
        .text
        .globl _start
_start:
        lui     $t0, %hi(__bss_start)
        addiu   $t0, $t0, %lo(__bss_start)
        lui     $t1, %hi(_end)
        addiu   $t1, $t1, %lo(_end)
1:      sltu    $t2, $t0, $t1
        beqz    $t2, 2f
        nop
        sb      $zero, 0($t0)
        b       1b
        addiu   $t0, $t0, 1
2:      lui     $sp, 0x8040
        jal     bench_main
        nop
        lui     $t0, 0xbf00
        sd      $v0, 0($t0)
        break
3:      b       3b
        nop
