/* SPDX-License-Identifier: BSD-3-Clause
 * HTTP sessions in a running dataplane: hp_dp_init() on two ring ports (rte_eth_from_rings:
 * the test writes what the client and the server send and reads what hookpath transmits to
 * each), one worker launched on its lcore, and the test playing the control plane's resolver
 * on the worker's ring pair (dp_resolver_msg.h). A request on an endpoint with the shared
 * replay check is held while it waits; the tests read, on each side, what comes out:
 *   - answered "first": the held segments go to the server, in sequence order;
 *   - answered "duplicate": nothing of the request reaches the server, which gets a RST at the
 *     request's first byte; the client gets the 409 answer at exactly its ack, acknowledging
 *     all it sent;
 *   - no answer: the wait gives up at replay_cache.global.timeout_ms and fails closed (503),
 *     a late answer changes nothing;
 *   - the wait table full: the next request does not wait, and is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <rte_cycles.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_tcp.h>

#include "dp.h"
#include "dp_event.h"
#include "dp_resolver_msg.h"
#include "harness.h"

#define HOST "hooks.example.com"

static const char cfg_yaml[] =
	"dataplane: {mode: bridge, port_pairs: [[0, 1]], workers: 1, mbufs: 4096,\n"
	"            flows: {max: 1024}}\n"
	"http: {max_sessions: 64}\n"
	"events: {file: /dev/null}\n"
	"replay_cache: {snapshot: \"off\", global: {url: \"redis://127.0.0.1:1\", timeout_ms: "
	"3000,\n"
	"               max_pending: 16}}\n"
	"endpoints:\n"
	"  - {name: hooks, match: {host: " HOST "}, provider: none,\n"
	"     dedup: {key: \"header:X-Id\"}}\n";

/* the worker's ring pair to and from the resolver, which the test plays */
static struct rte_ring *gq, *ga;

/* ---- the resolver's side ---- */

static bool
next_query(struct hp_gquery *q, unsigned int ms)
{
	uint64_t end = rte_rdtsc() + rte_get_tsc_hz() / 1000 * ms;

	do {
		if (rte_ring_dequeue_elem(gq, q, sizeof(*q)) == 0)
			return true;
		rte_pause();
	} while (rte_rdtsc() < end);
	return false;
}

static void
answer(const struct hp_gquery *q, enum hp_ganswer_result r)
{
	struct hp_ganswer a = {.slot = q->slot, .gen = q->gen, .result = r};

	assert_int_equal(rte_ring_enqueue_elem(ga, &a, sizeof(a)), 0);
}

/* A webhook of delivery id `id` in two segments: their lengths. */
static void
send_request(struct hx_conn *c, const char *id, uint16_t len[2])
{
	char extra[64];

	snprintf(extra, sizeof(extra), "X-Id: %s\r\n", id);
	hx_post(c, HOST, extra, "{\"event\":\"payment.succeeded\",\"amount\":4200}", len);
}

/* ---- tests ---- */

static void
test_answered_first_releases_in_order(void **state)
{
	struct hx_conn c;
	struct hp_gquery q;
	struct hp_event e;
	uint16_t len[2];

	(void)state;
	hx_open(&c, 41000);
	send_request(&c, "evt-1", len);
	assert_true(next_query(&q, 1000));
	assert_int_equal(q.kind, HP_GQ_REPLAY);
	/* waiting: nothing of the request reached the server */
	hx_expect_nothing(1, 100);
	answer(&q, HP_GA_FIRST);
	hx_expect_out(1, c.cseq, RTE_TCP_ACK_FLAG, len[0]);
	hx_expect_out(1, c.cseq + len[0], RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, len[1]);
	assert_true(hx_next_event(&e, 1000));
	assert_int_equal(e.verdict, HP_EV_ACCEPT);
	assert_int_equal(e.sport, 41000);
	assert_int_equal(hx_counter(HP_CTR_REPLAY_GLOBAL_FIRST), 1);
}

