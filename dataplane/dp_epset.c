/* SPDX-License-Identifier: BSD-3-Clause
 * The endpoint set (struct hp_ep_set, dp.h): routes, each worker's request-stage state and
 * per-endpoint counters, built from a configuration, published to the workers by RCU on a live
 * change (hp_dp_swap_config), and freed once every worker passed a quiescent state and no
 * session still holds it; the counters of a freed set are carried over by endpoint name.
 * Control thread only; the workers follow the published pointer (hp_worker_follow_eps).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dp_types.h"
#include "dp_epset.h"
#include "dp_route.h"
#include "dp_stage.h"
#include "hp_config.h"

void
hp_ep_set_free(struct hp_ep_set *set)
{
	uint32_t n;

	if (set == NULL)
		return;
	n = set->routes != NULL ? set->routes->n : 0;
	for (unsigned int i = 0; i < HP_MAX_WORKERS; i++) {
		struct hp_ep_wstate *ws = &set->w[i];

		for (uint32_t k = 0; ws->stages != NULL && k < n; k++)
			hp_stages_ep_free(&ws->stages[k]);
		rte_free(ws->stages);
		rte_free(ws->ep_ctr);
	}
	hp_route_free(set->routes);
	hp_config_free(set->owned);
	free(set->owned);
	rte_free(set);
}

/* Routes, and every worker's contexts and counters, for cfg's endpoints. */
int
hp_ep_set_build(struct hp_dp *dp, const struct hp_config *cfg, struct hp_ep_set **out, char *err,
		size_t errlen)
{
	struct hp_ep_set *set = rte_zmalloc("hp_ep_set", sizeof(*set), RTE_CACHE_LINE_SIZE);
	uint32_t n;
	int ret;

	if (set == NULL) {
		snprintf(err, errlen, "endpoints: out of memory");
		return -ENOMEM;
	}
	set->cfg = cfg;
	ret = hp_route_build(cfg, &set->routes, err, errlen);
	if (ret != 0) {
		rte_free(set);
		return ret;
	}
	n = set->routes != NULL ? set->routes->n : 0;
	for (unsigned int i = 0; i < dp->n_workers; i++) {
		struct hp_ep_wstate *ws = &set->w[i];
		int socket = dp->workers[i] != NULL ? dp->workers[i]->socket : SOCKET_ID_ANY;
		size_t m = n ? n : 1;

		ws->stages = rte_zmalloc_socket("hp_ep_stages", m * sizeof(*ws->stages),
						RTE_CACHE_LINE_SIZE, socket);
		ws->ep_ctr = rte_zmalloc_socket("hp_ep_ctr", m * sizeof(*ws->ep_ctr),
						RTE_CACHE_LINE_SIZE, socket);
		if (ws->stages == NULL || ws->ep_ctr == NULL) {
			snprintf(err, errlen, "endpoints: out of memory for worker %u", i);
			hp_ep_set_free(set);
			return -ENOMEM;
		}
		for (uint32_t k = 0; k < n; k++) {
			char serr[192];

			if (hp_stages_ep_init(set->routes->by_index[k], socket, &ws->stages[k],
					      serr, sizeof(serr)) != 0) {
				snprintf(err, errlen, "%s (worker %u)", serr, i);
				hp_ep_set_free(set);
				return -ENOMEM;
			}
		}
	}
	*out = set;
	return 0;
}

/* Counters of endpoints whose set was freed, by name (control thread). */
#define EP_CARRY_MAX (4 * HP_CFG_MAX_ENDPOINTS)
static struct {
	char name[HP_CFG_NAME_LEN];
	uint64_t c[HP_EP_CTR__MAX];
} ep_carry[EP_CARRY_MAX];
static unsigned int ep_carry_n;

static void
ep_set_counters_by_name(const struct hp_ep_set *set, const char *name, uint64_t *out)
{
	for (uint32_t k = 0; k < set->cfg->n_endpoints; k++) {
		if (strcmp(set->cfg->endpoints[k].name, name) != 0)
			continue;
		for (unsigned int i = 0; i < hp_dp.n_workers; i++)
			for (unsigned int c = 0; set->w[i].ep_ctr != NULL && c < HP_EP_CTR__MAX;
			     c++)
				out[c] += set->w[i].ep_ctr[k][c];
	}
}

