/* SPDX-License-Identifier: BSD-3-Clause
 * HTTP sessions: the per-flow state of a TCP flow whose bytes are parsed (stream reassembly of
 * both directions, the HTTP parser, its buffers, the event being built). Taken from a
 * per-worker pool (http.max_sessions) on a guarded flow's first payload byte, returned as soon
 * as the connection closes (FIN both ways, RST, a reject). When the pool is empty the session
 * of the least recently active flow is taken back (http_sessions_evicted): between two
 * requests it is resumed later at the exact request boundary; in the middle of a request
 * that request is refused (session_evicted) and its flow reset. Only when no session can be
 * taken back does http.on_sessions_full apply (drop by default: fail closed).
 *
 * Each complete request (or framing error) becomes one event (dp_event.h) on the worker's
 * ring to the control thread.
 */
#ifndef HP_DP_SESSION_H
#define HP_DP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "dp_decode.h"
#include "dp_flow.h"
#include "dp_inspect.h"

struct hp_worker;
struct hp_session;

int hp_session_pool_create(struct hp_worker *w);
void hp_session_pool_destroy(struct hp_worker *w);

/* One TCP segment of a tracked flow (any payload length; SYN/FIN/RST matter too). Returns the
 * verdict for the segment: HP_VERDICT_DROP when http.on_error is reject and the flow broke
 * HTTP framing (bridge mode). now: rx TSC of the segment's burst (event latency). */
enum hp_verdict hp_session_segment(struct hp_worker *w, const struct hp_flow_ref *ref,
				   struct rte_mbuf *m, const uint8_t *data,
				   const struct hp_pkt *pkt, uint64_t now);

/* Captures of refused requests (forensics.pcapng, dp_session_capture.c): the worker's slots
 * and rings made at setup (nothing when off): 0, or -ENOMEM with a message naming the key. */
struct hp_config;
int hp_capture_setup(struct hp_worker *w, const struct hp_config *cfg, char *err, size_t errlen);
void hp_capture_teardown(struct hp_worker *w);

/* Fill the worker's stream environment (callbacks, pool, counters): once, at setup. */
void hp_session_stream_env(struct hp_worker *w);

/* The flow table's end callback (hp_flow_end_fn): the flow ends (expired, tuple reused, the
 * worker stops): both directions are flushed (gaps reported, a request in progress becomes
 * an incomplete event) and the session goes back to the pool. Evicted from a full table: a
 * request in progress is refused instead (reject, session_evicted): it can never complete at
 * the server, the flow being reset from its next packet on. */
void hp_session_flow_end(struct hp_worker *w, struct hp_flow *f, enum hp_flow_end why);

/* Worker loop: answers of the shared replay check and its timeouts (w->ga != NULL). */
unsigned int hp_session_global_poll(struct hp_worker *w, uint64_t now);

#endif /* HP_DP_SESSION_H */
