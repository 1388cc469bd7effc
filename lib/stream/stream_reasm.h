/* SPDX-License-Identifier: BSD-3-Clause
 * TCP stream reassembly, per direction, without DPDK and without copies.
 *
 * The caller owns the packet memory. A segment's payload is either handed to the consumer
 * straight from the caller's buffer during the call (in-order data, "first" policy), or
 * referenced: the library calls env->ref(owner) and keeps a pointer into the caller's buffer
 * until the bytes are delivered or discarded, then calls env->unref(owner) exactly once per
 * ref. In the dataplane the owner is the rte_mbuf (ref = refcnt update, unref = free); the bytes
 * must not change while referenced.
 *
 * Memory: segment nodes come from a pool the caller supplies (a fixed array per worker); the
 * library never allocates. What a flow may hold is bounded per flow (bytes and nodes), per
 * direction (out-of-order nodes) and per worker (bytes, pool size). When a segment cannot be
 * taken, the configured action is returned (drop or pass) and counted. docs/STREAM.md is the
 * operator's description of the policies, limits and counters.
 *
 * Threading: everything here belongs to one worker (env, pool, usage, counters, streams); no
 * locks, no atomics. Callbacks run inside the calls and must not re-enter this stream.
 */
#ifndef HP_STREAM_REASM_H
#define HP_STREAM_REASM_H

#include <stdbool.h>
#include <stdint.h>

/* How overlapping bytes that differ are resolved (for bytes not yet handed to the consumer). */
enum hp_stream_policy {
	/* the first copy seen wins; in-order data delivered at arrival */
	HP_STREAM_POLICY_FIRST = 0,
	/* the last copy seen before the peer ACKs it wins; data is held until ACKed (or until
	 * last_hold_bytes is exceeded) */
	HP_STREAM_POLICY_LAST,
};

/* What happens when a segment needs memory the limits do not allow. */
enum hp_stream_action {
	/* stop inspecting the flow: release everything, HP_STREAM_PASS */
	HP_STREAM_ACTION_PASS = 0,
	/* refuse the segment: nothing taken, HP_STREAM_DROP (bridge mode: the caller drops it,
	 * the sender retransmits later) */
	HP_STREAM_ACTION_DROP,
};

struct hp_stream_config {
	uint64_t memcap_bytes;      /* per worker: payload bytes referenced by all its flows */
	uint32_t flow_memcap_bytes; /* per flow (both directions): payload bytes referenced */
	uint32_t flow_max_segs;     /* per flow (both directions): segment nodes */
	uint32_t max_ooo_segs;      /* per direction: nodes waiting for delivery (bounds the
				     * work of one insertion: the queue is a sorted list) */
	uint32_t last_hold_bytes;   /* last policy: ACK-less holding bound; beyond it the oldest
				     * held bytes are delivered (counted as last_forced_bytes) */
	uint32_t max_window;        /* bytes accepted ahead of (or behind) the next expected
				     * byte; at most 2^30 */
	enum hp_stream_policy policy;
	enum hp_stream_action on_memcap;
	bool inline_mode; /* bridge: a segment carrying bytes that differ from the copy that stands
			   * is refused whole (HP_STREAM_OVERLAP_DIFFERENT, nothing taken) so that
			   * the caller can drop it and the server never sees a second version */
	bool retain;      /* keep delivered bytes referenced until ACKed, to compare
			   * retransmissions (opportunistic: see docs/STREAM.md) */
	bool midstream;   /* start a direction at its first segment when no ISN was given */
};

/* Segment node: the caller provides an array of these (per worker) to hp_stream_pool_init.
 * Fields are the library's. */
struct hp_stream_seg {
	struct hp_stream_seg *next;
	const uint8_t *data; /* byte at seq, inside the owner's buffer */
	void *owner;
	uint32_t seq;
	uint32_t len;
};

struct hp_stream_pool {
	struct hp_stream_seg *free;
	uint32_t n_free;
	uint32_t size;
};

/* Per worker: what all its flows hold. */
struct hp_stream_usage {
	uint64_t bytes;
	uint64_t segs;
};

enum hp_stream_result {
	HP_STREAM_NEW = 0,           /* taken: new bytes (delivered, queued or held), FIN or RST */
	HP_STREAM_DUP_SAME,          /* no new byte; every old byte equals the copy kept */
	HP_STREAM_DUP_ACKED,         /* no new byte; all below the peer's ACK (receiver discards) */
	HP_STREAM_DUP_UNCHECKED,     /* some old, unacknowledged bytes not comparable (copy
				      * released early: retention skipped or evicted under memory
				      * pressure, or retain off). Inline mode: nothing of the segment
				      * was taken, new bytes neither: drop it. Else: no new byte */
	HP_STREAM_OVERLAP_DIFFERENT, /* some bytes differ from the copy that stands (delivered, or
				      * queued under "first"); that copy stays. Inline mode: nothing
				      * of the segment was taken: drop it */
	HP_STREAM_OVERLAP_REPLACED,  /* "last": differing bytes replaced bytes not yet delivered */
	HP_STREAM_OUT_OF_WINDOW,     /* ignored: too far from the stream, beyond its FIN, before a
				      * pickup, RST not in window, or (inline) a conflicting FIN */
	HP_STREAM_DROP,              /* limit hit, action drop: nothing taken, drop the segment */
	HP_STREAM_PASS,              /* flow no longer inspected (limit hit with action pass, now or
				      * before, or hp_stream_pass): forward it uninspected */
	HP_STREAM_CLOSED,            /* direction closed (RST, hp_stream_close): ignored */
	HP_STREAM_EMPTY,             /* no payload and no FIN/RST: nothing to do */
	HP_STREAM_RESULT_MAX
};

