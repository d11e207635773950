// The checkpoint behind `logsphere sessions`: instead of re-reading the whole history at every
// call, it keeps what can still matter for "who is logged in now" — opens without a close, closes
// without an open (inputs may be out of order), boots and shutdowns — with the identity (device,
// inode), read offset and the last bytes read of each log file. A call reads only what was
// appended since, and follows rotation: a file renamed (same inode under a new name) continues at
// its offset, a segment compressed since (a `.gz` whose content has those last bytes at that
// offset) too, a file removed (retention) just drops out, and a new file of the log is read
// whole. What cannot be explained that way — a file shorter than the offset or with other bytes
// before it (truncated or rewritten in place), a new file that is not part of the log's
// rotation — throws the checkpoint away and reads all. A compressed file that is damaged is read
// up to its damage (inputs.ts), each time, and the damage reported each time.
//
// The kept opens are stored reconciled, one compact row per session in login order, with what the
// reconciler made of them (no end yet, or down, or crash): a call with nothing new to read answers
// from the rows without parsing or reconciling a record, and costs the sessions it shows. Only
// when something was appended are the rows turned back into records and reconciled with it.

import { closeSync, fstatSync } from 'node:fs';
import { logFileName } from '../config/config.ts';
import { GunzipStream } from '../input/gunzip.ts';
import { InputError, isNotRegular, openInputFile, type InputFile, type SkippedEntry } from '../input/inputs.ts';
import { LineReader, type LineSink } from '../input/line-reader.ts';
import { bytesBefore, plainFileHolds, positionTailBytes, sameFile, scanCompressed, type ContentScan, type LogPosition } from '../input/log-position.ts';
import { recordSink } from '../input/parse-lines.ts';
import { readRange } from '../input/read-range.ts';
import { pairingKey, reconcile, Reconciler } from '../reconcile/reconcile.ts';
import type { Liveness, Session } from '../reconcile/types.ts';
import { parseTimestamp, type Micros } from '../record/time.ts';
import { schemaVersion, type LogRecord, type RecordSource, type SessionOpenRecord } from '../record/types.ts';
import { parseSegmentName } from '../store/segments.ts';

export const checkpointVersion = 4;
const pruneEvery = 1 << 13;

/** Where reading of a file stopped (log-position.ts); a `.gz` segment is read whole, once. */
export interface FileMark extends LogPosition {
  path: string;
  /**
   * A `.gz` segment's own size and modification time when it was read: a compressed segment never
   * changes, so one with the same inode, size and time is known read without decompressing it.
   */
  size?: number;
  mtimeMs?: number;
  /** A `.gz` segment read only up to damage: it is read again, to report the damage again. */
  damaged?: boolean;
}

/**
 * The kept sessions, reconciled, column by column (one entry per session, in the reconciler's
 * order: login time, host, id): the fields of its open that sessions use (strings as indexes
 * into the checkpoint's `strings`, -1 for null: they repeat), its login time as the reconciler
 * has it (text and microseconds), and whether a record ended it (a shutdown or a later boot of
 * its host: `down`, `crash`; such a session is never current again, but stays for what may still
 * pair with it). Numbers that may be null are NaN for null. Kept so, the checkpoint is stored as
 * bytes that load without a string or an object per session (sessions-checkpoint-file.ts).
 */
export interface OpenColumns {
  count: number;
  sessionId: string[];
  loginTime: string[];
  source: Int32Array;
  host: Int32Array;
  bootId: Int32Array;
  user: Int32Array;
  tty: Int32Array;
  rhost: Int32Array;
  service: Int32Array;
  uid: Float64Array;
  pid: Float64Array;
  pidStart: Float64Array;
  auditSession: Float64Array;
  loginAt: Float64Array;
  /** 1: ended by a record; 0: not yet. */
  ended: Uint8Array;
}

/** The string columns of OpenColumns (indexes into `strings`). */
export const stringColumns = ['source', 'host', 'bootId', 'user', 'tty', 'rhost', 'service'] as const;
/** Its number columns. */
export const numberColumns = ['uid', 'pid', 'pidStart', 'auditSession', 'loginAt'] as const;

