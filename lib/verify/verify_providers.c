/* SPDX-License-Identifier: BSD-3-Clause
 * lib/verify schemes: each provider's headers, signed content and checks, as the provider
 * documents them and its official library does them (docs/VERIFY.md cites both, and gives the
 * order of the checks per provider).
 *
 * Shared rules (docs/VERIFY.md "Hostile input"):
 * - A header a scheme reads that appears more than once is refused (a signature or signed id:
 *   malformed_signature, a timestamp: malformed_timestamp): the appliance must not verify one
 *   value while the server behind it reads another. An unsigned id header (webhook_id only)
 *   that repeats is just not reported.
 * - A present but empty signature header counts as missing.
 * - Received signatures are decoded completely (no early exit on their bytes) into fixed
 *   buffers, then compared in constant time over the full MAC length (hp_vmatch). An entry
 *   of a known scheme that does not decode to the exact MAC length makes the header malformed.
 * - At most HP_VERIFY_MAX_SIGS signatures per header; more: malformed_signature.
 * - Every scan is bounded by the span lengths; nothing here allocates (except Ed25519, whose
 *   one-shot message is assembled in the context's buffer, grown when a longer one comes).
 */
#include "verify_priv.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define H(s)                                                                                       \
	{                                                                                          \
		(s), sizeof(s) - 1, {NULL, 0}, 0                                                   \
	}
#define LIT(s) ((struct hp_vspan){(const uint8_t *)(s), sizeof(s) - 1})

/* items of a structured signature header (stripe's ',' list, paddle's ';' list): all of them,
 * signatures, timestamp and unknown ones together */
#define MAX_ITEMS (2 * HP_VERIFY_MAX_SIGS + 2)

/* Twilio form parameters sorted per request (on the stack). */
#define TW_MAX_PARAMS 256

struct sigset {
	size_t n;
	uint8_t b[HP_VERIFY_MAX_SIGS][VMAC_MAX];
};

static inline struct hp_vspan
span(const uint8_t *p, size_t n)
{
	return (struct hp_vspan){p, n};
}

static inline struct hp_vspan
body_span(const struct hp_verify_req *req)
{
	return span(req->body, req->body_len);
}

static bool
span_eq(struct hp_vspan a, const char *s)
{
	size_t n = strlen(s);

	return a.len == n && memcmp(a.p, s, n) == 0;
}

static bool
has_prefix(struct hp_vspan a, const char *s, size_t n)
{
	return a.len >= n && memcmp(a.p, s, n) == 0;
}

static const uint8_t *
find_byte(const uint8_t *p, const uint8_t *end, uint8_t c)
{
	const uint8_t *q = p < end ? memchr(p, c, (size_t)(end - p)) : NULL;

	return q != NULL ? q : end;
}

/* A header is present when it was sent once with a value (an empty value counts as absent). */
static inline bool
present(const struct vfind *f)
{
	return f->count > 1 || (f->count == 1 && f->val.len > 0);
}

static enum hp_verify_result
sig_header(const struct vfind *f)
{
	if (!present(f))
		return HP_VR_MISSING_SIGNATURE;
	return f->count > 1 ? HP_VR_MALFORMED_SIGNATURE : HP_VR_OK;
}

/* A signed id header: required. */
static enum hp_verify_result
id_header(const struct vfind *f)
{
	if (!present(f))
		return HP_VR_MISSING_ID;
	return f->count > 1 ? HP_VR_MALFORMED_SIGNATURE : HP_VR_OK;
}

static enum hp_verify_result
ts_unix(struct hp_vspan s, bool found, int64_t *ts)
{
	if (!found)
		return HP_VR_MISSING_TIMESTAMP;
	return hp_vparse_unix(s, ts) ? HP_VR_OK : HP_VR_MALFORMED_TIMESTAMP;
}

static enum hp_verify_result
ts_header(const struct vfind *f, int64_t *ts)
{
	if (!present(f))
		return HP_VR_MISSING_TIMESTAMP;
	if (f->count > 1)
		return HP_VR_MALFORMED_TIMESTAMP;
	return ts_unix(f->val, true, ts);
}

/* An unsigned id (webhook_id only): reported when sent exactly once. */
static void
set_id(struct hp_verify_out *out, const struct vfind *f)
{
	if (f->count == 1 && f->val.len > 0)
		out->webhook_id = f->val;
}

static void
set_body_id(struct hp_verify_out *out, const struct hp_verify_req *req, const char *field)
{
	struct hp_vspan id;

	if (hp_json_top_member(req->body, req->body_len, field, &id) && id.len > 0)
		out->webhook_id = id;
}

