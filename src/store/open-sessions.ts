// Open sessions in the run directory: at open_session the hook leaves the open record under a
// key of (pid, pid_start, service, user, tty); close_session finds it by the same key, reuses its
// session_id and removes it. Entries are world-readable, like utmp, so an unprivileged
// `logsphere sessions` can answer from them. Beside an entry, `NAME.pty` keeps the pty found for
// the session after it opened (sshd allocates it then); the close takes it with the entry.

import { fs, readTextNoFollow } from '../sys/fs.ts';
import type { SessionOpenRecord } from '../record/types.ts';
import { errorCode } from './errors.ts';
import { ensureOwnDirSync, writeFileAtomicSync } from './atomic-file.ts';

const { lstatSync, readdirSync, unlinkSync } = fs;

export interface SessionKey {
  pid: number;
  pid_start: number;
  service: string;
  user: string;
  tty: string | null;
}

export function openSessionsDirOf(runDir: string): string {
  return `${runDir}/sessions`;
}

/** Two 32-bit FNV-1a digests side by side (64 bits, hex): a file-name-safe key without
 *  loading node:crypto in the hook. Collisions only matter within one pid and start time. */
function digest64(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (const byte of Buffer.from(text, 'utf8')) {
    a = Math.imul(a ^ byte, 0x01000193) >>> 0;
    b = Math.imul(b ^ byte, 0x01000193) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/** The entry's file name: pid and start in clear (for people), the rest digested (untrusted). */
export function entryName(key: SessionKey): string {
  const digest = digest64(JSON.stringify([key.service, key.user, key.tty]));
  return `${key.pid}-${key.pid_start}-${digest}.json`;
}

export function saveOpenSession(runDir: string, record: SessionOpenRecord): void {
  ensureOwnDirSync(runDir, 0o755);
  const dir = openSessionsDirOf(runDir);
  ensureOwnDirSync(dir, 0o755);
  writeFileAtomicSync(dir, entryName(record), JSON.stringify(record), 0o644);
}

function readEntry(path: string): unknown {
  return JSON.parse(readTextNoFollow(path));
}

/** Reads the file at `path` with `read`, then removes it; null when there is none. */
function takeFile<T>(path: string, read: (path: string) => T): T | null {
  let value: T;
  try {
    value = read(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw error;
  }
  try {
    unlinkSync(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  return value;
}

/** Removes and returns the open record stored for `key`; null when there is none. */
export function takeOpenSession(runDir: string, key: SessionKey): SessionOpenRecord | null {
  const path = `${openSessionsDirOf(runDir)}/${entryName(key)}`;
  const open = takeFile(path, readEntry) as Partial<SessionOpenRecord> | null;
  if (!open || typeof open.session_id !== 'string' || typeof open.ts !== 'string') return null;
  return open as SessionOpenRecord;
}

/** The file that keeps the pty of the session whose entry is `entry` (a name from entryName). */
export function terminalFileName(entry: string): string {
  return entry.replace(/\.json$/, '.pty');
}

const ptyPattern = /^pts\/\d{1,9}$/;

/**
 * Keeps `pty` for the open session whose entry is `entry`; false when the session has closed
 * meanwhile. A close takes its entry before it looks for the pty: when the entry is still there
 * after the pty file is written, the close will see the file; when it is not, the file is taken
 * back so that nothing is left behind.
 */
export function saveSessionTerminal(runDir: string, entry: string, pty: string): boolean {
  if (!ptyPattern.test(pty)) throw new RangeError(`Cannot keep the terminal of ${entry}: ${JSON.stringify(pty)} is not a pts/N name`);
  const dir = openSessionsDirOf(runDir);
  const name = terminalFileName(entry);
  writeFileAtomicSync(dir, name, `${pty}\n`, 0o644);
  try {
    lstatSync(`${dir}/${entry}`);
    return true;
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  try {
    unlinkSync(`${dir}/${name}`);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  return false;
}

/** Removes and returns the pty kept for `key`; null when there is none (or it is not a pts/N name). */
export function takeSessionTerminal(runDir: string, key: SessionKey): string | null {
  const path = `${openSessionsDirOf(runDir)}/${terminalFileName(entryName(key))}`;
  const text = takeFile(path, readTextNoFollow);
  if (text === null) return null;
  const pty = text.trim();
  return ptyPattern.test(pty) ? pty : null;
}

/** Every open-session entry (for `sessions` without log access and for `doctor`). */
export function listOpenSessions(runDir: string): { records: SessionOpenRecord[]; unreadable: number } {
  const dir = openSessionsDirOf(runDir);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { records: [], unreadable: 0 };
    throw error;
  }
  const records: SessionOpenRecord[] = [];
  let unreadable = 0;
  for (const name of names.sort()) {
    try {
      records.push(readEntry(`${dir}/${name}`) as SessionOpenRecord);
    } catch {
      unreadable++;
    }
  }
  return { records, unreadable };
}
