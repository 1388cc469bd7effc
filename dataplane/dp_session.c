/* SPDX-License-Identifier: BSD-3-Clause
 * HTTP sessions (see dp_session.h): TCP segments -> stream reassembly -> HTTP parser ->
 * events. Per-worker, no locks, no allocation per packet (sessions and their buffers come
 * from a pool made at start).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_mempool.h>
#include <rte_ring_elem.h>

#include "dedup.h"
#include "dp.h"
#include "dp_defrag.h"
#include "dp_event.h"
#include "dp_reply.h"
#include "dp_route.h"
#include "dp_session.h"
#include "dp_session_priv.h"
#include "dp_stage.h"
#include "dp_worker.h"
#include "http_parse.h"
#include "pii.h"
#include "stream_reasm.h"
#include "verify.h"

_Static_assert(HP_PII_MAX_ENTITIES <= 256, "entity ids fit the event's uint8_t");

/* Memory of one pool element: the session, then the parser state and its buffers. */
struct session_layout {
	size_t http_off, hdr_off, fields_off, line_off, body_off, held_off, ext_off, total;
};

static struct session_layout
layout(const struct hp_http_config *hc, const struct hp_worker *w)
{
	struct session_layout l;
	size_t o = RTE_ALIGN_CEIL(sizeof(struct hp_session), 64);

	l.http_off = o;
	o = RTE_ALIGN_CEIL(o + hp_http_conn_size(), 64);
	l.fields_off = o;
	o = RTE_ALIGN_CEIL(o + (size_t)hc->max_headers * sizeof(struct hp_http_header), 64);
	l.hdr_off = o;
	o = RTE_ALIGN_CEIL(o + hc->max_header_bytes, 64);
	l.line_off = o;
	o = RTE_ALIGN_CEIL(o + hc->max_line, 64);
	l.body_off = o;
	o = RTE_ALIGN_CEIL(o + hc->body_copy_max, 64);
	l.held_off = o;
	o = RTE_ALIGN_CEIL(o + (size_t)w->hold_max * sizeof(struct held_seg), 64);
	l.ext_off = o;
	o = RTE_ALIGN_CEIL(o + (size_t)w->ext_max * sizeof(struct body_ext), 64);
	l.total = o;
	return l;
}

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

