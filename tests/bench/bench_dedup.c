/* SPDX-License-Identifier: BSD-3-Clause
 * Replay cache benchmark: hp_dedup_check_insert (one table shared by every worker) next to
 * references measured in the same run on the same key streams:
 *   private   a plain rte_hash (no concurrency flags) private to each worker, with the same
 *             lookup-then-add and expiry logic minus the atomics. With 1 worker it is
 *             "single-writer rte_hash without LF"; with N it is the perfectly partitioned
 *             bound, the ideal a shared table can approach (it would miss replays that land
 *             on another worker, so it is a cost floor, not an alternative);
 *   one lock  the design before issue 18: a single shared rte_hash in LF | MULTI_WRITER_ADD
 *             mode (one writer lock for the table), the same lookup / add / CAS.
 * For 1, 2, 4, ... workers up to the worker lcores (default: one per CPU, at most 16), it
 * prints Mops/s of each, the ratios to the private tables, and N workers / 1 worker.
 * Prints figures, never passes or fails.
 *
 * Mixes (per worker, N operations, keys drawn before timing):
 *   first-heavy  90 % never-seen keys (FIRST, i.e. rte_hash add), 10 % repeats of a key
 *                seen 5 operations earlier (DUPLICATE)
 *   dup-heavy    90 % keys of a prefilled 64 k set (DUPLICATE: lookup only), 10 % new
 * Workers are EAL lcores pinned one per CPU; the main lcore sleeps while they run.
 *
 * usage: bench_dedup [EAL options] [-- N_OPS [RUNS]]
 *   default EAL: --no-huge -m (sized for N_OPS) --no-pci --lcores 0@(cpus),1@cpu0,2@cpu1,...
 *   one worker per CPU this process may run on, at least 2 (then oversubscribed, and said
 *   so), at most 16.
 */
#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "dedup.h"

#define PREFILL  65536u
#define MAX_WORK 16
#define NOW_MS   1000u
#define TTL_MS   100000000u

enum impl { IMPL_HP, IMPL_HP1, IMPL_MW, IMPL_REF, IMPL__N };
enum mix { MIX_FIRST, MIX_DUP };

static const char *const impl_names[] = {
	[IMPL_HP] = "hp_dedup shared",
	[IMPL_HP1] = "hp_dedup, one partition",
	[IMPL_MW] = "one lock: rte_hash LF+MW",
	[IMPL_REF] = "rte_hash private (no flags)",
};
static const char *const mix_names[] = {[MIX_FIRST] = "first-heavy", [MIX_DUP] = "dup-heavy"};

struct ref_table {
	struct rte_hash *h;
	uint64_t *expiry;
};

struct worker {
	unsigned int lcore;
	uint8_t (*keys)[HP_DEDUP_KEY_LEN]; /* the operation stream */
	struct ref_table ref;
	uint64_t cycles;
	uint64_t first, dup, other;
} __rte_cache_aligned;

static struct {
	enum impl impl;
	unsigned int n_workers;
	uint32_t n_ops;
	struct hp_dedup *d;
	struct ref_table mw; /* IMPL_MW: one table for all */
	struct worker w[MAX_WORK];
	uint8_t (*prefill)[HP_DEDUP_KEY_LEN];
	unsigned int n_streams; /* workers that have a key stream */
	unsigned int go;
	unsigned int done;
} B;

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void
rand_key(uint8_t *key, uint64_t *rng)
{
	uint64_t a = splitmix(rng), b = splitmix(rng);

	memcpy(key, &a, 8);
	memcpy(key + 8, &b, 8);
}

static uint32_t
key_hash(const void *key, uint32_t len, uint32_t init)
{
	return rte_hash_crc(key, len, init);
}

static void
make_streams(enum mix mix)
{
	for (unsigned int w = 0; w < B.n_streams; w++) {
		uint64_t rng = (uint64_t)(w + 1) << 32 | (unsigned int)mix;

		for (uint32_t i = 0; i < B.n_ops; i++) {
			uint8_t *k = B.w[w].keys[i];

			if (mix == MIX_FIRST && i % 10 == 9)
				memcpy(k, B.w[w].keys[i - 5], HP_DEDUP_KEY_LEN);
			else if (mix == MIX_DUP && i % 10 != 9)
				memcpy(k, B.prefill[splitmix(&rng) % PREFILL], HP_DEDUP_KEY_LEN);
			else
				rand_key(k, &rng);
		}
	}
}

