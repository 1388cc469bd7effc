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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_tcp.h>

#include "dp.h"
#include "dp_decode.h"
#include "dp_event.h"
#include "dp_reply.h"
#include "dp_resolver_msg.h"
#include "hp_config.h"

#define CLIENT 0xC6120001u /* 198.18.0.1 */
#define SERVER 0xC6130001u /* 198.19.0.1 */
#define C_ISN  1000u
#define S_ISN  5000u
#define HOST   "hooks.example.com"

static const char cfg_yaml[] =
	"dataplane: {mode: bridge, port_pairs: [[0, 1]], workers: 1, mbufs: 4096,\n"
	"            flows: {max: 1024}}\n"
	"http: {max_sessions: 64}\n"
	"events: {file: /dev/null}\n"
	"replay_cache: {snapshot: \"off\", global: {url: \"redis://127.0.0.1:1\", timeout_ms: 1000,\n"
	"               max_pending: 16}}\n"
	"endpoints:\n"
	"  - {name: hooks, match: {host: " HOST "}, provider: none,\n"
	"     dedup: {key: \"header:X-Id\"}}\n";

static struct hp_config cfg;
static struct rte_mempool *pool;
/* rx: what the test sends in on a port; tx: what hookpath sends out of it */
static struct rte_ring *rx[2], *tx[2];
static struct rte_ring *gq, *ga;

/* ---- frames ---- */

static struct rte_mbuf *
frame(bool to_server, uint16_t cport, uint32_t seq, uint32_t ack, uint8_t flags,
      const char *payload, uint16_t plen)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;

	assert_non_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(54 + plen));
	assert_non_null(p);
	memset(p, 0, 54);
	memcpy(p, to_server ? "\x02\0\0\0\0\x02" "\x02\0\0\0\0\x01" : "\x02\0\0\0\0\x01" "\x02\0\0\0\0\x02",
	       12);
	p[12] = 0x08;
	ip = (struct rte_ipv4_hdr *)(p + 14);
	th = (struct rte_tcp_hdr *)(ip + 1);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(40 + plen));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(to_server ? CLIENT : SERVER);
	ip->dst_addr = rte_cpu_to_be_32(to_server ? SERVER : CLIENT);
	th->src_port = rte_cpu_to_be_16(to_server ? cport : 80);
	th->dst_port = rte_cpu_to_be_16(to_server ? 80 : cport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = 0x50;
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(65535);
	memcpy(th + 1, payload, plen);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	m->port = to_server ? 0 : 1; /* the ring PMD does not set it */
	return m;
}

static void
send_in(bool to_server, uint16_t cport, uint32_t seq, uint32_t ack, uint8_t flags,
	const char *payload)
{
	struct rte_mbuf *m = frame(to_server, cport, seq, ack, flags, payload,
				   (uint16_t)(payload != NULL ? strlen(payload) : 0));

	assert_int_equal(rte_ring_enqueue(rx[to_server ? 0 : 1], m), 0);
}

/* What hookpath sent out of a port, decoded. */
struct out {
	uint8_t frame[2048];
	uint32_t len;
	struct hp_pkt pkt;
};

/* The next packet out of port p within ms (false: none). */
static bool
next_out(unsigned int p, struct out *o, unsigned int ms)
{
	uint64_t end = rte_rdtsc() + rte_get_tsc_hz() / 1000 * ms;
	struct rte_mbuf *m;

	do {
		if (rte_ring_dequeue(tx[p], (void **)&m) == 0) {
			o->len = rte_pktmbuf_pkt_len(m);
			assert_true(o->len <= sizeof(o->frame));
			const void *d = rte_pktmbuf_read(m, 0, o->len, o->frame);

			assert_non_null(d);
			if (d != o->frame)
				memcpy(o->frame, d, o->len);
			rte_pktmbuf_free(m);
			assert_int_equal(hp_decode(o->frame, o->len, HP_DECODE_CSUM, &o->pkt),
					 HP_DEC_OK);
			assert_true(o->pkt.flags & HP_PKT_L4_CSUM_OK);
			return true;
		}
		rte_pause();
	} while (rte_rdtsc() < end);
	return false;
}

