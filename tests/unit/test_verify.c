/* SPDX-License-Identifier: BSD-3-Clause
 * Webhook signature verification tests (lib/verify).
 *
 * 1. Every vector of tests/corpus/vectors/webhooks.json (the providers' published examples).
 * 2. Official vectors from the providers' docs and official libraries' test suites, each cited
 *    where it is used; "derived" vectors are signed here with OpenSSL's one-shot HMAC() (an
 *    implementation independent of lib/verify's precomputed midstates).
 * 3. Per provider: tampered body, wrong secret, rotation (secret 2 of 3, secret_index),
 *    stale and future timestamps, malformed headers (empty, huge, repeated, bad hex/base64,
 *    truncated), the order of the checks.
 * 4. The generic "hmac" provider reproducing github, slack, stripe-like and standard-webhooks
 *    signatures through templates; create() refusing bad specs with the field named.
 * 5. Zero allocation: OpenSSL's allocator is replaced (CRYPTO_set_mem_functions) by a counting
 *    one, and every hp_verify() of an HMAC scheme in this file runs inside a counting window
 *    that must stay at 0 (run() below). Ed25519 (v1a) is the documented exception.
 * 6. hp_json_top_member(), names, and docs/VERIFY.md naming every reason and provider.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "verify/verify.h"
#include "verify/verify_priv.h"
#include "verify_test.h"

#define SRC(p)      HP_SOURCE_ROOT "/" p
#define VECTORS     HP_SOURCE_ROOT "/tests/corpus/vectors/webhooks.json"
#define TW_MAX_BODY 16384

/* ---- counting allocator ---- */

static size_t n_allocs;
static int counting;

static void *
cnt_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	if (counting)
		n_allocs++;
	return malloc(n);
}

static void *
cnt_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	if (counting)
		n_allocs++;
	return realloc(p, n);
}

static void
cnt_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

/* ---- requests ---- */

static void
treq_init(struct vt_req *t, const char *body, int64_t now)
{
	memset(t, 0, sizeof(*t));
	t->r.method = S("POST");
	t->r.target = S("/hook");
	t->r.host = S("hooks.example.com");
	t->r.headers = t->h;
	t->r.body = (const uint8_t *)body;
	t->r.body_len = body ? strlen(body) : 0;
	t->r.now = now;
}

static void
hdr(struct vt_req *t, const char *name, const char *value)
{
	assert_true(t->r.n_headers < MAX_H);
	t->h[t->r.n_headers].name = S(name);
	t->h[t->r.n_headers].value = S(value);
	t->r.n_headers++;
}

/* ---- verifiers ---- */

static struct hp_verifier *
mk_spec(const struct hp_verify_spec *spec)
{
	struct hp_verifier *v = NULL;
	char err[256] = "";
	int rc = hp_verifier_create(spec, &v, err, sizeof(err));

	if (rc != 0)
		fail_msg("create(%s): %s", hp_provider_name(spec->provider), err);
	assert_non_null(v);
	return v;
}

static struct hp_verifier *
mk(enum hp_provider p, const char *s0, const char *s1, const char *s2, uint32_t tol)
{
	struct hp_verify_spec spec;

	memset(&spec, 0, sizeof(spec));
	spec.provider = p;
	spec.secrets[0] = s0;
	spec.secrets[1] = s1;
	spec.secrets[2] = s2;
	spec.n_secrets = s2 ? 3 : s1 ? 2 : 1;
	spec.tolerance_s = tol;
	return mk_spec(&spec);
}

/* Runs one verification. For every scheme but Ed25519 the call must not allocate: that is the
 * zero-allocation proof, applied to every hp_verify() of this file. */
static enum hp_verify_result
run_ex(const struct hp_verifier *v, struct vt_req *t, struct hp_verify_out *out, bool may_alloc)
{
	struct hp_verify_ctx *c = hp_verify_ctx_create(v);
	struct hp_verify_out o;
	enum hp_verify_result r;

	assert_non_null(c);
	if (out == NULL)
		out = &o;
	n_allocs = 0;
	counting = 1;
	r = hp_verify(v, c, &t->r, out);
	counting = 0;
	if (!may_alloc && n_allocs != 0)
		fail_msg("hp_verify allocated %zu times (result %s)", n_allocs,
			 hp_verify_result_name(r));
	assert_int_equal(out->result, r);
	if (r == HP_VR_OK)
		assert_true(out->secret_index >= 0);
	hp_verify_ctx_free(c);
	return r;
}

static enum hp_verify_result
run(const struct hp_verifier *v, struct vt_req *t, struct hp_verify_out *out)
{
	return run_ex(v, t, out, false);
}

#define expect_r(v, t, want)                                                                       \
	do {                                                                                       \
		enum hp_verify_result _r = run((v), (t), NULL);                                    \
		if (_r != (want))                                                                  \
			fail_msg("line %d: got %s, want %s", __LINE__, hp_verify_result_name(_r),  \
				 hp_verify_result_name(want));                                     \
	} while (0)

/* ---- independent signing (OpenSSL one-shot HMAC) ---- */

static void
to_hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

