/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of the replay cache (lib/dedup).
 *
 * The EAL is started once in main() (--no-huge, own --file-prefix, 5 lcores spread over the
 * CPUs this process may use: several lcores share a CPU on a 2-vCPU machine, which is the
 * point: preemption in the middle of a call is what breaks naive designs). Concurrent tests
 * run real EAL threads (rte_eal_remote_launch), because rte_hash's multi-writer mode keeps
 * per-lcore state and would not be exercised by plain pthreads.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "dedup.h"

#define N_LCORES 5 /* main + 4 workers */

static unsigned int n_workers;
static unsigned int worker_ids[RTE_MAX_LCORE];
/* partitions of the tables new_table() makes: 0 (by size: one for every table below 16 k),
 * or forced by the *_partitioned variants of the concurrent tests */
static uint32_t test_parts;

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Distinct, well-spread 16-byte key for (id, gen), as SHA-256 output would be. */
static void
make_key(uint8_t key[HP_DEDUP_KEY_LEN], uint64_t id, uint64_t gen)
{
	uint64_t s = id * 0x100000001b3ull + (gen << 40) + 1, a = splitmix(&s), b = splitmix(&s);

	memcpy(key, &a, 8);
	memcpy(key + 8, &b, 8);
}

static struct hp_dedup *
new_table(const char *name, uint32_t entries, uint32_t hwm)
{
	struct hp_dedup_config cfg = {
		.name = name,
		.entries = entries,
		.socket = SOCKET_ID_ANY,
		.high_watermark_pct = hwm,
		.partitions = test_parts,
	};
	char err[256] = "";
	struct hp_dedup *d = hp_dedup_create(&cfg, err, sizeof(err));

	if (d == NULL)
		fprintf(stderr, "hp_dedup_create: %s\n", err);
	assert_non_null(d);
	return d;
}

/* ---- single thread ---- */

static void
test_create_errors(void **state)
{
	struct hp_dedup_config cfg = {.name = "bad", .entries = 1024, .socket = SOCKET_ID_ANY};
	char err[256];
	struct hp_dedup *d;

	(void)state;
	assert_null(hp_dedup_create(NULL, err, sizeof(err)));
	cfg.name = NULL;
	assert_null(hp_dedup_create(&cfg, err, sizeof(err)));
	cfg.name = "a_name_much_longer_than_allowed";
	assert_null(hp_dedup_create(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "longer"));
	cfg.name = "bad";
	cfg.entries = 63;
	assert_null(hp_dedup_create(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "entries"));
	cfg.entries = 1024;
	cfg.high_watermark_pct = 49;
	assert_null(hp_dedup_create(&cfg, err, sizeof(err)));
	cfg.high_watermark_pct = 101;
	assert_null(hp_dedup_create(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "high_watermark_pct"));
	cfg.high_watermark_pct = 0;
	d = hp_dedup_create(&cfg, err, sizeof(err));
	assert_non_null(d);
	/* same name twice: rte_hash names are process-wide */
	assert_null(hp_dedup_create(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "bad"));
	hp_dedup_free(d);
	hp_dedup_free(NULL);
	assert_int_equal(hp_dedup_rcu_attach(NULL, NULL), -EINVAL);
}

static void
test_single_semantics(void **state)
{
	struct hp_dedup *d = new_table("single", 1024, 0);
	struct hp_dedup_stats st;
	uint8_t a[16], b[16], c[16];

	(void)state;
	make_key(a, 1, 0);
	make_key(b, 2, 0);
	make_key(c, 3, 0);

	assert_false(hp_dedup_contains(d, a, 1000));
	assert_int_equal(hp_dedup_check_insert(d, a, 1000, 100), HP_DEDUP_FIRST);
	assert_true(hp_dedup_contains(d, a, 1000));
	assert_int_equal(hp_dedup_check_insert(d, a, 1000, 100), HP_DEDUP_DUPLICATE);
	assert_int_equal(hp_dedup_check_insert(d, a, 1099, 100), HP_DEDUP_DUPLICATE);
	assert_true(hp_dedup_contains(d, a, 1099));
	/* expired at now >= expiry */
	assert_false(hp_dedup_contains(d, a, 1100));
	assert_int_equal(hp_dedup_check_insert(d, a, 1100, 100), HP_DEDUP_FIRST);
	assert_int_equal(hp_dedup_check_insert(d, a, 1150, 100), HP_DEDUP_DUPLICATE);
	/* a sighting with an older clock than the recorded FIRST is a duplicate of it */
	assert_int_equal(hp_dedup_check_insert(d, a, 1050, 100), HP_DEDUP_DUPLICATE);

	/* per-entry TTLs in one table */
	assert_int_equal(hp_dedup_check_insert(d, b, 2000, 10), HP_DEDUP_FIRST);
	assert_int_equal(hp_dedup_check_insert(d, c, 2000, 100000), HP_DEDUP_FIRST);
	assert_int_equal(hp_dedup_check_insert(d, b, 2009, 10), HP_DEDUP_DUPLICATE);
	assert_int_equal(hp_dedup_check_insert(d, b, 2010, 10), HP_DEDUP_FIRST);
	assert_int_equal(hp_dedup_check_insert(d, c, 2010, 100000), HP_DEDUP_DUPLICATE);
	assert_int_equal(hp_dedup_check_insert(d, c, 101999, 100000), HP_DEDUP_DUPLICATE);
	assert_int_equal(hp_dedup_check_insert(d, c, 102000, 100000), HP_DEDUP_FIRST);

	/* no wrap-around near the end of the clock; ttl 0 behaves as 1 */
	make_key(a, 4, 0);
	assert_int_equal(hp_dedup_check_insert(d, a, UINT64_MAX - 5, 100), HP_DEDUP_FIRST);
	assert_int_equal(hp_dedup_check_insert(d, a, UINT64_MAX - 3, 100), HP_DEDUP_DUPLICATE);
	make_key(a, 5, 0);
	assert_int_equal(hp_dedup_check_insert(d, a, 7, 0), HP_DEDUP_FIRST);
	assert_int_equal(hp_dedup_check_insert(d, a, 7, 0), HP_DEDUP_DUPLICATE);
	assert_int_equal(hp_dedup_check_insert(d, a, 8, 0), HP_DEDUP_FIRST);

	hp_dedup_get_stats(d, &st);
	assert_int_equal(st.entries, 5);
	assert_int_equal(st.capacity, 1024);
	assert_int_equal(st.first, 9);
	assert_int_equal(st.duplicate, 9);
	assert_int_equal(st.full, 0);
	assert_int_equal(st.busy, 0);

	assert_string_equal(hp_dedup_result_name(HP_DEDUP_FIRST), "first");
	assert_string_equal(hp_dedup_result_name(HP_DEDUP_DUPLICATE), "duplicate");
	assert_string_equal(hp_dedup_result_name(HP_DEDUP_FULL), "full");
	assert_string_equal(hp_dedup_result_name(HP_DEDUP_BUSY), "busy");
	assert_string_equal(hp_dedup_result_name((enum hp_dedup_result)42), "unknown");
	hp_dedup_free(d);
}

/* Insert keys make_key(i, seed) for i in [0, n) at now 0, ttl 10, until max_fulls FULL answers
 * (0: no limit): every answer FIRST or FULL, and a FULL key not recorded. */
