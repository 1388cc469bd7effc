/* SPDX-License-Identifier: BSD-3-Clause
 * lib/pii validators: pure functions over the exact candidate text, no allocation, no libc
 * beyond memcmp/memcpy. Base58Check's double SHA-256 uses OpenSSL's low-level SHA-256 (its
 * one-shot digests go through EVP in OpenSSL 3 and allocate).
 */
#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init & co: no allocation per call */
#endif

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <openssl/sha.h>

#include "pii_priv.h"

static inline bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static inline bool
is_upper(uint8_t c)
{
	return c >= 'A' && c <= 'Z';
}

static inline bool
is_lower(uint8_t c)
{
	return c >= 'a' && c <= 'z';
}

static inline bool
is_alnum(uint8_t c)
{
	return is_digit(c) || is_upper(c) || is_lower(c);
}

static inline int
hex_val(uint8_t c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ---- credit card, Luhn ---- */

/* c is one of the (non-NUL) bytes of seps: what strchr would say, without a call per byte. */
static inline bool
is_sep(const char *seps, uint8_t c)
{
	for (; *seps != '\0'; seps++)
		if ((uint8_t)*seps == c)
			return true;
	return false;
}

/* Digits of s into d (at most max), separators in seps allowed singly between digits.
 * Returns the digit count, or -1 if the text is not digits-and-single-separators. */
static int
collect_digits(const uint8_t *s, size_t n, const char *seps, uint8_t *d, int max)
{
	int nd = 0;

	if (n == 0 || !is_digit(s[0]) || !is_digit(s[n - 1]))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (is_digit(s[i])) {
			if (nd == max)
				return -1;
			d[nd++] = (uint8_t)(s[i] - '0');
		} else if (is_sep(seps, s[i]) && is_digit(s[i - 1])) {
			continue;
		} else {
			return -1;
		}
	}
	return nd;
}

