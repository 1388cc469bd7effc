/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target for lib/verify: every provider's signature header parsing and signed-content
 * assembly, and hp_json_top_member().
 *
 * Input: byte 0 = provider (modulo the providers, none excluded), byte 1 = options (bit 0:
 * allow_sha1, bit 1: twilio url_base set, bits 2-3: generic configuration, bit 4: tolerance 0,
 * bit 5: a second, Ed25519 secret for standard-webhooks), then lines separated by '\n':
 * request-target, Host, then "name: value" header lines up to an empty line; the rest is the
 * body. Every span points into libFuzzer's buffer (so ASan sees any read past it).
 *
 * Traps on: a result outside the enum, OK without a secret index in range, a webhook_id
 * outside the request's bytes, a second verification of the same request disagreeing with the
 * first, a JSON member outside the body or with bytes a JSON scanner cannot have returned.
 * The second verification carries a body pass (the ML stage's JSON shape scan inside the HMAC,
 * lib/ml/ml_json_sha.h, where this CPU has SHA-NI, or the plain run) with a second SHA-256
 * chain (the replay key's body hash): it must not change the result, and where it ran, its
 * depth and keys must be the reference scan's and the second chain's digest OpenSSL's.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "ml_json_sha.h"
#include "verify/verify.h"

#include "fuzz.h"

#define MAX_HDR 64

/* A whpk_ key (the Ed25519 public key of RFC 8032 test 1) so the v1a path runs too. */
#define WHPK "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

static struct hp_verifier *verifiers[HP_PROV__COUNT][64];

static struct hp_verifier *
get_verifier(enum hp_provider p, unsigned int opt)
{
	struct hp_verify_spec spec;
	struct hp_verifier **slot = &verifiers[p][opt & 63];
	char err[256];

	if (*slot != NULL)
		return *slot;
	memset(&spec, 0, sizeof(spec));
	spec.provider = p;
	spec.secrets[0] = p == HP_PROV_STANDARD || p == HP_PROV_SVIX
				  ? "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
				  : "It's a Secret to Everybody";
	spec.secrets[1] = "second";
	spec.n_secrets = 2;
	if ((opt & 0x20) && (p == HP_PROV_STANDARD || p == HP_PROV_SVIX))
		spec.secrets[1] = WHPK;
	spec.tolerance_s = (opt & 0x10) ? 0 : 300;
	spec.allow_sha1 = opt & 1;
	spec.url_base = (opt & 2) ? "https://hooks.example.com:8443" : NULL;
	if (p == HP_PROV_HMAC) {
		struct hp_verify_generic *g = &spec.generic;

		strcpy(g->header, "X-Signature");
		switch ((opt >> 2) & 3) {
		case 0:
			strcpy(g->prefix, "sha256=");
			break;
		case 1:
			g->enc = HP_VENC_BASE64;
			g->alg = HP_VALG_SHA512;
			strcpy(g->template_, "{id}.{timestamp}.{body}");
			strcpy(g->timestamp_header, "X-Timestamp");
			strcpy(g->id_header, "X-Id");
			break;
		case 2:
			g->alg = HP_VALG_SHA1;
			strcpy(g->template_, "{method} {url} {path}:{body}");
			strcpy(g->secret_encoding, "raw");
			break;
		default:
			strcpy(g->prefix, "v0=");
			strcpy(g->template_, "v0:{timestamp}:{body}");
			strcpy(g->timestamp_header, "X-Timestamp");
			break;
		}
	}
	if (hp_verifier_create(&spec, slot, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_verify: %s\n", err);
		__builtin_trap();
	}
	return *slot;
}

static bool
within(struct hp_vspan s, const uint8_t *base, size_t len)
{
	if (s.len == 0)
		return true;
	return s.p >= base && s.p + s.len <= base + len;
}

static const uint8_t *
line(const uint8_t **p, const uint8_t *end, size_t *len)
{
	const uint8_t *s = *p, *e = s;

	while (e < end && *e != '\n')
		e++;
	*len = (size_t)(e - s);
	*p = e < end ? e + 1 : e;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hp_verify_ctx *ctx[HP_PROV__COUNT][64];
	static const char *const fields[] = {"id", "notification_id", "event_id", ""};
	struct hp_vheader h[MAX_HDR];
	struct hp_verify_req req;
	struct hp_verify_out o1, o2;
	const uint8_t *p, *end = data + size;
	enum hp_provider prov;
	struct hp_verifier *v;
	struct hp_verify_ctx *c;
	unsigned int opt;
	size_t n;

	if (size < 2)
		return 0;
	prov = (enum hp_provider)(1 + data[0] % (HP_PROV__COUNT - 1));
	opt = data[1] & 63;
	v = get_verifier(prov, opt);
	if (ctx[prov][opt] == NULL)
		ctx[prov][opt] = hp_verify_ctx_create(v);
	c = ctx[prov][opt];
	CHECK(c != NULL);

	memset(&req, 0, sizeof(req));
	p = data + 2;
	req.method.p = (const uint8_t *)"POST";
	req.method.len = 4;
	req.target.p = line(&p, end, &req.target.len);
	req.host.p = line(&p, end, &req.host.len);
	req.headers = h;
	while (p < end && req.n_headers < MAX_HDR) {
		const uint8_t *l = line(&p, end, &n), *colon;

		if (n == 0)
			break;
		colon = memchr(l, ':', n);
		h[req.n_headers].name.p = l;
		h[req.n_headers].name.len = colon ? (size_t)(colon - l) : n;
		h[req.n_headers].value.p = colon ? colon + 1 : l + n;
		h[req.n_headers].value.len = colon ? n - (size_t)(colon + 1 - l) : 0;
		while (h[req.n_headers].value.len > 0 && h[req.n_headers].value.p[0] == ' ') {
			h[req.n_headers].value.p++;
			h[req.n_headers].value.len--;
		}
		req.n_headers++;
	}
	req.body = p;
	req.body_len = (size_t)(end - p);
	req.now = 1614265330;

	hp_verify(v, c, &req, &o1);
	CHECK((unsigned int)o1.result < HP_VR__COUNT);
	CHECK(o1.result != HP_VR_OK || (o1.secret_index >= 0 && o1.secret_index < 2));
	CHECK(within(o1.webhook_id, data, size));
	{
		const struct hp_ml_json_sha *f = hp_ml_json_sha_pick();
		struct hp_ml_json_state js = {0};
		struct hp_vbody_pass pass = {.body = req.body, .len = req.body_len, .arg = &js};
		/* the replay key's second chain beside the HMAC (dp_stage_dedup.c), its prefix
		 * length from the input so that its blocks fall anywhere */
		static const char pre2[] = "endpoint-name-prefix-of-the-replay-key-digest-"
					   "longer-than-one-block-0123456789";
		size_t p2len = size % sizeof(pre2);
		struct hp_vsha256 a;
		unsigned int depth, keys;

		if (f != NULL) {
			pass.run = (size & 1) ? f->run : hp_vsha256_run_plain;
			pass.also = &a;
			hp_vsha256_init(&a);
			hp_vsha256_update(&a, pre2, p2len);
			req.body_pass = &pass;
		}
		hp_verify(v, c, &req, &o2);
		req.body_pass = NULL;
		if (pass.done) {
			uint8_t want[32], got[32];
			EVP_MD_CTX *md = EVP_MD_CTX_new();
			unsigned int mdl = 0;

			if (pass.run != hp_vsha256_run_plain) {
				hp_ml_json_shape_ref(req.body, req.body_len, &depth, &keys);
				CHECK(js.max_depth == depth && js.keys == keys);
			}
			CHECK(md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
			      EVP_DigestUpdate(md, pre2, p2len) == 1 &&
			      EVP_DigestUpdate(md, req.body, req.body_len) == 1 &&
			      EVP_DigestFinal_ex(md, want, &mdl) == 1 && mdl == 32);
			EVP_MD_CTX_free(md);
			hp_vsha256_final(&a, got);
			CHECK(memcmp(want, got, 32) == 0);
		}
	}
	CHECK(o1.result == o2.result && o1.secret_index == o2.secret_index &&
	      o1.timestamp == o2.timestamp && o1.webhook_id.p == o2.webhook_id.p &&
	      o1.webhook_id.len == o2.webhook_id.len);
	CHECK(hp_verify_result_name(o1.result) != NULL);

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		struct hp_vspan m = {NULL, 0};

		if (!hp_json_top_member(req.body, req.body_len, fields[i], &m))
			continue;
		CHECK(within(m, req.body, req.body_len));
		/* a string value has no unescaped quote inside; an integer is digits */
		if (m.len > 0 && m.p > req.body && m.p[-1] == '"') {
			CHECK(m.p + m.len < req.body + req.body_len && m.p[m.len] == '"');
		}
	}
	return 0;
}
