/* SPDX-License-Identifier: BSD-3-Clause
 * DPDK telemetry commands (dpdk-telemetry.py), all four registered here (RTE_INIT below);
 * /hookpath/stats and /hookpath/flows answer from ctl_metrics.c. /hookpath/sinks and
 * /hookpath/endpoints: the
 * sinks' state and each endpoint's counters, as /v1/sinks and /v1/stats give them. They run
 * on DPDK's telemetry thread, which must not read what the control thread owns and changes
 * (sinks, the RCU-published configuration): a command asks the control thread for a snapshot
 * of both (hp_ctl_telemetry_wanted, looked at each turn of the control loop), waits for it
 * (at most 2 s) and answers from it. Built only when asked: a sink's state is read under its
 * lock, which its thread holds while it spools.
 * Telemetry dictionaries hold one level of containers: each sink and each endpoint is a
 * dictionary of its scalar fields (nested objects left out, strings cut to the telemetry
 * limit); a name with '-' or '.' (which telemetry keys may not hold) is keyed with '_'
 * instead and keeps its name in a "name" field. The parameter is the configured name.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <rte_common.h>
#include <rte_telemetry.h>

#include "ctl.h"

static pthread_mutex_t snap_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t snap_cv = PTHREAD_COND_INITIALIZER;
static json_t *snap_sinks, *snap_eps; /* NULL: none yet, or stopped */
static bool snap_stopped;
static uint64_t snap_gen;      /* snapshots published */
static volatile int snap_want; /* a command waits for a fresh one */

bool
hp_ctl_telemetry_wanted(void)
{
	return __atomic_load_n(&snap_want, __ATOMIC_RELAXED) != 0;
}

void
hp_ctl_telemetry_publish(void)
{
	json_t *sinks = hp_ctl_sinks_status(), *eps = NULL;
	json_t *st = hp_ctl_stats_status();

	eps = json_incref(json_object_get(st, "endpoints"));
	json_decref(st);
	pthread_mutex_lock(&snap_lock);
	if (snap_stopped) {
		json_decref(sinks);
		json_decref(eps);
		sinks = eps = NULL;
	}
	json_t *old_s = snap_sinks, *old_e = snap_eps;

	snap_sinks = sinks;
	snap_eps = eps;
	snap_gen++;
	__atomic_store_n(&snap_want, 0, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&snap_cv);
	pthread_mutex_unlock(&snap_lock);
	json_decref(old_s);
	json_decref(old_e);
}

/* The scalar fields of o into the telemetry dictionary d. */
static void
add_scalars(struct rte_tel_data *d, json_t *o)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		char name[RTE_TEL_MAX_STRING_LEN], val[RTE_TEL_MAX_STRING_LEN];

		snprintf(name, sizeof(name), "%s", k);
		if (json_is_integer(v) && json_integer_value(v) >= 0)
			rte_tel_data_add_dict_u64(d, name, (uint64_t)json_integer_value(v));
		else if (json_is_integer(v))
			rte_tel_data_add_dict_int(d, name, (int)json_integer_value(v));
		else if (json_is_real(v)) {
			snprintf(val, sizeof(val), "%.9g", json_real_value(v));
			rte_tel_data_add_dict_string(d, name, val);
		} else if (json_is_string(v)) {
			snprintf(val, sizeof(val), "%s", json_string_value(v));
			rte_tel_data_add_dict_string(d, name, val);
		} else if (json_is_boolean(v)) {
			rte_tel_data_add_dict_string(d, name, json_is_true(v) ? "true" : "false");
		} else if (json_is_null(v)) {
			rte_tel_data_add_dict_string(d, name, "");
		}
	}
}

/* The snapshot o: each object member a dictionary of its scalars (only the member named
 * one, when given), the scalar members as they are. */