static bool
luhn(const uint8_t *d, int nd)
{
	unsigned int sum = 0;

	for (int i = nd - 1, k = 0; i >= 0; i--, k++) {
		unsigned int v = d[i];
		if (k & 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return sum % 10 == 0;
}

/* collect_digits(s, n, " -", d, 19) and the checks on its digits, in one walk from the right
 * (Luhn's doubling from the last digit) with nothing stored. */
bool
hp_pii_card_valid(const uint8_t *s, size_t n)
{
	static const uint8_t dbl[10] = {0, 2, 4, 6, 8, 1, 3, 5, 7, 9};
	unsigned int sum = 0, nd = 0;

	if (n < 13 || !hp_pii_card_first(s[0]) || !is_digit(s[n - 1]))
		return false;
	for (size_t i = n; i-- > 0;) {
		unsigned int v = (unsigned int)s[i] - '0';

		if (v < 10) {
			if (nd == 19)
				return false;
			sum += (nd & 1) ? dbl[v] : v;
			nd++;
		} else if ((s[i] != ' ' && s[i] != '-') || !is_digit(s[i - 1])) {
			return false; /* s[0] is a digit: i > 0 here */
		}
	}
	if (nd < hp_pii_card_min_digits(s[0]))
		return false;
	return sum % 10 == 0;
}

bool
hp_pii_luhn_valid(const uint8_t *s, size_t n)
{
	uint8_t d[64];
	int nd = collect_digits(s, n, " -", d, 64);

	return nd >= 2 && luhn(d, nd);
}

/* ---- US SSN and ITIN ---- */

/* ddd?dd?dddd with the same delimiter from seps twice, or 9 bare digits. */
static bool
parse_3_2_4(const uint8_t *s, size_t n, uint8_t d[9], bool *bare)
{
	size_t k = 0;

	if (n == 9) {
		*bare = true;
	} else if (n == 11) {
		*bare = false;
		if (s[3] != s[6] || (s[3] != '-' && s[3] != '.' && s[3] != ' '))
			return false;
	} else {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (n == 11 && (i == 3 || i == 6))
			continue;
		if (!is_digit(s[i]))
			return false;
		d[k++] = (uint8_t)(s[i] - '0');
	}
	return true;
}

bool
hp_pii_ssn_valid(const uint8_t *s, size_t n, bool *bare)
{
	static const uint8_t seq[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
	static const uint8_t woolworth[9] = {0, 7, 8, 0, 5, 1, 1, 2, 0};
	uint8_t d[9];
	unsigned int area, group, serial;
	bool same = true;

	if (!parse_3_2_4(s, n, d, bare))
		return false;
	area = d[0] * 100u + d[1] * 10u + d[2];
	group = d[3] * 10u + d[4];
	serial = d[5] * 1000u + d[6] * 100u + d[7] * 10u + d[8];
	for (int i = 1; i < 9; i++)
		same &= d[i] == d[0];
	if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 || same)
		return false;
	if (memcmp(d, seq, 9) == 0 || memcmp(d, woolworth, 9) == 0)
		return false;
	return true;
}

bool
hp_pii_itin_valid(const uint8_t *s, size_t n, bool *bare)
{
	uint8_t d[9];
	unsigned int g;

	if (!parse_3_2_4(s, n, d, bare) || d[0] != 9)
		return false;
	g = d[3] * 10u + d[4];
	return (g >= 50 && g <= 65) || (g >= 70 && g <= 88) || (g >= 90 && g <= 92) || g >= 94;
}

/* ---- IBAN ---- */

/* IBAN lengths per country (SWIFT IBAN registry). */
/* IBAN lengths per country (SWIFT IBAN registry), indexed by the two capitals; 0: none. */
#define IBAN_CC(a, b) [((a) - 'A') * 26 + ((b) - 'A')]
static const uint8_t iban_len[26 * 26] = {
	IBAN_CC('A', 'D') = 24, IBAN_CC('A', 'E') = 23, IBAN_CC('A', 'L') = 28,
	IBAN_CC('A', 'T') = 20, IBAN_CC('A', 'Z') = 28, IBAN_CC('B', 'A') = 20,
	IBAN_CC('B', 'E') = 16, IBAN_CC('B', 'G') = 22, IBAN_CC('B', 'H') = 22,
	IBAN_CC('B', 'I') = 27, IBAN_CC('B', 'R') = 29, IBAN_CC('B', 'Y') = 28,
	IBAN_CC('C', 'H') = 21, IBAN_CC('C', 'R') = 22, IBAN_CC('C', 'Y') = 28,
	IBAN_CC('C', 'Z') = 24, IBAN_CC('D', 'E') = 22, IBAN_CC('D', 'J') = 27,
	IBAN_CC('D', 'K') = 18, IBAN_CC('D', 'O') = 28, IBAN_CC('E', 'E') = 20,
	IBAN_CC('E', 'G') = 29, IBAN_CC('E', 'S') = 24, IBAN_CC('F', 'I') = 18,
	IBAN_CC('F', 'K') = 18, IBAN_CC('F', 'O') = 18, IBAN_CC('F', 'R') = 27,
	IBAN_CC('G', 'B') = 22, IBAN_CC('G', 'E') = 22, IBAN_CC('G', 'I') = 23,
	IBAN_CC('G', 'L') = 18, IBAN_CC('G', 'R') = 27, IBAN_CC('G', 'T') = 28,
	IBAN_CC('H', 'R') = 21, IBAN_CC('H', 'U') = 28, IBAN_CC('I', 'E') = 22,
	IBAN_CC('I', 'L') = 23, IBAN_CC('I', 'Q') = 23, IBAN_CC('I', 'S') = 26,
	IBAN_CC('I', 'T') = 27, IBAN_CC('J', 'O') = 30, IBAN_CC('K', 'W') = 30,
	IBAN_CC('K', 'Z') = 20, IBAN_CC('L', 'B') = 28, IBAN_CC('L', 'C') = 32,
	IBAN_CC('L', 'I') = 21, IBAN_CC('L', 'T') = 20, IBAN_CC('L', 'U') = 20,
	IBAN_CC('L', 'V') = 21, IBAN_CC('L', 'Y') = 25, IBAN_CC('M', 'C') = 27,
	IBAN_CC('M', 'D') = 24, IBAN_CC('M', 'E') = 22, IBAN_CC('M', 'K') = 19,
	IBAN_CC('M', 'N') = 20, IBAN_CC('M', 'R') = 27, IBAN_CC('M', 'T') = 31,
	IBAN_CC('M', 'U') = 30, IBAN_CC('N', 'I') = 28, IBAN_CC('N', 'L') = 18,
	IBAN_CC('N', 'O') = 15, IBAN_CC('O', 'M') = 23, IBAN_CC('P', 'K') = 24,
	IBAN_CC('P', 'L') = 28, IBAN_CC('P', 'S') = 29, IBAN_CC('P', 'T') = 25,
	IBAN_CC('Q', 'A') = 29, IBAN_CC('R', 'O') = 24, IBAN_CC('R', 'S') = 22,
	IBAN_CC('R', 'U') = 33, IBAN_CC('S', 'A') = 24, IBAN_CC('S', 'C') = 31,
	IBAN_CC('S', 'D') = 18, IBAN_CC('S', 'E') = 24, IBAN_CC('S', 'I') = 19,
	IBAN_CC('S', 'K') = 24, IBAN_CC('S', 'M') = 27, IBAN_CC('S', 'O') = 23,
	IBAN_CC('S', 'T') = 25, IBAN_CC('S', 'V') = 28, IBAN_CC('T', 'L') = 23,
	IBAN_CC('T', 'N') = 24, IBAN_CC('T', 'R') = 26, IBAN_CC('U', 'A') = 29,
	IBAN_CC('V', 'A') = 22, IBAN_CC('V', 'G') = 24, IBAN_CC('X', 'K') = 20,
};
#undef IBAN_CC

unsigned int
hp_pii_iban_len(const uint8_t *cc)
{
	if (!is_upper(cc[0]) || !is_upper(cc[1]))
		return 0;
	return iban_len[(cc[0] - 'A') * 26 + (cc[1] - 'A')];
}

/* 10^e mod 97, e up to 67: the decimal digits an IBAN of 34 characters can have right of one */
static const uint8_t pow10_mod97[68] = {
	1,  10, 3,  30, 9,  90, 27, 76, 81, 34, 49, 5,  50, 15, 53, 45, 62, 38, 89, 17, 73, 51, 25,
	56, 75, 71, 31, 19, 93, 57, 85, 74, 61, 28, 86, 84, 64, 58, 95, 77, 91, 37, 79, 14, 43, 42,
	32, 29, 96, 87, 94, 67, 88, 7,  70, 21, 16, 63, 48, 92, 47, 82, 44, 52, 35, 59, 8,  80};

#ifdef __SSE2__
/* The bare form's all-digit BBANs (most countries'), 16 bytes at a time: the characters from 4
 * (A, 4 .. 19) and the last 16 (B), weighted by 10^e mod 97 as the walk below would: B's
 * lanes by their fixed distance to the end (e = 21 - lane), A's by n + 1 - lane where B does
 * not cover them (lane < n - 20), else 0. For n 20 to 35 (A and B then cover 4 .. n - 1). */
static const int16_t iban_wb[16] __attribute__((aligned(16))) = {51, 73, 17, 89, 38, 62, 45, 53,
								 15, 50, 5,  49, 34, 81, 76, 27};
static const int16_t iban_wa[16][16] __attribute__((aligned(16))) = {
	{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	{25, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	{56, 25, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	{75, 56, 25, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	{71, 75, 56, 25, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	{31, 71, 75, 56, 25, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	{19, 31, 71, 75, 56, 25, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	{93, 19, 31, 71, 75, 56, 25, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	{57, 93, 19, 31, 71, 75, 56, 25, 0, 0, 0, 0, 0, 0, 0, 0},
	{85, 57, 93, 19, 31, 71, 75, 56, 25, 0, 0, 0, 0, 0, 0, 0},
	{74, 85, 57, 93, 19, 31, 71, 75, 56, 25, 0, 0, 0, 0, 0, 0},
	{61, 74, 85, 57, 93, 19, 31, 71, 75, 56, 25, 0, 0, 0, 0, 0},
	{28, 61, 74, 85, 57, 93, 19, 31, 71, 75, 56, 25, 0, 0, 0, 0},
	{86, 28, 61, 74, 85, 57, 93, 19, 31, 71, 75, 56, 25, 0, 0, 0},
	{84, 86, 28, 61, 74, 85, 57, 93, 19, 31, 71, 75, 56, 25, 0, 0},
	{64, 84, 86, 28, 61, 74, 85, 57, 93, 19, 31, 71, 75, 56, 25, 0},
};

/* The weighted sum of s[4 .. n - 1] as digits (20 <= n <= 35), or false if one is not a digit. */
static inline bool
iban_digit_sum(const uint8_t *s, size_t n, unsigned int *sum)
{
	const __m128i zero = _mm_setzero_si128(), nine = _mm_set1_epi8(9);
	const __m128i c0 = _mm_set1_epi8('0');
	const __m128i *wa = (const __m128i *)(const void *)iban_wa[n - 20];
	const __m128i *wb = (const __m128i *)(const void *)iban_wb;
	__m128i a = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + 4)), c0);
	__m128i b = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + n - 16)), c0);
	__m128i t;

	/* a digit minus '0' is at most 9 as an unsigned byte, anything else more */
	t = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(a, nine), nine),
			  _mm_cmpeq_epi8(_mm_max_epu8(b, nine), nine));
	if (_mm_movemask_epi8(t) != 0xffff)
		return false;
	t = _mm_add_epi32(_mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi8(a, zero), wa[0]),
					_mm_madd_epi16(_mm_unpackhi_epi8(a, zero), wa[1])),
			  _mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi8(b, zero), wb[0]),
					_mm_madd_epi16(_mm_unpackhi_epi8(b, zero), wb[1])));
	t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4e));
	t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xb1));
	*sum = (unsigned int)_mm_cvtsi128_si32(t);
	return true;
}
#endif

