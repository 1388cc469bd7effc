/* SPDX-License-Identifier: BSD-3-Clause
 * lib/pii engine: the entity table (prefilter patterns, span grammar, boundaries, context),
 * the Hyperscan database build, the scan and the mask.
 *
 * How a match becomes a span. Built-in patterns are prefilters: each reports end offsets E of a
 * prefix (or the whole) of every valid span, and the span's start lies in [E - back, E). On each
 * report the callback tries, leftmost first, every start in that window not tried before for
 * this entity; a start is tried once (a boundary check rejects most in one byte) by parsing
 * forward the entity's character set and keeping the longest end whose boundary, validator and
 * context hold. Hyperscan delivers matches in end-offset order, so per entity the accepted spans
 * are leftmost and non-overlapping, with no HS_FLAG_SOM_LEFTMOST (which halves the scan rate,
 * DESIGN §8) and no per-byte work beyond the window.
 */
#include "pii_priv.h"
#include "pii_simd.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* character classes for sets and boundaries */
#define C_DIGIT (1u << 0)
#define C_UPPER (1u << 1)
#define C_LOWER (1u << 2)
#define C_SPACE (1u << 3) /* ' ' only: a newline ends a number */
#define C_DASH  (1u << 4)
#define C_DOT   (1u << 5)
#define C_COLON (1u << 6)
#define C_PLUS  (1u << 7)
#define C_PAREN (1u << 8)
#define C_UNDER (1u << 9)
#define C_AT    (1u << 10)
#define C_ALNUM (C_DIGIT | C_UPPER | C_LOWER)

static const uint16_t cclass_tab[256] = {
	['0' ... '9'] = C_DIGIT, ['A' ... 'Z'] = C_UPPER, ['a' ... 'z'] = C_LOWER, [' '] = C_SPACE,
	['-'] = C_DASH,          ['.'] = C_DOT,           [':'] = C_COLON,         ['+'] = C_PLUS,
	['('] = C_PAREN,         [')'] = C_PAREN,         ['_'] = C_UNDER,         ['@'] = C_AT,
};

static inline uint32_t
cclass(uint8_t c)
{
	return cclass_tab[c];
}

static inline bool
is_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* extra "after" rules */
#define AF_DOT_DIGIT 1u /* "1.2.3.4.5": a '.' then a digit continues the token */
#define AF_SEP_HEX   2u /* "aa:bb:cc:dd:ee:ff:00": ':' or '-' then hex continues it */
#define AF_COLON_HEX 4u

enum ctx_mode { CTX_NONE = 0, CTX_IF_BARE, CTX_ALWAYS };

struct ent_desc;
typedef size_t (*span_fn)(const struct ent_desc *d, const uint8_t *b, size_t len, size_t s);

struct ent_desc {
	const char *name;
	const char *pat[3]; /* Hyperscan prefilters, NULL-terminated */
	uint16_t back;      /* span start >= prefilter end - back */
	uint16_t minlen, maxlen;
	uint32_t set;            /* characters a span is made of */
	uint32_t first;          /* classes a span may start with (0: any of set) */
	const char *first_chars; /* or these bytes (NULL: use first) */
	uint32_t before;         /* classes that may not precede the span */
	uint32_t after;          /* classes that may not follow it */
	uint32_t after_flags;
	enum ctx_mode ctx;
	const char *const *words; /* context words (lower case), looked for before the span */
	bool (*valid)(const uint8_t *s, size_t n);
	bool (*valid_bare)(const uint8_t *s, size_t n, bool *bare);
	span_fn span; /* custom grammar; NULL: generic */
	bool keep_last4;
};

/* ---- user validator table ---- */

static bool
val_nhs(const uint8_t *s, size_t n)
{
	bool bare;
	return hp_pii_nhs_valid(s, n, &bare);
}

static bool
val_crypto(const uint8_t *s, size_t n)
{
	if (s[0] == 'b')
		return hp_pii_bech32_valid(s, n);
	return hp_pii_base58check_valid(s, n);
}

static const struct {
	const char *name;
	bool (*fn)(const uint8_t *s, size_t n);
} user_validators[HP_PII_VAL__COUNT] = {
	[HP_PII_VAL_NONE] = {"none", NULL},
	[HP_PII_VAL_LUHN] = {"luhn", hp_pii_luhn_valid},
	[HP_PII_VAL_IBAN] = {"iban", hp_pii_iban_valid},
	[HP_PII_VAL_ABA] = {"aba", hp_pii_aba_valid},
	[HP_PII_VAL_NHS] = {"nhs", val_nhs},
};

/* ---- custom grammars ---- */

#define CTX_WINDOW 48 /* bytes before a span searched for a context word */

/* The 64 bytes before s (zeros before the buffer), through tmp when s < 64. */
static inline const uint8_t *
ctx_bytes(const uint8_t *b, size_t s, uint8_t tmp[64])
{
	if (s >= 64)
		return b + s - 64;
	memset(tmp, 0, 64);
	memcpy(tmp + 64 - s, b, s);
	return tmp;
}

#ifdef __SSE2__
/* bit j: f[j] == c */
static inline uint64_t
ctx_eq(const __m128i f[4], uint8_t c)
{
	__m128i k = _mm_set1_epi8((char)c);
	uint64_t m = 0;

	for (unsigned int i = 0; i < 4; i++)
		m |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(f[i], k)) << (16 * i);
	return m;
}

/* Is one of words (lower case, 2 bytes or more) in the CTX_WINDOW bytes before s, ASCII letters
 * folded to lower case ('_' stays itself)? The 64 bytes before s are folded once, 16 at a time;
 * each word's places are those of its first two bytes (bit masks), each checked in full. About
 * 0.6 calls per KB of the corpus (bare 9- and 10-digit numbers that passed their checksum);
 * the byte loop it replaces cost ~130 ns a call. */
static bool
has_context(const char *const *words, const uint8_t *b, size_t s)
{
	uint8_t tmp[64], fold[64] __attribute__((aligned(16)));
	const uint8_t *p = ctx_bytes(b, s, tmp);
	__m128i f[4];

	for (unsigned int i = 0; i < 4; i++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));

		f[i] = _mm_or_si128(v,
				    _mm_and_si128(pii_mm_range(v, 'A', 26), _mm_set1_epi8(0x20)));
		_mm_store_si128((__m128i *)(void *)(fold + 16 * i), f[i]);
	}
	for (const char *const *w = words; *w != NULL; w++) {
		size_t wl = strlen(*w);
		/* starts at 64 - CTX_WINDOW .. 64 - wl (zeros before the buffer match no word) */
		uint64_t m = ctx_eq(f, (uint8_t)(*w)[0]) & ctx_eq(f, (uint8_t)(*w)[1]) >> 1 &
			     ~((UINT64_C(1) << (64 - CTX_WINDOW)) - 1) & (~UINT64_C(0) >> (wl - 1));

		for (; m != 0; m &= m - 1)
			if (memcmp(fold + __builtin_ctzll(m), *w, wl) == 0)
				return true;
	}
	return false;
}
#else
static bool
has_context(const char *const *words, const uint8_t *b, size_t s)
{
	size_t lo = s > CTX_WINDOW ? s - CTX_WINDOW : 0;

	for (const char *const *w = words; *w != NULL; w++) {
		size_t wl = strlen(*w);
		for (size_t i = lo; i + wl <= s; i++) {
			size_t k = 0;
			/* ASCII letters folded to lower case; '_' (0x5f) must stay itself */
			while (k < wl &&
			       (b[i + k] >= 'A' && b[i + k] <= 'Z' ? b[i + k] | 0x20 : b[i + k]) ==
				       (uint8_t)(*w)[k])
				k++;
			if (k == wl)
				return true;
		}
	}
	return false;
}
#endif

/* The longest address from s: a local part up to the '@', then the domain label by label, each
 * label's end a candidate. What hp_pii_email_valid decides of the address ending there is
 * decided once per part, with its rules (pii_validate.c): the local part once, each label once
 * as the domain grows, the last label as the TLD; not the whole address again at each
 * candidate. A local-part byte before s (but '%') means s is inside one: no start. */
static size_t
span_email(const struct ent_desc *d, const uint8_t *b, size_t len, size_t s)
{
	size_t at, i, lab, best = 0;
	unsigned int nlab = 0;
	bool labels_ok = true;

	(void)d;
	if (s > 0 && hp_pii_email_local_byte(b[s - 1]) && b[s - 1] != '%')
		return 0;
	if (b[s] == '%' || b[s] == '.' || b[s] == '@')
		return 0;
	for (at = s; at < len && at - s <= 64 && b[at] != '@'; at++)
		if (!hp_pii_email_local_byte(b[at]))
			return 0;
	if (at >= len || b[at] != '@' || !hp_pii_email_local_ok(b + s, at - s))
		return 0;
	lab = at + 1;
	for (i = at + 1; i <= len && i - at <= 254; i++) {
		if (i < len && (cclass(b[i]) & (C_ALNUM | C_DASH)))
			continue;
		labels_ok = labels_ok && hp_pii_email_label_ok(b + lab, i - lab);
		nlab++;
		if ((i == len || !(cclass(b[i]) & (C_UNDER | C_AT))) && labels_ok && nlab >= 2 &&
		    hp_pii_email_tld_ok(b + lab, i - lab))
			best = i;
		if (i == len || b[i] != '.')
			break;
		lab = i + 1;
	}
	return best;
}

/* The bytes of a PEM block's body, after its BEGIN line (span_pem): 1 its base64, spaces, line
 * breaks raw or JSON-escaped ("\\n") and header lines ("Proc-Type: 4,ENCRYPTED"); 2 a '-', which
 * may start the END line; 0 any other, which ends a block that has none. */
