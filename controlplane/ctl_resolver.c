/* SPDX-License-Identifier: BSD-3-Clause
 * The shared replay check's resolver (replay_cache.global): one thread on the control core
 * reads every worker's query ring, asks Redis `SET hookpath:replay:<key> 1 NX EX <ttl>` for a
 * burst of them in one pipelined round trip, and answers on the worker's answer ring: "OK" is
 * first (this appliance is the first to see it), nil is duplicate (another one set it first),
 * anything else, a timeout or no connection is unavailable (the worker applies
 * replay_cache.global.on_unavailable). A lost connection is retried with a doubling backoff
 * (100 ms to 2 s); meanwhile every query is answered unavailable at once.
 *
 * The thread is the only consumer of the query rings and the only producer of the answer
 * rings, so both stay single-producer / single-consumer.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <rte_ring_elem.h>

#include "ctl.h"
#include "dp.h"

#define RES_BURST 256

static struct {
	pthread_t th;
	bool started, configured;
	volatile bool stop;
	char host[256];
	int port, db;
	uint32_t timeout_ms;
	redisContext *c;
	uint64_t next_try_ns;
	uint32_t backoff_ms;
	/* counters, read by the control thread (64-bit loads) */
	uint64_t queries, first, dup, unavailable, connects, failures;
	char last_error[160];
} res;

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
res_fail(const char *what)
{
	snprintf(res.last_error, sizeof(res.last_error), "%s", what);
	res.failures++;
	if (res.c != NULL)
		redisFree(res.c);
	res.c = NULL;
	res.next_try_ns = mono_ns() + (uint64_t)res.backoff_ms * 1000000ULL;
	res.backoff_ms = res.backoff_ms * 2 > 2000 ? 2000 : res.backoff_ms * 2;
}

static bool
res_connect(void)
{
	struct timeval tv = {.tv_sec = res.timeout_ms / 1000,
			     .tv_usec = (suseconds_t)(res.timeout_ms % 1000) * 1000};

	if (res.c != NULL)
		return true;
	if (mono_ns() < res.next_try_ns)
		return false;
	res.c = redisConnectWithTimeout(res.host, res.port, tv);
	if (res.c == NULL || res.c->err) {
		res_fail(res.c != NULL ? res.c->errstr : "out of memory");
		return false;
	}
	redisSetTimeout(res.c, tv);
	redisEnableKeepAlive(res.c);
	if (res.db != 0) {
		redisReply *r = redisCommand(res.c, "SELECT %d", res.db);
		bool ok = r != NULL && r->type != REDIS_REPLY_ERROR;

		if (r != NULL)
			freeReplyObject(r);
		if (!ok) {
			res_fail("SELECT failed");
			return false;
		}
	}
	res.connects++;
	res.backoff_ms = 100;
	return true;
}

