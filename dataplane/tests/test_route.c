/* SPDX-License-Identifier: BSD-3-Clause
 * Endpoint routing (dataplane/dp_route.c): exact host before wildcard before any host, longest
 * path prefix within a host, Host port and final dot ignored, case-insensitive host, absolute-form
 * targets matched on their path, wildcard never matching its apex.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
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
	assert_string_equal(route("", "/gh"), "-");
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_host_longest_prefix),
		cmocka_unit_test(test_host_forms),
		cmocka_unit_test(test_wildcards),
		cmocka_unit_test(test_any_host_and_absolute_form),
		cmocka_unit_test(test_resolved_fields),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
