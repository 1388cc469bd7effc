/* SPDX-License-Identifier: BSD-3-Clause
 * Per-worker TCP flow table of the guarded flows (dp_guard.h): 5-tuple -> flow, both
 * directions on one entry, TCP state machine, per-state idle timeouts on a timer wheel advanced
 * every loop pass with bounded work.
 *
 * Storage: an rte_hash (single writer: the owning worker; no locks) whose key position indexes
 * a NUMA-local array of struct hp_flow allocated once at start: nothing is allocated per flow.
 *
 * Eviction (docs/SECURITY.md): every flow sits in one of four FIFO lists by what losing it
 * costs, and a full table evicts the oldest flow of the cheapest non-empty list: closed, then
 * half-open (no payload parsed yet: a SYN flood lands here), then idle (a session between
 * requests), then active (a request in progress: its connection is cut). A flow referenced by
 * the burst being processed is never evicted (pinned), so a later packet of the same burst
 * cannot take the entry an earlier one points to.
 */
#ifndef HP_DP_FLOW_H
#define HP_DP_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_decode.h"
#include "dp_guard.h"
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
	uint8_t family; /* 4 or 6 */
	uint8_t proto;
	uint8_t pad[10];
};

/* Eviction classes, cheapest first (see the top of this file). */
enum hp_flow_class {
	HP_FLOW_CLS_CLOSED = 0, /* closed, refused or cut: nothing left to inspect */
	HP_FLOW_CLS_HALF,       /* no HTTP session: handshake, or no payload parsed yet */
	HP_FLOW_CLS_IDLE,       /* a session between two requests */
	HP_FLOW_CLS_ACTIVE,     /* a session with a request in progress */
	HP_FLOW_CLS__MAX,
};

/* Why a guarded flow no longer carries anything (bridge; tap never cuts). */
enum hp_flow_cut {
	HP_FLOW_CUT_NONE = 0,
	HP_FLOW_CUT_REJECTED, /* a verdict refused a request: RST to the server, answer or RST to
			       * the client (answered/client_reset/answer_end) */
	HP_FLOW_CUT_RESET,    /* evicted while active, or refused midstream: the next packet
			       * gets RSTs both ways (rst_sent), later ones are dropped */
};

struct hp_flow {
	struct hp_flow_key key;
	uint64_t last_tsc;   /* last packet, either direction */
	uint32_t wheel_next; /* timer wheel list links: flow indexes, HP_FLOW_NONE at the ends */
	uint32_t wheel_prev;
	uint32_t wheel_slot;
	uint8_t client;             /* key endpoint (0/1) that opened the connection */
	uint8_t state;              /* enum hp_tcp_state */
	uint8_t fin_seen;           /* bit per endpoint */
	uint8_t midstream;          /* picked up without its handshake */
	struct hp_session *session; /* HTTP session (dp_session.c), NULL until payload */
	uint32_t isn[2];            /* SYN sequence numbers per direction, for the stream */
	uint8_t isn_set;            /* bit per direction */
	uint8_t cls;                /* enum hp_flow_class */
	uint8_t cut;                /* enum hp_flow_cut */
	uint8_t answered : 1;       /* REJECTED: an HTTP answer (with FIN) went to the client */
	uint8_t client_reset : 1;   /* a RST went to the client */
	uint8_t rst_sent : 1;       /* RESET: the RSTs were sent */
	uint8_t resume : 1;         /* a session was taken back between requests: the next one
				     * starts its streams at resume_seq (exact request boundary) */
	uint32_t cls_next;          /* class list links (flow indexes, HP_FLOW_NONE at the ends) */
	uint32_t cls_prev;
	uint32_t pin;        /* table generation of the last burst that referenced it */
	uint32_t answer_end; /* REJECTED: server-side seq after the answer's FIN */
	uint32_t resume_seq[2];
	uint64_t packets[2]; /* per direction: 0 = client to server */
	uint64_t bytes[2];   /* TCP payload bytes per direction */
};

#define HP_FLOW_NONE UINT32_MAX

/* Direction of a packet relative to the flow's client: 0 = to server, 1 = to client. */
struct hp_flow_ref {
	struct hp_flow *flow; /* NULL: not tracked (flows_untracked): bridge drops its payload */
	uint32_t idx;
	uint8_t dir;
};

