/* SPDX-License-Identifier: BSD-3-Clause
 * SHA-256 on SHA-NI: the streaming functions around vsha256.h's block (the why: there). */
#include "vsha256.h"

#include <stdlib.h>
#include <string.h>

#ifdef HP_VSHA256_X86
#include <cpuid.h>

bool hp_vsha256_ni;
static const char *engine = "OpenSSL's (this CPU has no SHA-NI)";

/* Once, before main: the choice must not change under a midstate computed with the other. */
__attribute__((constructor)) static void
ni_probe(void)
{
	unsigned int a, b, c, d;
	const char *want = getenv("HOOKPATH_SHA");

	if (want != NULL && strcmp(want, "openssl") == 0) {
		engine = "OpenSSL's (HOOKPATH_SHA=openssl)";
		return;
	}
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
		return;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & bit_SHA))
		return;
	hp_vsha256_ni = true;
	engine = "SHA-NI (HOOKPATH_SHA=openssl for OpenSSL's)";
}

const char *
hp_vsha256_engine(void)
{
	return engine;
}

#define TGT __attribute__((target(HP_VSHA256_TARGET)))

static inline TGT void
st_load(const uint32_t st[8], __m128i *abef, __m128i *cdgh)
{
	*abef = _mm_loadu_si128((const __m128i *)(const void *)st);
	*cdgh = _mm_loadu_si128((const __m128i *)(const void *)(st + 4));
}

static inline TGT void
st_store(uint32_t st[8], __m128i abef, __m128i cdgh)
{
	_mm_storeu_si128((__m128i *)(void *)st, abef);
	_mm_storeu_si128((__m128i *)(void *)(st + 4), cdgh);
}

/* ABEF, CDGH -> H0..H3, H4..H7 (A..D, E..H in FIPS order, H0 in the lowest lane). */
static inline TGT void
st_words(__m128i abef, __m128i cdgh, __m128i *h03, __m128i *h47)
{
	__m128i feba = _mm_shuffle_epi32(abef, 0x1B), dchg = _mm_shuffle_epi32(cdgh, 0xB1);

	*h03 = _mm_blend_epi16(feba, dchg, 0xF0);
	*h47 = _mm_alignr_epi8(dchg, feba, 8);
}

TGT void
hp_vsha256_init(struct hp_vsha256 *c)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	__m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)iv), 0xB1);
	__m128i u =
		_mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)(iv + 4)), 0x1B);

	st_store(c->st, _mm_alignr_epi8(t, u, 8), _mm_blend_epi16(u, t, 0xF0));
	c->len = 0;
	c->nbuf = 0;
}

TGT void
hp_vsha256_blocks(uint32_t st[8], const uint8_t *p, size_t nb)
{
	__m128i abef, cdgh;

	st_load(st, &abef, &cdgh);
	for (size_t i = 0; i < nb; i++)
		hp_vsha256_ni_block(&abef, &cdgh, p + 64 * i);
	st_store(st, abef, cdgh);
}

/* Fills the buffer from p: the bytes taken. */
static inline size_t
fill(struct hp_vsha256 *c, const uint8_t *p, size_t n)
{
	size_t k = 64 - c->nbuf;

	if (k > n)
		k = n;
	memcpy(c->buf + c->nbuf, p, k);
	c->nbuf += (uint32_t)k;
	if (c->nbuf == 64) {
		hp_vsha256_blocks(c->st, c->buf, 1);
		c->nbuf = 0;
	}
	return k;
}

void
hp_vsha256_update(struct hp_vsha256 *c, const void *data, size_t n)
{
	const uint8_t *p = data;
	size_t k = 0, nb;

	c->len += n;
	if (c->nbuf != 0)
		k = fill(c, p, n);
	nb = (n - k) / 64;
	if (nb != 0)
		hp_vsha256_blocks(c->st, p + k, nb);
	k += 64 * nb;
	if (k < n)
		fill(c, p + k, n - k);
}

void
hp_vsha256_update_pass(struct hp_vsha256 *c, const uint8_t *p, size_t n, struct hp_vbody_pass *pass)
{
	struct hp_vsha256 *a = pass->also;
	size_t k = 0, nb, k2 = 0;

	pass->done = true;
	c->len += n;
	if (c->nbuf != 0)
		k = fill(c, p, n);
	nb = (n - k) / 64;
	if (a != NULL) {
		/* its first block holds what precedes the body: completed here, alone */
		a->len += n;
		if (a->nbuf != 0)
			k2 = fill(a, p, n);
		pass->also_at = k2;
	}
	pass->run(pass, c->st, p + k, nb);
	k += 64 * nb;
	if (k < n)
		fill(c, p + k, n - k);
	if (a != NULL) {
		k2 += 64 * hp_vbody_also_blocks(pass);
		if (k2 < n)
			fill(a, p + k2, n - k2);
	}
}

