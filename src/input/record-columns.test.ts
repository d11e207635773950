import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { generateHistory, writeLogDirectory } from '../../test/helpers/log-history.ts';
import { FailureCollector } from '../failures/failures.ts';
import { Reconciler } from '../reconcile/reconcile.ts';
import type { LogRecord } from '../record/types.ts';
import { parseLines } from './parse-lines.ts';
import { listInputs } from './inputs.ts';
import { StringTable } from '../reconcile/columns.ts';
import { ColumnsBuilder, decodeColumns, encodeColumns, F, floatFields, intFields } from './record-columns.ts';
import { SegmentIndex } from './segment-index.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('record columns', () => {
  const { records } = parseLines(generateHistory({ sessions: 400, seed: 3 }).lines.join(''));

  it('reconcile to what the records reconcile to, through their file form', () => {
    const builder = new ColumnsBuilder();
    for (const r of records) builder.add(r);
    const decoded = decodeColumns(encodeColumns(builder.finish(2), { dev: 1 }));
    expect(decoded?.identity).toEqual({ dev: 1 });
    expect(decoded?.columns.malformed).toBe(2);
    const fromColumns = new Reconciler();
    fromColumns.addColumns(decoded?.columns ?? builder.finish(0));
    const fromRecords = new Reconciler();
    for (const r of records) fromRecords.add(r);
    const a = fromColumns.finish();
    const b = fromRecords.finish();
    expect(Array.from(a.order, (i) => a.session(i))).toEqual(Array.from(b.order, (i) => b.session(i)));
    expect(a.system).toEqual(b.system);
    expect(a.counts).toEqual(b.counts);
  });

  it('give the failed logins the records give, uids of any size and none included', () => {
    const failures = records.filter((r) => r.event === 'auth_failure');
    expect(failures.length).toBeGreaterThan(3);
    const odd = failures.map((r, i) => ({ ...r, uid: [null, 0, 4294967295, 2 ** 40, 1000][i % 5] ?? null }) as LogRecord);
    const builder = new ColumnsBuilder();
    for (const r of [...records, ...odd.map((r) => ({ ...r, event_id: r.event_id.replace(/.$/, 'f') }))]) builder.add(r);
    const decoded = decodeColumns(encodeColumns(builder.finish(0), {}));
    if (decoded === null) throw new Error('not decoded');
    const filter = { since: null, until: null, user: null, host: null };
    const fromColumns = new FailureCollector(filter);
    fromColumns.addColumns(decoded.columns);
    const fromRecords = new FailureCollector(filter);
    for (const r of [...records, ...odd.map((r) => ({ ...r, event_id: r.event_id.replace(/.$/, 'f') }))]) fromRecords.add(r);
    expect(fromColumns.sorted()).toEqual(fromRecords.sorted());
    expect(fromColumns.sorted().map((f) => f.uid)).toContain(2 ** 40);
  });

  it('refuses bytes that are not columns, cut short, or that name strings outside their table', () => {
    const builder = new ColumnsBuilder();
    for (const r of records.slice(0, 50)) builder.add(r);
    const bytes = encodeColumns(builder.finish(0), {});
    expect(decodeColumns(bytes)).not.toBeNull();
    expect(decodeColumns(Buffer.from('{"version":1}'))).toBeNull();
    expect(decodeColumns(bytes.subarray(0, bytes.length - 8))).toBeNull();
    const header = JSON.parse(bytes.toString('utf8', 12, 12 + bytes.readUInt32LE(8)));
    // The ints and floats end the file.
    const intsAt = bytes.length - header.count * (intFields * 4 + floatFields * 8);
    const forged = Buffer.from(bytes);
    forged.writeInt32LE(1 << 30, intsAt + (intFields + F.host) * 4);
    expect(decodeColumns(forged)).toBeNull();
    // A string that would end past the table's bytes.
    const startsAt = Math.ceil((12 + bytes.readUInt32LE(8)) / 8) * 8;
    const past = Buffer.from(bytes);
    past.writeUInt32LE(header.stringBytes + 1, startsAt + 4);
    expect(decodeColumns(past)).toBeNull();
    // The version-1 form (strings in the header) is not read: it is made again.
    const older = Buffer.from(bytes);
    older.writeUInt32LE(1, 4);
    expect(decodeColumns(older)).toBeNull();
  });

  it('keep every string as it was, multi-byte and hostile ones too', () => {
    const strings = ['', 'alice', 'ë€😀', 'c\u001b[31m', 'd\u0085e\u2028', 'x'.repeat(5000), '\ud800', 'a\udc00b"\\', '\ud83d\ude00\ud83d'];
    const table = StringTable.of(strings);
    expect(Array.from({ length: table.length }, (_, k) => table.get(k))).toEqual(strings);
  });

  it('are made again when their file is damaged or names another segment', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-columns-`);
    const history = generateHistory({ sessions: 300, seed: 9 });
    writeLogDirectory(`${dir}/log`, history.lines, 100);
    const segments = listInputs([`${dir}/log`]).files.filter((f) => f.segment?.scheme === 'rotated');
    const first = segments[0];
    if (first === undefined) throw new Error('no segment');
    const made = new SegmentIndex(`${dir}/state`).columns(first);
    const stored = readdirSync(`${dir}/state/segment-index`).filter((n) => n.endsWith('.columns'));
    expect(stored).toHaveLength(1);
    writeFileSync(`${dir}/state/segment-index/${stored[0]}`, 'LSCL damaged');
    expect(new SegmentIndex(`${dir}/state`).columns(first)).toEqual(made);
    // Another segment's columns under this one's name: its identity gives it away.
    const second = segments[1];
    if (second === undefined) throw new Error('no second segment');
    new SegmentIndex(`${dir}/state`).columns(second);
    const names = readdirSync(`${dir}/state/segment-index`).filter((n) => n.endsWith('.columns'));
    const secondName = names.find((n) => n !== stored[0]) as string;
    rmSync(`${dir}/state/segment-index/${stored[0]}`);
    writeFileSync(`${dir}/state/segment-index/${stored[0]}`, readFileSync(`${dir}/state/segment-index/${secondName}`));
    expect(new SegmentIndex(`${dir}/state`).columns(first)).toEqual(made);
  });

  it('are not made where they cannot be kept: the segment is read as usual', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-columns-`);
    writeLogDirectory(`${dir}/log`, generateHistory({ sessions: 100, seed: 4 }).lines, 100);
    writeFileSync(`${dir}/not-a-directory`, '');
    const segment = listInputs([`${dir}/log`]).files.find((f) => f.segment?.scheme === 'rotated');
    if (segment === undefined) throw new Error('no segment');
    expect(new SegmentIndex(`${dir}/not-a-directory/state`).columns(segment)).toBeNull();
    expect(new SegmentIndex(null).columns(segment)).toBeNull();
  });

  it('are not made of a segment that is no longer a regular file: the caller reads it, and says so', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-columns-`);
    writeLogDirectory(`${dir}/log`, generateHistory({ sessions: 100, seed: 5 }).lines, 100);
    const segment = listInputs([`${dir}/log`]).files.find((f) => f.segment?.scheme === 'rotated');
    if (segment === undefined) throw new Error('no segment');
    // Listed as a file, a FIFO by the time it is read.
    rmSync(segment.path);
    execFileSync('mkfifo', [segment.path]);
    expect(new SegmentIndex(`${dir}/state`).columns(segment)).toBeNull();
    // Nor its summary: the report then reads everything, and its whole read names the FIFO.
    expect(new SegmentIndex(`${dir}/state`).summary(segment)).toBeNull();
  });

  it('are not taken from an index directory of another user', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-columns-`);
    writeLogDirectory(`${dir}/log`, generateHistory({ sessions: 100, seed: 6 }).lines, 100);
    const segment = listInputs([`${dir}/log`]).files.find((f) => f.segment?.scheme === 'rotated');
    if (segment === undefined) throw new Error('no segment');
    const made = new SegmentIndex(`${dir}/state`).columns(segment);
    expect(made).not.toBeNull();
    // The state directory handed to another user, who could rewrite what it holds: not read, not written.
    chownSync(`${dir}/state`, 65534, 65534);
    const path = `${dir}/state/segment-index/${readdirSync(`${dir}/state/segment-index`).find((n) => n.endsWith('.columns'))}`;
    const stored = decodeColumns(readFileSync(path));
    if (stored === null) throw new Error('no columns stored');
    // Well-formed columns for the segment as it is, saying something else of it.
    writeFileSync(path, encodeColumns({ ...stored.columns, malformed: 999 }, stored.identity as object));
    expect(new SegmentIndex(`${dir}/state`).columns(segment)).toBeNull();
  });
});
