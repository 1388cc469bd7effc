/* SPDX-License-Identifier: BSD-3-Clause
 * Replay cache (see dedup.h for the contract, docs/DEDUP.md for the correctness argument).
 *
 * Two parts:
 * - rte_hashes (lock-free readers, extendable buckets), one per partition, each mapping a
 *   16-byte key to a stable position; a key's partition is a function of its hash, so a key
 *   lives in one partition only. Writers of a partition (inserting workers, the sweeper's
 *   deletes and frees) take that partition's spinlock: rte_hash in lock-free mode allows one
 *   writer with any number of lock-free readers. One lock per partition instead of rte_hash's
 *   MULTI_WRITER_ADD lock over the whole table: first sightings on different workers rarely
 *   meet (bench_dedup: 2 workers went from 1.2x to ~1.9x of one), and
 * - expiry[global position], one 64-bit word per position (partition p owns positions
 *   [p * stride, (p + 1) * stride)), which alone decides every answer:
 *     0          slot fresh (never claimed since its key was added): expired
 *     TOMBSTONE  the sweeper owns the slot: its key is being deleted, the slot will be freed
 *                after a grace period; nobody may claim it any more
 *     t          the entry is live while now < t
 *   A worker claims a sighting with one CAS old -> now + ttl, allowed only when old <= now and
 *   old != TOMBSTONE. A successful CAS always raises the value (now + ttl > now >= old), so a
 *   cell never returns to a value a stalled CAS expects (no ABA) until the slot is reset to 0,
 *   which happens only after a grace period, when no call that looked the slot up is running.
 *
 * The snapshot file (the table across restarts) is at the end of this file: it scans
 * expiry[] by position (never rte_hash_iterate, see dedup.h), so it can run while workers
 * insert.
 *
 * Fast path cost (bench_dedup, 2 vCPU EPYC): duplicate = one lock-free lookup + one load,
 * ~120-150 cycles; first sighting = lookup miss + rte_hash_add under the partition's lock (the
 * one lock under this API, see docs/DEDUP.md) + one CAS, ~360 cycles with 1 worker.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>
#include <rte_spinlock.h>

#include "dedup.h"

#define TOMBSTONE  UINT64_MAX
#define EXPIRY_MAX (UINT64_MAX - 1)

/* A worker that finds its key's slot tombstoned retries this many times (lookup again: the
 * sweeper deletes the key a few hundred cycles after the tombstone), then answers BUSY. */
#define BUSY_RETRIES 64

/* Names: rte_hash derives "HT_EXT_<hash name>" for a ring (RTE_RING_NAMESIZE, 29 with NUL). */
#define NAME_MAX_LEN 18

/* rte_hash (22.11) leaks a key slot when an add fails for want of an extendable bucket
 * (the ext-table -ENOSPC path returns without giving the slot back). So the buckets must
 * outlast the key slots, and the -ENOSPC seen is always alloc_slot's, which leaks nothing.
 * Without MULTI_WRITER_ADD a partition has exactly `entries` key slots and pow2(entries)
 * main-bucket slots: an extendable bucket is taken only by a full main bucket, so using all
 * of them would need more keys than there are slots. (With MULTI_WRITER_ADD, the per-lcore
 * caches added 127 * 63 slots and needed a 32 k floor.) */

/* Partitions by size: one per this many entries (docs/DEDUP.md "Partitions"). */
#define PART_MIN_ENTRIES 8192u

/* Positions waiting for their grace period; the sweep stops early when this is full. */
#define DQ_MAX 65536u

/* Eviction histogram: remaining lifetime binned log-linearly, 4 bins per power of two, so
 * "closest to expiry" is exact to within 19 % of the remaining lifetime. */
#define HIST_SUB  4
#define HIST_BINS (64 * HIST_SUB)

struct dedup_lcore_stats {
	uint64_t first;
	uint64_t duplicate;
	uint64_t full;
	uint64_t busy;
} __rte_cache_aligned;

/* A partition's writer lock, on its own cache line (the rte_hash pointers next to the other
 * read-only fields are read by every call). */
struct dedup_part_lock {
	rte_spinlock_t lock;
} __rte_cache_aligned;

struct hp_dedup {
	/* read-only after create */
	struct rte_hash *h[HP_DEDUP_MAX_PARTITIONS];
	uint64_t *expiry;    /* indexed by global position: partition * stride + rte_hash's */
	uint32_t n_parts;    /* a power of two */
	uint32_t stride;     /* positions per partition */
	uint32_t n_pos;      /* size of expiry[]: n_parts * stride */
	uint32_t entries;    /* configured capacity */
	uint32_t high_water; /* entries of a partition above which the sweep evicts live ones */
	uint32_t cursor;     /* where the next budgeted sweep resumes */
	struct rte_rcu_qsbr *qsv;
	struct rte_rcu_qsbr_dq *dq;
	uint32_t dq_size;
	uint32_t pending; /* positions in dq (written by the sweeping thread only) */
	uint32_t part_pending[HP_DEDUP_MAX_PARTITIONS]; /* the same, per partition */
	uint64_t swept; /* control thread writes, stats readers load */
	uint64_t evicted_live;
	char name[NAME_MAX_LEN + 1];
	struct dedup_part_lock lk[HP_DEDUP_MAX_PARTITIONS];
	/* [RTE_MAX_LCORE] is shared by threads without an lcore id (atomic adds). */
	struct dedup_lcore_stats lc[RTE_MAX_LCORE + 1];
	uint32_t hist[HIST_BINS]; /* sweep scratch */
};

