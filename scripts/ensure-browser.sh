#!/usr/bin/env bash
# Install what the test suite needs from Debian when it is missing (needs root and apt):
# chromium for the Playwright browser tests, the fonts the synthetic plate renderer uses
# (plates/reading/training/synth.py: CJK and narrow Latin fonts; rendered test plates depend on the
# fonts found, so every machine that runs the tests gets the same set), and nginx and systemd, whose
# `nginx -t` and `systemd-analyze verify` check the deployment kit in deploy/ (tests/deploy/), the
# PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup, pg_verifybackup) with which the restore drill
# test starts throwaway clusters of its own (tests/core/test_backup_restore.py, scripts/restore-drill.sh),
# and for the PDF reports and notices (summary/, documents/): WeasyPrint's Pango and HarfBuzz subsetter
# (without it fontTools subsets the CJK font in seconds per document), the Noto Serif CJK font they embed,
# and poppler-utils, whose pdftotext, pdffonts and pdftoppm the tests read the PDFs with.
# Installing nginx starts no server where policy-rc.d forbids it (containers); elsewhere the Debian
# default site may start on port 80 and can be stopped with `systemctl disable --now nginx`.
set -euo pipefail
PACKAGES=(chromium fonts-noto-cjk fonts-wqy-microhei fonts-liberation fonts-urw-base35 nginx systemd postgresql
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing Debian packages ${missing[*]} cannot be installed here (needs root and apt-get);" \
       "browser, rendered-plate and deployment-kit tests will fail in CI and be skipped elsewhere" >&2
  exit 0
fi
echo "installing ${missing[*]} for the browser, plate and deployment-kit tests..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
