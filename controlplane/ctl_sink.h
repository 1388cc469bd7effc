/* SPDX-License-Identifier: BSD-3-Clause
 * Event sinks beyond the events file (DESIGN §2 control plane): Redis Streams and Postgres.
 *
 * The control thread turns every worker event into one record (struct hp_rec: the event's id,
 * a few columns and its JSON line) and hands it to every enabled sink. Each sink has its own
 * thread (on the control thread's core, never a worker's), an in-memory queue, a durable spool
 * (ctl_spool.c), an AIMD window (records per round trip) and a circuit breaker:
 *
 *   - healthy: records go to the queue; the sink thread sends them in batches of `window`;
 *   - the queue is full (sink slow): new records go to the spool, in order behind the queue;
 *   - a batch fails (sink down, timeout): the window halves; after breaker.failures
 *     consecutive failures the breaker opens, what was queued is written to the head of the
 *     spool, and every record goes to the spool until a probe batch succeeds (half-open after a
 *     cooldown that doubles up to its max);
 *   - the spool is replayed in order before anything newer; once empty, the queue is used again.
 *
 * Records carry their event id (boot_ms-seq), and both sinks store idempotently on it, so a
 * batch replayed after a failure whose outcome was unknown is never stored twice.
 */
#ifndef HP_CTL_SINK_H
#define HP_CTL_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "hp_config.h"

/* One event as the sinks and the spool see it. The bytes from boot_ms to the end are covered
 * by crc (CRC32C); data holds endpoint, webhook_id (both JSON-escaped, ASCII) and the JSON line
 * (without its newline), in that order. */
struct hp_rec {
	uint32_t len; /* whole record, header included, multiple of 8 */
	uint32_t crc;
	uint64_t boot_ms; /* event id: "<boot_ms>-<seq>" (also the Redis stream entry id) */
	uint64_t seq;
	uint64_t ts_ns; /* wall clock of the verdict */
	uint64_t latency_ns;
	uint16_t worker;
	uint8_t verdict; /* enum hp_ev_verdict */
	uint8_t reason;  /* enum hp_ev_reason */
	uint16_t endpoint_len;
	uint16_t webhook_id_len;
	uint32_t json_len;
	uint32_t flags; /* HP_REC_F_* */
	char data[];
};

#define HP_REC_F_FLAGGED                                                                           \
	0x1 /* ML flag: also written to the quarantine (Redis: <stream>:quarantine) */

#define HP_REC_MAX (64 * 1024)

static inline const char *
hp_rec_endpoint(const struct hp_rec *r)
{
	return r->data;
}
static inline const char *
hp_rec_webhook_id(const struct hp_rec *r)
{
	return r->data + r->endpoint_len;
}
static inline const char *
hp_rec_json(const struct hp_rec *r)
{
	return r->data + r->endpoint_len + r->webhook_id_len;
}
/* "<boot_ms>-<seq>" into buf (at least 48 bytes); returns its length. */
int hp_rec_id(const struct hp_rec *r, char *buf, size_t len);
uint32_t hp_rec_crc(const struct hp_rec *r);

/* ---- spool (ctl_spool.c): not thread-safe, the sink's lock protects it ---- */
struct hp_spool;

struct hp_spool_stats {
	uint64_t bytes;        /* on disk, unread */
	uint64_t records;      /* unread */
	uint64_t appended;     /* records ever appended (this run) */
	uint64_t replayed;     /* records consumed after a successful send */
	uint64_t dropped_full; /* refused: max_mb reached */
	uint64_t corrupt;      /* records found damaged at open (CRC, length): skipped */
	uint64_t write_errors;
	uint64_t fsyncs;
	uint32_t segments;
};

int hp_spool_open(struct hp_spool **out, const char *dir, uint64_t max_bytes,
		  enum hp_spool_fsync fsync_mode, uint32_t fsync_ms, char *err, size_t errlen);
void hp_spool_close(struct hp_spool *sp);
/* Append at the tail (buffered until hp_spool_flush). 0, -ENOSPC (full: counted) or -errno. */
int hp_spool_append(struct hp_spool *sp, const struct hp_rec *r);
/* Put n records, in order, in front of everything spooled (they are older). 0 or -errno;
 * records that do not fit are dropped and counted. */
int hp_spool_prepend(struct hp_spool *sp, struct hp_rec *const *recs, unsigned int n);
/* Write what is buffered; fsync per the policy (force: fsync now whatever the policy). */
int hp_spool_flush(struct hp_spool *sp, bool force);
bool hp_spool_empty(const struct hp_spool *sp);
/* Up to max records (at most max_bytes) from the head, without consuming them, copied into
 * buf (malloc'd/grown by the spool, owned by the caller's pointer); recs[] point into it.
 * Returns the count (0: empty) or -errno. */
