/* SPDX-License-Identifier: BSD-3-Clause
 * A running dataplane for tests (see harness.h).
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

#include "dp_reply.h"
#include "harness.h"
#include "hp_config.h"
#include "test_eal.h"

static struct hp_config cfg;
static struct rte_mempool *pool;
/* rx: what the test sends in on a port; tx: what hookpath sends out of it */
static struct rte_ring *rx[2], *tx[2];

/* ---- frames ---- */

static struct rte_mbuf *
frame(bool to_server, uint16_t cport, uint32_t seq, uint32_t ack, uint8_t flags,
      const char *payload, uint16_t plen)
{
	static const uint8_t mac_c[6] = {2, 0, 0, 0, 0, 1}, mac_s[6] = {2, 0, 0, 0, 0, 2};
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	uint8_t *p;

	assert_non_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(54 + plen));
	assert_non_null(p);
	memset(p, 0, 54);
	memcpy(p, to_server ? mac_s : mac_c, 6);
	memcpy(p + 6, to_server ? mac_c : mac_s, 6);
	p[12] = 0x08;
	ip = (struct rte_ipv4_hdr *)(p + 14);
	th = (struct rte_tcp_hdr *)(ip + 1);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(40 + plen));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(to_server ? HX_CLIENT : HX_SERVER);
	ip->dst_addr = rte_cpu_to_be_32(to_server ? HX_SERVER : HX_CLIENT);
	th->src_port = rte_cpu_to_be_16(to_server ? cport : 80);
	th->dst_port = rte_cpu_to_be_16(to_server ? 80 : cport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = 0x50;
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(65535);
	if (plen != 0)
		memcpy(th + 1, payload, plen);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	m->port = to_server ? 0 : 1; /* the ring PMD does not set it */
	return m;
}

void
hx_send(bool to_server, uint16_t cport, uint32_t seq, uint32_t ack, uint8_t flags,
	const char *payload)
{
	struct rte_mbuf *m = frame(to_server, cport, seq, ack, flags, payload,
				   (uint16_t)(payload != NULL ? strlen(payload) : 0));

	assert_int_equal(rte_ring_enqueue(rx[to_server ? 0 : 1], m), 0);
}

static uint64_t
deadline(unsigned int ms)
{
	return rte_rdtsc() + rte_get_tsc_hz() / 1000 * ms;
}

