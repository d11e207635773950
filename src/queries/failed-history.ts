// Failed logins as util-linux lastb lists them: newest first, from the log or a btmp file read on
// the fly (`-f /var/log/btmp`), selected by lastb's names (a user or a tty), and where each input
// begins. The failures themselves are those `failed` has (failed-logins.ts).

import type { Config } from '../config/config.ts';
import type { Failure, FailureFilter } from '../failures/failures.ts';
import type { Micros } from '../record/time.ts';
import { failedLogins } from './failed-logins.ts';
import type { HistoryRead } from './history.ts';
import { localHost } from './load-sessions.ts';
import { beginningName, changeTime, namedInputs, type Beginning } from './named-inputs.ts';

export interface FailedHistoryRequest extends FailureFilter {
  /** Files or directories to read, or utmp-format files (btmp); empty: the log directory. */
  inputs: readonly string[];
  /** lastb's names, any of which a failure matches: a user, or a tty (`ssh:notty`; `1` for `tty1`). */
  names: readonly string[];
  /** Only the newest this many are wanted. */
  limit: number | null;
}

export interface FailedHistory {
  /** Newest first. */
  failures: Failure[];
  warnings: string[];
  /** Said when the answer is empty because this host records no failed logins (failed-logins.ts). */
  notes: string[];
  /** An input was read only up to its damage (named in `warnings`): the answer lacks the rest. */
  incomplete: boolean;
  /** Where each input's records begin (lastb: `btmp begins …`). */
  beginnings: Beginning[];
}

export function failedHistory(request: FailedHistoryRequest, config: Config, now: Micros, how: HistoryRead = 'auto'): FailedHistory {
  const inputs = namedInputs(config, 'btmp', localHost(config).host, now);
  const answer = failedLogins({ ...request, keepRecords: false }, config, undefined, inputs.read, how);
  const failures = answer.failures.reverse();
  const { beginning } = answer;
  const paths = request.inputs.length > 0 ? request.inputs : [config.logDir];
  const beginnings =
    beginning === null
      ? inputs.beginnings
      : paths.map((path) => ({ name: beginningName(config, path), at: beginning(path) ?? changeTime(path === config.logDir ? [config.logFile, path] : [path], now) }));
  return { ...answer, failures, warnings: [...inputs.warnings, ...answer.warnings], beginnings };
}
