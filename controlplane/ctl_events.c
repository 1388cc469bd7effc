/* SPDX-License-Identifier: BSD-3-Clause
 * Events (control thread): drains every worker's event ring, gives each event its id
 * ("<boot_ms>-<seq>": this run's start in ms and the order the control thread saw it), formats
 * it as one JSON line (DESIGN §6), appends that to events.file (rotated by size) and hands a
 * record of it to every sink (ctl_sink.h). Bounded work per call; the file is flushed once per
 * drain, never per event.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <jansson.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ring_elem.h>

#include "ctl.h"
#include "ctl_json.h"
#include "ctl_sink.h"
#include "dp.h"
#include "dp_event.h"
#include "dp_log.h"
#include "ml_features.h"
#include "pii.h"

#define DRAIN_BURST 64

/* longest line: every string field at its maximum, every byte escaped (6 bytes), plus the
 * fixed parts and 16 PII entities */
#define JSON_MAX                                                                                   \
	(6 * (HP_EV_METHOD_MAX + HP_EV_HOST_MAX + HP_EV_URI_MAX + HP_EV_ID_MAX + 64 + 32) +        \
	 16 * 48 + 1024 + 128 + 16 * 40 + 128 /* ev_head */)

static bool ev_on;
static FILE *ev_file;
static char ev_path[HP_CFG_PATH_LEN];
static uint64_t ev_file_bytes, ev_rotate_bytes, ev_rotations, ev_write_errors;
static uint32_t ev_rotate_keep;
static uint64_t ev_tsc0; /* TSC and wall clock taken together at open */
static struct timespec ev_wall0;
static uint64_t ev_written, ev_boot_ms, ev_seq;
static char ev_instance[64];
/* ,"event_version":1,"instance":"<name>" (docs/events.schema.json), made once */
static char ev_head[128];
static size_t ev_head_len;
static char ev_line[JSON_MAX];
static struct hp_sink *ev_sinks[2];
static unsigned int ev_n_sinks;
static json_t *ev_final[2]; /* after close: each sink's last status */
static const char *ev_final_name[2];
static uint32_t ev_flush_ms;
static uint64_t ev_rec_dropped; /* no memory for a record: counted */
/* The ML join (score, flag): events waiting for their score, per worker, in order. */
static struct hp_event *ev_stash[HP_MAX_WORKERS];
static unsigned int ev_stash_n[HP_MAX_WORKERS], ev_stash_i[HP_MAX_WORKERS];
static uint64_t ev_ml_join_tsc; /* how long an event waits for its score */
static uint64_t ev_ml_joined, ev_ml_join_timeouts;

void
hp_ctl_events_summary(FILE *out)
{
	for (unsigned int k = 0; k < 2; k++) {
		json_t *j = ev_final[k], *sp;
		const char *le;

		if (j == NULL)
			continue;
		sp = json_object_get(j, "spool");
		le = json_string_value(json_object_get(j, "last_error"));
		fprintf(out,
			"  sink %s: sent %" JSON_INTEGER_FORMAT ", duplicates %" JSON_INTEGER_FORMAT
			", left in the spool %" JSON_INTEGER_FORMAT "%s%s%s\n",
			ev_final_name[k], json_integer_value(json_object_get(j, "sent_total")),
			json_integer_value(json_object_get(j, "duplicates_total")),
			json_integer_value(json_object_get(sp, "records")),
			json_integer_value(json_object_get(sp, "records")) != 0
				? " (sent first at the next start)"
				: "",
			le != NULL && le[0] != '\0' ? ", last error: " : "", le != NULL ? le : "");
	}
}

