// util-linux last's arguments, each compared with util-linux last itself: the same wtmp, built by
// `utmpdump -r`, read by `last ARGS -f wtmp` and by `logsphere last ARGS -f wtmp` (which reads it
// through the importer on the fly), and their output compared line by line, the closing
// "wtmp begins …" line included. What must differ is said where it is allowed, and nowhere else:
//
// - A login with no end in the file: util-linux prints "gone - no logout" when it cannot find the
//   process on this machine (the login is older than this boot, or the user does not exist here);
//   LogSphere prints "still logged in", since nothing in the file ended it.
// - A boot followed by another boot with no shutdown between: util-linux prints the reboot line as
//   "still running" (it takes the end of a boot from the next shutdown only); LogSphere prints
//   "- crash" and how long the boot lasted until the next one.
// - With -t T, util-linux reads no record after T, so a session that ended after T shows there as
//   open ("gone - no logout"); LogSphere shows how it ended.
// - Fields longer than their column: util-linux cuts them; LogSphere cuts them and ends them with
//   "…", so that a cut name is never taken for another user's (-w prints both in full).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBundle, nodePath, requireBuilt } from '../helpers/paths.ts';
import { missing } from '../helpers/require.ts';

const lacking = missing({ commands: ['/usr/bin/utmpdump', '/usr/bin/last'] });
const dir = mkdtempSync(`${tmpdir()}/ls-last-ul-`);
// Both in UTC, so that `today`, `10:00` and the times printed mean the same to both.
const env = { TZ: 'UTC', LC_ALL: 'C.UTF-8', LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_STATE_DIR: dir, LOGSPHERE_CONFIG: '/dev/null' };

/** utmpdump text: type, pid (5+ digits), id (4 chars), user, line, host, address, time (UTC). */
const row = (type: number, pid: number, id: string, user: string, line: string, host: string, addr: string, at: number) =>
  `[${type}] [${String(pid).padStart(5, '0')}] [${id.padEnd(4)}] [${user.padEnd(8)}] [${line.padEnd(12)}] [${host.padEnd(20)}] [${addr.padEnd(15)}] [${new Date(at * 1000).toISOString().slice(0, 19)},000000+00:00]\n`;
const boot = (kernel: string, at: number) => row(2, 0, '~~', 'reboot', '~', kernel, '0.0.0.0', at);
const down = (kernel: string, at: number) => row(1, 0, '~~', 'shutdown', '~', kernel, '0.0.0.0', at);
const login = (pid: number, user: string, line: string, host: string, at: number) =>
  row(7, pid, line.slice(-4), user, line, host, host === '' ? '0.0.0.0' : host, at);
const logout = (pid: number, line: string, at: number) => row(8, pid, line.slice(-4), '', line, '', '0.0.0.0', at);

// Today's midnight (UTC) and hours around it: `yesterday`, `today` and `10:00` fall among the lines.
const midnight = Math.floor(Date.now() / 86_400_000) * 86_400;
const hour = (day: number, h: number, m = 0) => midnight + day * 86_400 + h * 3600 + m * 60;

const fixtures: Record<string, string> = {
  // Two boots, a clean shutdown between them, logins ended by logouts, the last boot running.
  history:
    boot('6.1.0-a', hour(-2, 8)) +
    login(1234, 'alice', 'pts/1', '203.0.113.7', hour(-2, 9)) +
    login(1300, 'root', 'tty1', '', hour(-2, 9, 5)) +
    logout(1234, 'pts/1', hour(-2, 10, 30)) +
    logout(1300, 'tty1', hour(-2, 11)) +
    down('6.1.0-a', hour(-2, 12)) +
    boot('6.1.0-b', hour(-1, 7)) +
    login(2000, 'bob', 'pts/3', '198.51.100.2', hour(-1, 9, 30)) +
    login(2100, 'carol', 'pts/4', '2001:db8::4', hour(-1, 23, 30)) +
    logout(2100, 'pts/4', hour(0, 0, 30)) +
    logout(2000, 'pts/3', hour(0, 1)) +
    login(2200, 'erin', 'pts/1', '192.0.2.9', hour(0, 9)) +
    login(2300, 'frank', 'tty2', '', hour(0, 9, 30)) +
    logout(2300, 'tty2', hour(0, 9, 45)) +
    logout(2200, 'pts/1', hour(0, 11)),
  // A boot that ended in a crash, and a login still open in the running boot.
  open:
    boot('6.1.0-c', hour(-3, 8)) +
    login(3000, 'gina', 'pts/0', '192.0.2.30', hour(-3, 9)) +
    boot('6.1.0-d', hour(-3, 14)) +
    login(3100, 'hank', 'pts/2', '192.0.2.31', hour(-3, 15)),
  // Names and hosts longer than their columns.
  wide:
    boot('6.1.0-e', hour(-4, 8)) +
    login(4000, 'averyveryverylongusername', 'pts/5', 'client.example.org', hour(-4, 9)) +
    logout(4000, 'pts/5', hour(-4, 9, 40)),
};

