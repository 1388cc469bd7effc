/* SPDX-License-Identifier: BSD-3-Clause
 * The dataplane as the control thread sees it: lifecycle, live configuration, and read
 * accessors for what it reports (counters, ports, rings, the shared caches). The workers'
 * own types are in dp_types.h, for dataplane files only.
 *
 * Lifecycle (control thread):
 *   hp_dp_init(cfg)      after rte_eal_init(): validate cfg against the system (ports exist,
 *                        enough lcores), create pools, configure and start ports, build workers
 *   hp_dp_launch()       start one worker loop per worker lcore
 *   hp_dp_request_stop() workers leave their loop at the next pass (signal-safe)
 *   hp_dp_wait()         join the workers (they drain their tx buffers before returning)
 *   hp_dp_fini()         stop and close ports, free everything
 */
#ifndef HP_DP_H
#define HP_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ethdev.h>

#include "dp_stats.h"
#include "hp_config.h"

struct hp_dedup;
struct hp_stream_counters;
struct rte_hash;
struct rte_ring;

#define HP_MAX_WORKERS 64

/* Per endpoint counters (stats JSON "endpoints"). */
enum hp_ep_ctr {
	HP_EP_CTR_REQUESTS = 0,
	HP_EP_CTR_ACCEPT,
	HP_EP_CTR_REJECT,
	HP_EP_CTR_DUPLICATE,
	HP_EP_CTR__MAX,
};

struct hp_port_info {
	bool used;
	bool has_rss;
	int socket;
	uint16_t n_rxq;
	uint16_t n_txq;
	char name[RTE_ETH_NAME_MAX_LEN];
};

/* Validate cfg against the running system; 0 or -EINVAL with a message in err. */
int hp_dp_validate(const struct hp_config *cfg, char *err, size_t errlen);
int hp_dp_init(const struct hp_config *cfg, char *err, size_t errlen);
int hp_dp_launch(void);
void hp_dp_request_stop(void);
void hp_dp_wait(void);
void hp_dp_fini(void);

/* Control thread, every loop: clock anchor, replay cache sweep (both on their own timers). */
void hp_dp_tick(void);

/* Replace the configuration's endpoints (control thread): cfg (malloc'd, owned by the
 * dataplane from now on, freed with its set) must differ from the running one only in its
 * endpoints and the keys hp_dp_limits_apply reads. Builds everything aside, publishes it,
 * waits until every worker switched. 0, or -errno with a message (nothing changed; cfg is
 * freed). */
int hp_dp_swap_config(struct hp_config *cfg, char *err, size_t errlen);
/* Checks of live limits that depend on the running dataplane: 0, or -EINVAL with the key in
 * field and a message. */
int hp_dp_check_limits(const struct hp_config *cfg, char *field, size_t flen, char *err,
		       size_t errlen);
/* Free replaced endpoint sets nobody uses any more (control thread tick). */
void hp_dp_reclaim(void);
/* Sets replaced but not freed yet. */
unsigned int hp_dp_retired_count(void);

/* ---- read accessors (control thread; dp_api.c) ---- */

/* The running configuration (NULL before hp_dp_init). */
const struct hp_config *hp_dp_config(void);
unsigned int hp_dp_n_workers(void);
/* Software flow dispatch between workers is on. */
bool hp_dp_dispatch(void);
/* A stop was requested (hp_dp_request_stop). */
bool hp_dp_stopping(void);
/* A port hookpath uses, NULL for any other. */
const struct hp_port_info *hp_dp_port(uint16_t port);
/* A worker's ring of events to the control thread (NULL: none, or no such worker). */
struct rte_ring *hp_dp_event_ring(unsigned int worker);
/* A worker's ring pair to and from the resolver (dp_resolver_msg.h): false when it has
 * none (replay_cache.global and tokens off) or there is no such worker. */
bool hp_dp_resolver_rings(unsigned int worker, struct rte_ring **to_resolver,
			  struct rte_ring **from_resolver);
/* A worker's ML rings (dp_resolver_msg.h): feature records from it, enforce answers to it. */
bool hp_dp_ml_rings(unsigned int worker, struct rte_ring **from_worker,
		    struct rte_ring **to_worker);
/* A worker's capture rings (dp_capture_msg.h): filled slots from it, empty ones back to it
 * (false: forensics.pcapng is off, or no such worker). */
bool hp_dp_capture_rings(unsigned int worker, struct rte_ring **full, struct rte_ring **free_slots);
/* One worker's counters added to out: -EINVAL when there is no such worker. */
int hp_dp_worker_counters_add(unsigned int worker, struct hp_counters *out);
/* Passes a worker's poll loop has made (busy and idle): it moves while the worker runs. */
uint64_t hp_dp_worker_passes(unsigned int worker);
/* The lcore a worker runs on. */
unsigned int hp_dp_worker_lcore(unsigned int worker);
/* The worker's warm-up at start (dataplane.warmup_requests): false while it runs or when there
 * was none; else its duration, frames and requests accepted (of hp_dp_warmup_requests()). */
bool hp_dp_worker_warmup(unsigned int worker, double *ms, uint32_t *packets, uint32_t *accepted);
/* The worker's longest poll loop pass since its warm-up, in ms (0: none yet). */
double hp_dp_worker_longest_pass_ms(unsigned int worker);
uint32_t hp_dp_warmup_requests(void);
/* TCP flows one worker tracks now (0: no such worker). */
uint32_t hp_dp_worker_flows(unsigned int worker);
/* The replay cache shared by the workers (lib/dedup), NULL: replay protection is off. */
struct hp_dedup *hp_dp_replay_cache(void);
/* The token L1 (NULL: no token store) and the wall-clock ms its expiries count from. */
struct rte_hash *hp_dp_token_l1(void);
uint64_t hp_dp_token_base_ms(void);
/* Wall-clock nanoseconds of a TSC value (the workers' clock, anchored every second). */
uint64_t hp_dp_wall_ns(uint64_t tsc);

/* Sum of one endpoint's counters over the workers: index in hp_dp_config(); includes what the
 * endpoint of that name counted under replaced configurations. */
void hp_dp_endpoint_counters(uint32_t index, uint64_t out[HP_EP_CTR__MAX]);
/* Sum of every worker's TCP reassembly counters. */
void hp_dp_stream_counters(struct hp_stream_counters *out);
/* TCP flows tracked by every worker now. */
uint64_t hp_dp_flows_active(void);
/* Sum of every worker's counters. */
void hp_dp_counters(struct hp_counters *out);
/* True once some worker received traffic and every rx queue has been idle >= idle_ms. */
bool hp_dp_idle_for(uint64_t idle_ms);

#endif /* HP_DP_H */
