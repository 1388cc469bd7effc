/* SPDX-License-Identifier: BSD-3-Clause
 * lib/verify/vsha256.h, hookpath's SHA-256 on SHA-NI, against OpenSSL: the digest of every
 * length 0..300 (and a few longer) fed in one, two or three pieces at every kind of split; HMAC
 * through its one-block outer hash; and the body pass (lib/ml/ml_json_sha.h, each version the
 * CPU runs): the HMAC stays OpenSSL's and the JSON shape the reference's, for every body
 * length and every length of what is hashed before the body (so that each byte of the body
 * falls once at each place of a SHA block), with a backslash at every place of a body, across
 * the hash's block edges, the scan's and the tail's. Last, through hp_verify: a stripe request
 * whose HMAC runs the pass, with one secret and with the matching secret second.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "ml_json_sha.h"
#include "verify.h"
#include "vsha256.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static void
fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

/* JSON-ish noise: every character the scan cares about, often. */
static void
fill_json(uint8_t *p, size_t n)
{
	static const char cs[] = "{}[]\":,\\ab0 ";

	for (size_t i = 0; i < n; i++)
		p[i] = rnd() % 3 == 0 ? (uint8_t)cs[rnd() % (sizeof(cs) - 1)]
				      : (uint8_t)('a' + rnd() % 26);
}

static void
skip_without_ni(void)
{
	if (!hp_vsha256_ni_usable()) {
		fprintf(stderr, "no SHA-NI here (or HOOKPATH_SHA=openssl): OpenSSL hashes\n");
		skip();
	}
}

static void
test_digest(void **state)
{
	static uint8_t msg[5000];

	(void)state;
	skip_without_ni();
	fill_random(msg, sizeof(msg));
	for (size_t n = 0; n <= 4500; n += n < 300 ? 1 : 731) {
		uint8_t want[32], got[32];

		SHA256(msg, n, want);
		for (unsigned int t = 0; t < 6; t++) {
			struct hp_vsha256 c;
			size_t a = n == 0 ? 0 : rnd() % (n + 1),
			       b = a + (n == a ? 0 : rnd() % (n - a + 1));

			hp_vsha256_init(&c);
			hp_vsha256_update(&c, msg, a);
			hp_vsha256_update(&c, msg + a, b - a);
			hp_vsha256_update(&c, msg + b, n - b);
			hp_vsha256_final(&c, got);
			if (memcmp(want, got, 32) != 0) {
				fprintf(stderr, "length %zu split %zu/%zu\n", n, a, b);
				fail();
			}
		}
	}
}

