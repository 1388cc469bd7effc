#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# PII scan benchmark (issue 6): generates the labelled webhook corpus once into /tmp with
# tests/pii/gen_corpus.py and runs build/tests/bench/bench_pii over it (hookpath's lib/pii next
# to PCRE2 JIT and RE2 on the same expressions, same bodies, same run). Builds nothing.
#
#   tests/bench/bench_pii.sh [BUILD_DIR] [bench_pii options...]
#     BUILD_DIR  meson build directory holding tests/bench/bench_pii (default: build)
#     options    passed on, e.g. --seconds 2 --runs 5 --cpu 1 --per-entity
#   BENCH_PII_COUNT  bodies to generate (default 20000), BENCH_PII_SEED (default 1),
#   BENCH_PII_CORPUS corpus file (default /tmp/hookpath-pii-corpus-SEED-COUNT-GENSUM.jsonl,
#                    GENSUM the generator's cksum; reused if it exists)
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
build=build
case "${1:-}" in
"" | -*) ;;
*) build=$1; shift ;;
esac
case "$build" in
/*) ;;
*) build="$root/$build" ;;
esac
bin="$build/tests/bench/bench_pii"
count=${BENCH_PII_COUNT:-20000}
seed=${BENCH_PII_SEED:-1}
gen="$root/tests/pii/gen_corpus.py"
gensum=$(cksum <"$gen" | cut -d' ' -f1)
corpus=${BENCH_PII_CORPUS:-/tmp/hookpath-pii-corpus-$seed-$count-$gensum.jsonl}

if [ ! -x "$bin" ]; then
	echo "bench_pii.sh: $bin not built (needs a C++ compiler, libpcre2-dev, libre2-dev and" \
		"-Dtests=true: meson setup $build -Dtests=true && ninja -C $build)" >&2
	exit 1
fi
if [ -n "$(find "$root/lib/pii" -newer "$bin" -name '*.[ch]' 2>/dev/null)" ]; then
	echo "bench_pii.sh: warning: lib/pii changed since $bin was built (ninja -C $build)" >&2
fi
if [ ! -s "$corpus" ]; then
	echo "bench_pii.sh: generating $count bodies (seed $seed) into $corpus" >&2
	/usr/bin/python3 "$gen" --seed "$seed" --count "$count" \
		--out "$corpus.tmp"
	mv "$corpus.tmp" "$corpus"
fi
rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git -C "$root" diff --quiet HEAD -- lib/pii 2>/dev/null; then
	rev="$rev+uncommitted lib/pii changes"
fi
echo "bench_pii.sh: tree $rev, $(uname -m), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
exec "$bin" "$corpus" "$@"
