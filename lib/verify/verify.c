/* SPDX-License-Identifier: BSD-3-Clause
 * lib/verify core: verifier create/free (every secret decoded and its HMAC key state
 * precomputed once), per-worker contexts, the HMAC primitives over precomputed midstates,
 * decoders, timestamp parsing, header lookup, names and the provider defaults.
 * The schemes themselves are in verify_providers.c.
 */
#include "verify_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hp_simd.h"

/* ---- names and defaults ---- */

static const char *const prov_names[HP_PROV__COUNT] = {
	[HP_PROV_NONE] = "none",
	[HP_PROV_STRIPE] = "stripe",
	[HP_PROV_GITHUB] = "github",
	[HP_PROV_SLACK] = "slack",
	[HP_PROV_STANDARD] = "standard-webhooks",
	[HP_PROV_SVIX] = "svix",
	[HP_PROV_SHOPIFY] = "shopify",
	[HP_PROV_TWILIO] = "twilio",
	[HP_PROV_ZOOM] = "zoom",
	[HP_PROV_TWITCH] = "twitch",
	[HP_PROV_PADDLE] = "paddle",
	[HP_PROV_GITLAB] = "gitlab",
	[HP_PROV_HMAC] = "hmac",
};

static const char *const result_names[HP_VR__COUNT] = {
	[HP_VR_OK] = "ok",
	[HP_VR_MISSING_SIGNATURE] = "missing_signature",
	[HP_VR_MALFORMED_SIGNATURE] = "malformed_signature",
	[HP_VR_BAD_SIGNATURE] = "bad_signature",
	[HP_VR_MISSING_TIMESTAMP] = "missing_timestamp",
	[HP_VR_MALFORMED_TIMESTAMP] = "malformed_timestamp",
	[HP_VR_STALE_TIMESTAMP] = "stale_timestamp",
	[HP_VR_FUTURE_TIMESTAMP] = "future_timestamp",
	[HP_VR_MISSING_ID] = "missing_id",
	[HP_VR_UNSUPPORTED] = "unsupported_signature",
};

const char *
hp_provider_name(enum hp_provider p)
{
	if ((unsigned int)p >= HP_PROV__COUNT)
		return "unknown";
	return prov_names[p];
}

enum hp_provider
hp_provider_from_name(const char *name)
{
	if (name == NULL)
		return HP_PROV__COUNT;
	for (unsigned int i = 0; i < HP_PROV__COUNT; i++)
		if (strcmp(name, prov_names[i]) == 0)
			return (enum hp_provider)i;
	return HP_PROV__COUNT;
}

const char *
hp_verify_result_name(enum hp_verify_result r)
{
	if ((unsigned int)r >= HP_VR__COUNT)
		return "unknown";
	return result_names[r];
}

/* Why each default: docs/VERIFY.md, per provider. */
const char *
hp_provider_default_dedup(enum hp_provider p)
{
	switch (p) {
	case HP_PROV_STRIPE:
		return "body:id";
	case HP_PROV_GITHUB:
		return "header:X-GitHub-Delivery";
	case HP_PROV_STANDARD:
		return "header:webhook-id";
	case HP_PROV_SVIX:
		return "header:svix-id";
	case HP_PROV_SHOPIFY:
		return "header:X-Shopify-Webhook-Id";
	case HP_PROV_TWILIO:
		return "header:I-Twilio-Idempotency-Token";
	case HP_PROV_TWITCH:
		return "header:Twitch-Eventsub-Message-Id";
	case HP_PROV_PADDLE:
		return "body:notification_id";
	case HP_PROV_GITLAB:
		return "header:Idempotency-Key";
	case HP_PROV_SLACK:
	case HP_PROV_ZOOM:
	case HP_PROV_HMAC: /* the verifier's id_header is not known here: see docs/VERIFY.md */
	case HP_PROV_NONE:
	default:
		return "body_hash";
	}
}

uint32_t
hp_provider_default_tolerance(enum hp_provider p)
{
	switch (p) {
	case HP_PROV_STRIPE:
		return 300; /* stripe-node DEFAULT_TOLERANCE */
	case HP_PROV_SLACK:
		return 300; /* Slack docs: five minutes */
	case HP_PROV_STANDARD:
	case HP_PROV_SVIX:
		return 300; /* standard-webhooks WEBHOOK_TOLERANCE_IN_SECONDS */
	case HP_PROV_ZOOM:
		return 300; /* Zoom gives none; same as its v0 siblings */
	case HP_PROV_TWITCH:
		return 600; /* Twitch docs: older than 10 minutes */
	case HP_PROV_PADDLE:
		return 5; /* paddle-node-sdk MAX_VALID_TIME_DIFFERENCE */
	case HP_PROV_HMAC:
		return 300; /* used only when a timestamp header is configured */
	default:
		return 0;
	}
}

