import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { collectingIO, localShort, terminalControls } from '../../../test/helpers/cli-output.ts';
import type { Config } from '../../config/config.ts';
import * as build from '../../record/build.ts';
import type { LogRecord } from '../../record/types.ts';
import { bootId, kernelHostname } from '../../sys/host.ts';
import { coloured } from '../../text/colour.ts';
import { sessions, type SessionsOptions } from './sessions.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function scratchConfig(): Config {
  dir = mkdtempSync(`${tmpdir()}/ls-sessions-cmd-`);
  return {
    logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, stateDir: `${dir}/state`,
    hostname: null, ignoreServices: [], fsync: false, maxBytes: 0, keepDays: 0, configPath: null,
    rulesPath: `${dir}/rules.json`, webhook: null, mail: null,
  };
}

const options = (changes: Partial<SessionsOptions> = {}): SessionsOptions => ({
  json: false, byHost: false, user: null, host: null, includeGone: false, all: false, inputs: [`${dir}/in.jsonl`], wide: false, ...changes,
});

// Another host: its sessions stay open whatever runs here.
const web1 = { host: 'web1', boot_id: '7a2fbc11-fb9c-496f-9b67-b8b5eac3d591', source: 'pam' } as const;
const at = (h: number, m: number) => Date.UTC(2026, 10, 21, h, m) * 1000;
const now = at(10, 30);
const sid = (n: number) => `01a1ff38-0000-7000-8000-0000000000${n.toString(16).padStart(2, '0')}`;
const login = (user: string, tty: string | null, rhost: string | null, service = 'sshd'): build.Login => ({
  user, uid: 1000, tty, rhost, ruser: null, service, pid: 4242, pid_start: 99,
});

const alice = build.sessionOpen(web1, login('alice', 'pts/1', '203.0.113.7'), at(9, 0), { session_id: sid(0xa1) });
const bob = build.sessionOpen(web1, login('bob', 'tty1', null, 'login'), at(9, 45), { session_id: sid(0xb2) });
const carol = build.sessionOpen(web1, login('carol', 'pts/2', '198.51.100.4'), at(8, 0), { session_id: sid(0xc3) });
const carolOut = build.sessionClose(web1, login('carol', 'pts/2', '198.51.100.4'), at(9, 0), carol);
/** A user name that would colour the terminal and reverse what follows, from a host name that would too. */
const mallory = build.sessionOpen(web1, login('evil\u001b[31m\u202e', 'pts/7', '\u202egnp.exe'), at(10, 0), { session_id: sid(0xe4) });

function writeInput(...records: LogRecord[]): void {
  writeFileSync(`${dir}/in.jsonl`, records.map(build.toLine).join(''));
}

