/* SPDX-License-Identifier: BSD-3-Clause
 * Endpoint routing (dataplane/dp_route.c): exact host before wildcard before any host, longest
 * path prefix within a host, Host port and final dot ignored, case-insensitive host, absolute-form
 * targets matched on their path, wildcard never matching its apex; paths also matched as a
 * server that normalises them reads them (percent-decoding, dot segments, "//", "\\",
 * ";params", case), and a request without Host matched on its path alone; an endpoint's path
 * under another host found (hp_route_match_path, for foreign_host).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dp_route.h"
#include "hp_config.h"

static const char cfg_yaml[] =
	"dataplane: {mode: tap}\n"
	"endpoints:\n"
	"  - {name: exact-root, match: {host: hooks.example.com}, provider: none}\n"
	"  - {name: exact-gh, match: {host: hooks.example.com, path_prefix: /gh}, provider: none}\n"
	"  - {name: exact-gh-org, match: {host: hooks.example.com, path_prefix: /gh/org}, "
	"provider: none}\n"
	"  - {name: wild, match: {host: \"*.example.org\"}, provider: none}\n"
	"  - {name: wild-deeper, match: {host: \"*.eu.example.org\"}, provider: none}\n"
	"  - {name: any-x, match: {path_prefix: /x}, provider: none}\n";

static struct hp_config cfg;
static struct hp_route_table *rt;

static int
setup(void **state)
{
	char err[256];

	(void)state;
	if (hp_config_load_buffer("route.yaml", cfg_yaml, sizeof(cfg_yaml) - 1, &cfg, err,
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

/* Name of the endpoint for (host, target), or "-" for none. */
static const char *
route(const char *host, const char *target)
{
	const struct hp_route_ep *e = hp_route_match(rt, (const uint8_t *)host, strlen(host),
						     (const uint8_t *)target, strlen(target));

	return e != NULL ? e->cfg->name : "-";
}

static void
test_exact_host_longest_prefix(void **state)
{
	(void)state;
	assert_string_equal(route("hooks.example.com", "/"), "exact-root");
	assert_string_equal(route("hooks.example.com", "/gh"), "exact-gh");
	assert_string_equal(route("hooks.example.com", "/gh/org/42"), "exact-gh-org");
	assert_string_equal(route("hooks.example.com", "/ghost"), "exact-gh"); /* byte prefix */
	/* an exact host wins over any-host even when the any-host prefix is longer */
	assert_string_equal(route("hooks.example.com", "/x/1"), "exact-root");
}

static void
test_host_forms(void **state)
{
	(void)state;
	assert_string_equal(route("HOOKS.Example.COM", "/gh"), "exact-gh");
	assert_string_equal(route("hooks.example.com:8443", "/gh"), "exact-gh");
	assert_string_equal(route("hooks.example.com.", "/gh"), "exact-gh");
	assert_string_equal(route("hooks.example.co", "/gh"), "-");
	assert_string_equal(route("xhooks.example.com", "/gh"), "-");
	/* no Host (HTTP/1.0): a server gives it to its default host, which may be this one */
	assert_string_equal(route("", "/gh"), "exact-gh");
	assert_string_equal(route("[2001:db8::1]:80", "/x"), "any-x");
}

static void
test_wildcards(void **state)
{
	(void)state;
	assert_string_equal(route("a.example.org", "/"), "wild");
	assert_string_equal(route("a.b.example.org:80", "/z"), "wild");
	assert_string_equal(route("example.org", "/"), "-"); /* not the apex */
	assert_string_equal(route("badexample.org", "/"), "-");
	/* the longer suffix first */
	assert_string_equal(route("x.eu.example.org", "/"), "wild-deeper");
	assert_string_equal(route("eu.example.org", "/"), "wild");
}

