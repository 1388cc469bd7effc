/* SPDX-License-Identifier: BSD-3-Clause
 * The dataplane's shared state, defined once and owned by nobody's functions: every
 * dataplane file may read it, none calls into another to get it. Written by the control
 * thread at init and on configuration swaps (dp_runtime.c, dp_epset.c), read by the workers.
 */
#include <rte_log.h>

#include "dp_log.h"
#include "dp_types.h"

/* named "hookpath" (--log-level=hookpath:warning); RTE_LOG_REGISTER_DEFAULT would take its
 * name from a macro only DPDK's own build defines, and register the literal
 * "RTE_LOG_DEFAULT_LOGTYPE" */
RTE_LOG_REGISTER(hp_logtype, hookpath, INFO);

struct hp_dp hp_dp;

uint64_t hp_mbuf_reassembled;
