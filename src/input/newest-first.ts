// Reads the log's own files newest first, for questions about the recent past (`last -n 20`,
// `last --since -1d`, `failed --since -1h`, the weekly report): the live file from its end
// backwards, then each rotated segment, newer to older, stopping as soon as the caller's answer
// is complete — util-linux last's way through wtmp, over the log's segments.
//
// Why stopping early is sound: writers append in time order, give or take concurrent hooks within
// a moment, and rotation names segments in order. So a record is never more than `orderWindow`
// later than any record written after it, and once the newest part of a log has been read back
// to its earliest time E, every record not read is at or before E + orderWindow: the `cut`. All
// records after the cut have been delivered; the caller answers with the lines after it.
//
// A log that breaks the rule (a clock set back, records written long after their time) is seen
// breaking it while it is read — a record later than one written after it by more than the window
// — and the read ends with `disorder`: the caller then reads everything, order-free.
//
// Files that are not the log's own (imports in the log directory, copies from other hosts, files
// named on their own, standard input) are read whole: their order is not known.

import { closeSync, fstatSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseTimestamp, type Micros } from '../record/time.ts';
import type { LogRecord } from '../record/types.ts';
import { inputErrorOf, InputError } from './input-error.ts';
import { floatFields, type RecordColumns } from './record-columns.ts';
import { contentOf, isNotRegular, listInputs, openInputFile, inputPathOf, readInto, readNoting, type InputFile, type ReadResult } from './inputs.ts';
import { LineReader, maxLineBytes, type LineSink } from './line-reader.ts';
import { forEachLine } from './parse-lines.ts';
import { parseRecordLine } from '../record/validate.ts';
import type * as Zlib from 'node:zlib';
import { readRange } from './read-range.ts';
import { builtin } from '../sys/builtin.ts';

/** How much later than a record written after it a record may be (concurrent writers): 2 minutes. */
export const orderWindow: Micros = 120_000_000;

export interface NewestFirstOptions {
  /**
   * Asked after each piece read, with the cut: whether the answer is complete with the records
   * after it. Never asked once everything is read.
   */
  enough: (cut: Micros) => boolean;
  /**
   * Read every file begun to its start: the files not read are then whole segments (`unread`),
   * which a caller may stand in for with their summaries (segment-index.ts).
   */
  wholeFiles?: boolean;
  /**
   * Rotated segments read whole (compressed ones always; with wholeFiles, all, and the live file)
   * go to `add` in columns (record-columns.ts) where `of` has them, instead of record by record.
   */
  columns?: { of: (file: InputFile) => RecordColumns | null; add: (columns: RecordColumns) => void };
}

export interface NewestFirstRead extends ReadResult {
  /** Every record after `cut` was delivered (others may have been too); null: every record was. */
  cut: Micros | null;
  /** A log was found out of order beyond the window: the records delivered are not to be used. */
  disorder: boolean;
  /**
   * The log's files not opened, oldest first (with wholeFiles: every record after the cut is
   * elsewhere), each with the earliest record time read after it in its log.
   */
  unread: Array<{ file: InputFile; after: Micros }>;
  /** The earliest record time of an input path (as given); null when it has none. */
  beginning: (path: string) => Micros | null;
}

/** The time of a record as the order check sees it. */
const timeOf = (record: LogRecord): Micros => parseTimestamp(record.ts) ?? 0;

/**
 * The whole lines of a file, newest first, a piece at a time: each piece is text of whole lines
 * in their own order, earlier in the file than the piece before. Pieces grow from 64 KiB to 4 MiB.
 * A line longer than maxLineBytes is skipped and counted (`overlong`), as LineReader does.
 */
export class BackwardLines {
  private pos: number;
  private carry: Buffer = Buffer.alloc(0);
  private skipping = false;
  private blockSize = 1 << 16;
  private finished = false;

  constructor(
    private readonly fd: number,
    size: number,
    private readonly path: string,
    private readonly maxLine = maxLineBytes,
  ) {
    this.pos = size;
  }