static void
to_b64(const uint8_t *p, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

static size_t
mac(const EVP_MD *md, const void *key, size_t klen, const char *msg, uint8_t *out)
{
	unsigned int len = 0;

	assert_non_null(HMAC(md, key, (int)klen, (const uint8_t *)msg, strlen(msg), out, &len));
	return len;
}

static void
mac_hex(const EVP_MD *md, const char *key, const char *msg, char *out)
{
	uint8_t m[64];

	to_hex(m, mac(md, key, strlen(key), msg, m), out);
}

static void
mac_b64(const EVP_MD *md, const void *key, size_t klen, const char *msg, char *out)
{
	uint8_t m[64];

	to_b64(m, mac(md, key, klen, msg, m), out);
}

/* ---- 1. the shared vectors file ---- */

static void
test_vectors_file(void **state)
{
	json_error_t jerr;
	json_t *root, *vecs, *vec;
	size_t i;
	FILE *f = fopen(VECTORS, "r");

	(void)state;
	if (f == NULL) /* in the repository (tests/corpus): missing is a failure, not a skip */
		fail_msg("%s not found", VECTORS);
	root = json_loadf(f, 0, &jerr);
	fclose(f);
	if (root == NULL)
		fail_msg("%s:%d: %s", VECTORS, jerr.line, jerr.text);
	vecs = json_object_get(root, "vectors");
	assert_true(json_is_array(vecs));
	assert_true(json_array_size(vecs) > 0);
	json_array_foreach(vecs, i, vec)
	{
		const char *prov = json_string_value(json_object_get(vec, "provider"));
		const char *secret = json_string_value(json_object_get(vec, "secret"));
		const char *body = json_string_value(json_object_get(vec, "body"));
		const char *expect = json_string_value(json_object_get(vec, "expect"));
		json_t *now = json_object_get(vec, "now"), *hs = json_object_get(vec, "headers");
		enum hp_provider p = hp_provider_from_name(prov);
		struct hp_verifier *v;
		struct vt_req t;
		const char *k;
		json_t *hv;
		enum hp_verify_result r;

		assert_int_not_equal(p, HP_PROV__COUNT);
		treq_init(&t, body, now ? (int64_t)json_integer_value(now) : 0);
		json_object_foreach(hs, k, hv) hdr(&t, k, json_string_value(hv));
		v = mk(p, secret, NULL, NULL, hp_provider_default_tolerance(p));
		r = run(v, &t, NULL);
		if (strcmp(expect, "valid") == 0 ? r != HP_VR_OK
						 : strcmp(expect, hp_verify_result_name(r)) != 0)
			fail_msg("vector %zu (%s, %s): got %s, want %s", i, prov,
				 json_string_value(json_object_get(vec, "source")),
				 hp_verify_result_name(r), expect);
		hp_verifier_free(v);
	}
	json_decref(root);
}

/* ---- 2./3. providers ---- */

#define STRIPE_SECRET "whsec_test_secret"
#define STRIPE_BODY                                                                                \
	"{\"id\": \"evt_test_webhook\", \"object\": \"event\", \"data\": {\"id\": \"x\"}}"

/* Derived (stripe-node test/Webhook.spec: generateTestHeaderString signs "<t>.<payload>" with
 * HMAC-SHA256 keyed by the whole secret string, whsec_ included). */
static void
stripe_header(char *out, size_t cap, const char *secret, long t, const char *body,
	      const char *extra)
{
	char msg[4096], hex[129];

	snprintf(msg, sizeof(msg), "%ld.%s", t, body);
	mac_hex(EVP_sha256(), secret, msg, hex);
	snprintf(out, cap, "t=%ld,v1=%s%s", t, hex, extra ? extra : "");
}

/* Rotation: a worker's context tries the secret that matched last first. Observable in the
 * index of a request signed by two secrets (a fresh context reports the first in the list, a
 * context that learnt the other one reports that one), and a request signed by any other
 * secret, or by none, is judged exactly as before. */
static enum hp_verify_result
run_in(const struct hp_verifier *v, struct hp_verify_ctx *c, const char *sig_hdr, long now,
       struct hp_verify_out *out)
{
	enum hp_verify_result r;
	struct vt_req t;

	treq_init(&t, STRIPE_BODY, now);
	hdr(&t, "Stripe-Signature", sig_hdr);
	n_allocs = 0;
	counting = 1;
	r = hp_verify(v, c, &t.r, out);
	counting = 0;
	assert_int_equal(n_allocs, 0);
	assert_int_equal(out->result, r);
	return r;
}

static void
test_rotation_last_match_first(void **state)
{
	static const char *const sec[3] = {"whsec_a", "whsec_b", "whsec_c"};
	struct hp_verifier *rot = mk(HP_PROV_STRIPE, sec[0], sec[1], sec[2], 300);
	struct hp_verify_ctx *c = hp_verify_ctx_create(rot);
	const long now = 1700000000;
	char by[3][512], both[1024], forged[512];
	struct hp_verify_out out;

	(void)state;
	assert_non_null(c);
	for (int i = 0; i < 3; i++)
		stripe_header(by[i], sizeof(by[i]), sec[i], now, STRIPE_BODY, NULL);
	/* signed by a and by c (a sender that signs with both during its rollover) */
	snprintf(both, sizeof(both), "%s,%s", by[0], strstr(by[2], "v1="));
	stripe_header(forged, sizeof(forged), "whsec_x", now, STRIPE_BODY, NULL);

	assert_int_equal(run_in(rot, NULL, both, now, &out), HP_VR_OK);
	assert_int_equal(out.secret_index, 0); /* no context: in order */
	assert_int_equal(run_in(rot, c, both, now, &out), HP_VR_OK);
	assert_int_equal(out.secret_index, 0); /* a fresh context: in order too */

	assert_int_equal(run_in(rot, c, by[2], now, &out), HP_VR_OK);
	assert_int_equal(out.secret_index, 2);
	assert_int_equal(run_in(rot, c, both, now, &out), HP_VR_OK);
	assert_int_equal(out.secret_index, 2); /* c is tried first now */

	assert_int_equal(run_in(rot, c, forged, now, &out), HP_VR_BAD_SIGNATURE);
	assert_int_equal(out.secret_index, -1);
	assert_int_equal(run_in(rot, c, both, now, &out), HP_VR_OK);
	assert_int_equal(out.secret_index, 2); /* a forgery teaches nothing */

	assert_int_equal(run_in(rot, c, by[1], now, &out), HP_VR_OK);
	assert_int_equal(out.secret_index, 1); /* found after c */
	assert_int_equal(run_in(rot, c, both, now, &out), HP_VR_OK);
	assert_int_equal(out.secret_index, 0); /* b first, then the list's order: a */
	assert_int_equal(run_in(rot, c, by[2], now, &out), HP_VR_OK);
	assert_int_equal(out.secret_index, 2);
	assert_int_equal(run_in(rot, c, by[1], now, &out), HP_VR_OK);
	assert_int_equal(out.secret_index, 1);

	hp_verify_ctx_free(c);
	hp_verifier_free(rot);
}

static void
test_stripe(void **state)
{
	struct hp_verifier *v = mk(HP_PROV_STRIPE, STRIPE_SECRET, NULL, NULL, 300);
	struct hp_verifier *rot = mk(HP_PROV_STRIPE, "whsec_a", STRIPE_SECRET, "whsec_c", 300);
	struct hp_verifier *notol = mk(HP_PROV_STRIPE, STRIPE_SECRET, NULL, NULL, 0);
	const long now = 1700000000;
	char h[8192], h2[512], big[8192];
	struct hp_verify_out out;
	struct vt_req t;

	(void)state;
	stripe_header(h, sizeof(h), STRIPE_SECRET, now, STRIPE_BODY, NULL);
	treq_init(&t, STRIPE_BODY, now + 10);
	hdr(&t, "Stripe-Signature", h);
	assert_int_equal(run(v, &t, &out), HP_VR_OK);
	assert_int_equal(out.secret_index, 0);
	assert_int_equal(out.timestamp, now);
	assert_int_equal(out.webhook_id.len, strlen("evt_test_webhook"));
	assert_memory_equal(out.webhook_id.p, "evt_test_webhook", out.webhook_id.len);
	/* header name is case-insensitive */
	t.h[0].name = S("stripe-signature");
	expect_r(v, &t, HP_VR_OK);

	/* rotation: valid with secret 2 of 3 */
	assert_int_equal(run(rot, &t, &out), HP_VR_OK);
	assert_int_equal(out.secret_index, 1);

	/* tampered body, wrong secret */
	t.r.body_len--;
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);
	t.r.body_len++;
	{
		struct hp_verifier *w = mk(HP_PROV_STRIPE, "whsec_other", NULL, NULL, 300);

		expect_r(w, &t, HP_VR_BAD_SIGNATURE);
		hp_verifier_free(w);
	}

	/* several v1, any may match; unknown schemes (v0) ignored */
	{
		char good[200];

		snprintf(good, sizeof(good), ",v1=%s", strstr(h, "v1=") + 3);
		stripe_header(h2, sizeof(h2), "whsec_wrong", now, STRIPE_BODY, good);
		strcat(h2, ",v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39");
		treq_init(&t, STRIPE_BODY, now);
		hdr(&t, "Stripe-Signature", h2);
		expect_r(v, &t, HP_VR_OK);
	}

	/* stale and future; stripe checks the signature before the window */
	treq_init(&t, STRIPE_BODY, now + 301);
	hdr(&t, "Stripe-Signature", h);
	expect_r(v, &t, HP_VR_STALE_TIMESTAMP);
	expect_r(notol, &t, HP_VR_OK);
	t.r.now = now + 300;
	expect_r(v, &t, HP_VR_OK);
	t.r.now = now - 301;
	expect_r(v, &t, HP_VR_FUTURE_TIMESTAMP);
	t.r.now = now + 100000;
	t.r.body_len--;
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);

	/* malformed */
	static const struct {
		const char *h;
		enum hp_verify_result r;
	} bad[] = {
		{"", HP_VR_MISSING_SIGNATURE},
		{"t=1700000000", HP_VR_MALFORMED_SIGNATURE},
		{"t=1700000000,v0=abcd", HP_VR_MALFORMED_SIGNATURE},
		{"v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
		 HP_VR_MISSING_TIMESTAMP},
		{"t=,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
		 HP_VR_MALFORMED_TIMESTAMP},
		{"t=17x,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
		 HP_VR_MALFORMED_TIMESTAMP},
		{"t=-5,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
		 HP_VR_MALFORMED_TIMESTAMP},
		{"t=99999999999999999999,v1="
		 "5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e"
		 "108d8bd",
		 HP_VR_MALFORMED_TIMESTAMP},
		{"t=1,t=2,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
		 HP_VR_MALFORMED_SIGNATURE},
		/* bad hex, truncated, too long */
		{"t=1700000000,v1=zz57a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
		 HP_VR_MALFORMED_SIGNATURE},
		{"t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8b",
		 HP_VR_MALFORMED_SIGNATURE},
		{"t=1700000000,v1="
		 "5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd00",
		 HP_VR_MALFORMED_SIGNATURE},
		{"t=1700000000,v1=", HP_VR_MALFORMED_SIGNATURE},
		/* no trimming, like stripe-node: " v1" is an unknown scheme */
		{"t=1700000000, "
		 "v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
		 HP_VR_MALFORMED_SIGNATURE},
		{",,,,", HP_VR_MALFORMED_SIGNATURE},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		treq_init(&t, STRIPE_BODY, now);
		hdr(&t, "Stripe-Signature", bad[i].h);
		if (run(v, &t, NULL) != bad[i].r)
			fail_msg("stripe bad[%zu] %s: got %s", i, bad[i].h,
				 hp_verify_result_name(run(v, &t, NULL)));
	}
	/* no header; repeated header */
	treq_init(&t, STRIPE_BODY, now);
	expect_r(v, &t, HP_VR_MISSING_SIGNATURE);
	hdr(&t, "Stripe-Signature", h);
	hdr(&t, "Stripe-Signature", h);
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);
	/* more than HP_VERIFY_MAX_SIGS v1 entries, and a huge header */
	stripe_header(big, sizeof(big), STRIPE_SECRET, now, STRIPE_BODY, NULL);
	for (int i = 0; i < HP_VERIFY_MAX_SIGS; i++)
		strcat(big, ",v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd");
	treq_init(&t, STRIPE_BODY, now);
	hdr(&t, "Stripe-Signature", big);
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	t.h[0].value = S(big);
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);
	for (size_t i = 0; i < sizeof(big) - 1; i++)
		big[i] = (i % 2) ? ',' : 'x';
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);

	hp_verifier_free(v);
	hp_verifier_free(rot);
	hp_verifier_free(notol);
}