int hp_spool_peek(struct hp_spool *sp, unsigned int max, struct hp_rec **recs, char **buf,
		  size_t *buflen);
/* The n records peeked were stored: advance the read cursor (persisted), drop finished
 * segments. */
int hp_spool_consume(struct hp_spool *sp, struct hp_rec *const *recs, unsigned int n);
void hp_spool_get_stats(const struct hp_spool *sp, struct hp_spool_stats *st);

/* ---- sinks (ctl_sink.c) ---- */
struct hp_sink;

struct hp_sink_ops {
	const char *name;
	/* On the sink thread. 0 or -1 with a message (no secret in it). */
	int (*connect)(void *ctx, char *err, size_t errlen);
	void (*disconnect)(void *ctx);
	/* Store recs[0, n) idempotently: 0 when every one is stored (*dups: how many were
	 * already there), -1 when the outcome is unknown (the connection is then closed). */
	int (*send)(void *ctx, struct hp_rec *const *recs, unsigned int n, uint64_t *dups,
		    char *err, size_t errlen);
	/* Optional, on the sink thread while connected and nothing to send (about every
	 * 100 ms): 0, or -1 with a message (the connection is then closed, logged). */
	int (*idle)(void *ctx, char *err, size_t errlen);
	void (*free_ctx)(void *ctx);
};

struct hp_sink_params {
	uint32_t batch_max;
	uint32_t timeout_ms;
	uint32_t queue;
	uint32_t breaker_failures;
	uint32_t cooldown_ms, cooldown_max_ms;
	const char *spool_dir; /* this sink's directory */
	uint64_t spool_max_bytes;
	enum hp_spool_fsync fsync_mode;
	uint32_t fsync_ms;
};

struct hp_sink *hp_sink_create(const struct hp_sink_ops *ops, void *ctx,
			       const struct hp_sink_params *p, char *err, size_t errlen);
/* Hand n records to the sink (control thread). Each record gets a reference (hp_rec_ref). */
void hp_sink_push(struct hp_sink *s, struct hp_rec *const *recs, unsigned int n);
/* Flush the spool per its policy (control thread tick). */
void hp_sink_tick(struct hp_sink *s);
/* Stop: give the sink flush_timeout_ms to drain, spool what is left, join, free. Returns
 * the final hp_sink_status (the caller's reference; NULL on ENOMEM). */
json_t *hp_sink_destroy(struct hp_sink *s, uint32_t flush_timeout_ms);
/* One JSON object of the sink's state and counters (no secrets): a new reference, NULL on
 * ENOMEM. */
json_t *hp_sink_status(struct hp_sink *s);
/* Prometheus lines of the sink (families are declared once by the caller). */
void hp_sink_metrics(struct hp_sink *s, FILE *f);
const char *hp_sink_name(const struct hp_sink *s);
/* True once queue and spool are both empty (tests and readiness). */
bool hp_sink_idle(struct hp_sink *s);

/* Records shared by the sinks: allocated by the control thread with one reference per sink;
 * freed when the last sink drops it. */
struct hp_rec *hp_rec_alloc(size_t data_len, uint32_t refs);
void hp_rec_unref(struct hp_rec *r);

/* The two sinks (ctl_sink_redis.c, ctl_sink_pg.c): ops and a context from the config. */
/* Delivering as it should (breaker closed, nothing spooled)? Else why, for /v1/ready. */
bool hp_sink_healthy(struct hp_sink *s, char *why, size_t len);

extern const struct hp_sink_ops hp_sink_redis_ops;
void *hp_sink_redis_ctx(const struct hp_config *cfg, const char *instance, char *err,
			size_t errlen);
extern const struct hp_sink_ops hp_sink_pg_ops;
void *hp_sink_pg_ctx(const struct hp_config *cfg, const char *instance, char *err, size_t errlen);

/* Redis helper shared by the sink and the resolver (ctl_sink_redis.c): a connection to a
 * parsed URL (hp_redis_url_parse) with timeouts, AUTH when it has a password (as its user
 * when it has one) and SELECT db, or NULL with a message that names the host or socket and
 * never the password. */
struct redisContext;
struct redisContext *hp_redis_open(const struct hp_redis_url *u, uint32_t timeout_ms, char *err,
				   size_t errlen);

#endif /* HP_CTL_SINK_H */
