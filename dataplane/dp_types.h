/* SPDX-License-Identifier: BSD-3-Clause
 * The dataplane's own types: workers, the endpoint set, the shared state (hp_dp). Included by
 * dataplane files only; the control plane goes through the functions of dp.h.
 */
#ifndef HP_DP_TYPES_H
#define HP_DP_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dp.h"
#include "dp_decode.h"
#include "dp_guard.h"
#include "dp_reply.h"
#include "dp_resolver_msg.h"
#include "dp_route.h"
#include "dp_stats.h"
#include "dp_warmup.h"
#include "hp_config.h"
#include "stream_reasm.h"
#include "vsha256.h"

struct hp_verify_ctx;
struct hp_vheader;
struct hp_dedup;
struct hp_pii_scratch;
struct hp_ep_stages;
struct hp_session;

struct hp_await {
	struct hp_session *s; /* NULL: answered or abandoned */
	uint32_t gen;
	uint64_t deadline_tsc;
};
struct hp_pii_result;
struct rte_rcu_qsbr;

#define HP_MAX_BURST 512
#define HP_NO_PORT   UINT16_MAX
#define HP_RETA_SIZE 512 /* software owner table: hash -> worker */

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

struct hp_worker {
	/* hot, read-mostly */
	uint16_t id;
	uint16_t n_workers;
	uint16_t n_rxq;
	uint16_t burst;
	bool is_bridge;
	bool dispatch; /* software flow dispatch between workers is on */
	bool defrag;
	bool warming; /* the warm-up at start runs (dp_worker.c): nothing leaves the worker */
	unsigned int decode_flags;
	enum hp_malformed_action on_malformed;
	struct hp_rxq rxq[RTE_MAX_ETHPORTS];
	uint16_t out_port[RTE_MAX_ETHPORTS]; /* bridge: paired port, HP_NO_PORT if none */
	uint16_t n_out;
	uint16_t out_ports[RTE_MAX_ETHPORTS];       /* ports this worker transmits on */
	struct rte_ring *ring_to[HP_MAX_WORKERS];   /* SPSC: this worker -> worker i */
	struct rte_ring *ring_from[HP_MAX_WORKERS]; /* SPSC: worker i -> this worker */
	const uint16_t *reta;                       /* owner table, HP_RETA_SIZE entries */
	struct rte_mempool *pool;    /* this worker's socket pool (fragment copies) */
	struct hp_defrag *defrag_st; /* IP reassembly (dp_defrag.c) */
	struct hp_flow_table *flows; /* TCP flows (dp_flow.c) */
	struct rte_ring *ev_ring;    /* SPSC events to the control thread, or NULL */
	/* forensics.pcapng (dp_session_capture.c): NULL rings when off */
	struct rte_ring *cap_full; /* SPSC: filled slots to the control thread */
	struct rte_ring *cap_free; /* SPSC: empty slots back from it */
	void **cap_spare;          /* slots taken but not sent (used first) */
	uint32_t cap_n_spare;
	uint32_t cap_max;                /* forensics.max_request_bytes */
	uint8_t *cap_mem;                /* the slots */
	bool body_hash;                  /* events.body_hash */
	bool http_reject;                /* http.on_error: reject, in bridge mode */
	bool sessions_full_drop;         /* http.on_sessions_full: drop, in bridge mode */
	bool urgent_drop;                /* dataplane.reassembly.urgent: drop, in bridge mode */
	struct rte_mempool *sessions;    /* HTTP sessions (dp_session.c) */
	struct evp_md_st *sha256;        /* OpenSSL SHA-256, fetched once */
	struct hp_stream_env stream_env; /* TCP reassembly (lib/stream), per worker */
	struct hp_stream_config stream_cfg;
	struct hp_stream_pool stream_pool;
	struct hp_stream_usage stream_usage;
	struct hp_stream_counters stream_ctr;
	struct hp_stream_seg *stream_nodes;
	uint64_t tx_drain_tsc;
	uint64_t burst_tsc; /* rx TSC of the burst being processed (event latency) */
	/* dataplane.clock capture: the rx timestamp (ns since the epoch) of the packet being
	 * processed, 0 when it has none (the request is then judged at the wall clock) */
	uint64_t pkt_ts_ns;
	/* The TSC that flow, fragment and idle timeouts count in: burst_tsc, or with
	 * dataplane.clock capture the capture's time as a TSC (hp_capture_tsc) */
	uint64_t age_tsc;
	uint64_t cap_base_ns, cap_base_tsc; /* capture clock: first timestamp, its TSC */
	/* verification (dp_session.c): read-only route table, per-worker verify contexts */
	struct hp_ep_set *eps; /* followed after each quiescent state */
	const struct hp_route_table *routes;
	struct hp_vheader *vheaders;   /* http.max_headers views for lib/verify */
	struct evp_md_ctx_st *key_sha; /* dedup keys and body hashes */
	/* the replay key's digest of the request being decided, when verify's HMAC hashes the
	 * body for it (hp_stage_dedup_key_begin) */
	struct hp_vsha256 key_h;
	uint64_t (*ep_ctr)[HP_EP_CTR__MAX]; /* per endpoint counters */
	struct hp_pii_result *pii_res;      /* the last scan (one request at a time) */
	/* The rings that the resolver and the ML thread look up on every pass of their loops
	 * (hp_dp_resolver_rings, hp_dp_ml_rings): a line of their own, written only at start.
	 * Beside the fields below, which the worker writes per request, each of those reads
	 * took the line from the worker's core and each write took it back: the ML stage's
	 * first read of ml_n was 38 % of ml_run's samples (perf annotate); ml_run went from
	 * 1.16 % of the worker to 0.57 % with the pointers moved.
	 * shared replay check (replay_cache.global), NULL rings: off */
	struct rte_ring *gq __rte_cache_aligned; /* to the resolver */
	struct rte_ring *ga;                     /* from the resolver */
	/* ML scoring (controlplane/ctl_ml.c): feature records out, enforce answers back */
	struct rte_ring *ml_q;                      /* to the ML thread (struct hp_ml_query) */
	struct rte_ring *ml_a;                      /* from it (struct hp_ml_answer, enforce) */
	struct hp_await *await __rte_cache_aligned; /* FIFO of waiting requests, deadline order */
	uint32_t await_mask, await_head, await_tail, await_gen;
	uint64_t global_timeout_tsc;
	uint64_t token_timeout_tsc;
	uint32_t ml_seq; /* feature records made by this worker */
	/* feature records gathered over passes, sent to ml_q in one enqueue (hp_ml_flush):
	 * one update of the ring's tail and one run of writes to its lines per run of records,
	 * not one per request (dp_worker.c says when a run goes). ml_room: records the ring surely
	 * takes (its free space at the last flush, the consumer only adds to it), so a staged
	 * record is never refused. */
	uint16_t ml_n, ml_room;
	bool ml_enf;            /* an enforce record is staged: sent at the end of this pass */
	uint64_t ml_t0;         /* rx TSC of the burst that made the first staged record */
	uint64_t ml_gather_tsc; /* ml.worker_gather_us */
	struct hp_ml_query ml_stage[HP_ML_STAGE];
	uint64_t ml_timeout_tsc; /* ml.timeout_ms */
	bool global_replay;      /* replay_cache.global on (the rings serve tokens too) */
	bool global_reject;      /* on_unavailable: reject */
	uint16_t hold_max;       /* pii.max_held_segments at start (0: tap) */
	uint16_t hold_limit;     /* the live pii.max_held_segments, <= hold_max */
	uint32_t held_total;     /* segments held by all sessions now */
	uint32_t held_budget;    /* pii.held_per_worker */
	uint16_t ext_max;        /* body extents mapped per held request */
	char mask_char;
	bool unrouted_reject;
	bool foreign_host_reject; /* foreign_host: reject */
	/* crafted packets (dp_reply.c), sent after the burst that made them */
	uint16_t n_reply;
	uint16_t reply_ip_id;
	struct rte_mbuf *reply[HP_REPLY_MAX];

