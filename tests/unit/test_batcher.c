/* SPDX-License-Identifier: BSD-3-Clause
 * The dynamic batcher (lib/ml/batcher.h): max delay honoured, full batches, preferred sizes,
 * the queue bound, the AIMD adjustment, config refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "batcher.h"

static struct hp_batcher b;

static void
mk(uint32_t max_batch, uint32_t min_batch, uint32_t delay, uint32_t queue, uint32_t target,
   uint32_t pref)
{
	struct hp_batcher_config c = {.max_batch = max_batch,
				      .min_batch = min_batch,
				      .max_delay_us = delay,
				      .queue_max = queue,
				      .target_us = target,
				      .preferred = {pref}};
	char err[128];

	assert_int_equal(hp_batcher_init(&b, &c, err, sizeof(err)), 0);
}

static void
test_max_delay(void **state)
{
	enum hp_batch_why why;

	(void)state;
	mk(32, 1, 100, 64, 0, 0);
	assert_true(hp_batcher_push(&b, 1000));
	assert_true(hp_batcher_push(&b, 1010));
	assert_true(hp_batcher_push(&b, 1020));
	assert_int_equal(hp_batcher_deadline(&b), 1100);
	assert_int_equal(hp_batcher_poll(&b, 1050, &why), 0);
	assert_int_equal(hp_batcher_poll(&b, 1099, &why), 0);
	/* the oldest row's delay runs out: everything waiting goes */
	assert_int_equal(hp_batcher_poll(&b, 1100, &why), 3);
	assert_int_equal(why, HP_BATCH_DELAY);
	hp_batcher_sent(&b, 3, why);
	assert_int_equal(hp_batcher_poll(&b, 5000, &why), 0);
	assert_int_equal(hp_batcher_deadline(&b), UINT64_MAX);
	/* the next oldest row sets the next deadline */
	hp_batcher_push(&b, 6000);
	hp_batcher_push(&b, 6040);
	hp_batcher_sent(&b, 1, HP_BATCH_DELAY);
	assert_int_equal(hp_batcher_deadline(&b), 6140);
	hp_batcher_fini(&b);
}

static void
test_full_batches(void **state)
{
	enum hp_batch_why why;

	(void)state;
	mk(8, 1, 1000000, 64, 0, 0);
	for (int i = 0; i < 10; i++)
		hp_batcher_push(&b, 100 + (uint64_t)i);
	assert_int_equal(hp_batcher_poll(&b, 110, &why), 8);
	assert_int_equal(why, HP_BATCH_FULL);
	hp_batcher_sent(&b, 8, why);
	/* two left: the ninth row's arrival is the head now */
	assert_int_equal(hp_batcher_deadline(&b), 108 + 1000000);
	assert_int_equal(hp_batcher_poll(&b, 200, &why), 0);
	assert_int_equal(b.batches, 1);
	assert_int_equal(b.rows, 8);
	assert_int_equal(b.by_reason[HP_BATCH_FULL], 1);
	hp_batcher_fini(&b);
}

static void
test_preferred(void **state)
{
	enum hp_batch_why why;

	(void)state;
	mk(32, 1, 1000, 64, 0, 4);
	for (int i = 0; i < 5; i++)
		hp_batcher_push(&b, 10);
	/* rows still arriving since the last look: wait */
	assert_int_equal(hp_batcher_poll(&b, 11, &why), 0);
	/* quiet now: the preferred size goes before the delay */
	assert_int_equal(hp_batcher_poll(&b, 12, &why), 4);
	assert_int_equal(why, HP_BATCH_PREFERRED);
	hp_batcher_sent(&b, 4, why);
	/* one left, under every preferred size: the delay decides */
	assert_int_equal(hp_batcher_poll(&b, 13, &why), 0);
	assert_int_equal(hp_batcher_poll(&b, 1010, &why), 1);
	assert_int_equal(why, HP_BATCH_DELAY);
	hp_batcher_fini(&b);
}

static void
test_queue_bound(void **state)
{
	(void)state;
	mk(8, 1, 100, 16, 0, 0);
	for (int i = 0; i < 16; i++)
		assert_true(hp_batcher_push(&b, 1));
	assert_false(hp_batcher_push(&b, 2));
	assert_false(hp_batcher_push(&b, 3));
	assert_int_equal(b.refused, 2);
	assert_int_equal(b.queued, 16);
	/* room again after a batch; the ring wraps */
	hp_batcher_sent(&b, 8, HP_BATCH_FULL);
	for (int i = 0; i < 8; i++)
		assert_true(hp_batcher_push(&b, 50 + (uint64_t)i));
	assert_false(hp_batcher_push(&b, 60));
	hp_batcher_sent(&b, 8, HP_BATCH_FULL);
	assert_int_equal(hp_batcher_deadline(&b), 50 + 100);
	hp_batcher_fini(&b);
}

static void
test_aimd(void **state)
{
	enum hp_batch_why why;

	(void)state;
	mk(32, 4, 100, 64, 500, 0);
	assert_int_equal(b.limit, 32);
	hp_batcher_done(&b, 900); /* over the target: halve */
	assert_int_equal(b.limit, 16);
	hp_batcher_done(&b, 900);
	hp_batcher_done(&b, 900);
	assert_int_equal(b.limit, 4);
	hp_batcher_done(&b, 900); /* not below min_batch */
	assert_int_equal(b.limit, 4);
	hp_batcher_done(&b, 100); /* under: one more */
	assert_int_equal(b.limit, 5);
	/* the limit is the batch size now */
	for (int i = 0; i < 7; i++)
		hp_batcher_push(&b, 0);
	assert_int_equal(hp_batcher_poll(&b, 0, &why), 5);
	assert_int_equal(why, HP_BATCH_FULL);
	for (int i = 0; i < 100; i++)
		hp_batcher_done(&b, 100);
	assert_int_equal(b.limit, 32); /* not above max_batch */
	assert_int_equal(b.decreases, 4);
	hp_batcher_fini(&b);
}

static void
test_refusals(void **state)
{
	struct hp_batcher_config c = {
		.max_batch = 8, .min_batch = 1, .max_delay_us = 100, .queue_max = 4};
	char err[128];

	(void)state;
	assert_int_equal(hp_batcher_init(&b, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "queue"));
	c.queue_max = 64;
	c.min_batch = 9;
	assert_int_equal(hp_batcher_init(&b, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "min_batch"));
	c.min_batch = 1;
	c.preferred[0] = 4;
	c.preferred[1] = 2;
	assert_int_equal(hp_batcher_init(&b, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "preferred"));
	c.max_batch = 0;
	assert_int_equal(hp_batcher_init(&b, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "max_batch"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_max_delay), cmocka_unit_test(test_full_batches),
		cmocka_unit_test(test_preferred), cmocka_unit_test(test_queue_bound),
		cmocka_unit_test(test_aimd),      cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