static void
test_github(void **state)
{
	/* https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries */
	struct hp_verifier *v = mk(HP_PROV_GITHUB, "It's a Secret to Everybody", NULL, NULL, 0);
	/* octokit/webhooks-methods.js test/verify.test.ts: secret "mysecret", payload
	 * JSON.stringify({foo: "bar"}, null, 2) + "\n" */
	struct hp_verifier *ok = mk(HP_PROV_GITHUB, "mysecret", NULL, NULL, 0);
	/* same file, "special characters (#71)": secret "development" */
	struct hp_verifier *dev = mk(HP_PROV_GITHUB, "development", NULL, NULL, 0);
	struct hp_verify_spec spec;
	struct hp_verifier *sha1;
	struct hp_verify_out out;
	char h1[128];
	struct vt_req t;

	(void)state;
	treq_init(&t, "Hello, World!", 0);
	hdr(&t, "X-Hub-Signature-256",
	    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
	hdr(&t, "X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958");
	assert_int_equal(run(v, &t, &out), HP_VR_OK);
	assert_int_equal(out.timestamp, 0);
	assert_int_equal(out.webhook_id.len, 36);
	assert_memory_equal(out.webhook_id.p, "72d3162e", 8);
	/* upper-case hex is the same signature */
	t.h[0].value = S("sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17");
	expect_r(v, &t, HP_VR_OK);
	t.h[0].value = S("sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);
	t.h[0].value = S("757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);
	t.h[0].value = S("sha256=");
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);
	t.h[0].value = S("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1");
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);
	/* repeated delivery header: not reported (unsigned); repeated signature: refused */
	t.h[0].value = S("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
	hdr(&t, "X-GitHub-Delivery", "other");
	assert_int_equal(run(v, &t, &out), HP_VR_OK);
	assert_int_equal(out.webhook_id.len, 0);
	hdr(&t, "x-hub-signature-256",
	    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);

	treq_init(&t, "{\n  \"foo\": \"bar\"\n}\n", 0);
	hdr(&t, "X-Hub-Signature-256",
	    "sha256=e3eccac34c43c7dc1cbb905488b1b81347fcc700a7b025697a9d07862256023f");
	expect_r(ok, &t, HP_VR_OK);
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);
	t.h[0].value = S("sha256=xxxccac34c43c7dc1cbb905488b1b81347fcc700a7b025697a9d07862256023f");
	expect_r(ok, &t, HP_VR_MALFORMED_SIGNATURE);
	t.h[0].value = S("foo");
	expect_r(ok, &t, HP_VR_MALFORMED_SIGNATURE);
	treq_init(&t,
		  "{\n  \"foo\": \"Foo\\n\\u001B[34mbar: \xe2\x99\xa5\xe2\x99\xa5\xe2\x99\xa5"
		  "\xe2\x99\xa5\xe2\x99\xa5\xe2\x99\xa5\xe2\x99\xa5\xe2\x99\xa5\\nthis-is-lost"
		  "\\u001B[0m\\u001B[2K\"\n}\n",
		  0);
	hdr(&t, "X-Hub-Signature-256",
	    "sha256=9dacf9003316b09be07df56d86a2d0d6872e42a1e6c72c3bad9ff915a7c5603e");
	expect_r(dev, &t, HP_VR_OK);

	/* legacy sha1: only with allow_sha1, only without a sha256 header (derived) */
	mac_hex(EVP_sha1(), "It's a Secret to Everybody", "Hello, World!", h1 + 5);
	memcpy(h1, "sha1=", 5);
	treq_init(&t, "Hello, World!", 0);
	hdr(&t, "X-Hub-Signature", h1);
	expect_r(v, &t, HP_VR_UNSUPPORTED);
	memset(&spec, 0, sizeof(spec));
	spec.provider = HP_PROV_GITHUB;
	spec.secrets[0] = "wrong";
	spec.secrets[1] = "It's a Secret to Everybody";
	spec.n_secrets = 2;
	spec.allow_sha1 = true;
	sha1 = mk_spec(&spec);
	assert_int_equal(run(sha1, &t, &out), HP_VR_OK);
	assert_int_equal(out.secret_index, 1);
	t.r.body_len--;
	expect_r(sha1, &t, HP_VR_BAD_SIGNATURE);
	t.r.body_len++;
	hdr(&t, "X-Hub-Signature-256",
	    "sha256=0000000000000000000000000000000000000000000000000000000000000000");
	expect_r(sha1, &t, HP_VR_BAD_SIGNATURE); /* sha256 present: sha1 not looked at */
	treq_init(&t, "Hello, World!", 0);
	hdr(&t, "X-Hub-Signature", "sha256=00");
	expect_r(sha1, &t, HP_VR_MALFORMED_SIGNATURE);
	treq_init(&t, "Hello, World!", 0);
	expect_r(sha1, &t, HP_VR_MISSING_SIGNATURE);
	hdr(&t, "X-Hub-Signature-256", "");
	expect_r(sha1, &t, HP_VR_MISSING_SIGNATURE);

	hp_verifier_free(v);
	hp_verifier_free(ok);
	hp_verifier_free(dev);
	hp_verifier_free(sha1);
}

/* https://api.slack.com/authentication/verifying-requests-from-slack (also in webhooks.json) */
#define SLACK_SECRET "8f742231b10e8888abcd99yyyzzz85a5"
#define SLACK_BODY                                                                                 \
	"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PS" \
	"S9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-coll" \
	"ect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F3977008855" \
	"54%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447" \
	"fce8b6703c"
#define SLACK_SIG "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

static void
test_slack(void **state)
{
	struct hp_verifier *v = mk(HP_PROV_SLACK, "old", SLACK_SECRET, "other", 300);
	struct hp_verify_out out;
	struct vt_req t;

	(void)state;
	treq_init(&t, SLACK_BODY, 1531420618);
	hdr(&t, "X-Slack-Request-Timestamp", "1531420618");
	hdr(&t, "X-Slack-Signature", SLACK_SIG);
	assert_int_equal(run(v, &t, &out), HP_VR_OK);
	assert_int_equal(out.secret_index, 1);
	assert_int_equal(out.timestamp, 1531420618);
	assert_int_equal(out.webhook_id.len, 0);
	t.r.now += 301;
	expect_r(v, &t, HP_VR_STALE_TIMESTAMP);
	t.r.now = 1531420618 - 301;
	expect_r(v, &t, HP_VR_FUTURE_TIMESTAMP);
	/* slack's SDKs check the window first: stale wins over a bad signature */
	t.r.now = 1531420618 + 1000;
	t.r.body_len--;
	expect_r(v, &t, HP_VR_STALE_TIMESTAMP);
	t.r.now = 1531420618;
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);
	t.r.body_len++;
	t.h[0].value = S("1531420619");
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);
	t.h[0].value = S("");
	expect_r(v, &t, HP_VR_MISSING_TIMESTAMP);
	t.h[0].value = S("1531420618.5");
	expect_r(v, &t, HP_VR_MALFORMED_TIMESTAMP);
	t.h[0].value = S("1531420618");
	hdr(&t, "X-Slack-Request-Timestamp", "1531420618");
	expect_r(v, &t, HP_VR_MALFORMED_TIMESTAMP);
	treq_init(&t, SLACK_BODY, 1531420618);
	hdr(&t, "X-Slack-Signature", SLACK_SIG);
	expect_r(v, &t, HP_VR_MISSING_TIMESTAMP);
	t.h[0].value = S("v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503");
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);
	/* Events API: event_id from the body */
	{
		const char *body = "{\"token\":\"x\",\"event_id\":\"Ev123\",\"event\":{}}";
		char sig[80] = "v0=", msg[256];

		snprintf(msg, sizeof(msg), "v0:1531420618:%s", body);
		mac_hex(EVP_sha256(), SLACK_SECRET, msg, sig + 3);
		treq_init(&t, body, 1531420618);
		hdr(&t, "X-Slack-Request-Timestamp", "1531420618");
		hdr(&t, "X-Slack-Signature", sig);
		assert_int_equal(run(v, &t, &out), HP_VR_OK);
		assert_int_equal(out.webhook_id.len, 5);
		assert_memory_equal(out.webhook_id.p, "Ev123", 5);
	}
	hp_verifier_free(v);
}

/* standard-webhooks libraries' test suites (e.g. libraries/javascript/src/webhook.test.ts,
 * libraries/go/webhooks_test.go): this secret, id, timestamp, payload and signature. */
#define SW_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SW_ID     "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SW_TS     "1614265330"
#define SW_BODY   "{\"test\": 2432232314}"
#define SW_SIG    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

static void
sw_req(struct vt_req *t, const char *pfx, const char *sig, int64_t now)
{
	char n[3][32];
	static char names[3][32];

	snprintf(n[0], 32, "%s-id", pfx);
	snprintf(n[1], 32, "%s-timestamp", pfx);
	snprintf(n[2], 32, "%s-signature", pfx);
	memcpy(names, n, sizeof(names));
	treq_init(t, SW_BODY, now);
	hdr(t, names[0], SW_ID);
	hdr(t, names[1], SW_TS);
	hdr(t, names[2], sig);
}

