/* SPDX-License-Identifier: BSD-3-Clause
 * HTTP sessions: requests waiting for the control thread (the resolver: the shared replay
 * set in Redis, token lookups in Redis/Postgres). The question goes on a ring, the request is
 * held, the answer or the deadline decides.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_ring_elem.h>

#include "dedup.h"
#include "dp_types.h"
#include "dp_defrag.h"
#include "dp_event.h"
#include "dp_reply.h"
#include "dp_route.h"
#include "dp_session.h"
#include "dp_session_priv.h"
#include "http_parse.h"
#include "pii.h"

/* ---- shared replay check (replay_cache.global) ---- */

bool
hps_await_begin(struct hp_session *s, uint32_t kind, uint64_t timeout_tsc, uint32_t *slot,
		uint32_t *gen)
{
	struct hp_worker *w = s->w;
	struct hp_await *a;

	if (w->await == NULL || w->await_tail - w->await_head > w->await_mask)
		return false;
	*slot = w->await_tail & w->await_mask;
	*gen = ++w->await_gen;
	a = &w->await[*slot];
	a->s = s;
	a->gen = *gen;
	a->deadline_tsc = rte_rdtsc() + timeout_tsc;
	w->await_tail++;
	s->awaiting = true;
	s->await_kind = (uint8_t)kind;
	s->await_slot = *slot;
	s->await_gen = *gen;
	return true;
}

/* The question of the last hps_await_begin could not be sent: the entry goes back (it is
 * the tail: nothing was queued after it). */
void
hps_await_cancel(struct hp_session *s)
{
	struct hp_worker *w = s->w;

	w->await[s->await_slot].s = NULL;
	w->await_tail--;
	s->awaiting = false;
}

/* Put a query to the resolver and make the request wait for it (false: no room). */
bool
hps_await_ask(struct hp_session *s, struct hp_gquery *q, uint64_t timeout_tsc)
{
	/* the warm-up at start asks nobody: its requests go on as if the ring were full */
	if (s->w->gq == NULL || unlikely(s->w->warming) ||
	    !hps_await_begin(s, q->kind, timeout_tsc, &q->slot, &q->gen))
		return false;
	if (rte_ring_sp_enqueue_elem(s->w->gq, q, sizeof(*q)) != 0) {
		hps_await_cancel(s);
		return false;
	}
	return true;
}

void
hps_await_clear(struct hp_session *s)
{
	if (!s->awaiting)
		return;
	s->awaiting = false;
	s->w->await[s->await_slot].s = NULL;
}

/* Ask the resolver whether another appliance saw key. The request then waits: bridge, its
 * held segments stay held (nothing of it reached the server complete); tap, only its event. */
enum hps_global_ask
hps_global_ask(struct hp_session *s, const uint8_t key[HP_DEDUP_KEY_LEN], uint64_t ttl_ms)
{
	struct hp_worker *w = s->w;
	struct hp_gquery q = {.kind = HP_GQ_REPLAY, .ttl_s = (uint32_t)((ttl_ms + 999) / 1000)};

	if (w->is_bridge && s->n_held == 0) {
		/* nothing held: the answer could not stop it, so there is no answer to wait for:
		 * on_unavailable decides (reject by default) */
		w->ctr.c[HP_CTR_REPLAY_GLOBAL_SKIPPED]++;
		return HPS_GLOBAL_UNAVAILABLE;
	}
	memcpy(q.key, key, HP_DEDUP_KEY_LEN);
	if (!hps_await_ask(s, &q, w->global_timeout_tsc)) {
		w->ctr.c[HP_CTR_REPLAY_GLOBAL_BUSY]++;
		return HPS_GLOBAL_UNAVAILABLE;
	}
	w->ctr.c[HP_CTR_REPLAY_GLOBAL_ASKED]++;
	return HPS_GLOBAL_ASKED;
}

