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

enum hp_ctr {
	HP_CTR_RX_PACKETS = 0,
	HP_CTR_RX_BYTES,
	HP_CTR_TX_PACKETS,       /* handed to a tx queue and accepted by it */
	HP_CTR_TX_BYTES,
	HP_CTR_TX_DROP_FULL,     /* tx queue full after the buffer flush: dropped */
	HP_CTR_L3_IPV4,
	HP_CTR_L3_IPV6,
	HP_CTR_L3_ARP,
	HP_CTR_L3_OTHER,         /* non-IP, non-ARP frames (LLDP, STP, ...): forwarded, not inspected */
	HP_CTR_L4_TCP,
	HP_CTR_L4_UDP,
	HP_CTR_L4_ICMP,          /* ICMP and ICMPv6 */
	HP_CTR_L4_OTHER,
	HP_CTR_DECODE_ERRORS,    /* sum of the decode_err_* counters */
	HP_CTR_MALFORMED_DROPPED,   /* malformed frames dropped (on_malformed: drop, or tap) */
	HP_CTR_MALFORMED_FORWARDED, /* malformed frames forwarded uninspected (on_malformed: forward) */
	HP_CTR_DEFRAG_FRAGMENTS,    /* IP fragments taken by reassembly (dp_defrag.c) */
	HP_CTR_DEFRAG_REASSEMBLED,  /* complete datagrams out of reassembly (inspected) */
	HP_CTR_DEFRAG_UNGUARDED,    /* datagrams whose first fragment says not guarded: their
				     * fragments forwarded untouched, never reassembled */
	HP_CTR_DEFRAG_REFRAGMENTED, /* bridge: reassembled datagrams forwarded re-fragmented */
	HP_CTR_DEFRAG_EXPIRED,      /* datagrams still incomplete after defrag.timeout_ms */
	HP_CTR_DEFRAG_EVICTED,      /* incomplete datagrams dropped to make room (max_flows or
				     * max_held reached) */
	HP_CTR_DEFRAG_OVERLAP,      /* datagrams dropped: fragments overlap (RFC 5722) or
				     * disagree on the total length */
	HP_CTR_DEFRAG_TOO_MANY,     /* datagrams dropped: more than defrag.max_fragments */
	HP_CTR_DEFRAG_TOO_BIG,      /* datagrams dropped: longer than 65535 bytes of IP */
	HP_CTR_DEFRAG_SOURCE_LIMIT, /* fragments refused: their source has max_per_source
				     * incomplete datagrams */
	HP_CTR_DEFRAG_FRAGMENTS_DROPPED, /* fragments freed with a dropped datagram (any reason
					  * above) */
	HP_CTR_DEFRAG_FAIL_PASSED,  /* datagrams given up whose fragments were forwarded
				     * uninspected (defrag.on_fail: pass) */
	HP_CTR_DEFRAG_DUPLICATE,    /* exact duplicate of a fragment already held: dropped */
	HP_CTR_DEFRAG_NOMBUF,       /* no mbuf to build a reassembled datagram or its fragments */
	HP_CTR_DEFRAG_UNSUPPORTED,  /* fragment the reassembly cannot parse: dropped */
	HP_CTR_DEFRAG_DISABLED,     /* fragments forwarded uninspected (defrag.enabled: false) */
	HP_CTR_DEFRAG_DECODE_ERR,   /* reassembled datagram failed L4 decode or checksum */
	HP_CTR_DEFRAG_INCOMPLETE_AT_EXIT, /* fragments still waiting when hookpath stopped */
	HP_CTR_DISPATCH_OUT,        /* packets handed to the worker that owns their flow */
	HP_CTR_DISPATCH_IN,
	HP_CTR_DISPATCH_RING_FULL,  /* handoff ring full: packet dropped */
	HP_CTR_DISPATCH_DROPPED_AT_EXIT, /* still in a handoff ring when hookpath stopped */
	HP_CTR_FLOWS_CREATED,       /* TCP flows created (SYN, or midstream) */
	HP_CTR_FLOWS_MIDSTREAM,     /* of which picked up without their handshake */
	HP_CTR_FLOWS_UNTRACKED,     /* guarded TCP segments of no flow (midstream off, a lone
				     * RST, no room): bridge drops those carrying payload */
	HP_CTR_FLOWS_EXPIRED,       /* removed after their state's idle timeout */
	HP_CTR_FLOWS_EVICTED,       /* removed to make room (dataplane.flows.max reached) */
	HP_CTR_FLOWS_EVICTED_ACTIVE, /* ... of which had a request in progress (connection cut) */
	HP_CTR_FLOWS_REUSED,        /* a closed flow's tuple reopened by a new SYN */
	HP_CTR_TCP_UNGUARDED,       /* TCP segments of flows that are not guarded: forwarded
				     * untouched, never tracked nor parsed */
	HP_CTR_GUARD_MIDSTREAM_REFUSED, /* guarded flows reset because their handshake was not
					 * seen (dataplane.guard.midstream: refuse) */
	HP_CTR_GUARD_CLOSED_DATA,   /* payload on a guarded flow already closed (its session
				     * released): dropped */
	HP_CTR_HTTP_SESSIONS,       /* flows whose HTTP was parsed (session taken from the pool) */
	HP_CTR_HTTP_SESSIONS_FULL,  /* segments of a flow that could get no session */
	HP_CTR_HTTP_SESSIONS_CLOSED, /* sessions returned when their connection closed */
	HP_CTR_HTTP_SESSIONS_EVICTED, /* sessions taken back from the least recently active
				       * flow to parse a new one (that flow is cut) */
	HP_CTR_HTTP_REQUESTS,       /* request heads parsed */
	HP_CTR_HTTP_BODY_BYTES,     /* request body bytes delivered (de-chunked) */
	HP_CTR_HTTP_RESPONSES,      /* response status lines paired with a request */
	HP_CTR_HTTP_REJECTED_PACKETS, /* bridge: packets of a rejected flow dropped (both ways) */
	HP_CTR_REQ_ROUTED,          /* requests that matched an endpoint */
	HP_CTR_REQ_UNROUTED,        /* requests that matched none (unrouted: pass or reject) */
	HP_CTR_VERDICT_ACCEPT,      /* requests by verdict (every request gets exactly one) */
	HP_CTR_VERDICT_REJECT,
	HP_CTR_VERDICT_DUPLICATE,
	HP_CTR_VERDICT_PASS,
	HP_CTR_VERDICT_LATE,        /* reject decided after the completing segment had gone
				     * (policy last, or the flow ended): flow cut, counted */
	HP_CTR_REJECT_RST_SERVER,   /* RSTs sent toward servers */
	HP_CTR_REJECT_RESPONSES,    /* HTTP 4xx/5xx answers sent to clients */
	HP_CTR_REJECT_RST_CLIENT,   /* RSTs sent toward clients (tap active response, or a client
				     * still talking after its answer) */
	HP_CTR_REJECT_NOMBUF,       /* no mbuf to build a RST or an answer: not sent */
	HP_CTR_DEDUP_KEY_FALLBACK,  /* dedup key header/field absent: body hash used instead */
	HP_CTR_VERIFY_NS,           /* nanoseconds spent in signature verification (sum) */
	HP_CTR_PII_SCANS,           /* bodies scanned for PII (pii.policy report) */
	HP_CTR_PII_MATCHES,         /* entities found in them */
	HP_CTR_PII_SCAN_ERRORS,     /* Hyperscan refused a scan: no counts in that event */
	HP_CTR_PII_HELD_SEGMENTS,   /* client segments held for a mask/block endpoint (bridge) */
	HP_CTR_PII_HELD_DUP_DROPPED, /* retransmissions of bytes already held: dropped */
	HP_CTR_PII_HOLD_ABANDONED,  /* held segments freed because the flow ended first */
	HP_CTR_HELD_BUDGET_FULL,    /* a segment to hold found pii.held_per_worker in use and no
				     * request to take it from: its request refused (413) */
	HP_CTR_PII_MASKED_REQUESTS, /* requests forwarded with masked bodies */
	HP_CTR_PII_MASKED_BYTES,    /* bytes changed by masking */
	HP_CTR_PII_MASKED_SEGMENTS, /* segments rewritten (checksum recomputed) */
	HP_CTR_PII_RETRANSMIT_DROPPED, /* client retransmissions of masked bytes: dropped */
	HP_CTR_REPLAY_GLOBAL_ASKED,     /* requests the local cache said first, asked to Redis */
	HP_CTR_REPLAY_GLOBAL_FIRST,     /* ... Redis said first too: accepted */
	HP_CTR_REPLAY_GLOBAL_DUPLICATE, /* ... another appliance had it: duplicate */
	HP_CTR_REPLAY_GLOBAL_UNAVAILABLE, /* Redis down or erring: on_unavailable applied */
	HP_CTR_REPLAY_GLOBAL_TIMEOUT,   /* no answer within global.timeout_ms: on_unavailable */
	HP_CTR_REPLAY_GLOBAL_BUSY,      /* max_pending waiting, or the query ring full */
	HP_CTR_REPLAY_GLOBAL_SKIPPED,   /* bridge: no segment of the request could be held, so
					 * the check could not stop it: on_unavailable decides */
	HP_CTR_REPLAY_GLOBAL_ABANDONED, /* the flow ended while its request waited */
	HP_CTR_TOKEN_L1_HIT,            /* token found valid for the endpoint in the workers' L1 */
	HP_CTR_TOKEN_L1_REFUSED,        /* ... found refused (unknown, revoked, other endpoint) */
	HP_CTR_TOKEN_ASKED,             /* not in L1 (or expired there): asked to L2/L3 */
	HP_CTR_TOKEN_VALID,             /* ... answered valid */
	HP_CTR_TOKEN_INVALID,           /* ... answered refused */
	HP_CTR_TOKEN_UNAVAILABLE,       /* ... L2/L3 down, erring, or too many waiting: 503 */
	HP_CTR_TOKEN_TIMEOUT,           /* ... no answer within tokens.timeout_ms: 503 */
	HP_CTR_STREAM_NOMBUF,       /* no mbuf to copy a chained segment's bytes for reassembly */
	HP_CTR_STREAM_DROPPED,      /* bridge: segments dropped by reassembly (memcap action drop,
				     * or bytes differing from what the server already has) */
	HP_CTR_EVENTS,              /* events pushed to the control thread */
	HP_CTR_EVENTS_RING_FULL,    /* events dropped: the ring to the control thread was full */
	HP_CTR_EVENTS_SHED,         /* session_evicted events not sent: the ring was half full,
				     * the rest kept for verdicts (the counters still count them) */
	HP_CTR_INSPECT_PACKETS,     /* packets (or reassembled datagrams) given to inspection */
	HP_CTR_INSPECT_TCP_PAYLOAD_BYTES,
	HP_CTR_INSPECT_UDP_PAYLOAD_BYTES,
	HP_CTR_DECODE_ERR_BASE,     /* + enum hp_decode_err: decode_err_<reason> */
	HP_CTR_HTTP_ERR_BASE = HP_CTR_DECODE_ERR_BASE + HP_DEC__MAX, /* + enum hp_http_err:
								      * http_err_<name> */
	HP_CTR_REASON_BASE = HP_CTR_HTTP_ERR_BASE + HP_HTTP_E_COUNT, /* + enum hp_ev_reason:
								      * reason_<name> */
	HP_CTR__MAX = HP_CTR_REASON_BASE + HP_EV_R__MAX,
};

