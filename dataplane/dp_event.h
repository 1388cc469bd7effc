/* SPDX-License-Identifier: BSD-3-Clause
 * Event records: one per HTTP request seen on an inspected flow, fixed size, pushed by value
 * onto the worker's single-producer/single-consumer ring to the control thread, which writes
 * them as JSON lines (controlplane/ctl_events.c). A worker never blocks and never does I/O: a
 * full ring drops the event and counts it (events_ring_full).
 */
#ifndef HP_DP_EVENT_H
#define HP_DP_EVENT_H

#include <stdint.h>

#define HP_EV_METHOD_MAX 16
#define HP_EV_HOST_MAX   128
#define HP_EV_URI_MAX    512

enum hp_ev_verdict {
	HP_EV_ACCEPT = 0,
	HP_EV_REJECT,
	HP_EV_DUPLICATE,
	HP_EV_PASS,
};

/* Every reason, one line each: symbol (HP_EV_R_<symbol>), stable snake_case name (events,
 * the counter reason_<name>, the answer's {"error": name}), the HTTP status of the answer to
 * the client (bridge; 503 says "retry": nothing was accepted), what it means. The enum, the
 * names (dp_stats.c) and the statuses (dp_reply.c) are generated from this list; a new reason
 * is one line here. Names are an interface: never renamed, never reused. */
#define foreach_hp_ev_reason(_)                                                                    \
	_(OK, ok, 400, "accepted (never answered)")                                                \
	_(NO_ROUTE, no_route, 404, "no endpoint matches the host and path")                        \
	_(HTTP_MALFORMED, http_malformed, 400, "request head breaks HTTP/1.1 syntax")              \
	_(HTTP_SMUGGLING, http_smuggling, 400, "ambiguous framing (TE+CL, two lengths, ...)")      \
	_(HTTP_LINE_TOO_LONG, http_line_too_long, 400, "a line over http.max_line")                \
	_(HTTP_TOO_MANY_HEADERS, http_too_many_headers, 431, "over http.max_headers")              \
	_(HTTP_HEADERS_TOO_LARGE, http_headers_too_large, 431, "over http.max_header_bytes")       \
	_(HTTP_TOO_MANY_PIPELINED, http_too_many_pipelined, 400, "over http.max_pipelined")        \
	_(HTTP_GAP, http_gap, 400, "bytes of the request were never seen")                         \
	_(HTTP_INCOMPLETE, http_incomplete, 400, "the connection ended inside the request")        \
	_(MISSING_SIGNATURE, missing_signature, 401, "no signature header")                        \
	_(MALFORMED_SIGNATURE, malformed_signature, 401, "a signature header that cannot parse")   \
	_(BAD_SIGNATURE, bad_signature, 401, "no secret signs these bytes")                        \
	_(MISSING_TIMESTAMP, missing_timestamp, 401, "the provider signs a timestamp; none")       \
	_(MALFORMED_TIMESTAMP, malformed_timestamp, 401, "a timestamp that cannot parse")          \
	_(STALE_TIMESTAMP, stale_timestamp, 401, "older than the tolerance")                       \
	_(FUTURE_TIMESTAMP, future_timestamp, 401, "further ahead than the tolerance")             \
	_(MISSING_ID, missing_id, 401, "the provider signs a delivery id; none")                   \
	_(UNSUPPORTED_SIGNATURE, unsupported_signature, 401,                                       \
	  "a scheme this endpoint does not take")                                                  \
	_(DUPLICATE, duplicate, 409, "a replay: its key was accepted within its TTL")              \
	_(BODY_TOO_LARGE, body_too_large, 413, "body over the endpoint's max_body")                \
	_(REPLAY_CACHE_FULL, replay_cache_full, 503, "could not be recorded: never accepted")      \
	_(REPLAY_CACHE_BUSY, replay_cache_busy, 503, "the replay key could not be checked")        \
	_(PII_BLOCKED, pii_blocked, 422, "a PII entity whose action is block matched")             \
	_(PII_MASK_FAILED, pii_mask_failed, 422,                                                   \
	  "a match could not be masked (sent, opaque, error)")                                     \
	_(PII_HOLD_FULL, pii_hold_full, 413, "more segments to hold than allowed")                 \
	_(REPLAY_UNAVAILABLE, replay_unavailable, 503, "the shared replay check did not answer")   \
	_(MISSING_TOKEN, missing_token, 401, "endpoints[].token: no token in the header")          \
	_(BAD_TOKEN, bad_token, 401, "unknown, revoked, expired or another endpoint's token")      \
	_(TOKEN_UNAVAILABLE, token_unavailable, 503, "not in L1, and L2/L3 did not answer")        \
	_(SESSION_EVICTED, session_evicted, 503, "its session was taken back; the flow is cut")    \
	_(ML_BLOCKED, ml_blocked, 403, "its ML score is above the endpoint's ml.threshold")        \
	_(ML_UNAVAILABLE, ml_unavailable, 503, "no ML score in time (ml.on_timeout: reject)")      \
	_(FOREIGN_HOST, foreign_host, 404,                                                         \
	  "an endpoint's path under another Host (foreign_host: reject)")                          \
	_(PATH_TOO_LONG, path_too_long, 414,                                                       \
	  "unrouted, its path too long to normalise as a server would (foreign_host: reject)")

