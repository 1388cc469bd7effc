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

#endif /* HP_CTL_H */