static void
expect_out(unsigned int p, uint32_t seq, uint8_t flags, uint16_t payload_len)
{
	struct out o;

	assert_true(next_out(p, &o, 1000));
	assert_int_equal(o.pkt.tcp_seq, seq);
	assert_int_equal(o.pkt.tcp_flags, flags);
	assert_int_equal(o.pkt.payload_len, payload_len);
}

static void
expect_nothing(unsigned int p, unsigned int ms)
{
	struct out o;

	if (next_out(p, &o, ms))
		fail_msg("port %u sent seq %u flags 0x%x len %u", p, o.pkt.tcp_seq,
			 o.pkt.tcp_flags, o.pkt.payload_len);
}

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

/* The next event of the worker within ms. */
static bool
next_event(struct hp_event *e, unsigned int ms)
{
	uint64_t end = rte_rdtsc() + rte_get_tsc_hz() / 1000 * ms;

	do {
		if (rte_ring_dequeue_elem(hp_dp_event_ring(0), e, sizeof(*e)) == 0)
			return true;
		rte_pause();
	} while (rte_rdtsc() < end);
	return false;
}

static uint64_t
counter(enum hp_ctr c)
{
	struct hp_counters *all = calloc(1, sizeof(*all));
	uint64_t v;

	assert_non_null(all);
	hp_dp_counters(all);
	v = all->c[c];
	free(all);
	return v;
}

/* ---- a connection ---- */

struct conn {
	uint16_t port;
	uint32_t cseq; /* client's next sequence number */
	uint32_t sseq; /* server's next */
};

/* Handshake through the bridge: each packet comes out of the other port as it went in. */
static void
open_conn(struct conn *c, uint16_t port)
{
	c->port = port;
	c->cseq = C_ISN + 1;
	c->sseq = S_ISN + 1;
	send_in(true, port, C_ISN, 0, RTE_TCP_SYN_FLAG, NULL);
	expect_out(1, C_ISN, RTE_TCP_SYN_FLAG, 0);
	send_in(false, port, S_ISN, c->cseq, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, NULL);
	expect_out(0, S_ISN, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0);
	send_in(true, port, c->cseq, c->sseq, RTE_TCP_ACK_FLAG, NULL);
	expect_out(1, c->cseq, RTE_TCP_ACK_FLAG, 0);
}

/* A webhook in two segments (headers + start of the body, rest of the body): their lengths. */
static void
send_request(struct conn *c, const char *id, uint16_t len[2])
{
	static const char body[] = "{\"event\":\"payment.succeeded\",\"amount\":4200}";
	char head[512];
	size_t half = sizeof(body) / 2;

	snprintf(head, sizeof(head),
		 "POST /in HTTP/1.1\r\nHost: " HOST "\r\nX-Id: %s\r\n"
		 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%.*s",
		 id, sizeof(body) - 1, (int)half, body);
	len[0] = (uint16_t)strlen(head);
	len[1] = (uint16_t)(sizeof(body) - 1 - half);
	send_in(true, c->port, c->cseq, c->sseq, RTE_TCP_ACK_FLAG, head);
	send_in(true, c->port, c->cseq + len[0], c->sseq, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
		body + half);
}

/* The answer to a refused request: at the client's ack, acknowledging all it sent, with the
 * prepared answer of the reason and a FIN; and the RST to the server at the request's first
 * byte. Nothing else on either side. */
