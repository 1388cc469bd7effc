/* SPDX-License-Identifier: BSD-3-Clause
 * IPv4/IPv6 reassembly that fails closed (docs/DEFRAG.md): one reassembler per worker, never
 * shared, no lock, no allocation per packet (everything is sized from dataplane.defrag.* in
 * hp_defrag_create), bounded work per call, every fragment that is not forwarded counted by
 * reason (the HP_CTR_DEFRAG_* counters of dp_stats.h are the contract).
 *
 * A datagram is keyed by (src, dst, identification, protocol) for IPv4 and (src, dst, fragment
 * id) for IPv6. Its fragment at offset 0 decides whether it is *guarded*: TCP to or from a
 * guarded port (hp_guard_tcp), or TCP with fewer than 4 bytes of its header in that fragment
 * (decided after reassembly). The fragments of a guarded datagram, and of one whose first
 * fragment has not been seen yet, are held (the original mbufs, nothing is copied) until the
 * datagram is complete; the completed datagram is copied into one mbuf chain from w->pool,
 * inspected by the caller and, in bridge mode, forwarded again in fragments no larger than the
 * sender's largest (hp_defrag_forward). So the server only ever receives bytes that were
 * inspected: the fragments themselves never go out. A datagram that is not guarded is passed
 * through at once: what was held is released in arrival order and later fragments are not held.
 *
 * A datagram that cannot be completed (overlap, disagreeing total length, too many fragments,
 * too big, evicted for room, timeout, no mbuf) is dropped with all its fragments, unless
 * defrag.on_fail is pass and the worker is a bridge: then its fragments are forwarded
 * uninspected (fail open, counted defrag_fail_passed) and so are its later fragments.
 *
 * Limits: max_flows datagrams in reassembly (a new one evicts the oldest incomplete one, FIFO
 * by creation), max_fragments per datagram, max_per_source incomplete datagrams per source
 * address (a new one is refused), max_held fragment mbufs (the oldest incomplete datagrams are
 * evicted to make room), timeout_ms from a datagram's first fragment (hp_defrag_expire).
 * Records of pass-through datagrams live in a table of their own, also max_flows, so a flood of
 * unguarded fragments never evicts a guarded datagram.
 *
 * Measured cost (gcc 12 -O2 -march=corei7, 2 vCPU AMD EPYC dev VM, hot caches, mbuf pool with
 * a per-lcore cache; dataplane/tests/test_defrag.c test_cost, median of 5 x 20000, 5 runs: 166-179
 * ns): a guarded 2-fragment IPv4 datagram (1500 + 548 bytes of IP) costs ~170 ns for both
 * hp_defrag_packet calls, the 2 KB copy into the reassembled mbuf and the freeing of the two
 * fragments included (~85 ns per fragment); hp_defrag_forward of it into 2 fragments ~72 ns.
 * Without a mempool cache the same took several times longer (every alloc/free on the ring).
 */
#ifndef HP_DP_DEFRAG_H
#define HP_DP_DEFRAG_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "dp_decode.h"
#include "hp_config.h"

struct hp_worker;

/* Allocate the reassembler of w on w->socket (control thread, before the worker runs; w->pool,
 * w->socket, w->id and w->is_bridge are set), everything sized from cfg: nothing is allocated
 * later. Registers the mbuf dynfields "hp_frag_size" (2 bytes: largest original fragment) and
 * "hp_frag_info" (12 bytes: what hp_defrag_forward needs). 0, or -ENOMEM / -EINVAL (rte_errno
 * set; nothing left allocated). */
int hp_defrag_create(struct hp_worker *w, const struct hp_defrag_config *cfg);
/* Free everything (held fragments are counted defrag_incomplete_at_exit). NULL-safe, idempotent. */
void hp_defrag_destroy(struct hp_worker *w);

enum hp_defrag_res {
	HP_DEFRAG_HELD = 0, /* m is kept: its datagram is not complete yet */
	HP_DEFRAG_DROPPED,  /* m was freed (counted by reason) */
	HP_DEFRAG_FORWARD,  /* m is not kept: its datagram is not guarded (or was given up with
			     * on_fail pass): the caller forwards it untouched (bridge) or frees it
			     * (tap) */
	HP_DEFRAG_COMPLETE, /* m completed its datagram: *out is the reassembled datagram, one mbuf
			     * (chain) the caller owns; every fragment of it was freed */
};

/*
 * Take one IP fragment m (pkt: its decode, HP_PKT_FRAG set, or an IPv6 atomic fragment, which is
 * a complete datagram by itself). m must hold the whole frame (chained or not); pkt's offsets
 * index it. now: TSC. Counts defrag_fragments. Fragments of unguarded datagrams are released by
 * hp_tx on w->out_port[f->port] (bridge) or freed (tap) before this returns.
 * On HP_DEFRAG_COMPLETE, *out starts at the L2 header of the offset-0 fragment, has the IP
 * header of an unfragmented datagram (IPv4: total length, flags/offset cleared, checksum
 * recomputed; IPv6: payload length, no fragment header, IPv6 extension headers before it kept),
 * out->port = the offset-0 fragment's port, no offload flags, and carries what
 * hp_defrag_forward needs in mbuf dynfields: keep its length and headers' lengths.
 */
enum hp_defrag_res hp_defrag_packet(struct hp_worker *w, struct rte_mbuf *m,
				    const struct hp_pkt *pkt, uint64_t now, struct rte_mbuf **out);

/* Drop (or, on_fail pass, release) datagrams incomplete for longer than timeout_ms; bounded work
 * per call. */
void hp_defrag_expire(struct hp_worker *w, uint64_t now);

/* At exit: free everything still held, counted as defrag_incomplete_at_exit (fragments). */
void hp_defrag_flush(struct hp_worker *w);

/* Bridge: the reassembled datagram r (from HP_DEFRAG_COMPLETE) was accepted: split it again into
 * fragments no larger than the largest original fragment of that datagram (and the port MTU,
 * hp_dp.cfg->dataplane.mtu), same IPv4 identification / IPv6 fragment id, same L2 header; hand
 * them to hp_tx(w, port, f) in offset order. r is consumed. Returns the number sent, 0 on
 * failure (counted defrag_nombuf, nothing sent). Also 0, r freed: port HP_NO_PORT (not
 * counted), or r's headers no longer fit what was recorded (defrag_unsupported). A datagram
 * that fits whole goes out as one (an IPv6 atomic fragment stays one). */
unsigned int hp_defrag_forward(struct hp_worker *w, struct rte_mbuf *r, uint16_t port);

/* Largest original fragment (IP length) of a datagram from HP_DEFRAG_COMPLETE (the
 * "hp_frag_size" dynfield; meaningless for any other mbuf). */
uint16_t hp_defrag_frag_size(const struct rte_mbuf *r);

#endif /* HP_DP_DEFRAG_H */