const char *
hp_verifier_default_dedup(const struct hp_verifier *v)
{
	return v->dedup;
}

/* ---- HMAC over precomputed midstates ---- */

size_t
hp_vmac_len(enum hp_verify_alg alg)
{
	switch (alg) {
	case HP_VALG_SHA1:
		return SHA_DIGEST_LENGTH;
	case HP_VALG_SHA512:
		return SHA512_DIGEST_LENGTH;
	case HP_VALG_SHA256:
	default:
		return SHA256_DIGEST_LENGTH;
	}
}

static size_t
alg_block(enum hp_verify_alg alg)
{
	return alg == HP_VALG_SHA512 ? SHA512_CBLOCK : SHA256_CBLOCK;
}

static void
h_init(union vhash *h, enum hp_verify_alg alg)
{
	switch (alg) {
	case HP_VALG_SHA1:
		SHA1_Init(&h->s1);
		break;
	case HP_VALG_SHA512:
		SHA512_Init(&h->s512);
		break;
	case HP_VALG_SHA256:
	default:
		if (hp_vsha256_ni_usable())
			hp_vsha256_init(&h->n256);
		else
			SHA256_Init(&h->s256);
		break;
	}
}

static void
h_update(union vhash *h, enum hp_verify_alg alg, const void *p, size_t n)
{
	switch (alg) {
	case HP_VALG_SHA1:
		SHA1_Update(&h->s1, p, n);
		break;
	case HP_VALG_SHA512:
		SHA512_Update(&h->s512, p, n);
		break;
	case HP_VALG_SHA256:
	default:
		if (hp_vsha256_ni_usable())
			hp_vsha256_update(&h->n256, p, n);
		else
			SHA256_Update(&h->s256, p, n);
		break;
	}
}

static void
h_final(union vhash *h, enum hp_verify_alg alg, uint8_t *out)
{
	switch (alg) {
	case HP_VALG_SHA1:
		SHA1_Final(out, &h->s1);
		break;
	case HP_VALG_SHA512:
		SHA512_Final(out, &h->s512);
		break;
	case HP_VALG_SHA256:
	default:
		if (hp_vsha256_ni_usable())
			hp_vsha256_final(&h->n256, out);
		else
			SHA256_Final(out, &h->s256);
		break;
	}
}

/* RFC 2104: a key longer than the block is hashed first; both pads are one block. */
static void
vhmac_init(struct vhmac *k, enum hp_verify_alg alg, const uint8_t *key, size_t klen)
{
	uint8_t kb[SHA512_CBLOCK], pad[SHA512_CBLOCK];
	size_t bs = alg_block(alg);
	union vhash t;

	memset(kb, 0, sizeof(kb));
	if (klen > bs) {
		h_init(&t, alg);
		h_update(&t, alg, key, klen);
		h_final(&t, alg, kb);
	} else if (klen > 0) {
		memcpy(kb, key, klen);
	}
	for (size_t i = 0; i < bs; i++)
		pad[i] = kb[i] ^ 0x36;
	h_init(&k->in, alg);
	h_update(&k->in, alg, pad, bs);
	for (size_t i = 0; i < bs; i++)
		pad[i] = kb[i] ^ 0x5c;
	h_init(&k->out, alg);
	h_update(&k->out, alg, pad, bs);
	OPENSSL_cleanse(kb, sizeof(kb));
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(&t, sizeof(t));
}

void
hp_vmac_start(struct vmac *m, const struct vhmac *k, enum hp_verify_alg alg)
{
	m->alg = (uint8_t)alg;
	m->h = k->in; /* by value: the whole point (no allocation, no re-keying) */
}

void
hp_vmac_update(struct vmac *m, const void *p, size_t n)
{
	if (n > 0)
		h_update(&m->h, (enum hp_verify_alg)m->alg, p, n);
}

void
hp_vmac_final(struct vmac *m, const struct vhmac *k, uint8_t *out)
{
	enum hp_verify_alg alg = (enum hp_verify_alg)m->alg;
	uint8_t ih[VMAC_MAX];
	union vhash o;

	if (alg == HP_VALG_SHA256 && hp_vsha256_ni_usable()) {
		hp_vsha256_hmac_final(&m->h.n256, &k->out.n256, out);
		return;
	}
	o = k->out;
	h_final(&m->h, alg, ih);
	h_update(&o, alg, ih, hp_vmac_len(alg));
	h_final(&o, alg, out);
}