static void
test_any_host_and_absolute_form(void **state)
{
	(void)state;
	assert_string_equal(route("other.example.net", "/x"), "any-x");
	assert_string_equal(route("other.example.net", "/y"), "-");
	assert_string_equal(route("hooks.example.com", "http://hooks.example.com/gh/org?a=1"),
			    "exact-gh-org");
	assert_string_equal(route("other.example.net", "https://other.example.net/x"), "any-x");
	assert_string_equal(route("other.example.net", "*"), "-");
}

/* Whose path is target's, whatever the host: endpoints that name a host and a prefix beyond
 * "/" only (an any-host endpoint matches every host already; a host's root is every path). */
static const char *
path_owner(const char *target)
{
	const struct hp_route_ep *e =
		hp_route_match_path(rt, (const uint8_t *)target, strlen(target));

	return e != NULL ? e->cfg->name : "-";
}

static void
test_foreign_host(void **state)
{
	(void)state;
	/* unrouted under another host, yet the path is exact-gh's */
	assert_string_equal(route("other.example.net", "/gh/events"), "-");
	assert_string_equal(path_owner("/gh/events"), "exact-gh");
	assert_string_equal(path_owner("/gh/org/1"), "exact-gh-org");
	/* normalised as the server reads it; absolute-form on its path */
	assert_string_equal(path_owner("//GH/%65vents"), "exact-gh");
	assert_string_equal(path_owner("/a/../gh"), "exact-gh");
	assert_string_equal(path_owner("http://elsewhere/gh?x"), "exact-gh");
	/* exact-root (prefix "/") and wild (no prefix) own no path; any-x matches every host */
	assert_string_equal(path_owner("/"), "-");
	assert_string_equal(path_owner("/other"), "-");
	assert_string_equal(path_owner("/x/1"), "-");
	assert_string_equal(path_owner("*"), "-");
}

/* A path too long to normalise is cut, never matched on a prefix of itself: past the cut, a
 * server that normalises it may read another endpoint's path. */
static void
test_cut_paths(void **state)
{
	char t[1400];
	uint8_t out[HP_ROUTE_NORM_MAX];
	size_t n;

	(void)state;
	t[0] = '/';
	memset(t + 1, 'a', 1100);
	strcpy(t + 1101, "/../gh/events");
	n = strlen(t);
	assert_int_equal(hp_route_norm_path((const uint8_t *)t, (uint32_t)n, out, sizeof(out)), -1);
	assert_true(hp_route_path_cut((const uint8_t *)t, (uint32_t)n));
	assert_string_equal(route("other.example.net", t), "-");
	/* nothing to normalise: its bytes are exact, a long path is not cut */
	t[1101] = '\0';
	assert_false(hp_route_path_cut((const uint8_t *)t, 1101));
	/* short, or long only in its query: not cut */
	assert_false(hp_route_path_cut((const uint8_t *)"/a/../gh", 8));
	memcpy(t, "/a/../gh?", 9);
	memset(t + 9, 'q', 1200);
	assert_false(hp_route_path_cut((const uint8_t *)t, 1209));
	assert_false(hp_route_path_cut((const uint8_t *)"http://h/a/./b", 14));
}

/* A request a server could route to an endpoint's handler once it normalises the path is that
 * endpoint's: verified, never forwarded as unrouted. */
