// How writers and a rotation coordinate (node:fs has no flock). Everything lives in the run
// directory, a local tmpfs, so these calls are synchronous and cost microseconds.
//
// - A writer announces itself before it opens the log: it creates `writers/PID-START` (START:
//   the process's start time in clock ticks, so that a reused pid is not taken for it), then
//   checks for the marker `rotating`. Marker present: it withdraws and waits. Otherwise it opens,
//   appends, closes, and removes its file.
// - A rotation first creates the marker (O_EXCL: one rotation at a time), then waits until no
//   live writer is announced, and only then renames the log. Writers that announced themselves
//   before the marker existed finish first; those after it see it and wait.
//
// Both sides write first and look second, so at least one sees the other: no writer holds the
// log open when it is renamed, and nothing is written to a segment after its rotation — tailers
// (logsphere follow, rsyslog's imfile, Vector, Fluent Bit, Filebeat) that move on to the new file
// miss nothing. A writer or rotation that dies leaves its file behind; it is recognised as dead
// by its pid and start time and ignored (a dead rotation's marker is removed by whoever finds it).
//
// An announcement is per process (pid and start time): a process appends one batch at a time,
// as the hook does.
//
// Waiting is bounded: a writer waits at most `waitMs` for a rotation to finish (then its record
// goes to the spool, written by the next append), a rotation at most `waitMs` for writers to
// finish (then it gives up; the next writer tries again).

import { fs } from '../sys/fs.ts';
import { processStartTicks } from '../sys/processes.ts';
import { errorCode } from './errors.ts';
import { ensureOwnDirSync } from './atomic-file.ts';

const { closeSync, constants, linkSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } = fs;
const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;

export interface ProcessIdentity {
  pid: number;
  start: number;
}

let self: ProcessIdentity | null = null;

/** This process: its pid and start time. */
export function selfIdentity(): ProcessIdentity {
  self ??= { pid: process.pid, start: processStartTicks(process.pid) ?? 0 };
  return self;
}

function runs(who: ProcessIdentity): boolean {
  return processStartTicks(who.pid) === who.start;
}

const writersDir = (runDir: string) => `${runDir}/writers`;
const markerPath = (runDir: string) => `${runDir}/rotating`;
const idName = (who: ProcessIdentity) => `${who.pid}-${who.start}`;

function parseId(text: string): ProcessIdentity | null {
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  return m ? { pid: Number(m[1]), start: Number(m[2]) } : null;
}

