/* SPDX-License-Identifier: BSD-3-Clause
 * Postgres sink: a batch is one COPY ... FROM STDIN (text format) into the events table, which
 * is atomic: all rows or none. Exactly once: the primary key is (instance, event_id); a batch
 * replayed after a failure whose outcome was unknown hits a unique violation (23505), and is
 * then redone through a temporary staging table with INSERT ... ON CONFLICT DO NOTHING, which
 * stores only the rows that were missing. (COPY was measured against pipelined INSERTs:
 * docs/PERFORMANCE.md.) The connection is non-blocking and every wait is bounded by the
 * timeout, so a hung server fails the batch instead of hanging the sink thread.
 * The schema is deploy/sql/ (applied by deploy/migrate.sh); connect checks its version.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "ctl_sink.h"
#include "dp_event.h"

#define PG_SCHEMA_VERSION 1 /* the deploy/sql migration this code needs */

struct pg_ctx {
	char dsn[512];
	char table[64];
	char instance[64];
	char timeout_s[16];
	uint32_t timeout_ms;
	PGconn *c;
	char *buf;
	size_t cap, len;
	uint64_t deadline;
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void *
hp_sink_pg_ctx(const struct hp_config *cfg, const char *instance, char *err, size_t errlen)
{
	struct pg_ctx *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		snprintf(err, errlen, "sinks.postgres: out of memory");
		return NULL;
	}
	snprintf(p->dsn, sizeof(p->dsn), "%s", cfg->sinks.pg_dsn);
	snprintf(p->table, sizeof(p->table), "%s", cfg->sinks.pg_table);
	snprintf(p->instance, sizeof(p->instance), "%s", instance);
	p->timeout_ms = cfg->sinks.pg_timeout_ms;
	snprintf(p->timeout_s, sizeof(p->timeout_s), "%u", (p->timeout_ms + 999) / 1000);
	return p;
}

static void
pg_disconnect(void *ctx)
{
	struct pg_ctx *p = ctx;

	if (p->c != NULL)
		PQfinish(p->c);
	p->c = NULL;
}

/* Wait for the socket until the batch deadline. 0 or -1 (timeout, error). */
static int
pg_wait(struct pg_ctx *p, bool wr)
{
	struct pollfd pfd = {.fd = PQsocket(p->c), .events = wr ? POLLOUT : POLLIN};
	uint64_t now = mono_ms();
	int r;

	if (now >= p->deadline)
		return -1;
	r = poll(&pfd, 1, (int)(p->deadline - now));
	return r > 0 ? 0 : -1;
}

static int
pg_flush(struct pg_ctx *p)
{
	int f;

	while ((f = PQflush(p->c)) == 1)
		if (pg_wait(p, true) != 0)
			return -1;
	return f == 0 ? 0 : -1;
}

/* The next result, waiting at most until the deadline. NULL: no more (or timeout: *to). */
static PGresult *
pg_result(struct pg_ctx *p, bool *to)
{
	while (PQisBusy(p->c)) {
		if (pg_wait(p, false) != 0 || !PQconsumeInput(p->c)) {
			*to = true;
			return NULL;
		}
	}
	return PQgetResult(p->c);
}

/* Run sql (no COPY); 0 and *tuples (rows affected) or -1 with a message; sqlstate set. */
static int
pg_exec(struct pg_ctx *p, const char *sql, uint64_t *tuples, char sqlstate[6], char *err,
	size_t errlen)
{
	PGresult *res;
	bool to = false;
	int rc = 0;

	if (!PQsendQuery(p->c, sql) || pg_flush(p) != 0) {
		snprintf(err, errlen, "%s", PQerrorMessage(p->c));
		return -1;
	}
	while ((res = pg_result(p, &to)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && rc == 0) {
			const char *ss = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			snprintf(sqlstate, 6, "%s", ss != NULL ? ss : "");
			snprintf(err, errlen, "%s", PQresultErrorMessage(res));
			err[strcspn(err, "\n")] = '\0';
			rc = -1;
		} else if (tuples != NULL && st == PGRES_COMMAND_OK) {
			*tuples = strtoull(PQcmdTuples(res), NULL, 10);
		} else if (tuples != NULL && st == PGRES_TUPLES_OK && PQntuples(res) == 1) {
			*tuples = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
		}
		PQclear(res);
	}
	if (to) {
		snprintf(err, errlen, "no answer within %u ms", p->timeout_ms);
		return -1;
	}
	return rc;
}

