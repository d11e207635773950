// A summary of each rotated segment of the log, kept in the state directory: what a query about a
// period needs from a segment before that period, without reading it. A rotated segment never
// changes, so its summary, made the first time it is needed, holds until the segment goes.
//
// The summary holds the segment's time span and the records whose other half is elsewhere: the
// opens of sessions not closed in the segment, the closes of sessions opened before it, and the
// boots and shutdowns (which end sessions still open). Sessions opened and closed within the
// segment ended before anything after it, and are left out — except those opened within the
// order window of its start or end, whose open may be written again in the segment before or
// after it (a relay's duplicate): they are kept with their closes. A duplicate further away is out of order, which
// the reader sees by the segments' time spans (security-report.ts). It is a cache: checked against the
// segment's identity (device, inode, size, modification time), rebuilt silently when missing or
// stale, never needed for an answer (made in memory when it cannot be stored).

import { basename } from 'node:path';
import { parseTimestamp, type Micros } from '../record/time.ts';
import type { LogRecord } from '../record/types.ts';
import { ensureOwnDirSync, writeFileAtomicSync } from '../store/atomic-file.ts';
import { fs, readTextNoFollow } from '../sys/fs.ts';

import { forEachRecordIn, isNotRegular, openInputFile, type InputError, type InputFile, type InputRead } from './inputs.ts';
import { LineReader } from './line-reader.ts';
import { recordSink } from './parse-lines.ts';
import { readRange } from './read-range.ts';
import { orderWindow } from './newest-first.ts';
import { carriedThrough } from './carried-through.ts';
import { ColumnsBuilder, concatColumns, decodeColumns, encodeColumns, isColumnsHead, type RecordColumns } from './record-columns.ts';

const version = 3;
/** Files of what segments leave together kept by prune(): a weekly and a monthly report's, and a few more. */
const keptThrough = 6;
/** The format of what segments leave together: part of its file's name and of its header. */
const throughVersion = 2;
/** The live file's first and last bytes of what its kept columns hold, compared to know it is the same file grown. */
const liveEdgeBytes = 4096;
/** Lines written to the live file since its columns were kept that make them kept again. */
const liveKeepAfter = 256 * 1024;
const indexDirName = 'segment-index';

interface Identity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

export interface SegmentSummary {
  /** The earliest and latest record times; null for a segment without records. */
  first: Micros | null;
  last: Micros | null;
  records: number;
  malformed: number;
  /** The records whose other half is elsewhere, in columns (record-columns.ts): read without a line parsed. */
  carried: RecordColumns;
  /** Where the segment could not be read to its end (a summary made now; a kept one has none). */
  damage?: InputError | null;
}

/** A summary as stored: its carried records as encodeColumns' bytes in base64. */
interface Stored extends Omit<SegmentSummary, 'carried' | 'damage'> {
  version: number;
  name: string;
  identity: Identity;
  carried: string;
}

/** What segments leave together to what follows them, and each one's time span (SegmentIndex.carriedThrough). */
export interface Through {
  carried: RecordColumns;
  spans: Array<{ first: Micros | null; last: Micros | null }>;
  /** Segments that could not be read to their end: what they leave is what was read, and not kept. */
  damaged: InputError[];
}

/**
 * The file of what segments leave together: the newest one's identity and a hash of them all
 * (FNV-1a, 64 bits in two halves): a name, not a check, which the list in the file is.
 */
function throughName(chain: readonly Identity[]): string {
  const text = JSON.stringify([throughVersion, ...chain.map((id) => [id.dev, id.ino, id.size, id.mtimeMs])]);
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    a = Math.imul(a ^ text.charCodeAt(i), 0x01000193);
    b = Math.imul(b ^ text.charCodeAt(i), 0x01000193) ^ (a >>> 13);
  }
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  return `through-${fileNameOf(chain[chain.length - 1] as Identity, '')}${hex(a)}${hex(b)}.columns`;
}