static const uint8_t pem_body[256] = {
	['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, [' '] = 1,  ['+'] = 1,
	['/'] = 1,         ['='] = 1,         ['\n'] = 1,        ['\r'] = 1, ['\\'] = 1,
	[':'] = 1,         [','] = 1,         ['-'] = 2,
};

/* -----BEGIN <...>PRIVATE KEY----- through its -----END ...----- line; a block cut short
 * (no END in the buffer) runs to the end of its base64 body, so it is still masked. */
static size_t
span_pem(const struct ent_desc *d, const uint8_t *b, size_t len, size_t s)
{
	static const char begin[] = "-----BEGIN ", pk[] = "PRIVATE KEY-----", end[] = "-----END ";
	size_t i, h, lim;

	(void)d;
	if (len - s < sizeof(begin) - 1 || memcmp(b + s, begin, sizeof(begin) - 1) != 0)
		return 0;
	for (h = s + sizeof(begin) - 1; h < len && h - s < 64; h++)
		if (!(cclass(b[h]) & (C_UPPER | C_SPACE)))
			break;
	/* h is on the '-' after the label, which must end in "PRIVATE KEY" */
	if (h < s + sizeof(begin) - 1 + 11 || len - (h - 11) < sizeof(pk) - 1 ||
	    memcmp(b + h - 11, pk, sizeof(pk) - 1) != 0)
		return 0;
	h += 5;
	lim = len - s > 65536 ? s + 65536 : len;
	for (i = h; i < lim; i++) {
		uint8_t k;

		/* eight body bytes at a time (the AND of their classes is 1 only if all are 1) */
		while (lim - i >= 8 &&
		       (pem_body[b[i]] & pem_body[b[i + 1]] & pem_body[b[i + 2]] &
			pem_body[b[i + 3]] & pem_body[b[i + 4]] & pem_body[b[i + 5]] &
			pem_body[b[i + 6]] & pem_body[b[i + 7]]) == 1)
			i += 8;
		if (i == lim)
			break;
		k = pem_body[b[i]];
		if (k == 2 && len - i >= sizeof(end) - 1 &&
		    memcmp(b + i, end, sizeof(end) - 1) == 0) {
			size_t j = i + sizeof(end) - 1;
			while (j < len && (cclass(b[j]) & (C_UPPER | C_SPACE)))
				j++;
			while (j < len && b[j] == '-')
				j++;
			return j;
		}
		if (k == 0)
			return i; /* the body ended without an END line */
	}
	return i;
}

/* ---- the entity table ---- */

static const char *const w_ssn[] = {"ssn", "social security", "social_security", NULL};
static const char *const w_itin[] = {"itin", "taxpayer", NULL};
static const char *const w_aba[] = {"routing", "aba", "rtn", "transit", NULL};
static const char *const w_nhs[] = {"nhs", "health", NULL};

#define NUM_BEFORE (C_ALNUM | C_UNDER)
#define NUM_AFTER  (C_ALNUM | C_UNDER)

static const struct ent_desc builtin[HP_PII__BUILTIN_COUNT] = {
	[HP_PII_CREDIT_CARD] =
		{
			.name = "credit_card",
			.pat = {"[1-6](?:[ \\-]?\\d){12,18}"},
			.back = 37,
			.minlen = 13,
			.maxlen = 37,
			.set = C_DIGIT | C_SPACE | C_DASH,
			.first = C_DIGIT,
			.before = NUM_BEFORE,
			.after = NUM_AFTER,
			.valid = hp_pii_card_valid,
			.keep_last4 = true,
		},
	[HP_PII_US_SSN] =
		{
			.name = "us_ssn",
			.pat = {"\\d{3}[ .\\-]?\\d{2}[ .\\-]?\\d{4}"},
			.back = 11,
			.minlen = 9,
			.maxlen = 11,
			.set = C_DIGIT | C_SPACE | C_DASH | C_DOT,
			.first = C_DIGIT,
			.before = NUM_BEFORE | C_DOT,
			.after = NUM_AFTER,
			.after_flags = AF_DOT_DIGIT,
			.ctx = CTX_IF_BARE,
			.words = w_ssn,
			.valid_bare = hp_pii_ssn_valid,
		},
	[HP_PII_EMAIL] =
		{
			.name = "email",
			.pat = {"@"},
			.back = 66,
			.span = span_email,
			/* what span_email refuses before a local part: skipped without a call */
			.before = C_ALNUM | C_UNDER | C_DOT | C_DASH | C_PLUS,
		},
	[HP_PII_PHONE] =
		{
			.name = "phone",
			.pat = {"\\+[1-9](?:[ .\\-]?\\d){7,14}",
				"\\(?\\d{3}\\)?[ .\\-]?\\d{3}[ .\\-]\\d{4}"},
			.back = 30,
			.minlen = 9,
			.maxlen = 30,
			.set = C_DIGIT | C_SPACE | C_DASH | C_DOT | C_PLUS | C_PAREN,
			.first_chars = "+(0123456789",
			.before = NUM_BEFORE | C_PLUS | C_PAREN | C_DOT | C_DASH,
			.after = NUM_AFTER,
			.after_flags = AF_DOT_DIGIT,
			.valid = hp_pii_phone_valid,
		},
	[HP_PII_IBAN] =
		{
			.name = "iban",
			.pat = {"[A-Z]{2}\\d{2} ?[A-Z0-9]{4}"},
			.back = 9,
			.minlen = 15,
			.maxlen = 42,
			.set = C_DIGIT | C_UPPER | C_SPACE,
			.first = C_UPPER,
			.before = C_ALNUM | C_UNDER,
			.after = C_ALNUM | C_UNDER,
			.valid = hp_pii_iban_valid,
		},
	[HP_PII_IPV4] =
		{
			.name = "ipv4",
			.pat = {"\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d"},
			.back = 13,
			.minlen = 7,
			.maxlen = 15,
			.set = C_DIGIT | C_DOT,
			.first = C_DIGIT,
			.before = C_ALNUM | C_UNDER | C_DOT,
			.after = C_ALNUM | C_UNDER,
			.after_flags = AF_DOT_DIGIT,
			.valid = hp_pii_ipv4_valid,
		},
	[HP_PII_IPV6] =
		{
			.name = "ipv6",
			.pat = {"[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:"},
			.back = 10,
			.minlen = 3,
			.maxlen = 45,
			.set = C_DIGIT | C_UPPER | C_LOWER | C_COLON | C_DOT,
			.first_chars = ":0123456789abcdefABCDEF",
			.before = C_ALNUM | C_UNDER | C_COLON | C_DOT,
			.after = C_ALNUM | C_UNDER | C_COLON,
			.after_flags = AF_DOT_DIGIT,
			.valid = hp_pii_ipv6_valid,
		},
	[HP_PII_US_ITIN] =
		{
			.name = "us_itin",
			.pat = {"9\\d{2}[ .\\-]?[5-9]\\d[ .\\-]?\\d{4}"},
			.back = 11,
			.minlen = 9,
			.maxlen = 11,
			.set = C_DIGIT | C_SPACE | C_DASH | C_DOT,
			.first = C_DIGIT,
			.before = NUM_BEFORE | C_DOT,
			.after = NUM_AFTER,
			.after_flags = AF_DOT_DIGIT,
			.ctx = CTX_IF_BARE,
			.words = w_itin,
			.valid_bare = hp_pii_itin_valid,
		},
	[HP_PII_ABA_ROUTING] =
		{
			.name = "aba_routing",
			.pat = {"\\d{9}", "\\d{4}-\\d{4}-\\d"},
			.back = 11,
			.minlen = 9,
			.maxlen = 11,
			.set = C_DIGIT | C_DASH,
			.first = C_DIGIT,
			.before = NUM_BEFORE | C_DOT | C_DASH,
			.after = NUM_AFTER,
			.after_flags = AF_DOT_DIGIT,
			.ctx = CTX_ALWAYS,
			.words = w_aba,
			.valid = hp_pii_aba_valid,
		},
	[HP_PII_UK_NHS] =
		{
			.name = "uk_nhs",
			.pat = {"\\d{3}[ \\-]?\\d{3}[ \\-]?\\d{4}"},
			.back = 12,
			.minlen = 10,
			.maxlen = 12,
			.set = C_DIGIT | C_SPACE | C_DASH,
			.first = C_DIGIT,
			.before = NUM_BEFORE | C_DOT,
			.after = NUM_AFTER,
			.after_flags = AF_DOT_DIGIT,
			.ctx = CTX_IF_BARE,
			.words = w_nhs,
			.valid_bare = hp_pii_nhs_valid,
		},
	[HP_PII_CRYPTO_WALLET] =
		{
			.name = "crypto_wallet",
			.pat = {"[13][1-9A-HJ-NP-Za-km-z]{25}", "bc1[02-9ac-hj-np-z]{8}"},
			.back = 26,
			.minlen = 14,
			.maxlen = 90,
			.set = C_ALNUM,
			.first_chars = "13b",
			.before = C_ALNUM | C_UNDER,
			.after = C_ALNUM | C_UNDER,
			.valid = val_crypto,
		},
	[HP_PII_MAC_ADDRESS] =
		{
			.name = "mac_address",
			.pat = {"[0-9A-Fa-f]{2}[:\\-][0-9A-Fa-f]{2}[:\\-][0-9A-Fa-f]{2}[:\\-]",
				"[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4}\\."},
			.back = 10,
			.minlen = 14,
			.maxlen = 17,
			.set = C_DIGIT | C_UPPER | C_LOWER | C_COLON | C_DASH | C_DOT,
			.first_chars = "0123456789abcdefABCDEF",
			.before = C_ALNUM | C_UNDER | C_COLON | C_DASH | C_DOT,
			.after = C_ALNUM | C_UNDER,
			.after_flags = AF_SEP_HEX | AF_DOT_DIGIT,
			.valid = hp_pii_mac_valid,
		},
	[HP_PII_AWS_ACCESS_KEY] =
		{
			.name = "aws_access_key",
			.pat = {"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}"},
			.back = 20,
			.minlen = 20,
			.maxlen = 20,
			.set = C_DIGIT | C_UPPER,
			.first_chars = "A",
			.before = C_ALNUM | C_UNDER,
			.after = C_ALNUM | C_UNDER,
		},
	[HP_PII_GITHUB_TOKEN] =
		{
			.name = "github_token",
			.pat = {"gh[pousr]_[A-Za-z0-9]{36}", "github_pat_[A-Za-z0-9]{22}_"},
			.back = 40,
			.minlen = 40,
			.maxlen = 255,
			.set = C_ALNUM | C_UNDER,
			.first_chars = "g",
			.before = C_ALNUM | C_UNDER,
			.after = C_ALNUM | C_UNDER,
		},
	[HP_PII_STRIPE_KEY] =
		{
			.name = "stripe_key",
			.pat = {"[sr]k_(?:live|test)_[A-Za-z0-9]{16}"},
			.back = 24,
			.minlen = 24,
			.maxlen = 255,
			.set = C_ALNUM | C_UNDER,
			.first_chars = "rs",
			.before = C_ALNUM | C_UNDER,
			.after = C_ALNUM | C_UNDER,
		},
	[HP_PII_SLACK_TOKEN] =
		{
			.name = "slack_token",
			.pat = {"xox[abposr]-[A-Za-z0-9\\-]{10}"},
			.back = 15,
			.minlen = 15,
			.maxlen = 255,
			.set = C_ALNUM | C_DASH,
			.first_chars = "x",
			.before = C_ALNUM | C_UNDER | C_DASH,
			.after = C_ALNUM | C_UNDER | C_DASH,
		},
	[HP_PII_JWT] =
		{
			.name = "jwt",
			.pat = {"eyJ[A-Za-z0-9_\\-]{7}"},
			.back = 10,
			.minlen = 18,
			.maxlen = 16384,
			.set = C_ALNUM | C_UNDER | C_DASH | C_DOT,
			.first_chars = "e",
			.before = C_ALNUM | C_UNDER | C_DASH | C_DOT,
			.after = C_ALNUM | C_UNDER | C_DASH,
			.valid = hp_pii_jwt_valid,
		},
	[HP_PII_PEM_PRIVATE_KEY] =
		{
			.name = "pem_private_key",
			.pat = {"-----BEGIN "},
			.back = 11,
			.span = span_pem,
		},
};

/* Shapes the prefilters cannot check exactly (token prefixes and lengths). */
static bool
secret_shape(unsigned int ent, const uint8_t *s, size_t n)
{
	switch (ent) {
	case HP_PII_AWS_ACCESS_KEY:
		return n == 20 && (memcmp(s, "AKIA", 4) == 0 || memcmp(s, "ASIA", 4) == 0 ||
				   memcmp(s, "ABIA", 4) == 0 || memcmp(s, "ACCA", 4) == 0);
	case HP_PII_GITHUB_TOKEN:
		if (n == 93 && memcmp(s, "github_pat_", 11) == 0 && s[33] == '_')
			return true;
		if (n < 40 || s[0] != 'g' || s[1] != 'h' || s[3] != '_' ||
		    strchr("pousr", s[2]) == NULL || s[2] == 0)
			return false;
		for (size_t i = 4; i < n; i++)
			if (s[i] == '_')
				return false;
		return true;
	case HP_PII_STRIPE_KEY:
		if (n < 24 || s[1] != 'k' || s[2] != '_' ||
		    (memcmp(s + 3, "live_", 5) != 0 && memcmp(s + 3, "test_", 5) != 0))
			return false;
		for (size_t i = 8; i < n; i++)
			if (s[i] == '_')
				return false;
		return true;
	case HP_PII_SLACK_TOKEN:
		return n >= 15 && memcmp(s, "xox", 3) == 0 && strchr("abposr", s[3]) != NULL &&
		       s[3] != 0 && s[4] == '-';
	default:
		return false;
	}
}

static inline bool
after_ok(const struct ent_desc *d, const uint8_t *b, size_t len, size_t e)
{
	uint8_t c;

	if (e >= len)
		return true;
	c = b[e];
	if (cclass(c) & d->after)
		return false;
	if ((d->after_flags & AF_DOT_DIGIT) && c == '.' && e + 1 < len &&
	    (cclass(b[e + 1]) & C_DIGIT))
		return false;
	if ((d->after_flags & AF_SEP_HEX) && (c == ':' || c == '-') && e + 1 < len &&
	    is_hex(b[e + 1]))
		return false;
	return true;
}

/* Is s inside an IBAN-shaped code ("GB55 SREM 5229 ...", "DE50 4282 2670 ...")? Its digit groups
 * would otherwise read as card numbers, a tenth of them Luhn-valid. Walks left over capitals,
 * digits and single spaces to a country code and check digits at a boundary. */
static bool
iban_tail(const uint8_t *b, size_t s)
{
	size_t lo = s > 34 ? s - 34 : 0;

	for (size_t p = s; p-- > lo;) {
		uint32_t k = cclass(b[p]);

		if (!(k & (C_UPPER | C_DIGIT | C_SPACE)))
			return false;
		if (p + 4 <= s && (k & C_UPPER) && (cclass(b[p + 1]) & C_UPPER) &&
		    (cclass(b[p + 2]) & C_DIGIT) && (cclass(b[p + 3]) & C_DIGIT) &&
		    (p == 0 || !(cclass(b[p - 1]) & (C_ALNUM | C_UNDER))))
			return true;
	}
	return false;
}

/* Bit c of first_map[ent]: byte c is in builtin[ent].first_chars (one test per start, not a
 * strchr). Filled once, by the first hp_pii_db_create. */
static uint64_t first_map[HP_PII__BUILTIN_COUNT][4];
static pthread_once_t first_map_once = PTHREAD_ONCE_INIT;

static void ctx_lead_check(void);

static void
first_map_fill(void)
{
	for (unsigned int e = 0; e < HP_PII__BUILTIN_COUNT; e++)
		for (const char *p = builtin[e].first_chars; p != NULL && *p != '\0'; p++)
			first_map[e][(uint8_t)*p >> 6] |= UINT64_C(1) << ((uint8_t)*p & 63);
	ctx_lead_check();
}

/* span_generic's end for an IBAN from s (its before and first tests passed): the validator
 * takes only the length its country code fixes, bare or with a space every 4, so only those
 * two ends are tried, the longer first, as the generic walk down from the run's end would
 * (every other end it reads is refused). The run of the set is not walked: the validator
 * refuses any byte outside it. Capitals before digits that are no country code ("US", "ID":
 * most of them in JSON) end here without reading the run. */
static size_t
span_iban(const struct ent_desc *d, const uint8_t *b, size_t len, size_t s)
{
	unsigned int want = s + 2 <= len ? hp_pii_iban_len(b + s) : 0;
	size_t ends[2];

	if (want == 0)
		return 0;
	ends[0] = want + (want - 1) / 4;
	ends[1] = want;
	for (unsigned int k = 0; k < 2; k++) {
		size_t e = s + ends[k];

		if (e <= len && ends[k] >= d->minlen && ends[k] <= d->maxlen &&
		    after_ok(d, b, len, e) && d->valid(b + s, ends[k]))
			return e;
	}
	return 0;
}

/* span_generic's end for a card from s (its before and first tests passed; n: the run of the
 * set from s, at most maxlen): hp_pii_card_valid at every end, in one walk from s instead of one
 * walk per end from the longest down. Luhn doubles every other digit from the last, so the sum
 * of the first k digits is kept two ways: plain with the k-th digit plain (Luhn's), dbl with it
 * doubled; a digit v makes them v + dbl and twice(v) + plain. The walk stops where no longer end
 * can be valid: a separator not single between digits, or a 20th digit. The longest end with its
 * after test kept, as the walk down would return. */
static size_t
span_card(const struct ent_desc *d, const uint8_t *b, size_t len, size_t s, size_t n)
{
	static const uint8_t twice[10] = {0, 2, 4, 6, 8, 1, 3, 5, 7, 9};
	unsigned int plain = 0, dbl = 0, nd = 0, min;
	size_t best = 0;

	if (!hp_pii_card_first(b[s]))
		return 0;
	min = hp_pii_card_min_digits(b[s]);
	for (size_t i = 0; i < n; i++) {
		unsigned int v = (unsigned int)b[s + i] - '0', t;

		if (v >= 10) {
			if (i + 1 == n || !(cclass(b[s + i + 1]) & C_DIGIT))
				break; /* b[s] is a digit: so is the byte before */
			continue;
		}
		if (nd == 19)
			break;
		t = plain;
		plain = v + dbl;
		dbl = twice[v] + t;
		nd++;
		/* an end before a digit is refused by its after test */
		if (nd >= min && (i + 1 == n || !(cclass(b[s + i + 1]) & C_DIGIT)) &&
		    after_ok(d, b, len, s + i + 1) && plain % 10 == 0)
			best = s + i + 1;
	}
	return best;
}

/* Generic grammar: the longest run of the entity's set from s (run: its length when the caller
 * knows it, SIZE_MAX when not), then candidate ends from the longest down, each needing its
 * boundary, the validator and (maybe) a context word. */
static size_t
span_generic(unsigned int ent, const struct ent_desc *d, const uint8_t *b, size_t len, size_t s,
	     size_t run)
{
	size_t n = 0, lo;

	if (s > 0 && (cclass(b[s - 1]) & d->before))
		return 0;
	if (d->first_chars != NULL) {
		if (!((first_map[ent][b[s] >> 6] >> (b[s] & 63)) & 1))
			return 0;
	} else if (!(cclass(b[s]) & d->first)) {
		return 0;
	}
	/* a card number inside an IBAN's digit groups is none, whatever its end */
	if (ent == HP_PII_CREDIT_CARD && iban_tail(b, s))
		return 0;
	if (ent == HP_PII_IBAN && d->valid == hp_pii_iban_valid)
		return span_iban(d, b, len, s);
	if (run != SIZE_MAX)
		n = run < d->maxlen ? run : d->maxlen;
	else
		while (s + n < len && n < d->maxlen && (cclass(b[s + n]) & d->set))
			n++;
	if (ent == HP_PII_CREDIT_CARD && d->valid == hp_pii_card_valid)
		return span_card(d, b, len, s, n);
	/* every byte of the set is one the entity refuses after a span (and no other rule there):
	 * a shorter end is followed by a byte of the run, so only the run's end can be one */
	if ((d->set & ~d->after) == 0 && d->after_flags == 0)
		lo = n >= d->minlen ? s + n : SIZE_MAX;
	else
		lo = s + d->minlen;
	for (size_t e = s + n; e >= lo && e > s; e--) {
		bool ok, bare = false;
		if (!after_ok(d, b, len, e))
			continue;
		if (d->valid_bare != NULL)
			ok = d->valid_bare(b + s, e - s, &bare);
		else if (d->valid != NULL)
			ok = d->valid(b + s, e - s);
		else
			ok = secret_shape(ent, b + s, e - s);
		if (!ok)
			continue;
		if ((d->ctx == CTX_ALWAYS || (d->ctx == CTX_IF_BARE && bare)) &&
		    !has_context(d->words, b, s))
			continue;
		return e;
	}
	return 0;
}

/* ---- database ---- */

#define MAX_PATTERNS (HP_PII__BUILTIN_COUNT * 3 + HP_PII_MAX_USER)

/* Entities whose spans all start at, or 2 bytes before, the start of a run of digits: found by
 * one vectorised pass over the digits (token_pass) instead of Hyperscan prefilters. Digit-led
 * prefilters have no literal factor, so Hyperscan runs them as automata over every byte, and
 * JSON has a digit every few bytes; measured in docs/PII.md ("Why a digit-run pass"). */
#define ENT(e) (UINT64_C(1) << (e))
#define NUM_ENTS                                                                                   \
	(ENT(HP_PII_CREDIT_CARD) | ENT(HP_PII_US_SSN) | ENT(HP_PII_PHONE) | ENT(HP_PII_US_ITIN) |  \
	 ENT(HP_PII_ABA_ROUTING) | ENT(HP_PII_UK_NHS))
#define TOKEN_ENTS                                                                                 \
	(NUM_ENTS | ENT(HP_PII_IBAN) | ENT(HP_PII_CRYPTO_WALLET) | ENT(HP_PII_IPV4) |              \
	 ENT(HP_PII_MAC_ADDRESS) | ENT(HP_PII_IPV6))
/* Built-ins whose prefilters start with a literal (email's '@', the secrets' prefixes, PEM's
 * dashes): found by the literal pass ("literal pass" below) instead of Hyperscan. */
#define LIT_ENTS                                                                                   \
	(ENT(HP_PII_EMAIL) | ENT(HP_PII_AWS_ACCESS_KEY) | ENT(HP_PII_GITHUB_TOKEN) |               \
	 ENT(HP_PII_STRIPE_KEY) | ENT(HP_PII_SLACK_TOKEN) | ENT(HP_PII_JWT) |                      \
	 ENT(HP_PII_PEM_PRIVATE_KEY))

struct hp_pii_db {
	hs_database_t *hs;       /* NULL when nothing is enabled */
	unsigned int n_entities; /* HP_PII__BUILTIN_COUNT + n_user */
	uint64_t enabled;
	uint16_t pat_ent[MAX_PATTERNS];
	uint64_t token_ents;           /* built-ins found by the digit-run pass, not Hyperscan */
	uint64_t lit_ents;             /* built-ins found by the literal pass, not Hyperscan */
	enum hp_pii_tok_impl tok_impl; /* the version of that pass scans run */
	unsigned int n_pat;
	const char *pat_expr[MAX_PATTERNS]; /* built-in: static; user: the caller's string */
	unsigned int pat_flags[MAX_PATTERNS];
	char user_name[HP_PII_MAX_USER][HP_PII_NAME_MAX];
	enum hp_pii_validator user_val[HP_PII_MAX_USER];
};

struct hp_pii_scratch {
	hs_scratch_t *hs;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum hp_pii_tok_impl tok_impl_pick(void);

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool
name_ok(const char *n)
{
	size_t l = n ? strlen(n) : 0;

	if (l == 0 || l >= HP_PII_NAME_MAX)
		return false;
	for (size_t i = 0; i < l; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '_'))
			return false;
	return true;
}

int
hp_pii_db_create(const struct hp_pii_config *cfg, struct hp_pii_db **out, char *err, size_t errlen)
{
	const char *exprs[MAX_PATTERNS];
	unsigned int flags[MAX_PATTERNS], ids[MAX_PATTERNS], np = 0;
	hs_compile_error_t *cerr = NULL;
	struct hp_pii_db *db;
	int rc = 0;

	if (cfg == NULL || out == NULL) {
		seterr(err, errlen, "pii: no configuration");
		return -EINVAL;
	}
	*out = NULL;
	pthread_once(&first_map_once, first_map_fill);
	if (cfg->n_user > HP_PII_MAX_USER || (cfg->n_user > 0 && cfg->user == NULL)) {
		seterr(err, errlen, "pii: more than %d user-defined entities", HP_PII_MAX_USER);
		return -EINVAL;
	}
	db = calloc(1, sizeof(*db));
	if (db == NULL)
		return -ENOMEM;
	db->enabled = cfg->enabled & HP_PII_ALL_BUILTIN;
	db->n_entities = HP_PII__BUILTIN_COUNT + cfg->n_user;
	db->token_ents = cfg->hyperscan_only ? 0 : db->enabled & TOKEN_ENTS;
	db->lit_ents = cfg->hyperscan_only ? 0 : db->enabled & LIT_ENTS;
	db->tok_impl = tok_impl_pick();
	for (unsigned int e = 0; e < HP_PII__BUILTIN_COUNT; e++) {
		if (!(db->enabled & (UINT64_C(1) << e)) ||
		    ((db->token_ents | db->lit_ents) & (UINT64_C(1) << e)))
			continue;
		for (unsigned int k = 0; k < 3 && builtin[e].pat[k] != NULL; k++) {
			exprs[np] = builtin[e].pat[k];
			flags[np] = 0;
			ids[np] = np;
			db->pat_ent[np++] = (uint16_t)e;
		}
	}
	for (unsigned int u = 0; u < cfg->n_user; u++) {
		const struct hp_pii_user_entity *ue = &cfg->user[u];
		if (u < 32 && (cfg->user_skip & (UINT32_C(1) << u))) {
			/* not looked for here; the id stays reserved (names still resolve) */
			snprintf(db->user_name[u], sizeof(db->user_name[u]), "%s",
				 ue->name != NULL ? ue->name : "");
			db->user_val[u] = HP_PII_VAL_NONE;
			continue;
		}
		if (!name_ok(ue->name)) {
			seterr(err, errlen, "pii entity '%s': %s", ue->name ? ue->name : "",
			       "name must be [a-z0-9_]{1,31}");
			rc = -EINVAL;
			goto out;
		}
		if (hp_pii_builtin_from_name(ue->name) >= 0) {
			seterr(err, errlen, "pii entity '%s': %s", ue->name, "is a built-in name");
			rc = -EINVAL;
			goto out;
		}
		for (unsigned int v = 0; v < u; v++)
			if (strcmp(db->user_name[v], ue->name) == 0) {
				seterr(err, errlen, "pii entity '%s': %s", ue->name,
				       "defined twice");
				rc = -EINVAL;
				goto out;
			}
		if (ue->pattern == NULL || ue->pattern[0] == '\0' ||
		    (unsigned int)ue->validator >= HP_PII_VAL__COUNT) {
			seterr(err, errlen, "pii entity '%s': %s", ue->name,
			       "empty pattern or unknown validator");
			rc = -EINVAL;
			goto out;
		}
		memcpy(db->user_name[u], ue->name, strlen(ue->name) + 1);
		db->user_val[u] = ue->validator;
		/* the grammar is unknown, so Hyperscan must say where the match starts */
		exprs[np] = ue->pattern;
		flags[np] = HS_FLAG_SOM_LEFTMOST;
		ids[np] = np;
		db->pat_ent[np++] = (uint16_t)(HP_PII__BUILTIN_COUNT + u);
	}
	db->n_pat = np;
	for (unsigned int k = 0; k < np; k++) {
		db->pat_expr[k] = exprs[k];
		db->pat_flags[k] = flags[k];
	}
	if (np == 0)
		goto out;
	if (hs_compile_multi(exprs, flags, ids, np, HS_MODE_BLOCK, NULL, &db->hs, &cerr) !=
	    HS_SUCCESS) {
		const char *who = "?";
		if (cerr != NULL && cerr->expression >= 0 && (unsigned int)cerr->expression < np) {
			unsigned int ent = db->pat_ent[cerr->expression];
			who = ent < HP_PII__BUILTIN_COUNT
				      ? builtin[ent].name
				      : db->user_name[ent - HP_PII__BUILTIN_COUNT];
		}
		seterr(err, errlen, "pii entity '%s': pattern refused by Hyperscan: %s", who,
		       cerr != NULL ? cerr->message : "unknown error");
		hs_free_compile_error(cerr);
		rc = -EIO;
		goto out;
	}
out:
	if (rc != 0) {
		hp_pii_db_free(db);
		return rc;
	}
	*out = db;
	return 0;
}

void
hp_pii_db_free(struct hp_pii_db *db)
{
	if (db == NULL)
		return;
	hs_free_database(db->hs);
	free(db);
}

int
hp_pii_scratch_create(const struct hp_pii_db *db, struct hp_pii_scratch **out)
{
	struct hp_pii_scratch *s;

	if (db == NULL || out == NULL)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	if (db->hs != NULL && hs_alloc_scratch(db->hs, &s->hs) != HS_SUCCESS) {
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

int
hp_pii_scratch_clone(const struct hp_pii_scratch *src, struct hp_pii_scratch **out)
{
	struct hp_pii_scratch *s;

	if (src == NULL || out == NULL)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	if (src->hs != NULL && hs_clone_scratch(src->hs, &s->hs) != HS_SUCCESS) {
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void
hp_pii_scratch_free(struct hp_pii_scratch *s)
{
	if (s == NULL)
		return;
	hs_free_scratch(s->hs);
	free(s);
}

/* ---- scan ---- */

struct ent_state {
	size_t tried;    /* starts below this were tried */
	size_t last_end; /* end of the last accepted span */
	size_t last_start;
	int32_t last_idx; /* index in span[] of the last accepted span, -1 if not kept */
};

struct scan_ctx {
	const struct hp_pii_db *db;
	const uint8_t *buf;
	size_t len;
	struct hp_pii_result *res;
	struct ent_state st[HP_PII_MAX_ENTITIES];
};

static void
record(struct scan_ctx *c, unsigned int ent, size_t s, size_t e)
{
	struct hp_pii_result *r = c->res;
	struct ent_state *st = &c->st[ent];

	r->total++;
	r->count[ent]++;
	st->last_start = s;
	st->last_end = e;
	st->last_idx = -1;
	if (r->n_spans < HP_PII_MAX_SPANS) {
		st->last_idx = (int32_t)r->n_spans;
		r->span[r->n_spans++] = (struct hp_pii_span){
			.start = (uint32_t)s, .end = (uint32_t)e, .entity = (uint16_t)ent};
	} else {
		r->n_dropped++;
	}
}

/* A built-in's prefilter matched, ending at end (reports of one entity come in increasing
 * end order): its spans starting in [end - back, end) not tried before. */
static void
report_end(struct scan_ctx *c, unsigned int ent, size_t end)
{
	struct ent_state *st = &c->st[ent];
	const struct ent_desc *d = &builtin[ent];
	size_t lo = end > d->back ? end - d->back : 0;

	if (lo < st->tried)
		lo = st->tried;
	if (lo < st->last_end)
		lo = st->last_end;
	if (ent == HP_PII_EMAIL && end > lo && c->buf[end - 1] == '@') {
		/* span_email walks from a start to the '@' over local-part bytes only: no start
		 * before the last other byte ahead of the '@' reaches it (one try, not one per
		 * byte after a quote, space or colon in the 66 before) */
		size_t l = end - 1;

		while (l > lo && hp_pii_email_local_byte(c->buf[l - 1]))
			l--;
		lo = l;
	}
	for (size_t s = lo; s < end; s++) {
		size_t e;

		if (s > 0 && (cclass(c->buf[s - 1]) & d->before))
			continue; /* no span starts here (the span functions check it too) */
		e = d->span != NULL ? d->span(d, c->buf, c->len, s)
				    : span_generic(ent, d, c->buf, c->len, s, SIZE_MAX);
		if (e == 0)
			continue;
		record(c, ent, s, e);
		s = e - 1;
	}
	if (st->tried < end)
		st->tried = end;
}

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
	 void *ctx)
{
	struct scan_ctx *c = ctx;
	unsigned int ent = c->db->pat_ent[id];
	struct ent_state *st = &c->st[ent];
	size_t end = (size_t)to;

	(void)flags;
	if (ent >= HP_PII__BUILTIN_COUNT) {
		/* user entity: SOM given; extend the current span at the same start, else
		 * accept a new one that does not overlap */
		bool (*fn)(const uint8_t *, size_t) =
			user_validators[c->db->user_val[ent - HP_PII__BUILTIN_COUNT]].fn;
		if (fn != NULL && !fn(c->buf + from, (size_t)(to - from)))
			return 0;
		if (st->last_end != 0 && from == st->last_start && end > st->last_end) {
			st->last_end = end;
			if (st->last_idx >= 0)
				c->res->span[st->last_idx].end = (uint32_t)end;
		} else if (st->last_end == 0 || from >= st->last_end) {
			if (to > from)
				record(c, ent, (size_t)from, end);
		}
		return 0;
	}
	report_end(c, ent, end);
	return 0;
}

/* ---- digit-run pass ---- */

#define C_NUMTOK       (C_DIGIT | C_SPACE | C_DASH | C_DOT | C_PAREN | C_PLUS)
#define NUM_TOK_STARTS 32

/* fewest digits in a span of each numeric entity */
static const uint8_t num_min_digits[HP_PII__BUILTIN_COUNT] = {
	[HP_PII_CREDIT_CARD] = 13, [HP_PII_US_SSN] = 9,      [HP_PII_PHONE] = 8,
	[HP_PII_US_ITIN] = 9,      [HP_PII_ABA_ROUTING] = 9, [HP_PII_UK_NHS] = 10,
};

/* Entity ent tried at start s, once, left to right: the span, or 0. run: the length of the run
 * of the entity's set from s if known, SIZE_MAX if not. */
static inline size_t
try_start_run(struct scan_ctx *c, unsigned int ent, size_t s, size_t run)
{
	size_t e;

	if (s < c->st[ent].last_end || (s > 0 && (cclass(c->buf[s - 1]) & builtin[ent].before)))
		return 0;
	e = span_generic(ent, &builtin[ent], c->buf, c->len, s, run);
	if (e != 0)
		record(c, ent, s, e);
	return e;
}

static inline size_t
try_start(struct scan_ctx *c, unsigned int ent, size_t s)
{
	return try_start_run(c, ent, s, SIZE_MAX);
}

/* Where a run of digits starts at p: IBAN (two capitals, then the check digits) and wallets
 * (base58 '1'/'3', bech32 "bc1") are tried where they would start. False when p follows a letter
 * or '_' (hex ids, base64: most digit runs of a webhook), where only IBAN and bech32 can start:
 * every other entity refuses a word byte before its span, and a numeric token that goes on is
 * picked up at its next run of digits. */
static inline bool
digit_run_head(struct scan_ctx *c, uint64_t ents, size_t p)
{
	const uint8_t *b = c->buf;
	size_t len = c->len;

	if ((ents & ENT(HP_PII_IBAN)) && p >= 2 && (cclass(b[p - 2]) & C_UPPER) &&
	    (cclass(b[p - 1]) & C_UPPER))
		try_start(c, HP_PII_IBAN, p - 2);
	if ((ents & ENT(HP_PII_CRYPTO_WALLET)) && b[p] == '1' && p >= 2 && b[p - 2] == 'b' &&
	    b[p - 1] == 'c')
		try_start(c, HP_PII_CRYPTO_WALLET, p - 2);
	if (p > 0 && (cclass(b[p - 1]) & (C_UPPER | C_LOWER | C_UNDER)))
		return false;
	/* cheap necessary conditions first: a dot within the first octet's reach; 26 alnums */
	if ((ents & ENT(HP_PII_IPV4)) && p + 7 <= len &&
	    (b[p + 1] == '.' || b[p + 2] == '.' || b[p + 3] == '.'))
		try_start(c, HP_PII_IPV4, p);
	if ((ents & ENT(HP_PII_CRYPTO_WALLET)) && (b[p] == '1' || b[p] == '3') && p + 26 <= len &&
	    (cclass(b[p + 13]) & C_ALNUM) && (cclass(b[p + 25]) & C_ALNUM))
		try_start(c, HP_PII_CRYPTO_WALLET, p);
	return true;
}

/* digit_run_head out of line, for the block passes' head events: the loops over the blocks
 * keep their registers. */
static __attribute__((noinline)) bool
digit_run_head_at(struct scan_ctx *c, uint64_t ents, size_t p)
{
	return digit_run_head(c, ents, p);
}

/* The numeric token a run of digits at p belongs to starts at the separators before it. */
static inline size_t
num_token_start(const struct scan_ctx *c, size_t p, size_t tok_end)
{
	size_t ts = p;

	while (ts > tok_end && (cclass(c->buf[ts - 1]) & (C_NUMTOK & ~C_DIGIT)))
		ts--;
	return ts;
}

/* The numeric entities over the numeric token from ts (digits and the separators they allow),
 * once per token, and only if it holds 8 digits or more (the fewest any of them has). Returns
 * the token's end. */
static size_t
num_token_ref(struct scan_ctx *c, uint64_t ents, size_t ts)
{
	const uint8_t *b = c->buf;
	size_t len = c->len, te = ts, nd = 0;
	uint32_t starts[NUM_TOK_STARTS], ns = 0;

	/* where a numeric span may start: the token's first byte and every byte after a
	 * separator (each numeric entity refuses a letter, digit or '_' before its span) */
	for (; te < len && (cclass(b[te]) & C_NUMTOK); te++) {
		uint32_t k = cclass(b[te]);

		nd += (k & C_DIGIT) != 0;
		if ((te == ts || !(cclass(b[te - 1]) & C_DIGIT)) && ns < NUM_TOK_STARTS)
			starts[ns++] = (uint32_t)(te - ts);
	}
	if (nd < 8)
		return te;
	if (ns == NUM_TOK_STARTS) { /* a long token: every byte is a candidate */
		for (uint64_t m = ents & NUM_ENTS; m != 0; m &= m - 1) {
			unsigned int ent = (unsigned int)__builtin_ctzll(m);

			for (size_t s = ts; s < te; s++) {
				size_t e = try_start(c, ent, s);

				if (e != 0)
					s = e - 1;
			}
		}
		return te;
	}
	for (uint64_t m = ents & NUM_ENTS; m != 0; m &= m - 1) {
		unsigned int ent = (unsigned int)__builtin_ctzll(m);

		if (nd < num_min_digits[ent])
			continue; /* the token cannot hold one */
		for (uint32_t k = 0; k < ns; k++)
			try_start(c, ent, ts + starts[k]); /* skips starts inside a span found */
	}
	return te;
}

/* A run of digits starts at p: the reference version of the pass calls this at every one. */
static size_t
digit_run(struct scan_ctx *c, uint64_t ents, size_t p, size_t tok_end)
{
	if (!digit_run_head(c, ents, p) || !(ents & NUM_ENTS) || p < tok_end)
		return tok_end;
	return num_token_ref(c, ents, num_token_start(c, p, tok_end));
}

/* A MAC address separator (':', '-' or '.') at q: tried once per address, at its first
 * separator (xx:xx:..., xx-xx-..., xxxx.xxxx.xxxx). */
static inline void
mac_sep(struct scan_ctx *c, size_t q)
{
	const uint8_t *b = c->buf;
	size_t len = c->len;
	uint8_t sep = b[q];

	if (sep == '.') {
		if (q >= 4 && q + 5 < len && b[q + 5] == '.' && is_hex(b[q - 4]) &&
		    is_hex(b[q - 3]) && is_hex(b[q - 2]) && is_hex(b[q - 1]) && is_hex(b[q + 1]) &&
		    (q < 5 || b[q - 5] != '.'))
			try_start(c, HP_PII_MAC_ADDRESS, q - 4);
	} else if (q >= 2 && q + 3 < len && b[q + 3] == sep && is_hex(b[q - 2]) &&
		   is_hex(b[q - 1]) && is_hex(b[q + 1]) && is_hex(b[q + 2]) &&
		   (q < 3 || b[q - 3] != sep)) {
		try_start(c, HP_PII_MAC_ADDRESS, q - 2);
	}
}

/* The reference version of the pass: every digit-run start and every MAC separator visited,
 * 16 bytes per step. The block version below must give the same spans in the same order; the
 * unit tests compare the two. */
static void
token_pass_ref(struct scan_ctx *c, uint64_t ents)
{
	const uint8_t *b = c->buf;
	size_t len = c->len, i = 0, tok_end = 0;
	uint32_t prev = 0; /* b[i - 1] is a digit */

	bool mac = (ents & ENT(HP_PII_MAC_ADDRESS)) != 0;

#ifdef __SSE2__
	const __m128i zero = _mm_set1_epi8('0'), bias = _mm_set1_epi8((char)0x80);
	const __m128i lim = _mm_set1_epi8((char)(0x80 + 10));
	const __m128i colon = _mm_set1_epi8(':'), dash = _mm_set1_epi8('-');
	const __m128i dot = _mm_set1_epi8('.');

	for (; i + 16 <= len; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
		/* (c - '0') as unsigned < 10, through a signed compare */
		__m128i d = _mm_cmplt_epi8(_mm_xor_si128(_mm_sub_epi8(v, zero), bias), lim);
		uint32_t m = (uint32_t)_mm_movemask_epi8(d);
		uint32_t starts = m & ~((m << 1) | prev);

		prev = m >> 15;
		for (; starts != 0; starts &= starts - 1)
			tok_end = digit_run(c, ents, i + (size_t)__builtin_ctz(starts), tok_end);
		if (mac) {
			__m128i s = _mm_or_si128(
				_mm_or_si128(_mm_cmpeq_epi8(v, colon), _mm_cmpeq_epi8(v, dash)),
				_mm_cmpeq_epi8(v, dot));

			/* a separator with a hex digit on each side */
			for (uint32_t sm = (uint32_t)_mm_movemask_epi8(s); sm != 0; sm &= sm - 1)
				mac_sep(c, i + (size_t)__builtin_ctz(sm));
		}
	}
#endif
	for (; i < len; i++) {
		uint32_t dg = (cclass(b[i]) & C_DIGIT) != 0;

		if (dg && !prev)
			tok_end = digit_run(c, ents, i, tok_end);
		if (mac && (b[i] == ':' || b[i] == '-' || b[i] == '.'))
			mac_sep(c, i);
		prev = dg;
	}
}

/* ---- IPv6 pass ----
 *
 * ipv6's prefilter [0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}: was the dearest of the expressions
 * Hyperscan runs (about 180 ns per KB of the corpus, a third of hs_scan's time: JSON has a ':'
 * every few fields). It reports the end E of every ':' whose previous ':' is at most 5 bytes
 * back with only hex digits between, and on_match tried the starts in [E - 10, E) not tried
 * before. Every valid address from s has its first two colons in s..s+9 with hex digits before
 * and between them (groups of 1-4 hex digits, or a leading "::"), so a report falls in
 * (s, s + 10] and s is tried: the spans are the leftmost-longest ones, whatever visits the
 * other starts. This pass runs between hs_scan and the digit-run pass, as the reports did
 * before it: ipv6 spans still precede every card span they overlap, which hp_pii_mask's
 * keep-last-4 rule depends on; only their place among the other Hyperscan entities' spans
 * moved (after them instead of interleaved by end offset).
 *
 * The reference visits the windows of the prefilter's reports, the Hyperscan path as it was;
 * the block versions visit only the starts where the prefilter matches (hex{0,4} ':' hex{0,4}
 * ':' from s), from bit masks of the colons and hex digits of 64-byte blocks, and look at the
 * hex digits only in blocks holding two colons 5 bytes or fewer apart (rare in JSON: times,
 * addresses). */

/* The prefilter's report at the ':' q, if any: the starts of its window not tried before. */
static inline void
ipv6_report_ref(struct scan_ctx *c, size_t q, size_t *tried)
{
	const uint8_t *b = c->buf;
	size_t end = q + 1, lo, k;

	for (k = 1; k <= 5 && k <= q && b[q - k] != ':'; k++)
		if (!is_hex(b[q - k]))
			return;
	if (k > 5 || k > q)
		return;
	lo = end > builtin[HP_PII_IPV6].back ? end - builtin[HP_PII_IPV6].back : 0;
	if (lo < *tried)
		lo = *tried;
	for (size_t s = lo; s < end; s++) {
		size_t e = try_start(c, HP_PII_IPV6, s);

		if (e != 0)
			s = e - 1;
	}
	*tried = end;
}

static void
ipv6_pass_ref(struct scan_ctx *c, size_t from)
{
	const uint8_t *b = c->buf;
	size_t len = c->len, i = 0, tried = 0;

	(void)from; /* always 0: the reference runs on its own, never after a literal pass */

#ifdef __SSE2__
	for (; i + 16 <= len; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + i));

		for (uint32_t m =
			     (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')));
		     m != 0; m &= m - 1)
			ipv6_report_ref(c, i + (size_t)__builtin_ctz(m), &tried);
	}
#endif
	for (; i < len; i++)
		if (b[i] == ':')
			ipv6_report_ref(c, i, &tried);
}

__extension__ typedef unsigned __int128 u128;

/* The hex digits of the 64 bytes at i; zeros past the end. */
static inline uint64_t
ipv6_hex_at(const struct scan_ctx *c, size_t i)
{
	uint8_t t[64];

	if (i + 64 <= c->len)
		return pii_hex_sse2(c->buf + i);
	if (i >= c->len)
		return 0;
	memset(t, 0, sizeof(t));
	memcpy(t, c->buf + i, c->len - i);
	return pii_hex_sse2(t);
}

/* Does the block with colons cc (the next block's: cn) hold a ':' with another 1 to 5 bytes on,
 * the first at 0..67? A match from a start in the block has such a pair, its first ':' at most
 * 4 bytes past the start. */
static inline bool
ipv6_pairs(uint64_t cc, uint64_t cn)
{
	uint64_t t = cc >> 59 | cn << 5; /* bytes 59..122 */
	uint64_t n1 = cc >> 1 | cc >> 2, n2 = t >> 1 | t >> 2;

	n1 |= n1 >> 2 | cc >> 5;
	n2 |= n2 >> 2 | t >> 5;
	return ((cc & n1) | (t & n2 & 0x1ff)) != 0;
}

/* Can an address start at bit s (< 64) of a 128-byte window with hex digits or colons hc and
 * colons col? An address is at most 45 bytes, its colons all before any '.', and it holds "::"
 * or at least 6 colons (8 groups, or 6 and a dotted quad: hp_pii_ipv6_valid). So the first 45
 * bytes of the run of hex digits and colons from s must hold "::" or 6 colons: times
 * ("10:30:00"), MAC addresses and "std::" aside, most colon pairs in JSON have neither. */
static inline bool
ipv6_run_may_hold(u128 hc, u128 col, unsigned int s)
{
	uint64_t h = (uint64_t)(hc >> (s & 63)), cl = (uint64_t)(col >> (s & 63)), in, x;
	unsigned int n = h == ~UINT64_C(0) ? 45 : (unsigned int)__builtin_ctzll(~h);

	in = (UINT64_C(1) << (n < 45 ? n : 45)) - 1;
	if ((cl & cl >> 1 & in) != 0)
		return true;
	x = cl & in;
	for (unsigned int k = 0; k < 5; k++)
		x &= x - 1;
	return x != 0;
}

/* A block where ipv6_pairs holds: the starts where the prefilter matches, each tried in order.
 * Out of line: the loop over the blocks keeps its registers. */
static __attribute__((noinline)) void
ipv6_block(struct scan_ctx *c, size_t i, uint64_t cc, uint64_t cn)
{
	u128 col = (u128)cn << 64 | cc, hx, p, q, r;

	hx = (u128)ipv6_hex_at(c, i + 64) << 64 | ipv6_hex_at(c, i);
	p = col; /* hex{0,4} ':' from here */
	for (unsigned int k = 0; k < 4; k++)
		p = col | (hx & p >> 1);
	q = col & p >> 1; /* ':' hex{0,4} ':' */
	r = q;            /* hex{0,4} ':' hex{0,4} ':' */
	for (unsigned int k = 0; k < 4; k++)
		r = q | (hx & r >> 1);
	/* only where span_generic reads on: no hex digit or ':' before (its before set has both;
	 * the byte before the block is not known here, so its first byte stays), and a ':' only
	 * as "::" (hp_pii_ipv6_valid). "T10:30:00Z" was three starts, now one. */
	r &= ~((hx | col) << 1) & (hx | (col & col >> 1));
	for (uint64_t m = (uint64_t)r; m != 0; m &= m - 1) {
		unsigned int s = (unsigned int)__builtin_ctzll(m);
		size_t at = i + s;

		/* try_start's own first test (a letter before: "T10:30:00Z") before the run's */
		if ((at == 0 || !(cclass(c->buf[at - 1]) & builtin[HP_PII_IPV6].before)) &&
		    ipv6_run_may_hold(hx | col, col, s))
			try_start(c, HP_PII_IPV6, at);
	}
}

/* The colons of the 64 bytes at i; zeros past the end. */
#define IPV6_COLONS(colon_fn, i, m)                                                                \
	do {                                                                                       \
		if ((i) + 64 <= len) {                                                             \
			(m) = colon_fn(b + (i));                                                   \
		} else if ((i) < len) {                                                            \
			uint8_t tail_[64] = {0};                                                   \
			memcpy(tail_, b + (i), len - (i));                                         \
			(m) = colon_fn(tail_);                                                     \
		} else {                                                                           \
			(m) = 0;                                                                   \
		}                                                                                  \
	} while (0)

#define IPV6_PASS_BODY(colon_fn, from)                                                             \
	do {                                                                                       \
		const uint8_t *b = c->buf;                                                         \
		size_t len = c->len;                                                               \
		uint64_t cc, cn;                                                                   \
		IPV6_COLONS(colon_fn, (from), cc);                                                 \
		for (size_t i = (from); i < len; i += 64) {                                        \
			IPV6_COLONS(colon_fn, i + 64, cn);                                         \
			if (ipv6_pairs(cc, cn))                                                    \
				ipv6_block(c, i, cc, cn);                                          \
			cc = cn;                                                                   \
		}                                                                                  \
	} while (0)

static void
ipv6_pass_sse2(struct scan_ctx *c, size_t from)
{
	IPV6_PASS_BODY(pii_colon_sse2, from);
}

/* ---- digit-run pass, block masks ----
 *
 * The same calls as the reference pass, minus those that cannot find anything, decided for 48
 * bytes at a time (over 64-byte windows of masks, see BLK_STEP) from bit masks of byte classes
 * (pii_simd.h) instead of one call per start:
 * - a digit-run start p is visited only if one of its tries may succeed: IBAN (capitals at
 *   p-2, p-1, a word boundary at p-3, a digit at p+1), bech32 ('1' after two lower-case
 *   letters at a boundary), IPv4 (a '.' in p+1..p+3, 7 bytes of [0-9.] from p, no '.' before),
 *   base58 ('1' or '3' starting 26 alphanumerics), or a numeric token (8 bytes of digits and
 *   separators from p); the numeric and IPv4/base58 ones only where no letter or '_' precedes;
 *   a start that only its numeric token made worth it is not visited if that token was read
 *   already, nor its head (the IBAN/wallet/IPv4 tries) looked at;
 * - a MAC separator only with hex digits around it and the same separator 3 (or 5) bytes on;
 * - in a numeric token (about 3 per KB of JSON), an entity is tried at a start only if the
 *   exact shape of its grammar is there (pii_win over the token: ddd?dd?dddd, 9 or 10 bare
 *   digits, (ddd) ddd-dddd, 13+ digits with single separators, ...).
 * Each condition is implied by what the skipped call would need to record a span, so the
 * spans, their order and the numeric token bookkeeping (tok_end) are those of the reference:
 * a token whose first start is skipped has fewer than 8 digits, so no later start in it can
 * find a numeric span either. The visits keep the reference's order: per 16 bytes, digit runs
 * then MAC separators; in the tail the reference walks byte by byte. */

#define WIN_EXACT 49 /* window bits below this have every byte their shapes read in the window */

/* The window of a numeric token from ts: 64 bytes from ts - 1 (bit j: byte ts - 1 + j), zeros
 * past the end of the buffer and, when ts is 0, a zero byte before it. */
static inline const uint8_t *
win_load(const struct scan_ctx *c, size_t ts, uint8_t tmp[64])
{
	size_t len = c->len, n;

	if (ts > 0 && len - (ts - 1) >= 64)
		return c->buf + ts - 1;
	memset(tmp, 0, 64);
	if (ts > 0) {
		n = len - (ts - 1);
		memcpy(tmp, c->buf + ts - 1, n < 64 ? n : 64);
	} else {
		memcpy(tmp + 1, c->buf, len < 63 ? len : 63);
	}
	return tmp;
}

/* The bytes of the window m in the classes of set, all ones if set has a class the window
 * does not hold (the run from a start is then not known from it). */
static inline uint64_t
win_set(const struct pii_win *m, uint32_t set)
{
	uint64_t r = 0;

	if (set & ~(uint32_t)(C_DIGIT | C_SPACE | C_DASH | C_DOT | C_PLUS | C_PAREN))
		return ~UINT64_C(0);
	r |= (set & C_DIGIT) ? m->d : 0;
	r |= (set & C_SPACE) ? m->sp : 0;
	r |= (set & C_DASH) ? m->da : 0;
	r |= (set & C_DOT) ? m->dt : 0;
	r |= (set & C_PLUS) ? m->pl : 0;
	r |= (set & C_PAREN) ? m->lp | m->rp : 0;
	return r;
}

/* Can a phone span start at s, by its first digits? From '(' or a digit only the NANP forms
 * are taken ("(ddd) ddd-dddd", "ddd-ddd-dddd"), whose area code's first digit must be 2-9
 * (hp_pii_nanp_lead); from '+' anything. Fax numbers of the corpus ("(087) 520-1684") are
 * refused here instead of by the validator after span_generic. */
static inline bool
phone_lead_ok(const struct scan_ctx *c, size_t s)
{
	const uint8_t *b = c->buf;
	size_t a = b[s] == '(' ? s + 1 : s;

	if (b[s] == '+')
		return true;
	return a >= c->len || !(cclass(b[a]) & C_DIGIT) ||
	       hp_pii_nanp_lead((unsigned int)(b[a] - '0'));
}

/* num_token_ref with the shapes decided on the token's window m; a token that does not end in
 * it, or with 32 starts or more, goes through num_token_ref. */
static inline __attribute__((always_inline)) size_t
num_token_win(struct scan_ctx *c, uint64_t ents, size_t ts, const struct pii_win *m)
{
	const uint8_t *b = c->buf;
	uint64_t nt, tok, starts, an, x, y, d2, d3, d4, d8, g, g2, g4, bare9;
	uint64_t shape[HP_PII__BUILTIN_COUNT];
	size_t tl, nd;

	nt = m->d | m->sp | m->da | m->dt | m->pl | m->lp | m->rp;
	tl = (size_t)__builtin_ctzll(~(nt >> 1));
	if (tl >= 62)
		return num_token_ref(c, ents, ts);
	tok = ((UINT64_C(1) << tl) - 1) << 1;
	nd = (size_t)__builtin_popcountll(m->d & tok);
	if (nd < 8)
		return ts + tl;
	starts = tok & (~(m->d << 1) | 2);
	if (__builtin_popcountll(starts) >= NUM_TOK_STARTS)
		return num_token_ref(c, ents, ts);

	/* after_ok of the entities with AF_DOT_DIGIT: no word byte, no '.' then a digit */
	an = ~m->w & ~(m->dt & m->d >> 1);
	x = m->sp | m->da | m->dt;
	y = m->sp | m->da;
	d2 = m->d & m->d >> 1;
	d3 = d2 & m->d >> 2;
	d4 = d2 & d2 >> 2;
	d8 = d4 & d4 >> 4;
	bare9 = d8 & m->d >> 8 & an >> 9;
	/* ddd?dd?dddd, the same delimiter checked by the validator */
	shape[HP_PII_US_SSN] = (bare9 | (d3 & x >> 3 & d2 >> 4 & x >> 6 & d4 >> 7 & an >> 11)) &
			       ~((m->w | m->dt) << 1);
	shape[HP_PII_US_ITIN] = shape[HP_PII_US_SSN];
	shape[HP_PII_ABA_ROUTING] =
		(bare9 | (d4 & m->da >> 4 & d4 >> 5 & m->da >> 9 & m->d >> 10 & an >> 11)) &
		~((m->w | m->dt | m->da) << 1);
	shape[HP_PII_UK_NHS] = ((d8 & d2 >> 8 & an >> 10) |
				(d3 & y >> 3 & d3 >> 4 & y >> 7 & d4 >> 8 & an >> 12)) &
			       ~((m->w | m->dt) << 1);
	/* +digits; (ddd) ddd-dddd or (ddd)ddd-dddd; ddd-ddd-dddd */
	shape[HP_PII_PHONE] = ((m->pl & m->d >> 1) |
			       (m->lp & d3 >> 1 & m->rp >> 4 &
				((d3 >> 5 & x >> 8 & d4 >> 9 & an >> 13) |
				 (m->sp >> 5 & d3 >> 6 & x >> 9 & d4 >> 10 & an >> 14))) |
			       (d3 & x >> 3 & d3 >> 4 & x >> 7 & d4 >> 8 & an >> 12)) &
			      ~((m->w | m->pl | m->lp | m->dt | m->da) << 1);
	/* 13 bytes or more of digits and single ' '/'-' between digits */
	g = m->d | ((m->sp | m->da) & m->d << 1 & m->d >> 1);
	g2 = g & g >> 1;
	g4 = g2 & g2 >> 2;
	shape[HP_PII_CREDIT_CARD] = g4 & g4 >> 4 & g4 >> 8 & g >> 12 & ~(m->w << 1);

	for (uint64_t e = ents & NUM_ENTS; e != 0; e &= e - 1) {
		unsigned int ent = (unsigned int)__builtin_ctzll(e);
		uint64_t cand = starts & (shape[ent] | ~((UINT64_C(1) << WIN_EXACT) - 1)), set;

		if (cand == 0 || nd < num_min_digits[ent])
			continue;
		set = win_set(m, builtin[ent].set);
		for (; cand != 0; cand &= cand - 1) {
			unsigned int j = (unsigned int)__builtin_ctzll(cand);
			size_t s = ts - 1 + j, run;

			if ((ent == HP_PII_US_ITIN && b[s] != '9') ||
			    (ent == HP_PII_CREDIT_CARD && !hp_pii_card_first(b[s])) ||
			    (ent == HP_PII_PHONE && !phone_lead_ok(c, s)))
				continue;
			/* the run of the entity's set from s, if it ends inside the window (j >= 1:
			 * zeros come in from the top) */
			run = (size_t)__builtin_ctzll(~(set >> j));
			/* a card's span lies in that run: fewer digits there than the validator
			 * asks refuse every end the try would read */
			if (ent == HP_PII_CREDIT_CARD && j + run < 64 &&
			    (unsigned int)__builtin_popcountll((m->d >> j) &
							       ((UINT64_C(1) << run) - 1)) <
				    hp_pii_card_min_digits(b[s]))
				continue;
			try_start_run(c, ent, s, j + run < 64 ? run : SIZE_MAX);
		}
	}
	return ts + tl;
}

/* What the block scan decides from, per scan: each set of entities as all ones or zero. */
struct blk_ents {
	uint64_t lead; /* IBAN or wallets: two letters before a digit run */
	uint64_t b58;  /* wallets: base58 */
	uint64_t ipv4; /* IPv4 */
	uint64_t num;  /* numeric entities */
	uint64_t mac;  /* MAC addresses */
};

static inline struct blk_ents
blk_ents_of(uint64_t ents)
{
	return (struct blk_ents){
		.lead = (ents & (ENT(HP_PII_IBAN) | ENT(HP_PII_CRYPTO_WALLET))) ? ~UINT64_C(0) : 0,
		.b58 = (ents & ENT(HP_PII_CRYPTO_WALLET)) ? ~UINT64_C(0) : 0,
		.ipv4 = (ents & ENT(HP_PII_IPV4)) ? ~UINT64_C(0) : 0,
		.num = (ents & NUM_ENTS) ? ~UINT64_C(0) : 0,
		.mac = (ents & ENT(HP_PII_MAC_ADDRESS)) ? ~UINT64_C(0) : 0,
	};
}

/* The scan steps BLK_STEP bytes at a time over a window of 64 bytes from BLK_BACK bytes before
 * the step (bit k of a window mask: byte i - BLK_BACK + k; zeros before the buffer and past its
 * end): every byte a decision reads before a start (5 at most) and after it (7 at most, but
 * base58's 35) is in the same masks, so each look is one shift, with no carry between steps.
 * BLK_STEP is a multiple of 16, for the reference's visiting order. */
#define BLK_BACK 8
#define BLK_STEP 48
#define BLK_EMIT (((UINT64_C(1) << BLK_STEP) - 1) << BLK_BACK) /* the step's own bytes */

/* The window masks of the step at i. */
#define BLK_WINDOW(classify, i, m)                                                                 \
	do {                                                                                       \
		if ((i) >= BLK_BACK && (i)-BLK_BACK + 64 <= len) {                                 \
			classify(b + (i)-BLK_BACK, (m));                                           \
		} else if ((i) == 0 && len >= 64) {                                                \
			classify(b, (m));                                                          \
			blk_shift_up((m));                                                         \
		} else {                                                                           \
			uint8_t tmp_[64] = {0};                                                    \
			size_t lo_ = (i) >= BLK_BACK ? (i)-BLK_BACK : 0;                           \
			size_t hi_ = (i)-BLK_BACK + 64 < len ? (i)-BLK_BACK + 64 : len;            \
			if (hi_ > lo_)                                                             \
				memcpy(tmp_ + (lo_ + BLK_BACK - (i)), b + lo_, hi_ - lo_);         \
			classify(tmp_, (m));                                                       \
		}                                                                                  \
	} while (0)

/* masks of the bytes from 0 made masks of the window from -BLK_BACK */
static inline void
blk_shift_up(struct pii_blk *m)
{
	m->d <<= BLK_BACK;
	m->lu <<= BLK_BACK;
	m->w <<= BLK_BACK;
	m->ws <<= BLK_BACK;
	m->nt <<= BLK_BACK;
	m->hex <<= BLK_BACK;
	m->dot <<= BLK_BACK;
	m->colon <<= BLK_BACK;
	m->dash <<= BLK_BACK;
	m->b58s <<= BLK_BACK;
}

/* bit k: mask f at byte k - n (B) or k + n (F), within the window */
#define B(f, n) (m->f << (n))
#define F(f, n) (m->f >> (n))

/* The digit-run starts of the step at i worth a visit (bit k: byte i + k), from the window
 * masks m, without a branch (which way they go is as good as random from step to step):
 * - two letters or '_' before the run, a word boundary before them, a digit or '1' at p (IBAN's
 *   check digits, bech32's "bc1");
 * - base58: '1' or '3', then 26 bytes of [A-Za-z0-9_] (an address is 26 to 35 alphanumerics),
 *   those past the window taken as there;
 * - IPv4: a '.' in p+1..p+3, 7 bytes of [0-9.] from p, no '.' before (v4_out: the starts
 *   that only this made head events; BLK_DIGIT reads their dotted groups, blk_ipv4_shape);
 * - a numeric token: 8 bytes of digits and separators from p.
 * The last three only where no letter or '_' precedes (digit_run_head returns before them).
 * head: those of the first three kinds (digit_run_head may try something there). The masks
 * are of type T: one window's uint64_t, or blk_v8 with a window per lane (the same
 * operations on eight windows at once). */
#define BLK_DIGIT_EVENTS(T, en, m, ev_out, head_out, v4_out)                                       \
	do {                                                                                       \
		T p_ = m->d & ~B(d, 1) & BLK_EMIT, f_ = p_ & ~B(lu, 1), ev_, dd_, nt_, n2_, n4_,   \
		  n8_, v4_;                                                                        \
		ev_ = p_ & (en)->lead & B(lu, 1) & B(lu, 2) & ~B(w, 3) & (F(d, 1) | m->b58s);      \
		/* base58: no byte that is not a word byte in p .. p+25 (past the window: none     \
		 * known) */                                                                       \
		n2_ = ~m->w;                                                                       \
		n2_ |= n2_ >> 1;                                                                   \
		n4_ = n2_ | n2_ >> 2;                                                              \
		n8_ = n4_ | n4_ >> 4;                                                              \
		ev_ |= f_ & (en)->b58 & m->b58s & ~(n8_ | n8_ >> 8 | n8_ >> 16 | n2_ >> 24);       \
		dd_ = m->d | m->dot;                                                               \
		nt_ = m->nt;                                                                       \
		dd_ &= dd_ >> 1;                                                                   \
		dd_ &= dd_ >> 2;                                                                   \
		nt_ &= nt_ >> 1;                                                                   \
		nt_ &= nt_ >> 2;                                                                   \
		v4_ = f_ & (en)->ipv4 & ~B(dot, 1) & (F(dot, 1) | F(dot, 2) | F(dot, 3)) & dd_ &   \
		      dd_ >> 3;                                                                    \
		(head_out) = (ev_ | v4_) >> BLK_BACK;                                              \
		(v4_out) = (v4_ & ~ev_) >> BLK_BACK;                                               \
		(ev_out) = (ev_ | v4_ | (f_ & (en)->num & nt_ & nt_ >> 4)) >> BLK_BACK;            \
	} while (0)

/* MAC separators worth a visit (bit k: byte i + k): hex digits at q-2, q-1, q+1, q+2, q+4, q+5
 * and the same separator at q+3 and q+6 (read at most 6 bytes on: inside the window; a time's
 * "10:30:00" has no third colon), or for '.' hex at q-4 .. q-1, q+1 and '.' at q+5; and before
 * the address no byte its boundary refuses (a word byte, ':', '-' or '.', which also rules out
 * a separator at q-3 / q-5). q: BLK_MAC_SEPS. */
#define BLK_MAC_SEPS(en, m)                                                                        \
	((en)->mac & (m->colon | m->dash | m->dot) & B(hex, 1) & B(hex, 2) & F(hex, 1) & BLK_EMIT)
#define BLK_MAC_EVENTS(m, q)                                                                       \
	((((q)&F(hex, 2) & F(hex, 4) & F(hex, 5) & ~B(ws, 3) &                                     \
	   ((m->colon & F(colon, 3) & F(colon, 6)) | (m->dash & F(dash, 3) & F(dash, 6)))) |       \
	  ((q)&m->dot & F(dot, 5) & B(hex, 3) & B(hex, 4) & ~B(ws, 5))) >>                         \
	 BLK_BACK)

static inline __attribute__((always_inline)) uint64_t
blk_digit_events(const struct blk_ents *en, const struct pii_blk *m, uint64_t *head, uint64_t *v4)
{
	uint64_t ev;

	BLK_DIGIT_EVENTS(uint64_t, en, m, ev, *head, *v4);
	return ev;
}

static inline __attribute__((always_inline)) uint64_t
blk_mac_events(const struct blk_ents *en, const struct pii_blk *m)
{
	uint64_t q = BLK_MAC_SEPS(en, m);

	if (q == 0) /* most steps */
		return 0;
	return BLK_MAC_EVENTS(m, q);
}

#define BLK_GROUP 8

/* Eight windows, one per 64-bit lane (GCC's vector extension: each operation of the events
 * above is one instruction for the eight with AVX-512, two with AVX2). */
typedef uint64_t blk_v8 __attribute__((vector_size(64)));

struct pii_blk8 {
	blk_v8 d, lu, w, ws, nt, hex, dot, colon, dash, b58s;
};

static inline __attribute__((always_inline)) void
blk8_events(const struct blk_ents *en, const struct pii_blk8 *m, blk_v8 *ev, blk_v8 *head,
	    blk_v8 *v4, blk_v8 *me)
{
	blk_v8 q = BLK_MAC_SEPS(en, m);

	BLK_DIGIT_EVENTS(blk_v8, en, m, *ev, *head, *v4);
	*me = BLK_MAC_EVENTS(m, q);
}

#undef B
#undef F

/* The first three bytes of the context words of the numeric entities that ask for one (SSN,
 * ITIN and ABA for 9 bare digits, NHS for 10), for blk_quiet_token's third kind: a word in
 * has_context's window has its first three bytes there. A constant list, so that the look is
 * unrolled with each letter compared once; ctx_lead_check, at the first hp_pii_db_create,
 * checks that it holds every such word's first three bytes, all lower-case letters (the fold
 * below is only |0x20). If not (a word added to the entity table and not here), ctx_lead_ok
 * stays false and the third kind is never used: slower, never wrong. */
static const char ctx_leads[][3] = {
	{'s', 's', 'n'}, {'s', 'o', 'c'}, {'i', 't', 'i'}, {'t', 'a', 'x'}, {'r', 'o', 'u'},
	{'a', 'b', 'a'}, {'r', 't', 'n'}, {'t', 'r', 'a'}, {'n', 'h', 's'}, {'h', 'e', 'a'},
};
static bool ctx_lead_ok;

static void
ctx_lead_check(void)
{
	for (uint64_t e = NUM_ENTS; e != 0; e &= e - 1) {
		const struct ent_desc *d = &builtin[__builtin_ctzll(e)];

		if (d->ctx == CTX_NONE)
			continue;
		for (const char *const *w = d->words; *w != NULL; w++) {
			size_t i = 0;

			if (strlen(*w) < 3)
				return;
			for (unsigned int k = 0; k < 3; k++)
				if ((*w)[k] < 'a' || (*w)[k] > 'z')
					return;
			while (i < sizeof(ctx_leads) / sizeof(ctx_leads[0]) &&
			       memcmp(ctx_leads[i], *w, 3) != 0)
				i++;
			if (i == sizeof(ctx_leads) / sizeof(ctx_leads[0]))
				return;
		}
	}
	ctx_lead_ok = true;
}

bool
hp_pii_ctx_leads_ok(void)
{
	return ctx_lead_ok;
}

/* Is a lead at a start in [s - CTX_WINDOW, s - 3], letters folded to lower case? eq(c): bit j
 * where byte s - 64 + j, with 0x20 set, is c (that letter in either case); constant letters,
 * so each is compared once. Without a lead there, no context word of a numeric entity is in
 * has_context's window before s. */
#define CTX_LEAD_IN(eq, t)                                                                         \
	do {                                                                                       \
		(t) = 0;                                                                           \
		for (unsigned int i_ = 0; i_ < sizeof(ctx_leads) / sizeof(ctx_leads[0]); i_++)     \
			(t) |= eq(ctx_leads[i_][0]) & eq(ctx_leads[i_][1]) >> 1 &                  \
			       eq(ctx_leads[i_][2]) >> 2;                                          \
		(t) &= ~((UINT64_C(1) << (64 - CTX_WINDOW)) - 1);                                  \
	} while (0)

#ifdef __SSE2__
static inline __attribute__((always_inline)) bool
ctx_lead_seen_sse2(const uint8_t *b, size_t s)
{
	uint8_t tmp[64];
	const uint8_t *p = ctx_bytes(b, s, tmp);
	__m128i v[4];
	uint64_t t;

	for (unsigned int i = 0; i < 4; i++)
		v[i] = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i)),
				    _mm_set1_epi8(0x20));
#define CTX_EQ_SSE2(c) ctx_eq(v, (uint8_t)(c))
	CTX_LEAD_IN(CTX_EQ_SSE2, t);
#undef CTX_EQ_SSE2
	return t != 0;
}
#else
static inline uint64_t
ctx_eq_bytes(const uint8_t *p, uint8_t c)
{
	uint64_t m = 0;

	for (unsigned int j = 0; j < 64; j++)
		m |= (uint64_t)((p[j] | 0x20) == c) << j;
	return m;
}

