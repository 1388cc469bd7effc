/* SPDX-License-Identifier: BSD-3-Clause
 * Invariants, two kinds (DPDK's RTE_ASSERT / RTE_VERIFY split):
 *   HP_ASSERT(cond)  fast path: checked only in builds with -Dasserts=true and in the fuzzing
 *                    build (ASan/UBSan, the adversarial suite runs there); compiled out
 *                    otherwise, so it costs nothing per packet or per request.
 *   HP_VERIFY(cond)  control path (setup, configuration, start): always checked.
 * Either one failing is a bug, never bad input: input is counted by reason and refused, it
 * does not stop the appliance. Failure: the condition and where, on stderr, then abort()
 * (a core file for the post-mortem; systemd restarts the service).
 */
#ifndef HP_ASSERT_H
#define HP_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

#define HP_VERIFY(cond)                                                                            \
	do {                                                                                       \
		if (__builtin_expect(!(cond), 0)) {                                                \
			fprintf(stderr, "hookpath: %s:%d: %s: invariant failed: %s\n", __FILE__,   \
				__LINE__, __func__, #cond);                                        \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#ifdef HP_ENABLE_ASSERT
#define HP_ASSERT(cond) HP_VERIFY(cond)
#else
#define HP_ASSERT(cond) ((void)sizeof(!(cond))) /* type-checked, never evaluated */
#endif

#endif /* HP_ASSERT_H */
