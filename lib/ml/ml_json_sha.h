/* SPDX-License-Identifier: BSD-3-Clause
 * The JSON shape scan (ml_json.h) as a body pass of the HMAC (lib/verify/vsha256.h): one loop
 * hashes a SHA-256 block and scans a 64-byte block of the body, so that the scan runs in the
 * shadow of SHA-256's dependency chain instead of after it. The scan takes the body from its
 * first byte in its own 64-byte steps (the hash's blocks fall where the signed prefix puts
 * them), the same blocks as hp_ml_json_shape_*; the steps left when the hash's whole blocks
 * run out (one at most) follow, then the tail, zero-padded like theirs (zeros mean nothing to
 * the scan; an escape the body's last byte starts has nothing left to escape).
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
	void (*run)(const struct hp_vbody_pass *pass, uint32_t st[8], const uint8_t *p, size_t nb);
};

#if defined(HP_ML_JSON_X86) && defined(HP_VSHA256_X86)

/* nb SHA blocks at p, each followed by the body's next JSON block; the JSON blocks left (at
 * most one whole, then the tail). */
#define HP_ML_JSON_SHA_RUN(isa, block, tail, tgt)                                                  \
	static __attribute__((target(tgt), unused)) void hp_ml_json_sha_run_##isa(                 \
		const struct hp_vbody_pass *ps, uint32_t st[8], const uint8_t *p, size_t nb)       \
	{                                                                                          \
		struct hp_ml_json_state *s = ps->arg;                                              \
		const uint8_t *b = ps->body, *p2 = b + ps->also_at;                                \
		size_t nj = ps->len / 64, nb2 = hp_vbody_also_blocks(ps), i = 0, j;                \
		__m128i abef = _mm_loadu_si128((const __m128i *)(const void *)st);                 \
		__m128i cdgh = _mm_loadu_si128((const __m128i *)(const void *)(st + 4));           \
                                                                                                   \
		if (nb2 != 0) { /* the second chain's blocks beside the HMAC's */                  \
			uint32_t *st2 = ps->also->st;                                              \
			__m128i abef2 = _mm_loadu_si128((const __m128i *)(const void *)st2);       \
			__m128i cdgh2 = _mm_loadu_si128((const __m128i *)(const void *)(st2 + 4)); \
                                                                                                   \
			for (; i < nb && i < nb2; i++) {                                           \
				hp_vsha256_ni_block(&abef, &cdgh, p + 64 * i);                     \
				hp_vsha256_ni_block(&abef2, &cdgh2, p2 + 64 * i);                  \
				block(s, b + 64 * i);                                              \
			}                                                                          \
			for (j = i; j < nb2; j++)                                                  \
				hp_vsha256_ni_block(&abef2, &cdgh2, p2 + 64 * j);                  \
			_mm_storeu_si128((__m128i *)(void *)st2, abef2);                           \
			_mm_storeu_si128((__m128i *)(void *)(st2 + 4), cdgh2);                     \
		}                                                                                  \
		for (; i < nb; i++) {                                                              \
			hp_vsha256_ni_block(&abef, &cdgh, p + 64 * i);                             \
			block(s, b + 64 * i);                                                      \
		}                                                                                  \
		_mm_storeu_si128((__m128i *)(void *)st, abef);                                     \
		_mm_storeu_si128((__m128i *)(void *)(st + 4), cdgh);                               \
		for (; i < nj; i++)                                                                \
			block(s, b + 64 * i);                                                      \
		tail(s, b + 64 * nj, ps->len - 64 * nj);                                           \
	}

#define HP_ML_JSON_SHA_AVX512 "sha,sse4.1,ssse3,avx512bw,pclmul,popcnt,bmi"
#define HP_ML_JSON_SHA_AVX2   "sha,sse4.1,ssse3,avx2,pclmul,popcnt,bmi"
#define HP_ML_JSON_SHA_SSE2   "sha,sse4.1,ssse3,popcnt"

/* The body's last n < 64 bytes. AVX-512: a masked load (the bytes past them are not read). */
static inline __attribute__((always_inline, target(HP_ML_JSON_SHA_AVX512))) void
hp_ml_json_sha_tail_avx512(struct hp_ml_json_state *s, const uint8_t *p, size_t n)
{
	if (n != 0)
		hp_ml_json_block_avx512_v(s,
					  _mm512_maskz_loadu_epi8((__mmask64)((1ULL << n) - 1), p));
}

static inline __attribute__((always_inline, target(HP_ML_JSON_SHA_AVX2))) void
hp_ml_json_sha_tail_avx2(struct hp_ml_json_state *s, const uint8_t *p, size_t n)
{
	uint8_t b[64] = {0};

	if (n != 0) {
		memcpy(b, p, n);
		hp_ml_json_block_avx2(s, b);
	}
}

static inline __attribute__((always_inline, target(HP_ML_JSON_SHA_SSE2))) void
hp_ml_json_sha_tail_sse2(struct hp_ml_json_state *s, const uint8_t *p, size_t n)
{
	uint8_t b[64] = {0};

	if (n != 0) {
		memcpy(b, p, n);
		hp_ml_json_block_sse2(s, b);
	}
}

HP_ML_JSON_SHA_RUN(avx512, hp_ml_json_block_avx512, hp_ml_json_sha_tail_avx512,
		   HP_ML_JSON_SHA_AVX512)
HP_ML_JSON_SHA_RUN(avx2, hp_ml_json_block_avx2, hp_ml_json_sha_tail_avx2, HP_ML_JSON_SHA_AVX2)
HP_ML_JSON_SHA_RUN(sse2, hp_ml_json_block_sse2, hp_ml_json_sha_tail_sse2, HP_ML_JSON_SHA_SSE2)

/* Where the HMAC is vsha256's: the fused version of the scan hp_ml_json_pick would give. */
static inline const struct hp_ml_json_sha *
hp_ml_json_sha_pick(void)
{
	static const struct hp_ml_json_sha v[] = {
		{"avx512bw+sha", hp_ml_json_sha_run_avx512},
		{"avx2+sha", hp_ml_json_sha_run_avx2},
		{"sse2+sha", hp_ml_json_sha_run_sse2},
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
