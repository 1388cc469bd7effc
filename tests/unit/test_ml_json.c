/* SPDX-License-Identifier: BSD-3-Clause
 * The JSON shape scan of the ML features (lib/ml/ml_json.h): each 64-byte mask version this
 * CPU runs (SSE2, AVX2, AVX-512BW) gives what the byte-by-byte definition gives, on hand-written
 * cases (strings, escapes, block edges, a tail), on random structural noise (every character that
 * matters, dense), and on webhook-like bodies of every length up to 2 KB.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ml_json.h"

/* Every version this CPU runs. */
static struct {
	const char *name;
	hp_ml_json_fn fn;
} versions[3];
static unsigned int n_versions;

static void
check(const char *what, const uint8_t *p, size_t n)
{
	unsigned int d0, k0, d1, k1;

	hp_ml_json_shape_ref(p, n, &d0, &k0);
	for (unsigned int v = 0; v < n_versions; v++) {
		versions[v].fn(p, n, &d1, &k1);
		if (d0 != d1 || k0 != k1) {
			fprintf(stderr, "%s, %s (%zu bytes): depth %u/%u keys %u/%u: %.*s\n", what,
				versions[v].name, n, d0, d1, k0, k1, (int)n, (const char *)p);
			fail();
		}
	}
}

static void
shape_of(const char *s, unsigned int depth, unsigned int keys)
{
	unsigned int d, k;

	hp_ml_json_shape_ref((const uint8_t *)s, strlen(s), &d, &k);
	assert_int_equal(d, depth);
	assert_int_equal(k, keys);
	check("case", (const uint8_t *)s, strlen(s));
}

static void
test_cases(void **state)
{
	char buf[400];

	(void)state;
	shape_of("", 0, 0);
	shape_of("{}", 1, 0);
	shape_of("{\"a\":1}", 1, 1);
	shape_of("{\"a\":{\"b\":[1,{\"c\":2}]}}", 4, 3);
	shape_of("{\"a:{[\":\"}]:\"}", 1, 1);    /* structure inside strings */
	shape_of("{\"a\\\":{\":1}", 1, 1);       /* an escaped quote */
	shape_of("{\"a\\\\\":{\"b\":1}}", 2, 2); /* an escaped backslash */
	shape_of("]]]{", 1, 0);                  /* depth never below 0 */
	shape_of("\\\"{:", 0, 0);                /* a backslash outside a string */
	/* a string across the 64-byte edge, with structure in it */
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "{\"k\":\"");
	memset(buf + 6, 'x', 55);
	strcat(buf, "{[:]}\",\"z\":[1]}");
	shape_of(buf, 2, 2);
	/* an escape as the last byte of a block */
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "{\"k\":\"");
	memset(buf + 6, 'x', 57);
	strcat(buf, "\\\":{\":1}");
	assert_int_equal(buf[63], '\\');
	shape_of(buf, 1, 2);
}

static void
test_random_noise(void **state)
{
	static const char alpha[] = "\"\\{}[]:,a 0\"{:";
	uint8_t buf[300];
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (unsigned int it = 0; it < 300000; it++) {
		size_t n = it % sizeof(buf);

		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* mostly the characters that matter; now and then any byte */
			buf[i] = (x & 0xf00) == 0 ? (uint8_t)(x >> 24)
						  : (uint8_t)alpha[(x >> 32) % (sizeof(alpha) - 1)];
		}
		check("noise", buf, n);
	}
}

static void
test_bodies(void **state)
{
	char body[2200];
	size_t n = 0;

	(void)state;
	n += (size_t)snprintf(body + n, sizeof(body) - n,
			      "{\"id\":\"evt_1\",\"data\":{\"items\":[");
	for (unsigned int i = 0; n < 2000; i++)
		n += (size_t)snprintf(
			body + n, sizeof(body) - n,
			"%s{\"n\":%u,\"name\":\"item %u\",\"url\":\"https:\\/\\/x\\/%u\","
			"\"tags\":[\"a\",\"b\"],\"meta\":{\"k\":\"v:{}\"}}",
			i ? "," : "", i, i, i);
	n += (size_t)snprintf(body + n, sizeof(body) - n, "]}}");
	for (size_t len = 0; len <= n; len++)
		check("body prefix", (const uint8_t *)body, len);
}

int
main(void)
{
	const char *best;

	versions[n_versions].name = "sse2";
	versions[n_versions++].fn = hp_ml_json_shape_sse2;
#ifdef HP_ML_JSON_X86
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2")) {
		versions[n_versions].name = "avx2";
		versions[n_versions++].fn = hp_ml_json_shape_avx2;
	}
	if (__builtin_cpu_supports("avx512bw")) {
		versions[n_versions].name = "avx512bw";
		versions[n_versions++].fn = hp_ml_json_shape_avx512;
	}
#endif
	hp_ml_json_pick(&best);
	printf("# versions checked: %u (the pick on this CPU: %s)\n", n_versions, best);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_random_noise),
		cmocka_unit_test(test_bodies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