function wtmp(name: string): string {
  const file = `${dir}/${name}/wtmp`;
  spawnSync('mkdir', ['-p', `${dir}/${name}`]);
  const r = spawnSync('utmpdump', ['-r'], { input: fixtures[name] });
  expect(r.status).toBe(0);
  writeFileSync(file, r.stdout);
  return file;
}

function theirs(args: string[], file: string): string[] {
  const r = spawnSync('last', [...args, '-f', file], { encoding: 'utf8', env });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n');
}

function ours(args: string[], file: string): string[] {
  const r = spawnSync(nodePath, [cliBundle, 'last', ...args, '-f', file], { encoding: 'utf8', env });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout.split('\n');
}

/** The first columns of a line: user, tty, host and login time, as far as `upTo` characters. */
const head = (line: string, upTo: number) => line.slice(0, upTo);

describe.skipIf(lacking)('logsphere last against util-linux last on the same wtmp', () => {
  let history = '';
  beforeAll(() => {
    requireBuilt();
    history = wtmp('history');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['', []],
    ['-x (shutdown lines: how long the host was down, the kernel it ended)', ['-x']],
    ['-F (full times)', ['-F']],
    ['-i (addresses, 0.0.0.0 for none)', ['-i']],
    ['-a (host last)', ['-a']],
    ['-R (no host)', ['-R']],
    ['-w (full names)', ['-w']],
    ['-5', ['-5']],
    ['-n 3', ['-n', '3']],
    ['alice (a user)', ['alice']],
    ['root bob (users)', ['root', 'bob']],
    ['pts/3 (a tty)', ['pts/3']],
    ['1 (tty1)', ['1']],
    ['reboot', ['reboot']],
    ['-x shutdown', ['-x', 'shutdown']],
    ['-s yesterday', ['-s', 'yesterday']],
    ['--since yesterday', ['--since', 'yesterday']],
    ['-p 10:00 (present today at 10:00)', ['-p', '10:00']],
    ['-x -p during the shutdown', ['-x', '-p', new Date(hour(-2, 18) * 1000).toISOString().slice(0, 16).replace('T', ' ')]],
    ['-p between two sessions', ['-p', new Date(hour(-2, 10, 45) * 1000).toISOString().slice(0, 16).replace('T', ' ')]],
    ['--time-format iso', ['--time-format', 'iso']],
    ['--time-format notime', ['--time-format', 'notime']],
    ['-Fxiw together', ['-Fxiw']],
    ['-a -x -F', ['-a', '-x', '-F']],
  ])('%s: the same lines', (_name, args) => {
    expect(ours(args, history)).toEqual(theirs(args, history));
  });

  it('-s yesterday -t today: the same lines, but for the ends util-linux cannot see past -t', () => {
    const args = ['-s', 'yesterday', '-t', 'today'];
    const mine = ours(args, history);
    const util = theirs(args, history);
    expect(mine).toHaveLength(util.length);
    expect(mine.map((l) => head(l, 46))).toEqual(util.map((l) => head(l, 46)));
    const differ = mine.map((l, i) => [l, util[i] as string]).filter(([a, b]) => a !== b);
    // bob and carol logged out after midnight (the -t): util-linux reads no record after it.
    expect(differ.map(([a]) => a?.split(' ')[0])).toEqual(['carol', 'bob']);
    for (const [a, b] of differ) {
      expect(b).toMatch(/ {4}gone - no logout$| {3}still logged in$/);
      expect(a).toMatch(/ - 0[01]:\d\d  \(\d\d:\d\d\)$/);
    }
  });

  it('a login still open and a boot ended by a crash: the listed differences, and only those', () => {
    const file = wtmp('open');
    for (const args of [[], ['-x'], ['-F']]) {
      const mine = ours(args, file);
      const util = theirs(args, file);
      const full = args.includes('-F');
      expect(mine).toHaveLength(util.length);
      const expected = util.map((l) => {
        if (l.startsWith('hank ')) return l.replace(/ +gone - no logout$/, '   still logged in');
        if (l.startsWith('reboot ') && l.includes('6.1.0-c')) {
          // It ran until the next boot at 14:00.
          return l.replace(/ +still running$/, full ? ` - crash${' '.repeat(19)}  (06:00)` : ' - crash  (06:00)');
        }
        return l;
      });
      expect(mine).toEqual(expected);
    }
  });

  it('prints long names and hosts in full with -w as util-linux does, and cut with … without', () => {
    const file = wtmp('wide');
    expect(ours(['-w'], file)).toEqual(theirs(['-w'], file));
    const mine = ours([], file);
    const util = theirs([], file);
    expect(util[0]).toMatch(/^averyver pts\/5        client.example.o /);
    expect(mine[0]).toBe(util[0]?.replace('averyver', 'averyve…').replace('client.example.o', 'client.example.…'));
    expect(mine.slice(1)).toEqual(util.slice(1));
  });
});
