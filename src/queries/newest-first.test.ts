// Newest-first reading against the whole read: on the same log directory, every query that reads
// newest first prints what the whole read prints.

import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectingIO } from '../../test/helpers/cli-output.ts';
import { generateHistory, writeLogDirectory, type GeneratedHistory } from '../../test/helpers/log-history.ts';
import { failed, type FailedOptions } from '../cli/commands/failed.ts';
import { last, type LastOptions } from '../cli/commands/last.ts';
import { lastb, type LastbOptions } from '../cli/commands/lastb.ts';
import type { Config } from '../config/config.ts';
import { readNewestFirst } from '../input/newest-first.ts';
import * as build from '../record/build.ts';
import { securityReport, type ReportRequest } from './security-report.ts';
import type { LogRecord } from '../record/types.ts';

let dir = '';
let config: Config;
let history: GeneratedHistory;
const hour = 3_600_000_000;

function configFor(logDir: string): Config {
  return {
    logDir, logFile: `${logDir}/sessions.jsonl`, runDir: `${dir}/run`, stateDir: `${dir}/state`,
    hostname: null, ignoreServices: [], fsync: false, maxBytes: 0, keepDays: 0, configPath: null,
    rulesPath: `${dir}/rules.json`, webhook: null, mail: null,
  };
}

