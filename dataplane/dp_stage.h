/* SPDX-License-Identifier: BSD-3-Clause
 * Request stages: the checks a complete request of a routed flow goes through before its
 * verdict, one file each (dp_stage_<name>.c), in the order of hp_stages[] (dp_stages.c).
 *
 * The order is meaning, which is why it is one plain array in one place:
 *   limits      framing left a gap in the body, or the body is over the endpoint's max_body
 *   pii_scan    the body's PII matches (pii.policy report: counted in the event, whatever the
 *               verdict; the actions come later)
 *   verify      the provider's signature and timestamp window
 *   pii_action  block / mask, decided on the bytes the signature covered (after verify)
 *   token       a bearer token or API key (L1 in the worker, else a question to L2/L3)
 *   dedup       the replay cache, then the shared one (replay_cache.global)
 * A request that passes every stage is accepted.
 *
 * A stage runs once per request, not per packet: the cost of the interface is one indirect
 * call per stage that applies (docs/PERFORMANCE.md). It returns
 *   HP_STAGE_NEXT  go on;
 *   HP_STAGE_DONE  refused: c->verdict (reject or duplicate) and c->reason; no later stage
 *                  runs (hp_stage_refuse() sets both);
 *   HP_STAGE_WAIT  the request waits for an answer of the control thread (the stage called
 *                  hps_await_ask or hps_global_ask): its event is built now and its verdict
 *                  comes with the answer (dp_session.c). Whatever a later stage would need of
 *                  the request's bytes must be taken now (the token stage takes the replay
 *                  key): the parser moves on.
 *
 * Per-endpoint worker state: a stage with ep_init gets, for every endpoint it applies to and
 * every worker, one state pointer made when the endpoint set is built (start, every live
 * change) on the worker's socket, freed with the set (ep_free); run() receives it.
 *
 * Counters and reasons: a stage declares its own counters in its file, one line each (symbol,
 * stable name, help: the style of foreach_hp_ctr), and gets them in c->ctr, indexed by its own
 * enum; they are reported with every other counter (stats JSON, Prometheus with the help as
 * HELP, telemetry) under the name it gave. It also lists the reasons it may refuse with: the
 * reasons themselves stay one list for the whole dataplane (foreach_hp_ev_reason, dp_event.h)
 * because their codes travel in events and spool files and must never move; a refusal with a
 * reason the stage did not list is a bug (HP_ASSERT).
 *
 * Adding a stage: one file defining a const struct hp_stage, one line in hp_stages[], one line
 * in dataplane/meson.build (dataplane/tests/dp_stage_example.c is one, added by a test build).
 */
#ifndef HP_DP_STAGE_H
#define HP_DP_STAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_event.h"
#include "ml_json.h"
#include "verify.h"

struct hp_worker;
struct hp_session;
struct hp_http_request;
struct hp_route_ep;
struct hp_pii_result;

enum hp_stage_res {
	HP_STAGE_NEXT,
	HP_STAGE_DONE,
	HP_STAGE_WAIT,
};

/* What a stage sees of the request, and what the stages before it found. */
struct hp_req_ctx {
	struct hp_worker *w;
	struct hp_session *s;
	const struct hp_http_request *req;
	const struct hp_route_ep *ep;
	uint64_t now_ns; /* wall clock (hp_dp_now_ns) when the verdict began */
	uint64_t req_ns; /* the request's time: now_ns, or with dataplane.clock capture the rx
			  * timestamp of the packet that completed it (signed-timestamp
			  * tolerance, ML features; caches and deadlines stay on now_ns) */
	/* outputs of earlier stages */
	struct hp_verify_out vout;       /* verify: webhook id, signed timestamp (.result OK when
					  * the endpoint verifies nothing) */
	const struct hp_pii_result *pii; /* pii_scan: the body's matches; NULL: not scanned */
	/* verify's pass over the body inside its HMAC (lib/verify/vsha256.h; done: it ran):
	 * ml's JSON shape into ml_json (hp_ml_body_pass, arg == &ml_json), and the replay
	 * key's body hash as a second chain (also == &w->key_h, hp_stage_dedup_key_begin) */
	struct hp_vbody_pass body_pass;
	struct hp_ml_json_state ml_json;
	bool mask;         /* pii_action: the held body is masked at accept */
	uint16_t ev_flags; /* HP_EV_F_* for the event */
	uint64_t *ctr;     /* the running stage's own counters (its ctrs[]) */
	/* HP_STAGE_DONE */
	enum hp_ev_verdict verdict;
	enum hp_ev_reason reason;
};

/* One counter a stage declares. */
struct hp_stage_ctr {
	const char *name; /* stable: "<name>" in the stats JSON, hookpath_<name>_total */
	const char *help; /* the Prometheus HELP text */
};

