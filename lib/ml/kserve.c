/* SPDX-License-Identifier: BSD-3-Clause
 * KServe v2 / Open Inference Protocol client (see kserve.h).
 */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "kserve.h"

#define KS_URL_LEN   640
#define KS_RESP_BASE 4096 /* an answer beyond rows x KS_RESP_ROW + this is refused */
#define KS_RESP_ROW  64
#define KS_NUM_LEN   16 /* "%.9g" of a float, or an integer, and a comma */

/* One request in flight (an infer, or the breaker's probe). */
struct slot {
	CURL *h;
	bool busy, probe;
	uint32_t tag, n;
	uint64_t t0_us;
	char *body; /* the request's JSON */
	char *resp; /* the answer, at most resp_cap bytes */
	size_t resp_len, resp_cap;
	bool resp_over;
};

struct hp_kserve {
	struct hp_kserve_config cfg;
	char model[64];
	char infer_url[KS_URL_LEN], meta_url[KS_URL_LEN], ready_url[KS_URL_LEN],
		health_url[KS_URL_LEN];
	pthread_mutex_t name_lock; /* the input's name: check (any thread) writes, send reads */
	char input_name[64];
	CURLM *multi;
	struct curl_slist *hdrs;
	struct slot slots[HP_KSERVE_MAX_INFLIGHT];
	struct slot probe;
	float *scores;
	/* the breaker (the driving thread's only, but force_open) */
	uint32_t state, fails, cooldown_cur_ms;
	uint64_t open_until_us;
	int force_open; /* a check failed: open at the next poll */
	struct hp_kserve_stats st;
	char last_error[256];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void
curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

const char *
hp_kserve_result_name(enum hp_kserve_result r)
{
	static const char *const names[HP_KSERVE__MAX] = {
		[HP_KSERVE_OK] = "ok",
		[HP_KSERVE_CONNECT] = "connection",
		[HP_KSERVE_TIMEOUT] = "timeout",
		[HP_KSERVE_HTTP] = "http_status",
		[HP_KSERVE_BAD_ANSWER] = "bad_answer",
	};

	return (unsigned int)r < HP_KSERVE__MAX ? names[r] : "?";
}

const char *
hp_kserve_breaker_name(enum hp_kserve_breaker b)
{
	switch (b) {
	case HP_KSERVE_CLOSED:
		return "closed";
	case HP_KSERVE_OPEN:
		return "open";
	case HP_KSERVE_PROBING:
		return "probing";
	}
	return "?";
}

/* Printable ASCII of at most max bytes of s (what a server said, for a message). */
static void
printable(char *dst, size_t len, const char *s, size_t n, size_t max)
{
	size_t o = 0;

	for (size_t i = 0; i < n && i < max && o + 1 < len; i++)
		dst[o++] = isprint((unsigned char)s[i]) ? s[i] : '.';
	dst[o] = '\0';
}

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct slot *s = userdata;
	size_t n = size * nmemb;

	if (s->resp_len + n > s->resp_cap) {
		s->resp_over = true;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	memcpy(s->resp + s->resp_len, ptr, n);
	s->resp_len += n;
	return n;
}

/* The options every request of this client has. */
static void
easy_setup(struct hp_kserve *k, CURL *h, struct slot *s)
{
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)k->cfg.timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)k->cfg.timeout_ms);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(h, CURLOPT_PRIVATE, s);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "hookpath");
}

static enum hp_kserve_result
classify(CURLcode rc, const struct slot *s, long status)
{
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return HP_KSERVE_TIMEOUT;
	if (rc == CURLE_WRITE_ERROR && s->resp_over)
		return HP_KSERVE_BAD_ANSWER;
	if (rc != CURLE_OK)
		return HP_KSERVE_CONNECT;
	return status == 200 ? HP_KSERVE_OK : HP_KSERVE_HTTP;
}

/* One number of a tensor's data, or -1. */
static int
num(const json_t *v, float *out)
{
	double d;

	if (!json_is_number(v))
		return -1;
	d = json_number_value(v);
	if (!isfinite(d))
		return -1;
	*out = (float)d;
	return 0;
}