static inline bool
ctx_lead_seen_sse2(const uint8_t *b, size_t s)
{
	uint8_t tmp[64];
	const uint8_t *p = ctx_bytes(b, s, tmp);
	uint64_t t;

#define CTX_EQ_BYTES(c) ctx_eq_bytes(p, (uint8_t)(c))
	CTX_LEAD_IN(CTX_EQ_BYTES, t);
#undef CTX_EQ_BYTES
	return t != 0;
}
#endif

/* The numeric token of the digit run at q, which ends inside the window within BLK_QUIET_MAX
 * bytes of q, where no numeric entity has a span, so that its visit would only move tok_end to
 * the token's end. Set here without the call. The token starts at q, or at the separators
 * right before it (no digit among them: the visit's num_token_start stops at a digit too, or
 * at tok_end, which only shortens it); where those reach the window's first byte, it is
 * visited. Two kinds:
 * - fewer than 9 digits and no ' ', '+', '(' or ')' (wx: those bytes): each numeric entity
 *   needs 9 digits, but phone's "+" and 8. Dates ("2024-01-04") are most of them, and the
 *   groups of UUIDs ("8ad6c1c4-3350-445f-...": the token from the '-').
 * - digits only, 11 or more, and too few for a card (hp_pii_card_min_digits) or a first
 *   digit no card has (0, 7-9): the only start is q (every numeric entity refuses a digit
 *   before its span, and there is no separator), every end but the token's is followed by a
 *   digit, and at the token's end only a card's grammar takes 11 bare digits or more (SSN,
 *   ITIN and ABA take 9, NHS 10, phone none without a separator). Millisecond timestamps
 *   ("1769841154895", 13 digits after a '1') and 11- or 12-digit ids are most of them.
 * The other two only where q itself starts the token (no separator before it). And a third,
 * which needs a look before q (BLK_Q_NO_WORD: the caller's ctx_lead_seen_*):
 * - digits only, 9 or 10, with no context word before them: the only start is q and the only
 *   end the token's (as above), where SSN, ITIN and ABA take 9 bare digits and NHS 10, each
 *   only with one of its context words in has_context's window before q; a card needs 13 or
 *   more, phone a separator. Unix timestamps ("created": 1733572800) and 9-digit quantities
 *   or ids are most of them. ctx_lead_seen_* looks for the words' first three bytes there.
 * And one from a separator: '(' right before q, starting the token:
 * - "(ddd)" whose first digit no North American area code has (0 or 1: hp_pii_nanp_lead),
 *   then fewer than 8 digits: a phone's try from the '(' stops at that digit (phone_lead_ok),
 *   every numeric entity but phone takes none of "(ddd)" past its first digit (their sets
 *   have no parenthesis; phone refuses a '(' before its span), and after the ')' a span
 *   would need 8 digits (phone's fewest). Numbers written with a trunk prefix
 *   ("(030) 1234567", "(087) 520-1684") are most of them; with 8 digits or more after the
 *   ')' ("(020) 7946 0958") they are visited.
 * k: q's bit in the window masks wd (digits), wnt (numeric-token bytes); b: the buffer (b[q]
 * the run's first digit, b[q - 1] and b[q + 3] read where the token has them); *end: the token's
 * end, where the caller sets tok_end when it is quiet. */
