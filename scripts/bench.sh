#!/usr/bin/env bash
# Prints LogSphere's speed figures; never fails on speed. Measured side by side in one run,
# because shared machines are noisy:
#  - hook start-up: logsphere-hook open_session and close_session (fsync on) against `node -e 0`,
#    all started with a clean environment (env -i plus the hook's variables), alternated;
#    medians and their ratios;
#  - a login storm: 500 simultaneous open/close pairs, events per second (fsync on and off);
#  - a history of 1,000,000 events: `logsphere last --json` against util-linux `last -f` over
#    the same logins as wtmp, its peak memory, and `logsphere sessions` with a warm checkpoint
#    against `node -e 0` (scripts/lib/bench-history.mjs);
#  - `logsphere follow --format ecs|otel|raw` over a 1,000,000-event log (events/s), and a
#    writer's append latency with and without a rotation in flight (scripts/lib/bench-follow.mjs);
#  - one 64 MiB line between two records against 64 MiB of records, read by `logsphere last` and
#    `logsphere follow` (scripts/lib/bench-long-line.mjs): medians and their ratios.
# Usage: scripts/bench.sh [--runs N] [--storm N]
#   (HISTORY=no skips the history part, FOLLOW=no the follow and rotation part, LONGLINE=no the
#   long line)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
node scripts/lib/bench-hook.mjs "$@"
[ "${HISTORY:-yes}" = no ] || node scripts/lib/bench-history.mjs
[ "${FOLLOW:-yes}" = no ] || node scripts/lib/bench-follow.mjs
[ "${LONGLINE:-yes}" = no ] || node scripts/lib/bench-long-line.mjs
