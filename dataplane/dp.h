/* SPDX-License-Identifier: BSD-3-Clause
 * The dataplane: ports, mempools, workers. Set up and torn down by the control thread (main
 * lcore); the workers own everything they touch per packet.
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
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dp_decode.h"
#include "dp_guard.h"
#include "dp_reply.h"
#include "dp_route.h"
#include "dp_stats.h"
#include "hp_config.h"
#include "stream_reasm.h"

struct hp_verify_ctx;
struct hp_vheader;
struct hp_dedup;
struct hp_pii_scratch;
struct hp_ep_stages;
struct hp_session;

/* The shared replay check (replay_cache.global): a worker asks the control plane's resolver
 * thread over its own SP/SC ring pair and holds the request until the answer or a timeout. */
enum hp_gquery_kind {
	HP_GQ_REPLAY = 0,             /* SET NX EX of a replay key (key: 16 bytes) */
	HP_GQ_TOKEN,                  /* a token's endpoint, L2 then L3 (key: its SHA-256) */
};

struct hp_gquery {
	uint32_t slot, gen;           /* the worker's await entry */
	uint32_t kind;                /* enum hp_gquery_kind */
	uint32_t ttl_s;               /* replay */
	uint32_t tag;                 /* token: hp_token_tag of the endpoint asking */
	uint8_t key[32];
};

enum hp_ganswer_result {
	HP_GA_FIRST = 0, HP_GA_DUPLICATE, HP_GA_UNAVAILABLE, HP_GA_TOKEN_VALID, HP_GA_TOKEN_INVALID,
};

/* The token L1 (hp_dp.tokens): key = SHA-256 of the token, data = this packed value (the
 * resolver thread is its only writer; workers read it lock-free). */
/* expires: wall-clock ms since hp_dp.token_base_ms (40 bits: 34 years) */
static inline uint64_t
hp_token_l1_pack(bool valid, uint32_t tag, uint64_t expires_ms)
{
	return (valid ? 1ULL << 63 : 0) | ((uint64_t)(tag & HP_TOKEN_TAG_MASK) << 40) |
	       (expires_ms & ((1ULL << 40) - 1));
}

struct hp_ganswer {
	uint32_t slot, gen;
	uint32_t result;              /* enum hp_ganswer_result */
};

struct hp_await {
	struct hp_session *s;         /* NULL: answered or abandoned */
	uint32_t gen;
	uint64_t deadline_tsc;
};
struct hp_pii_result;
struct rte_rcu_qsbr;

#define HP_MAX_WORKERS 64
#define HP_MAX_BURST   512
#define HP_NO_PORT     UINT16_MAX
#define HP_RETA_SIZE   512 /* software owner table: hash -> worker */

/* Largest datagram the worker linearises for decode/inspection (IPv4/IPv6 max + L2). */
#define HP_SCRATCH_SIZE (65535 + 64)

/* Buffered tx toward one port: flushed when `burst` packets wait and on the drain timer. */
struct hp_txbuf {
	uint16_t len;
	uint64_t bytes; /* total pkt_len of pkts[0..len) */
	struct rte_mbuf *pkts[HP_MAX_BURST];
};

struct hp_rxq {
	uint16_t port;
	uint16_t queue;
};

/* Per endpoint counters (stats JSON "endpoints"). */
enum hp_ep_ctr {
	HP_EP_CTR_REQUESTS = 0,
	HP_EP_CTR_ACCEPT,
	HP_EP_CTR_REJECT,
	HP_EP_CTR_DUPLICATE,
	HP_EP_CTR__MAX,
};

