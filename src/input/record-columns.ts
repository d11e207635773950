// The records of a rotated segment as the reconciler takes them, in columns: what `last` over a
// whole history reads instead of parsing every line again (segment-index.ts keeps one per rotated
// segment). Strings are numbers into the batch's own table; session and event ids are stored as
// their four 32-bit words where the reconciler keys by them. Failed logins are kept for the
// report (FailureCollector.addColumns); the reconciler passes them by.

import { parseTimestamp } from '../record/time.ts';
import type { LogRecord } from '../record/types.ts';
import { Interner, StringTable, uuidWords } from '../reconcile/columns.ts';
import { orderWindow } from './newest-first.ts';

export const Kind = { open: 0, close: 1, boot: 2, shutdown: 3, failure: 4 } as const;

/** Int32 fields per record. */
export const F = {
  kind: 0, s0: 1, s1: 2, s2: 3, s3: 4, host: 5, user: 6, uid: 7, tty: 8, rhost: 9, service: 10, audit: 11,
  bootId: 12, pty: 13, kernel: 14, bootTime: 15, ts: 16, eventId: 17, source: 18,
} as const;
export const intFields = 19;
/**
 * Float64 fields per record: the time (µs), the process's start time, its pid, the uid as the
 * record has it (NaN: null; the int field holds it as the reconciler keeps it, in 32 bits), and
 * until when a period needs the record (neededFrom).
 */
export const floatFields = 5;
/** The float field of until when a period needs the record. */
const neededField = 4;

/** Which int fields are numbers into the string table (1), not values. */
const stringFields = Uint8Array.from({ length: intFields }, (_, k) => (k >= F.host && k !== F.uid && k !== F.audit ? 1 : 0));

export interface RecordColumns {
  count: number;
  strings: StringTable;
  ints: Int32Array;
  floats: Float64Array;
  /** Lines that were not records, for the same warning a parse gives. */
  malformed: number;
  /** The earliest record time (failed logins included); null without records. */
  earliest: number | null;
}

/** Collects records into columns. */
export class ColumnsBuilder {
  private ints = new Int32Array(1024 * intFields);
  private floats = new Float64Array(1024 * floatFields);
  private count = 0;
  private readonly strings = new Interner();
  private earliest = Infinity;

  private str(value: string | null | undefined): number {
    return this.strings.id(value ?? null);
  }

  add(record: LogRecord): void {
    const at = parseTimestamp(record.ts) ?? 0;
    if (at < this.earliest) this.earliest = at;
    this.grow();
    const b = this.count * intFields;
    const ints = this.ints;
    ints.fill(-1, b, b + intFields);
    const fb = this.count * floatFields;
    this.floats[fb] = at;
    this.floats[fb + 1] = 0;
    this.floats[fb + 2] = 0;
    this.floats[fb + 3] = Number.NaN;
    this.floats[fb + neededField] = Infinity;
    this.count++;
    ints[b + F.host] = this.str(record.host);
    ints[b + F.bootId] = this.str(record.boot_id);
    if (record.event === 'boot' || record.event === 'shutdown') {
      ints[b + F.kind] = record.event === 'boot' ? Kind.boot : Kind.shutdown;
      ints[b + F.ts] = this.str(record.ts);
      ints[b + F.eventId] = this.str(record.event_id);
      if (record.event === 'boot') {
        ints[b + F.kernel] = this.str(record.kernel);
        ints[b + F.bootTime] = this.str(record.boot_time);
      }
      return;
    }
    if (record.event === 'auth_failure') {
      // What a Failure holds (failures.ts): the times and ids as text, as the record has them.
      ints[b + F.kind] = Kind.failure;
      ints[b + F.ts] = this.str(record.ts);
      ints[b + F.eventId] = this.str(record.event_id);
      ints[b + F.source] = this.str(record.source);
    } else {
      ints[b + F.kind] = record.event === 'session_open' ? Kind.open : Kind.close;
      if (record.session_id !== null) uuidWords(record.session_id).forEach((w, k) => (ints[b + F.s0 + k] = w | 0));
      else ints[b + F.eventId] = this.str(record.event_id); // a close without id: paired by process, kept by event id
    }
    ints[b + F.user] = this.str(record.user);
    ints[b + F.uid] = record.uid === null ? -1 : record.uid | 0;
    this.floats[fb + 3] = record.uid ?? Number.NaN;
    ints[b + F.tty] = this.str(record.tty);
    ints[b + F.rhost] = this.str(record.rhost);
    ints[b + F.service] = this.str(record.service);
    ints[b + F.audit] = record.audit_session === undefined ? -1 : record.audit_session | 0;
    if (record.event === 'session_close' && record.pty !== undefined) ints[b + F.pty] = this.str(record.pty);
    this.floats[fb + 1] = record.pid_start;
    this.floats[fb + 2] = record.pid;
  }

