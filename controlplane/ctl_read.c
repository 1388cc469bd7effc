/* SPDX-License-Identifier: BSD-3-Clause
 * hookpath -r FILE (offline analysis, like suricata -r): the capture, pcap or pcapng of any
 * link type libpcap reads that carries IP, is written again as an Ethernet pcap for the
 * net_pcap port the analysis runs on. Ethernet frames are copied as they are; Linux cooked
 * (SLL, SLL2), BSD loopback (NULL, LOOP) and raw IP (RAW, IPV4, IPV6) packets get an Ethernet
 * header with their protocol's EtherType; a packet of another protocol, or too short for its
 * link header, is counted and left out. Timestamps are kept to the microsecond (what net_pcap
 * gives the workers), so dataplane.clock: capture judges each request at its capture time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "ctl.h"

#define ETH_HLEN_  14
#define SNAP_MAX   65535
#define ETYPE_IPV4 0x0800
#define ETYPE_IPV6 0x86DD
#define ETYPE_VLAN 0x8100
#define ETYPE_ARP  0x0806

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The EtherType of a raw IP packet from its version nibble, 0 when it is neither. */
static uint16_t
ip_etype(const uint8_t *p, uint32_t n)
{
	if (n < 1)
		return 0;
	return (p[0] >> 4) == 4 ? ETYPE_IPV4 : (p[0] >> 4) == 6 ? ETYPE_IPV6 : 0;
}

/* The payload (what follows the link header) and its EtherType, for one packet of linktype
 * dlt; -1 when it carries nothing hookpath reads or is too short. */
static int
strip_link(int dlt, const uint8_t *p, uint32_t n, uint32_t *off, uint16_t *etype)
{
	switch (dlt) {
	case DLT_LINUX_SLL: /* 16 bytes, protocol at 14 */
		if (n < 16)
			return -1;
		*off = 16;
		*etype = rd16(p + 14);
		return 0;
	case DLT_LINUX_SLL2: /* 20 bytes, protocol at 0 */
		if (n < 20)
			return -1;
		*off = 20;
		*etype = rd16(p);
		return 0;
	case DLT_NULL:
	case DLT_LOOP: /* 4 bytes of address family: AF_INET6's value differs by OS, so the IP
			* header's version says what follows */
		if (n < 4)
			return -1;
		*off = 4;
		*etype = ip_etype(p + 4, n - 4);
		return *etype != 0 ? 0 : -1;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		*off = 0;
		*etype = ip_etype(p, n);
		return *etype != 0 ? 0 : -1;
	default:
		return -1;
	}
}

int
hp_ctl_read_prepare(const char *in, const char *out, struct hp_read_info *info, char *err,
		    size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	pcap_t *r, *w = NULL;
	pcap_dumper_t *d = NULL;
	struct pcap_pkthdr *h;
	const u_char *pkt;
	uint8_t *buf = NULL;
	int dlt, rc = 0, res;

	memset(info, 0, sizeof(*info));
	r = pcap_open_offline_with_tstamp_precision(in, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (r == NULL) {
		snprintf(err, errlen, "-r %s: %s", in, perr);
		return -1;
	}
	dlt = pcap_datalink(r);
	info->linktype = dlt;
	snprintf(info->linktype_name, sizeof(info->linktype_name), "%s",
		 pcap_datalink_val_to_name(dlt) != NULL ? pcap_datalink_val_to_name(dlt) : "?");
	if (dlt != DLT_EN10MB && dlt != DLT_LINUX_SLL && dlt != DLT_LINUX_SLL2 && dlt != DLT_NULL &&
	    dlt != DLT_LOOP && dlt != DLT_RAW && dlt != DLT_IPV4 && dlt != DLT_IPV6) {
		snprintf(err, errlen,
			 "-r %s: link type %s (%d) is not read: Ethernet, Linux SLL/SLL2, "
			 "NULL/Loopback and raw IP are",
			 in, info->linktype_name, dlt);
		pcap_close(r);
		return -1;
	}
	w = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, SNAP_MAX, PCAP_TSTAMP_PRECISION_MICRO);
	buf = malloc(SNAP_MAX + ETH_HLEN_);
	if (w == NULL || buf == NULL || (d = pcap_dump_open(w, out)) == NULL) {
		snprintf(err, errlen, "-r: cannot write %s: %s", out,
			 w != NULL && d == NULL ? pcap_geterr(w) : "out of memory");
		rc = -1;
		goto done;
	}
	while ((res = pcap_next_ex(r, &h, &pkt)) == 1) {
		struct pcap_pkthdr oh = *h;
		uint32_t off = 0;
		uint16_t et = 0;

		info->packets++;
		if (dlt == DLT_EN10MB) {
			pcap_dump((u_char *)d, h, pkt);
			info->written++;
			continue;
		}
		if (h->caplen != h->len || strip_link(dlt, pkt, h->caplen, &off, &et) != 0 ||
		    (et != ETYPE_IPV4 && et != ETYPE_IPV6 && et != ETYPE_VLAN && et != ETYPE_ARP) ||
		    h->caplen - off > SNAP_MAX) {
			info->skipped++; /* truncated, too short, or not IP */
			continue;
		}
		/* a locally administered pair of addresses: the decoder reads none of them */
		memcpy(buf, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
		buf[12] = (uint8_t)(et >> 8);
		buf[13] = (uint8_t)et;
		memcpy(buf + ETH_HLEN_, pkt + off, h->caplen - off);
		oh.caplen = oh.len = h->caplen - off + ETH_HLEN_;
		pcap_dump((u_char *)d, &oh, buf);
		info->written++;
	}
	if (res == -1) {
		snprintf(err, errlen, "-r %s: after %llu packets: %s", in,
			 (unsigned long long)info->packets, pcap_geterr(r));
		rc = -1;
	}
done:
	if (d != NULL)
		pcap_dump_close(d);
	if (w != NULL)
		pcap_close(w);
	pcap_close(r);
	free(buf);
	if (rc != 0)
		unlink(out);
	return rc;
}