static void
event_emit(struct hp_session *s, struct hp_event *e)
{
	struct hp_worker *w = s->w;
	uint64_t now = rte_rdtsc();

	e->tsc = now;
	e->latency_tsc = now - s->seg_tsc;
	e->worker = (uint8_t)w->id;
	if (w->ev_ring == NULL)
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
static void
event_count(struct hp_session *s, enum hp_ev_verdict v, enum hp_ev_reason r)
{
	static const enum hp_ctr vctr[] = {
		[HP_EV_ACCEPT] = HP_CTR_VERDICT_ACCEPT, [HP_EV_REJECT] = HP_CTR_VERDICT_REJECT,
		[HP_EV_DUPLICATE] = HP_CTR_VERDICT_DUPLICATE, [HP_EV_PASS] = HP_CTR_VERDICT_PASS,
	};
	struct hp_worker *w = s->w;

	w->ctr.c[vctr[v]]++;
	w->ctr.c[HP_CTR_REASON_BASE + r]++;
	{
		uint64_t ns = (uint64_t)(((unsigned __int128)(rte_rdtsc() - s->seg_tsc) *
					  hp_dp.tsc_mult) >> 32);

		w->ctr.lat[hp_lat_bucket(ns)]++;
		w->ctr.lat_sum_ns += ns;
	}
	if (s->ep != NULL && v != HP_EV_PASS) { /* pass: a routed request cut short (incomplete) */
		uint64_t *ec = s->eps->w[w->id].ep_ctr[s->ep->index];

		ec[v == HP_EV_ACCEPT	  ? HP_EP_CTR_ACCEPT
		   : v == HP_EV_DUPLICATE ? HP_EP_CTR_DUPLICATE
					  : HP_EP_CTR_REJECT]++;
	}
}

/* Everything of the event of request req but its verdict (req may be NULL when the request
 * line itself was bad; id: the provider's delivery id, may be NULL). Ends the body hash. */
static void
event_fill(struct hp_session *s, const struct hp_http_request *req, uint16_t extra_flags,
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
	if (req != NULL) {
		span_copy(e->method, sizeof(e->method), &e->method_len, NULL, &req->method, &e->flags,
			  HP_EV_F_METHOD_TRUNC);
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
static void
request_event_id(struct hp_session *s, const struct hp_http_request *req, enum hp_ev_verdict v,
		 enum hp_ev_reason r, uint16_t extra_flags, const struct hp_vspan *id)
{
	struct hp_event e;

	event_count(s, v, r);
	if (s->w->ev_ring == NULL) {
		s->hashing = false;
		return;
	}
	event_fill(s, req, extra_flags, id, &e);
	e.verdict = (uint8_t)v;
	e.reason = (uint8_t)r;
	event_emit(s, &e);
}

static void
request_event(struct hp_session *s, const struct hp_http_request *req, enum hp_ev_verdict v,
	      enum hp_ev_reason r, uint16_t extra_flags)
{
	request_event_id(s, req, v, r, extra_flags, NULL);
}

/* ---- PII hold (bridge): store-and-forward of the body of an endpoint that masks or blocks
 * (DESIGN §1). From its headers on, every client segment of the request that the worker can
 * keep (one mbuf segment, not an inspect-only copy) is held; the body bytes the parser sees are
 * mapped back to the held payloads (ext[]). Accept: the masked bytes are written into the held
 * payloads, each changed segment's TCP checksum is adjusted (RFC 1624), and everything goes out
 * in sequence order. Reject: everything held is freed and the server is reset at the first held
 * byte. ---- */

static inline bool
seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static bool hold_make_room(struct hp_worker *w);

/* Hold the segment being fed (once; not if it already went out or cannot be kept). */
static void
hold_cur(struct hp_session *s)
{
	struct hp_worker *w = s->w;

	if (s->cur_seg >= 0 || s->cur_consumed || !s->cur_holdable)
		return;
	if (s->n_held >= w->hold_limit) {
		s->hold_overflow = true;
		return;
	}
	if (unlikely(w->held_total >= w->held_budget) && !hold_make_room(w)) {
		w->ctr.c[HP_CTR_HELD_BUDGET_FULL]++;
		s->hold_overflow = true;
		return;
	}
	s->cur.dirty = false;
	s->held[s->n_held] = s->cur;
	s->cur_seg = s->n_held++;
	w->held_total++;
	if (s->cur_pkt != NULL && (!s->tmpl_valid || !seq_lt(s->cur.seq, s->tmpl_pkt.tcp_seq))) {
		s->tmpl_m = s->cur.m;
		s->tmpl_pkt = *s->cur_pkt;
		s->tmpl_valid = true;
	}
	w->ctr.c[HP_CTR_PII_HELD_SEGMENTS]++;
}

static void
hold_start(struct hp_session *s)
{
	s->holding = true;
	s->hold_overflow = false;
	s->ext_overflow = false;
	s->n_ext = 0;
	hold_cur(s);
}

/* Body bytes [body_off, body_off + len) were parsed from data: remember where they are. */
static void
hold_map(struct hp_session *s, uint32_t body_off, const uint8_t *data, uint32_t len)
{
	int32_t seg = -1;
	uint32_t off = 0;
	struct body_ext *x;

	for (int32_t i = (int32_t)s->n_held - 1; i >= 0; i--) {
		const struct held_seg *h = &s->held[i];

		if (h->payload != NULL && data >= h->payload && data + len <= h->payload + h->len) {
			seg = i;
			off = (uint32_t)(data - h->payload);
			break;
		}
	}
	if (s->n_ext != 0) {
		x = &s->ext[s->n_ext - 1];
		if (x->seg == seg && x->body_off + x->len == body_off &&
		    (seg < 0 || x->off + x->len == off)) {
			x->len += len;
			return;
		}
	}
	if (s->n_ext >= s->w->ext_max) {
		s->ext_overflow = true;
		return;
	}
	s->ext[s->n_ext++] = (struct body_ext){.body_off = body_off, .len = len, .off = off,
					       .seg = seg};
}

/* Does an opaque held segment (not rewritable) carry any byte of [a, b)? */
static bool
hold_opaque_overlaps(const struct hp_session *s, uint32_t a, uint32_t b)
{
	for (uint32_t j = 0; j < s->n_held; j++) {
		const struct held_seg *h = &s->held[j];

		if (h->payload == NULL && seq_lt(a, h->seq + h->len) && seq_lt(h->seq, b))
			return true;
	}
	return false;
}

/* Can every span to mask be rewritten (all its bytes in held segments, in every held copy)? */
bool
hps_hold_mask_ok(const struct hp_session *s, const struct hp_pii_result *r, uint64_t set)
{
	if (s->ext_overflow || r->n_dropped != 0)
		return false;
	for (uint32_t i = 0; i < r->n_spans; i++) {
		const struct hp_pii_span *sp = &r->span[i];
		uint32_t covered = 0;

		if (sp->entity >= 64 || !(set & (UINT64_C(1) << sp->entity)))
			continue;
		for (uint32_t k = 0; k < s->n_ext; k++) {
			const struct body_ext *x = &s->ext[k];
			uint32_t lo = RTE_MAX(sp->start, x->body_off);
			uint32_t hi = RTE_MIN(sp->end, x->body_off + x->len);
			uint32_t a;

			if (lo >= hi)
				continue;
			if (x->seg < 0)
				return false;
			a = s->held[x->seg].seq + x->off + (lo - x->body_off);
			if (hold_opaque_overlaps(s, a, a + (hi - lo)))
				return false;
			covered += hi - lo;
		}
		if (covered != sp->end - sp->start)
			return false;
	}
	return true;
}

static inline uint16_t
cksum_adjust(uint16_t ck, uint16_t old_sum, uint16_t new_sum)
{
	uint32_t x = (uint32_t)(uint16_t)~ck + (uint16_t)~old_sum + new_sum;

	x = (x & 0xffff) + (x >> 16);
	x = (x & 0xffff) + (x >> 16);
	return (uint16_t)~x;
}

/* Write n bytes at payload offset off of h, adjusting its TCP checksum over the 16-bit words
 * that change (word alignment counts from the TCP header). */
static void
patch_seg(struct held_seg *h, uint32_t off, const uint8_t *src, uint32_t n)
{
	uint8_t *l4 = rte_pktmbuf_mtod(h->m, uint8_t *) + h->l4_off;
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)l4;
	uint32_t rel = (uint32_t)(h->payload + off - l4);
	uint32_t end = (uint32_t)(h->payload + h->len - l4);
	uint32_t rs = rel & ~1u, re = RTE_MIN((rel + n + 1) & ~1u, end);
	uint16_t before = rte_raw_cksum(l4 + rs, re - rs);

	memcpy(h->payload + off, src, n);
	th->cksum = cksum_adjust(th->cksum, before, rte_raw_cksum(l4 + rs, re - rs));
	h->dirty = true;
}

/* Mask the body copy, then the same bytes in the held segments. Returns bytes changed. */
static uint32_t
hold_mask(struct hp_session *s, const struct hp_http_request *req, const struct hp_pii_result *r,
	  uint64_t set)
{
	struct hp_worker *w = s->w;
	uint8_t *body = s->body_buf;
	uint32_t changed, lo_seq = 0, hi_seq = 0;
	bool any = false;

	changed = (uint32_t)hp_pii_mask_sel(body, req->body_copy_len, r, w->mask_char, set);
	if (changed == 0)
		return 0;
	for (uint32_t i = 0; i < r->n_spans; i++) {
		const struct hp_pii_span *sp = &r->span[i];

		if (sp->entity >= 64 || !(set & (UINT64_C(1) << sp->entity)))
			continue;
		for (uint32_t k = 0; k < s->n_ext; k++) {
			const struct body_ext *x = &s->ext[k];
			uint32_t lo = RTE_MAX(sp->start, x->body_off);
			uint32_t hi = RTE_MIN(sp->end, x->body_off + x->len);
			uint32_t a, b;

			if (lo >= hi || x->seg < 0)
				continue;
			/* sequence numbers of body bytes [lo, hi): every held copy of them is
			 * rewritten (a retransmission that overlaps with new bytes is held too) */
			a = s->held[x->seg].seq + x->off + (lo - x->body_off);
			b = a + (hi - lo);
			for (uint32_t j = 0; j < s->n_held; j++) {
				struct held_seg *h = &s->held[j];
				uint32_t ha = seq_lt(a, h->seq) ? h->seq : a;
				uint32_t hb = seq_lt(h->seq + h->len, b) ? h->seq + h->len : b;

				/* opaque copies were ruled out by hold_mask_ok */
				if (h->payload != NULL && seq_lt(ha, hb))
					patch_seg(h, ha - h->seq, body + lo + (ha - a), hb - ha);
			}
			if (!any || seq_lt(a, lo_seq))
				lo_seq = a;
			if (!any || seq_lt(hi_seq, b))
				hi_seq = b;
			any = true;
		}
	}
	if (any) {
		s->masked_valid = true;
		s->masked_lo = lo_seq;
		s->masked_hi = hi_seq;
	}
	w->ctr.c[HP_CTR_PII_MASKED_REQUESTS]++;
	w->ctr.c[HP_CTR_PII_MASKED_BYTES] += changed;
	return changed;
}

/* Nothing held any more (released or dropped). */
static void
hold_reset(struct hp_session *s)
{
	if (s->cur_seg >= 0)
		s->cur_consumed = true;
	s->cur_seg = -1;
	s->w->held_total -= s->n_held;
	s->n_held = 0;
	s->n_ext = 0;
	s->holding = false;
	s->tmpl_valid = false;
}

/* Accept: send everything held, in sequence order, ahead of this burst's packets. */
static void
hold_release(struct hp_session *s)
{
	struct hp_worker *w = s->w;

	for (uint32_t i = 1; i < s->n_held; i++) { /* few, mostly in order already */
		struct held_seg t = s->held[i];
		uint32_t j = i;

		for (; j > 0 && seq_lt(t.seq, s->held[j - 1].seq); j--)
			s->held[j] = s->held[j - 1];
		s->held[j] = t;
	}
	for (uint32_t i = 0; i < s->n_held; i++) {
		struct rte_mbuf *m = s->held[i].m;

		if (s->held[i].dirty)
			w->ctr.c[HP_CTR_PII_MASKED_SEGMENTS]++;
		if (unlikely(m->ol_flags & hp_mbuf_reassembled))
			hp_defrag_forward(w, m, w->out_port[m->port]); /* re-fragmented */
		else
			hp_worker_tx(w, w->out_port[m->port], m);
	}
	hold_reset(s);
}

/* Reject or flow end: free everything held. Returns the first held sequence number (where the
 * server's stream stops) in *first, if anything was held. */
static bool
hold_drop(struct hp_session *s, uint32_t *first)
{
	bool any = s->n_held != 0;

	for (uint32_t i = 0; i < s->n_held; i++) {
		if (i == 0 || seq_lt(s->held[i].seq, *first))
			*first = s->held[i].seq;
		rte_pktmbuf_free(s->held[i].m);
	}
	hold_reset(s);
	return any;
}

/* ---- verdicts ---- */

/* Reject (or duplicate) the current request: event now; the packet actions are carried out
 * by hp_session_segment() on the segment being processed (the one that completed the request,
 * held until now), see reject_act(). */
void
hps_reject(struct hp_session *s, const struct hp_http_request *req, enum hp_ev_verdict v,
       enum hp_ev_reason r, uint16_t flags, const struct hp_vspan *id)
{
	const struct hp_route_ep *ep = s->ep;

	s->decided = true;
	if (s->cur_dir != 0) /* not carried by a client segment we still hold */
		flags |= HP_EV_F_LATE;
	request_event_id(s, req, v, r, flags, id);
	if (s->pending || s->rejected)
		return; /* one reject per flow is carried out */
	s->pending = true;
	s->rej_reason = r;
	s->rej_respond = ep != NULL ? ep->respond : true;
	s->rej_reset_server = ep != NULL ? ep->reset_server : true;
	s->rej_active = ep != NULL && ep->active_response;
}

void
hps_accept(struct hp_session *s, const struct hp_http_request *req, bool mask, uint16_t flags,
	   const struct hp_vspan *id)
{
	s->decided = true;
	if (s->holding) {
		if (mask)
			s->masked_bytes = hold_mask(s, req, s->w->pii_res, s->ep->pii_mask_set);
		hold_release(s);
	}
	request_event_id(s, req, HP_EV_ACCEPT, HP_EV_R_OK, flags, id);
}

void
hps_wait(struct hp_session *s, const struct hp_http_request *req, bool mask, uint16_t flags,
	 const struct hp_vspan *id)
{
	s->decided = true;
	if (mask) /* masked now, released with the answer */
		s->masked_bytes = hold_mask(s, req, s->w->pii_res, s->ep->pii_mask_set);
	event_fill(s, req, flags, id, &s->aev);
}

/* ---- shared replay check (replay_cache.global) ---- */

static enum hp_verdict reject_act(struct hp_worker *w, struct hp_session *s, struct rte_mbuf *m,
				  const uint8_t *data, const struct hp_pkt *pkt);

/* Put a query to the resolver and make the request wait for it (false: no room). */
bool
hps_await_ask(struct hp_session *s, struct hp_gquery *q, uint64_t timeout_tsc)
{
	struct hp_worker *w = s->w;
	struct hp_await *a;

	if (w->await_tail - w->await_head > w->await_mask)
		return false;
	q->slot = w->await_tail & w->await_mask;
	q->gen = ++w->await_gen;
	if (rte_ring_sp_enqueue_elem(w->gq, q, sizeof(*q)) != 0)
		return false;
	a = &w->await[q->slot];
	a->s = s;
	a->gen = q->gen;
	a->deadline_tsc = rte_rdtsc() + timeout_tsc;
	w->await_tail++;
	s->awaiting = true;
	s->await_kind = (uint8_t)q->kind;
	s->await_slot = q->slot;
	s->await_gen = q->gen;
	return true;
}

static void
await_clear(struct hp_session *s)
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
static void
global_finish(struct hp_session *s, enum hp_ev_verdict v, enum hp_ev_reason r)
{
	struct hp_worker *w = s->w;
	uint64_t seg_tsc = s->seg_tsc;

	await_clear(s);
	s->seg_tsc = s->await_tsc; /* latency from the completing segment */
	event_count(s, v, r);
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
		event_emit(s, &s->aev);
	s->seg_tsc = seg_tsc;
	if (v == HP_EV_ACCEPT) {
		if (s->holding)
			hold_release(s);
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
		reject_act(w, s, m, rte_pktmbuf_mtod(m, const uint8_t *), &pkt);
		rte_pktmbuf_free(m);
	} else if (s->holding) {
		uint32_t first;

		hold_drop(s, &first);
	}
}

/* A waiting request whose answer will not come (timeout, a pipelined request behind it,
 * the flow ending): replay, per replay_cache.global.on_unavailable; token, 503. */
static void
await_give_up(struct hp_session *s)
{
	s->aev.flags &= (uint16_t)~HP_EV_F_GLOBAL;
	if (s->await_kind == HP_GQ_TOKEN)
		global_finish(s, HP_EV_REJECT, HP_EV_R_TOKEN_UNAVAILABLE);
	else if (s->w->global_reject)
		global_finish(s, HP_EV_REJECT, HP_EV_R_REPLAY_UNAVAILABLE);
	else
		global_finish(s, HP_EV_ACCEPT, HP_EV_R_OK);
}

/* L2/L3 said the token is this endpoint's: the replay check, then the verdict. */
static void
token_valid(struct hp_session *s)
{
	struct hp_worker *w = s->w;

	await_clear(s);
	if (s->tok_has_key) {
		uint64_t now_ms = hp_dp_now_ns(rte_rdtsc()) / 1000000;
		enum hp_dedup_result d = hp_dedup_check_insert(hp_dp.dedup, s->tok_key, now_ms,
							       s->tok_ttl_ms);

		if (d == HP_DEDUP_DUPLICATE) {
			global_finish(s, HP_EV_DUPLICATE, HP_EV_R_DUPLICATE);
			return;
		}
		if (d != HP_DEDUP_FIRST) {
			global_finish(s, HP_EV_REJECT, d == HP_DEDUP_FULL ? HP_EV_R_REPLAY_CACHE_FULL
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
					global_finish(s, HP_EV_REJECT, HP_EV_R_REPLAY_UNAVAILABLE);
					return;
				}
				break;
			}
		}
	}
	global_finish(s, HP_EV_ACCEPT, HP_EV_R_OK);
}

static void session_end(struct hp_worker *w, struct hp_flow *f, bool evicted);

/* A waiting request got its verdict: its flow is idle again, or, closed meanwhile (or cut by
 * the verdict), its session goes back to the pool. */
static void
answered(struct hp_worker *w, struct hp_session *s)
{
	struct hp_flow *f = s->flow;

	if (s->awaiting || f->session != s)
		return;
	if (f->state == HP_TCP_CLOSED)
		session_end(w, f, false);
	else if (f->cls == HP_FLOW_CLS_ACTIVE && s->req == NULL)
		hp_flow_set_class(w, f, HP_FLOW_CLS_IDLE);
}

/* Answers of the resolver, then the waits past their deadline (FIFO: one timeout for all).
 * At most GLOBAL_POLL_MAX verdicts per call, so that their RSTs and answers (two crafted
 * packets each) fit the worker's reply array before it is flushed. */
#define GLOBAL_POLL_MAX (HP_REPLY_MAX / 2)

unsigned int
hp_session_global_poll(struct hp_worker *w, uint64_t now)
{
	struct hp_ganswer ans[GLOBAL_POLL_MAX];
	unsigned int n, done;

	n = rte_ring_sc_dequeue_burst_elem(w->ga, ans, sizeof(ans[0]), GLOBAL_POLL_MAX, NULL);
	done = n;
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
					token_valid(s);
				} else if (ans[i].result == HP_GA_TOKEN_INVALID) {
					w->ctr.c[HP_CTR_TOKEN_INVALID]++;
					global_finish(s, HP_EV_REJECT, HP_EV_R_BAD_TOKEN);
				} else {
					w->ctr.c[HP_CTR_TOKEN_UNAVAILABLE]++;
					global_finish(s, HP_EV_REJECT, HP_EV_R_TOKEN_UNAVAILABLE);
				}
			} else if (ans[i].result == HP_GA_FIRST) {
				w->ctr.c[HP_CTR_REPLAY_GLOBAL_FIRST]++;
				global_finish(s, HP_EV_ACCEPT, HP_EV_R_OK);
			} else if (ans[i].result == HP_GA_DUPLICATE) {
				w->ctr.c[HP_CTR_REPLAY_GLOBAL_DUPLICATE]++;
				global_finish(s, HP_EV_DUPLICATE, HP_EV_R_DUPLICATE);
			} else {
				w->ctr.c[HP_CTR_REPLAY_GLOBAL_UNAVAILABLE]++;
				await_give_up(s);
			}
			answered(w, s);
		}
	}
	while (w->await_head != w->await_tail && done < GLOBAL_POLL_MAX) {
		struct hp_await *a = &w->await[w->await_head & w->await_mask];

		if (a->s != NULL) {
			if ((int64_t)(now - a->deadline_tsc) < 0)
				break;
			done++;
			struct hp_session *s = a->s;

			w->ctr.c[s->await_kind == HP_GQ_TOKEN ? HP_CTR_TOKEN_TIMEOUT
							      : HP_CTR_REPLAY_GLOBAL_TIMEOUT]++;
			await_give_up(s);
			answered(w, s);
		}
		w->await_head++;
	}
	return done;
}

