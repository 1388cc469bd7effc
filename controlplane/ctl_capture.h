/* SPDX-License-Identifier: BSD-3-Clause
 * Forensic captures (ctl_capture.c, forensics.*) and DPDK's packet capture framework for
 * dpdk-dumpcap (ctl_main.c, forensics.pdump).
 */
#ifndef HP_CTL_CAPTURE_H
#define HP_CTL_CAPTURE_H

#include <stdio.h>

#include <jansson.h>

struct hp_config;

/* After hp_dp_init: the capture file opened (an earlier one rotated to .1). 0 (also when
 * forensics.pcapng is off), or -errno with a message naming the key. */
int hp_ctl_capture_open(const struct hp_config *cfg, char *err, size_t errlen);
/* Control loop: at most about budget refused requests written; returns how many. */
unsigned int hp_ctl_capture_drain(unsigned int budget);
/* After the workers stopped: everything left written, the file closed. */
void hp_ctl_capture_close(void);
/* Its figures: the stats JSON's "forensics" object (a new reference, NULL on ENOMEM),
 * Prometheus families. */
json_t *hp_ctl_capture_status(void);
void hp_ctl_capture_metrics(FILE *f);

#endif /* HP_CTL_CAPTURE_H */