/* The scores of an infer answer: outputs[0].data, n numbers, flat or one per row ([n, 1]).
 * 0, or -1 with a message. */
static int
parse_scores(const char *resp, size_t len, uint32_t n, float *out, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(resp, len, 0, &je), *outs, *o, *data;
	int rc = -1;

	if (root == NULL) {
		snprintf(err, errlen, "answer is not JSON: %s", je.text);
		return -1;
	}
	outs = json_object_get(root, "outputs");
	if (!json_is_array(outs) || json_array_size(outs) == 0 ||
	    !json_is_object(o = json_array_get(outs, 0))) {
		snprintf(err, errlen, "answer has no outputs");
		goto out;
	}
	data = json_object_get(o, "data");
	if (!json_is_array(data) || json_array_size(data) != n) {
		snprintf(err, errlen, "outputs[0].data: %u scores expected, got %zu", n,
			 json_is_array(data) ? json_array_size(data) : (size_t)0);
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		json_t *v = json_array_get(data, i);

		if (json_is_array(v) && json_array_size(v) == 1)
			v = json_array_get(v, 0);
		if (num(v, &out[i]) != 0) {
			snprintf(err, errlen, "outputs[0].data[%u]: not a finite number", i);
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* A float as JSON: integers as such (most features are counts), NaN as null. */
static char *
put_float(char *p, float v)
{
	if (isnan(v)) {
		memcpy(p, "null", 4);
		return p + 4;
	}
	if (isinf(v))
		v = v > 0 ? FLT_MAX : -FLT_MAX;
	if (v == truncf(v) && fabsf(v) < 16777216.0f) {
		long i = (long)v;
		char tmp[12];
		int n = 0;

		if (i < 0) {
			*p++ = '-';
			i = -i;
		}
		do {
			tmp[n++] = (char)('0' + i % 10);
			i /= 10;
		} while (i != 0);
		while (n > 0)
			*p++ = tmp[--n];
		return p;
	}
	return p + snprintf(p, KS_NUM_LEN, "%.9g", (double)v);
}

/* The infer request of n rows into buf (at least body_cap bytes). */
static size_t
build_body(struct hp_kserve *k, char *buf, const float *rows, uint32_t n, uint32_t tag)
{
	char *p = buf;
	uint32_t nf = k->cfg.n_features;

	pthread_mutex_lock(&k->name_lock);
	p += sprintf(p,
		     "{\"id\":\"%u\",\"inputs\":[{\"name\":\"%s\",\"shape\":[%u,%u],"
		     "\"datatype\":\"FP32\",\"data\":[",
		     tag, k->input_name, n, nf);
	pthread_mutex_unlock(&k->name_lock);
	for (size_t i = 0; i < (size_t)n * nf; i++) {
		if (i != 0)
			*p++ = ',';
		p = put_float(p, rows[i]);
	}
	p += sprintf(p, "]}]}");
	return (size_t)(p - buf);
}

static size_t
body_cap(const struct hp_kserve_config *c)
{
	return (size_t)c->max_batch * c->n_features * KS_NUM_LEN + 256;
}

static size_t
resp_cap(const struct hp_kserve_config *c)
{
	return (size_t)c->max_batch * KS_RESP_ROW + KS_RESP_BASE;
}

int
hp_kserve_open(const struct hp_kserve_config *cfg, struct hp_kserve **out, char *err, size_t errlen)
{
	struct hp_kserve *k;
	size_t ulen;

	*out = NULL;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		snprintf(err, errlen, "libcurl: %s", curl_easy_strerror(curl_init_rc));
		return -1;
	}
	if (cfg->inflight == 0 || cfg->inflight > HP_KSERVE_MAX_INFLIGHT || cfg->max_batch == 0 ||
	    cfg->n_features == 0 || cfg->breaker_failures == 0 || cfg->timeout_ms == 0) {
		snprintf(err, errlen, "kserve: bad client configuration");
		return -1;
	}
	ulen = strlen(cfg->url);
	if (ulen + strlen(cfg->model) + 40 > KS_URL_LEN || strlen(cfg->model) >= 64) {
		snprintf(err, errlen, "kserve: url or model name too long");
		return -1;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		goto nomem;
	k->cfg = *cfg;
	snprintf(k->model, sizeof(k->model), "%s", cfg->model);
	k->cfg.model = k->model;
	k->cfg.url = NULL;
	/* a trailing slash of the base is not doubled */
	while (ulen > 0 && cfg->url[ulen - 1] == '/')
		ulen--;
	snprintf(k->infer_url, sizeof(k->infer_url), "%.*s/v2/models/%s/infer", (int)ulen, cfg->url,
		 cfg->model);
	snprintf(k->meta_url, sizeof(k->meta_url), "%.*s/v2/models/%s", (int)ulen, cfg->url,
		 cfg->model);
	snprintf(k->ready_url, sizeof(k->ready_url), "%.*s/v2/models/%s/ready", (int)ulen, cfg->url,
		 cfg->model);
	snprintf(k->health_url, sizeof(k->health_url), "%.*s/v2/health/ready", (int)ulen, cfg->url);
	pthread_mutex_init(&k->name_lock, NULL);
	snprintf(k->input_name, sizeof(k->input_name), "input-0");
	k->cooldown_cur_ms = cfg->cooldown_ms;
	k->scores = calloc(cfg->max_batch, sizeof(float));
	k->multi = curl_multi_init();
	/* no "Expect: 100-continue" round trip before a body */
	k->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (k->hdrs != NULL)
		k->hdrs = curl_slist_append(k->hdrs, "Expect:");
	if (k->scores == NULL || k->multi == NULL || k->hdrs == NULL)
		goto nomem;
	for (uint32_t i = 0; i <= cfg->inflight; i++) {
		struct slot *s = i < cfg->inflight ? &k->slots[i] : &k->probe;

		s->probe = i == cfg->inflight;
		s->resp_cap = s->probe ? KS_RESP_BASE : resp_cap(cfg);
		s->h = curl_easy_init();
		s->resp = malloc(s->resp_cap);
		s->body = s->probe ? NULL : malloc(body_cap(cfg));
		if (s->h == NULL || s->resp == NULL || (!s->probe && s->body == NULL))
			goto nomem;
		easy_setup(k, s->h, s);
		if (s->probe) {
			curl_easy_setopt(s->h, CURLOPT_URL, k->ready_url);
			curl_easy_setopt(s->h, CURLOPT_HTTPGET, 1L);
		} else {
			curl_easy_setopt(s->h, CURLOPT_URL, k->infer_url);
			curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, k->hdrs);
			curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, s->body);
		}
	}
	curl_multi_setopt(k->multi, CURLMOPT_MAXCONNECTS, (long)cfg->inflight + 1);
	*out = k;
	return 0;
nomem:
	snprintf(err, errlen, "kserve: out of memory");
	hp_kserve_close(k);
	return -1;
}

void
hp_kserve_close(struct hp_kserve *k)
{
	if (k == NULL)
		return;
	for (uint32_t i = 0; i <= HP_KSERVE_MAX_INFLIGHT; i++) {
		struct slot *s = i < HP_KSERVE_MAX_INFLIGHT ? &k->slots[i] : &k->probe;

		if (s->h != NULL) {
			if (s->busy && k->multi != NULL)
				curl_multi_remove_handle(k->multi, s->h);
			curl_easy_cleanup(s->h);
		}
		free(s->body);
		free(s->resp);
	}
	if (k->multi != NULL)
		curl_multi_cleanup(k->multi);
	curl_slist_free_all(k->hdrs);
	free(k->scores);
	pthread_mutex_destroy(&k->name_lock);
	free(k);
}

/* One blocking request of a check: status and answer (at most cap bytes) or -1 with a
 * message. */
static int
sync_req(struct hp_kserve *k, const char *url, const char *body, size_t body_len, char *resp,
	 size_t cap, size_t *resp_len, char *err, size_t errlen)
{
	struct slot s = {.resp = resp, .resp_cap = cap};
	CURL *h = curl_easy_init();
	CURLcode rc;
	long status = 0;
	const char *what = strstr(url, "/v2/");

	if (h == NULL) {
		snprintf(err, errlen, "libcurl: cannot make a handle");
		return -1;
	}
	easy_setup(k, h, &s);
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (body != NULL) {
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, k->hdrs);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body_len);
	}
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	*resp_len = s.resp_len;
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s %s: %s", body != NULL ? "POST" : "GET", what,
			 s.resp_over ? "answer too long" : curl_easy_strerror(rc));
		return -1;
	}
	if (status != 200) {
		char said[128];

		printable(said, sizeof(said), resp, s.resp_len, 120);
		snprintf(err, errlen, "%s %s: HTTP %ld %s", body != NULL ? "POST" : "GET", what,
			 status, said);
		return -1;
	}
	return 0;
}

