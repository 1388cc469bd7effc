/* SPDX-License-Identifier: BSD-3-Clause
 * Sink throughput benchmark (issue 7): N records shaped like real events (the events file's
 * ~400-byte JSON line, endpoint name, webhook id), built before timing, pushed in bursts of 64
 * into ONE sink created with hp_sink_create (controlplane/ctl_sink*.c, the code the control
 * thread runs), as fast as the caller can, like the control thread does. Measured: wall time
 * from the first push until the sink is idle (queue and spool empty, i.e. everything stored).
 * The sink's own defaults apply (hp_config_defaults: queue 65536 events, spool fsync
 * interval): records that do not fit in the queue go through the spool, as in production.
 *
 * Also, for the comparison run by bench_sinks.py (never the sink's code):
 *   --dump-copy FILE  write the COPY text of the same N rows (what the Postgres sink sends),
 *                     for a raw `\copy` ceiling;
 *   --print-json      print the first record's JSON line (the redis-benchmark payload);
 *   --pg-pipeline     store the same rows with libpq pipeline mode instead of the sink:
 *                     prepared INSERT ... ON CONFLICT DO NOTHING, B rows per PQpipelineSync
 *                     (one implicit transaction per batch), one batch in flight.
 *
 * usage: bench_sinks (--redis URL | --postgres DSN) [--events N] [--batch B]
 *                    [--instance NAME] [--queue Q] [--pg-pipeline]
 *        bench_sinks --dump-copy FILE [--events N] [--instance NAME]
 *        bench_sinks --print-json
 * Prints one line "RESULT mode=... events=N ... events_per_s=X" (and the sink's final status).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "ctl_sink.h"
#include "dp_event.h"
#include "hp_config.h"

#define BURST 64

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: deterministic per-run content */
static uint64_t rng_s = 0x9e3779b97f4a7c15ULL;
static uint64_t
rnd(void)
{
	rng_s ^= rng_s >> 12;
	rng_s ^= rng_s << 25;
	rng_s ^= rng_s >> 27;
	return rng_s * 0x2545f4914f6cdd1dULL;
}

static const struct {
	const char *name, *provider, *uri, *idpfx;
} endpoints[] = {
	{"stripe-payments", "stripe", "/webhooks/stripe/v1/events", "evt_"},
	{"github-ci", "github", "/hooks/github/repository-events", "gh-"},
	{"shopify-orders", "shopify", "/webhooks/shopify/orders/create", "shp_"},
	{"slack-events", "slack", "/slack/events/T0123ABCD", "Ev"},
};