/** The newest segment's part of such a file's name (`through-<identity>.`), as throughName begins it. */
const throughNewestOf = (name: string) => name.slice(0, name.lastIndexOf('.', name.length - '.columns'.length - 1) + 1);

const sameIdentity = (a: Identity, b: Identity) => a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

/** The summary's file name: the segment's identity, so that a segment renamed by logrotate keeps its summary. */
const fileNameOf = (id: Identity, ext = 'json') => `${id.dev}-${id.ino}-${id.size}-${Math.floor(id.mtimeMs)}.${ext}`;

/** Reads a segment whole and summarizes it. */
function summarizeSegment(file: InputFile): SegmentSummary {
  const opens = new Map<string, LogRecord>();
  const closed = new Set<string>();
  const closes: LogRecord[] = [];
  const system: LogRecord[] = [];
  let first = Infinity;
  let last = -Infinity;
  let records = 0;
  const read = forEachRecordIn(file, (r) => {
    records++;
    const at = parseTimestamp(r.ts) ?? 0;
    if (at < first) first = at;
    if (at > last) last = at;
    if (r.event === 'session_open') {
      if (!opens.has(r.session_id)) opens.set(r.session_id, r);
    } else if (r.event === 'session_close') {
      if (r.session_id !== null) closed.add(r.session_id);
      closes.push(r);
    } else if (r.event === 'boot' || r.event === 'shutdown') system.push(r);
  });
  const carried = new ColumnsBuilder();
  // Near either end of the segment, an open may have a twin on the other side of it.
  const nearEdge = (r: LogRecord) => {
    const at = parseTimestamp(r.ts) ?? 0;
    return at >= last - orderWindow || at <= first + orderWindow;
  };
  const kept = new Set<string>();
  for (const [id, r] of opens) {
    if (closed.has(id) && !nearEdge(r)) continue;
    kept.add(id);
    carried.add(r);
  }
  // A close with no id pairs by process: it is carried, as is every close of a session opened
  // before the segment or kept.
  for (const r of closes) if (r.event === 'session_close' && (r.session_id === null || !opens.has(r.session_id) || kept.has(r.session_id))) carried.add(r);
  for (const r of system) carried.add(r);
  return {
    first: records > 0 ? first : null,
    last: records > 0 ? last : null,
    records,
    malformed: read.malformed,
    carried: carried.finish(0),
    damage: read.damage,
  };
}

function isStored(value: unknown): value is Stored {
  const v = value as Partial<Stored> | null;
  return (
    typeof v === 'object' && v !== null && v.version === version && typeof v.identity === 'object' && v.identity !== null &&
    typeof v.carried === 'string' && typeof v.records === 'number'
  );
}

/**
 * The summaries of rotated segments, from the index in `stateDir` where it holds one for the
 * segment as it is, else made (and stored when the index can be written).
 */
export class SegmentIndex {
  private readonly dir: string | null;
  /** Whether the index can be written: known at the first write, or asked by canStore(). */
  private writable: boolean | null = null;
  /** Where columns are read: one buffer for all, grown as needed (columns() says how long they hold). */
  private readBuffer: Buffer = Buffer.alloc(0);

  /**
   * `shared`: summaries are given the segment's group and mode 0640, as readable as the log
   * (`logsphere rotate`, which may change a file's group); otherwise they are the writer's alone (0600).
   */
  constructor(
    stateDir: string | null,
    private readonly shared = false,
  ) {
    this.dir = stateDir === null ? null : `${stateDir}/${indexDirName}`;
  }

