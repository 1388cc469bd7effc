/* SPDX-License-Identifier: BSD-3-Clause
 * The JSON shape of a body for the ML features (json_depth, json_keys): the deepest nesting of
 * objects and arrays, and the object keys (colons outside strings), in one pass that knows
 * strings and escapes. Not a validator: a body that is not JSON gives what its brackets and
 * colons say, the same from both versions here.
 *
 *   - hp_ml_json_shape_ref: byte by byte, the definition;
 *   - hp_ml_json_shape_{sse2,avx2,avx512}: the same result, 64 bytes at a time as bit masks
 *     (hp_ml_json_pick: the best the CPU has, chosen at run time): the quotes
 *     give the string mask by a prefix XOR (a quote toggles "in a string" for every byte after
 *     it), colons outside it are counted with one popcount, and only the brackets outside it
 *     are visited (a few per kilobyte). A block with a backslash, or that starts escaped, goes
 *     through the reference loop: escapes are rare in webhook JSON, and inside or outside a
 *     string they mean different things.
 *
 * Equality of both over random structural noise and real bodies: tests/unit/test_ml_json.c.
 */
#ifndef HP_ML_JSON_H
#define HP_ML_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <emmintrin.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

struct hp_ml_json_state {
	unsigned int depth, max_depth, keys;
	bool in_str, escaped;
};

static inline void
hp_ml_json_byte(struct hp_ml_json_state *s, uint8_t c)
{
	if (s->in_str) {
		if (s->escaped)
			s->escaped = false;
		else if (c == '\\')
			s->escaped = true;
		else if (c == '"')
			s->in_str = false;
		return;
	}
	switch (c) {
	case '"':
		s->in_str = true;
		break;
	case '{':
	case '[':
		if (++s->depth > s->max_depth)
			s->max_depth = s->depth;
		break;
	case '}':
	case ']':
		if (s->depth > 0)
			s->depth--;
		break;
	case ':':
		s->keys++;
		break;
	default:
		break;
	}
}

static inline void
hp_ml_json_shape_ref(const uint8_t *p, size_t n, unsigned int *depth, unsigned int *keys)
{
	struct hp_ml_json_state s = {0};

	for (size_t i = 0; i < n; i++)
		hp_ml_json_byte(&s, p[i]);
	*depth = s.max_depth;
	*keys = s.keys;
}

/* The bytes of 16 equal to c, as 16 bits. */
static inline uint64_t
hp_ml_json_eq16(__m128i v, __m128i c)
{
	return (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, c));
}

/* Prefix XOR: bit i = XOR of bits 0..i. */
static inline uint64_t
hp_ml_json_prefix_xor(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	x ^= x << 32;
	return x;
}

/* The characters that matter in a 64-byte block, one bit per byte. '{' and '[' (and '}' and
 * ']') differ only in bit 0x20: one compare of the byte with that bit set finds both. */
struct hp_ml_json_masks {
	uint64_t quote, bslash, open, close, colon;
};

/* One block from its masks and the prefix XOR of its quotes, without a backslash and not
 * starting escaped (hp_ml_json_block_masks: the reference loop for the others). Always inlined:
 * compiled apart it would be SSE code called from AVX-512 code, a transition penalty per block
 * (seen: 10x slower). Brackets are visited in order with a branch each: counting opens and closes
 * below each close with popcounts instead (no branch) measured slower here. */
static inline __attribute__((always_inline)) void
hp_ml_json_block_plain(struct hp_ml_json_state *s, const struct hp_ml_json_masks *m,
		       uint64_t quote_xor)
{
	uint64_t in_str, open, close, br;

	/* bit i set: byte i is inside a string, its opening quote included, its closing one
	 * not (neither is structural) */
	in_str = quote_xor ^ (s->in_str ? ~(uint64_t)0 : 0);
	s->in_str = (in_str >> 63) != 0;
	s->keys += (unsigned int)__builtin_popcountll(m->colon & ~in_str);
	open = m->open & ~in_str;
	close = m->close & ~in_str;
	for (br = open | close; br != 0; br &= br - 1) {
		if (open & br & -br) {
			if (++s->depth > s->max_depth)
				s->max_depth = s->depth;
		} else if (s->depth > 0) {
			s->depth--;
		}
	}
}

static inline __attribute__((always_inline)) void
hp_ml_json_block_masks(struct hp_ml_json_state *s, const uint8_t *p,
		       const struct hp_ml_json_masks *m, uint64_t quote_xor)
{
	if (m->bslash != 0 || s->escaped) {
		for (unsigned int i = 0; i < 64; i++)
			hp_ml_json_byte(s, p[i]);
		return;
	}
	hp_ml_json_block_plain(s, m, quote_xor);
}

/* The whole body, 64 bytes at a time, the tail padded with zeros (not structural). */
#define HP_ML_JSON_SHAPE_BODY(block)                                                               \
	do {                                                                                       \
		struct hp_ml_json_state s = {0};                                                   \
		size_t i = 0;                                                                      \
		for (; i + 64 <= n; i += 64)                                                       \
			block(&s, p + i);                                                          \
		if (i < n) {                                                                       \
			uint8_t tail[64] = {0};                                                    \
			memcpy(tail, p + i, n - i);                                                \
			block(&s, tail);                                                           \
		}                                                                                  \
		*depth = s.max_depth;                                                              \
		*keys = s.keys;                                                                    \
	} while (0)