static void
test_standard(void **state)
{
	struct hp_verifier *v = mk(HP_PROV_STANDARD, SW_SECRET, NULL, NULL, 300);
	struct hp_verifier *nopfx =
		mk(HP_PROV_STANDARD, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", NULL, NULL, 300);
	struct hp_verifier *rot = mk(HP_PROV_SVIX, "whsec_AAAA", SW_SECRET, "whsec_BBBB", 300);
	const int64_t now = 1614265330;
	struct hp_verify_out out;
	struct vt_req t;

	(void)state;
	sw_req(&t, "webhook", SW_SIG, now);
	assert_int_equal(run(v, &t, &out), HP_VR_OK);
	assert_int_equal(out.timestamp, now);
	assert_int_equal(out.webhook_id.len, strlen(SW_ID));
	expect_r(nopfx, &t, HP_VR_OK);
	assert_int_equal(run(rot, &t, &out), HP_VR_OK);
	assert_int_equal(out.secret_index, 1);
	/* svix-* aliases, both providers */
	sw_req(&t, "svix", SW_SIG, now);
	expect_r(v, &t, HP_VR_OK);
	expect_r(rot, &t, HP_VR_OK);
	/* several entries, any may match, unknown versions skipped, runs of spaces */
	sw_req(&t, "webhook", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=  v2,abc " SW_SIG,
	       now);
	expect_r(v, &t, HP_VR_OK);
	sw_req(&t, "webhook", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", now);
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);
	/* window: +-300 s, checked before the signature (standard-webhooks verify order) */
	sw_req(&t, "webhook", SW_SIG, now + 670);
	expect_r(v, &t, HP_VR_STALE_TIMESTAMP);
	sw_req(&t, "webhook", SW_SIG, now - 301);
	expect_r(v, &t, HP_VR_FUTURE_TIMESTAMP);
	sw_req(&t, "webhook", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", now + 1000);
	expect_r(v, &t, HP_VR_STALE_TIMESTAMP);
	/* tampered */
	sw_req(&t, "webhook", SW_SIG, now);
	t.h[0].value = S("msg_p5jXN8AQM9LWM0D4loKWxJeK");
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);
	sw_req(&t, "webhook", SW_SIG, now);
	t.r.body_len--;
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);
	/* malformed */
	static const struct {
		const char *sig;
		enum hp_verify_result r;
	} bad[] = {
		{"", HP_VR_MISSING_SIGNATURE},
		{"v2,abc", HP_VR_MALFORMED_SIGNATURE},
		{"g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", HP_VR_MALFORMED_SIGNATURE},
		{"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE", HP_VR_MALFORMED_SIGNATURE},
		{"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1O==", HP_VR_MALFORMED_SIGNATURE},
		{"v1,g0hM9SsE-OTPJTGt_tmIKtSyZlE3uFJELVlNIOLJ1OE=", HP_VR_MALFORMED_SIGNATURE},
		{"v1,", HP_VR_MALFORMED_SIGNATURE},
		{"v1,AAAA", HP_VR_MALFORMED_SIGNATURE},
		{"v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", HP_VR_MALFORMED_SIGNATURE},
		{"v1 g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", HP_VR_MALFORMED_SIGNATURE},
		{"     ", HP_VR_MALFORMED_SIGNATURE},
		{"a b c d e f g h i", HP_VR_MALFORMED_SIGNATURE}, /* > HP_VERIFY_MAX_SIGS entries */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sw_req(&t, "webhook", bad[i].sig, now);
		if (run(v, &t, NULL) != bad[i].r)
			fail_msg("standard bad[%zu] '%s': got %s", i, bad[i].sig,
				 hp_verify_result_name(run(v, &t, NULL)));
	}
	sw_req(&t, "webhook", SW_SIG, now);
	t.h[0].value = S("");
	expect_r(v, &t, HP_VR_MISSING_ID);
	sw_req(&t, "webhook", SW_SIG, now);
	t.h[1].value = S("");
	expect_r(v, &t, HP_VR_MISSING_TIMESTAMP);
	t.h[1].value = S("1614265330x");
	expect_r(v, &t, HP_VR_MALFORMED_TIMESTAMP);
	sw_req(&t, "webhook", SW_SIG, now);
	hdr(&t, "webhook-id", SW_ID);
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);
	sw_req(&t, "webhook", SW_SIG, now);
	hdr(&t, "webhook-timestamp", SW_TS);
	expect_r(v, &t, HP_VR_MALFORMED_TIMESTAMP);
	/* a v1a entry is known but needs a whpk_ key: only v1a sent to an HMAC verifier */
	{
		static const uint8_t zero[64];
		char a[100] = "v1a,";

		to_b64(zero, 64, a + 4);
		sw_req(&t, "webhook", a, now);
		expect_r(v, &t, HP_VR_UNSUPPORTED);
	}

	hp_verifier_free(v);
	hp_verifier_free(nopfx);
	hp_verifier_free(rot);
}

/* v1a: Ed25519 (standard-webhooks spec "Asymmetric signatures"). Derived: a key pair made
 * here, the signature by OpenSSL's EVP_DigestSign. */
static void
test_standard_ed25519(void **state)
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t pub[32], sig[64];
	size_t pl = sizeof(pub), sl = sizeof(sig);
	char secret[80] = "whpk_", sigh[200] = "v1a,", msg[256];
	struct hp_verifier *v, *mixed;
	struct hp_verify_out out;
	struct vt_req t;
	const int64_t now = 1614265330;

	(void)state;
	assert_int_equal(EVP_PKEY_keygen_init(kc), 1);
	assert_int_equal(EVP_PKEY_keygen(kc, &k), 1);
	assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &pl), 1);
	to_b64(pub, 32, secret + 5);
	snprintf(msg, sizeof(msg), "%s.%s.%s", SW_ID, SW_TS, SW_BODY);
	assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &sl, (const uint8_t *)msg, strlen(msg)), 1);
	to_b64(sig, 64, sigh + 4);

	v = mk(HP_PROV_STANDARD, secret, NULL, NULL, 300);
	sw_req(&t, "webhook", sigh, now);
	assert_int_equal(run_ex(v, &t, &out, true), HP_VR_OK);
	assert_int_equal(out.secret_index, 0);
	t.r.body_len--;
	assert_int_equal(run_ex(v, &t, NULL, true), HP_VR_BAD_SIGNATURE);
	/* a v1 entry only, to an Ed25519-only verifier */
	sw_req(&t, "webhook", SW_SIG, now);
	assert_int_equal(run_ex(v, &t, NULL, true), HP_VR_UNSUPPORTED);
	/* mixed rotation: HMAC secret first, Ed25519 second; both entries sent */
	mixed = mk(HP_PROV_STANDARD, "whsec_AAAA", secret, NULL, 300);
	snprintf(msg, sizeof(msg), "%s %s", SW_SIG, sigh);
	sw_req(&t, "webhook", msg, now);
	assert_int_equal(run_ex(mixed, &t, &out, true), HP_VR_OK);
	assert_int_equal(out.secret_index, 1);
	/* no context: the Ed25519 path is unavailable, said so */
	sw_req(&t, "webhook", sigh, now);
	assert_int_equal(hp_verify(v, NULL, &t.r, &out), HP_VR_UNSUPPORTED);

	hp_verifier_free(v);
	hp_verifier_free(mixed);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(kc);
}

/* Shopify: derived (https://shopify.dev/docs/apps/build/webhooks/subscribe/https "Verify the
 * webhook": base64 HMAC-SHA256 of the raw body with the app's client secret). */
static void
test_shopify(void **state)
{
	const char *body = "{\"id\":820982911946154508,\"email\":\"jon@example.com\"}";
	struct hp_verifier *v = mk(HP_PROV_SHOPIFY, "a", "b", "hush", 0);
	struct hp_verify_out out;
	char sig[64];
	struct vt_req t;

	(void)state;
	mac_b64(EVP_sha256(), "hush", 4, body, sig);
	treq_init(&t, body, 0);
	hdr(&t, "X-Shopify-Hmac-Sha256", sig);
	hdr(&t, "X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");
	assert_int_equal(run(v, &t, &out), HP_VR_OK);
	assert_int_equal(out.secret_index, 2);
	assert_int_equal(out.webhook_id.len, 36);
	t.r.body_len--;
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);
	t.r.body_len++;
	sig[43] = '\0'; /* padding dropped */
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);
	t.h[0].value = S("!!!!");
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);
	t.h[0].value = S("AAAA");
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);
	hp_verifier_free(v);
}

/* Twilio: twilio-python tests/unit/test_request_validator.py (token "12345"). */
#define TW_PARAMS                                                                                  \
	"CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309&To=%2B18005551212&Caller=%2B14" \
	"158675309"

static void
tw_req(struct vt_req *t, const char *target, const char *host, const char *ct, const char *body,
       const char *sig)
{
	treq_init(t, body, 0);
	t->r.target = S(target);
	t->r.host = S(host);
	if (ct)
		hdr(t, "Content-Type", ct);
	hdr(t, "X-Twilio-Signature", sig);
	hdr(t, "I-Twilio-Idempotency-Token", "6e4bf4b0-0123-4567-89ab-cdef01234567");
}

