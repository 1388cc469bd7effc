/* SPDX-License-Identifier: BSD-3-Clause
 * Metrics for the outside world: Prometheus text (/metrics of the REST API) and the DPDK
 * telemetry commands /hookpath/stats and /hookpath/flows (dpdk-telemetry.py).
 *
 * Both read the workers' counter blocks without locking: every slot is an aligned uint64_t,
 * so a load sees a value that was true at some instant (dp_stats.h).
 */
#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "ctl.h"
#include "dedup.h"
#include "dp.h"
#include "stream_reasm.h"

/* ---- Prometheus text format 0.0.4 ----------------------------------------------------------
 * https://prometheus.io/docs/instrumenting/exposition_formats/ : one "# HELP" and one
 * "# TYPE" line per family, then its samples, families never split; label values escape
 * backslash, double quote and newline; HELP text escapes backslash and newline. Served with
 * "Content-Type: text/plain; version=0.0.4; charset=utf-8".
 */

/* A label value, escaped. */
static void
prom_label_value(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* "# HELP" and "# TYPE" of a family. help is a literal without backslash or newline. */
static void
prom_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{label="value"} v, or name v when label is NULL. */
static void
prom_sample(FILE *f, const char *name, const char *label, const char *value, uint64_t v)
{
	fputs(name, f);
	if (label != NULL) {
		fprintf(f, "{%s=\"", label);
		prom_label_value(f, value);
		fputs("\"}", f);
	}
	fprintf(f, " %" PRIu64 "\n", v);
}

/* Nanoseconds as exact decimal seconds, trailing zeros dropped: 128 -> "0.000000128",
 * 2000000000 -> "2". Exact, so bucket bounds are the same string on every scrape. */
static void
fmt_ns_seconds(char *buf, size_t len, uint64_t ns)
{
	uint64_t frac = ns % UINT64_C(1000000000);
	int n;

	if (frac == 0) {
		snprintf(buf, len, "%" PRIu64, ns / UINT64_C(1000000000));
		return;
	}
	n = snprintf(buf, len, "%" PRIu64 ".%09" PRIu64, ns / UINT64_C(1000000000), frac);
	if (n <= 0 || (size_t)n >= len)
		return;
	while (buf[n - 1] == '0')
		buf[--n] = '\0';
}

/* One family over a contiguous range of counters, the label value being the counter's name
 * without prefix (e.g. "decode_err_" + reason). */
static void
prom_labelled_range(FILE *f, const struct hp_counters *cur, const char *name, const char *label,
		    const char *help, unsigned int first, unsigned int end, size_t strip)
{
	prom_family(f, name, "counter", help);
	for (unsigned int i = first; i < end; i++) {
		const char *n = hp_ctr_name((enum hp_ctr)i);

		prom_sample(f, name, label, strlen(n) > strip ? n + strip : n, cur->c[i]);
	}
}

static void
prom_counters(FILE *f, const struct hp_counters *cur)
{
	static const char *const verdicts[] = {"accept", "reject", "duplicate", "pass"};
	char name[128];

	RTE_BUILD_BUG_ON(HP_CTR_VERDICT_PASS - HP_CTR_VERDICT_ACCEPT + 1 != RTE_DIM(verdicts));
	for (unsigned int i = 0; i < HP_CTR_DECODE_ERR_BASE; i++) {
		if (i == HP_CTR_DECODE_ERRORS)
			continue; /* = sum of hookpath_decode_errors_total{reason}, same name */
		if (i == HP_CTR_VERDICT_ACCEPT) {
			prom_family(f, "hookpath_verdicts_total", "counter",
				    "Requests by verdict (every request gets exactly one).");
			for (unsigned int v = 0; v < RTE_DIM(verdicts); v++)
				prom_sample(f, "hookpath_verdicts_total", "verdict", verdicts[v],
					    cur->c[HP_CTR_VERDICT_ACCEPT + v]);
			i = HP_CTR_VERDICT_PASS;
			continue;
		}
		snprintf(name, sizeof(name), "hookpath_%s_total", hp_ctr_name((enum hp_ctr)i));
		fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n", name,
			hp_ctr_help((enum hp_ctr)i), name, name, cur->c[i]);
	}
	/* The no-error slots (decode_err_ok, http_err_none) are never counted: left out. */
	prom_labelled_range(f, cur, "hookpath_decode_errors_total", "reason",
			    "Frames that failed decode, by reason.", HP_CTR_DECODE_ERR_BASE + 1,
			    HP_CTR_HTTP_ERR_BASE, strlen("decode_err_"));
	prom_labelled_range(f, cur, "hookpath_http_errors_total", "error",
			    "HTTP parse errors, by error.", HP_CTR_HTTP_ERR_BASE + 1,
			    HP_CTR_REASON_BASE, strlen("http_err_"));
	prom_labelled_range(f, cur, "hookpath_reasons_total", "reason",
			    "Requests by verdict reason.", HP_CTR_REASON_BASE, HP_CTR_STAGE_BASE,
			    strlen("reason_"));
	/* the request stages' own counters, as they declared them */
	for (unsigned int i = HP_CTR_STAGE_BASE; i < HP_CTR__MAX; i++) {
		if (hp_ctr_name((enum hp_ctr)i) == NULL)
			continue;
		snprintf(name, sizeof(name), "hookpath_%s_total", hp_ctr_name((enum hp_ctr)i));
		fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n", name,
			hp_ctr_help((enum hp_ctr)i), name, name, cur->c[i]);
	}
}

