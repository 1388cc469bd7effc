/* SPDX-License-Identifier: BSD-3-Clause
 * The read-only metrics listener (ctl_metrics_http.c): control.metrics_listen, a TCP address of
 * its own where GET /metrics (and GET /v1/health) answer without a token and nothing else does,
 * so Prometheus scrapes without holding the admin API's rights. Like the REST API it runs
 * without threads of its own: the control loop polls it, so the exposition is rendered on the
 * control thread (hp_ctl_metrics_render).
 */
#ifndef HP_CTL_METRICS_H
#define HP_CTL_METRICS_H

#include <stddef.h>

struct hp_config;

/* Listen on cfg->control.metrics_listen (nothing when it is empty). 0, or -1 with a message
 * naming the key in err. */
int hp_ctl_metrics_listen_start(const struct hp_config *cfg, char *err, size_t errlen);
/* Serve what is ready, without waiting (control loop, every turn). */
void hp_ctl_metrics_listen_poll(void);
/* Close the listener and its connections; safe when it never started. */
void hp_ctl_metrics_listen_stop(void);

#endif /* HP_CTL_METRICS_H */
