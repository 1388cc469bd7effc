/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>

#include "dp_stats.h"

static const char *const ctr_names[HP_CTR_DECODE_ERR_BASE] = {
	[HP_CTR_RX_PACKETS] = "rx_packets",
	[HP_CTR_RX_BYTES] = "rx_bytes",
	[HP_CTR_TX_PACKETS] = "tx_packets",
	[HP_CTR_TX_BYTES] = "tx_bytes",
	[HP_CTR_TX_DROP_FULL] = "tx_drop_full",
	[HP_CTR_L3_IPV4] = "l3_ipv4",
	[HP_CTR_L3_IPV6] = "l3_ipv6",
	[HP_CTR_L3_ARP] = "l3_arp",
	[HP_CTR_L3_OTHER] = "l3_other",
	[HP_CTR_L4_TCP] = "l4_tcp",
	[HP_CTR_L4_UDP] = "l4_udp",
	[HP_CTR_L4_ICMP] = "l4_icmp",
	[HP_CTR_L4_OTHER] = "l4_other",
	[HP_CTR_DECODE_ERRORS] = "decode_errors",
	[HP_CTR_MALFORMED_DROPPED] = "malformed_dropped",
	[HP_CTR_MALFORMED_FORWARDED] = "malformed_forwarded",
	[HP_CTR_DEFRAG_FRAGMENTS] = "defrag_fragments",
	[HP_CTR_DEFRAG_REASSEMBLED] = "defrag_reassembled",
	[HP_CTR_DEFRAG_UNGUARDED] = "defrag_unguarded",
	[HP_CTR_DEFRAG_REFRAGMENTED] = "defrag_refragmented",
	[HP_CTR_DEFRAG_EXPIRED] = "defrag_expired",
	[HP_CTR_DEFRAG_EVICTED] = "defrag_evicted",
	[HP_CTR_DEFRAG_OVERLAP] = "defrag_overlap",
	[HP_CTR_DEFRAG_TOO_MANY] = "defrag_too_many",
	[HP_CTR_DEFRAG_TOO_BIG] = "defrag_too_big",
	[HP_CTR_DEFRAG_SOURCE_LIMIT] = "defrag_source_limit",
	[HP_CTR_DEFRAG_FRAGMENTS_DROPPED] = "defrag_fragments_dropped",
	[HP_CTR_DEFRAG_FAIL_PASSED] = "defrag_fail_passed",
	[HP_CTR_DEFRAG_DUPLICATE] = "defrag_duplicate",
	[HP_CTR_DEFRAG_NOMBUF] = "defrag_nombuf",
	[HP_CTR_DEFRAG_UNSUPPORTED] = "defrag_unsupported",
	[HP_CTR_DEFRAG_DISABLED] = "defrag_disabled",
	[HP_CTR_DEFRAG_DECODE_ERR] = "defrag_decode_err",
	[HP_CTR_DEFRAG_INCOMPLETE_AT_EXIT] = "defrag_incomplete_at_exit",
	[HP_CTR_DISPATCH_OUT] = "dispatch_out",
	[HP_CTR_DISPATCH_IN] = "dispatch_in",
	[HP_CTR_DISPATCH_RING_FULL] = "dispatch_ring_full",
	[HP_CTR_DISPATCH_DROPPED_AT_EXIT] = "dispatch_dropped_at_exit",
	[HP_CTR_FLOWS_CREATED] = "flows_created",
	[HP_CTR_FLOWS_MIDSTREAM] = "flows_midstream",
	[HP_CTR_FLOWS_UNTRACKED] = "flows_untracked",
	[HP_CTR_FLOWS_EXPIRED] = "flows_expired",
	[HP_CTR_FLOWS_EVICTED] = "flows_evicted",
	[HP_CTR_FLOWS_EVICTED_ACTIVE] = "flows_evicted_active",
	[HP_CTR_FLOWS_REUSED] = "flows_reused",
	[HP_CTR_TCP_UNGUARDED] = "tcp_unguarded",
	[HP_CTR_GUARD_MIDSTREAM_REFUSED] = "guard_midstream_refused",
	[HP_CTR_GUARD_CLOSED_DATA] = "guard_closed_data",
	[HP_CTR_HTTP_SESSIONS] = "http_sessions",
	[HP_CTR_HTTP_SESSIONS_FULL] = "http_sessions_full",
	[HP_CTR_HTTP_SESSIONS_CLOSED] = "http_sessions_closed",
	[HP_CTR_HTTP_SESSIONS_EVICTED] = "http_sessions_evicted",
	[HP_CTR_HTTP_REQUESTS] = "http_requests",
	[HP_CTR_HTTP_BODY_BYTES] = "http_body_bytes",
	[HP_CTR_HTTP_RESPONSES] = "http_responses",
	[HP_CTR_HTTP_REJECTED_PACKETS] = "http_rejected_packets",
	[HP_CTR_REQ_ROUTED] = "requests_routed",
	[HP_CTR_REQ_UNROUTED] = "requests_unrouted",
	[HP_CTR_VERDICT_ACCEPT] = "verdict_accept",
	[HP_CTR_VERDICT_REJECT] = "verdict_reject",
	[HP_CTR_VERDICT_DUPLICATE] = "verdict_duplicate",
	[HP_CTR_VERDICT_PASS] = "verdict_pass",
	[HP_CTR_VERDICT_LATE] = "verdict_late",
	[HP_CTR_REJECT_RST_SERVER] = "reject_rst_server",
	[HP_CTR_REJECT_RESPONSES] = "reject_responses",
	[HP_CTR_REJECT_RST_CLIENT] = "reject_rst_client",
	[HP_CTR_REJECT_NOMBUF] = "reject_nombuf",
	[HP_CTR_DEDUP_KEY_FALLBACK] = "dedup_key_fallback",
	[HP_CTR_VERIFY_NS] = "verify_ns",
	[HP_CTR_PII_SCANS] = "pii_scans",
	[HP_CTR_PII_MATCHES] = "pii_matches",
	[HP_CTR_PII_SCAN_ERRORS] = "pii_scan_errors",
	[HP_CTR_PII_HELD_SEGMENTS] = "pii_held_segments",
	[HP_CTR_PII_HELD_DUP_DROPPED] = "pii_held_dup_dropped",
	[HP_CTR_PII_HOLD_ABANDONED] = "pii_hold_abandoned",
	[HP_CTR_HELD_BUDGET_FULL] = "held_budget_full",
	[HP_CTR_PII_MASKED_REQUESTS] = "pii_masked_requests",
	[HP_CTR_PII_MASKED_BYTES] = "pii_masked_bytes",
	[HP_CTR_PII_MASKED_SEGMENTS] = "pii_masked_segments",
	[HP_CTR_PII_RETRANSMIT_DROPPED] = "pii_retransmit_dropped",
	[HP_CTR_REPLAY_GLOBAL_ASKED] = "replay_global_asked",
	[HP_CTR_REPLAY_GLOBAL_FIRST] = "replay_global_first",
	[HP_CTR_REPLAY_GLOBAL_DUPLICATE] = "replay_global_duplicate",
	[HP_CTR_REPLAY_GLOBAL_UNAVAILABLE] = "replay_global_unavailable",
	[HP_CTR_REPLAY_GLOBAL_TIMEOUT] = "replay_global_timeout",
	[HP_CTR_REPLAY_GLOBAL_BUSY] = "replay_global_busy",
	[HP_CTR_REPLAY_GLOBAL_SKIPPED] = "replay_global_skipped",
	[HP_CTR_REPLAY_GLOBAL_ABANDONED] = "replay_global_abandoned",
	[HP_CTR_TOKEN_L1_HIT] = "token_l1_hit",
	[HP_CTR_TOKEN_L1_REFUSED] = "token_l1_refused",
	[HP_CTR_TOKEN_ASKED] = "token_asked",
	[HP_CTR_TOKEN_VALID] = "token_valid",
	[HP_CTR_TOKEN_INVALID] = "token_invalid",
	[HP_CTR_TOKEN_UNAVAILABLE] = "token_unavailable",
	[HP_CTR_TOKEN_TIMEOUT] = "token_timeout",
	[HP_CTR_STREAM_NOMBUF] = "stream_nombuf",
	[HP_CTR_STREAM_DROPPED] = "stream_dropped",
	[HP_CTR_EVENTS] = "events",
	[HP_CTR_EVENTS_RING_FULL] = "events_ring_full",
	[HP_CTR_EVENTS_SHED] = "events_shed",
	[HP_CTR_INSPECT_PACKETS] = "inspect_packets",
	[HP_CTR_INSPECT_TCP_PAYLOAD_BYTES] = "inspect_tcp_payload_bytes",
	[HP_CTR_INSPECT_UDP_PAYLOAD_BYTES] = "inspect_udp_payload_bytes",
};

