import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { collectingIO, localClock, localShort, terminalControls } from '../../../test/helpers/cli-output.ts';
import type { Config } from '../../config/config.ts';
import * as build from '../../record/build.ts';
import { parseTimestamp } from '../../record/time.ts';
import type { LogRecord } from '../../record/types.ts';
import { last, type LastOptions } from './last.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function scratchConfig(): Config {
  dir = mkdtempSync(`${tmpdir()}/ls-last-cmd-`);
  return {
    logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, stateDir: `${dir}/state`,
    hostname: null, ignoreServices: [], fsync: false, maxBytes: 0, keepDays: 0, configPath: null,
    rulesPath: `${dir}/rules.json`, webhook: null, mail: null,
  };
}

const options = (changes: Partial<LastOptions> = {}): LastOptions => ({
  json: false, limit: null, since: null, until: null, user: null, host: null, system: false, timeFormat: 'short',
  inputs: [`${dir}/in.jsonl`], wide: false, ...changes,
});

const at = (h: number, m: number, s = 0) => Date.UTC(2026, 10, 21, h, m, s) * 1000;
const now = at(14, 0);
const sid = (n: number) => `01a1ff38-0000-7000-8000-0000000000${n.toString(16).padStart(2, '0')}`;
const eid = (n: number) => `01a1ff38-0000-7000-8000-0000000001${n.toString(16).padStart(2, '0')}`;
// Three boots of web1 (another host: sessions open in its last boot stay open).
const boot = (n: number) => ({ host: 'web1', boot_id: `7a2fbc11-fb9c-496f-9b67-b8b5eac3d59${n}`, source: 'pam' } as const);
const system = (n: number) => ({ ...boot(n), source: 'systemd' } as const);
const login = (user: string, tty: string | null, rhost: string | null, service = 'sshd'): build.Login => ({
  user, uid: 1000, tty, rhost, ruser: null, service, pid: 4242, pid_start: 99,
});

// web1's day: a logout, a session ended by a shutdown, one by a crash, one still open.
const boot1 = build.boot(system(1), at(8, 0), '6.1.0-18-amd64', at(7, 59, 50), { event_id: eid(1) });
const alice = build.sessionOpen(boot(1), login('alice', 'pts/1', '203.0.113.7'), at(9, 0), { session_id: sid(0xa1) });
const aliceOut = build.sessionClose(boot(1), login('alice', 'pts/1', '203.0.113.7'), at(10, 30), alice);
const bob = build.sessionOpen(boot(1), login('bob', 'tty1', null, 'login'), at(9, 30), { session_id: sid(0xb2) });
const down = build.shutdown(system(1), at(12, 0), { event_id: eid(2) });
const boot2 = build.boot(system(2), at(12, 5), '6.1.0-18-amd64', at(12, 4, 40), { event_id: eid(3) });
const carol = build.sessionOpen(boot(2), login('carol', 'pts/0', '198.51.100.4'), at(12, 20), { session_id: sid(0xc3) });
const boot3 = build.boot(system(3), at(13, 0), '6.1.0-19-amd64', at(12, 59, 30), { event_id: eid(4) });
const dave = build.sessionOpen(boot(3), login('dave', 'pts/1', '203.0.113.9'), at(13, 10), { session_id: sid(0xd4) });
const day: LogRecord[] = [boot1, alice, bob, aliceOut, down, boot2, carol, boot3, dave];

let config: Config;

/** A fresh scratch directory whose input file holds `records`. */
function given(records: readonly LogRecord[]): void {
  config = scratchConfig();
  writeFileSync(`${dir}/in.jsonl`, records.map(build.toLine).join(''));
}

function run(changes: Partial<LastOptions> = {}) {
  const out = collectingIO();
  const status = last(options(changes), config, out.io, now);
  return { status, stdout: out.stdout(), stderr: out.stderr() };
}