/* A stage's counter list, one line each: _(SYMBOL, name, "help"), as foreach_x_ctr in its
 * file; from it an enum (#define _(sym, name, help) X_CTR_##sym,) and the table:
 *   static const struct hp_stage_ctr x_ctrs[] = {HP_STAGE_CTR_TABLE(foreach_x_ctr)};
 * given in its struct hp_stage as .ctrs = x_ctrs, .n_ctrs = RTE_DIM(x_ctrs). */
#define HP_STAGE_CTR_TABLE_ONE(sym, name, help) {#name, help},
#define HP_STAGE_CTR_TABLE(list)                list(HP_STAGE_CTR_TABLE_ONE)

/* Verify, before it hashes the body: the ML stage's JSON shape scan as a pass of the HMAC, or
 * NULL where the endpoint does not score or the HMAC cannot run it (no SHA-NI). */
struct hp_vbody_pass *hp_ml_body_pass(struct hp_req_ctx *c);

struct hp_stage {
	const char *name;
	const struct hp_stage_ctr *ctrs; /* its own counters (c->ctr[i]), NULL: none */
	uint8_t n_ctrs;
	/* the reasons it may refuse with, HP_EV_R_OK-terminated (NULL: it never refuses) */
	const enum hp_ev_reason *reasons;
	/* does it run for requests of this endpoint? NULL: always */
	bool (*applies)(const struct hp_route_ep *ep);
	/* per-endpoint worker state (NULL: none): 0, or -1 with a message naming the endpoint */
	int (*ep_init)(const struct hp_route_ep *ep, int socket, void **state, char *err,
		       size_t errlen);
	void (*ep_free)(void *state);
	enum hp_stage_res (*run)(struct hp_req_ctx *c, void *state);
};

#define HP_STAGE_MAX 16

extern const struct hp_stage *const hp_stages[];
extern const unsigned int hp_n_stages;

static inline enum hp_stage_res
hp_stage_refuse(struct hp_req_ctx *c, enum hp_ev_verdict v, enum hp_ev_reason r)
{
	c->verdict = v;
	c->reason = r;
	return HP_STAGE_DONE;
}

/* The verdict of a complete request of a routed flow: the stages in order (dp_stages.c). */
void hp_stages_verdict(struct hp_session *s, const struct hp_http_request *req);

/* Send the worker's staged ML feature records (dp_stage_ml.c); once per loop of the worker,
 * and whenever its stage fills. */
void hp_ml_flush(struct hp_worker *w);

/* One endpoint's stages for one worker, made with the endpoint set (dp_runtime.c): the
 * stages that apply to it, in order, each with its state (NULL: none). */
struct hp_ep_stages {
	uint8_t n;
	uint8_t id[HP_STAGE_MAX];  /* index in hp_stages[] */
	void *state[HP_STAGE_MAX]; /* by position in id[] */
};

/* Fill st for ep (ep_init of each stage that applies): 0, or -1 with a message (what was
 * made is freed). */
int hp_stages_ep_init(const struct hp_route_ep *ep, int socket, struct hp_ep_stages *st, char *err,
		      size_t errlen);
void hp_stages_ep_free(struct hp_ep_stages *st);

/* Stage counter slot i (from HP_CTR_STAGE_BASE): false when no stage declared it. */
bool hp_stage_ctr_info(unsigned int i, const char **name, const char **help);
/* Does stage g list reason r? */
bool hp_stage_gives(const struct hp_stage *g, enum hp_ev_reason r);

/* One piece of a digest's input. */
struct hp_stage_piece {
	const void *p;
	size_t len;
};

/* SHA-256 of the pieces one after the other (dp_stage_dedup.c): lib/verify's SHA-NI engine
 * where it runs (hp_vsha256_ni_usable: ~40 ns less per short key than an EVP digest, whose
 * init, updates and final are calls through OpenSSL's provider layer), else OpenSSL's through
 * the worker's EVP context. The same digest either way. false: OpenSSL failed. */
bool hp_stage_sha256(struct hp_worker *w, const struct hp_stage_piece *pc, unsigned int n,
		     uint8_t out[32]);

/* The replay key of the request (dp_stage_dedup.c; the token stage takes it before waiting):
 * SHA-256 over (endpoint name, key kind, key bytes), first HP_DEDUP_KEY_LEN bytes; a key the
 * request does not carry falls back to the body hash (counted, flagged). false: no digest. */
bool hp_stage_dedup_key(struct hp_req_ctx *c, uint8_t *key);
/* The replay key's digest begun in h (what precedes the body), for verify's HMAC to hash the
 * body into beside its own (hp_vbody_pass.also); hp_stage_dedup_key then only finishes it.
 * Only for endpoints whose key is the body hash, where SHA-NI runs (hp_stage_key_in_pass). */
void hp_stage_dedup_key_begin(const struct hp_req_ctx *c, struct hp_vsha256 *h);
bool hp_stage_key_in_pass(const struct hp_route_ep *ep);
/* How long it is remembered: the endpoint's TTL, at least until the signed timestamp leaves
 * its tolerance window. */
uint64_t hp_stage_dedup_ttl(const struct hp_req_ctx *c);

#endif /* HP_DP_STAGE_H */
