/* SPDX-License-Identifier: BSD-3-Clause
 * Worker loop internals shared with the runtime setup.
 */
#ifndef HP_DP_WORKER_H
#define HP_DP_WORKER_H

#include <stdint.h>

/* Dynamic mbuf flag (registered at init): a datagram reassembled from IP fragments; it goes
 * out through hp_defrag_forward (re-fragmented like the sender's), never as it is. */
extern uint64_t hp_mbuf_reassembled;

struct hp_worker;
struct rte_mbuf;

/* Queue m for transmission on port (buffered with the burst's packets, which it precedes). */
void hp_worker_tx(struct hp_worker *w, uint16_t port, struct rte_mbuf *m);

/* Prepare the symmetric Toeplitz key used to find a flow's owner (once, at init). */
void hp_worker_init_owner_key(void);

#endif /* HP_DP_WORKER_H */
