/* SPDX-License-Identifier: BSD-3-Clause
 * Replay cache (lib/dedup): one table shared by every worker, answering "have I seen this
 * webhook within its TTL?" and recording it in the same atomic step.
 *
 * Keys are 16 bytes (the caller hashes endpoint + dedup key with SHA-256 and keeps 128 bits, so
 * nobody can aim a key at another endpoint's). Each entry carries its own expiry (ms), so
 * endpoints with different TTLs share one table.
 *
 * Contract
 * - hp_dedup_check_insert() is called by any number of workers at once. For a given key,
 *   among all calls whose now_ms falls inside one TTL window, exactly one returns
 *   HP_DEDUP_FIRST; the others return HP_DEDUP_DUPLICATE. No locks are held by the caller;
 *   see docs/DEDUP.md for what the implementation does underneath.
 * - It never allocates, never blocks for I/O, and is bounded: when no slot can be found it
 *   returns HP_DEDUP_FULL (nothing recorded; the caller must not accept what it cannot
 *   record), and when a key is being reclaimed by the sweeper at that very moment and stays so
 *   for the bounded retry budget, HP_DEDUP_BUSY (same rule).
 * - Expired entries are reclaimed by hp_dedup_sweep(), run by the control thread; with an RCU
 *   QSBR variable attached (hp_dedup_rcu_attach), freed slots are reused only after every
 *   worker reported a quiescent state, so a worker never sees a slot change under it.
 * - Bounded size: `entries` slots. Documented eviction: expired entries first (sweep); when
 *   the table is above its high watermark after that, the sweeper evicts the live entries
 *   closest to expiry (counted as evicted_live) so new webhooks keep being recorded.
 */
#ifndef HP_DEDUP_H
#define HP_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HP_DEDUP_KEY_LEN 16

/* The sweep reclaims an entry only once now_ms >= expiry + this slack, so a worker whose
 * now_ms lags the sweeper's (read before a preemption, or another core's clock) by less than
 * the slack still finds the entry and answers DUPLICATE. Evictions above the high watermark
 * ignore it. */
#define HP_DEDUP_SWEEP_SLACK_MS 1000

struct rte_rcu_qsbr;
struct hp_dedup;

struct hp_dedup_config {
	const char *name;        /* unique per process (rte_hash / memzone names) */
	uint32_t entries;        /* capacity, >= 64 */
	int socket;              /* NUMA socket for the table (SOCKET_ID_ANY ok) */
	uint32_t high_watermark_pct; /* sweep evicts live entries above this fill, in [50, 100];
				      * 0 = 90 */
};

enum hp_dedup_result {
	HP_DEDUP_FIRST = 0,   /* not seen within its TTL: now recorded */
	HP_DEDUP_DUPLICATE,   /* seen, and its entry has not expired */
	HP_DEDUP_FULL,        /* could not record: no room */
	HP_DEDUP_BUSY,        /* could not record: key being reclaimed, retry budget spent */
};

struct hp_dedup_stats {
	uint64_t entries;        /* entries present now (live or expired, not yet swept) */
	uint64_t capacity;
	uint64_t swept;          /* expired entries reclaimed */
	uint64_t evicted_live;   /* live entries evicted above the high watermark */
	/* Added with the implementation (appended; nothing above changed): */
	uint64_t pending;        /* removed, position waiting for its RCU grace period */
	uint64_t first;          /* hp_dedup_check_insert results, summed over lcores */
	uint64_t duplicate;
	uint64_t full;           /* could not record: no free slot */
	uint64_t busy;           /* could not record: slot being reclaimed (or no lcore id) */
};

struct hp_dedup *hp_dedup_create(const struct hp_dedup_config *cfg, char *err, size_t errlen);
void hp_dedup_free(struct hp_dedup *d);

/* Attach the workers' QSBR variable (workers call rte_rcu_qsbr_quiescent once per loop).
 * Without it, the caller guarantees no worker runs during hp_dedup_sweep(). */
int hp_dedup_rcu_attach(struct hp_dedup *d, struct rte_rcu_qsbr *qsv);

/* Worker, fast path. now_ms: a clock common to all callers (e.g. CLOCK_REALTIME ms);
 * ttl_ms > 0. */
enum hp_dedup_result hp_dedup_check_insert(struct hp_dedup *d, const uint8_t key[HP_DEDUP_KEY_LEN],
					   uint64_t now_ms, uint64_t ttl_ms);

/* Read-only lookup: true if key is recorded and live at now_ms. */
bool hp_dedup_contains(struct hp_dedup *d, const uint8_t key[HP_DEDUP_KEY_LEN], uint64_t now_ms);

/* Control thread: reclaim up to budget expired entries (0 = no limit), then evict above the
 * high watermark. Returns the number of entries removed. */
unsigned int hp_dedup_sweep(struct hp_dedup *d, uint64_t now_ms, unsigned int budget);

void hp_dedup_get_stats(struct hp_dedup *d, struct hp_dedup_stats *out);

const char *hp_dedup_result_name(enum hp_dedup_result r);

#endif /* HP_DEDUP_H */
