/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "ctl.h"
#include "ctl_capture.h"
#include "ctl_json.h"
#include "dedup.h"
#include "dp.h"
#include "dp_log.h"
#include "stream_reasm.h"

void
hp_ctl_stats_line(FILE *out)
{
	static struct hp_counters prev;
	static uint64_t prev_tsc;
	struct hp_counters cur;
	uint64_t now = rte_rdtsc();
	double dt;
	uint64_t drops;

	hp_dp_counters(&cur);
	dt = prev_tsc ? (double)(now - prev_tsc) / rte_get_tsc_hz() : 0;
	drops = cur.c[HP_CTR_MALFORMED_DROPPED] + cur.c[HP_CTR_TX_DROP_FULL] +
		cur.c[HP_CTR_DISPATCH_RING_FULL] + cur.c[HP_CTR_DEFRAG_NOMBUF];
	if (dt > 0) {
		uint64_t v = 0, pv = 0;

		for (int k = HP_CTR_VERDICT_ACCEPT; k <= HP_CTR_VERDICT_PASS; k++) {
			v += cur.c[k];
			pv += prev.c[k];
		}
		fprintf(out,
			"stats: rx %.0f pps %.1f Mbps | tx %.0f pps %.1f Mbps | decode errors "
			"%" PRIu64 " | dropped %" PRIu64 " | defrag %" PRIu64 " in / %" PRIu64
			" out"
			" | verdicts %.0f/s (accept %" PRIu64 ", reject %" PRIu64
			", duplicate %" PRIu64 ")\n",
			(cur.c[HP_CTR_RX_PACKETS] - prev.c[HP_CTR_RX_PACKETS]) / dt,
			(cur.c[HP_CTR_RX_BYTES] - prev.c[HP_CTR_RX_BYTES]) * 8 / dt / 1e6,
			(cur.c[HP_CTR_TX_PACKETS] - prev.c[HP_CTR_TX_PACKETS]) / dt,
			(cur.c[HP_CTR_TX_BYTES] - prev.c[HP_CTR_TX_BYTES]) * 8 / dt / 1e6,
			cur.c[HP_CTR_DECODE_ERRORS], drops, cur.c[HP_CTR_DEFRAG_FRAGMENTS],
			cur.c[HP_CTR_DEFRAG_REASSEMBLED], (v - pv) / dt,
			cur.c[HP_CTR_VERDICT_ACCEPT], cur.c[HP_CTR_VERDICT_REJECT],
			cur.c[HP_CTR_VERDICT_DUPLICATE]);
	}
	fflush(out);
	prev = cur;
	prev_tsc = now;
}

void
hp_ctl_summary(FILE *out)
{
	struct hp_counters cur;

	hp_dp_counters(&cur);
	fprintf(out, "hookpath summary (%u worker%s)\n", hp_dp_n_workers(),
		hp_dp_n_workers() == 1 ? "" : "s");
	fprintf(out, "  %-4s %-24s %14s %14s %10s %10s %10s\n", "port", "name", "rx_packets",
		"tx_packets", "rx_missed", "rx_nombuf", "tx_errors");
	for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++) {
		struct rte_eth_stats st;

		if (hp_dp_port(p) == NULL || rte_eth_stats_get(p, &st) != 0)
			continue;
		fprintf(out,
			"  %-4u %-24s %14" PRIu64 " %14" PRIu64 " %10" PRIu64 " %10" PRIu64
			" %10" PRIu64 "\n",
			p, hp_dp_port(p)->name, st.ipackets, st.opackets, st.imissed, st.rx_nombuf,
			st.oerrors);
	}
	fprintf(out, "  TCP flows tracked: %" PRIu64 "\n", hp_dp_flows_active());
	fprintf(out, "  counters (non-zero):\n");
	for (unsigned int i = 0; i < HP_CTR__MAX; i++)
		if (cur.c[i] != 0 && hp_ctr_name(i) != NULL)
			fprintf(out, "    %-32s %16" PRIu64 "\n", hp_ctr_name(i), cur.c[i]);
	fflush(out);
}

/* Worker stall watch: each worker's pass count and the TSC it last moved at. */
static struct {
	uint64_t passes, moved_tsc;
	bool stalled;
} watch[HP_MAX_WORKERS];

