#!/usr/bin/env bash
# Installs the OS packages that regbot's local stack and its tests need:
# redis-server, PostgreSQL and promtool (Debian/Ubuntu package names), and Chromium, the
# headless browser the Mini App form's tests drive. Go itself must already be
# installed. Safe to run repeatedly: it installs only what is missing.
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || need+=(redis-server)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
# promtool checks and unit-tests deploy/prometheus/alerts.yml (Debian ships it
# in the prometheus package; its service is not started here).
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
# Chromium runs the Mini App form's browser tests (internal/e2e).
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  need+=(chromium)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing: ${need[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