/* One record like make_rec() in ctl_events.c builds from write_event()'s line. */
static struct hp_rec *
make_rec(uint64_t boot_ms, uint64_t seq, uint64_t wall_ns, unsigned int refs)
{
	char line[1024], wid[64], sha[65], ts[32];
	unsigned int e = (unsigned int)(rnd() % 4), worker = (unsigned int)(seq & 1);
	uint64_t r1 = rnd(), r2 = rnd(), lat = 20000 + rnd() % 80000;
	time_t sec = (time_t)(wall_ns / 1000000000ULL);
	uint8_t verdict = HP_EV_ACCEPT, reason = HP_EV_R_OK;
	unsigned int roll = (unsigned int)(rnd() % 100);
	struct tm tm;
	struct hp_rec *r;
	size_t epl, widl;
	int len;

	if (roll < 5)
		verdict = HP_EV_DUPLICATE, reason = HP_EV_R_DUPLICATE;
	else if (roll < 8)
		verdict = HP_EV_REJECT, reason = HP_EV_R_BAD_SIGNATURE;
	snprintf(wid, sizeof(wid), "%s%016" PRIx64 "%04x", endpoints[e].idpfx, r1,
		 (unsigned int)(seq & 0xffff));
	for (int i = 0; i < 64; i++)
		sha[i] =
			"0123456789abcdef"[(i < 32 ? r1 >> (i * 2 % 64) : r2 >> (i * 2 % 64)) & 15];
	sha[64] = '\0';
	gmtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	len = snprintf(
		line, sizeof(line),
		"{\"ts\":\"%s.%09" PRIu64 "Z\",\"event_id\":\"%" PRIu64 "-%" PRIu64
		"\",\"worker\":%u,\"flow\":{\"src\":\"203.0.%u.%u:%u\",\"dst\":"
		"\"10.20.0.10:443\"},\"http\":{\"method\":\"POST\",\"host\":"
		"\"hooks.example.com\",\"uri\":\"%s\",\"body_len\":%u,\"body_sha256\":\"%s\"},"
		"\"endpoint\":\"%s\",\"provider\":\"%s\",\"webhook_id\":\"%s\","
		"\"verdict\":\"%s\",\"reason\":\"%s\",\"latency_ns\":%" PRIu64 "}",
		ts, (uint64_t)(wall_ns % 1000000000ULL), boot_ms, seq, worker,
		(unsigned int)(r2 & 0xff), (unsigned int)(r2 >> 8 & 0xff),
		(unsigned int)(1024 + (r2 >> 16) % 60000), endpoints[e].uri,
		(unsigned int)(300 + (r2 >> 32) % 6000), sha, endpoints[e].name,
		endpoints[e].provider, wid, hp_ev_verdict_name(verdict), hp_ev_reason_name(reason),
		lat);
	epl = strlen(endpoints[e].name);
	widl = strlen(wid);
	r = hp_rec_alloc(epl + widl + (size_t)len, refs);
	if (r == NULL)
		return NULL;
	r->boot_ms = boot_ms;
	r->seq = seq;
	r->ts_ns = wall_ns;
	r->latency_ns = lat;
	r->worker = (uint16_t)worker;
	r->verdict = verdict;
	r->reason = reason;
	r->endpoint_len = (uint16_t)epl;
	r->webhook_id_len = (uint16_t)widl;
	r->json_len = (uint32_t)len;
	memcpy(r->data, endpoints[e].name, epl);
	memcpy(r->data + epl, wid, widl);
	memcpy(r->data + epl + widl, line, (size_t)len);
	r->crc = hp_rec_crc(r);
	return r;
}

/* ---- COPY text of a row, as build_rows() in ctl_sink_pg.c writes it ---- */
static void
copy_str(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\\')
			fputs("\\\\", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\r')
			fputs("\\r", f);
		else
			fputc(c, f);
	}
}

static void
pg_ts(const struct hp_rec *r, char *buf, size_t len)
{
	time_t sec = (time_t)(r->ts_ns / 1000000000ULL);
	struct tm tm;
	char ts[32];

	gmtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06u+00", ts, (unsigned int)(r->ts_ns % 1000000000ULL / 1000));
}

static void
dump_copy_row(FILE *f, const char *instance, const struct hp_rec *r)
{
	char ts[64], id[48];

	pg_ts(r, ts, sizeof(ts));
	hp_rec_id(r, id, sizeof(id));
	fprintf(f, "%s\t%s\t%s\t%u\t", instance, id, ts, r->worker);
	copy_str(f, hp_rec_endpoint(r), r->endpoint_len);
	fputc('\t', f);
	copy_str(f, hp_rec_webhook_id(r), r->webhook_id_len);
	fprintf(f, "\t%s\t%s\t%" PRIu64 "\t", hp_ev_verdict_name(r->verdict),
		hp_ev_reason_name(r->reason), r->latency_ns);
	copy_str(f, hp_rec_json(r), r->json_len);
	fputc('\n', f);
}

/* ---- the alternative: libpq pipeline mode, prepared INSERT ... ON CONFLICT DO NOTHING ---- */
static int
pq_wait(PGconn *c, bool wr)
{
	struct pollfd pfd = {.fd = PQsocket(c), .events = POLLIN | (wr ? POLLOUT : 0)};

	if (poll(&pfd, 1, 10000) <= 0)
		return -1;
	if ((pfd.revents & POLLIN) && !PQconsumeInput(c))
		return -1;
	return 0;
}

/* Flush what libpq holds; read replies meanwhile so neither side blocks the other. */
static int
pq_flush(PGconn *c)
{
	int f;

	while ((f = PQflush(c)) == 1)
		if (pq_wait(c, true) != 0)
			return -1;
	return f;
}

