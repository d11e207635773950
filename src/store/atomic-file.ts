// Files that appear whole or not at all, and the directories they live in.
//
// A file is replaced through a temp file beside it, created with O_EXCL|O_NOFOLLOW (a name
// planted in advance, or a link, fails the open instead of being written through), written,
// synced when asked, and renamed over the target (rename replaces a link, never follows it).
// State that root keeps (checkpoints, the run directory's entries) lives in directories owned
// by the writer: ensureOwnDirSync opens the directory without following a link and refuses one
// that belongs to someone else, who could otherwise swap names in it.

import { fs } from '../sys/fs.ts';
import { RefusedPathError, describeFileType, errorCode } from './errors.ts';

const { O_WRONLY, O_RDONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY } = fs.constants;

let tempCounter = 0;

/**
 * Makes sure `path` is a directory owned by this process's user, creating it with `mode` when
 * missing (its parent must exist). A link, a non-directory, or a directory of another owner is
 * refused.
 */
export function ensureOwnDirSync(path: string, mode: number): void {
  const euid = process.geteuid?.() ?? 0;
  // The usual case, at every login: there, a directory (lstat follows no link), ours.
  try {
    const st = fs.lstatSync(path);
    if (st.isDirectory() && st.uid === euid) return;
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  let created = false;
  let fd: number;
  for (let attempt = 1; ; attempt++) {
    try {
      fd = fs.openSync(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      break;
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ELOOP') throw new RefusedPathError(path, 'a symbolic link');
      if (code === 'ENOTDIR') throw new RefusedPathError(path, describeTypeAt(path));
      if (code !== 'ENOENT' || created || attempt > 3) throw error;
    }
    try {
      fs.mkdirSync(path, { mode });
      created = true;
    } catch (mkdirError) {
      if (errorCode(mkdirError) !== 'EEXIST') throw mkdirError;
    }
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.uid !== euid) throw new RefusedPathError(path, `owned by uid ${st.uid}, not by this user (uid ${euid})`);
    if (created) fs.fchmodSync(fd, mode); // the mode asked for, whatever the umask
  } finally {
    fs.closeSync(fd);
  }
}

function describeTypeAt(path: string): string {
  try {
    return describeFileType(fs.lstatSync(path).mode);
  } catch {
    return 'not a directory';
  }
}

/** Creates a temp file in `dir` for `name` with O_EXCL|O_NOFOLLOW; returns its path and descriptor. */
function createTemp(dir: string, name: string, mode: number): { temp: string; fd: number } {
  for (let attempt = 0; ; attempt++) {
    // The process's threads (a worker writing beside the main thread) share the pid and the clock.
    const temp = `${dir}/.${name}.${process.pid}.${Date.now().toString(36)}${(tempCounter++).toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`;
    try {
      return { temp, fd: fs.openSync(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode) };
    } catch (error) {
      if (errorCode(error) !== 'EEXIST' || attempt >= 8) throw error;
    }
  }
}

/**
 * Writes `dir/name` so that it appears complete or not at all; `sync` makes it durable too; `gid`
 * gives it that group (through its descriptor, before it appears).
 */
export function writeFileAtomicSync(dir: string, name: string, data: string | Uint8Array, mode: number, sync = false, gid: number | null = null): void {
  let made: { temp: string; fd: number };
  try {
    made = createTemp(dir, name, mode);
  } catch (error) {
    throw new WriteError(`${dir}/${name}`, error);
  }
  const { temp, fd } = made;
  try {
    try {
      fs.fchmodSync(fd, mode); // the mode asked for, whatever the umask (under su, the user's)
      if (gid !== null) fs.fchownSync(fd, -1, gid);
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let offset = 0; offset < bytes.length; ) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
      if (sync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, `${dir}/${name}`);
  } catch (error) {
    try {
      fs.unlinkSync(temp);
    } catch {
      // already renamed, or never made
    }
    throw new WriteError(`${dir}/${name}`, error);
  }
}

/** A file that could not be written, named as asked for (not by its temp file); `code` kept. */
export class WriteError extends Error {
  override name = 'WriteError';
  readonly path: string;
  readonly code: string | undefined;
  constructor(path: string, cause: unknown) {
    const code = errorCode(cause);
    super(`Cannot write ${path}: ${code ?? (cause instanceof Error ? cause.message : String(cause))}`, { cause });
    this.path = path;
    this.code = code;
  }
}

/** Replaces the file at `path` whole and durably (temp file, fsync, rename). */
export function replaceFileSync(path: string, data: string | Uint8Array, mode: number): void {
  const slash = path.lastIndexOf('/');
  const dir = slash < 0 ? '.' : slash === 0 ? '/' : path.slice(0, slash);
  writeFileAtomicSync(dir, path.slice(slash + 1), data, mode, true);
}