struct hp_worker {
	/* hot, read-mostly */
	uint16_t id;
	uint16_t n_workers;
	uint16_t n_rxq;
	uint16_t burst;
	bool is_bridge;
	bool dispatch;            /* software flow dispatch between workers is on */
	bool defrag;
	unsigned int decode_flags;
	enum hp_malformed_action on_malformed;
	struct hp_rxq rxq[RTE_MAX_ETHPORTS];
	uint16_t out_port[RTE_MAX_ETHPORTS]; /* bridge: paired port, HP_NO_PORT if none */
	uint16_t n_out;
	uint16_t out_ports[RTE_MAX_ETHPORTS]; /* ports this worker transmits on */
	struct rte_ring *ring_to[HP_MAX_WORKERS];   /* SPSC: this worker -> worker i */
	struct rte_ring *ring_from[HP_MAX_WORKERS]; /* SPSC: worker i -> this worker */
	const uint16_t *reta;     /* owner table, HP_RETA_SIZE entries */
	struct rte_mempool *pool; /* this worker's socket pool (fragment copies) */
	struct hp_defrag *defrag_st;      /* IP reassembly (dp_defrag.c) */
	struct hp_flow_table *flows;      /* TCP flows (dp_flow.c) */
	struct rte_ring *ev_ring;         /* SPSC events to the control thread, or NULL */
	bool body_hash;                   /* events.body_hash */
	bool http_reject;                 /* http.on_error: reject, in bridge mode */
	bool sessions_full_drop;          /* http.on_sessions_full: drop, in bridge mode */
	struct rte_mempool *sessions;     /* HTTP sessions (dp_session.c) */
	struct evp_md_st *sha256;         /* OpenSSL SHA-256, fetched once */
	struct hp_stream_env stream_env;  /* TCP reassembly (lib/stream), per worker */
	struct hp_stream_config stream_cfg;
	struct hp_stream_pool stream_pool;
	struct hp_stream_usage stream_usage;
	struct hp_stream_counters stream_ctr;
	struct hp_stream_seg *stream_nodes;
	uint64_t tx_drain_tsc;
	uint64_t burst_tsc;       /* rx TSC of the burst being processed (event latency) */
	/* verification (dp_session.c): read-only route table, per-worker verify contexts */
	struct hp_ep_set *eps;            /* followed after each quiescent state */
	const struct hp_route_table *routes;
	struct hp_vheader *vheaders;      /* http.max_headers views for lib/verify */
	struct evp_md_ctx_st *key_sha;    /* dedup keys and body hashes */
	uint64_t (*ep_ctr)[HP_EP_CTR__MAX]; /* per endpoint counters */
	struct hp_pii_result *pii_res;    /* the last scan (one request at a time) */
	/* shared replay check (replay_cache.global), NULL rings: off */
	struct rte_ring *gq;              /* to the resolver */
	struct rte_ring *ga;              /* from the resolver */
	struct hp_await *await;           /* FIFO of waiting requests, deadline order */
	uint32_t await_mask, await_head, await_tail, await_gen;
	uint64_t global_timeout_tsc;
	uint64_t token_timeout_tsc;
	bool global_replay;               /* replay_cache.global on (the rings serve tokens too) */
	bool global_reject;               /* on_unavailable: reject */
	uint16_t hold_max;                /* pii.max_held_segments at start (0: tap) */
	uint16_t hold_limit;              /* the live pii.max_held_segments, <= hold_max */
	uint32_t held_total;              /* segments held by all sessions now */
	uint32_t held_budget;             /* pii.held_per_worker */
	uint16_t ext_max;                 /* body extents mapped per held request */
	char mask_char;
	bool unrouted_reject;
	/* crafted packets (dp_reply.c), sent after the burst that made them */
	uint16_t n_reply;
	uint16_t reply_ip_id;
	struct rte_mbuf *reply[HP_REPLY_MAX];

	/* written by the worker, read by the control thread */
	volatile uint64_t last_rx_tsc; /* TSC of the last non-empty rx burst */
	volatile bool rx_seen;
	volatile bool running;

	unsigned int lcore_id;
	int socket;

	struct hp_counters ctr;
	struct hp_txbuf txb[RTE_MAX_ETHPORTS];
	uint8_t *scratch;         /* HP_SCRATCH_SIZE bytes: linearised chained datagrams */
} __attribute__((aligned(64)));

struct hp_port_info {
	bool used;
	bool has_rss;
	int socket;
	uint16_t n_rxq;
	uint16_t n_txq;
	char name[RTE_ETH_NAME_MAX_LEN];
};

/* The endpoints the workers use, as one unit replaced by RCU (hp_dp_swap_config): the
 * configuration they come from, the route table and each worker's verification contexts, PII
 * scratch and per-endpoint counters, all indexed like cfg->endpoints. A session keeps the set
 * its current request was routed with (refs), so a set is freed only once every worker has
 * passed a quiescent state after it was replaced and no session still uses it. */
struct hp_ep_wstate {
	struct hp_ep_stages *stages;    /* the request stages of each endpoint (dp_stage.h) */
	uint64_t (*ep_ctr)[HP_EP_CTR__MAX];
	uint32_t refs;  /* sessions of this worker bound to the set (written by that worker) */
} __attribute__((aligned(64)));