static void
fill(struct hp_dedup *d, unsigned int n, uint8_t seed, unsigned int max_fulls, unsigned int *firsts,
     unsigned int *fulls)
{
	uint8_t k[16];

	*firsts = *fulls = 0;
	for (unsigned int i = 0; i < n && (max_fulls == 0 || *fulls < max_fulls); i++) {
		enum hp_dedup_result r;

		make_key(k, i, seed);
		r = hp_dedup_check_insert(d, k, 0, 10);
		if (r == HP_DEDUP_FIRST)
			(*firsts)++;
		else if (r == HP_DEDUP_FULL)
			(*fulls)++;
		else
			fail_msg("unexpected %s", hp_dedup_result_name(r));
		if (r == HP_DEDUP_FULL)
			assert_false(hp_dedup_contains(d, k, 0));
	}
}

/* Fill until FULL: exactly `entries` keys fit in one partition (and
 * extendable buckets make collisions irrelevant); FULL records nothing and is counted. */
static void
test_full(void **state)
{
	struct hp_dedup *d = new_table("full", 64, 100);
	struct hp_dedup_stats st;
	uint8_t k[16];
	unsigned int firsts = 0, fulls = 0, i;

	(void)state;
	fill(d, 100000, 7, 10, &firsts, &fulls);
	assert_int_equal(fulls, 10);
	assert_true(firsts >= 64);
	hp_dedup_get_stats(d, &st);
	assert_int_equal(st.full, 10);
	assert_int_equal(st.entries, firsts);
	/* a full table still answers for what it holds */
	make_key(k, 0, 7);
	assert_int_equal(hp_dedup_check_insert(d, k, 5, 10), HP_DEDUP_DUPLICATE);

	/* everything expired (and past the slack): the sweep makes room again */
	assert_int_equal(hp_dedup_sweep(d, 10 + HP_DEDUP_SWEEP_SLACK_MS, 0), firsts);
	hp_dedup_get_stats(d, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.swept, firsts);
	assert_int_equal(st.evicted_live, 0);
	for (i = 0; i < 64; i++) {
		make_key(k, i, 8);
		assert_int_equal(hp_dedup_check_insert(d, k, 2000, 10), HP_DEDUP_FIRST);
	}
	hp_dedup_free(d);
}

static void
test_sweep_expired(void **state)
{
	struct hp_dedup *d = new_table("sweep", 4096, 100);
	struct hp_dedup_stats st;
	const uint64_t S = HP_DEDUP_SWEEP_SLACK_MS;
	uint8_t k[16];
	unsigned int i, n;

	(void)state;
	for (i = 0; i < 2000; i++) {
		make_key(k, i, 1);
		assert_int_equal(hp_dedup_check_insert(d, k, 0, i < 1000 ? 100 : 100000),
				 HP_DEDUP_FIRST);
	}
	/* expired but inside the slack: kept (still answers FIRST: it is expired) */
	assert_int_equal(hp_dedup_sweep(d, 100 + S - 1, 0), 0);
	/* budget bounds the work of one call, the cursor resumes */
	assert_int_equal(hp_dedup_sweep(d, 100 + S, 10), 10);
	hp_dedup_get_stats(d, &st);
	assert_int_equal(st.swept, 10);
	assert_int_equal(st.entries, 1990);
	assert_int_equal(hp_dedup_sweep(d, 100 + S, 0), 990);
	hp_dedup_get_stats(d, &st);
	assert_int_equal(st.swept, 1000);
	assert_int_equal(st.entries, 1000);
	assert_int_equal(st.evicted_live, 0);
	assert_int_equal(hp_dedup_sweep(d, 100 + S, 0), 0);

	/* swept keys are new again; the long-lived ones are still duplicates */
	for (i = 0, n = 0; i < 2000; i++) {
		make_key(k, i, 1);
		n += hp_dedup_check_insert(d, k, 2 * S, 100) == HP_DEDUP_FIRST;
	}
	assert_int_equal(n, 1000);
	/* freed positions were reset: brand-new keys reusing them start from "expired" */
	for (i = 0; i < 2000; i++) {
		make_key(k, i, 2);
		assert_int_equal(hp_dedup_check_insert(d, k, 2 * S, 100), HP_DEDUP_FIRST);
	}
	hp_dedup_free(d);
}

static void
test_watermark(void **state)
{
	struct hp_dedup *d = new_table("hwm", 1000, 80);
	struct hp_dedup_stats st;
	uint8_t k[16];
	unsigned int i, kept_short = 0, kept_long = 0;

	(void)state;
	/* 200 entries close to expiry, 800 far from it */
	for (i = 0; i < 1000; i++) {
		make_key(k, i, 3);
		assert_int_equal(hp_dedup_check_insert(d, k, 0, i % 5 == 0 ? 100 : 50000),
				 HP_DEDUP_FIRST);
	}
	assert_int_equal(hp_dedup_sweep(d, 1, 0), 200);
	hp_dedup_get_stats(d, &st);
	assert_int_equal(st.evicted_live, 200);
	assert_int_equal(st.swept, 0);
	assert_int_equal(st.entries, 800);
	for (i = 0; i < 1000; i++) {
		make_key(k, i, 3);
		if (hp_dedup_contains(d, k, 1))
			*(i % 5 == 0 ? &kept_short : &kept_long) += 1;
	}
	assert_int_equal(kept_short, 0);
	assert_int_equal(kept_long, 800);
	/* at the watermark: nothing more to do */
	assert_int_equal(hp_dedup_sweep(d, 1, 0), 0);

	/* one TTL for all: exactly the excess goes, a budget caps it */
	for (i = 0; i < 200; i++) {
		make_key(k, i, 4);
		assert_int_equal(hp_dedup_check_insert(d, k, 2, 5000), HP_DEDUP_FIRST);
	}
	assert_int_equal(hp_dedup_sweep(d, 3, 50), 50);
	assert_int_equal(hp_dedup_sweep(d, 3, 0), 150);
	hp_dedup_get_stats(d, &st);
	assert_int_equal(st.evicted_live, 400);
	assert_int_equal(st.entries, 800);
	/* the 5000 ms entries were the closest to expiry, the 50000 ms ones all stayed */
	for (i = 0, kept_long = 0; i < 1000; i++) {
		make_key(k, i, 3);
		kept_long += hp_dedup_contains(d, k, 3);
	}
	assert_int_equal(kept_long, 800);
	hp_dedup_free(d);
}

/* With RCU attached, removed positions are held until every registered reader reported a
 * quiescent state: here the main lcore plays a reader that has not reported yet. */
static void
test_rcu_grace_period(void **state)
{
	struct rte_rcu_qsbr *qsv =
		rte_zmalloc("qsv1", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	struct hp_dedup *d = new_table("grace", 1024, 100);
	struct hp_dedup_stats st;
	const uint64_t S = HP_DEDUP_SWEEP_SLACK_MS;
	uint8_t k[16];

	(void)state;
	assert_non_null(qsv);
	assert_int_equal(rte_rcu_qsbr_init(qsv, 1), 0);
	assert_int_equal(rte_rcu_qsbr_thread_register(qsv, 0), 0);
	rte_rcu_qsbr_thread_online(qsv, 0);
	assert_int_equal(hp_dedup_rcu_attach(d, qsv), 0);

	for (unsigned int i = 0; i < 100; i++) {
		make_key(k, i, 5);
		assert_int_equal(hp_dedup_check_insert(d, k, 0, 10), HP_DEDUP_FIRST);
	}
	assert_int_equal(hp_dedup_sweep(d, 10 + S, 0), 100);
	hp_dedup_get_stats(d, &st);
	assert_int_equal(st.swept, 100);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.pending, 100); /* the reader may still hold them */
	assert_int_equal(hp_dedup_sweep(d, 10 + S, 0), 0);
	hp_dedup_get_stats(d, &st);
	assert_int_equal(st.pending, 100);
	/* the keys themselves are gone: a new sighting is recorded at a new position */
	make_key(k, 0, 5);
	assert_int_equal(hp_dedup_check_insert(d, k, 20 + S, 10), HP_DEDUP_FIRST);
	assert_int_equal(hp_dedup_check_insert(d, k, 20 + S, 10), HP_DEDUP_DUPLICATE);

	rte_rcu_qsbr_quiescent(qsv, 0);
	assert_int_equal(hp_dedup_sweep(d, 10 + S, 0), 0);
	hp_dedup_get_stats(d, &st);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.entries, 1);

	/* freeing with positions still deferred waits for (here: offline) readers */
	assert_int_equal(hp_dedup_sweep(d, 30 + 2 * S, 0), 1);
	rte_rcu_qsbr_thread_offline(qsv, 0);
	rte_rcu_qsbr_thread_unregister(qsv, 0);
	hp_dedup_free(d);
	rte_free(qsv);
}

