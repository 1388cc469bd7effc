/* SPDX-License-Identifier: BSD-3-Clause
 * Per-worker counters. Workers bump plain uint64_t slots in their own cache-aligned block (no
 * atomics, no sharing); the control thread sums the blocks off the fast path. A 64-bit aligned
 * load is atomic on the platforms DPDK supports, so a reader sees a value that was true at some
 * instant, which is all statistics need.
 *
 * Names are stable (metrics and tests rely on them): "<name>" in the stats JSON, later
 * "hookpath_<name>_total" in Prometheus.
 */
#ifndef HP_DP_STATS_H
#define HP_DP_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "dp_decode.h"
#include "dp_event.h"
#include "http_parse.h"

/* Every counter, one line each: symbol (HP_CTR_<symbol>), stable name ("<name>" in the stats
 * JSON, hookpath_<name>_total in Prometheus), what it counts (the Prometheus HELP text). The
 * enum, the names (dp_stats.c) and the HELP lines (controlplane/ctl_metrics.c) come from this
 * list: a new counter is one line here. Names are an interface: never renamed, never reused.
 * The labelled families (decode_err_*, http_err_*, reason_*) follow, from their own lists,
 * then the request stages' counters, each stage declaring its own in its file (dp_stage.h):
 * the slots of HP_CTR_STAGE_BASE.. are given out in stage order at start. */