/* GET /v2/models/{model}: the model's name, version, platform and input. */
static int
read_metadata(struct hp_kserve *k, const char *resp, size_t len, struct hp_kserve_model_info *in,
	      char *input_name, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(resp, len, 0, &je), *v, *inputs, *in0, *shape;
	int rc = -1;
	json_int_t last;

	if (root == NULL) {
		snprintf(err, errlen, "GET /v2/models/%s: not JSON: %s", k->model, je.text);
		return -1;
	}
	if (json_is_string(v = json_object_get(root, "name")))
		snprintf(in->name, sizeof(in->name), "%s", json_string_value(v));
	if (json_is_array(v = json_object_get(root, "versions")) && json_array_size(v) > 0 &&
	    json_is_string(json_array_get(v, json_array_size(v) - 1)))
		snprintf(in->version, sizeof(in->version), "%s",
			 json_string_value(json_array_get(v, json_array_size(v) - 1)));
	if (json_is_string(v = json_object_get(root, "platform")))
		snprintf(in->platform, sizeof(in->platform), "%s", json_string_value(v));
	inputs = json_object_get(root, "inputs");
	if (!json_is_array(inputs) || json_array_size(inputs) != 1 ||
	    !json_is_object(in0 = json_array_get(inputs, 0))) {
		snprintf(err, errlen, "GET /v2/models/%s: one input tensor expected", k->model);
		goto out;
	}
	shape = json_object_get(in0, "shape");
	if (!json_is_array(shape) || json_array_size(shape) != 2 ||
	    !json_is_integer(json_array_get(shape, 1))) {
		snprintf(err, errlen, "GET /v2/models/%s: input shape [-1, %u] expected", k->model,
			 k->cfg.n_features);
		goto out;
	}
	last = json_integer_value(json_array_get(shape, 1));
	if (last != -1 && last != (json_int_t)k->cfg.n_features) {
		snprintf(err, errlen,
			 "GET /v2/models/%s: the model takes %lld features, hookpath sends %u "
			 "(features v1)",
			 k->model, (long long)last, k->cfg.n_features);
		goto out;
	}
	in->n_features = k->cfg.n_features;
	v = json_object_get(in0, "datatype");
	if (json_is_string(v) && strcmp(json_string_value(v), "FP32") != 0 &&
	    strcmp(json_string_value(v), "FP64") != 0) {
		snprintf(err, errlen, "GET /v2/models/%s: input datatype %s, FP32 expected",
			 k->model, json_string_value(v));
		goto out;
	}
	v = json_object_get(in0, "name");
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= 64) {
		snprintf(err, errlen, "GET /v2/models/%s: the input has no name", k->model);
		goto out;
	}
	for (const char *c = json_string_value(v); *c != '\0'; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.' &&
		    *c != ':' && *c != '/') {
			snprintf(err, errlen, "GET /v2/models/%s: odd input name", k->model);
			goto out;
		}
	snprintf(input_name, 64, "%s", json_string_value(v));
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int
hp_kserve_check(struct hp_kserve *k, struct hp_kserve_model_info *info, char *err, size_t errlen)
{
	struct hp_kserve_model_info in = {0};
	size_t cap = resp_cap(&k->cfg), len = 0, blen;
	char *resp = malloc(cap), *body = malloc(body_cap(&k->cfg)), name[64];
	float *zeros = calloc((size_t)k->cfg.max_batch * k->cfg.n_features, sizeof(float));
	float *scores = calloc(k->cfg.max_batch, sizeof(float));
	uint64_t t0 = mono_ns(), t1;
	int rc = -1;

	if (resp == NULL || body == NULL || zeros == NULL || scores == NULL) {
		snprintf(err, errlen, "kserve: out of memory");
		goto out;
	}
	if (sync_req(k, k->health_url, NULL, 0, resp, cap, &len, err, errlen) != 0 ||
	    sync_req(k, k->meta_url, NULL, 0, resp, cap, &len, err, errlen) != 0 ||
	    read_metadata(k, resp, len, &in, name, err, errlen) != 0)
		goto out;
	pthread_mutex_lock(&k->name_lock);
	snprintf(k->input_name, sizeof(k->input_name), "%s", name);
	pthread_mutex_unlock(&k->name_lock);
	/* the warm-up: a full batch, so that the server's first real one is not its first */
	blen = build_body(k, body, zeros, k->cfg.max_batch, 0);
	t1 = mono_ns();
	if (sync_req(k, k->infer_url, body, blen, resp, cap, &len, err, errlen) != 0)
		goto out;
	if (parse_scores(resp, len, k->cfg.max_batch, scores, err, errlen) != 0) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, errlen, "POST /v2/models/%s/infer: %s", k->model, msg);
		goto out;
	}
	in.warmup_ns = mono_ns() - t1;
	in.check_ns = mono_ns() - t0;
	*info = in;
	rc = 0;