/* ISO 13616: the first four characters moved to the end, each letter written as its two digits
 * (A = 10), the decimal number mod 97 must be 1. The sum of each character's value times 10^e
 * mod 97, e the decimal digits right of it: walked from the right, the products do not wait on
 * each other (a Horner chain of 30 multiplies did), and the sum stays below 2^32 (34 * 35 * 96).
 * Only the length the country code fixes, bare or with a space after every 4 characters. */
bool
hp_pii_iban_valid(const uint8_t *s, size_t n)
{
	unsigned int want, acc, e = 6;
	size_t spaces = 0;

	/* the country code fixes the length: a candidate end that cannot have it is refused
	 * before any byte is read past the check digits (span_generic tries several ends) */
	if (n < 15 || !is_upper(s[0]) || !is_upper(s[1]) || !is_digit(s[2]) || !is_digit(s[3]))
		return false;
	want = hp_pii_iban_len(s);
	if (want == 0)
		return false;
	if (n != want) {
		/* grouped: a space after every group of 4 and nowhere else, so at 4, 9, 14 ..
		 * (as many as there are groups after the first, (want - 1) / 4); the walk
		 * below counts the spaces it skips, and any one more is out of place (bare,
		 * any space is) */
		if (n != want + (want - 1) / 4)
			return false;
		for (size_t i = 4; i < n; i += 5)
			if (s[i] != ' ')
				return false;
	}
	/* the four moved to the end: two check digits, two letters (two decimal digits each) */
	acc = (s[3] - '0') + (s[2] - '0') * 10u + (s[1] - 'A' + 10u) * 100u +
	      (s[0] - 'A' + 10u) * 10000u;
#ifdef __SSE2__
	if (n == want && n >= 20 && n <= 35) {
		unsigned int sum;

		if (iban_digit_sum(s, n, &sum))
			return (acc + sum) % 97 == 1;
	}
#endif
	for (size_t i = n; i-- > 4;) {
		unsigned int v = s[i] - (unsigned int)'0';

		if (v < 10) {
			acc += v * pow10_mod97[e];
			e += 1;
		} else if ((v = s[i] - (unsigned int)'A') < 26) {
			acc += (v + 10) * pow10_mod97[e];
			e += 2;
		} else if (s[i] == ' ' && n != want) {
			spaces++;
		} else {
			return false;
		}
	}
	return spaces == n - want && acc % 97 == 1;
}