#define HP_STAGE_CTRS_MAX 32
#define foreach_hp_ctr(_)                                                                          \
	_(RX_PACKETS, rx_packets, "Packets received on the ports.")                                \
	_(RX_BYTES, rx_bytes, "Bytes received on the ports.")                                      \
	_(TX_PACKETS, tx_packets, "Packets handed to a tx queue and accepted by it.")              \
	_(TX_BYTES, tx_bytes, "Bytes handed to a tx queue and accepted by it.")                    \
	_(TX_DROP_FULL, tx_drop_full, "Tx queue full after the buffer flush: dropped.")            \
	_(L3_IPV4, l3_ipv4,                                                                        \
	  "IPv4 packets (a fragmented datagram counts once, on its first "                         \
	  "fragment).")                                                                            \
	_(L3_IPV6, l3_ipv6, "IPv6 packets (a fragmented datagram counts once).")                   \
	_(L3_ARP, l3_arp, "ARP frames (always carried).")                                          \
	_(L3_OTHER, l3_other,                                                                      \
	  "Non-IP, non-ARP frames (LLDP, STP and others): "                                        \
	  "forwarded, not inspected.")                                                             \
	_(L4_TCP, l4_tcp, "IP packets carrying TCP.")                                              \
	_(L4_UDP, l4_udp, "IP packets carrying UDP.")                                              \
	_(L4_ICMP, l4_icmp, "ICMP and ICMPv6.")                                                    \
	_(L4_OTHER, l4_other, "IP packets of another L4 protocol.")                                \
	_(DECODE_ERRORS, decode_errors, "Sum of the decode_err_* counters.")                       \
	_(MALFORMED_DROPPED, malformed_dropped,                                                    \
	  "Malformed frames dropped (on_malformed: "                                               \
	  "drop, or tap).")                                                                        \
	_(MALFORMED_FORWARDED, malformed_forwarded,                                                \
	  "Malformed frames forwarded uninspected "                                                \
	  "(on_malformed: forward).")                                                              \
	_(DEFRAG_FRAGMENTS, defrag_fragments, "IP fragments taken by IP reassembly.")              \
	_(DEFRAG_REASSEMBLED, defrag_reassembled,                                                  \
	  "Complete datagrams out of reassembly "                                                  \
	  "(inspected).")                                                                          \
	_(DEFRAG_UNGUARDED, defrag_unguarded,                                                      \
	  "Datagrams whose first fragment says not "                                               \
	  "guarded: their fragments forwarded untouched, never reassembled.")                      \
	_(DEFRAG_REFRAGMENTED, defrag_refragmented,                                                \
	  "Bridge: reassembled datagrams forwarded "                                               \
	  "re-fragmented.")                                                                        \
	_(DEFRAG_EXPIRED, defrag_expired,                                                          \
	  "Datagrams still incomplete after "                                                      \
	  "defrag.timeout_ms.")                                                                    \
	_(DEFRAG_EVICTED, defrag_evicted,                                                          \
	  "Incomplete datagrams dropped to make room "                                             \
	  "(max_flows or max_held reached).")                                                      \
	_(DEFRAG_OVERLAP, defrag_overlap,                                                          \
	  "Datagrams dropped: fragments overlap (RFC 5722) or "                                    \
	  "disagree on the total length.")                                                         \
	_(DEFRAG_TOO_MANY, defrag_too_many,                                                        \
	  "Datagrams dropped: more than "                                                          \
	  "defrag.max_fragments.")                                                                 \
	_(DEFRAG_TOO_BIG, defrag_too_big, "Datagrams dropped: longer than 65535 bytes of IP.")     \
	_(DEFRAG_SOURCE_LIMIT, defrag_source_limit,                                                \
	  "Fragments refused: their source has "                                                   \
	  "max_per_source incomplete datagrams.")                                                  \
	_(DEFRAG_FRAGMENTS_DROPPED, defrag_fragments_dropped,                                      \
	  "Fragments freed with a dropped "                                                        \
	  "datagram (any reason above).")                                                          \
	_(DEFRAG_FAIL_PASSED, defrag_fail_passed,                                                  \
	  "Datagrams given up whose fragments were "                                               \
	  "forwarded uninspected (defrag.on_fail: pass).")                                         \
	_(DEFRAG_DUPLICATE, defrag_duplicate,                                                      \
	  "Exact duplicates of a fragment already held: "                                          \
	  "dropped.")                                                                              \
	_(DEFRAG_NOMBUF, defrag_nombuf,                                                            \
	  "No mbuf to build a reassembled datagram or its "                                        \
	  "fragments.")                                                                            \
	_(DEFRAG_UNSUPPORTED, defrag_unsupported,                                                  \
	  "Fragments the reassembly cannot parse: "                                                \
	  "dropped.")                                                                              \
	_(DEFRAG_DISABLED, defrag_disabled,                                                        \
	  "Fragments forwarded uninspected (defrag.enabled: "                                      \
	  "false).")                                                                               \
	_(DEFRAG_DECODE_ERR, defrag_decode_err,                                                    \
	  "Reassembled datagrams that failed L4 decode or "                                        \
	  "checksum.")                                                                             \
	_(DEFRAG_INCOMPLETE_AT_EXIT, defrag_incomplete_at_exit,                                    \
	  "Fragments still waiting when "                                                          \
	  "hookpath stopped.")                                                                     \
	_(DISPATCH_OUT, dispatch_out, "Packets handed to the worker that owns their flow.")        \
	_(DISPATCH_IN, dispatch_in,                                                                \
	  "Packets received from another worker (software "                                        \
	  "dispatch).")                                                                            \
	_(DISPATCH_RING_FULL, dispatch_ring_full, "Handoff ring full: packet dropped.")            \
	_(DISPATCH_DROPPED_AT_EXIT, dispatch_dropped_at_exit,                                      \
	  "Packets still in a handoff ring when "                                                  \
	  "hookpath stopped.")                                                                     \
	_(FLOWS_CREATED, flows_created, "TCP flows created (SYN, or midstream).")                  \
	_(FLOWS_MIDSTREAM, flows_midstream, "TCP flows picked up without their handshake.")        \
	_(FLOWS_UNTRACKED, flows_untracked,                                                        \
	  "Guarded TCP segments of no flow (midstream off, "                                       \
	  "a lone RST, no room): bridge drops those carrying payload.")                            \
	_(FLOWS_EXPIRED, flows_expired, "TCP flows removed after their state's idle timeout.")     \
	_(FLOWS_EVICTED, flows_evicted,                                                            \
	  "TCP flows removed to make room (dataplane.flows.max reached).")                         \
	_(FLOWS_EVICTED_ACTIVE, flows_evicted_active,                                              \
	  "Flows evicted with a request in "                                                       \
	  "progress (connection cut).")                                                            \
	_(FLOWS_REUSED, flows_reused, "Closed TCP flows whose tuple a new SYN reopened.")          \
	_(TCP_UNGUARDED, tcp_unguarded,                                                            \
	  "TCP segments of flows that are not guarded: "                                           \
	  "forwarded untouched, never tracked nor parsed.")                                        \
	_(GUARD_MIDSTREAM_REFUSED, guard_midstream_refused,                                        \
	  "Guarded flows reset because "                                                           \
	  "their handshake was not seen (dataplane.guard.midstream: refuse).")                     \
	_(GUARD_CLOSED_DATA, guard_closed_data,                                                    \
	  "Payload on a guarded flow already closed "                                              \
	  "(its session released): dropped.")                                                      \
	_(HTTP_SESSIONS, http_sessions,                                                            \
	  "Flows whose HTTP was parsed (session taken from the "                                   \
	  "pool).")                                                                                \
	_(HTTP_SESSIONS_FULL, http_sessions_full,                                                  \
	  "Segments of a flow that could get no "                                                  \
	  "session.")                                                                              \
	_(HTTP_SESSIONS_CLOSED, http_sessions_closed,                                              \
	  "Sessions returned when their "                                                          \
	  "connection closed.")                                                                    \
	_(HTTP_SESSIONS_EVICTED, http_sessions_evicted,                                            \
	  "Sessions taken back from the least "                                                    \
	  "recently active flow to parse a new one (that flow is cut).")                           \
	_(HTTP_REQUESTS, http_requests, "Request heads parsed.")                                   \
	_(HTTP_BODY_BYTES, http_body_bytes, "Request body bytes delivered (de-chunked).")          \
	_(HTTP_RESPONSES, http_responses, "Response status lines paired with a request.")          \
	_(HTTP_REJECTED_PACKETS, http_rejected_packets,                                            \
	  "Bridge: packets of a rejected flow "                                                    \
	  "dropped (both ways).")                                                                  \
	_(REQ_ROUTED, requests_routed, "Requests that matched an endpoint.")                       \
	_(REQ_UNROUTED, requests_unrouted,                                                         \
	  "Requests that matched none (unrouted: pass or "                                         \
	  "reject).")                                                                              \
	_(VERDICT_ACCEPT, verdict_accept,                                                          \
	  "Requests by verdict (every request gets exactly "                                       \
	  "one).")                                                                                 \
	_(VERDICT_REJECT, verdict_reject, "Requests refused.")                                     \
	_(VERDICT_DUPLICATE, verdict_duplicate, "Requests refused as replays.")                    \
	_(VERDICT_PASS, verdict_pass,                                                              \
	  "Requests passed without a verdict (unrouted, fail-open "                                \
	  "choices).")                                                                             \
	_(VERDICT_LATE, verdict_late,                                                              \
	  "Reject decided after the completing segment had gone "                                  \
	  "(policy last, or the flow ended): flow cut, counted.")                                  \
	_(REJECT_RST_SERVER, reject_rst_server, "RSTs sent toward servers.")                       \
	_(REJECT_RESPONSES, reject_responses, "HTTP 4xx/5xx answers sent to clients.")             \
	_(REJECT_RST_CLIENT, reject_rst_client,                                                    \
	  "RSTs sent toward clients (tap active "                                                  \
	  "response, or a client still talking after its answer).")                                \
	_(REJECT_NOMBUF, reject_nombuf, "No mbuf to build a RST or an answer: not sent.")          \
	_(DEDUP_KEY_FALLBACK, dedup_key_fallback,                                                  \
	  "Dedup key header/field absent: body hash "                                              \
	  "used instead.")                                                                         \
	_(PII_HELD_SEGMENTS, pii_held_segments,                                                    \
	  "Client segments held for a mask/block "                                                 \
	  "endpoint (bridge).")                                                                    \
	_(PII_HELD_DUP_DROPPED, pii_held_dup_dropped,                                              \
	  "Retransmissions of bytes already held: "                                                \
	  "dropped.")                                                                              \
	_(PII_HOLD_ABANDONED, pii_hold_abandoned,                                                  \
	  "Held segments freed because the flow ended "                                            \
	  "first.")                                                                                \
	_(HELD_BUDGET_FULL, held_budget_full,                                                      \
	  "A segment to hold found pii.held_per_worker in "                                        \
	  "use and no request to take it from: its request refused (413).")                        \
	_(PII_MASKED_REQUESTS, pii_masked_requests, "Requests forwarded with masked bodies.")      \
	_(PII_MASKED_BYTES, pii_masked_bytes, "Bytes changed by masking.")                         \
	_(PII_MASKED_SEGMENTS, pii_masked_segments,                                                \
	  "Segments rewritten (checksum "                                                          \
	  "recomputed).")                                                                          \
	_(PII_RETRANSMIT_DROPPED, pii_retransmit_dropped,                                          \
	  "Client retransmissions of masked "                                                      \
	  "bytes: dropped.")                                                                       \
	_(REPLAY_GLOBAL_ASKED, replay_global_asked,                                                \
	  "Requests the local cache said first, "                                                  \
	  "asked to Redis.")                                                                       \
	_(REPLAY_GLOBAL_FIRST, replay_global_first,                                                \
	  "Requests asked to Redis, which said first too: accepted.")                              \
	_(REPLAY_GLOBAL_DUPLICATE, replay_global_duplicate,                                        \
	  "Requests asked to Redis: another "                                                      \
	  "appliance had it, duplicate.")                                                          \
	_(REPLAY_GLOBAL_UNAVAILABLE, replay_global_unavailable,                                    \
	  "Redis down or erring: "                                                                 \
	  "on_unavailable applied.")                                                               \
	_(REPLAY_GLOBAL_TIMEOUT, replay_global_timeout,                                            \
	  "No answer within global.timeout_ms: "                                                   \
	  "on_unavailable.")                                                                       \
	_(REPLAY_GLOBAL_BUSY, replay_global_busy,                                                  \
	  "Requests not asked to Redis: max_pending waiting, or the query ring "                   \
	  "full.")                                                                                 \
	_(REPLAY_GLOBAL_SKIPPED, replay_global_skipped,                                            \
	  "Bridge: no segment of the request "                                                     \
	  "could be held, so the check could not stop it: on_unavailable decides.")                \
	_(REPLAY_GLOBAL_ABANDONED, replay_global_abandoned,                                        \
	  "The flow ended while its request "                                                      \
	  "waited.")                                                                               \
	_(ML_ANSWERS, ml_answers, "ML scores received for requests waiting for theirs (enforce).") \
	_(ML_TIMEOUTS, ml_timeouts,                                                                \
	  "Requests whose ML score did not come within ml.timeout_ms "                             \
	  "(enforce).")                                                                            \
	_(ML_TIMEOUT_ACCEPTED, ml_timeout_accepted,                                                \
	  "Requests whose ML score timed out, accepted anyway (ml.on_timeout: "                    \
	  "accept).")                                                                              \
	_(ML_LATE, ml_late, "ML scores that came after their request's wait had ended.")           \
	_(TOKEN_VALID, token_valid, "Tokens asked to L2/L3: answered valid.")                      \
	_(TOKEN_INVALID, token_invalid, "Tokens asked to L2/L3: answered refused.")                \
	_(TOKEN_UNAVAILABLE, token_unavailable,                                                    \
	  "Tokens not checkable: L2/L3 down, "                                                     \
	  "erring, or too many waiting (503).")                                                    \
	_(TOKEN_TIMEOUT, token_timeout, "Tokens asked: no answer within tokens.timeout_ms (503).") \
	_(STREAM_NOMBUF, stream_nombuf,                                                            \
	  "No mbuf to copy a chained segment's bytes for "                                         \
	  "reassembly.")                                                                           \
	_(STREAM_URGENT, stream_urgent,                                                            \
	  "Client segments with the TCP URG flag on guarded flows (bridge, "                       \
	  "dataplane.reassembly.urgent drop: dropped, never forwarded).")                          \
	_(STREAM_DROPPED, stream_dropped,                                                          \
	  "Bridge: segments dropped by reassembly (memcap "                                        \
	  "action drop, bytes differing from what the server already has, or unacknowledged "      \
	  "bytes no kept copy can be compared with).")                                             \
	_(EVENTS, events, "Events pushed to the control thread.")                                  \
	_(EVENTS_RING_FULL, events_ring_full,                                                      \
	  "Events dropped: the ring to the control thread "                                        \
	  "was full.")                                                                             \
	_(EVENTS_SHED, events_shed,                                                                \
	  "Session_evicted events not sent: the ring was half full, "                              \
	  "the rest kept for verdicts (the counters still count them).")                           \
	_(FORENSICS_CAPTURED, forensics_captured,                                                  \
	  "Refused requests copied to the control thread for forensics.pcapng.")                   \
	_(FORENSICS_DROPPED, forensics_dropped,                                                    \
	  "Refused requests not captured: no free slot (forensics.ring); the verdict is "          \
	  "unaffected.")                                                                           \
	_(FORENSICS_TRUNCATED, forensics_truncated,                                                \
	  "Captured requests cut at forensics.max_request_bytes.")                                 \
	_(INSPECT_PACKETS, inspect_packets,                                                        \
	  "Packets (or reassembled datagrams) given to "                                           \
	  "inspection.")                                                                           \
	_(INSPECT_TCP_PAYLOAD_BYTES, inspect_tcp_payload_bytes,                                    \
	  "TCP payload bytes given to "                                                            \
	  "inspection.")                                                                           \
	_(INSPECT_UDP_PAYLOAD_BYTES, inspect_udp_payload_bytes,                                    \
	  "UDP payload bytes given to "                                                            \
	  "inspection.")

