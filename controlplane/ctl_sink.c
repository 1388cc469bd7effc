/* SPDX-License-Identifier: BSD-3-Clause
 * The generic part of a sink (see ctl_sink.h): queue, spool, AIMD window, circuit breaker and
 * the sink thread. The control thread pushes; the sink thread sends. The lock is held for
 * queue and spool bookkeeping only, never across network I/O.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_json.h"
#include "ctl_sink.h"
#include "dp_log.h"

enum breaker_state { BR_CLOSED = 0, BR_OPEN, BR_HALF_OPEN };
static const char *const br_names[] = {"closed", "open", "half_open"};

struct hp_sink {
	const struct hp_sink_ops *ops;
	void *ctx;
	struct hp_sink_params p;
	pthread_t th;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* queue: ring of record pointers, head..tail (free-running counters) */
	struct hp_rec **q;
	uint32_t qmask;
	uint64_t qhead, qtail;
	bool spooling; /* new records go to the spool (it holds newer ones than q) */
	struct hp_spool *spool;
	/* state shared under mu */
	bool stop;
	uint64_t deadline_ns; /* at stop: give up sending then */
	enum breaker_state br;
	char logged_error[256]; /* the last error logged, and when (rate limit) */
	uint64_t logged_ns;
	uint32_t consecutive;
	uint64_t open_until_ns;
	uint32_t cooldown_ms;
	uint32_t window;
	uint32_t ssthresh; /* below: the window doubles per full batch (slow start) */
	bool connected;
	char last_error[256];
	/* counters */
	uint64_t sent, batches, failures, dups, opened, queued_total, spooled_direct;
	uint64_t batch_ns_last, batch_ns_max;
};

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct rec_box {
	_Atomic uint32_t refs;
	uint32_t pad[3];
	struct hp_rec r;
};

struct hp_rec *
hp_rec_alloc(size_t data_len, uint32_t refs)
{
	size_t len = (sizeof(struct hp_rec) + data_len + 7) & ~(size_t)7;
	struct rec_box *b;

	if (len > HP_REC_MAX)
		return NULL;
	b = malloc(offsetof(struct rec_box, r) + len);
	if (b == NULL)
		return NULL;
	atomic_init(&b->refs, refs);
	memset(&b->r, 0, len);
	b->r.len = (uint32_t)len;
	return &b->r;
}

void
hp_rec_unref(struct hp_rec *r)
{
	struct rec_box *b = (struct rec_box *)((char *)r - offsetof(struct rec_box, r));

	if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
		free(b);
}

static uint64_t
q_count(const struct hp_sink *s)
{
	return s->qtail - s->qhead;
}

const char *
hp_sink_name(const struct hp_sink *s)
{
	return s->ops->name;
}

static uint64_t
spool_records(const struct hp_spool *sp)
{
	struct hp_spool_stats st;

	hp_spool_get_stats(sp, &st);
	return st.records;
}

/* Open the breaker (mu held): queued records go to the head of the spool, durable. */
static void
breaker_open(struct hp_sink *s, uint64_t now)
{
	unsigned int n = (unsigned int)q_count(s);

	s->br = BR_OPEN;
	s->opened++;
	s->open_until_ns = now + (uint64_t)s->cooldown_ms * 1000000ULL;
	s->cooldown_ms = s->cooldown_ms * 2 > s->p.cooldown_max_ms ? s->p.cooldown_max_ms
								   : s->cooldown_ms * 2;
	if (n != 0) {
		struct hp_rec **tmp = malloc(n * sizeof(*tmp));

		if (tmp != NULL) {
			for (unsigned int i = 0; i < n; i++)
				tmp[i] = s->q[(s->qhead + i) & s->qmask];
			hp_spool_prepend(s->spool, tmp, n);
			for (unsigned int i = 0; i < n; i++)
				hp_rec_unref(tmp[i]);
			s->qhead += n;
			free(tmp);
		}
	}
	s->spooling = true;
	hp_spool_flush(s->spool, true);
}

