/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target for endpoint routing (dataplane/dp_route.c): the path normaliser and the
 * matchers read the request-target and Host an attacker writes.
 *
 * Input: byte 0 = where the rest splits into Host (before) and request-target (after), modulo
 * its length. A fixed endpoint table (exact hosts with prefixes, a host's root, a wildcard, an
 * any-host prefix, prefixes that need normalising). Traps on:
 *   - a normalised path longer than its buffer, with an ASCII capital letter (case is folded),
 *     or with an empty, "." or ".." segment left (they are resolved), or cut (-1) when shorter
 *     than what is normalised;
 *   - a request routed to an endpoint that names a host and a prefix beyond "/" whose target
 *     hp_route_match_path does not see (foreign_host would miss it);
 *   - a target hp_route_match_path gives an endpoint that the same target without Host (a
 *     request matched on its path alone) does not route;
 *   - a Host whose case changes the route;
 *   - a route that the host index (this table is large enough to have one) gives and a scan
 *     of every endpoint in order does not.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_route.h"
#include "hp_config.h"

#include "fuzz.h"

static const char cfg_yaml[] =
	"dataplane: {mode: tap}\n"
	"endpoints:\n"
	"  - {name: stripe, match: {host: hooks.example.com, path_prefix: /stripe}, "
	"provider: none}\n"
	"  - {name: gh-org, match: {host: hooks.example.com, path_prefix: /gh/org}, "
	"provider: none}\n"
	"  - {name: root, match: {host: root.example.com}, provider: none}\n"
	"  - {name: slash, match: {host: slash.example.com, path_prefix: /}, provider: none}\n"
	"  - {name: wild, match: {host: \"*.example.org\", path_prefix: /w}, provider: none}\n"
	"  - {name: any-x, match: {path_prefix: /x/y}, provider: none}\n"
	"  - {name: odd, match: {host: odd.example.com, path_prefix: \"/A%42/./c\"}, "
	"provider: none}\n"
	/* more than HP_ROUTE_SCAN_MAX endpoints: matches go through the host index */
	"  - {name: f1, match: {host: a.example.com}, provider: none}\n"
	"  - {name: f2, match: {host: b.example.com, path_prefix: /stripe}, provider: none}\n"
	"  - {name: f3, match: {host: \"*.b.example.com\", path_prefix: /s}, provider: none}\n"
	"  - {name: f4, match: {host: C.Example.com, path_prefix: /stripe/x}, provider: none}\n"
	"  - {name: f5, match: {host: 198.18.0.2, path_prefix: /x}, provider: none}\n"
	"  - {name: f6, match: {path_prefix: /stripe/any}, provider: none}\n";

static struct hp_config cfg;
static struct hp_route_table *rt;

static void
init(void)
{
	char err[256];

	if (hp_config_load_buffer("route.yaml", cfg_yaml, sizeof(cfg_yaml) - 1, &cfg, err,
				  sizeof(err)) != 0 ||
	    hp_route_build(&cfg, &rt, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_route: %s\n", err);
		abort();
	}
}

static void
check_norm(const uint8_t *t, uint32_t n)
{
	uint8_t out[HP_ROUTE_NORM_MAX + 1];
	int len = hp_route_norm_path(t, n, out, HP_ROUTE_NORM_MAX);

	/* -1: cut, only for a path at least as long as what is normalised */
	CHECK(len <= HP_ROUTE_NORM_MAX && (len >= 0 || n >= HP_ROUTE_NORM_MAX - 1));
	for (int i = 0; i < len; i++) {
		CHECK(!(out[i] >= 'A' && out[i] <= 'Z'));
		/* a segment starts after each '/': never empty (but a final "/"), ".", or ".." */
		if (out[i] == '/' && i + 1 < len) {
			const uint8_t *s = out + i + 1;
			int rest = len - i - 1, sl = 0;

			while (sl < rest && s[sl] != '/')
				sl++;
			CHECK(sl != 0);
			CHECK(!(sl == 1 && s[0] == '.'));
			CHECK(!(sl == 2 && s[0] == '.' && s[1] == '.'));
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct hp_route_ep *e, *p;
	uint8_t upper[256];
	const uint8_t *host, *target;
	uint32_t hl, tl;

	if (rt == NULL)
		init();
	if (size < 1 || size > 4096)
		return 0;
	hl = (uint32_t)(data[0] % size);
	host = data + 1;
	hl = hl > size - 1 ? (uint32_t)(size - 1) : hl;
	target = host + hl;
	tl = (uint32_t)(size - 1 - hl);

	check_norm(target, tl);
	e = hp_route_match(rt, host, hl, target, tl);
	CHECK(rt->hstart != NULL && e == hp_route_match_scan(rt, host, hl, target, tl));
	p = hp_route_match_path(rt, target, tl);
	if (e != NULL && !e->any_host && e->nprefix_len > 1)
		CHECK(p != NULL);
	if (p != NULL)
		CHECK(hp_route_match(rt, host, 0, target, tl) != NULL);
	if (hl <= sizeof(upper)) {
		for (uint32_t i = 0; i < hl; i++)
			upper[i] = host[i] >= 'a' && host[i] <= 'z' ? (uint8_t)(host[i] - 32)
								    : host[i];
		CHECK(hp_route_match(rt, upper, hl, target, tl) == e);
	}
	return 0;
}