/* ---- ABA routing, UK NHS ---- */

bool
hp_pii_aba_valid(const uint8_t *s, size_t n)
{
	uint8_t d[9];
	int nd, p;

	if (n == 11 && (s[4] != '-' || s[9] != '-'))
		return false;
	if (n != 9 && n != 11)
		return false;
	nd = collect_digits(s, n, "-", d, 9);
	if (nd != 9)
		return false;
	p = d[0] * 10 + d[1];
	if (!((p <= 12) || (p >= 21 && p <= 32) || (p >= 61 && p <= 72) || p == 80))
		return false;
	if (d[0] == 0 && d[1] == 0 && d[2] == 0 && d[3] == 0)
		return false; /* 0000xxxxx: not assigned, and what zero-padded ids look like */
	return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 ==
	       0;
}

bool
hp_pii_nhs_valid(const uint8_t *s, size_t n, bool *bare)
{
	uint8_t d[10];
	unsigned int sum = 0, chk;
	bool same = true;
	size_t k = 0;

	if (n == 10) {
		*bare = true;
	} else if (n == 12) {
		*bare = false;
		if (s[3] != s[7] || (s[3] != '-' && s[3] != ' '))
			return false;
	} else {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (n == 12 && (i == 3 || i == 7))
			continue;
		if (!is_digit(s[i]))
			return false;
		d[k++] = (uint8_t)(s[i] - '0');
	}
	for (int i = 0; i < 9; i++) {
		sum += d[i] * (10u - (unsigned int)i);
		same &= d[i] == d[0];
	}
	if (same && d[9] == d[0])
		return false;
	chk = 11 - sum % 11;
	if (chk == 11)
		chk = 0;
	return chk != 10 && chk == d[9];
}