/** Empty columns for `count` sessions. */
export function openColumns(count: number): OpenColumns {
  const ints = () => new Int32Array(count);
  const floats = () => new Float64Array(count);
  return {
    count, sessionId: new Array<string>(count), loginTime: new Array<string>(count),
    source: ints(), host: ints(), bootId: ints(), user: ints(), tty: ints(), rhost: ints(), service: ints(),
    uid: floats(), pid: floats(), pidStart: floats(), auditSession: floats(), loginAt: floats(), ended: new Uint8Array(count),
  };
}

export interface Checkpoint {
  version: typeof checkpointVersion;
  files: FileMark[];
  /** The strings the open columns refer to by index. */
  strings: string[];
  /** The kept opens. */
  opens: OpenColumns;
  /** The other kept records: closes without an open, boots and shutdowns. */
  others: LogRecord[];
  /** Kept closes that match no open (a warning at every call, as a full read gives it). */
  closesWithoutOpen: number;
}

export interface Catchup {
  checkpoint: Checkpoint;
  /** Malformed lines in what was read this time, per file. */
  malformed: Array<{ path: string; count: number }>;
  /** Whether the whole history was read (no usable checkpoint). */
  fullRead: boolean;
  /** Whether the checkpoint differs from the stored one (something was read, a file moved): worth saving. */
  changed: boolean;
  /** Compressed files read only up to their damage. */
  damaged: InputError[];
  /** Listed files that turned out not to be regular files when opened. */
  skipped: SkippedEntry[];
}


const hex = (bytes: Buffer) => bytes.toString('hex');

/**
 * Streams a plain file from `offset` to its end into `sink`, 64 KiB at a time; returns the new
 * mark, just after the last whole line. A line still being written stays for the next call.
 */
function readPlain(path: string, fd: number, offset: number, sink: LineSink): FileMark {
  const st = fstatSync(fd);
  const reader = new LineReader();
  reader.reset(offset);
  while (reader.position < st.size) {
    const chunk = readRange(fd, reader.position, Math.min(1 << 16, st.size - reader.position));
    if (chunk.length === 0) break;
    reader.push(chunk, sink);
  }
  const end = reader.lineEnd;
  return { path, dev: st.dev, ino: st.ino, offset: end, tail: hex(bytesBefore(fd, end)), compressed: false };
}

interface Opened {
  file: InputFile;
  fd: number;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  /** A `.gz` file: its content is read through gunzip.ts. */
  compressed: boolean;
  /** A `.gz` file's content, once scanned. */
  scan: ContentScan | null;
}

function openFile(file: InputFile): Opened {
  const fd = openInputFile(file);
  const st = fstatSync(fd);
  return { file, fd, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, compressed: file.path.endsWith('.gz'), scan: null };
}

/** One pass over a compressed file's content (the first call's), noting the bytes before each of `offsets`. */
function scan(opened: Opened, offsets: readonly number[]): ContentScan {
  opened.scan ??= scanCompressed(opened.file.path, opened.fd, offsets);
  return opened.scan;
}

/**
 * Whether the bytes before `mark.offset` of this file are the ones the mark saw. A compressed
 * file's content is scanned once, at all the `offsets` it may be compared at.
 */
function continues(opened: Opened, mark: FileMark, offsets: readonly number[]): boolean {
  if (opened.compressed) return scan(opened, offsets).before.get(mark.offset)?.toString('hex') === mark.tail;
  return plainFileHolds(opened.fd, opened.size, mark);
}

/** Read from an offset; `done` (a compressed segment read before, checked by content); or unchanged since its mark. */
type Start = { from: number } | 'done' | { unchanged: FileMark };

/**
 * Where to continue reading each file, given the stored marks; null when what happened cannot be
 * explained by appends and rotation. Inode numbers are reused: a file with a mark's inode but
 * other content is a new file unless it still has the mark's name (then it was rewritten in place)
 * and no compressed segment took over the mark's content.
 */
