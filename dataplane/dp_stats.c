/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>

#include "dp_stage.h"
#include "dp_stats.h"

static const char *const ctr_names[HP_CTR_DECODE_ERR_BASE] = {
#define _(sym, name, help) [HP_CTR_##sym] = #name,
	foreach_hp_ctr(_)
#undef _
};
static const char *const ctr_help[HP_CTR_DECODE_ERR_BASE] = {
#define _(sym, name, help) [HP_CTR_##sym] = help,
	foreach_hp_ctr(_)
#undef _
};

static const char *const loop_names[HP_LOOP__MAX] = {
#define _(sym, name, help) [HP_LOOP_##sym] = #name,
	foreach_hp_loop_ctr(_)
#undef _
};
static const char *const loop_help[HP_LOOP__MAX] = {
#define _(sym, name, help) [HP_LOOP_##sym] = help,
	foreach_hp_loop_ctr(_)
#undef _
};

const char *
hp_loop_ctr_name(enum hp_loop_ctr id)
{
	return (unsigned int)id < HP_LOOP__MAX ? loop_names[id] : NULL;
}

const char *
hp_loop_ctr_help(enum hp_loop_ctr id)
{
	return (unsigned int)id < HP_LOOP__MAX ? loop_help[id] : NULL;
}

/* "decode_err_" + reason and "http_err_" + cause, built once from the stages' own names. */
static char dec_names[HP_DEC__MAX][48];
static char http_names[HP_HTTP_E_COUNT][48];
static char reason_ctr_names[HP_EV_R__MAX][48];

const char *
hp_ctr_help(enum hp_ctr id)
{
	const char *name, *help;

	if ((unsigned int)id >= HP_CTR_STAGE_BASE && (unsigned int)id < HP_CTR__MAX)
		return hp_stage_ctr_info(id - HP_CTR_STAGE_BASE, &name, &help) ? help : NULL;
	return (unsigned int)id < HP_CTR_DECODE_ERR_BASE ? ctr_help[id] : NULL;
}

const char *
hp_ctr_name(enum hp_ctr id)
{
	const char *name, *help;

	if ((unsigned int)id < HP_CTR_DECODE_ERR_BASE)
		return ctr_names[id];
	if ((unsigned int)id >= HP_CTR_STAGE_BASE)
		return (unsigned int)id < HP_CTR__MAX &&
				       hp_stage_ctr_info(id - HP_CTR_STAGE_BASE, &name, &help)
			       ? name
			       : NULL;
	if ((unsigned int)id >= HP_CTR_REASON_BASE && (unsigned int)id < HP_CTR__MAX) {
		unsigned int r = id - HP_CTR_REASON_BASE;

		if (reason_ctr_names[r][0] == '\0')
			snprintf(reason_ctr_names[r], sizeof(reason_ctr_names[r]), "reason_%s",
				 hp_ev_reason_name((enum hp_ev_reason)r));
		return reason_ctr_names[r];
	}
	if ((unsigned int)id >= HP_CTR_HTTP_ERR_BASE && (unsigned int)id < HP_CTR_REASON_BASE) {
		unsigned int e = id - HP_CTR_HTTP_ERR_BASE;

		if (http_names[e][0] == '\0')
			snprintf(http_names[e], sizeof(http_names[e]), "http_err_%s",
				 hp_http_err_name((enum hp_http_err)e));
		return http_names[e];
	}
	if ((unsigned int)id < HP_CTR_HTTP_ERR_BASE) {
		unsigned int e = id - HP_CTR_DECODE_ERR_BASE;

		if (dec_names[e][0] == '\0')
			snprintf(dec_names[e], sizeof(dec_names[e]), "decode_err_%s",
				 hp_decode_err_name((enum hp_decode_err)e));
		return dec_names[e];
	}
	return "unknown";
}

void
hp_counters_add(struct hp_counters *dst, const struct hp_counters *src)
{
	for (unsigned int i = 0; i < HP_CTR__MAX; i++)
		dst->c[i] += src->c[i];
	for (unsigned int i = 0; i < HP_LAT_BUCKETS; i++)
		dst->lat[i] += src->lat[i];
	dst->lat_sum_ns += src->lat_sum_ns;
	for (unsigned int i = 0; i < HP_LOOP__MAX; i++)
		dst->loop[i] += src->loop[i];
}
