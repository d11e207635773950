// What the segments before a period leave to it, in columns (record-columns.ts). A segment's
// summary (segment-index.ts) holds the records whose other half is elsewhere; the summaries of the
// segments before a period, folded into one as if those segments were one segment, leave out the
// sessions opened in one and closed in another too, so that a report reads one file holding little
// more than the sessions still open, not a summary per segment.
//
// The rule is a summary's: sessions opened and closed within ended before anything after, and are
// left out; kept are boots and shutdowns (they end sessions), opens not closed, closes of sessions
// opened elsewhere, closes without an id (paired by process), and the sessions opened within the
// order window of the end, whose open may be written again after it (a relay's duplicate), with
// their closes. The first segment has nothing before it, and the edges between segments are inside.

import type { Micros } from '../record/time.ts';
import { orderWindow } from './newest-first.ts';
import { ColumnsBuilder, F, floatFields, intFields, Kind, type RecordColumns } from './record-columns.ts';

/** What is known of a session id's rows: an open, one near the end, a close. */
const Seen = { open: 1, late: 2, closed: 4 } as const;

/**
 * What the segments up to one leave to what follows: `before`, what those before it left (null for
 * the first), and the segment's own summary (`carried`, whose segment ends at `last`), as one.
 */
export function carriedThrough(before: RecordColumns | null, carried: RecordColumns, last: Micros | null): RecordColumns {
  const joined = new ColumnsBuilder();
  for (const c of before === null ? [carried] : [before, carried]) for (let i = 0; i < c.count; i++) joined.addRow(c, i);
  const all = joined.finish(0);
  const { ints, floats, count } = all;
  const lateFrom = (last ?? Infinity) - orderWindow;
  // Each session id's rows share the row of its first (a hash of the id's words, open addressing).
  const size = 1 << Math.max(4, 32 - Math.clz32(count * 2));
  const slots = new Int32Array(size); // row + 1; 0 is empty
  const firstRow = new Int32Array(count).fill(-1);
  const seen = new Uint8Array(count);
  const same = (a: number, b: number) =>
    ints[a + F.s0] === ints[b + F.s0] && ints[a + F.s1] === ints[b + F.s1] && ints[a + F.s2] === ints[b + F.s2] && ints[a + F.s3] === ints[b + F.s3];
  for (let i = 0; i < count; i++) {
    const b = i * intFields;
    const kind = ints[b + F.kind] as number;
    // Opens and closes with a session id (a close without one has its event id instead).
    if ((kind !== Kind.open && kind !== Kind.close) || ints[b + F.eventId] !== -1) continue;
    let h = Math.imul((ints[b + F.s3] as number) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(ints[b + F.s2] as number, 0xc2b2ae35) ^ (ints[b + F.s1] as number) ^ (ints[b + F.s0] as number);
    h ^= h >>> 16;
    let slot = h & (size - 1);
    let row = i;
    for (;;) {
      const entry = slots[slot] as number;
      if (entry === 0) {
        slots[slot] = i + 1;
        break;
      }
      if (same((entry - 1) * intFields, b)) {
        row = entry - 1;
        break;
      }
      slot = (slot + 1) & (size - 1);
    }
    firstRow[i] = row;
    if (kind === Kind.close) seen[row] = (seen[row] as number) | Seen.closed;
    else seen[row] = (seen[row] as number) | Seen.open | ((floats[i * floatFields] as number) >= lateFrom ? Seen.late : 0);
  }
  const keep = new Uint8Array(count);
  let kept = 0;
  for (let i = 0; i < count; i++) {
    const row = firstRow[i] as number;
    if (row < 0 || seen[row] !== (Seen.open | Seen.closed)) {
      keep[i] = 1;
      kept++;
    }
  }
  if (kept === count) return all;
  const outInts = new Int32Array(kept * intFields);
  const outFloats = new Float64Array(kept * floatFields);
  let earliest: number | null = null;
  let j = 0;
  for (let i = 0; i < count; i++) {
    if (keep[i] === 0) continue;
    outInts.set(ints.subarray(i * intFields, (i + 1) * intFields), j * intFields);
    outFloats.set(floats.subarray(i * floatFields, (i + 1) * floatFields), j * floatFields);
    earliest = Math.min(earliest ?? Infinity, floats[i * floatFields] as number);
    j++;
  }
  return { count: kept, strings: all.strings, ints: outInts, floats: outFloats, malformed: 0, earliest };
}