describe('sessions()', () => {
  it('prints the open sessions as a table: login in local time, time since login, the session id\'s last 8 characters', () => {
    const config = scratchConfig();
    writeInput(carol, alice, carolOut, bob);
    const out = collectingIO();
    expect(sessions(options(), config, out.io, now)).toBe(0);
    expect(out.stdout()).toBe(
      'USER  TTY   FROM        SERVICE LOGIN            TIME  SESSION\n' +
      `alice pts/1 203.0.113.7 sshd    ${localShort(at(9, 0))} 01:30 000000a1\n` +
      `bob   tty1  -           login   ${localShort(at(9, 45))} 00:45 000000b2\n`,
    );
    expect(out.stderr()).toBe('');
  });

  it('prints only the header when nobody is logged in', () => {
    const config = scratchConfig();
    writeInput(carol, carolOut);
    const out = collectingIO();
    sessions(options(), config, out.io, now);
    expect(out.stdout()).toBe('USER TTY FROM SERVICE LOGIN TIME SESSION\n');
  });

  it('escapes escape sequences and bidi controls in the table, sizes each column to its values, and cuts to fit the width, unless wide', () => {
    const config = scratchConfig();
    writeInput(alice, mallory);
    const fits = collectingIO();
    sessions(options(), config, fits.io, now);
    expect(fits.stdout()).toBe(
      'USER             TTY   FROM          SERVICE LOGIN            TIME  SESSION\n' +
      `alice            pts/1 203.0.113.7   sshd    ${localShort(at(9, 0))} 01:30 000000a1\n` +
      `evil\\e[31m\\u202e pts/7 \\u202egnp.exe sshd    ${localShort(at(10, 0))} 00:30 000000e4\n`,
    );
    // 65 columns: the widest columns that may give way (user, then from) are cut with a marker.
    const narrow = collectingIO();
    sessions(options(), config, narrow.io, now, { width: 65 });
    for (const line of narrow.stdout().trimEnd().split('\n')) expect([...line].length).toBeLessThanOrEqual(65);
    expect(narrow.stdout()).toBe(
      'USER     TTY   FROM       SERVICE LOGIN            TIME  SESSION\n' +
      `alice    pts/1 203.0.113… sshd    ${localShort(at(9, 0))} 01:30 000000a1\n` +
      `evil\\e[… pts/7 \\u202egnp… sshd    ${localShort(at(10, 0))} 00:30 000000e4\n`,
    );
    const wide = collectingIO();
    sessions(options({ wide: true }), config, wide.io, now, { width: 60 });
    expect(wide.stdout()).toBe(fits.stdout());
    for (const text of [fits.stdout(), narrow.stdout(), wide.stdout()]) expect(text).not.toMatch(terminalControls);
  });

  it('colours only the header, and only when told to', () => {
    const config = scratchConfig();
    writeInput(alice);
    const plain = collectingIO();
    sessions(options(), config, plain.io, now);
    const painted = collectingIO();
    sessions(options(), config, painted.io, now, { width: 80, paint: coloured });
    const [head, ...rows] = plain.stdout().split('\n');
    expect(painted.stdout()).toBe([`\u001b[1m${head}\u001b[0m`, ...rows].join('\n'));
  });

  it('adds a host column when the sessions come from more than one host, and shows gone sessions with --include-gone', () => {
    const config = scratchConfig();
    // On this host, by a process that has ended: gone.
    const r = spawnSync('/bin/sh', ['-c', 'echo $$; cut -d" " -f22 /proc/$$/stat'], { encoding: 'utf8' });
    const [pid, pidStart] = r.stdout.trim().split('\n').map(Number) as [number, number];
    const here = { host: kernelHostname(), boot_id: bootId(), source: 'pam' } as const;
    const gone = build.sessionOpen(here, { ...login('dave', 'pts/3', '192.0.2.9'), pid, pid_start: pidStart }, at(9, 30), { session_id: sid(0xd5) });
    writeInput(alice, gone);
    const without = collectingIO();
    sessions(options(), config, without.io, now);
    expect(without.stdout()).toBe(
      'USER  TTY   FROM        SERVICE LOGIN            TIME  SESSION\n' +
      `alice pts/1 203.0.113.7 sshd    ${localShort(at(9, 0))} 01:30 000000a1\n`,
    );
    const out = collectingIO();
    sessions(options({ includeGone: true }), config, out.io, now);
    const name = kernelHostname();
    // The host column is as wide as the longest name, cut only to fit 80 columns.
    const hostWidth = Math.min(Math.max(4, [...name].length), 80 - 70);
    const host = (text: string) => ([...text].length > hostWidth ? `${[...text].slice(0, hostWidth - 1).join('')}…` : text.padEnd(hostWidth));
    expect(out.stdout()).toBe(
      `${host('HOST')} USER  TTY   FROM        SERVICE LOGIN            TIME  SESSION\n` +
      `${host('web1')} alice pts/1 203.0.113.7 sshd    ${localShort(at(9, 0))} 01:30 000000a1\n` +
      `${host(name)} dave  pts/3 192.0.2.9   sshd    ${localShort(at(9, 30))} gone  000000d5\n`,
    );
  });

  it('prints --by-host with --json as one object per host: the host and its users', () => {
    const config = scratchConfig();
    writeInput(alice, bob, mallory);
    const out = collectingIO();
    sessions(options({ json: true, byHost: true }), config, out.io, now);
    expect(JSON.parse(out.stdout())).toEqual([{ host: 'web1', users: ['alice', 'bob', 'evil\u001b[31m\u202e'] }]);
    expect(out.stdout()).not.toMatch(/[\u001b\u202e]/);
  });

  it('prints one line per host with --by-host, hosts sorted, each user once, escaped', () => {
    const config = scratchConfig();
    const db2 = { ...web1, host: 'db2' };
    const second = build.sessionOpen(web1, login('alice', 'pts/9', null), at(10, 10), { session_id: sid(0xa9) });
    const other = build.sessionOpen(db2, login('zoe', 'pts/1', null), at(10, 20), { session_id: sid(0x21) });
    writeInput(alice, bob, mallory, second, other);
    const out = collectingIO();
    sessions(options({ byHost: true }), config, out.io, now);
    expect(out.stdout()).toBe('db2: zoe\nweb1: alice, bob, evil\\e[31m\\u202e\n');
  });

  it('prints the sessions as a JSON array of DESIGN.md\'s session objects', () => {
    const config = scratchConfig();
    writeInput(carol, alice, carolOut, bob);
    const out = collectingIO();
    expect(sessions(options({ json: true }), config, out.io, now)).toBe(0);
    const expected = [
      { session_id: sid(0xa1), host: 'web1', user: 'alice', uid: 1000, tty: 'pts/1', pty: null, rhost: '203.0.113.7', service: 'sshd', kind: 'login', pid: 4242, login_time: '2026-11-21T09:00:00.000000Z', logout_time: null, duration_s: null, end: null },
      { session_id: sid(0xb2), host: 'web1', user: 'bob', uid: 1000, tty: 'tty1', pty: null, rhost: null, service: 'login', kind: 'login', pid: 4242, login_time: '2026-11-21T09:45:00.000000Z', logout_time: null, duration_s: null, end: null },
    ];
    expect(JSON.parse(out.stdout())).toEqual(expected);
    // One object per line, as last --json and failed --json print theirs.
    expect(out.stdout()).toBe(`[\n${expected.map((o) => JSON.stringify(o)).join(',\n')}\n]\n`);
  });

  it('prints an empty JSON array when nobody is logged in, and keeps hostile text as the same JSON value', () => {
    const config = scratchConfig();
    writeInput(carol, carolOut);
    const none = collectingIO();
    sessions(options({ json: true }), config, none.io, now);
    expect(none.stdout()).toBe('[]\n');
    writeInput(mallory);
    const out = collectingIO();
    sessions(options({ json: true }), config, out.io, now);
    expect(JSON.parse(out.stdout())).toEqual([expect.objectContaining({ user: 'evil\u001b[31m\u202e', rhost: '\u202egnp.exe' })]);
    expect(out.stdout()).toContain('"user":"evil\\u001b[31m');
  });

  it('writes no bidi or C1 control raw in its JSON, only escapes of the same value', () => {
    const config = scratchConfig();
    writeInput(mallory);
    const out = collectingIO();
    sessions(options({ json: true }), config, out.io, now);
    expect(out.stdout()).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(out.stdout()).toContain('"user":"evil\\u001b[31m\\u202e"');
    expect(JSON.parse(out.stdout())).toEqual([expect.objectContaining({ user: 'evil\u001b[31m\u202e', rhost: '\u202egnp.exe' })]);
  });

  it('filters by user and host, and reports malformed input on stderr', () => {
    const config = scratchConfig();
    writeFileSync(`${dir}/in.jsonl`, `${build.toLine(alice)}{"torn\n${build.toLine(bob)}`);
    const out = collectingIO();
    sessions(options({ user: 'bob', host: 'web1' }), config, out.io, now);
    expect(out.stdout()).toBe(
      'USER TTY  FROM SERVICE LOGIN            TIME  SESSION\n' +
      `bob  tty1 -    login   ${localShort(at(9, 45))} 00:45 000000b2\n`,
    );
    expect(out.stderr()).toBe(`logsphere: skipped 1 malformed line in ${dir}/in.jsonl\n`);
  });
});