/* "<prefix><hex>" with exactly siglen bytes once decoded. */
static bool
prefixed_hex(struct hp_vspan val, const char *prefix, size_t siglen, struct sigset *s)
{
	size_t pl = strlen(prefix);

	if (!has_prefix(val, prefix, pl))
		return false;
	if (hp_vhex_decode(val.p + pl, val.len - pl, s->b[0], VMAC_MAX) != (int)siglen)
		return false;
	s->n = 1;
	return true;
}

static enum hp_verify_result
match(const struct hp_verifier *v, struct hp_verify_ctx *c, const struct hp_verify_req *req,
      enum hp_verify_alg alg, bool sha1_legacy, const struct hp_vspan *pieces, size_t n,
      const struct sigset *s, struct hp_verify_out *out)
{
	int i = hp_vmatch(v, c != NULL ? &c->first_secret : NULL, alg, sha1_legacy, pieces, n,
			  (const uint8_t(*)[VMAC_MAX])s->b, s->n, hp_vmac_len(alg), req->body_pass);

	if (i < 0)
		return HP_VR_BAD_SIGNATURE;
	out->secret_index = i;
	return HP_VR_OK;
}

/* "t=<ts>,v1=<hex>,v1=<hex>" (stripe) and "ts=<ts>;h1=<hex>" (paddle): items split by sep, one
 * timestamp item, any number (<= HP_VERIFY_MAX_SIGS) of hex SHA-256 signature items, other
 * items (future schemes) skipped; at most MAX_ITEMS items. */
static enum hp_verify_result
kv_sigs(struct hp_vspan hdr, uint8_t sep, const char *ts_key, const char *sig_key,
	struct hp_vspan *t, bool *have_t, struct sigset *s)
{
	const uint8_t *p = hdr.p, *end = hdr.p + hdr.len;
	unsigned int items = 0;

	for (;;) {
		const uint8_t *ie = find_byte(p, end, sep), *eq = find_byte(p, ie, '=');
		struct hp_vspan key = span(p, (size_t)(eq - p));
		struct hp_vspan val = eq < ie ? span(eq + 1, (size_t)(ie - eq - 1)) : span(ie, 0);

		if (++items > MAX_ITEMS)
			return HP_VR_MALFORMED_SIGNATURE;
		if (span_eq(key, ts_key)) {
			if (*have_t)
				return HP_VR_MALFORMED_SIGNATURE;
			*have_t = true;
			*t = val;
		} else if (span_eq(key, sig_key)) {
			if (s->n == HP_VERIFY_MAX_SIGS ||
			    hp_vhex_decode(val.p, val.len, s->b[s->n], VMAC_MAX) != 32)
				return HP_VR_MALFORMED_SIGNATURE;
			s->n++;
		}
		if (ie == end)
			break;
		p = ie + 1;
	}
	return s->n == 0 ? HP_VR_MALFORMED_SIGNATURE : HP_VR_OK;
}

/* ---- stripe ----
 * Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...][,v0=...]; HMAC-SHA256(secret string,
 * "<t>.<body>"). Items are split at ',' then at the first '=', without trimming (as stripe-node
 * does). Order (stripe-node verifyHeader): header, timestamp present, signature, then window. */
static enum hp_verify_result
v_stripe(const struct hp_verifier *v, struct hp_verify_ctx *c, const struct hp_verify_req *req,
	 struct hp_verify_out *out)
{
	struct vfind f[] = {H("Stripe-Signature")};
	struct sigset s = {0};
	struct hp_vspan t = {NULL, 0};
	bool have_t = false;
	enum hp_verify_result r;
	int64_t ts;

	hp_vfind(req, f, 1);
	set_body_id(out, req, "id");
	if ((r = sig_header(&f[0])) != HP_VR_OK)
		return r;
	if ((r = kv_sigs(f[0].val, ',', "t", "v1", &t, &have_t, &s)) != HP_VR_OK)
		return r;
	if ((r = ts_unix(t, have_t, &ts)) != HP_VR_OK)
		return r;
	out->timestamp = ts;
	const struct hp_vspan pieces[] = {t, LIT("."), body_span(req)};

	if ((r = match(v, c, req, HP_VALG_SHA256, false, pieces, 3, &s, out)) != HP_VR_OK)
		return r;
	return hp_vwindow(v, ts, req->now);
}

/* ---- github ----
 * X-Hub-Signature-256: sha256=<hex> over the body; legacy X-Hub-Signature: sha1=<hex>, used
 * only when no sha256 header came and the spec allows it. No timestamp. */
static enum hp_verify_result
v_github(const struct hp_verifier *v, struct hp_verify_ctx *c, const struct hp_verify_req *req,
	 struct hp_verify_out *out)
{
	struct vfind f[] = {H("X-Hub-Signature-256"), H("X-Hub-Signature"), H("X-GitHub-Delivery")};
	struct sigset s = {0};
	const struct hp_vspan pieces[] = {body_span(req)};

