// The sessions open now: from the inputs, or from the log directory through the sessions
// checkpoint; for a user who may not read the log, from the world-readable run directory (open
// sessions only). Live ssh sessions get the pty their shell has (sshd says `ssh` until then).

import type { Config } from '../config/config.ts';
import { InputError } from '../input/inputs.ts';
import { reconcile } from '../reconcile/reconcile.ts';
import type { Liveness, Session } from '../reconcile/types.ts';
import type { LogRecord } from '../record/types.ts';
import { validateRecord } from '../record/validate.ts';
import { listOpenSessions, openSessionsDirOf } from '../store/open-sessions.ts';
import { descendantTerminal, processTree } from '../sys/processes.ts';
import { loadCurrent, loadReconciled, localHost, localLiveness } from './load-sessions.ts';

export interface CurrentSessionsRequest {
  /** Files or directories to read; empty: the log directory. */
  inputs: readonly string[];
  user: string | null;
  host: string | null;
  /** Also sessions whose process is gone without a logout. */
  includeGone: boolean;
}

/** A current session with the terminal found for it. */
export interface CurrentSession extends Session {
  pty?: string;
}

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
  return { sessions: reconcile(valid, alive).sessions, malformed };
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

  let current: CurrentSession[] = list.filter(
    (s) =>
      (s.end === null || (request.includeGone && s.end === 'gone')) &&
      (request.user === null || s.user === request.user) &&
      (request.host === null || s.host === request.host),
  );
  const needsPty = current.filter((s) => s.end === null && s.host === local.host && s.boot_id === local.bootId && (s.tty === null || s.tty === 'ssh'));
  if (needsPty.length > 0) {
    const tree = processTree();
    current = current.map((s) => {
      if (!needsPty.includes(s)) return s;
      const pty = descendantTerminal(s.pid, tree);
      return pty === null ? s : { ...s, pty };
    });
  }
  return { sessions: current, warnings, incomplete };
}