  /** The next piece going backwards; null after the file's first line. */
  next(): { text: string; overlong: number } | null {
    if (this.finished) return null;
    if (this.pos === 0) {
      this.finished = true;
      if (this.skipping) return { text: '', overlong: 1 };
      return this.carry.length > 0 ? { text: this.carry.toString('utf8'), overlong: 0 } : null;
    }
    const n = Math.min(this.blockSize, this.pos);
    this.blockSize = Math.min(this.blockSize * 2, 1 << 22);
    this.pos -= n;
    const block = Buffer.allocUnsafe(n);
    for (let got = 0; got < n; ) {
      let r: number;
      try {
        r = readSync(this.fd, block, got, n - got, this.pos + got);
      } catch (error) {
        throw inputErrorOf(this.path, error);
      }
      if (r === 0) throw new InputError(this.path, 'EIO', 'the file shrank while it was read');
      got += r;
    }
    // At the start of the file the first byte begins a line.
    const first = this.pos === 0 ? -1 : block.indexOf(0x0a);
    if (this.pos > 0 && first < 0) {
      // The whole block is the middle of one line.
      if (!this.skipping) this.keep(Buffer.concat([block, this.carry]));
      return { text: '', overlong: 0 };
    }
    // The whole lines: from the block's first newline on, with the end of the line the carry holds.
    let overlong = 0;
    let region: Buffer;
    if (this.skipping) {
      // The line the carry was part of began after the block's last newline: it is skipped whole.
      const last = block.lastIndexOf(0x0a);
      overlong = 1;
      region = last > first ? block.subarray(first + 1, last + 1) : Buffer.alloc(0);
    } else {
      region = this.carry.length === 0 ? block.subarray(first + 1) : Buffer.concat([block.subarray(first + 1), this.carry]);
    }
    this.skipping = false;
    this.carry = Buffer.alloc(0);
    if (first >= 0) this.keep(Buffer.from(block.subarray(0, first + 1)));
    const lines = wholeLines(region, this.maxLine);
    return { text: lines.text, overlong: overlong + lines.overlong };
  }

  /** Holds the end of a line whose start is further back, or only notes it once too long. */
  private keep(bytes: Buffer): void {
    if (this.skipping) return;
    if (bytes.length - 1 > this.maxLine) {
      this.skipping = true;
      this.carry = Buffer.alloc(0);
    } else this.carry = bytes;
  }
}

/** The text of the lines of `bytes`, those longer than `maxLine` bytes (without the newline) left out and counted. */
function wholeLines(bytes: Buffer, maxLine: number): { text: string; overlong: number } {
  if (bytes.length <= maxLine + 1) return { text: bytes.toString('utf8'), overlong: 0 };
  const kept: string[] = [];
  let overlong = 0;
  let run = 0;
  for (let at = 0; at < bytes.length; ) {
    let newline = bytes.indexOf(0x0a, at);
    if (newline < 0) newline = bytes.length;
    if (newline - at > maxLine) {
      if (at > run) kept.push(bytes.toString('utf8', run, at));
      overlong++;
      run = newline + 1;
    }
    at = newline + 1;
  }
  if (run < bytes.length) kept.push(bytes.toString('utf8', run));
  return { text: kept.join(''), overlong };
}

/** The log's own files of one directory, oldest first, read from the newest. */
interface Sequence {
  dir: string;
  files: InputFile[];
  /** The file being read (backwards), or the next to read: an index into files. */
  next: number;
  reading: { fd: number; file: InputFile; lines: BackwardLines; malformed: number } | null;
  /** The earliest record time read so far. */
  earliest: Micros;
  done: boolean;
  /** rotationBounds(files). */
  rotatedUpTo: Array<Micros | null>;
}

/**
 * The latest time a record not yet read can have. Between files, a writer's rotation name bounds
 * the files not read (each was rotated at the time in its name, after its last record was written;
 * the name is to the second): the segments wholly before a query's start are never opened.
 */
function cutOf(s: Sequence): Micros {
  if (s.done) return -Infinity;
  const cut = s.earliest + orderWindow;
  if (s.reading !== null) return cut;
  const named = s.rotatedUpTo[s.next] ?? null;
  return named === null ? cut : Math.min(cut, named);
}

/** For each file, the bound its rotation name gives it and every older file; null when one of them has no such name. */
function rotationBounds(files: readonly InputFile[]): Array<Micros | null> {
  let all = true;
  return files.map((f) => {
    all &&= f.segment?.scheme === 'rotated';
    // The name is to the second, and a record written while the segment was being rotated (a
    // hook that began before the rotation's hold) may be later still, by a moment: the window.
    return all ? ((f.segment?.order ?? 0) + 1000) * 1000 + orderWindow : null;
  });
}

