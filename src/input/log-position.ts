// A position in a rotating log: the file (device and inode, and whether it is a compressed
// segment), the offset after the last whole line read, and the last bytes before that offset.
// Those bytes recognise the position by content: a file rewritten in place no longer has them,
// and a segment compressed since has them at the same offset of its content. The tail (tail.ts)
// and the sessions checkpoint keep and find their positions through this module.

import { GunzipStream } from './gunzip.ts';
import { InputError } from './input-error.ts';
import { readRange } from './read-range.ts';

/** How many bytes before its offset a position keeps. */
export const positionTailBytes = 64;

export interface LogPosition {
  dev: number;
  ino: number;
  /** Bytes of the file read (whole lines); uncompressed bytes in a `.gz` segment. */
  offset: number;
  compressed: boolean;
  /** The last bytes before `offset` (at most positionTailBytes), hex. */
  tail: string;
}

/** Whether two files are one (device and inode). */
export function sameFile(a: { dev: number; ino: number }, b: { dev: number; ino: number }): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** The bytes a position keeps before `offset` of an open plain file. */
export function bytesBefore(fd: number, offset: number): Buffer {
  const start = Math.max(0, offset - positionTailBytes);
  return readRange(fd, start, offset - start);
}

/** Whether an open plain file of `size` bytes still has the position's bytes before its offset. */
export function plainFileHolds(fd: number, size: number, position: Pick<LogPosition, 'offset' | 'tail'>): boolean {
  return size >= position.offset && bytesBefore(fd, position.offset).toString('hex') === position.tail;
}

/** One pass over a compressed file's content: its length, and the bytes before its end and before each of `offsets`. */
export interface ContentScan {
  /** The length of the content, or of what of it could be read before the damage. */
  length: number;
  last: Buffer;
  /** For the offsets within the content. */
  before: Map<number, Buffer>;
  /** Where the content could not be decompressed further (gunzip.ts); null when read to its end. */
  damage: InputError | null;
}

/** Scans the content of the open `.gz` file at `path`, up to its end or its damage. */
export function scanCompressed(path: string, fd: number, offsets: readonly number[] = []): ContentScan {
  const gunzip = new GunzipStream(path, fd);
  const before = new Map<number, Buffer>();
  let damage: InputError | null = null;
  try {
    for (const offset of [...new Set(offsets)].sort((a, b) => a - b)) {
      const bytes = gunzip.skip(offset - gunzip.position, positionTailBytes);
      if (gunzip.position < offset) break;
      before.set(offset, bytes);
    }
    gunzip.skip(Infinity, 0);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    damage = error;
  } finally {
    gunzip.close();
  }
  return { length: gunzip.position, last: gunzip.before(positionTailBytes), before, damage };
}
