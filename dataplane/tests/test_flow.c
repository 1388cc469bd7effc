/* SPDX-License-Identifier: BSD-3-Clause
 * The TCP flow table (dataplane/dp_flow.c) on its own: a worker with nothing but its counters
 * and a table, segments decoded from real frames, and the end callback recorded. State
 * machine, midstream pickup and refusal, idle expiry per state, tuple reuse, eviction order by
 * class, and pinning within a burst.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_tcp.h>

#include "dp_decode.h"
#include "dp_flow.h"
#include "dp_guard.h"
#include "dp_types.h"
#include "hp_config.h"
#include "test_eal.h"

#define CLIENT 0xC6120001u /* 198.18.0.1 */
#define SERVER 0xC6130001u /* 198.19.0.1 */
#define SPORT  40000
#define DPORT  80

static struct hp_config cfg;
static struct hp_guard guard;

/* What the owner was told. */
struct ended {
	uint16_t port; /* the client port of the flow */
	enum hp_flow_end why;
};
static struct ended ends[256];
static unsigned int n_ends;

static void
on_end(struct hp_worker *w, struct hp_flow *f, enum hp_flow_end why)
{
	(void)w;
	assert_true(n_ends < RTE_DIM(ends));
	ends[n_ends].port = f->key.port[0] == DPORT ? f->key.port[1] : f->key.port[0];
	ends[n_ends].why = why;
	n_ends++;
}

/* ---- frames ---- */

struct seg {
	uint8_t frame[64];
	struct hp_pkt pkt;
};

/* A TCP segment between the client (port cport) and the server, decoded by hp_decode. */
static void
mkseg(struct seg *s, bool to_server, uint16_t cport, uint8_t flags, uint16_t payload)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(s->frame + 14);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	uint32_t len = 14 + 20 + 20;

	memset(s->frame, 0, sizeof(s->frame));
	s->frame[12] = 0x08; /* IPv4 */
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(40 + payload));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(to_server ? CLIENT : SERVER);
	ip->dst_addr = rte_cpu_to_be_32(to_server ? SERVER : CLIENT);
	th->src_port = rte_cpu_to_be_16(to_server ? cport : DPORT);
	th->dst_port = rte_cpu_to_be_16(to_server ? DPORT : cport);
	th->sent_seq = rte_cpu_to_be_32(1000);
	th->data_off = 0x50;
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(65535);
	/* the payload bytes are not in the frame: the flow table reads headers only */
	assert_int_equal(hp_decode(s->frame, len, 0, &s->pkt), HP_DEC_OK);
	s->pkt.payload_len = payload;
}

/* ---- a worker with a flow table ---- */

static struct hp_worker *
mkworker(uint32_t max, bool midstream, bool refuse_midstream)
{
	struct hp_worker *w = rte_zmalloc("test_flow_w", sizeof(*w), 64);
	struct hp_flows_config fc = cfg.dataplane.flows;
	struct hp_flow_table_params p = {
		.cfg = &fc, .guard = &guard, .refuse_midstream = refuse_midstream, .end = on_end};

	assert_non_null(w);
	w->socket = SOCKET_ID_ANY;
	w->is_bridge = true;
	fc.max = max;
	fc.midstream = midstream;
	fc.timeout_syn_s = 5;
	fc.timeout_established_s = 60;
	fc.timeout_closed_s = 2;
	assert_int_equal(hp_flow_table_create(w, &p), 0);
	n_ends = 0;
	return w;
}

static void
rmworker(struct hp_worker *w)
{
	hp_flow_table_destroy(w);
	rte_free(w);
}

/* One burst of segments: the flows they got, in order. */
struct got {
	struct hp_flow *flow[64];
	uint8_t dir[64];
};

static void
on_seg(struct hp_worker *w, uint16_t i, const struct hp_flow_ref *ref, void *arg)
{
	struct got *g = arg;

	(void)w;
	g->flow[i] = ref->flow;
	g->dir[i] = ref->dir;
}

