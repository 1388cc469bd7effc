/* SPDX-License-Identifier: BSD-3-Clause
 * REST API (docs/API.md, docs/openapi.yaml): libmicrohttpd without its own threads, run by the
 * control thread's loop (hp_ctl_api_poll), so every handler runs on the control thread and
 * sees the dataplane and the sinks without locks of its own.
 *
 * Transports: a Unix socket (default <DPDK runtime dir>/hookpath.sock, mode 0660: the file's
 * owner and group decide who may talk) and, when control.api_listen is set, TCP where every
 * request needs "Authorization: Bearer <token>" (compared in constant time). Request bodies are
 * bounded (control.api_max_body, 413 beyond); errors are JSON naming the field.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include <rte_eal.h>
#include <rte_ethdev.h>

#include "ctl.h"
#include "ctl_json.h"
#include "ctl_api.h"
#include "dp.h"
#include "hp_config.h"

#define API_VERSION "0.1.0"

struct api_daemon {
	struct MHD_Daemon *d;
	bool tcp;
	int fd;
};

static struct api_daemon api_d[2];
static unsigned int api_n;
static char api_sock_path[HP_CFG_PATH_LEN];
/* The socket file this process made: unlinked at stop only if the path still names it (a
 * later instance may have replaced a socket file someone removed under this one). */
static dev_t api_sock_dev;
static ino_t api_sock_ino;
static char api_token[256];
static size_t api_token_len;
static uint32_t api_max_body;
static time_t api_t0;
static struct hp_api_ops api_ops;

/* Per-request state: the body as it arrives. */
struct req_ctx {
	char *body;
	size_t len;
	bool too_large;
};

static void
reply_json(struct api_reply *r, unsigned int status, json_t *j)
{
	r->status = status;
	r->body = json_dumps(j, HP_JSON_FLAGS);
	r->len = r->body != NULL ? strlen(r->body) : 0;
	r->ctype = "application/json";
	json_decref(j);
}

void
hp_api_error(struct api_reply *r, unsigned int status, const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_json(r, status,
		   json_pack("{s:{s:i,s:s?,s:s}}", "error", "status", (int)status, "field", field,
			     "message", msg));
}

void
hp_api_json(struct api_reply *r, unsigned int status, json_t *j)
{
	reply_json(r, status, j);
}

/* A document written by a FILE* producer (stats, sinks) as the answer. */
static void
reply_stream(struct api_reply *r, void (*fn)(FILE *f), const char *ctype)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (m == NULL) {
		hp_api_error(r, 500, NULL, "out of memory");
		return;
	}
	fn(m);
	fclose(m);
	r->status = 200;
	r->body = buf;
	r->len = len;
	r->ctype = ctype;
}

static void
route_health(const struct hp_api_req *q, struct api_reply *r)
{
	(void)q;
	reply_json(r, 200,
		   json_pack("{s:s,s:s,s:I}", "status", "ok", "version", API_VERSION, "uptime_s",
			     (json_int_t)(time(NULL) - api_t0)));
}

static void
route_ready(const struct hp_api_req *q, struct api_reply *r)
{
	json_t *checks = json_object();
	bool ok = true, links = true;

	(void)q;
	for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++) {
		struct rte_eth_link l;

		if (hp_dp_port(p) == NULL)
			continue;
		if (rte_eth_link_get_nowait(p, &l) != 0 || l.link_status != RTE_ETH_LINK_UP)
			links = false;
	}
	{
		char why[160];
		bool running = hp_ctl_workers_ok(why, sizeof(why));

		json_object_set_new(checks, "workers",
				    json_string(hp_dp_stopping() ? "stopping"
						: running        ? "ok"
								 : why));
		json_object_set_new(checks, "ports", json_string(links ? "ok" : "link down"));
		ok = !hp_dp_stopping() && running && links;
	}
	/* degraded parts: not ready unless the operator said they may be (control.ready.*) */
	{
		const struct hp_config *cfg = hp_dp_config();
		char why[320], msg[360];
		int ml;

		if (!hp_ctl_sinks_healthy(why, sizeof(why))) {
			snprintf(msg, sizeof(msg), "degraded: %s", why);
			json_object_set_new(checks, "sinks", json_string(msg));
			if (cfg == NULL || cfg->control.ready_sinks)
				ok = false;
		} else {
			json_object_set_new(checks, "sinks", json_string("ok"));
		}
		ml = hp_ctl_ml_health(why, sizeof(why));
		if (ml < 0) {
			snprintf(msg, sizeof(msg), "degraded: %s", why);
			json_object_set_new(checks, "ml", json_string(msg));
			if (cfg == NULL || cfg->control.ready_ml)
				ok = false;
		} else if (ml == 0) {
			json_object_set_new(checks, "ml", json_string("ok"));
		}
	}
	reply_json(r, ok ? 200 : 503, json_pack("{s:b,s:o}", "ready", ok, "checks", checks));
}