void
hp_ctl_workers_tick(void)
{
	const struct hp_config *cfg = hp_dp_config();
	uint64_t now = rte_rdtsc(), hz = rte_get_tsc_hz();
	uint64_t lim = (uint64_t)cfg->control.stall_ms * hz / 1000;

	for (unsigned int w = 0; w < hp_dp_n_workers() && w < HP_MAX_WORKERS; w++) {
		uint64_t p = hp_dp_worker_passes(w);

		if (p != watch[w].passes || watch[w].moved_tsc == 0) {
			if (watch[w].stalled)
				HP_LOG(NOTICE,
				       "worker %u (lcore %u) runs again after %" PRIu64 " ms\n", w,
				       hp_dp_worker_lcore(w),
				       (now - watch[w].moved_tsc) * 1000 / hz);
			watch[w].passes = p;
			watch[w].moved_tsc = now;
			watch[w].stalled = false;
		} else if (!watch[w].stalled && now - watch[w].moved_tsc >= lim) {
			watch[w].stalled = true;
			HP_LOG(ERR,
			       "worker %u (lcore %u) stalled: its poll loop made no pass for %u ms "
			       "(control.ready.stall_ms); not ready\n",
			       w, hp_dp_worker_lcore(w), cfg->control.stall_ms);
		}
	}
}

bool
hp_ctl_worker_stalled(unsigned int w)
{
	return w < HP_MAX_WORKERS && watch[w].stalled;
}

bool
hp_ctl_workers_ok(char *why, size_t len)
{
	uint64_t now = rte_rdtsc(), hz = rte_get_tsc_hz();

	for (unsigned int w = 0; w < hp_dp_n_workers() && w < HP_MAX_WORKERS; w++)
		if (watch[w].stalled) {
			snprintf(why, len,
				 "stalled: worker %u (lcore %u), no pass for %" PRIu64 " ms", w,
				 hp_dp_worker_lcore(w), (now - watch[w].moved_tsc) * 1000 / hz);
			return false;
		}
	return true;
}

/* Nanoseconds as seconds (a JSON number, 15 significant digits: HP_JSON_FLAGS). */
static json_t *
ns_seconds(uint64_t ns)
{
	return json_real((double)ns / 1e9);
}

/* Set key to a new reference v; a NULL v (ENOMEM) fails the whole document. */
static bool
put(json_t *o, const char *key, json_t *v)
{
	return v != NULL && json_object_set_new(o, key, v) == 0;
}

static bool
put_u64(json_t *o, const char *key, uint64_t v)
{
	return put(o, key, json_integer((json_int_t)v));
}