/* ---- HTTP parser callbacks ---- */

/* The endpoint of req (s->ep, NULL: unrouted), from the current endpoint set, which the
 * session holds until the request's verdict. */
static void
session_route(struct hp_session *s, const struct hp_http_request *req)
{
	struct hp_worker *w = s->w;

	if (s->eps != w->eps) {
		if (s->eps != NULL)
			__atomic_store_n(&s->eps->w[w->id].refs, s->eps->w[w->id].refs - 1,
					 __ATOMIC_RELEASE);
		s->eps = w->eps;
		s->eps->w[w->id].refs++;
	}
	s->ep = hp_route_match(w->routes, req->host.p, req->host.len, req->target.p,
			       req->target.len);
}

static void
on_request_headers(void *ctx, const struct hp_http_request *req)
{
	struct hp_session *s = ctx;
	struct hp_worker *w = s->w;

	if (unlikely(s->awaiting)) { /* pipelined behind a request still waiting: decide that
				       * one now, as if the shared check were unavailable */
		w->ctr.c[HP_CTR_REPLAY_GLOBAL_BUSY]++;
		await_give_up(s);
	}
	s->req_flags = 0;
	s->decided = false;
	s->pii_valid = false;
	s->masked_bytes = 0;
	s->req = req;
	s->hashing = w->body_hash && EVP_DigestInit_ex2(s->sha, w->sha256, NULL) == 1;
	w->ctr.c[HP_CTR_HTTP_REQUESTS]++;
	session_route(s, req);
	if (s->ep == NULL) {
		w->ctr.c[HP_CTR_REQ_UNROUTED]++;
		if (w->unrouted_reject)
			hps_reject(s, req, HP_EV_REJECT, HP_EV_R_NO_ROUTE, 0, NULL);
		return;
	}
	w->ctr.c[HP_CTR_REQ_ROUTED]++;
	s->eps->w[w->id].ep_ctr[s->ep->index][HP_EP_CTR_REQUESTS]++;
	if ((s->ep->pii_hold || s->ep->token_hlen != 0 ||
	     (w->global_replay && s->ep->dedup_kind != HP_DK_NONE)) && w->hold_max != 0)
		hold_start(s);
	/* refused before the body is seen: the sender said how much it will send */
	if (req->body == HP_HTTP_BODY_LENGTH && req->content_length > s->ep->max_body)
		hps_reject(s, req, HP_EV_REJECT, HP_EV_R_BODY_TOO_LARGE, 0, NULL);
}