/* The verdict latency histogram: cumulative buckets in seconds, _count = the +Inf bucket. */
static void
prom_latency(FILE *f, const struct hp_counters *cur)
{
	const char *name = "hookpath_verdict_latency_seconds";
	uint64_t cum = 0;
	char le[32];

	prom_family(f, name, "histogram",
		    "Latency from the rx of a request's completing segment to its verdict.");
	for (unsigned int k = 0; k < HP_LAT_BUCKETS; k++) {
		uint64_t le_ns = hp_lat_bucket_le_ns(k);

		cum += cur->lat[k];
		if (le_ns == 0)
			snprintf(le, sizeof(le), "+Inf");
		else
			fmt_ns_seconds(le, sizeof(le), le_ns);
		fprintf(f, "%s_bucket{le=\"%s\"} %" PRIu64 "\n", name, le, cum);
	}
	fmt_ns_seconds(le, sizeof(le), cur->lat_sum_ns);
	fprintf(f, "%s_sum %s\n%s_count %" PRIu64 "\n", name, le, name, cum);
}

/* Per-port device statistics (rte_eth_stats_get). 0 or -ENOMEM. */
static int
prom_ports(FILE *f)
{
	static const struct {
		const char *name;
		const char *help;
		size_t off;
	} fields[] = {
		{"rx_packets", "Packets received by the port.",
		 offsetof(struct rte_eth_stats, ipackets)},
		{"rx_bytes", "Bytes received by the port.", offsetof(struct rte_eth_stats, ibytes)},
		{"tx_packets", "Packets sent by the port.",
		 offsetof(struct rte_eth_stats, opackets)},
		{"tx_bytes", "Bytes sent by the port.", offsetof(struct rte_eth_stats, obytes)},
		{"rx_missed", "Packets dropped by the port: rx queues full.",
		 offsetof(struct rte_eth_stats, imissed)},
		{"rx_errors", "Erroneous packets received by the port.",
		 offsetof(struct rte_eth_stats, ierrors)},
		{"rx_nombuf", "Receive failures of the port: no mbuf.",
		 offsetof(struct rte_eth_stats, rx_nombuf)},
		{"tx_errors", "Packets the port failed to send.",
		 offsetof(struct rte_eth_stats, oerrors)},
	};
	struct rte_eth_stats *st;
	bool ok[RTE_MAX_ETHPORTS];
	char name[96];

	st = calloc(RTE_MAX_ETHPORTS, sizeof(*st)); /* per-queue arrays: tens of KiB */
	if (st == NULL)
		return -ENOMEM;
	for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++)
		ok[p] = hp_dp_port(p) != NULL && rte_eth_stats_get(p, &st[p]) == 0;
	for (size_t i = 0; i < RTE_DIM(fields); i++) {
		snprintf(name, sizeof(name), "hookpath_port_%s_total", fields[i].name);
		prom_family(f, name, "counter", fields[i].help);
		for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++) {
			if (!ok[p])
				continue;
			fprintf(f, "%s{port=\"%u\",name=\"", name, p);
			prom_label_value(f, hp_dp_port(p)->name);
			fprintf(f, "\"} %" PRIu64 "\n",
				*(const uint64_t *)((const char *)&st[p] + fields[i].off));
		}
	}
	free(st);
	return 0;
}

