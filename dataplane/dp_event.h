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

struct hp_event {
	uint64_t tsc;           /* when the request was complete (rte_rdtsc) */
	uint64_t latency_tsc;   /* rx of the completing segment to the event */
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
	uint16_t pad;
	char method[HP_EV_METHOD_MAX];
	char host[HP_EV_HOST_MAX];
	char uri[HP_EV_URI_MAX];
	uint8_t body_sha256[32];
} __attribute__((aligned(8)));

const char *hp_ev_verdict_name(enum hp_ev_verdict v);
const char *hp_ev_reason_name(enum hp_ev_reason r);

#endif /* HP_DP_EVENT_H */