static int
pg_pipeline(const char *dsn, const char *instance, struct hp_rec **recs, unsigned int n,
	    unsigned int batch, double *secs, uint64_t *stored)
{
	static const char sql[] = "INSERT INTO hookpath_events (instance, event_id, ts, worker, "
				  "endpoint, webhook_id, "
				  "verdict, reason, latency_ns, event) VALUES ($1, $2, $3, $4, $5, "
				  "$6, $7, $8, $9, $10) "
				  "ON CONFLICT DO NOTHING";
	PGconn *c = PQconnectdb(dsn);
	PGresult *res;
	uint64_t t0;
	char *bufs = NULL;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pg-pipeline: connect: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	res = PQprepare(c, "ins", sql, 10, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "pg-pipeline: prepare: %s", PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(c);
		return -1;
	}
	PQclear(res);
	/* text parameters are NUL-terminated strings (libpq ignores lengths for text): one
	 * row's copies, reused (PQsendQueryPrepared copies them into its output buffer) */
	bufs = malloc(HP_REC_MAX);
	if (bufs == NULL || PQsetnonblocking(c, 1) != 0 || !PQenterPipelineMode(c)) {
		fprintf(stderr, "pg-pipeline: cannot enter pipeline mode: %s", PQerrorMessage(c));
		free(bufs);
		PQfinish(c);
		return -1;
	}
	*stored = 0;
	t0 = mono_ns();
	for (unsigned int off = 0; off < n; off += batch) {
		unsigned int m = n - off < batch ? n - off : batch, ok = 0;
		bool synced = false;

		for (unsigned int i = 0; i < m; i++) {
			const struct hp_rec *r = recs[off + i];
			char *ts = bufs, *id = bufs + 64, *wk = bufs + 112, *lat = bufs + 128;
			char *ep = bufs + 160, *wid = ep + r->endpoint_len + 1;
			char *js = wid + r->webhook_id_len + 1;
			const char *v[10];

			pg_ts(r, ts, 48);
			hp_rec_id(r, id, 48);
			snprintf(wk, 16, "%u", r->worker);
			snprintf(lat, 32, "%" PRIu64, r->latency_ns);
			memcpy(ep, hp_rec_endpoint(r), r->endpoint_len);
			ep[r->endpoint_len] = '\0';
			memcpy(wid, hp_rec_webhook_id(r), r->webhook_id_len);
			wid[r->webhook_id_len] = '\0';
			memcpy(js, hp_rec_json(r), r->json_len);
			js[r->json_len] = '\0';
			v[0] = instance;
			v[1] = id;
			v[2] = ts;
			v[3] = wk;
			v[4] = r->endpoint_len != 0 ? ep : NULL;
			v[5] = r->webhook_id_len != 0 ? wid : NULL;
			v[6] = hp_ev_verdict_name(r->verdict);
			v[7] = hp_ev_reason_name(r->reason);
			v[8] = lat;
			v[9] = js;
			if (!PQsendQueryPrepared(c, "ins", 10, v, NULL, NULL, 0)) {
				fprintf(stderr, "pg-pipeline: send: %s", PQerrorMessage(c));
				goto fail;
			}
			if ((i & 63) == 63 && pq_flush(c) < 0)
				goto fail;
		}
		if (!PQpipelineSync(c) || pq_flush(c) < 0) {
			fprintf(stderr, "pg-pipeline: sync: %s", PQerrorMessage(c));
			goto fail;
		}
		while (!synced) {
			while (PQisBusy(c))
				if (pq_wait(c, false) != 0) {
					fprintf(stderr, "pg-pipeline: no answer\n");
					goto fail;
				}
			res = PQgetResult(c);
			if (res == NULL)
				continue;
			switch (PQresultStatus(res)) {
			case PGRES_COMMAND_OK:
				*stored += strtoull(PQcmdTuples(res), NULL, 10);
				ok++;
				break;
			case PGRES_PIPELINE_SYNC:
				synced = true;
				break;
			default:
				fprintf(stderr, "pg-pipeline: %s", PQresultErrorMessage(res));
				PQclear(res);
				goto fail;
			}
			PQclear(res);
		}
		if (ok != m) {
			fprintf(stderr, "pg-pipeline: %u results for %u rows\n", ok, m);
			goto fail;
		}
	}
	*secs = (double)(mono_ns() - t0) / 1e9;
	free(bufs);
	PQfinish(c);
	return 0;
fail:
	free(bufs);
	PQfinish(c);
	return -1;
}

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static uint64_t
json_u64(const char *js, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = js != NULL ? strstr(js, pat) : NULL;
	return p != NULL ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: bench_sinks (--redis URL | --postgres DSN) [--events N] [--batch B]\n"
		"                   [--instance NAME] [--queue Q] [--pg-pipeline]\n"
		"       bench_sinks --dump-copy FILE [--events N] [--instance NAME]\n"
		"       bench_sinks --print-json\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"redis", required_argument, NULL, 'r'},
		{"postgres", required_argument, NULL, 'p'},
		{"events", required_argument, NULL, 'n'},
		{"batch", required_argument, NULL, 'b'},
		{"instance", required_argument, NULL, 'i'},
		{"queue", required_argument, NULL, 'q'},
		{"dump-copy", required_argument, NULL, 'd'},
		{"pg-pipeline", no_argument, NULL, 'P'},
		{"print-json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	const char *redis = NULL, *pg = NULL, *instance = "bench", *dump = NULL;
	unsigned int n = 200000, batch = 0, queue = 0;
	bool pipeline = false, print_json = false;
	static struct hp_config cfg;
	struct hp_rec **recs;
	struct timespec now;
	uint64_t boot_ms, wall0;
	char err[512], spool[] = "/tmp/bench_sinks.XXXXXX", dir[64];
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'r':
			redis = optarg;
			break;
		case 'p':
			pg = optarg;
			break;
		case 'n':
			n = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'b':
			batch = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'i':
			instance = optarg;
			break;
		case 'q':
			queue = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			dump = optarg;
			break;
		case 'P':
			pipeline = true;
			break;
		case 'j':
			print_json = true;
			break;
		default:
			usage();
		}
	}
	if (print_json)
		n = 1;
	if (n == 0 || (!print_json && dump == NULL && (redis == NULL) == (pg == NULL)) ||
	    (pipeline && pg == NULL) || (queue != 0 && (queue & (queue - 1)) != 0))
		usage();
	hp_config_defaults(&cfg);
	if (batch == 0)
		batch = redis != NULL ? cfg.sinks.redis_batch : cfg.sinks.pg_batch;

	/* the records, before timing (what the control thread has in hand per burst) */
	clock_gettime(CLOCK_REALTIME, &now);
	boot_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
	wall0 = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
	recs = malloc((size_t)n * sizeof(*recs));
	if (recs == NULL)
		return 1;
	uint64_t json_bytes = 0;

	for (unsigned int i = 0; i < n; i++) {
		recs[i] = make_rec(boot_ms, i + 1, wall0 + (uint64_t)i * 7919, 1);
		if (recs[i] == NULL) {
			fprintf(stderr, "out of memory\n");
			return 1;
		}
		json_bytes += recs[i]->json_len;
	}
	if (print_json) {
		printf("%.*s\n", (int)recs[0]->json_len, hp_rec_json(recs[0]));
		return 0;
	}
	if (dump != NULL) {
		FILE *f = fopen(dump, "w");

		if (f == NULL) {
			fprintf(stderr, "%s: %s\n", dump, strerror(errno));
			return 1;
		}
		for (unsigned int i = 0; i < n; i++)
			dump_copy_row(f, instance, recs[i]);
		if (fclose(f) != 0)
			return 1;
		if (redis == NULL && pg == NULL) {
			printf("RESULT mode=dump events=%u json_avg=%.0f file=%s\n", n,
			       (double)json_bytes / n, dump);
			return 0;
		}
	}
	if (pipeline) {
		double secs = 0;
		uint64_t stored = 0;

		if (pg_pipeline(pg, instance, recs, n, batch, &secs, &stored) != 0)
			return 1;
		printf("RESULT mode=pg-pipeline events=%u batch=%u json_avg=%.0f seconds=%.3f "
		       "events_per_s=%.0f stored=%" PRIu64 "\n",
		       n, batch, (double)json_bytes / n, secs, n / secs, stored);
		return 0;
	}

	/* one sink, as hp_ctl_events_open() creates it, defaults of the config schema */
	const struct hp_sink_ops *ops;
	void *ctx;

	if (redis != NULL) {
		snprintf(cfg.sinks.redis_url, sizeof(cfg.sinks.redis_url), "%s", redis);
		cfg.sinks.redis_batch = batch;
		ops = &hp_sink_redis_ops;
		ctx = hp_sink_redis_ctx(&cfg, instance, err, sizeof(err));
	} else {
		snprintf(cfg.sinks.pg_dsn, sizeof(cfg.sinks.pg_dsn), "%s", pg);
		cfg.sinks.pg_batch = batch;
		ops = &hp_sink_pg_ops;
		ctx = hp_sink_pg_ctx(&cfg, instance, err, sizeof(err));
	}
	if (ctx == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (mkdtemp(spool) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/%s", spool, ops->name);
	struct hp_sink_params sp = {
		.batch_max = batch,
		.timeout_ms = redis != NULL ? cfg.sinks.redis_timeout_ms : cfg.sinks.pg_timeout_ms,
		.queue = queue != 0 ? queue : cfg.sinks.queue_events,
		.breaker_failures = cfg.sinks.breaker_failures,
		.cooldown_ms = cfg.sinks.breaker_cooldown_ms,
		.cooldown_max_ms = cfg.sinks.breaker_cooldown_max_ms,
		.spool_dir = dir,
		.spool_max_bytes = (uint64_t)cfg.sinks.spool_max_mb << 20,
		.fsync_mode = (enum hp_spool_fsync)cfg.sinks.spool_fsync,
		.fsync_ms = cfg.sinks.spool_fsync_interval_ms,
	};
	struct hp_sink *s = hp_sink_create(ops, ctx, &sp, err, sizeof(err));

	if (s == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* connect before the clock starts: the first batch would otherwise pay for it */
	{
		struct hp_rec *warm = make_rec(boot_ms - 1, 1, wall0, 1);

		/* an id below every measured one would be refused by Redis once the stream
		 * holds newer ids; this one is sent alone first, so it is the oldest */
		hp_sink_push(s, &warm, 1);
		while (!hp_sink_idle(s))
			usleep(1000);
	}
	uint64_t t0 = mono_ns(), t_push;

	for (unsigned int i = 0; i < n; i += BURST)
		hp_sink_push(s, recs + i, n - i < BURST ? n - i : BURST);
	t_push = mono_ns();
	while (!hp_sink_idle(s)) {
		hp_sink_tick(s); /* the control thread's tick (spool flush policy) */
		usleep(200);
	}
	uint64_t t1 = mono_ns();
	json_t *fj = hp_sink_destroy(s, 10000);
	char *final = fj != NULL ? json_dumps(fj, JSON_COMPACT) : NULL;

	json_decref(fj);
	double secs = (double)(t1 - t0) / 1e9;
	uint64_t sent = json_u64(final, "sent_total") - 1,
		 fails = json_u64(final, "failures_total");
	uint64_t spooled = json_u64(final, "appended_total"),
		 dups = json_u64(final, "duplicates_total");

	printf("RESULT mode=%s events=%u batch=%u json_avg=%.0f seconds=%.3f events_per_s=%.0f "
	       "push_s=%.3f sent=%" PRIu64 " spooled=%" PRIu64 " batches=%" PRIu64
	       " failures=%" PRIu64 " dups=%" PRIu64 "\n",
	       ops->name, n, batch, (double)json_bytes / n, secs, n / secs,
	       (double)(t_push - t0) / 1e9, sent, spooled, json_u64(final, "batches_total") - 1,
	       fails, dups);
	printf("STATUS %s\n", final != NULL ? final : "{}");
	free(final);
	free(recs); /* the records themselves were freed by the sink */
	nftw(spool, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return sent == n && fails == 0 ? 0 : 1;
}
