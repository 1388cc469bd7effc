/* SPDX-License-Identifier: BSD-3-Clause
 * ML scoring on the control side (issue 15): one thread (hp-ml) takes the workers' feature
 * records (dataplane/dp_stage_ml.c) off their rings, batches them (lib/ml/batcher.h: max
 * batch, max delay, preferred size, bounded queue, AIMD to a latency target), scores each
 * batch with the model (lib/ml/ml_model.h, XGBoost in process), and answers:
 *   - enforce: on the worker's ML answer ring (the request waits for it, bridge);
 *   - score / flag: on a per-worker ring to the control thread, which joins the score to the
 *     request's event (ctl_events.c, hp_ctl_ml_take) before it reaches the file and sinks.
 * A record the queue cannot take, or a batch the model fails on, is answered "missing" at
 * once: nobody waits for a score that will not come.
 *
 * The model is loaded and warmed up before the workers start (ml.model, or the default model
 * shipped in models/), only when an endpoint scores or ml.model is set; without a model
 * every record is answered missing (dropped).
 *
 * ml.backend kserve: the batches go to a KServe v2 server instead (lib/ml/kserve.h), at most
 * ml.kserve.inflight at once, from this same thread without blocking it (libcurl multi); a
 * failed request's rows are answered missing (error), and while the client's breaker is open
 * every record is answered missing at once (breaker): an enforce endpoint applies on_timeout
 * without waiting for a score that cannot come.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <jansson.h>

#include <rte_lcore.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "batcher.h"
#include "ctl.h"
#include "ctl_json.h"
#include "dp.h"
#include "dp_event.h"
#include "dp_log.h"
#include "dp_resolver_msg.h"
#include "hp_config.h"
#include "kserve.h"
#include "ml_features.h"
#include "ml_model.h"
#include "ml_rates.h"

#ifndef HP_ML_DEFAULT_MODEL
#define HP_ML_DEFAULT_MODEL "models/default.json"
#endif

#define ML_BURST         256 /* records taken off one worker's ring at a time */
#define ML_LAT_BUCKETS   24  /* batch latency: bucket k = (2^(k-1), 2^k] us */
#define ML_SIZE_BUCKETS  14  /* batch size: bucket k = (2^(k-1), 2^k] rows */
#define ML_SCORE_BUCKETS 10
#define ML_NAP_US        20 /* idle with a model: the nap between two looks at the rings */

struct ml_stats {
	uint64_t records, scored, missing_queue, missing_error, missing_breaker, answers_lost,
		errors;
	uint64_t lat[ML_LAT_BUCKETS], size[ML_SIZE_BUCKETS], score_hist[ML_SCORE_BUCKETS];
	uint64_t lat_sum_us;
	double score_sum;
	uint64_t batches, rows, by_reason[HP_BATCH__MAX];
	uint32_t queued, limit;
	struct hp_kserve_stats ks; /* backend kserve */
	char ks_error[256];
};

/* An answer waiting for its event (hp_ctl_ml_take). */
struct join_slot {
	uint32_t seq;
	uint8_t here; /* an answer not taken yet */
	uint8_t state;
	float score;
	uint32_t version;
	float rates[HP_ML_N_RATES];
};

/* One waiting record. */
struct pend {
	uint32_t slot, gen, seq;
	uint8_t worker, enforce;
	float rates[HP_ML_N_RATES]; /* its rate features, for its event */
};

static struct {
	bool started, configured;
	volatile bool stop;
	pthread_t th;
	struct hp_ml_model *model; /* the ML thread's only: it scores with it */
	/* backend kserve: the client, and the records of each batch in flight (by tag) */
	struct hp_kserve *ks;
	struct hp_kserve_model_info ks_info; /* under info_lock */
	char ks_url[HP_CFG_PATH_LEN];
	struct pend *fly[HP_KSERVE_MAX_INFLIGHT];
	bool fly_busy[HP_KSERVE_MAX_INFLIGHT];
	uint32_t n_fly;
	struct hp_ml_model *next; /* a reloaded model, taken between batches */
	uint32_t max_batch;       /* of the warm-up of a reload */
	bool events_on;           /* the events file or a sink: scores are joined to events */
	/* what GET /v1/models shows of the model in use (ML thread writes, API reads) */
	pthread_mutex_t info_lock;
	struct hp_ml_model_info info;
	char model_path[HP_CFG_PATH_LEN];
	char next_path[HP_CFG_PATH_LEN];
	uint64_t loaded_at; /* wall-clock seconds */
	uint32_t version;   /* loads of this process (the events' "version") */
	struct hp_batcher b;
	struct pend *pend; /* queue ring, parallel to the batcher's */
	float *rows;       /* queue ring of feature vectors */
	float *batch;      /* one batch, contiguous */
	float *scores;
	uint32_t head;                              /* ring index of the oldest waiting record */
	struct rte_ring *to_events[HP_MAX_WORKERS]; /* score / flag answers for the join */
	/* the control thread's: answers by record seq (.slot 1: not taken yet), per worker */
	struct join_slot *join[HP_MAX_WORKERS];
	uint32_t join_mask;
	/* the ML thread's: the rate features' state, per endpoint index, of all workers */
	struct hp_ml_rates *rates;
	/* statistics: the ML thread's own (st), published whole under stats_lock after each
	 * round that changed them (pub), so a scrape sees one instant: a histogram's count
	 * is the scored counter, rows >= scored + missing */
	struct ml_stats st, pub;
	pthread_mutex_t stats_lock;
	char last_error[256];
} ml;

