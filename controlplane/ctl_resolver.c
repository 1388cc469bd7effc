/* SPDX-License-Identifier: BSD-3-Clause
 * The shared replay check's resolver (replay_cache.global): one thread on the control core
 * reads every worker's query ring, asks Redis `SET hookpath:replay:<key> 1 NX EX <ttl>` for a
 * burst of them in one pipelined round trip, and answers on the worker's answer ring: "OK" is
 * first (this appliance is the first to see it), nil is duplicate (another one set it first),
 * anything else, a timeout or no connection is unavailable (the worker applies
 * replay_cache.global.on_unavailable). A lost connection is retried with a doubling backoff
 * (100 ms to 2 s); meanwhile every query is answered unavailable at once.
 *
 * Tokens (endpoints[].token): the token's SHA-256 is looked up in Redis (L2,
 * `GET hookpath:token:<hex>`: the endpoint name, "" = known refused), then in Postgres (L3,
 * hookpath_tokens: not revoked, not expired); the answer is written back to L2 and into the
 * workers' lock-free L1 (hp_dp_token_l1()) with tokens.cache_ttl_s (refused: negative_ttl_s), so
 * a revocation in L3 (with the L2 key deleted) reaches every worker within cache_ttl_s. Expired
 * L1 entries are deleted once a second (RCU: freed after every worker's quiescent state).
 *
 * The thread is the only consumer of the query rings, the only producer of the answer rings
 * and the only writer of the L1 table, so all three stay single-writer.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_ring_elem.h>

#include "ctl.h"
#include "ctl_json.h"
#include "ctl_sink.h"
#include "dp.h"
#include "dp_log.h"
#include "dp_resolver_msg.h"
#include "dp_route.h"

#define RES_BURST 256

static struct {
	pthread_t th;
	bool started, configured;
	volatile bool stop;
	struct hp_redis_url url;
	uint32_t timeout_ms;
	redisContext *c;
	uint64_t next_try_ns;
	uint32_t backoff_ms;
	/* counters, read by the control thread (64-bit loads) */
	uint64_t queries, first, dup, unavailable, connects, failures;
	char last_error[256];
	/* tokens */
	bool tok_on;
	struct hp_redis_url tok_url; /* tok_redis_on: tokens.redis_url set */
	bool tok_redis_on;
	redisContext *tc;
	uint64_t tc_next_ns;
	char tok_dsn[512];
	PGconn *pg;
	uint64_t pg_next_ns;
	uint32_t tok_timeout_ms, cache_ttl_s, negative_ttl_s;
	uint64_t tok_queries, tok_l2_hits, tok_l3_hits, tok_unknown, tok_unavailable, l1_full,
		l1_expired, tok_failures;
	uint64_t l1_warmed_l2, l1_warmed_l3; /* put into L1 at start (tok_warm) */
	uint64_t last_sweep_ns;
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
	char err[160];

	if (res.c != NULL)
		return true;
	if (mono_ns() < res.next_try_ns)
		return false;
	res.c = hp_redis_open(&res.url, res.timeout_ms, err, sizeof(err));
	if (res.c == NULL) {
		res_fail(err);
		return false;
	}
	res.connects++;
	res.backoff_ms = 100;
	return true;
}

/* Answer n queries of a worker on its ring ga. */
static void
res_batch(struct rte_ring *ga, const struct hp_gquery *q, unsigned int n)
{
	struct hp_ganswer a[RES_BURST];
	unsigned int got = 0;

	for (unsigned int i = 0; i < n; i++)
		a[i] = (struct hp_ganswer){
			.slot = q[i].slot, .gen = q[i].gen, .result = HP_GA_UNAVAILABLE};
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
					 r->type == REDIS_REPLY_ERROR ? r->str
								      : "unexpected reply");
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
	rte_ring_sp_enqueue_burst_elem(ga, a, sizeof(a[0]), n, NULL);
}

/* ---- tokens ---- */