static void
test_normalised_paths(void **state)
{
	static const char *const gh_org[] = {
		"//gh/org/1",     "/gh//org",      "/%67h/org",    "/%67H/%6Frg",
		"/GH/ORG",        "/./gh/org",     "/x/../gh/org", "/x/y/../../gh/org",
		"/%2e%2e/gh/org", "/../../gh/org", "\\gh\\org",    "/gh;jsessionid=1/org",
		"/gh/org;x",      "/gh/./org/",    "/gh/%2forg",   "/gh/org/../org/2?q=/.."};
	static const struct {
		const char *in, *out;
	} norm[] = {
		{"/", "/"},
		{"", "/"},
		{"/a/b", "/a/b"},
		{"/a/b/", "/a/b/"},
		{"//a///b//", "/a/b/"},
		{"/a/./b/.", "/a/b/"},
		{"/a/b/..", "/a/"},
		{"/a/b/../c", "/a/c"},
		{"/../..", "/"},
		{"/%41%2F%62?x=%41", "/a/b"},
		{"/a%2", "/a%2"},
		{"/a%zz", "/a%zz"},
		{"/a;p=1/b;q", "/a/b"},
		{"/;x/a", "/a"},
		{"\\A\\B", "/a/b"},
		{"/a#frag", "/a"},
	};
	uint8_t out[HP_ROUTE_NORM_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(gh_org) / sizeof(gh_org[0]); i++) {
		const char *name = route("hooks.example.com", gh_org[i]);

		if (strcmp(name, "exact-gh-org") != 0)
			fail_msg("%s routed to %s", gh_org[i], name);
	}
	/* only what normalises onto the prefix: "/x/../gh" is "/gh" */
	assert_string_equal(route("hooks.example.com", "/x/../gh"), "exact-gh");
	/* and the bytes as they are still count: a server that does not normalise reads "/gh" */
	assert_string_equal(route("hooks.example.com", "/gh/../y"), "exact-gh");
	assert_string_equal(route("other.example.net", "/%78/1"), "any-x");
	assert_string_equal(route("other.example.net", "/X"), "any-x");
	assert_string_equal(route("other.example.net", "/y/%2e%2e/x"), "any-x");
	assert_string_equal(route("other.example.net", "/y/x"), "-");
	assert_string_equal(route("hooks.example.com", "http://hooks.example.com"), "exact-root");
	for (size_t i = 0; i < sizeof(norm) / sizeof(norm[0]); i++) {
		int n = hp_route_norm_path((const uint8_t *)norm[i].in, strlen(norm[i].in), out,
					   sizeof(out));

		if (n != (int)strlen(norm[i].out) || memcmp(out, norm[i].out, (size_t)n) != 0)
			fail_msg("%s -> %.*s, want %s", norm[i].in, n, out, norm[i].out);
	}
	/* a path longer than the buffer is cut, never overrun */
	{
		static char big[3 * HP_ROUTE_NORM_MAX];

		memset(big, 'a', sizeof(big) - 1);
		big[0] = '/';
		assert_true(hp_route_norm_path((const uint8_t *)big, sizeof(big) - 1, out, 64) <=
			    64);
		assert_true(hp_route_norm_path((const uint8_t *)big, sizeof(big) - 1, out,
					       sizeof(out)) <= (int)sizeof(out));
	}
}

/* Whether a path needs normalising is decided 16 bytes a step, with the last bytes read by one
 * load over the span's end (or two of 8 for 8 to 16 bytes): what that decides must not depend
 * on where in those steps a '%', '\\', ';', "//", "/.", '?' or '#' falls. Each template with
 * 0..40 filler bytes before its special part, against the same match done on the normalised
 * path always. Hosts of every length against the port, final-dot and case rules likewise. */
static const char *
route_oracle(const char *target)
{
	uint8_t norm[HP_ROUTE_NORM_MAX];
	int n = hp_route_norm_path((const uint8_t *)target, strlen(target), norm, sizeof(norm));

	assert_true(n > 0);
	if (strncmp(target, "/gh/org", 7) == 0 || (n >= 7 && memcmp(norm, "/gh/org", 7) == 0))
		return "exact-gh-org";
	if (strncmp(target, "/gh", 3) == 0 || (n >= 3 && memcmp(norm, "/gh", 3) == 0))
		return "exact-gh";
	return "exact-root";
}