	hp_vfind(req, f, 3);
	set_id(out, &f[2]);
	if (present(&f[0])) {
		if (f[0].count > 1 || !prefixed_hex(f[0].val, "sha256=", 32, &s))
			return HP_VR_MALFORMED_SIGNATURE;
		return match(v, c, req, HP_VALG_SHA256, false, pieces, 1, &s, out);
	}
	if (!present(&f[1]))
		return HP_VR_MISSING_SIGNATURE;
	if (!v->allow_sha1)
		return HP_VR_UNSUPPORTED;
	if (f[1].count > 1 || !prefixed_hex(f[1].val, "sha1=", 20, &s))
		return HP_VR_MALFORMED_SIGNATURE;
	return match(v, c, req, HP_VALG_SHA1, true, pieces, 1, &s, out);
}

/* ---- slack and zoom: "v0=" hex of HMAC-SHA256("v0:<ts>:<body>") ----
 * Slack (bolt-js, python-slack-sdk) checks the timestamp window before the signature; Zoom's
 * sample code has no window at all: we check its signature first (stale then means "authentic
 * but replayed"). */
static enum hp_verify_result
v_v0(const struct hp_verifier *v, struct hp_verify_ctx *c, const struct hp_verify_req *req,
     struct hp_verify_out *out, const char *sig_name, size_t sig_len, const char *ts_name,
     size_t ts_len, bool window_first)
{
	struct vfind f[] = {{sig_name, sig_len, {NULL, 0}, 0}, {ts_name, ts_len, {NULL, 0}, 0}};
	struct sigset s = {0};
	enum hp_verify_result r;
	int64_t ts;

	hp_vfind(req, f, 2);
	if ((r = sig_header(&f[0])) != HP_VR_OK)
		return r;
	if (!prefixed_hex(f[0].val, "v0=", 32, &s))
		return HP_VR_MALFORMED_SIGNATURE;
	if ((r = ts_header(&f[1], &ts)) != HP_VR_OK)
		return r;
	out->timestamp = ts;
	if (window_first && (r = hp_vwindow(v, ts, req->now)) != HP_VR_OK)
		return r;
	const struct hp_vspan pieces[] = {LIT("v0:"), f[1].val, LIT(":"), body_span(req)};

	if ((r = match(v, c, req, HP_VALG_SHA256, false, pieces, 4, &s, out)) != HP_VR_OK)
		return r;
	return window_first ? HP_VR_OK : hp_vwindow(v, ts, req->now);
}

static enum hp_verify_result
v_slack(const struct hp_verifier *v, struct hp_verify_ctx *c, const struct hp_verify_req *req,
	struct hp_verify_out *out)
{
	/* Events API bodies carry event_id (the same on Slack's retries); commands have none */
	set_body_id(out, req, "event_id");
	return v_v0(v, c, req, out, "X-Slack-Signature", 17, "X-Slack-Request-Timestamp", 25, true);
}

static enum hp_verify_result
v_zoom(const struct hp_verifier *v, struct hp_verify_ctx *c, const struct hp_verify_req *req,
       struct hp_verify_out *out)
{
	return v_v0(v, c, req, out, "x-zm-signature", 14, "x-zm-request-timestamp", 22, false);
}

/* ---- standard webhooks / svix ----
 * webhook-id, webhook-timestamp, webhook-signature (svix-* aliases, taken header by header when
 * the preferred name is absent); signed "<id>.<ts>.<body>"; the signature header holds
 * space-separated "<version>,<base64>" entries: v1 = HMAC-SHA256 with the whsec_ key, v1a =
 * Ed25519 with a whpk_ key; other versions are skipped. Order (standard-webhooks libraries):
 * headers present, timestamp format and window, then signatures. */
static bool
ed25519_verify(struct hp_verify_ctx *c, EVP_PKEY *pk, const uint8_t *sig, struct hp_vspan id,
	       struct hp_vspan ts, struct hp_vspan body)
{
	size_t need = id.len + ts.len + body.len + 2;

	if (c->buf_cap < need) {
		uint8_t *b = realloc(c->buf, need);

		if (b == NULL)
			return false;
		c->buf = b;
		c->buf_cap = need;
	}
	memcpy(c->buf, id.p, id.len);
	c->buf[id.len] = '.';
	memcpy(c->buf + id.len + 1, ts.p, ts.len);
	c->buf[id.len + 1 + ts.len] = '.';
	if (body.len > 0)
		memcpy(c->buf + id.len + ts.len + 2, body.p, body.len);
	if (EVP_DigestVerifyInit(c->md, NULL, NULL, NULL, pk) != 1)
		return false;
	return EVP_DigestVerify(c->md, sig, 64, c->buf, need) == 1;
}