#define BLK_QUIET_MAX 32

enum blk_quiet {
	BLK_Q_VISIT,   /* visit it */
	BLK_Q_QUIET,   /* nothing there */
	BLK_Q_NO_WORD, /* nothing there if no context word comes before q */
};

static inline __attribute__((always_inline)) enum blk_quiet
blk_quiet_token(uint64_t wd, uint64_t wnt, uint64_t wx, unsigned int k, size_t q, const uint8_t *b,
		size_t *end)
{
	uint8_t first = b[q];
	unsigned int run, nd;
	uint64_t tm, lo;
	bool short_tok, long_tok;

	run = (unsigned int)__builtin_ctzll(~(wnt >> k));
	if (run > BLK_QUIET_MAX || k + run >= 64)
		return BLK_Q_VISIT;
	tm = ((UINT64_C(1) << run) - 1) << k;
	nd = (unsigned int)__builtin_popcountll(wd & tm);
	*end = q + run;
	short_tok = nd < 9 && (wx & tm) == 0;
	if ((wnt >> (k - 1)) & 1) {
		/* separators before q (no digit: q starts a run): the token starts at the first
		 * of them, after the last bit below k that is none (lo); it has no more digits
		 * than from q, and must have no ' ', '+', '(' or ')' among them either */
		if (b[q - 1] == '(' && !((wnt >> (k - 2)) & 1) && run >= 4 &&
		    ((wd >> k) & 0xf) == 7 && b[q + 3] == ')' &&
		    !hp_pii_nanp_lead((unsigned int)(first - '0')) && nd < 3 + 8)
			return BLK_Q_QUIET;
		lo = ~(wnt & ~wd) & ((UINT64_C(1) << k) - 1);
		if (!short_tok || lo == 0)
			return BLK_Q_VISIT;
		tm = ((UINT64_C(1) << k) - 1) & ~((UINT64_C(2) << (63 - __builtin_clzll(lo))) - 1);
		return (wx & tm) == 0 ? BLK_Q_QUIET : BLK_Q_VISIT;
	}
	long_tok = nd == run && nd >= 11 &&
		   !(hp_pii_card_first(first) && nd >= hp_pii_card_min_digits(first));
	if (short_tok || long_tok)
		return BLK_Q_QUIET;
	if (nd == run && (nd == 9 || nd == 10) && ctx_lead_ok)
		return BLK_Q_NO_WORD;
	return BLK_Q_VISIT;
}

