#!/usr/bin/env bash
# Restore drill: restore a base backup (scripts/basebackup.sh) and replay the WAL archive into a fresh
# PostgreSQL cluster on another port, then prove the copy is whole: every table's row count (equal to the
# source's with --compare-with) and every evidence file the restored rows name, checked by its SHA-256.
# Run it on a schedule (deploy/backups.md); tests/core/test_backup_restore.py runs it in CI.
#
# Usage: scripts/restore-drill.sh [options] BACKUP_DIR WAL_ARCHIVE DATA_DIR PORT
#   BACKUP_DIR      written by scripts/basebackup.sh (MANIFEST, base/, evidence.tar)
#   WAL_ARCHIVE     the directory archive-wal.sh archives into (read only: the drill never archives)
#   DATA_DIR        a new, empty directory for the restored cluster
#   PORT            its port; it listens on a private Unix socket only (no TCP), so nobody else reads it
# Options:
#   --database NAME        the database whose tables are counted (default vehicle_enforce)
#   --compare-with URL     the source database: switch its WAL, wait until that segment is archived,
#                          count its tables too and fail on any difference (use on a quiet source)
#   --evidence-to DIR      restore evidence.tar here and check every evidence_files row's file
#   --evidence-mirror DIR  also copy this evidence mirror (rsync'd store, if evidence is not in the backup)
#   --report FILE          where the report goes (default: DATA_DIR.report)
#   --keep-running         leave the restored cluster running (pg_ctl -D DATA_DIR stop ends it)
#   --target-time TIME     stop the replay at this moment (e.g. '2026-12-06 14:59:00+08') instead of the end
#   --timeout SECONDS      for the archive wait and the recovery (default 600)
#   --superuser NAME       the cluster's superuser role (default postgres)
# As root, the PostgreSQL server runs as the OS user PG_OS_USER (default postgres): initdb and postgres
# refuse root. PG_BIN overrides the directory of the server binaries (default: the backup's major version
# under /usr/lib/postgresql).
set -euo pipefail

database=vehicle_enforce; compare=""; evidence_to=""; mirror=""; report=""; keep=0; timeout=600
superuser=postgres; target=""
while [ $# -gt 0 ]; do
  case "$1" in
    --database) database="$2"; shift 2 ;;
    --compare-with) compare="${2/postgresql+psycopg:/postgresql:}"; shift 2 ;;
    --evidence-to) evidence_to="$2"; shift 2 ;;
    --evidence-mirror) mirror="$2"; shift 2 ;;
    --report) report="$2"; shift 2 ;;
    --keep-running) keep=1; shift ;;
    --target-time) target="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --superuser) superuser="$2"; shift 2 ;;
    --) shift; break ;;
    -*) echo "restore-drill: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -eq 4 ] || { sed -n '7,11p' "$0" >&2; exit 2; }
backup="$(realpath "$1")"; archive="$(realpath "$2")"; data="$(realpath -m "$3")"; port="$4"
report="${report:-$data.report}"
say() { echo "restore-drill: $*"; echo "$*" >> "$report"; }
fail() { echo "restore-drill: FAILED: $*" >&2; echo "FAILED: $*" >> "$report"; exit 1; }

os_user="$(id -un)"
if [ "$(id -u)" -eq 0 ]; then os_user="${PG_OS_USER:-postgres}"; fi
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u "$os_user" -- "$@"; else "$@"; fi; }

: > "$report"
say "drill started $(date -u +%FT%TZ): backup $backup, archive $archive, cluster $data on port $port"

# 1. The backup is the one that was written: the MANIFEST's checksums.
[ -f "$backup/MANIFEST" ] || fail "$backup/MANIFEST is missing"
while read -r name sum; do
  [ "$name" = created ] && continue
  [ "$(sha256sum "$backup/$name" | cut -d' ' -f1)" = "$sum" ] || fail "checksum mismatch for $name"
done < "$backup/MANIFEST"
say "MANIFEST checksums match"

# 2. With a source to compare with: close its current WAL segment and wait until it is archived, so the
#    archive holds every transaction committed so far.
if [ -n "$compare" ]; then
  segment=$(psql "$compare" -XAtq -c "SELECT pg_walfile_name(pg_switch_wal() - 1)")
  waited=0
  until [ "$(psql "$compare" -XAtq -c "SELECT coalesce(last_archived_wal, '') >= '$segment' FROM pg_stat_archiver")" = t ]; do
    [ "$waited" -lt "$timeout" ] || fail "segment $segment was not archived within ${timeout}s (archive_command failing?)"
    sleep 1; waited=$((waited + 1))
  done
  say "source WAL switched; segment $segment archived"
fi

# 3. A fresh data directory from the base backup and the WAL streamed with it.
if [ -e "$data" ] && [ -n "$(ls -A "$data")" ]; then fail "$data is not empty"; fi
mkdir -p "$data"; chmod 700 "$data"
tar -C "$data" -xzf "$backup/base/base.tar.gz"
mkdir -p "$data/pg_wal"
tar -C "$data/pg_wal" -xzf "$backup/base/pg_wal.tar.gz"
version="$(cat "$data/PG_VERSION")"
bin="${PG_BIN:-/usr/lib/postgresql/$version/bin}"
[ -x "$bin/postgres" ] || fail "PostgreSQL $version server binaries not found in $bin (set PG_BIN)"
"$bin/pg_verifybackup" --quiet --manifest-path="$backup/base/backup_manifest" "$data" \
  || fail "pg_verifybackup found a damaged or incomplete backup"