  /** Row `i` of other columns, its strings taken into this batch's table. */
  addRow(c: RecordColumns, i: number): void {
    this.grow();
    const at = c.floats[i * floatFields] as number;
    if (at < this.earliest) this.earliest = at;
    const b = this.count * intFields;
    const from = i * intFields;
    for (let k = 0; k < intFields; k++) {
      const v = c.ints[from + k] as number;
      this.ints[b + k] = stringFields[k] === 1 && v >= 0 ? this.strings.id(c.strings.get(v)) : v;
    }
    this.floats.set(c.floats.subarray(i * floatFields, (i + 1) * floatFields), this.count * floatFields);
    this.count++;
  }

  private grow(): void {
    if (this.count * intFields < this.ints.length) return;
    const ints = new Int32Array(this.ints.length * 2);
    ints.set(this.ints);
    this.ints = ints;
    const floats = new Float64Array(this.floats.length * 2);
    floats.set(this.floats);
    this.floats = floats;
  }

  finish(malformed: number): RecordColumns {
    const ints = this.ints.subarray(0, this.count * intFields);
    const floats = this.floats.subarray(0, this.count * floatFields);
    markNeeded(ints, floats, this.count);
    return { count: this.count, strings: StringTable.of(this.strings.own()), ints, floats, malformed, earliest: this.earliest === Infinity ? null : this.earliest };
  }
}

/**
 * Each named open's and close's row (one with a session id), numbered by the first row of its
 * session id in the batch (a hash of the id's words, open addressing); -1 for other rows.
 */
export function sessionRows(ints: Int32Array, count: number): Int32Array {
  const size = 1 << Math.max(4, 32 - Math.clz32(count * 2));
  const slots = new Int32Array(size); // row + 1; 0 is empty
  const firstRow = new Int32Array(count).fill(-1);
  for (let i = 0; i < count; i++) {
    const b = i * intFields;
    const kind = ints[b] as number;
    // Opens and closes with a session id (a close without one has its event id instead).
    if ((kind !== Kind.open && kind !== Kind.close) || ints[b + F.eventId] !== -1) continue;
    const w0 = ints[b + F.s0] as number;
    const w1 = ints[b + F.s1] as number;
    const w2 = ints[b + F.s2] as number;
    const w3 = ints[b + F.s3] as number;
    let h = Math.imul(w3 ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ w1 ^ w0;
    h ^= h >>> 16;
    let slot = h & (size - 1);
    let row = i;
    for (;;) {
      const entry = slots[slot] as number;
      if (entry === 0) {
        slots[slot] = i + 1;
        break;
      }
      const o = (entry - 1) * intFields;
      if (ints[o + F.s0] === w0 && ints[o + F.s1] === w1 && ints[o + F.s2] === w2 && ints[o + F.s3] === w3) {
        row = entry - 1;
        break;
      }
      slot = (slot + 1) & (size - 1);
    }
    firstRow[i] = row;
  }
  return firstRow;
}

/**
 * Sets until when a period needs each record of a batch that is a stretch of a log (a segment):
 * a session opened and closed within it ends at its last close, and a period from later on needs
 * none of its records — unless it was opened within the order window of the batch's start (its
 * open may be written again before it, a relay's duplicate) or of the period's start (after it):
 * so its records are needed until the later of its last close and its last open plus the window.
 * A failed login is needed until its own time; boots and shutdowns (they end sessions), opens not
 * closed within, closes of sessions opened before, and closes without an id (paired by process)
 * always.
 */
function markNeeded(ints: Int32Array, floats: Float64Array, count: number): void {
  let first = Infinity;
  for (let i = 0; i < count; i++) first = Math.min(first, floats[i * floatFields] as number);
  const rows = sessionRows(ints, count);
  // Per session (at its first row): the latest open and close, and whether an open is near the start.
  const lastOpen = new Float64Array(count).fill(-Infinity);
  const lastClose = new Float64Array(count).fill(-Infinity);
  const early = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const row = rows[i] as number;
    if (row < 0) continue;
    const at = floats[i * floatFields] as number;
    if (ints[i * intFields] === Kind.open) {
      if (at > (lastOpen[row] as number)) lastOpen[row] = at;
      if (at <= first + orderWindow) early[row] = 1;
    } else if (at > (lastClose[row] as number)) lastClose[row] = at;
  }
  for (let i = 0; i < count; i++) {
    const row = rows[i] as number;
    const f = i * floatFields;
    if (row >= 0) {
      const open = lastOpen[row] as number;
      const close = lastClose[row] as number;
      floats[f + neededField] = open === -Infinity || close === -Infinity || early[row] === 1 ? Infinity : Math.max(open + orderWindow, close);
    } else floats[f + neededField] = ints[i * intFields] === Kind.failure ? (floats[f] as number) : Infinity;
  }
}