/**
 * Streams records of `paths` (files, directories, `-`) to `onRecord`: files that are not a log's
 * own whole, then the logs' own newest first until `enough` says the answer is complete. Records
 * may be delivered in any order and only once each.
 */
export function readNewestFirst(paths: readonly string[], onRecord: (record: LogRecord) => void, options: NewestFirstOptions): NewestFirstRead {
  const { files, skipped } = listInputs(paths);
  const read: NewestFirstRead = { malformed: [], damaged: [], skipped, cut: null, disorder: false, unread: [], beginning: () => null };
  const malformed = new Map<string, number>();
  const countMalformed = (path: string, n: number) => {
    if (n > 0) malformed.set(path, (malformed.get(path) ?? 0) + n);
  };
  const earliestOf = new Map<string, Micros>();
  const noteEarliest = (path: string, at: Micros) => {
    if (!(at >= (earliestOf.get(path) ?? Infinity))) earliestOf.set(path, at);
  };

  const sequences = new Map<string, Sequence>();
  for (const file of files) {
    if (file.segment !== undefined) {
      const dir = dirname(file.path);
      let s = sequences.get(dir);
      if (!s) sequences.set(dir, (s = { dir, files: [], next: 0, reading: null, earliest: Infinity, done: false, rotatedUpTo: [] }));
      s.files.push(file);
      continue;
    }
    const input = inputPathOf(paths, file);
    readInto(read, file, (r) => {
      noteEarliest(input, timeOf(r));
      onRecord(r);
    });
  }
  for (const s of sequences.values()) {
    s.next = s.files.length - 1;
    s.done = s.files.length === 0;
    s.rotatedUpTo = rotationBounds(s.files);
  }

  const closeReading = (s: Sequence) => {
    if (s.reading === null) return;
    countMalformed(s.reading.file.path, s.reading.malformed);
    closeSync(s.reading.fd);
    s.reading = null;
    s.next--;
    if (s.next < 0) s.done = true;
  };

  try {
    for (;;) {
      const open = [...sequences.values()].filter((s) => !s.done);
      if (open.length === 0) break;
      // A file begun is read to its start when asked; otherwise the sequence whose unread part
      // may hold the latest records is read next.
      const begun = options.wholeFiles === true ? open.find((q) => q.reading !== null) : undefined;
      const s = begun ?? open.reduce((a, b) => (cutOf(b) > cutOf(a) ? b : a));
      const cut = Math.max(...open.map(cutOf));
      if (begun === undefined && cut !== Infinity && options.enough(cut)) {
        read.cut = cut;
        break;
      }
      // One piece, checked for order as it goes: within the piece, no record later than one after
      // it by more than the window; against what was read before, none later than its earliest.
      let latest = -Infinity;
      let earliest = Infinity;
      let inOrder = true;
      const check = (at: Micros) => {
        if (latest - orderWindow > at) inOrder = false;
        if (at > latest) latest = at;
        if (at < earliest) earliest = at;
      };
      const take = (r: LogRecord) => {
        check(timeOf(r));
        onRecord(r);
      };
      const whole = s.reading === null ? columnsOf(s, options) : null;
      if (whole !== null) {
        // The segment in columns: checked for order by the times of its records, in file order.
        for (let i = 0; i < whole.count; i++) check(whole.floats[i * floatFields] as number);
        countMalformed((s.files[s.next] as InputFile).path, whole.malformed);
        options.columns?.add(whole);
        s.next--;
        if (s.next < 0) s.done = true;
      } else if (!readPiece(s, take, read, countMalformed, closeReading)) continue;
      if (!inOrder || latest > s.earliest + orderWindow) {
        read.disorder = true;
        break;
      }
      if (earliest < s.earliest) s.earliest = earliest;
    }
  } finally {
    // A file read in part: the malformed lines of the part read are counted too.
    for (const s of sequences.values()) if (s.reading !== null) closeReading(s);
  }
  for (const [path, count] of malformed) read.malformed.push({ path, count });
  if (read.cut !== null) {
    for (const s of sequences.values()) {
      if (!s.done) for (const file of s.files.slice(0, s.reading === null ? s.next + 1 : s.next)) read.unread.push({ file, after: s.earliest });
    }
  }
  read.beginning = (path) => {
    let at = earliestOf.get(path) ?? Infinity;
    for (const s of sequences.values()) {
      if (s.files[0] === undefined || inputPathOf(paths, s.files[0]) !== path) continue;
      // Read to its start, a log's earliest time is known; otherwise its oldest file tells.
      const head = s.done && read.cut === null ? s.earliest : (headOf(s.files) ?? Infinity);
      if (head < at) at = head;
    }
    return at === Infinity ? null : at;
  };
  return read;
}

