import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { collectingIO, terminalControls } from '../../../test/helpers/cli-output.ts';
import type { Config } from '../../config/config.ts';
import * as build from '../../record/build.ts';
import type { LogRecord } from '../../record/types.ts';
import { run as runCli, type Process } from '../main.ts';
import { knownAccounts, lastlog, latestTime, parseLastlogArgs, type LastlogOptions } from './lastlog.ts';

let dir = '';
let config: Config;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function given(records: readonly LogRecord[], changes: Partial<Config> = {}, extraLines = ''): void {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
  dir = mkdtempSync(`${tmpdir()}/ls-lastlog-cmd-`);
  config = {
    logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, stateDir: `${dir}/state`,
    hostname: null, ignoreServices: [], fsync: false, maxBytes: 0, keepDays: 0, configPath: null,
    rulesPath: `${dir}/rules.json`, webhook: null, mail: null, ...changes,
  };
  writeFileSync(`${dir}/in.jsonl`, records.map(build.toLine).join('') + extraLines);
  writeFileSync(
    `${dir}/passwd`,
    [
      'root:x:0:0:root:/root:/bin/bash',
      'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
      'not an account',
      '+@netgroup::::::',
      'alice:x:1000:1000:Alice:/home/alice:/bin/bash',
      'bob:x:1001:1001::/home/bob:/bin/bash',
      'dave:x:1003:1003::/home/dave',
      'dave:x:1003:1003::/home/dave:/bin/bash',
      '',
    ].join('\n'),
  );
}

const day = 86_400e6;
const at = (h: number, m: number) => Date.UTC(2026, 10, 21, h, m) * 1000;
const now = at(14, 0);

function run(changes: Partial<LastlogOptions> = {}) {
  const out = collectingIO();
  const options: LastlogOptions = { json: false, user: null, beforeDays: null, timeDays: null, accounts: false, host: null, inputs: [`${dir}/in.jsonl`], wide: false, ...changes };
  const status = lastlog(options, config, out.io, now, knownAccounts(options, `${dir}/passwd`));
  return { status, stdout: out.stdout(), stderr: out.stderr() };
}

const offsetParts = new Intl.DateTimeFormat('en-US', {
  weekday: 'short', month: 'short', day: 'numeric', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'longOffset',
});

/** `Sat Nov 21 09:00:00 +0000 2026` in local time, made with Intl: strftime's `%a %b %e %H:%M:%S %z %Y`. */
function latest(micros: number): string {
  const f: Record<string, string> = {};
  for (const p of offsetParts.formatToParts(new Date(micros / 1000))) f[p.type] = p.value;
  const zone = /^GMT([+-]\d\d):(\d\d)$/.exec(f['timeZoneName'] ?? '');
  const offset = zone === null ? '+0000' : `${zone[1]}${zone[2]}`;
  return `${f['weekday']} ${f['month']} ${(f['day'] ?? '').padStart(2, ' ')} ${f['hour']}:${f['minute']}:${f['second']} ${offset} ${f['year']}`;
}

const heading = `Username         Port     From${' '.repeat(39)}Latest\n`;
/** A line as lastlog2 prints it: `%-16s %-8.8s %-42s %s`. */
const row = (user: string, port: string, from: string, time: string) => `${user.padEnd(16)} ${port.padEnd(8)} ${from.padEnd(42)} ${time}\n`;

// Another host: nothing running here decides how its sessions end.
const web1 = { host: 'web1', boot_id: '7a2fbc11-fb9c-496f-9b67-b8b5eac3d591', source: 'pam' } as const;
const db1 = { host: 'db1', boot_id: '7a2fbc11-fb9c-496f-9b67-b8b5eac3d592', source: 'pam' } as const;
const uids: Record<string, number> = { root: 0, alice: 1000, bob: 1001, carol: 1002 };
const login = (user: string, tty: string, service: string, pid: number, rhost: string | null = null): build.Login => ({
  user, uid: uids[user] ?? null, tty, rhost, ruser: null, service, pid, pid_start: 99,
});
const sid = (n: number) => `01a1ff38-0000-7000-8000-0000000004${n.toString(16).padStart(2, '0')}`;