static void
on_request_body(void *ctx, const struct hp_http_request *req, const uint8_t *data, size_t len)
{
	struct hp_session *s = ctx;

	s->w->ctr.c[HP_CTR_HTTP_BODY_BYTES] += len;
	if (s->holding)
		hold_map(s, (uint32_t)(req->body_len - len), data, (uint32_t)len);
	if (s->hashing && EVP_DigestUpdate(s->sha, data, len) != 1)
		s->hashing = false;
	/* chunked bodies: refused as soon as they pass the limit */
	if (s->ep != NULL && !s->decided && req->body_len > s->ep->max_body)
		hps_reject(s, req, HP_EV_REJECT, HP_EV_R_BODY_TOO_LARGE, 0, NULL);
}

static void
on_request_complete(void *ctx, const struct hp_http_request *req)
{
	struct hp_session *s = ctx;

	if (s->decided) { /* refused early (tap mode goes on parsing): one event per request */
		s->hashing = false;
	} else if (s->ep == NULL) {
		request_event(s, req, HP_EV_PASS, HP_EV_R_NO_ROUTE, 0);
	} else {
		hp_stages_verdict(s, req);
	}
	s->req = NULL;
	if (!s->awaiting && s->flow->cls == HP_FLOW_CLS_ACTIVE)
		hp_flow_set_class(s->w, s->flow, HP_FLOW_CLS_IDLE);
}

static void
on_response_status(void *ctx, const struct hp_http_response *resp)
{
	struct hp_session *s = ctx;

	(void)resp;
	s->w->ctr.c[HP_CTR_HTTP_RESPONSES]++;
}

static void
on_error(void *ctx, enum hp_http_dir dir, enum hp_http_err err, const struct hp_http_request *req)
{
	struct hp_session *s = ctx;
	struct hp_worker *w = s->w;
	enum hp_http_reason r = hp_http_err_reason(err);
	struct hp_http_request seen;
	enum hp_ev_reason er;

	w->ctr.c[HP_CTR_HTTP_ERR_BASE + err]++;
	if (dir != HP_HTTP_DIR_REQUEST)
		return; /* the response direction stops being parsed; requests go on */
	switch (r) {
	case HP_HTTP_R_SMUGGLING:
		er = HP_EV_R_HTTP_SMUGGLING;
		break;
	case HP_HTTP_R_LINE_TOO_LONG:
		er = HP_EV_R_HTTP_LINE_TOO_LONG;
		break;
	case HP_HTTP_R_TOO_MANY_HEADERS:
		er = HP_EV_R_HTTP_TOO_MANY_HEADERS;
		break;
	case HP_HTTP_R_HEADERS_TOO_LARGE:
		er = HP_EV_R_HTTP_HEADERS_TOO_LARGE;
		break;
	case HP_HTTP_R_TOO_MANY_PIPELINED:
		er = HP_EV_R_HTTP_TOO_MANY_PIPELINED;
		break;
	case HP_HTTP_R_GAP:
		er = HP_EV_R_HTTP_GAP;
		break;
	case HP_HTTP_R_INCOMPLETE:
		er = HP_EV_R_HTTP_INCOMPLETE;
		break;
	default:
		er = HP_EV_R_HTTP_MALFORMED;
	}
	if (s->decided && req != NULL)
		return; /* this request has its verdict already */
	if (req == NULL) {
		/* the head itself failed: the event says what was parsed of it (method, target,
		 * host), and names its endpoint when the target routes */
		hp_http_request_seen(s->http, &seen);
		if (seen.method.len != 0) {
			req = &seen;
			session_route(s, req);
		} else {
			s->ep = NULL;
		}
	}
	if (s->evicting && er == HP_EV_R_HTTP_INCOMPLETE) {
		/* its session was taken back: the request can never complete at the server */
		request_event(s, req, HP_EV_REJECT, HP_EV_R_SESSION_EVICTED, HP_EV_F_INCOMPLETE);
		return;
	}
	if (w->http_reject && er != HP_EV_R_HTTP_INCOMPLETE) {
		hps_reject(s, req, HP_EV_REJECT, er, er == HP_EV_R_HTTP_GAP ? HP_EV_F_GAP : 0, NULL);
	} else if (s->ep != NULL && req != NULL && er != HP_EV_R_HTTP_INCOMPLETE) {
		/* a routed request that cannot be verified is never accepted */
		hps_reject(s, req, HP_EV_REJECT, er, er == HP_EV_R_HTTP_GAP ? HP_EV_F_GAP : 0, NULL);
	} else {
		request_event(s, req, HP_EV_PASS, er,
			      er == HP_EV_R_HTTP_INCOMPLETE ? HP_EV_F_INCOMPLETE
			      : er == HP_EV_R_HTTP_GAP	    ? HP_EV_F_GAP
							    : 0);
	}
}

