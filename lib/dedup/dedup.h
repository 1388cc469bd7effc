/* SPDX-License-Identifier: BSD-3-Clause
 * Replay cache (lib/dedup): one table shared by every worker, answering "have I seen this
 * webhook within its TTL?" and recording it in the same atomic step.
 *
 * Keys are 16 bytes (the caller hashes endpoint + dedup key with SHA-256 and keeps 128 bits, so
 * nobody can aim a key at another endpoint's). Each entry carries its own expiry (ms), so
 * endpoints with different TTLs share one table. The table is split by key hash into
 * partitions (a key lives in exactly one), so that inserts on different workers take
 * different writer locks; capacity and the high watermark apply per partition.
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
 * - Bounded size: `entries` slots, ceil(entries / partitions) in each partition (a partition
 *   answers FULL when it holds its share, whatever the others hold). Documented eviction: expired
 * entries first (sweep); when a partition is above its high watermark after that, the sweeper
 * evicts its live entries closest to expiry (counted as evicted_live) so new webhooks keep being
 * recorded.
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
	const char *name;            /* unique per process (rte_hash / memzone names) */
	uint32_t entries;            /* capacity, >= 64 */
	int socket;                  /* NUMA socket for the table (SOCKET_ID_ANY ok) */
	uint32_t high_watermark_pct; /* sweep evicts live entries above this fill, in [50, 100];
				      * 0 = 90 */
	/* Appended: independent sub-tables the keys are spread over by hash, each with its own
	 * writer lock, so that first sightings on different workers rarely meet (docs/DEDUP.md
	 * "Partitions"). 0 = by size: one per 8192 entries, a power of two, at most
	 * HP_DEDUP_MAX_PARTITIONS; else a power of two <= HP_DEDUP_MAX_PARTITIONS leaving each
	 * partition >= 64 entries. */
	uint32_t partitions;
};

#define HP_DEDUP_MAX_PARTITIONS 64

enum hp_dedup_result {
	HP_DEDUP_FIRST = 0, /* not seen within its TTL: now recorded */
	HP_DEDUP_DUPLICATE, /* seen, and its entry has not expired */
	HP_DEDUP_FULL,      /* could not record: no room */
	HP_DEDUP_BUSY,      /* could not record: key being reclaimed, retry budget spent */
};

struct hp_dedup_stats {
	uint64_t entries; /* entries present now (live or expired, not yet swept) */
	uint64_t capacity;
	uint64_t swept;        /* expired entries reclaimed */
	uint64_t evicted_live; /* live entries evicted above the high watermark */
	/* Added with the implementation (appended; nothing above changed): */
	uint64_t pending; /* removed, position waiting for its RCU grace period */
	uint64_t first;   /* hp_dedup_check_insert results, summed over lcores */
	uint64_t duplicate;
	uint64_t full;       /* could not record: no free slot */
	uint64_t busy;       /* could not record: slot being reclaimed (or no lcore id) */
	uint64_t partitions; /* sub-tables (appended) */
};

/* Without hugepages (--no-huge) the table's memory is written once here, so that the first
 * inserts after a start do not take page faults on the workers (~50-90 ms for 1 Mi entries;
 * docs/DEDUP.md "First requests after a start"). */
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

