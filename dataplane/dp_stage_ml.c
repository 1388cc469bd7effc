/* SPDX-License-Identifier: BSD-3-Clause
 * Stage ml: the request's feature vector (lib/ml/ml_features.h, version 1), sent to the
 * control plane's ML thread on the worker's own ring (controlplane/ctl_ml.c batches and
 * scores it). Last in the order: it sees what verify, the PII scan and the replay cache said.
 *
 *   score, flag  the record goes (staged in the worker, sent with others in one enqueue by
 *                hp_ml_flush: see ml.worker_gather_us); the request goes on at once; the control
 * thread joins the score to the request's event (ml_seq). A full ring: the score is missing
 * (ml_ring_full in the event), the worker never waits. enforce      (bridge) the request waits for
 * its score like the shared replay check: its segments held, its verdict with the answer
 * (dp_session_await.c): above ml.threshold 403 ml_blocked; no score within ml.timeout_ms:
 * ml.on_timeout.
 *
 * The rate features (src_rate, ep_rate, new_source, gap_ms) are not the worker's: it sends the
 * client address's keyed hash and the request's time, and the ML thread counts them for all
 * workers together (lib/ml/ml_rates.h) and returns them with the score for the event.
 *
 * The JSON shape (depth, keys) comes from verify when its HMAC read the body for it
 * (hp_ml_body_pass: the scan in the loop that hashes the body, lib/ml/ml_json_sha.h), else
 * from a scan here.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_random.h>
#include <rte_ring_elem.h>

#include "dp_flow.h"
#include "dp_route.h"
#include "dp_session_priv.h"
#include "dp_stage.h"
#include "dp_types.h"
#include "hp_assert.h"
#include "http_parse.h"
#include "ml_features.h"
#include "ml_json.h"
#include "ml_json_sha.h"
#include "pii.h"

#define foreach_ml_ctr(_)                                                                          \
	_(RECORDS, ml_records, "Feature records sent to the ML thread.")                           \
	_(RING_FULL, ml_ring_full,                                                                 \
	  "Feature records not sent: the worker's ring to the ML "                                 \
	  "thread was full (the score is missing).")                                               \
	_(WAITS, ml_waits, "Requests waiting for their score (enforce).")                          \
	_(NO_WAIT, ml_no_wait,                                                                     \
	  "Enforce requests that could not wait (wait table full, nothing held): "                 \
	  "ml.on_timeout decided at once.")

enum {
#define _(sym, name, help) ML_CTR_##sym,
	foreach_ml_ctr(_)
#undef _
		ML_CTR__MAX
};

static const struct hp_stage_ctr ml_ctrs[] = {HP_STAGE_CTR_TABLE(foreach_ml_ctr)};

_Static_assert(HP_EV_ML_FEATURES == HP_ML_N_FEATURES, "the event carries the feature vector");

static const enum hp_ev_reason ml_reasons[] = {HP_EV_R_ML_UNAVAILABLE, HP_EV_R_OK};

struct ml_state {
	hp_ml_json_fn json_shape; /* the JSON shape scan this CPU runs fastest */
};

/* The key of the source addresses' hash (random, per process: an attacker cannot choose
 * addresses that share a victim's sketch counters), set at the first endpoint's init (the
 * control plane, before the workers run). */
static uint64_t ml_hash_key[2];

/* The JSON shape scan fused into the HMAC (ml_json_sha.h), NULL: none on this CPU. Set at the
 * first endpoint's init (the control plane, before the workers run); the same for all. */
static const struct hp_ml_json_sha *ml_json_sha;

struct hp_vbody_pass *
hp_ml_body_pass(struct hp_req_ctx *c)
{
	const struct hp_ml_json_sha *f = ml_json_sha;
	struct hp_vbody_pass *p = &c->body_pass;

	if (f == NULL || c->ep->ml_policy == HP_ML_POLICY_OFF)
		return NULL;
	p->body = c->req->body_copy;
	p->len = c->req->body_copy_len;
	p->run = f->run;
	c->ml_json = (struct hp_ml_json_state){0};
	p->arg = &c->ml_json;
	p->done = false;
	return p;
}

