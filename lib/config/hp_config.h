/* SPDX-License-Identifier: BSD-3-Clause
 * hookpath configuration: one YAML file, validated completely at load.
 *
 * Contract: hp_config_load_*() either fills *cfg with a fully validated configuration and
 * returns 0, or leaves *cfg untouched and returns -EINVAL (bad content) or -errno (I/O) with a
 * one-line message in err naming the key and the problem, e.g.
 *   "cfg.yaml:4:12: dataplane.defrag.max_flows: must be an integer in [1, 1048576], got \"0\"".
 * Checks that need the running system (does port 3 exist, are there enough lcores) are done by
 * the dataplane after EAL init (hp_dp_validate()), with the same message shape.
 *
 * Every key is declared once in a static table (cfg_schema.c) with its type, bounds, default
 * and one line of documentation; the loader, the defaults and `hookpath --config-keys` all read
 * that table.
 */
#ifndef HP_CONFIG_H
#define HP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HP_CFG_MAX_PORTS 32 /* = RTE_MAX_ETHPORTS of Debian's DPDK build */

enum hp_mode {
	HP_MODE_BRIDGE = 0, /* forward every frame to the paired port */
	HP_MODE_TAP,        /* passive: inspect, forward nothing */
};

/* What a bridge does with a frame it cannot decode or whose checksum is wrong. */
enum hp_malformed_action {
	HP_MALFORMED_DROP = 0, /* default: the receiving host would drop it too; never inspected */
	HP_MALFORMED_FORWARD,  /* forward unchanged, still never inspected */
};

enum hp_reasm_action {
	HP_REASM_PASS = 0, /* fail open: the flow (datagram) is no longer inspected, counted */
	HP_REASM_DROP,     /* fail closed: the segment (fragments) is dropped, counted */
};

/* A client segment with the TCP URG flag on a guarded flow (dataplane.reassembly.urgent). */
enum hp_urgent_action {
	HP_URGENT_DROP = 0, /* fail closed: dropped in bridge mode (the stream never sees it) */
	HP_URGENT_INLINE,   /* its bytes read as ordinary data (a server whose stack takes the
			     * urgent byte out of band reads other bytes: fail open) */
};

struct hp_defrag_config {
	bool enabled;                 /* reassemble IPv4/IPv6 fragments for inspection */
	uint32_t max_flows;           /* datagrams in reassembly at once, per worker */
	uint32_t timeout_ms;          /* an incomplete datagram is dropped after this */
	uint32_t max_fragments;       /* fragments of one datagram */
	uint32_t max_per_source;      /* incomplete datagrams of one source address, per worker */
	uint32_t max_held;            /* fragments (mbufs) held by one worker */
	enum hp_reasm_action on_fail; /* a guarded datagram that cannot be reassembled */
};

/* Which TCP flows carry what the endpoints protect (DESIGN §1 "The promise"): those are
 * parsed as HTTP and fail closed; every other flow is forwarded untouched, never parsed. */
#define HP_GUARD_MAX_PORTS 64

enum hp_guard_midstream {
	HP_GUARD_MIDSTREAM_REFUSE = 0, /* bridge: a guarded flow whose handshake was not seen is
					* reset (RST both ways), its payload dropped */
	HP_GUARD_MIDSTREAM_INSPECT,    /* picked up and parsed from its first byte seen */
};

struct hp_guard_config {
	bool any; /* every TCP port is guarded */
	uint16_t n_ports;
	uint16_t ports[HP_GUARD_MAX_PORTS]; /* server ports */
	enum hp_guard_midstream midstream;
};

enum hp_reasm_policy {
	HP_REASM_FIRST = 0, /* the first copy of a byte wins */
	HP_REASM_LAST,      /* the last copy before the receiver's ACK wins */
};

