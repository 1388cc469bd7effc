/* SPDX-License-Identifier: BSD-3-Clause
 * HTTP sessions (see dp_session.h): TCP segments -> stream reassembly -> HTTP parser ->
 * events. Per-worker, no locks, no allocation per packet (sessions and their buffers come
 * from a pool made at start).
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_ring_elem.h>

#include "dp.h"
#include "dp_event.h"
#include "dp_session.h"
#include "http_parse.h"
#include "stream_reasm.h"

struct hp_session {
	struct hp_worker *w;
	struct hp_flow *flow;
	struct hp_http_conn *http;
	struct hp_stream stream;        /* dir 0: client to server, 1: server to client */
	struct session_dir {
		struct hp_session *s;
		unsigned int dir;
	} dctx[2];                      /* stream consumer contexts */
	bool eof[2];
	EVP_MD_CTX *sha;                /* body hash of the current request (events.body_hash) */
	uint64_t seg_tsc;               /* rx of the segment being processed (latency) */
	uint32_t req_flags;             /* HP_EV_F_* gathered for the current request */
	bool rejected;                  /* http.on_error reject: drop the client's packets */
	bool hashing;
};

/* Memory of one pool element: the session, then the parser state and its buffers. */
struct session_layout {
	size_t http_off, hdr_off, fields_off, line_off, body_off, total;
};

static struct session_layout
layout(const struct hp_http_config *hc)
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
	if (rte_ring_sp_enqueue_elem(w->ev_ring, e, sizeof(*e)) == 0)
		w->ctr.c[HP_CTR_EVENTS]++;
	else
		w->ctr.c[HP_CTR_EVENTS_RING_FULL]++;
}

/* An event for request req (may be NULL when the request line itself was bad). */
static void
request_event(struct hp_session *s, const struct hp_http_request *req, enum hp_ev_verdict v,
	      enum hp_ev_reason r, uint16_t extra_flags)
{
	struct hp_event e;

	memset(&e, 0, sizeof(e));
	event_flow(&e, s->flow);
	e.flags |= extra_flags | (uint16_t)s->req_flags;
	if (req != NULL) {
		span_copy(e.method, sizeof(e.method), &e.method_len, NULL, &req->method, &e.flags,
			  HP_EV_F_METHOD_TRUNC);
		span_copy(e.host, sizeof(e.host), &e.host_len, NULL, &req->host, &e.flags,
			  HP_EV_F_HOST_TRUNC);
		span_copy(e.uri, sizeof(e.uri), NULL, &e.uri_len, &req->target, &e.flags,
			  HP_EV_F_URI_TRUNC);
		e.body_len = req->body_len;
		if (req->flags & HP_HTTP_REQ_BODY_GAP)
			e.flags |= HP_EV_F_GAP;
		if (s->hashing && !(e.flags & (HP_EV_F_GAP | HP_EV_F_INCOMPLETE))) {
			unsigned int n = 0;

			if (EVP_DigestFinal_ex(s->sha, e.body_sha256, &n) == 1 && n == 32)
				e.flags |= HP_EV_F_BODY_HASH;
		}
	}
	s->hashing = false;
	e.verdict = (uint8_t)v;
	e.reason = (uint8_t)r;
	event_emit(s, &e);
}

/* ---- HTTP parser callbacks ---- */

static void
on_request_headers(void *ctx, const struct hp_http_request *req)
{
	struct hp_session *s = ctx;

	(void)req;
	s->req_flags = 0;
	s->hashing = s->w->body_hash && EVP_DigestInit_ex2(s->sha, s->w->sha256, NULL) == 1;
	s->w->ctr.c[HP_CTR_HTTP_REQUESTS]++;
}

static void
on_request_body(void *ctx, const struct hp_http_request *req, const uint8_t *data, size_t len)
{
	struct hp_session *s = ctx;

	(void)req;
	s->w->ctr.c[HP_CTR_HTTP_BODY_BYTES] += len;
	if (s->hashing && EVP_DigestUpdate(s->sha, data, len) != 1)
		s->hashing = false;
}