/* Publish the ML thread's statistics (ML thread only). */
static void
publish(void)
{
	ml.st.batches = ml.b.batches;
	ml.st.rows = ml.b.rows;
	ml.st.queued = ml.b.queued;
	ml.st.limit = ml.b.limit;
	memcpy(ml.st.by_reason, ml.b.by_reason, sizeof(ml.st.by_reason));
	if (ml.ks != NULL) {
		hp_kserve_get_stats(ml.ks, &ml.st.ks);
		snprintf(ml.st.ks_error, sizeof(ml.st.ks_error), "%s", hp_kserve_last_error(ml.ks));
	}
	pthread_mutex_lock(&ml.stats_lock);
	ml.pub = ml.st;
	pthread_mutex_unlock(&ml.stats_lock);
}

/* One instant of the statistics (any thread). */
static void
snapshot(struct ml_stats *s)
{
	pthread_mutex_lock(&ml.stats_lock);
	*s = ml.pub;
	pthread_mutex_unlock(&ml.stats_lock);
}

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static unsigned int
log2_bucket(uint64_t v, unsigned int n)
{
	unsigned int b = v <= 1 ? 0 : 64 - (unsigned int)__builtin_clzll(v - 1);

	return b < n ? b : n - 1;
}

/* Send one answer where it goes; a full ring loses it (counted; the request times out). */
static void
answer(const struct pend *p, float score, uint32_t state)
{
	struct hp_ml_answer a = {.slot = p->slot,
				 .gen = p->gen,
				 .seq = p->seq,
				 .score = score,
				 .state = state,
				 .version = ml.version};
	struct rte_ring *r;

	memcpy(a.rates, p->rates, sizeof(a.rates));
	if (p->enforce) {
		struct rte_ring *q;

		if (!hp_dp_ml_rings(p->worker, &q, &r))
			r = NULL;
	} else if (ml.events_on) {
		r = ml.to_events[p->worker];
	} else {
		return; /* no events are written: nothing to join the score to (it is counted) */
	}
	if (r == NULL || rte_ring_sp_enqueue_elem(r, &a, sizeof(a)) != 0)
		ml.st.answers_lost++;
}

/* Take what the workers sent: queued for a batch, or answered missing at once. */
static unsigned int
take_records(uint64_t now)
{
	struct hp_ml_query q[ML_BURST];
	unsigned int got = 0;

	for (unsigned int w = 0; w < hp_dp_n_workers(); w++) {
		struct rte_ring *from, *to;
		unsigned int n;

		if (!hp_dp_ml_rings(w, &from, &to))
			continue;
		n = rte_ring_sc_dequeue_burst_elem(from, q, sizeof(q[0]), ML_BURST, NULL);
		got += n;
		for (unsigned int i = 0; i < n; i++) {
			struct pend p = {.slot = q[i].slot,
					 .gen = q[i].gen,
					 .seq = q[i].seq,
					 .worker = (uint8_t)w,
					 .enforce = q[i].enforce};
			uint32_t at;

			ml.st.records++;
			/* the rate features, for all workers (an endpoint index beyond the table
			 * cannot come: the configuration has at most that many) */
			if (q[i].endpoint < HP_CFG_MAX_ENDPOINTS)
				hp_ml_rates_count(&ml.rates[q[i].endpoint], q[i].src_hash,
						  q[i].t_ns, q[i].f);
			memcpy(p.rates, &q[i].f[HP_MLF_RATES_FIRST], sizeof(p.rates));
			if (ml.ks != NULL && !hp_kserve_accepting(ml.ks)) {
				ml.st.missing_breaker++;
				answer(&p, 0, HP_EV_ML_UNAVAILABLE);
				continue;
			}
			if ((ml.model == NULL && ml.ks == NULL) || !hp_batcher_push(&ml.b, now)) {
				ml.st.missing_queue++;
				answer(&p, 0, HP_EV_ML_DROPPED);
				continue;
			}
			at = (ml.head + ml.b.queued - 1) % ml.b.cfg.queue_max;
			ml.pend[at] = p;
			memcpy(&ml.rows[(size_t)at * HP_ML_N_FEATURES], q[i].f, sizeof(q[i].f));
		}
	}
	return got;
}

/* One record scored: counted, answered. */
static void
score_one(const struct pend *p, float score)
{
	ml.st.scored++;
	ml.st.score_sum += isnan(score) ? 0 : score;
	ml.st.score_hist[isnan(score)
				 ? 0
				 : (unsigned int)RTE_MIN(RTE_MAX(score, 0.0f) * ML_SCORE_BUCKETS,
							 (float)(ML_SCORE_BUCKETS - 1))]++;
	answer(p, score, HP_EV_ML_SCORED);
}

