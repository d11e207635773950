import { describe, expect, it } from 'vitest';
import { generateHistory } from '../../test/helpers/log-history.ts';
import { Reconciler } from '../reconcile/reconcile.ts';
import { parseTimestamp, type Micros } from '../record/time.ts';
import type { Session } from '../reconcile/types.ts';
import { carriedThrough } from './carried-through.ts';
import { parseLines } from './parse-lines.ts';
import { ColumnsBuilder, F, floatFields, intFields, Kind, neededFrom, type RecordColumns } from './record-columns.ts';

const { records } = parseLines(generateHistory({ sessions: 600, seed: 7 }).lines.join(''));
const columnsOf = (rs: typeof records) => {
  const builder = new ColumnsBuilder();
  for (const r of rs) builder.add(r);
  return builder.finish(0);
};
const at = (ts: string) => parseTimestamp(ts) as Micros;

/** The sessions of reconciled columns that a period from `since` on sees: those not ended before it. */
function seenFrom(batches: RecordColumns[], since: Micros): Session[] {
  const reconciler = new Reconciler();
  for (const c of batches) reconciler.addColumns(c);
  const done = reconciler.finish();
  return Array.from(done.order, (i) => done.session(i)).filter((s) => s.logout_time === null || at(s.logout_time) >= since);
}

describe('what the segments before a period leave to it', () => {
  it('copies rows between batches with their strings', () => {
    const all = columnsOf(records);
    const copy = new ColumnsBuilder();
    for (let i = 0; i < all.count; i++) copy.addRow(all, i);
    const copied = copy.finish(0);
    expect(copied.count).toBe(all.count);
    expect(seenFrom([copied], 0)).toEqual(seenFrom([all], 0));
  });

  it('leave out, of a segment straddling the start, the sessions that ended before it, and nothing the period sees', () => {
    const all = columnsOf(records);
    const since = at(records[Math.floor(records.length * 0.7)]?.ts as string);
    const needed = neededFrom(all, since);
    expect(needed.count).toBeLessThan(all.count * 0.5);
    expect(seenFrom([needed], since)).toEqual(seenFrom([all], since));
    for (let i = 0; i < needed.count; i++) {
      if (needed.ints[i * intFields + F.kind] === Kind.failure) expect(needed.floats[i * floatFields]).toBeGreaterThanOrEqual(since);
    }
    // A period from before the segment needs all of it.
    expect(neededFrom(all, at(records[0]?.ts as string))).toBe(all);
  });

  it('folds the summaries of segments into what they leave together, pairing across them', () => {
    // Segments of 300 records each, summarized as a segment's summary is (each one's own pairs left
    // out), then folded one by one; a period after them sees the same sessions either way.
    const segments: RecordColumns[] = [];
    for (let from = 0; from + 300 < records.length * 0.8; from += 300) segments.push(columnsOf(records.slice(from, from + 300)));
    const lastOf = (c: RecordColumns) => {
      let last = -Infinity;
      for (let i = 0; i < c.count; i++) last = Math.max(last, c.floats[i * floatFields] as number);
      return last;
    };
    const summaries = segments.map((c) => carriedThrough(null, c, lastOf(c)));
    let folded: RecordColumns | null = null;
    summaries.forEach((s, k) => (folded = carriedThrough(folded, s, lastOf(segments[k] as RecordColumns))));
    const after = records.slice(segments.length * 300);
    const since = at(after[0]?.ts as string) + 1;
    const rest = columnsOf(after);
    const expected = seenFrom([columnsOf(records)], since);
    expect(expected.length).toBeGreaterThan(10);
    expect(seenFrom([folded as unknown as RecordColumns, rest], since)).toEqual(expected);
    expect(seenFrom([...summaries, rest], since)).toEqual(expected);
    const total = summaries.reduce((n, s) => n + s.count, 0);
    expect((folded as unknown as RecordColumns).count).toBeLessThan(total);
  });
});
