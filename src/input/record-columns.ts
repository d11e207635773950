// The records of a rotated segment as the reconciler takes them, in columns: what `last` over a
// whole history reads instead of parsing every line again (segment-index.ts keeps one per rotated
// segment). Strings are numbers into the batch's own table; session and event ids are stored as
// their four 32-bit words where the reconciler keys by them. Failed logins are not kept: the
// history does not show them.

import { parseTimestamp } from '../record/time.ts';
import type { LogRecord } from '../record/types.ts';
import { uuidWords } from '../reconcile/columns.ts';

export const Kind = { open: 0, close: 1, boot: 2, shutdown: 3 } as const;

/** Int32 fields per record. */
export const F = {
  kind: 0, s0: 1, s1: 2, s2: 3, s3: 4, host: 5, user: 6, uid: 7, tty: 8, rhost: 9, service: 10, audit: 11,
  bootId: 12, pty: 13, kernel: 14, bootTime: 15, ts: 16, eventId: 17,
} as const;
export const intFields = 18;
/** Float64 fields per record: the time (µs), the process's start time and its pid. */
export const floatFields = 3;

export interface RecordColumns {
  count: number;
  strings: string[];
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
  private readonly strings: string[] = [];
  private readonly ids = new Map<string, number>();
  private earliest = Infinity;

  private str(value: string | null | undefined): number {
    if (value === null || value === undefined) return -1;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(value);
      this.ids.set(value, id);
    }
    return id;
  }

  add(record: LogRecord): void {
    const at = parseTimestamp(record.ts) ?? 0;
    if (at < this.earliest) this.earliest = at;
    if (record.event === 'auth_failure') return;
    if (this.count * intFields === this.ints.length) {
      const ints = new Int32Array(this.ints.length * 2);
      ints.set(this.ints);
      this.ints = ints;
      const floats = new Float64Array(this.floats.length * 2);
      floats.set(this.floats);
      this.floats = floats;
    }
    const b = this.count * intFields;
    const ints = this.ints;
    ints.fill(-1, b, b + intFields);
    const fb = this.count * floatFields;
    this.floats[fb] = at;
    this.floats[fb + 1] = 0;
    this.floats[fb + 2] = 0;
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
    ints[b + F.kind] = record.event === 'session_open' ? Kind.open : Kind.close;
    if (record.session_id !== null) uuidWords(record.session_id).forEach((w, k) => (ints[b + F.s0 + k] = w | 0));
    else ints[b + F.eventId] = this.str(record.event_id); // a close without id: paired by process, kept by event id
    ints[b + F.user] = this.str(record.user);
    ints[b + F.uid] = record.uid === null ? -1 : record.uid | 0;
    ints[b + F.tty] = this.str(record.tty);
    ints[b + F.rhost] = this.str(record.rhost);
    ints[b + F.service] = this.str(record.service);
    ints[b + F.audit] = record.audit_session === undefined ? -1 : record.audit_session | 0;
    if (record.event === 'session_close' && record.pty !== undefined) ints[b + F.pty] = this.str(record.pty);
    this.floats[fb + 1] = record.pid_start;
    this.floats[fb + 2] = record.pid;
  }

  finish(malformed: number): RecordColumns {
    return {
      count: this.count,
      strings: this.strings,
      ints: this.ints.subarray(0, this.count * intFields),
      floats: this.floats.subarray(0, this.count * floatFields),
      malformed,
      earliest: this.earliest === Infinity ? null : this.earliest,
    };
  }
}

const magic = 0x4c53434c; // "LSCL"
const version = 1;

/** The columns as one file's bytes: magic, version, header length, header (JSON), ints, floats. */
export function encodeColumns(columns: RecordColumns, identity: object): Buffer {
  const header = Buffer.from(JSON.stringify({ identity, count: columns.count, strings: columns.strings, malformed: columns.malformed, earliest: columns.earliest }));
  // The typed arrays start at multiples of 8 bytes.
  const headerEnd = 12 + header.length;
  const intsAt = Math.ceil(headerEnd / 8) * 8;
  const floatsAt = Math.ceil((intsAt + columns.ints.byteLength) / 8) * 8;
  const out = Buffer.alloc(floatsAt + columns.floats.byteLength);
  out.writeUInt32LE(magic, 0);
  out.writeUInt32LE(version, 4);
  out.writeUInt32LE(header.length, 8);
  header.copy(out, 12);
  Buffer.from(columns.ints.buffer, columns.ints.byteOffset, columns.ints.byteLength).copy(out, intsAt);
  Buffer.from(columns.floats.buffer, columns.floats.byteOffset, columns.floats.byteLength).copy(out, floatsAt);
  return out;
}

/** The columns of a file's bytes, with the identity they were made for; null when they are not such a file. */
export function decodeColumns(bytes: Buffer): { columns: RecordColumns; identity: unknown } | null {
  if (bytes.length < 12 || bytes.readUInt32LE(0) !== magic || bytes.readUInt32LE(4) !== version) return null;
  const headerLength = bytes.readUInt32LE(8);
  if (12 + headerLength > bytes.length) return null;
  let header: { identity?: unknown; count?: unknown; strings?: unknown; malformed?: unknown; earliest?: unknown };
  try {
    header = JSON.parse(bytes.toString('utf8', 12, 12 + headerLength));
  } catch {
    return null;
  }
  const { count, strings, malformed, earliest } = header;
  if (!Number.isSafeInteger(count) || (count as number) < 0 || !Array.isArray(strings) || !strings.every((s) => typeof s === 'string')) return null;
  if (!Number.isSafeInteger(malformed) || !(earliest === null || typeof earliest === 'number')) return null;
  const n = count as number;
  const intsAt = Math.ceil((12 + headerLength) / 8) * 8;
  const floatsAt = Math.ceil((intsAt + n * intFields * 4) / 8) * 8;
  if (floatsAt + n * floatFields * 8 !== bytes.length) return null;
  // Views of the bytes where they are aligned (a file read whole is), else copies.
  const aligned = (bytes.byteOffset + intsAt) % 8 === 0;
  const ints = aligned ? new Int32Array(bytes.buffer, bytes.byteOffset + intsAt, n * intFields) : new Int32Array(n * intFields);
  if (!aligned) Buffer.from(ints.buffer).set(bytes.subarray(intsAt, intsAt + ints.byteLength));
  const floats = aligned ? new Float64Array(bytes.buffer, bytes.byteOffset + floatsAt, n * floatFields) : new Float64Array(n * floatFields);
  if (!aligned) Buffer.from(floats.buffer).set(bytes.subarray(floatsAt, floatsAt + floats.byteLength));
  // String numbers within the table (a damaged file must not index past it).
  const top = strings.length;
  for (let i = 0; i < ints.length; i++) {
    const f = i % intFields;
    if (f >= F.host && f !== F.uid && f !== F.audit && ((ints[i] as number) < -1 || (ints[i] as number) >= top)) return null;
  }
  return { columns: { count: n, strings: strings as string[], ints, floats, malformed: malformed as number, earliest: earliest as number | null }, identity: header.identity };
}