void
hp_vmac_pieces(const struct vhmac *k, enum hp_verify_alg alg, const struct hp_vspan *pieces,
	       size_t n, uint8_t *out, struct hp_vbody_pass *pass)
{
	struct vmac m;

	if (pass != NULL && (pass->done || alg != HP_VALG_SHA256 || !hp_vsha256_ni_usable()))
		pass = NULL;
	hp_vmac_start(&m, k, alg);
	for (size_t i = 0; i < n; i++) {
		if (pass != NULL && pieces[i].p == pass->body && pieces[i].len == pass->len)
			hp_vsha256_update_pass(&m.h.n256, pieces[i].p, pieces[i].len, pass);
		else
			hp_vmac_update(&m, pieces[i].p, pieces[i].len);
	}
	hp_vmac_final(&m, k, out);
}

/* Whether a computed MAC equals a received one, in constant time: every byte is read and
 * compared whatever the others hold (no early exit, no branch or load on their values).
 * SHA-256's 32 bytes in two SSE2 steps (CRYPTO_memcmp's byte loop and call were ~1 % of a
 * keep-alive verdict); any other length by CRYPTO_memcmp. */
static inline bool
mac_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
#ifdef HP_SIMD_SSE2
	if (n == 32) {
		__m128i x = _mm_or_si128(_mm_xor_si128(hp_load16(a), hp_load16(b)),
					 _mm_xor_si128(hp_load16(a + 16), hp_load16(b + 16)));

		return _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_setzero_si128())) == 0xffff;
	}
#endif
	return CRYPTO_memcmp(a, b, n) == 0;
}

int
hp_vmatch(const struct hp_verifier *v, uint8_t *first, enum hp_verify_alg alg, bool sha1_legacy,
	  const struct hp_vspan *pieces, size_t n_pieces, const uint8_t (*sigs)[VMAC_MAX],
	  size_t n_sigs, size_t siglen, struct hp_vbody_pass *pass)
{
	uint8_t mac[VMAC_MAX];

	for (unsigned int k = 0; k < v->n_secrets; k++) {
		unsigned int i = hp_vsecret_at(v, first, k);
		const struct vsecret *s = &v->sec[i];
		int hit = 0;

		if (s->kind != VSEC_HMAC)
			continue;
		hp_vmac_pieces(sha1_legacy ? &s->hm_sha1 : &s->hm, alg, pieces, n_pieces, mac,
			       pass);
		/* every received signature is compared in full; no early exit inside one */
		for (size_t j = 0; j < n_sigs; j++)
			hit |= mac_eq(mac, sigs[j], siglen);
		if (hit) {
			if (first != NULL && *first != i)
				*first = (uint8_t)i;
			return (int)i;
		}
	}
	return -1;
}

/* ---- decoders ---- */

/* Value of each byte with 0x80 set; 0 for a byte outside the alphabet. The tables are indexed
 * by the received signature's bytes, which the sender knows anyway; the secret side (the
 * computed MAC) only ever meets mac_eq's constant-time compare. A bad byte clears a bit of an
 * accumulator: the loops never leave early. */
static const uint8_t hex_tab[256] = {
	['0'] = 0x80 | 0,  ['1'] = 0x80 | 1,  ['2'] = 0x80 | 2,  ['3'] = 0x80 | 3,
	['4'] = 0x80 | 4,  ['5'] = 0x80 | 5,  ['6'] = 0x80 | 6,  ['7'] = 0x80 | 7,
	['8'] = 0x80 | 8,  ['9'] = 0x80 | 9,  ['a'] = 0x80 | 10, ['b'] = 0x80 | 11,
	['c'] = 0x80 | 12, ['d'] = 0x80 | 13, ['e'] = 0x80 | 14, ['f'] = 0x80 | 15,
	['A'] = 0x80 | 10, ['B'] = 0x80 | 11, ['C'] = 0x80 | 12, ['D'] = 0x80 | 13,
	['E'] = 0x80 | 14, ['F'] = 0x80 | 15,
};

