/* SPDX-License-Identifier: BSD-3-Clause
 * The worker loop (dp_worker.c) as the runtime starts it, and what a worker does when the
 * endpoint set changes.
 */
#ifndef HP_DP_WORKER_H
#define HP_DP_WORKER_H

#include <stdint.h>

#include "dp_types.h"

/* Prepare the symmetric Toeplitz key used to find a flow's owner (once, at init). */
void hp_worker_init_owner_key(void);

/* Worker loop, run by rte_eal_remote_launch. */
int hp_worker_main(void *arg);
/* After the loop: flush tx, count and free fragments still waiting. */
void hp_worker_drain(struct hp_worker *w);

/* The reassembly limits that may change live, from the configuration. */
static inline void
hp_worker_stream_limits(struct hp_stream_config *sc, const struct hp_reassembly_config *rc)
{
	sc->memcap_bytes = (uint64_t)rc->memcap_mb << 20;
	sc->flow_memcap_bytes = rc->flow_memcap_kb << 10;
	sc->flow_max_segs = rc->flow_max_segs;
	sc->max_ooo_segs = rc->max_ooo_segs;
}

/* Worker: take the live limits of a new configuration (flow timeouts, reassembly limits,
 * pii.max_held_segments up to its startup value). */
void hp_worker_apply_limits(struct hp_worker *w, const struct hp_config *cfg);

/* Worker: follow a new endpoint set (after a quiescent state). */
static inline void
hp_worker_follow_eps(struct hp_worker *w)
{
	struct hp_ep_set *e = __atomic_load_n(&hp_dp.eps, __ATOMIC_ACQUIRE);

	if (e != w->eps) {
		if (w->eps != NULL && w->eps->cfg != e->cfg)
			hp_worker_apply_limits(w, e->cfg);
		w->eps = e;
		w->routes = e->routes;
		w->ep_ctr = e->w[w->id].ep_ctr;
	}
}

#endif /* HP_DP_WORKER_H */