/* Four groups of 1-3 digits with a '.' between them from bit k of the window masks wd (digits)
 * and wdt ('.'): what an IPv4 span from there has (ipv4_parse). Read up to bit k + 12, where the
 * last group starts at the farthest ("255.255.255.255"); true when that is past the window (not
 * known). Asked only at starts that the IPv4 test alone made head events (v4 in BLK_DIGIT), so
 * that decimals ("37.774929") and versions ("9.16.32") are not tried, for ~30 operations per
 * such start instead of per window. */
static inline __attribute__((always_inline)) bool
blk_ipv4_shape(uint64_t wd, uint64_t wdt, unsigned int k)
{
	uint64_t d, t, g1, g2, g3, q;

	if (k + 12 > 63)
		return true;
	d = wd >> k;
	t = wdt >> k;
	g1 = d & t >> 1;
	g2 = d & d >> 1 & t >> 2;
	g3 = d & d >> 1 & d >> 2 & t >> 3;
	q = d; /* the last group's first digit */
	for (unsigned int n = 0; n < 3; n++)
		q = (g1 & q >> 2) | (g2 & q >> 3) | (g3 & q >> 4);
	return q & 1;
}

/* A digit-run start at q (bit in ev, bit k of the window masks wd, wnt, wx). Where the
 * capitals or "bc" before it, or its IPv4 or base58 shape, made it a head event (hv), its head
 * is tried (digit_run_head_at: IBAN, wallets, IPv4), and nothing more after a word byte.
 * Then its numeric token is read, and not at all if it was read already (q < tok_end) or
 * blk_quiet_token knows it holds nothing (a property of the token alone, head or not: the
 * base58 and IPv4 tests, unknown past the window, make many millisecond timestamps and
 * versions head events). */
#define BLK_DIGIT(digit_run_fn, seen_fn, q, bit, hv, v4, k, wd, wdt, wnt, wx)                      \
	do {                                                                                       \
		if (((hv) & (bit)) && (!((v4) & (bit)) || blk_ipv4_shape(wd, wdt, k)) &&           \
		    !digit_run_head_at(c, ents, (q)))                                              \
			break;                                                                     \
		if ((q) >= tok_end) {                                                              \
			size_t qe_ = 0;                                                            \
			enum blk_quiet qk_ = blk_quiet_token(wd, wnt, wx, k, (q), b, &qe_);        \
			if (qk_ == BLK_Q_QUIET || (qk_ == BLK_Q_NO_WORD && !seen_fn(b, (q))))      \
				tok_end = qe_;                                                     \
			else                                                                       \
				tok_end = digit_run_fn(c, ents, (q), tok_end);                     \
		}                                                                                  \
	} while (0)

/* The visits of one step at i, in the reference's order: per 16 bytes, digit runs then MAC
 * separators; in the tail the reference walks byte by byte. wd, wnt, wx: the step's window
 * masks for blk_quiet_token. */
#define BLK_VISIT(digit_run_fn, seen_fn, i, ev, hv, v4, me, wd, wdt, wnt, wx)                      \
	do {                                                                                       \
		if ((me) == 0) {                                                                   \
			for (uint64_t e_ = (ev); e_ != 0; e_ &= e_ - 1) {                          \
				unsigned int b_ = (unsigned int)__builtin_ctzll(e_);               \
				BLK_DIGIT(digit_run_fn, seen_fn, (i) + b_, e_ & -e_, hv, v4,       \
					  b_ + BLK_BACK, wd, wdt, wnt, wx);                        \
			}                                                                          \
			break;                                                                     \
		}                                                                                  \
		for (unsigned int k_ = 0; k_ < BLK_STEP; k_ += 16) {                               \
			uint64_t sub_ = UINT64_C(0xffff) << k_, e_ = (ev)&sub_, m_ = (me)&sub_;    \
			bool step_ = BLK_REF_STEP && (i) + k_ + 16 <= len;                         \
			for (uint64_t a_ = step_ ? e_ : e_ | m_; a_ != 0; a_ &= a_ - 1) {          \
				uint64_t bit_ = a_ & -a_;                                          \
				unsigned int b_ = (unsigned int)__builtin_ctzll(a_);               \
				size_t q_ = (i) + b_;                                              \
				if (e_ & bit_)                                                     \
					BLK_DIGIT(digit_run_fn, seen_fn, q_, bit_, hv, v4,         \
						  b_ + BLK_BACK, wd, wdt, wnt, wx);                \
				if (!step_ && (m_ & bit_))                                         \
					mac_sep(c, q_);                                            \
			}                                                                          \
			for (uint64_t a_ = step_ ? m_ : 0; a_ != 0; a_ &= a_ - 1)                  \
				mac_sep(c, (i) + (size_t)__builtin_ctzll(a_));                     \
		}                                                                                  \
	} while (0)

#ifdef __SSE2__
#define BLK_REF_STEP 1 /* the reference steps 16 bytes at a time */
#else
#define BLK_REF_STEP 0
#endif

#define TOKEN_PASS_BODY(classify, digit_run_fn, seen_fn)                                           \
	do {                                                                                       \
		const uint8_t *b = c->buf;                                                         \
		size_t len = c->len, tok_end = 0;                                                  \
		struct blk_ents en = blk_ents_of(ents);                                            \
		for (size_t i = 0; i < len; i += BLK_STEP) {                                       \
			struct pii_blk m;                                                          \
			uint64_t ev, hv, v4, me;                                                   \
			BLK_WINDOW(classify, i, &m);                                               \
			ev = blk_digit_events(&en, &m, &hv, &v4);                                  \
			me = blk_mac_events(&en, &m);                                              \
			if ((ev | me) != 0)                                                        \
				BLK_VISIT(digit_run_fn, seen_fn, i, ev, hv, v4, me, m.d, m.dot,    \
					  m.nt, m.nt & ~(m.d | m.dash | m.dot));                   \
		}                                                                                  \
	} while (0)

/* The window masks of the eight steps from i0 into the lanes of g (zeros past the end). */
#define BLK8_WINDOWS(classify, i0, g)                                                              \
	do {                                                                                       \
		for (unsigned int j_ = 0; j_ < BLK_GROUP; j_++) {                                  \
			struct pii_blk m_ = {0};                                                   \
			size_t i_ = (i0) + j_ * BLK_STEP;                                          \
			if (i_ < len)                                                              \
				BLK_WINDOW(classify, i_, &m_);                                     \
			(g)->d[j_] = m_.d;                                                         \
			(g)->lu[j_] = m_.lu;                                                       \
			(g)->w[j_] = m_.w;                                                         \
			(g)->ws[j_] = m_.ws;                                                       \
			(g)->nt[j_] = m_.nt;                                                       \
			(g)->hex[j_] = m_.hex;                                                     \
			(g)->dot[j_] = m_.dot;                                                     \
			(g)->colon[j_] = m_.colon;                                                 \
			(g)->dash[j_] = m_.dash;                                                   \
			(g)->b58s[j_] = m_.b58s;                                                   \
		}                                                                                  \
	} while (0)

/* bit j: lane j of x is not 0 */
static inline __attribute__((always_inline)) unsigned int
blk8_nz(const blk_v8 *x)
{
	unsigned int r = 0;

	for (unsigned int j = 0; j < BLK_GROUP; j++)
		r |= (unsigned int)((*x)[j] != 0) << j;
	return r;
}

/* TOKEN_PASS_BODY eight steps at a time: the eight windows' masks are classified into the
 * lanes of a pii_blk8, their events computed together (blk8_events), then the steps with an
 * event visited in order, as one step at a time would. Each group is classified one iteration
 * ahead (the non-VBMI versions store its lanes one mask at a time: read at once right away,
 * they would wait for the stores), and its events are computed before the next group is
 * classified, not after: the visits read the events' lanes one by one from their vector
 * stores, which then have long completed (~5 % of the AVX-512 scans, neutral with AVX2).
 * lanes_nz: blk8_nz, or its AVX-512 one. */
