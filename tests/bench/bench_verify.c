/* SPDX-License-Identifier: BSD-3-Clause
 * bench_verify: lib/verify verifications per second on one core, next to the HMAC bound
 * measured in the same run over the same bytes (DESIGN §7: a figure and its reference).
 *
 *   build/tests/bench/bench_verify [runs] [seconds_per_run]
 *
 * Schemes: stripe, standard-webhooks, github, slack, each a whole hp_verify() (header parsing,
 * signature decoding, HMAC, constant-time compare, timestamp window, id lookup) over a JSON
 * body of 1 KB (and 64 B, where per-call overhead dominates). "stripe, 2nd of 2": two secrets,
 * the request signed by the second (a rotation), with the worker's context (the secret that
 * matched last is tried first) and, "same, in order", without one (every secret in the list's
 * order, as before). References:
 *   evp_mac_reinit  EVP_MAC HMAC-SHA256 keyed once, EVP_MAC_init(ctx, NULL, 0, NULL) +
 *                   update + final per message (OpenSSL's cheapest keyed EVP path)
 *   evp_q_mac       EVP_Q_mac() one-shot per message (fetch + key + mac each time)
 *   midstate        the precomputed inner/outer SHA-256 midstates copied per message: the
 *                   primitive lib/verify uses, without any parsing
 * Each figure is the median of `runs` runs (default 7); ratios are verify / evp_mac_reinit.
 */
#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include "verify/verify.h"

#define MAX_RUNS 31

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return v[n / 2];
}

static volatile unsigned int sink;

/* One kind of work; returns operations per second over ~secs. */
struct job {
	const char *name;
	int (*one)(void *arg);
	void *arg;
};

static double
measure(const struct job *j, double secs)
{
	unsigned long n = 0, batch = 1000;
	double t0 = now_s(), t;

	do {
		for (unsigned long i = 0; i < batch; i++)
			sink += (unsigned int)j->one(j->arg);
		n += batch;
		t = now_s();
	} while (t - t0 < secs);
	return (double)n / (t - t0);
}

/* ---- lib/verify ---- */

struct vjob {
	struct hp_verifier *v;
	struct hp_verify_ctx *c;
	bool no_ctx; /* hp_verify without the worker's context: secrets tried in order */
	struct hp_verify_req req;
	struct hp_vheader h[8];
};

static int
one_verify(void *arg)
{
	struct vjob *j = arg;
	struct hp_verify_out out;

	return hp_verify(j->v, j->no_ctx ? NULL : j->c, &j->req, &out) == HP_VR_OK;
}

static struct hp_vspan
S(const char *s) {
	return (struct hp_vspan){(const uint8_t *)s, strlen(s)};
}

static void
hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void
sign(const EVP_MD *md, const void *key, size_t kl, const char *a, const char *b, const char *c,
     const uint8_t *body, size_t bl, uint8_t *out)
{
	HMAC_CTX *h = HMAC_CTX_new();
	unsigned int len;

	HMAC_Init_ex(h, key, (int)kl, md, NULL);
	HMAC_Update(h, (const uint8_t *)a, strlen(a));
	HMAC_Update(h, (const uint8_t *)b, strlen(b));
	HMAC_Update(h, (const uint8_t *)c, strlen(c));
	HMAC_Update(h, body, bl);
	HMAC_Final(h, out, &len);
	HMAC_CTX_free(h);
}

/* rot: two secrets, the request signed by the second (a rotation: the sender moved to the
 * secret added last); no_ctx: verified without a context. */
