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
//
// Lines come through line-reader.ts: a line longer than its maximum is skipped, counted in
// `overlong`, and reading goes on after it. A read takes the whole lines of the next `maxBytes`
// bytes of the log, and more only to reach the end of a first whole line (skipping a long line
// costs no memory); a compressed segment is streamed a piece at a time (gunzip.ts).

import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { describeFileType } from '../store/errors.ts';
import { compareSegments, listSegments, type Segment } from '../store/segments.ts';
import { GunzipStream } from './gunzip.ts';
import { InputError } from './input-error.ts';
import { LineReader, type LineSink } from './line-reader.ts';
import { bytesBefore, positionTailBytes, sameFile, scanCompressed, type LogPosition } from './log-position.ts';

/**
 * A position in the log (log-position.ts) with the file's name when it was taken and its place
 * in rotation order. Positions saved by older releases may lack the optional fields.
 */
export interface TailPosition extends Pick<LogPosition, 'dev' | 'ino' | 'offset'>, Partial<Pick<LogPosition, 'compressed' | 'tail'>> {
  name?: string;
  order?: number;
  seq?: number;
}

export interface TailRead {
  lines: string[];
  /** Lines longer than line-reader.ts's maximum, skipped (malformed); absent when none. */
  overlong?: number;
  /** Files finished because the log was rotated (their remainder is in `lines`). */
  rotations: number;
  /** Times the file was found shorter than the position (truncated): read again from the start. */
  truncations: number;
}

/** Where a tail starts: a saved position, the live file's start or end, or the oldest segment. */
export type TailStart = TailPosition | 'start' | 'end' | 'oldest';

const chunkBytes = 1 << 20;