function createExclusive(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
  try {
    if (content !== '') writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

function ensureGateDirs(runDir: string): void {
  ensureOwnDirSync(runDir, 0o755);
  ensureOwnDirSync(writersDir(runDir), 0o700);
}

/** A writer's announcement; `leave` removes it. */
export interface WriterTicket {
  leave(): void;
}

/**
 * Announces a writer; null when a rotation is under way (nothing is left announced then). A
 * marker left by a dead rotation is removed and the writer goes ahead.
 */
export function enterAsWriter(runDir: string): WriterTicket | null {
  ensureGateDirs(runDir);
  const path = `${writersDir(runDir)}/${idName(selfIdentity())}`;
  createExclusive(path, ''); // false: already announced by this process
  const ticket = { leave: () => unlinkQuietly(path) };
  if (rotationUnderWay(runDir)) {
    ticket.leave();
    return null;
  }
  return ticket;
}

/** The marker: its inode and the owner it names (null when garbled); null when there is none. */
function readMarker(runDir: string): { ino: number; owner: ProcessIdentity | null } | null {
  const marker = markerPath(runDir);
  try {
    const ino = lstatSync(marker).ino;
    return { ino, owner: parseId(readFileSync(marker, 'utf8')) };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw error;
  }
}

/** Whether a live rotation holds the marker; a dead one's marker is removed. */
export function rotationUnderWay(runDir: string): boolean {
  const marker = readMarker(runDir);
  if (marker === null) return false;
  if (marker.owner !== null && runs(marker.owner)) return true;
  removeStaleMarker(runDir, marker.ino);
  return false;
}

/**
 * Moves a dead rotation's marker aside and deletes it; should the marker moved aside turn out to
 * be a new one (another process replaced the dead one in between), it is put back.
 */
function removeStaleMarker(runDir: string, staleIno: number): void {
  const aside = `${runDir}/.rotating-stale-${process.pid}`;
  try {
    renameSync(markerPath(runDir), aside);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  if (lstatSync(aside).ino !== staleIno) {
    try {
      linkSync(aside, markerPath(runDir));
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
    }
  }
  unlinkQuietly(aside);
}

/** The rotation's hold on the log; `release` lets writers go on. */
export interface RotationHold {
  owner: ProcessIdentity;
  release(): void;
}

/**
 * Takes the marker for `owner` (by default this process; logrotate's prerotate script passes
 * logrotate's own pid); null when another live rotation holds it.
 */
export function beginRotation(runDir: string, owner: ProcessIdentity = selfIdentity()): RotationHold | null {
  ensureGateDirs(runDir);
  const marker = markerPath(runDir);
  // Written under a private name and linked into place: the marker never exists without its owner.
  const draft = `${runDir}/.rotating-${idName(selfIdentity())}`;
  unlinkQuietly(draft);
  createExclusive(draft, idName(owner));
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(draft, marker);
        const ino = lstatSync(marker).ino;
        return { owner, release: () => releaseMarker(runDir, ino) };
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
      if (rotationUnderWay(runDir)) return null; // a live one; a dead one was just removed: try again
    }
    return null;
  } finally {
    unlinkQuietly(draft);
  }
}

function releaseMarker(runDir: string, ino: number): void {
  try {
    if (lstatSync(markerPath(runDir)).ino === ino) unlinkSync(markerPath(runDir));
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

/** Releases the marker held for `owner` (logrotate's postrotate); false when it holds none. */
export function endRotationOf(runDir: string, owner: ProcessIdentity): boolean {
  const marker = readMarker(runDir);
  if (marker?.owner?.pid !== owner.pid || marker.owner.start !== owner.start) return false;
  releaseMarker(runDir, marker.ino);
  return true;
}

/** Writers announced and still running, other than `except`. */
export function liveWriters(runDir: string, except: ProcessIdentity | null = selfIdentity()): number {
  let names: string[];
  try {
    names = readdirSync(writersDir(runDir));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 0;
    throw error;
  }
  let live = 0;
  for (const name of names) {
    const who = parseId(name);
    if (who === null) continue;
    if (except !== null && who.pid === except.pid && who.start === except.start) continue;
    if (runs(who)) live++;
    else unlinkQuietly(`${writersDir(runDir)}/${name}`); // a writer that died mid-append
  }
  return live;
}

/**
 * Resolves once `done()` holds or `waitMs` has passed (false then). Checks again at every change
 * in the run directory or its writers directory (inotify), and at least every `recheckMs` (a
 * process that dies leaves no event behind).
 */
export async function waitUntil(runDir: string, done: () => boolean, waitMs: number, recheckMs = 20): Promise<boolean> {
  if (done()) return true;
  const deadline = Date.now() + waitMs;
  const watchers: Array<{ close(): void }> = [];
  let wake: (() => void) | null = null;
  for (const dir of [runDir, writersDir(runDir)]) {
    try {
      const w = fs.watch(dir, { persistent: false }, () => wake?.());
      w.on('error', () => undefined);
      watchers.push(w);
    } catch {
      // no inotify: the periodic check still runs
    }
  }
  try {
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          wake = null;
          resolve();
        }, Math.min(left, recheckMs));
        wake = () => {
          clearTimeout(timer);
          wake = null;
          resolve();
        };
      });
    }
    return true;
  } finally {
    for (const w of watchers) w.close();
  }
}