static enum hp_verify_result
v_standard(const struct hp_verifier *v, struct hp_verify_ctx *c, const struct hp_verify_req *req,
	   struct hp_verify_out *out, bool svix_first)
{
	struct vfind f[] = {H("webhook-id"), H("webhook-timestamp"), H("webhook-signature"),
			    H("svix-id"),    H("svix-timestamp"),    H("svix-signature")};
	const struct vfind *id, *tsh, *sh;
	struct sigset s = {0}, a = {0}; /* v1 (HMAC) and v1a (Ed25519) entries */
	unsigned int entries = 0;
	enum hp_verify_result r;
	const uint8_t *p, *end;
	int64_t ts;
	int pri = svix_first ? 3 : 0, alt = svix_first ? 0 : 3;

	hp_vfind(req, f, 6);
	id = f[pri].count ? &f[pri] : &f[alt];
	tsh = f[pri + 1].count ? &f[pri + 1] : &f[alt + 1];
	sh = f[pri + 2].count ? &f[pri + 2] : &f[alt + 2];
	set_id(out, id);
	if ((r = sig_header(sh)) != HP_VR_OK)
		return r;
	if ((r = id_header(id)) != HP_VR_OK)
		return r;
	if ((r = ts_header(tsh, &ts)) != HP_VR_OK)
		return r;
	out->timestamp = ts;
	p = sh->val.p;
	end = p + sh->val.len;
	while (p < end) {
		const uint8_t *ee = find_byte(p, end, ' '), *cm = find_byte(p, ee, ',');
		struct hp_vspan ver = span(p, (size_t)(cm - p));
		struct hp_vspan b64 = cm < ee ? span(cm + 1, (size_t)(ee - cm - 1)) : span(ee, 0);

		if (ee == p) { /* runs of spaces */
			p++;
			continue;
		}
		if (++entries > HP_VERIFY_MAX_SIGS)
			return HP_VR_MALFORMED_SIGNATURE;
		if (span_eq(ver, "v1")) {
			if (hp_vb64_decode(b64.p, b64.len, s.b[s.n], VMAC_MAX, true) != 32)
				return HP_VR_MALFORMED_SIGNATURE;
			s.n++;
		} else if (span_eq(ver, "v1a")) {
			if (hp_vb64_decode(b64.p, b64.len, a.b[a.n], VMAC_MAX, true) != 64)
				return HP_VR_MALFORMED_SIGNATURE;
			a.n++;
		}
		p = ee < end ? ee + 1 : end;
	}
	if (s.n == 0 && a.n == 0)
		return HP_VR_MALFORMED_SIGNATURE;
	if (!(s.n > 0 && v->has_hmac) && !(a.n > 0 && v->has_ed25519 && c != NULL))
		return HP_VR_UNSUPPORTED;
	if ((r = hp_vwindow(v, ts, req->now)) != HP_VR_OK)
		return r;
	if (s.n > 0 && v->has_hmac) {
		const struct hp_vspan pieces[] = {id->val, LIT("."), tsh->val, LIT("."),
						  body_span(req)};

		if (match(v, c, req, HP_VALG_SHA256, false, pieces, 5, &s, out) == HP_VR_OK)
			return HP_VR_OK;
	}
	if (a.n > 0 && v->has_ed25519 && c != NULL) {
		for (unsigned int i = 0; i < v->n_secrets; i++) {
			if (v->sec[i].kind != VSEC_ED25519)
				continue;
			for (size_t j = 0; j < a.n; j++) {
				if (ed25519_verify(c, v->sec[i].pk, a.b[j], id->val, tsh->val,
						   body_span(req))) {
					out->secret_index = (int)i;
					return HP_VR_OK;
				}
			}
		}
	}
	return HP_VR_BAD_SIGNATURE;
}

/* ---- shopify: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(secret, body)) ---- */
static enum hp_verify_result
v_shopify(const struct hp_verifier *v, struct hp_verify_ctx *c, const struct hp_verify_req *req,
	  struct hp_verify_out *out)
{
	struct vfind f[] = {H("X-Shopify-Hmac-Sha256"), H("X-Shopify-Webhook-Id")};
	struct sigset s = {0};
	enum hp_verify_result r;
	const struct hp_vspan pieces[] = {body_span(req)};

	hp_vfind(req, f, 2);
	set_id(out, &f[1]);
	if ((r = sig_header(&f[0])) != HP_VR_OK)
		return r;
	if (hp_vb64_decode(f[0].val.p, f[0].val.len, s.b[0], VMAC_MAX, true) != 32)
		return HP_VR_MALFORMED_SIGNATURE;
	s.n = 1;
	return match(v, c, req, HP_VALG_SHA256, false, pieces, 1, &s, out);
}

