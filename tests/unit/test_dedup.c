/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of the replay cache (lib/dedup).
 *
 * The EAL is started once in main() (--no-huge, own --file-prefix, 5 lcores spread over the
 * CPUs this process may use: several lcores share a CPU on a 2-vCPU machine, which is the
 * point: preemption in the middle of a call is what breaks naive designs). Concurrent tests
 * run real EAL threads (rte_eal_remote_launch), because rte_hash's multi-writer mode keeps
 * per-lcore state and would not be exercised by plain pthreads.
 */
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
		.name = name, .entries = entries, .socket = SOCKET_ID_ANY,
		.high_watermark_pct = hwm,
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

/* Fill until FULL: at least `entries` keys fit (rte_hash adds per-lcore cache slack, and
 * extendable buckets make collisions irrelevant); FULL records nothing and is counted. */
static void
test_full(void **state)
{
	struct hp_dedup *d = new_table("full", 64, 100);
	struct hp_dedup_stats st;
	uint8_t k[16];
	unsigned int firsts = 0, fulls = 0, i;

	(void)state;
	for (i = 0; i < 100000 && fulls < 10; i++) {
		enum hp_dedup_result r;

		make_key(k, i, 7);
		r = hp_dedup_check_insert(d, k, 0, 10);
		if (r == HP_DEDUP_FIRST)
			firsts++;
		else if (r == HP_DEDUP_FULL)
			fulls++;
		else
			fail_msg("unexpected %s", hp_dedup_result_name(r));
		if (r == HP_DEDUP_FULL)
			assert_false(hp_dedup_contains(d, k, 0));
	}
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
	struct rte_rcu_qsbr *qsv = rte_zmalloc("qsv1", rte_rcu_qsbr_get_memsize(1),
					       RTE_CACHE_LINE_SIZE);
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
	assert_int_equal(st.pending, 100);     /* the reader may still hold them */
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
	uint32_t other;                 /* FULL / BUSY: must stay 0 here */
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
#define SW_STRIDE  4     /* clock ticks per new key id */
#define SW_BACK    1200  /* ids: reaches keys past TTL + slack, i.e. swept or being swept */
#define SW_LOG     (1u << 18)
#define SW_TICK    64

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
			t->log[me][t->n_log[me]++] = (struct first_rec){
				.key = id, .now = now, .ttl = ttl};
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
	/* 8 k: well above the ~2 k keys live at once, so nothing is evicted live (which would
	 * legitimately allow a second FIRST); rte_hash still has only ~41 k key positions */
	t->d = new_table("rcu", 8192, 100);
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
	 * keys come and go, more than the table's ~41 k key positions, so positions freed after
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
			fprintf(stderr, "key %" PRIu64 ": FIRST at %" PRIu64 " (ttl %u) and at %"
				PRIu64 "\n",
				c->key, p->now, p->ttl, c->now);
	}
	hp_dedup_get_stats(t->d, &st);
	printf("# rcu sweep: %" PRIu64 " calls, %" PRIu64 " first, %" PRIu64 " swept, %" PRIu64
	       " evicted, %" PRIu64 " busy, %" PRIu64 " full, %" PRIu64 " pending\n", calls, total,
	       st.swept, st.evicted_live, t->busy, t->full, st.pending);
	assert_int_equal(bad, 0);
	assert_true(calls > 10000);
	assert_true(swept_calls > 45000);  /* more than the key positions: they were reused */
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

/* --lcores: main lcore free to float, workers pinned round-robin over the allowed CPUs. */
static int
eal_init(void)
{
	static char prefix[64], lcores[256];
	const char *args[] = {
		"test_dedup", "--no-huge", "-m", "256", "--no-pci", "--no-telemetry",
		"--log-level", "lib.eal:error", "--file-prefix", prefix, "--lcores", lcores,
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
	};
	unsigned int l;
	int rc;

	if (eal_init() < 0) {
		fprintf(stderr, "test_dedup: EAL init failed\n");
		return 1;
	}
	RTE_LCORE_FOREACH_WORKER(l)
		worker_ids[n_workers++] = l;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}
