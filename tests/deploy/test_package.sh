#!/usr/bin/env bash
# The Debian package (issue 16): built from the repository's files with dpkg-buildpackage in a
# copy (the tree stays clean), lintian without errors, and its contents: the binary, the CLI and
# its completion, both systemd units, the default model where the binary reads it, the SQL
# migrations, the example configuration as a conffile, the docs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d /tmp/hp-deb-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
mkdir "$TMP/src"
(cd "$ROOT" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$TMP/src")
cd "$TMP/src"
dpkg-buildpackage -b -us -uc >"$TMP/build.log" 2>&1 || { tail -50 "$TMP/build.log"; exit 1; }
DEB=$(ls "$TMP"/hookpath_*_amd64.deb)
echo "package: $(basename "$DEB") ($(du -k "$DEB" | cut -f1) KiB)"
lintian --fail-on error --tag-display-limit 0 "$DEB" >"$TMP/lintian.txt" 2>/dev/null || { cat "$TMP/lintian.txt"; exit 1; }
echo "lintian: $(grep -c "^W:" "$TMP/lintian.txt" || true) warning(s), no error"; grep "^W:" "$TMP/lintian.txt" || true
dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|' >"$TMP/files"
fail=0
for f in /usr/bin/hookpath /usr/bin/hookpathctl /usr/share/bash-completion/completions/hookpathctl \
         /lib/systemd/system/hookpath.service /lib/systemd/system/hookpath@.service \
         /lib/systemd/system/hookpath-setup.service /usr/sbin/hookpath-setup \
         /usr/share/hookpath/models/default.json /usr/share/hookpath/sql/001_events.sql \
         /usr/share/hookpath/migrate.sh /etc/hookpath/hookpath.yaml \
         /usr/share/hookpath/monitoring/hookpath.rules.yml \
         /usr/share/hookpath/monitoring/grafana-hookpath.json \
         /usr/share/doc/hookpath/copyright /usr/share/doc/hookpath/README.md.gz; do
    grep -qx -- "$f" "$TMP/files" || { echo "missing from the package: $f"; fail=1; }
done
dpkg-deb -e "$DEB" "$TMP/ctl"
grep -qx /etc/hookpath/hookpath.yaml "$TMP/ctl/conffiles" || { echo "not a conffile: /etc/hookpath/hookpath.yaml"; fail=1; }
# the unit starts the installed binary, and the binary reads the installed model
dpkg-deb -x "$DEB" "$TMP/root"
grep -q '^ExecStart=/usr/bin/hookpath ' "$TMP/root/lib/systemd/system/hookpath.service" || { echo "unit: ExecStart"; fail=1; }
strings "$TMP/root/usr/bin/hookpath" >"$TMP/strings"
grep -qF /usr/share/hookpath/models/default.json "$TMP/strings" || { echo "binary: model path"; fail=1; }
"$TMP/root/usr/bin/hookpath" --version
[ $fail = 0 ] && echo "package contents: OK"
exit $fail
