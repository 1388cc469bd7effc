/* SPDX-License-Identifier: BSD-3-Clause
 * Control thread: statistics output (periodic line, exit summary, JSON file).
 */
#ifndef HP_CTL_H
#define HP_CTL_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <sys/stat.h>

#include <jansson.h>

/* path exists and is not a regular file (a device, a FIFO, a directory, a symbolic link):
 * what hookpath writes aside and renames over, rotates or truncates is refused there, so
 * that /dev/null given by mistake is never replaced by a file. */
static inline bool
hp_ctl_path_not_regular(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

/* One line of rates since the previous call (periodic stats). */
void hp_ctl_stats_line(FILE *out);

/* Human summary at exit: ports (device stats) and every non-zero counter. */
void hp_ctl_summary(FILE *out);

/* Every counter (zeros included), per-port device stats, per-endpoint and per-worker figures,
 * the verdict latency histogram and the sinks: GET /v1/stats and the stats file. _status: a
 * new reference, NULL on ENOMEM; _json: the same written, malloc'd, NUL-terminated (caller
 * frees), *len its length, NULL on ENOMEM. Control thread only. */
json_t *hp_ctl_stats_status(void);
char *hp_ctl_stats_json(size_t *len);

/* Worker stall watch (control.ready.stall_ms), every control loop pass: a worker whose poll
 * loop made no pass for stall_ms is stalled (logged when it starts and ends). _stalled: is
 * worker w; _workers_ok: none is (else why names the first). */
void hp_ctl_workers_tick(void);
bool hp_ctl_worker_stalled(unsigned int w);
bool hp_ctl_workers_ok(char *why, size_t len);

/* hp_ctl_stats_json() written to path (path.tmp, then renamed). Returns 0 or -errno. */
int hp_ctl_write_stats_json(const char *path);

struct hp_config;

/* Log lines (ctl_log.c): rte_log's stream replaced per control.log_target; after EAL init.
 * 0, or -1. */
int hp_ctl_log_open(const struct hp_config *cfg);

/* hookpath -r FILE (ctl_read.c): the capture written again as an Ethernet pcap at out for
 * the net_pcap port of the analysis (other link types get an Ethernet header; packets that
 * carry no IP are counted and left out). 0, or -1 with a message. */
struct hp_read_info {
	int linktype;
	char linktype_name[32];
	uint64_t packets, written, skipped;
};
int hp_ctl_read_prepare(const char *in, const char *out, struct hp_read_info *info, char *err,
			size_t errlen);

/* This instance's name (ctl_events.c): control.instance, or the host name, with "-<prefix>"
 * after it for an EAL --file-prefix other than the default; [A-Za-z0-9_.-] only. */
void hp_ctl_instance(const struct hp_config *cfg, char *buf, size_t len);

/* The events' JSON contract: docs/events.schema.json, its "event_version". */
#define HP_EVENT_VERSION 1

/* Events (ctl_events.c): the JSON lines file and the sinks. open: 0 or -errno with a message
 * (nothing to do when neither is configured). drain: events taken from the worker rings (at
 * most about budget). tick: spool fsync policy. close: drains what is left, flushes the sinks
 * (sinks.flush_timeout_ms, the rest spooled), closes. */
int hp_ctl_events_open(const struct hp_config *cfg, char *err, size_t errlen);
unsigned int hp_ctl_events_drain(unsigned int budget);
void hp_ctl_events_tick(void);
uint64_t hp_ctl_events_written(void);
void hp_ctl_events_close(void);
/* SIGUSR1: the events file closed and opened again at its path (after logrotate moved it):
 * 0, or -errno (counted as a write error; events go on to the sinks). */
int hp_ctl_events_reopen(void);
/* After hp_ctl_events_close: a line per sink for the exit summary (sent, left in its spool,
 * last error). */
void hp_ctl_events_summary(FILE *out);

/* --check-config without EAL (ctl_check.c): paths writable, files readable and private, the
 * ML model loadable: 0, or -1 with a message naming the key. */
int hp_ctl_check_offline(const struct hp_config *cfg, char *err, size_t errlen);
/* What a configuration allows that an operator may not mean (it loads, it runs): one message
 * per finding to emit (no newline). At each start and by --check-config. Returns how many. */
unsigned int hp_ctl_config_warnings(const struct hp_config *cfg, void (*emit)(const char *msg));
/* Sinks' state as one JSON object (file, redis, postgres, replay_global): GET /v1/sinks,
 * the stats file's "sinks", the /hookpath/sinks telemetry; a new reference, NULL on ENOMEM.
 * _json writes it; _metrics the Prometheus families. */
json_t *hp_ctl_sinks_status(void);
void hp_ctl_sinks_json(FILE *f);
/* Every sink delivering (breaker closed, nothing spooled)? Else the first one's why. */
bool hp_ctl_sinks_healthy(char *why, size_t len);
/* ML scoring able to score (0), not configured (1), or not (-1, why: a KServe breaker open). */
int hp_ctl_ml_health(char *why, size_t len);
void hp_ctl_sinks_metrics(FILE *f);
bool hp_ctl_sinks_idle(void);

/* The shared replay check's resolver thread (ctl_resolver.c): started after the dataplane's
 * rings exist, stopped after the workers. start: 0 (also when off) or -1 with a message. */
int hp_ctl_resolver_start(const struct hp_config *cfg, char *err, size_t errlen);
void hp_ctl_resolver_stop(void);
/* Its state and counters: a new reference, NULL on ENOMEM. */
json_t *hp_ctl_resolver_status(void);

/* ML scoring (ctl_ml.c): the model loaded and warmed up, the hp-ml thread started, after the
 * dataplane's rings exist and before the workers run; stopped after them. start: 0, or -1
 * with a message (the model cannot load: hookpath does not start). take: the score of worker
 * w's feature record seq for its event: 1 (score, state: enum hp_ev_ml, and the HP_ML_N_RATES
 * rate features the ML thread computed for it), 0 not yet, -1 lost.
 * json: GET /v1/models; metrics: the Prometheus families. */
int hp_ctl_ml_start(const struct hp_config *cfg, char *err, size_t errlen);
void hp_ctl_ml_stop(void);
int hp_ctl_ml_take(unsigned int worker, uint32_t seq, float *score, uint8_t *state,
		   uint32_t *version, float *rates);
/* Load path (NULL or "": the model file in use again), warm it up, and have the ML thread
 * swap to it between two batches (the old one freed after the last batch that used it): 0
 * swapped, 1 loaded but not taken yet, -1 with a message (the running model stays).
 * ml.backend kserve: no path; the server is checked again (readiness, metadata, warm-up):
 * 0, or -2 with a message when it fails the check. */
int hp_ctl_ml_reload(const char *path, char *err, size_t errlen);
uint32_t hp_ctl_ml_version(void);
void hp_ctl_ml_json(FILE *f);
void hp_ctl_ml_metrics(FILE *f);

/* Replay cache across restarts (ctl_replay.c, replay_cache.snapshot). load: after
 * hp_dp_init, before the workers are launched: 0 (loaded, missing file = empty, or off), or
 * -1 with a message when the snapshot exists but cannot be read whole (corrupt, truncated,
 * other version) or its directory is not writable: hookpath must not start then (an empty
 * cache would accept replays of everything delivered before the restart). tick: every
 * control loop turn, the periodic snapshot in bounded slices. save: after hp_dp_wait,
 * before hp_dp_fini, the final snapshot in one go (logged; never after a failed load). */
int hp_ctl_replay_load(const struct hp_config *cfg, char *err, size_t errlen);
void hp_ctl_replay_tick(void);
void hp_ctl_replay_save(void);
/* Its figures for the stats JSON and /metrics; any thread. last_age_s: seconds since the last
 * snapshot this process wrote, -1 before the first. */
struct hp_ctl_replay_stats {
	bool enabled;    /* replay_cache.snapshot not off */
	uint64_t loaded; /* entries loaded at start */
	uint64_t written, failed, last_entries;
	double last_age_s;
};
void hp_ctl_replay_stats(struct hp_ctl_replay_stats *out);

/* Prometheus text exposition (format 0.0.4) of every counter, the latency histogram, the
 * per-endpoint counters and the sinks; malloc'd (caller frees), *len its length; NULL on ENOMEM.
 * Control thread only. */
char *hp_ctl_metrics_render(size_t *len);

/* Close an open_memstream FILE into its buffer: *buf, or NULL (freed, *len 0) when writing
 * failed (or failed is set). */
char *hp_ctl_memstream_end(FILE *f, char **buf, size_t *len, bool failed);

/* The DPDK telemetry commands /hookpath/stats and /hookpath/flows answer from now on (they
 * are registered at load, ctl_telemetry.c; after the dataplane is up, before the workers
 * run). 0. Their callbacks: */
int hp_ctl_telemetry_register(void);
struct rte_tel_data;
int hp_ctl_tel_stats(const char *cmd, const char *params, struct rte_tel_data *d);
int hp_ctl_tel_flows(const char *cmd, const char *params, struct rte_tel_data *d);
/* Before the dataplane is freed: the telemetry commands answer nothing from then on. */
void hp_ctl_telemetry_fini(void);

/* /hookpath/sinks and /hookpath/endpoints (ctl_telemetry.c): wanted: one of them waits for
 * a snapshot; publish (control thread) makes it; stop: they answer nothing from then on
 * (before the sinks and the dataplane go). */
bool hp_ctl_telemetry_wanted(void);
void hp_ctl_telemetry_publish(void);
void hp_ctl_telemetry_stop(void);

#endif /* HP_CTL_H */
