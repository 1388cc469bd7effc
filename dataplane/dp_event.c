/* SPDX-License-Identifier: BSD-3-Clause
 * Names of verdicts and reasons, from the reason list (dp_event.h). A leaf: the replies, the
 * counters and the control plane's sinks all name reasons from here.
 */
#include <stddef.h>

#include "dp_event.h"

static const char *const verdict_names[] = {
	[HP_EV_ACCEPT] = "accept",
	[HP_EV_REJECT] = "reject",
	[HP_EV_DUPLICATE] = "duplicate",
	[HP_EV_PASS] = "pass",
};

/* From the reason list (dp_event.h); the verification ones are lib/verify's names. */
static const char *const reason_names[HP_EV_R__MAX] = {
#define _(sym, name, status, help) [HP_EV_R_##sym] = #name,
	foreach_hp_ev_reason(_)
#undef _
};

const char *
hp_ev_verdict_name(enum hp_ev_verdict v)
{
	return (unsigned int)v <= HP_EV_PASS ? verdict_names[v] : "unknown";
}

const char *
hp_ev_reason_name(enum hp_ev_reason r)
{
	return (unsigned int)r < HP_EV_R__MAX && reason_names[r] != NULL ? reason_names[r]
									 : "unknown";
}
