/* SPDX-License-Identifier: BSD-3-Clause
 * Control thread: statistics output (periodic line, exit summary, JSON file).
 */
#ifndef HP_CTL_H
#define HP_CTL_H

#include <stdint.h>
#include <stdio.h>

/* One line of rates since the previous call (periodic stats). */
void hp_ctl_stats_line(FILE *out);

/* Human summary at exit: ports (device stats) and every non-zero counter. */
void hp_ctl_summary(FILE *out);

/* Every counter (zeros included) and per-port device stats as one JSON object.
 * Returns 0 or -errno. */
int hp_ctl_write_stats_json(const char *path);

/* Events JSON lines file (ctl_events.c). open: 0 or -errno. drain: events written (at most
 * about budget). close: drains what is left, then closes. */
int hp_ctl_events_open(const char *path);
unsigned int hp_ctl_events_drain(unsigned int budget);
uint64_t hp_ctl_events_written(void);
void hp_ctl_events_close(void);

#endif /* HP_CTL_H */
