/* SPDX-License-Identifier: BSD-3-Clause
 * lib/verify signer: the inverse of verify_providers.c, for synthetic requests (the workers'
 * warm-up requests, dataplane/dp_warmup.c). For each scheme it writes the header lines its
 * verifier reads, with the values and the signed content that verifier checks, MACed with the
 * verifier's first HMAC secret.
 *
 * - Only the precomputed key state (sec[i].hm) is used: the plaintext secrets are not kept.
 *   The running hash state copied from it is cleansed after each MAC.
 * - Every write is bounded by the caller's capacity (one byte kept for the NUL); an overflow
 *   makes the whole call fail (-1) without writing past it.
 * - Values the request does not take from the verifier (the id) are refused when they would
 *   not survive a header line as sent: control characters (CR, LF ...), leading or trailing
 *   spaces (hp_verify sees values trimmed).
 * Not on the fast path: it may call OpenSSL's encoders and libc's gmtime_r.
 */
#include "verify_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define LIT(s) ((struct hp_vspan){(const uint8_t *)(s), sizeof(s) - 1})

#define TS_MAX 999999999999999999LL /* hp_vparse_unix: at most 18 digits */

/* ---- bounded output ---- */

struct wbuf {
	char *p;
	size_t cap; /* > 0; one byte always left for the NUL */
	size_t len;
	bool over;
};

static void
put(struct wbuf *w, const void *s, size_t n)
{
	if (w->over || n >= w->cap - w->len) {
		w->over = true;
		return;
	}
	if (n > 0)
		memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void
put_str(struct wbuf *w, const char *s)
{
	put(w, s, strlen(s));
}

static void
put_hex(struct wbuf *w, const uint8_t *m, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char b[2 * VMAC_MAX];

	for (size_t i = 0; i < n; i++) {
		b[2 * i] = digits[m[i] >> 4];
		b[2 * i + 1] = digits[m[i] & 0xf];
	}
	put(w, b, 2 * n);
}

static void
put_b64(struct wbuf *w, const uint8_t *m, size_t n)
{
	unsigned char b[4 * ((VMAC_MAX + 2) / 3) + 1];
	int l = EVP_EncodeBlock(b, m, (int)n);

	if (l < 0) {
		w->over = true;
		return;
	}
	put(w, b, (size_t)l);
}

static void
put_enc(struct wbuf *w, const uint8_t *m, size_t n, enum hp_verify_enc enc)
{
	if (enc == HP_VENC_BASE64)
		put_b64(w, m, n);
	else
		put_hex(w, m, n);
}

/* "Name: value\r\n" with a plain string value */
static void
put_hdr(struct wbuf *w, const char *name, const char *value)
{
	put_str(w, name);
	put(w, ": ", 2);
	put_str(w, value);
	put(w, "\r\n", 2);
}

/* "Name: " then the caller's value pieces, then put_end() */
static void
put_name(struct wbuf *w, const char *name)
{
	put_str(w, name);
	put(w, ": ", 2);
}

static void
put_end(struct wbuf *w)
{
	put(w, "\r\n", 2);
}

/* ---- inputs ---- */

static inline struct hp_vspan
cspan(const char *s)
{
	return (struct hp_vspan){(const uint8_t *)s, strlen(s)};
}

static inline struct hp_vspan
body_span(const struct hp_verify_req *req)
{
	return (struct hp_vspan){req->body, req->body_len};
}

/* An id that arrives as sent in a header line: non-empty, no control character, no leading or
 * trailing space. */
static bool
id_ok(const char *id)
{
	size_t n;

	if (id == NULL || id[0] == '\0')
		return false;
	n = strlen(id);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];

		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return id[0] != ' ' && id[n - 1] != ' ';
}

/* An optional id (the scheme reports it, does not sign it): absent is fine, present must be
 * valid. */
static bool
id_opt_ok(const char *id)
{
	return id == NULL || id[0] == '\0' || id_ok(id);
}

static inline bool
id_given(const char *id)
{
	return id != NULL && id[0] != '\0';
}

