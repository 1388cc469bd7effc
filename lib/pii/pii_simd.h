/* SPDX-License-Identifier: BSD-3-Clause
 * lib/pii private: byte classes as bit masks (bit i: byte i) for the block scan of the digit-run
 * pass (pii.c, "digit-run pass, block masks").
 *
 *   - pii_blk_{sse2,avx2,avx512}: the classes of one 64-byte block the block scan needs, the
 *     same masks from each; SSE2 by compares, AVX2 and AVX-512BW by one nibble lookup (two
 *     shuffles give 8 class bits per byte, each class is then one test; AVX2 reads its
 *     single-bit classes with a shift into the top bit and a movemask) plus a few compares.
 *     pii.c picks the widest the CPU has at run time (__builtin_cpu_supports);
 *   - pii_win_{sse2,avx2,avx512}: the classes the numeric grammars read, over a 64-byte window
 *     from one numeric token (a few per kilobyte of JSON);
 *   - pii_colon_{sse2,avx2,avx512}, pii_hex_sse2: the ':' bytes of a block, what the IPv6 pass
 *     reads first, and the hex digits it reads in the rare blocks with two colons close by.
 * Without SSE2 (not x86) both are byte loops over the same classes.
 */
#ifndef HP_PII_SIMD_H
#define HP_PII_SIMD_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define PII_SIMD_X86 1
#endif

/* One 64-byte block, what the block scan decides candidates from. */
struct pii_blk {
	uint64_t d;     /* 0-9 */
	uint64_t lu;    /* A-Z a-z _ (a word byte that is not a digit) */
	uint64_t w;     /* A-Z a-z 0-9 _ */
	uint64_t ws;    /* A-Z a-z 0-9 _ : - . (what a MAC address refuses before it) */
	uint64_t nt;    /* 0-9 ' ' - . ( ) +: a numeric token's bytes */
	uint64_t hex;   /* 0-9 a-f A-F */
	uint64_t dot;   /* . */
	uint64_t colon; /* : */
	uint64_t dash;  /* - */
	uint64_t b58s;  /* 1 or 3: where a base58 address (or "bc1"'s digit) starts */
};

/* A window of 64 bytes over a numeric token: what the numeric grammars are made of. */
struct pii_win {
	uint64_t d;  /* 0-9 */
	uint64_t w;  /* A-Z a-z 0-9 _ */
	uint64_t sp; /* ' ' */
	uint64_t da; /* - */
	uint64_t dt; /* . */
	uint64_t pl; /* + */
	uint64_t lp; /* ( */
	uint64_t rp; /* ) */
};

#ifdef __SSE2__

static inline uint64_t
pii_mm_bits(__m128i x, unsigned int k)
{
	return (uint64_t)(uint32_t)_mm_movemask_epi8(x) << (16 * k);
}

/* bytes c with (c - lo) unsigned < n, through a signed compare */
static inline __m128i
pii_mm_range(__m128i v, char lo, int n)
{
	return _mm_cmplt_epi8(
		_mm_xor_si128(_mm_sub_epi8(v, _mm_set1_epi8(lo)), _mm_set1_epi8((char)0x80)),
		_mm_set1_epi8((char)(0x80 + n)));
}

static inline __m128i
pii_mm_eq(__m128i v, char c)
{
	return _mm_cmpeq_epi8(v, _mm_set1_epi8(c));
}