#define TOKEN_PASS_GROUP_BODY(windows8, digit_run_fn, lanes_nz, seen_fn)                           \
	do {                                                                                       \
		const uint8_t *b = c->buf;                                                         \
		size_t len = c->len, tok_end = 0, gs = BLK_STEP * BLK_GROUP;                       \
		struct blk_ents en = blk_ents_of(ents);                                            \
		struct pii_blk8 g[2];                                                              \
		unsigned int k = 0;                                                                \
		blk_v8 any8;                                                                       \
		windows8(0, &g[0]);                                                                \
		for (size_t i0 = 0; i0 < len; i0 += gs, k ^= 1) {                                  \
			blk_v8 ev8, hv8, v48, me8;                                                 \
			blk8_events(&en, &g[k], &ev8, &hv8, &v48, &me8);                           \
			if (i0 + gs < len)                                                         \
				windows8(i0 + gs, &g[k ^ 1]);                                      \
			any8 = ev8 | me8;                                                          \
			for (unsigned int nz = lanes_nz(&any8); nz != 0; nz &= nz - 1) {           \
				unsigned int j = (unsigned int)__builtin_ctz(nz);                  \
				uint64_t ev = ev8[j], hv = hv8[j], v4 = v48[j], me = me8[j];       \
				uint64_t wd = g[k].d[j], wnt = g[k].nt[j];                         \
				size_t i = i0 + j * BLK_STEP;                                      \
				BLK_VISIT(digit_run_fn, seen_fn, i, ev, hv, v4, me, wd,            \
					  g[k].dot[j], wnt,                                        \
					  wnt & ~(wd | g[k].dash[j] | g[k].dot[j]));               \
			}                                                                          \
		}                                                                                  \
	} while (0)

/* A digit-run start whose numeric token the block scan could not settle: digit_run's token
 * part with the token's shapes (its head is tried by BLK_DIGIT, digit_run_head_at). */
static __attribute__((noinline)) size_t
digit_run_sse2(struct scan_ctx *c, uint64_t ents, size_t p, size_t tok_end)
{
	uint8_t tmp[64];
	struct pii_win m;
	size_t ts;

	if (!(ents & NUM_ENTS) || p < tok_end)
		return tok_end;
	ts = num_token_start(c, p, tok_end);
	pii_win_sse2(win_load(c, ts, tmp), &m);
	return num_token_win(c, ents, ts, &m);
}

static void
token_pass_sse2(struct scan_ctx *c, uint64_t ents)
{
	TOKEN_PASS_BODY(pii_blk_sse2, digit_run_sse2, ctx_lead_seen_sse2);
}

#ifdef PII_SIMD_X86
#define PII_T_AVX2   "avx2,bmi,bmi2,popcnt"
#define PII_T_AVX512 "avx512bw,avx2,bmi,bmi2,popcnt"

static __attribute__((noinline, target(PII_T_AVX2))) size_t
digit_run_avx2(struct scan_ctx *c, uint64_t ents, size_t p, size_t tok_end)
{
	uint8_t tmp[64];
	struct pii_win m;
	size_t ts;

	if (!(ents & NUM_ENTS) || p < tok_end)
		return tok_end;
	ts = num_token_start(c, p, tok_end);
	pii_win_avx2(win_load(c, ts, tmp), &m);
	return num_token_win(c, ents, ts, &m);
}

static inline __attribute__((always_inline, target(PII_T_AVX2))) uint64_t
ctx_eq_avx2(__m256i lo, __m256i hi, uint8_t c)
{
	__m256i k = _mm256_set1_epi8((char)c);

	return (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, k)) |
	       (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, k)) << 32;
}

static inline __attribute__((always_inline, target(PII_T_AVX2))) bool
ctx_lead_seen_avx2(const uint8_t *b, size_t s)
{
	uint8_t tmp[64];
	const uint8_t *p = ctx_bytes(b, s, tmp);
	__m256i lo = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(const void *)p),
				     _mm256_set1_epi8(0x20)),
		hi = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(const void *)(p + 32)),
				     _mm256_set1_epi8(0x20));
	uint64_t t;

#define CTX_EQ_AVX2(c) ctx_eq_avx2(lo, hi, (uint8_t)(c))
	CTX_LEAD_IN(CTX_EQ_AVX2, t);
#undef CTX_EQ_AVX2
	return t != 0;
}

static __attribute__((target(PII_T_AVX2))) void
token_pass_avx2(struct scan_ctx *c, uint64_t ents)
{
#define BLK8_WINDOWS_AVX2(i0, g) BLK8_WINDOWS(pii_blk_avx2, i0, g)
	TOKEN_PASS_GROUP_BODY(BLK8_WINDOWS_AVX2, digit_run_avx2, blk8_nz, ctx_lead_seen_avx2);
#undef BLK8_WINDOWS_AVX2
}

static __attribute__((target(PII_T_AVX2))) void
ipv6_pass_avx2(struct scan_ctx *c, size_t from)
{
	IPV6_PASS_BODY(pii_colon_avx2, from);
}

static __attribute__((noinline, target(PII_T_AVX512))) size_t
digit_run_avx512(struct scan_ctx *c, uint64_t ents, size_t p, size_t tok_end)
{
	uint8_t tmp[64];
	struct pii_win m;
	size_t ts;

	if (!(ents & NUM_ENTS) || p < tok_end)
		return tok_end;
	ts = num_token_start(c, p, tok_end);
	pii_win_avx512(win_load(c, ts, tmp), &m);
	return num_token_win(c, ents, ts, &m);
}

static inline __attribute__((target(PII_T_AVX512))) unsigned int
blk8_nz_avx512(const blk_v8 *x)
{
	return _mm512_test_epi64_mask((__m512i)*x, (__m512i)*x);
}

static inline __attribute__((always_inline, target(PII_T_AVX512))) bool
ctx_lead_seen_avx512(const uint8_t *b, size_t s)
{
	uint8_t tmp[64];
	__m512i v =
		_mm512_or_si512(_mm512_loadu_si512(ctx_bytes(b, s, tmp)), _mm512_set1_epi8(0x20));
	uint64_t t;

#define CTX_EQ_AVX512(c) ((uint64_t)_mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8((char)(c))))
	CTX_LEAD_IN(CTX_EQ_AVX512, t);
#undef CTX_EQ_AVX512
	return t != 0;
}

static __attribute__((target(PII_T_AVX512))) void
token_pass_avx512(struct scan_ctx *c, uint64_t ents)
{
#define BLK8_WINDOWS_AVX512(i0, g) BLK8_WINDOWS(pii_blk_avx512, i0, g)
	TOKEN_PASS_GROUP_BODY(BLK8_WINDOWS_AVX512, digit_run_avx512, blk8_nz_avx512,
			      ctx_lead_seen_avx512);
#undef BLK8_WINDOWS_AVX512
}

/* ---- AVX-512 VBMI and GFNI: the eight windows' masks without a mask register ----
 * One table lookup (vpermi2b, 128 entries) gives each byte one bit per class: digit, letter or
 * '_', numeric-token byte, hex digit, '.', ':', '-', '1'/'3'. A GF(2) affine transform
 * (vgf2p8affineqb, the class bytes as the matrix, the unit vectors as the data) transposes the
 * 8x8 bits of every 8 bytes, a byte permutation (vpermb) gathers each class's 8 bytes into one
 * 64-bit mask: a window's eight masks in one register, with no mask register, general register
 * or store per class. Eight windows are then transposed (64-bit lanes, 8x8) into the lanes of a
 * pii_blk8. Each window is one masked load from 8 bytes before its step, the bytes outside the
 * body masked off (zero: no class), so the body's first and last windows need no copy; the
 * first window loads from the body's start and windows past its end from nothing (vbmi_window). */
#define PII_T_VBMI "avx512bw,avx512vbmi,gfni,avx2,bmi,bmi2,popcnt"

#define VB_D  0x01
#define VB_LU 0x02
#define VB_NT 0x04
#define VB_HX 0x08
#define VB_DT 0x10
#define VB_CL 0x20
#define VB_DA 0x40
#define VB_B5 0x80

static const uint8_t vbmi_cls[128] __attribute__((aligned(64))) = {
	[' '] = VB_NT,
	['('] = VB_NT,
	[')'] = VB_NT,
	['+'] = VB_NT,
	['-'] = VB_NT | VB_DA,
	['.'] = VB_NT | VB_DT,
	[':'] = VB_CL,
	['0'] = VB_D | VB_NT | VB_HX,
	['1'] = VB_D | VB_NT | VB_HX | VB_B5,
	['2'] = VB_D | VB_NT | VB_HX,
	['3'] = VB_D | VB_NT | VB_HX | VB_B5,
	['4' ... '9'] = VB_D | VB_NT | VB_HX,
	['A' ... 'F'] = VB_LU | VB_HX,
	['G' ... 'Z'] = VB_LU,
	['a' ... 'f'] = VB_LU | VB_HX,
	['g' ... 'z'] = VB_LU,
	['_'] = VB_LU,
};

/* vpshufb: the 8 bytes of each 64-bit lane in reverse order; vgf2p8affineqb's data: byte k of
 * each lane 1 << k; vpermb: byte k of the 8 lanes into lane k. */
static const uint8_t vbmi_rev[64] __attribute__((aligned(64))) = {
#define VB_REV8(o) (o) + 7, (o) + 6, (o) + 5, (o) + 4, (o) + 3, (o) + 2, (o) + 1, (o)
	VB_REV8(0), VB_REV8(8), VB_REV8(0), VB_REV8(8),
	VB_REV8(0), VB_REV8(8), VB_REV8(0), VB_REV8(8),
#undef VB_REV8
};
static const uint8_t vbmi_gather[64] __attribute__((aligned(64))) = {
#define VB_G8(k) (k), (k) + 8, (k) + 16, (k) + 24, (k) + 32, (k) + 40, (k) + 48, (k) + 56
	VB_G8(0), VB_G8(1), VB_G8(2), VB_G8(3), VB_G8(4), VB_G8(5), VB_G8(6), VB_G8(7),
#undef VB_G8
};

static inline __attribute__((always_inline, target(PII_T_VBMI))) __m512i
vbmi_window(const uint8_t *b, size_t len, size_t i, __m512i t_lo, __m512i t_hi, __m512i rev,
	    __m512i unit, __m512i gather)
{
	/* the window's bytes inside the body: from byte BLK_BACK - i when i < BLK_BACK, up to
	 * len - (i - BLK_BACK) (bzhi keeps all 64 for an index of 64 to 255); none for a step
	 * past the end (its lane all zeros, as BLK8_WINDOWS leaves it) */
	size_t in = i < len ? len + BLK_BACK - i : 0;
	uint64_t valid = _bzhi_u64(~UINT64_C(0), (unsigned int)(in < 64 ? in : 64)) &
			 (~UINT64_C(0) << (i < BLK_BACK ? BLK_BACK - i : 0));
	__m512i v, cls;

	/* A masked load that touches a page which is not present (memory beside the body never
	 * touched, or unmapped) is slow even where every lane there is masked off (~150 ns on AMD
	 * Zen 4). So a window past the end loads nothing, from b; the first window (i 0) loads
	 * from b, its lanes then moved up BLK_BACK bytes, a multiple of 8 (from b - BLK_BACK it
	 * reached into the previous page for a body at a page's start). */
	if (i < BLK_BACK) {
		v = _mm512_maskz_loadu_epi8(valid >> BLK_BACK, (const void *)b);
		v = _mm512_alignr_epi64(v, _mm512_setzero_si512(), 8 - BLK_BACK / 8);
	} else {
		v = _mm512_maskz_loadu_epi8(
			valid,
			(const void *)(in != 0 ? (uintptr_t)b + i - BLK_BACK : (uintptr_t)b));
	}
	v = _mm512_shuffle_epi8(v, rev);
	cls = _mm512_maskz_permutex2var_epi8(~_mm512_movepi8_mask(v), t_lo, v, t_hi);
	return _mm512_permutexvar_epi8(gather, _mm512_gf2p8affine_epi64_epi8(unit, cls, 0));
}

static inline __attribute__((always_inline, target(PII_T_VBMI))) void
blk8_windows_vbmi(const uint8_t *b, size_t len, size_t i0, struct pii_blk8 *g)
{
	const __m512i t_lo = _mm512_load_si512((const void *)vbmi_cls);
	const __m512i t_hi = _mm512_load_si512((const void *)(vbmi_cls + 64));
	const __m512i rev = _mm512_load_si512((const void *)vbmi_rev);
	const __m512i gather = _mm512_load_si512((const void *)vbmi_gather);
	const __m512i unit = _mm512_set1_epi64((long long)UINT64_C(0x8040201008040201));
	__m512i w[8], t[8], u[8], x[8];

#pragma GCC unroll 8
	for (unsigned int j = 0; j < 8; j++)
		w[j] = vbmi_window(b, len, i0 + j * BLK_STEP, t_lo, t_hi, rev, unit, gather);
	/* w[j] lane k: class k of window j; into x[k] lane j */
	for (unsigned int j = 0; j < 8; j += 2) {
		t[j] = _mm512_unpacklo_epi64(w[j], w[j + 1]);
		t[j + 1] = _mm512_unpackhi_epi64(w[j], w[j + 1]);
	}
	for (unsigned int h = 0; h < 2; h++) {
		u[h] = _mm512_shuffle_i64x2(t[h], t[h + 2], 0x44);
		u[h + 2] = _mm512_shuffle_i64x2(t[h], t[h + 2], 0xee);
		u[h + 4] = _mm512_shuffle_i64x2(t[h + 4], t[h + 6], 0x44);
		u[h + 6] = _mm512_shuffle_i64x2(t[h + 4], t[h + 6], 0xee);
		x[h] = _mm512_shuffle_i64x2(u[h], u[h + 4], 0x88);
		x[h + 2] = _mm512_shuffle_i64x2(u[h], u[h + 4], 0xdd);
		x[h + 4] = _mm512_shuffle_i64x2(u[h + 2], u[h + 6], 0x88);
		x[h + 6] = _mm512_shuffle_i64x2(u[h + 2], u[h + 6], 0xdd);
	}
	g->d = (blk_v8)x[0];
	g->lu = (blk_v8)x[1];
	g->nt = (blk_v8)x[2];
	g->hex = (blk_v8)x[3];
	g->dot = (blk_v8)x[4];
	g->colon = (blk_v8)x[5];
	g->dash = (blk_v8)x[6];
	g->b58s = (blk_v8)x[7];
	g->w = g->d | g->lu;
	g->ws = g->w | g->colon | g->dash | g->dot;
}

static __attribute__((target(PII_T_VBMI))) void
token_pass_vbmi(struct scan_ctx *c, uint64_t ents)
{
#define BLK8_WINDOWS_VBMI(i0, g) blk8_windows_vbmi(b, len, i0, g)
	TOKEN_PASS_GROUP_BODY(BLK8_WINDOWS_VBMI, digit_run_avx512, blk8_nz_avx512,
			      ctx_lead_seen_avx512);
#undef BLK8_WINDOWS_VBMI
}

static __attribute__((target(PII_T_AVX512))) void
ipv6_pass_avx512(struct scan_ctx *c, size_t from)
{
	IPV6_PASS_BODY(pii_colon_avx512, from);
}
#endif

/* ---- literal pass ----
 * The built-ins whose prefilters start with a literal (LIT_ENTS) are not given to Hyperscan:
 * a pass finds where each prefilter matches and hands its end to report_end, exactly as
 * on_match did with Hyperscan's report. The prefilters are fixed-length (the two of
 * github_token differ, but no start can begin both, nor one within 6 bytes of the other), so
 * the ends of an entity come in the order of the starts, as Hyperscan reported them. The block
 * versions find the starts with bit masks of a block and the two bytes after each position
 * (three unaligned loads), so only a '@' or a two- or three-byte prefix ("gh" and "gi" for
 * github_token's two) is looked at; each is then matched in full (lit_end). The reference
 * takes every byte that can begin a prefilter (its first byte only). Equality with Hyperscan's
 * prefilters: fuzz_pii against a hyperscan_only database. */

/* n bytes of p, each of class cls */
static inline bool
lit_run(const uint8_t *p, size_t n, uint32_t cls)
{
	for (size_t k = 0; k < n; k++)
		if (!(cclass(p[k]) & cls))
			return false;
	return true;
}

/* The end of ent's prefilter match that starts at i, 0 if none starts there. */
static size_t
lit_end(const uint8_t *b, size_t len, unsigned int ent, size_t i)
{
	const uint8_t *p = b + i;
	size_t n = len - i;

	switch (ent) {
	case HP_PII_EMAIL: /* @ */
		return p[0] == '@' ? i + 1 : 0;
	case HP_PII_AWS_ACCESS_KEY: /* (?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16} */
		if (n < 20 || p[0] != 'A' ||
		    !((p[1] == 'K' && p[2] == 'I' && p[3] == 'A') ||
		      (p[1] == 'S' && p[2] == 'I' && p[3] == 'A') ||
		      (p[1] == 'B' && p[2] == 'I' && p[3] == 'A') ||
		      (p[1] == 'C' && p[2] == 'C' && p[3] == 'A')))
			return 0;
		return lit_run(p + 4, 16, C_UPPER | C_DIGIT) ? i + 20 : 0;
	case HP_PII_GITHUB_TOKEN: /* gh[pousr]_[A-Za-z0-9]{36} | github_pat_[A-Za-z0-9]{22}_ */
		if (n >= 40 && p[0] == 'g' && p[1] == 'h' &&
		    (p[2] == 'p' || p[2] == 'o' || p[2] == 'u' || p[2] == 's' || p[2] == 'r') &&
		    p[3] == '_' && lit_run(p + 4, 36, C_ALNUM))
			return i + 40;
		if (n >= 34 && memcmp(p, "github_pat_", 11) == 0 && lit_run(p + 11, 22, C_ALNUM) &&
		    p[33] == '_')
			return i + 34;
		return 0;
	case HP_PII_STRIPE_KEY: /* [sr]k_(?:live|test)_[A-Za-z0-9]{16} */
		if (n < 24 || (p[0] != 's' && p[0] != 'r') || p[1] != 'k' || p[2] != '_' ||
		    (memcmp(p + 3, "live", 4) != 0 && memcmp(p + 3, "test", 4) != 0) || p[7] != '_')
			return 0;
		return lit_run(p + 8, 16, C_ALNUM) ? i + 24 : 0;
	case HP_PII_SLACK_TOKEN: /* xox[abposr]-[A-Za-z0-9\-]{10} */
		if (n < 15 || p[0] != 'x' || p[1] != 'o' || p[2] != 'x' ||
		    (p[3] != 'a' && p[3] != 'b' && p[3] != 'p' && p[3] != 'o' && p[3] != 's' &&
		     p[3] != 'r') ||
		    p[4] != '-')
			return 0;
		return lit_run(p + 5, 10, C_ALNUM | C_DASH) ? i + 15 : 0;
	case HP_PII_JWT: /* eyJ[A-Za-z0-9_\-]{7} */
		if (n < 10 || p[0] != 'e' || p[1] != 'y' || p[2] != 'J')
			return 0;
		return lit_run(p + 3, 7, C_ALNUM | C_UNDER | C_DASH) ? i + 10 : 0;
	case HP_PII_PEM_PRIVATE_KEY: /* "-----BEGIN " */
		return n >= 11 && memcmp(p, "-----BEGIN ", 11) == 0 ? i + 11 : 0;
	default:
		return 0;
	}
}

/* Where each literal pass entity's prefilter may start in a block: bit j, byte j. */
struct lit_blk {
	uint64_t m[7];
};

static const uint8_t lit_ent_of[7] = {
	HP_PII_EMAIL,           HP_PII_AWS_ACCESS_KEY, HP_PII_GITHUB_TOKEN,
	HP_PII_STRIPE_KEY,      HP_PII_SLACK_TOKEN,    HP_PII_JWT,
	HP_PII_PEM_PRIVATE_KEY,
};

