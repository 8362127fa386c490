#!/usr/bin/env bash
# One-time set-up for a fresh Debian/Ubuntu machine: what npm cannot install (redis-server), then the npm packages.
# The tests need more: Chromium (browser tests), ffmpeg and traceroute (the anti-theft agent's snapshot and traceroute
# tests): pass --with-test-tools (CI does; --with-browser is the older name).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
if [[ " $* " == *" --with-test-tools "* || " $* " == *" --with-browser "* ]]; then
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
  command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
  command -v traceroute >/dev/null 2>&1 || need_apt+=(traceroute)
  command -v tracepath >/dev/null 2>&1 || need_apt+=(iputils-tracepath)
fi

if [ ${#need_apt[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "Installing ${need_apt[*]} with apt-get"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
  else
    echo "Please install: ${need_apt[*]} (no apt-get here)" >&2
    exit 1
  fi
fi

node -e 'const [a]=process.versions.node.split(".").map(Number); if (a < 20) { console.error("Vigil needs Node.js 20 or newer, this is " + process.version); process.exit(1) }'
# npm ci refuses this lock: chdb lists optional engine packages for other platforms that the registry may not
# serve, so they cannot be locked. npm install uses the same lock for everything else.
npm install --no-audit --no-fund
npm run build
echo "Set-up done. Start Vigil with: npm start"
