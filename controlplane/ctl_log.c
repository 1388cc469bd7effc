/* SPDX-License-Identifier: BSD-3-Clause
 * Where hookpath's log lines go (control.log_target), for its own messages (HP_LOG, log type
 * "hookpath") and DPDK's alike: rte_log's stream is replaced by one that writes each line
 * with what an operator's tools need.
 *
 *   console  stdout, "2026-12-05T06:00:00.123Z warning hookpath: ..." (UTC, milliseconds);
 *   journal  stdout, "<4>hookpath: ...": the syslog priority journald reads from the start of
 *            a line (SyslogLevelPrefix), which then filters by priority (journalctl -p); the
 *            journal adds the time;
 *   syslog   syslog(3), ident hookpath, facility daemon, the message's priority; nothing on
 *            stdout;
 *   auto     journal when stdout is the journal (systemd sets JOURNAL_STREAM to its device
 *            and inode), else console.
 *
 * The level is the message's (rte_log_cur_msg_loglevel(), set by rte_log on the writing
 * thread); one write(2) per flush, so lines of different threads do not mix.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>

#include "ctl.h"
#include "hp_config.h"

static enum hp_log_target log_target;
static bool at_line_start = true;
static char pending[1024]; /* syslog: a line not yet ended */
static size_t n_pending;

static const char *const level_names[] = {"",        "emerg",  "alert", "crit", "err",
					  "warning", "notice", "info",  "debug"};

static int
cur_level(void)
{
	int l = rte_log_cur_msg_loglevel();

	return l >= 1 && l <= 8 ? l : (int)RTE_LOG_INFO;
}

static void
write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, n);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static ssize_t
log_write(void *cookie, const char *buf, size_t size)
{
	char out[4096];
	size_t o = 0;
	int level = cur_level();

	(void)cookie;
	if (log_target == HP_LOG_SYSLOG) {
		for (size_t i = 0; i < size; i++) {
			if (buf[i] == '\n' || n_pending == sizeof(pending) - 1) {
				syslog(level - 1, "%.*s", (int)n_pending, pending);
				n_pending = 0;
				if (buf[i] == '\n')
					continue;
			}
			pending[n_pending++] = buf[i];
		}
		return (ssize_t)size;
	}
	for (size_t i = 0; i < size; i++) {
		if (o + 64 >= sizeof(out)) {
			write_all(out, o);
			o = 0;
		}
		if (at_line_start) {
			if (log_target == HP_LOG_JOURNAL) {
				o += (size_t)snprintf(out + o, sizeof(out) - o, "<%d>", level - 1);
			} else {
				struct timespec ts;
				struct tm tm;

				clock_gettime(CLOCK_REALTIME, &ts);
				gmtime_r(&ts.tv_sec, &tm);
				o += strftime(out + o, sizeof(out) - o, "%Y-%m-%dT%H:%M:%S", &tm);
				o += (size_t)snprintf(out + o, sizeof(out) - o, ".%03ldZ %s ",
						      ts.tv_nsec / 1000000L, level_names[level]);
			}
			at_line_start = false;
		}
		out[o++] = buf[i];
		if (buf[i] == '\n')
			at_line_start = true;
	}
	write_all(out, o);
	return (ssize_t)size;
}

/* stdout is the journal: JOURNAL_STREAM is "<device>:<inode>" of the stream systemd gave. */
static bool
stdout_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDOUT_FILENO, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

int
hp_ctl_log_open(const struct hp_config *cfg)
{
	cookie_io_functions_t io = {.write = log_write};
	FILE *f;

	log_target = cfg->control.log_target;
	if (log_target == HP_LOG_AUTO)
		log_target = stdout_is_journal() ? HP_LOG_JOURNAL : HP_LOG_CONSOLE;
	if (log_target == HP_LOG_SYSLOG)
		openlog("hookpath", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	f = fopencookie(NULL, "w", io);
	if (f == NULL)
		return -1;
	/* one message, one flush (rte_log flushes after each), one write */
	setvbuf(f, NULL, _IOFBF, 4096);
	return rte_openlog_stream(f);
}