static struct vjob *
setup(enum hp_provider p, const uint8_t *body, size_t bl, bool rot, bool no_ctx)
{
	static char bufs[16][8][256];
	static int nb;
	char(*b)[256] = bufs[nb++];
	struct vjob *j = calloc(1, sizeof(*j));
	struct hp_verify_spec spec;
	uint8_t m[32];
	char err[256];
	const int64_t ts = 1700000000;

	memset(&spec, 0, sizeof(spec));
	spec.provider = p;
	spec.n_secrets = 1;
	spec.tolerance_s = hp_provider_default_tolerance(p);
	j->req.method = S("POST");
	j->req.target = S("/hook");
	j->req.host = S("hooks.example.com");
	j->req.body = body;
	j->req.body_len = bl;
	j->req.now = ts;
	j->req.headers = j->h;
	switch (p) {
	case HP_PROV_STRIPE:
		spec.secrets[0] = "whsec_bench_secret_0123456789";
		sign(EVP_sha256(), spec.secrets[0], strlen(spec.secrets[0]), "1700000000", ".", "",
		     body, bl, m);
		strcpy(b[0], "t=1700000000,v1=");
		hex(m, 32, b[0] + strlen(b[0]));
		j->h[0] = (struct hp_vheader){S("Stripe-Signature"), S(b[0])};
		j->req.n_headers = 1;
		break;
	case HP_PROV_STANDARD: {
		/* key = base64 "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" */
		uint8_t key[32];
		int kl = EVP_DecodeBlock(key, (const uint8_t *)"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
					 32);

		spec.secrets[0] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
		sign(EVP_sha256(), key, (size_t)kl, "msg_p5jXN8AQM9LWM0D4loKWxJek.", "1700000000",
		     ".", body, bl, m);
		strcpy(b[0], "v1,");
		EVP_EncodeBlock((uint8_t *)b[0] + 3, m, 32);
		j->h[0] = (struct hp_vheader){S("webhook-id"), S("msg_p5jXN8AQM9LWM0D4loKWxJek")};
		j->h[1] = (struct hp_vheader){S("webhook-timestamp"), S("1700000000")};
		j->h[2] = (struct hp_vheader){S("webhook-signature"), S(b[0])};
		j->req.n_headers = 3;
		break;
	}
	case HP_PROV_GITHUB:
		spec.secrets[0] = "It's a Secret to Everybody";
		sign(EVP_sha256(), spec.secrets[0], strlen(spec.secrets[0]), "", "", "", body, bl,
		     m);
		strcpy(b[0], "sha256=");
		hex(m, 32, b[0] + 7);
		j->h[0] = (struct hp_vheader){S("X-GitHub-Event"), S("push")};
		j->h[1] = (struct hp_vheader){S("X-GitHub-Delivery"),
					      S("72d3162e-cc78-11e3-81ab-4c9367dc0958")};
		j->h[2] = (struct hp_vheader){S("X-Hub-Signature-256"), S(b[0])};
		j->req.n_headers = 3;
		break;
	case HP_PROV_SLACK:
	default:
		spec.secrets[0] = "8f742231b10e8888abcd99yyyzzz85a5";
		sign(EVP_sha256(), spec.secrets[0], strlen(spec.secrets[0]), "v0:", "1700000000",
		     ":", body, bl, m);
		strcpy(b[0], "v0=");
		hex(m, 32, b[0] + 3);
		j->h[0] = (struct hp_vheader){S("X-Slack-Request-Timestamp"), S("1700000000")};
		j->h[1] = (struct hp_vheader){S("X-Slack-Signature"), S(b[0])};
		j->req.n_headers = 2;
		break;
	}
	if (rot) {
		spec.secrets[1] = spec.secrets[0];
		spec.secrets[0] = "whsec_bench_rotated_out_98765";
		spec.n_secrets = 2;
	}
	j->no_ctx = no_ctx;
	if (hp_verifier_create(&spec, &j->v, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_verify: %s: %s\n", hp_provider_name(p), err);
		exit(1);
	}
	j->c = hp_verify_ctx_create(j->v);
	if (one_verify(j) != 1) {
		fprintf(stderr, "bench_verify: %s does not verify its own request\n",
			hp_provider_name(p));
		exit(1);
	}
	return j;
}

/* ---- references ---- */

struct refjob {
	EVP_MAC_CTX *mc;
	EVP_MAC *mac;
	SHA256_CTX in, out;
	const uint8_t *body;
	size_t bl;
};

static int
one_evp_reinit(void *arg)
{
	struct refjob *r = arg;
	uint8_t m[32];
	size_t ml;

	EVP_MAC_init(r->mc, NULL, 0, NULL);
	EVP_MAC_update(r->mc, r->body, r->bl);
	EVP_MAC_final(r->mc, m, &ml, sizeof(m));
	return m[0];
}

static int
one_q_mac(void *arg)
{
	struct refjob *r = arg;
	uint8_t m[32];
	size_t ml;

	EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, "k3y", 3, r->body, r->bl, m, sizeof(m), &ml);
	return m[0];
}

