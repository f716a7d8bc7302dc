#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian/Ubuntu machine, skipping what is already there:
# the Debian packages (Chromium + driver, Prometheus, Jupyter + nbclient, pandas for the benchmark, fonts,
# PostgreSQL for the event store's second backend) and the npm dependencies. Without root or apt it prints the
# exact commands to run and fails.
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node -p 'process.versions.node.split(".").map(Number).slice(0,2).join(".")')
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' || {
  echo "bootstrap: Node >= 20.19 is required (found $node_major): it loads ES modules with require()." >&2
  exit 1
}

DEBIAN_PACKAGES=(chromium chromium-driver prometheus python3-nbclient jupyter-nbconvert jupyter-client
  jupyter-core python3-ipykernel jupyter-notebook python3-pandas fonts-dejavu-core postgresql)
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "bootstrap: installing Debian packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >&2
  else
    echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
    echo "  install them with: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

# npm ci when node_modules is missing or was installed from another package-lock.json (content, not mtime, is
# compared: a fresh clone's files are all new).
lock_sha=$(sha256sum package-lock.json | cut -d" " -f1)
if [ ! -d node_modules ] || [ "$(cat node_modules/.abrec-lock-sha256 2>/dev/null)" != "$lock_sha" ]; then
  echo "bootstrap: installing npm dependencies (npm ci; builds better-sqlite3, ~4 min the first time)" >&2
  npm ci --no-audit --no-fund >&2
  echo "$lock_sha" > node_modules/.abrec-lock-sha256
fi
