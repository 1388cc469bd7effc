/* SPDX-License-Identifier: BSD-3-Clause
 * hookpath [EAL options] -- -c FILE [--exit-idle-ms N] [--check-config] [--stats-file F]
 *
 * The main lcore is the control thread: it loads and validates the config (before EAL, so a
 * bad file fails fast with exit code 2), sets up the dataplane, launches the workers, then
 * loops on signals, the idle timer and the periodic stats line until told to stop.
 * Exit codes: 0 clean stop, 1 runtime failure, 2 bad usage or configuration.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HP_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_pdump.h>
#include <rte_version.h>

#include "ctl.h"
#include "ctl_api.h"
#include "ctl_capture.h"
#include "ctl_metrics.h"
#include "dp.h"
#include "dp_log.h"
#include "hp_config.h"
#include "ml_features.h"

#define EXIT_CONFIG    2
#define DRAIN_BUDGET   16384 /* events per control loop turn, between API polls */
#define CAPTURE_BUDGET 64    /* refused requests written per turn (a few MB at most) */

struct app_opts {
	const char *config;
	const char *stats_file;
	const char *read_file; /* -r: offline analysis of a capture */
	uint64_t exit_idle_ms;
	bool check_config;
};

static volatile sig_atomic_t got_signal, got_hup, got_usr1;

/* systemd (Type=notify): READY once ports, models and caches are loaded, RELOADING around a
 * SIGHUP, STOPPING at the end, WATCHDOG from the control loop. Nothing without
 * NOTIFY_SOCKET (or a build without libsystemd). */
static void
notify(const char *state)
{
#ifdef HP_HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

static void
on_signal(int sig)
{
	got_signal = sig;
	hp_dp_request_stop();
}

/* SIGHUP: read the configuration file again; SIGUSR1: reopen the events file. Handled by the
 * control loop, not here. */
static void
on_hup(int sig)
{
	(void)sig;
	got_hup = 1;
}

static void
on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

/* The control loop's side of SIGHUP and SIGUSR1. */
static void
handle_hup_usr1(const struct app_opts *o)
{
	char err[768], field[160];
	int st, ret;

	if (got_hup) {
		got_hup = 0;
		notify("RELOADING=1");
		st = hp_ctl_cfgapi_reload(field, sizeof(field), err, sizeof(err));
		notify(st == 0 ? "READY=1\nSTATUS=running, configuration reloaded"
			       : "READY=1\nSTATUS=running, the last reload was refused");
		if (st == 0)
			HP_LOG(NOTICE, "SIGHUP: %s reloaded: endpoints and live limits applied\n",
			       o->config);
		else
			HP_LOG(ERR,
			       "SIGHUP: reload of %s refused, the running configuration stays: "
			       "%s%s%s\n",
			       o->config, field, field[0] ? ": " : "", err);
	}
	if (got_usr1) {
		got_usr1 = 0;
		ret = hp_ctl_events_reopen();
		if (ret == 0)
			HP_LOG(NOTICE, "SIGUSR1: events file reopened\n");
		else
			HP_LOG(ERR, "SIGUSR1: cannot reopen the events file: %s\n", strerror(-ret));
	}
}

static void
usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s [EAL options] -- -c FILE [options]\n"
		"       %s -r CAPTURE -c FILE [--stats-file F]   (offline analysis)\n"
		"  -c, --config FILE      YAML configuration (required)\n"
		"  -r, --read CAPTURE     analyse a capture (pcap or pcapng; Ethernet, Linux "
		"SLL/SLL2,\n"
		"                         NULL/Loopback or raw IP) as it was live: tap mode, one\n"
		"                         worker, each request judged at its capture time; no EAL\n"
		"                         options, no API socket, no state file; exits at its end\n"
		"      --check-config     validate the configuration, its paths and files, exit;\n"
		"                         with EAL options also the ports and lcores EAL sees;\n"
		"                         without: offline (hookpath -c FILE --check-config)\n"
		"      --version          print the version and exit\n"
		"      --exit-idle-ms N   exit once every rx queue was idle N ms after traffic was "
		"seen\n"
		"      --stats-file FILE  write every counter as JSON to FILE at exit\n"
		"      --config-keys      print the configuration key reference and exit\n"
		"  -h, --help             this help\n"
		"exit codes: 0 clean stop, 1 runtime failure, 2 bad usage or configuration\n",
		prog, prog);
}