/* The starts of a block with a candidate, matched in full, in order per entity. */
static __attribute__((noinline)) void
lit_visit(struct scan_ctx *c, uint64_t ents, size_t base, const struct lit_blk *m)
{
	for (unsigned int k = 0; k < 7; k++) {
		unsigned int ent = lit_ent_of[k];

		if (!(ents & ENT(ent)))
			continue;
		for (uint64_t x = m->m[k]; x != 0; x &= x - 1) {
			size_t i = base + (size_t)__builtin_ctzll(x), e;

			if (i >= c->len)
				break;
			e = lit_end(c->buf, c->len, ent, i);
			if (e != 0)
				report_end(c, ent, e);
		}
	}
}

/* Bit k: lit_ent_of[k]'s prefilter may start with this byte. */
static const uint8_t lit_first[256] = {
	['@'] = 1u << 0, ['A'] = 1u << 1, ['g'] = 1u << 2, ['s'] = 1u << 3,
	['r'] = 1u << 3, ['x'] = 1u << 4, ['e'] = 1u << 5, ['-'] = 1u << 6,
};

/* Every byte that can begin a prefilter, through the same visit as the block versions (so the
 * kept spans come in the same order when there are more than fit). */
static void
lit_pass_ref(struct scan_ctx *c, uint64_t ents)
{
	for (size_t base = 0; base < c->len; base += 64) {
		struct lit_blk m = {{0}};

		for (size_t j = 0; j < 64 && base + j < c->len; j++)
			for (unsigned int f = lit_first[c->buf[base + j]]; f != 0; f &= f - 1)
				m.m[__builtin_ctz(f)] |= UINT64_C(1) << j;
		lit_visit(c, ents, base, &m);
	}
}

/* The blocks of the body, each with the 2 bytes after it readable (the last ones copied with
 * zeros after them: no prefilter starts with a 0 byte). masks(p, &m) returns the OR of the
 * block's candidates (it may fill m only when that is not 0). */
/* The last block (fewer than 66 bytes left: the masks read 2 bytes past the 64) as if zeros
 * followed the body: cn its colons, any what masks returns. The versions without masked byte
 * loads copy it (a 64-byte load right after the copy's small stores waits for them, ~5 % of
 * the scan of a 3 KB body); the AVX-512 ones load with masks (LIT_TAIL_MASKED). */
#define LIT_TAIL_COPY(masks, colon_fn, p, n, m, cn, any)                                           \
	do {                                                                                       \
		uint8_t tmp_[64 + 64];                                                             \
		memset(tmp_, 0, sizeof(tmp_));                                                     \
		memcpy(tmp_, (p), (n));                                                            \
		(cn) = colon_fn(tmp_);                                                             \
		(any) = masks(tmp_, (m));                                                          \
	} while (0)

#define LIT_PASS_BODY(masks, colon_fn, tail, v6)                                                   \
	do {                                                                                       \
		struct v6_blks *v6_ = (v6);                                                        \
		uint64_t cc_ = 0;                                                                  \
		for (size_t i = 0; i < c->len; i += 64) {                                          \
			const uint8_t *p = c->buf + i;                                             \
			struct lit_blk m;                                                          \
			uint64_t cn_ = 0, any_;                                                    \
			if (c->len - i < 66) {                                                     \
				tail(masks, colon_fn, p, c->len - i, &m, cn_, any_);               \
			} else {                                                                   \
				if (v6_ != NULL)                                                   \
					cn_ = colon_fn(p);                                         \
				any_ = masks(p, &m);                                               \
			}                                                                          \
			if (v6_ != NULL) {                                                         \
				if (i > 0 && ipv6_pairs(cc_, cn_))                                 \
					v6_note(v6_, i - 64, cc_, cn_);                            \
				cc_ = cn_;                                                         \
			}                                                                          \
			if (any_ != 0)                                                             \
				lit_visit(c, ents, i, &m);                                         \
		}                                                                                  \
		if (v6_ != NULL && c->len > 0 && ipv6_pairs(cc_, 0))                               \
			v6_note(v6_, (c->len - 1) & ~(size_t)63, cc_, 0);                          \
	} while (0)

/* The IPv6 pass's first test, ipv6_pairs, made on the literal pass's blocks (the same 64 bytes
 * at the same offsets) when both run: the blocks where it holds are noted, then visited after
 * the literal pass's own visits, as the IPv6 pass would have (same spans, same order). Past
 * V6_BLKS such blocks (addresses all over a body), the IPv6 pass runs on its own from there. */
#define V6_BLKS 32

struct v6_blks {
	unsigned int n;
	size_t resume; /* SIZE_MAX, or the first block not noted */
	struct {
		size_t i;
		uint64_t cc, cn;
	} b[V6_BLKS];
};

static inline void
v6_note(struct v6_blks *v, size_t i, uint64_t cc, uint64_t cn)
{
	if (v->n < V6_BLKS && v->resume == SIZE_MAX) {
		v->b[v->n].i = i;
		v->b[v->n].cc = cc;
		v->b[v->n].cn = cn;
		v->n++;
	} else if (v->resume == SIZE_MAX) {
		v->resume = i;
	}
}

/* The noted blocks' visits, then the IPv6 pass from the first block not noted, if any. */
static inline void
v6_visit(struct scan_ctx *c, const struct v6_blks *v, void (*pass)(struct scan_ctx *, size_t))
{
	for (unsigned int k = 0; k < v->n; k++)
		ipv6_block(c, v->b[k].i, v->b[k].cc, v->b[k].cn);
	if (v->resume != SIZE_MAX)
		pass(c, v->resume);
}

/* The literal pass noting the IPv6 blocks, then their visits (ipv6_fn: the IPv6 pass of the same
 * version, from the first block not noted). Only n and resume are read before written. */
#define LIT_V6_PASS_BODY(masks, colon_fn, tail, ipv6_fn)                                           \
	do {                                                                                       \
		struct v6_blks v_;                                                                 \
		v_.n = 0;                                                                          \
		v_.resume = SIZE_MAX;                                                              \
		LIT_PASS_BODY(masks, colon_fn, tail, &v_);                                         \
		v6_visit(c, &v_, ipv6_fn);                                                         \
	} while (0)

static inline uint64_t
lit_any(const struct lit_blk *m)
{
	uint64_t any = 0;

	for (unsigned int k = 0; k < 7; k++)
		any |= m->m[k];
	return any;
}

/* The seven prefixes' candidates into M->m[0..6], EQ(o, ch) the bytes equal to ch o bytes on:
 * 64-bit masks, or (SSE2's first test) 16-byte vectors, GCC's vector operators on both. */
#define LIT_MASKS_OF(EQ, M)                                                                        \
	do {                                                                                       \
		(M)->m[0] = EQ(0, '@');                                                            \
		(M)->m[1] = EQ(0, 'A') & (EQ(1, 'K') | EQ(1, 'S') | EQ(1, 'B') | EQ(1, 'C'));      \
		(M)->m[2] = EQ(0, 'g') & (EQ(1, 'h') | EQ(1, 'i'));                                \
		(M)->m[3] = (EQ(0, 's') | EQ(0, 'r')) & EQ(1, 'k') & EQ(2, '_');                   \
		(M)->m[4] = EQ(0, 'x') & EQ(1, 'o') & EQ(2, 'x');                                  \
		(M)->m[5] = EQ(0, 'e') & EQ(1, 'y') & EQ(2, 'J');                                  \
		(M)->m[6] = EQ(0, '-') & EQ(1, '-') & EQ(2, '-');                                  \
	} while (0)

#ifdef __SSE2__
struct lit_vblk {
	__m128i m[7];
};

/* SSE2 has no byte shuffle for the nibble lookups below, and a mask per compare (a movemask
 * each: 88 per block) made this version's literal pass 7x the AVX2 one's. So the seven
 * prefixes are first combined as vectors, 16 bytes at a time, into one test whether the block
 * has any candidate (most have none: one movemask per block); only then are the masks taken. */
static inline uint64_t
lit_masks_sse2(const uint8_t *p, struct lit_blk *m)
{
	__m128i any = _mm_setzero_si128(), v[3][4];

	for (unsigned int k = 0; k < 4; k++) {
		__m128i w[3];
		struct lit_vblk vm;

		for (unsigned int o = 0; o < 3; o++)
			w[o] = _mm_loadu_si128((const __m128i *)(const void *)(p + o + 16 * k));
#define LIT_VEQ_SSE2(o, ch) pii_mm_eq(w[o], ch)
		LIT_MASKS_OF(LIT_VEQ_SSE2, &vm);
#undef LIT_VEQ_SSE2
		for (unsigned int j = 0; j < 7; j++)
			any = _mm_or_si128(any, vm.m[j]);
	}
	if (_mm_movemask_epi8(any) == 0)
		return 0;
	for (unsigned int o = 0; o < 3; o++)
		for (unsigned int k = 0; k < 4; k++)
			v[o][k] = _mm_loadu_si128((const __m128i *)(const void *)(p + o + 16 * k));
#define LIT_EQ_SSE2(o, ch)                                                                         \
	(pii_mm_bits(pii_mm_eq(v[o][0], ch), 0) | pii_mm_bits(pii_mm_eq(v[o][1], ch), 1) |         \
	 pii_mm_bits(pii_mm_eq(v[o][2], ch), 2) | pii_mm_bits(pii_mm_eq(v[o][3], ch), 3))
	LIT_MASKS_OF(LIT_EQ_SSE2, m);
#undef LIT_EQ_SSE2
	return lit_any(m);
}
#else
static inline uint64_t
lit_eq_bytes(const uint8_t *p, char ch)
{
	uint64_t m = 0;

	for (unsigned int k = 0; k < 64; k++)
		m |= (uint64_t)(p[k] == (uint8_t)ch) << k;
	return m;
}

static inline uint64_t
lit_masks_sse2(const uint8_t *p, struct lit_blk *m)
{
#define LIT_EQ_BYTES(o, ch) lit_eq_bytes(p + (o), ch)
	LIT_MASKS_OF(LIT_EQ_BYTES, m);
#undef LIT_EQ_BYTES
	return lit_any(m);
}
#endif

static void
lit_pass_sse2(struct scan_ctx *c, uint64_t ents)
{
	LIT_PASS_BODY(lit_masks_sse2, pii_colon_sse2, LIT_TAIL_COPY, (struct v6_blks *)NULL);
}

static void
lit_v6_pass_sse2(struct scan_ctx *c, uint64_t ents)
{
	LIT_V6_PASS_BODY(lit_masks_sse2, pii_colon_sse2, LIT_TAIL_COPY, ipv6_pass_sse2);
}

#ifdef PII_SIMD_X86
/* The AVX2 and AVX-512 versions find every candidate of the seven prefixes at once, with
 * nibble lookups (Hyperscan's "Teddy" idea): per byte, bit k of lit_tab_o[hi nibble] &
 * lit_tab_o[16 + lo nibble] says the byte can be byte o of lit_ent_of[k]'s prefix (its set of
 * hi nibbles crossed with its set of lo nibbles: "KSBC" lets "R" and "[" through too, which
 * lit_end refuses), every bit for a byte the prefix does not look at. The three lookups, at
 * the block, one and two bytes after it, are ANDed: one test says whether the block has a
 * candidate at all (most have none), and only then are the seven masks taken. */
static const uint8_t lit_tab[3][32] __attribute__((aligned(32))) = {
	{0x00, 0x00, 0x40, 0x00, 0x03, 0x00, 0x24, 0x18, 0x00, 0x00, 0x00,
	 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x08, 0x08, 0x00, 0x20,
	 0x00, 0x04, 0x10, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00},
	{0x01, 0x01, 0x41, 0x01, 0x03, 0x03, 0x1d, 0x21, 0x01, 0x01, 0x01,
	 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x03, 0x03, 0x01, 0x01,
	 0x01, 0x01, 0x05, 0x25, 0x01, 0x0b, 0x01, 0x41, 0x01, 0x11},
	{0x07, 0x07, 0x47, 0x07, 0x27, 0x0f, 0x07, 0x17, 0x07, 0x07, 0x07,
	 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07,
	 0x07, 0x07, 0x17, 0x07, 0x27, 0x07, 0x07, 0x47, 0x07, 0x0f},
};

static inline __attribute__((target(PII_T_AVX2))) __m256i
lit_cls_avx2(const uint8_t *p, unsigned int o)
{
	const __m256i nib = _mm256_set1_epi8(0x0f);
	__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(p + o));
	__m256i hi = _mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)lit_tab[o]));
	__m256i lo =
		_mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)(lit_tab[o] + 16)));

	return _mm256_and_si256(
		_mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(v, 4), nib)),
		_mm256_shuffle_epi8(lo, _mm256_and_si256(v, nib)));
}

/* bit j: byte j of the two 32-byte halves has one of the bits of k */
static inline __attribute__((target(PII_T_AVX2))) uint64_t
lit_test_avx2(__m256i a, __m256i b, char k)
{
	const __m256i z = _mm256_setzero_si256(), kk = _mm256_set1_epi8(k);

	return ~((uint64_t)(uint32_t)_mm256_movemask_epi8(
			 _mm256_cmpeq_epi8(_mm256_and_si256(a, kk), z)) |
		 (uint64_t)(uint32_t)_mm256_movemask_epi8(
			 _mm256_cmpeq_epi8(_mm256_and_si256(b, kk), z))
			 << 32);
}

static inline __attribute__((target(PII_T_AVX2))) uint64_t
lit_masks_avx2(const uint8_t *p, struct lit_blk *m)
{
	__m256i a = _mm256_and_si256(_mm256_and_si256(lit_cls_avx2(p, 0), lit_cls_avx2(p, 1)),
				     lit_cls_avx2(p, 2));
	__m256i b =
		_mm256_and_si256(_mm256_and_si256(lit_cls_avx2(p + 32, 0), lit_cls_avx2(p + 32, 1)),
				 lit_cls_avx2(p + 32, 2));
	uint64_t any = lit_test_avx2(a, b, 0x7f);

	if (any != 0)
		for (unsigned int k = 0; k < 7; k++)
			m->m[k] = lit_test_avx2(a, b, (char)(1u << k));
	return any;
}

static __attribute__((target(PII_T_AVX2))) void
lit_pass_avx2(struct scan_ctx *c, uint64_t ents)
{
	LIT_PASS_BODY(lit_masks_avx2, pii_colon_avx2, LIT_TAIL_COPY, (struct v6_blks *)NULL);
}

static __attribute__((target(PII_T_AVX2))) void
lit_v6_pass_avx2(struct scan_ctx *c, uint64_t ents)
{
	LIT_V6_PASS_BODY(lit_masks_avx2, pii_colon_avx2, LIT_TAIL_COPY, ipv6_pass_avx2);
}

static inline __attribute__((target(PII_T_AVX512))) __m512i
lit_cls_avx512(__m512i v, unsigned int o)
{
	const __m512i nib = _mm512_set1_epi8(0x0f);
	__m512i hi = _mm512_broadcast_i32x4(_mm_load_si128((const __m128i *)lit_tab[o]));
	__m512i lo = _mm512_broadcast_i32x4(_mm_load_si128((const __m128i *)(lit_tab[o] + 16)));

	return _mm512_and_si512(
		_mm512_shuffle_epi8(hi, _mm512_and_si512(_mm512_srli_epi16(v, 4), nib)),
		_mm512_shuffle_epi8(lo, _mm512_and_si512(v, nib)));
}

/* a: each byte's prefixes (bit k: prefix k starts there); the OR of them, and when there is
 * one, each prefix's mask into m */
static inline __attribute__((target(PII_T_AVX512))) uint64_t
lit_split_avx512(__m512i a, struct lit_blk *m)
{
	uint64_t any = _mm512_test_epi8_mask(a, a);

	if (any != 0)
		for (unsigned int k = 0; k < 7; k++)
			m->m[k] = _mm512_test_epi8_mask(a, _mm512_set1_epi8((char)(1u << k)));
	return any;
}

static inline __attribute__((target(PII_T_AVX512))) uint64_t
lit_masks_avx512_v(__m512i v0, __m512i v1, __m512i v2, struct lit_blk *m)
{
	return lit_split_avx512(
		_mm512_and_si512(_mm512_and_si512(lit_cls_avx512(v0, 0), lit_cls_avx512(v1, 1)),
				 lit_cls_avx512(v2, 2)),
		m);
}

static inline __attribute__((target(PII_T_AVX512))) uint64_t
lit_masks_avx512(const uint8_t *p, struct lit_blk *m)
{
	return lit_masks_avx512_v(_mm512_loadu_si512((const void *)p),
				  _mm512_loadu_si512((const void *)(p + 1)),
				  _mm512_loadu_si512((const void *)(p + 2)), m);
}

/* The 66 bytes a block's loads reach from p lie in p's 4 KB page: a masked load whose lanes
 * reach into the next page is slow even where they are masked off (~15 % of the scan of
 * bodies that end at a page's end, AMD Zen 4), so such a tail is copied instead. */
#define LIT_TAIL_IN_PAGE(p) (((uintptr_t)(p)&4095) <= 4096 - 66)

/* The bytes at p + o of the n from p (n < 66), zeros past them. */
static inline __attribute__((target(PII_T_AVX512))) __m512i
lit_tail_load(const uint8_t *p, size_t n, unsigned int o)
{
	size_t k = n > o ? n - o : 0;

	return _mm512_maskz_loadu_epi8(_bzhi_u64(~UINT64_C(0), (unsigned int)(k < 64 ? k : 64)),
				       (const void *)(p + o));
}

/* LIT_PASS_BODY's tail for the AVX-512 versions, masks_v their mask function over the three
 * loaded vectors: masked loads where the block's reach stays in its page, else the copy. */
#define LIT_TAIL_MASKED(masks_v, masks, colon_fn, p, n, m, cn, any)                                \
	do {                                                                                       \
		if (LIT_TAIL_IN_PAGE(p)) {                                                         \
			__m512i v0_ = lit_tail_load((p), (n), 0);                                  \
			(cn) = _mm512_cmpeq_epi8_mask(v0_, _mm512_set1_epi8(':'));                 \
			(any) = masks_v(v0_, lit_tail_load((p), (n), 1),                           \
					lit_tail_load((p), (n), 2), (m));                          \
		} else {                                                                           \
			LIT_TAIL_COPY(masks, colon_fn, p, n, m, cn, any);                          \
		}                                                                                  \
	} while (0)
#define LIT_TAIL_AVX512(...) LIT_TAIL_MASKED(lit_masks_avx512_v, __VA_ARGS__)
#define LIT_TAIL_VBMI(...)   LIT_TAIL_MASKED(lit_masks_vbmi_v, __VA_ARGS__)

static __attribute__((target(PII_T_AVX512))) void
lit_pass_avx512(struct scan_ctx *c, uint64_t ents)
{
	LIT_PASS_BODY(lit_masks_avx512, pii_colon_avx512, LIT_TAIL_AVX512, (struct v6_blks *)NULL);
}

static __attribute__((target(PII_T_AVX512))) void
lit_v6_pass_avx512(struct scan_ctx *c, uint64_t ents)
{
	LIT_V6_PASS_BODY(lit_masks_avx512, pii_colon_avx512, LIT_TAIL_AVX512, ipv6_pass_avx512);
}

