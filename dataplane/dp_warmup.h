/* SPDX-License-Identifier: BSD-3-Clause
 * The workers' warm-up frames (dataplane.warmup_requests): built once by the control thread at
 * start (dp_warmup.c), run by every worker through its own packet path before its first rx
 * burst, never sent (dp_worker.c).
 */
#ifndef HP_DP_WARMUP_H
#define HP_DP_WARMUP_H

#include <stddef.h>
#include <stdint.h>

struct hp_config;
struct hp_route_table;

struct rte_mempool;

struct hp_warm_frames {
	/* the warm-up's own mbufs (every allocation of a warming worker, replies included):
	 * what a warm-up frame leaves in a freed buffer never reaches a port's pool, whose
	 * buffers a PMD may hand back without writing them (net_null) */
	struct rte_mempool *pool;
	uint32_t n;          /* frames */
	uint32_t n_requests; /* connections, one request each */
	/* workers still warming: each starts polling its ports when none is (a worker that
	 * polled early would hand flows over to one not yet reading its rings) */
	uint32_t left;
	uint8_t *buf;
	uint32_t *off; /* frame i: buf + off[i], len[i] bytes */
	uint16_t *len;
};

/* Build cfg->dataplane.warmup_requests connections over the endpoints of rt (0 requests:
 * none, out zeroed). 0, or -1 with a message naming the key. Control thread. */
int hp_warmup_build(const struct hp_config *cfg, const struct hp_route_table *rt,
		    unsigned int n_workers, struct hp_warm_frames *out, char *err, size_t errlen);
/* The frames alone (wiped: they are validly signed), once every worker is done with them. */
void hp_warmup_free_frames(struct hp_warm_frames *f);
void hp_warmup_free(struct hp_warm_frames *f);

#endif /* HP_DP_WARMUP_H */