static const struct hp_http_callbacks http_cb = {
	.on_request_headers = on_request_headers,
	.on_request_body = on_request_body,
	.on_request_complete = on_request_complete,
	.on_response_status = on_response_status,
	.on_error = on_error,
};

/* ---- pool ---- */

static void
session_obj_init(struct rte_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct hp_session *s = obj;

	(void)arg;
	(void)idx;
	/* touch the whole element now: without hugepages its pages would otherwise be faulted
	 * in on the fast path, by the first request that uses it (measured: ~130 us) */
	memset(obj, 0, mp->elt_size);
	/* once per element, at start: the digest context allocates its provider state on its
	 * first init, so that first init happens here and never per request */
	s->sha = EVP_MD_CTX_new();
	if (s->sha != NULL && arg != NULL)
		EVP_DigestInit_ex2(s->sha, arg, NULL);
}

static void
session_obj_free(struct rte_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct hp_session *s = obj;

	(void)mp;
	(void)arg;
	(void)idx;
	EVP_MD_CTX_free(s->sha);
	s->sha = NULL;
}

int
hp_session_pool_create(struct hp_worker *w)
{
	const struct hp_http_config *hc = &hp_dp.cfg->http;
	struct session_layout l;
	char name[RTE_MEMPOOL_NAMESIZE];

	w->hold_max = 0;
	w->ext_max = 0;
	w->mask_char = hp_dp.cfg->pii.mask_char != 0 ? hp_dp.cfg->pii.mask_char : '*';
	/* bridge: any endpoint may mask or block (now, or after a change through the API) */
	if (hp_dp.cfg->dataplane.mode == HP_MODE_BRIDGE) {
		w->hold_max = (uint16_t)RTE_MAX(hp_dp.cfg->pii.max_held_segments, 1u);
		/* a chunked body maps in more pieces than it has segments */
		w->ext_max = (uint16_t)(4 * w->hold_max + 16);
	}
	w->hold_limit = (uint16_t)RTE_MIN(w->hold_max, hp_dp.cfg->pii.max_held_segments);
	w->held_budget = hp_dp.cfg->pii.held_per_worker;
	l = layout(hc, w);

	w->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	snprintf(name, sizeof(name), "hp_sess_%u", w->id);
	/* single producer/consumer: only the owning worker takes and returns sessions */
	w->sessions = rte_mempool_create(name, hc->max_sessions, (unsigned int)l.total, 0, 0, NULL,
					 NULL, session_obj_init, w->sha256, w->socket,
					 RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET);
	if (w->sessions == NULL)
		return -ENOMEM;
	/* tap: the verdict is the event's (and the endpoint's optional active response) */
	w->http_reject = hp_dp.cfg->http.on_error == HP_HTTP_ON_ERROR_REJECT;
	w->sessions_full_drop = hp_dp.cfg->http.on_sessions_full == HP_REASM_DROP &&
				hp_dp.cfg->dataplane.mode == HP_MODE_BRIDGE;
	return w->sha256 == NULL ? -ENOTSUP : 0;
}

void
hp_session_pool_destroy(struct hp_worker *w)
{
	if (w->sessions != NULL) {
		rte_mempool_obj_iter(w->sessions, session_obj_free, NULL);
		rte_mempool_free(w->sessions);
		w->sessions = NULL;
	}
	EVP_MD_free(w->sha256);
	w->sha256 = NULL;
}

static struct hp_session *
session_get(struct hp_worker *w, struct hp_flow *f)
{
	const struct hp_http_config *hc = &hp_dp.cfg->http;
	struct session_layout l = layout(hc, w);
	struct hp_http_cfg cfg;
	struct hp_session *s;
	void *obj;
	EVP_MD_CTX *sha;

	if (rte_mempool_get(w->sessions, &obj) != 0)
		return NULL; /* the caller takes one back, or counts http_sessions_full */
	s = obj;
	sha = s->sha;
	memset(s, 0, sizeof(*s));
	s->sha = sha;
	s->w = w;
	s->flow = f;
	s->http = (struct hp_http_conn *)((uint8_t *)obj + l.http_off);
	s->held = (struct held_seg *)((uint8_t *)obj + l.held_off);
	s->ext = (struct body_ext *)((uint8_t *)obj + l.ext_off);
	s->cur_seg = -1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.limits.max_line = hc->max_line;
	cfg.limits.max_headers = hc->max_headers;
	cfg.limits.max_header_bytes = hc->max_header_bytes;
	cfg.limits.body_copy_max = hc->body_copy_max;
	cfg.limits.max_outstanding = hc->max_pipelined;
	cfg.flags = hc->allow_bare_lf ? HP_HTTP_F_ALLOW_BARE_LF : 0;
	cfg.hdr_buf = (uint8_t *)obj + l.hdr_off;
	cfg.fields = (struct hp_http_header *)((uint8_t *)obj + l.fields_off);
	cfg.resp_line = (uint8_t *)obj + l.line_off;
	cfg.body_copy = hc->body_copy_max ? (uint8_t *)obj + l.body_off : NULL;
	s->body_buf = cfg.body_copy;
	cfg.cb = &http_cb;
	cfg.ctx = s;
	if (hp_http_init(s->http, &cfg) != 0) { /* limits were validated at load: cannot fail */
		rte_mempool_put(w->sessions, obj);
		return NULL;
	}
	s->cur_dir = 2;
	s->dctx[0] = (struct session_dir){.s = s, .dir = 0};
	s->dctx[1] = (struct session_dir){.s = s, .dir = 1};
	hp_stream_init(&s->stream, &s->dctx[0], &s->dctx[1]);
	w->ctr.c[HP_CTR_HTTP_SESSIONS]++;
	return s;
}

/* ---- segments ---- */

static void
dir_eof(struct hp_session *s, unsigned int dir)
{
	if (s->eof[dir])
		return;
	s->eof[dir] = true;
	hp_http_eof(s->http, dir == 0 ? HP_HTTP_DIR_REQUEST : HP_HTTP_DIR_RESPONSE);
}

/* lib/stream consumer callbacks: ctx is a struct session_dir. */
static void
stream_deliver(void *ctx, const uint8_t *data, uint32_t len)
{
	struct session_dir *d = ctx;

	if (d->dir == 0)
		hp_http_feed_request(d->s->http, data, len);
	else
		hp_http_feed_response(d->s->http, data, len);
}

static void
stream_gap(void *ctx, uint32_t len)
{
	struct session_dir *d = ctx;

	if (d->dir == 0)
		hp_http_gap_request(d->s->http, len);
	else
		hp_http_gap_response(d->s->http, len);
}

static void
stream_end(void *ctx, enum hp_stream_end why)
{
	struct session_dir *d = ctx;

	(void)why;
	dir_eof(d->s, d->dir);
}

/* Queued segments keep their mbuf alive: the bridge may transmit it (the PMD then drops its
 * reference), tap mode frees it; the bytes stay valid until the stream lets go. */
static void
stream_ref(void *owner)
{
	rte_mbuf_refcnt_update(owner, 1);
}

