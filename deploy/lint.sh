#!/usr/bin/env bash
# Lint (CI runs it from deploy/test.sh; `ninja -C build lint` runs it too):
# - codespell over every tracked source and document (tests/corpus is others' text, left out;
#   domain words in .codespellrc);
# - layering: controlplane/ includes no dataplane-internal header;
# - clang-format (.clang-format) over every tracked C source and header (tests/corpus is
#   others' code, left as it came).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
mapfile -t files < <(git ls-files | grep -Ev '^tests/corpus/|\.(pcap|json|yaml)$|^tests/fuzz/seeds/')
if ! codespell "${files[@]}"; then
    echo "lint: codespell found misspellings (a real word of the domain goes in .codespellrc)"
    status=1
fi
# layering: the control plane sees the dataplane through dataplane/dp.h (and the event and
# resolver message formats), never its internal types (docs/ARCHITECTURE.md)
if git grep -n -E '#include "(dp_types|dp_session_priv|dp_stage|dp_tx|dp_worker|dp_flow)\.h"' \
    -- controlplane/; then
    echo "lint: controlplane/ includes a dataplane-internal header (use dataplane/dp.h)"
    status=1
fi
mapfile -t csrc < <(git ls-files '*.c' '*.h' | grep -v '^tests/corpus/')
if ! clang-format --dry-run --Werror "${csrc[@]}"; then
    echo "lint: not formatted: run clang-format -i on the files above"
    status=1
fi
[ "$status" -eq 0 ] && echo "lint: ok"
exit "$status"