/* The n oldest queued rows, contiguous in ml.batch (the queue is a ring). */
static void
gather(uint32_t n)
{
	uint32_t qmax = ml.b.cfg.queue_max;

	for (uint32_t i = 0; i < n; i++)
		memcpy(&ml.batch[(size_t)i * HP_ML_N_FEATURES],
		       &ml.rows[(size_t)((ml.head + i) % qmax) * HP_ML_N_FEATURES],
		       HP_ML_N_FEATURES * sizeof(float));
}

/* Score the n oldest records in one batch and answer them. */
static void
run_batch(uint32_t n, enum hp_batch_why why)
{
	uint32_t qmax = ml.b.cfg.queue_max;
	uint64_t t0 = mono_us(), dt;
	char err[256];
	int rc;

	gather(n);
	rc = hp_ml_model_predict(ml.model, ml.batch, n, ml.scores, err, sizeof(err));
	dt = mono_us() - t0;
	if (rc != 0) {
		ml.st.errors++;
		snprintf(ml.last_error, sizeof(ml.last_error), "%s", err);
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct pend *p = &ml.pend[(ml.head + i) % qmax];

		if (rc != 0) {
			ml.st.missing_error++;
			answer(p, 0, HP_EV_ML_ERROR);
			continue;
		}
		score_one(p, ml.scores[i]);
	}
	ml.head = (ml.head + n) % qmax;
	hp_batcher_sent(&ml.b, n, why);
	hp_batcher_done(&ml.b, dt);
	ml.st.lat[log2_bucket(dt, ML_LAT_BUCKETS)]++;
	ml.st.size[log2_bucket(n, ML_SIZE_BUCKETS)]++;
	ml.st.lat_sum_us += dt;
}

/* backend kserve: the n oldest records go to the server as one infer request. */
static void
send_batch(uint32_t n, enum hp_batch_why why, uint64_t now)
{
	uint32_t qmax = ml.b.cfg.queue_max, tag = 0;

	while (tag < ml.n_fly && ml.fly_busy[tag])
		tag++;
	gather(n);
	for (uint32_t i = 0; tag < ml.n_fly && i < n; i++)
		ml.fly[tag][i] = ml.pend[(ml.head + i) % qmax];
	if (tag == ml.n_fly || hp_kserve_send(ml.ks, ml.batch, n, tag, now) != 0) {
		/* cannot happen while can_send said yes; if it does, nobody waits for them */
		for (uint32_t i = 0; i < n; i++) {
			ml.st.missing_error++;
			answer(&ml.pend[(ml.head + i) % qmax], 0, HP_EV_ML_ERROR);
		}
	} else {
		ml.fly_busy[tag] = true;
	}
	ml.head = (ml.head + n) % qmax;
	hp_batcher_sent(&ml.b, n, why);
	ml.st.size[log2_bucket(n, ML_SIZE_BUCKETS)]++;
}

/* backend kserve: an infer request ended. */
static void
remote_done(void *arg, uint32_t tag, enum hp_kserve_result r, const float *scores, uint32_t n,
	    uint64_t latency_us)
{
	(void)arg;
	for (uint32_t i = 0; i < n; i++) {
		if (r == HP_KSERVE_OK) {
			score_one(&ml.fly[tag][i], scores[i]);
		} else {
			ml.st.missing_error++;
			answer(&ml.fly[tag][i], 0, HP_EV_ML_ERROR);
		}
	}
	if (r != HP_KSERVE_OK)
		ml.st.errors++;
	ml.fly_busy[tag] = false;
	/* a timeout is a latency too: the batch size adapts down to it */
	if (r == HP_KSERVE_OK || r == HP_KSERVE_TIMEOUT) {
		hp_batcher_done(&ml.b, latency_us);
		ml.st.lat[log2_bucket(latency_us, ML_LAT_BUCKETS)]++;
		ml.st.lat_sum_us += latency_us;
	}
}

/* backend kserve, the breaker open: what waits is answered missing at once. */
static void
drain_queue(void)
{
	uint32_t qmax = ml.b.cfg.queue_max, n = ml.b.queued;

	for (uint32_t i = 0; i < n; i++) {
		ml.st.missing_breaker++;
		answer(&ml.pend[(ml.head + i) % qmax], 0, HP_EV_ML_UNAVAILABLE);
	}
	ml.head = (ml.head + n) % qmax;
	hp_batcher_drop(&ml.b, n);
}

/* A reloaded model replaces the one in use between two batches: no batch ever sees both,
 * and the old one is freed here, by the only thread that used it. */
static void
take_reload(void)
{
	struct hp_ml_model *m = __atomic_exchange_n(&ml.next, NULL, __ATOMIC_ACQ_REL);

	if (m == NULL)
		return;
	hp_ml_model_free(ml.model);
	ml.model = m;
	pthread_mutex_lock(&ml.info_lock);
	ml.info = *hp_ml_model_info(m);
	snprintf(ml.model_path, sizeof(ml.model_path), "%s", ml.next_path);
	ml.loaded_at = (uint64_t)time(NULL);
	__atomic_store_n(&ml.version, ml.version + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ml.info_lock);
}

