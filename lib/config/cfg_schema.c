/* SPDX-License-Identifier: BSD-3-Clause
 * The hookpath key table: every configuration key, its type, bounds, default and doc line,
 * the handlers of the keys that are not scalars, and the checks across keys.
 *
 * Adding a scalar key: one line in cfg_keys[] (and a row in docs/CONFIG.md; the unit test
 * fails until it is there). The loader, hp_config_defaults() and hp_config_describe() read
 * nothing else.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_priv.h"

#define CFG_MAX_PAIRS (HP_CFG_MAX_PORTS / 2)

/* The walker stores enums as 4-byte unsigned values. */
_Static_assert(sizeof(enum hp_mode) == 4, "enum hp_mode is stored as 4 bytes");
_Static_assert(sizeof(enum hp_malformed_action) == 4, "enum is stored as 4 bytes");
_Static_assert(sizeof(enum hp_unrouted_action) == 4, "enum is stored as 4 bytes");
_Static_assert(sizeof(enum hp_foreign_host_action) == 4, "enum is stored as 4 bytes");
_Static_assert(sizeof(enum hp_urgent_action) == 4, "enum is stored as 4 bytes");
_Static_assert(sizeof(enum hp_http_tunnels) == 4, "enum is stored as 4 bytes");

/* Indexed by the enum value. */
static const char *const mode_names[] = {
	[HP_MODE_BRIDGE] = "bridge",
	[HP_MODE_TAP] = "tap",
	NULL,
};
static const char *const reasm_policy_names[] = {
	[HP_REASM_FIRST] = "first",
	[HP_REASM_LAST] = "last",
	NULL,
};

static const char *const reasm_action_names[] = {
	[HP_REASM_PASS] = "pass",
	[HP_REASM_DROP] = "drop",
	NULL,
};

static const char *const urgent_names[] = {
	[HP_URGENT_DROP] = "drop",
	[HP_URGENT_INLINE] = "inline",
	NULL,
};

static const char *const tunnel_names[] = {
	[HP_TUNNELS_WEBSOCKET] = "websocket",
	[HP_TUNNELS_NONE] = "none",
	[HP_TUNNELS_ANY] = "any",
	NULL,
};

static const char *const http_error_names[] = {
	[HP_HTTP_ON_ERROR_PASS] = "pass",
	[HP_HTTP_ON_ERROR_REJECT] = "reject",
	NULL,
};

static const char *const unrouted_names[] = {
	[HP_UNROUTED_PASS] = "pass",
	[HP_UNROUTED_REJECT] = "reject",
	NULL,
};

static const char *const foreign_host_names[] = {
	[HP_FOREIGN_HOST_REJECT] = "reject",
	[HP_FOREIGN_HOST_PASS] = "pass",
	NULL,
};

static const char *const guard_midstream_names[] = {
	[HP_GUARD_MIDSTREAM_REFUSE] = "refuse",
	[HP_GUARD_MIDSTREAM_INSPECT] = "inspect",
	NULL,
};

static const char *const malformed_names[] = {
	[HP_MALFORMED_DROP] = "drop",
	[HP_MALFORMED_FORWARD] = "forward",
	NULL,
};

static int cfg_parse_port_pairs(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key,
				yaml_node_t *node, void *base, const char *dpath);
static int cfg_parse_path(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node,
			  void *base, const char *dpath);
static int cfg_parse_str(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node,
			 void *base, const char *dpath);
static int cfg_parse_ports(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node,
			   void *base, const char *dpath);
static int cfg_parse_guard_ports(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key,
				 yaml_node_t *node, void *base, const char *dpath);

#define CFG_FIELD(f)                                                                               \
	.offset = offsetof(struct hp_config, f), .size = sizeof(((struct hp_config *)NULL)->f)

/* path, field, default, min, max, flags (HP_CFG_F_POW2), doc */
#define KEY_UINT(p, f, d, lo, hi, fl, text)                                                        \
	{                                                                                          \
		.path = p, .type = HP_CFG_UINT, CFG_FIELD(f), .def = d, .min = lo, .max = hi,      \
		.flags = fl, .doc = text                                                           \
	}
/* integer in [lo, hi] or "auto" (the default, stored as 0); zero: why 0 is refused */
#define KEY_AUTO(p, f, lo, hi, zero, text)                                                         \
	{                                                                                          \
		.path = p, .type = HP_CFG_UINT, CFG_FIELD(f), .def = 0, .min = lo, .max = hi,      \
		.flags = HP_CFG_F_AUTO, .zero_hint = zero, .doc = text                             \
	}
#define KEY_BOOL(p, f, d, text)                                                                    \
	{                                                                                          \
		.path = p, .type = HP_CFG_BOOL, CFG_FIELD(f), .def = d, .doc = text                \
	}
#define KEY_ENUM(p, f, d, n, text)                                                                 \
	{                                                                                          \
		.path = p, .type = HP_CFG_ENUM, CFG_FIELD(f), .def = d, .names = n, .doc = text    \
	}
#define KEY_CUSTOM(p, fn, t, d, b, text)                                                           \
	{                                                                                          \
		.path = p, .type = HP_CFG_CUSTOM, .parse = fn, .type_doc = t, .def_doc = d,        \
		.bounds_doc = b, .doc = text                                                       \
	}

/* A string key stored in a char array field; the bounds doc names what is checked
 * (cfg_parse_str dispatches on the key path for the checks beyond length). */
#define KEY_STR(p, f, d, b, text)                                                                  \
	{                                                                                          \
		.path = p, .type = HP_CFG_CUSTOM, .parse = cfg_parse_str, CFG_FIELD(f),            \
		.type_doc = "string", .def_doc = d, .bounds_doc = b, .doc = text                   \
	}

static const char *const fsync_names[] = {
	[HP_SPOOL_FSYNC_ALWAYS] = "always",
	[HP_SPOOL_FSYNC_INTERVAL] = "interval",
	[HP_SPOOL_FSYNC_NEVER] = "never",
	NULL,
};

static const char *const global_unavail_names[] = {
	[HP_GLOBAL_ACCEPT] = "accept",
	[HP_GLOBAL_REJECT] = "reject",
	NULL,
};

static const char *const log_target_names[] = {
	[HP_LOG_AUTO] = "auto",
	[HP_LOG_CONSOLE] = "console",
	[HP_LOG_JOURNAL] = "journal",
	[HP_LOG_SYSLOG] = "syslog",
	NULL,
};

static const char *const clock_names[] = {
	[HP_CLOCK_WALL] = "wall",
	[HP_CLOCK_CAPTURE] = "capture",
	NULL,
};

static const char *const ml_backend_names[] = {
	[HP_ML_BACKEND_EMBEDDED] = "embedded",
	[HP_ML_BACKEND_KSERVE] = "kserve",
	NULL,
};