/* HMAC-SHA256(key, pre || body) the way lib/verify computes it, the body through pass. */
static void
vhmac(const uint8_t *key, size_t klen, const uint8_t *pre, size_t plen, const uint8_t *body,
      size_t blen, struct hp_vbody_pass *pass, uint8_t out[32])
{
	struct hp_vsha256 in, o;
	uint8_t pad[64] = {0};

	assert_true(klen <= 64);
	memcpy(pad, key, klen);
	for (int i = 0; i < 64; i++)
		pad[i] ^= 0x36;
	hp_vsha256_init(&in);
	hp_vsha256_update(&in, pad, 64);
	for (int i = 0; i < 64; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	hp_vsha256_init(&o);
	hp_vsha256_update(&o, pad, 64);
	hp_vsha256_update(&in, pre, plen);
	if (pass != NULL)
		hp_vsha256_update_pass(&in, body, blen, pass);
	else
		hp_vsha256_update(&in, body, blen);
	hp_vsha256_hmac_final(&in, &o, out);
}

static void
ossl_hmac(const uint8_t *key, size_t klen, const uint8_t *pre, size_t plen, const uint8_t *body,
	  size_t blen, uint8_t out[32])
{
	static uint8_t buf[8192];
	unsigned int olen = 32;

	memcpy(buf, pre, plen);
	memcpy(buf + plen, body, blen);
	assert_non_null(HMAC(EVP_sha256(), key, (int)klen, buf, plen + blen, out, &olen));
}

static void
test_hmac(void **state)
{
	uint8_t key[64], pre[80], body[1500], want[32], got[32];

	(void)state;
	skip_without_ni();
	for (unsigned int t = 0; t < 3000; t++) {
		size_t klen = rnd() % 65, plen = rnd() % 80, blen = rnd() % 1500;

		fill_random(key, klen);
		fill_random(pre, plen);
		fill_random(body, blen);
		ossl_hmac(key, klen, pre, plen, body, blen, want);
		vhmac(key, klen, pre, plen, body, blen, NULL, got);
		assert_memory_equal(want, got, 32);
	}
}

/* The fused scan versions this CPU runs. */
static struct hp_ml_json_sha versions[3];
static unsigned int n_versions;

static void
pick_versions(void)
{
	if (n_versions != 0)
		return;
#if defined(HP_ML_JSON_X86) && defined(HP_VSHA256_X86)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512bw"))
		versions[n_versions++] =
			(struct hp_ml_json_sha){"avx512", hp_ml_json_sha_run_avx512};
	if (__builtin_cpu_supports("avx2"))
		versions[n_versions++] = (struct hp_ml_json_sha){"avx2", hp_ml_json_sha_run_avx2};
	versions[n_versions++] = (struct hp_ml_json_sha){"sse2", hp_ml_json_sha_run_sse2};
#endif
}

/* The pass's second chain (hp_vbody_pass.also): SHA-256(pre2 || body) next to the HMAC's,
 * against OpenSSL's; pre2's length decides where its blocks fall in the body. */
static void
check_also(const struct hp_vbody_pass *pass, const struct hp_vsha256 *a, const uint8_t *pre2,
	   size_t p2len, const uint8_t *body, size_t blen, const char *what)
{
	static uint8_t buf[8192];
	uint8_t want[32], got[32];
	struct hp_vsha256 c = *a;

	memcpy(buf, pre2, p2len);
	memcpy(buf + p2len, body, blen);
	SHA256(buf, p2len + blen, want);
	hp_vsha256_final(&c, got);
	if (memcmp(want, got, 32) != 0 || pass->also != a) {
		fprintf(stderr, "%s: second chain, prefix %zu body %zu: DIFFERS\n", what, p2len,
			blen);
		fail();
	}
}

static void
check_pass(const uint8_t *pre, size_t plen, const uint8_t *body, size_t blen)
{
	static const uint8_t key[] = "whsec_test";
	/* 0..70 bytes: none, less than a block, a block and more */
	static const uint8_t pre2[] = "an-endpoint-name-of-some-length-to-cut-from-anywhere-at-"
				      "all-0123456\0\3";
	size_t p2len = (plen * 7 + blen) % sizeof(pre2);
	uint8_t want[32], got[32];
	unsigned int d0, k0;

	hp_ml_json_shape_ref(body, blen, &d0, &k0);
	ossl_hmac(key, sizeof(key) - 1, pre, plen, body, blen, want);
	for (unsigned int v = 0; v <= n_versions; v++) {
		/* each JSON version alone, with a second chain, and the plain run (v ==
		 * n_versions) with one */
		for (unsigned int two = v == n_versions; two < 2; two++) {
			struct hp_ml_json_state js = {0};
			struct hp_vsha256 a;
			struct hp_vbody_pass pass = {.body = body,
						     .len = blen,
						     .run = v < n_versions ? versions[v].run
									   : hp_vsha256_run_plain,
						     .arg = &js,
						     .also = two ? &a : NULL};
			const char *name = v < n_versions ? versions[v].name : "plain";

			hp_vsha256_init(&a);
			hp_vsha256_update(&a, pre2, p2len);
			vhmac(key, sizeof(key) - 1, pre, plen, body, blen, &pass, got);
			if (memcmp(want, got, 32) != 0 || !pass.done ||
			    (v < n_versions && (js.max_depth != d0 || js.keys != k0))) {
				fprintf(stderr,
					"%s%s: prefix %zu body %zu: mac %s, depth %u/%u keys "
					"%u/%u: %.*s\n",
					name, two ? " + chain" : "", plen, blen,
					memcmp(want, got, 32) == 0 ? "same" : "DIFFERS", d0,
					js.max_depth, k0, js.keys, (int)blen, (const char *)body);
				fail();
			}
			if (two)
				check_also(&pass, &a, pre2, p2len, body, blen, name);
		}
	}
}

static void
test_pass(void **state)
{
	uint8_t pre[64], body[700];

	(void)state;
	skip_without_ni();
	pick_versions();
	fill_random(pre, sizeof(pre));
	/* every prefix length (where the body's whole blocks start), bodies of every length */
	for (size_t plen = 0; plen < 64; plen++) {
		for (size_t blen = 0; blen <= 300; blen += 1 + (blen > 140) * 6) {
			fill_json(body, blen);
			check_pass(pre, plen, body, blen);
		}
	}
	/* a backslash (escaping a quote every third place) at each byte of a string that crosses
	 * the hash's block edges (where the prefix puts them), the scan's and the tail's */
	for (size_t plen = 0; plen < 64; plen += 5) {
		size_t head = (64 - plen) % 64;

		for (size_t at = 0; at < 300; at++) {
			size_t blen = 300;

			memset(body, 'a', blen);
			memcpy(body, "{\"k\":\"", 6);
			memcpy(body + blen - 3, "\"}}", 3);
			if (at >= 6 && at < blen - 3)
				body[at] = '\\';
			if (at + 1 < blen - 3 && at % 3 == 0)
				body[at + 1] = '"';
			check_pass(pre, plen, body, blen);
			check_pass(pre, plen, body, head + 64 + 1 < blen ? head + 64 + 1 : blen);
		}
	}
	/* random structural noise, longer */
	for (unsigned int t = 0; t < 2000; t++) {
		size_t plen = rnd() % 64, blen = rnd() % sizeof(body);

		fill_json(body, blen);
		check_pass(pre, plen, body, blen);
	}
}

/* Through hp_verify: a stripe delivery. The pass runs with the first secret's MAC only. */
static void
test_verify_stripe(void **state)
{
	static const char *body_s =
		"{\"id\":\"evt_1\",\"data\":{\"object\":{\"a\":[1,{\"b\":\"x\\\"}\"}]}},"
		"\"type\":\"charge.succeeded\",\"pad\":\"................................"
		"........................................................\"}";
	const uint8_t *body = (const uint8_t *)body_s;
	size_t blen = strlen(body_s);
	char hdr[200], pre[32], hex[65];
	uint8_t mac[32];
	unsigned int d0, k0;

	(void)state;
	skip_without_ni();
	pick_versions();
	hp_ml_json_shape_ref(body, blen, &d0, &k0);
	snprintf(pre, sizeof(pre), "%d.", 1700000000);
	ossl_hmac((const uint8_t *)"whsec_b", 7, (const uint8_t *)pre, strlen(pre), body, blen,
		  mac);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	snprintf(hdr, sizeof(hdr), "t=1700000000,v1=%s", hex);
	for (unsigned int two = 0; two < 2; two++) {
		struct hp_verify_spec spec;
		struct hp_verifier *v;
		struct hp_vheader h = {{(const uint8_t *)"Stripe-Signature", 16},
				       {(const uint8_t *)hdr, strlen(hdr)}};
		struct hp_ml_json_state js = {0};
		struct hp_vbody_pass pass = {
			.body = body, .len = blen, .run = versions[0].run, .arg = &js};
		struct hp_verify_req req = {.method = {(const uint8_t *)"POST", 4},
					    .target = {(const uint8_t *)"/h", 2},
					    .host = {(const uint8_t *)"x", 1},
					    .headers = &h,
					    .n_headers = 1,
					    .body = body,
					    .body_len = blen,
					    .now = 1700000000,
					    .body_pass = &pass};
		struct hp_verify_out out;
		char err[200];

		memset(&spec, 0, sizeof(spec));
		spec.provider = HP_PROV_STRIPE;
		spec.secrets[0] = two ? "whsec_a" : "whsec_b";
		spec.secrets[1] = "whsec_b";
		spec.n_secrets = two ? 2 : 1;
		assert_int_equal(hp_verifier_create(&spec, &v, err, sizeof(err)), 0);
		assert_int_equal(hp_verify(v, NULL, &req, &out), HP_VR_OK);
		assert_int_equal(out.secret_index, (int)two);
		assert_true(pass.done);
		assert_int_equal(js.max_depth, d0);
		assert_int_equal(js.keys, k0);
		/* a forged signature: refused, the pass ran all the same */
		hdr[20] ^= 1;
		h.value.len = strlen(hdr);
		js = (struct hp_ml_json_state){0};
		pass.done = false;
		assert_int_equal(hp_verify(v, NULL, &req, &out), HP_VR_BAD_SIGNATURE);
		assert_true(pass.done);
		assert_int_equal(js.keys, k0);
		hdr[20] ^= 1;
		hp_verifier_free(v);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_hmac),
		cmocka_unit_test(test_pass),
		cmocka_unit_test(test_verify_stripe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