/* TCP stream reassembly (lib/stream), per worker. */
struct hp_reassembly_config {
	enum hp_reasm_policy policy;
	enum hp_reasm_action on_memcap;
	uint32_t memcap_mb;      /* payload bytes referenced by all flows of a worker */
	uint32_t flow_memcap_kb; /* per flow */
	uint32_t flow_max_segs;  /* segments held per flow */
	uint32_t max_ooo_segs;   /* out-of-order segments per direction */
	uint32_t segments;       /* segment nodes (and at most as many mbufs held) per worker */
	bool retain;             /* keep delivered bytes until ACKed to check retransmissions */
	enum hp_urgent_action urgent; /* client segments with the URG flag */
};

/* TCP flow tracking (per worker). */
struct hp_flows_config {
	uint32_t max;           /* flows per worker; a full table evicts (see dp_flow.h) */
	bool midstream;         /* track flows whose SYN was not seen */
	uint32_t timeout_syn_s; /* handshake not completed */
	uint32_t timeout_established_s;
	uint32_t timeout_closed_s; /* after FIN both ways or RST */
};

/* The time a request is judged at (dataplane.clock). */
enum hp_clock {
	HP_CLOCK_WALL = 0, /* the appliance's clock: live traffic */
	HP_CLOCK_CAPTURE,  /* the rx timestamp of the packet (a pcap replayed for analysis) */
};

struct hp_dataplane_config {
	enum hp_mode mode;
	/* bridge: port pairs; each port appears in at most one pair */
	uint16_t n_pairs;
	uint16_t pairs[HP_CFG_MAX_PORTS][2];
	/* ports polled: tap: `ports` key (default: every port, n_ports == 0 means all);
	 * bridge: filled by the loader from the pairs, in pair order */
	uint16_t n_ports;
	uint16_t ports[HP_CFG_MAX_PORTS];
	/* worker lcores. YAML: an integer in [1, 127] or "auto" (the default), stored as
	 * 0 = every lcore but the main one. An explicit 0 is refused at load. */
	uint32_t workers;
	uint32_t mtu;     /* set on every port, in [68, 9600] */
	uint32_t burst;   /* rx/tx burst size */
	uint32_t rx_desc; /* rx descriptors per queue */
	uint32_t tx_desc; /* tx descriptors per queue */
	/* mbufs per NUMA socket. YAML: an integer in [1024, 16777216] or "auto" (the
	 * default), stored as 0 = computed by the dataplane from ports, queues, descriptors,
	 * burst and caches. An explicit 0 (zero-sized pools) is refused at load. */
	uint32_t mbufs;
	uint32_t mbuf_cache;    /* per-lcore mempool cache; checked against mbufs and workers */
	uint32_t tx_drain_us;   /* buffered tx is flushed at least this often */
	uint32_t dispatch_ring; /* software dispatch ring size (power of 2), per worker pair */
	/* synthetic requests each worker runs through its packet path at start, before rx,
	 * never sent (dataplane/dp_warmup.c); 0: none */
	uint32_t warmup_requests;
	bool checksum_validation;
	enum hp_malformed_action on_malformed;
	enum hp_clock clock;
	struct hp_guard_config guard;
	struct hp_defrag_config defrag;
	struct hp_flows_config flows;
	struct hp_reassembly_config reassembly;
};

/* What a request that breaks HTTP framing (http_malformed, http_smuggling, a limit) gets. */
enum hp_http_error_action {
	HP_HTTP_ON_ERROR_PASS = 0, /* event with the reason, traffic untouched */
	HP_HTTP_ON_ERROR_REJECT,   /* bridge: the offending segment is dropped, the server gets
				    * a RST, the client a 400, the flow is cut; tap: event only */
};

/* Which tunnels (CONNECT, Upgrade) a guarded flow may open (http.tunnels). */
enum hp_http_tunnels {
	HP_TUNNELS_WEBSOCKET = 0, /* Upgrade: websocket only */
	HP_TUNNELS_NONE,          /* none: every CONNECT and Upgrade refused */
	HP_TUNNELS_ANY,           /* any (fail open: what follows is not inspected) */
};

