#!/bin/sh
# Makes sure the system programs the tests use are installed (npm's `pretest` and .ci/run call it):
#   chromium      browser tests (test/e2e, Playwright drives Debian's /usr/bin/chromium)
#   nats-server   the risk engine's JetStream scale-out test
#   dnstwist      the guard's typo-domain tests and evaluation compare against it
#   postgresql    the kill -9 withdrawal test needs a real server (a second process to kill); CI also
#                 runs every database suite on it (--postgres is kept as a no-op for .ci/run)
# Missing ones are installed with apt-get when running as root with apt-get available (one quiet
# `apt-get update` first); otherwise the script stops at once, printing the one command to run.
set -eu

for arg in "$@"; do
  case "$arg" in
    --postgres) ;; # kept for .ci/run: PostgreSQL is always checked now
    *) echo "usage: scripts/ensure-system-packages.sh [--postgres]" >&2; exit 2 ;;
  esac
done

missing=""
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing="$missing chromium"
command -v nats-server >/dev/null 2>&1 || missing="$missing nats-server"
command -v dnstwist >/dev/null 2>&1 || missing="$missing dnstwist"
found_initdb=false
for bin in "${POSTGRES_LIB:-/usr/lib/postgresql}"/*/bin/initdb; do [ -x "$bin" ] && found_initdb=true; done
[ "$found_initdb" = true ] || missing="$missing postgresql"


[ -z "$missing" ] && exit 0
missing="${missing# }"

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages the tests need: $missing"
  apt-get update -qq
  # shellcheck disable=SC2086 # one word per package
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  exit 0
fi

echo "The tests need system packages that are not installed: $missing" >&2
echo "Install them, then run the tests again:" >&2
echo "  sudo apt-get update && sudo apt-get install -y $missing" >&2
exit 1
