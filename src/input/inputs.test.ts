import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import * as build from '../record/build.ts';
import { expandInputs, InputError, malformedWarnings, readRecords } from './inputs.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const origin = { host: 'web1', boot_id: 'A', source: 'systemd' } as const;
const line = (minute: number) => `${JSON.stringify(build.shutdown(origin, 1_700_000_000_000_000 + minute * 60_000_000))}\n`;

describe('inputs', () => {
  it('read a directory oldest first: rotated segments by time, gzipped or not, the live file last', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-inputs-`);
    writeFileSync(`${dir}/sessions.jsonl`, line(3));
    writeFileSync(`${dir}/sessions-20261120T000000Z.jsonl.gz`, gzipSync(line(1)));
    writeFileSync(`${dir}/sessions-20261121T000000Z.jsonl`, line(2) + 'torn{');
    writeFileSync(`${dir}/notes.txt`, 'not a log\n');
    mkdirSync(`${dir}/sub`);
    utimesSync(`${dir}/sessions-20261120T000000Z.jsonl.gz`, new Date(1000), new Date(1000));
    utimesSync(`${dir}/sessions-20261121T000000Z.jsonl`, new Date(2000), new Date(2000));
    expect(expandInputs([dir]).map((f) => f.path.slice(dir.length + 1))).toEqual([
      'sessions-20261120T000000Z.jsonl.gz', 'sessions-20261121T000000Z.jsonl', 'sessions.jsonl',
    ]);
    const result = readRecords([dir]);
    expect(result.records.map((r) => r.ts)).toEqual([
      '2023-11-14T22:14:20.000000Z', '2023-11-14T22:15:20.000000Z', '2023-11-14T22:16:20.000000Z',
    ]);
    expect(malformedWarnings(result)).toEqual([`skipped 1 malformed line in ${dir}/sessions-20261121T000000Z.jsonl`]);
  });

  it('read logrotate\'s segments too, imports before the log, and a .gz only once its plain file is gone', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-inputs-`);
    writeFileSync(`${dir}/sessions.jsonl`, line(5));
    writeFileSync(`${dir}/sessions.jsonl.1`, line(4));
    writeFileSync(`${dir}/sessions.jsonl.2.gz`, gzipSync(line(3)));
    writeFileSync(`${dir}/sessions-20261121T000000Z.jsonl`, line(2));
    writeFileSync(`${dir}/sessions-20261121T000000Z.jsonl.gz`, gzipSync(line(2)));
    writeFileSync(`${dir}/wtmp-import.jsonl`, line(1));
    writeFileSync(`${dir}/.sessions-20261121T000000Z.jsonl.gz.77.tmp`, 'partial');
    utimesSync(`${dir}/sessions.jsonl.2.gz`, new Date(1000), new Date(1000));
    utimesSync(`${dir}/sessions.jsonl.1`, new Date(2000), new Date(2000));
    expect(expandInputs([dir]).map((f) => f.path.slice(dir.length + 1))).toEqual([
      'wtmp-import.jsonl', 'sessions.jsonl.2.gz', 'sessions.jsonl.1', 'sessions-20261121T000000Z.jsonl', 'sessions.jsonl',
    ]);
    expect(readRecords([dir]).records).toHaveLength(5);
  });

  it('read the records on both sides of a line longer than the maximum, counting it as malformed, gzipped or not', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-inputs-`);
    const text = `${line(1)}${'x'.repeat(9 << 20)}\n${line(2)}`;
    writeFileSync(`${dir}/long.jsonl`, text);
    writeFileSync(`${dir}/long.jsonl.gz`, gzipSync(text));
    for (const path of [`${dir}/long.jsonl`, `${dir}/long.jsonl.gz`]) {
      const result = readRecords([path]);
      expect(result.records.map((r) => r.ts)).toEqual(['2023-11-14T22:14:20.000000Z', '2023-11-14T22:15:20.000000Z']);
      expect(malformedWarnings(result)).toEqual([`skipped 1 malformed line in ${path}`]);
    }
  });

  it('name the path and the reason when an input cannot be read', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-inputs-`);
    expect(() => readRecords([`${dir}/missing.jsonl`])).toThrow(InputError);
    expect(() => readRecords([`${dir}/missing.jsonl`])).toThrow(`Cannot read ${dir}/missing.jsonl: no such file or directory`);
    writeFileSync(`${dir}/bad.jsonl.gz`, 'not gzip');
    expect(() => readRecords([`${dir}/bad.jsonl.gz`])).toThrow(/not a readable gzip file/);
  });
});
