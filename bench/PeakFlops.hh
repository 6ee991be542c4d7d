#pragma once
// Measured peak arithmetic rate of one core: independent chains of 512-bit
// FMAs (fp32) or bf16 dot products (vdpbf16ps), long enough to hide latency.
// The denominator of "fraction of peak" in docs/benchmarks.md: the VM
// reports a nominal clock only and no cycle counters.
#include <immintrin.h>

#include <chrono>

namespace calo::bench
{
//! fp32 FLOP/s of one thread (2 per multiply-add); 0 where AVX-512 is absent.
__attribute__((target("avx512f"))) inline double peak_fp32_flops_avx512()
{
    __m512 acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(0.001f * i);
    __m512 const a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-6f);
    long const iterations = 20'000'000;
    auto const start = std::chrono::steady_clock::now();
    for (long n = 0; n < iterations; ++n)
        for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    double const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    float sink = 0;
    for (int i = 0; i < 12; ++i) sink += _mm512_reduce_add_ps(acc[i]);
    return sink == 12345.678f ? 0 : 2.0 * 16 * 12 * iterations / seconds;
}

//! bf16 FLOP/s of one thread (2 per multiply-add, 32 per vdpbf16ps); 0 without AVX512-BF16.
__attribute__((target("avx512f,avx512bf16"))) inline double peak_bf16_flops_avx512()
{
    __m512 acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(0.001f * i);
    __m512bh const a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3380);
    long const iterations = 20'000'000;
    auto const start = std::chrono::steady_clock::now();
    for (long n = 0; n < iterations; ++n)
        for (int i = 0; i < 12; ++i) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
    double const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    float sink = 0;
    for (int i = 0; i < 12; ++i) sink += _mm512_reduce_add_ps(acc[i]);
    return sink == 12345.678f ? 0 : 2.0 * 32 * 12 * iterations / seconds;
}

inline double peak_fp32_flops()
{
    return __builtin_cpu_supports("avx512f") ? peak_fp32_flops_avx512() : 0.0;
}

inline double peak_bf16_flops()
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16") ? peak_bf16_flops_avx512() : 0.0;
}
}  // namespace calo::bench