	/* written by the worker, read by the control thread */
	volatile uint64_t last_rx_tsc; /* TSC of the last non-empty rx burst */
	/* TSC of the last pass that took nothing: --exit-idle-ms counts idle time the worker
	 * saw itself, so that one stalled (a blocking tx on a pcap vdev, descheduled) is not
	 * idle */
	volatile uint64_t idle_pass_tsc;
	/* the longest poll loop pass since the warm-up (TSC): a worker descheduled or blocked
	 * in a system call shows it here */
	volatile uint64_t longest_pass_tsc;
	volatile bool rx_seen;
	volatile bool running;
	uint64_t warm_tsc;      /* the warm-up's duration once done (0: not done or none) */
	uint32_t warm_packets;  /* its frames, written before warm_tsc */
	uint32_t warm_accepted; /* its requests accepted (the others: refused, e.g. unsigned) */
	bool warm_logged;       /* control thread */

	unsigned int lcore_id;
	int socket;

	struct hp_counters ctr;
	struct hp_txbuf txb[RTE_MAX_ETHPORTS];
	uint8_t *scratch; /* HP_SCRATCH_SIZE bytes: linearised chained datagrams */
} __attribute__((aligned(64)));

/* The endpoints the workers use, as one unit replaced by RCU (hp_dp_swap_config): the
 * configuration they come from, the route table and each worker's verification contexts, PII
 * scratch and per-endpoint counters, all indexed like cfg->endpoints. A session keeps the set
 * its current request was routed with (refs), so a set is freed only once every worker has
 * passed a quiescent state after it was replaced and no session still uses it. */