/* HTTP/1.1 parsing of TCP flows (lib/http limits, per-worker sessions). */
struct hp_http_config {
	uint32_t max_sessions; /* flows carrying HTTP being parsed at once, per worker */
	uint32_t max_line;
	uint32_t max_headers;
	uint32_t max_header_bytes;
	uint32_t body_copy_max;
	uint32_t max_pipelined;
	bool allow_bare_lf;
	enum hp_http_tunnels tunnels;
	enum hp_http_error_action on_error;
	enum hp_reasm_action on_sessions_full; /* pass: flow not inspected; drop (bridge): its
						* segments are dropped until a session frees */
};

#define HP_CFG_PATH_LEN 256

/* The events JSON lines file (DESIGN §6): one line per HTTP request on an inspected flow. */
struct hp_events_config {
	char file[HP_CFG_PATH_LEN]; /* "" = no events file */
	bool body_hash;             /* add body_sha256 to each event */
	uint32_t ring_size;         /* per-worker event ring to the control thread */
	uint32_t rotate_mb;         /* rotate the file past this size; 0 = never */
	uint32_t rotate_keep;       /* rotated files kept (file.1 ... file.N) */
};

/* Captures of refused requests for forensics (forensics.*: controlplane/ctl_capture.c). */
struct hp_forensics_config {
	char pcapng[HP_CFG_PATH_LEN]; /* "" = off */
	uint32_t max_file_bytes;      /* rotate past this size */
	uint32_t max_files;           /* files kept: pcapng, pcapng.1 ... pcapng.(max_files-1) */
	uint32_t max_request_bytes;   /* of each request copied; longer ones are cut */
	uint32_t ring;                /* slots per worker */
	bool pdump;                   /* rte_pdump_init: dpdk-dumpcap may attach */
};

/* Where log lines go (control.log_target, controlplane/ctl_log.c). */
enum hp_log_target {
	HP_LOG_AUTO = 0, /* journal when stdout is the journal, else console */
	HP_LOG_CONSOLE,  /* stdout, UTC time and level first */
	HP_LOG_JOURNAL,  /* stdout, "<priority>" first (journald) */
	HP_LOG_SYSLOG,   /* syslog(3), facility daemon */
};

struct hp_control_config {
	uint32_t stats_interval_s; /* periodic stats line on stdout; 0 = off */
	enum hp_log_target log_target;
	char instance[64]; /* "" = the host name: names this appliance in the sinks */
	char api_socket[HP_CFG_PATH_LEN]; /* "" = <DPDK runtime dir>/hookpath.sock, "off" */
	char api_socket_group[64];        /* "" = the process's group */
	char api_listen[64];              /* "" = no TCP listener; "host:port" (token required) */
	char api_token_file[HP_CFG_PATH_LEN];
	/* "" = off; "host:port": the read-only metrics listener (GET /metrics, no token) */
	char metrics_listen[64];
	uint32_t api_max_body; /* bytes of a request body */
	bool ready_sinks;      /* /v1/ready 503 while a sink's breaker is open or it spools */
	bool ready_ml;         /* /v1/ready 503 while the ML backend cannot score */
	uint32_t stall_ms;     /* a worker whose poll loop has not passed for this is stalled */
	/* the API's changes, kept across restarts ("" = /var/lib/hookpath/state/<instance>.json,
	 * "none" = not kept) */
	char state_file[HP_CFG_PATH_LEN];
};

enum hp_spool_fsync {
	HP_SPOOL_FSYNC_ALWAYS = 0, /* after every append batch and read-offset update */
	HP_SPOOL_FSYNC_INTERVAL,   /* at most every spool.fsync_interval_ms */
	HP_SPOOL_FSYNC_NEVER,      /* the kernel decides (survives a crash, not a power loss) */
};

