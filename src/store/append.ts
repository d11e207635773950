// The append-only writer of the session log. Each call writes its lines with one write(2) on an
// O_APPEND descriptor, so concurrent hooks never interleave inside a line. It starts on a fresh
// line when a crash left the last line torn, and fdatasyncs unless told not to. When the log has
// reached LOGSPHERE_MAX_BYTES, the writer that notices rotates it first (rotate-log.ts), with the
// writers coordinated through the rotation gate (rotation-gate.ts). When the log cannot be
// written, the lines go to the spool and the next successful append writes them first.

import type { Stats } from 'node:fs';
import { claimSpool, spoolLines, type ClaimedSpool } from './spool.ts';
import * as afs from './fs-async.ts';
import { ensureLogDir, openLog, type LogDirLook, type LogTarget } from './log-file.ts';
import { enterAsWriter, rotationUnderWay, waitUntil } from './rotation-gate.ts';

export { logDirMode, logFileMode, lookAtLogDir, type LogDirLook, type LogTarget } from './log-file.ts';

/** How long a writer waits for a rotation to finish, and a rotation for writers, before giving up. */
const gateWaitMs = 1500;
const drainWaitMs = 500;
/** Attempts to get past rotations before the lines go to the spool. */
const maxRounds = 4;

export interface PendingLine {
  /** Sort key in the spool: the record's time in microseconds. */
  order: number;
  id: string;
  line: string;
}

/** How far an append got; the hook's deadline reads it to decide what to keep. */
export interface AppendProgress {
  claimed: ClaimedSpool | null;
  /** Set once the single write(2) of all lines has returned. */
  written: boolean;
}

export type AppendResult =
  | { status: 'written'; drained: number; rejected: number; syncError?: Error }
  | { status: 'spooled'; error: Error };

/** How the file ends: in a newline (or empty), or in a torn line, and whether it just changed. */
type Tail = 'clean' | 'torn' | 'torn-recent';

/**
 * Looks at the last byte. A torn line is what a crash, or a write cut short by a full disk,
 * leaves behind. But a line can also look torn while another hook's append is in progress: ext4
 * makes the size visible page by page, and readers do not wait for the writer. A file changed in
 * the last second is therefore `torn-recent`: not repaired in advance (that would leave an empty
 * line after the other hook's record), but checked after writing (see ownLineStandsAlone).
 */
async function tailOf(fd: number, st: Stats): Promise<Tail> {
  if (st.size === 0) return 'clean';
  const last = Buffer.alloc(1);
  await afs.read(fd, last, st.size - 1);
  if (last[0] === 0x0a) return 'clean';
  return Date.now() - st.mtimeMs < recentMs ? 'torn-recent' : 'torn';
}

const recentMs = 1000;
const newline = Buffer.from('\n');
const verifyWindow = 1 << 18;

/**
 * After an append whose tail looked torn while the file was busy: true when `first` (our first
 * line, unique by its event id) starts a line in the file's last 256 KiB, or cannot be found
 * there (other hooks appended more since; then it was not glued to a torn line either, as far as
 * can be known). False when it follows a torn fragment on the same line.
 */
async function ownLineStandsAlone(fd: number, first: Buffer): Promise<boolean> {
  const { size } = await afs.fstat(fd);
  const start = Math.max(0, size - verifyWindow);
  const tail = Buffer.alloc(size - start);
  await afs.read(fd, tail, start);
  const at = tail.indexOf(first);
  return at < 0 || (at === 0 && start === 0) || (at > 0 && tail[at - 1] === 0x0a);
}

async function writeAll(fd: number, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await afs.write(fd, data, offset);
}

/** Thrown when rotations kept the writer from appending in time; the lines are spooled. */
export class RotationWaitError extends Error {
  override name = 'RotationWaitError';
}

function needsRotation(target: LogTarget, st: Stats, adding: number): boolean {
  return target.maxBytes > 0 && st.size > 0 && st.size + adding > target.maxBytes;
}

