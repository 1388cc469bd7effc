/* SPDX-License-Identifier: BSD-3-Clause
 * Stage pii_action: block or mask (endpoints[].pii actions), decided on the bytes the
 * signature covered, so after verify. Fails closed: a body that was not scanned, a hold that
 * overflowed, or a mask that cannot be applied to every held copy refuses the request.
 */
#include "dp_route.h"
#include "dp_session_priv.h"
#include "dp_stage.h"

static bool
pii_action_applies(const struct hp_route_ep *ep)
{
	return (ep->pii_mask_set | ep->pii_block_set) != 0;
}

static enum hp_stage_res
pii_action_run(struct hp_req_ctx *c, void *state)
{
	struct hp_session *s = c->s;
	const struct hp_route_ep *ep = c->ep;

	(void)state;
	if (s->holding && s->hold_overflow)
		return hp_stage_refuse(c, HP_EV_REJECT, HP_EV_R_PII_HOLD_FULL);
	if (c->pii == NULL) /* not scanned: never forwarded unmasked */
		return hp_stage_refuse(c, HP_EV_REJECT, HP_EV_R_PII_MASK_FAILED);
	if (hps_pii_hits(c->pii, ep->pii_block_set))
		return hp_stage_refuse(c, HP_EV_REJECT, HP_EV_R_PII_BLOCKED);
	c->mask = s->holding && hps_pii_hits(c->pii, ep->pii_mask_set);
	if (c->mask && !hps_hold_mask_ok(s, c->pii, ep->pii_mask_set))
		return hp_stage_refuse(c, HP_EV_REJECT, HP_EV_R_PII_MASK_FAILED);
	return HP_STAGE_NEXT;
}

static const enum hp_ev_reason pii_action_reasons[] = {
	HP_EV_R_PII_BLOCKED,
	HP_EV_R_PII_MASK_FAILED,
	HP_EV_R_PII_HOLD_FULL,
	HP_EV_R_OK,
};

const struct hp_stage hp_stage_pii_action = {
	.name = "pii_action",
	.reasons = pii_action_reasons,
	.applies = pii_action_applies,
	.run = pii_action_run,
};
