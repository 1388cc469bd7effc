/* SPDX-License-Identifier: BSD-3-Clause
 * The worker loop: rx burst -> decode -> (dispatch to the flow's owner) -> defrag ->
 * inspection hook -> action (bridge: tx on the paired port, buffered; tap: free).
 *
 * One body, specialised by constant flags (is_bridge, from_ring, dispatch) through
 * always-inline wrappers, so the bridge and tap loops carry no per-packet mode test.
 * Per-packet rules: no allocation (except the copy of a reassembled datagram and its
 * re-fragmentation, dp_defrag.c), no lock, no syscall, no logging; every packet that is not
 * forwarded is counted by reason.
 */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_thash.h>

#include "dp_types.h"
#include "dp_defrag.h"
#include "dp_flow.h"
#include "dp_inspect.h"
#include "dp_log.h"
#include "dp_session.h"
#include "dp_stage.h"
#include "dp_tx.h"
#include "dp_worker.h"
#include "hp_assert.h"

/* Wheel entries examined per drain tick (every tx_drain_us): bounds the expiry work. */
#define HP_FLOW_EXPIRE_BUDGET 256

/* Frames whose first line is prefetched ahead of the one being decoded. */
#ifndef HP_PREFETCH_AHEAD
#define HP_PREFETCH_AHEAD 8
#endif

/* Set on a reassembled datagram: after its verdict it is forwarded re-fragmented by
 * hp_defrag_forward, never as it is. */

/* Symmetric Toeplitz key (0x6d5a repeated), converted for rte_softrss_be(). */
static uint32_t owner_key_be[13];

void
hp_worker_init_owner_key(void)
{
	uint32_t key[13];
	uint8_t *k = (uint8_t *)key;

	for (unsigned int i = 0; i < sizeof(key); i += 2) {
		k[i] = 0x6d;
		k[i + 1] = 0x5a;
	}
	rte_convert_rss_key(key, owner_key_be, sizeof(key));
}

/* Worker that owns the flow of this packet: Toeplitz over (addresses[, ports]) with the
 * symmetric key, so both directions agree; a fragment would hash on addresses only
 * (non-first fragments carry no ports), but fragments are not dispatched: the worker that
 * receives them reassembles, and the datagram goes to its owner. ~100 cycles; only computed
 * when dispatch is on or after reassembly. */
static inline uint16_t
flow_owner(const struct hp_worker *w, const uint8_t *data, const struct hp_pkt *p)
{
	uint32_t tuple[9];
	uint32_t len;

	if (p->l3 == HP_L3_IPV4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(data + p->l3_off);

		tuple[0] = rte_be_to_cpu_32(ip->src_addr);
		tuple[1] = rte_be_to_cpu_32(ip->dst_addr);
		len = 2;
	} else {
		const uint8_t *a = data + p->l3_off + 8; /* src then dst, 32 bytes */

		for (unsigned int i = 0; i < 8; i++) {
			uint32_t v;

			memcpy(&v, a + 4 * i, 4);
			tuple[i] = rte_be_to_cpu_32(v);
		}
		len = 8;
	}
	if ((p->flags & (HP_PKT_L4 | HP_PKT_FRAG)) == HP_PKT_L4 &&
	    (p->l4_proto == IPPROTO_TCP || p->l4_proto == IPPROTO_UDP))
		tuple[len++] = (uint32_t)p->sport << 16 | p->dport;
	return w->reta[rte_softrss_be(tuple, len, (const uint8_t *)owner_key_be) % HP_RETA_SIZE];
}

void
hp_worker_apply_limits(struct hp_worker *w, const struct hp_config *cfg)
{
	hp_flow_set_timeouts(w, &cfg->dataplane.flows);
	hp_worker_stream_limits(&w->stream_cfg, &cfg->dataplane.reassembly);
	if (w->stream_cfg.last_hold_bytes > w->stream_cfg.flow_memcap_bytes)
		w->stream_cfg.last_hold_bytes = w->stream_cfg.flow_memcap_bytes;
	w->hold_limit = (uint16_t)RTE_MIN(w->hold_max, cfg->pii.max_held_segments);
}

/* ---- tx: per (worker, port) buffer, flushed when full and on the drain timer ---- */

/* A whole burst toward one port (bytes: their total length): one pointer copy, one flush
 * when the buffer is full. */
