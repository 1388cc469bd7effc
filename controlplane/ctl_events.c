/* SPDX-License-Identifier: BSD-3-Clause
 * Events JSON lines writer (control thread): drains every worker's event ring and appends one
 * JSON object per event to events.file (DESIGN §6). Bounded work per call; the file is
 * flushed once per drain, never per event.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ring_elem.h>

#include "ctl.h"
#include "dp.h"
#include "dp_event.h"
#include "pii.h"

#define DRAIN_BURST 64

static FILE *ev_file;
static uint64_t ev_tsc0;      /* TSC and wall clock taken together at open */
static struct timespec ev_wall0;
static uint64_t ev_written;

int
hp_ctl_events_open(const char *path)
{
	ev_file = fopen(path, "a");
	if (ev_file == NULL)
		return -errno;
	clock_gettime(CLOCK_REALTIME, &ev_wall0);
	ev_tsc0 = rte_rdtsc();
	return 0;
}

/* JSON string body of n raw bytes: quotes, backslash and control bytes escaped; bytes >= 0x80
 * written as \u00XX (each byte one code point) so any input yields valid JSON. */
static void
json_str(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

static void
json_endpoint(FILE *f, uint8_t family, const uint8_t *addr, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, sizeof(buf));
	fprintf(f, family == 4 ? "\"%s:%u\"" : "\"[%s]:%u\"", buf, port);
}

static void
write_event(FILE *f, const struct hp_event *e)
{
	uint64_t hz = rte_get_tsc_hz();
	uint64_t dt = e->tsc - ev_tsc0;
	uint64_t ns = (uint64_t)ev_wall0.tv_nsec + dt / hz * 1000000000ULL +
		      dt % hz * 1000000000ULL / hz;
	time_t sec = ev_wall0.tv_sec + (time_t)(ns / 1000000000ULL);
	struct tm tm;
	char ts[32];

	gmtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "{\"ts\":\"%s.%09" PRIu64 "Z\",\"worker\":%u,\"flow\":{\"src\":", ts,
		(uint64_t)(ns % 1000000000ULL), e->worker);
	json_endpoint(f, e->family, e->src, e->sport);
	fputs(",\"dst\":", f);
	json_endpoint(f, e->family, e->dst, e->dport);
	fputs("},\"http\":{\"method\":\"", f);
	json_str(f, e->method, e->method_len);
	fputs("\",\"host\":\"", f);
	json_str(f, e->host, e->host_len);
	fputs("\",\"uri\":\"", f);
	json_str(f, e->uri, e->uri_len);
	fprintf(f, "\",\"body_len\":%" PRIu64, e->body_len);
	if (e->flags & HP_EV_F_BODY_HASH) {
		fputs(",\"body_sha256\":\"", f);
		for (int i = 0; i < 32; i++)
			fprintf(f, "%02x", e->body_sha256[i]);
		fputc('"', f);
	}
	if (e->flags & (HP_EV_F_METHOD_TRUNC | HP_EV_F_HOST_TRUNC | HP_EV_F_URI_TRUNC))
		fputs(",\"truncated\":true", f);
	if (e->flags & HP_EV_F_GAP)
		fputs(",\"gap\":true", f);
	if (e->flags & HP_EV_F_INCOMPLETE)
		fputs(",\"incomplete\":true", f);
	fputc('}', f);
	if (e->flags & HP_EV_F_MIDSTREAM)
		fputs(",\"midstream\":true", f);
	if (e->endpoint != HP_EV_NO_ENDPOINT && e->endpoint < hp_dp.cfg->n_endpoints) {
		const struct hp_endpoint_config *ep = &hp_dp.cfg->endpoints[e->endpoint];

		fputs(",\"endpoint\":\"", f);
		json_str(f, ep->name, strlen(ep->name));
		fputs("\",\"provider\":\"", f);
		json_str(f, ep->provider, strlen(ep->provider));
		fputc('"', f);
	}
	if (e->webhook_id_len != 0) {
		fputs(",\"webhook_id\":\"", f);
		json_str(f, e->webhook_id, e->webhook_id_len);
		fputc('"', f);
	}
	if (e->flags & HP_EV_F_PII) { /* counts only, never the matched text */
		bool first = true;

		fputs(",\"pii\":{", f);
		for (unsigned int k = 0; k < e->pii_n && k < HP_EV_PII_MAX; k++) {
			unsigned int id = e->pii_entity[k];
			const struct hp_pii_global_config *pg = &hp_dp.cfg->pii;
			const char *name = id < HP_PII__BUILTIN_COUNT
						   ? hp_pii_entity_name(NULL, id)
					   : id - HP_PII__BUILTIN_COUNT < pg->n_custom
						   ? pg->custom[id - HP_PII__BUILTIN_COUNT].name
						   : "unknown";

			fprintf(f, "%s\"%s\":%u", first ? "" : ",", name, e->pii_count[k]);
			first = false;
		}
		fputc('}', f);
		if (e->flags & HP_EV_F_PII_TRUNC)
			fputs(",\"pii_truncated\":true", f);
		if (e->flags & HP_EV_F_MASKED)
			fprintf(f, ",\"pii_masked_bytes\":%u", e->pii_masked);
	}
	if (e->flags & HP_EV_F_KEY_FALLBACK)
		fputs(",\"dedup_key\":\"body_hash\"", f);
	if (e->flags & HP_EV_F_LATE)
		fputs(",\"late\":true", f);
	fprintf(f, ",\"verdict\":\"%s\",\"reason\":\"%s\",\"latency_ns\":%" PRIu64 "}\n",
		hp_ev_verdict_name(e->verdict), hp_ev_reason_name(e->reason),
		(uint64_t)(e->latency_tsc * 1000000000ULL / hz));
}

unsigned int
hp_ctl_events_drain(unsigned int budget)
{
	struct hp_event evs[DRAIN_BURST];
	unsigned int done = 0;

	if (ev_file == NULL)
		return 0;
	for (unsigned int w = 0; w < hp_dp.n_workers; w++) {
		struct rte_ring *r = hp_dp.workers[w]->ev_ring;
		unsigned int n;

		if (r == NULL)
			continue;
		while (done < budget &&
		       (n = rte_ring_sc_dequeue_burst_elem(r, evs, sizeof(evs[0]), DRAIN_BURST,
							   NULL)) != 0) {
			for (unsigned int i = 0; i < n; i++)
				write_event(ev_file, &evs[i]);
			done += n;
		}
	}
	if (done != 0)
		fflush(ev_file);
	ev_written += done;
	return done;
}

uint64_t
hp_ctl_events_written(void)
{
	return ev_written;
}

void
hp_ctl_events_close(void)
{
	if (ev_file == NULL)
		return;
	while (hp_ctl_events_drain(UINT32_MAX) != 0)
		;
	fclose(ev_file);
	ev_file = NULL;
}