static void
expect_refused(const struct conn *c, uint32_t req_end, enum hp_ev_reason why)
{
	struct out o;
	uint16_t alen;
	const uint8_t *a = hp_reply_answer(why, &alen);

	assert_true(next_out(1, &o, 3000));
	assert_int_equal(o.pkt.tcp_flags & RTE_TCP_RST_FLAG, RTE_TCP_RST_FLAG);
	assert_int_equal(o.pkt.tcp_seq, c->cseq); /* the first byte the server must not get */
	assert_int_equal(o.pkt.payload_len, 0);
	assert_true(next_out(0, &o, 1000));
	assert_int_equal(o.pkt.tcp_seq, c->sseq);
	assert_int_equal(o.pkt.tcp_ack, req_end);
	assert_int_equal(o.pkt.tcp_flags,
			 RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG);
	assert_int_equal(o.pkt.payload_len, alen);
	assert_memory_equal(o.frame + o.pkt.payload_off, a, alen);
	expect_nothing(1, 50);
	expect_nothing(0, 0);
}

/* ---- tests ---- */

static void
test_answered_first_releases_in_order(void **state)
{
	struct conn c;
	struct hp_gquery q;
	struct hp_event e;
	uint16_t len[2];

	(void)state;
	open_conn(&c, 41000);
	send_request(&c, "evt-1", len);
	assert_true(next_query(&q, 1000));
	assert_int_equal(q.kind, HP_GQ_REPLAY);
	/* waiting: nothing of the request reached the server */
	expect_nothing(1, 100);
	answer(&q, HP_GA_FIRST);
	expect_out(1, c.cseq, RTE_TCP_ACK_FLAG, len[0]);
	expect_out(1, c.cseq + len[0], RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, len[1]);
	assert_true(next_event(&e, 1000));
	assert_int_equal(e.verdict, HP_EV_ACCEPT);
	assert_int_equal(e.sport, 41000);
	assert_int_equal(counter(HP_CTR_REPLAY_GLOBAL_FIRST), 1);
}

static void
test_answered_duplicate_refused_at_first_byte(void **state)
{
	struct conn c;
	struct hp_gquery q;
	struct hp_event e;
	uint16_t len[2];

	(void)state;
	open_conn(&c, 41001);
	send_request(&c, "evt-2", len);
	assert_true(next_query(&q, 1000));
	expect_nothing(1, 50);
	answer(&q, HP_GA_DUPLICATE);
	expect_refused(&c, c.cseq + len[0] + len[1], HP_EV_R_DUPLICATE);
	assert_true(next_event(&e, 1000));
	assert_int_equal(e.verdict, HP_EV_DUPLICATE);
	assert_int_equal(e.reason, HP_EV_R_DUPLICATE);
	/* the flow is cut: a retransmission of the request is dropped */
	send_in(true, c.port, c.cseq, c.sseq, RTE_TCP_ACK_FLAG, "POST /in HTTP/1.1\r\n");
	expect_nothing(1, 100);
}

static void
test_no_answer_gives_up_closed(void **state)
{
	struct conn c;
	struct hp_gquery q;
	struct hp_event e;
	uint16_t len[2];
	uint64_t t0, timeouts = counter(HP_CTR_REPLAY_GLOBAL_TIMEOUT);

	(void)state;
	open_conn(&c, 41002);
	send_request(&c, "evt-3", len);
	assert_true(next_query(&q, 1000));
	t0 = rte_rdtsc();
	/* replay_cache.global.timeout_ms (1000) later, on_unavailable reject: 503 */
	expect_refused(&c, c.cseq + len[0] + len[1], HP_EV_R_REPLAY_UNAVAILABLE);
	assert_true((rte_rdtsc() - t0) * 1000 / rte_get_tsc_hz() >= 950);
	assert_true(next_event(&e, 1000));
	assert_int_equal(e.verdict, HP_EV_REJECT);
	assert_int_equal(e.reason, HP_EV_R_REPLAY_UNAVAILABLE);
	assert_int_equal(counter(HP_CTR_REPLAY_GLOBAL_TIMEOUT), timeouts + 1);
	/* the answer comes late: it decides nothing any more */
	answer(&q, HP_GA_FIRST);
	expect_nothing(1, 100);
	expect_nothing(0, 0);
	assert_false(next_event(&e, 50));
}

