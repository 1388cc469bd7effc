/* SPDX-License-Identifier: BSD-3-Clause
 * The ML stage's JSON shape scan (lib/ml/ml_json.h): ns per body and GB/s of each version this
 * CPU runs, next to the byte-by-byte reference in the same run, on webhook-like JSON bodies
 * (nested objects, short keys and values, a structural character every few bytes).
 *
 * usage: bench_ml_json [BODY_BYTES [ROUNDS]]   (default 1024 bytes, 200000 rounds; median of 5)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ml_json.h"

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median ns per call of fn over rounds calls, 5 runs; the sum of results defeats the
 * optimiser. */
static double
time_fn(hp_ml_json_fn fn, const uint8_t *body, size_t n, unsigned int rounds, unsigned int *sink)
{
	uint64_t runs[5];

	for (unsigned int r = 0; r < 5; r++) {
		uint64_t t0 = now_ns();

		for (unsigned int i = 0; i < rounds; i++) {
			unsigned int d, k;

			fn(body, n, &d, &k);
			*sink += d + k;
			__asm__ volatile("" ::: "memory");
		}
		runs[r] = now_ns() - t0;
	}
	qsort(runs, 5, sizeof(runs[0]), cmp_u64);
	return (double)runs[2] / rounds;
}

int
main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
	unsigned int rounds = argc > 2 ? (unsigned int)strtoul(argv[2], NULL, 10) : 200000;
	char *body = malloc(n + 256);
	size_t o = 0;
	unsigned int sink = 0, d0, k0;
	const char *best;
	double ref;
	struct {
		const char *name;
		hp_ml_json_fn fn;
		int ok;
	} v[] = {
		{"sse2", hp_ml_json_shape_sse2, 1},
#ifdef HP_ML_JSON_X86
		{"avx2", hp_ml_json_shape_avx2, 0},
		{"avx512bw", hp_ml_json_shape_avx512, 0},
#endif
	};

	if (body == NULL || n < 16)
		return 2;
#ifdef HP_ML_JSON_X86
	__builtin_cpu_init();
	v[1].ok = __builtin_cpu_supports("avx2");
	v[2].ok = __builtin_cpu_supports("avx512bw");
#endif
	o += (size_t)snprintf(body, n + 256,
			      "{\"id\":\"evt_1\",\"type\":\"charge.succeeded\","
			      "\"data\":{\"object\":{\"items\":[");
	for (unsigned int i = 0; o < n; i++)
		o += (size_t)snprintf(body + o, n + 256 - o,
				      "%s{\"n\":%u,\"amount\":%u,\"cur\":\"usd\",\"ok\":true,"
				      "\"meta\":{\"k\":\"v%u\"}}",
				      i ? "," : "", i, 100 * i, i);
	memcpy(body + n - 5, "]}}}", 4); /* cut to n bytes, closed (roughly) */
	body[n - 1] = '}';
	hp_ml_json_shape_ref((const uint8_t *)body, n, &d0, &k0);
	hp_ml_json_pick(&best);
	ref = time_fn(hp_ml_json_shape_ref, (const uint8_t *)body, n, rounds, &sink);
	printf("# bench_ml_json: %zu-byte JSON body (depth %u, %u keys), %u rounds, median of 5; "
	       "the ml stage picks %s here\n",
	       n, d0, k0, rounds, best);
	printf("%-12s %10s %10s %12s\n", "version", "ns/body", "GB/s", "vs reference");
	printf("%-12s %10.1f %10.2f %11.1fx\n", "byte loop", ref, n / ref, 1.0);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unsigned int d, k;
		double t;

		if (!v[i].ok)
			continue;
		v[i].fn((const uint8_t *)body, n, &d, &k);
		if (d != d0 || k != k0) {
			fprintf(stderr, "%s disagrees with the reference\n", v[i].name);
			return 1;
		}
		t = time_fn(v[i].fn, (const uint8_t *)body, n, rounds, &sink);
		printf("%-12s %10.1f %10.2f %11.1fx\n", v[i].name, t, n / t, ref / t);
	}
	free(body);
	return sink == 42 ? 3 : 0;
}