/* TCP reassembly (lib/stream), summed over the workers. */
#define STREAM_FIELD(n)                                                                            \
	{                                                                                          \
#n, offsetof(struct hp_stream_counters, n)                                         \
	}
static const struct {
	const char *name;
	size_t off;
} stream_fields[] = {
	STREAM_FIELD(segments),
	STREAM_FIELD(bytes),
	STREAM_FIELD(fast_path),
	STREAM_FIELD(queued),
	STREAM_FIELD(delivered_bytes),
	STREAM_FIELD(gaps),
	STREAM_FIELD(gap_bytes),
	STREAM_FIELD(memcap_flow),
	STREAM_FIELD(memcap_global),
	STREAM_FIELD(ooo_limit),
	STREAM_FIELD(pool_exhausted),
	STREAM_FIELD(memcap_drop),
	STREAM_FIELD(memcap_pass),
	STREAM_FIELD(retain_skipped),
	STREAM_FIELD(retain_evicted),
	STREAM_FIELD(last_forced_bytes),
	STREAM_FIELD(midstream),
	STREAM_FIELD(unsynced),
	STREAM_FIELD(fin),
	STREAM_FIELD(fin_ignored),
	STREAM_FIELD(rst),
	STREAM_FIELD(rst_ignored),
	STREAM_FIELD(ack_invalid),
};
#undef STREAM_FIELD
/* A field added to struct hp_stream_counters needs its line above. */
_Static_assert(sizeof(struct hp_stream_counters) ==
		       (HP_STREAM_RESULT_MAX + RTE_DIM(stream_fields)) * sizeof(uint64_t),
	       "stream_fields[] out of sync with struct hp_stream_counters");

static void
prom_stream(FILE *f)
{
	struct hp_stream_counters sc;
	char name[96];

	hp_dp_stream_counters(&sc);
	for (size_t i = 0; i < RTE_DIM(stream_fields); i++) {
		snprintf(name, sizeof(name), "hookpath_stream_%s_total", stream_fields[i].name);
		fprintf(f,
			"# HELP %s TCP reassembly counter %s (lib/stream).\n"
			"# TYPE %s counter\n%s %" PRIu64 "\n",
			name, stream_fields[i].name, name, name,
			*(const uint64_t *)((const char *)&sc + stream_fields[i].off));
	}
	prom_family(f, "hookpath_stream_results_total", "counter",
		    "TCP segments by reassembly result.");
	for (int r = 0; r < HP_STREAM_RESULT_MAX; r++)
		prom_sample(f, "hookpath_stream_results_total", "result",
			    hp_stream_result_name((enum hp_stream_result)r), sc.results[r]);
}