static void *
ml_thread(void *arg)
{
	(void)arg;
	/* its naps end when asked, not up to 50 us later (the default timer slack): a batch
	 * goes at its deadline, the latency enforce adds is max_delay_us, not that plus slack */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	while (!ml.stop) {
		take_reload();
		uint64_t now = mono_us();
		unsigned int got = take_records(now);
		enum hp_batch_why why;
		uint32_t n;
		bool ran = false;

		if (ml.ks != NULL) {
			ran = hp_kserve_poll(ml.ks, now, remote_done, NULL) != 0;
			if (!hp_kserve_accepting(ml.ks) && ml.b.queued != 0) {
				drain_queue();
				ran = true;
			}
			while (hp_kserve_can_send(ml.ks) &&
			       (n = hp_batcher_poll(&ml.b, mono_us(), &why)) != 0) {
				send_batch(n, why, now);
				ran = true;
			}
		} else {
			while ((n = hp_batcher_poll(&ml.b, mono_us(), &why)) != 0) {
				run_batch(n, why);
				ran = true;
			}
		}
		if (got != 0 || ran)
			publish();
		if (got == 0 && !ran) {
			/* idle: sleep a fraction of the delay a row may wait, never past the
			 * waiting batch's deadline; without a model (nothing scores: every record
			 * is answered missing) 1 ms, so that an appliance without ML does not wake
			 * its main CPU 50 000 times a second */
			uint64_t nap_us = ml.model != NULL ? ML_NAP_US : 1000, dl;

			if (ml.model != NULL && (dl = hp_batcher_deadline(&ml.b)) != UINT64_MAX) {
				now = mono_us();
				nap_us = dl <= now ? 0 : RTE_MIN(nap_us, dl - now);
			}
			if (nap_us != 0) {
				struct timespec ts = {0, (long)nap_us * 1000};

				nanosleep(&ts, NULL);
			}
		}
	}
	return NULL;
}

static bool
ml_wanted(const struct hp_config *cfg)
{
	if (cfg->ml.model[0] != '\0' || cfg->ml.backend == HP_ML_BACKEND_KSERVE)
		return true;
	for (uint32_t i = 0; i < cfg->n_endpoints; i++)
		if (cfg->endpoints[i].ml_policy != HP_ML_POLICY_OFF)
			return true;
	return false;
}

/* backend kserve: the client, its batches in flight, and the server checked. A server that
 * is not ready does not stop hookpath (the inference service may start later, or restart
 * on its own): the breaker starts open and a probe closes it once the model is ready. */
static int
kserve_start(const struct hp_ml_config *mc, char *err, size_t errlen)
{
	struct hp_kserve_config kc = {.url = mc->kserve_url,
				      .model = mc->kserve_model,
				      .n_features = HP_ML_N_FEATURES,
				      .max_batch = mc->max_batch,
				      .timeout_ms = mc->kserve_timeout_ms,
				      .inflight = mc->kserve_inflight,
				      .breaker_failures = mc->kserve_breaker_failures,
				      .cooldown_ms = mc->kserve_cooldown_ms,
				      .cooldown_max_ms = mc->kserve_cooldown_max_ms};
	char cerr[256];

	if (hp_kserve_open(&kc, &ml.ks, err, errlen) != 0)
		return -1;
	ml.n_fly = mc->kserve_inflight;
	for (uint32_t i = 0; i < ml.n_fly; i++) {
		ml.fly[i] = calloc(mc->max_batch, sizeof(struct pend));
		if (ml.fly[i] == NULL) {
			snprintf(err, errlen, "ml.kserve.inflight: out of memory");
			return -1;
		}
	}
	snprintf(ml.ks_url, sizeof(ml.ks_url), "%s", mc->kserve_url);
	snprintf(ml.model_path, sizeof(ml.model_path), "%s", mc->kserve_model);
	ml.loaded_at = (uint64_t)time(NULL);
	ml.version = 1;
	if (hp_kserve_check(ml.ks, &ml.ks_info, cerr, sizeof(cerr)) != 0) {
		HP_LOG(WARNING,
		       "ml: KServe model %s at %s not ready (%s): breaker open, scores missing "
		       "until a probe finds it ready\n",
		       mc->kserve_model, mc->kserve_url, cerr);
		return 0;
	}
	HP_LOG(INFO, "ml: KServe model %s (version %s, %s) at %s ready, warm-up %.1f ms\n",
	       ml.ks_info.name, ml.ks_info.version, ml.ks_info.platform, mc->kserve_url,
	       ml.ks_info.warmup_ns / 1e6);
	return 0;
}