enum hp_ctr {
#define _(sym, name, help) HP_CTR_##sym,
	foreach_hp_ctr(_)
#undef _
		HP_CTR_DECODE_ERR_BASE, /* + enum hp_decode_err: decode_err_<reason> */
	HP_CTR_HTTP_ERR_BASE = HP_CTR_DECODE_ERR_BASE + HP_DEC__MAX, /* + enum hp_http_err:
								      * http_err_<name> */
	HP_CTR_REASON_BASE = HP_CTR_HTTP_ERR_BASE + HP_HTTP_E_COUNT, /* + enum hp_ev_reason:
								      * reason_<name> */
	HP_CTR_STAGE_BASE = HP_CTR_REASON_BASE + HP_EV_R__MAX,       /* + the request stages' own
								      * counters (dp_stage.h) */
	HP_CTR__MAX = HP_CTR_STAGE_BASE + HP_STAGE_CTRS_MAX,
};

/* Verdict latency histogram (rx of the completing segment to the verdict), log-linear:
 * bucket 0 counts latencies up to 2^HP_LAT_MIN_SHIFT ns (128 ns); then each power of two
 * (2^e, 2^(e+1)] ns, e = 7..31, is cut into HP_LAT_SUB equal buckets (so a bucket is at most
 * 25 % wider than its lower bound: percentiles read from it, p99.9 included, are that
 * close); the last bucket counts everything above 2^32 ns (about 4.3 s). Upper bounds are
 * inclusive (Prometheus's le); Prometheus exports them cumulatively, in seconds. (Issue 18:
 * powers of two alone put p50 and p99 of a 20 us verdict in the same 16-32 us bucket.) */