/* Why a direction ended (env->end). */
enum hp_stream_end {
	HP_STREAM_END_FIN = 0, /* every byte up to the FIN was delivered or reported as a gap */
	HP_STREAM_END_RST,
	HP_STREAM_END_CLOSE, /* hp_stream_close (flow timeout, teardown) */
	HP_STREAM_END_PASS,  /* limit hit with action pass, or hp_stream_pass */
};

/* Segment flags (hp_stream_segment). */
#define HP_STREAM_SEG_FIN 0x01u
#define HP_STREAM_SEG_RST 0x02u

/* Per-worker counters (plain increments; the owner aggregates). Only uint64_t fields, so that
 * the struct can be summed as an array of uint64_t. results[] counts every
 * hp_stream_segment return value: results[HP_STREAM_DUP_SAME] are the retransmissions that
 * matched, results[HP_STREAM_OVERLAP_DIFFERENT] the differing overlaps, and so on. */
struct hp_stream_counters {
	uint64_t results[HP_STREAM_RESULT_MAX];
	uint64_t segments;  /* hp_stream_segment calls */
	uint64_t bytes;     /* payload bytes passed in */
	uint64_t fast_path; /* in-order segments delivered with nothing queued */
	uint64_t queued;    /* segments that left bytes queued (out of order, or held) */
	uint64_t delivered_bytes;
	uint64_t gaps; /* holes reported to the consumer */
	uint64_t gap_bytes;
	uint64_t memcap_flow; /* limit hits, by cause */
	uint64_t memcap_global;
	uint64_t ooo_limit;
	uint64_t pool_exhausted;
	uint64_t memcap_drop; /* limit hits, by action taken */
	uint64_t memcap_pass;
	uint64_t retain_skipped;    /* delivered segments not kept for comparison (limits) */
	uint64_t retain_evicted;    /* kept delivered segments released early to make room */
	uint64_t last_forced_bytes; /* "last": bytes delivered before their ACK (hold bound) */
	uint64_t midstream;         /* directions picked up at their first segment */
	uint64_t unsynced;          /* segments on a direction never started (midstream off) */
	uint64_t fin;               /* FINs taken */
	uint64_t fin_ignored;       /* FINs that contradict bytes already seen */
	uint64_t rst;               /* RSTs taken */
	uint64_t rst_ignored;       /* RSTs outside the window */
	uint64_t ack_invalid;       /* ACKs beyond the window */
};

/* One per worker: configuration (may be replaced between calls, e.g. RCU), memory, counters,
 * and the callbacks. deliver/gap/end get the direction's ctx (hp_stream_init). */
struct hp_stream_env {
	const struct hp_stream_config *cfg;
	struct hp_stream_pool *pool;
	struct hp_stream_usage *usage;
	struct hp_stream_counters *ctr;
	/* the next len bytes of the stream (len > 0); data is valid during the call only */
	void (*deliver)(void *ctx, const uint8_t *data, uint32_t len);
	/* the next len bytes of the stream exist but were never seen (len > 0) */
	void (*gap)(void *ctx, uint32_t len);
	/* no more bytes will come in this direction (optional: NULL) */
	void (*end)(void *ctx, enum hp_stream_end why);
	void (*ref)(void *owner);
	void (*unref)(void *owner);
};

/* Per direction. Fields are readable (statistics, tests) and never written by the caller. */
struct hp_stream_dir {
	struct hp_stream_seg *ooo_head; /* not yet delivered: sorted, disjoint, all >= next_seq */
	struct hp_stream_seg *ooo_tail;
	struct hp_stream_seg *ret_head; /* delivered, kept until ACKed: sorted, disjoint, within
					 * [ack_seq, next_seq) */
	struct hp_stream_seg *ret_tail;
	void *ctx;
	uint32_t next_seq; /* next byte for the consumer */
	uint32_t ack_seq;  /* highest ACK from the peer (starts at next_seq) */
	uint32_t max_end;  /* end of the highest byte seen */
	uint32_t fin_seq;  /* sequence number of the FIN (valid once a FIN was taken) */
	uint32_t ooo_segs;
	uint32_t ooo_bytes;
	uint32_t ret_segs;
	uint32_t ret_bytes;
	uint8_t state;     /* HP_STREAM_DIR_* bits */
	uint8_t midstream; /* picked up without an ISN */
};

