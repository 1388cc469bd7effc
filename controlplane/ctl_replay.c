/* SPDX-License-Identifier: BSD-3-Clause
 * Replay protection across restarts (replay_cache.snapshot, docs/DEDUP.md "Across restarts").
 *
 * The replay cache (lib/dedup) is loaded from its snapshot file after the dataplane is set up
 * and before the workers start, written again every replay_cache.snapshot_interval_s while
 * they run, and once more after they stopped. The periodic snapshot is incremental: each
 * control loop turn scans a bounded slice of the table (STEP_POSITIONS positions) and writes
 * what it found to "<path>.tmp"; when the scan is complete the file is fsync'ed and renamed
 * into place, so the control thread never stalls on a large table and a crash at any moment
 * leaves the previous complete snapshot. The final snapshot (workers stopped) is one call.
 *
 * Everything here runs on the control thread, which is also the thread that sweeps the
 * replay cache (hp_dp_tick): the library's rule "no sweep during a save step" holds by
 * construction.
 *
 * A snapshot that exists but cannot be read whole (corrupt, truncated, another format
 * version, unreadable) stops the start-up: starting empty would silently accept again every
 * webhook delivered before the restart, inside its tolerance window, which is the replay this
 * appliance exists to refuse. The operator decides: move the file aside (and accept that
 * window) or restore it.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>

#include "ctl.h"
#include "dedup.h"
#include "dp.h"
#include "dp_log.h"
#include "hp_config.h"

/* Positions scanned per control loop turn by the periodic snapshot. A live position costs
 * ~100-170 ns (a lock-free lookup validates its key; 24 bytes buffered), an empty one a few
 * ns, so a turn spends at most ~0.5-0.7 ms here, and a full 1 Mi-entry table is written in
 * ~260 turns (bench_snapshot, docs/PERFORMANCE.md). */
#define STEP_POSITIONS 4096u

static struct {
	bool on; /* a path, and the load went through: saves allowed */
	char path[PATH_MAX];
	uint64_t interval_tsc;      /* 0: only at stop */
	uint64_t next_tsc;          /* when the next periodic snapshot starts */
	uint64_t begun_tsc;         /* when the one in progress started */
	struct hp_dedup_snap *snap; /* in progress, or NULL */
	/* read by the stats and metrics renderers (atomics: they may run on the API thread) */
	uint64_t written, failed; /* snapshots renamed into place / given up (periodic, final) */
	uint64_t last_entries;    /* entries in the last one written */
	uint64_t last_ok_tsc;     /* when it was written; 0: none yet by this process */
	uint64_t loaded;          /* entries loaded at start (set before the workers run) */
} rp;