say "pg_verifybackup: every file of the backup and its WAL check out (PostgreSQL $version)"

# 4. Recover from the archive to its end, then promote. The drill's own settings come last in
#    postgresql.auto.conf, so they win over the source's: no archiving into the real archive, no TCP.
sockets="$data.sockets"
mkdir -p "$sockets"; chmod 700 "$sockets"
[ -f "$data/postgresql.conf" ] || : > "$data/postgresql.conf"   # Debian keeps it in /etc/postgresql
cat > "$data/pg_hba.drill.conf" <<EOF
# restore drill: only the private socket directory $sockets, readable by $os_user alone
local all all trust
EOF
cat >> "$data/postgresql.auto.conf" <<EOF
# restore drill (scripts/restore-drill.sh)
port = $port
listen_addresses = ''
unix_socket_directories = '$sockets'
hba_file = '$data/pg_hba.drill.conf'
archive_mode = off
hot_standby = off
restore_command = 'cp "$archive/%f" "%p"'
recovery_target_timeline = 'latest'
EOF
if [ -n "$target" ]; then
  printf "recovery_target_time = '%s'\nrecovery_target_action = 'promote'\n" "$target" >> "$data/postgresql.auto.conf"
fi
touch "$data/recovery.signal"
if [ "$(id -u)" -eq 0 ]; then chown -R "$os_user:" "$data" "$sockets"; fi
as_pg test -r "$archive" || fail "$os_user cannot read the archive $archive"

stop() { as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true; }
[ "$keep" -eq 1 ] || trap stop EXIT
started=$(date +%s)
# hot_standby = off: the server answers only once recovery has ended and it was promoted.
as_pg "$bin/pg_ctl" -D "$data" -l "$data/restore-drill.log" -t "$timeout" -w start >/dev/null \
  || fail "the restored cluster did not start; see $data/restore-drill.log"
sql() { as_pg psql -h "$sockets" -p "$port" -U "$superuser" -d "$database" -XAtq -v ON_ERROR_STOP=1 "$@"; }
# pg_ctl returns once the server runs; with hot_standby = off it refuses connections until recovery ends.
until [ "$(sql -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ]; do
  [ $(( $(date +%s) - started )) -lt "$timeout" ] || fail "still recovering after ${timeout}s; see $data/restore-drill.log"
  as_pg "$bin/pg_ctl" -D "$data" status >/dev/null || fail "the restored cluster stopped; see $data/restore-drill.log"
  sleep 1
done
say "recovered and promoted in $(( $(date +%s) - started ))s: $(grep -c "restored log file" "$data/restore-drill.log" || true) archived segments replayed"

# 5. Row counts of every table (a partitioned table counts all its partitions).
count_sql="SELECT format('SELECT %L, count(*) FROM %I.%I', c.relname, n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname"
restored_counts="$(printf '%s\n\\gexec\n' "$count_sql" | sql -F ' ')"
[ -n "$restored_counts" ] || fail "no tables in database $database of the restored cluster"
{ echo "row counts of the restored database $database:"; echo "$restored_counts"; } >> "$report"
say "$(echo "$restored_counts" | wc -l) tables counted"
if [ -n "$compare" ]; then
  source_counts="$(printf '%s\n\\gexec\n' "$count_sql" | psql "$compare" -XAtq -v ON_ERROR_STOP=1 -F ' ')"
  if [ "$source_counts" != "$restored_counts" ]; then
    diff <(echo "$source_counts") <(echo "$restored_counts") >> "$report" || true
    fail "row counts differ from the source (diff in $report)"
  fi
  say "row counts equal the source's in every table"
fi

# 6. Evidence: restored beside the database, and every file a restored row names is there, whole.
if [ -n "$evidence_to" ]; then
  mkdir -p "$evidence_to"
  [ -f "$backup/evidence.tar" ] && tar -C "$evidence_to" -xf "$backup/evidence.tar"
  [ -n "$mirror" ] && cp -a --no-clobber "$mirror/." "$evidence_to/"
  listing="$(sql -c "SELECT sha256 || '  ' || substr(sha256, 1, 2) || '/' || substr(sha256, 3, 2) || '/' || sha256 FROM evidence_files ORDER BY id")"
  files=$(printf '%s' "$listing" | grep -c . || true)
  if [ "$files" -gt 0 ]; then
    (cd "$evidence_to" && printf '%s\n' "$listing" | sha256sum --quiet --check --strict) >> "$report" 2>&1 \
      || fail "evidence files missing or damaged (listed in $report)"
  fi
  say "evidence: all $files files named by the restored evidence_files rows are present and match their SHA-256"
fi
say "drill passed $(date -u +%FT%TZ)"
if [ "$keep" -eq 1 ]; then
  echo "restore-drill: the restored cluster keeps running: psql -h $sockets -p $port -U $superuser $database"
fi
