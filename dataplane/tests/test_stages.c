/* SPDX-License-Identifier: BSD-3-Clause
 * Request stages (dataplane/dp_stage.h, dp_stages.c): the order of hp_stages[], which stages
 * apply to which endpoint (built from a real configuration: real verifiers, a real Hyperscan
 * database), and the per-endpoint worker state made for exactly the stages that keep one. The
 * verdicts themselves are tested end to end from
 * packets (tests/pcap/test_pcap_verdict.py, test_pcap_pii.py, tests/sinks, the adversarial
 * suite).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "dp_route.h"
#include "dp_stage.h"
#include "dp_stats.h"
#include "dp_types.h"
#include "hp_config.h"
#include "vsha256.h"

static const char cfg_yaml[] =
	"dataplane: {mode: bridge, port_pairs: [[0, 1]]}\n"
	"tokens: {redis_url: \"redis://127.0.0.1:1\"}\n"
	"endpoints:\n"
	"  - {name: plain, match: {host: a.example.com}, provider: none, dedup: {key: none}}\n"
	"  - {name: signed, match: {host: b.example.com}, provider: github,\n"
	"     secrets: [\"s3cret-s3cret-s3cret\"]}\n"
	"  - {name: tokens, match: {host: c.example.com}, provider: none, dedup: {key: none},\n"
	"     token: {header: Authorization, prefix: \"Bearer \"}}\n"
	"  - {name: report, match: {host: d.example.com}, provider: none, dedup: {key: none},\n"
	"     pii: {policy: report}}\n"
	"  - {name: everything, match: {host: e.example.com}, provider: github,\n"
	"     secrets: [\"s3cret-s3cret-s3cret\"], pii: {policy: mask},\n"
	"     token: {header: X-Api-Key}}\n";

static struct hp_config cfg;
static struct hp_route_table *rt;

static int
setup(void **state)
{
	char err[512];

	(void)state;
	if (hp_config_load_buffer("stages.yaml", cfg_yaml, sizeof(cfg_yaml) - 1, &cfg, err,
				  sizeof(err)) != 0) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	if (hp_route_build(&cfg, &rt, err, sizeof(err)) != 0) {
		fprintf(stderr, "routes: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	hp_route_free(rt);
	hp_config_free(&cfg);
	return 0;
}

static const struct hp_route_ep *
ep_named(const char *name)
{
	for (uint32_t k = 0; k < rt->n; k++)
		if (strcmp(rt->by_index[k]->cfg->name, name) == 0)
			return rt->by_index[k];
	fail_msg("no endpoint %s", name);
	return NULL;
}

/* The stages that apply to the endpoint, as "a,b,c", and whether each has a state. */
static void
stages_of(const char *name, char *out, size_t cap, char *states, size_t scap)
{
	struct hp_ep_stages st;
	char err[256];
	size_t n = 0, m = 0;

	assert_int_equal(hp_stages_ep_init(ep_named(name), 0, &st, err, sizeof(err)), 0);
	out[0] = states[0] = '\0';
	for (unsigned int i = 0; i < st.n; i++) {
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "," : "",
				      hp_stages[st.id[i]]->name);
		m += (size_t)snprintf(states + m, scap - m, "%c", st.state[i] != NULL ? 'S' : '-');
	}
	hp_stages_ep_free(&st);
	assert_int_equal(st.n, 0);
}

static void
test_order(void **state)
{
	static const char *const want[] = {"limits", "pii_scan", "verify", "pii_action",
					   "token",  "dedup",    "ml"};

	(void)state;
	assert_int_equal(hp_n_stages, sizeof(want) / sizeof(want[0]));
	for (unsigned int i = 0; i < hp_n_stages; i++) {
		assert_string_equal(hp_stages[i]->name, want[i]);
		assert_non_null(hp_stages[i]->run);
		/* a stage with a state frees it */
		assert_true((hp_stages[i]->ep_init == NULL) == (hp_stages[i]->ep_free == NULL));
	}
}

static void
test_applies(void **state)
{
	char got[128], st[16];

	(void)state;
	stages_of("plain", got, sizeof(got), st, sizeof(st));
	assert_string_equal(got, "limits");
	assert_string_equal(st, "-");
	stages_of("signed", got, sizeof(got), st, sizeof(st));
	assert_string_equal(got, "limits,verify,dedup");
	assert_string_equal(st, "-S-"); /* the verification context */
	stages_of("tokens", got, sizeof(got), st, sizeof(st));
	assert_string_equal(got, "limits,token");
	stages_of("report", got, sizeof(got), st, sizeof(st));
	assert_string_equal(got, "limits,pii_scan"); /* report: counted, no action */
	assert_string_equal(st, "-S");               /* the Hyperscan scratch */
	stages_of("everything", got, sizeof(got), st, sizeof(st));
	assert_string_equal(got, "limits,pii_scan,verify,pii_action,token,dedup");
	assert_string_equal(st, "-SS---");
}

static const struct hp_stage *
stage_named(const char *name)
{
	for (unsigned int i = 0; i < hp_n_stages; i++)
		if (strcmp(hp_stages[i]->name, name) == 0)
			return hp_stages[i];
	fail_msg("no stage %s", name);
	return NULL;
}

/* What each stage declares: the reasons it may refuse with, its own counters (reported under
 * their names in the stage slots, in stage order, nothing else there). */
