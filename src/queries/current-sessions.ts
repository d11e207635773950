// The sessions open now: from the inputs, or from the log directory through the sessions
// checkpoint; for a user who may not read the log, from the world-readable run directory (open
// sessions only). Live ssh sessions get the pty their shell has (sshd says `ssh` until then).
// Logins only, unless asked for all: user switches (su, sudo, ...) are sessions within a login.

import type { Config } from '../config/config.ts';
import { InputError } from '../input/inputs.ts';
import { reconcile } from '../reconcile/reconcile.ts';
import type { Liveness, Session } from '../reconcile/types.ts';
import type { LogRecord } from '../record/types.ts';
import { validateRecord } from '../record/validate.ts';
import { listOpenSessions, openSessionsDirOf } from '../store/open-sessions.ts';
import { liveTerminals } from './live-terminal.ts';
import { loadCurrent, loadReconciled, localHost, localLiveness } from './load-sessions.ts';

export interface CurrentSessionsRequest {
  /** Files or directories to read; empty: the log directory. */
  inputs: readonly string[];
  user: string | null;
  host: string | null;
  /** Also sessions whose process is gone without a logout. */
  includeGone: boolean;
  /** Also user switches (su, sudo, ...), not only logins. */
  all: boolean;
}

/** A current session, with the pty its processes hold when its tty does not name one. */
export type CurrentSession = Session;

export interface CurrentSessions {
  sessions: CurrentSession[];
  /** Problems met on the way (malformed lines, a fallback taken), for stderr. */
  warnings: string[];
  /** An input was read only up to its damage (named in `warnings`): the answer lacks the rest. */
  incomplete: boolean;
}

/** Open sessions from the run directory's entries. */
function fromRunDirectory(config: Config, alive: Liveness): { sessions: Session[]; malformed: number } {
  const { records, unreadable } = listOpenSessions(config.runDir);
  const valid: LogRecord[] = [];
  let malformed = unreadable;
  for (const r of records) {
    const checked = validateRecord(r);
    if (checked.ok) valid.push(checked.record);
    else malformed++;
  }
  return { sessions: reconcile(valid, alive, { switchServices: config.switchServices }).sessions, malformed };
}

export function currentSessions(request: CurrentSessionsRequest, config: Config, env: Readonly<Record<string, string | undefined>>): CurrentSessions {
  const local = localHost(config);
  const alive = localLiveness(local);
  const warnings: string[] = [];
  let incomplete = false;
  let list: Session[];
  try {
    const loaded = request.inputs.length > 0 ? loadReconciled(request.inputs, config, alive) : loadCurrent(config, env, alive);
    warnings.push(...loaded.warnings);
    incomplete = loaded.incomplete;
    list = [];
    for (const i of loaded.order) {
      const end = loaded.endOf(i);
      if (end === null || end === 'gone') list.push(loaded.session(i));
    }
  } catch (error) {
    const denied = error instanceof InputError && (error.code === 'EACCES' || error.code === 'EPERM');
    if (!denied || request.inputs.length > 0) throw error;
    warnings.push(`${error.message}; answering from ${openSessionsDirOf(config.runDir)} (open sessions only)`);
    const fallback = fromRunDirectory(config, alive);
    if (fallback.malformed > 0) warnings.push(`skipped ${fallback.malformed} unreadable entries in ${openSessionsDirOf(config.runDir)}`);
    list = fallback.sessions;
  }

  const current = list
    .filter(
      (s) =>
        (s.end === null || (request.includeGone && s.end === 'gone')) &&
        (request.all || s.kind === 'login') &&
        (request.user === null || s.user === request.user) &&
        (request.host === null || s.host === request.host),
    )
    .map(liveTerminals(local));
  return { sessions: current, warnings, incomplete };
}