static inline void
tx_many(struct hp_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t n, uint64_t bytes)
{
	struct hp_txbuf *b = &w->txb[port];

	if (unlikely(b->len + n > HP_MAX_BURST))
		hp_tx_flush(w, port);
	memcpy(&b->pkts[b->len], pkts, n * sizeof(*pkts));
	b->len += n;
	b->bytes += bytes;
	if (b->len >= w->burst)
		hp_tx_flush(w, port);
}

static void
tx_flush_all(struct hp_worker *w)
{
	for (uint16_t i = 0; i < w->n_out; i++)
		hp_tx_flush(w, w->out_ports[i]);
}

/* Forward (bridge) or release (tap) a packet no stage wants to drop. */
static __rte_always_inline void
pass_on(struct hp_worker *w, struct rte_mbuf *m, const bool is_bridge)
{
	if (is_bridge) {
		uint16_t out = w->out_port[m->port];

		if (unlikely(m->ol_flags & hp_mbuf_reassembled)) {
			hp_defrag_forward(w, m, out); /* frees m when it cannot send */
			return;
		}
		if (likely(out != HP_NO_PORT)) {
			hp_tx(w, out, m);
			return;
		}
	}
	rte_pktmbuf_free(m);
}

/*
 * Packets of one burst that go on (bridge: out of the paired port), in arrival order: a
 * transparent bridge must not reorder what it carries, so packets that need no inspection
 * (ARP, fragments, malformed-but-forwarded) wait here for the inspected ones before the burst
 * is transmitted. A slot set to NULL was dropped by a verdict.
 */
struct burst_out {
	uint16_t n;
	struct rte_mbuf *m[HP_MAX_BURST];
};

/* Packets of an rx burst handed to the workers that own their flows, in arrival order. They
 * go out in one rte_ring_sp_enqueue_burst per owner at the end of the loop over the burst
 * instead of one enqueue per packet: each enqueue writes the ring's producer tail, which the
 * owner polls, so per-packet enqueues moved that cache line between the two cores once per
 * packet (issue 18; tests/bench/bench_scale.py). */
struct handoff {
	uint16_t n;
	uint16_t owner[HP_MAX_BURST];
	struct rte_mbuf *m[HP_MAX_BURST];
};

static void
handoff_flush(struct hp_worker *w, struct handoff *h)
{
	struct rte_mbuf *batch[HP_MAX_BURST];

	while (h->n != 0) {
		const uint16_t owner = h->owner[0];
		uint16_t nb = 0, k = 0;
		unsigned int sent;

		for (uint16_t i = 0; i < h->n; i++) {
			if (h->owner[i] == owner) {
				batch[nb++] = h->m[i];
			} else {
				h->owner[k] = h->owner[i];
				h->m[k++] = h->m[i];
			}
		}
		h->n = k;
		sent = rte_ring_sp_enqueue_burst(w->ring_to[owner], (void **)batch, nb, NULL);
		w->ctr.c[HP_CTR_DISPATCH_OUT] += sent;
		if (unlikely(sent < nb)) {
			w->ctr.c[HP_CTR_DISPATCH_RING_FULL] += nb - sent;
			rte_pktmbuf_free_bulk(batch + sent, nb - sent);
		}
	}
}

static inline uint16_t
out_add(struct burst_out *o, struct rte_mbuf *m)
{
	o->m[o->n] = m;
	return o->n++;
}

static inline void
count_l3l4(uint64_t *c, const struct hp_pkt *p)
{
	switch (p->l3) {
	case HP_L3_IPV4:
		c[HP_CTR_L3_IPV4]++;
		break;
	case HP_L3_IPV6:
		c[HP_CTR_L3_IPV6]++;
		break;
	case HP_L3_ARP:
		c[HP_CTR_L3_ARP]++;
		return;
	default:
		c[HP_CTR_L3_OTHER]++;
		return;
	}
	if (p->flags & HP_PKT_FRAG && !(p->flags & HP_PKT_FRAG_FIRST))
		return; /* counted once, on the first fragment */
	switch (p->l4_proto) {
	case IPPROTO_TCP:
		c[HP_CTR_L4_TCP]++;
		break;
	case IPPROTO_UDP:
		c[HP_CTR_L4_UDP]++;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		c[HP_CTR_L4_ICMP]++;
		break;
	default:
		c[HP_CTR_L4_OTHER]++;
	}
}

/* Decode flags for one frame: when the NIC vouched for both the IP and the L4 checksum
 * (rx checksum offload), software does not verify them again. A checksum the NIC found bad,
 * or could not check, is verified in software so that the error is counted by reason. */
static inline unsigned int
decode_flags(const struct hp_worker *w, const struct rte_mbuf *m)
{
	const uint64_t good = RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;

	if ((m->ol_flags & (RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK)) == good)
		return w->decode_flags & ~HP_DECODE_CSUM;
	return w->decode_flags;
}