/* ---- concurrency ---- */

/* Sense-reversing barrier. Yields while waiting: several lcores share one CPU here, and a
 * pure spin would burn the time slice of the thread everyone waits for. */
struct barrier {
	unsigned int n;
	unsigned int count;
	unsigned int sense;
};

static void
barrier_wait(struct barrier *b)
{
	unsigned int sense = __atomic_load_n(&b->sense, __ATOMIC_ACQUIRE);

	if (__atomic_add_fetch(&b->count, 1, __ATOMIC_ACQ_REL) == b->n) {
		__atomic_store_n(&b->count, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&b->sense, sense ^ 1, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&b->sense, __ATOMIC_ACQUIRE) == sense)
		sched_yield();
}

/* Wait for the workers without rte_eal_wait_lcore's spin (it would share a CPU with one). */
static void
wait_workers(unsigned int *done, unsigned int n)
{
	while (__atomic_load_n(done, __ATOMIC_ACQUIRE) < n)
		usleep(1000);
	rte_eal_mp_wait_lcore();
}

#define SK_KEYS   2000
#define SK_ROUNDS 60
#define SK_TTL    500

struct same_keys {
	struct hp_dedup *d;
	struct barrier bar;
	unsigned int done;
	uint32_t firsts[SK_ROUNDS][SK_KEYS];
	uint32_t other; /* FULL / BUSY: must stay 0 here */
};

/* Every worker inserts every key of the round, in its own shuffled order. Even keys are the
 * same across rounds (their entries are expired by the next round's now: the CAS path); odd
 * keys are new each round (the concurrent rte_hash add path). */
static int
same_keys_worker(void *arg)
{
	struct same_keys *t = arg;
	uint64_t rng = rte_lcore_id() * 7919u + 1;
	uint32_t order[SK_KEYS];
	uint8_t key[16];

	for (uint32_t i = 0; i < SK_KEYS; i++)
		order[i] = i;
	for (unsigned int r = 0; r < SK_ROUNDS; r++) {
		for (uint32_t i = SK_KEYS - 1; i > 0; i--) {
			uint32_t j = (uint32_t)(splitmix(&rng) % (i + 1)), x = order[i];

			order[i] = order[j];
			order[j] = x;
		}
		barrier_wait(&t->bar);
		for (uint32_t i = 0; i < SK_KEYS; i++) {
			uint32_t id = order[i];
			enum hp_dedup_result res;

			make_key(key, id, id % 2 ? r + 100 : 0);
			res = hp_dedup_check_insert(t->d, key, (uint64_t)r * 1000 + 7, SK_TTL);
			if (res == HP_DEDUP_FIRST)
				__atomic_fetch_add(&t->firsts[r][id], 1, __ATOMIC_RELAXED);
			else if (res != HP_DEDUP_DUPLICATE)
				__atomic_fetch_add(&t->other, 1, __ATOMIC_RELAXED);
		}
	}
	__atomic_fetch_add(&t->done, 1, __ATOMIC_RELEASE);
	return 0;
}

static void
test_concurrent_same_keys(void **state)
{
	struct same_keys *t = calloc(1, sizeof(*t));
	struct hp_dedup_stats st;
	unsigned int bad = 0;

	(void)state;
	assert_non_null(t);
	t->d = new_table("same", SK_KEYS / 2 * (SK_ROUNDS + 1) + 1024, 100);
	t->bar.n = n_workers;
	for (unsigned int w = 0; w < n_workers; w++)
		assert_int_equal(rte_eal_remote_launch(same_keys_worker, t, worker_ids[w]), 0);
	wait_workers(&t->done, n_workers);

	for (unsigned int r = 0; r < SK_ROUNDS; r++)
		for (unsigned int k = 0; k < SK_KEYS; k++)
			if (t->firsts[r][k] != 1) {
				if (bad++ < 10)
					fprintf(stderr, "round %u key %u: %u FIRST\n", r, k,
						t->firsts[r][k]);
			}
	assert_int_equal(bad, 0);
	assert_int_equal(t->other, 0);
	hp_dedup_get_stats(t->d, &st);
	assert_int_equal(st.first, (uint64_t)SK_ROUNDS * SK_KEYS);
	assert_int_equal(st.duplicate, (uint64_t)SK_ROUNDS * SK_KEYS * (n_workers - 1));
	assert_int_equal(st.entries, SK_KEYS / 2 + SK_KEYS / 2 * SK_ROUNDS);
	hp_dedup_free(t->d);
	free(t);
}

/* Workers hammer a small key set with random TTLs on a shared clock while the main lcore
 * sweeps with RCU attached, so keys die and are re-added at recycled positions all the time.
 * Each worker logs its FIRSTs; afterwards, per key, two FIRSTs must be at least one TTL apart
 * (the earlier one's). The sweeper's now is the minimum of the clocks the workers announced
 * before their calls, as a deployment's sweep runs on the same clock. */
#define SW_STRIDE 4    /* clock ticks per new key id */
#define SW_BACK   1200 /* ids: reaches keys past TTL + slack, i.e. swept or being swept */
#define SW_LOG    (1u << 18)
#define SW_TICK   64

struct first_rec {
	uint64_t key;
	uint64_t now;
	uint32_t ttl;
};

struct sweep_run {
	struct hp_dedup *d;
	struct rte_rcu_qsbr *qsv;
	uint64_t clock;
	unsigned int stop;
	unsigned int done;
	uint64_t wnow[RTE_MAX_LCORE];
	struct first_rec *log[RTE_MAX_LCORE];
	uint32_t n_log[RTE_MAX_LCORE];
	uint64_t calls[RTE_MAX_LCORE];
	uint64_t busy;
	uint64_t full;
};