describe('last()', () => {
  it('prints the history newest first in the manner of util-linux last: logout time, down, crash, still logged in', () => {
    given(day);
    const r = run();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      `dave     pts/1        203.0.113.9      ${localShort(at(13, 10))}   still logged in\n` +
      `carol    pts/0        198.51.100.4     ${localShort(at(12, 20))} - crash  (00:39)\n` +
      `bob      tty1                          ${localShort(at(9, 30))} - down   (02:30)\n` +
      `alice    pts/1        203.0.113.7      ${localShort(at(9, 0))} - ${localClock(at(10, 30))}  (01:30)\n`,
    );
    expect(r.stderr).toBe('');
  });

  it('adds reboot and shutdown lines with --system, each before the sessions of its instant', () => {
    given(day);
    expect(run({ system: true }).stdout).toBe(
      `dave     pts/1        203.0.113.9      ${localShort(at(13, 10))}   still logged in\n` +
      `reboot   system boot  6.1.0-19-amd64   ${localShort(at(13, 0))}\n` +
      `carol    pts/0        198.51.100.4     ${localShort(at(12, 20))} - crash  (00:39)\n` +
      `reboot   system boot  6.1.0-18-amd64   ${localShort(at(12, 5))}\n` +
      `shutdown system down                   ${localShort(at(12, 0))}\n` +
      `bob      tty1                          ${localShort(at(9, 30))} - down   (02:30)\n` +
      `alice    pts/1        203.0.113.7      ${localShort(at(9, 0))} - ${localClock(at(10, 30))}  (01:30)\n` +
      `reboot   system boot  6.1.0-18-amd64   ${localShort(at(8, 0))}\n`,
    );
  });

  it('keeps to --limit, --since, --until and --user; --user leaves out the system lines', () => {
    given(day);
    expect(run({ limit: 2, system: true }).stdout).toBe(
      `dave     pts/1        203.0.113.9      ${localShort(at(13, 10))}   still logged in\n` +
      `reboot   system boot  6.1.0-19-amd64   ${localShort(at(13, 0))}\n`,
    );
    // Active at or after 12:10: carol (until the crash at 12:59:30), dave; bob's session ended at 12:00.
    expect(run({ since: at(12, 10), system: true }).stdout).toBe(
      `dave     pts/1        203.0.113.9      ${localShort(at(13, 10))}   still logged in\n` +
      `reboot   system boot  6.1.0-19-amd64   ${localShort(at(13, 0))}\n` +
      `carol    pts/0        198.51.100.4     ${localShort(at(12, 20))} - crash  (00:39)\n`,
    );
    expect(run({ until: at(9, 15) }).stdout).toBe(`alice    pts/1        203.0.113.7      ${localShort(at(9, 0))} - ${localClock(at(10, 30))}  (01:30)\n`);
    expect(run({ user: 'bob', system: true }).stdout).toBe(`bob      tty1                          ${localShort(at(9, 30))} - down   (02:30)\n`);
    expect(run({ limit: 0 }).stdout).toBe('');
  });

  it('writes times as local ISO 8601 with the offset with --time-format iso', () => {
    given([alice, aliceOut, boot3]);
    const lines = run({ timeFormat: 'iso', system: true }).stdout.split('\n');
    const iso = '(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[+-]\\d\\d:\\d\\d)';
    const bootLine = new RegExp(`^reboot   system boot  6\\.1\\.0-19-amd64   ${iso}$`).exec(lines[0] ?? '');
    const session = new RegExp(`^alice    pts/1        203\\.0\\.113\\.7      ${iso} - ${iso}  \\(01:30\\)$`).exec(lines[1] ?? '');
    expect(lines).toHaveLength(3);
    expect(parseTimestamp(bootLine?.[1] ?? '')).toBe(at(13, 0));
    expect(parseTimestamp(session?.[1] ?? '')).toBe(at(9, 0));
    expect(parseTimestamp(session?.[2] ?? '')).toBe(at(10, 30));
  });

  it('adds a host column when the lines come from more than one host', () => {
    const db2 = { host: 'db2.example.com', boot_id: '3f1c2a4e-0000-4000-8000-00000000db02', source: 'pam' } as const;
    const erin = build.sessionOpen(db2, login('erin', 'pts/4', null), at(11, 0), { session_id: sid(0xe5) });
    given([alice, aliceOut, erin]);
    expect(run().stdout).toBe(
      `db2.example.com  erin     pts/4                         ${localShort(at(11, 0))}   still logged in\n` +
      `web1             alice    pts/1        203.0.113.7      ${localShort(at(9, 0))} - ${localClock(at(10, 30))}  (01:30)\n`,
    );
  });

  it('escapes escape sequences and bidi controls in user, tty, host and kernel, and cuts them unless wide', () => {
    const hostile = build.sessionOpen(boot(3), login('evil\u001b[31m\u202e', 'pts/\u009b7m', '\u202egnp.exe'), at(13, 20), { session_id: sid(0xe6) });
    const strangeBoot = build.boot(system(3), at(13, 0), '6.1\u001b]0;pwned\u0007', at(12, 59, 30), { event_id: eid(5) });
    given([strangeBoot, hostile]);
    const cut = run({ system: true }).stdout;
    expect(cut).toBe(
      `evil\\e[… pts/\\x9b7m   \\u202egnp.exe    ${localShort(at(13, 20))}   still logged in\n` +
      `reboot   system boot  6.1\\e]0;pwned\\x… ${localShort(at(13, 0))}\n`,
    );
    const wide = run({ system: true, wide: true }).stdout;
    expect(wide).toBe(
      `evil\\e[31m\\u202e pts/\\x9b7m   \\u202egnp.exe    ${localShort(at(13, 20))}   still logged in\n` +
      `reboot   system boot  6.1\\e]0;pwned\\x07 ${localShort(at(13, 0))}\n`,
    );
    for (const text of [cut, wide]) expect(text).not.toMatch(terminalControls);
  });

  it('prints the sessions, and with --system the boots and shutdowns, as a JSON array, one object per line', () => {
    given(day);
    const r = run({ json: true, system: true, since: at(12, 0) });
    const session = (s: typeof alice, logout: string | null, duration: number | null, end: string | null) => ({
      session_id: s.session_id, host: 'web1', user: s.user, uid: 1000, tty: s.tty, rhost: s.rhost, service: s.service, pid: 4242,
      login_time: s.ts, logout_time: logout, duration_s: duration, end,
    });
    const expected = [
      session(dave, null, null, null),
      { event: 'boot', host: 'web1', boot_id: boot(3).boot_id, ts: '2026-11-21T13:00:00.000000Z', kernel: '6.1.0-19-amd64' },
      session(carol, '2026-11-21T12:59:30.000000Z', 2370, 'crash'),
      { event: 'boot', host: 'web1', boot_id: boot(2).boot_id, ts: '2026-11-21T12:05:00.000000Z', kernel: '6.1.0-18-amd64' },
      { event: 'shutdown', host: 'web1', boot_id: boot(1).boot_id, ts: '2026-11-21T12:00:00.000000Z', kernel: null },
      session(bob, '2026-11-21T12:00:00.000000Z', 9000, 'down'),
    ];
    expect(r.stdout).toBe(`[\n${expected.map((o) => JSON.stringify(o)).join(',\n')}\n]\n`);
    expect(JSON.parse(r.stdout)).toEqual(expected);
  });

  it('prints an empty JSON array for an empty history, and hostile text as the same JSON value', () => {
    given([]);
    expect(run({ json: true }).stdout).toBe('[]\n');
    rmSync(dir, { recursive: true, force: true });
    const hostile = build.sessionOpen(boot(3), login('evil\u001b[31m', 'pts/1', null), at(13, 20), { session_id: sid(0xe6) });
    given([hostile]);
    const r = run({ json: true });
    expect(r.stdout).toContain('"user":"evil\\u001b[31m"');
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ user: 'evil\u001b[31m' })]);
  });

  it('writes no bidi or C1 control raw in its JSON, only escapes of the same value', () => {
    const hostile = build.sessionOpen(boot(3), login('evil\u009b\u202e', 'pts/\u2066', null), at(13, 20), { session_id: sid(0xe6) });
    given([hostile]);
    const r = run({ json: true });
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(r.stdout).toContain('"user":"evil\\u009b\\u202e"');
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ user: 'evil\u009b\u202e', tty: 'pts/\u2066' })]);
  });

  it('reports malformed lines on stderr and prints the rest', () => {
    given([]);
    writeFileSync(`${dir}/in.jsonl`, `${build.toLine(alice)}not json\n${build.toLine(aliceOut)}`);
    const r = run();
    expect(r.stdout).toBe(`alice    pts/1        203.0.113.7      ${localShort(at(9, 0))} - ${localClock(at(10, 30))}  (01:30)\n`);
    expect(r.stderr).toBe(`logsphere: skipped 1 malformed line in ${dir}/in.jsonl\n`);
  });
});
