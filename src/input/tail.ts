// Follows a growing log file by path, a line at a time, as `tail -F` does: across rename-style
// rotation (the old file is read to its end, then the new one from its start) and truncation
// (read again from the start). The position — the file's identity (device, inode) and the offset
// after the last whole line — can be saved and given back, also after the file was rotated away
// under its saved name: the directory is searched for the same inode.

import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';

export interface TailPosition {
  dev: number;
  ino: number;
  /** Bytes of the file fully read (whole lines). */
  offset: number;
}

export interface TailRead {
  lines: string[];
  /** Files left behind because the log was rotated (their remainder is in `lines`). */
  rotations: number;
  /** Times the file was found shorter than the position (truncated): read again from the start. */
  truncations: number;
}

const chunkBytes = 1 << 20;

function identity(path: string): { dev: number; ino: number } | null {
  try {
    const st = lstatSync(path);
    return st.isFile() ? { dev: st.dev, ino: st.ino } : null;
  } catch {
    return null;
  }
}

function openNoFollow(path: string): number | null {
  try {
    return openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
}

export class LogTail {
  private fd: number | null = null;
  private dev = -1;
  private ino = -1;
  private offset = 0;

  /**
   * `from`: a saved position; `'start'` or `'end'` of the current file. A saved position whose
   * file is gone (deleted, compressed) continues with the current file from its start.
   */
  constructor(
    readonly path: string,
    from: TailPosition | 'start' | 'end',
  ) {
    if (typeof from === 'object') {
      const now = identity(path);
      const where = now !== null && now.dev === from.dev && now.ino === from.ino ? path : this.findRotated(from);
      if (where !== null && this.openAt(where, from.offset)) return;
      this.openAt(path, 0);
      return;
    }
    if (this.openAt(path, 0) && from === 'end') this.offset = fstatSync(this.fd as number).size;
  }

  position(): TailPosition | null {
    return this.fd === null ? null : { dev: this.dev, ino: this.ino, offset: this.offset };
  }

  /** Reads what was appended since the last call (at most about `maxBytes` of it). */
  read(maxBytes = 8 * chunkBytes): TailRead {
    const result: TailRead = { lines: [], rotations: 0, truncations: 0 };
    if (this.fd === null && !this.openAt(this.path, 0)) return result;
    let budget = maxBytes;
    for (;;) {
      const fd = this.fd as number;
      const size = fstatSync(fd).size;
      if (size < this.offset) {
        this.offset = 0;
        result.truncations++;
      }
      budget -= this.readLines(fd, result.lines, budget, false);
      if (budget <= 0) return result;
      // At the end of the open file: has the path moved on to another file?
      const now = identity(this.path);
      if (now !== null && now.dev === this.dev && now.ino === this.ino) return result;
      if (now === null) return result; // renamed away, the new file not created yet: wait
      // Rotated: whatever was appended to the old file before the switch, then the new file.
      this.readLines(fd, result.lines, Infinity, true);
      result.rotations++;
      closeSync(fd);
      this.fd = null;
      if (!this.openAt(this.path, 0)) return result;
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** Reads whole lines from the position; at the end of a finished file also a last partial one. */
  private readLines(fd: number, into: string[], budget: number, finished: boolean): number {
    let used = 0;
    const buffer = Buffer.allocUnsafe(chunkBytes);
    let carry: Buffer | null = null;
    while (used < budget) {
      const n = readSync(fd, buffer, 0, buffer.length, this.offset + (carry?.length ?? 0));
      if (n === 0) break;
      used += n;
      const data: Buffer = carry ? Buffer.concat([carry, buffer.subarray(0, n)]) : buffer.subarray(0, n);
      const end = data.lastIndexOf(0x0a);
      if (end < 0) {
        carry = Buffer.from(data);
        continue;
      }
      const text = data.toString('utf8', 0, end);
      for (const line of text.split('\n')) into.push(line);
      this.offset += end + 1;
      carry = end + 1 < data.length ? Buffer.from(data.subarray(end + 1)) : null;
    }
    if (finished && carry !== null && carry.length > 0) {
      // A torn last line of a file that will not grow any more: handed on (a malformed line).
      into.push(carry.toString('utf8'));
      this.offset += carry.length;
    }
    return used;
  }

  private openAt(path: string, offset: number): boolean {
    const fd = openNoFollow(path);
    if (fd === null) return false;
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      return false;
    }
    this.fd = fd;
    this.dev = st.dev;
    this.ino = st.ino;
    this.offset = offset <= st.size ? offset : 0;
    return true;
  }

  private findRotated(at: TailPosition): string | null {
    const dir = this.path.slice(0, this.path.lastIndexOf('/')) || '/';
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return null;
    }
    for (const name of names) {
      const id = identity(`${dir}/${name}`);
      if (id !== null && id.dev === at.dev && id.ino === at.ino) return `${dir}/${name}`;
    }
    return null;
  }
}