beforeAll(() => {
  dir = mkdtempSync(`${tmpdir()}/ls-newest-first-`);
  history = generateHistory({ sessions: 1500 });
  writeLogDirectory(`${dir}/log`, history.lines, 400);
  // An import beside the segments: another host's records, read whole.
  const imported = generateHistory({ sessions: 60, seed: 5 }).records.map((r) => ({ ...r, host: 'old1' }) as LogRecord);
  writeFileSync(`${dir}/log/wtmp-import.jsonl`, imported.map(build.toLine).join(''));
  config = configFor(`${dir}/log`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const options = (changes: Partial<LastOptions> = {}): LastOptions => ({
  json: false, limit: null, since: null, until: null, present: null, names: [], user: null, host: null, system: false, timeFormat: 'iso',
  ip: false, hostColumn: 'before', inputs: [], wide: true, all: false, ...changes,
});

function both(changes: Partial<LastOptions>, on: Config = config) {
  const now = history.end + hour;
  const run = (read: 'auto' | 'whole') => {
    const c = collectingIO();
    const code = last(options(changes), on, c.io, now, 200, read);
    return { code, stdout: c.stdout(), stderr: c.stderr() };
  };
  return { fast: run('auto'), whole: run('whole') };
}

/** The same lines and exit code; the warnings of what was read are among those of the whole read. */
function expectSame(fast: { code: number; stdout: string; stderr: string }, whole: { code: number; stdout: string; stderr: string }) {
  expect(fast.stdout).toBe(whole.stdout);
  expect(fast.code).toBe(whole.code);
  // A file read in part counts the malformed lines of what was read: no more than the whole read.
  const all = new Set(whole.stderr.split('\n'));
  const malformed = /^logsphere: skipped (\d+) malformed lines? in (.*)$/;
  for (const line of fast.stderr.split('\n')) {
    const m = malformed.exec(line);
    if (m === null) expect(all).toContain(line);
    else expect([...all].some((w) => malformed.exec(w)?.[2] === m[2] && Number(malformed.exec(w)?.[1]) >= Number(m[1]))).toBe(true);
  }
}

describe('last newest first', () => {
  const cases: Array<[string, Partial<LastOptions>]> = [
    ['-n 1', { limit: 1 }],
    ['-n 10', { limit: 10 }],
    ['-n 200', { limit: 200 }],
    ['-n 10 --json', { limit: 10, json: true }],
    ['-n 25 -x', { limit: 25, system: true }],
    ['-n 5 reboot', { limit: 5, names: ['reboot'] }],
    ['-n 5 shutdown -x', { limit: 5, names: ['shutdown'], system: true }],
    ['-n 8 alice', { limit: 8, names: ['alice'] }],
    ['-n 4 pts/3', { limit: 4, names: ['pts/3'] }],
    ['-n 6 --user bob --all', { limit: 6, user: 'bob', all: true }],
    ['-n 12 --host db1', { limit: 12, host: 'db1' }],
    ['-n 30 --all', { limit: 30, all: true }],
  ];
  for (const [name, changes] of cases) {
    it(`prints what the whole read prints: ${name}`, () => {
      const { fast, whole } = both(changes);
      expect(fast.stdout.split('\n').length).toBeGreaterThan(2);
      expectSame(fast, whole);
    });
  }

  it('prints what the whole read prints with --since and --until, with and without a limit', () => {
    const since = history.end - 48 * hour;
    for (const changes of [{ since }, { since, limit: 7 }, { since, json: true }, { since, until: history.end - 24 * hour }, { until: history.end - 24 * hour, limit: 9 }, { since, system: true }]) {
      const { fast, whole } = both(changes);
      expect(fast.stdout.split('\n').length).toBeGreaterThan(3);
      expectSame(fast, whole);
    }
  });

  it('prints the whole history as the whole read does, from the segments in columns once they are indexed', () => {
    for (const pass of [1, 2]) {
      for (const changes of [{}, { json: true }, { system: true, all: true }, { names: ['pts/3'] }]) {
        const { fast, whole } = both(changes);
        expect(fast.stdout.split('\n').length, `pass ${pass}`).toBeGreaterThan(50);
        expect(fast, `pass ${pass}`).toEqual(whole);
      }
    }
    expect(readdirSync(`${config.stateDir}/segment-index`).filter((n) => n.endsWith('.columns')).length).toBeGreaterThan(2);
  });

  it('counts the malformed lines of the part of the live file it read', () => {
    // A live file of 300 lines and more, a malformed line near its end and one near its start.
    const tail = history.lines.slice(-300);
    tail.splice(tail.length - 5, 0, '{"schema":"logsphere/1"\n');
    tail.splice(2, 0, 'not json\n');
    writeLogDirectory(`${dir}/malformed`, history.lines.slice(0, -300), 400);
    appendFileSync(`${dir}/malformed/sessions.jsonl`, tail.join(''));
    const { fast, whole } = both({ limit: 1 }, configFor(`${dir}/malformed`));
    expect(fast.stdout).toBe(whole.stdout);
    const count = (stderr: string) => Number(/skipped (\d+) malformed lines? in \S+\/sessions\.jsonl$/m.exec(stderr)?.[1] ?? 0);
    // The one near the end is among those counted; the one near the start, read only by the whole read, is not.
    expect(count(fast.stderr)).toBeGreaterThan(0);
    expect(count(fast.stderr)).toBeLessThan(count(whole.stderr));
  });

  it('reads only the newest part of the log for a few lines', () => {
    let records = 0;
    const read = readNewestFirst([config.logDir], () => records++, { enough: (cut) => cut < history.end - 6 * hour });
    expect(read.cut).not.toBeNull();
    expect(read.disorder).toBe(false);
    // The import (read whole) and some of the newest segments: far from the whole log.
    expect(records).toBeLessThan(history.lines.length / 3);
  });

  it('falls back to the whole read, with the same answer, when a log is out of order', () => {
    // A record from far in the future early in the live file: no order to trust.
    const lines = [...history.lines];
    const future = build.sessionOpen({ host: 'web9', boot_id: '7a2fbc11-fb9c-496f-9b67-b8b5eac3d599', source: 'pam' },
      { user: 'mallory', uid: 1001, tty: 'pts/9', rhost: null, ruser: null, service: 'sshd', pid: 9, pid_start: 9 }, history.end + 30 * 60_000_000);
    // After the first line of the live file (writeLogDirectory's last part).
    lines.splice(Math.floor((lines.length - 1) / 400) * 400 + 1, 0, build.toLine(future));
    writeLogDirectory(`${dir}/disordered`, lines, 400);
    const disordered = configFor(`${dir}/disordered`);
    const read = readNewestFirst([disordered.logDir], () => {}, { enough: () => true });
    expect(read.disorder).toBe(true);
    const { fast, whole } = both({ limit: 3 }, disordered);
    expect(fast.stdout).toContain('mallory');
    expect(fast).toEqual(whole);
  });
});

describe('failed and lastb newest first', () => {
  const now = () => history.end + hour;
  const runFailed = (changes: Partial<FailedOptions>, how: 'auto' | 'whole') => {
    const c = collectingIO();
    const options: FailedOptions = {
      json: false, format: null, by: null, limit: null, since: null, until: null, user: null, host: null, timeFormat: 'iso', inputs: [], wide: true, ...changes,
    };
    const code = failed(options, config, c.io, 200, how);
    return { code, stdout: c.stdout(), stderr: c.stderr() };
  };
  const runLastb = (changes: Partial<LastbOptions>, how: 'auto' | 'whole') => {
    const c = collectingIO();
    const options: LastbOptions = {
      json: false, limit: null, since: null, until: null, names: [], user: null, host: null, timeFormat: 'iso', ip: false, hostColumn: 'before', wide: true, inputs: [], ...changes,
    };
    const code = lastb(options, config, c.io, now(), 200, how);
    return { code, stdout: c.stdout(), stderr: c.stderr() };
  };
  const since = () => history.end - 24 * hour;

  it('failed prints what the whole read prints', () => {
    for (const changes of [{ limit: 1 }, { limit: 15 }, { limit: 5, json: true }, { limit: 5, json: true, format: 'otel' as const }, { since: since() }, { since: since(), limit: 3, user: 'root' }, { limit: 4, host: 'web2' }, { by: 'rhost' as const, limit: 3, since: since() }]) {
      const fast = runFailed(changes, 'auto');
      expect(fast.stdout.trim()).not.toBe('');
      expectSame(fast, runFailed(changes, 'whole'));
    }
  });

  it('lastb prints what the whole read prints', () => {
    for (const changes of [{ limit: 2 }, { limit: 20 }, { limit: 6, names: ['alice'] }, { limit: 3, names: ['ssh'] }, { since: since() }, { since: since(), json: true }]) {
      const fast = runLastb(changes, 'auto');
      expect(fast.stdout.trim()).not.toBe('');
      expectSame(fast, runLastb(changes, 'whole'));
    }
  });
});

describe('the report newest first', () => {
  const request = (since: number, until: number): ReportRequest => ({ since, until, inputs: [], alerts: null, accessLogs: [], zone: 'UTC', all: false });
  const report = (r: ReportRequest, on: Config, how: 'auto' | 'whole') => {
    const { report: built, warnings, incomplete } = securityReport(r, on, history.end + hour, how);
    return { built: { ...built, warnings: [] }, incomplete, warnings };
  };

  it('counts what the whole read counts, with the segment index made, used, and made again when stale or damaged', () => {
    const periods = [
      request(history.end - 7 * 24 * hour, history.end),
      request(history.end - 3 * 24 * hour, history.end - 24 * hour),
      request(history.start + 24 * hour, history.end),
    ];
    // An index of the report's own: what it holds, the report made.
    const on = { ...config, stateDir: `${dir}/state-report` };
    for (const period of periods) {
      const whole = report(period, on, 'whole');
      expect(whole.built.totals.sessions).toBeGreaterThan(10);
      expect(whole.built.totals.failures).toBeGreaterThan(0);
      expect(report(period, on, 'auto').built).toEqual(whole.built);
      expect(report(period, on, 'auto').built).toEqual(whole.built);
    }
    const index = `${on.stateDir}/segment-index`;
    // The segments of the periods were read from their columns, failed logins and all.
    expect(readdirSync(index).filter((n) => n.endsWith('.columns')).length).toBeGreaterThan(1);
    const summaries = readdirSync(index).filter((n) => n.endsWith('.json'));
    expect(summaries.length).toBeGreaterThan(0);
    // A query's summaries are its own (rotate's are the log's group's: systemd-units.test.ts).
    expect(statSync(`${index}/${summaries[0]}`).mode & 0o777).toBe(0o600);
    // A damaged summary and one of another segment: neither is used.
    writeFileSync(`${index}/${summaries[0]}`, '{"version":1,');
    const other = JSON.parse(readFileSync(`${index}/${summaries[1]}`, 'utf8'));
    other.carried = '';
    other.identity.size += 1;
    writeFileSync(`${index}/${summaries[1]}`, JSON.stringify(other));
    const period = periods[0] as ReportRequest;
    expect(report(period, on, 'auto').built).toEqual(report(period, on, 'whole').built);
    // What the segments before a period leave to it, in one file per run of segments: a damaged
    // one, or one whose list of segments is not theirs, is made again.
    const through = readdirSync(index).filter((n) => n.startsWith('through-'));
    expect(through.length).toBeGreaterThan(0);
    for (const name of through) {
      const bytes = readFileSync(`${index}/${name}`);
      writeFileSync(`${index}/${name}`, bytes.subarray(0, bytes.length >> 1));
    }
    for (const p of periods) expect(report(p, on, 'auto').built).toEqual(report(p, on, 'whole').built);
    const [smaller, larger] = readdirSync(index).filter((n) => n.startsWith('through-')).sort((a, b) => statSync(`${index}/${a}`).size - statSync(`${index}/${b}`).size);
    expect(larger).toBeDefined();
    writeFileSync(`${index}/${smaller}`, readFileSync(`${index}/${larger}`));
    for (const p of periods) expect(report(p, on, 'auto').built).toEqual(report(p, on, 'whole').built);
  });

  it('reads a segment that a far duplicate makes out of order, with the same answer', () => {
    // An open written again two days after it was first (a relay re-sending): the summaries of
    // the segments between cannot be trusted to have left its session out.
    const lines = [...history.lines];
    // A session opened and closed in the first segment, its open written again at the start of
    // the third: both segments are before the period, summarized.
    const closed = (i: number) => {
      const id = /"session_id":"([^"]+)"/.exec(lines[i] as string)?.[1];
      return id !== undefined && lines.some((l, j) => j > i && j < 400 && l.includes('"session_close"') && l.includes(id));
    };
    const early = lines.findIndex((l, i) => i > 100 && i < 300 && l.includes('"session_open"') && l.includes('"host":"app1"') && closed(i));
    expect(early).toBeGreaterThan(0);
    lines.splice(800, 0, lines[early] as string);
    writeLogDirectory(`${dir}/duplicated`, lines, 400);
    const duplicated = { ...configFor(`${dir}/duplicated`), stateDir: `${dir}/state-duplicated` };
    const period = request(history.end - 24 * hour, history.end);
    expect(report(period, duplicated, 'auto').built).toEqual(report(period, duplicated, 'whole').built);
  });

  it("keeps the live file's columns and reads only what was written since, while it is the same file grown", () => {
    // A log whose live file holds the last 600 lines; the report's period starts inside it.
    const lines = [...history.lines];
    const liveFrom = lines.length - 600;
    writeLogDirectory(`${dir}/growing`, lines.slice(0, liveFrom + 300), 400);
    const live = `${dir}/growing/sessions.jsonl`;
    const growing = { ...configFor(`${dir}/growing`), stateDir: `${dir}/state-growing` };
    const index = `${growing.stateDir}/segment-index`;
    const liveFiles = () => readdirSync(index).filter((n) => n.startsWith('live-'));
    const period = request(history.end - 3 * 24 * hour, history.end);
    const same = () => {
      const whole = report(period, growing, 'whole');
      expect(whole.built.totals.sessions).toBeGreaterThan(5);
      expect(report(period, growing, 'auto').built).toEqual(whole.built);
    };
    same();
    expect(liveFiles().length).toBe(1);
    const kept = readFileSync(`${index}/${liveFiles()[0]}`);
    // Grown by whole lines, then by a line still being written, then by lines that are not records.
    appendFileSync(live, lines.slice(liveFrom + 300, liveFrom + 500).join(''));
    same();
    const line = lines[liveFrom + 500] as string;
    appendFileSync(live, line.slice(0, 40));
    same();
    appendFileSync(live, `${line.slice(40)}not a record\n${lines.slice(liveFrom + 501).join('')}`);
    same();
    // What was kept is not used for another file in its place, nor for the same file rewritten
    // (logrotate's copytruncate), nor when damaged.
    writeFileSync(`${index}/${liveFiles()[0]}`, kept);
    same();
    const text = readFileSync(live, 'utf8');
    writeFileSync(live, '');
    appendFileSync(live, text.split('\n').reverse().filter(Boolean).slice(0, 100).reverse().map((l) => `${l}\n`).join('') + text);
    writeFileSync(`${index}/${liveFiles()[0]}`, kept);
    same();
    writeFileSync(`${index}/${liveFiles()[0]}`, kept.subarray(0, kept.length >> 1));
    same();
  });

  it('reads segments without records, records later than their rotation name, and damaged segments before the period as the whole read does', () => {
    const idOf = (l: string) => /"session_id":"([^"]+)"/.exec(l)?.[1];
    const tsOf = (l: string) => /"ts":"([^"]+)"/.exec(l)?.[1] as string;
    const lone = (l: string) => l.replace(/"host":"[^"]+"/, '"host":"lone1"');
    const lines = history.lines.slice(0, 800);
    // A session of a host that never boots again, opened and closed as the first segment ends,
    // its open written again as the live file's first line; between them a segment holding only a
    // torn line (no records).
    const at = lines.findIndex((l, i) => i > 300 && i < 390 && l.includes('"session_open"') && l.includes('"service":"sshd"'));
    const close = lines.findIndex((l) => l.includes('"session_close"') && l.includes(idOf(lines[at] as string) as string));
    const rest = lines.filter((_, i) => i !== at && i !== close);
    // Opened two seconds and closed one before the segment's last record, at rest[397].
    const end = Date.parse(tsOf(rest[397] as string));
    const stamp = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');
    const open = lone((lines[at] as string).replace(tsOf(lines[at] as string), stamp(end - 2000)));
    const closed = lone((lines[close] as string).replace(tsOf(lines[close] as string), stamp(end - 1000)));
    const arranged = [...rest.slice(0, 396), open, closed, ...rest.slice(396, 398), open, ...rest.slice(398)].slice(0, 800);
    const names = writeLogDirectory(`${dir}/edges`, arranged, 400);
    expect(names).toHaveLength(2);
    const segmentTime = Date.parse(tsOf(arranged[399] as string)) + 30_000;
    const empty = `sessions-${new Date(segmentTime).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.jsonl`;
    writeFileSync(`${dir}/edges/${empty}`, '{"schema":"logsphere/1","event":"sess');
    const edges = { ...configFor(`${dir}/edges`), stateDir: `${dir}/state-edges` };
    const since = Date.parse(tsOf(arranged[600] as string)) * 1000;
    const period = request(since, history.end);
    for (let pass = 0; pass < 2; pass++) expect(report(period, edges, 'auto').built, `pass ${pass}`).toEqual(report(period, edges, 'whole').built);

    // A failed login later than its segment's rotation name, in the period.
    const late = `${dir}/late`;
    writeLogDirectory(late, lines, 400);
    const segment = readdirSync(late).find((n) => n !== 'sessions.jsonl') as string;
    // Its rotation name is its last record's time plus a second, to the second: the failure comes
    // two and a half seconds after that record, the period two seconds and a fifth.
    const failure = (arranged.find((l) => l.includes('"auth_failure"')) as string).replace(/"ts":"[^"]+"/, `"ts":"${stamp(Date.parse(tsOf(lines[399] as string)) + 2500)}"`);
    expect(failure).toContain('auth_failure');
    const segmentPath = `${late}/${segment}`;
    if (segment.endsWith('.gz')) writeFileSync(segmentPath, gzipSync(Buffer.concat([gunzipSync(readFileSync(segmentPath)), Buffer.from(failure)])));
    else appendFileSync(segmentPath, failure);
    const lateConfig = { ...configFor(late), stateDir: `${dir}/state-late` };
    const fromName = request(Date.parse(tsOf(lines[399] as string)) * 1000 + 2_200_000, history.end);
    const whole = report(fromName, lateConfig, 'whole');
    expect(whole.built.totals.failures).toBeGreaterThan(0);
    for (let pass = 0; pass < 2; pass++) expect(report(fromName, lateConfig, 'auto').built).toEqual(whole.built);

    // A segment before the period cut short: the report says so, as the whole read does, and
    // what it left is not kept for the next report.
    const damaged = `${dir}/damaged`;
    writeLogDirectory(damaged, history.lines, 400);
    const gz = readdirSync(damaged).filter((n) => n.endsWith('.gz')).sort()[0] as string;
    const bytes = readFileSync(`${damaged}/${gz}`);
    writeFileSync(`${damaged}/${gz}`, bytes.subarray(0, bytes.length >> 1));
    const damagedConfig = { ...configFor(damaged), stateDir: `${dir}/state-damaged` };
    const lastDay = request(history.end - 24 * hour, history.end);
    for (let pass = 0; pass < 2; pass++) {
      const fast = report(lastDay, damagedConfig, 'auto');
      expect(fast.incomplete, `pass ${pass}`).toBe(true);
      expect(fast.warnings.join('\n')).toContain(gz);
      expect(fast.built).toEqual(report(lastDay, damagedConfig, 'whole').built);
    }
  });

  it('pairs an open written again across a rotation with its close in the later segment', () => {
    // The last open of a segment whose session closes in the next, written again (a relay's
    // duplicate) as the next segment's first line: the next segment's summary holds both its
    // copy and the close, the earlier one the open alone. Both segments are before the period.
    const lines = [...history.lines];
    const idOf = (l: string) => /"session_id":"([^"]+)"/.exec(l)?.[1];
    const tsOf = (l: string) => /"ts":"([^"]+)"/.exec(l)?.[1] as string;
    const closeOf = (i: number) => lines.findIndex((c) => c.includes('"session_close"') && c.includes(idOf(lines[i] as string) as string));
    const at = lines.findIndex((l, i) => i > 300 && i < 390 && l.includes('"session_open"') && l.includes('"service":"sshd"') && closeOf(i) > i && closeOf(i) < 400);
    expect(at).toBeGreaterThan(0);
    const close = closeOf(at);
    // The open moved to the end of the first segment and the close into the next, with times to
    // match, on a host that never boots again (a boot would end the session either way).
    const lone = (l: string) => l.replace(/"host":"[^"]+"/, '"host":"lone1"');
    const openLine = lines[at] as string;
    const closeLine = lines[close] as string;
    lines.splice(close, 1);
    lines.splice(at, 1);
    const open = lone(openLine.replace(tsOf(openLine), tsOf(lines[398] as string)));
    const moved = lone(closeLine.replace(tsOf(closeLine), tsOf(lines[405] as string)));
    lines.splice(399, 0, open, open);
    lines.splice(405, 0, moved);
    expect([lines[399], lines[400]]).toEqual([open, open]);
    writeLogDirectory(`${dir}/rewritten`, lines, 400);
    const rewritten = { ...configFor(`${dir}/rewritten`), stateDir: `${dir}/state-rewritten` };
    const period = request(history.end - 24 * hour, history.end);
    const whole = report(period, rewritten, 'whole');
    expect(whole.built.totals.sessions).toBeGreaterThan(10);
    expect(report(period, rewritten, 'auto').built).toEqual(whole.built);
    expect(report(period, rewritten, 'auto').built).toEqual(whole.built);
  });
});
