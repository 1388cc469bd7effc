/* SPDX-License-Identifier: BSD-3-Clause
 * Dataplane lifecycle: validate against the system, build workers, start, stop, free.
 * Control thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <rte_rcu_qsbr.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include "dp_types.h"
#include "dp_defrag.h"
#include "dp_event.h"
#include "dp_flow.h"
#include "dp_session.h"
#include "dp_stage.h"
#include "dp_log.h"
#include "dp_epset.h"
#include "dp_port.h"
#include "dp_worker.h"
#include "dedup.h"
#include "pii.h"
#include "verify.h"

static unsigned int
n_worker_lcores(void)
{
	return rte_lcore_count() - 1; /* the main lcore is the control thread */
}

int
hp_dp_validate(const struct hp_config *cfg, char *err, size_t errlen)
{
	const struct hp_dataplane_config *dc = &cfg->dataplane;
	unsigned int avail = n_worker_lcores();

	if (rte_eth_dev_count_avail() == 0) {
		snprintf(err, errlen, "dataplane: no DPDK port (give --vdev or -a <pci> to EAL)");
		return -EINVAL;
	}
	for (unsigned int i = 0; i < dc->n_pairs; i++)
		for (unsigned int j = 0; j < 2; j++)
			if (!rte_eth_dev_is_valid_port(dc->pairs[i][j])) {
				snprintf(err, errlen,
					 "dataplane.port_pairs[%u]: port %u does not exist (%u "
					 "port(s) available)",
					 i, dc->pairs[i][j], rte_eth_dev_count_avail());
				return -EINVAL;
			}
	if (dc->mode == HP_MODE_TAP)
		for (unsigned int i = 0; i < dc->n_ports; i++)
			if (!rte_eth_dev_is_valid_port(dc->ports[i])) {
				snprintf(err, errlen,
					 "dataplane.ports[%u]: port %u does not exist (%u port(s) "
					 "available)",
					 i, dc->ports[i], rte_eth_dev_count_avail());
				return -EINVAL;
			}
	if (avail == 0) {
		snprintf(err, errlen,
			 "dataplane.workers: no worker lcore: give EAL at least two "
			 "lcores (-l 0,1): the main lcore runs the control thread");
		return -EINVAL;
	}
	if (dc->workers > avail) {
		snprintf(err, errlen,
			 "dataplane.workers: %u workers but only %u worker lcore(s) "
			 "(EAL -l gives %u lcores, the main one runs the control thread)",
			 dc->workers, avail, avail + 1);
		return -EINVAL;
	}
	if (dc->workers == 0 && avail > HP_MAX_WORKERS) {
		snprintf(err, errlen, "dataplane.workers: auto would use %u lcores, at most %u",
			 avail, HP_MAX_WORKERS);
		return -EINVAL;
	}
	if (dc->burst > HP_MAX_BURST) {
		snprintf(err, errlen, "dataplane.burst: at most %u", HP_MAX_BURST);
		return -EINVAL;
	}
	return 0;
}