int
hp_ctl_ml_start(const struct hp_config *cfg, char *err, size_t errlen)
{
	const struct hp_ml_config *mc = &cfg->ml;
	struct hp_batcher_config bc = {.max_batch = mc->max_batch,
				       .min_batch = mc->min_batch,
				       .max_delay_us = mc->max_delay_us,
				       .queue_max = mc->queue,
				       .target_us = mc->target_us,
				       .preferred = {mc->preferred_batch}};
	char berr[256];

	memset(&ml, 0, sizeof(ml));
	pthread_mutex_init(&ml.info_lock, NULL);
	pthread_mutex_init(&ml.stats_lock, NULL);
	ml.max_batch = mc->max_batch;
	ml.join_mask = mc->ring_size - 1; /* a power of 2 */
	ml.events_on = hp_config_events_wanted(cfg);
	if (hp_batcher_init(&ml.b, &bc, berr, sizeof(berr)) != 0) {
		snprintf(err, errlen, "ml.%s", berr);
		return -1;
	}
	ml.pend = calloc(mc->queue, sizeof(*ml.pend));
	ml.rows = calloc((size_t)mc->queue * HP_ML_N_FEATURES, sizeof(float));
	ml.batch = calloc((size_t)mc->max_batch * HP_ML_N_FEATURES, sizeof(float));
	ml.scores = calloc(mc->max_batch, sizeof(float));
	ml.rates = calloc(HP_CFG_MAX_ENDPOINTS, sizeof(*ml.rates));
	if (ml.pend == NULL || ml.rows == NULL || ml.batch == NULL || ml.scores == NULL ||
	    ml.rates == NULL) {
		snprintf(err, errlen, "ml.queue: out of memory for %u rows", mc->queue);
		goto fail;
	}
	for (unsigned int w = 0; w < hp_dp_n_workers(); w++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "hp_mle_%u", w);
		ml.to_events[w] =
			rte_ring_create_elem(name, sizeof(struct hp_ml_answer), mc->ring_size,
					     SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		ml.join[w] = calloc(mc->ring_size, sizeof(struct join_slot));
		if (ml.to_events[w] == NULL || ml.join[w] == NULL) {
			snprintf(err, errlen,
				 "ml.ring_size: cannot create the score ring of worker %u", w);
			goto fail;
		}
	}
	snprintf(ml.model_path, sizeof(ml.model_path), "%s",
		 mc->model[0] != '\0' ? mc->model : HP_ML_DEFAULT_MODEL);
	ml.configured = ml_wanted(cfg);
	if (ml.configured && mc->backend == HP_ML_BACKEND_KSERVE) {
		if (kserve_start(mc, err, errlen) != 0)
			goto fail;
	} else if (ml.configured) {
		if (hp_ml_model_load(ml.model_path, HP_ML_N_FEATURES, mc->max_batch, &ml.model, err,
				     errlen) != 0)
			goto fail;
		ml.loaded_at = (uint64_t)time(NULL);
		ml.version = 1;
		ml.info = *hp_ml_model_info(ml.model);
		HP_LOG(INFO, "ml: model %s loaded and warmed up in %.1f ms (%d rounds)\n",
		       ml.model_path, hp_ml_model_info(ml.model)->load_ns / 1e6,
		       hp_ml_model_info(ml.model)->rounds);
	}
	if (pthread_create(&ml.th, NULL, ml_thread, NULL) != 0) {
		snprintf(err, errlen, "ml: cannot start its thread");
		goto fail;
	}
	pthread_setname_np(ml.th, "hp-ml");
	ml.started = true;
	return 0;
fail:
	hp_ctl_ml_stop();
	return -1;
}

void
hp_ctl_ml_stop(void)
{
	if (ml.started) {
		ml.stop = true;
		pthread_join(ml.th, NULL);
		ml.started = false;
	}
	hp_ml_model_free(ml.model);
	ml.model = NULL;
	hp_ml_model_free(__atomic_exchange_n(&ml.next, NULL, __ATOMIC_ACQ_REL));
	hp_kserve_close(ml.ks); /* what was in flight is abandoned: its requests time out */
	ml.ks = NULL;
	for (uint32_t i = 0; i < HP_KSERVE_MAX_INFLIGHT; i++) {
		free(ml.fly[i]);
		ml.fly[i] = NULL;
	}
	hp_batcher_fini(&ml.b);
	for (unsigned int w = 0; w < HP_MAX_WORKERS; w++) {
		rte_ring_free(ml.to_events[w]);
		ml.to_events[w] = NULL;
		free(ml.join[w]);
		ml.join[w] = NULL;
	}
	free(ml.pend);
	free(ml.rows);
	free(ml.batch);
	free(ml.scores);
	free(ml.rates);
	ml.rates = NULL;
	ml.pend = NULL;
	ml.rows = ml.batch = ml.scores = NULL;
}

int
hp_ctl_ml_take(unsigned int worker, uint32_t seq, float *score, uint8_t *state, uint32_t *version,
	       float *rates)
{
	struct rte_ring *r = worker < HP_MAX_WORKERS ? ml.to_events[worker] : NULL;
	struct hp_ml_answer a;
	struct join_slot *slot;

	if (r == NULL || ml.join[worker] == NULL)
		return -1;
	/* the answers come in record order, the events not always (a request's event may wait
	 * for its response while a later one on another flow is written first): every answer
	 * waiting goes to its place in the table, and each event takes its own */
	while (rte_ring_sc_dequeue_elem(r, &a, sizeof(a)) == 0) {
		slot = &ml.join[worker][a.seq & ml.join_mask];
		*slot = (struct join_slot){.seq = a.seq,
					   .here = 1,
					   .state = (uint8_t)a.state,
					   .score = a.score,
					   .version = a.version};
		memcpy(slot->rates, a.rates, sizeof(slot->rates));
	}
	slot = &ml.join[worker][seq & ml.join_mask];
	if (slot->here && slot->seq == seq) {
		*score = slot->score;
		*state = slot->state;
		*version = slot->version;
		memcpy(rates, slot->rates, sizeof(slot->rates));
		slot->here = 0;
		return 1;
	}
	/* its place holds a later record's answer: the answer of seq came and was overwritten
	 * (its event came more than a table later), or was lost on the way */
	if (slot->here && (int32_t)(slot->seq - seq) > 0)
		return -1;
	return 0;
}