static bool
ml_applies(const struct hp_route_ep *ep)
{
	return ep->ml_policy != HP_ML_POLICY_OFF;
}

static int
ml_ep_init(const struct hp_route_ep *ep, int socket, void **state, char *err, size_t errlen)
{
	*state = rte_zmalloc_socket("hp_ml_state", sizeof(struct ml_state), RTE_CACHE_LINE_SIZE,
				    socket);
	if (*state == NULL) {
		snprintf(err, errlen, "endpoints[%u].ml: out of memory for its rate state",
			 ep->index);
		return -1;
	}
	{
		const char *name;

		struct ml_state *st = *state;

		st->json_shape = hp_ml_json_pick(&name);
		ml_json_sha = hp_ml_json_sha_pick();
		if (ml_hash_key[0] == 0 && ml_hash_key[1] == 0) {
			ml_hash_key[0] = rte_rand();
			ml_hash_key[1] = rte_rand() | 1;
		}
	}
	return 0;
}

static void
ml_ep_free(void *state)
{
	rte_free(state);
}

/* One 64-bit hash of the source address, keyed per process; the ML thread's sketch rows
 * take its halves. */
static inline uint64_t
source_hash(const uint8_t *addr, const uint64_t key[2])
{
	uint64_t a, b, h;

	memcpy(&a, addr, 8);
	memcpy(&b, addr + 8, 8);
	h = (a ^ key[0]) * 0x9e3779b97f4a7c15ULL;
	h ^= (b ^ key[1]) * 0xc2b2ae3d27d4eb4fULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

static __rte_always_inline void
features(struct hp_req_ctx *c, const struct ml_state *st, float *f)
{
	const struct hp_http_request *req = c->req;
	const struct hp_route_ep *ep = c->ep;
	uint64_t now = c->req_ns;

	/* the session's copy of the vector, asked for before the scan of the body so that it
	 * is in cache after it */
	if (c->w->ev_ring != NULL) {
		rte_prefetch0_write(c->s->ml_f);
		rte_prefetch0_write(&c->s->ml_f[HP_EV_ML_FEATURES - 1]);
	}
	f[HP_MLF_ENDPOINT] = (float)ep->index;
	f[HP_MLF_PROVIDER] = (float)ep->provider_id;
	f[HP_MLF_BODY_LEN] = (float)req->body_copy_len;
	f[HP_MLF_N_HEADERS] = (float)req->n_headers;
	if (c->body_pass.done && c->body_pass.arg == &c->ml_json) { /* verify's HMAC read it */
		f[HP_MLF_JSON_DEPTH] = (float)c->ml_json.max_depth;
		f[HP_MLF_JSON_KEYS] = (float)c->ml_json.keys;
	} else {
		unsigned int depth, keys;

		st->json_shape(req->body_copy, req->body_copy_len, &depth, &keys);
		f[HP_MLF_JSON_DEPTH] = (float)depth;
		f[HP_MLF_JSON_KEYS] = (float)keys;
	}
	if (c->pii != NULL) {
		unsigned int ent = 0;

		for (unsigned int k = 0; k < HP_PII_MAX_ENTITIES; k++)
			ent += c->pii->count[k] != 0;
		f[HP_MLF_PII_MATCHES] = (float)c->pii->total;
		f[HP_MLF_PII_ENTITIES] = (float)ent;
	} else {
		f[HP_MLF_PII_MATCHES] = NAN;
		f[HP_MLF_PII_ENTITIES] = NAN;
	}
	f[HP_MLF_TS_SKEW_S] = c->vout.timestamp != 0
				      ? (float)((int64_t)(now / 1000000000ULL) - c->vout.timestamp)
				      : NAN;
	f[HP_MLF_VERIFIED] = ep->verifier != NULL ? 1.0f : 0.0f;
	f[HP_MLF_HAS_ID] = c->vout.webhook_id.len != 0 ? 1.0f : 0.0f;
	for (unsigned int k = 0; k < HP_ML_N_RATES; k++) /* the ML thread's (ml_rates.h) */
		f[HP_MLF_RATES_FIRST + k] = NAN;
	f[HP_MLF_HOUR] = (float)((now / 3600000000000ULL) % 24);
}

void
hp_ml_flush(struct hp_worker *w)
{
	unsigned int free_space;

	if (w->ml_n != 0) {
		unsigned int sent = rte_ring_sp_enqueue_burst_elem(
			w->ml_q, w->ml_stage, sizeof(w->ml_stage[0]), w->ml_n, &free_space);

		/* ml_room never exceeded the free space: the consumer only adds to it */
		HP_ASSERT(sent == w->ml_n);
		(void)sent;
		w->ml_n = 0;
		w->ml_enf = false;
	} else {
		free_space = rte_ring_free_count(w->ml_q);
	}
	w->ml_room = (uint16_t)RTE_MIN(free_space, (unsigned int)HP_ML_STAGE);
}

static enum hp_stage_res
ml_run(struct hp_req_ctx *c, void *state)
{
	struct hp_worker *w = c->w;
	struct hp_session *s = c->s;
	struct hp_ml_query *q;

	if (unlikely(w->warming)) {
		/* the warm-up at start (dp_worker.c): the features are computed, nothing is sent
		 * (synthetic requests must not count in the ML thread's rates), nothing waits */
		float f[HP_ML_N_FEATURES];

		features(c, state, f);
		memcpy(s->ml_f, f, sizeof(s->ml_f));
		return HP_STAGE_NEXT;
	}
	/* the stage is full, or the ring was at the last flush: send, and look again */
	if (unlikely(w->ml_n == w->ml_room)) {
		hp_ml_flush(w);
		if (w->ml_room == 0) {
			c->ctr[ML_CTR_RING_FULL]++;
			if (c->ep->ml_policy != HP_ML_POLICY_ENFORCE) {
				s->ml_state = HP_EV_ML_RING_FULL;
				return HP_STAGE_NEXT;
			}
			goto no_score;
		}
	}
	if (w->ml_n == 0) /* the burst's rx TSC: no clock read of its own */
		w->ml_t0 = s->seg_tsc;
	q = &w->ml_stage[w->ml_n];
	q->slot = 0;
	q->gen = 0;
	q->seq = ++w->ml_seq;
	q->endpoint = (uint16_t)c->ep->index;
	q->enforce = 0;
	q->pad = 0;
	q->src_hash = source_hash(s->flow->key.addr[s->flow->client], ml_hash_key);
	q->t_ns = c->req_ns;
	features(c, state, q->f);
	if (w->ev_ring != NULL) /* the event's copy: without events nobody reads it */
		memcpy(s->ml_f, q->f, sizeof(s->ml_f));
	if (c->ep->ml_policy == HP_ML_POLICY_ENFORCE) {
		q->enforce = 1;
		/* nothing held (the route downgrades enforce in tap, so this is bridge): waiting
		 * could not stop the request any more, and it was not scored: no score */
		if (s->n_held == 0 ||
		    !hps_await_begin(s, HP_GQ_ML, w->ml_timeout_tsc, &q->slot, &q->gen)) {
			c->ctr[ML_CTR_NO_WAIT]++;
			goto no_score;
		}
		w->ml_n++;
		w->ml_enf = true;
		c->ctr[ML_CTR_RECORDS]++;
		c->ctr[ML_CTR_WAITS]++;
		s->ml_state = HP_EV_ML_TIMEOUT; /* until the score comes */
		return HP_STAGE_WAIT;
	}
	w->ml_n++;
	c->ctr[ML_CTR_RECORDS]++;
	s->ml_state = HP_EV_ML_PENDING;
	s->ml_seq = q->seq;
	return HP_STAGE_NEXT;
no_score:
	s->ml_state = HP_EV_ML_RING_FULL;
	if (c->ep->ml_on_timeout == HP_ML_TIMEOUT_ACCEPT)
		return HP_STAGE_NEXT;
	return hp_stage_refuse(c, HP_EV_REJECT, HP_EV_R_ML_UNAVAILABLE);
}

const struct hp_stage hp_stage_ml = {
	.name = "ml",
	.ctrs = ml_ctrs,
	.n_ctrs = RTE_DIM(ml_ctrs),
	.reasons = ml_reasons,
	.applies = ml_applies,
	.ep_init = ml_ep_init,
	.ep_free = ml_ep_free,
	.run = ml_run,
};
