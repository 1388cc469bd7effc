/* SPDX-License-Identifier: BSD-3-Clause
 * The remote scoring backend: a client of the KServe v2 / Open Inference Protocol REST API
 * (https://kserve.github.io/website/latest/modelserving/data_plane/v2_protocol/), for
 * operators who serve their models on their own inference servers (KServe, Triton, Seldon
 * MLServer, ...).
 *
 *   - at start (and at a reload), blocking, bounded by the timeout: GET /v2/health/ready,
 *     GET /v2/models/{model} (its inputs must take n_features columns), and a warm-up infer of
 *     a full batch, so that the connection is open and the server's first batch is behind it;
 *   - then, non-blocking (libcurl multi, driven by hp_kserve_poll from the caller's loop):
 *     POST /v2/models/{model}/infer, one FP32 tensor [n, n_features], the scores read from the
 *     first output ([n] or [n, 1]); at most `inflight` requests at once, each with a timeout;
 *   - a circuit breaker: `failures` consecutive failed requests open it; while open nothing is
 *     sent (hp_kserve_accepting is false: the caller answers its rows missing at once); after
 *     the cooldown a readiness probe (GET /v2/models/{model}/ready) closes it, or reopens it
 *     for twice as long (up to cooldown_max_ms).
 *
 * JSON has no NaN: a missing feature (NaN) is sent as null, which servers reading the tensor
 * with numpy (KServe's, MLServer) take as NaN.
 *
 * One thread drives a client (hp_kserve_send/poll); hp_kserve_check uses its own connection and
 * may run on another thread. No allocation after open except what libcurl does.
 */
#ifndef HP_ML_KSERVE_H
#define HP_ML_KSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hp_kserve;

struct hp_kserve_config {
	const char *url;   /* http(s)://host:port[/prefix] */
	const char *model; /* name on the server */
	uint32_t n_features;
	uint32_t max_batch; /* rows per request, at most */
	uint32_t timeout_ms;
	uint32_t inflight; /* requests at once, at most (<= HP_KSERVE_MAX_INFLIGHT) */
	uint32_t breaker_failures;
	uint32_t cooldown_ms;
	uint32_t cooldown_max_ms;
};

#define HP_KSERVE_MAX_INFLIGHT 64

/* How a request ended. */
enum hp_kserve_result {
	HP_KSERVE_OK = 0,
	HP_KSERVE_CONNECT,    /* no connection (refused, unreachable, DNS) */
	HP_KSERVE_TIMEOUT,    /* no whole answer within timeout_ms */
	HP_KSERVE_HTTP,       /* an HTTP status other than 200 */
	HP_KSERVE_BAD_ANSWER, /* 200, but not a tensor of one score per row */
	HP_KSERVE__MAX,
};

enum hp_kserve_breaker {
	HP_KSERVE_CLOSED = 0, /* requests go */
	HP_KSERVE_OPEN,       /* nothing is sent until the cooldown ends */
	HP_KSERVE_PROBING,    /* the cooldown ended: a readiness probe is in flight */
};

struct hp_kserve_stats {
	uint64_t requests[HP_KSERVE__MAX]; /* infer requests, by how they ended */
	uint64_t rows;                     /* rows sent */
	uint64_t opens;                    /* times the breaker opened */
	uint64_t probes[2];                /* readiness probes: [0] failed, [1] ready */
	uint32_t state;                    /* enum hp_kserve_breaker */
	uint32_t inflight;                 /* infer requests in flight now */
};

/* What the server said of the model at the last check. */
struct hp_kserve_model_info {
	char name[64], version[64], platform[64];
	uint32_t n_features; /* its input's last dimension */
	uint64_t check_ns;   /* the last check: readiness, metadata, warm-up */
	uint64_t warmup_ns;  /* its warm-up infer alone */
};

/* A finished infer request: tag as given to hp_kserve_send; scores[n] when OK. */
typedef void (*hp_kserve_done_fn)(void *arg, uint32_t tag, enum hp_kserve_result r,
				  const float *scores, uint32_t n, uint64_t latency_us);

/* Allocate a client (nothing is sent): 0, or -1 with a message. */
int hp_kserve_open(const struct hp_kserve_config *cfg, struct hp_kserve **out, char *err,
		   size_t errlen);
/* Abort what is in flight (no callback) and free. */
void hp_kserve_close(struct hp_kserve *k);

/* Readiness, metadata and a warm-up batch, blocking (each step within timeout_ms): 0 and info
 * filled, or -1 with a message (and, once open, the breaker opened: nothing is sent before a
 * probe finds the model ready). Thread-safe against send/poll. */
int hp_kserve_check(struct hp_kserve *k, struct hp_kserve_model_info *info, char *err,
		    size_t errlen);

/* May a batch go now (the breaker closed, a request slot free)? */
bool hp_kserve_can_send(const struct hp_kserve *k);
/* Rows are answered missing at once (the breaker is not closed)? */
bool hp_kserve_accepting(const struct hp_kserve *k);
/* Start an infer of n rows (row-major, n_features floats; n <= max_batch); the rows are
 * copied (serialised). 0, or -1 (no free slot, the breaker not closed, n too big). */
int hp_kserve_send(struct hp_kserve *k, const float *rows, uint32_t n, uint32_t tag,
		   uint64_t now_us);
/* Drive the transfers: calls done for each request that ended, runs the breaker. Returns
 * the number of requests that ended. */
unsigned int hp_kserve_poll(struct hp_kserve *k, uint64_t now_us, hp_kserve_done_fn done,
			    void *arg);

void hp_kserve_get_stats(const struct hp_kserve *k, struct hp_kserve_stats *s);
/* The last failure, for the API and logs ("" if none). */
const char *hp_kserve_last_error(const struct hp_kserve *k);
const char *hp_kserve_result_name(enum hp_kserve_result r);
const char *hp_kserve_breaker_name(enum hp_kserve_breaker b);

#endif /* HP_ML_KSERVE_H */
