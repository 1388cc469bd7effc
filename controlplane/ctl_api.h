/* SPDX-License-Identifier: BSD-3-Clause
 * REST API server (ctl_api.c) and the configuration routes it hands requests to (ctl_cfgapi.c).
 */
#ifndef HP_CTL_API_H
#define HP_CTL_API_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct hp_config;

struct api_reply {
	unsigned int status;
	char *body; /* malloc'd */
	size_t len;
	const char *ctype;
	char allow[64]; /* a 405's Allow header: the methods the path has */
};

/* Start the Unix socket (and TCP) listeners; 0 or -1 with a message naming the key. */
int hp_ctl_api_start(const struct hp_config *cfg, char *err, size_t errlen);
/* Wait up to timeout_ms for API traffic and serve it (the control loop's sleep). */
void hp_ctl_api_poll(unsigned int timeout_ms);
void hp_ctl_api_stop(void);
const char *hp_ctl_api_socket(void);

/* Answers, for route handlers. */
void hp_api_error(struct api_reply *r, unsigned int status, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void hp_api_json(struct api_reply *r, unsigned int status, json_t *j);

#define HP_API_MAX_VARS 2
#define HP_API_VAR_LEN  65 /* a {variable} segment: 1-64 bytes (endpoint names, secret ids) */

/* One request as a route handler sees it. */
struct hp_api_req {
	const char *method;
	const char *url;
	const char *body; /* NULL when there is none */
	size_t len;
	char var[HP_API_MAX_VARS][HP_API_VAR_LEN]; /* the path's {variable} segments, in order */
};

/* A route: method and path pattern, e.g. "/v1/endpoints/{name}/secrets/{id}", where a
 * {variable} stands for one whole segment. The first route whose path and method both match
 * is called; a path that only matches with other methods is answered 405 (Allow: those
 * methods), a path that matches none 404. */
struct hp_api_route {
	const char *method;
	const char *path;
	void (*fn)(const struct hp_api_req *q, struct api_reply *r);
};

/* Routes beyond the built-in read-only ones (the configuration routes), walked after those. */
struct hp_api_ops {
	const struct hp_api_route *routes;
	size_t n_routes;
};
void hp_ctl_api_set_ops(const struct hp_api_ops *ops);

/* Configuration routes (ctl_cfgapi.c): init reads the config file again as a document, which
 * the routes edit, so hp_cfgapi_ops is handed to hp_ctl_api_set_ops only once init succeeded.
 * It reads the state file (control.state_file, ctl_state.h) too: when the API's changes kept
 * there still apply to this file, and when secrets are past their not_after, *cfg is
 * replaced by the running configuration they make; before hp_dp_init. 0, or -1 with a
 * message (a state file that is not private, not hookpath's or does not load with the file:
 * hookpath does not start). */
int hp_ctl_cfgapi_init(const char *path, struct hp_config *cfg, char *err, size_t errlen);
/* Each turn of the control loop: secrets past their not_after retired (and kept). */
void hp_ctl_cfgapi_tick(void);
void hp_ctl_cfgapi_fini(void);
/* Read the configuration file again (SIGHUP, POST /v1/reload) through the loader, and apply
 * its endpoints and live limits by RCU (unless they are still those the API's kept changes
 * were made over: those stay): 0, or the HTTP status of the refusal (400 invalid,
 * 409 a key that needs a restart changed) with the field and message; refused, nothing
 * changes. Control thread only. */
int hp_ctl_cfgapi_reload(char *field, size_t flen, char *err, size_t errlen);
extern const struct hp_api_ops hp_cfgapi_ops;

#endif /* HP_CTL_API_H */
