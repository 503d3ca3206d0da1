/* The console firmware's large initialised data (made by gen_bigdata.py at build time). */
    .section .bigdata, "aw"
    .align  12
    .globl  bigdata_start
    .globl  bigdata_end
bigdata_start:
    .incbin "bigdata.bin"
bigdata_end:
