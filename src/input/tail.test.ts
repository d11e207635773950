import { appendFileSync, mkdtempSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gzipBomb } from '../../test/helpers/gzip.ts';
import { compressSegment } from '../store/compress-segment.ts';
import { LogTail } from './tail.ts';

let dir: string;
let log: string;
beforeEach(() => {
  dir = mkdtempSync(`${tmpdir()}/ls-tail-`);
  log = `${dir}/sessions.jsonl`;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('LogTail', () => {
  it('reads whole lines as they are appended and keeps a partial line for later', () => {
    writeFileSync(log, 'a\nb\npart');
    const tail = new LogTail(log, 'start');
    expect(tail.read().lines).toEqual(['a', 'b']);
    expect(tail.read().lines).toEqual([]);
    appendFileSync(log, 'ial\nc\n');
    expect(tail.read().lines).toEqual(['partial', 'c']);
    tail.close();
  });

  it('starts at the end when asked', () => {
    writeFileSync(log, 'old\n');
    const tail = new LogTail(log, 'end');
    appendFileSync(log, 'new\n');
    expect(tail.read().lines).toEqual(['new']);
    tail.close();
  });

  it('follows a rename-style rotation: the rest of the old file, then the new one', () => {
    writeFileSync(log, '1\n');
    const tail = new LogTail(log, 'start');
    expect(tail.read().lines).toEqual(['1']);
    appendFileSync(log, '2\ntorn');
    renameSync(log, `${dir}/sessions-20261121T000000Z.jsonl`);
    expect(tail.read()).toEqual({ lines: ['2'], rotations: 0, truncations: 0 }); // no new file yet: waits
    writeFileSync(log, '3\n');
    expect(tail.read()).toEqual({ lines: ['torn', '3'], rotations: 1, truncations: 0 });
    tail.close();
  });

  it('reads a truncated file again from its start', () => {
    writeFileSync(log, 'aaaa\nbbbb\n');
    const tail = new LogTail(log, 'start');
    tail.read();
    truncateSync(log, 0);
    appendFileSync(log, 'c\n');
    expect(tail.read()).toEqual({ lines: ['c'], rotations: 0, truncations: 1 });
    tail.close();
  });

  it('resumes from a saved position, also in a file rotated away meanwhile', () => {
    writeFileSync(log, '1\n2\n');
    const first = new LogTail(log, 'start');
    first.read();
    const saved = first.position();
    first.close();
    appendFileSync(log, '3\n');
    renameSync(log, `${dir}/sessions-20261121T000000Z.jsonl`);
    writeFileSync(log, '4\n');
    const second = new LogTail(log, saved ?? 'start');
    expect(second.read().lines).toEqual(['3', '4']);
    second.close();
  });

  it('reads every segment rotated while it was stopped, in rotation order, compressed or not, then the live file', async () => {
    writeFileSync(log, '1\n2\n');
    const first = new LogTail(log, 'start');
    expect(first.read().lines).toEqual(['1', '2']);
    const saved = first.position();
    first.close();
    appendFileSync(log, '3\n');
    renameSync(log, `${dir}/sessions-20261121T000000Z.jsonl`);
    writeFileSync(log, '4\n');
    renameSync(log, `${dir}/sessions-20261121T000000Z-1.jsonl`);
    writeFileSync(log, '5\n');
    renameSync(log, `${dir}/sessions-20261121T000001Z.jsonl`);
    writeFileSync(log, '6\n');
    // The saved file and the next one compressed meanwhile.
    await compressSegment(`${dir}/sessions-20261121T000000Z.jsonl`);
    await compressSegment(`${dir}/sessions-20261121T000000Z-1.jsonl`);
    const second = new LogTail(log, saved ?? 'start');
    expect(second.read()).toEqual({ lines: ['3', '4', '5', '6'], rotations: 3, truncations: 0 });
    appendFileSync(log, '7\n');
    expect(second.read().lines).toEqual(['7']);
    second.close();
    // From the oldest segment: everything once.
    const all = new LogTail(log, 'oldest');
    expect(all.read().lines).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    all.close();
  });

  it('goes on after the segment it was reading when that one is compressed and removed under it', async () => {
    writeFileSync(log, '1\n');
    const tail = new LogTail(log, 'start');
    expect(tail.read().lines).toEqual(['1']);
    appendFileSync(log, '2\n');
    renameSync(log, `${dir}/sessions-20261121T000000Z.jsonl`);
    writeFileSync(log, '3\n');
    await compressSegment(`${dir}/sessions-20261121T000000Z.jsonl`);
    renameSync(log, `${dir}/sessions-20261121T000001Z.jsonl`);
    writeFileSync(log, '4\n');
    expect(tail.read().lines).toEqual(['2', '3', '4']);
    tail.close();
  });

  it('reads on through older segments while the live file is renamed away, finishing each file once', () => {
    writeFileSync(`${dir}/sessions-20261121T000000Z.jsonl`, '1\n');
    writeFileSync(`${dir}/sessions-20261121T000001Z.jsonl`, '2\ntorn');
    // No live file: a rotation between its rename and the new file.
    const tail = new LogTail(log, 'oldest');
    expect(tail.read()).toEqual({ lines: ['1', '2', 'torn'], rotations: 2, truncations: 0 });
    expect(tail.read()).toEqual({ lines: [], rotations: 0, truncations: 0 });
    writeFileSync(log, '3\n');
    expect(tail.read()).toEqual({ lines: ['3'], rotations: 0, truncations: 0 });
    tail.close();
  });

  it('warns and continues after a saved position that was removed by retention', () => {
    writeFileSync(log, '1\n');
    const first = new LogTail(log, 'start');
    first.read();
    const saved = first.position();
    first.close();
    renameSync(log, `${dir}/sessions-20261121T000000Z.jsonl`);
    writeFileSync(log, '2\n');
    rmSync(`${dir}/sessions-20261121T000000Z.jsonl`);
    const warnings: string[] = [];
    const second = new LogTail(log, saved ?? 'start', (m) => warnings.push(m));
    expect(second.read().lines).toEqual(['2']);
    expect(warnings).toEqual([expect.stringMatching(/no longer in the log; continuing with sessions.jsonl/)]);
    second.close();
  });

  it('waits for a log that does not exist yet and refuses a symlink in its place', () => {
    const tail = new LogTail(log, 'start');
    expect(tail.read().lines).toEqual([]);
    writeFileSync(`${dir}/elsewhere`, 'secret\n');
    const link = `${dir}/link.jsonl`;
    symlinkSync(`${dir}/elsewhere`, link);
    const warnings: string[] = [];
    const linked = new LogTail(link, 'start', (m) => warnings.push(m));
    expect(linked.read().lines).toEqual([]);
    expect(linked.read().lines).toEqual([]);
    expect(warnings).toEqual([`not following ${link}: a symbolic link, not a regular file (links are not followed)`]);
    linked.close();
    writeFileSync(log, 'x\n');
    expect(tail.read().lines).toEqual(['x']);
    tail.close();
  });
});

describe('LogTail and long lines', () => {
  it('skips a line longer than the maximum, also while it is being written, counts it and reads on', () => {
    writeFileSync(log, 'a\n');
    const tail = new LogTail(log, 'start');
    expect(tail.read(1 << 20).lines).toEqual(['a']);
    appendFileSync(log, 'x'.repeat(5 << 20)); // 5 MiB of a 9 MiB line so far
    expect(tail.read(1 << 20)).toEqual({ lines: [], rotations: 0, truncations: 0 });
    appendFileSync(log, `${'x'.repeat(4 << 20)}\nb\n`);
    expect(tail.read(1 << 20)).toEqual({ lines: ['b'], overlong: 1, rotations: 0, truncations: 0 });
    expect(tail.position()?.offset).toBe(2 + (9 << 20) + 3);
    appendFileSync(log, 'c\n');
    expect(tail.read(1 << 20)).toEqual({ lines: ['c'], rotations: 0, truncations: 0 });
    tail.close();
  });

  it('reads a compressed segment a budget at a time and continues inside it from a saved position', async () => {
    const all = Array.from({ length: 1000 }, (_, i) => `{"n":${i},"pad":"${'p'.repeat(80)}"}`);
    writeFileSync(log, `${all.join('\n')}\n`);
    renameSync(log, `${dir}/sessions-20261121T000000Z.jsonl`);
    await compressSegment(`${dir}/sessions-20261121T000000Z.jsonl`);
    writeFileSync(log, 'live\n');
    const first = new LogTail(log, 'oldest');
    const got = first.read(10_000).lines;
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(1000);
    const saved = first.position();
    expect(saved).toMatchObject({ compressed: true, offset: got.join('\n').length + 1 });
    first.close();
    const second = new LogTail(log, saved ?? 'start');
    const rest: string[] = [];
    for (let read = second.read(10_000); read.lines.length > 0; read = second.read(10_000)) rest.push(...read.lines);
    expect([...got, ...rest]).toEqual([...all, 'live']);
    second.close();
  });

  it('warns and goes on after a compressed segment that decompresses past its limit (a gzip bomb)', async () => {
    writeFileSync(`${dir}/sessions-20261121T000000Z.jsonl`, '1\n');
    await gzipBomb(`${dir}/sessions-20261121T000001Z.jsonl.gz`, 256);
    writeFileSync(`${dir}/sessions-20261121T000002Z.jsonl`, '2\n');
    writeFileSync(log, '3\n');
    const warnings: string[] = [];
    const tail = new LogTail(log, 'oldest', (m) => warnings.push(m));
    const lines: string[] = [];
    for (let read = tail.read(); read.lines.length > 0; read = tail.read()) {
      expect(read.overlong).toBeUndefined();
      lines.push(...read.lines);
    }
    expect(lines).toEqual(['1', '2', '3']);
    expect(warnings).toEqual([`cannot read ${dir}/sessions-20261121T000001Z.jsonl.gz: decompressed size exceeds ${64 << 20} bytes; skipped the rest of it`]);
    tail.close();
  });
});
