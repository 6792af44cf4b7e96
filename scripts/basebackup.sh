#!/usr/bin/env bash
# Physical backup of vehicle-enforce: a pg_basebackup of the whole PostgreSQL cluster plus the evidence
# files. With WAL archiving on (scripts/archive-wal.sh) it restores to any moment after it was taken:
# scripts/restore-drill.sh rehearses that. See deploy/backups.md.
# Usage: scripts/basebackup.sh CONNINFO EVIDENCE_DIR OUT_DIR
#   CONNINFO      a role with the REPLICATION attribute, e.g. postgresql://backup@127.0.0.1:5432/postgres
#                 (a +psycopg driver suffix is accepted; pg_hba.conf needs a `replication` line for it)
#   EVIDENCE_DIR  the evidence store (VE_EVIDENCE_PATH), or - when it is mirrored separately
# Writes OUT_DIR/base/{base.tar.gz,pg_wal.tar.gz,backup_manifest}, OUT_DIR/evidence.tar and OUT_DIR/MANIFEST
# (SHA-256 of each file). The evidence is archived after the database: evidence files are written
# before the rows naming them commit and never change, so every file the backup's rows name is in it.
set -euo pipefail
url="${1:?connection string}"; evidence="${2:?evidence dir or -}"; out="${3:?output dir}"
url="${url/postgresql+psycopg:/postgresql:}"
if [ -e "$out/base" ]; then
  echo "basebackup: $out/base exists; each backup goes into a new directory" >&2
  exit 1
fi
mkdir -p "$out"
# Tar format, gzipped; the WAL needed to make the copy consistent is streamed beside it (pg_wal.tar.gz),
# so the backup restores even without the archive; the manifest lets pg_verifybackup check every file.
pg_basebackup --dbname="$url" --pgdata="$out/base" --format=tar --gzip --wal-method=stream \
  --checkpoint=fast --manifest-checksums=SHA256 --label="vehicle-enforce $(date -u +%FT%TZ)"
if [ "$evidence" = "-" ]; then
  :
elif [ -d "$evidence" ]; then
  tar -C "$evidence" -cf "$out/evidence.tar" .
else
  tar -cf "$out/evidence.tar" --files-from /dev/null
fi
{
  echo "created $(date -u +%FT%TZ)"
  for f in base/base.tar.gz base/pg_wal.tar.gz base/backup_manifest evidence.tar; do
    if [ -e "$out/$f" ]; then echo "$f $(sha256sum "$out/$f" | cut -d' ' -f1)"; fi
  done
} > "$out/MANIFEST"
echo "base backup written to $out"
