/* SPDX-License-Identifier: BSD-3-Clause
 * SHA-256 on the x86 SHA extensions (SHA-NI), for the HMACs of lib/verify, with a hook that
 * lets a caller read the request body in the same loop that hashes it.
 *
 * Why a SHA-256 of our own next to OpenSSL's: one SHA-256 block is a chain of 32 dependent
 * sha256rnds2 instructions (~120 cycles per 64 bytes here), during which the rest of the core
 * sits mostly idle. OpenSSL hashes the whole body in one call, so another pass over the body
 * (the ML stage's JSON shape scan) has to come after it and pays in full. With the block
 * function inline (hp_vsha256_ni_block) a caller can interleave its own 64-byte step with each
 * block of the body (struct hp_vbody_pass), and the out-of-order core runs that step in the
 * shadow of the hash's latency: measured, a 1 KB JSON shape scan costs ~48 ns alone and ~7 ns
 * inside the HMAC (docs/PERFORMANCE.md, "The body read in the HMAC's shadow").
 *
 * The compression function is FIPS 180-4's, on the SHA-NI instructions; the state is kept in
 * the order those instructions use (ABEF, CDGH). It is used only where the CPU has SHA-NI and
 * SSE4.1 (hp_vsha256_ni_usable) and the environment does not ask for OpenSSL's
 * (HOOKPATH_SHA=openssl); every other hash in lib/verify stays OpenSSL's. Equality with
 * OpenSSL's SHA-256 and HMAC over every length and split: tests/unit/test_vsha256.c.
 */
#ifndef HP_VSHA256_H
#define HP_VSHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HP_VSHA256_X86 1
#include <immintrin.h>
#endif

/* A running SHA-256. */
struct hp_vsha256 {
	uint32_t st[8]; /* A B E F, C D G H (the SHA-NI order) */
	uint64_t len;   /* message bytes so far */
	uint8_t buf[64];
	uint32_t nbuf; /* bytes in buf, < 64 */
};

/* A caller's pass over the request body, run by the HMAC that hashes it (lib/verify, when the
 * signed content holds the body as one piece and the hash is this engine's; `done` says it
 * ran). */
struct hp_vbody_pass {
	const uint8_t *body; /* the piece it reads: the request's body */
	size_t len;
	/* Called once: hashes the nb whole 64-byte blocks at p (inside the body, where the
	 * message's blocks fall) into st (struct hp_vsha256's order), and reads the whole body
	 * on the way, its own 64-byte steps from body[0] beside the hash's: built around
	 * hp_vsha256_ni_block. nb may be 0 (a body shorter than a block). With `also`, it
	 * hashes also's whole blocks too (hp_vbody_also), interleaved with the HMAC's. */
	void (*run)(const struct hp_vbody_pass *pass, uint32_t st[8], const uint8_t *p, size_t nb);
	void *arg;
	/* A second SHA-256 over the body in the same loop (NULL: none), e.g. the replay key's
	 * digest: its running state, holding what precedes the body in its message; the body
	 * goes into it whole. Two chains of sha256rnds2 interleaved cost ~1.3x one, not 2x
	 * (one chain leaves the SHA unit idle between its dependent rounds). */
	struct hp_vsha256 *also;
	size_t also_at; /* set for run: where also's whole blocks start in the body */
	bool done;
};

/* also's whole blocks for run: nb2 blocks from body + also_at (0: none, or no also). */
static inline size_t
hp_vbody_also_blocks(const struct hp_vbody_pass *pass)
{
	return pass->also != NULL ? (pass->len - pass->also_at) / 64 : 0;
}

/* A run that reads nothing itself: the HMAC's blocks and also's, interleaved. */
void hp_vsha256_run_plain(const struct hp_vbody_pass *pass, uint32_t st[8], const uint8_t *p,
			  size_t nb);

/* SHA-NI and SSE4.1 present and HOOKPATH_SHA is not "openssl" (read once, at load, before
 * main; never written after). Inline: the verdict path asks it several times per request. */
extern bool hp_vsha256_ni;
static inline bool
hp_vsha256_ni_usable(void)
{
	return hp_vsha256_ni;
}
/* Which SHA-256 the HMAC-SHA256s and key digests run on, and why, for the start's log. */
const char *hp_vsha256_engine(void);

void hp_vsha256_init(struct hp_vsha256 *c);
void hp_vsha256_update(struct hp_vsha256 *c, const void *p, size_t n);
/* The same, handing the bytes to pass on the way (pass->done set). */
void hp_vsha256_update_pass(struct hp_vsha256 *c, const uint8_t *p, size_t n,
			    struct hp_vbody_pass *pass);
void hp_vsha256_final(struct hp_vsha256 *c, uint8_t out[32]);
/* HMAC's end: the inner hash c finished, hashed into a copy of the outer midstate o. */
void hp_vsha256_hmac_final(struct hp_vsha256 *c, const struct hp_vsha256 *o, uint8_t out[32]);
/* nb blocks at p into st. */
void hp_vsha256_blocks(uint32_t st[8], const uint8_t *p, size_t nb);

#ifdef HP_VSHA256_X86
#define HP_VSHA256_TARGET "sha,sse4.1,ssse3"

static const uint32_t hp_vsha256_k[64] __attribute__((aligned(16))) = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2};

/* One block from its 16 message words (m[0] = W0..W3, ...): 64 rounds, two per sha256rnds2,
 * the schedule W16..W63 four at a time (sha256msg1 adds sigma0 of the next word, the alignr
 * the W[t-7] terms, sha256msg2 the sigma1 terms). */
static inline __attribute__((always_inline, target(HP_VSHA256_TARGET))) void
hp_vsha256_ni_words(__m128i *abef, __m128i *cdgh, __m128i m0, __m128i m1, __m128i m2, __m128i m3)
{
	__m128i s0 = *abef, s1 = *cdgh, m[4] = {m0, m1, m2, m3}, w, k;

#pragma GCC unroll 16
	for (int i = 0; i < 16; i++) {
		if (i < 4) {
			w = m[i];
		} else {
			w = _mm_sha256msg2_epu32(
				_mm_add_epi32(_mm_sha256msg1_epu32(m[i & 3], m[(i + 1) & 3]),
					      _mm_alignr_epi8(m[(i + 3) & 3], m[(i + 2) & 3], 4)),
				m[(i + 3) & 3]);
			m[i & 3] = w;
		}
		k = _mm_add_epi32(
			w, _mm_load_si128((const __m128i *)(const void *)&hp_vsha256_k[4 * i]));
		s1 = _mm_sha256rnds2_epu32(s1, s0, k);
		s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(k, 0x0E));
	}
	*abef = _mm_add_epi32(s0, *abef);
	*cdgh = _mm_add_epi32(s1, *cdgh);
}

/* One 64-byte block of the message (big-endian words). */
static inline __attribute__((always_inline, target(HP_VSHA256_TARGET))) void
hp_vsha256_ni_block(__m128i *abef, __m128i *cdgh, const uint8_t *p)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);

	hp_vsha256_ni_words(
		abef, cdgh,
		_mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), bswap),
		_mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16)), bswap),
		_mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 32)), bswap),
		_mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 48)), bswap));
}
#endif

#endif /* HP_VSHA256_H */
