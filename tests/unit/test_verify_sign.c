/* SPDX-License-Identifier: BSD-3-Clause
 * hp_verify_sign() tests (lib/verify): the signer is the inverse of hp_verify().
 *
 * 1. Per provider: a ~1 KB JSON body signed at a fixed time with an id; the returned header
 *    lines, parsed back into struct hp_vheader views, make hp_verify() accept the request (with
 *    the index of the first HMAC secret); one flipped body byte makes it bad_signature; every
 *    capacity too small gives -1 without a write past it (canary bytes).
 * 2. Known answers: the providers' published vectors (GitHub, Slack, standard-webhooks) come
 *    out byte for byte, and stripe's against OpenSSL's one-shot HMAC().
 * 3. The generic "hmac" provider: templates with {timestamp} {id} {method} {path}, with {url}
 *    (from Host and from url_base), hex and base64, sha1/sha256/sha512.
 * 4. Refusals: gitlab, twilio, Ed25519-only standard-webhooks, ids that would not survive a
 *    header line, a missing signed id; provider none gives 0 and "".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "verify/verify.h"
#include "verify_test.h"

#define TS     1796486400 /* 2026-12-05T16:00:00Z */
#define ID     "msg_2Wz1Hk9sQe4LrV7nYb0c"
#define OUTCAP 2048

static char body[1100];
static size_t body_len;

/* A ~1 KB JSON object (the warm-up request's shape). */
static void
mk_body(void)
{
	int n = snprintf(body, sizeof(body),
			 "{\"id\":\"evt_1QwErTyUiOp\",\"type\":\"hookpath.warmup\",\"created\":%d,"
			 "\"data\":{\"object\":{\"amount\":4200,\"currency\":\"eur\",\"pad\":\"",
			 TS);

	assert_true(n > 0);
	body_len = (size_t)n;
	for (; body_len < 1000; body_len++)
		body[body_len] = (char)('a' + body_len % 26);
	memcpy(body + body_len, "\"}}}", 5);
	body_len += 4;
	assert_true(body_len < sizeof(body));
}

/* ---- requests ---- */

static void
sreq_init(struct vt_req *t, const char *b, size_t blen)
{
	memset(t, 0, sizeof(*t));
	t->r.method = S("POST");
	t->r.target = S("/hooks/ep1?src=warmup&n=1");
	t->r.host = S("hooks.example.com:8080");
	t->r.headers = t->h;
	t->r.body = (const uint8_t *)b;
	t->r.body_len = blen;
	t->r.now = TS;
}

/* Splits "Name: value\r\n"... into header views pointing into s (no bytes changed). */
static void
parse_lines(struct vt_req *t, const char *s, size_t len)
{
	const char *p = s, *end = s + len;

	t->r.n_headers = 0;
	while (p < end) {
		const char *crlf = strstr(p, "\r\n"), *colon = memchr(p, ':', (size_t)(end - p));

		assert_non_null(crlf);
		assert_true(crlf < end);
		assert_non_null(colon);
		assert_true(colon > p && colon < crlf);
		assert_true(colon[1] == ' ' && colon + 2 <= crlf);
		/* one line each: no CR or LF inside */
		for (const char *q = p; q < crlf; q++)
			assert_true(*q != '\r' && *q != '\n');
		assert_true(t->r.n_headers < MAX_H);
		t->h[t->r.n_headers].name =
			(struct hp_vspan){(const uint8_t *)p, (size_t)(colon - p)};
		t->h[t->r.n_headers].value =
			(struct hp_vspan){(const uint8_t *)colon + 2, (size_t)(crlf - colon - 2)};
		t->r.n_headers++;
		p = crlf + 2;
	}
	assert_true(p == end);
}

static bool
has_header(const struct vt_req *t, const char *name, const char *value)
{
	for (size_t i = 0; i < t->r.n_headers; i++) {
		if (t->h[i].name.len == strlen(name) &&
		    memcmp(t->h[i].name.p, name, t->h[i].name.len) == 0)
			return value == NULL ||
			       (t->h[i].value.len == strlen(value) &&
				memcmp(t->h[i].value.p, value, strlen(value)) == 0);
	}
	return false;
}

/* ---- verifiers ---- */