static int
first_hmac(const struct hp_verifier *v)
{
	for (unsigned int i = 0; i < v->n_secrets; i++)
		if (v->sec[i].kind == VSEC_HMAC)
			return (int)i;
	return -1;
}

/* The MAC of the concatenated pieces with key state k (its length). The running state is on
 * hp_vmac_pieces' stack, gone with its frame; out is the caller's to cleanse. */
static size_t
mac_pieces(const struct vhmac *k, enum hp_verify_alg alg, const struct hp_vspan *pieces, size_t n,
	   uint8_t *out)
{
	hp_vmac_pieces(k, alg, pieces, n, out, NULL);
	return hp_vmac_len(alg);
}

/* Twitch: "YYYY-MM-DDTHH:MM:SS.000000000Z" (RFC 3339 with nanoseconds, as Twitch sends). */
static bool
rfc3339(int64_t ts, char *out, size_t cap)
{
	time_t t = (time_t)ts;
	struct tm tm;

	if ((int64_t)t != ts || gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999)
		return false;
	return snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.000000000Z", tm.tm_year + 1900,
			tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec) < (int)cap;
}

/* ---- the schemes (the same pieces as verify_providers.c's v_*) ---- */

static int
s_generic(const struct hp_verifier *v, const struct vhmac *k, const struct hp_verify_req *req,
	  const char *tsb, const char *id, struct wbuf *w)
{
	struct hp_vspan pieces[VSEG_MAX * 3];
	enum hp_verify_alg alg = (enum hp_verify_alg)v->alg;
	uint8_t m[VMAC_MAX];
	size_t n, ml;

	if (v->g_needs_id ? !id_ok(id) : !id_opt_ok(id))
		return -1;
	if (v->g_needs_url && v->n_base == 0 && req->host.len == 0)
		return -1; /* hp_verify: unsupported (the URL is unknown) */
	n = hp_vgeneric_pieces(v, req, cspan(tsb),
			       id != NULL ? cspan(id) : (struct hp_vspan){NULL, 0}, pieces);
	ml = mac_pieces(k, alg, pieces, n, m);
	put_name(w, v->g.header);
	put_str(w, v->g.prefix);
	put_enc(w, m, ml, (enum hp_verify_enc)v->enc);
	put_end(w);
	OPENSSL_cleanse(m, sizeof(m));
	if (v->g_ts_len > 0)
		put_hdr(w, v->g.timestamp_header, tsb);
	if (v->g_id_len > 0 && id_given(id))
		put_hdr(w, v->g.id_header, id);
	return 0;
}

static int
sign(const struct hp_verifier *v, const struct hp_verify_req *req, int64_t ts, const char *id,
     struct wbuf *w)
{
	const struct vhmac *k;
	uint8_t m[VMAC_MAX];
	char tsb[24], rfc[64];
	int si;

	if (ts < 0 || ts > TS_MAX)
		return -1;
	snprintf(tsb, sizeof(tsb), "%" PRId64, ts);
	switch ((enum hp_provider)v->prov) {
	case HP_PROV_GITLAB: /* only a digest of the token is kept */
	case HP_PROV_TWILIO: /* not needed for warm-up (form bodies, URL variants) */
		return -1;
	default:
		break;
	}
	si = first_hmac(v);
	if (si < 0)
		return -1;
	k = &v->sec[si].hm;