static const struct hp_cfg_key cfg_keys[] = {
	KEY_ENUM("dataplane.mode", dataplane.mode, HP_MODE_BRIDGE, mode_names,
		 "bridge forwards between paired ports; tap inspects and forwards nothing"),
	KEY_CUSTOM("dataplane.port_pairs", cfg_parse_port_pairs, "list of [port, port]", "[]",
		   "<= 16 pairs, ports [0, 31]",
		   "bridge only, required: frames from one port go out of the other"),
	KEY_CUSTOM("dataplane.ports", cfg_parse_ports, "list of port ids", "all",
		   "ports [0, 31], no repeats", "tap only: ports polled; absent = every port"),
	KEY_AUTO("dataplane.workers", dataplane.workers, 1, 127,
		 "0 is refused: \"auto\" means every lcore but the main one",
		 "worker lcores; auto = every lcore but the main one"),
	KEY_UINT("dataplane.mtu", dataplane.mtu, 1500, 68, 9600, 0, "MTU set on every port"),
	KEY_UINT("dataplane.burst", dataplane.burst, 32, 1, 512, 0, "rx/tx burst size"),
	KEY_UINT("dataplane.rx_desc", dataplane.rx_desc, 1024, 64, 16384, HP_CFG_F_POW2,
		 "rx descriptors per queue"),
	KEY_UINT("dataplane.tx_desc", dataplane.tx_desc, 1024, 64, 16384, HP_CFG_F_POW2,
		 "tx descriptors per queue"),
	KEY_AUTO("dataplane.mbufs", dataplane.mbufs, 1024, 16777216,
		 "zero-sized pools are refused: \"auto\" sizes them from this configuration",
		 "mbufs per NUMA socket; auto = computed by the dataplane"),
	KEY_UINT("dataplane.mbuf_cache", dataplane.mbuf_cache, 256, 0, 512, 0,
		 "per-lcore mempool cache; a cache holds up to 1.5 x this"),
	KEY_UINT("dataplane.tx_drain_us", dataplane.tx_drain_us, 100, 1, 1000000, 0,
		 "buffered tx is flushed at least this often (microseconds)"),
	KEY_UINT("dataplane.dispatch_ring", dataplane.dispatch_ring, 4096, 64, 1048576,
		 HP_CFG_F_POW2, "software dispatch ring size, per worker pair"),
	KEY_UINT("dataplane.warmup_requests", dataplane.warmup_requests, 256, 0, 4096, 0,
		 "synthetic webhooks each worker runs through its own packet path at start, "
		 "before its first rx burst (never sent, no event, counters put back): the first "
		 "real ones find code and caches warm; 0: none"),
	KEY_BOOL("dataplane.checksum_validation", dataplane.checksum_validation, true,
		 "verify IPv4/TCP/UDP checksums; a bad one makes the frame malformed"),
	KEY_ENUM("dataplane.on_malformed", dataplane.on_malformed, HP_MALFORMED_DROP,
		 malformed_names, "bridge: what happens to a frame that is malformed"),
	KEY_ENUM("dataplane.clock", dataplane.clock, HP_CLOCK_WALL, clock_names,
		 "the time a request is judged at (signed-timestamp tolerance, ML features): "
		 "wall, or capture (each packet's rx timestamp: a pcap replayed for analysis)"),
	KEY_CUSTOM("dataplane.guard.ports", cfg_parse_guard_ports, "list of TCP ports, or any",
		   "[80, 8080]", "<= 64 ports in [1, 65535], no repeats",
		   "server ports of the guarded flows: parsed as HTTP, verified, failing closed; "
		   "every other flow is forwarded untouched and never parsed"),
	KEY_ENUM("dataplane.guard.midstream", dataplane.guard.midstream, HP_GUARD_MIDSTREAM_REFUSE,
		 guard_midstream_names,
		 "bridge: a guarded flow whose handshake was not seen "
		 "(restart, eviction): refuse (RST both ways) or inspect from its first byte seen"),
	KEY_BOOL("dataplane.defrag.enabled", dataplane.defrag.enabled, true,
		 "reassemble IPv4/IPv6 fragments for inspection; false: fragments are forwarded "
		 "uninspected (fail open)"),
	KEY_UINT("dataplane.defrag.max_flows", dataplane.defrag.max_flows, 1024, 1, 1048576, 0,
		 "datagrams in reassembly at once, per worker; full: the oldest incomplete one is "
		 "dropped"),
	KEY_UINT("dataplane.defrag.timeout_ms", dataplane.defrag.timeout_ms, 2000, 1, 60000, 0,
		 "an incomplete datagram is dropped after this (milliseconds)"),
	KEY_UINT("dataplane.defrag.max_fragments", dataplane.defrag.max_fragments, 64, 2, 8192, 0,
		 "fragments of one datagram; one more drops the datagram"),
	KEY_UINT("dataplane.defrag.max_per_source", dataplane.defrag.max_per_source, 64, 1, 1048576,
		 0,
		 "incomplete datagrams of one source address, per worker; one more is "
		 "dropped"),
	KEY_UINT("dataplane.defrag.max_held", dataplane.defrag.max_held, 4096, 16, 1048576, 0,
		 "fragments held by one worker until their datagram is complete; full: the oldest "
		 "incomplete datagram is dropped"),
	KEY_ENUM("dataplane.defrag.on_fail", dataplane.defrag.on_fail, HP_REASM_DROP,
		 reasm_action_names,
		 "a datagram that cannot be reassembled (a limit, an overlap, "
		 "the timeout): drop its fragments, or pass them on uninspected (fail open)"),
	KEY_UINT("dataplane.flows.max", dataplane.flows.max, 65536, 64, 16777216, 0,
		 "guarded TCP flows tracked at once, per worker; when full one is evicted: closed, "
		 "then half-open, then idle, then the oldest active"),
	KEY_BOOL("dataplane.flows.midstream", dataplane.flows.midstream, true,
		 "track TCP flows whose handshake was not seen (picked up midstream)"),
	KEY_UINT("dataplane.flows.timeout_syn_s", dataplane.flows.timeout_syn_s, 30, 1, 86400, 0,
		 "a flow whose handshake did not complete expires after this idle time (seconds)"),
	KEY_UINT("dataplane.flows.timeout_established_s", dataplane.flows.timeout_established_s,
		 600, 1, 86400, 0, "an established flow expires after this idle time (seconds)"),
	KEY_UINT("dataplane.flows.timeout_closed_s", dataplane.flows.timeout_closed_s, 10, 1, 86400,
		 0, "a flow closed by FIN both ways or RST is forgotten after (seconds)"),
	KEY_ENUM("dataplane.reassembly.policy", dataplane.reassembly.policy, HP_REASM_FIRST,
		 reasm_policy_names,
		 "overlapping bytes that differ: the first copy wins, or the "
		 "last before the receiver's ACK"),
	KEY_ENUM("dataplane.reassembly.on_memcap", dataplane.reassembly.on_memcap, HP_REASM_DROP,
		 reasm_action_names,
		 "a flow over a reassembly limit: drop the segment (bridge: "
		 "the sender retransmits) or pass (stop inspecting the flow: fail open)"),
	KEY_UINT("dataplane.reassembly.memcap_mb", dataplane.reassembly.memcap_mb, 64, 1, 65536, 0,
		 "payload held for reassembly by all flows of a worker (MiB)"),
	KEY_UINT("dataplane.reassembly.flow_memcap_kb", dataplane.reassembly.flow_memcap_kb, 1024,
		 64, 1048576, 0, "payload held for reassembly by one flow (KiB)"),
	KEY_UINT("dataplane.reassembly.flow_max_segs", dataplane.reassembly.flow_max_segs, 1024, 1,
		 65536, 0, "segments held by one flow"),
	KEY_UINT("dataplane.reassembly.max_ooo_segs", dataplane.reassembly.max_ooo_segs, 256, 1,
		 65536, 0, "out-of-order segments waiting per direction"),
	KEY_UINT("dataplane.reassembly.segments", dataplane.reassembly.segments, 16384, 64,
		 16777216, 0, "segments (and so mbufs) held for reassembly per worker"),
	KEY_BOOL("dataplane.reassembly.retain", dataplane.reassembly.retain, true,
		 "keep delivered bytes until ACKed, to tell retransmissions that differ"),
	KEY_ENUM("dataplane.reassembly.urgent", dataplane.reassembly.urgent, HP_URGENT_DROP,
		 urgent_names,
		 "a client segment with the TCP URG flag on a guarded flow: drop it (bridge: the "
		 "server never sees an urgent byte; counted either way), or read its bytes as "
		 "ordinary data (a server whose stack takes the urgent byte out of band then "
		 "reads other bytes than hookpath verified: fail open)"),
	KEY_UINT("http.max_sessions", http.max_sessions, 1024, 16, 1048576, 0,
		 "TCP flows whose HTTP is parsed at once, per worker; full: the least recently "
		 "active one is evicted (its flow reset)"),
	KEY_UINT("http.max_line", http.max_line, 8192, 16, 1048576, 0,
		 "longest request/status line, header line or chunk-size line (bytes)"),
	KEY_UINT("http.max_headers", http.max_headers, 64, 1, 65536, 0,
		 "most header (and trailer) lines in one request"),
	KEY_UINT("http.max_header_bytes", http.max_header_bytes, 16384, 256, 1048576, 0,
		 "request line plus headers plus trailers of one request (bytes)"),
	KEY_UINT("http.body_copy_max", http.body_copy_max, 16384, 0, 16777216, 0,
		 "bytes of each body kept contiguous for the stages that need it"),
	KEY_UINT("http.max_pipelined", http.max_pipelined, 16, 0, 32, 0,
		 "requests waiting for their response on one connection; 0 = responses not parsed"),
	KEY_ENUM("http.tunnels", http.tunnels, HP_TUNNELS_WEBSOCKET, tunnel_names,
		 "tunnels a request on a guarded flow may ask for, whose bytes are not parsed once "
		 "the server agrees: websocket (Upgrade: websocket only; CONNECT and other "
		 "upgrades such as h2c refused as http_smuggling), none, or any (fail open)"),
	KEY_BOOL("http.allow_bare_lf", http.allow_bare_lf, false,
		 "accept a line ended by LF alone in requests (refused as http_smuggling "
		 "otherwise)"),
	KEY_ENUM("http.on_error", http.on_error, HP_HTTP_ON_ERROR_REJECT, http_error_names,
		 "a request breaking HTTP framing: reject (bridge: 400 to the client, RST to the "
		 "server, the flow cut) or pass (event only: fail open)"),
	KEY_ENUM("http.on_sessions_full", http.on_sessions_full, HP_REASM_DROP, reasm_action_names,
		 "no HTTP session can be taken for a new flow (none evictable): drop (bridge: "
		 "the sender retransmits) or pass (not inspected: fail open)"),
	KEY_CUSTOM(
		"events.file", cfg_parse_path, "path", "none", "1-255 bytes",
		"JSON lines file, one line per HTTP request on an inspected flow; absent = none"),
	KEY_BOOL("events.body_hash", events.body_hash, false,
		 "add the request body's sha256 to each event"),
	KEY_UINT("events.ring_size", events.ring_size, 16384, 64, 1048576, HP_CFG_F_POW2,
		 "per-worker ring of events to the control thread; full: the event is dropped, "
		 "counted"),
	KEY_UINT("events.rotate_mb", events.rotate_mb, 256, 0, 1048576, 0,
		 "the events file is renamed to file.1 (file.2 ...) past this size (MiB); 0 = "
		 "never"),
	KEY_UINT("events.rotate_keep", events.rotate_keep, 4, 1, 1000, 0,
		 "rotated events files kept; the oldest beyond is deleted"),
	KEY_STR("forensics.pcapng", forensics.pcapng, "none", "a file path, or none",
		"pcapng of refused requests (mode 0600: it holds payloads), written by the "
		"control thread; none = off"),
	KEY_UINT("forensics.max_file_bytes", forensics.max_file_bytes, 67108864, 4096, 4294967295u,
		 0,
		 "the capture is renamed pcapng.1 (older ones shift to .2 ...) once a request "
		 "would take it past this size"),
	KEY_UINT("forensics.max_files", forensics.max_files, 4, 1, 1000, 0,
		 "capture files kept, the one being written included; the oldest beyond is "
		 "deleted"),
	KEY_UINT("forensics.max_request_bytes", forensics.max_request_bytes, 65536, 256, 1048576, 0,
		 "bytes of each refused request copied (head, then body); longer: cut, counted "
		 "(forensics_truncated)"),
	KEY_UINT("forensics.ring", forensics.ring, 64, 1, 65536, 0,
		 "capture slots per worker (ring to the control thread); none free: the capture "
		 "is dropped, counted (forensics_dropped), the verdict unaffected"),
	KEY_BOOL("forensics.pdump", forensics.pdump, true,
		 "rte_pdump_init at start, so that dpdk-dumpcap can attach (needs hugepages)"),
	KEY_UINT("control.stats_interval_s", control.stats_interval_s, 0, 0, 86400, 0,
		 "periodic stats line on stdout (seconds); 0 = off"),
	KEY_ENUM("control.log_target", control.log_target, HP_LOG_AUTO, log_target_names,
		 "where log lines go: console (stdout, UTC time and level first), journal "
		 "(stdout, <priority> first, for journald), syslog (daemon facility), auto "
		 "(journal when stdout is the journal, else console)"),
	KEY_STR("control.instance", control.instance, "host name[-file-prefix]",
		"1-63 of A-Z a-z 0-9 _ . -",
		"this appliance's name in the sinks (Redis stream key, Postgres rows)"),
	KEY_STR("control.api_socket", control.api_socket, "<runtime dir>/hookpath.sock",
		"absolute path, or off",
		"REST API Unix socket (mode 0660); default next to DPDK's "
		"telemetry socket (/var/run/dpdk/<file-prefix>/); off = no socket"),
	KEY_STR("control.api_socket_group", control.api_socket_group, "the process's group",
		"1-63 of A-Z a-z 0-9 _ . -",
		"group owning the API socket: its members may use the API (e.g. hookpath, made by "
		"the package)"),
	KEY_BOOL("control.ready.sinks", control.ready_sinks, true,
		 "GET /v1/ready answers 503 (not ready) while a sink's breaker is open or it "
		 "spools; false: reported as degraded, still 200"),
	KEY_BOOL("control.ready.ml", control.ready_ml, true,
		 "GET /v1/ready answers 503 while the ML backend cannot score (a KServe breaker "
		 "open); false: degraded, still 200"),
	KEY_UINT("control.ready.stall_ms", control.stall_ms, 1000, 10, 3600000, 0,
		 "a worker whose poll loop has not made a pass for this long is stalled: GET "
		 "/v1/ready answers 503 naming it, hookpath_worker_stalled is 1, a line is logged"),
	KEY_STR("control.api_listen", control.api_listen, "none", "IPv4:port or [IPv6]:port",
		"REST API also on TCP (bearer token from control.api_token_file required)"),
	KEY_STR("control.api_token_file", control.api_token_file, "none",
		"path, no group/other access", "file holding the REST API bearer token (TCP)"),
	KEY_STR("control.metrics_listen", control.metrics_listen, "none",
		"IPv4:port or [IPv6]:port",
		"read-only metrics listener: GET /metrics (and /v1/health) on TCP without a token, "
		"nothing else; for Prometheus, apart from the admin API"),
	KEY_UINT("control.api_max_body", control.api_max_body, 65536, 1024, 1048576, 0,
		 "largest REST API request body (bytes); more: 413"),
	KEY_STR("control.state_file", control.state_file, "/var/lib/hookpath/state/<instance>.json",
		"an absolute path, or none",
		"the API's changes (endpoints, secrets, live limits) and the secret id key, kept "
		"across restarts (mode 0600); none = API changes last until the next start"),
	KEY_STR("sinks.redis.url", sinks.redis_url, "none",
		"redis://[[user]:password@]host:port[/db], unix://...",
		"Redis sink: events into a Stream (XADD, pipelined); absent = off"),
	KEY_STR("sinks.redis.stream", sinks.redis_stream, "hookpath:events:<instance>",
		"1-127 printable bytes", "stream key; one appliance per stream (ids are ordered)"),
	KEY_UINT("sinks.redis.maxlen", sinks.redis_maxlen, 1000000, 1000, 1000000000, 0,
		 "XADD MAXLEN ~ this: the stream is trimmed near this many entries"),
	KEY_UINT("sinks.redis.batch", sinks.redis_batch, 1024, 1, 65536, 0,
		 "most events in one pipelined round trip (the AIMD window's ceiling)"),
	KEY_UINT("sinks.redis.timeout_ms", sinks.redis_timeout_ms, 2000, 10, 600000, 0,
		 "connect and round-trip timeout; past it the batch failed"),
	KEY_UINT("sinks.redis.owner_ttl_ms", sinks.redis_owner_ttl_ms, 15000, 1000, 600000, 0,
		 "one writer per stream: the sink holds <stream>:owner with this TTL, refreshed "
		 "every third of it; another live holder refuses the start (or the batch); a "
		 "crashed holder's claim expires after it"),
	KEY_STR("sinks.postgres.dsn", sinks.pg_dsn, "none", "libpq conninfo",
		"Postgres sink: events into a table (COPY in batches); absent = off"),
	KEY_STR("sinks.postgres.table", sinks.pg_table, "hookpath_events",
		"1-63 of a-z 0-9 _, not starting with a digit", "events table (deploy/sql)"),
	KEY_UINT("sinks.postgres.batch", sinks.pg_batch, 4096, 1, 1048576, 0,
		 "most events in one COPY transaction (the AIMD window's ceiling)"),
	KEY_UINT("sinks.postgres.timeout_ms", sinks.pg_timeout_ms, 5000, 10, 600000, 0,
		 "connect and per-batch timeout; past it the batch failed"),
	KEY_UINT("sinks.queue_events", sinks.queue_events, 65536, 64, 16777216, HP_CFG_F_POW2,
		 "events waiting in memory per sink; beyond, they go to the spool"),
	KEY_UINT("sinks.breaker.failures", sinks.breaker_failures, 3, 1, 1000, 0,
		 "consecutive failed batches that open a sink's circuit breaker"),
	KEY_UINT("sinks.breaker.cooldown_ms", sinks.breaker_cooldown_ms, 500, 10, 3600000, 0,
		 "first open period before a probe; doubles after each failed probe"),
	KEY_UINT("sinks.breaker.cooldown_max_ms", sinks.breaker_cooldown_max_ms, 30000, 10, 3600000,
		 0, "longest open period"),
	KEY_UINT("sinks.flush_timeout_ms", sinks.flush_timeout_ms, 10000, 0, 3600000, 0,
		 "at stop, time given to the sinks to take what is queued; the rest is spooled"),
	KEY_STR("sinks.spool.dir", sinks.spool_dir, "/var/lib/hookpath/spool/<instance>", "path",
		"durable spool directory (one subdirectory per sink), locked by the process that "
		"uses it"),
	KEY_UINT("sinks.spool.max_mb", sinks.spool_max_mb, 1024, 1, 1048576, 0,
		 "spool size per sink (MiB); full: events are dropped from that sink, counted"),
	KEY_ENUM("sinks.spool.fsync", sinks.spool_fsync, HP_SPOOL_FSYNC_INTERVAL, fsync_names,
		 "always: fsync every append batch; interval: at most every fsync_interval_ms; "
		 "never"),
	KEY_UINT("sinks.spool.fsync_interval_ms", sinks.spool_fsync_interval_ms, 100, 1, 60000, 0,
		 "fsync period of spool.fsync interval"),
	KEY_CUSTOM("endpoints", hp_cfg_parse_endpoints, "list of endpoints", "[]",
		   "<= 256, keys in the endpoint table",
		   "webhook endpoints: match, provider, secrets, replay and reject policy"),
	KEY_ENUM("unrouted", unrouted, HP_UNROUTED_PASS, unrouted_names,
		 "a request no endpoint matches: pass (event no_route) or reject (404)"),
	KEY_ENUM("foreign_host", foreign_host, HP_FOREIGN_HOST_REJECT, foreign_host_names,
		 "a request no endpoint matches whose path is the path_prefix of an endpoint "
		 "that names a host, under another Host: reject (404 foreign_host) or pass "
		 "(handled as unrouted)"),
	KEY_CUSTOM("pii.mask_char", hp_cfg_parse_mask_char, "character", "*",
		   "printable symbol, not a letter, digit, quote or backslash",
		   "written over masked text (pii.policy mask); the length is kept"),
	KEY_UINT("pii.max_held_segments", pii.max_held_segments, 64, 1, 1024, 0,
		 "bridge: body segments held per request of an endpoint that masks or blocks; "
		 "one more refuses the request (413 pii_hold_full)"),
	KEY_UINT("pii.held_per_worker", pii.held_per_worker, 8192, 64, 1048576, 0,
		 "bridge: segments held by all the requests of one worker (mask/block, token, "
		 "shared replay); full: the least recently active request holding some is refused"),
	KEY_CUSTOM("pii.custom_entities", hp_cfg_parse_pii_custom, "list of entities", "[]",
		   "<= 32, see pii.custom_entities[].*",
		   "user-defined entities: name, pattern, validator, action (docs/PII.md)"),
	KEY_STR("tokens.redis_url", tokens.redis_url, "none",
		"redis://[[user]:password@]host:port[/db], unix://...",
		"token cache L2: GET hookpath:token:<sha256 hex> = endpoint name (\"\": unknown)"),
	KEY_STR("tokens.postgres_dsn", tokens.pg_dsn, "none", "libpq conninfo",
		"token store L3: table hookpath_tokens (deploy/sql/002_tokens.sql)"),
	KEY_UINT("tokens.cache_ttl_s", tokens.cache_ttl_s, 30, 1, 86400, 0,
		 "a known token is cached (L1, L2) this long: a revocation reaches every worker "
		 "within it"),
	KEY_UINT("tokens.negative_ttl_s", tokens.negative_ttl_s, 5, 1, 3600, 0,
		 "an unknown or revoked token is cached as refused this long"),
	KEY_UINT("tokens.l1_entries", tokens.l1_entries, 65536, 1024, 16777216, HP_CFG_F_POW2,
		 "tokens cached in the workers' lock-free table; full: not cached, counted"),
	KEY_UINT("tokens.timeout_ms", tokens.timeout_ms, 200, 1, 10000, 0,
		 "a request whose token is not in L1 waits at most this for L2/L3, then 503"),
	KEY_UINT("tokens.warm_max", tokens.warm_max, 16384, 0, 16777216, 0,
		 "at start, before rx: at most this many tokens put into the workers' L1, the "
		 "recently used ones first (Redis L2's keys), then valid ones of Postgres L3, "
		 "newest first; 0 = none"),
	KEY_UINT("tokens.warm_ms", tokens.warm_ms, 2000, 1, 60000, 0,
		 "the time the start gives tokens.warm_max; what is not warmed then is looked up "
		 "at its first request, as without warming"),
	KEY_STR("ml.model", ml.model, "models/default.json of the installation", "file path",
		"XGBoost model (JSON or UBJSON, xgboost save_model) of the features of "
		"docs/ML.md; loaded and warmed up before traffic"),
	KEY_UINT("ml.max_batch", ml.max_batch, 64, 1, 4096, 0, "rows scored together, at most"),
	KEY_UINT("ml.min_batch", ml.min_batch, 1, 1, 4096, 0,
		 "the batch size limit never adapts below this"),
	KEY_UINT("ml.max_delay_us", ml.max_delay_us, 200, 1, 1000000, 0,
		 "a request's features wait at most this for their batch (microseconds)"),
	KEY_UINT("ml.preferred_batch", ml.preferred_batch, 0, 0, 4096, 0,
		 "a batch of this size goes as soon as the queue is quiet (0: none)"),
	KEY_UINT("ml.target_us", ml.target_us, 1000, 0, 1000000, 0,
		 "batch latency target: over it the batch size limit halves, under it grows by "
		 "one (0: fixed at max_batch)"),
	KEY_UINT("ml.queue", ml.queue, 4096, 16, 1048576, 0,
		 "rows waiting for a batch, at most; beyond: the score is missing (counted)"),
	KEY_UINT("ml.ring_size", ml.ring_size, 4096, 64, 1048576, HP_CFG_F_POW2,
		 "feature records per worker on their way to the scorer; full: score missing, "
		 "counted, the worker never waits"),
	KEY_UINT("ml.timeout_ms", ml.timeout_ms, 20, 1, 10000, 0,
		 "enforce: a request waits at most this for its score, then on_timeout"),
	KEY_UINT("ml.worker_gather_us", ml.worker_gather_us, 50, 0, 1000, 0,
		 "score, flag: a worker sends its feature records in runs of 16, or once the "
		 "first has waited this long, or when it has nothing else to do (microseconds; "
		 "0: after every pass); enforce records go at once"),
	KEY_ENUM("ml.backend", ml.backend, HP_ML_BACKEND_EMBEDDED, ml_backend_names,
		 "embedded: ml.model scored in process; kserve: a KServe v2 inference server "
		 "(ml.kserve.*)"),
	KEY_STR("ml.kserve.url", ml.kserve_url, "none", "http(s)://host:port[/prefix], no user",
		"base URL of the KServe v2 / Open Inference Protocol REST API (required with "
		"backend kserve)"),
	KEY_STR("ml.kserve.model", ml.kserve_model, "hookpath", "1-63 of A-Z a-z 0-9 _ . -",
		"model name on the server: /v2/models/{model}/infer"),
	KEY_UINT("ml.kserve.timeout_ms", ml.kserve_timeout_ms, 100, 1, 60000, 0,
		 "one infer request, connect included; beyond: its rows are missing, a failure "
		 "for the breaker"),
	KEY_UINT("ml.kserve.inflight", ml.kserve_inflight, 4, 1, 64, 0,
		 "infer requests in flight at once; all busy: rows wait in ml.queue"),
	KEY_UINT("ml.kserve.breaker.failures", ml.kserve_breaker_failures, 3, 1, 1000, 0,
		 "consecutive failed requests that open the breaker (rows answered missing "
		 "at once, no request sent)"),
	KEY_UINT("ml.kserve.breaker.cooldown_ms", ml.kserve_cooldown_ms, 500, 1, 600000, 0,
		 "first open period; then a readiness probe closes or reopens it (doubled)"),
	KEY_UINT("ml.kserve.breaker.cooldown_max_ms", ml.kserve_cooldown_max_ms, 10000, 1, 3600000,
		 0, "longest open period"),
	KEY_STR("replay_cache.global.url", replay_cache.global_url, "none",
		"redis://[[user]:password@]host:port[/db], unix://...",
		"shared replay check: SET NX EX in this Redis after the "
		"local cache said first; absent = local only"),
	KEY_UINT("replay_cache.global.timeout_ms", replay_cache.global_timeout_ms, 50, 1, 10000, 0,
		 "a request waits at most this for the shared check (bridge: its segments held)"),
	KEY_ENUM(
		"replay_cache.global.on_unavailable", replay_cache.global_on_unavailable,
		HP_GLOBAL_REJECT, global_unavail_names,
		"no answer in time (Redis down, slow, "
		"too many waiting): reject (503), or accept on the local cache's word (fail open)"),
	KEY_UINT("replay_cache.global.max_pending", replay_cache.global_max_pending, 1024, 16,
		 65536, HP_CFG_F_POW2,
		 "requests waiting for the shared check or a token lookup, per "
		 "worker; beyond: as unavailable"),
	KEY_UINT("replay_cache.entries", replay_cache.entries, 1048576, 1024, 134217728, 0,
		 "webhooks remembered for replay protection, all endpoints and workers together"),
	KEY_UINT("replay_cache.high_watermark_pct", replay_cache.high_watermark_pct, 90, 50, 100, 0,
		 "fill above which the sweeper evicts the live entries closest to expiry"),
	KEY_UINT("replay_cache.sweep_interval_ms", replay_cache.sweep_interval_ms, 1000, 10, 60000,
		 0, "how often the control thread reclaims expired replay entries"),
	KEY_STR("replay_cache.snapshot", replay_cache.snapshot, "<runtime dir>/replay.snap",
		"absolute path, or off",
		"the replay cache is written here at stop (and every "
		"snapshot_interval_s) and loaded at start, so a restart does not forget what it "
		"accepted; off = not kept"),
	KEY_UINT("replay_cache.snapshot_interval_s", replay_cache.snapshot_interval_s, 60, 0, 86400,
		 0,
		 "the snapshot is also written this often while running (a crash loses "
		 "at most this much); 0 = only at stop"),
};