static struct hp_verifier *
mk_spec(const struct hp_verify_spec *spec)
{
	struct hp_verifier *v = NULL;
	char err[256] = "";

	if (hp_verifier_create(spec, &v, err, sizeof(err)) != 0)
		fail_msg("create(%s): %s", hp_provider_name(spec->provider), err);
	assert_non_null(v);
	return v;
}

static struct hp_verifier *
mk(enum hp_provider p, const char *s0, const char *s1)
{
	struct hp_verify_spec spec;

	memset(&spec, 0, sizeof(spec));
	spec.provider = p;
	spec.secrets[0] = s0;
	spec.secrets[1] = s1;
	spec.n_secrets = s1 ? 2 : 1;
	spec.tolerance_s = hp_provider_default_tolerance(p);
	return mk_spec(&spec);
}

static struct hp_verifier *
mk_generic(const char *secret, const char *senc, const char *header, const char *prefix,
	   enum hp_verify_alg alg, enum hp_verify_enc enc, const char *tmpl, const char *tsh,
	   const char *idh, const char *url_base)
{
	struct hp_verify_spec spec;

	generic_spec(&spec, secret, header, prefix, alg, enc, tmpl, tsh, idh, senc);
	spec.tolerance_s = 300;
	spec.url_base = url_base;
	return mk_spec(&spec);
}

/* ---- the round trip ---- */

/* Every capacity from 0 to n (no room for the NUL) fails, writes nothing past cap, and n + 1
 * gives the same bytes again. */
static void
check_caps(const struct hp_verifier *v, const struct hp_verify_req *r, const char *id,
	   const char *want, int n)
{
	static char buf[OUTCAP + 64];

	for (int cap = 0; cap <= n; cap++) {
		memset(buf, 0xa5, sizeof(buf));
		if (hp_verify_sign(v, r, TS, id, buf, (size_t)cap) != -1)
			fail_msg("cap %d of %d: not refused", cap, n);
		for (size_t i = (size_t)cap; i < (size_t)n + 64; i++)
			if ((unsigned char)buf[i] != 0xa5)
				fail_msg("cap %d: byte %zu written", cap, i);
	}
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(hp_verify_sign(v, r, TS, id, buf, (size_t)n + 1), n);
	assert_memory_equal(buf, want, (size_t)n + 1);
	assert_int_equal((unsigned char)buf[n + 1], 0xa5);
}

/* Signs the request of t (its headers are replaced by the signer's) and checks the round trip;
 * returns the length and leaves the lines in out and the parsed headers in t. */
static int
round_trip(const struct hp_verifier *v, struct vt_req *t, const char *id, int want_index, char *out)
{
	struct hp_verify_ctx *c = hp_verify_ctx_create(v);
	struct hp_verify_out o;
	enum hp_verify_result r;
	uint8_t *b = (uint8_t *)(uintptr_t)t->r.body;
	int n;

	assert_non_null(c);
	/* any headers already there are ignored by the signer */
	t->h[0].name = S("X-Junk");
	t->h[0].value = S("1");
	t->r.n_headers = 1;
	memset(out, 0xa5, OUTCAP);
	n = hp_verify_sign(v, &t->r, TS, id, out, OUTCAP);
	if (n <= 0)
		fail_msg("sign gave %d", n);
	assert_int_equal(strlen(out), (size_t)n);
	parse_lines(t, out, (size_t)n);

	r = hp_verify(v, c, &t->r, &o);
	if (r != HP_VR_OK)
		fail_msg("verify: %s\n%s", hp_verify_result_name(r), out);
	assert_int_equal(o.secret_index, want_index);

	/* one body byte flipped */
	assert_true(t->r.body_len > 100);
	b[100] ^= 0x01;
	r = hp_verify(v, c, &t->r, &o);
	b[100] ^= 0x01;
	if (r != HP_VR_BAD_SIGNATURE)
		fail_msg("flipped body: %s, want bad_signature\n%s", hp_verify_result_name(r), out);
	assert_int_equal(hp_verify(v, c, &t->r, &o), HP_VR_OK);

	check_caps(v, &t->r, id, out, n);
	hp_verify_ctx_free(c);
	return n;
}

static void
expect_ok_at(const struct hp_verifier *v, struct vt_req *t, int64_t ts, const char *id)
{
	struct hp_verify_out o;

	assert_int_equal(hp_verify(v, NULL, &t->r, &o), HP_VR_OK);
	assert_int_equal(o.timestamp, ts);
	if (id != NULL) {
		assert_int_equal(o.webhook_id.len, strlen(id));
		assert_memory_equal(o.webhook_id.p, id, strlen(id));
	}
}