interface Source {
  fd: number;
  /** A `.gz` segment: its content, streamed (positions count its uncompressed bytes). */
  gz: GunzipStream | null;
  /** Content taken from `gz` but not fed to `lines` yet. */
  spare: Buffer | null;
  /** Read to its end, its last partial line handed on: the log has gone on to a next file. */
  done: boolean;
  dev: number;
  ino: number;
  /** Where reading stands: `lines.lineEnd` is the offset after the last whole line. */
  lines: LineReader;
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

/** The size and last bytes of a `.gz` segment's content; null when it cannot be read. */
function contentEnd(path: string): { size: number; last: Buffer } | null {
  const fd = openNoFollow(path);
  if (fd === null) return null;
  try {
    const scan = scanCompressed(path, fd);
    return scan.damage === null ? { size: scan.length, last: scan.last } : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** What one read collects: the lines, split from the text LineReader hands on, and the overlong ones. */
class Collected implements LineSink {
  readonly found: string[] = [];
  skipped = 0;

  lines(text: string): void {
    // Each line ends with a newline, but for a finished file's torn last line.
    const parts = text.split('\n');
    if (parts[parts.length - 1] === '') parts.pop();
    for (const part of parts) this.found.push(part);
  }

  overlong(): void {
    this.skipped++;
  }
}

export interface TailWarning {
  (message: string): void;
}

/** How often the log's files are listed again when the live file listed was rotated away before it was opened. */
const listingAttempts = 5;

export class LogTail {
  private src: Source | null = null;
  /** The end of the last file finished, while nothing of the next one has been read. */
  private finished: TailPosition | null = null;
  private readonly dir: string;
  private readonly logName: string;
  private readonly buffer = Buffer.allocUnsafe(chunkBytes);
  /** The file (device:inode) at the log's path said not to be followed; null: none. */
  private refused: string | null = null;

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
      // The oldest file, listed again should it be the live one and rotated away meanwhile.
      for (let attempt = 0; attempt < listingAttempts; attempt++) {
        const first = this.segments()[0];
        if (first === undefined || this.openSegment(first, 0)) break;
      }
    } else if (this.openLive(0) && from === 'end' && this.src !== null) {
      this.src.lines.reset(this.sizeOf(this.src));
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
    const offset = s.lines.lineEnd;
    if (offset === 0 && this.finished !== null) return this.finished;
    return { dev: s.dev, ino: s.ino, offset, name: s.name, order: s.order, seq: s.seq, compressed: s.gz !== null, tail: this.bytesBefore(s).toString('hex') };
  }

  /** The last bytes before the position in `src`: what identifies a position by content. */
  private bytesBefore(src: Source): Buffer {
    return src.gz !== null ? src.lines.bytesBeforeLineEnd() : bytesBefore(src.fd, src.lines.lineEnd);
  }

  /**
   * Reads on from where the last call stopped: the whole lines of the next `maxBytes` bytes of the
   * log (or, when those hold none, up to the end of the first one there is).
   */
  read(maxBytes = 8 * chunkBytes): TailRead {
    const result: TailRead = { lines: [], rotations: 0, truncations: 0 };
    const collected = new Collected();
    const done = () => {
      result.lines = collected.found;
      if (collected.skipped > 0) result.overlong = collected.skipped;
      return result;
    };
    if (this.src === null && !this.openLive(0)) return done();
    let budget = maxBytes;
    for (;;) {
      const src = this.src as Source;
      const live = this.isLive(src);
      if (live) {
        const size = this.sizeOf(src);
        if (size < src.lines.lineEnd) {
          src.lines.reset(0);
          result.truncations++;
        } else if (size < src.lines.position) {
          src.lines.reset(src.lines.lineEnd); // the line in progress shrank: read it again
        }
      }
      budget -= this.readLines(src, collected, budget, false);
      if (budget <= 0 && collected.found.length > 0) return done();
      if (live) return done();
      // The live file renamed away, the new one not created yet: wait. (A segment opened as such
      // is finished whether or not the live file exists at this moment.)
      if (src.order === Infinity && identity(this.path) === null) return done();
      // Finished: the rest of this file (a torn last line too), once; then the next file in
      // rotation order, as soon as there is one.
      if (!src.done) {
        this.readLines(src, collected, Infinity, true);
        src.done = true;
        result.rotations++;
        this.finished = this.position();
      }
      if (!this.advance()) return done();
    }
  }

  close(): void {
    this.closeSource();
    this.src = null;
  }

  private closeSource(): void {
    this.src?.gz?.close();
    if (this.src !== null) closeSync(this.src.fd);
  }

  private segments(): Segment[] {
    return listSegments(this.dir, this.logName);
  }

  private isLive(src: Source): boolean {
    if (src.gz !== null) return false;
    const now = identity(this.path);
    return now !== null && sameFile(now, src);
  }

  private sizeOf(src: Source): number {
    return fstatSync(src.fd).size;
  }

  /**
   * Feeds the file from where it stands to `into`: exactly `budget` bytes, or fewer at its end —
   * and when no whole line came of them, on to the end of the first one. At the end of a finished
   * file also its last partial line. Returns the bytes read. What a read returns thus depends on
   * the log's bytes alone, not on how they are stored (plain or compressed) or were chunked.
   */
  private readLines(src: Source, into: Collected, budget: number, finished: boolean): number {
    let used = 0;
    for (;;) {
      const room = budget - used;
      if (room <= 0 && into.found.length > 0) break;
      let chunk = this.nextChunk(src, room > 0 ? Math.min(room, chunkBytes) : chunkBytes);
      if (chunk === null) break;
      if (room <= 0) {
        const newline = chunk.indexOf(0x0a);
        if (newline >= 0 && newline + 1 < chunk.length) {
          if (src.gz !== null) src.spare = chunk.subarray(newline + 1);
          chunk = chunk.subarray(0, newline + 1);
        }
      }
      used += chunk.length;
      src.lines.push(chunk, into);
    }
    if (finished) src.lines.end(into);
    return used;
  }

  /**
   * The next bytes of the file, at most `max`; null at its end (or where its content cannot be
   * read further). A plain file is read at the reader's position, so bytes not fed to it are read
   * again; a compressed one's are kept in `spare`.
   */
  private nextChunk(src: Source, max: number): Buffer | null {
    if (src.gz === null) {
      const n = readSync(src.fd, this.buffer, 0, Math.min(max, this.buffer.length), src.lines.position);
      return n === 0 ? null : this.buffer.subarray(0, n);
    }
    let piece = src.spare;
    src.spare = null;
    try {
      piece ??= src.gz.next();
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      this.warn(`cannot read ${src.gz.path}: ${error.detail}; skipped${src.lines.position === 0 ? '' : ' the rest of it'}`);
      // The line it cut short is part of what was skipped, not a torn line.
      src.lines.reset(src.lines.lineEnd, src.lines.bytesBeforeLineEnd());
      return null;
    }
    if (piece !== null && piece.length > max) {
      src.spare = piece.subarray(max);
      piece = piece.subarray(0, max);
    }
    return piece;
  }

  /**
   * Opens the file at the log's path. With `listed`, only when it is that file: the live file
   * listed a moment ago may have been rotated away since, its name taken by a new one, and
   * opening that instead would skip what the rotated one holds.
   */
  private openLive(offset: number, listed?: Pick<Segment, 'dev' | 'ino'>): boolean {
    const fd = openNoFollow(this.path);
    if (fd === null) {
      this.refuse();
      return false;
    }
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      this.refuse();
      return false;
    }
    if (listed !== undefined && !sameFile(st, listed)) {
      closeSync(fd);
      return false;
    }
    this.refused = null;
    const lines = new LineReader();
    lines.reset(offset <= st.size ? offset : 0);
    this.replace({ fd, gz: null, spare: null, done: false, dev: st.dev, ino: st.ino, lines, name: this.logName, order: Infinity, seq: 0 });
    return true;
  }

  /** Says once what stands at the log's path when it is there but cannot be followed (a link, a FIFO). */
  private refuse(): void {
    let st;
    try {
      st = lstatSync(this.path);
    } catch {
      return; // not there (yet): waited for
    }
    const which = `${st.dev}:${st.ino}`;
    if (st.isFile() || which === this.refused) return;
    this.refused = which;
    this.warn(`not following ${this.path}: ${describeFileType(st.mode)}, not a regular file (links are not followed)`);
  }

  private openSegment(segment: Segment, offset: number): boolean {
    if (segment.scheme === 'live') return this.openLive(offset, segment);
    const fd = openNoFollow(segment.path);
    if (fd === null) return false;
    const st = fstatSync(fd);
    if (!st.isFile() || !sameFile(st, segment)) {
      closeSync(fd);
      return false;
    }
    const base = { fd, spare: null, done: false, dev: st.dev, ino: st.ino, name: segment.name, order: segment.order, seq: segment.seq };
    if (segment.compressed) {
      const gz = new GunzipStream(segment.path, fd);
      const lines = new LineReader({ keep: positionTailBytes });
      try {
        // Up to the offset (or the end of a shorter content), keeping the bytes before it.
        const before = gz.skip(offset, positionTailBytes);
        lines.reset(gz.position, before);
      } catch (error) {
        gz.close();
        closeSync(fd);
        if (!(error instanceof InputError)) throw error;
        this.warn(`cannot read ${segment.path}: ${error.detail}; skipped`);
        return false;
      }
      this.replace({ ...base, gz, lines });
      return true;
    }
    const lines = new LineReader();
    lines.reset(Math.min(offset, st.size));
    this.replace({ ...base, gz: null, lines });
    return true;
  }

  private replace(next: Source): void {
    this.closeSource();
    this.src = next;
    if (next.lines.lineEnd > 0) this.finished = null;
  }

  /**
   * Moves from the finished file to the next one in rotation order; false when there is none yet.
   * A live file rotated away between the listing and its opening is found again under its new
   * name by listing again.
   */
  private advance(): boolean {
    for (let attempt = 0; attempt < listingAttempts; attempt++) {
      const next = this.nextAfterFinished();
      if (next !== 'rotated') return next;
    }
    return false;
  }

  /** One listing's try of advance(): 'rotated' when the live file it listed was not the one it opened. */
  private nextAfterFinished(): boolean | 'rotated' {
    const src = this.src as Source;
    const segments = this.segments();
    let at = segments.findIndex((s) => sameFile(s, src) && s.compressed === (src.gz !== null));
    if (at < 0 && src.gz === null) at = this.compressedCopyOf(src, segments);
    let candidates: Segment[];
    if (at >= 0) candidates = segments.slice(at + 1);
    else {
      // Gone under every name (removed): whatever comes after its place in rotation order.
      const place = { order: src.order, seq: src.seq, name: src.name, scheme: 'rotated' } as Segment;
      candidates = segments.filter((s) => compareSegments(s, place) > 0);
    }
    for (const next of candidates) {
      if (this.openSegment(next, 0)) return true;
      if (next.scheme === 'live' && identity(this.path) !== null) return 'rotated';
    }
    return false;
  }

  /** The index of the `.gz` segment holding exactly the content of `src` (compressed since). */
  private compressedCopyOf(src: Source, segments: Segment[]): number {
    const size = this.sizeOf(src);
    const last = bytesBefore(src.fd, size);
    return segments.findIndex((s) => {
      if (!s.compressed) return false;
      const end = contentEnd(s.path);
      return end !== null && end.size === size && end.last.equals(last);
    });
  }

  /** Continues at a saved position. */
  private resume(at: TailPosition): void {
    const segments = this.segments();
    const verify = (s: Source) => {
      if (at.tail !== undefined) return this.reaches(s, at.offset) && this.bytesBefore(s).toString('hex') === at.tail;
      if (s.gz === null) s.lines.reset(at.offset); // nothing to compare: taken as it is
      return true;
    };
    const same = segments.find((s) => sameFile(s, at) && s.compressed === (at.compressed ?? false));
    if (same !== undefined && this.openSegment(same, at.offset) && verify(this.src as Source)) return;
    // Compressed since: the `.gz` segment with the same bytes before the offset (at offset 0
    // there are none to compare).
    if (at.tail !== undefined && !at.compressed && at.offset > 0) {
      for (const s of segments) {
        if (!s.compressed) continue;
        if (this.openSegment(s, at.offset) && verify(this.src as Source)) return;
      }
    }
    this.close();
    const place = { order: at.order ?? -Infinity, seq: at.seq ?? 0, name: at.name ?? '', scheme: 'rotated' } as Segment;
    const after = segments.filter((s) => compareSegments(s, place) > 0);
    this.warn(`the saved position (${at.name ?? `inode ${at.ino}`}, offset ${at.offset}) is no longer in the log; continuing with ${after[0]?.name ?? 'the live file'}`);
    for (let attempt = 0; attempt < listingAttempts; attempt++) {
      const after = this.segments().filter((s) => compareSegments(s, place) > 0);
      for (const s of after) if (this.openSegment(s, 0)) return;
    }
    this.openLive(0);
  }

  /** Whether `src`, opened at `offset`, stands there (its content is not shorter). */
  private reaches(src: Source, offset: number): boolean {
    if (src.gz !== null) return src.lines.lineEnd === offset;
    if (this.sizeOf(src) < offset) return false;
    src.lines.reset(offset);
    return true;
  }
}