/* Eight masks by compares (a movemask each per 16 bytes), the other three ORed from them. */
static inline void
pii_blk_sse2(const uint8_t *p, struct pii_blk *m)
{
	uint64_t d = 0, lu = 0, hex = 0, dot = 0, colon = 0, dash = 0, b58s = 0, sep = 0;

	for (unsigned int k = 0; k < 4; k++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
		__m128i v20 = _mm_or_si128(v, _mm_set1_epi8(0x20));
		__m128i dv = pii_mm_range(v, '0', 10);

		d |= pii_mm_bits(dv, k);
		lu |= pii_mm_bits(_mm_or_si128(pii_mm_range(v20, 'a', 26), pii_mm_eq(v, '_')), k);
		hex |= pii_mm_bits(_mm_or_si128(dv, pii_mm_range(v20, 'a', 6)), k);
		dot |= pii_mm_bits(pii_mm_eq(v, '.'), k);
		colon |= pii_mm_bits(pii_mm_eq(v, ':'), k);
		dash |= pii_mm_bits(pii_mm_eq(v, '-'), k);
		/* '1' | 2 == '3' | 2 == '3', nothing else gives '3' */
		b58s |= pii_mm_bits(pii_mm_eq(_mm_or_si128(v, _mm_set1_epi8(2)), '3'), k);
		/* ' ', '(' and ')' (0x28 and 0x29 differ in bit 0), '+' */
		sep |= pii_mm_bits(
			_mm_or_si128(
				_mm_or_si128(
					pii_mm_eq(v, ' '),
					_mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8((char)0xfe)),
						       _mm_set1_epi8('('))),
				pii_mm_eq(v, '+')),
			k);
	}
	m->d = d;
	m->lu = lu;
	m->w = lu | d;
	m->ws = lu | d | colon | dot | dash;
	m->nt = d | sep | dot | dash;
	m->hex = hex;
	m->dot = dot;
	m->colon = colon;
	m->dash = dash;
	m->b58s = b58s;
}

static inline void
pii_win_sse2(const uint8_t *p, struct pii_win *m)
{
	*m = (struct pii_win){0};
	for (unsigned int k = 0; k < 4; k++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
		__m128i d = pii_mm_range(v, '0', 10);
		__m128i al = pii_mm_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 26);

		m->d |= pii_mm_bits(d, k);
		m->w |= pii_mm_bits(_mm_or_si128(_mm_or_si128(d, al), pii_mm_eq(v, '_')), k);
		m->sp |= pii_mm_bits(pii_mm_eq(v, ' '), k);
		m->da |= pii_mm_bits(pii_mm_eq(v, '-'), k);
		m->dt |= pii_mm_bits(pii_mm_eq(v, '.'), k);
		m->pl |= pii_mm_bits(pii_mm_eq(v, '+'), k);
		m->lp |= pii_mm_bits(pii_mm_eq(v, '('), k);
		m->rp |= pii_mm_bits(pii_mm_eq(v, ')'), k);
	}
}

/* The ':' bytes of 64 bytes (the IPv6 pass's first test) and their hex digits. */
static inline uint64_t
pii_colon_sse2(const uint8_t *p)
{
	uint64_t m = 0;

	for (unsigned int k = 0; k < 4; k++)
		m |= pii_mm_bits(
			pii_mm_eq(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k)),
				  ':'),
			k);
	return m;
}

static inline uint64_t
pii_hex_sse2(const uint8_t *p)
{
	uint64_t m = 0;

	for (unsigned int k = 0; k < 4; k++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));

		m |= pii_mm_bits(
			_mm_or_si128(pii_mm_range(v, '0', 10),
				     pii_mm_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 6)),
			k);
	}
	return m;
}

#else /* !__SSE2__: the same classes, a byte at a time */

static inline void
pii_blk_sse2(const uint8_t *p, struct pii_blk *m)
{
	*m = (struct pii_blk){0};
	for (unsigned int i = 0; i < 64; i++) {
		uint8_t c = p[i], c20 = c | 0x20;
		uint64_t bit = UINT64_C(1) << i;
		bool d = c >= '0' && c <= '9', al = c20 >= 'a' && c20 <= 'z';

		m->d |= d ? bit : 0;
		m->lu |= al || c == '_' ? bit : 0;
		m->w |= d || al || c == '_' ? bit : 0;
		m->ws |= d || al || c == '_' || c == ':' || c == '-' || c == '.' ? bit : 0;
		m->nt |= d || c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '+'
				 ? bit
				 : 0;
		m->hex |= d || (c20 >= 'a' && c20 <= 'f') ? bit : 0;
		m->dot |= c == '.' ? bit : 0;
		m->colon |= c == ':' ? bit : 0;
		m->dash |= c == '-' ? bit : 0;
		m->b58s |= c == '1' || c == '3' ? bit : 0;
	}
}