static bool
tok_redis(void)
{
	char err[160];

	if (!res.tok_redis_on)
		return false;
	if (res.tc != NULL)
		return true;
	if (mono_ns() < res.tc_next_ns)
		return false;
	res.tc = hp_redis_open(&res.tok_url, res.tok_timeout_ms, err, sizeof(err));
	if (res.tc == NULL) {
		snprintf(res.last_error, sizeof(res.last_error), "tokens.redis_url: %s", err);
		res.tc_next_ns = mono_ns() + 500000000ULL;
		res.tok_failures++;
		return false;
	}
	return true;
}

static bool
tok_pg(void)
{
	char opt[64], to[16];
	const char *keys[] = {"dbname", "connect_timeout", "options", "application_name", NULL};
	const char *vals[] = {res.tok_dsn, to, opt, "hookpath-tokens", NULL};

	if (res.tok_dsn[0] == '\0')
		return false;
	if (res.pg != NULL && PQstatus(res.pg) == CONNECTION_OK)
		return true;
	if (res.pg != NULL) {
		PQfinish(res.pg);
		res.pg = NULL;
	}
	if (mono_ns() < res.pg_next_ns)
		return false;
	snprintf(to, sizeof(to), "%u", (res.tok_timeout_ms + 999) / 1000);
	snprintf(opt, sizeof(opt), "-c statement_timeout=%u", res.tok_timeout_ms);
	res.pg = PQconnectdbParams(keys, vals, 1);
	if (res.pg == NULL || PQstatus(res.pg) != CONNECTION_OK) {
		snprintf(res.last_error, sizeof(res.last_error), "tokens.postgres_dsn: %s",
			 res.pg != NULL ? PQerrorMessage(res.pg) : "out of memory");
		res.last_error[strcspn(res.last_error, "\n")] = '\0';
		if (res.pg != NULL)
			PQfinish(res.pg);
		res.pg = NULL;
		res.pg_next_ns = mono_ns() + 500000000ULL;
		res.tok_failures++;
		return false;
	}
	return true;
}

static void
hex32(const uint8_t *k, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[k[i] >> 4];
		out[2 * i + 1] = hex[k[i] & 15];
	}
	out[64] = '\0';
}

/* Where a burst's tokens stand: known[i] 1 known (names[i] filled), 0 unknown or refused, -1
 * cannot tell. Redis L2 is asked for the whole burst in one pipelined round trip; what it
 * does not hold (or all, when it is down) is asked of Postgres L3, one token at a time, and
 * the L3 answers go back to L2 in one more pipelined round trip. */
