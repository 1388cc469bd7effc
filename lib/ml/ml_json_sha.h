/* SPDX-License-Identifier: BSD-3-Clause
 * The JSON shape scan (ml_json.h) as a body pass of the HMAC (lib/verify/vsha256.h): each
 * 64-byte block of the body is hashed and scanned in one loop, so that the scan runs in the
 * shadow of SHA-256's dependency chain instead of after it. The same result as
 * hp_ml_json_shape_* over the whole body: the state is a stream, and the bytes that do not come
 * as whole blocks (before the body's first whole SHA block, after its last) are scanned as
 * zero-padded blocks (zeros mean nothing to the scan), or byte by byte where they end in a
 * backslash (an escape it starts must not be used up by the padding; any other escape ends
 * inside the bytes, and a block that starts escaped goes through the byte loop anyway).
 *
 * hp_ml_json_sha_pick: the version for the CPU (the same choice as hp_ml_json_pick), or NULL
 * where the CPU has no SHA-NI (the HMAC is then OpenSSL's and the scan runs on its own).
 * Equality with the reference: tests/unit/test_vsha256.c.
 */
#ifndef HP_ML_JSON_SHA_H
#define HP_ML_JSON_SHA_H

#include "ml_json.h"
#include "vsha256.h"

struct hp_ml_json_sha {
	const char *name;
	void (*blocks)(void *arg, uint32_t st[8], const uint8_t *p, size_t nb);
	void (*bytes)(void *arg, const uint8_t *p, size_t n);
};

#if defined(HP_ML_JSON_X86) && defined(HP_VSHA256_X86)

#define HP_ML_JSON_SHA_BLOCKS(isa, block, tgt)                                                        \
	static __attribute__((target(tgt), unused)) void hp_ml_json_sha_blocks_##isa(              \
		void *arg, uint32_t st[8], const uint8_t *p, size_t nb)                            \
	{                                                                                          \
		struct hp_ml_json_state *s = arg;                                                  \
		__m128i abef = _mm_loadu_si128((const __m128i *)(const void *)st);                 \
		__m128i cdgh = _mm_loadu_si128((const __m128i *)(const void *)(st + 4));           \
                                                                                                   \
		for (size_t i = 0; i < nb; i++) {                                                  \
			hp_vsha256_ni_block(&abef, &cdgh, p + 64 * i);                             \
			block(s, p + 64 * i);                                                      \
		}                                                                                  \
		_mm_storeu_si128((__m128i *)(void *)st, abef);                                     \
		_mm_storeu_si128((__m128i *)(void *)(st + 4), cdgh);                               \
	}

#define HP_ML_JSON_SHA_BYTES(isa, block, tgt)                                                      \
	static __attribute__((target(tgt), unused)) void hp_ml_json_sha_bytes_##isa(               \
		void *arg, const uint8_t *p, size_t n)                                             \
	{                                                                                          \
		struct hp_ml_json_state *s = arg;                                                  \
		uint8_t b[64] = {0};                                                               \
                                                                                                   \
		if (n == 0)                                                                        \
			return;                                                                    \
		if (p[n - 1] == '\\') {                                                            \
			for (size_t i = 0; i < n; i++)                                             \
				hp_ml_json_byte(s, p[i]);                                          \
			return;                                                                    \
		}                                                                                  \
		memcpy(b, p, n);                                                                   \
		block(s, b);                                                                       \
	}

#define HP_ML_JSON_SHA_AVX512 "sha,sse4.1,ssse3,avx512bw,pclmul,popcnt,bmi"
#define HP_ML_JSON_SHA_AVX2   "sha,sse4.1,ssse3,avx2,pclmul,popcnt,bmi"
#define HP_ML_JSON_SHA_SSE2   "sha,sse4.1,ssse3,popcnt"
HP_ML_JSON_SHA_BLOCKS(avx512, hp_ml_json_block_avx512, HP_ML_JSON_SHA_AVX512)
HP_ML_JSON_SHA_BLOCKS(avx2, hp_ml_json_block_avx2, HP_ML_JSON_SHA_AVX2)
HP_ML_JSON_SHA_BYTES(avx2, hp_ml_json_block_avx2, HP_ML_JSON_SHA_AVX2)
HP_ML_JSON_SHA_BLOCKS(sse2, hp_ml_json_block_sse2, HP_ML_JSON_SHA_SSE2)
HP_ML_JSON_SHA_BYTES(sse2, hp_ml_json_block_sse2, HP_ML_JSON_SHA_SSE2)

/* AVX-512: the n bytes by a masked load (the bytes past them are not read), no copy. */
static __attribute__((target(HP_ML_JSON_SHA_AVX512), unused)) void
hp_ml_json_sha_bytes_avx512(void *arg, const uint8_t *p, size_t n)
{
	struct hp_ml_json_state *s = arg;

	if (n == 0)
		return;
	if (p[n - 1] == '\\') {
		for (size_t i = 0; i < n; i++)
			hp_ml_json_byte(s, p[i]);
		return;
	}
	hp_ml_json_block_avx512_v(s, _mm512_maskz_loadu_epi8((__mmask64)((1ULL << n) - 1), p));
}

/* Where the HMAC is vsha256's: the fused version of the scan hp_ml_json_pick would give. */
static inline const struct hp_ml_json_sha *
hp_ml_json_sha_pick(void)
{
	static const struct hp_ml_json_sha v[] = {
		{"avx512bw+sha", hp_ml_json_sha_blocks_avx512, hp_ml_json_sha_bytes_avx512},
		{"avx2+sha", hp_ml_json_sha_blocks_avx2, hp_ml_json_sha_bytes_avx2},
		{"sse2+sha", hp_ml_json_sha_blocks_sse2, hp_ml_json_sha_bytes_sse2},
	};
	const char *name;
	hp_ml_json_fn fn;

	if (!hp_vsha256_ni_usable())
		return NULL;
	fn = hp_ml_json_pick(&name);
	if (fn == hp_ml_json_shape_avx512)
		return &v[0];
	if (fn == hp_ml_json_shape_avx2)
		return &v[1];
	return &v[2];
}

#else

static inline const struct hp_ml_json_sha *
hp_ml_json_sha_pick(void)
{
	return NULL;
}

#endif

#endif /* HP_ML_JSON_SHA_H */
