// Failed logins from the inputs (default: the log directory), oldest first, filtered by time,
// user and host; from what could be read of an input damaged part way (inputs.ts), which
// `incomplete` then says.

import type { Config } from '../config/config.ts';
import { FailureCollector, type Failure } from '../failures/failures.ts';
import { forEachRecord, readWarnings } from '../input/inputs.ts';
import { authFailureLines, installedHookPath, systemPamDirs, type PamDirs } from '../pam/pam-stack.ts';
import type { Micros } from '../record/time.ts';
import { withDefaultNamed, type RecordReader } from './load-sessions.ts';

export interface FailedLoginsRequest {
  inputs: readonly string[];
  since: Micros | null;
  until: Micros | null;
  user: string | null;
  host: string | null;
  /** Keep each failure's whole record (for ECS and OpenTelemetry output). */
  keepRecords: boolean;
}

export interface FailedLogins {
  failures: Failure[];
  warnings: string[];
  /** Said when the answer is empty because this host records no failed logins. */
  notes: string[];
  /** An input was read only up to its damage (named in `warnings`): the answer lacks the rest. */
  incomplete: boolean;
}

export function failedLogins(
  request: FailedLoginsRequest,
  config: Config,
  pam: { dirs: PamDirs; hookPath: string } = { dirs: systemPamDirs, hookPath: installedHookPath },
  reader: RecordReader = forEachRecord,
): FailedLogins {
  const collector = new FailureCollector(request, request.keepRecords);
  const inputs = request.inputs.length > 0 ? request.inputs : [config.logDir];
  const read = withDefaultNamed(config, () => reader(inputs, (r) => collector.add(r)));
  const failures = collector.sorted();
  // Failed logins are off until the auth-failure line is installed: an empty answer from this
  // host's log says so, rather than suggest that nobody failed.
  const notes =
    failures.length === 0 && request.inputs.length === 0 && authFailureLines(pam.dirs, pam.hookPath).length === 0
      ? ['failed logins are not recorded on this host: no auth-failure line runs the hook (scripts/install.sh --with-auth-failures turns it on; see logsphere doctor)']
      : [];
  return { failures, warnings: readWarnings(read), notes, incomplete: read.damaged.length > 0 };
}
