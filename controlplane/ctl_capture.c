/* SPDX-License-Identifier: BSD-3-Clause
 * Forensic captures (forensics.*): the refused requests the workers copied
 * (dataplane/dp_capture_msg.h) written as a pcapng by the control thread, never by a worker.
 *
 * Each refused request becomes one TCP connection Wireshark and tshark decode as HTTP:
 * synthesised Ethernet / IPv4 or IPv6 / TCP frames with the flow's real addresses and ports,
 * a handshake, the request in segments of at most 1460 bytes, the close; correct IP and TCP
 * checksums, sequence numbers of our own. The request's bytes are the head as received and
 * the body as reassembled (a chunked body, de-chunked by the parser, is framed again as one
 * chunk). Every frame's EPB carries a comment naming the verdict, reason, endpoint, delivery
 * id and what was cut: `hookpath: reject reason=bad_signature endpoint=gh webhook_id=...`.
 *
 * Files: forensics.pcapng (mode 0600: payloads, secrets in headers, PII), renamed .1 (older
 * ones shift to .2 ...) once the next request would take it past forensics.max_file_bytes,
 * forensics.max_files files at most (the oldest deleted); a file left from an earlier run is
 * rotated at start, so that each file is one pcapng section. A write error is counted
 * (write_errors), logged once until a write succeeds again, and the file is opened afresh at
 * the next request: the control loop never waits on a broken disk longer than one write.
 * Bounded work: at most `budget` requests per call.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include "ctl.h"
#include "ctl_capture.h"
#include "dp.h"
#include "dp_capture_msg.h"
#include "dp_event.h"
#include "dp_log.h"

#define CAP_MSS         1460
#define CAP_COMMENT_MAX 512
#define CAP_HDR_MAX     (RTE_ETHER_HDR_LEN + 40 + 20)
/* one frame's EPB around its packet: header 28, comment option 4 + text, end 4, length 4 */
#define CAP_EPB_MAX     (28 + CAP_HDR_MAX + 4 + 4 + CAP_COMMENT_MAX + 4 + 4 + 4)
#define CAP_CTRL_FRAMES 7 /* SYN, SYN-ACK, ACK, ACK of the data, FIN, FIN, ACK */

static struct {
	bool on;
	int fd;
	char path[HP_CFG_PATH_LEN];
	uint64_t max_bytes;
	uint32_t max_files;
	uint8_t *buf; /* one request's frames, then one write */
	size_t buf_size;
	uint64_t file_bytes;
	uint64_t written, bytes, rotations, write_errors;
	bool err_logged;
	uint64_t retry_tsc; /* no reopen before (after a failed one) */
	uint32_t conn;      /* connections written: their sequence numbers and IP ids */
} cap = {.fd = -1};

/* ---- pcapng blocks ---- */

static size_t
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return 4;
}

static size_t
put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
	return 2;
}

/* An option (code, value of len bytes), padded to 32 bits. */
static size_t
put_opt(uint8_t *p, uint16_t code, const void *v, size_t len)
{
	size_t o = put16(p, code);

	o += put16(p + o, (uint16_t)len);
	memcpy(p + o, v, len);
	o += len;
	while (o % 4)
		p[o++] = 0;
	return o;
}

/* Section header and the one interface (Ethernet, nanosecond timestamps). */
static size_t
put_head(uint8_t *p)
{
	static const char app[] = "hookpath " HP_VERSION " forensics";
	static const char ifname[] = "hookpath-refused";
	const uint8_t tsresol = 9;
	size_t o = 0, start;
	uint64_t sect = UINT64_MAX; /* length unspecified */

	start = o;
	o += put32(p + o, 0x0A0D0D0A);
	o += 4;
	o += put32(p + o, 0x1A2B3C4D);
	o += put16(p + o, 1);
	o += put16(p + o, 0);
	memcpy(p + o, &sect, 8);
	o += 8;
	o += put_opt(p + o, 4, app, sizeof(app) - 1); /* shb_userappl */
	o += put32(p + o, 0);                         /* opt_endofopt */
	o += 4;
	put32(p + start + 4, (uint32_t)(o - start));
	put32(p + o - 4, (uint32_t)(o - start));

	start = o;
	o += put32(p + o, 1);
	o += 4;
	o += put16(p + o, 1); /* LINKTYPE_ETHERNET */
	o += put16(p + o, 0);
	o += put32(p + o, 0);                               /* snaplen: none */
	o += put_opt(p + o, 2, ifname, sizeof(ifname) - 1); /* if_name */
	o += put_opt(p + o, 9, &tsresol, 1);                /* if_tsresol: 10^-9 */
	o += put32(p + o, 0);
	o += 4;
	put32(p + start + 4, (uint32_t)(o - start));
	put32(p + o - 4, (uint32_t)(o - start));
	return o;
}

