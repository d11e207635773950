// Follows a growing log by path, a line at a time, as `tail -F` does, and knows its rotated
// segments (segments.ts): when the file it reads has been rotated away, it reads that file to
// its end and goes on with the next segment in rotation order — not straight to the live file,
// so rotations that came and went while it was stopped or busy are read too, compressed or not
// — and finally the live file. A truncated live file is read again from its start.
//
// The position — the file's identity (device, inode), its name and place among the segments,
// the offset after the last whole line and the bytes before it — can be saved and given back.
// A saved file is found again by its inode (under whatever name it has now), or, once
// compressed, as the `.gz` segment whose content has the same bytes before that offset.

import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { compareSegments, listSegments, type Segment } from '../store/segments.ts';
import { gunzipInput } from './inputs.ts';
import { readRange } from './read-range.ts';

export interface TailPosition {
  dev: number;
  ino: number;
  /** Bytes of the file fully read (whole lines); uncompressed bytes in a `.gz` segment. */
  offset: number;
  /** The file's name when the position was taken, and its place in rotation order. */
  name?: string;
  order?: number;
  seq?: number;
  compressed?: boolean;
  /** The last bytes before `offset`, hex. */
  tail?: string;
}

export interface TailRead {
  lines: string[];
  /** Files finished because the log was rotated (their remainder is in `lines`). */
  rotations: number;
  /** Times the file was found shorter than the position (truncated): read again from the start. */
  truncations: number;
}

/** Where a tail starts: a saved position, the live file's start or end, or the oldest segment. */
export type TailStart = TailPosition | 'start' | 'end' | 'oldest';

const chunkBytes = 1 << 20;
const tailBytes = 64;

interface Source {
  /** Plain file: its descriptor; a `.gz` segment: null, its content in `data`. */
  fd: number | null;
  data: Buffer | null;
  dev: number;
  ino: number;
  offset: number;
  name: string;
  order: number;
  seq: number;
}

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