/* The design before issue 18 (lib/dedup at 4069879, minus its stats): one LF + MULTI_WRITER_ADD
 * rte_hash for every worker; rte_hash serialises the adds on its writer lock. */
static inline enum hp_dedup_result
mw_check_insert(struct ref_table *t, const uint8_t *key, uint64_t now, uint64_t ttl)
{
	hash_sig_t sig = rte_hash_hash(t->h, key);
	int32_t pos = rte_hash_lookup_with_hash(t->h, key, sig);
	uint64_t old;

	if (pos < 0) {
		pos = rte_hash_add_key_with_hash(t->h, key, sig);
		if (pos < 0)
			return HP_DEDUP_FULL;
	}
	old = __atomic_load_n(&t->expiry[pos], __ATOMIC_ACQUIRE);
	for (;;) {
		if (old > now)
			return HP_DEDUP_DUPLICATE;
		if (__atomic_compare_exchange_n(&t->expiry[pos], &old, now + ttl, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return HP_DEDUP_FIRST;
	}
}

/* The reference: what one worker would do with its own rte_hash, no atomics needed. */
static inline enum hp_dedup_result
ref_check_insert(struct ref_table *t, const uint8_t *key, uint64_t now, uint64_t ttl)
{
	hash_sig_t sig = rte_hash_hash(t->h, key);
	int32_t pos = rte_hash_lookup_with_hash(t->h, key, sig);

	if (pos < 0) {
		pos = rte_hash_add_key_with_hash(t->h, key, sig);
		if (pos < 0)
			return HP_DEDUP_FULL;
	}
	if (t->expiry[pos] > now)
		return HP_DEDUP_DUPLICATE;
	t->expiry[pos] = now + ttl;
	return HP_DEDUP_FIRST;
}

static int
worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t t0, first = 0, dup = 0, other = 0;

	while (!__atomic_load_n(&B.go, __ATOMIC_ACQUIRE))
		rte_pause();
	t0 = rte_rdtsc();
	for (uint32_t i = 0; i < B.n_ops; i++) {
		enum hp_dedup_result r =
			B.impl <= IMPL_HP1  ? hp_dedup_check_insert(B.d, w->keys[i], NOW_MS, TTL_MS)
			: B.impl == IMPL_MW ? mw_check_insert(&B.mw, w->keys[i], NOW_MS, TTL_MS)
					    : ref_check_insert(&w->ref, w->keys[i], NOW_MS, TTL_MS);

		first += r == HP_DEDUP_FIRST;
		dup += r == HP_DEDUP_DUPLICATE;
		other += r > HP_DEDUP_DUPLICATE;
	}
	w->cycles = rte_rdtsc() - t0;
	w->first = first;
	w->dup = dup;
	w->other = other;
	__atomic_fetch_add(&B.done, 1, __ATOMIC_RELEASE);
	return 0;
}

static int
setup_tables(enum mix mix)
{
	uint32_t entries = B.n_ops * B.n_workers + PREFILL + 1024;
	char err[256];

	if (B.impl <= IMPL_HP1) {
		/* IMPL_HP: partitioned by size, as with several workers; IMPL_HP1: one table,
		 * what hookpath uses with one worker */
		struct hp_dedup_config cfg = {
			.name = "bench",
			.entries = entries,
			.socket = (int)rte_socket_id(),
			.high_watermark_pct = 100,
			.partitions = B.impl == IMPL_HP1 ? 1 : 0,
		};

		B.d = hp_dedup_create(&cfg, err, sizeof(err));
		if (B.d == NULL) {
			fprintf(stderr, "bench_dedup: %s\n", err);
			return -1;
		}
		if (mix == MIX_DUP)
			for (uint32_t i = 0; i < PREFILL; i++)
				hp_dedup_check_insert(B.d, B.prefill[i], NOW_MS, TTL_MS);
		return 0;
	}
	if (B.impl == IMPL_MW) {
		struct rte_hash_parameters p = {
			.name = "bench_mw",
			.entries = entries,
			.key_len = HP_DEDUP_KEY_LEN,
			.hash_func = key_hash,
			.socket_id = (int)rte_socket_id(),
			.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
				      RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD |
				      RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
		};

		B.mw.h = rte_hash_create(&p);
		if (B.mw.h == NULL)
			return -1;
		B.mw.expiry = rte_zmalloc(NULL, ((size_t)rte_hash_max_key_id(B.mw.h) + 1) * 8, 64);
		if (B.mw.expiry == NULL)
			return -1;
		if (mix == MIX_DUP)
			for (uint32_t i = 0; i < PREFILL; i++)
				mw_check_insert(&B.mw, B.prefill[i], NOW_MS, TTL_MS);
		return 0;
	}
	for (unsigned int w = 0; w < B.n_workers; w++) {
		struct ref_table *t = &B.w[w].ref;
		char name[RTE_HASH_NAMESIZE];
		struct rte_hash_parameters p = {
			.name = name,
			.entries = B.n_ops + PREFILL + 1024,
			.key_len = HP_DEDUP_KEY_LEN,
			.hash_func = key_hash,
			.socket_id = (int)rte_socket_id(),
			.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
		};

		snprintf(name, sizeof(name), "bench_ref%u", w);
		t->h = rte_hash_create(&p);
		if (t->h == NULL)
			return -1;
		t->expiry = rte_zmalloc(NULL, ((size_t)rte_hash_max_key_id(t->h) + 1) * 8, 64);
		if (t->expiry == NULL)
			return -1;
		if (mix == MIX_DUP)
			for (uint32_t i = 0; i < PREFILL; i++)
				ref_check_insert(t, B.prefill[i], NOW_MS, TTL_MS);
	}
	return 0;
}

static void
free_tables(void)
{
	hp_dedup_free(B.d);
	B.d = NULL;
	rte_hash_free(B.mw.h);
	rte_free(B.mw.expiry);
	B.mw.h = NULL;
	B.mw.expiry = NULL;
	for (unsigned int w = 0; w < MAX_WORK; w++) {
		rte_hash_free(B.w[w].ref.h);
		rte_free(B.w[w].ref.expiry);
		B.w[w].ref.h = NULL;
		B.w[w].ref.expiry = NULL;
	}
}

struct result {
	double mops;   /* all workers together */
	double cycles; /* per operation, mean over workers */
	uint64_t first, dup, other;
};

static int
run_once(enum impl impl, enum mix mix, unsigned int n_workers, struct result *res)
{
	uint64_t max_cyc = 0, sum_cyc = 0;

	B.impl = impl;
	B.n_workers = n_workers;
	if (setup_tables(mix) != 0) {
		free_tables();
		return -1;
	}
	B.go = 0;
	B.done = 0;
	for (unsigned int w = 0; w < n_workers; w++)
		rte_eal_remote_launch(worker_main, &B.w[w], B.w[w].lcore);
	usleep(20000);
	__atomic_store_n(&B.go, 1, __ATOMIC_RELEASE);
	/* sleep, don't spin: the main lcore shares the CPUs with the workers */
	while (__atomic_load_n(&B.done, __ATOMIC_ACQUIRE) < n_workers)
		usleep(2000);
	rte_eal_mp_wait_lcore();
	memset(res, 0, sizeof(*res));
	for (unsigned int w = 0; w < n_workers; w++) {
		max_cyc = RTE_MAX(max_cyc, B.w[w].cycles);
		sum_cyc += B.w[w].cycles;
		res->first += B.w[w].first;
		res->dup += B.w[w].dup;
		res->other += B.w[w].other;
	}
	res->mops =
		(double)B.n_ops * n_workers / ((double)max_cyc / (double)rte_get_tsc_hz()) / 1e6;
	res->cycles = (double)sum_cyc / ((double)B.n_ops * n_workers);
	free_tables();
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static unsigned int n_cpus; /* CPUs this process may run on */

/* Default EAL arguments: the main lcore floats over every CPU (it sleeps while workers run),
 * worker i is pinned to CPU i % n_cpus; -m sized for the largest table (N_OPS per worker,
 * MAX_WORK workers; ~100 bytes per entry, one table alive at a time). */
static int
eal_init(int argc, char **argv, uint32_t n_ops)
{
	static char prefix[64], lcores[1024], mem[32], all[512];
	const char *defs[] = {
		"bench_dedup",   "--no-huge",      "-m",          mem,
		"--no-pci",      "--no-telemetry", "--log-level", "lib.eal:error",
		"--file-prefix", prefix,           "--lcores",    lcores,
	};
	static char *dargv[RTE_DIM(defs)];
	int cpus[CPU_SETSIZE];
	unsigned int n = 0, nw;
	size_t off = 0, aoff = 0;
	cpu_set_t set;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	if (n == 0)
		return -1;
	n_cpus = n;
	if (argc > 1 && argv[1][0] == '-' && strcmp(argv[1], "--") != 0)
		return rte_eal_init(argc, argv); /* caller's own EAL options */
	nw = RTE_MAX(2u, RTE_MIN(n, (unsigned int)MAX_WORK));
	for (unsigned int i = 0; i < RTE_MIN(n, 64u); i++)
		aoff += (size_t)snprintf(all + aoff, sizeof(all) - aoff, "%s%d", i ? "," : "",
					 cpus[i]);
	off += (size_t)snprintf(lcores + off, sizeof(lcores) - off, "0@(%s)", all);
	for (unsigned int w = 0; w < nw; w++)
		off += (size_t)snprintf(lcores + off, sizeof(lcores) - off, ",%u@%d", w + 1,
					cpus[w % n]);
	snprintf(mem, sizeof(mem), "%" PRIu64,
		 256 + ((uint64_t)n_ops * nw + PREFILL) * 100 / (1024 * 1024) * 2);
	snprintf(prefix, sizeof(prefix), "bench-dedup-%d", (int)getpid());
	for (size_t i = 0; i < RTE_DIM(defs); i++)
		if ((dargv[i] = strdup(defs[i])) == NULL)
			return -1;
	if (rte_eal_init((int)RTE_DIM(dargv), dargv) < 0)
		return -1;
	return 0; /* none of argv consumed */
}

static double
median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(double), cmp_double);
	return v[n / 2];
}

