#!/usr/bin/env bash
# The README's test command: install what is missing, build with warnings as errors, run every
# suite (unit, pcap, lab, then the libFuzzer smoke runs in a clang build), and print one
# "N passed, N failed" line. Run as root (the lab suite makes network namespaces; without
# root it is skipped, not failed).
# Usage: deploy/test.sh [meson test args, e.g. --suite unit]
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/setup.sh

if [ ! -f build/build.ninja ]; then
    meson setup build -Dwerror=true
fi
ninja -C build

# codespell and clang-format (deploy/lint.sh): a failure fails the run, after the tests
lint_status=0
deploy/lint.sh || lint_status=1

status=0
meson test -C build --print-errorlogs --num-processes 2 "$@" || status=1
cp build/meson-logs/testlog.json build/testlog-main.json

fuzz_status=0
logs=(build/testlog-main.json)
if [ "$#" -eq 0 ]; then
    if [ ! -f build-fuzz/build.ninja ]; then
        CC=clang meson setup build-fuzz -Dfuzzing=true -Dwerror=true \
            -Dfuzz_seconds="${HP_FUZZ_SECONDS:-20}"
    fi
    ninja -C build-fuzz
    meson test -C build-fuzz --print-errorlogs --suite fuzz --num-processes 2 || fuzz_status=1
    cp build-fuzz/meson-logs/testlog.json build-fuzz/testlog-fuzz.json
    # the dataplane's unit tests again under ASan/UBSan with HP_ASSERT checked
    meson test -C build-fuzz --print-errorlogs --suite dataplane --num-processes 2 ||
        fuzz_status=1
    cp build-fuzz/meson-logs/testlog.json build-fuzz/testlog-dataplane.json
    logs+=(build-fuzz/testlog-fuzz.json build-fuzz/testlog-dataplane.json)
fi

# One closing line over both runs, from meson's own logs.
/usr/bin/python3 - "${logs[@]}" <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
PY
[ "$lint_status" -eq 0 ] || echo "lint failed (deploy/lint.sh)"
[ "$status" -eq 0 ] && [ "$fuzz_status" -eq 0 ] && [ "$lint_status" -eq 0 ]