/* Event sinks beyond the file (controlplane/ctl_sink*.c): each optional. */
struct hp_sinks_config {
	char redis_url[HP_CFG_PATH_LEN]; /* "" = off; redis://host:port[/db] */
	char redis_stream[128];          /* "" = hookpath:events:<instance> */
	uint32_t redis_maxlen;           /* XADD MAXLEN ~ */
	uint32_t redis_batch;            /* largest pipeline (AIMD ceiling) */
	uint32_t redis_timeout_ms;
	uint32_t redis_owner_ttl_ms; /* <stream>:owner, the one writer's claim */
	char pg_dsn[512];            /* "" = off; libpq conninfo */
	char pg_table[64];
	uint32_t pg_batch;
	uint32_t pg_timeout_ms;
	uint32_t queue_events;        /* per sink, in memory, before the spool */
	uint32_t breaker_failures;    /* consecutive failures that open the breaker */
	uint32_t breaker_cooldown_ms; /* first open period; doubles up to the max */
	uint32_t breaker_cooldown_max_ms;
	uint32_t flush_timeout_ms;       /* at stop: time given to the sinks to drain */
	char spool_dir[HP_CFG_PATH_LEN]; /* "" = /var/lib/hookpath/spool/<instance> */
	uint32_t spool_max_mb;           /* per sink */
	uint32_t spool_fsync;            /* enum hp_spool_fsync */
	uint32_t spool_fsync_interval_ms;
};

/* A Redis URL: redis://[[user]:password@]host:port[/db] or
 * unix://[[user]:password@]/path[?db=N]; user and password may be %XX-escaped. A password
 * is sent with AUTH (with the user: an ACL user) and never written anywhere else. */
struct hp_redis_url {
	char host[256];      /* "" for unix:// */
	char unix_path[108]; /* sun_path */
	int port, db;
	char user[128];     /* "" = the default user */
	char password[256]; /* "" = no AUTH */
};

/* 0 and u filled, or -1 and why = what a Redis URL must look like (never the value). */
int hp_redis_url_parse(const char *url, struct hp_redis_url *u, const char **why);

/* ---- webhook endpoints (DESIGN §6) ---- */

#define HP_CFG_MAX_ENDPOINTS 256
#define HP_CFG_NAME_LEN      64 /* endpoint names: [A-Za-z0-9_.-], 1-63 bytes */
#define HP_CFG_HOST_LEN      256
#define HP_CFG_PREFIX_LEN    256
#define HP_CFG_MAX_SECRETS   8 /* = HP_VERIFY_MAX_SECRETS */
#define HP_CFG_SECRET_LEN    512
#define HP_CFG_FIELD_LEN     128 /* dedup keys, hmac template (= HP_VERIFY_TEMPLATE_MAX) */
#define HP_CFG_HDR_LEN       64  /* hmac header names and prefix (= HP_VERIFY_NAME_MAX) */

/* A request no endpoint matches. */
enum hp_unrouted_action {
	HP_UNROUTED_PASS = 0, /* forwarded, event verdict pass, reason no_route */
	HP_UNROUTED_REJECT,   /* refused like a bad signature (404, reason no_route) */
};

/* A request no endpoint matches whose path is an endpoint's that names a host, under another
 * Host: a server that ignores Host hands it to that endpoint's handler. */
enum hp_foreign_host_action {
	HP_FOREIGN_HOST_REJECT = 0, /* refused (404, reason foreign_host) */
	HP_FOREIGN_HOST_PASS,       /* as any unrouted request (unrouted) */
};

/* The generic provider "hmac" (lib/verify struct hp_verify_generic). */
struct hp_endpoint_hmac {
	char header[HP_CFG_HDR_LEN];
	char prefix[HP_CFG_HDR_LEN];
	uint32_t algorithm;       /* 0 sha256, 1 sha1, 2 sha512 (enum hp_verify_alg) */
	uint32_t encoding;        /* 0 hex, 1 base64 (enum hp_verify_enc) */
	uint32_t secret_encoding; /* 0 raw, 1 base64, 2 hex */
	char template_[HP_CFG_FIELD_LEN];
	char timestamp_header[HP_CFG_HDR_LEN];
	char id_header[HP_CFG_HDR_LEN];
};

