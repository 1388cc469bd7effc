/* SPDX-License-Identifier: BSD-3-Clause
 * The workers' warm-up at start (dataplane.warmup_requests, docs/PERFORMANCE.md "Cold start"):
 * synthetic webhook connections that each worker runs through its own packet path before its
 * first rx burst, so that the first real webhooks find the code, the branch predictors, the
 * mempool caches, the session and flow lines, the verifiers' key states and the PII scratch
 * warm, and cost what steady-state ones do.
 *
 * This file builds the frames, once, on the control thread (hp_warmup_build): for each
 * connection one endpoint of the set in turn, an HTTP/1.1 POST its route matches, a ~1 KB
 * JSON body, signed by its provider's scheme with the endpoint's own first secret
 * (hp_verify_sign: the accept path runs through every stage; a scheme the verifier cannot sign,
 * gitlab or twilio, goes unsigned and warms the refusal path); then the TCP connection around it
 * (handshake, the request, the server's 200, FIN both ways) between documentation addresses
 * (192.0.2.0/24 to 198.51.100.1, RFC 5737) on the first guarded port, IPv4, checksums right.
 *
 * What a worker does with them (dp_worker.c, warmup()) keeps them invisible: nothing is
 * transmitted (hp_tx_flush frees while w->warming), no event, capture, resolver question, ML
 * record or replay-cache entry leaves the worker, the ML stage's rate state is not touched,
 * every counter is put back, and every flow and session is released before rx starts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "dp_log.h"
#include "dp_types.h"
#include "dp_warmup.h"
#include "verify.h"

#define WARM_MSS             1400
#define WARM_BODY_BYTES      1024
#define WARM_REQ_MAX         4096 /* request text: headers + body */
#define WARM_SPORT_BASE      20000
#define WARM_CLIENT_NET      0xc0000200u /* 192.0.2.0/24 */
#define WARM_SERVER          0xc6336401u /* 198.51.100.1 */
#define WARM_POOL_PER_WORKER 512

static const char warm_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

struct warm_buf {
	uint8_t *buf;
	size_t used, cap;
	uint32_t *off;
	uint16_t *len;
	uint32_t n, n_cap;
};

/* One side of the connection: addresses, port, next sequence number. */
struct warm_end {
	uint32_t ip;
	uint16_t port;
	uint32_t seq;
	uint8_t mac[6];
};

static int
warm_grow(struct warm_buf *b, size_t need)
{
	if (b->n == b->n_cap) {
		uint32_t nc = b->n_cap ? 2 * b->n_cap : 1024;
		uint32_t *off = realloc(b->off, nc * sizeof(*off));

		if (off == NULL)
			return -1;
		b->off = off;
		uint16_t *len = realloc(b->len, nc * sizeof(*len));

		if (len == NULL)
			return -1;
		b->len = len;
		b->n_cap = nc;
	}
	if (b->used + need > b->cap) {
		size_t nc = b->cap ? 2 * b->cap : 1 << 20;
		uint8_t *p;

		while (nc < b->used + need)
			nc *= 2;
		p = realloc(b->buf, nc);
		if (p == NULL)
			return -1;
		b->buf = p;
		b->cap = nc;
	}
	return 0;
}

/* One Ethernet/IPv4/TCP frame from `from` to `to` with flags and payload; from->seq advances
 * by what the segment occupies. */
static int
warm_frame(struct warm_buf *b, struct warm_end *from, const struct warm_end *to, uint8_t flags,
	   const uint8_t *pl, size_t plen, uint16_t ip_id)
{
	size_t hl = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
		    sizeof(struct rte_tcp_hdr);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *tcp;

	if (warm_grow(b, hl + plen + 8) != 0)
		return -1;
	b->used = RTE_ALIGN_CEIL(b->used, 8); /* the headers' own alignment */
	eth = (struct rte_ether_hdr *)(b->buf + b->used);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	tcp = (struct rte_tcp_hdr *)(ip + 1);
	memset(eth, 0, hl);
	memcpy(eth->dst_addr.addr_bytes, to->mac, 6);
	memcpy(eth->src_addr.addr_bytes, from->mac, 6);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*tcp) + plen));
	ip->packet_id = rte_cpu_to_be_16(ip_id);
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(from->ip);
	ip->dst_addr = rte_cpu_to_be_32(to->ip);
	tcp->src_port = rte_cpu_to_be_16(from->port);
	tcp->dst_port = rte_cpu_to_be_16(to->port);
	tcp->sent_seq = rte_cpu_to_be_32(from->seq);
	tcp->recv_ack = (flags & RTE_TCP_ACK_FLAG) ? rte_cpu_to_be_32(to->seq) : 0;
	tcp->data_off = (sizeof(*tcp) / 4) << 4;
	tcp->tcp_flags = flags;
	tcp->rx_win = rte_cpu_to_be_16(65535);
	if (plen != 0)
		memcpy(tcp + 1, pl, plen);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
	from->seq += (uint32_t)plen + ((flags & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG)) ? 1 : 0);
	b->off[b->n] = (uint32_t)b->used;
	b->len[b->n] = (uint16_t)(hl + plen);
	b->n++;
	b->used += hl + plen;
	return 0;
}