function plan(opened: readonly Opened[], stored: Checkpoint): Start[] | null {
  const left = new Set(stored.files);
  const offsets = stored.files.map((m) => m.offset);
  const starts: Array<Start | null> = opened.map(() => null);
  const suspects = new Map<number, FileMark>();
  opened.forEach((o, i) => {
    const same = stored.files.find((m) => sameFile(m, o) && m.compressed === o.compressed);
    if (same === undefined) return;
    if (same.compressed && same.size === o.size && same.mtimeMs === o.mtimeMs && same.damaged !== true) {
      left.delete(same);
      starts[i] = { unchanged: same };
      return;
    }
    if (same.compressed ? scan(o, offsets).length === same.offset : continues(o, same, offsets)) {
      left.delete(same);
      starts[i] = same.compressed ? 'done' : { from: same.offset };
    } else {
      suspects.set(i, same);
    }
  });
  // Compressed since it was read (rotate, or logrotate's compress): found by its content.
  opened.forEach((o, i) => {
    if (starts[i] !== null || !o.compressed) return;
    for (const mark of left) {
      if (mark.compressed || mark.offset === 0 || !continues(o, mark, offsets)) continue;
      left.delete(mark);
      starts[i] = { from: mark.offset };
      return;
    }
  });
  const result: Start[] = [];
  for (const [i, o] of opened.entries()) {
    const start = starts[i];
    if (start !== null && start !== undefined) {
      result.push(start);
      continue;
    }
    const suspect = suspects.get(i);
    if (suspect !== undefined && suspect.path === o.file.path && left.has(suspect)) return null; // rewritten in place
    // A file never seen: new records when it belongs to the log's rotation (a new live file, or
    // a segment that came and went between two calls); anything else may repeat what was read.
    const name = o.file.path.slice(o.file.path.lastIndexOf('/') + 1);
    if (parseSegmentName(logFileName, name) === null) return null;
    result.push({ from: 0 });
  }
  return result;
}

/**
 * Reads a file from `from` (a compressed one `done` already: nothing new); returns its new mark
 * and, for a compressed file, the damage it was read up to. A damaged file's mark is the end of
 * what could be read: the next call finds it there, done, and reports the damage again.
 */
function readFrom(opened: Opened, from: number | 'done' | { unchanged: FileMark }, sink: LineSink): { mark: FileMark; damage: InputError | null } {
  const { path } = opened.file;
  if (typeof from === 'object') return { mark: { ...from.unchanged, path }, damage: null };
  if (!opened.compressed) return { mark: readPlain(path, opened.fd, from === 'done' ? 0 : from, sink), damage: null };
  const mark = (length: number, last: Buffer, damaged = false): FileMark => ({
    path, dev: opened.dev, ino: opened.ino, offset: length, tail: hex(last), compressed: true, size: opened.size, mtimeMs: opened.mtimeMs, ...(damaged ? { damaged } : {}),
  });
  if (from === 'done') {
    const scanned = scan(opened, []); // by plan() already
    return { mark: mark(scanned.length, scanned.last, scanned.damage !== null), damage: scanned.damage };
  }
  const gunzip = new GunzipStream(path, opened.fd);
  const reader = new LineReader({ keep: positionTailBytes });
  try {
    reader.reset(from, gunzip.skip(from, positionTailBytes));
    for (let piece = gunzip.next(); piece !== null; piece = gunzip.next()) reader.push(piece, sink);
    // A compressed segment does not grow: a torn last line is handed on too (a malformed line).
    reader.end(sink);
    return { mark: mark(gunzip.position, reader.bytesBeforeLineEnd()), damage: null };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    // The line the damage cut short is lost with the rest, not a malformed line.
    return { mark: mark(gunzip.position, gunzip.before(positionTailBytes), true), damage: error };
  } finally {
    gunzip.close();
  }
}

/**
 * Drops what can no longer matter: sessions closed by a close in the set (both records go);
 * everything else stays, so that a later record can still pair with it.
 */