/* The partition of a key from its rte_hash signature: the signature's low bits pick the
 * bucket and its high 16 bits are the short tag, so the partition comes from a multiplicative
 * mix of all of them (fast-range onto [0, n_parts)), not from either. */
static inline uint32_t
part_of(const struct hp_dedup *d, hash_sig_t sig)
{
	return (uint32_t)(((uint64_t)(uint32_t)(sig * 0x9e3779b1u) * d->n_parts) >> 32);
}

static inline struct dedup_lcore_stats *
lcore_stats(struct hp_dedup *d, unsigned int lcore)
{
	return &d->lc[lcore < RTE_MAX_LCORE ? lcore : RTE_MAX_LCORE];
}

/* Single writer per lcore slot: a relaxed load + store is enough and costs no locked op. */
static inline void
count(uint64_t *c, unsigned int lcore)
{
	if (likely(lcore < RTE_MAX_LCORE))
		__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* Keys are already SHA-256 output; CRC32 (two crc32q) spreads them over the buckets at a
 * fraction of jhash's cost. */
static uint32_t
key_hash(const void *key, uint32_t len, uint32_t init)
{
	return rte_hash_crc(key, len, init);
}

/* CRC-32C of len bytes at any alignment (rte_hash_crc loads 8 bytes at a time straight from
 * the pointer: undefined on the snapshot's byte buffers, which UBSan reports). */
static uint32_t
crc_bytes(const void *p, size_t len, uint32_t crc)
{
	const uint8_t *b = p;

	for (; len >= 8; b += 8, len -= 8) {
		uint64_t v;

		memcpy(&v, b, 8);
		crc = rte_hash_crc_8byte(v, crc);
	}
	for (; len != 0; b++, len--)
		crc = rte_hash_crc_1byte(*b, crc);
	return crc;
}

struct hp_dedup *
hp_dedup_create(const struct hp_dedup_config *cfg, char *err, size_t errlen)
{
	struct hp_dedup *d = NULL;
	char hname[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.name = hname,
		.key_len = HP_DEDUP_KEY_LEN,
		.hash_func = key_hash,
		/* LF: lookups take no lock and never see a torn entry, one writer at a time (the
		 * partition's lock); EXT_TABLE: a partition's keys always fit whatever the
		 * collisions (LF implies NO_FREE_ON_DEL: positions are freed by us, after a grace
		 * period). */
		.extra_flag =
			RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	uint32_t hwm, parts, per;
	int32_t max_id;

	if (cfg == NULL || cfg->name == NULL || cfg->name[0] == '\0') {
		snprintf(err, errlen, "dedup: a name is required");
		return NULL;
	}
	if (strlen(cfg->name) > NAME_MAX_LEN) {
		snprintf(err, errlen, "dedup %s: name longer than %d characters", cfg->name,
			 NAME_MAX_LEN);
		return NULL;
	}
	if (cfg->entries < 64 || cfg->entries > RTE_HASH_ENTRIES_MAX) {
		snprintf(err, errlen, "dedup %s: entries %" PRIu32 " outside [64, %u]", cfg->name,
			 cfg->entries, RTE_HASH_ENTRIES_MAX);
		return NULL;
	}
	hwm = cfg->high_watermark_pct ? cfg->high_watermark_pct : 90;
	if (hwm < 50 || hwm > 100) {
		snprintf(err, errlen, "dedup %s: high_watermark_pct %" PRIu32 " outside [50, 100]",
			 cfg->name, hwm);
		return NULL;
	}

	parts = cfg->partitions;
	if (parts == 0) {
		parts = 1;
		while (parts < HP_DEDUP_MAX_PARTITIONS &&
		       cfg->entries / (parts * 2) >= PART_MIN_ENTRIES)
			parts *= 2;
	} else if (!rte_is_power_of_2(parts) || parts > HP_DEDUP_MAX_PARTITIONS ||
		   cfg->entries / parts < 64) {
		snprintf(err, errlen,
			 "dedup %s: partitions %" PRIu32 ": a power of two <= %u leaving each "
			 ">= 64 entries",
			 cfg->name, parts, HP_DEDUP_MAX_PARTITIONS);
		return NULL;
	}
	per = (cfg->entries + parts - 1) / parts;

	d = rte_zmalloc_socket("hp_dedup", sizeof(*d), RTE_CACHE_LINE_SIZE, cfg->socket);
	if (d == NULL) {
		snprintf(err, errlen, "dedup %s: out of memory", cfg->name);
		return NULL;
	}
	snprintf(d->name, sizeof(d->name), "%s", cfg->name);
	d->n_parts = parts;
	/* Each partition its even share, no more: slack above a power of two would double
	 * rte_hash's buckets (memory, and tests run in -m 256). The spread of a hash is ~1 %
	 * at 16 k per partition, well inside the 10 % the default watermark keeps free. */
	p.entries = per;
	p.socket_id = cfg->socket;
	for (uint32_t i = 0; i < parts; i++) {
		rte_spinlock_init(&d->lk[i].lock);
		/* "d<2 hex><name>": rte_hash derives "HT_EXT_<that>" within RTE_RING_NAMESIZE */
		snprintf(hname, sizeof(hname), "d%02x%s", i, cfg->name);
		d->h[i] = rte_hash_create(&p);
		if (d->h[i] == NULL) {
			snprintf(err, errlen, "dedup %s: rte_hash_create (partition %u of %u): %s",
				 cfg->name, i, parts, rte_strerror(rte_errno));
			goto fail;
		}
		max_id = rte_hash_max_key_id(d->h[i]);
		if (max_id < 0 || (i > 0 && (uint32_t)max_id + 1 != d->stride)) {
			snprintf(err, errlen, "dedup %s: rte_hash_max_key_id failed", cfg->name);
			goto fail;
		}
		d->stride = (uint32_t)max_id + 1;
	}
	if ((uint64_t)d->stride * parts > INT32_MAX) {
		snprintf(err, errlen, "dedup %s: too many entries", cfg->name);
		goto fail;
	}
	d->n_pos = d->stride * parts;
	d->expiry = rte_zmalloc_socket("hp_dedup_expiry", (size_t)d->n_pos * sizeof(uint64_t),
				       RTE_CACHE_LINE_SIZE, cfg->socket);
	if (d->expiry == NULL) {
		snprintf(err, errlen, "dedup %s: out of memory for %" PRIu32 " expiry words",
			 cfg->name, d->n_pos);
		goto fail;
	}
	/* Without hugepages, fault the table's memory in now, at start-up, rather than on the
	 * workers: rte_zmalloc skips zeroing memory it knows to be clean, so on --no-huge
	 * (anonymous, lazily faulted) memory the first inserts after a start took page faults
	 * on fresh bucket pages (bench_snapshot, 1 Mi table: calls 2-100 ~17 k cycles each,
	 * calls 101-5000 4.5 k on average, ~620 in steady state; 2282 minor faults in the first
	 * 20 k inserts, 38 with this; in hookpath, webhooks 5-400 after a start at a median
	 * 30-45 us instead of 15). rte_hash_reset on the just-created table writes every
	 * bucket, extendable bucket and key slot (legal: nobody references the table yet); the
	 * memset does the same for expiry[]. Cost: ~50-90 ms at start for the default 1 Mi
	 * entries. Hugepages are faulted in by DPDK when it allocates them. */
	if (!rte_eal_has_hugepages()) {
		for (uint32_t i = 0; i < parts; i++)
			rte_hash_reset(d->h[i]);
		memset(d->expiry, 0, (size_t)d->n_pos * sizeof(uint64_t));
	}
	d->entries = cfg->entries;
	d->high_water = (uint32_t)((uint64_t)per * hwm / 100);
	return d;
fail:
	hp_dedup_free(d);
	return NULL;
}

void
hp_dedup_free(struct hp_dedup *d)
{
	if (d == NULL)
		return;
	if (d->dq != NULL && rte_rcu_qsbr_dq_delete(d->dq) != 0) {
		/* Positions still inside their grace period: the caller stopped the workers (or
		 * they went offline), so one synchronize ends it. */
		rte_rcu_qsbr_synchronize(d->qsv, RTE_QSBR_THRID_INVALID);
		rte_rcu_qsbr_dq_delete(d->dq);
	}
	for (uint32_t i = 0; i < d->n_parts; i++)
		rte_hash_free(d->h[i]);
	rte_free(d->expiry);
	rte_free(d);
}

/* Defer-queue callback, runs on the sweeping thread once no worker can still hold `pos` from
 * a lookup. The reset to 0 ("fresh, expired") comes before the position returns to the free
 * list, so whoever is given it next starts from "expired" and its first CAS wins; the release
 * orders the reset before the free-ring enqueue the next owner dequeues from. */
static void
release_pos(struct hp_dedup *d, uint32_t pos)
{
	uint32_t part = pos / d->stride;

	__atomic_store_n(&d->expiry[pos], 0, __ATOMIC_RELEASE);
	/* a writer of the partition: its free-slot ring is single-producer */
	rte_spinlock_lock(&d->lk[part].lock);
	rte_hash_free_key_with_position(d->h[part], (int32_t)(pos - part * d->stride));
	rte_spinlock_unlock(&d->lk[part].lock);
}

static void
dq_free(void *p, void *e, unsigned int n)
{
	struct hp_dedup *d = p;
	const uint32_t *pos = e;

	for (unsigned int i = 0; i < n; i++) {
		uint32_t part = pos[i] / d->stride;

		release_pos(d, pos[i]);
		__atomic_store_n(&d->pending, d->pending - 1, __ATOMIC_RELAXED);
		__atomic_store_n(&d->part_pending[part], d->part_pending[part] - 1,
				 __ATOMIC_RELAXED);
	}
}

int
hp_dedup_rcu_attach(struct hp_dedup *d, struct rte_rcu_qsbr *qsv)
{
	char qname[RTE_RCU_QSBR_DQ_NAMESIZE];
	struct rte_rcu_qsbr_dq_parameters p = {
		.name = qname,
		/* enqueue and reclaim happen only in hp_dedup_sweep (one control thread) */
		.flags = RTE_RCU_QSBR_DQ_MT_UNSAFE,
		.esize = sizeof(uint32_t),
		/* no automatic reclaim inside enqueue: the sweep reclaims explicitly */
		.trigger_reclaim_limit = UINT32_MAX,
		.max_reclaim_size = 0,
		.free_fn = dq_free,
		.p = d,
		.v = qsv,
	};

	if (d == NULL || qsv == NULL)
		return -EINVAL;
	if (d->qsv != NULL)
		return -EEXIST;
	p.size = RTE_MIN(d->n_pos, DQ_MAX);
	snprintf(qname, sizeof(qname), "dq_%s", d->name);
	d->dq = rte_rcu_qsbr_dq_create(&p);
	if (d->dq == NULL)
		return -rte_errno;
	d->dq_size = p.size;
	d->qsv = qsv;
	return 0;
}

enum hp_dedup_result
hp_dedup_check_insert(struct hp_dedup *d, const uint8_t key[HP_DEDUP_KEY_LEN], uint64_t now_ms,
		      uint64_t ttl_ms)
{
	const unsigned int lcore = rte_lcore_id();
	struct dedup_lcore_stats *st = lcore_stats(d, lcore);
	const hash_sig_t sig = key_hash(key, HP_DEDUP_KEY_LEN, 0);
	const uint32_t part = part_of(d, sig);
	struct rte_hash *h = d->h[part];
	uint64_t *expiry = d->expiry + (size_t)part * d->stride;
	uint64_t exp;

	/* ttl 0 would let two calls at the same now both win (old == now is "expired"). */
	if (unlikely(ttl_ms == 0))
		ttl_ms = 1;
	/* saturate at EXPIRY_MAX: never wrap, never reach TOMBSTONE (a ttl near UINT64_MAX
	 * wrapped before: "EXPIRY_MAX - ttl" underflowed) */
	exp = now_ms >= EXPIRY_MAX || ttl_ms > EXPIRY_MAX - now_ms ? EXPIRY_MAX : now_ms + ttl_ms;

	for (unsigned int tries = 0; tries < BUSY_RETRIES; tries++) {
		int32_t pos = rte_hash_lookup_with_hash(h, key, sig);
		uint64_t old;

		if (pos < 0) {
			/* Workers are EAL lcores (the per-lcore counters; kept from the
			 * MULTI_WRITER_ADD design, whose free-slot caches needed it). */
			if (unlikely(lcore >= RTE_MAX_LCORE))
				break;
			/* Serialised by the partition's lock; two workers adding the same key get
			 * the same position (rte_hash's add finds the key the other one added). */
			rte_spinlock_lock(&d->lk[part].lock);
			pos = rte_hash_add_key_with_hash(h, key, sig);
			rte_spinlock_unlock(&d->lk[part].lock);
			if (unlikely(pos < 0)) {
				count(&st->full, lcore);
				return HP_DEDUP_FULL;
			}
		}
		old = __atomic_load_n(&expiry[pos], __ATOMIC_ACQUIRE);
		while (old != TOMBSTONE) {
			if (old > now_ms) {
				count(&st->duplicate, lcore);
				return HP_DEDUP_DUPLICATE;
			}
			/* On failure `old` is reloaded: someone refreshed it (then it is live:
			 * duplicate) or the sweeper tombstoned it (look the key up again). */
			if (__atomic_compare_exchange_n(&expiry[pos], &old, exp, false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				count(&st->first, lcore);
				return HP_DEDUP_FIRST;
			}
		}
		rte_pause();
	}
	count(&st->busy, lcore);
	return HP_DEDUP_BUSY;
}

bool
hp_dedup_contains(struct hp_dedup *d, const uint8_t key[HP_DEDUP_KEY_LEN], uint64_t now_ms)
{
	const hash_sig_t sig = key_hash(key, HP_DEDUP_KEY_LEN, 0);
	const uint32_t part = part_of(d, sig);
	int32_t pos = rte_hash_lookup_with_hash(d->h[part], key, sig);
	uint64_t v;

	if (pos < 0)
		return false;
	v = __atomic_load_n(&d->expiry[(size_t)part * d->stride + (uint32_t)pos], __ATOMIC_ACQUIRE);
	return v != TOMBSTONE && v > now_ms;
}

/* Take position `pos` whose expiry word was seen as `seen`: tombstone it (only if nobody
 * changed it since), delete its key, then free the position after a grace period (or at once
 * without RCU, the caller having stopped the workers). Returns false if a worker got there
 * first (it refreshed the entry, so it is no longer a candidate). */
static bool
remove_pos(struct hp_dedup *d, uint32_t pos, uint64_t seen)
{
	const uint32_t part = pos / d->stride, lpos = pos - part * d->stride;
	uint8_t key[HP_DEDUP_KEY_LEN];
	int32_t del;
	void *kp;

	if (!__atomic_compare_exchange_n(&d->expiry[pos], &seen, TOMBSTONE, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return false;
	/* From here the slot is ours: no worker can claim it, and its key cannot change. Only
	 * the sweeper deletes, so the key is at `pos`; if rte_hash ever disagreed, freeing the
	 * position would hand out a slot its key still maps to: leave it tombstoned instead. */
	if (rte_hash_get_key_with_position(d->h[part], (int32_t)lpos, &kp) != 0)
		return true;
	memcpy(key, kp, sizeof(key));
	rte_spinlock_lock(&d->lk[part].lock);
	del = rte_hash_del_key(d->h[part], key);
	rte_spinlock_unlock(&d->lk[part].lock);
	if (del != (int32_t)lpos)
		return true;
	if (d->dq != NULL) {
		/* Room was checked by the caller (dq_room). */
		rte_rcu_qsbr_dq_enqueue(d->dq, &pos);
		__atomic_store_n(&d->pending, d->pending + 1, __ATOMIC_RELAXED);
		__atomic_store_n(&d->part_pending[part], d->part_pending[part] + 1,
				 __ATOMIC_RELAXED);
	} else {
		release_pos(d, pos);
	}
	return true;
}

/* Can one more position be deferred? Reclaims finished grace periods first. */
static bool
dq_room(struct hp_dedup *d)
{
	if (d->dq == NULL || d->pending < d->dq_size)
		return true;
	rte_rcu_qsbr_dq_reclaim(d->dq, d->dq_size, NULL, NULL, NULL);
	return d->pending < d->dq_size;
}

static inline unsigned int
hist_bin(uint64_t remaining)
{
	unsigned int e, sub;

	if (remaining < HIST_SUB)
		return (unsigned int)remaining;
	e = 63u - (unsigned int)__builtin_clzll(remaining);          /* >= 2 */
	sub = (unsigned int)(remaining >> (e - 2)) & (HIST_SUB - 1); /* next 2 bits */
	return (e - 1) * HIST_SUB + sub;
}

static uint32_t
part_entries(struct hp_dedup *d, uint32_t part)
{
	int32_t c = rte_hash_count(d->h[part]);
	uint32_t pending = __atomic_load_n(&d->part_pending[part], __ATOMIC_RELAXED);

	/* rte_hash counts tombstoned positions until they are freed */
	return c > (int32_t)pending ? (uint32_t)c - pending : 0;
}

static uint32_t
table_entries(struct hp_dedup *d)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < d->n_parts; i++)
		n += part_entries(d, i);
	return n;
}

/* Above the high watermark, partition `part`: evict its live entries closest to expiry, down
 * to the watermark, at most `limit`. Returns the entries removed; adds to *swept / *evicted. */
static unsigned int
evict_part(struct hp_dedup *d, uint32_t part, uint64_t now_ms, unsigned int limit,
	   unsigned int *swept, unsigned int *evicted)
{
	const uint32_t lo = part * d->stride, hi = lo + d->stride;
	uint32_t used = part_entries(d, part), need, cut, cut_quota;
	unsigned int removed = 0;
	uint64_t below;

	if (used <= d->high_water || limit == 0)
		return 0;
	need = RTE_MIN(used - d->high_water, limit);
	memset(d->hist, 0, sizeof(d->hist));
	for (uint32_t pos = lo; pos < hi; pos++) {
		uint64_t v = __atomic_load_n(&d->expiry[pos], __ATOMIC_RELAXED);

		if (v != 0 && v != TOMBSTONE)
			d->hist[v > now_ms ? hist_bin(v - now_ms) : 0]++;
	}
	below = 0;
	for (cut = 0; cut < HIST_BINS - 1 && below + d->hist[cut] < need; cut++)
		below += d->hist[cut];
	cut_quota = need - (uint32_t)RTE_MIN(below, need); /* how many to take from bin `cut` */
	for (uint32_t pos = lo; pos < hi && need > 0; pos++) {
		uint64_t v = __atomic_load_n(&d->expiry[pos], __ATOMIC_RELAXED);
		unsigned int b;

		if (v == 0 || v == TOMBSTONE)
			continue;
		b = v > now_ms ? hist_bin(v - now_ms) : 0;
		if (b > cut || (b == cut && cut_quota == 0))
			continue;
		if (!dq_room(d))
			break;
		if (!remove_pos(d, pos, v))
			continue;
		if (b == cut)
			cut_quota--;
		need--;
		removed++;
		if (v > now_ms)
			(*evicted)++;
		else
			(*swept)++;
	}
	return removed;
}

unsigned int
hp_dedup_sweep(struct hp_dedup *d, uint64_t now_ms, unsigned int budget)
{
	const unsigned int limit = budget ? budget : UINT_MAX;
	unsigned int removed = 0, swept = 0, evicted = 0;
	uint64_t reclaim_before;

	/* rte_hash returns freed positions to the caller's per-lcore cache. */
	if (rte_lcore_id() >= RTE_MAX_LCORE)
		return 0;
	if (d->dq != NULL)
		rte_rcu_qsbr_dq_reclaim(d->dq, d->dq_size, NULL, NULL, NULL);

	/* 1. Expired entries (by more than the slack), resuming where the last budgeted pass
	 * stopped. */
	reclaim_before = now_ms > HP_DEDUP_SWEEP_SLACK_MS ? now_ms - HP_DEDUP_SWEEP_SLACK_MS : 0;
	for (uint32_t n = 0; n < d->n_pos && removed < limit; n++) {
		uint32_t pos = d->cursor;
		uint64_t v = __atomic_load_n(&d->expiry[pos], __ATOMIC_RELAXED);

		if (v == 0 || v == TOMBSTONE || v > reclaim_before) {
			d->cursor = pos + 1 == d->n_pos ? 0 : pos + 1;
			continue;
		}
		if (!dq_room(d))
			goto out;
		if (remove_pos(d, pos, v)) {
			removed++;
			swept++;
		}
		d->cursor = pos + 1 == d->n_pos ? 0 : pos + 1;
	}

	/* 2. Partitions above their high watermark: evict their live entries closest to expiry,
	 * down to it. */
	for (uint32_t part = 0; part < d->n_parts && removed < limit; part++)
		removed += evict_part(d, part, now_ms, limit - removed, &swept, &evicted);
out:
	__atomic_store_n(&d->swept, d->swept + swept, __ATOMIC_RELAXED);
	__atomic_store_n(&d->evicted_live, d->evicted_live + evicted, __ATOMIC_RELAXED);
	return removed;
}

void
hp_dedup_get_stats(struct hp_dedup *d, struct hp_dedup_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->entries = table_entries(d);
	out->capacity = d->entries;
	out->swept = __atomic_load_n(&d->swept, __ATOMIC_RELAXED);
	out->evicted_live = __atomic_load_n(&d->evicted_live, __ATOMIC_RELAXED);
	out->pending = __atomic_load_n(&d->pending, __ATOMIC_RELAXED);
	for (unsigned int i = 0; i <= RTE_MAX_LCORE; i++) {
		out->first += __atomic_load_n(&d->lc[i].first, __ATOMIC_RELAXED);
		out->duplicate += __atomic_load_n(&d->lc[i].duplicate, __ATOMIC_RELAXED);
		out->full += __atomic_load_n(&d->lc[i].full, __ATOMIC_RELAXED);
		out->busy += __atomic_load_n(&d->lc[i].busy, __ATOMIC_RELAXED);
	}
	out->partitions = d->n_parts;
}

const char *
hp_dedup_result_name(enum hp_dedup_result r)
{
	switch (r) {
	case HP_DEDUP_FIRST:
		return "first";
	case HP_DEDUP_DUPLICATE:
		return "duplicate";
	case HP_DEDUP_FULL:
		return "full";
	case HP_DEDUP_BUSY:
		return "busy";
	}
	return "unknown";
}

/* ---- Snapshot file (format and contract in dedup.h) ---- */

#define SNAP_MAGIC     "HPREPLAY"
#define SNAP_HDR_LEN   32u
#define SNAP_ENTRY_LEN (HP_DEDUP_KEY_LEN + 8u)
#define SNAP_TRAILER   4u
#define SNAP_BUF       1024u /* entries buffered between write() calls (24 KiB) */

struct hp_dedup_snap {
	struct hp_dedup *d;
	int fd;
	uint32_t next;  /* next position to scan */
	uint32_t crc;   /* CRC-32C register (not inverted) over the entries so far */
	uint64_t count; /* entries written (or buffered) */
	uint64_t saved_ms;
	uint64_t off;    /* file offset of the next write */
	uint64_t synced; /* offset up to which writeback was started */
	uint32_t n_buf;
	uint8_t buf[SNAP_BUF][SNAP_ENTRY_LEN];
	char path[PATH_MAX];
	char tmp[PATH_MAX];
};

static void
put_le32(uint8_t *p, uint32_t v)
{
	v = rte_cpu_to_le_32(v);
	memcpy(p, &v, sizeof(v));
}

static void
put_le64(uint8_t *p, uint64_t v)
{
	v = rte_cpu_to_le_64(v);
	memcpy(p, &v, sizeof(v));
}

static uint32_t
get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return rte_le_to_cpu_32(v);
}

static uint64_t
get_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return rte_le_to_cpu_64(v);
}

static void
snap_header(uint8_t hdr[SNAP_HDR_LEN], uint64_t count, uint64_t saved_ms)
{
	memcpy(hdr, SNAP_MAGIC, 8);
	put_le32(hdr + 8, HP_DEDUP_SNAP_VERSION);
	put_le32(hdr + 12, HP_DEDUP_KEY_LEN);
	put_le64(hdr + 16, count);
	put_le64(hdr + 24, saved_ms);
}

/* pwrite all of buf, retrying short writes and EINTR. 0 or -errno. */
static int
write_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int
snap_flush(struct hp_dedup_snap *s, char *err, size_t errlen)
{
	size_t len = (size_t)s->n_buf * SNAP_ENTRY_LEN;
	int ret;

	if (len == 0)
		return 0;
	ret = write_all(s->fd, s->buf, len, s->off);
	if (ret != 0) {
		snprintf(err, errlen, "replay snapshot %s: write: %s", s->tmp, strerror(-ret));
		return ret;
	}
	s->crc = crc_bytes(s->buf, len, s->crc);
	s->off += len;
	s->n_buf = 0;
	return 0;
}

struct hp_dedup_snap *
hp_dedup_save_begin(struct hp_dedup *d, const char *path, uint64_t now_ms, char *err, size_t errlen)
{
	struct hp_dedup_snap *s;

	if (d == NULL || path == NULL || path[0] == '\0') {
		snprintf(err, errlen, "replay snapshot: no table or no path");
		errno = EINVAL;
		return NULL;
	}
	if (strlen(path) + 5 > sizeof(s->tmp)) {
		snprintf(err, errlen, "replay snapshot %s: path too long", path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "replay snapshot %s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	s->d = d;
	s->crc = UINT32_MAX;
	s->saved_ms = now_ms;
	s->off = SNAP_HDR_LEN; /* the header goes in last (its count is known at the end) */
	snprintf(s->path, sizeof(s->path), "%s", path);
	snprintf(s->tmp, sizeof(s->tmp), "%s.tmp", path);
	s->fd = open(s->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		int e = errno;

		snprintf(err, errlen, "replay snapshot %s: %s", s->tmp, strerror(e));
		free(s);
		errno = e;
		return NULL;
	}
	return s;
}

int
hp_dedup_save_step(struct hp_dedup_snap *s, uint64_t now_ms, uint32_t budget, char *err,
		   size_t errlen)
{
	struct hp_dedup *d = s->d;
	uint32_t end = budget == 0 || d->n_pos - s->next < budget ? d->n_pos : s->next + budget;
	int ret;

	for (uint32_t pos = s->next; pos < end; pos++) {
		/* Acquire: pairs with the worker's CAS (release), which comes after rte_hash
		 * wrote the key at this position, so the key read below is complete. */
		uint64_t v = __atomic_load_n(&d->expiry[pos], __ATOMIC_ACQUIRE);
		uint8_t *e;
		void *kp;

		/* 0: fresh (claimed by nobody yet: an insert in progress, left to the next
		 * snapshot); TOMBSTONE: being removed; <= now: expired */
		if (v == 0 || v == TOMBSTONE || v <= now_ms)
			continue;
		/* The key stays at pos until the sweeper frees the position, which cannot
		 * happen during this call (contract: no sweep while a save step runs). The
		 * lookup inside rte_hash_get_key_with_position checks that the key maps to pos;
		 * a mismatch (impossible under the contract) skips the entry. */
		if (rte_hash_get_key_with_position(d->h[pos / d->stride],
						   (int32_t)(pos % d->stride), &kp) != 0)
			continue;
		e = s->buf[s->n_buf];
		memcpy(e, kp, HP_DEDUP_KEY_LEN);
		put_le64(e + HP_DEDUP_KEY_LEN, v);
		s->count++;
		if (++s->n_buf == SNAP_BUF) {
			ret = snap_flush(s, err, errlen);
			if (ret != 0)
				return ret;
		}
	}
	s->next = end;
	/* Start writeback of what this step wrote, without waiting for it. */
	if (budget != 0 && s->off > s->synced) {
		(void)sync_file_range(s->fd, (off_t)s->synced, (off_t)(s->off - s->synced),
				      SYNC_FILE_RANGE_WRITE);
		s->synced = s->off;
	}
	return s->next == d->n_pos ? 1 : 0;
}

uint64_t
hp_dedup_save_count(const struct hp_dedup_snap *s)
{
	return s != NULL ? s->count : 0;
}

void
hp_dedup_save_abort(struct hp_dedup_snap *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	unlink(s->tmp);
	free(s);
}

/* fsync the directory holding path, so that the rename itself is durable. */
static int
fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, ret = 0;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		ret = -errno;
	close(fd);
	return ret;
}

int64_t
hp_dedup_save_end(struct hp_dedup_snap *s, char *err, size_t errlen)
{
	uint8_t hdr[SNAP_HDR_LEN], trailer[SNAP_TRAILER];
	int64_t ret;
	int r;

	if (s->next != s->d->n_pos) {
		snprintf(err, errlen, "replay snapshot %s: scan not complete", s->path);
		hp_dedup_save_abort(s);
		return -EINVAL;
	}
	r = snap_flush(s, err, errlen);
	if (r != 0)
		goto fail;
	snap_header(hdr, s->count, s->saved_ms);
	put_le32(trailer, ~crc_bytes(hdr, sizeof(hdr), s->crc));
	if ((r = write_all(s->fd, trailer, sizeof(trailer), s->off)) != 0 ||
	    (r = write_all(s->fd, hdr, sizeof(hdr), 0)) != 0) {
		snprintf(err, errlen, "replay snapshot %s: write: %s", s->tmp, strerror(-r));
		goto fail;
	}
	if (fsync(s->fd) != 0) {
		r = -errno;
		snprintf(err, errlen, "replay snapshot %s: fsync: %s", s->tmp, strerror(-r));
		goto fail;
	}
	r = close(s->fd);
	s->fd = -1;
	if (r != 0) {
		r = -errno;
		snprintf(err, errlen, "replay snapshot %s: close: %s", s->tmp, strerror(-r));
		goto fail;
	}
	if (rename(s->tmp, s->path) != 0) {
		r = -errno;
		snprintf(err, errlen, "replay snapshot: rename %s to %s: %s", s->tmp, s->path,
			 strerror(-r));
		goto fail;
	}
	r = fsync_dir(s->path);
	if (r != 0) {
		/* The file is complete and in place; only the rename's durability is unsure. */
		snprintf(err, errlen, "replay snapshot %s: fsync of its directory: %s", s->path,
			 strerror(-r));
		free(s);
		return r;
	}
	ret = (int64_t)s->count;
	free(s);
	return ret;
fail:
	hp_dedup_save_abort(s);
	return r;
}

int64_t
hp_dedup_save(struct hp_dedup *d, const char *path, uint64_t now_ms, char *err, size_t errlen)
{
	struct hp_dedup_snap *s = hp_dedup_save_begin(d, path, now_ms, err, errlen);
	int r;

	if (s == NULL)
		return -errno;
	r = hp_dedup_save_step(s, now_ms, 0, err, errlen);
	if (r < 0) {
		hp_dedup_save_abort(s);
		return r;
	}
	return hp_dedup_save_end(s, err, errlen);
}

/* Record one loaded entry: the key's position (existing or new), then raise its expiry to v.
 * Returns false when the table has no room. */
static bool
load_entry(struct hp_dedup *d, const uint8_t *key, uint64_t v)
{
	const hash_sig_t sig = key_hash(key, HP_DEDUP_KEY_LEN, 0);
	const uint32_t part = part_of(d, sig);
	uint64_t old, *e;
	int32_t pos;

	/* add returns the key's position when it is already there */
	rte_spinlock_lock(&d->lk[part].lock);
	pos = rte_hash_add_key_with_hash(d->h[part], key, sig);
	rte_spinlock_unlock(&d->lk[part].lock);
	if (pos < 0)
		return false;
	e = &d->expiry[(size_t)part * d->stride + (uint32_t)pos];
	old = __atomic_load_n(e, __ATOMIC_ACQUIRE);
	while (old != TOMBSTONE && old < v &&
	       !__atomic_compare_exchange_n(e, &old, v, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
	return true;
}

int64_t
hp_dedup_load(struct hp_dedup *d, const char *path, uint64_t now_ms,
	      struct hp_dedup_load_info *info, char *err, size_t errlen)
{
	struct hp_dedup_load_info dummy;
	const uint8_t *map = MAP_FAILED, *ent;
	uint64_t count, max_count, want;
	uint32_t version, key_len, crc, file_crc;
	struct stat st;
	int64_t ret;
	size_t size = 0;
	int fd;

	if (info == NULL)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	if (rte_lcore_id() >= RTE_MAX_LCORE) {
		snprintf(err, errlen, "replay snapshot %s: loading needs an EAL lcore", path);
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			info->missing = true;
			return 0;
		}
		ret = -errno;
		snprintf(err, errlen, "replay snapshot %s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) != 0) {
		ret = -errno;
		snprintf(err, errlen, "replay snapshot %s: stat: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "replay snapshot %s: not a regular file", path);
		ret = -EBADMSG;
		goto out;
	}
	size = (size_t)st.st_size;
	if (size < SNAP_HDR_LEN + SNAP_TRAILER) {
		snprintf(err, errlen,
			 "replay snapshot %s: corrupt: truncated (%zu bytes; a "
			 "snapshot has at least %u)",
			 path, size, SNAP_HDR_LEN + SNAP_TRAILER);
		ret = -EBADMSG;
		goto out;
	}
	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		ret = -errno;
		snprintf(err, errlen, "replay snapshot %s: mmap: %s", path, strerror(errno));
		goto out;
	}
	/* read once, front to back (advice values are not flags: one call each) */
	(void)madvise((void *)(uintptr_t)map, size, MADV_SEQUENTIAL);
	(void)madvise((void *)(uintptr_t)map, size, MADV_WILLNEED);
	if (memcmp(map, SNAP_MAGIC, 8) != 0) {
		snprintf(err, errlen,
			 "replay snapshot %s: corrupt: not a replay snapshot (bad "
			 "magic)",
			 path);
		ret = -EBADMSG;
		goto out;
	}
	version = get_le32(map + 8);
	if (version != HP_DEDUP_SNAP_VERSION) {
		snprintf(err, errlen,
			 "replay snapshot %s: format version %" PRIu32 ", this "
			 "hookpath reads version %u",
			 path, version, HP_DEDUP_SNAP_VERSION);
		ret = -EPROTO;
		goto out;
	}
	key_len = get_le32(map + 12);
	count = get_le64(map + 16);
	max_count = (size - SNAP_HDR_LEN - SNAP_TRAILER) / SNAP_ENTRY_LEN;
	if (key_len != HP_DEDUP_KEY_LEN) {
		snprintf(err, errlen,
			 "replay snapshot %s: corrupt: key length %" PRIu32 " (not %u)", path,
			 key_len, HP_DEDUP_KEY_LEN);
		ret = -EBADMSG;
		goto out;
	}
	if (count > max_count) {
		snprintf(err, errlen,
			 "replay snapshot %s: corrupt: truncated (the header says %" PRIu64
			 " entries, the file holds %" PRIu64 ")",
			 path, count, max_count);
		ret = -EBADMSG;
		goto out;
	}
	want = SNAP_HDR_LEN + count * SNAP_ENTRY_LEN + SNAP_TRAILER;
	if (size != want) {
		snprintf(err, errlen,
			 "replay snapshot %s: corrupt: %zu bytes, %" PRIu64 " expected for %" PRIu64
			 " entries",
			 path, size, want, count);
		ret = -EBADMSG;
		goto out;
	}
	ent = map + SNAP_HDR_LEN;
	crc = ~crc_bytes(map, SNAP_HDR_LEN, crc_bytes(ent, count * SNAP_ENTRY_LEN, UINT32_MAX));
	file_crc = get_le32(map + size - SNAP_TRAILER);
	if (crc != file_crc) {
		snprintf(err, errlen,
			 "replay snapshot %s: corrupt: CRC mismatch (file %08" PRIx32
			 ", computed %08" PRIx32 ")",
			 path, file_crc, crc);
		ret = -EBADMSG;
		goto out;
	}
	info->in_file = count;
	info->saved_ms = get_le64(map + 24);
	/* Checked: from here every entry is recorded or counted. */
	for (uint64_t i = 0; i < count; i++, ent += SNAP_ENTRY_LEN) {
		uint64_t v = get_le64(ent + HP_DEDUP_KEY_LEN);

		if (v <= now_ms) {
			info->expired++;
			continue;
		}
		if (v > EXPIRY_MAX)
			v = EXPIRY_MAX; /* never write the sweeper's TOMBSTONE */
		if (load_entry(d, ent, v))
			info->loaded++;
		else
			info->full++;
	}
	ret = (int64_t)info->loaded;
out:
	if (map != MAP_FAILED)
		munmap((void *)(uintptr_t)map, size);
	close(fd);
	return ret;
}