/* Verdict latency histogram (rx of the completing segment to the verdict): bucket k counts
 * latencies in (2^(k-1+HP_LAT_MIN_SHIFT), 2^(k+HP_LAT_MIN_SHIFT)] ns, bucket 0 everything up to
 * 2^HP_LAT_MIN_SHIFT ns (128 ns), the last one everything above 2^(HP_LAT_BUCKETS-2+7) ns
 * (about 4.3 s). Prometheus exports them cumulatively, in seconds. */
#define HP_LAT_MIN_SHIFT 7
#define HP_LAT_BUCKETS   26

struct hp_counters {
	uint64_t c[HP_CTR__MAX];
	uint64_t lat[HP_LAT_BUCKETS];
	uint64_t lat_sum_ns;
} __attribute__((aligned(64)));

/* The latency bucket of ns (see HP_LAT_MIN_SHIFT). */
static inline unsigned int
hp_lat_bucket(uint64_t ns)
{
	unsigned int b;

	if (ns <= (1ULL << HP_LAT_MIN_SHIFT))
		return 0;
	b = 64 - (unsigned int)__builtin_clzll(ns - 1) - HP_LAT_MIN_SHIFT;
	return b < HP_LAT_BUCKETS ? b : HP_LAT_BUCKETS - 1;
}

/* Upper bound of bucket k in ns (the last one is +Inf: returns 0). */
static inline uint64_t
hp_lat_bucket_le_ns(unsigned int k)
{
	return k + 1 < HP_LAT_BUCKETS ? 1ULL << (k + HP_LAT_MIN_SHIFT) : 0;
}

/* Stable name of a counter, e.g. "rx_packets", "decode_err_ipv4_csum". */
const char *hp_ctr_name(enum hp_ctr id);

/* dst += src, slot by slot. */
void hp_counters_add(struct hp_counters *dst, const struct hp_counters *src);

#endif /* HP_DP_STATS_H */