out:
	if (rc != 0)
		__atomic_store_n(&k->force_open, 1, __ATOMIC_RELEASE);
	free(resp);
	free(body);
	free(zeros);
	free(scores);
	return rc;
}

bool
hp_kserve_accepting(const struct hp_kserve *k)
{
	return k->state == HP_KSERVE_CLOSED;
}

bool
hp_kserve_can_send(const struct hp_kserve *k)
{
	return k->state == HP_KSERVE_CLOSED && k->st.inflight < k->cfg.inflight;
}

int
hp_kserve_send(struct hp_kserve *k, const float *rows, uint32_t n, uint32_t tag, uint64_t now_us)
{
	struct slot *s = NULL;
	size_t len;

	if (!hp_kserve_can_send(k) || n == 0 || n > k->cfg.max_batch)
		return -1;
	for (uint32_t i = 0; i < k->cfg.inflight; i++)
		if (!k->slots[i].busy) {
			s = &k->slots[i];
			break;
		}
	if (s == NULL)
		return -1;
	len = build_body(k, s->body, rows, n, tag);
	curl_easy_setopt(s->h, CURLOPT_POSTFIELDSIZE, (long)len);
	s->resp_len = 0;
	s->resp_over = false;
	s->tag = tag;
	s->n = n;
	s->t0_us = now_us;
	if (curl_multi_add_handle(k->multi, s->h) != CURLM_OK)
		return -1;
	s->busy = true;
	k->st.inflight++;
	k->st.rows += n;
	return 0;
}