static void
on_request_complete(void *ctx, const struct hp_http_request *req)
{
	struct hp_session *s = ctx;

	/* No endpoint routing yet (issue 5): every request passes, reason no_route. */
	request_event(s, req, HP_EV_PASS, HP_EV_R_NO_ROUTE, 0);
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
	if (w->http_reject && er != HP_EV_R_HTTP_INCOMPLETE) {
		s->rejected = true;
		request_event(s, req, HP_EV_REJECT, er,
			      er == HP_EV_R_HTTP_GAP ? HP_EV_F_GAP : 0);
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
	struct session_layout l = layout(hc);
	char name[RTE_MEMPOOL_NAMESIZE];

	w->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	snprintf(name, sizeof(name), "hp_sess_%u", w->id);
	/* single producer/consumer: only the owning worker takes and returns sessions */
	w->sessions = rte_mempool_create(name, hc->max_sessions, (unsigned int)l.total, 0, 0, NULL,
					 NULL, session_obj_init, w->sha256, w->socket,
					 RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET);
	if (w->sessions == NULL)
		return -ENOMEM;
	w->http_reject = hp_dp.cfg->http.on_error == HP_HTTP_ON_ERROR_REJECT &&
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
	struct session_layout l = layout(hc);
	struct hp_http_cfg cfg;
	struct hp_session *s;
	void *obj;
	EVP_MD_CTX *sha;

	if (rte_mempool_get(w->sessions, &obj) != 0) {
		w->ctr.c[HP_CTR_HTTP_SESSIONS_FULL]++;
		return NULL;
	}
	s = obj;
	sha = s->sha;
	memset(s, 0, sizeof(*s));
	s->sha = sha;
	s->w = w;
	s->flow = f;
	s->http = (struct hp_http_conn *)((uint8_t *)obj + l.http_off);
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
	cfg.cb = &http_cb;
	cfg.ctx = s;
	if (hp_http_init(s->http, &cfg) != 0) { /* limits were validated at load: cannot fail */
		rte_mempool_put(w->sessions, obj);
		return NULL;
	}
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

	if (pkt->tcp_flags & 0x02) { /* SYN: remember the ISN, data starts after it */
		f->isn[dir] = seq;
		f->isn_set |= 1u << dir;
		seq++;
	}
	if (s == NULL) {
		if (len == 0)
			return HP_VERDICT_FORWARD;
		s = session_get(w, f);
		if (s == NULL)
			return HP_VERDICT_FORWARD;
		f->session = s;
		for (unsigned int d = 0; d < 2; d++)
			if (f->isn_set & (1u << d))
				hp_stream_start(&s->stream, d, f->isn[d]);
	}
	if (s->rejected && dir == 0) {
		w->ctr.c[HP_CTR_HTTP_REJECTED_PACKETS]++;
		return HP_VERDICT_DROP;
	}
	s->seg_tsc = now;
	if (pkt->tcp_flags & 0x01)
		flags |= HP_STREAM_SEG_FIN;
	if (pkt->tcp_flags & 0x04)
		flags |= HP_STREAM_SEG_RST;
	if (likely(m->nb_segs == 1 && payload >= rte_pktmbuf_mtod(m, const uint8_t *) &&
		   payload + len <= rte_pktmbuf_mtod(m, const uint8_t *) + m->data_len))
		r = hp_stream_segment(&w->stream_env, &s->stream, dir, seq, payload, len, m, flags);
	else
		r = segment_copied(w, s, dir, seq, payload, len, flags);
	if ((pkt->tcp_flags & 0x10) && r != HP_STREAM_CLOSED && r != HP_STREAM_PASS)
		hp_stream_ack(&w->stream_env, &s->stream, dir ^ 1, pkt->tcp_ack);
	if (s->rejected && dir == 0) {
		w->ctr.c[HP_CTR_HTTP_REJECTED_PACKETS]++;
		return HP_VERDICT_DROP;
	}
	if (w->is_bridge && (r == HP_STREAM_DROP || (r == HP_STREAM_OVERLAP_DIFFERENT &&
						     w->stream_cfg.inline_mode))) {
		w->ctr.c[HP_CTR_STREAM_DROPPED]++;
		return HP_VERDICT_DROP;
	}
	return HP_VERDICT_FORWARD;
}

void
hp_session_release(struct hp_worker *w, struct hp_flow *f)
{
	struct hp_session *s = f->session;

	if (s == NULL)
		return;
	s->seg_tsc = rte_rdtsc();
	hp_stream_close(&w->stream_env, &s->stream, 0);
	hp_stream_close(&w->stream_env, &s->stream, 1);
	dir_eof(s, 0);
	dir_eof(s, 1);
	hp_stream_release(&w->stream_env, &s->stream);
	f->session = NULL;
	rte_mempool_put(w->sessions, s);
}
