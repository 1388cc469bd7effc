/* SPDX-License-Identifier: BSD-3-Clause
 * Small SSE2 helpers for the byte scans of short spans (Host, paths, header names): loads that
 * never read past the span, and a case-insensitive compare. Every x86-64 has SSE2; elsewhere
 * HP_SIMD_SSE2 is not defined and the callers keep their byte loops.
 */
#ifndef HP_SIMD_H
#define HP_SIMD_H

#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>

#define HP_SIMD_SSE2 1

static inline __m128i
hp_load16(const void *p)
{
	return _mm_loadu_si128((const __m128i *)p);
}

/* p[0..n) for 8 <= n <= 16 in one vector: p[0..8) in lanes 0-7, p[n-8..n) in lanes 8-15 (two
 * loads inside the span, never past it). */
static inline __m128i
hp_load_8_16(const void *p, uint32_t n)
{
	uint64_t lo, hi;

	memcpy(&lo, p, 8);
	memcpy(&hi, (const uint8_t *)p + n - 8, 8);
	return _mm_set_epi64x((long long)hi, (long long)lo);
}

/* A lane mask of hp_load_8_16(p, n) as a mask of positions 0..n-1. */
static inline uint32_t
hp_pos_8_16(uint32_t m, uint32_t n)
{
	return (m & 0xffu) | ((m >> 8) << (n - 8));
}

/* Lanes where a, ASCII letters lowered, equals b. */
static inline uint32_t
hp_lower_eq(__m128i a, __m128i b)
{
	__m128i up = _mm_and_si128(_mm_cmpgt_epi8(a, _mm_set1_epi8('A' - 1)),
				   _mm_cmplt_epi8(a, _mm_set1_epi8('Z' + 1)));

	return (uint32_t)_mm_movemask_epi8(
		_mm_cmpeq_epi8(_mm_or_si128(a, _mm_and_si128(up, _mm_set1_epi8(0x20))), b));
}

/* Whether a[0..n), ASCII letters lowered, equals b[0..n), for n >= 8 (b already lower case). */
static inline int
hp_lower_eq_n(const void *a, const void *b, uint32_t n)
{
	uint32_t i;

	if (n <= 16)
		return hp_lower_eq(hp_load_8_16(a, n), hp_load_8_16(b, n)) == 0xffff;
	for (i = 0; i + 16 <= n; i += 16)
		if (hp_lower_eq(hp_load16((const uint8_t *)a + i),
				hp_load16((const uint8_t *)b + i)) != 0xffff)
			return 0;
	return i == n || hp_lower_eq(hp_load16((const uint8_t *)a + n - 16),
				     hp_load16((const uint8_t *)b + n - 16)) == 0xffff;
}
#endif

#endif
