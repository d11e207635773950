// Failed logins from the inputs (default: the log directory), oldest first, filtered by time,
// user and host; from what could be read of an input damaged part way (inputs.ts), which
// `incomplete` then says.

import type { Config } from '../config/config.ts';
import { FailureCollector, type Failure } from '../failures/failures.ts';
import { forEachRecord, readWarnings, type ReadResult } from '../input/inputs.ts';
import { readNewestFirst } from '../input/newest-first.ts';
import { authFailureLines, systemPamDirs, type PamDirs } from '../pam/pam-stack.ts';
import { installationOnHost } from '../sys/installation.ts';
import type { Micros } from '../record/time.ts';
import { allDirectories, matchesName, type HistoryRead } from './history.ts';
import { withDefaultNamed, type RecordReader } from './load-sessions.ts';

export interface FailedLoginsRequest {
  inputs: readonly string[];
  since: Micros | null;
  until: Micros | null;
  user: string | null;
  host: string | null;
  /** Keep each failure's whole record (for ECS and OpenTelemetry output). */
  keepRecords: boolean;
  /** lastb's names, any of which a failure matches: a user, or a tty (`1` for `tty1`); none: every failure. */
  names?: readonly string[];
  /** Only the newest this many are wanted: the log is then read only as far as they need. */
  limit?: number | null;
}

export interface FailedLogins {
  failures: Failure[];
  warnings: string[];
  /** Said when the answer is empty because this host records no failed logins. */
  notes: string[];
  /** An input was read only up to its damage (named in `warnings`): the answer lacks the rest. */
  incomplete: boolean;
  /** Read newest first: where each input path's records begin (else the reader knows). */
  beginning: ((path: string) => Micros | null) | null;
}

export function failedLogins(
  request: FailedLoginsRequest,
  config: Config,
  pam: { dirs: PamDirs; hookPath: string } = { dirs: systemPamDirs, hookPath: installationOnHost().hookPath },
  reader: RecordReader = forEachRecord,
  how: HistoryRead = 'auto',
): FailedLogins {
  const inputs = request.inputs.length > 0 ? request.inputs : [config.logDir];
  const names = request.names ?? [];
  const matches = (f: Failure) => matchesName(names, f.user, f.tty);
  const limit = request.limit ?? null;
  let failures: Failure[] | null = null;
  let read: ReadResult | null = null;
  let beginning: FailedLogins['beginning'] = null;
  if (how === 'auto' && (limit !== null || request.since !== null) && allDirectories(inputs)) {
    // Newest first, until every failure from --since on, or `limit` of them, are known.
    const collector = new FailureCollector(request, request.keepRecords);
    const count = (cut: Micros) => collector.failures.reduce((n, f) => (f.at > cut && matches(f) ? n + 1 : n), 0);
    const enough = (cut: Micros) => (request.since !== null && cut < request.since) || (limit !== null && count(cut) >= limit);
    const recent = withDefaultNamed(config, () => readNewestFirst(inputs, (r) => collector.add(r), { enough }));
    if (!recent.disorder) {
      const cut = recent.cut ?? -Infinity;
      failures = collector.sorted().filter((f) => f.at > cut && matches(f));
      read = recent;
      beginning = recent.beginning;
    }
  }
  if (failures === null || read === null) {
    const collector = new FailureCollector(request, request.keepRecords);
    read = withDefaultNamed(config, () => reader(inputs, (r) => collector.add(r)));
    failures = collector.sorted().filter(matches);
  }
  // Failed logins are off until the auth-failure line is installed: an empty answer from this
  // host's log says so, rather than suggest that nobody failed.
  const notes =
    failures.length === 0 && request.inputs.length === 0 && authFailureLines(pam.dirs, pam.hookPath).length === 0
      ? ['failed logins are not recorded on this host: no auth-failure line runs the hook (scripts/install.sh --with-auth-failures turns it on; see logsphere doctor)']
      : [];
  return { failures, warnings: readWarnings(read), notes, incomplete: read.damaged.length > 0, beginning };
}