/* ---- email ---- */

/* The rules of an address's parts, shared by hp_pii_email_valid (a whole address) and
 * span_email (lib/pii/pii.c: each part checked once, the domain label by label as it grows). */

/* local part: 1-64 bytes of [A-Za-z0-9._%+-], no '.' first, last or twice in a row */
bool
hp_pii_email_local_ok(const uint8_t *s, size_t n)
{
	if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!hp_pii_email_local_byte(s[i]) || (s[i] == '.' && i + 1 < n && s[i + 1] == '.'))
			return false;
	return true;
}

/* a domain label whose bytes are [A-Za-z0-9-]: 1-63 of them, no '-' first or last */
bool
hp_pii_email_label_ok(const uint8_t *s, size_t n)
{
	return n >= 1 && n <= 63 && s[0] != '-' && s[n - 1] != '-';
}

/* the last label: a punycode label, or 2 letters or more */
bool
hp_pii_email_tld_ok(const uint8_t *s, size_t n)
{
	if (n >= 4 && memcmp(s, "xn--", 4) == 0)
		return true;
	if (n < 2)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_upper(s[i]) && !is_lower(s[i]))
			return false;
	return true;
}

bool
hp_pii_email_valid(const uint8_t *s, size_t n)
{
	size_t at = n, i, lab, nlab = 0, tld = 0;

	for (i = 0; i < n; i++)
		if (s[i] == '@') {
			at = i;
			break;
		}
	if (at == n || n - at - 1 > 253 || !hp_pii_email_local_ok(s, at))
		return false;
	/* domain: labels of [A-Za-z0-9-] separated by '.', 2 or more */
	lab = at + 1;
	for (i = at + 1; i <= n; i++) {
		if (i < n && (is_alnum(s[i]) || s[i] == '-'))
			continue;
		if (i < n && s[i] != '.')
			return false;
		if (!hp_pii_email_label_ok(s + lab, i - lab))
			return false;
		nlab++;
		tld = lab;
		lab = i + 1;
	}
	return nlab >= 2 && hp_pii_email_tld_ok(s + tld, n - tld);
}

/* ---- phone ---- */

static bool
nanp_ok(const uint8_t *d)
{
	return hp_pii_nanp_lead(d[0]) && hp_pii_nanp_lead(d[3]);
}

