/* Deterministic CPU benchmark workload for the pydynamips MIPS64 core.
 * Built twice from this one source: bare-metal (start.S, raw image at 0x80008000) for the
 * emulator and as a Linux program (-DHOSTED) whose printed checksum is the expected value. */
#include <stdint.h>

#define N 512
static uint64_t arr[N];
static uint32_t crc_table[256];
static uint64_t rng_state;

static uint64_t xorshift(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x;
}

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32(const uint8_t *p, int len, uint32_t crc)
{
    crc = ~crc;
    while (len--)
        crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static void __attribute__((noinline)) quicksort(uint64_t *a, int lo, int hi)
{
    while (lo < hi) {
        uint64_t pivot = a[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                uint64_t t = a[i]; a[i] = a[j]; a[j] = t;
                i++; j--;
            }
        }
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
}

static uint64_t __attribute__((noinline)) arith(uint64_t a, uint64_t b)
{
    int64_t s = (int64_t)a;
    uint64_t r = a * b + (a >> 3);
    r ^= (b | 1) ? a / (b | 1) : 0;
    r += (uint64_t)(s / (int64_t)((b & 0xffff) | 3));
    r += (uint32_t)a * (uint32_t)b;
    r -= (uint64_t)((int32_t)a % (int32_t)((b & 0xff) | 5));
    return r;
}

static uint32_t __attribute__((noinline)) mix32(const uint64_t *a, int n)
{
    int32_t acc = 0;     /* 32-bit multiply: SPECIAL2 MUL when built for the RM7000 */
    for (int i = 0; i < n; i++)
        acc += (int32_t)a[i] * (int32_t)(a[i] >> 32);
    return (uint32_t)acc;
}

uint64_t run_bench(int rounds)
{
    uint64_t sum = 0;
    uint32_t crc = 0;
    rng_state = 0x9E3779B97F4A7C15ull;
    crc_init();
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < N; i++)
            arr[i] = xorshift() >> (r & 15);
        quicksort(arr, 0, N - 1);
        for (int i = 1; i < N; i++)
            if (arr[i - 1] > arr[i])
                sum += 0x1000000;       /* never: the sort is checked */
        crc = crc32((const uint8_t *)arr, sizeof arr, crc);
        for (int i = 0; i < N; i += 2)
            sum += arith(arr[i], arr[i + 1]);
        sum += mix32(arr, N);
        sum = (sum << 7 | sum >> 57) ^ crc;
    }
    return sum;
}

#ifndef ROUNDS
#define ROUNDS 2500
#endif

#ifdef HOSTED
#include <stdio.h>
int main(void)
{
    printf("0x%016llx\n", (unsigned long long)run_bench(ROUNDS));
    return 0;
}
#else
uint64_t bench_main(void)
{
    return run_bench(ROUNDS);
}
#endif