/* Open (again, after a failed probe: the same opening, not counted twice). */
static void
breaker_open(struct hp_kserve *k, uint64_t now_us, bool again)
{
	k->state = HP_KSERVE_OPEN;
	k->open_until_us = now_us + (uint64_t)k->cooldown_cur_ms * 1000;
	if (!again)
		k->st.opens++;
}

static void
set_error(struct hp_kserve *k, const char *what, const char *msg)
{
	snprintf(k->last_error, sizeof(k->last_error), "%s: %s", what, msg);
}

/* A finished infer: its result, the breaker, the caller's callback. */
static void
infer_done(struct hp_kserve *k, struct slot *s, CURLcode crc, uint64_t now_us,
	   hp_kserve_done_fn done, void *arg)
{
	long status = 0;
	enum hp_kserve_result r;
	char msg[200];

	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
	r = classify(crc, s, status);
	if (r == HP_KSERVE_OK &&
	    parse_scores(s->resp, s->resp_len, s->n, k->scores, msg, sizeof(msg)) != 0) {
		r = HP_KSERVE_BAD_ANSWER;
		set_error(k, "infer", msg);
	} else if (r == HP_KSERVE_HTTP) {
		char said[128];

		printable(said, sizeof(said), s->resp, s->resp_len, 120);
		snprintf(msg, sizeof(msg), "HTTP %ld %s", status, said);
		set_error(k, "infer", msg);
	} else if (r == HP_KSERVE_BAD_ANSWER) {
		set_error(k, "infer", "answer too long");
	} else if (r != HP_KSERVE_OK) {
		set_error(k, "infer", curl_easy_strerror(crc));
	}
	k->st.requests[r]++;
	if (r == HP_KSERVE_OK) {
		k->fails = 0;
	} else if (++k->fails >= k->cfg.breaker_failures && k->state == HP_KSERVE_CLOSED) {
		k->cooldown_cur_ms = k->cfg.cooldown_ms;
		breaker_open(k, now_us, false);
	}
	done(arg, s->tag, r, r == HP_KSERVE_OK ? k->scores : NULL, s->n, now_us - s->t0_us);
}