#define HP_STREAM_DIR_STARTED 0x01u
#define HP_STREAM_DIR_FIN     0x02u /* fin_seq valid */
#define HP_STREAM_DIR_DONE    0x04u /* everything up to the FIN handed over */
#define HP_STREAM_DIR_CLOSED  0x08u /* released; later segments return HP_STREAM_CLOSED */
#define HP_STREAM_DIR_ENDED   0x10u /* env->end was called */

/* One flow: both directions (0: client to server, 1: server to client, or any convention) and
 * the flow's totals for its memcap. Fixed size; the caller allocates it with the flow. */
struct hp_stream {
	struct hp_stream_dir dir[2];
	uint32_t segs;  /* nodes held, both directions */
	uint32_t bytes; /* payload bytes referenced, both directions */
	uint8_t passed;
};

/* Defaults: first, pass, 256 MiB per worker, 1 MiB and 1024 nodes per flow, 256 out-of-order
 * nodes per direction, 64 KiB last-hold, 2^30 window, retain on, midstream on, inline off. */
void hp_stream_config_default(struct hp_stream_config *cfg);
/* 0, or -EINVAL when a value is out of range (window 0 or > 2^30, zero limits, unknown enum,
 * last_hold_bytes above the flow memcap). */
int hp_stream_config_check(const struct hp_stream_config *cfg);

/* Chain n nodes (n >= 1) into the pool's free list. 0 or -EINVAL. */
int hp_stream_pool_init(struct hp_stream_pool *pool, struct hp_stream_seg *nodes, uint32_t n);

/* Zero a flow and set each direction's consumer context. Nothing is held afterwards. */
void hp_stream_init(struct hp_stream *s, void *ctx0, void *ctx1);

/* Start direction d from its SYN: the first data byte is isn + 1 (data on a SYN is passed to
 * hp_stream_segment at isn + 1). 0, -EALREADY if d already started, -EINVAL if d > 1. */
int hp_stream_start(struct hp_stream *s, unsigned int d, uint32_t isn);

/* One TCP segment of direction d: payload [seq, seq + len) at data, kept alive by owner.
 * flags: HP_STREAM_SEG_FIN / HP_STREAM_SEG_RST. Delivers what became deliverable (callbacks
 * run inside), queues what cannot be delivered yet (ref(owner) once per node kept), and tells
 * the caller what the segment was (enum hp_stream_result). A direction not started is picked
 * up here when cfg->midstream (next byte = seq). An RST is taken (both directions closed as by
 * hp_stream_close, with HP_STREAM_END_RST; its payload ignored) when the direction is not
 * started, or its seq is: inline, exactly the receiver's next byte (RFC 5961); tap, within
 * [next_seq, max(max_end, ack_seq)]. Otherwise HP_STREAM_OUT_OF_WINDOW, counted.
 * Bridge callers: drop OVERLAP_DIFFERENT (inline mode), DROP, CLOSED and OUT_OF_WINDOW; forward
 * the rest (PASS uninspected). docs/STREAM.md has the table.
 * Cost (measured, docs/STREAM.md): in-order with nothing queued, "first": a few compares + the
 * deliver callback, ~4.4 ns/segment; ~14 ns with retain on (one node + one ref, ACK included);
 * 3-segment reordering ~16-23 ns/segment. */
enum hp_stream_result hp_stream_segment(const struct hp_stream_env *env, struct hp_stream *s,
					unsigned int d, uint32_t seq, const uint8_t *data,
					uint32_t len, void *owner, unsigned int flags);

/* The peer acknowledged direction d's bytes up to ack (exclusive). Kept copies below it are
 * released; "last": held bytes below it are delivered; a hole below min(ack, max_end) is
 * reported as a gap (the receiver has bytes we never saw) and the bytes after it follow.
 * 0; -ENOTCONN (direction not started, closed or passed); -ERANGE (beyond max_window:
 * ignored, counted as ack_invalid). Old or duplicate ACKs: 0, nothing done. */
int hp_stream_ack(const struct hp_stream_env *env, struct hp_stream *s, unsigned int d,
		  uint32_t ack);

/* End direction d (flow timeout, teardown): deliver everything queued in order, report each
 * hole as a gap (including up to the FIN, or the highest byte seen), release everything, call
 * end(HP_STREAM_END_CLOSE) unless end was already called. Idempotent. */
void hp_stream_close(const struct hp_stream_env *env, struct hp_stream *s, unsigned int d);

/* Stop inspecting the flow: release everything without delivering, end(HP_STREAM_END_PASS)
 * on started directions; later segments return HP_STREAM_PASS. */
void hp_stream_pass(const struct hp_stream_env *env, struct hp_stream *s);

/* Release everything without any callback but unref (the consumer is already gone). The flow
 * may be reused after hp_stream_init. */
void hp_stream_release(const struct hp_stream_env *env, struct hp_stream *s);

/* Stable snake_case names (metrics labels, logs). */
const char *hp_stream_result_name(enum hp_stream_result r);
const char *hp_stream_policy_name(enum hp_stream_policy p);
const char *hp_stream_action_name(enum hp_stream_action a);

#endif /* HP_STREAM_REASM_H */