int
main(int argc, char **argv)
{
	unsigned int runs = 5, l, n_lc = 0, counts[8], n_counts = 0;
	uint32_t n_ops = 1000000;
	int consumed, dd = -1;
	/* [mix][impl][count index]: median Mops/s */
	double med[2][IMPL__N][8];

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dd = i;
			break;
		}
	if (dd > 0 && dd + 1 < argc)
		n_ops = (uint32_t)strtoul(argv[dd + 1], NULL, 0);
	if (dd > 0 && dd + 2 < argc)
		runs = (unsigned int)strtoul(argv[dd + 2], NULL, 0);
	if (n_ops < 100 || n_ops > 64000000 || runs == 0 || runs > 99) {
		fprintf(stderr, "usage: bench_dedup [EAL options] [-- N_OPS [RUNS]]\n");
		return 1;
	}
	consumed = eal_init(argc, argv, n_ops);
	if (consumed < 0) {
		fprintf(stderr, "bench_dedup: EAL init failed\n");
		return 1;
	}
	B.n_ops = n_ops;
	RTE_LCORE_FOREACH_WORKER(l)
	if (n_lc < MAX_WORK)
		B.w[n_lc++].lcore = l;
	if (n_lc < 1) {
		fprintf(stderr, "bench_dedup: needs worker lcores\n");
		return 1;
	}
	for (unsigned int c = 1; c <= n_lc; c *= 2)
		counts[n_counts++] = c;
	if (counts[n_counts - 1] != n_lc)
		counts[n_counts++] = n_lc;
	B.prefill = malloc((size_t)PREFILL * HP_DEDUP_KEY_LEN);
	if (B.prefill == NULL)
		return 1;
	for (unsigned int w = 0; w < n_lc; w++) {
		B.w[w].keys = malloc((size_t)B.n_ops * HP_DEDUP_KEY_LEN);
		if (B.w[w].keys == NULL)
			return 1;
	}
	{
		uint64_t rng = 42;

		for (uint32_t i = 0; i < PREFILL; i++)
			rand_key(B.prefill[i], &rng);
	}
	B.n_streams = n_lc;

	printf("bench_dedup: %" PRIu32 " ops per worker, %u runs (medians), TSC %.2f GHz, "
	       "%u worker lcores on %u CPUs%s\n",
	       B.n_ops, runs, (double)rte_get_tsc_hz() / 1e9, n_lc, n_cpus,
	       n_lc > n_cpus ? " (OVERSUBSCRIBED: workers share CPUs, figures above "
			       "the CPU count do not measure scaling)"
			     : "");
	for (unsigned int w = 0; w < n_lc; w++)
		printf("%s%u@cpu%u", w ? ", " : "  workers: lcore ", B.w[w].lcore,
		       (unsigned int)rte_lcore_to_cpu_id((int)B.w[w].lcore));
	printf("\n%-12s %-7s %-30s %9s %10s %9s %9s %6s\n", "mix", "workers", "implementation",
	       "Mops/s", "cycles/op", "first", "dup", "other");
	for (unsigned int m = 0; m < 2; m++) {
		make_streams((enum mix)m);
		for (unsigned int ci = 0; ci < n_counts; ci++) {
			unsigned int nw = counts[ci];
			double mops[IMPL__N][99], cyc[IMPL__N][99], ratio[IMPL__N][99];
			struct result r[IMPL__N];

			memset(r, 0, sizeof(r));
			/* one uncounted warm-up each, then the implementations alternately, so all
			 * see the same neighbours on a shared machine; ratios are taken per run */
			for (unsigned int im = 0; im < IMPL__N; im++)
				if (run_once((enum impl)im, (enum mix)m, nw, &r[im]) != 0)
					return 1;
			for (unsigned int i = 0; i < runs; i++) {
				for (unsigned int im = 0; im < IMPL__N; im++) {
					if (run_once((enum impl)im, (enum mix)m, nw, &r[im]) != 0)
						return 1;
					mops[im][i] = r[im].mops;
					cyc[im][i] = r[im].cycles;
				}
				for (unsigned int im = 0; im < IMPL__N; im++)
					ratio[im][i] = mops[im][i] / mops[IMPL_REF][i];
			}
			for (unsigned int im = 0; im < IMPL__N; im++) {
				med[m][im][ci] = median(mops[im], runs);
				printf("%-12s %-7u %-30s %9.2f %10.1f %9" PRIu64 " %9" PRIu64
				       " %6" PRIu64 "\n",
				       mix_names[m], nw, impl_names[im], med[m][im][ci],
				       median(cyc[im], runs), r[im].first, r[im].dup, r[im].other);
			}
			for (unsigned int im = 0; im < IMPL_REF; im++)
				printf("%-12s %-7u %-30s %9.2fx   (median of per-run ratios)\n",
				       mix_names[m], nw,
				       im == IMPL_HP    ? "ratio hp_dedup / private"
				       : im == IMPL_HP1 ? "ratio one partition / private"
							: "ratio one lock / private",
				       median(ratio[im], runs));
		}
		for (unsigned int ci = 1; ci < n_counts; ci++)
			printf("%-12s %u/1%-4s scaling (N workers / 1 worker): hp_dedup %.2fx, one "
			       "partition %.2fx, one lock %.2fx, private %.2fx (ideal %ux)%s\n",
			       mix_names[m], counts[ci], "",
			       med[m][IMPL_HP][ci] / med[m][IMPL_HP][0],
			       med[m][IMPL_HP1][ci] / med[m][IMPL_HP1][0],
			       med[m][IMPL_MW][ci] / med[m][IMPL_MW][0],
			       med[m][IMPL_REF][ci] / med[m][IMPL_REF][0], counts[ci],
			       counts[ci] > n_cpus ? "  OVERSUBSCRIBED" : "");
	}
	for (unsigned int w = 0; w < n_lc; w++)
		free(B.w[w].keys);
	free(B.prefill);
	rte_eal_cleanup();
	return 0;
}