static void
test_answered_duplicate_refused_at_first_byte(void **state)
{
	struct hx_conn c;
	struct hp_gquery q;
	struct hp_event e;
	uint16_t len[2];

	(void)state;
	hx_open(&c, 41001);
	send_request(&c, "evt-2", len);
	assert_true(next_query(&q, 1000));
	hx_expect_nothing(1, 50);
	answer(&q, HP_GA_DUPLICATE);
	hx_expect_refused(&c, c.cseq + len[0] + len[1], HP_EV_R_DUPLICATE);
	assert_true(hx_next_event(&e, 1000));
	assert_int_equal(e.verdict, HP_EV_DUPLICATE);
	assert_int_equal(e.reason, HP_EV_R_DUPLICATE);
	/* the flow is cut: a retransmission of the request is dropped */
	hx_send(true, c.port, c.cseq, c.sseq, RTE_TCP_ACK_FLAG, "POST /in HTTP/1.1\r\n");
	hx_expect_nothing(1, 100);
}

static void
test_no_answer_gives_up_closed(void **state)
{
	struct hx_conn c;
	struct hp_gquery q;
	struct hp_event e;
	uint16_t len[2];
	uint64_t t0, timeouts = hx_counter(HP_CTR_REPLAY_GLOBAL_TIMEOUT);

	(void)state;
	hx_open(&c, 41002);
	send_request(&c, "evt-3", len);
	assert_true(next_query(&q, 1000));
	t0 = rte_rdtsc();
	/* replay_cache.global.timeout_ms (3000) later, on_unavailable reject: 503 */
	hx_expect_refused(&c, c.cseq + len[0] + len[1], HP_EV_R_REPLAY_UNAVAILABLE);
	assert_true((rte_rdtsc() - t0) * 1000 / rte_get_tsc_hz() >= 2900);
	assert_true(hx_next_event(&e, 1000));
	assert_int_equal(e.verdict, HP_EV_REJECT);
	assert_int_equal(e.reason, HP_EV_R_REPLAY_UNAVAILABLE);
	assert_int_equal(hx_counter(HP_CTR_REPLAY_GLOBAL_TIMEOUT), timeouts + 1);
	/* the answer comes late: it decides nothing any more */
	answer(&q, HP_GA_FIRST);
	hx_expect_nothing(1, 100);
	hx_expect_nothing(0, 0);
	assert_false(hx_next_event(&e, 50));
}

static void
test_wait_table_full_refuses(void **state)
{
	enum { PENDING = 16 }; /* replay_cache.global.max_pending */
	struct hx_conn c[PENDING + 1];
	struct hp_gquery q[PENDING];
	uint16_t len[PENDING + 1][2];
	uint64_t busy = hx_counter(HP_CTR_REPLAY_GLOBAL_BUSY);
	unsigned int released = 0;
	struct hx_out o;
	char id[32];

	(void)state;
	/* every wait of the worker taken: the next request cannot wait, and without an answer
	 * it cannot be let through */
	for (int i = 0; i <= PENDING; i++)
		hx_open(&c[i], (uint16_t)(42000 + i));
	for (int i = 0; i < PENDING; i++) {
		snprintf(id, sizeof(id), "evt-wait-%d", i);
		send_request(&c[i], id, len[i]);
		assert_true(next_query(&q[i], 1000));
	}
	send_request(&c[PENDING], "evt-wait-last", len[PENDING]);
	hx_expect_refused(&c[PENDING], c[PENDING].cseq + len[PENDING][0] + len[PENDING][1],
			  HP_EV_R_REPLAY_UNAVAILABLE);
	assert_int_equal(hx_counter(HP_CTR_REPLAY_GLOBAL_BUSY), busy + 1);
	/* the waiting ones, answered last first: each gets its own request's segments out */
	for (int i = PENDING - 1; i >= 0; i--)
		answer(&q[i], HP_GA_FIRST);
	while (hx_next_out(1, &o, 500)) {
		assert_true(o.pkt.payload_len != 0);
		released++;
	}
	assert_int_equal(released, 2 * PENDING);
	for (struct hp_event e; hx_next_event(&e, 100);)
		;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answered_first_releases_in_order),
		cmocka_unit_test(test_answered_duplicate_refused_at_first_byte),
		cmocka_unit_test(test_no_answer_gives_up_closed),
		cmocka_unit_test(test_wait_table_full_refuses),
	};
	int rc;

	if (hx_start("test_session", cfg_yaml) != 0 || !hp_dp_resolver_rings(0, &gq, &ga))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	hx_stop();
	return rc;
}