static int
sweep_worker(void *arg)
{
	struct sweep_run *t = arg;
	unsigned int me = rte_lcore_index(rte_lcore_id()) - 1;
	uint64_t rng = me * 104729u + 3;
	uint8_t key[16];

	rte_rcu_qsbr_thread_register(t->qsv, me);
	rte_rcu_qsbr_thread_online(t->qsv, me);
	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
		uint64_t x = splitmix(&rng), now, id;
		uint32_t ttl = 100 + (uint32_t)((x >> 32) % 3000);
		enum hp_dedup_result r;

		/* announce the clock before the call: the sweeper reads every wnow before it
		 * sweeps, and a worker's now never goes down, so sweep now <= any call's now */
		now = __atomic_load_n(&t->clock, __ATOMIC_SEQ_CST);
		__atomic_store_n(&t->wnow[me], now, __ATOMIC_SEQ_CST);
		/* Keys come from a window sliding with the clock, so they go quiet, expire and
		 * get swept; one call in 8 goes back to an older key, which is then typically
		 * around its expiry or being reclaimed: the races this test is for. */
		id = now / SW_STRIDE + (x & 63);
		if ((x >> 8) % 8 == 0)
			id -= (x >> 12) % SW_BACK;
		make_key(key, id, 9);
		r = hp_dedup_check_insert(t->d, key, now, ttl);
		if (r == HP_DEDUP_FIRST && t->n_log[me] < SW_LOG)
			t->log[me][t->n_log[me]++] =
				(struct first_rec){.key = id, .now = now, .ttl = ttl};
		else if (r == HP_DEDUP_BUSY)
			__atomic_fetch_add(&t->busy, 1, __ATOMIC_RELAXED);
		else if (r == HP_DEDUP_FULL)
			__atomic_fetch_add(&t->full, 1, __ATOMIC_RELAXED);
		t->calls[me]++;
		rte_rcu_qsbr_quiescent(t->qsv, me);
	}
	rte_rcu_qsbr_thread_offline(t->qsv, me);
	rte_rcu_qsbr_thread_unregister(t->qsv, me);
	__atomic_fetch_add(&t->done, 1, __ATOMIC_RELEASE);
	return 0;
}

static int
cmp_first(const void *a, const void *b)
{
	const struct first_rec *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->now < y->now ? -1 : x->now > y->now;
}

static void
test_concurrent_sweep_rcu(void **state)
{
	struct sweep_run *t = rte_zmalloc("sweep_run", sizeof(*t), 0);
	size_t qsz = rte_rcu_qsbr_get_memsize(n_workers);
	struct hp_dedup_stats st;
	struct first_rec *all;
	uint64_t total = 0, calls = 0, swept_calls = 0;
	unsigned int bad = 0;

	(void)state;
	assert_non_null(t);
	t->qsv = rte_zmalloc("qsv", qsz, RTE_CACHE_LINE_SIZE);
	assert_non_null(t->qsv);
	assert_int_equal(rte_rcu_qsbr_init(t->qsv, n_workers), 0);
	/* 32 k: well above the ~2 k keys live at once, so nothing is evicted live (which would
	 * legitimately allow a second FIRST) and nothing is refused FULL, also while a worker
	 * is preempted (5 lcores on as few as 2 CPUs: a preempted worker holds the sweep's
	 * clock and the grace period back for tens of ms while the others add keys; 8 k
	 * filled on some machines); and 32 k key positions (~39 k partitioned), fewer than the
	 * ~64 k keys a run makes, so positions are reused */
	t->d = new_table("rcu", 32768, 100);
	assert_int_equal(hp_dedup_rcu_attach(t->d, t->qsv), 0);
	assert_int_equal(hp_dedup_rcu_attach(t->d, t->qsv), -EEXIST);
	t->clock = 100000;
	for (unsigned int w = 0; w < n_workers; w++) {
		t->log[w] = malloc(SW_LOG * sizeof(struct first_rec));
		assert_non_null(t->log[w]);
		t->wnow[w] = UINT64_MAX;
	}
	for (unsigned int w = 0; w < n_workers; w++)
		assert_int_equal(rte_eal_remote_launch(sweep_worker, t, worker_ids[w]), 0);

	/* ~2 s, 256 k clock ticks: TTLs of 0.1-3.1 k ticks turn over many times, and ~64 k
	 * keys come and go, more than the table's 32-39 k key positions, so positions freed after
	 * a grace period come back out of rte_hash's free ring to other keys while the test
	 * runs. */
	for (unsigned int it = 0; it < 4000; it++) {
		uint64_t smin = UINT64_MAX;

		__atomic_add_fetch(&t->clock, SW_TICK, __ATOMIC_SEQ_CST);
		for (unsigned int w = 0; w < n_workers; w++)
			smin = RTE_MIN(smin, __atomic_load_n(&t->wnow[w], __ATOMIC_SEQ_CST));
		if (smin != UINT64_MAX)
			swept_calls += hp_dedup_sweep(t->d, smin, it % 2 ? 64 : 0);
		usleep(300);
	}
	__atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
	wait_workers(&t->done, n_workers);
	/* workers are offline: a second pass releases what the first deferred */
	swept_calls += hp_dedup_sweep(t->d, t->clock, 0);
	swept_calls += hp_dedup_sweep(t->d, t->clock, 0);

	for (unsigned int w = 0; w < n_workers; w++) {
		total += t->n_log[w];
		calls += t->calls[w];
	}
	all = malloc(total * sizeof(*all));
	assert_non_null(all);
	total = 0;
	for (unsigned int w = 0; w < n_workers; w++) {
		memcpy(all + total, t->log[w], t->n_log[w] * sizeof(*all));
		total += t->n_log[w];
		free(t->log[w]);
	}
	qsort(all, total, sizeof(*all), cmp_first);
	for (uint64_t i = 1; i < total; i++) {
		const struct first_rec *p = &all[i - 1], *c = &all[i];

		if (p->key == c->key && c->now < p->now + p->ttl && bad++ < 10)
			fprintf(stderr,
				"key %" PRIu64 ": FIRST at %" PRIu64 " (ttl %u) and at %" PRIu64
				"\n",
				c->key, p->now, p->ttl, c->now);
	}
	hp_dedup_get_stats(t->d, &st);
	printf("# rcu sweep: %" PRIu64 " calls, %" PRIu64 " first, %" PRIu64 " swept, %" PRIu64
	       " evicted, %" PRIu64 " busy, %" PRIu64 " full, %" PRIu64 " pending\n",
	       calls, total, st.swept, st.evicted_live, t->busy, t->full, st.pending);
	assert_int_equal(bad, 0);
	assert_true(calls > 10000);
	assert_true(swept_calls > 45000); /* more than the key positions: they were reused */
	assert_true(t->busy * 1000 < calls);
	assert_int_equal(st.swept, swept_calls);
	assert_int_equal(st.evicted_live, 0);
	assert_int_equal(t->full, 0);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.first, total);
	hp_dedup_free(t->d);
	free(all);
	rte_free(t->qsv);
	rte_free(t);
}

/* ---- partitions ---- */

/* The concurrent tests again with the keys spread over 8 partitions (8 locks, 8 rte_hashes,
 * positions offset by partition): the same exactly-one-FIRST and TTL claims must hold. */
static void
test_concurrent_same_keys_partitioned(void **state)
{
	test_parts = 8;
	test_concurrent_same_keys(state);
	test_parts = 0;
}

static void
test_concurrent_sweep_rcu_partitioned(void **state)
{
	test_parts = 8;
	test_concurrent_sweep_rcu(state);
	test_parts = 0;
}

/* Partition count: by size, or as configured (a power of two, <= 64, >= 64 entries each);
 * FULL, the sweep and the watermark work per partition, and stats add them up. */