function gunzipFile(path: string): Buffer | null {
  const fd = openNoFollow(path);
  if (fd === null) return null;
  try {
    return gunzipInput(path, readFileSync(fd));
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}


export interface TailWarning {
  (message: string): void;
}

export class LogTail {
  private src: Source | null = null;
  /** The end of the last file finished, while nothing of the next one has been read. */
  private finished: TailPosition | null = null;
  private readonly dir: string;
  private readonly logName: string;

  constructor(
    readonly path: string,
    from: TailStart,
    private readonly warn: TailWarning = () => undefined,
  ) {
    const slash = path.lastIndexOf('/');
    this.dir = slash > 0 ? path.slice(0, slash) : slash === 0 ? '/' : '.';
    this.logName = path.slice(slash + 1);
    if (typeof from === 'object') this.resume(from);
    else if (from === 'oldest') {
      const first = this.segments()[0];
      if (first !== undefined) this.openSegment(first, 0);
    } else if (this.openLive(0) && from === 'end' && this.src !== null) {
      this.src.offset = this.sizeOf(this.src);
    }
  }

  /**
   * Where the tail stands. At the very start of a file the end of the file before it is given
   * instead: a file of which nothing was read cannot be recognised by its content once it has been
   * compressed, the one before it can.
   */
  position(): TailPosition | null {
    const s = this.src;
    if (s === null) return this.finished;
    if (s.offset === 0 && this.finished !== null) return this.finished;
    return { dev: s.dev, ino: s.ino, offset: s.offset, name: s.name, order: s.order, seq: s.seq, compressed: s.data !== null, tail: this.bytesBefore(s, s.offset) };
  }

  /** The last bytes before `offset` in `src`, hex: what identifies a position by content. */
  private bytesBefore(src: Source, offset: number): string {
    const start = Math.max(0, offset - tailBytes);
    return (src.data !== null ? src.data.subarray(start, offset) : readRange(src.fd as number, start, offset - start)).toString('hex');
  }

  /** Reads what was appended since the last call (at most about `maxBytes` of it). */
  read(maxBytes = 8 * chunkBytes): TailRead {
    const result: TailRead = { lines: [], rotations: 0, truncations: 0 };
    if (this.src === null && !this.openLive(0)) return result;
    let budget = maxBytes;
    for (;;) {
      const src = this.src as Source;
      const live = this.isLive(src);
      if (live && this.sizeOf(src) < src.offset) {
        src.offset = 0;
        result.truncations++;
      }
      budget -= this.readLines(src, result.lines, budget, false);
      if (budget <= 0) return result;
      if (live) return result;
      if (src.data === null && identity(this.path) === null) return result; // renamed away, the new file not created yet: wait
      // Finished: the rest of this file (a torn last line too), then the next file in rotation order.
      this.readLines(src, result.lines, Infinity, true);
      result.rotations++;
      this.finished = this.position();
      if (!this.advance()) return result;
    }
  }

  close(): void {
    if (this.src?.fd != null) closeSync(this.src.fd);
    this.src = null;
  }

  private segments(): Segment[] {
    return listSegments(this.dir, this.logName);
  }

  private isLive(src: Source): boolean {
    if (src.data !== null) return false;
    const now = identity(this.path);
    return now !== null && now.dev === src.dev && now.ino === src.ino;
  }

  private sizeOf(src: Source): number {
    return src.data !== null ? src.data.length : fstatSync(src.fd as number).size;
  }

  /** Reads whole lines from the position; at the end of a finished file also a last partial one. */
  private readLines(src: Source, into: string[], budget: number, finished: boolean): number {
    if (src.data !== null) {
      const data = src.data;
      const end = finished ? data.length : data.lastIndexOf(0x0a) + 1;
      if (end <= src.offset) return 0;
      const text = data.toString('utf8', src.offset, data[end - 1] === 0x0a ? end - 1 : end);
      for (const line of text.split('\n')) into.push(line);
      const used = end - src.offset;
      src.offset = end;
      return used;
    }
    const fd = src.fd as number;
    let used = 0;
    const buffer = Buffer.allocUnsafe(chunkBytes);
    let carry: Buffer | null = null;
    while (used < budget) {
      const n = readSync(fd, buffer, 0, buffer.length, src.offset + (carry?.length ?? 0));
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
      src.offset += end + 1;
      carry = end + 1 < data.length ? Buffer.from(data.subarray(end + 1)) : null;
    }
    if (finished && carry !== null && carry.length > 0) {
      // A torn last line of a file that will not grow any more: handed on (a malformed line).
      into.push(carry.toString('utf8'));
      src.offset += carry.length;
    }
    return used;
  }

  private openLive(offset: number): boolean {
    const fd = openNoFollow(this.path);
    if (fd === null) return false;
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      return false;
    }
    this.replace({ fd, data: null, dev: st.dev, ino: st.ino, offset: offset <= st.size ? offset : 0, name: this.logName, order: Infinity, seq: 0 });
    return true;
  }

  private openSegment(segment: Segment, offset: number): boolean {
    if (segment.scheme === 'live') return this.openLive(offset);
    if (segment.compressed) {
      const data = gunzipFile(segment.path);
      if (data === null) {
        this.warn(`cannot read ${segment.path}: not a readable gzip file; skipped`);
        return false;
      }
      this.replace({ fd: null, data, dev: segment.dev, ino: segment.ino, offset: Math.min(offset, data.length), name: segment.name, order: segment.order, seq: segment.seq });
      return true;
    }
    const fd = openNoFollow(segment.path);
    if (fd === null) return false;
    const st = fstatSync(fd);
    if (!st.isFile() || st.ino !== segment.ino || st.dev !== segment.dev) {
      closeSync(fd);
      return false;
    }
    this.replace({ fd, data: null, dev: st.dev, ino: st.ino, offset: Math.min(offset, st.size), name: segment.name, order: segment.order, seq: segment.seq });
    return true;
  }

  private replace(next: Source): void {
    if (this.src?.fd != null) closeSync(this.src.fd);
    this.src = next;
    if (next.offset > 0) this.finished = null;
  }

  /** Moves from the finished file to the next one in rotation order; false when there is none yet. */
  private advance(): boolean {
    const src = this.src as Source;
    const segments = this.segments();
    let at = segments.findIndex((s) => s.dev === src.dev && s.ino === src.ino && s.compressed === (src.data !== null));
    if (at < 0 && src.data === null) at = this.compressedCopyOf(src, segments);
    let candidates: Segment[];
    if (at >= 0) candidates = segments.slice(at + 1);
    else {
      // Gone under every name (removed): whatever comes after its place in rotation order.
      const place = { order: src.order, seq: src.seq, name: src.name, scheme: 'rotated' } as Segment;
      candidates = segments.filter((s) => compareSegments(s, place) > 0);
    }
    for (const next of candidates) if (this.openSegment(next, 0)) return true;
    return false;
  }

  /** The index of the `.gz` segment holding exactly the content of `src` (compressed since). */
  private compressedCopyOf(src: Source, segments: Segment[]): number {
    const size = fstatSync(src.fd as number).size;
    const last = readRange(src.fd as number, Math.max(0, size - tailBytes), Math.min(size, tailBytes));
    return segments.findIndex((s) => {
      if (!s.compressed) return false;
      const data = gunzipFile(s.path);
      return data !== null && data.length === size && data.subarray(size - last.length).equals(last);
    });
  }

  /** Continues at a saved position. */
  private resume(at: TailPosition): void {
    const segments = this.segments();
    const verify = (s: Source) => at.tail === undefined || (this.sizeOf(s) >= at.offset && this.bytesBefore(s, at.offset) === at.tail);
    const same = segments.find((s) => s.dev === at.dev && s.ino === at.ino && s.compressed === (at.compressed ?? false));
    if (same !== undefined && this.openSegment(same, at.offset) && verify(this.src as Source)) {
      (this.src as Source).offset = at.offset;
      return;
    }
    // Compressed since: the `.gz` segment with the same bytes before the offset (at offset 0
    // there are none to compare).
    if (at.tail !== undefined && !at.compressed && at.offset > 0) {
      for (const s of segments) {
        if (!s.compressed) continue;
        if (this.openSegment(s, at.offset) && verify(this.src as Source)) {
          (this.src as Source).offset = at.offset;
          return;
        }
      }
    }
    this.close();
    const place = { order: at.order ?? -Infinity, seq: at.seq ?? 0, name: at.name ?? '', scheme: 'rotated' } as Segment;
    const after = segments.filter((s) => compareSegments(s, place) > 0);
    this.warn(`the saved position (${at.name ?? `inode ${at.ino}`}, offset ${at.offset}) is no longer in the log; continuing with ${after[0]?.name ?? 'the live file'}`);
    for (const s of after) if (this.openSegment(s, 0)) return;
    this.openLive(0);
  }
}
