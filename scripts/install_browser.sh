#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing (CI runs as root on Debian).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the browser tests..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "note: /usr/bin/chromium is missing; browser tests will be skipped (sudo apt-get install chromium)" >&2
fi