/* The batch latency at quantile q (upper bound of its bucket), microseconds. */
static uint64_t
lat_quantile(const struct ml_stats *st, double q)
{
	uint64_t total = 0, seen = 0;

	for (unsigned int k = 0; k < ML_LAT_BUCKETS; k++)
		total += st->lat[k];
	if (total == 0)
		return 0;
	for (unsigned int k = 0; k < ML_LAT_BUCKETS; k++) {
		seen += st->lat[k];
		if ((double)seen >= q * (double)total)
			return 1ULL << k;
	}
	return 1ULL << (ML_LAT_BUCKETS - 1);
}

void
hp_ctl_ml_json(FILE *f)
{
	struct ml_stats st;
	json_t *root = json_object(), *models = json_array(), *m = NULL;

	snapshot(&st);
	pthread_mutex_lock(&ml.info_lock);
	if (ml.version != 0 && ml.ks == NULL) {
		const struct hp_ml_model_info *in = &ml.info;

		m = json_pack("{s:s,s:s,s:s,s:I,s:i,s:i,s:i,s:I,s:f,s:f}", "name", "default",
			      "backend", "embedded", "path", ml.model_path, "version",
			      (json_int_t)ml.version, "features", (int)in->n_features,
			      "features_version", HP_ML_FEATURES_VERSION, "rounds", in->rounds,
			      "loaded_at", (json_int_t)ml.loaded_at, "load_ms", in->load_ns / 1e6,
			      "warmup_ms", in->warmup_ns / 1e6);
	} else if (ml.version != 0) {
		const struct hp_kserve_model_info *in = &ml.ks_info;

		/* the server's own name, version and platform of the model, as it said at the
		 * last check ("" before a check succeeded) */
		m = json_pack("{s:s,s:s,s:s,s:s,s:I,s:i,s:i,s:I,s:{s:s,s:s,s:s,s:f,s:f}}", "name",
			      "default", "backend", "kserve", "url", ml.ks_url, "remote_model",
			      ml.model_path, "version", (json_int_t)ml.version, "features",
			      HP_ML_N_FEATURES, "features_version", HP_ML_FEATURES_VERSION,
			      "loaded_at", (json_int_t)ml.loaded_at, "server", "name", in->name,
			      "version", in->version, "platform", in->platform, "check_ms",
			      in->check_ns / 1e6, "warmup_ms", in->warmup_ns / 1e6);
		json_object_set_new(
			m, "kserve",
			json_pack("{s:s,s:I,s:I,s:{s:I,s:I,s:I,s:I,s:I},s:I,s:I,s:I,s:s}",
				  "breaker",
				  hp_kserve_breaker_name((enum hp_kserve_breaker)st.ks.state),
				  "inflight", (json_int_t)st.ks.inflight, "rows",
				  (json_int_t)st.ks.rows, "requests", "ok",
				  (json_int_t)st.ks.requests[HP_KSERVE_OK], "connection",
				  (json_int_t)st.ks.requests[HP_KSERVE_CONNECT], "timeout",
				  (json_int_t)st.ks.requests[HP_KSERVE_TIMEOUT], "http_status",
				  (json_int_t)st.ks.requests[HP_KSERVE_HTTP], "bad_answer",
				  (json_int_t)st.ks.requests[HP_KSERVE_BAD_ANSWER], "breaker_opens",
				  (json_int_t)st.ks.opens, "probes_ready",
				  (json_int_t)st.ks.probes[1], "probes_failed",
				  (json_int_t)st.ks.probes[0], "last_error", st.ks_error));
	}
	pthread_mutex_unlock(&ml.info_lock);
	if (m != NULL)
		json_array_append_new(models, m);
	json_object_set_new(root, "models", models);
	json_object_set_new(root, "batcher",
			    json_pack("{s:I,s:I,s:i,s:i,s:I,s:I,s:I,s:I,s:I}", "batches",
				      (json_int_t)st.batches, "rows", (json_int_t)st.rows, "queued",
				      (int)st.queued, "batch_limit", (int)st.limit, "by_full",
				      (json_int_t)st.by_reason[HP_BATCH_FULL], "by_delay",
				      (json_int_t)st.by_reason[HP_BATCH_DELAY], "by_preferred",
				      (json_int_t)st.by_reason[HP_BATCH_PREFERRED],
				      "latency_p50_us", (json_int_t)lat_quantile(&st, 0.5),
				      "latency_p99_us", (json_int_t)lat_quantile(&st, 0.99)));
	json_object_set_new(root, "records", json_integer((json_int_t)st.records));
	json_object_set_new(root, "scored", json_integer((json_int_t)st.scored));
	json_object_set_new(root, "missing_queue", json_integer((json_int_t)st.missing_queue));
	json_object_set_new(root, "missing_error", json_integer((json_int_t)st.missing_error));
	json_object_set_new(root, "missing_breaker", json_integer((json_int_t)st.missing_breaker));
	json_object_set_new(root, "answers_lost", json_integer((json_int_t)st.answers_lost));
	json_object_set_new(root, "errors", json_integer((json_int_t)st.errors));
	json_dumpf(root, f, HP_JSON_FLAGS);
	json_decref(root);
}

