/* SPDX-License-Identifier: BSD-3-Clause
 * HTTP sessions (see dp_session.h): TCP segments -> stream reassembly -> HTTP parser ->
 * request stages (dp_stages.c) -> events. Per-worker, no locks, no allocation per packet
 * (sessions and their buffers come from a pool made at start). This file: the pool, the
 * parser callbacks, segments in and out, taking a session back, the end of a session. The
 * rest, one concern per file, shares the state in dp_session_priv.h: events
 * (dp_session_event.c), held segments (dp_session_hold.c), waiting for the control thread
 * (dp_session_await.c), verdict actions (dp_session_verdict.c).
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
#include "dp_types.h"
#include "dp_defrag.h"
#include "dp_event.h"
#include "dp_reply.h"
#include "dp_route.h"
#include "dp_session.h"
#include "dp_session_priv.h"
#include "dp_stage.h"
#include "http_parse.h"
#include "pii.h"
#include "stream_reasm.h"
#include "verify.h"

_Static_assert(HP_PII_MAX_ENTITIES <= 256, "entity ids fit the event's uint8_t");

/* Memory of one pool element: the session, then the parser state and its buffers. */
struct session_layout {
	size_t http_off, hdr_off, fields_off, line_off, body_off, held_off, ext_off, total;
};

#define SESSION_CACHE 64 /* sessions kept for reuse, most recently closed first */

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

/* Hold the segment being fed, first making room in pii.held_per_worker if it is spent
 * (taking a hold back from another session is this file's business, not the hold code's). */
static void
hold_cur(struct hp_session *s)
{
	struct hp_worker *w = s->w;

	if (unlikely(w->held_total >= w->held_budget) && hps_hold_wants_cur(s) &&
	    s->n_held < w->hold_limit)
		hps_hold_make_room(w);
	hps_hold_cur(s);
}

/* ---- HTTP parser callbacks ---- */

/* The host= parameter of the first (first true) or last element of a Forwarded field
 * (RFC 7239: "for=a;host=h;proto=https, for=b;host=h2"), quotes removed; len 0: none. */
static struct hp_http_span
forwarded_host(const struct hp_http_span *v, bool first)
{
	const uint8_t *p = v->p, *end = v->p + v->len, *s, *e;
	struct hp_http_span r = {NULL, 0};

	if (!first) /* the last element */
		for (const uint8_t *q = end; q > p; q--)
			if (q[-1] == ',') {
				p = q;
				break;
			}
	while (p < end && *p != ',') {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ';'))
			p++;
		s = p;
		while (p < end && *p != ';' && *p != ',')
			p++;
		e = p;
		if (e - s > 5 && (s[0] | 0x20) == 'h' && (s[1] | 0x20) == 'o' &&
		    (s[2] | 0x20) == 's' && (s[3] | 0x20) == 't' && s[4] == '=') {
			s += 5;
			while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (e - s >= 2 && s[0] == '"' && e[-1] == '"') {
				s++;
				e--;
			}
			r = (struct hp_http_span){s, (uint32_t)(e - s)};
		}
	}
	return r;
}

/* A request no endpoint matches, routed again as the server may route it: frameworks take the
 * path from X-Original-URL or X-Rewrite-URL (IIS URL Rewrite, Symfony, Laravel) and the host
 * from X-Forwarded-Host, X-Host or Forwarded's host= (behind a proxy they trust). Any that
 * matches an endpoint makes the request that endpoint's: verified rather than passed
 * unrouted. None: *why says whether one of the targets may still be an endpoint's: too long to
 * normalise (path_too_long), or the path of an endpoint that names a host (hp_route_match_path)
 * under another host (foreign_host). */
static const struct hp_route_ep *
route_overrides(const struct hp_route_table *t, const struct hp_http_request *req,
		enum hp_ev_reason *why)
{
	static const struct {
		const char *name;
		uint8_t len;
		bool path;
	} hdr[] = {{"x-original-url", 14, true},
		   {"x-rewrite-url", 13, true},
		   {"x-forwarded-host", 16, false},
		   {"x-host", 6, false}};
	struct hp_http_span host[7] = {req->host}, target[3] = {req->target};
	const struct hp_http_header *fw = hp_http_find_header(req, "forwarded", 9);
	unsigned int nh = 1, nt = 1;

