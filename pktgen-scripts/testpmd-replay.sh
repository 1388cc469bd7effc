#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# testpmd-replay.sh - replay a pcap out of a DPDK port with dpdk-testpmd (io forwarding),
# printing port stats every interval, then stop and quit.
#
# usage: testpmd-replay.sh [-t SECONDS] [-s SECONDS] [-L] [-r RETURNED.pcap] PCAP -- EAL-ARGS... [-- TESTPMD-ARGS...]
#   -t  seconds of forwarding before "stop" (default 5)   -s  stats interval in seconds (default 1)
#   -L  loop the pcap (net_pcap infinite_rx=1)            -r  record what the NIC sends back (default /dev/null)
# The pcap port is a net_pcap vdev this script adds; EAL-ARGS name the real port
# (e.g. -a 0000:03:00.0) and the lcores. TESTPMD=path overrides the binary.
# Example:  pktgen-scripts/testpmd-replay.sh -t 10 webhooks.pcap -- -l 0,1 -n 4 -a 0000:03:00.0
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run=5 every=1 loop="" ret=/dev/null
usage() { sed -n '3,11p' "$0" >&2; exit 2; }
while getopts t:s:Lr: o; do
	case $o in
	t) run=$OPTARG ;;
	s) every=$OPTARG ;;
	L) loop=",infinite_rx=1" ;;
	r) ret=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
pcap=$1
shift
[ -r "$pcap" ] || { echo "cannot read $pcap" >&2; exit 2; }
[ "${1:-}" = "--" ] && shift
eal=() app=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do eal+=("$1"); shift; done
[ $# -gt 0 ] && shift
app=("$@")

feed() {
	local t=0
	while [ "$t" -lt "$run" ]; do
		sleep "$every"
		t=$((t + every))
		echo "show port stats all"
	done
	echo "stop"
	echo "show port stats all"
	echo "quit"
}

feed | "${TESTPMD:-dpdk-testpmd}" "${eal[@]}" --vdev "net_pcap_replay,rx_pcap=$pcap,tx_pcap=$ret$loop" \
	-- -i --cmdline-file="$here/testpmd-replay.cmd" "${app[@]}"
