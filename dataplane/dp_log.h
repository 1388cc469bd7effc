/* SPDX-License-Identifier: BSD-3-Clause
 * Control-path logging (start, stop, errors). Never called per packet: workers count, they
 * don't log.
 */
#ifndef HP_DP_LOG_H
#define HP_DP_LOG_H

#include <rte_log.h>

extern int hp_logtype;

#define HP_LOG(level, ...) rte_log(RTE_LOG_##level, hp_logtype, "hookpath: " __VA_ARGS__)

#endif /* HP_DP_LOG_H */
