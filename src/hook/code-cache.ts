// The hook's V8 code cache: the bytecode of the hook's start-up code, written at install time
// (scripts/write-hook-code-cache.mjs, run by scripts/install.sh) beside the hook as
// `logsphere-hook.code-cache`, so that a login deserialises the code instead of compiling it.
//
// The cache is code run as root at every login, so it is trusted as the hook itself is, or not
// used at all: a regular file owned by root and writable by nobody else, opened without following
// a link or blocking, of bounded size, and made for this very hook — its header names the hook's
// body by a hash taken at build time, because V8 checks only the length of the source a cache
// was made from. V8 checks the rest (its version, its flags) and compiles normally when it
// rejects the data. Anything wrong means no cache, never a failed login.

import { fs } from '../sys/fs.ts';

/** Far larger than the hook's cache (about 100 KB); a file this large is not one. */
export const maxCodeCacheBytes = 16 * 1024 * 1024;

/** The first line of a code cache made for the hook's body `bodyId`. */
export function codeCacheHeader(bodyId: string): string {
  return `logsphere-hook code cache ${bodyId}\n`;
}

/** The V8 data of the code cache at `path` when it can be trusted and was made for `bodyId`; else undefined. */
export function readCodeCache(path: string, bodyId: string): Buffer | undefined {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = fs.constants;
  let fd: number;
  try {
    fd = fs.openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    const header = codeCacheHeader(bodyId);
    if (!st.isFile() || st.uid !== 0 || (st.mode & 0o022) !== 0 || st.size <= header.length || st.size > maxCodeCacheBytes) return undefined;
    const data = Buffer.allocUnsafe(st.size);
    let length = 0;
    for (let n = -1; n !== 0 && length < data.length; length += n) n = fs.readSync(fd, data, length, data.length - length, null);
    if (length !== st.size || data.toString('latin1', 0, header.length) !== header) return undefined;
    return data.subarray(header.length);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}