bool
hx_next_out(unsigned int p, struct hx_out *o, unsigned int ms)
{
	uint64_t end = deadline(ms);
	struct rte_mbuf *m;

	do {
		if (rte_ring_dequeue(tx[p], (void **)&m) == 0) {
			const void *d;

			o->len = rte_pktmbuf_pkt_len(m);
			assert_true(o->len <= sizeof(o->frame));
			d = rte_pktmbuf_read(m, 0, o->len, o->frame);
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

void
hx_expect_out(unsigned int p, uint32_t seq, uint8_t flags, uint16_t payload_len)
{
	struct hx_out o;

	assert_true(hx_next_out(p, &o, 3000));
	assert_int_equal(o.pkt.tcp_seq, seq);
	assert_int_equal(o.pkt.tcp_flags, flags);
	assert_int_equal(o.pkt.payload_len, payload_len);
}

void
hx_expect_nothing(unsigned int p, unsigned int ms)
{
	struct hx_out o;

	if (hx_next_out(p, &o, ms))
		fail_msg("port %u sent seq %u flags 0x%x len %u", p, o.pkt.tcp_seq, o.pkt.tcp_flags,
			 o.pkt.payload_len);
}

bool
hx_next_event(struct hp_event *e, unsigned int ms)
{
	uint64_t end = deadline(ms);

	do {
		if (rte_ring_dequeue_elem(hp_dp_event_ring(0), e, sizeof(*e)) == 0)
			return true;
		rte_pause();
	} while (rte_rdtsc() < end);
	return false;
}

uint64_t
hx_counter(enum hp_ctr c)
{
	struct hp_counters *all = calloc(1, sizeof(*all));
	uint64_t v;

	assert_non_null(all);
	hp_dp_counters(all);
	v = all->c[c];
	free(all);
	return v;
}

uint64_t
hx_counter_named(const char *name)
{
	for (unsigned int i = 0; i < HP_CTR__MAX; i++) {
		const char *n = hp_ctr_name((enum hp_ctr)i);

		if (n != NULL && strcmp(n, name) == 0)
			return hx_counter((enum hp_ctr)i);
	}
	fail_msg("no counter named %s", name);
	return 0;
}

/* ---- connections ---- */

void
hx_open(struct hx_conn *c, uint16_t port)
{
	c->port = port;
	c->cseq = HX_C_ISN + 1;
	c->sseq = HX_S_ISN + 1;
	hx_send(true, port, HX_C_ISN, 0, RTE_TCP_SYN_FLAG, NULL);
	hx_expect_out(1, HX_C_ISN, RTE_TCP_SYN_FLAG, 0);
	hx_send(false, port, HX_S_ISN, c->cseq, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, NULL);
	hx_expect_out(0, HX_S_ISN, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0);
	hx_send(true, port, c->cseq, c->sseq, RTE_TCP_ACK_FLAG, NULL);
	hx_expect_out(1, c->cseq, RTE_TCP_ACK_FLAG, 0);
}

void
hx_post(struct hx_conn *c, const char *host, const char *extra, const char *body, uint16_t len[2])
{
	char head[1024];
	size_t blen = strlen(body), half = blen / 2;

	snprintf(head, sizeof(head),
		 "POST /in HTTP/1.1\r\nHost: %s\r\n%sContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\n\r\n%.*s",
		 host, extra, blen, (int)half, body);
	len[0] = (uint16_t)strlen(head);
	len[1] = (uint16_t)(blen - half);
	hx_send(true, c->port, c->cseq, c->sseq, RTE_TCP_ACK_FLAG, head);
	hx_send(true, c->port, c->cseq + len[0], c->sseq, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
		body + half);
}

void
hx_expect_refused(const struct hx_conn *c, uint32_t req_end, enum hp_ev_reason why)
{
	struct hx_out o;
	uint16_t alen;
	const uint8_t *a = hp_reply_answer(why, &alen);

	assert_true(hx_next_out(1, &o, 5000));
	assert_int_equal(o.pkt.tcp_flags & RTE_TCP_RST_FLAG, RTE_TCP_RST_FLAG);
	assert_int_equal(o.pkt.tcp_seq, c->cseq); /* the first byte the server must not get */
	assert_int_equal(o.pkt.payload_len, 0);
	assert_true(hx_next_out(0, &o, 1000));
	assert_int_equal(o.pkt.tcp_seq, c->sseq);
	assert_int_equal(o.pkt.tcp_ack, req_end);
	assert_int_equal(o.pkt.tcp_flags, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG);
	assert_int_equal(o.pkt.payload_len, alen);
	assert_memory_equal(o.frame + o.pkt.payload_off, a, alen);
	hx_expect_nothing(1, 50);
	hx_expect_nothing(0, 0);
}

/* ---- start, stop ---- */

static int
ports_init(void)
{
	for (int p = 0; p < 2; p++) {
		char name[32];

		snprintf(name, sizeof(name), "hx_rx%d", p);
		rx[p] = rte_ring_create(name, 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "hx_tx%d", p);
		tx[p] = rte_ring_create(name, 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (rx[p] == NULL || tx[p] == NULL)
			return -1;
		snprintf(name, sizeof(name), "net_hx%d", p);
		if (rte_eth_from_rings(name, &rx[p], 1, &tx[p], 1, SOCKET_ID_ANY) != p)
			return -1;
	}
	return 0;
}

int
hx_start(const char *name, const char *cfg_yaml)
{
	char err[512] = "";

	if (hp_test_eal_init(name, "256", "0,1") < 0 || rte_lcore_count() < 2) {
		fprintf(stderr, "%s: EAL init failed (needs lcores 0 and 1)\n", name);
		return -1;
	}
	pool = rte_pktmbuf_pool_create("hx_pool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL || ports_init() != 0) {
		fprintf(stderr, "%s: no memory for the ring ports\n", name);
		return -1;
	}
	if (hp_config_load_buffer("harness.yaml", cfg_yaml, strlen(cfg_yaml), &cfg, err,
				  sizeof(err)) != 0 ||
	    hp_dp_validate(&cfg, err, sizeof(err)) != 0 ||
	    hp_dp_init(&cfg, err, sizeof(err)) != 0 || hp_dp_launch() != 0) {
		fprintf(stderr, "%s: %s\n", name, err);
		return -1;
	}
	return 0;
}

void
hx_stop(void)
{
	hp_dp_request_stop();
	hp_dp_wait();
	hp_dp_fini();
	hp_config_free(&cfg);
	rte_eal_cleanup();
}