export function prune(records: readonly LogRecord[]): LogRecord[] {
  const { sessions } = reconcile(records);
  const closedIds = new Set(sessions.filter((s) => s.end === 'logout').map((s) => s.session_id));
  const closedKeys = new Set(sessions.filter((s) => s.end === 'logout').map(pairingKey));
  // Of two records with one event id, the earlier stays (as the reconciler counts it), whichever came first.
  const earliest = new Map<string, LogRecord>();
  for (const r of records) {
    const known = earliest.get(r.event_id);
    if (known === undefined || (parseTimestamp(r.ts) ?? 0) < (parseTimestamp(known.ts) ?? 0)) earliest.set(r.event_id, r);
  }
  return records.filter((r) => {
    if (earliest.get(r.event_id) !== r) return false;
    if (r.event === 'auth_failure') return false;
    if (r.event === 'session_open') return !closedIds.has(r.session_id);
    if (r.event === 'session_close') {
      if (r.session_id !== null) return !closedIds.has(r.session_id);
      return !closedKeys.has(pairingKey(r));
    }
    return true;
  });
}

/**
 * The records a checkpoint keeps, its rows turned back into opens: with the fields sessions use,
 * an event id of their own (the reconciler tells a repeated open by its session id) and no ruser.
 */
export function keptRecords(checkpoint: Checkpoint): LogRecord[] {
  const { strings, opens: o } = checkpoint;
  const text = (index: number) => strings[index] as string;
  const orNull = (n: number) => (Number.isNaN(n) ? null : n);
  const opens = Array.from({ length: o.count }, (_, i): SessionOpenRecord => {
    const audit = o.auditSession[i] as number;
    const session_id = o.sessionId[i] as string;
    return {
      schema: schemaVersion, event_id: `open ${session_id}`, ts: o.loginTime[i] as string, host: text(o.host[i] as number), boot_id: text(o.bootId[i] as number),
      source: text(o.source[i] as number) as RecordSource, event: 'session_open', session_id, user: text(o.user[i] as number), uid: orNull(o.uid[i] as number),
      tty: strings[o.tty[i] as number] ?? null, rhost: strings[o.rhost[i] as number] ?? null, ruser: null, service: text(o.service[i] as number),
      pid: o.pid[i] as number, pid_start: o.pidStart[i] as number, ...(Number.isNaN(audit) ? {} : { audit_session: audit }),
    };
  });
  return [...opens, ...checkpoint.others];
}

/** The checkpoint of `records` (pruned already): the opens as reconciled rows, the rest as records. */
function checkpointOf(files: FileMark[], records: readonly LogRecord[]): Checkpoint {
  const reconciler = new Reconciler();
  for (const r of records) reconciler.add(r);
  const reconciled = reconciler.finish();
  const sources = new Map<string, RecordSource>();
  const others: LogRecord[] = [];
  // Each session's source from the open the reconciler took: the earliest.
  const openedAt = new Map<string, number>();
  for (const r of records) {
    if (r.event !== 'session_open') {
      others.push(r);
      continue;
    }
    const at = parseTimestamp(r.ts) ?? 0;
    if (!sources.has(r.session_id) || at < (openedAt.get(r.session_id) as number)) {
      sources.set(r.session_id, r.source);
      openedAt.set(r.session_id, at);
    }
  }
  const strings: string[] = [];
  const indexes = new Map<string, number>();
  const intern = (value: string | null) => {
    if (value === null) return -1;
    let index = indexes.get(value);
    if (index === undefined) indexes.set(value, (index = strings.push(value) - 1));
    return index;
  };
  const opens = openColumns(reconciled.order.length);
  const nullable = (n: number | null) => (n === null ? NaN : n);
  reconciled.order.forEach((i, k) => {
    const s = reconciled.session(i);
    opens.sessionId[k] = s.session_id;
    opens.loginTime[k] = s.login_time;
    opens.source[k] = intern(sources.get(s.session_id) ?? 'pam');
    opens.host[k] = intern(s.host);
    opens.bootId[k] = intern(s.boot_id);
    opens.user[k] = intern(s.user);
    opens.tty[k] = intern(s.tty);
    opens.rhost[k] = intern(s.rhost);
    opens.service[k] = intern(s.service);
    opens.uid[k] = nullable(s.uid);
    opens.pid[k] = s.pid;
    opens.pidStart[k] = s.pid_start;
    opens.auditSession[k] = nullable(s.audit_session);
    opens.loginAt[k] = reconciled.loginAt(i);
    opens.ended[k] = s.end === null ? 0 : 1;
  });
  return { version: checkpointVersion, files, strings, opens, others, closesWithoutOpen: reconciled.counts.closesWithoutOpen };
}