	if (fw != NULL)
		for (unsigned int k = 0; k < 2; k++) {
			struct hp_http_span fh = forwarded_host(&fw->value, k == 0);

			if (fh.len != 0)
				host[nh++] = fh;
		}
	for (unsigned int k = 0; k < RTE_DIM(hdr); k++) {
		const struct hp_http_header *h = hp_http_find_header(req, hdr[k].name, hdr[k].len);
		const uint8_t *v, *end;
		uint32_t i;

		if (h == NULL || h->value.len == 0)
			continue;
		if (hdr[k].path) {
			target[nt++] = h->value;
			continue;
		}
		/* a list ("a, b": proxies append): its first and its last host */
		v = h->value.p;
		end = v + h->value.len;
		for (i = 0; v + i < end && v[i] != ','; i++)
			;
		host[nh++] = (struct hp_http_span){v, i};
		while (host[nh - 1].len > 0 &&
		       (v[host[nh - 1].len - 1] == ' ' || v[host[nh - 1].len - 1] == '\t'))
			host[nh - 1].len--;
		if (v + i < end) {
			const uint8_t *l = end;

			while (l > v && l[-1] != ',')
				l--;
			while (l < end && (*l == ' ' || *l == '\t'))
				l++;
			host[nh++] = (struct hp_http_span){l, (uint32_t)(end - l)};
		}
	}
	for (unsigned int a = 0; a < nh; a++)
		for (unsigned int b = 0; b < nt; b++) {
			const struct hp_route_ep *e;

			if (a == 0 && b == 0)
				continue; /* matched nothing already */
			e = hp_route_match(t, host[a].p, host[a].len, target[b].p, target[b].len);
			if (e != NULL)
				return e;
		}
	for (unsigned int b = 0; b < nt; b++) {
		if (hp_route_path_cut(target[b].p, target[b].len))
			*why = HP_EV_R_PATH_TOO_LONG;
		else if (*why == HP_EV_R_NO_ROUTE &&
			 hp_route_match_path(t, target[b].p, target[b].len) != NULL)
			*why = HP_EV_R_FOREIGN_HOST;
	}
	return NULL;
}

/* The endpoint of req (s->ep, NULL: unrouted), from the current endpoint set, which the
 * session holds until the request's verdict. Returns ok (routed), no_route, or why an
 * unrouted request may still be an endpoint's (route_overrides). */
static enum hp_ev_reason
session_route(struct hp_session *s, const struct hp_http_request *req)
{
	enum hp_ev_reason why = HP_EV_R_NO_ROUTE;

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
	if (likely(s->ep != NULL))
		return HP_EV_R_OK;
	/* without headers there is no Host: the match above ignored hosts already */
	if (req->n_headers != 0)
		s->ep = route_overrides(w->routes, req, &why);
	else if (hp_route_path_cut(req->target.p, req->target.len))
		why = HP_EV_R_PATH_TOO_LONG;
	return s->ep != NULL ? HP_EV_R_OK : why;
}