/* ---- 1. providers ---- */

static void
test_stripe(void **state)
{
	struct hp_verifier *v = mk(HP_PROV_STRIPE, "whsec_wArMuPsEcReT1", "whsec_second");
	char out[OUTCAP], want[256], msg[OUTCAP];
	uint8_t m[32];
	unsigned int ml = 0;
	struct vt_req t;
	int n;

	(void)state;
	sreq_init(&t, body, body_len);
	n = round_trip(v, &t, ID, 0, out);
	expect_ok_at(v, &t, TS, "evt_1QwErTyUiOp"); /* stripe's id is the body's */
	assert_int_equal(t.r.n_headers, 1);
	/* independently: OpenSSL's one-shot HMAC keyed by the whole secret string */
	snprintf(msg, sizeof(msg), "%d.%.*s", TS, (int)body_len, body);
	assert_non_null(HMAC(EVP_sha256(), "whsec_wArMuPsEcReT1", 19, (const uint8_t *)msg,
			     strlen(msg), m, &ml));
	n = snprintf(want, sizeof(want), "Stripe-Signature: t=%d,v1=", TS);
	for (unsigned int i = 0; i < ml; i++)
		n += snprintf(want + n, sizeof(want) - (size_t)n, "%02x", m[i]);
	snprintf(want + n, sizeof(want) - (size_t)n, "\r\n");
	assert_string_equal(out, want);
	/* the id is not needed */
	assert_true(hp_verify_sign(v, &t.r, TS, NULL, out, sizeof(out)) > 0);
	hp_verifier_free(v);
}

static void
test_github(void **state)
{
	struct hp_verifier *v = mk(HP_PROV_GITHUB, "gh-warmup-secret", "gh-other");
	struct hp_verify_spec spec;
	struct hp_verifier *sha1;
	char out[OUTCAP];
	struct vt_req t;

	(void)state;
	sreq_init(&t, body, body_len);
	round_trip(v, &t, ID, 0, out);
	expect_ok_at(v, &t, 0, ID);
	assert_true(has_header(&t, "X-GitHub-Delivery", ID));
	assert_true(has_header(&t, "X-Hub-Signature-256", NULL));
	/* no id: no delivery header, still valid */
	assert_true(hp_verify_sign(v, &t.r, TS, NULL, out, sizeof(out)) > 0);
	assert_null(strstr(out, "X-GitHub-Delivery"));
	/* legacy sha1 allowed: the sha256 header is still the one signed */
	memset(&spec, 0, sizeof(spec));
	spec.provider = HP_PROV_GITHUB;
	spec.secrets[0] = "gh-warmup-secret";
	spec.n_secrets = 1;
	spec.allow_sha1 = true;
	sha1 = mk_spec(&spec);
	sreq_init(&t, body, body_len);
	round_trip(sha1, &t, ID, 0, out);
	hp_verifier_free(sha1);
	hp_verifier_free(v);
}

static void
test_slack_zoom(void **state)
{
	struct hp_verifier *v = mk(HP_PROV_SLACK, "8f742231b10e8888abcd99yyyzzz85a5", NULL);
	struct hp_verifier *z = mk(HP_PROV_ZOOM, "zoom-secret-token", "zoom-2");
	char out[OUTCAP];
	struct vt_req t;

	(void)state;
	sreq_init(&t, body, body_len);
	round_trip(v, &t, ID, 0, out);
	expect_ok_at(v, &t, TS, NULL);
	assert_true(has_header(&t, "X-Slack-Request-Timestamp", "1796486400"));
	sreq_init(&t, body, body_len);
	round_trip(z, &t, ID, 0, out);
	expect_ok_at(z, &t, TS, NULL);
	assert_true(has_header(&t, "x-zm-request-timestamp", "1796486400"));
	assert_true(has_header(&t, "x-zm-signature", NULL));
	hp_verifier_free(v);
	hp_verifier_free(z);
}