/* ---- frames ---- */

struct conn {
	const struct hp_cap_rec *r;
	uint64_t ts_ns;
	uint32_t seq[2]; /* next sequence number: 0 client, 1 server */
	uint16_t ip_id;
	const char *comment;
	size_t comment_len;
};

/* The Ethernet/IP/TCP frame of one segment (dir 0: client to server) at p. */
static size_t
frame(uint8_t *p, struct conn *c, unsigned int dir, uint8_t flags, const uint8_t *pl, uint32_t len)
{
	const struct hp_cap_rec *r = c->r;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	const uint8_t *src = dir == 0 ? r->src : r->dst, *dst = dir == 0 ? r->dst : r->src;
	uint16_t sport = dir == 0 ? r->sport : r->dport, dport = dir == 0 ? r->dport : r->sport;
	struct rte_tcp_hdr *tcp;
	size_t l3;

	/* locally administered MACs: 02:00:00:00:00:01 the client, :02 the server */
	memset(eth, 0, sizeof(*eth));
	eth->src_addr.addr_bytes[0] = eth->dst_addr.addr_bytes[0] = 0x02;
	eth->src_addr.addr_bytes[5] = (uint8_t)(dir == 0 ? 1 : 2);
	eth->dst_addr.addr_bytes[5] = (uint8_t)(dir == 0 ? 2 : 1);
	if (r->family == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*tcp) + len));
		ip->packet_id = rte_cpu_to_be_16(c->ip_id++);
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		memcpy(&ip->src_addr, src, 4);
		memcpy(&ip->dst_addr, dst, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		l3 = sizeof(*ip);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		memset(ip, 0, sizeof(*ip));
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(sizeof(*tcp) + len));
		ip->proto = IPPROTO_TCP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, src, 16);
		memcpy(ip->dst_addr, dst, 16);
		l3 = sizeof(*ip);
	}
	tcp = (struct rte_tcp_hdr *)((uint8_t *)(eth + 1) + l3);
	memset(tcp, 0, sizeof(*tcp));
	tcp->src_port = rte_cpu_to_be_16(sport);
	tcp->dst_port = rte_cpu_to_be_16(dport);
	tcp->sent_seq = rte_cpu_to_be_32(c->seq[dir]);
	if (flags & RTE_TCP_ACK_FLAG)
		tcp->recv_ack = rte_cpu_to_be_32(c->seq[dir ^ 1]);
	tcp->data_off = (uint8_t)((sizeof(*tcp) / 4) << 4);
	tcp->tcp_flags = flags;
	tcp->rx_win = rte_cpu_to_be_16(65535);
	if (len != 0)
		memcpy(tcp + 1, pl, len);
	if (r->family == 4)
		tcp->cksum = rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)(eth + 1), tcp);
	else
		tcp->cksum = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)(eth + 1), tcp);
	c->seq[dir] += len + ((flags & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG)) ? 1 : 0);
	return sizeof(*eth) + l3 + sizeof(*tcp) + len;
}

/* One EPB at p holding the frame of a segment; returns its size. */
static size_t
epb(uint8_t *p, struct conn *c, unsigned int dir, uint8_t flags, const uint8_t *pl, uint32_t len)
{
	size_t o = 28, flen;
	uint64_t ts = c->ts_ns++;

	flen = frame(p + o, c, dir, flags, pl, len);
	o += flen;
	while (o % 4)
		p[o++] = 0;
	o += put_opt(p + o, 1, c->comment, c->comment_len); /* opt_comment */
	o += put32(p + o, 0);
	o += 4;
	put32(p, 6);
	put32(p + 4, (uint32_t)o);
	put32(p + 8, 0); /* interface 0 */
	put32(p + 12, (uint32_t)(ts >> 32));
	put32(p + 16, (uint32_t)ts);
	put32(p + 20, (uint32_t)flen);
	put32(p + 24, (uint32_t)flen);
	put32(p + o - 4, (uint32_t)o);
	return o;
}