static void *
sink_thread(void *arg)
{
	struct hp_sink *s = arg;
	struct hp_rec **batch = malloc(s->p.batch_max * sizeof(*batch));
	char *sbuf = NULL;
	size_t sbuflen = 0;
	char err[256];

	pthread_mutex_lock(&s->mu);
	for (;;) {
		uint64_t now = mono_ns(), t0, dups = 0;
		unsigned int n = 0, win;
		bool from_spool = false, idle;
		int rc;

		idle = q_count(s) == 0 && hp_spool_empty(s->spool);
		if (s->stop && (idle || now >= s->deadline_ns || s->br == BR_OPEN))
			break;
		if (idle && s->connected && s->ops->idle != NULL) {
			pthread_mutex_unlock(&s->mu);
			err[0] = '\0';
			rc = s->ops->idle(s->ctx, err, sizeof(err));
			if (rc != 0) {
				s->ops->disconnect(s->ctx);
				s->connected = false;
			}
			pthread_mutex_lock(&s->mu);
			if (rc != 0) {
				snprintf(s->last_error, sizeof(s->last_error), "%s",
					 err[0] ? err : "failed");
				HP_LOG(WARNING, "sink %s: %s\n", s->ops->name, s->last_error);
			}
		}
		if (idle || (s->br == BR_OPEN && now < s->open_until_ns)) {
			struct timespec ts;
			uint64_t wait_ns = idle ? 100000000ULL : s->open_until_ns - now;

			if (wait_ns > 100000000ULL)
				wait_ns = 100000000ULL;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)wait_ns;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
			continue;
		}
		if (s->br == BR_OPEN)
			s->br = BR_HALF_OPEN;
		win = s->br == BR_HALF_OPEN ? (s->window < 16 ? s->window : 16) : s->window;
		if (q_count(s) != 0) { /* the queue is older than the spool */
			n = q_count(s) < win ? (unsigned int)q_count(s) : win;
			for (unsigned int i = 0; i < n; i++)
				batch[i] = s->q[(s->qhead + i) & s->qmask];
		} else {
			rc = hp_spool_peek(s->spool, win, batch, &sbuf, &sbuflen);
			if (rc <= 0) {
				if (rc < 0)
					snprintf(s->last_error, sizeof(s->last_error),
						 "spool read: %s", strerror(-rc));
				/* nothing readable: go back to the queue */
				if (hp_spool_empty(s->spool))
					s->spooling = false;
				continue;
			}
			n = (unsigned int)rc;
			from_spool = true;
		}
		pthread_mutex_unlock(&s->mu);

		err[0] = '\0';
		t0 = mono_ns();
		rc = 0;
		if (!s->connected) {
			rc = s->ops->connect(s->ctx, err, sizeof(err));
			s->connected = rc == 0;
		}
		if (rc == 0)
			rc = s->ops->send(s->ctx, batch, n, &dups, err, sizeof(err));
		if (rc != 0 && s->connected) {
			s->ops->disconnect(s->ctx);
			s->connected = false;
		}
		now = mono_ns();

		pthread_mutex_lock(&s->mu);
		s->batch_ns_last = now - t0;
		if (s->batch_ns_last > s->batch_ns_max)
			s->batch_ns_max = s->batch_ns_last;
		if (rc == 0) {
			if (s->br == BR_HALF_OPEN)
				HP_LOG(NOTICE,
				       "sink %s: breaker closed, delivering again (spool: %" PRIu64
				       " records to send first)\n",
				       s->ops->name, spool_records(s->spool));
			s->sent += n;
			s->dups += dups;
			s->batches++;
			s->consecutive = 0;
			s->br = BR_CLOSED;
			s->cooldown_ms = s->p.cooldown_ms;
			/* AIMD with slow start (as TCP): double up to ssthresh, then grow by a
			 * sixteenth of the ceiling per full batch while round trips stay under
			 * half the timeout; a slow round trip or a failure halves it */
			if (s->batch_ns_last > (uint64_t)s->p.timeout_ms * 500000ULL) {
				s->window = s->window > 1 ? s->window / 2 : 1;
				s->ssthresh = s->window;
			} else if (n >= s->window && s->window < s->p.batch_max) {
				if (s->window < s->ssthresh)
					s->window *= 2;
				else
					s->window += s->p.batch_max / 16 ? s->p.batch_max / 16 : 1;
			}
			if (s->window > s->p.batch_max)
				s->window = s->p.batch_max;
			if (from_spool) {
				hp_spool_consume(s->spool, batch, n);
				if (hp_spool_empty(s->spool)) {
					s->spooling = false;
					HP_LOG(NOTICE, "sink %s: spool sent, none left\n",
					       s->ops->name);
				}
			} else {
				for (unsigned int i = 0; i < n; i++)
					hp_rec_unref(batch[i]);
				s->qhead += n;
			}
		} else {
			s->failures++;
			s->consecutive++;
			s->window = s->window > 1 ? s->window / 2 : 1;
			s->ssthresh = s->window;
			snprintf(s->last_error, sizeof(s->last_error), "%s",
				 err[0] ? err : "failed");
			if (s->br == BR_HALF_OPEN || s->consecutive >= s->p.breaker_failures) {
				/* logged when it opens, and again while it stays open only for
				 * a new error or once a minute */
				if (s->br == BR_CLOSED ||
				    strcmp(s->logged_error, s->last_error) != 0 ||
				    now - s->logged_ns >= 60000000000ULL) {
					HP_LOG(WARNING,
					       "sink %s: breaker open after %u failed batch(es): "
					       "%s; "
					       "events go to the spool, retried in %u ms\n",
					       s->ops->name, s->consecutive, s->last_error,
					       s->cooldown_ms);
					snprintf(s->logged_error, sizeof(s->logged_error), "%s",
						 s->last_error);
					s->logged_ns = now;
				}
				breaker_open(s, now);
			}
		}
	}
	/* stopping: whatever is still queued is older than the spool's content */
	if (q_count(s) != 0)
		breaker_open(s, mono_ns());
	hp_spool_flush(s->spool, true);
	pthread_mutex_unlock(&s->mu);
	if (s->connected)
		s->ops->disconnect(s->ctx);
	free(sbuf);
	free(batch);
	return NULL;
}