static void
stream_unref(void *owner)
{
	rte_pktmbuf_free(owner);
}

void
hp_session_stream_env(struct hp_worker *w)
{
	w->stream_env.cfg = &w->stream_cfg;
	w->stream_env.pool = &w->stream_pool;
	w->stream_env.usage = &w->stream_usage;
	w->stream_env.ctr = &w->stream_ctr;
	w->stream_env.deliver = stream_deliver;
	w->stream_env.gap = stream_gap;
	w->stream_env.end = stream_end;
	w->stream_env.ref = stream_ref;
	w->stream_env.unref = stream_unref;
}

/* A segment whose bytes are not in its mbuf's first segment (chained frame, reassembled
 * datagram: they sit in the worker's scratch buffer): copy them into fresh mbufs, one stream
 * segment per mbuf, so that whatever the stream keeps stays valid. */
static enum hp_stream_result
segment_copied(struct hp_worker *w, struct hp_session *s, unsigned int dir, uint32_t seq,
	       const uint8_t *p, uint32_t len, unsigned int flags)
{
	enum hp_stream_result r = HP_STREAM_EMPTY;
	uint32_t room = rte_pktmbuf_data_room_size(w->pool) - RTE_PKTMBUF_HEADROOM;

	do {
		uint32_t n = RTE_MIN(len, room);
		struct rte_mbuf *c = rte_pktmbuf_alloc(w->pool);

		if (c == NULL) {
			w->ctr.c[HP_CTR_STREAM_NOMBUF]++;
			return HP_STREAM_DROP;
		}
		memcpy(rte_pktmbuf_append(c, (uint16_t)n), p, n);
		r = hp_stream_segment(&w->stream_env, &s->stream, dir, seq,
				      rte_pktmbuf_mtod(c, const uint8_t *), n, c,
				      n == len ? flags : 0);
		rte_pktmbuf_free(c); /* the stream holds its own reference if it kept the bytes */
		seq += n;
		p += n;
		len -= n;
	} while (len != 0 && r != HP_STREAM_DROP && r != HP_STREAM_PASS && r != HP_STREAM_CLOSED);
	return r;
}

/* Carry out a reject on the client segment that completed (or broke) the request, which has
 * not been forwarded: bridge: drop it, RST the server at its sequence number (the server has
 * everything before it and discards the partial request), answer the client (status, JSON
 * reason, Connection: close, FIN) or RST it, and cut the flow. tap: optional active response
 * (RSTs both ways, sent out of the port the segment came in on). */
static enum hp_verdict
reject_act(struct hp_worker *w, struct hp_session *s, struct rte_mbuf *m, const uint8_t *data,
	   const struct hp_pkt *pkt)
{
	struct hp_flow *f = s->flow;
	uint32_t cseq = pkt->tcp_seq + ((pkt->tcp_flags & HP_TCP_SYN) ? 1 : 0);
	uint32_t cnext = cseq + pkt->payload_len + ((pkt->tcp_flags & HP_TCP_FIN) ? 1 : 0);
	uint32_t rst_seq = cseq, first;
	bool has_ack = (pkt->tcp_flags & HP_TCP_ACK) != 0;

	s->pending = false;
	/* held segments never reached the server: its stream stops at the first of them */
	if (hold_drop(s, &first) && seq_lt(first, rst_seq))
		rst_seq = first;
	if (!w->is_bridge) {
		if (s->rej_active && has_ack) {
			if (hp_reply_tcp(w, m->port, data, pkt, false, cseq, pkt->tcp_ack,
					 HP_TCP_RST | HP_TCP_ACK, NULL, 0) == 0)
				w->ctr.c[HP_CTR_REJECT_RST_SERVER]++;
			if (hp_reply_tcp(w, m->port, data, pkt, true, pkt->tcp_ack, cnext,
					 HP_TCP_RST | HP_TCP_ACK, NULL, 0) == 0)
				w->ctr.c[HP_CTR_REJECT_RST_CLIENT]++;
		}
		return HP_VERDICT_FORWARD;
	}
	s->rejected = true;
	hp_flow_cut(w, f, HP_FLOW_CUT_REJECTED);
	if (s->rej_reset_server &&
	    hp_reply_tcp(w, w->out_port[m->port], data, pkt, false, rst_seq, pkt->tcp_ack,
			 HP_TCP_RST | (has_ack ? HP_TCP_ACK : 0), NULL, 0) == 0)
		w->ctr.c[HP_CTR_REJECT_RST_SERVER]++;
	if (has_ack) {
		if (s->rej_respond) {
			uint16_t alen;
			const uint8_t *a = hp_reply_answer(s->rej_reason, &alen);

			if (hp_reply_tcp(w, m->port, data, pkt, true, pkt->tcp_ack, cnext,
					 HP_TCP_ACK | HP_TCP_PSH | HP_TCP_FIN, a, alen) == 0) {
				w->ctr.c[HP_CTR_REJECT_RESPONSES]++;
				f->answered = 1;
				f->answer_end = pkt->tcp_ack + alen + 1;
			}
		} else if (hp_reply_tcp(w, m->port, data, pkt, true, pkt->tcp_ack, cnext,
					HP_TCP_RST | HP_TCP_ACK, NULL, 0) == 0) {
			w->ctr.c[HP_CTR_REJECT_RST_CLIENT]++;
			f->client_reset = 1;
		}
	}
	w->ctr.c[HP_CTR_HTTP_REJECTED_PACKETS]++;
	return s->cur_consumed ? HP_VERDICT_HOLD : HP_VERDICT_DROP; /* held ones are freed */
}

/* A packet of a cut flow (bridge): dropped, whichever way it goes.
 * Rejected: a client that goes on talking after it has our answer (its ACK covers our FIN)
 * gets one RST, so it does not wait on a peer that is gone.
 * Reset (evicted while active, or refused midstream): the first packet seen gets a RST toward
 * its receiver and one back to its sender, so that both ends let the connection go at once
 * (the client reconnects) instead of retransmitting into a drop. */
static enum hp_verdict
cut_flow_packet(struct hp_worker *w, struct hp_flow *f, unsigned int dir, struct rte_mbuf *m,
		const uint8_t *data, const struct hp_pkt *pkt)
{
	uint32_t next = pkt->tcp_seq + pkt->payload_len +
			((pkt->tcp_flags & HP_TCP_FIN) ? 1 : 0) + ((pkt->tcp_flags & HP_TCP_SYN) ? 1 : 0);

	if (!w->is_bridge)
		return HP_VERDICT_FORWARD; /* tap: nothing to stop, nothing sent */
	w->ctr.c[HP_CTR_HTTP_REJECTED_PACKETS]++;
	if (pkt->tcp_flags & HP_TCP_RST)
		return HP_VERDICT_DROP;
	if (f->cut == HP_FLOW_CUT_RESET) {
		if (f->rst_sent)
			return HP_VERDICT_DROP;
		f->rst_sent = 1;
		if (hp_reply_tcp(w, w->out_port[m->port], data, pkt, false, pkt->tcp_seq,
				 pkt->tcp_ack, HP_TCP_RST | (pkt->tcp_flags & HP_TCP_ACK), NULL,
				 0) == 0)
			w->ctr.c[dir == 0 ? HP_CTR_REJECT_RST_SERVER : HP_CTR_REJECT_RST_CLIENT]++;
		if (hp_reply_tcp(w, m->port, data, pkt, true,
				 (pkt->tcp_flags & HP_TCP_ACK) ? pkt->tcp_ack : 0, next,
				 HP_TCP_RST | HP_TCP_ACK, NULL, 0) == 0)
			w->ctr.c[dir == 0 ? HP_CTR_REJECT_RST_CLIENT : HP_CTR_REJECT_RST_SERVER]++;
		return HP_VERDICT_DROP;
	}
	if (dir == 0 && f->answered && !f->client_reset && (pkt->tcp_flags & HP_TCP_ACK) &&
	    (pkt->payload_len != 0 || (pkt->tcp_flags & HP_TCP_FIN)) &&
	    pkt->tcp_ack == f->answer_end) {
		if (hp_reply_tcp(w, m->port, data, pkt, true, pkt->tcp_ack, next,
				 HP_TCP_RST | HP_TCP_ACK, NULL, 0) == 0) {
			w->ctr.c[HP_CTR_REJECT_RST_CLIENT]++;
			f->client_reset = 1;
		}
	}
	return HP_VERDICT_DROP;
}