/* ---- Across restarts: the snapshot file (docs/DEDUP.md "Across restarts") ----
 *
 * Format, little-endian, version 1:
 *   header   32 B  magic "HPREPLAY", u32 version (1), u32 key length (16), u64 entry count,
 *                  u64 wall clock (ms) when the scan started
 *   entries  count x 24 B: the 16-byte key, u64 absolute expiry (ms, the clock of now_ms)
 *   trailer  4 B   u32 CRC-32C (Castagnoli, as crc32c() elsewhere) of the entries followed
 *                  by the header: the writer streams the entries and writes the header last
 * Only live entries are written (expiry > now_ms when their position is scanned).
 *
 * Writing is atomic: everything goes to "<path>.tmp" (mode 0600), which is fsync'ed, renamed
 * over path, and the directory fsync'ed. A crash at any point leaves path as it was (the
 * previous complete snapshot, or none) and at worst a stale .tmp that the next save truncates.
 *
 * Concurrency. A save scans the table's own position array (expiry[], see dedup.c), never
 * rte_hash_iterate: in lock-free mode a concurrent insert may cuckoo-move a key from a bucket
 * not yet visited to one already visited, so a bucket walk can miss a key that was present
 * the whole time; positions never move. Saves run while any number of workers call
 * hp_dedup_check_insert: an entry live when the scan starts and not removed by a sweep before
 * its position is scanned is in the file; an entry inserted meanwhile may or may not be (it
 * goes into the next snapshot). Saves and loads must not run at the same time as
 * hp_dedup_sweep() (run all three from one control thread: the sweep is what frees and reuses
 * positions); between two save steps the sweep may run. One save of a table at a time.
 * The calling thread needs an lcore id for hp_dedup_load (as for hp_dedup_check_insert).
 */
#define HP_DEDUP_SNAP_VERSION 1

/* What a load found. */
struct hp_dedup_load_info {
	bool missing;      /* no file: nothing loaded (not an error) */
	uint64_t in_file;  /* entries in the file */
	uint64_t loaded;   /* recorded in the table */
	uint64_t expired;  /* skipped: expired at now_ms */
	uint64_t full;     /* skipped: the table had no room (it is smaller than the one
			    * saved); the closest to expiry go first at the next sweep anyway */
	uint64_t saved_ms; /* the header's clock: when the snapshot was taken */
};

/* Load path into d: each live entry is recorded with its saved expiry (an entry already in
 * the table keeps the later of the two). Returns the number of entries loaded (>= 0; 0 with
 * info->missing set when path does not exist), or a negative errno with a message naming the
 * file and the cause, and then NOTHING was loaded: -EBADMSG corrupt (bad magic, CRC
 * mismatch, size not matching the entry count: truncated or trailing bytes), -EPROTO
 * another format version, -EINVAL no lcore id, other -errno from open/read. The whole file
 * is checked before the first entry is recorded. info may be NULL. */
int64_t hp_dedup_load(struct hp_dedup *d, const char *path, uint64_t now_ms,
		      struct hp_dedup_load_info *info, char *err, size_t errlen);

/* Incremental save, for the control loop (bounded work per call):
 *   s = hp_dedup_save_begin(d, path, now_ms, ...)     opens path.tmp; NULL + errno on error
 *   while ((r = hp_dedup_save_step(s, now_ms, budget, ...)) == 0) ... one call per loop turn
 *   r == 1: n = hp_dedup_save_end(s, ...)      header, CRC, fsync, rename, directory fsync
 *   r < 0 (or giving up): hp_dedup_save_abort(s)          removes path.tmp
 * step scans at most budget positions (0 = all that are left) and hands what it wrote to the
 * kernel's writeback (sync_file_range), so that the final fsync in end has little left to
 * wait for; returns 0 (more to scan), 1 (scan complete) or -errno with a message. end frees
 * s whatever happens and returns the entries written or -errno (path.tmp removed). */
struct hp_dedup_snap;
struct hp_dedup_snap *hp_dedup_save_begin(struct hp_dedup *d, const char *path, uint64_t now_ms,
					  char *err, size_t errlen);
int hp_dedup_save_step(struct hp_dedup_snap *s, uint64_t now_ms, uint32_t budget, char *err,
		       size_t errlen);
int64_t hp_dedup_save_end(struct hp_dedup_snap *s, char *err, size_t errlen);
void hp_dedup_save_abort(struct hp_dedup_snap *s);
/* Entries written so far by s (for progress reports). */
uint64_t hp_dedup_save_count(const struct hp_dedup_snap *s);

/* The whole save in one call (at stop, workers stopped; also fine while they run). Returns
 * the entries written or -errno with a message (path unchanged then). */
int64_t hp_dedup_save(struct hp_dedup *d, const char *path, uint64_t now_ms, char *err,
		      size_t errlen);

#endif /* HP_DEDUP_H */
