// V8 code caches of the bundles (the hook's, src/hook/code-cache.ts; the CLI's, src/bundle/piece-cache.ts):
// the bytecode of their code, written at install time beside the program, so that a run
// deserialises code instead of compiling it.
//
// A cache is code the program runs, so it is trusted as the program itself is, or not used at
// all: a regular file owned by a trusted user (root; for the CLI also the owner of the program
// file) and writable by nobody else, opened without following a link or blocking, of bounded
// size, and made for this very program — its first line names the program's code by a hash taken
// at build time, because V8 checks only the length of the source a cache was made from. V8 checks
// the rest (its version, its flags) and compiles normally when it rejects the data. Anything
// wrong means no cache, never a failed run.

import { fs } from './fs.ts';

/** Far larger than any of the caches (the hook's is about 100 KB, the CLI's about 1 MB); a file this large is not one. */
export const maxCodeCacheBytes = 16 * 1024 * 1024;

/**
 * Who may own a file the program at `programPath` runs as its own code: root, and the owner of
 * the program file itself (who could change the program anyway); root alone when the program
 * file cannot be looked at.
 */
export function programOwners(programPath: string): number[] {
  let owner = 0;
  try {
    owner = fs.statSync(programPath).uid;
  } catch {
    // root alone
  }
  return owner === 0 ? [0] : [0, owner];
}

/**
 * The bytes of the file at `path` when it can be trusted as code (see the header: a regular file
 * owned by one of `owners`, writable by nobody else, at most `maxBytes`); else undefined.
 */
export function readTrustedFile(path: string, owners: readonly number[], maxBytes = maxCodeCacheBytes): Buffer | undefined {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = fs.constants;
  let fd: number;
  try {
    fd = fs.openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || !owners.includes(st.uid) || (st.mode & 0o022) !== 0 || st.size > maxBytes) return undefined;
    const data = Buffer.allocUnsafe(st.size);
    let length = 0;
    for (let n = -1; n !== 0 && length < data.length; length += n) n = fs.readSync(fd, data, length, data.length - length, null);
    return length === st.size ? data : undefined;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * What follows `header` in the code cache at `path`, when the file can be trusted (see the
 * header: owned by one of `owners`) and begins with `header`; else undefined.
 */
export function readCodeCache(path: string, header: string, owners: readonly number[] = [0]): Buffer | undefined {
  const data = readTrustedFile(path, owners);
  if (data === undefined || data.length <= header.length || data.toString('latin1', 0, header.length) !== header) return undefined;
  return data.subarray(header.length);
}