// alice: an ssh login (its pty on the close), an older one from elsewhere, sudo and su -l inside
// the newer; bob on the console; root only through switches.
const aliceOld = build.sessionOpen(web1, login('alice', 'ssh', 'sshd', 90, '198.51.100.4'), at(7, 0), { session_id: sid(1) });
const alice = build.sessionOpen(web1, login('alice', 'ssh', 'sshd', 100, '203.0.113.7'), at(9, 0), { session_id: sid(2) });
const aliceOut = build.sessionClose(web1, login('alice', 'ssh', 'sshd', 100, '203.0.113.7'), at(10, 0), alice, {}, 'pts/5');
const sudo = build.sessionOpen(web1, login('root', 'pts/5', 'sudo', 200), at(9, 10), { session_id: sid(3) });
const suAlice = build.sessionOpen(web1, login('alice', 'pts/5', 'su-l', 300), at(9, 20), { session_id: sid(4) });
const bob = build.sessionOpen(web1, login('bob', 'tty1', 'login', 400), at(8, 0), { session_id: sid(5) });
const records = [aliceOld, alice, sudo, suAlice, bob, aliceOut];

describe('lastlog()', () => {
  it('prints the last login of each user as lastlog2 does, user switches left out', () => {
    given(records);
    const r = run();
    expect(r).toEqual({ status: 0, stdout: heading + row('alice', 'pts/5', '203.0.113.7', latest(at(9, 0))) + row('bob', 'tty1', '', latest(at(8, 0))), stderr: '' });
  });

  it('prints the last logins as JSON, with RFC 3339 times and the session ids', () => {
    given(records);
    const r = run({ json: true });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { user: 'alice', uid: 1000, host: 'web1', tty: 'pts/5', rhost: '203.0.113.7', service: 'sshd', last_login: '2026-11-21T09:00:00.000000Z', session_id: sid(2) },
      { user: 'bob', uid: 1001, host: 'web1', tty: 'tty1', rhost: null, service: 'login', last_login: '2026-11-21T08:00:00.000000Z', session_id: sid(5) },
    ]);
    given([]);
    expect(run({ json: true })).toEqual({ status: 0, stdout: '[]\n', stderr: '' });
    // lastlog prints its heading with the first line: nothing at all for nobody.
    expect(run()).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('takes the switch services of the configuration', () => {
    given(records, { switchServices: ['sudo'] });
    // su -l is a login here: alice's last one; sudo still is not.
    expect(run().stdout).toBe(heading + row('alice', 'pts/5', '', latest(at(9, 20))) + row('bob', 'tty1', '', latest(at(8, 0))));
  });

  it('gives the last login of a user on each host, with a Host column, when the records are of several hosts', () => {
    const dbLogin = build.sessionOpen(db1, login('alice', 'pts/0', 'sshd', 500, '203.0.113.9'), at(11, 30), { session_id: sid(6) });
    given([...records, dbLogin]);
    const r = run();
    const line = (host: string, rest: string) => `${host.padEnd(4)} ${rest}`;
    expect(r.stdout).toBe(
      line('Host', heading) +
        line('db1', row('alice', 'pts/0', '203.0.113.9', latest(at(11, 30)))) +
        line('web1', row('alice', 'pts/5', '203.0.113.7', latest(at(9, 0)))) +
        line('web1', row('bob', 'tty1', '', latest(at(8, 0)))),
    );
    expect(run({ host: 'db1' }).stdout).toBe(heading + row('alice', 'pts/0', '203.0.113.9', latest(at(11, 30))));
    expect(JSON.parse(run({ json: true, user: 'alice' }).stdout).map((l: { host: string }) => l.host)).toEqual(['db1', 'web1']);
  });

  describe('selects as lastlog does', () => {
    // alice last logged in 10 days ago, bob 2 days ago (and 30 days ago), carol 40 days ago.
    const ago = (days: number, user: string, n: number) => build.sessionOpen(web1, login(user, 'ssh', 'sshd', 600 + n, '192.0.2.1'), now - days * day, { session_id: sid(16 + n) });
    const history = [ago(10, 'alice', 1), ago(2, 'bob', 2), ago(30, 'bob', 3), ago(40, 'carol', 4)];
    const users = (changes: Partial<LastlogOptions>) => run(changes).stdout.split('\n').slice(1, -1).map((l) => l.split(' ')[0]);

    it('-b DAYS: users whose last login is DAYS days old or older', () => {
      given(history);
      expect(users({ beforeDays: 7 })).toEqual(['alice', 'carol']);
      expect(users({ beforeDays: 10 })).toEqual(['alice', 'carol']);
      expect(users({ beforeDays: 0 })).toEqual(['alice', 'bob', 'carol']);
      expect(users({ beforeDays: 41 })).toEqual([]);
    });

    it('-t DAYS: users whose last login is within DAYS days', () => {
      given(history);
      expect(users({ timeDays: 7 })).toEqual(['bob']);
      expect(users({ timeDays: 10 })).toEqual(['alice', 'bob']);
      expect(users({ timeDays: 5, beforeDays: 20 })).toEqual([]);
      expect(users({ timeDays: 20, beforeDays: 5 })).toEqual(['alice']);
    });

    it('-u: a login name, a uid, or a range of uids', () => {
      given(history);
      expect(users({ user: 'bob' })).toEqual(['bob']);
      expect(run({ user: 'bob', json: true }).stdout).toContain(`"last_login":"${new Date((now - 2 * day) / 1000).toISOString().replace('.000Z', '.000000Z')}"`);
      expect(users({ user: '1002' })).toEqual(['carol']);
      expect(users({ user: '1000-1001' })).toEqual(['alice', 'bob']);
      expect(users({ user: '1001-' })).toEqual(['bob', 'carol']);
      expect(users({ user: '-1000' })).toEqual(['alice']);
      expect(users({ user: 'carol', beforeDays: 7 })).toEqual(['carol']);
    });
  });

  it('lists the accounts of passwd without a login as **Never logged in** with --accounts, and for -u of such an account', () => {
    const carol = build.sessionOpen(web1, login('carol', 'pts/1', 'sshd', 700, '192.0.2.7'), at(6, 0), { session_id: sid(7) });
    given([...records, carol]);
    const never = (user: string) => row(user, '', '', '**Never logged in**');
    const all = run({ accounts: true });
    expect(all.status).toBe(0);
    // By uid: root and daemon have no login (root's sudo is a switch); carol has no account here.
    expect(all.stdout).toBe(
      heading + never('root') + never('daemon') + row('alice', 'pts/5', '203.0.113.7', latest(at(9, 0))) + row('bob', 'tty1', '', latest(at(8, 0))) +
        row('carol', 'pts/1', '192.0.2.7', latest(at(6, 0))) + never('dave'),
    );
    expect(all.stderr).toBe(`logsphere: skipped 2 lines of ${dir}/passwd that name no account\n`);
    expect(JSON.parse(run({ accounts: true, json: true, user: '1003' }).stdout)).toEqual([
      { user: 'dave', uid: 1003, host: null, tty: null, rhost: null, service: null, last_login: null, session_id: null },
    ]);
    // -b keeps those who never logged in, -t leaves them out, as lastlog does.
    expect(run({ accounts: true, beforeDays: 0 }).stdout).toBe(all.stdout);
    expect(run({ accounts: true, timeDays: 1 }).stdout).toBe(heading + row('alice', 'pts/5', '203.0.113.7', latest(at(9, 0))) + row('bob', 'tty1', '', latest(at(8, 0))) + row('carol', 'pts/1', '192.0.2.7', latest(at(6, 0))));
    // A login older than -b is a login: bob is not "never logged in" because his login is recent.
    expect(run({ accounts: true, beforeDays: 1 }).stdout).toBe(heading + never('root') + never('daemon') + never('dave'));
    // A uid range with --accounts: the accounts in it.
    expect(run({ accounts: true, user: '0-999' }).stdout).toBe(heading + never('root') + never('daemon'));
    expect(run({ user: '0-999' }).stdout).toBe('');
    // -u of an account without a login: its line, without --accounts (lastlog2 -u).
    expect(run({ user: 'dave' }).stdout).toBe(heading + never('dave'));
    expect(run({ user: 'dave', timeDays: 3 }).stdout).toBe('');
  });

  it('says so when -u names no one the records or passwd know, and needs passwd only for --accounts', () => {
    given(records);
    expect(run({ user: 'mallory' })).toEqual({
      status: 0,
      stdout: '',
      stderr: `logsphere: skipped 2 lines of ${dir}/passwd that name no account\nlogsphere: no login of mallory recorded, and no such account in ${dir}/passwd\n`,
    });
    rmSync(`${dir}/passwd`);
    expect(run({ user: 'alice' })).toEqual({
      status: 0,
      stdout: heading + row('alice', 'pts/5', '203.0.113.7', latest(at(9, 0))),
      stderr: `logsphere: Cannot read ${dir}/passwd: no such file or directory; an account without a login is not shown\n`,
    });
    expect(() => run({ accounts: true })).toThrow(`Cannot read ${dir}/passwd: no such file or directory`);
  });

  it('escapes hostile text in its lines: user names, ports and remote hosts with newlines and escape sequences', () => {
    const evil = 'x\n\u001b[2Jroot';
    const hostile = build.sessionOpen(web1, { ...login(evil, 'pts/\u001b]0;t\u0007', 'sshd', 800, 'h\u202eost\r'), uid: 1004 }, at(12, 0), { session_id: sid(8) });
    given([...records, hostile]);
    const r = run({ wide: true });
    expect(r.stdout).not.toMatch(terminalControls);
    expect(r.stdout.split('\n').at(-2)).toBe(`${'x\\n\\e[2Jroot'.padEnd(16)} pts/\\e]0;t\\x07 ${'h\\u202eost\\r'.padEnd(42)} ${latest(at(12, 0))}`);
    // Cut to lastlog's 8 characters of port, unless --wide.
    expect(run().stdout.split('\n').at(-2)).toBe(`${'x\\n\\e[2Jroot'.padEnd(16)} pts/\\e]… ${'h\\u202eost\\r'.padEnd(42)} ${latest(at(12, 0))}`);
    // JSON keeps the values, every control escaped.
    const json = run({ json: true });
    expect(json.stdout).not.toMatch(terminalControls);
    expect(JSON.parse(json.stdout).at(-1)).toMatchObject({ user: evil, tty: 'pts/\u001b]0;t\u0007', rhost: 'h\u202eost\r' });
  });

  it('counts malformed lines in a warning and answers from the rest', () => {
    given(records, {}, '{"schema":"logsphere/1","event":"session_open"\nnot json at all\n');
    const r = run();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(heading + row('alice', 'pts/5', '203.0.113.7', latest(at(9, 0))) + row('bob', 'tty1', '', latest(at(8, 0))));
    expect(r.stderr).toBe(`logsphere: skipped 2 malformed lines in ${dir}/in.jsonl\n`);
  });
});

