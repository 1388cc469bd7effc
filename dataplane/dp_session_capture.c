/* SPDX-License-Identifier: BSD-3-Clause
 * HTTP sessions: captures of refused requests for forensics (forensics.pcapng,
 * dp_capture_msg.h). A refused request's bytes as the session holds them (the head as
 * received, the body as reassembled, de-chunked, up to http.body_copy_max), cut at
 * forensics.max_request_bytes, with its flow, rx time, verdict, reason, endpoint and delivery
 * id, are copied into a free slot and put on the worker's ring to the control thread, which
 * writes the pcapng (controlplane/ctl_capture.c). No slot free: forensics_dropped, nothing
 * waits. Cost: one memcpy of the request per refusal (at most max_request_bytes), nothing on
 * accepted requests except those that wait for the control thread (hps_wait), whose bytes are
 * gone by their verdict: they are copied when they start waiting, and the slot goes back
 * unused if they are accepted. A slot the worker does not send stays with it (cap_spare,
 * used first): only the control thread puts slots on the free ring (single producer).
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "dp_capture_msg.h"
#include "dp_types.h"
#include "dp_session.h"
#include "dp_session_priv.h"

int
hp_capture_setup(struct hp_worker *w, const struct hp_config *cfg, char *err, size_t errlen)
{
	const struct hp_forensics_config *fc = &cfg->forensics;
	size_t slot = HP_CAP_SLOT_SIZE(fc->max_request_bytes);
	char name[RTE_RING_NAMESIZE];

	if (!hp_config_forensics_wanted(cfg))
		return 0;
	w->cap_max = fc->max_request_bytes;
	/* zeroed, so touched now: no page is first faulted in by a refusal */
	w->cap_mem = rte_zmalloc_socket("hp_cap", (size_t)fc->ring * slot, RTE_CACHE_LINE_SIZE,
					w->socket);
	w->cap_spare = rte_zmalloc_socket("hp_cap_spare", (size_t)fc->ring * sizeof(void *),
					  RTE_CACHE_LINE_SIZE, w->socket);
	w->cap_n_spare = 0;
	snprintf(name, sizeof(name), "hp_capf_%u", w->id);
	w->cap_full = rte_ring_create(name, fc->ring, w->socket,
				      RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	snprintf(name, sizeof(name), "hp_capr_%u", w->id);
	w->cap_free = rte_ring_create(name, fc->ring, w->socket,
				      RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (w->cap_mem == NULL || w->cap_spare == NULL || w->cap_full == NULL ||
	    w->cap_free == NULL) {
		snprintf(err, errlen,
			 "forensics.ring: cannot allocate %u capture slots of %zu bytes for worker "
			 "%u (forensics.max_request_bytes): %s",
			 fc->ring, slot, w->id, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < fc->ring; i++)
		rte_ring_sp_enqueue(w->cap_free, w->cap_mem + (size_t)i * slot);
	return 0;
}

void
hp_capture_teardown(struct hp_worker *w)
{
	rte_ring_free(w->cap_full);
	rte_ring_free(w->cap_free);
	rte_free(w->cap_mem);
	rte_free(w->cap_spare);
	w->cap_full = w->cap_free = NULL;
	w->cap_mem = NULL;
	w->cap_spare = NULL;
}

/* A slot with the bytes of req (NULL: the head failed before its request line gave a method:
 * what the parser took of it) and the flow; NULL when captures are off or no slot is free. */
static struct hp_cap_rec *
cap_take(struct hp_session *s, const struct hp_http_request *req, const struct hp_vspan *id)
{
	struct hp_worker *w = s->w;
	const struct hp_flow *f = s->flow;
	const struct hp_flow_key *k = &f->key;
	unsigned int c = f->client, sv = f->client ^ 1;
	struct hp_http_request seen;
	struct hp_cap_rec *r;
	uint64_t want;
	uint32_t n, b;
	void *p;

	if (w->cap_free == NULL)
		return NULL;
	if (w->cap_n_spare != 0) {
		p = w->cap_spare[--w->cap_n_spare];
	} else if (unlikely(rte_ring_sc_dequeue(w->cap_free, &p) != 0)) {
		w->ctr.c[HP_CTR_FORENSICS_DROPPED]++;
		return NULL;
	}
	r = p;
	r->tsc = s->seg_tsc;
	r->family = k->family;
	memcpy(r->src, k->addr[c], 16);
	memcpy(r->dst, k->addr[sv], 16);
	r->sport = k->port[c];
	r->dport = k->port[sv];
	r->worker = (uint8_t)w->id;
	r->flags = 0;
	if (req == NULL) {
		hp_http_request_seen(s->http, &seen);
		req = &seen;
	}
	if (req->headers == NULL) /* the head never completed */
		r->flags |= HP_CAP_F_HEAD_PART;
	n = RTE_MIN(req->head_len, w->cap_max);
	if (n != 0)
		memcpy(r->data, req->head, n);
	r->head_len = n;
	want = req->head_len;
	if (req->headers != NULL) {
		want += req->body_len;
		if (req->body == HP_HTTP_BODY_CHUNKED)
			r->flags |= HP_CAP_F_CHUNKED;
		if (req->body_copy_len < req->body_len || req->body_gap != 0 ||
		    (req->body == HP_HTTP_BODY_LENGTH && req->body_len < req->content_length) ||
		    (req->body == HP_HTTP_BODY_CHUNKED && !s->req_complete))
			r->flags |= HP_CAP_F_BODY_PART;
		b = RTE_MIN(req->body_copy_len, w->cap_max - n);
		if (b != 0)
			memcpy(r->data + n, req->body_copy, b);
		n += b;
		if (b < req->body_copy_len)
			r->flags |= HP_CAP_F_TRUNCATED;
	}
	if (n < req->head_len)
		r->flags |= HP_CAP_F_TRUNCATED;
	r->len = n;
	r->orig_len = want;
	if (s->ep != NULL)
		memcpy(r->ep_name, s->ep->cfg->name, sizeof(r->ep_name));
	else
		r->ep_name[0] = '\0';
	r->webhook_id_len = 0;
	if (id != NULL && id->len != 0) {
		size_t idn = RTE_MIN(id->len, (size_t)HP_EV_ID_MAX);

		memcpy(r->webhook_id, id->p, idn);
		r->webhook_id_len = (uint8_t)idn;
	}
	return r;
}

static void
cap_send(struct hp_worker *w, struct hp_cap_rec *r, enum hp_ev_verdict v, enum hp_ev_reason why)
{
	r->verdict = (uint8_t)v;
	r->reason = (uint8_t)why;
	if (r->flags & HP_CAP_F_TRUNCATED)
		w->ctr.c[HP_CTR_FORENSICS_TRUNCATED]++;
	/* the ring holds every slot: it cannot be full, but a slot is never lost */
	if (likely(rte_ring_sp_enqueue(w->cap_full, r) == 0)) {
		w->ctr.c[HP_CTR_FORENSICS_CAPTURED]++;
	} else {
		w->ctr.c[HP_CTR_FORENSICS_DROPPED]++;
		w->cap_spare[w->cap_n_spare++] = r;
	}
}

void
hps_capture(struct hp_session *s, const struct hp_http_request *req, enum hp_ev_verdict v,
	    enum hp_ev_reason why, const struct hp_vspan *id)
{
	struct hp_cap_rec *r;

	if (s->w->cap_free == NULL || unlikely(s->w->warming)) /* warm-up: nothing captured */
		return;
	r = cap_take(s, req, id);
	if (r != NULL)
		cap_send(s->w, r, v, why);
}

void
hps_capture_hold(struct hp_session *s, const struct hp_http_request *req, const struct hp_vspan *id)
{
	if (s->w->cap_free == NULL || unlikely(s->w->warming))
		return;
	hps_capture_drop(s); /* one wait at a time: never two */
	s->cap = cap_take(s, req, id);
}

void
hps_capture_finish(struct hp_session *s, enum hp_ev_verdict v, enum hp_ev_reason why)
{
	struct hp_cap_rec *r = s->cap;

	if (r == NULL)
		return;
	s->cap = NULL;
	if (v == HP_EV_REJECT || v == HP_EV_DUPLICATE)
		cap_send(s->w, r, v, why);
	else
		s->w->cap_spare[s->w->cap_n_spare++] = r;
}

void
hps_capture_drop(struct hp_session *s)
{
	if (s->cap != NULL) {
		s->w->cap_spare[s->w->cap_n_spare++] = s->cap;
		s->cap = NULL;
	}
}