/** Two batches as one, `a`'s records first: the string tables joined, until when each record is needed worked out again. */
export function concatColumns(a: RecordColumns, b: RecordColumns): RecordColumns {
  if (b.count === 0 && b.malformed === 0) return a;
  const top = a.strings.length;
  const starts = new Uint32Array(top + b.strings.length + 1);
  starts.set(a.strings.starts.subarray(0, top));
  for (let k = 0; k <= b.strings.length; k++) starts[top + k] = (b.strings.starts[k] as number) + a.strings.bytes.length;
  const strings = new StringTable(Buffer.concat([a.strings.bytes, b.strings.bytes]), starts);
  const count = a.count + b.count;
  const ints = new Int32Array(count * intFields);
  ints.set(a.ints.subarray(0, a.count * intFields));
  for (let i = 0; i < b.count * intFields; i++) {
    const v = b.ints[i] as number;
    ints[a.count * intFields + i] = stringFields[i % intFields] === 1 && v >= 0 ? v + top : v;
  }
  const floats = new Float64Array(count * floatFields);
  floats.set(a.floats.subarray(0, a.count * floatFields));
  floats.set(b.floats.subarray(0, b.count * floatFields), a.count * floatFields);
  markNeeded(ints, floats, count);
  const earliest = Math.min(a.earliest ?? Infinity, b.earliest ?? Infinity);
  return { count, strings, ints, floats, malformed: a.malformed + b.malformed, earliest: earliest === Infinity ? null : earliest };
}

/**
 * The records of a batch (a segment's, whose records needed until when are set) that a period
 * from `since` needs, in the same order; the batch itself when it needs them all. What it leaves
 * out, sessions that ended before the period and failed logins before it, it would not count.
 */
export function neededFrom(columns: RecordColumns, since: number): RecordColumns {
  const { ints, floats, count } = columns;
  if (count === 0 || !((columns.earliest ?? Infinity) < since)) return columns;
  let kept = 0;
  for (let i = 0; i < count; i++) if ((floats[i * floatFields + neededField] as number) >= since) kept++;
  if (kept === count) return columns;
  const outInts = new Int32Array(kept * intFields);
  const outFloats = new Float64Array(kept * floatFields);
  let j = 0;
  let earliest = Infinity;
  for (let i = 0; i < count; i++) {
    if ((floats[i * floatFields + neededField] as number) < since) continue;
    for (let k = 0; k < intFields; k++) outInts[j * intFields + k] = ints[i * intFields + k] as number;
    for (let k = 0; k < floatFields; k++) outFloats[j * floatFields + k] = floats[i * floatFields + k] as number;
    const at = floats[i * floatFields] as number;
    if (at < earliest) earliest = at;
    j++;
  }
  return { count: kept, strings: columns.strings, ints: outInts, floats: outFloats, malformed: columns.malformed, earliest: kept > 0 ? earliest : null };
}

const magic = 0x4c53434c; // "LSCL"
const version = 5;

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** Where each part of a columns file starts, after its header of `headerLength` bytes. */
function layout(headerLength: number, strings: number, stringBytes: number, count: number) {
  const startsAt = align8(12 + headerLength);
  const bytesAt = startsAt + 4 * (strings + 1);
  const intsAt = align8(bytesAt + stringBytes);
  const floatsAt = align8(intsAt + 4 * intFields * count);
  return { startsAt, bytesAt, intsAt, floatsAt, end: floatsAt + 8 * floatFields * count };
}