describe('latestTime()', () => {
  it('writes strftime\'s %a %b %e %H:%M:%S %z %Y in local time', () => {
    for (const t of [at(9, 0), Date.UTC(2026, 6, 1, 23, 59, 59) * 1000, Date.UTC(2027, 0, 3, 0, 0, 1) * 1000 + 999_999]) expect(latestTime(t)).toBe(latest(t));
    expect(latestTime(at(9, 0))).toMatch(/^Sat Nov 2[01] \d\d:\d\d:00 [+-]\d{4} 2026$/);
  });
});

describe('parseLastlogArgs()', () => {
  it.each<[string[], Partial<LastlogOptions> | 'help']>([
    [[], { json: false, user: null, beforeDays: null, timeDays: null, accounts: false, host: null, inputs: [], wide: false, db: null }],
    [['-u', 'alice', '-b', '90', '-t', '365'], { user: 'alice', beforeDays: 90, timeDays: 365 }],
    [['--user=1000-', '--before', '0', '--time=7'], { user: '1000-', beforeDays: 0, timeDays: 7 }],
    [['-u', '-999'], { user: '-999' }],
    [['--accounts', '--json', '--host', 'web1', '-w'], { accounts: true, json: true, host: 'web1', wide: true }],
    [['--input', 'a.jsonl', '--input', '-'], { inputs: ['a.jsonl', '-'] }],
    [['--db', 'postgresql:///fleet', '--host', 'db1'], { db: 'postgresql:///fleet', host: 'db1' }],
    [['--help'], 'help'],
  ])('%j', (args, expected) => {
    const parsed = parseLastlogArgs(args);
    if (expected === 'help') expect(parsed).toBe('help');
    else expect(parsed).toMatchObject(expected);
  });

  it.each([
    [['-b', 'x'], '--before: expected a number of days, got "x"'],
    [['-t', '-1'], '--time: expected a number of days, got "-1"'],
    [['-t', '1.5'], '--time: expected a number of days, got "1.5"'],
    [['--db', 'postgresql:///fleet', '--input', 'a.jsonl'], '--db and --input do not go together'],
  ])('refuses %j', (args, message) => {
    expect(() => parseLastlogArgs(args)).toThrow(message);
  });
});

