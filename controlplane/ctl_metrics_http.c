/* SPDX-License-Identifier: BSD-3-Clause
 * The read-only metrics listener (ctl_metrics.h, control.metrics_listen).
 *
 * Prometheus should not hold the admin token: this listener is a second HTTP server on an
 * address of its own that knows two routes, GET (or HEAD) /metrics and /v1/health, and
 * refuses everything else before reading a byte of a body: another method is 405 with
 * "Allow: GET, HEAD", another path 404. No route of the admin API (ctl_api.c) is reachable
 * through it, and it shares nothing with it but the exposition function.
 *
 * libmicrohttpd without threads, polled without waiting by the control loop after the admin
 * API's own wait, so a scrape is rendered on the control thread like GET /metrics of the API.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "ctl.h"
#include "ctl_metrics.h"
#include "hp_config.h"

#define METRICS_CTYPE "text/plain; version=0.0.4; charset=utf-8"
#define HEALTH_BODY   "{\"status\":\"ok\"}\n"

static struct MHD_Daemon *metrics_d;

/* Queue a response whose body is buf (len bytes); own: MHD frees it, else it is static. */
static enum MHD_Result
reply(struct MHD_Connection *c, unsigned int status, const char *ctype, char *buf, size_t len,
      bool own)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, buf, own ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (r == NULL) {
		if (own)
			free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
reply_text(struct MHD_Connection *c, unsigned int status, const char *text)
{
	return reply(c, status, "text/plain; charset=utf-8", (char *)(uintptr_t)text, strlen(text),
		     false);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	   const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	static int seen; /* *con_cls after the first call of a request: its headers are in */
	bool known = !strcmp(url, "/metrics") || !strcmp(url, "/v1/health");

	(void)cls;
	(void)version;
	(void)upload;
	if (*con_cls == NULL) {
		*con_cls = &seen;
		/* refused at once, before any body is read (the connection then closes) */
		if (!known)
			return reply_text(c, MHD_HTTP_NOT_FOUND,
					  "not found: this listener serves GET /metrics and "
					  "GET /v1/health only\n");
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
			return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
					  "method not allowed: read-only listener\n");
		return MHD_YES;
	}
	if (*upload_size != 0) { /* a GET with a body: the body means nothing, dropped */
		*upload_size = 0;
		return MHD_YES;
	}
	if (!strcmp(url, "/v1/health"))
		return reply(c, MHD_HTTP_OK, "application/json", (char *)(uintptr_t)HEALTH_BODY,
			     strlen(HEALTH_BODY), false);
	{
		size_t len = 0;
		char *text = hp_ctl_metrics_render(&len);

		if (text == NULL)
			return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
					  "metrics: out of memory\n");
		return reply(c, MHD_HTTP_OK, METRICS_CTYPE, text, len, true);
	}
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	*con_cls = NULL;
}

/* "a.b.c.d:port" or "[v6]:port" (the loader checked the shape) to a bound, listening socket.
 * fd, or -1 with the message in err. */
static int
listen_on(const char *hostport, char *err, size_t errlen)
{
	const struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				       .ai_socktype = SOCK_STREAM};
	char host[64];
	const char *h = hostport, *port = strrchr(hostport, ':');
	struct addrinfo *ai = NULL;
	int fd = -1, one = 1, rc;
	size_t hl;

	if (port == NULL || port == hostport)
		goto bad;
	hl = (size_t)(port - hostport);
	if (hostport[0] == '[') { /* [v6]: without the brackets */
		if (hl < 3 || hostport[hl - 1] != ']')
			goto bad;
		h++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	rc = getaddrinfo(host, port + 1, &hints, &ai);
	if (rc != 0)
		goto bad;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
		snprintf(err, errlen, "control.metrics_listen: %s: %s", hostport, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
bad:
	snprintf(err, errlen, "control.metrics_listen: \"%s\" is not an IP address and port",
		 hostport);
	return -1;
}

int
hp_ctl_metrics_listen_start(const struct hp_config *cfg, char *err, size_t errlen)
{
	const char *addr = cfg->control.metrics_listen;
	int fd;

	if (addr[0] == '\0')
		return 0;
	fd = listen_on(addr, err, errlen);
	if (fd < 0)
		return -1;
	metrics_d = MHD_start_daemon(
		MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)16, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024), MHD_OPTION_END);
	if (metrics_d == NULL) {
		snprintf(err, errlen, "control.metrics_listen: %s: cannot start the HTTP server",
			 addr);
		close(fd);
		return -1;
	}
	return 0;
}

void
hp_ctl_metrics_listen_poll(void)
{
	if (metrics_d != NULL)
		MHD_run(metrics_d); /* does not wait: the admin API's poll did */
}

void
hp_ctl_metrics_listen_stop(void)
{
	MHD_socket fd;

	if (metrics_d == NULL)
		return;
	/* take the listening socket back (libmicrohttpd stops using it), then close it */
	fd = MHD_quiesce_daemon(metrics_d);
	MHD_stop_daemon(metrics_d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	metrics_d = NULL;
}