static const uint8_t b64_tab[256] = {
	['A'] = 0x80 | 0,  ['B'] = 0x80 | 1,  ['C'] = 0x80 | 2,  ['D'] = 0x80 | 3,
	['E'] = 0x80 | 4,  ['F'] = 0x80 | 5,  ['G'] = 0x80 | 6,  ['H'] = 0x80 | 7,
	['I'] = 0x80 | 8,  ['J'] = 0x80 | 9,  ['K'] = 0x80 | 10, ['L'] = 0x80 | 11,
	['M'] = 0x80 | 12, ['N'] = 0x80 | 13, ['O'] = 0x80 | 14, ['P'] = 0x80 | 15,
	['Q'] = 0x80 | 16, ['R'] = 0x80 | 17, ['S'] = 0x80 | 18, ['T'] = 0x80 | 19,
	['U'] = 0x80 | 20, ['V'] = 0x80 | 21, ['W'] = 0x80 | 22, ['X'] = 0x80 | 23,
	['Y'] = 0x80 | 24, ['Z'] = 0x80 | 25, ['a'] = 0x80 | 26, ['b'] = 0x80 | 27,
	['c'] = 0x80 | 28, ['d'] = 0x80 | 29, ['e'] = 0x80 | 30, ['f'] = 0x80 | 31,
	['g'] = 0x80 | 32, ['h'] = 0x80 | 33, ['i'] = 0x80 | 34, ['j'] = 0x80 | 35,
	['k'] = 0x80 | 36, ['l'] = 0x80 | 37, ['m'] = 0x80 | 38, ['n'] = 0x80 | 39,
	['o'] = 0x80 | 40, ['p'] = 0x80 | 41, ['q'] = 0x80 | 42, ['r'] = 0x80 | 43,
	['s'] = 0x80 | 44, ['t'] = 0x80 | 45, ['u'] = 0x80 | 46, ['v'] = 0x80 | 47,
	['w'] = 0x80 | 48, ['x'] = 0x80 | 49, ['y'] = 0x80 | 50, ['z'] = 0x80 | 51,
	['0'] = 0x80 | 52, ['1'] = 0x80 | 53, ['2'] = 0x80 | 54, ['3'] = 0x80 | 55,
	['4'] = 0x80 | 56, ['5'] = 0x80 | 57, ['6'] = 0x80 | 58, ['7'] = 0x80 | 59,
	['8'] = 0x80 | 60, ['9'] = 0x80 | 61, ['+'] = 0x80 | 62, ['/'] = 0x80 | 63,
};

int
hp_vhex_decode(const uint8_t *s, size_t n, uint8_t *out, size_t cap)
{
	uint32_t ok = 0x80;
	size_t i = 0;

	if ((n & 1) != 0 || n / 2 > cap)
		return -1;
#ifdef HP_SIMD_SSE2
	/* 32 characters a step (a SHA-256 signature is two): each byte's value from its class,
	 * the pairs joined as 16-bit lanes; a byte outside [0-9a-fA-F] clears ok */
	for (; 2 * i + 32 <= n; i += 16) {
		__m128i v[2], r[2];

		for (int k = 0; k < 2; k++) {
			__m128i c = hp_load16(s + 2 * i + 16 * k);
			__m128i d = _mm_sub_epi8(c, _mm_set1_epi8('0'));
			__m128i l = _mm_sub_epi8(_mm_or_si128(c, _mm_set1_epi8(0x20)),
						 _mm_set1_epi8('a'));
			__m128i is_d = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
			__m128i is_l = _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(5)), l);

			ok &= (uint32_t)(_mm_movemask_epi8(_mm_or_si128(is_d, is_l)) == 0xffff)
			      << 7;
			v[k] = _mm_or_si128(
				_mm_and_si128(is_d, d),
				_mm_and_si128(is_l, _mm_add_epi8(l, _mm_set1_epi8(10))));
			/* even byte (high nibble) << 4 | odd byte, per 16-bit lane */
			r[k] = _mm_or_si128(
				_mm_slli_epi16(_mm_and_si128(v[k], _mm_set1_epi16(0xff)), 4),
				_mm_srli_epi16(v[k], 8));
		}
		_mm_storeu_si128((__m128i *)(void *)(out + i), _mm_packus_epi16(r[0], r[1]));
	}
#endif
	for (; i < n / 2; i++) {
		uint32_t hi = hex_tab[s[2 * i]], lo = hex_tab[s[2 * i + 1]];

		ok &= hi & lo;
		out[i] = (uint8_t)(((hi & 0xf) << 4) | (lo & 0xf));
	}
	return ok ? (int)(n / 2) : -1;
}

int
hp_vb64_decode(const uint8_t *s, size_t n, uint8_t *out, size_t cap, bool need_pad)
{
	uint32_t ok = 0x80, acc = 0;
	size_t pad = 0, full, o = 0, bits = 0, olen;

	if (n >= 1 && s[n - 1] == '=')
		pad++;
	if (n >= 2 && s[n - 2] == '=')
		pad++;
	if (pad > 0 && (n % 4) != 0)
		return -1;
	if (need_pad && (n % 4) != 0)
		return -1;
	full = n - pad;
	if (full % 4 == 1)
		return -1;
	olen = full / 4 * 3 + (full % 4 == 0 ? 0 : full % 4 - 1);
	if (olen > cap)
		return -1;
	for (size_t i = 0; i < full; i++) {
		uint32_t c = b64_tab[s[i]];

		ok &= c;
		acc = (acc << 6) | (c & 0x3f);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return ok ? (int)o : -1;
}

/* ---- timestamps ---- */

bool
hp_vparse_unix(struct hp_vspan s, int64_t *out)
{
	int64_t t = 0;

	/* 18 digits cannot overflow int64 */
	if (s.len == 0 || s.len > 18)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		t = t * 10 + (s.p[i] - '0');
	}
	*out = t;
	return true;
}