/* A fresh Ed25519 public key as "whpk_<base64>". */
static void
mk_whpk(char *secret, size_t cap)
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	uint8_t pub[32];
	size_t pl = sizeof(pub);

	assert_non_null(kc);
	assert_true(cap >= 5 + 45);
	assert_int_equal(EVP_PKEY_keygen_init(kc), 1);
	assert_int_equal(EVP_PKEY_keygen(kc, &k), 1);
	assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &pl), 1);
	memcpy(secret, "whpk_", 5);
	EVP_EncodeBlock((unsigned char *)secret + 5, pub, 32);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(kc);
}

static void
test_standard(void **state)
{
	struct hp_verifier *v =
		mk(HP_PROV_STANDARD, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", NULL);
	struct hp_verifier *s = mk(HP_PROV_SVIX, "whsec_c3ZpeC13YXJtdXAtc2VjcmV0", NULL);
	struct hp_verifier *ed, *mixed;
	char out[OUTCAP], pk[80];
	struct vt_req t;

	(void)state;
	sreq_init(&t, body, body_len);
	round_trip(v, &t, ID, 0, out);
	expect_ok_at(v, &t, TS, ID);
	assert_true(has_header(&t, "webhook-id", ID));
	assert_true(has_header(&t, "webhook-timestamp", "1796486400"));
	sreq_init(&t, body, body_len);
	round_trip(s, &t, ID, 0, out);
	expect_ok_at(s, &t, TS, ID);
	assert_true(has_header(&t, "svix-id", ID));
	assert_true(has_header(&t, "svix-timestamp", "1796486400"));
	assert_true(has_header(&t, "svix-signature", NULL));
	assert_false(has_header(&t, "webhook-id", NULL));
	/* the id is signed: required, and must survive a header line */
	assert_int_equal(hp_verify_sign(v, &t.r, TS, NULL, out, sizeof(out)), -1);
	assert_int_equal(hp_verify_sign(v, &t.r, TS, "", out, sizeof(out)), -1);
	assert_int_equal(hp_verify_sign(v, &t.r, TS, "a\r\nX-Evil: 1", out, sizeof(out)), -1);
	assert_int_equal(hp_verify_sign(v, &t.r, TS, " padded", out, sizeof(out)), -1);
	assert_int_equal(hp_verify_sign(v, &t.r, -1, ID, out, sizeof(out)), -1);

	/* Ed25519 only: cannot sign; mixed: the first HMAC secret (index 1) */
	mk_whpk(pk, sizeof(pk));
	ed = mk(HP_PROV_STANDARD, pk, NULL);
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(hp_verify_sign(ed, &t.r, TS, ID, out, sizeof(out)), -1);
	assert_int_equal(out[0], '\0');
	mixed = mk(HP_PROV_SVIX, pk, "whsec_c3ZpeC13YXJtdXAtc2VjcmV0");
	sreq_init(&t, body, body_len);
	round_trip(mixed, &t, ID, 1, out);
	hp_verifier_free(mixed);
	hp_verifier_free(ed);
	hp_verifier_free(s);
	hp_verifier_free(v);
}

static void
test_shopify(void **state)
{
	struct hp_verifier *v = mk(HP_PROV_SHOPIFY, "shpss_0123456789abcdef", NULL);
	char out[OUTCAP];
	struct vt_req t;

	(void)state;
	sreq_init(&t, body, body_len);
	round_trip(v, &t, ID, 0, out);
	expect_ok_at(v, &t, 0, ID);
	assert_true(has_header(&t, "X-Shopify-Webhook-Id", ID));
	assert_true(has_header(&t, "X-Shopify-Hmac-Sha256", NULL));
	assert_int_equal(hp_verify_sign(v, &t.r, TS, "bad\nid", out, sizeof(out)), -1);
	hp_verifier_free(v);
}

static void
test_twitch(void **state)
{
	struct hp_verifier *v = mk(HP_PROV_TWITCH, "twitch-eventsub-secret", "other-secret");
	char out[OUTCAP];
	struct vt_req t;

	(void)state;
	sreq_init(&t, body, body_len);
	round_trip(v, &t, ID, 0, out);
	expect_ok_at(v, &t, TS, ID);
	assert_true(has_header(&t, "Twitch-Eventsub-Message-Timestamp",
			       "2026-12-05T16:00:00.000000000Z"));
	assert_true(has_header(&t, "Twitch-Eventsub-Message-Id", ID));
	assert_int_equal(hp_verify_sign(v, &t.r, TS, NULL, out, sizeof(out)), -1);
	/* a year past 9999 has no RFC 3339 spelling */
	assert_int_equal(hp_verify_sign(v, &t.r, 253402300800LL, ID, out, sizeof(out)), -1);
	hp_verifier_free(v);
}

static void
test_paddle(void **state)
{
	struct hp_verifier *v = mk(HP_PROV_PADDLE, "pdl_ntfset_01abcdef_secret", NULL);
	char out[OUTCAP];
	struct vt_req t;

	(void)state;
	sreq_init(&t, body, body_len);
	round_trip(v, &t, ID, 0, out);
	expect_ok_at(v, &t, TS, NULL);
	assert_int_equal(strncmp(out, "Paddle-Signature: ts=1796486400;h1=", 35), 0);
	hp_verifier_free(v);
}

/* ---- 2. known answers ---- */

static void
test_known_answers(void **state)
{
	struct hp_verifier *gh = mk(HP_PROV_GITHUB, "It's a Secret to Everybody", NULL);
	struct hp_verifier *sl = mk(HP_PROV_SLACK, "8f742231b10e8888abcd99yyyzzz85a5", NULL);
	struct hp_verifier *sw =
		mk(HP_PROV_STANDARD, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", NULL);
	const char *slack_body =
		"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_"
		"id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%"
		"2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1"
		"DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015."
		"47445629121.803a0bc887a14d10d2c447fce8b6703c";
	char out[OUTCAP];
	struct vt_req t;

	(void)state;
	/* https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries */
	sreq_init(&t, "Hello, World!", 13);
	assert_true(hp_verify_sign(gh, &t.r, 0, "72d3162e-cc78-11e3-81ab-4c9367dc0958", out,
				   sizeof(out)) > 0);
	assert_string_equal(
		out, "X-Hub-Signature-256: "
		     "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17\r\n"
		     "X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958\r\n");
	/* https://api.slack.com/authentication/verifying-requests-from-slack */
	sreq_init(&t, slack_body, strlen(slack_body));
	assert_true(hp_verify_sign(sl, &t.r, 1531420618, NULL, out, sizeof(out)) > 0);
	assert_string_equal(
		out, "X-Slack-Signature: "
		     "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503\r\n"
		     "X-Slack-Request-Timestamp: 1531420618\r\n");
	/* standard-webhooks libraries' test suites */
	sreq_init(&t, "{\"test\": 2432232314}", 20);
	assert_true(hp_verify_sign(sw, &t.r, 1614265330, "msg_p5jXN8AQM9LWM0D4loKWxJek", out,
				   sizeof(out)) > 0);
	assert_string_equal(out,
			    "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek\r\n"
			    "webhook-timestamp: 1614265330\r\n"
			    "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
			    "\r\n");
	hp_verifier_free(gh);
	hp_verifier_free(sl);
	hp_verifier_free(sw);
}

/* ---- 3. the generic provider ---- */

static void
test_generic(void **state)
{
	struct hp_verifier *v;
	char out[OUTCAP];
	struct vt_req t;

	(void)state;
	/* {method} {path} {timestamp} {id}, hex sha256 with a prefix */
	v = mk_generic("generic-raw-secret", NULL, "X-Signature", "sha256=", HP_VALG_SHA256,
		       HP_VENC_HEX, "{method}\n{path}\n{timestamp}\n{id}\n{body}", "X-Timestamp",
		       "X-Request-Id", NULL);
	sreq_init(&t, body, body_len);
	round_trip(v, &t, ID, 0, out);
	expect_ok_at(v, &t, TS, ID);
	assert_true(has_header(&t, "X-Timestamp", "1796486400"));
	assert_true(has_header(&t, "X-Request-Id", ID));
	/* the path is signed, the query is not: another path breaks it */
	t.r.target = S("/hooks/ep2?src=warmup&n=1");
	assert_int_equal(hp_verify(v, NULL, &t.r, &(struct hp_verify_out){0}), HP_VR_BAD_SIGNATURE);
	/* {id} is signed: required */
	assert_int_equal(hp_verify_sign(v, &t.r, TS, NULL, out, sizeof(out)), -1);
	hp_verifier_free(v);

	/* same in base64 with sha512, a hex-encoded secret */
	v = mk_generic("00112233445566778899aabbccddeeff", "hex", "X-Sig", "", HP_VALG_SHA512,
		       HP_VENC_BASE64, "{timestamp}.{method}.{path}.{id}.{body}", "X-Ts", "X-Id",
		       NULL);
	sreq_init(&t, body, body_len);
	round_trip(v, &t, ID, 0, out);
	expect_ok_at(v, &t, TS, ID);
	hp_verifier_free(v);

	/* {url} from Host, base64 sha256, a timestamp header the template does not use */
	v = mk_generic("url-secret", NULL, "X-Url-Signature", "v1=", HP_VALG_SHA256, HP_VENC_BASE64,
		       "{url}|{body}", "X-Url-Ts", NULL, NULL);
	sreq_init(&t, body, body_len);
	round_trip(v, &t, NULL, 0, out);
	expect_ok_at(v, &t, TS, NULL);
	t.r.host = S("other.example.com");
	assert_int_equal(hp_verify(v, NULL, &t.r, &(struct hp_verify_out){0}), HP_VR_BAD_SIGNATURE);
	/* no Host and no url_base: the URL is unknown */
	t.r.host = S(NULL);
	assert_int_equal(hp_verify_sign(v, &t.r, TS, NULL, out, sizeof(out)), -1);
	hp_verifier_free(v);

	/* {url} from url_base, hex sha1, an id header the template does not use */
	v = mk_generic("dXJsLWJhc2Utc2VjcmV0", "base64", "X-Hook-Sig", "sha1=", HP_VALG_SHA1,
		       HP_VENC_HEX, "{url}{body}", NULL, "X-Delivery",
		       "https://hooks.example.com:8443");
	sreq_init(&t, body, body_len);
	round_trip(v, &t, ID, 0, out);
	expect_ok_at(v, &t, 0, ID);
	/* the id is not signed here: optional */
	assert_true(hp_verify_sign(v, &t.r, TS, NULL, out, sizeof(out)) > 0);
	assert_null(strstr(out, "X-Delivery"));
	hp_verifier_free(v);

	/* the default template {body}, base64, no prefix */
	v = mk_generic("plain", NULL, "X-Body-Sig", NULL, HP_VALG_SHA256, HP_VENC_BASE64, NULL,
		       NULL, NULL, NULL);
	sreq_init(&t, body, body_len);
	round_trip(v, &t, ID, 0, out);
	assert_int_equal(t.r.n_headers, 1);
	hp_verifier_free(v);
}

/* ---- 4. refusals ---- */

static void
test_cannot_sign(void **state)
{
	struct hp_verifier *gl = mk(HP_PROV_GITLAB, "gitlab-token", NULL);
	struct hp_verifier *tw = mk(HP_PROV_TWILIO, "twilio-auth-token", NULL);
	struct hp_verifier *none;
	struct hp_verify_spec spec;
	struct hp_verify_out o;
	char out[OUTCAP];
	struct vt_req t;

	(void)state;
	sreq_init(&t, body, body_len);
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(hp_verify_sign(gl, &t.r, TS, ID, out, sizeof(out)), -1);
	assert_int_equal(out[0], '\0');
	assert_int_equal(hp_verify_sign(tw, &t.r, TS, ID, out, sizeof(out)), -1);

	memset(&spec, 0, sizeof(spec));
	spec.provider = HP_PROV_NONE;
	none = mk_spec(&spec);
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(hp_verify_sign(none, &t.r, TS, ID, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(hp_verify_sign(none, &t.r, TS, NULL, out, 1), 0);
	t.r.n_headers = 0;
	assert_int_equal(hp_verify(none, NULL, &t.r, &o), HP_VR_OK);
	/* no room even for the NUL */
	assert_int_equal(hp_verify_sign(none, &t.r, TS, ID, out, 0), -1);
	assert_int_equal(hp_verify_sign(gl, &t.r, TS, ID, NULL, 64), -1);

	hp_verifier_free(none);
	hp_verifier_free(gl);
	hp_verifier_free(tw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stripe),     cmocka_unit_test(test_github),
		cmocka_unit_test(test_slack_zoom), cmocka_unit_test(test_standard),
		cmocka_unit_test(test_shopify),    cmocka_unit_test(test_twitch),
		cmocka_unit_test(test_paddle),     cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_generic),    cmocka_unit_test(test_cannot_sign),
	};

	mk_body();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