TGT void
hp_vsha256_run_plain(const struct hp_vbody_pass *pass, uint32_t st[8], const uint8_t *p, size_t nb)
{
	size_t nb2 = hp_vbody_also_blocks(pass), m = nb < nb2 ? nb : nb2, i;
	const uint8_t *p2 = pass->body + pass->also_at;
	__m128i abef, cdgh, abef2, cdgh2;

	if (nb2 == 0) {
		hp_vsha256_blocks(st, p, nb);
		return;
	}
	st_load(st, &abef, &cdgh);
	st_load(pass->also->st, &abef2, &cdgh2);
	for (i = 0; i < m; i++) {
		hp_vsha256_ni_block(&abef, &cdgh, p + 64 * i);
		hp_vsha256_ni_block(&abef2, &cdgh2, p2 + 64 * i);
	}
	for (size_t j = i; j < nb; j++)
		hp_vsha256_ni_block(&abef, &cdgh, p + 64 * j);
	for (size_t j = i; j < nb2; j++)
		hp_vsha256_ni_block(&abef2, &cdgh2, p2 + 64 * j);
	st_store(st, abef, cdgh);
	st_store(pass->also->st, abef2, cdgh2);
}

/* The padding: 0x80, zeros, the length in bits (big-endian) in the last 8 bytes. */
static TGT void
pad(struct hp_vsha256 *c)
{
	uint64_t bits = __builtin_bswap64(c->len * 8);

	c->buf[c->nbuf] = 0x80;
	memset(c->buf + c->nbuf + 1, 0, 63 - c->nbuf);
	if (c->nbuf >= 56) {
		hp_vsha256_blocks(c->st, c->buf, 1);
		memset(c->buf, 0, 56);
	}
	memcpy(c->buf + 56, &bits, 8);
	hp_vsha256_blocks(c->st, c->buf, 1);
}

static inline TGT void
out_bytes(__m128i h03, __m128i h47, uint8_t out[32])
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);

	_mm_storeu_si128((__m128i *)(void *)out, _mm_shuffle_epi8(h03, bswap));
	_mm_storeu_si128((__m128i *)(void *)(out + 16), _mm_shuffle_epi8(h47, bswap));
}

TGT void
hp_vsha256_final(struct hp_vsha256 *c, uint8_t out[32])
{
	__m128i abef, cdgh, h03, h47;

	pad(c);
	st_load(c->st, &abef, &cdgh);
	st_words(abef, cdgh, &h03, &h47);
	out_bytes(h03, h47, out);
}

/* The outer hash's one block is the inner digest's words as they are (the digest is their
 * big-endian bytes, the block is read big-endian), then 0x80, then 96 bytes' length. */
TGT void
hp_vsha256_hmac_final(struct hp_vsha256 *c, const struct hp_vsha256 *o, uint8_t out[32])
{
	__m128i abef, cdgh, h03, h47;

	pad(c);
	st_load(c->st, &abef, &cdgh);
	st_words(abef, cdgh, &h03, &h47);
	st_load(o->st, &abef, &cdgh);
	hp_vsha256_ni_words(&abef, &cdgh, h03, h47, _mm_set_epi32(0, 0, 0, (int)0x80000000),
			    _mm_set_epi32((64 + 32) * 8, 0, 0, 0));
	st_words(abef, cdgh, &h03, &h47);
	out_bytes(h03, h47, out);
}

#else /* not x86-64: never usable, the callers keep to OpenSSL */

bool hp_vsha256_ni;

const char *
hp_vsha256_engine(void)
{
	return "OpenSSL's (not an x86-64 build)";
}

void
hp_vsha256_init(struct hp_vsha256 *c)
{
	(void)c;
	abort();
}

void
hp_vsha256_update(struct hp_vsha256 *c, const void *p, size_t n)
{
	(void)c, (void)p, (void)n;
	abort();
}

void
hp_vsha256_update_pass(struct hp_vsha256 *c, const uint8_t *p, size_t n, struct hp_vbody_pass *pass)
{
	(void)c, (void)p, (void)n, (void)pass;
	abort();
}

void
hp_vsha256_final(struct hp_vsha256 *c, uint8_t out[32])
{
	(void)c, (void)out;
	abort();
}

void
hp_vsha256_run_plain(const struct hp_vbody_pass *pass, uint32_t st[8], const uint8_t *p, size_t nb)
{
	(void)pass, (void)st, (void)p, (void)nb;
	abort();
}

void
hp_vsha256_hmac_final(struct hp_vsha256 *c, const struct hp_vsha256 *o, uint8_t out[32])
{
	(void)c, (void)o, (void)out;
	abort();
}

void
hp_vsha256_blocks(uint32_t st[8], const uint8_t *p, size_t nb)
{
	(void)st, (void)p, (void)nb;
	abort();
}
#endif