static void
test_twilio(void **state)
{
	struct hp_verify_spec spec;
	struct hp_verifier *v, *v1234, *vhttp, *vhost;
	struct hp_verify_out out;
	const char *form = "application/x-www-form-urlencoded";
	struct vt_req t;

	(void)state;
	memset(&spec, 0, sizeof(spec));
	spec.provider = HP_PROV_TWILIO;
	spec.secrets[0] = "nope";
	spec.secrets[1] = "12345";
	spec.n_secrets = 2;
	spec.url_base = "https://mycompany.com";
	v = mk_spec(&spec);
	spec.url_base = "https://mycompany.com:1234/";
	v1234 = mk_spec(&spec);
	spec.url_base = "http://mycompany.com:1234";
	vhttp = mk_spec(&spec);
	spec.url_base = NULL;
	vhost = mk_spec(&spec);

	/* test_compute_signature / test_validation */
	tw_req(&t, "/myapp.php?foo=1&bar=2", "x", form, TW_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
	assert_int_equal(run(v, &t, &out), HP_VR_OK);
	assert_int_equal(out.secret_index, 1);
	assert_int_equal(out.webhook_id.len, 36);
	{
		/* a worker's context learns the secret that matched (tried first next time); a
		 * bad signature teaches it nothing */
		struct hp_verify_ctx *c = hp_verify_ctx_create(v);

		assert_non_null(c);
		assert_int_equal(c->first_secret, 0);
		assert_int_equal(hp_verify(v, c, &t.r, &out), HP_VR_OK);
		assert_int_equal(out.secret_index, 1);
		assert_int_equal(c->first_secret, 1);
		assert_int_equal(hp_verify(v, c, &t.r, &out), HP_VR_OK);
		assert_int_equal(out.secret_index, 1);
		t.h[1].value = S("AAAADt4T1cUTdK1PDd93/VVr8B8=");
		assert_int_equal(hp_verify(v, c, &t.r, &out), HP_VR_BAD_SIGNATURE);
		assert_int_equal(c->first_secret, 1);
		t.h[1].value = S("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
		hp_verify_ctx_free(c);
	}
	/* charset parameter, upper case content type */
	t.h[0].value = S("Application/X-WWW-Form-Urlencoded; charset=utf-8");
	expect_r(v, &t, HP_VR_OK);
	/* test_validation_removes_port_on_https */
	expect_r(v1234, &t, HP_VR_OK);
	/* test_validation_adds_port_on_https */
	t.h[1].value = S("kvajT1Ptam85bY51eRf/AJRuM3w=");
	expect_r(v, &t, HP_VR_OK);
	/* test_validation_removes_port_on_http (hash of the http URL with port 1234) */
	t.h[1].value = S("Zmvh+3yNM1Phv2jhDCwEM3q5ebU=");
	expect_r(vhttp, &t, HP_VR_OK);
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);
	/* ... and the same from the Host header when no url_base is set */
	t.r.host = S("mycompany.com:1234");
	expect_r(vhost, &t, HP_VR_OK);
	/* test_validation_adds_port_on_http (hash of the URL with port 80) */
	t.h[1].value = S("0ZXoZLH/DfblKGATFgpif+LLRf4=");
	t.r.host = S("mycompany.com");
	expect_r(vhost, &t, HP_VR_OK);
	t.r.host = S("");
	expect_r(vhost, &t, HP_VR_UNSUPPORTED);
	/* test_compute_signature_duplicate_query_dict: repeated names, values sorted */
	tw_req(&t, "/myapp.php?foo=1&bar=2", "x", form,
	       "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234",
	       "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
	expect_r(v, &t, HP_VR_OK);
	/* the docs' example: https://www.twilio.com/docs/usage/security (api-snippets
	 * security/signature_validation, 3.x), params reordered, an empty component, '+' unencoded
	 * in a value would be a space: here %2B */
	tw_req(&t, "/myapp.php?foo=1&bar=2", "x", form,
	       "To=%2B18005551212&&Caller=%2B14158675310&Digits=1234&From=%2B14158675310&"
	       "CallSid=CA1234567890ABCDE",
	       "GvWf1cFY/Q7PnoempGyD5oXAezc=");
	expect_r(v, &t, HP_VR_OK);
	/* tampered: a parameter changed, the URL changed */
	tw_req(&t, "/myapp.php?foo=1&bar=2", "x", form, TW_PARAMS "&Extra=1",
	       "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);
	tw_req(&t, "/myapp.php?foo=1&bar=3", "x", form, TW_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);
	/* test_validation_of_body_succeeds: JSON body, bodySHA256 in the URL */
	tw_req(&t,
	       "/myapp.php?foo=1&bar=2&bodySHA256="
	       "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620",
	       "x", "application/json", "{\"property\": \"value\", \"boolean\": true}",
	       "a9nBmqA0ju/hNViExpshrM61xv4=");
	expect_r(v, &t, HP_VR_OK);
	t.r.body_len--; /* body no longer matches its hash */
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);
	t.r.body_len++;
	tw_req(&t,
	       "/myapp.php?foo=1&bar=2&bodySHA256="
	       "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e662",
	       "x", "application/json", "{\"property\": \"value\", \"boolean\": true}",
	       "a9nBmqA0ju/hNViExpshrM61xv4=");
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);
	/* a JSON body without bodySHA256 is not covered by any signature */
	tw_req(&t, "/myapp.php?foo=1&bar=2", "x", "application/json", "{}",
	       "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
	expect_r(v, &t, HP_VR_UNSUPPORTED);
	/* malformed signature */
	tw_req(&t, "/myapp.php", "x", form, TW_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8");
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);
	tw_req(&t, "/myapp.php", "x", form, TW_PARAMS, "");
	expect_r(v, &t, HP_VR_MISSING_SIGNATURE);
	/* many parameters: bounded */
	{
		static char big[TW_MAX_BODY];

		big[0] = '\0';
		for (int i = 0; i < 300; i++)
			snprintf(big + strlen(big), sizeof(big) - strlen(big), "k%d=v&", 300 - i);
		tw_req(&t, "/myapp.php", "x", form, big, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
		expect_r(v, &t, HP_VR_UNSUPPORTED);
	}
	/* a derived vector over many reversed parameters (sorting) */
	{
		static char body[TW_MAX_BODY], msg[TW_MAX_BODY];
		char sig[64];

		body[0] = '\0';
		strcpy(msg, "https://mycompany.com/p");
		for (int i = 200; i > 0; i--) {
			snprintf(body + strlen(body), sizeof(body) - strlen(body),
				 "%sp%03d=a+b%%21", i < 200 ? "&" : "", i);
		}
		for (int i = 1; i <= 200; i++)
			snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "p%03da b!", i);
		mac_b64(EVP_sha1(), "12345", 5, msg, sig);
		tw_req(&t, "/p", "x", form, body, sig);
		expect_r(v, &t, HP_VR_OK);
	}

	hp_verifier_free(v);
	hp_verifier_free(v1234);
	hp_verifier_free(vhttp);
	hp_verifier_free(vhost);
}

/* Zoom: derived (https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events:
 * "v0=" + hex HMAC-SHA256(secret token, "v0:{x-zm-request-timestamp}:{body}")). */
static void
test_zoom(void **state)
{
	const char *body =
		"{\"event\":\"meeting.started\",\"payload\":{},\"event_ts\":1658940994914}";
	struct hp_verifier *v = mk(HP_PROV_ZOOM, "zoom_secret_token", NULL, NULL, 300);
	char sig[80] = "v0=", msg[256];
	struct hp_verify_out out;
	struct vt_req t;

	(void)state;
	snprintf(msg, sizeof(msg), "v0:1658940994:%s", body);
	mac_hex(EVP_sha256(), "zoom_secret_token", msg, sig + 3);
	treq_init(&t, body, 1658940994);
	hdr(&t, "x-zm-request-timestamp", "1658940994");
	hdr(&t, "x-zm-signature", sig);
	assert_int_equal(run(v, &t, &out), HP_VR_OK);
	assert_int_equal(out.timestamp, 1658940994);
	t.r.now += 301;
	expect_r(v, &t, HP_VR_STALE_TIMESTAMP);
	t.r.body_len--; /* signature first: bad wins over stale */
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);
	t.r.body_len++;
	t.r.now = 1658940994 - 301;
	expect_r(v, &t, HP_VR_FUTURE_TIMESTAMP);
	t.h[1].value = S("v0=zz");
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);
	hp_verifier_free(v);
}

/* Twitch: derived (https://dev.twitch.tv/docs/eventsub/handling-webhook-events/
 * #verifying-the-event-message: "sha256=" + hex HMAC-SHA256(id + timestamp + body)). */
static void
test_twitch(void **state)
{
	const char *body = "{\"subscription\":{\"type\":\"channel.follow\"},\"event\":{}}";
	const char *ts = "2019-11-16T10:11:12.634234626Z";
	const char *id = "e76c6bd4-55c9-4987-8304-da1588d8988b";
	const int64_t t0 = 1573899072; /* 2019-11-16T10:11:12Z */
	struct hp_verifier *v = mk(HP_PROV_TWITCH, "s3cre7", NULL, NULL, 600);
	char sig[80] = "sha256=", msg[256];
	struct hp_verify_out out;
	struct vt_req t;

	(void)state;
	snprintf(msg, sizeof(msg), "%s%s%s", id, ts, body);
	mac_hex(EVP_sha256(), "s3cre7", msg, sig + 7);
	treq_init(&t, body, t0 + 600);
	hdr(&t, "Twitch-Eventsub-Message-Id", id);
	hdr(&t, "Twitch-Eventsub-Message-Timestamp", ts);
	hdr(&t, "Twitch-Eventsub-Message-Signature", sig);
	assert_int_equal(run(v, &t, &out), HP_VR_OK);
	assert_int_equal(out.timestamp, t0);
	assert_int_equal(out.webhook_id.len, strlen(id));
	t.r.now = t0 + 601;
	expect_r(v, &t, HP_VR_STALE_TIMESTAMP);
	t.r.now = t0 - 601;
	expect_r(v, &t, HP_VR_FUTURE_TIMESTAMP);
	t.r.now = t0;
	t.h[0].value = S("e76c6bd4-55c9-4987-8304-da1588d8988c");
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);
	t.h[0].value = S("");
	expect_r(v, &t, HP_VR_MISSING_ID);
	t.h[0].value = S(id);
	t.h[1].value = S("1573899072");
	expect_r(v, &t, HP_VR_MALFORMED_TIMESTAMP);
	t.h[1].value = S("2019-02-29T10:11:12Z");
	expect_r(v, &t, HP_VR_MALFORMED_TIMESTAMP);
	/* another spelling of the same instant: parsed alike, but signed bytes differ */
	t.h[1].value = S("2019-11-16T12:11:12.634234626+02:00");
	assert_int_equal(run(v, &t, &out), HP_VR_BAD_SIGNATURE);
	assert_int_equal(out.timestamp, t0);
	hp_verifier_free(v);
}

/* Paddle: paddle-node-sdk src/__tests__/notifications/webhooks-validator.test.ts
 * (secret "VALID_SECRET"; system time 2023-11-01 = 1698796800; 5 s tolerance). */
