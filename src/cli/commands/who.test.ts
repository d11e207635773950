import { chmodSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { collectingIO } from '../../../test/helpers/cli-output.ts';
import type { Config } from '../../config/config.ts';
import * as build from '../../record/build.ts';
import type { LogRecord } from '../../record/types.ts';
import { parseWhoArgs, who, type WhoOptions } from './who.ts';

let dir = '';
let config: Config;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function given(records: (d: string) => readonly LogRecord[]): void {
  dir = mkdtempSync(`${tmpdir()}/ls-who-`);
  config = {
    logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, stateDir: `${dir}/state`,
    hostname: 'web1', ignoreServices: [], fsync: false, maxBytes: 0, keepDays: 0, configPath: null,
    rulesPath: `${dir}/rules.json`, webhook: null, mail: null,
  };
  writeFileSync(`${dir}/in.jsonl`, records(dir).map(build.toLine).join(''));
}

const at = (h: number, m: number) => Date.UTC(2026, 10, 21, h, m) * 1000;
const now = at(14, 0);
/** `2026-11-21 09:00` in local time, written another way than who.ts does. */
const local = (micros: number) => new Date(micros / 1000).toLocaleString('sv-SE').slice(0, 16);

function run(args: string[]) {
  const parsed = parseWhoArgs([...args, '--input', `${dir}/in.jsonl`]);
  if (parsed === 'help') throw new Error('help');
  const out = collectingIO();
  const status = who(parsed, config, out.io, now);
  return { status, stdout: out.stdout(), stderr: out.stderr() };
}

const sid = (n: number) => `01a1ff38-0000-7000-8000-0000000004${n.toString(16).padStart(2, '0')}`;
// An earlier boot of web1 (not this machine's): its terminals are files of the test.
const web1 = { host: 'web1', boot_id: '7a2fbc11-fb9c-496f-9b67-b8b5eac3d591', source: 'pam' } as const;
const user = (name: string, tty: string, rhost: string | null, pid: number): build.Login => ({ user: name, uid: 1000, tty, rhost, ruser: null, service: 'sshd', pid, pid_start: 9 });

/** alice on a terminal read 90 s ago that takes messages, bob on one read 2 days ago that does not, carol from another host. */
function day(d: string): LogRecord[] {
  const files: Array<[string, number, number]> = [[`${d}/t1`, 0o620, now / 1e6 - 90], [`${d}/t2`, 0o600, now / 1e6 - 2 * 86_400]];
  for (const [file, mode, atime] of files) {
    writeFileSync(file, '');
    chmodSync(file, mode);
    utimesSync(file, atime, atime);
  }
  return [
    build.boot({ ...web1, source: 'systemd' }, at(8, 0), '6.1.0-18-amd64', at(7, 59)),
    build.sessionOpen(web1, user('alice', `${d}/t1`, '203.0.113.7', 4242), at(9, 0), { session_id: sid(1) }),
    build.sessionOpen(web1, user('bob', `${d}/t2`, null, 4343), at(9, 30), { session_id: sid(2) }),
  ];
}

describe('who()', () => {
  it('prints name, line, time and remote host, as coreutils who', () => {
    given(day);
    const r = run([]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      `alice    ${dir}/t1 ${local(at(9, 0))} (203.0.113.7)\n` +
      `bob      ${dir}/t2 ${local(at(9, 30))}\n`,
    );
  });

  it('adds the idle time (HH:MM, . under a minute, old) and the pid with -u, the message status with -T, a heading with -H', () => {
    given(day);
    expect(run(['-u', '-T', '-H']).stdout).toBe(
      'NAME       LINE         TIME             IDLE          PID COMMENT\n' +
      `alice    + ${dir}/t1 ${local(at(9, 0))} 00:01        4242 (203.0.113.7)\n` +
      `bob      - ${dir}/t2 ${local(at(9, 30))}  old         4343\n`,
    );
  });

  it('prints the names and their count with -q, the last boot with -b, both and the rest with -a', () => {
    given(day);
    expect(run(['-q']).stdout).toBe('alice bob\n# users=2\n');
    expect(run(['-b']).stdout).toBe(`         system boot  ${local(at(7, 59))}\n`);
    expect(run(['-a']).stdout).toBe(
      `           system boot  ${local(at(7, 59))}\n` +
      `alice    + ${dir}/t1 ${local(at(9, 0))} 00:01        4242 (203.0.113.7)\n` +
      `bob      - ${dir}/t2 ${local(at(9, 30))}  old         4343\n`,
    );
  });

  it('writes ? for a terminal it cannot see, and a host column when the sessions come from several hosts', () => {
    given(() => [
      build.sessionOpen(web1, user('alice', 'pts/97', null, 4242), at(9, 0), { session_id: sid(1) }),
      build.sessionOpen({ ...web1, host: 'db2' }, user('carol', 'pts/1', '192.0.2.4', 77), at(9, 10), { session_id: sid(3) }),
    ]);
    expect(run(['-u']).stdout).toBe(
      `web1             alice    pts/97       ${local(at(9, 0))}   ?          4242\n` +
      `db2              carol    pts/1        ${local(at(9, 10))}   ?            77 (192.0.2.4)\n`,
    );
  });
});

describe('parseWhoArgs()', () => {
  it.each([
    [[], { boot: false, count: false, heading: false, mesg: false, idle: false, users: true, exit: false }],
    [['-a'], { boot: true, mesg: true, idle: true, users: true, exit: true }],
    [['-b'], { boot: true, users: false }],
    [['-b', '-u'], { boot: true, users: true, idle: true }],
    [['-q'], { count: true }],
    [['-w'], { mesg: true }],
    [['-H', '-s', '--user', 'alice'], { heading: true, user: 'alice' }],
  ] as const)('%j', (args, expected) => {
    expect(parseWhoArgs([...args])).toMatchObject(expected);
  });
});