const struct hp_cfg_table hp_cfg_schema = {
	.keys = cfg_keys,
	.n_keys = sizeof(cfg_keys) / sizeof(cfg_keys[0]),
};

/* Parse one port id; "dataplane.port_pairs[0][1]" style paths. */
static int
cfg_parse_port(struct hp_cfg_ctx *ctx, yaml_node_t *node, const char *dpath, uint16_t *port)
{
	uint32_t v;
	int rc;

	rc = hp_cfg_parse_u32(ctx, node, dpath, 0, HP_CFG_MAX_PORTS - 1, "a port id in [0, 31]",
			      NULL, &v);
	if (rc < 0)
		return rc;
	*port = (uint16_t)v;
	return 0;
}

/* dataplane.port_pairs: [[a0, b0], [a1, b1], ...]; fills pairs and, in pair order, ports.
 * Whether the key is allowed at all depends on the mode: see cfg_check_ports(). */
static int
cfg_parse_port_pairs(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node,
		     void *base, const char *dpath)
{
	struct hp_dataplane_config *dp = &((struct hp_config *)base)->dataplane;
	char ipath[HP_CFG_PATH_MAX + 16], epath[2][HP_CFG_PATH_MAX + 32];
	int owner[HP_CFG_MAX_PORTS]; /* pair index holding each port, -1: none */
	char got[200];
	yaml_node_item_t *it;
	size_t i, j;
	int rc;

	(void)key;
	if (node->type != YAML_SEQUENCE_NODE)
		return hp_cfg_err(ctx, &node->start_mark, dpath,
				  "must be a list of [port, port] pairs, got %s",
				  hp_cfg_node_desc(node, got, sizeof(got)));
	for (i = 0; i < HP_CFG_MAX_PORTS; i++)
		owner[i] = -1;

	for (it = node->data.sequence.items.start, i = 0; it < node->data.sequence.items.top;
	     it++, i++) {
		yaml_node_t *item = yaml_document_get_node(ctx->doc, *it);
		yaml_node_t *el[2];
		uint16_t p[2];

		snprintf(ipath, sizeof(ipath), "%s[%zu]", dpath, i);
		if (item == NULL)
			return hp_cfg_err(ctx, &node->start_mark, ipath, "internal error");
		if (i >= CFG_MAX_PAIRS)
			return hp_cfg_err(ctx, &item->start_mark, ipath,
					  "too many pairs: at most %u", CFG_MAX_PAIRS);
		if (item->type != YAML_SEQUENCE_NODE)
			return hp_cfg_err(ctx, &item->start_mark, ipath,
					  "must be a pair [port, port], got %s",
					  hp_cfg_node_desc(item, got, sizeof(got)));
		if (item->data.sequence.items.top - item->data.sequence.items.start != 2)
			return hp_cfg_err(ctx, &item->start_mark, ipath,
					  "must be a pair [port, port], got %zu element(s)",
					  (size_t)(item->data.sequence.items.top -
						   item->data.sequence.items.start));
		for (j = 0; j < 2; j++) {
			el[j] = yaml_document_get_node(ctx->doc,
						       item->data.sequence.items.start[j]);
			snprintf(epath[j], sizeof(epath[j]), "%s[%zu]", ipath, j);
			if (el[j] == NULL)
				return hp_cfg_err(ctx, &item->start_mark, ipath, "internal error");
			rc = cfg_parse_port(ctx, el[j], epath[j], &p[j]);
			if (rc < 0)
				return rc;
		}
		if (p[0] == p[1])
			return hp_cfg_err(ctx, &item->start_mark, ipath,
					  "port %u is paired with itself", p[0]);
		for (j = 0; j < 2; j++) {
			if (owner[p[j]] >= 0)
				return hp_cfg_err(ctx, &el[j]->start_mark, epath[j],
						  "port %u is already in %s[%d]", p[j], dpath,
						  owner[p[j]]);
			owner[p[j]] = (int)i;
			dp->pairs[i][j] = p[j];
			dp->ports[2 * i + j] = p[j];
		}
	}
	dp->n_pairs = (uint16_t)i;
	dp->n_ports = (uint16_t)(2 * i);
	return 0;
}

