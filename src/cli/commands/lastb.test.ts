import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { collectingIO, localClock, localFull, localShort } from '../../../test/helpers/cli-output.ts';
import type { Config } from '../../config/config.ts';
import * as build from '../../record/build.ts';
import type { LogRecord } from '../../record/types.ts';
import { lastb, parseLastbArgs, type LastbOptions } from './lastb.ts';

let dir = '';
let config: Config;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function given(records: readonly LogRecord[]): void {
  dir = mkdtempSync(`${tmpdir()}/ls-lastb-cmd-`);
  config = {
    logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, stateDir: `${dir}/state`,
    hostname: null, ignoreServices: [], fsync: false, maxBytes: 0, keepDays: 0, configPath: null,
    rulesPath: `${dir}/rules.json`, webhook: null, mail: null,
  };
  writeFileSync(`${dir}/in.jsonl`, records.map(build.toLine).join(''));
}

const at = (h: number, m: number) => Date.UTC(2026, 10, 21, h, m) * 1000;
const now = at(14, 0);

function run(changes: Partial<LastbOptions> = {}) {
  const out = collectingIO();
  const options: LastbOptions = {
    json: false, limit: null, since: null, until: null, names: [], user: null, host: null, inputs: [`${dir}/in.jsonl`],
    timeFormat: 'short', hostColumn: 'before', ip: false, wide: false, ...changes,
  };
  const status = lastb(options, config, out.io, now);
  return { status, stdout: out.stdout(), stderr: out.stderr() };
}

const eid = (n: number) => `01a1ff38-0000-7000-8000-0000000003${n.toString(16).padStart(2, '0')}`;
const web1 = { host: 'web1', boot_id: '7a2fbc11-fb9c-496f-9b67-b8b5eac3d591', source: 'pam' } as const;
const tried = (user: string, tty: string | null, rhost: string | null): build.Login => ({ user, uid: null, tty, rhost, ruser: null, service: 'sshd', pid: 42, pid_start: 9 });
const f1 = build.authFailure(web1, tried('root', 'ssh', '203.0.113.7'), at(9, 0), { event_id: eid(1) });
const f2 = build.authFailure(web1, tried('admin', 'ssh', '198.51.100.4'), at(9, 30), { event_id: eid(2) });
const f3 = build.authFailure(web1, tried('alice', 'tty1', null), at(10, 0), { event_id: eid(3) });

describe('lastb()', () => {
  it('prints failures newest first as util-linux lastb does, each a line that ends when it began, and where the input begins', () => {
    given([f1, f2, f3, f1]);
    const r = run();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      `alice    tty1                          ${localShort(at(10, 0))} - ${localClock(at(10, 0))}  (00:00)\n` +
      `admin    ssh          198.51.100.4     ${localShort(at(9, 30))} - ${localClock(at(9, 30))}  (00:00)\n` +
      `root     ssh          203.0.113.7      ${localShort(at(9, 0))} - ${localClock(at(9, 0))}  (00:00)\n` +
      `\nin.jsonl begins ${localFull(at(9, 0))}\n`,
    );
    expect(r.stderr).toBe('');
  });

  it('selects by names (a user, a tty, 1 for tty1), limit and time, and lays out as -a, -R and -i ask', () => {
    given([f1, f2, f3]);
    const lines = (changes: Partial<LastbOptions>) => run(changes).stdout.split('\n').filter((l) => l !== '' && !l.includes(' begins '));
    expect(lines({ names: ['root', '1'] }).map((l) => l.split(' ')[0])).toEqual(['alice', 'root']);
    expect(lines({ names: ['ssh'] }).map((l) => l.split(' ')[0])).toEqual(['admin', 'root']);
    expect(lines({ limit: 1 }).map((l) => l.split(' ')[0])).toEqual(['alice']);
    expect(lines({ since: at(9, 10), until: at(9, 50) }).map((l) => l.split(' ')[0])).toEqual(['admin']);
    expect(lines({ ip: true, names: ['alice'] })).toEqual([`alice    tty1         0.0.0.0          ${localShort(at(10, 0))} - ${localClock(at(10, 0))}  (00:00)`]);
    expect(lines({ hostColumn: 'last', names: ['root'] })).toEqual([`root     ssh          ${localShort(at(9, 0))} - ${localClock(at(9, 0))}  (00:00)     203.0.113.7`]);
    expect(lines({ hostColumn: 'none', names: ['root'] })).toEqual([`root     ssh          ${localShort(at(9, 0))} - ${localClock(at(9, 0))}  (00:00)`]);
  });

  it('prints the failures as failed --json does, without a begins line', () => {
    given([f1, f3]);
    const r = run({ json: true, names: ['root'] });
    expect(JSON.parse(r.stdout)).toEqual([{ event_id: eid(1), ts: f1.ts, host: 'web1', user: 'root', uid: null, tty: 'ssh', rhost: '203.0.113.7', service: 'sshd', source: 'pam' }]);
  });
});

describe('parseLastbArgs()', () => {
  it.each([
    [[], { names: [], limit: null, timeFormat: 'short', hostColumn: 'before', inputs: [] }],
    [['-3', 'root'], { limit: 3, names: ['root'] }],
    [['-F', '-i', '-f', '/var/log/btmp'], { timeFormat: 'full', ip: true, inputs: ['/var/log/btmp'] }],
    [['-s', '-1h', '-t', 'now', '-a'], { since: now - 3600e6, until: now, hostColumn: 'last' }],
    [['-R', '-w', '--json'], { hostColumn: 'none', wide: true, json: true }],
  ] as const)('%j', (args, expected) => {
    expect(parseLastbArgs([...args], now)).toMatchObject(expected);
  });

  it('refuses what lastb does not take', () => {
    expect(() => parseLastbArgs(['-x'], now)).toThrow(/Unknown option '-x'/);
    expect(() => parseLastbArgs(['-F', '--time-format', 'iso'], now)).toThrow(/do not go together/);
  });
});