static int
pg_connect(void *ctx, char *err, size_t errlen)
{
	struct pg_ctx *p = ctx;
	const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
	const char *vals[] = {p->dsn, p->timeout_s, "hookpath", NULL};
	char sql[256], ss[6] = "";
	uint64_t ver = 0;

	p->c = PQconnectdbParams(keys, vals, 1);
	if (p->c == NULL || PQstatus(p->c) != CONNECTION_OK) {
		snprintf(err, errlen, "connect: %s", p->c ? PQerrorMessage(p->c) : "out of memory");
		err[strcspn(err, "\n")] = '\0';
		pg_disconnect(p);
		return -1;
	}
	PQsetnonblocking(p->c, 1);
	p->deadline = mono_ms() + p->timeout_ms;
	if (pg_exec(p, "SELECT coalesce(max(version), 0) FROM hookpath_schema_migrations", &ver, ss,
		    err, errlen) != 0 ||
	    ver < PG_SCHEMA_VERSION) {
		if (ver < PG_SCHEMA_VERSION && err[0] == '\0')
			snprintf(err, errlen,
				 "schema version %" PRIu64 " < %d: run deploy/migrate.sh", ver,
				 PG_SCHEMA_VERSION);
		else {
			size_t l = strlen(err);

			snprintf(err + l, errlen - l, " (schema: run deploy/migrate.sh)");
		}
		pg_disconnect(p);
		return -1;
	}
	snprintf(sql, sizeof(sql),
		 "CREATE TEMP TABLE IF NOT EXISTS hp_stage (LIKE %s INCLUDING DEFAULTS) "
		 "ON COMMIT DELETE ROWS",
		 p->table);
	if (pg_exec(p, sql, NULL, ss, err, errlen) != 0) {
		pg_disconnect(p);
		return -1;
	}
	return 0;
}

static int
buf_reserve(struct pg_ctx *p, size_t more)
{
	if (p->len + more <= p->cap)
		return 0;
	size_t cap = p->cap ? p->cap : 1 << 20;

	while (cap < p->len + more)
		cap *= 2;
	char *n = realloc(p->buf, cap);

	if (n == NULL)
		return -1;
	p->buf = n;
	p->cap = cap;
	return 0;
}

/* COPY text format: backslash doubled; the JSON and ids hold no raw control bytes. */
static void
buf_copy_str(struct pg_ctx *p, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\\')
			p->buf[p->len++] = '\\';
		else if (c == '\t' || c == '\n' || c == '\r') {
			p->buf[p->len++] = '\\';
			c = c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
		}
		p->buf[p->len++] = c;
	}
}

static int pg_put(struct pg_ctx *p);

/* Rows of recs in COPY text format; with stream, handed to the server every 256 KiB while the
 * rest is built (the server parses while we format). */