/* dataplane.ports: [p, ...], tap only (see cfg_check_ports()); absent = every port. */
static int
cfg_parse_ports(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node, void *base,
		const char *dpath)
{
	struct hp_dataplane_config *dp = &((struct hp_config *)base)->dataplane;
	char epath[HP_CFG_PATH_MAX + 16];
	int first[HP_CFG_MAX_PORTS]; /* list index of each port, -1: not listed */
	char got[200];
	yaml_node_item_t *it;
	uint16_t n = 0, p;
	size_t i;
	int rc;

	(void)key;
	if (node->type != YAML_SEQUENCE_NODE)
		return hp_cfg_err(ctx, &node->start_mark, dpath,
				  "must be a list of port ids, got %s",
				  hp_cfg_node_desc(node, got, sizeof(got)));
	if (node->data.sequence.items.top == node->data.sequence.items.start)
		return hp_cfg_err(ctx, &node->start_mark, dpath,
				  "must list at least one port (omit the key to poll every port)");
	for (i = 0; i < HP_CFG_MAX_PORTS; i++)
		first[i] = -1;

	/* ids are in [0, 31] and unique, so the loop stores at most HP_CFG_MAX_PORTS */
	for (it = node->data.sequence.items.start, i = 0; it < node->data.sequence.items.top;
	     it++, i++) {
		yaml_node_t *el = yaml_document_get_node(ctx->doc, *it);

		snprintf(epath, sizeof(epath), "%s[%zu]", dpath, i);
		if (el == NULL)
			return hp_cfg_err(ctx, &node->start_mark, epath, "internal error");
		rc = cfg_parse_port(ctx, el, epath, &p);
		if (rc < 0)
			return rc;
		if (first[p] >= 0)
			return hp_cfg_err(ctx, &el->start_mark, epath,
					  "port %u is listed twice (first at %s[%d])", p, dpath,
					  first[p]);
		first[p] = (int)i;
		dp->ports[n++] = p;
	}
	dp->n_ports = n;
	return 0;
}

