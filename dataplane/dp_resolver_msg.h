/* SPDX-License-Identifier: BSD-3-Clause
 * What a worker and the control plane's resolver thread (controlplane/ctl_resolver.c) say to
 * each other: the shared replay check (replay_cache.global) and token lookups. Each worker has
 * its own SP/SC ring pair (hp_dp_resolver_rings); a request waits for its answer or its
 * deadline (dp_session_await.c). The token L1 entries the resolver writes are packed here too.
 */
#ifndef HP_DP_RESOLVER_MSG_H
#define HP_DP_RESOLVER_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_route.h"
#include "ml_features.h"

enum hp_gquery_kind {
	HP_GQ_REPLAY = 0, /* SET NX EX of a replay key (key: 16 bytes) */
	HP_GQ_TOKEN,      /* a token's endpoint, L2 then L3 (key: its SHA-256) */
	HP_GQ_ML,         /* enforce: the request's ML score (hp_ml_query) */
};

/* worker -> resolver */
struct hp_gquery {
	uint32_t slot, gen; /* the worker's await entry */
	uint32_t kind;      /* enum hp_gquery_kind */
	uint32_t ttl_s;     /* replay */
	uint32_t tag;       /* token: hp_token_tag of the endpoint asking */
	uint8_t key[32];
};

enum hp_ganswer_result {
	HP_GA_FIRST = 0,
	HP_GA_DUPLICATE,
	HP_GA_UNAVAILABLE,
	HP_GA_TOKEN_VALID,
	HP_GA_TOKEN_INVALID,
};

/* resolver -> worker: slot and gen copied from the query */
struct hp_ganswer {
	uint32_t slot, gen;
	uint32_t result; /* enum hp_ganswer_result */
};

/* ---- ML scoring: worker <-> the control plane's ML thread (controlplane/ctl_ml.c) ---- */

/* worker -> scorer, one per scored request (its own SP/SC ring, hp_dp_ml_rings) */
struct hp_ml_query {
	uint32_t slot, gen; /* enforce: the worker's await entry */
	uint32_t seq;       /* the worker's count of feature records (joins the event) */
	uint16_t endpoint;  /* index in the configuration */
	uint8_t enforce;    /* 1: answer on the worker's ML answer ring; 0: to the events */
	uint8_t pad;
	float f[HP_ML_N_FEATURES]; /* lib/ml/ml_features.h; the rate features NaN (below) */
	/* what the scorer computes the rate features from (lib/ml/ml_rates.h): the client
	 * address's keyed hash and the request's time, ns (wall or capture clock) */
	uint64_t src_hash, t_ns;
};

#define HP_ML_STAGE 32 /* feature records a worker gathers before it sends them */

/* scorer -> worker (enforce), or scorer -> control thread (score, flag: the event join) */
struct hp_ml_answer {
	uint32_t slot, gen; /* enforce */
	uint32_t seq;
	float score;
	uint32_t state;             /* enum hp_ev_ml: SCORED, or why it is missing */
	uint32_t version;           /* of the model that scored it */
	float rates[HP_ML_N_RATES]; /* the rate features it computed (HP_MLF_RATES_FIRST on) */
};

/* The token L1 (hp_dp_token_l1): key = SHA-256 of the token, data = this packed value (the
 * resolver thread is its only writer; workers read it lock-free). expires: wall-clock ms
 * since hp_dp_token_base_ms (40 bits: 34 years). */
static inline uint64_t
hp_token_l1_pack(bool valid, uint32_t tag, uint64_t expires_ms)
{
	return (valid ? 1ULL << 63 : 0) | ((uint64_t)(tag & HP_TOKEN_TAG_MASK) << 40) |
	       (expires_ms & ((1ULL << 40) - 1));
}

#endif /* HP_DP_RESOLVER_MSG_H */