/* "decode_err_" + reason and "http_err_" + cause, built once from the stages' own names. */
static char dec_names[HP_DEC__MAX][48];
static char http_names[HP_HTTP_E_COUNT][48];
static char reason_ctr_names[HP_EV_R__MAX][48];

static const char *const verdict_names[] = {
	[HP_EV_ACCEPT] = "accept", [HP_EV_REJECT] = "reject",
	[HP_EV_DUPLICATE] = "duplicate", [HP_EV_PASS] = "pass",
};

/* Stable snake_case reason codes (DESIGN §6); the verification ones are lib/verify's names. */
static const char *const reason_names[HP_EV_R__MAX] = {
	[HP_EV_R_OK] = "ok", [HP_EV_R_NO_ROUTE] = "no_route",
	[HP_EV_R_HTTP_MALFORMED] = "http_malformed", [HP_EV_R_HTTP_SMUGGLING] = "http_smuggling",
	[HP_EV_R_HTTP_LINE_TOO_LONG] = "http_line_too_long",
	[HP_EV_R_HTTP_TOO_MANY_HEADERS] = "http_too_many_headers",
	[HP_EV_R_HTTP_HEADERS_TOO_LARGE] = "http_headers_too_large",
	[HP_EV_R_HTTP_TOO_MANY_PIPELINED] = "http_too_many_pipelined",
	[HP_EV_R_HTTP_GAP] = "http_gap", [HP_EV_R_HTTP_INCOMPLETE] = "http_incomplete",
	[HP_EV_R_MISSING_SIGNATURE] = "missing_signature",
	[HP_EV_R_MALFORMED_SIGNATURE] = "malformed_signature",
	[HP_EV_R_BAD_SIGNATURE] = "bad_signature",
	[HP_EV_R_MISSING_TIMESTAMP] = "missing_timestamp",
	[HP_EV_R_MALFORMED_TIMESTAMP] = "malformed_timestamp",
	[HP_EV_R_STALE_TIMESTAMP] = "stale_timestamp",
	[HP_EV_R_FUTURE_TIMESTAMP] = "future_timestamp",
	[HP_EV_R_MISSING_ID] = "missing_id",
	[HP_EV_R_UNSUPPORTED_SIGNATURE] = "unsupported_signature",
	[HP_EV_R_DUPLICATE] = "duplicate",
	[HP_EV_R_BODY_TOO_LARGE] = "body_too_large",
	[HP_EV_R_REPLAY_CACHE_FULL] = "replay_cache_full",
	[HP_EV_R_REPLAY_CACHE_BUSY] = "replay_cache_busy",
	[HP_EV_R_PII_BLOCKED] = "pii_blocked", [HP_EV_R_PII_MASK_FAILED] = "pii_mask_failed",
	[HP_EV_R_PII_HOLD_FULL] = "pii_hold_full",
	[HP_EV_R_REPLAY_UNAVAILABLE] = "replay_unavailable",
	[HP_EV_R_MISSING_TOKEN] = "missing_token",
	[HP_EV_R_BAD_TOKEN] = "bad_token",
	[HP_EV_R_TOKEN_UNAVAILABLE] = "token_unavailable",
	[HP_EV_R_SESSION_EVICTED] = "session_evicted",
};