/* With VBMI: one 128-entry lookup (vpermi2b) per offset instead of two nibble lookups, bit k
 * of lit_vb[o][c]: byte c may be byte o of prefix k (LIT_MASKS_OF), those a prefix does not
 * look at ORed in after the lookup (offset 1: '@'; offset 2: '@', AKIA, gh). Bytes >= 0x80 at
 * offset 0 have no class; at offsets 1 and 2 they may read as their low 7 bits: a candidate
 * more, which lit_end refuses, as it refuses every candidate that is not a prefix. */
static const uint8_t lit_vb[3][128] __attribute__((aligned(64))) = {
	{['@'] = 0x01,
	 ['A'] = 0x02,
	 ['g'] = 0x04,
	 ['s'] = 0x08,
	 ['r'] = 0x08,
	 ['x'] = 0x10,
	 ['e'] = 0x20,
	 ['-'] = 0x40},
	{['K'] = 0x02,
	 ['S'] = 0x02,
	 ['B'] = 0x02,
	 ['C'] = 0x02,
	 ['h'] = 0x04,
	 ['i'] = 0x04,
	 ['k'] = 0x08,
	 ['o'] = 0x10,
	 ['y'] = 0x20,
	 ['-'] = 0x40},
	{['_'] = 0x08, ['x'] = 0x10, ['J'] = 0x20, ['-'] = 0x40},
};

static inline __attribute__((target(PII_T_VBMI))) __m512i
lit_cls_vbmi(__m512i v, unsigned int o)
{
	return _mm512_permutex2var_epi8(_mm512_load_si512((const void *)lit_vb[o]), v,
					_mm512_load_si512((const void *)(lit_vb[o] + 64)));
}

static inline __attribute__((target(PII_T_VBMI))) uint64_t
lit_masks_vbmi_v(__m512i v0, __m512i v1, __m512i v2, struct lit_blk *m)
{
	__m512i c0 = _mm512_maskz_permutex2var_epi8(
		~_mm512_movepi8_mask(v0), _mm512_load_si512((const void *)lit_vb[0]), v0,
		_mm512_load_si512((const void *)(lit_vb[0] + 64)));
	/* c0 & (c1 | 0x01) & (c2 | 0x07) */
	__m512i a =
		_mm512_ternarylogic_epi32(c0, lit_cls_vbmi(v1, 1), _mm512_set1_epi8(0x01), 0xe0);

	return lit_split_avx512(
		_mm512_ternarylogic_epi32(a, lit_cls_vbmi(v2, 2), _mm512_set1_epi8(0x07), 0xe0), m);
}

static inline __attribute__((target(PII_T_VBMI))) uint64_t
lit_masks_vbmi(const uint8_t *p, struct lit_blk *m)
{
	return lit_masks_vbmi_v(_mm512_loadu_si512((const void *)p),
				_mm512_loadu_si512((const void *)(p + 1)),
				_mm512_loadu_si512((const void *)(p + 2)), m);
}

static __attribute__((target(PII_T_VBMI))) void
lit_pass_vbmi(struct scan_ctx *c, uint64_t ents)
{
	LIT_PASS_BODY(lit_masks_vbmi, pii_colon_avx512, LIT_TAIL_VBMI, (struct v6_blks *)NULL);
}

static __attribute__((target(PII_T_VBMI))) void
lit_v6_pass_vbmi(struct scan_ctx *c, uint64_t ents)
{
	LIT_V6_PASS_BODY(lit_masks_vbmi, pii_colon_avx512, LIT_TAIL_VBMI, ipv6_pass_avx512);
}
#endif

static const struct {
	const char *name;
	void (*fn)(struct scan_ctx *c, uint64_t ents);
	void (*ipv6)(struct scan_ctx *c, size_t from);     /* "IPv6 pass", from block from */
	void (*lit)(struct scan_ctx *c, uint64_t ents);    /* "literal pass" */
	void (*lit_v6)(struct scan_ctx *c, uint64_t ents); /* both, on the same blocks (V6_BLKS) */
} token_impls[HP_PII_TOK__COUNT] = {
	[HP_PII_TOK_REF] = {"ref", token_pass_ref, ipv6_pass_ref, lit_pass_ref, NULL},
#ifdef __SSE2__
	[HP_PII_TOK_SSE2] = {"sse2", token_pass_sse2, ipv6_pass_sse2, lit_pass_sse2,
			     lit_v6_pass_sse2},
#else
	[HP_PII_TOK_SSE2] = {"bytes", token_pass_sse2, ipv6_pass_sse2, lit_pass_sse2,
			     lit_v6_pass_sse2},
#endif
#ifdef PII_SIMD_X86
	[HP_PII_TOK_AVX2] = {"avx2", token_pass_avx2, ipv6_pass_avx2, lit_pass_avx2,
			     lit_v6_pass_avx2},
	[HP_PII_TOK_AVX512] = {"avx512bw", token_pass_avx512, ipv6_pass_avx512, lit_pass_avx512,
			       lit_v6_pass_avx512},
	[HP_PII_TOK_VBMI] = {"avx512vbmi", token_pass_vbmi, ipv6_pass_avx512, lit_pass_vbmi,
			     lit_v6_pass_vbmi},
#endif
};

static bool
tok_impl_ok(enum hp_pii_tok_impl t)
{
	if ((unsigned int)t >= HP_PII_TOK__COUNT || token_impls[t].fn == NULL)
		return false;
#ifdef PII_SIMD_X86
	__builtin_cpu_init();
	if (t == HP_PII_TOK_AVX2 || t == HP_PII_TOK_AVX512 || t == HP_PII_TOK_VBMI)
		return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
		       __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt") &&
		       (t == HP_PII_TOK_AVX2 || __builtin_cpu_supports("avx512bw")) &&
		       (t != HP_PII_TOK_VBMI ||
			(__builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("gfni")));
#endif
	return true;
}

/* The widest version the CPU has; HOOKPATH_PII_SCAN (ref, sse2, avx2, avx512bw) asks for another
 * one, for the in-situ comparisons of tests/bench. */
static enum hp_pii_tok_impl
tok_impl_pick(void)
{
	const char *want = getenv("HOOKPATH_PII_SCAN");

	for (int t = HP_PII_TOK__COUNT - 1; want != NULL && t > HP_PII_TOK_AUTO; t--)
		if (token_impls[t].name != NULL && strcmp(want, token_impls[t].name) == 0 &&
		    tok_impl_ok((enum hp_pii_tok_impl)t))
			return (enum hp_pii_tok_impl)t;
	for (int t = HP_PII_TOK__COUNT - 1; t > HP_PII_TOK_REF; t--)
		if (tok_impl_ok((enum hp_pii_tok_impl)t))
			return (enum hp_pii_tok_impl)t;
	return HP_PII_TOK_REF;
}

const char *
hp_pii_scan_version(const char **why, bool *asked_bad)
{
	const char *want = getenv("HOOKPATH_PII_SCAN");
	const char *name = token_impls[tok_impl_pick()].name;
	bool bad = want != NULL && strcmp(want, name) != 0;

	if (why != NULL)
		*why = want == NULL ? "the widest this CPU has"
		       : bad        ? "HOOKPATH_PII_SCAN names no version this CPU and build run "
				      "(ref, sse2, avx2, avx512bw, avx512vbmi), ignored: the widest this "
				      "CPU has"
				    : "HOOKPATH_PII_SCAN";
	if (asked_bad != NULL)
		*asked_bad = bad;
	return name;
}

int
hp_pii_scan_impl(const struct hp_pii_db *db, struct hp_pii_scratch *scratch, const uint8_t *buf,
		 size_t len, struct hp_pii_result *res, enum hp_pii_tok_impl impl)
{
	struct scan_ctx c;

	if (db == NULL || scratch == NULL || res == NULL || (buf == NULL && len > 0))
		return -EINVAL;
	if (impl == HP_PII_TOK_AUTO)
		impl = db->tok_impl;
	else if (!tok_impl_ok(impl))
		return -ENOTSUP;
	if (len > UINT32_MAX)
		return -E2BIG;
	res->total = 0;
	res->n_spans = 0;
	res->n_dropped = 0;
	memset(res->count, 0, sizeof(res->count));
	if ((db->hs == NULL && db->token_ents == 0 && db->lit_ents == 0) || len == 0)
		return 0;
	c.db = db;
	c.buf = buf;
	c.len = len;
	c.res = res;
	memset(c.st, 0, sizeof(c.st[0]) * db->n_entities);
	if (db->hs != NULL && hs_scan(db->hs, (const char *)buf, (unsigned int)len, 0, scratch->hs,
				      on_match, &c) != HS_SUCCESS)
		return -EIO;
	if (db->lit_ents != 0 && (db->token_ents & ENT(HP_PII_IPV6)) &&
	    token_impls[impl].lit_v6 != NULL) {
		token_impls[impl].lit_v6(&c, db->lit_ents);
	} else {
		if (db->lit_ents != 0)
			token_impls[impl].lit(&c, db->lit_ents);
		if (db->token_ents & ENT(HP_PII_IPV6))
			token_impls[impl].ipv6(&c, 0);
	}
	if (db->token_ents & ~ENT(HP_PII_IPV6))
		token_impls[impl].fn(&c, db->token_ents);
	return (int)res->total;
}

int
hp_pii_scan(const struct hp_pii_db *db, struct hp_pii_scratch *scratch, const uint8_t *buf,
	    size_t len, struct hp_pii_result *res)
{
	return hp_pii_scan_impl(db, scratch, buf, len, res, HP_PII_TOK_AUTO);
}

bool
hp_pii_tok_impl_supported(enum hp_pii_tok_impl impl)
{
	return impl == HP_PII_TOK_AUTO || tok_impl_ok(impl);
}

const char *
hp_pii_tok_impl_name(const struct hp_pii_db *db, enum hp_pii_tok_impl impl)
{
	if (impl == HP_PII_TOK_AUTO)
		impl = db != NULL ? db->tok_impl : tok_impl_pick();
	if ((unsigned int)impl >= HP_PII_TOK__COUNT || token_impls[impl].name == NULL)
		return "unknown";
	return token_impls[impl].name;
}

/* ---- mask ---- */

size_t
hp_pii_mask(uint8_t *buf, size_t len, const struct hp_pii_result *res, char mask_char)
{
	return hp_pii_mask_sel(buf, len, res, mask_char, UINT64_MAX);
}

/* How many of the n bytes at p are ch: 16 at a time, counted in byte lanes (a compare's -1
 * subtracted) and summed (psadbw) every 255 steps, before a lane can wrap. */
static size_t
count_byte(const uint8_t *p, size_t n, uint8_t ch)
{
	size_t k = 0, same = 0;
#ifdef __SSE2__
	const __m128i cv = _mm_set1_epi8((char)ch), zero = _mm_setzero_si128();

	while (k + 16 <= n) {
		__m128i acc = zero, sum;

		for (unsigned int r = 0; r < 255 && k + 16 <= n; r++, k += 16)
			acc = _mm_sub_epi8(
				acc, _mm_cmpeq_epi8(_mm_loadu_si128((const void *)(p + k)), cv));
		sum = _mm_sad_epu8(acc, zero);
		same += (size_t)_mm_extract_epi16(sum, 0) + (size_t)_mm_extract_epi16(sum, 4);
	}
#endif
	for (; k < n; k++)
		same += p[k] == ch;
	return same;
}

/* What hp_pii_mask_sel does with span sp: 0 nothing (out of the buffer, or an entity not
 * selected), 1 mask it whole, 2 mask a card's digits before *keep (its last 4 digits and every
 * separator are kept). *keep: the span's end, or where the card's kept digits begin. */
static inline int
mask_what(const struct hp_pii_span *sp, const uint8_t *buf, size_t len, uint64_t entities,
	  size_t *keep)
{
	size_t s = sp->start, k = sp->end;
	unsigned int nd = 0;

	*keep = k;
	if (k > len || s >= k || sp->entity >= 64 || !(entities & (UINT64_C(1) << sp->entity)))
		return 0;
	if (!(sp->entity < HP_PII__BUILTIN_COUNT && builtin[sp->entity].keep_last4))
		return 1;
	while (k > s && nd < 4)
		if (cclass(buf[--k]) & C_DIGIT)
			nd++;
	*keep = k;
	return 2;
}

#ifdef PII_SIMD_X86
/* hp_pii_mask_sel with AVX-512BW: a span's 64-byte pieces counted and masked with byte masks
 * (no memset call, no byte loop), the digits of a card's too. A piece shorter than 64 bytes
 * whose 64 reach into the next 4 KB page goes byte by byte: where that page is not present, a
 * masked access is slow even with its lanes there masked off (AMD Zen 4, vbmi_window). */
static __attribute__((target(PII_T_AVX512))) size_t
mask_sel_avx512(uint8_t *buf, size_t len, const struct hp_pii_result *res, char mask_char,
		uint64_t entities)
{
	const __m512i mc = _mm512_set1_epi8(mask_char), d0 = _mm512_set1_epi8('0'),
		      d9 = _mm512_set1_epi8('9');
	size_t changed = 0;

	for (uint32_t i = 0; i < res->n_spans && i < HP_PII_MAX_SPANS; i++) {
		size_t keep;
		int what = mask_what(&res->span[i], buf, len, entities, &keep);
		bool card = what == 2;

		for (size_t k = res->span[i].start; what != 0 && k < keep; k += 64) {
			size_t n = keep - k < 64 ? keep - k : 64;
			__mmask64 m = _bzhi_u64(~UINT64_C(0), (unsigned int)n), w, eq;
			__m512i v;

			if (n < 64 && ((uintptr_t)(buf + k) & 4095) > 4096 - 64) {
				/* the byte loop for this piece */
				for (size_t j = k; j < k + n; j++) {
					if (card && !(cclass(buf[j]) & C_DIGIT))
						continue;
					changed += buf[j] != (uint8_t)mask_char;
					buf[j] = (uint8_t)mask_char;
				}
				continue;
			}
			v = _mm512_maskz_loadu_epi8(m, buf + k);
			w = card ? _mm512_mask_cmpge_epu8_mask(m, v, d0) &
					    _mm512_mask_cmple_epu8_mask(m, v, d9)
				 : m;
			eq = _mm512_mask_cmpeq_epi8_mask(w, v, mc);
			changed += (size_t)__builtin_popcountll(w & ~eq);
			_mm512_mask_storeu_epi8(buf + k, w, mc);
		}
	}
	return changed;
}
#endif

/* hp_pii_mask_sel without AVX-512: count_byte and memset, cards byte by byte */
static size_t
mask_sel_bytes(uint8_t *buf, size_t len, const struct hp_pii_result *res, char mask_char,
	       uint64_t entities)
{
	size_t changed = 0;

	for (uint32_t i = 0; i < res->n_spans && i < HP_PII_MAX_SPANS; i++) {
		size_t s = res->span[i].start, keep;
		int what = mask_what(&res->span[i], buf, len, entities, &keep);

		if (what == 1) {
			/* every byte of the span: count those that change, then one memset (PEM
			 * blocks and tokens are hundreds of bytes) */
			size_t same = count_byte(buf + s, keep - s, (uint8_t)mask_char);

			memset(buf + s, (uint8_t)mask_char, keep - s);
			changed += keep - s - same;
			continue;
		}
		for (size_t k = s; what == 2 && k < keep; k++) {
			if (!(cclass(buf[k]) & C_DIGIT))
				continue;
			if (buf[k] != (uint8_t)mask_char) {
				buf[k] = (uint8_t)mask_char;
				changed++;
			}
		}
	}
	return changed;
}

/* wide: a version with AVX-512BW, checked by the caller */
static size_t
mask_sel(uint8_t *buf, size_t len, const struct hp_pii_result *res, char mask_char,
	 uint64_t entities, bool wide)
{
	if (buf == NULL || res == NULL)
		return 0;
#ifdef PII_SIMD_X86
	if (wide)
		return mask_sel_avx512(buf, len, res, mask_char, entities);
#else
	(void)wide;
#endif
	return mask_sel_bytes(buf, len, res, mask_char, entities);
}

size_t
hp_pii_mask_impl(uint8_t *buf, size_t len, const struct hp_pii_result *res, char mask_char,
		 uint64_t entities, enum hp_pii_tok_impl impl)
{
	return mask_sel(buf, len, res, mask_char, entities,
			impl >= HP_PII_TOK_AVX512 && tok_impl_ok(impl));
}

/* The loop of the version the scan would pick (the widest the CPU has, or HOOKPATH_PII_SCAN's),
 * looked up at the first call. */
size_t
hp_pii_mask_sel(uint8_t *buf, size_t len, const struct hp_pii_result *res, char mask_char,
		uint64_t entities)
{
	static int wide; /* 0: not looked up yet, 1: no, 2: yes (any thread may store it first) */
	int w = __atomic_load_n(&wide, __ATOMIC_RELAXED);

	if (w == 0) {
		w = tok_impl_pick() >= HP_PII_TOK_AVX512 ? 2 : 1;
		__atomic_store_n(&wide, w, __ATOMIC_RELAXED);
	}
	return mask_sel(buf, len, res, mask_char, entities, w == 2);
}

/* ---- names ---- */

unsigned int
hp_pii_db_patterns(const struct hp_pii_db *db, struct hp_pii_pattern *out, unsigned int max)
{
	unsigned int n = 0;

	unsigned int total = db != NULL ? db->n_pat : 0;

	if (db == NULL)
		return 0;
	for (; n < db->n_pat && n < max; n++)
		out[n] = (struct hp_pii_pattern){.expr = db->pat_expr[n],
						 .flags = db->pat_flags[n],
						 .entity = db->pat_ent[n],
						 .hyperscan = true};
	/* entities of the digit-run pass: their prefilters, as a definition of what they find */
	for (unsigned int e = 0; e < HP_PII__BUILTIN_COUNT; e++) {
		if (!((db->token_ents | db->lit_ents) & ENT(e)))
			continue;
		for (unsigned int k = 0; k < 3 && builtin[e].pat[k] != NULL; k++, total++)
			if (total < max)
				out[total] = (struct hp_pii_pattern){
					.expr = builtin[e].pat[k],
					.entity = (uint16_t)e,
					.literal = (db->lit_ents & ENT(e)) != 0};
	}
	return total;
}

const char *
hp_pii_entity_name(const struct hp_pii_db *db, unsigned int entity)
{
	if (entity < HP_PII__BUILTIN_COUNT)
		return builtin[entity].name;
	if (db != NULL && entity < db->n_entities)
		return db->user_name[entity - HP_PII__BUILTIN_COUNT];
	return "unknown";
}

int
hp_pii_builtin_from_name(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i < HP_PII__BUILTIN_COUNT; i++)
		if (strcmp(builtin[i].name, name) == 0)
			return i;
	return -1;
}

unsigned int
hp_pii_entity_count(const struct hp_pii_db *db)
{
	return db != NULL ? db->n_entities : HP_PII__BUILTIN_COUNT;
}

const char *
hp_pii_validator_name(enum hp_pii_validator v)
{
	if ((unsigned int)v >= HP_PII_VAL__COUNT)
		return "unknown";
	return user_validators[v].name;
}
