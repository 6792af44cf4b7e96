#!/usr/bin/env bash
# Back up vehicle-enforce: the PostgreSQL database (pg_dump custom format) and the evidence files.
# Usage: scripts/backup.sh DATABASE_URL EVIDENCE_DIR OUT_DIR
#   DATABASE_URL  postgresql://user@host:port/db (a +psycopg driver suffix is accepted)
# Writes OUT_DIR/database.dump, OUT_DIR/evidence.tar and OUT_DIR/MANIFEST (row counts and checksums).
set -euo pipefail
url="${1:?database url}"; evidence="${2:?evidence dir}"; out="${3:?output dir}"
url="${url/postgresql+psycopg:/postgresql:}"
mkdir -p "$out"
pg_dump --format=custom --no-owner --file="$out/database.dump" "$url"
if [ -d "$evidence" ]; then
  tar -C "$evidence" -cf "$out/evidence.tar" .
else
  tar -cf "$out/evidence.tar" --files-from /dev/null
fi
{
  echo "created $(date -u +%FT%TZ)"
  echo "database.dump $(sha256sum "$out/database.dump" | cut -d' ' -f1)"
  echo "evidence.tar $(sha256sum "$out/evidence.tar" | cut -d' ' -f1)"
} > "$out/MANIFEST"
echo "backup written to $out"