/* dataplane.guard.ports: [p, ...] (TCP ports, no repeats) or the scalar "any". */
static int
cfg_parse_guard_ports(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node,
		      void *base, const char *dpath)
{
	struct hp_guard_config *g = &((struct hp_config *)base)->dataplane.guard;
	char epath[HP_CFG_PATH_MAX + 16];
	char got[200];
	yaml_node_item_t *it;
	uint16_t n = 0;
	size_t i;
	int rc;

	(void)key;
	if (hp_cfg_scalar_is(node, "any")) {
		g->any = true;
		g->n_ports = 0;
		return 0;
	}
	if (node->type != YAML_SEQUENCE_NODE)
		return hp_cfg_err(ctx, &node->start_mark, dpath,
				  "must be a list of TCP ports or \"any\", got %s",
				  hp_cfg_node_desc(node, got, sizeof(got)));
	if (node->data.sequence.items.top == node->data.sequence.items.start)
		return hp_cfg_err(ctx, &node->start_mark, dpath,
				  "must list at least one port (or \"any\"): with none, nothing "
				  "would be inspected");
	for (it = node->data.sequence.items.start, i = 0; it < node->data.sequence.items.top;
	     it++, i++) {
		yaml_node_t *el = yaml_document_get_node(ctx->doc, *it);
		uint32_t v;

		snprintf(epath, sizeof(epath), "%s[%zu]", dpath, i);
		if (el == NULL)
			return hp_cfg_err(ctx, &node->start_mark, epath, "internal error");
		if (n == HP_GUARD_MAX_PORTS)
			return hp_cfg_err(ctx, &el->start_mark, epath, "more than %d ports",
					  HP_GUARD_MAX_PORTS);
		rc = hp_cfg_parse_u32(ctx, el, epath, 1, 65535, "a TCP port in [1, 65535]", NULL,
				      &v);
		if (rc < 0)
			return rc;
		for (uint16_t j = 0; j < n; j++)
			if (g->ports[j] == v)
				return hp_cfg_err(ctx, &el->start_mark, epath,
						  "port %u is listed twice (first at %s[%u])", v,
						  dpath, j);
		g->ports[n++] = (uint16_t)v;
	}
	g->any = false;
	g->n_ports = n;
	return 0;
}