struct hp_ep_wstate {
	struct hp_ep_stages *stages; /* the request stages of each endpoint (dp_stage.h) */
	uint64_t (*ep_ctr)[HP_EP_CTR__MAX];
	uint32_t refs; /* sessions of this worker bound to the set (written by that worker) */
} __attribute__((aligned(64)));

struct hp_ep_set {
	const struct hp_config *cfg;
	struct hp_config *owned; /* freed with the set; NULL: the startup config */
	struct hp_route_table *routes;
	uint64_t generation;
	uint64_t token;         /* QSBR token taken when it was replaced */
	struct hp_ep_set *next; /* retired sets */
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
	struct hp_route_table *routes; /* endpoints (dp_route.c): eps->routes */
	struct hp_ep_set *eps;         /* current endpoint set (RCU) */
	struct hp_ep_set *retired;     /* replaced, waiting for the workers and sessions */
	struct hp_dedup *dedup;        /* replay cache shared by the workers (lib/dedup) */
	struct rte_hash *tokens;       /* token L1 (tokens.*), NULL: no token store */
	uint64_t token_base_ms;        /* wall-clock ms the L1 expiries count from */
	struct rte_rcu_qsbr *qsv;      /* workers report a quiescent state once per loop */
	struct hp_guard guard;         /* guarded TCP ports (dataplane.guard), read-only */
	struct hp_warm_frames warm;    /* the workers' warm-up at start (dp_warmup.c) */
	uint64_t tsc_mult;             /* ns = tsc * tsc_mult >> 32 */
	volatile int64_t wall_off_ns;  /* CLOCK_REALTIME ns = tsc ns + this (control thread) */
	uint64_t sweep_tsc;
	/* dataplane.clock capture: the rx timestamp dynamic field and flag (rte_mbuf_dyn) */
	int ts_off;
	uint64_t ts_flag;
	/* dataplane.clock capture: the latest capture time (ns since the epoch) a worker has
	 * reached; the replay cache's sweep counts in it (0: none yet) */
	volatile uint64_t capture_now_ns;
};

extern struct hp_dp hp_dp;

/* Dynamic mbuf flag (registered at init, dp_state.c): a datagram reassembled from IP
 * fragments; it goes out through hp_defrag_forward (re-fragmented like the sender's), never as
 * it is. */
extern uint64_t hp_mbuf_reassembled;

/* Wall-clock nanoseconds (CLOCK_REALTIME) of a TSC value, without a system call: the control
 * thread re-anchors wall_off_ns every second (hp_dp_tick). */
static inline uint64_t
hp_dp_now_ns(uint64_t tsc)
{
	return (uint64_t)(((unsigned __int128)tsc * hp_dp.tsc_mult) >> 32) +
	       (uint64_t)hp_dp.wall_off_ns;
}

/* dataplane.clock capture: a packet's rx timestamp in ns since the epoch, 0 if it has none.
 * net_pcap of DPDK 22.11 writes microseconds, later ones and NICs nanoseconds: told apart by
 * size (nanoseconds below 1e17 would be before 1974). */
static inline uint64_t
hp_capture_ns(const struct rte_mbuf *m)
{
	uint64_t t;

	if (!(m->ol_flags & hp_dp.ts_flag))
		return 0;
	t = *RTE_MBUF_DYNFIELD(m, hp_dp.ts_off, const uint64_t *);
	return t < 100000000000000000ULL ? t * 1000 : t;
}

/* dataplane.clock capture: the capture time of m as a TSC of this worker's timeline, so that
 * flows, fragments and idle timers age as they did when the packets were captured, however
 * fast the capture is read. The first timestamp maps to now; time never goes back (a
 * capture's timestamps may, slightly); a packet without one keeps the last. */
static inline uint64_t
hp_capture_tsc(struct hp_worker *w, const struct rte_mbuf *m, uint64_t now)
{
	uint64_t ns = hp_capture_ns(m), t;

	if (ns == 0)
		return w->age_tsc != 0 ? w->age_tsc : now;
	if (w->cap_base_ns == 0) {
		w->cap_base_ns = ns;
		w->cap_base_tsc = now;
	}
	if (ns < w->cap_base_ns)
		return w->age_tsc;
	t = w->cap_base_tsc +
	    (uint64_t)((unsigned __int128)(ns - w->cap_base_ns) * rte_get_tsc_hz() / 1000000000u);
	if (t < w->age_tsc)
		return w->age_tsc;
	if (ns > hp_dp.capture_now_ns)
		hp_dp.capture_now_ns = ns;
	return t;
}

#endif /* HP_DP_TYPES_H */
