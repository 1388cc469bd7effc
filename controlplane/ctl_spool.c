/* SPDX-License-Identifier: BSD-3-Clause
 * Durable spool of one sink: append-only segment files of CRC'd records, read in order.
 *
 * <dir>/<number>.seg hold records (struct hp_rec, CRC32C over everything after the crc field);
 * <dir>/cursor holds {segment number, offset} of the first unread record. Segments below the
 * cursor's are consumed and deleted. Appends are buffered and written by hp_spool_flush (every
 * control tick), fsync'd per the policy. At open, every unread record is checked: a torn or
 * damaged record ends its segment there (truncated, counted as corrupt), so a crash in the
 * middle of a write loses at most that write. A prepend (records that were queued in memory
 * when the sink failed, older than anything spooled) writes a new head segment holding them and
 * the unread rest of the old head. Nothing here is thread-safe: the sink's lock covers it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_hash_crc.h>

#include "ctl_sink.h"

#define SEG_BASE  (1ULL << 40) /* first segment number: prepends count down from it */
#define WBUF_SIZE (1u << 20)
#define PEEK_MAX  (8u << 20)

struct seg {
	uint64_t no;
	uint64_t size;    /* bytes in the file */
	uint64_t records; /* unread records in it */
};

struct hp_spool {
	char dir[HP_CFG_PATH_LEN];
	uint64_t max_bytes, seg_max;
	enum hp_spool_fsync fsync_mode;
	uint64_t fsync_ns, last_fsync;
	bool dirty;
	struct seg *segs;
	unsigned int nsegs, cap;
	int wfd; /* the last segment, open for append (-1: none) */
	int rfd; /* the first segment, open for reading (-1: none) */
	uint64_t rfd_no;
	uint64_t roff; /* read offset in segs[0] */
	int cfd;       /* cursor file */
	char *wbuf;
	size_t wlen;
	uint64_t wbuf_records;
	struct hp_spool_stats st;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint32_t
hp_rec_crc(const struct hp_rec *r)
{
	const uint8_t *p = (const uint8_t *)&r->boot_ms;

	return rte_hash_crc(p, r->len - offsetof(struct hp_rec, boot_ms), 0xffffffffu);
}

int
hp_rec_id(const struct hp_rec *r, char *buf, size_t len)
{
	return snprintf(buf, len, "%" PRIu64 "-%" PRIu64, r->boot_ms, r->seq);
}

/* A record header that can be believed: sane length, CRC good. */
static bool
rec_valid(const struct hp_rec *r, uint64_t avail)
{
	if (avail < sizeof(*r) || r->len < sizeof(*r) || r->len > HP_REC_MAX || r->len > avail ||
	    (r->len & 7) != 0)
		return false;
	if ((uint64_t)r->endpoint_len + r->webhook_id_len + r->json_len > r->len - sizeof(*r))
		return false;
	return hp_rec_crc(r) == r->crc;
}

static void
seg_path(const struct hp_spool *sp, uint64_t no, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%020" PRIu64 ".seg", sp->dir, no);
}

static int
cursor_write(struct hp_spool *sp, uint64_t no, uint64_t off)
{
	uint64_t c[2] = {no, off};

	if (pwrite(sp->cfd, c, sizeof(c), 0) != (ssize_t)sizeof(c)) {
		sp->st.write_errors++;
		return -EIO;
	}
	sp->dirty = true;
	return 0;
}

static int
segs_push(struct hp_spool *sp, struct seg s, bool front)
{
	if (sp->nsegs == sp->cap) {
		unsigned int cap = sp->cap ? sp->cap * 2 : 16;
		struct seg *n = realloc(sp->segs, cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		sp->segs = n;
		sp->cap = cap;
	}
	if (front) {
		memmove(sp->segs + 1, sp->segs, sp->nsegs * sizeof(*sp->segs));
		sp->segs[0] = s;
	} else {
		sp->segs[sp->nsegs] = s;
	}
	sp->nsegs++;
	return 0;
}

static int
cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->no < y->no ? -1 : x->no > y->no;
}

/* want bytes at off into buf, short only at the end of the file or on an error. */
static size_t
pread_full(int fd, char *buf, size_t want, uint64_t off)
{
	size_t got = 0;

	while (got < want) {
		ssize_t n = pread(fd, buf + got, want - got, (off_t)(off + got));

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* Check the records of segment s from off; truncate at the first bad one. Read SCAN_BUF at a
 * time (a read per record of up to HP_REC_MAX bytes read each ~1 KB record 64 times: a start
 * took seconds per million spooled events), refilled from a record's start whenever less
 * than a whole record of the largest size is left in the buffer before the file's end. */
#define SCAN_BUF (1u << 20)
_Static_assert(SCAN_BUF >= HP_REC_MAX, "a record fits the scan buffer");

static int
seg_scan(struct hp_spool *sp, struct seg *s, uint64_t off)
{
	char path[HP_CFG_PATH_LEN + 32];
	char *buf;
	struct stat stt;
	int fd;
	uint64_t pos = off, bpos = off; /* buf holds the file's bytes [bpos, bpos + blen) */
	size_t blen = 0;

	seg_path(sp, s->no, path, sizeof(path));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &stt) != 0) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	s->size = (uint64_t)stt.st_size;
	buf = aligned_alloc(64, SCAN_BUF);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (pos < s->size) {
		size_t at = (size_t)(pos - bpos);
		const struct hp_rec *r;

		if (blen - at < HP_REC_MAX && bpos + blen < s->size) {
			uint64_t avail = s->size - pos;

			bpos = pos;
			at = 0;
			blen = pread_full(fd, buf, avail < SCAN_BUF ? (size_t)avail : SCAN_BUF,
					  pos);
		}
		r = (const struct hp_rec *)(const void *)(buf + at);
		if (blen <= at || !rec_valid(r, blen - at))
			break;
		pos += r->len;
		s->records++;
	}
	if (pos < s->size) { /* torn tail or damage: the rest cannot be trusted */
		sp->st.corrupt++;
		if (ftruncate(fd, (off_t)pos) != 0)
			sp->st.write_errors++;
		s->size = pos;
	}
	free(buf);
	close(fd);
	return 0;
}

static void
stats_recount(struct hp_spool *sp)
{
	uint64_t bytes = 0, recs = 0;

	for (unsigned int i = 0; i < sp->nsegs; i++) {
		bytes += sp->segs[i].size - (i == 0 ? sp->roff : 0);
		recs += sp->segs[i].records;
	}
	sp->st.bytes = bytes + sp->wlen;
	sp->st.records = recs + sp->wbuf_records;
	sp->st.segments = sp->nsegs;
}

static int
mkdir_p(const char *dir)
{
	char tmp[HP_CFG_PATH_LEN];

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int
hp_spool_open(struct hp_spool **out, const char *dir, uint64_t max_bytes,
	      enum hp_spool_fsync fsync_mode, uint32_t fsync_ms, char *err, size_t errlen)
{
	struct hp_spool *sp = calloc(1, sizeof(*sp));
	char path[HP_CFG_PATH_LEN + 32];
	uint64_t cur[2] = {0, 0};
	struct dirent *de;
	DIR *d;
	int ret;

	if (sp == NULL || (sp->wbuf = malloc(WBUF_SIZE)) == NULL) {
		free(sp);
		snprintf(err, errlen, "spool %s: out of memory", dir);
		return -ENOMEM;
	}
	snprintf(sp->dir, sizeof(sp->dir), "%s", dir);
	sp->max_bytes = max_bytes;
	sp->seg_max = max_bytes / 8;
	if (sp->seg_max < (1u << 20))
		sp->seg_max = 1u << 20;
	if (sp->seg_max > (64u << 20))
		sp->seg_max = 64u << 20;
	sp->fsync_mode = fsync_mode;
	sp->fsync_ns = (uint64_t)fsync_ms * 1000000ULL;
	sp->wfd = sp->rfd = sp->cfd = -1;
	ret = mkdir_p(dir);
	if (ret != 0) {
		snprintf(err, errlen, "sinks.spool.dir: cannot create %s: %s", dir, strerror(-ret));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/cursor", dir);
	sp->cfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sp->cfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "sinks.spool.dir: cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	/* one process per spool: two would append to and replay the same segments (events
	 * lost and doubled). A record lock on the cursor, held while the process lives; the
	 * kernel drops it when the process ends, however it ends. */
	{
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

		if (fcntl(sp->cfd, F_SETLK, &fl) != 0) {
			ret = -errno;
			fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET};
			if (fcntl(sp->cfd, F_GETLK, &fl) != 0)
				fl.l_pid = 0;
			snprintf(
				err, errlen,
				"sinks.spool.dir: %s is in use by another hookpath (pid %ld); give "
				"each instance its own control.instance or sinks.spool.dir",
				dir, (long)fl.l_pid);
			goto fail;
		}
	}
	if (pread(sp->cfd, cur, sizeof(cur), 0) != (ssize_t)sizeof(cur))
		cur[0] = cur[1] = 0;
	d = opendir(dir);
	if (d == NULL) {
		ret = -errno;
		snprintf(err, errlen, "sinks.spool.dir: cannot read %s: %s", dir, strerror(errno));
		goto fail;
	}
	while ((de = readdir(d)) != NULL) {
		char *end;
		unsigned long long no = strtoull(de->d_name, &end, 10);

		if (end == de->d_name || strcmp(end, ".seg") != 0)
			continue;
		if (no < cur[0]) { /* consumed before the last stop */
			seg_path(sp, no, path, sizeof(path));
			unlink(path);
			continue;
		}
		if (segs_push(sp, (struct seg){.no = no}, false) != 0) {
			closedir(d);
			ret = -ENOMEM;
			snprintf(err, errlen, "spool %s: out of memory", dir);
			goto fail;
		}
	}
	closedir(d);
	if (sp->nsegs > 1)
		qsort(sp->segs, sp->nsegs, sizeof(*sp->segs), cmp_seg);
	for (unsigned int i = 0; i < sp->nsegs; i++) {
		uint64_t off = (i == 0 && sp->segs[0].no == cur[0]) ? cur[1] : 0;

		ret = seg_scan(sp, &sp->segs[i], off);
		if (ret != 0) {
			snprintf(err, errlen,
				 "sinks.spool.dir: cannot read segment %" PRIu64 " in %s: %s",
				 sp->segs[i].no, dir, strerror(-ret));
			goto fail;
		}
		if (i == 0) {
			sp->roff = off <= sp->segs[0].size ? off : sp->segs[0].size;
		}
	}
	stats_recount(sp);
	*out = sp;
	return 0;
fail:
	hp_spool_close(sp);
	return ret;
}

void
hp_spool_close(struct hp_spool *sp)
{
	if (sp == NULL)
		return;
	hp_spool_flush(sp, true);
	if (sp->wfd >= 0)
		close(sp->wfd);
	if (sp->rfd >= 0)
		close(sp->rfd);
	if (sp->cfd >= 0)
		close(sp->cfd);
	free(sp->segs);
	free(sp->wbuf);
	free(sp);
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n != 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
maybe_fsync(struct hp_spool *sp, bool force)
{
	uint64_t now;

	if (!sp->dirty || sp->fsync_mode == HP_SPOOL_FSYNC_NEVER) {
		if (!force || !sp->dirty)
			return;
	}
	now = now_ns();
	if (!force && sp->fsync_mode == HP_SPOOL_FSYNC_INTERVAL &&
	    now - sp->last_fsync < sp->fsync_ns)
		return;
	if (sp->wfd >= 0)
		fdatasync(sp->wfd);
	fdatasync(sp->cfd);
	sp->last_fsync = now;
	sp->dirty = false;
	sp->st.fsyncs++;
}

int
hp_spool_flush(struct hp_spool *sp, bool force)
{
	int ret = 0;

	if (sp->wlen != 0) {
		ret = write_all(sp->wfd, sp->wbuf, sp->wlen);
		if (ret != 0) {
			sp->st.write_errors++;
		} else {
			sp->segs[sp->nsegs - 1].size += sp->wlen;
			sp->segs[sp->nsegs - 1].records += sp->wbuf_records;
		}
		sp->wlen = 0;
		sp->wbuf_records = 0;
		sp->dirty = true;
	}
	maybe_fsync(sp, force);
	stats_recount(sp);
	return ret;
}

static int
seg_create(struct hp_spool *sp, uint64_t no, const char *suffix)
{
	char path[HP_CFG_PATH_LEN + 40];
	int fd;

	seg_path(sp, no, path, sizeof(path));
	strncat(path, suffix, sizeof(path) - strlen(path) - 1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
}

int
hp_spool_append(struct hp_spool *sp, const struct hp_rec *r)
{
	if (sp->st.bytes + r->len > sp->max_bytes) {
		sp->st.dropped_full++;
		return -ENOSPC;
	}
	if (sp->nsegs == 0 || sp->wfd < 0 ||
	    sp->segs[sp->nsegs - 1].size + sp->wlen + r->len > sp->seg_max) {
		hp_spool_flush(sp, false);
		if (sp->nsegs == 0 || sp->wfd < 0 ||
		    sp->segs[sp->nsegs - 1].size + r->len > sp->seg_max) {
			uint64_t no = sp->nsegs ? sp->segs[sp->nsegs - 1].no + 1 : SEG_BASE;
			int fd = seg_create(sp, no, "");

			if (fd < 0) {
				sp->st.write_errors++;
				return fd;
			}
			if (sp->wfd >= 0) {
				fdatasync(sp->wfd);
				close(sp->wfd);
			}
			sp->wfd = fd;
			if (segs_push(sp, (struct seg){.no = no}, false) != 0)
				return -ENOMEM;
			if (sp->nsegs == 1) {
				sp->roff = 0;
				cursor_write(sp, no, 0);
			}
		}
	}
	if (sp->wlen + r->len > WBUF_SIZE)
		hp_spool_flush(sp, false);
	memcpy(sp->wbuf + sp->wlen, r, r->len);
	sp->wlen += r->len;
	sp->wbuf_records++;
	sp->st.bytes += r->len;
	sp->st.records++;
	sp->st.appended++;
	return 0;
}

int
hp_spool_prepend(struct hp_spool *sp, struct hp_rec *const *recs, unsigned int n)
{
	char from[HP_CFG_PATH_LEN + 40], to[HP_CFG_PATH_LEN + 40];
	struct seg ns = {0};
	uint64_t old_no = 0, left = sp->max_bytes > sp->st.bytes ? sp->max_bytes - sp->st.bytes : 0;
	bool merge;
	int fd, ret = 0;

	if (n == 0)
		return 0;
	if (sp->nsegs == 0) { /* nothing spooled: plain appends, in order */
		for (unsigned int i = 0; i < n; i++)
			hp_spool_append(sp, recs[i]);
		return hp_spool_flush(sp, false);
	}
	hp_spool_flush(sp, false);
	ns.no = sp->segs[0].no - 1;
	fd = seg_create(sp, ns.no, ".tmp");
	if (fd < 0)
		return fd;
	for (unsigned int i = 0; i < n && ret == 0; i++) {
		if (recs[i]->len > left) {
			sp->st.dropped_full++;
			continue;
		}
		ret = write_all(fd, (const char *)recs[i], recs[i]->len);
		left -= recs[i]->len;
		ns.size += recs[i]->len;
		ns.records++;
		sp->st.appended++;
	}
	/* the unread rest of the old head joins the new head, so one cursor suffices */
	merge = true;
	if (sp->nsegs == 1 && sp->wfd >= 0) { /* the head was being appended to: no more */
		close(sp->wfd);
		sp->wfd = -1;
	}
	if (ret == 0 && merge) {
		char *buf = malloc(1u << 20);
		uint64_t pos = sp->roff;

		seg_path(sp, sp->segs[0].no, from, sizeof(from));
		int rfd = open(from, O_RDONLY | O_CLOEXEC);

		if (buf == NULL || rfd < 0)
			ret = -EIO;
		while (ret == 0 && pos < sp->segs[0].size) {
			ssize_t r = pread(rfd, buf, 1u << 20, (off_t)pos);

			if (r <= 0) {
				ret = -EIO;
				break;
			}
			ret = write_all(fd, buf, (size_t)r);
			pos += (uint64_t)r;
			ns.size += (uint64_t)r;
		}
		ns.records += sp->segs[0].records;
		if (rfd >= 0)
			close(rfd);
		free(buf);
		old_no = sp->segs[0].no;
	}
	if (ret == 0 && fdatasync(fd) != 0)
		ret = -errno;
	close(fd);
	seg_path(sp, ns.no, from, sizeof(from));
	strcat(from, ".tmp");
	if (ret != 0) {
		unlink(from);
		sp->st.write_errors++;
		return ret;
	}
	seg_path(sp, ns.no, to, sizeof(to));
	cursor_write(sp, ns.no, 0);
	fdatasync(sp->cfd);
	if (rename(from, to) != 0) {
		sp->st.write_errors++;
		return -errno;
	}
	if (merge) {
		seg_path(sp, old_no, from, sizeof(from));
		unlink(from);
		memmove(sp->segs, sp->segs + 1, (sp->nsegs - 1) * sizeof(*sp->segs));
		sp->nsegs--;
	}
	if (sp->rfd >= 0) {
		close(sp->rfd);
		sp->rfd = -1;
	}
	ret = segs_push(sp, ns, true);
	sp->roff = 0;
	stats_recount(sp);
	return ret;
}

bool
hp_spool_empty(const struct hp_spool *sp)
{
	return sp->st.records == 0;
}

/* Drop the head segment (fully read). */
static void
head_drop(struct hp_spool *sp)
{
	char path[HP_CFG_PATH_LEN + 32];

	if (sp->rfd >= 0) {
		close(sp->rfd);
		sp->rfd = -1;
	}
	if (sp->nsegs == 1 && sp->wfd >= 0) {
		close(sp->wfd);
		sp->wfd = -1;
	}
	seg_path(sp, sp->segs[0].no, path, sizeof(path));
	memmove(sp->segs, sp->segs + 1, (sp->nsegs - 1) * sizeof(*sp->segs));
	sp->nsegs--;
	sp->roff = 0;
	cursor_write(sp, sp->nsegs ? sp->segs[0].no : 0, 0);
	unlink(path);
}

int
hp_spool_peek(struct hp_spool *sp, unsigned int max, struct hp_rec **recs, char **buf,
	      size_t *buflen)
{
	unsigned int n = 0;
	uint64_t want, pos = 0;
	ssize_t got;

	hp_spool_flush(sp, false);
	while (sp->nsegs != 0 && sp->roff >= sp->segs[0].size) {
		if (sp->nsegs == 1 && sp->wfd >= 0 && sp->segs[0].records != 0)
			break;
		head_drop(sp);
	}
	if (sp->nsegs == 0 || sp->roff >= sp->segs[0].size)
		return 0;
	if (sp->rfd < 0 || sp->rfd_no != sp->segs[0].no) {
		char path[HP_CFG_PATH_LEN + 32];

		if (sp->rfd >= 0)
			close(sp->rfd);
		seg_path(sp, sp->segs[0].no, path, sizeof(path));
		sp->rfd = open(path, O_RDONLY | O_CLOEXEC);
		if (sp->rfd < 0)
			return -errno;
		sp->rfd_no = sp->segs[0].no;
	}
	want = sp->segs[0].size - sp->roff;
	if (want > PEEK_MAX)
		want = PEEK_MAX;
	if (*buflen < want) {
		char *nb = realloc(*buf, want);

		if (nb == NULL)
			return -ENOMEM;
		*buf = nb;
		*buflen = want;
	}
	got = pread(sp->rfd, *buf, want, (off_t)sp->roff);
	if (got < 0)
		return -errno;
	while (n < max && pos < (uint64_t)got) {
		struct hp_rec *r = (struct hp_rec *)(*buf + pos);

		if (!rec_valid(r, (uint64_t)got - pos)) {
			if (pos + sizeof(*r) <= (uint64_t)got && r->len <= HP_REC_MAX &&
			    pos + r->len <= (uint64_t)got) {
				/* damaged since open: skip the rest of this segment */
				sp->st.corrupt++;
				sp->segs[0].records = 0;
				sp->segs[0].size = sp->roff + pos;
			}
			break;
		}
		recs[n++] = r;
		pos += r->len;
	}
	return (int)n;
}

int
hp_spool_consume(struct hp_spool *sp, struct hp_rec *const *recs, unsigned int n)
{
	uint64_t bytes = 0;

	for (unsigned int i = 0; i < n; i++)
		bytes += recs[i]->len;
	sp->roff += bytes;
	sp->segs[0].records -= n < sp->segs[0].records ? n : sp->segs[0].records;
	sp->st.replayed += n;
	cursor_write(sp, sp->segs[0].no, sp->roff);
	if (sp->roff >= sp->segs[0].size && (sp->nsegs > 1 || sp->wlen == 0))
		head_drop(sp);
	stats_recount(sp);
	maybe_fsync(sp, false);
	return 0;
}

void
hp_spool_get_stats(const struct hp_spool *sp, struct hp_spool_stats *st)
{
	*st = sp->st;
}