/* backend kserve: the client's requests and breaker. */
static void
kserve_metrics(FILE *f, const struct ml_stats *st)
{
	fprintf(f, "# HELP hookpath_ml_kserve_requests_total Infer requests to the KServe server, "
		   "by how they ended.\n"
		   "# TYPE hookpath_ml_kserve_requests_total counter\n");
	for (unsigned int r = 0; r < HP_KSERVE__MAX; r++)
		fprintf(f, "hookpath_ml_kserve_requests_total{result=\"%s\"} %llu\n",
			hp_kserve_result_name((enum hp_kserve_result)r),
			(unsigned long long)st->ks.requests[r]);
	fprintf(f,
		"# HELP hookpath_ml_kserve_rows_total Rows sent to the KServe server.\n"
		"# TYPE hookpath_ml_kserve_rows_total counter\nhookpath_ml_kserve_rows_total %llu\n"
		"# HELP hookpath_ml_kserve_inflight Infer requests in flight.\n"
		"# TYPE hookpath_ml_kserve_inflight gauge\nhookpath_ml_kserve_inflight %u\n"
		"# HELP hookpath_ml_kserve_breaker_open 1 while the breaker is open or probing "
		"(records answered missing at once).\n"
		"# TYPE hookpath_ml_kserve_breaker_open gauge\nhookpath_ml_kserve_breaker_open %d\n"
		"# HELP hookpath_ml_kserve_breaker_opens_total Times the breaker opened.\n"
		"# TYPE hookpath_ml_kserve_breaker_opens_total counter\n"
		"hookpath_ml_kserve_breaker_opens_total %llu\n"
		"# HELP hookpath_ml_kserve_probes_total Readiness probes of an open breaker, by "
		"result.\n"
		"# TYPE hookpath_ml_kserve_probes_total counter\n"
		"hookpath_ml_kserve_probes_total{result=\"ready\"} %llu\n"
		"hookpath_ml_kserve_probes_total{result=\"failed\"} %llu\n",
		(unsigned long long)st->ks.rows, st->ks.inflight, st->ks.state != HP_KSERVE_CLOSED,
		(unsigned long long)st->ks.opens, (unsigned long long)st->ks.probes[1],
		(unsigned long long)st->ks.probes[0]);
}

void
hp_ctl_ml_metrics(FILE *f)
{
	struct ml_stats st;

	snapshot(&st);
	uint64_t cum = 0;

	fprintf(f,
		"# HELP hookpath_ml_rows_total Feature records taken by the ML thread.\n"
		"# TYPE hookpath_ml_rows_total counter\nhookpath_ml_rows_total %llu\n",
		(unsigned long long)st.records);
	fprintf(f,
		"# HELP hookpath_ml_scored_total Records scored by the model.\n"
		"# TYPE hookpath_ml_scored_total counter\nhookpath_ml_scored_total %llu\n",
		(unsigned long long)st.scored);
	fprintf(f,
		"# HELP hookpath_ml_missing_total Records answered without a score, by why.\n"
		"# TYPE hookpath_ml_missing_total counter\n"
		"hookpath_ml_missing_total{why=\"queue\"} %llu\n"
		"hookpath_ml_missing_total{why=\"error\"} %llu\n"
		"hookpath_ml_missing_total{why=\"answer_lost\"} %llu\n"
		"hookpath_ml_missing_total{why=\"breaker\"} %llu\n",
		(unsigned long long)st.missing_queue, (unsigned long long)st.missing_error,
		(unsigned long long)st.answers_lost, (unsigned long long)st.missing_breaker);
	if (ml.ks != NULL)
		kserve_metrics(f, &st);
	fprintf(f, "# HELP hookpath_ml_batch_seconds Time the model took per batch.\n"
		   "# TYPE hookpath_ml_batch_seconds histogram\n");
	for (unsigned int k = 0; k < ML_LAT_BUCKETS; k++) {
		cum += st.lat[k];
		if (k + 1 < ML_LAT_BUCKETS)
			fprintf(f, "hookpath_ml_batch_seconds_bucket{le=\"%g\"} %llu\n",
				(double)(1ULL << k) / 1e6, (unsigned long long)cum);
	}
	fprintf(f,
		"hookpath_ml_batch_seconds_bucket{le=\"+Inf\"} %llu\n"
		"hookpath_ml_batch_seconds_sum %g\nhookpath_ml_batch_seconds_count %llu\n",
		(unsigned long long)cum, st.lat_sum_us / 1e6, (unsigned long long)cum);
	cum = 0;
	fprintf(f, "# HELP hookpath_ml_batch_rows Rows per batch.\n"
		   "# TYPE hookpath_ml_batch_rows histogram\n");
	for (unsigned int k = 0; k < ML_SIZE_BUCKETS; k++) {
		cum += st.size[k];
		if (k + 1 < ML_SIZE_BUCKETS)
			fprintf(f, "hookpath_ml_batch_rows_bucket{le=\"%llu\"} %llu\n", 1ULL << k,
				(unsigned long long)cum);
	}
	fprintf(f,
		"hookpath_ml_batch_rows_bucket{le=\"+Inf\"} %llu\n"
		"hookpath_ml_batch_rows_sum %llu\nhookpath_ml_batch_rows_count %llu\n",
		(unsigned long long)cum, (unsigned long long)st.rows, (unsigned long long)cum);
	cum = 0;
	fprintf(f, "# HELP hookpath_ml_score Scores given, by tenth.\n"
		   "# TYPE hookpath_ml_score histogram\n");
	for (unsigned int k = 0; k < ML_SCORE_BUCKETS; k++) {
		cum += st.score_hist[k];
		fprintf(f, "hookpath_ml_score_bucket{le=\"%.1f\"} %llu\n",
			(double)(k + 1) / ML_SCORE_BUCKETS, (unsigned long long)cum);
	}
	fprintf(f,
		"hookpath_ml_score_bucket{le=\"+Inf\"} %llu\nhookpath_ml_score_sum %g\n"
		"hookpath_ml_score_count %llu\n",
		(unsigned long long)cum, st.score_sum, (unsigned long long)cum);
}