/** Writes `own` (after any spooled lines) to the open log; the torn-line handling is here. */
async function writeLines(target: LogTarget, fd: number, st: Stats, own: string, progress: AppendProgress): Promise<void> {
  progress.claimed = claimSpool(target.runDir);
  const tail = await tailOf(fd, st);
  const body = Buffer.from((progress.claimed?.text ?? '') + own, 'utf8');
  await writeAll(fd, tail === 'torn' ? Buffer.concat([newline, body]) : body);
  progress.written = true;
  if (tail === 'torn-recent' && !(await ownLineStandsAlone(fd, body.subarray(0, body.indexOf(0x0a) + 1)))) {
    // Glued to a torn line after all: the glued copy is one malformed line for readers; this
    // copy (same event ids, counted once) stands on its own line.
    await writeAll(fd, body);
  }
  if (target.fsync) await afs.fdatasync(fd);
}

/**
 * Appends lines to the log, spooled ones first, rotating it first when it is full. On failure
 * the lines are spooled and the result says why; only a failure to spool as well is thrown.
 * `looked`: the look at the log directory, when the caller started it ahead (lookAtLogDir).
 */
export async function appendLines(
  target: LogTarget,
  lines: readonly PendingLine[],
  progress: AppendProgress = { claimed: null, written: false },
  looked?: LogDirLook,
): Promise<AppendResult> {
  const own = lines.map((l) => l.line).join('');
  const adding = Buffer.byteLength(own);
  try {
    await ensureLogDir(target, looked);
    // Set when a rotation found writers busy for too long: this append goes to the full file,
    // a later one rotates it.
    let overfull = false;
    for (let round = 1; ; round++) {
      if (round > maxRounds) throw new RotationWaitError(`Cannot append to ${target.logFile}: still rotating after ${maxRounds} attempts`);
      const ticket = enterAsWriter(target.runDir);
      if (ticket === null) {
        if (!(await waitUntil(target.runDir, () => !rotationUnderWay(target.runDir), gateWaitMs))) {
          throw new RotationWaitError(`Cannot append to ${target.logFile}: a rotation has been under way for ${gateWaitMs} ms`);
        }
        continue;
      }
      let full: { dev: number; ino: number } | null = null;
      try {
        const { fd, st } = await openLog(target);
        try {
          if (!overfull && needsRotation(target, st, adding)) full = { dev: st.dev, ino: st.ino };
          else await writeLines(target, fd, st, own, progress);
        } finally {
          await afs.close(fd);
        }
      } finally {
        ticket.leave();
      }
      if (full === null) break;
      // Rotation is rare: loaded when it is due, not at every append (every login).
      const { rotateLog } = await import('./rotate-log.ts');
      const rotation = await rotateLog(target, { minBytes: 1, expect: full, waitMs: drainWaitMs, now: () => new Date() });
      if (rotation.status === 'busy' && rotation.by === 'writers') overfull = true;
      else if (rotation.status === 'busy' && !(await waitUntil(target.runDir, () => !rotationUnderWay(target.runDir), gateWaitMs))) {
        throw new RotationWaitError(`Cannot append to ${target.logFile}: a rotation has been under way for ${gateWaitMs} ms`);
      }
    }
  } catch (caught) {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    if (progress.written) {
      // The lines are in the file; only fdatasync or close failed. Spooling them again would
      // duplicate them, so report the error and keep them where they are.
      return { status: 'written', ...commitClaim(progress), syncError: error };
    }
    progress.claimed?.release();
    progress.claimed = null;
    spoolLines(target.runDir, lines);
    return { status: 'spooled', error };
  }
  return { status: 'written', ...commitClaim(progress) };
}

function commitClaim(progress: AppendProgress): { drained: number; rejected: number } {
  const claimed = progress.claimed;
  progress.claimed = null;
  if (!claimed) return { drained: 0, rejected: 0 };
  claimed.commit();
  return { drained: claimed.text.split('\n').length - 1, rejected: claimed.rejected };
}