static inline __attribute__((always_inline)) void
hp_ml_json_block_sse2(struct hp_ml_json_state *s, const uint8_t *p)
{
	const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), co = _mm_set1_epi8(':'),
		      op = _mm_set1_epi8('{'), cl = _mm_set1_epi8('}'), b20 = _mm_set1_epi8(0x20);
	struct hp_ml_json_masks m = {0};

	for (unsigned int k = 0; k < 4; k++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
		__m128i v20 = _mm_or_si128(v, b20);

		m.quote |= hp_ml_json_eq16(v, q) << (16 * k);
		m.bslash |= hp_ml_json_eq16(v, bs) << (16 * k);
		m.colon |= hp_ml_json_eq16(v, co) << (16 * k);
		m.open |= hp_ml_json_eq16(v20, op) << (16 * k);
		m.close |= hp_ml_json_eq16(v20, cl) << (16 * k);
	}
	hp_ml_json_block_masks(s, p, &m, hp_ml_json_prefix_xor(m.quote));
}

static inline void
hp_ml_json_shape_sse2(const uint8_t *p, size_t n, unsigned int *depth, unsigned int *keys)
{
	HP_ML_JSON_SHAPE_BODY(hp_ml_json_block_sse2);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HP_ML_JSON_X86 1

/* The prefix XOR as one carry-less multiply by all ones (every AVX2 CPU has PCLMULQDQ). */
static inline __attribute__((target("pclmul"))) uint64_t
hp_ml_json_prefix_xor_clmul(uint64_t x)
{
	return (uint64_t)_mm_cvtsi128_si64(
		_mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)x), _mm_set1_epi8(-1), 0));
}

static inline __attribute__((target("avx2,pclmul"))) uint64_t
hp_ml_json_eq32(__m256i v, char c)
{
	return (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(c)));
}

static inline __attribute__((always_inline, target("avx2,pclmul"))) void
hp_ml_json_block_avx2(struct hp_ml_json_state *s, const uint8_t *p)
{
	__m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
	__m256i lo20 = _mm256_or_si256(lo, _mm256_set1_epi8(0x20));
	__m256i hi20 = _mm256_or_si256(hi, _mm256_set1_epi8(0x20));
	struct hp_ml_json_masks m = {
		.quote = hp_ml_json_eq32(lo, '"') | hp_ml_json_eq32(hi, '"') << 32,
		.bslash = hp_ml_json_eq32(lo, '\\') | hp_ml_json_eq32(hi, '\\') << 32,
		.colon = hp_ml_json_eq32(lo, ':') | hp_ml_json_eq32(hi, ':') << 32,
		.open = hp_ml_json_eq32(lo20, '{') | hp_ml_json_eq32(hi20, '{') << 32,
		.close = hp_ml_json_eq32(lo20, '}') | hp_ml_json_eq32(hi20, '}') << 32,
	};

	hp_ml_json_block_masks(s, p, &m, hp_ml_json_prefix_xor_clmul(m.quote));
}

static inline __attribute__((target("avx2,pclmul"))) void
hp_ml_json_shape_avx2(const uint8_t *p, size_t n, unsigned int *depth, unsigned int *keys)
{
	HP_ML_JSON_SHAPE_BODY(hp_ml_json_block_avx2);
}

/* A block already in a register (the HMAC's pass loads a body's partial blocks with a masked
 * load: ml_json_sha.h); the reference loop, when needed, reads it back from the stack. */
static inline __attribute__((always_inline, target("avx512bw,pclmul"))) void
hp_ml_json_block_avx512_v(struct hp_ml_json_state *s, __m512i v)
{
	__m512i v20 = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
	struct hp_ml_json_masks m = {
		.quote = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"')),
		.bslash = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\\')),
		.colon = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(':')),
		.open = _mm512_cmpeq_epi8_mask(v20, _mm512_set1_epi8('{')),
		.close = _mm512_cmpeq_epi8_mask(v20, _mm512_set1_epi8('}')),
	};

	if (m.bslash != 0 || s->escaped) {
		uint8_t b[64];

		_mm512_storeu_si512((void *)b, v);
		hp_ml_json_block_masks(s, b, &m, 0);
		return;
	}
	hp_ml_json_block_plain(s, &m, hp_ml_json_prefix_xor_clmul(m.quote));
}

static inline __attribute__((always_inline, target("avx512bw,pclmul"))) void
hp_ml_json_block_avx512(struct hp_ml_json_state *s, const uint8_t *p)
{
	hp_ml_json_block_avx512_v(s, _mm512_loadu_si512((const void *)p));
}

static inline __attribute__((target("avx512bw,pclmul"))) void
hp_ml_json_shape_avx512(const uint8_t *p, size_t n, unsigned int *depth, unsigned int *keys)
{
	HP_ML_JSON_SHAPE_BODY(hp_ml_json_block_avx512);
}
#endif

typedef void (*hp_ml_json_fn)(const uint8_t *p, size_t n, unsigned int *depth, unsigned int *keys);

/* The version the workers run (chosen once, at a stage's init), and its name: the widest the
 * CPU has. The environment variable HOOKPATH_ML_JSON (avx2, sse2) asks for a narrower one,
 * for the in-situ comparison of tests/bench/bench_ml.py. */
static inline hp_ml_json_fn
hp_ml_json_pick(const char **name)
{
	const char *want = getenv("HOOKPATH_ML_JSON");

	if (want == NULL)
		want = "";
#ifdef HP_ML_JSON_X86
	__builtin_cpu_init();
	if (strcmp(want, "avx2") != 0 && strcmp(want, "sse2") != 0 &&
	    __builtin_cpu_supports("avx512bw")) {
		*name = "avx512bw";
		return hp_ml_json_shape_avx512;
	}
	if (strcmp(want, "sse2") != 0 && __builtin_cpu_supports("avx2")) {
		*name = "avx2";
		return hp_ml_json_shape_avx2;
	}
#endif
	*name = "sse2";
	return hp_ml_json_shape_sse2;
}

#endif /* HP_ML_JSON_H */