static struct hp_worker *
worker_alloc(unsigned int id, unsigned int lcore)
{
	int socket = (int)rte_lcore_to_socket_id(lcore);
	struct hp_worker *w;

	if (socket < 0)
		socket = 0;
	w = rte_zmalloc_socket("hp_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
	if (w == NULL)
		return NULL;
	w->id = id;
	w->lcore_id = lcore;
	w->socket = socket;
	w->scratch = rte_malloc_socket("hp_scratch", HP_SCRATCH_SIZE, RTE_CACHE_LINE_SIZE, socket);
	if (w->scratch == NULL) {
		rte_free(w);
		return NULL;
	}
	return w;
}

int
hp_dp_check_limits(const struct hp_config *cfg, char *field, size_t flen, char *err, size_t errlen)
{
	struct hp_stream_config sc;

	if (hp_dp.workers[0] != NULL && cfg->dataplane.mode == HP_MODE_BRIDGE &&
	    cfg->pii.max_held_segments > hp_dp.workers[0]->hold_max) {
		snprintf(field, flen, "pii.max_held_segments");
		snprintf(err, errlen,
			 "%u is above its value at start (%u): the hold arrays are "
			 "sized then; it can only be lowered (or raised back)",
			 cfg->pii.max_held_segments, hp_dp.workers[0]->hold_max);
		return -EINVAL;
	}
	if (hp_dp.workers[0] != NULL) {
		sc = hp_dp.workers[0]->stream_cfg;
		hp_worker_stream_limits(&sc, &cfg->dataplane.reassembly);
		if (sc.last_hold_bytes > sc.flow_memcap_bytes)
			sc.last_hold_bytes = sc.flow_memcap_bytes;
		if (hp_stream_config_check(&sc) != 0) {
			snprintf(field, flen, "dataplane.reassembly.flow_memcap_kb");
			snprintf(err, errlen,
				 "the reassembly limits do not fit together "
				 "(flow_memcap_kb, memcap_mb)");
			return -EINVAL;
		}
	}
	return 0;
}

/* TCP reassembly of a worker: its configuration, segment nodes and callbacks. */
static int
stream_setup(struct hp_worker *w, const struct hp_reassembly_config *rc, bool midstream, char *err,
	     size_t errlen)
{
	struct hp_stream_config *sc = &w->stream_cfg;

	hp_stream_config_default(sc);
	sc->policy = rc->policy == HP_REASM_LAST ? HP_STREAM_POLICY_LAST : HP_STREAM_POLICY_FIRST;
	sc->on_memcap =
		rc->on_memcap == HP_REASM_DROP ? HP_STREAM_ACTION_DROP : HP_STREAM_ACTION_PASS;
	hp_worker_stream_limits(sc, rc);
	if (sc->last_hold_bytes > sc->flow_memcap_bytes)
		sc->last_hold_bytes = sc->flow_memcap_bytes;
	sc->retain = rc->retain;
	sc->midstream = midstream;
	/* bridge: a retransmission whose bytes differ from what the server got is dropped */
	sc->inline_mode = w->is_bridge;
	if (hp_stream_config_check(sc) != 0) {
		snprintf(err, errlen,
			 "dataplane.reassembly: the limits do not fit together "
			 "(flow_memcap_kb, memcap_mb)");
		return -EINVAL;
	}
	w->stream_nodes = rte_zmalloc_socket("hp_stream_nodes",
					     (size_t)rc->segments * sizeof(struct hp_stream_seg),
					     RTE_CACHE_LINE_SIZE, w->socket);
	if (w->stream_nodes == NULL ||
	    hp_stream_pool_init(&w->stream_pool, w->stream_nodes, rc->segments) != 0) {
		snprintf(err, errlen,
			 "dataplane.reassembly.segments: cannot allocate %u segment "
			 "nodes for worker %u",
			 rc->segments, w->id);
		return -ENOMEM;
	}
	hp_session_stream_env(w);
	return 0;
}

/* Verification state of a worker that does not depend on the endpoints: header views, the
 * digest context of dedup keys, the PII result. */
static int
verify_setup(struct hp_dp *dp, struct hp_worker *w, char *err, size_t errlen)
{
	w->unrouted_reject = dp->cfg->unrouted == HP_UNROUTED_REJECT;
	w->foreign_host_reject = dp->cfg->foreign_host == HP_FOREIGN_HOST_REJECT;
	w->vheaders = rte_zmalloc_socket(
		"hp_vheaders", (size_t)dp->cfg->http.max_headers * sizeof(struct hp_vheader),
		RTE_CACHE_LINE_SIZE, w->socket);
	w->key_sha = EVP_MD_CTX_new();
	w->pii_res = rte_zmalloc_socket("hp_pii_res", sizeof(*w->pii_res), RTE_CACHE_LINE_SIZE,
					w->socket);
	if (w->vheaders == NULL || w->key_sha == NULL || w->pii_res == NULL ||
	    EVP_DigestInit_ex2(w->key_sha, w->sha256, NULL) != 1) {
		snprintf(err, errlen, "endpoints: out of memory for worker %u", w->id);
		return -ENOMEM;
	}
	return 0;
}

static void
verify_teardown(struct hp_worker *w)
{
	rte_free(w->pii_res);
	rte_free(w->vheaders);
	EVP_MD_CTX_free(w->key_sha);
	w->pii_res = NULL;
	w->vheaders = NULL;
	w->key_sha = NULL;
	w->ep_ctr = NULL;
	w->routes = NULL;
	w->eps = NULL;
}

/* Wall clock without system calls on the fast path: TSC to ns, anchored to CLOCK_REALTIME. */
static void
clock_anchor(void)
{
	struct timespec ts;
	uint64_t tsc = rte_rdtsc();
	uint64_t tns = (uint64_t)(((unsigned __int128)tsc * hp_dp.tsc_mult) >> 32);

	clock_gettime(CLOCK_REALTIME, &ts);
	hp_dp.wall_off_ns = (int64_t)((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec) -
			    (int64_t)tns;
}

/* Token keys are SHA-256 digests: any 32 bits of them are a good hash. */
static uint32_t
token_hash(const void *key, uint32_t len, uint32_t init)
{
	uint32_t h;

	(void)len;
	memcpy(&h, key, sizeof(h));
	return h ^ init;
}

/* Endpoints, the replay cache and the RCU variable the workers report to. */
static int
verdict_setup(struct hp_dp *dp, char *err, size_t errlen)
{
	const struct hp_config *cfg = dp->cfg;
	struct hp_dedup_config dc = {
		.name = "hp_replay",
		.entries = cfg->replay_cache.entries,
		.socket = SOCKET_ID_ANY,
		.high_watermark_pct = cfg->replay_cache.high_watermark_pct,
		/* one worker has no other writer to meet: one table, whose lookups skip the
		 * partition step (12-14 % of a duplicate's lookup on bench_dedup); more workers
		 * split it by size (lib/dedup: up to 64 writer locks) */
		.partitions = dp->n_workers <= 1 ? 1 : 0,
	};
	size_t sz;

	dp->tsc_mult = (uint64_t)(((unsigned __int128)1000000000ULL << 32) / rte_get_tsc_hz());
	clock_anchor();
	hp_reply_init();
	sz = rte_rcu_qsbr_get_memsize(dp->n_workers);
	dp->qsv = rte_zmalloc("hp_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (dp->qsv == NULL || rte_rcu_qsbr_init(dp->qsv, dp->n_workers) != 0) {
		snprintf(err, errlen, "cannot create the RCU variable of %u workers",
			 dp->n_workers);
		return -ENOMEM;
	}
	if (cfg->tokens.redis_url[0] != '\0' || cfg->tokens.pg_dsn[0] != '\0') {
		struct rte_hash_parameters hp = {
			.name = "hp_tokens",
			.entries = cfg->tokens.l1_entries,
			.key_len = 32,
			.hash_func = token_hash,
			.socket_id = SOCKET_ID_ANY,
			/* workers read without locks; the resolver thread is the only writer */
			.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
		};
		struct rte_hash_rcu_config rc = {.v = dp->qsv, .mode = RTE_HASH_QSBR_MODE_DQ};

		dp->token_base_ms = hp_dp_now_ns(rte_rdtsc()) / 1000000 - 1000;
		dp->tokens = rte_hash_create(&hp);
		if (dp->tokens == NULL || rte_hash_rcu_qsbr_add(dp->tokens, &rc) != 0) {
			snprintf(err, errlen,
				 "tokens.l1_entries: cannot create the token table of "
				 "%u entries: %s",
				 cfg->tokens.l1_entries, rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	/* always: endpoints may be added through the API */
	dp->dedup = hp_dedup_create(&dc, err, errlen);
	if (dp->dedup == NULL)
		return -ENOMEM;
	if (hp_dedup_rcu_attach(dp->dedup, dp->qsv) != 0) {
		snprintf(err, errlen, "replay_cache: cannot attach the RCU variable");
		return -EINVAL;
	}
	return 0;
}

static void warmup_reclaim(uint64_t hz);

void
hp_dp_tick(void)
{
	static uint64_t last_anchor;
	uint64_t now = rte_rdtsc(), hz = rte_get_tsc_hz();

	if (now - last_anchor >= hz) {
		last_anchor = now;
		clock_anchor();
	}
	if (hp_dp.dedup != NULL &&
	    now - hp_dp.sweep_tsc >= hz / 1000 * hp_dp.cfg->replay_cache.sweep_interval_ms) {
		uint64_t ns = hp_dp.ts_flag == 0 ? hp_dp_now_ns(now) : hp_dp.capture_now_ns;

		hp_dp.sweep_tsc = now;
		if (ns != 0) /* dataplane.clock capture: the capture's time, once it has one */
			hp_dedup_sweep(hp_dp.dedup, ns / 1000000, 0);
	}
	if (hp_dp.retired != NULL)
		hp_dp_reclaim();
	if (hp_dp.warm.pool != NULL)
		warmup_reclaim(hz);
}

/* Log each worker's warm-up once it is done; free the warm-up's pool once every worker is
 * done with it (none of its mbufs out: every flow was removed, every buffer flushed). */
static void
warmup_reclaim(uint64_t hz)
{
	unsigned int done = 0;

	for (unsigned int i = 0; i < hp_dp.n_workers; i++) {
		struct hp_worker *w = hp_dp.workers[i];
		uint64_t t = __atomic_load_n(&w->warm_tsc, __ATOMIC_ACQUIRE);

		done += t != 0;
		if (t != 0 && !w->warm_logged) {
			w->warm_logged = true;
			HP_LOG(INFO,
			       "worker %u: warmed up in %.1f ms: %u synthetic packets, %u of %u "
			       "requests accepted (dataplane.warmup_requests; nothing of them left "
			       "the worker)\n",
			       w->id, (double)t * 1e3 / (double)hz, w->warm_packets,
			       w->warm_accepted, hp_dp.warm.n_requests);
		}
	}
	if (done == hp_dp.n_workers && rte_mempool_in_use_count(hp_dp.warm.pool) == 0) {
		rte_mempool_free(hp_dp.warm.pool);
		hp_dp.warm.pool = NULL;
		hp_warmup_free_frames(&hp_dp.warm);
	}
}

static int
worker_setup(struct hp_dp *dp, struct hp_worker *w, char *err, size_t errlen)
{
	const struct hp_dataplane_config *dc = &dp->cfg->dataplane;
	bool out_seen[RTE_MAX_ETHPORTS] = {false};
	int ret;

	w->n_workers = dp->n_workers;
	w->burst = dc->burst;
	w->is_bridge = dc->mode == HP_MODE_BRIDGE;
	w->dispatch = dp->dispatch;
	w->defrag = dc->defrag.enabled;
	w->decode_flags = dc->checksum_validation ? HP_DECODE_CSUM : 0;
	w->on_malformed = dc->on_malformed;
	w->reta = dp->reta;
	w->pool = dp->pools[w->socket];
	w->tx_drain_tsc = (rte_get_tsc_hz() + 999999) / 1000000 * dc->tx_drain_us;

	for (unsigned int p = 0; p < RTE_MAX_ETHPORTS; p++)
		w->out_port[p] = HP_NO_PORT;
	if (w->is_bridge)
		for (unsigned int i = 0; i < dc->n_pairs; i++) {
			uint16_t a = dc->pairs[i][0], b = dc->pairs[i][1];

			w->out_port[a] = b;
			w->out_port[b] = a;
			out_seen[a] = out_seen[b] = true;
		}
	for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++) {
		if (out_seen[p])
			w->out_ports[w->n_out++] = p;
		if (!dp->ports[p].used)
			continue;
		/* rx queue q of every port is polled by worker q */
		for (uint16_t q = w->id; q < dp->ports[p].n_rxq; q += dp->n_workers)
			w->rxq[w->n_rxq++] = (struct hp_rxq){.port = p, .queue = q};
	}
	if (hp_config_events_wanted(dp->cfg)) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "hp_events_%u", w->id);
		w->ev_ring = rte_ring_create_elem(name, sizeof(struct hp_event),
						  dp->cfg->events.ring_size, w->socket,
						  RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->ev_ring == NULL) {
			snprintf(err, errlen,
				 "events.ring_size: cannot create the event ring of "
				 "worker %u: %s",
				 w->id, rte_strerror(rte_errno));
			return -ENOMEM;
		}
		w->body_hash = dp->cfg->events.body_hash;
	}
	ret = hp_capture_setup(w, dp->cfg, err, errlen);
	if (ret != 0)
		return ret;
	{
		/* the waits of every kind (shared replay check, tokens, ML enforce): the table
		 * always, the resolver's rings when something is asked of it */
		const struct hp_replay_config *rc = &dp->cfg->replay_cache;
		const struct hp_ml_config *mc = &dp->cfg->ml;
		char name[RTE_RING_NAMESIZE];

		w->await =
			rte_zmalloc_socket("hp_await", rc->global_max_pending * sizeof(*w->await),
					   RTE_CACHE_LINE_SIZE, w->socket);
		snprintf(name, sizeof(name), "hp_mlq_%u", w->id);
		w->ml_q = rte_ring_create_elem(name, sizeof(struct hp_ml_query), mc->ring_size,
					       w->socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "hp_mla_%u", w->id);
		w->ml_a = rte_ring_create_elem(name, sizeof(struct hp_ml_answer),
					       RTE_MAX(mc->ring_size, 2 * rc->global_max_pending),
					       w->socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->await == NULL || w->ml_q == NULL || w->ml_a == NULL) {
			snprintf(err, errlen,
				 "ml.ring_size: cannot allocate the ML rings and the wait table of "
				 "worker %u",
				 w->id);
			return -ENOMEM;
		}
		w->await_mask = rc->global_max_pending - 1;
		w->ml_timeout_tsc = rte_get_tsc_hz() / 1000 * mc->timeout_ms;
		w->ml_gather_tsc = rte_get_tsc_hz() / 1000000 * mc->worker_gather_us;
	}
	if (dp->cfg->replay_cache.global_url[0] != '\0' || hp_dp.tokens != NULL) {
		const struct hp_replay_config *rc = &dp->cfg->replay_cache;
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "hp_gq_%u", w->id);
		w->gq = rte_ring_create_elem(name, sizeof(struct hp_gquery),
					     2 * rc->global_max_pending, w->socket,
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "hp_ga_%u", w->id);
		w->ga = rte_ring_create_elem(name, sizeof(struct hp_ganswer),
					     2 * rc->global_max_pending, w->socket,
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->gq == NULL || w->ga == NULL) {
			snprintf(err, errlen,
				 "replay_cache.global.max_pending: cannot allocate the "
				 "shared check's rings of worker %u",
				 w->id);
			return -ENOMEM;
		}
		w->global_timeout_tsc = rte_get_tsc_hz() / 1000 * rc->global_timeout_ms;
		w->global_reject = rc->global_on_unavailable == HP_GLOBAL_REJECT;
		w->global_replay = rc->global_url[0] != '\0';
		w->token_timeout_tsc = rte_get_tsc_hz() / 1000 * dp->cfg->tokens.timeout_ms;
	}
	struct hp_flow_table_params fp = {
		.cfg = &dc->flows,
		.guard = &dp->guard,
		.refuse_midstream =
			w->is_bridge && dc->guard.midstream == HP_GUARD_MIDSTREAM_REFUSE,
		.end = hp_session_flow_end,
	};

	if (hp_flow_table_create(w, &fp) != 0) {
		snprintf(err, errlen,
			 "dataplane.flows.max: cannot allocate a flow table of %u "
			 "flows for worker %u (give EAL more memory with -m)",
			 dc->flows.max, w->id);
		return -ENOMEM;
	}
	if (stream_setup(w, &dc->reassembly, dc->flows.midstream, err, errlen) != 0)
		return -EINVAL;
	if (hp_session_pool_create(w) != 0) {
		snprintf(err, errlen,
			 "http.max_sessions: cannot allocate %u HTTP sessions for "
			 "worker %u (lower http.max_sessions or http.body_copy_max, or give EAL "
			 "more "
			 "memory with -m)",
			 dp->cfg->http.max_sessions, w->id);
		return -ENOMEM;
	}
	ret = verify_setup(dp, w, err, errlen);
	if (ret != 0)
		return ret;
	if (w->defrag && hp_defrag_create(w, &dc->defrag) != 0) {
		snprintf(err, errlen,
			 "dataplane.defrag.max_flows: cannot allocate a reassembly "
			 "table of %u datagrams for worker %u: %s",
			 dc->defrag.max_flows, w->id, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

static int
rings_setup(struct hp_dp *dp, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < dp->n_workers; i++)
		for (unsigned int j = 0; j < dp->n_workers; j++) {
			char name[RTE_RING_NAMESIZE];
			struct rte_ring *r;

			if (i == j)
				continue;
			snprintf(name, sizeof(name), "hp_disp_%u_%u", i, j);
			r = rte_ring_create(name, dp->cfg->dataplane.dispatch_ring,
					    dp->workers[j]->socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (r == NULL) {
				snprintf(err, errlen,
					 "dataplane.dispatch_ring: cannot create ring "
					 "%s of %u: %s",
					 name, dp->cfg->dataplane.dispatch_ring,
					 rte_strerror(rte_errno));
				return -ENOMEM;
			}
			dp->workers[i]->ring_to[j] = r;
			dp->workers[j]->ring_from[i] = r;
		}
	return 0;
}

/* The operator must be able to see which flows are protected (docs/SECURITY.md). */
static void
log_guard(const struct hp_config *cfg)
{
	const struct hp_guard_config *g = &cfg->dataplane.guard;
	const char *mid = cfg->dataplane.mode == HP_MODE_TAP          ? "inspected (tap)"
			  : g->midstream == HP_GUARD_MIDSTREAM_REFUSE ? "refused"
								      : "inspected";
	char list[HP_GUARD_MAX_PORTS * 7 + 1];
	size_t o = 0;

	if (g->any) {
		HP_LOG(INFO, "guarded: every TCP port; midstream flows: %s\n", mid);
		return;
	}
	list[0] = '\0';
	for (unsigned int i = 0; i < g->n_ports && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%u", i ? ", " : "",
				      g->ports[i]);
	HP_LOG(INFO,
	       "guarded TCP server ports: %s (every other flow is forwarded uninspected); "
	       "midstream flows: %s\n",
	       list, mid);
}

int
hp_dp_init(const struct hp_config *cfg, char *err, size_t errlen)
{
	static const struct rte_mbuf_dynflag reassembled = {.name = "hp_reassembled"};
	unsigned int lcore, n = 0;
	int ret, bit;

	memset(&hp_dp, 0, sizeof(hp_dp));
	hp_dp.cfg = cfg;
	hp_dp.n_workers = cfg->dataplane.workers ? cfg->dataplane.workers : n_worker_lcores();
	hp_guard_init(&hp_dp.guard, &cfg->dataplane.guard);
	hp_worker_init_owner_key();
	bit = rte_mbuf_dynflag_register(&reassembled);
	if (bit < 0) {
		snprintf(err, errlen, "cannot register mbuf flag: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	hp_mbuf_reassembled = 1ULL << bit;
	for (unsigned int i = 0; i < HP_RETA_SIZE; i++)
		hp_dp.reta[i] = i % hp_dp.n_workers;

	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		if (n == hp_dp.n_workers)
			break;
		hp_dp.workers[n] = worker_alloc(n, lcore);
		if (hp_dp.workers[n] == NULL) {
			snprintf(err, errlen, "worker %u: out of memory", n);
			return -ENOMEM;
		}
		n++;
	}
	ret = hp_port_setup_all(&hp_dp, err, errlen);
	if (ret != 0)
		return ret;
	ret = verdict_setup(&hp_dp, err, errlen);
	if (ret != 0)
		return ret;
	for (unsigned int i = 0; i < hp_dp.n_workers; i++) {
		ret = worker_setup(&hp_dp, hp_dp.workers[i], err, errlen);
		if (ret != 0)
			return ret;
	}
	ret = hp_ep_set_build(&hp_dp, cfg, &hp_dp.eps, err, errlen);
	if (ret != 0)
		return ret;
	hp_dp.routes = hp_dp.eps->routes;
	for (unsigned int i = 0; i < hp_dp.n_workers; i++)
		hp_worker_follow_eps(hp_dp.workers[i]);
	ret = hp_warmup_build(cfg, hp_dp.routes, hp_dp.n_workers, &hp_dp.warm, err, errlen);
	if (ret != 0)
		return ret;
	hp_dp.warm.left = hp_dp.warm.n != 0 ? hp_dp.n_workers : 0;
	if (hp_dp.dispatch) {
		ret = rings_setup(&hp_dp, err, errlen);
		if (ret != 0)
			return ret;
	}
	HP_LOG(INFO, "%s mode, %u worker(s)%s\n", hp_mode_name(cfg->dataplane.mode),
	       hp_dp.n_workers, hp_dp.dispatch ? ", software flow dispatch" : "");
	HP_LOG(INFO, "SHA-256 (HMAC-SHA256, replay and token keys): %s\n", hp_vsha256_engine());
	{
		const char *why;
		bool bad;
		const char *v = hp_pii_scan_version(&why, &bad);

		if (bad)
			HP_LOG(WARNING, "PII scan: %s (%s)\n", v, why);
		else
			HP_LOG(INFO, "PII scan: %s (%s)\n", v, why);
	}
	log_guard(cfg);
	return 0;
}

int
hp_dp_launch(void)
{
	for (unsigned int i = 0; i < hp_dp.n_workers; i++) {
		struct hp_worker *w = hp_dp.workers[i];
		int ret = rte_eal_remote_launch(hp_worker_main, w, w->lcore_id);

		if (ret != 0) {
			HP_LOG(ERR, "worker %u: cannot launch on lcore %u: %s\n", i, w->lcore_id,
			       strerror(-ret));
			hp_dp_request_stop();
			return ret;
		}
	}
	return 0;
}

void
hp_dp_request_stop(void)
{
	hp_dp.stop = true;
}

void
hp_dp_wait(void)
{
	for (unsigned int i = 0; i < hp_dp.n_workers; i++)
		rte_eal_wait_lcore(hp_dp.workers[i]->lcore_id);
	/* Packets a worker handed over after its owner had stopped polling. */
	for (unsigned int i = 0; i < hp_dp.n_workers; i++) {
		struct hp_worker *w = hp_dp.workers[i];

		for (unsigned int j = 0; j < hp_dp.n_workers; j++) {
			void *m;

			if (w->ring_from[j] == NULL)
				continue;
			while (rte_ring_sc_dequeue(w->ring_from[j], &m) == 0) {
				rte_pktmbuf_free(m);
				w->ctr.c[HP_CTR_DISPATCH_DROPPED_AT_EXIT]++;
			}
		}
	}
}

void
hp_dp_counters(struct hp_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < hp_dp.n_workers; i++)
		if (hp_dp.workers[i] != NULL)
			hp_counters_add(out, &hp_dp.workers[i]->ctr);
}

/* Summed as an array of uint64_t: every field of the struct is one. */
_Static_assert(sizeof(struct hp_stream_counters) % sizeof(uint64_t) == 0,
	       "hp_stream_counters must hold uint64_t fields only");

void
hp_dp_stream_counters(struct hp_stream_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < hp_dp.n_workers; i++) {
		const struct hp_stream_counters *c;
		const uint64_t *src;
		uint64_t *dst = (uint64_t *)out;

		if (hp_dp.workers[i] == NULL)
			continue;
		c = &hp_dp.workers[i]->stream_ctr;
		src = (const uint64_t *)c;
		for (size_t k = 0; k < sizeof(*out) / sizeof(uint64_t); k++)
			dst[k] += src[k];
	}
}

uint64_t
hp_dp_flows_active(void)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < hp_dp.n_workers; i++)
		if (hp_dp.workers[i] != NULL)
			n += hp_flow_count(hp_dp.workers[i]);
	return n;
}

bool
hp_dp_idle_for(uint64_t idle_ms)
{
	uint64_t last = 0, span = idle_ms * (rte_get_tsc_hz() / 1000);
	bool seen = false;

	for (unsigned int i = 0; i < hp_dp.n_workers; i++) {
		const struct hp_worker *w = hp_dp.workers[i];

		seen |= w->rx_seen;
		if (w->last_rx_tsc > last)
			last = w->last_rx_tsc;
	}
	if (!seen)
		return false;
	/* idle as every worker saw it: a pass that took nothing, idle_ms after the last rx of
	 * any worker. Not the control thread's clock against the last rx: a worker blocked in
	 * a system call (net_pcap's tx writes to a file or pipe that stalls, a worker
	 * descheduled on a loaded host) polls nothing meanwhile, and the capture's rest would
	 * be left unread. A stamp older than last (a signed difference: another core's TSC)
	 * is not idle. */
	for (unsigned int i = 0; i < hp_dp.n_workers; i++)
		if ((int64_t)(hp_dp.workers[i]->idle_pass_tsc - last) < (int64_t)span)
			return false;
	return true;
}

void
hp_dp_fini(void)
{
	hp_port_close_all(&hp_dp);
	hp_warmup_free(&hp_dp.warm);
	for (unsigned int i = 0; i < hp_dp.n_workers; i++) {
		struct hp_worker *w = hp_dp.workers[i];

		if (w == NULL)
			continue;
		hp_defrag_destroy(w);
		hp_flow_table_destroy(w);
		verify_teardown(w);
		hp_session_pool_destroy(w);
		rte_free(w->stream_nodes);
		rte_ring_free(w->ev_ring);
		hp_capture_teardown(w);
		rte_ring_free(w->gq);
		rte_ring_free(w->ga);
		rte_ring_free(w->ml_q);
		rte_ring_free(w->ml_a);
		rte_free(w->await);
		for (unsigned int j = 0; j < hp_dp.n_workers; j++)
			rte_ring_free(w->ring_to[j]);
		rte_free(w->scratch);
		rte_free(w);
		hp_dp.workers[i] = NULL;
	}
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		rte_mempool_free(hp_dp.pools[s]);
		hp_dp.pools[s] = NULL;
	}
	hp_dedup_free(hp_dp.dedup);
	hp_dp.dedup = NULL;
	rte_hash_free(hp_dp.tokens);
	hp_dp.tokens = NULL;
	while (hp_dp.retired != NULL) {
		struct hp_ep_set *next = hp_dp.retired->next;

		hp_ep_set_free(hp_dp.retired);
		hp_dp.retired = next;
	}
	hp_ep_set_free(hp_dp.eps);
	hp_dp.eps = NULL;
	hp_dp.routes = NULL;
	rte_free(hp_dp.qsv);
	hp_dp.qsv = NULL;
}