static void
test_partitions(void **state)
{
	struct hp_dedup_config cfg = {.name = "parts", .entries = 8191, .socket = SOCKET_ID_ANY};
	struct hp_dedup_stats st;
	struct hp_dedup *d;
	char err[256];
	uint8_t k[16];
	unsigned int firsts = 0, fulls = 0, kept_long = 0, i;

	(void)state;
	d = hp_dedup_create(&cfg, err, sizeof(err));
	assert_non_null(d);
	hp_dedup_get_stats(d, &st);
	assert_int_equal(st.partitions, 1); /* below 2 x 8192 */
	hp_dedup_free(d);
	cfg.entries = 65536;
	d = hp_dedup_create(&cfg, err, sizeof(err));
	assert_non_null(d);
	hp_dedup_get_stats(d, &st);
	assert_int_equal(st.partitions, 8);
	hp_dedup_free(d);
	cfg.entries = 1024;
	cfg.partitions = 3;
	assert_null(hp_dedup_create(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "partitions"));
	cfg.partitions = 128;
	assert_null(hp_dedup_create(&cfg, err, sizeof(err)));
	cfg.partitions = 32; /* 32 entries each */
	assert_null(hp_dedup_create(&cfg, err, sizeof(err)));

	/* 4 x 64 entries: fill to FULL (a partition is full at its share), sweep, room again */
	test_parts = 4;
	d = new_table("parts_full", 256, 100);
	fill(d, 1000, 17, 0, &firsts, &fulls);
	assert_int_equal(firsts, 256); /* every partition filled up to its 64 */
	assert_int_equal(fulls, 1000 - 256);
	hp_dedup_get_stats(d, &st);
	assert_int_equal(st.partitions, 4);
	assert_int_equal(st.entries, 256);
	assert_int_equal(st.full, fulls);
	assert_int_equal(hp_dedup_sweep(d, 10 + HP_DEDUP_SWEEP_SLACK_MS, 0), 256);
	hp_dedup_get_stats(d, &st);
	assert_int_equal(st.entries, 0);
	/* no position leaked: the same 1000 keys give the same 256 FIRSTs again */
	for (i = 0, firsts = 0; i < 1000; i++) {
		make_key(k, i, 17);
		firsts += hp_dedup_check_insert(d, k, 2000, 10) == HP_DEDUP_FIRST;
	}
	assert_int_equal(firsts, 256);
	hp_dedup_free(d);

	/* watermark per partition: 4 x 1024, 80 %, 3600 keys (~900 a partition), 20 %
	 * short-lived: each partition evicts down to 819, its short-lived ones only */
	d = new_table("parts_hwm", 4096, 80);
	for (i = 0; i < 3600; i++) {
		make_key(k, i, 19);
		assert_int_equal(hp_dedup_check_insert(d, k, 0, i % 5 == 0 ? 100 : 50000),
				 HP_DEDUP_FIRST);
	}
	hp_dedup_sweep(d, 1, 0);
	hp_dedup_get_stats(d, &st);
	assert_true(st.entries <= 4 * 819);
	assert_true(st.evicted_live > 0);
	assert_int_equal(st.entries + st.evicted_live, 3600);
	for (i = 0; i < 3600; i++) {
		make_key(k, i, 19);
		if (i % 5 != 0)
			kept_long += hp_dedup_contains(d, k, 1);
	}
	assert_int_equal(kept_long, 2880);
	test_parts = 0;
	hp_dedup_free(d);
}

/* ---- across restarts: the snapshot file ---- */

static char snap_dir[64];

static const char *
snap_path(const char *name)
{
	static char p[4][128];
	static unsigned int i;
	char *out = p[i++ % 4];

	snprintf(out, sizeof(p[0]), "%s/%s", snap_dir, name);
	return out;
}

