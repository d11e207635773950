import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import * as build from '../record/build.ts';
import { expandInputs, InputError, listInputs, malformedWarnings, readRecords, readWarnings } from './inputs.ts';

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

  it('read a truncated .jsonl.gz up to its damage beside healthy files, and report the damage naming it', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-inputs-`);
    const segment = `${dir}/sessions-20261120T000000Z.jsonl.gz`;
    const many = Array.from({ length: 2000 }, (_, i) => line(i)).join('');
    const whole = gzipSync(many);
    writeFileSync(segment, whole.subarray(0, Math.floor(whole.length * 0.6)));
    utimesSync(segment, new Date(1000), new Date(1000));
    writeFileSync(`${dir}/sessions.jsonl`, line(5000));
    const result = readRecords([dir]);
    const fromSegment = result.records.length - 1;
    expect(fromSegment).toBeGreaterThan(0);
    expect(fromSegment).toBeLessThan(2000);
    expect(result.records.map((r) => r.ts)).toEqual([...many.split('\n').slice(0, fromSegment).map((l) => JSON.parse(l).ts), JSON.parse(line(5000)).ts]);
    // The line the damage cut short is lost with the rest, not counted as malformed.
    expect(result.malformed).toEqual([]);
    expect(readWarnings(result)).toEqual([`Cannot read ${segment}: not a readable gzip file (unexpected end of file); the records before the damage were read`]);
  });

  it('name what a directory that gives nothing to read holds instead: host directories, files named otherwise', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-inputs-`);
    mkdirSync(`${dir}/web1`);
    writeFileSync(`${dir}/web1/sessions.jsonl`, line(1));
    writeFileSync(`${dir}/host0.log`, line(2));
    writeFileSync(`${dir}/.hidden`, line(3));
    const result = readRecords([dir]);
    expect(result.records).toEqual([]);
    expect(readWarnings(result)).toEqual([
      `skipped ${dir}/host0.log: not named *.jsonl or *.jsonl.gz (the only files read from an input directory)`,
      `skipped ${dir}/web1: a directory (the directories in an input directory are not read: give each with --input)`,
    ]);
    // With a log file there, the rest is left out without a word, as ever.
    writeFileSync(`${dir}/sessions.jsonl`, line(4));
    expect(readWarnings(readRecords([dir]))).toEqual([]);
  });

  it('leave out of a directory what is not a regular file, and links, and say so; read a FIFO named on its own', async () => {
    dir = mkdtempSync(`${tmpdir()}/ls-inputs-`);
    const outside = mkdtempSync(`${tmpdir()}/ls-inputs-outside-`);
    try {
      writeFileSync(`${outside}/secret.jsonl`, line(1));
      writeFileSync(`${dir}/sessions.jsonl`, line(2));
      execFileSync('mkfifo', [`${dir}/pipe.jsonl`, `${dir}/sessions.jsonl.1`]);
      symlinkSync(`${outside}/secret.jsonl`, `${dir}/x.jsonl`);
      symlinkSync(`${outside}/secret.jsonl`, `${dir}/sessions-20261120T000000Z.jsonl`);
      mkdirSync(`${dir}/folder.jsonl`);
      const listed = listInputs([dir]);
      expect(listed.files.map((f) => f.path)).toEqual([`${dir}/sessions.jsonl`]);
      expect(listed.skipped.sort((a, b) => (a.path < b.path ? -1 : 1))).toEqual([
        { path: `${dir}/folder.jsonl`, what: 'a directory' },
        { path: `${dir}/pipe.jsonl`, what: 'a FIFO' },
        { path: `${dir}/sessions-20261120T000000Z.jsonl`, what: 'a symbolic link' },
        { path: `${dir}/sessions.jsonl.1`, what: 'a FIFO' },
        { path: `${dir}/x.jsonl`, what: 'a symbolic link' },
      ]);
      const result = readRecords([dir]);
      expect(result.records.map((r) => r.ts)).toEqual([JSON.parse(line(2)).ts]);
      expect(readWarnings(result).sort()).toEqual([
        `skipped ${dir}/folder.jsonl: a directory (the directories in an input directory are not read: give each with --input)`,
        `skipped ${dir}/pipe.jsonl: a FIFO (only regular files are read from an input directory)`,
        `skipped ${dir}/sessions-20261120T000000Z.jsonl: a symbolic link (links in an input directory are not followed)`,
        `skipped ${dir}/sessions.jsonl.1: a FIFO (only regular files are read from an input directory)`,
        `skipped ${dir}/x.jsonl: a symbolic link (links in an input directory are not followed)`,
      ]);
      // Named on its own, a FIFO is a stream, as standard input is; a link is followed.
      const writer = spawn('sh', ['-c', `printf '%s' '${line(3).trim()}' > '${dir}/pipe.jsonl'`]);
      const exited = new Promise((resolve) => writer.on('exit', resolve));
      expect(readRecords([`${dir}/pipe.jsonl`]).records.map((r) => r.ts)).toEqual([JSON.parse(line(3)).ts]);
      await exited;
      expect(readRecords([`${dir}/x.jsonl`]).records.map((r) => r.ts)).toEqual([JSON.parse(line(1)).ts]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('name the path and the reason when an input cannot be read', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-inputs-`);
    expect(() => readRecords([`${dir}/missing.jsonl`])).toThrow(InputError);
    expect(() => readRecords([`${dir}/missing.jsonl`])).toThrow(`Cannot read ${dir}/missing.jsonl: no such file or directory`);
    writeFileSync(`${dir}/bad.jsonl.gz`, 'not gzip');
    const bad = readRecords([`${dir}/bad.jsonl.gz`]);
    expect(bad.records).toEqual([]);
    expect(bad.damaged.map((e) => e.message)).toEqual([`Cannot read ${dir}/bad.jsonl.gz: not a readable gzip file (incorrect header check)`]);
  });
});