/* Contiguous view of a frame: the mbuf's data, or the scratch copy of a chained one. */
static inline const uint8_t *
frame_data(struct hp_worker *w, struct rte_mbuf *m, uint32_t *len)
{
	if (likely(m->nb_segs == 1)) {
		*len = m->data_len;
		return rte_pktmbuf_mtod(m, const uint8_t *);
	}
	*len = RTE_MIN(m->pkt_len, (uint32_t)HP_SCRATCH_SIZE);
	return rte_pktmbuf_read(m, 0, *len, w->scratch);
}

/* Inspect one packet outside the burst batch (its bytes live in scratch). */
static inline enum hp_verdict
inspect_one(struct hp_worker *w, struct rte_mbuf *m, const uint8_t *data, const struct hp_pkt *pkt)
{
	struct hp_inspect_item it = {.m = m, .data = data, .pkt = *pkt};
	uint8_t verdict;

	hp_inspect_burst(w, &it, 1, &verdict);
	return verdict;
}

/* Is this decoded frame a TCP segment of a flow that is not guarded (forwarded untouched,
 * never tracked nor parsed)? Fragments are decided by reassembly (dp_defrag.c). */
static inline bool
unguarded_tcp(const struct hp_pkt *p)
{
	return (p->flags & (HP_PKT_L4 | HP_PKT_FRAG)) == HP_PKT_L4 && p->l4_proto == IPPROTO_TCP &&
	       !hp_guard_tcp(&hp_dp.guard, p->sport, p->dport);
}

/* Inspect a reassembled datagram; bridge: accepted, it goes out in fragments again (its own
 * fragments were held until now and are gone, dp_defrag.c). */
static inline void
inspect_reassembled(struct hp_worker *w, struct rte_mbuf *r, const uint8_t *data,
		    const struct hp_pkt *pkt, const bool is_bridge)
{
	enum hp_verdict v = inspect_one(w, r, data, pkt);

	if (v == HP_VERDICT_HOLD)
		return;
	if (is_bridge && v == HP_VERDICT_FORWARD)
		hp_defrag_forward(w, r, w->out_port[r->port]); /* frees r when it cannot send */
	else
		rte_pktmbuf_free(r);
}

/* A reassembled datagram: decode it again (now with its L4 checksum), then hand it to its
 * flow's owner or inspect it here. */
static __rte_always_inline void
reassembled(struct hp_worker *w, struct rte_mbuf *r, const bool is_bridge, const bool dispatch)
{
	struct hp_pkt pkt;
	const uint8_t *data;
	uint32_t len;
	enum hp_decode_err err;

	r->ol_flags |= hp_mbuf_reassembled;
	data = frame_data(w, r, &len);
	err = hp_decode(data, len, w->decode_flags, &pkt);
	if (unlikely(err != HP_DEC_OK)) {
		w->ctr.c[HP_CTR_DEFRAG_DECODE_ERR]++;
		w->ctr.c[HP_CTR_DECODE_ERR_BASE + err]++;
		rte_pktmbuf_free(r);
		return;
	}
	if (unlikely(unguarded_tcp(&pkt))) { /* a tiny first fragment hid its ports */
		w->ctr.c[HP_CTR_TCP_UNGUARDED]++;
		if (is_bridge)
			hp_defrag_forward(w, r, w->out_port[r->port]);
		else
			rte_pktmbuf_free(r);
		return;
	}
	if (dispatch) {
		uint16_t owner = flow_owner(w, data, &pkt);

		if (owner != w->id) {
			if (likely(rte_ring_sp_enqueue(w->ring_to[owner], r) == 0)) {
				w->ctr.c[HP_CTR_DISPATCH_OUT]++;
			} else {
				w->ctr.c[HP_CTR_DISPATCH_RING_FULL]++;
				rte_pktmbuf_free(r);
			}
			return;
		}
	}
	inspect_reassembled(w, r, data, &pkt, is_bridge);
}

/* An IP fragment: reassembly holds it (guarded datagram), drops it, completes its datagram
 * with it, or gives it back to go on untouched (not guarded; a tap frees it with the burst). */
