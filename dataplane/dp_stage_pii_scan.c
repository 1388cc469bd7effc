/* SPDX-License-Identifier: BSD-3-Clause
 * Stage pii_scan: the body's PII matches (pii.policy not off). The counts per entity go in the
 * event whatever the verdict (report); block and mask are decided by pii_action, after verify.
 * A scan error leaves the request unscanned: pii_action then refuses it where the endpoint
 * masks or blocks (never forwarded unmasked).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "dp_types.h"
#include "dp_route.h"
#include "dp_session_priv.h"
#include "dp_stage.h"
#include "pii.h"

/* Its counters. */
#define foreach_pii_scan_ctr(_)                                                                    \
	_(SCANS, pii_scans, "Bodies scanned for PII (pii.policy report).")                         \
	_(MATCHES, pii_matches, "Entities found in them.")                                         \
	_(SCAN_ERRORS, pii_scan_errors, "Hyperscan refused a scan: no counts in that event.")

enum {
#define _(sym, name, help) PII_SCAN_CTR_##sym,
	foreach_pii_scan_ctr(_)
#undef _
		PII_SCAN_CTR__MAX
};

static const struct hp_stage_ctr pii_scan_ctrs[] = {HP_STAGE_CTR_TABLE(foreach_pii_scan_ctr)};

static bool
pii_scan_applies(const struct hp_route_ep *ep)
{
	return ep->pii_db != NULL;
}

/* Hyperscan scratch of this worker for the endpoint's database. */
static int
pii_scan_ep_init(const struct hp_route_ep *ep, int socket, void **state, char *err, size_t errlen)
{
	struct hp_pii_scratch *scr = NULL;

	(void)socket; /* Hyperscan allocates through its own allocator */
	if (hp_pii_scratch_create(ep->pii_db, &scr) != 0) {
		snprintf(err, errlen, "endpoints[%u].pii: cannot allocate the Hyperscan scratch",
			 ep->index);
		return -1;
	}
	/* one scan now, on the control thread: Hyperscan's scratch and the validators' pages
	 * are faulted in before the worker's first request, not during it */
	{
		static const char warm[] = "{\"email\":\"warm@example.com\",\"card\":"
					   "\"4111 1111 1111 1111\",\"phone\":\"+1 202 555 0143\"}";
		struct hp_pii_result *res = malloc(sizeof(*res));

		uint8_t copy[sizeof(warm)];

		/* and the mask's loop looked up (hp_pii_mask_sel, at its first call) */
		memcpy(copy, warm, sizeof(warm));
		if (res != NULL &&
		    hp_pii_scan(ep->pii_db, scr, (const uint8_t *)warm, sizeof(warm) - 1, res) > 0)
			hp_pii_mask(copy, sizeof(warm) - 1, res, '*');
		free(res);
	}
	*state = scr;
	return 0;
}

static void
pii_scan_ep_free(void *state)
{
	hp_pii_scratch_free(state);
}

static enum hp_stage_res
pii_scan_run(struct hp_req_ctx *c, void *state)
{
	struct hp_worker *w = c->w;
	const struct hp_http_request *req = c->req;
	int n = hp_pii_scan(c->ep->pii_db, state, req->body_copy, req->body_copy_len, w->pii_res);

	c->ctr[PII_SCAN_CTR_SCANS]++;
	if (n < 0) {
		c->ctr[PII_SCAN_CTR_SCAN_ERRORS]++;
		return HP_STAGE_NEXT;
	}
	c->ctr[PII_SCAN_CTR_MATCHES] += (uint64_t)n;
	c->s->pii_valid = true;
	c->pii = w->pii_res;
	return HP_STAGE_NEXT;
}

const struct hp_stage hp_stage_pii_scan = {
	.name = "pii_scan",
	.ctrs = pii_scan_ctrs,
	.n_ctrs = RTE_DIM(pii_scan_ctrs),
	.applies = pii_scan_applies,
	.ep_init = pii_scan_ep_init,
	.ep_free = pii_scan_ep_free,
	.run = pii_scan_run,
};
