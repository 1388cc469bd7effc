/* SPDX-License-Identifier: BSD-3-Clause
 * Replay cache across restarts: what the snapshot costs at start, at stop and while running,
 * each next to a reference measured in the same run on the same machine. Prints figures,
 * never passes or fails.
 *
 * For each table size N (live entries, random 16-byte keys, one replay_cache.entries-sized
 * table of 1 Mi entries as hookpath's default):
 *   reference  N hp_dedup_check_insert calls into an empty table (what the workers would
 *              spend to record the same entries again): the unit the others are read in
 *   load       hp_dedup_load of the N-entry file into an empty table (start-up cost)
 *   save       hp_dedup_save in one go (the final snapshot at stop, workers stopped)
 *   periodic   the incremental save as ctl_replay.c runs it: steps of 4096 positions, the
 *              longest and the median step (what one control loop turn can stall) and the total
 * and the first requests after a start, on a worker lcore (another CPU than the one that
 * created or loaded the table, as in hookpath): new keys (FIRST) and replays (DUPLICATE),
 * each call timed, after (a) creating an empty table, (b) loading the N-entry snapshot into
 * one: the first call, the medians of calls 2-100 and 101-5000 (and the mean of the latter),
 * and the steady state on the same table (median of calls 5001-25000). These tables are
 * created first thing in the process, so that their memory is fresh from the OS as at a start
 * (a table created after another was freed reuses memory already faulted in and would hide
 * page faults); measured once (first run), not medians of runs.
 * The file goes to a temporary directory (default /tmp, else argv): page cache speed; a disk
 * adds its fsync time to save, not to load (the file was just written, so it is cached).
 *
 * usage: bench_snapshot [EAL options] [-- [RUNS [DIR]]]     (medians of RUNS, default 5)
 *   default EAL: --no-huge -m 2048 --no-pci --lcores 0@cpu0,1@cpu1 (first 2 CPUs)
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "dedup.h"

#define TABLE_ENTRIES (1u << 20)
#define NOW_MS        1000000u
#define TTL_MS        300000u
#define STEP          4096u /* ctl_replay.c STEP_POSITIONS */
#define MAX_RUNS      21

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