static inline void
pii_win_sse2(const uint8_t *p, struct pii_win *m)
{
	*m = (struct pii_win){0};
	for (unsigned int i = 0; i < 64; i++) {
		uint8_t c = p[i], c20 = c | 0x20;
		uint64_t bit = UINT64_C(1) << i;
		bool d = c >= '0' && c <= '9';

		m->d |= d ? bit : 0;
		m->w |= d || (c20 >= 'a' && c20 <= 'z') || c == '_' ? bit : 0;
		m->sp |= c == ' ' ? bit : 0;
		m->da |= c == '-' ? bit : 0;
		m->dt |= c == '.' ? bit : 0;
		m->pl |= c == '+' ? bit : 0;
		m->lp |= c == '(' ? bit : 0;
		m->rp |= c == ')' ? bit : 0;
	}
}

static inline uint64_t
pii_colon_sse2(const uint8_t *p)
{
	uint64_t m = 0;

	for (unsigned int i = 0; i < 64; i++)
		m |= p[i] == ':' ? UINT64_C(1) << i : 0;
	return m;
}

static inline uint64_t
pii_hex_sse2(const uint8_t *p)
{
	uint64_t m = 0;

	for (unsigned int i = 0; i < 64; i++) {
		uint8_t c = p[i], c20 = c | 0x20;

		m |= (c >= '0' && c <= '9') || (c20 >= 'a' && c20 <= 'f') ? UINT64_C(1) << i : 0;
	}
	return m;
}

#endif /* __SSE2__ */

#ifdef PII_SIMD_X86

/* Nibble lookup: class bits of byte c = hi[c >> 4] & lo[c & 15] (bytes >= 0x80: none).
 *   0x01 0-9        0x02 A-O   0x04 P-Z   0x08 a-o   0x10 p-z   0x20 _
 *   0x40 ' ' ( ) + - .         0x80 a-f A-F (with 0x01: hex) */
#define PII_NIB_HI 0, 0, 0x40, 0x01, 0x82, 0x24, 0x88, 0x10, 0, 0, 0, 0, 0, 0, 0, 0
#define PII_NIB_LO                                                                                 \
	0x55, 0x9f, 0x9f, 0x9f, 0x9f, 0x9f, 0x9f, 0x1f, 0x5f, 0x5f, 0x1e, 0x4a, 0x0a, 0x4a, 0x4a,  \
		0x2a
#define PII_C_D   0x01
#define PII_C_LU  0x3e
#define PII_C_W   0x3f
#define PII_C_NT  0x41
#define PII_C_HEX 0x81

static inline __attribute__((target("avx2"))) uint64_t
pii_y_test(__m256i cls, int bits)
{
	__m256i z = _mm256_cmpeq_epi8(_mm256_and_si256(cls, _mm256_set1_epi8((char)bits)),
				      _mm256_setzero_si256());

	return (uint64_t)(uint32_t)~_mm256_movemask_epi8(z);
}

static inline __attribute__((target("avx2"))) uint64_t
pii_y_eq(__m256i v, char c)
{
	return (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(c)));
}

/* Bit b of every byte of x, as 32 bits: a 16-bit shift puts it in each byte's top bit (the
 * bits it carries into the next byte are below that byte's top bit), where movemask reads. */
#define PII_Y_BIT(x, b)                                                                            \
	((uint64_t)(uint32_t)_mm256_movemask_epi8((b) == 7 ? (x) : _mm256_slli_epi16((x), 7 - (b))))

/* The single-bit classes (digits 0x01, separators 0x40, hex letters 0x80) straight from the
 * class bits by their top-bit shift; the word bytes by one test; the letters and '_' are the
 * word bytes that are not digits. */
