/* SPDX-License-Identifier: BSD-3-Clause
 * The endpoint set (struct hp_ep_set, dp_types.h): built for every worker from a
 * configuration, published by RCU, freed once no worker and no session uses it (dp_epset.c).
 */
#ifndef HP_DP_EPSET_H
#define HP_DP_EPSET_H

#include <stddef.h>

struct hp_config;
struct hp_dp;
struct hp_ep_set;

/* Build the endpoint set of cfg for every worker: 0 or -errno with a message. */
int hp_ep_set_build(struct hp_dp *dp, const struct hp_config *cfg, struct hp_ep_set **out,
		    char *err, size_t errlen);
void hp_ep_set_free(struct hp_ep_set *set);

#endif /* HP_DP_EPSET_H */