/* CRC-32C, bit by bit: an oracle independent of rte_hash_crc for the trailer. */
static uint32_t
crc32c_bits(uint32_t crc, const uint8_t *p, size_t n)
{
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
	}
	return crc;
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
spew(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static uint64_t
le64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* Rewrite the trailer of buf (len bytes) so that the CRC matches again. */
static void
fix_crc(uint8_t *buf, size_t len)
{
	uint32_t crc = crc32c_bits(UINT32_MAX, buf + 32, len - 36);

	crc = ~crc32c_bits(crc, buf, 32);
	memcpy(buf + len - 4, &crc, 4);
}

/* Load path into a fresh table; returns the result, the table in *out (caller frees). */
static int64_t
load_fresh(const char *name, const char *path, uint64_t now, struct hp_dedup_load_info *info,
	   char *err, size_t errlen, struct hp_dedup **out)
{
	struct hp_dedup *d = new_table(name, 4096, 100);
	int64_t r;

	err[0] = '\0';
	r = hp_dedup_load(d, path, now, info, err, errlen);
	if (out != NULL)
		*out = d;
	else
		hp_dedup_free(d);
	return r;
}

static void
test_snap_round_trip(void **state)
{
	struct hp_dedup *d = new_table("snap_a", 4096, 100), *e;
	const char *path = snap_path("rt.snap");
	struct hp_dedup_load_info info;
	struct hp_dedup_stats st;
	uint8_t key[16], *buf;
	char err[256] = "";
	uint32_t crc;
	size_t len;
	int64_t n;

	(void)state;
	/* 1000 live (TTLs 1..1000 s), 200 that expire at 10 s, one at the clock's end */
	for (uint64_t i = 0; i < 1000; i++) {
		make_key(key, i, 1);
		assert_int_equal(hp_dedup_check_insert(d, key, 5000, 1000 * (i + 1)),
				 HP_DEDUP_FIRST);
	}
	for (uint64_t i = 0; i < 200; i++) {
		make_key(key, i, 2);
		assert_int_equal(hp_dedup_check_insert(d, key, 5000, 5000), HP_DEDUP_FIRST);
	}
	make_key(key, 0, 3);
	assert_int_equal(hp_dedup_check_insert(d, key, 5000, UINT64_MAX), HP_DEDUP_FIRST);
	/* a stale .tmp of a crashed save is simply replaced */
	spew(snap_path("rt.snap.tmp"), (const uint8_t *)"junk", 4);
	n = hp_dedup_save(d, path, 5500, err, sizeof(err));
	if (n < 0)
		fprintf(stderr, "%s\n", err);
	assert_int_equal(n, 1201);
	assert_int_equal(access(snap_path("rt.snap.tmp"), F_OK), -1);

	/* the format, checked byte by byte against an independent CRC-32C */
	buf = slurp(path, &len);
	assert_int_equal(len, 32 + 1201 * 24 + 4);
	assert_memory_equal(buf, "HPREPLAY", 8);
	assert_int_equal(buf[8], HP_DEDUP_SNAP_VERSION);
	assert_int_equal(buf[12], 16);
	assert_int_equal(le64_at(buf + 16), 1201);
	assert_int_equal(le64_at(buf + 24), 5500);
	crc = ~crc32c_bits(crc32c_bits(UINT32_MAX, buf + 32, len - 36), buf, 32);
	assert_memory_equal(buf + len - 4, &crc, 4);
	{
		static const uint8_t check[] = "123456789";

		assert_int_equal(~crc32c_bits(UINT32_MAX, check, 9), 0xe3069283u);
	}
	free(buf);

	/* load at 5500: everything saved is still live */
	n = load_fresh("snap_b", path, 5500, &info, err, sizeof(err), &e);
	assert_int_equal(n, 1201);
	assert_false(info.missing);
	assert_int_equal(info.in_file, 1201);
	assert_int_equal(info.loaded, 1201);
	assert_int_equal(info.expired, 0);
	assert_int_equal(info.saved_ms, 5500);
	for (uint64_t i = 0; i < 1000; i++) {
		make_key(key, i, 1);
		/* the saved expiry, exactly: live just before it, expired at it */
		assert_true(hp_dedup_contains(e, key, 5000 + 1000 * (i + 1) - 1));
		assert_false(hp_dedup_contains(e, key, 5000 + 1000 * (i + 1)));
	}
	make_key(key, 0, 3);
	assert_true(hp_dedup_contains(e, key, UINT64_MAX - 2));
	/* a loaded entry is a duplicate, and the loaded table keeps working */
	make_key(key, 7, 1);
	assert_int_equal(hp_dedup_check_insert(e, key, 9000, 10), HP_DEDUP_DUPLICATE);
	make_key(key, 7, 99);
	assert_int_equal(hp_dedup_check_insert(e, key, 9000, 10), HP_DEDUP_FIRST);
	hp_dedup_get_stats(e, &st);
	assert_int_equal(st.entries, 1202);
	/* loading again over itself changes nothing (the later expiry is kept) */
	n = hp_dedup_load(e, path, 5500, &info, err, sizeof(err));
	assert_int_equal(n, 1201);
	hp_dedup_get_stats(e, &st);
	assert_int_equal(st.entries, 1202);
	hp_dedup_free(e);

	/* an entry already in the table keeps the later of the two expiries */
	e = new_table("snap_c", 4096, 100);
	make_key(key, 3, 1); /* saved expiry 9000 */
	assert_int_equal(hp_dedup_check_insert(e, key, 8000, 100000), HP_DEDUP_FIRST);
	make_key(key, 900, 1); /* saved expiry 906000 */
	assert_int_equal(hp_dedup_check_insert(e, key, 8000, 10), HP_DEDUP_FIRST);
	/* at 8000 the entries with expiry 6000, 7000 and 8000 are expired: skipped */
	assert_int_equal(hp_dedup_load(e, path, 8000, &info, err, sizeof(err)), 1198);
	assert_int_equal(info.expired, 3);
	make_key(key, 3, 1);
	assert_true(hp_dedup_contains(e, key, 107999));
	make_key(key, 900, 1);
	assert_true(hp_dedup_contains(e, key, 905999));
	assert_false(hp_dedup_contains(e, key, 906000));
	hp_dedup_free(e);
	hp_dedup_free(d);
}

static void
test_snap_expired_skipped(void **state)
{
	struct hp_dedup *d = new_table("snap_x", 4096, 100), *e;
	const char *path = snap_path("exp.snap");
	struct hp_dedup_load_info info;
	uint8_t key[16];
	char err[256];
	int64_t n;

	(void)state;
	for (uint64_t i = 0; i < 300; i++) {
		make_key(key, i, 4);
		/* expiries 1100, 1200, ... 31000 */
		assert_int_equal(hp_dedup_check_insert(d, key, 1000, 100 * (i + 1)),
				 HP_DEDUP_FIRST);
	}
	/* saved at 5000: the 40 entries with expiry <= 5000 are not even written */
	n = hp_dedup_save(d, path, 5000, err, sizeof(err));
	assert_int_equal(n, 300 - 40);
	/* loaded at 20000: 150 more have expired since */
	n = load_fresh("snap_y", path, 20000, &info, err, sizeof(err), &e);
	assert_int_equal(info.in_file, 260);
	assert_int_equal(info.expired, 150);
	assert_int_equal(n, 110);
	assert_int_equal(info.loaded, 110);
	for (uint64_t i = 0; i < 300; i++) {
		make_key(key, i, 4);
		/* expired entries are not in the table at all (not even as expired ones) */
		assert_int_equal(hp_dedup_contains(e, key, 0), 1000 + 100 * (i + 1) > 20000);
	}
	{
		struct hp_dedup_stats st;

		hp_dedup_get_stats(e, &st);
		assert_int_equal(st.entries, 110);
	}
	hp_dedup_free(e);
	hp_dedup_free(d);
}

/* A snapshot with n entries written to path; returns its bytes (caller frees). */
static uint8_t *
good_snapshot(const char *name, const char *path, uint32_t n, size_t *len)
{
	struct hp_dedup *d = new_table(name, 4096, 100);
	uint8_t key[16];
	char err[256];

	for (uint64_t i = 0; i < n; i++) {
		make_key(key, i, 5);
		assert_int_equal(hp_dedup_check_insert(d, key, 1000, 1000000), HP_DEDUP_FIRST);
	}
	assert_int_equal(hp_dedup_save(d, path, 1000, err, sizeof(err)), n);
	hp_dedup_free(d);
	return slurp(path, len);
}

/* path must be refused with want (and nothing loaded), the message naming it and why. */
static void
expect_refused(const char *path, int64_t want, const char *why)
{
	struct hp_dedup_load_info info;
	struct hp_dedup_stats st;
	struct hp_dedup *e;
	char err[256];
	int64_t n;

	n = load_fresh("snap_r", path, 2000, &info, err, sizeof(err), &e);
	if (n != want || strstr(err, why) == NULL || strstr(err, path) == NULL)
		fprintf(stderr, "%s: got %" PRId64 " \"%s\", want %" PRId64 " and \"%s\"\n", path,
			n, err, want, why);
	assert_int_equal(n, want);
	assert_non_null(strstr(err, why));
	assert_non_null(strstr(err, path));
	assert_false(info.missing);
	assert_int_equal(info.loaded, 0);
	hp_dedup_get_stats(e, &st);
	assert_int_equal(st.entries, 0);
	hp_dedup_free(e);
}

static void
test_snap_corrupt_crc(void **state)
{
	const char *path = snap_path("crc.snap");
	size_t len;
	uint8_t *good = good_snapshot("snap_g", path, 500, &len), *b = malloc(len);

	(void)state;
	assert_non_null(b);
	/* one bit anywhere: in the last entry's expiry, the first key, the saved clock, the
	 * trailer itself */
	const size_t at[] = {len - 5, 32, 24, len - 1};
	for (size_t i = 0; i < RTE_DIM(at); i++) {
		memcpy(b, good, len);
		b[at[i]] ^= 0x10;
		spew(path, b, len);
		expect_refused(path, -EBADMSG, "CRC mismatch");
	}
	/* bad magic */
	memcpy(b, good, len);
	b[0] = 'X';
	spew(path, b, len);
	expect_refused(path, -EBADMSG, "bad magic");
	/* the untouched file loads */
	spew(path, good, len);
	{
		struct hp_dedup_load_info info;
		char err[256];

		assert_int_equal(load_fresh("snap_r", path, 2000, &info, err, sizeof(err), NULL),
				 500);
	}
	free(b);
	free(good);
}

static void
test_snap_truncated(void **state)
{
	const char *path = snap_path("trunc.snap");
	size_t len;
	uint8_t *good = good_snapshot("snap_t", path, 500, &len);

	(void)state;
	/* cut in the trailer, at an entry boundary (the trailer gone), mid-entry, right after
	 * the header, inside the header, empty */
	const size_t cut[] = {len - 1, len - 4, len - 4 - 24, len - 100, 36, 32, 20, 0};
	for (size_t i = 0; i < RTE_DIM(cut); i++) {
		spew(path, good, cut[i]);
		expect_refused(path, -EBADMSG, "truncated");
	}
	/* longer than its count says: trailing bytes */
	{
		uint8_t *b = malloc(len + 24);

		assert_non_null(b);
		memcpy(b, good, len);
		memset(b + len, 0, 24);
		spew(path, b, len + 24);
		expect_refused(path, -EBADMSG, "expected");
		free(b);
	}
	free(good);
}

static void
test_snap_missing_and_version(void **state)
{
	const char *path = snap_path("ver.snap");
	struct hp_dedup_load_info info;
	char err[256];
	size_t len;
	uint8_t *b;

	(void)state;
	/* missing: empty, not an error */
	info.missing = false;
	assert_int_equal(
		load_fresh("snap_m", snap_path("none.snap"), 2000, &info, err, sizeof(err), NULL),
		0);
	assert_true(info.missing);
	assert_int_equal(info.in_file, 0);
	/* a directory where the file should be: refused */
	expect_refused(snap_dir, -EBADMSG, "not a regular file");

	/* version 2 with a correct CRC: refused for its version, not as corrupt */
	b = good_snapshot("snap_v", path, 50, &len);
	b[8] = 2;
	fix_crc(b, len);
	spew(path, b, len);
	expect_refused(path, -EPROTO, "format version 2");
	/* sanity of fix_crc: version 1 again with a fixed CRC loads */
	b[8] = 1;
	fix_crc(b, len);
	spew(path, b, len);
	assert_int_equal(load_fresh("snap_m", path, 2000, &info, err, sizeof(err), NULL), 50);
	/* another key length (CRC right): refused */
	b[12] = 32;
	fix_crc(b, len);
	spew(path, b, len);
	expect_refused(path, -EBADMSG, "key length");
	/* an entry count that overflows the size check: refused, no huge allocation */
	b[12] = 16;
	memset(b + 16, 0xff, 8);
	fix_crc(b, len);
	spew(path, b, len);
	expect_refused(path, -EBADMSG, "truncated");
	free(b);

	/* a save that cannot write leaves the old file as it was */
	{
		struct hp_dedup *d = new_table("snap_w", 4096, 100);
		uint8_t key[16];

		make_key(key, 1, 6);
		hp_dedup_check_insert(d, key, 1000, 1000000);
		assert_true(hp_dedup_save(d, snap_path("no/such/dir.snap"), 1000, err,
					  sizeof(err)) < 0);
		assert_non_null(strstr(err, "no/such/dir.snap.tmp"));
		hp_dedup_free(d);
	}
}

/* An incremental save gives the same entries as a one-go save; sweeps may run between
 * steps. */
static void
test_snap_incremental(void **state)
{
	struct hp_dedup *d = new_table("snap_i", 4096, 100), *e;
	struct hp_dedup_load_info info;
	struct hp_dedup_snap *s;
	uint8_t key[16];
	char err[256];
	unsigned int steps = 0;
	int r;

	(void)state;
	for (uint64_t i = 0; i < 3000; i++) {
		make_key(key, i, 7);
		/* one in 3 expires at 2000 (swept between steps at 3500), the rest at 1e6 */
		hp_dedup_check_insert(d, key, 1000, i % 3 ? 1000000 : 1000);
	}
	s = hp_dedup_save_begin(d, snap_path("inc.snap"), 1500, err, sizeof(err));
	assert_non_null(s);
	while ((r = hp_dedup_save_step(s, 1500, 100, err, sizeof(err))) == 0) {
		if (++steps == 20)
			assert_int_equal(hp_dedup_sweep(d, 3500, 0), 1000);
	}
	assert_int_equal(r, 1);
	assert_true(steps > 30); /* 4097 positions, 100 per step */
	/* not in place before end */
	assert_int_equal(access(snap_path("inc.snap"), F_OK), -1);
	assert_true(hp_dedup_save_count(s) >= 2000);
	r = (int)hp_dedup_save_end(s, err, sizeof(err));
	assert_true(r >= 2000 && r <= 3000);
	assert_int_equal(
		load_fresh("snap_j", snap_path("inc.snap"), 1500, &info, err, sizeof(err), &e), r);
	for (uint64_t i = 0; i < 3000; i++) {
		make_key(key, i, 7);
		if (i % 3)
			assert_true(hp_dedup_contains(e, key, 1500));
	}
	hp_dedup_free(e);

	/* abort removes the temporary file and leaves the target alone */
	s = hp_dedup_save_begin(d, snap_path("inc.snap"), 1500, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(hp_dedup_save_step(s, 1500, 10, err, sizeof(err)), 0);
	hp_dedup_save_abort(s);
	assert_int_equal(access(snap_path("inc.snap.tmp"), F_OK), -1);
	assert_int_equal(access(snap_path("inc.snap"), F_OK), 0);
	/* end before the scan is complete is refused */
	s = hp_dedup_save_begin(d, snap_path("inc2.snap"), 1500, err, sizeof(err));
	assert_non_null(s);
	assert_true(hp_dedup_save_end(s, err, sizeof(err)) < 0);
	assert_int_equal(access(snap_path("inc2.snap"), F_OK), -1);
	assert_int_equal(access(snap_path("inc2.snap.tmp"), F_OK), -1);
	hp_dedup_free(d);
}

/* A snapshot bigger than the table it is loaded into: what fits is loaded, the rest
 * counted, no crash and no leak of positions. */
static void
test_snap_bigger_than_table(void **state)
{
	struct hp_dedup_config cfg = {.name = "snap_big",
				      .entries = 65536,
				      .socket = SOCKET_ID_ANY,
				      .high_watermark_pct = 100};
	struct hp_dedup *d, *e;
	struct hp_dedup_load_info info;
	uint8_t key[16];
	char err[256];
	int64_t n;

	(void)state;
	d = hp_dedup_create(&cfg, err, sizeof(err));
	assert_non_null(d);
	for (uint64_t i = 0; i < 60000; i++) {
		make_key(key, i, 8);
		assert_int_equal(hp_dedup_check_insert(d, key, 1000, 1000000), HP_DEDUP_FIRST);
	}
	assert_int_equal(hp_dedup_save(d, snap_path("big.snap"), 1000, err, sizeof(err)), 60000);
	hp_dedup_free(d);
	e = new_table("snap_small", 1024, 90); /* 1024 key positions */
	n = hp_dedup_load(e, snap_path("big.snap"), 1000, &info, err, sizeof(err));
	assert_int_equal(n, 1024);
	assert_int_equal(info.loaded + info.full, 60000);
	/* the sweep evicts down to the watermark; then there is room again */
	hp_dedup_sweep(e, 1000, 0);
	make_key(key, 1, 9);
	assert_int_equal(hp_dedup_check_insert(e, key, 1000, 10), HP_DEDUP_FIRST);
	hp_dedup_free(e);
}

/* Workers insert new keys as fast as they can (and report quiescent states) while the main
 * lcore saves in small steps and sweeps between them: no crash, every key live before the
 * scan started is in the file, short-lived ones swept meanwhile are not, and the file loads. */
#define CS_PREFILL 20000u
#define CS_SHORT   5000u
#define CS_PER_W   40000u

struct snap_run {
	struct hp_dedup *d;
	struct rte_rcu_qsbr *qsv;
	unsigned int stop;
	unsigned int done;
	uint64_t allow; /* inserts each worker may have done so far */
	uint64_t inserted[RTE_MAX_LCORE];
};

static int
snap_worker(void *arg)
{
	struct snap_run *t = arg;
	unsigned int me = rte_lcore_index(rte_lcore_id()) - 1;
	uint8_t key[16];
	uint64_t i = 0;

	rte_rcu_qsbr_thread_register(t->qsv, me);
	rte_rcu_qsbr_thread_online(t->qsv, me);
	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE) && i < CS_PER_W) {
		/* paced by the saving thread, so that the inserts spread over the whole scan
		 * whatever the load of this machine */
		if (i >= __atomic_load_n(&t->allow, __ATOMIC_ACQUIRE)) {
			rte_rcu_qsbr_quiescent(t->qsv, me);
			sched_yield();
			continue;
		}
		make_key(key, i++, 1000 + me);
		if (hp_dedup_check_insert(t->d, key, 2000, 1000000) == HP_DEDUP_FIRST)
			t->inserted[me]++;
		rte_rcu_qsbr_quiescent(t->qsv, me);
	}
	rte_rcu_qsbr_thread_offline(t->qsv, me);
	rte_rcu_qsbr_thread_unregister(t->qsv, me);
	__atomic_fetch_add(&t->done, 1, __ATOMIC_RELEASE);
	return 0;
}