static __rte_always_inline void
fragment(struct hp_worker *w, struct burst_out *o, struct rte_mbuf *m, const struct hp_pkt *pkt,
	 uint64_t now, const bool is_bridge, const bool dispatch)
{
	struct rte_mbuf *r;

	if (unlikely(!w->defrag)) {
		w->ctr.c[HP_CTR_DEFRAG_DISABLED]++;
		out_add(o, m);
		return;
	}
	switch (hp_defrag_packet(w, m, pkt, now, &r)) {
	case HP_DEFRAG_FORWARD:
		out_add(o, m);
		break;
	case HP_DEFRAG_COMPLETE:
		reassembled(w, r, is_bridge, dispatch);
		break;
	case HP_DEFRAG_HELD:
	case HP_DEFRAG_DROPPED:
		break;
	}
}

/* Send what o holds so far (bridge: into the tx buffers, in order; tap: free it). Before a
 * fragment: reassembly may send fragments or a whole re-fragmented datagram at once, and they
 * must not overtake what arrived before them. */
static __rte_always_inline void
out_drain(struct hp_worker *w, struct burst_out *o, uint16_t out, const bool is_bridge,
	  const bool from_ring)
{
	for (uint16_t i = 0; i < o->n; i++) {
		struct rte_mbuf *m = o->m[i];

		if (m == NULL)
			continue;
		if (is_bridge && from_ring)
			pass_on(w, m, true);
		else if (is_bridge && out != HP_NO_PORT)
			hp_tx(w, out, m);
		else
			rte_pktmbuf_free(m);
	}
	o->n = 0;
}

/* Run the inspection hook over the batched items and apply their verdicts to their slots in
 * o (NULL: dropped or taken). */
static inline void
batch_run(struct hp_worker *w, struct hp_inspect_item *items, const uint16_t *item_slot,
	  uint16_t n_items, struct burst_out *o, uint16_t *n_dropped)
{
	uint8_t verdicts[HP_MAX_BURST];

	hp_inspect_burst(w, items, n_items, verdicts);
	for (uint16_t i = 0; i < n_items; i++)
		if (unlikely(verdicts[i] != HP_VERDICT_FORWARD)) {
			if (verdicts[i] == HP_VERDICT_DROP)
				rte_pktmbuf_free(items[i].m);
			o->m[item_slot[i]] = NULL;
			(*n_dropped)++;
		}
}

/*
 * One burst. from_ring: the packets were handed over by another worker (already counted at
 * rx, already owned by this worker). Fast path for the common case (single-segment, decodes,
 * not a fragment): batch into items[] and run the inspection hook once for the burst. A frame
 * that must be inspected on its own (a chained mbuf, whose bytes sit in the worker's scratch;
 * a fragment, which may complete a datagram) first runs the batch gathered before it, so
 * that every flow sees its packets in arrival order whatever their size. Then transmit what
 * goes on, in arrival order.
 */
/* dataplane.clock capture: the burst's time (hookpath -r reads one packet per burst, so each
 * packet is judged at its own time) as a TSC, and what timed out by then ended first, as it
 * would have live: a flow idle past its timeout in the capture is gone when its next packet
 * comes, however fast the capture is read. */
static uint64_t
capture_age(struct hp_worker *w, const struct rte_mbuf *m, uint64_t now)
{
	uint64_t t = hp_capture_tsc(w, m, now);

	if (t != w->age_tsc) {
		w->age_tsc = t;
		if (w->defrag)
			hp_defrag_expire(w, t);
		hp_flow_expire(w, t, UINT32_MAX);
	}
	return t;
}

