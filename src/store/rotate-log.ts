// Rotation of the live log by renaming it to `sessions-YYYYMMDDTHHMMSSZ.jsonl` (the next append
// creates a new `sessions.jsonl`), coordinated with writers through the rotation gate: the rename
// happens only while no writer holds the log open, so a segment never grows after its rotation.

import { errorCode, RefusedPathError, describeFileType } from './errors.ts';
import * as afs from './fs-async.ts';
import { openLog, type LogTarget } from './log-file.ts';
import { beginRotation, liveWriters, waitUntil } from './rotation-gate.ts';
import { rotatedName } from './segments.ts';

export type RotationOutcome =
  | { status: 'rotated'; segment: string; bytes: number }
  | { status: 'not-needed'; reason: string }
  | { status: 'busy'; by: 'rotation' | 'writers'; reason: string };

export interface RotateRequest {
  /** Rotate only when the log has at least this many bytes (1: whenever it is not empty). */
  minBytes: number;
  /** Rotate only this file (device and inode as the caller saw it): another rotation may have come first. */
  expect?: { dev: number; ino: number };
  /** How long to wait for writers still appending. */
  waitMs: number;
  now: () => Date;
}

async function exists(path: string): Promise<boolean> {
  try {
    await afs.lstat(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** A segment name not taken yet, compressed or not. */
async function freeSegmentPath(target: LogTarget, at: Date): Promise<string> {
  const logName = target.logFile.slice(target.logFile.lastIndexOf('/') + 1);
  for (let seq = 0; ; seq++) {
    const path = `${target.logDir}/${rotatedName(logName, at, seq)}`;
    if (!(await exists(path)) && !(await exists(`${path}.gz`))) return path;
  }
}

/** Renames the live log to a new segment once no writer has it open. */
export async function rotateLog(target: LogTarget, request: RotateRequest): Promise<RotationOutcome> {
  // A look before the hold: writers are not held off for a log that needs no rotation.
  try {
    const st = await afs.lstat(target.logFile);
    if (st.isFile() && (st.size === 0 || st.size < request.minBytes)) return { status: 'not-needed', reason: `${st.size} bytes` };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { status: 'not-needed', reason: 'no log file' };
    throw error;
  }
  const hold = beginRotation(target.runDir);
  if (hold === null) return { status: 'busy', by: 'rotation', reason: 'another rotation is under way' };
  try {
    if (!(await waitUntil(target.runDir, () => liveWriters(target.runDir) === 0, request.waitMs))) {
      return { status: 'busy', by: 'writers', reason: `writers still appending after ${request.waitMs} ms` };
    }
    let st;
    try {
      st = await afs.lstat(target.logFile);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return { status: 'not-needed', reason: 'no log file' };
      throw error;
    }
    if (!st.isFile()) throw new RefusedPathError(target.logFile, describeFileType(st.mode));
    if (request.expect && (st.dev !== request.expect.dev || st.ino !== request.expect.ino)) {
      return { status: 'not-needed', reason: 'rotated already' };
    }
    if (st.size === 0 || st.size < request.minBytes) return { status: 'not-needed', reason: `${st.size} bytes` };
    const segment = await freeSegmentPath(target, request.now());
    await afs.rename(target.logFile, segment);
    // The new live file right away, so that tailers find it; then the renames made durable.
    await afs.close((await openLog(target)).fd);
    if (target.fsync) await afs.syncDir(target.logDir);
    return { status: 'rotated', segment, bytes: st.size };
  } finally {
    hold.release();
  }
}
