# hookpath: dpdk-testpmd command file - forward a pcap out of a real port (io mode).
#
# Use with interactive testpmd: -i --cmdline-file=pktgen-scripts/testpmd-replay.cmd
# The pcap is read by a net_pcap vdev (rx_pcap=FILE); testpmd's io forwarding sends
# what that port receives out of its paired port (the NIC), and back.
#
# testpmd command files have no "sleep": every line runs at once, then the
# interactive prompt reads stdin. So this file sets up, starts forwarding and
# prints the stats once; the periodic "show port stats all" and the final
# "stop"/"quit" are fed on stdin, e.g. by pktgen-scripts/testpmd-replay.sh or:
#
#   { for i in 1 2 3 4 5; do sleep 1; echo "show port stats all"; done; \
#     echo stop; echo "show port stats all"; echo quit; } | dpdk-testpmd ... -- -i \
#     --cmdline-file=pktgen-scripts/testpmd-replay.cmd
#
# See pktgen-scripts/README.md for complete command lines.
#
# "start" normally drains every rx queue first; with an rx_pcap port that drain
# would read (and drop) the whole pcap, so it must be off.
set flush_rx off
set fwd io
set verbose 0
show config fwd
clear port stats all
start
show port stats all