static int
build_rows(struct pg_ctx *p, struct hp_rec *const *recs, unsigned int n, bool stream)
{
	p->len = 0;
	for (unsigned int i = 0; i < n; i++) {
		if (stream && p->len >= (256u << 10)) {
			if (pg_put(p) != 0)
				return -1;
			p->len = 0;
		}
		const struct hp_rec *r = recs[i];
		time_t sec = (time_t)(r->ts_ns / 1000000000ULL);
		struct tm tm;
		char ts[64], id[48];

		if (buf_reserve(p, 512 + 2 * ((size_t)r->json_len + r->endpoint_len +
					      r->webhook_id_len)) != 0)
			return -1;
		gmtime_r(&sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
		hp_rec_id(r, id, sizeof(id));
		p->len += (size_t)sprintf(p->buf + p->len, "%s\t%s\t%s.%06u+00\t%u\t", p->instance,
					  id, ts, (unsigned int)(r->ts_ns % 1000000000ULL / 1000),
					  r->worker);
		if (r->endpoint_len != 0)
			buf_copy_str(p, hp_rec_endpoint(r), r->endpoint_len);
		else
			p->len += (size_t)sprintf(p->buf + p->len, "\\N");
		p->buf[p->len++] = '\t';
		if (r->webhook_id_len != 0)
			buf_copy_str(p, hp_rec_webhook_id(r), r->webhook_id_len);
		else
			p->len += (size_t)sprintf(p->buf + p->len, "\\N");
		p->len += (size_t)sprintf(p->buf + p->len, "\t%s\t%s\t%" PRIu64 "\t",
					  hp_ev_verdict_name(r->verdict),
					  hp_ev_reason_name(r->reason), r->latency_ns);
		buf_copy_str(p, hp_rec_json(r), r->json_len);
		p->buf[p->len++] = '\n';
	}
	return 0;
}

/* Hand p->buf[0, len) to the COPY in progress. */
static int
pg_put(struct pg_ctx *p)
{
	for (size_t off = 0; off < p->len;) {
		size_t chunk = p->len - off < (256u << 10) ? p->len - off : 256u << 10;
		int w = PQputCopyData(p->c, p->buf + off, (int)chunk);

		if (w < 0)
			return -1;
		if (w == 0) {
			if (pg_wait(p, true) != 0)
				return -1;
			continue;
		}
		off += chunk;
	}
	return 0;
}

/* COPY recs into table. 0, or -1 with sqlstate/err. */
static int
pg_copy(struct pg_ctx *p, const char *table, struct hp_rec *const *recs, unsigned int n,
	char sqlstate[6], char *err, size_t errlen)
{
	char sql[256];
	PGresult *res;
	bool to = false;
	int rc = 0;

	snprintf(sql, sizeof(sql),
		 "COPY %s (instance, event_id, ts, worker, endpoint, "
		 "webhook_id, verdict, reason, latency_ns, event) FROM STDIN",
		 table);
	if (!PQsendQuery(p->c, sql) || pg_flush(p) != 0)
		goto conn_err;
	res = pg_result(p, &to);
	if (res == NULL || PQresultStatus(res) != PGRES_COPY_IN) {
		if (res != NULL) {
			snprintf(err, errlen, "%s", PQresultErrorMessage(res));
			PQclear(res);
			while ((res = pg_result(p, &to)) != NULL)
				PQclear(res);
			return -1;
		}
		goto conn_err;
	}
	PQclear(res);
	if (build_rows(p, recs, n, true) != 0 || pg_put(p) != 0)
		goto conn_err;
	for (;;) {
		int w = PQputCopyEnd(p->c, NULL);

		if (w < 0)
			goto conn_err;
		if (w == 1)
			break;
		if (pg_wait(p, true) != 0)
			goto conn_err;
	}
	if (pg_flush(p) != 0)
		goto conn_err;
	while ((res = pg_result(p, &to)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
			const char *ss = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			snprintf(sqlstate, 6, "%s", ss != NULL ? ss : "");
			snprintf(err, errlen, "%s", PQresultErrorMessage(res));
			err[strcspn(err, "\n")] = '\0';
			rc = -1;
		}
		PQclear(res);
	}
	if (to)
		goto conn_err;
	return rc;
conn_err:
	if (to || mono_ms() >= p->deadline)
		snprintf(err, errlen, "no answer within %u ms", p->timeout_ms);
	else
		snprintf(err, errlen, "%s", PQerrorMessage(p->c));
	err[strcspn(err, "\n")] = '\0';
	return -1;
}

static int
pg_send(void *ctx, struct hp_rec *const *recs, unsigned int n, uint64_t *dups, char *err,
	size_t errlen)
{
	struct pg_ctx *p = ctx;
	char ss[6] = "", sql[256];
	uint64_t inserted = 0;

	p->deadline = mono_ms() + p->timeout_ms;
	if (pg_copy(p, p->table, recs, n, ss, err, errlen) == 0)
		return 0;
	if (strcmp(ss, "23505") != 0)
		return -1;
	/* some rows are there already (a replay): store only the missing ones */
	ss[0] = '\0';
	if (pg_exec(p, "BEGIN", NULL, ss, err, errlen) != 0 ||
	    pg_copy(p, "hp_stage", recs, n, ss, err, errlen) != 0)
		return -1;
	snprintf(sql, sizeof(sql), "INSERT INTO %s SELECT * FROM hp_stage ON CONFLICT DO NOTHING",
		 p->table);
	if (pg_exec(p, sql, &inserted, ss, err, errlen) != 0 ||
	    pg_exec(p, "COMMIT", NULL, ss, err, errlen) != 0)
		return -1;
	*dups += n - (inserted < n ? inserted : n);
	return 0;
}

static void
pg_free(void *ctx)
{
	struct pg_ctx *p = ctx;

	pg_disconnect(p);
	explicit_bzero(p->dsn, sizeof(p->dsn));
	free(p->buf);
	free(p);
}

const struct hp_sink_ops hp_sink_pg_ops = {
	.name = "postgres",
	.connect = pg_connect,
	.disconnect = pg_disconnect,
	.send = pg_send,
	.free_ctx = pg_free,
};
