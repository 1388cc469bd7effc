/* SPDX-License-Identifier: BSD-3-Clause
 * Stage dedup: the replay cache (lib/dedup, shared by the workers): a request whose key was
 * seen within its TTL is a duplicate (409); one that cannot be recorded is refused (503),
 * never accepted unrecorded. New here, and replay_cache.global on: the other appliances are
 * asked through Redis, the request waiting for the answer (on_unavailable when none can be
 * had).
 */
#include <string.h>

#include <openssl/evp.h>

#include "dedup.h"
#include "dp_types.h"
#include "dp_route.h"
#include "dp_session_priv.h"
#include "dp_stage.h"
#include "http_parse.h"
#include "vsha256.h"

/* What precedes the key's bytes in its digest: the endpoint's name (NUL included), not its
 * index, so that a key is stable across live changes, restarts and appliances; then the
 * key's kind. The one definition, for hp_stage_dedup_key and hp_stage_dedup_key_begin. */
static void
key_prefix(const struct hp_route_ep *ep, const uint8_t *kind, struct hp_stage_piece pc[2])
{
	pc[0] = (struct hp_stage_piece){ep->cfg->name, strlen(ep->cfg->name) + 1};
	pc[1] = (struct hp_stage_piece){kind, 1};
}

bool
hp_stage_dedup_key(struct hp_req_ctx *c, uint8_t *key)
{
	const struct hp_route_ep *ep = c->ep;
	const struct hp_http_request *req = c->req;
	struct hp_stage_piece pc[3];
	const uint8_t *kb = NULL;
	size_t kl = 0;
	uint8_t kind = (uint8_t)ep->dedup_kind;
	uint8_t md[32];

	if (ep->dedup_kind == HP_DK_BODY_HASH && c->body_pass.done &&
	    c->body_pass.also == &c->w->key_h) {
		/* verify's HMAC hashed the body into it (a copy finished: the token stage and
		 * this one may both ask) */
		struct hp_vsha256 h = c->w->key_h;

		hp_vsha256_final(&h, md);
		memcpy(key, md, HP_DEDUP_KEY_LEN);
		return true;
	}
	if (ep->dedup_kind == HP_DK_HEADER) {
		const struct hp_http_header *h =
			hp_http_find_header(req, ep->dedup_name, ep->dedup_name_len);

		if (h != NULL && h->value.len != 0) {
			kb = h->value.p;
			kl = h->value.len;
		}
	} else if (ep->dedup_kind == HP_DK_BODY) {
		struct hp_vspan v;

		if (hp_json_top_member(req->body_copy, req->body_copy_len, ep->dedup_name, &v) &&
		    v.len != 0) {
			kb = v.p;
			kl = v.len;
		}
	}
	if (kb == NULL) {
		if (ep->dedup_kind != HP_DK_BODY_HASH) {
			c->w->ctr.c[HP_CTR_DEDUP_KEY_FALLBACK]++;
			c->ev_flags |= HP_EV_F_KEY_FALLBACK;
		}
		kind = HP_DK_BODY_HASH;
		kb = req->body_copy;
		kl = req->body_copy_len;
	}
	key_prefix(ep, &kind, pc);
	pc[2] = (struct hp_stage_piece){kb, kl};
	if (!hp_stage_sha256(c->w, pc, 3, md))
		return false;
	memcpy(key, md, HP_DEDUP_KEY_LEN);
	return true;
}

bool
hp_stage_key_in_pass(const struct hp_route_ep *ep)
{
	return ep->dedup_kind == HP_DK_BODY_HASH && hp_vsha256_ni_usable();
}

void
hp_stage_dedup_key_begin(const struct hp_req_ctx *c, struct hp_vsha256 *h)
{
	const uint8_t kind = HP_DK_BODY_HASH;
	struct hp_stage_piece pc[2];

	key_prefix(c->ep, &kind, pc);
	hp_vsha256_init(h);
	for (unsigned int i = 0; i < 2; i++)
		hp_vsha256_update(h, pc[i].p, pc[i].len);
}

