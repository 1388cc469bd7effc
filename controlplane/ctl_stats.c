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
#include "dedup.h"
#include "dp.h"
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

/* Nanoseconds as exact decimal seconds (a JSON number): 128 -> 0.000000128. */
static void
json_ns_seconds(FILE *f, uint64_t ns)
{
	char buf[32];
	int n;

	n = snprintf(buf, sizeof(buf), "%" PRIu64 ".%09" PRIu64, ns / UINT64_C(1000000000),
		     ns % UINT64_C(1000000000));
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	fputs(buf, f);
}

char *
hp_ctl_stats_json(size_t *len)
{
	struct hp_counters cur;
	char *buf = NULL;
	FILE *f;
	bool first = true;

	*len = 0;
	f = open_memstream(&buf, len);
	if (f == NULL)
		return NULL;
	hp_dp_counters(&cur);
	fprintf(f, "{\"workers\": %u, \"dispatch\": %s, \"ports\": [", hp_dp_n_workers(),
		hp_dp_dispatch() ? "true" : "false");
	for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++) {
		struct rte_eth_stats st;

		if (hp_dp_port(p) == NULL || rte_eth_stats_get(p, &st) != 0)
			continue;
		fprintf(f,
			"%s\n  {\"port\": %u, \"name\": \"%s\", \"rx_queues\": %u, "
			"\"tx_queues\": %u, \"rx_packets\": %" PRIu64 ", \"rx_bytes\": %" PRIu64
			", \"tx_packets\": %" PRIu64 ", \"tx_bytes\": %" PRIu64
			", \"rx_missed\": %" PRIu64 ", \"rx_errors\": %" PRIu64
			", \"rx_nombuf\": %" PRIu64 ", \"tx_errors\": %" PRIu64 "}",
			first ? "" : ",", p, hp_dp_port(p)->name, hp_dp_port(p)->n_rxq,
			hp_dp_port(p)->n_txq, st.ipackets, st.ibytes, st.opackets, st.obytes,
			st.imissed, st.ierrors, st.rx_nombuf, st.oerrors);
		first = false;
	}
	fprintf(f,
		"],\n \"flows_active\": %" PRIu64 ",\n \"events_written\": %" PRIu64
		",\n \"counters\": {",
		hp_dp_flows_active(), hp_ctl_events_written());
	for (unsigned int i = 0; i < HP_CTR__MAX; i++)
		if (hp_ctr_name(i) != NULL)
			fprintf(f, "%s\n  \"%s\": %" PRIu64, i ? "," : "", hp_ctr_name(i),
				cur.c[i]);
	{
		struct hp_stream_counters sc;

		hp_dp_stream_counters(&sc);
		fprintf(f,
			"},\n \"stream\": {\"segments\": %" PRIu64 ", \"bytes\": %" PRIu64
			", \"fast_path\": %" PRIu64 ", \"queued\": %" PRIu64
			", \"delivered_bytes\": %" PRIu64 ", \"gaps\": %" PRIu64
			", \"gap_bytes\": %" PRIu64 ", \"memcap_flow\": %" PRIu64
			", \"memcap_global\": %" PRIu64 ", \"ooo_limit\": %" PRIu64
			", \"pool_exhausted\": %" PRIu64 ", \"memcap_drop\": %" PRIu64
			", \"memcap_pass\": %" PRIu64 ", \"midstream\": %" PRIu64,
			sc.segments, sc.bytes, sc.fast_path, sc.queued, sc.delivered_bytes, sc.gaps,
			sc.gap_bytes, sc.memcap_flow, sc.memcap_global, sc.ooo_limit,
			sc.pool_exhausted, sc.memcap_drop, sc.memcap_pass, sc.midstream);
		for (int r = 0; r < HP_STREAM_RESULT_MAX; r++)
			fprintf(f, ", \"result_%s\": %" PRIu64,
				hp_stream_result_name((enum hp_stream_result)r), sc.results[r]);
	}
	fprintf(f, "},\n \"endpoints\": {");
	for (uint32_t i = 0; i < hp_dp_config()->n_endpoints; i++) {
		uint64_t ec[HP_EP_CTR__MAX];

		hp_dp_endpoint_counters(i, ec);
		fprintf(f,
			"%s\n  \"%s\": {\"provider\": \"%s\", \"requests\": %" PRIu64
			", \"accept\": %" PRIu64 ", \"reject\": %" PRIu64
			", \"duplicate\": %" PRIu64 "}",
			i ? "," : "", hp_dp_config()->endpoints[i].name,
			hp_dp_config()->endpoints[i].provider, ec[HP_EP_CTR_REQUESTS],
			ec[HP_EP_CTR_ACCEPT], ec[HP_EP_CTR_REJECT], ec[HP_EP_CTR_DUPLICATE]);
	}
	if (hp_dp_replay_cache() != NULL) {
		struct hp_dedup_stats ds;
		struct hp_ctl_replay_stats rs;

		hp_dedup_get_stats(hp_dp_replay_cache(), &ds);
		hp_ctl_replay_stats(&rs);
		fprintf(f,
			"},\n \"replay_cache\": {\"entries\": %" PRIu64 ", \"capacity\": %" PRIu64
			", \"swept\": %" PRIu64 ", \"evicted_live\": %" PRIu64,
			ds.entries, ds.capacity, ds.swept, ds.evicted_live);
		if (rs.enabled) {
			fprintf(f,
				", \"snapshot\": {\"loaded\": %" PRIu64 ", \"written\": %" PRIu64
				", \"failed\": %" PRIu64 ", \"last_entries\": %" PRIu64
				", \"last_age_s\": ",
				rs.loaded, rs.written, rs.failed, rs.last_entries);
			if (rs.last_age_s < 0)
				fprintf(f, "null}");
			else
				fprintf(f, "%.3f}", rs.last_age_s);
		}
	}
	/* Verdict latency histogram: per bucket counts, NOT cumulative (Prometheus's are);
	 * le_s the bucket's upper bound in seconds, null for the last (+Inf). */
	{
		uint64_t count = 0;

		for (unsigned int k = 0; k < HP_LAT_BUCKETS; k++)
			count += cur.lat[k];
		fprintf(f, "},\n \"latency\": {\"count\": %" PRIu64 ", \"sum_s\": ", count);
		json_ns_seconds(f, cur.lat_sum_ns);
		fprintf(f, ", \"buckets\": [");
		for (unsigned int k = 0; k < HP_LAT_BUCKETS; k++) {
			uint64_t le = hp_lat_bucket_le_ns(k);

			fprintf(f, "%s{\"le_s\": ", k ? ", " : "");
			if (le != 0)
				json_ns_seconds(f, le);
			else
				fputs("null", f);
			fprintf(f, ", \"count\": %" PRIu64 "}", cur.lat[k]);
		}
		fprintf(f, "]");
	}
	fprintf(f, "},\n \"per_worker\": [");
	for (unsigned int w = 0; w < hp_dp_n_workers(); w++) {
		struct hp_counters *c = calloc(1, sizeof(*c));

		if (c == NULL || hp_dp_worker_counters_add(w, c) != 0) {
			free(c);
			continue;
		}

		fprintf(f,
			"%s\n  {\"worker\": %u, \"lcore\": %u, \"rx_packets\": %" PRIu64
			", \"tx_packets\": %" PRIu64 ", \"dispatch_in\": %" PRIu64
			", \"dispatch_out\": %" PRIu64 ", \"inspect_packets\": %" PRIu64,
			w ? "," : "", w, hp_dp_worker_lcore(w), c->c[HP_CTR_RX_PACKETS],
			c->c[HP_CTR_TX_PACKETS], c->c[HP_CTR_DISPATCH_IN],
			c->c[HP_CTR_DISPATCH_OUT], c->c[HP_CTR_INSPECT_PACKETS]);
		/* the poll loop (dp_stats.h foreach_hp_loop_ctr): busy/idle time in seconds */
		fprintf(f,
			", \"busy_s\": %.6f, \"idle_s\": %.6f, \"busy_polls\": %" PRIu64
			", \"idle_polls\": %" PRIu64 ", \"poll_packets\": %" PRIu64 "}",
			(double)c->loop[HP_LOOP_BUSY_CYCLES] / (double)rte_get_tsc_hz(),
			(double)c->loop[HP_LOOP_IDLE_CYCLES] / (double)rte_get_tsc_hz(),
			c->loop[HP_LOOP_BUSY_POLLS], c->loop[HP_LOOP_IDLE_POLLS],
			c->loop[HP_LOOP_POLL_PACKETS]);
		free(c);
	}
	fprintf(f, "],\n \"sinks\": ");
	hp_ctl_sinks_json(f);
	fprintf(f, "}\n");
	return hp_ctl_memstream_end(f, &buf, len, false);
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
