#!/usr/bin/env bash
# Install every build, run and test dependency of hookpath from Debian 12 packages.
# Idempotent: installs only what is missing; apt-get update runs only when something is.
# Usage: deploy/setup.sh   (as root)
set -euo pipefail

PKGS=(
    # build; lint (deploy/lint.sh)
    build-essential meson ninja-build pkg-config clang clang-format codespell
    # run: DPDK (libs, PMDs incl. net_pcap/af_packet/ring/null/tap) and its tools (testpmd)
    dpdk dpdk-dev libdpdk-dev libnuma-dev libpcap-dev
    libyaml-dev libssl-dev libhyperscan-dev
    # tests: jansson reads the official signature vectors; python3-cryptography signs
    # Ed25519 (standard-webhooks v1a) in the traffic generator
    libjansson-dev python3-cryptography
    # tests: every event the pcap tests read is checked against docs/events.schema.json
    python3-jsonschema
    # hookpathctl: bash completion from its own parser (tests/api run it through bash)
    python3-argcomplete
    # tests/api: hookpathctl top read on a real terminal emulator
    tmux
    # tests and lab
    libcmocka-dev tshark python3 python3-scapy tcpreplay iproute2 iputils-ping ethtool curl procps
    valgrind
    # benchmarks: libhtp is the reference HTTP parser of bench_http
    libhtp-dev
    # benchmarks: PCRE2 (JIT) and RE2 run the PII patterns next to Hyperscan (bench_pii)
    libpcre2-dev libre2-dev
    # control plane: sinks (hiredis, libpq), REST API (libmicrohttpd + jansson); the sink
    # tests start real servers, the sink benchmark runs redis-benchmark
    libhiredis-dev libpq-dev libmicrohttpd-dev redis-server redis-tools postgresql
    # ML scoring: XGBoost's C API in process; python3-xgboost trains the default model and
    # is the reference the predictions are checked against
    libxgboost-dev python3-xgboost
    # ML scoring on a remote KServe v2 server: libcurl (multi interface) from the ML thread
    libcurl4-openssl-dev
    # systemd: sd_notify (Type=notify, watchdog); systemd-analyze verifies the units
    libsystemd-dev systemd
    # the Debian package (tests/deploy/test_package.sh): dpkg-buildpackage, lintian
    debhelper dpkg-dev lintian
    # Pktgen's replay script runs on a model of Pktgen's Lua API (tests/deploy)
    lua5.4
    # metrics: promtool (package prometheus) checks the live /metrics in tests/api. Its
    # postinst enables and starts a Prometheus server on :9090 where systemd runs (none of
    # the tests uses that port; `systemctl disable --now prometheus` if unwanted); in a
    # container without systemd nothing is started
    prometheus
)

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "setup: all ${#PKGS[@]} packages present"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages: ${missing[*]}; run as root to install them" >&2
    exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
