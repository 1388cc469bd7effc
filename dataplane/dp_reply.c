/* SPDX-License-Identifier: BSD-3-Clause
 * Crafted packets for rejects (see dp_reply.h). Per reject, not per packet: one mbuf from the
 * worker's pool, a header copy, one checksum; the answers themselves are rendered once at
 * start.
 */
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "dp_types.h"
#include "dp_reply.h"

#define ANSWER_MAX 256

static struct {
	uint16_t status;
	uint16_t len;
	uint8_t bytes[ANSWER_MAX];
} answers[HP_EV_R__MAX];

static const uint16_t reason_status[HP_EV_R__MAX] = {
#define _(sym, name, status, help) [HP_EV_R_##sym] = status,
	foreach_hp_ev_reason(_)
#undef _
};

uint16_t
hp_reply_status(enum hp_ev_reason r)
{
	return (unsigned int)r < HP_EV_R__MAX ? reason_status[r] : 400;
}

static const char *
status_text(uint16_t st)
{
	switch (st) {
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 409:
		return "Conflict";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 422:
		return "Unprocessable Content";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	default:
		return "Bad Request";
	}
}

void
hp_reply_init(void)
{
	for (unsigned int r = 0; r < HP_EV_R__MAX; r++) {
		char body[96];
		int bl, n;
		uint16_t st = hp_reply_status((enum hp_ev_reason)r);

		bl = snprintf(body, sizeof(body), "{\"error\":\"%s\"}\n",
			      hp_ev_reason_name((enum hp_ev_reason)r));
		n = snprintf((char *)answers[r].bytes, ANSWER_MAX,
			     "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\n"
			     "Content-Length: %d\r\nConnection: close\r\n%s\r\n%s",
			     st, status_text(st), bl, st == 503 ? "Retry-After: 1\r\n" : "", body);
		answers[r].status = st;
		answers[r].len = (uint16_t)(n > 0 && n < ANSWER_MAX ? n : 0);
	}
}

const uint8_t *
hp_reply_answer(enum hp_ev_reason r, uint16_t *len)
{
	if ((unsigned int)r >= HP_EV_R__MAX)
		r = HP_EV_R_HTTP_MALFORMED;
	*len = answers[r].len;
	return answers[r].bytes;
}

int
hp_reply_tcp(struct hp_worker *w, uint16_t port, const uint8_t *data, const struct hp_pkt *pkt,
	     bool reverse, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *payload,
	     uint16_t plen)
{
	uint16_t l2 = pkt->l3_off, l3 = pkt->l3 == HP_L3_IPV4 ? 20 : 40;
	uint16_t total = (uint16_t)(l2 + l3 + 20 + plen);
	struct rte_mbuf *m;
	struct rte_tcp_hdr *th;
	uint8_t *p;

	if (w->n_reply >= HP_REPLY_MAX || (m = rte_pktmbuf_alloc(w->pool)) == NULL) {
		w->ctr.c[HP_CTR_REJECT_NOMBUF]++;
		return -1;
	}
	p = (uint8_t *)rte_pktmbuf_append(m, total);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		w->ctr.c[HP_CTR_REJECT_NOMBUF]++;
		return -1;
	}
	memcpy(p, data, l2); /* Ethernet + VLAN tags as received */
	if (reverse) {
		memcpy(p, data + 6, 6);
		memcpy(p + 6, data, 6);
	}
	if (pkt->l3 == HP_L3_IPV4) {
		const struct rte_ipv4_hdr *oi = (const struct rte_ipv4_hdr *)(data + l2);
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + l2);

		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + 20 + plen));
		ip->packet_id = rte_cpu_to_be_16(w->reply_ip_id++);
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		ip->src_addr = reverse ? oi->dst_addr : oi->src_addr;
		ip->dst_addr = reverse ? oi->src_addr : oi->dst_addr;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	} else {
		const struct rte_ipv6_hdr *oi = (const struct rte_ipv6_hdr *)(data + l2);
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(p + l2);

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(20 + plen));
		ip->proto = IPPROTO_TCP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, reverse ? oi->dst_addr : oi->src_addr, 16);
		memcpy(ip->dst_addr, reverse ? oi->src_addr : oi->dst_addr, 16);
	}
	th = (struct rte_tcp_hdr *)(p + l2 + l3);
	memset(th, 0, sizeof(*th));
	th->src_port = rte_cpu_to_be_16(reverse ? pkt->dport : pkt->sport);
	th->dst_port = rte_cpu_to_be_16(reverse ? pkt->sport : pkt->dport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = 5 << 4;
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16((flags & RTE_TCP_RST_FLAG) ? 0 : 65535);
	if (plen != 0)
		memcpy(p + l2 + l3 + 20, payload, plen);
	if (pkt->l3 == HP_L3_IPV4)
		th->cksum = rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)(p + l2), th);
	else
		th->cksum = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)(p + l2), th);
	m->port = port;
	w->reply[w->n_reply++] = m;
	return 0;
}
