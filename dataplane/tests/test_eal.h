/* SPDX-License-Identifier: BSD-3-Clause
 * EAL for the dataplane's unit tests: no hugepages, no PCI, no telemetry, a file prefix of
 * the test's name and pid (tests run in parallel), lcores as given (NULL: the EAL's default).
 */
#ifndef HP_TEST_EAL_H
#define HP_TEST_EAL_H

#include <stdio.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>

static inline int
hp_test_eal_init(const char *name, const char *mem_mb, const char *lcores)
{
	/* EAL keeps argv: static buffers, no heap */
	static char buf[12][64];
	static char *argv[12];
	const char *args[12] = {
		name,
		"--no-huge",
		"-m",
		mem_mb,
		"--no-pci",
		"--no-telemetry",
		"--file-prefix",
		NULL, /* hp-<name>-<pid> */
		"--log-level=lib.*:warning",
		"--log-level=hookpath:warning",
	};
	int argc = 10;

	if (lcores != NULL) {
		args[argc++] = "-l";
		args[argc++] = lcores;
	}
	for (int i = 0; i < argc; i++) {
		if (args[i] == NULL)
			snprintf(buf[i], sizeof(buf[i]), "hp-%s-%d", name, (int)getpid());
		else
			snprintf(buf[i], sizeof(buf[i]), "%s", args[i]);
		argv[i] = buf[i];
	}
	return rte_eal_init(argc, argv);
}

#endif /* HP_TEST_EAL_H */
