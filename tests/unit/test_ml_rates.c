/* SPDX-License-Identifier: BSD-3-Clause
 * The rate features of the ML vector (lib/ml/ml_rates.h), kept by the hp-ml thread for all
 * workers: counts per source, the new-source flag, the ~10 s window (halved every 5 s), the
 * gap and its EWMA, and what happens when records come out of time order (two workers'
 * rings) or a counter saturates.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ml_features.h"
#include "ml_rates.h"

#define MS 1000000ULL
#define S  1000000000ULL

/* two sources whose hashes share no counter in either row */
#define SRC_A 0x0000000500000003ULL
#define SRC_B 0x0000000900000007ULL

static float f[HP_ML_N_FEATURES];

static void
count(struct hp_ml_rates *st, uint64_t src, uint64_t t)
{
	for (unsigned int i = 0; i < HP_ML_N_FEATURES; i++)
		f[i] = -1.0f; /* what the call must not touch stays -1 */
	hp_ml_rates_count(st, src, t, f);
	for (unsigned int i = 0; i < HP_ML_N_FEATURES; i++)
		if (i < HP_MLF_RATES_FIRST || i >= HP_MLF_RATES_FIRST + HP_ML_N_RATES)
			assert_true(f[i] == -1.0f);
}

static struct hp_ml_rates *
fresh(void)
{
	struct hp_ml_rates *st = calloc(1, sizeof(*st));

	assert_non_null(st);
	return st;
}

static void
test_first_and_second(void **state)
{
	struct hp_ml_rates *st = fresh();
	uint64_t t0 = 1000 * S;

	(void)state;
	count(st, SRC_A, t0);
	assert_true(f[HP_MLF_SRC_RATE] == 1.0f);
	assert_true(f[HP_MLF_NEW_SOURCE] == 1.0f);
	assert_true(isnan(f[HP_MLF_GAP_MS]));
	assert_true(f[HP_MLF_EP_RATE] == 0.0f);
	count(st, SRC_A, t0 + 100 * MS);
	assert_true(f[HP_MLF_SRC_RATE] == 2.0f);
	assert_true(f[HP_MLF_NEW_SOURCE] == 0.0f);
	assert_float_equal(f[HP_MLF_GAP_MS], 100.0f, 1e-3);
	assert_float_equal(f[HP_MLF_EP_RATE], 10.0f, 1e-3);
	/* another source: its own count, new; the endpoint's gap is shared */
	count(st, SRC_B, t0 + 150 * MS);
	assert_true(f[HP_MLF_SRC_RATE] == 1.0f);
	assert_true(f[HP_MLF_NEW_SOURCE] == 1.0f);
	assert_float_equal(f[HP_MLF_GAP_MS], 50.0f, 1e-3);
	/* EWMA: 0.9 * 100 + 0.1 * 50 ms = 95 ms */
	assert_float_equal(f[HP_MLF_EP_RATE], 1000.0f / 95.0f, 1e-3);
	free(st);
}

/* Records of two workers come interleaved: an older request has a gap of 0 and does not move
 * the clock back, so the gaps still add up to the time that passed. */
static void
test_out_of_order(void **state)
{
	struct hp_ml_rates *st = fresh();
	uint64_t t0 = 1000 * S;
	double sum = 0;

	(void)state;
	count(st, SRC_A, t0);
	count(st, SRC_A, t0 + 200 * MS);
	sum += f[HP_MLF_GAP_MS];
	count(st, SRC_B, t0 + 100 * MS); /* the other worker's, late */
	assert_true(f[HP_MLF_GAP_MS] == 0.0f);
	assert_true(f[HP_MLF_SRC_RATE] == 1.0f);
	count(st, SRC_A, t0 + 300 * MS);
	assert_float_equal(f[HP_MLF_GAP_MS], 100.0f, 1e-3); /* from the latest, not the late */
	sum += f[HP_MLF_GAP_MS];
	assert_float_equal(sum, 300.0, 1e-3);
	assert_true(f[HP_MLF_SRC_RATE] == 3.0f);
	/* one instant, many requests: the rate reads 1 M/s, not infinity */
	for (int i = 0; i < 200; i++)
		count(st, SRC_B, t0 + 300 * MS);
	assert_true(f[HP_MLF_GAP_MS] == 0.0f);
	assert_float_equal(f[HP_MLF_EP_RATE], 1e6f, 1.0f);
	free(st);
}

/* One request a second for a minute: the count stays within the ~10 s window. */
static void
test_window(void **state)
{
	struct hp_ml_rates *st = fresh();
	uint64_t t0 = 1000 * S;

	(void)state;
	for (unsigned int i = 0; i < 60; i++) {
		count(st, SRC_A, t0 + i * S);
		if (i >= 20) {
			assert_true(f[HP_MLF_SRC_RATE] >= 5.0f);
			assert_true(f[HP_MLF_SRC_RATE] <= 10.0f);
		}
		assert_true(f[HP_MLF_NEW_SOURCE] == (i == 0 ? 1.0f : 0.0f));
	}
	assert_float_equal(f[HP_MLF_EP_RATE], 1.0f, 1e-3);
	/* 30 s of silence: gone from the window, new again */
	count(st, SRC_A, t0 + 90 * S);
	assert_true(f[HP_MLF_NEW_SOURCE] == 1.0f);
	assert_true(f[HP_MLF_SRC_RATE] == 1.0f);
	/* a late record from before the last halving halves nothing */
	count(st, SRC_A, t0 + 80 * S);
	assert_true(f[HP_MLF_SRC_RATE] == 2.0f);
	free(st);
}

/* A flood from one source saturates its counters; they never wrap to "new". */
static void
test_saturates(void **state)
{
	struct hp_ml_rates *st = fresh();
	uint64_t t0 = 1000 * S;

	(void)state;
	for (unsigned int i = 0; i < 70000; i++)
		count(st, SRC_A, t0 + i * 10);
	assert_true(f[HP_MLF_SRC_RATE] == 65535.0f);
	assert_true(f[HP_MLF_NEW_SOURCE] == 0.0f);
	free(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_and_second),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_saturates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
