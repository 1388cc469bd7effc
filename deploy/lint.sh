#!/usr/bin/env bash
# Lint (CI runs it from deploy/test.sh; `ninja -C build lint` runs it too):
# - codespell over every tracked source and document (tests/corpus is others' text, left out;
#   domain words in .codespellrc);
# - layering: controlplane/ includes no dataplane-internal header;
# - clang-format (.clang-format) over the files listed in deploy/lint-format.txt: the files
#   formatted so far. A file joins the list in the commit that formats it whole, never in a
#   commit that changes what it does.
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
while read -r f; do
    case "$f" in ''|'#'*) continue ;; esac
    if ! clang-format --dry-run --Werror "$f"; then
        echo "lint: $f is not formatted (clang-format -i $f)"
        status=1
    fi
done < deploy/lint-format.txt
[ "$status" -eq 0 ] && echo "lint: ok"
exit "$status"