/* A document rendered into memory (stats JSON, Prometheus text) as the answer. */
static void
reply_rendered(struct api_reply *r, char *(*render)(size_t *len), const char *ctype)
{
	size_t len = 0;
	char *s = render(&len);

	if (s == NULL) {
		hp_api_error(r, 500, NULL, "out of memory");
		return;
	}
	r->status = 200;
	r->body = s;
	r->len = len;
	r->ctype = ctype;
}

static void
route_stats(const struct hp_api_req *q, struct api_reply *r)
{
	(void)q;
	reply_rendered(r, hp_ctl_stats_json, "application/json");
}

static void
route_metrics(const struct hp_api_req *q, struct api_reply *r)
{
	(void)q;
	reply_rendered(r, hp_ctl_metrics_render, "text/plain; version=0.0.4; charset=utf-8");
}

static void
route_sinks(const struct hp_api_req *q, struct api_reply *r)
{
	(void)q;
	reply_stream(r, hp_ctl_sinks_json, "application/json");
}

static void
route_models(const struct hp_api_req *q, struct api_reply *r)
{
	(void)q;
	reply_stream(r, hp_ctl_ml_json, "application/json");
}

/* POST /v1/models/default/reload [{"path": "/abs/model.json"}]: load (the file in use again
 * when no path is given), warm up, swap between two batches; a model that cannot load leaves
 * the running one in place (422). */
static void
route_model_reload(const struct hp_api_req *q, struct api_reply *r)
{
	const char *path = NULL;
	json_t *body = NULL;
	char err[512];
	int rc;

	if (strcmp(q->var[0], "default") != 0) {
		hp_api_error(r, 404, NULL, "no model %s (the one model is \"default\")", q->var[0]);
		return;
	}
	if (q->body != NULL && q->len != 0) {
		json_error_t je;
		const char *key;
		json_t *v;

		body = json_loadb(q->body, q->len, 0, &je);
		if (!json_is_object(body)) {
			hp_api_error(r, 400, NULL, "body: a JSON object expected");
			json_decref(body);
			return;
		}
		json_object_foreach(body, key, v)
		{
			if (strcmp(key, "path") != 0 || !json_is_string(v)) {
				hp_api_error(r, 400, key, "%s: only \"path\" (a string) is taken",
					     key);
				json_decref(body);
				return;
			}
		}
		path = json_string_value(json_object_get(body, "path"));
	}
	rc = hp_ctl_ml_reload(path, err, sizeof(err));
	if (rc == -2) /* backend kserve: the server failed the check */
		hp_api_error(r, 502, "ml.kserve.url", "%s", err);
	else if (rc < 0)
		hp_api_error(r, 422, "path", "%s", err);
	else
		reply_json(r, 200,
			   json_pack("{s:s,s:I,s:b}", "model", "default", "version",
				     (json_int_t)hp_ctl_ml_version(), "swapped", rc == 0));
	json_decref(body);
}

/* The built-in routes; the configuration ones come through hp_ctl_api_set_ops. */
/* clang-format off: one route per line */
static const struct hp_api_route api_routes[] = {
	{"GET", "/v1/health", route_health},
	{"GET", "/v1/ready", route_ready},
	{"GET", "/v1/stats", route_stats},
	{"GET", "/metrics", route_metrics},
	{"GET", "/v1/sinks", route_sinks},
	{"GET", "/v1/models", route_models},
	{"POST", "/v1/models/{name}/reload", route_model_reload},
};
/* clang-format on */

/* Does url fit the pattern? Literal parts compare exactly, a {variable} takes one whole
 * segment, 1 to HP_API_VAR_LEN - 1 bytes, copied into q->var (a longer one cannot be a name
 * or an id: no match). */
static bool
path_match(const char *pat, const char *url, struct hp_api_req *q)
{
	unsigned int nv = 0;

	while (*pat != '\0') {
		if (*pat == '{') {
			size_t n = strcspn(url, "/");

			if (n == 0 || n >= HP_API_VAR_LEN || nv == HP_API_MAX_VARS)
				return false;
			memcpy(q->var[nv], url, n);
			q->var[nv++][n] = '\0';
			url += n;
			pat += strcspn(pat, "}");
			if (*pat == '}')
				pat++;
		} else if (*pat++ != *url++) {
			return false;
		}
	}
	return *url == '\0';
}

/* Dispatch one complete request: walk the built-in table, then the configuration one. The
 * methods of every route whose path fits are gathered on the way for a 405's Allow header. */