static double
ms(uint64_t cyc)
{
	return (double)cyc * 1e3 / (double)rte_get_tsc_hz();
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static struct hp_dedup *
table(const char *name)
{
	struct hp_dedup_config cfg = {.name = name,
				      .entries = TABLE_ENTRIES,
				      .socket = (int)rte_socket_id(),
				      .high_watermark_pct = 100};
	char err[256];
	struct hp_dedup *d = hp_dedup_create(&cfg, err, sizeof(err));

	if (d == NULL) {
		fprintf(stderr, "bench_snapshot: %s\n", err);
		exit(1);
	}
	return d;
}

/* The first-request probe, run on a worker lcore: PROBE_N new keys (FIRST) interleaved with
 * PROBE_N replays (DUPLICATE), each call timed. */
#define PROBE_N 25000u

static struct {
	struct hp_dedup *d;
	const uint8_t (*dup_keys)[HP_DEDUP_KEY_LEN]; /* keys in the table (replays) */
	uint32_t n_dup;
	uint64_t seed;
	uint64_t nw[PROBE_N], dp[PROBE_N]; /* cycles per call */
	unsigned int bad;
} P;

static uint64_t
timed(const uint8_t *key, enum hp_dedup_result want)
{
	uint64_t t0 = rte_rdtsc_precise(), t1;
	enum hp_dedup_result r = hp_dedup_check_insert(P.d, key, NOW_MS + 1, TTL_MS);

	t1 = rte_rdtsc_precise();
	P.bad += r != want;
	return t1 - t0;
}

static int
probe(void *arg)
{
	uint64_t rng = P.seed;
	uint8_t key[HP_DEDUP_KEY_LEN];

	(void)arg;
	for (uint32_t i = 0; i < PROBE_N; i++) {
		rand_key(key, &rng);
		P.nw[i] = timed(key, HP_DEDUP_FIRST);
		/* without a loaded set, replay the key just recorded */
		P.dp[i] = timed(P.n_dup > 0 ? P.dup_keys[splitmix(&rng) % P.n_dup] : key,
				HP_DEDUP_DUPLICATE);
	}
	return 0;
}

/* Figures of one probe series: the first call, the medians of calls 2-100 and 101-5000, the
 * mean of calls 101-5000 and the median of 5001-25000 (steady state). Medians resist a
 * preemption or an interrupt on this shared machine; the mean shows the page faults that
 * hit a minority of the calls (a fresh bucket page each) until the table's pages are all
 * in, which is what the pre-fault in hp_dedup_create prevents. */
static double
median_u64(uint64_t *c, uint32_t n)
{
	qsort(c, n, sizeof(uint64_t), cmp_u64);
	return (double)c[n / 2];
}

static void
series(uint64_t *c, double *out)
{
	uint64_t sum = 0;

	for (uint32_t i = 100; i < 5000; i++)
		sum += c[i];
	out[0] = (double)c[0];
	out[1] = median_u64(c + 1, 99);
	out[2] = median_u64(c + 100, 4900);
	out[3] = (double)sum / 4900;
	out[4] = median_u64(c + 5000, PROBE_N - 5000);
}

static void
run_probe(unsigned int lcore, struct hp_dedup *d, const uint8_t (*keys)[HP_DEDUP_KEY_LEN],
	  uint32_t n, uint64_t seed, double *out)
{
	P.d = d;
	P.dup_keys = keys;
	P.n_dup = n;
	P.seed = seed;
	rte_eal_remote_launch(probe, NULL, lcore);
	rte_eal_wait_lcore(lcore);
	series(P.nw, &out[0]);
	series(P.dp, &out[5]);
}

enum fig {
	F_REF,
	F_LOAD,
	F_SAVE,
	F_PER_TOTAL,
	F_PER_MAXSTEP,
	F_PER_MEDSTEP,
	F_PER_STEPS,
	F_EMPTY, /* 10 probe figures (series): new keys, then replays */
	F_LOADED = F_EMPTY + 10,
	F_RATIO_LOAD = F_LOADED + 10,
	F_RATIO_SAVE,
	F__N
};

/* One run for n entries. fresh: two tables created first thing in the process (memory fresh
 * from the OS, as at a start) for the first-request probes, on the first run only (NULL
 * after): [0] stays empty, [1] gets the snapshot loaded. */
static int
one_run(uint32_t n, const char *path, unsigned int lcore, unsigned int run, double *f,
	uint64_t *file_size, struct hp_dedup *fresh[2])
{
	uint8_t(*keys)[HP_DEDUP_KEY_LEN] = malloc((size_t)n * HP_DEDUP_KEY_LEN);
	struct hp_dedup_load_info info;
	struct hp_dedup *src, *dst;
	struct hp_dedup_snap *s;
	static uint64_t step_cyc[1u << 16];
	uint64_t rng = 0x5eed0000u + run, t0, maxstep = 0, steps = 0;
	char err[512];
	struct stat st;
	int64_t got;
	int r;

	if (keys == NULL)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		rand_key(keys[i], &rng);

	/* reference: the same entries recorded by check_insert into an empty table */
	src = table("bsnap_src");
	t0 = rte_rdtsc();
	for (uint32_t i = 0; i < n; i++)
		hp_dedup_check_insert(src, keys[i], NOW_MS, TTL_MS);
	f[F_REF] = ms(rte_rdtsc() - t0);

	/* periodic (incremental) save, then the one-go save (the file that is loaded) */
	t0 = rte_rdtsc();
	s = hp_dedup_save_begin(src, path, NOW_MS, err, sizeof(err));
	if (s == NULL)
		goto fail;
	do {
		uint64_t ts = rte_rdtsc();

		r = hp_dedup_save_step(s, NOW_MS, STEP, err, sizeof(err));
		ts = rte_rdtsc() - ts;
		maxstep = RTE_MAX(maxstep, ts);
		if (steps < RTE_DIM(step_cyc))
			step_cyc[steps] = ts;
		steps++;
	} while (r == 0);
	if (r < 0 || hp_dedup_save_end(s, err, sizeof(err)) != (int64_t)n)
		goto fail;
	f[F_PER_TOTAL] = ms(rte_rdtsc() - t0);
	f[F_PER_MAXSTEP] = ms(maxstep);
	f[F_PER_STEPS] = (double)steps;
	qsort(step_cyc, RTE_MIN(steps, RTE_DIM(step_cyc)), sizeof(uint64_t), cmp_u64);
	f[F_PER_MEDSTEP] = ms(step_cyc[RTE_MIN(steps, RTE_DIM(step_cyc)) / 2]);
	t0 = rte_rdtsc();
	got = hp_dedup_save(src, path, NOW_MS, err, sizeof(err));
	f[F_SAVE] = ms(rte_rdtsc() - t0);
	if (got != (int64_t)n)
		goto fail;
	if (stat(path, &st) == 0)
		*file_size = (uint64_t)st.st_size;
	hp_dedup_free(src);

	/* first requests (a) on an empty table, as after a start without a snapshot, (b) on one
	 * the snapshot was just loaded into, as after a start with it */
	if (fresh != NULL) {
		run_probe(lcore, fresh[0], NULL, 0, rng + 1, &f[F_EMPTY]);
		got = hp_dedup_load(fresh[1], path, NOW_MS, &info, err, sizeof(err));
		if (got != (int64_t)n)
			goto fail;
		run_probe(lcore, fresh[1], (const uint8_t(*)[HP_DEDUP_KEY_LEN])keys, n, rng + 2,
			  &f[F_LOADED]);
	}

	/* load (start-up) */
	dst = table("bsnap_dst");
	t0 = rte_rdtsc();
	got = hp_dedup_load(dst, path, NOW_MS, &info, err, sizeof(err));
	f[F_LOAD] = ms(rte_rdtsc() - t0);
	if (got != (int64_t)n)
		goto fail;
	hp_dedup_free(dst);
	f[F_RATIO_LOAD] = f[F_LOAD] / f[F_REF];
	f[F_RATIO_SAVE] = f[F_SAVE] / f[F_REF];
	free(keys);
	if (P.bad) {
		fprintf(stderr, "bench_snapshot: %u unexpected results\n", P.bad);
		return -1;
	}
	return 0;
fail:
	fprintf(stderr, "bench_snapshot: %s\n", err);
	free(keys);
	return -1;
}

static int
eal_init(int argc, char **argv)
{
	static char prefix[64], lcores[64];
	const char *defs[] = {
		"bench_snapshot", "--no-huge",      "-m",          "2048",
		"--no-pci",       "--no-telemetry", "--log-level", "lib.eal:error",
		"--file-prefix",  prefix,           "--lcores",    lcores,
	};
	static char *dargv[RTE_DIM(defs)];
	int cpus[2], n = 0;
	cpu_set_t set;

	if (argc > 1 && argv[1][0] == '-' && strcmp(argv[1], "--") != 0)
		return rte_eal_init(argc, argv);
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -1;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	if (n == 0)
		return -1;
	if (n == 1)
		cpus[1] = cpus[0];
	snprintf(prefix, sizeof(prefix), "bench-snapshot-%d", (int)getpid());
	snprintf(lcores, sizeof(lcores), "0@%d,1@%d", cpus[0], cpus[1]);
	for (size_t i = 0; i < RTE_DIM(defs); i++)
		if ((dargv[i] = strdup(defs[i])) == NULL)
			return -1;
	if (rte_eal_init((int)RTE_DIM(dargv), dargv) < 0)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const uint32_t sizes[] = {100000, 1000000};
	static const char *const names[F__N] = {
		[F_REF] = "reference: N check_insert, empty table",
		[F_LOAD] = "load (start-up)",
		[F_SAVE] = "save, one go (stop)",
		[F_PER_TOTAL] = "periodic save, total",
		[F_PER_MAXSTEP] = "periodic save, longest step",
		[F_PER_MEDSTEP] = "periodic save, median step",
	};
	const char *dir = "/tmp";
	unsigned int runs = 5, lcore = 0, l;
	int consumed = eal_init(argc, argv);
	char tmpl[256], path[300];
	struct hp_dedup *fresh[RTE_DIM(sizes)][2];
	double create_cold_ms = 0;

	if (consumed < 0) {
		fprintf(stderr, "bench_snapshot: EAL init failed\n");
		return 1;
	}
	argc -= consumed;
	argv += consumed;
	if (argc > 1 && strcmp(argv[1], "--") == 0) {
		argc--;
		argv++;
	}
	if (argc > 1)
		runs = (unsigned int)strtoul(argv[1], NULL, 0);
	if (argc > 2)
		dir = argv[2];
	if (runs == 0 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: bench_snapshot [EAL options] [-- [RUNS [DIR]]]\n");
		return 1;
	}
	RTE_LCORE_FOREACH_WORKER(l)
	{
		lcore = l;
		break;
	}
	if (lcore == 0) {
		fprintf(stderr, "bench_snapshot: needs a worker lcore\n");
		return 1;
	}
	snprintf(tmpl, sizeof(tmpl), "%s/bench-snapshot-XXXXXX", dir);
	if (mkdtemp(tmpl) == NULL) {
		fprintf(stderr, "bench_snapshot: mkdtemp %s: %s\n", tmpl, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/replay.snap", tmpl);
	/* The first tables of the process, as the one a start creates: their memory comes fresh
	 * from the OS (tables created later reuse freed heap, already faulted in). */
	{
		uint64_t t0 = rte_rdtsc();

		for (size_t z = 0; z < RTE_DIM(sizes); z++)
			for (unsigned int i = 0; i < 2; i++) {
				char name[16];

				snprintf(name, sizeof(name), "bsnap_f%zu%u", z, i);
				fresh[z][i] = table(name);
				if (z == 0 && i == 0)
					create_cold_ms = ms(rte_rdtsc() - t0);
			}
	}
	printf("bench_snapshot: table of %u entries, %u runs (medians), TSC %.2f GHz, file in "
	       "%s, probe on lcore %u (cpu %u)\n",
	       TABLE_ENTRIES, runs, (double)rte_get_tsc_hz() / 1e9, tmpl, lcore,
	       (unsigned int)rte_lcore_to_cpu_id((int)lcore));
	printf("create the table, first in the process (as at start; with the pre-fault on "
	       "--no-huge): %.1f ms\n",
	       create_cold_ms);
	for (size_t z = 0; z < RTE_DIM(sizes); z++) {
		double f[F__N][MAX_RUNS], med[F__N], probe_fig[20];
		uint64_t size = 0;

		for (unsigned int r = 0; r < runs; r++) {
			double one[F__N];

			if (one_run(sizes[z], path, lcore, r, one, &size,
				    r == 0 ? fresh[z] : NULL) != 0)
				return 1;
			for (unsigned int k = 0; k < F__N; k++)
				f[k][r] = one[k];
			if (r == 0) /* probes: first run only, on fresh memory */
				memcpy(probe_fig, one + F_EMPTY, sizeof(probe_fig));
		}
		hp_dedup_free(fresh[z][0]);
		hp_dedup_free(fresh[z][1]);
		for (unsigned int k = 0; k < F_EMPTY; k++)
			med[k] = median(f[k], runs);
		for (unsigned int k = F_RATIO_LOAD; k < F__N; k++)
			med[k] = median(f[k], runs);
		memcpy(med + F_EMPTY, probe_fig, sizeof(probe_fig));
		printf("\nN = %" PRIu32 " live entries, file %.1f MB\n", sizes[z],
		       (double)size / 1e6);
		for (unsigned int k = F_REF; k <= F_PER_MEDSTEP; k++) {
			printf("  %-42s %9.2f ms", names[k], med[k]);
			if (k == F_LOAD || k == F_SAVE)
				printf("   %5.2fx reference (median of per-run ratios %.2fx), "
				       "%.0f ns/entry",
				       med[k] / med[F_REF],
				       med[k == F_LOAD ? F_RATIO_LOAD : F_RATIO_SAVE],
				       med[k] * 1e6 / sizes[z]);
			if (k == F_PER_MAXSTEP)
				printf("   (%.0f steps of %u positions)", med[F_PER_STEPS], STEP);
			printf("\n");
		}
		printf("  first requests after a start (cycles per call, worker lcore, tables on "
		       "fresh memory, first run):\n"
		       "  %-11s %-19s %7s %7s %9s %9s %7s %11s\n",
		       "table", "call", "1st", "2-100", "101-5000", "(mean)", "steady",
		       "1st/steady");
		for (unsigned int t = 0; t < 2; t++)
			for (unsigned int c = 0; c < 2; c++) {
				const double *m = &med[(t ? F_LOADED : F_EMPTY) + 5 * c];

				printf("  %-11s %-19s %7.0f %7.0f %9.0f %9.0f %7.0f %10.1fx\n",
				       t ? "loaded (N)" : "empty",
				       c ? "replay (DUPLICATE)" : "new key (FIRST)", m[0], m[1],
				       m[2], m[3], m[4], m[0] / m[4]);
			}
	}
	unlink(path);
	rmdir(tmpl);
	rte_eal_cleanup();
	return 0;
}
