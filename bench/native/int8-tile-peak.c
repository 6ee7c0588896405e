// Native cross-check of the int8 peak (Int8PeakBenchmarks): the Avx512BW register tile — VPMADDUBSW + VPMADDWD (× ones) +
// VPADDD, 8 rows × 2 zmm of weights — over 96 groups of L1-resident data, compiled by gcc. If the C# probe read much less
// than this loop, the probe (and every "% of the int8 peak") would be wrong. Measured on Zen 4: 227–232 GOP/s, C# probe 230.
// A 12-row version spilled accumulators under gcc -O2 (166–180 GOP/s), so 8 rows is the fair native shape.
// Build and run: gcc -O2 -mavx512f -mavx512bw -o int8-tile-peak bench/native/int8-tile-peak.c && ./int8-tile-peak
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define GROUPS 96
#define ROWS 8

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

__attribute__((noipa)) static int tile(const uint8_t* a, const int8_t* w)
{
    const int lda = GROUPS * 4;
    const __m512i ones = _mm512_set1_epi16(1);
    __m512i a0 = _mm512_setzero_si512(), b0 = a0; __m512i a1 = _mm512_setzero_si512(), b1 = a1; __m512i a2 = _mm512_setzero_si512(), b2 = a2; __m512i a3 = _mm512_setzero_si512(), b3 = a3; __m512i a4 = _mm512_setzero_si512(), b4 = a4; __m512i a5 = _mm512_setzero_si512(), b5 = a5; __m512i a6 = _mm512_setzero_si512(), b6 = a6; __m512i a7 = _mm512_setzero_si512(), b7 = a7;
    for (int g = 0; g < GROUPS; g++, a += 4, w += 64)
    {
        __m512i w0 = _mm512_load_si512((const void*)w), w1 = _mm512_load_si512((const void*)(w + GROUPS * 64)), x;
        x = _mm512_set1_epi32(*(const int*)(a + 0 * lda)); a0 = _mm512_add_epi32(a0, _mm512_madd_epi16(_mm512_maddubs_epi16(x, w0), ones)); b0 = _mm512_add_epi32(b0, _mm512_madd_epi16(_mm512_maddubs_epi16(x, w1), ones));
        x = _mm512_set1_epi32(*(const int*)(a + 1 * lda)); a1 = _mm512_add_epi32(a1, _mm512_madd_epi16(_mm512_maddubs_epi16(x, w0), ones)); b1 = _mm512_add_epi32(b1, _mm512_madd_epi16(_mm512_maddubs_epi16(x, w1), ones));
        x = _mm512_set1_epi32(*(const int*)(a + 2 * lda)); a2 = _mm512_add_epi32(a2, _mm512_madd_epi16(_mm512_maddubs_epi16(x, w0), ones)); b2 = _mm512_add_epi32(b2, _mm512_madd_epi16(_mm512_maddubs_epi16(x, w1), ones));
        x = _mm512_set1_epi32(*(const int*)(a + 3 * lda)); a3 = _mm512_add_epi32(a3, _mm512_madd_epi16(_mm512_maddubs_epi16(x, w0), ones)); b3 = _mm512_add_epi32(b3, _mm512_madd_epi16(_mm512_maddubs_epi16(x, w1), ones));
        x = _mm512_set1_epi32(*(const int*)(a + 4 * lda)); a4 = _mm512_add_epi32(a4, _mm512_madd_epi16(_mm512_maddubs_epi16(x, w0), ones)); b4 = _mm512_add_epi32(b4, _mm512_madd_epi16(_mm512_maddubs_epi16(x, w1), ones));
        x = _mm512_set1_epi32(*(const int*)(a + 5 * lda)); a5 = _mm512_add_epi32(a5, _mm512_madd_epi16(_mm512_maddubs_epi16(x, w0), ones)); b5 = _mm512_add_epi32(b5, _mm512_madd_epi16(_mm512_maddubs_epi16(x, w1), ones));
        x = _mm512_set1_epi32(*(const int*)(a + 6 * lda)); a6 = _mm512_add_epi32(a6, _mm512_madd_epi16(_mm512_maddubs_epi16(x, w0), ones)); b6 = _mm512_add_epi32(b6, _mm512_madd_epi16(_mm512_maddubs_epi16(x, w1), ones));
        x = _mm512_set1_epi32(*(const int*)(a + 7 * lda)); a7 = _mm512_add_epi32(a7, _mm512_madd_epi16(_mm512_maddubs_epi16(x, w0), ones)); b7 = _mm512_add_epi32(b7, _mm512_madd_epi16(_mm512_maddubs_epi16(x, w1), ones));
    }
    return _mm512_reduce_add_epi32(_mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0, b0), a1), b1), a2), b2), a3), b3), a4), b4), a5), b5), a6), b6), a7), b7));
}

int main(void)
{
    uint8_t* a = aligned_alloc(64, ROWS * GROUPS * 4);
    int8_t* w = aligned_alloc(64, 2 * GROUPS * 64);
    for (int i = 0; i < ROWS * GROUPS * 4; i++) a[i] = (uint8_t)(i * 7);
    for (int i = 0; i < 2 * GROUPS * 64; i++) w[i] = (int8_t)(i * 13 % 127 - 63);
    for (int repetition = 0; repetition < 5; repetition++)
    {
        const long passes = 400000;
        int sum = 0;
        double start = now();
        for (long p = 0; p < passes; p++) sum += tile(a, w);
        double seconds = now() - start;
        printf("native int8 tile (Avx512BW, %d×32): %.1f GOP/s (checksum %d)\n", ROWS, passes * (double)GROUPS * ROWS * 2 * 64 * 2 / seconds / 1e9, sum);
    }
    return 0;
}