static __rte_always_inline void
process_burst_inner(struct hp_worker *w, struct rte_mbuf **pkts, uint16_t n, const bool is_bridge,
		    const bool from_ring, const bool dispatch)
{
	struct hp_inspect_item items[HP_MAX_BURST];
	uint16_t item_slot[HP_MAX_BURST];
	struct burst_out o;
	struct handoff ho;
	uint64_t *c = w->ctr.c;
	uint64_t now = rte_rdtsc();
	uint16_t n_items = 0;
	uint64_t rx_bytes = 0;
	uint16_t n_dropped = 0; /* slots set to NULL by a verdict */
	/* an rx burst comes from one port: its exit is known before any packet is freed */
	uint16_t out = from_ring ? HP_NO_PORT : w->out_port[pkts[0]->port];

	o.n = 0;
	ho.n = 0;
	w->burst_tsc = now;
	w->age_tsc = likely(hp_dp.ts_flag == 0) ? now : capture_age(w, pkts[0], now);
	if (!from_ring)
		c[HP_CTR_RX_PACKETS] += n;
	for (uint16_t i = 0; i < n && i < HP_PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct hp_inspect_item *it = &items[n_items];
		const uint8_t *data;
		uint32_t len;
		enum hp_decode_err err;

		if (i + HP_PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + HP_PREFETCH_AHEAD], void *));
		if (!from_ring) {
			rx_bytes += m->pkt_len;
		} else {
			c[HP_CTR_DISPATCH_IN]++;
			if (unlikely(m->ol_flags & hp_mbuf_reassembled)) {
				/* reassembled by another worker, which counted it */
				if (n_items != 0) {
					batch_run(w, items, item_slot, n_items, &o, &n_dropped);
					n_items = 0;
				}
				data = frame_data(w, m, &len);
				if (hp_decode(data, len, w->decode_flags, &it->pkt) == HP_DEC_OK)
					inspect_reassembled(w, m, data, &it->pkt, is_bridge);
				else
					rte_pktmbuf_free(m);
				continue;
			}
		}

		data = frame_data(w, m, &len);
		err = hp_decode(data, len, decode_flags(w, m), &it->pkt);
		if (unlikely(err != HP_DEC_OK)) {
			if (!from_ring) {
				c[HP_CTR_DECODE_ERRORS]++;
				c[HP_CTR_DECODE_ERR_BASE + err]++;
			}
			if (is_bridge && w->on_malformed == HP_MALFORMED_FORWARD) {
				c[HP_CTR_MALFORMED_FORWARDED]++;
				out_add(&o, m);
			} else {
				c[HP_CTR_MALFORMED_DROPPED]++;
				rte_pktmbuf_free(m);
			}
			continue;
		}
		if (!from_ring)
			count_l3l4(c, &it->pkt);
		if (it->pkt.l3 != HP_L3_IPV4 && it->pkt.l3 != HP_L3_IPV6) {
			out_add(&o, m); /* ARP, LLDP, ...: carried, not inspected */
			continue;
		}
		if (unguarded_tcp(&it->pkt)) {
			if (!from_ring)
				c[HP_CTR_TCP_UNGUARDED]++;
			out_add(&o, m); /* not ours: forwarded untouched, never parsed */
			continue;
		}
		/* a fragment is reassembled here, by the worker that received it, and its
		 * datagram handed to the flow's owner on the same ring as the flow's other
		 * packets, in arrival order (reassembly on a worker chosen by the addresses
		 * sent it on a detour: the owner could see the server's ACK of the data before
		 * the data, a gap) */
		if (dispatch && !from_ring && !(it->pkt.flags & HP_PKT_FRAG)) {
			uint16_t owner = flow_owner(w, data, &it->pkt);

			if (owner != w->id) {
				ho.owner[ho.n] = owner;
				ho.m[ho.n++] = m;
				continue;
			}
		}
		if (unlikely((it->pkt.flags & HP_PKT_FRAG) || m->nb_segs > 1)) {
			/* inspected on its own: what came before it first */
			struct hp_pkt pkt = it->pkt;

			if (n_items != 0) {
				batch_run(w, items, item_slot, n_items, &o, &n_dropped);
				n_items = 0;
			}
			if (pkt.flags & HP_PKT_FRAG) {
				/* a datagram it completes may go to its owner at once: what was
				 * handed over before it goes first */
				if (dispatch && !from_ring && ho.n != 0)
					handoff_flush(w, &ho);
				if (o.n != 0) {
					out_drain(w, &o, out, is_bridge, from_ring);
					n_dropped++; /* o no longer holds the whole burst */
				}
				fragment(w, &o, m, &pkt, w->age_tsc, is_bridge, dispatch);
			} else { /* chained: data lives in scratch */
				enum hp_verdict v = inspect_one(w, m, data, &pkt);

				if (v == HP_VERDICT_FORWARD)
					out_add(&o, m);
				else if (v == HP_VERDICT_DROP)
					rte_pktmbuf_free(m);
			}
			continue;
		}
		it->m = m;
		it->data = data;
		item_slot[n_items++] = out_add(&o, m);
	}

	c[HP_CTR_RX_BYTES] += rx_bytes;
	/* the owners get their packets before this worker inspects its own */
	if (dispatch && !from_ring && ho.n != 0)
		handoff_flush(w, &ho);
	if (n_items != 0)
		batch_run(w, items, item_slot, n_items, &o, &n_dropped);
	if (!is_bridge) {
		rte_pktmbuf_free_bulk(o.m, o.n); /* NULL slots are skipped */
		return;
	}
	if (!from_ring) {
		/* everything of an rx burst came in on one port and goes out of its pair */
		uint16_t k = 0;

		if (unlikely(out == HP_NO_PORT)) {
			rte_pktmbuf_free_bulk(o.m, o.n);
			return;
		}
		if (likely(o.n == n && n_dropped == 0)) { /* all of them go on, in order */
			tx_many(w, out, o.m, o.n, rx_bytes);
			return;
		}
		rx_bytes = 0;
		for (uint16_t i = 0; i < o.n; i++) /* drop the NULL slots, keep the order */
			if (likely(o.m[i] != NULL)) {
				rx_bytes += o.m[i]->pkt_len;
				o.m[k++] = o.m[i];
			}
		if (k != 0)
			tx_many(w, out, o.m, k, rx_bytes);
		return;
	}
	for (uint16_t i = 0; i < o.n; i++)
		if (likely(o.m[i] != NULL))
			pass_on(w, o.m[i], is_bridge);
}

