/* SPDX-License-Identifier: BSD-3-Clause
 * `hookpath --check-config` without EAL (systemd's ExecStartPre, a config management run):
 * the file through the loader, then what the loader cannot see: that every path hookpath will
 * write can be written (events file, forensic capture, spool, API socket, replay snapshot),
 * that the files it reads can be read and are not open to others (API token), and that the ML
 * model loads. No hugepages, no NIC, no lock taken: it runs next to a live instance. Ports and
 * lcores need EAL: give EAL options (and the instance's --file-prefix) to check those too.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "ctl.h"
#include "hp_config.h"
#include "ml_model.h"
#include "ml_features.h"

#ifndef HP_ML_DEFAULT_MODEL
#define HP_ML_DEFAULT_MODEL "models/default.json"
#endif

/* path's directory (is_dir: path itself) can be written; with climb, the nearest existing
 * directory above it (what mkdir -p and then a create need), else it must exist. */
static int
dir_writable(const char *key, const char *path, bool is_dir, bool climb, char *err, size_t errlen)
{
	char d[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(d, sizeof(d), "%s", path);
	if (!is_dir) {
		slash = strrchr(d, '/');
		if (slash == NULL)
			snprintf(d, sizeof(d), ".");
		else if (slash == d)
			d[1] = '\0';
		else
			*slash = '\0';
	}
	if (!climb && stat(d, &st) != 0) {
		snprintf(err, errlen, "%s: %s: the directory %s does not exist", key, path, d);
		return -1;
	}
	while (stat(d, &st) != 0) {
		slash = strrchr(d, '/');
		if (slash == NULL) {
			snprintf(d, sizeof(d), ".");
			break;
		}
		if (slash == d) {
			d[1] = '\0';
			break;
		}
		*slash = '\0';
	}
	if (stat(d, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %s: %s is not a directory", key, path, d);
		return -1;
	}
	if (access(d, W_OK | X_OK) != 0) {
		snprintf(err, errlen, "%s: %s: cannot write in %s: %s", key, path, d,
			 strerror(errno));
		return -1;
	}
	return 0;
}

unsigned int
hp_ctl_config_warnings(const struct hp_config *cfg, void (*emit)(const char *msg))
{
	unsigned int n = 0;
	char msg[1024];

	/* an endpoint that names a host and owns every path: a server that ignores Host takes
	 * any host's request as this endpoint's, and foreign_host cannot tell which paths are
	 * its (every path is); only unrouted: reject keeps those requests from it */
	if (cfg->unrouted != HP_UNROUTED_PASS)
		return 0;
	for (uint32_t i = 0; i < cfg->n_endpoints; i++) {
		const struct hp_endpoint_config *e = &cfg->endpoints[i];

		if (e->host[0] == '\0' ||
		    (e->path_prefix[0] != '\0' && strcmp(e->path_prefix, "/") != 0))
			continue;
		snprintf(msg, sizeof(msg),
			 "endpoints[%u] (%s) names host %s and no path_prefix: a server that "
			 "ignores Host takes another host's request on any path as this "
			 "endpoint's, and unrouted: pass forwards it unverified; set unrouted: "
			 "reject, or a path_prefix, unless the server routes by Host "
			 "(docs/SECURITY.md)",
			 i, e->name, e->host);
		emit(msg);
		n++;
	}
	return n;
}

int
hp_ctl_check_offline(const struct hp_config *cfg, char *err, size_t errlen)
{
	const struct hp_control_config *cc = &cfg->control;
	struct stat st;

	if (cfg->events.file[0] != '\0') {
		if (access(cfg->events.file, F_OK) == 0 && access(cfg->events.file, W_OK) != 0) {
			snprintf(err, errlen, "events.file: %s: cannot write it: %s",
				 cfg->events.file, strerror(errno));
			return -1;
		}
		if (dir_writable("events.file", cfg->events.file, false, false, err, errlen) != 0)
			return -1;
	}
	/* the capture is renamed and created again: its directory must be writable */
	if (hp_config_forensics_wanted(cfg) &&
	    dir_writable("forensics.pcapng", cfg->forensics.pcapng, false, false, err, errlen) != 0)
		return -1;
	if (cfg->sinks.redis_url[0] != '\0' || cfg->sinks.pg_dsn[0] != '\0') {
		const char *spool = cfg->sinks.spool_dir[0] != '\0' ? cfg->sinks.spool_dir
								    : "/var/lib/hookpath/spool";

		if (dir_writable("sinks.spool.dir", spool, true, true, err, errlen) != 0)
			return -1;
	}
	if (strcmp(cc->state_file, "none") != 0) {
		const char *sf = cc->state_file[0] != '\0' ? cc->state_file
							   : "/var/lib/hookpath/state/x.json";
		struct stat sb;

		if (dir_writable("control.state_file", sf, false, true, err, errlen) != 0)
			return -1;
		if (cc->state_file[0] != '\0' && stat(sf, &sb) == 0 &&
		    (!S_ISREG(sb.st_mode) || (sb.st_mode & (S_IRWXG | S_IRWXO)))) {
			snprintf(err, errlen,
				 "control.state_file: %s: must be a regular file, mode 0600 (it "
				 "holds secrets; mode now %03o)",
				 sf, (unsigned int)(sb.st_mode & 0777));
			return -1;
		}
	}
	if (cc->api_socket[0] == '/' &&
	    dir_writable("control.api_socket", cc->api_socket, false, false, err, errlen) != 0)
		return -1;
	if (cfg->replay_cache.snapshot[0] == '/' &&
	    dir_writable("replay_cache.snapshot", cfg->replay_cache.snapshot, false, false, err,
			 errlen) != 0)
		return -1;
	if (cc->api_socket_group[0] != '\0' && getgrnam(cc->api_socket_group) == NULL) {
		snprintf(err, errlen, "control.api_socket_group: %s: no such group",
			 cc->api_socket_group);
		return -1;
	}
	if (cc->api_token_file[0] != '\0') {
		if (stat(cc->api_token_file, &st) != 0 || access(cc->api_token_file, R_OK) != 0) {
			snprintf(err, errlen, "control.api_token_file: %s: cannot read it: %s",
				 cc->api_token_file, strerror(errno));
			return -1;
		}
		if (st.st_mode & (S_IRWXG | S_IRWXO)) {
			snprintf(err, errlen,
				 "control.api_token_file: %s: open to group or others (mode %03o); "
				 "chmod 600 it",
				 cc->api_token_file, (unsigned int)(st.st_mode & 0777));
			return -1;
		}
	}
	if (cfg->ml.backend == HP_ML_BACKEND_EMBEDDED) {
		bool wanted = cfg->ml.model[0] != '\0';

		for (uint32_t i = 0; i < cfg->n_endpoints && !wanted; i++)
			wanted = cfg->endpoints[i].ml_policy != HP_ML_POLICY_OFF;
		if (wanted) {
			struct hp_ml_model *m;
			char merr[400];

			if (hp_ml_model_load(cfg->ml.model[0] != '\0' ? cfg->ml.model
								      : HP_ML_DEFAULT_MODEL,
					     HP_ML_N_FEATURES, 1, &m, merr, sizeof(merr)) != 0) {
				snprintf(err, errlen, "ml.model: %s", merr);
				return -1;
			}
			hp_ml_model_free(m);
		}
	}
	return 0;
}