static inline __attribute__((target("avx2"))) void
pii_blk_avx2(const uint8_t *p, struct pii_blk *m)
{
	const __m256i hi_t = _mm256_setr_epi8(PII_NIB_HI, PII_NIB_HI);
	const __m256i lo_t = _mm256_setr_epi8(PII_NIB_LO, PII_NIB_LO);
	const __m256i nib = _mm256_set1_epi8(0x0f);
	uint64_t d = 0, sep = 0, hexl = 0, w = 0, dot = 0, colon = 0, dash = 0, b58s = 0;

	for (unsigned int k = 0; k < 2; k++) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * k));
		__m256i cls = _mm256_and_si256(
			_mm256_shuffle_epi8(hi_t, _mm256_and_si256(_mm256_srli_epi16(v, 4), nib)),
			_mm256_shuffle_epi8(lo_t, _mm256_and_si256(v, nib)));
		unsigned int sh = 32 * k;

		d |= PII_Y_BIT(cls, 0) << sh;
		sep |= PII_Y_BIT(cls, 6) << sh;
		hexl |= PII_Y_BIT(cls, 7) << sh;
		w |= pii_y_test(cls, PII_C_W) << sh;
		dot |= pii_y_eq(v, '.') << sh;
		colon |= pii_y_eq(v, ':') << sh;
		dash |= pii_y_eq(v, '-') << sh;
		b58s |= pii_y_eq(_mm256_or_si256(v, _mm256_set1_epi8(2)), '3') << sh;
	}
	m->d = d;
	m->lu = w & ~d;
	m->w = w;
	m->nt = d | sep;
	m->hex = d | hexl;
	m->dot = dot;
	m->colon = colon;
	m->dash = dash;
	m->b58s = b58s;
	m->ws = w | colon | dash | dot;
}

/* The AVX-512 constants, loaded from memory: a broadcast from a general register would take
 * the shuffle port the tests need, once per block (the loop's calls keep the compiler from
 * holding them in registers). */
static const uint8_t pii_z_const[15][64] __attribute__((aligned(64))) = {
#define PII_Z_ALL(x) [0 ... 63] = (x)
	{PII_Z_ALL(0x0f)},     {PII_Z_ALL(PII_C_D)},   {PII_Z_ALL(PII_C_LU)}, {PII_Z_ALL(PII_C_W)},
	{PII_Z_ALL(PII_C_NT)}, {PII_Z_ALL(PII_C_HEX)}, {PII_Z_ALL('.')},      {PII_Z_ALL(':')},
	{PII_Z_ALL('-')},      {PII_Z_ALL(2)},         {PII_Z_ALL('3')},      {PII_Z_ALL(' ')},
	{PII_Z_ALL('+')},      {PII_Z_ALL('(')},       {PII_Z_ALL(')')},
#undef PII_Z_ALL
};

/* The pointer goes through an empty asm so that the compiler cannot see the values: it would
 * otherwise turn each load into a move to a general register and a broadcast (a shuffle-port
 * uop each, measured), since the calls in the block loop clobber every vector register. */
static inline __attribute__((target("avx512bw"))) __m512i
pii_z(unsigned int k)
{
	const uint8_t(*z)[64] = pii_z_const;

	__asm__("" : "+r"(z));
	return _mm512_load_si512((const void *)z[k]);
}

/* The class bits of the 64 bytes v (the nibble lookup, PII_NIB_HI / PII_NIB_LO). */
static inline __attribute__((target("avx512bw"))) __m512i
pii_z_cls(__m512i v)
{
	static const uint8_t nib_hi[16] __attribute__((aligned(16))) = {PII_NIB_HI};
	static const uint8_t nib_lo[16] __attribute__((aligned(16))) = {PII_NIB_LO};
	const __m512i hi_t = _mm512_broadcast_i32x4(_mm_load_si128((const __m128i *)nib_hi));
	const __m512i lo_t = _mm512_broadcast_i32x4(_mm_load_si128((const __m128i *)nib_lo));

	return _mm512_and_si512(
		_mm512_shuffle_epi8(hi_t, _mm512_and_si512(_mm512_srli_epi16(v, 4), pii_z(0))),
		_mm512_shuffle_epi8(lo_t, _mm512_and_si512(v, pii_z(0))));
}