/* 0 or -ENOMEM. */
static int
prom_endpoints(FILE *f)
{
	static const struct {
		const char *verdict;
		enum hp_ep_ctr ctr;
	} verdicts[] = {
		{"accept", HP_EP_CTR_ACCEPT},
		{"reject", HP_EP_CTR_REJECT},
		{"duplicate", HP_EP_CTR_DUPLICATE},
	};
	uint32_t n = hp_dp_config() != NULL ? hp_dp_config()->n_endpoints : 0;
	uint64_t(*ec)[HP_EP_CTR__MAX];

	if (n == 0)
		return 0;
	ec = calloc(n, sizeof(*ec));
	if (ec == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		hp_dp_endpoint_counters(i, ec[i]);
	prom_family(f, "hookpath_endpoint_requests_total", "counter",
		    "Requests routed to the endpoint.");
	for (uint32_t i = 0; i < n; i++)
		prom_sample(f, "hookpath_endpoint_requests_total", "endpoint",
			    hp_dp_config()->endpoints[i].name, ec[i][HP_EP_CTR_REQUESTS]);
	prom_family(f, "hookpath_endpoint_verdicts_total", "counter",
		    "Requests routed to the endpoint, by verdict.");
	for (uint32_t i = 0; i < n; i++) {
		for (size_t v = 0; v < RTE_DIM(verdicts); v++) {
			fputs("hookpath_endpoint_verdicts_total{endpoint=\"", f);
			prom_label_value(f, hp_dp_config()->endpoints[i].name);
			fprintf(f, "\",verdict=\"%s\"} %" PRIu64 "\n", verdicts[v].verdict,
				ec[i][verdicts[v].ctr]);
		}
	}
	free(ec);
	return 0;
}

static void
prom_replay_cache(FILE *f)
{
	struct hp_dedup_stats ds;
	struct hp_ctl_replay_stats rs;

	if (hp_dp_replay_cache() == NULL)
		return;
	hp_dedup_get_stats(hp_dp_replay_cache(), &ds);
	prom_family(f, "hookpath_replay_cache_entries", "gauge",
		    "Replay cache entries present (live or expired, not yet swept).");
	prom_sample(f, "hookpath_replay_cache_entries", NULL, NULL, ds.entries);
	prom_family(f, "hookpath_replay_cache_capacity", "gauge", "Replay cache capacity.");
	prom_sample(f, "hookpath_replay_cache_capacity", NULL, NULL, ds.capacity);
	prom_family(f, "hookpath_replay_cache_pending", "gauge",
		    "Replay cache entries removed, waiting for their RCU grace period.");
	prom_sample(f, "hookpath_replay_cache_pending", NULL, NULL, ds.pending);
	prom_family(f, "hookpath_replay_cache_swept_total", "counter",
		    "Expired replay cache entries reclaimed.");
	prom_sample(f, "hookpath_replay_cache_swept_total", NULL, NULL, ds.swept);
	prom_family(f, "hookpath_replay_cache_evicted_live_total", "counter",
		    "Live replay cache entries evicted above the high watermark.");
	prom_sample(f, "hookpath_replay_cache_evicted_live_total", NULL, NULL, ds.evicted_live);
	prom_family(f, "hookpath_replay_cache_lookups_total", "counter",
		    "Replay cache check-and-insert calls, by result.");
	prom_sample(f, "hookpath_replay_cache_lookups_total", "result", "first", ds.first);
	prom_sample(f, "hookpath_replay_cache_lookups_total", "result", "duplicate", ds.duplicate);
	prom_sample(f, "hookpath_replay_cache_lookups_total", "result", "full", ds.full);
	prom_sample(f, "hookpath_replay_cache_lookups_total", "result", "busy", ds.busy);
	hp_ctl_replay_stats(&rs);
	if (!rs.enabled)
		return;
	prom_family(f, "hookpath_replay_cache_snapshots_total", "counter",
		    "Replay cache snapshots (replay_cache.snapshot) written, or given up on an "
		    "error (logged).");
	prom_sample(f, "hookpath_replay_cache_snapshots_total", "result", "written", rs.written);
	prom_sample(f, "hookpath_replay_cache_snapshots_total", "result", "failed", rs.failed);
	prom_family(f, "hookpath_replay_cache_snapshot_entries", "gauge",
		    "Entries in the last replay cache snapshot written.");
	prom_sample(f, "hookpath_replay_cache_snapshot_entries", NULL, NULL, rs.last_entries);
	prom_family(f, "hookpath_replay_cache_snapshot_loaded_entries", "gauge",
		    "Entries loaded from the replay cache snapshot at start.");
	prom_sample(f, "hookpath_replay_cache_snapshot_loaded_entries", NULL, NULL, rs.loaded);
	if (rs.last_age_s >= 0) {
		prom_family(f, "hookpath_replay_cache_snapshot_age_seconds", "gauge",
			    "Seconds since the last replay cache snapshot was written.");
		fprintf(f, "hookpath_replay_cache_snapshot_age_seconds %.3f\n", rs.last_age_s);
	}
}

char *
hp_ctl_metrics_render(size_t *len)
{
	struct hp_counters *cur;
	char *buf = NULL;
	int ret = 0;
	FILE *f;

	*len = 0;
	cur = malloc(sizeof(*cur)); /* a few KiB: not on the stack */
	if (cur == NULL)
		return NULL;
	f = open_memstream(&buf, len);
	if (f == NULL) {
		free(cur);
		return NULL;
	}
	hp_dp_counters(cur);
	prom_family(f, "hookpath_workers", "gauge", "Worker lcores running the dataplane.");
	prom_sample(f, "hookpath_workers", NULL, NULL, hp_dp_n_workers());
	prom_family(f, "hookpath_flows_active", "gauge", "TCP flows tracked now.");
	prom_sample(f, "hookpath_flows_active", NULL, NULL, hp_dp_flows_active());
	prom_counters(f, cur);
	prom_latency(f, cur);
	ret = prom_ports(f);
	prom_stream(f);
	if (ret == 0)
		ret = prom_endpoints(f);
	prom_replay_cache(f);
	hp_ctl_sinks_metrics(f); /* events file and sinks: hookpath_events_*, hookpath_sink_* */
	hp_ctl_ml_metrics(f);    /* hookpath_ml_*: batches, latency, scores */
	free(cur);
	return hp_ctl_memstream_end(f, &buf, len, ret != 0);
}

/* ---- DPDK telemetry ------------------------------------------------------------------------
 * DPDK 22.11 limits (rte_telemetry.h): a dict holds RTE_TEL_MAX_DICT_ENTRIES (256) entries,
 * names and string values RTE_TEL_MAX_STRING_LEN (128) bytes, arrays
 * RTE_TEL_MAX_ARRAY_ENTRIES (512); the whole reply goes in a 16 KiB buffer (entries that do
 * not fit are left out, the JSON stays valid). Dict names: [A-Za-z0-9_/] only.
 */

/* Entries of /hookpath/stats besides the counters. */
#define TEL_STATS_EXTRA 4

/* name -> value for every counter; when they cannot all fit in one dict, the plain counters
 * always and the labelled families (decode_err_*, http_err_*, reason_*) only when non-zero,
 * with "counters_omitted" saying how many zeros were left out. Then the latency histogram
 * (count, sum_ns, per bucket counts as an array, non-cumulative). */
static int
tel_counters(struct rte_tel_data *d, const struct hp_counters *c, unsigned int workers)
{
	bool all = HP_CTR__MAX + TEL_STATS_EXTRA <= RTE_TEL_MAX_DICT_ENTRIES;
	unsigned int room = RTE_TEL_MAX_DICT_ENTRIES - TEL_STATS_EXTRA, n = 0;
	uint64_t omitted = 0, count = 0;
	struct rte_tel_data *lat;

	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < HP_CTR__MAX; i++) {
		if (hp_ctr_name((enum hp_ctr)i) == NULL)
			continue; /* a stage slot nobody declared */
		if (!all &&
		    ((i >= HP_CTR_DECODE_ERR_BASE && i < HP_CTR_STAGE_BASE && c->c[i] == 0) ||
		     n >= room)) {
			omitted++;
			continue;
		}
		rte_tel_data_add_dict_u64(d, hp_ctr_name((enum hp_ctr)i), c->c[i]);
		n++;
	}
	if (!all)
		rte_tel_data_add_dict_u64(d, "counters_omitted", omitted);
	rte_tel_data_add_dict_u64(d, "workers", workers);
	for (unsigned int k = 0; k < HP_LAT_BUCKETS; k++)
		count += c->lat[k];
	rte_tel_data_add_dict_u64(d, "verdict_latency_count", count);
	rte_tel_data_add_dict_u64(d, "verdict_latency_sum_ns", c->lat_sum_ns);
	lat = rte_tel_data_alloc();
	if (lat == NULL)
		return 0;
	rte_tel_data_start_array(lat, RTE_TEL_U64_VAL);
	for (unsigned int k = 0; k < HP_LAT_BUCKETS; k++)
		rte_tel_data_add_array_u64(lat, c->lat[k]);
	if (rte_tel_data_add_dict_container(d, "verdict_latency_buckets", lat, 0) != 0)
		rte_tel_data_free(lat);
	return 0;
}