static void
burst(struct hp_worker *w, struct seg *s, uint16_t n, uint64_t now, struct got *g)
{
	const uint8_t *data[64];
	const struct hp_pkt *pkts[64];

	for (uint16_t i = 0; i < n; i++) {
		data[i] = s[i].frame;
		pkts[i] = &s[i].pkt;
	}
	memset(g, 0, sizeof(*g));
	hp_flow_track_burst(w, data, pkts, n, now, on_seg, g);
}

/* One segment in its own burst: its flow (NULL: untracked). */
static struct hp_flow *
one(struct hp_worker *w, bool to_server, uint16_t cport, uint8_t flags, uint64_t now, uint8_t *dir)
{
	struct seg s;
	struct got g;

	mkseg(&s, to_server, cport, flags, 0);
	burst(w, &s, 1, now, &g);
	if (dir != NULL)
		*dir = g.dir[0];
	return g.flow[0];
}

/* A full handshake of client port cport: the established flow. */
static struct hp_flow *
handshake(struct hp_worker *w, uint16_t cport, uint64_t now)
{
	one(w, true, cport, RTE_TCP_SYN_FLAG, now, NULL);
	one(w, false, cport, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, now, NULL);
	return one(w, true, cport, RTE_TCP_ACK_FLAG, now, NULL);
}

/* ---- tests ---- */

static void
test_state_machine(void **state)
{
	struct hp_worker *w = mkworker(64, true, false);
	uint64_t now = rte_rdtsc();
	struct hp_flow *f;
	uint8_t dir;

	(void)state;
	f = one(w, true, SPORT, RTE_TCP_SYN_FLAG, now, &dir);
	assert_non_null(f);
	assert_int_equal(dir, 0);
	assert_int_equal(f->state, HP_TCP_SYN_SENT);
	assert_int_equal(f->cls, HP_FLOW_CLS_HALF);
	assert_ptr_equal(one(w, false, SPORT, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, now, &dir), f);
	assert_int_equal(dir, 1);
	assert_int_equal(f->state, HP_TCP_SYN_RECV);
	one(w, true, SPORT, RTE_TCP_ACK_FLAG, now, NULL);
	assert_int_equal(f->state, HP_TCP_ESTABLISHED);
	one(w, true, SPORT, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, now, NULL);
	assert_int_equal(f->state, HP_TCP_FIN_WAIT);
	assert_int_equal(f->fin_seen, 1);
	one(w, false, SPORT, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, now, NULL);
	assert_int_equal(f->state, HP_TCP_CLOSED);
	assert_int_equal(f->cls, HP_FLOW_CLS_CLOSED);
	assert_int_equal(f->packets[0], 3);
	assert_int_equal(f->packets[1], 2);
	/* a RST closes at once */
	f = handshake(w, SPORT + 1, now);
	one(w, false, SPORT + 1, RTE_TCP_RST_FLAG, now, NULL);
	assert_int_equal(f->state, HP_TCP_CLOSED);
	assert_int_equal(hp_flow_count(w), 2);
	assert_int_equal(w->ctr.c[HP_CTR_FLOWS_CREATED], 2);
	assert_int_equal(n_ends, 0);
	rmworker(w);
}

