/* SPDX-License-Identifier: BSD-3-Clause
 * Stage example (test builds only: -DHP_TEST_STAGE, dataplane/tests/meson.build): what adding
 * a request stage takes, shown by doing it. This file, one line in hp_stages[] (dp_stages.c)
 * and one in meson; nothing else in the dataplane changes.
 *
 * What it does: a body size limit of its own, per endpoint: endpoints whose name starts with
 * "tiny" take bodies of at most 16 bytes (413 body_too_large beyond), everything else passes.
 * It keeps per-endpoint worker state (the limit, made with the endpoint set), counts what it
 * saw with its own counters, and refuses only with the reason it declares.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "dp_route.h"
#include "dp_stage.h"
#include "http_parse.h"

#define foreach_example_ctr(_)                                                                     \
	_(REQUESTS, example_requests, "Requests the example stage looked at.")                     \
	_(REFUSED, example_refused, "Requests it refused (body over its limit).")

enum {
#define _(sym, name, help) EXAMPLE_CTR_##sym,
	foreach_example_ctr(_)
#undef _
		EXAMPLE_CTR__MAX
};

static const struct hp_stage_ctr example_ctrs[] = {HP_STAGE_CTR_TABLE(foreach_example_ctr)};

static const enum hp_ev_reason example_reasons[] = {HP_EV_R_BODY_TOO_LARGE, HP_EV_R_OK};

struct example_state {
	uint64_t max_body;
};

static int
example_ep_init(const struct hp_route_ep *ep, int socket, void **state, char *err, size_t errlen)
{
	struct example_state *st = malloc(sizeof(*st));

	(void)socket;
	if (st == NULL) {
		snprintf(err, errlen, "endpoints[%u]: example stage: out of memory", ep->index);
		return -1;
	}
	st->max_body = strncmp(ep->cfg->name, "tiny", 4) == 0 ? 16 : UINT64_MAX;
	*state = st;
	return 0;
}

static void
example_ep_free(void *state)
{
	free(state);
}

static enum hp_stage_res
example_run(struct hp_req_ctx *c, void *state)
{
	const struct example_state *st = state;

	c->ctr[EXAMPLE_CTR_REQUESTS]++;
	if (c->req->body_copy_len > st->max_body) {
		c->ctr[EXAMPLE_CTR_REFUSED]++;
		return hp_stage_refuse(c, HP_EV_REJECT, HP_EV_R_BODY_TOO_LARGE);
	}
	return HP_STAGE_NEXT;
}

const struct hp_stage hp_stage_example = {
	.name = "example",
	.ctrs = example_ctrs,
	.n_ctrs = RTE_DIM(example_ctrs),
	.reasons = example_reasons,
	.ep_init = example_ep_init,
	.ep_free = example_ep_free,
	.run = example_run,
};