/* ---- taking a session back (pool empty, hold budget full) ---- */

/* A session holding segments that may lose them: not waiting for the resolver. */
static bool
session_holds(const struct hp_session *s)
{
	return !s->awaiting && s->n_held != 0;
}

/* pii.held_per_worker is in use: the least recently active request that holds segments is
 * refused and its flow reset, so that slow senders cannot keep every hold (and the mbufs
 * behind them) for themselves. False: none can be taken (all in this burst or waiting). */
static bool
hold_make_room(struct hp_worker *w)
{
	struct hp_flow *v = hp_flow_session_victim(w, HP_FLOW_CLS_ACTIVE, session_holds, 16);

	if (v == NULL)
		v = hp_flow_session_victim(w, HP_FLOW_CLS_IDLE, session_holds, 16);
	if (v == NULL)
		return false;
	w->ctr.c[HP_CTR_HTTP_SESSIONS_EVICTED]++;
	session_end(w, v, true);
	hp_flow_cut(w, v, HP_FLOW_CUT_RESET);
	return w->held_total < w->held_budget;
}

/* A session whose flow may lose it: not waiting for the resolver (its answer is bounded and
 * will free it), nothing held. */
static bool
session_evictable(const struct hp_session *s)
{
	return !s->awaiting;
}

/* Between two requests with nothing buffered: a later session started at the next byte of
 * each direction parses exactly what this one would have. */
static bool
session_resumable(const struct hp_session *s)
{
	return !s->awaiting && s->n_held == 0 && s->req == NULL && hp_http_request_idle(s->http) &&
	       (s->stream.dir[0].state & HP_STREAM_DIR_STARTED) && s->stream.dir[0].ooo_segs == 0 &&
	       !(s->stream.dir[0].state & HP_STREAM_DIR_FIN) && !s->stream.passed;
}

static void session_end(struct hp_worker *w, struct hp_flow *f, bool evicted);
static enum hp_verdict segment_verdict(struct hp_worker *w, struct hp_session *s,
				       struct hp_flow *f, unsigned int dir, struct rte_mbuf *m,
				       const uint8_t *data, const struct hp_pkt *pkt,
				       enum hp_stream_result r);

/* Take the session of the least recently active flow back for a new one: an idle one is
 * resumed later at its request boundary; an active one's request is refused and its flow
 * reset. False: every session is in use by this burst or waiting for an answer. */
static bool
session_take_back(struct hp_worker *w)
{
	struct hp_flow *idle = hp_flow_session_victim(w, HP_FLOW_CLS_IDLE, session_evictable, 16);
	struct hp_flow *act = hp_flow_session_victim(w, HP_FLOW_CLS_ACTIVE, session_evictable, 16);
	struct hp_flow *v;

	/* the least recently active of the oldest idle and the oldest active: a slow sender
	 * goes before a connection that just finished a request and waits for its answer */
	if (idle == NULL || (act != NULL && (int64_t)(act->last_tsc - idle->last_tsc) < 0))
		v = act;
	else
		v = idle;
	if (v == NULL)
		return false;
	w->ctr.c[HP_CTR_HTTP_SESSIONS_EVICTED]++;
	if (session_resumable(v->session)) {
		const struct hp_stream *st = &v->session->stream;

		for (unsigned int d = 0; d < 2; d++) {
			if (st->dir[d].state & HP_STREAM_DIR_STARTED) {
				v->resume_seq[d] = st->dir[d].next_seq;
				v->isn_set |= 1u << d;
			} else if (v->isn_set & (1u << d)) {
				v->resume_seq[d] = v->isn[d] + 1;
			}
		}
		v->resume = 1;
		session_end(w, v, false);
		hp_flow_set_class(w, v, HP_FLOW_CLS_HALF);
		return true;
	}
	session_end(w, v, true);
	hp_flow_cut(w, v, HP_FLOW_CUT_RESET);
	return true;
}

enum hp_verdict
hp_session_segment(struct hp_worker *w, const struct hp_flow_ref *ref, struct rte_mbuf *m,
		   const uint8_t *data, const struct hp_pkt *pkt, uint64_t now)
{
	struct hp_flow *f = ref->flow;
	struct hp_session *s = f->session;
	unsigned int dir = ref->dir, flags = 0;
	const uint8_t *payload = data + pkt->payload_off;
	uint32_t len = pkt->payload_len, seq = pkt->tcp_seq;
	enum hp_stream_result r;
	enum hp_verdict v;

	if (unlikely(f->cut != HP_FLOW_CUT_NONE))
		return cut_flow_packet(w, f, dir, m, data, pkt);
	if (pkt->tcp_flags & 0x02) { /* SYN: remember the ISN, data starts after it */
		f->isn[dir] = seq;
		f->isn_set |= 1u << dir;
		seq++;
	}
	if (s == NULL) {
		if (len == 0)
			return HP_VERDICT_FORWARD;
		if (f->state == HP_TCP_CLOSED) {
			/* the connection closed and its session went: nothing of it is parsed
			 * any more, so nothing of it may reach the server */
			w->ctr.c[HP_CTR_GUARD_CLOSED_DATA]++;
			return w->is_bridge ? HP_VERDICT_DROP : HP_VERDICT_FORWARD;
		}
		s = session_get(w, f);
		if (s == NULL && session_take_back(w))
			s = session_get(w, f);
		if (s == NULL) {
			w->ctr.c[HP_CTR_HTTP_SESSIONS_FULL]++;
			return w->sessions_full_drop ? HP_VERDICT_DROP : HP_VERDICT_FORWARD;
		}
		f->session = s;
		for (unsigned int d = 0; d < 2; d++) {
			if (f->resume && (f->isn_set & (1u << d)))
				hp_stream_start(&s->stream, d, f->resume_seq[d] - 1);
			else if (f->isn_set & (1u << d))
				hp_stream_start(&s->stream, d, f->isn[d]);
		}
		f->resume = 0;
		hp_flow_set_class(w, f, HP_FLOW_CLS_ACTIVE);
	} else if (dir == 0 && len != 0 && f->cls == HP_FLOW_CLS_IDLE) {
		hp_flow_set_class(w, f, HP_FLOW_CLS_ACTIVE);
	}
	s->seg_tsc = now;
	s->cur_seg = -1;
	s->cur_consumed = false;
	s->cur_holdable = false;
	s->cur_pkt = pkt;
	if (w->hold_max != 0) {
		if (dir == 0 && s->masked_valid && len != 0 && seq_lt(seq, s->masked_hi) &&
		    seq_lt(s->masked_lo, seq + len)) {
			/* a retransmission of bytes that went out masked: the server has them */
			w->ctr.c[HP_CTR_PII_RETRANSMIT_DROPPED]++;
			return HP_VERDICT_DROP;
		}
		if (dir == 1 && s->masked_valid && (pkt->tcp_flags & HP_TCP_ACK) &&
		    !seq_lt(pkt->tcp_ack, s->masked_hi))
			s->masked_valid = false;
		if (dir == 0 && len != 0 && pkt->payload_off <= rte_pktmbuf_data_len(m)) {
			/* its headers are in its first segment (they are the template of a RST or
			 * an answer); its payload too, in one piece: rewritable, else opaque */
			bool flat = m->nb_segs == 1 && data == rte_pktmbuf_mtod(m, uint8_t *) &&
				    !(m->ol_flags & hp_mbuf_reassembled);

			s->cur = (struct held_seg){
				.m = m,
				.payload = flat ? rte_pktmbuf_mtod(m, uint8_t *) + pkt->payload_off
						: NULL,
				.seq = seq, .len = (uint16_t)RTE_MIN(len, UINT16_MAX),
				.l4_off = pkt->l4_off};
			s->cur_holdable = true;
			if (s->holding)
				hold_cur(s);
		}
	}
	if (pkt->tcp_flags & 0x01)
		flags |= HP_STREAM_SEG_FIN;
	if (pkt->tcp_flags & 0x04)
		flags |= HP_STREAM_SEG_RST;
	s->cur_dir = dir;
	if (likely(m->nb_segs == 1 && payload >= rte_pktmbuf_mtod(m, const uint8_t *) &&
		   payload + len <= rte_pktmbuf_mtod(m, const uint8_t *) + m->data_len))
		r = hp_stream_segment(&w->stream_env, &s->stream, dir, seq, payload, len, m, flags);
	else
		r = segment_copied(w, s, dir, seq, payload, len, flags);
	if ((pkt->tcp_flags & 0x10) && r != HP_STREAM_CLOSED && r != HP_STREAM_PASS)
		hp_stream_ack(&w->stream_env, &s->stream, dir ^ 1, pkt->tcp_ack);
	if (unlikely(s->holding) && dir == 0 && !s->decided && !s->pending && s->req != NULL) {
		if (s->hold_overflow)
			hps_reject(s, s->req, HP_EV_REJECT, HP_EV_R_PII_HOLD_FULL, 0, NULL);
		else if (r == HP_STREAM_PASS) /* no longer inspected: cannot be masked */
			hps_reject(s, s->req, HP_EV_REJECT, HP_EV_R_PII_MASK_FAILED, 0, NULL);
	}
	s->cur_dir = 2;
	s->cur_pkt = NULL;
	v = segment_verdict(w, s, f, dir, m, data, pkt, r);
	/* the connection is over (FIN both ways, RST, a reject): its session goes back to the
	 * pool now, not when the flow expires */
	if (f->state == HP_TCP_CLOSED && f->session != NULL && !f->session->awaiting)
		session_end(w, f, false);
	return v;
}

