// What records before a period leave to it, in columns (record-columns.ts). A segment's summary
// (segment-index.ts) holds the records whose other half is elsewhere; two ways to hold less:
//  - the summaries of the segments before a period, folded into one (carriedThrough): as if those
//    segments were one, the sessions opened in one and closed in another are left out too, so
//    that a report reads one file with the sessions still open, not a summary per segment;
//  - the segment that straddles the period's start, read whole, less the sessions opened and
//    closed before the period (withoutEndedBefore).
// The rule is a summary's: sessions opened and closed before the cut ended before anything after
// it and are left out, with the failed logins before it; kept are boots and shutdowns (they end
// sessions), opens not closed before the cut, closes of sessions opened elsewhere, closes without
// an id (paired by process), and the sessions opened within the order window of either edge,
// whose open may be written again on the other side of it (a relay's duplicate), with their closes.

import type { Micros } from '../record/time.ts';
import { orderWindow } from './newest-first.ts';
import { ColumnsBuilder, F, floatFields, intFields, Kind, type RecordColumns } from './record-columns.ts';

/** A session id's rows before the cut: an open, one near an edge, a close, a close after the cut. */
const Seen = { open: 1, nearEdge: 2, closed: 4, closedAfter: 8 } as const;

interface Cut {
  /** Closes from here on do not close a session before the cut; failed logins before it are left out. */
  cutoff: Micros;
  /** Opens at or before this time or at or after `lateFrom` are near an edge. */
  earlyTo: Micros;
  lateFrom: Micros;
}

/** The columns without the sessions opened and closed before the cut, in the same order; the columns themselves when none is. */
function withoutPairs(columns: RecordColumns, cut: Cut): RecordColumns {
  const { ints, floats, count } = columns;
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
    const at = floats[i * floatFields] as number;
    if (kind === Kind.open) seen[row] = (seen[row] as number) | Seen.open | (at <= cut.earlyTo || at >= cut.lateFrom ? Seen.nearEdge : 0);
    else seen[row] = (seen[row] as number) | (at < cut.cutoff ? Seen.closed : Seen.closedAfter);
  }
  const keep = new Uint8Array(count);
  let kept = 0;
  for (let i = 0; i < count; i++) {
    const kind = ints[i * intFields + F.kind] as number;
    const row = firstRow[i] as number;
    if (kind === Kind.failure ? (floats[i * floatFields] as number) >= cut.cutoff : row < 0 || seen[row] !== (Seen.open | Seen.closed)) {
      keep[i] = 1;
      kept++;
    }
  }
  if (kept === count) return columns;
  const outInts = new Int32Array(kept * intFields);
  const outFloats = new Float64Array(kept * floatFields);
  let j = 0;
  for (let i = 0; i < count; i++) {
    if (keep[i] === 0) continue;
    for (let k = 0; k < intFields; k++) outInts[j * intFields + k] = ints[i * intFields + k] as number;
    for (let k = 0; k < floatFields; k++) outFloats[j * floatFields + k] = floats[i * floatFields + k] as number;
    j++;
  }
  let earliest: number | null = null;
  for (let i = 0; i < kept; i++) earliest = Math.min(earliest ?? Infinity, outFloats[i * floatFields] as number);
  return { count: kept, strings: columns.strings, ints: outInts, floats: outFloats, malformed: columns.malformed, earliest };
}

/**
 * A segment's columns less what a period from `cutoff` on cannot need of what came before it
 * (`cutoff`: the period's start less the order window, or earlier). Rows from the cut on are all kept.
 */
export function withoutEndedBefore(columns: RecordColumns, cutoff: Micros): RecordColumns {
  if (columns.count === 0 || !((columns.earliest ?? Infinity) < cutoff)) return columns;
  let first = Infinity;
  for (let i = 0; i < columns.count; i++) first = Math.min(first, columns.floats[i * floatFields] as number);
  return withoutPairs(columns, { cutoff, earlyTo: first + orderWindow, lateFrom: cutoff - orderWindow });
}

/**
 * What the segments up to one leave to what follows: `before`, what those before it left (null for
 * the first), and the segment's own summary (`carried`, ending at `last`), as one.
 */
export function carriedThrough(before: RecordColumns | null, carried: RecordColumns, last: Micros | null): RecordColumns {
  const joined = new ColumnsBuilder();
  for (const c of before === null ? [carried] : [before, carried]) for (let i = 0; i < c.count; i++) joined.addRow(c, i);
  const all = joined.finish(0);
  // Only the end is an edge: the first segment has nothing before it, and those between are inside.
  return withoutPairs(all, { cutoff: Infinity, earlyTo: -Infinity, lateFrom: (last ?? Infinity) - orderWindow });
}