/* ---- twilio ----
 * X-Twilio-Signature = base64(HMAC-SHA1(auth token, URL [+ sorted form params])). The URL is
 * url_base (or "http://" + Host) + the request-target as received; like twilio-node and
 * twilio-python, both spellings are tried: without the port and with it (the explicit one or
 * the scheme's default), because Twilio's signing side is not consistent about it.
 * - URL query with bodySHA256=<hex>: the signature covers the URL only and the body's SHA-256
 *   must equal that parameter (validateRequestWithBody).
 * - application/x-www-form-urlencoded body: the parameters, URL-decoded ('+' is a space),
 *   sorted by name (then value; identical pairs once, like twilio-node's Set), appended as
 *   name + value.
 * - no body: the URL only. Any other body is not covered by the scheme: unsupported. */

/* A URL-decoding reader over one form component. */
struct urldec {
	const uint8_t *p, *end;
};

static inline int
hexv(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
urldec_next(struct urldec *d)
{
	uint8_t c;

	if (d->p >= d->end)
		return -1;
	c = *d->p++;
	if (c == '+')
		return ' ';
	if (c == '%' && d->end - d->p >= 2) {
		int hi = hexv(d->p[0]), lo = hexv(d->p[1]);

		if (hi >= 0 && lo >= 0) {
			d->p += 2;
			return hi << 4 | lo;
		}
	}
	return c; /* an invalid escape stays as sent (Node's querystring does the same) */
}

struct tw_param {
	struct hp_vspan k, val;
};

static int
urldec_cmp(struct hp_vspan a, struct hp_vspan b)
{
	struct urldec x = {a.p, a.p + a.len}, y = {b.p, b.p + b.len};

	for (;;) {
		int cx = urldec_next(&x), cy = urldec_next(&y);

		if (cx != cy)
			return cx < cy ? -1 : 1;
		if (cx < 0)
			return 0;
	}
}

static int
param_cmp(const struct tw_param *a, const struct tw_param *b)
{
	int r = urldec_cmp(a->k, b->k);

	return r != 0 ? r : urldec_cmp(a->val, b->val);
}

static void
mac_urldec(struct vmac *m, struct hp_vspan s)
{
	struct urldec d = {s.p, s.p + s.len};
	uint8_t buf[256];
	size_t n = 0;
	int ch;

	while ((ch = urldec_next(&d)) >= 0) {
		buf[n++] = (uint8_t)ch;
		if (n == sizeof(buf)) {
			hp_vmac_update(m, buf, n);
			n = 0;
		}
	}
	hp_vmac_update(m, buf, n);
}

static bool
is_form(const struct vfind *ct)
{
	static const char form[] = "application/x-www-form-urlencoded";
	struct hp_vspan v = ct->val;

	if (ct->count != 1 || v.len < sizeof(form) - 1)
		return false;
	if (!hp_vspan_eq_ci(span(v.p, sizeof(form) - 1), form, sizeof(form) - 1))
		return false;
	return v.len == sizeof(form) - 1 || v.p[sizeof(form) - 1] == ';' ||
	       v.p[sizeof(form) - 1] == ' ' || v.p[sizeof(form) - 1] == '\t';
}

/* The base URLs of this request: [i] = pieces (1 or 3) in b[i]. */
static unsigned int
tw_bases(const struct hp_verifier *v, const struct hp_verify_req *req, struct hp_vspan b[2][3],
	 size_t nb[2])
{
	const uint8_t *h, *end, *colon = NULL;

	if (v->n_base > 0) {
		for (unsigned int i = 0; i < v->n_base; i++) {
			b[i][0] = span((const uint8_t *)v->base[i], v->base_len[i]);
			nb[i] = 1;
		}
		return v->n_base;
	}
	if (req->host.len == 0)
		return 0;
	h = req->host.p;
	end = h + req->host.len;
	for (const uint8_t *p = h; p < end; p++) {
		if (*p == ':')
			colon = p;
		else if (*p == ']')
			colon = NULL;
	}
	b[0][0] = LIT("http://");
	b[0][1] = span(h, (size_t)((colon ? colon : end) - h));
	nb[0] = 2;
	b[1][0] = LIT("http://");
	b[1][1] = b[0][1];
	b[1][2] = colon ? span(colon, (size_t)(end - colon)) : LIT(":80");
	nb[1] = 3;
	return 2;
}

static enum hp_verify_result
v_twilio(const struct hp_verifier *v, struct hp_verify_ctx *c, const struct hp_verify_req *req,
	 struct hp_verify_out *out)
{
	struct vfind f[] = {H("X-Twilio-Signature"), H("I-Twilio-Idempotency-Token"),
			    H("Content-Type")};
	struct tw_param prm[TW_MAX_PARAMS];
	struct hp_vspan base[2][3];
	size_t nb[2], np = 0, n_bodysha = 0;
	uint8_t bodysha[32], mac[VMAC_MAX];
	struct sigset s = {0};
	enum hp_verify_result r;
	const uint8_t *q, *end, *p;
	unsigned int n_base;
	bool form = false;

	hp_vfind(req, f, 3);
	set_id(out, &f[1]);
	if ((r = sig_header(&f[0])) != HP_VR_OK)
		return r;
	if (hp_vb64_decode(f[0].val.p, f[0].val.len, s.b[0], VMAC_MAX, true) != 20)
		return HP_VR_MALFORMED_SIGNATURE;
	s.n = 1;

	/* bodySHA256 in the query */
	end = req->target.p + req->target.len;
	q = find_byte(req->target.p, end, '?');
	for (p = q < end ? q + 1 : end; p < end;) {
		const uint8_t *pe = find_byte(p, end, '&'), *eq = find_byte(p, pe, '=');

		if (span_eq(span(p, (size_t)(eq - p)), "bodySHA256")) {
			const uint8_t *vp = eq < pe ? eq + 1 : pe;

			if (++n_bodysha > 1 ||
			    hp_vhex_decode(vp, (size_t)(pe - vp), bodysha, sizeof(bodysha)) != 32)
				return HP_VR_MALFORMED_SIGNATURE;
		}
		p = pe < end ? pe + 1 : end;
	}
	if (n_bodysha == 0) {
		form = is_form(&f[2]);
		if (!form && req->body_len > 0)
			return HP_VR_UNSUPPORTED;
	}
	if (form) {
		end = req->body + req->body_len;
		for (p = req->body; p < end;) {
			const uint8_t *pe = find_byte(p, end, '&'), *eq = find_byte(p, pe, '=');
			struct tw_param t;
			size_t j;

			if (pe == p) { /* empty component: skipped, like the form parsers */
				p++;
				continue;
			}
			if (np == TW_MAX_PARAMS)
				return HP_VR_UNSUPPORTED;
			t.k = span(p, (size_t)(eq - p));
			t.val = eq < pe ? span(eq + 1, (size_t)(pe - eq - 1)) : span(pe, 0);
			/* insertion sort: Twilio sends tens of parameters */
			for (j = np; j > 0 && param_cmp(&prm[j - 1], &t) > 0; j--)
				prm[j] = prm[j - 1];
			prm[j] = t;
			np++;
			p = pe < end ? pe + 1 : end;
		}
	}
	n_base = tw_bases(v, req, base, nb);
	if (n_base == 0)
		return HP_VR_UNSUPPORTED; /* no Host and no url_base: the URL is unknown */
	for (unsigned int t = 0; t < v->n_secrets && out->secret_index < 0; t++) {
		unsigned int i = hp_vsecret_at(v, c != NULL ? &c->first_secret : NULL, t);
		int hit = 0;

		for (unsigned int b = 0; b < n_base; b++) {
			struct vmac m;

			hp_vmac_start(&m, &v->sec[i].hm, HP_VALG_SHA1);
			for (size_t k = 0; k < nb[b]; k++)
				hp_vmac_update(&m, base[b][k].p, base[b][k].len);
			hp_vmac_update(&m, req->target.p, req->target.len);
			for (size_t k = 0; k < np; k++) {
				if (k > 0 && param_cmp(&prm[k - 1], &prm[k]) == 0)
					continue;
				mac_urldec(&m, prm[k].k);
				mac_urldec(&m, prm[k].val);
			}
			hp_vmac_final(&m, &v->sec[i].hm, mac);
			hit |= CRYPTO_memcmp(mac, s.b[0], 20) == 0;
		}
		if (hit) {
			out->secret_index = (int)i;
			if (c != NULL)
				c->first_secret = (uint8_t)i;
		}
	}
	if (out->secret_index < 0)
		return HP_VR_BAD_SIGNATURE;
	if (n_bodysha > 0) {
		uint8_t d[32];
		SHA256_CTX h;

		SHA256_Init(&h);
		SHA256_Update(&h, req->body, req->body_len);
		SHA256_Final(d, &h);
		if (CRYPTO_memcmp(d, bodysha, 32) != 0)
			return HP_VR_BAD_SIGNATURE;
	}
	return HP_VR_OK;
}

/* ---- twitch ----
 * Twitch-Eventsub-Message-Signature: sha256=<hex> of HMAC-SHA256(message id + timestamp +
 * body); the timestamp is RFC 3339 with nanoseconds. Signature first, then the window. */
static enum hp_verify_result
v_twitch(const struct hp_verifier *v, struct hp_verify_ctx *c, const struct hp_verify_req *req,
	 struct hp_verify_out *out)
{
	struct vfind f[] = {H("Twitch-Eventsub-Message-Signature"), H("Twitch-Eventsub-Message-Id"),
			    H("Twitch-Eventsub-Message-Timestamp")};
	struct sigset s = {0};
	enum hp_verify_result r;
	int64_t ts;

	hp_vfind(req, f, 3);
	set_id(out, &f[1]);
	if ((r = sig_header(&f[0])) != HP_VR_OK)
		return r;
	if (!prefixed_hex(f[0].val, "sha256=", 32, &s))
		return HP_VR_MALFORMED_SIGNATURE;
	if ((r = id_header(&f[1])) != HP_VR_OK)
		return r;
	if (!present(&f[2]))
		return HP_VR_MISSING_TIMESTAMP;
	if (f[2].count > 1 || !hp_vparse_rfc3339(f[2].val, &ts))
		return HP_VR_MALFORMED_TIMESTAMP;
	out->timestamp = ts;
	const struct hp_vspan pieces[] = {f[1].val, f[2].val, body_span(req)};

	if ((r = match(v, c, req, HP_VALG_SHA256, false, pieces, 3, &s, out)) != HP_VR_OK)
		return r;
	return hp_vwindow(v, ts, req->now);
}

/* ---- paddle (Billing) ----
 * Paddle-Signature: ts=<unix>;h1=<hex>[;h1=<hex>...]; HMAC-SHA256(secret, "<ts>:<body>").
 * paddle-node-sdk checks the timestamp before the signature. */
static enum hp_verify_result
v_paddle(const struct hp_verifier *v, struct hp_verify_ctx *c, const struct hp_verify_req *req,
	 struct hp_verify_out *out)
{
	struct vfind f[] = {H("Paddle-Signature")};
	struct sigset s = {0};
	struct hp_vspan t = {NULL, 0};
	bool have_t = false;
	enum hp_verify_result r;
	int64_t ts;

	hp_vfind(req, f, 1);
	set_body_id(out, req, "notification_id");
	if ((r = sig_header(&f[0])) != HP_VR_OK)
		return r;
	if ((r = kv_sigs(f[0].val, ';', "ts", "h1", &t, &have_t, &s)) != HP_VR_OK)
		return r;
	if ((r = ts_unix(t, have_t, &ts)) != HP_VR_OK)
		return r;
	out->timestamp = ts;
	if ((r = hp_vwindow(v, ts, req->now)) != HP_VR_OK)
		return r;
	const struct hp_vspan pieces[] = {t, LIT(":"), body_span(req)};

	return match(v, c, req, HP_VALG_SHA256, false, pieces, 3, &s, out);
}

/* ---- gitlab ----
 * X-Gitlab-Token carries the secret itself. Compared as SHA-256 digests with CRYPTO_memcmp, so
 * neither the bytes nor the length of the configured token leak through timing. */
static enum hp_verify_result
v_gitlab(const struct hp_verifier *v, const struct hp_verify_req *req, struct hp_verify_out *out)
{
	struct vfind f[] = {H("X-Gitlab-Token"), H("Idempotency-Key"), H("X-Gitlab-Event-UUID")};
	enum hp_verify_result r;
	uint8_t d[32];
	SHA256_CTX h;

	hp_vfind(req, f, 3);
	set_id(out, &f[2]);
	set_id(out, &f[1]); /* the retry-stable one wins when both came */
	if ((r = sig_header(&f[0])) != HP_VR_OK)
		return r;
	SHA256_Init(&h);
	SHA256_Update(&h, f[0].val.p, f[0].val.len);
	SHA256_Final(d, &h);
	for (unsigned int i = 0; i < v->n_secrets; i++) {
		if (CRYPTO_memcmp(d, v->sec[i].tok, 32) == 0) {
			out->secret_index = (int)i;
			return HP_VR_OK;
		}
	}
	return HP_VR_BAD_SIGNATURE;
}

size_t
hp_vgeneric_pieces(const struct hp_verifier *v, const struct hp_verify_req *req, struct hp_vspan ts,
		   struct hp_vspan id, struct hp_vspan *pieces)
{
	size_t n = 0;

	for (unsigned int i = 0; i < v->n_seg; i++) {
		const struct vseg *g = &v->seg[i];

		switch (g->kind) {
		case VSEG_LIT:
			pieces[n++] = span((const uint8_t *)v->g.template_ + g->off, g->len);
			break;
		case VSEG_BODY:
			pieces[n++] = body_span(req);
			break;
		case VSEG_TIMESTAMP:
			pieces[n++] = ts;
			break;
		case VSEG_ID:
			pieces[n++] = id;
			break;
		case VSEG_METHOD:
			pieces[n++] = req->method;
			break;
		case VSEG_PATH:
			pieces[n++] =
				span(req->target.p,
				     (size_t)(find_byte(req->target.p,
							req->target.p + req->target.len, '?') -
					      req->target.p));
			break;
		case VSEG_URL: /* url_base as written, else "http://" + Host as sent */
			if (v->n_base > 0) {
				pieces[n++] = span((const uint8_t *)v->base[0], v->base_len[0]);
			} else {
				pieces[n++] = LIT("http://");
				pieces[n++] = req->host;
			}
			pieces[n++] = req->target;
			break;
		default:
			break;
		}
	}
	return n;
}

/* ---- hmac: the generic scheme of struct hp_verify_generic ----
 * Order: signature header, id, timestamp present and well formed, signature, window. */
static enum hp_verify_result
v_generic(const struct hp_verifier *v, struct hp_verify_ctx *c, const struct hp_verify_req *req,
	  struct hp_verify_out *out)
{
	struct vfind f[] = {{v->g.header, v->g_header_len, {NULL, 0}, 0},
			    {v->g.timestamp_header, v->g_ts_len, {NULL, 0}, 0},
			    {v->g.id_header, v->g_id_len, {NULL, 0}, 0}};
	struct hp_vspan pieces[VSEG_MAX * 3], sv;
	enum hp_verify_alg alg = (enum hp_verify_alg)v->alg;
	size_t n = 0, mlen = hp_vmac_len(alg);
	struct sigset s = {0};
	enum hp_verify_result r;
	int64_t ts = 0;
	int dl;

	hp_vfind(req, f, 3);
	set_id(out, &f[2]);
	if ((r = sig_header(&f[0])) != HP_VR_OK)
		return r;
	sv = f[0].val;
	if (!has_prefix(sv, v->g.prefix, v->g_prefix_len))
		return HP_VR_MALFORMED_SIGNATURE;
	sv.p += v->g_prefix_len;
	sv.len -= v->g_prefix_len;
	dl = v->enc == HP_VENC_BASE64 ? hp_vb64_decode(sv.p, sv.len, s.b[0], VMAC_MAX, true)
				      : hp_vhex_decode(sv.p, sv.len, s.b[0], VMAC_MAX);
	if (dl != (int)mlen)
		return HP_VR_MALFORMED_SIGNATURE;
	s.n = 1;
	if (v->g_needs_id && (r = id_header(&f[2])) != HP_VR_OK)
		return r;
	if (v->g_ts_len > 0) {
		if ((r = ts_header(&f[1], &ts)) != HP_VR_OK)
			return r;
		out->timestamp = ts;
	}
	if (v->g_needs_url && v->n_base == 0 && req->host.len == 0)
		return HP_VR_UNSUPPORTED; /* no Host and no url_base: the URL is unknown */
	n = hp_vgeneric_pieces(v, req, f[1].val, f[2].val, pieces);
	if ((r = match(v, c, req, alg, false, pieces, n, &s, out)) != HP_VR_OK)
		return r;
	return v->g_ts_len > 0 ? hp_vwindow(v, ts, req->now) : HP_VR_OK;
}

enum hp_verify_result
hp_vprov_verify(const struct hp_verifier *v, struct hp_verify_ctx *c,
		const struct hp_verify_req *req, struct hp_verify_out *out)
{
	switch ((enum hp_provider)v->prov) {
	case HP_PROV_STRIPE:
		return v_stripe(v, c, req, out);
	case HP_PROV_GITHUB:
		return v_github(v, c, req, out);
	case HP_PROV_SLACK:
		return v_slack(v, c, req, out);
	case HP_PROV_STANDARD:
		return v_standard(v, c, req, out, false);
	case HP_PROV_SVIX:
		return v_standard(v, c, req, out, true);
	case HP_PROV_SHOPIFY:
		return v_shopify(v, c, req, out);
	case HP_PROV_TWILIO:
		return v_twilio(v, c, req, out);
	case HP_PROV_ZOOM:
		return v_zoom(v, c, req, out);
	case HP_PROV_TWITCH:
		return v_twitch(v, c, req, out);
	case HP_PROV_PADDLE:
		return v_paddle(v, c, req, out);
	case HP_PROV_GITLAB:
		return v_gitlab(v, req, out);
	case HP_PROV_HMAC:
		return v_generic(v, c, req, out);
	case HP_PROV_NONE:
	case HP_PROV__COUNT:
	default:
		return HP_VR_OK;
	}
}