/* Parse the application arguments (after "--"). Returns 0, 1 to exit 0 now, or -1. */
static int
parse_app_args(int argc, char **argv, struct app_opts *o)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 'K'},
		{"exit-idle-ms", required_argument, NULL, 'I'},
		{"stats-file", required_argument, NULL, 'S'},
		{"config-keys", no_argument, NULL, 'D'},
		{"read", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:hr:", longopts, NULL)) != -1) {
		char *end;

		switch (opt) {
		case 'c':
			o->config = optarg;
			break;
		case 'K':
			o->check_config = true;
			break;
		case 'I':
			errno = 0;
			o->exit_idle_ms = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg || optarg[0] == '-' ||
			    o->exit_idle_ms == 0 || o->exit_idle_ms > 86400000) {
				fprintf(stderr,
					"hookpath: --exit-idle-ms: must be an integer in "
					"[1, 86400000], got \"%s\"\n",
					optarg);
				return -1;
			}
			break;
		case 'S': {
			/* written to FILE.tmp, then renamed over FILE: never over a device */
			if (hp_ctl_path_not_regular(optarg)) {
				fprintf(stderr,
					"hookpath: --stats-file %s: exists and is not a regular "
					"file\n",
					optarg);
				return -1;
			}
			o->stats_file = optarg;
			break;
		}
		case 'r':
			o->read_file = optarg;
			break;
		case 'D':
			hp_config_describe(stdout);
			return 1;
		case 'h':
			usage(stdout, "hookpath");
			return 1;
		default:
			usage(stderr, "hookpath");
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hookpath: unexpected argument \"%s\"\n", argv[optind]);
		return -1;
	}
	if (o->config == NULL) {
		fprintf(stderr, "hookpath: -c FILE is required\n");
		usage(stderr, "hookpath");
		return -1;
	}
	return 0;
}

/* ---- hookpath -r CAPTURE: offline analysis ---- */

static char read_tmp[64]; /* the Ethernet pcap made from the capture */

static void
read_cleanup(void)
{
	if (read_tmp[0] != '\0')
		unlink(read_tmp);
}

/* What an analysis of a capture changes in the configuration: tap on the one net_pcap port,
 * one worker, requests judged at their capture time, one packet per burst so that timers
 * (flows, fragments, the replay cache's TTLs) fire between the packets they fired between
 * live; nothing that a live instance on the same host owns (API socket, metrics listener,
 * state file). */
static void
read_overrides(struct hp_config *cfg)
{
	cfg->dataplane.mode = HP_MODE_TAP;
	cfg->dataplane.n_pairs = 0;
	cfg->dataplane.n_ports = 0;
	cfg->dataplane.workers = 1;
	cfg->dataplane.clock = HP_CLOCK_CAPTURE;
	cfg->dataplane.burst = 1;
	snprintf(cfg->control.api_socket, sizeof(cfg->control.api_socket), "off");
	cfg->control.api_listen[0] = '\0';
	cfg->control.metrics_listen[0] = '\0';
	snprintf(cfg->control.state_file, sizeof(cfg->control.state_file), "none");
}

/* The capture as an Ethernet pcap, and the EAL options of the analysis: no hugepages, two
 * lcores on the first CPUs this process may use, a file prefix of its own. 0, 1 when there is
 * nothing to analyse (exit 0), -1 with a message. */