/* The waiting request's verdict: its event, then its held segments go on or are refused. */
void
hps_global_finish(struct hp_session *s, enum hp_ev_verdict v, enum hp_ev_reason r)
{
	struct hp_worker *w = s->w;
	uint64_t seg_tsc = s->seg_tsc;

	hps_await_clear(s);
	s->seg_tsc = s->await_tsc; /* latency from the completing segment */
	hps_event_count(s, v, r);
	hps_capture_finish(s, v, r);
	s->aev.verdict = (uint8_t)v;
	s->aev.reason = (uint8_t)r;
	if (v != HP_EV_ACCEPT) { /* masked copies are dropped with the request */
		s->aev.flags &= (uint16_t)~HP_EV_F_MASKED;
		s->aev.pii_masked = 0;
	}
	if (v == HP_EV_ACCEPT && !(s->aev.flags & HP_EV_F_MASKED) && s->masked_bytes != 0) {
		s->aev.flags |= HP_EV_F_MASKED;
		s->aev.pii_masked = s->masked_bytes;
	}
	if (w->ev_ring != NULL)
		hps_event_emit(s, &s->aev);
	s->seg_tsc = seg_tsc;
	if (v == HP_EV_ACCEPT) {
		if (s->holding)
			hps_hold_release(s);
		return;
	}
	s->rej_reason = r;
	s->rej_respond = s->ep != NULL ? s->ep->respond : true;
	s->rej_reset_server = s->ep != NULL ? s->ep->reset_server : true;
	s->rej_active = false; /* tap: the request is long gone */
	if (w->is_bridge && s->tmpl_valid) {
		/* RST to the server at the first held byte, answer to the client, flow cut: as a
		 * reject in the segment's own burst, with the last held segment as template */
		struct rte_mbuf *m = s->tmpl_m;
		struct hp_pkt pkt = s->tmpl_pkt;

		rte_mbuf_refcnt_update(m, 1);
		hps_reject_act(w, s, m, rte_pktmbuf_mtod(m, const uint8_t *), &pkt);
		rte_pktmbuf_free(m);
	} else if (s->holding) {
		uint32_t first;

		hps_hold_drop(s, &first);
	}
}

/* An enforce wait without a score (why: enum hp_ev_ml): ml.on_timeout decides. */
static void
ml_missing(struct hp_session *s, enum hp_ev_ml why)
{
	s->aev.ml_state = (uint8_t)why;
	if (s->ep != NULL && s->ep->ml_on_timeout == HP_ML_TIMEOUT_ACCEPT) {
		s->w->ctr.c[HP_CTR_ML_TIMEOUT_ACCEPTED]++;
		hps_global_finish(s, HP_EV_ACCEPT, HP_EV_R_OK);
	} else {
		hps_global_finish(s, HP_EV_REJECT, HP_EV_R_ML_UNAVAILABLE);
	}
}

/* A waiting request whose answer will not come (timeout, a pipelined request behind it,
 * the flow ending): replay, per replay_cache.global.on_unavailable; token, 503. */
void
hps_await_give_up(struct hp_session *s)
{
	s->aev.flags &= (uint16_t)~HP_EV_F_GLOBAL;
	if (s->await_kind == HP_GQ_ML)
		ml_missing(s, HP_EV_ML_TIMEOUT);
	else if (s->await_kind == HP_GQ_TOKEN)
		hps_global_finish(s, HP_EV_REJECT, HP_EV_R_TOKEN_UNAVAILABLE);
	else if (s->w->global_reject)
		hps_global_finish(s, HP_EV_REJECT, HP_EV_R_REPLAY_UNAVAILABLE);
	else
		hps_global_finish(s, HP_EV_ACCEPT, HP_EV_R_OK);
}

/* L2/L3 said the token is this endpoint's: the replay check, then the verdict. */
void
hps_token_valid(struct hp_session *s)
{
	struct hp_worker *w = s->w;

	hps_await_clear(s);
	if (s->tok_has_key) {
		uint64_t now_ms = hp_dp_now_ns(rte_rdtsc()) / 1000000;
		enum hp_dedup_result d =
			hp_dedup_check_insert(hp_dp.dedup, s->tok_key, now_ms, s->tok_ttl_ms);

		if (d == HP_DEDUP_DUPLICATE) {
			hps_global_finish(s, HP_EV_DUPLICATE, HP_EV_R_DUPLICATE);
			return;
		}
		if (d != HP_DEDUP_FIRST) {
			hps_global_finish(s, HP_EV_REJECT,
					  d == HP_DEDUP_FULL ? HP_EV_R_REPLAY_CACHE_FULL
							     : HP_EV_R_REPLAY_CACHE_BUSY);
			return;
		}
		if (w->global_replay) {
			switch (hps_global_ask(s, s->tok_key, s->tok_ttl_ms)) {
			case HPS_GLOBAL_ASKED:
				s->aev.flags |= HP_EV_F_GLOBAL;
				return;
			case HPS_GLOBAL_UNAVAILABLE:
				if (w->global_reject) {
					hps_global_finish(s, HP_EV_REJECT,
							  HP_EV_R_REPLAY_UNAVAILABLE);
					return;
				}
				break;
			}
		}
	}
	hps_global_finish(s, HP_EV_ACCEPT, HP_EV_R_OK);
}

/* Answers of the resolver, then the waits past their deadline (FIFO: one timeout for all).
 * At most HPS_AWAIT_POLL_MAX verdicts per call, so that their RSTs and answers (two crafted
 * packets each) fit the worker's reply array before it is flushed. */