static void
test_every_offset(void **state)
{
	static const char *const head[] = {"/", "/GH/ORG/", "/gh", "/Gh/"};
	static const char *const tail[] = {
		"/../gh/org", "/%2e%2e/gh", "\\..\\gh", ";x/../gh/org", "//..//gh", "?/../gh",
		"#/../gh",    "/.",         "/..",      "//",           "%",        ";",
		"\\",         "/x?/..",     "",         "/./gh",        "?",        "#//.."};
	char t[128], host[96];

	(void)state;
	for (size_t h = 0; h < sizeof(head) / sizeof(head[0]); h++)
		for (size_t k = 0; k < sizeof(tail) / sizeof(tail[0]); k++)
			for (int m = 0; m <= 40; m++) {
				const char *got, *want;

				snprintf(t, sizeof(t), "%s%.*s%s", head[h], m,
					 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", tail[k]);
				got = route("hooks.example.com", t);
				want = route_oracle(t);
				if (strcmp(got, want) != 0)
					fail_msg("%s routed to %s, want %s", t, got, want);
			}
	for (int m = 1; m <= 44; m++) {
		static const char *const end[] = {"", ":8080", ".", ":", ":1:2"};
		static const char suffix[] = ".Example.ORG";

		for (size_t e = 0; e < sizeof(end) / sizeof(end[0]); e++) {
			snprintf(host, sizeof(host), "%.*s%s%s", m,
				 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", suffix,
				 end[e]);
			if (strcmp(route(host, "/y"), "wild") != 0)
				fail_msg("%s not routed to wild", host);
			/* one byte of the suffix changed, wherever it falls: not that host */
			for (size_t i = 0; i + 1 < sizeof(suffix); i++) {
				char keep = host[m + (int)i];

				host[m + (int)i] = keep == 'x' ? 'y' : 'x';
				if (strcmp(route(host, "/y"), "-") != 0)
					fail_msg("%s routed to %s", host, route(host, "/y"));
				host[m + (int)i] = keep;
			}
		}
	}
	/* the exact host in every case pattern of one letter, and one byte off at each place */
	for (size_t i = 0; i < strlen("hooks.example.com"); i++) {
		snprintf(host, sizeof(host), "hooks.example.com:443");
		if (host[i] >= 'a' && host[i] <= 'z')
			host[i] = (char)(host[i] - 32);
		assert_string_equal(route(host, "/y"), "exact-root");
		host[i] = host[i] == '~' ? '!' : '~';
		assert_string_equal(route(host, "/y"), "-");
	}
}

static void
test_resolved_fields(void **state)
{
	(void)state;
	for (uint32_t i = 0; i < rt->n; i++) {
		const struct hp_route_ep *e = rt->by_index[i];

		assert_non_null(e);
		assert_int_equal(e->index, i);
		assert_null(e->verifier); /* provider none */
		assert_int_equal(e->max_body, cfg.http.body_copy_max);
		assert_int_equal(e->ttl_ms, 86400ULL * 1000); /* no signed timestamp: 24 h */
		assert_int_equal(e->dedup_kind, HP_DK_BODY_HASH);
	}
}

/* The host index (tables of more than HP_ROUTE_SCAN_MAX endpoints) gives what a scan of every
 * endpoint gives: a table of 240 endpoints (exact hosts, one host with nested prefixes,
 * wildcards, any-host prefixes, IP literals, the small table's endpoints among them), and every
 * Host form (case, port, final dot, subdomain, unknown, none) against every target form
 * (prefixes, deeper paths, case, dot segments, "//", percent-encoding, absolute form). */
static void
test_index_equals_scan(void **state)
{
	static char yaml[64 * 1024];
	static const char *const tails[] = {"",   "/",    "/x", "/../a", "//",  "%2F",
					    "/.", "?q=1", "#f", "/A",    ";p=1"};
	static const char *const targets_extra[] = {"/",
						    "",
						    "/gh/org/x",
						    "/GH/ORG",
						    "//gh//org",
						    "/x/y",
						    "/shared/a/b/c",
						    "/shared/a%2Fb",
						    "/shared/./a",
						    "/any3/z",
						    "/hook7",
						    "/hook7/deeper",
						    "/Hook7",
						    "/hook70",
						    "*",
						    "http://e/x",
						    "http://e/shared/a/b",
						    "https://e:1/hook5",
						    "/%68ook5",
						    "/any3/../x"};
#define N_TAILS (sizeof(tails) / sizeof(tails[0]))
#define N_EXTRA (sizeof(targets_extra) / sizeof(targets_extra[0]))
	struct hp_config big;
	struct hp_route_table *t = NULL;
	char err[256], host[300];
	size_t off = 0;
	uint32_t checked = 0, routed = 0, n_hosts = 0;
	char(*hosts)[320] = calloc(2048, sizeof(*hosts));
	char(*targets)[320] = calloc(2048, sizeof(*targets));
	uint32_t n_targets = 0;

	(void)state;
	assert_non_null(hosts);
	assert_non_null(targets);
#define Y(...) (off += (size_t)snprintf(yaml + off, sizeof(yaml) - off, __VA_ARGS__))
	Y("dataplane: {mode: tap}\nendpoints:\n");
	Y("  - {name: exact-root, match: {host: hooks.example.com}, provider: none}\n");
	Y("  - {name: exact-gh, match: {host: hooks.example.com, path_prefix: /gh}, "
	  "provider: none}\n");
	Y("  - {name: exact-gh-org, match: {host: hooks.example.com, path_prefix: /gh/org}, "
	  "provider: none}\n");
	Y("  - {name: wild, match: {host: \"*.example.org\"}, provider: none}\n");
	Y("  - {name: wild-deeper, match: {host: \"*.eu.example.org\"}, provider: none}\n");
	Y("  - {name: any-x, match: {path_prefix: /x}, provider: none}\n");
	for (int i = 0; i < 150; i++)
		Y("  - {name: t%d, match: {host: t%d.example.com, path_prefix: /%s%d}, "
		  "provider: none}\n",
		  i, i % 120, i < 120 ? (i % 2 ? "hook" : "") : "late", i < 120 ? i % 3 + 5 : i);
	for (int i = 0; i < 36; i++)
		Y("  - {name: s%d, match: {host: shared.example.com, path_prefix: /shared/%d}, "
		  "provider: none}\n",
		  i, i);
	Y("  - {name: sa, match: {host: shared.example.com, path_prefix: /shared/a}, "
	  "provider: none}\n");
	Y("  - {name: sab, match: {host: shared.example.com, path_prefix: /shared/a/b}, "
	  "provider: none}\n");
	Y("  - {name: sb, match: {host: shared.example.com, path_prefix: /shared/b}, "
	  "provider: none}\n");
	Y("  - {name: s, match: {host: shared.example.com, path_prefix: /shared}, "
	  "provider: none}\n");
	for (int i = 0; i < 24; i++)
		Y("  - {name: w%d, match: {host: \"*.w%d.example.org\"%s}, provider: none}\n", i,
		  i % 12, i < 12 ? "" : ", path_prefix: /hook7");
	for (int i = 0; i < 15; i++)
		Y("  - {name: a%d, match: {path_prefix: /any%d}, provider: none}\n", i, i);
	Y("  - {name: a-sub, match: {path_prefix: /any3/sub}, provider: none}\n");
	for (int i = 0; i < 4; i++)
		Y("  - {name: ip%d, match: {host: \"198.18.0.%d\"}, provider: none}\n", i, i);
#undef Y
	if (hp_config_load_buffer("big.yaml", yaml, off, &big, err, sizeof(err)) != 0 ||
	    hp_route_build(&big, &t, err, sizeof(err)) != 0)
		fail_msg("big table: %s", err);
	assert_int_equal(t->n, 240);
	assert_non_null(t->hstart);                /* indexed */
	assert_int_equal(t->n_other, 3 + 24 + 16); /* wildcards and any-host ones */

	/* room for five forms of every endpoint's host, then four others (2 048 in all) */
	for (uint32_t i = 0; i < t->n && n_hosts + 5 + 4 <= 2048; i++) {
		const struct hp_route_ep *e = &t->ep[i];
		const char *h = e->host;

		if (e->any_host)
			continue;
		if (e->wildcard) {
			snprintf(hosts[n_hosts++], 320, "a%s", h);
			snprintf(hosts[n_hosts++], 320, "B.c%s:8443", h);
			snprintf(hosts[n_hosts++], 320, "%s", h + 1); /* the apex: never */
			continue;
		}
		snprintf(hosts[n_hosts++], 320, "%s", h);
		snprintf(hosts[n_hosts++], 320, "%s:443", h);
		snprintf(hosts[n_hosts++], 320, "%s.", h);
		snprintf(hosts[n_hosts], 320, "%s", h);
		for (char *c = hosts[n_hosts]; *c; c++)
			if (*c >= 'a' && *c <= 'z' && (c - hosts[n_hosts]) % 2 == 0)
				*c = (char)(*c - 32);
		n_hosts++;
		snprintf(hosts[n_hosts++], 320, "x.%s", h);
	}
	snprintf(hosts[n_hosts++], 320, "%s", "");
	snprintf(hosts[n_hosts++], 320, "%s", "unknown.example.net");
	snprintf(hosts[n_hosts++], 320, "%s", "[2001:db8::1]:80");
	snprintf(hosts[n_hosts++], 320, "%s", ":80");
	/* room for every endpoint's tails, then the extra targets (2 048 in all) */
	for (uint32_t i = 0; i < t->n && n_targets + N_TAILS + N_EXTRA <= 2048; i++)
		for (size_t k = 0; k < sizeof(tails) / sizeof(tails[0]); k++)
			snprintf(targets[n_targets++], 320, "%s%s",
				 t->ep[i].prefix[0] ? t->ep[i].prefix : "/", tails[k]);
	for (size_t k = 0; k < sizeof(targets_extra) / sizeof(targets_extra[0]); k++)
		snprintf(targets[n_targets++], 320, "%s", targets_extra[k]);

	for (uint32_t i = 0; i < n_hosts; i++)
		for (uint32_t j = 0; j < n_targets; j += 1 + (i + j) % 5) {
			size_t hl = strlen(hosts[i]), tl = strlen(targets[j]);
			const struct hp_route_ep *a = hp_route_match(
				t, (const uint8_t *)hosts[i], hl, (const uint8_t *)targets[j], tl);
			const struct hp_route_ep *b = hp_route_match_scan(
				t, (const uint8_t *)hosts[i], hl, (const uint8_t *)targets[j], tl);

			if (a != b)
				fail_msg("Host \"%s\", target \"%s\": index %s, scan %s", hosts[i],
					 targets[j], a ? a->cfg->name : "-",
					 b ? b->cfg->name : "-");
			checked++;
			routed += a != NULL;
		}
	/* the comparison is not vacuous: most requests route, some do not */
	assert_true(checked > 50000);
	assert_true(routed > checked / 10 && routed < checked);
	snprintf(host, sizeof(host), "t7.example.com");
	assert_string_equal(hp_route_match(t, (const uint8_t *)host, strlen(host),
					   (const uint8_t *)"/hook6/x", 8)
				    ->cfg->name,
			    "t7");
	hp_route_free(t);
	hp_config_free(&big);
	free(hosts);
	free(targets);
#undef N_TAILS
#undef N_EXTRA
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_host_longest_prefix),
		cmocka_unit_test(test_host_forms),
		cmocka_unit_test(test_wildcards),
		cmocka_unit_test(test_any_host_and_absolute_form),
		cmocka_unit_test(test_normalised_paths),
		cmocka_unit_test(test_foreign_host),
		cmocka_unit_test(test_cut_paths),
		cmocka_unit_test(test_every_offset),
		cmocka_unit_test(test_resolved_fields),
		cmocka_unit_test(test_index_equals_scan),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