static bool
digits(const uint8_t *p, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

bool
hp_vparse_rfc3339(struct hp_vspan s, int64_t *out)
{
	static const uint8_t mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const uint8_t *p = s.p;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	size_t i;

	if (s.len < 20 || s.len > 64)
		return false;
	if (p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't') || p[13] != ':' ||
	    p[16] != ':')
		return false;
	if (!digits(p, 4, &y) || !digits(p + 5, 2, &mo) || !digits(p + 8, 2, &d) ||
	    !digits(p + 11, 2, &h) || !digits(p + 14, 2, &mi) || !digits(p + 17, 2, &sec))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
		return false;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	i = 19;
	if (p[i] == '.') {
		size_t f = ++i;

		while (i < s.len && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == f)
			return false;
	}
	if (i >= s.len)
		return false;
	if (p[i] == 'Z' || p[i] == 'z') {
		i++;
	} else if (p[i] == '+' || p[i] == '-') {
		sign = p[i] == '-' ? -1 : 1;
		if (s.len - i != 6 || p[i + 3] != ':' || !digits(p + i + 1, 2, &oh) ||
		    !digits(p + i + 4, 2, &om) || oh > 23 || om > 59)
			return false;
		i += 6;
	} else {
		return false;
	}
	if (i != s.len)
		return false;
	/* sec == 60 (a leap second) counts as the next minute's first second */
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	       (int64_t)sign * (oh * 3600 + om * 60);
	return true;
}

enum hp_verify_result
hp_vwindow(const struct hp_verifier *v, int64_t ts, int64_t now)
{
	int64_t d;

	if (v->tolerance_s == 0)
		return HP_VR_OK;
	/* ts < 10^18; a wild clock saturates instead of wrapping */
	if (__builtin_sub_overflow(now, ts, &d))
		d = now < 0 ? INT64_MIN : INT64_MAX;
	if (d > (int64_t)v->tolerance_s)
		return HP_VR_STALE_TIMESTAMP;
	if (d < -(int64_t)v->tolerance_s)
		return HP_VR_FUTURE_TIMESTAMP;
	return HP_VR_OK;
}

/* ---- headers ---- */

static inline uint8_t
lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
}

/* Exact ASCII case-insensitive equality; the common case (same bytes) costs one compare per
 * byte, letters differing in case a second one. */
static inline bool
eq_ci(const uint8_t *a, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t x = a[i], y = (uint8_t)s[i];

		if (x != y && (lower(x) != lower(y)))
			return false;
	}
	return true;
}

bool
hp_vspan_eq_ci(struct hp_vspan a, const char *s, size_t n)
{
	return a.len == n && eq_ci(a.p, s, n);
}

void
hp_vfind(const struct hp_verify_req *req, struct vfind *f, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		f[j].val.p = NULL;
		f[j].val.len = 0;
		f[j].count = 0;
	}
	if (req->headers == NULL)
		return;
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct hp_vheader *h = &req->headers[i];

		for (size_t j = 0; j < n; j++) {
			if (f[j].len == 0 || h->name.len != f[j].len ||
			    !eq_ci(h->name.p, f[j].name, f[j].len))
				continue;
			if (f[j].count++ == 0)
				f[j].val = h->value;
		}
	}
}

/* ---- create / free ---- */

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Writes the message (field first: "secrets[1]: ...") and returns -EINVAL. */
static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A bounded char[] field of the generic spec: NUL-terminated inside its array. */
static bool
field_ok(const char *f, size_t cap, size_t *len)
{
	*len = strnlen(f, cap);
	return *len < cap;
}