/* A name for a comment: printable, no spaces (they separate the fields). */
static void
clean(char *dst, size_t cap_len, const char *src, size_t len)
{
	size_t n = len < cap_len - 1 ? len : cap_len - 1;

	for (size_t i = 0; i < n; i++)
		dst[i] = isgraph((unsigned char)src[i]) ? src[i] : '?';
	dst[n] = '\0';
}

/* The request's bytes as the server would have seen them: pieces (at most 4) of one stream. */
struct piece {
	const uint8_t *p;
	uint32_t len;
};

static unsigned int
stream_pieces(const struct hp_cap_rec *r, struct piece pc[4], char *chunk_line, size_t cl_len)
{
	unsigned int n = 0;
	uint32_t body = r->len - r->head_len;

	pc[n++] = (struct piece){r->data, r->head_len};
	if (!(r->flags & HP_CAP_F_CHUNKED) || (r->flags & HP_CAP_F_HEAD_PART)) {
		pc[n++] = (struct piece){r->data + r->head_len, body};
		return n;
	}
	/* de-chunked by the parser: one chunk again, ended unless the body was cut */
	if (body != 0) {
		int k = snprintf(chunk_line, cl_len, "%" PRIx32 "\r\n", body);

		pc[n++] = (struct piece){(const uint8_t *)chunk_line, (uint32_t)k};
		pc[n++] = (struct piece){r->data + r->head_len, body};
	}
	if (!(r->flags & (HP_CAP_F_TRUNCATED | HP_CAP_F_BODY_PART)))
		pc[n++] =
			(struct piece){(const uint8_t *)(body != 0 ? "\r\n0\r\n\r\n" : "0\r\n\r\n"),
				       body != 0 ? 7u : 5u};
	return n;
}

/* Every frame of one refused request into cap.buf; returns the bytes. */
static size_t
build(const struct hp_cap_rec *r)
{
	char comment[CAP_COMMENT_MAX], ep[64], id[HP_EV_ID_MAX + 1], chunk_line[16];
	struct piece pc[4];
	uint8_t seg[CAP_MSS];
	unsigned int np = stream_pieces(r, pc, chunk_line, sizeof(chunk_line)), ip = 0;
	uint32_t off = 0, total = 0;
	struct conn c;
	size_t o = 0;
	int k;

	clean(ep, sizeof(ep), r->ep_name, strnlen(r->ep_name, sizeof(r->ep_name)));
	clean(id, sizeof(id), r->webhook_id, r->webhook_id_len);
	k = snprintf(comment, sizeof(comment), "hookpath: %s reason=%s endpoint=%s",
		     hp_ev_verdict_name((enum hp_ev_verdict)r->verdict),
		     hp_ev_reason_name((enum hp_ev_reason)r->reason), ep[0] != '\0' ? ep : "-");
	if (r->webhook_id_len != 0)
		k += snprintf(comment + k, sizeof(comment) - (size_t)k, " webhook_id=%s", id);
	if (r->flags & HP_CAP_F_TRUNCATED)
		k += snprintf(comment + k, sizeof(comment) - (size_t)k,
			      " truncated=%" PRIu32 "/%" PRIu64, r->len, r->orig_len);
	if (r->flags & HP_CAP_F_HEAD_PART)
		k += snprintf(comment + k, sizeof(comment) - (size_t)k, " head=partial");
	if (r->flags & HP_CAP_F_BODY_PART)
		k += snprintf(comment + k, sizeof(comment) - (size_t)k, " body=partial");
	if ((r->flags & HP_CAP_F_CHUNKED) && !(r->flags & HP_CAP_F_HEAD_PART))
		k += snprintf(comment + k, sizeof(comment) - (size_t)k, " chunked=one-chunk");
	snprintf(comment + k, sizeof(comment) - (size_t)k, " worker=%u", r->worker);

	memset(&c, 0, sizeof(c));
	c.r = r;
	c.ts_ns = hp_dp_wall_ns(r->tsc);
	c.comment = comment;
	c.comment_len = strlen(comment);
	cap.conn++;
	c.seq[0] = 0x10000000u + cap.conn * 0x10001u;
	c.seq[1] = 0x50000000u + cap.conn * 0x10003u;
	c.ip_id = (uint16_t)(cap.conn * 16);
	o += epb(cap.buf + o, &c, 0, RTE_TCP_SYN_FLAG, NULL, 0);
	o += epb(cap.buf + o, &c, 1, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, NULL, 0);
	o += epb(cap.buf + o, &c, 0, RTE_TCP_ACK_FLAG, NULL, 0);
	for (unsigned int i = 0; i < np; i++)
		total += pc[i].len;
	/* segments of CAP_MSS bytes gathered across the pieces */
	while (total != 0) {
		uint32_t n = 0, want = total < CAP_MSS ? total : CAP_MSS;

		while (n < want) {
			uint32_t t = pc[ip].len - off;

			if (t > want - n)
				t = want - n;
			memcpy(seg + n, pc[ip].p + off, t);
			n += t;
			off += t;
			if (off == pc[ip].len) {
				ip++;
				off = 0;
			}
		}
		total -= n;
		o += epb(cap.buf + o, &c, 0, RTE_TCP_ACK_FLAG | (total == 0 ? RTE_TCP_PSH_FLAG : 0),
			 seg, n);
	}
	o += epb(cap.buf + o, &c, 1, RTE_TCP_ACK_FLAG, NULL, 0);
	o += epb(cap.buf + o, &c, 0, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, NULL, 0);
	o += epb(cap.buf + o, &c, 1, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, NULL, 0);
	o += epb(cap.buf + o, &c, 0, RTE_TCP_ACK_FLAG, NULL, 0);
	return o;
}