#define HP_LAT_MIN_SHIFT 7
#define HP_LAT_SUB_SHIFT 2
#define HP_LAT_SUB       (1u << HP_LAT_SUB_SHIFT)
#define HP_LAT_OCTAVES   25 /* 2^7 .. 2^32 ns */
#define HP_LAT_BUCKETS   (2 + HP_LAT_OCTAVES * HP_LAT_SUB)

/* The poll loop's own figures, per worker, as VPP's "show runtime" gives them: one pass of the
 * worker loop polls every rx queue (and the handoff rings); a pass that got no packet is idle,
 * one that got some is busy, and the cycles of the pass (TSC, from the end of the previous
 * one) count as busy or idle with it. busy_cycles / (busy_cycles + idle_cycles) is the worker's
 * load, poll_packets / busy_polls the packets per non-empty poll (the burst really used).
 * Bumped once per pass (dp_worker.c), never per packet; reported per worker (label worker in
 * Prometheus, per_worker in the stats JSON), cycles as seconds. BUSY_x + 1 == IDLE_x: the loop
 * indexes with the pass's idleness. */
#define foreach_hp_loop_ctr(_)                                                                     \
	_(BUSY_CYCLES, busy_cycles, "Time the worker spent in poll loop passes that got packets.") \
	_(IDLE_CYCLES, idle_cycles, "Time the worker spent in poll loop passes that got none.")    \
	_(BUSY_POLLS, busy_polls, "Poll loop passes that got packets.")                            \
	_(IDLE_POLLS, idle_polls, "Poll loop passes that got none.")                               \
	_(POLL_PACKETS, poll_packets,                                                              \
	  "Packets the poll loop took from the rx queues and the handoff rings.")