static void
dispatch(const char *method, const char *url, const char *body, size_t len, struct api_reply *r)
{
	const struct hp_api_ops tables[] = {
		{api_routes, sizeof(api_routes) / sizeof(api_routes[0])},
		api_ops,
	};
	struct hp_api_req q = {.method = method, .url = url, .body = body, .len = len};
	char allow[sizeof(r->allow)] = "";
	bool known = false;
	size_t used = 0;

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		for (size_t i = 0; i < tables[t].n_routes; i++) {
			const struct hp_api_route *e = &tables[t].routes[i];
			int n;

			if (!path_match(e->path, url, &q))
				continue;
			if (!strcmp(e->method, method)) {
				e->fn(&q, r);
				return;
			}
			known = true;
			n = snprintf(allow + used, sizeof(allow) - used, "%s%s", used ? ", " : "",
				     e->method);
			if (n > 0 && (size_t)n < sizeof(allow) - used)
				used += (size_t)n;
		}
	}
	if (!known) {
		hp_api_error(r, 404, NULL, "no route %s %s", method, url);
		return;
	}
	hp_api_error(r, 405, NULL, "method %s not allowed on %s", method, url);
	memcpy(r->allow, allow, sizeof(r->allow));
}

static bool
token_ok(struct MHD_Connection *c)
{
	const char *h =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	size_t n;

	if (h == NULL || strncmp(h, "Bearer ", 7) != 0 || api_token_len == 0)
		return false;
	h += 7;
	n = strlen(h);
	/* constant time in the token's bytes; the length alone is not secret */
	return n == api_token_len && CRYPTO_memcmp(h, api_token, n) == 0;
}

static enum MHD_Result
send_reply(struct MHD_Connection *c, struct api_reply *r)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (resp == NULL) {
		free(r->body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (r->status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"hookpath\"");
	if (r->allow[0] != '\0')
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	ret = MHD_queue_response(c, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	   const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct api_daemon *ad = cls;
	struct req_ctx *rc = *con_cls;
	struct api_reply r = {0};

	(void)version;
	if (rc == NULL) {
		rc = calloc(1, sizeof(*rc));
		if (rc == NULL)
			return MHD_NO;
		*con_cls = rc;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		if (!rc->too_large && rc->len + *upload_size <= api_max_body) {
			char *nb = realloc(rc->body, rc->len + *upload_size + 1);

			if (nb == NULL)
				return MHD_NO;
			rc->body = nb;
			memcpy(rc->body + rc->len, upload, *upload_size);
			rc->len += *upload_size;
			rc->body[rc->len] = '\0';
		} else {
			rc->too_large = true; /* keep reading (and discarding) to answer 413 */
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (ad->tcp && !token_ok(c))
		hp_api_error(&r, 401, NULL, "missing or wrong bearer token");
	else if (rc->too_large)
		hp_api_error(&r, 413, NULL, "request body over control.api_max_body (%u bytes)",
			     api_max_body);
	else
		dispatch(method, url, rc->body, rc->len, &r);
	return send_reply(c, &r);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct req_ctx *rc = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (rc != NULL) {
		if (rc->body != NULL)
			explicit_bzero(rc->body, rc->len); /* may hold a secret */
		free(rc->body);
		free(rc);
	}
	*con_cls = NULL;
}

static int
listen_unix(const char *path, const char *group, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX}, tmp = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control.api_socket: path longer than %zu bytes",
			 sizeof(sa.sun_path) - 1);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "control.api_socket: socket: %s", strerror(errno));
		return -1;
	}
	/* a live server on that path is an error; a stale socket file is replaced */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		snprintf(err, errlen, "control.api_socket: %s is in use by another process", path);
		return -1;
	}
	unlink(path);
	/* bound and listening under a temporary name, then renamed into place: whoever sees the
	 * path can connect (a client that waits for the file is not refused between bind and
	 * listen). A path too long for the temporary name is bound directly. */
	if (snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp.sun_path))
		tmp = sa;
	unlink(tmp.sun_path);
	if (bind(fd, (struct sockaddr *)&tmp, sizeof(tmp)) != 0 || chmod(tmp.sun_path, 0660) != 0 ||
	    listen(fd, 64) != 0 ||
	    (strcmp(tmp.sun_path, path) != 0 && rename(tmp.sun_path, path) != 0)) {
		snprintf(err, errlen, "control.api_socket: %s: %s", path, strerror(errno));
		close(fd);
		unlink(tmp.sun_path);
		return -1;
	}
	if (group[0] != '\0') {
		struct group *gr = getgrnam(group);

		if (gr == NULL || chown(path, (uid_t)-1, gr->gr_gid) != 0) {
			snprintf(err, errlen, "control.api_socket_group: %s: %s", group,
				 gr == NULL ? "no such group" : strerror(errno));
			close(fd);
			unlink(path);
			return -1;
		}
	}
	return fd;
}