/* What happens to the segment just fed (see hp_session_segment). */
static enum hp_verdict
segment_verdict(struct hp_worker *w, struct hp_session *s, struct hp_flow *f, unsigned int dir,
		struct rte_mbuf *m, const uint8_t *data, const struct hp_pkt *pkt,
		enum hp_stream_result r)
{
	if (unlikely(s->pending)) {
		if (dir == 0)
			return reject_act(w, s, m, data, pkt);
		/* decided while a server packet was processed (policy last): too late to hold
		 * anything; cut the flow from here on */
		s->pending = false;
		w->ctr.c[HP_CTR_VERDICT_LATE]++;
		if (w->is_bridge) {
			s->rejected = true;
			hp_flow_cut(w, f, HP_FLOW_CUT_REJECTED);
			w->ctr.c[HP_CTR_HTTP_REJECTED_PACKETS]++;
			return HP_VERDICT_DROP;
		}
	}
	if (unlikely(s->cur_consumed))
		return HP_VERDICT_HOLD; /* released ahead of the burst */
	if (unlikely(s->cur_seg >= 0)) {
		if (r == HP_STREAM_NEW || r == HP_STREAM_OVERLAP_REPLACED)
			return HP_VERDICT_HOLD;
		/* nothing new in it (a retransmission of held bytes, or refused): not kept */
		s->n_held--;
		w->held_total--;
		s->cur_seg = -1;
		w->ctr.c[HP_CTR_PII_HELD_DUP_DROPPED]++;
		return HP_VERDICT_DROP;
	}
	if (!w->is_bridge)
		return HP_VERDICT_FORWARD;
	switch (r) {
	case HP_STREAM_DROP: /* a reassembly limit with action drop: the sender retransmits */
		w->ctr.c[HP_CTR_STREAM_DROPPED]++;
		return HP_VERDICT_DROP;
	case HP_STREAM_OVERLAP_DIFFERENT:
		if (!w->stream_cfg.inline_mode)
			break;
		w->ctr.c[HP_CTR_STREAM_DROPPED]++;
		return HP_VERDICT_DROP;
	case HP_STREAM_OUT_OF_WINDOW:
		/* bytes the stream will never parse (before the pickup, beyond the FIN or the
		 * window, a RST or FIN out of place) never reach the server either */
		if (pkt->payload_len == 0 && !(pkt->tcp_flags & (HP_TCP_FIN | HP_TCP_RST)))
			break;
		w->ctr.c[HP_CTR_STREAM_DROPPED]++;
		return HP_VERDICT_DROP;
	case HP_STREAM_CLOSED:
		if (pkt->payload_len == 0)
			break;
		w->ctr.c[HP_CTR_STREAM_DROPPED]++;
		return HP_VERDICT_DROP;
	default:
		break;
	}
	return HP_VERDICT_FORWARD;
}

/* Return f's session to the pool: flush both directions (a request in progress becomes an
 * incomplete event, or, evicted, a refused one), drop what it holds. */
static void
session_end(struct hp_worker *w, struct hp_flow *f, bool evicted)
{
	struct hp_session *s = f->session;

	if (s == NULL)
		return;
	s->seg_tsc = rte_rdtsc();
	s->cur_dir = 2;
	if (s->awaiting) { /* the flow ended while its request waited: nothing to forward */
		w->ctr.c[HP_CTR_REPLAY_GLOBAL_ABANDONED]++;
		s->aev.flags |= HP_EV_F_LATE;
		s->tmpl_valid = false; /* no RST or answer on a flow being forgotten */
		if (!w->is_bridge) /* tap: nothing was held, the verdict is the event's */
			await_give_up(s);
		else /* bridge: what was held is dropped with the flow: not forwarded */
			global_finish(s, HP_EV_REJECT, s->await_kind == HP_GQ_TOKEN
							       ? HP_EV_R_TOKEN_UNAVAILABLE
							       : HP_EV_R_REPLAY_UNAVAILABLE);
	}
	s->evicting = evicted;
	hp_stream_close(&w->stream_env, &s->stream, 0);
	hp_stream_close(&w->stream_env, &s->stream, 1);
	dir_eof(s, 0);
	dir_eof(s, 1);
	hp_stream_release(&w->stream_env, &s->stream);
	if (s->n_held != 0) {
		uint32_t first;

		w->ctr.c[HP_CTR_PII_HOLD_ABANDONED] += s->n_held;
		hold_drop(s, &first);
	}
	if (s->eps != NULL)
		__atomic_store_n(&s->eps->w[w->id].refs, s->eps->w[w->id].refs - 1,
				 __ATOMIC_RELEASE);
	s->eps = NULL;
	f->session = NULL;
	if (!evicted && f->state == HP_TCP_CLOSED)
		w->ctr.c[HP_CTR_HTTP_SESSIONS_CLOSED]++;
	rte_mempool_put(w->sessions, s);
}

void
hp_session_release(struct hp_worker *w, struct hp_flow *f)
{
	session_end(w, f, false);
}

void
hp_session_evict(struct hp_worker *w, struct hp_flow *f)
{
	session_end(w, f, true);
}
