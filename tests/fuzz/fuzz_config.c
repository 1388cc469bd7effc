/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target for the config loader: any bytes go to hp_config_load_buffer().
 *
 * Besides ASan/UBSan/LeakSanitizer findings, it traps when the loader breaks its contract:
 * a refused load must leave *cfg byte-identical and return -EINVAL (or -ENOMEM) with a
 * one-line message starting with the name; an accepted one must hold a config within the
 * bounds the dataplane relies on.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config/hp_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_accepted(const struct hp_config *cfg)
{
	const struct hp_dataplane_config *dp = &cfg->dataplane;
	uint32_t seen = 0;
	size_t i;

	if (dp->mode != HP_MODE_BRIDGE && dp->mode != HP_MODE_TAP)
		__builtin_trap();
	if (dp->mode == HP_MODE_BRIDGE && (dp->n_pairs == 0 || dp->n_ports != 2 * dp->n_pairs))
		__builtin_trap();
	if (dp->mode == HP_MODE_TAP && dp->n_pairs != 0)
		__builtin_trap();
	if (dp->n_pairs > HP_CFG_MAX_PORTS / 2 || dp->n_ports > HP_CFG_MAX_PORTS)
		__builtin_trap();
	for (i = 0; i < dp->n_ports; i++) {
		if (dp->ports[i] >= HP_CFG_MAX_PORTS || (seen & (1u << dp->ports[i])))
			__builtin_trap();
		seen |= 1u << dp->ports[i];
	}
	if (dp->workers > 127 || (dp->rx_desc & (dp->rx_desc - 1)) ||
	    (dp->tx_desc & (dp->tx_desc - 1)) || (dp->dispatch_ring & (dp->dispatch_ring - 1)) ||
	    dp->mtu < 68 || dp->mtu > 9600 || dp->mbuf_cache > 512 ||
	    (dp->mbufs != 0 && dp->mbufs < 1024))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hp_config cfg, before;
	char err[256];
	int rc;

	memset(&cfg, 0x5a, sizeof(cfg));
	memcpy(&before, &cfg, sizeof(cfg));
	rc = hp_config_load_buffer("fuzz.yaml", (const char *)data, size, &cfg, err, sizeof(err));
	if (rc == 0) {
		check_accepted(&cfg);
		hp_config_free(&cfg);
		return 0;
	}
	if (rc != -EINVAL && rc != -ENOMEM)
		__builtin_trap();
	if (memcmp(&cfg, &before, sizeof(cfg)) != 0)
		__builtin_trap();
	if (memchr(err, '\0', sizeof(err)) == NULL || strncmp(err, "fuzz.yaml:", 10) != 0 ||
	    strchr(err, '\n') != NULL)
		__builtin_trap();
	return 0;
}
