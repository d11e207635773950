// The sessions open now: from the inputs, or from the log directory through the sessions
// checkpoint; for a user who may not read the log, from the world-readable run directory (open
// sessions only). Live ssh sessions get the pty their shell has (sshd says `ssh` until then).
// Logins only, unless asked for all: user switches (su, sudo, ...) are sessions within a login.

import type { Config } from '../config/config.ts';
import { InputError } from '../input/inputs.ts';
import { reconcile } from '../reconcile/reconcile.ts';
import type { Liveness, Session } from '../reconcile/types.ts';
import { parseTimestamp, type Micros } from '../record/time.ts';
import type { LogRecord } from '../record/types.ts';
import { validateRecord } from '../record/validate.ts';
import { listOpenSessions, openSessionsDirOf } from '../store/open-sessions.ts';
import { sourceLiveness, type RecordSource } from './record-source.ts';
import { liveTerminals } from './live-terminal.ts';
import { loadCurrent, loadReconciled, localHost, localLiveness, type Loaded, type Unended } from './load-sessions.ts';

export interface CurrentSessionsRequest {
  /** Files or directories to read; empty: the log directory. */
  inputs: readonly string[];
  user: string | null;
  host: string | null;
  /** Also sessions whose process is gone without a logout. */
  includeGone: boolean;
  /** Also user switches (su, sudo, ...), not only logins. */
  all: boolean;
  /** Records from elsewhere than files (the fleet store), instead of `inputs`. */
  source?: RecordSource;
}

/**
 * A current session, with the pty its processes hold when its tty does not name one, and its
 * login time in microseconds as well (not in the JSON object: for output that reckons with it).
 */
export interface CurrentSession extends Session {
  login_at: Micros;
}

export interface CurrentSessions {
  sessions: CurrentSession[];
  /** Problems met on the way (malformed lines, a fallback taken), for stderr. */
  warnings: string[];
  /** An input was read only up to its damage (named in `warnings`): the answer lacks the rest. */
  incomplete: boolean;
}

/** Open sessions from the run directory's entries. */
function fromRunDirectory(config: Config, alive: Liveness): { sessions: CurrentSession[]; malformed: number } {
  const { records, unreadable } = listOpenSessions(config.runDir);
  const valid: LogRecord[] = [];
  let malformed = unreadable;
  for (const r of records) {
    const checked = validateRecord(r);
    if (checked.ok) valid.push(checked.record);
    else malformed++;
  }
  const sessions = reconcile(valid, alive, { switchServices: config.switchServices }).sessions;
  return { sessions: sessions.map((s) => ({ ...s, login_at: parseTimestamp(s.login_time) ?? 0 })), malformed };
}

/** The sessions of a full read that no record ended: current, or gone. */
function unendedOf(loaded: Loaded): Unended {
  const sessions: CurrentSession[] = [];
  for (const i of loaded.order) {
    const end = loaded.endOf(i);
    if (end !== null && end !== 'gone') continue;
    // The session object made for it, given its login time (no copy of it: 20,000 sessions from
    // the fleet store would each be made twice).
    const session = loaded.session(i) as CurrentSession;
    session.login_at = loaded.loginAt(i);
    sessions.push(session);
  }
  return { sessions, warnings: loaded.warnings, incomplete: loaded.incomplete };
}

export function currentSessions(request: CurrentSessionsRequest, config: Config, env: Readonly<Record<string, string | undefined>>): CurrentSessions {
  const local = localHost(config);
  const alive = localLiveness(local);
  const warnings: string[] = [];
  let incomplete = false;
  let list: CurrentSession[];
  try {
    const loaded =
      request.source !== undefined
        ? unendedOf(loadReconciled([request.source.name], config, sourceLiveness(request.source, alive), undefined, request.source.read, request.source.currentOnly !== true))
        : request.inputs.length > 0
          ? unendedOf(loadReconciled(request.inputs, config, alive))
          : loadCurrent(config, env, alive);
    warnings.push(...loaded.warnings);
    incomplete = loaded.incomplete;
    list = loaded.sessions;
  } catch (error) {
    const denied = error instanceof InputError && (error.code === 'EACCES' || error.code === 'EPERM');
    if (!denied || request.inputs.length > 0 || request.source !== undefined) throw error;
    warnings.push(`${error.message}; answering from ${openSessionsDirOf(config.runDir)} (open sessions only)`);
    const fallback = fromRunDirectory(config, alive);
    if (fallback.malformed > 0) warnings.push(`skipped ${fallback.malformed} unreadable entries in ${openSessionsDirOf(config.runDir)}`);
    list = fallback.sessions;
  }

  const terminal = liveTerminals(local);
  const current: CurrentSession[] = [];
  for (const s of list) {
    if (s.end === 'gone' ? !request.includeGone : s.end !== null) continue;
    if ((!request.all && s.kind !== 'login') || (request.user !== null && s.user !== request.user) || (request.host !== null && s.host !== request.host)) continue;
    const { pty } = terminal(s);
    current.push(pty === s.pty ? s : { ...s, pty });
  }
  return { sessions: current, warnings, incomplete };
}