bool
hp_stage_sha256(struct hp_worker *w, const struct hp_stage_piece *pc, unsigned int n,
		uint8_t out[32])
{
	EVP_MD_CTX *md_ctx = w->key_sha;
	unsigned int mdl = 0;

	if (hp_vsha256_ni_usable()) {
		struct hp_vsha256 h;

		hp_vsha256_init(&h);
		for (unsigned int i = 0; i < n; i++)
			hp_vsha256_update(&h, pc[i].p, pc[i].len);
		hp_vsha256_final(&h, out);
		return true;
	}
	if (EVP_DigestInit_ex2(md_ctx, NULL, NULL) != 1)
		return false;
	for (unsigned int i = 0; i < n; i++)
		if (pc[i].len != 0 && EVP_DigestUpdate(md_ctx, pc[i].p, pc[i].len) != 1)
			return false;
	return EVP_DigestFinal_ex(md_ctx, out, &mdl) == 1 && mdl == 32;
}

uint64_t
hp_stage_dedup_ttl(const struct hp_req_ctx *c)
{
	const struct hp_route_ep *ep = c->ep;
	uint64_t now_ms = c->req_ns / 1000000, ttl = ep->ttl_ms;

	/* a signed timestamp is fresh until ts + tolerance: remembered at least that long */
	if (c->vout.timestamp != 0 && ep->tolerance_s != 0) {
		int64_t until = (c->vout.timestamp + (int64_t)ep->tolerance_s + 1) * 1000;

		if (until > (int64_t)now_ms && (uint64_t)until - now_ms > ttl)
			ttl = (uint64_t)until - now_ms;
	}
	return ttl;
}

static bool
dedup_applies(const struct hp_route_ep *ep)
{
	return ep->dedup_kind != HP_DK_NONE;
}

static enum hp_stage_res
dedup_run(struct hp_req_ctx *c, void *state)
{
	struct hp_worker *w = c->w;
	uint8_t key[HP_DEDUP_KEY_LEN];
	uint64_t ttl;
	enum hp_dedup_result d;

	(void)state;
	if (hp_dp.dedup == NULL)
		return HP_STAGE_NEXT;
	ttl = hp_stage_dedup_ttl(c);
	if (!hp_stage_dedup_key(c, key))
		return hp_stage_refuse(c, HP_EV_REJECT, HP_EV_R_REPLAY_CACHE_BUSY);
	if (unlikely(w->warming)) /* the warm-up at start: no entry for a synthetic request */
		return HP_STAGE_NEXT;
	/* the request's time: with dataplane.clock capture, a replay is remembered for its
	 * TTL of capture time, as it was live */
	d = hp_dedup_check_insert(hp_dp.dedup, key, c->req_ns / 1000000, ttl);
	if (d == HP_DEDUP_DUPLICATE)
		return hp_stage_refuse(c, HP_EV_DUPLICATE, HP_EV_R_DUPLICATE);
	if (d != HP_DEDUP_FIRST)
		return hp_stage_refuse(c, HP_EV_REJECT,
				       d == HP_DEDUP_FULL ? HP_EV_R_REPLAY_CACHE_FULL
							  : HP_EV_R_REPLAY_CACHE_BUSY);
	if (!w->global_replay) /* new here: and to the other appliances? */
		return HP_STAGE_NEXT;
	switch (hps_global_ask(c->s, key, ttl)) {
	case HPS_GLOBAL_ASKED:
		c->ev_flags |= HP_EV_F_GLOBAL;
		return HP_STAGE_WAIT;
	case HPS_GLOBAL_UNAVAILABLE:
		if (w->global_reject)
			return hp_stage_refuse(c, HP_EV_REJECT, HP_EV_R_REPLAY_UNAVAILABLE);
		break;
	}
	return HP_STAGE_NEXT;
}

static const enum hp_ev_reason dedup_reasons[] = {
	HP_EV_R_DUPLICATE,
	HP_EV_R_REPLAY_CACHE_FULL,
	HP_EV_R_REPLAY_CACHE_BUSY,
	HP_EV_R_REPLAY_UNAVAILABLE,
	HP_EV_R_OK,
};

const struct hp_stage hp_stage_dedup = {
	.name = "dedup",
	.reasons = dedup_reasons,
	.applies = dedup_applies,
	.run = dedup_run,
};