struct hp_sink *
hp_sink_create(const struct hp_sink_ops *ops, void *ctx, const struct hp_sink_params *p, char *err,
	       size_t errlen)
{
	struct hp_sink *s = calloc(1, sizeof(*s));
	int ret;

	if (s == NULL) {
		snprintf(err, errlen, "sinks: out of memory");
		return NULL;
	}
	s->ops = ops;
	s->ctx = ctx;
	s->p = *p;
	s->qmask = p->queue - 1;
	s->q = calloc(p->queue, sizeof(*s->q));
	s->window = p->batch_max < 64 ? p->batch_max : 64;
	s->ssthresh = p->batch_max;
	s->cooldown_ms = p->cooldown_ms;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (s->q == NULL) {
		snprintf(err, errlen, "sinks.queue_events: cannot allocate %u entries", p->queue);
		goto fail;
	}
	ret = hp_spool_open(&s->spool, p->spool_dir, p->spool_max_bytes, p->fsync_mode, p->fsync_ms,
			    err, errlen);
	if (ret != 0)
		goto fail;
	/* records left by a previous run are older than anything this run produces */
	s->spooling = !hp_spool_empty(s->spool);
	if (pthread_create(&s->th, NULL, sink_thread, s) != 0) {
		snprintf(err, errlen, "sinks.%s: cannot start its thread", ops->name);
		goto fail;
	}
	s->started = true;
	{
		char tn[16];

		snprintf(tn, sizeof(tn), "hp-sink-%s", ops->name);
		pthread_setname_np(s->th, tn);
	}
	return s;
fail:
	hp_spool_close(s->spool);
	free(s->q);
	if (ops->free_ctx != NULL)
		ops->free_ctx(ctx);
	free(s);
	return NULL;
}

void
hp_sink_push(struct hp_sink *s, struct hp_rec *const *recs, unsigned int n)
{
	unsigned int i = 0;

	pthread_mutex_lock(&s->mu);
	if (!s->spooling) {
		while (i < n && q_count(s) <= s->qmask) {
			s->q[s->qtail++ & s->qmask] = recs[i++];
			s->queued_total++;
		}
		if (i < n) /* the queue is full: the sink is slower than the traffic */
			s->spooling = true;
	}
	for (; i < n; i++) {
		hp_spool_append(s->spool, recs[i]);
		s->spooled_direct++;
		hp_rec_unref(recs[i]);
	}
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void
hp_sink_tick(struct hp_sink *s)
{
	pthread_mutex_lock(&s->mu);
	hp_spool_flush(s->spool, false);
	pthread_mutex_unlock(&s->mu);
}

bool
hp_sink_idle(struct hp_sink *s)
{
	bool idle;

	pthread_mutex_lock(&s->mu);
	idle = q_count(s) == 0 && hp_spool_empty(s->spool);
	pthread_mutex_unlock(&s->mu);
	return idle;
}

bool
hp_sink_healthy(struct hp_sink *s, char *why, size_t len)
{
	bool ok;

	pthread_mutex_lock(&s->mu);
	ok = s->br == BR_CLOSED && !s->spooling;
	if (!ok)
		snprintf(why, len, "%s: %s%s%s", s->ops->name,
			 s->br != BR_CLOSED ? "breaker open" : "spooling",
			 s->last_error[0] ? ", " : "", s->last_error);
	pthread_mutex_unlock(&s->mu);
	return ok;
}

json_t *
hp_sink_destroy(struct hp_sink *s, uint32_t flush_timeout_ms)
{
	json_t *final;

	if (s == NULL)
		return NULL;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	s->deadline_ns = mono_ns() + (uint64_t)flush_timeout_ms * 1000000ULL;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (s->started)
		pthread_join(s->th, NULL);
	while (q_count(s) != 0)
		hp_rec_unref(s->q[s->qhead++ & s->qmask]);
	final = hp_sink_status(s);
	hp_spool_close(s->spool);
	if (s->ops->free_ctx != NULL)
		s->ops->free_ctx(s->ctx);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->q);
	free(s);
	return final;
}

