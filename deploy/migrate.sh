#!/usr/bin/env bash
# Apply hookpath's Postgres migrations (deploy/sql/NNN_*.sql) that the database lacks, in
# order, each in its own transaction, recorded in hookpath_schema_migrations. Idempotent.
# Usage: deploy/migrate.sh "<libpq conninfo or URI>"
set -euo pipefail
dsn=${1:?usage: migrate.sh DSN}
dir=$(cd "$(dirname "$0")/sql" && pwd)
psql() { command psql -X -q -v ON_ERROR_STOP=1 -d "$dsn" "$@"; }
psql -c "CREATE TABLE IF NOT EXISTS hookpath_schema_migrations (
           version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
have=$(psql -tA -c "SELECT coalesce(max(version), 0) FROM hookpath_schema_migrations")
for f in "$dir"/[0-9][0-9][0-9]_*.sql; do
    v=$((10#$(basename "$f" | cut -c1-3)))
    [ "$v" -le "$have" ] && continue
    echo "migrate: applying $(basename "$f")"
    { echo "BEGIN;"; cat "$f";
      echo "INSERT INTO hookpath_schema_migrations (version, name) VALUES ($v, '$(basename "$f")');"
      echo "COMMIT;"; } | psql
done
echo "migrate: schema at version $(psql -tA -c 'SELECT max(version) FROM hookpath_schema_migrations')"
