/* SPDX-License-Identifier: BSD-3-Clause
 * Per-worker TCP flow table: 5-tuple -> flow, both directions on one entry, TCP state machine,
 * per-state idle timeouts on a timer wheel advanced every loop pass with bounded work.
 *
 * Storage: an rte_hash (single writer: the owning worker; no locks) whose key position indexes
 * a NUMA-local array of struct hp_flow allocated once at start: nothing is allocated per flow.
 *
 * When the table is full, the flow closest to expiry (the head of the soonest non-empty wheel
 * slot) is evicted to make room (counted as flows_evicted); a flow is never refused while any
 * flow is tracked. Idle timeouts depend on the state: handshake (syn), established, closed.
 */
#ifndef HP_DP_FLOW_H
#define HP_DP_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_decode.h"
#include "hp_config.h"

struct hp_worker;
struct hp_session;

enum hp_tcp_state {
	HP_TCP_SYN_SENT = 0, /* client SYN seen */
	HP_TCP_SYN_RECV,     /* server SYN-ACK seen */
	HP_TCP_ESTABLISHED,  /* handshake completed, or picked up midstream */
	HP_TCP_FIN_WAIT,     /* one side sent FIN */
	HP_TCP_CLOSED,       /* FIN both ways, or RST */
};

/* Normalised key: endpoint 0 is the lower (address, port), so both directions match.
 * 48 bytes: rte_hash compares 16/32/48/64-byte keys with vector code, other sizes with
 * memcmp (measured: memcmp was 9 % of a 64 B-frame run with a 40-byte key). */
struct hp_flow_key {
	uint8_t addr[2][16]; /* IPv4 in the first 4 bytes, the rest zero */
	uint16_t port[2];
	uint8_t family;      /* 4 or 6 */
	uint8_t proto;
	uint8_t pad[10];
};

struct hp_flow {
	struct hp_flow_key key;
	uint64_t last_tsc;   /* last packet, either direction */
	uint32_t wheel_next; /* timer wheel list links: flow indexes, HP_FLOW_NONE at the ends */
	uint32_t wheel_prev;
	uint32_t wheel_slot;
	uint8_t client;      /* key endpoint (0/1) that opened the connection */
	uint8_t state;       /* enum hp_tcp_state */
	uint8_t fin_seen;    /* bit per endpoint */
	uint8_t midstream;   /* picked up without its handshake */
	struct hp_session *session; /* HTTP session (dp_session.c), NULL until payload */
	uint32_t isn[2];     /* SYN sequence numbers per direction, for the stream */
	uint8_t isn_set;     /* bit per direction */
	uint64_t packets[2]; /* per direction: 0 = client to server */
	uint64_t bytes[2];   /* TCP payload bytes per direction */
};

#define HP_FLOW_NONE UINT32_MAX

/* Direction of a packet relative to the flow's client: 0 = to server, 1 = to client. */
struct hp_flow_ref {
	struct hp_flow *flow; /* NULL: not tracked (see counters) */
	uint32_t idx;
	uint8_t dir;
};

int hp_flow_table_create(struct hp_worker *w, const struct hp_flows_config *cfg);
void hp_flow_table_destroy(struct hp_worker *w);
/* Idle timeouts (at creation, and live from a new configuration: worker). */
void hp_flow_set_timeouts(struct hp_worker *w, const struct hp_flows_config *cfg);

/* Look the flows of n TCP segments up (bulk), creating one on a SYN, or midstream when
 * allowed; update state and idle time; refs[i] tells segment i's flow (NULL: untracked) and
 * direction. data[i]/pkts[i]: the decoded frames. Segments are taken in order, so a SYN and
 * later segments of the same new flow in one burst find the same entry. */
#define HP_FLOW_BURST 64
void hp_flow_track_burst(struct hp_worker *w, const uint8_t *const *data,
			 const struct hp_pkt *const *pkts, uint16_t n, uint64_t now,
			 struct hp_flow_ref *refs);

/* A flow cut by a reject: closed now, so it (and its HTTP session) is forgotten after
 * dataplane.flows.timeout_closed_s instead of the established timeout. */
void hp_flow_cut(struct hp_worker *w, uint32_t idx);

/* Expire idle flows: at most `budget` wheel entries examined per call. */
void hp_flow_expire(struct hp_worker *w, uint64_t now, unsigned int budget);

/* At exit: end every flow's HTTP session (requests in progress become incomplete events).
 * The flows stay in the table (their counters are still read). */
void hp_flow_release_all(struct hp_worker *w);

/* Flows currently tracked by this worker. */
uint32_t hp_flow_count(const struct hp_worker *w);

/* Visit every tracked flow (control thread, after the workers stopped). */
void hp_flow_foreach(struct hp_worker *w, void (*fn)(const struct hp_flow *f, void *arg),
		     void *arg);

const char *hp_tcp_state_name(enum hp_tcp_state s);

#endif /* HP_DP_FLOW_H */