int
hp_ctl_events_reopen(void)
{
	struct stat st;

	if (ev_path[0] == '\0')
		return 0;
	if (ev_file != NULL)
		fclose(ev_file);
	ev_file = fopen(ev_path, "a");
	if (ev_file == NULL) {
		ev_write_errors++;
		return -errno;
	}
	ev_file_bytes = fstat(fileno(ev_file), &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

/* Rename path.k -> path.k+1 (the oldest beyond keep deleted), path -> path.1, reopen. */
static void
events_rotate(void)
{
	char from[HP_CFG_PATH_LEN + 16], to[HP_CFG_PATH_LEN + 16];
	struct stat st;

	/* the path no longer names a regular file (replaced under us): no renaming */
	if (lstat(ev_path, &st) != 0 || !S_ISREG(st.st_mode)) {
		ev_file_bytes = 0;
		return;
	}
	fclose(ev_file);
	snprintf(from, sizeof(from), "%s.%u", ev_path, ev_rotate_keep);
	unlink(from);
	for (uint32_t k = ev_rotate_keep; k > 1; k--) {
		snprintf(from, sizeof(from), "%s.%u", ev_path, k - 1);
		snprintf(to, sizeof(to), "%s.%u", ev_path, k);
		rename(from, to);
	}
	snprintf(to, sizeof(to), "%s.1", ev_path);
	rename(ev_path, to);
	ev_file = fopen(ev_path, "a");
	if (ev_file == NULL)
		ev_write_errors++;
	ev_file_bytes = 0;
	ev_rotations++;
}

#define HP_SPOOL_BASE "/var/lib/hookpath/spool"

/* control.instance, or the host name; another instance on the same host (EAL --file-prefix
 * other than DPDK's default "rte") gets "-<prefix>" after it, so that two instances never
 * share a Redis stream or a spool by default. */
void
hp_ctl_instance(const struct hp_config *cfg, char *buf, size_t len)
{
	const char *rt = rte_eal_get_runtime_dir(), *prefix = strrchr(rt, '/');
	char host[64];

	if (cfg->control.instance[0] != '\0') {
		snprintf(buf, len, "%s", cfg->control.instance);
		return;
	}
	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "hookpath");
	host[sizeof(host) - 1] = '\0';
	prefix = prefix != NULL ? prefix + 1 : rt;
	if (prefix[0] == '\0' || !strcmp(prefix, "rte"))
		snprintf(buf, len, "%s", host);
	else
		snprintf(buf, len, "%.31s-%.31s", host, prefix);
	/* the name goes into stream keys and paths: [A-Za-z0-9_.-] only */
	for (char *c = buf; *c != '\0'; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.' && *c != '-')
			*c = '_';
}

int
hp_ctl_events_open(const struct hp_config *cfg, char *err, size_t errlen)
{
	struct hp_sink_params sp = {
		.queue = cfg->sinks.queue_events,
		.breaker_failures = cfg->sinks.breaker_failures,
		.cooldown_ms = cfg->sinks.breaker_cooldown_ms,
		.cooldown_max_ms = cfg->sinks.breaker_cooldown_max_ms,
		.spool_max_bytes = (uint64_t)cfg->sinks.spool_max_mb << 20,
		.fsync_mode = (enum hp_spool_fsync)cfg->sinks.spool_fsync,
		.fsync_ms = cfg->sinks.spool_fsync_interval_ms,
	};
	char dir[HP_CFG_PATH_LEN + 96], spool[HP_CFG_PATH_LEN + 80];
	struct timespec ts;

	if (!hp_config_events_wanted(cfg))
		return 0;
	clock_gettime(CLOCK_REALTIME, &ev_wall0);
	ev_tsc0 = rte_rdtsc();
	clock_gettime(CLOCK_REALTIME, &ts);
	ev_boot_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	hp_ctl_instance(cfg, ev_instance, sizeof(ev_instance));
	/* the name is [A-Za-z0-9_.-] only: nothing to escape */
	ev_head_len = (size_t)snprintf(ev_head, sizeof(ev_head),
				       ",\"event_version\":%d,\"instance\":\"%s\"",
				       HP_EVENT_VERSION, ev_instance);
	if (cfg->sinks.spool_dir[0] != '\0')
		snprintf(spool, sizeof(spool), "%s", cfg->sinks.spool_dir);
	else
		snprintf(spool, sizeof(spool), "%s/%s", HP_SPOOL_BASE, ev_instance);
	if (cfg->events.file[0] != '\0') {
		struct stat st;

		snprintf(ev_path, sizeof(ev_path), "%s", cfg->events.file);
		ev_file = fopen(ev_path, "a");
		if (ev_file == NULL) {
			snprintf(err, errlen, "events.file %s: cannot open: %s", ev_path,
				 strerror(errno));
			return -errno;
		}
		ev_file_bytes = fstat(fileno(ev_file), &st) == 0 ? (uint64_t)st.st_size : 0;
		ev_rotate_bytes = (uint64_t)cfg->events.rotate_mb << 20;
		ev_rotate_keep = cfg->events.rotate_keep;
		/* a FIFO or a device (/dev/stdout, /dev/null) is written, never rotated: rotating
		 * renames the path, and would put a regular file in the device's place */
		if (fstat(fileno(ev_file), &st) == 0 && !S_ISREG(st.st_mode) && ev_rotate_bytes) {
			HP_LOG(NOTICE, "events.file %s is not a regular file: not rotated\n",
			       ev_path);
			ev_rotate_bytes = 0;
		}
	}
	ev_flush_ms = cfg->sinks.flush_timeout_ms;
	if (cfg->sinks.redis_url[0] != '\0') {
		void *ctx = hp_sink_redis_ctx(cfg, ev_instance, err, errlen);

		snprintf(dir, sizeof(dir), "%s/redis", spool);
		sp.batch_max = cfg->sinks.redis_batch;
		sp.timeout_ms = cfg->sinks.redis_timeout_ms;
		sp.spool_dir = dir;
		if (ctx == NULL || (ev_sinks[ev_n_sinks] = hp_sink_create(
					    &hp_sink_redis_ops, ctx, &sp, err, errlen)) == NULL)
			return -EINVAL;
		ev_n_sinks++;
	}
	if (cfg->sinks.pg_dsn[0] != '\0') {
		void *ctx = hp_sink_pg_ctx(cfg, ev_instance, err, errlen);

		snprintf(dir, sizeof(dir), "%s/postgres", spool);
		sp.batch_max = cfg->sinks.pg_batch;
		sp.timeout_ms = cfg->sinks.pg_timeout_ms;
		sp.spool_dir = dir;
		if (ctx == NULL || (ev_sinks[ev_n_sinks] = hp_sink_create(&hp_sink_pg_ops, ctx, &sp,
									  err, errlen)) == NULL)
			return -EINVAL;
		ev_n_sinks++;
	}
	for (unsigned int w = 0; w < hp_dp_n_workers(); w++) {
		ev_stash[w] = malloc(DRAIN_BURST * sizeof(struct hp_event));
		if (ev_stash[w] == NULL) {
			snprintf(err, errlen, "events: out of memory");
			return -ENOMEM;
		}
	}
	/* an event waits for its score at most this (then "ml":{"missing":"timeout"}) */
	ev_ml_join_tsc = rte_get_tsc_hz() / 1000 * RTE_MAX(4u * cfg->ml.timeout_ms, 100u);
	ev_on = true;
	return 0;
}

/* One event line is built with plain appends into ev_line (no stdio: the control thread
 * formats every event of every worker). JSON_MAX bounds the longest possible line. */
struct jbuf {
	char *p;
};

static inline void
jb_lit(struct jbuf *b, const char *s, size_t n)
{
	memcpy(b->p, s, n);
	b->p += n;
}

#define JB_LIT(b, s) jb_lit((b), (s), sizeof(s) - 1)

static inline void
jb_u64(struct jbuf *b, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*b->p++ = tmp[--n];
}

/* n digits, zero-padded */
static inline void
jb_pad(struct jbuf *b, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		b->p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	b->p += n;
}

/* JSON string body of n raw bytes: quotes, backslash and control bytes escaped; bytes >= 0x80
 * written as \u00XX (each byte one code point) so any input yields valid JSON. */
static void
jb_str(struct jbuf *b, const char *s, size_t n)
{
	b->p += hp_json_esc(b->p, s, n);
}

static void
jb_addr(struct jbuf *b, uint8_t family, const uint8_t *addr, uint16_t port)
{
	*b->p++ = '"';
	if (family == 4) {
		for (int i = 0; i < 4; i++) {
			if (i)
				*b->p++ = '.';
			jb_u64(b, addr[i]);
		}
	} else {
		char buf[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, addr, buf, sizeof(buf));
		*b->p++ = '[';
		jb_lit(b, buf, strlen(buf));
		*b->p++ = ']';
	}
	*b->p++ = ':';
	jb_u64(b, port);
	*b->p++ = '"';
}

static const char *
pii_name(unsigned int id)
{
	const struct hp_pii_global_config *pg = &hp_dp_config()->pii;

	if (id < HP_PII__BUILTIN_COUNT)
		return hp_pii_entity_name(NULL, id);
	return id - HP_PII__BUILTIN_COUNT < pg->n_custom
		       ? pg->custom[id - HP_PII__BUILTIN_COUNT].name
		       : "unknown";
}

/* Wall clock of a TSC stamp, ns since the epoch. */
static uint64_t
event_wall_ns(uint64_t tsc)
{
	uint64_t hz = rte_get_tsc_hz();
	uint64_t dt = tsc - ev_tsc0;

	return (uint64_t)ev_wall0.tv_sec * 1000000000ULL + (uint64_t)ev_wall0.tv_nsec +
	       dt / hz * 1000000000ULL + dt % hz * 1000000000ULL / hz;
}

/* The event's JSON line (newline included) into buf; returns its length. */
/* "features": the vector scored, by name (NaN: null): what a model is trained on from the
 * events table (tools/ml/train_default.py --postgres). */
static void
write_ml_features(struct jbuf *b, const struct hp_event *e)
{
	static const char *const names[] = {
#define _(sym, name, help) #name,
		foreach_hp_ml_feature(_)
#undef _
	};
	char num[32];

	JB_LIT(b, ",\"features\":{");
	for (unsigned int i = 0; i < HP_ML_N_FEATURES; i++) {
		float v = e->ml_f[i];
		int n = isfinite(v) ? snprintf(num, sizeof(num), "%.9g", (double)v)
				    : snprintf(num, sizeof(num), "null");

		if (i)
			*b->p++ = ',';
		*b->p++ = '"';
		jb_lit(b, names[i], strlen(names[i]));
		JB_LIT(b, "\":");
		jb_lit(b, num, (size_t)n);
	}
	*b->p++ = '}';
}

/* "ml": the score and the model, or why it is missing. */
static void
write_ml(struct jbuf *b, const struct hp_event *e)
{
	static const char *const missing[HP_EV_ML__MAX] = {
		[HP_EV_ML_PENDING] = "timeout", [HP_EV_ML_RING_FULL] = "ring_full",
		[HP_EV_ML_TIMEOUT] = "timeout", [HP_EV_ML_DROPPED] = "dropped",
		[HP_EV_ML_ERROR] = "error",     [HP_EV_ML_UNAVAILABLE] = "unavailable",
	};
	char num[32];

	if (e->ml_state == HP_EV_ML_SCORED || e->ml_state == HP_EV_ML_FLAGGED) {
		int n = snprintf(num, sizeof(num), "%.6f", (double)e->ml_score);

		JB_LIT(b, ",\"ml\":{\"score\":");
		jb_lit(b, num, (size_t)n);
		JB_LIT(b, ",\"model\":\"default\",\"version\":");
		jb_u64(b, e->ml_version);
		if (e->ml_state == HP_EV_ML_FLAGGED)
			JB_LIT(b, ",\"flagged\":true");
		write_ml_features(b, e);
		*b->p++ = '}';
		return;
	}
	JB_LIT(b, ",\"ml\":{\"missing\":\"");
	if (e->ml_state < HP_EV_ML__MAX && missing[e->ml_state] != NULL)
		jb_lit(b, missing[e->ml_state], strlen(missing[e->ml_state]));
	else
		JB_LIT(b, "unknown");
	*b->p++ = '"';
	if (e->ml_state != HP_EV_ML_RING_FULL)
		write_ml_features(b, e);
	*b->p++ = '}';
}

static size_t
write_event(char *buf, const struct hp_event *e, uint64_t wall_ns, uint64_t seq)
{
	static time_t last_sec = -1;
	static char last_ts[24]; /* "YYYY-MM-DDTHH:MM:SS" of last_sec */
	time_t sec = (time_t)(wall_ns / 1000000000ULL);
	struct jbuf b = {.p = buf};

	if (sec != last_sec) {
		struct tm tm;

		gmtime_r(&sec, &tm);
		strftime(last_ts, sizeof(last_ts), "%Y-%m-%dT%H:%M:%S", &tm);
		last_sec = sec;
	}
	JB_LIT(&b, "{\"ts\":\"");
	jb_lit(&b, last_ts, 19);
	*b.p++ = '.';
	jb_pad(&b, wall_ns % 1000000000ULL, 9);
	JB_LIT(&b, "Z\",\"event_id\":\"");
	jb_u64(&b, ev_boot_ms);
	*b.p++ = '-';
	jb_u64(&b, seq);
	*b.p++ = '"';
	jb_lit(&b, ev_head, ev_head_len);
	JB_LIT(&b, ",\"worker\":");
	jb_u64(&b, e->worker);
	JB_LIT(&b, ",\"flow\":{\"src\":");
	jb_addr(&b, e->family, e->src, e->sport);
	JB_LIT(&b, ",\"dst\":");
	jb_addr(&b, e->family, e->dst, e->dport);
	JB_LIT(&b, "},\"http\":{\"method\":\"");
	jb_str(&b, e->method, e->method_len);
	JB_LIT(&b, "\",\"host\":\"");
	jb_str(&b, e->host, e->host_len);
	JB_LIT(&b, "\",\"uri\":\"");
	jb_str(&b, e->uri, e->uri_len);
	JB_LIT(&b, "\",\"body_len\":");
	jb_u64(&b, e->body_len);
	if (e->flags & HP_EV_F_BODY_HASH) {
		static const char hex[] = "0123456789abcdef";

		JB_LIT(&b, ",\"body_sha256\":\"");
		for (int i = 0; i < 32; i++) {
			*b.p++ = hex[e->body_sha256[i] >> 4];
			*b.p++ = hex[e->body_sha256[i] & 15];
		}
		*b.p++ = '"';
	}
	if (e->flags & (HP_EV_F_METHOD_TRUNC | HP_EV_F_HOST_TRUNC | HP_EV_F_URI_TRUNC))
		JB_LIT(&b, ",\"truncated\":true");
	if (e->flags & HP_EV_F_GAP)
		JB_LIT(&b, ",\"gap\":true");
	if (e->flags & HP_EV_F_INCOMPLETE)
		JB_LIT(&b, ",\"incomplete\":true");
	*b.p++ = '}';
	if (e->flags & HP_EV_F_MIDSTREAM)
		JB_LIT(&b, ",\"midstream\":true");
	if (e->endpoint != HP_EV_NO_ENDPOINT) {
		JB_LIT(&b, ",\"endpoint\":\"");
		jb_str(&b, e->ep_name, strnlen(e->ep_name, sizeof(e->ep_name)));
		JB_LIT(&b, "\",\"provider\":\"");
		jb_str(&b, e->ep_provider, strnlen(e->ep_provider, sizeof(e->ep_provider)));
		*b.p++ = '"';
	}
	if (e->webhook_id_len != 0) {
		JB_LIT(&b, ",\"webhook_id\":\"");
		jb_str(&b, e->webhook_id, e->webhook_id_len);
		*b.p++ = '"';
	}
	if (e->flags & HP_EV_F_PII) { /* counts only, never the matched text */
		JB_LIT(&b, ",\"pii\":{");
		for (unsigned int k = 0; k < e->pii_n && k < HP_EV_PII_MAX; k++) {
			const char *name = pii_name(e->pii_entity[k]);

			if (k)
				*b.p++ = ',';
			*b.p++ = '"';
			jb_lit(&b, name, strlen(name));
			JB_LIT(&b, "\":");
			jb_u64(&b, e->pii_count[k]);
		}
		*b.p++ = '}';
		if (e->flags & HP_EV_F_PII_TRUNC)
			JB_LIT(&b, ",\"pii_truncated\":true");
		if (e->flags & HP_EV_F_MASKED) {
			JB_LIT(&b, ",\"pii_masked_bytes\":");
			jb_u64(&b, e->pii_masked);
		}
	}
	if (e->flags & HP_EV_F_KEY_FALLBACK)
		JB_LIT(&b, ",\"dedup_key\":\"body_hash\"");
	if (e->flags & HP_EV_F_LATE)
		JB_LIT(&b, ",\"late\":true");
	if (e->flags & HP_EV_F_GLOBAL) /* the shared replay check answered */
		JB_LIT(&b, ",\"replay_scope\":\"global\"");
	if (e->ml_state != HP_EV_ML_NONE)
		write_ml(&b, e);
	{
		const char *v = hp_ev_verdict_name(e->verdict), *r = hp_ev_reason_name(e->reason);

		JB_LIT(&b, ",\"verdict\":\"");
		jb_lit(&b, v, strlen(v));
		JB_LIT(&b, "\",\"reason\":\"");
		jb_lit(&b, r, strlen(r));
		JB_LIT(&b, "\",\"latency_ns\":");
		jb_u64(&b, e->latency_tsc * 1000000000ULL / rte_get_tsc_hz());
		JB_LIT(&b, "}\n");
	}
	return (size_t)(b.p - buf);
}

/* The sinks' record of an event whose JSON line is ev_line[0, len) (newline included). */
static struct hp_rec *
make_rec(const struct hp_event *e, uint64_t wall_ns, uint64_t seq, size_t len)
{
	char epn[HP_CFG_NAME_LEN * 6], wid[HP_EV_ID_MAX * 6];
	size_t epl = 0, widl;
	struct hp_rec *r;

	if (e->endpoint != HP_EV_NO_ENDPOINT)
		epl = hp_json_esc(epn, e->ep_name, strnlen(e->ep_name, sizeof(e->ep_name)));
	widl = hp_json_esc(wid, e->webhook_id, e->webhook_id_len);
	r = hp_rec_alloc(epl + widl + len - 1, ev_n_sinks);
	if (r == NULL)
		return NULL;
	r->boot_ms = ev_boot_ms;
	r->seq = seq;
	r->ts_ns = wall_ns;
	r->latency_ns = e->latency_tsc * 1000000000ULL / rte_get_tsc_hz();
	r->worker = e->worker;
	r->verdict = e->verdict;
	r->reason = e->reason;
	r->endpoint_len = (uint16_t)epl;
	r->webhook_id_len = (uint16_t)widl;
	r->json_len = (uint32_t)(len - 1);
	if (e->ml_state == HP_EV_ML_FLAGGED)
		r->flags |= HP_REC_F_FLAGGED;
	memcpy(r->data, epn, epl);
	memcpy(r->data + epl, wid, widl);
	memcpy(r->data + epl + widl, ev_line, len - 1);
	r->crc = hp_rec_crc(r);
	return r;
}

/* Write one event (file, sinks' record). */
static void
emit(const struct hp_event *e, struct hp_rec **recs, unsigned int *nr)
{
	uint64_t wall = event_wall_ns(e->tsc), seq = ++ev_seq;
	size_t len = write_event(ev_line, e, wall, seq);

	if (ev_file != NULL) {
		if (fwrite(ev_line, 1, (size_t)len, ev_file) != (size_t)len)
			ev_write_errors++;
		ev_file_bytes += (uint64_t)len;
		if (ev_rotate_bytes && ev_file_bytes >= ev_rotate_bytes)
			events_rotate();
		if (ev_file == NULL)
			ev_file = fopen(ev_path, "a");
	}
	if (ev_n_sinks != 0) {
		recs[*nr] = make_rec(e, wall, seq, (size_t)len);
		if (recs[*nr] != NULL)
			(*nr)++;
		else
			ev_rec_dropped++;
	}
}

/* An event whose score comes from the ML thread: joined (true), or not yet (false: it waits,
 * and the events behind it, until ml.timeout_ms after the request). */
static bool
ml_join(struct hp_event *e, uint64_t now)
{
	float score;
	uint8_t state;
	uint32_t version = 0;
	/* the rate features come with the score (the ML thread's, ml_rates.h); without an
	 * answer they stay NaN, as the worker wrote them */
	int r = hp_ctl_ml_take(e->worker, e->ml_seq, &score, &state, &version,
			       &e->ml_f[HP_MLF_RATES_FIRST]);

	/* now was read before this drain began, and the worker may have written the event
	 * after it: a signed age (an unsigned one wraps and times the event out at once) */
	if (r == 0 && (int64_t)(now - e->tsc) < (int64_t)ev_ml_join_tsc)
		return false;
	if (r == 1) {
		const struct hp_config *cfg = hp_dp_config();

		e->ml_score = score;
		e->ml_state = state;
		e->ml_version = version;
		ev_ml_joined++;
		/* flag: above the endpoint's threshold (the configuration of now: an endpoint
		 * changed meanwhile is judged by its new threshold) */
		if (state == HP_EV_ML_SCORED && cfg != NULL && e->endpoint < cfg->n_endpoints &&
		    cfg->endpoints[e->endpoint].ml_policy != HP_ML_POLICY_SCORE &&
		    score > cfg->endpoints[e->endpoint].ml_threshold)
			e->ml_state = HP_EV_ML_FLAGGED;
	} else {
		e->ml_state = HP_EV_ML_TIMEOUT;
		ev_ml_join_timeouts++;
	}
	return true;
}

/* Events evs[0, n) of worker w, in order: written until one waits for its score; the rest
 * (from it on) kept for the next call. Returns the events written. */
static unsigned int
drain_some(unsigned int w, struct hp_event *evs, unsigned int n, uint64_t now, bool from_stash)
{
	struct hp_rec *recs[DRAIN_BURST];
	unsigned int nr = 0, i;

	for (i = 0; i < n; i++) {
		struct hp_event *e = &evs[i];

		if (e->ml_state == HP_EV_ML_PENDING && !ml_join(e, now))
			break;
		emit(e, recs, &nr);
	}
	for (unsigned int k = 0; k < ev_n_sinks; k++)
		hp_sink_push(ev_sinks[k], recs, nr);
	if (from_stash) {
		ev_stash_i[w] += i;
	} else if (i < n) { /* keep the rest, in order */
		memcpy(ev_stash[w], evs + i, (n - i) * sizeof(*evs));
		ev_stash_i[w] = 0;
		ev_stash_n[w] = n - i;
	}
	return i;
}

unsigned int
hp_ctl_events_drain(unsigned int budget)
{
	struct hp_event evs[DRAIN_BURST];
	unsigned int done = 0;
	uint64_t now = rte_rdtsc();

	if (!ev_on)
		return 0;
	for (unsigned int w = 0; w < hp_dp_n_workers(); w++) {
		struct rte_ring *r = hp_dp_event_ring(w);
		unsigned int n;

		if (r == NULL)
			continue;
		if (ev_stash_n[w] != 0) { /* events waiting for a score go first */
			done += drain_some(w, ev_stash[w] + ev_stash_i[w],
					   ev_stash_n[w] - ev_stash_i[w], now, true);
			if (ev_stash_i[w] < ev_stash_n[w])
				continue; /* still waiting: nothing behind it goes */
			ev_stash_n[w] = ev_stash_i[w] = 0;
		}
		while (done < budget && (n = rte_ring_sc_dequeue_burst_elem(
						 r, evs, sizeof(evs[0]), DRAIN_BURST, NULL)) != 0) {
			unsigned int k = drain_some(w, evs, n, now, false);

			done += k;
			if (k < n)
				break; /* stashed: this worker waits for a score */
		}
	}
	if (done != 0 && ev_file != NULL)
		fflush(ev_file);
	ev_written += done;
	return done;
}

void
hp_ctl_events_tick(void)
{
	for (unsigned int k = 0; k < ev_n_sinks; k++)
		hp_sink_tick(ev_sinks[k]);
}

uint64_t
hp_ctl_events_written(void)
{
	return ev_written;
}

bool
hp_ctl_sinks_healthy(char *why, size_t len)
{
	for (unsigned int k = 0; k < ev_n_sinks; k++)
		if (!hp_sink_healthy(ev_sinks[k], why, len))
			return false;
	return true;
}

bool
hp_ctl_sinks_idle(void)
{
	for (unsigned int k = 0; k < ev_n_sinks; k++)
		if (!hp_sink_idle(ev_sinks[k]))
			return false;
	return true;
}

json_t *
hp_ctl_sinks_status(void)
{
	json_t *j = json_pack("{s:{s:b,s:o,s:I,s:I,s:I,s:I},s:I,s:o}", "file", "enabled",
			      ev_file != NULL, "path", hp_json_text(ev_file != NULL ? ev_path : ""),
			      "written_total", (json_int_t)ev_written, "bytes",
			      (json_int_t)ev_file_bytes, "rotations_total",
			      (json_int_t)ev_rotations, "write_errors_total",
			      (json_int_t)ev_write_errors, "records_dropped_nomem_total",
			      (json_int_t)ev_rec_dropped, "instance", hp_json_text(ev_instance));

	if (j == NULL)
		return NULL;
	for (unsigned int k = 0; k < ev_n_sinks; k++)
		json_object_set_new(j, hp_sink_name(ev_sinks[k]), hp_sink_status(ev_sinks[k]));
	for (unsigned int k = 0; ev_n_sinks == 0 && k < 2; k++)
		if (ev_final[k] != NULL)
			json_object_set(j, ev_final_name[k], ev_final[k]);
	json_object_set_new(j, "replay_global", hp_ctl_resolver_status());
	return j;
}

void
hp_ctl_sinks_json(FILE *f)
{
	json_t *j = hp_ctl_sinks_status();

	if (j != NULL)
		json_dumpf(j, f, HP_JSON_FLAGS);
	json_decref(j);
}

void
hp_ctl_sinks_metrics(FILE *f)
{
	fprintf(f,
		"# HELP hookpath_events_written_total Events formatted by the control thread.\n"
		"# TYPE hookpath_events_written_total counter\n"
		"hookpath_events_written_total %" PRIu64 "\n",
		ev_written);
	fprintf(f,
		"# HELP hookpath_events_file_rotations_total Events file rotations.\n"
		"# TYPE hookpath_events_file_rotations_total counter\n"
		"hookpath_events_file_rotations_total %" PRIu64 "\n",
		ev_rotations);
	if (ev_n_sinks == 0)
		return;
	static const char *const fam[][3] = {
		{"hookpath_sink_events_sent_total", "counter", "Events stored by the sink."},
		{"hookpath_sink_duplicates_total", "counter",
		 "Events the sink already had (replays after a failure)."},
		{"hookpath_sink_batches_total", "counter", "Batches stored."},
		{"hookpath_sink_failures_total", "counter", "Batches that failed."},
		{"hookpath_sink_breaker_opened_total", "counter", "Times the breaker opened."},
		{"hookpath_sink_breaker_state", "gauge", "1 for the breaker's current state."},
		{"hookpath_sink_window", "gauge", "AIMD window: events per round trip."},
		{"hookpath_sink_queued", "gauge", "Events queued in memory."},
		{"hookpath_sink_spool_bytes", "gauge", "Unsent bytes in the spool."},
		{"hookpath_sink_spool_records", "gauge", "Unsent events in the spool."},
		{"hookpath_sink_spool_appended_total", "counter", "Events written to the spool."},
		{"hookpath_sink_spool_replayed_total", "counter", "Spooled events sent."},
		{"hookpath_sink_spool_dropped_total", "counter",
		 "Events dropped: spool full (still in the events file)."},
		{"hookpath_sink_spool_corrupt_total", "counter",
		 "Damaged spool records found (torn writes)."},
	};
	char *buf = NULL;
	size_t blen = 0;
	FILE *m = open_memstream(&buf, &blen);

	if (m == NULL)
		return;
	for (unsigned int k = 0; k < ev_n_sinks; k++)
		hp_sink_metrics(ev_sinks[k], m);
	fclose(m);
	/* group the lines by family: HELP/TYPE once, then each sink's samples */
	for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		size_t nl = strlen(fam[i][0]);

		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam[i][0], fam[i][2], fam[i][0],
			fam[i][1]);
		for (char *line = buf; line != NULL && *line;) {
			char *end = strchr(line, '\n');
			size_t ll = end ? (size_t)(end - line + 1) : strlen(line);

			if (strncmp(line, fam[i][0], nl) == 0 && line[nl] == '{')
				fwrite(line, 1, ll, f);
			line += ll;
		}
	}
	free(buf);
}

void
hp_ctl_events_close(void)
{
	if (!ev_on)
		return;
	for (;;) { /* until every ring is empty and no event waits for its score */
		unsigned int n = hp_ctl_events_drain(UINT32_MAX);
		bool waiting = false;

		for (unsigned int w = 0; w < HP_MAX_WORKERS; w++)
			waiting |= ev_stash_n[w] != 0;
		if (n == 0 && !waiting)
			break;
		if (n == 0) {
			struct timespec ts = {0, 1000000};

			nanosleep(&ts, NULL);
		}
	}
	for (unsigned int w = 0; w < HP_MAX_WORKERS; w++) {
		free(ev_stash[w]);
		ev_stash[w] = NULL;
		ev_stash_n[w] = ev_stash_i[w] = 0;
	}
	for (unsigned int k = 0; k < ev_n_sinks; k++) {
		ev_final_name[k] = hp_sink_name(ev_sinks[k]);
		json_decref(ev_final[k]);
		ev_final[k] = hp_sink_destroy(ev_sinks[k], ev_flush_ms);
	}
	ev_n_sinks = 0;
	if (ev_file != NULL)
		fclose(ev_file);
	ev_file = NULL;
	ev_on = false;
}
