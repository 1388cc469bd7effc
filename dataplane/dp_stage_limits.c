/* SPDX-License-Identifier: BSD-3-Clause
 * Stage limits: a body the framing left a gap in cannot be verified (http_gap); a body over
 * the endpoint's max_body (or truncated to the copy) is refused (body_too_large). A declared
 * Content-Length over the limit is refused earlier, on the headers (dp_session.c).
 */
#include "dp_route.h"
#include "dp_stage.h"
#include "http_parse.h"

static enum hp_stage_res
limits_run(struct hp_req_ctx *c, void *state)
{
	const struct hp_http_request *req = c->req;

	(void)state;
	if (req->flags & HP_HTTP_REQ_BODY_GAP) {
		c->ev_flags |= HP_EV_F_GAP;
		return hp_stage_refuse(c, HP_EV_REJECT, HP_EV_R_HTTP_GAP);
	}
	if ((req->flags & HP_HTTP_REQ_BODY_TRUNCATED) || req->body_len > c->ep->max_body)
		return hp_stage_refuse(c, HP_EV_REJECT, HP_EV_R_BODY_TOO_LARGE);
	return HP_STAGE_NEXT;
}

static const enum hp_ev_reason limits_reasons[] = {
	HP_EV_R_HTTP_GAP,
	HP_EV_R_BODY_TOO_LARGE,
	HP_EV_R_OK,
};

const struct hp_stage hp_stage_limits = {
	.name = "limits",
	.reasons = limits_reasons,
	.run = limits_run,
};