json_t *
hp_sink_status(struct hp_sink *s)
{
	struct hp_spool_stats st;
	json_t *j;

	pthread_mutex_lock(&s->mu);
	hp_spool_get_stats(s->spool, &st);
	j = json_pack(
		"{s:b,s:s,s:b,s:i,s:i,s:I,s:i,s:b,s:I,s:I,s:I,s:I,s:I,s:i,s:f,s:f,"
		"s:{s:I,s:I,s:i,s:I,s:I,s:I,s:I,s:I,s:I},s:o}",
		"enabled", 1, "state", br_names[s->br], "connected", s->connected, "window",
		(int)s->window, "window_max", (int)s->p.batch_max, "queued", (json_int_t)q_count(s),
		"queue_capacity", (int)s->p.queue, "spooling", s->spooling, "sent_total",
		(json_int_t)s->sent, "batches_total", (json_int_t)s->batches, "failures_total",
		(json_int_t)s->failures, "duplicates_total", (json_int_t)s->dups,
		"breaker_opened_total", (json_int_t)s->opened, "consecutive_failures",
		(int)s->consecutive, "last_batch_ms", s->batch_ns_last / 1e6, "max_batch_ms",
		s->batch_ns_max / 1e6, "spool", "bytes", (json_int_t)st.bytes, "records",
		(json_int_t)st.records, "segments", (int)st.segments, "appended_total",
		(json_int_t)st.appended, "replayed_total", (json_int_t)st.replayed,
		"dropped_full_total", (json_int_t)st.dropped_full, "corrupt_total",
		(json_int_t)st.corrupt, "write_errors_total", (json_int_t)st.write_errors,
		"fsyncs_total", (json_int_t)st.fsyncs, "last_error", hp_json_text(s->last_error));
	pthread_mutex_unlock(&s->mu);
	return j;
}

void
hp_sink_metrics(struct hp_sink *s, FILE *f)
{
	struct hp_spool_stats st;
	const char *n = s->ops->name;

	pthread_mutex_lock(&s->mu);
	hp_spool_get_stats(s->spool, &st);
	fprintf(f, "hookpath_sink_events_sent_total{sink=\"%s\"} %" PRIu64 "\n", n, s->sent);
	fprintf(f, "hookpath_sink_duplicates_total{sink=\"%s\"} %" PRIu64 "\n", n, s->dups);
	fprintf(f, "hookpath_sink_batches_total{sink=\"%s\"} %" PRIu64 "\n", n, s->batches);
	fprintf(f, "hookpath_sink_failures_total{sink=\"%s\"} %" PRIu64 "\n", n, s->failures);
	fprintf(f, "hookpath_sink_breaker_opened_total{sink=\"%s\"} %" PRIu64 "\n", n, s->opened);
	for (int b = 0; b < 3; b++)
		fprintf(f, "hookpath_sink_breaker_state{sink=\"%s\",state=\"%s\"} %d\n", n,
			br_names[b], (int)s->br == b);
	fprintf(f, "hookpath_sink_window{sink=\"%s\"} %u\n", n, s->window);
	fprintf(f, "hookpath_sink_queued{sink=\"%s\"} %" PRIu64 "\n", n, q_count(s));
	fprintf(f, "hookpath_sink_spool_bytes{sink=\"%s\"} %" PRIu64 "\n", n, st.bytes);
	fprintf(f, "hookpath_sink_spool_records{sink=\"%s\"} %" PRIu64 "\n", n, st.records);
	fprintf(f, "hookpath_sink_spool_appended_total{sink=\"%s\"} %" PRIu64 "\n", n, st.appended);
	fprintf(f, "hookpath_sink_spool_replayed_total{sink=\"%s\"} %" PRIu64 "\n", n, st.replayed);
	fprintf(f, "hookpath_sink_spool_dropped_total{sink=\"%s\"} %" PRIu64 "\n", n,
		st.dropped_full);
	fprintf(f, "hookpath_sink_spool_corrupt_total{sink=\"%s\"} %" PRIu64 "\n", n, st.corrupt);
	pthread_mutex_unlock(&s->mu);
}