/* Which port keys the mode allows or needs. */
static int
cfg_check_ports(struct hp_cfg_ctx *ctx, struct hp_config *cfg, const struct hp_cfg_seen *seen)
{
	const struct hp_cfg_table *t = &hp_cfg_schema;
	const struct hp_cfg_seen *mode = hp_cfg_seen_get(t, seen, "dataplane.mode");
	const struct hp_cfg_seen *pairs = hp_cfg_seen_get(t, seen, "dataplane.port_pairs");
	const struct hp_cfg_seen *ports = hp_cfg_seen_get(t, seen, "dataplane.ports");

	if (cfg->dataplane.mode != HP_MODE_BRIDGE) {
		if (pairs != NULL)
			return hp_cfg_err(ctx, &pairs->key_mark, "dataplane.port_pairs",
					  "only valid in mode bridge (mode is %s: use ports)",
					  hp_mode_name(cfg->dataplane.mode));
		return 0;
	}
	if (ports != NULL)
		return hp_cfg_err(ctx, &ports->key_mark, "dataplane.ports",
				  "use port_pairs in mode bridge");
	if (pairs == NULL)
		return hp_cfg_err(ctx, mode != NULL ? &mode->value_mark : &ctx->root_mark,
				  "dataplane.port_pairs", "required in mode bridge%s",
				  mode != NULL ? "" : " (the default mode)");
	if (cfg->dataplane.n_pairs == 0)
		return hp_cfg_err(ctx, &pairs->value_mark, "dataplane.port_pairs",
				  "must list at least one pair in mode bridge");
	return 0;
}

/* A mempool cache holds up to 1.5 x its size (DPDK's flush threshold), and
 * rte_mempool_create() refuses cache_size * 1.5 > n. With an explicit worker count, all
 * their caches together must not be able to swallow the pool (assumes the workers share
 * one socket's pool, the worst case). mbufs "auto" is sized by the dataplane instead. */
static int
cfg_check_mbuf_cache(struct hp_cfg_ctx *ctx, struct hp_config *cfg, const struct hp_cfg_seen *seen)
{
	const struct hp_cfg_table *t = &hp_cfg_schema;
	const struct hp_cfg_seen *cache = hp_cfg_seen_get(t, seen, "dataplane.mbuf_cache");
	const struct hp_cfg_seen *mbufs = hp_cfg_seen_get(t, seen, "dataplane.mbufs");
	const struct hp_dataplane_config *dp = &cfg->dataplane;
	uint64_t lcores = dp->workers != 0 ? dp->workers : 1;
	uint64_t max_cache;

	if (dp->mbufs == 0 || mbufs == NULL)
		return 0;
	if ((uint64_t)dp->mbuf_cache * 3 * lcores <= (uint64_t)dp->mbufs * 2)
		return 0;
	max_cache = (uint64_t)dp->mbufs * 2 / (3 * lcores);
	return hp_cfg_err(ctx, cache != NULL ? &cache->value_mark : &mbufs->value_mark,
			  "dataplane.mbuf_cache",
			  "%u%s x %llu worker cache(s) x 1.5 can hold %llu mbufs, more than "
			  "dataplane.mbufs %u; use mbuf_cache <= %llu or more mbufs",
			  dp->mbuf_cache, cache != NULL ? "" : " (the default)",
			  (unsigned long long)lcores,
			  (unsigned long long)(dp->mbuf_cache * 3 * lcores / 2), dp->mbufs,
			  (unsigned long long)max_cache);
}