static void
count_saved(int64_t n)
{
	if (n < 0) {
		__atomic_fetch_add(&rp.failed, 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_store_n(&rp.last_entries, (uint64_t)n, __ATOMIC_RELAXED);
	__atomic_store_n(&rp.last_ok_tsc, rte_rdtsc(), __ATOMIC_RELAXED);
	__atomic_fetch_add(&rp.written, 1, __ATOMIC_RELAXED);
}

void
hp_ctl_replay_stats(struct hp_ctl_replay_stats *out)
{
	uint64_t ok = __atomic_load_n(&rp.last_ok_tsc, __ATOMIC_RELAXED);

	out->enabled = rp.path[0] != '\0';
	out->loaded = rp.loaded;
	out->written = __atomic_load_n(&rp.written, __ATOMIC_RELAXED);
	out->failed = __atomic_load_n(&rp.failed, __ATOMIC_RELAXED);
	out->last_entries = __atomic_load_n(&rp.last_entries, __ATOMIC_RELAXED);
	out->last_age_s = ok ? (double)(rte_rdtsc() - ok) / (double)rte_get_tsc_hz() : -1.0;
}

static uint64_t
now_ms(void)
{
	/* the workers' clock: expiries are absolute times on it */
	return hp_dp_wall_ns(rte_rdtsc()) / 1000000;
}

static double
ms_since(uint64_t tsc)
{
	return (double)(rte_rdtsc() - tsc) * 1e3 / (double)rte_get_tsc_hz();
}

/* The directory the snapshot is renamed into must exist and be writable: found out now, not
 * at stop when the cache is about to be lost. */
static int
check_dir(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (access(dir, W_OK | X_OK) != 0) {
		snprintf(err, errlen, "replay_cache.snapshot %s: directory %s: %s", path, dir,
			 strerror(errno));
		return -1;
	}
	return 0;
}

int
hp_ctl_replay_load(const struct hp_config *cfg, char *err, size_t errlen)
{
	const struct hp_replay_config *rc = &cfg->replay_cache;
	struct hp_dedup_load_info info;
	char lerr[PATH_MAX + 256];
	uint64_t t0 = rte_rdtsc(), now;
	int64_t n;
	int len;

	memset(&rp, 0, sizeof(rp));
	if (strcmp(rc->snapshot, "off") == 0) {
		HP_LOG(INFO, "replay cache: not kept across restarts (replay_cache.snapshot "
			     "off)\n");
		return 0;
	}
	if (rc->snapshot[0] != '\0')
		len = snprintf(rp.path, sizeof(rp.path), "%s", rc->snapshot);
	else
		len = snprintf(rp.path, sizeof(rp.path), "%s/replay.snap",
			       rte_eal_get_runtime_dir());
	if (len < 0 || (size_t)len + sizeof(".tmp") > sizeof(rp.path)) {
		snprintf(err, errlen, "replay_cache.snapshot: path too long");
		return -1;
	}
	if (rp.path[0] != '/') {
		snprintf(err, errlen, "replay_cache.snapshot %s: not an absolute path", rp.path);
		return -1;
	}
	/* written aside, then renamed over the path: never over a device or a FIFO */
	if (hp_ctl_path_not_regular(rp.path)) {
		snprintf(err, errlen, "replay_cache.snapshot %s: exists and is not a regular file",
			 rp.path);
		return -1;
	}
	if (check_dir(rp.path, err, errlen) != 0)
		return -1;
	now = now_ms();
	n = hp_dedup_load(hp_dp_replay_cache(), rp.path, now, &info, lerr, sizeof(lerr));
	if (n < 0) {
		snprintf(err, errlen,
			 "refusing to start: %s. An empty replay cache would accept "
			 "again every webhook delivered before the restart (within its tolerance "
			 "window): restore the file, or move it aside to start with an empty cache",
			 lerr);
		return -1;
	}
	if (info.missing)
		HP_LOG(INFO, "replay cache: no snapshot at %s, starting empty (%.1f ms)\n", rp.path,
		       ms_since(t0));
	else
		HP_LOG(INFO,
		       "replay cache: %" PRIu64 " entries loaded from %s, %" PRIu64
		       " skipped as expired, %" PRIu64 " without room, snapshot %.1f s old, in "
		       "%.1f ms\n",
		       info.loaded, rp.path, info.expired, info.full,
		       now > info.saved_ms ? (double)(now - info.saved_ms) / 1e3 : 0.0,
		       ms_since(t0));
	rp.loaded = info.loaded;
	rp.on = true;
	rp.interval_tsc = (uint64_t)rc->snapshot_interval_s * rte_get_tsc_hz();
	rp.next_tsc = rte_rdtsc() + rp.interval_tsc;
	return 0;
}

void
hp_ctl_replay_tick(void)
{
	char err[PATH_MAX + 256];
	uint64_t now = rte_rdtsc();
	int64_t n;
	int r;

	if (!rp.on || rp.interval_tsc == 0)
		return;
	if (rp.snap == NULL) {
		if (now < rp.next_tsc)
			return;
		rp.begun_tsc = now;
		rp.next_tsc = now + rp.interval_tsc;
		rp.snap = hp_dedup_save_begin(hp_dp_replay_cache(), rp.path, now_ms(), err,
					      sizeof(err));
		if (rp.snap == NULL) {
			count_saved(-1);
			HP_LOG(ERR, "replay cache: periodic snapshot not written: %s\n", err);
			return;
		}
	}
	r = hp_dedup_save_step(rp.snap, now_ms(), STEP_POSITIONS, err, sizeof(err));
	if (r == 0)
		return;
	if (r < 0) {
		hp_dedup_save_abort(rp.snap);
		rp.snap = NULL;
		count_saved(-1);
		HP_LOG(ERR, "replay cache: periodic snapshot not written: %s\n", err);
		return;
	}
	n = hp_dedup_save_end(rp.snap, err, sizeof(err));
	rp.snap = NULL;
	count_saved(n);
	if (n < 0)
		HP_LOG(ERR, "replay cache: periodic snapshot not written: %s\n", err);
	else
		HP_LOG(DEBUG, "replay cache: %" PRId64 " entries saved to %s in %.1f ms\n", n,
		       rp.path, ms_since(rp.begun_tsc));
}

void
hp_ctl_replay_save(void)
{
	char err[PATH_MAX + 256];
	uint64_t t0 = rte_rdtsc();
	int64_t n;

	if (!rp.on)
		return;
	rp.on = false;
	/* a periodic one in progress is superseded by this complete one */
	hp_dedup_save_abort(rp.snap);
	rp.snap = NULL;
	n = hp_dedup_save(hp_dp_replay_cache(), rp.path, now_ms(), err, sizeof(err));
	count_saved(n);
	if (n < 0)
		HP_LOG(ERR,
		       "replay cache: NOT saved, a restart will accept again what was "
		       "accepted since the last snapshot: %s\n",
		       err);
	else
		HP_LOG(INFO, "replay cache: %" PRId64 " entries saved to %s in %.1f ms\n", n,
		       rp.path, ms_since(t0));
}
