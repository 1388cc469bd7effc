/* SPDX-License-Identifier: BSD-3-Clause
 * The HTTP session's state and the services it offers the request stages (dp_stage.h).
 * Private to dataplane/dp_session.c and the stage files (dp_stage_*.c): nothing else includes
 * it. A stage reads the session (what is held, whether the body was scanned) and asks it to
 * refuse, mask, wait or record; the session decides what that means for the packets.
 */
#ifndef HP_DP_SESSION_PRIV_H
#define HP_DP_SESSION_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <rte_mbuf.h>

#include "dedup.h"
#include "dp_capture_msg.h"
#include "dp_types.h"
#include "dp_decode.h"
#include "dp_event.h"
#include "dp_route.h"
#include "http_parse.h"
#include "pii.h"
#include "stream_reasm.h"
#include "verify.h"

/* A client segment held until its request's verdict (bridge): the worker's reference to m is
 * ours until it is released (transmitted) or freed. A chained frame or a reassembled datagram
 * is held whole, opaque (payload NULL): it can wait for an answer and go on or be dropped,
 * but its bytes cannot be rewritten in place, so a mask that touches them fails closed. */
struct held_seg {
	struct rte_mbuf *m;
	uint8_t *payload; /* in m's only segment; NULL: opaque */
	uint32_t seq;     /* of payload[0] */
	uint16_t len;
	uint16_t l4_off; /* TCP header, from the frame start */
	bool dirty;      /* masked: its checksum was adjusted */
};

/* Where body bytes [body_off, body_off + len) of the held request are: payload bytes
 * [off, off + len) of held[seg], or nowhere we can still change (seg -1: already sent). */
struct body_ext {
	uint32_t body_off;
	uint32_t len;
	uint32_t off;
	int32_t seg;
};

struct hp_session {
	struct hp_worker *w;
	struct hp_flow *flow;
	struct hp_http_conn *http;
	struct hp_stream stream; /* dir 0: client to server, 1: server to client */
	struct session_dir {
		struct hp_session *s;
		unsigned int dir;
	} dctx[2]; /* stream consumer contexts */
	bool eof[2];
	EVP_MD_CTX *sha;    /* body hash of the current request (events.body_hash) */
	uint64_t seg_tsc;   /* rx of the segment being processed (latency) */
	uint32_t req_flags; /* HP_EV_F_* gathered for the current request */
	bool hashing;
	bool req_complete; /* the stages judge a complete request */
	bool evicting;     /* being taken back: a request in progress is refused */
	/* verdicts */
	unsigned int cur_dir;         /* direction of the segment being fed (2: none) */
	const struct hp_route_ep *ep; /* endpoint of the current request, NULL: unrouted */
	struct hp_ep_set *eps;        /* the endpoint set ep belongs to (holds a ref) */
	bool decided;                 /* the current request already has its verdict */
	bool pending;                 /* a reject to carry out on the current segment */
	bool rejected;                /* a reject was carried out (bridge: the flow is cut) */
	enum hp_ev_reason rej_reason;
	bool rej_respond, rej_reset_server, rej_active;
	bool pii_valid;                    /* w->pii_res holds this request's scan */
	const struct hp_http_request *req; /* between on_request_headers and its end */
	/* PII hold (bridge, endpoints that mask or block): see hold_*() */
	bool holding;       /* the current request's body segments are held */
	bool hold_overflow; /* a segment found held[] full */
	bool ext_overflow;  /* ext[] full: the body's map is incomplete */
	bool masked_valid;  /* [masked_lo, masked_hi) went out masked */
	int32_t cur_seg;    /* index in held[] of the segment being fed, -1 */
	bool cur_consumed;  /* ... which a release or reject sent or freed */
	uint16_t n_held, n_ext;
	uint32_t masked_lo, masked_hi;
	struct held_seg cur; /* the client segment being fed (when holdable) */
	bool cur_holdable;
	struct held_seg *held; /* w->hold_max */
	struct body_ext *ext;  /* w->ext_max */
	uint8_t *body_buf;     /* the parser's body copy (masked in place) */
	uint32_t masked_bytes; /* of the current request */
	/* shared replay check (replay_cache.global): the request waits for Redis's answer, its
	 * event built, its segments held (bridge) */
	bool awaiting;
	uint8_t await_kind; /* enum hp_gquery_kind */
	bool tok_has_key;   /* token: the replay key to record once it is valid */
	uint8_t tok_key[HP_DEDUP_KEY_LEN];
	uint64_t tok_ttl_ms;
	uint32_t await_slot, await_gen;
	uint64_t await_tsc; /* seg_tsc of the completing segment (latency) */
	struct hp_event aev;
	/* ML scoring of the current request (dp_stage_ml.c) */
	uint8_t ml_state; /* enum hp_ev_ml */
	uint32_t ml_seq;
	float ml_score;
	float ml_f[HP_EV_ML_FEATURES];
	const struct hp_pkt *cur_pkt; /* decode of the segment being fed */
	bool tmpl_valid;              /* tmpl_m/tmpl_pkt: the held client segment with the */
	struct rte_mbuf *tmpl_m;      /* highest sequence number, template of the RST and */
	struct hp_pkt tmpl_pkt;       /* answer of a reject decided after its burst */
	struct hp_cap_rec *cap;       /* forensics: the waiting request's bytes, NULL */
};

