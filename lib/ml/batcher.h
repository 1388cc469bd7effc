/* SPDX-License-Identifier: BSD-3-Clause
 * Dynamic batching of scoring requests (Triton's dynamic batcher semantics), as pure logic: the
 * caller owns the rows and the clock; this decides when a batch goes and how big it is.
 *
 *   - a bounded queue (queue_max rows): a push beyond it is refused (the caller counts the score
 *     as dropped; nobody waits);
 *   - a batch goes as soon as max_batch rows wait, or when the oldest row has waited
 *     max_delay_us (a partial batch), or at once when a preferred size is reached and nothing
 *     more arrived since the last look (the backend is fastest at those sizes);
 *   - the batch size limit adapts to a latency target (AIMD): a batch that took longer than
 *     target_us halves the limit (not below min_batch), one that took less adds one (up to
 *     max_batch). target_us 0: no adaptation.
 *
 * Times are microseconds of any monotonic clock; no allocation after init.
 */
#ifndef HP_ML_BATCHER_H
#define HP_ML_BATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HP_BATCHER_MAX_PREFERRED 4

struct hp_batcher_config {
	uint32_t max_batch;    /* rows per batch, at most */
	uint32_t min_batch;    /* AIMD floor (>= 1) */
	uint32_t max_delay_us; /* a row waits at most this before its batch goes */
	uint32_t queue_max;    /* rows waiting, at most */
	uint32_t target_us;    /* batch latency target of the AIMD adjustment (0: off) */
	uint32_t preferred[HP_BATCHER_MAX_PREFERRED]; /* preferred sizes, 0-terminated */
};

enum hp_batch_why {
	HP_BATCH_FULL = 0,  /* the size limit was reached */
	HP_BATCH_DELAY,     /* the oldest row waited max_delay_us */
	HP_BATCH_PREFERRED, /* a preferred size waits and nothing more came */
	HP_BATCH__MAX,
};

struct hp_batcher {
	struct hp_batcher_config cfg;
	uint32_t limit;  /* the batch size now (AIMD), min_batch..max_batch */
	uint32_t queued; /* rows waiting */
	uint32_t seen; /* rows queued at the last look (a preferred size waits for a quiet look) */
	uint64_t head_us;  /* arrival of the oldest waiting row */
	uint64_t *arrival; /* ring of queue_max arrival times */
	uint32_t ring_head;
	/* statistics */
	uint64_t batches, rows, refused, decreases, increases;
	uint64_t by_reason[HP_BATCH__MAX]; /* batches sent, by why */
};

/* 0, or -1 with a message naming the bad field (the config is checked whole). */
int hp_batcher_init(struct hp_batcher *b, const struct hp_batcher_config *cfg, char *err,
		    size_t errlen);
void hp_batcher_fini(struct hp_batcher *b);

/* One row arrives at now_us: true, or false when the queue is full (refused, counted). */
bool hp_batcher_push(struct hp_batcher *b, uint64_t now_us);

/* Should a batch go now? Its size (<= the rows waiting), and why; 0 when it should wait. The
 * caller then takes that many rows from the front of its queue and calls hp_batcher_sent. */
uint32_t hp_batcher_poll(struct hp_batcher *b, uint64_t now_us, enum hp_batch_why *why);
void hp_batcher_sent(struct hp_batcher *b, uint32_t n, enum hp_batch_why why);

/* The n oldest rows leave without a batch (answered otherwise by the caller: a remote
 * backend's breaker is open); not counted as a batch. */
void hp_batcher_drop(struct hp_batcher *b, uint32_t n);

/* A batch was scored in latency_us: the AIMD step. */
void hp_batcher_done(struct hp_batcher *b, uint64_t latency_us);

/* When the oldest waiting row's delay runs out (UINT64_MAX: nothing waits): how long the
 * caller may sleep. */
uint64_t hp_batcher_deadline(const struct hp_batcher *b);

#endif /* HP_ML_BATCHER_H */