static json_t *
stats_ports(void)
{
	json_t *a = json_array();

	for (uint16_t p = 0; a != NULL && p < RTE_MAX_ETHPORTS; p++) {
		const struct hp_port_info *pi = hp_dp_port(p);
		struct rte_eth_stats st;

		if (pi == NULL || rte_eth_stats_get(p, &st) != 0)
			continue;
		if (json_array_append_new(
			    a,
			    json_pack("{s:i,s:o,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "port",
				      (int)p, "name", hp_json_text(pi->name), "rx_queues",
				      (int)pi->n_rxq, "tx_queues", (int)pi->n_txq, "rx_packets",
				      (json_int_t)st.ipackets, "rx_bytes", (json_int_t)st.ibytes,
				      "tx_packets", (json_int_t)st.opackets, "tx_bytes",
				      (json_int_t)st.obytes, "rx_missed", (json_int_t)st.imissed,
				      "rx_errors", (json_int_t)st.ierrors, "rx_nombuf",
				      (json_int_t)st.rx_nombuf, "tx_errors",
				      (json_int_t)st.oerrors)) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
stats_stream(void)
{
	struct hp_stream_counters sc;
	json_t *o;

	hp_dp_stream_counters(&sc);
	o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "segments",
		      (json_int_t)sc.segments, "bytes", (json_int_t)sc.bytes, "fast_path",
		      (json_int_t)sc.fast_path, "queued", (json_int_t)sc.queued, "delivered_bytes",
		      (json_int_t)sc.delivered_bytes, "gaps", (json_int_t)sc.gaps, "gap_bytes",
		      (json_int_t)sc.gap_bytes, "memcap_flow", (json_int_t)sc.memcap_flow,
		      "memcap_global", (json_int_t)sc.memcap_global, "ooo_limit",
		      (json_int_t)sc.ooo_limit, "pool_exhausted", (json_int_t)sc.pool_exhausted,
		      "memcap_drop", (json_int_t)sc.memcap_drop, "memcap_pass",
		      (json_int_t)sc.memcap_pass, "midstream", (json_int_t)sc.midstream);
	for (int r = 0; o != NULL && r < HP_STREAM_RESULT_MAX; r++) {
		char key[64];

		snprintf(key, sizeof(key), "result_%s",
			 hp_stream_result_name((enum hp_stream_result)r));
		if (!put_u64(o, key, sc.results[r])) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static json_t *
stats_endpoints(void)
{
	const struct hp_config *cfg = hp_dp_config();
	json_t *o = json_object();

	for (uint32_t i = 0; o != NULL && i < cfg->n_endpoints; i++) {
		uint64_t ec[HP_EP_CTR__MAX];

		hp_dp_endpoint_counters(i, ec);
		if (!put(o, cfg->endpoints[i].name,
			 json_pack("{s:o,s:I,s:I,s:I,s:I}", "provider",
				   hp_json_text(cfg->endpoints[i].provider), "requests",
				   (json_int_t)ec[HP_EP_CTR_REQUESTS], "accept",
				   (json_int_t)ec[HP_EP_CTR_ACCEPT], "reject",
				   (json_int_t)ec[HP_EP_CTR_REJECT], "duplicate",
				   (json_int_t)ec[HP_EP_CTR_DUPLICATE]))) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static json_t *
stats_replay_cache(void)
{
	struct hp_dedup_stats ds;
	struct hp_ctl_replay_stats rs;
	json_t *o;

	hp_dedup_get_stats(hp_dp_replay_cache(), &ds);
	hp_ctl_replay_stats(&rs);
	o = json_pack("{s:I,s:I,s:I,s:I}", "entries", (json_int_t)ds.entries, "capacity",
		      (json_int_t)ds.capacity, "swept", (json_int_t)ds.swept, "evicted_live",
		      (json_int_t)ds.evicted_live);
	if (o != NULL && rs.enabled &&
	    !put(o, "snapshot",
		 json_pack("{s:I,s:I,s:I,s:I,s:o}", "loaded", (json_int_t)rs.loaded, "written",
			   (json_int_t)rs.written, "failed", (json_int_t)rs.failed, "last_entries",
			   (json_int_t)rs.last_entries, "last_age_s",
			   rs.last_age_s < 0 ? json_null() : json_real(rs.last_age_s)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Verdict latency histogram: per bucket counts, NOT cumulative (Prometheus's are); le_s the
 * bucket's upper bound in seconds, null for the last (+Inf). */
static json_t *
stats_latency(const struct hp_counters *cur)
{
	uint64_t count = 0;
	json_t *b = json_array();

	for (unsigned int k = 0; b != NULL && k < HP_LAT_BUCKETS; k++) {
		uint64_t le = hp_lat_bucket_le_ns(k);

		count += cur->lat[k];
		if (json_array_append_new(b, json_pack("{s:o,s:I}", "le_s",
						       le != 0 ? ns_seconds(le) : json_null(),
						       "count", (json_int_t)cur->lat[k])) != 0) {
			json_decref(b);
			return NULL;
		}
	}
	return json_pack("{s:I,s:o,s:o}", "count", (json_int_t)count, "sum_s",
			 ns_seconds(cur->lat_sum_ns), "buckets", b);
}

static json_t *
stats_workers(void)
{
	double hz = (double)rte_get_tsc_hz();
	json_t *a = json_array();
	struct hp_counters *c = calloc(1, sizeof(*c));

	for (unsigned int w = 0; a != NULL && c != NULL && w < hp_dp_n_workers(); w++) {
		memset(c, 0, sizeof(*c));
		if (hp_dp_worker_counters_add(w, c) != 0)
			continue;
		/* the poll loop (dp_stats.h foreach_hp_loop_ctr): busy/idle time in seconds */
		if (json_array_append_new(
			    a,
			    json_pack("{s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:I,s:I,s:I,s:f}",
				      "worker", (int)w, "lcore", (int)hp_dp_worker_lcore(w),
				      "rx_packets", (json_int_t)c->c[HP_CTR_RX_PACKETS],
				      "tx_packets", (json_int_t)c->c[HP_CTR_TX_PACKETS],
				      "dispatch_in", (json_int_t)c->c[HP_CTR_DISPATCH_IN],
				      "dispatch_out", (json_int_t)c->c[HP_CTR_DISPATCH_OUT],
				      "inspect_packets", (json_int_t)c->c[HP_CTR_INSPECT_PACKETS],
				      "busy_s", (double)c->loop[HP_LOOP_BUSY_CYCLES] / hz, "idle_s",
				      (double)c->loop[HP_LOOP_IDLE_CYCLES] / hz, "busy_polls",
				      (json_int_t)c->loop[HP_LOOP_BUSY_POLLS], "idle_polls",
				      (json_int_t)c->loop[HP_LOOP_IDLE_POLLS], "poll_packets",
				      (json_int_t)c->loop[HP_LOOP_POLL_PACKETS], "longest_pass_ms",
				      hp_dp_worker_longest_pass_ms(w))) != 0) {
			json_decref(a);
			a = NULL;
			break;
		}
		{ /* the warm-up at start (dataplane.warmup_requests), once it is done */
			double ms;
			uint32_t packets, accepted;

			if (hp_dp_worker_warmup(w, &ms, &packets, &accepted))
				json_object_set_new(
					json_array_get(a, json_array_size(a) - 1), "warmup",
					json_pack("{s:f,s:I,s:I,s:I}", "ms", ms, "packets",
						  (json_int_t)packets, "requests",
						  (json_int_t)hp_dp_warmup_requests(), "accepted",
						  (json_int_t)accepted));
		}
	}
	if (c == NULL) {
		json_decref(a);
		a = NULL;
	}
	free(c);
	return a;
}

json_t *
hp_ctl_stats_status(void)
{
	struct hp_counters cur;
	json_t *o = json_object(), *ctrs = json_object();
	bool ok = o != NULL && ctrs != NULL;

	hp_dp_counters(&cur);
	ok = ok && put_u64(o, "workers", hp_dp_n_workers()) &&
	     put(o, "dispatch", json_boolean(hp_dp_dispatch())) && put(o, "ports", stats_ports()) &&
	     put_u64(o, "flows_active", hp_dp_flows_active()) &&
	     put_u64(o, "events_written", hp_ctl_events_written()) &&
	     put(o, "forensics", hp_ctl_capture_status());
	for (unsigned int i = 0; ok && i < HP_CTR__MAX; i++)
		if (hp_ctr_name(i) != NULL)
			ok = put_u64(ctrs, hp_ctr_name(i), cur.c[i]);
	ok = ok && put(o, "counters", json_incref(ctrs)) && put(o, "stream", stats_stream()) &&
	     put(o, "endpoints", stats_endpoints()) &&
	     (hp_dp_replay_cache() == NULL || put(o, "replay_cache", stats_replay_cache())) &&
	     put(o, "latency", stats_latency(&cur)) && put(o, "per_worker", stats_workers()) &&
	     put(o, "sinks", hp_ctl_sinks_status());
	json_decref(ctrs);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *
hp_ctl_stats_json(size_t *len)
{
	json_t *o = hp_ctl_stats_status();
	char *buf = o != NULL ? json_dumps(o, HP_JSON_FLAGS) : NULL;

	json_decref(o);
	*len = buf != NULL ? strlen(buf) : 0;
	if (buf == NULL)
		errno = ENOMEM;
	return buf;
}

char *
hp_ctl_memstream_end(FILE *f, char **buf, size_t *len, bool failed)
{
	if (failed || ferror(f)) {
		fclose(f);
		free(*buf);
		*len = 0;
		errno = ENOMEM;
		return NULL;
	}
	if (fclose(f) != 0) {
		free(*buf);
		*len = 0;
		return NULL;
	}
	return *buf;
}

int
hp_ctl_write_stats_json(const char *path)
{
	char tmp[4096];
	size_t len;
	char *buf;
	FILE *f;
	int ret = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	buf = hp_ctl_stats_json(&len);
	if (buf == NULL)
		return -ENOMEM;
	f = fopen(tmp, "w");
	if (f == NULL) {
		ret = -errno;
		goto out;
	}
	if (fwrite(buf, 1, len, f) != len) {
		ret = -errno;
		fclose(f);
		unlink(tmp);
		goto out;
	}
	if (fclose(f) != 0) {
		ret = -errno;
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		ret = -errno;
		unlink(tmp);
	}
out:
	free(buf);
	return ret;
}
