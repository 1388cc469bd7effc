/* SPDX-License-Identifier: BSD-3-Clause
 * Redis sink: each event is one Stream entry, XADD <stream> MAXLEN ~ N <boot_ms>-<seq> event
 * <json>, pipelined: the whole batch is written, then every reply read (one round trip).
 *
 * Exactly once: the entry id is the event id, and stream ids only grow, so re-adding an event
 * the stream already has fails with "equal or smaller than the target stream top item". That
 * reply counts as stored (a duplicate), which makes replaying a batch whose replies were lost
 * harmless. It also means one appliance writes one stream (the default key names the
 * instance). Any other error reply, or no reply within the timeout, fails the batch.
 *
 * One writer per stream, enforced: the sink holds <stream>:owner (its token: instance, pid,
 * start time, random) with a TTL of sinks.redis.owner_ttl_ms, claimed at start and at each
 * connect, refreshed before a batch and while idle once a third of the TTL went by (a Lua
 * script: claimed only when absent or already ours). Held by another live instance: the
 * start is refused, naming the stream and the holder; later (the holder came while this one
 * was cut off), the batch fails, the breaker opens and events wait in the spool. Released at
 * a clean stop; after a crash it expires with its TTL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <openssl/rand.h>

#include "ctl_sink.h"

struct redis_ctx {
	struct hp_redis_url url;
	char stream[160];
	char quarantine[176]; /* <stream>:quarantine: the events the ML flagged, again */
	char maxlen[24];
	uint32_t timeout_ms;
	redisContext *c;
	const char **argv;
	size_t *argvlen;
	char (*ids)[48];
	uint32_t batch_max;
	char owner_key[176]; /* <stream>:owner */
	char token[192];     /* this process's claim */
	char ttl[16];        /* owner TTL, ms (text) */
	uint64_t ttl_ns, claimed_ns;
};

/* Claim the stream, or refresh the claim: the key is set (with the TTL) when it is absent or
 * holds this token; else it holds the other writer's token, returned. */
static const char owner_script[] =
	"local v = redis.call('GET', KEYS[1]) "
	"if v == false or v == ARGV[1] then "
	"redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end "
	"return v";