static void
test_snap_concurrent_inserts(void **state)
{
	struct snap_run *t = rte_zmalloc("snap_run", sizeof(*t), 0);
	size_t qsz = rte_rcu_qsbr_get_memsize(n_workers);
	struct hp_dedup_load_info info;
	struct hp_dedup_snap *s;
	struct hp_dedup *e;
	uint64_t inserted = 0, missing = 0, found_new = 0, swept = 0, at_begin = 0, at_end = 0;
	unsigned int steps = 0;
	uint8_t key[16];
	char err[256];
	int64_t n;
	int r;

	(void)state;
	assert_non_null(t);
	t->qsv = rte_zmalloc("snap_qsv", qsz, RTE_CACHE_LINE_SIZE);
	assert_non_null(t->qsv);
	assert_int_equal(rte_rcu_qsbr_init(t->qsv, n_workers), 0);
	t->d = new_table("snap_cc", CS_PREFILL + CS_SHORT + CS_PER_W * 4 + 4096, 100);
	assert_int_equal(hp_dedup_rcu_attach(t->d, t->qsv), 0);
	for (uint64_t i = 0; i < CS_PREFILL; i++) {
		make_key(key, i, 10);
		assert_int_equal(hp_dedup_check_insert(t->d, key, 1000, 1000000), HP_DEDUP_FIRST);
	}
	for (uint64_t i = 0; i < CS_SHORT; i++) {
		make_key(key, i, 11);
		assert_int_equal(hp_dedup_check_insert(t->d, key, 1000, 10), HP_DEDUP_FIRST);
	}
	t->allow = 1000;
	for (unsigned int w = 0; w < n_workers; w++)
		assert_int_equal(rte_eal_remote_launch(snap_worker, t, worker_ids[w]), 0);
	usleep(2000); /* let the inserts get going */
	for (unsigned int w = 0; w < n_workers; w++)
		at_begin += __atomic_load_n(&t->inserted[w], __ATOMIC_RELAXED);
	s = hp_dedup_save_begin(t->d, snap_path("cc.snap"), 2000, err, sizeof(err));
	assert_non_null(s);
	while ((r = hp_dedup_save_step(s, 2000, 512, err, sizeof(err))) == 0) {
		/* the short-lived entries expired at 1010: reclaimed between steps, their
		 * positions recycled to the workers' new keys after the grace period */
		if (++steps % 8 == 0)
			swept += hp_dedup_sweep(t->d, 2000 + HP_DEDUP_SWEEP_SLACK_MS, 64);
		/* 400 more per worker and step: the 4 x 40 k inserts spread over the first ~100
		 * of the ~384 steps, the table filling to ~70 %, where inserts move keys between
		 * buckets (cuckoo displacement) all the time: what a bucket walk would miss */
		__atomic_fetch_add(&t->allow, 400, __ATOMIC_RELEASE);
		usleep(200);
	}
	assert_int_equal(r, 1);
	for (unsigned int w = 0; w < n_workers; w++)
		at_end += __atomic_load_n(&t->inserted[w], __ATOMIC_RELAXED);
	n = hp_dedup_save_end(s, err, sizeof(err));
	__atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
	wait_workers(&t->done, n_workers);
	for (unsigned int w = 0; w < n_workers; w++)
		inserted += t->inserted[w];
	printf("# snapshot under inserts: %u steps, %" PRId64 " entries written, %" PRIu64
	       " inserted by %u workers (%" PRIu64 " during the scan), %" PRIu64
	       " swept meanwhile\n",
	       steps, n, inserted, n_workers, at_end - at_begin, swept);
	assert_true(n >= CS_PREFILL);
	/* the scan really ran while workers inserted */
	assert_true(at_end - at_begin > 1000);
	assert_true(swept > 0);

	e = new_table("snap_cl", CS_PREFILL + CS_SHORT + CS_PER_W * 4 + 4096, 100);
	assert_int_equal(hp_dedup_load(e, snap_path("cc.snap"), 2000, &info, err, sizeof(err)), n);
	for (uint64_t i = 0; i < CS_PREFILL; i++) {
		make_key(key, i, 10);
		missing += !hp_dedup_contains(e, key, 2000);
	}
	assert_int_equal(missing, 0);
	for (uint64_t i = 0; i < CS_SHORT; i++) {
		make_key(key, i, 11);
		assert_false(hp_dedup_contains(e, key, 0));
	}
	for (unsigned int w = 0; w < n_workers; w++)
		for (uint64_t i = 0; i < CS_PER_W; i++) {
			make_key(key, i, 1000 + w);
			found_new += hp_dedup_contains(e, key, 2000);
		}
	/* every other entry written is one a worker inserted (racing inserts: some in) */
	assert_int_equal(found_new + CS_PREFILL, (uint64_t)n);
	assert_true(found_new <= inserted);
	hp_dedup_free(e);
	hp_dedup_free(t->d);
	rte_free(t->qsv);
	rte_free(t);
}