/* Packets written by a reject (dp_reply.c) go out after the burst's forwarded ones. Tap ports
 * are not flushed by the drain timer, so they are flushed here. */
static void
reply_flush(struct hp_worker *w, const bool is_bridge)
{
	for (uint16_t i = 0; i < w->n_reply; i++) {
		struct rte_mbuf *m = w->reply[i];

		hp_tx(w, m->port, m);
		if (!is_bridge)
			hp_tx_flush(w, m->port);
	}
	w->n_reply = 0;
}

static __rte_always_inline void
process_burst(struct hp_worker *w, struct rte_mbuf **pkts, uint16_t n, const bool is_bridge,
	      const bool from_ring, const bool dispatch)
{
	process_burst_inner(w, pkts, n, is_bridge, from_ring, dispatch);
	if (unlikely(w->n_reply != 0))
		reply_flush(w, is_bridge);
}

/* The pass's cycles and packets into the poll loop counters (dp_stats.h), without a branch:
 * the pair busy/idle is indexed by the pass's idleness. Four adds per pass, none per packet;
 * the TSC is the one the loop reads anyway for its drain timer. */
static __rte_always_inline void
loop_account(struct hp_counters *c, uint64_t cycles, unsigned int got)
{
	unsigned int idle = got == 0;

	c->loop[HP_LOOP_BUSY_CYCLES + idle] += cycles;
	c->loop[HP_LOOP_BUSY_POLLS + idle]++;
	c->loop[HP_LOOP_POLL_PACKETS] += got;
}

/* ---- warm-up at start (dataplane.warmup_requests, dp_warmup.c) ----
 * The control thread's synthetic connections, fed to this worker's own loop in place of its
 * first rx bursts (the same inlined code as real traffic), before it polls any port; every
 * flow is handled here, none dispatched. What could leave the worker checks w->warming at the
 * one place it leaves: hp_tx_flush frees instead of sending, hps_event_emit drops the filled
 * event, hps_capture takes nothing, hps_await_ask asks nobody (as with a full ring), the ML
 * stage computes the features on a copy of its rate state and sends no record, the dedup
 * stage makes its key and enters nothing. The rings' pointers stay as they are: the control
 * thread reads them.
 * At the end every flow and session is released and every counter the worker keeps is put
 * back: the warm-up leaves the caches warm and nothing else. */
struct warm_saved {
	struct hp_counters ctr;
	struct hp_stream_counters stream_ctr;
	struct rte_mempool *pool; /* the worker's own, while it allocates from the warm-up's */
	uint32_t next;            /* the next frame */
	uint32_t n_eps;
	uint64_t t0;
	uint64_t (*ep_ctr)[HP_EP_CTR__MAX];
};

static struct warm_saved *warm_sv[HP_MAX_WORKERS];

static void
warmup_begin(struct hp_worker *w)
{
	struct warm_saved *sv;

	if (hp_dp.warm.n == 0 || hp_dp.warm.pool == NULL)
		return;
	sv = rte_zmalloc("hp_warm_saved", sizeof(*sv), RTE_CACHE_LINE_SIZE);
	if (sv != NULL && w->routes != NULL && w->routes->n != 0 && w->ep_ctr != NULL) {
		sv->n_eps = w->routes->n;
		sv->ep_ctr = rte_malloc("hp_warm_ep_ctr", sv->n_eps * sizeof(*sv->ep_ctr), 0);
		if (sv->ep_ctr == NULL) {
			rte_free(sv);
			sv = NULL;
		}
	}
	if (sv == NULL) {
		HP_LOG(WARNING, "worker %u: no memory for the warm-up, skipped\n", w->id);
		__atomic_fetch_sub(&hp_dp.warm.left, 1, __ATOMIC_RELEASE);
		return;
	}
	sv->t0 = rte_rdtsc();
	sv->ctr = w->ctr;
	sv->stream_ctr = w->stream_ctr;
	if (sv->ep_ctr != NULL)
		memcpy(sv->ep_ctr, w->ep_ctr, sv->n_eps * sizeof(*sv->ep_ctr));
	sv->pool = w->pool;
	w->pool = hp_dp.warm.pool;
	warm_sv[w->id] = sv;
	w->warming = true;
}