  /** The segment's summary; null when it is no longer a regular file (listed as one, replaced since): the caller reads everything. */
  summary(file: InputFile): SegmentSummary | null {
    const segment = file.segment;
    const identity: Identity | null = segment ? { dev: segment.dev, ino: segment.ino, size: segment.size, mtimeMs: segment.mtimeMs } : null;
    if (this.dir !== null && identity !== null && this.trusted()) {
      try {
        const stored: unknown = JSON.parse(readTextNoFollow(`${this.dir}/${fileNameOf(identity)}`));
        if (isStored(stored) && sameIdentity(stored.identity, identity)) {
          const carried = decodeColumns(Buffer.from(stored.carried, 'base64'));
          if (carried !== null) return { first: stored.first, last: stored.last, records: stored.records, malformed: stored.malformed, carried: carried.columns };
        }
      } catch {
        // missing, unreadable or damaged: made again
      }
    }
    let made: ReturnType<typeof summarizeSegment>;
    try {
      made = summarizeSegment(file);
    } catch (error) {
      if (isNotRegular(error)) return null;
      throw error;
    }
    // A damaged segment's summary is not kept: it would hide the damage from the next reader.
    if (this.dir !== null && identity !== null && made.damage == null && this.writable !== false) this.store(identity, basename(file.path), made, file.path);
    return made;
  }

  private store(identity: Identity, name: string, summary: SegmentSummary, segmentPath: string): void {
    const carried = encodeColumns(summary.carried, {}).toString('base64');
    const stored: Stored = { version, name, identity, first: summary.first, last: summary.last, records: summary.records, malformed: summary.malformed, carried };
    this.write(fileNameOf(identity), JSON.stringify(stored), segmentPath);
  }

  private trustedDir = false;

  /**
   * Whether what the index holds may be used: its directory and the state directory are root's
   * or this process's user's (another user could plant summaries that change an answer). Only a
   * yes is kept: a directory missing now may be made in a moment (by this process's worker).
   */
  private trusted(): boolean {
    if (this.trustedDir) return true;
    const euid = process.geteuid?.() ?? 0;
    const ours = (path: string) => {
      try {
        const st = fs.lstatSync(path);
        return st.isDirectory() && (st.uid === 0 || st.uid === euid);
      } catch {
        return false; // missing, or not reachable
      }
    };
    const dir = this.dir as string;
    return (this.trustedDir = ours(dir.slice(0, -indexDirName.length - 1)) && ours(dir));
  }

  /** Whether the index directory is there (made when missing) and this process's own, and no write to it has failed. */
  canStore(): boolean {
    if (this.writable !== null) return this.writable;
    const dir = this.dir;
    if (dir === null) return (this.writable = false);
    try {
      ensureOwnDirSync(dir.slice(0, -indexDirName.length - 1), 0o755);
      ensureOwnDirSync(dir, 0o755);
      return (this.writable = true);
    } catch {
      return (this.writable = false); // an index that cannot be written only costs time
    }
  }

  private write(file: string, data: string | Uint8Array, segmentPath: string): void {
    if (!this.canStore()) return;
    try {
      const gid = this.shared ? fs.lstatSync(segmentPath).gid : null;
      writeFileAtomicSync(this.dir as string, file, data, gid === null ? 0o600 : 0o640, false, gid);
    } catch {
      this.writable = false;
    }
  }

  /**
   * A rotated segment's records in columns (record-columns.ts), for reading a whole history: from
   * the index when it holds them for the segment as it is, else parsed (and stored). Null for a
   * segment that cannot be read to its end: the caller reads it as usual, damage and all. Columns
   * from the index are views of a buffer that the next call reuses: use them before asking again.
   */
  columns(file: InputFile, always = false): RecordColumns | null {
    const segment = file.segment;
    if (segment === undefined) return null;
    const identity: Identity = { dev: segment.dev, ino: segment.ino, size: segment.size, mtimeMs: segment.mtimeMs };
    const name = fileNameOf(identity, 'columns');
    if (this.dir !== null && this.trusted()) {
      try {
        const decoded = decodeColumns(this.readColumnsFile(`${this.dir}/${name}`));
        if (decoded !== null && typeof decoded.identity === 'object' && decoded.identity !== null && sameIdentity(decoded.identity as Identity, identity)) return decoded.columns;
      } catch {
        // missing or unreadable: made again
      }
    }
    // Columns that cannot be kept would cost more than reading the segment as usual (unless `always`:
    // a worker thread hands them over to the reader).
    if (!always && !this.canStore()) return null;
    const builder = new ColumnsBuilder();
    let read: InputRead;
    try {
      read = forEachRecordIn(file, (r) => builder.add(r));
    } catch (error) {
      // Listed as a regular file, something else by the time it was opened: the caller's reading says so.
      if (isNotRegular(error)) return null;
      throw error;
    }
    if (read.damage !== null) return null;
    const columns = builder.finish(read.malformed);
    this.write(name, encodeColumns(columns, identity), file.path);
    return columns;
  }