struct hp_endpoint_config {
	char name[HP_CFG_NAME_LEN];
	/* match: Host exact (case-insensitive, port ignored) or "*.example.com" (any subdomain,
	 * not the apex), "" = any host; path_prefix matched on the request-target */
	char host[HP_CFG_HOST_LEN];
	char path_prefix[HP_CFG_PREFIX_LEN];
	char provider[32]; /* lib/verify provider name, validated at load */
	uint32_t n_secrets;
	char secrets[HP_CFG_MAX_SECRETS][HP_CFG_SECRET_LEN]; /* never logged nor returned */
	/* a secret's end (Unix seconds, 0: none): the control thread retires it then
	 * (controlplane/ctl_cfgapi.c); at least one secret of an endpoint has none */
	int64_t secret_not_after[HP_CFG_MAX_SECRETS];
	char secrets_file[HP_CFG_PATH_LEN]; /* "" = inline secrets */
	bool tolerance_set;                 /* false: the provider's default */
	uint32_t tolerance_s;               /* 0 = no timestamp window */
	char dedup_key[HP_CFG_FIELD_LEN];   /* "" = provider default; "none" = off */
	uint32_t dedup_ttl_s; /* 0 = auto: tolerance, or 24 h without a signed timestamp */
	uint32_t max_body;    /* 0 = auto: http.body_copy_max */
	bool respond;         /* bridge: answer the client with a 4xx on reject */
	bool reset_server;    /* bridge: RST to the server on reject */
	bool active_response; /* tap: RSTs both ways on reject */
	bool allow_sha1;      /* github legacy X-Hub-Signature */
	char url_base[HP_CFG_HOST_LEN]; /* twilio: scheme://host the sender signed */
	struct hp_endpoint_hmac hmac;
	uint32_t pii_policy; /* enum hp_pii_policy */
	/* bit i: lib/pii entity id i (built-ins 0..HP_PII__BUILTIN_COUNT-1, then the custom
	 * entities of pii.custom_entities in order); 0 = every built-in and every custom one */
	uint64_t pii_entities;
	/* bearer token / API key (tokens section): "" header = no token required */
	char token_header[HP_CFG_HDR_LEN];
	char token_prefix[HP_CFG_HDR_LEN]; /* stripped from the value, e.g. "Bearer " */
	/* ML scoring (ml section): what the score does for this endpoint */
	uint32_t ml_policy;     /* enum hp_ml_policy */
	float ml_threshold;     /* flag / enforce above this score, [0, 1] */
	uint32_t ml_on_timeout; /* enum hp_ml_on_timeout: enforce without a score in time */
};

/* What an endpoint does with the ML score of its requests. */
enum hp_ml_policy {
	HP_ML_POLICY_OFF = 0,
	HP_ML_POLICY_SCORE,   /* the score joins the event (and every sink) */
	HP_ML_POLICY_FLAG,    /* score, and the event is flagged above the threshold */
	HP_ML_POLICY_ENFORCE, /* bridge: the request waits for its score; above: 403 ml_blocked */
};

enum hp_ml_on_timeout {
	HP_ML_TIMEOUT_REJECT = 0, /* no score in time: 503 ml_unavailable (fail closed) */
	HP_ML_TIMEOUT_ACCEPT,     /* no score in time: accepted, counted (fail open) */
};

/* What an endpoint does with PII found in a body (lib/pii). */
enum hp_pii_policy {
	HP_PII_POLICY_OFF = 0,
	HP_PII_POLICY_REPORT, /* counts per entity in the event, never the matched text */
	HP_PII_POLICY_MASK,   /* bridge: matched bytes replaced in flight (held body segments) */
	HP_PII_POLICY_BLOCK,  /* verdict reject, reason pii_blocked (422) */
};

/* Action of one custom entity: the endpoint's policy, or an override. */
enum hp_pii_action {
	HP_PII_ACTION_DEFAULT = 0, /* "policy": whatever the endpoint's pii.policy says */
	HP_PII_ACTION_REPORT,
	HP_PII_ACTION_MASK,
	HP_PII_ACTION_BLOCK,
};

#define HP_CFG_PII_MAX_CUSTOM  32 /* = HP_PII_MAX_USER */
#define HP_CFG_PII_NAME_LEN    32 /* = HP_PII_NAME_MAX */
#define HP_CFG_PII_PATTERN_LEN 1024

