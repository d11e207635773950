#!/usr/bin/env bash
# Prints LogSphere's speed figures; never fails on speed. Measured side by side in one run,
# because shared machines are noisy:
#  - hook start-up: logsphere-hook open_session and close_session (fsync on) against `node -e 0`,
#    all started with a clean environment (env -i plus the hook's variables), alternated;
#    medians and their ratios;
#  - a login storm: 500 simultaneous open/close pairs, events per second (fsync on and off);
#  - a history of 1,000,000 events (500,000 sessions over 50 hosts and 52 weeks, one in a hundred
#    left open) as a log directory of rotated, gzipped 16 MiB segments and as wtmp files holding
#    the same logins (scripts/lib/bench-history.mjs): `logsphere last -n 10` against `node -e 0`;
#    `logsphere last --json` against util-linux `last -f` on a wtmp it reads in one pass and on
#    one where it is slow, and its peak memory; `logsphere report` over the last week against the
#    same report over the whole history; `logsphere sessions` with a warm checkpoint against
#    `node -e 0`; `logsphere import wtmp` against `utmpdump`; then a summary of issue 15's
#    figures (the hook's included) beside their ceilings and goals;
#  - `logsphere follow --format ecs|otel|raw` over a 1,000,000-event log (events/s), and a
#    writer's append latency with and without a rotation in flight (scripts/lib/bench-follow.mjs);
#  - one 64 MiB line between two records against 64 MiB of records, read by `logsphere last` and
#    `logsphere follow` (scripts/lib/bench-long-line.mjs): medians and their ratios;
#  - the fleet store on a private PostgreSQL 15 (scripts/lib/bench-fleet.mjs): `ship --once` of a
#    1,000,000-event log from 1,000 hosts against PostgreSQL's own COPY of its lines, the store's
#    size, `sessions --db` (20,000 open) and `last -n 20 --db` over 10,000,000 events against
#    `node -e 0`, with a summary of issue 16's figures.
# Usage: scripts/bench.sh [--runs N] [--storm N]
#   (HOOK=no skips the hook start-up and the login storm, HISTORY=no the history part, FOLLOW=no
#   the follow and rotation part, LONGLINE=no the long line, FLEET=no the fleet store). A part
#   whose commands fail is reported as such, the other parts still run, and the script exits 1
#   at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
began=$SECONDS
failed=()
hook_output=$(mktemp "${TMPDIR:-/tmp}/logsphere-bench-hook.XXXXXX")
trap 'rm -f "$hook_output"' EXIT
history_args=()
if [ "${HOOK:-yes}" != no ]; then
  node scripts/lib/bench-hook.mjs "$@" | tee "$hook_output" || failed+=(hook)
  history_args=(--hook-output "$hook_output")
fi
if [ "${HISTORY:-yes}" != no ]; then node scripts/lib/bench-history.mjs "${history_args[@]}" || failed+=(history); fi
if [ "${FOLLOW:-yes}" != no ]; then node scripts/lib/bench-follow.mjs || failed+=(follow); fi
if [ "${LONGLINE:-yes}" != no ]; then node scripts/lib/bench-long-line.mjs || failed+=(long-line); fi
if [ "${FLEET:-yes}" != no ]; then node scripts/lib/bench-fleet.mjs || failed+=(fleet); fi
echo "bench: $(( (SECONDS - began) / 60 )) min $(( (SECONDS - began) % 60 )) s"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "bench: failed: ${failed[*]}" >&2
  exit 1
fi