enum hp_loop_ctr {
#define _(sym, name, help) HP_LOOP_##sym,
	foreach_hp_loop_ctr(_)
#undef _
		HP_LOOP__MAX,
};
_Static_assert(HP_LOOP_BUSY_CYCLES + 1 == HP_LOOP_IDLE_CYCLES &&
		       HP_LOOP_BUSY_POLLS + 1 == HP_LOOP_IDLE_POLLS,
	       "the worker loop indexes busy/idle pairs with its idleness");

struct hp_counters {
	uint64_t c[HP_CTR__MAX];
	uint64_t lat[HP_LAT_BUCKETS];
	uint64_t lat_sum_ns;
	uint64_t loop[HP_LOOP__MAX]; /* enum hp_loop_ctr */
} __attribute__((aligned(64)));

/* The latency bucket of ns (see HP_LAT_MIN_SHIFT). A few instructions, no loop. */
static inline unsigned int
hp_lat_bucket(uint64_t ns)
{
	uint64_t v;
	unsigned int e, b;

	if (ns <= (1ULL << HP_LAT_MIN_SHIFT))
		return 0;
	v = ns - 1; /* bounds are inclusive: 2^e + k * 2^(e-2) falls in the bucket below it */
	e = 63 - (unsigned int)__builtin_clzll(v); /* >= HP_LAT_MIN_SHIFT */
	b = 1 + (e - HP_LAT_MIN_SHIFT) * HP_LAT_SUB +
	    (unsigned int)(v >> (e - HP_LAT_SUB_SHIFT)) % HP_LAT_SUB;
	return b < HP_LAT_BUCKETS ? b : HP_LAT_BUCKETS - 1;
}