static int
one_midstate(void *arg)
{
	struct refjob *r = arg;
	SHA256_CTX c = r->in, o = r->out;
	uint8_t ih[32], m[32];

	SHA256_Update(&c, r->body, r->bl);
	SHA256_Final(ih, &c);
	SHA256_Update(&o, ih, 32);
	SHA256_Final(m, &o);
	return m[0];
}

static void
ref_setup(struct refjob *r, const uint8_t *body, size_t bl)
{
	static char digest[] = "SHA256";
	OSSL_PARAM prm[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
			    OSSL_PARAM_construct_end()};
	uint8_t pad[64];

	r->body = body;
	r->bl = bl;
	r->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	r->mc = EVP_MAC_CTX_new(r->mac);
	EVP_MAC_init(r->mc, (const uint8_t *)"k3y", 3, prm);
	memset(pad, 0x36, 64);
	for (int i = 0; i < 3; i++)
		pad[i] ^= (uint8_t) "k3y"[i];
	SHA256_Init(&r->in);
	SHA256_Update(&r->in, pad, 64);
	memset(pad, 0x5c, 64);
	for (int i = 0; i < 3; i++)
		pad[i] ^= (uint8_t) "k3y"[i];
	SHA256_Init(&r->out);
	SHA256_Update(&r->out, pad, 64);
}

/* A JSON webhook body of exactly n bytes. */
static uint8_t *
make_body(size_t n)
{
	uint8_t *b = malloc(n);
	const char *head =
		"{\"id\":\"evt_1NbenchAAAAAAAA\",\"object\":\"event\",\"data\":{\"k\":\"";
	size_t hl = strlen(head);

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)('a' + i % 26);
	memcpy(b, head, hl < n ? hl : n);
	if (n >= hl + 3)
		memcpy(b + n - 3, "\"}}", 3);
	return b;
}

int
main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 7;
	double secs = argc > 2 ? atof(argv[2]) : 0.3;
	static const size_t sizes[] = {1024, 64};
	static const enum hp_provider provs[] = {HP_PROV_STRIPE, HP_PROV_STANDARD, HP_PROV_GITHUB,
						 HP_PROV_SLACK};

	if (runs < 1 || runs > MAX_RUNS)
		runs = 7;
	printf("bench_verify: median of %d runs of %.2f s, one core\n", runs, secs);
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		size_t n = sizes[si];
		uint8_t *body = make_body(n);
		struct refjob ref;
		struct job jobs[12];
		int nj = 0;
		double res[12][MAX_RUNS], med[12];

		ref_setup(&ref, body, n);
		jobs[nj++] = (struct job){"evp_mac_reinit", one_evp_reinit, &ref};
		jobs[nj++] = (struct job){"evp_q_mac", one_q_mac, &ref};
		jobs[nj++] = (struct job){"midstate", one_midstate, &ref};
		for (size_t p = 0; p < sizeof(provs) / sizeof(provs[0]); p++)
			jobs[nj++] = (struct job){hp_provider_name(provs[p]), one_verify,
						  setup(provs[p], body, n, false, false)};
		/* a rotation: the worker's context tries the secret that matched last first;
		 * without one (as before), every secret listed before it is computed too */
		jobs[nj++] = (struct job){"stripe, 2nd of 2", one_verify,
					  setup(HP_PROV_STRIPE, body, n, true, false)};
		jobs[nj++] = (struct job){"  same, in order", one_verify,
					  setup(HP_PROV_STRIPE, body, n, true, true)};
		/* interleaved runs: drift of a shared machine hits every job alike */
		for (int r = 0; r < runs; r++)
			for (int k = 0; k < nj; k++)
				res[k][r] = measure(&jobs[k], secs);
		printf("\n%zu-byte JSON body\n", n);
		printf("  %-20s %14s %10s %12s\n", "", "verifications/s", "ns/op", "vs evp_mac");
		for (int k = 0; k < nj; k++) {
			med[k] = median(res[k], runs);
			printf("  %-20s %14.0f %10.1f %11.2fx\n", jobs[k].name, med[k],
			       1e9 / med[k], med[k] / med[0]);
		}
		for (int k = 3; k < nj; k++) {
			struct vjob *vj = jobs[k].arg;

			hp_verify_ctx_free(vj->c);
			hp_verifier_free(vj->v);
			free(vj);
		}
		EVP_MAC_CTX_free(ref.mc);
		EVP_MAC_free(ref.mac);
		free(body);
	}
	return 0;
}