const char *
hp_ev_verdict_name(enum hp_ev_verdict v)
{
	return (unsigned int)v <= HP_EV_PASS ? verdict_names[v] : "unknown";
}

const char *
hp_ev_reason_name(enum hp_ev_reason r)
{
	return (unsigned int)r < HP_EV_R__MAX && reason_names[r] != NULL ? reason_names[r]
									 : "unknown";
}

const char *
hp_ctr_name(enum hp_ctr id)
{
	if ((unsigned int)id < HP_CTR_DECODE_ERR_BASE)
		return ctr_names[id];
	if ((unsigned int)id >= HP_CTR_REASON_BASE && (unsigned int)id < HP_CTR__MAX) {
		unsigned int r = id - HP_CTR_REASON_BASE;

		if (reason_ctr_names[r][0] == '\0')
			snprintf(reason_ctr_names[r], sizeof(reason_ctr_names[r]), "reason_%s",
				 hp_ev_reason_name((enum hp_ev_reason)r));
		return reason_ctr_names[r];
	}
	if ((unsigned int)id >= HP_CTR_HTTP_ERR_BASE && (unsigned int)id < HP_CTR_REASON_BASE) {
		unsigned int e = id - HP_CTR_HTTP_ERR_BASE;

		if (http_names[e][0] == '\0')
			snprintf(http_names[e], sizeof(http_names[e]), "http_err_%s",
				 hp_http_err_name((enum hp_http_err)e));
		return http_names[e];
	}
	if ((unsigned int)id < HP_CTR_HTTP_ERR_BASE) {
		unsigned int e = id - HP_CTR_DECODE_ERR_BASE;

		if (dec_names[e][0] == '\0')
			snprintf(dec_names[e], sizeof(dec_names[e]), "decode_err_%s",
				 hp_decode_err_name((enum hp_decode_err)e));
		return dec_names[e];
	}
	return "unknown";
}

void
hp_counters_add(struct hp_counters *dst, const struct hp_counters *src)
{
	for (unsigned int i = 0; i < HP_CTR__MAX; i++)
		dst->c[i] += src->c[i];
	for (unsigned int i = 0; i < HP_LAT_BUCKETS; i++)
		dst->lat[i] += src->lat[i];
	dst->lat_sum_ns += src->lat_sum_ns;
}