/* backend kserve: the model lives on its server; a reload checks it again (readiness,
 * metadata, a warm-up batch) and moves the version the events carry. -2: the server failed
 * the check (the breaker opens until a probe finds the model ready). */
static int
kserve_reload(const char *path, char *err, size_t errlen)
{
	struct hp_kserve_model_info in;

	if (path != NULL && path[0] != '\0') {
		snprintf(err, errlen,
			 "path: ml.backend is kserve, the model is loaded on its server; a reload "
			 "without a path checks it again");
		return -1;
	}
	if (hp_kserve_check(ml.ks, &in, err, errlen) != 0)
		return -2;
	pthread_mutex_lock(&ml.info_lock);
	ml.ks_info = in;
	ml.loaded_at = (uint64_t)time(NULL);
	__atomic_store_n(&ml.version, ml.version + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ml.info_lock);
	return 0;
}

int
hp_ctl_ml_reload(const char *path, char *err, size_t errlen)
{
	struct hp_ml_model *m;
	char cur[HP_CFG_PATH_LEN];
	uint32_t v;

	if (!ml.started) {
		snprintf(err, errlen, "ML scoring is not running");
		return -1;
	}
	if (ml.ks != NULL)
		return kserve_reload(path, err, errlen);
	pthread_mutex_lock(&ml.info_lock);
	snprintf(cur, sizeof(cur), "%s", ml.model_path);
	pthread_mutex_unlock(&ml.info_lock);
	if (path == NULL || path[0] == '\0')
		path = cur;
	if (strlen(path) >= sizeof(ml.next_path)) {
		snprintf(err, errlen, "path: longer than %zu bytes", sizeof(ml.next_path) - 1);
		return -1;
	}
	/* loaded and warmed up here (the control thread), handed over ready */
	if (hp_ml_model_load(path, HP_ML_N_FEATURES, ml.max_batch, &m, err, errlen) != 0)
		return -1;
	v = __atomic_load_n(&ml.version, __ATOMIC_ACQUIRE);
	pthread_mutex_lock(&ml.info_lock);
	snprintf(ml.next_path, sizeof(ml.next_path), "%s", path);
	pthread_mutex_unlock(&ml.info_lock);
	/* a reload not taken yet was never used: freed */
	hp_ml_model_free(__atomic_exchange_n(&ml.next, m, __ATOMIC_ACQ_REL));
	/* until the ML thread took it (between two batches: a few ms at most) */
	for (int i = 0; i < 2000 && __atomic_load_n(&ml.version, __ATOMIC_ACQUIRE) == v; i++) {
		struct timespec ts = {0, 1000000};

		nanosleep(&ts, NULL);
	}
	return __atomic_load_n(&ml.version, __ATOMIC_ACQUIRE) != v ? 0 : 1;
}

int
hp_ctl_ml_health(char *why, size_t len)
{
	struct ml_stats st;

	if (!ml.started || !ml.configured)
		return 1;
	if (ml.ks == NULL)
		return 0; /* embedded: the model loaded at start, or the start failed */
	snapshot(&st);
	if (st.ks.state == HP_KSERVE_CLOSED)
		return 0;
	snprintf(why, len, "kserve breaker %s%s%s",
		 hp_kserve_breaker_name((enum hp_kserve_breaker)st.ks.state),
		 st.ks_error[0] ? ": " : "", st.ks_error);
	return -1;
}

uint32_t
hp_ctl_ml_version(void)
{
	return __atomic_load_n(&ml.version, __ATOMIC_ACQUIRE);
}