static int
parse_template(struct hp_verifier *v, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		enum vseg_kind kind;
	} ph[] = {
		{"{body}", VSEG_BODY}, {"{timestamp}", VSEG_TIMESTAMP},
		{"{id}", VSEG_ID},     {"{method}", VSEG_METHOD},
		{"{url}", VSEG_URL},   {"{path}", VSEG_PATH},
	};
	const char *t = v->g.template_;
	size_t n, i = 0, lit = 0;

	if (!field_ok(t, sizeof(v->g.template_), &n))
		return fail(err, errlen, "hmac.template: longer than %d bytes",
			    HP_VERIFY_TEMPLATE_MAX - 1);
	if (n == 0) {
		strcpy(v->g.template_, "{body}");
		n = 6;
	}
	v->n_seg = 0;
	while (i <= n) {
		size_t k, m = 0;

		if (i < n && t[i] != '{') {
			i++;
			continue;
		}
		if (i < n) {
			for (k = 0; k < sizeof(ph) / sizeof(ph[0]); k++) {
				m = strlen(ph[k].name);
				if (strncmp(t + i, ph[k].name, m) == 0)
					break;
			}
			if (k == sizeof(ph) / sizeof(ph[0])) {
				const char *e = strchr(t + i, '}');

				return fail(err, errlen,
					    "hmac.template: unknown placeholder %.*s (known: "
					    "{body} {timestamp} {id} {method} {url} {path})",
					    e ? (int)(e - (t + i) + 1) : (int)(n - i), t + i);
			}
		}
		if (i > lit) {
			if (v->n_seg == VSEG_MAX)
				goto too_many;
			v->seg[v->n_seg++] =
				(struct vseg){VSEG_LIT, (uint8_t)lit, (uint8_t)(i - lit)};
		}
		if (i == n)
			break;
		if (v->n_seg == VSEG_MAX)
			goto too_many;
		v->seg[v->n_seg++] = (struct vseg){(uint8_t)ph[k].kind, 0, 0};
		v->g_needs_ts |= ph[k].kind == VSEG_TIMESTAMP;
		v->g_needs_id |= ph[k].kind == VSEG_ID;
		v->g_needs_url |= ph[k].kind == VSEG_URL;
		i += m;
		lit = i;
	}
	return 0;
too_many:
	return fail(err, errlen, "hmac.template: more than %d pieces", VSEG_MAX);
}

/* url_base "scheme://host[:port][/]": the two spellings twilio's libraries try (docs). */
static int
parse_url_base(struct hp_verifier *v, const char *u, bool both, char *err, size_t errlen)
{
	const char *scheme, *host, *end, *colon = NULL;
	size_t hl;
	const char *dport;

	if (starts(u, "https://")) {
		scheme = "https://";
		dport = "443";
	} else if (starts(u, "http://")) {
		scheme = "http://";
		dport = "80";
	} else {
		return fail(err, errlen, "url_base: must start with http:// or https://");
	}
	host = u + strlen(scheme);
	end = host + strlen(host);
	if (end > host && end[-1] == '/')
		end--;
	if (end == host)
		return fail(err, errlen, "url_base: no host");
	for (const char *p = host; p < end; p++) {
		if (*p == '/' || *p == '?' || *p == '#' || *p == '@' || *p <= ' ')
			return fail(err, errlen,
				    "url_base: only scheme://host[:port] (the request-target is "
				    "appended as received)");
		if (*p == ':')
			colon = p;
		if (*p == ']')
			colon = NULL; /* IPv6 literal: a port only after ']' */
	}
	if (colon != NULL) {
		if (colon + 1 == end || (size_t)(end - colon - 1) > 5)
			return fail(err, errlen, "url_base: bad port");
		for (const char *p = colon + 1; p < end; p++)
			if (*p < '0' || *p > '9')
				return fail(err, errlen, "url_base: bad port");
	}
	hl = (size_t)((colon ? colon : end) - host);
	if (strlen(scheme) + hl + 7 >= VURL_MAX)
		return fail(err, errlen, "url_base: longer than %d bytes", VURL_MAX - 8);
	if (!both) { /* generic {url}: as written */
		v->base_len[0] = (uint16_t)snprintf(v->base[0], VURL_MAX, "%s%.*s", scheme,
						    (int)(end - host), host);
		v->n_base = 1;
		return 0;
	}
	v->base_len[0] = (uint16_t)snprintf(v->base[0], VURL_MAX, "%s%.*s", scheme, (int)hl, host);
	v->base_len[1] = (uint16_t)snprintf(
		v->base[1], VURL_MAX, "%s%.*s:%.*s", scheme, (int)hl, host,
		colon ? (int)(end - colon - 1) : (int)strlen(dport), colon ? colon + 1 : dport);
	v->n_base = 2;
	return 0;
}