/* DPDK 22.11 cannot unregister a telemetry command: the callbacks take this lock and answer
 * nothing once hp_ctl_telemetry_fini() ran, so no query reads the dataplane being freed. */
static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static bool tel_stopped;

void
hp_ctl_telemetry_fini(void)
{
	pthread_mutex_lock(&tel_lock);
	tel_stopped = true;
	pthread_mutex_unlock(&tel_lock);
}

static int tel_stats_locked(const char *params, struct rte_tel_data *d);
static int tel_flows_locked(struct rte_tel_data *d);

static int
tel_stats(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	int ret = -ENODEV;

	pthread_mutex_lock(&tel_lock);
	if (!tel_stopped)
		ret = tel_stats_locked(params, d);
	pthread_mutex_unlock(&tel_lock);
	return ret;
}

static int
tel_flows(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	int ret = -ENODEV;

	pthread_mutex_lock(&tel_lock);
	if (!tel_stopped)
		ret = tel_flows_locked(d);
	pthread_mutex_unlock(&tel_lock);
	return ret;
}

/* /hookpath/stats: every counter summed over the workers; /hookpath/stats,<worker>: one
 * worker's. Runs on DPDK's telemetry thread. */
static int
tel_stats_locked(const char *params, struct rte_tel_data *d)
{
	struct hp_counters *c;
	int ret;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	if (params != NULL && params[0] != '\0') {
		char *end;
		unsigned long w;

		errno = 0;
		w = strtoul(params, &end, 10);
		if (errno != 0 || end == params || *end != '\0' || w >= hp_dp_n_workers() ||
		    hp_dp_worker_counters_add((unsigned int)w, c) != 0) {
			free(c);
			return -EINVAL;
		}
		ret = tel_counters(d, c, 1);
	} else {
		hp_dp_counters(c);
		ret = tel_counters(d, c, hp_dp_n_workers());
	}
	free(c);
	return ret;
}

