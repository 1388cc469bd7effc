/* SPDX-License-Identifier: BSD-3-Clause
 * A stage added by one file (dp_stage_example.c), one line in hp_stages[] and one in meson,
 * running in a real dataplane (harness.c): it is in the stage order where its line puts it,
 * its counters are reported under the names it declared, its per-endpoint state decides, and
 * its refusal goes through the same verdict actions as every other stage's (the 413 answer at
 * the client's ack, the RST to the server at the request's first byte).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <rte_tcp.h>

#include "dp.h"
#include "dp_event.h"
#include "dp_stage.h"
#include "harness.h"

static const char cfg_yaml[] =
	"dataplane: {mode: bridge, port_pairs: [[0, 1]], workers: 1, mbufs: 4096,\n"
	"            flows: {max: 1024}}\n"
	"http: {max_sessions: 64}\n"
	"events: {file: /dev/null}\n"
	"replay_cache: {snapshot: \"off\"}\n"
	"endpoints:\n"
	"  - {name: tiny, match: {host: tiny.example.com}, provider: none, dedup: {key: none},\n"
	"     pii: {policy: mask}}\n"
	"  - {name: roomy, match: {host: roomy.example.com}, provider: none, dedup: {key: none},\n"
	"     pii: {policy: mask}}\n";

static const char body[] = "{\"event\":\"order.created\",\"id\":42}"; /* 33 bytes */

static void
test_in_the_order(void **state)
{
	(void)state;
	assert_true(hp_n_stages >= 2);
	assert_string_equal(hp_stages[0]->name, "limits");
	assert_string_equal(hp_stages[1]->name, "example");
}

static void
test_refuses_with_its_reason(void **state)
{
	struct hx_conn c;
	struct hp_event e;
	uint16_t len[2];

	(void)state;
	hx_open(&c, 43000);
	hx_post(&c, "tiny.example.com", "", body, len);
	hx_expect_refused(&c, c.cseq + len[0] + len[1], HP_EV_R_BODY_TOO_LARGE);
	assert_true(hx_next_event(&e, 1000));
	assert_int_equal(e.verdict, HP_EV_REJECT);
	assert_int_equal(e.reason, HP_EV_R_BODY_TOO_LARGE);
	assert_string_equal(e.ep_name, "tiny");
	assert_int_equal(hx_counter_named("example_requests"), 1);
	assert_int_equal(hx_counter_named("example_refused"), 1);
}

static void
test_passes_the_others(void **state)
{
	struct hx_conn c;
	struct hp_event e;
	uint16_t len[2];

	(void)state;
	hx_open(&c, 43001);
	hx_post(&c, "roomy.example.com", "", body, len);
	/* held (pii mask) until the verdict, then released in order */
	hx_expect_out(1, c.cseq, RTE_TCP_ACK_FLAG, len[0]);
	hx_expect_out(1, c.cseq + len[0], RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, len[1]);
	assert_true(hx_next_event(&e, 1000));
	assert_int_equal(e.verdict, HP_EV_ACCEPT);
	assert_int_equal(hx_counter_named("example_requests"), 2);
	assert_int_equal(hx_counter_named("example_refused"), 1);
}

static void
test_counters_declared(void **state)
{
	unsigned int found = 0;

	(void)state;
	/* the stage's slots carry its names and help; the slots after them are nobody's */
	for (unsigned int i = HP_CTR_STAGE_BASE; i < HP_CTR__MAX; i++) {
		const char *n = hp_ctr_name((enum hp_ctr)i);

		if (n == NULL)
			continue;
		assert_non_null(hp_ctr_help((enum hp_ctr)i));
		if (strncmp(n, "example_", 8) == 0)
			found++;
	}
	assert_int_equal(found, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_the_order),
		cmocka_unit_test(test_refuses_with_its_reason),
		cmocka_unit_test(test_passes_the_others),
		cmocka_unit_test(test_counters_declared),
	};
	int rc;

	if (hx_start("test_stage_example", cfg_yaml) != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	hx_stop();
	return rc;
}