bool
hp_pii_phone_valid(const uint8_t *s, size_t n)
{
	uint8_t d[15];
	int nd;

	if (n >= 9 && s[0] == '+') {
		nd = collect_digits(s + 1, n - 1, " .-", d, 15);
		return nd >= 8 && d[0] != 0;
	}
	if (n >= 13 && s[0] == '(') {
		/* (ddd) ddd-dddd, (ddd)ddd-dddd, (ddd) ddd dddd, (ddd) ddd.dddd */
		size_t o = 5;
		if (s[4] != ')')
			return false;
		if (s[5] == ' ')
			o = 6;
		if (n != o + 8)
			return false;
		for (int i = 0; i < 3; i++) {
			if (!is_digit(s[1 + i]) || !is_digit(s[o + i]))
				return false;
			d[i] = (uint8_t)(s[1 + i] - '0');
			d[3 + i] = (uint8_t)(s[o + i] - '0');
		}
		if (s[o + 3] != '-' && s[o + 3] != '.' && s[o + 3] != ' ')
			return false;
		for (int i = 0; i < 4; i++)
			if (!is_digit(s[o + 4 + i]))
				return false;
		return nanp_ok(d);
	}
	if (n == 12) {
		if (s[3] != s[7] || (s[3] != '-' && s[3] != '.' && s[3] != ' '))
			return false;
		nd = collect_digits(s, n, " .-", d, 10);
		return nd == 10 && nanp_ok(d);
	}
	return false;
}

/* ---- IP, MAC ---- */

/* Dotted quad at s, no leading zeros; returns the length consumed by exactly 4 octets or 0. */
static size_t
ipv4_parse(const uint8_t *s, size_t n)
{
	size_t i = 0;

	for (int oct = 0; oct < 4; oct++) {
		unsigned int v = 0;
		size_t st = i;
		if (oct > 0) {
			if (i >= n || s[i] != '.')
				return 0;
			st = ++i;
		}
		while (i < n && is_digit(s[i]) && i - st < 3)
			v = v * 10 + (s[i++] - '0');
		if (i == st || v > 255 || (i - st > 1 && s[st] == '0'))
			return 0;
	}
	return i;
}

bool
hp_pii_ipv4_valid(const uint8_t *s, size_t n)
{
	return n >= 7 && n <= 15 && ipv4_parse(s, n) == n;
}

bool
hp_pii_ipv6_valid(const uint8_t *s, size_t n)
{
	unsigned int groups = 0;
	bool dcolon = false;
	size_t i = 0;

	if (n < 3 || n > 45)
		return false;
	if (s[0] == ':') {
		if (s[1] != ':')
			return false;
		dcolon = true;
		i = 2;
		if (i == n)
			return false; /* bare "::" */
	}
	while (i < n) {
		size_t st = i;
		while (i < n && hex_val(s[i]) >= 0 && i - st < 5)
			i++;
		if (i < n && s[i] == '.') {
			/* embedded dotted quad: last, counts as two groups */
			if (ipv4_parse(s + st, n - st) != n - st)
				return false;
			groups += 2;
			i = n;
			break;
		}
		if (i == st || i - st > 4)
			return false;
		groups++;
		if (i == n)
			break;
		if (s[i] != ':')
			return false;
		i++;
		if (i < n && s[i] == ':') {
			if (dcolon)
				return false;
			dcolon = true;
			i++;
			if (i == n)
				break;
		} else if (i == n) {
			return false; /* trailing single ':' */
		}
	}
	return dcolon ? groups <= 7 : groups == 8;
}

bool
hp_pii_mac_valid(const uint8_t *s, size_t n)
{
	bool zero = true;

	if (n == 17) {
		uint8_t sep = s[2];
		if (sep != ':' && sep != '-')
			return false;
		for (size_t i = 0; i < n; i++) {
			if (i % 3 == 2) {
				if (s[i] != sep)
					return false;
			} else if (hex_val(s[i]) < 0) {
				return false;
			} else {
				zero &= s[i] == '0';
			}
		}
	} else if (n == 14) {
		for (size_t i = 0; i < n; i++) {
			if (i == 4 || i == 9) {
				if (s[i] != '.')
					return false;
			} else if (hex_val(s[i]) < 0) {
				return false;
			} else {
				zero &= s[i] == '0';
			}
		}
	} else {
		return false;
	}
	return !zero;
}

/* ---- SHA-256 (OpenSSL) ----
 * The low-level one-shot context on the stack: no allocation per call (EVP would fetch and
 * allocate; SHA256() itself goes through EVP_Q_digest in OpenSSL 3). Same choice as lib/verify. */

