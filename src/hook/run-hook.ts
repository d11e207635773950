// The hook's work for one PAM call or boot/shutdown: build the record, correlate open and close
// through the run directory, append. Process concerns (exit status, deadline, stderr) stay in
// main.ts; everything here takes its inputs as arguments.

import type { Config } from '../config/config.ts';
import { pamContextFrom, type PamContext } from '../pam/context.ts';
import * as build from '../record/build.ts';
import type { Micros } from '../record/time.ts';
import type { LogRecord } from '../record/types.ts';
import { appendLines, lookAtLogDir, type AppendProgress, type AppendResult, type LogDirLook, type PendingLine } from '../store/append.ts';
import { entryName, saveOpenSession, takeOpenSession, takeSessionTerminal } from '../store/open-sessions.ts';
import { lookupUid } from '../sys/accounts.ts';
import { bootId, bootTimeSeconds, kernelHostname, kernelRelease } from '../sys/host.ts';
import { ownAuditSession, processStartTicks } from '../sys/processes.ts';
import { planHook, type HookTask } from './plan.ts';

export interface HookInputs {
  args: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  config: Config;
  /** The PAM-calling process: the hook's parent. */
  parentPid: number;
  now: () => Micros;
  /** Starts the search for the pty of a session just opened (main.ts: a detached process). */
  watchTerminal?: (watch: TerminalWatch) => void;
}

/**
 * A session whose pty is to be found after its open: sshd says `ssh` as PAM_TTY and allocates the
 * pty once the open returns, so only a process that outlives the hook can see it (watch-terminal.ts).
 */
export interface TerminalWatch {
  runDir: string;
  /** The session's open-session entry (open-sessions.ts), which the pty file goes beside. */
  entry: string;
  pid: number;
  pidStart: number;
}

/** What pam_exec's PAM_TTY is under sshd, whose pty comes after the open (DESIGN.md). */
const ptyComesLater = 'ssh';

export type HookOutcome =
  | { status: 'skipped'; reason: string; unexpected: boolean }
  | { status: 'appended'; result: AppendResult };

export function pendingLine(record: LogRecord, at: Micros): PendingLine {
  return { order: at, id: record.event_id, line: build.toLine(record) };
}

/** What this run is to do, from its arguments and the PAM items. */
export interface PlannedRun {
  pam: PamContext;
  task: HookTask;
}

export function planRun(inputs: HookInputs): PlannedRun {
  const pam = pamContextFrom(inputs.env);
  return { pam, task: planHook(inputs.args, pam.type, pam.service, inputs.config.ignoreServices) };
}

/**
 * Builds the record for this run and correlates it through the run directory: an open leaves
 * its entry there, a close takes (and removes) the entry of its open for the session id.
 */
export function correlatedRecord(
  inputs: HookInputs,
  { pam, task }: PlannedRun = planRun(inputs),
): { record: LogRecord; at: Micros; watch?: TerminalWatch } | { skip: string; unexpected: boolean } {
  const { config } = inputs;
  if (task.kind === 'skip') return { skip: task.reason, unexpected: task.unexpected };

  const at = inputs.now();
  const source = task.kind === 'boot' || task.kind === 'shutdown' ? 'systemd' : 'pam';
  const origin = { host: config.hostname ?? kernelHostname(), boot_id: bootId(), source } as const;

  if (task.kind === 'boot') {
    return { record: build.boot(origin, at, kernelRelease(), bootTimeSeconds() * 1e6), at };
  }
  if (task.kind === 'shutdown') return { record: build.shutdown(origin, at), at };

  const login: build.Login = {
    user: pam.user,
    uid: lookupUid(pam.user),
    tty: pam.tty,
    rhost: pam.rhost,
    ruser: pam.ruser,
    service: pam.service,
    // The process that called PAM; a hook already reparented to init (its caller killed before
    // it looked) cannot know it, and pid 1 never ends: recorded as a caller that is gone.
    pid: inputs.parentPid === 1 ? 0 : inputs.parentPid,
    pid_start: inputs.parentPid === 1 ? 0 : (processStartTicks(inputs.parentPid) ?? 0),
  };
  if (pam.xdgSessionId !== null) login.xdg_session_id = pam.xdgSessionId;
  if (pam.truncated.length > 0) login.truncated = pam.truncated;

  if (task.kind === 'auth-failure') return { record: build.authFailure(origin, login, at), at };
  if (task.kind === 'open') {
    // What finds the session's processes once the PAM process is gone (sshd's [priv] killed).
    const audit = login.pid === 0 ? null : ownAuditSession(login.pid);
    if (audit !== null) login.audit_session = audit;
    const record = build.sessionOpen(origin, login, at);
    saveOpenSession(config.runDir, record);
    if (pam.tty !== ptyComesLater || record.pid === 0) return { record, at };
    return { record, at, watch: { runDir: config.runDir, entry: entryName(record), pid: record.pid, pidStart: record.pid_start } };
  }
  const open = takeOpenSession(config.runDir, login);
  let pty: string | null = null;
  try {
    if (pam.tty === ptyComesLater) pty = takeSessionTerminal(config.runDir, login);
  } catch {
    // The close is recorded without it.
  }
  return { record: build.sessionClose(origin, login, at, open, {}, pty), at };
}

/** What a run has got to, for the deadline in main.ts: the record and how far its append went. */
export interface HookProgress extends AppendProgress {
  pending: PendingLine | null;
}

export function newProgress(): HookProgress {
  return { pending: null, claimed: null, written: false };
}

export async function runHook(inputs: HookInputs, progress: HookProgress = newProgress()): Promise<HookOutcome> {
  const planned = planRun(inputs);
  // A run that records something looks at the log directory first (an lstat, on the thread
  // pool): started now, the call and the pool's start overlap the building of the record.
  const looked: LogDirLook | undefined = planned.task.kind === 'skip' ? undefined : lookAtLogDir(inputs.config);
  const built = correlatedRecord(inputs, planned);
  if ('skip' in built) return { status: 'skipped', reason: built.skip, unexpected: built.unexpected };
  progress.pending = pendingLine(built.record, built.at);
  const result = await appendLines(inputs.config, [progress.pending], progress, looked);
  if (built.watch !== undefined) inputs.watchTerminal?.(built.watch);
  return { status: 'appended', result };
}