/* A PII result has a match of an entity in set. */
static inline bool
hps_pii_hits(const struct hp_pii_result *r, uint64_t set)
{
	for (uint64_t b = set; b != 0; b &= b - 1) /* only the set's bits, lowest first */
		if (r->count[__builtin_ctzll(b)] != 0)
			return true;
	return false;
}

/* ---- what the session files offer each other and the stages ---- */

static inline bool
hps_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

enum hps_global_ask { HPS_GLOBAL_ASKED, HPS_GLOBAL_UNAVAILABLE };

/* verdict actions (dp_session_verdict.c) */
/* Refuse (or call a duplicate) the current request: its event now; the packet actions are
 * carried out on the segment being processed (bridge: RST to the server, an answer to the
 * client, the flow cut). id: the provider's delivery id, may be NULL. */
void hps_reject(struct hp_session *s, const struct hp_http_request *req, enum hp_ev_verdict v,
		enum hp_ev_reason r, uint16_t flags, const struct hp_vspan *id);
/* Accept the current request: masked (mask) and released if held, its event sent. */
void hps_accept(struct hp_session *s, const struct hp_http_request *req, bool mask, uint16_t flags,
		const struct hp_vspan *id);
/* The request waits for an answer from the control thread (hps_await_ask was called): its
 * verdict is decided then; masked now if mask (released with the answer), its event built
 * now (the request's bytes will be gone by then). */
void hps_wait(struct hp_session *s, const struct hp_http_request *req, bool mask, uint16_t flags,
	      const struct hp_vspan *id);
/* Carry out a pending reject on segment m (see dp_session_verdict.c). */
enum hp_verdict hps_reject_act(struct hp_worker *w, struct hp_session *s, struct rte_mbuf *m,
			       const uint8_t *data, const struct hp_pkt *pkt);
/* A packet of a cut flow (bridge): dropped, with the RSTs that let both ends go. */
enum hp_verdict hps_cut_flow_packet(struct hp_worker *w, struct hp_flow *f, unsigned int dir,
				    struct rte_mbuf *m, const uint8_t *data,
				    const struct hp_pkt *pkt);

/* waiting for the control thread (dp_session_await.c) */
/* Make the request wait (kind: enum hp_gquery_kind) at most timeout_tsc: its await entry in
 * *slot, *gen (false: the wait table is full). hps_await_cancel takes it back if the question
 * could not be sent. */
bool hps_await_begin(struct hp_session *s, uint32_t kind, uint64_t timeout_tsc, uint32_t *slot,
		     uint32_t *gen);
