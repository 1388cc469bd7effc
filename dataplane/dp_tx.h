/* SPDX-License-Identifier: BSD-3-Clause
 * Buffered transmission of a worker (struct hp_txbuf per port, dp_types.h): whoever sends
 * (the worker loop, held segments, the IP reassembler, crafted replies) queues here; a buffer
 * goes out when it holds `burst` packets and on the worker's drain timer. Inline: no call into
 * the worker loop.
 */
#ifndef HP_DP_TX_H
#define HP_DP_TX_H

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dp_types.h"

/* Send what waits for port: a full queue gets 2 more chances, then the rest is dropped
 * (tx_drop_full). */
static inline void
hp_tx_flush(struct hp_worker *w, uint16_t port)
{
	struct hp_txbuf *b = &w->txb[port];
	uint16_t n = b->len, sent = 0;
	uint64_t bytes = b->bytes;

	if (n == 0)
		return;
	if (unlikely(w->warming)) { /* the warm-up at start: never sent (dp_worker.c) */
		rte_pktmbuf_free_bulk(b->pkts, n);
		b->len = 0;
		b->bytes = 0;
		return;
	}
	for (unsigned int tries = 0; tries < 3 && sent < n; tries++)
		sent += rte_eth_tx_burst(port, w->id, b->pkts + sent, n - sent);
	if (unlikely(sent < n)) {
		for (uint16_t i = sent; i < n; i++)
			bytes -= b->pkts[i]->pkt_len;
		rte_pktmbuf_free_bulk(b->pkts + sent, n - sent);
		w->ctr.c[HP_CTR_TX_DROP_FULL] += n - sent;
	}
	w->ctr.c[HP_CTR_TX_PACKETS] += sent;
	w->ctr.c[HP_CTR_TX_BYTES] += bytes;
	b->len = 0;
	b->bytes = 0;
}

/* Queue m for transmission on port, after what is already queued there. */
static inline void
hp_tx(struct hp_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct hp_txbuf *b = &w->txb[port];

	b->pkts[b->len++] = m;
	b->bytes += m->pkt_len;
	if (b->len >= w->burst)
		hp_tx_flush(w, port);
}

#endif /* HP_DP_TX_H */