  /**
   * The live file's records in columns, for a whole read of it (a report's, whose period may start
   * in it): what it held the last time, kept here, and the lines written to it since, parsed. The
   * live file only grows until it is rotated, so what it held is what its start still holds: the
   * file is the same one (device, inode) and holds the same first and last bytes of that part.
   * Kept again once enough was written since. Null where there is no index or on any error (read
   * as usual).
   */
  liveColumns(file: InputFile): RecordColumns | null {
    const segment = file.segment;
    // Without a place to keep them, columns cost more than reading the file as usual.
    if (segment?.scheme !== 'live' || this.dir === null || !this.canStore()) return null;
    const name = `live-${segment.dev}-${segment.ino}.columns`;
    let fd: number;
    try {
      fd = openInputFile(file);
    } catch {
      return null;
    }
    try {
      const st = fs.fstatSync(fd);
      // Rotated between its listing and now: another file under the listed one's name.
      if (st.dev !== segment.dev || st.ino !== segment.ino) return null;
      const size = st.size;
      const bytesAt = (at: number, n: number) => readRange(fd, at, n);
      let kept: RecordColumns | null = null;
      let upTo = 0;
      try {
        if (!this.trusted()) throw new Error('not ours');
        const decoded = decodeColumns(this.readColumnsFile(`${this.dir}/${name}`));
        const h = decoded?.identity as { dev?: unknown; ino?: unknown; upTo?: unknown; head?: unknown; tail?: unknown } | undefined;
        if (
          decoded && h && h.dev === segment.dev && h.ino === segment.ino && Number.isSafeInteger(h.upTo) && (h.upTo as number) <= size &&
          typeof h.head === 'string' && typeof h.tail === 'string'
        ) {
          const at = h.upTo as number;
          const head = Buffer.from(h.head, 'base64');
          const tail = Buffer.from(h.tail, 'base64');
          if (head.equals(bytesAt(0, head.length)) && tail.length <= at && tail.equals(bytesAt(at - tail.length, tail.length))) {
            // Copies: the columns are views of the read buffer, which the next read reuses.
            kept = { ...decoded.columns, ints: decoded.columns.ints.slice(), floats: decoded.columns.floats.slice() };
            upTo = at;
          }
        }
      } catch {
        // missing or unreadable: the whole file is read
      }
      // The whole lines written since, then a last line without its newline (being written, or
      // the end of a damaged file), which is read but not kept.
      const builder = new ColumnsBuilder();
      const sink = recordSink((r) => builder.add(r));
      const reader = new LineReader({ keep: liveEdgeBytes });
      reader.reset(upTo, upTo > 0 ? bytesAt(Math.max(0, upTo - liveEdgeBytes), Math.min(upTo, liveEdgeBytes)) : Buffer.alloc(0));
      const chunk = Buffer.allocUnsafe(1 << 20);
      for (let at = upTo; at < size; ) {
        const n = fs.readSync(fd, chunk, 0, Math.min(chunk.length, size - at), at);
        if (n === 0) break;
        reader.push(chunk.subarray(0, n), sink);
        at += n;
      }
      const lineEnd = reader.lineEnd;
      const whole = builder.finish(sink.malformed);
      const through = kept === null ? whole : concatColumns(kept, whole);
      if (lineEnd - upTo >= liveKeepAfter || (kept === null && lineEnd > 0)) {
        const identity = { dev: segment.dev, ino: segment.ino, upTo: lineEnd, head: bytesAt(0, Math.min(lineEnd, liveEdgeBytes)).toString('base64'), tail: reader.bytesBeforeLineEnd().toString('base64') };
        this.write(name, encodeColumns(through, identity), file.path);
      }
      const rest = new ColumnsBuilder();
      const last = recordSink((r) => rest.add(r));
      reader.end(last);
      return concatColumns(through, rest.finish(last.malformed));
    } catch {
      return null;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Whether the index holds columns of this format under the name of the segment as it is (only their first bytes read). */
  hasColumns(file: InputFile): boolean {
    const segment = file.segment;
    if (segment === undefined || this.dir === null || !this.trusted()) return false;
    const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
    try {
      const fd = fs.openSync(`${this.dir}/${fileNameOf({ dev: segment.dev, ino: segment.ino, size: segment.size, mtimeMs: segment.mtimeMs }, 'columns')}`, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
      try {
        const head = Buffer.alloc(8);
        return fs.fstatSync(fd).isFile() && fs.readSync(fd, head, 0, 8, 0) === 8 && isColumnsHead(head);
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return false;
    }
  }

  /** The bytes of a columns file, in the reused buffer; opened without following a link or blocking. */
  private readColumnsFile(path: string): Buffer {
    const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
    const fd = fs.openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) throw new Error(`${path}: not a regular file`);
      if (this.readBuffer.length < st.size) this.readBuffer = Buffer.allocUnsafeSlow(Math.max(st.size, this.readBuffer.length * 2));
      let got = 0;
      while (got < st.size) {
        const n = fs.readSync(fd, this.readBuffer, got, st.size - got, got);
        if (n === 0) break;
        got += n;
      }
      return this.readBuffer.subarray(0, got);
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * What the rotated segments `files` of one log (oldest first, from its first) leave together to
   * what follows them (carried-through.ts), with each one's time span for the
   * reader's order check. Kept in the index under the newest segment's name and a hash of all
   * their identities, the full list checked on reading; made from the longest run of them kept
   * there and the summaries of the rest. Null when a segment is no longer a regular file.
   */
  carriedThrough(files: readonly InputFile[]): Through | null {
    const chain: Identity[] = [];
    for (const file of files) {
      const segment = file.segment;
      if (segment === undefined) return null;
      chain.push({ dev: segment.dev, ino: segment.ino, size: segment.size, mtimeMs: segment.mtimeMs });
    }
    if (chain.length === 0) return null;
    // The longest run from the first that the index holds: only runs whose newest segment has
    // such a file are looked for (one listing of the index, not a name per run).
    let start = 0;
    let acc: Through | null = null;
    const held = this.throughNewest();
    for (let n = chain.length; n > 0 && acc === null; n--) {
      if (!held.has(`through-${fileNameOf(chain[n - 1] as Identity, '')}`)) continue;
      acc = this.readThrough(chain.slice(0, n));
      if (acc !== null) start = n;
    }
    if (start === chain.length) return acc;
    for (let k = start; k < chain.length; k++) {
      const summary = this.summary(files[k] as InputFile);
      if (summary === null) return null;
      const damaged = [...(acc?.damaged ?? []), ...(summary.damage ? [summary.damage] : [])];
      const spans = [...(acc?.spans ?? []), { first: summary.first, last: summary.last }];
      // A segment without records leaves nothing and ends nothing: what was before it stands.
      if (summary.last === null && acc !== null) acc = { carried: acc.carried, spans, damaged };
      else acc = { carried: carriedThrough(acc?.carried ?? null, summary.carried, summary.last), spans, damaged };
    }
    const made = acc as Through;
    // A run with a damaged segment is not kept: the next reader must see the damage too.
    if (this.dir !== null && made.damaged.length === 0 && this.canStore()) {
      const last = files[files.length - 1] as InputFile;
      this.write(throughName(chain), encodeColumns(made.carried, { version: throughVersion, chain, spans: made.spans }), last.path);
    }
    return made;
  }

  /** The newest segments (`through-<identity>.`) of the runs the index holds files for. */
  private throughNewest(): Set<string> {
    if (this.dir === null || !this.trusted()) return new Set();
    try {
      return new Set(fs.readdirSync(this.dir).filter((n) => n.startsWith('through-')).map(throughNewestOf));
    } catch {
      return new Set();
    }
  }

  private readThrough(chain: readonly Identity[]): Through | null {
    if (this.dir === null || !this.trusted()) return null;
    try {
      const decoded = decodeColumns(this.readColumnsFile(`${this.dir}/${throughName(chain)}`));
      const header = decoded?.identity as { version?: unknown; chain?: unknown; spans?: unknown } | undefined;
      if (decoded === undefined || decoded === null || header?.version !== throughVersion || !Array.isArray(header.chain) || !Array.isArray(header.spans)) return null;
      const stored = header.chain as Identity[];
      const spans = header.spans as Through['spans'];
      if (stored.length !== chain.length || !stored.every((id, k) => typeof id === 'object' && id !== null && sameIdentity(id, chain[k] as Identity))) return null;
      const time = (t: unknown) => t === null || Number.isSafeInteger(t);
      if (spans.length !== chain.length || !spans.every((s) => typeof s === 'object' && s !== null && time(s.first) && time(s.last))) return null;
      // The columns are views of the reused read buffer: copied, as they outlive the next read.
      const { ints, floats } = decoded.columns;
      return { carried: { ...decoded.columns, ints: ints.slice(), floats: floats.slice() }, spans, damaged: [] };
    } catch {
      return null; // missing or unreadable: made again
    }
  }

  private modifiedAt(name: string): number {
    try {
      return fs.lstatSync(`${this.dir as string}/${name}`).mtimeMs;
    } catch {
      return 0;
    }
  }

  /**
   * Removes what the index holds for segments no longer in the log (`present`: the log's files,
   * the live one too), all but the few newest files of runs of segments, and stale drafts.
   */
  prune(present: readonly InputFile[]): void {
    if (this.dir === null || !this.canStore()) return;
    const keep = new Set(
      present.flatMap((f) => {
        const segment = f.segment;
        if (segment === undefined) return [];
        return segment.scheme === 'live' ? [`live-${segment.dev}-${segment.ino}.columns`] : [fileNameOf(segment), fileNameOf(segment, 'columns')];
      }),
    );
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    // What segments leave together: kept while their newest is there, the few made last of them.
    const newest = new Set(present.flatMap((f) => (f.segment ? [`through-${fileNameOf(f.segment, '')}`] : [])));
    const through = names
      .filter((name) => name.startsWith('through-') && newest.has(throughNewestOf(name)))
      .map((name) => ({ name, at: this.modifiedAt(name) }))
      .sort((a, b) => b.at - a.at)
      .slice(0, keptThrough);
    for (const { name } of through) keep.add(name);
    // A draft a writer killed on the way left behind (`.NAME.PID.….tmp`), once it is an hour old.
    const stale = (name: string) => name.startsWith('.') && name.endsWith('.tmp') && this.modifiedAt(name) < Date.now() - 3_600_000;
    for (const name of names) {
      if (!((name.endsWith('.json') || name.endsWith('.columns')) && !keep.has(name)) && !stale(name)) continue;
      try {
        fs.unlinkSync(`${this.dir}/${name}`);
      } catch {
        // another reader removed it, or it is not ours to remove
      }
    }
  }
}