static int
tel_objects(json_t *o, const char *one, struct rte_tel_data *d)
{
	const char *k;
	json_t *v;
	bool found = false;

	rte_tel_data_start_dict(d);
	json_object_foreach(o, k, v)
	{
		struct rte_tel_data *c;
		char name[RTE_TEL_MAX_STRING_LEN];

		if (one != NULL && strcmp(k, one) != 0)
			continue;
		if (!json_is_object(v)) {
			if (one == NULL) {
				json_t *w = json_pack("{sO}", k, v);

				add_scalars(d, w);
				json_decref(w);
			}
			continue;
		}
		c = rte_tel_data_alloc();
		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		add_scalars(c, v);
		/* telemetry keys are [A-Za-z0-9_] (DPDK 22.11): an endpoint named "ep-1.x" is the
		 * key "ep_1_x", its name in the "name" field */
		snprintf(name, sizeof(name), "%s", k);
		if (strcspn(name, "-.") != strlen(name)) {
			rte_tel_data_add_dict_string(c, "name", name);
			for (char *q = name; *q != '\0'; q++)
				if (*q == '-' || *q == '.')
					*q = '_';
		}
		if (rte_tel_data_add_dict_container(d, name, c, 0) != 0) {
			rte_tel_data_free(c);
			return -ENOSPC;
		}
		found = true;
	}
	return one != NULL && !found ? -EINVAL : 0;
}

static int
tel_cmd(json_t **snap, const char *params, struct rte_tel_data *d)
{
	int ret = -ENODEV;
	uint64_t gen;
	struct timespec until;

	/* ask the control thread for a fresh snapshot (it looks each turn, 10 ms) and wait
	 * for it at most 2 s; a control thread held up answers with the previous one */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&snap_lock);
	gen = snap_gen;
	__atomic_store_n(&snap_want, 1, __ATOMIC_RELAXED);
	while (!snap_stopped && snap_gen == gen)
		if (pthread_cond_timedwait(&snap_cv, &snap_lock, &until) != 0)
			break;
	if (!snap_stopped && *snap != NULL)
		ret = tel_objects(*snap, params != NULL && params[0] != '\0' ? params : NULL, d);
	pthread_mutex_unlock(&snap_lock);
	return ret;
}

static int
tel_sinks(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	return tel_cmd(&snap_sinks, params, d);
}

static int
tel_endpoints(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	return tel_cmd(&snap_eps, params, d);
}

/* Registered when the binary loads, before EAL loads the driver plugins: DPDK 22.11 keeps 64
 * telemetry commands, and the plugins of drivers hookpath does not use (cnxk, eventdev, ...)
 * took the last slots when hookpath registered after EAL init. Until hookpath is up the
 * commands answer nothing (-ENODEV). */
RTE_INIT(hp_telemetry_commands)
{
	rte_telemetry_register_cmd("/hookpath/stats", hp_ctl_tel_stats,
				   "Every hookpath counter, summed over the workers. "
				   "Parameters: int worker (optional): that worker's only");
	rte_telemetry_register_cmd("/hookpath/flows", hp_ctl_tel_flows,
				   "TCP flows tracked per worker, the per-worker maximum and the "
				   "total. Takes no parameters");
	rte_telemetry_register_cmd("/hookpath/sinks", tel_sinks,
				   "Each event sink's state and counters (as /v1/sinks). "
				   "Parameters: string sink (optional): that sink only");
	rte_telemetry_register_cmd("/hookpath/endpoints", tel_endpoints,
				   "Each endpoint's counters (as /v1/stats' endpoints). "
				   "Parameters: string endpoint (optional): that endpoint only");
}

void
hp_ctl_telemetry_stop(void)
{
	pthread_mutex_lock(&snap_lock);
	snap_stopped = true;
	pthread_cond_broadcast(&snap_cv);
	json_decref(snap_sinks);
	json_decref(snap_eps);
	snap_sinks = snap_eps = NULL;
	pthread_mutex_unlock(&snap_lock);
}