/* Answer n queries of worker w. */
static void
res_batch(struct hp_worker *w, const struct hp_gquery *q, unsigned int n)
{
	struct hp_ganswer a[RES_BURST];
	unsigned int got = 0;

	for (unsigned int i = 0; i < n; i++)
		a[i] = (struct hp_ganswer){.slot = q[i].slot, .gen = q[i].gen,
					   .result = HP_GA_UNAVAILABLE};
	res.queries += n;
	if (res_connect()) {
		static const char hex[] = "0123456789abcdef";
		bool ok = true;

		for (unsigned int i = 0; i < n && ok; i++) {
			char key[16 + 2 * 16 + 1] = "hookpath:replay:", ttl[16];
			const char *argv[6] = {"SET", key, "1", "NX", "EX", ttl};
			size_t argl[6] = {3, 0, 1, 2, 2, 0};

			for (int k = 0; k < 16; k++) {
				key[16 + 2 * k] = hex[q[i].key[k] >> 4];
				key[17 + 2 * k] = hex[q[i].key[k] & 15];
			}
			key[48] = '\0';
			argl[1] = 48;
			argl[5] = (size_t)snprintf(ttl, sizeof(ttl), "%u",
						   q[i].ttl_s ? q[i].ttl_s : 1);
			ok = redisAppendCommandArgv(res.c, 6, argv, argl) == REDIS_OK;
		}
		for (; ok && got < n; got++) {
			redisReply *r = NULL;

			if (redisGetReply(res.c, (void **)&r) != REDIS_OK || r == NULL) {
				ok = false;
				break;
			}
			if (r->type == REDIS_REPLY_STATUS)
				a[got].result = HP_GA_FIRST;
			else if (r->type == REDIS_REPLY_NIL)
				a[got].result = HP_GA_DUPLICATE;
			else
				snprintf(res.last_error, sizeof(res.last_error), "%s",
					 r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
			freeReplyObject(r);
		}
		if (!ok)
			res_fail(res.c->errstr[0] ? res.c->errstr : "connection lost");
	}
	for (unsigned int i = 0; i < n; i++) {
		if (a[i].result == HP_GA_FIRST)
			res.first++;
		else if (a[i].result == HP_GA_DUPLICATE)
			res.dup++;
		else
			res.unavailable++;
	}
	/* the ring holds twice max_pending: every query in flight has room for its answer */
	rte_ring_sp_enqueue_burst_elem(w->ga, a, sizeof(a[0]), n, NULL);
}

static void *
res_thread(void *arg)
{
	struct hp_gquery q[RES_BURST];

	(void)arg;
	while (!res.stop) {
		unsigned int got = 0;

		for (unsigned int i = 0; i < hp_dp.n_workers; i++) {
			struct hp_worker *w = hp_dp.workers[i];
			unsigned int n;

			if (w == NULL || w->gq == NULL)
				continue;
			n = rte_ring_sc_dequeue_burst_elem(w->gq, q, sizeof(q[0]), RES_BURST, NULL);
			if (n != 0)
				res_batch(w, q, n);
			got += n;
		}
		if (got == 0) {
			struct timespec ts = {.tv_sec = 0, .tv_nsec = 20000};

			nanosleep(&ts, NULL);
		}
	}
	if (res.c != NULL)
		redisFree(res.c);
	res.c = NULL;
	return NULL;
}

int
hp_ctl_resolver_start(const struct hp_config *cfg, char *err, size_t errlen)
{
	const char *u = cfg->replay_cache.global_url;
	const char *p = u + 8, *colon, *slash;

	if (u[0] == '\0')
		return 0;
	colon = strrchr(p, ':');
	snprintf(res.host, sizeof(res.host), "%.*s", (int)(colon - p), p);
	if (res.host[0] == '[') {
		memmove(res.host, res.host + 1, strlen(res.host));
		res.host[strcspn(res.host, "]")] = '\0';
	}
	res.port = atoi(colon + 1);
	slash = strchr(colon, '/');
	res.db = slash != NULL ? atoi(slash + 1) : 0;
	/* twice the wait of a request: the worker's own deadline decides first */
	res.timeout_ms = 2 * cfg->replay_cache.global_timeout_ms;
	res.backoff_ms = 100;
	res.stop = false;
	if (pthread_create(&res.th, NULL, res_thread, NULL) != 0) {
		snprintf(err, errlen, "replay_cache.global: cannot start the resolver thread");
		return -1;
	}
	pthread_setname_np(res.th, "hp-resolver");
	res.started = true;
	res.configured = true;
	return 0;
}

void
hp_ctl_resolver_stop(void)
{
	if (!res.started)
		return;
	res.stop = true;
	pthread_join(res.th, NULL);
	res.started = false;
}

void
hp_ctl_resolver_json(FILE *f)
{
	fprintf(f, "{\"enabled\":%s,\"connected\":%s,\"queries_total\":%" PRIu64
		",\"first_total\":%" PRIu64 ",\"duplicate_total\":%" PRIu64
		",\"unavailable_total\":%" PRIu64 ",\"connects_total\":%" PRIu64
		",\"failures_total\":%" PRIu64 ",\"last_error\":\"",
		res.configured ? "true" : "false", res.started && res.c != NULL ? "true" : "false", res.queries,
		res.first, res.dup, res.unavailable, res.connects, res.failures);
	for (const char *c = res.last_error; *c; c++)
		if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
			fputc(' ', f);
		else
			fputc(*c, f);
	fputs("\"}", f);
}