/**
 * The sessions of a checkpoint that no record has ended, in login order: current, or `gone` where
 * `alive` says no process of theirs runs (as the reconciler decides), each with its login time in
 * microseconds too. User switches are told from logins by `switchServices`.
 */
export function unendedSessions(checkpoint: Checkpoint, alive: Liveness, switchServices: ReadonlySet<string>): Array<Session & { login_at: Micros }> {
  const { strings, opens: o } = checkpoint;
  const sessions: Array<Session & { login_at: Micros }> = [];
  for (let i = 0; i < o.count; i++) {
    if (o.ended[i] !== 0) continue;
    const host = strings[o.host[i] as number] as string;
    const boot_id = strings[o.bootId[i] as number] as string;
    const service = strings[o.service[i] as number] as string;
    const pid = o.pid[i] as number;
    const pid_start = o.pidStart[i] as number;
    const audit = o.auditSession[i] as number;
    const audit_session = Number.isNaN(audit) ? null : audit;
    const uid = o.uid[i] as number;
    const end = alive({ host, boot_id, pid, pid_start, audit_session }) === false ? 'gone' : null;
    sessions.push({
      session_id: o.sessionId[i] as string, host, user: strings[o.user[i] as number] as string, uid: Number.isNaN(uid) ? null : uid, tty: strings[o.tty[i] as number] ?? null, pty: null,
      rhost: strings[o.rhost[i] as number] ?? null, service, kind: switchServices.has(service) ? 'switch' : 'login', pid, pid_start, audit_session, boot_id,
      login_time: o.loginTime[i] as string, login_at: o.loginAt[i] as number, logout_time: null, duration_s: null, end,
    });
  }
  return sessions;
}

const sameMarks = (a: readonly FileMark[], b: readonly FileMark[]) => JSON.stringify(a) === JSON.stringify(b);

/** Brings a checkpoint up to date with `files`, reading only what is new when it can. */
export function catchUp(stored: Checkpoint | null, files: readonly InputFile[]): Catchup {
  const opened: Opened[] = [];
  const skipped: SkippedEntry[] = [];
  try {
    for (const file of files) {
      try {
        opened.push(openFile(file));
      } catch (error) {
        // Listed as a regular file, something else by the time it was opened.
        if (!isNotRegular(error)) throw error;
        skipped.push({ path: file.path, what: error.detail });
      }
    }
    const usable = stored !== null && stored.version === checkpointVersion && Array.isArray(stored.files) ? stored : null;
    const starts = usable !== null ? plan(opened, usable) : null;
    // Pruned as it grows: a full read of a long history keeps only what is still open. What a
    // pruning keeps (the sessions still open: thousands where a log holds many hosts' records)
    // is read again only once as much again has come, not at every record after it.
    let records: LogRecord[] = [];
    let read = 0;
    let pruneAt = pruneEvery;
    const keep = (record: LogRecord) => {
      records.push(record);
      read++;
      if (records.length >= pruneAt) {
        records = prune(records);
        pruneAt = Math.max(pruneEvery, 2 * records.length);
      }
    };
    const marks: FileMark[] = [];
    const malformed: Catchup['malformed'] = [];
    const damaged: InputError[] = [];
    opened.forEach((o, i) => {
      const start = starts?.[i] ?? { from: 0 };
      const sink = recordSink(keep);
      const { mark, damage } = readFrom(o, start === 'done' ? 'done' : 'from' in start ? start.from : start, sink);
      if (sink.malformed > 0) malformed.push({ path: o.file.path, count: sink.malformed });
      if (damage !== null) damaged.push(damage);
      marks.push(mark);
    });
    const fullRead = usable === null || starts === null;
    if (!fullRead && read === 0) {
      // Nothing new: the stored rows stand as they are, and the file need not be written.
      return { checkpoint: { ...usable, files: marks }, malformed, fullRead, damaged, skipped, changed: !sameMarks(marks, usable.files) };
    }
    const all = fullRead ? records : [...keptRecords(usable), ...records];
    return { checkpoint: checkpointOf(marks, prune(all)), malformed, fullRead, damaged, skipped, changed: true };
  } finally {
    for (const o of opened) closeSync(o.fd);
  }
}