/* The request of connection i to endpoint ep (NULL: no endpoint is configured; an unrouted
 * request still warms the packet path): its length in out, or 0 if it did not fit. */
static size_t
warm_request(const struct hp_route_ep *ep, unsigned int i, int64_t now_s, char *out, size_t cap)
{
	char body[WARM_BODY_BYTES + 1], host[HP_CFG_HOST_LEN + 16], id[48], sig[1024] = "";
	char token[HP_CFG_HDR_LEN * 2 + 48] = "";
	const char *target = "/";
	int bl, n;

	bl = snprintf(body, sizeof(body),
		      "{\"id\":\"evt_hookpath_warmup_%06u\",\"object\":\"event\","
		      "\"type\":\"hookpath.warmup\",\"created\":%lld,\"livemode\":false,"
		      "\"data\":{\"object\":{\"id\":\"obj_warmup_%06u\",\"object\":\"charge\","
		      "\"amount\":%u,\"currency\":\"usd\",\"status\":\"succeeded\","
		      "\"description\":\"hookpath warm-up request, never sent to any server\","
		      "\"customer\":{\"id\":\"cus_warmup_%u\",\"name\":\"warm up\"},"
		      "\"items\":[{\"sku\":\"sku_a\",\"qty\":1},{\"sku\":\"sku_b\",\"qty\":2}],"
		      "\"metadata\":{\"source\":\"hookpath\",\"purpose\":\"warm-up\"}}},"
		      "\"padding\":\"",
		      i, (long long)now_s, i, 100 + i % 9000, i);
	if (bl < 0 || (size_t)bl >= sizeof(body) - 3)
		return 0;
	for (; bl < WARM_BODY_BYTES - 2; bl++) /* letters only: no PII, no structure */
		body[bl] = (char)('a' + bl % 26);
	body[bl++] = '"';
	body[bl++] = '}';
	body[bl] = '\0';
	snprintf(id, sizeof(id), "msg_hookpath_warmup_%06u", i);
	if (ep == NULL || ep->any_host)
		snprintf(host, sizeof(host), "warmup.invalid");
	else if (ep->wildcard)
		snprintf(host, sizeof(host), "warmup%s", ep->host);
	else
		snprintf(host, sizeof(host), "%s", ep->host);
	if (ep != NULL && ep->prefix_len != 0)
		target = ep->prefix;
	if (ep != NULL && ep->verifier != NULL) {
		struct hp_verify_req vr = {
			.method = {(const uint8_t *)"POST", 4},
			.target = {(const uint8_t *)target, strlen(target)},
			.host = {(const uint8_t *)host, strlen(host)},
			.body = (const uint8_t *)body,
			.body_len = (size_t)bl,
			.now = now_s,
		};

		if (hp_verify_sign(ep->verifier, &vr, now_s, id, sig, sizeof(sig)) < 0)
			sig[0] = '\0'; /* unsigned: the refusal path */
	}
	if (ep != NULL && ep->token_hlen != 0)
		snprintf(token, sizeof(token), "%s: %shookpath-warmup-token\r\n", ep->token_header,
			 ep->token_prefix);
	n = snprintf(out, cap,
		     "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: hookpath-warmup\r\n"
		     "Content-Type: application/json\r\nContent-Length: %d\r\n%s%s\r\n%s",
		     target, host, bl, sig, token, body);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Connection i: handshake, the request in WARM_MSS segments, the server's answer, FIN both
 * ways. */
static int
warm_connection(struct warm_buf *b, const struct hp_route_ep *ep, unsigned int i,
		uint16_t server_port, int64_t now_s)
{
	struct warm_end c = {WARM_CLIENT_NET | (1 + i % 254),
			     (uint16_t)(WARM_SPORT_BASE + i),
			     1000u + i * 7919u,
			     {0x02, 0, 0, 0, 0, 0x01}};
	struct warm_end s = {
		WARM_SERVER, server_port, 500000000u + i * 104729u, {0x02, 0, 0, 0, 0, 0x02}};
	static char req[WARM_REQ_MAX];
	size_t rl = warm_request(ep, i, now_s, req, sizeof(req));
	uint16_t id = (uint16_t)(i * 16);
	int ret = 0;

	if (rl == 0)
		return -1;
	ret |= warm_frame(b, &c, &s, RTE_TCP_SYN_FLAG, NULL, 0, id++);
	ret |= warm_frame(b, &s, &c, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, NULL, 0, id++);
	ret |= warm_frame(b, &c, &s, RTE_TCP_ACK_FLAG, NULL, 0, id++);
	for (size_t o = 0; o < rl && ret == 0; o += WARM_MSS) {
		size_t n = rl - o < WARM_MSS ? rl - o : WARM_MSS;

		ret |= warm_frame(b, &c, &s, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
				  (const uint8_t *)req + o, n, id++);
	}
	ret |= warm_frame(b, &s, &c, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
			  (const uint8_t *)warm_response, sizeof(warm_response) - 1, id++);
	ret |= warm_frame(b, &c, &s, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, NULL, 0, id++);
	ret |= warm_frame(b, &s, &c, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, NULL, 0, id++);
	ret |= warm_frame(b, &c, &s, RTE_TCP_ACK_FLAG, NULL, 0, id);
	return ret;
}

int
hp_warmup_build(const struct hp_config *cfg, const struct hp_route_table *rt,
		unsigned int n_workers, struct hp_warm_frames *out, char *err, size_t errlen)
{
	const struct hp_guard_config *g = &cfg->dataplane.guard;
	uint16_t port = !g->any && g->n_ports != 0 ? g->ports[0] : 80;
	struct warm_buf b = {0};
	uint32_t n_req = cfg->dataplane.warmup_requests;
	struct timespec ts;

	memset(out, 0, sizeof(*out));
	if (n_req == 0)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	for (uint32_t i = 0; i < n_req; i++) {
		const struct hp_route_ep *ep =
			rt != NULL && rt->n != 0 ? rt->by_index[i % rt->n] : NULL;

		if (warm_connection(&b, ep, i, port, (int64_t)ts.tv_sec) != 0) {
			free(b.buf);
			free(b.off);
			free(b.len);
			snprintf(err, errlen,
				 "dataplane.warmup_requests: cannot build the warm-up requests "
				 "(out of memory)");
			return -1;
		}
	}
	/* a warming worker holds at most a few bursts, a request's held segments and its
	 * replies: WARM_POOL_PER_WORKER each is ample */
	out->pool = rte_pktmbuf_pool_create("hp_warm", WARM_POOL_PER_WORKER * n_workers, 32, 0,
					    RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (out->pool == NULL) {
		free(b.buf);
		free(b.off);
		free(b.len);
		snprintf(err, errlen,
			 "dataplane.warmup_requests: no memory for the warm-up's %u mbufs (give "
			 "EAL more memory with -m, or set it to 0: no warm-up)",
			 WARM_POOL_PER_WORKER * n_workers);
		return -1;
	}
	out->buf = b.buf;
	out->off = b.off;
	out->len = b.len;
	out->n = b.n;
	out->n_requests = n_req;
	return 0;
}

void
hp_warmup_free_frames(struct hp_warm_frames *f)
{
	/* signed requests, never sent but valid for a while: wiped, not just freed */
	if (f->buf != NULL && f->n != 0)
		explicit_bzero(f->buf, f->off[f->n - 1] + f->len[f->n - 1]);
	free(f->buf);
	free(f->off);
	free(f->len);
	f->buf = NULL;
	f->off = NULL;
	f->len = NULL;
	f->n = 0;
}

void
hp_warmup_free(struct hp_warm_frames *f)
{
	rte_mempool_free(f->pool);
	hp_warmup_free_frames(f);
	memset(f, 0, sizeof(*f));
}