/* A user-defined entity (top-level pii.custom_entities), compiled by Hyperscan at load. */
struct hp_pii_custom_entity {
	char name[HP_CFG_PII_NAME_LEN];       /* [a-z0-9_]{1,31}, not a built-in name, unique */
	char pattern[HP_CFG_PII_PATTERN_LEN]; /* Hyperscan syntax */
	uint32_t validator;                   /* enum hp_pii_validator */
	uint32_t action;                      /* enum hp_pii_action */
};

/* Top-level pii section: what all endpoints share. */
struct hp_pii_global_config {
	char mask_char;             /* the byte written over masked text; default '*' */
	uint32_t max_held_segments; /* per session: body segments held for mask/block */
	uint32_t held_per_worker;   /* per worker: segments held by all its sessions */
	uint32_t n_custom;
	struct hp_pii_custom_entity custom[HP_CFG_PII_MAX_CUSTOM];
};

/* Replay cache shared by the workers (lib/dedup). */
struct hp_replay_config {
	uint32_t entries;            /* capacity */
	uint32_t high_watermark_pct; /* the sweeper evicts live entries above this fill */
	uint32_t sweep_interval_ms;
	/* the shared level: Redis SET NX EX behind the local cache (appliances sharing a Redis
	 * refuse a replay another one saw) */
	char global_url[HP_CFG_PATH_LEN]; /* "" = off; redis://host:port[/db] */
	uint32_t global_timeout_ms;       /* a request waits at most this for the answer */
	uint32_t global_on_unavailable;   /* enum hp_global_unavailable */
	uint32_t global_max_pending;      /* requests waiting per worker (power of 2) */
	/* kept across restarts: "" = <DPDK runtime dir>/replay.snap, "off" = not kept */
	char snapshot[HP_CFG_PATH_LEN];
	uint32_t snapshot_interval_s; /* also written while running; 0 = only at stop */
};

/* What a request gets when the shared replay check cannot answer in time. */
enum hp_global_unavailable {
	HP_GLOBAL_ACCEPT = 0, /* decided by the local cache alone (counted) */
	HP_GLOBAL_REJECT,     /* 503 replay_unavailable: the sender retries */
};

/* Where tokens are looked up (endpoints[].token): lock-free L1 in the workers, Redis (L2),
 * Postgres (L3, table hookpath_tokens). */
struct hp_tokens_config {
	char redis_url[HP_CFG_PATH_LEN];
	char pg_dsn[512];
	uint32_t cache_ttl_s;    /* a known token stays in L1 (and L2) this long */
	uint32_t negative_ttl_s; /* an unknown or revoked one */
	uint32_t l1_entries;     /* power of 2 */
	uint32_t timeout_ms;     /* a request waits at most this for L2/L3 */
	uint32_t warm_max;       /* tokens put into L1 at start (0: none) */
	uint32_t warm_ms;        /* time the start gives that */
};

/* ML scoring (ml section; controlplane/ctl_ml.c, lib/ml). */
struct hp_ml_config {
	char model[HP_CFG_PATH_LEN]; /* XGBoost model file; "" = the default model shipped */
	uint32_t max_batch;          /* rows per batch, at most */
	uint32_t min_batch;          /* floor of the latency adjustment */
	uint32_t max_delay_us;       /* a row waits at most this for its batch */
	uint32_t preferred_batch;    /* a batch of this size goes without waiting (0: none) */
	uint32_t target_us;          /* batch latency target of the adjustment (0: off) */
	uint32_t queue;              /* rows waiting for a batch, at most */
	uint32_t ring_size;          /* feature records per worker in flight (power of 2) */
	uint32_t timeout_ms;         /* enforce: a request waits at most this for its score */
	uint32_t worker_gather_us;   /* score, flag: a staged record waits at most this */
	uint32_t backend;            /* enum hp_ml_backend */
	/* backend kserve: a remote KServe v2 / Open Inference Protocol server */
	char kserve_url[HP_CFG_PATH_LEN]; /* http(s)://host:port[/prefix] */
	char kserve_model[HP_CFG_NAME_LEN];
	uint32_t kserve_timeout_ms;       /* one infer request, connect included */
	uint32_t kserve_inflight;         /* infer requests in flight, at most */
	uint32_t kserve_breaker_failures; /* consecutive failures that open the breaker */
	uint32_t kserve_cooldown_ms;      /* first open period; doubles up to the max */
	uint32_t kserve_cooldown_max_ms;
};