/* Why a flow leaves the table, told to its owner (hp_flow_end_fn). */
enum hp_flow_end {
	HP_FLOW_END_EXPIRED = 0, /* idle past the timeout of its state */
	HP_FLOW_END_REUSED,      /* its tuple opened a new connection (the entry stays) */
	HP_FLOW_END_EVICTED,     /* the table was full: a request in progress is refused */
	HP_FLOW_END_EXIT,        /* the worker stops (the entry stays, its counters are read) */
};

/* The owner of the flows (the HTTP sessions, dp_session.c) is told when one ends, before the
 * entry is reused or removed: whatever it keeps per flow (f->session) goes then. */
typedef void (*hp_flow_end_fn)(struct hp_worker *w, struct hp_flow *f, enum hp_flow_end why);

struct hp_flow_table_params {
	const struct hp_flows_config *cfg; /* max, midstream, timeouts */
	const struct hp_guard *guard;      /* which end of a midstream flow is the server */
	bool refuse_midstream;             /* bridge, dataplane.guard.midstream: refuse */
	hp_flow_end_fn end;                /* may be NULL: nobody to tell */
};

/* The table of w (w->flows), on w->socket: 0 or -ENOMEM. */
int hp_flow_table_create(struct hp_worker *w, const struct hp_flow_table_params *p);
void hp_flow_table_destroy(struct hp_worker *w);
/* Idle timeouts (at creation, and live from a new configuration: worker). */
void hp_flow_set_timeouts(struct hp_worker *w, const struct hp_flows_config *cfg);

/* Look the flows of n guarded TCP segments up (bulk), creating one on a SYN; a segment of no
 * flow without SYN: bridge with guard.midstream refuse creates the flow already cut
 * (HP_FLOW_CUT_RESET: the caller resets it), otherwise midstream when allowed. Updates state
 * and idle time, then calls seg(w, i, ref, arg) with segment i's flow (ref->flow NULL:
 * untracked) and direction before the next segment is looked at, so that each segment is
 * handled with its flow as it was when the segment arrived. data[i] / pkts[i]: the decoded
 * frames. A SYN and later segments of the same new flow in one burst find the same entry;
 * every flow referenced is pinned for the burst (never evicted by a later segment of it). */
#define HP_FLOW_BURST 64
typedef void (*hp_flow_seg_fn)(struct hp_worker *w, uint16_t i, const struct hp_flow_ref *ref,
			       void *arg);
void hp_flow_track_burst(struct hp_worker *w, const uint8_t *const *data,
			 const struct hp_pkt *const *pkts, uint16_t n, uint64_t now,
			 hp_flow_seg_fn seg, void *arg);

/* A flow cut (why: enum hp_flow_cut): closed now, class closed, forgotten after
 * dataplane.flows.timeout_closed_s instead of the established timeout. */
void hp_flow_cut(struct hp_worker *w, struct hp_flow *f, enum hp_flow_cut why);

/* f now belongs to class cls: moved to the tail of that list (nothing happens when it is
 * already of that class, so the order is the order of entering a class). */
void hp_flow_set_class(struct hp_worker *w, struct hp_flow *f, enum hp_flow_class cls);

/* Is f referenced by the burst being processed (must not be evicted)? */
bool hp_flow_pinned(const struct hp_worker *w, const struct hp_flow *f);

/* The oldest flow of class cls that has a session that may be taken back (not pinned, and
 * accepted by ok(s)), looking at most at `budget` flows; NULL if none. */
struct hp_flow *hp_flow_session_victim(struct hp_worker *w, enum hp_flow_class cls,
				       bool (*ok)(const struct hp_session *s), unsigned int budget);

/* Expire idle flows: at most `budget` wheel entries examined per call. */
void hp_flow_expire(struct hp_worker *w, uint64_t now, unsigned int budget);

/* At exit: end every flow's HTTP session (requests in progress become incomplete events).
 * The flows stay in the table (their counters are still read). */
void hp_flow_release_all(struct hp_worker *w);
/* Remove every flow, each ended as at exit (the warm-up at start leaves none): 0, or -ENOMEM
 * and nothing removed. Worker only. */
int hp_flow_remove_all(struct hp_worker *w);

/* Flows currently tracked by this worker. */
uint32_t hp_flow_count(const struct hp_worker *w);

/* Visit every tracked flow (control thread, after the workers stopped). */
void hp_flow_foreach(struct hp_worker *w, void (*fn)(const struct hp_flow *f, void *arg),
		     void *arg);

const char *hp_tcp_state_name(enum hp_tcp_state s);

#endif /* HP_DP_FLOW_H */
