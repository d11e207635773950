// The append-only writer of the session log. Each call writes its lines with one write(2) on an
// O_APPEND descriptor, so concurrent hooks never interleave inside a line. It refuses symlinks
// and anything but a regular file at the log path (O_NOFOLLOW, and O_NONBLOCK so that a FIFO or
// device cannot block the open), creates the directory 0750 and the file 0640 owned by group
// adm, starts on a fresh line when a crash left the last line torn, and fdatasyncs unless told
// not to. Log-directory calls are asynchronous (libuv's thread pool) so that the hook's deadline
// can still fire when the filesystem hangs. When the log cannot be written, the lines go to the
// spool and the next successful append writes them first.

import type { Stats } from 'node:fs';
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

/** The group owning what the writer creates: `adm`, else root. */
function ownerGroup(): number {
  return lookupGid('adm') ?? 0;
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
    await afs.chown(target.logDir, 0, ownerGroup());
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
  }
  const st = await afs.lstat(target.logDir);
  if (!st.isDirectory()) throw new RefusedPathError(target.logDir, describeFileType(st.mode));
}

/**
 * Opens the log for appending, creating it with the right owner and mode if it is missing.
 * Returns its stat too: the type check and the torn-line check share one fstat.
 */
async function openLog(target: LogTarget): Promise<{ fd: number; st: Stats }> {
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
    const { fd, st } = await openLog(target);
    try {
      progress.claimed = claimSpool(target.runDir);
      const own = lines.map((l) => l.line).join('');
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
