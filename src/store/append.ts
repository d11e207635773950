// The append-only writer of the session log. Each call writes its lines with one write(2) on an
// O_APPEND descriptor, so concurrent hooks never interleave inside a line. It refuses symlinks
// and anything but a regular file at the log path (O_NOFOLLOW, and O_NONBLOCK so that a FIFO or
// device cannot block the open), creates the directory 0750 and the file 0640 owned by group
// adm, starts on a fresh line when a crash left the last line torn, and fdatasyncs unless told
// not to. Log-directory calls are asynchronous (libuv's thread pool) so that the hook's deadline
// can still fire when the filesystem hangs. When the log cannot be written, the lines go to the
// spool and the next successful append writes them first.

import { fs } from '../sys/fs.ts';
import { lookupGid } from '../sys/proc.ts';
import { RefusedPathError, describeFileType, errorCode } from './errors.ts';
import { claimSpool, spoolLines, type ClaimedSpool } from './spool.ts';
import * as afs from './fs-async.ts';

const { constants } = fs;

const { O_RDWR, O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants;
// Read access too: the torn-line check reads the last byte through the same descriptor.
const appendFlags = O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK;

export const logDirMode = 0o750;
export const logFileMode = 0o640;

export interface LogTarget {
  logDir: string;
  logFile: string;
  runDir: string;
  fsync: boolean;
  /** Group owning what the writer creates; default: `adm`, else root. */
  groupId?: number;
}

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
  | { status: 'written'; drained: number; syncError?: Error }
  | { status: 'spooled'; error: Error };

function ownerGroup(target: LogTarget): number {
  return target.groupId ?? lookupGid('adm') ?? 0;
}

async function ensureLogDir(target: LogTarget): Promise<void> {
  try {
    const st = await afs.lstat(target.logDir);
    if (!st.isDirectory()) throw new RefusedPathError(target.logDir, describeFileType(st.mode));
    return;
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  try {
    await afs.mkdir(target.logDir, logDirMode);
    await afs.chown(target.logDir, 0, ownerGroup(target));
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
  }
  const st = await afs.lstat(target.logDir);
  if (!st.isDirectory()) throw new RefusedPathError(target.logDir, describeFileType(st.mode));
}

/** Opens the log for appending, creating it with the right owner and mode if it is missing. */
async function openLog(target: LogTarget): Promise<number> {
  let fd: number;
  try {
    fd = await afs.open(target.logFile, appendFlags);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ELOOP') throw new RefusedPathError(target.logFile, 'a symbolic link');
    if (code === 'ENXIO') throw new RefusedPathError(target.logFile, 'a FIFO without a reader');
    if (code !== 'ENOENT') throw error;
    try {
      fd = await afs.open(target.logFile, appendFlags | O_CREAT | O_EXCL, logFileMode);
    } catch (createError) {
      if (errorCode(createError) !== 'EEXIST') throw createError;
      return openLog(target); // another hook created it first
    }
    try {
      await afs.fchown(fd, 0, ownerGroup(target));
      await afs.fchmod(fd, logFileMode);
    } catch (error) {
      await afs.close(fd);
      throw error;
    }
  }
  try {
    const st = await afs.fstat(fd);
    if (!st.isFile()) throw new RefusedPathError(target.logFile, describeFileType(st.mode));
  } catch (error) {
    await afs.close(fd);
    throw error;
  }
  return fd;
}

/**
 * True when the file ends in a torn line: non-empty, last byte not a newline, and the size not
 * moving. A concurrent append that crosses a page boundary makes the size visible before its
 * last bytes (ext4 updates i_size page by page), so a size that changes between two looks is
 * another writer at work, not a crash, and is looked at again.
 */
async function endsTorn(fd: number): Promise<boolean> {
  const last = Buffer.alloc(1);
  let size = (await afs.fstat(fd)).size;
  for (let look = 0; look < 4; look++) {
    if (size === 0) return false;
    await afs.read(fd, last, size - 1);
    if (last[0] === 0x0a) return false;
    const now = (await afs.fstat(fd)).size;
    if (now === size) return true;
    size = now;
  }
  return true;
}

async function writeAll(fd: number, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await afs.write(fd, data, offset);
}

/**
 * Appends lines to the log, spooled ones first. On failure the lines are spooled and the
 * result says why; only a failure to spool as well is thrown.
 */
export async function appendLines(
  target: LogTarget,
  lines: readonly PendingLine[],
  progress: AppendProgress = { claimed: null, written: false },
): Promise<AppendResult> {
  try {
    await ensureLogDir(target);
    const fd = await openLog(target);
    try {
      progress.claimed = claimSpool(target.runDir);
      const own = lines.map((l) => l.line).join('');
      const prefix = (await endsTorn(fd)) ? '\n' : '';
      await writeAll(fd, Buffer.from(prefix + (progress.claimed?.text ?? '') + own, 'utf8'));
      progress.written = true;
      if (target.fsync) await afs.fdatasync(fd);
    } finally {
      await afs.close(fd);
    }
  } catch (caught) {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    if (progress.written) {
      // The lines are in the file; only fdatasync or close failed. Spooling them again would
      // duplicate them, so report the error and keep them where they are.
      return { status: 'written', drained: commitClaim(progress), syncError: error };
    }
    progress.claimed?.release();
    progress.claimed = null;
    spoolLines(target.runDir, lines);
    return { status: 'spooled', error };
  }
  return { status: 'written', drained: commitClaim(progress) };
}

function commitClaim(progress: AppendProgress): number {
  const claimed = progress.claimed;
  progress.claimed = null;
  if (!claimed) return 0;
  claimed.commit();
  return claimed.text.split('\n').length - 1;
}