enum hp_ev_reason {
#define _(sym, name, status, help) HP_EV_R_##sym,
	foreach_hp_ev_reason(_)
#undef _
		HP_EV_R__MAX,
};

/* flags */
#define HP_EV_F_METHOD_TRUNC 0x0001
#define HP_EV_F_HOST_TRUNC   0x0002
#define HP_EV_F_URI_TRUNC    0x0004
#define HP_EV_F_GAP          0x0008 /* bytes of the request were never seen */
#define HP_EV_F_BODY_HASH    0x0010 /* body_sha256 is valid */
#define HP_EV_F_MIDSTREAM    0x0020 /* the flow was picked up without its handshake */
#define HP_EV_F_INCOMPLETE   0x0040 /* the flow ended before the request did */
#define HP_EV_F_ID_TRUNC     0x0080 /* webhook_id longer than HP_EV_ID_MAX */
#define HP_EV_F_KEY_FALLBACK 0x0100 /* dedup key absent: the body hash was used */
#define HP_EV_F_LATE         0x0200 /* verdict came after the completing segment had gone */

#define HP_EV_F_PII       0x0400 /* pii_entity/pii_count[0, pii_n) are valid */
#define HP_EV_F_PII_TRUNC 0x0800 /* more entities matched than HP_EV_PII_MAX */
#define HP_EV_F_MASKED    0x1000 /* the body went on masked (pii_masked bytes changed) */
#define HP_EV_F_GLOBAL    0x2000 /* the shared replay check (Redis) decided */

#define HP_EV_NO_ENDPOINT 0xffff
#define HP_EV_ID_MAX      96
#define HP_EV_PII_MAX     16 /* distinct entities counted in one event */
#define HP_EV_ML_FEATURES 16 /* = HP_ML_N_FEATURES (checked in dp_stage_ml.c) */

struct hp_event {
	uint64_t tsc;         /* when the request was complete (rte_rdtsc) */
	uint64_t latency_tsc; /* rx of the completing segment to the verdict */
	uint64_t body_len;
	uint8_t src[16]; /* client */
	uint8_t dst[16]; /* server */
	uint16_t sport, dport;
	uint16_t flags;  /* HP_EV_F_* */
	uint8_t family;  /* 4 or 6 */
	uint8_t verdict; /* enum hp_ev_verdict */
	uint8_t reason;  /* enum hp_ev_reason */
	uint8_t worker;
	uint8_t method_len;
	uint8_t host_len;
	uint16_t uri_len;
	uint16_t endpoint; /* index in the config's endpoints, HP_EV_NO_ENDPOINT: none */
	uint8_t webhook_id_len;
	uint8_t pii_n; /* entries of pii_entity/pii_count */
	uint8_t pad[2];
	uint32_t pii_masked; /* bytes changed by masking */
	char method[HP_EV_METHOD_MAX];
	char host[HP_EV_HOST_MAX];
	char uri[HP_EV_URI_MAX];
	char webhook_id[HP_EV_ID_MAX]; /* the provider's delivery/event id, as sent */
	char ep_name[64];              /* endpoint name (NUL-terminated), "" when unrouted */
	char ep_provider[32];
	uint8_t body_sha256[32];
	uint8_t pii_entity[HP_EV_PII_MAX]; /* lib/pii entity ids (custom ones included) */
	uint16_t pii_count[HP_EV_PII_MAX]; /* matches of each (saturating) */
	/* ML scoring (endpoints[].ml.policy not off) */
	float ml_score;   /* HP_EV_ML_SCORED / FLAGGED */
	uint32_t ml_seq;  /* HP_EV_ML_PENDING: the worker's sequence of the feature record */
	uint8_t ml_state; /* enum hp_ev_ml */
	uint8_t ml_pad[3];
	uint32_t ml_version;           /* of the model that scored it */
	float ml_f[HP_EV_ML_FEATURES]; /* the feature vector scored (lib/ml/ml_features.h) */
} __attribute__((aligned(8)));

/* Where an event's ML score stands. */
enum hp_ev_ml {
	HP_EV_ML_NONE = 0,    /* not scored (policy off, or refused before the ml stage) */
	HP_EV_ML_PENDING,     /* score / flag: the control plane joins the score (ml_seq) */
	HP_EV_ML_SCORED,      /* ml_score is valid */
	HP_EV_ML_FLAGGED,     /* ml_score is valid and above the threshold (flag, enforce) */
	HP_EV_ML_RING_FULL,   /* missing: the worker's ring to the scorer was full */
	HP_EV_ML_TIMEOUT,     /* missing: no score in time */
	HP_EV_ML_DROPPED,     /* missing: the scorer's queue was full, or no scorer runs */
	HP_EV_ML_ERROR,       /* missing: the model failed on its batch */
	HP_EV_ML_UNAVAILABLE, /* missing: the remote scorer's breaker is open */
	HP_EV_ML__MAX,
};

const char *hp_ev_verdict_name(enum hp_ev_verdict v);
const char *hp_ev_reason_name(enum hp_ev_reason r);

#endif /* HP_DP_EVENT_H */
