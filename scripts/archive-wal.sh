#!/usr/bin/env bash
# PostgreSQL archive_command: copy one finished WAL segment into the archive directory, durably.
# In postgresql.conf (see deploy/backups.md):
#   archive_mode = on
#   archive_command = '/opt/vehicle-enforce/scripts/archive-wal.sh %p %f /var/lib/postgresql/wal-archive'
# Exit 0 only once the segment is on disk under its final name, so PostgreSQL recycles it only then.
# A segment already archived with the same bytes succeeds (a retry after a crash between copy and
# answer); one with different bytes fails loudly, as the PostgreSQL documentation asks.
set -euo pipefail
src="${1:?%p: path of the segment}"; name="${2:?%f: file name of the segment}"; dir="${3:?archive directory}"
target="$dir/$name"
if [ -e "$target" ]; then
  cmp -s "$src" "$target" && exit 0
  echo "archive-wal: $target exists with different content; refusing to overwrite" >&2
  exit 1
fi
tmp="$dir/.$name.partial"
cp "$src" "$tmp"
sync "$tmp"          # the bytes are on disk before the name appears
mv "$tmp" "$target"
sync "$dir"          # and so is the name
