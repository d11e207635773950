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
import { ColumnsBuilder, F, floatFields, intFields, Kind, sessionRows, type RecordColumns } from './record-columns.ts';

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
  const firstRow = sessionRows(ints, count);
  const seen = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const row = firstRow[i] as number;
    if (row < 0) continue;
    if (ints[i * intFields + F.kind] === Kind.close) seen[row] = (seen[row] as number) | Seen.closed;
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