/* --lcores: main lcore free to float, workers pinned round-robin over the allowed CPUs. */
static int
eal_init(void)
{
	static char prefix[64], lcores[256];
	const char *args[] = {
		"test_dedup",    "--no-huge",      "-m",          "256",
		"--no-pci",      "--no-telemetry", "--log-level", "lib.eal:error",
		"--file-prefix", prefix,           "--lcores",    lcores,
	};
	static char *argv[RTE_DIM(args)];
	int cpus[8], n = 0, off;
	cpu_set_t set;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -1;
	for (int c = 0; c < CPU_SETSIZE && n < 8; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	if (n == 0)
		return -1;
	snprintf(prefix, sizeof(prefix), "hp-test-dedup-%d", (int)getpid());
	off = snprintf(lcores, sizeof(lcores), "0@%d", cpus[0]);
	for (int l = 1; l < N_LCORES; l++)
		off += snprintf(lcores + off, sizeof(lcores) - (size_t)off, ",%d@%d", l,
				cpus[(l - 1) % n]);
	for (size_t i = 0; i < RTE_DIM(args); i++)
		if ((argv[i] = strdup(args[i])) == NULL)
			return -1;
	return rte_eal_init((int)RTE_DIM(argv), argv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_single_semantics),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_sweep_expired),
		cmocka_unit_test(test_watermark),
		cmocka_unit_test(test_rcu_grace_period),
		cmocka_unit_test(test_concurrent_same_keys),
		cmocka_unit_test(test_concurrent_sweep_rcu),
		cmocka_unit_test(test_concurrent_same_keys_partitioned),
		cmocka_unit_test(test_concurrent_sweep_rcu_partitioned),
		cmocka_unit_test(test_partitions),
		cmocka_unit_test(test_snap_round_trip),
		cmocka_unit_test(test_snap_expired_skipped),
		cmocka_unit_test(test_snap_corrupt_crc),
		cmocka_unit_test(test_snap_truncated),
		cmocka_unit_test(test_snap_missing_and_version),
		cmocka_unit_test(test_snap_incremental),
		cmocka_unit_test(test_snap_bigger_than_table),
		cmocka_unit_test(test_snap_concurrent_inserts),
	};
	unsigned int l;
	int rc;

	if (eal_init() < 0) {
		fprintf(stderr, "test_dedup: EAL init failed\n");
		return 1;
	}
	RTE_LCORE_FOREACH_WORKER(l)
	worker_ids[n_workers++] = l;
	snprintf(snap_dir, sizeof(snap_dir), "/tmp/hp-test-dedup-XXXXXX");
	if (mkdtemp(snap_dir) == NULL) {
		fprintf(stderr, "test_dedup: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", snap_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "test_dedup: could not remove %s\n", snap_dir);
	}
	rte_eal_cleanup();
	return rc;
}