static void
test_paddle(void **state)
{
	struct hp_verifier *v = mk(HP_PROV_PADDLE, "VALID_SECRET", NULL, NULL,
				   hp_provider_default_tolerance(HP_PROV_PADDLE));
	struct hp_verifier *bad = mk(HP_PROV_PADDLE, "INVALID_VALID_SECRET", NULL, NULL, 5);
	const char *h = "ts=1698796800;h1=a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec96"
			"12cf43f9";
	struct hp_verify_out out;
	struct vt_req t;

	(void)state;
	treq_init(&t, "{\"data\": [\"1\", \"2\"]}", 1698796800);
	hdr(&t, "Paddle-Signature", h);
	assert_int_equal(run(v, &t, &out), HP_VR_OK);
	assert_int_equal(out.timestamp, 1698796800);
	t.r.now = 1698796805;
	expect_r(v, &t, HP_VR_OK);
	t.r.now = 1698796806;
	expect_r(v, &t, HP_VR_STALE_TIMESTAMP);
	t.r.now = 1699142400; /* 11/05/2023 */
	expect_r(v, &t, HP_VR_STALE_TIMESTAMP);
	t.r.now = 1698796800;
	expect_r(bad, &t, HP_VR_BAD_SIGNATURE);
	/* "Invalid data - has more space" */
	treq_init(&t, "{ \"data\": [ \"1\", \"2\" ]}", 1698796800);
	hdr(&t, "Paddle-Signature", h);
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);
	/* "InValid timestamp": ts=9876, checked before the signature */
	treq_init(&t, "{\"data\": [\"1\", \"2\"]}", 1698796800);
	hdr(&t, "Paddle-Signature",
	    "ts=9876;h1=a300428748dce5c70e4da19bffd60769591ea969c99dea"
	    "3105d0ec9612cf43f9");
	expect_r(v, &t, HP_VR_STALE_TIMESTAMP);
	/* "Valid signature with multiple hashes" (and an unknown h2) */
	treq_init(&t, "{\"data\": \"value\"}", 1698796800);
	hdr(&t, "Paddle-Signature",
	    "ts=1698796800;h1=28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261;h1=2"
	    "8981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261;h2=RANDOM_HASH");
	expect_r(v, &t, HP_VR_OK);
	/* header errors: "Missing TS and H1", "Missing TS", "Missing H1", "Invalid signature" */
	static const struct {
		const char *h;
		enum hp_verify_result r;
	} errs[] = {
		{"invalid_header", HP_VR_MALFORMED_SIGNATURE},
		{"h1=a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec9612cf43f9",
		 HP_VR_MISSING_TIMESTAMP},
		{"ts=1234;h2=invalid_header", HP_VR_MALFORMED_SIGNATURE},
		{"ts=1234;h1=invalid_signature", HP_VR_MALFORMED_SIGNATURE},
	};
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		treq_init(&t, "{\"data\": [\"1\", \"2\"]}", 1698796800);
		hdr(&t, "Paddle-Signature", errs[i].h);
		if (run(v, &t, NULL) != errs[i].r)
			fail_msg("paddle errs[%zu]: got %s", i,
				 hp_verify_result_name(run(v, &t, NULL)));
	}
	/* notification_id as webhook_id (derived) */
	{
		const char *body = "{\"event_id\":\"evt_01\",\"notification_id\":\"ntf_01h8\","
				   "\"data\":{\"id\":\"txn\"}}";
		char sig[128], msg[256];

		snprintf(msg, sizeof(msg), "1698796800:%s", body);
		strcpy(sig, "ts=1698796800;h1=");
		mac_hex(EVP_sha256(), "VALID_SECRET", msg, sig + strlen(sig));
		treq_init(&t, body, 1698796800);
		hdr(&t, "Paddle-Signature", sig);
		assert_int_equal(run(v, &t, &out), HP_VR_OK);
		assert_int_equal(out.webhook_id.len, 8);
		assert_memory_equal(out.webhook_id.p, "ntf_01h8", 8);
	}
	hp_verifier_free(v);
	hp_verifier_free(bad);
}

/* GitLab: https://docs.gitlab.com/user/project/integrations/webhooks/ (X-Gitlab-Token carries
 * the secret token; Idempotency-Key stays the same across retries). */
static void
test_gitlab(void **state)
{
	struct hp_verifier *v = mk(HP_PROV_GITLAB, "first", "s3cr3t-token", NULL, 0);
	struct hp_verify_out out;
	struct vt_req t;

	(void)state;
	treq_init(&t, "{\"object_kind\":\"push\"}", 0);
	hdr(&t, "X-Gitlab-Token", "s3cr3t-token");
	hdr(&t, "X-Gitlab-Event-UUID", "13792a34-cac6-4fda-95a8-c58e00a3954e");
	assert_int_equal(run(v, &t, &out), HP_VR_OK);
	assert_int_equal(out.secret_index, 1);
	assert_int_equal(out.webhook_id.len, 36);
	hdr(&t, "Idempotency-Key", "f5e5f7f0-0000-4000-8000-000000000001");
	assert_int_equal(run(v, &t, &out), HP_VR_OK);
	assert_memory_equal(out.webhook_id.p, "f5e5f7f0", 8);
	t.h[0].value = S("s3cr3t-toke");
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);
	t.h[0].value = S("s3cr3t-token ");
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);
	t.h[0].value = S("");
	expect_r(v, &t, HP_VR_MISSING_SIGNATURE);
	t.h[0].value = S("first");
	expect_r(v, &t, HP_VR_OK);
	hdr(&t, "x-gitlab-token", "first");
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);
	hp_verifier_free(v);
}

/* ---- 4. the generic provider ---- */

static struct hp_verifier *
mk_generic(const char *secret, const char *header, const char *prefix, enum hp_verify_alg alg,
	   enum hp_verify_enc enc, const char *tmpl, const char *tsh, const char *idh,
	   const char *senc, uint32_t tol)
{
	struct hp_verify_spec spec;

	generic_spec(&spec, secret, header, prefix, alg, enc, tmpl, tsh, idh, senc);
	spec.tolerance_s = tol;
	return mk_spec(&spec);
}

