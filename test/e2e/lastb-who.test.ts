// `logsphere lastb` against util-linux lastb on the same btmp, and `logsphere who` against
// coreutils who on the same utmp, both files built by `utmpdump -r`: lastb reads the btmp through
// the importer on the fly (-f), who the records `logsphere import utmp` makes of the utmp. Their
// output is compared line by line. What must differ: a name longer than its column is cut with
// "…" by LogSphere where lastb cuts it bare (see last-util-linux.test.ts); who's times are in
// the form coreutils uses in any locale but C (2024-05-01 09:00), so coreutils runs in C.UTF-8.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBundle, nodePath, requireBuilt } from '../helpers/paths.ts';
import { missing } from '../helpers/require.ts';

const lacking = missing({ commands: ['/usr/bin/utmpdump', '/usr/bin/lastb', '/usr/bin/who'] });
// Short: the terminals below are files in it, named by absolute paths in ut_line (32 bytes).
const dir = mkdtempSync(`${tmpdir()}/ls-lw-`);
const env = { TZ: 'UTC', LC_ALL: 'C.UTF-8', LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_STATE_DIR: dir, LOGSPHERE_CONFIG: '/dev/null' };

const row = (type: number, pid: number, id: string, user: string, line: string, host: string, addr: string, time: string) =>
  `[${type}] [${String(pid).padStart(5, '0')}] [${id.padEnd(4)}] [${user.padEnd(8)}] [${line.padEnd(12)}] [${host.padEnd(20)}] [${addr.padEnd(15)}] [${time},000000+00:00]\n`;

function built(name: string, text: string): string {
  const r = spawnSync('utmpdump', ['-r'], { input: text });
  expect(r.status).toBe(0);
  writeFileSync(`${dir}/${name}`, r.stdout);
  return `${dir}/${name}`;
}

const cli = (args: string[]) => spawnSync(nodePath, [cliBundle, ...args], { encoding: 'utf8', env });
const tool = (command: string, args: string[]) => {
  const r = spawnSync(command, args, { encoding: 'utf8', env });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
};

describe.skipIf(lacking)('logsphere lastb and who against util-linux lastb and coreutils who', () => {
  let btmp = '';
  let records = '';
  beforeAll(() => {
    requireBuilt();
    btmp = built('btmp',
      row(6, 5000, 'ssh', 'mallory', 'ssh:notty', '198.51.100.66', '198.51.100.66', '2024-07-01T10:00:00') +
      row(7, 5001, 'ssh', 'root', 'ssh:notty', '2001:db8::66', '2001:db8::66', '2024-07-01T10:00:05') +
      row(6, 5002, 'tty1', 'eve', 'tty1', '', '0.0.0.0', '2024-07-01T11:00:00') +
      row(6, 5003, 'ssh', 'admin', 'ssh:notty', '203.0.113.200', '203.0.113.200', '2024-07-02T09:30:00'));
    // A utmp: the boot, and four users. alice's and carol's terminals are files here, named by
    // absolute paths as who allows: alice's takes messages and was last read 2 hours and 30
    // seconds ago (both tools run within those 30 seconds: dated again before each pair of runs),
    // carol's does not and was read a day ago (old). The others' lines have no device here (?).
    for (const [name, mode] of [['t1', 0o620], ['t2', 0o600]] as const) {
      writeFileSync(`${dir}/${name}`, '');
      chmodSync(`${dir}/${name}`, mode);
    }
    const utmp = built('utmp',
      row(2, 0, '~~', 'reboot', '~', '6.1.0-a', '0.0.0.0', '2024-05-01T08:00:00') +
      row(7, 1234, 'ts/1', 'alice', `${dir}/t1`, '203.0.113.7', '203.0.113.7', '2024-05-01T09:00:00') +
      row(7, 1250, 'ts/2', 'carol', `${dir}/t2`, '192.0.2.7:0', '192.0.2.7', '2024-05-01T09:02:00') +
      row(7, 1300, 'tyZ9', 'root', 'ttyZ9', '', '0.0.0.0', '2024-05-01T09:05:00') +
      row(7, 1400, 'ts/9', 'bob', 'pts/97', '198.51.100.2', '198.51.100.2', '2024-05-01T09:10:00'));
    const imported = cli(['import', 'utmp', utmp]);
    expect(imported.status, imported.stderr).toBe(0);
    records = `${dir}/utmp.jsonl`;
    writeFileSync(records, imported.stdout);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The terminals' last reads, from now: alice's 2 hours and 30 seconds ago, carol's a day ago. */
  const dateTerminals = () => {
    const now = Date.now() / 1000;
    for (const [name, atime] of [['t1', now - 7230], ['t2', now - 90_000]] as const) utimesSync(`${dir}/${name}`, atime, atime);
  };

  it.each([
    [[]], [['-F']], [['-i']], [['-a']], [['-R']], [['-w']], [['-2']], [['-n', '1']], [['root', 'eve']], [['1']],
    [['-s', '2024-07-01 10:00:03']], [['-t', '2024-07-01 10:00:03']], [['--time-format', 'iso']], [['--time-format', 'notime']],
  ])('lastb %j -f btmp: the same lines as util-linux lastb', (args) => {
    const r = cli(['lastb', ...args, '-f', btmp]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(tool('lastb', [...args, '-f', btmp]));
  });

  it('lastb --json gives the failures as failed --json does', () => {
    const r = cli(['lastb', '--json', '-f', btmp]);
    expect((JSON.parse(r.stdout) as Array<{ user: string; tty: string; source: string }>).map((f) => [f.user, f.tty, f.source])).toEqual([
      ['admin', 'ssh:notty', 'btmp'], ['eve', 'tty1', 'btmp'], ['root', 'ssh:notty', 'btmp'], ['mallory', 'ssh:notty', 'btmp'],
    ]);
  });

  it.each([[[]], [['-q']], [['-H']], [['-u']], [['-H', '-u']], [['-T']], [['-w']], [['-b']], [['-b', '-H']], [['-a']], [['-a', '-H']], [['-s']]])(
    'who %j: the same lines as coreutils who',
    (args) => {
      const utmp = `${dir}/utmp`;
      dateTerminals();
      const r = cli(['who', ...args, '--input', records]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(tool('who', [...args, utmp]));
    },
  );
});