struct hp_ep_set {
	const struct hp_config *cfg;
	struct hp_config *owned;       /* freed with the set; NULL: the startup config */
	struct hp_route_table *routes;
	uint64_t generation;
	uint64_t token;                /* QSBR token taken when it was replaced */
	struct hp_ep_set *next;        /* retired sets */
	struct hp_ep_wstate w[HP_MAX_WORKERS];
};

struct hp_dp {
	const struct hp_config *cfg;
	uint16_t n_workers;
	bool dispatch;
	struct hp_worker *workers[HP_MAX_WORKERS];
	struct hp_port_info ports[RTE_MAX_ETHPORTS];
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES];
	uint32_t pool_size[RTE_MAX_NUMA_NODES];
	uint16_t reta[HP_RETA_SIZE];
	volatile bool stop;
	struct hp_route_table *routes;  /* endpoints (dp_route.c): eps->routes */
	struct hp_ep_set *eps;          /* current endpoint set (RCU) */
	struct hp_ep_set *retired;      /* replaced, waiting for the workers and sessions */
	struct hp_dedup *dedup;         /* replay cache shared by the workers (lib/dedup) */
	struct rte_hash *tokens;        /* token L1 (tokens.*), NULL: no token store */
	uint64_t token_base_ms;         /* wall-clock ms the L1 expiries count from */
	struct rte_rcu_qsbr *qsv;       /* workers report a quiescent state once per loop */
	struct hp_guard guard;          /* guarded TCP ports (dataplane.guard), read-only */
	uint64_t tsc_mult;              /* ns = tsc * tsc_mult >> 32 */
	volatile int64_t wall_off_ns;   /* CLOCK_REALTIME ns = tsc ns + this (control thread) */
	uint64_t sweep_tsc;
};

extern struct hp_dp hp_dp;

/* Validate cfg against the running system; 0 or -EINVAL with a message in err. */
int hp_dp_validate(const struct hp_config *cfg, char *err, size_t errlen);
int hp_dp_init(const struct hp_config *cfg, char *err, size_t errlen);
int hp_dp_launch(void);
void hp_dp_request_stop(void);
void hp_dp_wait(void);
void hp_dp_fini(void);

/* Wall-clock nanoseconds (CLOCK_REALTIME) of a TSC value, without a system call: the control
 * thread re-anchors wall_off_ns every second (hp_dp_tick). */
static inline uint64_t
hp_dp_now_ns(uint64_t tsc)
{
	return (uint64_t)(((unsigned __int128)tsc * hp_dp.tsc_mult) >> 32) +
	       (uint64_t)hp_dp.wall_off_ns;
}

/* Control thread, every loop: clock anchor, replay cache sweep (both on their own timers). */
void hp_dp_tick(void);

/* Sum of one endpoint's counters over the workers (control thread): index in hp_dp.cfg;
 * includes what the endpoint of that name counted under replaced configurations. */
void hp_dp_endpoint_counters(uint32_t index, uint64_t out[HP_EP_CTR__MAX]);
/* Build the endpoint set of cfg for every worker (dp_epset.c): 0 or -errno with a message. */
int hp_ep_set_build(struct hp_dp *dp, const struct hp_config *cfg, struct hp_ep_set **out,
		    char *err, size_t errlen);
void hp_ep_set_free(struct hp_ep_set *set);

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

/* Sum of every worker's TCP reassembly counters (control thread). */
void hp_dp_stream_counters(struct hp_stream_counters *out);

/* TCP flows tracked by every worker now (control thread). */
uint64_t hp_dp_flows_active(void);

/* Sum of every worker's counters (control thread). */
void hp_dp_counters(struct hp_counters *out);

/* True once some worker received traffic and every rx queue has been idle >= idle_ms. */
bool hp_dp_idle_for(uint64_t idle_ms);

/* Port setup (dp_port.c). */
int hp_port_setup_all(struct hp_dp *dp, char *err, size_t errlen);
void hp_port_close_all(struct hp_dp *dp);

/* Worker loop (dp_worker.c), run by rte_eal_remote_launch. */
int hp_worker_main(void *arg);
/* After the loop: flush tx, count and free fragments still waiting. */
void hp_worker_drain(struct hp_worker *w);

#endif /* HP_DP_H */