static void
test_untracked_and_midstream(void **state)
{
	struct hp_worker *w = mkworker(64, false, false);
	uint64_t now = rte_rdtsc();
	struct hp_flow *f;
	uint8_t dir;

	(void)state;
	/* no pickup: a segment of no known flow is not tracked */
	assert_null(one(w, true, SPORT, RTE_TCP_ACK_FLAG, now, NULL));
	/* a RST never creates a flow */
	assert_null(one(w, true, SPORT, RTE_TCP_RST_FLAG, now, NULL));
	assert_int_equal(w->ctr.c[HP_CTR_FLOWS_UNTRACKED], 2);
	rmworker(w);

	w = mkworker(64, true, false);
	/* picked up midstream from the server's side: the guarded port tells who is client */
	f = one(w, false, SPORT, RTE_TCP_ACK_FLAG, now, &dir);
	assert_non_null(f);
	assert_int_equal(dir, 1);
	assert_int_equal(f->midstream, 1);
	assert_int_equal(f->state, HP_TCP_ESTABLISHED);
	/* a SYN-ACK seen first: its sender is the server */
	f = one(w, false, SPORT + 1, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, now, &dir);
	assert_int_equal(dir, 1);
	assert_int_equal(f->state, HP_TCP_SYN_RECV);
	assert_int_equal(w->ctr.c[HP_CTR_FLOWS_MIDSTREAM], 2);
	rmworker(w);

	/* bridge, guard.midstream refuse: tracked, but cut from the start */
	w = mkworker(64, true, true);
	f = one(w, true, SPORT, RTE_TCP_ACK_FLAG, now, NULL);
	assert_non_null(f);
	assert_int_equal(f->cut, HP_FLOW_CUT_RESET);
	assert_int_equal(f->state, HP_TCP_CLOSED);
	assert_int_equal(f->cls, HP_FLOW_CLS_CLOSED);
	assert_int_equal(w->ctr.c[HP_CTR_GUARD_MIDSTREAM_REFUSED], 1);
	/* a SYN still opens a connection normally */
	f = one(w, true, SPORT + 1, RTE_TCP_SYN_FLAG, now, NULL);
	assert_int_equal(f->cut, HP_FLOW_CUT_NONE);
	rmworker(w);
}

static void
test_expiry_per_state(void **state)
{
	struct hp_worker *w = mkworker(64, true, false);
	uint64_t hz = rte_get_tsc_hz(), now = rte_rdtsc();
	struct hp_flow *est, *closed;

	(void)state;
	one(w, true, SPORT, RTE_TCP_SYN_FLAG, now, NULL); /* half-open: 5 s */
	est = handshake(w, SPORT + 1, now);               /* established: 60 s */
	closed = handshake(w, SPORT + 2, now);            /* closed: 2 s */
	one(w, true, SPORT + 2, RTE_TCP_RST_FLAG, now, NULL);
	assert_int_equal(closed->state, HP_TCP_CLOSED);
	assert_int_equal(hp_flow_count(w), 3);

	hp_flow_expire(w, now + hz, 1000); /* 1 s: nothing due */
	assert_int_equal(hp_flow_count(w), 3);
	hp_flow_expire(w, now + 3 * hz, 1000); /* the closed one */
	assert_int_equal(hp_flow_count(w), 2);
	assert_int_equal(n_ends, 1);
	assert_int_equal(ends[0].port, SPORT + 2);
	assert_int_equal(ends[0].why, HP_FLOW_END_EXPIRED);
	hp_flow_expire(w, now + 6 * hz, 1000); /* the half-open one */
	assert_int_equal(hp_flow_count(w), 1);
	assert_int_equal(ends[1].port, SPORT);
	/* traffic keeps the established one: its deadline moves with its last packet */
	one(w, true, SPORT + 1, RTE_TCP_ACK_FLAG, now + 50 * hz, NULL);
	hp_flow_expire(w, now + 70 * hz, 100000);
	assert_int_equal(hp_flow_count(w), 1);
	assert_int_equal(est->state, HP_TCP_ESTABLISHED);
	hp_flow_expire(w, now + 111 * hz, 100000);
	assert_int_equal(hp_flow_count(w), 0);
	assert_int_equal(n_ends, 3);
	assert_int_equal(w->ctr.c[HP_CTR_FLOWS_EXPIRED], 3);
	rmworker(w);
}

static void
test_expiry_budget(void **state)
{
	struct hp_worker *w = mkworker(64, true, false);
	uint64_t hz = rte_get_tsc_hz(), now = rte_rdtsc();

	(void)state;
	for (uint16_t i = 0; i < 10; i++)
		one(w, true, SPORT + i, RTE_TCP_SYN_FLAG, now, NULL);
	/* bounded work: at most `budget` entries looked at per call */
	hp_flow_expire(w, now + 10 * hz, 4);
	assert_int_equal(hp_flow_count(w), 6);
	hp_flow_expire(w, now + 10 * hz, 4);
	assert_int_equal(hp_flow_count(w), 2);
	hp_flow_expire(w, now + 10 * hz, 4);
	assert_int_equal(hp_flow_count(w), 0);
	rmworker(w);
}