/**
 * The columns as one file's bytes: magic, version, header length, header (JSON), the string
 * table (starts, then bytes), ints, floats; the typed arrays at multiples of 8 bytes.
 */
export function encodeColumns(columns: RecordColumns, identity: object): Buffer {
  const { strings } = columns;
  const header = Buffer.from(
    JSON.stringify({ identity, count: columns.count, strings: strings.length, stringBytes: strings.bytes.length, malformed: columns.malformed, earliest: columns.earliest }),
  );
  const at = layout(header.length, strings.length, strings.bytes.length, columns.count);
  const out = Buffer.alloc(at.end);
  out.writeUInt32LE(magic, 0);
  out.writeUInt32LE(version, 4);
  out.writeUInt32LE(header.length, 8);
  header.copy(out, 12);
  const bytesOf = (a: Uint32Array | Int32Array | Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  bytesOf(strings.starts).copy(out, at.startsAt);
  strings.bytes.copy(out, at.bytesAt);
  bytesOf(columns.ints).copy(out, at.intsAt);
  bytesOf(columns.floats).copy(out, at.floatsAt);
  return out;
}

/** Whether the first bytes of a file (8 suffice) are those of columns of this format. */
export function isColumnsHead(bytes: Uint8Array): boolean {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return b.length >= 8 && b.readUInt32LE(0) === magic && b.readUInt32LE(4) === version;
}

/**
 * The columns of a file's bytes, with the identity they were made for; null when they are not
 * such a file. The ints and floats are views of `bytes` where aligned; the string table is a copy.
 */
export function decodeColumns(bytes: Buffer): { columns: RecordColumns; identity: unknown } | null {
  if (bytes.length < 12 || bytes.readUInt32LE(0) !== magic || bytes.readUInt32LE(4) !== version) return null;
  const headerLength = bytes.readUInt32LE(8);
  if (12 + headerLength > bytes.length) return null;
  let header: { identity?: unknown; count?: unknown; strings?: unknown; stringBytes?: unknown; malformed?: unknown; earliest?: unknown };
  try {
    header = JSON.parse(bytes.toString('utf8', 12, 12 + headerLength));
  } catch {
    return null;
  }
  const { count, strings, stringBytes, malformed, earliest } = header;
  const counts = [count, strings, stringBytes];
  if (!counts.every((n) => Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) < bytes.length)) return null;
  if (!Number.isSafeInteger(malformed) || !(earliest === null || typeof earliest === 'number')) return null;
  const [n, top, length] = counts as [number, number, number];
  const at = layout(headerLength, top, length, n);
  if (at.end !== bytes.length) return null;
  // The string table copied out (the caller may reuse `bytes`), its starts checked to stay within it.
  const table = Buffer.allocUnsafeSlow(at.bytesAt + length - at.startsAt);
  bytes.copy(table, 0, at.startsAt, at.bytesAt + length);
  const starts = new Uint32Array(table.buffer, 0, top + 1);
  if (starts[0] !== 0 || starts[top] !== length) return null;
  for (let k = 0; k < top; k++) if ((starts[k] as number) > (starts[k + 1] as number)) return null;
  const stringTable = new StringTable(table.subarray(4 * (top + 1)), starts);
  // Views of the bytes where they are aligned (a file read whole is), else copies.
  const aligned = (bytes.byteOffset + at.intsAt) % 8 === 0;
  const ints = aligned ? new Int32Array(bytes.buffer, bytes.byteOffset + at.intsAt, n * intFields) : new Int32Array(n * intFields);
  if (!aligned) Buffer.from(ints.buffer).set(bytes.subarray(at.intsAt, at.intsAt + ints.byteLength));
  const floats = aligned ? new Float64Array(bytes.buffer, bytes.byteOffset + at.floatsAt, n * floatFields) : new Float64Array(n * floatFields);
  if (!aligned) Buffer.from(floats.buffer).set(bytes.subarray(at.floatsAt, at.floatsAt + floats.byteLength));
  // String numbers within the table (a damaged file must not index past it): -1 (none) up to top - 1.
  for (let b = 0; b < ints.length; b += intFields) {
    for (let f = F.host; f < intFields; f++) {
      if (stringFields[f] === 1 && ((ints[b + f] as number) + 1) >>> 0 > top) return null;
    }
  }
  return { columns: { count: n, strings: stringTable, ints, floats, malformed: malformed as number, earliest: earliest as number | null }, identity: header.identity };
}
