// Reads and reconciles the records a query works on (the inputs, or the log directory through the
// sessions checkpoint), and knows what runs on this host. An input damaged part way (inputs.ts)
// gives what came before the damage: the sessions are those of what could be read, the damage is
// among the warnings and `incomplete` says so.

import { CheckpointError, sessionsCheckpointPath } from '../checkpoint/checkpoint-file.ts';
import { loadSessionsCheckpoint, saveSessionsCheckpoint } from '../checkpoint/sessions-checkpoint-file.ts';
import { catchUp, unendedSessions, type Checkpoint } from '../checkpoint/sessions-checkpoint.ts';
import type { Config } from '../config/config.ts';
import { damageWarning, forEachRecord, forEachRecordIn, InputError, listInputs, malformedWarnings, skippedWarning, type ReadResult } from '../input/inputs.ts';
import { Reconciler, type ReconciledSessions } from '../reconcile/reconcile.ts';
import { defaultSwitchServices, type Liveness } from '../reconcile/types.ts';
import type { LogRecord } from '../record/types.ts';
import { bootId, kernelHostname } from '../sys/host.ts';
import { processChecker, runningAuditSessions } from '../sys/processes.ts';
import type { CurrentSession } from './current-sessions.ts';

export interface LocalHost {
  host: string;
  bootId: string;
}

export function localHost(config: Config): LocalHost {
  return { host: config.hostname ?? kernelHostname(), bootId: bootId() };
}

/**
 * Liveness on this host in its current boot; unknown (null) anywhere else. A session runs while its
 * PAM process does, or any process of its audit session (sshd's [priv] may be killed while the
 * shell lives on); records without an audit session have only the first.
 */
export function localLiveness(local: LocalHost): Liveness {
  let audits: Set<number> | null = null;
  const runs = processChecker();
  return (s) => {
    if (s.host !== local.host || s.boot_id !== local.bootId) return null;
    if (runs(s.pid, s.pid_start)) return true;
    return s.audit_session !== null && (audits ??= runningAuditSessions()).has(s.audit_session);
  };
}

export interface Loaded extends ReconciledSessions {
  warnings: string[];
  /** An input was read only up to its damage (named in `warnings`): the answer lacks the rest. */
  incomplete: boolean;
}

/** The warnings of a read, the inputs read only in part last; `countOrphans`: closes without an open among them. */
export function warningsOf(read: ReadResult, result: ReconciledSessions, countOrphans = true): string[] {
  const warnings = [...read.skipped.map(skippedWarning), ...malformedWarnings(read)];
  // Read only to a cut (load-recent.ts), a close whose open lies before it is not an orphan.
  if (countOrphans && result.counts.closesWithoutOpen > 0) {
    warnings.push(`ignored ${result.counts.closesWithoutOpen} session_close record(s) without a session_open`);
  }
  return [...warnings, ...read.damaged.map(damageWarning)];
}

/** Without --input the default is the log directory; a failure there names the log file. */
export function withDefaultNamed<T>(config: Config, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof InputError && error.path === config.logDir) {
      // The log is group adm's: a user outside it is told how to read it.
      const denied = error.code === 'EACCES' || error.code === 'EPERM';
      throw new InputError(config.logFile, error.code, `${error.detail}${denied ? '; reading the log needs group adm (or root)' : ''}`);
    }
    throw error;
  }
}

/** How the records of input paths are read: forEachRecord, or a reader that takes other formats too (named-inputs.ts). */
export type RecordReader = (paths: readonly string[], onRecord: (record: LogRecord) => void) => ReadResult;

/** Streams the inputs (default: the log directory) through the reconciler (and `also`, when given). */
export function loadReconciled(inputs: readonly string[], config: Config, alive: Liveness, also?: (record: LogRecord) => void, reader: RecordReader = forEachRecord, countOrphans = true): Loaded {
  const reconciler = new Reconciler({ switchServices: config.switchServices });
  const paths = inputs.length > 0 ? inputs : [config.logDir];
  const onRecord = also === undefined ? (r: LogRecord) => reconciler.add(r) : (r: LogRecord) => (reconciler.add(r), also(r));
  const read = withDefaultNamed(config, () => reader(paths, onRecord));
  const result = reconciler.finish(alive);
  return { ...result, warnings: warningsOf(read, result, countOrphans), incomplete: read.damaged.length > 0 };
}

/** The sessions no record has ended: current, or gone where liveness says so; in login order. */
export interface Unended {
  sessions: CurrentSession[];
  warnings: string[];
  /** An input was read only up to its damage (named in `warnings`): the answer lacks the rest. */
  incomplete: boolean;
}

/**
 * The unended sessions of the log directory, through the checkpoint: only what was appended since
 * the last call is read, and with nothing appended the answer comes from the checkpoint's rows.
 * Falls back to a full read (and a new checkpoint) after rotation or truncation; a checkpoint that
 * cannot be saved only costs speed.
 */
export function loadCurrent(config: Config, env: Readonly<Record<string, string | undefined>>, alive: Liveness): Unended {
  const { files, skipped } = withDefaultNamed(config, () => listInputs([config.logDir]));
  const place = sessionsCheckpointPath(config.stateDir, env);
  // The checkpoint is a cache: one that cannot be used only costs a full read.
  const early: string[] = [];
  if (place.path === null) early.push(`keeping no sessions checkpoint, reading the whole log at every call: ${place.why}`);
  let stored: Checkpoint | null = null;
  try {
    stored = place.path === null ? null : loadSessionsCheckpoint(place.path);
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    early.push(`${error.message}; reading the whole log`);
  }
  const caught = catchUp(stored, files);
  const { checkpoint, malformed, damaged } = caught;
  const sessions = unendedSessions(checkpoint, alive, new Set(config.switchServices ?? defaultSwitchServices));
  const warnings = [...early, ...skipped.map(skippedWarning), ...caught.skipped.map(skippedWarning), ...malformedWarnings({ malformed })];
  if (checkpoint.closesWithoutOpen > 0) warnings.push(`ignored ${checkpoint.closesWithoutOpen} session_close record(s) without a session_open`);
  warnings.push(...damaged.map(damageWarning));
  if (place.path !== null && caught.changed) {
    try {
      saveSessionsCheckpoint(place.path, checkpoint);
    } catch (error) {
      warnings.push(`cannot save the checkpoint ${place.path}: ${(error as { code?: string }).code ?? String(error)}`);
    }
  }
  return { sessions, warnings, incomplete: damaged.length > 0 };
}

/** The ids of the sessions still open, from the whole log. */
export function openSessionIds(config: Config): Set<string> {
  const loaded = loadReconciled([config.logDir], config, localLiveness(localHost(config)));
  const open = new Set<string>();
  for (let i = 0; i < loaded.count; i++) if (loaded.endOf(i) === null) open.add(loaded.session(i).session_id);
  return open;
}

/**
 * Whether a log segment holds the session_open of a session still open: for retention, which
 * keeps such segments. The whole log is read once, on the first question.
 */
export function holdsOpenSession(config: Config): (segment: { path: string }) => boolean {
  let open: Set<string> | null = null;
  return (segment) => {
    const ids = (open ??= openSessionIds(config));
    let found = false;
    forEachRecordIn({ path: segment.path, listed: true }, (r) => {
      if (r.event === 'session_open' && ids.has(r.session_id)) found = true;
    });
    return found;
  };
}