describe('logsphere lastlog', () => {
  function cli(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const process: Process = {
      env: { LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_STATE_DIR: dir, LOGSPHERE_LOG_DIR: `${dir}/log` },
      stdout: (text) => void out.push(typeof text === 'string' ? text : Buffer.from(text).toString()),
      stderr: (text) => void err.push(text),
      stdoutIsTerminal: false,
      onStopSignal: () => () => undefined,
    };
    return runCli(['lastlog', ...argv], process, now).then((status) => ({ status, stdout: out.join(''), stderr: err.join('') }));
  }

  it('is a command: it answers, exits 2 on a usage error and 1 on an input it cannot read', async () => {
    given(records);
    expect(await cli(['--input', `${dir}/in.jsonl`, '-u', 'bob'])).toEqual({ status: 0, stdout: heading + row('bob', 'tty1', '', latest(at(8, 0))), stderr: '' });
    expect(await cli(['-b', 'ninety'])).toEqual({ status: 2, stdout: '', stderr: "logsphere: --before: expected a number of days, got \"ninety\"\nTry 'logsphere lastlog --help'.\n" });
    expect((await cli(['alice'])).status).toBe(2);
    expect(await cli(['--input', `${dir}/none.jsonl`])).toEqual({ status: 1, stdout: '', stderr: `logsphere: Cannot read ${dir}/none.jsonl: no such file or directory\n` });
  });
});