/* /hookpath/flows: TCP flow table use, "active" one entry per worker (array), "max" the
 * per-worker capacity (dataplane.flows.max), "total" their sum. */
static int
tel_flows_locked(struct rte_tel_data *d)
{
	struct rte_tel_data *active;
	uint64_t total = 0;

	active = rte_tel_data_alloc();
	if (active == NULL)
		return -ENOMEM;
	rte_tel_data_start_array(active, RTE_TEL_U64_VAL);
	for (unsigned int i = 0; i < hp_dp_n_workers(); i++) {
		uint64_t n = hp_dp_worker_flows(i);

		rte_tel_data_add_array_u64(active, n);
		total += n;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "workers", hp_dp_n_workers());
	rte_tel_data_add_dict_u64(d, "max",
				  hp_dp_config() != NULL ? hp_dp_config()->dataplane.flows.max : 0);
	rte_tel_data_add_dict_u64(d, "total", total);
	if (rte_tel_data_add_dict_container(d, "active", active, 0) != 0) {
		rte_tel_data_free(active);
		return -ENOMEM;
	}
	return 0;
}

int
hp_ctl_telemetry_register(void)
{
	int ret;

	RTE_BUILD_BUG_ON(HP_MAX_WORKERS > RTE_TEL_MAX_ARRAY_ENTRIES);
	RTE_BUILD_BUG_ON(HP_LAT_BUCKETS > RTE_TEL_MAX_ARRAY_ENTRIES);
	ret = rte_telemetry_register_cmd("/hookpath/stats", tel_stats,
					 "Every hookpath counter, summed over the workers. "
					 "Parameters: int worker (optional): that worker's only");
	if (ret != 0)
		return ret;
	return rte_telemetry_register_cmd("/hookpath/flows", tel_flows,
					  "TCP flows tracked per worker, the per-worker maximum "
					  "and the total. Takes no parameters");
}