/* The TCP API needs its token; the sinks' defaults that depend on other keys. */
static int
cfg_check_control(struct hp_cfg_ctx *ctx, struct hp_config *cfg, const struct hp_cfg_seen *seen)
{
	const struct hp_cfg_table *t = &hp_cfg_schema;
	const struct hp_cfg_seen *listen = hp_cfg_seen_get(t, seen, "control.api_listen");
	const struct hp_cfg_seen *bmax = hp_cfg_seen_get(t, seen, "sinks.breaker.cooldown_max_ms");

	if (cfg->control.api_listen[0] != '\0' && cfg->control.api_token_file[0] == '\0')
		return hp_cfg_err(ctx, listen != NULL ? &listen->value_mark : NULL,
				  "control.api_token_file",
				  "is required with control.api_listen: the TCP API needs a bearer "
				  "token");
	/* the capture clock judges signatures at the packet's timestamp: fine for a pcap
	 * analysed offline, but inline it would let whatever the NIC's clock says decide a
	 * signed timestamp's freshness (a free-running NIC clock makes old signatures fresh) */
	if (cfg->dataplane.clock == HP_CLOCK_CAPTURE && cfg->dataplane.mode == HP_MODE_BRIDGE) {
		const struct hp_cfg_seen *c = hp_cfg_seen_get(t, seen, "dataplane.clock");

		return hp_cfg_err(ctx, c != NULL ? &c->value_mark : NULL, "dataplane.clock",
				  "capture is for tap mode (offline analysis of captures); inline "
				  "(bridge) requests are judged at the wall clock");
	}
	if (cfg->ml.backend == HP_ML_BACKEND_KSERVE && cfg->ml.kserve_url[0] == '\0') {
		const struct hp_cfg_seen *b = hp_cfg_seen_get(t, seen, "ml.backend");

		return hp_cfg_err(ctx, b != NULL ? &b->value_mark : NULL, "ml.kserve.url",
				  "is required with ml.backend kserve");
	}
	if (cfg->ml.kserve_cooldown_max_ms < cfg->ml.kserve_cooldown_ms) {
		const struct hp_cfg_seen *m =
			hp_cfg_seen_get(t, seen, "ml.kserve.breaker.cooldown_max_ms");

		return hp_cfg_err(ctx, m != NULL ? &m->value_mark : NULL,
				  "ml.kserve.breaker.cooldown_max_ms",
				  "%u is below ml.kserve.breaker.cooldown_ms %u",
				  cfg->ml.kserve_cooldown_max_ms, cfg->ml.kserve_cooldown_ms);
	}
	if (cfg->sinks.breaker_cooldown_max_ms < cfg->sinks.breaker_cooldown_ms)
		return hp_cfg_err(
			ctx, bmax != NULL ? &bmax->value_mark : NULL,
			"sinks.breaker.cooldown_max_ms", "%u is below sinks.breaker.cooldown_ms %u",
			cfg->sinks.breaker_cooldown_max_ms, cfg->sinks.breaker_cooldown_ms);
	return 0;
}

bool
hp_config_events_wanted(const struct hp_config *cfg)
{
	return cfg->events.file[0] != '\0' || cfg->sinks.redis_url[0] != '\0' ||
	       cfg->sinks.pg_dsn[0] != '\0';
}

bool
hp_config_forensics_wanted(const struct hp_config *cfg)
{
	return cfg->forensics.pcapng[0] != '\0' && strcmp(cfg->forensics.pcapng, "none") != 0;
}

/* Checks across keys, in order; each is 0 or -EINVAL with a message naming one key. */
static int (*const cfg_checks[])(struct hp_cfg_ctx *ctx, struct hp_config *cfg,
				 const struct hp_cfg_seen *seen) = {
	cfg_check_ports,        cfg_check_mbuf_cache, cfg_check_control,
	hp_cfg_check_endpoints, hp_cfg_check_pii,
};

