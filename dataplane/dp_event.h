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

/* Stable snake_case reason codes (DESIGN §6). */
enum hp_ev_reason {
	HP_EV_R_OK = 0,
	HP_EV_R_NO_ROUTE,
	HP_EV_R_HTTP_MALFORMED,
	HP_EV_R_HTTP_SMUGGLING,
	HP_EV_R_HTTP_LINE_TOO_LONG,
	HP_EV_R_HTTP_TOO_MANY_HEADERS,
	HP_EV_R_HTTP_HEADERS_TOO_LARGE,
	HP_EV_R_HTTP_TOO_MANY_PIPELINED,
	HP_EV_R_HTTP_GAP,
	HP_EV_R_HTTP_INCOMPLETE,
	/* signature verification (lib/verify results, same names) */
	HP_EV_R_MISSING_SIGNATURE,
	HP_EV_R_MALFORMED_SIGNATURE,
	HP_EV_R_BAD_SIGNATURE,
	HP_EV_R_MISSING_TIMESTAMP,
	HP_EV_R_MALFORMED_TIMESTAMP,
	HP_EV_R_STALE_TIMESTAMP,
	HP_EV_R_FUTURE_TIMESTAMP,
	HP_EV_R_MISSING_ID,
	HP_EV_R_UNSUPPORTED_SIGNATURE,
	/* replay cache, limits */
	HP_EV_R_DUPLICATE,
	HP_EV_R_BODY_TOO_LARGE,
	HP_EV_R_REPLAY_CACHE_FULL,  /* could not be recorded: refused (503), never accepted */
	HP_EV_R_REPLAY_CACHE_BUSY,
	/* PII (lib/pii, endpoint pii.policy) */
	HP_EV_R_PII_BLOCKED,        /* policy block (or an entity's action block) matched: 422 */
	HP_EV_R_PII_MASK_FAILED,    /* a match could not be masked (bytes already forwarded, too
				     * many matches to keep, scan error): refused, 422 */
	HP_EV_R_PII_HOLD_FULL,      /* more body segments than pii.max_held_segments: 413 */
	HP_EV_R_REPLAY_UNAVAILABLE, /* the shared replay check did not answer in time and
				     * replay_cache.global.on_unavailable is reject: 503 */
	HP_EV_R_MISSING_TOKEN,      /* endpoints[].token: no token in the header: 401 */
	HP_EV_R_BAD_TOKEN,          /* unknown, revoked, expired or another endpoint's: 401 */
	HP_EV_R_TOKEN_UNAVAILABLE,  /* not in L1 and L2/L3 did not answer in time: 503 */
	HP_EV_R_SESSION_EVICTED,    /* the request's session was taken back for a new flow
				     * (http.max_sessions): the flow is cut, 503 */
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

#define HP_EV_F_PII          0x0400 /* pii_entity/pii_count[0, pii_n) are valid */
#define HP_EV_F_PII_TRUNC    0x0800 /* more entities matched than HP_EV_PII_MAX */
#define HP_EV_F_MASKED       0x1000 /* the body went on masked (pii_masked bytes changed) */
#define HP_EV_F_GLOBAL       0x2000 /* the shared replay check (Redis) decided */

#define HP_EV_NO_ENDPOINT 0xffff
#define HP_EV_ID_MAX      96
#define HP_EV_PII_MAX     16 /* distinct entities counted in one event */

struct hp_event {
	uint64_t tsc;           /* when the request was complete (rte_rdtsc) */
	uint64_t latency_tsc;   /* rx of the completing segment to the verdict */
	uint64_t body_len;
	uint8_t src[16];        /* client */
	uint8_t dst[16];        /* server */
	uint16_t sport, dport;
	uint16_t flags;         /* HP_EV_F_* */
	uint8_t family;         /* 4 or 6 */
	uint8_t verdict;        /* enum hp_ev_verdict */
	uint8_t reason;         /* enum hp_ev_reason */
	uint8_t worker;
	uint8_t method_len;
	uint8_t host_len;
	uint16_t uri_len;
	uint16_t endpoint;      /* index in the config's endpoints, HP_EV_NO_ENDPOINT: none */
	uint8_t webhook_id_len;
	uint8_t pii_n;          /* entries of pii_entity/pii_count */
	uint8_t pad[2];
	uint32_t pii_masked;    /* bytes changed by masking */
	char method[HP_EV_METHOD_MAX];
	char host[HP_EV_HOST_MAX];
	char uri[HP_EV_URI_MAX];
	char webhook_id[HP_EV_ID_MAX]; /* the provider's delivery/event id, as sent */
	char ep_name[64];       /* endpoint name (NUL-terminated), "" when unrouted */
	char ep_provider[32];
	uint8_t body_sha256[32];
	uint8_t pii_entity[HP_EV_PII_MAX];  /* lib/pii entity ids (custom ones included) */
	uint16_t pii_count[HP_EV_PII_MAX];  /* matches of each (saturating) */
} __attribute__((aligned(8)));

const char *hp_ev_verdict_name(enum hp_ev_verdict v);
const char *hp_ev_reason_name(enum hp_ev_reason r);

#endif /* HP_DP_EVENT_H */