static int
add_secret(struct hp_verifier *v, unsigned int i, const char *sec, char *err, size_t errlen)
{
	struct vsecret *s = &v->sec[i];
	size_t n = strlen(sec);
	uint8_t *key = NULL;
	const uint8_t *kp = (const uint8_t *)sec;
	size_t kl = n, key_cap = 0;
	int rc = 0, dl;

	if (n == 0)
		return fail(err, errlen, "secrets[%u]: empty", i);
	s->kind = VSEC_HMAC;
	switch (v->prov) {
	case HP_PROV_STANDARD:
	case HP_PROV_SVIX:
		if (starts(sec, "whsk_"))
			return fail(err, errlen,
				    "secrets[%u]: whsk_ is a signing (private) key: configure the "
				    "whpk_ public key",
				    i);
		if (starts(sec, "whpk_")) {
			uint8_t pk[64];

			dl = hp_vb64_decode((const uint8_t *)sec + 5, n - 5, pk, sizeof(pk), false);
			if (dl != 32)
				return fail(
					err, errlen,
					"secrets[%u]: not a base64 Ed25519 public key (32 bytes) "
					"after whpk_",
					i);
			s->pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, 32);
			if (s->pk == NULL)
				return fail(err, errlen,
					    "secrets[%u]: Ed25519 key refused by OpenSSL", i);
			s->kind = VSEC_ED25519;
			v->has_ed25519 = true;
			return 0;
		}
		if (starts(sec, "whsec_")) {
			kp += 6;
			kl -= 6;
		}
		key_cap = kl + 1;
		key = malloc(key_cap);
		if (key == NULL)
			return fail(err, errlen, "secrets[%u]: out of memory", i);
		dl = hp_vb64_decode(kp, kl, key, key_cap, false);
		if (dl <= 0) {
			rc = fail(err, errlen, "secrets[%u]: not valid base64 after whsec_", i);
			goto out;
		}
		kp = key;
		kl = (size_t)dl;
		break;
	case HP_PROV_GITLAB: {
		SHA256_CTX h;

		SHA256_Init(&h);
		SHA256_Update(&h, sec, n);
		SHA256_Final(s->tok, &h);
		s->kind = VSEC_TOKEN;
		return 0;
	}
	case HP_PROV_HMAC:
		if (strcmp(v->g.secret_encoding, "base64") == 0 ||
		    strcmp(v->g.secret_encoding, "hex") == 0) {
			bool hex = v->g.secret_encoding[0] == 'h';

			key_cap = n + 1;
			key = malloc(key_cap);
			if (key == NULL)
				return fail(err, errlen, "secrets[%u]: out of memory", i);
			dl = hex ? hp_vhex_decode(kp, n, key, key_cap)
				 : hp_vb64_decode(kp, n, key, key_cap, false);
			if (dl <= 0) {
				rc = fail(err, errlen,
					  "secrets[%u]: not valid %s "
					  "(hmac.secret_encoding)",
					  i, hex ? "hex" : "base64");
				goto out;
			}
			kp = key;
			kl = (size_t)dl;
		}
		break;
	default: /* the secret string's bytes are the key (stripe: whsec_ included) */
		break;
	}
	vhmac_init(&s->hm, (enum hp_verify_alg)v->alg, kp, kl);
	if (v->prov == HP_PROV_GITHUB && v->allow_sha1)
		vhmac_init(&s->hm_sha1, HP_VALG_SHA1, kp, kl);
	v->has_hmac = true;
out:
	if (key != NULL) {
		OPENSSL_cleanse(key, key_cap);
		free(key);
	}
	return rc;
}

static int
check_generic(struct hp_verifier *v, char *err, size_t errlen)
{
	struct hp_verify_generic *g = &v->g;
	size_t n;

	if (!field_ok(g->header, sizeof(g->header), &v->g_header_len) || v->g_header_len == 0)
		return fail(err, errlen,
			    "hmac.header: required (the signature header), at "
			    "most %d bytes",
			    HP_VERIFY_NAME_MAX - 1);
	if (!field_ok(g->prefix, sizeof(g->prefix), &v->g_prefix_len))
		return fail(err, errlen, "hmac.prefix: longer than %d bytes",
			    HP_VERIFY_NAME_MAX - 1);
	if (!field_ok(g->timestamp_header, sizeof(g->timestamp_header), &v->g_ts_len))
		return fail(err, errlen, "hmac.timestamp_header: longer than %d bytes",
			    HP_VERIFY_NAME_MAX - 1);
	if (!field_ok(g->id_header, sizeof(g->id_header), &v->g_id_len))
		return fail(err, errlen, "hmac.id_header: longer than %d bytes",
			    HP_VERIFY_NAME_MAX - 1);
	if ((unsigned int)g->alg > HP_VALG_SHA512)
		return fail(err, errlen, "hmac.algorithm: must be sha1, sha256 or sha512");
	if ((unsigned int)g->enc > HP_VENC_BASE64)
		return fail(err, errlen, "hmac.encoding: must be hex or base64");
	if (!field_ok(g->secret_encoding, sizeof(g->secret_encoding), &n) ||
	    (n != 0 && strcmp(g->secret_encoding, "raw") != 0 &&
	     strcmp(g->secret_encoding, "base64") != 0 && strcmp(g->secret_encoding, "hex") != 0))
		return fail(err, errlen, "hmac.secret_encoding: must be raw, base64 or hex");
	if (parse_template(v, err, errlen) != 0)
		return -EINVAL;
	if (v->g_needs_ts && v->g_ts_len == 0)
		return fail(err, errlen,
			    "hmac.template: {timestamp} needs "
			    "hmac.timestamp_header");
	if (v->g_needs_id && v->g_id_len == 0)
		return fail(err, errlen, "hmac.template: {id} needs hmac.id_header");
	v->alg = (uint8_t)g->alg;
	v->enc = (uint8_t)g->enc;
	return 0;
}