	switch ((enum hp_provider)v->prov) {
	case HP_PROV_STRIPE: {
		const struct hp_vspan p[] = {cspan(tsb), LIT("."), body_span(req)};

		mac_pieces(k, HP_VALG_SHA256, p, 3, m);
		put_name(w, "Stripe-Signature");
		put(w, "t=", 2);
		put_str(w, tsb);
		put(w, ",v1=", 4);
		put_hex(w, m, 32);
		put_end(w);
		break;
	}
	case HP_PROV_GITHUB: {
		const struct hp_vspan p[] = {body_span(req)};

		if (!id_opt_ok(id))
			return -1;
		mac_pieces(k, HP_VALG_SHA256, p, 1, m);
		put_name(w, "X-Hub-Signature-256");
		put(w, "sha256=", 7);
		put_hex(w, m, 32);
		put_end(w);
		if (id_given(id))
			put_hdr(w, "X-GitHub-Delivery", id);
		break;
	}
	case HP_PROV_SLACK:
	case HP_PROV_ZOOM: {
		const bool slack = v->prov == HP_PROV_SLACK;
		const struct hp_vspan p[] = {LIT("v0:"), cspan(tsb), LIT(":"), body_span(req)};

		mac_pieces(k, HP_VALG_SHA256, p, 4, m);
		put_name(w, slack ? "X-Slack-Signature" : "x-zm-signature");
		put(w, "v0=", 3);
		put_hex(w, m, 32);
		put_end(w);
		put_hdr(w, slack ? "X-Slack-Request-Timestamp" : "x-zm-request-timestamp", tsb);
		break;
	}
	case HP_PROV_STANDARD:
	case HP_PROV_SVIX: {
		const bool svix = v->prov == HP_PROV_SVIX;

		if (!id_ok(id))
			return -1;
		const struct hp_vspan p[] = {cspan(id), LIT("."), cspan(tsb), LIT("."),
					     body_span(req)};

		mac_pieces(k, HP_VALG_SHA256, p, 5, m);
		put_hdr(w, svix ? "svix-id" : "webhook-id", id);
		put_hdr(w, svix ? "svix-timestamp" : "webhook-timestamp", tsb);
		put_name(w, svix ? "svix-signature" : "webhook-signature");
		put(w, "v1,", 3);
		put_b64(w, m, 32);
		put_end(w);
		break;
	}
	case HP_PROV_SHOPIFY: {
		const struct hp_vspan p[] = {body_span(req)};

		if (!id_opt_ok(id))
			return -1;
		mac_pieces(k, HP_VALG_SHA256, p, 1, m);
		put_name(w, "X-Shopify-Hmac-Sha256");
		put_b64(w, m, 32);
		put_end(w);
		if (id_given(id))
			put_hdr(w, "X-Shopify-Webhook-Id", id);
		break;
	}
	case HP_PROV_TWITCH: {
		if (!id_ok(id) || !rfc3339(ts, rfc, sizeof(rfc)))
			return -1;
		const struct hp_vspan p[] = {cspan(id), cspan(rfc), body_span(req)};

		mac_pieces(k, HP_VALG_SHA256, p, 3, m);
		put_hdr(w, "Twitch-Eventsub-Message-Id", id);
		put_hdr(w, "Twitch-Eventsub-Message-Timestamp", rfc);
		put_name(w, "Twitch-Eventsub-Message-Signature");
		put(w, "sha256=", 7);
		put_hex(w, m, 32);
		put_end(w);
		break;
	}
	case HP_PROV_PADDLE: {
		const struct hp_vspan p[] = {cspan(tsb), LIT(":"), body_span(req)};

		mac_pieces(k, HP_VALG_SHA256, p, 3, m);
		put_name(w, "Paddle-Signature");
		put(w, "ts=", 3);
		put_str(w, tsb);
		put(w, ";h1=", 4);
		put_hex(w, m, 32);
		put_end(w);
		break;
	}
	case HP_PROV_HMAC:
		return s_generic(v, k, req, tsb, id, w);
	default:
		return -1;
	}
	OPENSSL_cleanse(m, sizeof(m));
	return 0;
}

int
hp_verify_sign(const struct hp_verifier *v, const struct hp_verify_req *req, int64_t ts,
	       const char *id, char *out, size_t cap)
{
	struct wbuf w = {out, cap, 0, false};

	if (v == NULL || req == NULL || out == NULL || cap == 0)
		return -1;
	out[0] = '\0';
	if (v->prov == HP_PROV_NONE)
		return 0;
	if (sign(v, req, ts, id, &w) != 0 || w.over || w.len > INT32_MAX) {
		out[0] = '\0';
		return -1;
	}
	out[w.len] = '\0';
	return (int)w.len;
}
