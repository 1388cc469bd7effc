/* SPDX-License-Identifier: BSD-3-Clause
 * Read accessors for the control thread (dp.h): what it reports and serves comes from here,
 * not from the dataplane's structures.
 */
#include <errno.h>

#include "dp.h"
#include "dp_flow.h"
#include "dp_types.h"

static const struct hp_worker *
worker(unsigned int i)
{
	return i < hp_dp.n_workers ? hp_dp.workers[i] : NULL;
}

const struct hp_config *
hp_dp_config(void)
{
	return hp_dp.cfg;
}

unsigned int
hp_dp_n_workers(void)
{
	return hp_dp.n_workers;
}

bool
hp_dp_dispatch(void)
{
	return hp_dp.dispatch;
}

bool
hp_dp_stopping(void)
{
	return hp_dp.stop;
}

const struct hp_port_info *
hp_dp_port(uint16_t port)
{
	return port < RTE_MAX_ETHPORTS && hp_dp.ports[port].used ? &hp_dp.ports[port] : NULL;
}

struct rte_ring *
hp_dp_event_ring(unsigned int i)
{
	const struct hp_worker *w = worker(i);

	return w != NULL ? w->ev_ring : NULL;
}

bool
hp_dp_resolver_rings(unsigned int i, struct rte_ring **to_resolver, struct rte_ring **from_resolver)
{
	const struct hp_worker *w = worker(i);

	if (w == NULL || w->gq == NULL)
		return false;
	*to_resolver = w->gq;
	*from_resolver = w->ga;
	return true;
}

bool
hp_dp_capture_rings(unsigned int i, struct rte_ring **full, struct rte_ring **free_slots)
{
	const struct hp_worker *w = worker(i);

	if (w == NULL || w->cap_full == NULL)
		return false;
	*full = w->cap_full;
	*free_slots = w->cap_free;
	return true;
}

bool
hp_dp_ml_rings(unsigned int i, struct rte_ring **from_worker, struct rte_ring **to_worker)
{
	const struct hp_worker *w = worker(i);

	if (w == NULL || w->ml_q == NULL)
		return false;
	*from_worker = w->ml_q;
	*to_worker = w->ml_a;
	return true;
}

int
hp_dp_worker_counters_add(unsigned int i, struct hp_counters *out)
{
	const struct hp_worker *w = worker(i);

	if (w == NULL)
		return -EINVAL;
	hp_counters_add(out, &w->ctr);
	return 0;
}

uint64_t
hp_dp_worker_passes(unsigned int i)
{
	const struct hp_worker *w = worker(i);

	if (w == NULL)
		return 0;
	/* the worker's own plain adds; an aligned 64-bit load is never torn */
	return __atomic_load_n(&w->ctr.loop[HP_LOOP_BUSY_POLLS], __ATOMIC_RELAXED) +
	       __atomic_load_n(&w->ctr.loop[HP_LOOP_IDLE_POLLS], __ATOMIC_RELAXED);
}

unsigned int
hp_dp_worker_lcore(unsigned int i)
{
	const struct hp_worker *w = worker(i);

	return w != NULL ? w->lcore_id : 0;
}

bool
hp_dp_worker_warmup(unsigned int i, double *ms, uint32_t *packets, uint32_t *accepted)
{
	const struct hp_worker *w = worker(i);
	uint64_t t = w != NULL ? __atomic_load_n(&w->warm_tsc, __ATOMIC_ACQUIRE) : 0;

	if (t == 0)
		return false;
	*ms = (double)t * 1e3 / (double)rte_get_tsc_hz();
	*packets = w->warm_packets;
	*accepted = w->warm_accepted;
	return true;
}

double
hp_dp_worker_longest_pass_ms(unsigned int i)
{
	const struct hp_worker *w = worker(i);

	return w != NULL ? (double)w->longest_pass_tsc * 1e3 / (double)rte_get_tsc_hz() : 0;
}

uint32_t
hp_dp_warmup_requests(void)
{
	return hp_dp.warm.n_requests;
}

uint32_t
hp_dp_worker_flows(unsigned int i)
{
	const struct hp_worker *w = worker(i);

	return w != NULL ? hp_flow_count(w) : 0;
}

struct hp_dedup *
hp_dp_replay_cache(void)
{
	return hp_dp.dedup;
}

struct rte_hash *
hp_dp_token_l1(void)
{
	return hp_dp.tokens;
}

uint64_t
hp_dp_token_base_ms(void)
{
	return hp_dp.token_base_ms;
}

uint64_t
hp_dp_wall_ns(uint64_t tsc)
{
	return hp_dp_now_ns(tsc);
}