static void
test_declared(void **state)
{
	unsigned int slot = 0;

	(void)state;
	assert_true(hp_stage_gives(stage_named("verify"), HP_EV_R_BAD_SIGNATURE));
	assert_true(hp_stage_gives(stage_named("verify"), HP_EV_R_STALE_TIMESTAMP));
	assert_false(hp_stage_gives(stage_named("verify"), HP_EV_R_DUPLICATE));
	assert_true(hp_stage_gives(stage_named("dedup"), HP_EV_R_DUPLICATE));
	assert_true(hp_stage_gives(stage_named("token"), HP_EV_R_TOKEN_UNAVAILABLE));
	assert_true(hp_stage_gives(stage_named("limits"), HP_EV_R_BODY_TOO_LARGE));
	assert_true(hp_stage_gives(stage_named("pii_action"), HP_EV_R_PII_BLOCKED));
	assert_false(hp_stage_gives(stage_named("pii_scan"), HP_EV_R_PII_BLOCKED)); /* never */
	for (unsigned int i = 0; i < hp_n_stages; i++) {
		assert_false(hp_stage_gives(hp_stages[i], HP_EV_R_OK));
		for (unsigned int k = 0; k < hp_stages[i]->n_ctrs; k++, slot++) {
			assert_string_equal(hp_ctr_name((enum hp_ctr)(HP_CTR_STAGE_BASE + slot)),
					    hp_stages[i]->ctrs[k].name);
			assert_non_null(hp_ctr_help((enum hp_ctr)(HP_CTR_STAGE_BASE + slot)));
		}
	}
	assert_string_equal(hp_ctr_name((enum hp_ctr)HP_CTR_STAGE_BASE), "pii_scans");
	for (; slot < HP_STAGE_CTRS_MAX; slot++)
		assert_null(hp_ctr_name((enum hp_ctr)(HP_CTR_STAGE_BASE + slot)));
}

/* The verdict latency histogram (dp_stats.h, shared by every report): log-linear buckets,
 * each bound inclusive and in its own bucket, the next nanosecond in the next one, widths at
 * most 25 % of the lower bound from 128 ns to 2^32 ns, +Inf last. */
static void
test_lat_buckets(void **state)
{
	unsigned int prev = 0;

	(void)state;
	assert_int_equal(HP_LAT_BUCKETS, 102);
	assert_int_equal(hp_lat_bucket(0), 0);
	assert_int_equal(hp_lat_bucket(128), 0);
	assert_int_equal(hp_lat_bucket(129), 1);
	assert_int_equal(hp_lat_bucket_le_ns(1), 160);
	assert_int_equal(hp_lat_bucket(20000), hp_lat_bucket(16385));     /* (16384, 20480] */
	assert_int_not_equal(hp_lat_bucket(20000), hp_lat_bucket(24000)); /* was one bucket */
	assert_int_equal(hp_lat_bucket_le_ns(HP_LAT_BUCKETS - 2), 1ULL << 32);
	assert_int_equal(hp_lat_bucket_le_ns(HP_LAT_BUCKETS - 1), 0);
	assert_int_equal(hp_lat_bucket(UINT64_MAX), HP_LAT_BUCKETS - 1);
	for (unsigned int k = 0; k + 1 < HP_LAT_BUCKETS; k++) {
		uint64_t le = hp_lat_bucket_le_ns(k);

		assert_int_equal(hp_lat_bucket(le), k);
		assert_int_equal(hp_lat_bucket(le + 1), k + 1);
		if (k > 0)
			assert_true((le - hp_lat_bucket_le_ns(k - 1)) * 4 <=
				    hp_lat_bucket_le_ns(k - 1));
	}
	for (uint64_t ns = 1; ns < (1ULL << 34); ns += ns / 64 + 1) {
		unsigned int b = hp_lat_bucket(ns);

		assert_true(b >= prev);
		prev = b;
	}
}

/* hp_stage_sha256 (the replay and token keys' digest) equals OpenSSL's SHA-256 of the pieces
 * joined, over piece lengths around the 64-byte block and the 56-byte padding edge, on
 * whichever engine this CPU runs (SHA-NI, or OpenSSL's through the worker's context). */
static void
test_key_sha256(void **state)
{
	static struct hp_worker w;
	uint8_t buf[600], joined[600], got[32], want[32];
	unsigned int wl;
	EVP_MD *sha = EVP_MD_fetch(NULL, "SHA256", NULL);

	(void)state;
	assert_non_null(sha);
	w.key_sha = EVP_MD_CTX_new();
	assert_non_null(w.key_sha);
	assert_int_equal(EVP_DigestInit_ex2(w.key_sha, sha, NULL), 1);
	for (unsigned int i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	for (size_t a = 0; a <= 70; a++)
		for (size_t b = 0; b <= 2; b++)
			for (size_t c = 0; c <= 300; c += (c < 130 ? 1 : 17)) {
				struct hp_stage_piece pc[3] = {
					{buf, a}, {buf + 100, b}, {buf + 200, c}};

				memcpy(joined, buf, a);
				memcpy(joined + a, buf + 100, b);
				memcpy(joined + a + b, buf + 200, c);
				assert_int_equal(
					EVP_Digest(joined, a + b + c, want, &wl, sha, NULL), 1);
				assert_true(hp_stage_sha256(&w, pc, 3, got));
				assert_memory_equal(got, want, 32);
			}
	printf("# key digest engine: %s\n",
	       hp_vsha256_ni_usable() ? "SHA-NI (lib/verify/vsha256)" : "OpenSSL");
	EVP_MD_CTX_free(w.key_sha);
	EVP_MD_free(sha);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),      cmocka_unit_test(test_applies),
		cmocka_unit_test(test_declared),   cmocka_unit_test(test_lat_buckets),
		cmocka_unit_test(test_key_sha256),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