void hps_await_cancel(struct hp_session *s);
/* Put a query to the resolver and make the request wait for it (false: no room). */
bool hps_await_ask(struct hp_session *s, struct hp_gquery *q, uint64_t timeout_tsc);
void hps_await_clear(struct hp_session *s);
/* Ask the resolver whether another appliance saw key (replay_cache.global). */
enum hps_global_ask hps_global_ask(struct hp_session *s, const uint8_t key[HP_DEDUP_KEY_LEN],
				   uint64_t ttl_ms);
void hps_global_finish(struct hp_session *s, enum hp_ev_verdict v, enum hp_ev_reason r);
void hps_await_give_up(struct hp_session *s);
void hps_token_valid(struct hp_session *s);
/* Answers of the resolver and the waits past their deadline: at most HPS_AWAIT_POLL_MAX
 * decided; the sessions whose request got its verdict in done[] (*n_sessions), for the caller
 * to put their flows back in order. Returns the answers and timeouts handled. */
#define HPS_AWAIT_POLL_MAX (HP_REPLY_MAX / 2)
unsigned int hps_await_poll(struct hp_worker *w, uint64_t now, struct hp_session **done,
			    unsigned int *n_sessions);

/* held segments (dp_session_hold.c) */
bool hps_hold_wants_cur(const struct hp_session *s);
void hps_hold_cur(struct hp_session *s);
void hps_hold_start(struct hp_session *s);
void hps_hold_map(struct hp_session *s, uint32_t body_off, const uint8_t *data, uint32_t len);
/* The held segments can carry the masks of r's matches in set (none of them in bytes already
 * sent or held opaque). */
bool hps_hold_mask_ok(const struct hp_session *s, const struct hp_pii_result *r, uint64_t set);
uint32_t hps_hold_mask(struct hp_session *s, const struct hp_http_request *req,
		       const struct hp_pii_result *r, uint64_t set);
void hps_hold_reset(struct hp_session *s);
void hps_hold_release(struct hp_session *s);
bool hps_hold_drop(struct hp_session *s, uint32_t *first);

/* events (dp_session_event.c) */
void hps_event_emit(struct hp_session *s, struct hp_event *e);
void hps_event_count(struct hp_session *s, enum hp_ev_verdict v, enum hp_ev_reason r);
void hps_event_fill(struct hp_session *s, const struct hp_http_request *req, uint16_t extra_flags,
		    const struct hp_vspan *id, struct hp_event *e);
void hps_request_event_id(struct hp_session *s, const struct hp_http_request *req,
			  enum hp_ev_verdict v, enum hp_ev_reason r, uint16_t extra_flags,
			  const struct hp_vspan *id);
void hps_request_event(struct hp_session *s, const struct hp_http_request *req,
		       enum hp_ev_verdict v, enum hp_ev_reason r, uint16_t extra_flags);

/* forensics captures (dp_session_capture.c); each does nothing when captures are off */
/* A refused request (v: reject or duplicate): its bytes (req NULL: the head that failed) to
 * the control thread, or counted forensics_dropped. */
void hps_capture(struct hp_session *s, const struct hp_http_request *req, enum hp_ev_verdict v,
		 enum hp_ev_reason why, const struct hp_vspan *id);
/* A request starts waiting (hps_wait): its bytes copied now, kept in s->cap; finish sends
 * them if its verdict v refuses it, else gives the slot back; drop gives it back. */
void hps_capture_hold(struct hp_session *s, const struct hp_http_request *req,
		      const struct hp_vspan *id);
void hps_capture_finish(struct hp_session *s, enum hp_ev_verdict v, enum hp_ev_reason why);
void hps_capture_drop(struct hp_session *s);

/* lifecycle (dp_session.c) */
bool hps_hold_make_room(struct hp_worker *w);
/* The flow ends: flush, the request in progress becomes an event, the session goes back. */
void hps_session_end(struct hp_worker *w, struct hp_flow *f, bool evicted);

#endif /* HP_DP_SESSION_PRIV_H */