static void
probe_done(struct hp_kserve *k, struct slot *s, CURLcode crc, uint64_t now_us)
{
	long status = 0;

	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
	if (classify(crc, s, status) == HP_KSERVE_OK) {
		k->st.probes[1]++;
		k->state = HP_KSERVE_CLOSED;
		k->fails = 0;
		k->cooldown_cur_ms = k->cfg.cooldown_ms;
		return;
	}
	k->st.probes[0]++;
	set_error(k, "probe", crc != CURLE_OK ? curl_easy_strerror(crc) : "model not ready");
	k->cooldown_cur_ms = k->cooldown_cur_ms * 2 < k->cfg.cooldown_max_ms
				     ? k->cooldown_cur_ms * 2
				     : k->cfg.cooldown_max_ms;
	breaker_open(k, now_us, true);
}

unsigned int
hp_kserve_poll(struct hp_kserve *k, uint64_t now_us, hp_kserve_done_fn done, void *arg)
{
	int running = 0, left = 0;
	unsigned int ended = 0;
	CURLMsg *m;

	if (__atomic_exchange_n(&k->force_open, 0, __ATOMIC_ACQ_REL) &&
	    k->state == HP_KSERVE_CLOSED) {
		k->cooldown_cur_ms = k->cfg.cooldown_ms;
		breaker_open(k, now_us, false);
	}
	if (k->state == HP_KSERVE_OPEN && now_us >= k->open_until_us && !k->probe.busy) {
		k->probe.resp_len = 0;
		k->probe.resp_over = false;
		if (curl_multi_add_handle(k->multi, k->probe.h) == CURLM_OK) {
			k->probe.busy = true;
			k->state = HP_KSERVE_PROBING;
		}
	}
	if (k->st.inflight == 0 && !k->probe.busy)
		return 0;
	curl_multi_perform(k->multi, &running);
	while ((m = curl_multi_info_read(k->multi, &left)) != NULL) {
		struct slot *s = NULL;
		CURLcode crc;

		if (m->msg != CURLMSG_DONE)
			continue;
		crc = m->data.result;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		curl_multi_remove_handle(k->multi, m->easy_handle);
		if (s == NULL)
			continue;
		s->busy = false;
		if (s->probe) {
			probe_done(k, s, crc, now_us);
			continue;
		}
		k->st.inflight--;
		ended++;
		infer_done(k, s, crc, now_us, done, arg);
	}
	return ended;
}

void
hp_kserve_get_stats(const struct hp_kserve *k, struct hp_kserve_stats *s)
{
	*s = k->st;
	s->state = k->state;
}

const char *
hp_kserve_last_error(const struct hp_kserve *k)
{
	return k->last_error;
}
