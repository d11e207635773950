import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { collectingIO, localClock, localFull, localShort, terminalControls } from '../../../test/helpers/cli-output.ts';
import type { Config } from '../../config/config.ts';
import * as build from '../../record/build.ts';
import { parseTimestamp } from '../../record/time.ts';
import type { LogRecord } from '../../record/types.ts';
import { last, type LastOptions } from './last.ts';
import { utmpEntry } from '../../../test/helpers/utmp-bytes.ts';
import { UtType } from '../../legacy/utmp.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function scratchConfig(): Config {
  // A test may start afresh more than once: the directory before goes.
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
  dir = mkdtempSync(`${tmpdir()}/ls-last-cmd-`);
  return {
    logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, stateDir: `${dir}/state`,
    hostname: null, ignoreServices: [], fsync: false, maxBytes: 0, keepDays: 0, configPath: null,
    rulesPath: `${dir}/rules.json`, webhook: null, mail: null,
  };
}

const options = (changes: Partial<LastOptions> = {}): LastOptions => ({
  json: false, limit: null, since: null, until: null, present: null, names: [], user: null, host: null, system: false, timeFormat: 'short',
  ip: false, hostColumn: 'before', inputs: [`${dir}/in.jsonl`], wide: false, all: false, ...changes,
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

function run(changes: Partial<LastOptions> = {}, width = 80) {
  const out = collectingIO();
  const status = last(options(changes), config, out.io, now, width);
  return { status, stdout: out.stdout(), stderr: out.stderr() };
}

describe('last()', () => {
  // The lines of the day, as last prints them (short times).
  const daveLine = `dave     pts/1        203.0.113.9      ${localShort(at(13, 10))}   still logged in\n`;
  const boot3Line = `reboot   system boot  6.1.0-19-amd64   ${localShort(at(12, 59, 30))}   still running\n`;
  const carolLine = `carol    pts/0        198.51.100.4     ${localShort(at(12, 20))} - crash  (00:39)\n`;
  const boot2Line = `reboot   system boot  6.1.0-18-amd64   ${localShort(at(12, 4, 40))} - crash  (00:54)\n`;
  const shutdownLine = `shutdown system down  6.1.0-18-amd64   ${localShort(at(12, 0))} - ${localClock(at(12, 4, 40))}  (00:04)\n`;
  const bobLine = `bob      tty1                          ${localShort(at(9, 30))} - down   (02:30)\n`;
  const aliceLine = `alice    pts/1        203.0.113.7      ${localShort(at(9, 0))} - ${localClock(at(10, 30))}  (01:30)\n`;
  const boot1Line = `reboot   system boot  6.1.0-18-amd64   ${localShort(at(7, 59, 50))} - ${localClock(at(12, 0))}  (04:00)\n`;
  const begins = () => `\nin.jsonl begins ${localFull(at(8, 0))}\n`;

  it('prints the history newest first as util-linux last: logout time, down, crash, still logged in, reboot lines, where the input begins', () => {
    given(day);
    const r = run();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(daveLine + boot3Line + carolLine + boot2Line + bobLine + aliceLine + boot1Line + begins());
    expect(r.stderr).toBe('');
  });

  it('with --system (-x) adds the shutdown lines, how long the host was down and the kernel it shut down', () => {
    given(day);
    expect(run({ system: true }).stdout).toBe(daveLine + boot3Line + carolLine + boot2Line + shutdownLine + bobLine + aliceLine + boot1Line + begins());
  });

  it('says a shutdown with no boot after it is still down, and a boot with no shutdown or boot after it still running', () => {
    given([boot1, alice, aliceOut, down]);
    expect(run({ system: true, timeFormat: 'full' }).stdout).toBe(
      `shutdown system down  6.1.0-18-amd64   ${localFull(at(12, 0))}   still down\n` +
      `alice    pts/1        203.0.113.7      ${localFull(at(9, 0))} - ${localFull(at(10, 30))}  (01:30)\n` +
      `reboot   system boot  6.1.0-18-amd64   ${localFull(at(7, 59, 50))} - ${localFull(at(12, 0))}  (04:00)\n` +
      `\nin.jsonl begins ${localFull(at(8, 0))}\n`,
    );
  });

  it('keeps to --limit, --since and --until by each line\'s own time, as util-linux last; --user leaves out the system lines', () => {
    given(day);
    expect(run({ limit: 2, system: true }).stdout).toBe(daveLine + boot3Line + begins());
    // Lines at or after 12:10: bob's session began before, though it lasted until 12:00 and carol's began after.
    expect(run({ since: at(12, 10), system: true }).stdout).toBe(daveLine + boot3Line + carolLine + begins());
    expect(run({ until: at(9, 15) }).stdout).toBe(aliceLine + boot1Line + begins());
    expect(run({ since: at(9, 0), until: at(12, 0), system: true }).stdout).toBe(shutdownLine + bobLine + aliceLine + begins());
    expect(run({ user: 'bob', system: true }).stdout).toBe(bobLine + begins());
    expect(run({ limit: 0 }).stdout).toBe(begins());
  });

  it('with --present (-p) lists what was under way at that instant: sessions, and the boot or the shutdown', () => {
    given(day);
    expect(run({ present: at(10, 0), system: true }).stdout).toBe(bobLine + aliceLine + boot1Line + begins());
    expect(run({ present: at(10, 30) }).stdout).toBe(bobLine + aliceLine + boot1Line + begins());
    expect(run({ present: at(12, 2), system: true }).stdout).toBe(shutdownLine + begins());
    expect(run({ present: at(13, 30) }).stdout).toBe(daveLine + boot3Line + begins());
  });

  it('selects lines by util-linux last\'s names: a user, a tty (1 for tty1), reboot', () => {
    given(day);
    expect(run({ names: ['alice'] }).stdout).toBe(aliceLine + begins());
    expect(run({ names: ['pts/1'] }).stdout).toBe(daveLine + aliceLine + begins());
    expect(run({ names: ['1'] }).stdout).toBe(bobLine + begins());
    expect(run({ names: ['reboot'] }).stdout).toBe(boot3Line + boot2Line + boot1Line + begins());
    expect(run({ names: ['shutdown', 'carol'], system: true }).stdout).toBe(carolLine + shutdownLine + begins());
    expect(run({ names: ['nobody'] }).stdout).toBe(begins());
  });

  it('puts the remote host last with -a, leaves it out with -R, and writes addresses with -i (0.0.0.0 for none)', () => {
    given([boot1, alice, aliceOut, bob]);
    const last = run({ hostColumn: 'last' }).stdout.split('\n');
    expect(last[0]).toBe(`bob      tty1         ${localShort(at(9, 30))}   still logged in`);
    expect(last[1]).toBe(`alice    pts/1        ${localShort(at(9, 0))} - ${localClock(at(10, 30))}  (01:30)     203.0.113.7`);
    expect(last[2]).toBe(`reboot   system boot  ${localShort(at(7, 59, 50))}   still running      6.1.0-18-amd64`);
    expect(run({ hostColumn: 'none' }).stdout.split('\n').slice(0, 3)).toEqual([
      `bob      tty1         ${localShort(at(9, 30))}   still logged in`,
      `alice    pts/1        ${localShort(at(9, 0))} - ${localClock(at(10, 30))}  (01:30)`,
      `reboot   system boot  ${localShort(at(7, 59, 50))}   still running`,
    ]);
    expect(run({ ip: true }).stdout.split('\n').slice(0, 3)).toEqual([
      `bob      tty1         0.0.0.0          ${localShort(at(9, 30))}   still logged in`,
      `alice    pts/1        203.0.113.7      ${localShort(at(9, 0))} - ${localClock(at(10, 30))}  (01:30)`,
      `reboot   system boot  0.0.0.0          ${localShort(at(7, 59, 50))}   still running`,
    ]);
  });

  it('writes full times with -F, none with notime (and no begins line), and durations of days as util-linux does', () => {
    const long = build.sessionOpen(boot(1), login('erin', 'pts/2', '192.0.2.5'), at(9, 0) - 3 * 86_400e6, { session_id: sid(0xe1) });
    const longOut = build.sessionClose(boot(1), login('erin', 'pts/2', '192.0.2.5'), at(9, 10), long);
    given([long, longOut, alice, aliceOut, dave]);
    expect(run({ timeFormat: 'full' }).stdout).toBe(
      `dave     pts/1        203.0.113.9      ${localFull(at(13, 10))}   still logged in\n` +
      `alice    pts/1        203.0.113.7      ${localFull(at(9, 0))} - ${localFull(at(10, 30))}  (01:30)\n` +
      `erin     pts/2        192.0.2.5        ${localFull(at(9, 0) - 3 * 86_400e6)} - ${localFull(at(9, 10))} (3+00:10)\n` +
      `\nin.jsonl begins ${localFull(at(9, 0) - 3 * 86_400e6)}\n`,
    );
    expect(run({ timeFormat: 'notime' }).stdout).toBe(
      'dave     pts/1        203.0.113.9        logged in\n' +
      'alice    pts/1        203.0.113.7         (01:30)\n' +
      'erin     pts/2        192.0.2.5          (3+00:10)\n',
    );
  });

  it('writes times as local ISO 8601 with the offset with --time-format iso, the begins line too', () => {
    given([alice, aliceOut, boot3]);
    const lines = run({ timeFormat: 'iso', system: true }).stdout.split('\n');
    const iso = '(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[+-]\\d\\d:\\d\\d)';
    const bootLine = new RegExp(`^reboot   system boot  6\\.1\\.0-19-amd64   ${iso}   still running$`).exec(lines[0] ?? '');
    const session = new RegExp(`^alice    pts/1        203\\.0\\.113\\.7      ${iso} - ${iso}  \\(01:30\\)$`).exec(lines[1] ?? '');
    const beginsLine = new RegExp(`^in\\.jsonl begins ${iso}$`).exec(lines[3] ?? '');
    expect(lines).toHaveLength(5);
    expect(parseTimestamp(bootLine?.[1] ?? '')).toBe(at(12, 59, 30));
    expect(parseTimestamp(session?.[1] ?? '')).toBe(at(9, 0));
    expect(parseTimestamp(session?.[2] ?? '')).toBe(at(10, 30));
    expect(parseTimestamp(beginsLine?.[1] ?? '')).toBe(at(9, 0));
  });

  it('adds a host column when the lines come from more than one host, narrowed (then the remote host) to fit the width', () => {
    const db2 = { host: 'db2.example.com', boot_id: '3f1c2a4e-0000-4000-8000-00000000db02', source: 'pam' } as const;
    const erin = build.sessionOpen(db2, login('erin', 'pts/4', null), at(11, 0), { session_id: sid(0xe5) });
    const far = build.sessionOpen(boot(1), login('frank', 'pts/2', 'bastion.corp.example'), at(10, 0), { session_id: sid(0xf6) });
    given([alice, aliceOut, erin, far]);
    const fitted = run().stdout;
    expect(fitted).toBe(
      `db2.exa… erin     pts/4                      ${localShort(at(11, 0))}   still logged in\n` +
      `web1     frank    pts/2        bastion.corp… ${localShort(at(10, 0))}   still logged in\n` +
      `web1     alice    pts/1        203.0.113.7   ${localShort(at(9, 0))} - ${localClock(at(10, 30))}  (01:30)\n` +
      `\nin.jsonl begins ${localFull(at(9, 0))}\n`,
    );
    for (const line of fitted.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
    given([alice, aliceOut, erin]);
    expect(run({}, 100).stdout).toBe(
      `db2.example.com  erin     pts/4                         ${localShort(at(11, 0))}   still logged in\n` +
      `web1             alice    pts/1        203.0.113.7      ${localShort(at(9, 0))} - ${localClock(at(10, 30))}  (01:30)\n` +
      `\nin.jsonl begins ${localFull(at(9, 0))}\n`,
    );
  });

  it('says when an input with no record begins by its change time, and names the log for the log directory', () => {
    given([]);
    const changed = Math.floor(statSync(`${dir}/in.jsonl`).ctimeMs / 1000) * 1e6;
    expect(run().stdout).toBe(`\nin.jsonl begins ${localFull(changed)}\n`);
    mkdirSync(`${dir}/log`);
    writeFileSync(`${dir}/log/sessions.jsonl`, [alice, aliceOut].map(build.toLine).join(''));
    writeFileSync(`${dir}/other.jsonl`, build.toLine(dave));
    expect(run({ inputs: [] }).stdout).toBe(aliceLine + `\nsessions.jsonl begins ${localFull(at(9, 0))}\n`);
    expect(run({ inputs: [`${dir}/log/`, `${dir}/other.jsonl`] }).stdout).toBe(
      daveLine + aliceLine + `\nlog begins ${localFull(at(9, 0))}\nother.jsonl begins ${localFull(at(13, 10))}\n`,
    );
  });

  it('reads a wtmp file given with -f through the importer, beside a log, and says where each begins', () => {
    given([dave]);
    const t = at(9, 0) / 1e6;
    writeFileSync(`${dir}/wtmp`, Buffer.concat([
      utmpEntry(UtType.BOOT_TIME, 0, '~', 'reboot', '6.1.0-a', t - 3600),
      utmpEntry(UtType.USER_PROCESS, 1234, 'pts/7', 'gina', '192.0.2.7', t),
      utmpEntry(UtType.DEAD_PROCESS, 1234, 'pts/7', '', '', t + 600),
    ]));
    config = { ...config, hostname: 'web1' };
    const r = run({ inputs: [`${dir}/wtmp`, `${dir}/in.jsonl`] });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      daveLine +
      `gina     pts/7        192.0.2.7        ${localShort(at(9, 0))} - ${localClock(at(9, 10))}  (00:10)\n` +
      `reboot   system boot  6.1.0-a          ${localShort(at(8, 0))}   still running\n` +
      `\nwtmp begins ${localFull(at(8, 0))}\nin.jsonl begins ${localFull(at(13, 10))}\n`,
    );
  });

  it('escapes escape sequences and bidi controls in user, tty, host, kernel and input name, and cuts them unless wide', () => {
    const hostile = build.sessionOpen(boot(3), login('evil\u001b[31m\u202e', 'pts/\u009b7m', '\u202egnp.exe'), at(13, 20), { session_id: sid(0xe6) });
    const strangeBoot = build.boot(system(3), at(13, 0), '6.1\u001b]0;pwned\u0007', at(12, 59, 30), { event_id: eid(5) });
    given([strangeBoot, hostile]);
    writeFileSync(`${dir}/in\u001b[2J.jsonl`, [strangeBoot, hostile].map(build.toLine).join(''));
    const cut = run({ inputs: [`${dir}/in\u001b[2J.jsonl`] }).stdout;
    expect(cut).toBe(
      `evil\\e[… pts/\\x9b7m   \\u202egnp.exe    ${localShort(at(13, 20))}   still logged in\n` +
      `reboot   system boot  6.1\\e]0;pwned\\x… ${localShort(at(12, 59, 30))}   still running\n` +
      `\nin\\e[2J.jsonl begins ${localFull(at(13, 0))}\n`,
    );
    const wide = run({ wide: true }).stdout;
    expect(wide).toBe(
      `evil\\e[31m\\u202e pts/\\x9b7m   \\u202egnp.exe    ${localShort(at(13, 20))}   still logged in\n` +
      `reboot   system boot  6.1\\e]0;pwned\\x07 ${localShort(at(12, 59, 30))}   still running\n` +
      `\nin.jsonl begins ${localFull(at(13, 0))}\n`,
    );
    for (const text of [cut, wide]) expect(text).not.toMatch(terminalControls);
  });

  it('prints the sessions, and with --system the boots and shutdowns with their ends, as a JSON array, one object per line', () => {
    given(day);
    const r = run({ json: true, system: true, since: at(12, 0) });
    const session = (s: typeof alice, logout: string | null, duration: number | null, end: string | null) => ({
      session_id: s.session_id, host: 'web1', user: s.user, uid: 1000, tty: s.tty, pty: null, rhost: s.rhost, service: s.service, kind: 'login', pid: 4242,
      login_time: s.ts, logout_time: logout, duration_s: duration, end,
    });
    const expected = [
      session(dave, null, null, null),
      { event: 'boot', host: 'web1', boot_id: boot(3).boot_id, ts: '2026-11-21T13:00:00.000000Z', kernel: '6.1.0-19-amd64', boot_time: '2026-11-21T12:59:30.000000Z', end: null, end_time: null, duration_s: null },
      session(carol, '2026-11-21T12:59:30.000000Z', 2370, 'crash'),
      { event: 'boot', host: 'web1', boot_id: boot(2).boot_id, ts: '2026-11-21T12:05:00.000000Z', kernel: '6.1.0-18-amd64', boot_time: '2026-11-21T12:04:40.000000Z', end: 'crash', end_time: '2026-11-21T12:59:30.000000Z', duration_s: 3290 },
      { event: 'shutdown', host: 'web1', boot_id: boot(1).boot_id, ts: '2026-11-21T12:00:00.000000Z', kernel: '6.1.0-18-amd64', boot_time: null, end: 'boot', end_time: '2026-11-21T12:04:40.000000Z', duration_s: 280 },
    ];
    expect(r.stdout).toBe(`[\n${expected.map((o) => JSON.stringify(o)).join(',\n')}\n]\n`);
    expect(JSON.parse(r.stdout)).toEqual(expected);
    // Without --system or reboot named, JSON has the sessions only.
    expect((JSON.parse(run({ json: true }).stdout) as Array<{ event?: string }>).filter((o) => o.event !== undefined)).toEqual([]);
    expect((JSON.parse(run({ json: true, names: ['reboot'] }).stdout) as Array<{ event?: string }>).map((o) => o.event)).toEqual(['boot', 'boot', 'boot']);
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
    expect(r.stdout).toBe(`alice    pts/1        203.0.113.7      ${localShort(at(9, 0))} - ${localClock(at(10, 30))}  (01:30)\n\nin.jsonl begins ${localFull(at(9, 0))}\n`);
    expect(r.stderr).toBe(`logsphere: skipped 1 malformed line in ${dir}/in.jsonl\n`);
  });
});
