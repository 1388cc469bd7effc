/* SPDX-License-Identifier: BSD-3-Clause
 * Stage token: a bearer token or API key (endpoints[].token). Its SHA-256 is looked up in the
 * workers' lock-free L1 cache; a miss is a question to L2/L3 (Redis, Postgres) through the
 * resolver, and the request waits for the answer (bridge: its segments held). Missing,
 * refused or unavailable: 401/401/503. The replay key is taken before waiting (the request's
 * bytes are gone by the time the answer comes); the replay check runs with the answer.
 */
#include <string.h>
#include <strings.h>

#include <rte_common.h>
#include <rte_hash.h>

#include "dp_types.h"
#include "dp_route.h"
#include "dp_session_priv.h"
#include "dp_stage.h"
#include "http_parse.h"

/* Its counters (the resolver's answers are counted where they arrive: token_valid,
 * token_invalid, token_unavailable, token_timeout, dp_stats.h). */
#define foreach_token_ctr(_)                                                                       \
	_(L1_HIT, token_l1_hit, "Token found valid for the endpoint in the workers' L1.")          \
	_(L1_REFUSED, token_l1_refused,                                                            \
	  "Token found refused in L1 (unknown, revoked, another "                                  \
	  "endpoint's).")                                                                          \
	_(ASKED, token_asked, "Not in L1 (or expired there): asked to L2/L3.")

enum {
#define _(sym, name, help) TOKEN_CTR_##sym,
	foreach_token_ctr(_)
#undef _
		TOKEN_CTR__MAX
};

static const struct hp_stage_ctr token_ctrs[] = {HP_STAGE_CTR_TABLE(foreach_token_ctr)};

static const enum hp_ev_reason token_reasons[] = {
	HP_EV_R_MISSING_TOKEN,
	HP_EV_R_BAD_TOKEN,
	HP_EV_R_TOKEN_UNAVAILABLE,
	HP_EV_R_OK,
};

static bool
token_applies(const struct hp_route_ep *ep)
{
	return ep->token_hlen != 0;
}

static enum hp_stage_res
token_run(struct hp_req_ctx *c, void *state)
{
	struct hp_worker *w = c->w;
	struct hp_session *s = c->s;
	const struct hp_route_ep *ep = c->ep;
	const struct hp_http_header *h =
		hp_http_find_header(c->req, ep->token_header, ep->token_hlen);
	struct hp_gquery q = {.kind = HP_GQ_TOKEN, .tag = ep->token_tag};
	const uint8_t *v;
	size_t n;
	void *data;

	(void)state;
	if (h == NULL || h->value.len == 0)
		return hp_stage_refuse(c, HP_EV_REJECT, HP_EV_R_MISSING_TOKEN);
	v = h->value.p;
	n = h->value.len;
	if (ep->token_plen != 0) {
		if (n <= ep->token_plen ||
		    strncasecmp((const char *)v, ep->token_prefix, ep->token_plen) != 0)
			return hp_stage_refuse(c, HP_EV_REJECT, HP_EV_R_MISSING_TOKEN);
		v += ep->token_plen;
		n -= ep->token_plen;
	}
	if (!hp_stage_sha256(w, &(struct hp_stage_piece){v, n}, 1, q.key))
		return hp_stage_refuse(c, HP_EV_REJECT, HP_EV_R_TOKEN_UNAVAILABLE);
	if (hp_dp.tokens != NULL && rte_hash_lookup_data(hp_dp.tokens, q.key, &data) >= 0) {
		uint64_t val = (uint64_t)(uintptr_t)data;

		if ((val & ((1ULL << 40) - 1)) > c->now_ns / 1000000 - hp_dp.token_base_ms) {
			if ((val >> 63) && ((val >> 40) & HP_TOKEN_TAG_MASK) == ep->token_tag) {
				c->ctr[TOKEN_CTR_L1_HIT]++;
				return HP_STAGE_NEXT;
			}
			c->ctr[TOKEN_CTR_L1_REFUSED]++;
			return hp_stage_refuse(c, HP_EV_REJECT, HP_EV_R_BAD_TOKEN);
		}
	}
	if (w->gq == NULL || (w->is_bridge && s->n_held == 0) ||
	    !hps_await_ask(s, &q, w->token_timeout_tsc)) {
		w->ctr.c[HP_CTR_TOKEN_UNAVAILABLE]++;
		return hp_stage_refuse(c, HP_EV_REJECT, HP_EV_R_TOKEN_UNAVAILABLE);
	}
	c->ctr[TOKEN_CTR_ASKED]++;
	/* the replay key now: the request will not be here when the answer comes */
	s->tok_has_key = ep->dedup_kind != HP_DK_NONE && hp_dp.dedup != NULL &&
			 hp_stage_dedup_key(c, s->tok_key);
	s->tok_ttl_ms = hp_stage_dedup_ttl(c);
	return HP_STAGE_WAIT;
}

const struct hp_stage hp_stage_token = {
	.name = "token",
	.ctrs = token_ctrs,
	.n_ctrs = RTE_DIM(token_ctrs),
	.reasons = token_reasons,
	.applies = token_applies,
	.run = token_run,
};