/* Upper bound of bucket k in ns (the last one is +Inf: returns 0). */
static inline uint64_t
hp_lat_bucket_le_ns(unsigned int k)
{
	unsigned int e, sub;

	if (k == 0)
		return 1ULL << HP_LAT_MIN_SHIFT;
	if (k + 1 >= HP_LAT_BUCKETS)
		return 0;
	e = HP_LAT_MIN_SHIFT + (k - 1) / HP_LAT_SUB;
	sub = (k - 1) % HP_LAT_SUB;
	return (1ULL << e) + ((uint64_t)(sub + 1) << (e - HP_LAT_SUB_SHIFT));
}

/* Stable name of a counter, e.g. "rx_packets", "decode_err_ipv4_csum"; NULL for a stage slot
 * no stage declared (skipped by every report). */
const char *hp_ctr_name(enum hp_ctr id);
/* Its HELP text, for the counters of the list above and the stages' (NULL for the labelled
 * families). */
const char *hp_ctr_help(enum hp_ctr id);

/* Stable name ("busy_cycles", ...) and HELP text of a poll loop counter. */
const char *hp_loop_ctr_name(enum hp_loop_ctr id);
const char *hp_loop_ctr_help(enum hp_loop_ctr id);

/* dst += src, slot by slot. */
void hp_counters_add(struct hp_counters *dst, const struct hp_counters *src);

#endif /* HP_DP_STATS_H */
