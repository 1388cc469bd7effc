/* SPDX-License-Identifier: BSD-3-Clause
 * Guarded flows (dataplane.guard, docs/SECURITY.md): the TCP flows that carry what the
 * endpoints protect. A TCP segment whose source or destination port is a guarded server port
 * is tracked, parsed as HTTP, verified, and fails closed; every other flow is forwarded
 * untouched and never parsed (TLS, SSH, ... through the bridge are not hookpath's business).
 *
 * One bitmap of the 65536 ports, built at start (hp_guard_init), read-only afterwards and read
 * by every worker: one bit test per port, no branch on the list.
 */
#ifndef HP_DP_GUARD_H
#define HP_DP_GUARD_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "hp_config.h"

struct hp_guard {
	bool any;
	uint64_t bits[65536 / 64];
};

static inline void
hp_guard_init(struct hp_guard *g, const struct hp_guard_config *cfg)
{
	memset(g, 0, sizeof(*g));
	g->any = cfg->any;
	for (unsigned int i = 0; i < cfg->n_ports; i++)
		g->bits[cfg->ports[i] >> 6] |= UINT64_C(1) << (cfg->ports[i] & 63);
}

static inline bool
hp_guard_port(const struct hp_guard *g, uint16_t port)
{
	return (g->bits[port >> 6] >> (port & 63)) & 1;
}

/* Is a TCP segment between these ports (host order) on a guarded flow? */
static inline bool
hp_guard_tcp(const struct hp_guard *g, uint16_t sport, uint16_t dport)
{
	return g->any || hp_guard_port(g, dport) || hp_guard_port(g, sport);
}

/* Which end of a guarded flow is the server: 1 if dport is a guarded port (the sender is the
 * client), 0 if only sport is (the sender is the server). With `any`, the lower port is taken
 * for the server's. */
static inline bool
hp_guard_sender_is_client(const struct hp_guard *g, uint16_t sport, uint16_t dport)
{
	if (g->any)
		return dport <= sport;
	return hp_guard_port(g, dport) || !hp_guard_port(g, sport);
}

#endif /* HP_DP_GUARD_H */