void
hp_verifier_free(struct hp_verifier *v)
{
	if (v == NULL)
		return;
	for (unsigned int i = 0; i < HP_VERIFY_MAX_SECRETS; i++)
		EVP_PKEY_free(v->sec[i].pk);
	OPENSSL_cleanse(v, sizeof(*v));
	free(v);
}

int
hp_verifier_create(const struct hp_verify_spec *spec, struct hp_verifier **out, char *err,
		   size_t errlen)
{
	struct hp_verifier *v;
	int rc = -EINVAL;

	if (out != NULL)
		*out = NULL;
	if (spec == NULL || out == NULL)
		return fail(err, errlen, "verifier: no spec");
	if ((unsigned int)spec->provider >= HP_PROV__COUNT)
		return fail(err, errlen, "provider: unknown (%d)", (int)spec->provider);
	if (spec->provider != HP_PROV_NONE &&
	    (spec->n_secrets == 0 || spec->n_secrets > HP_VERIFY_MAX_SECRETS))
		return fail(err, errlen, "secrets: %s needs 1 to %d secrets, %u given",
			    hp_provider_name(spec->provider), HP_VERIFY_MAX_SECRETS,
			    spec->n_secrets);
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return fail(err, errlen, "verifier: out of memory");
	v->prov = (uint8_t)spec->provider;
	v->tolerance_s = spec->tolerance_s;
	v->allow_sha1 = spec->allow_sha1;
	switch (spec->provider) {
	case HP_PROV_TWILIO:
		v->alg = HP_VALG_SHA1;
		break;
	case HP_PROV_HMAC:
		v->g = spec->generic;
		if (check_generic(v, err, errlen) != 0)
			goto out;
		break;
	default:
		v->alg = HP_VALG_SHA256;
		break;
	}
	if (spec->url_base != NULL && spec->url_base[0] != '\0' &&
	    (spec->provider == HP_PROV_TWILIO || spec->provider == HP_PROV_HMAC)) {
		if (parse_url_base(v, spec->url_base, spec->provider == HP_PROV_TWILIO, err,
				   errlen) != 0)
			goto out;
	}
	if (spec->provider != HP_PROV_NONE) {
		for (unsigned int i = 0; i < spec->n_secrets; i++) {
			if (spec->secrets[i] == NULL) {
				fail(err, errlen, "secrets[%u]: missing", i);
				goto out;
			}
			if (add_secret(v, i, spec->secrets[i], err, errlen) != 0)
				goto out;
			v->n_secrets = i + 1;
		}
	}
	if (spec->provider == HP_PROV_HMAC && v->g_id_len > 0)
		snprintf(v->dedup, sizeof(v->dedup), "header:%s", v->g.id_header);
	else
		snprintf(v->dedup, sizeof(v->dedup), "%s",
			 hp_provider_default_dedup(spec->provider));
	*out = v;
	v = NULL;
	rc = 0;
out:
	hp_verifier_free(v);
	return rc;
}

/* ---- contexts ---- */

struct hp_verify_ctx *
hp_verify_ctx_create(const struct hp_verifier *v)
{
	struct hp_verify_ctx *c;

	if (v == NULL) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->v = v;
	if (v->has_ed25519) {
		c->md = EVP_MD_CTX_new();
		if (c->md == NULL) {
			free(c);
			errno = ENOMEM;
			return NULL;
		}
	}
	return c;
}

void
hp_verify_ctx_free(struct hp_verify_ctx *c)
{
	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->md);
	free(c->buf);
	free(c);
}

/* ---- the fast path ---- */

enum hp_verify_result
hp_verify(const struct hp_verifier *v, struct hp_verify_ctx *c, const struct hp_verify_req *req,
	  struct hp_verify_out *out)
{
	enum hp_verify_result r;

	out->secret_index = -1;
	out->timestamp = 0;
	out->webhook_id.p = NULL;
	out->webhook_id.len = 0;
	if (v->prov == HP_PROV_NONE) {
		r = HP_VR_OK;
	} else {
		r = hp_vprov_verify(v, c, req, out);
		if (r != HP_VR_OK && r != HP_VR_STALE_TIMESTAMP && r != HP_VR_FUTURE_TIMESTAMP)
			out->secret_index = -1;
	}
	out->result = r;
	return r;
}