static void
test_generic(void **state)
{
	struct hp_verifier *v;
	struct hp_verify_out out;
	struct vt_req t;
	char sig[200], msg[512];

	(void)state;
	/* github through the generic provider (GitHub docs vector) */
	v = mk_generic("It's a Secret to Everybody", "X-Hub-Signature-256",
		       "sha256=", HP_VALG_SHA256, HP_VENC_HEX, NULL, NULL, "X-GitHub-Delivery",
		       NULL, 0);
	assert_string_equal(hp_verifier_default_dedup(v), "header:X-GitHub-Delivery");
	treq_init(&t, "Hello, World!", 0);
	hdr(&t, "X-Hub-Signature-256",
	    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
	hdr(&t, "X-GitHub-Delivery", "d1");
	assert_int_equal(run(v, &t, &out), HP_VR_OK);
	assert_int_equal(out.webhook_id.len, 2);
	t.r.body_len--;
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);
	t.r.body_len++;
	t.h[0].value = S("sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);
	hp_verifier_free(v);

	/* slack through the generic provider (Slack docs vector) */
	v = mk_generic(SLACK_SECRET, "X-Slack-Signature", "v0=", HP_VALG_SHA256, HP_VENC_HEX,
		       "v0:{timestamp}:{body}", "X-Slack-Request-Timestamp", NULL, "raw", 300);
	assert_string_equal(hp_verifier_default_dedup(v), "body_hash");
	treq_init(&t, SLACK_BODY, 1531420618);
	hdr(&t, "X-Slack-Request-Timestamp", "1531420618");
	hdr(&t, "X-Slack-Signature", SLACK_SIG);
	assert_int_equal(run(v, &t, &out), HP_VR_OK);
	assert_int_equal(out.timestamp, 1531420618);
	t.r.now += 301;
	expect_r(v, &t, HP_VR_STALE_TIMESTAMP);
	t.r.now -= 602;
	expect_r(v, &t, HP_VR_FUTURE_TIMESTAMP);
	t.h[0].value = S("");
	expect_r(v, &t, HP_VR_MISSING_TIMESTAMP);
	hp_verifier_free(v);

	/* stripe's signed content ("<t>.<body>") with the timestamp in its own header */
	v = mk_generic(STRIPE_SECRET, "X-Sig", NULL, HP_VALG_SHA256, HP_VENC_HEX,
		       "{timestamp}.{body}", "X-Ts", NULL, NULL, 300);
	stripe_header(msg, sizeof(msg), STRIPE_SECRET, 1700000000, STRIPE_BODY, NULL);
	treq_init(&t, STRIPE_BODY, 1700000000);
	hdr(&t, "X-Ts", "1700000000");
	hdr(&t, "X-Sig", strstr(msg, "v1=") + 3);
	expect_r(v, &t, HP_VR_OK);
	hp_verifier_free(v);

	/* standard-webhooks through the generic provider: base64 secret, base64 signature */
	v = mk_generic("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "webhook-signature", "v1,",
		       HP_VALG_SHA256, HP_VENC_BASE64, "{id}.{timestamp}.{body}",
		       "webhook-timestamp", "webhook-id", "base64", 300);
	sw_req(&t, "webhook", SW_SIG, 1614265330);
	assert_int_equal(run(v, &t, &out), HP_VR_OK);
	assert_int_equal(out.webhook_id.len, strlen(SW_ID));
	t.h[0].value = S("");
	expect_r(v, &t, HP_VR_MISSING_ID);
	hp_verifier_free(v);

	/* method, path, url (Host), sha512 base64, hex secret (derived) */
	v = mk_generic("00112233445566778899aabbccddeeff", "X-Signature", "", HP_VALG_SHA512,
		       HP_VENC_BASE64, "{method} {path}|{url}|{body}", NULL, NULL, "hex", 0);
	{
		const uint8_t key[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
					 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

		mac_b64(EVP_sha512(), key, 16, "PUT /a/b|http://h.example:8080/a/b?x=1|payload",
			sig);
	}
	treq_init(&t, "payload", 0);
	t.r.method = S("PUT");
	t.r.target = S("/a/b?x=1");
	t.r.host = S("h.example:8080");
	hdr(&t, "X-Signature", sig);
	expect_r(v, &t, HP_VR_OK);
	t.r.method = S("POST");
	expect_r(v, &t, HP_VR_BAD_SIGNATURE);
	hp_verifier_free(v);

	/* sha1 hex, literal-only pieces around the body */
	v = mk_generic("k", "X-Sig", "sha1=", HP_VALG_SHA1, HP_VENC_HEX, "<{body}>", NULL, NULL,
		       NULL, 0);
	mac_hex(EVP_sha1(), "k", "<b>", sig + 5);
	memcpy(sig, "sha1=", 5);
	treq_init(&t, "b", 0);
	hdr(&t, "X-Sig", sig);
	expect_r(v, &t, HP_VR_OK);
	t.h[0].value = S("sha1=00");
	expect_r(v, &t, HP_VR_MALFORMED_SIGNATURE);
	hp_verifier_free(v);
}

static void
create_fails(const struct hp_verify_spec *spec, const char *want)
{
	struct hp_verifier *v = (struct hp_verifier *)&v;
	char err[256] = "";

	assert_int_not_equal(hp_verifier_create(spec, &v, err, sizeof(err)), 0);
	assert_null(v);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" does not say \"%s\"", err, want);
}

static void
test_create_errors(void **state)
{
	struct hp_verify_spec s;

	(void)state;
#define RESET(p)                                                                                   \
	do {                                                                                       \
		memset(&s, 0, sizeof(s));                                                          \
		s.provider = (p);                                                                  \
		s.secrets[0] = "k";                                                                \
		s.n_secrets = 1;                                                                   \
	} while (0)
	RESET(HP_PROV__COUNT);
	create_fails(&s, "provider");
	RESET(HP_PROV_STRIPE);
	s.n_secrets = 0;
	create_fails(&s, "secrets");
	s.n_secrets = HP_VERIFY_MAX_SECRETS + 1;
	create_fails(&s, "secrets");
	s.n_secrets = 2;
	create_fails(&s, "secrets[1]: missing");
	s.secrets[1] = "";
	create_fails(&s, "secrets[1]: empty");
	RESET(HP_PROV_STANDARD);
	s.secrets[0] = "whsec_AAAA";
	s.secrets[1] = "whsec_not*base64";
	s.n_secrets = 2;
	create_fails(&s, "secrets[1]: not valid base64 after whsec_");
	s.secrets[1] = "whsec_";
	create_fails(&s, "secrets[1]: not valid base64 after whsec_");
	s.secrets[1] = "whsk_AAAA";
	create_fails(&s, "secrets[1]: whsk_");
	s.secrets[1] = "whpk_AAAA";
	create_fails(&s, "secrets[1]: not a base64 Ed25519 public key");
	RESET(HP_PROV_TWILIO);
	s.url_base = "ftp://x";
	create_fails(&s, "url_base");
	s.url_base = "https://x/path";
	create_fails(&s, "url_base");
	s.url_base = "https://x:port";
	create_fails(&s, "url_base: bad port");
	s.url_base = "https://";
	create_fails(&s, "url_base: no host");
	RESET(HP_PROV_HMAC);
	create_fails(&s, "hmac.header");
	strcpy(s.generic.header, "X-Sig");
	strcpy(s.generic.template_, "{body}{nope}");
	create_fails(&s, "hmac.template: unknown placeholder {nope}");
	strcpy(s.generic.template_, "{timestamp}.{body}");
	create_fails(&s, "hmac.template: {timestamp} needs hmac.timestamp_header");
	strcpy(s.generic.template_, "{id}.{body}");
	create_fails(&s, "hmac.template: {id} needs hmac.id_header");
	memset(s.generic.template_, 'a', sizeof(s.generic.template_));
	create_fails(&s, "hmac.template: longer");
	s.generic.template_[0] = '\0';
	memset(s.generic.prefix, 'p', sizeof(s.generic.prefix));
	create_fails(&s, "hmac.prefix");
	s.generic.prefix[0] = '\0';
	s.generic.alg = (enum hp_verify_alg)7;
	create_fails(&s, "hmac.algorithm");
	s.generic.alg = HP_VALG_SHA256;
	s.generic.enc = (enum hp_verify_enc)9;
	create_fails(&s, "hmac.encoding");
	s.generic.enc = HP_VENC_HEX;
	strcpy(s.generic.secret_encoding, "rot13");
	create_fails(&s, "hmac.secret_encoding");
	strcpy(s.generic.secret_encoding, "hex");
	s.secrets[0] = "abc";
	create_fails(&s, "secrets[0]: not valid hex");
	strcpy(s.generic.secret_encoding, "base64");
	s.secrets[0] = "@@@@";
	create_fails(&s, "secrets[0]: not valid base64");
	create_fails(NULL, "spec");
#undef RESET
	/* provider none: no secrets needed, everything valid */
	{
		struct hp_verifier *v;
		struct vt_req t;

		memset(&s, 0, sizeof(s));
		struct hp_verify_out out;

		v = mk_spec(&s);
		treq_init(&t, "x", 0);
		assert_int_equal(hp_verify(v, NULL, &t.r, &out), HP_VR_OK);
		assert_int_equal(out.secret_index, -1);
		assert_string_equal(hp_verifier_default_dedup(v), "body_hash");
		hp_verifier_free(v);
	}
}

/* ---- hostile input across every provider ---- */

static void
test_hostile(void **state)
{
	static const char *const names[] = {
		"Stripe-Signature",
		"X-Hub-Signature-256",
		"X-Hub-Signature",
		"X-Slack-Signature",
		"X-Slack-Request-Timestamp",
		"webhook-id",
		"webhook-timestamp",
		"webhook-signature",
		"svix-id",
		"svix-timestamp",
		"svix-signature",
		"X-Shopify-Hmac-Sha256",
		"X-Twilio-Signature",
		"Content-Type",
		"x-zm-signature",
		"x-zm-request-timestamp",
		"Twitch-Eventsub-Message-Signature",
		"Twitch-Eventsub-Message-Id",
		"Twitch-Eventsub-Message-Timestamp",
		"Paddle-Signature",
		"X-Gitlab-Token",
		"X-Sig",
	};
	static const char *const values[] = {
		"",
		" ",
		",",
		";",
		"=",
		"t=",
		"v1=",
		"v1,",
		"v0=",
		"sha256=",
		"sha1=",
		"ts=;h1=",
		"t=1,v1=00",
		"v1,====",
		"====",
		"%",
		"%zz",
		"2019-13-45T99:99:99Z",
		"\xff\xfe",
		"t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
		"application/x-www-form-urlencoded",
	};
	static char huge[70000];
	uint64_t seed = 42;

	(void)state;
	memset(huge, 'A', sizeof(huge) - 1);
	for (int p = HP_PROV_STRIPE; p < HP_PROV__COUNT; p++) {
		struct hp_verifier *v;

		if (p == HP_PROV_HMAC)
			v = mk_generic("k", "X-Sig", "p=", HP_VALG_SHA256, HP_VENC_BASE64,
				       "{id}{timestamp}{url}{body}", "webhook-timestamp",
				       "webhook-id", NULL, 300);
		else
			v = mk((enum hp_provider)p, "whsec_AAAA", NULL, NULL, 300);
		for (int round = 0; round < 400; round++) {
			struct vt_req t;
			int nh = round % 12;

			treq_init(&t, round % 3 ? "a=b&c=%2" : NULL, round % 2 ? 0 : INT64_MAX / 2);
			if (round % 5 == 0)
				t.r.body = (const uint8_t *)"{\"id\":\"", t.r.body_len = 7;
			if (round % 7 == 0)
				t.r.target = S("/?bodySHA256=zz&bodySHA256=");
			for (int k = 0; k < nh; k++) {
				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				hdr(&t, names[(seed >> 33) % (sizeof(names) / sizeof(names[0]))],
				    (seed >> 20) % 9 == 0
					    ? huge
					    : values[(seed >> 40) %
						     (sizeof(values) / sizeof(values[0]))]);
			}
			enum hp_verify_result r = run(v, &t, NULL);

			assert_int_not_equal(r, HP_VR_OK);
			assert_true((unsigned int)r < HP_VR__COUNT);
		}
		hp_verifier_free(v);
	}
}

/* ---- 5. zero allocation, measured over many calls of every HMAC scheme ---- */

static void
test_zero_alloc(void **state)
{
	struct hp_verifier *v = mk(HP_PROV_STANDARD, SW_SECRET, NULL, NULL, 300);
	struct hp_verify_ctx *c = hp_verify_ctx_create(v);
	struct hp_verify_out out;
	struct vt_req t;

	(void)state;
	assert_non_null(c);
	sw_req(&t, "webhook", SW_SIG, 1614265330);
	n_allocs = 0;
	counting = 1;
	for (int i = 0; i < 10000; i++)
		if (hp_verify(v, c, &t.r, &out) != HP_VR_OK)
			break;
	counting = 0;
	assert_int_equal(out.result, HP_VR_OK);
	assert_int_equal(n_allocs, 0);
	/* and the counter does count: OpenSSL's EVP_MAC allocates on every init */
	{
		static char sha256[] = "SHA256";
		EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
		EVP_MAC_CTX *mc = EVP_MAC_CTX_new(m);
		OSSL_PARAM prm[] = {OSSL_PARAM_construct_utf8_string("digest", sha256, 0),
				    OSSL_PARAM_construct_end()};

		assert_int_equal(EVP_MAC_init(mc, (const uint8_t *)"k", 1, prm), 1);
		n_allocs = 0;
		counting = 1;
		assert_int_equal(EVP_MAC_init(mc, NULL, 0, NULL), 1);
		counting = 0;
		assert_true(n_allocs > 0);
		EVP_MAC_CTX_free(mc);
		EVP_MAC_free(m);
	}
	hp_verify_ctx_free(c);
	hp_verifier_free(v);
}

/* ---- 6. JSON, names, docs ---- */

static void
jm(const char *body, const char *field, const char *want)
{
	struct hp_vspan s = {NULL, 0};
	bool ok = hp_json_top_member((const uint8_t *)body, strlen(body), field, &s);

	if (want == NULL) {
		if (ok)
			fail_msg("%s in %s: found %.*s", field, body, (int)s.len, s.p);
		return;
	}
	if (!ok)
		fail_msg("%s in %s: not found", field, body);
	if (s.len != strlen(want) || memcmp(s.p, want, s.len) != 0)
		fail_msg("%s in %s: got %.*s", field, body, (int)s.len, s.p);
}

static void
test_json(void **state)
{
	static char deep[4096];
	size_t o = 0;

	(void)state;
	jm("{\"id\":\"evt_1\"}", "id", "evt_1");
	jm(" \n{ \"a\" : {\"id\":\"no\",\"b\":[1,{\"id\":2}]}, \"id\" : \"yes\" }", "id", "yes");
	jm("{\"a\":\"x\\\"id\\\":1\",\"id\":42}", "id", "42");
	jm("{\"id\":-7,\"x\":1}", "id", "-7");
	jm("{\"id\":1.5}", "id", NULL);
	jm("{\"id\":true}", "id", NULL);
	jm("{\"id\":\"a\\\"b\"}", "id", "a\\\"b");
	jm("{\"id\":\"\"}", "id", "");
	jm("{\"id\":\"first\",\"id\":\"second\"}", "id", "first");
	jm("[{\"id\":1}]", "id", NULL);
	jm("{}", "id", NULL);
	jm("", "id", NULL);
	jm("{\"id\":\"unterminated", "id", NULL);
	jm("{\"id\":\"abc\\\"", "id", NULL);
	jm("{\"x\":[1,2,3", "id", NULL);
	jm("{\"x\" 1, \"id\":1}", "id", NULL);
	jm("{\"identity\":1,\"i\":2}", "id", NULL);
	jm("{\"notification_id\":\"ntf_1\"}", "notification_id", "ntf_1");
	/* nesting at the limit is skipped; beyond it the scan gives up */
	o += (size_t)sprintf(deep + o, "{\"a\":");
	for (int i = 0; i < HP_VERIFY_JSON_DEPTH - 1; i++)
		deep[o++] = '[';
	for (int i = 0; i < HP_VERIFY_JSON_DEPTH - 1; i++)
		deep[o++] = ']';
	sprintf(deep + o, ",\"id\":\"x\"}");
	jm(deep, "id", "x");
	o = (size_t)sprintf(deep, "{\"a\":");
	for (int i = 0; i < 3000; i++)
		deep[o++] = '[';
	sprintf(deep + o, ",\"id\":\"x\"}");
	jm(deep, "id", NULL);
}

static void
test_rfc3339(void **state)
{
	/* through twitch: out->timestamp is set once the timestamp parsed */
	static const struct {
		const char *ts;
		int64_t want; /* -1: malformed */
	} c[] = {
		{"1970-01-01T00:00:00Z", 0},
		{"2000-02-29T23:59:59.999Z", 951868799},
		{"2038-01-19T03:14:08Z", 2147483648},
		{"2019-11-16T10:11:12+00:00", 1573899072},
		{"2019-11-16T10:11:12-01:30", 1573899072 + 5400},
		{"2019-11-16t10:11:12z", 1573899072},
		{"2019-11-16T10:11:12", -1},
		{"2019-11-16 10:11:12Z", -1},
		{"2019-11-16T10:11:12.Z", -1},
		{"2019-11-16T24:11:12Z", -1},
		{"2019-11-31T10:11:12Z", -1},
		{"2019-11-16T10:11:12+0100", -1},
		{"2019-11-16T10:11:12Zjunk", -1},
		{"+019-11-16T10:11:12Z", -1},
	};
	struct hp_verifier *v = mk(HP_PROV_TWITCH, "k", NULL, NULL, 0);

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct hp_verify_out out;
		struct vt_req t;

		treq_init(&t, "{}", 0);
		hdr(&t, "Twitch-Eventsub-Message-Id", "id");
		hdr(&t, "Twitch-Eventsub-Message-Timestamp", c[i].ts);
		hdr(&t, "Twitch-Eventsub-Message-Signature",
		    "sha256=0000000000000000000000000000000000000000000000000000000000000000");
		run(v, &t, &out);
		if (c[i].want < 0) {
			if (out.result != HP_VR_MALFORMED_TIMESTAMP)
				fail_msg("%s: got %s", c[i].ts, hp_verify_result_name(out.result));
		} else if (out.result != HP_VR_BAD_SIGNATURE || out.timestamp != c[i].want) {
			fail_msg("%s: got %s, %lld", c[i].ts, hp_verify_result_name(out.result),
				 (long long)out.timestamp);
		}
	}
	hp_verifier_free(v);
}

