/* SPDX-License-Identifier: BSD-3-Clause
 * Stage verify: the provider's signature over the body, its timestamp window and delivery id
 * (lib/verify). Its output (webhook id, signed timestamp) is the event's and the replay key's.
 */
#include <stdio.h>

#include <rte_cycles.h>

#include "dp_types.h"
#include "dp_route.h"
#include "dp_stage.h"
#include "http_parse.h"
#include "verify.h"

/* Its counters. */
#define foreach_verify_ctr(_)                                                                      \
	_(NS, verify_ns,                                                                           \
	  "Time spent verifying signatures (ns in the stats JSON, seconds in Prometheus).")

enum {
#define _(sym, name, help) VERIFY_CTR_##sym,
	foreach_verify_ctr(_)
#undef _
		VERIFY_CTR__MAX
};

static const struct hp_stage_ctr verify_ctrs[] = {HP_STAGE_CTR_TABLE(foreach_verify_ctr)};

static const enum hp_ev_reason verify_reasons[] = {
	HP_EV_R_MISSING_SIGNATURE,     HP_EV_R_MALFORMED_SIGNATURE,
	HP_EV_R_BAD_SIGNATURE,         HP_EV_R_MISSING_TIMESTAMP,
	HP_EV_R_MALFORMED_TIMESTAMP,   HP_EV_R_STALE_TIMESTAMP,
	HP_EV_R_FUTURE_TIMESTAMP,      HP_EV_R_MISSING_ID,
	HP_EV_R_UNSUPPORTED_SIGNATURE, HP_EV_R_OK,
};

static bool
verify_applies(const struct hp_route_ep *ep)
{
	return ep->verifier != NULL;
}

/* This worker's verification context (HMAC midstates of the endpoint's secrets). */
static int
verify_ep_init(const struct hp_route_ep *ep, int socket, void **state, char *err, size_t errlen)
{
	(void)socket;
	*state = hp_verify_ctx_create(ep->verifier);
	if (*state == NULL) {
		snprintf(err, errlen, "endpoints[%u]: cannot create the verification context",
			 ep->index);
		return -1;
	}
	return 0;
}

static void
verify_ep_free(void *state)
{
	hp_verify_ctx_free(state);
}

static enum hp_ev_reason
verify_reason(enum hp_verify_result r)
{
	switch (r) {
	case HP_VR_MISSING_SIGNATURE:
		return HP_EV_R_MISSING_SIGNATURE;
	case HP_VR_MALFORMED_SIGNATURE:
		return HP_EV_R_MALFORMED_SIGNATURE;
	case HP_VR_MISSING_TIMESTAMP:
		return HP_EV_R_MISSING_TIMESTAMP;
	case HP_VR_MALFORMED_TIMESTAMP:
		return HP_EV_R_MALFORMED_TIMESTAMP;
	case HP_VR_STALE_TIMESTAMP:
		return HP_EV_R_STALE_TIMESTAMP;
	case HP_VR_FUTURE_TIMESTAMP:
		return HP_EV_R_FUTURE_TIMESTAMP;
	case HP_VR_MISSING_ID:
		return HP_EV_R_MISSING_ID;
	case HP_VR_UNSUPPORTED:
		return HP_EV_R_UNSUPPORTED_SIGNATURE;
	default:
		return HP_EV_R_BAD_SIGNATURE;
	}
}

/* What the HMAC reads of the body on the way: the ML stage's JSON shape scan, and the replay
 * key's body hash as a second SHA-256 chain beside the HMAC's (two chains interleaved cost
 * ~1.3x one: docs/VERIFY.md). NULL: nothing. */
static struct hp_vbody_pass *
body_pass(struct hp_req_ctx *c)
{
	struct hp_vbody_pass *p = hp_ml_body_pass(c);

	if (!hp_stage_key_in_pass(c->ep))
		return p;
	if (p == NULL) {
		p = &c->body_pass;
		p->body = c->req->body_copy;
		p->len = c->req->body_copy_len;
		p->run = hp_vsha256_run_plain;
		p->arg = NULL;
		p->done = false;
	}
	hp_stage_dedup_key_begin(c, &c->w->key_h);
	p->also = &c->w->key_h;
	return p;
}

static enum hp_stage_res
verify_run(struct hp_req_ctx *c, void *state)
{
	struct hp_worker *w = c->w;
	const struct hp_http_request *req = c->req;
	struct hp_vheader *vh = w->vheaders;
	struct hp_verify_req vr;
	uint64_t t0 = rte_rdtsc();
	enum hp_verify_result r;

	for (uint32_t i = 0; i < req->n_headers; i++) {
		vh[i].name.p = req->headers[i].name.p;
		vh[i].name.len = req->headers[i].name.len;
		vh[i].value.p = req->headers[i].value.p;
		vh[i].value.len = req->headers[i].value.len;
	}
	vr.method = (struct hp_vspan){req->method.p, req->method.len};
	vr.target = (struct hp_vspan){req->target.p, req->target.len};
	vr.host = (struct hp_vspan){req->host.p, req->host.len};
	vr.headers = vh;
	vr.n_headers = req->n_headers;
	vr.body = req->body_copy;
	vr.body_len = req->body_copy_len;
	vr.now = (int64_t)(c->req_ns / 1000000000ULL);
	vr.body_pass = body_pass(c);
	r = hp_verify(c->ep->verifier, state, &vr, &c->vout);
	c->ctr[VERIFY_CTR_NS] += (rte_rdtsc() - t0) * hp_dp.tsc_mult >> 32;
	if (r != HP_VR_OK)
		return hp_stage_refuse(c, HP_EV_REJECT, verify_reason(r));
	return HP_STAGE_NEXT;
}

const struct hp_stage hp_stage_verify = {
	.name = "verify",
	.ctrs = verify_ctrs,
	.n_ctrs = RTE_DIM(verify_ctrs),
	.reasons = verify_reasons,
	.applies = verify_applies,
	.ep_init = verify_ep_init,
	.ep_free = verify_ep_free,
	.run = verify_run,
};
