// Native reference for the FP32 FMA peak (issue: a probe that a kernel beats is no peak). Twelve independent FMA chains
// per width — at least latency (4) × FMA ports (2) on Zen 4, Zen 5 and Intel Xeon, with room — in registers, compiled by
// gcc; one thread; the best of several timed runs. bench/run.sh runs it just before BenchmarkDotNet and writes
// bench/native-peak.json, which the report prints beside the C# probe (PeakBenchmarks) and divides by the higher of the two.
// Build and run: gcc -O2 -mavx512f -mfma -o fma-peak bench/native/fma-peak.c && ./fma-peak
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#define ITERATIONS 20000000L
#define RUNS 7

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

#define CHAINS12(FMA, T) \
    T a0 = one, a1 = one, a2 = one, a3 = one, a4 = one, a5 = one, a6 = one, a7 = one, a8 = one, a9 = one, a10 = one, a11 = one; \
    for (long i = 0; i < ITERATIONS; i++) { \
        a0 = FMA(m, add, a0); a1 = FMA(m, add, a1); a2 = FMA(m, add, a2); a3 = FMA(m, add, a3); \
        a4 = FMA(m, add, a4); a5 = FMA(m, add, a5); a6 = FMA(m, add, a6); a7 = FMA(m, add, a7); \
        a8 = FMA(m, add, a8); a9 = FMA(m, add, a9); a10 = FMA(m, add, a10); a11 = FMA(m, add, a11); \
        __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5)); \
        __asm__ volatile("" : "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11)); \
    }

__attribute__((noipa)) static float chains512(void)
{
    const __m512 m = _mm512_set1_ps(0.999999f), add = _mm512_set1_ps(1e-7f), one = _mm512_set1_ps(1.0f);
    CHAINS12(_mm512_fmadd_ps, __m512)
    return _mm512_reduce_add_ps(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
}

__attribute__((noipa)) static float chains256(void)
{
    const __m256 m = _mm256_set1_ps(0.999999f), add = _mm256_set1_ps(1e-7f), one = _mm256_set1_ps(1.0f);
    CHAINS12(_mm256_fmadd_ps, __m256)
    __m256 s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    return lanes[0] + lanes[7];
}

static double best(float (*run)(void), int lanes)
{
    double fastest = 1e30;
    volatile float sink = 0;
    for (int r = 0; r < RUNS; r++)
    {
        double start = now();
        sink += run();
        double elapsed = now() - start;
        if (elapsed < fastest) fastest = elapsed;
    }
    (void)sink;
    return ITERATIONS * 12.0 * lanes * 2 / fastest / 1e9;
}

int main(void)
{
    double g512 = best(chains512, 16), g256 = best(chains256, 8);
    printf("{\"fma512_gflops\": %.1f, \"fma256_gflops\": %.1f, \"source\": \"bench/native/fma-peak.c (gcc, 12 chains, best of %d)\"}\n", g512, g256, RUNS);
    return 0;
}
