#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY database and evidence folder.
# Usage: scripts/restore.sh BACKUP_DIR DATABASE_URL EVIDENCE_DIR
set -euo pipefail
backup="${1:?backup dir}"; url="${2:?database url}"; evidence="${3:?evidence dir}"
url="${url/postgresql+psycopg:/postgresql:}"
for f in database.dump evidence.tar; do
  expected=$(grep "^$f " "$backup/MANIFEST" | cut -d' ' -f2)
  actual=$(sha256sum "$backup/$f" | cut -d' ' -f1)
  [ "$expected" = "$actual" ] || { echo "checksum mismatch for $f" >&2; exit 1; }
done
pg_restore --no-owner --exit-on-error --dbname="$url" "$backup/database.dump"
mkdir -p "$evidence"
tar -C "$evidence" -xf "$backup/evidence.tar"
echo "restored $backup"
