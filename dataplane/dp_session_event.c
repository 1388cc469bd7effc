/* SPDX-License-Identifier: BSD-3-Clause
 * HTTP sessions: the event of a request (dp_event.h): counted by verdict and reason,
 * filled from what was parsed (never a matched PII text), sent on the worker's ring to the
 * control thread.
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

/* ---- events ---- */

static void
span_copy(char *dst, size_t cap, uint8_t *len, uint16_t *len16, const struct hp_http_span *sp,
	  uint16_t *flags, uint16_t trunc_flag)
{
	size_t n = sp->len;

	if (n > cap) {
		n = cap;
		*flags |= trunc_flag;
	}
	if (n != 0) /* an empty span may have no pointer */
		memcpy(dst, sp->p, n);
	if (len != NULL)
		*len = (uint8_t)n;
	else
		*len16 = (uint16_t)n;
}

/* Fill the flow part of an event: client = the flow's client endpoint. */
static void
event_flow(struct hp_event *e, const struct hp_flow *f)
{
	const struct hp_flow_key *k = &f->key;
	unsigned int c = f->client, s = f->client ^ 1;

	e->family = k->family;
	memcpy(e->src, k->addr[c], 16);
	memcpy(e->dst, k->addr[s], 16);
	e->sport = k->port[c];
	e->dport = k->port[s];
	if (f->midstream)
		e->flags |= HP_EV_F_MIDSTREAM;
}

void
hps_event_emit(struct hp_session *s, struct hp_event *e)
{
	struct hp_worker *w = s->w;
	uint64_t now = rte_rdtsc();

	e->tsc = now;
	e->latency_tsc = now - s->seg_tsc;
	e->worker = (uint8_t)w->id;
	if (w->ev_ring == NULL || unlikely(w->warming)) /* warm-up: filled, never sent */
		return;
	/* a flood of taken-back sessions (slowloris) must not crowd the verdicts of complete
	 * requests out of the ring: their events go only while it is less than half full */
	if (unlikely(e->reason == HP_EV_R_SESSION_EVICTED) &&
	    rte_ring_free_count(w->ev_ring) < rte_ring_get_capacity(w->ev_ring) / 2) {
		w->ctr.c[HP_CTR_EVENTS_SHED]++;
		return;
	}
	if (rte_ring_sp_enqueue_elem(w->ev_ring, e, sizeof(*e)) == 0)
		w->ctr.c[HP_CTR_EVENTS]++;
	else
		w->ctr.c[HP_CTR_EVENTS_RING_FULL]++;
}

/* Count a verdict: verdict and reason counters, the latency histogram, the endpoint's. */
void
hps_event_count(struct hp_session *s, enum hp_ev_verdict v, enum hp_ev_reason r)
{
	static const enum hp_ctr vctr[] = {
		[HP_EV_ACCEPT] = HP_CTR_VERDICT_ACCEPT,
		[HP_EV_REJECT] = HP_CTR_VERDICT_REJECT,
		[HP_EV_DUPLICATE] = HP_CTR_VERDICT_DUPLICATE,
		[HP_EV_PASS] = HP_CTR_VERDICT_PASS,
	};
	struct hp_worker *w = s->w;

	w->ctr.c[vctr[v]]++;
	w->ctr.c[HP_CTR_REASON_BASE + r]++;
	{
		uint64_t ns = (uint64_t)(((unsigned __int128)(rte_rdtsc() - s->seg_tsc) *
					  hp_dp.tsc_mult) >>
					 32);

		w->ctr.lat[hp_lat_bucket(ns)]++;
		w->ctr.lat_sum_ns += ns;
	}
	if (s->ep != NULL && v != HP_EV_PASS) { /* pass: a routed request cut short (incomplete) */
		uint64_t *ec = s->eps->w[w->id].ep_ctr[s->ep->index];

		ec[v == HP_EV_ACCEPT      ? HP_EP_CTR_ACCEPT
		   : v == HP_EV_DUPLICATE ? HP_EP_CTR_DUPLICATE
					  : HP_EP_CTR_REJECT]++;
	}
}

/* Everything of the event of request req but its verdict (req may be NULL when the request
 * line itself was bad; id: the provider's delivery id, may be NULL). Ends the body hash. */