/* ---- files ---- */

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n != 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void
write_failed(const char *what, int err)
{
	cap.write_errors++;
	if (!cap.err_logged)
		HP_LOG(WARNING,
		       "forensics.pcapng %s: %s: %s (counted in write_errors; logged once "
		       "until a write succeeds)\n",
		       cap.path, what, strerror(err));
	cap.err_logged = true;
	if (cap.fd >= 0)
		close(cap.fd);
	cap.fd = -1;
	cap.retry_tsc = rte_rdtsc() + rte_get_tsc_hz(); /* reopen at most once a second */
}

/* A new file at cap.path: mode 0600 whatever the umask, the section and interface first. */
static int
file_open(void)
{
	uint8_t head[256];
	size_t n = put_head(head);
	int fd, rc;

	fd = open(cap.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600) != 0 || (rc = write_all(fd, head, n)) != 0) {
		rc = -errno;
		close(fd);
		return rc != 0 ? rc : -EIO;
	}
	cap.fd = fd;
	cap.file_bytes = n;
	return 0;
}

/* path.k -> path.k+1 (path.(max_files-1) deleted), path -> path.1. */
static void
file_shift(void)
{
	char from[HP_CFG_PATH_LEN + 16], to[HP_CFG_PATH_LEN + 16];

	/* replaced under us by something that is not a regular file: left alone */
	if (hp_ctl_path_not_regular(cap.path))
		return;
	if (cap.max_files <= 1) {
		unlink(cap.path);
		return;
	}
	snprintf(from, sizeof(from), "%s.%u", cap.path, cap.max_files - 1);
	unlink(from);
	for (uint32_t k = cap.max_files - 1; k > 1; k--) {
		snprintf(from, sizeof(from), "%s.%u", cap.path, k - 1);
		snprintf(to, sizeof(to), "%s.%u", cap.path, k);
		rename(from, to);
	}
	snprintf(to, sizeof(to), "%s.1", cap.path);
	rename(cap.path, to);
}

static void
rotate(void)
{
	int rc;

	if (cap.fd >= 0)
		close(cap.fd);
	cap.fd = -1;
	file_shift();
	cap.rotations++;
	rc = file_open();
	if (rc != 0)
		write_failed("cannot open", -rc);
}

static void
write_rec(const struct hp_cap_rec *r)
{
	size_t n;
	int rc;

	if (cap.fd < 0) {
		if (rte_rdtsc() < cap.retry_tsc) {
			cap.write_errors++;
			return;
		}
		rc = file_open(); /* after an error: truncated, started again */
		if (rc != 0) {
			write_failed("cannot open", -rc);
			return;
		}
	}
	n = build(r);
	if (cap.file_bytes + n > cap.max_bytes && cap.file_bytes > 256) {
		rotate();
		if (cap.fd < 0)
			return;
	}
	rc = write_all(cap.fd, cap.buf, n);
	if (rc != 0) {
		write_failed("write", -rc);
		return;
	}
	cap.err_logged = false;
	cap.file_bytes += n;
	cap.bytes += n;
	cap.written++;
}

