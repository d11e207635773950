// The log file itself: its directory (0750) and the file (0640), both group adm, created when
// missing; symlinks and anything but a regular file at the log path are refused (O_NOFOLLOW, and
// O_NONBLOCK so that a FIFO or device cannot block the open). Calls are asynchronous (libuv's
// thread pool) so that the hook's deadline can still fire when the filesystem hangs.

import type { Stats } from 'node:fs';
import { fs } from '../sys/fs.ts';
import { lookupGid } from '../sys/accounts.ts';
import { RefusedPathError, describeFileType, errorCode } from './errors.ts';
import * as afs from './fs-async.ts';

const { O_RDWR, O_RDONLY, O_APPEND, O_CREAT, O_EXCL, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
// Read access too: the torn-line check reads the last byte through the same descriptor.
const appendFlags = O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK;

export const logDirMode = 0o750;
export const logFileMode = 0o640;

export interface LogTarget {
  logDir: string;
  logFile: string;
  runDir: string;
  fsync: boolean;
  /** Size at which the writer rotates the log; 0: never. */
  maxBytes: number;
}

/** The group owning what the writer creates: `adm`, else root. */
function ownerGroup(): number {
  return lookupGid('adm') ?? 0;
}

/**
 * The lstat of the log directory that ensureLogDir begins with, started ahead of it: it changes
 * nothing, so a writer can start it as soon as it knows it will append (the hook does, before it
 * builds its record), and the call, on the thread pool, overlaps that work. Its failure is held
 * until ensureLogDir takes it, never left unhandled.
 */
export type LogDirLook = Promise<{ st: Stats } | { error: unknown }>;

export function lookAtLogDir(target: LogTarget): LogDirLook {
  return afs.lstat(target.logDir).then((st) => ({ st }), (error: unknown) => ({ error }));
}

function unwrapLook(look: { st: Stats } | { error: unknown }): Stats {
  if ('error' in look) throw look.error;
  return look.st;
}

/**
 * Makes sure the log directory exists and is a directory. One it creates is given group adm
 * through a descriptor opened without following links (fchown), never by path: between the
 * mkdir and a chown by path, a link could be swapped in.
 */
export async function ensureLogDir(target: LogTarget, looked?: LogDirLook): Promise<void> {
  try {
    const st = looked === undefined ? await afs.lstat(target.logDir) : unwrapLook(await looked);
    if (!st.isDirectory()) throw new RefusedPathError(target.logDir, describeFileType(st.mode));
    return;
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  let created = true;
  try {
    await afs.mkdir(target.logDir, logDirMode);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
    created = false;
  }
  let fd: number;
  try {
    fd = await afs.open(target.logDir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ELOOP' || code === 'ENOTDIR') throw new RefusedPathError(target.logDir, code === 'ELOOP' ? 'a symbolic link' : 'not a directory');
    throw error;
  }
  try {
    if (created) {
      await afs.fchown(fd, 0, ownerGroup());
      await afs.fchmod(fd, logDirMode); // whatever the umask of the login (pam_umask)
    }
  } finally {
    await afs.close(fd);
  }
}

/**
 * Opens the log for appending, creating it with the right owner and mode if it is missing.
 * Returns its stat too: the type check and the torn-line check share one fstat.
 */
export async function openLog(target: LogTarget): Promise<{ fd: number; st: Stats }> {
  let fd: number;
  try {
    fd = await afs.open(target.logFile, appendFlags);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ELOOP') throw new RefusedPathError(target.logFile, 'a symbolic link');
    if (code === 'EISDIR') throw new RefusedPathError(target.logFile, 'a directory');
    if (code !== 'ENOENT') throw error;
    try {
      fd = await afs.open(target.logFile, appendFlags | O_CREAT | O_EXCL, logFileMode);
    } catch (createError) {
      if (errorCode(createError) !== 'EEXIST') throw createError;
      return openLog(target); // another hook created it first
    }
    try {
      await afs.fchown(fd, 0, ownerGroup());
      await afs.fchmod(fd, logFileMode);
    } catch (error) {
      await afs.close(fd);
      throw error;
    }
  }
  try {
    const st = await afs.fstat(fd);
    if (!st.isFile()) throw new RefusedPathError(target.logFile, describeFileType(st.mode));
    return { fd, st };
  } catch (error) {
    await afs.close(fd);
    throw error;
  }
}