unsigned int
hps_await_poll(struct hp_worker *w, uint64_t now, struct hp_session **done_s,
	       unsigned int *n_sessions)
{
	struct hp_ganswer ans[HPS_AWAIT_POLL_MAX];
	struct hp_ml_answer mla[HPS_AWAIT_POLL_MAX];
	unsigned int n = 0, done, n_done = 0, m;

	if (w->ga != NULL)
		n = rte_ring_sc_dequeue_burst_elem(w->ga, ans, sizeof(ans[0]), HPS_AWAIT_POLL_MAX,
						   NULL);
	done = n;
	/* ML scores (enforce) */
	m = rte_ring_sc_dequeue_burst_elem(w->ml_a, mla, sizeof(mla[0]), HPS_AWAIT_POLL_MAX - n,
					   NULL);
	done += m;
	for (unsigned int i = 0; i < m; i++) {
		struct hp_await *a = &w->await[mla[i].slot & w->await_mask];
		struct hp_session *s = a->s;

		if (s == NULL || a->gen != mla[i].gen || !s->awaiting ||
		    s->await_gen != mla[i].gen || s->await_kind != HP_GQ_ML) {
			w->ctr.c[HP_CTR_ML_LATE]++; /* its wait timed out or was abandoned */
			continue;
		}
		w->ctr.c[HP_CTR_ML_ANSWERS]++;
		s->aev.ml_version = mla[i].version;
		/* the rate features the ML thread counted (lib/ml/ml_rates.h), for the event */
		memcpy(&s->aev.ml_f[HP_MLF_RATES_FIRST], mla[i].rates, sizeof(mla[i].rates));
		if (mla[i].state != HP_EV_ML_SCORED) {
			/* no score (the scorer's queue was full, the model failed): as a timeout */
			ml_missing(s, (enum hp_ev_ml)mla[i].state);
		} else if (s->ep != NULL && mla[i].score > s->ep->ml_threshold) {
			s->aev.ml_score = mla[i].score;
			s->aev.ml_state = HP_EV_ML_FLAGGED;
			hps_global_finish(s, HP_EV_REJECT, HP_EV_R_ML_BLOCKED);
		} else {
			s->aev.ml_score = mla[i].score;
			s->aev.ml_state = HP_EV_ML_SCORED;
			hps_global_finish(s, HP_EV_ACCEPT, HP_EV_R_OK);
		}
		done_s[n_done++] = s;
	}
	{
		for (unsigned int i = 0; i < n; i++) {
			struct hp_await *a = &w->await[ans[i].slot & w->await_mask];
			struct hp_session *s = a->s;

			if (s == NULL || a->gen != ans[i].gen || !s->awaiting ||
			    s->await_gen != ans[i].gen)
				continue; /* abandoned, or timed out first */
			if (s->await_kind == HP_GQ_TOKEN) {
				if (ans[i].result == HP_GA_TOKEN_VALID) {
					w->ctr.c[HP_CTR_TOKEN_VALID]++;
					hps_token_valid(s);
				} else if (ans[i].result == HP_GA_TOKEN_INVALID) {
					w->ctr.c[HP_CTR_TOKEN_INVALID]++;
					hps_global_finish(s, HP_EV_REJECT, HP_EV_R_BAD_TOKEN);
				} else {
					w->ctr.c[HP_CTR_TOKEN_UNAVAILABLE]++;
					hps_global_finish(s, HP_EV_REJECT,
							  HP_EV_R_TOKEN_UNAVAILABLE);
				}
			} else if (ans[i].result == HP_GA_FIRST) {
				w->ctr.c[HP_CTR_REPLAY_GLOBAL_FIRST]++;
				hps_global_finish(s, HP_EV_ACCEPT, HP_EV_R_OK);
			} else if (ans[i].result == HP_GA_DUPLICATE) {
				w->ctr.c[HP_CTR_REPLAY_GLOBAL_DUPLICATE]++;
				hps_global_finish(s, HP_EV_DUPLICATE, HP_EV_R_DUPLICATE);
			} else {
				w->ctr.c[HP_CTR_REPLAY_GLOBAL_UNAVAILABLE]++;
				hps_await_give_up(s);
			}
			done_s[n_done++] = s;
		}
	}
	while (w->await_head != w->await_tail && done < HPS_AWAIT_POLL_MAX) {
		struct hp_await *a = &w->await[w->await_head & w->await_mask];

		if (a->s != NULL) {
			if ((int64_t)(now - a->deadline_tsc) < 0)
				break;
			done++;
			struct hp_session *s = a->s;

			w->ctr.c[s->await_kind == HP_GQ_TOKEN ? HP_CTR_TOKEN_TIMEOUT
				 : s->await_kind == HP_GQ_ML  ? HP_CTR_ML_TIMEOUTS
							      : HP_CTR_REPLAY_GLOBAL_TIMEOUT]++;
			hps_await_give_up(s);
			done_s[n_done++] = s;
		}
		w->await_head++;
	}
	*n_sessions = n_done;
	return done;
}