static const char release_script[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then "
				     "return redis.call('DEL', KEYS[1]) end return 0";

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* 0: the stream is this process's (claimed or refreshed); 1: another live writer holds it
 * (err names it); -1: the check failed (err). */
static int
owner_claim(struct redis_ctx *r, redisContext *c, char *err, size_t errlen)
{
	const char *argv[] = {"EVAL", owner_script, "1", r->owner_key, r->token, r->ttl};
	redisReply *rep = redisCommandArgv(c, 6, argv, NULL);
	int rc = -1;

	if (rep == NULL) {
		snprintf(err, errlen, "owner check of %s: %s", r->stream,
			 c->errstr[0] ? c->errstr : "connection lost");
		return -1;
	}
	if (rep->type == REDIS_REPLY_INTEGER && rep->integer == 1) {
		r->claimed_ns = mono_ns();
		rc = 0;
	} else if (rep->type == REDIS_REPLY_STRING) {
		snprintf(err, errlen,
			 "sinks.redis.stream: %s is written by another live hookpath (%.*s); one "
			 "stream per instance: set control.instance or sinks.redis.stream",
			 r->stream, (int)(rep->len < 160 ? rep->len : 160), rep->str);
		rc = 1;
	} else {
		snprintf(err, errlen, "owner check of %s: %s (the Redis user needs EVAL)",
			 r->stream, rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
	}
	freeReplyObject(rep);
	return rc;
}

/* Before a batch and while idle: the claim refreshed once a third of its TTL went by. */
static int
owner_refresh(struct redis_ctx *r, char *err, size_t errlen)
{
	if (mono_ns() - r->claimed_ns < r->ttl_ns / 3)
		return 0;
	return owner_claim(r, r->c, err, errlen) == 0 ? 0 : -1;
}

/* Where a URL points, for messages: host:port or the socket path (never the password). */
static void
redis_where(const struct hp_redis_url *u, char *buf, size_t len)
{
	if (u->unix_path[0] != '\0')
		snprintf(buf, len, "%s", u->unix_path);
	else
		snprintf(buf, len, "%s:%d", u->host, u->port);
}

/* One command of the connection set-up: 0, or -1 with what the server said. */
static int
redis_setup_cmd(redisContext *c, int argc, const char **argv, const char *what, char *err,
		size_t errlen)
{
	redisReply *rep = redisCommandArgv(c, argc, argv, NULL);
	int rc = 0;

	if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
		/* the reply is the server's message (WRONGPASS ..., NOAUTH ...): it never holds
		 * the password sent */
		snprintf(err, errlen, "%s: %s", what, rep != NULL ? rep->str : c->errstr);
		rc = -1;
	}
	if (rep != NULL)
		freeReplyObject(rep);
	return rc;
}

redisContext *
hp_redis_open(const struct hp_redis_url *u, uint32_t timeout_ms, char *err, size_t errlen)
{
	struct timeval tv = {.tv_sec = timeout_ms / 1000,
			     .tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000};
	redisContext *c = u->unix_path[0] != '\0' ? redisConnectUnixWithTimeout(u->unix_path, tv)
						  : redisConnectWithTimeout(u->host, u->port, tv);
	char where[300], what[460], db[8];

	redis_where(u, where, sizeof(where));
	if (c == NULL || c->err) {
		snprintf(err, errlen, "connect %s: %s", where,
			 c != NULL ? c->errstr : "out of memory");
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	if (u->unix_path[0] == '\0')
		redisEnableKeepAlive(c);
	if (u->password[0] != '\0') {
		const char *argv[3] = {"AUTH", u->user, u->password};

		snprintf(what, sizeof(what), "%s: AUTH%s%s", where, u->user[0] ? " as " : "",
			 u->user);
		if (u->user[0] != '\0'
			    ? redis_setup_cmd(c, 3, argv, what, err, errlen) != 0
			    : redis_setup_cmd(c, 2, (const char *[]){"AUTH", u->password}, what,
					      err, errlen) != 0) {
			redisFree(c);
			return NULL;
		}
	}
	if (u->db != 0) {
		snprintf(db, sizeof(db), "%d", u->db);
		snprintf(what, sizeof(what), "%s: SELECT %d", where, u->db);
		if (redis_setup_cmd(c, 2, (const char *[]){"SELECT", db}, what, err, errlen) != 0) {
			redisFree(c);
			return NULL;
		}
	}
	return c;
}

void *
hp_sink_redis_ctx(const struct hp_config *cfg, const char *instance, char *err, size_t errlen)
{
	struct redis_ctx *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		snprintf(err, errlen, "sinks.redis: out of memory");
		return NULL;
	}
	{
		const char *why;

		if (hp_redis_url_parse(cfg->sinks.redis_url, &r->url, &why) != 0) {
			free(r);
			snprintf(err, errlen, "sinks.redis.url: must be %s", why);
			return NULL;
		}
	}
	if (cfg->sinks.redis_stream[0] != '\0')
		snprintf(r->stream, sizeof(r->stream), "%s", cfg->sinks.redis_stream);
	else
		snprintf(r->stream, sizeof(r->stream), "hookpath:events:%s", instance);
	snprintf(r->quarantine, sizeof(r->quarantine), "%s:quarantine", r->stream);
	snprintf(r->owner_key, sizeof(r->owner_key), "%s:owner", r->stream);
	{
		uint8_t rnd[6];
		char at[32];
		struct tm tm;
		time_t now = time(NULL);

		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			memset(rnd, 0, sizeof(rnd));
		gmtime_r(&now, &tm);
		strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(r->token, sizeof(r->token), "%s pid %d since %s %02x%02x%02x%02x%02x%02x",
			 instance, (int)getpid(), at, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
			 rnd[5]);
	}
	snprintf(r->ttl, sizeof(r->ttl), "%u", cfg->sinks.redis_owner_ttl_ms);
	r->ttl_ns = (uint64_t)cfg->sinks.redis_owner_ttl_ms * 1000000ULL;
	snprintf(r->maxlen, sizeof(r->maxlen), "%u", cfg->sinks.redis_maxlen);
	r->timeout_ms = cfg->sinks.redis_timeout_ms;
	r->batch_max = cfg->sinks.redis_batch;
	/* room for two commands per record: a flagged one goes to the quarantine too */
	r->argv = calloc((size_t)r->batch_max * 16, sizeof(*r->argv));
	r->argvlen = calloc((size_t)r->batch_max * 16, sizeof(*r->argvlen));
	r->ids = calloc(r->batch_max, sizeof(*r->ids));
	if (r->argv == NULL || r->argvlen == NULL || r->ids == NULL) {
		free(r->argv);
		free(r->argvlen);
		free(r->ids);
		free(r);
		snprintf(err, errlen, "sinks.redis: out of memory");
		return NULL;
	}
	{
		/* at start: a stream another live instance writes is refused here; a server
		 * out of reach is not (the sink claims it when it connects) */
		char cerr[320];
		redisContext *c = hp_redis_open(&r->url, r->timeout_ms, cerr, sizeof(cerr));

		if (c != NULL) {
			int rc = owner_claim(r, c, err, errlen);

			redisFree(c);
			if (rc == 1) {
				free(r->argv);
				free(r->argvlen);
				free(r->ids);
				free(r);
				return NULL;
			}
		}
	}
	return r;
}

static void
redis_disconnect(void *ctx)
{
	struct redis_ctx *r = ctx;

	if (r->c != NULL)
		redisFree(r->c);
	r->c = NULL;
}

static int
redis_connect(void *ctx, char *err, size_t errlen)
{
	struct redis_ctx *r = ctx;

	r->c = hp_redis_open(&r->url, r->timeout_ms, err, errlen);
	if (r->c == NULL)
		return -1;
	if (owner_claim(r, r->c, err, errlen) != 0) {
		redis_disconnect(r);
		return -1;
	}
	return 0;
}

static int
redis_idle(void *ctx, char *err, size_t errlen)
{
	struct redis_ctx *r = ctx;

	return owner_refresh(r, err, errlen);
}

/* Write what hiredis buffered (blocking socket, bounded by the timeout). */
static int
redis_flush(struct redis_ctx *r, char *err, size_t errlen)
{
	int done = 0;

	while (!done)
		if (redisBufferWrite(r->c, &done) != REDIS_OK) {
			snprintf(err, errlen, "write: %s", r->c->errstr);
			return -1;
		}
	return 0;
}

#define REDIS_CHUNK 128 /* commands written at a time: the server works while we format */

static int
redis_send(void *ctx, struct hp_rec *const *recs, unsigned int n, uint64_t *dups, char *err,
	   size_t errlen)
{
	struct redis_ctx *r = ctx;
	unsigned int sent = 0, got = 0;
	int rc = 0;

	if (owner_refresh(r, err, errlen) != 0)
		return -1;
	while (got < n) {
		unsigned int target;

		if (sent < n) {
			unsigned int end = n - sent > REDIS_CHUNK ? sent + REDIS_CHUNK : n;

			for (unsigned int i = sent; i < end; i++) {
				const char **a = r->argv + (size_t)i * 16;
				size_t *al = r->argvlen + (size_t)i * 16;
				int idlen = hp_rec_id(recs[i], r->ids[i], sizeof(r->ids[i]));

				a[0] = "XADD", al[0] = 4;
				a[1] = r->stream, al[1] = strlen(r->stream);
				a[2] = "MAXLEN", al[2] = 6;
				a[3] = "~", al[3] = 1;
				a[4] = r->maxlen, al[4] = strlen(r->maxlen);
				a[5] = r->ids[i], al[5] = (size_t)idlen;
				a[6] = "event", al[6] = 5;
				a[7] = hp_rec_json(recs[i]), al[7] = recs[i]->json_len;
				if (redisAppendCommandArgv(r->c, 8, a, al) != REDIS_OK) {
					snprintf(err, errlen, "pipeline: %s", r->c->errstr);
					return -1;
				}
				if (recs[i]->flags & HP_REC_F_FLAGGED) {
					/* the same entry, same id, in the quarantine stream:
					 * exactly once there too */
					memcpy(a + 8, a, 8 * sizeof(*a));
					memcpy(al + 8, al, 8 * sizeof(*al));
					a[9] = r->quarantine, al[9] = strlen(r->quarantine);
					if (redisAppendCommandArgv(r->c, 8, a + 8, al + 8) !=
					    REDIS_OK) {
						snprintf(err, errlen, "pipeline: %s", r->c->errstr);
						return -1;
					}
				}
			}
			sent = end;
			if (redis_flush(r, err, errlen) != 0)
				return -1;
		}
		/* keep one chunk in flight while the next one is formatted */
		target = sent == n ? n : sent - (sent > REDIS_CHUNK ? REDIS_CHUNK : sent);
		for (; got < target; got++) {
			unsigned int cmds = recs[got]->flags & HP_REC_F_FLAGGED ? 2 : 1;

			for (unsigned int k = 0; k < cmds; k++) {
				redisReply *rep = NULL;

				if (redisGetReply(r->c, (void **)&rep) != REDIS_OK || rep == NULL) {
					snprintf(err, errlen, "XADD reply: %s",
						 r->c->errstr[0] ? r->c->errstr
								 : "connection lost");
					return -1;
				}
				if (rep->type == REDIS_REPLY_ERROR) {
					if (strstr(rep->str, "equal or smaller") != NULL) {
						if (k == 0) /* the events stream counts them */
							(*dups)++;
					} else if (rc == 0) {
						snprintf(err, errlen, "XADD %s: %s",
							 k == 0 ? r->stream : r->quarantine,
							 rep->str);
						rc = -1; /* keep reading: the connection stays in
							    sync */
					}
				}
				freeReplyObject(rep);
			}
		}
	}
	return rc;
}

static void
redis_free(void *ctx)
{
	struct redis_ctx *r = ctx;
	char err[320];

	/* a clean stop hands the stream back at once (a crash: its TTL) */
	if (r->claimed_ns != 0) {
		redisContext *c = r->c != NULL
					  ? r->c
					  : hp_redis_open(&r->url, r->timeout_ms, err, sizeof(err));

		if (c != NULL) {
			const char *argv[] = {"EVAL", release_script, "1", r->owner_key, r->token};
			redisReply *rep = redisCommandArgv(c, 5, argv, NULL);

			if (rep != NULL)
				freeReplyObject(rep);
			if (c != r->c)
				redisFree(c);
		}
	}
	redis_disconnect(r);
	free(r->argv);
	free(r->argvlen);
	free(r->ids);
	free(r);
}

const struct hp_sink_ops hp_sink_redis_ops = {
	.name = "redis",
	.connect = redis_connect,
	.disconnect = redis_disconnect,
	.send = redis_send,
	.idle = redis_idle,
	.free_ctx = redis_free,
};