static void
test_wait_table_full_refuses(void **state)
{
	enum { PENDING = 16 }; /* replay_cache.global.max_pending */
	struct conn c[PENDING + 1];
	struct hp_gquery q[PENDING];
	uint16_t len[PENDING + 1][2];
	uint64_t busy = counter(HP_CTR_REPLAY_GLOBAL_BUSY);
	unsigned int released = 0;
	struct out o;
	char id[32];

	(void)state;
	/* every wait of the worker taken: the next request cannot wait, and without an answer
	 * it cannot be let through */
	for (int i = 0; i <= PENDING; i++)
		open_conn(&c[i], (uint16_t)(42000 + i));
	for (int i = 0; i < PENDING; i++) {
		snprintf(id, sizeof(id), "evt-wait-%d", i);
		send_request(&c[i], id, len[i]);
		assert_true(next_query(&q[i], 1000));
	}
	send_request(&c[PENDING], "evt-wait-last", len[PENDING]);
	expect_refused(&c[PENDING], c[PENDING].cseq + len[PENDING][0] + len[PENDING][1],
		       HP_EV_R_REPLAY_UNAVAILABLE);
	assert_int_equal(counter(HP_CTR_REPLAY_GLOBAL_BUSY), busy + 1);
	/* the waiting ones, answered last first: each gets its own request's segments out */
	for (int i = PENDING - 1; i >= 0; i--)
		answer(&q[i], HP_GA_FIRST);
	while (next_out(1, &o, 500)) {
		assert_true(o.pkt.payload_len != 0);
		released++;
	}
	assert_int_equal(released, 2 * PENDING);
	for (struct hp_event e; next_event(&e, 100);)
		;
}

/* ---- setup ---- */

static int
eal_init(void)
{
	static char prefix[64];
	const char *args[] = {
		"test_session", "-l", "0,1", "--no-huge", "-m", "256", "--no-pci",
		"--no-telemetry", "--file-prefix", prefix, "--log-level=lib.*:warning",
		"--log-level=hookpath:warning",
	};
	static char *argv[RTE_DIM(args)];

	snprintf(prefix, sizeof(prefix), "hp-test-session-%d", (int)getpid());
	for (size_t i = 0; i < RTE_DIM(args); i++)
		if ((argv[i] = strdup(args[i])) == NULL)
			return -1;
	return rte_eal_init((int)RTE_DIM(argv), argv);
}

static int
ports_init(void)
{
	for (int p = 0; p < 2; p++) {
		char name[32];

		snprintf(name, sizeof(name), "test_rx%d", p);
		rx[p] = rte_ring_create(name, 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "test_tx%d", p);
		tx[p] = rte_ring_create(name, 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (rx[p] == NULL || tx[p] == NULL)
			return -1;
		snprintf(name, sizeof(name), "net_test%d", p);
		if (rte_eth_from_rings(name, &rx[p], 1, &tx[p], 1, SOCKET_ID_ANY) != p)
			return -1;
	}
	return 0;
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
	char err[512];
	int rc;

	if (eal_init() < 0 || rte_lcore_count() < 2) {
		fprintf(stderr, "test_session: EAL init failed (needs lcores 0 and 1)\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("test_session", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL || ports_init() != 0) {
		fprintf(stderr, "test_session: no memory for the ring ports\n");
		return 1;
	}
	if (hp_config_load_buffer("session.yaml", cfg_yaml, sizeof(cfg_yaml) - 1, &cfg, err,
				  sizeof(err)) != 0 ||
	    hp_dp_validate(&cfg, err, sizeof(err)) != 0 || hp_dp_init(&cfg, err, sizeof(err)) != 0 ||
	    !hp_dp_resolver_rings(0, &gq, &ga) || hp_dp_launch() != 0) {
		fprintf(stderr, "test_session: %s\n", err);
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	hp_dp_request_stop();
	hp_dp_wait();
	hp_dp_fini();
	hp_config_free(&cfg);
	rte_eal_cleanup();
	return rc;
}
