#!/usr/bin/env bash
# Runs the hook's and the CLI's end-to-end tests again on Debian 12's own Node.js 18 (the node of
# Debian 12 and Ubuntu 24.04), as scripts/test.sh runs them on the default node. Debian's nodejs
# and libnode packages are fetched with apt-get download and unpacked with dpkg -x into a
# temporary directory (not installed), and the tests run the programs through copies whose first
# line names that node. Its library directory is made known to the dynamic linker for the run
# (a file in /etc/ld.so.conf.d, removed at the end): the hook starts node again with an empty
# environment (its pty watcher), where no LD_LIBRARY_PATH could reach it. Needs root, apt's
# package lists, and what Debian's nodejs depends on besides libnode (libc-ares2,
# node-cjs-module-lexer, node-acorn, node-undici: .ci/run installs them).
# Usage: scripts/test-node18.sh [vitest files...] (default: the list below).
# Ends with a line "N passed, N failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

node18_version() { apt-cache madison nodejs | awk '$3 ~ /^18\./ { print $3; exit }'; }
version=$(node18_version)
[ -n "$version" ] || { apt-get update -qq && version=$(node18_version); }
[ -n "$version" ] || { echo "test-node18: apt knows no nodejs 18" >&2; exit 1; }

# Under /run, root's own directory (not /tmp or /var/tmp): the linker's configuration names this
# directory while the tests run, and no other user can make one of that name, now or after a kill.
work=$(mktemp -d /run/logsphere-test-node18.XXXXXX)
linker=/etc/ld.so.conf.d/zz-logsphere-test-node18.conf
results=$(mktemp -d)
cleanup() {
  rm -f "$linker"
  ldconfig
  rm -rf "$work" "$results"
}
trap cleanup EXIT
chmod 0755 "$work"
(cd "$work" && apt-get download -qq "nodejs=$version" "libnode108=$version" 2>/dev/null)
for deb in "$work"/*.deb; do dpkg -x "$deb" "$work/root"; done
rm -f "$work"/*.deb
chmod -R a+rX "$work"
echo "$work/root/usr/lib/x86_64-linux-gnu" >"$linker"
ldconfig
node18=$work/root/usr/bin/node
got=$("$node18" --version)
[[ "$got" == v18.* ]] || { echo "test-node18: $node18 is $got, not 18" >&2; exit 1; }
echo "test-node18: Debian's nodejs $version ($got)"

[ -f dist/logsphere.cjs ] || npm run --silent build
mkdir -p "$work/dist"
for program in logsphere.cjs logsphere-hook.cjs; do
  sed "1s|^#!/usr/bin/node|#!$node18|" "dist/$program" >"$work/dist/$program"
  chmod 0755 "$work/dist/$program"
done
cp dist/logsphere-sqlite.wasm "$work/dist/"

files=("$@")
if [ "${#files[@]}" -eq 0 ]; then
  files=(test/e2e/hook.test.ts test/e2e/pam.test.ts test/e2e/sshd.test.ts test/e2e/sshd-failures.test.ts test/e2e/hook-code-cache.test.ts
    test/e2e/cli-code-cache.test.ts test/e2e/sessions.test.ts test/e2e/cli-input.test.ts test/e2e/cli-config.test.ts test/e2e/last-util-linux.test.ts
    test/e2e/lastb-who.test.ts test/e2e/odd-inputs.test.ts test/e2e/long-lines.test.ts test/e2e/legacy.test.ts test/e2e/legacy-v2.test.ts
    test/e2e/follow.test.ts test/e2e/watch.test.ts test/e2e/rotate.test.ts test/e2e/terminal-output.test.ts test/e2e/report-html.test.ts test/e2e/fleet.test.ts test/e2e/import-wtmpdb-lastlog2.test.ts test/e2e/lastlog-fleet.test.ts test/e2e/progress.test.ts)
fi

status=0
LOGSPHERE_TEST_NODE="$node18" LOGSPHERE_TEST_DIST="$work/dist" \
  npx vitest run --reporter=default --reporter=json --outputFile.json="$results/vitest.json" "${files[@]}" || status=$?
node scripts/lib/summarize-tests.mjs "$results/vitest.json" scripts/test-node18.sh || status=$?
exit "$status"