void
hp_pii_sha256(const uint8_t *m, size_t n, uint8_t out[32])
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, m, n);
	SHA256_Final(out, &c);
}

/* ---- Base58Check, Bech32 ---- */

/* Value of each byte in the Base58 alphabet ("123456789ABCDEFGHJKLMNPQRSTUVWXYZabc...z",
 * no 0, O, I, l) plus one, 0 for the others; Bech32's 32 characters likewise. One load per
 * character, not a search of the alphabet. */
static const uint8_t b58_tab[256] = {
	['1'] = 1,  ['2'] = 2,  ['3'] = 3,  ['4'] = 4,  ['5'] = 5,  ['6'] = 6,  ['7'] = 7,
	['8'] = 8,  ['9'] = 9,  ['A'] = 10, ['B'] = 11, ['C'] = 12, ['D'] = 13, ['E'] = 14,
	['F'] = 15, ['G'] = 16, ['H'] = 17, ['J'] = 18, ['K'] = 19, ['L'] = 20, ['M'] = 21,
	['N'] = 22, ['P'] = 23, ['Q'] = 24, ['R'] = 25, ['S'] = 26, ['T'] = 27, ['U'] = 28,
	['V'] = 29, ['W'] = 30, ['X'] = 31, ['Y'] = 32, ['Z'] = 33, ['a'] = 34, ['b'] = 35,
	['c'] = 36, ['d'] = 37, ['e'] = 38, ['f'] = 39, ['g'] = 40, ['h'] = 41, ['i'] = 42,
	['j'] = 43, ['k'] = 44, ['m'] = 45, ['n'] = 46, ['o'] = 47, ['p'] = 48, ['q'] = 49,
	['r'] = 50, ['s'] = 51, ['t'] = 52, ['u'] = 53, ['v'] = 54, ['w'] = 55, ['x'] = 56,
	['y'] = 57, ['z'] = 58,
};

/* "qpzry9x8gf2tvdw0s3jn54khce6mua7l" */
static const uint8_t bech32_tab[256] = {
	['q'] = 1,  ['p'] = 2,  ['z'] = 3,  ['r'] = 4,  ['y'] = 5,  ['9'] = 6,  ['x'] = 7,
	['8'] = 8,  ['g'] = 9,  ['f'] = 10, ['2'] = 11, ['t'] = 12, ['v'] = 13, ['d'] = 14,
	['w'] = 15, ['0'] = 16, ['s'] = 17, ['3'] = 18, ['j'] = 19, ['n'] = 20, ['5'] = 21,
	['4'] = 22, ['k'] = 23, ['h'] = 24, ['c'] = 25, ['e'] = 26, ['6'] = 27, ['m'] = 28,
	['u'] = 29, ['a'] = 30, ['7'] = 31, ['l'] = 32,
};

bool
hp_pii_base58check_valid(const uint8_t *s, size_t n)
{
	/* the number in 32-bit limbs, most significant first: 7 limbs hold 224 bits, the 25
	 * bytes of an address are the low 200 */
	uint32_t l[7] = {0};
	uint8_t b[25], h[32];
	size_t z = 0;

	if (n < 26 || n > 35 || (s[0] != '1' && s[0] != '3'))
		return false;
	for (size_t i = 0; i < n; i++) {
		uint64_t carry = b58_tab[s[i]];

		if (carry-- == 0)
			return false;
		for (int k = 6; k >= 0; k--) {
			carry += (uint64_t)l[k] * 58u;
			l[k] = (uint32_t)carry;
			carry >>= 32;
		}
		if (carry != 0)
			return false; /* more than 224 bits */
	}
	/* more than 25 bytes (the value only grows, so no earlier step had more either) */
	if (l[0] >> 8 != 0)
		return false;
	b[0] = (uint8_t)l[0];
	for (int k = 1; k < 7; k++) {
		b[4 * k - 3] = (uint8_t)(l[k] >> 24);
		b[4 * k - 2] = (uint8_t)(l[k] >> 16);
		b[4 * k - 1] = (uint8_t)(l[k] >> 8);
		b[4 * k] = (uint8_t)l[k];
	}
	/* leading '1's are leading zero bytes; the number must fill the rest exactly */
	while (z < n && s[z] == '1')
		z++;
	for (size_t k = 0; k < z; k++)
		if (k >= 25 || b[k] != 0)
			return false;
	if (z < 25 && z > 0 && b[z] == 0)
		return false;
	if (b[0] != 0x00 && b[0] != 0x05)
		return false;
	hp_pii_sha256(b, 21, h);
	hp_pii_sha256(h, 32, h);
	return memcmp(h, b + 21, 4) == 0;
}

