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
	char *body;         /* malloc'd */
	size_t len;
	const char *ctype;
};

/* Start the Unix socket (and TCP) listeners; 0 or -1 with a message naming the key. */
int hp_ctl_api_start(const struct hp_config *cfg, char *err, size_t errlen);
/* Wait up to timeout_ms for API traffic and serve it (the control loop's sleep). */
void hp_ctl_api_poll(unsigned int timeout_ms);
void hp_ctl_api_stop(void);
const char *hp_ctl_api_socket(void);

/* Answers, for route handlers. */
void hp_api_error(struct api_reply *r, unsigned int status, const char *field, const char *fmt,
		  ...) __attribute__((format(printf, 4, 5)));
void hp_api_json(struct api_reply *r, unsigned int status, json_t *j);

/* Routes beyond the built-in read-only ones: return true when the request was handled. */
struct hp_api_ops {
	bool (*route)(const char *method, const char *url, const char *body, size_t len,
		      struct api_reply *r);
};
void hp_ctl_api_set_ops(const struct hp_api_ops *ops);

/* Configuration routes (ctl_cfgapi.c): init reads the config file again as a document. */
int hp_ctl_cfgapi_init(const char *path, const struct hp_config *cfg, char *err, size_t errlen);
void hp_ctl_cfgapi_fini(void);
extern const struct hp_api_ops hp_cfgapi_ops;

#endif /* HP_CTL_API_H */
