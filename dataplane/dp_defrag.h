/* SPDX-License-Identifier: BSD-3-Clause
 * IPv4/IPv6 reassembly for inspection: one rte_ip_frag table per worker, never shared.
 *
 * The table holds at most defrag.max_flows datagrams of at most RTE_LIBRTE_IP_FRAG_MAX_FRAG (8)
 * fragments each; an incomplete datagram is dropped after defrag.timeout_ms (swept on the
 * worker's TSC timer, bounded work per sweep). A fragment the table cannot take (full, overlap,
 * duplicate, too many fragments) goes to the death row, which the worker frees every loop;
 * every mbuf freed that way is counted. Bridge mode reassembles a copy: the originals are
 * forwarded unchanged.
 */
#ifndef HP_DP_DEFRAG_H
#define HP_DP_DEFRAG_H

#include <rte_mbuf.h>

#include "dp_decode.h"
#include "hp_config.h"

struct hp_worker;

int hp_defrag_create(struct hp_worker *w, const struct hp_defrag_config *cfg);
void hp_defrag_destroy(struct hp_worker *w);

/* Take one fragment (m is owned by the table from now on; an exact duplicate of a fragment
 * already taken is freed and counted as defrag_duplicate). Returns the reassembled datagram
 * (a possibly chained mbuf starting at the L2 header) or NULL. */
struct rte_mbuf *hp_defrag_packet(struct hp_worker *w, struct rte_mbuf *m,
				  const struct hp_pkt *pkt, uint64_t now);

/* Drop datagrams older than the timeout (bounded: at most one death row per call). */
void hp_defrag_expire(struct hp_worker *w, uint64_t now);

/* Free the death row; called once per loop pass. */
void hp_defrag_free_death_row(struct hp_worker *w);

/* At exit: drop everything still waiting, counted as defrag_incomplete_at_exit. */
void hp_defrag_flush(struct hp_worker *w);

#endif /* HP_DP_DEFRAG_H */