static void
ep_carry_add(const struct hp_ep_set *set)
{
	for (uint32_t k = 0; k < set->cfg->n_endpoints; k++) {
		const char *name = set->cfg->endpoints[k].name;
		unsigned int j;

		for (j = 0; j < ep_carry_n && strcmp(ep_carry[j].name, name) != 0; j++)
			;
		if (j == ep_carry_n) {
			if (ep_carry_n == EP_CARRY_MAX)
				continue; /* names beyond: their past counts are not kept */
			snprintf(ep_carry[j].name, sizeof(ep_carry[j].name), "%s", name);
			ep_carry_n++;
		}
		for (unsigned int i = 0; i < hp_dp.n_workers; i++)
			for (unsigned int c = 0; set->w[i].ep_ctr != NULL && c < HP_EP_CTR__MAX;
			     c++)
				ep_carry[j].c[c] += set->w[i].ep_ctr[k][c];
	}
}

void
hp_dp_reclaim(void)
{
	struct hp_ep_set **pp = &hp_dp.retired;

	while (*pp != NULL) {
		struct hp_ep_set *set = *pp;
		uint64_t refs = 0;

		for (unsigned int i = 0; i < hp_dp.n_workers; i++)
			refs += __atomic_load_n(&set->w[i].refs, __ATOMIC_ACQUIRE);
		if (refs != 0 || rte_rcu_qsbr_check(hp_dp.qsv, set->token, false) != 1) {
			pp = &set->next;
			continue;
		}
		*pp = set->next;
		ep_carry_add(set);
		hp_ep_set_free(set);
	}
}

unsigned int
hp_dp_retired_count(void)
{
	unsigned int n = 0;

	for (struct hp_ep_set *s = hp_dp.retired; s != NULL; s = s->next)
		n++;
	return n;
}

int
hp_dp_swap_config(struct hp_config *cfg, char *err, size_t errlen)
{
	struct hp_ep_set *set, *old = hp_dp.eps;
	int ret;

	if (hp_dp_retired_count() >= 16) {
		hp_dp_reclaim();
		if (hp_dp_retired_count() >= 16) {
			snprintf(err, errlen,
				 "16 earlier changes are still in use by open "
				 "connections; try again later");
			hp_config_free(cfg);
			free(cfg);
			return -EBUSY;
		}
	}
	ret = hp_ep_set_build(&hp_dp, cfg, &set, err, errlen);
	if (ret != 0) {
		hp_config_free(cfg);
		free(cfg);
		return ret;
	}
	set->owned = cfg;
	set->generation = old->generation + 1;
	hp_dp.cfg = cfg;
	hp_dp.routes = set->routes;
	__atomic_store_n(&hp_dp.eps, set, __ATOMIC_RELEASE);
	old->token = rte_rcu_qsbr_start(hp_dp.qsv);
	old->next = hp_dp.retired;
	hp_dp.retired = old;
	/* every worker follows within one loop: answer once they all have */
	rte_rcu_qsbr_check(hp_dp.qsv, old->token, true);
	hp_dp_reclaim();
	return 0;
}

void
hp_dp_endpoint_counters(uint32_t index, uint64_t out[HP_EP_CTR__MAX])
{
	const char *name;

	memset(out, 0, HP_EP_CTR__MAX * sizeof(uint64_t));
	if (hp_dp.eps == NULL || index >= hp_dp.eps->cfg->n_endpoints)
		return;
	name = hp_dp.eps->cfg->endpoints[index].name;
	ep_set_counters_by_name(hp_dp.eps, name, out);
	for (const struct hp_ep_set *s = hp_dp.retired; s != NULL; s = s->next)
		ep_set_counters_by_name(s, name, out);
	for (unsigned int j = 0; j < ep_carry_n; j++)
		if (strcmp(ep_carry[j].name, name) == 0)
			for (unsigned int c = 0; c < HP_EP_CTR__MAX; c++)
				out[c] += ep_carry[j].c[c];
}
