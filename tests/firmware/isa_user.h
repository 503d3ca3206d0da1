/* User-level ISA checks: each fills result words from explicit instruction sequences.
 * Built twice: into isa.elf (o32, bare metal) and as a Linux program run under qemu-mips64,
 * whose output is isa_expected.h. Inline assembly works through memory (ld/sd on a pointer)
 * so it means the same under both ABIs. */
#ifndef ISA_USER_H
#define ISA_USER_H

typedef unsigned long long isa_u64;

struct isa_group {
    const char *name;
    int count;                                 /* result words */
    void (*run)(isa_u64 *out);
};

extern const struct isa_group isa_user_groups[];
extern const int isa_user_ngroups;

#define ISA_MAX_RESULTS 48

#endif
