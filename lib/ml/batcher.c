/* SPDX-License-Identifier: BSD-3-Clause
 * Dynamic batching (see batcher.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batcher.h"

int
hp_batcher_init(struct hp_batcher *b, const struct hp_batcher_config *cfg, char *err, size_t errlen)
{
	memset(b, 0, sizeof(*b));
	if (cfg->max_batch == 0) {
		snprintf(err, errlen, "max_batch: must be at least 1");
		return -1;
	}
	if (cfg->min_batch == 0 || cfg->min_batch > cfg->max_batch) {
		snprintf(err, errlen, "min_batch: must be 1..max_batch (%u)", cfg->max_batch);
		return -1;
	}
	if (cfg->queue_max < cfg->max_batch) {
		snprintf(err, errlen, "queue: must hold at least max_batch (%u) rows",
			 cfg->max_batch);
		return -1;
	}
	for (unsigned int i = 0; i < HP_BATCHER_MAX_PREFERRED && cfg->preferred[i] != 0; i++) {
		if (cfg->preferred[i] > cfg->max_batch ||
		    (i > 0 && cfg->preferred[i] <= cfg->preferred[i - 1])) {
			snprintf(err, errlen,
				 "preferred_batch_sizes: increasing sizes up to max_batch (%u)",
				 cfg->max_batch);
			return -1;
		}
	}
	b->arrival = calloc(cfg->queue_max, sizeof(*b->arrival));
	if (b->arrival == NULL) {
		snprintf(err, errlen, "queue: out of memory for %u rows", cfg->queue_max);
		return -1;
	}
	b->cfg = *cfg;
	b->limit = cfg->max_batch;
	return 0;
}

void
hp_batcher_fini(struct hp_batcher *b)
{
	free(b->arrival);
	b->arrival = NULL;
}

bool
hp_batcher_push(struct hp_batcher *b, uint64_t now_us)
{
	if (b->queued >= b->cfg.queue_max) {
		b->refused++;
		return false;
	}
	b->arrival[(b->ring_head + b->queued) % b->cfg.queue_max] = now_us;
	if (b->queued == 0)
		b->head_us = now_us;
	b->queued++;
	return true;
}

/* The largest preferred size that the rows waiting fill, 0 if none. */
static uint32_t
preferred_fit(const struct hp_batcher *b)
{
	uint32_t best = 0;

	for (unsigned int i = 0; i < HP_BATCHER_MAX_PREFERRED && b->cfg.preferred[i] != 0; i++)
		if (b->cfg.preferred[i] <= b->queued && b->cfg.preferred[i] <= b->limit)
			best = b->cfg.preferred[i];
	return best;
}

uint32_t
hp_batcher_poll(struct hp_batcher *b, uint64_t now_us, enum hp_batch_why *why)
{
	uint32_t n = 0, pref;
	bool quiet = b->queued == b->seen;

	b->seen = b->queued;
	if (b->queued == 0)
		return 0;
	if (b->queued >= b->limit) {
		n = b->limit;
		*why = HP_BATCH_FULL;
	} else if (now_us - b->head_us >= b->cfg.max_delay_us) {
		/* the oldest row's delay ran out: what waits goes, at the best size for the
		 * backend that does not leave the oldest rows behind */
		n = b->queued;
		*why = HP_BATCH_DELAY;
	} else if (quiet && (pref = preferred_fit(b)) != 0) {
		/* nothing arrived since the last look: a preferred size goes without waiting for
		 * the delay */
		n = pref;
		*why = HP_BATCH_PREFERRED;
	}
	return n;
}

void
hp_batcher_sent(struct hp_batcher *b, uint32_t n, enum hp_batch_why why)
{
	if (n > b->queued)
		n = b->queued;
	b->ring_head = (b->ring_head + n) % b->cfg.queue_max;
	b->queued -= n;
	b->seen = b->queued;
	if (b->queued != 0)
		b->head_us = b->arrival[b->ring_head];
	b->batches++;
	b->rows += n;
	b->by_reason[why]++;
}

void
hp_batcher_drop(struct hp_batcher *b, uint32_t n)
{
	if (n > b->queued)
		n = b->queued;
	b->ring_head = (b->ring_head + n) % b->cfg.queue_max;
	b->queued -= n;
	b->seen = b->queued;
	if (b->queued != 0)
		b->head_us = b->arrival[b->ring_head];
}

void
hp_batcher_done(struct hp_batcher *b, uint64_t latency_us)
{
	if (b->cfg.target_us == 0)
		return;
	if (latency_us > b->cfg.target_us) {
		uint32_t half = b->limit / 2;

		b->limit = half < b->cfg.min_batch ? b->cfg.min_batch : half;
		b->decreases++;
	} else if (b->limit < b->cfg.max_batch) {
		b->limit++;
		b->increases++;
	}
}

uint64_t
hp_batcher_deadline(const struct hp_batcher *b)
{
	return b->queued != 0 ? b->head_us + b->cfg.max_delay_us : UINT64_MAX;
}