static void
warmup_end(struct hp_worker *w)
{
	struct warm_saved *sv = warm_sv[w->id];

	if (hp_flow_remove_all(w) != 0)
		hp_flow_release_all(w); /* no memory for the list: ended, left to expire */
	for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++)
		if (w->txb[p].len != 0)
			hp_tx_flush(w, p); /* frees: w->warming */
	/* nothing waits: nobody was asked and the ML stage does not wait */
	HP_ASSERT(w->await == NULL || w->await_head == w->await_tail);
	w->warm_accepted =
		(uint32_t)(w->ctr.c[HP_CTR_VERDICT_ACCEPT] - sv->ctr.c[HP_CTR_VERDICT_ACCEPT]);
	w->warming = false;
	w->longest_pass_tsc = 0; /* traffic's passes, not the warm-up's */
	w->pool = sv->pool;
	w->ctr = sv->ctr;
	w->stream_ctr = sv->stream_ctr;
	if (sv->ep_ctr != NULL)
		memcpy(w->ep_ctr, sv->ep_ctr, sv->n_eps * sizeof(*sv->ep_ctr));
	/* logged by the control thread (hp_dp_tick): a write here would be a system call
	 * just before the first real burst */
	w->warm_packets = sv->next;
	__atomic_store_n(&w->warm_tsc, rte_rdtsc() - sv->t0, __ATOMIC_RELEASE);
	warm_sv[w->id] = NULL;
	rte_free(sv->ep_ctr);
	rte_free(sv);
	/* every worker starts polling once none is warming: a flow handed over to a worker
	 * still warming would wait in its ring, which could fill */
	__atomic_fetch_sub(&hp_dp.warm.left, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&hp_dp.warm.left, __ATOMIC_ACQUIRE) != 0 && !hp_dp.stop) {
		rte_rcu_qsbr_quiescent(hp_dp.qsv, w->id);
		rte_pause();
	}
}

/* The next burst of warm-up frames into pkts, as if received on port; 0 when they are all
 * done (the warm-up then ends: the loop polls the ports from its next pass). */
static uint16_t
warmup_rx(struct hp_worker *w, uint16_t port, struct rte_mbuf **pkts)
{
	const struct hp_warm_frames *wf = &hp_dp.warm;
	struct warm_saved *sv = warm_sv[w->id];
	uint16_t n = (uint16_t)RTE_MIN((uint32_t)w->burst, wf->n - sv->next);

	/* a pool too small for it cuts the warm-up short, nothing else */
	if (n == 0 || rte_pktmbuf_alloc_bulk(w->pool, pkts, n) != 0) {
		warmup_end(w);
		return 0;
	}
	for (uint16_t k = 0; k < n; k++) {
		struct rte_mbuf *m = pkts[k];
		uint32_t i = sv->next++;

		memcpy(rte_pktmbuf_mtod(m, void *), wf->buf + wf->off[i], wf->len[i]);
		m->data_len = wf->len[i];
		m->pkt_len = wf->len[i];
		m->port = port;
	}
	return n;
}