static inline __attribute__((target("avx512bw"))) void
pii_blk_avx512(const uint8_t *p, struct pii_blk *m)
{
	__m512i v = _mm512_loadu_si512((const void *)p), cls = pii_z_cls(v);

	m->d = _mm512_test_epi8_mask(cls, pii_z(1));
	m->lu = _mm512_test_epi8_mask(cls, pii_z(2));
	m->w = _mm512_test_epi8_mask(cls, pii_z(3));
	m->nt = _mm512_test_epi8_mask(cls, pii_z(4));
	m->hex = _mm512_test_epi8_mask(cls, pii_z(5));
	m->dot = _mm512_cmpeq_epi8_mask(v, pii_z(6));
	m->colon = _mm512_cmpeq_epi8_mask(v, pii_z(7));
	m->dash = _mm512_cmpeq_epi8_mask(v, pii_z(8));
	/* '1' | 2 == '3' | 2 == '3', nothing else gives '3' */
	m->b58s = _mm512_cmpeq_epi8_mask(_mm512_or_si512(v, pii_z(9)), pii_z(10));
	m->ws = m->w | m->colon | m->dash | m->dot;
}

static inline __attribute__((target("avx2"))) void
pii_win_avx2(const uint8_t *p, struct pii_win *m)
{
	const __m256i hi_t = _mm256_setr_epi8(PII_NIB_HI, PII_NIB_HI);
	const __m256i lo_t = _mm256_setr_epi8(PII_NIB_LO, PII_NIB_LO);
	const __m256i nib = _mm256_set1_epi8(0x0f);

	*m = (struct pii_win){0};
	for (unsigned int k = 0; k < 2; k++) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * k));
		__m256i cls = _mm256_and_si256(
			_mm256_shuffle_epi8(hi_t, _mm256_and_si256(_mm256_srli_epi16(v, 4), nib)),
			_mm256_shuffle_epi8(lo_t, _mm256_and_si256(v, nib)));
		unsigned int sh = 32 * k;

		m->d |= pii_y_test(cls, PII_C_D) << sh;
		m->w |= pii_y_test(cls, PII_C_W) << sh;
		m->sp |= pii_y_eq(v, ' ') << sh;
		m->da |= pii_y_eq(v, '-') << sh;
		m->dt |= pii_y_eq(v, '.') << sh;
		m->pl |= pii_y_eq(v, '+') << sh;
		m->lp |= pii_y_eq(v, '(') << sh;
		m->rp |= pii_y_eq(v, ')') << sh;
	}
}

static inline __attribute__((target("avx512bw"))) void
pii_win_avx512(const uint8_t *p, struct pii_win *m)
{
	__m512i v = _mm512_loadu_si512((const void *)p), cls = pii_z_cls(v);

	m->d = _mm512_test_epi8_mask(cls, pii_z(1));
	m->w = _mm512_test_epi8_mask(cls, pii_z(3));
	m->sp = _mm512_cmpeq_epi8_mask(v, pii_z(11));
	m->da = _mm512_cmpeq_epi8_mask(v, pii_z(8));
	m->dt = _mm512_cmpeq_epi8_mask(v, pii_z(6));
	m->pl = _mm512_cmpeq_epi8_mask(v, pii_z(12));
	m->lp = _mm512_cmpeq_epi8_mask(v, pii_z(13));
	m->rp = _mm512_cmpeq_epi8_mask(v, pii_z(14));
}

static inline __attribute__((target("avx2"))) uint64_t
pii_colon_avx2(const uint8_t *p)
{
	return pii_y_eq(_mm256_loadu_si256((const __m256i *)(const void *)p), ':') |
	       pii_y_eq(_mm256_loadu_si256((const __m256i *)(const void *)(p + 32)), ':') << 32;
}

static inline __attribute__((target("avx512bw"))) uint64_t
pii_colon_avx512(const uint8_t *p)
{
	return _mm512_cmpeq_epi8_mask(_mm512_loadu_si512((const void *)p), pii_z(7));
}

#endif /* PII_SIMD_X86 */

#endif /* HP_PII_SIMD_H */
