/* SPDX-License-Identifier: BSD-3-Clause
 * What every libFuzzer target here shares: its entry point and CHECK, which traps (the fuzzer
 * records the input) when an invariant does not hold.
 */
#ifndef HP_FUZZ_H
#define HP_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

#endif /* HP_FUZZ_H */