static void
test_tuple_reuse(void **state)
{
	struct hp_worker *w = mkworker(64, true, false);
	uint64_t now = rte_rdtsc();
	struct hp_flow *f, *g;

	(void)state;
	f = handshake(w, SPORT, now);
	one(w, true, SPORT, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, now, NULL);
	one(w, false, SPORT, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, now, NULL);
	hp_flow_cut(w, f, HP_FLOW_CUT_REJECTED);
	assert_int_equal(f->state, HP_TCP_CLOSED);
	/* a new SYN on the same tuple: the old connection ends, the entry starts over */
	g = one(w, true, SPORT, RTE_TCP_SYN_FLAG, now, NULL);
	assert_ptr_equal(g, f);
	assert_int_equal(n_ends, 1);
	assert_int_equal(ends[0].why, HP_FLOW_END_REUSED);
	assert_int_equal(g->state, HP_TCP_SYN_SENT);
	assert_int_equal(g->cut, HP_FLOW_CUT_NONE);
	assert_int_equal(g->fin_seen, 0);
	assert_int_equal(g->cls, HP_FLOW_CLS_HALF);
	assert_int_equal(w->ctr.c[HP_CTR_FLOWS_REUSED], 1);
	assert_int_equal(hp_flow_count(w), 1);
	/* a SYN while the connection is established is not a reuse */
	handshake(w, SPORT + 1, now);
	one(w, true, SPORT + 1, RTE_TCP_SYN_FLAG, now, NULL);
	assert_int_equal(w->ctr.c[HP_CTR_FLOWS_REUSED], 1);
	rmworker(w);
}

/* A full table evicts the oldest flow of the cheapest class: closed, half-open, idle, then
 * active (counted flows_evicted_active). */
static void
test_eviction_order(void **state)
{
	enum { MAX = 16 };
	struct hp_worker *w = mkworker(MAX, true, false);
	uint64_t now = rte_rdtsc();
	uint16_t port = SPORT;
	struct hp_flow *f;

	(void)state;
	/* 4 active, 4 idle, 4 half-open, 4 closed, each group entered in port order; classes
	 * are set in the order the groups must go, oldest first */
	for (int i = 0; i < 4; i++) {
		f = handshake(w, port++, now);
		hp_flow_set_class(w, f, HP_FLOW_CLS_ACTIVE);
	}
	for (int i = 0; i < 4; i++) {
		f = handshake(w, port++, now);
		hp_flow_set_class(w, f, HP_FLOW_CLS_IDLE);
	}
	for (int i = 0; i < 4; i++)
		one(w, true, port++, RTE_TCP_SYN_FLAG, now, NULL);
	for (int i = 0; i < 4; i++) {
		handshake(w, port, now);
		one(w, true, port++, RTE_TCP_RST_FLAG, now, NULL);
	}
	assert_int_equal(hp_flow_count(w), MAX);
	/* 16 new connections, each in its own burst, each made active at once (a new half-open
	 * flow would otherwise be the cheapest victim of the next): victims by class, oldest
	 * first */
	for (int i = 0; i < MAX; i++) {
		f = one(w, true, (uint16_t)(50000 + i), RTE_TCP_SYN_FLAG, now, NULL);
		assert_non_null(f);
		hp_flow_set_class(w, f, HP_FLOW_CLS_ACTIVE);
	}
	assert_int_equal(n_ends, MAX);
	for (int i = 0; i < 4; i++) /* closed: ports SPORT+12.. */
		assert_int_equal(ends[i].port, SPORT + 12 + i);
	for (int i = 0; i < 4; i++) /* half-open */
		assert_int_equal(ends[4 + i].port, SPORT + 8 + i);
	for (int i = 0; i < 4; i++) /* idle */
		assert_int_equal(ends[8 + i].port, SPORT + 4 + i);
	for (int i = 0; i < 4; i++) /* active, last */
		assert_int_equal(ends[12 + i].port, SPORT + i);
	for (unsigned int i = 0; i < n_ends; i++)
		assert_int_equal(ends[i].why, HP_FLOW_END_EVICTED);
	assert_int_equal(w->ctr.c[HP_CTR_FLOWS_EVICTED], MAX);
	assert_int_equal(w->ctr.c[HP_CTR_FLOWS_EVICTED_ACTIVE], 4);
	rmworker(w);
}