/**
 * The columns of the sequence's next file, when it is read whole and the caller has them: a
 * rotated segment (a compressed one always), or with wholeFiles the live file too.
 */
function columnsOf(s: Sequence, options: NewestFirstOptions): RecordColumns | null {
  const file = s.files[s.next] as InputFile;
  const scheme = file.segment?.scheme;
  if (options.columns === undefined || (scheme !== 'rotated' && scheme !== 'live')) return null;
  if (!(options.wholeFiles === true || (scheme === 'rotated' && file.path.endsWith('.gz')))) return null;
  return options.columns.of(file);
}

/**
 * Reads the next piece of a sequence into `take`: a block of the file being read backwards, or a
 * compressed segment whole. False when there was nothing to read (a file ended or was skipped).
 */
function readPiece(
  s: Sequence,
  take: (r: LogRecord) => void,
  read: NewestFirstRead,
  countMalformed: (path: string, n: number) => void,
  closeReading: (s: Sequence) => void,
): boolean {
  const file = s.files[s.next] as InputFile;
  if (s.reading === null) {
    if (file.path.endsWith('.gz')) {
      // A compressed segment cannot be read backwards: it is read whole, as one piece.
      countMalformed(file.path, readNoting(read, file, take));
      s.next--;
      if (s.next < 0) s.done = true;
      return true;
    }
    let fd: number;
    try {
      fd = openInputFile(file);
    } catch (error) {
      if (!isNotRegular(error)) throw error;
      read.skipped.push({ path: file.path, what: error.detail });
      s.next--;
      if (s.next < 0) s.done = true;
      return false;
    }
    s.reading = { fd, file, lines: new BackwardLines(fd, fstatSync(fd).size, file.path), malformed: 0 };
  }
  const reading = s.reading;
  let piece: { text: string; overlong: number } | null;
  try {
    piece = reading.lines.next();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    read.damaged.push(error);
    piece = null;
  }
  if (piece === null) {
    closeReading(s);
    return false;
  }
  reading.malformed += piece.overlong + forEachLine(piece.text, take);
  return true;
}

/** What the first `bytes` of a gzip file decompress to (a prefix of its content); null when they cannot be read. */
function gunzippedHead(file: InputFile, bytes: number): Buffer | null {
  let fd: number;
  try {
    fd = openInputFile(file);
  } catch {
    return null;
  }
  try {
    const zlib = builtin<typeof Zlib>('node:zlib');
    return zlib.gunzipSync(readRange(fd, 0, bytes), { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: 16 << 20 });
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * The earliest record time of a log's files (oldest first), read from their start only as far as
 * needed: once the records read span more than the order window, no later record can be earlier
 * than the earliest of them. Null when there is no record.
 */
function headOf(files: readonly InputFile[]): Micros | null {
  let earliest = Infinity;
  let latest = -Infinity;
  const enough = () => latest - orderWindow >= earliest;
  // Line by line, until the records read span the window.
  const take = (text: string) => {
    for (let start = 0; start < text.length && !enough(); ) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const line = text.slice(start, text.charCodeAt(end - 1) === 13 ? end - 1 : end);
      start = end + 1;
      const record = line.trim() === '' ? null : parseRecordLine(line);
      if (record === null) continue;
      const at = timeOf(record);
      if (at < earliest) earliest = at;
      if (at > latest) latest = at;
    }
  };
  const sink: LineSink = { lines: take, overlong() {} };
  for (const file of files) {
    const before = [earliest, latest] as const;
    // A compressed file's start, from the start of its compressed bytes alone, when that is enough.
    for (const bytes of file.path.endsWith('.gz') ? [1 << 14, 1 << 17] : []) {
      const head = gunzippedHead(file, bytes);
      if (head === null) break;
      take(head.toString('utf8', 0, head.lastIndexOf(0x0a) + 1));
      if (enough()) return earliest;
      [earliest, latest] = before;
    }
    const reader = new LineReader();
    try {
      for (const piece of contentOf(file)) {
        reader.push(piece, sink);
        if (enough()) return earliest;
      }
      reader.end(sink);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
    }
    if (enough()) return earliest;
  }
  return earliest === Infinity ? null : earliest;
}