static int
read_setup(struct app_opts *o, struct hp_config *cfg, int *eal_argc, char ***eal_argv)
{
	static char prefix[48], vdev[160], lcores[32];
	static char *args[16];
	struct hp_read_info info;
	char err[512];
	cpu_set_t cs;
	int fd, n = 0, cpus[2] = {0, 0}, found = 0;

	snprintf(read_tmp, sizeof(read_tmp), "/tmp/hookpath-read-XXXXXX.pcap");
	fd = mkstemps(read_tmp, 5);
	if (fd < 0) {
		fprintf(stderr, "hookpath: -r: cannot make a temporary file: %s\n",
			strerror(errno));
		read_tmp[0] = '\0';
		return -1;
	}
	close(fd);
	atexit(read_cleanup);
	if (hp_ctl_read_prepare(o->read_file, read_tmp, &info, err, sizeof(err)) != 0) {
		fprintf(stderr, "hookpath: %s\n", err);
		return -1;
	}
	printf("hookpath: -r %s: %s, %" PRIu64 " packets, %" PRIu64 " read, %" PRIu64
	       " without IP left out\n",
	       o->read_file, info.linktype_name, info.packets, info.written, info.skipped);
	if (info.written == 0) {
		printf("hookpath: -r %s: nothing to analyse\n", o->read_file);
		return 1;
	}
	read_overrides(cfg);
	if (o->exit_idle_ms == 0)
		o->exit_idle_ms = 200; /* the end of the capture */
	if (sched_getaffinity(0, sizeof(cs), &cs) == 0)
		for (int c = 0; c < CPU_SETSIZE && found < 2; c++)
			if (CPU_ISSET(c, &cs))
				cpus[found++] = c;
	snprintf(lcores, sizeof(lcores), "0@%d,1@%d", cpus[0], found > 1 ? cpus[1] : cpus[0]);
	snprintf(prefix, sizeof(prefix), "hookpath-read-%d", (int)getpid());
	snprintf(vdev, sizeof(vdev), "net_pcap0,rx_pcap=%s", read_tmp);
	{
		/* EAL's argv is writable (it may reorder it): the fixed words are copied */
		static char words[][32] = {"hookpath", "--no-huge",
					   "-m",       "512",
					   "--no-pci", "--lcores",
					   "",         "--file-prefix",
					   "",         "--log-level=lib.*:warning",
					   "--vdev",   ""};

		for (unsigned int i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			args[n++] = words[i];
		args[6] = lcores;
		args[8] = prefix;
		args[11] = vdev;
	}
	args[n] = NULL;
	*eal_argc = n;
	*eal_argv = args;
	return 0;
}

/* The EAL file prefix: the last component of its runtime directory. */
static const char *
prefix_of(const char *rt)
{
	const char *p = strrchr(rt, '/');

	return p != NULL ? p + 1 : rt;
}

/* hp_ctl_config_warnings' outputs: --check-config's stderr, a running instance's log. */
static void
warn_stderr(const char *msg)
{
	fprintf(stderr, "hookpath: warning: %s\n", msg);
}

static void
warn_log(const char *msg)
{
	HP_LOG(WARNING, "warning: %s\n", msg);
}

/* The control loop: 10 ms ticks until a signal, the idle timer or a worker failure. */
static void
control_loop(const struct hp_config *cfg, const struct app_opts *o)
{
	uint64_t hz = rte_get_tsc_hz();
	uint64_t next_stats = rte_rdtsc() + cfg->control.stats_interval_s * hz;

	unsigned int drained = 0;
	uint64_t wd_tsc = 0, next_wd = 0;

#ifdef HP_HAVE_SYSTEMD
	{
		uint64_t usec = 0;

		if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
			wd_tsc = usec * hz / 2000000; /* twice per period */
	}
#endif
	while (!hp_dp_stopping()) {
		if (wd_tsc != 0 && rte_rdtsc() >= next_wd) {
			notify("WATCHDOG=1");
			next_wd = rte_rdtsc() + wd_tsc;
		}
		/* a full drain budget means more is waiting: do not sleep */
		hp_ctl_api_poll(drained >= DRAIN_BUDGET ? 0 : 1);
		hp_ctl_metrics_listen_poll();
		if (o->exit_idle_ms && hp_dp_idle_for(o->exit_idle_ms)) {
			HP_LOG(NOTICE, "rx idle for %" PRIu64 " ms, stopping\n", o->exit_idle_ms);
			hp_dp_request_stop();
		}
		handle_hup_usr1(o);
		hp_ctl_cfgapi_tick();
		hp_ctl_workers_tick();
		drained = hp_ctl_events_drain(DRAIN_BUDGET);
		if (hp_ctl_capture_drain(CAPTURE_BUDGET) >= CAPTURE_BUDGET)
			drained = DRAIN_BUDGET; /* more waiting: no sleep */
		hp_ctl_events_tick();
		hp_dp_tick();
		hp_ctl_replay_tick();
		if (cfg->control.stats_interval_s && rte_rdtsc() >= next_stats) {
			hp_ctl_stats_line(stdout);
			next_stats += cfg->control.stats_interval_s * hz;
		}
		if (hp_ctl_telemetry_wanted()) /* /hookpath/sinks, /hookpath/endpoints */
			hp_ctl_telemetry_publish();
	}
	hp_ctl_telemetry_stop(); /* before the sinks go */
}

/* After rte_eal_cleanup: DPDK 22.11 leaves its memory maps' metadata in the runtime directory
 * (fbarray_* files, 13 MB for -m 512 without hugepages, and config), one directory per
 * --file-prefix: a host running many short-lived instances (tests, offline analyses) fills
 * /run. They are removed here; hookpath's own files there (the replay snapshot) stay, and so
 * does the directory when they are there. */
static void
runtime_dir_cleanup(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (!strncmp(de->d_name, "fbarray_", 8) || !strcmp(de->d_name, "config"))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	rmdir(dir); /* only when nothing else is left */
}

int
main(int argc, char **argv)
{
	static struct hp_config cfg;
	struct app_opts o = {0};
	char err[512];
	int sep, ret, rc = 0, eal_argc;
	bool pdump_on = false;
	char **eal_argv;

	/* Application arguments come after "--"; parse them before EAL so that a bad command
	 * line or config fails fast and without EAL noise. */
	for (sep = 1; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		;
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("hookpath %s (%s, ML features v%d)\n", HP_VERSION, rte_version(),
		       HP_ML_FEATURES_VERSION);
		return 0;
	}
	if (sep == argc) {
		if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
			usage(stdout, argv[0]);
			return 0;
		}
		/* hookpath -c FILE --check-config, hookpath -r CAPTURE -c FILE: application
		 * options only, no EAL options */
		for (int i = 1; i < argc; i++)
			if (!strcmp(argv[i], "--check-config") || !strcmp(argv[i], "-r") ||
			    !strcmp(argv[i], "--read") || !strncmp(argv[i], "--read=", 7)) {
				sep = 0;
				break;
			}
	}
	if (sep == argc) {
		fprintf(stderr, "hookpath: missing \"--\" before the application options\n");
		usage(stderr, argv[0]);
		return EXIT_CONFIG;
	}
	{
		char *app_argv[argc - sep + 1];

		app_argv[0] = argv[0];
		for (int i = sep + 1; i < argc; i++)
			app_argv[i - sep] = argv[i];
		ret = parse_app_args(argc - sep, app_argv, &o);
		if (ret != 0)
			return ret > 0 ? 0 : EXIT_CONFIG;
	}
	ret = hp_config_load_file(o.config, &cfg, err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "hookpath: config error: %s\n", err);
		return EXIT_CONFIG;
	}
	eal_argc = sep;
	eal_argv = argv;
	if (o.check_config)
		hp_ctl_config_warnings(&cfg, warn_stderr);
	/* --check-config with no EAL option: offline (no hugepages, no NIC, no lock; runs next
	 * to a live instance): the file, its paths and files, the model */
	if (o.check_config && sep <= 1) {
		ret = hp_ctl_check_offline(&cfg, err, sizeof(err));
		hp_config_free(&cfg);
		if (ret != 0) {
			fprintf(stderr, "hookpath: config error: %s\n", err);
			return EXIT_CONFIG;
		}
		printf("hookpath: %s: configuration OK (%s mode; offline: ports and lcores not "
		       "checked, give EAL options for that)\n",
		       o.config, hp_mode_name(cfg.dataplane.mode));
		return 0;
	}

	if (o.read_file != NULL) {
		if (o.check_config || sep != 0) {
			fprintf(stderr,
				"hookpath: -r takes no EAL options and no --check-config\n");
			hp_config_free(&cfg);
			return EXIT_CONFIG;
		}
		ret = read_setup(&o, &cfg, &eal_argc, &eal_argv);
		if (ret != 0) {
			hp_config_free(&cfg);
			return ret > 0 ? 0 : EXIT_CONFIG;
		}
	}
	ret = rte_eal_init(eal_argc, eal_argv);
	if (ret < 0) {
		fprintf(stderr, "hookpath: EAL init failed: %s\n", rte_strerror(rte_errno));
		hp_config_free(&cfg);
		return 1;
	}
	if (hp_ctl_log_open(&cfg) != 0)
		fprintf(stderr, "hookpath: control.log_target: cannot open the log stream\n");
	if (!o.check_config && o.read_file == NULL)
		hp_ctl_config_warnings(&cfg, warn_log);
	ret = hp_dp_validate(&cfg, err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "hookpath: config error: %s\n", err);
		rc = EXIT_CONFIG;
		goto out_eal;
	}
	if (o.check_config) {
		ret = hp_ctl_check_offline(&cfg, err, sizeof(err));
		if (ret != 0) {
			fprintf(stderr, "hookpath: config error: %s\n", err);
			rc = EXIT_CONFIG;
			goto out_eal;
		}
		printf("hookpath: %s: configuration OK (%s mode, %u port(s) available, %u worker "
		       "lcore(s))\n",
		       o.config, hp_mode_name(cfg.dataplane.mode), rte_eth_dev_count_avail(),
		       rte_lcore_count() - 1);
		goto out_eal;
	}

	/* the state file's kept API changes and the secrets' not_after make the running
	 * configuration, before the dataplane is built from it */
	ret = hp_ctl_cfgapi_init(o.config, &cfg, err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "hookpath: %s\n", err);
		hp_ctl_cfgapi_fini();
		rc = EXIT_CONFIG;
		goto out_eal;
	}
	if (o.read_file != NULL)
		read_overrides(&cfg); /* again: a configuration rebuilt from the file lost them */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_hup);
	signal(SIGUSR1, on_usr1);
	ret = hp_dp_init(&cfg, err, sizeof(err));
	if (ret == 0)
		ret = hp_ctl_replay_load(&cfg, err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "hookpath: %s\n", err);
		rc = 1;
		goto out_dp;
	}
	ret = hp_ctl_events_open(&cfg, err, sizeof(err));
	if (ret == 0)
		ret = hp_ctl_capture_open(&cfg, err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "hookpath: %s\n", err);
		hp_ctl_events_close();
		rc = 1;
		goto out_dp;
	}
	ret = hp_ctl_resolver_start(&cfg, err, sizeof(err));
	if (ret == 0)
		ret = hp_ctl_ml_start(&cfg, err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "hookpath: %s\n", err);
		hp_ctl_events_close();
		rc = 1;
		goto out_dp;
	}
	hp_ctl_api_set_ops(&hp_cfgapi_ops);
	ret = hp_ctl_api_start(&cfg, err, sizeof(err));
	if (ret == 0)
		ret = hp_ctl_metrics_listen_start(&cfg, err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "hookpath: %s\n", err);
		hp_ctl_api_stop();
		hp_ctl_events_close();
		rc = EXIT_CONFIG;
		goto out_dp;
	}
	ret = hp_ctl_telemetry_register();
	if (ret != 0)
		fprintf(stderr, "hookpath: telemetry commands not registered: %s\n",
			strerror(-ret));
	/* dpdk-dumpcap (a secondary process) asks the primary over the multi-process channel
	 * to copy the ports' packets to it: its request's handler is registered here */
	if (cfg.forensics.pdump && o.read_file == NULL) {
		if (rte_pdump_init() == 0) {
			pdump_on = true;
			HP_LOG(INFO, "pdump: dpdk-dumpcap may attach (--file-prefix %s)\n",
			       prefix_of(rte_eal_get_runtime_dir()));
		} else {
			HP_LOG(WARNING,
			       "forensics.pdump: rte_pdump_init failed: %s (dpdk-dumpcap cannot "
			       "attach)\n",
			       rte_strerror(rte_errno));
		}
	}
	ret = hp_dp_launch();
	if (ret != 0) {
		rc = 1;
	} else {
		notify("READY=1\nSTATUS=running");
		control_loop(&cfg, &o);
		notify("STOPPING=1");
	}
	hp_dp_wait();
	if (pdump_on)
		rte_pdump_uninit();
	hp_ctl_capture_close(); /* the workers are stopped: every capture they made */
	hp_ctl_replay_save();
	hp_ctl_resolver_stop();
	hp_ctl_api_stop();
	hp_ctl_metrics_listen_stop();
	hp_ctl_cfgapi_fini();
	hp_ctl_events_close(); /* the ML thread still runs: the last events join their scores */
	hp_ctl_ml_stop();
	if (got_signal)
		HP_LOG(NOTICE, "%s, stopped\n", strsignal(got_signal));
	hp_ctl_summary(stdout);
	hp_ctl_events_summary(stdout);
	if (o.stats_file != NULL) {
		ret = hp_ctl_write_stats_json(o.stats_file);
		if (ret != 0) {
			fprintf(stderr, "hookpath: --stats-file %s: %s\n", o.stats_file,
				strerror(-ret));
			rc = 1;
		}
	}
out_dp:
	hp_ctl_capture_close(); /* idempotent */
	hp_ctl_cfgapi_fini();   /* idempotent */
	hp_ctl_resolver_stop();
	hp_ctl_ml_stop();
	hp_ctl_telemetry_stop();
	hp_ctl_telemetry_fini();
	hp_dp_fini();
out_eal : {
	char rt[PATH_MAX];

	snprintf(rt, sizeof(rt), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	runtime_dir_cleanup(rt);
}
	hp_config_free(&cfg);
	return rc;
}