static int
listen_tcp(const char *hostport, char *err, size_t errlen)
{
	char host[64];
	const char *colon = strrchr(hostport, ':');
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	int fd, one = 1;

	snprintf(host, sizeof(host), "%.*s", (int)(colon - hostport), hostport);
	if (host[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		host[strcspn(host, "]")] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(colon + 1));
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			goto bad;
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)atoi(colon + 1));
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			goto bad;
		sl = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 64) != 0) {
		snprintf(err, errlen, "control.api_listen: %s: %s", hostport, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
bad:
	snprintf(err, errlen, "control.api_listen: \"%s\" is not an IP address and port", hostport);
	return -1;
}

static int
read_token(const char *path, char *err, size_t errlen)
{
	struct stat st;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(err, errlen, "control.api_token_file: %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) != 0 || (st.st_mode & 077) != 0) {
		fclose(f);
		snprintf(err, errlen,
			 "control.api_token_file: %s is readable by group or others "
			 "(chmod 600)",
			 path);
		return -1;
	}
	if (fgets(api_token, sizeof(api_token), f) == NULL)
		api_token[0] = '\0';
	fclose(f);
	api_token[strcspn(api_token, "\r\n")] = '\0';
	api_token_len = strlen(api_token);
	if (api_token_len < 16) {
		explicit_bzero(api_token, sizeof(api_token));
		snprintf(err, errlen,
			 "control.api_token_file: %s: the token must be at least 16 "
			 "bytes on the first line",
			 path);
		return -1;
	}
	return 0;
}

static int
daemon_start(int fd, bool tcp, char *err, size_t errlen)
{
	struct api_daemon *ad = &api_d[api_n];

	ad->fd = fd;
	ad->tcp = tcp;
	ad->d = MHD_start_daemon(
		MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, ad, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)64, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_END);
	if (ad->d == NULL) {
		snprintf(err, errlen, "%s: cannot start the HTTP server",
			 tcp ? "control.api_listen" : "control.api_socket");
		close(fd);
		return -1;
	}
	api_n++;
	return 0;
}

void
hp_ctl_api_set_ops(const struct hp_api_ops *ops)
{
	api_ops = *ops;
}

int
hp_ctl_api_start(const struct hp_config *cfg, char *err, size_t errlen)
{
	const struct hp_control_config *cc = &cfg->control;
	struct stat st;
	int fd;

	api_t0 = time(NULL);
	api_max_body = cc->api_max_body;
	if (strcmp(cc->api_socket, "off") != 0) {
		if (cc->api_socket[0] != '\0')
			snprintf(api_sock_path, sizeof(api_sock_path), "%s", cc->api_socket);
		else
			snprintf(api_sock_path, sizeof(api_sock_path), "%s/hookpath.sock",
				 rte_eal_get_runtime_dir());
		fd = listen_unix(api_sock_path, cfg->control.api_socket_group, err, errlen);
		if (fd >= 0 && stat(api_sock_path, &st) == 0) {
			api_sock_dev = st.st_dev;
			api_sock_ino = st.st_ino;
		}
		if (fd >= 0 && daemon_start(fd, false, err, errlen) != 0) {
			unlink(api_sock_path);
			fd = -1;
		}
		if (fd < 0) {
			api_sock_path[0] = '\0';
			return -1;
		}
	}
	if (cc->api_listen[0] != '\0') {
		if (read_token(cc->api_token_file, err, errlen) != 0)
			return -1;
		fd = listen_tcp(cc->api_listen, err, errlen);
		if (fd < 0 || daemon_start(fd, true, err, errlen) != 0)
			return -1;
	}
	return 0;
}

const char *
hp_ctl_api_socket(void)
{
	return api_sock_path;
}

void
hp_ctl_api_poll(unsigned int timeout_ms)
{
	fd_set rs, ws, es;
	MHD_socket max = 0;
	struct timeval tv = {.tv_sec = 0, .tv_usec = (suseconds_t)timeout_ms * 1000};

	if (api_n == 0) {
		struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)timeout_ms * 1000000};

		nanosleep(&ts, NULL);
		return;
	}
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_ZERO(&es);
	for (unsigned int i = 0; i < api_n; i++)
		MHD_get_fdset(api_d[i].d, &rs, &ws, &es, &max);
	select(max + 1, &rs, &ws, &es, &tv);
	for (unsigned int i = 0; i < api_n; i++)
		MHD_run(api_d[i].d);
}

void
hp_ctl_api_stop(void)
{
	for (unsigned int i = 0; i < api_n; i++) {
		MHD_stop_daemon(api_d[i].d);
		close(api_d[i].fd);
	}
	api_n = 0;
	if (api_sock_path[0] != '\0') {
		struct stat st;

		if (lstat(api_sock_path, &st) == 0 && st.st_dev == api_sock_dev &&
		    st.st_ino == api_sock_ino)
			unlink(api_sock_path);
		api_sock_path[0] = '\0';
	}
	explicit_bzero(api_token, sizeof(api_token));
}
