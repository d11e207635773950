// Promise wrappers over node:fs callbacks for the log directory. node:fs/promises would do, but
// loading it pulls in streams and readline: several milliseconds at every login.

import type { Stats } from 'node:fs';
import { fs } from '../sys/fs.ts';

/** Start times (Date.now()) of the calls still on the thread pool. */
const pending = new Set<{ since: number }>();

/** How long the oldest unfinished call has been waiting, in ms; 0 when none is. */
export function oldestPendingMs(): number {
  let oldest = 0;
  const now = Date.now();
  for (const call of pending) oldest = Math.max(oldest, now - call.since);
  return oldest;
}

function call<T>(run: (done: (error: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  const entry = { since: Date.now() };
  pending.add(entry);
  return new Promise((resolve, reject) => {
    run((error, value) => {
      pending.delete(entry);
      if (error) reject(error);
      else resolve(value);
    });
  });
}

function callVoid(run: (done: (error: NodeJS.ErrnoException | null) => void) => void): Promise<void> {
  return call<void>((done) => run((error) => done(error, undefined)));
}

export const lstat = (path: string) => call<Stats>((d) => fs.lstat(path, d));
export const fstat = (fd: number) => call<Stats>((d) => fs.fstat(fd, d));
export const mkdir = (path: string, mode: number) => callVoid((d) => fs.mkdir(path, { mode }, (e) => d(e)));
export const open = (path: string, flags: number, mode?: number) => call<number>((d) => fs.open(path, flags, mode, d));
export const close = (fd: number) => callVoid((d) => fs.close(fd, d));
export const fchown = (fd: number, uid: number, gid: number) => callVoid((d) => fs.fchown(fd, uid, gid, d));
export const fchmod = (fd: number, mode: number) => callVoid((d) => fs.fchmod(fd, mode, d));
export const fdatasync = (fd: number) => callVoid((d) => fs.fdatasync(fd, d));
export const read = (fd: number, buffer: Buffer, position: number) =>
  call<number>((d) => fs.read(fd, buffer, 0, buffer.length, position, d));
export const write = (fd: number, buffer: Buffer, offset: number) =>
  call<number>((d) => fs.write(fd, buffer, offset, buffer.length - offset, null, d));
export const rename = (from: string, to: string) => callVoid((d) => fs.rename(from, to, d));
export const fsync = (fd: number) => callVoid((d) => fs.fsync(fd, d));

/** Makes a rename in `dir` durable. */
export async function syncDir(dir: string): Promise<void> {
  const fd = await open(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  try {
    await fsync(fd);
  } finally {
    await close(fd);
  }
}