/* Flows referenced by the burst being processed are pinned: a later segment of the same burst
 * cannot evict them; with every flow pinned it goes untracked. */
static void
test_pinned_in_burst(void **state)
{
	enum { MAX = 16 };
	struct hp_worker *w = mkworker(MAX, true, false);
	uint64_t now = rte_rdtsc();
	struct seg s[MAX + 1];
	struct got g;

	(void)state;
	for (int i = 0; i < MAX; i++)
		one(w, true, (uint16_t)(SPORT + i), RTE_TCP_SYN_FLAG, now, NULL);
	/* one burst: a segment of each existing flow, then a new connection */
	for (int i = 0; i < MAX; i++)
		mkseg(&s[i], false, (uint16_t)(SPORT + i), RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0);
	mkseg(&s[MAX], true, 60000, RTE_TCP_SYN_FLAG, 0);
	burst(w, s, MAX + 1, now, &g);
	for (int i = 0; i < MAX; i++) {
		assert_non_null(g.flow[i]);
		assert_int_equal(g.flow[i]->state, HP_TCP_SYN_RECV);
	}
	assert_null(g.flow[MAX]);
	assert_int_equal(n_ends, 0);
	assert_int_equal(w->ctr.c[HP_CTR_FLOWS_UNTRACKED], 1);
	/* next burst: the pins are gone, the oldest half-open flow goes */
	assert_non_null(one(w, true, 60000, RTE_TCP_SYN_FLAG, now, NULL));
	assert_int_equal(n_ends, 1);
	assert_int_equal(ends[0].port, SPORT);
	/* a SYN and the next segment of the same new flow in one burst find one entry */
	mkseg(&s[0], true, 60001, RTE_TCP_SYN_FLAG, 0);
	mkseg(&s[1], false, 60001, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0);
	burst(w, s, 2, now, &g);
	assert_ptr_equal(g.flow[0], g.flow[1]);
	assert_int_equal(g.flow[1]->state, HP_TCP_SYN_RECV);
	rmworker(w);
}

static void
test_release_all_at_exit(void **state)
{
	struct hp_worker *w = mkworker(64, true, false);
	uint64_t now = rte_rdtsc();

	(void)state;
	handshake(w, SPORT, now);
	handshake(w, SPORT + 1, now);
	hp_flow_release_all(w);
	assert_int_equal(n_ends, 2);
	assert_int_equal(ends[0].why, HP_FLOW_END_EXIT);
	assert_int_equal(ends[1].why, HP_FLOW_END_EXIT);
	/* the entries stay: their counters are still read */
	assert_int_equal(hp_flow_count(w), 2);
	rmworker(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_machine),
		cmocka_unit_test(test_untracked_and_midstream),
		cmocka_unit_test(test_expiry_per_state),
		cmocka_unit_test(test_expiry_budget),
		cmocka_unit_test(test_tuple_reuse),
		cmocka_unit_test(test_eviction_order),
		cmocka_unit_test(test_pinned_in_burst),
		cmocka_unit_test(test_release_all_at_exit),
	};
	int rc;

	if (hp_test_eal_init("test_flow", "64", NULL) < 0) {
		fprintf(stderr, "test_flow: EAL init failed\n");
		return 1;
	}
	hp_config_defaults(&cfg);
	hp_guard_init(&guard, &cfg.dataplane.guard);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}