/* Where the ML scores come from. */
enum hp_ml_backend {
	HP_ML_BACKEND_EMBEDDED = 0, /* XGBoost in process (ml.model) */
	HP_ML_BACKEND_KSERVE,       /* a KServe v2 server (ml.kserve.*) */
};

struct hp_config {
	struct hp_dataplane_config dataplane;
	struct hp_http_config http;
	struct hp_events_config events;
	struct hp_forensics_config forensics;
	struct hp_control_config control;
	struct hp_sinks_config sinks;
	struct hp_tokens_config tokens;
	struct hp_replay_config replay_cache;
	struct hp_ml_config ml;
	enum hp_unrouted_action unrouted;
	enum hp_foreign_host_action foreign_host;
	struct hp_pii_global_config pii;
	/* owned by the config (hp_config_free); NULL when n_endpoints == 0 */
	uint32_t n_endpoints;
	struct hp_endpoint_config *endpoints;
};

/* Fill cfg with the defaults of the key table (no file). */
void hp_config_defaults(struct hp_config *cfg);

/* Load and validate a YAML file; messages start with path. Besides -EINVAL: -errno of
 * open/read (-ENOENT ...), -EISDIR, -EFBIG (over 16 MiB), -ENOMEM. */
int hp_config_load_file(const char *path, struct hp_config *cfg, char *err, size_t errlen);

/* Same, from memory (tests, fuzzing, later the REST API). name starts the messages (NULL:
 * "<buffer>"); buf holds len bytes and need not be NUL-terminated. */
int hp_config_load_buffer(const char *name, const char *buf, size_t len, struct hp_config *cfg,
			  char *err, size_t errlen);

/* A time as the configuration writes it: "2026-12-31T00:00:00Z" (UTC) or Unix seconds, into
 * *out (Unix seconds): 0, or -1 when it is neither. */
int hp_cfg_parse_time(const char *s, int64_t *out);

/* Release what a loaded config owns (the endpoints, their secrets wiped first). Safe on
 * defaults and on NULL; cfg is left as defaults without endpoints. */
void hp_config_free(struct hp_config *cfg);

/* Print the key reference (key, type, default, bounds, doc), one key per line. */
void hp_config_describe(FILE *out);

/* True when the workers must produce events: an events file or any sink. */
bool hp_config_events_wanted(const struct hp_config *cfg);
/* True when refused requests are captured (forensics.pcapng set, not none). */
bool hp_config_forensics_wanted(const struct hp_config *cfg);

/* Names of enum values, as written in the YAML. */
const char *hp_mode_name(enum hp_mode mode);
const char *hp_malformed_action_name(enum hp_malformed_action a);
const char *hp_http_error_action_name(enum hp_http_error_action a);
const char *hp_unrouted_action_name(enum hp_unrouted_action a);

struct hp_verify_spec;

/* The lib/verify spec of an endpoint (pointers into ep, which must outlive spec). */
void hp_endpoint_verify_spec(const struct hp_endpoint_config *ep, struct hp_verify_spec *spec);
/* Effective values of the "auto" keys of an endpoint. */
const char *hp_endpoint_dedup_key(const struct hp_endpoint_config *ep); /* "none": off */
uint32_t hp_endpoint_tolerance(const struct hp_endpoint_config *ep);
uint32_t hp_endpoint_dedup_ttl(const struct hp_endpoint_config *ep);

/* The endpoint whose name is name, or NULL. */
const struct hp_endpoint_config *hp_config_endpoint(const struct hp_config *cfg, const char *name);

#endif /* HP_CONFIG_H */