static __rte_always_inline void
worker_loop(struct hp_worker *w, const bool is_bridge, const bool dispatch)
{
	struct rte_mbuf *pkts[HP_MAX_BURST];
	uint64_t prev_drain = rte_rdtsc();
	uint64_t prev_pass = prev_drain;

	while (likely(!hp_dp.stop)) {
		uint64_t now;
		unsigned int got = 0; /* packets this pass took: 0 makes it an idle pass */

		if (unlikely(w->warming)) {
			uint16_t n = warmup_rx(w, w->n_rxq != 0 ? w->rxq[0].port : 0, pkts);

			if (n != 0) /* every flow here: none handed over */
				process_burst(w, pkts, n, is_bridge, false, false);
			got = n;
		}
		for (uint16_t q = 0; q < w->n_rxq && likely(!w->warming); q++) {
			uint16_t n =
				rte_eth_rx_burst(w->rxq[q].port, w->rxq[q].queue, pkts, w->burst);

			if (n == 0)
				continue;
			got += n;
			w->last_rx_tsc = rte_rdtsc();
			w->rx_seen = true;
			process_burst(w, pkts, n, is_bridge, false, dispatch);
		}
		/* while warming, what other workers hand over waits in the rings: it is real
		 * traffic */
		if (dispatch && likely(!w->warming)) {
			for (uint16_t j = 0; j < w->n_workers; j++) {
				unsigned int n;

				if (j == w->id)
					continue;
				n = rte_ring_sc_dequeue_burst(w->ring_from[j], (void **)pkts,
							      w->burst, NULL);
				got += n;
				if (n != 0)
					process_burst(w, pkts, n, is_bridge, true, dispatch);
			}
		}
		if (w->await != NULL) {
			uint64_t t = rte_rdtsc();

			while (hp_session_global_poll(w, t) != 0)
				if (unlikely(w->n_reply != 0))
					reply_flush(w, is_bridge);
		}
		/* score and flag records go in runs of HP_ML_STAGE / 2 while packets come, at most
		 * ml.worker_gather_us after the first: each send takes the ring's lines from the
		 * hp-ml thread's core, and a send per pass made score / off 0.95-0.97x instead
		 * of 0.97-0.99x (docs/PERFORMANCE.md). Enforce records (a request waits), and all
		 * when a pass got nothing, at once. */
		now = rte_rdtsc();
		if (w->ml_n != 0 && (w->ml_n >= HP_ML_STAGE / 2 || w->ml_enf || got == 0 ||
				     now - w->ml_t0 >= w->ml_gather_tsc))
			hp_ml_flush(w);
		rte_rcu_qsbr_quiescent(hp_dp.qsv, w->id);
		hp_worker_follow_eps(w);

		if (got == 0)
			w->idle_pass_tsc = now;
		if (unlikely(now - prev_pass > w->longest_pass_tsc))
			w->longest_pass_tsc = now - prev_pass;
		loop_account(&w->ctr, now - prev_pass, got);
		prev_pass = now;
		if (unlikely(now - prev_drain >= w->tx_drain_tsc)) {
			prev_drain = now;
			if (is_bridge)
				tx_flush_all(w);
			/* with dataplane.clock capture, timers run on the capture's time only */
			uint64_t age = likely(hp_dp.ts_flag == 0) ? now : w->age_tsc;

			if (w->defrag)
				hp_defrag_expire(w, age);
			hp_flow_expire(w, age, HP_FLOW_EXPIRE_BUDGET);
		}
	}
}

/* Thin wrappers: the four specialisations of the loop. */
static void
loop_bridge(struct hp_worker *w)
{
	worker_loop(w, true, false);
}

static void
loop_bridge_dispatch(struct hp_worker *w)
{
	worker_loop(w, true, true);
}

static void
loop_tap(struct hp_worker *w)
{
	worker_loop(w, false, false);
}

static void
loop_tap_dispatch(struct hp_worker *w)
{
	worker_loop(w, false, true);
}

int
hp_worker_main(void *arg)
{
	struct hp_worker *w = arg;

	/* RCU: the worker reports a quiescent state once per loop (shared state it reads, e.g.
	 * replay cache slots, is reclaimed only after every online worker did) */
	rte_rcu_qsbr_thread_register(hp_dp.qsv, w->id);
	rte_rcu_qsbr_thread_online(hp_dp.qsv, w->id);
	w->running = true;
	warmup_begin(w);
	if (w->is_bridge)
		w->dispatch ? loop_bridge_dispatch(w) : loop_bridge(w);
	else
		w->dispatch ? loop_tap_dispatch(w) : loop_tap(w);
	if (w->warming) /* stopped during the warm-up */
		warmup_end(w);
	hp_worker_drain(w);
	rte_rcu_qsbr_thread_offline(hp_dp.qsv, w->id);
	rte_rcu_qsbr_thread_unregister(hp_dp.qsv, w->id);
	w->running = false;
	return 0;
}

void
hp_worker_drain(struct hp_worker *w)
{
	/* requests waiting for the resolver (still running) get their answer or their timeout
	 * before the flows are released: a stop is not a verdict */
	while (w->await != NULL && w->await_head != w->await_tail) {
		if (hp_session_global_poll(w, rte_rdtsc()) == 0)
			rte_pause();
		if (w->n_reply != 0)
			reply_flush(w, w->is_bridge);
		if (w->ml_n != 0)
			hp_ml_flush(w);
	}
	if (w->ml_n != 0)
		hp_ml_flush(w);
	hp_flow_release_all(w);
	if (w->is_bridge)
		tx_flush_all(w);
	hp_defrag_flush(w);
}