static void
tok_lookup_burst(const struct hp_gquery *q, unsigned int n, int *known,
		 char (*names)[HP_CFG_NAME_LEN])
{
	char rkey[RES_BURST][16 + 65];
	int l3[RES_BURST];
	unsigned int n_set = 0;

	for (unsigned int i = 0; i < n; i++) {
		char hex[65];

		hex32(q[i].key, hex);
		snprintf(rkey[i], sizeof(rkey[i]), "hookpath:token:%s", hex);
		known[i] = -2; /* not answered yet */
		names[i][0] = '\0';
	}
	if (tok_redis()) {
		bool ok = true;

		for (unsigned int i = 0; i < n && ok; i++)
			ok = redisAppendCommand(res.tc, "GET %s", rkey[i]) == REDIS_OK;
		for (unsigned int i = 0; i < n && ok; i++) {
			redisReply *r = NULL;

			if (redisGetReply(res.tc, (void **)&r) != REDIS_OK || r == NULL) {
				ok = false;
				break;
			}
			if (r->type == REDIS_REPLY_STRING) {
				snprintf(names[i], HP_CFG_NAME_LEN, "%.*s", (int)r->len, r->str);
				known[i] = names[i][0] != '\0';
				res.tok_l2_hits++;
			} else if (r->type != REDIS_REPLY_NIL) {
				known[i] = -1; /* an error: L3 decides, or it is unavailable */
			}
			freeReplyObject(r);
		}
		if (!ok) { /* what was not answered is asked of L3 */
			redisFree(res.tc);
			res.tc = NULL;
			res.tok_failures++;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		l3[i] = -1;
		if (known[i] >= 0)
			continue;                    /* answered by L2 */
		for (unsigned int j = 0; j < i; j++) /* the same token earlier in the burst */
			if (l3[j] >= 0 && memcmp(q[j].key, q[i].key, sizeof(q[i].key)) == 0) {
				known[i] = l3[j];
				snprintf(names[i], HP_CFG_NAME_LEN, "%s", names[j]);
				break;
			}
		if (known[i] >= 0)
			continue;
		if (tok_pg()) {
			char hex[65];
			const char *params[1] = {hex};
			PGresult *pr;

			hex32(q[i].key, hex);
			pr = PQexecParams(
				res.pg,
				"SELECT endpoint FROM hookpath_tokens WHERE token_sha256 = "
				"decode($1, 'hex') AND revoked_at IS NULL AND (expires_at IS "
				"NULL OR expires_at > now())",
				1, NULL, params, NULL, NULL, 0);
			if (PQresultStatus(pr) == PGRES_TUPLES_OK) {
				l3[i] = PQntuples(pr) > 0;
				if (l3[i])
					snprintf(names[i], HP_CFG_NAME_LEN, "%s",
						 PQgetvalue(pr, 0, 0));
				res.tok_l3_hits += (uint64_t)l3[i];
			} else {
				snprintf(res.last_error, sizeof(res.last_error), "tokens: %s",
					 PQresultErrorMessage(pr));
				res.last_error[strcspn(res.last_error, "\n")] = '\0';
				res.tok_failures++;
				PQfinish(res.pg);
				res.pg = NULL;
			}
			PQclear(pr);
		} else if (known[i] == -2 && res.tc != NULL) {
			l3[i] = 0; /* no L3: what L2 does not know is unknown */
		}
		known[i] = l3[i];
		/* back into L2 */
		if (l3[i] >= 0 && res.tc != NULL &&
		    redisAppendCommand(res.tc, "SET %s %s EX %u", rkey[i], l3[i] ? names[i] : "",
				       l3[i] ? res.cache_ttl_s : res.negative_ttl_s) == REDIS_OK)
			n_set++;
	}
	for (unsigned int i = 0; i < n_set; i++) {
		redisReply *r = NULL;

		if (redisGetReply(res.tc, (void **)&r) != REDIS_OK || r == NULL) {
			redisFree(res.tc);
			res.tc = NULL;
			res.tok_failures++;
			break;
		}
		freeReplyObject(r);
	}
}

static void
tok_batch(struct rte_ring *ga, const struct hp_gquery *q, unsigned int n)
{
	struct hp_ganswer a[RES_BURST];
	char names[RES_BURST][HP_CFG_NAME_LEN];
	int known[RES_BURST];
	uint64_t now_ms = hp_dp_wall_ns(rte_rdtsc()) / 1000000 - hp_dp_token_base_ms();

	tok_lookup_burst(q, n, known, names);
	for (unsigned int i = 0; i < n; i++) {
		uint32_t tag = known[i] > 0 ? hp_token_tag(names[i]) : 0;

		a[i] = (struct hp_ganswer){.slot = q[i].slot, .gen = q[i].gen};
		if (known[i] < 0) {
			a[i].result = HP_GA_UNAVAILABLE;
			res.tok_unavailable++;
			continue;
		}
		if (known[i] == 0)
			res.tok_unknown++;
		a[i].result =
			known[i] > 0 && tag == q[i].tag ? HP_GA_TOKEN_VALID : HP_GA_TOKEN_INVALID;
		if (hp_dp_token_l1() != NULL &&
		    rte_hash_add_key_data(
			    hp_dp_token_l1(), q[i].key,
			    (void *)(uintptr_t)hp_token_l1_pack(
				    known[i] > 0, tag,
				    now_ms + 1000ULL * (known[i] > 0 ? res.cache_ttl_s
								     : res.negative_ttl_s))) != 0)
			res.l1_full++;
	}
	res.tok_queries += n;
	rte_ring_sp_enqueue_burst_elem(ga, a, sizeof(a[0]), n, NULL);
}

/* Delete expired L1 entries (the resolver is the table's only writer). */
static void
tok_sweep(void)
{
	uint64_t now_ms = hp_dp_wall_ns(rte_rdtsc()) / 1000000 - hp_dp_token_base_ms();
	const void *key;
	void *data;
	uint32_t next = 0;
	uint8_t dead[64][32];
	unsigned int nd = 0;

	while (rte_hash_iterate(hp_dp_token_l1(), &key, &data, &next) >= 0) {
		if (((uint64_t)(uintptr_t)data & ((1ULL << 40) - 1)) > now_ms)
			continue;
		memcpy(dead[nd++], key, 32);
		if (nd == 64)
			break;
	}
	for (unsigned int i = 0; i < nd; i++)
		if (rte_hash_del_key(hp_dp_token_l1(), dead[i]) >= 0)
			res.l1_expired++;
}

static int
unhex32(const char *s, size_t n, uint8_t *out)
{
	if (n != 64)
		return -1;
	for (size_t i = 0; i < 32; i++) {
		int v = 0;

		for (int k = 0; k < 2; k++) {
			char c = s[2 * i + k];
			int d = c >= '0' && c <= '9'   ? c - '0'
				: c >= 'a' && c <= 'f' ? c - 'a' + 10
						       : -1;

			if (d < 0)
				return -1;
			v = v * 16 + d;
		}
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* One token into L1 at start: known (its endpoint's tag) or refused, for ttl_ms. */
static bool
warm_put(const uint8_t *key, const char *name, size_t nlen, uint64_t ttl_ms, uint64_t now_ms)
{
	char ep[HP_CFG_NAME_LEN];
	bool known = nlen != 0;

	snprintf(ep, sizeof(ep), "%.*s", (int)nlen, name);
	if (rte_hash_add_key_data(hp_dp_token_l1(), key,
				  (void *)(uintptr_t)hp_token_l1_pack(known,
								      known ? hp_token_tag(ep) : 0,
								      now_ms + ttl_ms)) != 0) {
		res.l1_full++;
		return false;
	}
	return true;
}

/* Redis L2's keys are the tokens some appliance sharing it used within cache_ttl_s (each
 * with what is left of its TTL): SCAN them, GET and PTTL each batch in one pipelined round
 * trip. Returns false when it stopped on the budget or an error. */
static bool
warm_l2(uint64_t max, uint64_t deadline_ns, uint64_t now_ms)
{
	char cursor[32] = "0";

	do {
		redisReply *r = redisCommand(res.tc, "SCAN %s MATCH hookpath:token:* COUNT 1000",
					     cursor),
			   *keys;
		size_t n;

		if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING) {
			if (r != NULL)
				freeReplyObject(r);
			return false;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		keys = r->element[1];
		n = keys->type == REDIS_REPLY_ARRAY ? keys->elements : 0;
		for (size_t i = 0; i < n; i++) {
			redisAppendCommand(res.tc, "GET %b", keys->element[i]->str,
					   keys->element[i]->len);
			redisAppendCommand(res.tc, "PTTL %b", keys->element[i]->str,
					   keys->element[i]->len);
		}
		for (size_t i = 0; i < n; i++) {
			redisReply *v = NULL, *t = NULL;
			uint8_t key[32];
			const redisReply *k = keys->element[i];

			if (redisGetReply(res.tc, (void **)&v) != REDIS_OK ||
			    redisGetReply(res.tc, (void **)&t) != REDIS_OK) {
				freeReplyObject(v);
				freeReplyObject(r);
				return false;
			}
			/* PTTL: ms left, -1 none (a key set by hand: the cache TTL), -2 gone */
			if (v->type == REDIS_REPLY_STRING && t->type == REDIS_REPLY_INTEGER &&
			    (t->integer > 0 || t->integer == -1) && res.l1_warmed_l2 < max &&
			    k->len > 15 && unhex32(k->str + 15, k->len - 15, key) == 0) {
				uint64_t cap =
					1000ULL * (v->len ? res.cache_ttl_s : res.negative_ttl_s);
				uint64_t ttl =
					t->integer > 0 ? RTE_MIN((uint64_t)t->integer, cap) : cap;

				if (warm_put(key, v->str, v->len, ttl, now_ms))
					res.l1_warmed_l2++;
			}
			freeReplyObject(v);
			freeReplyObject(t);
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0 && res.l1_warmed_l2 < max && mono_ns() < deadline_ns);
	return strcmp(cursor, "0") == 0 || res.l1_warmed_l2 >= max;
}

/* Postgres L3: the valid tokens, newest first, not already warmed from L2. */
static void
warm_l3(uint64_t max, uint64_t now_ms)
{
	char lim[24];
	const char *params[1] = {lim};
	PGresult *pr;

	snprintf(lim, sizeof(lim), "%" PRIu64, max);
	pr = PQexecParams(res.pg,
			  "SELECT encode(token_sha256, 'hex'), endpoint FROM hookpath_tokens "
			  "WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) "
			  "ORDER BY created_at DESC LIMIT $1",
			  1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(pr) == PGRES_TUPLES_OK) {
		for (int i = 0; i < PQntuples(pr); i++) {
			uint8_t key[32];
			const char *ep = PQgetvalue(pr, i, 1);

			if (unhex32(PQgetvalue(pr, i, 0), (size_t)PQgetlength(pr, i, 0), key) !=
				    0 ||
			    rte_hash_lookup(hp_dp_token_l1(), key) >= 0)
				continue;
			if (warm_put(key, ep, strlen(ep), 1000ULL * res.cache_ttl_s, now_ms))
				res.l1_warmed_l3++;
		}
	} else {
		snprintf(res.last_error, sizeof(res.last_error), "tokens: warming: %s",
			 PQresultErrorMessage(pr));
		res.last_error[strcspn(res.last_error, "\n")] = '\0';
		res.tok_failures++;
	}
	PQclear(pr);
}

/* At start, before the workers run (no cold L1 for the tokens in use): tokens.warm_max
 * tokens within tokens.warm_ms, Redis first (the recently used ones), then Postgres. The
 * control thread calls it; the resolver thread does not run yet, so L1 keeps one writer. */
static void
tok_warm(const struct hp_tokens_config *tc)
{
	uint64_t t0 = mono_ns(), deadline = t0 + 1000000ULL * tc->warm_ms;
	uint64_t now_ms = hp_dp_wall_ns(rte_rdtsc()) / 1000000 - hp_dp_token_base_ms();
	bool l2_done = true;

	if (tc->warm_max == 0 || hp_dp_token_l1() == NULL)
		return;
	if (tok_redis())
		l2_done = warm_l2(tc->warm_max, deadline, now_ms);
	if (res.l1_warmed_l2 < tc->warm_max && mono_ns() < deadline && tok_pg())
		warm_l3(tc->warm_max - res.l1_warmed_l2, now_ms);
	HP_LOG(NOTICE,
	       "tokens: L1 warmed with %" PRIu64 " tokens (%" PRIu64 " from Redis%s, %" PRIu64
	       " from Postgres) in %.1f ms\n",
	       res.l1_warmed_l2 + res.l1_warmed_l3, res.l1_warmed_l2,
	       l2_done ? "" : ", stopped by tokens.warm_max/warm_ms", res.l1_warmed_l3,
	       (double)(mono_ns() - t0) / 1e6);
}

static void *
res_thread(void *arg)
{
	struct hp_gquery q[RES_BURST];

	(void)arg;
	/* connect now, not on the first query: a request waits for Redis, not for a handshake */
	if (res.configured)
		res_connect();
	if (res.tok_on) {
		tok_redis();
		tok_pg();
	}
	while (!res.stop) {
		unsigned int got = 0;

		for (unsigned int i = 0; i < hp_dp_n_workers(); i++) {
			struct rte_ring *gq, *ga;
			unsigned int n;

			if (!hp_dp_resolver_rings(i, &gq, &ga))
				continue;
			n = rte_ring_sc_dequeue_burst_elem(gq, q, sizeof(q[0]), RES_BURST, NULL);
			got += n;
			/* runs of one kind, in order */
			for (unsigned int k = 0; k < n;) {
				unsigned int e = k + 1;

				while (e < n && q[e].kind == q[k].kind)
					e++;
				if (q[k].kind == HP_GQ_TOKEN)
					tok_batch(ga, q + k, e - k);
				else
					res_batch(ga, q + k, e - k);
				k = e;
			}
		}
		if (hp_dp_token_l1() != NULL && mono_ns() - res.last_sweep_ns > 1000000000ULL) {
			res.last_sweep_ns = mono_ns();
			tok_sweep();
		}
		if (got == 0) {
			struct timespec ts = {.tv_sec = 0, .tv_nsec = 20000};

			if (res.configured && res.c == NULL) /* reconnect while idle (backoff) */
				res_connect();

			nanosleep(&ts, NULL);
		}
	}
	if (res.c != NULL)
		redisFree(res.c);
	res.c = NULL;
	if (res.tc != NULL)
		redisFree(res.tc);
	res.tc = NULL;
	if (res.pg != NULL)
		PQfinish(res.pg);
	res.pg = NULL;
	return NULL;
}

int
hp_ctl_resolver_start(const struct hp_config *cfg, char *err, size_t errlen)
{
	const char *u = cfg->replay_cache.global_url;
	const char *why;

	if (cfg->tokens.redis_url[0] != '\0' || cfg->tokens.pg_dsn[0] != '\0') {
		res.tok_on = true;
		if (cfg->tokens.redis_url[0] != '\0') {
			if (hp_redis_url_parse(cfg->tokens.redis_url, &res.tok_url, &why) != 0) {
				snprintf(err, errlen, "tokens.redis_url: must be %s", why);
				return -1;
			}
			res.tok_redis_on = true;
		}
		snprintf(res.tok_dsn, sizeof(res.tok_dsn), "%s", cfg->tokens.pg_dsn);
		res.tok_timeout_ms = cfg->tokens.timeout_ms;
		res.cache_ttl_s = cfg->tokens.cache_ttl_s;
		res.negative_ttl_s = cfg->tokens.negative_ttl_s;
	}
	if (u[0] == '\0' && !res.tok_on)
		return 0;
	if (u[0] == '\0')
		goto start;
	if (hp_redis_url_parse(u, &res.url, &why) != 0) {
		snprintf(err, errlen, "replay_cache.global.url: must be %s", why);
		return -1;
	}
	/* twice the wait of a request: the worker's own deadline decides first */
	res.timeout_ms = 2 * cfg->replay_cache.global_timeout_ms;
	res.backoff_ms = 100;
start:
	res.stop = false;
	res.configured = u[0] != '\0'; /* before the thread reads it */
	if (res.tok_on)
		tok_warm(&cfg->tokens);
	if (pthread_create(&res.th, NULL, res_thread, NULL) != 0) {
		snprintf(err, errlen, "replay_cache.global: cannot start the resolver thread");
		return -1;
	}
	pthread_setname_np(res.th, "hp-resolver");
	res.started = true;
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

json_t *
hp_ctl_resolver_status(void)
{
	json_t *j = json_pack("{s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:I}", "enabled", res.configured,
			      "connected", res.started && res.c != NULL, "queries_total",
			      (json_int_t)res.queries, "first_total", (json_int_t)res.first,
			      "duplicate_total", (json_int_t)res.dup, "unavailable_total",
			      (json_int_t)res.unavailable, "connects_total",
			      (json_int_t)res.connects, "failures_total", (json_int_t)res.failures);

	if (j != NULL && res.tok_on)
		json_object_set_new(j, "tokens",
				    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
					      "queries_total", (json_int_t)res.tok_queries,
					      "l2_hits_total", (json_int_t)res.tok_l2_hits,
					      "l3_hits_total", (json_int_t)res.tok_l3_hits,
					      "unknown_total", (json_int_t)res.tok_unknown,
					      "unavailable_total", (json_int_t)res.tok_unavailable,
					      "l1_full_total", (json_int_t)res.l1_full,
					      "l1_expired_total", (json_int_t)res.l1_expired,
					      "failures_total", (json_int_t)res.tok_failures,
					      "l1_warmed_redis_total", (json_int_t)res.l1_warmed_l2,
					      "l1_warmed_postgres_total",
					      (json_int_t)res.l1_warmed_l3));
	if (j != NULL)
		json_object_set_new(j, "last_error", hp_json_text(res.last_error));
	return j;
}
