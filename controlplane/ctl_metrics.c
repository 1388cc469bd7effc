/* SPDX-License-Identifier: BSD-3-Clause
 * Metrics for the outside world: Prometheus text (/metrics of the REST API and of the
 * read-only metrics listener, ctl_metrics_http.c) and the DPDK telemetry commands
 * /hookpath/stats and /hookpath/flows (dpdk-telemetry.py).
 *
 * Prometheus names follow its conventions (promtool check metrics is clean, tests/api): base
 * units (a counter kept in nanoseconds or TSC cycles is exported in seconds: <name>_ns and
 * <name>_cycles become <name>_seconds_total), counters end in _total, HELP lines are the help
 * texts of the counter tables (dataplane/dp_stats.h, the stages' foreach_*_ctr).
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
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>
#include <rte_version.h>

#include "ctl.h"
#include "ctl_capture.h"
#include "dedup.h"
#include "dp.h"
#include "pii.h"
#include "stream_reasm.h"
#include "vsha256.h"

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

/* "# HELP" and "# TYPE" of a family; the help text escaped (backslash, newline). */
static void
prom_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s ", name);
	for (const char *s = help; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fprintf(f, "\n# TYPE %s %s\n", name, type);
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

/* Does name end with suffix? */
static bool
ends_with(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n >= k && strcmp(name + n - k, suffix) == 0;
}

/* One unlabelled counter family from a table's stable name and help: hookpath_<name>_total, or,
 * for a counter kept in nanoseconds (<x>_ns), hookpath_<x>_seconds_total in exact decimal
 * seconds (Prometheus wants base units). */
static void
prom_ctr(FILE *f, const char *stable, const char *help, uint64_t v)
{
	char name[128], sec[32];

	if (ends_with(stable, "_ns")) {
		snprintf(name, sizeof(name), "hookpath_%.*s_seconds_total",
			 (int)(strlen(stable) - 3), stable);
		fmt_ns_seconds(sec, sizeof(sec), v);
		prom_family(f, name, "counter", help);
		fprintf(f, "%s %s\n", name, sec);
		return;
	}
	snprintf(name, sizeof(name), "hookpath_%s_total", stable);
	prom_family(f, name, "counter", help);
	prom_sample(f, name, NULL, NULL, v);
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
		prom_ctr(f, hp_ctr_name((enum hp_ctr)i), hp_ctr_help((enum hp_ctr)i), cur->c[i]);
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
		prom_ctr(f, hp_ctr_name((enum hp_ctr)i), hp_ctr_help((enum hp_ctr)i), cur->c[i]);
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
/* One line per field of struct hp_stream_counters: field (hookpath_stream_<field>_total), help. */
#define foreach_stream_field(_)                                                                    \
	_(segments, "TCP segments given to reassembly.")                                           \
	_(bytes, "TCP payload bytes given to reassembly.")                                         \
	_(fast_path, "In-order segments delivered at once, nothing queued.")                       \
	_(queued, "Segments that left bytes queued (out of order, or held).")                      \
	_(delivered_bytes, "Stream bytes delivered in order to HTTP parsing.")                     \
	_(gaps, "Holes in a stream reported to HTTP parsing (bytes never seen).")                  \
	_(gap_bytes, "Bytes in the holes reported (never seen).")                                  \
	_(memcap_flow, "Reassembly limit hits: the flow's memcap (flow_memcap_kb).")               \
	_(memcap_global, "Reassembly limit hits: the worker's memcap (memcap_mb).")                \
	_(ooo_limit, "Reassembly limit hits: out-of-order segments of a flow (flow_max_segs).")    \
	_(pool_exhausted, "Reassembly limit hits: no segment node left in the pool.")              \
	_(memcap_drop, "Limit hits handled by dropping the segment (on_memcap: drop).")            \
	_(memcap_pass, "Limit hits handled by giving up the flow's reassembly (on_memcap: pass).") \
	_(retain_skipped, "Delivered segments not kept for comparison with a retransmission.")     \
	_(retain_evicted, "Kept delivered segments released early to make room.")                  \
	_(last_forced_bytes,                                                                       \
	  "Bytes delivered before their ACK to keep within the hold bound (policy last).")         \
	_(midstream, "Stream directions picked up at their first segment, without a handshake.")   \
	_(unsynced, "Segments of a direction never started (midstream off): not reassembled.")     \
	_(fin, "FINs taken.")                                                                      \
	_(fin_ignored, "FINs ignored: they contradict bytes already seen.")                        \
	_(rst, "RSTs taken.")                                                                      \
	_(rst_ignored, "RSTs ignored: outside the window.")                                        \
	_(ack_invalid, "ACKs ignored: more than the window beyond the bytes seen.")

#define STREAM_FIELD(n, help) {#n, help, offsetof(struct hp_stream_counters, n)},
static const struct {
	const char *name;
	const char *help;
	size_t off;
} stream_fields[] = {foreach_stream_field(STREAM_FIELD)};
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
		snprintf(name, sizeof(name), "stream_%s", stream_fields[i].name);
		prom_ctr(f, name, stream_fields[i].help,
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

/* The process's start, in seconds since the epoch, as Prometheus' process collector gives it:
 * its start time in clock ticks after boot (/proc/self/stat, field 22) plus the boot time
 * (/proc/stat btime). Read once; 0 when /proc cannot tell. */
static double
process_start_time(void)
{
	static double t0 = -1;
	unsigned long long ticks = 0, btime = 0;
	char line[1024], *p;
	FILE *f;

	if (t0 >= 0)
		return t0;
	t0 = 0;
	f = fopen("/proc/self/stat", "r");
	if (f == NULL)
		return t0;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	/* fields after the command name (in parentheses, may hold spaces): state is field 3 */
	p = p != NULL ? strrchr(line, ')') : NULL;
	if (p == NULL || sscanf(p + 1,
				" %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
				"%*d %*d %*d %llu",
				&ticks) != 1)
		return t0;
	f = fopen("/proc/stat", "r");
	if (f == NULL)
		return t0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "btime %llu", &btime) == 1)
			break;
	fclose(f);
	if (btime != 0 && sysconf(_SC_CLK_TCK) > 0)
		t0 = (double)btime + (double)ticks / (double)sysconf(_SC_CLK_TCK);
	return t0;
}

/* hookpath_build_info (version, DPDK version: 1, the Prometheus idiom for constant labels),
 * hookpath_engine_info (the SHA-256 and the PII scan version picked at start) and
 * process_start_time_seconds (the standard name, without prefix: uptime and restarts). */
static void
prom_process(FILE *f)
{
	const char *dpdk = rte_version();

	if (strncmp(dpdk, "DPDK ", 5) == 0)
		dpdk += 5;
	prom_family(f, "hookpath_build_info", "gauge",
		    "Always 1; the labels say which hookpath and which DPDK run.");
	fputs("hookpath_build_info{version=\"", f);
	prom_label_value(f, HP_VERSION);
	fputs("\",dpdk=\"", f);
	prom_label_value(f, dpdk);
	fputs("\"} 1\n", f);
	prom_family(f, "hookpath_engine_info", "gauge",
		    "Always 1; the labels say which SHA-256 and which PII scan version this "
		    "process runs (chosen at start from the CPU's instructions).");
	fputs("hookpath_engine_info{sha256=\"", f);
	prom_label_value(f, hp_vsha256_ni_usable() ? "sha-ni" : "openssl");
	fputs("\",pii_scan=\"", f);
	prom_label_value(f, hp_pii_scan_version(NULL, NULL));
	fputs("\"} 1\n", f);
	prom_family(f, "process_start_time_seconds", "gauge",
		    "Start time of the process since the Unix epoch, in seconds.");
	fprintf(f, "process_start_time_seconds %.2f\n", process_start_time());
}

/* The poll loop of each worker (dp_stats.h foreach_hp_loop_ctr), label worker: busy and idle
 * time (TSC cycles exported in seconds: <x>_cycles -> hookpath_worker_<x>_seconds_total),
 * polls, packets; rate(busy) / (rate(busy) + rate(idle)) is the worker's load, as VPP's "show
 * runtime" gives it. Plus the lcore each worker runs on. 0 or -ENOMEM. */
static int
prom_workers(FILE *f)
{
	unsigned int n = hp_dp_n_workers();
	double hz = (double)rte_get_tsc_hz();
	struct hp_counters *wc;
	char name[96];

	if (n == 0)
		return 0;
	wc = calloc(n, sizeof(*wc)); /* a few KiB each: not on the stack */
	if (wc == NULL)
		return -ENOMEM;
	for (unsigned int w = 0; w < n; w++)
		hp_dp_worker_counters_add(w, &wc[w]);
	prom_family(f, "hookpath_worker_lcore", "gauge", "The DPDK lcore the worker runs on.");
	for (unsigned int w = 0; w < n; w++)
		fprintf(f, "hookpath_worker_lcore{worker=\"%u\"} %u\n", w, hp_dp_worker_lcore(w));
	prom_family(f, "hookpath_worker_stalled", "gauge",
		    "1 while the worker's poll loop has made no pass for control.ready.stall_ms "
		    "(GET /v1/ready is then 503).");
	for (unsigned int w = 0; w < n; w++)
		fprintf(f, "hookpath_worker_stalled{worker=\"%u\"} %d\n", w,
			hp_ctl_worker_stalled(w));
	for (unsigned int i = 0; i < HP_LOOP__MAX; i++) {
		const char *stable = hp_loop_ctr_name((enum hp_loop_ctr)i);
		bool cycles = ends_with(stable, "_cycles");

		if (cycles)
			snprintf(name, sizeof(name), "hookpath_worker_%.*s_seconds_total",
				 (int)(strlen(stable) - strlen("_cycles")), stable);
		else
			snprintf(name, sizeof(name), "hookpath_worker_%s_total", stable);
		prom_family(f, name, "counter", hp_loop_ctr_help((enum hp_loop_ctr)i));
		for (unsigned int w = 0; w < n; w++) {
			if (cycles && hz > 0)
				fprintf(f, "%s{worker=\"%u\"} %.6f\n", name, w,
					(double)wc[w].loop[i] / hz);
			else
				fprintf(f, "%s{worker=\"%u\"} %" PRIu64 "\n", name, w,
					wc[w].loop[i]);
		}
	}
	free(wc);
	return 0;
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
	prom_process(f);
	prom_family(f, "hookpath_workers", "gauge", "Worker lcores running the dataplane.");
	prom_sample(f, "hookpath_workers", NULL, NULL, hp_dp_n_workers());
	ret = prom_workers(f);
	prom_family(f, "hookpath_flows_active", "gauge", "TCP flows tracked now.");
	prom_sample(f, "hookpath_flows_active", NULL, NULL, hp_dp_flows_active());
	prom_counters(f, cur);
	prom_latency(f, cur);
	if (ret == 0)
		ret = prom_ports(f);
	prom_stream(f);
	if (ret == 0)
		ret = prom_endpoints(f);
	prom_replay_cache(f);
	hp_ctl_sinks_metrics(f);   /* events file and sinks: hookpath_events_*, hookpath_sink_* */
	hp_ctl_capture_metrics(f); /* hookpath_forensics_*: the capture file */
	hp_ctl_ml_metrics(f);      /* hookpath_ml_*: batches, latency, scores */
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
static bool tel_ready, tel_stopped; /* the commands answer between the two */

void
hp_ctl_telemetry_fini(void)
{
	pthread_mutex_lock(&tel_lock);
	tel_stopped = true;
	pthread_mutex_unlock(&tel_lock);
}

static int tel_stats_locked(const char *params, struct rte_tel_data *d);
static int tel_flows_locked(struct rte_tel_data *d);

int
hp_ctl_tel_stats(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	int ret = -ENODEV;

	pthread_mutex_lock(&tel_lock);
	if (tel_ready && !tel_stopped)
		ret = tel_stats_locked(params, d);
	pthread_mutex_unlock(&tel_lock);
	return ret;
}

int
hp_ctl_tel_flows(const char *cmd __rte_unused, const char *params __rte_unused,
		 struct rte_tel_data *d)
{
	int ret = -ENODEV;

	pthread_mutex_lock(&tel_lock);
	if (tel_ready && !tel_stopped)
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
	/* registered at load (ctl_telemetry.c): answered from now on */
	RTE_BUILD_BUG_ON(HP_MAX_WORKERS > RTE_TEL_MAX_ARRAY_ENTRIES);
	RTE_BUILD_BUG_ON(HP_LAT_BUCKETS > RTE_TEL_MAX_ARRAY_ENTRIES);
	pthread_mutex_lock(&tel_lock);
	tel_ready = true;
	pthread_mutex_unlock(&tel_lock);
	return 0;
}