/* One step of Bech32's checksum: the generator terms of the five top bits, without a branch
 * per bit. */
static inline uint32_t
bech32_polymod_step(uint32_t chk, uint8_t v)
{
	uint32_t top = chk >> 25;

	chk = (chk & 0x1ffffff) << 5 ^ v;
	chk ^= -(top & 1) & 0x3b6a57b2;
	chk ^= -((top >> 1) & 1) & 0x26508e6d;
	chk ^= -((top >> 2) & 1) & 0x1ea119fa;
	chk ^= -((top >> 3) & 1) & 0x3d4233dd;
	chk ^= -((top >> 4) & 1) & 0x2a1462b3;
	return chk;
}

bool
hp_pii_bech32_valid(const uint8_t *s, size_t n)
{
	uint32_t chk = 1;
	uint8_t ver = 0;
	unsigned int bits = 0, acc = 0, nbytes = 0;
	size_t nd;

	if (n < 14 || n > 90 || s[0] != 'b' || s[1] != 'c' || s[2] != '1')
		return false;
	/* hrp expansion of "bc" */
	chk = bech32_polymod_step(chk, 'b' >> 5);
	chk = bech32_polymod_step(chk, 'c' >> 5);
	chk = bech32_polymod_step(chk, 0);
	chk = bech32_polymod_step(chk, 'b' & 31);
	chk = bech32_polymod_step(chk, 'c' & 31);
	nd = n - 3;
	for (size_t i = 0; i < nd; i++) {
		uint8_t v = bech32_tab[s[3 + i]];

		if (v-- == 0)
			return false;
		chk = bech32_polymod_step(chk, v);
		if (i == 0) {
			ver = v;
		} else if (i + 6 < nd) {
			/* witness program, 5-bit groups to bytes */
			acc = (acc << 5) | v;
			bits += 5;
			if (bits >= 8) {
				bits -= 8;
				nbytes++;
			}
		}
	}
	if (ver > 16 || bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
		return false;
	if (nbytes < 2 || nbytes > 40 || (ver == 0 && nbytes != 20 && nbytes != 32))
		return false;
	return chk == (ver == 0 ? 1u : 0x2bc830a3u);
}

/* ---- JWT ---- */

/* JWT bytes: 1 base64url (A-Z a-z 0-9 '-' '_'), 2 the '.' between its parts, 0 any other */
static const uint8_t jwt_cls[256] = {
	['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['-'] = 1, ['_'] = 1, ['.'] = 2,
};

bool
hp_pii_jwt_valid(const uint8_t *s, size_t n)
{
	size_t dot[2], nd = 0;

	for (size_t i = 0; i < n; i++) {
		/* eight base64url bytes at a time (their classes AND to 1 only if all are 1) */
		while (n - i >= 8 && (jwt_cls[s[i]] & jwt_cls[s[i + 1]] & jwt_cls[s[i + 2]] &
				      jwt_cls[s[i + 3]] & jwt_cls[s[i + 4]] & jwt_cls[s[i + 5]] &
				      jwt_cls[s[i + 6]] & jwt_cls[s[i + 7]]) == 1)
			i += 8;
		if (i == n)
			break;
		if (jwt_cls[s[i]] == 2) {
			if (nd == 2)
				return false;
			dot[nd++] = i;
		} else if (jwt_cls[s[i]] == 0) {
			return false;
		}
	}
	/* header and payload are base64url JSON objects: '{"' encodes as "eyJ"; an empty
	 * signature is alg "none", still a token */
	return nd == 2 && dot[0] >= 10 && dot[1] - dot[0] - 1 >= 4 && memcmp(s, "eyJ", 3) == 0 &&
	       memcmp(s + dot[0] + 1, "eyJ", 3) == 0;
}
