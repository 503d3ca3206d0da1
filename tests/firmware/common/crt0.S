/* Shared startup for the test firmware (boot contract: docs/C7200.md).
 * Entered at 0x80008000 with sp = (entry - 64) & ~7 and ra = a return address in the ROM.
 * Saves both, zeroes .bss (the loader already did: doing it again keeps the image honest when
 * started some other way), switches to our own stack, calls main, and returns main's value
 * to the ROM through the saved ra with the ROM's sp. */
    .set    noreorder
    .set    mips3
    .section .text.start, "ax"
    .globl  _start
    .ent    _start
_start:
    la      $t0, rom_sp
    sw      $sp, 0($t0)
    la      $t0, rom_ra
    sw      $ra, 0($t0)
    la      $t0, __bss_start
    la      $t1, __bss_end
1:  beq     $t0, $t1, 2f
    nop
    sw      $zero, 0($t0)
    b       1b
    addiu   $t0, $t0, 4
2:  la      $sp, __stack_top
    jal     main
    addiu   $sp, $sp, -32           /* o32: room for the callee's argument save area */
    .globl  return_to_rom
return_to_rom:
    la      $t0, rom_sp
    lw      $sp, 0($t0)
    la      $t0, rom_ra
    lw      $ra, 0($t0)
    jr      $ra
    nop
    .end    _start

    .data
    .align  2
    .globl  rom_sp
    .globl  rom_ra
rom_sp: .word 0
rom_ra: .word 0
