/* SPDX-License-Identifier: BSD-3-Clause
 * The request stages in their order, and the loop that runs them (see dp_stage.h).
 */
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include "dp_types.h"
#include "hp_assert.h"
#include "dp_route.h"
#include "dp_session_priv.h"
#include "dp_stage.h"

extern const struct hp_stage hp_stage_limits, hp_stage_pii_scan, hp_stage_verify,
	hp_stage_pii_action, hp_stage_token, hp_stage_dedup, hp_stage_ml;
#ifdef HP_TEST_STAGE /* test builds: dataplane/tests/dp_stage_example.c */
extern const struct hp_stage hp_stage_example;
#endif

/* The order is meaning: PII actions decide on the signed bytes (after verify); the replay
 * cache records only what every other check accepted. */
/* one stage per line */
/* clang-format off */
const struct hp_stage *const hp_stages[] = {
	&hp_stage_limits,
#ifdef HP_TEST_STAGE
	&hp_stage_example,
#endif
	&hp_stage_pii_scan,
	&hp_stage_verify,
	&hp_stage_pii_action,
	&hp_stage_token,
	&hp_stage_dedup,
	&hp_stage_ml,
};
/* clang-format on */
const unsigned int hp_n_stages = RTE_DIM(hp_stages);

_Static_assert(RTE_DIM(hp_stages) <= HP_STAGE_MAX, "HP_STAGE_MAX");

/* Where each stage's counters start in the stage region (HP_CTR_STAGE_BASE + base), given
 * out in stage order once at load. */
static uint16_t ctr_base[RTE_DIM(hp_stages)];
static unsigned int n_stage_ctrs;

RTE_INIT(stage_ctrs_init)
{
	for (unsigned int i = 0; i < RTE_DIM(hp_stages); i++) {
		ctr_base[i] = (uint16_t)n_stage_ctrs;
		n_stage_ctrs += hp_stages[i]->n_ctrs;
	}
	/* a build error would be better, but the stages live in other files */
	HP_VERIFY(n_stage_ctrs <= HP_STAGE_CTRS_MAX);
}

bool
hp_stage_ctr_info(unsigned int slot, const char **name, const char **help)
{
	for (unsigned int i = 0; i < RTE_DIM(hp_stages); i++) {
		if (slot >= ctr_base[i] &&
		    slot < ctr_base[i] + (unsigned int)hp_stages[i]->n_ctrs) {
			*name = hp_stages[i]->ctrs[slot - ctr_base[i]].name;
			*help = hp_stages[i]->ctrs[slot - ctr_base[i]].help;
			return true;
		}
	}
	return false;
}

bool
hp_stage_gives(const struct hp_stage *g, enum hp_ev_reason r)
{
	for (const enum hp_ev_reason *p = g->reasons; p != NULL && *p != HP_EV_R_OK; p++)
		if (*p == r)
			return true;
	return false;
}

void
hp_stages_verdict(struct hp_session *s, const struct hp_http_request *req)
{
	struct hp_worker *w = s->w;
	const struct hp_route_ep *ep = s->ep;
	const struct hp_ep_stages *st = &s->eps->w[w->id].stages[ep->index];
	struct hp_req_ctx c = {
		.w = w,
		.s = s,
		.req = req,
		.ep = ep,
		.vout = {.result = HP_VR_OK, .secret_index = -1},
	};

	c.now_ns = hp_dp_now_ns(rte_rdtsc());
	c.req_ns = w->pkt_ts_ns != 0 ? w->pkt_ts_ns : c.now_ns;
	s->await_tsc = s->seg_tsc; /* if the verdict has to wait: latency from here */
	for (unsigned int i = 0; i < st->n; i++) {
		unsigned int id = st->id[i];

		c.ctr = &w->ctr.c[HP_CTR_STAGE_BASE + ctr_base[id]];
		switch (hp_stages[id]->run(&c, st->state[i])) {
		case HP_STAGE_NEXT:
			continue;
		case HP_STAGE_DONE:
			HP_ASSERT(hp_stage_gives(hp_stages[id], c.reason));
			hps_reject(s, req, c.verdict, c.reason, c.ev_flags, &c.vout.webhook_id);
			return;
		case HP_STAGE_WAIT:
			hps_wait(s, req, c.mask, c.ev_flags, &c.vout.webhook_id);
			return;
		}
	}
	hps_accept(s, req, c.mask, c.ev_flags, &c.vout.webhook_id);
}

int
hp_stages_ep_init(const struct hp_route_ep *ep, int socket, struct hp_ep_stages *st, char *err,
		  size_t errlen)
{
	memset(st, 0, sizeof(*st));
	for (unsigned int i = 0; i < hp_n_stages; i++) {
		const struct hp_stage *g = hp_stages[i];

		if (g->applies != NULL && !g->applies(ep))
			continue;
		st->id[st->n] = (uint8_t)i;
		st->state[st->n] = NULL;
		if (g->ep_init != NULL &&
		    g->ep_init(ep, socket, &st->state[st->n], err, errlen) != 0) {
			hp_stages_ep_free(st);
			return -1;
		}
		st->n++;
	}
	return 0;
}

void
hp_stages_ep_free(struct hp_ep_stages *st)
{
	for (unsigned int i = 0; i < st->n; i++) {
		const struct hp_stage *g = hp_stages[st->id[i]];

		if (g->ep_free != NULL && st->state[i] != NULL)
			g->ep_free(st->state[i]);
		st->state[i] = NULL;
	}
	st->n = 0;
}