void
hps_event_fill(struct hp_session *s, const struct hp_http_request *req, uint16_t extra_flags,
	       const struct hp_vspan *id, struct hp_event *e)
{
	struct hp_worker *w = s->w;

	memset(e, 0, sizeof(*e));
	event_flow(e, s->flow);
	e->endpoint = s->ep != NULL ? s->ep->index : HP_EV_NO_ENDPOINT;
	if (s->ep != NULL) { /* by value: the configuration may change before it is written */
		memcpy(e->ep_name, s->ep->cfg->name, sizeof(e->ep_name));
		memcpy(e->ep_provider, s->ep->cfg->provider, sizeof(e->ep_provider));
	}
	if (s->pii_valid) { /* counts per entity, never the matched text */
		const struct hp_pii_result *pr = w->pii_res;
		unsigned int n = 0;

		e->flags |= HP_EV_F_PII;
		for (unsigned int k = 0; pr->total != 0 && k < HP_PII_MAX_ENTITIES; k++) {
			if (pr->count[k] == 0)
				continue;
			if (n == HP_EV_PII_MAX) {
				e->flags |= HP_EV_F_PII_TRUNC;
				break;
			}
			e->pii_entity[n] = (uint8_t)k;
			e->pii_count[n++] = (uint16_t)RTE_MIN(pr->count[k], UINT16_MAX);
		}
		e->pii_n = (uint8_t)n;
		if (s->masked_bytes != 0) {
			e->flags |= HP_EV_F_MASKED;
			e->pii_masked = s->masked_bytes;
		}
	}
	if (id != NULL && id->len != 0) {
		size_t n = id->len;

		if (n > HP_EV_ID_MAX) {
			n = HP_EV_ID_MAX;
			e->flags |= HP_EV_F_ID_TRUNC;
		}
		memcpy(e->webhook_id, id->p, n);
		e->webhook_id_len = (uint8_t)n;
	}
	e->flags |= extra_flags | (uint16_t)s->req_flags;
	e->ml_state = s->ml_state;
	if (s->ml_state != HP_EV_ML_NONE) {
		e->ml_seq = s->ml_seq;
		e->ml_score = s->ml_score;
		memcpy(e->ml_f, s->ml_f, sizeof(e->ml_f));
	}
	if (req != NULL) {
		span_copy(e->method, sizeof(e->method), &e->method_len, NULL, &req->method,
			  &e->flags, HP_EV_F_METHOD_TRUNC);
		span_copy(e->host, sizeof(e->host), &e->host_len, NULL, &req->host, &e->flags,
			  HP_EV_F_HOST_TRUNC);
		span_copy(e->uri, sizeof(e->uri), NULL, &e->uri_len, &req->target, &e->flags,
			  HP_EV_F_URI_TRUNC);
		e->body_len = req->body_len;
		if (req->flags & HP_HTTP_REQ_BODY_GAP)
			e->flags |= HP_EV_F_GAP;
		if (s->hashing && !(e->flags & (HP_EV_F_GAP | HP_EV_F_INCOMPLETE))) {
			unsigned int n = 0;

			if (EVP_DigestFinal_ex(s->sha, e->body_sha256, &n) == 1 && n == 32)
				e->flags |= HP_EV_F_BODY_HASH;
		}
	}
	s->hashing = false;
}

/* An event for request req: counted, filled, sent to the control thread. */
void
hps_request_event_id(struct hp_session *s, const struct hp_http_request *req, enum hp_ev_verdict v,
		     enum hp_ev_reason r, uint16_t extra_flags, const struct hp_vspan *id)
{
	struct hp_event e;

	hps_event_count(s, v, r);
	if (v == HP_EV_REJECT || v == HP_EV_DUPLICATE)
		hps_capture(s, req, v, r, id); /* before the event ends the body hash */
	if (s->w->ev_ring == NULL) {
		s->hashing = false;
		return;
	}
	hps_event_fill(s, req, extra_flags, id, &e);
	e.verdict = (uint8_t)v;
	e.reason = (uint8_t)r;
	hps_event_emit(s, &e);
}

void
hps_request_event(struct hp_session *s, const struct hp_http_request *req, enum hp_ev_verdict v,
		  enum hp_ev_reason r, uint16_t extra_flags)
{
	hps_request_event_id(s, req, v, r, extra_flags, NULL);
}
