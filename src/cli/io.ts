// What a command may touch of the process, passed in so commands stay testable; and the writing
// of the process's output (logsphere.ts), straight to its descriptors.

import { fs } from '../sys/fs.ts';

export interface CommandIO {
  env: Readonly<Record<string, string | undefined>>;
  /** The writer is done with bytes when it returns (it copies what it keeps): a buffer may be filled again. */
  stdout: (text: string | Uint8Array) => void;
  stderr: (text: string) => void;
}

/** What writeFully() needs of the system: write(2) as fs.writeSync, and a pause. */
export interface WriteSystem {
  write(fd: number, bytes: Uint8Array, offset: number, length: number): number;
  pause(ms: number): void;
}

const pauses = new Int32Array(new SharedArrayBuffer(4));
const system: WriteSystem = {
  write: (fd, bytes, offset, length) => fs.writeSync(fd, bytes, offset, length),
  pause: (ms) => void Atomics.wait(pauses, 0, 0, ms),
};

/**
 * Writes all of `data` to the descriptor `fd`, in as few write(2)s as it takes. A descriptor in
 * non-blocking mode (a pipe another process made so) that is full (EAGAIN) is waited for, a few
 * milliseconds at a time, as a blocking write would. Returns false when no one reads any more
 * (EPIPE: node ignores SIGPIPE); any other error is thrown.
 */
export function writeFully(fd: number, data: string | Uint8Array, sys: WriteSystem = system): boolean {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let pause = 1;
  for (let at = 0; at < bytes.length; ) {
    try {
      at += sys.write(fd, bytes, at, bytes.length - at);
      pause = 1;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'EPIPE') return false;
      if (code !== 'EAGAIN') throw error;
      sys.pause(pause);
      pause = Math.min(pause * 2, 32);
    }
  }
  return true;
}

/** The major number of a device id (glibc's gnu_dev_major). */
const major = (dev: number) => ((dev >>> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);

/**
 * Whether the descriptor `fd` may be a terminal, without asking the tty layer: only a character
 * device may, and never one of the memory devices (major 1: /dev/null, /dev/zero, ...).
 */
export function mayBeTerminal(fd: number): boolean {
  try {
    const st = fs.fstatSync(fd);
    return st.isCharacterDevice() && major(st.rdev) !== 1;
  } catch {
    return false;
  }
}