static void
test_names_and_docs(void **state)
{
	char *doc = NULL;
	long n;
	FILE *f;

	(void)state;
	for (int p = 0; p < HP_PROV__COUNT; p++)
		assert_int_equal(hp_provider_from_name(hp_provider_name((enum hp_provider)p)), p);
	assert_int_equal(hp_provider_from_name("nope"), HP_PROV__COUNT);
	assert_int_equal(hp_provider_from_name(NULL), HP_PROV__COUNT);
	assert_string_equal(hp_provider_name(HP_PROV_STANDARD), "standard-webhooks");
	assert_string_equal(hp_verify_result_name(HP_VR_UNSUPPORTED), "unsupported_signature");
	assert_string_equal(hp_verify_result_name(HP_VR__COUNT), "unknown");
	assert_string_equal(hp_provider_default_dedup(HP_PROV_STRIPE), "body:id");
	assert_string_equal(hp_provider_default_dedup(HP_PROV_GITHUB), "header:X-GitHub-Delivery");
	assert_string_equal(hp_provider_default_dedup(HP_PROV_SLACK), "body_hash");
	assert_int_equal(hp_provider_default_tolerance(HP_PROV_TWITCH), 600);
	assert_int_equal(hp_provider_default_tolerance(HP_PROV_GITHUB), 0);

	f = fopen(SRC("docs/VERIFY.md"), "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	doc = calloc(1, (size_t)n + 1);
	assert_non_null(doc);
	assert_int_equal(fread(doc, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	for (int r = 0; r < HP_VR__COUNT; r++) {
		char q[64];

		snprintf(q, sizeof(q), "`%s`", hp_verify_result_name((enum hp_verify_result)r));
		if (strstr(doc, q) == NULL)
			fail_msg("docs/VERIFY.md does not name %s", q);
	}
	for (int p = 1; p < HP_PROV__COUNT; p++) {
		char q[64];

		snprintf(q, sizeof(q), "## `%s`", hp_provider_name((enum hp_provider)p));
		if (strstr(doc, q) == NULL)
			fail_msg("docs/VERIFY.md has no section %s", q);
		snprintf(q, sizeof(q), "`%s`", hp_provider_default_dedup((enum hp_provider)p));
		if (strstr(doc, q) == NULL)
			fail_msg("docs/VERIFY.md does not name the dedup default %s", q);
	}
	free(doc);
}

/* hp_vhex_decode (32 characters a step where SSE2 is, the rest a byte at a time) against a
 * byte-at-a-time reference: every length to 130, both cases, and one bad byte at each place
 * (bytes next to the alphabet's ranges, and one with the top bit set) refused. */
static int
hex_ref(const uint8_t *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i], v;

		if (c >= '0' && c <= '9')
			v = (uint8_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = (uint8_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = (uint8_t)(c - 'A' + 10);
		else
			return -1;
		out[i / 2] = (uint8_t)((i & 1) != 0 ? out[i / 2] | v : v << 4);
	}
	return (int)(n / 2);
}

static void
test_hex_decode(void **state)
{
	static const uint8_t bad[] = {'/', ':', '@', 'G', '`', 'g', ' ', 0, 0xb0, 0xe1, 0xc6};
	static const char alpha[] = "0123456789abcdefABCDEF";
	uint8_t s[130], out[66], want[66];
	unsigned int seed = 7;

	(void)state;
	for (size_t n = 0; n <= sizeof(s); n += 2) {
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			s[i] = (uint8_t)alpha[(seed >> 16) % (sizeof(alpha) - 1)];
		}
		memset(out, 0xaa, sizeof(out));
		assert_int_equal(hp_vhex_decode(s, n, out, sizeof(out) - 1), hex_ref(s, n, want));
		assert_memory_equal(out, want, n / 2);
		assert_int_equal(out[n / 2], 0xaa); /* nothing written past n / 2 */
		for (size_t i = 0; i < n; i++) {
			uint8_t keep = s[i];

			s[i] = bad[i % sizeof(bad)];
			if (hp_vhex_decode(s, n, out, sizeof(out)) != -1)
				fail_msg("length %zu: byte 0x%02x at %zu accepted", n, s[i], i);
			s[i] = keep;
		}
	}
	assert_int_equal(hp_vhex_decode(s, 3, out, sizeof(out)), -1); /* odd */
	assert_int_equal(hp_vhex_decode(s, 66, out, 32), -1);         /* past cap */
	assert_int_equal(hp_vhex_decode(s, 64, out, 32), 32);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_file),
		cmocka_unit_test(test_stripe),
		cmocka_unit_test(test_rotation_last_match_first),
		cmocka_unit_test(test_github),
		cmocka_unit_test(test_slack),
		cmocka_unit_test(test_standard),
		cmocka_unit_test(test_standard_ed25519),
		cmocka_unit_test(test_shopify),
		cmocka_unit_test(test_twilio),
		cmocka_unit_test(test_zoom),
		cmocka_unit_test(test_twitch),
		cmocka_unit_test(test_paddle),
		cmocka_unit_test(test_gitlab),
		cmocka_unit_test(test_generic),
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_zero_alloc),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_names_and_docs),
		cmocka_unit_test(test_hex_decode),
	};

	/* before OpenSSL allocates anything, or it refuses */
	if (!CRYPTO_set_mem_functions(cnt_malloc, cnt_realloc, cnt_free)) {
		fprintf(stderr, "CRYPTO_set_mem_functions refused\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
