/* SPDX-License-Identifier: BSD-3-Clause
 * Ports and mempools (dp_port.c): configured, started, stopped and closed by the runtime.
 */
#ifndef HP_DP_PORT_H
#define HP_DP_PORT_H

#include <stddef.h>

struct hp_dp;

int hp_port_setup_all(struct hp_dp *dp, char *err, size_t errlen);
void hp_port_close_all(struct hp_dp *dp);

#endif /* HP_DP_PORT_H */