int
hp_ctl_capture_open(const struct hp_config *cfg, char *err, size_t errlen)
{
	const struct hp_forensics_config *fc = &cfg->forensics;
	size_t frames = fc->max_request_bytes / CAP_MSS + 2 + CAP_CTRL_FRAMES;
	struct stat st;
	int rc;

	if (!hp_config_forensics_wanted(cfg))
		return 0;
	snprintf(cap.path, sizeof(cap.path), "%s", fc->pcapng);
	cap.max_bytes = fc->max_file_bytes;
	cap.max_files = fc->max_files;
	cap.buf_size = frames * CAP_EPB_MAX + fc->max_request_bytes + 64;
	cap.buf = malloc(cap.buf_size);
	if (cap.buf == NULL) {
		snprintf(err, errlen, "forensics.max_request_bytes: cannot allocate %zu bytes",
			 cap.buf_size);
		return -ENOMEM;
	}
	/* only a regular file of ours is ever truncated, renamed, removed or chmod'ed: a
	 * device, a FIFO or a link in its place (/dev/null, by mistake) is refused; a file of
	 * an earlier run is kept as .1 (one section per file) */
	if (lstat(cap.path, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			snprintf(err, errlen,
				 "forensics.pcapng: %s exists and is not a regular file", cap.path);
			free(cap.buf);
			cap.buf = NULL;
			return -EINVAL;
		}
		if (st.st_size > 0)
			file_shift();
	}
	rc = file_open();
	if (rc != 0) {
		snprintf(err, errlen, "forensics.pcapng %s: cannot open: %s", cap.path,
			 strerror(-rc));
		free(cap.buf);
		cap.buf = NULL;
		return rc;
	}
	cap.on = true;
	return 0;
}

unsigned int
hp_ctl_capture_drain(unsigned int budget)
{
	unsigned int done = 0;

	if (!cap.on)
		return 0;
	for (unsigned int w = 0; w < hp_dp_n_workers() && done < budget; w++) {
		struct rte_ring *full, *free_slots;
		void *recs[32];
		unsigned int n;

		if (!hp_dp_capture_rings(w, &full, &free_slots))
			continue;
		n = rte_ring_sc_dequeue_burst(full, recs, RTE_MIN(32u, budget - done), NULL);
		for (unsigned int i = 0; i < n; i++)
			write_rec(recs[i]);
		/* the free ring holds every slot: room for these */
		rte_ring_sp_enqueue_burst(free_slots, recs, n, NULL);
		done += n;
	}
	return done;
}

void
hp_ctl_capture_close(void)
{
	if (!cap.on)
		return;
	while (hp_ctl_capture_drain(256) != 0)
		;
	if (cap.fd >= 0 && close(cap.fd) != 0)
		write_failed("close", errno);
	cap.fd = -1;
	free(cap.buf);
	cap.buf = NULL;
	cap.on = false;
}

json_t *
hp_ctl_capture_status(void)
{
	return json_pack("{s:b,s:I,s:I,s:I,s:I}", "enabled", cap.buf != NULL || cap.written != 0,
			 "written", (json_int_t)cap.written, "bytes", (json_int_t)cap.bytes,
			 "rotations", (json_int_t)cap.rotations, "write_errors",
			 (json_int_t)cap.write_errors);
}

void
hp_ctl_capture_metrics(FILE *f)
{
	fprintf(f,
		"# HELP hookpath_forensics_written_total Refused requests written to "
		"forensics.pcapng.\n"
		"# TYPE hookpath_forensics_written_total counter\n"
		"hookpath_forensics_written_total %" PRIu64 "\n"
		"# HELP hookpath_forensics_rotations_total Rotations of the forensic capture file "
		"(forensics.pcapng).\n"
		"# TYPE hookpath_forensics_rotations_total counter\n"
		"hookpath_forensics_rotations_total %" PRIu64 "\n"
		"# HELP hookpath_forensics_write_errors_total Refused requests not written: the "
		"capture file could not be opened or written.\n"
		"# TYPE hookpath_forensics_write_errors_total counter\n"
		"hookpath_forensics_write_errors_total %" PRIu64 "\n",
		cap.written, cap.rotations, cap.write_errors);
}
