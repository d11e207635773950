import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogRecord } from '../record/types.ts';
import { forEachUtmpFileRecord, isUtmpFile, looksLikeUtmp } from './utmp-input.ts';
import { utmpEntry } from '../../test/helpers/utmp-bytes.ts';
import { UtType } from './utmp.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const t0 = Date.UTC(2024, 4, 1, 8) / 1000;
const wtmp = Buffer.concat([
  utmpEntry(UtType.BOOT_TIME, 0, '~', 'reboot', '6.1.0-a', t0),
  utmpEntry(UtType.USER_PROCESS, 1234, 'pts/1', 'alice', '203.0.113.7', t0 + 3600),
  utmpEntry(UtType.DEAD_PROCESS, 1234, 'pts/1', '', '', t0 + 5400),
]);

describe('looksLikeUtmp() and isUtmpFile()', () => {
  it('tell a utmp-format file from a log of records, compressed or not, and from what cannot be read', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-utmp-input-`);
    const line = '{"schema":"logsphere/1"}\n';
    const files: Record<string, Buffer | string> = { wtmp, log: line.repeat(20), gz: gzipSync(line.repeat(20)), short: wtmp.subarray(0, 100), empty: '' };
    for (const [name, data] of Object.entries(files)) writeFileSync(`${dir}/${name}`, data);
    expect(Object.keys(files).map((name) => isUtmpFile(`${dir}/${name}`))).toEqual([true, false, false, false, false]);
    expect(isUtmpFile(dir)).toBe(false);
    expect(isUtmpFile(`${dir}/missing`)).toBe(false);
    expect(isUtmpFile('-')).toBe(false);
    expect(looksLikeUtmp(Buffer.from([7, 0]), 384)).toBe(true);
    expect(looksLikeUtmp(Buffer.from([10, 0]), 384)).toBe(false);
    expect(looksLikeUtmp(Buffer.from('{"'), 384)).toBe(false);
  });
});

describe('forEachUtmpFileRecord()', () => {
  it('gives the records logsphere import makes of the file, for the host given', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-utmp-input-`);
    writeFileSync(`${dir}/wtmp`, Buffer.concat([wtmp, Buffer.alloc(10, 0x41)]));
    const records: LogRecord[] = [];
    const warnings: string[] = [];
    forEachUtmpFileRecord(`${dir}/wtmp`, 'wtmp', 'h1', (r) => records.push(r), (w) => warnings.push(w));
    expect(records.map((r) => [r.event, r.host, r.ts, r.source])).toEqual([
      ['boot', 'h1', '2024-05-01T08:00:00.000000Z', 'wtmp'],
      ['session_open', 'h1', '2024-05-01T09:00:00.000000Z', 'wtmp'],
      ['session_close', 'h1', '2024-05-01T09:30:00.000000Z', 'wtmp'],
    ]);
    expect(warnings).toEqual([`skipped a partial record of 10 bytes at the end of ${dir}/wtmp`]);
    writeFileSync(`${dir}/btmp`, Buffer.concat([utmpEntry(UtType.LOGIN_PROCESS, 77, 'ssh:notty', 'mallory', '198.51.100.66', t0)]));
    const failures: LogRecord[] = [];
    forEachUtmpFileRecord(`${dir}/btmp`, 'btmp', 'h1', (r) => failures.push(r), () => undefined);
    expect(failures.map((r) => [r.event, 'user' in r ? r.user : null, 'rhost' in r ? r.rhost : null, r.source])).toEqual([['auth_failure', 'mallory', '198.51.100.66', 'btmp']]);
  });
});
