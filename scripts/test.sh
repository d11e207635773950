#!/usr/bin/env bash
# Runs every test: typecheck, build, then the unit tests and the real-component tests (a real
# PAM stack through pamtester, a private sshd on loopback, systemd-analyze, the installer) with
# vitest. Real-component tests need root and Debian's pamtester and openssh-server; without them
# they are skipped, unless LOGSPHERE_REQUIRE_E2E=1 (as in CI), where a skip fails the run.
# Ends with a line "N passed, N failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
npm run --silent typecheck
npm run --silent build

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$results/vitest.json" "$@" || status=$?
node scripts/lib/summarize-tests.mjs "$results/vitest.json" scripts/test.sh || status=$?
exit "$status"