int
hp_cfg_schema_check(struct hp_cfg_ctx *ctx, struct hp_config *cfg, const struct hp_cfg_seen *seen)
{
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cfg_checks) / sizeof(cfg_checks[0]); i++) {
		rc = cfg_checks[i](ctx, cfg, seen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void
hp_config_defaults(struct hp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	hp_cfg_apply_defaults(&hp_cfg_schema, cfg);
	cfg->pii.mask_char = '*'; /* custom keys: their defaults are set here */
	strcpy(cfg->sinks.pg_table, "hookpath_events");
	strcpy(cfg->ml.kserve_model, "hookpath");
	cfg->dataplane.guard.n_ports = 2;
	cfg->dataplane.guard.ports[0] = 80;
	cfg->dataplane.guard.ports[1] = 8080;
}

void
hp_config_free(struct hp_config *cfg)
{
	if (cfg == NULL)
		return;
	if (cfg->endpoints != NULL) {
		explicit_bzero(cfg->endpoints, cfg->n_endpoints * sizeof(*cfg->endpoints));
		free(cfg->endpoints);
	}
	cfg->endpoints = NULL;
	cfg->n_endpoints = 0;
}

const char *
hp_cfg_key_type(const struct hp_cfg_key *k, char *buf, size_t len)
{
	const char *s = "?";

	switch (k->type) {
	case HP_CFG_UINT:
		s = (k->flags & HP_CFG_F_POW2)   ? "power of 2"
		    : (k->flags & HP_CFG_F_AUTO) ? "integer or auto"
						 : "integer";
		break;
	case HP_CFG_BOOL:
		s = "bool";
		break;
	case HP_CFG_ENUM:
		s = "enum";
		break;
	case HP_CFG_CUSTOM:
		s = k->type_doc;
		break;
	}
	snprintf(buf, len, "%s", s);
	return buf;
}

const char *
hp_cfg_key_default(const struct hp_cfg_key *k, char *buf, size_t len)
{
	switch (k->type) {
	case HP_CFG_UINT:
		if ((k->flags & HP_CFG_F_AUTO) && k->def == 0)
			snprintf(buf, len, "auto");
		else
			snprintf(buf, len, "%u", k->def);
		break;
	case HP_CFG_BOOL:
		snprintf(buf, len, "%s", k->def ? "true" : "false");
		break;
	case HP_CFG_ENUM:
		snprintf(buf, len, "%s", k->names[k->def]);
		break;
	case HP_CFG_CUSTOM:
		snprintf(buf, len, "%s", k->def_doc);
		break;
	}
	return buf;
}

const char *
hp_cfg_key_bounds(const struct hp_cfg_key *k, char *buf, size_t len)
{
	size_t o = 0, i;

	buf[0] = '\0';
	switch (k->type) {
	case HP_CFG_UINT:
		snprintf(buf, len, "[%u, %u]", k->min, k->max);
		break;
	case HP_CFG_BOOL:
		snprintf(buf, len, "true, false");
		break;
	case HP_CFG_ENUM:
		for (i = 0; k->names[i] != NULL && o < len; i++) {
			int w = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", k->names[i]);

			if (w < 0)
				break;
			o += (size_t)w;
		}
		break;
	case HP_CFG_CUSTOM:
		snprintf(buf, len, "%s", k->bounds_doc);
		break;
	}
	return buf;
}

static void
cfg_describe_table(FILE *out, const struct hp_cfg_table *t, const char *prefix)
{
	char type[64], def[64], bounds[64], path[HP_CFG_PATH_MAX];
	size_t i;

	for (i = 0; i < t->n_keys; i++) {
		const struct hp_cfg_key *k = &t->keys[i];

		snprintf(path, sizeof(path), "%s%s", prefix, k->path);
		fprintf(out, "%-30s %-20s %-7s %-26s %s\n", path,
			hp_cfg_key_type(k, type, sizeof(type)),
			hp_cfg_key_default(k, def, sizeof(def)),
			hp_cfg_key_bounds(k, bounds, sizeof(bounds)), k->doc);
	}
}

void
hp_config_describe(FILE *out)
{
	cfg_describe_table(out, &hp_cfg_schema, "");
	cfg_describe_table(out, &hp_cfg_endpoint_schema, "endpoints[].");
	cfg_describe_table(out, &hp_cfg_pii_entity_schema, "pii.custom_entities[].");
}

const char *
hp_mode_name(enum hp_mode mode)
{
	if ((unsigned int)mode < sizeof(mode_names) / sizeof(mode_names[0]) - 1)
		return mode_names[mode];
	return "unknown";
}

const char *
hp_malformed_action_name(enum hp_malformed_action a)
{
	if ((unsigned int)a < sizeof(malformed_names) / sizeof(malformed_names[0]) - 1)
		return malformed_names[a];
	return "unknown";
}

const char *
hp_unrouted_action_name(enum hp_unrouted_action a)
{
	if ((unsigned int)a < sizeof(unrouted_names) / sizeof(unrouted_names[0]) - 1)
		return unrouted_names[a];
	return "unknown";
}

const char *
hp_http_error_action_name(enum hp_http_error_action a)
{
	if ((unsigned int)a < sizeof(http_error_names) / sizeof(http_error_names[0]) - 1)
		return http_error_names[a];
	return "unknown";
}

/* A value that may hold a password: never quoted back in an error. */
static bool
cfg_is_redis_url(const char *path)
{
	return !strcmp(path, "sinks.redis.url") || !strcmp(path, "replay_cache.global.url") ||
	       !strcmp(path, "tokens.redis_url");
}

/* Length and character checks of the KEY_STR keys, by path. */
static bool
str_chars_ok(const char *path, const char *v, size_t len, const char **what)
{
	if (!strcmp(path, "control.api_socket_group")) {
		*what = "1-63 of A-Z a-z 0-9 _ . -";
		for (size_t i = 0; i < len; i++)
			if (!(isalnum((unsigned char)v[i]) || v[i] == '_' || v[i] == '.' ||
			      v[i] == '-'))
				return false;
		return len < 64;
	}
	if (!strcmp(path, "control.instance")) {
		*what = "1-63 of A-Z a-z 0-9 _ . -";
		for (size_t i = 0; i < len; i++)
			if (!(isalnum((unsigned char)v[i]) || v[i] == '_' || v[i] == '.' ||
			      v[i] == '-'))
				return false;
		return true;
	}
	if (!strcmp(path, "sinks.postgres.table")) {
		*what = "1-63 of a-z 0-9 _, not starting with a digit";
		if (isdigit((unsigned char)v[0]))
			return false;
		for (size_t i = 0; i < len; i++)
			if (!(islower((unsigned char)v[i]) || isdigit((unsigned char)v[i]) ||
			      v[i] == '_'))
				return false;
		return true;
	}
	if (!strcmp(path, "ml.kserve.url")) {
		const char *host = !strncmp(v, "http://", 7)    ? v + 7
				   : !strncmp(v, "https://", 8) ? v + 8
								: NULL;

		/* credentials in the URL would show in logs and the API: refused */
		*what = "http(s)://host[:port][/prefix] without user or password";
		if (host == NULL || host[0] == '\0' || host[0] == '/' || strchr(v, '@') != NULL)
			return false;
		for (size_t i = 0; i < len; i++)
			if (!isgraph((unsigned char)v[i]) || v[i] == '?' || v[i] == '#')
				return false;
		return true;
	}
	if (!strcmp(path, "ml.kserve.model")) {
		*what = "1-63 of A-Z a-z 0-9 _ . -";
		for (size_t i = 0; i < len; i++)
			if (!(isalnum((unsigned char)v[i]) || v[i] == '_' || v[i] == '.' ||
			      v[i] == '-'))
				return false;
		return len < HP_CFG_NAME_LEN;
	}
	if (!strcmp(path, "forensics.pcapng")) {
		*what = "a file path, or none";
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] == 0x7f)
				return false;
		return true;
	}
	if (!strcmp(path, "ml.model")) {
		*what = "a file path";
		return true;
	}
	if (!strcmp(path, "control.state_file")) {
		*what = "an absolute path, or none";
		return v[0] == '/' || !strcmp(v, "none");
	}
	if (!strcmp(path, "control.api_socket") || !strcmp(path, "replay_cache.snapshot")) {
		*what = "an absolute path, or off";
		return v[0] == '/' || !strcmp(v, "off");
	}
	if (cfg_is_redis_url(path)) {
		struct hp_redis_url u;
		int rc = hp_redis_url_parse(v, &u, what);

		explicit_bzero(&u, sizeof(u));
		return rc == 0;
	}
	if (!strcmp(path, "control.api_listen") || !strcmp(path, "control.metrics_listen")) {
		const char *colon = strrchr(v, ':');
		char *end;
		unsigned long port;

		*what = "IPv4:port or [IPv6]:port";
		if (colon == NULL || colon == v)
			return false;
		port = strtoul(colon + 1, &end, 10);
		return end != colon + 1 && *end == '\0' && port != 0 && port <= 65535;
	}
	*what = "printable bytes";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] == 0x7f)
			return false;
	return true;
}

/* A KEY_STR key: a non-empty scalar that fits the field (hp_cfg_parse_string), checked by
 * str_chars_ok. */
static int
cfg_parse_str(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node, void *base,
	      const char *dpath)
{
	char desc[96];
	char *dst = (char *)base + key->offset;
	const char *what = "";
	int rc = hp_cfg_parse_string(ctx, key, node, base, dpath);

	if (rc != 0)
		return rc;
	if (!str_chars_ok(key->path, dst, strlen(dst), &what)) {
		explicit_bzero(dst, strlen(dst));
		if (cfg_is_redis_url(key->path)) /* it may hold a password: not shown */
			return hp_cfg_err(
				ctx, &node->start_mark, dpath,
				"must be %s (the value is not shown: it may hold a password)",
				what);
		return hp_cfg_err(ctx, &node->start_mark, dpath, "must be %s, got %s", what,
				  hp_cfg_node_desc(node, desc, sizeof(desc)));
	}
	return 0;
}

/* events.file: a non-empty scalar path of at most HP_CFG_PATH_LEN - 1 bytes, no NUL. */
static int
cfg_parse_path(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node, void *base,
	       const char *dpath)
{
	char desc[96];
	char *dst = (char *)base + offsetof(struct hp_config, events.file);
	size_t len;

	(void)key;
	if (node->type != YAML_SCALAR_NODE || node->data.scalar.length == 0)
		return hp_cfg_err(ctx, &node->start_mark, dpath, "must be a file path, got %s",
				  hp_cfg_node_desc(node, desc, sizeof(desc)));
	len = node->data.scalar.length;
	if (len >= HP_CFG_PATH_LEN || memchr(node->data.scalar.value, '\0', len) != NULL)
		return hp_cfg_err(ctx, &node->start_mark, dpath,
				  "must be a path of 1 to %d bytes without NUL, got %zu bytes",
				  HP_CFG_PATH_LEN - 1, len);
	memcpy(dst, node->data.scalar.value, len);
	dst[len] = '\0';
	return 0;
}