static void
on_request_headers(void *ctx, const struct hp_http_request *req)
{
	struct hp_session *s = ctx;
	struct hp_worker *w = s->w;
	enum hp_ev_reason why;

	if (unlikely(s->awaiting)) { /* pipelined behind a request still waiting: decide that
				      * one now, as if the shared check were unavailable */
		w->ctr.c[HP_CTR_REPLAY_GLOBAL_BUSY]++;
		hps_await_give_up(s);
	}
	s->req_flags = 0;
	s->ml_state = HP_EV_ML_NONE;
	s->decided = false;
	s->pii_valid = false;
	s->masked_bytes = 0;
	s->req = req;
	s->hashing = w->body_hash && EVP_DigestInit_ex2(s->sha, w->sha256, NULL) == 1;
	w->ctr.c[HP_CTR_HTTP_REQUESTS]++;
	why = session_route(s, req);
	if (unlikely(why == HP_EV_R_FOREIGN_HOST || why == HP_EV_R_PATH_TOO_LONG) &&
	    w->foreign_host_reject) {
		/* an endpoint's path under another host (a server that ignores Host hands it to
		 * that endpoint's handler), or a path too long to know where a server that
		 * normalises it routes it: unverified either way */
		w->ctr.c[HP_CTR_REQ_UNROUTED]++;
		hps_reject(s, req, HP_EV_REJECT, why, 0, NULL);
		return;
	}
	if (s->ep == NULL) {
		w->ctr.c[HP_CTR_REQ_UNROUTED]++;
		if (w->unrouted_reject)
			hps_reject(s, req, HP_EV_REJECT, HP_EV_R_NO_ROUTE, 0, NULL);
		return;
	}
	w->ctr.c[HP_CTR_REQ_ROUTED]++;
	s->eps->w[w->id].ep_ctr[s->ep->index][HP_EP_CTR_REQUESTS]++;
	if ((s->ep->pii_hold || s->ep->token_hlen != 0 ||
	     s->ep->ml_policy == HP_ML_POLICY_ENFORCE ||
	     (w->global_replay && s->ep->dedup_kind != HP_DK_NONE)) &&
	    w->hold_max != 0) {
		hps_hold_start(s);
		hold_cur(s);
	}
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
		hps_hold_map(s, (uint32_t)(req->body_len - len), data, (uint32_t)len);
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
		hps_request_event(s, req, HP_EV_PASS, HP_EV_R_NO_ROUTE, 0);
	} else {
		s->req_complete = true; /* a capture of it is whole */
		hp_stages_verdict(s, req);
		s->req_complete = false;
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
		hps_request_event(s, req, HP_EV_REJECT, HP_EV_R_SESSION_EVICTED,
				  HP_EV_F_INCOMPLETE);
		return;
	}
	if (w->http_reject && er != HP_EV_R_HTTP_INCOMPLETE) {
		hps_reject(s, req, HP_EV_REJECT, er, er == HP_EV_R_HTTP_GAP ? HP_EV_F_GAP : 0,
			   NULL);
	} else if (s->ep != NULL && req != NULL && er != HP_EV_R_HTTP_INCOMPLETE) {
		/* a routed request that cannot be verified is never accepted */
		hps_reject(s, req, HP_EV_REJECT, er, er == HP_EV_R_HTTP_GAP ? HP_EV_F_GAP : 0,
			   NULL);
	} else {
		hps_request_event(s, req, HP_EV_PASS, er,
				  er == HP_EV_R_HTTP_INCOMPLETE ? HP_EV_F_INCOMPLETE
				  : er == HP_EV_R_HTTP_GAP      ? HP_EV_F_GAP
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
	/* single producer/consumer: only the owning worker takes and returns sessions. With a
	 * per-lcore cache a new session is the one closed last (LIFO), its lines still in cache;
	 * without one the ring hands out the least recently used of max_sessions objects of
	 * l.total bytes (tens of KB each), always cold: its set-up, header lines and body copy
	 * were a quarter of a one-webhook connection's time (docs/PERFORMANCE.md). */
	w->sessions = rte_mempool_create(name, hc->max_sessions, (unsigned int)l.total,
					 RTE_MIN(SESSION_CACHE, hc->max_sessions / 2), 0, NULL,
					 NULL, session_obj_init, w->sha256, w->socket,
					 RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET);
	if (w->sessions == NULL)
		return -ENOMEM;
	/* tap: the verdict is the event's (and the endpoint's optional active response) */
	w->http_reject = hp_dp.cfg->http.on_error == HP_HTTP_ON_ERROR_REJECT;
	w->sessions_full_drop = hp_dp.cfg->http.on_sessions_full == HP_REASM_DROP &&
				hp_dp.cfg->dataplane.mode == HP_MODE_BRIDGE;
	w->urgent_drop = hp_dp.cfg->dataplane.reassembly.urgent == HP_URGENT_DROP &&
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
	if (hc->tunnels != HP_TUNNELS_ANY)
		cfg.flags |= HP_HTTP_F_REFUSE_CONNECT |
			     (hc->tunnels == HP_TUNNELS_NONE ? HP_HTTP_F_REFUSE_UPGRADE
							     : HP_HTTP_F_REFUSE_UPGRADE_NOT_WS);
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
bool
hps_hold_make_room(struct hp_worker *w)
{
	struct hp_flow *v = hp_flow_session_victim(w, HP_FLOW_CLS_ACTIVE, session_holds, 16);

	if (v == NULL)
		v = hp_flow_session_victim(w, HP_FLOW_CLS_IDLE, session_holds, 16);
	if (v == NULL)
		return false;
	w->ctr.c[HP_CTR_HTTP_SESSIONS_EVICTED]++;
	hps_session_end(w, v, true);
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

static enum hp_verdict segment_verdict(struct hp_worker *w, struct hp_session *s, struct hp_flow *f,
				       unsigned int dir, struct rte_mbuf *m, const uint8_t *data,
				       const struct hp_pkt *pkt, enum hp_stream_result r);

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
		hps_session_end(w, v, false);
		hp_flow_set_class(w, v, HP_FLOW_CLS_HALF);
		return true;
	}
	hps_session_end(w, v, true);
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
		return hps_cut_flow_packet(w, f, dir, m, data, pkt);
	if (unlikely(pkt->tcp_flags & RTE_TCP_URG_FLAG) && dir == 0) {
		/* urgent data: a receiver whose stack takes the urgent byte out of band (Linux,
		 * BSD, without SO_OOBINLINE) reads the stream without it, so what hookpath would
		 * parse and verify is not what the server reads. Dropped before the stream sees
		 * it, any segment (a bare ACK can point to a byte still to come), its
		 * retransmissions too: the flow waits at that hole, as the server does. */
		w->ctr.c[HP_CTR_STREAM_URGENT]++;
		if (w->urgent_drop)
			return HP_VERDICT_DROP;
	}
	if (pkt->tcp_flags & RTE_TCP_SYN_FLAG) { /* SYN: remember the ISN, data starts after it */
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
		if (dir == 0 && s->masked_valid && len != 0 && hps_seq_lt(seq, s->masked_hi) &&
		    hps_seq_lt(s->masked_lo, seq + len)) {
			/* a retransmission of bytes that went out masked: the server has them */
			w->ctr.c[HP_CTR_PII_RETRANSMIT_DROPPED]++;
			return HP_VERDICT_DROP;
		}
		if (dir == 1 && s->masked_valid && (pkt->tcp_flags & RTE_TCP_ACK_FLAG) &&
		    !hps_seq_lt(pkt->tcp_ack, s->masked_hi))
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
				.seq = seq,
				.len = (uint16_t)RTE_MIN(len, UINT16_MAX),
				.l4_off = pkt->l4_off};
			s->cur_holdable = true;
			if (s->holding)
				hold_cur(s);
		}
	}
	if (pkt->tcp_flags & RTE_TCP_FIN_FLAG)
		flags |= HP_STREAM_SEG_FIN;
	if (pkt->tcp_flags & RTE_TCP_RST_FLAG)
		flags |= HP_STREAM_SEG_RST;
	s->cur_dir = dir;
	if (likely(m->nb_segs == 1 && payload >= rte_pktmbuf_mtod(m, const uint8_t *) &&
		   payload + len <= rte_pktmbuf_mtod(m, const uint8_t *) + m->data_len))
		r = hp_stream_segment(&w->stream_env, &s->stream, dir, seq, payload, len, m, flags);
	else
		r = segment_copied(w, s, dir, seq, payload, len, flags);
	if ((pkt->tcp_flags & RTE_TCP_ACK_FLAG) && r != HP_STREAM_CLOSED && r != HP_STREAM_PASS)
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
		hps_session_end(w, f, false);
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
			return hps_reject_act(w, s, m, data, pkt);
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
	case HP_STREAM_DUP_UNCHECKED: /* inline: could not be compared, nothing taken */
		if (!w->stream_cfg.inline_mode)
			break;
		w->ctr.c[HP_CTR_STREAM_DROPPED]++;
		return HP_VERDICT_DROP;
	case HP_STREAM_OUT_OF_WINDOW:
		/* bytes the stream will never parse (before the pickup, beyond the FIN or the
		 * window, a RST or FIN out of place) never reach the server either */
		if (pkt->payload_len == 0 &&
		    !(pkt->tcp_flags & (RTE_TCP_FIN_FLAG | RTE_TCP_RST_FLAG)))
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
void
hps_session_end(struct hp_worker *w, struct hp_flow *f, bool evicted)
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
		if (!w->is_bridge)     /* tap: nothing was held, the verdict is the event's */
			hps_await_give_up(s);
		else /* bridge: what was held is dropped with the flow: not forwarded */
			hps_global_finish(s, HP_EV_REJECT,
					  s->await_kind == HP_GQ_TOKEN ? HP_EV_R_TOKEN_UNAVAILABLE
					  : s->await_kind == HP_GQ_ML  ? HP_EV_R_ML_UNAVAILABLE
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
		hps_hold_drop(s, &first);
	}
	if (s->eps != NULL)
		__atomic_store_n(&s->eps->w[w->id].refs, s->eps->w[w->id].refs - 1,
				 __ATOMIC_RELEASE);
	s->eps = NULL;
	hps_capture_drop(s);
	f->session = NULL;
	if (!evicted && f->state == HP_TCP_CLOSED)
		w->ctr.c[HP_CTR_HTTP_SESSIONS_CLOSED]++;
	rte_mempool_put(w->sessions, s);
}

void
hp_session_flow_end(struct hp_worker *w, struct hp_flow *f, enum hp_flow_end why)
{
	hps_session_end(w, f, why == HP_FLOW_END_EVICTED);
}

/* A waiting request got its verdict: its flow is idle again, or, closed meanwhile (or cut by
 * the verdict), its session goes back to the pool. */
static void
session_answered(struct hp_worker *w, struct hp_session *s)
{
	struct hp_flow *f = s->flow;

	if (s->awaiting || f->session != s)
		return;
	if (f->state == HP_TCP_CLOSED)
		hps_session_end(w, f, false);
	else if (f->cls == HP_FLOW_CLS_ACTIVE && s->req == NULL)
		hp_flow_set_class(w, f, HP_FLOW_CLS_IDLE);
}

/* Worker loop: answers of the resolver and the waits past their deadline (at most
 * HPS_AWAIT_POLL_MAX verdicts per call). */
unsigned int
hp_session_global_poll(struct hp_worker *w, uint64_t now)
{
	struct hp_session *done[HPS_AWAIT_POLL_MAX];
	unsigned int n_s, n = hps_await_poll(w, now, done, &n_s);

	for (unsigned int i = 0; i < n_s; i++)
		session_answered(w, done[i]);
	return n;
}
